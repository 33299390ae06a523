"""SMPTE timecodes and frame numbers, checked by hand-known values and against OpenTimelineIO."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentimelineio import opentime

from vidseek.timecode import counting_rate, frame_at, frame_of_smpte, frames_per_day, is_drop_frame, smpte


@pytest.mark.parametrize(
    "fps, expected",
    [
        (29.97, 30000 / 1001),
        (29.97002997, 30000 / 1001),
        (23.976, 24000 / 1001),
        (59.94, 60000 / 1001),
        (25, 25.0),
        (10, 10.0),
        (0, 25.0),
    ],
)
def test_counting_rate_snaps_ntsc_rates(fps: float, expected: float) -> None:
    assert counting_rate(fps) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "fps, drop", [(29.97, True), (59.94, True), (30, False), (23.976, False), (25, False), (60, False)]
)
def test_drop_frame_only_at_29_97_and_59_94(fps: float, drop: bool) -> None:
    assert is_drop_frame(fps) is drop


@pytest.mark.parametrize(
    "frame, expected",
    [
        (0, "00:00:00;00"),
        (29, "00:00:00;29"),
        (1799, "00:00:59;29"),
        (1800, "00:01:00;02"),
        (3597, "00:01:59;29"),
        (3598, "00:02:00;02"),
        (17981, "00:09:59;29"),
        (17982, "00:10:00;00"),
        (17983, "00:10:00;01"),
        (19782, "00:11:00;02"),
        (107892, "01:00:00;00"),
    ],
)
def test_drop_frame_29_97(frame: int, expected: str) -> None:
    assert smpte(frame, 30000 / 1001) == expected


def test_drop_frame_59_94_skips_four() -> None:
    assert smpte(3599, 59.94) == "00:00:59;59"
    assert smpte(3600, 59.94) == "00:01:00;04"
    assert smpte(35964, 59.94) == "00:10:00;00"


@pytest.mark.parametrize(
    "frame, fps, expected",
    [
        (0, 25, "00:00:00:00"),
        (50, 25, "00:00:02:00"),
        (90061, 25, "01:00:02:11"),
        (1800, 30, "00:01:00:00"),
        (1440, 23.976, "00:01:00:00"),
        (15, 10, "00:00:01:05"),
    ],
)
def test_non_drop(frame: int, fps: float, expected: str) -> None:
    assert smpte(frame, fps) == expected


@pytest.mark.parametrize("fps", [24000 / 1001, 24, 25, 30000 / 1001, 30, 50, 60000 / 1001, 60])
def test_agrees_with_opentimelineio(fps: float) -> None:
    for frame in [0, 1, 2, 1798, 1799, 1800, 1801, 3598, 17981, 17982, 17983, 35964, 123457, 500001]:
        assert smpte(frame, fps) == opentime.to_timecode(opentime.RationalTime(frame, fps), fps), (fps, frame)


def test_frame_at() -> None:
    assert frame_at(2.0, 25) == 50
    assert frame_at(2.002, 29.97) == 60  # frame 60 of a 29.97 file is shown at 60 * 1001/30000 s
    assert frame_at(60 * 1001 / 30000, 30000 / 1001) == 60
    assert frame_at(0.0, 0) == 0
    assert frame_at(-0.01, 25) == 0


def test_negative_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="frame number"):
        smpte(-1, 25)


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97, 30, 50, 59.94, 60])
def test_frames_per_day_is_where_timecode_wraps(fps: float) -> None:
    last = frames_per_day(fps) - 1
    assert smpte(last, fps)[:8] == "23:59:59" and smpte(last + 1, fps) in ("00:00:00:00", "00:00:00;00")
    assert opentime.to_timecode(opentime.RationalTime(last, counting_rate(fps)), counting_rate(fps)) == smpte(last, fps)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0]), st.integers(0, 2_000_000))
def test_frame_of_smpte_reads_back_what_smpte_writes(fps: float, frame: int) -> None:
    frame %= frames_per_day(fps)
    assert frame_of_smpte(smpte(frame, fps), fps) == frame


def test_frame_of_smpte_refuses_what_no_rate_counts() -> None:
    assert frame_of_smpte("01:00:00;00", 29.97) == 107_892 and frame_of_smpte("01:00:00:00", 25) == 90_000
    for timecode, fps in [("01:01:00;01", 29.97), ("00:00:00:25", 25), ("1:00:00:00", 25), ("24:00:00:00", 25)]:
        with pytest.raises(ValueError, match="timecode"):
            frame_of_smpte(timecode, fps)
    assert frame_of_smpte("01:10:00;00", 29.97) == 7 * 17_982  # seven ten-minute blocks of drop-frame
