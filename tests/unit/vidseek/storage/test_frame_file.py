"""The frame file beside the FAISS file (``vidseek.storage.frame_file``, ``frame_source``), on SQLite and
PostgreSQL: searches answer exactly as from SQL, a video written after the file was made is read from
SQL, a corrupted or truncated file is made again, and a writer killed mid-write leaves the old file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest
from calibrated_library import build
from colour_encoder import ColourEncoder

from search_api.http.schemas import MomentFilters
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.storage import frame_store, store
from vidseek.storage.frame_file import FrameFile, FrameFileProblem
from vidseek.storage.frame_source import FrameSource
from vidseek.storage.library import Library

QUERIES = ("red", "blue", "green")
FILTERS = (MomentFilters(limit=10), MomentFilters(limit=20, offset=3, min_relevance="low"))
TESTS = Path(__file__).resolve().parents[3]


def _pages(engine: SearchEngine) -> list:
    out = []
    for q in QUERIES:
        for f in FILTERS:
            page = engine.page(q, f)
            scores = {v: (s.first, s.times.tobytes(), s.scores.tobytes()) for v, s in page.frame_scores.items()}
            out.append(([(h.video.id, astuple(h.moment), h.relevance, h.z) for h in page.hits], page.hidden, scores))
    return out


def _engines(settings: Settings, notes: list[str]) -> tuple[SearchEngine, SearchEngine]:
    """An engine reading the frame file and one reading SQL only, on the same library."""
    with_file = SearchEngine(Library(settings, notify=notes.append), ColourEncoder())
    sql_only = SearchEngine(Library(settings.model_copy(update={"frame_file": False})), ColourEncoder())
    return with_file, sql_only


@pytest.fixture
def library(db_settings: Settings) -> Library:
    library = Library(db_settings, notify=lambda m: None)
    build(library)
    return library


def _replace_red_video(library: Library) -> int:
    """Write again the first video with two red events as one whose frames are all unrelated (no red)."""
    with library.sessions() as session:
        video = store.video_by_path("/synthetic/synthetic 00.mp4", session=session)
        record = store.VideoRecord(
            **{f: getattr(video, f) for f in store.VideoRecord.__dataclass_fields__ if f != "fingerprint"},
            fingerprint="f" * 64,
        )
    times, frames = np.arange(30, dtype=np.float64), np.zeros((30, ColourEncoder.dim), np.float32)
    frames[:, 0] = 1.0
    windows = [(i, i + 3, float(i), float(i + 4)) for i in range(0, 27, 2)]
    vectors = np.stack([frames[a : b + 1].mean(axis=0) for a, b, _, _ in windows])
    return library.write_video(record, times, frames, windows, vectors)


def test_search_answers_from_the_file_exactly_as_from_sql(library: Library, db_settings: Settings) -> None:
    notes: list[str] = []
    with_file, sql_only = _engines(db_settings, notes)
    assert _pages(with_file) == _pages(sql_only)
    assert any("frames.vectors is missing; making it" in n for n in notes)
    assert db_settings.frame_file_path.exists()


def test_a_video_written_after_the_file_was_made_is_read_from_sql(library: Library, db_settings: Settings) -> None:
    made = FrameSource(library, db_settings.frame_file_path).open()
    vid = _replace_red_video(library)
    notes: list[str] = []
    with_file, sql_only = _engines(db_settings, notes)  # fresh engines: the same background sample
    frames = with_file.clips.frames
    assert frames.open().generation == made.generation  # the file of before the write, still used
    with library.snapshot() as session:
        reader = frames.reader_at(store.generation(session=session), session)
    assert reader is not None and reader.stale == {vid} and reader.window(vid, 0, 5) is None
    assert reader.window(vid + 1, 0, 5) is not None
    with library.snapshot() as session:
        ids = store.all_clip_ids(session=session).tolist()
        known, rest = reader.clip_frames([*ids, 10**9])
        assert rest and {known.get(i, (None,))[0] for i in rest} == {None}  # the new clips and an id never used
        assert vid not in {v for v, _, _ in known.values()}  # a stale video's clips: from SQL
        via_file = frame_store.clip_frames([*ids, 10**9], session=session, frames=reader)
        assert via_file == frame_store.clip_frames([*ids, 10**9], session=session) and len(via_file) == len(ids)
    pages = _pages(with_file)
    assert pages == _pages(sql_only)  # the replaced video as SQL has it, though the file holds its red events
    assert not [n for n in notes if "frame file" in n]  # one video of 24 changed: under REBUILD_SHARE, not made again
    remade = frames.rebuild()
    assert remade.generation > made.generation and vid in remade
    assert _pages(with_file) == pages


def test_a_damaged_file_is_made_again(library: Library, db_settings: Settings) -> None:
    path = db_settings.frame_file_path
    FrameSource(library, path).open()
    good = path.read_bytes()
    flipped = bytearray(good)
    flipped[-100] ^= 0xFF  # one byte of a frame vector
    for damaged, reason in ((bytes(flipped), "corrupted (checksum mismatch)"), (good[:-512], "bytes where its header")):
        path.write_bytes(damaged)
        with pytest.raises(FrameFileProblem):
            FrameFile(path)
        notes: list[str] = []
        with_file, sql_only = _engines(db_settings, notes)
        assert _pages(with_file) == _pages(sql_only)
        assert any(reason in n and "making it from the database" in n for n in notes), notes
        assert path.read_bytes() == good  # made again: the same bytes


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from vidseek.config import Settings
from vidseek.storage import frame_source
from vidseek.storage.library import Library

settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2], model="python:colour_encoder:ColourEncoder")
rows = frame_source._frame_rows

def slow_rows(session):
    for i, row in enumerate(rows(session)):
        if i == 3:
            print("writing", flush=True)
            time.sleep(60)
        yield row

frame_source._frame_rows = slow_rows
source = frame_source.FrameSource(Library(settings), settings.frame_file_path)
source.open()
source.rebuild()
"""


def test_a_writer_killed_mid_write_leaves_the_old_file(library: Library, db_settings: Settings) -> None:
    path = db_settings.frame_file_path
    old = FrameSource(library, path).open()
    _replace_red_video(library)  # the database moves on: the killed writer was making a newer file
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(db_settings.data_dir), db_settings.sqlalchemy_url],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        strays = list(path.parent.glob("frames.vectors.tmp-*"))
        assert strays  # killed while its temporary file is half written
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    kept = FrameFile(path)  # the old file, whole: checksums good
    assert kept.generation == old.generation
    notes: list[str] = []
    with_file, sql_only = _engines(db_settings, notes)
    assert _pages(with_file) == _pages(sql_only)
    assert not list(path.parent.glob("frames.vectors.tmp-*"))  # the next opener removed the stray
    assert not [n for n in notes if "frame file" in n]  # the old file was good: used, not made again


def test_a_file_that_cannot_be_written_leaves_search_on_sql(
    library: Library, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidseek.storage import frame_source

    def disk_full(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(frame_source, "write_frame_file", disk_full)
    notes: list[str] = []
    with_file, sql_only = _engines(db_settings, notes)
    assert _pages(with_file) == _pages(sql_only)
    assert [n for n in notes if "frame file" in n][-1].endswith(
        "No space left on device); searches read frames from SQL"
    )
    assert not db_settings.frame_file_path.exists()
    monkeypatch.undo()  # the disk has room again: a minute later the file is made, in the background
    frames = with_file.clips.frames
    monkeypatch.setattr(frame_source, "RETRY_S", 0.0)
    assert frames.open() is None  # this search still reads SQL; the file is being made meanwhile
    frames._rebuilding.join(60)
    assert frames.open() is not None and db_settings.frame_file_path.exists()
