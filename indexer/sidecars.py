"""Subtitle files beside a video (``NAME.srt``, ``NAME.vtt``, ``NAME.ass``, ``NAME.LANG.srt`` ...) and
the cues of a video: its sidecars' and its own subtitle streams'.

A sidecar's name, size and mtime are part of what makes a video's row current (``signature``, kept
in ``videos.sidecars``): a subtitle added, edited or removed beside an unchanged video is read again
without decoding the video's frames.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.cue_text import PARSERS, Cue
from indexer.decode import subtitle_cues
from vidseek.errors import DecodeError

NOTES_PER_FILE = 5
"""Notes shown for one subtitle file at most; the last says how many more blocks were skipped."""
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class SourcedCue:
    """A cue and where it came from."""

    start: float
    end: float
    text: str
    source: str
    """``sidecar:NAME.en.srt`` or ``stream:INDEX``."""
    lang: str | None


class Sidecars:
    """Finds the subtitle files beside videos, listing each folder once (a watch pass over a folder of
    thousands of videos looks each one up in a table, not in the listing)."""

    def __init__(self) -> None:
        self._folders: dict[Path, dict[str, list[tuple[str, str | None]]]] = {}

    def _table(self, folder: Path) -> dict[str, list[tuple[str, str | None]]]:
        table = self._folders.get(folder)
        if table is None:
            table = {}
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            for name in names:
                base, suffix = os.path.splitext(name)
                if suffix.lower() not in PARSERS:
                    continue
                table.setdefault(base, []).append((name, None))
                stem, dot, lang = base.rpartition(".")
                if dot and stem and _LANG.match(lang):
                    table.setdefault(stem, []).append((name, lang))
            self._folders[folder] = table
        return table

    def of(self, video: Path) -> list[tuple[Path, str | None]]:
        """(path, language) of each subtitle file beside ``video``: ``STEM.srt`` (no language) or
        ``STEM.LANG.srt`` (LANG two or three letters, optionally a region: ``en``, ``pt-BR``); also
        ``.vtt``, ``.ass`` and ``.ssa``."""
        found = self._table(video.parent).get(video.stem, [])
        return [(video.parent / name, lang) for name, lang in found if (video.parent / name).is_file()]

    def signature(self, video: Path) -> str:
        """The names, sizes and mtimes of ``video``'s sidecars, one string ("" when there are none)."""
        parts = []
        for path, _ in self.of(video):
            try:
                st = path.stat()
            except OSError:
                continue
            parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        return "|".join(parts)


def sidecars_of(video: Path) -> list[tuple[Path, str | None]]:
    """``Sidecars().of(video)``."""
    return Sidecars().of(video)


def signature(video: Path) -> str:
    """``Sidecars().signature(video)``."""
    return Sidecars().signature(video)


def read_sidecar(path: Path) -> tuple[list[Cue], list[str]]:
    """Cues of one sidecar file, and notes on what was skipped (each naming the file)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [f"{path.name}: cannot read ({exc.strerror or exc})"]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # old SRT files are often Windows-1252
    cues, notes = PARSERS[path.suffix.lower()](text)
    if len(notes) > NOTES_PER_FILE:
        notes = [*notes[: NOTES_PER_FILE - 1], f"and {len(notes) - NOTES_PER_FILE + 1} more blocks skipped"]
        if not cues:
            notes.append("no cue could be read: is it a subtitle file?")
    return cues, [f"{path.name}: {note}" for note in notes]


def cues_of(video: Path) -> tuple[list[SourcedCue], list[str]]:
    """Every cue of ``video``: from its sidecars, then from its subtitle streams; and the notes."""
    out: list[SourcedCue] = []
    notes: list[str] = []
    for path, lang in sidecars_of(video):
        cues, skipped = read_sidecar(path)
        out += [SourcedCue(c.start, c.end, c.text, f"sidecar:{path.name}", lang) for c in cues]
        notes += skipped
    try:
        streams = subtitle_cues(video)
    except DecodeError as exc:
        return out, [*notes, f"subtitle streams: {exc}"]
    for index, lang, cues in streams:
        out += [SourcedCue(c.start, c.end, c.text, f"stream:{index}", lang) for c in cues]
    return out, notes
