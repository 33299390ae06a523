"""One video's clips from its sampled frames: the windows (``indexer.sample.clip_windows``) and a
CLIP4Clip meanP vector for each (``vidseek.vectors.pool.pool_windows``). Indexing and re-embedding store
exactly what this builds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.sample import clip_windows
from vidseek.vectors.pool import pool_windows


@dataclass(frozen=True)
class VideoClips:
    times: np.ndarray
    """Sampled frames' times, ascending (float64)."""
    frame_vectors: np.ndarray
    """One row per time, in the same order."""
    windows: list[tuple[int, int, float, float]]
    """Each clip's (first frame, last frame, start s, end s)."""
    vectors: np.ndarray
    """One pooled, L2-normalised vector per window."""


def build_clips(
    times: np.ndarray,
    frame_vectors: np.ndarray,
    *,
    clip_seconds: float,
    clip_stride: float,
    sample_fps: float,
    duration: float,
) -> VideoClips:
    """Sort the frames by time (a stable sort: batches may arrive out of order) and cut them into
    pooled clips ``clip_seconds`` long every ``clip_stride`` seconds."""
    times = np.asarray(times, np.float64)
    frame_vectors = np.asarray(frame_vectors)
    order = np.argsort(times, kind="stable")
    times, frame_vectors = times[order], frame_vectors[order]
    windows = clip_windows(
        times, clip_seconds=clip_seconds, stride=clip_stride, step=1.0 / sample_fps, duration=duration
    )
    vectors = pool_windows(frame_vectors, [(w.first, w.last) for w in windows])
    return VideoClips(times, frame_vectors, [(w.first, w.last, w.start, w.end) for w in windows], vectors)
