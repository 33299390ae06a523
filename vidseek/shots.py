"""Shots, pure values: the cuts found in a video (``indexer.cut_detection``), the shots they make, and the
text they are stored as (``videos.shots``, migration 0008).

A cut is the time of the first frame of a new shot and how the shot before ended: ``cut`` (a hard cut)
or ``fade`` (through black: the cut is put in the middle of the dark frames). A video's shots are the
stretches between its cuts, the first from 0 and the last to the video's end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

CutKind = Literal["cut", "fade"]
KINDS: tuple[str, ...] = ("cut", "fade")


@dataclass(frozen=True)
class Cut:
    t: float
    """Seconds: where the new shot starts."""
    kind: CutKind


@dataclass(frozen=True)
class Shot:
    start: float
    end: float
    starts_with: str
    """How it began: ``start`` (the video's first shot), ``cut`` or ``fade``."""


def shots_of(cuts: list[Cut], duration: float) -> list[Shot]:
    """The shots a video's cuts make (one shot, the whole video, without cuts)."""
    inside = [c for c in sorted(cuts, key=lambda c: c.t) if 0 < c.t < duration]
    starts = [0.0] + [c.t for c in inside]
    kinds = ["start"] + [c.kind for c in inside]
    ends = starts[1:] + [duration]
    return [Shot(s, e, k) for s, e, k in zip(starts, ends, kinds)]


def cuts_text(cuts: list[Cut]) -> str:
    """How a video's cuts are stored: a JSON list of ``[seconds, kind]`` (``[]``: detected, none found)."""
    return json.dumps([[round(c.t, 4), c.kind] for c in sorted(cuts, key=lambda c: c.t)], separators=(",", ":"))


def parse_cuts(text: str | None) -> list[Cut] | None:
    """The cuts stored as ``cuts_text``; None for a video indexed before shots were detected (or a value
    not of that shape: the video then simply has no shots, nothing fails)."""
    if not text:
        return None
    try:
        rows = json.loads(text)
        return [Cut(float(t), kind) for t, kind in rows if kind in KINDS]
    except (ValueError, TypeError):
        return None
