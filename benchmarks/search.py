"""Engine-only search latency, recall@10 against exact search, build time and memory per clip,
at several collection sizes of synthetic clustered 512-d vectors (vidseek.vectors.synthetic)."""

from __future__ import annotations

import time

import faiss
import numpy as np

from benchmarks.timing import percentile_ms, stopwatch
from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
from vidseek.vectors.synthetic import clustered_vectors, id_blocks
from vidseek.vectors.vector_index import build_index

DIM = 512


def _latencies(index, queries: np.ndarray, k: int = 10) -> tuple[list[float], np.ndarray]:
    found, samples = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q, k)
        samples.append(time.perf_counter() - t)
        found.append(np.pad(ids, (0, k - len(ids)), constant_values=-1))
    return samples, np.stack(found)


def measure(n: int, *, n_queries: int = 300, requested: str = "auto", seed: int = 0) -> list[dict]:
    blocks = id_blocks(list(clustered_vectors(n, DIM, seed=seed)))
    queries = calibration_queries(np.concatenate([v for _, v in blocks[:1]]), n=n_queries, seed=seed + 99)
    truth = exact_top_k(queries, blocks, k=10)
    rows = []
    for kind in ("flat", requested):
        with stopwatch() as t:
            index = build_index(lambda: iter(blocks), dim=DIM, n=n, requested=kind, generation=0)
        samples, found = _latencies(index, queries)
        rows.append(
            {
                "clips": n,
                "index": index.spec.describe(),
                "build_s": t[0],
                "p50_ms": percentile_ms(samples, 50),
                "p99_ms": percentile_ms(samples, 99),
                "qps_1_thread_client": 1.0 / float(np.mean(samples)),
                "recall_at_10": recall_at_k(found, truth),
                "bytes_per_clip": len(faiss.serialize_index(index.index)) / n,
            }
        )
        if kind == requested and requested == "flat":
            break
    return rows
