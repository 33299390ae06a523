"""Pure time formatting."""

from __future__ import annotations

import math


def clock(seconds: float) -> str:
    """``M:SS.s``, ``H:MM:SS.s`` past an hour: 75.25 -> '1:15.3', 3725 -> '1:02:05.0'.

    Rounded half up to the tenth of a second, as people round by hand (75.25 -> '1:15.3', 0.35 ->
    '0:00.4'), not to even as Python's ``round`` does; below zero reads as 0. The search page's ``clock``
    (web/static/format.js) does the same arithmetic, so the CLI and the page show the same text.
    """
    tenths = math.floor(max(0.0, seconds) * 10 + 0.5)
    total, tenth = divmod(tenths, 10)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{tenth}"
    return f"{minutes}:{secs:02d}.{tenth}"


# Rates that are really N*1000/1001 (NTSC): 23.976, 29.97, 47.952, 59.94, 119.88.
_NTSC_BASES = (24, 30, 48, 60, 120)
_DROP_FRAME_BASES = {30: 2, 60: 4}
"""Nominal rate -> frame numbers dropped at the start of each minute, except every tenth minute."""
UNKNOWN_RATE = 25.0
"""Frames are counted at this rate when a file does not say its own (fps 0)."""


def counting_rate(fps: float) -> float:
    """The exact rate frames are numbered at: 29.97 -> 30000/1001, 25 -> 25.0, 0 -> UNKNOWN_RATE."""
    if not fps or fps <= 0:
        return UNKNOWN_RATE
    for base in _NTSC_BASES:
        if abs(fps - base * 1000 / 1001) < 0.005:
            return base * 1000 / 1001
    return float(fps)


def is_drop_frame(fps: float) -> bool:
    """True for 29.97 and 59.94, whose SMPTE timecode skips frame numbers to stay on the wall clock."""
    rate = counting_rate(fps)
    return round(rate) in _DROP_FRAME_BASES and rate != round(rate)


def frame_at(seconds: float, fps: float) -> int:
    """The number (from 0) of the frame shown at ``seconds`` at rate ``fps``: 2.0 s at 25 fps -> 50."""
    return max(0, int(round(seconds * counting_rate(fps) + 1e-9)))


def frame_middle(frame: int, fps: float) -> float:
    """Seconds into frame ``frame``'s time on screen at rate ``fps``, half way: where a decoder finds that
    frame and no other, even when the file's timestamps are rounded (to milliseconds, say). 29.97 fps
    frame 120 (shown from 4.004 s) -> 4.0207."""
    return (frame + 0.5) / counting_rate(fps)


def frames_per_day(fps: float) -> int:
    """How many frames SMPTE timecode numbers at ``fps`` before it wraps to 00:00:00:00 (24 hours): 25 ->
    2,160,000; 23.976 counts like 24 (2,073,600); drop-frame 29.97 skips 2,592 numbers (2,589,408)."""
    nominal = round(counting_rate(fps))
    dropped = _DROP_FRAME_BASES[nominal] * 24 * 54 if is_drop_frame(fps) else 0
    return nominal * 86400 - dropped


def smpte(frame: int, fps: float) -> str:
    """SMPTE timecode of a frame number: ``HH:MM:SS:FF``, or drop-frame ``HH:MM:SS;FF`` at 29.97/59.94.

    Drop-frame skips frame numbers 00 and 01 (00-03 at 59.94) at the start of every minute except
    each tenth, so 29.97 fps frame 1800 is 00:01:00;02 and frame 17982 is 00:10:00;00.
    Non-drop rates count at the nominal rate (23.976 counts like 24). Hours wrap at 24.
    """
    if frame < 0:
        raise ValueError(f"frame number must be >= 0, not {frame}")
    nominal = round(counting_rate(fps))
    if is_drop_frame(fps):
        dropped = _DROP_FRAME_BASES[nominal]
        per_ten_minutes = nominal * 600 - 9 * dropped
        per_minute = nominal * 60 - dropped
        tens, rest = divmod(frame, per_ten_minutes)
        frame += 9 * dropped * tens
        if rest > dropped:
            frame += dropped * ((rest - dropped) // per_minute)
    seconds, ff = divmod(frame, nominal)
    minutes, ss = divmod(seconds, 60)
    hours, mm = divmod(minutes, 60)
    separator = ";" if is_drop_frame(fps) else ":"
    return f"{hours % 24:02d}:{mm:02d}:{ss:02d}{separator}{ff:02d}"


def frame_of_smpte(timecode: str, fps: float) -> int:
    """The frame number of SMPTE timecode at ``fps`` (the inverse of :func:`smpte`): ``01:00:00:00`` at 25
    -> 90,000; at 29.97 drop-frame (``;`` or ``:`` before the frames) -> 107,892. ValueError when it is
    not ``HH:MM:SS:FF`` or names a frame the rate does not count (FF past the rate, a dropped number)."""
    parts = timecode.replace(";", ":").replace(".", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"timecode {timecode!r} is not HH:MM:SS:FF")
    hh, mm, ss, ff = (int(p) for p in parts)
    nominal = round(counting_rate(fps))
    if hh > 23 or mm > 59 or ss > 59 or ff >= nominal:
        raise ValueError(f"timecode {timecode!r} is not a time of day at {fps:g} fps")
    frame = ((hh * 60 + mm) * 60 + ss) * nominal + ff
    if is_drop_frame(fps):
        dropped = _DROP_FRAME_BASES[nominal]
        if ss == 0 and ff < dropped and mm % 10:
            raise ValueError(f"timecode {timecode!r} is a frame number drop-frame skips")
        minutes = hh * 60 + mm
        frame -= dropped * (minutes - minutes // 10)
    return frame
