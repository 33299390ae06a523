"""The grounding rules, one test each, on frame-score curves with CLIP-like statistics (pure, no IO).

CLIP-like: a relevant frame scores ~0.30, an unrelated one ~0.17; each shot shifts its frames by
an offset (sigma ~0.025) and frames jitter within a shot (sigma ~0.008).
"""

from __future__ import annotations

import numpy as np
import pytest

from search_api.search.ground import Span, moments_in_video, pooled_score, rank, segment, smooth
from search_api.search.relevance import Background

CLIP_BG = Background(level=0.17, spread=0.025)


def curve(*pieces: tuple[float, int], jitter: float = 0.008, seed: int = 0) -> np.ndarray:
    """Concatenated (level, frames) pieces plus per-frame jitter."""
    rng = np.random.default_rng(seed)
    levels = np.concatenate([np.full(n, level) for level, n in pieces])
    return levels + rng.normal(0.0, jitter, len(levels))


def spans(scores: np.ndarray, background: Background = CLIP_BG) -> list[tuple[int, int]]:
    return sorted((s.first, s.last) for s in segment(scores, background))


def test_short_event_in_a_long_video_is_just_the_event() -> None:
    scores = curve((0.17, 40), (0.31, 4), (0.17, 46))  # 90 s, the event at 40-44 s
    assert spans(scores) == [(40, 43)]


def test_adjacent_segment_does_not_join_the_moment() -> None:
    scores = curve((0.21, 8), (0.31, 6))  # a related-looking segment 0-8 s, the match 8-14 s
    assert spans(scores) == [(8, 13)]


def test_one_event_across_shot_changes_is_one_moment() -> None:
    # a 60 s event in six shots, their offsets within 1.5 sigma of the event's level
    shots = list(zip((0.33, 0.27, 0.30, 0.265, 0.32, 0.29), (9, 14, 6, 12, 11, 8)))
    scores = curve((0.17, 30), *shots, (0.17, 30), seed=4)
    assert spans(scores) == [(30, 89)]


def test_event_with_a_dip_of_two_frames_stays_one_moment() -> None:
    scores = curve((0.17, 20), (0.31, 8), (0.18, 2), (0.31, 8), (0.17, 20))
    assert spans(scores) == [(20, 37)]


def test_noise_spike_of_one_frame_is_not_a_moment() -> None:
    scores = curve((0.17, 60))
    scores[25] = 0.32
    assert spans(scores) == []


def test_two_separate_occurrences_stay_two_moments() -> None:
    scores = curve((0.17, 10), (0.31, 5), (0.17, 12), (0.30, 6), (0.17, 10))
    assert spans(scores) == [(10, 14), (27, 32)]


def test_weak_region_never_extends_or_bridges_a_strong_moment() -> None:
    # strong A, a weak same-topic stretch touching it, then strong B: A and B stay separate and
    # the weak stretch joins neither
    scores = curve((0.17, 10), (0.32, 6), (0.22, 10), (0.31, 6), (0.17, 10))
    (a_first, a_last), (b_first, b_last) = spans(scores)  # exactly two moments
    assert (a_first, b_last) == (10, 31)
    assert 15 <= a_last <= 16 and 25 <= b_first <= 26  # at most a frame of the weak stretch (jitter)


def test_moment_is_never_mostly_background() -> None:
    rng = np.random.default_rng(5)
    for trial in range(20):
        event_at, event_len = int(rng.integers(5, 80)), int(rng.integers(3, 20))
        scores = curve((0.17, event_at), (0.30, event_len), (0.17, 100 - event_at), seed=trial)
        for first, last in spans(scores):
            frames = scores[first : last + 1]
            assert np.mean(frames < 0.17 + 2 * 0.025) < 0.5, (trial, first, last)


def test_no_whole_video_moment_unless_the_whole_video_matches() -> None:
    assert spans(curve((0.17, 45))) == []  # unrelated throughout: nothing
    assert spans(curve((0.30, 45))) == [(0, 44)]  # a match throughout: the whole video
    long_event = spans(curve((0.17, 3), (0.31, 39), (0.17, 3)))
    assert long_event == [(3, 41)]


def test_strongest_moment_comes_first_and_one_frame_video_can_match() -> None:
    scores = curve((0.17, 10), (0.28, 5), (0.17, 10), (0.33, 5), (0.17, 10))
    assert [(s.first, s.last) for s in segment(scores, CLIP_BG)] == [(25, 29), (10, 14)]
    assert segment(np.array([0.31]), CLIP_BG) == [Span(0, 0)]


def test_uncalibrated_library_keeps_a_flat_video_whole() -> None:
    flat = curve((0.20, 12), jitter=0.001)
    assert spans(flat, Background(0.19, 0.005, calibrated=False)) == [(0, 11)]
    assert spans(flat, Background(0.19, 0.005, calibrated=True)) == []


def test_smoothing_removes_single_frames_and_keeps_two_frame_runs() -> None:
    x = np.array([0, 0, 1, 0, 0, 1, 1, 0, 0], dtype=float)
    assert smooth(x).tolist() == [0, 0, 0, 0, 0, 1, 1, 0, 0]
    assert smooth(np.array([1.0, 0.0, 0.0])).tolist()[0] == 0.0  # a spike at the edge goes too


@pytest.mark.parametrize("step", [1.0, 0.5])
def test_moment_times_score_and_peak(step: float) -> None:
    rng = np.random.default_rng(0)
    query = np.zeros(16, np.float32)
    query[0] = 1.0
    n = 30
    scores = curve((0.17, 10), (0.31, 6), (0.17, 14))
    # frame vectors whose cosine with the query is the curve
    rest = rng.standard_normal((n, 15)).astype(np.float32)
    rest /= np.linalg.norm(rest, axis=1, keepdims=True)
    vectors = np.hstack([scores[:, None], rest * np.sqrt(1 - scores[:, None] ** 2)]).astype(np.float32)
    times = np.arange(n) * step
    [moment] = moments_in_video(7, times, vectors, query, CLIP_BG, step=step, duration=n * step)
    assert (moment.video_id, moment.first, moment.last) == (7, 10, 15)
    assert moment.start == 10 * step and moment.end == 16 * step
    assert 10 * step <= moment.peak <= 15 * step
    assert moment.score > 0.30  # meanP of the event frames: above any single frame's mean level
    assert rank([moment]) == [moment]


def test_kept_pooled_scores_give_the_moments_a_fresh_grounding_gives() -> None:
    # a caller may keep pooled scores by frame span (a video grounded again on a wider window finds
    # most of its moments again); what it is handed back must be what pooling those frames gives
    rng = np.random.default_rng(3)
    query = np.zeros(16, np.float32)
    query[0] = 1.0
    scores = curve((0.17, 10), (0.31, 6), (0.17, 8), (0.29, 5), (0.17, 11))
    n = len(scores)
    rest = rng.standard_normal((n, 15)).astype(np.float32)
    rest /= np.linalg.norm(rest, axis=1, keepdims=True)
    vectors = np.hstack([scores[:, None], rest * np.sqrt(1 - scores[:, None] ** 2)]).astype(np.float32)
    times = np.arange(n, dtype=np.float64)
    asked: list[tuple[int, int]] = []

    def pooled(first: int, last: int) -> float:
        asked.append((first, last))
        return pooled_score(vectors, query, first, last)

    fresh = moments_in_video(7, times, vectors, query, CLIP_BG, step=1.0, duration=float(n))
    kept = moments_in_video(7, times, vectors, query, CLIP_BG, step=1.0, duration=float(n), pooled=pooled)
    assert kept == fresh and len(fresh) == 2
    assert asked == [(m.first, m.last) for m in fresh]
