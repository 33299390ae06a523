from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
sys.path.insert(0, str(TESTS_DIR))

from media import Segment, make_video  # noqa: E402
from pg_databases import fresh_databases  # noqa: E402

from vidseek.config import Settings  # noqa: E402

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"

# open_clip models in the suite run on torch, the reference path, unless a test asks for ONNX
# (tests/unit/vidseek/models/test_onnx_backend.py): exporting each random model per data dir would cost a minute each.
os.environ.setdefault("VIDSEEK_BACKEND", "torch")
# `vidseek index` lowers the priority of the process it runs in (VIDSEEK_INDEX_NICE, default 10): run in
# process (CliRunner) that would be the test runner itself, for every later test and every process it
# starts. The suite's indexers run at normal priority; tests/unit/indexer/test_priority.py sets its own.
os.environ.setdefault("VIDSEEK_INDEX_NICE", "0")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, model=COLOUR_MODEL, sample_fps=1.0, clip_seconds=4.0, clip_stride=2.0)


@pytest.fixture
def cli_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI on the test encoder, in-process or as a subprocess."""
    env = {
        "VIDSEEK_DATA_DIR": str(data_dir),
        "VIDSEEK_MODEL": COLOUR_MODEL,
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def colour_library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three generated videos with known coloured segments (1 s sampling, so seconds are exact)."""
    root = tmp_path_factory.mktemp("colour-videos")
    return {
        # red twice, separated by blue: two red moments, 2-6 s and 12-16 s
        "twice": make_video(
            root / "red twice.mp4",
            [Segment("blue", 2), Segment("red", 4), Segment("blue", 6), Segment("red", 4), Segment("blue", 4)],
        ),
        "green": make_video(root / "green.mp4", [Segment("yellow", 6), Segment("green", 5), Segment("yellow", 5)]),
        "plain": make_video(root / "plain.mp4", [Segment("white", 10)]),
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path):
    """Each backend in turn: the embedded SQLite file, then a fresh database on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'vidseek.db'}"
        return
    name = f"vidseek_test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    with fresh_databases(iter([name])) as urls:
        yield next(urls)


@pytest.fixture
def db_settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, model=COLOUR_MODEL)
