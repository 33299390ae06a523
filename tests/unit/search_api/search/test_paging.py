"""The one search entry's pure parts: how far a page needs the engine to look, the page cut from
what it found, and the retry once when a re-embed switches models mid-query."""

from __future__ import annotations

import numpy as np
import pytest

from search_api.http.schemas import MomentFilters
from search_api.search.clip_candidates import at_least
from search_api.search.engine import SearchEngine
from search_api.search.ground import Moment
from search_api.search.hits import Found, FrameScores, Hit, Need
from search_api.search.paging import need_for, page_of
from search_api.search.relevance import Background
from search_api.search.search_gate import SearchGate
from vidseek.config import Settings
from vidseek.errors import ModelChangedError
from vidseek.storage.tables import Video

BACKGROUND = Background(0.1, 0.01)
QUERY = np.ones(4, np.float32) / 2


def _video(vid: int, mtime_ns: int = 0) -> Video:
    return Video(
        id=vid,
        path=f"/v/{vid}.mp4",
        title=str(vid),
        mtime_ns=mtime_ns,
        duration=60.0,
        fps=25.0,
        sample_fps=1.0,
        frame_count=60,
    )


def _hit(video: Video, score: float, start: float = 0.0) -> Hit:
    return Hit(Moment(video.id, start, start + 2, start + 1, score, int(start), int(start) + 1), video, "high", 5.0)


def _found(hits: list[Hit], hidden: int = 0) -> Found:
    return Found(sorted(hits, key=lambda h: -h.moment.score), hidden, BACKGROUND)


A, B, C = _video(1, mtime_ns=100), _video(2, mtime_ns=300), _video(3, mtime_ns=200)
RANKED = [_hit(A, 0.9), _hit(B, 0.8), _hit(A, 0.7, 10), _hit(C, 0.6), _hit(B, 0.5, 20), _hit(A, 0.4, 30)]


def _scores(page) -> list[float]:  # noqa: ANN001
    return [h.moment.score for h in page.hits]


def test_a_page_by_score_asks_for_one_moment_past_itself() -> None:
    assert need_for(MomentFilters(limit=5, offset=10)) == Need(moments=16)
    assert need_for(MomentFilters(limit=3, group_by="video")) == Need(videos=4)
    assert need_for(MomentFilters(sort="date")) == Need()  # not by score: everything relevant


def test_pages_of_moments_follow_on_without_repeats_or_gaps() -> None:
    first = page_of(_found(RANKED), MomentFilters(limit=4), query=QUERY)
    second = page_of(_found(RANKED), MomentFilters(limit=4, offset=4), query=QUERY)
    assert _scores(first) == [0.9, 0.8, 0.7, 0.6] and first.next_offset == 4 and first.groups is None
    assert _scores(second) == [0.5, 0.4] and second.next_offset is None
    assert first.background == BACKGROUND and first.query is QUERY


def test_min_score_cuts_the_ranked_list_and_counts_what_it_hid() -> None:
    found = at_least(_found(RANKED, hidden=3), 0.65)  # the clip candidates' cut, before any page
    page = page_of(found, MomentFilters(limit=10, min_score=0.65), query=QUERY)
    assert _scores(page) == [0.9, 0.8, 0.7] and page.hidden == 3 + 3
    assert at_least(_found(RANKED), None).hits == _found(RANKED).hits


def test_grouped_pages_count_videos() -> None:
    page = page_of(_found(RANKED), MomentFilters(limit=2, group_by="video"), query=QUERY)
    assert [g.video.id for g in page.groups] == [1, 2] and page.next_offset == 2
    assert _scores(page) == [0.9, 0.7, 0.4, 0.8, 0.5]  # the groups' moments, in group order
    by_count = page_of(_found(RANKED), MomentFilters(limit=3, group_by="video", sort="count"), query=QUERY)
    assert [len(g.hits) for g in by_count.groups] == [3, 2, 1] and by_count.next_offset is None


def test_date_order_puts_newer_videos_first_and_keeps_score_order_within_one() -> None:
    page = page_of(_found(RANKED), MomentFilters(limit=10, sort="date"), query=QUERY)
    assert [h.video.id for h in page.hits] == [2, 2, 3, 1, 1, 1]
    assert _scores(page) == [0.8, 0.5, 0.6, 0.9, 0.7, 0.4]


def test_no_next_page_past_the_servers_result_window() -> None:
    settings = Settings(max_result_window=6)
    filters = MomentFilters(limit=3).within(settings)
    assert page_of(_found(RANKED + [_hit(C, 0.3, 40)]), filters, query=QUERY).next_offset == 3
    deeper = MomentFilters(limit=3, offset=3).within(settings)
    assert page_of(_found(RANKED + [_hit(C, 0.3, 40)]), deeper, query=QUERY).next_offset is None


def test_frame_scores_cover_a_range_clamped_to_the_video() -> None:
    grounded = FrameScores(10, np.arange(10.0, 20.0), np.zeros(10))  # frames 10..19
    assert grounded.covers(12, 18, frame_count=60) and grounded.covers(10, 19, frame_count=60)
    assert not grounded.covers(9, 15, frame_count=60) and not grounded.covers(12, 20, frame_count=60)
    assert grounded.covers(12, 25, frame_count=20)  # past the last frame: clamped to 19
    assert FrameScores(0, np.arange(5.0), np.zeros(5)).covers(-3, 2, frame_count=60)
    assert not FrameScores(0, np.zeros(0), np.zeros(0)).covers(0, 0, frame_count=60)


class _SwitchingEngine(SearchEngine):
    """The entry alone: ``find`` raises ModelChangedError the first ``switches`` times it is asked."""

    def __init__(self, switches: int) -> None:  # noqa: D107 - no library: find is replaced
        self.switches, self.made, self.asked = switches, 0, []

    def find(
        self, query: np.ndarray, need: Need, *, video_filter=None, min_relevance: str = "medium", min_score=None
    ) -> Found:  # noqa: ANN001
        self.asked.append((query.copy(), need, min_relevance))
        if len(self.asked) <= self.switches:
            raise ModelChangedError("the library switched to model other while this query was being answered")
        return _found(RANKED)

    def encode_query(self, text: str) -> np.ndarray:
        self.made += 1
        return np.full(4, float(len(text)), np.float32)


@pytest.mark.parametrize("gated", [False, True])
def test_the_entry_makes_the_query_again_once_after_a_model_switch(gated: bool) -> None:
    engine = _SwitchingEngine(switches=1)
    if gated:  # the first vector is made before the gate (SearchEngine.encode_gate), the second inside
        engine.gate, engine.encode_gate = SearchGate(1), SearchGate(1)

    def make_query() -> np.ndarray:
        engine.made += 1
        return np.full(4, float(engine.made), np.float32)

    page = engine.page(make_query, MomentFilters(limit=2, min_relevance="low"))
    assert engine.made == 2 and _scores(page) == [0.9, 0.8] and page.next_offset == 2
    assert [q[0] for q, _, _ in engine.asked] == [1.0, 2.0]  # the second try used the query made again
    assert engine.asked[-1][1:] == (Need(moments=3), "low")
    assert page.query[0] == 2.0  # the page carries the vector that answered


def test_the_entry_gives_up_after_a_second_switch() -> None:
    engine = _SwitchingEngine(switches=2)
    with pytest.raises(ModelChangedError):
        engine.page(np.ones(4, np.float32), MomentFilters())
    assert len(engine.asked) == 2


def test_search_gives_the_entrys_page_as_the_cli_reads_it() -> None:
    engine = _SwitchingEngine(switches=1)
    outcome = engine.search("red", limit=2, offset=2)
    assert [h.moment.score for h in outcome.hits] == [0.7, 0.6] and outcome.more
    assert engine.made == 2 and engine.asked[-1][0][0] == 3.0  # the text encoded again after the switch
    assert (outcome.hidden, outcome.background) == (0, BACKGROUND)
    assert not engine.search("red", limit=2, offset=4).more
    assert [h.moment.score for h in engine.search_vector(np.ones(4, np.float32), limit=2)] == [0.9, 0.8]
    with pytest.raises(ValueError, match="min_relevance"):
        engine.search_vector(np.ones(4, np.float32), min_relevance="some")
