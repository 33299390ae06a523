"""The Jobs tab in a real headless Chromium: upload a generated video through the page (the server asks
for an API key, the page asks the person), watch its job run in the jobs view, find the video."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from axe_check import assert_accessible
from media import Segment, make_video
from serve_process import running_server

pytestmark = pytest.mark.browser

UPLOAD = [Segment("black", 2), Segment("magenta", 3), Segment("black", 2)]


@pytest.fixture(scope="module")
def upload_server(chromium_path: str, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    """A `vidseek serve` of its own (uploads change its library), empty, with one API key: (base URL, key)."""
    root = tmp_path_factory.mktemp("upload-server")
    env = {**server_env, "VIDSEEK_DATA_DIR": str(root / "data"), "VIDSEEK_WORKER_POLL": "0.2"}
    cmd = [sys.executable, "-m", "cli"]
    created = subprocess.run(
        [*cmd, "keys", "create", "browser test"], env=env, capture_output=True, text=True, timeout=120
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    with running_server(env, root / "serve.log") as base:
        yield base, key


def test_upload_through_the_page_asks_for_a_key_and_shows_the_job(
    browser,
    upload_server,
    page_errors,  # noqa: ANN001
    tmp_path: Path,
    artifacts,
) -> None:  # noqa: ANN001
    base, key = upload_server
    video = make_video(tmp_path / "sunset walk.mp4", UPLOAD, fps=10, width=160, height=90)
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    try:
        page.goto("/#jobs")
        page.wait_for_selector("html[data-ready=true]")
        assert page.get_by_test_id("jobs-view").is_visible()
        assert page.get_by_test_id("tab-jobs").get_attribute("aria-current") == "page"
        assert page.get_by_test_id("jobs-empty").is_visible()
        assert page.get_by_test_id("key-none").is_visible()

        # no key yet: the page asks for one before sending the file
        page.get_by_test_id("upload-input").set_input_files(str(video))
        form = page.get_by_test_id("key-form")
        form.wait_for()
        assert "vidseek keys create" in page.get_by_test_id("key-message").inner_text()
        assert_accessible(page, "the upload asking for a key")
        page.get_by_test_id("key-input").fill(key)
        page.get_by_test_id("key-save").click()

        # uploaded: the job appears in the jobs view and runs to done (the worker inside serve)
        result = page.locator('[data-testid="upload-result"][data-kind="queued"]')
        result.wait_for()
        assert "sunset walk.mp4" in result.inner_text()
        job_id = result.get_attribute("data-job-id")
        row = page.locator(f'[data-testid="job-row"][data-job-id="{job_id}"]')
        row.wait_for()
        assert row.get_by_test_id("job-title").inner_text() == "sunset walk.mp4"
        assert row.get_by_test_id("job-kind").inner_text() == "upload"
        page.wait_for_selector(f'[data-testid="job-row"][data-job-id="{job_id}"][data-status="done"]', timeout=90_000)
        assert row.get_by_test_id("job-status").inner_text() == "done"
        assert row.get_by_test_id("job-progress").inner_text() == "100 %"
        assert form.is_hidden()
        assert page.evaluate("() => localStorage.getItem('vidseek.apiKey')") == key
        assert page.get_by_test_id("key-saved").is_visible()
        assert page.get_by_test_id("key-none").is_hidden()
        page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)
        for scheme in ("light", "dark"):
            assert_accessible(page, "the jobs view with a done upload", scheme)

        # it is searchable now
        with urllib.request.urlopen(f"{base}/api/search?q=magenta&limit=1", timeout=30) as response:  # noqa: S310
            hits = json.loads(response.read())["results"]
        assert hits and hits[0]["video"]["title"] == "sunset walk"

        # the same file again, dropped on the page: the saved key is used, and it is a duplicate
        page.reload()
        page.wait_for_selector("html[data-ready=true]")
        drop = page.evaluate_handle(
            """([name, bytes]) => { const dt = new DataTransfer();
                 dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'video/mp4' })); return dt; }""",
            ["again.mp4", list(video.read_bytes())],
        )
        page.get_by_test_id("upload-drop").dispatch_event("drop", {"dataTransfer": drop})
        duplicate = page.locator('[data-testid="upload-result"][data-kind="duplicate"]')
        duplicate.wait_for()
        assert "already in the library" in duplicate.inner_text()
        assert page.get_by_test_id("key-form").is_hidden()
        assert page_errors == []
    finally:
        context.close()
