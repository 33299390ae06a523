"""The library: the SQL store and the FAISS index kept in step.

Every change goes through here: one SQL transaction first (the truth, which moves the
generation), then the in-memory FAISS index, saved atomically at the end of a batch.

Several processes (API replicas, workers, the CLI) may share one database and one data dir:

- **Readers stay current.** ``index()`` compares the database's generation (one indexed read) with
  the in-memory index's before handing it out (at most every ``refresh_interval`` seconds); when it
  moved, the index is brought up to the database by difference: clip ids gone from SQL are removed,
  new ones are fetched and added. The difference is read from ``index_changes`` (what each missed
  generation removed and added) when its rows are all there, else from comparing every clip id.
  Clip ids are never reused and a clip's vector never changes, so the id sets alone say what
  differs, whoever wrote it and in whatever order.
- **No half states.** A change is applied to the in-memory index as one step under its lock
  (``ClipIndex.apply``), and searches take that lock, so a search sees a video's old clips or its
  new ones, never a mix. The reads that resolve search hits run in one database snapshot
  (``snapshot()``).
- **Model switches.** A re-embed (``indexer.reembed``) stages new vectors beside the live ones,
  builds the new FAISS index from them, then ``switch_model`` swaps SQL and file in one step. A
  reader whose generation check finds another model recorded opens the new file instead of
  patching (``current_model()`` tells the encoder follower, ``vidseek.models.encoder_follower``).
- **Mapped readers** (``VIDSEEK_INDEX_MMAP``): the index is memory-mapped read-only from the file,
  so it is never patched; when the generation moves, the reader maps the file again once a writer
  has saved that generation, and repairs the file itself (load, patch, save, map) if none has within
  ``MMAP_MAX_LAG`` seconds. Meanwhile it answers from the state it mapped.
- **One file, many writers.** Saves, loads-for-repair and rebuilds of the FAISS file hold an
  exclusive ``flock`` on ``<index>.lock``; a save never replaces a file at a newer generation with
  an older one. The file is a checkpoint: a stale one is loaded and brought up to date by the same
  difference, a missing, unreadable, corrupt (payload checksum) or foreign one (``uid`` of another
  database) is rebuilt (``vidseek.storage.index_verdict`` decides from the file's header and the database's
  state; this module does the IO).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from vidseek.config import Settings
from vidseek.models.model_choice import choose_spec, spec_from_name
from vidseek.models.model_spec import canonical_spec
from vidseek.storage import cue_store, index_meta, staging, store
from vidseek.storage.db import open_sessions
from vidseek.storage.filelock import locked
from vidseek.storage.index_file import difference, file_is_newer, index_state, read_index_file, remember_spec, spec_key
from vidseek.storage.index_verdict import FileFacts, file_verdict
from vidseek.vectors.index_choice import choose_index, outgrown
from vidseek.vectors.index_files import check_index_path, remove_left_over_saves
from vidseek.vectors.vector_index import ClipIndex, build_index

MMAP_MAX_LAG = 30.0
"""Seconds a memory-mapped reader answers from an older generation, waiting for a writer to save the
new one, before it brings the file up to date itself (writers save at most every 10 s while busy)."""


WORKER_SAVE_INTERVAL = 10.0
"""``save_interval`` of a library that runs jobs (``vidseek worker``, ``vidseek serve`` with worker threads):
a busy worker saves the FAISS file at most this often, and always when its queue runs dry."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Library:
    def __init__(
        self,
        settings: Settings,
        notify: Callable[[str], None] = _stderr,
        *,
        refresh_interval: float = 0.0,
        save_interval: float = 0.0,
    ) -> None:
        self.settings = settings
        self.notify = notify
        self.refresh_interval = refresh_interval
        """Seconds between checks of the database's generation by ``index()`` (0: every call)."""
        self.save_interval = save_interval
        """Least seconds between FAISS file saves by ``save_index()`` (0: every call); ``force`` overrides."""
        self._sessions = open_sessions(settings.sqlalchemy_url)
        check_index_path(settings.faiss_path)
        self._index: ClipIndex | None = None
        self._dirty = False
        self._needs_rebuild = False
        self._lock = threading.RLock()
        self._checked_at = 0.0
        self._saved_at = 0.0
        self._uid: str | None = None
        self._model: str | None = None
        self._lag_since: float | None = None
        """When a memory-mapped reader first saw the database ahead of the file (None: not behind)."""
        """The model of the open index (as the database recorded it when it was opened or refreshed)."""

    @contextmanager
    def sessions(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A session for reading only, whose reads all see one committed state of the database."""
        with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            elif session.get_bind().dialect.name == "sqlite":
                # pysqlite runs SELECTs outside any transaction, one snapshot each; an explicit
                # BEGIN holds one WAL read snapshot until the rollback below.
                session.execute(text("BEGIN"))
            yield session  # closing the session ends the transaction (and keeps loaded rows usable)

    @property
    def lock_path(self) -> Path:
        return self.settings.faiss_path.with_name(self.settings.faiss_path.name + ".lock")

    def model_name(self) -> str | None:
        with self.sessions() as session:
            return index_meta.get_meta("model", session=session)

    def current_model(self) -> str | None:
        """The model the index handed out by ``index()`` belongs to (None before anything is indexed)."""
        return self._model

    def model_spec(self, model: str) -> str | None:
        """The spec to load ``model`` again here: the one recorded with it (by its first index, a
        re-embed, or a later run naming it), else the one its name says, else None."""
        with self.sessions() as session:
            return index_meta.get_meta(spec_key(model), session=session) or spec_from_name(model)

    def model_to_use(self) -> str:
        """The spec of the model commands on this library load: ``VIDSEEK_MODEL`` (or ``--model``) when
        set, else the library's own model, else the configured default (``vidseek.models.model_choice``)."""
        explicit = self.settings.model if "model" in self.settings.model_fields_set else None
        with self.sessions() as session:
            name = index_meta.get_meta("model", session=session)
            recorded = index_meta.get_meta(spec_key(name), session=session) if name is not None else None
        return choose_spec(explicit, name, recorded, default=self.settings.model)

    def remember_spec(self, model: str, spec: str) -> None:
        """Record ``spec`` as how to load ``model``, when ``model`` is the library's (or it has none yet:
        its first index will record that name) and it is not recorded already."""
        with self.sessions() as session:
            remember_spec(model, spec, session)

    def uid(self) -> str:
        """This database's index identity (made on first use); a FAISS file from another is rebuilt."""
        if self._uid is None:
            with self.sessions() as session:
                value = index_meta.get_meta("index_uid", session=session)
                if value is None:  # made once; when another process makes it at the same moment, its wins
                    index_meta.ensure_meta("index_uid", uuid.uuid4().hex, session=session)
                    session.commit()
                    value = index_meta.get_meta("index_uid", session=session)
            self._uid = value
        return self._uid

    # -- reading ---------------------------------------------------------------------------------

    def index(self) -> ClipIndex | None:
        """The FAISS index at the database's generation; None while nothing is indexed."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._open()
                    self._checked_at = time.monotonic()
            return self._index
        self.refresh()
        return self._index

    def refresh(self, *, force: bool = False) -> bool:
        """Bring the in-memory index up to the database if its generation moved; True when it did."""
        now = time.monotonic()
        if self._index is None or (not force and now - self._checked_at < self.refresh_interval):
            return False
        self._checked_at = now
        with self.sessions() as session:
            gen = store.generation(session=session)
            model = index_meta.get_meta("model", session=session) if gen != self._index.generation else self._model
        if gen == self._index.generation:
            return False
        with self._lock:
            index = self._index
            if index is None or index.generation == gen:
                return False
            if model != self._model:  # a re-embed switched models: its new file replaces this index
                self._index = self._open()
            elif index.read_only or self.settings.index_mmap:
                return self._remap(index, gen)
            else:
                self._index = self._synced(index)
            return True

    def _remap(self, index: ClipIndex, gen: int) -> bool:
        """A mapped reader behind the database: map the file once it is at ``gen`` (or repair it)."""
        header = ClipIndex.read_header(self.settings.faiss_path) or {}
        caught_up = header.get("uid") == index.uid and int(header.get("generation", -1)) >= gen
        now = time.monotonic()
        if self._lag_since is None:
            self._lag_since = now
        if not caught_up and now - self._lag_since < MMAP_MAX_LAG:
            return False  # answer from the mapped state until a writer saves the new generation
        self._index = self._open(verify=False)  # a writer just saved it: not read through again
        self._lag_since = None
        return True

    def _open(self, *, verify: bool = True) -> ClipIndex | None:
        """Load the FAISS file, bring it up to the database, or rebuild it; None when nothing is indexed.
        ``verify``: check the file's checksum (a mapped reader skips it when following a writer's save)."""
        with self.snapshot() as session:
            state = index_state(session)
        if state is None:
            return None
        self._model = state.model
        path = self.settings.faiss_path
        check_index_path(path)
        with locked(self.lock_path):
            remove_left_over_saves(path)  # under the lock: no live save is writing one now
            loaded, reason = read_index_file(path, mmap=self.settings.index_mmap, verify=verify)
            if loaded is not None:
                action, reason = file_verdict(
                    FileFacts.of(loaded),
                    dim=state.dim,
                    generation=state.generation,
                    count=state.count,
                    uid=self.uid(),
                    requested=self.settings.index_type,
                )
                if action == "use":
                    loaded.uid = self.uid()
                    return loaded
                if action == "patch":
                    self.notify(f"FAISS index {path} is {reason}; bringing it up to date from the database.")
                    return self._patched(loaded)
            if state.count == 0 and reason == "missing":
                empty = ClipIndex(state.dim, choose_index(0, self.settings.index_type), state.generation)
                empty.uid = self.uid()
                return empty
            self.notify(f"FAISS index {path} is {reason}; rebuilding it from the {state.count} clips in the database.")
            index = self._build()
            if index is None:  # everything was deleted meanwhile
                return None
            self._save_new(index)
            return self._mapped(index)

    def _patched(self, loaded: ClipIndex) -> ClipIndex:
        """A stale file's index brought up to the database, saved, and mapped again when mapping."""
        if loaded.read_only:
            loaded = ClipIndex.load(self.settings.faiss_path, verify=False)  # patched in memory, saved, mapped again
        index = self._synced(loaded)
        index.uid = self.uid()
        self._save_new(index)
        index = self._mapped(index)
        index.uid = self.uid()
        return index

    def _save_new(self, index: ClipIndex) -> None:
        """Save an index made under the file lock (the caller holds it)."""
        index.save(self.settings.faiss_path)
        self._saved_at = time.monotonic()

    def _mapped(self, index: ClipIndex) -> ClipIndex:
        """With ``index_mmap``, the just-saved ``index`` mapped from its file instead of kept in RAM."""
        if not self.settings.index_mmap or index.read_only:
            return index
        mapped = ClipIndex.load(self.settings.faiss_path, mmap=True, verify=False)  # just saved from `index`
        mapped.uid = index.uid
        return mapped if mapped.generation == index.generation else index

    def _build(self) -> ClipIndex | None:
        """A fresh index from the clip vectors, all read in one snapshot (so it matches its generation)."""
        with self.snapshot() as session:
            state = index_state(session)
            if state is None:
                return None
            dim, gen, n, _model = state
            index = build_index(
                lambda: store.iter_clip_vectors(session=session),
                dim=dim,
                n=n,
                requested=self.settings.index_type,
                generation=gen,
            )
        index.uid = self.uid()
        return index

    def _synced(self, index: ClipIndex) -> ClipIndex:
        """``index`` brought to the database's current state by difference of clip ids (in place, as
        one step), or a rebuilt index when vectors must go and this type cannot remove them."""
        with self.snapshot() as session:
            change = difference(index, session)
        if change is None:
            return self._build() or index
        gone, ids, vectors, gen = change
        index.apply(gone.tolist(), ids, vectors, gen)
        self._dirty = True
        return index

    # -- writing ---------------------------------------------------------------------------------

    def write_video(
        self,
        record: store.VideoRecord,
        times: np.ndarray,
        frame_vectors: np.ndarray,
        windows: list[tuple[int, int, float, float]],
        clip_vectors: np.ndarray,
        cues: Sequence[cue_store.CueRow] = (),
        shown: Sequence[cue_store.CueRow] | None = None,
    ) -> int:
        """Store one indexed video (``store.replace_video``): its subtitle ``cues``, and its ``shown``
        lines when its picture was read (None: not read, lines read before of the same content kept)."""
        self.index()
        with self.sessions() as session:
            video_id, new_ids, removed = store.replace_video(
                record, times, frame_vectors, windows, clip_vectors, session=session, cues=cues, shown=shown
            )
            gen = store.generation(session=session)
            session.commit()
        self._after_write(gen, removed, np.asarray(new_ids, np.int64), clip_vectors)
        return video_id

    def _after_write(self, gen: int, removed: list[int], ids: np.ndarray, vectors: np.ndarray) -> None:
        """Our commit moved the database to ``gen``: apply its change, or catch up with everything."""
        with self._lock:
            index = self._index
            if index is None or index.read_only:  # mapped: the file is brought up to date, then mapped again
                self._index = self._open()
                return
            if index.generation == gen - 1:  # nothing else happened in between: our change is the difference
                if removed and not index.supports_remove:
                    self._needs_rebuild = True
                    removed = []
                index.apply(removed, ids, np.asarray(vectors, np.float32).reshape(len(ids), index.dim), gen)
            else:
                self._index = self._synced(index)
            self._dirty = True

    def delete_videos(self, video_ids: list[int]) -> None:
        self.index()
        with self.sessions() as session:
            removed = store.delete_videos(video_ids, session=session)
            gen = store.generation(session=session)
            session.commit()
        if video_ids:
            dim = self._index.dim if self._index is not None else 0
            self._after_write(gen, removed, np.zeros(0, np.int64), np.zeros((0, dim), np.float32))

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

    def save_index(self, *, force: bool = False) -> None:
        """Save the in-memory index if it changed (not more often than ``save_interval`` unless ``force``).

        Under the file lock, and never over a file at a newer generation: several writers never
        clobber each other's work.
        """
        with self._lock:
            index = self._index
            if self._needs_rebuild or (
                index is not None
                and self._dirty
                and outgrown(index.spec, index.count, self.settings.index_type, tombstones=len(index.tombstones))
            ):
                self.rebuild_index()  # also where a grown collection moves to a bigger type, and tombstones go
                return
            if not self._dirty or index is None or index.read_only:
                return
            if not force and self.save_interval > 0 and time.monotonic() - self._saved_at < self.save_interval:
                return
            path = self.settings.faiss_path
            with locked(self.lock_path):
                if not file_is_newer(path, index):
                    index.save(path)
            self._dirty = False
            self._saved_at = time.monotonic()

    def switch_model(self, model: str, spec: str, index: ClipIndex) -> list[int]:
        """Make ``model`` the library's model: its staged vectors replace the live ones and ``index``
        (built from them) replaces the FAISS file, in one SQL transaction taken under the file lock.

        Returns the ids of videos that changed since they were staged (nothing is switched then:
        stage them again and call again); an empty list means the switch happened. Staged clips of
        videos deleted since ``index`` was built are taken out of it here.
        """
        with self._lock, locked(self.lock_path):
            with self.sessions() as session:
                gen = store.bump_generation(session=session)  # first: every other writer now waits for us
                stale = [v.id for v in staging.videos_to_stage(model, session=session)]
                if stale:
                    session.rollback()
                    return stale
                wanted = np.concatenate(
                    [ids for ids, _ in staging.iter_staged_clip_vectors(model, session=session)]
                    or [np.zeros(0, np.int64)]
                )
                have = index.ids()
                if len(np.setdiff1d(wanted, have)):
                    raise RuntimeError("the new index lacks staged clips; build it again from the staged rows")
                extra = np.setdiff1d(have, wanted)
                if len(extra) and not index.supports_remove:
                    raise RuntimeError("videos were deleted since the new index was built; build it again")
                if len(extra):  # videos deleted since the index was built
                    index.remove(extra.tolist())
                staging.switch(model, index.dim, session=session)
                index_meta.set_meta(spec_key(model), canonical_spec(spec), session=session)
                index.generation, index.uid = gen, self.uid()
                index.save(self.settings.faiss_path)  # a failed commit leaves a file ahead of SQL: rebuilt on open
                session.commit()
            self._index, self._model = self._mapped(index), model
            self._dirty = self._needs_rebuild = False
            self._saved_at = time.monotonic()
            return []

    def rebuild_index(self) -> ClipIndex | None:
        with self._lock, locked(self.lock_path):
            index = self._build()
            if index is None:
                self.settings.faiss_path.unlink(missing_ok=True)
                self._index = None
                return None
            index.save(self.settings.faiss_path)
            self._index = self._mapped(index)
            self._dirty = self._needs_rebuild = False
            self._saved_at = time.monotonic()
            return index
