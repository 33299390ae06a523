"""What a read-text job does (``indexer.worker``): decode one indexed video at its sampling rate, read
the text shown in its frames (``indexer.shown.text_reading``), and store the lines as its shown lines
(``shown:MODEL``) in one transaction, nothing embedded again.

    PyAV frames (sample_fps) ──► VideoTextReader ──► one transaction: the video still the content read?
        ──► cue_store.write_cues(replacing="shown")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from indexer.decode import get_decoder
from indexer.freshness import file_unchanged
from indexer.said.transcription import ContentChanged
from indexer.shown.text_reading import MAX_CHARS, ShownText, VideoTextReader
from vidseek.errors import ModelError
from vidseek.said import cue_bounds
from vidseek.storage import cue_store
from vidseek.storage.library import Library
from vidseek.storage.tables import Video

GLANCE_INPUT = (16, 16)
"""The model input the decoder is asked for: unused here, so as small as it gets."""


def read_video(
    path: Path,
    engine: object,
    *,
    fps: float,
    duration: float,
    picture_side: int = 1280,
    max_chars: int = MAX_CHARS,
    every: float = 2.0,
    progress: Callable[[float], None] = lambda fraction: None,
) -> ShownText:
    """The text shown in ``path``'s frames sampled at ``fps`` (DecodeError when it cannot be decoded;
    ModelError when the model fails on it)."""
    reader = VideoTextReader(engine, fps, picture_side=picture_side, max_chars=max_chars, every=every)
    for frame in get_decoder("pyav").frames(path, fps=fps, size=GLANCE_INPUT):
        reader.see(frame.t, frame.image, frame.picture)
        if duration > 0:
            progress(min(0.99, frame.t / duration))
    shown = reader.finish()
    if shown.error is not None:
        raise ModelError(f"the OCR model failed: {shown.error}")
    return shown


def store_shown(
    library: Library, video_id: int, fingerprint: str, lines: list[cue_store.CueRow], *, per_hour: int
) -> None:
    """Make ``lines`` the shown lines of video ``video_id`` in one transaction, if it is still the content
    that was read (``fingerprint`` in the database, its file's size and mtime as indexed); else
    ContentChanged."""
    with library.sessions() as session:
        video = session.get(Video, video_id, with_for_update=True, populate_existing=True)
        if video is None:
            raise ContentChanged(f"video {video_id} was removed while its text was read")
        try:
            st = os.stat(video.path)
        except OSError:
            st = None
        if video.fingerprint != fingerprint or st is None or not file_unchanged(video, st):
            raise ContentChanged(f"{video.path} changed while its text was read; it will be read again")
        kept = cue_bounds.bounded(lines, video.duration, per_hour)
        cue_store.write_cues(video_id, kept.cues, replacing="shown", session=session)
        session.commit()
