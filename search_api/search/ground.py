"""Pure temporal grounding: one video's frame-score curve cut into distinct moments.

Every sampled frame of a candidate video is scored against the query once; the curve is then
segmented, independently of which clips the ANN search happened to return (so a query's moments
never depend on ``limit`` or ``offset``):

1. **Smooth**: a 3-frame running median removes single-frame spikes (a noise frame is never a
   moment) without moving the edges of anything two frames or longer.
2. **Baseline**: the query's background level (``search_api.search.relevance``), the same for every
   video: a moment's extent then depends only on the frames around it, so a window of a video can
   be grounded on its own (the engine reads only the windows around its candidate clips).
3. **Peaks, strongest first**: the best frame not yet in a moment starts one if it is clearly
   above both the baseline (``MIN_RISE``) and the background (``PEAK_Z`` spreads); otherwise
   nothing left in the video is a moment.
4. **Hysteresis growth**: the moment may reach from its peak as far as frames stay above
   ``baseline + STAY x (peak - baseline)``; a dip below that of up to ``MAX_GAP`` frames is
   bridged when the curve comes back above it (a cut, a cross-fade, a frame of motion blur).
   Within that reach each edge is put where the sum of ``curve - (baseline + EDGE x (peak -
   baseline))`` from the peak is largest: a weaker shot inside an event stays in when stronger
   frames follow it, a weaker stretch at the border stays out. The levels are relative to the
   peak, so shot-to-shot offsets inside one event keep it one moment, while frames that score like
   the baseline end it.
5. **Strong first, weak never bridges**: a moment stops where another one starts, and a weaker
   region that touches an earlier (stronger) moment is dropped rather than returned beside it or
   joined to it: a weak stretch neither extends nor bridges a strong moment, nor takes a result
   slot as a fragment of it. Separate occurrences (apart by more than ``MAX_GAP``) stay separate.
6. **Minimum length**: a moment of one frame is not returned (videos of one or two frames aside).

In a library too small to calibrate (``Background.calibrated`` false) the background test of
step 3 is skipped and a video with no stand-out stretch is returned whole.

Measured on the synthetic world (BENCHMARKS.md), this global baseline beat a per-video one (the
video's lower quartile, capped): more true moments found, fewer over-long ones.

A moment's score is the cosine of the query with the meanP vector of its frames (CLIP4Clip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from search_api.search.relevance import Background
from vidseek.vectors.pool import mean_pool

STAY = 0.4
"""A moment keeps frames above this share of the way from the baseline to its peak."""
EDGE = 0.6
"""... and its edges where the frames beyond, summed, score below this share of the way."""
EDGE_Z = 4.0
"""... but never above this many spreads over the query's background (clearly relevant frames at a
moment's border stay in it: a video that matches throughout stays whole)."""
MAX_GAP = 2
"""Frames below the stay level that one moment bridges when the curve comes back."""
MIN_RISE = 0.02
"""A peak must stand this far above its video's baseline (about 2.5x CLIP's frame jitter)."""
PEAK_Z = 2.0
"""... and this many background spreads above the query's library background."""
MIN_FRAMES = 2


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


def smooth(scores: np.ndarray) -> np.ndarray:
    """3-frame running median (edges use their two available frames' lower value)."""
    s = np.asarray(scores, dtype=np.float64)
    if len(s) < 3:
        return s.copy()
    padded = np.concatenate([[min(s[0], s[1])], s, [min(s[-1], s[-2])]])
    a, b, c = padded[:-2], padded[1:-1], padded[2:]
    return a + b + c - np.maximum(np.maximum(a, b), c) - np.minimum(np.minimum(a, b), c)  # the middle one


def segment(scores: np.ndarray, background: Background) -> list[Span]:
    """The distinct moments of one video's frame scores, strongest first, as frame spans."""
    curve = smooth(scores)
    n = len(curve)
    if n == 0:
        return []
    base = background.level  # the baseline (module docstring, step 2)
    values = curve.tolist()  # Python floats: the same doubles, read far faster one at a time than numpy's
    owner = [-1] * n  # which moment (or dropped region) holds each frame
    spans: list[Span] = []
    region = 0
    for peak in np.argsort(-curve, kind="stable").tolist():
        if owner[peak] != -1:
            continue
        top = values[peak]
        if top - base < MIN_RISE or (background.calibrated and background.z(top) < PEAK_Z):
            break  # the remaining frames are all lower: nothing else stands out
        edge = (
            min(base + EDGE * (top - base), background.above(EDGE_Z))
            if background.calibrated
            else base + EDGE * (top - base)
        )
        first, last = _grow(values, owner, peak, base + STAY * (top - base), edge)
        touches = (first > 0 and owner[first - 1] != -1) or (last < n - 1 and owner[last + 1] != -1)
        owner[first : last + 1] = [region] * (last - first + 1)
        region += 1
        if touches:
            continue  # a weaker region beside a stronger moment: neither joined nor returned
        if last - first + 1 >= MIN_FRAMES or n <= MIN_FRAMES:
            spans.append(Span(first, last))
    if not spans and not background.calibrated:
        return [Span(0, n - 1)]  # too small a library to tell whether a flat video matches: keep it whole
    return spans


def _grow(curve: list[float], owner: list[int], peak: int, stay: float, edge: float) -> tuple[int, int]:
    """The moment around ``peak``: how far it may reach is set by ``stay`` (frames above it, dips
    below it of up to ``MAX_GAP`` frames bridged, never into frames another region holds); where
    inside that reach each edge falls is set by ``edge``: the edge that maximises the sum of
    ``curve - edge`` from the peak, so a weaker shot inside an event stays in when stronger frames
    follow, and a weaker stretch at its border (scoring below ``edge``) stays out."""
    n = len(curve)

    def side(direction: int) -> int:
        best_at, best_sum, total = peak, 0.0, 0.0
        i, gap = peak + direction, 0
        while 0 <= i < n and owner[i] == -1:
            value = curve[i]
            if value >= stay:
                gap = 0
            else:
                gap += 1
                if gap > MAX_GAP:
                    break
            total += value - edge
            if total > best_sum:
                best_at, best_sum = i, total
            i += direction
        return best_at

    return side(-1), side(+1)


def moments_in_video(
    video_id: int,
    times: np.ndarray,
    frame_vectors: np.ndarray,
    query: np.ndarray,
    background: Background,
    *,
    step: float,
    duration: float,
    scores: np.ndarray | None = None,
    pooled: Callable[[int, int], float] | None = None,
) -> list[Moment]:
    """The distinct moments of one video for one query: all its frames in, segmented (above).
    ``scores``: ``frame_vectors @ query``, when the caller has it already; ``pooled(first, last)``: the
    query's score with the meanP vector of frames ``first..last`` (``pooled_score``), when the caller
    keeps them (a video grounded again on a wider window finds most of its moments again)."""
    if scores is None:
        scores = frame_vectors @ query
    moments = []
    for span in segment(scores, background):
        first, last = span.first, span.last
        peak = first + int(scores[first : last + 1].argmax())
        start_s, last_s = float(times[first]), float(times[last])
        end = last_s + step
        if duration > last_s:
            end = min(end, duration)
        score = pooled_score(frame_vectors, query, first, last) if pooled is None else pooled(first, last)
        moments.append(Moment(video_id, start_s, end, float(times[peak]), score, first, last))
    return moments


def pooled_score(frame_vectors: np.ndarray, query: np.ndarray, first: int, last: int) -> float:
    """The cosine of ``query`` with the meanP vector of frames ``first..last`` (a moment's score)."""
    return float(mean_pool(frame_vectors[first : last + 1]) @ query)


def rank(moments: list[Moment]) -> list[Moment]:
    return sorted(moments, key=lambda m: (-m.score, m.video_id, m.start))
