"""An upload's job followed to its end over the API: done, it names the video its file became; who runs
it (the worker's host name and process id) is shown to key holders only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from indexer.worker import Worker
from vidseek.storage import jobs

if TYPE_CHECKING:
    from tests.live.conftest import Live


def _upload(live: Live, path: Path, key: str) -> dict:
    with path.open("rb") as f:
        response = live.client.post("/api/videos", files={"file": (path.name, f, "video/mp4")}, headers=live.auth(key))
    assert response.status_code == 202, response.text
    return response.json()


def _worker(live: Live) -> Worker:
    return Worker(live.settings, library=live.library, lease_seconds=30.0, poll_seconds=0.05)


def test_a_finished_upload_job_names_the_video_it_became(live: Live, clips: dict[str, Path]) -> None:
    key = live.make_key()
    queued = _upload(live, clips["green"], key)
    assert queued["video_id"] is None  # not indexed yet
    assert _worker(live).run_once() is not None

    done = live.client.get(f"/api/jobs/{queued['id']}", headers=live.auth(key)).json()
    assert done["status"] == "done", done
    video = live.client.get(f"/api/videos/{done['video_id']}", headers=live.auth(key))
    assert video.status_code == 200, done
    assert video.json()["path"] == queued["path"] and video.json()["id"] != live.red_id
    listed = live.client.get("/api/jobs", params={"status": "done"}).json()["jobs"]
    assert [j["video_id"] for j in listed if j["id"] == queued["id"]] == [done["video_id"]]


def test_an_index_job_of_a_file_that_is_not_a_video_names_none(live: Live, tmp_path: Path) -> None:
    folder = tmp_path / "nothing here"
    folder.mkdir()
    with live.library.sessions() as session:
        job_id = jobs.enqueue("index", session=session, path=str(folder)).id
        session.commit()
    ended = _worker(live).run_once()
    assert ended is not None and ended.id == job_id and ended.status == "done" and ended.video_id is None


def test_only_key_holders_see_which_worker_runs_a_job(live: Live, clips: dict[str, Path]) -> None:
    key = live.make_key()
    queued = _upload(live, clips["magenta"], key)
    with live.library.sessions() as session:
        claimed = jobs.claim("render-box:4242:abc123", session=session, lease_seconds=60.0)
    assert claimed is not None and claimed.id == queued["id"]

    owner = live.client.get(f"/api/jobs/{queued['id']}", headers=live.auth(key)).json()
    assert owner["status"] == "running" and owner["worker"] == "render-box:4242:abc123"
    for anonymous in (
        live.client.get(f"/api/jobs/{queued['id']}").json(),
        live.client.get("/api/jobs").json()["jobs"][0],
        live.client.get(f"/api/jobs/{queued['id']}", headers=live.auth("vsk_not_a_key")).json(),
    ):
        assert anonymous["id"] == queued["id"] and anonymous["status"] == "running"
        assert anonymous["worker"] is None
        assert "render-box" not in str(anonymous) and "4242" not in str(anonymous)
