"""Several API replicas: two `vidseek serve` processes on one database and one data dir, and a third
process that indexes and deletes. Both replicas must answer from the new index generation within a
bounded time: the new video found, the deleted one gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import httpx
import pytest
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

from .conftest import COLOUR_MODEL, TESTS_DIR

BOUND_SECONDS = 10.0
"""How long a replica may take to answer from a generation another process committed."""


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")}
    env.update(
        {
            "VIDSEEK_DATA_DIR": str(settings.data_dir),
            "VIDSEEK_MODEL": COLOUR_MODEL,
            "VIDSEEK_DATABASE_URL": settings.sqlalchemy_url,
            "VIDSEEK_SERVE_WORKERS": "0",
            "PYTHONPATH": os.pathsep.join(p for p in [str(TESTS_DIR), os.environ.get("PYTHONPATH", "")] if p),
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(stack: ExitStack, env: dict[str, str], log: Path) -> str:
    port = _free_port()
    out = stack.enter_context(open(log, "wb"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    stack.callback(stop)
    return f"http://127.0.0.1:{port}"


def _wait_ready(base: str, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} never became ready:\n{log.read_text()[-3000:]}")


def _results(base: str, query: str) -> list[str]:
    """Titles of the moments found, best first."""
    # every video counts as seen, matching or not: relevance bands must not hide any
    response = httpx.get(f"{base}/api/search", params={"q": query, "limit": 20, "min_relevance": "low"}, timeout=10)
    response.raise_for_status()
    return [r["video"]["title"] for r in response.json()["results"]]


def _titles(base: str, query: str) -> set[str]:
    return set(_results(base, query))


def _until(check: Callable[[], bool], bound: float = BOUND_SECONDS) -> float:
    """Seconds until ``check()`` holds (polled every 50 ms); fails past ``bound``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > bound:
            raise AssertionError(f"not seen within {bound} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("first", ["indexed", "empty"])
def test_two_replicas_follow_index_and_delete_from_another_process(
    database_url: str, data_dir: Path, tmp_path: Path, first: str
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url, model=COLOUR_MODEL)
    videos = tmp_path / "videos"
    red = make_video(videos / "red.mp4", [Segment("blue", 2), Segment("red", 3)])
    green = make_video(videos / "green.mp4", [Segment("yellow", 2), Segment("green", 3)])
    cyan = make_video(videos / "cyan.mp4", [Segment("white", 2), Segment("cyan", 3)])
    library = Library(settings, notify=lambda m: None)
    if first == "indexed":  # else the replicas start on an empty database, with no FAISS file
        Indexer(settings, library, load_encoder(COLOUR_MODEL), progress=lambda: Progress(False)).index([red])
    env = _env(settings)
    timings: dict[str, list[float]] = {"index": [], "worker": [], "delete": []}
    with ExitStack() as stack:
        logs = [tmp_path / "replica-a.log", tmp_path / "replica-b.log"]
        # B maps the FAISS file read-only (VIDSEEK_INDEX_MMAP) and follows the writers' saves instead
        # of patching its own copy: both ways must see every change within the bound.
        replicas = [_serve(stack, env, logs[0]), _serve(stack, {**env, "VIDSEEK_INDEX_MMAP": "1"}, logs[1])]
        for base, log in zip(replicas, logs):
            _wait_ready(base, log)
            assert _titles(base, "red") == ({"red"} if first == "indexed" else set())

        # new videos indexed by the CLI, in another process
        _run(["index", str(red), str(green)], env)
        for base in replicas:
            timings["index"].append(_until(lambda base=base: {"red", "green"} <= _titles(base, "green")))

        # a new video indexed by a worker job, in another process
        from vidseek.storage import jobs

        with library.sessions() as session:
            jobs.enqueue("index", session=session, path=str(cyan.resolve()))
            session.commit()
        _run(["worker", "--until-idle", "--poll", "0.05"], env)
        for base in replicas:
            timings["worker"].append(_until(lambda base=base: "cyan" in _titles(base, "cyan")))

        # a deletion disappears from both
        _run(["rm", str(green.resolve())], env)
        for base in replicas:
            timings["delete"].append(_until(lambda base=base: "green" not in _titles(base, "green")))
        for base in replicas:
            assert _results(base, "red")[0] == "red" and _results(base, "cyan")[0] == "cyan"
    print(f"replica lag after the writer exited (s): {timings}")
