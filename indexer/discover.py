"""Finding video files and telling whether they changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".ts", ".mts",
    ".m2ts", ".3gp", ".ogv", ".mxf", ".dv",
})
_CHUNK = 1 << 20


def find_videos(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to index (folders searched recursively by extension; files named directly always count),
    and (path, reason) for arguments that do not exist."""
    found: dict[Path, None] = {}
    missing: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root, name)
                    if not name.startswith(".") and candidate.suffix.lower() in VIDEO_EXTENSIONS:
                        found[candidate.resolve()] = None
        elif path.is_file():
            found[path.resolve()] = None
        else:
            missing.append((path, "no such file or folder"))
    return list(found), missing


def fingerprint(path: Path, size: int) -> str:
    """Content fingerprint: BLAKE2b of the size and 1 MiB from the start, middle and end.

    Reads at most 3 MiB whatever the file's length; any edit that changes the size or
    touches those regions changes it (container headers and indexes sit there).
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(str(size).encode())
    with open(path, "rb") as f:
        for offset in sorted({0, max(0, size // 2 - _CHUNK // 2), max(0, size - _CHUNK)}):
            f.seek(offset)
            h.update(f.read(_CHUNK))
    return h.hexdigest()
