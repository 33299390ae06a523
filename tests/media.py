"""Tiny test videos made with PyAV, described by the colours they show and when."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 190, 40),
    "blue": (30, 40, 220),
    "yellow": (230, 220, 30),
    "magenta": (210, 40, 200),
    "cyan": (40, 210, 210),
    "white": (240, 240, 240),
    "black": (10, 10, 10),
}


@dataclass(frozen=True)
class Segment:
    colour: str
    """A key of COLOURS."""
    seconds: float
    """How long the colour stays on screen."""


def colour_frame(colour: str, width: int, height: int, noise: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.array(COLOURS[colour], dtype=np.int16)
    img = base + rng.integers(-noise, noise + 1, size=(height, width, 3), dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def mux_colour_frames(container, video, segments: list[Segment], fps: int) -> None:  # noqa: ANN001
    """Encode ``segments`` (64x48 colour frames at ``fps``) into the ``video`` stream of ``container``
    and flush it: the pictures of the generated videos that carry other streams too."""
    edges = np.cumsum([s.seconds for s in segments])
    for i in range(round(float(edges[-1]) * fps)):
        k = min(int(np.searchsorted(edges, i / fps, side="right")), len(segments) - 1)
        frame = av.VideoFrame.from_ndarray(colour_frame(segments[k].colour, 64, 48, seed=i), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, fps)
        for packet in video.encode(frame):
            container.mux(packet)
    for packet in video.encode():
        container.mux(packet)


def truth(segments: list[Segment], colour: str) -> list[tuple[float, float]]:
    """(start, end) seconds of every run of ``colour``."""
    out, t = [], 0.0
    for seg in segments:
        if seg.colour == colour:
            if out and abs(out[-1][1] - t) < 1e-9:
                out[-1] = (out[-1][0], t + seg.seconds)
            else:
                out.append((t, t + seg.seconds))
        t += seg.seconds
    return out


def make_video(
    path: Path,
    segments: list[Segment],
    *,
    fps: int = 10,
    width: int = 64,
    height: int = 48,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    frame_times: list[float] | None = None,
    x264_params: str | None = None,
) -> Path:
    """Write a video whose frames show ``segments`` in order.

    ``frame_times`` (seconds) gives explicit, possibly irregular, presentation times: a
    variable-frame-rate file. Otherwise frames are evenly spaced at ``fps``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    total = sum(s.seconds for s in segments)
    if frame_times is None:
        frame_times = [i / fps for i in range(max(1, round(total * fps)))]
    bounds = np.cumsum([s.seconds for s in segments])
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = Fraction(1, 1000)
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", **({"x264-params": x264_params} if x264_params else {})}
        for i, t in enumerate(frame_times):
            k = min(int(np.searchsorted(bounds, t, side="right")), len(segments) - 1)
            frame = av.VideoFrame.from_ndarray(colour_frame(segments[k].colour, width, height, seed=i), format="rgb24")
            frame.pts = round(t * 1000)
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_audio_only(path: Path, seconds: float = 1.0) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        samples = int(44100 * seconds)
        pts = 0
        for lo in range(0, samples, 1024):
            n = min(1024, samples - lo)
            frame = av.AudioFrame.from_ndarray(np.zeros((1, n), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = pts
            pts += n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
