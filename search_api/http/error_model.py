"""The one error body of the API, and the error answers every operation declares in the OpenAPI document.

Every error is ``{"detail": "..."}``: a sentence that names the parameter at fault (422 joins them:
``limit: ...; q: ...``, see ``search_api.http.errors``). A few answers add fields: a 409 on upload has
``duplicate_of`` and ``video`` (or ``duplicate_of_job`` and ``job``). ``ErrorBody`` is that shape, and
``install_error_model`` declares it, in one place, for every status each operation can answer, so a
generated client can read every answer:

- every operation: 413 (request bodies are limited, ``search_api.http.body_limit``) and 500;
- every ``/api`` operation: 401 (keys may be needed for reads), 429 (rate limit), 503 (not loaded);
- with parameters or a body: 422 (FastAPI's own ``HTTPValidationError`` list is replaced: that is not
  what the server sends); with a body: 400 (FastAPI's answer to a body it cannot read at all); with
  a path parameter (an id): 404;
- writes (they declare the bearer scheme, ``WriteKeyDep``): 401 and 403;
- what a route declares itself (409, 415, 416, ...), and ``EXTRA_STATUSES`` for answers its code
  gives that the rules above do not see.

It works on the generated document (FastAPI's "extending OpenAPI"), not on FastAPI's route objects,
so it does not depend on how a FastAPI version keeps included routers. A route's own description of
a status is kept; only the body schema (and the standard headers) are added.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

ERROR_SCHEMA = "ErrorBody"
REF = f"#/components/schemas/{ERROR_SCHEMA}"


class ErrorBody(BaseModel):
    """What every error answer carries; only ``detail`` is always there."""

    model_config = ConfigDict(extra="allow", title=ERROR_SCHEMA)

    detail: str = Field(description="What is wrong, naming the parameter (422: `name: problem; name: problem`).")
    duplicate_of: int | None = Field(None, description="409 on upload: the indexed video with the same content.")
    video: dict[str, Any] | None = Field(None, description="409 on upload: that video, as `GET /api/videos/{id}`.")
    duplicate_of_job: int | None = Field(None, description="409 on upload: the queued job with the same content.")
    job: dict[str, Any] | None = Field(None, description="409 on upload: that job, as `GET /api/jobs/{id}`.")


DESCRIPTIONS = {
    400: "The request body could not be read at all (not UTF-8 JSON, a broken multipart body).",
    401: "No valid API key: send `Authorization: Bearer KEY` (writes always need one; reads when the server "
    "sets VIDSEEK_REQUIRE_KEY_FOR_READS).",
    403: "This server is reachable from other machines and no API key exists yet: create one first.",
    404: "Nothing has this id (`detail` says which).",
    409: "Conflicts with the library as it is (`detail` says how).",
    410: "The video's file can no longer be read (`detail` says what to do).",
    413: "The request body is larger than this server accepts.",
    415: "Not a media type this operation takes.",
    416: "The Range asks only for bytes past the end of the file (`Content-Range: bytes */SIZE`).",
    422: "A parameter is wrong: `detail` names each one (`limit: ...; q: ...`).",
    429: "Too many requests from this key or address: retry after `Retry-After` seconds.",
    500: "An unexpected error; the server log has the details.",
    503: "The server cannot answer now: the model and index are not loaded yet, the database or a library file "
    "cannot be used, or the library's model changed during the query (ask again); `detail` says which.",
}

HEADERS = {
    401: {"WWW-Authenticate": {"description": '`Bearer realm="vidseek"`.', "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds until a request is allowed again.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    416: {"Content-Range": {"description": "`bytes */SIZE`.", "schema": {"type": "string"}}},
}

HTTP_METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}

EXTRA_STATUSES: dict[tuple[str, str], set[int]] = {
    ("GET", "/api/search/similar"): {404},  # clip_id names no clip
    ("GET", "/api/videos/{video_id}/thumbnail"): {410},  # the file can no longer be decoded
}
"""Statuses an operation answers that neither its route nor the rules above declare."""


def error_response(status: int, detail: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer: ``ErrorBody`` with just its ``detail``."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def http_error_response(exc: HTTPException) -> JSONResponse:
    """An HTTPException as an error answer, for code outside the routes (middleware)."""
    return error_response(exc.status_code, exc.detail, headers=exc.headers)


def error_statuses(path: str, method: str, operation: dict) -> set[int]:
    """Every error status ``method path`` can answer, from its OpenAPI ``operation`` (see the module docstring)."""
    parameters = operation.get("parameters") or []
    body = operation.get("requestBody") or {}
    statuses = {413, 500}
    if path.startswith("/api"):
        statuses |= {401, 429, 503}
    if parameters or body:
        statuses.add(422)
    if body:
        statuses.add(400)  # FastAPI's answer to a body it cannot read at all (not UTF-8, broken multipart)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if operation.get("security"):  # the write routes: WriteKeyDep puts the bearer scheme there
        statuses |= {401, 403}
    statuses |= {int(code) for code in operation.get("responses", {}) if code.isdigit() and int(code) >= 400}
    statuses |= EXTRA_STATUSES.get((method.upper(), path), set())
    return statuses


def _declare(operation: dict, statuses: set[int]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        answer = responses.setdefault(str(status), {})
        answer.setdefault("description", DESCRIPTIONS.get(status, "Error"))
        answer["content"] = {"application/json": {"schema": {"$ref": REF}}}
        if status in HEADERS:
            answer.setdefault("headers", {}).update(HEADERS[status])


def _drop_unused_validation_schemas(schema: dict) -> None:
    """FastAPI's ``HTTPValidationError`` and ``ValidationError``, once nothing refers to them."""
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        others = {k: v for k, v in components.items() if k != name}
        if name in components and f'"#/components/schemas/{name}"' not in json.dumps([schema.get("paths"), others]):
            del components[name]


def document_errors(schema: dict) -> dict:
    """Declare ``ErrorBody`` in ``schema`` (an OpenAPI document) for every error each operation can answer."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                _declare(operation, error_statuses(path, method, operation))
    _drop_unused_validation_schemas(schema)
    return schema


def install_error_model(app: FastAPI) -> None:
    """``app.openapi()`` then declares the error body everywhere (computed once, like FastAPI's own)."""
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()  # FastAPI's, cached (made again when routes are added)
        if ERROR_SCHEMA not in schema.get("components", {}).get("schemas", {}):
            document_errors(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
