"""Moments built as the search API gives them, for tests of what is written from them (the exports)."""

from __future__ import annotations

from search_api.http.response_models import MomentSpan, Positions, Timecodes, VideoRef
from vidseek.timecode import counting_rate, smpte


def moment_span(rank: int, fps: float, start: int, end: int, title: str = "a", quote: str | None = None) -> MomentSpan:
    """A moment as the API gives it: frames at the video's own rate, their timecodes, seconds from them."""
    rate, peak = counting_rate(fps), (start + end) // 2
    signals = {} if quote is None else {"matched": ["speech"], "quote": quote}
    return MomentSpan(
        rank=rank,
        score=0.5,
        relevance="high",
        z=5.0,
        video=VideoRef(id=rank, path=f"/v/{rank}.mp4", title=title, duration=end / rate + 1),
        start=round(start / rate, 3),
        end=round(end / rate, 3),
        peak=round(peak / rate, 3),
        fps=round(rate, 3),
        frames=Positions(start=start, end=end, peak=peak),
        timecode=Timecodes(start=smpte(start, fps), end=smpte(end, fps), peak=smpte(peak, fps)),
        thumbnail_url="",
        video_url="",
        **signals,
    )
