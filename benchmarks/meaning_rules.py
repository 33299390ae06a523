"""Stricter rules for a line to enter ``speech`` by meaning, measured against the shipped one and not
shipped (issue 25's last target: no line for a phrase said nowhere). Each is a context manager that
swaps the rule in for ``search_api.search.lines.said_lines`` and puts the shipped one back.

- ``tail_margin(decades)``: the chance bar (``cue_meaning.chance_best``) raised by ``decades`` times
  the query's own 90th-to-99th percentile distance, i.e. the score that the best of the library's
  unrelated lines reaches with odds ``10 ** -decades`` of the shipped bar's (the shipped bar is
  where one unrelated line is expected above it: some line clears it by chance about 63 % of the
  time under its own exponential tail; 1 decade is about 10 %, 1.3 about 5 %).
- ``apart(times)``: the meaning matches must stand apart from the lines below them: the lowest kept
  score lies at least ``times`` as high above the query's 90th percentile as the best score left
  out (copies of a line count once). Chance scores thin out smoothly (the top two of an exponential
  tail of n lines stand in the ratio of about H(n) / (H(n) - 1), 1.2 at a few hundred), so a lone
  line far ahead of the rest reads as said, the lead of a continuum of half-related lines as not.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from search_api.search import cue_meaning, lines


@contextmanager
def tail_margin(decades: float) -> Iterator[None]:
    shipped = cue_meaning.chance_best

    def raised(sample_scores: np.ndarray, n: int) -> float:
        q90, q99 = np.quantile(np.asarray(sample_scores, dtype=np.float64), cue_meaning.TAIL_FROM)
        return shipped(sample_scores, n) + decades * float(q99 - q90)

    cue_meaning.chance_best = raised
    try:
        yield
    finally:
        cue_meaning.chance_best = shipped


def standing_apart(scores: np.ndarray, bar: float, tail_start: float, times: float) -> float:
    """The lowest score level at or above ``bar`` that lies ``times`` as high above ``tail_start`` as
    the next lower level read (none read, or one below ``tail_start``: no rival); ``inf`` if none."""
    levels = np.unique(np.asarray(scores, dtype=np.float64))[::-1]
    for i in np.flatnonzero(levels >= bar)[::-1]:
        rival = levels[i + 1] - tail_start if i + 1 < len(levels) else 0.0
        if rival <= 0.0 or levels[i] - tail_start >= times * rival:
            return float(levels[i])
    return float("inf")


@contextmanager
def apart(times: float = 2.0) -> Iterator[None]:
    shipped = lines.meaning_matches

    def kept_apart(query, cues, *, min_relevance="medium", limit=cue_meaning.MEANING_READ):  # noqa: ANN001, ANN202
        found = shipped(query, cues, min_relevance=min_relevance, limit=limit)
        if not found or min_relevance == "low":
            return found
        q = np.asarray(query, np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        scores, _ = cues.search(q, limit)
        tail_start = float(np.quantile(cues.sample @ q, cue_meaning.TAIL_FROM[0]))
        cut = standing_apart(scores, min(s for _, s in found), tail_start, times)
        return [(c, s) for c, s in found if s >= cut]

    lines.meaning_matches = kept_apart
    try:
        yield
    finally:
        lines.meaning_matches = shipped
