"""Which sampled frames of a video the OCR model reads, pure logic: sparsely, because reading a frame
costs far more than embedding it.

Each sampled frame is glanced at: a 16x16 grey signature of the whole picture (``indexer.frame_signature``).
A frame is

- **read** when it is the video's first, when a new shot starts (``new_shot``, else a picture far
  from the frame before it: a cut), when its picture changed since the last frame read and that one
  showed text (text may have moved, changed or gone), or, in a picture that keeps changing without
  text, every ``idle_seconds``;
- **the same** when no block of its signature moved more than ``still`` grey levels from the last
  frame read: it shows what that one showed (a slide, a static lower third: read once);
- **skipped** otherwise (a moving picture where the last read found no text). When a read then finds
  new text, the frames skipped just before it are read back, newest first, until one lacks it, so a
  line's first second is that of the first frame showing it (``indexer.shown.text_reading``).

Shots: part 2 of issue 27 stores shot boundaries; until then a cut is guessed from the signatures.
Pass ``new_shot`` (a predicate on a frame's time) to read once per stored shot instead.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from indexer.frame_signature import distance
from indexer.sample import TIME_EPS

READ = "read"
SAME = "same"
SKIP = "skip"

STILL_LEVELS = 6.0
"""A frame whose signature blocks all lie within this many grey levels of the last frame read shows the same."""
CUT_LEVELS = 30.0
"""A frame whose signature lies this far (mean, grey levels) from the frame before it starts a new shot."""
IDLE_SECONDS = 2.0
"""In a changing picture whose last read found no text, a frame is read this often: text shown this long
or longer is always read (shorter text over moving footage may be missed)."""

NewShot = Callable[[float], bool]
"""Hook for stored shot boundaries: does a shot start at this frame time?"""


def most_changed(a: np.ndarray, b: np.ndarray) -> float:
    """The largest change of one block between two signatures, grey levels: small text appearing moves
    one block a lot and the mean barely."""
    return float(np.abs(a - b).max())


class ReadPlan:
    """Decides, frame by frame in time order, whether a sampled frame is read (``READ``), shows what the
    last frame read showed (``SAME``) or is skipped (``SKIP``); ``was_read`` tells it what a read found."""

    def __init__(
        self,
        *,
        idle_seconds: float = IDLE_SECONDS,
        still: float = STILL_LEVELS,
        cut: float = CUT_LEVELS,
        new_shot: NewShot | None = None,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.still = still
        self.cut = cut
        self.new_shot = new_shot
        self._read: np.ndarray | None = None
        self._read_t = 0.0
        self._had_text = False
        self._previous: np.ndarray | None = None

    def decide(self, t: float, glance: np.ndarray) -> str:
        """What to do with the frame at ``t`` whose signature is ``glance``."""
        previous, self._previous = self._previous, glance
        if self._read is None:
            return READ
        if (self.new_shot is not None and self.new_shot(t)) or (
            previous is not None and distance(glance, previous) > self.cut
        ):
            return READ
        if most_changed(glance, self._read) <= self.still:
            return SAME
        if self._had_text or t - self._read_t + TIME_EPS >= self.idle_seconds:
            return READ
        return SKIP

    def was_read(self, t: float, glance: np.ndarray, *, had_text: bool) -> None:
        self._read, self._read_t, self._had_text = glance, t, had_text
