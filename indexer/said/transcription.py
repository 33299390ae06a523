"""What a transcribe job does (``indexer.worker``): hear one video's sound with a transcriber, then
store what was said as its transcript cues (``speech:MODEL``), all at once.

    audio_windows (16 kHz mono, VIDSEEK_SPEECH_WINDOW s each) ──► transcriber ──► lines, timed from the file's start
        ──► one transaction: the video still the content that was heard?
        ──► cue_store.write_cues(replacing="transcript")

Each line heard is made plain text as a subtitle line is (``indexer.said.cue_markup.markup_text``: markup
stripped, spaces collapsed) and cut to ``max_chars`` characters (at a word's end when one is near).
A transcriber that answers no window within its limit is stopped by ``vidseek.said.transcriber_process``;
``hear`` says which stretch of the file it was given.

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
from indexer.said.cue_markup import markup_text
from vidseek.errors import VidseekError
from vidseek.said.cue_sources import transcript_source
from vidseek.said.transcriber_process import TranscriberHung
from vidseek.said.transcribers import Transcriber, heard_lines
from vidseek.storage import cue_store
from vidseek.storage.library import Library
from vidseek.storage.tables import Video

CUE_MAX_CHARS = 1000
"""The most characters a transcript line keeps (``VIDSEEK_CUE_MAX_CHARS`` where the settings have it)."""


class ContentChanged(VidseekError):
    """The video's file changed (or was indexed again) while it was being heard: hear it again."""


@dataclass(frozen=True)
class Heard:
    cues: list[cue_store.CueRow]
    no_audio: bool = False


def hear(
    path: Path,
    transcriber: Transcriber,
    *,
    window_seconds: float,
    duration: float,
    max_chars: int = CUE_MAX_CHARS,
    progress: Callable[[float], None] = lambda fraction: None,
) -> Heard:
    """Everything ``transcriber`` hears in ``path``, as cues timed from the start of the file (ms).
    DecodeError when the sound cannot be read; ModelError when the transcriber answers something that
    is not lines (TranscriberHung: nothing, within its limit)."""
    source = transcript_source(transcriber.name)
    cues: list[cue_store.CueRow] = []
    try:
        for window in audio_windows(path, window_seconds=window_seconds):
            try:
                raw = transcriber.transcribe(window.samples)
            except TranscriberHung as exc:
                raise TranscriberHung(f"{exc} (it was hearing {window.start:g}-{window.end:g} s)") from None
            lang = getattr(transcriber, "language", None)
            for line in heard_lines(raw, transcriber.name):
                text = cut(markup_text(line.text), max_chars)
                if not text:
                    continue
                start = round(window.start + min(line.start, window.end - window.start), 3)
                end = round(window.start + min(line.end, window.end - window.start), 3)
                cues.append(cue_store.CueRow(start, max(start, end), text, source, lang))
            progress(min(0.99, window.end / duration) if duration > 0 else 0.5)
    except NoAudio:
        return Heard([], no_audio=True)
    return Heard(cues)


def cut(text: str, max_chars: int) -> str:
    """``text`` in at most ``max_chars`` characters: cut after the last whole word that fits (when that
    keeps most of it), else at ``max_chars``."""
    if len(text) <= max_chars:
        return text
    head = text[: max_chars + 1]
    space = head.rfind(" ")
    return (head[:space] if space >= max_chars * 0.8 else head[:max_chars]).rstrip()


def store_transcript(library: Library, video_id: int, fingerprint: str, cues: list[cue_store.CueRow]) -> None:
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
        cue_store.write_cues(video_id, cues, replacing="transcript", session=session)
        session.commit()
