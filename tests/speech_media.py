"""Test videos with a sound track of pure tones at known times, muxed with PyAV: what
``tone_transcriber.ToneTranscriber`` hears as known words (``tone_transcriber.TONES``)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from media import Segment, mux_colour_frames
from tone_transcriber import TONES


@dataclass(frozen=True)
class Said:
    start: float
    end: float
    word: str
    """A key of TONES: the tone played from ``start`` to ``end`` seconds."""


def tone_track(said: list[Said], seconds: float, rate: int) -> np.ndarray:
    """Mono float32 samples: a sine of each word's frequency over its span, silence elsewhere."""
    t = np.arange(round(seconds * rate)) / rate
    out = np.zeros_like(t, dtype=np.float32)
    for s in said:
        span = (t >= s.start) & (t < s.end)
        out[span] = 0.5 * np.sin(2 * np.pi * TONES[s.word] * t[span])
    return out


def make_talking_video(
    path: Path,
    segments: list[Segment],
    said: list[Said],
    *,
    fps: int = 10,
    rate: int = 44100,
    codec: str = "aac",
    layout: str = "stereo",
) -> Path:
    """A colour video (``media.make_video``'s pictures) with a ``codec`` sound track at ``rate`` Hz that
    plays ``said``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    total = sum(s.seconds for s in segments)
    samples = tone_track(said, total, rate)
    channels = 2 if layout == "stereo" else 1
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = container.add_stream(codec, rate=rate, layout=layout)
        mux_colour_frames(container, video, segments, fps)
        step = audio.codec_context.frame_size or 1024
        for lo in range(0, len(samples), step):
            block = samples[lo : lo + step]
            planar = np.repeat(block[None, :], channels, axis=0).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, lo, Fraction(1, rate)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path
