"""Start-up, probes, an empty index, a model mismatch, the page and static files, and the real model."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video
from readers import read_edl
from sqlalchemy.exc import OperationalError

from api.conftest import ServedLibrary, colour_settings, index_videos
from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.errors import ModelMismatchError

ROUTES = [
    "/api/search",
    "/api/search/image",
    "/api/search/similar",
    "/api/videos",
    "/api/videos/{video_id}",
    "/api/videos/{video_id}/stream",
    "/api/videos/{video_id}/thumbnail",
    "/api/export.otio",
    "/api/export.edl",
    "/api/export.csv",
    "/api/export.fcpxml",
    "/api/export.xml",
    "/api/export.markers.edl",
    "/healthz",
    "/readyz",
]


def test_probes_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready" and ready.json()["clips"] > 0
    assert client.get("/docs").status_code == 200
    assert set(ROUTES) <= set(client.get("/openapi.json").json()["paths"])


def test_not_ready_until_loaded(served: ServedLibrary) -> None:
    client = TestClient(create_app(served.settings))  # no `with`: the lifespan has not run
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    response = client.get("/api/search", params={"q": "red"})
    assert response.status_code == 503 and "not loaded" in response.json()["detail"]


def test_not_ready_without_the_database(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable():  # noqa: ANN202
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(client.app.state.services.library, "sessions", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"detail": "the database does not answer"}


def test_empty_index_starts_and_finds_nothing(tmp_path: Path) -> None:
    with TestClient(create_app(colour_settings(tmp_path / "data"))) as client:
        body = client.get("/api/search", params={"q": "red"}).json()
        assert (body["results"], body["next_offset"]) == ([], None)
        assert client.get("/api/videos").json() == {"videos": [], "total": 0}
        assert client.get("/readyz").json()["clips"] == 0
        assert client.get("/api/search/similar", params={"clip_id": 1}).status_code == 404
        edl = client.get("/api/export.edl", params={"q": "red"}).text
        assert edl == "TITLE: red\n\n" and read_edl(edl, 25).name == "red"


def test_what_the_app_loaded_is_left_out_of_full_collections_while_it_serves(tmp_path: Path) -> None:
    # a full collection walked every object the model, index and libraries made (55 ms at 5,000 clips,
    # once in ~50 requests): frozen once loaded, given back to the collector when the app stops
    gc.unfreeze()
    with TestClient(create_app(colour_settings(tmp_path / "data"))) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/api/search", params={"q": "red"}).status_code == 200
    assert gc.get_freeze_count() == 0


class OtherEncoder:
    name = "test:other-model"
    dim = 8

    def encode_frames(self, frames):  # noqa: ANN001, ANN201
        raise AssertionError("never used")

    encode_text = encode_frames


def test_model_mismatch_stops_start_up(served: ServedLibrary) -> None:
    app = create_app(served.settings, encoder=OtherEncoder())
    with pytest.raises(ModelMismatchError, match="test:colour-v1.*test:other-model.*VIDSEEK_MODEL"):
        with TestClient(app):
            pass


def test_page_and_static_files(served: ServedLibrary, tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>vidseek</title>")
    (static / "app.js").write_text("console.log('hi')")
    (tmp_path / "secret.txt").write_text("not for you")
    client = TestClient(create_app(served.settings, static_dir=static))
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/static/app.js").text == "console.log('hi')"
    for url in ["/static/../secret.txt", "/static/..%2Fsecret.txt", "/static/%2e%2e/secret.txt"]:
        response = client.get(url)
        assert response.status_code == 404 and b"not for you" not in response.content, url


def test_missing_page_is_a_clean_404(served: ServedLibrary, tmp_path: Path) -> None:
    client = TestClient(create_app(served.settings, static_dir=tmp_path / "nowhere"))
    response = client.get("/")
    assert response.status_code == 404 and "search page is not installed" in response.json()["detail"]
    assert client.get("/static/app.js").status_code == 404


def test_real_open_clip_model_serves_search(tmp_path: Path) -> None:
    """The one test on the open_clip path (untrained ViT-B-32: a few seconds to build)."""
    video = make_video(tmp_path / "clip.mp4", [Segment("red", 2), Segment("blue", 2)], fps=25)
    settings = Settings(
        data_dir=tmp_path / "data",
        model="ViT-B-32:random",
        device="cpu",
        sample_fps=1.0,
        clip_seconds=2.0,
        clip_stride=1.0,
    )
    with pytest.warns(UserWarning, match="untrained"):
        index_videos(settings, [video])
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/search", params={"q": "dog", "limit": 5, "min_relevance": "low"})
        assert response.status_code == 200
        body = response.json()
        assert body["results"] and body["results"][0]["video"]["path"] == str(video.resolve())
        assert body["results"][0]["fps"] == 25.0 and len(body["results"][0]["curve"]["scores"]) == 4
        assert client.get("/readyz").json()["model"] == "open_clip:ViT-B-32:random"


def test_unexpected_errors_are_json_without_a_trace(served: ServedLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(served.settings), raise_server_exceptions=False) as client:

        def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise RuntimeError("boom in /srv/secret/place")

        monkeypatch.setattr(client.app.state.services.engine, "find", broken)
        response = client.get("/api/search", params={"q": "red"})
    assert response.status_code == 500
    assert response.json()["detail"].startswith("internal error (RuntimeError)")
    assert "secret" not in response.text and "Traceback" not in response.text
