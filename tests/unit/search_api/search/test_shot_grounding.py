"""Grounding by shots, pure: a moment stops at the cut into a related scene (above the background, not
like the event), keeps the event's weaker shots, passes over a one-frame cross-fade, and an edge within
one sampled frame of a cut snaps to it. Frame vectors are built so that each frame's score is exact."""

from __future__ import annotations

import numpy as np

from search_api.search.ground import moments_in_video
from search_api.search.relevance import Background
from search_api.search.shot_grounding import by_shots, shot_of_frames

BACKGROUND = Background(0.17, 0.01)
QUERY = np.eye(8, dtype=np.float64)[0]


def frames(scores: list[float]) -> np.ndarray:
    """Unit vectors whose cosine with ``QUERY`` is each score (the rest on private axes, one a frame)."""
    n = len(scores)
    v = np.zeros((n, 8 + n))
    q = np.zeros(8 + n)
    q[0] = 1.0
    for i, s in enumerate(scores):
        v[i, 0], v[i, 8 + i] = s, np.sqrt(1 - s * s)
    return v, q


def ground(scores: list[float], cuts: list[float] | None):
    vectors, query = frames(scores)
    times = np.arange(len(scores), dtype=np.float64)
    found = moments_in_video(1, times, vectors, query, BACKGROUND, step=1.0, duration=float(len(scores)))
    return found, by_shots(found, times, vectors, query, BACKGROUND, cuts, step=1.0, duration=float(len(scores)))


SCENE = [0.17] * 10 + [0.25] * 5 + [0.30] * 4 + [0.25] * 5 + [0.17] * 10
"""An event (frames 15-18) with a related scene (0.25: well above the background) on both sides."""


def test_a_moment_stops_at_the_cuts_into_a_related_scene() -> None:
    frames_only, shots = ground(SCENE, [10.0, 15.0, 19.0, 24.0])
    assert frames_only[0].end - frames_only[0].start > 4  # by frames alone it runs into the related scene
    assert (shots[0].start, shots[0].end) == (15.0, 19.0)


def test_without_cuts_nothing_changes() -> None:
    frames_only, shots = ground(SCENE, None)
    assert shots == frames_only
    assert ground(SCENE, [])[1] == frames_only


def test_weaker_shots_of_the_event_stay_and_a_cross_fade_frame_is_passed_over() -> None:
    scores = [0.17] * 8 + [0.31] * 4 + [0.285] * 4 + [0.22] + [0.30] * 4 + [0.17] * 8
    _, shots = ground(scores, [8.0, 12.0, 16.0, 17.0, 21.0])
    assert (shots[0].start, shots[0].end) == (8.0, 21.0)


def test_an_edge_within_one_sampled_frame_of_a_cut_snaps_to_it() -> None:
    scores = [0.17] * 10 + [0.30] * 6 + [0.17] * 10
    _, shots = ground(scores, [9.4, 15.6])  # the event's first frame is at 10 s, its last at 15 s
    assert (shots[0].start, shots[0].end) == (9.4, 15.6)
    _, far = ground(scores, [7.5, 18.5])  # more than a frame away: the frames decide
    assert (far[0].start, far[0].end) == (10.0, 16.0)


def test_frames_are_given_their_shot() -> None:
    assert shot_of_frames(np.array([0.0, 1.0, 2.0, 3.0]), [1.0, 2.5]).tolist() == [0, 1, 1, 2]
