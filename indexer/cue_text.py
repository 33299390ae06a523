"""Subtitle text to timed cues (pure): SRT, WebVTT and ASS/SSA, as sidecar files hold them.

Every parser takes the file's text and gives ``(cues, notes)``: the cues it could read, in file
order, and one plain note per block it skipped (``"block 3: no start --> end time line"``), so a
bad block never stops the rest. Markup is stripped (``<i>``, ``<c.red>``, ``{\\i1}`` ASS override
tags, ``\\N`` line breaks); a byte-order mark, CRLF line ends and a missing final newline are
accepted. A cue whose text is empty after stripping is dropped silently (a styling-only block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Cue:
    start: float
    """Seconds from the start of the video."""
    end: float
    text: str
    """One line of plain text (markup stripped, lines joined by spaces)."""


_TAG = re.compile(r"<[^>]*>")
_ASS_OVERRIDE = re.compile(r"\{[^}]*\}")
_SPACE = re.compile(r"\s+")
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")
_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")


def plain_text(text: str) -> str:
    """``text`` without HTML-like tags, ASS override blocks and line breaks, spaces collapsed."""
    text = text.replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
    text = _ASS_OVERRIDE.sub("", _TAG.sub("", text))
    for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " ")):
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


def seconds(stamp: str) -> float | None:
    """``HH:MM:SS,mmm``, ``HH:MM:SS.mmm`` or ``MM:SS.mmm`` as seconds; None when it is none of these."""
    m = _TIME.match(stamp.strip())
    if m is None:
        return None
    hours, minutes, secs, frac = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def _lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = [[]]
    for line in _lines(text):
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _timed_block(block: list[str], number: int) -> tuple[Cue | None, str | None]:
    """A cue from a block whose first or second line is ``start --> end``; else a note."""
    for i, line in enumerate(block[:2]):
        m = _ARROW.match(line)
        if m is None:
            continue
        start, end = seconds(m.group(1)), seconds(m.group(2))
        if start is None or end is None:
            return None, f"block {number}: unreadable time {line.strip()!r}"
        if end < start:
            return None, f"block {number}: ends ({m.group(2)}) before it starts ({m.group(1)})"
        text = plain_text(" ".join(block[i + 1 :]))
        return (Cue(start, end, text) if text else None), None
    return None, f"block {number}: no 'start --> end' time line"


def parse_srt(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of a SubRip file."""
    return _timed_blocks(enumerate(_blocks(text), 1))


def parse_vtt(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of a WebVTT file (NOTE, STYLE and REGION blocks are skipped)."""
    blocks = _blocks(text)
    if not blocks or not blocks[0][0].lstrip("\ufeff").startswith("WEBVTT"):
        return [], ["no WEBVTT header on the first line"]
    return _timed_blocks(
        (number, block)
        for number, block in enumerate(blocks[1:], 2)
        if block[0].split(" ", 1)[0] not in ("NOTE", "STYLE", "REGION")
    )


def _timed_blocks(numbered: Iterable[tuple[int, list[str]]]) -> tuple[list[Cue], list[str]]:
    """The cues of (number, block) pairs of an SRT or WebVTT file, and a note for each bad block."""
    cues, notes = [], []
    for number, block in numbered:
        cue, note = _timed_block(block, number)
        if cue is not None:
            cues.append(cue)
        if note is not None:
            notes.append(note)
    return cues, notes


def ass_dialogue(fields: list[str], text_at: int, start_at: int, end_at: int) -> tuple[float | None, float | None, str]:
    """(start, end, plain text) of one split Dialogue line."""
    return seconds(fields[start_at]), seconds(fields[end_at]), plain_text(fields[text_at])


def parse_ass(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of an ASS/SSA file: its ``Dialogue:`` lines, read by the ``[Events]`` Format line."""
    cues, notes = [], []
    format_: list[str] | None = None
    in_events = False
    for number, line in enumerate(_lines(text), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_events = stripped.lower() == "[events]"
            continue
        if not in_events or ":" not in stripped:
            continue
        kind, rest = stripped.split(":", 1)
        if kind == "Format":
            format_ = [f.strip().lower() for f in rest.split(",")]
            continue
        if kind != "Dialogue":
            continue
        if format_ is None or not {"start", "end", "text"} <= set(format_):
            notes.append(f"line {number}: Dialogue before a Format line naming Start, End and Text")
            continue
        fields = rest.split(",", len(format_) - 1)
        if len(fields) < len(format_):
            notes.append(f"line {number}: {len(fields)} fields, the Format line names {len(format_)}")
            continue
        start, end, body = ass_dialogue(fields, format_.index("text"), format_.index("start"), format_.index("end"))
        if start is None or end is None:
            notes.append(f"line {number}: unreadable time")
            continue
        if end < start:
            notes.append(f"line {number}: ends before it starts")
            continue
        if body:
            cues.append(Cue(start, end, body))
    return cues, notes


PARSERS = {".srt": parse_srt, ".vtt": parse_vtt, ".ass": parse_ass, ".ssa": parse_ass}
"""Sidecar suffix -> its parser."""
