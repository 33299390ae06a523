"""Whole processes timed side by side (A B A B ...) in one run, start-up included:
`python -m benchmarks.whole_process [--runs N] [--only index,static,best,search,serve]`.

Rows (each a ratio of medians of paired runs, the pairs alternating so drift hits both):
- index: `vidseek index` on 120 s of 720p H.264 made of Big Buck Bunny frames, default settings
  (ViT-B-32, random weights: the real compute) against vidseek as it was (torch fp32, every frame
  embedded, plain decoding) and against the naive indexer (benchmarks/naive_indexer.py);
- static: the same two vidseek runs on 120 s of static-camera footage;
- best: `VIDSEEK_MODEL=best` (PE-Core-B-16) indexing the 720p file, as realtime factor;
- search: a one-off `vidseek search` on a small library, default against torch;
- serve: peak RSS of `vidseek serve` after start and 20 queries, default against torch.
Exports of the models are made before timing (once per data dir, cached).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "whole_process"
VIDSEEK = [sys.executable, "-m", "cli"]
MODEL = "ViT-B-32:random"
BEST = "PE-Core-B-16:random"
BEFORE = {"VIDSEEK_BACKEND": "torch", "VIDSEEK_SKIP_SIMILAR": "0"}
"""vidseek as it was, by its settings: torch fp32, every frame embedded (the decoder's skipping of
unneeded non-reference frames has no switch). ``--before-tree`` runs the old code itself instead."""


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process, run in the folder ``env["PYTHONPATH"]``
    names when it names one (``python -m`` puts the working folder first on the path)."""
    started = time.perf_counter()
    cwd = env.get("PYTHONPATH") or Path.cwd()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.read().decode()[-800:]}")
    return wall, usage.ru_maxrss / 1024


def paired(a: tuple[list[str], dict], b: tuple[list[str], dict], runs: int, reset=None) -> dict:  # noqa: ANN001
    """Medians of A and B and of A/B taken pair by pair; ``reset()`` runs before every run."""
    pairs = []
    for _ in range(runs):
        pair = []
        for cmd, env in (a, b):
            if reset:
                reset()
            pair.append(run_once(cmd, env))
        pairs.append(pair)
    return {
        "a_wall_s": statistics.median(p[0][0] for p in pairs),
        "b_wall_s": statistics.median(p[1][0] for p in pairs),
        "b_over_a": statistics.median(p[1][0] / p[0][0] for p in pairs),
        "a_peak_mib": statistics.median(p[0][1] for p in pairs),
        "b_peak_mib": statistics.median(p[1][1] for p in pairs),
        "runs": runs,
        "a_walls_s": [round(p[0][0], 2) for p in pairs],
        "b_walls_s": [round(p[1][0], 2) for p in pairs],
    }


def _index_cmd(path: Path) -> list[str]:
    return [*VIDSEEK, "index", str(path)]


def _fresh(data: Path) -> None:
    """Empty the library but keep its model exports (data/models)."""
    for item in data.glob("*") if data.exists() else []:
        if item.name != "models":
            shutil.rmtree(item) if item.is_dir() else item.unlink()


def index_rows(video: Path, seconds: float, runs: int, *, naive: bool, before_tree: Path | None) -> dict:
    data = RESULTS / "index-lib"
    env = {"VIDSEEK_DATA_DIR": str(data), "VIDSEEK_MODEL": MODEL}
    _fresh(data)
    run_once(_index_cmd(video), env)  # makes the export, not timed
    out = {"video_s": seconds}
    before = {**env, **BEFORE} if before_tree is None else {**env, "PYTHONPATH": str(before_tree)}
    out["vs_before"] = paired((_index_cmd(video), env), (_index_cmd(video), before), runs, reset=lambda: _fresh(data))
    out["vs_before"]["before"] = "settings" if before_tree is None else f"code at {before_tree}"
    if naive:
        naive_cmd = [sys.executable, "-m", "benchmarks.naive_indexer", str(video)]
        out["vs_naive"] = paired((_index_cmd(video), env), (naive_cmd, {}), runs, reset=lambda: _fresh(data))
    return out


def best_row(video: Path, seconds: float, runs: int) -> dict:
    data = RESULTS / "best-lib"
    env = {"VIDSEEK_DATA_DIR": str(data), "VIDSEEK_MODEL": BEST}
    _fresh(data)
    run_once(_index_cmd(video), env)
    walls = []
    for _ in range(runs):
        _fresh(data)
        walls.append(run_once(_index_cmd(video), env)[0])
    wall = statistics.median(walls)
    return {"video_s": seconds, "wall_s": wall, "realtime_x": seconds / wall, "runs": runs}


def _small_library() -> dict[str, str]:
    from benchmarks.media import synthetic_video

    data = RESULTS / "search-lib"
    env = {"VIDSEEK_DATA_DIR": str(data), "VIDSEEK_MODEL": MODEL}
    if not (data / "vidseek.db").exists():
        run_once(_index_cmd(synthetic_video(1280, 720, 30)), env)
    return env


def search_row(runs: int) -> dict:
    env = _small_library()
    cmd = [*VIDSEEK, "search", "a red car", "--json"]
    return paired((cmd, env), (cmd, {**env, "VIDSEEK_BACKEND": "torch"}), runs)


def serve_peak(env: dict[str, str], port: int, queries: int = 20) -> float:
    """Peak RSS (MiB) of a `vidseek serve` process after it is ready and has answered ``queries``."""
    proc = subprocess.Popen(
        [*VIDSEEK, "serve", "--port", str(port)],
        env={**os.environ, **env, "VIDSEEK_QUERY_CACHE_SIZE": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        for i in range(queries):
            urllib.request.urlopen(f"{base}/api/search?q=a+red+car+{i}&limit=10", timeout=60).read()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024
    finally:
        proc.terminate()
        proc.wait(30)


def serve_row(runs: int) -> dict:
    env = _small_library()
    pairs = [(serve_peak(env, 8771), serve_peak({**env, "VIDSEEK_BACKEND": "torch"}, 8772)) for _ in range(runs)]
    return {
        "a_peak_mib": statistics.median(p[0] for p in pairs),
        "b_peak_mib": statistics.median(p[1] for p in pairs),
        "a_over_b": statistics.median(p[0] / p[1] for p in pairs),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--only", default="index,static,best,search,serve")
    parser.add_argument(
        "--before-tree", type=Path, help="a checkout of the old code (git worktree add DIR REV) to run as 'before'"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    from benchmarks.media import bbb_video, static_video

    results: dict = {}
    if "search" in only:
        results["search"] = search_row(args.runs)
    if "serve" in only:
        results["serve"] = serve_row(args.runs)
    if "index" in only:
        results["index"] = index_rows(
            bbb_video(args.seconds), args.seconds, args.runs, naive=True, before_tree=args.before_tree
        )
    if "static" in only:
        results["static"] = index_rows(
            static_video(1280, 720, args.seconds), args.seconds, args.runs, naive=False, before_tree=args.before_tree
        )
    if "best" in only:
        results["best"] = best_row(bbb_video(args.seconds), args.seconds, args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
