"""Uploads: a multipart body streamed to a temp file in the media folder, checked, then given a safe name.

Nothing holds the whole body in memory: ``request.stream()`` chunks go through python-multipart's
streaming ``MultipartParser`` and the bytes of the ``file`` field are appended to a hidden temp file
(``.upload-*.part``) in the media folder, counting as they go; the moment the count passes
``max_upload_bytes`` the upload stops with 413 and the temp file is removed. The temp file lives in
the media folder itself so the final step is a rename on the same file system, and its name (hidden,
``.part``) keeps folder watchers from picking it up half-written.

What the file *is* is decided by probing it with the decoder (once: the probe's result also names the
container, for the suffix), never by its name or Content-Type.

**Temp files left by a killed upload** are removed at server start and now and then during uploads
(``sweep_stale_temp_files``), and only these: regular files named ``.upload-*.part`` directly in the
media folder, that no live process holds and that have not changed for ``STALE_TEMP_SECONDS`` or whose
writer (named in the file, ``.upload-PID@HOST-*.part``) was a process of this machine that is gone. The
process writing one holds an exclusive ``flock`` on it from its creation until its request ends (the
kernel drops it when the process dies, even by SIGKILL), so a replica sharing the media folder never
loses an upload in progress. The age is the fallback for file systems whose locks other machines do
not see: a live upload writes its file with every chunk and is checked and moved within seconds of
its last byte, so one untouched for minutes is left over.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import tempfile
import time
import unicodedata
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.multipart import MultipartParser, parse_options_header

from indexer.decode import VideoInfo
from vidseek.video_formats import VIDEO_EXTENSIONS, suffix_for_container

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: only the age rule protects uploads in progress
    fcntl = None  # type: ignore[assignment]

FIELD = "file"
MAX_OTHER_FIELD_BYTES = 64 * 1024
"""Bytes allowed in all fields other than ``file`` together (they are read and ignored)."""
MULTIPART_SLACK = 1024 * 1024
"""Room for multipart framing when a Content-Length alone shows the file is too large."""
MAX_NAME_BYTES = 200
TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".part"


class UploadProblem(Exception):
    """An upload refused: HTTP ``status`` and a ``detail`` that says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Received:
    temp_path: Path
    filename: str
    """The client's file name, as sent (not yet safe)."""
    size: int
    hold: _Hold | None = field(default=None, repr=False, compare=False)
    """The lock on ``temp_path``: held while this object lives (until the request that made it ends)."""


class _Hold:
    """An exclusive ``flock`` on an upload temp file (on its own duplicate of the file's descriptor, so
    closing the written file keeps it), released by ``release()`` or when this object is dropped."""

    def __init__(self, fd: int) -> None:
        self._close = weakref.finalize(self, os.close, fd)

    def release(self) -> None:
        self._close()


def _hold(fd: int) -> _Hold:
    """Lock the just-created temp file open on ``fd`` (nobody else can hold it yet)."""
    held = os.dup(fd)
    if fcntl is not None:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a file system without locks: the age rule still protects it
            pass
    return _Hold(held)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{n} bytes"


def too_large(max_bytes: int) -> UploadProblem:
    return UploadProblem(
        413, f"file: larger than the upload limit of {human_bytes(max_bytes)} (VIDSEEK_MAX_UPLOAD_BYTES={max_bytes})"
    )


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_name(client_name: str | None, fallback: str = "upload") -> str:
    """A file name that is only a name: no folders, no traversal, no control characters, not hidden.

    Unicode is kept (NFC-normalised); the name is cut to ``MAX_NAME_BYTES`` of UTF-8, keeping its suffix.
    """
    name = unicodedata.normalize("NFC", client_name or "")
    name = re.split(r"[\\/]", name)[-1]  # both separators, whatever the client's system
    name = _UNSAFE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # no format/control characters
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix[:16].strip()
    stem = stem.strip().rstrip(".").strip() or fallback
    room = MAX_NAME_BYTES - len(suffix.encode()) - 1
    encoded = stem.encode()
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", errors="ignore").rstrip() or fallback
    return f"{stem}.{suffix}" if suffix else stem


def final_name(client_name: str, probed: VideoInfo) -> str:
    """The safe name, with a suffix that says what the file is (the container ``probed`` found) when the
    client's does not."""
    name = safe_name(client_name)
    if Path(name).suffix.lower() in VIDEO_EXTENSIONS:
        return name
    return name + suffix_for_container(probed.container, probed.codec)


def place(temp_path: Path, directory: Path, name: str) -> Path:
    """Move the temp file to ``directory/name``, or ``name (2)``, ``name (3)``... when taken. Never overwrites.

    A hard link claims the name and gives it the whole content in one step, so a folder watcher never
    sees a half-written or empty file there; where links are not supported the name is claimed by an
    exclusive create and the content renamed over it.
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    os.chmod(temp_path, 0o644)
    for n in range(1, 10_000):
        candidate = directory / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            os.link(temp_path, candidate)
        except FileExistsError:
            continue
        except OSError:  # no hard links on this file system
            try:
                fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(temp_path, candidate)
            return candidate.resolve()
        temp_path.unlink()
        return candidate.resolve()
    raise UploadProblem(409, f"file: too many files are already called {name!r} in the media folder")


STALE_TEMP_SECONDS = 120.0
"""Least seconds an unheld upload temp file must be untouched before it is removed (see the module
docstring): far more than a live upload goes between writes, or takes from its last byte to its move."""
_last_sweep = 0.0


def sweep_stale_temp_files(directory: Path, *, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove the upload temp files killed uploads left in ``directory`` (the media folder): those no
    process holds and nobody touched for ``older_than`` seconds. Returns how many went."""
    now = time.time()
    return sum(_remove_if_left_over(temp, now, older_than) for temp in directory.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))


def owned_prefix() -> str:
    """``.upload-PID@HOST-``: the start of this process's temp file names, so a sweep on the same machine
    knows a file whose writer is dead at once, without waiting for it to age."""
    return f"{TEMP_PREFIX}{os.getpid()}@{socket.gethostname()}-"


_OWNED = re.compile(rf"^{re.escape(TEMP_PREFIX)}(\d+)@(.+)-[^-]+{re.escape(TEMP_SUFFIX)}$")


def _writer_is_dead(name: str) -> bool:
    """Was the temp file ``name`` written by a process of this machine that is no longer running?"""
    owned = _OWNED.match(name)
    if owned is None or owned.group(2) != socket.gethostname():
        return False
    try:
        os.kill(int(owned.group(1)), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False
    return False


def _remove_if_left_over(path: Path, now: float, older_than: float) -> bool:
    try:  # opened without following links or blocking on a pipe; only a regular file qualifies
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (now - info.st_mtime <= older_than and not _writer_is_dead(path.name)):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a live upload holds it
            except OSError:
                return False
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


class _Parts:
    """python-multipart callbacks: the ``file`` field's bytes to the temp file, the rest counted and dropped."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.headers: dict[str, str] = {}
        self._field = b""
        self._value = b""
        self.target: str | None = None
        self.file = None
        self.temp_path: Path | None = None
        self.hold: _Hold | None = None
        self.filename: str | None = None
        self.size = 0
        self.other_bytes = 0
        self.done = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self._field, self._value, self.target = {}, b"", b"", None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self.headers[self._field.decode("latin-1").strip().lower()] = self._value.decode("latin-1")
        self._field, self._value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", ""))
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if name == FIELD and self.file is None and not self.done:
            filename = options.get(b"filename")
            self.filename = filename.decode("utf-8", errors="replace") if filename is not None else ""
            fd, temp = tempfile.mkstemp(prefix=owned_prefix(), suffix=TEMP_SUFFIX, dir=self.directory)
            self.hold = _hold(fd)
            self.temp_path = Path(temp)
            self.file = os.fdopen(fd, "wb")
            self.target = "file"
        else:
            self.target = "other"

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.target == "file":
            self.size += end - start
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.file.write(data[start:end])
        else:
            self.other_bytes += end - start
            if self.other_bytes > MAX_OTHER_FIELD_BYTES:
                raise UploadProblem(
                    413,
                    f"fields other than '{FIELD}' hold more than "
                    f"{MAX_OTHER_FIELD_BYTES // 1024} KiB; send only the file",
                )

    def part_end(self) -> None:
        if self.target == "file":
            self.close(sync=True)
            self.done = True
        self.target = None

    def close(self, *, sync: bool = False) -> None:
        if self.file is not None and not self.file.closed:
            if sync:
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()

    def discard(self) -> None:
        self.close()
        if self.temp_path is not None:
            self.temp_path.unlink(missing_ok=True)
        if self.hold is not None:
            self.hold.release()


async def receive_upload(request: Request, directory: Path, max_bytes: int) -> Received:
    """Stream the request's multipart body; the ``file`` field lands in a temp file in ``directory``.

    Raises UploadProblem (413 too large, 415 not multipart, 422 no file field); no temp file is left then.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadProblem(415, f"send the video as multipart/form-data, the file in the field '{FIELD}'")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + MULTIPART_SLACK:
        raise too_large(max_bytes)  # before reading a byte (a client that sent Expect: 100-continue sends none)
    directory.mkdir(parents=True, exist_ok=True)
    global _last_sweep
    if time.monotonic() - _last_sweep > 600 or not _last_sweep:  # now and then, not on every upload
        _last_sweep = time.monotonic()
        await run_in_threadpool(sweep_stale_temp_files, directory)
    parts = _Parts(directory, max_bytes)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                # parsing and writing block (disk): off the event loop
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except UploadProblem:
        parts.discard()
        raise
    except BaseException as exc:  # a client that goes away, a malformed body: leave nothing behind
        parts.discard()
        from python_multipart.exceptions import FormParserError

        if isinstance(exc, FormParserError):
            raise UploadProblem(422, f"the multipart body is malformed ({exc})") from None
        raise
    if parts.temp_path is None:
        raise UploadProblem(422, f"{FIELD}: Field required (the video, as a multipart file field named '{FIELD}')")
    if not parts.done:
        parts.discard()
        raise UploadProblem(422, f"{FIELD}: the upload ended before the file did")
    return Received(parts.temp_path, parts.filename or "", parts.size, parts.hold)
