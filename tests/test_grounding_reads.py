"""How many statements a search sends, on SQLite and PostgreSQL: the frame windows of every candidate
video grounded are read in one statement (``store.frame_windows``); the moments are the ones reading
each window alone gives."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from calibrated_library import build
from colour_encoder import ColourEncoder
from sql_statements import frame_reads, statements_sent

from search_api import engine as engine_module
from search_api.engine import SearchEngine
from search_api.schemas import MomentFilters
from vidseek.config import Settings
from vidseek.library import Library

QUERIES = ("red", "blue", "green", "white")
FILTERS = (
    MomentFilters(limit=10),
    MomentFilters(limit=3),
    MomentFilters(limit=50, min_relevance="low"),
    MomentFilters(limit=10, min_relevance="high"),
    MomentFilters(limit=5, group_by="video"),
)


@pytest.fixture
def engine(db_settings: Settings) -> SearchEngine:
    library = Library(db_settings, notify=lambda m: None)
    build(library)  # 24 videos of 30 s, a third of them with red events
    return SearchEngine(library, ColourEncoder())


def _sent_by(engine: SearchEngine):  # noqa: ANN202
    with engine.library.sessions() as session:
        return statements_sent(session.get_bind())


def _page(engine: SearchEngine, query: str, filters: MomentFilters) -> tuple:
    """A page as plain data: its moments, what was hidden, the frame scores kept."""
    page = engine.page(query, filters)
    scores = {v: (s.first, s.times.tobytes(), s.scores.tobytes()) for v, s in page.frame_scores.items()}
    return [(h.video.id, astuple(h.moment), h.relevance, h.z) for h in page.hits], page.hidden, page.next_offset, scores


def test_the_windows_of_every_video_grounded_are_one_statement(engine: SearchEngine) -> None:
    with _sent_by(engine) as sent:
        page = engine.page("red", MomentFilters(limit=10, min_relevance="low"))
    assert len(page.frame_scores) >= 5 and len(page.hits) == 10  # several videos grounded ...
    assert len(frame_reads(sent)) == 1  # ... on one read of their frames


def test_counting_what_is_hidden_reads_its_windows_in_one_more_statement(engine: SearchEngine) -> None:
    with _sent_by(engine) as sent:
        page = engine.page("red", MomentFilters(limit=10))
    assert page.hidden >= 1 and len(page.frame_scores) >= 5
    assert len(frame_reads(sent)) == 2


def test_grounding_on_windows_read_together_finds_what_reading_each_alone_finds(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    together = {(q, f.model_dump_json()): _page(engine, q, f) for q in QUERIES for f in FILTERS}
    monkeypatch.setattr(engine_module._Grounding, "_read_windows", lambda self, video_ids, session: {})
    with _sent_by(engine) as sent:
        alone = {(q, f.model_dump_json()): _page(engine, q, f) for q in QUERIES for f in FILTERS}
    assert len(frame_reads(sent)) > 2 * len(together)  # each window read by itself
    assert alone == together
