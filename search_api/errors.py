"""Errors as JSON ``{"detail": "..."}`` naming the parameter that is wrong; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

_SOURCES = {"query": "query parameters", "body": "request body", "path": "path", "header": "headers"}


def describe_validation(errors: list[dict]) -> str:
    """``limit: Input should be less than or equal to 1000; q: Field required``."""
    parts = []
    for error in errors:
        source, *field = [str(part) for part in error.get("loc", ())] or ["request"]
        where = ".".join(field) if field else _SOURCES.get(source, source)
        parts.append(f"{where}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": describe_validation(list(exc.errors()))}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return JSONResponse({"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
