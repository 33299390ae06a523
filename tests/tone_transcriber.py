"""A test-only transcriber with known answers: it "hears" pure tones as words.

Each 0.1 s step of the sound whose loudest frequency is one of ``TONES`` (within 3%) is that word;
a run of steps of the same word is one line, timed from the start of the window it was given. So a
video whose sound plays 440 Hz from 1.0 s to 2.0 s says "hello" from 1.0 to 2.0 (tests/speech_media.py
makes such videos), as the colour encoder sees a red frame as "red".
"""

from __future__ import annotations

import time

import numpy as np

TONES = {"hello": 440.0, "budget": 660.0, "deadline": 880.0, "tomorrow": 1100.0}
STEP = 0.1
"""Seconds per listened step."""
RATE = 16_000


class ToneTranscriber:
    name = "test:tones-v1"
    language = "en"

    def __init__(self) -> None:
        self.windows_heard = 0

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str]]:
        self.windows_heard += 1
        n = round(STEP * RATE)
        words = [_word(samples[i : i + n]) for i in range(0, len(samples) - n + 1, n)]
        lines: list[tuple[float, float, str]] = []
        for i, word in enumerate(words):
            if word is None:
                continue
            if lines and lines[-1][2] == word and abs(lines[-1][1] - i * STEP) < 1e-9:
                lines[-1] = (lines[-1][0], round((i + 1) * STEP, 6), word)
            else:
                lines.append((round(i * STEP, 6), round((i + 1) * STEP, 6), word))
        return lines


def _word(step: np.ndarray) -> str | None:
    if float(np.sqrt(np.mean(step**2))) < 0.05:
        return None  # silence
    spectrum = np.abs(np.fft.rfft(step * np.hanning(len(step))))
    peak = float(np.fft.rfftfreq(len(step), 1 / RATE)[int(spectrum.argmax())])
    return next((w for w, f in TONES.items() if abs(peak - f) <= 0.03 * f), None)


class SlowToneTranscriber(ToneTranscriber):
    """The same answers, 0.35 s per window: a job long enough to be killed mid-way."""

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str]]:
        time.sleep(0.35)
        return super().transcribe(samples)


class BrokenTranscriber:
    """Says something that is not a line of speech."""

    name = "test:broken"

    def transcribe(self, samples: np.ndarray) -> list[object]:
        return [("not", "a", "time")]
