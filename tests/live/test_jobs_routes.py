"""GET /api/jobs, GET /api/jobs/{id}, POST /api/videos/{id}/reindex, DELETE /api/videos/{id}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidseek.storage import jobs

if TYPE_CHECKING:
    from tests.live.conftest import Live


def test_reindex_and_delete_queue_jobs(live: Live) -> None:
    auth = live.auth(live.make_key())
    reindex = live.client.post(f"/api/videos/{live.red_id}/reindex", headers=auth)
    assert reindex.status_code == 202, reindex.text
    job = reindex.json()
    assert (job["kind"], job["status"], job["video_id"]) == ("reindex", "queued", live.red_id)
    assert reindex.headers["location"] == f"/api/jobs/{job['id']}"
    # asking again while it waits answers with the same job
    again = live.client.post(f"/api/videos/{live.red_id}/reindex", headers=auth)
    assert again.status_code == 202 and again.json()["id"] == job["id"]

    delete = live.client.delete(f"/api/videos/{live.red_id}", headers=auth)
    assert delete.status_code == 202, delete.text
    assert (delete.json()["kind"], delete.json()["video_id"]) == ("delete", live.red_id)
    # queued, not done: the video is still there until a worker runs the job
    assert live.client.get(f"/api/videos/{live.red_id}").status_code == 200


def test_unknown_ids_are_404(live: Live) -> None:
    auth = live.auth(live.make_key())
    assert live.client.post("/api/videos/999999/reindex", headers=auth).status_code == 404
    gone = live.client.delete("/api/videos/999999", headers=auth)
    assert gone.status_code == 404 and "999999" in gone.json()["detail"]
    missing = live.client.get("/api/jobs/424242")
    assert missing.status_code == 404 and missing.json()["detail"] == "no job has id 424242"
    # without a key the answer is 401, whether or not the video exists
    assert live.client.delete("/api/videos/999999").status_code == 401
    assert live.client.delete(f"/api/videos/{live.red_id}").status_code == 401


def test_jobs_list_filters_and_pages(live: Live) -> None:
    with live.library.sessions() as session:
        made = [jobs.enqueue("index", session=session, path=f"/media/{i}.mp4") for i in range(5)]
        session.commit()
        ids = [j.id for j in made]
    with live.library.sessions() as session:
        claimed = jobs.claim("w1", session=session, lease_seconds=60)
        jobs.fail(claimed.id, "decoder exploded", session=session, worker_id="w1", permanent=True)
        claimed = jobs.claim("w1", session=session, lease_seconds=60)
    everything = live.client.get("/api/jobs").json()
    assert [j["id"] for j in everything["jobs"]] == ids[::-1]  # newest first
    assert everything["total"] == 5 and everything["next_offset"] is None
    assert everything["counts"] == {"queued": 3, "running": 1, "done": 0, "failed": 1}

    failed = live.client.get("/api/jobs", params={"status": "failed"}).json()
    assert [j["id"] for j in failed["jobs"]] == [ids[0]]
    assert failed["jobs"][0]["error"] == "decoder exploded" and failed["total"] == 1
    running = live.client.get(f"/api/jobs/{ids[1]}", headers=live.auth(live.make_key())).json()
    assert running["status"] == "running" and running["worker"] == "w1"
    assert live.client.get(f"/api/jobs/{ids[1]}").json()["worker"] is None  # anonymous: no host or process

    page1 = live.client.get("/api/jobs", params={"limit": 2}).json()
    page2 = live.client.get("/api/jobs", params={"limit": 2, "offset": page1["next_offset"]}).json()
    page3 = live.client.get("/api/jobs", params={"limit": 2, "offset": page2["next_offset"]}).json()
    assert [j["id"] for j in page1["jobs"] + page2["jobs"] + page3["jobs"]] == ids[::-1]
    assert page3["next_offset"] is None

    bad = live.client.get("/api/jobs", params={"status": "sleeping"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("status:")
    assert live.client.get("/api/jobs", params={"limit": 0}).status_code == 422


def test_reembed_queues_one_job_and_refuses_what_it_cannot_take(live: Live) -> None:
    assert live.client.post("/api/reembed", json={"model": "ViT-B-16:random"}).status_code == 401
    auth = live.auth(live.make_key())
    python_spec = live.client.post("/api/reembed", json={"model": "python:os:getcwd"}, headers=auth)
    assert python_spec.status_code == 422 and "vidseek reembed --queue" in python_spec.json()["detail"]
    missing = live.client.post("/api/reembed", json={}, headers=auth)
    assert missing.status_code == 422 and "model" in missing.json()["detail"]

    queued = live.client.post("/api/reembed", json={"model": "ViT-B-16:random"}, headers=auth)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["kind"], job["status"], job["payload"]["model"]) == ("reembed", "queued", "ViT-B-16:random")
    assert queued.headers["location"] == f"/api/jobs/{job['id']}"
    again = live.client.post("/api/reembed", json={"model": "ViT-L-14:openai"}, headers=auth)
    assert again.status_code == 409 and f"job {job['id']}" in again.json()["detail"]
