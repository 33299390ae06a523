"""POST /api/videos/{video_id}/transcribe: a write key queues a transcribe job (202, Location); a
worker hears the video and GET /api/search?modality=speech finds the word said, at its times. Bad
input is a clear 4xx naming what is wrong; on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Callable

import pytest
from media import Segment
from speech_media import Said, make_talking_video

from indexer.worker import Worker

from .conftest import index_files

if TYPE_CHECKING:
    from pathlib import Path

    from tests.live.conftest import Live

TONES = "python:tone_transcriber:ToneTranscriber"


def test_a_write_key_queues_it_a_worker_hears_it_and_speech_search_finds_the_word(
    live_factory: Callable[..., Live], tmp_path: Path
) -> None:
    live = live_factory(speech_model=TONES)
    talk = make_talking_video(tmp_path / "talk.mp4", [Segment("red", 6)], [Said(3.5, 4.5, "deadline")])
    index_files(live.settings, [talk])
    video_id = next(v["id"] for v in live.client.get("/api/videos").json()["videos"] if v["title"] == "talk")
    url = f"/api/videos/{video_id}/transcribe"
    assert live.client.post(url).status_code == 401
    auth = live.auth(live.make_key())

    response = live.client.post(url, headers=auth)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["status"], job["video_id"], job["payload"]["model"]) == (
        "transcribe",
        "queued",
        video_id,
        TONES,
    )
    assert response.headers["Location"] == f"/api/jobs/{job['id']}"
    assert live.client.post(url, headers=auth).json()["id"] == job["id"], "the same request, not yet started"

    Worker(live.settings, lease_seconds=5.0, save_interval=0).run(until_idle=True)
    assert live.client.get(f"/api/jobs/{job['id']}", headers=auth).json()["status"] == "done"
    body = live.client.get("/api/search", params={"q": "deadline", "modality": "speech"}).json()
    found = [(r["video"]["id"], r["start"], r["end"], r["matched"], r["quote"]) for r in body["results"]]
    assert found == [(video_id, 3.5, 4.5, ["speech"], "deadline")]


def test_bad_requests_are_a_clear_4xx(live_factory: Callable[..., Live]) -> None:
    live = live_factory(speech_model=TONES)
    auth = live.auth(live.make_key())
    missing = live.client.post("/api/videos/424242/transcribe", headers=auth)
    assert missing.status_code == 404 and "no indexed video has id 424242" in missing.json()["detail"]
    not_an_id = live.client.post("/api/videos/abc/transcribe", headers=auth)
    assert not_an_id.status_code == 422 and "video_id" in not_an_id.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("speech_model", "says"),
    [
        (None, "this server has no speech model: set VIDSEEK_SPEECH_MODEL"),
        ("python:no_such_module:X", "cannot be used: Cannot import module 'no_such_module'"),
        ("whisper-large", "should be faster-whisper:SIZE"),
    ],
)
def test_without_a_usable_speech_model_it_is_409_and_says_why(
    live_factory: Callable[..., Live], speech_model: str | None, says: str
) -> None:
    live = live_factory(speech_model=speech_model)
    response = live.client.post(f"/api/videos/{live.red_id}/transcribe", headers=live.auth(live.make_key()))
    assert response.status_code == 409, response.text
    assert says in response.json()["detail"]
    assert live.client.get("/api/jobs", headers=live.auth(live.make_key())).json()["total"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is not None, reason="faster-whisper is installed")
def test_a_server_without_the_speech_extra_says_how_to_install_it(live_factory: Callable[..., Live]) -> None:
    live = live_factory(speech_model="faster-whisper:small")
    response = live.client.post(f"/api/videos/{live.red_id}/transcribe", headers=live.auth(live.make_key()))
    assert response.status_code == 409
    assert "pip install 'vidseek[speech]'" in response.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", ["raises", "syntax", "hangs", "exits"])
def test_a_speech_model_module_that_fails_or_hangs_as_it_is_imported_is_409_with_the_reason(
    live_factory: Callable[..., Live], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from hostile_transcribers import IMPORT_HOSTILE, write_import_hostile

    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    spec = write_import_hostile(tmp_path / "modules", kind)
    # the others answer at once; a loaded machine may be slow to start Python
    live = live_factory(speech_model=spec, speech_import_timeout=1.0 if kind == "hangs" else 30.0)
    auth = live.auth(live.make_key())
    response = live.client.post(f"/api/videos/{live.red_id}/transcribe", headers=auth)
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert detail.startswith("this server's speech model (VIDSEEK_SPEECH_MODEL) cannot be used: ")
    assert IMPORT_HOSTILE[kind][1] in detail and "\n" not in detail, detail
    assert live.client.get("/api/jobs", headers=auth).json()["total"] == 0
