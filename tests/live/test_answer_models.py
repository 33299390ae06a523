"""The jobs, health, auth and write routes answer exactly their declared models (``response_model``),
and the OpenAPI document names that model for each of their 2xx answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from search_api.http.job_models import JobInfo, JobList
from search_api.http.jobs_results import job_info
from search_api.http.response_models import AuthStatus, Health, Ready
from vidseek.storage import jobs

if TYPE_CHECKING:
    from tests.live.conftest import Live

DECLARED = [
    ("get", "/healthz", "200", Health),
    ("get", "/readyz", "200", Ready),
    ("get", "/api/auth", "200", AuthStatus),
    ("get", "/api/jobs", "200", JobList),
    ("get", "/api/jobs/{job_id}", "200", JobInfo),
    ("post", "/api/videos", "202", JobInfo),
    ("post", "/api/videos/{video_id}/reindex", "202", JobInfo),
    ("delete", "/api/videos/{video_id}", "202", JobInfo),
    ("post", "/api/reembed", "202", JobInfo),
]


def exactly(model: type[BaseModel], body: dict) -> BaseModel:
    """``body`` is ``model``: it validates, and has no field the model lacks (nor lacks one)."""
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json") == body, (model.__name__, body)
    return parsed


def test_the_document_names_the_model_of_each_success(live: Live) -> None:
    spec = live.client.get("/openapi.json").json()
    for method, path, status, model in DECLARED:
        responses = spec["paths"][path][method]["responses"]
        assert sorted(code for code in responses if code.startswith("2")) == [status], (method, path)
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}, (method, path, schema)
        assert spec["components"]["schemas"][model.__name__]["required"] == list(model.model_fields)


def test_each_answer_is_its_model(live: Live, clips) -> None:  # noqa: ANN001
    owner = live.auth(live.make_key())
    assert exactly(Health, live.client.get("/healthz").json()) == Health(status="ok")
    ready = exactly(Ready, live.client.get("/readyz").json())
    assert ready.clips > 0
    anonymous = exactly(AuthStatus, live.client.get("/api/auth").json())
    assert anonymous.key is None and not anonymous.key_sent
    signed = exactly(AuthStatus, live.client.get("/api/auth", headers=owner).json())
    assert signed.key is not None and signed.key_sent and signed.can_write and signed.write_status == 200

    with clips["green"].open("rb") as f:
        upload = live.client.post("/api/videos", files={"file": ("green.mp4", f, "video/mp4")}, headers=owner)
    assert upload.status_code == 202, upload.text
    queued = exactly(JobInfo, upload.json())
    assert upload.headers["location"] == f"/api/jobs/{queued.id}" and queued.payload["original_name"] == "green.mp4"
    with clips["green"].open("rb") as f:
        again = live.client.post("/api/videos", files={"file": ("copy.mp4", f, "video/mp4")}, headers=owner)
    assert again.status_code == 409 and again.json()["duplicate_of_job"] == queued.id
    assert exactly(JobInfo, again.json()["job"]) == queued

    for method in ("post", "delete"):
        url = f"/api/videos/{live.red_id}" + ("/reindex" if method == "post" else "")
        answer = live.client.request(method, url, headers=owner)
        assert answer.status_code == 202, answer.text
        job = exactly(JobInfo, answer.json())
        assert answer.headers["location"] == f"/api/jobs/{job.id}" and job.video_id == live.red_id
        repeated = live.client.request(method, url, headers=owner)  # still queued: the same job
        assert repeated.status_code == 202 and exactly(JobInfo, repeated.json()) == job

    listed = exactly(JobList, live.client.get("/api/jobs", params={"limit": 2}, headers=owner).json())
    assert listed.total == 3 and listed.next_offset == 2 and listed.counts["queued"] == 3
    assert [j.kind for j in listed.jobs] == ["delete", "reindex"]
    assert exactly(JobInfo, live.client.get(f"/api/jobs/{queued.id}", headers=owner).json()) == queued

    seen = exactly(JobInfo, live.client.get(f"/api/jobs/{queued.id}").json())  # anonymous
    assert seen.path is None and "original_name" not in seen.payload and "key" not in seen.payload
    assert seen.model_dump(exclude={"path", "payload"}) == queued.model_dump(exclude={"path", "payload"})


def test_an_anonymous_job_info_has_no_path_key_or_upload_name(live: Live) -> None:
    secret = "/srv/private/Holiday at Grandma's.mp4"
    with live.library.sessions() as session:
        job = jobs.enqueue(
            "index",
            session=session,
            path=secret,
            payload={"source": "upload", "original_name": "Grandma.mp4", "key": "vsk_Secret12", "size": 5},
        )
        job.error = f"cannot decode {secret}: broken"
        session.commit()
        owner, anonymous = job_info(job), job_info(job, private=False)
    assert owner.path == secret and owner.payload["key"] == "vsk_Secret12" and secret in owner.error
    assert anonymous.path is None and anonymous.payload == {"source": "upload", "size": 5}
    assert anonymous.error == "cannot decode the job's file: broken"
    assert "Grandma" not in anonymous.model_dump_json() and "vsk_" not in anonymous.model_dump_json()
