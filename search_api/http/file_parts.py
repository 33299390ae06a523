"""File parts of multipart request bodies, declared as code generators read them.

FastAPI writes an ``UploadFile`` part as ``{"type": "string", "contentMediaType":
"application/octet-stream"}`` (OpenAPI 3.1's own way), which generators such as
openapi-python-client read as a text field: their clients then send the file's name as text and get
a 422. ``binary_parts`` adds ``format: binary`` (the 3.0 way, still valid in 3.1) to every such part,
so a generated client sends the file's bytes. Like ``search_api.http.error_model`` it works on the
generated document, not on FastAPI's route objects.
"""

from __future__ import annotations

from fastapi import FastAPI

MULTIPART = "multipart/form-data"
COMPONENTS = "#/components/schemas/"


def _binary(field: dict) -> None:
    """``format: binary`` on a file field (or on the items of a list of files)."""
    if field.get("type") == "array" and isinstance(field.get("items"), dict):
        _binary(field["items"])
    elif field.get("type") == "string" and "contentMediaType" in field:
        field.setdefault("format", "binary")
    for choice in field.get("anyOf", []):  # an optional file: anyOf [file, null]
        _binary(choice)


def binary_parts(schema: dict) -> dict:
    """Every file part of every multipart body of ``schema`` (an OpenAPI document) as ``format: binary``."""
    components = schema.get("components", {}).get("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(MULTIPART, {}).get("schema", {})
            ref = body.get("$ref", "")
            if ref.startswith(COMPONENTS):
                body = components.get(ref[len(COMPONENTS) :], {})
            for field in body.get("properties", {}).values():
                _binary(field)
    return schema


def install_binary_parts(app: FastAPI) -> None:
    """``app.openapi()`` then declares file parts as binary (idempotent: safe on the cached document)."""
    generate = app.openapi

    def openapi() -> dict:
        return binary_parts(generate())

    app.openapi = openapi  # type: ignore[method-assign]
