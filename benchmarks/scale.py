"""Search at scale with deletions: engine latency and recall@10 against exact search after removing
a share of the clips, build time and resident memory per clip, one index type per fresh process.

    python -m benchmarks.scale --clips 1000000 --kinds flat,ivf,fastscan
    python -m benchmarks.scale --clips 10000000 --kinds fastscan
    python -m benchmarks.scale --clips 3000000 --kinds fastscan-flat,fastscan

``fastscan-flat`` is ``fastscan`` as it was before the HNSW coarse quantizer: at most
``FASTSCAN_MAX_LISTS`` (4,096) lists, every centroid compared with every query.

The collection is ``vidseek.vectors.synthetic.clustered_vectors`` (512-d, one cluster per 200 clips), made
block by block and made again for every pass (training sample, filling, calibration, ground
truth), so 10M clips never sit in RAM as a whole: only the index does. Queries are drawn as in
``benchmarks.search`` (cosine ~0.3 to a stored clip, CLIP's text-to-image gap) with another seed
than the calibration's. After the build, ``--delete`` of the clips (random ids) are removed through
``ClipIndex.remove``, as a library does when videos are deleted; recall is against the exact top 10
of the clips left. Memory is the process's resident set after the build minus before it (the
index, with whatever FAISS keeps around), per clip.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Iterator

import numpy as np

DIM = 512
BLOCK = 100_000


def _blocks(n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    from vidseek.vectors.synthetic import clustered_vectors

    first = 1
    for vectors in clustered_vectors(n, DIM, seed=0, block=BLOCK):
        yield np.arange(first, first + len(vectors), dtype=np.int64), vectors
        first += len(vectors)


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure_one(n: int, kind: str, *, delete: float = 0.1, n_queries: int = 300, threads: int = 0) -> dict:
    """Build one index of ``kind`` over ``n`` clips, remove ``delete`` of them, time 300 queries."""
    import faiss

    from benchmarks.timing import percentile_ms
    from vidseek.vectors import index_choice
    from vidseek.vectors.ann_tuning import calibration_queries, exact_top_k, recall_at_k
    from vidseek.vectors.vector_index import build_index

    if threads:
        faiss.omp_set_num_threads(threads)
    if kind == "fastscan-flat":  # the type before the HNSW coarse quantizer: flat centroids, 4,096 lists at most
        index_choice.FASTSCAN_HNSW_MAX_LISTS = index_choice.FASTSCAN_MAX_LISTS
        kind = "fastscan"
    first_ids, first_block = next(_blocks(min(n, BLOCK)))
    queries = calibration_queries(first_block, n=n_queries, seed=99)
    removed = np.sort(np.random.default_rng(5).choice(np.arange(1, n + 1), size=int(n * delete), replace=False))

    before = _rss_bytes()
    started = time.perf_counter()
    index = build_index(lambda: _blocks(n), dim=DIM, n=n, requested=kind, generation=0)
    build_s = time.perf_counter() - started
    resident = _rss_bytes() - before
    started = time.perf_counter()
    if len(removed):
        index.remove(removed.tolist())
    remove_s = time.perf_counter() - started

    def live_blocks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for ids, vectors in _blocks(n):
            keep = ~np.isin(ids, removed)
            yield ids[keep], vectors[keep]

    truth = exact_top_k(queries, live_blocks(), k=10)
    for q in queries[:20]:  # warm the caches and the thread pool
        index.search(q, 10)
    samples, found = [], []
    for q in queries:
        t = time.perf_counter()
        ids = index.search(q, 10)[1]
        samples.append(time.perf_counter() - t)
        found.append(np.pad(ids, (0, 10 - len(ids)), constant_values=-1))
    found = np.stack(found)
    wide = []  # the engine's first ask: 64 clips
    for q in queries[:100]:
        t = time.perf_counter()
        index.search(q, 64)
        wide.append(time.perf_counter() - t)
    return {
        "clips": n,
        "deleted": len(removed),
        "index": index.spec.describe(),
        "build_s": round(build_s, 1),
        "remove_s": round(remove_s, 2),
        "p50_ms": percentile_ms(samples, 50),
        "p99_ms": percentile_ms(samples, 99),
        "p50_ms_k64": percentile_ms(wide, 50),
        "recall_at_10": recall_at_k(found, truth),
        "deleted_answered": int(np.isin(found, removed).sum()),
        "ram_bytes_per_clip": resident / n,
        "threads": threads or faiss.omp_get_max_threads(),
    }


def measure(n: int, kinds: list[str], *, delete: float = 0.1, threads: int = 0) -> list[dict]:
    """One fresh process per index type (so each one's memory is its own), side by side."""
    rows = []
    for kind in kinds:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", "--one", kind, "--clips", str(n), "--delete", str(delete)]
            + (["--threads", str(threads)] if threads else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=1_000_000)
    parser.add_argument("--kinds", default="flat,ivf,fastscan")
    parser.add_argument("--delete", type=float, default=0.1, help="share of the clips removed after the build")
    parser.add_argument("--threads", type=int, default=0, help="FAISS threads (0: all cores)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.clips, args.one, delete=args.delete, threads=args.threads)))
        return
    for row in measure(args.clips, args.kinds.split(","), delete=args.delete, threads=args.threads):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
