"""Which file of an indexed video may be served, and as what Content-Type."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from vidseek.models import Video

_VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
                ".mkv": "video/x-matroska", ".avi": "video/x-msvideo", ".ts": "video/mp2t", ".mts": "video/mp2t",
                ".m2ts": "video/mp2t", ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".ogv": "video/ogg",
                ".wmv": "video/x-ms-wmv", ".flv": "video/x-flv", ".3gp": "video/3gpp"}


def media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _VIDEO_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def indexed_file(video: Video) -> Path | None:
    """The file the database records for this video; None when it is no longer a regular file.

    The path comes only from the database row found by id, never from the request.
    """
    path = Path(video.path)
    return path if path.is_file() else None
