"""The job queue's lookups (vidseek.storage.jobs) used by the routes and the folder watcher,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from vidseek.config import Settings
from vidseek.storage import jobs
from vidseek.storage.db import open_database
from vidseek.storage.tables import Job


@pytest.fixture
def sessions(db_settings: Settings):  # noqa: ANN201
    factory = open_database(db_settings.sqlalchemy_url)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def queue(sessions) -> dict[str, int]:  # noqa: ANN001
    """index a (running), index b (done), reindex of video 1 (queued twice), delete of video 2 (queued),
    delete of video 3 (failed)."""
    with sessions() as session:
        ids = {
            "index a": jobs.enqueue("index", session=session, path="/v/a.mp4").id,
            "index b": jobs.enqueue("index", session=session, path="/v/b.mp4").id,
            "reindex 1": jobs.enqueue("reindex", session=session, video_id=1, path="/v/one.mp4").id,
            "reindex 1 again": jobs.enqueue("reindex", session=session, video_id=1, path="/v/one.mp4").id,
            "delete 2": jobs.enqueue("delete", session=session, video_id=2, path="/v/two.mp4").id,
            "delete 3": jobs.enqueue("delete", session=session, video_id=3, path="/v/three.mp4").id,
        }
        for name, status in [("index a", "running"), ("index b", "done"), ("delete 3", "failed")]:
            session.execute(update(Job).where(Job.id == ids[name]).values(status=status))
        session.commit()
    return ids


def test_count_jobs_in_all_and_in_one_status(sessions, queue: dict[str, int]) -> None:  # noqa: ANN001
    with sessions() as session:
        assert jobs.count_jobs(session=session) == 6
        assert jobs.count_jobs(session=session, status="queued") == 3
        assert jobs.count_jobs(session=session, status="running") == 1
        assert jobs.count_jobs(session=session, status="done") == 1
        assert jobs.count_jobs(session=session, status="failed") == 1
        counts = jobs.counts(session=session)
        assert sum(counts.values()) == jobs.count_jobs(session=session)


def test_queued_job_for_video_is_the_oldest_waiting_one_of_that_kind(sessions, queue: dict[str, int]) -> None:  # noqa: ANN001
    with sessions() as session:
        assert jobs.queued_job_for_video("reindex", 1, session=session).id == queue["reindex 1"]
        assert jobs.queued_job_for_video("delete", 1, session=session) is None
        assert jobs.queued_job_for_video("delete", 2, session=session).id == queue["delete 2"]
        assert jobs.queued_job_for_video("reindex", 9, session=session) is None
    with sessions() as session:
        assert jobs.claim("w", session=session, lease_seconds=60).id == queue["reindex 1"]  # running now
    with sessions() as session:
        assert jobs.queued_job_for_video("reindex", 1, session=session).id == queue["reindex 1 again"]


def test_active_job_paths_are_those_of_queued_and_running_jobs(sessions, queue: dict[str, int]) -> None:  # noqa: ANN001
    with sessions() as session:
        assert jobs.active_job_paths(session=session) == {"/v/a.mp4", "/v/one.mp4", "/v/two.mp4"}
        jobs.enqueue("reindex", session=session, video_id=4)  # no path: left out
        session.flush()
        assert jobs.active_job_paths(session=session) == {"/v/a.mp4", "/v/one.mp4", "/v/two.mp4"}


def test_video_ids_with_active_jobs_of_a_kind(sessions, queue: dict[str, int]) -> None:  # noqa: ANN001
    with sessions() as session:
        assert jobs.video_ids_with_active_jobs("delete", session=session) == {2}  # 3's failed
        assert jobs.video_ids_with_active_jobs("reindex", session=session) == {1}
        assert jobs.video_ids_with_active_jobs("index", session=session) == set()
    with sessions() as session:
        jobs.enqueue("index", session=session, path="/v/c.mp4")
        session.commit()
        assert jobs.video_ids_with_active_jobs("index", session=session) == set()  # no video id: left out
