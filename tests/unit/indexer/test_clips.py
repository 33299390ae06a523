"""Clips from sampled frames: the one function indexing and re-embedding store through."""

from __future__ import annotations

import numpy as np

from indexer.clips import build_clips
from indexer.sample import clip_windows
from vidseek.vectors.pool import mean_pool


def test_clips_are_windows_of_the_time_sorted_frames_each_mean_pooled() -> None:
    rng = np.random.default_rng(0)
    times = np.arange(10, dtype=np.float64)
    vectors = rng.normal(size=(10, 5)).astype(np.float32)
    shuffled = rng.permutation(10)  # batches may come back in any order
    clips = build_clips(
        times[shuffled].tolist(), vectors[shuffled], clip_seconds=4.0, clip_stride=2.0, sample_fps=1.0, duration=10.0
    )
    assert clips.times.tolist() == times.tolist()
    np.testing.assert_array_equal(clips.frame_vectors, vectors)
    windows = clip_windows(times, clip_seconds=4.0, stride=2.0, step=1.0, duration=10.0)
    assert clips.windows == [(w.first, w.last, w.start, w.end) for w in windows]
    assert clips.windows[0] == (0, 3, 0.0, 4.0) and clips.windows[-1] == (6, 9, 6.0, 10.0)
    for (first, last, _, _), vector in zip(clips.windows, clips.vectors):
        np.testing.assert_allclose(vector, mean_pool(vectors[first : last + 1]), atol=1e-6)


def test_equal_times_keep_their_arrival_order() -> None:
    vectors = np.eye(3, dtype=np.float32)
    clips = build_clips([1.0, 0.0, 1.0], vectors, clip_seconds=2.0, clip_stride=1.0, sample_fps=1.0, duration=2.0)
    np.testing.assert_array_equal(clips.frame_vectors, vectors[[1, 0, 2]])
