"""A client generated from the served OpenAPI document (openapi-python-client, the reader a user of the
API would run) drives every operation against a live server, and parses each answer as its declared
model: a file part the generator reads as text, an answer with no schema, or an undocumented status
fails here.

The client is generated once per module into a temporary folder, offline (``--path``, no post hooks);
the server is ``vidseek serve``'s app under uvicorn on a free loopback port, with no worker threads
(queued jobs stay queued, so the writes change nothing the reads see).
"""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest
import uvicorn
from media import Segment, make_video
from PIL import Image

from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.storage import jobs, keys
from vidseek.storage.library import Library

from .conftest import COLOUR_MODEL, index_videos

PACKAGE = "vidseek_generated_client"
TONES = "python:tone_transcriber:ToneTranscriber"
"""A speech model for the transcribe route (tests/tone_transcriber.py)."""


@dataclass
class Live:
    base: str
    key: str
    document: dict
    red_id: int
    red_bytes: bytes
    clip_id: int
    job_id: int
    upload: Path
    """A video not indexed yet, to upload."""
    model_folder: Path
    """A model folder as the re-embed route's check wants one (config and weights file; never loaded here)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> Any:  # noqa: ANN401
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("generated-client")
    red = make_video(root / "videos" / "red.mp4", [Segment("blue", 2), Segment("red", 3), Segment("blue", 2)], fps=25)
    (root / "videos" / "red.en.srt").write_text("1\n00:00:02,000 --> 00:00:04,000\nA red door\n")
    upload = make_video(root / "green.mp4", [Segment("yellow", 2), Segment("green", 3)])
    model_folder = root / "model"
    model_folder.mkdir()
    (model_folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": {"vision_cfg": {}, "text_cfg": {}}}))
    (model_folder / "open_clip_model.safetensors").write_bytes(b"")
    settings = Settings(
        data_dir=root / "data",
        model=COLOUR_MODEL,
        media_dir=root / "media",
        sample_fps=1.0,
        clip_seconds=2.0,
        clip_stride=1.0,
        serve_workers=0,
        speech_model=TONES,
    )
    index_videos(settings, [red])
    with Library(settings, notify=lambda m: None).sessions() as session:
        _, raw = keys.create_key("generated client", session=session)
        job = jobs.enqueue("index", session=session, path=str(upload), payload={"source": "test"})
        session.commit()
        job_id = job.id
    port = _free_port()
    app = create_app(settings, serve_host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        red_id = _get(f"{base}/api/videos")["videos"][0]["id"]
        clip_id = _get(f"{base}/api/search?q=red&min_relevance=low")["results"][0]["clip_id"]
        yield Live(
            base, raw, _get(f"{base}/openapi.json"), red_id, red.read_bytes(), clip_id, job_id, upload, model_folder
        )
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def generated(live: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package openapi-python-client makes from the served document, imported."""
    root = tmp_path_factory.mktemp("client-code")
    (root / "openapi.json").write_text(json.dumps(live.document))
    (root / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: nothing outside this folder
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json"]
        + ["--meta", "none", "--config", "config.yaml", "--output-path", PACKAGE],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        package.generator_said = run.stdout + run.stderr
        yield package
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (255, 0, 0)).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Call:
    """An operation's arguments (from the live library and the client's package), the status it
    must answer, the type its answer must parse to (``models.NAME``, ``types.File``, ``str``), and
    what else the parsed answer must hold."""

    arguments: Callable[[Live, ModuleType], dict]
    status: int
    parsed: str
    holds: Callable[[Live, Any], bool] = lambda live, parsed: True


def _file(client: ModuleType, data: bytes, name: str, mime: str) -> Any:  # noqa: ANN401
    return client.types.File(payload=io.BytesIO(data), file_name=name, mime_type=mime)


def _found_red(live: Live, parsed: Any) -> bool:  # noqa: ANN401
    return any(m.video.id == live.red_id for m in parsed.results)


CALLS: dict[str, Call] = {
    "health.healthz": Call(lambda live, c: {}, 200, "models.Health"),
    "health.readyz": Call(lambda live, c: {}, 200, "models.Ready"),
    "auth.auth_status": Call(lambda live, c: {}, 200, "models.AuthStatus", lambda live, p: p.can_write),
    "search.search_text": Call(lambda live, c: {"q": "red"}, 200, "models.SearchResponse", _found_red),
    "search.search_phrases": Call(
        lambda live, c: {"body": c.models.PhraseSearch(q="red", negative=["yellow"])},
        200,
        "models.SearchResponse",
        _found_red,
    ),
    "search.search_image": Call(
        lambda live, c: {"body": c.models.BodySearchImage(file=_file(c, _png(), "red.png", "image/png"))},
        200,
        "models.SearchResponse",
        _found_red,
    ),
    "search.search_similar": Call(lambda live, c: {"clip_id": live.clip_id}, 200, "models.SearchResponse", _found_red),
    "videos.list_videos": Call(lambda live, c: {}, 200, "models.VideoList", lambda live, p: p.total == 1),
    "videos.video_details": Call(
        lambda live, c: {"video_id": live.red_id}, 200, "models.VideoInfo", lambda live, p: p.id == live.red_id
    ),
    "videos.captions": Call(lambda live, c: {"video_id": live.red_id}, 200, "str", lambda live, p: "A red door" in p),
    "videos.stream_video": Call(
        lambda live, c: {"video_id": live.red_id},
        200,
        "types.File",
        lambda live, p: p.payload.read() == live.red_bytes,
    ),
    "videos.thumbnail": Call(
        lambda live, c: {"video_id": live.red_id, "t": 3.0},
        200,
        "types.File",
        lambda live, p: p.payload.read().startswith(b"\xff\xd8\xff"),  # a JPEG
    ),
    "exports.export_otio": Call(
        lambda live, c: {"q": "red"},
        200,
        "models.ExportOtioResponse200",
        lambda live, p: p.otio_schema.startswith("Timeline"),
    ),
    "exports.export_edl": Call(lambda live, c: {"q": "red"}, 200, "str", lambda live, p: p.startswith("TITLE:")),
    "exports.export_fcpxml": Call(
        lambda live, c: {"q": "red", "handles": 1.0}, 200, "str", lambda live, p: '<fcpxml version="1.10">' in p
    ),
    "exports.export_xmeml": Call(lambda live, c: {"q": "red"}, 200, "str", lambda live, p: '<xmeml version="4">' in p),
    "exports.export_resolve_markers": Call(
        lambda live, c: {"q": "red", "start": "00:00:00:00"}, 200, "str", lambda live, p: "|C:Resolve" in p
    ),
    "exports.export_csv": Call(
        lambda live, c: {"q": "red"}, 200, "str", lambda live, p: "video_id" in p.splitlines()[0]
    ),
    "library.upload_video": Call(
        lambda live, c: {
            "body": c.models.UploadVideoBody(file=_file(c, live.upload.read_bytes(), "green.mp4", "video/mp4"))
        },
        202,
        "models.JobInfo",
        lambda live, p: p.kind == "index",
    ),
    "library.reindex_video": Call(
        lambda live, c: {"video_id": live.red_id}, 202, "models.JobInfo", lambda live, p: p.kind == "reindex"
    ),
    "library.transcribe_video": Call(
        lambda live, c: {"video_id": live.red_id}, 202, "models.JobInfo", lambda live, p: p.kind == "transcribe"
    ),
    "library.read_video_text": Call(
        lambda live, c: {"video_id": live.red_id}, 202, "models.JobInfo", lambda live, p: p.kind == "read-text"
    ),
    "library.delete_video": Call(
        lambda live, c: {"video_id": live.red_id}, 202, "models.JobInfo", lambda live, p: p.kind == "delete"
    ),
    "library.reembed": Call(
        lambda live, c: {"body": c.models.ReembedRequest(model=f"local-dir:{live.model_folder}")},
        202,
        "models.JobInfo",
        lambda live, p: p.kind == "reembed",
    ),
    "jobs.list_jobs": Call(lambda live, c: {}, 200, "models.JobList", lambda live, p: p.total >= 1),
    "jobs.get_job": Call(
        lambda live, c: {"job_id": live.job_id}, 200, "models.JobInfo", lambda live, p: p.id == live.job_id
    ),
}
"""Every operation; writes after reads (no worker runs here, so queued jobs change nothing)."""


def _operations(client: ModuleType) -> set[str]:
    """Every operation module of the generated client, as ``tag.operation``."""
    api = importlib.import_module(f"{client.__name__}.api")
    return {
        f"{tag.name}.{op.name}"
        for tag in pkgutil.iter_modules(api.__path__)
        for op in pkgutil.iter_modules([str(Path(api.__path__[0]) / tag.name)])
    }


def test_every_operation_of_the_document_is_driven_here(generated: ModuleType) -> None:
    assert _operations(generated) == set(CALLS)


def test_the_generator_leaves_nothing_out(generated: ModuleType) -> None:
    """openapi-python-client warns about each answer or body it cannot read (and leaves it out)."""
    assert "Warning" not in generated.generator_said, generated.generator_said


@pytest.mark.parametrize("name", list(CALLS))
def test_the_generated_client_calls_the_operation(generated: ModuleType, live: Live, name: str) -> None:
    call = CALLS[name]
    operation = importlib.import_module(f"{generated.__name__}.api.{name}")
    client = generated.AuthenticatedClient(base_url=live.base, token=live.key, raise_on_unexpected_status=True)
    with client:
        response = operation.sync_detailed(client=client, **call.arguments(live, generated))
    assert response.status_code == call.status, response.content[:500]
    where, _, kind = call.parsed.rpartition(".")
    expected = getattr(importlib.import_module(f"{generated.__name__}.{where}"), kind) if where else str
    assert isinstance(response.parsed, expected), (type(response.parsed), response.content[:300])
    assert call.holds(live, response.parsed), response.content[:500]
