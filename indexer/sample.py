"""Pure sampling and windowing logic: which frames to keep, and which frames make a clip."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TIME_EPS = 1e-6
"""Seconds within which two timestamps count as equal (float rounding of PTS x time base), for every
sampling and chunking decision."""


class SampleClock:
    """Keeps the first frame at or after each multiple of ``1/fps`` seconds, by presentation time.

    Works on variable-frame-rate input because it looks only at each frame's own timestamp.
    """

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"sample fps must be positive, not {fps}")
        self.fps = fps
        self.next_t = 0.0

    def take(self, t: float) -> bool:
        if t + TIME_EPS < self.next_t:
            return False
        self.next_t = (math.floor(t * self.fps + TIME_EPS) + 1) / self.fps
        return True


def sample_indices(timestamps: np.ndarray, fps: float) -> list[int]:
    """Indices of the frames a :class:`SampleClock` keeps from a sorted array of timestamps."""
    clock = SampleClock(fps)
    return [i for i, t in enumerate(timestamps) if clock.take(float(t))]


@dataclass(frozen=True)
class Window:
    """A clip: an inclusive range of sampled-frame indices and the seconds it covers."""

    first: int
    """Index of the first sampled frame in the clip."""
    last: int
    """Index of the last sampled frame in the clip (inclusive)."""
    start: float
    """Seconds from the start of the video."""
    end: float
    """Seconds from the start of the video; the last frame's time plus one sampling step, capped at duration."""


def clip_windows(
    times: np.ndarray, *, clip_seconds: float, stride: float, step: float, duration: float
) -> list[Window]:
    """Cut sampled frames into windows ``clip_seconds`` long, starting every ``stride`` seconds.

    Every frame is in at least one window; windows are never empty. The last window is
    anchored to the end so the tail of a video gets a full-length clip when it can.
    """
    times = np.asarray(times, dtype=np.float64)
    n = len(times)
    if n == 0:
        return []
    last_t = float(times[-1])
    starts = list(np.arange(0.0, max(last_t - clip_seconds + step, 0.0) + TIME_EPS, stride))
    if not starts:
        starts = [0.0]
    tail_start = max(0.0, last_t + step - clip_seconds)
    if starts[-1] + clip_seconds < last_t + step - TIME_EPS:
        starts.append(tail_start)
    windows: list[Window] = []
    seen: set[tuple[int, int]] = set()
    for s in starts:
        first = int(np.searchsorted(times, s - TIME_EPS, side="left"))
        last = int(np.searchsorted(times, s + clip_seconds - TIME_EPS, side="left")) - 1
        if first >= n:
            continue
        last = max(first, min(last, n - 1))
        if (first, last) in seen:
            continue
        seen.add((first, last))
        end = min(float(times[last]) + step, max(duration, float(times[last])))
        windows.append(Window(first, last, float(times[first]), end))
    return windows
