"""Indexing into a real database (SQLite and PostgreSQL) and FAISS: bad files, re-index, change,
delete, rebuild. SQL is the truth; the FAISS file must always agree with it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from media import Segment, make_audio_only, make_video
from optional import needs_decord

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import frame_store, store
from vidseek.storage.library import Library
from vidseek.vectors.vector_index import ClipIndex


def run_index(settings: Settings, paths, messages=None, **kw):
    library = Library(settings, notify=(messages.append if messages is not None else lambda m: None))
    encoder = load_encoder(settings.model)
    report = Indexer(settings, library, encoder, progress=lambda: Progress(False)).index(list(paths), **kw)
    return library, report


def assert_faiss_matches_sql(library: Library, settings: Settings) -> None:
    with library.sessions() as session:
        ids = np.concatenate([i for i, _ in store.iter_clip_vectors(session=session)] or [np.zeros(0, np.int64)])
        gen = store.generation(session=session)
    on_disk = ClipIndex.load(settings.faiss_path)
    assert on_disk.generation == gen
    assert sorted(on_disk.ids().tolist()) == sorted(ids.tolist())


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mixed"
    good = make_video(folder / "good one.mp4", [Segment("red", 4), Segment("blue", 4)])
    make_video(folder / "sub" / "second.webm", [Segment("green", 5)], codec="libvpx-vp9")
    (folder / "empty.mp4").write_bytes(b"")
    data = good.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    full = make_video(tmp_path / "long.mkv", [Segment("yellow", 8)], width=128, height=96)
    (folder / "cut short.mkv").write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    scrambled = bytearray(full.read_bytes())  # headers intact, every frame's data garbage
    scrambled[600:] = np.random.default_rng(0).integers(0, 256, len(scrambled) - 600, dtype=np.uint8).tobytes()
    (folder / "undecodable.mkv").write_bytes(bytes(scrambled))
    (folder / "notes.mov").write_text("this is not a video\n" * 20)
    make_audio_only(folder / "speech.mp4")
    (folder / "readme.txt").write_text("ignored: not a video extension")
    return folder


def test_mixed_folder_indexes_good_files_and_names_each_bad_one(db_settings: Settings, mixed_folder: Path) -> None:
    library, report = run_index(db_settings, [mixed_folder])
    assert sorted(Path(p).name for p in report.indexed) == ["good one.mp4", "second.webm"]
    reasons = {Path(p).name: why for p, why in report.failed}
    assert set(reasons) == {"empty.mp4", "truncated.mp4", "cut short.mkv", "notes.mov", "speech.mp4", "undecodable.mkv"}
    assert "decoding failed" in reasons["undecodable.mkv"] or "no decodable" in reasons["undecodable.mkv"]
    assert "empty" in reasons["empty.mp4"]
    assert "truncated" in reasons["cut short.mkv"]
    assert "no video stream" in reasons["speech.mp4"]
    assert "not a readable video" in reasons["notes.mov"]
    assert report.exit_code == 1
    assert_faiss_matches_sql(library, db_settings)
    with library.sessions() as session:
        video = store.video_by_path(str((mixed_folder / "good one.mp4").resolve()), session=session)
        assert (video.duration, video.width, video.height, video.codec, video.fps) == (8.0, 64, 48, "h264", 10.0)
        assert video.model_name == "test:colour-v1" and video.sample_fps == 1.0 and len(video.fingerprint) == 32
        assert video.frame_count == 8 and video.indexed_at is not None


def test_rerun_skips_unchanged_and_touched_files(db_settings: Settings, mixed_folder: Path) -> None:
    run_index(db_settings, [mixed_folder])
    good = mixed_folder / "good one.mp4"
    os.utime(good, ns=(good.stat().st_atime_ns, good.stat().st_mtime_ns + 10**9))  # same bytes, new mtime
    library, report = run_index(db_settings, [mixed_folder])
    assert report.indexed == [] and len(report.skipped) == 2
    encoder = load_encoder(db_settings.model)
    assert encoder.inner.frames_seen > 0
    seen = encoder.inner.frames_seen
    good_files = [good, mixed_folder / "sub" / "second.webm"]
    _, report = run_index(db_settings, good_files)
    assert len(report.skipped) == 2 and report.exit_code == 0
    assert encoder.inner.frames_seen == seen, "unchanged files must not be decoded again"


def test_changed_file_replaces_its_clips(db_settings: Settings, tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", [Segment("red", 6)])
    library, _ = run_index(db_settings, [path])
    with library.sessions() as session:
        old_ids = store.clip_ids_of([1], session=session)
    make_video(path, [Segment("blue", 10)])
    library, report = run_index(db_settings, [path])
    assert report.indexed == [str(path.resolve())]
    with library.sessions() as session:
        (video,) = store.list_videos(session=session)
        new_ids = store.clip_ids_of([video.id], session=session)
        assert video.duration == 10.0 and video.id == 1
    assert not set(old_ids) & set(new_ids)
    assert_faiss_matches_sql(library, db_settings)
    engine = SearchEngine(library, load_encoder(db_settings.model))
    assert engine.search("blue", limit=1).hits[0].moment.score > 0.9
    assert all(h.moment.score < 0.5 for h in engine.search("red", limit=5).hits)


def test_delete_and_prune_remove_videos_from_sql_and_faiss(db_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    a = make_video(folder / "a.mp4", [Segment("red", 4)])
    make_video(folder / "b.mp4", [Segment("blue", 4)])
    library, _ = run_index(db_settings, [folder])
    with library.sessions() as session:
        ids = {Path(v.path).name: v.id for v in store.list_videos(session=session)}
    library.delete_videos([ids["b.mp4"]])
    library.save_index()
    assert_faiss_matches_sql(library, db_settings)
    a.unlink()
    library, report = run_index(db_settings, [folder], prune=True)
    assert report.removed == [str(a.resolve())]
    assert [Path(p).name for p in report.indexed] == ["b.mp4"]  # removed from the index, still on disk
    with library.sessions() as session:
        assert [Path(v.path).name for v in store.list_videos(session=session)] == ["b.mp4"]
    assert_faiss_matches_sql(library, db_settings)


def test_deleted_or_stale_faiss_file_is_rebuilt_with_a_message(db_settings: Settings, tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", [Segment("red", 4)])
    run_index(db_settings, [a])
    stale = tmp_path / "stale.faiss"
    shutil.copy(db_settings.faiss_path, stale)
    b = make_video(tmp_path / "b.mp4", [Segment("blue", 4)])
    run_index(db_settings, [b])

    db_settings.faiss_path.unlink()
    messages: list[str] = []
    library = Library(db_settings, notify=messages.append)
    assert library.index().count == 2
    assert any("missing" in m and "rebuilding" in m for m in messages)
    assert_faiss_matches_sql(library, db_settings)

    shutil.copy(stale, db_settings.faiss_path)  # an old generation, as after a crash before saving
    messages.clear()
    library = Library(db_settings, notify=messages.append)
    engine = SearchEngine(library, load_encoder(db_settings.model))
    assert Path(engine.search("blue", limit=1).hits[0].video.path).name == "b.mp4"
    assert any("stale" in m for m in messages)

    db_settings.faiss_path.write_bytes(b"garbage")
    messages.clear()
    assert Library(db_settings, notify=messages.append).index().count == 2
    assert any("unreadable" in m for m in messages)


def test_rebuild_index_remakes_the_same_index(db_settings: Settings, colour_library) -> None:
    library, _ = run_index(db_settings, list(colour_library.values()))
    encoder = load_encoder(db_settings.model)
    before = [
        (h.video.id, h.moment.start, h.moment.end) for h in SearchEngine(library, encoder).search("red", limit=5).hits
    ]
    library.rebuild_index()
    assert_faiss_matches_sql(library, db_settings)
    fresh = Library(db_settings)
    after = [
        (h.video.id, h.moment.start, h.moment.end) for h in SearchEngine(fresh, encoder).search("red", limit=5).hits
    ]
    assert before == after


@needs_decord
def test_decord_backend_indexes_the_same_clips(settings: Settings, colour_library, tmp_path: Path) -> None:
    library_a, _ = run_index(settings, list(colour_library.values()))
    other = settings.model_copy(update={"decoder": "decord", "data_dir": tmp_path / "decord-data"})
    library_b, _ = run_index(other, list(colour_library.values()))
    with library_a.sessions() as sa, library_b.sessions() as sb:
        rows_a = [(c.start, c.end) for c in store.clips_by_ids(list(range(1, 100)), session=sa).values()]
        rows_b = [(c.start, c.end) for c in store.clips_by_ids(list(range(1, 100)), session=sb).values()]
    assert rows_a == rows_b and rows_a


def test_frame_window_reads_just_the_asked_frames(db_settings: Settings, tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", [Segment("red", 5), Segment("blue", 5)])
    library, _ = run_index(db_settings, [path])
    with library.sessions() as session:
        (video,) = store.list_videos(session=session)
        all_times, all_vectors = frame_store.frames_of(video.id, session=session)
        dim = all_vectors.shape[1]
        times, vectors = frame_store.frame_window(video.id, 3, 6, dim=dim, session=session)
        assert times.tolist() == [3.0, 4.0, 5.0, 6.0]
        assert np.array_equal(vectors, all_vectors[3:7])
        assert frame_store.frame_window(video.id, -5, 1, dim=dim, session=session)[0].tolist() == [0.0, 1.0]
        assert frame_store.frame_window(video.id, 8, 99, dim=dim, session=session)[0].tolist() == [8.0, 9.0]
        assert len(frame_store.frame_window(video.id, 12, 99, dim=dim, session=session)[0]) == 0
        assert len(frame_store.frame_window(video.id + 100, 0, 3, dim=dim, session=session)[0]) == 0
