"""Where each moment is cut from its video and where it lies on an editor's timeline (pure).

A cut is a moment's frames at its video's own rate widened by handles (pre- and post-roll, in seconds,
clamped to the media); a timeline places the cuts back to back from a start timecode at one rate. The
FCPXML, FCP7 XML and Resolve marker writers all place moments this way, so a marker EDL's markers fall on
the clips of the other two.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from search_api.exports.formats import ExportProblem, source_frames
from search_api.http.response_models import MomentSpan
from vidseek.timecode import counting_rate, frame_of_smpte, frames_per_day, is_drop_frame

DEFAULT_START = "01:00:00:00"
"""Where an editor's timeline starts, as editors set them up (hour one)."""


def exact_rate(fps: float) -> Fraction:
    """A frame rate as an exact fraction: 29.97 -> 30000/1001, 25 -> 25."""
    rate = counting_rate(fps)
    nominal = round(rate)
    if rate != nominal and abs(rate - nominal * 1000 / 1001) < 1e-6:
        return Fraction(nominal * 1000, 1001)
    return Fraction(rate).limit_denominator(1001)


@dataclass(frozen=True)
class Cut:
    """A moment as cut from its video: ``start`` to ``end`` (exclusive) frames at ``rate``, handles in."""

    moment: MomentSpan
    rate: Fraction
    start: int
    end: int
    media_frames: int
    record_start: int = 0
    """First frame on the timeline (at the timeline's rate, its start timecode included)."""
    record_length: int = 1

    @property
    def drop_frame(self) -> bool:
        return is_drop_frame(float(self.rate))


@dataclass(frozen=True)
class Timeline:
    """The cuts back to back from ``start`` (a frame number at ``rate``)."""

    rate: Fraction
    start: int
    cuts: list[Cut]

    @property
    def drop_frame(self) -> bool:
        return is_drop_frame(float(self.rate))

    @property
    def end(self) -> int:
        return self.cuts[-1].record_start + self.cuts[-1].record_length if self.cuts else self.start


def cut(m: MomentSpan, handles: float = 0.0) -> Cut:
    """The moment's frames, ``handles`` seconds more either side, clamped to its video (frame 0 to its
    last frame); never less than one frame."""
    rate = exact_rate(m.fps)
    media = max(1, round(m.video.duration * rate), m.frames.end)
    extra = round(max(0.0, handles) * rate)
    start = max(0, m.frames.start - extra)
    end = min(media, m.frames.start + source_frames(m) + extra)
    return Cut(m, rate, start, max(end, start + 1), media)


def timeline_rate(moments: list[MomentSpan], fps: float | None) -> Fraction:
    """The rate asked for, or the first moment's (25 when there are none)."""
    return exact_rate(fps if fps else moments[0].fps if moments else 25.0)


def place(
    moments: list[MomentSpan], *, handles: float = 0.0, fps: float | None = None, start: str | None = None
) -> Timeline:
    """The moments' cuts back to back on a timeline at ``fps`` from timecode ``start``: each lasts its cut's
    seconds in whole timeline frames (its own frames exactly when its video runs at the timeline's rate).
    A start timecode the rate does not count, or a timeline past 24 hours, is an :class:`ExportProblem`."""
    rate = timeline_rate(moments, fps)
    try:
        at = frame_of_smpte(start or DEFAULT_START, float(rate))
    except ValueError as exc:
        raise ExportProblem(f"start: {exc}") from None
    first, placed = at, []
    for m in moments:
        c = cut(m, handles)
        length = max(1, round((c.end - c.start) * rate / c.rate))
        placed.append(Cut(c.moment, c.rate, c.start, c.end, c.media_frames, at, length))
        at += length
    if at > frames_per_day(float(rate)):
        raise ExportProblem(
            "the moments run past 24 hours of timeline timecode: ask for fewer (limit) or an earlier start"
        )
    return Timeline(rate, first, placed)
