"""Cue texts embedded by a model's text tower (SQL of ``cue_vectors``), and the step that fills them.

Semantic search over what is said compares the query's vector with these (``search_api.search.cue_meaning``).
Rows are keyed by (cue, model): the library's current model's rows are the ones searched, and a
re-embed fills its new model's rows before it switches. A cue without a row is still found by its
words; ``fill`` embeds every cue that lacks one, and is safe to run from several processes at once
(a row another process wrote first, or of a cue deleted meanwhile, is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import faiss
import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vidseek.storage.tables import Cue, CueVector

FILL_BATCH = 256
"""Cue texts per text-tower call while filling."""

_INSERT = text(
    "INSERT INTO cue_vectors (cue_id, model, vector) SELECT :cue_id, :model, :vector "
    "WHERE EXISTS (SELECT 1 FROM cues WHERE id = :cue_id) ON CONFLICT DO NOTHING"
)


class TextEncoder(Protocol):
    name: str

    def encode_text(self, texts: list[str]) -> np.ndarray: ...


class Sessions(Protocol):
    def sessions(self):  # noqa: ANN201 - a context manager of sessions (``Library.sessions``)
        ...


SAMPLE_ROWS = 4096
"""Rows a matrix keeps as float32 to measure a query's background (all of them, up to this many)."""
PARALLEL_ROWS = 262144
"""Segments this big are searched on FAISS's threads; smaller ones on the calling thread alone."""
READ_BLOCK = 20000
"""Rows read from SQL at a time into a matrix."""
MAX_SEGMENTS = 8
"""A copy grown by this many appended segments is read again whole."""


@dataclass(frozen=True)
class CueSegment:
    """Cue vectors in a FAISS fp16 inner-product index (half the memory of float32, SIMD-decoded);
    row ``i`` is cue ``cue_ids[i]``. Never changed once built, so searches need no lock."""

    cue_ids: np.ndarray
    video_ids: np.ndarray
    index: faiss.Index


@dataclass(frozen=True)
class CueMatrix:
    """Every cue vector of one model: segments searched together, and an even sample of rows."""

    dim: int
    segments: tuple[CueSegment, ...]
    sample: np.ndarray
    """float32 rows spread evenly over the first segment's: all of them up to ``SAMPLE_ROWS``, else one
    every ``ceil(rows / SAMPLE_ROWS)``."""

    @property
    def size(self) -> int:
        return sum(len(s.cue_ids) for s in self.segments)

    @property
    def cue_ids(self) -> np.ndarray:
        return np.concatenate([s.cue_ids for s in self.segments] or [np.zeros(0, np.int64)])

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, cue ids) of the ``k`` best rows for ``query`` (unit float32), best first; ties by cue id."""
        scores, ids = [], []
        for s in self.segments:
            got, rows = _search(s, query[None].astype(np.float32), min(k, len(s.cue_ids)))
            keep = rows[0] >= 0
            scores.append(got[0][keep])
            ids.append(s.cue_ids[rows[0][keep]])
        score, cue = np.concatenate(scores or [np.zeros(0)]), np.concatenate(ids or [np.zeros(0, np.int64)])
        order = np.lexsort((cue, -score))[:k]
        return score[order], cue[order]


def cue_matrix(dim: int, cue_ids: np.ndarray, video_ids: np.ndarray, vectors: np.ndarray) -> CueMatrix:
    """A matrix of one segment, from unit float32 ``vectors`` row-aligned with the ids."""
    segment = _segment(dim, cue_ids, video_ids, vectors)
    stride = max(1, -(-len(vectors) // SAMPLE_ROWS))
    sample = np.ascontiguousarray(vectors[::stride] if len(vectors) else np.zeros((0, dim)), dtype=np.float32)
    return CueMatrix(dim, (segment,), sample)


def appended(first: CueMatrix, then: CueMatrix) -> CueMatrix:
    """``first`` with ``then``'s rows as more segments (``first`` is not changed)."""
    return CueMatrix(first.dim, first.segments + then.segments, first.sample)


def _search(segment: CueSegment, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """FAISS's search of one segment; on one thread below ``PARALLEL_ROWS`` (waking OpenMP's threads
    costs more than a small scan, and far more on a busy machine)."""
    if len(segment.cue_ids) >= PARALLEL_ROWS:
        return segment.index.search(query, k)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return segment.index.search(query, k)
    finally:
        faiss.omp_set_num_threads(threads)


def _segment(dim: int, cue_ids: np.ndarray, video_ids: np.ndarray, vectors: np.ndarray) -> CueSegment:
    index = _index(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return CueSegment(np.asarray(cue_ids, np.int64), np.asarray(video_ids, np.int64), index)


def _index(dim: int) -> faiss.Index:
    return faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)


def top_id(model: str, *, session: Session) -> int:
    """The highest cue id with a vector of ``model`` (0 for none): one index seek, so a reader can ask
    on every search whether rows were added (cue ids are never reused; a fill goes up by id)."""
    return int(session.scalar(select(func.coalesce(func.max(CueVector.cue_id), 0)).where(CueVector.model == model)))


def count(model: str, *, session: Session) -> int:
    """How many vectors ``model`` has (a scan of its index: ~70 ms at a million rows on SQLite)."""
    return int(session.scalar(select(func.count()).select_from(CueVector).where(CueVector.model == model)))


def state(model: str, *, session: Session) -> tuple[int, int]:
    """(rows, highest cue id) of ``model``: changes whenever a row is added or removed."""
    return count(model, session=session), top_id(model, session=session)


def matrix(model: str, dim: int, *, after: int = 0, session: Session, block: int = READ_BLOCK) -> CueMatrix:
    """The cue vectors of ``model`` whose cue id is above ``after`` (all by default), by cue id, read
    ``block`` rows at a time into the index (a million lines never sit in memory twice); rows of
    another width are skipped (a model's rows all share one)."""
    total = session.scalar(
        select(func.count()).select_from(CueVector).where(CueVector.model == model, CueVector.cue_id > after)
    )
    stride = max(1, -(-int(total) // SAMPLE_ROWS))
    index = _index(dim)
    cue_ids, video_ids, sample = [], [], []
    query = (
        select(CueVector.cue_id, Cue.video_id, CueVector.vector)
        .join(Cue, Cue.id == CueVector.cue_id)
        .where(CueVector.model == model, CueVector.cue_id > after)
        .order_by(CueVector.cue_id)
        .execution_options(yield_per=block)
    )
    seen = 0
    for rows in session.execute(query).partitions(block):
        rows = [r for r in rows if len(r[2]) == 4 * dim]
        if not rows:
            continue
        vectors = np.frombuffer(b"".join(r[2] for r in rows), np.float32).reshape(len(rows), dim)
        index.add(vectors)
        cue_ids.append(np.array([r[0] for r in rows], np.int64))
        video_ids.append(np.array([r[1] for r in rows], np.int64))
        sample.append(vectors[(-seen) % stride :: stride])
        seen += len(rows)
    ids = np.concatenate(cue_ids or [np.zeros(0, np.int64)])
    segment = CueSegment(ids, np.concatenate(video_ids or [np.zeros(0, np.int64)]), index)
    rows = np.concatenate(sample or [np.zeros((0, dim), np.float32)]).astype(np.float32)
    return CueMatrix(dim, (segment,), rows)


def missing(model: str, limit: int, *, after: int = 0, session: Session) -> list[tuple[int, str]]:
    """Up to ``limit`` (cue id, text) of cues above id ``after`` that have no vector of ``model``, by id."""
    has = select(CueVector.cue_id).where(CueVector.model == model, CueVector.cue_id == Cue.id).exists()
    rows = session.execute(select(Cue.id, Cue.text).where(Cue.id > after, ~has).order_by(Cue.id).limit(limit)).all()
    return [(int(r[0]), r[1]) for r in rows]


def write(model: str, cue_ids: list[int], vectors: np.ndarray, *, session: Session) -> None:
    """Store ``vectors`` (float32, one per cue id) as ``model``'s; rows already there, and cues gone, are skipped."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    session.execute(_INSERT, [{"cue_id": c, "model": model, "vector": v.tobytes()} for c, v in zip(cue_ids, vectors)])


def drop_other_models(model: str, *, session: Session) -> None:
    """Remove the vectors of every model but ``model`` (after a switch, nothing searches them)."""
    session.execute(delete(CueVector).where(CueVector.model != model))


def fill(library: Sessions, encoder: TextEncoder, *, batch: int = FILL_BATCH) -> int:
    """Embed every cue that has no vector of ``encoder``'s model, ``batch`` texts a call, one commit a
    batch (a killed process keeps what it committed). Returns how many vectors were written."""
    written, after = 0, 0
    while True:
        with library.sessions() as session:
            todo = missing(encoder.name, batch, after=after, session=session)
        if not todo:
            return written
        vectors = normalised(encoder.encode_text([t for _, t in todo]))
        with library.sessions() as session:
            try:
                write(encoder.name, [c for c, _ in todo], vectors, session=session)
                session.commit()
                written += len(todo)
            except IntegrityError:  # a cue deleted between the check and the commit: the next fill retries
                session.rollback()
        after = todo[-1][0]


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
