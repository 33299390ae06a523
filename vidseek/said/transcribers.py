"""Speech specs (``vidseek.said.speech_spec``) turned into transcribers with one small interface.

A transcriber has ``name: str`` and ``transcribe(samples) -> lines``: ``samples`` is float32 mono at
16 kHz (``indexer.said.audio_windows.SAMPLE_RATE``), one window of a file's sound; each line is
``(start, end, text)`` in seconds from the window's first sample (or an object with those
attributes, as faster-whisper's segments have). Optionally ``language``: the language code of what
it heard in the last window (faster-whisper detects it), stored with the cues.

A job runs its transcriber in a process of its own (``vidseek.said.transcriber_process``), so that one
that hangs can be stopped. What a transcriber answers must be a list (or tuple, or iterator) of
lines; anything else, or an iterator that raises, is bad output: a ModelError (the job fails at
once, it would answer the same again), with the value's repr cut short.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from vidseek.errors import ModelError
from vidseek.models.model_spec import cause_of
from vidseek.said.speech_spec import (
    SpeechSource,
    cannot_fetch,
    hub_repo,
    import_factory,
    parse_speech_spec,
    require_faster_whisper,
)

SHOWN_CHARS = 80
"""How much of a bad answer's repr an error shows."""


@runtime_checkable
class Transcriber(Protocol):
    name: str

    def transcribe(self, samples: np.ndarray) -> list: ...


@dataclass(frozen=True)
class Heard:
    """One line of speech, in seconds from the start of the window it was heard in."""

    start: float
    end: float
    text: str


def heard_lines(raw: object, name: str) -> list[Heard]:
    """A transcriber's answer as Heard lines (empty text dropped); ModelError when it is not lines."""
    if isinstance(raw, (str, bytes, dict)) or not isinstance(raw, (list, tuple, Iterator)):
        raise ModelError(
            f"Transcriber {name} returned {shown(raw)}, not a list of (start, end, text) lines "
            "(see vidseek/said/transcribers.py)."
        )
    out = []
    items = iter(raw)
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - the user's iterator: bad output, not a passing failure
            raise ModelError(
                f"Transcriber {name} returned lines that failed as they were read: {cause_of(exc)}"
            ) from None
        out.extend(_line(item, name))
    return out


def _line(item: object, name: str) -> list[Heard]:
    try:
        start, end, text = (
            item if isinstance(item, tuple) else (item.start, item.end, item.text)  # type: ignore[attr-defined]
        )
        start, end = float(start), float(end)
        if not isinstance(text, str):
            raise TypeError("text is not a string")
        text = text.strip()
    except (TypeError, ValueError, AttributeError):
        raise ModelError(
            f"Transcriber {name} returned {shown(item)}: each line should be (start, end, text) in seconds."
        ) from None
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0:
        raise ModelError(f"Transcriber {name} returned a line at {start}-{end} s: times must be finite, >= 0.")
    return [Heard(start, max(start, end), text)] if text else []


def shown(value: object) -> str:
    """``repr(value)``, at most ``SHOWN_CHARS`` characters, on one line."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that raises
        text = f"a {type(value).__name__}"
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


class FasterWhisperTranscriber:
    """A faster-whisper model (CTranslate2) in its own precision, on CUDA when CTranslate2 sees a GPU
    (``VIDSEEK_DEVICE=auto``), else the CPU; voice activity detection skips the silences."""

    def __init__(self, source: SpeechSource, *, device: str = "auto", threads: int = 0) -> None:
        require_faster_whisper()
        from faster_whisper import WhisperModel

        self.name = source.name
        self.language: str | None = None
        try:
            self.model = WhisperModel(
                source.target, device=device if device in ("cpu", "cuda") else "auto", cpu_threads=threads
            )
        except Exception as exc:  # noqa: BLE001 - the hub and CTranslate2 raise many kinds
            if source.kind == "folder":
                raise ModelError(
                    f"Could not load the faster-whisper model in folder {source.target} ({cause_of(exc)})."
                ) from None
            raise ModelError(cannot_fetch(source.target, hub_repo(source.target), cause_of(exc))) from None
        self._lock = threading.Lock()

    def transcribe(self, samples: np.ndarray) -> list:
        with self._lock:
            segments, info = self.model.transcribe(samples, vad_filter=True)
            lines = [(s.start, s.end, s.text) for s in segments]  # the segments are computed as they are read
        self.language = getattr(info, "language", None)
        return lines


class _CheckedTranscriber:
    """Wraps a custom ``python:`` transcriber: checks it has the interface."""

    def __init__(self, inner: object, spec: str) -> None:
        if not hasattr(inner, "transcribe"):
            raise ModelError(f"Custom transcriber {spec} has no 'transcribe' (see vidseek/said/transcribers.py).")
        self.inner = inner
        self.name = str(getattr(inner, "name", spec))

    @property
    def language(self) -> str | None:
        return getattr(self.inner, "language", None)

    def transcribe(self, samples: np.ndarray) -> list:
        return self.inner.transcribe(samples)  # type: ignore[attr-defined]


_cache: dict[tuple, Transcriber] = {}
_cache_lock = threading.Lock()


def load_transcriber(spec: str, *, device: str = "auto", threads: int = 0) -> Transcriber:
    """The transcriber of ``spec``, built once per process (the module of a ``python:`` spec imported
    here: call it where a hang can be stopped, ``vidseek.said.transcriber_process``); ModelError in one
    sentence when it cannot be."""
    key = (spec, device, threads)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _build(parse_speech_spec(spec), device=device, threads=threads)
        return _cache[key]


def _build(source: SpeechSource, *, device: str, threads: int) -> Transcriber:
    if source.kind != "python":
        return FasterWhisperTranscriber(source, device=device, threads=threads)
    factory = import_factory(source.spec)
    try:
        instance = factory()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code: report it, don't crash with its traceback
        raise ModelError(f"Creating the transcriber {source.spec}() failed: {cause_of(exc)}") from None
    return _CheckedTranscriber(instance, source.spec)
