"""Labelled query sets for ``vidseek eval``: read them, check them, match them to the library.

Three formats, told apart by their content (or named with ``--format``):

- ``jsonl`` (vidseek's own): one JSON object a line, ``{"query": ..., "video": PATH, "start": s,
  "end": s}``; a query with several true moments takes several lines.
- ``qvhighlights``: the QVHighlights JSONL files, ``{"qid", "query", "vid", "duration",
  "relevant_windows": [[s, e], ...]}``, where ``vid`` is the clip file's stem
  (``NUfGnPaEzP0_60.0_210.0``).
- ``charades``: Charades-STA text, ``VIDEOID START END##sentence`` a line
  (``charades_sta_test.txt``).

The result is one ``LabelledQuery`` per query, as each dataset's papers count them: every
Charades-STA line is a query of its own (the same sentence is labelled in many videos), every
QVHighlights ``qid`` is one (its windows grouped), and in vidseek's own format the lines that share
a query text are one query. Its true moments are ``metrics.Span`` whose ``video`` is the indexed
video's path (the key search hits are scored by). A labelled video is found in the library by its
resolved path, else by its file stem.

Only regular files are read (a FIFO would block forever); text from the file that is echoed in a
message is cut to ``ECHO_LIMIT`` characters.
"""

from __future__ import annotations

import functools
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from search_api.evaluation.label_lines import (
    QVHIGHLIGHTS_FIELDS,
    VIDSEEK_FIELDS,
    AnnotationError,
    Label,
    _names,
    _Where,
    parse_charades_line,
    parse_qvhighlights_line,
    parse_vidseek_line,
    quoted,
)
from search_api.evaluation.metrics import Span

FORMATS = ("jsonl", "qvhighlights", "charades")
"""The ``--format`` names: vidseek JSONL, QVHighlights JSONL, Charades-STA text."""


@dataclass(frozen=True)
class LabelledQuery:
    """One query and all of its true moments in indexed videos."""

    query: str
    truths: list[Span]
    lines: tuple[int, ...] = ()
    """The lines of the file it was read from."""
    qid: int | str | None = None


@dataclass(frozen=True)
class SkippedQuery:
    """A query none of whose labelled videos could be matched to one indexed video."""

    query: str
    videos: list[str]
    """The labelled names of its videos."""
    reason: str
    lines: tuple[int, ...] = ()
    qid: int | str | None = None


@dataclass
class LabelledSet:
    """A labelled set matched to the library."""

    path: Path
    format: str
    queries: list[LabelledQuery]
    skipped: list[SkippedQuery] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Labelled video names with no indexed video, in the order the file first names them."""
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    """Labelled video names whose stem is shared by several indexed videos -> those videos' paths."""


# ------------------------------------------------------------------ reading


def read_labels(path: Path, fmt: str | None = None) -> tuple[str, list[Label]]:
    """The format (``fmt``, or the one detected) and every label of the file, in file order."""
    lines = _text_lines(path)
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise AnnotationError(
            f"{path}: the file is empty: it needs one labelled moment a line "
            "(see `vidseek eval --help` for the formats)"
        )
    if fmt is None:
        fmt = detect_format(path, *numbered[0])
    elif fmt not in FORMATS:
        raise AnnotationError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    parse = PARSERS[fmt]
    labels = [label for n, line in numbered for label in parse(line, _Where(path, n))]
    return fmt, labels


def _text_lines(path: Path) -> list[str]:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise AnnotationError(
            f"{path}: not a regular file ({_file_kind(mode)}): save the labelled set to a file and name that"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"{path}: not UTF-8 text (byte {exc.start}): save the labelled set as UTF-8") from None
    return text.splitlines()


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a device")


def detect_format(path: Path, line_number: int, line: str) -> str:
    """The format a file is in, from its first non-blank line."""
    text = line.strip()
    if text.startswith("{"):
        try:
            first = json.loads(text)
        except (ValueError, RecursionError):
            return "jsonl"  # the JSONL parser names the line and what is wrong with it
        if isinstance(first, dict) and ("relevant_windows" in first or ("vid" in first and "video" not in first)):
            return "qvhighlights"
        if isinstance(first, dict) and "video" in first:
            return "jsonl"
        raise AnnotationError(
            f"{path}, line {line_number}: cannot tell the format: a vidseek line has "
            f"{_names(VIDSEEK_FIELDS)}, a QVHighlights line has {_names(QVHIGHLIGHTS_FIELDS)} "
            "(or name it with --format)"
        )
    if "##" in text:
        return "charades"
    raise AnnotationError(
        f"{path}, line {line_number}: cannot tell the format: expected a JSON object "
        "(vidseek or QVHighlights JSONL) or `VIDEOID START END##sentence` (Charades-STA); "
        f"name it with --format {'|'.join(FORMATS)}"
    )


PARSERS: dict[str, Callable[[str, _Where], list[Label]]] = {
    "jsonl": parse_vidseek_line,
    "qvhighlights": parse_qvhighlights_line,
    "charades": parse_charades_line,
}


# ------------------------------------------------------------------ matching


class VideoMatcher:
    """Finds the indexed video a label names: by resolved path, else by file stem (each name looked up once)."""

    def __init__(self, library_paths: Iterable[str], base_dirs: Iterable[Path] = ()) -> None:
        """``base_dirs``: where relative paths are tried (the labelled set's folder, the working folder)."""
        self.paths = set(library_paths)
        self.base_dirs = list(base_dirs)
        self.by_stem: dict[str, list[str]] = {}
        for path in sorted(self.paths):
            self.by_stem.setdefault(Path(path).stem, []).append(path)
        self._found: dict[str, str | list[str] | None] = {}

    def match(self, name: str) -> str | list[str] | None:
        """The indexed path ``name`` means; a list of paths when its stem is ambiguous; None when absent."""
        if name not in self._found:
            self._found[name] = self._look_up(name)
        return self._found[name]

    def _look_up(self, name: str) -> str | list[str] | None:
        exact = self._by_path(name)
        if exact is not None:
            return exact
        for key in dict.fromkeys((Path(name).name, Path(name).stem)):  # `NUfGnPaEzP0_60.0_210.0` is a stem already
            found = self.by_stem.get(key)
            if found:
                return found[0] if len(found) == 1 else found
        return None

    def _by_path(self, name: str) -> str | None:
        given = os.path.expanduser(name)  # os.path's leaves an unknown ~user as it is
        bases = [""] if os.path.isabs(given) else self._real_bases
        for base in bases:
            candidate = os.path.normpath(os.path.join(base, given))
            if candidate in self.paths:  # no file system call for the plain case
                return candidate
            try:
                resolved = os.path.realpath(candidate) if os.path.lexists(candidate) else None
            except (OSError, ValueError):  # a NUL: not an indexed path
                continue
            if resolved in self.paths:  # through a symbolic link
                return resolved
        return None

    @functools.cached_property
    def _real_bases(self) -> list[str]:
        return [os.path.realpath(base) for base in self.base_dirs]


def query_key(fmt: str, label: Label) -> tuple[str, object]:
    """What makes a label's query one query: its text in vidseek's format, its ``qid`` in
    QVHighlights, its line in Charades-STA (the papers score each line on its own)."""
    if fmt == "jsonl":
        return ("text", label.query)
    if fmt == "qvhighlights" and label.qid is not None:
        return ("qid", label.qid)
    return ("line", label.line)


@dataclass
class _Group:
    """The labels of one query, as they are matched."""

    query: str
    qid: int | str | None
    lines: dict[int, None] = field(default_factory=dict)
    names: dict[str, None] = field(default_factory=dict)
    truths: list[Span] = field(default_factory=list)


def match_to_library(path: Path, fmt: str, labels: list[Label], matcher: VideoMatcher) -> LabelledSet:
    """Group labels into queries (``query_key``) and key their moments by indexed path.

    A moment in a video that is not indexed (or whose stem is ambiguous) is dropped: no search can
    return it, so the scores are the same without it. A query left with no moment is skipped.
    Linear in the number of labels: every membership test is a dict's.
    """
    result = LabelledSet(path, fmt, [])
    groups: dict[tuple[str, object], _Group] = {}
    missing: dict[str, None] = {}
    for label in labels:
        group = groups.setdefault(query_key(fmt, label), _Group(label.query, label.qid))
        group.lines[label.line] = None
        group.names[label.video] = None
        found = matcher.match(label.video)
        if isinstance(found, str):
            group.truths.append(Span(found, label.start, label.end))
        elif isinstance(found, list):
            result.ambiguous.setdefault(label.video, found)
        else:
            missing[label.video] = None
    result.missing = list(missing)
    for group in groups.values():
        lines = tuple(group.lines)
        if group.truths:
            result.queries.append(LabelledQuery(group.query, group.truths, lines, group.qid))
        else:
            names = list(group.names)
            reason = _skip_reason(names, result.ambiguous)
            result.skipped.append(SkippedQuery(group.query, names, reason, lines, group.qid))
    return result


def _skip_reason(names: list[str], ambiguous: dict[str, list[str]]) -> str:
    unclear = [n for n in names if n in ambiguous]
    if unclear:
        return f"video name {quoted(unclear[0])} matches {len(ambiguous[unclear[0]])} indexed videos"
    return "its videos are not in the library"


def match_labels(path: Path, fmt: str, labels: list[Label], library_paths: Iterable[str]) -> LabelledSet:
    """Match the labels read from ``path`` to the indexed videos ``library_paths`` (resolved paths);
    relative paths in the labels are taken from ``path``'s folder, then the current folder."""
    matcher = VideoMatcher(library_paths, base_dirs=[path.resolve().parent, Path.cwd()])
    return match_to_library(path, fmt, labels, matcher)


def load_labelled_set(path: Path, library_paths: Iterable[str], fmt: str | None = None) -> LabelledSet:
    """Read ``path`` and match it to the indexed videos ``library_paths`` (resolved paths)."""
    fmt, labels = read_labels(path, fmt)
    return match_labels(path, fmt, labels, library_paths)
