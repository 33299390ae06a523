"""Relevance bands, min_relevance, group_by=video and sort over HTTP, on a library big enough to calibrate."""

from __future__ import annotations

from typing import Iterator

import pytest
from calibrated_library import Planted, build
from fastapi.testclient import TestClient
from readers import read_csv

from search_api.http.app import create_app
from vidseek.config import Settings
from vidseek.storage.library import Library

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, list[Planted]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("calibrated"), model=COLOUR_MODEL)
    planted = build(Library(settings, notify=lambda m: None))
    with TestClient(create_app(settings)) as client:
        yield client, planted


def _get(client: TestClient, **params) -> dict:
    response = client.get("/api/search", params={"q": "red", **params})
    assert response.status_code == 200, response.text
    return response.json()


def _found(body: dict) -> set[tuple[str, float, float]]:
    return {(r["video"]["title"], r["start"], r["end"]) for r in body["results"]}


def _match(body: dict, event: Planted) -> dict:
    """The one result of ``body`` that is ``event``, its edges within a frame (1 s) of the truth."""
    [result] = [
        r
        for r in body["results"]
        if r["video"]["title"] == event.title and abs(r["start"] - event.start) <= 1 and abs(r["end"] - event.end) <= 1
    ]
    return result


def test_every_planted_event_is_found_with_its_band(calibrated) -> None:
    client, planted = calibrated
    body = _get(client, limit=50)
    assert len(body["results"]) == len(planted)
    assert {_match(body, p)["relevance"] for p in planted if p.level > 0.3} == {"high"}
    assert {_match(body, p)["relevance"] for p in planted if p.level < 0.3} == {"medium"}
    assert body["calibration"]["spread"] > 0 and 0.1 < body["calibration"]["background"] < 0.25
    zs = [r["z"] for r in body["results"]]
    assert zs == sorted(zs, reverse=True)


def test_min_relevance_filters_and_says_how_many_were_hidden(calibrated) -> None:
    client, planted = calibrated
    strong = _get(client, limit=50, min_relevance="high")
    assert {r["relevance"] for r in strong["results"]} == {"high"}
    assert strong["hidden"] >= sum(p.level < 0.3 for p in planted)
    everything = _get(client, limit=50, min_relevance="low")
    assert _found(strong) < _found(everything)
    assert client.get("/api/search", params={"q": "red", "min_relevance": "great"}).status_code == 422


def test_page_one_is_a_prefix_of_any_bigger_page(calibrated) -> None:
    client, _ = calibrated
    first = [(r["video"]["id"], r["start"], r["end"]) for r in _get(client, limit=5)["results"]]
    for limit in (6, 12, 24, 100):
        bigger = [(r["video"]["id"], r["start"], r["end"]) for r in _get(client, limit=limit)["results"]]
        assert bigger[:5] == first


def test_group_by_video_ranks_videos_by_their_best_moment(calibrated) -> None:
    client, planted = calibrated
    body = _get(client, group_by="video", limit=50)
    groups = body["groups"]
    assert [g["rank"] for g in groups] == list(range(1, len(groups) + 1))
    assert {g["video"]["title"] for g in groups} == {p.title for p in planted}
    assert [g["score"] for g in groups] == sorted((g["score"] for g in groups), reverse=True)
    for g in groups:
        assert g["count"] == len(g["moments"]) == sum(p.title == g["video"]["title"] for p in planted)
        assert g["score"] == g["moments"][0]["score"]
    assert [r["start"] for r in body["results"]] == [m["start"] for g in groups for m in g["moments"]]


def test_group_paging_counts_videos(calibrated) -> None:
    client, _ = calibrated
    everything = _get(client, group_by="video", limit=50)["groups"]
    first = _get(client, group_by="video", limit=3)
    second = _get(client, group_by="video", limit=3, offset=3)
    assert len(first["groups"]) == 3 and first["next_offset"] == 3
    assert [g["video"]["id"] for g in first["groups"] + second["groups"]] == [g["video"]["id"] for g in everything[:6]]


def test_sort_by_count_and_by_date(calibrated) -> None:
    client, planted = calibrated
    by_count = _get(client, group_by="video", sort="count", limit=50)["groups"]
    counts = [g["count"] for g in by_count]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2
    by_date = _get(client, sort="date", limit=50)["results"]
    titles = [r["video"]["title"] for r in by_date]  # "synthetic NN": a higher number is a newer file
    assert titles == sorted(titles, reverse=True)
    assert len(by_date) == len(planted)  # the relevant moments, not the whole library
    refused = client.get("/api/search", params={"q": "red", "sort": "count"})
    assert refused.status_code == 422 and "group_by=video" in refused.text


def test_exports_work_on_grouped_results(calibrated) -> None:
    client, planted = calibrated
    response = client.get("/api/export.csv", params={"q": "red", "group_by": "video", "limit": 50})
    assert response.status_code == 200
    assert len(read_csv(response.text)) == len(planted)
