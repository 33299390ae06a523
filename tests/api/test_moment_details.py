"""The relevance curve around a moment, and validation messages that name the parameter."""

from __future__ import annotations

import numpy as np

from search_api.http.errors import describe_validation
from search_api.http.response_models import Curve
from search_api.search.moment_details import curve_of


def test_curve_covers_the_moment_and_padding_within_the_video() -> None:
    times = np.arange(0.0, 30.0)
    scores = np.linspace(0, 1, 30, dtype=np.float32)
    curve = curve_of(times, scores, 10.0, 14.0, step=1.0, padding=3.0)
    assert curve.start == 7.0 and len(curve.scores) == 10  # 7..16 s
    assert curve.scores[0] == round(float(scores[7]), 4)
    start = curve_of(times, scores, 1.0, 3.0, step=1.0, padding=5.0)
    assert start.start == 0.0 and len(start.scores) == 8  # clipped at 0: 0..7 s
    end = curve_of(times, scores, 27.0, 30.0, step=1.0, padding=5.0)
    assert end.start == 22.0 and len(end.scores) == 8  # clipped at the last frame: 22..29 s


def test_curve_of_a_video_without_frames_is_empty() -> None:
    assert curve_of(np.zeros(0), np.zeros(0), 2.0, 4.0, step=1.0) == Curve(start=2.0, step=1.0, scores=[])


def test_validation_messages_name_the_parameter() -> None:
    errors = [
        {"loc": ("query", "limit"), "msg": "Input should be less than or equal to 1000"},
        {"loc": ("body", "negative", 1), "msg": "Value error, phrases must not be empty"},
        {"loc": ("query",), "msg": "Value error, min_duration (5.0) is larger than max_duration (1.0)"},
    ]
    assert describe_validation(errors) == (
        "limit: Input should be less than or equal to 1000; "
        "negative.1: phrases must not be empty; "
        "query parameters: min_duration (5.0) is larger than max_duration (1.0)"
    )
