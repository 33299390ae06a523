"""`GET /api/search` before and after a change, side by side: a real `vidseek serve` of each code tree
in turn (A B A B ...) on one synthetic library (``benchmarks.api_load.build_library``), with a text
encoder that costs microseconds (``benchmarks/query_stand_in.py``), so what differs is the API's,
the engine's and the SQL's own time. One client, then 8, as ``benchmarks.api_load`` sends them.

    git worktree add /tmp/vidseek-before <commit>
    python -m benchmarks.api_ab --data /tmp/ab-library --clips 20000 \\
        --tree before=/tmp/vidseek-before --tree after=. --rounds 3 --requests 60

The library is built once (into ``--data``) and reused. Timings on a shared machine are noisy:
compare the medians over rounds, taken minutes apart in the same run, not single figures."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from benchmarks import api_load

HERE = Path(__file__).resolve().parent
STAND_IN = "python:query_stand_in:FrameQueries"


def serve_tree(
    tree: Path, data_dir: Path, queries: str, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`vidseek serve` run from the code in ``tree`` (query cache off, no worker threads; ``extra_env`` over that)."""
    port = api_load.free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), str(HERE)]),
        "VIDSEEK_DATA_DIR": str(data_dir),
        "VIDSEEK_MODEL": api_load.MODEL if queries == "model" else STAND_IN,
        "VIDSEEK_QUERY_CACHE_SIZE": "0",
        "VIDSEEK_SERVE_WORKERS": "0",
        "VIDSEEK_BENCH_QUERIES": queries,
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    api_load.wait_ready(proc, base)
    return proc, base


def measure_tree(
    tree: Path, data_dir: Path, queries: str, requests: int, seed: int, extra_env: dict[str, str] | None = None
) -> dict:
    proc, base = serve_tree(tree, data_dir, queries, extra_env)
    try:
        for i in range(5):
            httpx.get(f"{base}/api/search", params={"q": f"warm up {i}"}, timeout=60)
        one = api_load.load(base, clients=1, requests_per_client=requests, seed=seed)
        eight = api_load.load(base, clients=8, requests_per_client=max(5, requests // 8), seed=seed + 1000)
        memory = serve_memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "p50_ms": one["p50_ms"],
        "p99_ms": one["p99_ms"],
        "p50_ms_8_clients": eight["p50_ms"],
        "rps_8_clients": eight["throughput_rps"],
        "errors": one["errors"] + eight["errors"],
        **memory,
    }


def serve_memory_mb(pid: int) -> dict[str, float]:
    """The server's resident memory after the load (MB), summed over its processes (``--processes``: the
    watching process and the ones serving): all of it, its own (anonymous) part, and the part that is
    mapped files (the frame file's pages, shared with the page cache: counted once a process)."""
    fields = {"VmRSS": "rss_mb", "RssAnon": "rss_anon_mb", "RssFile": "rss_file_mb"}
    out = dict.fromkeys(fields.values(), 0.0)
    for one in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{one}/status") as f:
                for line in f:
                    name, _, value = line.partition(":")
                    if name in fields:
                        out[fields[name]] = round(out[fields[name]] + int(value.split()[0]) / 1024, 1)
        except OSError:
            continue
    return out


def _descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (read from /proc)."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent_of[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parent_of.items() if parent in frontier]
        found += children
        frontier = children
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="library folder (built there when empty)")
    parser.add_argument("--clips", type=int, default=20000)
    parser.add_argument(
        "--tree",
        action="append",
        required=True,
        help="NAME=PATH of a vidseek checkout, or NAME=PATH@DATA to serve it on its own copy of the library "
        "(a tree that cannot read the other's index file rebuilds its own there)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--queries",
        default="frames,random",
        help="frames (pages come back full), random, or model (the real ViT-B-32:random text tower, "
        "encoding included); comma-separated",
    )
    parser.add_argument(
        "--tree-env",
        action="append",
        default=[],
        help="NAME:KEY=VALUE, an environment variable for the server of tree NAME only "
        "(e.g. two:VIDSEEK_SERVE_PROCESSES=2 beside --tree two=.); repeatable",
    )
    args = parser.parse_args(argv)
    tree_env = api_load.tree_env(args.tree_env)
    trees = []
    for name, _, spec in (t.partition("=") for t in args.tree):
        path, _, data = spec.partition("@")
        trees.append((name, Path(path).resolve(), Path(data) if data else args.data))
    if not (args.data / "clips.faiss").exists():
        print(api_load.build_library(args.data, args.clips), flush=True)
    for queries in args.queries.split(","):
        rows: dict[str, list[dict]] = {name: [] for name, _, _ in trees}
        for round_ in range(args.rounds):
            for name, tree, data in trees:
                row = measure_tree(tree, data, queries, args.requests, seed=round_, extra_env=tree_env.get(name))
                rows[name].append(row)
                print(f"{queries} round {round_ + 1} {name}: {row}", flush=True)
        for name, _, _ in trees:
            medians = {key: statistics.median(r[key] for r in rows[name]) for key in rows[name][0]}
            print(f"{queries} {name} median over {args.rounds} rounds: {medians}", flush=True)


if __name__ == "__main__":
    main()
