"""The search is one pipeline: a phrase search enters each stage module once, in order (encode, line
candidates, clip candidates, fuse, calibrate, page, respond), and a visual search the same without the
line stages. Recorded by a profile hook on a real search over an indexed video with subtitles."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from media import Segment, make_video

from indexer.progress import Progress
from indexer.runner import Indexer
from search_api.http.schemas import TextSearch
from search_api.search.engine import SearchEngine
from search_api.search.moments import answer
from vidseek.config import Settings
from vidseek.models.encoders import load_encoder
from vidseek.storage.library import Library

MODEL = "python:colour_encoder:SynonymColourEncoder"
STAGES = (
    "search_api.search.engine",
    "search_api.search.lines",
    "search_api.search.clip_candidates",
    "search_api.search.fusion",
    "search_api.search.calibrate",
    "search_api.search.paging",
    "search_api.search.results",
    "search_api.search.moment_details",
)
"""The stage modules (``moments.answer`` is the respond stage that calls the engine, then builds the JSON)."""


def entered(run) -> list[str]:  # noqa: ANN001
    """The stage modules ``run()`` enters, in order: each call into one from another module."""
    seen: list[str] = []

    def hook(frame, event, _arg) -> None:  # noqa: ANN001
        if event != "call":
            return
        callee = frame.f_globals.get("__name__")
        caller = frame.f_back.f_globals.get("__name__") if frame.f_back is not None else None
        if callee in STAGES and caller != callee:
            seen.append(callee)

    sys.setprofile(hook)
    try:
        run()
    finally:
        sys.setprofile(None)
    return seen


def test_the_recorder_counts_each_entry() -> None:
    from search_api.search import paging

    assert entered(lambda: [paging.need_for(TextSearch(q="x")) for _ in range(2)]) == ["search_api.search.paging"] * 2


def _srt(lines: list[tuple[float, float, str]]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(lines, 1))


def _engine(db_settings: Settings, root: Path) -> SearchEngine:
    settings = db_settings.model_copy(
        update={"model": MODEL, "sample_fps": 1.0, "clip_seconds": 4.0, "clip_stride": 2.0}
    )
    video = make_video(root / "talk.mp4", [Segment("red", 4), Segment("white", 4 + math.ceil(30 * 0.2))])
    filler = [(8.0 + i * 0.2, 8.1 + i * 0.2, f"line number {i} about the weather") for i in range(30)]
    (root / "talk.en.srt").write_text(_srt([(1.0, 2.0, "a red kite"), *filler]))
    library = Library(settings, notify=lambda m: None)
    report = Indexer(settings, library, load_encoder(MODEL), progress=lambda: Progress(False)).index([video])
    assert report.failed == []
    return SearchEngine(library, load_encoder(MODEL))


def test_a_phrase_search_enters_each_stage_once_in_order(db_settings: Settings, tmp_path: Path) -> None:
    engine = _engine(db_settings, tmp_path)
    filters = TextSearch(q="red", modality="all", min_relevance="low")
    answered = []
    stages = entered(lambda: answered.append(answer(engine, "red", "red", filters)))
    assert answered[0].results and answered[0].results[0].matched == ["visual", "speech"]  # both signals fused
    assert stages == [
        "search_api.search.engine",
        "search_api.search.lines",
        "search_api.search.clip_candidates",
        "search_api.search.fusion",
        "search_api.search.calibrate",
        "search_api.search.paging",
        "search_api.search.moment_details",
        "search_api.search.results",
    ]


def test_a_visual_search_is_the_same_pipeline_without_the_line_stages(db_settings: Settings, tmp_path: Path) -> None:
    engine = _engine(db_settings, tmp_path)
    stages = entered(lambda: answer(engine, "red", "red", TextSearch(q="red", modality="visual")))
    assert "search_api.search.lines" not in stages and "search_api.search.fusion" not in stages
    assert "search_api.search.calibrate" not in stages
    assert stages.count("search_api.search.engine") == 1 and stages.count("search_api.search.clip_candidates") == 1
    assert stages[-2:] == ["search_api.search.moment_details", "search_api.search.results"]
