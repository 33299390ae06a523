"""The jobs queue on SQLite and PostgreSQL: exclusive claims under concurrency, backoff, leases."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from search_api.http.jobs_results import job_info
from vidseek.config import Settings
from vidseek.errors import Conflict
from vidseek.storage import jobs
from vidseek.storage.clock import as_utc
from vidseek.storage.db import open_database
from vidseek.storage.tables import Job


@pytest.fixture
def sessions(db_settings: Settings):  # noqa: ANN201
    factory = open_database(db_settings.sqlalchemy_url)
    yield factory
    factory.kw["bind"].dispose()


def _enqueue(sessions, n: int, **kw) -> list[int]:  # noqa: ANN001
    with sessions() as session:
        ids = [jobs.enqueue("index", session=session, path=f"/videos/{i}.mp4", **kw).id for i in range(n)]
        session.commit()
    return ids


def test_enqueue_checks_its_arguments_and_job_info_has_the_fields(sessions) -> None:  # noqa: ANN001
    with sessions() as session:
        for kind, kw in [("index", {}), ("reindex", {}), ("delete", {"path": "/a.mp4"}), ("paint", {"path": "/a"})]:
            with pytest.raises(jobs.JobError):
                jobs.enqueue(kind, session=session, **kw)
        job = jobs.enqueue("delete", session=session, video_id=7, payload={"why": "gone"})
        session.commit()
        data = job_info(jobs.get_job(job.id, session=session)).model_dump(mode="json")
    assert {
        "id",
        "kind",
        "status",
        "video_id",
        "path",
        "progress",
        "attempts",
        "max_attempts",
        "error",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    } <= set(data)
    assert (data["kind"], data["status"], data["video_id"], data["attempts"], data["max_attempts"]) == (
        "delete",
        "queued",
        7,
        0,
        3,
    )
    assert data["payload"] == {"why": "gone"} and data["started_at"] is None
    assert datetime.fromisoformat(data["created_at"]).tzinfo is not None
    with sessions() as session:
        assert [j.id for j in jobs.list_jobs(session=session, status="queued")] == [job.id]
        assert jobs.list_jobs(session=session, status="done") == []


def test_threads_claiming_at_once_never_take_the_same_job(sessions) -> None:  # noqa: ANN001
    all_ids = _enqueue(sessions, 40)
    claimed: list[tuple[str, int]] = []
    start = threading.Barrier(6)

    def claimer(name: str) -> None:
        start.wait()
        while True:
            with sessions() as session:
                job = jobs.claim(name, session=session, lease_seconds=300)
            if job is None:
                return
            claimed.append((name, job.id))

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [job_id for _, job_id in claimed]
    assert sorted(ids) == all_ids, "every job claimed exactly once"
    assert len({name for name, _ in claimed}) > 1, "the claims really ran concurrently"
    with sessions() as session:
        rows = jobs.list_jobs(session=session, limit=100)
        assert {(j.status, j.attempts) for j in rows} == {("running", 1)}
        owner = dict((job_id, name) for name, job_id in claimed)
        assert all(j.worker == owner[j.id] for j in rows)


_CLAIMER = """
import sys, json, time
from vidseek.storage import jobs
from vidseek.storage.db import open_database
sessions = open_database(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all start claiming at the same moment
got = []
while True:
    with sessions() as s:
        job = jobs.claim(sys.argv[2], session=s, lease_seconds=300)
    if job is None:
        break
    got.append(job.id)
print(json.dumps(got))
"""


def test_processes_claiming_at_once_never_take_the_same_job(sessions, db_settings: Settings) -> None:  # noqa: ANN001
    all_ids = _enqueue(sessions, 60)
    start = str(time.time() + 2.0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, db_settings.sqlalchemy_url, f"p{i}", start],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    import json

    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    ids = [i for r in results for i in r]
    assert sorted(ids) == all_ids
    assert sum(1 for r in results if r) > 1, "the claims really ran concurrently"
    with sessions() as session:
        assert {j.attempts for j in jobs.list_jobs(session=session, limit=100)} == {1}


def _run_after_in(sessions, job_id: int) -> float:  # noqa: ANN001
    with sessions() as session:
        job = jobs.get_job(job_id, session=session)
        return (as_utc(job.run_after) - datetime.now(timezone.utc)).total_seconds()


def _make_due(sessions, job_id: int) -> None:  # noqa: ANN001
    """Time passes: the backoff is over."""
    with sessions() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(run_after=datetime.now(timezone.utc) - timedelta(seconds=1))
        )
        session.commit()


def test_failures_retry_with_exponential_backoff_then_fail_with_the_reason(sessions) -> None:  # noqa: ANN001
    (job_id,) = _enqueue(sessions, 1, max_attempts=3)
    waits = []
    for attempt in (1, 2):
        with sessions() as session:
            job = jobs.claim("w", session=session, lease_seconds=60)
            assert job.id == job_id and job.attempts == attempt
            assert jobs.fail(job_id, f"boom {attempt}", session=session, worker_id="w", retry_base=10.0)
            job = jobs.get_job(job_id, session=session)
            assert (job.status, job.error, job.worker) == ("queued", f"boom {attempt}", None)
            assert jobs.claim("w", session=session, lease_seconds=60) is None, "not before the backoff is over"
        waits.append(_run_after_in(sessions, job_id))
        _make_due(sessions, job_id)
    assert 19 < waits[0] <= 20 and 39 < waits[1] <= 40, waits  # 10 * 2**1, 10 * 2**2
    with sessions() as session:
        job = jobs.claim("w", session=session, lease_seconds=60)
        assert job.attempts == 3
        assert jobs.fail(job_id, "boom 3", session=session, worker_id="w", retry_base=10.0)
        job = jobs.get_job(job_id, session=session)
        assert (job.status, job.error) == ("failed", "boom 3") and job.finished_at is not None
        _make_due(sessions, job_id)
        assert jobs.claim("w", session=session, lease_seconds=60) is None
        # a permanent failure skips the retries
        (other,) = [j.id for j in [jobs.enqueue("index", session=session, path="/bad.mp4")]]
        session.commit()
        jobs.claim("w", session=session, lease_seconds=60)
        jobs.fail(other, "not a video", session=session, worker_id="w", permanent=True)
        assert jobs.get_job(other, session=session).status == "failed"


def test_a_dead_workers_job_is_resumed_after_its_lease_and_heartbeats_keep_it(sessions) -> None:  # noqa: ANN001
    (job_id,) = _enqueue(sessions, 1)
    with sessions() as session:
        assert jobs.claim("alive", session=session, lease_seconds=0.4).id == job_id
        for _ in range(4):  # heartbeats keep the lease
            time.sleep(0.15)
            assert jobs.heartbeat(job_id, session=session, worker_id="alive", progress=0.5)
            assert jobs.claim("other", session=session, lease_seconds=0.4) is None
        assert jobs.get_job(job_id, session=session).progress == 0.5
        time.sleep(0.5)  # "alive" died: no heartbeat for longer than the lease
        job = jobs.claim("other", session=session, lease_seconds=0.4)
        assert (job.id, job.worker, job.attempts, job.status) == (job_id, "other", 2, "running")
        # the dead worker's late calls do not touch the job any more
        assert not jobs.heartbeat(job_id, session=session, worker_id="alive")
        assert not jobs.complete(job_id, session=session, worker_id="alive")
        assert jobs.complete(job_id, session=session, worker_id="other")
        assert jobs.get_job(job_id, session=session).status == "done"


def test_a_job_that_keeps_killing_its_worker_ends_failed_and_release_gives_a_job_back(sessions) -> None:  # noqa: ANN001
    a, b = _enqueue(sessions, 2, max_attempts=1)
    with sessions() as session:
        assert jobs.claim("w", session=session, lease_seconds=0.1).id == a
        time.sleep(0.25)
        got = jobs.claim("w2", session=session, lease_seconds=0.1)
        assert got.id == b, "the dead job had no attempts left"
        job = jobs.get_job(a, session=session)
        assert job.status == "failed" and "lease expired" in job.error
        assert jobs.release(b, session=session, worker_id="w2")
        job = jobs.get_job(b, session=session)
        assert (job.status, job.attempts, job.worker) == ("queued", 0, None)
        assert jobs.claim("w3", session=session, lease_seconds=10).id == b
        assert jobs.counts(session=session) == {"queued": 0, "running": 1, "done": 0, "failed": 1}


def test_one_re_embed_at_a_time_while_queued_or_running(sessions) -> None:  # noqa: ANN001
    busy = r"^a re-embed is already queued or running \(job {}, ViT-B-16:openai\): wait for it to end$"
    with sessions() as session:
        jobs.refuse_if_reembed_active(session=session)  # nothing queued
        index_job = jobs.enqueue("index", session=session, path="/videos/a.mp4")
        session.commit()
        jobs.refuse_if_reembed_active(session=session)  # other kinds do not count
        reembed = jobs.enqueue("reembed", session=session, payload={"model": "ViT-B-16:openai"})
        session.commit()
        with pytest.raises(Conflict, match=busy.format(reembed.id)):
            jobs.refuse_if_reembed_active(session=session)
        assert jobs.claim("w", session=session, lease_seconds=60).id == index_job.id
        assert jobs.complete(index_job.id, session=session)
        assert jobs.claim("w", session=session, lease_seconds=60).id == reembed.id
        with pytest.raises(Conflict, match=busy.format(reembed.id)):  # running
            jobs.refuse_if_reembed_active(session=session)
        assert jobs.complete(reembed.id, session=session)
        jobs.refuse_if_reembed_active(session=session)  # done: another may start
