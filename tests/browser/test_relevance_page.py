"""Relevance bands, the min_relevance control, hidden weaker matches and group-by-video on the search page,
in a real headless Chromium: against the live `vidseek serve` of conftest (generated colour videos), against a
second live server over a library big enough to calibrate (so every band and hidden matches occur), and once
against a routed answer shaped like the API contract."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from axe_check import accessible_name, assert_accessible
from page_actions import load_every_page
from serve_process import running_server

pytestmark = pytest.mark.browser

CARD = '[data-testid="result-card"]'
GROUP = '[data-testid="result-group"]'
WORDS = {"high": "strong match", "medium": "good match", "low": "weak match"}


# ---------------------------------------------------------------- helpers


def settled(
    page,
    q: str,
    *,
    min_relevance: str = "medium",
    group_by: str = "none",  # noqa: ANN001
    sort: str = "score",
) -> None:
    """Wait until the page shows the answer for ``q`` asked with these options, and is no longer loading."""
    page.wait_for_selector(
        f'[data-testid="results"][data-query="{q}"][data-min-relevance="{min_relevance}"]'
        f'[data-group-by="{group_by}"][data-sort="{sort}"]',
        state="attached",
    )
    page.wait_for_function("() => document.body.dataset.loading === 'false'")


def searches(page) -> list[dict[str, list[str]]]:  # noqa: ANN001
    """The query parameters of every /api/search request the page sends from now on (a live list)."""
    asked: list[dict[str, list[str]]] = []
    page.on(
        "request",
        lambda r: (
            asked.append(parse_qs(urlparse(r.url).query)) if urlparse(r.url).path.startswith("/api/search") else None
        ),
    )
    return asked


def page_params(page) -> dict[str, list[str]]:  # noqa: ANN001
    return parse_qs(urlparse(page.url).query)


def card_bands(page) -> list[str]:  # noqa: ANN001
    return page.locator(CARD).evaluate_all("cs => cs.map(c => c.dataset.relevance || '')")


def badge_texts(page) -> list[str]:  # noqa: ANN001
    return page.get_by_test_id("result-relevance").all_inner_texts()


def assert_badges_match(page, results: list[dict]) -> None:  # noqa: ANN001
    """Every card has a band badge in words, with its class, matching the API's band for that moment."""
    cards = page.locator(CARD)
    assert cards.count() == len(results)
    for card, result in zip(cards.all(), results):
        band = result["relevance"]
        badge = card.get_by_test_id("result-relevance")
        assert badge.count() == 1, "a card without a relevance badge"
        assert badge.inner_text() == WORDS[band]
        assert f"relevance-{band}" in badge.get_attribute("class").split()
        assert badge.is_visible()
        # the card is a button named by what it shows: the band is part of its name, for screen readers
        assert WORDS[band] in accessible_name(card)


# ---------------------------------------------------------------- the live server of conftest


def test_every_card_shows_its_relevance_band(page, api, page_errors, artifacts) -> None:  # noqa: ANN001
    status, body = api("/api/search?" + urlencode({"q": "blue", "limit": 24, "min_relevance": "medium"}))
    assert status == 200 and body["results"]
    asked = searches(page)
    page.goto("/?q=blue")
    settled(page, "blue")
    assert_badges_match(page, body["results"])
    assert asked and all(a.get("min_relevance") == ["medium"] for a in asked), asked
    # the controls have names
    assert page.get_by_label("Show matches").input_value() == "medium"
    assert page.get_by_label("Group by video").is_visible()
    assert page.get_by_test_id("sort-option").is_hidden()  # only with grouping
    # opening a moment says its band too
    page.locator(CARD).first.click()
    page.get_by_test_id("player").wait_for()
    assert WORDS[body["results"][0]["relevance"]] in page.get_by_test_id("player-meta").inner_text()
    page.keyboard.press("Escape")
    page.screenshot(path=str(artifacts / "relevance-flat.png"), full_page=True)
    assert page_errors == []


def test_group_by_video_shows_one_section_per_video_with_its_moments(
    page,
    api,
    page_errors,  # noqa: ANN001
    artifacts,
) -> None:  # noqa: ANN001
    status, grouped = api("/api/search?" + urlencode({"q": "blue", "limit": 12, "group_by": "video"}))
    assert status == 200 and len(grouped["groups"]) >= 2
    asked = searches(page)
    page.goto("/?q=blue")
    settled(page, "blue")
    flat_cards = page.locator(CARD).count()

    page.get_by_label("Group by video").check()
    settled(page, "blue", group_by="video")
    assert asked[-1].get("group_by") == ["video"] and asked[-1].get("sort") == ["score"], asked[-1]
    assert asked[-1].get("min_relevance") == ["medium"]
    assert page_params(page).get("group_by") == ["video"]
    sections = page.locator(GROUP)
    assert sections.count() == len(grouped["groups"])
    assert page.get_by_test_id("group-title").all_inner_texts() == [g["video"]["title"] for g in grouped["groups"]]
    for section, group in zip(sections.all(), grouped["groups"]):
        assert section.get_attribute("data-video-id") == str(group["video"]["id"])
        cards = section.locator(CARD)
        assert cards.count() == len(group["moments"]) == group["count"]
        assert set(cards.evaluate_all("cs => cs.map(c => c.dataset.videoId)")) == {str(group["video"]["id"])}
        n = group["count"]
        assert section.get_by_test_id("group-count").inner_text() == f"{n} matching moment{'' if n == 1 else 's'}"
        best = section.get_by_test_id("group-relevance")
        assert best.inner_text() == WORDS[group["relevance"]]
        assert f"relevance-{group['relevance']}" in best.get_attribute("class")
        assert_badges_match(section, group["moments"])
    # the same moments as ungrouped, each once
    assert page.locator(CARD).count() == flat_cards
    status_text = page.get_by_test_id("search-status").inner_text()
    assert f"in {len(grouped['groups'])} videos" in status_text, status_text
    page.screenshot(path=str(artifacts / "relevance-grouped.png"), full_page=True)
    assert_accessible(page, "the results grouped by video")

    # arrows move between the sections: down from the first video's card reaches the next video's
    page.get_by_test_id("search-input").press("ArrowDown")
    first = page.locator(CARD).first
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowDown")
    second_video = sections.nth(1).locator(CARD).first
    assert second_video.get_attribute("aria-current") == "true"
    page.keyboard.press("ArrowUp")
    assert first.get_attribute("aria-current") == "true"

    # a card in a section plays its moment
    second_video.click()
    player = page.get_by_test_id("player")
    player.wait_for()
    moment = grouped["groups"][1]["moments"][0]
    assert player.get_attribute("data-video-id") == str(moment["video"]["id"])
    assert abs(float(player.get_attribute("data-start")) - moment["start"]) < 0.05
    page.keyboard.press("Escape")

    # grouped, the videos can be ordered by their number of moments
    status, by_count = api("/api/search?" + urlencode({"q": "blue", "limit": 12, "group_by": "video", "sort": "count"}))
    assert status == 200
    sort = page.get_by_label("Order videos by")
    assert sort.is_visible()
    sort.select_option("count")
    settled(page, "blue", group_by="video", sort="count")
    assert asked[-1].get("sort") == ["count"]
    assert page_params(page).get("sort") == ["count"]
    assert page.get_by_test_id("group-title").all_inner_texts() == [g["video"]["title"] for g in by_count["groups"]]

    # the page URL keeps the mode: reloading shows the same sections
    page.reload()
    settled(page, "blue", group_by="video", sort="count")
    assert page.get_by_label("Group by video").is_checked()
    assert page.get_by_label("Order videos by").input_value() == "count"
    assert page.locator(GROUP).count() == len(by_count["groups"])

    # the exports carry the options
    href = page.get_by_test_id("export-csv").get_attribute("href")
    exported = parse_qs(urlparse(href).query)
    assert exported["q"] == ["blue"] and exported["group_by"] == ["video"] and exported["sort"] == ["count"]
    assert exported["min_relevance"] == ["medium"]
    response = page.request.get(href)
    assert response.status == 200 and "text/csv" in response.headers["content-type"]

    # and off again: plain cards, no sort, nothing grouped in the URL
    page.get_by_label("Group by video").uncheck()
    settled(page, "blue")
    assert page.locator(GROUP).count() == 0 and page.locator(CARD).count() == flat_cards
    assert "group_by" not in asked[-1] and "sort" not in asked[-1]
    assert "group_by" not in page_params(page) and "sort" not in page_params(page)
    assert page.get_by_test_id("sort-option").is_hidden()
    assert page_errors == []


def test_min_relevance_control_changes_what_is_asked_and_the_hidden_line(page, api, page_errors) -> None:  # noqa: ANN001
    def answer(q: str, level: str) -> dict:
        status, body = api("/api/search?" + urlencode({"q": q, "limit": 24, "min_relevance": level}))
        assert status == 200
        return body

    asked = searches(page)
    page.goto("/?q=blue")
    settled(page, "blue")
    control = page.get_by_label("Show matches")
    shown = {}
    for level in ("high", "low", "medium"):
        control.select_option(level)
        settled(page, "blue", min_relevance=level)
        assert asked[-1].get("min_relevance") == [level], asked[-1]
        expected = answer("blue", level)
        assert_badges_match(page, expected["results"])
        shown[level] = page.locator(CARD).count()
        if level == "high":
            assert set(card_bands(page)) == {"high"}
        assert (page_params(page).get("min_relevance") == [level]) == (level != "medium")  # the default stays out
        assert page.get_by_test_id("hidden-note").is_visible() == (expected["hidden"] > 0 and level != "low")
    assert shown["low"] >= shown["medium"] >= shown["high"] >= 1

    # nothing strong for a colour no video has: the weaker matches are counted, and one click shows them
    weak = answer("black", "high")
    assert weak["results"] == [] and weak["hidden"] > 0, "the test library should have weak matches for 'black'"
    page.goto("/?" + urlencode({"q": "black", "min_relevance": "high"}))
    settled(page, "black", min_relevance="high")
    assert control.input_value() == "high"
    assert asked[-1].get("min_relevance") == ["high"]
    page.get_by_test_id("state-no-matches").wait_for()
    note = page.get_by_test_id("hidden-note")
    assert note.is_visible()
    n = weak["hidden"]
    assert page.get_by_test_id("hidden-count").inner_text() == f"{n} weaker match{'' if n == 1 else 'es'} hidden"
    page.get_by_role("button", name="show").click()
    settled(page, "black", min_relevance="low")
    assert asked[-1].get("min_relevance") == ["low"]
    assert control.input_value() == "low"
    assert page_params(page).get("min_relevance") == ["low"]
    everything = answer("black", "low")
    assert len(everything["results"]) >= n
    assert_badges_match(page, everything["results"])
    assert note.is_hidden()
    assert page.get_by_test_id("state-no-matches").is_hidden()
    # the focus went to the first match that had been hidden
    assert page.locator(CARD).first.evaluate("el => el === document.activeElement")
    assert page_errors == []


def test_grouped_at_phone_width_has_no_horizontal_scrolling(phone_page, artifacts) -> None:  # noqa: ANN001
    page = phone_page
    page.goto("/?" + urlencode({"q": "blue", "group_by": "video", "sort": "count"}))
    settled(page, "blue", group_by="video", sort="count")
    assert page.locator(GROUP).count() >= 2
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )
    for control in ("min-relevance", "group-toggle", "sort-select"):
        box = page.get_by_test_id(control).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    page.screenshot(path=str(artifacts / "relevance-grouped-phone.png"), full_page=True)


# ---------------------------------------------------------------- a live server over a calibrated library


@pytest.fixture(scope="module")
def calibrated_server(chromium_path: str, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    """A `vidseek serve` of its own over tests/calibrated_library.py's synthetic library (big enough to
    calibrate: strong, good and weak matches for "red"). It has no video files: thumbnails answer 404."""
    root = tmp_path_factory.mktemp("calibrated-server")
    env = {**server_env, "VIDSEEK_DATA_DIR": str(root / "data")}
    script = (
        "from pathlib import Path; from calibrated_library import build; from vidseek.config import Settings; "
        "from vidseek.storage.library import Library; import os; "
        "build(Library(Settings(data_dir=Path(os.environ['VIDSEEK_DATA_DIR']), model=os.environ['VIDSEEK_MODEL']),"
        " notify=lambda m: None))"
    )
    built = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with running_server(env, root / "serve.log") as base:
        yield base


@pytest.fixture
def calibrated_page(browser, calibrated_server: str, page_errors: list[str]):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=calibrated_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    yield page
    context.close()


def calibrated_api(base: str, **params: object) -> dict:
    with urllib.request.urlopen(f"{base}/api/search?{urlencode(params)}", timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def test_weaker_matches_are_counted_and_shown_on_request(
    calibrated_page,
    calibrated_server,
    page_errors,  # noqa: ANN001
    artifacts,
) -> None:  # noqa: ANN001
    page = calibrated_page
    default = calibrated_api(calibrated_server, q="red", limit=24)
    everything = calibrated_api(calibrated_server, q="red", limit=24, min_relevance="low")
    strong = calibrated_api(calibrated_server, q="red", limit=24, min_relevance="high")
    assert default["hidden"] > 0 and strong["hidden"] > default["hidden"]
    assert "low" in {r["relevance"] for r in everything["results"]}

    asked = searches(page)
    page.goto("/?q=red")
    settled(page, "red")
    assert_badges_match(page, default["results"])
    assert "low" not in card_bands(page)
    note = page.get_by_test_id("hidden-note")
    n = default["hidden"]
    assert note.is_visible()
    assert page.get_by_test_id("hidden-count").inner_text() == f"{n} weaker match{'' if n == 1 else 'es'} hidden"
    page.screenshot(path=str(artifacts / "relevance-hidden.png"), full_page=True)

    page.get_by_test_id("show-hidden").click()
    settled(page, "red", min_relevance="low")
    assert asked[-1].get("min_relevance") == ["low"]
    assert_badges_match(page, everything["results"])
    assert note.is_hidden()
    weak = page.locator(f'{CARD}[data-relevance="low"]')
    assert weak.count() >= 1
    assert weak.first.get_by_test_id("result-relevance").inner_text() == "weak match"
    assert weak.first.evaluate("el => el === document.activeElement"), "focus should go to the first revealed match"
    assert_accessible(page, "strong, good and weak matches")

    page.get_by_label("Show matches").select_option("high")
    settled(page, "red", min_relevance="high")
    assert set(card_bands(page)) == {"high"}
    assert page.get_by_test_id("hidden-count").inner_text() == f"{strong['hidden']} weaker matches hidden"
    assert not [e for e in page_errors if e.startswith("pageerror")]


def test_grouped_pages_follow_next_offset_in_videos(calibrated_page, calibrated_server, page_errors) -> None:  # noqa: ANN001
    page = calibrated_page
    whole = calibrated_api(calibrated_server, q="red", limit=50, group_by="video", sort="count")
    videos = [g["video"]["id"] for g in whole["groups"]]
    assert len(videos) >= 5 and whole["groups"][0]["count"] >= 2

    # pages of 3 videos, so the real API has to say where the next page starts (in videos)
    offsets: list[str] = []

    def small_pages(route) -> None:  # noqa: ANN001
        url = route.request.url
        offsets.append(parse_qs(urlparse(url).query)["offset"][0])
        route.continue_(url=url.replace("limit=12", "limit=3"))

    page.route("**/api/search?*", small_pages)
    page.goto("/?" + urlencode({"q": "red", "group_by": "video", "sort": "count"}))
    settled(page, "red", group_by="video", sort="count")
    assert page.locator(GROUP).count() == 3
    load_every_page(page, GROUP)
    shown = page.locator(GROUP).evaluate_all("gs => gs.map(g => Number(g.dataset.videoId))")
    assert shown == videos  # every video once, in the API's order
    assert offsets[:3] == ["0", "3", "6"]
    # cards are numbered straight through the sections, so the player's next/previous walk them all
    indices = page.locator(CARD).evaluate_all("cs => cs.map(c => Number(c.dataset.index))")
    assert indices == list(range(sum(g["count"] for g in whole["groups"])))
    # the exports ask for the videos loaded so far, with the same options
    exported = parse_qs(urlparse(page.get_by_test_id("export-edl").get_attribute("href")).query)
    assert exported["group_by"] == ["video"] and exported["sort"] == ["count"]
    assert int(exported["limit"][0]) >= len(videos)
    assert not [e for e in page_errors if e.startswith("pageerror")]


# ---------------------------------------------------------------- a routed answer shaped like the contract


def _moment(rank: int, video: dict, start: float, score: float, band: str | None) -> dict:
    m = {
        "rank": rank,
        "score": score,
        "video": video,
        "start": start,
        "end": start + 2,
        "peak": start + 1,
        "thumbnail_url": "/static/favicon.svg",
        "video_url": f"/api/videos/{video['id']}/stream#t={start},{start + 2}",
        "clip_id": None,
    }
    if band is not None:
        m.update({"relevance": band, "z": {"high": 6.0, "medium": 3.0, "low": 1.0}[band]})
    return m


def test_contract_shaped_answer_renders_bands_groups_and_the_hidden_line(page, page_errors) -> None:  # noqa: ANN001
    one = {"id": 1, "path": "/v/one.mp4", "title": "one", "duration": 30.0}
    two = {"id": 2, "path": "/v/two.mp4", "title": "two", "duration": 20.0}
    groups = [
        {
            "rank": 1,
            "video": one,
            "score": 0.31,
            "relevance": "high",
            "count": 2,
            "moments": [_moment(1, one, 2, 0.31, "high"), _moment(2, one, 10, 0.25, "medium")],
        },
        {
            "rank": 2,
            "video": two,
            "score": 0.21,
            "relevance": "low",
            "count": 1,
            "moments": [_moment(3, two, 4, 0.21, "low")],
        },
    ]
    asked: list[dict[str, list[str]]] = []

    def answer(route) -> None:  # noqa: ANN001
        params = parse_qs(urlparse(route.request.url).query)
        asked.append(params)
        grouped = params.get("group_by") == ["video"]
        body = {
            "query": "x",
            "took_ms": 1.0,
            "limit": 12 if grouped else 24,
            "offset": 0,
            "next_offset": 2 if grouped else None,
            "min_relevance": params["min_relevance"][0],
            "hidden": 5,
            "group_by": "video" if grouped else "none",
            "sort": params.get("sort", ["score"])[0],
            "calibration": {"background": 0.17, "spread": 0.01},
            "results": [m for g in groups for m in g["moments"]] + [_moment(4, two, 12, 0.2, None)],
        }
        if grouped:
            body["results"] = [m for g in groups for m in g["moments"]]
            body["groups"] = groups if params["offset"] == ["0"] else []
            body["next_offset"] = 2 if params["offset"] == ["0"] else None
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/search?*", answer)
    page.goto("/?q=x")
    settled(page, "x")
    # one word per band, a class per band, and no badge (not a wrong one) when an answer has no band
    assert badge_texts(page) == ["strong match", "good match", "weak match"]
    assert page.locator(".relevance-high").count() == 1 and page.locator(".relevance-low").count() == 1
    assert page.locator(CARD).nth(3).get_by_test_id("result-relevance").count() == 0
    assert page.get_by_test_id("hidden-count").inner_text() == "5 weaker matches hidden"

    page.get_by_label("Group by video").check()
    settled(page, "x", group_by="video")
    assert page.get_by_test_id("group-title").all_inner_texts() == ["one", "two"]
    assert page.get_by_test_id("group-count").all_inner_texts() == ["2 matching moments", "1 matching moment"]
    assert page.get_by_test_id("group-relevance").all_inner_texts() == ["strong match", "weak match"]
    assert page.locator(GROUP).nth(0).locator(CARD).count() == 2
    # "more" asks for the next page of videos at the offset the answer gave
    page.get_by_test_id("load-more").click()
    page.wait_for_function("() => document.querySelector('[data-testid=load-more]').hidden")
    assert asked[-1]["offset"] == ["2"] and asked[-1]["limit"] == ["12"] and asked[-1]["group_by"] == ["video"]
    assert page.locator(GROUP).count() == 2
    assert page_errors == []
