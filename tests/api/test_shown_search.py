"""GET /api/search?modality=shown, its fusion in ``all``, the markers of the exports and the read-text
route, on a library whose shown lines are stored as a read-text job stores them (the reading itself,
with the real model: tests/jobs/test_read_text.py)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video
from readers import read_otio

from search_api.http.app import create_app
from vidseek.storage import cue_store, keys, store
from vidseek.storage.library import Library

from .conftest import colour_settings, index_videos

SHOWN = [
    cue_store.CueRow(1.0, 4.0, "Q3 Revenue Growth", "shown:PP-OCRv4"),
    cue_store.CueRow(6.0, 8.0, "EXIT 25", "shown:PP-OCRv4"),
]


@dataclass(frozen=True)
class Slides:
    client: TestClient
    ids: dict[str, int]
    key: str


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slides]:
    root = tmp_path_factory.mktemp("shown-videos")
    paths = {
        "slides": make_video(root / "slides.mp4", [Segment("blue", 10)], fps=25),
        "talk": make_video(root / "talk.mp4", [Segment("green", 6)], fps=25),
    }
    (root / "talk.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nrevenue is up\n")
    settings = colour_settings(tmp_path_factory.mktemp("shown-data"))
    index_videos(settings, list(paths.values()))
    library = Library(settings, notify=lambda m: None)
    with library.sessions() as session:
        ids = {name: store.video_by_path(str(p.resolve()), session=session).id for name, p in paths.items()}
        cue_store.write_cues(ids["slides"], SHOWN, replacing="shown", session=session)
        _, key = keys.create_key("shown tests", session=session)
        session.commit()
    with TestClient(create_app(settings)) as client:
        yield Slides(client, ids, key)


def _moments(slides: Slides, **params) -> list[tuple]:  # noqa: ANN003
    response = slides.client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    names = {v: k for k, v in slides.ids.items()}
    return [
        (names[r["video"]["id"]], r["start"], r["end"], r.get("matched"), r.get("quote"))
        for r in response.json()["results"]
    ]


def test_shown_finds_the_text_on_screen_and_speech_what_is_said(slides: Slides) -> None:
    assert _moments(slides, q="revenue", modality="shown") == [("slides", 1.0, 4.0, ["shown"], "Q3 Revenue Growth")]
    assert _moments(slides, q="revenue", modality="speech") == [("talk", 1.0, 2.0, ["speech"], "revenue is up")]
    assert _moments(slides, q='"exit 25"', modality="speech") == []
    both = {m[0]: m[3:] for m in _moments(slides, q="revenue")}  # all: fused with what is seen
    assert both == {
        "slides": (["visual", "shown"], "Q3 Revenue Growth"),
        "talk": (["visual", "speech"], "revenue is up"),
    }


def test_shown_lines_are_no_caption_track(slides: Slides) -> None:
    detail = slides.client.get(f"/api/videos/{slides.ids['slides']}").json()
    assert detail["captions"] == []
    assert slides.client.get(f"/api/videos/{slides.ids['slides']}/captions.vtt").status_code == 404


def test_exports_mark_a_moment_found_by_shown_text(slides: Slides) -> None:
    params = {"q": "exit 25", "modality": "shown"}
    otio_doc = slides.client.get("/api/export.otio", params=params)
    assert otio_doc.status_code == 200, otio_doc.text
    clips = list(read_otio(otio_doc.text).find_clips())
    assert [[m.name for m in c.markers] for c in clips] == [["shown: EXIT 25"]]
    assert clips[0].markers[0].color == "PURPLE"
    rows = list(csv.DictReader(io.StringIO(slides.client.get("/api/export.csv", params=params).text)))
    assert [(r["matched"], r["quote"]) for r in rows] == [("shown", "EXIT 25")]
    assert 'note="shown: EXIT 25"' in slides.client.get("/api/export.fcpxml", params=params).text


def test_the_read_text_route_queues_a_job_and_says_why_it_cannot(slides: Slides, monkeypatch) -> None:  # noqa: ANN001
    auth = {"Authorization": f"Bearer {slides.key}"}
    url = f"/api/videos/{slides.ids['slides']}/read-text"
    assert slides.client.post(url).status_code == 401
    response = slides.client.post(url, headers=auth)
    assert response.status_code == 202, response.text
    assert response.json()["kind"] == "read-text" and response.json()["video_id"] == slides.ids["slides"]
    assert slides.client.post("/api/videos/999999/read-text", headers=auth).status_code == 404
    monkeypatch.setattr("vidseek.shown.ocr_engine.ocr_installed", lambda: False)
    refused = slides.client.post(url, headers=auth)
    assert refused.status_code == 409 and "vidseek[ocr]" in refused.json()["detail"]
