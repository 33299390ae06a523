"""Near-duplicate frames, the pure part: signatures, their distance, and which frames are embedded."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.frame_signature import (
    REFRESH_SECONDS,
    FrameSkipper,
    distance,
    refresh_steps,
    reuse_plan,
    signature,
    span_start,
)


def grey(level: float, h: int = 224, w: int = 224) -> np.ndarray:
    return np.full((h, w, 3), level, np.uint8)


@pytest.mark.parametrize(
    "h, w, shape", [(224, 224, (16, 16)), (32, 32, (16, 16)), (37, 23, (16, 16)), (8, 12, (8, 12))]
)
def test_signature_is_a_16x16_grey_thumbnail_of_any_frame_size(h: int, w: int, shape: tuple[int, int]) -> None:
    sig = signature(grey(100, h, w))
    assert sig.shape == shape
    np.testing.assert_allclose(sig, 100, atol=1e-3)


def test_signature_keeps_where_the_picture_is_bright() -> None:
    image = grey(0)
    image[:112, :112] = 255  # top-left quarter white
    sig = signature(image)
    np.testing.assert_allclose(sig[:8, :8], 255, atol=1e-3)
    np.testing.assert_allclose(sig[8:, :], 0, atol=1e-3)
    np.testing.assert_allclose(sig[:, 8:], 0, atol=1e-3)


def test_signature_weighs_colours_as_luma() -> None:
    red, green = np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32, 3), np.uint8)
    red[..., 0], green[..., 1] = 200, 200
    assert signature(green).mean() > signature(red).mean() > 0


def test_distance_is_the_mean_absolute_grey_difference() -> None:
    black, white = signature(grey(0)), signature(grey(255))
    assert distance(black, black) == 0
    assert distance(black, white) == pytest.approx(255, abs=1e-3)
    assert distance(signature(grey(10)), signature(grey(13))) == pytest.approx(3, abs=1e-3)
    quarter = grey(0)
    quarter[:112, :112] = 200
    assert distance(black, signature(quarter)) == pytest.approx(50, abs=1e-2)


def frames(levels: list[float], fps: float = 1.0) -> list[tuple[float, np.ndarray]]:
    return [(i / fps, grey(level, 32, 32)) for i, level in enumerate(levels)]


def test_threshold_zero_embeds_every_frame_even_identical_ones() -> None:
    assert reuse_plan(0.0, 1.0, frames([50] * 6)) == [0, 1, 2, 3, 4, 5]


def test_identical_frames_reuse_the_first_ones_vector() -> None:
    assert reuse_plan(2.0, 1.0, frames([50, 50, 50, 51, 50])) == [0, 0, 0, 0, 0]


def test_a_frame_that_changes_is_embedded_and_later_frames_reuse_it() -> None:
    assert reuse_plan(2.0, 1.0, frames([50, 50, 120, 120, 50, 50])) == [0, 0, 2, 2, 4, 4]


def test_a_change_in_a_small_part_of_the_picture_counts_by_its_area() -> None:
    base = grey(50, 64, 64)
    big = base.copy()
    big[:32, :32] = 250  # a quarter of the picture: 50 grey levels on average
    small = base.copy()
    small[:4, :4] = 250  # 1/256 of it: under one grey level
    assert reuse_plan(2.0, 1.0, [(0.0, base), (1.0, big)]) == [0, 1]
    assert reuse_plan(2.0, 1.0, [(0.0, base), (1.0, small)]) == [0, 0]


def test_a_slow_drift_is_measured_from_the_last_embedded_frame_not_the_previous_one() -> None:
    # each frame 1.5 levels brighter than the one before: within 2 of its neighbour, not of its anchor
    assert reuse_plan(2.0, 1.0, frames([50, 51.5, 53, 54.5, 56, 57.5])) == [0, 0, 2, 2, 4, 4]


def test_the_first_frame_of_each_span_is_embedded_whatever_it_shows() -> None:
    fps = 2.0
    per = refresh_steps(fps)
    assert per == round(REFRESH_SECONDS * fps)
    plan = reuse_plan(2.0, fps, frames([50] * (2 * per + 3), fps))
    assert sorted(set(plan)) == [0, per, 2 * per]
    assert span_start(per + 3, fps) == per and span_start(per - 1, fps) == 0


def test_decisions_from_a_spans_first_step_equal_those_of_the_whole_video() -> None:
    rng = np.random.default_rng(0)
    levels = list(np.cumsum(rng.choice([0, 0, 0, 1, 5], 70)) + 40.0)
    fps = 1.0
    whole = reuse_plan(2.0, fps, frames(levels, fps))
    start = span_start(37, fps)
    part = reuse_plan(2.0, fps, frames(levels, fps)[start:])
    assert [o + start for o in part] == whole[start:]
    assert len(set(whole)) < len(whole)  # the case says something: some frames are skipped


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_bad_threshold_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="skip_similar"):
        FrameSkipper(bad, 1.0)
