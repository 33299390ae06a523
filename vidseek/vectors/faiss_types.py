"""FAISS index objects: made for a spec (on a GPU where there is one), searched with its parameters, and
re-ranked exactly when they store codes (how many to fetch, the exact rescoring)."""

from __future__ import annotations

import functools
from typing import Callable, Iterable

import faiss
import numpy as np

from vidseek.vectors.index_choice import HNSW_COARSE_M, PQ_FETCH, IndexSpec

IVF_KINDS = ("ivf", "ivfpq")
"""Inverted files whose lists hold the clip ids themselves (remove in place)."""

Blocks = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]


@functools.cache
def _gpu_count() -> int:
    """GPUs the installed faiss build can use (always 0 with faiss-cpu)."""
    return int(getattr(faiss, "get_num_gpus", lambda: 0)())


def _new_faiss(dim: int, spec: IndexSpec):  # noqa: ANN202
    if spec.kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if spec.kind in IVF_KINDS:
        codes = "Flat" if spec.kind == "ivf" else f"PQ{spec.pq_m}"
        rotation = f"OPQ{spec.pq_m}," if spec.opq else ""
        index = faiss.index_factory(dim, f"{rotation}IVF{spec.nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
        faiss.extract_index_ivf(index).cp.seed = 1234
        _apply_search_params(index, spec)
        return index
    if spec.kind == "fastscan":
        refine = {"fp16": "SQfp16", "sq8": "SQ8"}[spec.refine or "fp16"]
        coarse = f"_HNSW{HNSW_COARSE_M}" if spec.coarse == "hnsw" else ""
        return faiss.index_factory(
            dim, f"IDMap,IVF{spec.nlist}{coarse},PQ{spec.pq_m}x4fs,Refine({refine})", faiss.METRIC_INNER_PRODUCT
        )
    base = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    base.hnsw.efConstruction = spec.ef_construction
    index = faiss.IndexIDMap2(base)
    _apply_search_params(index, spec)
    return index


def _apply_search_params(index, spec: IndexSpec) -> None:  # noqa: ANN001
    if spec.kind in IVF_KINDS:
        faiss.extract_index_ivf(index).nprobe = max(1, spec.nprobe)
    elif spec.kind == "hnsw":
        faiss.downcast_index(index.index).hnsw.efSearch = spec.ef_search


K_FACTORS = (16, 32, 64, 128)
"""Re-scoring factors ``fastscan`` calibration tries (``ClipIndex._calibrate_fastscan``)."""

RESCORE_CAP = 8192
"""``fastscan`` re-scores at most this many candidates (or 2k, when more are asked for): a search
widening to thousands of clips for grounding needs their order only roughly, and re-scoring 16x
of 16,384 clips would cost more than the rest of the query."""


def rescored(k_factor: int, k: int) -> int:
    """Candidates ``fastscan`` re-scores when ``k`` clips are asked for."""
    return max(k, min(k * max(1, k_factor), max(RESCORE_CAP, 2 * k)))


def _padded(ids: np.ndarray, k: int) -> np.ndarray:
    return np.pad(ids, (0, k - len(ids)), constant_values=-1)


def _training_sample(blocks: Blocks, n: int, size: int, seed: int = 0) -> np.ndarray:
    """A uniform sample of ``size`` stored vectors, in one streaming pass."""
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(n, size=min(size, n), replace=False))
    out, seen = [], 0
    for _ids, vectors in blocks():
        lo, hi = np.searchsorted(keep, [seen, seen + len(vectors)])
        out.append(vectors[keep[lo:hi] - seen])
        seen += len(vectors)
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def fetch_size(spec: IndexSpec, k: int) -> int:
    """How many answers to ask the index for when ``k`` are wanted (PQ answers get re-ranked)."""
    return max(PQ_FETCH, 8 * k) if spec.kind == "ivfpq" else k


def rerank(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``ids`` whose exact ``vectors`` score best against ``query``, best first."""
    return rerank_scored(ids, vectors, query, k)[0]


def rerank_scored(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Like ``rerank``, with the exact scores of the ids it keeps."""
    if len(ids) == 0:
        return ids, np.zeros(0, np.float32)
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return ids[order], scores[order]


def pq_bytes(dim: int) -> int:
    """Code bytes per vector: 4 dimensions per 8-bit sub-quantiser (128 bytes at 512-d); the
    largest such divisor of ``dim``. Measured at 1M synthetic clips with 256 candidates re-ranked
    (BENCHMARKS.md): 64-byte codes level off at recall@10 ~0.91 however many lists are probed,
    128-byte codes reach 0.95-0.97; still 14x smaller than full vectors."""
    return next(m for m in range(max(1, dim // 4), 0, -1) if dim % m == 0)
