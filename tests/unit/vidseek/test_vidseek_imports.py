"""The core package stays at the bottom: nothing in ``vidseek/`` imports the packages built on it.

``indexer/``, ``search_api/`` and the command line (``cli/``) import ``vidseek``; the other way
round would make a circle. Every import is checked, the ones inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "vidseek"
ABOVE = {"indexer", "search_api", "cli", "web"}
"""Top-level packages that import ``vidseek``; the core imports none of them."""


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import in ``tree``, nested ones included; relative ones resolved in ``vidseek``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, f"vidseek.{node.module or ''}" if node.level else node.module or ""))
    return found


def upward_imports(source: str) -> list[tuple[int, str]]:
    return [
        (line, name)
        for line, name in imported_names(ast.parse(source))
        if name.split(".")[0] in ABOVE or name.split(".")[:2] == ["vidseek", "cli"]
    ]


def test_finds_an_import_inside_a_function() -> None:
    source = "import json\n\ndef f():\n    from search_api.search.engine import SearchEngine\n    import cli.main\n"
    assert upward_imports(source) == [(4, "search_api.search.engine"), (5, "cli.main")]


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_above_it(path: Path) -> None:
    assert upward_imports(path.read_text()) == [], f"vidseek/{path.relative_to(CORE)} imports a package above the core"
