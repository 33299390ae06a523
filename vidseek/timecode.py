"""Pure time formatting."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """``H:MM:SS.s`` (hours only when needed): 75.25 -> '1:15.2', 3725 -> '1:02:05.0'."""
    tenths = int(round(max(0.0, seconds) * 10))
    total, tenth = divmod(tenths, 10)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{tenth}"
    return f"{minutes}:{secs:02d}.{tenth}"
