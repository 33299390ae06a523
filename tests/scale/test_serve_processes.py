"""`vidseek serve --processes N`: N processes answer on one port, each built from the settings the
command resolved (options given on the command line included), and none is left when it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

from .conftest import COLOUR_MODEL
from .test_replicas import _env, _free_port, _results, _wait_ready


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _serving(pid: int) -> list[int]:
    """The children of ``pid`` that run the app (not multiprocessing's resource tracker)."""
    return [c for c in _children(pid) if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_two_processes_answer_on_one_port_from_the_options_given(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url, model=COLOUR_MODEL)
    videos = tmp_path / "videos"
    red = make_video(videos / "red.mp4", [Segment("blue", 2), Segment("red", 3)])
    green = make_video(videos / "green.mp4", [Segment("yellow", 2), Segment("green", 3)])
    library = Library(settings, notify=lambda m: None)
    Indexer(settings, library, load_encoder(COLOUR_MODEL), progress=lambda: Progress(False)).index([red, green])
    # the library is named on the command line only: the processes must get it from the command
    env = {k: v for k, v in _env(settings).items() if k not in ("VIDSEEK_DATA_DIR", "VIDSEEK_DATABASE_URL")}
    port = _free_port()
    log = tmp_path / "serve.log"
    args = ["--data-dir", str(data_dir), "--database-url", settings.sqlalchemy_url]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", *args, "serve", "--port", str(port), "--processes", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, log)
        deadline = time.monotonic() + 60
        while log.read_text().count("Application startup complete") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().count("Application startup complete") == 2, log.read_text()[-3000:]
        assert len(_serving(proc.pid)) == 2
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda q: _results(base, q), ["red", "green"] * 12))
        assert all(a[0] == q for a, q in zip(answers, ["red", "green"] * 12))
        servers = _serving(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    deadline = time.monotonic() + 10
    while [c for c in servers if _alive(c)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in servers if _alive(c)]  # stopping the command stops every process


def test_processes_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "--data-dir", str(tmp_path), "serve", "--processes", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--processes" in proc.stderr and "Traceback" not in proc.stderr
