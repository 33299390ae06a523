"""Real H.264 test videos with shots at known frames: hard cuts and fades through black, made with PyAV
(libx264, its default settings: B-frames, scene-cut keyframes).

Each shot is a smooth random colour field that pans, with a bright square moving across it (so every
frame changes a little, as filmed footage does); ``similar`` shots share a palette, the hard case of a
cut between two shots of one scene. The truth of a cut is the time of the new shot's first frame; of a
fade, the middle of its black frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

FADE_SECONDS = 0.5
"""Each half of a fade: out to black, then in from black."""


@dataclass(frozen=True)
class ShotSpec:
    seconds: float
    into: str = "cut"
    """How this shot begins (``cut`` or ``fade``; the first shot's is ignored)."""


def _field(rng: np.random.Generator, palette: np.ndarray, width: int, height: int) -> np.ndarray:
    """A smooth colour field twice the frame's width (it pans), from a coarse random grid upsampled."""
    grid = palette[rng.integers(0, len(palette), (6, 12))] + rng.normal(0.0, 20.0, (6, 12, 3))
    ys = np.linspace(0, 5, height)
    xs = np.linspace(0, 11, 2 * width)
    y0, x0 = np.floor(ys).astype(int).clip(0, 4), np.floor(xs).astype(int).clip(0, 10)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    g = grid
    top = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
    bottom = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
    return np.clip(top * (1 - fy) + bottom * fy, 0, 255)


def make_shot_video(
    path: Path,
    shots: list[ShotSpec],
    *,
    fps: int = 24,
    size: tuple[int, int] = (320, 180),
    seed: int = 0,
    similar: bool = False,
) -> list[tuple[float, str]]:
    """Write the video; return its true cuts as (seconds, kind)."""
    import av

    width, height = size
    rng = np.random.default_rng(seed)
    shared = rng.integers(40, 230, (4, 3)).astype(np.float64)
    frames_per = [round(s.seconds * fps) for s in shots]
    fields = [
        _field(rng, shared if similar else rng.integers(20, 240, (4, 3)).astype(np.float64), width, height)
        for _ in shots
    ]
    fade = round(FADE_SECONDS * fps)
    truth: list[tuple[float, str]] = []
    starts = np.cumsum([0] + frames_per)
    for k in range(1, len(shots)):
        if shots[k].into == "fade":
            truth.append(((starts[k] - 0.5) / fps, "fade"))
        else:
            truth.append((starts[k] / fps, "cut"))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        i = 0
        for k, count in enumerate(frames_per):
            for j in range(count):
                pan = int(j * 2) % width
                img = fields[k][:, pan : pan + width].copy()
                x = int((j * 5 + 37 * k) % (width - 24))
                img[height // 3 : height // 3 + 24, x : x + 24] = 250
                gain = 1.0
                if k + 1 < len(shots) and shots[k + 1].into == "fade" and j >= count - fade:
                    gain = (count - 1 - j) / fade
                if k > 0 and shots[k].into == "fade" and j < fade:
                    gain = j / fade
                frame = av.VideoFrame.from_ndarray((img * gain).astype(np.uint8), format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, fps)
                i += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return truth


def standard_shots(seed: int) -> list[ShotSpec]:
    """A 20-ish second video of shots 0.8-3 s long, one in four beginning with a fade."""
    rng = np.random.default_rng(seed)
    return [ShotSpec(float(rng.uniform(0.8, 3.0)), "fade" if rng.random() < 0.25 else "cut") for _ in range(10)]
