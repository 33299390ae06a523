"""Subtitle text to timed cues (pure): SRT, WebVTT and ASS/SSA, as sidecar files hold them.

Every parser takes the file's text and gives ``(cues, notes)``: the cues it could read, in file
order, and one plain note per cue or block it skipped (``"line 9: no 'start --> end' time line"``),
so a bad block never stops the rest. Markup is stripped (``indexer.said.cue_markup``); CRLF line ends
and a missing final newline are accepted.

SRT and WebVTT are read as their peers read them (pysubs2, the WebVTT parsing rules): a cue starts
at its ``start --> end`` line (after an optional identifier line) and its text runs to the next
blank line or to the next line holding ``-->``, so cues with no blank line between them are still
cues. In SRT the number line right before a time line is the next cue's number, not text.

A time that cannot be one is not guessed at: a cue whose minutes or seconds are 60 or more, whose
hours have more than 6 digits, that ends before it starts or that lies beyond ``LAST_SECOND`` is
skipped with a note. A cue whose text is empty after stripping is dropped silently (a styling-only
block). Notes quote at most ``QUOTED_CHARS`` characters of the file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from indexer.said.cue_markup import ass_text, markup_text


@dataclass(frozen=True)
class Cue:
    start: float
    """Seconds from the start of the video."""
    end: float
    text: str
    """One line of plain text (markup stripped, lines joined by spaces)."""


LAST_SECOND = 10_000 * 3600
"""No cue time lies beyond 10,000 hours: a later one is not a real time."""
QUOTED_CHARS = 80
"""Notes quote this many characters of a line at most."""
_TIME = re.compile(r"(?:(\d{1,6}):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})")
_VTT_SKIPPED = re.compile(r"(?:NOTE|STYLE|REGION)(?:\s|$)")
_NUMBER = re.compile(r"\s*\d+\s*")


def quoted(text: str) -> str:
    """``text`` as a note shows it: quoted, cut to ``QUOTED_CHARS`` characters."""
    return repr(text[:QUOTED_CHARS]) + ("..." if len(text) > QUOTED_CHARS else "")


def seconds(stamp: str) -> float | None:
    """``HH:MM:SS,mmm``, ``HH:MM:SS.mmm``, ``MM:SS.mmm`` (or ASS's ``H:MM:SS.cc``) as seconds; None when
    it is none of these or names no real time (minutes or seconds of 60 and more)."""
    m = _TIME.fullmatch(stamp.strip())
    if m is None:
        return None
    hours, minutes, secs, frac = m.groups()
    if int(minutes) >= 60 or int(secs) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def time_problem(start: float, end: float) -> str | None:
    """Why ``start``..``end`` cannot be a cue's time (not a number, negative, beyond ``LAST_SECOND``,
    ends before it starts); None when it can."""
    if not (math.isfinite(start) and math.isfinite(end)):
        return "its time is not a number"
    if start < 0:
        return f"starts before 0 ({start:g} s)"
    if end > LAST_SECOND:
        return f"ends after {LAST_SECOND // 3600:,} hours ({end:g} s): not a real time"
    if end < start:
        return f"ends ({end:g} s) before it starts ({start:g} s)"
    return None


def _lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass
class _Block:
    """A time line and the text lines after it; or (``timing`` None) a block with no time line."""

    line: int
    """Line number (from 1) of the time line, or of the block's first line."""
    timing: str | None
    text: list[str]


def _time_blocks(lines: list[str], *, srt: bool) -> Iterator[_Block]:
    """The cues' blocks of SRT or WebVTT ``lines`` (after the header, for WebVTT), and the blocks that
    have no time line. WebVTT NOTE, STYLE and REGION blocks are passed over."""
    cue: _Block | None = None
    loose: _Block | None = None
    skipping = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            if cue is not None:
                yield cue
            elif loose is not None:
                yield loose
            cue = loose = None
            skipping = False
            continue
        if skipping:
            continue
        if "-->" in line:
            if cue is not None:
                if srt and cue.text and _NUMBER.fullmatch(cue.text[-1]):
                    cue.text.pop()  # the next cue's number
                yield cue
            cue, loose = _Block(number, line, []), None  # loose lines before a time line: an identifier
        elif cue is not None:
            cue.text.append(line)
        elif loose is not None:
            loose.text.append(line)
        elif not srt and _VTT_SKIPPED.match(line):
            skipping = True
        else:
            loose = _Block(number, None, [line])
    if cue is not None:
        yield cue
    elif loose is not None:
        yield loose


def _timed_cue(block: _Block) -> tuple[Cue | None, str | None]:
    """A cue from a block; else a note."""
    if block.timing is None:
        return None, f"line {block.line}: no 'start --> end' time line"
    left, _, right = block.timing.partition("-->")
    start_stamp = (left.split() or [""])[-1]
    end_stamp = (right.split(None, 1) or [""])[0]
    start, end = seconds(start_stamp), seconds(end_stamp)
    if start is None or end is None:
        return None, f"line {block.line}: unreadable time {quoted(block.timing.strip())}"
    problem = time_problem(start, end)
    if problem is not None:
        return None, f"line {block.line}: {problem}"
    text = markup_text("\n".join(block.text))
    return (Cue(start, end, text) if text else None), None


def _cues(blocks: Iterator[_Block]) -> tuple[list[Cue], list[str]]:
    cues, notes = [], []
    for block in blocks:
        cue, note = _timed_cue(block)
        if cue is not None:
            cues.append(cue)
        if note is not None:
            notes.append(note)
    return cues, notes


def parse_srt(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of a SubRip file."""
    return _cues(_time_blocks(_lines(text), srt=True))


def parse_vtt(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of a WebVTT file (its header, NOTE, STYLE and REGION blocks are skipped)."""
    lines = _lines(text)
    if not re.match(r"WEBVTT(?:[ \t]|$)", lines[0]):
        return [], ["no WEBVTT header on the first line"]
    body = 1
    while body < len(lines) and lines[body].strip() and "-->" not in lines[body]:
        body += 1  # header lines
    return _cues(_time_blocks([""] * body + lines[body:], srt=False))


def parse_ass(text: str) -> tuple[list[Cue], list[str]]:
    """Cues of an ASS/SSA file: its ``Dialogue:`` lines, read by the ``[Events]`` Format line."""
    cues, notes = [], []
    format_: list[str] | None = None
    in_events = seen_events = False
    lines = _lines(text)
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_events = stripped.lower() == "[events]"
            seen_events = seen_events or in_events
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
        start, end = seconds(fields[format_.index("start")]), seconds(fields[format_.index("end")])
        if start is None or end is None:
            notes.append(f"line {number}: unreadable time")
            continue
        problem = time_problem(start, end)
        if problem is not None:
            notes.append(f"line {number}: {problem}")
            continue
        body = ass_text(fields[format_.index("text")])
        if body:
            cues.append(Cue(start, end, body))
    if not seen_events and any(line.strip() for line in lines):
        notes.append("no [Events] section: is it an ASS/SSA file?")
    return cues, notes


PARSERS: dict[str, Callable[[str], tuple[list[Cue], list[str]]]] = {
    ".srt": parse_srt,
    ".vtt": parse_vtt,
    ".ass": parse_ass,
    ".ssa": parse_ass,
}
"""Sidecar suffix -> its parser."""
