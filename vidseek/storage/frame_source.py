"""Where grounding reads a library's frame vectors: the frame file (``vidseek.storage.frame_file``)
for every video it holds as the database has it, SQL for the rest.

The file is made from the ``frame_vectors`` rows of one snapshot and records that snapshot's
generation. A search at a later generation reads from the file every video no write since has
touched: the videos of the clips ``index_changes`` says were added since the file's generation
(a replaced video gets new clips, so it is among them; a deleted one has no clips left to be a
candidate) are read from SQL. When those are more than ``REBUILD_SHARE`` of the file's videos, or
the change rows do not reach back to it, the file is made again in a background thread (the
searches meanwhile read from SQL what it cannot answer). A file that is missing, corrupted, or of
another library or model is made again when the source opens; the lock beside it keeps two
processes from making it at once, and a process finding a newer good file on disk takes that one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vidseek.storage import index_meta, store
from vidseek.storage.filelock import locked
from vidseek.storage.frame_file import FrameFile, FrameFileProblem, remove_left_over_writes, write_frame_file
from vidseek.storage.tables import Clip, FrameVectors

REBUILD_SHARE = 0.05
"""Share of the file's videos changed since it was made past which it is made again."""
STALE_IDS_PER_STATEMENT = 5000
RETRY_S = 60.0
"""Seconds before a process that has no frame file (nothing indexed, or it could not be made) tries again."""


@dataclass(frozen=True)
class FrameReader:
    """The frame file as one snapshot sees it: ``window`` is None for a video to read from SQL."""

    file: FrameFile
    stale: frozenset[int] = field(default_factory=frozenset)

    def clip_frames(self, ids: list[int]) -> tuple[dict[int, tuple[int, int, int]], list[int]]:
        """(clip id -> (video id, first frame, last frame) of the clips the file holds of videos it answers
        for, the other ids: for SQL, which alone knows whether they still exist)."""
        found, rows = self.file.clip_frames(np.asarray(ids, np.int64))
        known = {cid: (v, a, b) for cid, (v, a, b) in zip((i for i, f in zip(ids, found.tolist()) if f), rows.tolist())}
        if self.stale:
            known = {cid: row for cid, row in known.items() if row[0] not in self.stale}
        return known, [i for i in ids if i not in known]

    def window(self, video_id: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray] | None:
        if video_id in self.stale:
            return None
        return self.file.window(video_id, first, last)


class FrameSource:
    """One process's frame file of one library (``library``: a ``vidseek.storage.library.Library``)."""

    def __init__(self, library, path: Path, *, notify: Callable[[str], None] | None = None) -> None:  # noqa: ANN001
        self.library = library
        self.path = path
        self.notify = notify or library.notify
        self._file: FrameFile | None = None
        self._stale: tuple[int, int, frozenset[int] | None] | None = None  # (file generation, generation, videos)
        self._lock = threading.Lock()
        self._rebuilding: threading.Thread | None = None
        self._opened = False
        self._tried_at = 0.0

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def open(self) -> FrameFile | None:
        """The file, checked, made from the database when missing or unusable (once per process; later
        calls return what the first found). None while nothing is indexed, or when it cannot be made
        (said once; searches read SQL): tried again ``RETRY_S`` later, in the background."""
        with self._lock:
            if not self._opened:
                self._opened, self._tried_at = True, time.monotonic()
                try:
                    self._file = self._usable_or_made()
                except (OSError, FrameFileProblem, SQLAlchemyError) as exc:
                    self.notify(f"frame file {self.path}: cannot make it ({exc}); searches read frames from SQL")
                    self._file = None
                return self._file
            retry = self._file is None and time.monotonic() - self._tried_at > RETRY_S
            if retry:
                self._tried_at = time.monotonic()
            file = self._file
        if retry:
            self.rebuild_soon()  # a search never waits for a whole library's frames to be written
        return file

    def reader_at(self, generation: int, session: Session) -> FrameReader | None:
        """The reader for a snapshot at ``generation`` (``session``); None: read everything from SQL."""
        file = self.open()
        if file is None or file.generation > generation:
            return None  # no file, or one newer than this snapshot: SQL has exactly what it sees
        if file.generation == generation:
            return FrameReader(file)
        stale = self._stale_videos(file, generation, session)
        if stale is None or len(stale) > REBUILD_SHARE * max(1, file.videos):
            self.rebuild_soon()
        return None if stale is None else FrameReader(file, stale)

    def _stale_videos(self, file: FrameFile, generation: int, session: Session) -> frozenset[int] | None:
        known = self._stale
        if known is not None and known[:2] == (file.generation, generation):
            return known[2]
        change = store.changes_since(file.generation, generation, session=session)
        videos = None if change is None else frozenset(_videos_of_clips(change[1], session))
        self._stale = (file.generation, generation, videos)
        return videos

    def rebuild_soon(self) -> None:
        """Make the file again in a background thread (one at a time)."""
        with self._lock:
            if self._rebuilding is not None and self._rebuilding.is_alive():
                return
            self._rebuilding = threading.Thread(target=self._rebuild_quietly, name="frame-file", daemon=True)
            self._rebuilding.start()

    def _rebuild_quietly(self) -> None:
        try:
            self.rebuild()
        except Exception as exc:  # noqa: BLE001 - searches go on reading from SQL
            self.notify(f"frame file {self.path}: could not make it again ({type(exc).__name__}: {exc})")

    def rebuild(self) -> FrameFile | None:
        """Make the file from the database now (or take a newer good one another process made)."""
        made = self._usable_or_made(newer_than=self._file.generation if self._file else -1)
        with self._lock:
            self._opened = True
            self._file, self._stale = made, None
        return made

    def _usable_or_made(self, *, newer_than: int | None = None) -> FrameFile | None:
        """The file on disk when it is good (checksums, this library and model) and, with ``newer_than``,
        made after that generation; otherwise a new one made from the database."""
        with self.library.sessions() as session:
            model = index_meta.get_meta("model", session=session)
        if model is None:
            return None  # nothing indexed yet
        uid = self.library.uid()
        with locked(self.lock_path):
            remove_left_over_writes(self.path)
            try:
                found = FrameFile(self.path)
                if found.uid != uid or found.model != model:
                    reason = "of another library or model"
                elif newer_than is None or found.generation > newer_than:
                    return found
                else:
                    reason = f"behind the database (generation {found.generation})"
            except FrameFileProblem as exc:
                reason = str(exc)
            self.notify(f"frame file {self.path} is {reason}; making it from the database.")
            return self._make(uid)

    def _make(self, uid: str) -> FrameFile | None:
        with self.library.snapshot() as session:
            generation = store.generation(session=session)
            model = index_meta.get_meta("model", session=session)
            dim = index_meta.get_meta("dim", session=session)
            if model is None or dim is None:
                return None
            counts = [(int(v), int(n)) for v, n in session.execute(_COUNTS)]
            clips = np.array(session.execute(_CLIPS).all(), np.int64).reshape(-1, 4)
            write_frame_file(
                self.path,
                counts,
                _frame_rows(session),
                clips,
                dim=int(dim),
                generation=generation,
                model=model,
                uid=uid,
            )
        return FrameFile(self.path, verify=False)  # just written and flushed


_COUNTS = select(FrameVectors.video_id, FrameVectors.count).order_by(FrameVectors.video_id)
_CLIPS = select(Clip.id, Clip.video_id, Clip.first_frame, Clip.last_frame).order_by(Clip.id)


def _frame_rows(session: Session) -> Iterator[tuple[int, bytes, bytes]]:
    rows = session.execute(
        select(FrameVectors.video_id, FrameVectors.times, FrameVectors.vectors)
        .order_by(FrameVectors.video_id)
        .execution_options(yield_per=64)
    )
    for vid, times, vectors in rows:
        yield int(vid), bytes(times), bytes(vectors)


def _videos_of_clips(clip_ids: np.ndarray, session: Session) -> set[int]:
    """The videos the clips ``clip_ids`` (those still there) belong to."""
    out: set[int] = set()
    ids = [int(i) for i in clip_ids]
    for lo in range(0, len(ids), STALE_IDS_PER_STATEMENT):
        chunk = ids[lo : lo + STALE_IDS_PER_STATEMENT]
        marks = ", ".join(f":i{k}" for k in range(len(chunk)))
        statement = text(f"SELECT DISTINCT video_id FROM clips WHERE id IN ({marks})")
        out.update(int(v) for (v,) in session.execute(statement, {f"i{k}": v for k, v in enumerate(chunk)}))
    return out
