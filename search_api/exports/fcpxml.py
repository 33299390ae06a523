"""A query's moments as Final Cut Pro XML (FCPXML 1.10): a project whose spine holds one clip per moment.

Times are rational seconds (``1001/30000s``). Each source file is one ``asset`` with its own ``format``
(its frame duration); each clip starts at the moment's first frame (less handles) at its file's own rate,
lasts its cut on the timeline (``search_api.exports.cuts``) and carries a marker over the moment itself (name:
the query; note: the quote, or the score) and a keyword range naming its relevance band (FCPXML markers
have no colour). Timecode is drop-frame (``tcFormat="DF"``) where the rate is 29.97 or 59.94.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

from search_api.exports.cuts import Cut, Timeline
from search_api.exports.edl import one_line
from search_api.exports.formats import marker_text

FCPXML_VERSION = "1.10"


def fcp_time(seconds: Fraction) -> str:
    """A time as FCPXML writes it: ``0s``, ``5s``, ``1001/30000s``."""
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def frames(n: int, rate: Fraction) -> str:
    """``n`` frames at ``rate`` as FCPXML time."""
    return fcp_time(Fraction(n) / rate)


def tc_format(drop_frame: bool) -> str:
    return "DF" if drop_frame else "NDF"


def note(c: Cut) -> str:
    """A marker's note: the quote a speech or shown match found (``formats.marker_text``), or the moment's
    score and band."""
    m = c.moment
    text = marker_text(m)
    return one_line(text) if text else f"score {m.score:g} ({m.relevance})"


def to_fcpxml(placed: Timeline, name: str) -> bytes:
    """The FCPXML document of ``placed`` (its cuts back to back from its start timecode), named ``name``."""
    root = ET.Element("fcpxml", version=FCPXML_VERSION)
    resources = ET.SubElement(root, "resources")
    formats: dict[Fraction, str] = {}
    assets: dict[int, str] = {}

    def format_id(rate: Fraction) -> str:
        if rate not in formats:
            formats[rate] = f"r{len(formats) + len(assets) + 1}"
            ET.SubElement(resources, "format", id=formats[rate], frameDuration=fcp_time(1 / rate))
        return formats[rate]

    sequence_format = format_id(placed.rate)
    for c in placed.cuts:
        video = c.moment.video
        if video.id not in assets:
            fmt = format_id(c.rate)
            assets[video.id] = f"r{len(formats) + len(assets) + 1}"
            asset = ET.SubElement(
                resources,
                "asset",
                id=assets[video.id],
                name=one_line(video.title) or Path(video.path).name,
                start="0s",
                duration=frames(c.media_frames, c.rate),
                hasVideo="1",
                format=fmt,
                videoSources="1",
            )
            ET.SubElement(asset, "media-rep", kind="original-media", src=Path(video.path).as_uri())
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="vidseek")
    project = ET.SubElement(event, "project", name=one_line(name))
    sequence = ET.SubElement(
        project,
        "sequence",
        format=sequence_format,
        duration=frames(placed.end - placed.start, placed.rate),
        tcStart=frames(placed.start, placed.rate),
        tcFormat=tc_format(placed.drop_frame),
    )
    spine = ET.SubElement(sequence, "spine")
    for c in placed.cuts:
        m = c.moment
        clip = ET.SubElement(
            spine,
            "asset-clip",
            ref=assets[m.video.id],
            offset=frames(c.record_start, placed.rate),
            name=one_line(f"{m.rank:03d} {m.video.title}"),
            start=frames(c.start, c.rate),
            duration=frames(c.record_length, placed.rate),
            format=formats[c.rate],
            tcFormat=tc_format(c.drop_frame),
        )
        moment_length = max(1, m.frames.end - m.frames.start)
        marked = {"start": frames(m.frames.start, c.rate), "duration": frames(moment_length, c.rate)}
        ET.SubElement(clip, "marker", **marked, value=one_line(name), note=note(c))
        ET.SubElement(clip, "keyword", **marked, value=f"vidseek {m.relevance}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n{body}\n'.encode()
