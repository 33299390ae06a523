"""A live library served through TestClient: a small real index (colour encoder, generated videos),
uploads into a media folder, API keys made directly in the database."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import keys, store
from vidseek.storage.library import Library

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"

CLIPS = {
    "red": [Segment("blue", 1), Segment("red", 3), Segment("blue", 2)],
    "green": [Segment("yellow", 2), Segment("green", 3), Segment("yellow", 1)],
    "magenta": [Segment("black", 2), Segment("magenta", 3), Segment("black", 1)],
    "cyan": [Segment("white", 2), Segment("cyan", 3), Segment("white", 1)],
}


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated videos (6 s, 64x48, 10 fps): 'red' is indexed up front, the others are for uploading."""
    root = tmp_path_factory.mktemp("live-clips")
    return {name: make_video(root / f"{name}.mp4", segments) for name, segments in CLIPS.items()}


def index_files(settings: Settings, paths: list[Path]) -> None:
    library = Library(settings, notify=lambda m: None)
    encoder = load_encoder(settings.model, device=settings.device, threads=settings.threads)
    report = Indexer(settings, library, encoder, progress=lambda: Progress(False)).index(paths)
    assert report.failed == [], report.failed


@dataclass
class Live:
    client: TestClient
    settings: Settings
    library: Library
    red_id: int

    def make_key(self, name: str = "test") -> str:
        with self.library.sessions() as session:
            _, raw = keys.create_key(name, session=session)
            session.commit()
        return raw

    def auth(self, raw: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def live_factory(tmp_path: Path, database_url: str, clips: dict[str, Path]) -> Iterator[Callable[..., Live]]:
    """make(**settings overrides, serve_host=None) -> Live, on each database; the red clip is indexed.
    The app runs no worker threads unless ``serve_workers`` is given."""
    stack = ExitStack()
    indexed: dict[str, int] = {}

    def make(serve_host: str | None = None, **overrides) -> Live:
        # no worker threads in the app unless a test asks: queued jobs stay queued, to be looked at
        overrides = {"serve_workers": 0, **overrides}
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            model=COLOUR_MODEL,
            media_dir=tmp_path / "media",
            sample_fps=1.0,
            clip_seconds=2.0,
            clip_stride=1.0,
            **overrides,
        )
        if not indexed:
            index_files(settings, [clips["red"]])
        library = Library(settings, notify=lambda m: None)
        client = stack.enter_context(TestClient(create_app(settings, serve_host=serve_host)))
        if not indexed:
            with library.sessions() as session:
                indexed["red"] = store.list_videos(session=session)[0].id
        return Live(client, settings, library, indexed["red"])

    with stack:
        yield make


@pytest.fixture
def live(live_factory: Callable[..., Live]) -> Live:
    return live_factory()
