"""Picture sizes and turns: scaling to cover the model input, the display matrix's quarter turns, the
centre crop. Plain numpy, no decoder."""

from __future__ import annotations

import math

import numpy as np


def scaled_size(width: int, height: int, size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) that covers ``size`` (h, w) while keeping the aspect ratio."""
    out_h, out_w = size
    scale = max(out_w / width, out_h / height)
    return max(out_w, round(width * scale)), max(out_h, round(height * scale))


def clockwise_turn(ccw_degrees: float) -> int:
    """PyAV's ``VideoFrame.rotation`` (the display matrix's angle, counter-clockwise, in [-180, 180]) as the
    clockwise quarter turn a player applies: 0, 90, 180 or 270 (other angles round to the nearest)."""
    if not math.isfinite(ccw_degrees):
        return 0
    return (-round(ccw_degrees / 90)) % 4 * 90


def turned_size(width: int, height: int, turn: int) -> tuple[int, int]:
    """(width, height) of a ``width`` x ``height`` picture after a clockwise ``turn``."""
    return (height, width) if turn in (90, 270) else (width, height)


def upright(image: np.ndarray, turn: int) -> np.ndarray:
    """``image`` (H, W, ...) turned ``turn`` degrees clockwise, as a player shows it (a view, no copy)."""
    return np.rot90(image, k=-(turn // 90)) if turn else image


def centre_crop(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    out_h, out_w = size
    h, w = image.shape[:2]
    top, left = (h - out_h) // 2, (w - out_w) // 2
    return image[top : top + out_h, left : left + out_w]
