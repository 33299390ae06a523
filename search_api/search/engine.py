"""The search core shared by the CLI and the API: encode, calibrate against the library, ANN search
stopped by score, ground each candidate video's window (``search_api.search.ground``), rank and band.

``SearchEngine.page`` is the one search entry: a query (text, vector, or a function making the
vector) and its filters in, one page out (``search_api.search.paging.MomentPage``), retried once when a
re-embed switches the model mid-query. The API routes, the exports and the CLI all go through it."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from itertools import takewhile
from typing import Callable, TypeVar

import numpy as np
from sqlalchemy.orm import Session

from search_api.http.schemas import MomentFilters
from search_api.search.cue_meaning import CueMatrices
from search_api.search.filters import video_filter as filters_predicate
from search_api.search.ground import PEAK_Z, Moment, moments_in_video, rank
from search_api.search.hits import Found, FrameScores, Hit, Need, VideoFilter
from search_api.search.paging import MomentPage, need_for, page_of
from search_api.search.relevance import BANDS, MIN_SPREAD, Background, background_of, band, floor_score, lowest_score_in
from vidseek.errors import ModelChangedError
from vidseek.models.encoder_follower import EncoderFollower
from vidseek.models.encoders import Encoder
from vidseek.said.cue_vectors import CueMatrix
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.storage.tables import Video
from vidseek.vectors.vector_index import ClipIndex, fetch_size, rerank_scored

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
PAD = 24
"""Frames read either side of a video's candidate clips (widened while a moment reaches an edge)."""
COUNT_VIDEOS = 32
"""Candidate videos past the settled answer grounded only to count the moments hidden below
``min_relevance`` (so ``hidden`` is a count of at least what was found, at a bounded cost)."""
NO_MATCH_FETCH = 256
"""Without a filter, a query none of whose first this many clips lies under a moment that passes
``min_relevance`` is answered "no match" without widening further (a weaker clip could only hide
a 2 s flash between unrelated frames; scanning on for it would cost the most on exactly the queries
that match nothing)."""
SAMPLE_CLIPS = 1024
"""Library clips in the relevance background sample."""
SAMPLE_REFRESH_S = 10.0
"""A library that changed is sampled again at most this often."""


SLACK = 0.02
"""Added to ``reach``: meanP of fewer frames has a longer mean vector, so scores a little higher."""


def reach(settling: float, background: Background) -> float:
    """How far below ``settling`` a video's best clip may lie and the video still hold a moment
    scoring ``settling``: a moment can beat the clips it lies in (a 2 s event inside 4 s clips
    shares each clip with 2 s of other material, so the clip scores about half-way between the
    event and the background). Videos whose best clip lies further below are not grounded, and the
    ANN search stops widening once its weakest clip does."""
    return 0.5 * max(0.0, settling - background.level) + SLACK


@dataclass(frozen=True)
class FrameWindow:
    """Sampled frames ``first..last`` of one video as read (``times`` may stop short at its end)."""

    first: int
    last: int
    times: np.ndarray
    vectors: np.ndarray


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


class _Grounding:
    """One query's grounding in progress: candidate videos are grounded in the order of their best
    candidate clip, each on one window of its frames around its candidate clips (widened while a
    moment reaches an edge), until no video left can change the answer ``need`` asks for."""

    def __init__(
        self, query: np.ndarray, need: Need, min_relevance: str, video_filter: VideoFilter | None, dim: int
    ) -> None:
        self.query, self.need, self.min_relevance, self.video_filter, self.dim = (
            query,
            need,
            min_relevance,
            video_filter,
            dim,
        )
        self.background = Background(0.0, MIN_SPREAD)
        self.best_clip: dict[int, float] = {}  # video id -> best candidate clip score
        self.span: dict[int, tuple[int, int]] = {}  # video id -> frames its candidate clips cover
        self.seen_clips: set[int] = set()
        self.read: dict[int, tuple[int, int]] = {}  # video id -> the window grounded
        self.by_video: dict[int, list[Moment]] = {}
        self.counted: list[Moment] = []  # moments of videos grounded only to count what is hidden
        self.videos: dict[int, Video | None] = {}  # None: gone, or refused by the filter
        self.frame_scores: dict[int, FrameScores] = {}  # video id -> the scores of the window grounded
        self._ranked_cache: tuple[list[Moment], float] | None = None  # _ranked(), until by_video changes

    @property
    def moments(self) -> list[Moment]:
        return [m for found in self.by_video.values() for m in found]

    def moments_pass(self) -> bool:
        """Whether any moment found so far passes ``min_relevance``."""
        ranked, cutoff = self._ranked()
        return bool(ranked) and ranked[0].score >= cutoff

    def add_candidates(self, ids: list[int], scores: list[float], *, exhausted: bool, session) -> bool:  # noqa: ANN001
        """Take the ANN's clips (best first); True when the answer is settled."""
        where = store.clip_frames([i for i in ids if i not in self.seen_clips], session=session)
        for cid, score in zip(ids, scores):
            if cid in self.seen_clips or cid not in where:
                continue
            self.seen_clips.add(cid)
            vid, first, last = where[cid]
            self.best_clip[vid] = max(self.best_clip.get(vid, -1.0), score)
            lo, hi = self.span.get(vid, (first, last))
            self.span[vid] = (min(lo, first), max(hi, last))
        pending = sorted((v for v in self.best_clip if self._stale(v)), key=lambda v: (-self.best_clip[v], v))
        self._load_videos(pending, session)
        settling = self.settling_score()
        windows = self._read_windows([v for v in pending if self._may_reach(v, settling)], session)
        for at, vid in enumerate(pending):
            settling = self.settling_score()
            if not self._may_reach(vid, settling):
                self._count_hidden(pending[at : at + COUNT_VIDEOS], session)
                return True  # this video and every later one (and every clip not fetched) score lower
            self.by_video[vid] = self._ground(vid, session, self.read, windows.get(vid), keep_scores=True)
            self._ranked_cache = None
        weakest = scores[-1] if scores else float("-inf")
        settling = self.settling_score()
        return not exhausted and weakest + reach(settling, self.background) < settling

    def _may_reach(self, vid: int, score: float) -> bool:
        """Whether the video's best candidate clip lies close enough below ``score`` that a moment of it
        may score ``score`` (``reach``)."""
        return self.best_clip[vid] + reach(score, self.background) >= score

    def _stale(self, vid: int) -> bool:
        """Whether the video's candidate clips reach beyond what was grounded of it."""
        if self.videos.get(vid, True) is None:
            return False
        read = self.read.get(vid)
        lo, hi = self.span[vid]
        return read is None or lo < read[0] or hi > read[1]

    def _load_videos(self, video_ids: list[int], session) -> None:  # noqa: ANN001
        rows = store.videos_by_ids([v for v in video_ids if v not in self.videos], session=session)
        for vid, video in rows.items():
            self.videos[vid] = video if self.video_filter is None or self.video_filter(video) else None
        for vid in video_ids:
            self.videos.setdefault(vid, None)

    def _first_window(self, vid: int) -> tuple[int, int] | None:
        """Frames ``span - PAD .. span + PAD`` of a video (clamped to it), or None for a video not grounded."""
        video = self.videos[vid]
        if video is None:
            return None
        first, last = self.span[vid]
        return max(0, first - PAD), min(video.frame_count - 1, last + PAD)

    def _read_windows(self, video_ids: list[int], session: Session) -> dict[int, FrameWindow]:
        """The first windows (``_first_window``) of these videos, read in one statement
        (``store.frame_windows``), so that grounding them costs one round trip, not one a video."""
        wanted = {vid: window for vid in video_ids if (window := self._first_window(vid)) is not None}
        frames = store.frame_windows([(vid, lo, hi) for vid, (lo, hi) in wanted.items()], dim=self.dim, session=session)
        return {vid: FrameWindow(lo, hi, *read) for (vid, (lo, hi)), read in zip(wanted.items(), frames)}

    def _ground(
        self,
        vid: int,
        session: Session,
        read: dict[int, tuple[int, int]],
        window: FrameWindow | None = None,
        *,
        keep_scores: bool = False,
    ) -> list[Moment]:
        """The moments of frames ``span - PAD .. span + PAD`` of one video, the window widened while a
        moment reaches one of its edges (so each moment is whole: with a baseline that is the same
        for every video, a moment depends only on the frames around it). ``window``: those first
        frames, already read (``_read_windows``); otherwise they are read here, as every widening is.
        ``keep_scores``: the window's frame scores are kept for the moments' relevance curves
        (``Found.frame_scores``)."""
        first_window = self._first_window(vid)
        if first_window is None:
            return []
        video = self.videos[vid]
        n = video.frame_count
        lo, hi = first_window
        while True:
            times, vectors = self._frames(vid, lo, hi, window, session)
            window = None  # a widened window is read again
            if len(times) == 0:
                read[vid] = (lo, hi)
                return []
            hi = lo + len(times) - 1
            found = moments_in_video(
                vid, times, vectors, self.query, self.background, step=1.0 / video.sample_fps, duration=video.duration
            )
            at_lo = lo > 0 and any(m.first == 0 for m in found)
            at_hi = hi < n - 1 and any(m.last == hi - lo for m in found)
            if not (at_lo or at_hi):
                break
            lo, hi = (max(0, lo - 4 * PAD) if at_lo else lo), (min(n - 1, hi + 4 * PAD) if at_hi else hi)
        read[vid] = (lo, hi)
        if keep_scores:
            self.frame_scores[vid] = FrameScores(lo, times, vectors @ self.query)
        return [replace(m, first=m.first + lo, last=m.last + lo) for m in found]

    def _frames(
        self, vid: int, lo: int, hi: int, window: FrameWindow | None, session: Session
    ) -> tuple[np.ndarray, np.ndarray]:
        """(times, vectors) of frames ``lo..hi`` of a video: ``window``'s when it holds just those, else read."""
        if window is not None and (window.first, window.last) == (lo, hi):
            return window.times, window.vectors
        return store.frame_window(vid, lo, hi, dim=self.dim, session=session)

    def _count_hidden(self, videos: list[int], session) -> None:  # noqa: ANN001
        """Ground the next few candidate videos that may hold moments just below ``min_relevance``,
        only to say how many were hidden (kept apart: the answer itself is already settled)."""
        if self.min_relevance == "low":
            return
        floor = (
            self.background.above(PEAK_Z) if self.min_relevance == "medium" else floor_score("medium", self.background)
        )
        reaching = list(takewhile(lambda vid: self._may_reach(vid, floor), videos))
        windows = self._read_windows(reaching, session)
        scratch: dict[int, tuple[int, int]] = {}
        for vid in reaching:
            self.counted.extend(self._ground(vid, session, scratch, windows.get(vid)))

    def _ranked(self) -> tuple[list[Moment], float]:
        """The moments found, best first, and the lowest score that passes ``min_relevance``."""
        if self._ranked_cache is None:
            ranked = rank(self.moments)
            cutoff = lowest_score_in(self.min_relevance, ranked[0].score, self.background) if ranked else float("-inf")
            self._ranked_cache = ranked, cutoff
        return self._ranked_cache

    def settling_score(self) -> float:
        """A moment scoring below this cannot enter the answer ``need`` asks for."""
        ranked, cutoff = self._ranked()
        if not ranked:  # nothing yet: only the band's own floor is known
            return floor_score(self.min_relevance, self.background)
        passing = [m for m in ranked if m.score >= cutoff]
        if self.need.moments is not None and len(passing) >= self.need.moments:
            return passing[self.need.moments - 1].score
        if self.need.videos is not None:
            best_of_video: dict[int, float] = {}
            for m in passing:
                best_of_video.setdefault(m.video_id, m.score)
            if len(best_of_video) >= self.need.videos:
                return list(best_of_video.values())[self.need.videos - 1]
        return cutoff

    def found(self) -> Found:
        ranked, cutoff = self._ranked()
        top = ranked[0].score if ranked else 0.0
        hits = [
            Hit(m, self.videos[m.video_id], band(m.score, top, self.background), round(self.background.z(m.score), 2))
            for m in ranked
            if m.score >= cutoff
        ]
        hidden = len(ranked) - len(hits) + sum(m.score < cutoff for m in self.counted)
        return Found(hits, hidden, self.background, self.frame_scores)


def _loader(library: Library) -> Callable[[str], Encoder]:
    settings = library.settings

    def load(spec: str) -> Encoder:
        from vidseek.models.encoders import encoder_for

        return encoder_for(settings, spec)

    return load
