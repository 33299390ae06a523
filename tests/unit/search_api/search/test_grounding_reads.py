"""How many statements a search sends, on SQLite and PostgreSQL: the frame windows of every candidate
video grounded are read in one statement (``frame_store.frame_windows``), the clip ids of a page in one
more; the moments, clip ids and curves are the ones reading each window alone gives."""

from __future__ import annotations

from dataclasses import astuple, replace

import numpy as np
import pytest
from calibrated_library import build
from colour_encoder import ColourEncoder
from sql_statements import frame_reads, statements_sent

from search_api.http.schemas import MomentFilters
from search_api.search import grounding_pass
from search_api.search.engine import SearchEngine
from search_api.search.moment_details import CURVE_PADDING_S, curve_of, moment_details
from search_api.search.paging import MomentPage
from vidseek.config import Settings
from vidseek.storage import frame_store
from vidseek.storage.library import Library

QUERIES = ("red", "blue", "green", "white")
FILTERS = (
    MomentFilters(limit=10),
    MomentFilters(limit=3),
    MomentFilters(limit=50, min_relevance="low"),
    MomentFilters(limit=10, min_relevance="high"),
    MomentFilters(limit=5, group_by="video"),
)


@pytest.fixture(autouse=True)
def _statements_on_sqlite_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements counted here are the ones PostgreSQL gets; SQLite's blob reads send none."""
    monkeypatch.setattr(frame_store, "SQLITE_BLOB_READS", False)


@pytest.fixture
def engine(db_settings: Settings) -> SearchEngine:
    """Grounding reads SQL here (no frame file): the statements it sends are what is counted."""
    library = Library(db_settings.model_copy(update={"frame_file": False}), notify=lambda m: None)
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
    monkeypatch.setattr(grounding_pass._Grounding, "_read_windows", lambda self, video_ids, session: {})
    with _sent_by(engine) as sent:
        alone = {(q, f.model_dump_json()): _page(engine, q, f) for q in QUERIES for f in FILTERS}
    assert len(frame_reads(sent)) > 2 * len(together)  # each window read by itself
    assert alone == together


def _details_hit_by_hit(engine: SearchEngine, page: MomentPage) -> list[tuple]:
    """Each hit's clip id and curve read as they were before the page was read at once: its clip id
    by itself, its curve from grounding's frame scores when they cover it, else from its own window."""
    out = []
    with engine.library.snapshot() as session:
        for hit in page.hits:
            reach = int(np.ceil(CURVE_PADDING_S * hit.video.sample_fps)) + 1
            first, last = hit.moment.first - reach, hit.moment.last + reach
            grounded = page.frame_scores.get(hit.video.id)
            if grounded is not None and grounded.covers(first, last, hit.video.frame_count):
                times, scores = grounded.times, grounded.scores
            else:
                times, vectors = frame_store.frame_window(
                    hit.video.id, first, last, dim=page.query.shape[-1], session=session
                )
                scores = vectors @ page.query
            step = round(1.0 / hit.video.sample_fps, 6)
            curve = curve_of(times, scores, hit.moment.start, hit.moment.end, step=step)
            clip_id = frame_store.centred_clip_id(hit.video.id, hit.moment.first, hit.moment.last, session=session)
            out.append((clip_id, curve))
    return out


def test_the_clip_ids_of_a_page_are_one_statement(engine: SearchEngine) -> None:
    page = engine.page("red", MomentFilters(limit=12, min_relevance="low"))
    with _sent_by(engine) as sent:
        details = moment_details(engine.library, page)
    assert len({h.video.id for h in page.hits}) >= 5
    assert len([s for s in sent if "clips" in s]) == 1 and frame_reads(sent) == []  # the curves are grounding's
    assert [(d.clip_id, d.curve) for d in details] == _details_hit_by_hit(engine, page)


def test_curves_past_groundings_windows_are_read_in_one_statement(engine: SearchEngine) -> None:
    page = replace(engine.page("red", MomentFilters(limit=12, min_relevance="low")), frame_scores={})
    with _sent_by(engine) as sent:
        details = moment_details(engine.library, page)
    assert len(frame_reads(sent)) == 1
    assert [(d.clip_id, d.curve) for d in details] == _details_hit_by_hit(engine, page)
    assert all(d.curve.scores for d in details)
