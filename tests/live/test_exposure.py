"""What a server shows to whoever can reach it: the jobs queue hides host paths, key prefixes and
upload names from anonymous callers, and the Compose file publishes the port on loopback only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from vidseek.storage import jobs

if TYPE_CHECKING:
    from tests.live.conftest import Live

REPO = Path(__file__).resolve().parents[2]
SECRET_PATH = "/srv/private-media/Holiday at Grandma's.mp4"


def _queue_an_upload(live: Live) -> int:
    with live.library.sessions() as session:
        job = jobs.enqueue(
            "index",
            session=session,
            path=SECRET_PATH,
            payload={
                "source": "upload",
                "original_name": "Holiday at Grandma's.mp4",
                "size": 123,
                "fingerprint": "f" * 32,
                "key": "vsk_Secret12",
            },
        )
        session.commit()
        return job.id


def test_anonymous_callers_see_jobs_without_paths_keys_or_upload_names(live: Live) -> None:
    job_id = _queue_an_upload(live)
    anonymous = [live.client.get("/api/jobs").json()["jobs"][0], live.client.get(f"/api/jobs/{job_id}").json()]
    for job in anonymous:
        assert job["id"] == job_id and job["kind"] == "index" and job["status"] == "queued"
        assert job["path"] is None
        assert "key" not in job["payload"] and "original_name" not in job["payload"]
        assert job["payload"]["source"] == "upload" and job["payload"]["size"] == 123
        assert "Grandma" not in str(job) and "vsk_" not in str(job) and "/srv/" not in str(job)
    # a wrong key is anonymous too (reads are open: a stale key is ignored)
    stale = live.client.get("/api/jobs", headers=live.auth("vsk_" + "x" * 43)).json()["jobs"][0]
    assert stale["path"] is None and "key" not in stale["payload"]

    owner = live.auth(live.make_key())
    for job in [
        live.client.get("/api/jobs", headers=owner).json()["jobs"][0],
        live.client.get(f"/api/jobs/{job_id}", headers=owner).json(),
    ]:
        assert job["path"] == SECRET_PATH
        assert job["payload"]["original_name"] == "Holiday at Grandma's.mp4" and job["payload"]["key"] == "vsk_Secret12"


def test_the_error_of_an_anonymous_job_view_has_no_host_path(live: Live) -> None:
    with live.library.sessions() as session:
        job = jobs.enqueue("index", session=session, path=SECRET_PATH, payload={"source": "upload"})
        job.error = f"cannot decode {SECRET_PATH}: truncated"
        session.commit()
        job_id = job.id
    anonymous = live.client.get(f"/api/jobs/{job_id}").json()
    assert anonymous["error"] == "cannot decode the job's file: truncated"
    owner = live.client.get(f"/api/jobs/{job_id}", headers=live.auth(live.make_key())).json()
    assert owner["error"] == f"cannot decode {SECRET_PATH}: truncated"


def _default(value: str) -> str:
    """``${NAME:-default}`` -> default, as Compose interpolates it with NAME unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", value)


def test_compose_publishes_the_api_on_loopback_only_by_default() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port['published']}:{port['target']}"
            host_ip, _, _port = _default(str(spec)).rpartition(":")[0].rpartition(":")
            assert host_ip in ("127.0.0.1", "[::1]", "localhost"), f"{name} publishes {spec} on every interface"
    api_port = _default(compose["services"]["api"]["ports"][0])
    assert api_port == "127.0.0.1:8000:8000"


def test_readme_says_how_to_open_the_port_and_that_it_then_needs_keys() -> None:
    readme = (REPO / "README.md").read_text()
    security = readme[readme.index("### Security") :]
    security = security[: security.index("\n## ")]
    for words in (
        "127.0.0.1:8000:8000",
        "`VIDSEEK_PUBLISH_ADDRESS",
        "VIDSEEK_REQUIRE_KEY_FOR_READS=true",
        "vidseek keys create",
    ):
        assert words in security, words
