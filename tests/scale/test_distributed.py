"""`vidseek index --ray`: the same files indexed on a local Ray (decode tasks, chunked long videos,
an embedding actor) give the same database and FAISS index as a local run, on SQLite and PostgreSQL;
duplicated or retried tasks never write a video twice; bad files fail with the local run's reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer, IndexReport
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.shots import parse_cuts
from vidseek.storage import store
from vidseek.storage.library import Library

from .conftest import COLOUR_MODEL, CRASHY_MODEL, assert_faiss_matches_sql, assert_same_index, snapshot

pytest.importorskip("ray")
pytestmark = pytest.mark.ray

SEGMENTS = [Segment("red", 7), Segment("blue", 9), Segment("green", 7)]
OPTIONS = {"sample_fps": 2.0, "clip_seconds": 4.0, "clip_stride": 2.0, "batch_size": 8, "ray_chunk_seconds": 5.0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Short videos (one decode task each), long ones cut into chunks (constant and variable frame rate,
    long GOPs with B-frames), and bad files."""
    root = tmp_path_factory.mktemp("scale-videos")
    make_video(root / "short.mp4", [Segment("magenta", 3), Segment("cyan", 3)])
    long = make_video(root / "long.mp4", SEGMENTS)
    make_video(root / "gop.mp4", SEGMENTS, fps=25, x264_params="keyint=48:min-keyint=48:bframes=3")
    times = np.cumsum(np.random.default_rng(1).uniform(0.02, 0.4, 200))
    make_video(root / "vfr.mkv", SEGMENTS, frame_times=sorted({round(float(t), 3) for t in times if t < 23}))
    make_video(root / "sub" / "second.webm", [Segment("yellow", 12)], codec="libvpx-vp9")
    (root / "empty.mp4").write_bytes(b"")
    (root / "notes.mov").write_text("this is not a video\n" * 20)
    data = long.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    scrambled = bytearray(make_video(root.parent / "scrambled-src.mkv", SEGMENTS, width=128, height=96).read_bytes())
    scrambled[600:] = np.random.default_rng(0).integers(0, 256, len(scrambled) - 600, dtype=np.uint8).tobytes()
    (root / "undecodable.mkv").write_bytes(bytes(scrambled))
    return root


@pytest.fixture(scope="module")
def reference(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IndexReport, dict[str, dict], Settings]:
    """A local run (this process, SQLite) over the same files: what the Ray runs must equal."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("reference"), model=COLOUR_MODEL, **OPTIONS)
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(settings.model), progress=lambda: Progress(False)).index([folder])
    assert len(report.indexed) == 5 and len(report.failed) == 4
    return report, snapshot(settings), settings


def ray_index(settings: Settings, paths: list[Path], **kw):  # noqa: ANN201
    from indexer.distributed import RayIndexer

    library = Library(settings, notify=lambda m: None)
    with RayIndexer(settings, library, progress=lambda: Progress(False), **kw) as indexer:
        report = indexer.index(paths)
    return report, indexer.stats


def assert_same_as_reference(settings: Settings, report: IndexReport, reference) -> None:  # noqa: ANN001
    want_report, want, _ = reference
    assert sorted(report.indexed) == sorted(want_report.indexed)
    assert sorted(report.failed) == sorted(want_report.failed)  # same files, same reason lines
    assert report.exit_code == want_report.exit_code == 1
    assert_same_index(snapshot(settings), want)
    assert_faiss_matches_sql(settings)


def test_ray_run_equals_local_run(ray_cluster, db_settings: Settings, folder: Path, reference) -> None:
    settings = db_settings.model_copy(update=OPTIONS)
    report, stats = ray_index(settings, [folder])
    assert_same_as_reference(settings, report, reference)
    assert stats.chunked_videos >= 4  # long, gop, vfr, second (and the bad files that probe as long)
    assert stats.whole_again >= 1  # a damaged file fails in chunks, then whole with the local reason
    assert stats.duplicates_dropped == 0
    with Library(settings, notify=lambda m: None).sessions() as session:  # each video's cuts came back too
        assert all(parse_cuts(v.shots) is not None for v in store.list_videos(session=session))

    # the same search answers on both
    encoder = load_encoder(COLOUR_MODEL)
    ref_settings = reference[2]

    def answers(at: Settings, query: str) -> list[tuple]:
        # equal scores are ordered by video id, which a Ray run hands out in the order videos finish
        hits = SearchEngine(Library(at, notify=lambda m: None), encoder).search(query, limit=5).hits
        return sorted((-round(h.moment.score, 5), h.video.path, h.moment.start, h.moment.end) for h in hits)

    for query in ("red", "green", "cyan"):
        got, want = answers(settings, query), answers(ref_settings, query)
        assert got == want and got

    # a second run skips what was indexed (failed files are tried again, as a local run does)
    report, stats = ray_index(settings, [folder])
    assert report.indexed == [] and len(report.skipped) == 5
    assert sorted(report.failed) == sorted(reference[0].failed)
    assert stats.duplicates_dropped == 0


def test_duplicated_tasks_write_each_video_once(
    ray_cluster, db_settings: Settings, folder: Path, reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.distributed import RayEmbedding

    launch = RayEmbedding._launch
    monkeypatch.setattr(
        RayEmbedding, "_launch", lambda self, unit, **kw: launch(self, unit, **kw) + launch(self, unit, **kw)
    )
    settings = db_settings.model_copy(update=OPTIONS)
    report, stats = ray_index(settings, [folder])
    assert stats.duplicates_dropped > 0
    assert_same_as_reference(settings, report, reference)


def test_actor_crash_is_retried_and_written_once(ray_cluster, settings: Settings, folder: Path, reference) -> None:
    ray_cluster["arm"].touch()
    settings = settings.model_copy(update={**OPTIONS, "model": CRASHY_MODEL})
    report, _ = ray_index(settings, [folder])
    assert not ray_cluster["arm"].exists(), "the encoder did not crash"
    assert_same_as_reference(settings, report, reference)


def test_cli_index_on_ray(ray_cluster, folder: Path, reference, cli_env, tmp_path: Path) -> None:
    """`vidseek index --ray=ADDRESS` joins a running cluster; `--ray FOLDER` reads FOLDER as a path."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_")},
        **cli_env,
        **{f"VIDSEEK_{k.upper()}": str(v) for k, v in OPTIONS.items()},
    }
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(folder), f"--ray={ray_cluster['address']}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    want_report, want, _ = reference
    errors = sorted(line for line in proc.stderr.splitlines() if line.startswith("error:"))
    assert errors == sorted(f"error: {p}: {why}" for p, why in want_report.failed)
    assert "Traceback" not in proc.stderr
    assert "5 indexed" in proc.stdout and "4 failed" in proc.stdout
    settings = Settings(data_dir=Path(cli_env["VIDSEEK_DATA_DIR"]), model=COLOUR_MODEL, **OPTIONS)
    assert_same_index(snapshot(settings), want)
    assert_faiss_matches_sql(settings)

    # the setting instead of the flag, and `--ray FOLDER` (FOLDER is taken as a path): all unchanged now
    env2 = {**env, "RAY_ADDRESS": ray_cluster["address"]}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "index", "--ray", str(folder)],
        env=env2,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and "0 indexed, 5 unchanged, 4 failed" in proc.stdout, proc.stderr


def test_a_model_the_actors_cannot_load_is_one_clear_error(ray_cluster, settings: Settings) -> None:
    from indexer.distributed import RayIndexer
    from vidseek.errors import ModelError

    bad = settings.model_copy(update={"model": "python:no_such_module:Encoder"})
    with pytest.raises(ModelError, match="cannot load the model: Cannot import module 'no_such_module'"):
        RayIndexer(bad, Library(bad, notify=lambda m: None))


def test_actors_on_another_model_than_this_process_are_refused(ray_cluster, settings: Settings) -> None:
    import ray

    from indexer.distributed import RayIndexer
    from vidseek.errors import ModelError

    with pytest.raises(ModelError, match="the Ray actors load model 'test:colour-v1', this process 'test:colour-v2'"):
        RayIndexer(
            settings,
            Library(settings, notify=lambda m: None),
            encoder=load_encoder("python:colour_encoder:OtherColourEncoder"),
        )
    assert ray.is_initialized()  # the cluster it joined is left running
