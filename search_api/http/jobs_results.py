"""Jobs as the API shows them (``search_api.http.job_models``), with what only an owner may see taken
out for an anonymous caller."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response

from search_api.http.job_models import JobInfo, JobList
from vidseek.storage.clock import as_utc
from vidseek.storage.jobs import payload_of
from vidseek.storage.tables import Job

PRIVATE_PAYLOAD = ("key", "original_name")
"""Payload fields only an owner sees: the prefix of the key that asked, the name the upload was sent as."""


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value is not None else None


def job_info(job: Job, *, private: bool = True) -> JobInfo:
    """The job as the API shows it. ``private=False`` (an anonymous caller): no host path (``path`` is
    null, and the path is cut out of ``error``), no worker (a host name and process id), no key prefix
    and no original upload name."""
    payload, path, error, worker = payload_of(job), job.path, job.error, job.worker
    if not private:
        payload = {k: v for k, v in payload.items() if k not in PRIVATE_PAYLOAD}
        if path and error:
            error = error.replace(path, "the job's file")
        path = worker = None
    return JobInfo(
        id=job.id,
        kind=job.kind,
        status=job.status,
        video_id=job.video_id,
        path=path,
        progress=float(job.progress or 0.0),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        error=error,
        payload=payload,
        worker=worker,
        created_at=_iso(job.created_at),
        updated_at=_iso(job.updated_at),
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
    )


def job_list(page: list[Job], *, total: int, counts: dict[str, int], limit: int, offset: int, private: bool) -> JobList:
    """A page of jobs (``GET /api/jobs``)."""
    items = [job_info(j, private=private) for j in page]
    return JobList(
        jobs=items,
        total=total,
        counts=counts,
        limit=limit,
        offset=offset,
        next_offset=offset + len(items) if offset + len(items) < total else None,
    )


def accepted(job: JobInfo, response: Response) -> JobInfo:
    """The 202 answer of a write route: the job queued, with ``Location`` to follow it."""
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job
