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
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from search_api.response_models import MomentSpan
from vidseek.timecode import counting_rate

EDL_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0)
"""Rates SMPTE timecode (and so an EDL) can be written at."""
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
        source = TimeRange(
            RationalTime(m.frames.start, rate), RationalTime(max(1, m.frames.end - m.frames.start), rate)
        )
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


def to_otio(moments: list[MomentSpan], name: str) -> str:
    return otio.adapters.write_to_string(timeline(moments, name), "otio_json")


def edl_rate(moments: list[MomentSpan]) -> float:
    """An EDL has one rate: that of the first moment at a SMPTE rate; moments at other rates are converted."""
    for m in moments:
        rate = counting_rate(m.fps)
        if any(abs(rate - smpte_rate) < 1e-6 for smpte_rate in EDL_RATES):
            return rate
    raise ExportProblem(
        "an EDL needs a SMPTE frame rate (23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60) and "
        f"none of these moments' videos has one ({', '.join(sorted({str(m.fps) for m in moments}))} "
        "fps): export as .otio or .csv instead"
    )


def to_edl(moments: list[MomentSpan], name: str) -> str:
    """CMX3600 by the OpenTimelineIO adapter; record times run from 00:00:00:00."""
    if not moments:
        return f"TITLE: {name}\n\n"  # the adapter cannot write an empty track
    return otio.adapters.write_to_string(timeline(moments, name), "cmx_3600", rate=edl_rate(moments))


def _searched_speech(moments: list[MomentSpan]) -> bool:
    """Whether these moments come from a search that fused speech in (they say what matched)."""
    return any("matched" in m.model_fields_set for m in moments)


def to_csv(moments: list[MomentSpan]) -> str:
    out = io.StringIO()
    speech = _searched_speech(moments)
    fields = CSV_FIELDS + (SPEECH_CSV_FIELDS if speech else ())
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for m in moments:
        writer.writerow(
            {
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
        )
    return out.getvalue()
