"""How long a reader (an API replica) takes to catch up with one write by another process: from the
change rows (``index_changes``) against comparing every clip id, alternated in one run.

Run as `python -m benchmarks.catch_up N` (prints JSON); ``measure()`` does that.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.api_load import MODEL, MODEL_NAME, build_library
from indexer.sample import clip_windows
from vidseek.config import Settings
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.storage.tables import IndexChange
from vidseek.vectors.pool import l2_normalize, pool_windows


def _write_one(writer: Library, v: int, dim: int = 512, seconds: int = 400) -> None:
    rng = np.random.default_rng(v)
    times = np.arange(seconds, dtype=np.float64)
    windows = clip_windows(times, clip_seconds=4, stride=2, step=1, duration=float(seconds))
    frames = l2_normalize(rng.standard_normal((seconds, dim)).astype(np.float32))
    record = store.VideoRecord(
        path=f"/synthetic/new_{v}.mp4",
        title=f"new {v}",
        size=1,
        mtime_ns=0,
        fingerprint=f"{v:032x}",
        duration=float(seconds),
        fps=30.0,
        width=1280,
        height=720,
        codec="h264",
        model_name=MODEL_NAME,
        sample_fps=1.0,
        clip_seconds=4.0,
        clip_stride=2.0,
    )
    writer.write_video(
        record,
        times,
        frames,
        [(w.first, w.last, w.start, w.end) for w in windows],
        pool_windows(frames, [(w.first, w.last) for w in windows]),
    )


def measure(n_clips: int, rounds: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        built = build_library(Path(tmp), n_clips)
        settings = Settings(data_dir=Path(tmp), model=MODEL)
        reader, writer = Library(settings, notify=lambda m: None), Library(settings, notify=lambda m: None)
        reader.index()
        writer.index()
        timings: dict[str, list[float]] = {"change_rows": [], "all_ids": []}
        for r in range(rounds):
            for how in timings:
                _write_one(writer, 2 * r + (how == "all_ids"))
                if how == "all_ids":  # as if the row were pruned: the reader must compare every id
                    with writer.sessions() as session:
                        gen = store.generation(session=session)
                        session.query(IndexChange).filter(IndexChange.generation == gen).delete()
                        session.commit()
                start = time.perf_counter()
                assert reader.refresh(force=True)
                timings[how].append(time.perf_counter() - start)
        assert reader.index().count == writer.index().count
        rows = {f"{how}_ms_median": statistics.median(t) * 1000 for how, t in timings.items()}
        return {
            "clips": built["clips"],
            "index": built["index"],
            **rows,
            "ratio": rows["all_ids_ms_median"] / rows["change_rows_ms_median"],
        }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
