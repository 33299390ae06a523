"""The frame file: every video's sampled frames (times and float32 vectors) in one memory-mapped file
beside the FAISS file, so grounding slices a window of frames in microseconds instead of reading it
from SQL. It is derived from the ``frame_vectors`` rows as the FAISS file is from the clip rows: SQL
stays the truth, the file records the generation, model and library it was made from, and a file
that is missing, corrupted or of another library is made again (``vidseek.storage.frame_source``).

Layout (little-endian)::

    header   4,096 bytes: MAGIC, then JSON (dim, videos, clips, frames, generation, model, uid, crc32s), space-padded
    table    int64 [videos, 3]: video id (ascending), first row, frame count
    clips    int64 [clips, 4]: clip id (ascending), video id, first frame, last frame
    times    float64 [frames]
    vectors  float32 [frames, dim], starting at a multiple of 64 bytes

The vectors are the stored float32 values, bit for bit, so grounding answers exactly as from SQL
(2,048 B a frame of a 512-d model, plus 8 B of time, 32 B per clip and 24 B per video). The clip
table answers which frames a candidate clip covers without SQL (``clip_frames``; clip ids are never
reused, so a clip the file holds is that clip for good). A file is written whole
under a temporary name, flushed and renamed into place, so a writer killed mid-write leaves the old
file (or none) and a stray temporary that the next writer removes; both CRC-32s are checked when the
file is opened.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

MAGIC = b"VIDSEEK-FRAMES-2\n"
HEADER = 4096
ALIGN = 64
CRC_BLOCK = 64 * 1024**2


class FrameFileProblem(ValueError):
    """The file cannot be used; the message says why (one line)."""


@dataclass(frozen=True)
class Layout:
    """Where each section of a frame file of ``videos`` videos and ``frames`` frames lies."""

    videos: int
    clips: int
    frames: int
    dim: int

    @property
    def table_at(self) -> int:
        return HEADER

    @property
    def clips_at(self) -> int:
        return HEADER + self.videos * 24

    @property
    def times_at(self) -> int:
        return self.clips_at + self.clips * 32

    @property
    def vectors_at(self) -> int:
        end = self.times_at + self.frames * 8
        return -(-end // ALIGN) * ALIGN

    @property
    def size(self) -> int:
        return self.vectors_at + self.frames * self.dim * 4


def _crc(view: memoryview | np.ndarray, crc: int = 0) -> int:
    data = memoryview(view).cast("B")
    for lo in range(0, len(data), CRC_BLOCK):
        crc = zlib.crc32(data[lo : lo + CRC_BLOCK], crc)
    return crc


class FrameFile:
    """A frame file opened read-only (memory-mapped): ``window`` slices one video's frames."""

    def __init__(self, path: Path, *, verify: bool = True) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                head = f.read(HEADER)
        except FileNotFoundError:
            raise FrameFileProblem("missing") from None
        if not head.startswith(MAGIC) or len(head) < HEADER:
            raise FrameFileProblem("not a vidseek frame file (bad header)")
        try:
            meta = json.loads(head[len(MAGIC) :].decode("ascii").strip())
            self.dim, self.generation = int(meta["dim"]), int(meta["generation"])
            self.model, self.uid = str(meta["model"]), str(meta["uid"])
            layout = Layout(int(meta["videos"]), int(meta["clips"]), int(meta["frames"]), self.dim)
            crcs = int(meta["crc_table_times"]), int(meta["crc_vectors"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise FrameFileProblem("unreadable header") from None
        if os.path.getsize(path) != layout.size:
            raise FrameFileProblem(f"{os.path.getsize(path)} bytes where its header says {layout.size}")
        self.layout = layout
        with open(path, "rb") as f:  # plain arrays over the mapping: np.memmap's subclass slows every slice
            raw = np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype=np.uint8)
        table = raw[layout.table_at : layout.clips_at].view(np.int64).reshape(layout.videos, 3)
        clips = raw[layout.clips_at : layout.times_at].view(np.int64).reshape(layout.clips, 4)
        self._clip_ids, self._clip_frames = clips[:, 0], clips[:, 1:]
        self.times = raw[layout.times_at : layout.times_at + layout.frames * 8].view(np.float64)
        self.vectors = raw[layout.vectors_at :].view(np.float32).reshape(layout.frames, self.dim)
        if verify and (_crc(raw[layout.table_at : layout.vectors_at]), _crc(self.vectors)) != crcs:
            raise FrameFileProblem("corrupted (checksum mismatch)")
        self._rows = {int(v): (int(first), int(n)) for v, first, n in table}

    def __contains__(self, video_id: int) -> bool:
        return video_id in self._rows

    @property
    def videos(self) -> int:
        return len(self._rows)

    def clip_frames(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, rows): which of the clip ids ``ids`` the file holds, and (video id, first frame, last
        frame) of each found one, in the order of ``ids``."""
        ids = np.asarray(ids, np.int64)
        at = np.minimum(np.searchsorted(self._clip_ids, ids), max(0, len(self._clip_ids) - 1))
        found = self._clip_ids[at] == ids if len(self._clip_ids) else np.zeros(len(ids), bool)
        return found, self._clip_frames[at[found]]

    def window(self, video_id: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(times, vectors) of frames ``first..last`` (inclusive, clamped to the video) as views of the
        file, or None for a video the file does not hold."""
        row = self._rows.get(video_id)
        if row is None:
            return None
        start, n = row
        first = max(0, first)
        stop = min(last + 1, n)
        if stop <= first:
            return np.zeros(0), np.zeros((0, self.dim), np.float32)
        return self.times[start + first : start + stop], self.vectors[start + first : start + stop]


VideoFrames = tuple[int, bytes, bytes]
"""(video id, times as float64 bytes, vectors as float32 bytes) of one video, as SQL stores them."""


def write_frame_file(
    path: Path,
    counts: list[tuple[int, int]],
    rows: Iterable[VideoFrames],
    clips: np.ndarray,
    *,
    dim: int,
    generation: int,
    model: str,
    uid: str,
) -> None:
    """Write a frame file of the videos ``counts`` names ((video id, frames), ascending ids) from
    ``rows`` (the same videos in the same order) and the clip table ``clips`` (clip id, video id, first
    frame, last frame; ascending ids), under a temporary name renamed into place once
    flushed: the file at ``path`` is always either the old one or the whole new one."""
    clips = np.ascontiguousarray(clips, np.int64).reshape(-1, 4)
    layout = Layout(len(counts), len(clips), sum(n for _, n in counts), dim)
    table = np.zeros((layout.videos, 3), np.int64)
    at = 0
    for i, (vid, n) in enumerate(counts):
        table[i] = vid, at, n
        at += n
    times = np.zeros(layout.frames, np.float64)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.truncate(layout.size)
            f.seek(layout.vectors_at)
            crc_vectors = 0
            for i, (_vid, times_bytes, vector_bytes) in enumerate(_checked(rows, table, dim)):
                first, n = int(table[i, 1]), int(table[i, 2])
                times[first : first + n] = np.frombuffer(times_bytes, np.float64)
                f.write(vector_bytes)
                crc_vectors = zlib.crc32(vector_bytes, crc_vectors)
            meta_bytes = table.tobytes() + clips.tobytes() + times.tobytes()
            meta_bytes += b"\0" * (layout.vectors_at - layout.table_at - len(meta_bytes))
            f.seek(layout.table_at)
            f.write(meta_bytes)
            header = {
                "dim": dim,
                "videos": layout.videos,
                "clips": layout.clips,
                "frames": layout.frames,
                "generation": generation,
                "model": model,
                "uid": uid,
                "crc_table_times": zlib.crc32(meta_bytes),
                "crc_vectors": crc_vectors,
            }
            head = MAGIC + json.dumps(header).encode("ascii")
            f.seek(0)
            f.write(head.ljust(HEADER, b" "))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _checked(rows: Iterable[VideoFrames], table: np.ndarray, dim: int) -> Iterator[VideoFrames]:
    """``rows``, each checked against the table (the same video, its frame count of vectors)."""
    i = -1
    for i, row in enumerate(rows):
        vid, times_bytes, vector_bytes = row
        if i >= len(table) or vid != table[i, 0]:
            raise FrameFileProblem(f"frame rows out of step with their counts at video {vid}")
        n = int(table[i, 2])
        if len(times_bytes) != n * 8 or len(vector_bytes) != n * dim * 4:
            raise FrameFileProblem(f"video {vid}: frame blobs of {len(vector_bytes)} bytes for {n} frames of {dim}")
        yield row
    if i != len(table) - 1:
        raise FrameFileProblem("fewer frame rows than counted")


def remove_left_over_writes(path: Path) -> None:
    """Temporaries of writers that died mid-write (call under the file's lock: no live writer then)."""
    for stray in path.parent.glob(f"{path.name}.tmp-*"):
        stray.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
