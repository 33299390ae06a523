"""Synthetic clip-vector collections for benchmarks and tests (no video needed).

Real clip embeddings are clustered: clips of one shot or one video sit close together, and
similar scenes across videos form larger groups. This draws unit vectors around random
cluster centres, which is what makes approximate search possible at all (uniform random
vectors in 512-d are nearly equidistant and no ANN index beats exact search on them).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


def clustered_vectors(
    n: int, dim: int = 512, *, clusters: int | None = None, spread: float = 0.9, seed: int = 0, block: int = 100_000
) -> Iterator[np.ndarray]:
    """``n`` unit vectors in blocks; each is its cluster centre plus noise of norm ~``spread``."""
    rng = np.random.default_rng(seed)
    clusters = clusters or max(16, n // 200)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    for lo in range(0, n, block):
        m = min(block, n - lo)
        x = centres[rng.integers(0, clusters, m)] + rng.standard_normal((m, dim)).astype(np.float32) * (
            spread / np.sqrt(dim)
        )
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        yield x.astype(np.float32)


def id_blocks(vector_blocks: list[np.ndarray], first_id: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    out, next_id = [], first_id
    for vectors in vector_blocks:
        out.append((np.arange(next_id, next_id + len(vectors), dtype=np.int64), vectors))
        next_id += len(vectors)
    return out
