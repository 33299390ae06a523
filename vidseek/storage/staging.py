"""SQL for re-embedding: new vectors staged beside the live ones, then swapped in as one transaction.

A re-embed writes each video's new frame and clip vectors to ``staged_embeddings`` while search
keeps answering from the live ``clips``/``frame_vectors`` rows and the live FAISS index. The
staged clips get their ids now, reserved from the clips' own id sequence (never reused, never
handed out twice), so the new FAISS index can be built from the staged rows before the switch and
already holds the ids the clips will have after it. ``switch`` moves everything in one transaction.

A staged row remembers the video's lowest live clip id (``source_clip``). Re-indexing a video gives
it new clip ids, so a staged row whose ``source_clip`` no longer matches describes an older file
and is staged again; deleting a video deletes its staged rows.

Functions take ``session`` as a keyword argument; callers own the transaction.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from vidseek.storage import index_meta, store
from vidseek.storage.clock import utcnow
from vidseek.storage.tables import Clip, FrameVectors, StagedEmbedding, Video


def reserve_clip_ids(n: int, *, session: Session) -> np.ndarray:
    """``n`` clip ids that no clip has or will get from an ordinary insert (int64, ascending)."""
    if n <= 0:
        return np.zeros(0, np.int64)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        rows = (
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence('clips', 'id')) FROM generate_series(1, :n)"), {"n": n}
            )
            .scalars()
            .all()
        )
        return np.sort(np.asarray(rows, np.int64))
    if dialect == "sqlite":
        # AUTOINCREMENT hands out max(sqlite_sequence.seq, max(rowid)) + 1: moving seq past a block
        # keeps that block for us (SQLite documents sqlite_sequence as writable this way).
        session.execute(
            text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'clips', COALESCE(MAX(id), 0) FROM clips "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'clips')"
            )
        )
        session.execute(
            text(
                "UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(id) FROM clips), 0)) + :n "
                "WHERE name = 'clips'"
            ),
            {"n": n},
        )
        last = int(session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'clips'")))
        return np.arange(last - n + 1, last + 1, dtype=np.int64)
    raise NotImplementedError(f"re-embedding is not supported on {dialect}")  # pragma: no cover


def first_clip_of(video_id: int, *, session: Session) -> int:
    """The video's lowest live clip id (0 when it has none): what a staged row is checked against."""
    return int(session.scalar(select(func.min(Clip.id)).where(Clip.video_id == video_id)) or 0)


def videos_to_stage(model: str, *, session: Session) -> list[Video]:
    """Videos with no staged row for ``model``, or one staged from an older version of the file."""
    first = select(Clip.video_id, func.min(Clip.id).label("first")).group_by(Clip.video_id).subquery()
    query = (
        select(Video)
        .outerjoin(StagedEmbedding, and_(StagedEmbedding.video_id == Video.id, StagedEmbedding.model == model))
        .outerjoin(first, first.c.video_id == Video.id)
        .where(or_(StagedEmbedding.video_id.is_(None), StagedEmbedding.source_clip != func.coalesce(first.c.first, 0)))
        .order_by(Video.id)
    )
    return list(session.scalars(query))


def stage_video(
    model: str,
    video_id: int,
    source_clip: int,
    times: np.ndarray,
    vectors: np.ndarray,
    windows: list[tuple[int, int, float, float]],
    clip_vectors: np.ndarray,
    *,
    session: Session,
) -> bool:
    """Stage one video's new vectors; False (nothing written) when the video changed or went away
    since ``source_clip`` was read. The video's row is locked first, so a re-index running at the
    same moment either lands before (and this one sees it) or after (and deletes this row)."""
    locked = session.execute(select(Video.id).where(Video.id == video_id).with_for_update()).scalar()
    if locked is None or first_clip_of(video_id, session=session) != source_clip:
        return False
    session.execute(delete(StagedEmbedding).where(StagedEmbedding.model == model, StagedEmbedding.video_id == video_id))
    vectors = np.ascontiguousarray(vectors, np.float32)
    session.add(
        StagedEmbedding(
            model=model,
            video_id=video_id,
            source_clip=source_clip,
            count=len(times),
            dim=vectors.shape[1],
            times=np.asarray(times, np.float64).tobytes(),
            vectors=vectors.tobytes(),
            clip_ids=reserve_clip_ids(len(windows), session=session).tobytes(),
            clip_windows=np.asarray(windows, np.float64).reshape(len(windows), 4).tobytes(),
            clip_vectors=np.ascontiguousarray(clip_vectors, np.float32).tobytes(),
            created_at=utcnow(),
        )
    )
    session.flush()
    return True


def staged_counts(model: str, *, session: Session) -> tuple[int, int]:
    """(videos staged for ``model``, their clips)."""
    rows = session.execute(select(StagedEmbedding.clip_ids).where(StagedEmbedding.model == model))
    sizes = [len(blob) // 8 for (blob,) in rows]
    return len(sizes), sum(sizes)


def iter_staged_clip_vectors(
    model: str, *, session: Session, block: int = 200
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(clip ids, clip vectors) of every staged video of ``model``, ``block`` videos at a time."""
    last = 0
    while True:
        rows = session.execute(
            select(
                StagedEmbedding.video_id, StagedEmbedding.dim, StagedEmbedding.clip_ids, StagedEmbedding.clip_vectors
            )
            .where(StagedEmbedding.model == model, StagedEmbedding.video_id > last)
            .order_by(StagedEmbedding.video_id)
            .limit(block)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        ids = np.concatenate([np.frombuffer(r[2], np.int64) for r in rows])
        vectors = np.vstack([np.frombuffer(r[3], np.float32).reshape(-1, r[1]) for r in rows])
        yield ids, vectors


def switch(model: str, dim: int, *, session: Session) -> list[int]:
    """Replace every video's live clips and frames by its staged ones and record ``model`` as the
    index's model, in the caller's transaction; returns the removed clip ids.

    The caller has moved the generation first in this transaction (which makes other writers wait)
    and checked that ``videos_to_stage`` is empty.
    """
    removed = store.all_clip_ids(session=session).tolist()
    session.execute(delete(Clip))
    session.execute(delete(FrameVectors))
    session.execute(
        insert(FrameVectors).from_select(
            ["video_id", "count", "dim", "times", "vectors"],
            select(
                StagedEmbedding.video_id,
                StagedEmbedding.count,
                StagedEmbedding.dim,
                StagedEmbedding.times,
                StagedEmbedding.vectors,
            ).where(StagedEmbedding.model == model),
        )
    )
    for rows in _staged_clip_rows(model, session=session):
        session.execute(insert(Clip), rows)
    session.execute(update(Video).values(model_name=model))
    session.execute(delete(StagedEmbedding))  # every other model's rows now describe replaced clip ids
    index_meta.set_meta("model", model, session=session)
    index_meta.set_meta("dim", str(dim), session=session)
    return removed


def _staged_clip_rows(model: str, *, session: Session, block: int = 200) -> Iterator[list[dict]]:
    last = 0
    while True:
        rows = session.execute(
            select(
                StagedEmbedding.video_id,
                StagedEmbedding.dim,
                StagedEmbedding.clip_ids,
                StagedEmbedding.clip_windows,
                StagedEmbedding.clip_vectors,
            )
            .where(StagedEmbedding.model == model, StagedEmbedding.video_id > last)
            .order_by(StagedEmbedding.video_id)
            .limit(block)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        out: list[dict] = []
        for video_id, dim, ids_blob, windows_blob, vectors_blob in rows:
            ids = np.frombuffer(ids_blob, np.int64)
            windows = np.frombuffer(windows_blob, np.float64).reshape(len(ids), 4)
            vectors = np.frombuffer(vectors_blob, np.float32).reshape(len(ids), dim)
            out.extend(
                {
                    "id": int(i),
                    "video_id": int(video_id),
                    "first_frame": int(w[0]),
                    "last_frame": int(w[1]),
                    "start": float(w[2]),
                    "end": float(w[3]),
                    "vector": v.tobytes(),
                }
                for i, w, v in zip(ids, windows, vectors)
            )
        yield out
