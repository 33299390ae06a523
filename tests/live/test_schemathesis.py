"""Schemathesis against a live server: every operation of the OpenAPI document, with every check
(``--checks all``), valid and invalid requests, sent with a valid write key to a small indexed library.

No answer may be a 5xx, undocumented, or unlike its declared schema. The run is bounded and
deterministic: ``MAX_EXAMPLES`` fuzzed cases per operation and mode plus schemathesis's coverage
cases, derandomised, with no example database and no deadline (about 20 s on 2 cores). Schemathesis's
stateful phase is not part of its pytest API; ``schemathesis run --checks all`` against a server covers it.

Where a schema cannot say what the server checks (a rule across fields, a file's content, a time past
a video's end), a schema-valid request may be refused with 422 (415 for an upload that is not a
video): ``CONTENT_RULES`` lists those operations; everywhere else a schema-valid request must succeed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from live.conftest import COLOUR_MODEL, index_files
from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.storage import keys
from vidseek.storage.library import Library

MAX_EXAMPLES = 12
SEED = 20240611

CONTENT_RULES = {
    # sort=count needs group_by=video; min_duration <= max_duration; offset + limit within the result
    # window; an EDL needs a SMPTE frame rate; POST needs q or a positive phrase
    r"^/api/search$": ["422"],
    r"^/api/search/similar$": ["422"],
    r"^/api/export\.": ["422"],
    r"^/api/search/image$": ["422"],  # the bytes are not an image
    r"^/api/videos/\{video_id\}/thumbnail$": ["422"],  # t past the end of the video
    r"^/api/reembed$": ["422"],  # python: specs are refused over HTTP
    r"^/api/videos$": ["415", "422"],  # the bytes are not a video
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config() -> SchemathesisConfig:
    # schemathesis's defaults (5xx are not_a_server_error's to report), plus the operation's own refusals
    defaults = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "mode": "all"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "operations": [
                {
                    "include-path-regex": path,
                    "checks": {"positive_data_acceptance": {"expected-statuses": defaults + extra}},
                }
                for path, extra in CONTENT_RULES.items()
            ],
        }
    )
    config.projects.default.checks.update(included_check_names=["all"])
    return config


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, clips: dict[str, Path]) -> Iterator[tuple[str, str]]:
    """``vidseek serve``'s app (SQLite, the red clip indexed, no worker threads: queued jobs stay queued)
    on a free loopback port; yields (base URL, a valid key)."""
    root = tmp_path_factory.mktemp("schemathesis")
    lib_settings = Settings(
        data_dir=root / "data",
        model=COLOUR_MODEL,
        media_dir=root / "media",
        sample_fps=1.0,
        clip_seconds=2.0,
        clip_stride=1.0,
        serve_workers=0,
    )
    index_files(lib_settings, [clips["red"]])
    with Library(lib_settings, notify=lambda m: None).sessions() as session:
        _, raw = keys.create_key("schemathesis", session=session)
        session.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(lib_settings, serve_host="127.0.0.1"),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", raw
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# The document is built from the app's routes (no library needed); the server below serves the same app.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir="unused", model=COLOUR_MODEL)).openapi(), config=_config()
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_keeps_its_contract(case, live_server: tuple[str, str]) -> None:
    base, raw = live_server
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {raw}"})


def test_the_server_serves_the_document_tested(live_server: tuple[str, str]) -> None:
    with urllib.request.urlopen(f"{live_server[0]}/openapi.json", timeout=10) as response:
        served = json.load(response)
    assert served == schema.raw_schema
