"""Cutting a stream of audio samples into fixed windows, each with its start time (pure numpy).

A transcriber is given one window at a time, so a long video's sound is never held whole: at 16 kHz
mono float32 a 10-minute window is 38 MB, a 2-hour film 460 MB. A word that straddles a window edge
may be heard as two pieces (or missed); Whisper itself listens in 30 s windows, so ten minutes loses
little. Times in the windows are seconds from the start of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
"""Samples per second of the audio given to a transcriber (what Whisper models take)."""
DEFAULT_WINDOW_SECONDS = 600.0


@dataclass(frozen=True)
class AudioWindow:
    """A stretch of mono float32 samples at ``SAMPLE_RATE``."""

    start: float
    """Seconds from the start of the file to the first sample."""
    samples: np.ndarray
    """float32, shape (n,), values in -1..1."""
    rate: int = SAMPLE_RATE
    """Samples per second."""

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / self.rate


def windows(
    blocks: Iterable[np.ndarray], *, window_seconds: float, start: float = 0.0, rate: int = SAMPLE_RATE
) -> Iterator[AudioWindow]:
    """Regroup ``blocks`` (consecutive 1-D sample arrays of any lengths) into windows of
    ``window_seconds`` (the last one shorter); the first sample is at ``start`` seconds. Holds at most
    one window and one block."""
    if not window_seconds > 0:
        raise ValueError(f"window_seconds must be positive, not {window_seconds}")
    size = max(1, round(window_seconds * rate))
    pending: list[np.ndarray] = []
    held = 0
    emitted = 0
    for block in blocks:
        block = np.asarray(block, np.float32).reshape(-1)
        while len(block):
            take = min(size - held, len(block))
            pending.append(block[:take])
            held += take
            block = block[take:]
            if held == size:
                yield AudioWindow(start + emitted / rate, np.concatenate(pending), rate)
                emitted += held
                pending, held = [], 0
    if held:
        yield AudioWindow(start + emitted / rate, np.concatenate(pending), rate)
