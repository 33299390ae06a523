"""The OpenAPI document read by its reference validator (openapi-spec-validator), as each configuration
serves it, and its file parts and file answers declared as binary, the way code generators read them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from search_api.http.app import create_app
from search_api.http.file_parts import binary_parts
from vidseek.config import Settings

from .conftest import COLOUR_MODEL, ServedLibrary

BINARY = {"type": "string", "format": "binary"}

CONFIGURATIONS = {
    "reads open, local": ({}, None),
    "keys needed for reads": ({"require_key_for_reads": True}, None),
    "served to other machines": ({}, "0.0.0.0"),
    "cors and a rate limit": ({"cors_origins": ["https://editor.example"], "rate_limit_per_minute": 60}, None),
}


@pytest.mark.parametrize("overrides, serve_host", CONFIGURATIONS.values(), ids=list(CONFIGURATIONS))
def test_the_document_is_valid_openapi_3_1(tmp_path: Path, overrides: dict, serve_host: str | None) -> None:
    settings = Settings(data_dir=tmp_path, model=COLOUR_MODEL, **overrides)
    document = TestClient(create_app(settings, serve_host=serve_host)).get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_served_document_with_a_library_is_valid(served: ServedLibrary) -> None:
    validate(served.client.get("/openapi.json").json(), cls=OpenAPIV31SpecValidator)


def test_operation_ids_are_the_route_names(served: ServedLibrary) -> None:
    document = served.client.get("/openapi.json").json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/api/search/image"]["post"]["operationId"] == "search_image"


def _schema(document: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


@pytest.mark.parametrize("path", ["/api/search/image", "/api/videos"])
def test_file_parts_are_binary(served: ServedLibrary, path: str) -> None:
    document = served.client.get("/openapi.json").json()
    body = document["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    file = _schema(document, body)["properties"]["file"]
    assert file["type"] == "string" and file["format"] == "binary"


def test_binary_parts_marks_optional_and_listed_files() -> None:
    ref = "#/components/schemas/B"
    part = {"type": "string", "contentMediaType": "application/octet-stream"}
    document = {
        "paths": {"/x": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": {"$ref": ref}}}}}}},
        "components": {
            "schemas": {
                "B": {
                    "properties": {
                        "one": dict(part),
                        "maybe": {"anyOf": [dict(part), {"type": "null"}]},
                        "many": {"type": "array", "items": dict(part)},
                        "name": {"type": "string"},
                    }
                }
            }
        },
    }
    fields = binary_parts(document)["components"]["schemas"]["B"]["properties"]
    assert fields["one"]["format"] == fields["maybe"]["anyOf"][0]["format"] == fields["many"]["items"]["format"]
    assert fields["one"]["format"] == "binary" and "format" not in fields["name"]


def test_file_answers_are_binary(served: ServedLibrary) -> None:
    paths = served.client.get("/openapi.json").json()["paths"]
    thumbnail = paths["/api/videos/{video_id}/thumbnail"]["get"]["responses"]["200"]["content"]
    assert thumbnail == {"image/jpeg": {"schema": BINARY}, "application/octet-stream": {"schema": BINARY}}
    stream = paths["/api/videos/{video_id}/stream"]["get"]["responses"]
    for status in ("200", "206"):
        assert stream[status]["content"]["application/octet-stream"] == {"schema": BINARY}
    edl = paths["/api/export.edl"]["get"]["responses"]["200"]["content"]
    assert edl == {"text/plain": {"schema": {"type": "string"}}, "application/zip": {"schema": BINARY}}
