"""Request limits: rate (429 + Retry-After), query length, page size; CORS only when configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.live.conftest import Live

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
def test_rate_limit_answers_429_with_retry_after(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(rate_limit_per_minute=3)
    for _ in range(3):
        assert live.client.get("/api/videos").status_code == 200
    limited = live.client.get("/api/search", params={"q": "red"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 20
    assert "at most 3 a minute" in limited.json()["detail"]
    # a key has its own bucket, separate from the address's
    auth = live.auth(live.make_key())
    assert live.client.get("/api/videos", headers=auth).status_code == 200
    # the probes and the page are not counted
    assert live.client.get("/healthz").status_code == 200
    assert live.client.get("/").status_code == 200


@sqlite_only
def test_query_length_is_limited_and_names_q(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(max_query_chars=10)
    assert live.client.get("/api/search", params={"q": "red" * 3}).status_code == 200
    long = live.client.get("/api/search", params={"q": "red " * 3 + "red"})  # 15 characters
    assert long.status_code == 422 and long.json()["detail"] == "q: at most 10 characters (15 given)"
    assert live.client.get("/api/export.csv", params={"q": "x" * 11}).status_code == 422
    body = live.client.post("/api/search", json={"q": "x" * 11})
    assert body.status_code == 422 and body.json()["detail"].startswith("q: at most 10")
    phrase = live.client.post("/api/search", json={"q": "red", "positive": ["y" * 11]})
    assert phrase.status_code == 422 and phrase.json()["detail"].startswith("positive.0: at most 10")
    assert live.client.post("/api/search", json={"q": "red", "negative": ["blue"]}).status_code == 200


@sqlite_only
def test_page_size_is_a_setting(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(max_page_size=5)
    assert live.client.get("/api/search", params={"q": "red", "limit": 5}).status_code == 200
    big = live.client.get("/api/search", params={"q": "red", "limit": 6})
    assert big.status_code == 422 and big.json()["detail"].startswith("limit: at most 5")
    assert live.client.post("/api/search", json={"q": "red", "limit": 6}).status_code == 422


@sqlite_only
def test_no_cors_headers_unless_configured(live: Live) -> None:
    answer = live.client.get("/api/videos", headers={"Origin": "https://editor.example"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
    preflight = live.client.options(
        "/api/search", headers={"Origin": "https://editor.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


@sqlite_only
def test_cors_for_the_configured_origins(live_factory) -> None:  # noqa: ANN001
    live: Live = live_factory(cors_origins=["https://editor.example"])
    allowed = live.client.get("/api/videos", headers={"Origin": "https://editor.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://editor.example"
    other = live.client.get("/api/videos", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = live.client.options(
        "/api/videos",
        headers={
            "Origin": "https://editor.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_cors_origins_from_the_environment(monkeypatch) -> None:  # noqa: ANN001
    from vidseek.config import Settings

    monkeypatch.setenv("VIDSEEK_CORS_ORIGINS", "https://a.example, https://b.example/")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("VIDSEEK_CORS_ORIGINS", '["*"]')
    assert Settings().cors_origins == ["*"]
    monkeypatch.delenv("VIDSEEK_CORS_ORIGINS")
    assert Settings().cors_origins == []
