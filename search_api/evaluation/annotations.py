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
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from search_api.evaluation.metrics import Span

FORMATS = ("jsonl", "qvhighlights", "charades")
"""The ``--format`` names: vidseek JSONL, QVHighlights JSONL, Charades-STA text."""

VIDSEEK_FIELDS = ("query", "video", "start", "end")
QVHIGHLIGHTS_FIELDS = ("query", "vid", "relevant_windows")

ECHO_LIMIT = 80
"""Characters of a labelled text (a name, a value) echoed in a message; longer ones are cut."""


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
    qid: int | str | None = None
    """The QVHighlights query id (``qvhighlights`` only)."""


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
    if "relevant_windows" not in record:  # highlight_test_release.jsonl has no labels
        raise where.error(
            'no "relevant_windows": this line has no true moments. highlight_test_release.jsonl '
            "leaves them out: use highlight_test_with_gt.jsonl (the test split with its ground "
            "truth, now public) or the val split, highlight_val_release.jsonl"
        )
    _require(record, where, QVHIGHLIGHTS_FIELDS, "a QVHighlights line")
    query = _query(record["query"], where, "query")
    video = _name(record["vid"], where, "vid")
    qid = record.get("qid")
    if qid is not None and (isinstance(qid, bool) or not isinstance(qid, (int, str))):
        raise where.error(f'"qid" must be an integer or a text, not {_json_text(qid)}')
    windows = record["relevant_windows"]
    if not isinstance(windows, list) or not windows:
        raise where.error('"relevant_windows" must be a non-empty list of [start, end] pairs in seconds')
    labels = []
    for i, window in enumerate(windows):
        if not isinstance(window, list) or len(window) != 2:
            raise where.error(f"relevant_windows[{i}] must be [start, end] in seconds, not {_json_text(window)}")
        start, end = _interval(window[0], window[1], where, f"relevant_windows[{i}] start", "end")
        labels.append(Label(query, video, start, end, where.line, qid))
    return labels


def parse_charades_line(line: str, where: _Where) -> list[Label]:
    """``VIDEOID START END##sentence`` (Charades-STA); fields after END (``VID S E 0##...``) are ignored."""
    head, sep, sentence = line.partition("##")
    parts = head.split()
    if not sep or len(parts) < 3:
        raise where.error(f"expected `VIDEOID START END##sentence` (Charades-STA), got {quoted(line.strip())}")
    video_text, start_text, end_text = parts[:3]
    video = _name(video_text, where, "VIDEOID")
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
    except RecursionError:
        raise where.error("JSON nested too deeply to read: each line must be one flat JSON object") from None
    except ValueError:  # an integer past Python's digit limit (sys.get_int_max_str_digits)
        raise where.error("a number with too many digits: times are seconds, such as 12.5") from None
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
        raise where.error(f"{name} must be a non-empty text, not {_json_text(value)}")
    _check_unicode(value, where, name)
    return value.strip()


def _name(value: object, where: _Where, name: str) -> str:
    """A video name: a path or a file name, with no NUL and no ``~user`` that does not exist here."""
    if not isinstance(value, str) or not value.strip():
        raise where.error(f"{name} must name a video file (a path or a file name), not {_json_text(value)}")
    text = value.strip()
    _check_unicode(text, where, name)
    if "\0" in text:
        raise where.error(f"{name} {quoted(text)} contains a NUL character, which no file name can hold")
    if text.startswith("~") and os.path.expanduser(text) == text:
        user = text[1:].split("/", 1)[0]
        raise where.error(
            f"{name} {quoted(text)} starts with '~' but there is no home folder for "
            f"{'user ' + quoted(user) if user else 'the current user'}: write the full path, or the file name alone"
        )
    return text


def _check_unicode(text: str, where: _Where, name: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, such as "\ud800" in JSON
        raise where.error(f"{name} {quoted(text)} is not valid Unicode text (it holds a lone surrogate)") from None


def _number_text(text: str, where: _Where, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise where.error(f"{name} {quoted(text)} is not a number of seconds") from None
    if not math.isfinite(value):
        raise where.error(f"{name} {quoted(text)} is not a finite number of seconds")
    return value


def _seconds(value: object, where: _Where, name: str) -> float:
    """``value`` as seconds: a finite JSON number (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"{name} must be a number of seconds, not {_json_text(value)}")
    try:
        seconds = float(value)
    except OverflowError:  # an integer of more than 309 digits
        raise where.error(f"{name} {_json_text(value)} is too large for a number of seconds") from None
    if not math.isfinite(seconds):
        raise where.error(f"{name} must be a finite number of seconds, not {_json_text(value)}")
    return seconds


def _interval(start: object, end: object, where: _Where, start_name: str, end_name: str) -> tuple[float, float]:
    """Check ``start`` and ``end`` are seconds with ``0 <= start < end``."""
    first, last = _seconds(start, where, start_name), _seconds(end, where, end_name)
    if first < 0:
        raise where.error(
            f"{start_name} {_json_text(start)} is negative: times are seconds from the start of the video"
        )
    if first >= last:
        raise where.error(
            f"{start_name} {_json_text(start)} is not before {end_name} {_json_text(end)}: a moment needs start < end"
        )
    return first, last


def _names(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def quoted(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` quoted for a message; past ``limit`` characters, its start and its length."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 24]!r}... ({len(text):,} characters)"


def _json_text(value: object, limit: int = ECHO_LIMIT) -> str:
    """``value`` as JSON for a message, cut like ``quoted``."""
    text = json.dumps(value)
    return text if len(text) <= limit else f"{text[: limit - 24]}... ({len(text):,} characters)"


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
