"""vidseek's own errors reach a caller as a sentence with a 4xx/503, never a 500; curves cut from
grounding's frame scores are the ones read from the frames again."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.conftest import ServedLibrary
from search_api.http.app import create_app
from search_api.http.schemas import TextSearch
from search_api.search.moment_details import moment_details
from vidseek.errors import DecodeError, ModelChangedError, ModelMismatchError, StorageError, VidseekError


@pytest.fixture
def app_client(served: ServedLibrary) -> Iterator[TestClient]:
    with TestClient(create_app(served.settings), raise_server_exceptions=False) as client:
        yield client


def _raising(exc: Exception):  # noqa: ANN202
    def find(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise exc

    return find


@pytest.mark.parametrize(
    "error, status",
    [
        (
            ModelChangedError("the library switched to model other while this query was being answered; run it again"),
            503,
        ),
        (ModelMismatchError("This index was built with model 'a', but the model in use is 'b'."), 503),
        (DecodeError("not a readable video (truncated)"), 422),
        (VidseekError("something the request asked cannot be done"), 422),
    ],
)
def test_vidseek_errors_are_their_sentence(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch, error: VidseekError, status: int
) -> None:
    monkeypatch.setattr(app_client.app.state.services.engine, "find", _raising(error))
    for response in (
        app_client.get("/api/search", params={"q": "red"}),
        app_client.post("/api/search", json={"q": "red"}),
        app_client.get("/api/export.csv", params={"q": "red"}),
    ):
        assert response.status_code == status, response.text
        assert response.json() == {"detail": str(error)}
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_model_switch_during_the_retry_too_is_503(app_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = app_client.app.state.services.engine
    calls = []

    def switching(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        raise ModelChangedError("the library switched to model other while this query was being answered")

    monkeypatch.setattr(engine, "find", switching)
    assert app_client.get("/api/search", params={"q": "red"}).status_code == 503
    assert len(calls) == 2  # tried once more before giving up


def test_storage_errors_keep_host_paths_in_the_log(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        app_client.app.state.services.engine,
        "find",
        _raising(StorageError("The database file /srv/secret/vidseek.db is not readable")),
    )
    response = app_client.get("/api/search", params={"q": "red"})
    assert response.status_code == 503 and "StorageError" in response.json()["detail"]
    assert "secret" not in response.text
    assert "/srv/secret/vidseek.db" in caplog.text


def test_the_document_declares_those_statuses(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/api/search", "get"),
        ("/api/search", "post"),
        ("/api/search/image", "post"),
        ("/api/search/similar", "get"),
        ("/api/export.csv", "get"),
    ):
        responses = paths[path][method]["responses"]
        assert {"422", "503"} <= set(responses), (path, method)
        assert responses["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_curves_from_grounding_match_the_frames_read_again(served: ServedLibrary) -> None:
    services = served.client.app.state.services
    for q in ("red", "green", "magenta"):
        page = services.engine.page(q, TextSearch(q=q, limit=5, min_relevance="low"))
        assert page.hits and all(
            page.frame_scores[h.video.id].covers(h.moment.first - 6, h.moment.last + 6, h.video.frame_count)
            for h in page.hits
        )
        carried = moment_details(services.library, page)
        read_again = moment_details(services.library, replace(page, frame_scores={}))
        assert carried == read_again
        assert all(d.curve.scores for d in carried)
