"""A query's moments as Final Cut Pro 7 XML (``xmeml`` version 4), the XML Premiere Pro imports: one
sequence, one video track, one clip item per moment.

Each clip item counts at its file's own rate (``timebase`` and ``ntsc``): its ``in`` and ``out`` are the
moment's frames less and plus handles (``search_api.exports.cuts``); ``start`` and ``end`` are where it lies on
the sequence, at the sequence's rate, from the sequence's start timecode. Each clip item carries a
marker over the moment (name: the query; comment: the quote, or the score) and a colour label for its
relevance band; the sequence carries the same markers at their sequence frames.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

from search_api.exports.cuts import Cut, Timeline
from search_api.exports.edl import one_line
from search_api.exports.fcpxml import note
from vidseek.timecode import smpte

LABELS = {"high": "Forest", "medium": "Mango", "low": "Cerulean"}
"""Premiere Pro label colour of each relevance band."""


def _text(parent: ET.Element, tag: str, value: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = str(value)
    return element


def _rate(parent: ET.Element, rate: Fraction) -> None:
    """``<rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>`` (29.97 is 30 counted NTSC)."""
    element = ET.SubElement(parent, "rate")
    _text(element, "timebase", round(rate))
    _text(element, "ntsc", "TRUE" if rate.denominator == 1001 else "FALSE")


def _marker(parent: ET.Element, name: str, comment: str, first: int, after: int) -> None:
    marker = ET.SubElement(parent, "marker")
    _text(marker, "name", name)
    _text(marker, "comment", comment)
    _text(marker, "in", first)
    _text(marker, "out", after)


def _clipitem(track: ET.Element, c: Cut, placed: Timeline, name: str, files: set[int]) -> None:
    m, at = c.moment, c.record_start - placed.start
    item = ET.SubElement(track, "clipitem", id=f"clipitem-{m.rank}")
    _text(item, "name", one_line(f"{m.rank:03d} {m.video.title}"))
    _text(item, "duration", c.media_frames)
    _rate(item, c.rate)
    _text(item, "start", at)
    _text(item, "end", at + c.record_length)
    _text(item, "in", c.start)
    _text(item, "out", c.end)
    file_id = f"file-{m.video.id}"
    file = ET.SubElement(item, "file", id=file_id)
    if m.video.id not in files:  # a file's details are written once; later clip items refer to its id
        files.add(m.video.id)
        _text(file, "name", Path(m.video.path).name)
        _text(file, "pathurl", Path(m.video.path).as_uri())
        _rate(file, c.rate)
        _text(file, "duration", c.media_frames)
        media = ET.SubElement(file, "media")
        ET.SubElement(media, "video")
    _marker(item, one_line(name), note(c), m.frames.start, m.frames.end)
    labels = ET.SubElement(item, "labels")
    _text(labels, "label2", LABELS[m.relevance])


def to_xmeml(placed: Timeline, name: str) -> bytes:
    """The xmeml document of ``placed`` (its cuts back to back from its start timecode), named ``name``."""
    root = ET.Element("xmeml", version="4")
    sequence = ET.SubElement(root, "sequence", id="sequence-1")
    _text(sequence, "name", one_line(name))
    _text(sequence, "duration", placed.end - placed.start)
    _rate(sequence, placed.rate)
    timecode = ET.SubElement(sequence, "timecode")
    _rate(timecode, placed.rate)
    _text(timecode, "string", smpte(placed.start, float(placed.rate)))
    _text(timecode, "frame", placed.start)
    _text(timecode, "displayformat", "DF" if placed.drop_frame else "NDF")
    media = ET.SubElement(sequence, "media")
    video = ET.SubElement(media, "video")
    track = ET.SubElement(video, "track")
    files: set[int] = set()
    for c in placed.cuts:
        _clipitem(track, c, placed, name, files)
    for c in placed.cuts:
        m = c.moment
        before = round((m.frames.start - c.start) * placed.rate / c.rate)
        length = max(1, round((m.frames.end - m.frames.start) * placed.rate / c.rate))
        at = c.record_start - placed.start + before
        _marker(
            sequence, one_line(name), note(c), at, min(at + length, c.record_start - placed.start + c.record_length)
        )
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n{body}\n'.encode()
