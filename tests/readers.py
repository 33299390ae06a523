"""The reference readers of the files vidseek writes for other software, for every test that writes one:
OpenTimelineIO reads OTIO JSON and CMX3600 EDLs (its reader refuses overlapping record times and events
whose source and record durations differ), FCPXML (``fcpx_xml``) and FCP7 XML (``fcp_xml``); FCPXML's
rational times are also read exactly here; Python's csv module reads CSV."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from fractions import Fraction
from xml.etree import ElementTree

import opentimelineio as otio

from vidseek.timecode import counting_rate

EDL_FILE_NAME = re.compile(r"-(?P<fps>\d+(?:\.\d+)?)fps(?:-\d+)?\.edl$")
"""How a file of an EDL zip says its rate: ``vidseek-red-29.97fps.edl`` (``-25fps-2.edl``: the second day)."""


def read_otio(text: str) -> otio.schema.Timeline:
    return otio.adapters.read_from_string(text, "otio_json")


def read_edl(text: str, fps: float) -> otio.schema.Timeline:
    """An EDL read at ``fps`` (an EDL does not say its rate; 29.97 and 59.94 read drop-frame ``;`` timecodes)."""
    return otio.adapters.read_from_string(text, "cmx_3600", rate=counting_rate(fps))


def read_edl_zip(data: bytes) -> dict[str, tuple[float, otio.schema.Timeline]]:
    """File name -> (rate, timeline) of each EDL of a zip, read at the rate its name says."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            found = EDL_FILE_NAME.search(name)
            assert found, f"{name} does not say its frame rate"
            rate = counting_rate(float(found["fps"]))
            out[name] = (rate, read_edl(archive.read(name).decode("utf-8"), rate))
    return out


def source_frames(timeline: otio.schema.Timeline) -> list[tuple[int, int, float]]:
    """(first frame, frame after the last, rate) of each clip's source range, in track order."""
    out = []
    for clip in timeline.find_clips():
        source = clip.source_range
        out.append((round(source.start_time.value), round(source.end_time_exclusive().value), source.start_time.rate))
    return out


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows of a CSV with a header row; every row has as many cells as the header."""
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body), "a row has more or fewer cells than the header"
    return [dict(zip(header, row)) for row in body]


def read_fcpxml(data: bytes) -> otio.schema.Timeline:
    """The project of an FCPXML document, read by OpenTimelineIO's ``fcpx_xml`` adapter (which counts
    frames at whole rates: exact at 24, 25, 30..., a frame off at 23.976, 29.97, 59.94)."""
    [project] = otio.adapters.read_from_string(data.decode("utf-8"), "fcpx_xml")
    return project


def fcpxml_time(value: str) -> Fraction:
    """FCPXML time (``1001/30000s``, ``5s``) as exact seconds."""
    return Fraction(value.removesuffix("s"))


def fcpxml_clips(data: bytes) -> list[dict]:
    """Each spine clip of an FCPXML document read exactly (rational seconds, the reader Final Cut Pro is):
    its asset's file and frame rate, its first source frame, its length and timeline offset in seconds,
    its timecode format, markers and keywords (start and duration in source frames)."""
    root = ElementTree.fromstring(data)
    formats = {f.get("id"): 1 / fcpxml_time(f.get("frameDuration")) for f in root.iter("format")}
    assets = {a.get("id"): a for a in root.iter("asset")}
    out = []
    for clip in root.find("library/event/project/sequence/spine"):
        asset = assets[clip.get("ref")]
        rate = formats[asset.get("format")]

        out.append(
            {
                "src": asset.find("media-rep").get("src"),
                "rate": rate,
                "start": fcpxml_time(clip.get("start")) * rate,
                "seconds": fcpxml_time(clip.get("duration")),
                "offset": fcpxml_time(clip.get("offset")),
                "tcFormat": clip.get("tcFormat"),
                "markers": [(*_frames(m, rate), m.get("value"), m.get("note")) for m in clip.iter("marker")],
                "keywords": [(*_frames(k, rate), k.get("value")) for k in clip.iter("keyword")],
            }
        )
    return out


def _frames(element: ElementTree.Element, rate: Fraction) -> tuple[Fraction, Fraction]:
    """An FCPXML element's start and duration in frames at ``rate``."""
    return fcpxml_time(element.get("start")) * rate, fcpxml_time(element.get("duration")) * rate


def read_xmeml(data: bytes) -> otio.schema.Timeline:
    """An FCP7 XML (xmeml) sequence, read by OpenTimelineIO's ``fcp_xml`` adapter."""
    return otio.adapters.read_from_string(data.decode("utf-8"), "fcp_xml")


RESOLVE_MARKER = re.compile(r"^\|C:(?P<colour>Resolve\w+) \|M:(?P<name>[^|]*) \|D:(?P<frames>\d+)$")
"""A Resolve marker line, as the cmx_3600 reader keeps it (a comment it does not know)."""


def read_resolve_markers(text: str, fps: float) -> list[dict]:
    """The markers of a Resolve marker EDL read by the cmx_3600 reader at ``fps``: timeline frame (the
    event's source in, which is its record in), colour, name, length in frames and the note line."""
    timeline = read_edl(text, fps)
    out = []
    for clip in timeline.find_clips():
        comments = clip.metadata["cmx_3600"]["comments"]
        found = RESOLVE_MARKER.match(comments[0])
        assert found, comments
        out.append(
            {
                "frame": round(clip.source_range.start_time.value),
                "colour": found["colour"],
                "name": found["name"],
                "frames": int(found["frames"]),
                "note": comments[1] if len(comments) > 1 else None,
            }
        )
    return out
