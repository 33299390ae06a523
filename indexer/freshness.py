"""When an indexed video's row is current: the file can be skipped, its row describes it as it is.

A row is current for a run when it was indexed with that run's model and sampling settings, by a
full decode unless the run itself only decodes keyframes (a keyframes-only row is refined by the
next full run), the file's size and mtime are the ones recorded, and so are the names, sizes and
mtimes of the subtitle files beside it (``indexer.said.sidecars``: a changed sidecar's cues are read
again).
"""

from __future__ import annotations

import os

from vidseek.config import Settings
from vidseek.storage.tables import Video


def settings_match(video: Video, settings: Settings, model: str | None) -> bool:
    """Was ``video`` indexed as a run with ``settings`` and ``model`` would index it? (``model``
    None: any model, for a library that has none recorded yet.)"""
    return (
        (model is None or video.model_name == model)
        and video.sample_fps == settings.sample_fps
        and video.clip_seconds == settings.clip_seconds
        and video.clip_stride == settings.clip_stride
        and (video.status == "indexed" or settings.keyframes_only)
    )


def file_unchanged(video: Video, st: os.stat_result) -> bool:
    """Is the file (``st``, its stat) the size and mtime the row recorded?"""
    return video.size == st.st_size and video.mtime_ns == st.st_mtime_ns


def is_current(
    video: Video | None, st: os.stat_result, settings: Settings, model: str | None, *, sidecars: str
) -> bool:
    """Can a run skip this file without reading it? (``sidecars``: the subtitle files beside it now,
    ``indexer.said.sidecars.Sidecars.signature``.)"""
    return (
        video is not None
        and settings_match(video, settings, model)
        and file_unchanged(video, st)
        and (video.sidecars or "") == sidecars
    )
