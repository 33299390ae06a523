"""axe-core, the accessibility checker, run inside the page under test.

axe-core is pinned in ``tests/browser/axe/package.json`` (installed by ``npm ci --prefix tests/browser/axe``,
which ``.ci/run`` does). ``assert_accessible`` runs it on the page as it is, in a colour scheme, with every rule
axe runs by default plus the experimental ``label-content-name-mismatch`` (a control's accessible name must
contain its visible text), and fails on what it finds at the ``serious`` and ``critical`` impacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
OPTIONS = {
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}
SETTLE = """async () => {
  // colours are read as drawn: wait for the CSS transitions a scheme change or a hover started (not the spinner's
  // endless animation)
  const finite = document.getAnimations().filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  await Promise.all(finite.map((a) => a.finished.catch(() => null)));
}"""
RUN = """async (options) => {
  const result = await window.axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), why: n.failureSummary })),
  }));
}"""


def _load(page) -> None:  # noqa: ANN001 (playwright Page)
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    if not AXE_JS.is_file():
        if os.environ.get("VIDSEEK_REQUIRE_AXE"):  # set by .ci/run: there the check must run, not skip
            pytest.fail(f"axe-core is not installed at {AXE_JS}: run `npm ci --prefix tests/browser/axe`")
        pytest.skip(f"axe-core is not installed at {AXE_JS}: run `npm ci --prefix tests/browser/axe`")
    # Not page.add_script_tag: that adds an inline <script>, which the page's Content-Security-Policy
    # (default-src 'self') rightly refuses. An evaluation from the driver is outside the policy.
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")


def serious_violations(page, color_scheme: str = "light") -> list[dict]:  # noqa: ANN001
    """axe-core's serious and critical violations on ``page`` as it is now, drawn in ``color_scheme``: one dict
    per rule with its ``id``, ``impact``, ``help`` and the failing ``nodes`` (selector, why)."""
    page.emulate_media(color_scheme=color_scheme)
    page.evaluate(SETTLE)
    _load(page)
    return [v for v in page.evaluate(RUN, OPTIONS) if v["impact"] in BLOCKING]


def report(violations: list[dict]) -> str:
    """The violations as lines a failing assertion can show."""
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {' '.join(n['why'].split())}" for n in v["nodes"][:6]]
    return "\n".join(lines)


def assert_accessible(page, where: str, color_scheme: str = "light") -> None:  # noqa: ANN001
    """Fail, naming ``where`` (the state the page is in), on any serious or critical axe-core violation."""
    found = serious_violations(page, color_scheme)
    assert not found, f"axe-core on {where} ({color_scheme}):\n{report(found)}"


def accessible_name(locator) -> str:  # noqa: ANN001 (playwright Locator)
    """The accessible name of ``locator``'s element as axe-core computes it."""
    _load(locator.page)
    return locator.evaluate(
        """(el) => { window.axe.setup(); try { return window.axe.commons.text.accessibleText(el); }
                     finally { window.axe.teardown(); } }"""
    )
