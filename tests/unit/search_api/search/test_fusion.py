"""Speech moments from matching cues, and reciprocal rank fusion with visual moments (pure)."""

from __future__ import annotations

import pytest

from search_api.search.fusion import RRF_K, Fused, Span, Spoken, fuse, speech_moments
from vidseek.storage.cue_store import CueHit


def cue(video: int, start: float, end: float, text: str, rank: int) -> CueHit:
    return CueHit(rank + 100, video, start, end, text, "sidecar:x.srt", None, rank)


def test_adjacent_matching_cues_are_one_moment_ranked_by_its_best_cue() -> None:
    found = speech_moments(
        [
            cue(1, 10.0, 12.0, "the deadline", 2),
            cue(1, 12.5, 14.0, "was missed", 0),  # 0.5 s after: same moment
            cue(1, 20.0, 21.0, "deadline again", 1),  # 6 s after: another
            cue(2, 1.0, 2.0, "deadline", 3),
            cue(2, 1.0, 2.0, "deadline", 4),  # the same line from a second source
        ]
    )
    assert found == [
        Spoken(1, 10.0, 14.0, 13.25, "the deadline was missed", 0),
        Spoken(1, 20.0, 21.0, 20.5, "deadline again", 1),
        Spoken(2, 1.0, 2.0, 1.5, "deadline", 3),
    ]


def test_visual_only_and_speech_only_keep_their_order() -> None:
    visual = [Span(1, 0.0, 4.0), Span(2, 0.0, 4.0)]
    assert [(f.video_id, f.visual, f.speech) for f in fuse(visual, [])] == [(1, 0, None), (2, 1, None)]
    spoken = [Spoken(3, 5.0, 6.0, 5.5, "a", 0), Spoken(3, 1.0, 2.0, 1.5, "b", 1)]
    assert [(f.start, f.visual, f.speech) for f in fuse([], spoken)] == [(5.0, None, 0), (1.0, None, 1)]


def test_an_overlapping_speech_and_visual_moment_become_one_that_ranks_first() -> None:
    visual = [Span(1, 0.0, 4.0), Span(2, 10.0, 14.0)]
    spoken = [Spoken(5, 0.0, 1.0, 0.5, "first", 0), Spoken(2, 13.0, 16.0, 14.5, "both", 1)]
    fused = fuse(visual, spoken)
    assert fused[0] == Fused(2, 10.0, 16.0, pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 2)), 1, 1)
    assert [(f.video_id, f.visual, f.speech) for f in fused[1:]] == [(1, 0, None), (5, None, 0)]  # ties: visual first
    assert fused[1].score == pytest.approx(1 / (RRF_K + 1)) == fused[2].score


def test_touching_moments_stay_apart_and_a_chain_of_overlaps_is_one_moment() -> None:
    visual = [Span(1, 0.0, 4.0), Span(1, 8.0, 12.0)]
    fused = fuse(visual, [Spoken(1, 4.0, 5.0, 4.5, "touches", 0)])
    assert [(f.start, f.end) for f in fused] == [(0.0, 4.0), (4.0, 5.0), (8.0, 12.0)]
    fused = fuse(visual, [Spoken(1, 3.0, 9.0, 6.0, "bridges both", 0)])
    assert fused == [Fused(1, 0.0, 12.0, pytest.approx(2 / (RRF_K + 1)), 0, 0)]  # the best rank of each signal
