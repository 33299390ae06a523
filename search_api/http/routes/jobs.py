"""Background jobs (index, reindex, delete, reembed): list them, follow one.

Anyone who may read sees every job, but only a caller with a valid key sees where its file lies on
the server, which worker (host and process) runs it, which key queued it and what an upload was called
(``jobs_results.job_info(private=...)``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from search_api.http.deps import JobId, ServicesDep
from search_api.http.job_models import JobInfo, JobList
from search_api.http.jobs_results import job_info, job_list
from search_api.http.schemas import MAX_ID
from vidseek.storage import jobs

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

MAX_JOBS_PAGE = 500


def _owner(request: Request) -> bool:
    """The caller sent a valid key (``search_api.http.security.Caller``)."""
    caller = getattr(request.state, "caller", None)
    return caller is not None and caller.key_id is not None


@router.get("", response_model=JobList, summary="Jobs, newest first; filter by status, page with limit and offset")
def list_jobs(
    request: Request,
    services: ServicesDep,
    status: Annotated[
        Literal["queued", "running", "done", "failed"] | None, Query(description="Only jobs in this state.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_JOBS_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> JobList:
    with services.library.sessions() as session:
        page = jobs.list_jobs(session=session, status=status, limit=limit, offset=offset)
        counts = jobs.counts(session=session)
        total = jobs.count_jobs(session=session, status=status)
        return job_list(page, total=total, counts=counts, limit=limit, offset=offset, private=_owner(request))


@router.get(
    "/{job_id}",
    response_model=JobInfo,
    summary="One job: status, progress (0..1), attempts, error",
    responses={404: {"description": "No job has this id."}},
)
def get_job(job_id: JobId, request: Request, services: ServicesDep) -> JobInfo:
    with services.library.sessions() as session:
        job = jobs.get_job(job_id, session=session)
        if job is None:
            raise HTTPException(404, f"no job has id {job_id}")
        return job_info(job, private=_owner(request))
