"""Pure temporal grounding over one video's frame scores.

A candidate clip from the ANN search says "somewhere around here". Grounding looks at the
per-frame scores of the clip and its neighbourhood, takes the best frame inside the clip as the
peak, and grows the moment outwards while frames score like the peak (see ``ground_span``).
Candidates that overlap or touch are merged, so one video yields distinct moments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidseek.pool import mean_pool


@dataclass(frozen=True)
class Span:
    """An inclusive range of sampled-frame indices within one video."""

    first: int
    last: int


@dataclass(frozen=True)
class Moment:
    video_id: int
    start: float
    """Seconds from the start of the video."""
    end: float
    peak: float
    """Time of the best-matching frame."""
    score: float
    """Cosine of the query with the meanP vector of the moment's frames."""
    first: int
    last: int


def ground_span(scores: np.ndarray, first: int, last: int, *, context: int, keep: float = 0.5,
                min_band: float = 0.02) -> Span | None:
    """The run of frames around the best frame of ``[first, last]`` that score like it, or None
    when the candidate is dominated: its best frame falls below the band of the best frame in
    its neighbourhood, so the better run next door (found from its own candidate) is the moment.

    The band reaches down ``keep`` of the way from the peak to the median of the neighbourhood
    ``[first - context, last + context]`` (at least ``min_band``, about the frame-to-frame jitter
    of CLIP cosines, so a flat stretch stays one moment), and up ``min_band`` above the peak: a
    clearly better run next door is another moment (found and merged from its own candidate),
    so a weak candidate never swallows or bridges strong ones.
    """
    n = len(scores)
    if not 0 <= first <= last < n:
        raise ValueError(f"clip frames [{first}, {last}] outside 0..{n - 1}")
    lo_bound, hi_bound = max(0, first - context), min(n - 1, last + context)
    peak = first + int(np.argmax(scores[first : last + 1]))
    top = float(scores[peak])
    baseline = float(np.median(scores[lo_bound : hi_bound + 1]))
    best = float(np.max(scores[lo_bound : hi_bound + 1]))
    if top < best - max(keep * (best - baseline), min_band):
        return None
    low, high = top - max(keep * (top - baseline), min_band), top + min_band
    lo = peak
    while lo > lo_bound and low <= scores[lo - 1] <= high:
        lo -= 1
    hi = peak
    while hi < hi_bound and low <= scores[hi + 1] <= high:
        hi += 1
    return Span(lo, hi)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Union of spans that overlap or touch (adjacent frames), sorted by start."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.first):
        if merged and span.first <= merged[-1].last + 1:
            merged[-1] = Span(merged[-1].first, max(merged[-1].last, span.last))
        else:
            merged.append(span)
    return merged


def moments_in_video(video_id: int, times: np.ndarray, frame_vectors: np.ndarray, query: np.ndarray,
                     candidates: list[tuple[int, int]], *, step: float, duration: float, context: int) -> list[Moment]:
    """Ground each candidate clip (first, last frame) of one video and return its distinct moments."""
    scores = frame_vectors @ query
    grounded = (ground_span(scores, f, l, context=context) for f, l in candidates)
    spans = merge_spans([span for span in grounded if span is not None])
    moments = []
    for span in spans:
        peak = span.first + int(np.argmax(scores[span.first : span.last + 1]))
        end = float(times[span.last]) + step
        if duration > times[span.last]:
            end = min(end, duration)
        score = float(mean_pool(frame_vectors[span.first : span.last + 1]) @ query)
        moments.append(Moment(video_id, float(times[span.first]), end, float(times[peak]), score,
                              span.first, span.last))
    return moments


def rank(moments: list[Moment]) -> list[Moment]:
    return sorted(moments, key=lambda m: (-m.score, m.video_id, m.start))
