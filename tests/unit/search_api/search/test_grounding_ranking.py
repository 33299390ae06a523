"""The ranking grounding keeps as each video is grounded (and grounded again on a wider window) is the
one ``rank`` gives all the moments at once, and the settling score is the one read off that ranking."""

from __future__ import annotations

import numpy as np

from search_api.search.ground import Moment, rank
from search_api.search.grounding_pass import _Grounding
from search_api.search.hits import Need
from search_api.search.relevance import Background, lowest_score_in


def _settling_from_scratch(moments: list[Moment], need: Need, background: Background) -> float | None:
    ranked = rank(moments)
    if not ranked:
        return None
    cutoff = lowest_score_in("medium", ranked[0].score, background)
    passing = [m for m in ranked if m.score >= cutoff]
    if need.moments is not None and len(passing) >= need.moments:
        return passing[need.moments - 1].score
    if need.videos is not None:
        best: dict[int, float] = {}
        for m in passing:
            best.setdefault(m.video_id, m.score)
        if len(best) >= need.videos:
            return list(best.values())[need.videos - 1]
    return cutoff


def test_kept_ranking_and_settling_score_match_ranking_from_scratch() -> None:
    rng = np.random.default_rng(3)
    background = Background(0.17, 0.02)
    for need in (Need(moments=5), Need(moments=40), Need(videos=3), Need(videos=30)):
        grounding = _Grounding(np.zeros(4, np.float32), need, "medium", None, 4)
        grounding.background = background
        for _ in range(120):
            vid = int(rng.integers(0, 25))  # videos grounded again replace their moments
            scores = np.round(rng.uniform(0.15, 0.32, int(rng.integers(0, 4))), 2)  # ties across videos
            found = [
                Moment(vid, float(i * 10), float(i * 10 + 4), float(i * 10), float(s), i, i + 3)
                for i, s in enumerate(scores)
            ]
            grounding._set_moments(vid, found)
            assert grounding._ranked()[0] == rank(grounding.moments)
            expected = _settling_from_scratch(grounding.moments, need, background)
            if expected is not None:
                assert grounding.settling_score() == expected
