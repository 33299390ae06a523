"""Still and animated pictures written by Pillow, the way cameras and editors save them: what vidseek must
refuse as videos whatever they are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def _pictures(n: int) -> list[Image.Image]:
    return [Image.fromarray(np.full((48, 64, 3), 40 + 80 * i, np.uint8)) for i in range(n)]


def write_png(path: Path) -> Path:
    _pictures(1)[0].save(path, format="PNG")
    return path


def write_jpeg(path: Path) -> Path:
    """A JPEG, under whatever name ``path`` has (``photo.mp4`` included)."""
    _pictures(1)[0].save(path, format="JPEG")
    return path


def write_animation(path: Path, fmt: str) -> Path:
    """A three-picture animated ``fmt`` ("GIF" or "WEBP"), 100 ms a picture."""
    first, *rest = _pictures(3)
    first.save(path, format=fmt, save_all=True, append_images=rest, duration=100, loop=0)
    return path
