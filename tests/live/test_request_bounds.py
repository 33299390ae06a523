"""Request bounds owned by the request schemas and the body limit: each a way a careless or hostile
caller once got a 500, a bypassed limit or unbounded work."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest
from PIL import Image

if TYPE_CHECKING:
    from tests.live.conftest import Live

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ID_ROUTES = [
    ("GET", "/api/videos/{id}"),
    ("GET", "/api/videos/{id}/stream"),
    ("GET", "/api/videos/{id}/thumbnail"),
    ("POST", "/api/videos/{id}/reindex"),
    ("DELETE", "/api/videos/{id}"),
    ("GET", "/api/jobs/{id}"),
]


@pytest.mark.parametrize("value", [2**63, 2**31, 10**30, -1, 0])
def test_out_of_range_ids_are_422_on_every_route(live: Live, value: int) -> None:
    auth = live.auth(live.make_key())
    for method, route in ID_ROUTES:
        answer = live.client.request(method, route.format(id=value), headers=auth)
        assert answer.status_code == 422, (method, route, answer.status_code, answer.text)
        assert "video_id" in answer.json()["detail"] or "job_id" in answer.json()["detail"]
    for params in ({"clip_id": value, "q": "x"}, {"q": "red", "video_id": value}):
        route = "/api/search/similar" if "clip_id" in params else "/api/search"
        answer = live.client.get(route, params=params)
        assert answer.status_code == 422, (route, answer.text)
    assert live.client.get("/api/jobs", params={"offset": 2**63}).status_code == 422


@pytest.mark.parametrize("written", ["1.0", "+1", "1_0", " 1", "1e0"])
def test_ids_are_written_in_digits(live: Live, written: str) -> None:
    answer = live.client.get(f"/api/videos/{written}")
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("video_id: ")
    assert live.client.get("/api/search", params={"q": "red", "video_id": written}).status_code == 422


def test_an_id_in_range_that_matches_nothing_is_404(live: Live) -> None:
    assert live.client.get(f"/api/videos/{2**31 - 1}").status_code == 404
    assert live.client.get(f"/api/jobs/{2**31 - 1}").status_code == 404


@sqlite_only
@pytest.mark.parametrize(
    "content_type", ["Application/JSON", "application/vnd.vidseek+json", "application/json; charset=utf-8"]
)
def test_query_length_holds_whatever_the_json_content_type(live_factory, content_type: str) -> None:  # noqa: ANN001
    live: Live = live_factory(max_query_chars=10)
    for body, field in (
        ({"q": "x" * 11}, "q"),
        ({"q": "red", "positive": ["y" * 11]}, "positive.0"),
        ({"q": "red", "negative": ["z" * 11]}, "negative.0"),
    ):
        answer = live.client.post("/api/search", content=json.dumps(body), headers={"Content-Type": content_type})
        assert answer.status_code == 422, (content_type, body, answer.text)
        assert answer.json()["detail"].startswith(f"{field}: at most 10 characters")


def test_phrases_have_a_fixed_length_limit(live: Live) -> None:
    answer = live.client.post("/api/search", json={"q": "red", "negative": ["n" * 1001]})
    assert answer.status_code == 422 and answer.json()["detail"].startswith("negative.0: ")


@sqlite_only
def test_paging_is_bounded_by_the_result_window(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(max_result_window=20)
    assert live.client.get("/api/search", params={"q": "red", "limit": 10, "offset": 10}).status_code == 200
    deep = live.client.get("/api/search", params={"q": "red", "limit": 10, "offset": 11})
    assert deep.status_code == 422
    assert deep.json()["detail"].startswith("offset: offset + limit may be at most 20 (11 + 10 asked)")
    assert live.client.post("/api/search", json={"q": "red", "offset": 15, "limit": 10}).status_code == 422
    assert live.client.get("/api/export.csv", params={"q": "red", "offset": 15, "limit": 10}).status_code == 422


def test_default_result_window_refuses_deep_pages(live: Live) -> None:
    answer = live.client.get("/api/search", params={"q": "red", "offset": 100_000, "limit": 1000})
    assert answer.status_code == 422 and answer.json()["detail"].startswith("offset: ")


@sqlite_only
def test_json_body_size_is_limited(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(max_body_bytes=4096)
    small = live.client.post("/api/search", json={"q": "red"})
    assert small.status_code == 200
    big = json.dumps({"q": "red", "padding": "x" * 10_000})
    declared = live.client.post("/api/search", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["detail"] == "request body: larger than 4,096 bytes"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(10):
            yield b" " * 1000
        yield big.encode()

    streamed = live.client.post("/api/search", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    # still serving afterwards
    assert live.client.post("/api/search", json={"q": "red"}).status_code == 200


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_huge_image_is_refused_before_decoding(live: Live) -> None:
    data = _png(12_000, 12_000)
    assert len(data) < 1024 * 1024  # small on the wire
    answer = live.client.post("/api/search/image", files={"file": ("bomb.png", data, "image/png")})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "file: 12000x12000 is over 50 megapixels: send a smaller image"
    fine = live.client.post("/api/search/image", files={"file": ("red.png", _png(64, 64), "image/png")})
    assert fine.status_code == 200


def test_unreadable_image_message_shows_no_python_repr(live: Live) -> None:
    answer = live.client.post("/api/search/image", files={"file": ("x.png", b"not an image", "image/png")})
    assert answer.status_code == 422
    assert "0x" not in answer.json()["detail"] and "<" not in answer.json()["detail"]
