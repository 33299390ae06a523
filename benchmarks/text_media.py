"""Videos with text rendered at known times (Pillow, Debian's fonts), for the on-screen text tests and
``benchmarks/ocr.py``: each ``Shown`` piece of text is drawn from its ``start`` to its ``end`` second,
still or moving, over a background that moves (footage) or stays (a slide).

Fonts: DejaVu (``fonts-dejavu``) and, for Chinese, Noto CJK (``fonts-noto-cjk``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
DEJAVU_PLAIN = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
NOTO_CJK = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
]


def cjk_font() -> Path | None:
    """Noto Sans CJK, when ``fonts-noto-cjk`` is installed."""
    return next((p for p in NOTO_CJK if p.is_file()), None)


@dataclass(frozen=True)
class Shown:
    """One piece of text on screen."""

    text: str
    start: float
    end: float
    at: tuple[float, float]
    """Its top-left corner at ``start``, as fractions of the width and height."""
    size: int = 36
    """Font size, pixels."""
    font: Path = DEJAVU
    pan: float = 0.0
    """Horizontal motion, pixels a second (a sign in a panning shot, a ticker)."""
    band: bool = False
    """Drawn on a dark band across the picture (a lower third, a ticker)."""
    colour: tuple[int, int, int] = (255, 255, 255)


def _background(i: int, fps: int, width: int, height: int, moving: bool, seed: int) -> Image.Image:
    if not moving:
        return _still_background(width, height, seed).copy()
    return _painted(i, fps, width, height, moving, seed)


@lru_cache(maxsize=4)
def _still_background(width: int, height: int, seed: int) -> Image.Image:
    return _painted(0, 1, width, height, False, seed)


def _painted(i: int, fps: int, width: int, height: int, moving: bool, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 120, size=3)
    t = i / fps if moving else 0.0
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    wave = 0.5 + 0.5 * np.sin(6.0 * x + 3.0 * y + 0.8 * t)
    picture = (base[None, None, :] * (0.6 + 0.6 * wave[..., None])).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(picture)
    if moving:  # a shape crossing the picture, as in footage
        draw = ImageDraw.Draw(image)
        cx = (0.1 + 0.15 * t) % 1.0 * width
        draw.ellipse((cx - 40, height * 0.45, cx + 40, height * 0.45 + 80), fill=(200, 160, 60))
    return image


def render_frame(
    i: int, fps: int, width: int, height: int, shown: list[Shown], *, moving: bool, seed: int = 0
) -> np.ndarray:
    """Frame ``i`` (RGB) of the video ``text_video`` writes."""
    image = _background(i, fps, width, height, moving, seed)
    draw = ImageDraw.Draw(image)
    t = i / fps
    for s in shown:
        if not s.start <= t < s.end:
            continue
        font = ImageFont.truetype(str(s.font), s.size)
        x = s.at[0] * width + s.pan * (t - s.start)
        y = s.at[1] * height
        if s.band:
            draw.rectangle((0, y - s.size * 0.3, width, y + s.size * 1.4), fill=(15, 20, 45))
        draw.text((x, y), s.text, font=font, fill=s.colour)
    return np.asarray(image)


def text_video(
    path: Path,
    shown: list[Shown],
    *,
    seconds: float,
    width: int = 640,
    height: int = 360,
    fps: int = 10,
    moving: bool = True,
    seed: int = 0,
) -> Path:
    """An H.264 file of ``seconds`` showing ``shown`` (over a moving background unless ``moving`` is False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"crf": "20", "preset": "veryfast"}
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(
                render_frame(i, fps, width, height, shown, moving=moving, seed=seed), format="rgb24"
            )
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
