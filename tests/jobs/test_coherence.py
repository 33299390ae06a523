"""One library, many processes and threads: readers follow writers without a restart, searches never
see a video half replaced, and concurrent writers never clobber the FAISS file."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
from media import COLOURS, Segment, colour_frame, make_video

from indexer.sample import clip_windows
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import jobs, store
from vidseek.storage.library import Library
from vidseek.vectors.pool import pool_windows
from vidseek.vectors.vector_index import ClipIndex

from .conftest import VIDSEEK, check_consistency, faiss_ids, sql_clip_ids, worker_env


def _queue(library: Library, *paths: Path, kind: str = "index", video_id: int | None = None) -> None:
    with library.sessions() as session:
        if kind == "index":
            for p in paths:
                jobs.enqueue(kind, session=session, path=str(p))
        else:
            jobs.enqueue(kind, session=session, video_id=video_id)
        session.commit()


def _run_worker(settings: Settings) -> None:
    proc = subprocess.run(
        [*VIDSEEK, "worker", "--until-idle", "--poll", "0.05"],
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_an_api_reader_sees_another_process_s_writes_without_a_restart(db_settings: Settings, tmp_path: Path) -> None:
    first = make_video(tmp_path / "red.mp4", [Segment("red", 4)])
    reader = Library(db_settings, notify=lambda m: None)
    _queue(reader, first)
    _run_worker(db_settings)
    engine = SearchEngine(reader, load_encoder(db_settings.model))
    assert [h.video.title for h in engine.search("red", limit=3).hits][:1] == ["red"]
    index_before = reader.index()

    second = make_video(tmp_path / "green.mp4", [Segment("blue", 2), Segment("green", 4)])
    _queue(reader, second)
    _run_worker(db_settings)  # another process writes the database and the FAISS file
    hit = engine.search("green", limit=1).hits[0]
    assert (hit.video.title, hit.moment.start, hit.moment.score > 0.9) == ("green", 2.0, True)
    assert reader.index() is index_before, "caught up in place, by difference, not by reloading"
    assert faiss_ids(reader.index()) == sql_clip_ids(reader)

    with reader.sessions() as session:
        red_id = store.video_by_path(str(first), session=session).id
    _queue(reader, kind="delete", video_id=red_id)
    _run_worker(db_settings)
    assert [h for h in engine.search("red", limit=3).hits if h.moment.score > 0.9] == []
    assert faiss_ids(reader.index()) == sql_clip_ids(reader)


def test_two_writer_processes_leave_a_file_at_the_database_s_state(db_settings: Settings, tmp_path: Path) -> None:
    names = ["red", "green", "blue", "yellow", "magenta", "cyan"]
    paths = [make_video(tmp_path / f"{n}.mp4", [Segment(n, 20)]) for n in names]
    library = Library(db_settings, notify=lambda m: None)
    _queue(library, *paths)
    env = worker_env(db_settings)
    procs = [
        subprocess.Popen(
            [*VIDSEEK, "worker", "--until-idle", "--poll", "0.05"], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    with library.sessions() as session:
        assert jobs.counts(session=session) == {"queued": 0, "running": 0, "done": 6, "failed": 0}
        gen = store.generation(session=session)
    on_disk = ClipIndex.load(db_settings.faiss_path)  # as saved by the workers, no repair
    assert on_disk.generation == gen
    assert faiss_ids(on_disk) == sql_clip_ids(library)
    assert check_consistency(db_settings)["videos"] == 6


def _version(encoder, path: str, colour: str, seconds: int):  # noqa: ANN001, ANN202
    """A video's rows as the indexer would write them: ``seconds`` frames of one colour."""
    frames = np.stack([colour_frame(colour, 32, 32, seed=i) for i in range(seconds)])
    vectors = encoder.encode_frames(frames)
    times = np.arange(seconds, dtype=np.float64)
    windows = clip_windows(times, clip_seconds=4.0, stride=2.0, step=1.0, duration=float(seconds))
    record = store.VideoRecord(
        path=path,
        title=Path(path).stem,
        size=seconds,
        mtime_ns=seconds,
        fingerprint=colour,
        duration=float(seconds),
        fps=1.0,
        width=32,
        height=32,
        codec="h264",
        model_name=encoder.name,
        sample_fps=1.0,
        clip_seconds=4.0,
        clip_stride=2.0,
    )
    return (
        record,
        times,
        vectors,
        [(w.first, w.last, w.start, w.end) for w in windows],
        pool_windows(vectors, [(w.first, w.last) for w in windows]),
    )


def test_searches_during_replacement_see_the_old_or_the_new_video_never_half(settings: Settings) -> None:
    """A video flips between all-red (8 s) and all-blue (12 s) while searches run: one reader shares the
    writer's library (a worker thread in the API process), one has its own (another process's view)."""
    encoder = load_encoder(settings.model)
    writer = Library(settings, notify=lambda m: None)
    with writer.sessions() as session:
        store.claim_model(encoder.name, encoder.dim, session=session)
        session.commit()
    versions = [_version(encoder, "/videos/flip.mp4", "red", 8), _version(encoder, "/videos/flip.mp4", "blue", 12)]
    steady = _version(encoder, "/videos/steady.mp4", "green", 6)
    writer.write_video(*steady)
    writer.write_video(*versions[0])
    stop = threading.Event()
    problems: list[str] = []
    searches = [0]

    def flip() -> None:
        i = 1
        while not stop.is_set():
            writer.write_video(*versions[i % 2])
            writer.save_index()
            i += 1

    def read(library: Library) -> None:
        engine = SearchEngine(library, encoder)
        while not stop.is_set():
            for colour in ("red", "blue"):
                hits = [h for h in engine.search(colour, limit=5).hits if h.video.title == "flip"]
                for h in hits:
                    # the row, its clips and its frames must all be one version: red 8 s or blue 12 s
                    shown = {8.0: "red", 12.0: "blue"}.get(h.video.duration)
                    matches = h.moment.score > 0.99
                    whole = (
                        shown is not None
                        and matches == (shown == colour)
                        and (not matches or (h.moment.start, h.moment.end) == (0.0, h.video.duration))
                    )
                    if not whole:
                        problems.append(f"{colour}: {h.video.duration} s video, moment {h.moment}")
                if len(hits) > 1:
                    problems.append(f"{colour}: {len(hits)} moments for one single-colour video")
            green = engine.search("green", limit=1).hits
            if not green or green[0].video.title != "steady":
                problems.append("the untouched video went missing")
            searches[0] += 1

    own = Library(settings, notify=lambda m: None)
    threads = [
        threading.Thread(target=flip),
        threading.Thread(target=read, args=(writer,)),
        threading.Thread(target=read, args=(own,)),
    ]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(30)
    assert problems == [], problems[:5]
    assert searches[0] > 20
    with writer.sessions() as session:
        assert store.generation(session=session) > 10, "the writer really flipped it many times"
    assert check_consistency(settings)["videos"] == 2


def test_a_stale_file_is_patched_and_a_foreign_one_rebuilt(settings: Settings, tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", [Segment("red", 4)])
    b = make_video(tmp_path / "b.mp4", [Segment("blue", 4)])
    library = Library(settings, notify=lambda m: None)
    _queue(library, a)
    _run_worker(settings)
    stale = tmp_path / "stale.faiss"
    shutil.copy(settings.faiss_path, stale)
    _queue(library, b)
    _run_worker(settings)
    shutil.copy(stale, settings.faiss_path)  # as if the last save never happened
    messages: list[str] = []
    assert Library(settings, notify=messages.append).index().count == 2
    assert len(messages) == 1 and "stale" in messages[0] and "bringing it up to date" in messages[0]
    assert check_consistency(settings)["videos"] == 2

    other = settings.model_copy(update={"data_dir": tmp_path / "other"})
    Library(other, notify=lambda m: None).uid()  # another database, its own identity
    other.faiss_path.parent.mkdir(parents=True, exist_ok=True)
    with Library(other).sessions() as session:
        store.claim_model(load_encoder(settings.model).name, len(COLOURS), session=session)
        session.commit()
    shutil.copy(settings.faiss_path, other.faiss_path)
    messages.clear()
    assert Library(other, notify=messages.append).index().count == 0
    assert any("from another database" in m for m in messages)


def test_a_reader_catches_up_from_the_change_rows_and_without_them(
    db_settings: Settings, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    from indexer.runner import Indexer
    from vidseek.storage.tables import IndexChange

    paths = [make_video(tmp_path / f"{c}.mp4", [Segment(c, 4)]) for c in ("red", "green", "blue", "cyan")]
    writer = Library(db_settings, notify=lambda m: None)
    indexer = Indexer(db_settings, writer, load_encoder(db_settings.model))
    indexer.index(paths[:2])
    reader = Library(db_settings, notify=lambda m: None)
    index = reader.index()

    # three generations behind (two videos added, one deleted): read from their change rows only
    indexer.index(paths[2:])
    with writer.sessions() as session:
        green = store.video_by_path(str(paths[1]), session=session).id
    writer.delete_videos([green])
    real = store.all_clip_ids
    monkeypatch.setattr(store, "all_clip_ids", lambda **kw: (_ for _ in ()).throw(AssertionError("full scan")))
    assert reader.refresh(force=True) and reader.index() is index
    monkeypatch.setattr(store, "all_clip_ids", real)
    assert faiss_ids(index) == sql_clip_ids(reader)

    # a missing change row (pruned, or written before they existed): every clip id is compared instead
    indexer.index([make_video(tmp_path / "yellow.mp4", [Segment("yellow", 4)])])
    with writer.sessions() as session:
        red = store.video_by_path(str(paths[0]), session=session).id
    writer.delete_videos([red])
    with writer.sessions() as session:
        session.query(IndexChange).filter(IndexChange.generation == store.generation(session=session)).delete()
        session.commit()
    assert reader.refresh(force=True) and faiss_ids(reader.index()) == sql_clip_ids(reader)
    assert sorted(
        h.video.title
        for h in SearchEngine(reader, load_encoder(db_settings.model)).search("yellow", limit=3).hits
        if h.moment.score > 0.9
    ) == ["yellow"]
