"""Watching a hostile folder: a symlink loop, a FIFO, a broken link or a name that is not UTF-8 is
named once, and the good files are still queued and indexed; the watch keeps running."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from media import Segment, make_video

from indexer.watch import scan_once
from indexer.worker import Worker
from vidseek.config import Settings

from .conftest import VIDSEEK, check_consistency, worker_env


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    folder = tmp_path / "watched"
    make_video(folder / "good.mp4", [Segment("red", 4)])
    (folder / "loop.mp4").symlink_to("loop.mp4")
    os.mkfifo(folder / "fifo.mp4")
    (folder / "dangling.mp4").symlink_to(tmp_path / "gone.mp4")
    fd = os.open(os.fsencode(folder) + b"/caf\xe9.mp4", os.O_CREAT | os.O_WRONLY, 0o644)
    os.close(fd)
    return folder


def _expected_problems(folder: Path) -> dict[str, str]:
    return {
        f"{folder}/caf\\xe9.mp4": "not valid UTF-8",
        f"{folder}/dangling.mp4": "broken symlink",
        f"{folder}/fifo.mp4": "not a regular file (a FIFO)",
        f"{folder}/loop.mp4": "symlink loop",
    }


def test_scan_queues_the_good_file_and_names_each_bad_one(db_settings: Settings, hostile: Path) -> None:
    worker = Worker(db_settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)
    with worker.library.sessions() as session:
        scan = scan_once([hostile], session=session, settings=db_settings, settle=0)
    assert scan.indexed == [str(hostile / "good.mp4")]
    problems = dict(scan.problems)
    assert sorted(problems) == sorted(_expected_problems(hostile))
    assert all(part in problems[path] for path, part in _expected_problems(hostile).items())
    worker.run(until_idle=True)
    assert check_consistency(db_settings)["videos"] == 1
    with worker.library.sessions() as session:
        again = scan_once([hostile], session=session, settings=db_settings, settle=0)
    assert (again.indexed, again.deleted, again.unchanged, len(again.problems)) == ([], [], 1, 4)


def test_scan_refuses_a_name_that_is_not_utf8_alone(db_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    good = make_video(folder / "good.mp4", [Segment("red", 4)])
    os.close(os.open(os.fsencode(folder) + b"/caf\xe9.mp4", os.O_CREAT | os.O_WRONLY, 0o644))
    worker = Worker(db_settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)
    with worker.library.sessions() as session:
        scan = scan_once([folder], session=session, settings=db_settings, settle=0)
    assert scan.indexed == [str(good)]
    assert [path for path, _ in scan.problems] == [f"{folder}/caf\\xe9.mp4"]


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_watch_once_prints_one_line_per_bad_file(settings: Settings, hostile: Path) -> None:
    proc = subprocess.run(
        [*VIDSEEK, "watch", str(hostile), "--once", "--settle", "0"],
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == [f"queued index: {hostile / 'good.mp4'}"]
    errors = _lines(proc.stderr, "error:")
    assert len(errors) == 4 and all(
        any(line.startswith(f"error: {p}: ") and part in line for line in errors)
        for p, part in _expected_problems(hostile).items()
    )


def _readers(proc: subprocess.Popen) -> tuple[queue.Queue, threading.Thread, list[str]]:
    """``proc``'s stdout lines as they come (to wait for one with a timeout) and its stderr, both
    drained by threads so a chatty process never blocks on a full pipe."""
    lines: queue.Queue = queue.Queue()
    err: list[str] = []
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in proc.stdout], daemon=True).start()
    drain = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    drain.start()
    return lines, drain, err


def test_watch_keeps_running_and_names_a_bad_file_once(settings: Settings, hostile: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*VIDSEEK, "watch", str(hostile), "--interval", "0.1", "--settle", "0"],
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, drain, stderr = _readers(proc)
    try:
        first = lines.get(timeout=30)
        time.sleep(1.0)  # several passes over the same bad files
        clip = make_video(tmp_path / "staging" / "late.mp4", [Segment("blue", 4)])
        os.replace(clip, hostile / "late.mp4")
        line = lines.get(timeout=30)
    except queue.Empty:
        first = line = "nothing queued"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        drain.join(timeout=10)
    err = "".join(stderr)
    assert first == f"queued index: {hostile / 'good.mp4'}", err[-3000:]
    assert line == f"queued index: {hostile / 'late.mp4'}", "still watching after the bad files"
    assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert len(_lines(err, "error:")) == 4, err
