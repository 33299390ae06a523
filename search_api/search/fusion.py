"""Line moments (said or shown) and their fusion with visual moments (pure).

A *speech moment* is a run of matching cues of one video and one kind (said: subtitles and
transcripts; or shown: text read in the picture), each starting at most ``MERGE_GAP_S`` after the run
so far ends (adjacent lines of one sentence are one moment); it ranks by its best cue. Visual, speech
and shown moments are fused by reciprocal rank fusion: a moment's fused score is
``1 / (RRF_K + rank)`` summed over the signals that found it (ranks from 1, within each signal). Moments of one video
that overlap are one fused moment (their union: a visual moment with the line said over it says
that both signals matched); a fused moment keeps each signal's best rank only, so no two fused
moments overlap and none counts a signal twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from search_api.search.hits import Hit
from vidseek.said.cue_sources import said_kind
from vidseek.storage.cue_store import CueHit

RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al. 2009): ranks far down count little."""
MERGE_GAP_S = 1.0
"""Matching cues of one video this close (seconds from one's end to the next's start) are one moment."""


@dataclass(frozen=True)
class Spoken:
    """A speech moment."""

    video_id: int
    start: float
    end: float
    peak: float
    """Middle of its best cue."""
    quote: str
    """The text of its cues, in time order (a line said twice in a row, e.g. by a sidecar and a stream, once)."""
    best: int
    """Rank of its best cue among the query's matching cues (0 = best)."""
    kind: str = "speech"
    """``speech`` (said lines) or ``shown`` (lines read in the picture)."""


@dataclass(frozen=True)
class Span:
    """A visual moment as fusion sees it."""

    video_id: int
    start: float
    end: float


@dataclass(frozen=True)
class Fused:
    video_id: int
    start: float
    end: float
    score: float
    """Reciprocal rank fusion score."""
    visual: int | None
    """Index in the visual list of the best visual moment inside it (None: speech only)."""
    speech: int | None
    """Index in the speech list of the best said moment inside it (None: none)."""
    shown: int | None = None
    """Index in the speech list of the best shown moment inside it (None: none)."""

    line: int | None = field(init=False)
    """Index in the speech list of its best line moment, said or shown (None: visual only)."""
    matched: tuple[str, ...] = field(init=False)
    """The signals that found it, in the order visual, speech, shown."""

    def __post_init__(self) -> None:  # plain fields: later stages read them without calling back here
        lines = [i for i in (self.speech, self.shown) if i is not None]
        signals = (("visual", self.visual), ("speech", self.speech), ("shown", self.shown))
        object.__setattr__(self, "line", min(lines) if lines else None)
        object.__setattr__(self, "matched", tuple(name for name, index in signals if index is not None))


def speech_moments(cues: Sequence[CueHit], gap: float = MERGE_GAP_S) -> list[Spoken]:
    """The line moments of ``cues`` (a query's matching cues, any order), best first: a said line and a
    shown one are never one moment."""
    by_video: dict[tuple[int, str], list[CueHit]] = {}
    for cue in cues:
        by_video.setdefault((cue.video_id, said_kind(cue.source)), []).append(cue)
    out = []
    for (video_id, kind), found in by_video.items():
        found.sort(key=lambda c: (c.start, c.end, c.rank))
        run, reach = [found[0]], found[0].end
        for cue in found[1:]:
            if cue.start <= reach + gap:
                run.append(cue)
                reach = max(reach, cue.end)
            else:
                out.append(_moment(video_id, run, kind))
                run, reach = [cue], cue.end
        out.append(_moment(video_id, run, kind))
    return sorted(out, key=lambda m: (m.best, m.video_id, m.start))


def _moment(video_id: int, run: list[CueHit], kind: str) -> Spoken:
    best = min(run, key=lambda c: c.rank)
    lines: list[str] = []
    for cue in run:
        if not lines or lines[-1] != cue.text:
            lines.append(cue.text)
    return Spoken(
        video_id,
        min(c.start for c in run),
        max(c.end for c in run),
        (best.start + best.end) / 2,
        " ".join(lines),
        best.rank,
        kind,
    )


def fuse_with_speech(visual: Sequence[Hit], cues: Sequence[CueHit], depth: int) -> tuple[list[Spoken], list[Fused]]:
    """The top ``depth`` speech moments of ``cues``, and their fusion with the ``visual`` moments found."""
    spoken = speech_moments(cues)[:depth]
    return spoken, fuse([Span(h.video.id, h.moment.start, h.moment.end) for h in visual], spoken)


def fuse(visual: Sequence[Span], speech: Sequence[Spoken], k: int = RRF_K) -> list[Fused]:
    """One ranked list of distinct moments from the ranked ``visual`` and ``speech`` lists."""
    items = [(m.video_id, m.start, m.end, "visual", i, i) for i, m in enumerate(visual)]
    places: dict[str, int] = {}
    for i, m in enumerate(speech):  # each kind of line ranks within its own list
        items.append((m.video_id, m.start, m.end, m.kind, i, places.get(m.kind, 0)))
        places[m.kind] = places.get(m.kind, 0) + 1
    items.sort(key=lambda it: (it[0], it[1], it[2]))
    out: list[Fused] = []
    group: list[tuple] = []
    reach = 0.0  # the end of the moments grouped so far
    for item in items:
        if group and (item[0] != group[0][0] or item[1] >= reach):
            out.append(_fused(group, k))
            group = []
        reach = item[2] if not group else max(reach, item[2])
        group.append(item)
    if group:
        out.append(_fused(group, k))
    never = len(visual) + len(speech)
    return sorted(
        out,
        key=lambda f: (
            -f.score,
            f.visual if f.visual is not None else never,
            f.line if f.line is not None else never,
        ),
    )


def _fused(group: list[tuple], k: int) -> Fused:
    best = {}
    for kind in ("visual", "speech", "shown"):
        mine = [g for g in group if g[3] == kind]
        best[kind] = min(mine, key=lambda g: g[5]) if mine else None
    score = sum(1.0 / (k + g[5] + 1) for g in best.values() if g is not None)
    index = {kind: (g[4] if g is not None else None) for kind, g in best.items()}
    return Fused(
        group[0][0],
        min(g[1] for g in group),
        max(g[2] for g in group),
        score,
        index["visual"],
        index["speech"],
        index["shown"],
    )
