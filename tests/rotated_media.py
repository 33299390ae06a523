"""Test videos a phone would make: an asymmetric picture (top half red, bottom half blue) stored
landscape, with a display matrix in the MP4's ``tkhd`` box telling players to turn it.

The matrix is written into the file's bytes, not through PyAV, so the tests check the decoders
against the MP4 format itself. QuickTime maps a stored point (x, y) (y pointing down) to
(a*x + c*y + tx, b*x + d*y + ty); ``a=cos, b=sin, c=-sin, d=cos`` of an angle turns the picture
clockwise on screen by that angle, the turn a player (and FFmpeg's ``autorotate``) applies.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from media import COLOURS

TOP, BOTTOM = "red", "blue"
"""The stored picture: ``TOP`` colour over ``BOTTOM`` colour."""

# Where a viewer sees the stored top and bottom halves after each clockwise turn.
UPRIGHT_SIDES: dict[int, tuple[str, str]] = {
    0: ("top", "bottom"),
    90: ("right", "left"),
    180: ("bottom", "top"),
    270: ("left", "right"),
}


def halves_frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty((height, width, 3), np.int16)
    img[: height // 2] = COLOURS[TOP]
    img[height // 2 :] = COLOURS[BOTTOM]
    img += rng.integers(-4, 5, size=img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_halves_video(path: Path, *, seconds: float = 3.0, fps: int = 10, width: int = 128, height: int = 64) -> Path:
    """An H.264 MP4 whose every frame is ``halves_frame``; no display matrix of its own (identity)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.options = {"preset": "ultrafast"}
        for i in range(max(1, round(seconds * fps))):
            frame = av.VideoFrame.from_ndarray(halves_frame(width, height, seed=i), format="rgb24")
            frame.pts = round(i * 1000 / fps)
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _matrix_offset(data: bytes) -> int:
    """Byte offset of the 36-byte matrix in the (single) ``tkhd`` box."""
    at = data.find(b"tkhd")
    if at < 0 or data.find(b"tkhd", at + 4) >= 0:
        raise ValueError("expected exactly one tkhd box")
    version = data[at + 4]
    # version/flags 4, then creation, modification, track id, reserved, duration (4 or 8 bytes each except
    # track id and reserved), reserved 8, layer 2, alternate group 2, volume 2, reserved 2.
    body = (4 + 4 + 4 + 4 + 4) if version == 0 else (8 + 8 + 4 + 4 + 8)
    return at + 4 + 4 + body + 8 + 2 + 2 + 2 + 2


def display_matrix(clockwise: int) -> tuple[int, ...]:
    """The tkhd matrix (16.16 for a, b, c, d, x, y; 2.30 for u, v, w) turning the picture ``clockwise`` degrees."""
    cos, sin = round(math.cos(math.radians(clockwise))), round(math.sin(math.radians(clockwise)))
    one = 0x10000
    return (cos * one, sin * one, 0, -sin * one, cos * one, 0, 0, 0, 0x40000000)


def set_display_rotation(path: Path, clockwise: int) -> Path:
    """Patch the file's display matrix so players turn the picture ``clockwise`` degrees (0, 90, 180, 270),
    then check FFmpeg reads it back so (PyAV reports the counter-clockwise angle, in [-180, 180])."""
    data = bytearray(path.read_bytes())
    at = _matrix_offset(bytes(data))
    if struct.unpack(">9i", data[at : at + 36]) != display_matrix(0):
        raise ValueError(f"{path.name}: tkhd matrix is not the identity; wrong offset?")
    data[at : at + 36] = struct.pack(">9i", *display_matrix(clockwise))
    path.write_bytes(bytes(data))
    with av.open(str(path)) as container:
        rotation = next(container.decode(container.streams.video[0])).rotation
    if (-rotation) % 360 != clockwise % 360:
        raise AssertionError(f"{path.name}: FFmpeg reads a rotation of {rotation} degrees, expected {-clockwise}")
    return path


def make_rotated_video(path: Path, clockwise: int, **kw) -> Path:
    return set_display_rotation(make_halves_video(path, **kw), clockwise)


def side_colours(image: np.ndarray) -> dict[str, np.ndarray]:
    """Mean RGB of the top, bottom, left and right thirds of an (H, W, 3) image."""
    h, w = image.shape[:2]
    img = image.astype(np.float64)
    return {
        "top": img[: h // 3].mean(axis=(0, 1)),
        "bottom": img[h - h // 3 :].mean(axis=(0, 1)),
        "left": img[:, : w // 3].mean(axis=(0, 1)),
        "right": img[:, w - w // 3 :].mean(axis=(0, 1)),
    }


def is_colour(rgb: np.ndarray, name: str, tolerance: float = 45.0) -> bool:
    return float(np.abs(rgb - np.array(COLOURS[name], np.float64)).sum()) < tolerance


def assert_upright(image: np.ndarray, clockwise: int) -> None:
    """``image`` shows the stored picture turned ``clockwise`` degrees, as a player shows it."""
    top_side, bottom_side = UPRIGHT_SIDES[clockwise % 360]
    sides = side_colours(image)
    assert is_colour(sides[top_side], TOP) and is_colour(sides[bottom_side], BOTTOM), (
        f"after a {clockwise} degree turn the {TOP} half belongs on the {top_side}, the {BOTTOM} half on the "
        f"{bottom_side}; got " + ", ".join(f"{k}={v.round()}" for k, v in sides.items())
    )
