"""An HTTPException as the API's JSON error response, for code outside the routes (middleware)."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse


def json_error_response(exc: HTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
