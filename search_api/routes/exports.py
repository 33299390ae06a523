"""A query's moments as timeline files: OpenTimelineIO, CMX3600 EDL, CSV. Same parameters as search."""

from __future__ import annotations

import re
from functools import partial
from typing import Callable, TypeVar

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from search_api import edl, exports
from search_api.deps import ServicesDep, TextSearchDep
from search_api.response_models import MomentSpan
from search_api.results import moment_spans
from search_api.schemas import TextSearch
from search_api.services import Services
from search_api.text_search import text_page

router = APIRouter(prefix="/api", tags=["exports"])
T = TypeVar("T")


def _moments(services: Services, params: TextSearch) -> list[MomentSpan]:
    page, signals = text_page(services.engine, partial(services.queries.vector, params.q), params)
    return moment_spans(page, params, signals=signals)


def _stem(q: str) -> str:
    """The name of a query's export files, without the extension: ``vidseek-red-car``."""
    return "vidseek-" + (re.sub(r"[^A-Za-z0-9]+", "-", q).strip("-")[:60] or "moments")


def _attachment(body: str | bytes, media_type: str, q: str, suffix: str) -> Response:
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{_stem(q)}.{suffix}"'}
    )


async def _export(services: Services, params: TextSearch, write: Callable[[list[MomentSpan]], T]) -> T:
    # Encoding, search and file writing block: off the event loop, like every search.
    moments = await run_in_threadpool(_moments, services, params)
    try:
        return await run_in_threadpool(write, moments)
    except exports.ExportProblem as exc:
        raise HTTPException(422, str(exc)) from None


def _file(media_type: str, description: str, schema: dict | None = None, *, also: dict | None = None) -> dict:
    """The 200 answer of an export, for the OpenAPI document: a file download of ``media_type`` (or of
    one of ``also``: media type -> schema)."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": schema or {"type": "string"}}, **(also or {})},
            "headers": {
                "Content-Disposition": {
                    "description": '`attachment; filename="vidseek-QUERY.EXT"`',
                    "schema": {"type": "string"},
                }
            },
        }
    }


@router.get(
    "/export.otio",
    summary="The moments as an OpenTimelineIO timeline",
    response_class=Response,
    responses=_file(
        "application/json",
        "An OpenTimelineIO timeline (JSON), one clip per moment.",
        {
            "type": "object",
            "required": ["OTIO_SCHEMA"],
            "properties": {"OTIO_SCHEMA": {"type": "string", "examples": ["Timeline.1"]}},
        },
    ),
)
async def export_otio(params: TextSearchDep, services: ServicesDep) -> Response:
    body = await _export(services, params, lambda moments: exports.to_otio(moments, params.q))
    return _attachment(body, "application/json", params.q, "otio")


@router.get(
    "/export.edl",
    summary="The moments as CMX3600 EDLs, one per frame rate",
    response_class=Response,
    responses=_file(
        "text/plain",
        "A CMX3600 EDL, one event per moment, when the moments' videos share one frame rate; a zip "
        "(`vidseek-QUERY.zip`) of one EDL per rate (`vidseek-QUERY-25fps.edl`, `vidseek-QUERY-29.97fps.edl`, "
        "...) when they do not.",
        also={"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    ),
)
async def export_edl(params: TextSearchDep, services: ServicesDep) -> Response:
    files = await _export(services, params, lambda moments: edl.edl_files(moments, params.q, _stem(params.q)))
    if len(files) == 1:
        return _attachment(next(iter(files.values())), "text/plain; charset=utf-8", params.q, "edl")
    return _attachment(edl.edl_zip(files), "application/zip", params.q, "zip")


@router.get(
    "/export.csv",
    summary="The moments as CSV: seconds, frames and timecodes",
    response_class=Response,
    responses=_file("text/csv", "CSV with a header row, one row per moment."),
)
async def export_csv(params: TextSearchDep, services: ServicesDep) -> Response:
    body = await _export(services, params, exports.to_csv)
    return _attachment(body, "text/csv; charset=utf-8", params.q, "csv")
