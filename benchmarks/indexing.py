"""Indexing throughput in video-seconds per wall-second, everything side by side in one process:
decode-only, encode-only, the vidseek pipeline, and the naive baseline."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from benchmarks.naive_indexer import index_video, load
from benchmarks.timing import stopwatch
from indexer.decode import get_decoder
from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

MODEL = "ViT-B-32:random"


def _encoder():  # noqa: ANN202
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_encoder(MODEL)


def decode_rate(path: Path, duration: float, decoder: str = "pyav", **kw) -> float:
    dec = get_decoder(decoder)
    with stopwatch() as t:
        n = sum(1 for _ in dec.frames(path, fps=1.0, size=(224, 224), **kw))
    assert n > 0
    return duration / t[0]


def encode_rate(batch: int = 32, batches: int = 3, *, sample_fps: float = 1.0) -> float:
    """Video-seconds per second the model alone sustains (at ``sample_fps`` frames per video-second)."""
    enc = _encoder()
    frames = np.random.default_rng(0).integers(0, 255, (batch, 224, 224, 3), dtype=np.uint8)
    enc.encode_frames(frames[:2])
    with stopwatch() as t:
        for _ in range(batches):
            enc.encode_frames(frames)
    return batch * batches / t[0] / sample_fps


def vidseek_rate(path: Path, duration: float, **overrides) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), model=MODEL, **overrides)
        library = Library(settings, notify=lambda m: None)
        indexer = Indexer(settings, library, _encoder(), progress=lambda: Progress(False))
        with stopwatch() as t:
            report = indexer.index([path])
        assert report.indexed, report.failed
    return duration / t[0]


def naive_rate(path: Path, duration: float) -> float:
    model, preprocess = load()
    with stopwatch() as t:
        index_video(path, model, preprocess)
    return duration / t[0]


def measure(path: Path, duration: float, label: str) -> dict:
    torch.set_num_threads(2)
    row = {"file": label}
    row["decode_pyav"] = decode_rate(path, duration, "pyav")
    row["decode_decord"] = decode_rate(path, duration, "decord")
    row["encode"] = encode_rate()
    row["naive"] = naive_rate(path, duration)
    row["vidseek"] = vidseek_rate(path, duration)
    row["vidseek_decord"] = vidseek_rate(path, duration, decoder="decord")
    row["vidseek_keyframes"] = vidseek_rate(path, duration, keyframes_only=True)
    row["vidseek_batch4"] = vidseek_rate(path, duration, batch_size=4)
    torch.set_num_threads(1)
    row["vidseek_1_torch_thread"] = vidseek_rate(path, duration)
    torch.set_num_threads(2)
    bound = 1.0 / (1.0 / row["decode_pyav"] + 1.0 / row["encode"])
    row["bound"] = bound
    row["vs_naive"] = row["vidseek"] / row["naive"]
    row["vs_bound"] = row["vidseek"] / bound
    return row


def precision_row(n: int = 32) -> dict:
    """int8 against fp32 on the CPU: encode rate of each, and the cosine between their vectors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp32 = load_encoder(MODEL, device="cpu", precision="fp32")
        int8 = load_encoder(MODEL, device="cpu", precision="int8")
    frames = np.random.default_rng(1).integers(0, 255, (n, 224, 224, 3), dtype=np.uint8)
    rates, outputs = {}, {}
    for name, enc in (("fp32", fp32), ("int8", int8)):
        enc.encode_frames(frames[:2])
        with stopwatch() as t:
            outputs[name] = enc.encode_frames(frames)
        rates[name] = n / t[0]
    cos = (outputs["fp32"] * outputs["int8"]).sum(1)
    return {
        "fp32_frames_per_s": rates["fp32"],
        "int8_frames_per_s": rates["int8"],
        "int8_speedup": rates["int8"] / rates["fp32"],
        "min_cosine_int8_vs_fp32": float(cos.min()),
        "mean_cosine": float(cos.mean()),
    }
