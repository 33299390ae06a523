import numpy as np
import pytest

from search_api.ground import Span, ground_span, merge_spans, moments_in_video, rank


def test_span_grows_from_peak_over_the_matching_run() -> None:
    scores = np.array([0, 0, 0.1, 0.9, 1.0, 0.95, 0.2, 0, 0, 0])
    assert ground_span(scores, 2, 5, context=4) == Span(3, 5)


def test_span_may_extend_beyond_the_clip_within_context() -> None:
    scores = np.array([0, 1, 1, 1, 1, 1, 1, 0])
    assert ground_span(scores, 3, 4, context=2) == Span(1, 6)
    assert ground_span(scores, 3, 4, context=1) == Span(2, 5)


def test_weak_candidate_next_to_strong_runs_is_dropped_so_it_cannot_bridge_them() -> None:
    scores = np.array([1, 1, 0, 0.01, 0, 0, 1, 1])
    assert ground_span(scores, 2, 5, context=2) is None
    assert ground_span(scores, 2, 5, context=0) == Span(2, 5)  # nothing better in reach: a weak moment


def test_jitter_within_the_band_keeps_a_long_moment_whole() -> None:
    scores = np.array([0.1, 0.1, 0.30, 0.29, 0.31, 0.295, 0.30, 0.1])
    assert ground_span(scores, 3, 5, context=3) == Span(2, 6)


def test_flat_scores_keep_the_whole_neighbourhood() -> None:
    assert ground_span(np.ones(6), 2, 3, context=1) == Span(1, 4)


def test_span_rejects_frames_outside_the_video() -> None:
    with pytest.raises(ValueError):
        ground_span(np.ones(3), 2, 5, context=1)


def test_merge_joins_overlapping_and_touching_but_not_separate() -> None:
    spans = [Span(10, 12), Span(0, 2), Span(3, 4), Span(6, 8), Span(7, 9)]
    assert merge_spans(spans) == [Span(0, 4), Span(6, 12)]
    assert merge_spans([Span(0, 2), Span(4, 5)]) == [Span(0, 2), Span(4, 5)]


def test_two_runs_become_two_moments_with_times_and_peak() -> None:
    times = np.arange(12.0)
    hot = {2, 3, 4, 8, 9}
    vectors = np.array([[1.0, 0.0] if i in hot else [0.0, 1.0] for i in range(12)], np.float32)
    vectors[3] = [1.0, 0.05]
    query = np.array([1.0, 0.0], np.float32)
    moments = moments_in_video(5, times, vectors, query, [(1, 4), (3, 6), (8, 11)], step=1.0, duration=12.0, context=3)
    assert [(m.start, m.end) for m in moments] == [(2.0, 5.0), (8.0, 10.0)]
    assert moments[0].peak in (2.0, 4.0) and all(m.video_id == 5 for m in moments)
    assert all(m.score > 0.99 for m in moments)


def test_end_is_capped_at_duration() -> None:
    vectors = np.ones((3, 2), np.float32)
    (m,) = moments_in_video(1, np.array([0.0, 1.0, 2.0]), vectors, np.array([1.0, 0.0], np.float32), [(0, 2)],
                            step=1.0, duration=2.4, context=2)
    assert (m.start, m.end) == (0.0, 2.4)


def test_rank_orders_by_score() -> None:
    times = np.arange(4.0)
    vectors = np.array([[1, 0], [0, 1], [0, 1], [1, 0.3]], np.float32)
    ms = moments_in_video(1, times, vectors, np.array([1.0, 0.0], np.float32), [(0, 0), (3, 3)],
                          step=1.0, duration=4, context=0)
    assert [m.start for m in rank(ms)] == [0.0, 3.0]
