"""Moments snapped to shots for the editors' exports (``shots=snap`` on the export routes, ``vidseek export
--snap-to-shots``): each edge of a moment within ``SNAP_S`` of a cut between shots moves onto that cut, so
a clip in the editor starts and ends on a shot change rather than a few frames into or before it.

Grounding already snaps an edge within one sampled frame of a cut (``search_api.search.shot_grounding``);
this also snaps the moments found by what is said (whose edges are a line's), those widened to whole lines,
and edges a little farther off. A video without stored shots is left as found.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from search_api.http.response_models import MomentSpan, Positions, Timecodes
from search_api.search.shot_grounding import cut_times
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.timecode import frame_at, smpte

SNAP_S = 1.0
"""Seconds within which an edge moves onto a cut."""


def snapped(m: MomentSpan, cuts: Sequence[float]) -> MomentSpan:
    """``m`` with each edge on the nearest cut within ``SNAP_S`` of it (seconds, frames and timecodes moved
    together; its peak stays); as it was when no cut is near, or when both edges would meet."""
    start, end = _nearest(m.start, cuts), _nearest(m.end, cuts)
    if end - start <= 0 or (start, end) == (m.start, m.end):
        return m
    first, after = frame_at(start, m.fps), frame_at(end, m.fps)
    return m.model_copy(
        update={
            "start": round(start, 3),
            "end": round(end, 3),
            "frames": Positions(start=first, end=after, peak=m.frames.peak),
            "timecode": Timecodes(start=smpte(first, m.fps), end=smpte(after, m.fps), peak=m.timecode.peak),
        }
    )


def _nearest(t: float, cuts: Sequence[float]) -> float:
    near = [c for c in cuts if abs(c - t) <= SNAP_S]
    return min(near, key=lambda c: abs(c - t)) if near else t


def to_shots(moments: list[MomentSpan], cuts: Mapping[int, Sequence[float]]) -> list[MomentSpan]:
    """Each moment snapped to the cuts of its video (video id -> cut seconds)."""
    return [snapped(m, cuts.get(m.video.id, ())) for m in moments]


def stored_cuts(library: Library, moments: list[MomentSpan]) -> dict[int, list[float]]:
    """The cuts of the moments' videos: video id -> seconds (none for a video without shots)."""
    with library.sessions() as session:
        videos = store.videos_by_ids(sorted({m.video.id for m in moments}), session=session)
    return {vid: cut_times(video.shots) or [] for vid, video in videos.items()}
