"""The FAISS file on disk, apart from what it holds: its magic and trailer, the payload checksum, the
path check, and the temporaries a killed save leaves behind."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import struct
from pathlib import Path

from vidseek.errors import StorageError

_MAGIC = b"VIDSEEK1"
"""Start of a file of the first layout (header first)."""

_TRAILER = b"VIDSEEK2"
"""End of a file of the current layout (FAISS data first, header last)."""

_HASH_BLOCK = 1 << 22


class IndexCorruptError(ValueError):
    """An index file whose FAISS data does not match the checksum in its header."""


def payload_digest(data) -> str:  # noqa: ANN001 - bytes, memoryview or a uint8 array
    """The checksum kept in the header: BLAKE2b (32 bytes, hex) of the FAISS data."""
    return hashlib.blake2b(memoryview(data).cast("B"), digest_size=32).hexdigest()


def check_index_path(path: Path) -> None:
    """Refuse a path where the index file cannot be written (a folder, a pipe...), naming it."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise StorageError(
            f"The FAISS index path {path} is {what}, so the index cannot be saved there: move it "
            "out of the way (vidseek then rebuilds the index from the database) or point "
            "VIDSEEK_DATA_DIR at another folder."
        )


def _file_digest(f, start: int, end: int) -> str:  # noqa: ANN001
    """``payload_digest`` of bytes ``start..end`` of an open file, read in blocks."""
    h = hashlib.blake2b(digest_size=32)
    f.seek(start)
    left = end - start
    while left > 0:
        block = f.read(min(_HASH_BLOCK, left))
        if not block:
            break
        h.update(block)
        left -= len(block)
    return h.hexdigest()


def _read_layout(f) -> tuple[dict | None, int, int]:  # noqa: ANN001
    """(header, start, end) of the FAISS data in an open index file; header None when it is not one."""
    size = f.seek(0, os.SEEK_END)
    if size >= 12:
        f.seek(size - 12)
        tail = f.read(12)
        if tail.endswith(_TRAILER):
            (n,) = struct.unpack("<I", tail[:4])
            if n <= size - 12:
                f.seek(size - 12 - n)
                return json.loads(f.read(n)), 0, size - 12 - n
    f.seek(0)
    start = f.read(12)
    if len(start) < 12 or not start.startswith(_MAGIC):
        return None, 0, 0
    (n,) = struct.unpack("<I", start[8:12])
    return json.loads(f.read(n)), 12 + n, size


def temp_prefix(path: Path) -> str:
    """The start of the names of the temporary files a save of the index at ``path`` writes beside it
    (``.clips.faiss.k3j2x9.tmp``): its own, so a sweep of left-overs touches no other file's."""
    return f".{path.name}."


def remove_left_over_saves(path: Path) -> list[Path]:
    """Remove the temporary files of saves of ``path`` that were killed before their rename, and return them.

    Call it holding the index's file lock: every save writes its temporary file under that lock, so
    while it is held no live process is writing one, and whatever is there was left by a dead one.
    """
    removed = []
    for temp in path.parent.glob(f"{glob.escape(temp_prefix(path))}*.tmp"):
        try:
            if temp.is_file() and not temp.is_symlink():
                temp.unlink()
                removed.append(temp)
        except OSError:
            pass
    return removed
