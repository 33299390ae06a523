"""Errors as JSON ``{"detail": "..."}`` naming the parameter that is wrong; never a stack trace.

The body is ``search_api.error_model.ErrorBody``, which the OpenAPI document declares for every error.
A method a path does not take is 405 with ``Allow`` listing every method of that path; ``OPTIONS`` is
answered 204 with the same ``Allow`` (CORS preflights, when CORS is on, are answered before this by
CORSMiddleware).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from search_api.headers import security_headers

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
    return JSONResponse({"detail": describe_validation(list(exc.errors()))}, status_code=422)


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
    return JSONResponse({"detail": f"{request.method} is not a method of {request.url.path}; it takes {allow}"},
                        status_code=405, headers={"Allow": allow})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    # Answered by Starlette's outermost middleware, outside search_api.headers: the headers go on here.
    return JSONResponse({"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
                        status_code=500, headers=security_headers(request.url.path))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
