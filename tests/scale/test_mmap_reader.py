"""A reader that memory-maps the FAISS file (VIDSEEK_INDEX_MMAP) never patches it: it answers from
what it mapped, maps the file again once a writer has saved the new generation, and repairs the
file itself when no writer has saved within the allowed lag."""

from __future__ import annotations

from pathlib import Path

import pytest
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import library as library_module
from vidseek.storage import store
from vidseek.storage.library import Library
from vidseek.vectors.vector_index import ClipIndex


def _sql_ids(library: Library) -> list[int]:
    with library.sessions() as session:
        return store.all_clip_ids(session=session).tolist()


def test_mapped_reader_follows_saves_and_repairs_a_lagging_file(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    videos = [make_video(tmp_path / f"{c}.mp4", [Segment(c, 4)]) for c in ("red", "green", "blue")]
    writer = Library(db_settings, notify=lambda m: None)
    indexer = Indexer(db_settings, writer, load_encoder(db_settings.model), progress=lambda: Progress(False))
    indexer.index(videos[:1])
    reader = Library(db_settings.model_copy(update={"index_mmap": True}), notify=lambda m: None)
    first = reader.index()
    assert first.read_only and sorted(first.ids().tolist()) == _sql_ids(writer)

    save = writer.save_index
    monkeypatch.setattr(writer, "save_index", lambda **kw: None)  # a writer that has not saved yet
    indexer.index(videos[1:2])
    assert reader.refresh(force=True) is False  # behind the database, but the file is too: keep answering
    assert reader.index() is first and len(first.ids()) < len(_sql_ids(writer))

    save(force=True)
    assert reader.refresh(force=True) is True
    second = reader.index()
    assert second.read_only and second is not first and sorted(second.ids().tolist()) == _sql_ids(writer)

    indexer.index(videos[2:])  # again not saved, and now the reader stops waiting for the writer
    monkeypatch.setattr(library_module, "MMAP_MAX_LAG", 0.0)
    assert reader.refresh(force=True) is True
    third = reader.index()
    assert third.read_only and sorted(third.ids().tolist()) == _sql_ids(writer)
    with writer.sessions() as session:
        assert ClipIndex.read_header(db_settings.faiss_path)["generation"] == store.generation(session=session)
