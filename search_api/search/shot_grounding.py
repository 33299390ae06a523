"""Pure: a video's moments (``search_api.search.ground``) decided again shot by shot, where its shots are known.

Frame-level grounding lets a moment reach as far as frames stay clearly above the query's background,
so a moment runs on into the adjacent shots of a related scene (a same-topic neighbour scores between
the event and the background). With the video's cuts (``vidseek.shots``, found while indexing):

1. **The peak's shot** is the one holding the moment's best frame; its mean frame score is the event's
   level.
2. **Shot by shot outwards** from it on each side, a shot within the frame-level moment's reach stays
   in when its frames score like the event's: their mean at least ``KEEP`` of the way from the query's
   background to the event's level (relative to the event, not to the background: a related scene is
   clearly above the background too; measured in ``benchmarks/moment_shots.py``). The first that falls
   short ends the moment on that side; a shot of one sampled frame (a cross-fade, a flash) is passed
   over when the shot after it stays in.
3. **Edges snap to cuts**: the moment keeps its frame-level edges inside the shots kept (an event
   shorter than its shot stays short); an edge within one sampled frame of a cut (the cut lies between
   the edge frame and the frame beyond it) is moved onto the cut.

A video without stored shots (indexed before them, or ``VIDSEEK_SHOTS=false``) is grounded by frames
alone, as before.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from search_api.search.ground import Moment
from search_api.search.relevance import Background
from vidseek.shots import parse_cuts
from vidseek.storage.tables import Video
from vidseek.vectors.pool import mean_pool

KEEP = 0.7
"""A shot stays in a moment when its mean frame score is this share of the way from the background to
the event's level (the mean of the peak's shot)."""
TIME_EPS = 1e-6


def moments_by_shots(
    moments: list[Moment],
    video: Video,
    times: np.ndarray,
    vectors: np.ndarray,
    query: np.ndarray,
    background: Background,
) -> list[Moment]:
    """``by_shots`` for one stored video's window of frames (its cuts, sampling step and duration from its row)."""
    step = 1.0 / video.sample_fps
    return by_shots(
        moments, times, vectors, query, background, cut_times(video.shots), step=step, duration=video.duration
    )


def cut_times(shots: str | None) -> list[float] | None:
    """A video's stored cuts (``videos.shots``) as seconds; None where none were detected."""
    cuts = parse_cuts(shots)
    return None if cuts is None else [c.t for c in cuts]


def shot_of_frames(times: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Index of each sampled frame's shot (the number of cuts at or before it)."""
    return np.searchsorted(np.asarray(sorted(cuts), np.float64), np.asarray(times, np.float64) + TIME_EPS, "right")


def by_shots(
    moments: list[Moment],
    times: np.ndarray,
    vectors: np.ndarray,
    query: np.ndarray,
    background: Background,
    cuts: list[float] | None,
    *,
    step: float,
    duration: float,
) -> list[Moment]:
    """``moments`` (frame indices into ``times``/``vectors``, one window of one video) cut to the shots
    that score like their event and snapped to the cuts within a sampled frame of their edges."""
    if not cuts or not moments:
        return moments
    times = np.asarray(times, np.float64)
    scores = vectors @ query
    shot = shot_of_frames(times, cuts)
    ordered = sorted(cuts)
    return [_one(m, times, scores, shot, ordered, vectors, query, background, step, duration) for m in moments]


def _one(
    m: Moment,
    times: np.ndarray,
    scores: np.ndarray,
    shot: np.ndarray,
    cuts: list[float],
    vectors: np.ndarray,
    query: np.ndarray,
    background: Background,
    step: float,
    duration: float,
) -> Moment:
    peak = m.first + int(np.argmax(scores[m.first : m.last + 1]))
    in_moment = np.arange(m.first, m.last + 1)
    ids = shot[in_moment]
    means = {int(s): float(scores[in_moment[ids == s]].mean()) for s in np.unique(ids)}
    counts = {s: int((ids == s).sum()) for s in means}
    keep = background.level + KEEP * (means[int(shot[peak])] - background.level)
    lo = _walk(int(shot[peak]), -1, means, counts, keep)
    hi = _walk(int(shot[peak]), +1, means, counts, keep)
    first = int(in_moment[ids >= lo][0])
    last = int(in_moment[ids <= hi][-1])
    start = float(times[first])
    end = min(float(times[last]) + step, duration) if duration > times[last] else float(times[last]) + step
    start = _snap_start(start, float(times[first - 1]) if first > 0 else None, cuts)
    end = _snap_end(float(times[last]), float(times[last + 1]) if last + 1 < len(times) else None, end, cuts)
    if (first, last) == (m.first, m.last):
        return replace(m, start=start, end=end)
    score = float(mean_pool(vectors[first : last + 1]) @ query)
    return replace(m, start=start, end=end, first=first, last=last, score=score, peak=float(times[peak]))


def _walk(at: int, direction: int, means: dict[int, float], counts: dict[int, int], keep: float) -> int:
    """The last shot of the moment on one side of the peak's shot (step 2 of the module)."""
    while joined := _next(at, direction, means, counts, keep):
        at = joined[-1]
    return at


def _next(at: int, direction: int, means: dict[int, float], counts: dict[int, int], keep: float) -> list[int]:
    """The shots that join beyond ``at`` on one side: the next one when it stays in, or a shot of one frame
    (a cross-fade) with the one after it when that one stays in; [] when the moment ends on this side."""
    nxt, beyond = at + direction, at + 2 * direction
    if nxt in means and means[nxt] >= keep:
        return [nxt]
    if nxt in means and counts[nxt] <= 1 and beyond in means and means[beyond] >= keep:
        return [nxt, beyond]
    return []


def _snap_start(start: float, before: float | None, cuts: list[float]) -> float:
    """The cut between the frame before the moment and its first frame, if any, else ``start``."""
    lo = before if before is not None else start - 1e9
    inside = [c for c in cuts if lo + TIME_EPS < c <= start + TIME_EPS]
    return inside[-1] if inside else start


def _snap_end(last_t: float, after: float | None, end: float, cuts: list[float]) -> float:
    """The cut between the moment's last frame and the frame after it, if any, else ``end``."""
    hi = after if after is not None else end
    inside = [c for c in cuts if last_t + TIME_EPS < c <= hi + TIME_EPS]
    return inside[0] if inside else end
