"""The search page in a real headless Chromium, against a live `vidseek serve` over generated colour videos."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from axe_check import accessible_name, assert_accessible
from browser_media import VIDEOS
from media import truth
from page_actions import load_every_page

pytestmark = pytest.mark.browser

CARD = '[data-testid="result-card"]'
RED_START, RED_END = truth(VIDEOS["red moment"], "red")[0]  # 2.0, 6.0


def cards_for(query: str) -> str:
    return f'[data-testid="results"][data-query="{query}"] {CARD}'


def search(page, query: str) -> None:  # noqa: ANN001
    """Type ``query`` into the box like a person and wait for its cards."""
    box = page.get_by_test_id("search-input")
    box.fill("")
    box.press_sequentially(query, delay=40)
    page.locator(cards_for(query)).first.wait_for()


def titles(page) -> list[str]:  # noqa: ANN001
    return page.get_by_test_id("result-title").all_inner_texts()


def wait_at(page, t: float, tol: float = 0.5, timeout: float = 15_000) -> float:  # noqa: ANN001
    """Wait until the player has metadata, is not seeking and plays from ``t``: its currentTime is within
    ``tol`` of ``t``, or lies in a stretch it has played without a break since a point within ``tol`` of
    ``t`` (on a loaded machine the page may not be polled before playback has moved on). Returns where
    that stretch began (or currentTime)."""
    return page.wait_for_function(
        """([t, tol]) => { const v = document.querySelector('[data-testid="player-video"]');
             if (v.readyState < 1 || v.seeking) return false;
             if (Math.abs(v.currentTime - t) <= tol) return {at: v.currentTime};
             for (let i = 0; i < v.played.length; i++) {
               const from = v.played.start(i), to = v.played.end(i);
               if (Math.abs(from - t) <= tol && from <= v.currentTime && v.currentTime <= to + 0.05) return {at: from};
             }
             return false; }""",
        arg=[t, tol],
        timeout=timeout,
    ).json_value()["at"]


def player_moment(page) -> tuple[float, float]:  # noqa: ANN001
    player = page.get_by_test_id("player")
    return float(player.get_attribute("data-start")), float(player.get_attribute("data-end"))


def no_horizontal_scroll(page) -> bool:  # noqa: ANN001
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )


def test_empty_state_on_a_fresh_page(page, page_errors) -> None:  # noqa: ANN001
    page.goto("/")
    page.wait_for_selector("html[data-ready=true]")
    assert page.get_by_test_id("state-empty").is_visible()
    assert page.get_by_test_id("search-input").evaluate("el => el === document.activeElement")
    assert page.locator(CARD).count() == 0
    assert_accessible(page, "the empty page")
    assert page_errors == []


def test_typing_shows_moment_cards_with_the_red_video_first(page, page_errors, artifacts) -> None:  # noqa: ANN001
    page.goto("/")
    search(page, "red")
    assert titles(page)[0] == "red moment"
    first = page.locator(CARD).first
    # start–end timecode, a score, a strip and a thumbnail (its alt empty: the card's text names the moment)
    time_text = first.get_by_test_id("result-time").inner_text()
    start, end = (float(m.group(1)) * 60 + float(m.group(2)) for m in re.finditer(r"(\d+):(\d\d\.\d)", time_text))
    assert abs(start - RED_START) <= 1.0 and abs(end - RED_END) <= 1.0, time_text
    assert float(first.get_by_test_id("result-score").inner_text()) > 0.5
    strip = first.get_by_test_id("result-strip")
    assert strip.get_attribute("aria-label")
    span = strip.locator(".strip-span")
    strip_box, span_box = strip.bounding_box(), span.bounding_box()
    # the moment (2-6 s of 12 s) sits in the first half of the strip
    assert strip_box["x"] < span_box["x"] < strip_box["x"] + strip_box["width"] / 2
    # the cuts blue -> red -> blue (2 s and 6 s) are drawn on the strip, at the moment's edges
    cuts = [box["x"] for box in (c.bounding_box() for c in strip.get_by_test_id("strip-cut").all())]
    assert len(cuts) == 2, cuts
    assert all(abs(x - edge) <= 3 for x, edge in zip(cuts, (span_box["x"], span_box["x"] + span_box["width"]))), cuts
    img = first.get_by_test_id("result-thumbnail")
    assert img.get_attribute("alt") == ""
    page.wait_for_function("img => img.complete", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 0, "thumbnail did not load"
    # a frame from inside the red moment is red
    assert img.evaluate("""img => { const c = document.createElement('canvas'); c.width = c.height = 1;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0, 1, 1); const [r, gg, b] = g.getImageData(0, 0, 1, 1).data;
        return r > 150 && gg < 100 && b < 100; }"""), "the thumbnail of the red moment is not red"
    assert "moment" in page.get_by_test_id("search-status").inner_text()
    page.screenshot(path=str(artifacts / "results.png"), full_page=True)
    assert_accessible(page, "the results")
    assert page_errors == []


def test_typing_is_debounced(page) -> None:  # noqa: ANN001
    asked: list[str] = []
    page.on(
        "request",
        lambda r: asked.extend(parse_qs(urlparse(r.url).query).get("q", [])) if "/api/search" in r.url else None,
    )
    page.goto("/")
    search(page, "red")
    # a person typing a word sends one request, not one per key (two allows for a stall between keys)
    assert asked[-1] == "red" and len(asked) <= 2, asked
    # a trailing space asks nothing new (and leaves the results alone)
    before = len(asked)
    box = page.get_by_test_id("search-input")
    box.press("End")
    box.press_sequentially("  ", delay=20)
    page.wait_for_timeout(600)
    assert len(asked) == before, asked
    assert titles(page)[0] == "red moment"


def test_clicking_a_card_plays_the_moment_from_its_start(page, page_errors, artifacts) -> None:  # noqa: ANN001
    page.goto("/")
    search(page, "red")
    page.locator(CARD).first.click()
    player = page.get_by_test_id("player")
    player.wait_for()
    start, end = player_moment(page)
    assert abs(start - RED_START) <= 1.0 and abs(end - RED_END) <= 1.0
    video = page.get_by_test_id("player-video")
    assert "/stream" in video.evaluate("v => v.currentSrc")
    assert "red moment" in page.get_by_test_id("player-title").inner_text()
    assert start - 0.01 <= wait_at(page, start) <= start + 0.5
    page.screenshot(path=str(artifacts / "player.png"))
    assert_accessible(page, "the open player")

    # it plays, and stops at the moment's end
    page.wait_for_function(
        """end => { const v = document.querySelector('[data-testid="player-video"]');
             return v.paused && v.currentTime >= end - 0.3; }""",
        arg=end,
        timeout=20_000,
    )
    assert video.evaluate("v => v.currentTime") <= end + 0.5

    # with loop on, it goes back to the start and plays again
    page.get_by_test_id("loop-toggle").check()
    page.wait_for_function(
        """([s, e]) => { const v = document.querySelector('[data-testid="player-video"]');
             return !v.paused && v.currentTime >= s - 0.1 && v.currentTime < e - 0.5; }""",
        arg=[start, end],
        timeout=10_000,
    )

    # the timeline under the player marks the moment
    timeline, mark = page.get_by_test_id("player-timeline").bounding_box(), player.locator(".strip-span").bounding_box()
    assert timeline["x"] <= mark["x"] < mark["x"] + mark["width"] <= timeline["x"] + timeline["width"] + 1

    page.keyboard.press("Escape")
    player.wait_for(state="hidden")
    assert video.evaluate("v => v.paused")
    assert page_errors == []


def test_clicking_the_timeline_seeks(page) -> None:  # noqa: ANN001
    page.goto("/?q=red")
    page.locator(cards_for("red")).first.wait_for()
    page.locator(CARD).first.click()
    wait_at(page, player_moment(page)[0])
    timeline = page.get_by_test_id("player-timeline")
    box = timeline.bounding_box()
    duration = sum(s.seconds for s in VIDEOS["red moment"])
    timeline.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    wait_at(page, duration * 0.75, tol=0.6)
    # past the moment, playback is no longer held to it
    page.get_by_test_id("player-video").evaluate("v => v.play()")
    page.wait_for_timeout(400)
    assert page.get_by_test_id("player-video").evaluate("v => v.currentTime") > duration * 0.75 - 0.6


def test_enter_on_a_focused_card_opens_the_player(page) -> None:  # noqa: ANN001
    page.goto("/")
    search(page, "red")
    page.get_by_test_id("search-input").press("ArrowDown")
    assert page.locator(CARD).first.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.get_by_test_id("player").wait_for()
    wait_at(page, player_moment(page)[0])


def test_url_keeps_the_query_and_reloading_reruns_it(page) -> None:  # noqa: ANN001
    page.goto("/")
    search(page, "red")
    assert parse_qs(urlparse(page.url).query)["q"] == ["red"]
    page.reload()
    page.locator(cards_for("red")).first.wait_for()
    assert page.get_by_test_id("search-input").input_value() == "red"
    assert titles(page)[0] == "red moment"

    # a shared link runs its search on open
    page.goto("/?" + urlencode({"q": "green"}))
    page.locator(cards_for("green")).first.wait_for()
    assert titles(page)[0] == "green field"

    # clearing the box clears the URL and shows the empty state
    page.get_by_test_id("search-input").fill("")
    page.get_by_test_id("state-empty").wait_for()
    assert "q=" not in page.url
    assert page.locator(CARD).count() == 0


def test_arrow_keys_move_the_selection_and_the_player_follows(page, api) -> None:  # noqa: ANN001
    status, body = api("/api/search?q=blue&limit=24")
    assert status == 200 and len(body["results"]) >= 3
    expected = body["results"]
    page.goto("/?q=blue")
    page.locator(cards_for("blue")).first.wait_for()
    cards = page.locator(CARD)
    assert cards.count() == len(expected)

    cards.nth(0).click()
    page.get_by_test_id("player").wait_for()
    wait_at(page, expected[0]["start"])
    page.keyboard.press("ArrowRight")
    assert cards.nth(1).get_attribute("aria-current") == "true"
    assert cards.nth(0).get_attribute("aria-current") is None
    assert page.get_by_test_id("player").get_attribute("data-index") == "1"
    assert page.get_by_test_id("player").get_attribute("data-video-id") == str(expected[1]["video"]["id"])
    wait_at(page, expected[1]["start"])
    page.keyboard.press("ArrowRight")
    assert page.get_by_test_id("player").get_attribute("data-index") == "2"
    wait_at(page, expected[2]["start"])
    page.keyboard.press("ArrowLeft")
    assert cards.nth(1).evaluate("el => el === document.activeElement")
    wait_at(page, expected[1]["start"])

    page.keyboard.press("Escape")
    page.get_by_test_id("player").wait_for(state="hidden")
    assert cards.nth(1).evaluate("el => el === document.activeElement")
    # with the player closed, arrows only move the selection
    page.keyboard.press("ArrowLeft")
    assert cards.nth(0).get_attribute("aria-current") == "true"
    assert page.get_by_test_id("player").is_hidden()


def test_more_like_this_finds_moments_like_the_playing_one(page) -> None:  # noqa: ANN001
    page.goto("/?q=green")
    page.locator(cards_for("green")).first.wait_for()
    page.locator(CARD).first.click()
    page.get_by_test_id("player-similar").click()
    similar = '[data-testid="results"][data-query^="similar:"] ' + CARD
    page.locator(similar).first.wait_for()
    assert titles(page)[0] == "green field"
    assert re.search(r"[?&]similar=\d+", page.url) and "q=" not in page.url
    assert page.get_by_test_id("search-input").input_value() == ""
    assert "Moments like green field" in page.get_by_test_id("search-status").inner_text()
    assert page.locator(CARD).first.evaluate("el => el === document.activeElement")
    # the link is shareable too
    page.reload()
    page.locator(similar).first.wait_for()
    assert titles(page)[0] == "green field"
    # typing goes back to a text search
    search(page, "red")
    assert "similar=" not in page.url


def test_library_lists_the_indexed_videos(page, api) -> None:  # noqa: ANN001
    page.goto("/#library")
    rows = page.get_by_test_id("library-row")
    rows.first.wait_for()
    assert rows.count() == len(VIDEOS)
    assert sorted(page.get_by_test_id("library-title").all_inner_texts()) == sorted(VIDEOS)
    _, body = api("/api/videos")
    by_title = {v["title"]: v for v in body["videos"]}
    for row in rows.all():
        title = row.get_by_test_id("library-title").inner_text()
        seconds = sum(s.seconds for s in VIDEOS[title])
        m = re.fullmatch(r"(\d+):(\d\d\.\d)", row.get_by_test_id("library-duration").inner_text())
        assert m and abs(int(m.group(1)) * 60 + float(m.group(2)) - seconds) <= 0.2
        assert row.get_by_test_id("library-clips").inner_text() == str(by_title[title]["clips"])
        assert int(row.get_by_test_id("library-clips").inner_text()) > 0
        assert row.get_by_test_id("library-status").inner_text() == by_title[title]["status"]
    assert page.get_by_test_id("tab-library").get_attribute("aria-current") == "page"
    assert page.get_by_test_id("search-view").is_hidden()
    assert_accessible(page, "the library")

    # and back to search with the tab
    page.get_by_test_id("tab-search").click()
    page.get_by_test_id("search-view").wait_for()
    assert page.get_by_test_id("library-view").is_hidden()


def test_cards_and_player_buttons_are_named_by_what_they_show(page) -> None:  # noqa: ANN001
    """A control's accessible name holds its visible text (WCAG 2.5.3), so "click red moment" or "click Next"
    said to speech input finds it; a card's name starts with its title."""
    page.goto("/?q=blue")
    page.locator(cards_for("blue")).first.wait_for()
    for card in page.locator(CARD).all():
        name = " ".join(accessible_name(card).split())
        title = card.get_by_test_id("result-title").inner_text()
        assert name.startswith(title), name
        for shown in (card.get_by_test_id("result-time"), card.get_by_test_id("result-score")):
            assert shown.inner_text() in name, (shown.inner_text(), name)
        assert card.get_by_test_id("result-relevance").inner_text() in name
    assert page.get_by_role("button", name=re.compile(r"^blue sky\b")).count() >= 1
    page.locator(CARD).nth(1).click()  # not the first: its Previous is enabled
    page.get_by_test_id("player").wait_for()
    for testid in ("player-prev", "player-next"):
        button = page.get_by_test_id(testid)
        visible = re.sub(r"[^\w ]", "", button.inner_text()).strip()
        assert visible and visible.lower() in accessible_name(button).lower(), (visible, accessible_name(button))


def test_dark_mode_pages_are_accessible(page, artifacts) -> None:  # noqa: ANN001
    page.emulate_media(color_scheme="dark")
    page.goto("/?q=red")
    page.locator(cards_for("red")).first.wait_for()
    page.wait_for_function("img => img.complete", arg=page.get_by_test_id("result-thumbnail").first.element_handle())
    page.screenshot(path=str(artifacts / "results-dark.png"), full_page=True)
    assert_accessible(page, "the results", "dark")
    page.locator(CARD).first.click()
    page.get_by_test_id("player").wait_for()
    assert_accessible(page, "the open player", "dark")
    page.goto("/#library")
    page.get_by_test_id("library-row").first.wait_for()
    assert_accessible(page, "the library", "dark")
    page.goto("/#jobs")
    page.get_by_test_id("jobs-view").wait_for()
    page.locator('[data-testid="jobs-empty"]:visible, [data-testid="job-row"]').first.wait_for()
    assert_accessible(page, "the jobs view", "dark")


def test_phone_width_shows_cards_without_horizontal_scrolling(phone_page, artifacts) -> None:  # noqa: ANN001
    page = phone_page
    page.goto("/")
    search(page, "blue")
    assert page.evaluate("() => window.innerWidth") == 390
    assert no_horizontal_scroll(page)
    for box in (c.bounding_box() for c in page.locator(CARD).all()[:3]):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.get_by_test_id("search-input").bounding_box()["width"] > 250
    page.screenshot(path=str(artifacts / "results-phone.png"), full_page=True)

    page.locator(CARD).first.tap()
    page.get_by_test_id("player").wait_for()
    assert no_horizontal_scroll(page)
    assert page.get_by_test_id("player-video").bounding_box()["width"] <= 390

    page.goto("/#library")
    page.get_by_test_id("library-row").first.wait_for()
    assert no_horizontal_scroll(page)


def test_error_state_shows_the_api_detail(page) -> None:  # noqa: ANN001
    detail = "the index was built with test:colour-v1; re-embed with `vidseek index --reembed`"
    page.route(
        "**/api/search?*",
        lambda route: route.fulfill(status=422, content_type="application/json", body=json.dumps({"detail": detail})),
    )
    page.goto("/?q=red")
    error = page.get_by_test_id("state-error")
    error.wait_for()
    assert page.get_by_test_id("error-detail").inner_text() == detail
    assert page.locator(CARD).count() == 0

    # FastAPI's validation errors: a list of {loc, msg}
    page.unroute("**/api/search?*")
    page.route(
        "**/api/search?*",
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body=json.dumps({"detail": [{"loc": ["query", "limit"], "msg": "Input should be less than 1000"}]}),
        ),
    )
    search_box = page.get_by_test_id("search-input")
    search_box.fill("blue")
    page.wait_for_function("""() => document.querySelector('[data-testid="error-detail"]').textContent
                              .includes('limit: Input should be less than 1000')""")

    # the real API's own errors come through too
    page.unroute("**/api/search?*")
    page.route("**/api/search?*", lambda route: route.continue_(url=route.request.url.replace("limit=24", "limit=0")))
    search_box.fill("green")
    page.wait_for_function("""() => { const e = document.querySelector('[data-testid="state-error"]');
                                      return !e.hidden && e.textContent.includes('limit'); }""")


def test_no_matches_state(page) -> None:  # noqa: ANN001
    page.route(
        "**/api/search?*",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps(
                {"query": "x", "took_ms": 1.0, "limit": 24, "offset": 0, "next_offset": None, "results": []}
            ),
        ),
    )
    page.goto("/")
    page.get_by_test_id("search-input").fill("purple elephant")
    page.get_by_test_id("state-no-matches").wait_for()
    assert page.get_by_test_id("no-matches-query").inner_text() == "purple elephant"
    assert page.get_by_test_id("state-empty").is_hidden()
    assert page.get_by_test_id("load-more").is_hidden()


def test_an_older_answer_never_overwrites_a_newer_one(page) -> None:  # noqa: ANN001
    held = []

    def hold_green(route) -> None:  # noqa: ANN001
        if parse_qs(urlparse(route.request.url).query).get("q") == ["green"]:
            held.append(route)  # answered later, after the newer search has finished
        else:
            route.continue_()

    page.route("**/api/search?*", hold_green)
    page.goto("/")
    box = page.get_by_test_id("search-input")
    box.fill("green")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    box.fill("red")
    page.locator(cards_for("red")).first.wait_for()
    stale = {
        "query": "green",
        "took_ms": 1,
        "next_offset": None,
        "results": [
            {
                "rank": 1,
                "score": 1.0,
                "video": {"id": 999, "path": "/stale.mp4", "title": "STALE", "duration": 10},
                "start": 0,
                "end": 1,
                "peak": 0.5,
                "thumbnail_url": "/none.jpg",
                "video_url": "/none.mp4#t=0,1",
            }
        ],
    }
    try:
        held[0].fulfill(status=200, content_type="application/json", body=json.dumps(stale))
    except Exception:  # noqa: BLE001 - the page aborted it: that is the point
        pass
    page.wait_for_timeout(500)
    assert "STALE" not in titles(page)
    assert titles(page)[0] == "red moment"
    assert page.get_by_test_id("search-input").input_value() == "red"
    assert parse_qs(urlparse(page.url).query)["q"] == ["red"]


def test_load_more_follows_next_offset(page, api) -> None:  # noqa: ANN001
    status, body = api("/api/search?q=blue&limit=50")
    everything = [(r["video"]["id"], r["start"]) for r in body["results"]]
    assert len(everything) >= 3

    # pages of 2, so the real API has to say where the next one starts
    def small_pages(route) -> None:  # noqa: ANN001
        route.continue_(url=route.request.url.replace("limit=24", "limit=2"))

    page.route("**/api/search?*", small_pages)
    page.goto("/?q=blue")
    page.locator(cards_for("blue")).first.wait_for()
    assert page.locator(CARD).count() == 2
    load_every_page(page, CARD)
    shown = page.locator(CARD).evaluate_all("cs => cs.map(c => [Number(c.dataset.videoId), c.dataset.index])")
    assert len(shown) == len(everything)
    assert [int(i) for _, i in shown] == list(range(len(everything)))
    assert [v for v, _ in shown] == [v for v, _ in everything]
