"""Helpers for the scale-out tests: one local Ray per test module, test videos, and what "the same
index" means (SQL rows and vectors per video, and a FAISS file holding exactly the SQL clips)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from sqlalchemy import select

from vidseek.config import Settings
from vidseek.storage import frame_store, store
from vidseek.storage.library import Library
from vidseek.storage.tables import Clip
from vidseek.vectors.vector_index import ClipIndex

TESTS_DIR = Path(__file__).resolve().parent.parent
COLOUR_MODEL = "python:colour_encoder:ColourEncoder"
CRASHY_MODEL = "python:scale.crashy_encoder:CrashOnceColourEncoder"

VIDEO_FIELDS = (
    "title",
    "size",
    "mtime_ns",
    "fingerprint",
    "duration",
    "fps",
    "width",
    "height",
    "codec",
    "model_name",
    "sample_fps",
    "clip_seconds",
    "clip_stride",
    "frame_count",
    "status",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ray: runs on a local Ray instance (pip install 'vidseek[ray]'); deselect with -m 'not ray'"
    )


@contextmanager
def _without_preexec_fn() -> Iterator[None]:
    """Ray's processes started without Ray's ``preexec_fn`` (it blocks SIGINT and ties them to this
    process's death). With one, CPython runs Python in the forked child and first drops the other
    threads' stacks there; what they hold (an in-process worker's last decoded frames, with FFmpeg
    scalers and their threads) is then freed in a child without those threads, which can wait forever:
    seen in CI as a hang of this fixture, while the API tests' app (then kept for the whole session, now
    closed with ``tests/api``) held its worker thread. Ray is shut down at the end of the module as before."""
    from ray._private import services

    original = services.ConsolePopen

    class Popen(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args, preexec_fn=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
            super().__init__(*args, **kwargs)

    services.ConsolePopen = Popen
    try:
        yield
    finally:
        services.ConsolePopen = original


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A local Ray for the whole module (starting one costs seconds): 2 CPUs, no dashboard; its
    workers import the test encoders. Yields (address, crash-arm file for CrashOnceColourEncoder)."""
    ray = pytest.importorskip("ray")
    arm = tmp_path_factory.mktemp("ray-crash") / "arm"
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in [str(TESTS_DIR), os.environ.get("PYTHONPATH", "")] if p),
        "VIDSEEK_TEST_CRASH_ARM": str(arm),
    }
    with _without_preexec_fn():
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": env},
            logging_level="WARNING",
        )
    try:
        yield {"address": ray.get_runtime_context().gcs_address, "arm": arm}
    finally:
        ray.shutdown()


def snapshot(settings: Settings) -> dict[str, dict]:
    """Everything indexed, by path: the video row, its sampled frames and its clips."""
    library = Library(settings, notify=lambda m: None)
    out: dict[str, dict] = {}
    with library.sessions() as session:
        for video in store.list_videos(session=session):
            times, vectors = frame_store.frames_of(video.id, session=session)
            clips = sorted(
                session.scalars(select(Clip).where(Clip.video_id == video.id)),
                key=lambda c: (c.first_frame, c.last_frame),
            )
            out[video.path] = {
                "video": {f: getattr(video, f) for f in VIDEO_FIELDS},
                "times": np.array(times),
                "frames": np.array(vectors),
                "windows": [(c.first_frame, c.last_frame, c.start, c.end) for c in clips],
                "clips": np.stack([np.frombuffer(c.vector, np.float32) for c in clips]) if clips else None,
            }
    return out


def assert_same_index(got: dict[str, dict], want: dict[str, dict], atol: float = 1e-6) -> None:
    assert sorted(got) == sorted(want)
    for path, w in want.items():
        g = got[path]
        assert g["video"] == w["video"], path
        assert g["times"].tolist() == w["times"].tolist(), path
        assert g["windows"] == w["windows"], path
        np.testing.assert_allclose(g["frames"], w["frames"], atol=atol, err_msg=path)
        np.testing.assert_allclose(g["clips"], w["clips"], atol=atol, err_msg=path)


def assert_faiss_matches_sql(settings: Settings) -> None:
    """The saved FAISS file holds exactly the SQL clip ids, once each, at the database's generation."""
    library = Library(settings, notify=lambda m: None)
    with library.sessions() as session:
        sql_ids = store.all_clip_ids(session=session).tolist()
        gen = store.generation(session=session)
    on_disk = ClipIndex.load(settings.faiss_path)
    ids = on_disk.ids().tolist()
    assert len(ids) == len(set(ids)), "a clip is in the FAISS file twice"
    assert sorted(ids) == sql_ids
    assert on_disk.generation == gen
