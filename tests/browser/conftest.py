"""Real-browser tests of the search page: a live `vidseek serve` over generated videos, driven by headless Chromium.

Chromium comes from the system (Debian's ``chromium`` package at /usr/bin/chromium, or $VIDSEEK_CHROMIUM);
without it these tests skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO = TESTS_DIR.parent
ARTIFACTS = REPO / "test-artifacts"
for _path in (TESTS_DIR, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from browser_media import VIDEOS  # noqa: E402
from media import make_video  # noqa: E402
from serve_process import get as _get  # noqa: E402
from serve_process import running_server  # noqa: E402

COLOUR_MODEL = "python:colour_encoder:ColourEncoder"
CHROMIUM = os.environ.get("VIDSEEK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (or set VIDSEEK_CHROMIUM)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the `playwright` Python package is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("browser-data")
    env = dict(os.environ)
    env.update(
        {
            "VIDSEEK_DATA_DIR": str(data),
            "VIDSEEK_MODEL": COLOUR_MODEL,
            "PYTHONPATH": os.pathsep.join(p for p in [str(TESTS_DIR), os.environ.get("PYTHONPATH", "")] if p),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key in ("VIDSEEK_DATABASE_URL", "VIDSEEK_WATCH", "VIDSEEK_WATCH_DIR"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-videos")
    for title, segments in VIDEOS.items():
        make_video(root / f"{title}.mp4", segments, fps=10, width=160, height=90)
    return root


@pytest.fixture(scope="session")
def server(chromium_path: str, server_env: dict[str, str], video_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Base URL of a live `vidseek serve` over an index of the generated videos.

    $VIDSEEK_TEST_SERVER names an already running server to use instead (its index must hold VIDEOS).
    """
    if os.environ.get("VIDSEEK_TEST_SERVER"):
        yield os.environ["VIDSEEK_TEST_SERVER"].rstrip("/")
        return
    if importlib.util.find_spec("search_api.http.app") is None:
        pytest.skip("search_api.http.app (the HTTP API) does not exist yet")
    cmd = [sys.executable, "-m", "cli"]
    indexed = subprocess.run(
        [*cmd, "index", str(video_dir)], env=server_env, capture_output=True, text=True, timeout=300
    )
    assert indexed.returncode == 0, f"vidseek index failed:\n{indexed.stdout}\n{indexed.stderr}"

    with running_server(server_env, tmp_path_factory.mktemp("browser-server") / "serve.log") as base:
        yield base


@pytest.fixture(scope="session")
def api(server: str):
    """GET a JSON API path on the live server: api("/api/videos") -> (status, body)."""

    def get(path: str) -> tuple[int, object]:
        status, raw = _get(server + path, timeout=30)
        return status, json.loads(raw) if raw else None

    return get


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    # Per module, not per session: Playwright's sync API keeps an asyncio loop running in this
    # thread while it is open, which would break later tests that call asyncio.run().
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_errors() -> list[str]:
    return []


def _new_page(browser, server: str, errors: list[str], **context_options):  # noqa: ANN001, ANN202
    context = browser.new_context(base_url=server, **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    return context, page


@pytest.fixture
def page(browser, server: str, page_errors: list[str]):  # noqa: ANN001, ANN201
    """A laptop-sized page (1280x800) on the live server."""
    context, page = _new_page(browser, server, page_errors, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, server: str, page_errors: list[str]):  # noqa: ANN001, ANN201
    """A phone-sized page (390x844, touch) on the live server."""
    context, page = _new_page(
        browser,
        server,
        page_errors,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_configure(config) -> None:  # noqa: ANN001
    config.addinivalue_line("markers", "browser: drives a real headless Chromium against a live server")


def pytest_collection_modifyitems(items) -> None:  # noqa: ANN001
    # lets a run leave them out with -m "not browser"
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
