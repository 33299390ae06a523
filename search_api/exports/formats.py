"""A query's moments as files an editor imports: OpenTimelineIO, CSV, and the timeline the CMX3600 EDLs of
``search_api.exports.edl`` are written from.

All three are made from the moments of the result JSON (``response_models.MomentSpan``, built by
``results.moment_spans``), so seconds, frame numbers and timecodes are the same numbers the search
API shows. A moment the speech or shown signal found carries its quote (``shown: `` first when only
the text shown in the picture found it): a marker over the clip in OTIO (its
name and comment; the EDL writes it as a ``* LOC:`` comment line), and ``matched`` and ``quote``
columns in CSV (only in exports that searched speech: a visual export is the file it always was).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from search_api.http.response_models import MomentSpan
from vidseek.timecode import counting_rate

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
        source = TimeRange(RationalTime(m.frames.start, rate), RationalTime(source_frames(m), rate))
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
        text = marker_text(m)
        if text:
            colour = otio.schema.MarkerColor.PURPLE if text.startswith(SHOWN_PREFIX) else otio.schema.MarkerColor.GREEN
            clip.markers.append(otio.schema.Marker(name=text, marked_range=source, color=colour, comment=text))
        track.append(clip)
    result = otio.schema.Timeline(name=name)
    result.tracks.append(track)
    return result


SHOWN_PREFIX = "shown: "
"""What a marker of a moment found by the text shown in the picture (not by what is said) starts with."""


def marker_text(m: MomentSpan) -> str | None:
    """The text of a moment's marker: its quote, led by ``shown: `` when the text shown in the picture
    found it and what is said did not; None without a quote."""
    if not m.quote:
        return None
    shown = "shown" in (m.matched or ()) and "speech" not in (m.matched or ())
    return SHOWN_PREFIX + m.quote if shown else m.quote


def source_frames(m: MomentSpan) -> int:
    """How many frames of its video a moment's clip holds: from its start frame up to its end frame."""
    return max(1, m.frames.end - m.frames.start)


def to_otio(moments: list[MomentSpan], name: str) -> str:
    return otio.adapters.write_to_string(timeline(moments, name), "otio_json")


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
