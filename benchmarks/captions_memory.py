"""Memory of `vidseek serve` while it sends `captions.vtt` for a video whose subtitle track is as big
as vidseek stores (``VIDSEEK_CUES_PER_HOUR`` lines an hour, each ``--chars`` long).

Builds a library in a temporary folder (one video row of ``--hours`` hours and its lines, written by
``cue_store.write_cues``), starts ``vidseek serve`` on it as its own process, reads that process's
resident memory (``/proc/PID/status`` VmRSS) when idle and every few milliseconds while one client
downloads the captions, and prints JSON: idle, peak and peak minus idle (MB), the bytes and cues sent.

    python -m benchmarks.captions_memory --hours 3 --chars 1000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

MODEL = "python:colour_encoder:ColourEncoder"
TESTS = Path(__file__).resolve().parent.parent / "tests"


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` now, MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def build(data_dir: Path, hours: float, chars: int) -> tuple[int, int]:
    """A library with one video of ``hours`` and its subtitle track at the stored limit: (video id, lines)."""
    import numpy as np

    from vidseek.config import Settings
    from vidseek.models.encoders import load_encoder
    from vidseek.said import cue_bounds
    from vidseek.storage import cue_store, store
    from vidseek.storage.library import Library

    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))  # the test encoder: no model weights needed
    settings = Settings(data_dir=data_dir, model=MODEL)
    encoder = load_encoder(MODEL)
    library = Library(settings, notify=lambda m: None)
    duration = hours * 3600.0
    lines = cue_bounds.limit(duration, settings.cues_per_hour)
    step = duration / lines
    record = store.VideoRecord(
        path=str(data_dir / "long.mp4"), title="long", size=1, mtime_ns=0, fingerprint="long", duration=duration,
        fps=25.0, width=64, height=48, codec="h264", model_name=encoder.name, sample_fps=1.0, clip_seconds=4.0,
        clip_stride=2.0,
    )  # fmt: skip
    word = "lorem ipsum dolor sit amet "
    text = (word * (chars // len(word) + 1))[:chars]
    cues = [cue_store.CueRow(i * step, i * step + step / 2, f"{i} {text}", "sidecar:long.srt") for i in range(lines)]
    with library.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        vectors = np.ones((1, encoder.dim), np.float32)
        video_id, _, _ = store.replace_video(record, np.zeros(1), vectors, [(0, 0, 0.0, 4.0)], vectors, session=session)
        note = cue_store.write_cues(video_id, cues, replacing="all", session=session, per_hour=settings.cues_per_hour)
        session.commit()
    assert note is None, note
    return video_id, lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, server: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"vidseek serve exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"vidseek serve did not answer {url} within {seconds} s")


def measure(hours: float, chars: int, code: Path | None = None) -> dict:
    """Build, serve (from ``code``'s checkout when given, else this one) and measure."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        video_id, lines = build(data_dir, hours, chars)
        port = _free_port()
        path = os.pathsep.join(p for p in (str(code) if code else "", str(TESTS)) if p)
        env = {**os.environ, "VIDSEEK_DATA_DIR": str(data_dir), "VIDSEEK_MODEL": MODEL, "PYTHONPATH": path}
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            env=env,
            cwd=code or Path.cwd(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/api/videos", server)
            urllib.request.urlopen(f"{base}/api/videos/{video_id}", timeout=30).read()
            time.sleep(1.0)
            idle = rss_mb(server.pid)
            peak, done = idle, threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, rss_mb(server.pid))
                    time.sleep(0.005)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            sent = first_byte_s = 0
            with urllib.request.urlopen(f"{base}/api/videos/{video_id}/captions.vtt", timeout=600) as response:
                chunked = response.headers.get("Transfer-Encoding") == "chunked"
                while block := response.read(64 * 1024):
                    first_byte_s = first_byte_s or time.perf_counter() - started
                    sent += len(block)
            wall = time.perf_counter() - started
            done.set()
            sampler.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "hours": hours,
        "lines": lines,
        "chars_per_line": chars,
        "bytes_sent": sent,
        "chunked": chunked,
        "first_byte_s": round(first_byte_s, 3),
        "wall_s": round(wall, 3),
        "idle_rss_mb": round(idle, 1),
        "peak_rss_mb": round(peak, 1),
        "peak_over_idle_mb": round(peak - idle, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0, help="length of the video (its lines: 6,000 an hour)")
    parser.add_argument("--chars", type=int, default=1000, help="characters of each line")
    parser.add_argument("--code", type=Path, default=None, help="serve from another checkout (to compare)")
    args = parser.parse_args()
    print(json.dumps(measure(args.hours, args.chars, args.code)))


if __name__ == "__main__":
    main()
