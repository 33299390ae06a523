"""The search, one pipeline of stages, each entered once (``SearchEngine.page``; the CLI, the API and
the exports all go through it):

    encode the query ──► candidates: lines by words and meaning (``lines``; a search by words whose
    ``modality`` is not ``visual``) and clips by ANN, grounded (``clip_candidates``) ──► fuse
    (``fusion``) ──► calibrate (``calibrate``) ──► page (``paging``) ──► respond (``moments``)

A visual search (any ``modality=visual``, a search by example, and ``all`` where no line matches)
is the same pipeline without line candidates: its clip candidates are the page. The model-switch
retry lives here: a re-embed switching the model mid-query runs the stages again once, with the
query made again (``ModelChangedError`` a second time)."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.http.schemas import MomentFilters, PhraseSearch, TextSearch
from search_api.search.calibrate import calibrated
from search_api.search.clip_candidates import ClipCandidates
from search_api.search.cue_meaning import CueMatrices
from search_api.search.filters import video_filter as filters_predicate
from search_api.search.fusion import fuse_with_speech
from search_api.search.hits import Found, Hit, Need, VideoFilter
from search_api.search.lines import said_lines
from search_api.search.paging import MomentPage, need_for, page_of
from search_api.search.relevance import Background
from search_api.search.search_gate import SearchGate
from vidseek.errors import ModelChangedError
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.models.encoders import Encoder
from vidseek.said.cue_vectors import CueMatrix
from vidseek.storage import store
from vidseek.storage.library import Library

__all__ = ["Found", "Hit", "MomentPage", "Need", "QuerySource", "SearchEngine", "SearchOutcome", "VideoFilter"]

QuerySource = str | np.ndarray | Callable[[], np.ndarray]
"""A query: text (encoded by the engine's current model), a vector, or a function making the vector
(called again when a re-embed switches the model mid-query)."""
FUSE_DEPTH = 50
"""Moments of each signal fused (at least: a page reaching deeper fuses down to its end)."""


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
    gate: SearchGate | None = None
    """How many ``page`` calls run at once (None: no limit)."""
    encode_gate: SearchGate | None = None
    """How many queries ``page`` encodes at once before taking its turn at ``gate`` (with a gate only)."""

    def __init__(
        self,
        library: Library,
        encoder: Encoder,
        load: Callable[[str], Encoder] | None = None,
        *,
        gate: SearchGate | None = None,
    ) -> None:
        """``encoder`` must be the index's model; ``load`` loads another one by spec when a re-embed
        switches the library to it (by default with the library's device settings). ``gate``: how many
        ``page`` calls run at once (None: no limit; `vidseek serve` passes ``VIDSEEK_SERVE_SEARCHES``)."""
        self.gate = gate
        self.encode_gate = None if gate is None else SearchGate(gate.limit)
        self.library = library
        with library.sessions() as session:
            store.check_model(encoder.name, session=session)
        self.encoders = EncoderFollower(library, encoder, load or _loader(library))
        self.clips = ClipCandidates(library, self.encoders)
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
        """The page of ``query``'s moments (or videos) that ``filters`` asks for, through the stages (see the
        module's docstring). ``video_filter`` narrows the filters' videos further. ``page.signals`` says
        what found each moment when lines were fused (None: every moment is visual)."""
        if self.gate is None:
            return self._page(query, filters, video_filter)
        query = self._encoded_before_the_gate(query)
        with self.gate:
            return self._page(query, filters, video_filter)

    def _encoded_before_the_gate(self, query: QuerySource) -> QuerySource:
        """``query`` made into its vector before the search takes its turn at the gate, one query at a
        time (``encode_gate``): the text tower runs in ONNX Runtime or torch, outside the interpreter
        lock, so one request's encoding overlaps another's search instead of waiting behind it. The
        search asks for the vector as usual; asked again (a re-embed switched the model mid-query, see
        ``_page``), it makes it again from ``query``."""
        if not (isinstance(query, str) or callable(query)):
            return query
        with self.encode_gate or nullcontext():
            made = [self._query_vector(query)]
        return lambda: made.pop() if made else self._query_vector(query)

    def _page(self, query: QuerySource, filters: MomentFilters, video_filter: VideoFilter | None) -> MomentPage:
        started = time.perf_counter()
        wanted = filters_predicate(filters, video_filter)
        modality = filters.modality if isinstance(filters, TextSearch | PhraseSearch) else "visual"
        depth = max(FUSE_DEPTH, filters.offset + filters.limit + 1)
        for attempt in range(2):
            try:
                vector = self.query_vector(query)
                lines = None
                if modality != "visual":
                    lines = said_lines(
                        self.library, self.cue_matrices, self.encoder.name, filters, vector, wanted=wanted
                    )
                    if not lines[0] and modality == "all":
                        lines = None  # nothing said matches: the visual search itself
                if lines is None:
                    found = self.find(vector, need_for(filters), video_filter=wanted, **_bars(filters))
                elif modality == "all":
                    found = self.find(vector, Need(moments=depth), video_filter=wanted, **_bars(filters))
                else:
                    found = Found([], 0, self.background(vector))
                break
            except ModelChangedError:
                if attempt:
                    raise
        if lines is None:
            return page_of(found, filters, query=vector, took_ms=(time.perf_counter() - started) * 1000.0)
        cues, videos = lines
        visual = found.hits[:depth]
        spoken, fused = fuse_with_speech(visual, cues, depth)
        with self.library.snapshot() as session:
            hits, signals = calibrated(fused, visual, spoken, videos, vector, found.background, session)
        ranked = Found(hits, found.hidden, found.background, found.frame_scores)
        took_ms = (time.perf_counter() - started) * 1000.0
        return page_of(ranked, filters, query=vector, took_ms=took_ms, signals=signals)

    def find(
        self,
        query: np.ndarray,
        need: Need,
        *,
        video_filter: VideoFilter | None = None,
        min_relevance: str = "medium",
        min_score: float | None = None,
    ) -> Found:
        """The clip candidates of ``query``, grounded, ranked and banded (``ClipCandidates.find``)."""
        return self.clips.find(query, need, video_filter=video_filter, min_relevance=min_relevance, min_score=min_score)

    def query_vector(self, query: QuerySource) -> np.ndarray:
        """The vector of ``query`` (a text is encoded by the current model, a function called)."""
        return self._query_vector(query)

    def background(self, query: np.ndarray) -> Background:
        """The query's calibration against the library as it is now (``ClipCandidates.background``)."""
        return self.clips.background(query)

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


def _bars(filters: MomentFilters) -> dict:
    return {"min_relevance": filters.min_relevance, "min_score": filters.min_score}


def _loader(library: Library) -> Callable[[str], Encoder]:
    settings = library.settings

    def load(spec: str) -> Encoder:
        from vidseek.models.encoders import encoder_for

        return encoder_for(settings, spec)

    return load
