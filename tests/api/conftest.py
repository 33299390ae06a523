"""A small real index (generated videos, colour encoder) served by the app through TestClient."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"

RED_TWICE = [Segment("blue", 2), Segment("red", 4), Segment("blue", 6), Segment("red", 4), Segment("blue", 4)]
GREEN = [Segment("yellow", 6), Segment("green", 5), Segment("yellow", 5)]
MAGENTA = [Segment("black", 3), Segment("magenta", 4), Segment("black", 3)]
WHITE = [Segment("white", 6)]


@dataclass(frozen=True)
class ServedLibrary:
    client: TestClient
    settings: Settings
    paths: dict[str, Path]
    """name -> video file: red (25 fps), green (25 fps), magenta (29.97 fps, in sub/), white (WebM)."""
    ids: dict[str, int]


def index_videos(settings: Settings, paths: list[Path]) -> None:
    library = Library(settings, notify=lambda m: None)
    encoder = load_encoder(
        settings.model, device=settings.device, threads=settings.threads, precision=settings.precision
    )
    report = Indexer(settings, library, encoder, progress=lambda: Progress(False)).index(paths)
    assert report.failed == [], report.failed


def colour_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, model=COLOUR_MODEL, sample_fps=1.0, clip_seconds=4.0, clip_stride=2.0)


@pytest.fixture(scope="package")  # closed when tests/api ends: its worker thread must not outlive them
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedLibrary]:
    root = tmp_path_factory.mktemp("api-videos")
    paths = {
        "red": make_video(root / "red twice.mp4", RED_TWICE, fps=25),
        "green": make_video(root / "green.mp4", GREEN, fps=25),
        "magenta": make_video(root / "sub" / "magenta.mp4", MAGENTA, fps=Fraction(30000, 1001)),
        "white": make_video(root / "white.webm", WHITE, fps=25, codec="libvpx"),
    }
    settings = colour_settings(tmp_path_factory.mktemp("api-data"))
    index_videos(settings, list(paths.values()))
    with TestClient(create_app(settings)) as client:
        listing = client.get("/api/videos").json()["videos"]
        ids = {
            name: next(v["id"] for v in listing if Path(v["path"]) == path.resolve()) for name, path in paths.items()
        }
        yield ServedLibrary(client, settings, {k: p.resolve() for k, p in paths.items()}, ids)


@pytest.fixture
def client(served: ServedLibrary) -> TestClient:
    return served.client
