"""Near-duplicate frames, pure logic: a cheap signature of each sampled frame, the distance between two, and
which frames of a video are embedded and which reuse the vector of the last embedded one.

A signature is a 16x16 grey thumbnail (block means of the model-input picture the decoder already scaled);
the distance of two is the mean absolute difference of their thumbnails, in grey levels (0-255). A frame
whose distance to the last *embedded* frame (its anchor) is at most the threshold reuses the anchor's
vector; it is still its own frame, with its own time.

The decision depends on nothing but the video's own frames: sampling steps are cut into spans of
``refresh_steps(fps)`` (about :data:`REFRESH_SECONDS`), and the first sampled frame of each span is always
embedded. So a reused vector is never more than one span old (a change the signature misses is wrong for
at most that long), and a decode that starts at a span's first step (a time chunk, ``indexer.distributed``)
makes the same decisions as one of the whole file.
"""

from __future__ import annotations

import math

import numpy as np

from indexer.sample import TIME_EPS

SIGNATURE_SIDE = 16
"""Thumbnail side, pixels."""

REFRESH_SECONDS = 10.0
"""About how often a frame is embedded whatever its signature says (the span length, in seconds)."""

_GREY = np.array([0.299, 0.587, 0.114], np.float32)


def signature(image: np.ndarray) -> np.ndarray:
    """(16, 16) float32 grey thumbnail of an (H, W, 3) uint8 RGB frame: the mean of each block (blocks as
    even as the size allows; a side shorter than 16 gives one block per pixel row or column)."""
    grey = image.astype(np.float32) @ _GREY
    h, w = grey.shape
    rows = np.unique(np.linspace(0, h, SIGNATURE_SIDE + 1).astype(np.int64)[:-1])
    cols = np.unique(np.linspace(0, w, SIGNATURE_SIDE + 1).astype(np.int64)[:-1])
    sums = np.add.reduceat(np.add.reduceat(grey, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff(np.append(rows, h)), np.diff(np.append(cols, w)))
    return (sums / counts).astype(np.float32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two signatures, grey levels (0 = the same thumbnail, 255 = black and white)."""
    return float(np.abs(a - b).mean())


def refresh_steps(fps: float) -> int:
    """Sampling steps per span (at least 1): the first frame of each span is always embedded."""
    return max(1, round(REFRESH_SECONDS * fps))


def span_start(step: int, fps: float) -> int:
    """The first sampling step of the span holding ``step``."""
    per = refresh_steps(fps)
    return step // per * per


class FrameSkipper:
    """Decides, frame by frame in time order, whether a sampled frame of one video is embedded (True) or
    reuses the last embedded frame's vector (False). ``threshold`` 0 embeds every frame."""

    def __init__(self, threshold: float, fps: float) -> None:
        if not threshold >= 0 or not math.isfinite(threshold):
            raise ValueError(f"skip_similar must be a finite number >= 0, not {threshold}")
        self.threshold = threshold
        self.fps = fps
        self.per = refresh_steps(fps)
        self._anchor: np.ndarray | None = None
        self._span: int | None = None

    def embeds(self, t: float, image: np.ndarray) -> bool:
        if self.threshold == 0:
            return True
        span = math.floor(t * self.fps + TIME_EPS) // self.per
        sig = signature(image)
        if self._anchor is not None and span == self._span and distance(sig, self._anchor) <= self.threshold:
            return False
        self._anchor, self._span = sig, span
        return True


def reuse_plan(threshold: float, fps: float, frames: list[tuple[float, np.ndarray]]) -> list[int]:
    """For frames ``(t, image)`` of one video in time order: the index of the frame whose vector each one
    gets (its own index when it is embedded)."""
    skipper = FrameSkipper(threshold, fps)
    owners: list[int] = []
    for i, (t, image) in enumerate(frames):
        owners.append(i if skipper.embeds(t, image) else owners[-1])
    return owners
