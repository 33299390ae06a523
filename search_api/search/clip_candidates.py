"""Clip candidates, a stage of the search (``search_api.search.engine``): the query against the ANN
index of clips, each candidate video grounded on its frames (``search_api.search.grounding_pass``),
stopped by score; ranked, banded (``search_api.search.relevance``), and cut at ``min_score``, all against
one state of the library. The query's calibration (its background in the library) is made here too.
"""

from __future__ import annotations

import time

import numpy as np

from search_api.search.grounding_pass import _Grounding
from search_api.search.hits import Found, Need, VideoFilter
from search_api.search.relevance import BANDS, MIN_SPREAD, Background, background_of
from vidseek.errors import ModelChangedError
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.storage import store
from vidseek.storage.frame_source import FrameSource
from vidseek.storage.library import Library
from vidseek.vectors.faiss_types import fetch_size, rerank_scored
from vidseek.vectors.vector_index import ClipIndex

FIRST_FETCH = 64
"""Clips asked of the ANN index at first; the same for every page size, so pages agree."""
MAX_FETCH = 16384
"""The most clips one query widens to (only ``min_relevance=low`` with ``sort=date``/``count`` or
very selective filters get near it); beyond it the answer is what was found."""
NO_MATCH_FETCH = 256
"""Without a filter, a query none of whose first this many clips lies under a moment that passes
``min_relevance`` is answered "no match" without widening further (a weaker clip could only hide
a 2 s flash between unrelated frames; scanning on for it would cost the most on exactly the queries
that match nothing)."""
SAMPLE_CLIPS = 1024
"""Library clips in the relevance background sample."""
SAMPLE_REFRESH_S = 10.0
"""A library that changed is sampled again at most this often."""


def at_least(found: Found, min_score: float | None) -> Found:
    """``found`` without the moments scored under ``min_score`` (counted as hidden): the one place the
    rule applies. Moments are ranked by score, so it cuts the ranked list at one place."""
    if min_score is None:
        return found
    kept = [h for h in found.hits if h.moment.score >= min_score]
    return Found(kept, found.hidden + len(found.hits) - len(kept), found.background, found.frame_scores)


class ClipCandidates:
    """One library's clip search; keeps the background sample between queries."""

    def __init__(self, library: Library, encoders: EncoderFollower) -> None:
        self.library = library
        self.encoders = encoders
        self._sample: tuple[int, float, np.ndarray] | None = None  # (generation, taken at, vectors)
        settings = library.settings
        self.frames = FrameSource(library, settings.frame_file_path) if settings.frame_file else None
        """Where grounding reads frame vectors besides SQL (None: SQL only, ``VIDSEEK_FRAME_FILE=false``)."""

    def background(self, query: np.ndarray) -> Background:
        """The query's calibration against the library as it is now: what ``find`` bands moments by."""
        index = self.library.index()
        if index is None or index.count == 0:
            return Background(0.0, MIN_SPREAD)
        if index.dim != query.shape[-1]:
            raise ModelChangedError(f"the library switched to model {self.library.current_model()}; run it again")
        with self.library.snapshot() as session:
            return self._background(query, store.generation(session=session), index.count, session)

    def find(
        self,
        query: np.ndarray,
        need: Need,
        *,
        video_filter: VideoFilter | None = None,
        min_relevance: str = "medium",
        min_score: float | None = None,
    ) -> Found:
        """The ranked moments that pass ``min_relevance``, as far down as ``need`` asks, all against
        one state of the library: the FAISS state that answers is at the generation of the database
        snapshot the hits are resolved in (a write landing in between makes it refresh and try
        again), so no video is ever seen half replaced. Then cut at ``min_score`` (``at_least``)."""
        if min_relevance not in BANDS:
            raise ValueError(f"min_relevance must be one of {', '.join(BANDS)}, not {min_relevance!r}")
        for attempt in range(3):
            index = self.library.index()
            if index is None or index.count == 0 or need == Need(moments=0):
                return Found([], 0, Background(0.0, MIN_SPREAD))
            if index.dim != query.shape[-1] or self.library.current_model() != self.encoders.current().name:
                raise ModelChangedError(
                    f"the library switched to model {self.library.current_model()} while "
                    f"this query was being answered; run it again"
                )
            found = self._find_at_one_state(index, query, need, video_filter, min_relevance, strict=attempt < 2)
            if found is not None:
                return at_least(found, min_score)
            self.library.refresh(force=True)
        return Found([], 0, Background(0.0, MIN_SPREAD))

    def _find_at_one_state(
        self,
        index: ClipIndex,
        query: np.ndarray,
        need: Need,
        video_filter: VideoFilter | None,
        min_relevance: str,
        *,
        strict: bool,
    ) -> Found | None:
        k = FIRST_FETCH
        with self.library.snapshot() as session:
            gen = store.generation(session=session)
            frames = self.frames.reader_at(gen, session) if self.frames is not None else None
            grounding = _Grounding(query, need, min_relevance, video_filter, self.encoders.current().dim, frames)
            grounding.background = self._background(query, gen, index.count, session)
            while True:
                scores, ids, index_gen = index.search_at(query, fetch_size(index.spec, k))
                if index_gen != gen and strict:
                    return None
                if index.spec.kind == "ivfpq":  # compressed codes rank roughly: re-rank on exact vectors
                    ids, scores = rerank_scored(*store.clip_vectors_by_ids(ids, session=session), query, k)
                exhausted = (
                    len(ids) < k
                    or k >= index.count
                    or k >= MAX_FETCH
                    or (k >= NO_MATCH_FETCH and video_filter is None and not grounding.moments_pass())
                )
                settled = grounding.add_candidates(ids.tolist(), scores.tolist(), exhausted=exhausted, session=session)
                if settled or exhausted:
                    return grounding.found()
                k *= 4

    def _background(self, query: np.ndarray, gen: int, clips: int, session) -> Background:  # noqa: ANN001
        """The query's background from a sample of the library's ``clips`` clips (re-sampled as it changes)."""
        now = time.monotonic()
        sample = self._sample
        if (
            sample is None
            or (sample[0] != gen and now - sample[1] > SAMPLE_REFRESH_S)
            or sample[2].shape[-1] != query.shape[-1]
        ):
            vectors = store.sample_clip_vectors(SAMPLE_CLIPS, session=session)
            sample = self._sample = (gen, now, vectors)
        if sample[2].size == 0:
            return Background(0.0, MIN_SPREAD)
        return background_of(sample[2] @ query, library_clips=clips)
