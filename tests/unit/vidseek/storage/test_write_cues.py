"""cue_store.write_cues, the one write of a video's cues, on SQLite and PostgreSQL: each ``replacing``
removes exactly its kind of cue in the same transaction, and full-text search follows."""

from __future__ import annotations

from pathlib import Path

import pytest
from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library

SUBTITLES = [
    cue_store.CueRow(1.0, 2.0, "opening titles", "sidecar:talk.srt"),
    cue_store.CueRow(3.0, 4.0, "the end", "stream:2"),
]
TRANSCRIPT = [cue_store.CueRow(1.5, 2.5, "hello deadline", "speech:test:tones-v1", "en")]


def _texts(library: Library, video_id: int) -> list[str]:
    with library.sessions() as session:
        return sorted(c.text for c in cue_store.cues_of(video_id, session=session))


def _write(library: Library, video_id: int, cues: list[cue_store.CueRow], replacing: str) -> None:
    with library.sessions() as session:
        cue_store.write_cues(video_id, cues, replacing=replacing, session=session)
        session.commit()


def test_each_write_replaces_only_its_own_kind_of_cue(db_settings: Settings, tmp_path: Path) -> None:
    video = make_video(tmp_path / "talk.mp4", [Segment("red", 5)])  # every line below is inside it
    library = Library(db_settings, notify=lambda m: None)
    Indexer(db_settings, library, load_encoder(db_settings.model), progress=lambda: Progress(False)).index([video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id

    _write(library, video_id, SUBTITLES, "subtitles")
    _write(library, video_id, TRANSCRIPT, "transcript")
    assert _texts(library, video_id) == ["hello deadline", "opening titles", "the end"]
    with library.sessions() as session:
        assert cue_store.cue_counts([video_id], session=session) == {video_id: (2, 1)}
        assert cue_store.cue_counts(session=session) == {video_id: (2, 1)}
        assert [h.text for h in cue_store.search_cues("deadline", 5, session=session)] == ["hello deadline"]

    _write(library, video_id, SUBTITLES[:1], "subtitles")  # a sidecar re-read: the transcript stays
    assert _texts(library, video_id) == ["hello deadline", "opening titles"]
    _write(library, video_id, [], "transcript")  # heard nothing this time: the subtitles stay
    assert _texts(library, video_id) == ["opening titles"]
    _write(library, video_id, TRANSCRIPT, "transcript")
    _write(library, video_id, SUBTITLES[1:], "all")  # a changed file: everything goes
    assert _texts(library, video_id) == ["the end"]
    with library.sessions() as session:
        assert cue_store.search_cues("deadline", 5, session=session) == []
        with pytest.raises(ValueError, match="a subtitles write cannot bring the transcript cue"):
            cue_store.write_cues(video_id, TRANSCRIPT, replacing="subtitles", session=session)
    assert _texts(library, video_id) == ["the end"], "a refused write changes nothing"


SHOWN = [
    cue_store.CueRow(0.0, 3.0, "Q3 Revenue Growth", "shown:PP-OCRv4"),
    cue_store.CueRow(1.0, 2.0, "deadline Friday", "shown:PP-OCRv4"),
]


def test_a_shown_write_replaces_only_shown_lines_and_word_search_tells_shown_from_said(
    db_settings: Settings, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "slides.mp4", [Segment("red", 5)])
    library = Library(db_settings, notify=lambda m: None)
    Indexer(db_settings, library, load_encoder(db_settings.model), progress=lambda: Progress(False)).index([video])
    with library.sessions() as session:
        video_id = store.video_by_path(str(video), session=session).id
    _write(library, video_id, SUBTITLES, "subtitles")
    _write(library, video_id, TRANSCRIPT, "transcript")
    _write(library, video_id, SHOWN, "shown")
    _write(library, video_id, SHOWN[:1], "shown")  # read again: replaced, never twice
    assert _texts(library, video_id) == ["Q3 Revenue Growth", "hello deadline", "opening titles", "the end"]
    _write(library, video_id, SUBTITLES[:1], "subtitles")  # a sidecar re-read keeps the shown lines
    _write(library, video_id, [], "transcript")
    assert _texts(library, video_id) == ["Q3 Revenue Growth", "opening titles"]
    _write(library, video_id, SHOWN, "shown")
    _write(library, video_id, TRANSCRIPT, "transcript")
    with library.sessions() as session:
        assert cue_store.cue_counts([video_id], session=session) == {video_id: (1, 1)}  # shown lines are not said
        assert cue_store.shown_counts(session=session) == {video_id: 2}
        found = {
            kind: [h.text for h in cue_store.search_cues("deadline", 5, session=session, kind=kind)]
            for kind in (None, "shown", "speech")
        }
        assert sorted(found[None]) == ["deadline Friday", "hello deadline"]
        assert found["shown"] == ["deadline Friday"] and found["speech"] == ["hello deadline"]
        with pytest.raises(ValueError, match="a shown write cannot bring the subtitles cue"):
            cue_store.write_cues(video_id, SUBTITLES, replacing="shown", session=session)
        with pytest.raises(ValueError, match="a transcript write cannot bring the shown cue"):
            cue_store.write_cues(video_id, SHOWN, replacing="transcript", session=session)
    _write(library, video_id, [], "all")  # a changed file: the shown lines go too
    assert _texts(library, video_id) == []
