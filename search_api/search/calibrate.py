"""Calibrate, a stage of the search (``search_api.search.engine``): fused moments as hits whose
``score``, ``relevance`` and ``z`` describe what is seen in them (the cosine of the query with the meanP
of their frames, read in one statement for the page), and the signals that found each."""

from __future__ import annotations

import math

import numpy as np

from search_api.search.fusion import Fused, Spoken
from search_api.search.ground import Moment
from search_api.search.hits import Hit, Signals, signals_key
from search_api.search.relevance import Background, band
from vidseek.storage import frame_store
from vidseek.storage.tables import Video
from vidseek.vectors.pool import mean_pool


def calibrated(
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
    guesses = {id(f): _frame_guess(f, videos[f.video_id]) for f in fused if f.line is not None}
    windows = frame_store.frame_windows(list(guesses.values()), dim=query.shape[-1], session=session)
    read = {key: (guess[1], *window) for (key, guess), window in zip(guesses.items(), windows)}
    moments: list[Moment] = []
    for f in fused:
        if f.line is None:
            moments.append(visual[f.visual].moment)
        else:
            peak = visual[f.visual].moment.peak if f.visual is not None else spoken[f.line].peak
            moments.append(_moment(f, peak, *read[id(f)], query, background))
    top = visual[0].moment.score if visual else max((m.score for m in moments), default=0.0)
    hits, signals = [], {}
    for f, m in zip(fused, moments):
        if f.line is None:
            hit = visual[f.visual]
        else:
            hit = Hit(m, videos[f.video_id], band(m.score, top, background), round(background.z(m.score), 2))
        quote = spoken[f.line].quote if f.line is not None else None
        hits.append(hit)
        signals[signals_key(hit)] = Signals(f.matched, quote, round(f.score, 6))
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
