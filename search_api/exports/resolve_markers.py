"""A query's moments as DaVinci Resolve timeline markers: an EDL whose events each carry a
``|C:ResolveColorGreen |M:name |D:frames`` line, which Resolve's Timeline > Import > Timeline Markers
from EDL reads as one marker each.

The markers lie where ``search_api.exports.cuts`` places the moments on a timeline (back to back from its start
timecode, at its rate, handles included, as the FCPXML and FCP7 XML exports lay them out): each starts at
its moment's first frame and lasts the moment. Resolve imports the markers only when the EDL's start
timecode, frame rate and drop-frame setting (``FCM:``) are the timeline's. Name: the query; colour: the
relevance band; the note (the quote, or the score) follows on a ``*`` comment line.
"""

from __future__ import annotations

from search_api.exports.cuts import Timeline
from search_api.exports.edl import one_line
from search_api.exports.fcpxml import note
from vidseek.timecode import smpte

COLOURS = {"high": "ResolveColorGreen", "medium": "ResolveColorYellow", "low": "ResolveColorBlue"}
"""Resolve marker colour of each relevance band."""


def marker_text(text: str) -> str:
    """One line with no ``|`` (which starts the next field of a marker line)."""
    return one_line(text).replace("|", "/")


def markers(placed: Timeline) -> list[tuple[int, int]]:
    """(timeline frame, length in frames) of each moment's marker."""
    out = []
    for c in placed.cuts:
        m = c.moment
        before = round((m.frames.start - c.start) * placed.rate / c.rate)
        length = max(1, round((m.frames.end - m.frames.start) * placed.rate / c.rate))
        out.append((c.record_start + before, max(1, min(length, c.record_length - before))))
    return out


def to_resolve_markers(placed: Timeline, name: str) -> bytes:
    """The marker EDL of ``placed``: one one-frame event per marker, at the marker's timeline timecode."""
    fps = float(placed.rate)
    lines = [f"TITLE: {one_line(name)}", "FCM: DROP FRAME" if placed.drop_frame else "FCM: NON-DROP FRAME", ""]
    for i, (c, (at, length)) in enumerate(zip(placed.cuts, markers(placed)), 1):
        tc_in, tc_out = smpte(at, fps), smpte(at + 1, fps)
        lines.append(f"{i:03d}  001      V     C        {tc_in} {tc_out} {tc_in} {tc_out}  ")
        lines.append(f" |C:{COLOURS[c.moment.relevance]} |M:{marker_text(name)} |D:{length}")
        lines.append(f"* {marker_text(note(c))}")
        lines.append("")
    return "\n".join(lines).encode()
