"""What of a video's lines (subtitle or transcript cues) is stored (pure): their text made safe for
every database, their times inside the video, and at most so many lines of one source.

- Text: carriage returns become newlines; NUL and the other C0 control characters but newline and
  tab go (PostgreSQL text cannot hold NUL; none of them shows); a line longer than ``TEXT_BYTES``
  of UTF-8 is cut there (on a character boundary), so its full-text entry stays far inside
  PostgreSQL's 1 MB ``tsvector``.
- Times: a line starting at or after the video's end, or at a time that is not a number, is dropped;
  one running past the end ends there; one starting before 0 starts at 0.
- Count: each source (a sidecar file, a subtitle stream, a transcript) keeps its first ``limit``
  lines in time order: ``per_hour`` lines an hour of video, and at least a tenth of ``per_hour``
  (``limit``). Real subtitle files hold 1,000-2,000 lines an hour.

What was dropped or cut is said in one note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Protocol, Sequence, TypeVar

CUES_PER_HOUR = 6000
"""Lines of one source kept per hour of video by default (``VIDSEEK_CUES_PER_HOUR``)."""
TEXT_BYTES = 16384
"""UTF-8 bytes of one line's text kept. Its ``tsvector`` takes at most about 6 bytes a byte of text
(one-letter words), so 100 KB, a tenth of PostgreSQL's limit."""

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f]")
_RETURNS = re.compile("\r\n?")


class TimedLine(Protocol):
    start: float
    end: float
    text: str
    source: str


Line = TypeVar("Line", bound=TimedLine)


@dataclass(frozen=True)
class Bounded:
    cues: list
    """The lines to store (in the order given, less those dropped), times and text made safe."""
    note: str | None
    """What was dropped or cut, in one sentence; None when nothing was."""


def clean_text(text: str, max_bytes: int = TEXT_BYTES) -> str:
    """``text`` without control characters (newline and tab stay; ``\\r`` is a newline), cut to
    ``max_bytes`` of UTF-8 on a character boundary."""
    return _cut(_stripped(text), max_bytes)


def _stripped(text: str) -> str:
    return _CONTROLS.sub("", _RETURNS.sub("\n", text))


def _cut(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def limit(duration: float, per_hour: int) -> int:
    """Lines one source of a ``duration`` s video keeps: ``per_hour`` an hour, at least a tenth of it."""
    hours = duration / 3600.0 if math.isfinite(duration) and duration > 0 else 0.0
    return max(per_hour // 10, math.ceil(per_hour * hours))


def within(start: float, end: float, duration: float | None) -> tuple[float, float] | None:
    """(start, end) of a line inside a ``duration`` s video, or None when the line is not in it (starts
    at or after its end, or at no number). Of a video of unknown length (``duration`` None or not
    above 0), a line must start and end at numbers."""
    known = duration is not None and math.isfinite(duration) and duration > 0
    if not math.isfinite(start) or (known and start >= duration) or (not known and not math.isfinite(end)):
        return None
    start = max(0.0, start)
    end = start if math.isnan(end) else min(end, duration) if known else end
    return start, max(start, end)


def bounded(cues: Sequence[Line], duration: float | None, per_hour: int | None = None) -> Bounded:
    """The lines of one video to store (see the module docstring); ``per_hour`` None: no count limit."""
    placed: list = []
    after_end = cut = 0
    for cue in cues:
        times = within(cue.start, cue.end, duration)
        if times is None:
            after_end += 1
            continue
        stripped = _stripped(cue.text)
        text = _cut(stripped, TEXT_BYTES)
        cut += text != stripped
        placed.append(replace(cue, start=times[0], end=times[1], text=text))
    kept, over = _first_of_each_source(placed, None if per_hour is None else limit(duration or 0.0, per_hour))
    parts = []
    if over:
        counts = " and ".join(f"the first {n:,} of {total:,} lines of {source}" for source, n, total in over)
        parts.append(
            f"kept {counts} (VIDSEEK_CUES_PER_HOUR: {per_hour:,} lines of one source an hour of video, "
            f"at least {limit(0.0, per_hour or 0):,})"
        )
    if after_end:
        at = f" ({duration:.3f} s)" if duration is not None and math.isfinite(duration) and duration > 0 else ""
        parts.append(f"dropped {_lines(after_end)} starting after the video's end{at} or at no time")
    if cut:
        parts.append(f"cut {_lines(cut)} longer than {TEXT_BYTES:,} bytes")
    return Bounded(kept, "; ".join(parts) if parts else None)


def _lines(n: int) -> str:
    return f"{n:,} line" if n == 1 else f"{n:,} lines"


def _first_of_each_source(cues: list, most: int | None) -> tuple[list, list[tuple[str, int, int]]]:
    """``cues`` less the lines of each source past its first ``most`` in time order (None: all kept),
    and (source, kept, total) of each source that lost lines."""
    if most is None:
        return cues, []
    by_source: dict[str, list[int]] = {}
    for i, cue in enumerate(cues):
        by_source.setdefault(cue.source, []).append(i)
    over, dropped = [], set()
    for source, rows in by_source.items():
        if len(rows) > most:
            rows.sort(key=lambda i: (cues[i].start, cues[i].end, i))
            dropped.update(rows[most:])
            over.append((source, most, len(rows)))
    return [c for i, c in enumerate(cues) if i not in dropped], over
