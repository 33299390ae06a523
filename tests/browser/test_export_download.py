"""The page's EDL link saves what the server sends under the server's name: for a library at two frame
rates a zip of one EDL per rate, ``vidseek-QUERY.zip``; for one rate a plain ``vidseek-QUERY.edl``."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from axe_check import assert_accessible
from media import Segment, make_video
from readers import fcpxml_clips, read_edl, read_resolve_markers, read_xmeml
from serve_process import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def two_rates(chromium_path: str, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    """A live server over two red videos, at 25 and at 29.97 fps (the page's usual videos are at 10 fps, a
    rate without SMPTE timecode)."""
    root = tmp_path_factory.mktemp("two-rates")
    make_video(root / "pal.mp4", [Segment("red", 4)], fps=25)
    make_video(root / "ntsc.mp4", [Segment("red", 4)], fps=Fraction(30000, 1001))
    env = {**server_env, "VIDSEEK_DATA_DIR": str(root / "data")}
    cmd = [sys.executable, "-m", "cli", "index", str(root)]
    indexed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert indexed.returncode == 0, indexed.stderr
    with running_server(env, root / "serve.log") as base:
        yield base


def test_the_edl_link_saves_a_zip_of_edls_as_a_zip(browser, two_rates: str) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=two_rates, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/?q=red")
        page.locator('[data-testid="result-card"]').first.wait_for()
        with page.expect_download() as both:
            page.get_by_test_id("export-edl").click()
        assert both.value.suggested_filename == "vidseek-red.zip"
        with zipfile.ZipFile(io.BytesIO(Path(both.value.path()).read_bytes())) as saved:
            assert sorted(saved.namelist()) == ["vidseek-red-25fps.edl", "vidseek-red-29.97fps.edl"]
        page.goto("/?q=red&video_id=1")
        page.locator('[data-testid="result-card"]').first.wait_for()
        with page.expect_download() as one:
            page.get_by_test_id("export-edl").click()
        assert one.value.suggested_filename == "vidseek-red.edl"
        edl = Path(one.value.path()).read_text()
        assert read_edl(edl, 25 if "NON-DROP" in edl else 29.97).find_clips()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("link", "file_name"),
    [
        ("export-fcpxml", "vidseek-red.fcpxml"),
        ("export-xmeml", "vidseek-red.xml"),
        ("export-resolve", "vidseek-red-markers.edl"),
    ],
)
def test_the_editors_links_save_files_their_readers_read(browser, two_rates: str, link: str, file_name: str) -> None:  # noqa: ANN001
    """The Export menu offers Final Cut Pro, Premiere Pro and Resolve files, with one second of handles;
    each saves under the server's name and reads back; the menu stays accessible."""
    context = browser.new_context(base_url=two_rates, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/?q=red")
        page.locator('[data-testid="result-card"]').first.wait_for()
        assert_accessible(page, f"export menu ({link})")
        anchor = page.get_by_test_id(link)
        assert "handles=1" in anchor.get_attribute("href") and "shots=" not in anchor.get_attribute("href")
        page.get_by_label("snap to shots").check()  # every link then asks for edges snapped to cuts
        assert "shots=snap" in anchor.get_attribute("href")
        assert_accessible(page, f"export menu, snapping ({link})")
        assert anchor.get_attribute("aria-label").startswith("Export red as ")
        with page.expect_download() as saved:
            anchor.click()
        assert saved.value.suggested_filename == file_name
        data = Path(saved.value.path()).read_bytes()
        if link == "export-fcpxml":
            clips = fcpxml_clips(data)
            assert {c["rate"] for c in clips} == {Fraction(25), Fraction(30000, 1001)}
        elif link == "export-xmeml":
            assert len(read_xmeml(data).find_clips()) == 2
        else:
            text = data.decode()
            rate = 25 if "NON-DROP" in text else 29.97
            assert len(read_resolve_markers(text, rate)) == 2
    finally:
        context.close()
