"""The HTTP contract: the OpenAPI document says what the server answers (one error body, every
status), OPTIONS is answered, Range follows RFC 9110, and every response carries security headers."""

from __future__ import annotations

import jsonschema
import pytest
from fastapi.testclient import TestClient

from api.conftest import ServedLibrary
from search_api.http.app import create_app

ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture(scope="module")
def spec(served: ServedLibrary) -> dict:
    return served.client.get("/openapi.json").json()


def operations(spec: dict):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def error_schema(spec: dict) -> dict:
    """ErrorBody as a standalone JSON schema (components inlined for the validator)."""
    return {**spec["components"]["schemas"]["ErrorBody"], "components": spec["components"]}


def assert_documented(spec: dict, path: str, method: str, response) -> None:
    """The answer's status is declared for the operation, and its body matches the declared schema."""
    declared = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in declared, f"{method.upper()} {path} answered {status}, declares {sorted(declared)}"
    content = declared[status].get("content", {})
    assert "application/json" in content and content["application/json"]["schema"] == {"$ref": ERROR_REF}
    jsonschema.validate(response.json(), error_schema(spec))
    assert isinstance(response.json()["detail"], str)


# ---------------------------------------------------------------- one error model, declared everywhere


def test_every_error_status_of_every_operation_has_the_error_body(spec: dict) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["ErrorBody"]["properties"]["detail"]["type"] == "string"
    for path, method, op in operations(spec):
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert "500" in errors and "413" in errors, (method, path, sorted(op["responses"]))
        for code, answer in errors.items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            assert schema == {"$ref": ERROR_REF}, (method, path, code, answer)
        if path.startswith("/api"):
            assert {"401", "429", "503"} <= set(errors), (method, path, sorted(errors))
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)


def test_writes_declare_401_403_and_the_upload_its_409_415(spec: dict) -> None:
    for path, method in [
        ("/api/videos", "post"),
        ("/api/videos/{video_id}", "delete"),
        ("/api/videos/{video_id}/reindex", "post"),
        ("/api/reembed", "post"),
    ]:
        assert {"401", "403", "422"} <= set(spec["paths"][path][method]["responses"]), (method, path)
    upload = spec["paths"]["/api/videos"]["post"]["responses"]
    assert {"409", "413", "415"} <= set(upload)
    assert upload["409"]["description"].startswith("The same content")  # the route's own words are kept
    props = spec["components"]["schemas"]["ErrorBody"]["properties"]
    assert {"duplicate_of", "duplicate_of_job", "video", "job"} <= set(props)
    assert "Retry-After" in spec["paths"]["/api/search"]["get"]["responses"]["429"]["headers"]


@pytest.mark.parametrize(
    "method, url, path, kwargs",
    [
        ("get", "/api/search?q=red&limit=0", "/api/search", {}),
        ("get", "/api/search?limit=5", "/api/search", {}),
        ("post", "/api/search", "/api/search", {"json": {"q": "red", "negative_weight": 9}}),
        (
            "post",
            "/api/search",
            "/api/search",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("get", "/api/videos/424242", "/api/videos/{video_id}", {}),
        ("get", "/api/videos/424242/stream", "/api/videos/{video_id}/stream", {}),
        ("get", "/api/videos/abc", "/api/videos/{video_id}", {}),
        ("get", "/api/jobs/424242", "/api/jobs/{job_id}", {}),
        ("get", "/api/jobs?status=lost", "/api/jobs", {}),
        ("get", "/api/search/similar?clip_id=424242", "/api/search/similar", {}),
        ("get", "/api/export.csv", "/api/export.csv", {}),
        ("post", "/api/videos", "/api/videos", {"content": b"x", "headers": {"content-type": "text/plain"}}),
        ("post", "/api/reembed", "/api/reembed", {"json": {"model": "ViT-B-16:openai"}}),
        (
            "post",
            "/api/search/image",
            "/api/search/image",
            {"content": b"--b\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=b"}},
        ),
        (
            "post",
            "/api/search",
            "/api/search",
            {"content": b"{" + b" " * (2 * 1024**2) + b"}", "headers": {"content-type": "application/json"}},
        ),
    ],
)
def test_real_error_answers_are_declared_and_match_the_schema(
    client: TestClient, spec: dict, method: str, url: str, path: str, kwargs: dict
) -> None:
    response = client.request(method.upper(), url, **kwargs)
    assert response.status_code >= 400, response.text
    assert_documented(spec, path, method, response)


def test_422_keeps_its_string_detail(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "red", "limit": 0, "min_relevance": "some"}).json()
    assert isinstance(body["detail"], str)
    assert "limit:" in body["detail"] and "min_relevance:" in body["detail"]
    broken = client.post("/api/search", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["detail"].startswith("request body: JSON decode error")


def test_unexpected_errors_are_json_with_security_headers(served: ServedLibrary) -> None:
    app = create_app(served.settings)

    @app.get("/api/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500 and "RuntimeError" in response.json()["detail"]
    assert "kaboom" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# ---------------------------------------------------------------- OPTIONS and 405


@pytest.mark.parametrize(
    "url, allow",
    [
        ("/api/videos", "GET, POST, OPTIONS"),
        ("/api/videos/{red}", "GET, DELETE, OPTIONS"),
        ("/api/videos/{red}/stream", "GET, HEAD, OPTIONS"),
        ("/api/search", "GET, POST, OPTIONS"),
        ("/api/jobs", "GET, OPTIONS"),
        ("/", "GET, OPTIONS"),
        ("/static/app.js", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_is_204_with_allow(client: TestClient, served: ServedLibrary, url: str, allow: str) -> None:
    response = client.options(url.format(red=served.ids["red"]))
    assert response.status_code == 204, response.text
    assert response.headers["allow"] == allow and response.content == b""
    assert response.headers["x-frame-options"] == "DENY"


def test_options_on_an_unknown_path_is_404(client: TestClient) -> None:
    assert client.options("/api/nothing-here").status_code == 404


def test_other_methods_are_405_with_every_allowed_method(client: TestClient, served: ServedLibrary) -> None:
    response = client.put("/api/videos")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST, OPTIONS"
    assert isinstance(response.json()["detail"], str)
    response = client.patch(f"/api/videos/{served.ids['red']}")
    assert response.status_code == 405 and response.headers["allow"] == "GET, DELETE, OPTIONS"


def test_with_cors_on_preflights_stay_with_cors(served: ServedLibrary) -> None:
    settings = served.settings.model_copy(update={"cors_origins": ["https://editor.example"]})
    client = TestClient(create_app(settings))  # no lifespan: OPTIONS needs no services
    preflight = client.options(
        "/api/search", headers={"Origin": "https://editor.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://editor.example"
    assert preflight.headers["x-content-type-options"] == "nosniff"
    plain = client.options("/api/search")
    assert plain.status_code == 204 and plain.headers["allow"] == "GET, POST, OPTIONS"


# ---------------------------------------------------------------- Range (RFC 9110 section 14)


@pytest.mark.parametrize(
    "header", ["items=0-5", "Items=0-5", "bytes=5-2", "bytes=abc", "bytes=", "bytes=,", "bytes", "=0-5", "bytes=0-5, x"]
)
def test_a_range_in_another_unit_or_invalid_is_ignored(client: TestClient, served: ServedLibrary, header: str) -> None:
    response = client.get(f"/api/videos/{served.ids['red']}/stream", headers={"Range": header})
    assert response.status_code == 200, (header, response.status_code, response.text[:200])
    assert response.content == served.paths["red"].read_bytes()
    assert "content-range" not in response.headers


def test_a_range_in_another_unit_on_the_page_is_ignored(client: TestClient) -> None:
    response = client.get("/", headers={"Range": "items=0-5"})
    assert response.status_code == 200 and b"<html" in response.content.lower()


def test_unsatisfiable_ranges_are_416_with_the_error_body(
    client: TestClient, served: ServedLibrary, spec: dict
) -> None:
    size = served.paths["red"].stat().st_size
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0", f"bytes={size}-,{size + 5}-"):
        response = client.get(f"/api/videos/{served.ids['red']}/stream", headers={"Range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}"
        assert_documented(spec, "/api/videos/{video_id}/stream", "get", response)


def test_satisfiable_ranges_are_served_and_the_others_dropped(client: TestClient, served: ServedLibrary) -> None:
    data = served.paths["red"].read_bytes()
    response = client.get(
        f"/api/videos/{served.ids['red']}/stream", headers={"Range": f"bytes=0-9, {len(data) + 100}-"}
    )
    assert response.status_code == 206 and response.content == data[:10]
    assert response.headers["content-range"] == f"bytes 0-9/{len(data)}"
    stale = client.get(
        f"/api/videos/{served.ids['red']}/stream", headers={"Range": "bytes=0-9", "If-Range": '"not-this-file"'}
    )
    assert stale.status_code == 200 and stale.content == data


def test_the_stream_documents_its_range_header_and_media_types(spec: dict) -> None:
    op = spec["paths"]["/api/videos/{video_id}/stream"]["get"]
    assert any(p["in"] == "header" and p["name"].lower() == "range" for p in op["parameters"])
    assert "video/*" in op["responses"]["200"]["content"] and "206" in op["responses"]
    assert op["responses"]["416"]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    exports = {
        p: spec["paths"][p]["get"]["responses"]["200"]["content"]
        for p in ("/api/export.csv", "/api/export.edl", "/api/export.otio", "/api/export.fcpxml", "/api/export.xml")
    }
    assert list(exports["/api/export.csv"]) == ["text/csv"]
    assert list(exports["/api/export.edl"]) == ["text/plain", "application/zip"]  # a zip: one EDL per frame rate
    assert list(exports["/api/export.otio"]) == ["application/json"]
    assert list(exports["/api/export.fcpxml"]) == list(exports["/api/export.xml"]) == ["text/xml"]


# ---------------------------------------------------------------- security headers


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/static/app.js",
        "/api/videos",
        "/api/search?q=red",
        "/api/videos/424242",
        "/api/search?limit=0",
        "/healthz",
        "/openapi.json",
        "/nothing",
    ],
)
def test_every_response_has_security_headers(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # nothing from other origins, no inline script


def test_the_docs_page_may_load_its_cdn_but_not_be_framed(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_the_page_loads_nothing_from_another_origin(served: ServedLibrary) -> None:
    """What the page CSP allows is what web/static uses: same-origin modules, no inline script/style."""
    index = (create_app(served.settings).state.static_dir / "index.html").read_text()
    assert "<script>" not in index and "<style" not in index and " style=" not in index
    assert "http://" not in index and "https://" not in index
