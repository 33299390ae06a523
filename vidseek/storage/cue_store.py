"""SQL of a video's cues (its subtitle and transcript lines): the one write (``write_cues``), reads by
video, track and id, counts, and the full-text search (FTS5 on SQLite, tsquery on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from vidseek.said import cue_bounds, cue_sources, lexical, text_analysis
from vidseek.storage.index_meta import ensure_meta
from vidseek.storage.tables import Cue, IndexMeta, Video


@dataclass(frozen=True)
class CueRow:
    """A cue to store."""

    start: float
    end: float
    text: str
    source: str
    lang: str | None = None


@dataclass(frozen=True)
class CueHit:
    """A stored cue that matched a lexical query; ``rank`` 0 is the best match."""

    id: int
    video_id: int
    start: float
    end: float
    text: str
    source: str
    lang: str | None
    rank: int


def cues_of(video_id: int, *, session: Session, source: str | None = None) -> list[Cue]:
    """The video's cues in time order; only those of ``source`` (``sidecar:NAME``, ``stream:N``) when given."""
    query = select(Cue).where(Cue.video_id == video_id)
    if source is not None:
        query = query.where(Cue.source == source)
    return list(session.scalars(query.order_by(Cue.start, Cue.id)))


@dataclass(frozen=True)
class TimedCue:
    """A stored cue's time and text, as ``timed_cues`` reads it."""

    id: int
    start: float
    end: float
    text: str


def track_cue_ids(video_id: int, source: str, *, session: Session) -> np.ndarray:
    """The ids of the video's cues of ``source`` in time order (start, end, id): 8 bytes a cue, so a
    caller can read a long track's text a page at a time (``timed_cues``) without holding it whole."""
    rows = session.execute(
        select(Cue.id).where(Cue.video_id == video_id, Cue.source == source).order_by(Cue.start, Cue.end, Cue.id)
    )
    return np.fromiter((row[0] for row in rows), dtype=np.int64)


def timed_cues(ids: Sequence[int], *, session: Session) -> list[TimedCue]:
    """The cues of ``ids`` that still exist, in the order given."""
    if not len(ids):
        return []
    wanted = [int(i) for i in ids]
    rows = session.execute(select(Cue.id, Cue.start, Cue.end, Cue.text).where(Cue.id.in_(wanted)))
    found = {row[0]: TimedCue(*row) for row in rows}
    return [found[i] for i in wanted if i in found]


def cue_source_counts(
    video_ids: Sequence[int] | None = None, *, session: Session
) -> dict[int, list[tuple[str, str | None, int]]]:
    """(source, language, cue count) of each video's cues, by video id (every video's when ``video_ids``
    is None); a video without cues is not in it."""
    query = select(Cue.video_id, Cue.source, Cue.lang, func.count()).group_by(Cue.video_id, Cue.source, Cue.lang)
    ids = list(video_ids) if video_ids is not None else None
    batches = (
        [query]
        if ids is None
        else [query.where(Cue.video_id.in_(ids[lo : lo + 5000])) for lo in range(0, len(ids), 5000)]
    )
    out: dict[int, list[tuple[str, str | None, int]]] = {}
    for batch in batches:
        for video_id, source, lang, count in session.execute(batch.order_by(Cue.video_id, Cue.source, Cue.lang)):
            out.setdefault(video_id, []).append((source, lang, count))
    return out


def cue_hits(ids: Sequence[int], *, session: Session) -> list[CueHit]:
    """The cues of ``ids`` that still exist, in the order given (``rank`` their place in it)."""
    rows = {c.id: c for c in session.scalars(select(Cue).where(Cue.id.in_(list(ids))))} if ids else {}
    found = [rows[i] for i in ids if i in rows]
    return [CueHit(c.id, c.video_id, c.start, c.end, c.text, c.source, c.lang, rank=r) for r, c in enumerate(found)]


_CUE_SEARCH = {
    "sqlite": (
        'SELECT c.id, c.video_id, c.start, c."end", c.text, c.source, c.lang FROM cues_fts '
        "JOIN cues c ON c.id = cues_fts.rowid WHERE cues_fts MATCH ?{kind} ORDER BY bm25(cues_fts), c.id LIMIT ?"
    ),
    "postgresql": (
        'SELECT c.id, c.video_id, c.start, c."end", c.text, c.source, c.lang FROM cues c, '
        "CAST(%s AS tsquery) q WHERE c.terms_tsv @@ q{kind} "
        "ORDER BY ts_rank_cd(c.terms_tsv, q) DESC, c.id LIMIT %s"
    ),
}
_KIND_FILTER = {
    None: "",
    "shown": f" AND c.source LIKE '{cue_sources.SHOWN}%'",
    "speech": f" AND c.source NOT LIKE '{cue_sources.SHOWN}%'",
}
"""Which lines a search by words reads: every line, those read in the picture, or those said."""

STEMMER_KEY = "cue_stemmer:"
"""``index_meta`` keys ``cue_stemmer:NAME``: the Snowball stemmers the library's lines were analysed with."""


def cue_stemmers(*, session: Session) -> frozenset[str]:
    """The Snowball stemmers of the library's lines' languages (a query word is tried in each)."""
    keys = session.scalars(select(IndexMeta.key).where(IndexMeta.key.like(STEMMER_KEY + "%")))
    return frozenset(k.removeprefix(STEMMER_KEY) for k in keys)


def search_cues(query: str, limit: int, *, session: Session, kind: str | None = None) -> list[CueHit]:
    """The ``limit`` cues that best match ``query`` (``vidseek.said.lexical``: words, "phrases", prefix*),
    only lines ``shown`` in the picture or only ``speech`` (said: subtitles, transcripts) when ``kind`` says,
    best first, by the database's own full-text engine over the cues' analysed ``terms`` (FTS5 bm25
    on SQLite, ``ts_rank_cd`` on PostgreSQL; both match the same cues); [] when the query holds no word."""
    found = lexical.terms(query, cue_stemmers(session=session))
    if not found:
        return []
    connection = session.connection()
    dialect = connection.dialect.name
    text_ = lexical.fts5_match(found) if dialect == "sqlite" else lexical.tsquery(found)
    kind_filter = _KIND_FILTER[kind] if dialect == "sqlite" else _KIND_FILTER[kind].replace("%", "%%")  # pyformat
    sql = _CUE_SEARCH[dialect].format(kind=kind_filter)
    rows = connection.exec_driver_sql(sql, (text_, limit)).all()
    return [CueHit(*row, rank=i) for i, row in enumerate(rows)]


def write_cues(
    video_id: int, cues: Sequence[CueRow], *, replacing: str, session: Session, per_hour: int | None = None
) -> str | None:
    """The one write of a video's cues: every cue stored goes through here (the indexer's subtitles, a
    sidecar re-read, a transcription). ``replacing`` says which of the video's cues ``cues`` replace
    (``vidseek.said.cue_sources``): ``subtitles``, ``transcript`` or ``shown`` (the others are kept) or
    ``all``. The caller commits: the old cues go and the new ones land together. The full-text
    index follows (triggers on SQLite, a stored generated column on PostgreSQL).

    What is stored is ``vidseek.said.cue_bounds.bounded``: text without control characters and at most
    ``cue_bounds.TEXT_BYTES``, times inside the video's duration, and, when ``per_hour`` is given, at
    most that many lines of a source an hour. Each cue's ``terms`` are analysed here
    (``vidseek.said.text_analysis``, by its language) for the full-text index. Returns the note saying
    what was dropped or cut, if any."""
    cue_sources.check_write(replacing, (c.source for c in cues))
    video = session.get(Video, video_id)
    kept = cue_bounds.bounded(cues, video.duration if video is not None else None, per_hour)
    existing = session.execute(select(Cue.id, Cue.source).where(Cue.video_id == video_id)).all()
    gone = [cue_id for cue_id, source in existing if cue_sources.replaced_by(replacing, source)]
    for lo in range(0, len(gone), 5000):
        session.execute(delete(Cue).where(Cue.id.in_(gone[lo : lo + 5000])))
    rows = [
        {
            "video_id": video_id,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "source": c.source,
            "lang": c.lang,
            "terms": text_analysis.index_text(c.text, c.lang),
        }
        for c in kept.cues
    ]
    for lo in range(0, len(rows), 5000):
        session.execute(insert(Cue), rows[lo : lo + 5000])
    for stemmer in sorted({text_analysis.stemmer_of(c.lang) for c in kept.cues} - {None}):
        ensure_meta(STEMMER_KEY + stemmer, "1", session=session)
    session.flush()
    return kept.note


def cue_counts(video_ids: Sequence[int] | None = None, *, session: Session) -> dict[int, tuple[int, int]]:
    """(subtitle cues, transcript cues) of each of ``video_ids`` (None: of every video) that has any said
    line; lines read in the picture (``shown:``) are neither (``shown_counts``)."""
    out = {}
    for video_id, sources in cue_source_counts(video_ids, session=session).items():
        heard = sum(n for source, _, n in sources if cue_sources.is_transcript(source))
        seen = sum(n for source, _, n in sources if cue_sources.is_shown(source))
        if seen < sum(n for _, _, n in sources):
            out[video_id] = (sum(n for _, _, n in sources) - heard - seen, heard)
    return out


def shown_counts(video_ids: Sequence[int] | None = None, *, session: Session) -> dict[int, int]:
    """Lines read in the picture (``shown:`` cues) of each of ``video_ids`` (None: every video) that has any."""
    out: dict[int, int] = {}
    for video_id, sources in cue_source_counts(video_ids, session=session).items():
        seen = sum(n for source, _, n in sources if cue_sources.is_shown(source))
        if seen:
            out[video_id] = seen
    return out
