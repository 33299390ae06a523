"""Re-embedding: the library moves to another model while search keeps answering from the old one,
then every reader switches; interrupted runs resume; changes made meanwhile are picked up."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from media import Segment, make_video
from sqlalchemy import select

from indexer.embedding import LocalEmbedding
from indexer.reembed import Reembedder
from indexer.runner import Indexer
from indexer.worker import Worker
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import frame_store, index_meta, jobs, staging, store
from vidseek.storage.library import Library
from vidseek.storage.tables import Clip, Video
from vidseek.vectors.vector_index import ClipIndex

from .conftest import check_consistency

WIDE = "python:colour_encoder:WideColourEncoder"


def _quiet(settings: Settings) -> Library:
    return Library(settings, notify=lambda m: None)


def _index(settings: Settings, paths: list[Path]) -> None:
    library = _quiet(settings)
    Indexer(settings, library, load_encoder(settings.model)).index(paths)


def _moments(engine: SearchEngine, query: str) -> list[tuple[str, float, float]]:
    return [
        (h.video.title, h.moment.start, h.moment.end)
        for h in engine.search(query, limit=10).hits
        if h.moment.score >= 0.9
    ]


@pytest.fixture
def videos(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "media"
    return {
        "red": make_video(root / "red.mp4", [Segment("blue", 2), Segment("red", 4), Segment("blue", 2)]),
        "green": make_video(root / "green.mp4", [Segment("yellow", 3), Segment("green", 4)]),
        "white": make_video(root / "white.mp4", [Segment("white", 5)]),
    }


def test_reembed_switches_every_reader_to_the_new_model(db_settings: Settings, videos: dict[str, Path]) -> None:
    _index(db_settings, list(videos.values()))
    reader = SearchEngine(_quiet(db_settings), load_encoder(db_settings.model))  # another process, say
    before = {q: _moments(reader, q) for q in ("red", "green", "white")}
    assert before["red"] == [("red", 2.0, 6.0)]

    library = _quiet(db_settings)
    wide = load_encoder(WIDE)
    seen_during: list = []
    build = Reembedder._build_index

    def build_then_search(self):  # noqa: ANN001, ANN202 - everything is staged; nothing is switched yet
        seen_during.append((reader.encoder.name, _moments(reader, "red")))
        return build(self)

    reembedder = Reembedder(db_settings, library, wide, WIDE)
    reembedder._build_index = build_then_search.__get__(reembedder)
    report = reembedder.run()
    assert report.switched and not report.failed and sorted(report.staged) == sorted(map(str, videos.values()))
    assert seen_during == [("test:colour-v1", before["red"])]  # the old model answered until the switch

    # The reader notices the new generation, opens the new index and loads the new model by itself.
    after = {q: _moments(reader, q) for q in before}
    assert after == before
    assert reader.encoder.name == "test:colour-wide" and reader.library.index().dim == wide.dim
    with library.sessions() as session:
        assert index_meta.get_meta("model", session=session) == "test:colour-wide"
        assert index_meta.get_meta("dim", session=session) == str(wide.dim)
        assert {v.model_name for v in store.list_videos(session=session)} == {"test:colour-wide"}
        assert staging.staged_counts("test:colour-wide", session=session) == (0, 0)
        _times, frames = frame_store.frames_of(store.list_videos(session=session)[0].id, session=session)
        assert frames.shape[1] == wide.dim
    assert ClipIndex.read_header(db_settings.faiss_path)["dim"] == wide.dim
    check_consistency(db_settings.model_copy(update={"model": WIDE}))

    # The old model is now refused, with the way out in the message; running it again does nothing.
    with pytest.raises(Exception, match="test:colour-wide"):
        SearchEngine(_quiet(db_settings), load_encoder(db_settings.model))
    assert Reembedder(db_settings, _quiet(db_settings), load_encoder(WIDE), WIDE).run().already


def test_interrupted_reembed_resumes_without_decoding_again(db_settings: Settings, videos: dict[str, Path]) -> None:
    _index(db_settings, list(videos.values()))

    class Interrupted(Exception):
        pass

    wide = load_encoder(WIDE)
    real = wide.encode_frames
    calls = {"n": 0}

    def dies_on_third_batch(frames: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Interrupted
        return real(frames)

    wide.encode_frames = dies_on_third_batch
    # one file or so per batch; every frame embedded, so the third model call comes while files remain
    settings = db_settings.model_copy(update={"batch_size": 8, "skip_similar": 0})
    with pytest.raises(Interrupted):
        Reembedder(settings, _quiet(settings), wide, WIDE).run()
    library = _quiet(settings)
    with library.sessions() as session:
        staged, _ = staging.staged_counts("test:colour-wide", session=session)
        assert index_meta.get_meta("model", session=session) == "test:colour-v1"  # nothing live changed
    assert 1 <= staged < len(videos)
    check_consistency(settings)

    report = Reembedder(settings, library, load_encoder(WIDE), WIDE).run()
    assert report.switched and report.reused == staged and len(report.staged) == len(videos) - staged
    check_consistency(settings.model_copy(update={"model": WIDE}))


def test_changes_made_during_a_reembed_are_in_the_new_index(
    db_settings: Settings, videos: dict[str, Path], tmp_path: Path
) -> None:
    _index(db_settings, list(videos.values()))
    old = load_encoder(db_settings.model)
    writer = _quiet(db_settings)
    added = make_video(tmp_path / "media" / "magenta.mp4", [Segment("magenta", 4)])
    build = Reembedder._build_index
    rounds = {"n": 0}

    def meanwhile(self):  # noqa: ANN001, ANN202 - indexing goes on with the old model while staging
        rounds["n"] += 1
        if rounds["n"] == 1:
            make_video(videos["white"], [Segment("cyan", 5)])  # changed: re-indexed, so staged again
            Indexer(db_settings, writer, old).index([videos["white"], added])
            with writer.sessions() as session:
                gone = store.video_by_path(str(videos["green"]), session=session).id
            writer.delete_videos([gone])
        return build(self)

    library = _quiet(db_settings)
    reembedder = Reembedder(db_settings, library, load_encoder(WIDE), WIDE)
    reembedder._build_index = meanwhile.__get__(reembedder)
    report = reembedder.run()
    assert report.switched and rounds["n"] == 2 and report.videos == 3
    engine = SearchEngine(library, load_encoder(WIDE))
    assert _moments(engine, "cyan") == [("white", 0.0, 5.0)]
    assert _moments(engine, "magenta") == [("magenta", 0.0, 4.0)]
    assert _moments(engine, "green") == []
    check_consistency(db_settings.model_copy(update={"model": WIDE}))


def test_a_missing_file_stops_the_switch_and_loses_nothing(
    db_settings: Settings, videos: dict[str, Path], tmp_path: Path
) -> None:
    doomed = shutil.copy(videos["white"], tmp_path / "doomed.mp4")
    _index(db_settings, [*videos.values(), Path(doomed)])
    Path(doomed).unlink()
    library = _quiet(db_settings)
    report = Reembedder(db_settings, library, load_encoder(WIDE), WIDE).run()
    assert not report.switched and [p for p, _ in report.failed] == [str(doomed)]
    assert "missing" in report.failed[0][1] and "vidseek rm" in report.failed[0][1]
    engine = SearchEngine(_quiet(db_settings), load_encoder(db_settings.model))  # still the old model
    assert _moments(engine, "red") == [("red", 2.0, 6.0)]
    check_consistency(db_settings)

    library.delete_videos([v.id for v in _videos(library) if v.path == str(doomed)])
    again = Reembedder(db_settings, library, load_encoder(WIDE), WIDE).run()
    assert again.switched and again.reused == len(videos) and again.staged == []


class StopsEarly:
    """The local embedding, except that one file's frames stop after its first second (the file
    now decodes to less than was indexed, its size and mtime unchanged)."""

    def __init__(self, settings: Settings, encoder, path: Path) -> None:  # noqa: ANN001
        self.inner = LocalEmbedding(settings, encoder)
        self.model_name, self.dim, self.path = self.inner.model_name, self.inner.dim, path

    def embed(self, videos, **kw):  # noqa: ANN001, ANN003, ANN201
        paths = {v.key: v.path for v in videos}
        for done in self.inner.embed(videos, **kw):
            if paths[done.key] == self.path:
                kept = [i for i, t in enumerate(done.times) if t < 1.0]
                done.times, done.vectors = [done.times[i] for i in kept], [done.vectors[i] for i in kept]
            yield done


def test_a_decode_that_stops_short_fails_the_reembed_as_it_fails_indexing(
    db_settings: Settings, videos: dict[str, Path]
) -> None:
    """Re-embedding checks a decoded video as indexing does (truncation included), so a video is never
    switched to fewer moments than it had."""
    _index(db_settings, list(videos.values()))
    library = _quiet(db_settings)
    strategy = StopsEarly(db_settings, load_encoder(WIDE), videos["red"])
    report = Reembedder(db_settings, library, None, WIDE, embedding=strategy).run()
    assert not report.switched
    assert [p for p, _ in report.failed] == [str(videos["red"])]
    assert report.failed[0][1].startswith("file looks truncated")
    assert library.model_name() == "test:colour-v1"
    check_consistency(db_settings)


def _videos(library: Library) -> list[Video]:
    with library.sessions() as session:
        return store.list_videos(session=session)


def test_reserved_clip_ids_are_never_handed_out_again(db_settings: Settings, videos: dict[str, Path]) -> None:
    _index(db_settings, [videos["red"]])
    library = _quiet(db_settings)
    with library.sessions() as session:
        before = store.all_clip_ids(session=session)
        reserved = staging.reserve_clip_ids(5, session=session)
        session.commit()
    assert len(set(reserved.tolist())) == 5 and reserved.min() > before.max()
    _index(db_settings, [videos["green"]])
    with library.sessions() as session:
        fresh = session.scalars(select(Clip.id).where(Clip.id > int(before.max()))).all()
    assert fresh and not set(fresh) & set(reserved.tolist()) and min(fresh) > reserved.max()


def test_worker_runs_a_reembed_job_then_indexes_with_the_new_model(
    db_settings: Settings, videos: dict[str, Path], tmp_path: Path
) -> None:
    _index(db_settings, [videos["red"], videos["green"]])
    worker = Worker(db_settings, lease_seconds=5.0, poll_seconds=0.05, save_interval=0)
    engine = SearchEngine(worker.library, worker.encoder)
    with worker.library.sessions() as session:
        bad = jobs.enqueue("reembed", session=session, payload={"model": "python:colour_encoder:NoSuchEncoder"})
        job = jobs.enqueue("reembed", session=session, payload={"model": WIDE})
        session.commit()
        bad_id, job_id = bad.id, job.id
    assert worker.run(until_idle=True) == 2
    with worker.library.sessions() as session:
        failed, done = jobs.get_job(bad_id, session=session), jobs.get_job(job_id, session=session)
    assert failed.status == "failed" and "NoSuchEncoder" in failed.error
    assert done.status == "done" and done.progress == 1.0, done.error
    assert worker.encoder.name == engine.encoder.name == "test:colour-wide"

    blue = make_video(tmp_path / "blue.mp4", [Segment("blue", 4)])
    with worker.library.sessions() as session:
        index_job = jobs.enqueue("index", session=session, path=str(blue)).id
        session.commit()
    worker.run(until_idle=True)
    with worker.library.sessions() as session:
        assert jobs.get_job(index_job, session=session).status == "done"
        assert store.video_by_path(str(blue), session=session).model_name == "test:colour-wide"
    assert ("blue", 0.0, 4.0) in _moments(engine, "blue")
    check_consistency(db_settings.model_copy(update={"model": WIDE}))


# ------------------------------------------------- a spec that cannot be loaded is refused before queueing


@pytest.fixture
def fresh_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty Hugging Face cache and no ~/.cache/clip, so no weights are cached; returns the cache."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return cache


def _refused(spec: str) -> str:
    from vidseek.errors import ModelError
    from vidseek.models.encoders import check_spec

    with pytest.raises(ModelError) as refused:
        check_spec(spec)
    return str(refused.value)


def test_unknown_architectures_tags_and_files_are_refused_with_where_to_look() -> None:
    from vidseek.models.encoders import check_spec

    assert "list_pretrained()" in _refused("NoSuchNet:openai")
    assert "known tags: openai" in _refused("ViT-B-32:no_such_tag")
    assert "does not exist" in _refused("ViT-B-32:/nowhere/weights.bin")
    assert "python:MODULE:ATTR" in _refused("no-colon")
    assert "has no attribute 'Nope'" in _refused("python:colour_encoder:Nope")
    check_spec("ViT-B-32:random")  # needs no weights
    check_spec(WIDE)  # imported, not built


def test_uncached_weights_offline_are_refused_at_once(fresh_hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    message = _refused("ViT-B-32:openai")
    assert time.monotonic() - started < 2
    assert (
        message.startswith("Could not fetch pretrained weights 'openai' for ViT-B-32") and "HF_HUB_OFFLINE" in message
    )


def test_a_hub_that_does_not_answer_is_given_a_few_seconds(fresh_hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import huggingface_hub

    from vidseek.models import encoders

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    hung = threading.Event()
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda *a, **k: hung.wait(60))  # a dead route
    monkeypatch.setattr(encoders, "FETCH_CHECK_SECONDS", 0.5)
    started = time.monotonic()
    from vidseek.errors import ModelError

    with pytest.raises(ModelError, match="no answer within 0.5 s"):
        encoders.check_spec("ViT-B-32:laion2b_s34b_b79k", timeout=encoders.FETCH_CHECK_SECONDS)
    assert time.monotonic() - started < 3
    hung.set()


def test_cached_weights_pass_offline(fresh_hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vidseek.models.encoders import check_spec

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo = fresh_hub / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "open_clip_model.safetensors").write_bytes(b"weights")
    check_spec("ViT-B-32:laion2b_s34b_b79k")  # no network needed


def test_reembed_queue_refuses_unfetchable_weights_at_once(
    cli_env,
    tmp_path: Path,
    fresh_hub: Path,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from click.testing import CliRunner

    from cli.main import main

    make_video(tmp_path / "v" / "red.mp4", [Segment("blue", 2), Segment("red", 4)])
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(tmp_path / "v")]).exit_code == 0
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    result = runner.invoke(main, ["reembed", "--queue", "ViT-B-32:openai"])
    assert time.monotonic() - started < 20  # importing open_clip included
    assert result.exit_code == 2 and "Could not fetch pretrained weights 'openai'" in result.output, result.output
    unknown = runner.invoke(main, ["reembed", "--queue", "NoSuchNet:openai"])
    assert unknown.exit_code == 2 and "Unknown open_clip architecture 'NoSuchNet'" in unknown.output
    library = Library(Settings(), notify=lambda m: None)
    with library.sessions() as session:
        assert jobs.active_jobs_of_kind("reembed", session=session) == []  # nothing queued
    queued = runner.invoke(main, ["reembed", "--queue", "ViT-B-32:random"])
    assert queued.exit_code == 0 and "queued re-embed job" in queued.output
