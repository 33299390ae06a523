"""End-to-end `GET /api/search` latency at scale: a synthetic library written through the real
store (SQL rows, frame blobs, clip vectors), a real `vidseek serve` with ViT-B-32 (random
weights: same compute as pretrained) and the query cache off, and a load generator on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks.timing import percentile_ms, stopwatch
from indexer.sample import clip_windows
from vidseek.config import Settings
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.pool import l2_normalize, pool_windows

MODEL = "ViT-B-32:random"
MODEL_NAME = "open_clip:ViT-B-32:random"
WORDS = [
    "dog",
    "beach",
    "car",
    "night",
    "city",
    "forest",
    "people",
    "dancing",
    "snow",
    "kitchen",
    "river",
    "bicycle",
    "sunset",
    "crowd",
    "cat",
    "mountain",
    "train",
    "rain",
    "boat",
    "concert",
]


def build_library(
    data_dir: Path,
    n_clips: int,
    *,
    frames_per_video: int = 400,
    dim: int = 512,
    seed: int = 0,
    database_url: str | None = None,
) -> dict:
    """About ``n_clips`` clips (4 s windows every 2 s over 1 fps frames) in videos of ``frames_per_video`` s,
    in SQLite in ``data_dir`` or in the (empty) database at ``database_url``."""
    settings = Settings(data_dir=data_dir, model=MODEL, index_type="auto", database_url=database_url)
    library = Library(settings, notify=lambda m: None)
    rng = np.random.default_rng(seed)
    times = np.arange(frames_per_video, dtype=np.float64)
    windows = clip_windows(times, clip_seconds=4, stride=2, step=1, duration=float(frames_per_video))
    spans = [(w.first, w.last) for w in windows]
    n_videos = max(1, round(n_clips / len(windows)))
    centres = l2_normalize(rng.standard_normal((max(16, n_videos // 4), dim)).astype(np.float32))
    with stopwatch() as t_sql:
        with library.sessions() as session:
            store.claim_model(MODEL_NAME, dim, session=session)
            for v in range(n_videos):
                shots = centres[rng.integers(0, len(centres), frames_per_video // 20 + 1)]
                frames = l2_normalize(
                    np.repeat(shots, 20, axis=0)[:frames_per_video]
                    + rng.standard_normal((frames_per_video, dim)).astype(np.float32) * 0.04
                )
                record = store.VideoRecord(
                    path=f"/synthetic/video_{v:06d}.mp4",
                    title=f"video {v}",
                    size=1,
                    mtime_ns=0,
                    fingerprint=f"{v:032x}",
                    duration=float(frames_per_video),
                    fps=30.0,
                    width=1280,
                    height=720,
                    codec="h264",
                    model_name=MODEL_NAME,
                    sample_fps=1.0,
                    clip_seconds=4.0,
                    clip_stride=2.0,
                )
                store.replace_video(
                    record,
                    times,
                    frames,
                    [(w.first, w.last, w.start, w.end) for w in windows],
                    pool_windows(frames, spans),
                    session=session,
                )
                if v % 50 == 49:
                    session.commit()
            session.commit()
    with stopwatch() as t_index:
        index = library.rebuild_index()
    return {
        "clips": index.count,
        "videos": n_videos,
        "sql_s": t_sql[0],
        "index_build_s": t_index[0],
        "index": index.spec.describe(),
        "db_bytes": (data_dir / "vidseek.db").stat().st_size if database_url is None else None,
        "faiss_bytes": settings.faiss_path.stat().st_size,
    }


def tree_env(items: list[str]) -> dict[str, dict[str, str]]:
    """``--tree-env`` values (``NAME:KEY=VALUE``) as the environment of each named tree's processes."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        name, _, assignment = item.partition(":")
        key, sep, value = assignment.partition("=")
        if not name or not key or not sep:
            raise SystemExit(f"--tree-env {item!r}: expected NAME:KEY=VALUE")
        out.setdefault(name, {})[key] = value
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "VIDSEEK_DATA_DIR": str(data_dir),
        "VIDSEEK_MODEL": MODEL,
        "VIDSEEK_QUERY_CACHE_SIZE": "0",
        "VIDSEEK_SERVE_WORKERS": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base)
    return proc, base


def wait_ready(proc: subprocess.Popen, base: str) -> None:
    """Until the `vidseek serve` at ``base`` answers ``/readyz`` (5 minutes at most)."""
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("vidseek serve exited during start-up")
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("vidseek serve did not become ready")


def _queries(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"a {WORDS[a]} and a {WORDS[b]} {i}" for i, (a, b) in enumerate(rng.integers(0, len(WORDS), (n, 2)))]


def load(base: str, *, clients: int, requests_per_client: int, seed: int = 0) -> dict:
    """Each client sends distinct queries back to back; latencies from all clients pooled."""
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for q in _queries(requests_per_client, seed + c):
                t = time.perf_counter()
                r = http.get("/api/search", params={"q": q, "limit": 10})
                dt = time.perf_counter() - t
                with lock:
                    (latencies.append(dt) if r.status_code == 200 else errors.append(r.status_code))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    with stopwatch() as wall:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "throughput_rps": len(latencies) / wall[0],
    }


def measure(data_dir: Path, n_clips: int, *, requests: int = 100) -> dict:
    built = build_library(data_dir, n_clips) if not (data_dir / "clips.faiss").exists() else {"clips": n_clips}
    proc, base = serve(data_dir)
    try:
        httpx.get(f"{base}/api/search", params={"q": "warm up"}, timeout=60)
        single = load(base, clients=1, requests_per_client=requests)
        eight = load(base, clients=8, requests_per_client=max(5, requests // 8), seed=1000)
    finally:
        proc.terminate()
        proc.wait(30)
    return {**built, "single": single, "eight": eight}
