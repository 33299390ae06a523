import numpy as np
import pytest

from indexer.decode import centre_crop, scaled_size, truncation_problem
from indexer.sample import SampleClock, clip_windows, sample_indices


def test_sample_clock_keeps_first_frame_at_or_after_each_step() -> None:
    times = np.arange(0, 3.0, 0.04)  # 25 fps
    kept = [round(times[i], 2) for i in sample_indices(times, 1.0)]
    assert kept == [0.0, 1.0, 2.0]


def test_sample_clock_on_variable_frame_rate_uses_timestamps() -> None:
    times = np.array([0.0, 0.1, 0.9, 1.02, 2.5, 2.6, 4.2])
    assert [times[i] for i in sample_indices(times, 1.0)] == [0.0, 1.02, 2.5, 4.2]


def test_sample_clock_two_per_second() -> None:
    clock = SampleClock(2.0)
    assert [t for t in np.arange(0, 2, 0.1) if clock.take(round(t, 3))] == pytest.approx([0.0, 0.5, 1.0, 1.5])


def test_sample_clock_refuses_nonpositive_rate() -> None:
    with pytest.raises(ValueError):
        SampleClock(0)


def test_windows_cover_every_frame_with_stride() -> None:
    times = np.arange(0.0, 10.0, 1.0)
    windows = clip_windows(times, clip_seconds=4, stride=2, step=1, duration=10)
    assert [(w.first, w.last) for w in windows] == [(0, 3), (2, 5), (4, 7), (6, 9)]
    assert windows[-1].end == 10.0 and windows[0].start == 0.0
    covered = set()
    for w in windows:
        covered.update(range(w.first, w.last + 1))
    assert covered == set(range(10))


def test_tail_gets_a_window_anchored_at_the_end() -> None:
    times = np.arange(0.0, 11.0, 1.0)
    windows = clip_windows(times, clip_seconds=4, stride=3, step=1, duration=11)
    assert (windows[-1].first, windows[-1].last) == (7, 10)


def test_short_video_is_one_window_ending_at_duration() -> None:
    windows = clip_windows(np.array([0.0]), clip_seconds=4, stride=2, step=1, duration=0.4)
    assert [(w.first, w.last, w.start, w.end) for w in windows] == [(0, 0, 0.0, 0.4)]


def test_empty_frames_give_no_windows() -> None:
    assert clip_windows(np.zeros(0), clip_seconds=4, stride=2, step=1, duration=0) == []


def test_scaled_size_covers_target_and_keeps_aspect() -> None:
    assert scaled_size(1920, 1080, (224, 224)) == (398, 224)
    assert scaled_size(33, 17, (32, 32)) == (62, 32)
    img = np.zeros((224, 398, 3), np.uint8)
    assert centre_crop(img, (224, 224)).shape == (224, 224, 3)


def test_truncation_is_detected_but_small_shortfalls_are_not() -> None:
    assert truncation_problem(6.0, 2.0, 1.0) is not None
    assert truncation_problem(6.0, 5.0, 1.0) is None
    assert truncation_problem(61.0, 58.5, 1.0) is None  # audio a little longer than video
    assert truncation_problem(0.0, 1.0, 1.0) is None  # unknown duration
