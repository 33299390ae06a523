"""Labelled query sets for ``vidseek eval``: read them, check them, match them to the library.

Three formats, told apart by their content (or named with ``--format``):

- ``jsonl`` (vidseek's own): one JSON object a line, ``{"query": ..., "video": PATH, "start": s,
  "end": s}``; a query with several true moments takes several lines.
- ``qvhighlights``: the QVHighlights JSONL files, ``{"qid", "query", "vid", "duration",
  "relevant_windows": [[s, e], ...]}``, where ``vid`` is the clip file's stem
  (``NUfGnPaEzP0_60.0_210.0``).
- ``charades``: Charades-STA text, ``VIDEOID START END##sentence`` a line
  (``charades_sta_test.txt``).

The result is one ``LabelledQuery`` per distinct query text, its true moments grouped, each a
``metrics.Span`` whose ``video`` is the indexed video's path (the key search hits are scored by).
A labelled video is found in the library by its resolved path, else by its file stem.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from search_api.metrics import Span

FORMATS = ("jsonl", "qvhighlights", "charades")
"""The ``--format`` names: vidseek JSONL, QVHighlights JSONL, Charades-STA text."""

VIDSEEK_FIELDS = ("query", "video", "start", "end")
QVHIGHLIGHTS_FIELDS = ("query", "vid", "relevant_windows")


class AnnotationError(ValueError):
    """A labelled set that cannot be used; the message names the file (and line) and the fix."""


@dataclass(frozen=True)
class Label:
    """One true moment as the file states it, before it is matched to the library."""

    query: str
    video: str
    """How the file names the video: a path (``jsonl``) or a file stem (``qvhighlights``, ``charades``)."""
    start: float
    end: float
    line: int
    """1-based line of the file it came from."""


class LabelledQuery(NamedTuple):
    """One query text and all of its true moments in indexed videos."""

    query: str
    truths: list[Span]


@dataclass(frozen=True)
class SkippedQuery:
    """A query none of whose labelled videos could be matched to one indexed video."""

    query: str
    videos: list[str]
    """The labelled names of its videos."""
    reason: str


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
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"{path}: not UTF-8 text (byte {exc.start}): save the labelled set as UTF-8") from None
    return text.splitlines()


def detect_format(path: Path, line_number: int, line: str) -> str:
    """The format a file is in, from its first non-blank line."""
    text = line.strip()
    if text.startswith("{"):
        try:
            first = json.loads(text)
        except json.JSONDecodeError:
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


@dataclass(frozen=True)
class _Where:
    """Where a line is, for error messages."""

    path: Path
    line: int

    def error(self, problem: str) -> AnnotationError:
        return AnnotationError(f"{self.path}, line {self.line}: {problem}")


def parse_vidseek_line(line: str, where: _Where) -> list[Label]:
    """``{"query": ..., "video": PATH, "start": s, "end": s}``."""
    record = _json_object(line, where, VIDSEEK_FIELDS, "a vidseek line")
    _require(record, where, VIDSEEK_FIELDS, "a vidseek line")
    query = _query(record["query"], where, "query")
    video = _name(record["video"], where, "video")
    start, end = _interval(record["start"], record["end"], where, "start", "end")
    return [Label(query, video, start, end, where.line)]


def parse_qvhighlights_line(line: str, where: _Where) -> list[Label]:
    """``{"qid", "query", "vid", "duration", "relevant_windows": [[s, e], ...]}``: one label a window."""
    record = _json_object(line, where, QVHIGHLIGHTS_FIELDS, "a QVHighlights line")
    if "relevant_windows" not in record:  # the test split hides its labels
        raise where.error(
            'no "relevant_windows": this line has no true moments (the QVHighlights test '
            "split hides them; evaluate on the val split, highlight_val_release.jsonl)"
        )
    _require(record, where, QVHIGHLIGHTS_FIELDS, "a QVHighlights line")
    query = _query(record["query"], where, "query")
    video = _name(record["vid"], where, "vid")
    windows = record["relevant_windows"]
    if not isinstance(windows, list) or not windows:
        raise where.error('"relevant_windows" must be a non-empty list of [start, end] pairs in seconds')
    labels = []
    for i, window in enumerate(windows):
        if not isinstance(window, list) or len(window) != 2:
            raise where.error(f"relevant_windows[{i}] must be [start, end] in seconds, not {json.dumps(window)}")
        start, end = _interval(window[0], window[1], where, f"relevant_windows[{i}] start", "end")
        labels.append(Label(query, video, start, end, where.line))
    return labels


def parse_charades_line(line: str, where: _Where) -> list[Label]:
    """``VIDEOID START END##sentence`` (Charades-STA)."""
    head, sep, sentence = line.partition("##")
    parts = head.split()
    if not sep or len(parts) != 3:
        raise where.error(f"expected `VIDEOID START END##sentence` (Charades-STA), got {line.strip()[:80]!r}")
    video, start_text, end_text = parts
    start, end = (_number_text(start_text, where, "START"), _number_text(end_text, where, "END"))
    start, end = _interval(start, end, where, "START", "END")
    return [Label(_query(sentence, where, "sentence"), video, start, end, where.line)]


PARSERS: dict[str, Callable[[str, _Where], list[Label]]] = {
    "jsonl": parse_vidseek_line,
    "qvhighlights": parse_qvhighlights_line,
    "charades": parse_charades_line,
}


def _json_object(line: str, where: _Where, fields: tuple[str, ...], kind: str) -> dict:
    """The line's JSON object (``fields`` and ``kind`` only describe the expected line in errors)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise where.error(
            f"not valid JSON ({exc.msg} at column {exc.colno}): each line must be one JSON object"
        ) from None
    if not isinstance(record, dict):
        raise where.error(
            f"expected a JSON object, found {type(record).__name__}: each line is {kind} with {_names(fields)}"
        )
    return record


def _require(record: dict, where: _Where, required: tuple[str, ...], kind: str) -> None:
    missing = [name for name in required if name not in record]
    if missing:
        raise where.error(f"missing {_names(missing)}: {kind} has {_names(required)}")


def _query(value: object, where: _Where, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"{name} must be a non-empty text, not {json.dumps(value)}")
    return value.strip()


def _name(value: object, where: _Where, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"{name} must name a video file (a path or a file name), not {json.dumps(value)}")
    return value.strip()


def _number_text(text: str, where: _Where, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise where.error(f"{name} {text!r} is not a number of seconds") from None


def _interval(start: object, end: object, where: _Where, start_name: str, end_name: str) -> tuple[float, float]:
    """Check ``start`` and ``end`` are seconds with ``0 <= start < end``."""
    for value, name in ((start, start_name), (end, end_name)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise where.error(f"{name} must be a number of seconds, not {json.dumps(value)}")
    if start < 0:
        raise where.error(f"{start_name} {start} is negative: times are seconds from the start of the video")
    if start >= end:
        raise where.error(f"{start_name} {start} is not before {end_name} {end}: a moment needs start < end")
    return float(start), float(end)


def _names(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# ------------------------------------------------------------------ matching


class VideoMatcher:
    """Finds the indexed video a label names: by resolved path, else by file stem."""

    def __init__(self, library_paths: Iterable[str], base_dirs: Iterable[Path] = ()) -> None:
        """``base_dirs``: where relative paths are tried (the labelled set's folder, the working folder)."""
        self.paths = set(library_paths)
        self.base_dirs = list(base_dirs)
        self.by_stem: dict[str, list[str]] = {}
        for path in sorted(self.paths):
            self.by_stem.setdefault(Path(path).stem, []).append(path)

    def match(self, name: str) -> str | list[str] | None:
        """The indexed path ``name`` means; a list of paths when its stem is ambiguous; None when absent."""
        exact = self._by_path(name)
        if exact is not None:
            return exact
        for key in dict.fromkeys((Path(name).name, Path(name).stem)):  # `NUfGnPaEzP0_60.0_210.0` is a stem already
            found = self.by_stem.get(key)
            if found:
                return found[0] if len(found) == 1 else found
        return None

    def _by_path(self, name: str) -> str | None:
        given = Path(name).expanduser()
        for candidate in [given] if given.is_absolute() else [base / given for base in self.base_dirs]:
            resolved = str(candidate.resolve())
            if resolved in self.paths:
                return resolved
        return None


def match_to_library(path: Path, fmt: str, labels: list[Label], matcher: VideoMatcher) -> LabelledSet:
    """Group labels by query text and key their moments by indexed path.

    A moment in a video that is not indexed (or whose stem is ambiguous) is dropped: no search can
    return it, so the scores are the same without it. A query left with no moment is skipped.
    """
    result = LabelledSet(path, fmt, [])
    grouped: dict[str, tuple[list[Span], list[str]]] = {}
    for label in labels:
        truths, names = grouped.setdefault(label.query, ([], []))
        if label.video not in names:
            names.append(label.video)
        found = matcher.match(label.video)
        if isinstance(found, str):
            truths.append(Span(found, label.start, label.end))
        elif isinstance(found, list):
            result.ambiguous.setdefault(label.video, found)
        elif label.video not in result.missing:
            result.missing.append(label.video)
    for query, (truths, names) in grouped.items():
        if truths:
            result.queries.append(LabelledQuery(query, truths))
        else:
            result.skipped.append(SkippedQuery(query, names, _skip_reason(names, result.ambiguous)))
    return result


def _skip_reason(names: list[str], ambiguous: dict[str, list[str]]) -> str:
    unclear = [n for n in names if n in ambiguous]
    if unclear:
        return f"video name {unclear[0]!r} matches {len(ambiguous[unclear[0]])} indexed videos"
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
