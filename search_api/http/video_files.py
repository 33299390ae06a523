"""Which file of an indexed video may be served, and as what Content-Type."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from vidseek.storage.tables import Video
from vidseek.video_formats import media_type_of


def media_type(path: Path) -> str:
    """The video format table's type for the suffix; else the system's guess; else octet-stream."""
    return media_type_of(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def indexed_file(video: Video) -> Path | None:
    """The file the database records for this video; None when it is no longer a regular file.

    The path comes only from the database row found by id, never from the request.
    """
    path = Path(video.path)
    return path if path.is_file() else None
