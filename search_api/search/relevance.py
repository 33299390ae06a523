"""Pure per-query calibration: what a score means for this query, and the relevance bands.

Raw cosines mean different things per query (CLIP puts every text-image pair in a narrow band
whose position depends on the words), so no fixed threshold separates matches from junk. Each
query is instead measured against a background: its scores with a fixed sample of the library's
clips. Most clips of any library are unrelated to any one query, so the lower part of those scores
says where "unrelated" lies for this query and how far it spreads: the level and spread are read
off the 5th and 25th percentiles as those of a normal distribution, which the real matches (the
upper tail) barely move while they are up to about a third of the sample.

A moment's ``z`` is how many spreads its score lies above the background. Its band:

- ``high``: ``z >= Z_HIGH`` (or the ``medium`` bar, if higher) and the score is within
  ``TOP_SHARE`` of the way from the background to the query's best moment (close to the top hit,
  not just above background);
- ``medium``: ``z >= Z_MEDIUM``, or the chance tail of the library's size if higher (``tail_z``:
  in a library of N clips the best unrelated one lies about that far up by chance);
- ``low``: the rest, which scores like the background's upper tail.

A library too small to calibrate is banded by the gap to the top hit alone (``background_of``).

Bands are monotone in the score, so filtering by band cuts the ranked list at one score.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

BANDS = ("low", "medium", "high")
"""Weakest first; ``min_relevance`` keeps a band and every band after it."""

Z_HIGH = 4.0
Z_MEDIUM = 2.5
TOP_SHARE = 0.7
Z05, Z25 = 1.6449, 0.6745
"""How many standard deviations the 5th and 25th percentiles of a normal lie below its median."""
MIN_GAP = 0.02
"""In a library too small to calibrate, a top hit this close to the weakest clip stands out from nothing."""
UNCALIBRATED_SHARE = 0.3
"""In a library too small to calibrate, ``medium`` needs this share of the way to the top hit."""
MIN_SAMPLE = 256
"""Fewer sampled clips than this (a library under ~9 minutes at the default clips) cannot be calibrated."""
MIN_SPREAD = 0.005
"""Floor of the spread: a sample of near-identical scores must not make every difference huge."""


@dataclass(frozen=True)
class Background:
    """Where unrelated material scores for one query."""

    level: float
    """Median score of the library sample."""
    spread: float
    """Robust standard deviation of the sample's scores (at least ``MIN_SPREAD``)."""
    calibrated: bool = True
    """False for a library too small to tell (see ``background_of``)."""
    tail: float = 0.0
    """The ``z`` that the best of the library's unrelated clips reaches by chance (see ``tail_z``)."""

    @property
    def medium_z(self) -> float:
        """The ``z`` a moment needs for ``medium``: ``Z_MEDIUM``, or the library's chance tail if higher."""
        return max(Z_MEDIUM, self.tail)

    @property
    def high_z(self) -> float:
        return max(Z_HIGH, self.medium_z)

    def z(self, score: float) -> float:
        return (score - self.level) / self.spread

    def above(self, z: float) -> float:
        """The score ``z`` spreads above the background."""
        return self.level + z * self.spread


def tail_z(clips: int) -> float:
    """How many spreads above the background the best of ``clips`` unrelated clips lies by chance
    (the normal quantile at 1 - 1/clips: 3.1 for a thousand clips, 3.7 for ten thousand, 4.8 for
    a million). In a big library something unrelated always scores a few spreads up; a moment has
    to beat that to count as a match."""
    if clips < 2:
        return 0.0
    return NormalDist().inv_cdf(1.0 - 1.0 / clips)


def background_of(sample_scores: np.ndarray, library_clips: int = 0) -> Background:
    """The background of a query from its scores with a sample of library clips.

    Estimated from the lower part of the distribution (its 5th and 25th percentiles, read as a
    normal distribution's), so it stays close while up to about a third of the library matches.
    A library too small to say what unrelated material looks like (fewer than ``MIN_SAMPLE``
    clips) is marked uncalibrated: its level is its weakest clip, bands there come from the gap to
    the top hit alone (``high`` from ``TOP_SHARE`` of the way from the weakest clip to the top hit,
    ``medium`` from ``UNCALIBRATED_SHARE``; all ``medium`` when the top hit is within ``MIN_GAP``
    of the weakest clip), and grounding keeps a video that has no stand-out
    stretch as one whole moment (it may be all match or all miss; only the gap can tell).
    """
    scores = np.asarray(sample_scores, dtype=np.float64)
    if len(scores) == 0:
        return Background(0.0, MIN_SPREAD)
    if len(scores) < MIN_SAMPLE:
        return Background(float(scores.min()), MIN_SPREAD, calibrated=False)
    q05, q25, q50 = np.quantile(scores, [0.05, 0.25, 0.5])
    spread = max(float(q25 - q05) / (Z05 - Z25), MIN_SPREAD)
    return Background(min(float(q25) + Z25 * spread, float(q50)), spread, tail=tail_z(library_clips))


def band(score: float, top: float, background: Background) -> str:
    """The relevance band of a moment scoring ``score`` when the query's best moment scores ``top``:
    the strongest band whose lowest score (``lowest_score_in``, the one statement of the rules) it reaches."""
    return next(b for b in reversed(BANDS) if score >= lowest_score_in(b, top, background))


def floor_score(min_band: str, background: Background) -> float:
    """The least a moment must score to reach ``min_band`` whatever the query's top hit turns out
    to be (``-inf`` for ``low``, and in a library too small to calibrate)."""
    if min_band not in BANDS:
        raise ValueError(f"relevance must be one of {', '.join(BANDS)}, not {min_band!r}")
    if min_band == "low" or not background.calibrated:
        return float("-inf")
    return background.above(background.medium_z if min_band == "medium" else background.high_z)


def lowest_score_in(min_band: str, top: float, background: Background) -> float:
    """The lowest score that still reaches ``min_band`` when the query's best moment scores ``top``
    (``-inf`` for ``low``: everything passes)."""
    floor = floor_score(min_band, background)
    if min_band == "low":
        return floor
    if not background.calibrated:  # banded by the gap to the top hit alone
        if top - background.level < MIN_GAP:  # nothing stands out: all of it is medium, none high
            return float("inf") if min_band == "high" else float("-inf")
        share = TOP_SHARE if min_band == "high" else UNCALIBRATED_SHARE
        return background.level + share * (top - background.level)
    if min_band == "medium":
        return floor
    return max(floor, background.level + TOP_SHARE * (top - background.level))


def passes(band_: str, min_band: str) -> bool:
    return BANDS.index(band_) >= BANDS.index(min_band)
