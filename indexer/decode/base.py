"""What decoding gives: a probe's ``VideoInfo``, sampled ``Frame``s, the ``Decoder`` interface both backends
have, and the plain-words error texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learns about a file before decoding it."""

    duration: float
    """Seconds; 0.0 when the container does not say (decoding then tells)."""
    fps: float
    """Average frame rate of the video stream."""
    width: int
    """Displayed width: the stored height when the video is turned by 90 or 270 degrees."""
    height: int
    codec: str
    rotation: int = 0
    """Clockwise degrees (0, 90, 180 or 270) a player turns the stored picture to show it."""
    container: str = ""
    """FFmpeg's name for the container, its aliases comma-separated ("mov,mp4,m4a,3gp,3g2,mj2")."""


@dataclass(frozen=True)
class Frame:
    t: float
    """Presentation time in seconds from the start of the video stream."""
    image: np.ndarray
    """(H, W, 3) uint8 RGB, already at the model's input size."""
    picture: Callable[[int], np.ndarray] | None = field(default=None, compare=False, repr=False)
    """The whole upright picture, RGB, scaled so its longest side is at most the number given (never
    enlarged), made only when called (the OCR pass, ``indexer.shown``); None when the decoder cannot."""


class FrameWatcher(Protocol):
    """Shown the frames a decoder decodes, in presentation order (cut detection: ``indexer.cut_detection``):
    an RGB picture (``see``), or a small video-range Y'CbCr thumbnail straight from the decoder
    (``see_video``)."""

    def see(self, t: float, image: np.ndarray) -> None: ...

    def see_video(self, t: float, thumb: np.ndarray) -> None: ...


class Decoder(Protocol):
    name: str

    def probe(self, path: Path) -> VideoInfo: ...

    def frames(
        self,
        path: Path,
        *,
        fps: float,
        size: tuple[int, int],
        keyframes_only: bool = False,
        shots: FrameWatcher | None = None,
    ) -> Iterator[Frame]:
        """Sampled frames; with ``keyframes_only`` only keyframes are decoded (fast, coarse). ``shots`` is shown
        every frame decoded (PyAV: all it decodes, sampled or not; decord: the sampled ones)."""
        ...


def describe(exc: Exception) -> str:
    """The useful part of a decoder error: FFmpeg's sentence, without errno numbers or file names."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    text = text.split(": '", 1)[0]
    return text.splitlines()[0][:200]


def truncation_problem(duration: float, last_frame_t: float, step: float) -> str | None:
    """Why decoding that stopped at ``last_frame_t`` means a damaged file, or None if it is plausible.

    Containers often state a duration a little past the last video frame (audio runs longer,
    rounding), so up to ``max(2 s, 10 %, one step)`` of shortfall is accepted.
    """
    if duration <= 0:
        return None
    covered = last_frame_t + step
    if covered < duration - max(2.0, 0.1 * duration, step):
        return (
            f"file looks truncated: video frames stop at {last_frame_t:.1f} s but the file says it lasts "
            f"{duration:.1f} s"
        )
    return None
