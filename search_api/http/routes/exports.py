"""A query's moments as files editors import: OpenTimelineIO, CMX3600 EDL, CSV, FCPXML (Final Cut Pro),
FCP7 XML (Premiere Pro), Resolve marker EDLs. Same parameters as search; the bytes are
``editor_exports.export_file``'s, as ``vidseek export`` writes them."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from search_api.exports import formats as exports
from search_api.exports.editor_exports import MAX_HANDLES, PLAIN, ExportFile, TimelineOptions, export_file, find_moments
from search_api.http.deps import ServicesDep, TextSearchDep
from search_api.http.schemas import TextSearch
from search_api.http.services import Services

router = APIRouter(prefix="/api", tags=["exports"])

Handles = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_HANDLES,
        allow_inf_nan=False,
        description="Seconds of pre- and post-roll either side of each moment, clamped to its video.",
    ),
]
TimelineRate = Annotated[
    float | None,
    Query(
        gt=0,
        le=120,
        allow_inf_nan=False,
        description="The timeline's frame rate (23.976, 24, 25, 29.97, 30, 48, 50, "
        "59.94, 60); default: the first moment's video's. Drop-frame at 29.97 and 59.94.",
    ),
]
StartTimecode = Annotated[
    str | None,
    Query(pattern=r"^\d\d:\d\d:\d\d[:;.]\d\d$", description="The timeline's start timecode; default 01:00:00:00."),
]


WholeLines = Annotated[
    Literal["as_found", "whole"],
    Query(
        description="'whole': each moment widened to the whole subtitle lines said over it (its start back to "
        "the first's start, its end on to the last's end)."
    ),
]


SnapShots = Annotated[
    Literal["as_found", "snap"],
    Query(
        description="'snap': each edge of a moment within a second of a cut between shots moves onto the cut "
        "(videos indexed with shots; see README: shots)."
    ),
]


def _write(
    services: Services, params: TextSearch, fmt: str, options: TimelineOptions, lines: str, shots: str
) -> ExportFile:
    query = partial(services.queries.vector, params.q)
    moments = find_moments(services.engine, query, params, whole_lines=lines == "whole", snap_to_shots=shots == "snap")
    return export_file(fmt, moments, params.q, options)


async def _export(
    services: Services,
    params: TextSearch,
    fmt: str,
    options: TimelineOptions = PLAIN,
    lines: str = "as_found",
    shots: str = "as_found",
) -> Response:
    # Encoding, search and file writing block: off the event loop, like every search.
    try:
        file = await run_in_threadpool(_write, services, params, fmt, options, lines, shots)
    except exports.ExportProblem as exc:
        raise HTTPException(422, str(exc)) from None
    return Response(
        file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.file_name}"'},
    )


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
async def export_otio(params: TextSearchDep, services: ServicesDep, shots: SnapShots = "as_found") -> Response:
    return await _export(services, params, "otio", shots=shots)


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
async def export_edl(params: TextSearchDep, services: ServicesDep, shots: SnapShots = "as_found") -> Response:
    return await _export(services, params, "edl", shots=shots)


@router.get(
    "/export.csv",
    summary="The moments as CSV: seconds, frames and timecodes",
    response_class=Response,
    responses=_file("text/csv", "CSV with a header row, one row per moment."),
)
async def export_csv(params: TextSearchDep, services: ServicesDep, shots: SnapShots = "as_found") -> Response:
    return await _export(services, params, "csv", shots=shots)


@router.get(
    "/export.fcpxml",
    summary="The moments as a Final Cut Pro project (FCPXML 1.10)",
    response_class=Response,
    responses=_file(
        "text/xml",
        "FCPXML 1.10: one asset per video, a project whose spine holds one clip per moment (handles "
        "included), each with a marker over the moment and a keyword naming its relevance band.",
    ),
)
async def export_fcpxml(
    params: TextSearchDep,
    services: ServicesDep,
    handles: Handles = 0.0,
    rate: TimelineRate = None,
    start: StartTimecode = None,
    lines: WholeLines = "as_found",
    shots: SnapShots = "as_found",
) -> Response:
    return await _export(services, params, "fcpxml", TimelineOptions(handles, rate, start), lines, shots)


@router.get(
    "/export.xml",
    summary="The moments as a Final Cut Pro 7 XML sequence (xmeml), for Premiere Pro",
    response_class=Response,
    responses=_file(
        "text/xml",
        "xmeml version 4: one sequence, one clip item per moment (handles included), each with a marker "
        "over the moment and a colour label for its relevance band.",
    ),
)
async def export_xmeml(
    params: TextSearchDep,
    services: ServicesDep,
    handles: Handles = 0.0,
    rate: TimelineRate = None,
    start: StartTimecode = None,
    lines: WholeLines = "as_found",
    shots: SnapShots = "as_found",
) -> Response:
    return await _export(services, params, "xmeml", TimelineOptions(handles, rate, start), lines, shots)


@router.get(
    "/export.markers.edl",
    summary="The moments as DaVinci Resolve timeline markers (an EDL)",
    response_class=Response,
    responses=_file(
        "text/plain",
        "An EDL of timeline markers (`|C:ResolveColorGreen |M:QUERY |D:FRAMES`), one per moment, where the "
        "FCPXML and xmeml exports with the same parameters place it.",
    ),
)
async def export_resolve_markers(
    params: TextSearchDep,
    services: ServicesDep,
    handles: Handles = 0.0,
    rate: TimelineRate = None,
    start: StartTimecode = None,
    lines: WholeLines = "as_found",
    shots: SnapShots = "as_found",
) -> Response:
    return await _export(services, params, "resolve-markers", TimelineOptions(handles, rate, start), lines, shots)
