"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from search_api.http.error_model import error_response
from search_api.http.response_models import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    summary="The database answers and the index is loaded; 503 otherwise",
    responses={
        503: {"description": "Not ready: the model and index are not loaded yet, or the database does not answer."}
    },
)
def readyz(request: Request) -> Ready | JSONResponse:  # sync: FastAPI runs it in a thread, the SQL check blocks
    services = getattr(request.app.state, "services", None)
    if services is None:
        return error_response(503, "the model and index are not loaded yet")
    if not services.database_reachable():
        return error_response(503, "the database does not answer")
    index = services.library.index()
    return Ready(status="ready", clips=index.count if index else 0, model=services.engine.encoder.name)
