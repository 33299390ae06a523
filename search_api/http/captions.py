"""A video's stored subtitle cues as a WebVTT caption file (pure): which of its sources is the track,
and the WebVTT text of that source's cues.

A video may hold cues from several sources (``sidecar:NAME.en.srt``, ``stream:2``, a ``speech:...``
transcript). One track is one source: the one asked for (``source``, and/or ``lang``), else the
first sidecar (by name), else the first subtitle stream (by index), else a transcript.

The text is made so that no subtitle line can change the file's structure: ``&``, ``<`` and ``>``
are escaped (so no line holds ``-->`` or a tag), and blank lines inside a cue are dropped (a blank
line ends a cue).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol, Sequence

from vidseek.said.cue_bounds import within
from vidseek.said.cue_sources import is_shown
from vidseek.said.language_tags import same_language

_KINDS = ("sidecar", "stream", "speech")
"""Source kinds, the preferred first."""
_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")


class TimedText(Protocol):
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class CaptionSource:
    """One source of a video's cues: one caption track."""

    source: str
    """``sidecar:NAME.en.srt``, ``stream:INDEX`` or ``speech:...``."""
    lang: str | None
    cues: int


class NoCaptions(LookupError):
    """No track matches: the message says what the video has."""


def _order(source: CaptionSource) -> tuple:
    kind, _, name = source.source.partition(":")
    rank = _KINDS.index(kind) if kind in _KINDS else len(_KINDS)
    number = int(name) if kind == "stream" and name.isdigit() else math.inf
    return rank, number, source.source, source.lang or ""


def caption_sources(rows: Iterable[tuple[str, str | None, int]]) -> list[CaptionSource]:
    """(source, language, cue count) rows as tracks, the default first (see the module docstring);
    rows of one source are one track (its first language). Text read in the picture (``shown:``) is
    no caption: it is on screen already."""
    tracks: dict[str, CaptionSource] = {}
    for source, lang, count in rows:
        if is_shown(source):
            continue
        known = tracks.get(source)
        if known is None:
            tracks[source] = CaptionSource(source, lang, int(count))
        else:
            tracks[source] = CaptionSource(source, known.lang or lang, known.cues + int(count))
    return sorted(tracks.values(), key=_order)


def _speaks(track: CaptionSource, lang: str) -> bool:
    """``lang`` names the track's language: the same language, by any of its codes (``eng``, ``en``;
    ``ger``, ``deu``, ``de``), and the script and region ``lang`` gives, if any (``en`` names
    ``en-GB``; ``vidseek.said.language_tags``)."""
    return bool(track.lang) and same_language(track.lang, lang)


def _listed(tracks: Sequence[CaptionSource]) -> str:
    return ", ".join(f"{t.source} ({t.lang})" if t.lang else t.source for t in tracks)


def choose_source(
    tracks: Sequence[CaptionSource], *, source: str | None = None, lang: str | None = None
) -> CaptionSource:
    """The track to serve from ``tracks`` (in ``caption_sources`` order): the first that is ``source``
    and speaks ``lang``, as far as each is given. Raises ``NoCaptions`` when none is."""
    if not tracks:
        raise NoCaptions("it has no subtitle cues (no sidecar subtitle file and no text subtitle stream)")
    fits = [t for t in tracks if (source is None or t.source == source) and (lang is None or _speaks(t, lang))]
    if fits:
        return fits[0]
    asked = " and ".join(p for p in (source and f"source {source}", lang and f"language {lang}") if p)
    raise NoCaptions(f"it has no captions with {asked}; it has: {_listed(tracks)}")


def _clock(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (hours grow past 99 as needed; negative times are 0)."""
    return _clock(max(0, round(seconds * 1000)))


def escape(line: str) -> str:
    """One line of cue text as WebVTT cue text that shows exactly it: no tag, entity or ``-->``."""
    return line.replace("\0", "\ufffd").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cue_lines(text: str) -> list[str]:
    """The lines of a cue's text, escaped, without blank lines (one would end the cue early)."""
    return [escape(line.strip()) for line in _BREAK.split(text) if line.strip()]


def webvtt(cues: Iterable[TimedText], duration: float | None = None) -> str:
    """A WebVTT file of ``cues``, in time order (``webvtt_parts`` of them sorted)."""
    return "".join(webvtt_parts(sorted(cues, key=lambda c: (c.start, c.end)), duration))


def webvtt_parts(cues: Iterable[TimedText], duration: float | None = None) -> Iterator[str]:
    """A WebVTT file of ``cues`` (given in time order) piece by piece: its header, then one piece a cue,
    so a long track is sent as it is read. Cues with no text or outside a ``duration`` s video (None:
    of unknown length) are left out, times past its end end there (``vidseek.said.cue_bounds.within``); a
    cue that ends at or before its start ends 1 ms after it."""
    yield "WEBVTT\n"
    for cue in cues:
        block = _block(cue, duration)
        if block is not None:
            yield "\n" + block


def _block(cue: TimedText, duration: float | None) -> str | None:
    times = within(cue.start, cue.end, duration)
    if times is None or not all(math.isfinite(t * 1000) for t in times):
        return None
    lines = cue_lines(cue.text)
    if not lines:
        return None
    start = round(times[0] * 1000)
    end = max(round(times[1] * 1000), start + 1)
    return f"{_clock(start)} --> {_clock(end)}\n" + "\n".join(lines) + "\n"
