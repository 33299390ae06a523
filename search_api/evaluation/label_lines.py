"""One line of a labelled query set, parsed and checked (vidseek JSONL, QVHighlights, Charades-STA): a
bad value is an ``AnnotationError`` naming the line and the field."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

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
