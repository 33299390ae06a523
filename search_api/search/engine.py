"""The search core shared by the CLI and the API: encode, calibrate against the library, ANN search
stopped by score, ground each candidate video's window (``search_api.search.ground``), rank and band.

``SearchEngine.page`` is the one search entry: a query (text, vector, or a function making the
vector) and its filters in, one page out (``search_api.search.paging.MomentPage``), retried once when a
re-embed switches the model mid-query. The API routes, the exports and the CLI all go through it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import numpy as np

from search_api.http.schemas import MomentFilters
from search_api.search.cue_meaning import CueMatrices
from search_api.search.filters import video_filter as filters_predicate
from search_api.search.grounding_pass import _Grounding
from search_api.search.hits import Found, Hit, Need, VideoFilter
from search_api.search.paging import MomentPage, need_for, page_of
from search_api.search.relevance import BANDS, MIN_SPREAD, Background, background_of
from vidseek.errors import ModelChangedError
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.models.encoders import Encoder
from vidseek.said.cue_vectors import CueMatrix
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.faiss_types import fetch_size, rerank_scored
from vidseek.vectors.vector_index import ClipIndex

__all__ = ["Found", "Hit", "MomentPage", "Need", "QuerySource", "SearchEngine", "SearchOutcome", "VideoFilter"]

QuerySource = str | np.ndarray | Callable[[], np.ndarray]
"""A query: text (encoded by the engine's current model), a vector, or a function making the vector
(called again when a re-embed switches the model mid-query)."""
T = TypeVar("T")

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


@dataclass(frozen=True)
class SearchOutcome:
    """A page of moments as ``SearchEngine.search`` gives it (``page`` gives the whole page)."""

    hits: list[Hit]
    took_ms: float
    hidden: int = 0
    background: Background | None = None
    more: bool = False
    """Whether a next page exists."""


class SearchEngine:
    def __init__(self, library: Library, encoder: Encoder, load: Callable[[str], Encoder] | None = None) -> None:
        """``encoder`` must be the index's model; ``load`` loads another one by spec when a re-embed
        switches the library to it (by default with the library's device settings)."""
        self.library = library
        with library.sessions() as session:
            store.check_model(encoder.name, session=session)
        self.encoders = EncoderFollower(library, encoder, load or _loader(library))
        self._sample: tuple[int, float, np.ndarray] | None = None  # (generation, taken at, vectors)
        self.cue_matrices = CueMatrices()
        """This process's copy of the library's cue vectors (semantic search over what is said)."""

    @property
    def encoder(self) -> Encoder:
        """The encoder of the library's current model."""
        return self.encoders.current()

    def cue_vectors(self) -> CueMatrix:
        """This process's copy of the current model's cue vectors (read whole the first time, then kept
        up to date by each search that reads it)."""
        encoder = self.encoder
        with self.library.snapshot() as session:
            return self.cue_matrices.current(encoder.name, encoder.dim, session=session)

    def encode_query(self, text: str) -> np.ndarray:
        self.library.index()  # a re-embed that switched models is noticed before encoding
        return self.encoder.encode_text([text])[0]

    def page(
        self, query: QuerySource, filters: MomentFilters, *, video_filter: VideoFilter | None = None
    ) -> MomentPage:
        """The page of ``query``'s moments (or videos) that ``filters`` asks for: the one search of the
        API and the CLI. Retried once, with the query made again, when a re-embed switches the model
        mid-query (``ModelChangedError`` otherwise). ``video_filter`` narrows the filters' videos further."""
        started = time.perf_counter()
        wanted = filters_predicate(filters, video_filter)

        def found_for(vector: np.ndarray) -> tuple[np.ndarray, Found]:
            return vector, self.find(
                vector, need_for(filters), video_filter=wanted, min_relevance=filters.min_relevance
            )

        vector, found = self.with_query(query, found_for)
        return page_of(found, filters, query=vector, took_ms=(time.perf_counter() - started) * 1000.0)

    def with_query(self, query: QuerySource, answer: Callable[[np.ndarray], T]) -> T:
        """``answer`` of ``query``'s vector; once more, with the query made again by the new model, when
        a re-embed switches the library mid-query (``ModelChangedError`` a second time)."""
        for attempt in range(2):
            try:
                return answer(self._query_vector(query))
            except ModelChangedError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def query_vector(self, query: QuerySource) -> np.ndarray:
        """The vector of ``query`` (a text is encoded by the current model, a function called)."""
        return self._query_vector(query)

    def background(self, query: np.ndarray) -> Background:
        """The query's calibration against the library as it is now: what ``find`` bands moments by."""
        index = self.library.index()
        if index is None or index.count == 0:
            return Background(0.0, MIN_SPREAD)
        if index.dim != query.shape[-1]:
            raise ModelChangedError(f"the library switched to model {self.library.current_model()}; run it again")
        with self.library.snapshot() as session:
            return self._background(query, store.generation(session=session), index.count, session)

    def _query_vector(self, query: QuerySource) -> np.ndarray:
        if isinstance(query, str):
            return self.encode_query(query)
        if callable(query):
            return query()
        return np.asarray(query)

    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        offset: int = 0,
        video_filter: VideoFilter | None = None,
        min_relevance: str = "medium",
    ) -> SearchOutcome:
        """The moments ``[offset, offset + limit)`` of a phrase, best first (``page`` with only paging set)."""
        page = self.page(
            text, MomentFilters(limit=limit, offset=offset, min_relevance=min_relevance), video_filter=video_filter
        )
        return SearchOutcome(page.hits, page.took_ms, page.hidden, page.background, more=page.next_offset is not None)

    def search_vector(
        self,
        query: np.ndarray,
        *,
        limit: int = 10,
        offset: int = 0,
        video_filter: VideoFilter | None = None,
        min_relevance: str = "medium",
    ) -> list[Hit]:
        """The moments ``[offset, offset + limit)`` of a query vector, best first."""
        return self.page(
            query, MomentFilters(limit=limit, offset=offset, min_relevance=min_relevance), video_filter=video_filter
        ).hits

    def find(
        self, query: np.ndarray, need: Need, *, video_filter: VideoFilter | None = None, min_relevance: str = "medium"
    ) -> Found:
        """The ranked moments that pass ``min_relevance``, as far down as ``need`` asks, all against
        one state of the library: the FAISS state that answers is at the generation of the database
        snapshot the hits are resolved in (a write landing in between makes it refresh and try
        again), so no video is ever seen half replaced."""
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
                return found
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
        grounding = _Grounding(query, need, min_relevance, video_filter, self.encoder.dim)
        k = FIRST_FETCH
        with self.library.snapshot() as session:
            gen = store.generation(session=session)
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
                settled = grounding.add_candidates(
                    [int(i) for i in ids], [float(s) for s in scores], exhausted=exhausted, session=session
                )
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


def _loader(library: Library) -> Callable[[str], Encoder]:
    settings = library.settings

    def load(spec: str) -> Encoder:
        from vidseek.models.encoders import encoder_for

        return encoder_for(settings, spec)

    return load
