"""Searching what is said on the search page, in a real headless Chromium, against a `vidseek serve` of its own
over generated videos with subtitles (sidecar files and a muxed stream): the quote under the card with the query's
words marked, a hostile subtitle line shown as text, the seen/said badges, the modality control, and the
player's captions track."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from axe_check import accessible_name, assert_accessible
from media import Segment, make_video
from serve_process import running_server
from subtitle_media import Track, make_subtitled_video

from vidseek.config import Settings
from vidseek.storage import cue_store, store
from vidseek.storage.library import Library

pytestmark = pytest.mark.browser

CARD = '[data-testid="result-card"]'
HOSTILE = '<img src=x onerror="window.hacked=1"> deadline & bold'
"""What the hostile sidecar line is stored as (the SRT reader strips <b> and decodes its entities)."""


def make_library(root: Path) -> None:
    """door: red 0-4 s then blue, says "A red door" at 1-3 s and "We missed the deadline." at 8-9.5 s;
    alert: white, a subtitle stream saying "red alert", "deadline tomorrow"; hostile: green, one line of markup."""
    make_video(root / "door.mp4", [Segment("red", 4), Segment("blue", 8)], fps=10, width=160, height=90)
    (root / "door.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nA red door\n\n2\n00:00:08,000 --> 00:00:09,500\nWe missed the deadline.\n"
    )
    make_subtitled_video(
        root / "alert.mkv",
        [Segment("white", 8)],
        [Track("subrip", [(1.0, 2.0, "red alert"), (5.0, 6.0, "deadline tomorrow")], "eng")],
    )
    make_video(root / "hostile.mp4", [Segment("green", 6)], fps=10, width=160, height=90)
    (root / "hostile.srt").write_text(
        '1\n00:00:02,000 --> 00:00:03,000\n&lt;img src=x onerror="window.hacked=1"&gt; deadline &amp; <b>bold</b>\n'
    )


@pytest.fixture(scope="module")
def talking_server(chromium_path: str, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("talking-server")
    videos = root / "videos"
    videos.mkdir()
    make_library(videos)
    env = {**server_env, "VIDSEEK_DATA_DIR": str(root / "data")}
    indexed = subprocess.run(
        [sys.executable, "-m", "cli", "index", str(videos)], env=env, capture_output=True, text=True, timeout=300
    )
    assert indexed.returncode == 0, f"vidseek index failed:\n{indexed.stdout}\n{indexed.stderr}"
    write_shown_line(env, videos / "door.mp4", cue_store.CueRow(5.0, 7.0, "EXIT 25 Harbor Road", "shown:PP-OCRv4"))
    with running_server(env, root / "serve.log") as base:
        yield base


def write_shown_line(env: dict[str, str], video: Path, line) -> None:  # noqa: ANN001
    """A line of shown text, stored as a read-text job stores it (the reading itself: tests/jobs/test_read_text.py)."""
    library = Library(Settings(data_dir=Path(env["VIDSEEK_DATA_DIR"]), model=env["VIDSEEK_MODEL"]), notify=print)
    with library.sessions() as session:
        video_id = store.video_by_path(str(video.resolve()), session=session).id
        cue_store.write_cues(video_id, [line], replacing="shown", session=session)
        session.commit()


@pytest.fixture
def talking_page(browser, talking_server: str, page_errors: list[str]):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=talking_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    page.on("console", lambda m: page_errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    yield page
    context.close()


def searches(page) -> list[dict[str, list[str]]]:  # noqa: ANN001
    """The query parameters of every /api/search request the page sends from now on."""
    asked: list[dict[str, list[str]]] = []
    page.on("request", lambda r: asked.append(parse_qs(urlparse(r.url).query)) if "/api/search" in r.url else None)
    return asked


def settled(page, q: str, modality: str = "all") -> None:  # noqa: ANN001
    page.wait_for_function(
        """([q, m]) => { const r = document.querySelector('[data-testid="results"]');
             return r.dataset.query === q && r.dataset.modality === m
               && document.body.dataset.loading === 'false'; }""",
        arg=[q, modality],
    )


def card_of(page, title: str):  # noqa: ANN001, ANN201
    return page.locator(CARD).filter(has=page.locator('[data-testid="result-title"]', has_text=title)).first


def marks(card) -> list[str]:  # noqa: ANN001
    return card.locator('[data-testid="result-quote"] mark').all_inner_texts()


def test_the_quote_is_under_the_card_with_the_words_marked(talking_page, page_errors, artifacts) -> None:  # noqa: ANN001
    page = talking_page
    asked = searches(page)
    page.goto("/")
    page.get_by_test_id("search-input").press_sequentially('"missed the deadline"', delay=20)
    settled(page, '"missed the deadline"')
    assert asked[-1]["modality"] == ["all"]
    door = card_of(page, "door")
    quote = door.get_by_test_id("result-quote")
    assert quote.inner_text() == "We missed the deadline."
    assert marks(door) == ["missed the deadline"]
    matched = door.get_by_test_id("result-signals").get_attribute("data-matched").split()
    assert "speech" in matched
    assert door.locator(".signal").all_inner_texts() == [{"visual": "seen", "speech": "said"}[m] for m in matched]
    # the quote lies under the title and times, above the strip
    title, line = door.get_by_test_id("result-title").bounding_box(), door.locator(".card-line").bounding_box()
    strip = door.get_by_test_id("result-strip").bounding_box()
    box = quote.bounding_box()
    assert title["y"] < line["y"] < box["y"] < strip["y"]
    name = accessible_name(door)
    assert "We missed the deadline." in name and re.search(r"\bsaid\b", name), name

    # a prefix marks the whole word, in every card that says it; case does not matter
    page.get_by_test_id("search-input").fill("DEAD*")
    settled(page, "DEAD*")
    quotes = page.get_by_test_id("result-quote")
    assert quotes.count() == 3
    for card in page.locator(CARD).all():
        assert marks(card) == ["deadline"], card.inner_text()
    page.screenshot(path=str(artifacts / "speech-quotes.png"), full_page=True)
    assert_accessible(page, "results found by what is said")
    assert page_errors == []


def test_a_hostile_subtitle_line_is_shown_as_text(talking_page, page_errors) -> None:  # noqa: ANN001
    page = talking_page
    page.goto("/?q=deadline&modality=speech")
    settled(page, "deadline", "speech")
    hostile = card_of(page, "hostile")
    quote = hostile.get_by_test_id("result-quote")
    assert quote.inner_text() == HOSTILE
    assert quote.locator("img, b").count() == 0 and page.locator(f"{CARD} img[src=x]").count() == 0
    assert marks(hostile) == ["deadline"]
    assert page.evaluate("() => window.hacked") is None
    # the player's caption of it is text too
    hostile.click()
    page.wait_for_function(
        """() => { const t = document.querySelector('[data-testid="player-video"]').textTracks[0];
             return t && t.cues && t.cues.length > 0; }"""
    )
    cue = page.get_by_test_id("player-video").evaluate("v => v.textTracks[0].cues[0].getCueAsHTML().textContent")
    assert cue == HOSTILE
    assert page.evaluate("() => window.hacked") is None
    assert page_errors == []


def test_the_modality_control_asks_for_what_it_says_and_stays_in_the_url(talking_page, page_errors) -> None:  # noqa: ANN001
    page = talking_page
    asked = searches(page)
    page.goto("/?q=red")
    settled(page, "red")
    control = page.get_by_test_id("modality-select")
    assert control.input_value() == "all" and asked[-1]["modality"] == ["all"]
    door = card_of(page, "door")
    assert door.locator(".signal").all_inner_texts() == ["seen", "said"]
    assert door.get_by_test_id("result-quote").inner_text() == "A red door" and marks(door) == ["red"]

    control.select_option("speech")
    settled(page, "red", "speech")
    assert asked[-1]["modality"] == ["speech"] and parse_qs(urlparse(page.url).query)["modality"] == ["speech"]
    assert {c.get_by_test_id("result-title").inner_text() for c in page.locator(CARD).all()} == {"door", "alert"}
    assert all(c.locator(".signal").all_inner_texts() == ["said"] for c in page.locator(CARD).all())
    export = parse_qs(urlparse(page.get_by_test_id("export-csv").get_attribute("href")).query)
    assert export["modality"] == ["speech"]

    control.select_option("visual")
    settled(page, "red", "visual")
    assert asked[-1]["modality"] == ["visual"]
    assert page.get_by_test_id("result-quote").count() == 0 and page.get_by_test_id("result-signals").count() == 0
    page.reload()
    settled(page, "red", "visual")
    assert page.get_by_test_id("modality-select").input_value() == "visual"

    control = page.get_by_test_id("modality-select")
    control.select_option("all")
    settled(page, "red", "all")
    assert "modality" not in parse_qs(urlparse(page.url).query)  # the default is left out
    # "more like this" looks at what is seen: it sends no modality
    page.get_by_test_id("search-input").fill("")
    page.goto("/?q=red")
    settled(page, "red")
    card_of(page, "door").click()
    page.get_by_test_id("player-similar").click()
    page.wait_for_function("() => new URLSearchParams(location.search).has('similar')")
    page.wait_for_function("() => document.body.dataset.loading === 'false'")
    assert "clip_id" in asked[-1] and "modality" not in asked[-1]
    assert page_errors == []


def test_the_player_shows_the_videos_captions(talking_page, page_errors, artifacts) -> None:  # noqa: ANN001
    page = talking_page
    page.goto('/?q="missed the deadline"&modality=speech')
    settled(page, '"missed the deadline"', "speech")
    card_of(page, "door").click()
    video = page.get_by_test_id("player-video")
    page.wait_for_function(
        """() => { const v = document.querySelector('[data-testid="player-video"]'); const t = v.textTracks[0];
             return t && t.mode === 'showing' && t.cues && t.cues.length === 2 && v.readyState >= 1; }"""
    )
    track = video.locator("track")
    assert track.count() == 1
    assert (track.get_attribute("kind"), track.get_attribute("srclang")) == ("captions", "en")
    assert track.evaluate("t => t.default") is True
    assert video.evaluate("v => v.textTracks[0].label") == "en (door.en.srt)"
    # at the moment, the caption it matched is the one showing
    video.evaluate("v => { v.pause(); v.currentTime = 8.6; }")
    page.wait_for_function(
        """() => { const v = document.querySelector('[data-testid="player-video"]');
             const a = v.textTracks[0].activeCues; return !v.seeking && a && a.length === 1; }"""
    )
    assert video.evaluate("v => v.textTracks[0].activeCues[0].text") == "We missed the deadline."
    page.wait_for_timeout(300)  # the caption is painted
    page.screenshot(path=str(artifacts / "speech-player.png"))

    # another video's tracks replace them; a video without subtitles gets none
    page.goto("/?q=green&modality=visual")
    settled(page, "green", "visual")
    card_of(page, "hostile").click()
    page.wait_for_function("() => document.querySelector('[data-testid=player-video]').dataset.captions === '1'")
    page.keyboard.press("Escape")
    assert video.locator("track").count() == 0
    assert page_errors == []


def test_marking_follows_the_query_syntax(talking_page) -> None:  # noqa: ANN001
    page = talking_page
    page.goto("/")
    page.wait_for_selector("html[data-ready=true]")
    cases = [
        ("We missed the deadline.", "deadline", [["deadline"]]),
        ("We missed the deadline.", "the", [["the"]]),
        ("Then the other", "the", [["the"]]),  # whole words only
        ("Deadline, DEADLINES: deadlined", "dead*", [["Deadline", "DEADLINES", "deadlined"]]),
        ("missed the deadline, missed it", '"missed the" it', [["missed the", "it"]]),
        ("the missed deadline", '"missed the"', [[]]),  # a phrase's words in its order
        ("Don't stop", "don't", [["Don't"]]),
        ("Café au lait", "cafe", [["Café"]]),
        ("<b>red</b> & red", "red", [["red", "red"]]),
        ("anything", '"" * -- ', [[]]),
    ]
    got = page.evaluate(
        """async (cases) => { const { highlighted } = await import('/static/highlight.js');
             return cases.map(([text, q]) => { const box = document.createElement('span');
               box.append(highlighted(text, q));
               return [[...box.querySelectorAll('mark')].map((m) => m.textContent), box.textContent === text]; }); }""",
        [[text, q] for text, q, _ in cases],
    )
    assert got == [[want[0], True] for _, _, want in cases]


def test_quotes_fit_a_phone_in_dark_mode(browser, talking_server: str, page_errors, artifacts) -> None:  # noqa: ANN001
    context = browser.new_context(
        base_url=talking_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    try:
        page.goto("/?q=red")
        settled(page, "red")
        door = card_of(page, "door")
        assert door.get_by_test_id("result-quote").is_visible() and marks(door) == ["red"]
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        thumb, signals = door.locator(".thumb").bounding_box(), door.get_by_test_id("result-signals").bounding_box()
        relevance = door.get_by_test_id("result-relevance").bounding_box()
        assert relevance["x"] + relevance["width"] < signals["x"]  # the badges do not overlap
        assert signals["x"] + signals["width"] <= thumb["x"] + thumb["width"]
        page.screenshot(path=str(artifacts / "speech-phone-dark.png"), full_page=True)
        assert_accessible(page, "results found by what is said, on a phone", "dark")
    finally:
        context.close()
    assert page_errors == []


def test_a_line_shown_below_the_band_asked_for_says_it_is_there_for_what_is_said(
    talking_page, talking_server: str, page_errors
) -> None:  # noqa: ANN001
    """The API's band describes what is seen; a line that says the query is shown whatever band its picture
    reaches. So with "good and strong" asked, a card whose picture is only a weak match must not read "weak match"
    (which the filter says it hides): it says it is shown for what is said, and why."""
    with urllib.request.urlopen(f"{talking_server}/api/search?q=deadline&limit=24", timeout=30) as response:  # noqa: S310
        body = json.loads(response.read())
    assert body["min_relevance"] == "medium"
    below = [r for r in body["results"] if r["relevance"] == "low"]
    assert below and all("speech" in r["matched"] for r in below), "the library should have said-only weak moments"
    page = talking_page
    page.goto("/?q=deadline")
    settled(page, "deadline")
    cards = page.locator(CARD)
    assert cards.count() == len(body["results"])
    for card, result in zip(cards.all(), body["results"]):
        badge = card.get_by_test_id("result-relevance")
        if result["relevance"] == "low":
            assert badge.inner_text() == "said match", result
            assert "what is said" in badge.get_attribute("title") and "weak match" in badge.get_attribute("title")
            assert "said match" in accessible_name(card)
        else:
            assert badge.inner_text() == {"high": "strong match", "medium": "good match"}[result["relevance"]]
    # the player says the same
    cards.nth(body["results"].index(below[0])).click()
    page.get_by_test_id("player").wait_for()
    assert "said match" in page.get_by_test_id("player-meta").inner_text()
    assert "weak match" not in page.get_by_test_id("player-meta").inner_text()
    page.keyboard.press("Escape")

    # asked for everything, the band itself is what the card says
    page.get_by_test_id("min-relevance").select_option("low")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=results]').dataset.minRelevance === 'low'"
        " && document.body.dataset.loading === 'false'"
    )
    texts = page.get_by_test_id("result-relevance").all_inner_texts()
    assert "said match" not in texts and "weak match" in texts
    assert page_errors == []


def test_a_moment_found_by_the_text_shown_says_so(talking_page, page_errors) -> None:  # noqa: ANN001
    page = talking_page
    page.goto("/?q=harbor&modality=shown")
    settled(page, "harbor", "shown")
    assert page.get_by_test_id("modality-select").input_value() == "shown"
    door = card_of(page, "door")
    assert door.get_by_test_id("result-quote").inner_text() == "EXIT 25 Harbor Road"
    assert marks(door) == ["Harbor"]
    badge = door.locator(".signal")
    assert (
        badge.all_inner_texts() == ["shown"]
        and badge.get_attribute("title") == "Found in the text shown in the picture"
    )
    assert page.locator(CARD).count() == 1
    assert page_errors == []
