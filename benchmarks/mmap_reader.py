"""A reader that maps the FAISS file (VIDSEEK_INDEX_MMAP) against one that loads it, side by side.

An IVF index over ``n`` synthetic 512-d clips is built and saved once; then two fresh processes
open that same file, one reading it into RAM and one mapping it, and each runs the same queries:
open time, resident memory (anonymous, i.e. private to the process, and file-backed, i.e. page
cache shared by every process mapping the file), p50/p99 latency, and whether the answers match.

Run as `python -m benchmarks.mmap_reader N [KIND]` (prints JSON); ``measure()`` does that.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.large_index import DIM, _blocks
from benchmarks.timing import percentile_ms, stopwatch


def measure(n: int, kind: str = "ivf", n_queries: int = 200) -> dict:
    from vidseek.vectors.ann_tuning import calibration_queries
    from vidseek.vectors.vector_index import build_index

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clips.faiss"
        blocks = _blocks(n, seed=11)
        with stopwatch() as t_build:
            index = build_index(blocks, dim=DIM, n=n, requested=kind, generation=1)
        index.save(path)
        queries = calibration_queries(next(iter(blocks()))[1], n=n_queries, seed=12)
        np.save(Path(tmp) / "queries.npy", queries)
        del index
        runs = {mode: _child(path, Path(tmp) / "queries.npy", mode) for mode in ("ram", "mmap")}
        same = runs["ram"].pop("answers") == runs["mmap"].pop("answers")
        return {
            "clips": n,
            "kind": kind,
            "file_mb": path.stat().st_size / 2**20,
            "build_s": t_build[0],
            "same_answers": same,
            **{f"{mode}_{k}": v for mode, r in runs.items() for k, v in r.items()},
        }


def _child(path: Path, queries: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.mmap_reader", "--child", str(path), str(queries), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb() -> dict:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def _run_child(path: Path, queries_path: Path, mode: str) -> None:
    from vidseek.vectors.vector_index import ClipIndex

    queries = np.load(queries_path)
    base = _rss_mb()
    start = time.perf_counter()
    index = ClipIndex.load(path, mmap=mode == "mmap")
    open_s = time.perf_counter() - start
    opened = _rss_mb()
    latencies, answers = [], []
    for q in queries:
        t = time.perf_counter()
        answers.append(index.search(q, 10)[1].tolist())
        latencies.append(time.perf_counter() - t)
    after = _rss_mb()
    print(
        json.dumps(
            {
                "open_s": open_s,
                "anon_mb_after_open": opened["RssAnon"] - base["RssAnon"],
                "anon_mb_after_queries": after["RssAnon"] - base["RssAnon"],
                "file_mb_after_queries": after["RssFile"] - base["RssFile"],
                "p50_ms": percentile_ms(latencies, 50),
                "p99_ms": percentile_ms(latencies, 99),
                "answers": answers,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        _run_child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
    else:
        print(json.dumps(measure(int(sys.argv[1]), *(sys.argv[2:3] or ["ivf"]))))
