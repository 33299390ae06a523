"""Reads of stored frame vectors (SQL): a video's frames, windows of many videos in one statement (SQLite
blob reads or ``substr``), and the clips centred on a window."""

from __future__ import annotations

import sqlite3
from typing import Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidseek.storage.frame_source import FrameReader
from vidseek.storage.tables import Clip, FrameVectors


def frames_of(video_id: int, *, session: Session) -> tuple[np.ndarray, np.ndarray]:
    """(times, vectors) of one video's sampled frames."""
    row = session.get(FrameVectors, video_id)
    if row is None:
        return np.zeros(0), np.zeros((0, 0), np.float32)
    times = np.frombuffer(row.times, dtype=np.float64)
    vectors = np.frombuffer(row.vectors, dtype=np.float32).reshape(row.count, row.dim)
    return times, vectors


_FRAME_WINDOW = "SELECT substr(times, {0}, {0}), substr(vectors, {0}, {0}) FROM frame_vectors WHERE video_id = {0}"

WindowRequest = tuple[int, int, int]
"""(video id, first frame, last frame): frames ``first..last`` (inclusive, clamped) of one video."""


def frame_window(
    video_id: int, first: int, last: int, *, dim: int, session: Session, frames: FrameReader | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(times, vectors) of sampled frames ``first..last`` (inclusive, clamped) of one video; from the
    frame file when ``frames`` holds the video as the session sees it (``vidseek.storage.frame_source``).

    Reads only those bytes of the stored blobs (``substr``, one statement, sent to the driver as
    it is), so reading a window of an hour-long video costs a few kilobytes, not the whole video's
    vectors. ``frame_windows`` reads many windows in one statement.
    """
    first = max(0, first)
    n = last - first + 1
    if n <= 0:
        return _no_frames(dim)
    mapped = frames.window(video_id, first, last) if frames is not None else None
    if mapped is not None:
        return mapped
    connection = session.connection()
    row = connection.exec_driver_sql(
        _FRAME_WINDOW.format(_driver_mark(connection)), (*_window_bytes(first, n, dim), video_id)
    ).first()
    return _window_of(row, dim)


FRAME_WINDOWS_PER_STATEMENT = 500
"""Windows one statement of ``frame_windows`` reads (6 parameters each: far inside SQLite's 32,766
and PostgreSQL's 65,535); more are read in further statements."""

_FRAME_WINDOWS = (
    "WITH wanted(pos, video_id, times_from, times_len, vectors_from, vectors_len) AS (VALUES {rows}) "
    "SELECT wanted.pos, substr(f.times, wanted.times_from, wanted.times_len), "
    "substr(f.vectors, wanted.vectors_from, wanted.vectors_len) "
    "FROM wanted JOIN frame_vectors f ON f.video_id = wanted.video_id"
)


def frame_windows(
    requests: Sequence[WindowRequest], *, dim: int, session: Session, frames: FrameReader | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``frame_window`` of each request, in the requests' order, read in one statement (a table of
    the requests joined to the frame rows, ``substr`` on each; one more for every
    ``FRAME_WINDOWS_PER_STATEMENT`` requests): grounding reads the windows of all its candidate
    videos at once. A video may be asked for more than once; an empty request or a missing video
    gives no frames. With ``frames``, the windows it holds are sliced from the frame file, the rest read."""
    out = [_no_frames(dim) for _ in requests]
    if frames is not None:
        requests, positions = _from_file(requests, frames, out)
    else:
        positions = range(len(requests))
    asked = [(positions[p], *rest) for p, *rest in _window_parameters(requests, dim)]
    if not asked:
        return out
    connection = session.connection()
    raw = connection.connection.driver_connection
    if SQLITE_BLOB_READS and connection.dialect.name == "sqlite" and hasattr(raw, "blobopen"):
        _read_sqlite_blobs(raw, asked, dim, out)
        return out
    mark = _driver_mark(connection)
    for lo in range(0, len(asked), FRAME_WINDOWS_PER_STATEMENT):
        chunk = asked[lo : lo + FRAME_WINDOWS_PER_STATEMENT]
        statement = _FRAME_WINDOWS.format(rows=_integer_rows(len(chunk), 6, mark))
        for row in connection.exec_driver_sql(statement, tuple(v for request in chunk for v in request)):
            out[row[0]] = _window_of(row[1:], dim)
    return out


def _from_file(
    requests: Sequence[WindowRequest], frames: FrameReader, out: list
) -> tuple[list[WindowRequest], list[int]]:
    """Fill ``out`` with the windows the frame file holds; the other requests and their positions."""
    rest, positions = [], []
    for pos, (video_id, first, last) in enumerate(requests):
        mapped = frames.window(video_id, first, last) if last >= max(0, first) else None
        if mapped is None:
            rest.append((video_id, first, last))
            positions.append(pos)
        else:
            out[pos] = mapped
    return rest, positions


SQLITE_BLOB_READS = True
"""On SQLite ``frame_windows`` reads through incremental blob I/O (``_read_sqlite_blobs``); False
sends the one statement it sends to PostgreSQL."""


def _read_sqlite_blobs(raw, asked: list[tuple[int, ...]], dim: int, out: list) -> None:  # noqa: ANN001
    """``frame_windows`` on SQLite: the windows read through incremental blob I/O on the session's
    own connection (so within its snapshot) instead of ``substr``, which makes SQLite read a blob's
    overflow pages from its start up to the offset: 2x faster for windows of 400 s videos, no SQL
    statement at all. ``frame_vectors.video_id`` is the table's rowid."""
    for pos, video_id, times_from, times_len, vectors_from, vectors_len in asked:
        try:
            with raw.blobopen("frame_vectors", "times", video_id, readonly=True) as blob:
                times = _blob_slice(blob, times_from - 1, times_len)
            with raw.blobopen("frame_vectors", "vectors", video_id, readonly=True) as blob:
                vectors = _blob_slice(blob, vectors_from - 1, vectors_len)
        except sqlite3.OperationalError:  # no such row: the video is gone
            continue
        out[pos] = _window_of((times, vectors), dim)


def _blob_slice(blob, start: int, length: int) -> bytes:  # noqa: ANN001
    """Bytes ``start .. start + length`` of an open blob, clamped to its end (as ``substr`` does)."""
    size = len(blob)
    if start >= size or length <= 0:
        return b""
    blob.seek(start)
    return blob.read(min(length, size - start))


def _window_parameters(requests: Sequence[WindowRequest], dim: int) -> list[tuple[int, ...]]:
    """(position, video id, ``_window_bytes``) of each request that asks for at least one frame."""
    out = []
    for pos, (video_id, first, last) in enumerate(requests):
        first = max(0, first)
        if last >= first:
            out.append((pos, video_id, *_window_bytes(first, last - first + 1, dim)))
    return out


def _window_bytes(first: int, n: int, dim: int) -> tuple[int, int, int, int]:
    """``substr`` arguments (from, length; 1-based) of frames ``first .. first + n - 1`` in the times
    blob (float64) and in the vectors blob (``dim`` float32 each)."""
    return first * 8 + 1, n * 8, first * dim * 4 + 1, n * dim * 4


def _window_of(row, dim: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(times, vectors) from a row of (times bytes, vectors bytes); None or empty: no frames."""
    if row is None or not row[0]:
        return _no_frames(dim)
    times = np.frombuffer(row[0], dtype=np.float64)
    return times, np.frombuffer(row[1], dtype=np.float32).reshape(len(times), dim)


def _no_frames(dim: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0), np.zeros((0, dim), np.float32)


def _driver_mark(connection) -> str:  # noqa: ANN001
    """The driver's placeholder for statements sent as they are (``?`` for sqlite3, ``%s`` for psycopg)."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _integer_rows(rows: int, columns: int, mark: str) -> str:
    """``rows`` rows of a VALUES list of ``columns`` integer parameters each (cast, so PostgreSQL
    types the table's columns as integers whatever the driver binds)."""
    row = "(" + ", ".join([f"CAST({mark} AS INTEGER)"] * columns) + ")"
    return ", ".join([row] * rows)


CLIP_FRAMES_PER_STATEMENT = 5000
"""Clip ids one statement of ``clip_frames`` looks up."""


def clip_frames(
    ids: list[int], *, session: Session, frames: FrameReader | None = None
) -> dict[int, tuple[int, int, int]]:
    """clip id -> (video id, first frame, last frame), for the clips of ``ids`` that exist (no vectors
    read); those the frame file holds (``frames``) from it, the rest from SQL. Sent to the driver as it
    is: grounding asks it for every ANN answer, and building the statement in SQLAlchemy cost more
    than running it."""
    out: dict[int, tuple[int, int, int]] = {}
    if frames is not None and ids:
        out, ids = frames.clip_frames(ids)
    if not ids:
        return out
    connection = session.connection()
    raw = connection.connection.driver_connection
    mark = _driver_mark(connection)
    for lo in range(0, len(ids), CLIP_FRAMES_PER_STATEMENT):
        chunk = tuple(int(i) for i in ids[lo : lo + CLIP_FRAMES_PER_STATEMENT])
        statement = (
            f"SELECT id, video_id, first_frame, last_frame FROM clips WHERE id IN ({', '.join([mark] * len(chunk))})"
        )
        cursor = raw.cursor()  # the driver's own rows: SQLAlchemy's row objects cost more than the query
        try:
            cursor.execute(statement, chunk)
            out.update({cid: (vid, first, last) for cid, vid, first, last in cursor.fetchall()})
        finally:
            cursor.close()
    return out


def centred_clip_id(video_id: int, first: int, last: int, *, session: Session) -> int | None:
    """The clip of ``video_id`` whose middle is nearest the middle of sampled frames ``first..last``."""
    middle_gap = func.abs(Clip.first_frame + Clip.last_frame - (first + last))
    return session.scalar(select(Clip.id).where(Clip.video_id == video_id).order_by(middle_gap, Clip.id).limit(1))


_CENTRED_CLIPS = (  # the gap is a column of a derived table: SQLite's ORDER BY may not name the outer query
    "WITH wanted(pos, video_id, middle) AS (VALUES {rows}) "
    "SELECT wanted.pos, (SELECT near.id FROM (SELECT c.id, abs(c.first_frame + c.last_frame - wanted.middle) AS gap "
    "FROM clips c WHERE c.video_id = wanted.video_id) AS near ORDER BY near.gap, near.id LIMIT 1) FROM wanted"
)

CENTRED_CLIPS_PER_STATEMENT = 1000
"""Requests one statement of ``centred_clip_ids`` answers (3 parameters each)."""


def centred_clip_ids(requests: Sequence[WindowRequest], *, session: Session) -> list[int | None]:
    """``centred_clip_id`` of each (video id, first frame, last frame), in order, in one statement
    (the clip whose middle is nearest, the lowest id among equally near ones; None for a video
    without clips)."""
    out: list[int | None] = [None] * len(requests)
    if not requests:
        return out
    connection = session.connection()
    mark = _driver_mark(connection)
    for lo in range(0, len(requests), CENTRED_CLIPS_PER_STATEMENT):
        chunk = requests[lo : lo + CENTRED_CLIPS_PER_STATEMENT]
        values = tuple(v for pos, (vid, first, last) in enumerate(chunk, lo) for v in (pos, vid, first + last))
        statement = _CENTRED_CLIPS.format(rows=_integer_rows(len(chunk), 3, mark))
        for pos, clip_id in connection.exec_driver_sql(statement, values):
            out[pos] = clip_id
    return out
