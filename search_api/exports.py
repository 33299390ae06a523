"""A query's moments as files an editor imports: OpenTimelineIO, CMX3600 EDL, CSV.

All three are made from the moments of the result JSON (``response_models.MomentSpan``, built by
``results.moment_spans``), so seconds, frame numbers and timecodes are the same numbers the search
API shows. A moment the speech signal found carries its quote: a marker over the clip in OTIO (its
name and comment; the EDL writes it as a ``* LOC:`` comment line), and ``matched`` and ``quote``
columns in CSV (only in exports that searched speech: a visual export is the file it always was).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from search_api.response_models import MomentSpan
from vidseek.timecode import counting_rate, frames_per_day, is_drop_frame

EDL_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0)
"""Rates SMPTE timecode (and so an EDL) can be written at. An EDL has one rate, its sources' own: moments
at several rates are one EDL per rate (:func:`edl_files`)."""
CSV_FIELDS = (
    "rank",
    "score",
    "relevance",
    "video_id",
    "title",
    "path",
    "fps",
    "start",
    "end",
    "peak",
    "start_frame",
    "end_frame",
    "peak_frame",
    "start_timecode",
    "end_timecode",
    "peak_timecode",
)
SPEECH_CSV_FIELDS = ("matched", "quote")
"""Columns added when the search fused speech in."""


class ExportProblem(ValueError):
    """These results cannot be written in the asked format; the message says why and what to use."""


def reel_name(path: str) -> str:
    """An EDL reel name: up to 8 letters and digits of the file name ("red twice.mp4" -> "redtwice")."""
    return re.sub(r"[^A-Za-z0-9]", "", Path(path).stem)[:8] or "AX"


def timeline(moments: list[MomentSpan], name: str) -> otio.schema.Timeline:
    """One video track, the moments back to back, each clip's source range at its file's own rate."""
    track = otio.schema.Track(name="moments", kind=otio.schema.TrackKind.Video)
    for m in moments:
        signals = {"matched": m.matched, "quote": m.quote} if _searched_speech([m]) else {}
        rate, video = counting_rate(m.fps), m.video
        media = otio.schema.ExternalReference(
            target_url=Path(video.path).as_uri(),
            available_range=TimeRange(RationalTime(0, rate), RationalTime(round(video.duration * rate), rate)),
        )
        media.name = Path(video.path).name
        source = TimeRange(RationalTime(m.frames.start, rate), RationalTime(_source_frames(m), rate))
        clip = otio.schema.Clip(
            name=f"{m.rank:03d} {video.title}",
            media_reference=media,
            source_range=source,
            metadata={
                "cmx_3600": {"reel": reel_name(video.path)},
                "vidseek": {
                    "score": m.score,
                    "relevance": m.relevance,
                    "video_id": video.id,
                    "peak_frame": m.frames.peak,
                    **signals,
                },
            },
        )
        if m.quote:
            clip.markers.append(
                otio.schema.Marker(
                    name=m.quote, marked_range=source, color=otio.schema.MarkerColor.GREEN, comment=m.quote
                )
            )
        track.append(clip)
    result = otio.schema.Timeline(name=name)
    result.tracks.append(track)
    return result


def _source_frames(m: MomentSpan) -> int:
    """How many frames of its video a moment's clip holds: from its start frame up to its end frame."""
    return max(1, m.frames.end - m.frames.start)


def to_otio(moments: list[MomentSpan], name: str) -> str:
    return otio.adapters.write_to_string(timeline(moments, name), "otio_json")


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


def one_line(text: str) -> str:
    """``text`` as one line of plain text: control characters and line or paragraph separators (anything
    ``str.splitlines`` breaks at, which EDL readers split on) become spaces, runs of spaces one."""
    return " ".join("".join(" " if unicodedata.category(c) in _LINE_BREAKING else c for c in text).split())


_LINE_BREAKING = {"Cc", "Zl", "Zp"}


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


def _one_line_names(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The timeline with each clip's and marker's name and comment on one line: the EDL writes them as
    comment lines."""
    for clip in timeline.find_clips():
        clip.name = one_line(clip.name)
        for marker in clip.markers:
            marker.name, marker.comment = one_line(marker.name), one_line(marker.comment)
    return timeline


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
        length = _source_frames(m)
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
            title = name if len(groups) == len(runs) == 1 else f"{name} ({label} fps{f', part {i}' if part else ''})"
            files[f"{stem}-{label}fps{part}.edl"] = to_edl(run, title)
    return files


def edl_zip(files: dict[str, str]) -> bytes:
    """The EDLs of :func:`edl_files` as one zip archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, edl in files.items():
            archive.writestr(file_name, edl)
    return out.getvalue()


def _searched_speech(moments: list[MomentSpan]) -> bool:
    """Whether these moments come from a search that fused speech in (they say what matched)."""
    return any("matched" in m.model_fields_set for m in moments)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a text cell starting with one of these as a formula (CSV injection)."""


def cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: text starting with a formula character gets a ``'`` in front
    (the OWASP advice against CSV injection); numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(moments: list[MomentSpan]) -> str:
    """A header row, then one row per moment; every text cell through :func:`cell`."""
    out = io.StringIO()
    speech = _searched_speech(moments)
    fields = CSV_FIELDS + (SPEECH_CSV_FIELDS if speech else ())
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")  # RFC 4180; a lone \r in a cell is quoted
    writer.writeheader()
    for m in moments:
        row = {
            "rank": m.rank,
            "score": m.score,
            "relevance": m.relevance,
            "video_id": m.video.id,
            "title": m.video.title,
            "path": m.video.path,
            "fps": m.fps,
            "start": m.start,
            "end": m.end,
            "peak": m.peak,
            **{f"{key}_frame": n for key, n in m.frames.model_dump().items()},
            **{f"{key}_timecode": tc for key, tc in m.timecode.model_dump().items()},
            **({"matched": "+".join(m.matched), "quote": m.quote or ""} if speech else {}),
        }
        writer.writerow({key: cell(value) for key, value in row.items()})
    return out.getvalue()
