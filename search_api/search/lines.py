"""Line candidates, a stage of the search (``search_api.search.engine``): the lines (subtitle and
transcript cues, and text shown in the picture) that say what the query asks, by their words (the
database's full text, several phrases' rankings fused) and by their meaning
(``search_api.search.cue_meaning``), in one ranking: a line said again in one video once, only lines
of wanted videos, inside their video."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from search_api.http.schemas import PhraseSearch, TextSearch
from search_api.search.cue_meaning import CueMatrices, meaning_matches
from search_api.search.fusion import RRF_K
from search_api.search.hits import VideoFilter
from vidseek.said.cue_bounds import within
from vidseek.said.cue_sources import said_kind
from vidseek.storage import cue_store, store
from vidseek.storage.cue_store import CueHit
from vidseek.storage.library import Library
from vidseek.storage.tables import Video


def within_videos(cues: Sequence[CueHit], durations: Mapping[int, float]) -> list[CueHit]:
    """``cues`` inside their videos (``durations`` by video id; a cue of a video not in it is left
    out): a cue starting at or after its video's end, or at no number, is left out, and one running
    past the end ends there (``vidseek.said.cue_bounds.within``). Cues are clamped when stored; this
    holds lines stored before that, so no moment is one a player cannot seek to."""
    out = []
    for cue in cues:
        duration = durations.get(cue.video_id)
        times = None if duration is None else within(cue.start, cue.end, duration)
        if times is not None:
            out.append(cue if times == (cue.start, cue.end) else replace(cue, start=times[0], end=times[1]))
    return out


def merged_cues(*rankings: Sequence[CueHit], k: int = RRF_K) -> list[CueHit]:
    """One ranking of the cues of several rankings (by their words and by their meaning; or by the
    words of each of several phrases), each best first, a cue at most once in each: reciprocal rank
    fusion, so a cue found in two goes ahead of one found in one at the same place; ties go to the
    better single place, then to the earlier ranking (words). ``rank`` is renumbered from 0."""
    score: dict[int, float] = {}
    first: dict[int, tuple[int, int]] = {}
    cue: dict[int, CueHit] = {}
    for which, found in enumerate(rankings):
        for place, hit in enumerate(found):
            score[hit.id] = score.get(hit.id, 0.0) + 1.0 / (k + place + 1)
            cue.setdefault(hit.id, hit)
            first[hit.id] = min(first.get(hit.id, (place, which)), (place, which))
    order = sorted(cue, key=lambda i: (-score[i], first[i], i))
    return [replace(cue[i], rank=r) for r, i in enumerate(order)]


def one_line_per_video(cues: Sequence[CueHit]) -> list[CueHit]:
    """``cues`` (best first) with each line said again in the same video (the same text, case and
    spacing aside) left out after its best place: a common line said many times does not fill a
    page. ``rank`` is renumbered from 0."""
    seen: set[tuple[int, str]] = set()
    out: list[CueHit] = []
    for cue in cues:
        key = (cue.video_id, " ".join(cue.text.casefold().split()))
        if key not in seen:
            seen.add(key)
            out.append(replace(cue, rank=len(out)))
    return out


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


def _phrases(filters: WordSearch) -> list[str]:
    """The texts a cue is matched with by its words: the query, or each phrase to look for."""
    return filters.phrases if isinstance(filters, PhraseSearch) else [filters.q]


def line_kind(modality: str) -> str | None:
    """The lines a ``modality`` searches: said ones (``speech``), shown ones (``shown``), or all (None)."""
    return modality if modality in ("speech", "shown") else None


def _by_words(filters: WordSearch, session) -> list[CueHit]:  # noqa: ANN001
    """The cues that hold the words of a phrase, best first (several phrases: their rankings fused)."""
    kind = line_kind(filters.modality)
    rankings = [cue_store.search_cues(text, CUES_READ, session=session, kind=kind) for text in _phrases(filters)]
    return rankings[0] if len(rankings) == 1 else merged_cues(*rankings)[:CUES_READ]


def said_lines(
    library: Library,
    cue_matrices: CueMatrices,
    model: str,
    filters: WordSearch,
    vector: np.ndarray,
    *,
    wanted: VideoFilter | None,
) -> tuple[list[CueHit], dict[int, Video]]:
    """The cues that say (or show) what the query asks, by their words and by their meaning (barred by
    ``min_relevance`` for ``speech`` and ``shown``, by ``FUSED_MEANING_BAR`` for ``all``), in one
    ranking, a line said again in one video only at its best place; and their videos (``wanted`` ones
    only). ``speech`` reads said lines only, ``shown`` lines read in the picture only, ``all`` both."""
    with library.snapshot() as session:
        by_words = _by_words(filters, session)
        cues_now = cue_matrices.current(model, vector.shape[-1], session=session)
        kind = line_kind(filters.modality)
        bar = filters.min_relevance if kind is not None else FUSED_MEANING_BAR
        meaning = meaning_matches(vector, cues_now, min_relevance=bar)
        by_meaning = cue_store.cue_hits([cue_id for cue_id, _ in meaning], session=session)
        if kind is not None:
            by_meaning = [c for c in by_meaning if said_kind(c.source) == kind]
        cues = one_line_per_video(merged_cues(by_words, by_meaning))
        videos = store.videos_by_ids(sorted({c.video_id for c in cues}), session=session)
    kept = [c for c in cues if c.video_id in videos and (wanted is None or wanted(videos[c.video_id]))]
    return within_videos(kept, {v.id: v.duration for v in videos.values()}), videos
