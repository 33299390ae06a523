"""What a transcribe job does (``indexer.worker``): hear one video's sound with a transcriber, then
store what was said as its transcript cues (``speech:MODEL``), all at once.

    audio_windows (16 kHz mono, VIDSEEK_SPEECH_WINDOW s each) ──► transcriber ──► lines, timed from the file's start
        ──► one transaction: the video still the content that was heard? ──► store.write_cues(replacing="transcript")

Nothing is written until the whole file is heard, in one transaction that replaces the video's earlier
transcript: a job whose worker died mid-way and is run again gives the same rows, never two sets. A
file without sound is heard as saying nothing (no cues; the job is done).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.decode import NoAudio, audio_windows
from indexer.freshness import file_unchanged
from vidseek import store
from vidseek.cue_sources import transcript_source
from vidseek.errors import VidseekError
from vidseek.library import Library
from vidseek.models import Video
from vidseek.transcribers import Transcriber, heard_lines


class ContentChanged(VidseekError):
    """The video's file changed (or was indexed again) while it was being heard: hear it again."""


@dataclass(frozen=True)
class Heard:
    cues: list[store.CueRow]
    no_audio: bool = False


def hear(
    path: Path,
    transcriber: Transcriber,
    *,
    window_seconds: float,
    duration: float,
    progress: Callable[[float], None] = lambda fraction: None,
) -> Heard:
    """Everything ``transcriber`` hears in ``path``, as cues timed from the start of the file (ms).
    DecodeError when the sound cannot be read."""
    source = transcript_source(transcriber.name)
    cues: list[store.CueRow] = []
    try:
        for window in audio_windows(path, window_seconds=window_seconds):
            lines = heard_lines(transcriber.transcribe(window.samples), transcriber.name)
            lang = getattr(transcriber, "language", None)
            for line in lines:
                start = round(window.start + min(line.start, window.end - window.start), 3)
                end = round(window.start + min(line.end, window.end - window.start), 3)
                cues.append(store.CueRow(start, max(start, end), line.text, source, lang))
            progress(min(0.99, window.end / duration) if duration > 0 else 0.5)
    except NoAudio:
        return Heard([], no_audio=True)
    return Heard(cues)


def store_transcript(library: Library, video_id: int, fingerprint: str, cues: list[store.CueRow]) -> None:
    """Make ``cues`` the transcript of video ``video_id`` in one transaction, if it is still the content
    that was heard (``fingerprint`` in the database, its file's size and mtime as indexed); else
    ContentChanged."""
    with library.sessions() as session:
        video = session.get(Video, video_id, with_for_update=True, populate_existing=True)
        if video is None:
            raise ContentChanged(f"video {video_id} was removed while it was transcribed")
        try:
            st = os.stat(video.path)
        except OSError:
            st = None
        if video.fingerprint != fingerprint or st is None or not file_unchanged(video, st):
            raise ContentChanged(f"{video.path} changed while it was transcribed; it will be heard again")
        store.write_cues(video_id, cues, replacing="transcript", session=session)
        session.commit()
