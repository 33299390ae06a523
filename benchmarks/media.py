"""Synthetic H.264 footage for benchmarks: moving shapes over a drifting gradient, so the encoder
and decoder do real work (unlike a flat colour). Cached: made once per size and length."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CACHE = Path(__file__).parent / "results" / "media"


def synthetic_video(width: int, height: int, seconds: int, fps: int = 30, *, crf: int = 23) -> Path:
    path = CACHE / f"synthetic_{width}x{height}_{seconds}s_{fps}fps.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(0)
    phase = (xx / width + yy / height) % 1.0
    backgrounds = [
        np.stack([phase * (60 + 40 * s), (1 - phase) * (200 - 30 * s), 90 + 60 * np.sin(phase * 6.28 + s)], -1).astype(
            np.uint8
        )
        for s in range(4)
    ]
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": str(crf), "g": str(2 * fps)}
        stream.time_base = Fraction(1, fps)
        boxes = rng.uniform(0, 1, size=(6, 4))
        bw, bh = width // 8, height // 8
        for i in range(seconds * fps):
            t = i / fps
            scene = int(t // 10) % len(backgrounds)  # a new look every 10 s, like cuts between shots
            frame = np.roll(backgrounds[scene], shift=int(40 * t) % width, axis=1)
            for k, (bx, by, vx, vy) in enumerate(boxes):
                cx = int(((bx + 0.07 * vx * t) % 1.0) * (width - bw))
                cy = int(((by + 0.05 * vy * t) % 1.0) * (height - bh))
                frame[cy : cy + bh, cx : cx + bw] = (40 * k % 255, 255 - 30 * k, 120 + 20 * k)
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path


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
