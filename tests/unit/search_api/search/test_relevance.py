"""Per-query calibration and relevance bands (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from search_api.search.relevance import BANDS, Background, background_of, band, lowest_score_in, passes


def _library_scores(n: int = 1024, matching: float = 0.02, seed: int = 0) -> np.ndarray:
    """CLIP-like scores of a query with library clips: most unrelated (0.17 +- 0.025), a few matches (0.30)."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.17, 0.025, n)
    hits = rng.random(n) < matching
    scores[hits] = rng.normal(0.30, 0.01, hits.sum())
    return scores


@pytest.mark.parametrize("matching", [0.0, 0.05, 0.3])
def test_background_is_where_unrelated_clips_score_however_many_match(matching: float) -> None:
    bg = background_of(_library_scores(matching=matching))
    assert bg.calibrated
    assert abs(bg.level - 0.17) < 0.012 and abs(bg.spread - 0.025) < 0.008


def test_a_small_library_is_banded_by_the_gap_to_the_top_hit() -> None:
    bg = background_of(_library_scores(n=40))
    assert not bg.calibrated and bg.level == _library_scores(n=40).min()
    top = 0.30
    assert band(top, top, bg) == "high"
    assert band(bg.level + 0.5 * (top - bg.level), top, bg) == "medium"
    assert band(bg.level + 0.1 * (top - bg.level), top, bg) == "low"
    assert lowest_score_in("low", top, bg) == float("-inf")
    flat = Background(0.2, 0.005, calibrated=False)
    # even the best scores like the weakest clip: all of it may match or none: shown, never strong
    assert band(0.21, 0.21, flat) == "medium"
    assert lowest_score_in("medium", 0.21, flat) == float("-inf") and lowest_score_in("high", 0.21, flat) == float(
        "inf"
    )


def test_bands_follow_distance_from_background_and_from_the_top_hit() -> None:
    bg = Background(0.17, 0.025)
    assert band(0.30, 0.31, bg) == "high"  # far above background, near the top hit
    assert band(0.30, 0.45, bg) == "medium"  # as far above background, but far below this query's best
    assert band(0.24, 0.24, bg) == "medium"  # the best there is, but only ~3 spreads up
    assert band(0.19, 0.30, bg) == "low"  # scores like the background's upper tail


@pytest.mark.parametrize("calibrated", [True, False])
def test_bands_are_monotone_in_score_so_a_cutoff_is_one_score(calibrated: bool) -> None:
    bg = Background(0.17, 0.025, calibrated=calibrated)
    top = 0.33
    scores = np.linspace(0.10, top, 200)
    ranks = [BANDS.index(band(float(s), top, bg)) for s in scores]
    assert ranks == sorted(ranks)
    for min_band in BANDS:
        cut = lowest_score_in(min_band, top, bg)
        assert all(passes(band(float(s), top, bg), min_band) == (s >= cut - 1e-12) for s in scores)


def test_unknown_band_is_refused() -> None:
    with pytest.raises(ValueError, match="relevance must be one of"):
        lowest_score_in("great", 0.3, Background(0.17, 0.025))


def test_a_bigger_library_raises_the_bar_to_its_chance_tail() -> None:
    scores = _library_scores(matching=0.0)
    small, big = background_of(scores, library_clips=1_000), background_of(scores, library_clips=1_000_000)
    assert 3.0 < small.tail < 3.2 and 4.7 < big.tail < 4.8
    assert small.medium_z == small.tail and big.medium_z == big.tail  # both above Z_MEDIUM (2.5)
    score = small.above(4.0)  # four spreads up: beyond chance among a thousand clips, not among a million
    assert band(score, score, small) in ("medium", "high") and band(score, score, big) == "low"
    assert lowest_score_in("medium", score, big) == big.above(big.tail)
