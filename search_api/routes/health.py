"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers and the index is loaded; 503 otherwise",
    responses={
        503: {"description": "Not ready: the model and index are not loaded yet, or the database does not answer."}
    },
)
def readyz(request: Request) -> JSONResponse:  # sync: FastAPI runs it in a thread, the SQL check blocks
    services = getattr(request.app.state, "services", None)
    if services is None:
        return JSONResponse({"detail": "the model and index are not loaded yet"}, status_code=503)
    if not services.database_reachable():
        return JSONResponse({"detail": "the database does not answer"}, status_code=503)
    index = services.library.index()
    return JSONResponse(
        {"status": "ready", "clips": index.count if index else 0, "model": services.engine.encoder.name}
    )
