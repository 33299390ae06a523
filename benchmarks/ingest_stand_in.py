"""A whole encoder (text and frames) that costs microseconds, for smoke runs of
``benchmarks.ingest_load``: ``python:ingest_stand_in:CheapFrames`` (with ``benchmarks/`` on
``PYTHONPATH``). Text as ``query_stand_in.FrameQueries``; a frame's vector is a fixed random
projection of its pixels, 8 apart. It takes the library's model name and size, so `vidseek serve`
and `vidseek index` accept it on a library built by ``benchmarks.api_load.build_library``."""

from __future__ import annotations

import numpy as np
from query_stand_in import FrameQueries


class CheapFrames(FrameQueries):
    input_size = (32, 32)

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        pixels = np.asarray(frames, np.float32)[:, ::8, ::8].reshape(len(frames), -1)
        basis = np.random.default_rng(7).standard_normal((pixels.shape[1], self.dim)).astype(np.float32)
        vectors = pixels @ basis + 1e-3
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
