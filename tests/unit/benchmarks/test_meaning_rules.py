"""The stricter meaning rules the benchmarks measure beside the shipped one (``benchmarks.meaning_rules``)."""

from __future__ import annotations

import math

import numpy as np

from benchmarks import meaning_rules
from search_api.search import cue_meaning, lines
from search_api.search.cue_meaning import chance_best
from vidseek.said.cue_vectors import cue_matrix


def test_a_lone_line_stands_apart_and_the_lead_of_a_continuum_does_not() -> None:
    # heights above the tail's start (0.1): a lone line at 0.5 over a best rival at 0.15
    assert meaning_rules.standing_apart(np.array([0.6, 0.25, 0.24, 0.2]), 0.3, 0.1, 2.0) == 0.6
    # the lead of lines thinning out smoothly: 0.3 over 0.25 is not twice as high
    assert meaning_rules.standing_apart(np.array([0.4, 0.35, 0.33]), 0.38, 0.1, 2.0) == math.inf
    # copies of one line share a score and count once; a group of said lines is kept whole
    assert meaning_rules.standing_apart(np.array([0.6, 0.6, 0.55, 0.2, 0.19]), 0.5, 0.1, 2.0) == 0.55
    # nothing read below, or a rival under the tail's start: no rival
    assert meaning_rules.standing_apart(np.array([0.6, 0.5]), 0.5, 0.1, 2.0) == 0.5
    assert meaning_rules.standing_apart(np.array([0.6, 0.05]), 0.5, 0.1, 2.0) == 0.6


def test_the_tail_margin_raises_the_chance_bar_by_decades_of_the_querys_own_tail_and_puts_it_back() -> None:
    scores = np.random.default_rng(0).normal(size=4096)
    q90, q99 = np.quantile(scores, cue_meaning.TAIL_FROM)
    shipped = chance_best(scores, 3000)
    with meaning_rules.tail_margin(math.log10(20)):
        assert math.isclose(cue_meaning.chance_best(scores, 3000), shipped + math.log10(20) * (q99 - q90))
    assert cue_meaning.chance_best is chance_best


def test_apart_drops_a_meaning_match_that_leads_a_continuum_and_puts_the_rule_back() -> None:
    rng = np.random.default_rng(1)
    dim = 64
    vectors = rng.normal(size=(3000, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = np.eye(dim)[0]

    def scoring(score: float) -> np.ndarray:
        return score * np.eye(dim)[0] + math.sqrt(1 - score**2) * np.eye(dim)[1]

    # half-related lines rising smoothly out of the chance tail (its best ~0.43), led by one at 0.85
    for row, score in zip((10, 20, 30, 40, 50), (0.85, 0.72, 0.62, 0.54, 0.48)):
        vectors[row] = scoring(score)
    cues = cue_matrix(dim, np.arange(1, 3001), np.zeros(3000, np.int64), vectors.astype(np.float32))
    shipped = lines.meaning_matches
    assert [c for c, _ in shipped(query, cues)][:2] == [11, 21]
    vectors[[20, 30, 40, 50]] = [scoring(0.2)] * 4  # now the line at 0.85 stands alone
    alone = cue_matrix(dim, np.arange(1, 3001), np.zeros(3000, np.int64), vectors.astype(np.float32))
    with meaning_rules.apart():
        assert lines.meaning_matches(query, alone)[0][0] == 11
        assert lines.meaning_matches(query, cues) == []
        assert len(lines.meaning_matches(query, cues, min_relevance="low")) > 0  # 'low' asks for everything
    assert lines.meaning_matches is shipped
