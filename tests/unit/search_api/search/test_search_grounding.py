"""End to end on generated videos with known colours and the colour encoder: ranking and grounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media import Segment, make_video, truth

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.search.engine import SearchEngine
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

STEP = 1.0  # sampling step in seconds (1 fps)


def _index(settings: Settings, paths: list[Path]):
    library = Library(settings, notify=lambda m: None)
    encoder = load_encoder(settings.model)
    report = Indexer(settings, library, encoder, progress=lambda: Progress(False)).index(paths)
    return library, encoder, report


@pytest.fixture
def engine(settings: Settings, colour_library: dict[str, Path]) -> SearchEngine:
    library, encoder, report = _index(settings, list(colour_library.values()))
    assert report.failed == [] and len(report.indexed) == 3
    return SearchEngine(library, encoder)


def _overlaps(a, b) -> bool:
    return a.video.id == b.video.id and a.moment.start < b.moment.end and b.moment.start < a.moment.end


def test_right_video_ranks_first(engine: SearchEngine, colour_library) -> None:
    hits = engine.search("a green field", limit=3).hits
    assert Path(hits[0].video.path) == colour_library["green"].resolve()
    start, end = truth([Segment("yellow", 6), Segment("green", 5), Segment("yellow", 5)], "green")[0]
    assert abs(hits[0].moment.start - start) <= STEP
    assert abs(hits[0].moment.end - end) <= STEP
    assert start <= hits[0].moment.peak < end


def test_colour_seen_twice_comes_back_as_two_moments(engine: SearchEngine, colour_library) -> None:
    hits = engine.search("red", limit=5).hits
    red = [h for h in hits if Path(h.video.path) == colour_library["twice"].resolve()][:2]
    assert [h.moment.score > 0.9 for h in red] == [True, True]
    spans = sorted((h.moment.start, h.moment.end) for h in red)
    expected = [(2.0, 6.0), (12.0, 16.0)]
    for (s, e), (ts, te) in zip(spans, expected):
        assert abs(s - ts) <= STEP and abs(e - te) <= STEP
    assert hits[0].moment.score >= hits[-1].moment.score


def test_no_two_results_overlap(engine: SearchEngine) -> None:
    for query in ("red", "blue", "yellow", "white", "green"):
        hits = engine.search(query, limit=20).hits
        assert hits, query
        for i, a in enumerate(hits):
            for b in hits[i + 1 :]:
                assert not _overlaps(a, b), (query, a.moment, b.moment)


def test_pagination_has_no_repeats_or_gaps(engine: SearchEngine) -> None:
    everything = engine.search("blue", limit=50).hits
    pages = [h for off in range(0, len(everything), 2) for h in engine.search("blue", limit=2, offset=off).hits]
    key = lambda h: (h.video.id, h.moment.start)  # noqa: E731
    assert [key(h) for h in pages] == [key(h) for h in everything]


def test_moment_longer_than_a_clip_is_one_moment(settings: Settings, tmp_path: Path) -> None:
    segs = [Segment("black", 3), Segment("cyan", 12), Segment("black", 3)]
    path = make_video(tmp_path / "long cyan.mp4", segs)
    library, encoder, _ = _index(settings, [path])
    hits = SearchEngine(library, encoder).search("cyan", limit=5).hits
    assert len([h for h in hits if h.moment.score > 0.9]) == 1
    assert abs(hits[0].moment.start - 3.0) <= STEP and abs(hits[0].moment.end - 15.0) <= STEP


def test_short_event_in_a_long_video_comes_back_as_the_event(settings: Settings, tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "long black.mp4",
        [Segment("black", 40), Segment("green", 4), Segment("black", 46)],
        width=32,
        height=32,
    )
    library, encoder, _ = _index(settings, [path])
    hits = SearchEngine(library, encoder).search("green", limit=10).hits
    assert [(h.moment.start, h.moment.end) for h in hits] == [(40.0, 44.0)]


def test_adjacent_segment_is_not_part_of_the_moment(settings: Settings, tmp_path: Path) -> None:
    path = make_video(tmp_path / "two segments.mp4", [Segment("yellow", 8), Segment("magenta", 6)])
    library, encoder, _ = _index(settings, [path])
    hits = SearchEngine(library, encoder).search("magenta", limit=10).hits
    assert [(h.moment.start, h.moment.end) for h in hits] == [(8.0, 14.0)]


def test_a_bigger_page_starts_with_the_smaller_page(settings: Settings, tmp_path: Path) -> None:
    colours = ["red", "blue", "green", "yellow", "cyan", "magenta"]
    rng = np.random.default_rng(1)
    paths = [
        make_video(
            tmp_path / f"mix {i}.mp4",
            [Segment(str(c), float(rng.integers(2, 6))) for c in rng.choice(colours, 8)],
            width=32,
            height=32,
        )
        for i in range(12)
    ]
    library, encoder, _ = _index(settings, paths)
    engine = SearchEngine(library, encoder)
    for query in ("red", "cyan"):
        pages = {
            limit: [
                (h.video.id, h.moment.start, h.moment.end)
                for h in engine.search(query, limit=limit, min_relevance="low").hits
            ]
            for limit in (10, 12, 24, 100)
        }
        assert len(pages[10]) == 10
        for limit in (12, 24, 100):
            assert pages[limit][:10] == pages[10], (query, limit)
