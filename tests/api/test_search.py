"""GET/POST /api/search, image search and "more like this" over a real little index."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from media import COLOURS
from PIL import Image

from api.conftest import ServedLibrary
from vidseek.timecode import frame_at


def _search(client: TestClient, **params) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _spans(body: dict) -> list[tuple[int, float, float]]:
    return [(r["video"]["id"], r["start"], r["end"]) for r in body["results"]]


def test_result_json_has_every_field(client: TestClient, served: ServedLibrary) -> None:
    body = _search(client, q="red", limit=1)
    assert set(body) == {
        "query",
        "took_ms",
        "results",
        "limit",
        "offset",
        "next_offset",
        "min_relevance",
        "hidden",
        "group_by",
        "sort",
        "calibration",
        "groups",
    }
    assert (body["min_relevance"], body["group_by"], body["sort"], body["groups"]) == ("medium", "none", "score", None)
    assert (body["query"], body["limit"], body["offset"], body["next_offset"]) == ("red", 1, 0, 1)
    first = body["results"][0]
    assert set(first) == {
        "rank",
        "score",
        "relevance",
        "z",
        "video",
        "start",
        "end",
        "peak",
        "fps",
        "frames",
        "timecode",
        "thumbnail_url",
        "video_url",
        "clip_id",
        "curve",
    }
    vid = served.ids["red"]
    assert first["video"] == {"id": vid, "path": str(served.paths["red"]), "title": "red twice", "duration": 20.0}
    assert (first["rank"], first["start"], first["end"], first["fps"]) == (1, 2.0, 6.0, 25.0)
    assert first["frames"] == {"start": 50, "end": 150, "peak": frame_at(first["peak"], 25)}
    assert first["timecode"]["start"] == "00:00:02:00" and first["timecode"]["end"] == "00:00:06:00"
    assert first["thumbnail_url"] == f"/api/videos/{vid}/thumbnail?frame={first['frames']['peak']}"
    assert first["video_url"] == f"/api/videos/{vid}/stream#t=2.0,6.0"
    assert isinstance(first["clip_id"], int)


def test_curve_shows_where_the_match_is(client: TestClient) -> None:
    first = _search(client, q="red", limit=1)["results"][0]
    curve = first["curve"]
    assert curve["start"] == 0.0 and curve["step"] == 1.0
    assert len(curve["scores"]) == 11  # 2-6 s plus 5 s either side, clipped at 0: frames at 0..10 s
    inside = curve["scores"][2:6]
    outside = curve["scores"][:2] + curve["scores"][6:]
    assert min(inside) > 0.9 and max(outside) < 0.1


def test_drop_frame_timecodes_for_29_97(client: TestClient, served: ServedLibrary) -> None:
    first = _search(client, q="magenta", limit=1)["results"][0]
    assert first["video"]["id"] == served.ids["magenta"]
    assert first["fps"] == 29.97
    assert abs(first["start"] - 3.0) <= 0.01
    assert first["frames"]["start"] == 90
    assert first["timecode"]["start"] == "00:00:03;00"


def test_video_id_filter_is_repeatable(client: TestClient, served: ServedLibrary) -> None:
    wanted = {served.ids["green"], served.ids["white"]}
    body = _search(client, q="blue", limit=50, video_id=sorted(wanted), min_relevance="low")  # junk too
    assert body["results"] and {r["video"]["id"] for r in body["results"]} == wanted


def test_path_prefix_filter(client: TestClient, served: ServedLibrary) -> None:
    body = _search(
        client, q="red", limit=50, path_prefix=str(served.paths["magenta"].parent) + "/", min_relevance="low"
    )
    assert body["results"] and {r["video"]["id"] for r in body["results"]} == {served.ids["magenta"]}


def test_min_score_cuts_the_ranked_list(client: TestClient, served: ServedLibrary) -> None:
    body = _search(client, q="red", limit=50, min_score=0.5)
    assert [(r["start"], r["end"]) for r in body["results"]] == [(2.0, 6.0), (12.0, 16.0)]
    assert body["next_offset"] is None
    paged = _search(client, q="red", limit=1, min_score=0.5)
    assert paged["next_offset"] == 1
    assert _search(client, q="red", limit=1, offset=1, min_score=0.5)["next_offset"] is None


@pytest.mark.parametrize(
    "bounds, names",
    [
        ({"min_duration": 12}, {"red", "green"}),
        ({"max_duration": 12}, {"magenta", "white"}),
        ({"min_duration": 8, "max_duration": 17}, {"green", "magenta"}),
    ],
)
def test_duration_filters(client: TestClient, served: ServedLibrary, bounds: dict, names: set[str]) -> None:
    body = _search(client, q="blue", limit=100, min_relevance="low", **bounds)  # every video, junk too
    assert {r["video"]["id"] for r in body["results"]} == {served.ids[n] for n in names}


def test_indexed_after_filter(client: TestClient) -> None:
    assert _search(client, q="red", indexed_after="2000-01-01T00:00:00Z")["results"]
    assert _search(client, q="red", indexed_after="2000-01-01")["results"]
    late = _search(client, q="red", indexed_after="2999-01-01T00:00:00+02:00")
    assert late["results"] == [] and late["next_offset"] is None


def test_pages_have_no_repeats_or_gaps(client: TestClient) -> None:
    everything = _search(client, q="blue", limit=100, min_relevance="low")
    assert everything["next_offset"] is None and len(everything["results"]) > 5
    pages, offset = [], 0
    while offset is not None:
        page = _search(client, q="blue", limit=2, offset=offset, min_relevance="low")
        assert page["offset"] == offset
        pages.extend(page["results"])
        offset = page["next_offset"]
    assert _spans({"results": pages}) == _spans(everything)
    assert [r["rank"] for r in pages] == list(range(1, len(pages) + 1))


@pytest.mark.parametrize(
    "params, name",
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({}, "q"),
        ({"q": "red", "limit": 0}, "limit"),
        ({"q": "red", "limit": 1001}, "limit"),
        ({"q": "red", "offset": -1}, "offset"),
        ({"q": "red", "indexed_after": "last tuesday"}, "indexed_after"),
        ({"q": "red", "min_score": 2}, "min_score"),
        ({"q": "red", "video_id": "seven"}, "video_id"),
        ({"q": "red", "max_duration": "nan"}, "max_duration"),
        ({"q": "red", "min_duration": 9, "max_duration": 3}, "min_duration"),
    ],
)
def test_bad_parameters_are_named(client: TestClient, params: dict, name: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and name in detail and "Traceback" not in detail


def _post(client: TestClient, body: dict) -> dict:
    response = client.post("/api/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_negative_phrases_change_the_ranking(client: TestClient, served: ServedLibrary) -> None:
    both = _post(client, {"positive": ["red magenta"], "limit": 3, "min_relevance": "low"})
    assert both["results"][0]["video"]["id"] == served.ids["red"]  # a tie, broken by video id
    assert abs(both["results"][0]["score"] - both["results"][2]["score"]) < 0.01
    steered = _post(client, {"q": "red magenta", "negative": ["red"], "limit": 3, "min_relevance": "low"})
    assert steered["query"] == "red magenta, not red"
    assert steered["results"][0]["video"]["id"] == served.ids["magenta"]
    assert steered["results"][0]["score"] > steered["results"][1]["score"] + 0.3


def test_post_takes_filters_and_pages(client: TestClient, served: ServedLibrary) -> None:
    body = _post(client, {"q": "blue", "limit": 1, "offset": 1, "video_id": [served.ids["red"]]})
    assert (body["limit"], body["offset"]) == (1, 1)
    assert [r["video"]["id"] for r in body["results"]] == [served.ids["red"]]
    assert body["results"][0]["rank"] == 2


@pytest.mark.parametrize(
    "body, name",
    [
        ({}, "positive"),
        ({"q": " "}, "q"),
        ({"positive": ["red", ""]}, "positive"),
        ({"q": "red", "negative_weight": 5}, "negative_weight"),
        ({"q": "red", "negative": ["red"], "negative_weight": 1}, "negative"),
        ({"q": "red", "limit": 5000}, "limit"),
    ],
)
def test_bad_post_bodies_are_named(client: TestClient, body: dict, name: str) -> None:
    response = client.post("/api/search", json=body)
    assert response.status_code == 422
    assert name in response.json()["detail"]


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), COLOURS[colour]).save(out, "PNG")
    return out.getvalue()


def test_image_search_finds_the_red_moments(client: TestClient, served: ServedLibrary) -> None:
    response = client.post(
        "/api/search/image", params={"limit": 2}, files={"file": ("red.png", _png("red"), "image/png")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "image:red.png"
    assert [(r["video"]["id"], r["start"], r["end"]) for r in body["results"]] == [
        (served.ids["red"], 2.0, 6.0),
        (served.ids["red"], 12.0, 16.0),
    ]
    assert body["results"][0]["score"] > 0.9


def test_image_search_refuses_what_is_not_an_image(client: TestClient) -> None:
    response = client.post("/api/search/image", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert response.status_code == 422 and response.json()["detail"].startswith("file: not a readable image")
    missing = client.post("/api/search/image")
    assert missing.status_code == 422 and "file" in missing.json()["detail"]


def test_more_like_this_moment(client: TestClient, served: ServedLibrary) -> None:
    green = _search(client, q="green", limit=1)["results"][0]
    body = _search(client, q="red", limit=1)
    similar = client.get("/api/search/similar", params={"clip_id": body["results"][0]["clip_id"], "limit": 2})
    assert similar.status_code == 200, similar.text
    spans = {(r["video"]["id"], r["start"], r["end"]) for r in similar.json()["results"]}
    assert spans == {(served.ids["red"], 2.0, 6.0), (served.ids["red"], 12.0, 16.0)}
    like_green = client.get("/api/search/similar", params={"clip_id": green["clip_id"], "limit": 1}).json()
    assert like_green["results"][0]["video"]["id"] == served.ids["green"]


def test_similar_to_an_unknown_clip_is_404(client: TestClient) -> None:
    response = client.get("/api/search/similar", params={"clip_id": 999999})
    assert response.status_code == 404 and "clip_id" in response.json()["detail"]


def test_repeated_text_queries_are_encoded_once(client: TestClient) -> None:
    cache = client.app.state.services.queries
    _search(client, q="cyan yellow")
    misses = cache.misses
    _search(client, q="cyan yellow", limit=3)
    assert cache.misses == misses and cache.hits >= 1
