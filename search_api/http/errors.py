"""Errors as JSON ``{"detail": "..."}`` naming the parameter that is wrong; never a stack trace.

The body is ``search_api.http.error_model.ErrorBody``, which the OpenAPI document declares for every error.
A method a path does not take is 405 with ``Allow`` listing every method of that path; ``OPTIONS`` is
answered 204 with the same ``Allow`` (CORS preflights, when CORS is on, are answered before this by
CORSMiddleware). vidseek's own errors (``vidseek.errors.VidseekError``) are their sentence with the
status of ``vidseek_status``, never a 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from search_api.http.error_model import error_response
from search_api.http.headers import security_headers
from vidseek.errors import (
    Conflict,
    DecodeError,
    ModelChangedError,
    ModelError,
    ModelMismatchError,
    StorageError,
    VidseekError,
)

log = logging.getLogger(__name__)

_SOURCES = {"query": "query parameters", "body": "request body", "path": "path", "header": "headers"}


def describe_validation(errors: list[dict]) -> str:
    """``limit: Input should be less than or equal to 1000; q: Field required``."""
    parts = []
    for error in errors:
        source, *field = [str(part) for part in error.get("loc", ())] or ["request"]
        where = ".".join(field) if field else _SOURCES.get(source, source)
        if error.get("type") == "json_invalid":  # loc is ("body", position): name the body, not "0"
            where = _SOURCES["body"]
        parts.append(f"{where}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(422, describe_validation(list(exc.errors())))


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path takes, and OPTIONS (answered here, see the docstring).

    Found by asking the routes themselves whether each method fully matches, so the answer is the
    router's own (a path served by several routes, e.g. GET and POST /api/videos, lists all of them)."""
    allowed = []
    scope = request.scope  # inside a Mount (/static) its root_path is the mount's: start from the app's
    root_path = scope.get("app_root_path", scope.get("root_path", ""))
    for method in METHODS:
        probe = {**scope, "method": method, "root_path": root_path}
        for route in request.app.router.routes:
            match, _ = route.matches(probe)
            if match == Match.FULL and (not isinstance(route, Mount) or method in ("GET", "HEAD")):
                allowed.append(method)
                break
    return allowed + ["OPTIONS"]


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    allow = ", ".join(allowed_methods(request))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow})
    return error_response(
        405, f"{request.method} is not a method of {request.url.path}; it takes {allow}", headers={"Allow": allow}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    # Answered by Starlette's outermost middleware, outside search_api.http.headers: the headers go on here.
    return error_response(
        500,
        f"internal error ({type(exc).__name__}); the server log has the details",
        headers=security_headers(request.url.path),
    )


VIDSEEK_STATUSES: dict[type[VidseekError], int] = {
    ModelChangedError: 503,  # a re-embed switched models during the query, and again during its one retry
    ModelMismatchError: 503,  # the library's model is one this server cannot load or was not started with
    ModelError: 503,  # the server's model cannot be loaded
    StorageError: 503,  # a file of the library cannot be used as it is
    DecodeError: 422,  # the media sent cannot be decoded
    Conflict: 409,  # work already under way clashes with the request (a re-embed queued or running)
}
"""The status of each of vidseek's own errors; any other ``VidseekError`` is 422 (the request cannot be
answered as asked; declared on every operation that takes parameters)."""

WITHHELD = (ModelError, StorageError)
"""Errors whose message names host paths: the sentence goes to the server log, the answer says what kind."""


def vidseek_status(exc: VidseekError) -> int:
    return next((status for kind, status in VIDSEEK_STATUSES.items() if isinstance(exc, kind)), 422)


async def _vidseek_error(request: Request, exc: VidseekError) -> JSONResponse:
    status = vidseek_status(exc)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, WITHHELD):
        log.error("%s %s: %s", request.method, request.url.path, detail)
        detail = (
            f"the server cannot answer this right now ({type(exc).__name__}: its model or library files "
            "need an operator); the server log says what to fix"
        )
    return error_response(status, detail)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(VidseekError, _vidseek_error)
    app.add_exception_handler(Exception, _unexpected)
