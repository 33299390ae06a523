"""The JSON answers about background jobs, declared once: ``search_api.http.jobs_results`` builds them,
``GET /api/jobs``, ``GET /api/jobs/{id}`` and the write routes (202: the job queued) return them.
Field order is the JSON's order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class JobInfo(BaseModel):
    """One job. An anonymous caller sees no host path (``path`` is null and the path is cut out of
    ``error``), no worker (its host name and process id), no key prefix and no original upload name
    in ``payload``."""

    id: int
    kind: Literal["index", "reindex", "delete", "reembed", "transcribe", "read-text"]
    status: Literal["queued", "running", "done", "failed"]
    video_id: int | None = Field(
        description="The video the job is about; an index job (an upload) names the video its file became "
        "once it is done (null before, and for a file that was not indexed)."
    )
    path: str | None = Field(description="The file on the server; null for an anonymous caller.")
    progress: float = Field(description="0..1.")
    attempts: int
    max_attempts: int
    error: str | None = Field(description="Why the last attempt failed.")
    payload: dict[str, Any] = Field(description="What the job was queued with (source, title, model, ...).")
    worker: str | None = Field(
        description="The worker running the job (`HOST:PID:TAG`); null when none is, and for an anonymous caller."
    )
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str
    started_at: str | None
    finished_at: str | None


class JobList(BaseModel):
    jobs: list[JobInfo]
    total: int = Field(description="Jobs in the asked status (or all).")
    counts: dict[str, int] = Field(description="How many jobs are in each status.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last page.")
