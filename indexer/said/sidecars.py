"""Subtitle files beside a video (``NAME.srt``, ``NAME.vtt``, ``NAME.ass``, ``NAME.LANG.srt`` ...) and
the cues of a video: its sidecars' and its own subtitle streams'.

A sidecar's name, size and mtime are part of what makes a video's row current (``signature``, kept
in ``videos.sidecars``): a subtitle added, edited or removed beside an unchanged video is read again
without decoding the video's frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from indexer.decode import subtitle_cues
from indexer.said.cue_text import PARSERS, Cue
from indexer.said.subtitle_encoding import subtitle_text
from vidseek.config import Settings
from vidseek.errors import DecodeError
from vidseek.said.language_tags import names_a_language

NOTES_PER_FILE = 5
"""Notes shown for one subtitle file at most; the last says how many more were skipped."""
DEFAULT_MAX_BYTES = Settings.model_fields["subtitle_max_bytes"].default
DEFAULT_MAX_CHARS = Settings.model_fields["cue_max_chars"].default


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
                if dot and stem and names_a_language(lang):
                    table.setdefault(stem, []).append((name, lang))
            self._folders[folder] = table
        return table

    def of(self, video: Path) -> list[tuple[Path, str | None]]:
        """(path, language) of each subtitle file beside ``video``: ``STEM.srt`` (no language) or
        ``STEM.LANG.srt`` (LANG a language tag, kept as written: ``en``, ``eng``, ``pt-BR``, ``zh-Hant``;
        ``vidseek.said.language_tags.names_a_language``); also ``.vtt``, ``.ass`` and ``.ssa``."""
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


def read_sidecar(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[list[Cue], list[str]]:
    """Cues of one sidecar file, and notes on what was skipped (each naming the file). Only its first
    ``max_bytes`` are read, and a cue's text is cut to ``max_chars`` (each with a note)."""
    try:
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)
    except OSError as exc:
        return [], [f"{path.name}: cannot read ({exc.strerror or exc})"]
    cut = len(raw) > max_bytes
    if cut:
        raw = raw[:max_bytes]
        raw = raw[: raw.rfind(b"\n") + 1] or raw  # a whole last line (UTF-8 and single-byte encodings)
    text = subtitle_text(raw)
    if text is None:
        return [], [f"{path.name}: not text (no text encoding fits its bytes): is it a subtitle file?"]
    notes: list[str] = []
    if cut:
        text = _whole_part(text, blocks=path.suffix.lower() in (".srt", ".vtt"))
        notes.append(f"only its first {max_bytes:,} bytes read (VIDSEEK_SUBTITLE_MAX_BYTES); the rest is left out")
    cues, skipped = PARSERS[path.suffix.lower()](text)
    cues, shortened = cut_long(cues, max_chars)
    skipped += shortened
    if len(skipped) > NOTES_PER_FILE:
        skipped = [*skipped[: NOTES_PER_FILE - 1], f"and {len(skipped) - NOTES_PER_FILE + 1} more skipped"]
        if not cues:
            skipped.append("no cue could be read: is it a subtitle file?")
    return cues, [f"{path.name}: {note}" for note in notes + skipped]


def _whole_part(text: str, *, blocks: bool) -> str:
    """The start of a file cut at a byte limit, to its last whole line (ASS: a line is an event) or,
    with ``blocks`` (SRT, WebVTT), to its last blank line (a cue is a block)."""
    lines = text.replace("\r\n", "\n").split("\n")[:-1]
    if blocks:
        last_blank = max((i for i, line in enumerate(lines) if not line.strip()), default=len(lines))
        lines = lines[:last_blank]
    return "\n".join(lines) + "\n"


def cut_long(cues: list[Cue], max_chars: int) -> tuple[list[Cue], list[str]]:
    """``cues`` with each text cut to ``max_chars`` characters, and a note for each cut one."""
    kept, notes = [], []
    for cue in cues:
        if len(cue.text) > max_chars:
            notes.append(
                f"the cue at {cue.start:g} s has {len(cue.text):,} characters: cut to {max_chars:,} "
                "(VIDSEEK_CUE_MAX_CHARS)"
            )
            cue = Cue(cue.start, cue.end, cue.text[:max_chars].rstrip())
        kept.append(cue)
    return kept, notes


def cues_of(
    video: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[list[SourcedCue], list[str]]:
    """Every cue of ``video``: from its sidecars, then from its subtitle streams; and the notes. A
    subtitle file or stream that cannot be read costs one note, never the video."""
    out: list[SourcedCue] = []
    notes: list[str] = []
    for path, lang in sidecars_of(video):
        try:
            cues, skipped = read_sidecar(path, max_bytes=max_bytes, max_chars=max_chars)
        except Exception as exc:  # noqa: BLE001 - a subtitle file costs a note, never the video's pictures
            cues, skipped = [], [f"{path.name}: cannot be read ({type(exc).__name__})"]
        out += [SourcedCue(c.start, c.end, c.text, f"sidecar:{path.name}", lang) for c in cues]
        notes += skipped
    try:
        streams = subtitle_cues(video, max_bytes=max_bytes)
    except DecodeError as exc:
        return out, [*notes, f"subtitle streams: {exc}"]
    except Exception as exc:  # noqa: BLE001 - as above, for the video's own subtitle streams
        return out, [*notes, f"subtitle streams: cannot be read ({type(exc).__name__})"]
    for stream in streams:
        cues, shortened = cut_long(stream.cues, max_chars)
        out += [SourcedCue(c.start, c.end, c.text, f"stream:{stream.index}", stream.lang) for c in cues]
        skipped = stream.notes + shortened
        if len(skipped) > NOTES_PER_FILE:
            skipped = [*skipped[: NOTES_PER_FILE - 1], f"and {len(skipped) - NOTES_PER_FILE + 1} more skipped"]
        notes += [f"stream {stream.index}: {note}" for note in skipped]
    return out, notes
