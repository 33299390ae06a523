"""The library: the SQL store and the FAISS index kept in step.

Every change goes through here: one SQL transaction first (the truth, which moves the
generation), then the in-memory FAISS index, saved atomically at the end of a batch.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from sqlalchemy.orm import Session

from vidseek import store
from vidseek.config import Settings
from vidseek.db import open_database
from vidseek.vector_index import ClipIndex, build_index, open_index


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Library:
    def __init__(self, settings: Settings, notify: Callable[[str], None] = _stderr) -> None:
        self.settings = settings
        self.notify = notify
        self._sessions = open_database(settings.sqlalchemy_url)
        self._index: ClipIndex | None = None
        self._dirty = False
        self._needs_rebuild = False

    @contextmanager
    def sessions(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def model_name(self) -> str | None:
        with self.sessions() as session:
            return store.get_meta("model", session=session)

    def _blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        with self.sessions() as session:
            yield from store.iter_clip_vectors(session=session)

    def index(self) -> ClipIndex | None:
        """The FAISS index at the database's generation (rebuilt if the file is not); None when empty."""
        if self._index is None:
            with self.sessions() as session:
                dim = store.get_meta("dim", session=session)
                if dim is None:
                    return None
                gen = store.generation(session=session)
                n = store.count_clips(session=session)
            self._index = open_index(self.settings.faiss_path, dim=int(dim), n_clips=n, generation=gen,
                                     requested=self.settings.index_type, blocks=self._blocks, notify=self.notify)
        return self._index

    def write_video(self, record: store.VideoRecord, times: np.ndarray, frame_vectors: np.ndarray,
                    windows: list[tuple[int, int, float, float]], clip_vectors: np.ndarray) -> int:
        index = self.index()
        with self.sessions() as session:
            video_id, new_ids, removed = store.replace_video(record, times, frame_vectors, windows, clip_vectors,
                                                             session=session)
            gen = store.generation(session=session)
            session.commit()
        if index is None:
            index = self.index()
            assert index is not None
        else:
            self._apply(index, removed, np.asarray(new_ids, np.int64), clip_vectors, gen)
        return video_id

    def _apply(self, index: ClipIndex, removed: list[int], ids: np.ndarray, vectors: np.ndarray, gen: int) -> None:
        if removed and not index.supports_remove:
            self._needs_rebuild = True
        else:
            index.remove(removed)
        index.add(ids, vectors)
        index.generation = gen
        self._dirty = True

    def delete_videos(self, video_ids: list[int]) -> None:
        index = self.index()
        with self.sessions() as session:
            removed = store.delete_videos(video_ids, session=session)
            gen = store.generation(session=session)
            session.commit()
        if index is not None:
            self._apply(index, removed, np.zeros(0, np.int64), np.zeros((0, index.dim), np.float32), gen)

    def remove_missing(self, roots: list[Path] | None = None) -> list[str]:
        """Drop videos whose files are gone (only those under ``roots`` when given)."""
        with self.sessions() as session:
            gone = []
            for video in store.list_videos(session=session):
                path = Path(video.path)
                if roots is not None and not any(path.is_relative_to(r) for r in roots):
                    continue
                if not path.exists():
                    gone.append((video.id, video.path))
        if gone:
            self.delete_videos([vid for vid, _ in gone])
        return [p for _, p in gone]

    def save_index(self) -> None:
        if self._needs_rebuild:
            self.rebuild_index()
        elif self._dirty and self._index is not None:
            self._index.save(self.settings.faiss_path)
        self._dirty = False

    def rebuild_index(self) -> ClipIndex | None:
        with self.sessions() as session:
            dim = store.get_meta("dim", session=session)
            gen = store.generation(session=session)
            n = store.count_clips(session=session)
        if dim is None:
            self.settings.faiss_path.unlink(missing_ok=True)
            self._index = None
            return None
        self._index = build_index(self._blocks, dim=int(dim), n=n, requested=self.settings.index_type,
                                  generation=gen)
        self._index.save(self.settings.faiss_path)
        self._dirty = self._needs_rebuild = False
        return self._index
