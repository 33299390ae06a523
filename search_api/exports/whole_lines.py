"""Moments widened to whole lines: a moment with a subtitle line said over it starts where the first such
line starts and ends where the last ends (``lines=whole`` on the editors' exports, ``vidseek export
--whole-lines``), so a cut never starts or stops mid-sentence.

A moment speech found already runs from its first line's start to its last line's end
(``search_api.search.fusion``); this widens visual moments too, by every stored line of their video that
overlaps them, whether or not it matched the query.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from search_api.http.response_models import MomentSpan, Positions, Timecodes
from vidseek.storage import cue_store
from vidseek.storage.library import Library
from vidseek.timecode import frame_at, smpte

Line = tuple[float, float]
"""A line's start and end, seconds."""


def widened(m: MomentSpan, lines: Sequence[Line]) -> MomentSpan:
    """``m`` reaching back to the start and on to the end of every line overlapping it, within its video;
    seconds, frames and timecodes moved together (its peak stays)."""
    over = [(s, e) for s, e in lines if s < m.end and e > m.start]
    if not over:
        return m
    start = max(0.0, min(m.start, *(s for s, _ in over)))
    end = min(max(m.video.duration, m.end), max(m.end, *(e for _, e in over)))
    first, after = frame_at(start, m.fps), frame_at(end, m.fps)
    if first >= m.frames.start and after <= m.frames.end:
        return m
    first, after = min(first, m.frames.start), max(after, m.frames.end)
    return m.model_copy(
        update={
            "start": round(start, 3),
            "end": round(end, 3),
            "frames": Positions(start=first, end=after, peak=m.frames.peak),
            "timecode": Timecodes(start=smpte(first, m.fps), end=smpte(after, m.fps), peak=m.timecode.peak),
        }
    )


def to_whole_lines(moments: list[MomentSpan], lines: Mapping[int, Sequence[Line]]) -> list[MomentSpan]:
    """Each moment widened by the lines of its video (video id -> lines)."""
    return [widened(m, lines.get(m.video.id, ())) for m in moments]


def stored_lines(library: Library, moments: list[MomentSpan]) -> dict[int, list[Line]]:
    """The stored lines (subtitles and transcripts) of the moments' videos: video id -> (start, end)."""
    with library.sessions() as session:
        return {
            video_id: [(c.start, c.end) for c in cue_store.cues_of(video_id, session=session)]
            for video_id in {m.video.id for m in moments}
        }
