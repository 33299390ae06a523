"""Peak memory while indexing one long file, in a fresh process so nothing else counts.

Run as `python -m benchmarks.memory FILE` (prints JSON); `measure()` runs it as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def measure(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _main(path: Path) -> None:
    from benchmarks.timing import peak_rss_mb
    from indexer.decode import PyAVDecoder
    from indexer.progress import Progress
    from indexer.runner import Indexer
    from vidseek.config import Settings
    from vidseek.models.encoders import load_encoder
    from vidseek.storage.library import Library

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), model="ViT-B-32:random")
        encoder = load_encoder(settings.model)
        before = peak_rss_mb()
        start = time.perf_counter()
        report = Indexer(
            settings, Library(settings, notify=lambda m: None), encoder, progress=lambda: Progress(False)
        ).index([path])
        wall = time.perf_counter() - start
    info = PyAVDecoder().probe(path)
    print(
        json.dumps(
            {
                "file": path.name,
                "duration_s": info.duration,
                "width": info.width,
                "height": info.height,
                "indexed": len(report.indexed),
                "wall_s": wall,
                "rate": info.duration / wall,
                "peak_rss_mb_after_model_load": before,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
