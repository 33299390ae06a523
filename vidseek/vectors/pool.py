"""Pure vector maths: normalisation and CLIP4Clip meanP pooling."""

from __future__ import annotations

import numpy as np


def l2_normalize(x: np.ndarray, axis: int = -1, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    # np.linalg.norm(x, axis=axis, keepdims=True), the same operations (so the same bits) without its
    # checks, which cost more than the sums for the few frames a moment pools
    norm = np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=True))
    return (x / np.maximum(norm, eps)).astype(np.float32, copy=False)


def mean_pool(frame_vectors: np.ndarray) -> np.ndarray:
    """CLIP4Clip meanP: the L2-normalised mean of the L2-normalised frame vectors."""
    if len(frame_vectors) == 0:
        raise ValueError("cannot pool an empty set of frames")
    unit = l2_normalize(frame_vectors)
    # unit.mean(axis=0) as ndarray.mean does it (a sum, then a division by the count in place), the same
    # bits without its Python-level bookkeeping, which costs more than the sum for a moment's few frames
    total = np.add.reduce(unit, axis=0)
    np.true_divide(total, np.intp(len(unit)), out=total, casting="unsafe")
    return l2_normalize(total)


def pool_windows(frame_vectors: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """One meanP vector per (first, last) inclusive frame-index window."""
    unit = l2_normalize(frame_vectors)
    if not windows:
        return np.zeros((0, unit.shape[1]), np.float32)
    csum = np.vstack([np.zeros((1, unit.shape[1]), np.float64), np.cumsum(unit, axis=0, dtype=np.float64)])
    sums = np.stack([csum[last + 1] - csum[first] for first, last in windows])
    return l2_normalize(sums.astype(np.float32))
