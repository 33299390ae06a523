"""The worker runs index, reindex and delete jobs; results are searchable; bad files fail alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video

from indexer.worker import Worker
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.storage import jobs, store

from .conftest import VIDSEEK, check_consistency, worker_env


def _worker(settings: Settings, **kw) -> Worker:
    return Worker(settings, lease_seconds=kw.pop("lease_seconds", 5.0), poll_seconds=0.05, save_interval=0, **kw)


def _enqueue(worker: Worker, kind: str, **kw) -> int:
    with worker.library.sessions() as session:
        job = jobs.enqueue(kind, session=session, **kw)
        session.commit()
        return job.id


def _job(worker: Worker, job_id: int):  # noqa: ANN202
    with worker.library.sessions() as session:
        return jobs.get_job(job_id, session=session)


def _titles(engine: SearchEngine, query: str, min_score: float = 0.9) -> list[str]:
    return [h.video.title for h in engine.search(query, limit=10).hits if h.moment.score >= min_score]


def test_save_interval_is_the_worker_librarys_and_a_given_library_is_left_as_built(settings: Settings) -> None:
    from indexer.worker import DEFAULT_SAVE_INTERVAL
    from vidseek.storage.library import Library

    assert Worker(settings, lease_seconds=5.0).library.save_interval == DEFAULT_SAVE_INTERVAL
    assert Worker(settings, lease_seconds=5.0, save_interval=3.0).library.save_interval == 3.0
    shared = Library(settings, notify=lambda m: None, save_interval=1.5)
    Worker(settings, library=shared, lease_seconds=5.0)
    assert shared.save_interval == 1.5


@pytest.mark.parametrize("workers, interval", [(0, 0.0), (1, 10.0)])
def test_serve_saves_like_a_busy_worker_only_when_it_runs_jobs(
    settings: Settings, workers: int, interval: float
) -> None:
    from search_api.http.services import load_services
    from vidseek.models.encoders import load_encoder

    served = settings.model_copy(update={"serve_workers": workers})
    assert load_services(served, load_encoder(served.model), query_cache_size=0).library.save_interval == interval


def test_worker_indexes_reindexes_and_deletes_and_search_follows(db_settings: Settings, tmp_path: Path) -> None:
    red = make_video(tmp_path / "red.mp4", [Segment("red", 6)])
    blue = make_video(tmp_path / "blue.mp4", [Segment("blue", 4), Segment("green", 4)])
    worker = _worker(db_settings)
    engine = SearchEngine(worker.library, worker.encoder)
    first = [_enqueue(worker, "index", path=str(p)) for p in (red, blue)]
    assert worker.run(until_idle=True) == 2
    assert [_job(worker, j).status for j in first] == ["done", "done"]
    assert _job(worker, first[0]).progress == 1.0
    assert _titles(engine, "red") == ["red"] and _titles(engine, "green") == ["blue"]

    with worker.library.sessions() as session:
        ids = {v.title: v.id for v in store.list_videos(session=session)}
    seen = worker.encoder.inner.frames_seen
    again = _enqueue(worker, "index", path=str(red))  # unchanged: skipped, still done
    worker.run(until_idle=True)
    assert _job(worker, again).status == "done" and worker.encoder.inner.frames_seen == seen
    reindex = _enqueue(worker, "reindex", video_id=ids["red"])  # forced: decoded again
    worker.run(until_idle=True)
    assert _job(worker, reindex).status == "done" and worker.encoder.inner.frames_seen > seen

    make_video(red, [Segment("magenta", 6)])  # the file changed: its index job replaces the clips
    _enqueue(worker, "index", path=str(red))
    delete = _enqueue(worker, "delete", video_id=ids["blue"])
    worker.run(until_idle=True)
    assert _job(worker, delete).status == "done"
    assert _titles(engine, "magenta") == ["red"] and _titles(engine, "red") == []
    assert _titles(engine, "green") == []
    assert check_consistency(db_settings)["videos"] == 1
    gone = _enqueue(worker, "delete", video_id=ids["blue"])  # already gone: nothing to do, done
    missing = _enqueue(worker, "reindex", video_id=12345)
    worker.run(until_idle=True)
    assert _job(worker, gone).status == "done"
    assert _job(worker, missing).status == "failed" and "12345" in _job(worker, missing).error


def test_a_bad_file_fails_its_job_and_the_worker_goes_on(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    good = make_video(tmp_path / "good.mp4", [Segment("yellow", 4)])
    worker = _worker(db_settings)
    ids = [_enqueue(worker, "index", path=str(p)) for p in (bad, tmp_path / "missing.mp4", good)]
    worker.run(until_idle=True)
    bad_job, missing_job, good_job = (_job(worker, i) for i in ids)
    assert bad_job.status == "failed" and "bad.mp4" in bad_job.error and "not a readable video" in bad_job.error
    assert bad_job.attempts == 1, "a file that cannot be decoded is not retried"
    assert missing_job.status == "failed" and "no such file" in missing_job.error
    assert good_job.status == "done"

    # an unexpected exception fails the attempt (to be retried later), never the worker
    calls = []

    def explode(paths, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(paths)
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(worker._indexer, "index", explode)
    crash = _enqueue(worker, "index", path=str(good))
    after = _enqueue(worker, "delete", video_id=999)
    worker.run(until_idle=True)
    job = _job(worker, crash)
    assert (job.status, job.error, job.attempts) == ("queued", "RuntimeError: decoder exploded", 1)
    assert _job(worker, after).status == "done"
    assert check_consistency(db_settings)["videos"] == 1


def test_worker_command_runs_the_queue_and_stops_cleanly_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "cyan.mp4", [Segment("cyan", 4)])
    env = worker_env(settings)
    queued = subprocess.run(
        [*VIDSEEK, "watch", str(tmp_path), "--once", "--settle", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert queued.returncode == 0 and f"queued index: {clip}" in queued.stdout, queued.stderr
    proc = subprocess.Popen(
        [*VIDSEEK, "worker", "--poll", "0.05"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    worker = _worker(settings)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with worker.library.sessions() as session:
            if jobs.counts(session=session)["done"] == 1:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 job(s) run" in err and "Traceback" not in err
    result = subprocess.run([*VIDSEEK, "search", "cyan", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["results"][0]["video"]["path"] == str(clip)


def test_serve_runs_a_worker_thread_that_the_api_sees_at_once(settings: Settings, tmp_path: Path) -> None:
    from search_api.http.app import create_app

    first = make_video(tmp_path / "white.mp4", [Segment("white", 4)])
    worker = _worker(settings)
    _enqueue(worker, "index", path=str(first))
    worker.run(until_idle=True)  # something indexed, so the app has a model recorded
    live = settings.model_copy(update={"worker_poll": 0.05})
    with TestClient(create_app(live)) as client:
        assert client.app.state.workers is not None and len(client.app.state.workers.threads) == 1
        clip = make_video(tmp_path / "green.mp4", [Segment("green", 4)])
        job_id = _enqueue(worker, "index", path=str(clip))
        deadline = time.monotonic() + 30
        while _job(worker, job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _job(worker, job_id).status == "done"
        results = client.get("/api/search", params={"q": "green", "limit": 1}).json()["results"]
        assert results[0]["video"]["path"] == str(clip) and results[0]["score"] > 0.9
    quiet = settings.model_copy(update={"serve_workers": 0})
    with TestClient(create_app(quiet)) as client:
        assert client.app.state.workers is None
