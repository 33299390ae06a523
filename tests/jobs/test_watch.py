"""Watching a folder: one scan queues what changed, never twice, and nothing for unchanged files."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from media import Segment, make_video

from indexer.watch import scan_once
from indexer.worker import Worker
from vidseek.config import Settings
from vidseek.storage import jobs

from .conftest import VIDSEEK, check_consistency, worker_env


def _scan(worker: Worker, folder: Path, settle: float = 0.0):  # noqa: ANN202
    with worker.library.sessions() as session:
        return scan_once([folder], session=session, settings=worker.settings, settle=settle)


def _statuses(worker: Worker) -> dict[str, str]:
    with worker.library.sessions() as session:
        rows = jobs.list_jobs(session=session, limit=1000)
    latest: dict[str, str] = {}
    for job in sorted(rows, key=lambda j: j.id):
        latest[f"{job.kind} {Path(job.path).name}"] = job.status
    return latest


def test_scan_queues_new_changed_and_removed_files_once(db_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    a = make_video(folder / "a.mp4", [Segment("red", 4)])
    b = make_video(folder / "sub" / "b.mkv", [Segment("blue", 4)])
    (folder / "notes.txt").write_text("not a video")
    elsewhere = make_video(tmp_path / "elsewhere.mp4", [Segment("green", 4)])
    worker = Worker(db_settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)

    first = _scan(worker, folder)
    assert sorted(first.indexed) == [str(a), str(b)] and first.deleted == []
    assert _scan(worker, folder).indexed == [], "a file with a queued job is not queued again"
    worker.run(until_idle=True)
    again = _scan(worker, folder)
    assert (again.indexed, again.deleted, again.unchanged) == ([], [], 2)

    # elsewhere is indexed too, but it is not under the watched folder: never deleted by the watch
    worker._indexer.index([elsewhere])
    make_video(a, [Segment("magenta", 5)])  # changed
    c = make_video(folder / "c.webm", [Segment("cyan", 4)], codec="libvpx")  # new
    b.unlink()  # removed
    scan = _scan(worker, folder)
    assert sorted(scan.indexed) == [str(a), str(c)] and scan.deleted == [str(b)]
    assert _scan(worker, folder).changed is False, "delete and index jobs are queued once"
    worker.run(until_idle=True)
    assert _statuses(worker) == {
        "index a.mp4": "done",
        "index b.mkv": "done",
        "delete b.mkv": "done",
        "index c.webm": "done",
    }
    assert _scan(worker, folder).changed is False
    assert check_consistency(db_settings)["videos"] == 3  # a, c, elsewhere

    # touched, same bytes: queued; the worker only records the new mtime; then it is unchanged
    st = c.stat()
    os.utime(c, ns=(st.st_atime_ns, st.st_mtime_ns - 5 * 10**9))
    assert _scan(worker, folder).indexed == [str(c)]
    seen = worker.encoder.inner.frames_seen
    worker.run(until_idle=True)
    assert worker.encoder.inner.frames_seen == seen
    assert _scan(worker, folder).changed is False


def test_scan_leaves_settling_and_failed_files_until_they_change(db_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    bad = folder / "bad.mp4"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not a video" * 50)
    old = time.time() - 60
    os.utime(bad, (old, old))
    fresh = make_video(folder / "fresh.mp4", [Segment("white", 4)])  # just written: may still be copying
    worker = Worker(db_settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)

    scan = _scan(worker, folder, settle=30)
    assert scan.indexed == [str(bad)] and scan.waiting == 1
    worker.run(until_idle=True)
    assert _statuses(worker)["index bad.mp4"] == "failed"
    assert _scan(worker, folder, settle=30).indexed == [], "a file that failed as it is is not retried"
    os.utime(fresh, (old, old))
    assert _scan(worker, folder, settle=30).indexed == [str(fresh)]
    bad.write_bytes(b"still not a video, but changed" * 50)
    os.utime(bad, (old + 1, old + 1))
    assert _scan(worker, folder, settle=30).indexed == [str(bad)]


def test_watch_command_queues_files_as_they_appear_and_stops_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = subprocess.Popen(
        [*VIDSEEK, "watch", str(folder), "--interval", "0.1", "--settle", "0"],
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "watching" in proc.stderr.readline()
    clip = make_video(tmp_path / "staging" / "new.mp4", [Segment("red", 4)])
    os.replace(clip, folder / "new.mp4")  # arrives whole, as a finished copy does
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert line.strip() == f"queued index: {folder / 'new.mp4'}"
    assert proc.returncode == 0 and "Traceback" not in err and out == ""
    worker = Worker(settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)
    assert _statuses(worker) == {"index new.mp4": "queued"}


def test_a_keyframes_only_row_is_queued_by_a_full_watch(db_settings: Settings, tmp_path: Path) -> None:
    """The watcher skips exactly what the indexer would skip: a keyframes-only first pass is refined."""
    folder = tmp_path / "watched"
    a = make_video(folder / "a.mp4", [Segment("red", 4)])
    quick = Worker(db_settings.model_copy(update={"keyframes_only": True}), lease_seconds=5, save_interval=0)
    quick._indexer.index([a])
    with quick.library.sessions() as session:
        assert scan_once([folder], session=session, settings=quick.settings, settle=0).unchanged == 1
    full = Worker(db_settings, lease_seconds=5, save_interval=0)
    assert _scan(full, folder).indexed == [str(a)]


def test_a_sidecar_added_or_edited_beside_a_watched_video_queues_it_and_only_its_cues_are_read(
    db_settings: Settings, tmp_path: Path
) -> None:
    from vidseek.storage import cue_store, store

    folder = tmp_path / "watched"
    video = make_video(folder / "talk.mp4", [Segment("red", 4)])
    worker = Worker(db_settings, lease_seconds=5, poll_seconds=0.05, save_interval=0)
    _scan(worker, folder)
    worker.run(until_idle=True)
    assert _scan(worker, folder).changed is False
    sidecar = folder / "talk.en.srt"
    for words in ("first words", "other words, edited"):
        sidecar.write_text(f"1\n00:00:01,000 --> 00:00:02,000\n{words}\n")
        os.utime(sidecar, ns=(time.time_ns(), time.time_ns()))
        assert _scan(worker, folder).indexed == [str(video)]
        seen = worker.encoder.inner.frames_seen
        worker.run(until_idle=True)
        assert worker.encoder.inner.frames_seen == seen  # no frame decoded or embedded again
        with worker.library.sessions() as session:
            row = store.video_by_path(str(video), session=session)
            assert [c.text for c in cue_store.cues_of(row.id, session=session)] == [words]
        assert _scan(worker, folder).changed is False
