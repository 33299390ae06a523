"""The large-index type at the largest size this machine holds: IVF-PQ over several million
synthetic 512-d clip vectors, generated block by block (never all in memory), measured against
exact search: build time, memory per clip, p50/p99 latency, recall@10 after exact re-ranking."""

from __future__ import annotations

import time

import faiss
import numpy as np

from benchmarks.timing import percentile_ms, stopwatch
from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
from vidseek.vectors.faiss_types import fetch_size, rerank
from vidseek.vectors.synthetic import clustered_vectors
from vidseek.vectors.vector_index import build_index

DIM = 512


def _blocks(n: int, seed: int):  # noqa: ANN202
    def gen():  # noqa: ANN202
        next_id = 1
        for vectors in clustered_vectors(n, DIM, seed=seed, clusters=max(16, n // 200)):
            yield np.arange(next_id, next_id + len(vectors), dtype=np.int64), vectors
            next_id += len(vectors)

    return gen


def measure(n: int, *, requested: str = "ivfpq", n_queries: int = 200, seed: int = 5) -> dict:
    blocks = _blocks(n, seed)
    first = next(iter(blocks()))[1]
    queries = calibration_queries(first, n=n_queries, seed=seed + 1)
    with stopwatch() as t_truth:
        truth = exact_top_k(queries, blocks(), k=10)
    with stopwatch() as t_build:
        index = build_index(blocks, dim=DIM, n=n, requested=requested, generation=0)
    k = 10
    fetch = fetch_size(index.spec, k)
    raw = []
    latencies = []
    for q in queries:
        t = time.perf_counter()
        raw.append(index.search(q, fetch)[1])
        latencies.append(time.perf_counter() - t)
    # exact re-ranking, as the engine does from SQL: gather the candidates' vectors in one pass
    wanted = np.unique(np.concatenate(raw))
    vectors = np.zeros((len(wanted), DIM), np.float32)
    for ids, block in blocks():
        hit = np.isin(ids, wanted)
        vectors[np.searchsorted(wanted, ids[hit])] = block[hit]
    found = np.stack([rerank(r, vectors[np.searchsorted(wanted, r)], q, k) for r, q in zip(raw, queries)])
    return {
        "clips": n,
        "index": index.spec.describe(),
        "build_s": t_build[0],
        "exact_pass_s": t_truth[0],
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "candidates": fetch,
        "recall_at_10_reranked": recall_at_k(found, truth),
        "recall_at_10_codes_only": recall_at_k(np.stack([r[:k] for r in raw]), truth),
        "bytes_per_clip": len(faiss.serialize_index(index.index)) / n,
    }
