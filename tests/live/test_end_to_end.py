"""Upload → the worker inside the app runs the job → the video is searchable; delete → it is gone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.live.conftest import Live


def wait_for(live: Live, job_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = live.client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_an_upload_becomes_searchable_and_a_delete_removes_it(live_factory, clips) -> None:  # noqa: ANN001
    live: Live = live_factory(serve_workers=1, worker_poll=0.05)
    auth = live.auth(live.make_key())
    with clips["green"].open("rb") as f:
        queued = live.client.post("/api/videos", files={"file": ("meadow.mp4", f, "video/mp4")}, headers=auth)
    assert queued.status_code == 202, queued.text
    job = wait_for(live, queued.json()["id"])
    assert job["status"] == "done" and job["progress"] == 1.0, job

    hits = live.client.get("/api/search", params={"q": "green", "limit": 1}).json()["results"]
    assert Path(hits[0]["video"]["path"]).name == "meadow.mp4"
    assert 1.0 <= hits[0]["start"] <= 3.0 and 4.0 <= hits[0]["end"] <= 6.0  # green is 2-5 s
    video_id = hits[0]["video"]["id"]
    # now indexed: the same content again is a duplicate of that video
    with clips["green"].open("rb") as f:
        again = live.client.post("/api/videos", files={"file": ("again.mp4", f, "video/mp4")}, headers=auth)
    assert again.status_code == 409 and again.json()["duplicate_of"] == video_id

    deleted = live.client.delete(f"/api/videos/{video_id}", headers=auth)
    assert deleted.status_code == 202
    assert wait_for(live, deleted.json()["id"])["status"] == "done"
    assert live.client.get(f"/api/videos/{video_id}").status_code == 404
    hits = live.client.get("/api/search", params={"q": "green", "limit": 5}).json()["results"]
    assert all(h["video"]["id"] != video_id for h in hits)
