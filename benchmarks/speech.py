"""Search over sight and speech on the synthetic world with lines (``benchmarks/speech_world.py``):
the one text search of the API and the CLI (``search_api.search.engine.SearchEngine.page``), by modality,
with and without semantic matches of the lines, side by side in one run.

The world's videos are written into a fresh SQLite library as the indexer writes them, its lines
as the cues of their videos (full text by FTS5), and the lines' text vectors filled as indexing
fills them (``vidseek.said.cue_vectors.fill``). Every query (a topic's text) then asks for its top 10
moments with the product's defaults (``min_relevance=medium``) as

- ``visual``: what is seen only (vidseek before issue 16, the naive baseline here);
- ``speech_words`` / ``all_words``: lines found by their words only (full text), fused with what is
  seen by reciprocal rank for ``all`` (before semantic cue search);
- ``speech`` / ``all``: lines found by their words and by their meaning (the shipped code);
- ``speech_no_margin``: ``speech`` without its precision rules (a meaning match needs only reach the
  band, ``cue_meaning.MARGIN_Z`` off; a line said again in a video kept at every place).
- ``speech_normal_tail`` / ``all_normal_tail``: without ``cue_meaning.chance_best``; ``speech_apart``,
  ``speech_tail_5pct`` and the ``all_`` ones: stricter rules measured and not shipped
  (``benchmarks/meaning_rules.py``).

Reported per variant: R1@0.5 (the first result overlaps a true moment, seen or said, at IoU >= 0.5),
the same over the queries whose topic is never said (lines matching by chance must not push what
is seen down),
the moments among the top 10 that overlap no true moment at all (``unrelated_per_query``), the
results a never-said query gets (``results_never_said``, per such query),
the share of true moments of each kind (``seen_only``, ``seen_and_said``, ``said_only``) found at
IoU >= 0.5 among the top 10, and milliseconds per query (median).

    python -m benchmarks.speech [--videos N] [--seed S]
    python -m benchmarks.speech --cue-scale 10000,100000,1000000

``--cue-scale`` times the semantic step alone (``cue_meaning.meaning_matches``) on that many random
512-d lines: the shipped FAISS fp16 rows against the naive way (float16 rows in numpy, converted
and multiplied per query, every score kept), alternating query by query in one process.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import numpy as np

from benchmarks import meaning_rules
from benchmarks.moment_world import WorldParams, build_world, load_into
from benchmarks.speech_world import TRUTH_KINDS, SpeechParams, SpeechWorldEncoder, SpokenWorld, add_speech
from search_api.evaluation.metrics import Span, best_iou
from search_api.http.schemas import TextSearch
from search_api.search import cue_meaning, lines
from search_api.search.cue_meaning import MEANING_READ, meaning_matches
from search_api.search.engine import SearchEngine
from search_api.search.relevance import background_of
from vidseek.config import Settings
from vidseek.said import cue_vectors
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library

TOP = 10
VARIANTS = (
    ("visual", "visual", True),
    ("speech_words", "speech", False),
    ("speech_no_margin", "speech", "no margin"),
    ("speech_normal_tail", "speech", "normal tail"),
    ("speech", "speech", True),
    ("speech_apart", "speech", "apart"),
    ("speech_tail_5pct", "speech", "tail 5%"),
    ("all_words", "all", False),
    ("all_normal_tail", "all", "normal tail"),
    ("all", "all", True),
    ("all_apart", "all", "apart"),
    ("all_tail_5pct", "all", "tail 5%"),
)
"""(name, modality, lines matched by meaning too: True, False, "no margin": by meaning without
``cue_meaning.MARGIN_Z`` and with every repeat of a line kept, as before the precision rules, or
"normal tail": without ``cue_meaning.chance_best``, the bar from the query's own upper tail; "apart" and
"tail 5%": stricter rules measured and not shipped, ``benchmarks.meaning_rules.apart`` and
``tail_margin(log10(20))``)."""


def load(spoken: SpokenWorld, data_dir: Path) -> tuple[Library, SpeechWorldEncoder]:
    """A library of the world's videos and lines, with the lines' vectors filled."""
    settings = Settings(data_dir=data_dir, model=spoken.world.encoder_name)
    library = Library(settings, notify=lambda m: None)
    load_into(library, spoken.world)
    with library.sessions() as session:
        ids = {v.path: v.id for v in store.list_videos(session=session)}
        for video in spoken.world.videos:
            rows = [
                cue_store.CueRow(line.start, line.end, line.text, "sidecar:world.srt")
                for line in spoken.lines
                if line.video == video.name
            ]
            cue_store.write_cues(ids[video.name], rows, replacing="all", session=session)
        session.commit()
    encoder = SpeechWorldEncoder(spoken)
    cue_vectors.fill(library, encoder)
    return library, encoder


@contextmanager
def _words_only(on: bool) -> Iterator[None]:
    """Lines matched by their words only (semantic matches switched off) while ``on``."""
    if not on:
        yield
        return
    kept = lines.meaning_matches
    lines.meaning_matches = lambda *a, **k: []  # noqa: ARG005
    try:
        yield
    finally:
        lines.meaning_matches = kept


@contextmanager
def _no_margin(on: bool) -> Iterator[None]:
    """Meaning matches barred by the band alone and repeated lines kept (before the precision rules) while ``on``."""
    if not on:
        yield
        return
    kept = cue_meaning.MARGIN_Z, lines.one_line_per_video, cue_meaning.TAIL_BAR
    cue_meaning.MARGIN_Z, lines.one_line_per_video, cue_meaning.TAIL_BAR = 0.0, list, False
    try:
        yield
    finally:
        cue_meaning.MARGIN_Z, lines.one_line_per_video, cue_meaning.TAIL_BAR = kept


@contextmanager
def _normal_tail(on: bool) -> Iterator[None]:
    """Meaning matches barred without ``cue_meaning.chance_best`` while ``on``."""
    kept = cue_meaning.TAIL_BAR
    cue_meaning.TAIL_BAR = not on
    try:
        yield
    finally:
        cue_meaning.TAIL_BAR = kept


def run_variant(engine: SearchEngine, spoken: SpokenWorld, modality: str, meaning: bool | str) -> dict[str, float]:
    found = {k: 0 for k in TRUTH_KINDS}
    total = {k: 0 for k in TRUTH_KINDS}
    first_hits, silent_hits, unrelated, seconds = 0, 0, 0, []
    silent_results = 0
    names = {}
    with engine.library.sessions() as session:
        names = {v.id: v.path for v in store.list_videos(session=session)}
    stricter = {"apart": meaning_rules.apart(), "tail 5%": meaning_rules.tail_margin(math.log10(20))}
    with (
        _words_only(not meaning),
        _no_margin(meaning == "no margin"),
        _normal_tail(meaning == "normal tail"),
        stricter.get(meaning, nullcontext()),
    ):
        for q in spoken.world.queries:
            started = time.perf_counter()
            page = engine.page(q.text, TextSearch(q=q.text, modality=modality, limit=TOP))
            seconds.append(time.perf_counter() - started)
            ranked = [Span(names[h.video.id], h.moment.start, h.moment.end) for h in page.hits]
            truths = spoken.all_truths(q.text)
            unrelated += sum(1 for r in ranked if best_iou(r, truths) == 0.0)
            silent_results += len(ranked) if q.text in spoken.silent else 0
            if ranked and best_iou(ranked[0], truths) >= 0.5:
                first_hits += 1
                silent_hits += q.text in spoken.silent
            for kind, spans in spoken.truths[q.text].items():
                total[kind] += len(spans)
                found[kind] += sum(1 for t in spans if any(best_iou(r, [t]) >= 0.5 for r in ranked))
    out = {
        "r1_at_0.5": round(first_hits / len(spoken.world.queries), 3),
        "r1_never_said": round(silent_hits / max(len(spoken.silent), 1), 3),
    }
    out.update({f"found_{k}": round(found[k] / max(total[k], 1), 3) for k in TRUTH_KINDS})
    out["unrelated_per_query"] = round(unrelated / len(spoken.world.queries), 2)
    out["results_never_said"] = round(silent_results / max(len(spoken.silent), 1), 2)  # per never-said query
    out["ms_p50"] = round(1000 * statistics.median(seconds), 2)
    return out


def measure(world: WorldParams | None = None, speech: SpeechParams | None = None) -> dict[str, object]:
    spoken = add_speech(build_world(world or WorldParams()), speech)
    with tempfile.TemporaryDirectory() as tmp:
        library, encoder = load(spoken, Path(tmp))
        engine = SearchEngine(library, encoder)
        engine.page("warm up", TextSearch(q="warm up"))
        rows = {name: run_variant(engine, spoken, modality, meaning) for name, modality, meaning in VARIANTS}
    truths = {k: sum(len(t[k]) for t in spoken.truths.values()) for k in TRUTH_KINDS}
    return {
        "videos": len(spoken.world.videos),
        "queries": len(spoken.world.queries),
        "lines": len(spoken.lines),
        "topic_lines_exact": sum(1 for line in spoken.lines if line.topic >= 0 and line.exact),
        "topic_lines_paraphrased": sum(1 for line in spoken.lines if line.topic >= 0 and not line.exact),
        "truths": truths,
        "variants": rows,
    }


def _naive_meaning(query: np.ndarray, vectors: np.ndarray, limit: int) -> np.ndarray:
    """Every line's score from float16 rows in numpy; the background from all of them; the top ``limit``."""
    scores = vectors.astype(np.float32) @ query
    background_of(scores, library_clips=len(scores))
    return np.argsort(-scores)[:limit]


def measure_cue_scale(sizes: list[int], dim: int = 512, queries: int = 20) -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        vectors = rng.standard_normal((n, dim), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        shipped = cue_vectors.cue_matrix(dim, np.arange(n), np.zeros(n, np.int64), vectors)
        naive = vectors.astype(np.float16)
        del vectors
        asks = rng.standard_normal((queries, dim), dtype=np.float32)
        asks /= np.linalg.norm(asks, axis=1, keepdims=True)
        took: dict[str, list[float]] = {"shipped": [], "naive": []}
        for q in asks:  # A B A B
            started = time.perf_counter()
            meaning_matches(q, shipped, min_relevance="low")
            took["shipped"].append(time.perf_counter() - started)
            started = time.perf_counter()
            _naive_meaning(q, naive, MEANING_READ)
            took["naive"].append(time.perf_counter() - started)
        fast, slow = (1000 * statistics.median(took[k]) for k in ("shipped", "naive"))
        rows.append(
            {
                "lines": n,
                "fp16_faiss_ms_p50": round(fast, 2),
                "numpy_float16_ms_p50": round(slow, 2),
                "speedup": round(slow / fast, 1),
                "bytes_per_line": 2 * dim,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=WorldParams().videos)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cue-scale", default="", help="comma-separated line counts: time the semantic step alone")
    args = parser.parse_args()
    if args.cue_scale:
        print(json.dumps(measure_cue_scale([int(n) for n in args.cue_scale.split(",")]), indent=2))
        return
    result = measure(WorldParams(seed=args.seed, videos=args.videos), SpeechParams(seed=args.seed))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
