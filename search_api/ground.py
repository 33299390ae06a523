"""Pure temporal grounding over one video's frame scores.

A candidate clip from the ANN search says "somewhere around here". Grounding looks at the
per-frame scores of the clip and its neighbourhood, takes the best frame inside the clip as the
peak, and grows the moment outwards while frames stay close to the peak (relative to the
neighbourhood's median). Candidates that overlap or touch are merged, so one video yields
distinct moments.
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


def ground_span(scores: np.ndarray, first: int, last: int, *, context: int, keep: float = 0.5) -> Span:
    """The span around the best frame of ``[first, last]`` whose scores stay within ``keep`` of the way
    from the peak down to the median of ``[first - context, last + context]``."""
    n = len(scores)
    if not 0 <= first <= last < n:
        raise ValueError(f"clip frames [{first}, {last}] outside 0..{n - 1}")
    lo_bound, hi_bound = max(0, first - context), min(n - 1, last + context)
    peak = first + int(np.argmax(scores[first : last + 1]))
    baseline = float(np.median(scores[lo_bound : hi_bound + 1]))
    threshold = scores[peak] - keep * max(0.0, float(scores[peak]) - baseline)
    lo = peak
    while lo > lo_bound and scores[lo - 1] >= threshold:
        lo -= 1
    hi = peak
    while hi < hi_bound and scores[hi + 1] >= threshold:
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
    spans = merge_spans([ground_span(scores, f, l, context=context) for f, l in candidates])
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
