"""Readings of sampled frames made into lines, pure logic: the same text read in consecutive frames is
one line from the first frame showing it to the end of the last one.

A reading is what a sampled frame is taken to show: the texts read in it, those of the last frame read
(a frame that shows the same picture), or none (a frame not read). A text continues a line alive in the
reading before (or in the one before that: one reading the model missed) when it matches the line's
first reading closely (``SIMILAR``: OCR reads a letter differently now and then). Text that changes
bit by bit (a ticker, a sign entering the picture) is compared with where its line began, never with
its last reading, so a line never drifts into other words: each stretch of it is a line of its own,
and the words of each are searchable for the seconds they were on screen. A line is written as its
most frequent reading.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Sequence

SIMILAR = 0.85
"""Two readings at least this alike (``difflib`` ratio of their case-folded text) are the same text."""
MAX_GAP = 1
"""Readings a line may miss and still continue."""


@dataclass(frozen=True)
class Reading:
    t: float
    """The sampled frame's time, seconds."""
    texts: tuple[str, ...]


@dataclass(frozen=True)
class ShownLine:
    start: float
    end: float
    text: str


def normal(text: str) -> str:
    return " ".join(text.casefold().split())


ALIGNED = 0.75
"""Share of characters two readings of one text hold at the same places (from their start or their end)."""


def _aligned(a: str, b: str) -> float:
    n = max(len(a), len(b))
    head = sum(x == y for x, y in zip(a, b))
    tail = sum(x == y for x, y in zip(reversed(a), reversed(b)))
    return max(head, tail) / n if n else 1.0


def alike(a: str, b: str, similar: float = SIMILAR) -> bool:
    """The same text read twice: alike overall, with its characters in place. A letter misread keeps
    them in place; text that moved on (a ticker a few words further) shifts them all."""
    a, b = normal(a), normal(b)
    return a == b or (SequenceMatcher(None, a, b).ratio() >= similar and _aligned(a, b) >= ALIGNED)


@dataclass
class _Open:
    start: float
    last_t: float
    last_index: int
    latest: str
    seen: list[str] = field(default_factory=list)


def merge_readings(readings: Sequence[Reading], step: float, *, similar: float = SIMILAR) -> list[ShownLine]:
    """The lines of ``readings`` (one per sampled frame, in time order; ``step`` seconds apart), by start."""
    open_: list[_Open] = []
    done: list[ShownLine] = []

    def close(line: _Open) -> None:
        text = max(Counter(line.seen).items(), key=lambda kv: (kv[1], len(kv[0])))[0]
        done.append(ShownLine(line.start, round(line.last_t + step, 3), text))

    for i, reading in enumerate(readings):
        taken: set[int] = set()
        for text in reading.texts:
            match = next(
                (
                    k
                    for k, line in enumerate(open_)
                    if k not in taken and line.last_index < i and alike(text, line.seen[0], similar)
                ),
                None,
            )
            if match is None:
                open_.append(_Open(reading.t, reading.t, i, text, [text]))
                taken.add(len(open_) - 1)
            else:
                line = open_[match]
                line.last_t, line.last_index, line.latest = reading.t, i, text
                line.seen.append(text)
                taken.add(match)
        still = []
        for line in open_:
            if i - line.last_index > MAX_GAP:
                close(line)
            else:
                still.append(line)
        open_ = still
    for line in open_:
        close(line)
    return sorted(done, key=lambda line: (line.start, line.end, line.text))
