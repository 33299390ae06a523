"""The jobs queue: background work (index, reindex, delete, reembed, transcribe, read-text) kept in the SQL
``jobs`` table.

Life of a job::

    queued ──claim──► running ──complete──► done
       ▲                 │
       └──fail (retry)───┤ (run_after = now + base * 2**attempts)
                         └──fail (attempts spent, or permanent)──► failed

A worker that dies leaves its job ``running`` with an old ``heartbeat_at``; once that is older than
the lease, ``claim`` takes the job again (every claim counts as an attempt, so a job that keeps
killing its worker ends ``failed`` instead of looping).

``enqueue`` leaves the commit to the caller. The state changes (``claim``, ``heartbeat``,
``complete``, ``fail``, ``release``) commit themselves: other workers must see them at once.
Call them with a session that has no transaction of its own in progress.

Claiming is atomic on both databases: one ``UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING``.
On PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED``, so concurrent claimers lock
different rows and never wait on each other; on SQLite the statement runs under the database's
single write lock, so the select and the update see the same state, and the outer ``WHERE``
repeats the claimable test anyway.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from vidseek.errors import Conflict
from vidseek.storage.clock import utcnow
from vidseek.storage.tables import Job

KINDS = ("index", "reindex", "delete", "reembed", "transcribe", "read-text")
STATUSES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")
RETRY_BASE_SECONDS = 2.0
"""Backoff base: a failed attempt n (1, 2, ...) waits ``RETRY_BASE_SECONDS * 2**n`` before the next."""


class JobError(ValueError):
    """A job that cannot be queued as asked (unknown kind, missing path or video id)."""


def enqueue(
    kind: str,
    *,
    session: Session,
    path: str | None = None,
    video_id: int | None = None,
    payload: dict | None = None,
    max_attempts: int = 3,
) -> Job:
    """Add a job; the caller commits. ``index`` needs a path; ``reindex``, ``delete``, ``transcribe`` and
    ``read-text`` a video id."""
    if kind not in KINDS:
        raise JobError(f"unknown job kind {kind!r}: one of {', '.join(KINDS)}")
    if kind == "index" and not path:
        raise JobError("an 'index' job needs the path of the file to index")
    if kind in ("reindex", "delete", "transcribe", "read-text") and video_id is None:
        raise JobError(f"a {kind!r} job needs a video id")
    if max_attempts < 1:
        raise JobError("max_attempts must be at least 1")
    now = utcnow()
    job = Job(
        kind=kind,
        status="queued",
        path=path,
        video_id=video_id,
        payload=json.dumps(payload) if payload is not None else None,
        progress=0.0,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
        run_after=now,
    )
    session.add(job)
    session.flush()
    return job


def get_job(job_id: int, *, session: Session) -> Job | None:
    return session.get(Job, job_id, populate_existing=True)


def list_jobs(*, session: Session, status: str | None = None, limit: int = 100, offset: int = 0) -> list[Job]:
    """Newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def payload_of(job: Job) -> dict[str, Any]:
    return json.loads(job.payload) if job.payload else {}


def active_jobs_for_path(path: str, *, session: Session) -> list[Job]:
    """Queued or running jobs about this file."""
    return list(session.scalars(select(Job).where(Job.path == path, Job.status.in_(ACTIVE)).order_by(Job.id)))


def active_jobs_of_kind(kind: str, *, session: Session) -> list[Job]:
    """Queued or running jobs of this kind, oldest first."""
    return list(session.scalars(select(Job).where(Job.kind == kind, Job.status.in_(ACTIVE)).order_by(Job.id)))


def refuse_if_reembed_active(*, session: Session) -> None:
    """Raise Conflict while a re-embed is queued or running: one at a time (``vidseek reembed``,
    ``POST /api/reembed``)."""
    active = active_jobs_of_kind("reembed", session=session)
    if active:
        raise Conflict(
            f"a re-embed is already queued or running (job {active[0].id}, "
            f"{payload_of(active[0]).get('model')}): wait for it to end"
        )


def latest_job_for_path(path: str, *, session: Session, kinds: tuple[str, ...] | None = None) -> Job | None:
    """The newest job about this file (of one of ``kinds``, when given)."""
    query = select(Job).where(Job.path == path)
    if kinds is not None:
        query = query.where(Job.kind.in_(kinds))
    return session.scalar(query.order_by(Job.id.desc()).limit(1))


def _claimable(now: datetime, cutoff: datetime):  # noqa: ANN202
    return or_(
        and_(Job.status == "queued", Job.run_after <= now),
        and_(Job.status == "running", Job.heartbeat_at < cutoff, Job.attempts < Job.max_attempts),
    )


def claim(worker_id: str, *, session: Session, lease_seconds: float) -> Job | None:
    """Take the oldest runnable job for ``worker_id`` (commits), or None when there is none.

    Runnable: queued and due, or running with a heartbeat older than ``lease_seconds`` (its worker
    died: the job is resumed). A dead worker's job whose attempts are spent is marked failed here.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=lease_seconds)
    dead = and_(Job.status == "running", Job.heartbeat_at < cutoff)
    # A plain read first: an idle queue costs no write (no SQLite write lock, no row locks).
    if session.scalar(select(Job.id).where(or_(_claimable(now, cutoff), dead)).limit(1)) is None:
        session.rollback()
        return None
    # Jobs that killed their worker every time they ran: give up on them, with the reason.
    session.execute(
        update(Job)
        .where(Job.status == "running", Job.heartbeat_at < cutoff, Job.attempts >= Job.max_attempts)
        .values(
            status="failed",
            finished_at=now,
            updated_at=now,
            worker=None,
            error="its worker stopped (lease expired) on every attempt",
        )
        .execution_options(synchronize_session=False)
    )
    pick = select(Job.id).where(_claimable(now, cutoff)).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    job_id = session.execute(
        update(Job)
        .where(Job.id == pick.scalar_subquery(), _claimable(now, cutoff))
        .values(
            status="running",
            worker=worker_id,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.commit()
    if job_id is None:
        return None
    return session.get(Job, job_id, populate_existing=True)


def _owned(job_id: int, worker_id: str | None):  # noqa: ANN202
    cond = [Job.id == job_id, Job.status == "running"]
    if worker_id is not None:
        cond.append(Job.worker == worker_id)
    return and_(*cond)


def _change(job_id: int, worker_id: str | None, session: Session, **values: Any) -> bool:
    values.setdefault("updated_at", utcnow())
    result = session.execute(
        update(Job).where(_owned(job_id, worker_id)).values(**values).execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def heartbeat(job_id: int, *, session: Session, worker_id: str | None = None, progress: float | None = None) -> bool:
    """Keep the lease (and record progress, 0..1). False when the job is no longer this worker's."""
    now = utcnow()
    values: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
    if progress is not None:
        values["progress"] = min(1.0, max(0.0, float(progress)))
    return _change(job_id, worker_id, session, **values)


def complete(job_id: int, *, session: Session, worker_id: str | None = None, video_id: int | None = None) -> bool:
    """Mark done; ``video_id``: the video the job's file became (an index job), recorded on the job.
    False when the job is no longer this worker's (another took it over)."""
    now = utcnow()
    values: dict[str, Any] = {"status": "done", "progress": 1.0, "finished_at": now, "updated_at": now, "error": None}
    if video_id is not None:
        values["video_id"] = video_id
    return _change(job_id, worker_id, session, **values)


def fail(
    job_id: int,
    error: str,
    *,
    session: Session,
    worker_id: str | None = None,
    permanent: bool = False,
    retry_base: float = RETRY_BASE_SECONDS,
) -> bool:
    """Record a failed attempt: queue it again after ``retry_base * 2**attempts`` seconds while attempts
    remain (and the failure is not ``permanent``), else mark it failed. The reason is kept either way."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        session.rollback()
        return False
    now = utcnow()
    attempts, max_attempts = job.attempts, job.max_attempts
    session.rollback()  # end the read; the conditional update below decides
    if permanent or attempts >= max_attempts:
        return _change(
            job_id, worker_id, session, status="failed", error=error, finished_at=now, updated_at=now, worker=None
        )
    return _change(
        job_id,
        worker_id,
        session,
        status="queued",
        error=error,
        worker=None,
        heartbeat_at=None,
        run_after=now + timedelta(seconds=retry_base * 2**attempts),
        updated_at=now,
    )


def release(job_id: int, *, session: Session, worker_id: str | None = None) -> bool:
    """Give a running job back untouched (a worker asked to stop): queued again at once, the attempt
    not counted."""
    now = utcnow()
    return _change(
        job_id,
        worker_id,
        session,
        status="queued",
        worker=None,
        heartbeat_at=None,
        run_after=now,
        attempts=Job.attempts - 1,
        updated_at=now,
    )


def counts(*, session: Session) -> dict[str, int]:
    """How many jobs are in each status."""
    from sqlalchemy import func

    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    out = {s: 0 for s in STATUSES}
    out.update({status: int(n) for status, n in rows})
    return out


def count_jobs(*, session: Session, status: str | None = None) -> int:
    """How many jobs there are, or how many in ``status``."""
    from sqlalchemy import func

    query = select(func.count()).select_from(Job)
    if status is not None:
        query = query.where(Job.status == status)
    return int(session.scalar(query) or 0)


def queued_job_for_video(kind: str, video_id: int, *, session: Session) -> Job | None:
    """The oldest job of ``kind`` about this video still waiting to start, or None."""
    return session.scalar(
        select(Job).where(Job.kind == kind, Job.video_id == video_id, Job.status == "queued").order_by(Job.id).limit(1)
    )


def enqueue_for_video(kind: str, video_id: int, path: str, payload: dict, *, session: Session) -> Job:
    """The job of ``kind`` about this video still waiting to start (the same request again), else a
    new one with ``payload``; the caller commits."""
    waiting = queued_job_for_video(kind, video_id, session=session)
    if waiting is not None:
        return waiting
    return enqueue(kind, session=session, video_id=video_id, path=path, payload=payload)


def active_job_paths(*, session: Session) -> set[str]:
    """The files that queued or running jobs are about."""
    return set(session.scalars(select(Job.path).where(Job.status.in_(ACTIVE), Job.path.is_not(None))))


def video_ids_with_active_jobs(kind: str, *, session: Session) -> set[int]:
    """The videos that queued or running jobs of ``kind`` are about."""
    return set(
        session.scalars(select(Job.video_id).where(Job.status.in_(ACTIVE), Job.kind == kind, Job.video_id.is_not(None)))
    )
