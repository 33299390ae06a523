"""The layout the folders promise: no import circle between modules, and no module past ~400 lines.

Every import counts, the ones inside functions too (a lazy import is still an arrow); imports only
for type checkers (``if TYPE_CHECKING:``) do not."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vidseek", "indexer", "search_api", "cli", "web")
MAX_LINES = 450
"""About 400 lines: past this a module does more than one job."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported_modules(source: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``source`` imports (``from P import m`` names module ``P.m``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    found.add(full)
                elif node.module in known:
                    found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path round each circle found (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def test_the_circle_finder_sees_a_circle_through_a_lazy_import() -> None:
    known = {"a.x", "a.y", "a"}
    graph = {
        "a.x": imported_modules("from a.y import f\n", known),
        "a.y": imported_modules("def g():\n    from a import x\n", known),
    }
    assert circles(graph) == [["a.x", "a.y", "a.x"]]
    assert imported_modules("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a.x\n", known) == set()


def test_no_import_circle() -> None:
    found = modules()
    known = set(found)
    graph = {
        name: imported_modules(path.read_text(), known) - {name, name.rpartition(".")[0]}
        for name, path in found.items()
    }
    # a package's __init__ importing its own modules is how a package reads; not an arrow back
    graph = {name: {m for m in deps if not name.startswith(f"{m}.")} for name, deps in graph.items()}
    assert circles(graph) == []


def test_no_module_past_about_400_lines() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_migrations_use_only_vidseeks_pure_modules() -> None:
    """``vidseek.storage.db`` reads ``migrations/``; a script may re-run a pure rule of vidseek (a data
    migration re-analysing stored text), never the storage that runs it nor anything above vidseek."""
    barred = ("vidseek.storage", "indexer", "search_api", "cli", "web")
    found = []
    for path in sorted((ROOT / "migrations").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{a.name}" for a in node.names]
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith(barred)]
    assert found == []
