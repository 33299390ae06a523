"""Reading one video's shown text while its frames go by (``VideoTextReader``): the read plan
(``indexer.shown.read_plan``) says which frames the OCR model reads, the readings become lines
(``indexer.shown.shown_lines``), stored as cues of source ``shown:MODEL``.

Indexing feeds it the frames it decodes anyway (``indexer.pipeline``, the Ray decode tasks); a
``read-text`` job decodes the file for it alone (``indexer.shown.read_text``). A frame's whole picture
comes from the decoder (``Frame.picture``): glanced at 64 pixels wide for every frame, read at
``picture_side`` (``VIDSEEK_OCR_SIDE``) only when the plan says so. An error of the model stops the
reading of that video only: ``ShownText.error`` says why, and the video is indexed without shown lines.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import regex as re

from indexer.frame_signature import signature
from indexer.shown.read_plan import IDLE_SECONDS, READ, SAME, NewShot, ReadPlan
from indexer.shown.shown_lines import Reading, alike, merge_readings
from vidseek.said.cue_sources import shown_source
from vidseek.storage.cue_store import CueRow

GLANCE_SIDE = 64
"""Longest side of the picture every frame is glanced at (its signature), pixels."""
MAX_CHARS = 1000

Picture = Callable[[int], np.ndarray]
"""A frame's whole upright picture, RGB, its longest side at most the number given."""


@dataclass
class ShownText:
    """What reading one video found."""

    lines: list[CueRow] = field(default_factory=list)
    frames: int = 0
    """Sampled frames seen."""
    read: int = 0
    """Frames the model read."""
    with_text: int = 0
    """Frames read that showed text."""
    error: str | None = None


def reader_factory(
    settings: object, *, on_text: Callable[[], None] | None = None
) -> Callable[[], VideoTextReader] | None:
    """A new reader per video when ``VIDSEEK_OCR`` is on, else None. The model starts loading here, in the
    background (``LoadingEngine``; ModelError at once without the ocr extra); a load that fails stops
    each video's reading with its message. ``on_text``: called once, when a read first finds text."""
    if not getattr(settings, "ocr", False):
        return None
    from vidseek.shown.ocr_engine import LoadingEngine, require_ocr

    require_ocr()
    engine = LoadingEngine(getattr(settings, "threads", 0))
    fps, side, every = settings.sample_fps, settings.ocr_side, settings.ocr_every
    max_chars = getattr(settings, "cue_max_chars", MAX_CHARS)
    once = _Once(on_text)
    return lambda: VideoTextReader(engine, fps, picture_side=side, max_chars=max_chars, every=every, on_text=once)


class _Once:
    """Calls ``hook`` the first time it is called, never again (None: nothing)."""

    def __init__(self, hook: Callable[[], None] | None) -> None:
        self.hook = hook

    def __call__(self) -> None:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()


def joined(parts: list[ShownText]) -> ShownText:
    """One video's reading from the readings of its time chunks, in time order (Ray): a line running
    to a chunk's end and on from the next one's start is one line; any part's error is the video's."""
    out = ShownText()
    for part in parts:
        out.frames += part.frames
        out.read += part.read
        out.with_text += part.with_text
        out.error = out.error or part.error
        for line in part.lines:
            touching = next(
                (
                    i
                    for i, prior in enumerate(out.lines)
                    if prior.end >= line.start - 1e-6 and alike(prior.text, line.text)
                ),
                None,
            )
            if touching is None:
                out.lines.append(line)
            else:
                prior = out.lines[touching]
                out.lines[touching] = CueRow(
                    prior.start, max(prior.end, line.end), prior.text, prior.source, prior.lang
                )
    if out.error is not None:
        out.lines = []
    return out


_RUN_TOGETHER = re.compile(r"(?<=\d{2})(?=\p{L}{3})|(?<=\p{L}{3})(?=\d{2})|(?<=\p{Ll}{3})(?=\p{Lu}\p{Ll})")


def spaced(text: str) -> str:
    """OCR text with the spaces the model tends to drop put back where they are plain: between a number
    and a word (``4471best`` is ``4471 best``) and before a capital that starts a word inside a lower-case
    one (``bestMarch``); short mixes (``Q3``, ``4K``, ``MP4``, ``iPhone``) are kept as they are."""
    return _RUN_TOGETHER.sub(" ", text)


def worth_keeping(text: str) -> bool:
    """At least two letters or digits: a lone character is mostly texture read as a letter."""
    return sum(ch.isalnum() for ch in text) >= 2


class VideoTextReader:
    """Reads the shown text of one video from its sampled frames, fed in time order (``see``)."""

    def __init__(
        self,
        engine: object,
        fps: float,
        *,
        picture_side: int = 1280,
        max_chars: int = MAX_CHARS,
        new_shot: NewShot | None = None,
        every: float = IDLE_SECONDS,
        on_text: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.on_text = on_text
        """Called after each read that found text (the shown lines will need the text tower)."""
        self.step = 1.0 / fps
        self.picture_side = picture_side
        self.max_chars = max_chars
        self.plan = ReadPlan(new_shot=new_shot, idle_seconds=every)
        self.result = ShownText()
        self._readings: list[Reading] = []
        self._last: tuple[str, ...] = ()
        self._skipped: deque = deque(maxlen=max(1, round(every * fps)))
        """(reading index, time, picture) of the frames skipped since the last read, for reading back."""

    def see(self, t: float, image: np.ndarray, picture: Picture | None = None) -> None:
        """One sampled frame: ``image`` its model input, ``picture`` its whole picture (None: ``image``)."""
        if self.result.error is not None:
            return
        self.result.frames += 1
        whole = picture if picture is not None else (lambda side: image)
        try:
            glance = signature(whole(GLANCE_SIDE))
            decision = self.plan.decide(t, glance)
            if decision == SAME:
                self._readings.append(Reading(t, self._last))
            elif decision == READ:
                texts = self._read(whole)
                new = [x for x in texts if not any(alike(x, y) for y in self._last)]
                self._readings.append(Reading(t, texts))
                if new:
                    self._read_back(new)
                self._skipped.clear()
                self._last = texts
                self.plan.was_read(t, glance, had_text=bool(texts))
            else:
                self._readings.append(Reading(t, ()))
                self._skipped.append((len(self._readings) - 1, t, whole))
        except Exception as exc:  # noqa: BLE001 - the model or a picture failed: this video's reading stops
            self.result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]

    def _read(self, whole: Picture) -> tuple[str, ...]:
        boxes = self.engine.read(whole(self.picture_side))
        texts = tuple(spaced(b.text)[: self.max_chars] for b in boxes if worth_keeping(b.text))
        self.result.read += 1
        self.result.with_text += bool(texts)
        if texts and self.on_text is not None:
            self.on_text()
        return texts

    def _read_back(self, new: list[str]) -> None:
        """The frames skipped before a read that found ``new`` text, newest first, until one lacks it."""
        for index, t, whole in reversed(self._skipped):
            texts = self._read(whole)
            self._readings[index] = Reading(t, texts)
            if not any(alike(x, y) for x in new for y in texts):
                break

    def finish(self, source_model: str | None = None) -> ShownText:
        """The lines read (empty after an error), each a cue of ``shown:MODEL``."""
        if self.result.error is None:
            source = shown_source(source_model or getattr(self.engine, "name", "ocr"))
            self.result.lines = [
                CueRow(line.start, line.end, line.text, source) for line in merge_readings(self._readings, self.step)
            ]
        return self.result
