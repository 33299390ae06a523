"""Finding video files and telling whether they changed.

Only regular files (or links to them) are indexed, and nothing else is ever opened: a FIFO would
block the run. Whatever cannot be indexed (a symlink loop, a broken link, a FIFO, socket or device,
an unreadable folder, a path the database cannot store because it is not UTF-8) comes back as one
``(path, reason)`` problem, under the path as it was found (a link's own path, not its target's),
and the rest of the batch goes on.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import Iterator

from vidseek.video_formats import VIDEO_EXTENSIONS

NOT_UTF8 = (
    "path is not valid UTF-8, so it cannot be stored: rename the file, or mount the share "
    "with a UTF-8 charset (e.g. iocharset=utf8)"
)
_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)

Problem = tuple[Path, str]


def find_videos(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to index, each once by its real path (folders searched recursively by extension; files
    named directly always count), and a (path, reason) for each path that cannot be indexed."""
    found: dict[Path, None] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        candidates = _walk(path, problems) if is_folder(path) else [path]
        for candidate in candidates:
            real, reason = _regular_file(candidate)
            if real is None:
                problems.append((candidate, reason))
            else:
                found[real] = None
    return list(found), list(dict.fromkeys(problems))  # a file both named and under a named folder: once


def is_folder(path: Path) -> bool:
    """Like ``Path.is_dir`` but never raises (3.11's lets EACCES through); ``_regular_file`` says why."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def _is_video_name(name: str) -> bool:
    return not name.startswith(".") and Path(name).suffix.lower() in VIDEO_EXTENSIONS


def printable(path: Path | str) -> str:
    """``path`` as text any terminal or log can show: bytes that are not UTF-8 (kept by Python as
    lone surrogates) written as ``\\xe9``; every other path unchanged."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """Video-named entries under ``folder``, hidden ones left out; a folder that cannot be listed is a problem."""

    def unreadable(exc: OSError) -> None:
        problems.append((Path(exc.filename or folder), f"cannot read folder ({_strerror(exc)})"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield from (Path(root, name) for name in sorted(files) if _is_video_name(name))


def _regular_file(path: Path) -> tuple[Path, None] | tuple[None, str]:
    """The real path of ``path`` when it is, or links to, a regular file with a storable path; else why not."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return None, _stat_problem(path, exc)
    if not stat.S_ISREG(mode):
        return None, f"not a regular file ({_kind(mode)})"
    real = Path(os.path.realpath(path))  # never raises, unlike Path.resolve() on a loop
    if not _storable(str(real)):
        return None, NOT_UTF8 if not _storable(str(path)) else f"{NOT_UTF8} (it links to {printable(real)})"
    return real, None


def _kind(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "an unknown kind of file")


def _stat_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if path.is_symlink():
            return f"broken symlink (its target {printable(os.readlink(path))} does not exist)"
        return "no such file or folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _strerror(exc)
    return f"cannot read ({_strerror(exc)})"


def _strerror(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def _storable(text: str) -> bool:
    """Can the database (UTF-8, SQLite and PostgreSQL alike) store ``text``?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
