"""One query's pass over its ANN candidates: clips grouped by video, each video grounded on one window of
frames (read for many videos in one statement), stopped as soon as no later video can reach the page."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import takewhile
from typing import Callable

import numpy as np
from sqlalchemy.orm import Session

from search_api.search.ground import PEAK_Z, Moment, moments_in_video, pooled_score
from search_api.search.hits import Found, FrameScores, Hit, Need, VideoFilter
from search_api.search.relevance import MIN_SPREAD, Background, band, floor_score, lowest_score_in
from search_api.search.shot_grounding import moments_by_shots
from vidseek.storage import frame_store, store
from vidseek.storage.frame_source import FrameReader
from vidseek.storage.tables import Video

PAD = 24
"""Frames read either side of a video's candidate clips (widened while a moment reaches an edge)."""

COUNT_VIDEOS = 32
"""Candidate videos past the settled answer grounded only to count the moments hidden below
``min_relevance`` (so ``hidden`` is a count of at least what was found, at a bounded cost)."""

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


def _rank_key(m: Moment) -> tuple[float, int, float]:
    """Where ``rank`` puts a moment: best score first, then video id, then start."""
    return (-m.score, m.video_id, m.start)


class _Grounding:
    """One query's grounding in progress: candidate videos are grounded in the order of their best
    candidate clip, each on one window of its frames around its candidate clips (widened while a
    moment reaches an edge), until no video left can change the answer ``need`` asks for."""

    def __init__(
        self,
        query: np.ndarray,
        need: Need,
        min_relevance: str,
        video_filter: VideoFilter | None,
        dim: int,
        frames: FrameReader | None = None,
    ) -> None:
        self.query, self.need, self.min_relevance, self.video_filter, self.dim = (
            query,
            need,
            min_relevance,
            video_filter,
            dim,
        )
        self.frames = frames  # the frame file as this snapshot sees it (None: every window from SQL)
        self.background = Background(0.0, MIN_SPREAD)
        self.best_clip: dict[int, float] = {}  # video id -> best candidate clip score
        self.span: dict[int, tuple[int, int]] = {}  # video id -> frames its candidate clips cover
        self.seen_clips: set[int] = set()
        self.read: dict[int, tuple[int, int]] = {}  # video id -> the window grounded
        self.by_video: dict[int, list[Moment]] = {}
        self.counted: list[Moment] = []  # moments of videos grounded only to count what is hidden
        self.videos: dict[int, Video | None] = {}  # None: gone, or refused by the filter
        self.frame_scores: dict[int, FrameScores] = {}  # video id -> the scores of the window grounded
        self._ranked_moments: list[Moment] = []  # every moment of by_video, in ``rank``'s order, kept so
        self._ranked_keys: list[tuple[float, int, float]] = []  # ... as each video is grounded (their keys)
        self._pooled_scores: dict[tuple[int, int, int], float] = {}  # (video, first, last frame) -> meanP score

    @property
    def moments(self) -> list[Moment]:
        return [m for found in self.by_video.values() for m in found]

    def moments_pass(self) -> bool:
        """Whether any moment found so far passes ``min_relevance``."""
        ranked, cutoff = self._ranked()
        return bool(ranked) and ranked[0].score >= cutoff

    def add_candidates(self, ids: list[int], scores: list[float], *, exhausted: bool, session) -> bool:  # noqa: ANN001
        """Take the ANN's clips (best first); True when the answer is settled."""
        where = frame_store.clip_frames(
            [i for i in ids if i not in self.seen_clips], session=session, frames=self.frames
        )
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
            self._set_moments(vid, self._ground(vid, session, self.read, windows.get(vid), keep_scores=True))
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
        (``frame_store.frame_windows``), so that grounding them costs one round trip, not one a video."""
        wanted = {vid: window for vid in video_ids if (window := self._first_window(vid)) is not None}
        frames = frame_store.frame_windows(
            [(vid, lo, hi) for vid, (lo, hi) in wanted.items()], dim=self.dim, session=session, frames=self.frames
        )
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
            scores = vectors @ self.query
            found = moments_in_video(
                vid,
                times,
                vectors,
                self.query,
                self.background,
                step=1.0 / video.sample_fps,
                duration=video.duration,
                scores=scores,
                pooled=self._pooled(vid, lo, vectors),
            )
            at_lo = lo > 0 and any(m.first == 0 for m in found)
            at_hi = hi < n - 1 and any(m.last == hi - lo for m in found)
            if not (at_lo or at_hi):
                break
            lo, hi = (max(0, lo - 4 * PAD) if at_lo else lo), (min(n - 1, hi + 4 * PAD) if at_hi else hi)
        found = moments_by_shots(found, video, times, vectors, self.query, self.background)
        read[vid] = (lo, hi)
        if keep_scores:
            self.frame_scores[vid] = FrameScores(lo, times, scores)
        return [Moment(m.video_id, m.start, m.end, m.peak, m.score, m.first + lo, m.last + lo) for m in found]

    def _pooled(self, vid: int, lo: int, vectors: np.ndarray) -> Callable[[int, int], float]:
        """``pooled_score`` of frames ``first..last`` of the window read from frame ``lo`` of a video,
        kept for this query by the video's own frame numbers: a video grounded again on a wider window
        finds most of its moments again, pooled from the same stored frames (so the same score)."""

        def pooled(first: int, last: int) -> float:
            key = (vid, lo + first, lo + last)
            score = self._pooled_scores.get(key)
            if score is None:
                score = self._pooled_scores[key] = pooled_score(vectors, self.query, first, last)
            return score

        return pooled

    def _frames(
        self, vid: int, lo: int, hi: int, window: FrameWindow | None, session: Session
    ) -> tuple[np.ndarray, np.ndarray]:
        """(times, vectors) of frames ``lo..hi`` of a video: ``window``'s when it holds just those, else read."""
        if window is not None and (window.first, window.last) == (lo, hi):
            return window.times, window.vectors
        return frame_store.frame_window(vid, lo, hi, dim=self.dim, session=session, frames=self.frames)

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

    def _set_moments(self, vid: int, found: list[Moment]) -> None:
        """``found`` becomes the video's moments: its earlier ones leave the ranking, these enter it at
        their places (the order ``rank`` gives; a moment's key is unique, so no tie depends on order)."""
        if vid in self.by_video:
            kept = [i for i, m in enumerate(self._ranked_moments) if m.video_id != vid]
            self._ranked_moments = [self._ranked_moments[i] for i in kept]
            self._ranked_keys = [self._ranked_keys[i] for i in kept]
        self.by_video[vid] = found
        for m in found:
            key = _rank_key(m)
            at = bisect.bisect_left(self._ranked_keys, key)
            self._ranked_keys.insert(at, key)
            self._ranked_moments.insert(at, m)

    def _ranked(self) -> tuple[list[Moment], float]:
        """The moments found, best first, and the lowest score that passes ``min_relevance``."""
        ranked = self._ranked_moments
        cutoff = lowest_score_in(self.min_relevance, ranked[0].score, self.background) if ranked else float("-inf")
        return ranked, cutoff

    def _passing(self, cutoff: float) -> int:
        """How many of the ranked moments score ``cutoff`` or more (a prefix of the ranking)."""
        return bisect.bisect_right(self._ranked_keys, (-cutoff, math.inf, math.inf))

    def settling_score(self) -> float:
        """A moment scoring below this cannot enter the answer ``need`` asks for."""
        ranked, cutoff = self._ranked()
        if not ranked:  # nothing yet: only the band's own floor is known
            return floor_score(self.min_relevance, self.background)
        passing = self._passing(cutoff)
        if self.need.moments is not None and passing >= self.need.moments:
            return ranked[self.need.moments - 1].score
        if self.need.videos is not None:
            best_of_video: dict[int, float] = {}
            for m in ranked[:passing]:
                best_of_video.setdefault(m.video_id, m.score)
                if len(best_of_video) >= self.need.videos:
                    return m.score
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
