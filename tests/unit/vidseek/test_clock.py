"""Clock text (``M:SS.s``): the CLI's ``vidseek.timecode.clock`` and the page's ``clock`` of
web/static/format.js round alike, half up to the tenth, and agree on any seconds (the page's run by node)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from vidseek.timecode import clock

FORMAT_JS = Path(__file__).resolve().parents[3] / "web" / "static" / "format.js"

BY_HAND = {
    75.25: "1:15.3",
    75.24: "1:15.2",
    0.35: "0:00.4",
    0.34: "0:00.3",
    0.05: "0:00.1",
    59.95: "1:00.0",
    3599.95: "1:00:00.0",
    3725: "1:02:05.0",
    -1.0: "0:00.0",
}


@pytest.mark.parametrize("seconds, text", BY_HAND.items())
def test_clock_rounds_half_up_to_the_tenth(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def _page_clock(tmp_path: Path, seconds: list[float]) -> list[str]:
    """The page's clock of each of ``seconds``, computed by node from format.js as the browser loads it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    module = tmp_path / "format.mjs"  # an ES module whatever node's default for .js
    module.write_text(FORMAT_JS.read_text())
    script = (
        f"import {{ clock }} from {json.dumps(module.as_uri())};\n"
        "let text = ''; for await (const chunk of process.stdin) text += chunk;\n"
        "process.stdout.write(JSON.stringify(JSON.parse(text).map(clock)));\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(seconds),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_page_and_cli_show_the_same_clock(tmp_path: Path) -> None:
    rng = random.Random(7)
    seconds = list(BY_HAND)
    seconds += [k / 20 for k in range(0, 2400)]  # every half tenth in two minutes
    seconds += [round(rng.uniform(0, 10_000), 3) for _ in range(2000)]  # as the API writes seconds
    seconds += [rng.uniform(0, 100_000) for _ in range(2000)]
    page = _page_clock(tmp_path, seconds)
    assert {s: text for s, text in zip(seconds, page)} == {s: clock(s) for s in seconds}
    assert page[0] == BY_HAND[75.25]
