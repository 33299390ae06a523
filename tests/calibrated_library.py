"""A library big enough to calibrate (>= 256 clips), written straight into SQL + FAISS with vectors
in the colour encoder's space, so a query for a colour sees CLIP-like scores: unrelated frames
~0.17, strong matches ~0.30, weak ones ~0.23. No video files: for search, not for streaming."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from colour_encoder import ColourEncoder

from indexer.sample import clip_windows
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.storage.store import VideoRecord
from vidseek.vectors.pool import l2_normalize, pool_windows

RED = list(ColourEncoder().encode_text(["red"])[0] > 0.5).index(True)


@dataclass(frozen=True)
class Planted:
    title: str
    start: float
    end: float
    level: float
    """Cosine of the frames with the query "red"."""


def _frames(n: int, red_level: np.ndarray, rng: np.random.Generator, dim: int) -> np.ndarray:
    """Unit vectors whose cosine with the "red" text vector is about ``red_level`` frame by frame."""
    # frames of one video look alike (as real footage does), so pooling them barely lengthens the mean
    other = (np.abs(rng.normal(0, 1, dim)) + 0.15 * np.abs(rng.normal(0, 1, (n, dim)))).astype(np.float32)
    other[:, RED] = 0
    other = l2_normalize(other)
    out = other * np.sqrt(1 - red_level[:, None] ** 2)
    out[:, RED] = red_level
    return out.astype(np.float32)


def build(library: Library, *, videos: int = 24, seconds: int = 30, seed: int = 0) -> list[Planted]:
    """Write ``videos`` videos of unrelated frames: every sixth holds two strong red events, every other
    third one, a few a weak one; a video's mtime grows with its number (later videos are newer).
    Returns the planted events."""
    rng = np.random.default_rng(seed)
    dim = ColourEncoder.dim
    planted: list[Planted] = []
    with library.sessions() as session:
        store.claim_model(ColourEncoder.name, dim, session=session)
        session.commit()
    for i in range(videos):
        # each video's own level within 1.5 sigma of 0.17, so no video's unrelated frames score
        # like a weak event (that would make its truth ambiguous)
        level = 0.17 + np.clip(rng.normal(0, 0.025), -0.0375, 0.0375) + rng.normal(0, 0.008, seconds)
        title = f"synthetic {i:02d}"
        if i % 6 == 0:  # two strong events, apart
            events = [(3, 5, 0.31), (18, 5, 0.31)]
        elif i % 3 == 0:  # one strong event
            events = [(int(rng.integers(3, seconds - 10)), int(rng.integers(4, 8)), 0.31)]
        elif i % 8 == 1:  # one weak event
            events = [(int(rng.integers(3, seconds - 10)), 5, 0.245)]
        else:
            events = []
        for at, length, strength in events:
            level[at : at + length] = strength + rng.normal(0, 0.005, length)
            planted.append(Planted(title, float(at), float(at + length), strength))
        times = np.arange(seconds, dtype=np.float64)
        frames = _frames(seconds, level, rng, dim)
        windows = clip_windows(times, clip_seconds=4, stride=2, step=1.0, duration=float(seconds))
        record = VideoRecord(
            path=f"/synthetic/{title}.mp4",
            title=title,
            size=1000 + i,
            mtime_ns=(i + 1) * 10**9,
            fingerprint=f"{i:064d}",
            duration=float(seconds),
            fps=25.0,
            width=64,
            height=48,
            codec="h264",
            model_name=ColourEncoder.name,
            sample_fps=1.0,
            clip_seconds=4.0,
            clip_stride=2.0,
        )
        library.write_video(
            record,
            times,
            frames,
            [(w.first, w.last, w.start, w.end) for w in windows],
            pool_windows(frames, [(w.first, w.last) for w in windows]),
        )
    library.save_index()
    return planted
