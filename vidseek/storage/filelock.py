"""An exclusive lock between processes (and threads) on a lock file: ``fcntl.flock``.

The kernel drops the lock when its holder dies, even by SIGKILL, so a crash never leaves it held.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: threads in this process are still serialised
    fcntl = None  # type: ignore[assignment]

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(str(path), threading.Lock())


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold ``path`` (created if needed) exclusively for the ``with`` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _thread_lock(path):  # flock is per open file: threads of one process each open their own
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock


@contextmanager
def try_locked(path: Path) -> Iterator[bool]:
    """Hold ``path`` exclusively for the ``with`` block if nobody else does: yields True then, else False at
    once (never waits). For tidying that can wait for the next process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    thread_lock = _thread_lock(path)
    if not thread_lock.acquire(blocking=False):
        yield False
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    yield False
                    return
            yield True
        finally:
            os.close(fd)
    finally:
        thread_lock.release()
