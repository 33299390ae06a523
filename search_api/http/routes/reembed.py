"""Changing the library's model over HTTP: ``POST /api/reembed`` queues a re-embed job (202).

Search keeps answering with the old model until the job has embedded every video and built the new
index; then every process switches (``indexer.reembed``). Needs an API key, like every write.
``python:`` encoder specs are refused here: they import code on the server, so they are chosen on
the server's command line (``vidseek reembed --queue python:MODULE:ATTR``).

The spec is checked before it is queued (``vidseek.models.encoders.check_spec``, without building the
model): an unknown architecture or tag, a missing weights file, or pretrained weights neither cached
here nor fetchable within a few seconds is a 422 saying so, instead of a job that holds a worker
in network retries and then fails.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from search_api.http.deps import ServicesDep
from search_api.http.job_models import JobInfo
from search_api.http.jobs_results import accepted, job_info
from search_api.http.security import WriteKeyDep
from vidseek.errors import ModelError
from vidseek.models.encoders import check_spec
from vidseek.storage import jobs

router = APIRouter(prefix="/api", tags=["library"])


class ReembedRequest(BaseModel):
    model: str = Field(
        min_length=1,
        max_length=1000,
        description="The new model spec, e.g. ViT-B-16:openai.",
        examples=["ViT-B-16:openai"],
    )


@router.post(
    "/reembed",
    status_code=202,
    response_model=JobInfo,
    summary="Move the library to another model; queues a re-embed job",
    responses={
        401: {"description": "No valid API key (`Authorization: Bearer KEY`)."},
        409: {"description": "A re-embed is already queued or running, or the library already uses this model."},
        422: {
            "description": "`model` is missing, not allowed over HTTP, or cannot be loaded "
            "here (unknown architecture or tag, weights not fetchable)."
        },
    },
)
def reembed(body: ReembedRequest, caller: WriteKeyDep, services: ServicesDep, response: Response) -> JobInfo:
    spec = body.model.strip()
    if spec.startswith("python:"):
        raise HTTPException(
            422,
            "model: custom python: encoders import code on the server, so they can only be "
            "chosen there: `vidseek reembed --queue python:MODULE:ATTR`",
        )
    with services.library.sessions() as session:
        jobs.refuse_if_reembed_active(session=session)  # vidseek.errors.Conflict: 409
        if services.library.model_name() is None:
            raise HTTPException(409, "the index is empty: nothing to re-embed; set VIDSEEK_MODEL and index")
    try:
        check_spec(spec)  # a few seconds at most (this handler runs in a worker thread, off the event loop)
    except ModelError as exc:
        raise HTTPException(422, f"model: {exc}") from None
    with services.library.sessions() as session:
        jobs.refuse_if_reembed_active(
            session=session
        )  # vidseek.errors.Conflict: 409  # again: one may have been queued while the spec was checked
        job = jobs.enqueue("reembed", session=session, payload={"model": spec, "key": caller.key_prefix})
        session.commit()
        queued = job_info(job)
    return accepted(queued, response)
