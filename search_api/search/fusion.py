"""Speech moments and their fusion with visual moments (pure).

A *speech moment* is a run of matching cues of one video, each starting at most ``MERGE_GAP_S``
after the run so far ends (adjacent lines of one sentence are one moment); it ranks by its best
cue. Visual and speech moments are fused by reciprocal rank fusion: a moment's fused score is
``1 / (RRF_K + rank)`` summed over the signals that found it (ranks from 1). Moments of one video
that overlap are one fused moment (their union: a visual moment with the line said over it says
that both signals matched); a fused moment keeps each signal's best rank only, so no two fused
moments overlap and none counts a signal twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from search_api.search.hits import Hit
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
    """Index in the speech list of the best speech moment inside it (None: visual only)."""


def speech_moments(cues: Sequence[CueHit], gap: float = MERGE_GAP_S) -> list[Spoken]:
    """The speech moments of ``cues`` (a query's matching cues, any order), best first."""
    by_video: dict[int, list[CueHit]] = {}
    for cue in cues:
        by_video.setdefault(cue.video_id, []).append(cue)
    out = []
    for video_id, found in by_video.items():
        found.sort(key=lambda c: (c.start, c.end, c.rank))
        run, reach = [found[0]], found[0].end
        for cue in found[1:]:
            if cue.start <= reach + gap:
                run.append(cue)
                reach = max(reach, cue.end)
            else:
                out.append(_moment(video_id, run))
                run, reach = [cue], cue.end
        out.append(_moment(video_id, run))
    return sorted(out, key=lambda m: (m.best, m.video_id, m.start))


def _moment(video_id: int, run: list[CueHit]) -> Spoken:
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
    )


def fuse_with_speech(visual: Sequence[Hit], cues: Sequence[CueHit], depth: int) -> tuple[list[Spoken], list[Fused]]:
    """The top ``depth`` speech moments of ``cues``, and their fusion with the ``visual`` moments found."""
    spoken = speech_moments(cues)[:depth]
    return spoken, fuse([Span(h.video.id, h.moment.start, h.moment.end) for h in visual], spoken)


def fuse(visual: Sequence[Span], speech: Sequence[Spoken], k: int = RRF_K) -> list[Fused]:
    """One ranked list of distinct moments from the ranked ``visual`` and ``speech`` lists."""
    items = [(m.video_id, m.start, m.end, "visual", i) for i, m in enumerate(visual)]
    items += [(m.video_id, m.start, m.end, "speech", i) for i, m in enumerate(speech)]
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
            f.speech if f.speech is not None else never,
        ),
    )


def _fused(group: list[tuple], k: int) -> Fused:
    visual = min((g[4] for g in group if g[3] == "visual"), default=None)
    speech = min((g[4] for g in group if g[3] == "speech"), default=None)
    score = sum(1.0 / (k + rank + 1) for rank in (visual, speech) if rank is not None)
    return Fused(group[0][0], min(g[1] for g in group), max(g[2] for g in group), score, visual, speech)
