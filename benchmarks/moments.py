"""Moment retrieval quality on the synthetic world (``benchmarks/moment_world.py``): vidseek's engine
end to end against a naive baseline.

The world is written into a fresh SQLite library exactly as the indexer would write it; then every
query's top 10 moments come from

- **vidseek**: ``SearchEngine.search_vector`` (with ``min_relevance="low"`` when it takes one, so
  quality is not cut by the relevance bands), whatever grounding the engine does when this runs;
- **naive**: the stored 4 s clips (every 2 s) ranked by the cosine of their meanP vector with the
  query, exactly, greedy non-maximum suppression (a clip overlapping a kept one of the same video is
  dropped), each moment = its clip's window.

Reported per method: R1@0.5, R1@0.7, mIoU, R5@0.5 and video R@10 (``search_api.evaluation.metrics``);
``split`` (share of true moments that two or more results each overlap), ``over_long`` (share of
results overlapping a true moment while longer than 1.5x it + 2 s), ``overlaps`` (pairs of one
query's results overlapping in one video; should be 0), ``whole_video_wrong`` (results spanning
90 % of a video whose truth is not the whole video), ``limit_stable`` (vidseek: the top 10 is the
same at limits 10, 12, 24 and 100), the share of true moments of each kind found at IoU >= 0.5
among the top 10, and milliseconds per query.
"""

from __future__ import annotations

import inspect
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from benchmarks.moment_world import Event, StoredClips, World, WorldEncoder, WorldParams, build_world, load_into
from search_api.evaluation.metrics import Span, iou, score_query, summarize

TOP = 10
LIMITS = (10, 12, 24, 100)
"""Page sizes whose first 10 moments must agree."""
KINDS = ("short_in_long", "whole", "twice", "multi_shot", "beside_neighbour")
SIZES: dict[str, WorldParams] = {
    "default": WorldParams(),
    "short": WorldParams.tiny(),
    "large": WorldParams(videos=240),
}
"""World sizes for ``measure(size)``: the benchmark's 80 videos, a tiny one for smoke tests, 3x more."""


@dataclass(frozen=True)
class MethodRun:
    """One method's answers: query text -> its top results (best first), and seconds per query."""

    name: str
    results: dict[str, list[Span]]
    seconds: list[float]
    extra: dict[str, object]


# --- overlap rules ---------------------------------------------------------------------------------


def overlap(a: Span, b: Span) -> float:
    """Seconds two spans share (0 in different videos)."""
    if a.video != b.video:
        return 0.0
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def covers(result: Span, truth: Span) -> bool:
    """A result counts as being on a true moment when they share 1 s or half of the result."""
    shared = overlap(result, truth)
    return shared > 0 and (shared >= 1.0 - 1e-9 or shared >= 0.5 * (result.end - result.start))


# --- the quality figures ---------------------------------------------------------------------------


def split_share(results: dict[str, list[Span]], truths: dict[str, list[Span]]) -> float:
    """Share of true moments that two or more of their query's results each cover (a moment cut up)."""
    counts = [sum(covers(r, t) for r in results[q]) for q in truths for t in truths[q]]
    return round(float(np.mean([c >= 2 for c in counts])), 4) if counts else 0.0


def over_long_share(results: dict[str, list[Span]], truths: dict[str, list[Span]]) -> float:
    """Share of results that cover a true moment yet are longer than 1.5x the longest one they
    cover + 2 s (a moment padded with unrelated material, or several joined)."""
    flags = []
    for q, ranked in results.items():
        for r in ranked:
            covered = [t.end - t.start for t in truths[q] if covers(r, t)]
            flags.append(bool(covered) and r.end - r.start > 1.5 * max(covered) + 2.0)
    return round(float(np.mean(flags)), 4) if flags else 0.0


def overlapping_pairs(results: dict[str, list[Span]]) -> int:
    """Pairs of one query's results that overlap in the same video."""
    return sum(overlap(a, b) > 0 for ranked in results.values() for i, a in enumerate(ranked) for b in ranked[i + 1 :])


def whole_video_wrong(
    results: dict[str, list[Span]], truths: dict[str, list[Span]], durations: dict[str, float]
) -> int:
    """Results spanning >= 90 % of a video for a query whose truth there is not the whole video."""
    count = 0
    for q, ranked in results.items():
        whole = {t.video for t in truths[q] if t.start <= 0 and t.end >= durations[t.video]}
        count += sum(r.end - r.start >= 0.9 * durations[r.video] and r.video not in whole for r in ranked)
    return count


def found_share(
    results: dict[str, list[Span]], events: list[Event], texts: dict[int, str], kind: str | None = None
) -> float | str:
    """Share of true moments (of ``kind``, or all) that some result of their query matches at IoU >= 0.5."""
    chosen = [e for e in events if kind is None or kind in e.kinds]
    if not chosen:
        return "n/a"
    hits = [
        any(r.video == e.video and iou(r.start, r.end, e.start, e.end) >= 0.5 for r in results[texts[e.topic]])
        for e in chosen
    ]
    return round(float(np.mean(hits)), 4)


def quality(run: MethodRun, world: World) -> dict[str, object]:
    """Every figure of one method's answers, as one table row."""
    truths = world.truths
    summary = summarize([score_query(run.results[q], truths[q]) for q in truths])
    durations = {v.name: v.duration for v in world.videos}
    texts = {q.topic: q.text for q in world.queries}
    row: dict[str, object] = {"method": run.name, "queries": summary["queries"]}
    row.update({k: summary[k] for k in ("r1_at_0.5", "r1_at_0.7", "miou", "r5_at_0.5", "video_r_at_10")})
    row["split"] = split_share(run.results, truths)
    row["over_long"] = over_long_share(run.results, truths)
    row["overlaps"] = overlapping_pairs(run.results)
    row["whole_video_wrong"] = whole_video_wrong(run.results, truths, durations)
    row.update(run.extra)
    row["returned"] = round(float(np.mean([len(r) for r in run.results.values()])), 2)
    row["found_at_0.5"] = found_share(run.results, world.events, texts)
    for kind in KINDS:
        row[f"found_{kind}"] = found_share(run.results, world.events, texts, kind)
    row["ms_per_query"] = round(1000.0 * float(np.median(run.seconds)), 2) if run.seconds else 0.0
    return row


# --- the two methods -------------------------------------------------------------------------------


def _quality_kwargs(search: Callable) -> dict[str, object]:
    """``min_relevance="low"`` when the engine's search takes it (all moments it finds, ranked)."""
    return {"min_relevance": "low"} if "min_relevance" in inspect.signature(search).parameters else {}


def _spans_of(hits: list) -> list[Span]:  # noqa: ANN001 (search_api.search.engine.Hit)
    return [Span(h.video.path, float(h.moment.start), float(h.moment.end)) for h in hits]


def run_vidseek(engine, world: World) -> MethodRun:  # noqa: ANN001 (search_api.search.engine.SearchEngine)
    """Top 10 of every query from the engine, timed, and whether bigger pages start with the same 10."""
    kwargs = _quality_kwargs(engine.search_vector)
    engine.search_vector(world.queries[0].vector, limit=TOP, **kwargs)  # warm: calibration sample, caches
    results, seconds, unstable, bands = {}, [], 0, {}
    for q in world.queries:
        started = time.perf_counter()
        hits = engine.search_vector(q.vector, limit=TOP, **kwargs)
        seconds.append(time.perf_counter() - started)
        top = _spans_of(hits)
        results[q.text] = top
        bands[q.text] = [getattr(h, "relevance", "n/a") for h in hits]
        pages = [_spans_of(engine.search_vector(q.vector, limit=n, **kwargs))[:TOP] for n in LIMITS[1:]]
        unstable += any(page != top for page in pages)
    return MethodRun(
        "vidseek",
        results,
        seconds,
        {
            "limit_stable": unstable == 0,
            "limit_unstable_queries": unstable,
            **band_precision(results, bands, world.truths),
        },
    )


def band_precision(
    results: dict[str, list[Span]], bands: dict[str, list[str]], truths: dict[str, list[Span]]
) -> dict[str, object]:
    """Per relevance band of the top-10 results: how many there are, and the share that overlaps a
    true moment of its query (``true_high`` should be near 1, ``true_low`` near 0)."""
    out: dict[str, object] = {}
    for band in ("high", "medium", "low"):
        flags = [
            any(covers(r, t) for t in truths[q]) for q in results for r, b in zip(results[q], bands[q]) if b == band
        ]
        out[f"n_{band}"] = len(flags)
        out[f"true_{band}"] = round(float(np.mean(flags)), 3) if flags else "n/a"
    return out


@dataclass(frozen=True)
class ClipTable:
    """Every stored clip of the world: its video, window and meanP vector."""

    videos: list[str]
    video_of: np.ndarray
    start: np.ndarray
    end: np.ndarray
    vectors: np.ndarray


def clip_table(world: World, stored: list[StoredClips]) -> ClipTable:
    """All clips ``load_into`` stored, in one table (video order = ``world.videos``)."""
    video_of = np.concatenate([np.full(len(s.windows), i) for i, s in enumerate(stored)])
    start = np.array([w[2] for s in stored for w in s.windows])
    end = np.array([w[3] for s in stored for w in s.windows])
    return ClipTable([v.name for v in world.videos], video_of, start, end, np.vstack([s.vectors for s in stored]))


def naive_top(clips: ClipTable, query: np.ndarray, k: int = TOP) -> list[Span]:
    """The ``k`` best clips by exact cosine, greedily dropping any that overlaps a kept one in its video."""
    order = np.argsort(-(clips.vectors @ query), kind="stable")
    kept: list[int] = []

    def apart(i: int, j: int) -> bool:
        same_video = clips.video_of[i] == clips.video_of[j]
        return not same_video or clips.end[i] <= clips.start[j] or clips.end[j] <= clips.start[i]

    for i in order:
        if all(apart(i, j) for j in kept):
            kept.append(int(i))
            if len(kept) == k:
                break
    return [Span(clips.videos[clips.video_of[i]], float(clips.start[i]), float(clips.end[i])) for i in kept]


def run_naive(world: World, stored: list[StoredClips]) -> MethodRun:
    """Top 10 of every query from the naive baseline, timed."""
    clips = clip_table(world, stored)
    results, seconds = {}, []
    for q in world.queries:
        started = time.perf_counter()
        results[q.text] = naive_top(clips, q.vector)
        seconds.append(time.perf_counter() - started)
    return MethodRun("naive 4s clips + NMS", results, seconds, {"limit_stable": "n/a", "limit_unstable_queries": "n/a"})


# --- the benchmark ---------------------------------------------------------------------------------


def describe(world: World) -> str:
    """The world in a few words, for the table."""
    seconds = sum(v.duration for v in world.videos)
    return (
        f"{len(world.videos)} videos, {seconds / 3600:.1f} h, {len(world.queries)} queries, "
        f"{len(world.events)} moments, d={world.params.dim}"
    )


def encoder_spec(params: WorldParams) -> str:
    """The ``python:`` spec of the world's encoder (``tests/world_encoder.py``) where one exists."""
    if params == WorldParams():
        return "python:world_encoder:WorldEncoder"
    if params == WorldParams.tiny():
        return "python:world_encoder:TinyWorldEncoder"
    return WorldEncoder.name_for(params)


def measure(size: str = "default", *, params: WorldParams | None = None) -> list[dict]:
    """Build the world (``SIZES[size]`` unless ``params``) in a temporary SQLite library and report
    one row per method (vidseek, naive)."""
    from search_api.search.engine import SearchEngine
    from vidseek.config import Settings
    from vidseek.storage.library import Library

    world = build_world(params or SIZES[size])
    with tempfile.TemporaryDirectory(prefix="vidseek-moments-") as tmp:
        settings = Settings(data_dir=Path(tmp), model=encoder_spec(world.params))
        library = Library(settings, notify=lambda message: None)
        started = time.perf_counter()
        stored = load_into(library, world)
        load_s = round(time.perf_counter() - started, 2)
        engine = SearchEngine(library, WorldEncoder(world.params))
        runs = [run_vidseek(engine, world), run_naive(world, stored)]
    rows = [quality(run, world) for run in runs]
    for row in rows:
        row["world"] = describe(world)
        row["load_s"] = load_s
    return rows
