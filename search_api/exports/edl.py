"""A query's moments as CMX3600 EDLs, written by OpenTimelineIO's adapter from ``exports.timeline``.

An EDL has one frame rate, at which its events' source timecodes count, and record timecode wraps after
24 hours: moments at several rates, or lasting longer together, are several EDLs (:func:`edl_files`),
sent as a zip (:func:`edl_zip`). Each event's source in and out are the moment's ``frames`` at its video's
own rate, so its timecodes are the API's.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile

import opentimelineio as otio

from search_api.exports.formats import ExportProblem, source_frames, timeline
from search_api.http.response_models import MomentSpan
from vidseek.timecode import counting_rate, frames_per_day, is_drop_frame

EDL_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0)
"""Rates SMPTE timecode (and so an EDL) can be written at. An EDL has one rate, its sources' own: moments
at several rates are one EDL per rate (:func:`edl_files`)."""


def is_smpte_rate(rate: float) -> bool:
    """Whether SMPTE timecode (and so an EDL) can be written at ``rate`` (a :func:`counting_rate`)."""
    return any(abs(rate - smpte_rate) < 1e-6 for smpte_rate in EDL_RATES)


def refuse_odd_rates(moments: list[MomentSpan]) -> None:
    """Raise :class:`ExportProblem` naming the videos of any moments at a rate no EDL can be written at."""
    odd = sorted({f"{m.video.title} ({m.fps:g} fps)" for m in moments if not is_smpte_rate(counting_rate(m.fps))})
    if odd:
        raise ExportProblem(
            "an EDL needs a SMPTE frame rate (23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60) and the videos of "
            f"{'some of ' if len(odd) < len(moments) else ''}these moments have none: {', '.join(odd[:5])}"
            f"{' ...' if len(odd) > 5 else ''}; export as .otio or .csv instead, or leave these videos out"
        )


def edl_rate(moments: list[MomentSpan]) -> float:
    """The one rate of an EDL of ``moments``: theirs, which they share and SMPTE timecode can be written at."""
    refuse_odd_rates(moments)
    rates = {counting_rate(m.fps) for m in moments}
    if len(rates) != 1:
        raise ValueError(f"an EDL holds moments at one frame rate, not {len(rates)}: see edl_files")
    return rates.pop()


def by_rate(moments: list[MomentSpan]) -> dict[float, list[MomentSpan]]:
    """The moments grouped by the rate their frames are counted at, in the order each rate first ranks."""
    groups: dict[float, list[MomentSpan]] = {}
    for m in moments:
        groups.setdefault(counting_rate(m.fps), []).append(m)
    return groups


def rate_label(rate: float) -> str:
    """A rate as people write it: 24000/1001 -> '23.976', 30000/1001 -> '29.97', 25.0 -> '25'."""
    return f"{round(rate, 3):g}"


_LINE_BREAKING = {"Cc", "Zl", "Zp"}
"""Unicode categories of control characters and line and paragraph separators."""


def one_line(text: str) -> str:
    """``text`` as one line of plain text: control characters and line or paragraph separators (anything
    ``str.splitlines`` breaks at, which EDL readers split on) become spaces, runs of spaces one."""
    return " ".join("".join(" " if unicodedata.category(c) in _LINE_BREAKING else c for c in text).split())


def to_edl(moments: list[MomentSpan], name: str) -> str:
    """CMX3600 by the OpenTimelineIO adapter, for moments all at one SMPTE rate: each event's source in and
    out are the moments' ``frames`` (so its timecodes are theirs), record times run back to back from
    00:00:00:00 at the same rate. ``FCM:`` says whether the timecodes are drop-frame (``;`` at 29.97 and
    59.94). Every comment is one line (see :func:`one_line`)."""
    title = one_line(name)
    if not moments:
        return f"TITLE: {title}\n\n"  # the adapter cannot write an empty track
    rate = edl_rate(moments)
    if len(within_a_day(moments)) > 1:
        raise ValueError("the moments' record times pass 24 hours: see edl_files")
    edl = otio.adapters.write_to_string(_one_line_names(timeline(moments, title)), "cmx_3600", rate=rate)
    fcm = "FCM: DROP FRAME" if is_drop_frame(rate) else "FCM: NON-DROP FRAME"
    if not edl.startswith("TITLE:"):
        return f"{fcm}\n\n{edl}"
    head, _, events = edl.partition("\n")
    return f"{head}\n{fcm}\n{events}"


def _one_line_names(moments: otio.schema.Timeline) -> otio.schema.Timeline:
    """The timeline with each clip's and marker's name and comment on one line: the EDL writes them as
    comment lines."""
    for clip in moments.find_clips():
        clip.name = one_line(clip.name)
        for marker in clip.markers:
            marker.name, marker.comment = one_line(marker.name), one_line(marker.comment)
    return moments


def refuse_past_a_day(moments: list[MomentSpan]) -> None:
    """Raise :class:`ExportProblem` naming the videos of any moments that end 24 hours or more in: SMPTE
    timecode wraps there, so no EDL can say where they are."""
    late = sorted({m.video.title for m in moments if m.frames.end >= frames_per_day(m.fps)})
    if late:
        raise ExportProblem(
            f"an EDL cannot hold moments 24 hours or more into a video (SMPTE timecode starts again at "
            f"00:00:00:00 there): {', '.join(late[:5])}{' ...' if len(late) > 5 else ''}; export as .otio or "
            ".csv instead, or leave these videos out"
        )


def within_a_day(moments: list[MomentSpan]) -> list[list[MomentSpan]]:
    """``moments`` (all at one rate) cut, in order, into runs whose record times, back to back from
    00:00:00:00, all end before 24 hours of timecode."""
    runs: list[list[MomentSpan]] = []
    record = 0
    for m in moments:
        length = source_frames(m)
        if not runs or record + length >= frames_per_day(m.fps):
            runs.append([])
            record = 0
        runs[-1].append(m)
        record += length
    return runs


def edl_files(moments: list[MomentSpan], name: str, stem: str) -> dict[str, str]:
    """File name -> EDL: one EDL per frame rate of the moments (an EDL has one rate, and an event's source
    timecodes count at it), named ``STEM-25fps.edl``, ``STEM-23.976fps.edl``, ... in the order each rate
    first ranks; a rate whose moments last 24 hours or more is several EDLs (``STEM-25fps-1.edl``,
    ``STEM-25fps-2.edl``), as record timecode wraps there. Moments no EDL can hold (at a rate without SMPTE
    timecode, or a day into their video) are refused (:class:`ExportProblem`)."""
    refuse_odd_rates(moments)
    refuse_past_a_day(moments)
    groups = by_rate(moments)
    if not groups:
        return {f"{stem}.edl": to_edl([], name)}
    files = {}
    for rate, group in groups.items():
        label, runs = rate_label(rate), within_a_day(group)
        for i, run in enumerate(runs, 1):
            part = f"-{i}" if len(runs) > 1 else ""
            title = f"{name} ({label} fps{f', part {i}' if part else ''})" if len(groups) + len(runs) > 2 else name
            files[f"{stem}-{label}fps{part}.edl"] = to_edl(run, title)
    return files


def edl_zip(files: dict[str, str]) -> bytes:
    """The EDLs of :func:`edl_files` as one zip archive, the same bytes for the same EDLs (every entry
    dated 1980-01-01, the zip format's first day), so the API and ``vidseek export`` give one file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, edl in files.items():
            entry = zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(entry, edl)
    return out.getvalue()
