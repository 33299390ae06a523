"""A text query over every signal it asks for (``modality`` of a ``TextSearch`` or a ``PhraseSearch``:
GET and POST /api/search alike): the visual moments
(``SearchEngine.find``), the speech moments (cues matched by the database's own full text,
``cue_store.search_cues``), or both fused by reciprocal rank (``search_api.search.fusion``).

A cue matches by its words (the database's full text) or by its meaning (its text tower vector
near the query's, ``search_api.search.cue_meaning``); the two cue rankings are fused into one before the
cues become speech moments. Phrases (``PhraseSearch``: ``q`` and ``positive``) are matched by words
one by one, their rankings fused like the two above; the negative phrases act through the query
vector, by meaning, as they do on what is seen. ``visual``, and ``all`` on a library where no cue matches the query,
are ``SearchEngine.page`` exactly. Otherwise the top ``FUSE_DEPTH`` moments of each signal (more
for a deeper page) are fused, so pages inside the first ``FUSE_DEPTH`` moments are cut from one
list. ``min_relevance`` bars what is seen, and what a line means for ``speech`` (``all`` fuses only
lines whose meaning reaches ``high``; a cue matched by its words passes), ``min_score`` what is
seen; the other filters apply to both. Every fused moment's ``score``, ``relevance`` and ``z``
describe what is seen in it, as for visual moments: the cosine of the query with the meanP of its
frames.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.http.schemas import PhraseSearch, TextSearch
from search_api.search.cue_meaning import meaning_matches
from search_api.search.engine import QuerySource, SearchEngine
from search_api.search.filters import video_filter as filters_predicate
from search_api.search.fusion import (
    Fused,
    Span,
    Spoken,
    fuse,
    merged_cues,
    one_line_per_video,
    speech_moments,
    within_videos,
)
from search_api.search.ground import Moment
from search_api.search.hits import Found, Hit, Need, VideoFilter
from search_api.search.paging import MomentPage, page_of
from search_api.search.relevance import Background, band
from vidseek.storage import cue_store, frame_store, store
from vidseek.storage.cue_store import CueHit
from vidseek.storage.tables import Video
from vidseek.vectors.pool import mean_pool

FUSE_DEPTH = 50
"""Moments of each signal fused (at least: a page reaching deeper fuses down to its end)."""
CUES_READ = 2000
"""Matching cues read for one query, best first."""
FUSED_MEANING_BAR = "high"
"""The band a line must reach by meaning to be fused with what is seen (``all``). ``medium`` lets in
the line that tops a few thousand unrelated ones by chance (for 1-4 of 10 queries whose topic is
never said, ``benchmarks/speech.py``); fused at rank 1 of speech, it can push the best moment seen
to second place (R1@0.5 0.925 -> 0.95 on two of three worlds with ``high``, for 0.07-0.17 fewer
said-only moments found). ``speech`` alone uses ``min_relevance``: there what is said is what was
asked for."""


WordSearch = TextSearch | PhraseSearch
"""A search by words: GET /api/search (and the CLI), or POST /api/search's phrases."""


@dataclass(frozen=True)
class Signals:
    """What found one moment of a page."""

    matched: tuple[str, ...]
    quote: str | None = None
    fused: float | None = None


def signals_key(hit: Hit) -> tuple[int, float, float]:
    return hit.video.id, hit.moment.start, hit.moment.end


def text_page(
    engine: SearchEngine, query: QuerySource, filters: WordSearch
) -> tuple[MomentPage, dict[tuple[int, float, float], Signals] | None]:
    """The page ``filters`` asks for, and the signals of each of its moments (by ``signals_key``;
    None when ``SearchEngine.page`` answered: every moment there is visual)."""
    started = time.perf_counter()
    if filters.modality == "visual":
        return engine.page(query, filters), None
    wanted = filters_predicate(filters)
    depth = max(FUSE_DEPTH, filters.offset + filters.limit + 1)

    def signals_of(vector: np.ndarray) -> tuple[np.ndarray, tuple[list[CueHit], dict[int, Video], Found] | None]:
        cues, videos = _spoken_cues(engine, filters, vector, wanted)
        if not cues and filters.modality == "all":
            return vector, None  # nothing said matches: the visual search itself
        if filters.modality == "all":
            found = engine.find(vector, Need(moments=depth), video_filter=wanted, min_relevance=filters.min_relevance)
        else:
            found = Found([], 0, engine.background(vector))
        return vector, (cues, videos, found)

    vector, heard = engine.with_query(query, signals_of)
    if heard is None:
        return engine.page(_reused(vector, engine, query), filters), None
    cues, videos, found = heard
    visual, hidden = found.hits, found.hidden
    if filters.min_score is not None:
        kept = [h for h in visual if h.moment.score >= filters.min_score]
        visual, hidden = kept, hidden + len(visual) - len(kept)
    visual = visual[:depth]
    spoken = speech_moments(cues)[:depth]
    fused = fuse([Span(h.video.id, h.moment.start, h.moment.end) for h in visual], spoken)
    with engine.library.snapshot() as session:
        hits, signals = _hits(fused, visual, spoken, videos, vector, found.background, session)
    ranked = Found(hits, hidden, found.background, found.frame_scores)
    took_ms = (time.perf_counter() - started) * 1000.0
    return page_of(ranked, filters.model_copy(update={"min_score": None}), query=vector, took_ms=took_ms), signals


def _phrases(filters: WordSearch) -> list[str]:
    """The texts a cue is matched with by its words: the query, or each phrase to look for."""
    return filters.phrases if isinstance(filters, PhraseSearch) else [filters.q]


def _by_words(filters: WordSearch, session) -> list[CueHit]:  # noqa: ANN001
    """The cues that hold the words of a phrase, best first (several phrases: their rankings fused)."""
    rankings = [cue_store.search_cues(text, CUES_READ, session=session) for text in _phrases(filters)]
    return rankings[0] if len(rankings) == 1 else merged_cues(*rankings)[:CUES_READ]


def _spoken_cues(
    engine: SearchEngine, filters: WordSearch, vector: np.ndarray, wanted: VideoFilter | None
) -> tuple[list[CueHit], dict[int, Video]]:
    """The cues that say what the query asks, by their words and by their meaning (barred by
    ``min_relevance`` for ``speech``, by ``FUSED_MEANING_BAR`` for ``all``), in one ranking, a line
    said again in one video only at its best place; and their videos (``wanted`` ones only)."""
    with engine.library.snapshot() as session:
        by_words = _by_words(filters, session)
        cues_now = engine.cue_matrices.current(engine.encoder.name, vector.shape[-1], session=session)
        bar = filters.min_relevance if filters.modality == "speech" else FUSED_MEANING_BAR
        meaning = meaning_matches(vector, cues_now, min_relevance=bar)
        by_meaning = cue_store.cue_hits([cue_id for cue_id, _ in meaning], session=session)
        cues = one_line_per_video(merged_cues(by_words, by_meaning))
        videos = store.videos_by_ids(sorted({c.video_id for c in cues}), session=session)
    kept = [c for c in cues if c.video_id in videos and (wanted is None or wanted(videos[c.video_id]))]
    return within_videos(kept, {v.id: v.duration for v in videos.values()}), videos


def _reused(vector: np.ndarray, engine: SearchEngine, query: QuerySource) -> Callable[[], np.ndarray]:
    """``vector`` the first time (it was just made), the query made again after (a model switch)."""
    made = [vector]
    return lambda: made.pop() if made else engine.query_vector(query)


def _hits(
    fused: list[Fused],
    visual: list[Hit],
    spoken: list[Spoken],
    videos: dict[int, Video],
    query: np.ndarray,
    background: Background,
    session,  # noqa: ANN001
) -> tuple[list[Hit], dict[tuple[int, float, float], Signals]]:
    """The fused moments as hits (in fused order) and their signals."""
    videos = {**videos, **{h.video.id: h.video for h in visual}}
    guesses = {id(f): _frame_guess(f, videos[f.video_id]) for f in fused if f.speech is not None}
    windows = frame_store.frame_windows(list(guesses.values()), dim=query.shape[-1], session=session)
    read = {key: (guess[1], *window) for (key, guess), window in zip(guesses.items(), windows)}
    moments: list[Moment] = []
    for f in fused:
        if f.speech is None:
            moments.append(visual[f.visual].moment)
        else:
            peak = visual[f.visual].moment.peak if f.visual is not None else spoken[f.speech].peak
            moments.append(_moment(f, peak, *read[id(f)], query, background))
    top = visual[0].moment.score if visual else max((m.score for m in moments), default=0.0)
    hits, signals = [], {}
    for f, m in zip(fused, moments):
        if f.speech is None:
            hit = visual[f.visual]
        else:
            hit = Hit(m, videos[f.video_id], band(m.score, top, background), round(background.z(m.score), 2))
        matched = tuple(name for name, rank in (("visual", f.visual), ("speech", f.speech)) if rank is not None)
        quote = spoken[f.speech].quote if f.speech is not None else None
        hits.append(hit)
        signals[signals_key(hit)] = Signals(matched, quote, round(f.score, 6))
    return hits, signals


def _frame_guess(f: Fused, video: Video) -> tuple[int, int, int]:
    """(video id, first, last) sampled frames surely covering ``f`` (frames lie about ``1/sample_fps`` apart)."""
    fps = video.sample_fps
    return video.id, max(0, math.floor(f.start * fps) - 2), math.ceil(f.end * fps) + 2


def _moment(
    f: Fused,
    peak: float,
    first_read: int,
    times: np.ndarray,
    vectors: np.ndarray,
    query: np.ndarray,
    background: Background,
) -> Moment:
    """The fused span as a moment: its sampled frames (those from ``f.start`` to before ``f.end``, or the
    one nearest its middle when none is) and the cosine of the query with their meanP."""
    if len(times) == 0:  # no frames stored for the video: it scores as unrelated material does
        return Moment(f.video_id, f.start, f.end, peak, background.level, 0, 0)
    inside = np.flatnonzero((times >= f.start - 1e-6) & (times < f.end - 1e-6))
    if len(inside) == 0:
        inside = np.array([int(np.argmin(np.abs(times - (f.start + f.end) / 2)))])
    score = float(mean_pool(vectors[inside]) @ query)
    return Moment(f.video_id, f.start, f.end, peak, score, first_read + int(inside[0]), first_read + int(inside[-1]))
