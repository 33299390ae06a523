"""Grounding with shots on the synthetic world (``benchmarks/moment_world.py``) where events have shots of a
same-topic neighbour on both sides, across cuts: the case where frame-level grounding runs a moment on
into the related scene (a neighbour scores between the event and the background).

One world, written into two fresh SQLite libraries as the indexer would: one without shots (as a library
indexed before them: the frame-level grounding of ``main``), one with each video's cuts. Rows, one run:

- **naive**: the stored 4 s clips ranked by meanP cosine with NMS (``benchmarks.moments.run_naive``);
- **frames only**: vidseek's engine on the library without shots (before);
- **shots**: the same engine where every video has its true cuts;
- **shots, 5 % detection errors**: each cut missed with chance 0.05 and as many false cuts added at
  random frames (precision and recall about 0.95, the cut detector's target).

Columns as ``benchmarks.moments`` plus ``over_long_3x``: the share of results that cover a true moment
yet run over 3x its length.

One world has only ~40 queries (one R1 step is 0.025), so ``--seeds`` measures several worlds (the same
parameters, other seeds) with the two engine rows only and adds a pooled row per method: R1 over every
query of every world, over-long over every result.

    python -m benchmarks.moment_shots [--seeds 0-11]
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from benchmarks.moment_world import World, WorldEncoder, WorldParams, WorldVideo, build_world, load_into
from benchmarks.moments import MethodRun, covers, describe, quality, run_naive, run_vidseek
from vidseek.shots import Cut, cuts_text

SIZES: dict[str, WorldParams] = {
    "default": WorldParams(distractor_rate=1.0, neighbours_both_sides=True, neighbour=0.25),
    "short": WorldParams(distractor_rate=1.0, neighbours_both_sides=True, neighbour=0.25, dim=32, topics=12, videos=12),
}
"""The world of this benchmark: the moments world with a neighbour scene (scoring 0.25) around each event."""
MISS = 0.05
"""Chance a true cut is missed, and false cuts added per true cut, in the noisy row."""


def over_long_3x(results: dict, truths: dict) -> float:
    """Share of results that cover a true moment and are longer than 3x the longest one they cover."""
    flags = []
    for q, ranked in results.items():
        for r in ranked:
            covered = [t.end - t.start for t in truths[q] if covers(r, t)]
            flags.append(bool(covered) and r.end - r.start > 3.0 * max(covered))
    return round(float(np.mean(flags)), 4) if flags else 0.0


def true_cuts(video: WorldVideo) -> str:
    return cuts_text([Cut(float(s.start), "cut") for s in video.shots[1:]])


def noisy_cuts(seed: int) -> Callable[[WorldVideo], str]:
    """Cuts as a detector with about 95 % precision and recall would store them (seeded per video)."""

    def cuts(video: WorldVideo) -> str:
        rng = np.random.default_rng([seed, 7, int(video.name[-7:-4])])
        kept = [float(s.start) for s in video.shots[1:] if rng.random() >= MISS]
        n_false = int(rng.binomial(max(1, len(video.shots) - 1), MISS))
        extra = [float(t) for t in rng.integers(1, max(2, int(video.duration)), n_false)]
        return cuts_text([Cut(t, "cut") for t in sorted(set(kept + extra))])

    return cuts


def _run(world: World, shots: Callable[[WorldVideo], str] | None, tmp: Path, name: str) -> tuple[MethodRun, list]:
    from search_api.search.engine import SearchEngine
    from vidseek.config import Settings
    from vidseek.storage.library import Library

    settings = Settings(data_dir=tmp / name, model=WorldEncoder.name_for(world.params))
    library = Library(settings, notify=lambda message: None)
    stored = load_into(library, world, shots=shots)
    run = run_vidseek(SearchEngine(library, WorldEncoder(world.params)), world)
    return MethodRun(name, run.results, run.seconds, run.extra), stored


def measure(size: str = "default", *, params: WorldParams | None = None, all_rows: bool = True) -> list[dict]:
    """One world's rows; ``all_rows`` false: only the engine without and with true cuts."""
    world = build_world(params or SIZES[size])
    runs = []
    with tempfile.TemporaryDirectory(prefix="vidseek-shots-") as tmp:
        before, stored = _run(world, None, Path(tmp), "frames only (before)")
        if all_rows:
            runs.append(run_naive(world, stored))
        runs.append(before)
        runs.append(_run(world, true_cuts, Path(tmp), "shots")[0])
        if all_rows:
            runs.append(_run(world, noisy_cuts(world.params.seed), Path(tmp), "shots, 5 % detection errors")[0])
    rows = []
    for run in runs:
        row = quality(run, world)
        row["over_long_3x"] = over_long_3x(run.results, world.truths)
        row["world"] = describe(world) + ", neighbour scenes around events"
        rows.append(row)
    return rows


def pooled(rows: list[dict]) -> dict:
    """One method's rows of several worlds as one: R1 weighted by queries, over-long by results returned."""
    queries = np.array([r["queries"] for r in rows], float)
    results = queries * np.array([r["returned"] for r in rows], float)
    out: dict = {"method": rows[0]["method"], "world": f"pooled over {len(rows)} worlds", "queries": int(queries.sum())}
    for key in ("r1_at_0.5", "r1_at_0.7", "miou"):
        out[key] = round(float(np.dot(queries, [r[key] for r in rows]) / queries.sum()), 4)
    out["over_long_3x"] = round(float(np.dot(results, [r["over_long_3x"] for r in rows]) / results.sum()), 4)
    return out


def measure_seeds(seeds: list[int], size: str = "default") -> list[dict]:
    """The engine without and with true cuts on each seed's world, then one pooled row per method."""
    rows: list[dict] = []
    for seed in seeds:
        for row in measure(params=replace(SIZES[size], seed=seed), all_rows=False):
            rows.append({**row, "seed": seed})
            print({k: row[k] for k in ("method", "r1_at_0.7", "over_long_3x")}, "seed", seed, flush=True)
    methods = dict.fromkeys(r["method"] for r in rows)
    return rows + [pooled([r for r in rows if r["method"] == m]) for m in methods]


def _seeds(text: str) -> list[int]:
    """``0-11`` or ``0,3,5``."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(x) for x in text.split(",")]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="grounding with shots on the moments world")
    parser.add_argument("--seeds", type=_seeds, help="several worlds (0-11 or 0,3,5): engine rows and pooled rows")
    args = parser.parse_args()
    keys = ("method", "r1_at_0.5", "r1_at_0.7", "miou", "over_long_3x")
    if args.seeds:
        for row in measure_seeds(args.seeds):
            print({k: row.get(k) for k in (*keys, "seed", "world")})
    else:
        for row in measure():
            print({k: row[k] for k in (*keys, "over_long", "found_at_0.5", "ms_per_query")})
