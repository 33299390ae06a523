"""What a search of said lines by their words costs at scale: ``cue_store.search_cues`` (the database's
full-text engine over the lines) on a library of ``--lines`` English lines, median and p90 ms over a
fixed set of queries (single words, inflected words, two words, a phrase, a prefix), on SQLite and,
with ``--postgres URL`` (an empty database), on PostgreSQL too.

Run it on two checkouts to compare them side by side (the library is built by each checkout's own
``cue_store.write_cues``, so each is measured with its own analysis)::

    python -m benchmarks.word_cost --lines 100000 [--postgres postgresql+psycopg://...]
    PYTHONPATH=OTHER_CHECKOUT python -m benchmarks.word_cost --lines 100000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

MODEL = "python:colour_encoder:ColourEncoder"
TESTS = Path(__file__).resolve().parent.parent / "tests"
LINES_PER_VIDEO = 5000
VIDEO_SECONDS = 3600.0
WORDS = (
    "the a we you they it is was were be have had do did say said go went run runs running ran walk walked "
    "cook cooked cooking kitchen door window car train station city river mountain budget deadline meeting "
    "morning evening night coffee cafe music song dance dog cat bird frisbee beach ball game team score "
    "report market price million percent late early never always maybe sure think know want need"
).split()
QUERIES = (
    "deadline",
    "running",
    "cooking",
    "cafe",
    "train station",
    "budget meeting",
    '"the deadline"',
    "dead*",
    "frisbee beach",
    "zebra crossing",
)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))).capitalize() + "."


def build(settings: object, lines: int, seed: int = 0) -> None:
    """``lines`` lines over one-hour videos of ``LINES_PER_VIDEO`` lines each, written by ``cue_store.write_cues``."""
    import numpy as np

    from vidseek.models.encoders import load_encoder
    from vidseek.storage import cue_store, store
    from vidseek.storage.library import Library

    rng = random.Random(seed)
    encoder = load_encoder(MODEL)
    library = Library(settings, notify=lambda m: None)
    vectors = np.ones((1, encoder.dim), np.float32)
    with library.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        session.commit()
    for n in range(0, lines, LINES_PER_VIDEO):
        count = min(LINES_PER_VIDEO, lines - n)
        step = VIDEO_SECONDS / count
        record = store.VideoRecord(
            path=f"/bench/v{n}.mp4", title=f"v{n}", size=1, mtime_ns=0, fingerprint=f"v{n}",
            duration=VIDEO_SECONDS, fps=25.0, width=64, height=48, codec="h264", model_name=encoder.name,
            sample_fps=1.0, clip_seconds=4.0, clip_stride=2.0,
        )  # fmt: skip
        cues = [
            cue_store.CueRow(i * step, i * step + step / 2, sentence(rng), "sidecar:v.en.srt", "en")
            for i in range(count)
        ]
        with library.sessions() as session:
            video_id, _, _ = store.replace_video(
                record, np.zeros(1), vectors, [(0, 0, 0.0, 4.0)], vectors, session=session
            )
            cue_store.write_cues(video_id, cues, replacing="all", session=session)
            session.commit()


def timed(settings: object, rounds: int = 5) -> dict[str, float]:
    from vidseek.storage import cue_store
    from vidseek.storage.library import Library

    library = Library(settings, notify=lambda m: None)
    per_query: list[float] = []
    found = 0
    with library.sessions() as session:
        for query in QUERIES:  # warm the caches once
            cue_store.search_cues(query, 200, session=session)
        for _ in range(rounds):
            for query in QUERIES:
                start = time.perf_counter()
                found += len(cue_store.search_cues(query, 200, session=session))
                per_query.append((time.perf_counter() - start) * 1000)
    per_query.sort()
    return {
        "median_ms": round(statistics.median(per_query), 2),
        "p90_ms": round(per_query[int(len(per_query) * 0.9)], 2),
        "lines_found_per_query": round(found / len(per_query), 1),
    }


def measure(lines: int, database_url: str | None) -> dict[str, float]:
    from vidseek.config import Settings

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))  # the test encoder: no model weights needed
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"database_url": database_url} if database_url else {}
        settings = Settings(data_dir=Path(tmp), model=MODEL, **extra)
        build(settings, lines)
        return timed(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL to run on too")
    args = parser.parse_args()
    out = {"lines": args.lines, "sqlite": measure(args.lines, None)}
    if args.postgres:
        out["postgresql"] = measure(args.lines, args.postgres)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
