"""Calibrating an approximate index against exact search: pure functions over arrays and blocks."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np


def calibration_queries(sample: np.ndarray, n: int = 200, noise: float = 3.0, seed: int = 0) -> np.ndarray:
    """Queries off the stored vectors: each is a stored vector plus Gaussian noise of about
    ``noise`` times its length, renormalised. With the default 3.0 a query's cosine with the vector
    it came from is about 0.3, the typical cosine of a CLIP text query with a matching image (the
    modality gap), so calibrating on the stored vectors themselves would flatter recall."""
    rng = np.random.default_rng(seed)
    base = sample[rng.choice(len(sample), size=min(n, len(sample)), replace=False)]
    q = base + rng.standard_normal(base.shape).astype(np.float32) * (noise / np.sqrt(base.shape[1]))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def exact_top_k(queries: np.ndarray, blocks: Iterable[tuple[np.ndarray, np.ndarray]], k: int = 10) -> np.ndarray:
    """Ids of the exact top-``k`` inner products, streaming over (ids, vectors) blocks."""
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.full((len(queries), k), -1, np.int64)
    for ids, vectors in blocks:
        s = queries @ vectors.T
        all_s = np.concatenate([best_s, s], axis=1)
        all_i = np.concatenate([best_i, np.broadcast_to(ids, s.shape)], axis=1)
        top = np.argpartition(-all_s, k - 1, axis=1)[:, :k]
        best_s = np.take_along_axis(all_s, top, 1)
        best_i = np.take_along_axis(all_i, top, 1)
    return best_i


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of the true top-k ids that were found."""
    hits = [len(set(f[f >= 0]) & set(t[t >= 0])) / max(1, (t >= 0).sum()) for f, t in zip(found, truth)]
    return float(np.mean(hits))


def smallest_setting(
    candidates: list[int], recall_of: Callable[[int], float], target: float, slack: float = 0.01
) -> tuple[int, float]:
    """The first (smallest) candidate whose recall reaches ``target``. When none does, the first
    one within ``slack`` of the best recall seen: probing everything for no gain would only be slow."""
    seen: list[tuple[int, float]] = []
    for value in candidates:
        recall = recall_of(value)
        if recall >= target:
            return value, recall
        seen.append((value, recall))
    best = max(r for _, r in seen)
    return next((v, r) for v, r in seen if r >= best - slack)
