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

import time
from typing import Callable

import numpy as np

from search_api.search.calibrate import Signals, _hits
from search_api.search.engine import QuerySource, SearchEngine
from search_api.search.filters import video_filter as filters_predicate
from search_api.search.fusion import Span, fuse, speech_moments
from search_api.search.hits import Found, Need
from search_api.search.lines import WordSearch, _spoken_cues
from search_api.search.paging import MomentPage, page_of
from vidseek.storage.cue_store import CueHit
from vidseek.storage.tables import Video

FUSE_DEPTH = 50
"""Moments of each signal fused (at least: a page reaching deeper fuses down to its end)."""


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


def _reused(vector: np.ndarray, engine: SearchEngine, query: QuerySource) -> Callable[[], np.ndarray]:
    """``vector`` the first time (it was just made), the query made again after (a model switch)."""
    made = [vector]
    return lambda: made.pop() if made else engine.query_vector(query)
