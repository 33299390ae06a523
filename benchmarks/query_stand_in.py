"""A text encoder for benchmarking the API without the model: ``python:query_stand_in:FrameQueries``
(with ``benchmarks/`` on ``PYTHONPATH``). A text's vector is one of 256 stored frame vectors, picked
by a CRC of the text, plus a little noise, so every query matches somewhere and comes back with a
full page; with ``VIDSEEK_BENCH_QUERIES=random`` it is a random unit vector instead, unrelated to the
library as the text vectors of ``ViT-B-32:random`` are (the "nothing matches" path). Encoding costs
microseconds, so a request's time is the API's, the engine's, FAISS's and the SQL's.

Reads the library's SQLite file itself (``VIDSEEK_DATA_DIR/vidseek.db``); imports only numpy."""

from __future__ import annotations

import os
import sqlite3
import zlib
from pathlib import Path

import numpy as np

FRAMES = 256


class FrameQueries:
    input_size = (224, 224)

    def __init__(self) -> None:
        db = Path(os.environ["VIDSEEK_DATA_DIR"]) / "vidseek.db"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            meta = dict(conn.execute("SELECT key, value FROM index_meta WHERE key IN ('model', 'dim')"))
            rows = conn.execute("SELECT count, dim, vectors FROM frame_vectors ORDER BY video_id").fetchall()
        self.name, self.dim = meta["model"], int(meta["dim"])
        rng = np.random.default_rng(0)
        picks = []
        for i in range(FRAMES):
            count, dim, blob = rows[i % len(rows)]
            picks.append(np.frombuffer(blob, np.float32).reshape(count, dim)[int(rng.integers(count))])
        self.frames = np.stack(picks)
        self.random = os.environ.get("VIDSEEK_BENCH_QUERIES") == "random"

    def encode_text(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(text) for text in texts])

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        raise NotImplementedError("a stand-in for text queries only")

    def _vector(self, text: str) -> np.ndarray:
        seed = zlib.crc32(text.encode())
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(self.dim).astype(np.float32)
        vector = noise if self.random else self.frames[seed % FRAMES] * 0.6 + noise * 0.03
        return (vector / np.linalg.norm(vector)).astype(np.float32)
