"""The reference readers of the files vidseek writes for other software, for every test that writes one:
OpenTimelineIO reads OTIO JSON and CMX3600 EDLs (its reader refuses overlapping record times and events
whose source and record durations differ), Python's csv module reads CSV."""

from __future__ import annotations

import csv
import io
import re
import zipfile

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
