"""The shape the code must keep: no import cycle among reviewer's modules (function-level
imports included, type-checking ones left out), and a CLI that only parses, calls the
API and renders."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reviewer"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path, known: set[str]) -> set[str]:
    """The reviewer modules ``path`` imports, anywhere in it but under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    me = _module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
                for _ in range(node.level - 1):
                    package = package.rsplit(".", 1)[0]
                base = f"{package}.{base}"
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            # the longest known module that the name starts with
            while name and name not in known:
                name = name.rsplit(".", 1)[0] if "." in name else ""
            if name and name != me and name != "reviewer":
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    known = {_module_name(f) for f in files}
    return {_module_name(f): _imports(f, known) for f in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_walk_sees_imports_inside_functions() -> None:
    graph = _graph()
    # reviewer.cli.corpus imports the API inside its commands, not at the top.
    assert "reviewer.cli.output" in graph["reviewer.cli.corpus"]
    assert "reviewer.api" in graph["reviewer.cli.output"]
    assert "reviewer.index.store" in graph["reviewer.api"]


def test_no_import_cycle_among_reviewer_modules() -> None:
    assert _cycles(_graph()) == []


def test_cli_modules_call_the_api_not_the_pipeline() -> None:
    """cli/ may use the API, the result models, the renderers and the errors; never the
    store, the model client, the readers or the tasks directly, nor another command
    module's private helpers."""
    allowed = (
        "reviewer.api",
        "reviewer.results",
        "reviewer.render",
        "reviewer.errors",
        "reviewer.mcp_server",  # another front end, which `reviewer mcp` starts
    )
    graph = _graph()
    for module, imports in graph.items():
        if not module.startswith("reviewer.cli."):
            continue
        for name in imports:
            if name.startswith("reviewer.cli"):
                assert name in ("reviewer.cli", "reviewer.cli.output"), (module, name)
                continue
            assert name.startswith(allowed) or name == "reviewer.fileio", (module, name)
    for path in (PACKAGE / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reviewer.cli"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (path.name, node.module, private)


def test_cli_choices_are_the_apis() -> None:
    """The CLI spells its choices out (so --help imports nothing heavy); they must be the
    API's."""
    from reviewer import api
    from reviewer.cli import corpus, digest, write
    from reviewer.tasks.digest import DEFAULT_MIN_SCORE

    assert corpus.MODE_NAMES == api.SEARCH_MODES
    assert corpus.SORT_NAMES == api.SORT_ORDERS
    assert write.DRAFT_FORMATS == api.DRAFT_FORMATS
    assert write.TABLE_FORMATS == api.TABLE_FORMATS
    assert digest.DEFAULT_MIN_SCORE == DEFAULT_MIN_SCORE
    assert write.DEFAULT_COLUMNS == api.DEFAULT_COLUMNS


def test_no_file_holds_a_merge_conflict_marker() -> None:
    """A merge resolved in haste once left <<<<<<< / ======= / >>>>>>> in the CHANGELOG."""
    root = Path(__file__).resolve().parent.parent
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout: no list of tracked files")
    marker = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)
    found = []
    for name in filter(None, tracked.stdout.split("\0")):
        path = root / name
        if not path.is_file() or path.suffix in {".gguf", ".npz", ".gz", ".zip", ".whl"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found += [f"{name}: {m.group(0)!r}" for m in marker.finditer(text)]
    assert not found, found
