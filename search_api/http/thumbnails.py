"""JPEG thumbnails of single frames, named by their frame number at the video's own rate (as a moment's
``frames`` are), decoded once (``indexer.decode.frame_at``) and kept on disk under a size cap."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from indexer.decode import frame_at
from vidseek.config import Settings
from vidseek.storage.tables import Video
from vidseek.timecode import frame_middle

THUMBNAIL_WIDTH = 320
DEFAULT_MAX_BYTES: int = Settings.model_fields["thumbnail_cache_bytes"].default
_LOW_WATER = 0.9
"""An eviction deletes down to this fraction of the cap, so the next one waits for a tenth of it in writes."""
_RESCAN_EVERY = 100
"""Writes between scans of the folder: other processes' writes are counted only by a scan."""
_TEMP_PREFIX = ".thumb-"
_STALE_TEMP_SECONDS = 600
"""A temporary file older than this was left by a writer that died; younger ones are being written."""


def frame_image(path: Path, t: float) -> Image.Image:
    """The frame shown at ``t`` seconds from the start of the video stream, upright as a player shows it.
    Raises DecodeError when the file cannot give one."""
    return Image.fromarray(frame_at(path, t))


class ThumbnailCache:
    """Files ``<root>/<video id>-<fingerprint>-f<frame number>.jpg``; a changed file gets new names. A frame
    is decoded half way through its time on screen (``timecode.frame_middle``), so it is that frame even at
    23.976, 29.97 or 59.94 fps, whose frames start between milliseconds.

    At most ``max_bytes`` (0: no cap): once writes take the folder past it, the least recently served
    thumbnails are deleted down to 90 % of it. A hit sets the file's access time (its modification time
    stays the time it was made), so eviction does not depend on how the disk is mounted. Threads and
    processes may share the folder: files appear whole (``os.replace``) and may vanish at any moment
    (another one's eviction); :meth:`jpeg` then makes the thumbnail again.
    """

    def __init__(self, root: Path, width: int = THUMBNAIL_WIDTH, max_bytes: int | None = None) -> None:
        self.root = root
        self.width = width
        self.max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        self._lock = threading.Lock()
        self._bytes: int | None = None
        """This process's estimate of the folder's size; None until the first scan."""
        self._writes = 0

    def path_for(self, video: Video, frame: int) -> Path:
        return self.root / f"{video.id}-{video.fingerprint[:16]}-f{frame}.jpg"

    def jpeg(self, video: Video, frame: int) -> bytes:
        """The JPEG of frame number ``frame`` (from 0, at the video's own rate), made and stored first when it
        is not on disk (or was just evicted).

        Raises DecodeError when the video's file cannot be decoded, OSError when the cache cannot be written.
        """
        path = self.path_for(video, frame)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = self._make(video, frame)
            self._store(data, path)
            return data
        self._touch(path)
        return data

    def get(self, video: Video, frame: int) -> Path:
        """The thumbnail's file, made first when it is not on disk yet. A later write may evict it: to serve
        it, use :meth:`jpeg`."""
        path = self.path_for(video, frame)
        if not self._touch(path):
            self._store(self._make(video, frame), path)
        return path

    def _make(self, video: Video, frame: int) -> bytes:
        return self._encode(frame_image(Path(video.path), frame_middle(frame, video.fps)))

    def _encode(self, image: Image.Image) -> bytes:
        if image.width > self.width:
            image = image.resize(
                (self.width, max(1, round(image.height * self.width / image.width))), Image.Resampling.BILINEAR
            )
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=85)
        return out.getvalue()

    @staticmethod
    def _touch(path: Path) -> bool:
        """Mark ``path`` as just served; False when it is not there."""
        try:
            os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
        except FileNotFoundError:
            return False
        except OSError:
            return path.exists()  # not ours to touch (read-only folder, other owner): still a hit
        return True

    def _store(self, data: bytes, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".jpg", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # whole files only: a concurrent reader never sees half a JPEG
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.max_bytes:
            self._account(len(data))

    def _account(self, written: int) -> None:
        with self._lock:
            self._writes += 1
            if self._bytes is not None:
                self._bytes += written
            if self._bytes is None or self._bytes > self.max_bytes or self._writes % _RESCAN_EVERY == 0:
                self._bytes = self.evict()

    def evict(self) -> int:
        """Scan the folder; when it holds more than the cap, delete the least recently served thumbnails
        down to 90 % of it. Returns the bytes left. Files vanishing meanwhile are skipped."""
        now = time.time()
        files: list[tuple[int, str, int]] = []
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    if not entry.name.endswith(".jpg"):
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    if entry.name.startswith(_TEMP_PREFIX) and now - st.st_mtime < _STALE_TEMP_SECONDS:
                        continue  # another writer's thumbnail, still being written
                    files.append((max(st.st_atime_ns, st.st_mtime_ns), entry.path, st.st_size))
        except FileNotFoundError:
            return 0
        total = sum(size for _, _, size in files)
        if total <= self.max_bytes:
            return total
        goal = int(self.max_bytes * _LOW_WATER)
        for _, name, size in sorted(files):
            if total <= goal:
                break
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass  # another process evicted it first
            except OSError:
                continue  # cannot delete it: it still counts
            total -= size
        return total
