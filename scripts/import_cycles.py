"""Import cycles among the modules of each room (issue 14: "the import circles inside rooms gone").

A room is hub/core, hub/ui, or one folder of hub/components or hub/integrations (with its subfolders).
Imports under `if TYPE_CHECKING:` are type-hint back-references and are left out. An import inside a
function counts: moved into a function, a cycle is hidden, not gone (a lazy load of something heavy
is fine as long as it closes no cycle). `--load-time` counts only what runs when a module loads.

    python scripts/import_cycles.py              # exit status 1 when a room has a cycle (make lint)
    python scripts/import_cycles.py --load-time  # only the imports that run at load
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"


def rooms() -> Iterator[Path]:
    yield HUB / "core"
    yield HUB / "ui"
    for parent in (HUB / "components", HUB / "integrations"):
        yield from sorted(p for p in parent.iterdir() if (p / "__init__.py").is_file())


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The module's import statements that run at load (and, with `lazy`, those in functions)."""

    def walk(nodes: list[ast.stmt], in_function: bool) -> Iterator[ast.Import | ast.ImportFrom]:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                if lazy or not in_function:
                    yield node
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse, in_function)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(node.body, True)
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    for child in getattr(node, field, None) or ():
                        if isinstance(child, ast.excepthandler | ast.match_case):
                            yield from walk(child.body, in_function)
                        elif isinstance(child, ast.stmt):
                            yield from walk([child], in_function)

    yield from walk(tree.body, False)


def targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The room's modules that an import statement loads (by name; the parent packages aside)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base_parts = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base_parts = base_parts[: len(base_parts) - (node.level - 1)]
        base = ".".join([*base_parts, node.module] if node.module else base_parts)
    else:
        base = node.module or ""
    found = {base} if base in known else set()
    for alias in node.names:
        if f"{base}.{alias.name}" in known:
            found.add(f"{base}.{alias.name}")  # `from . import sub` loads the submodule, not only base
            if node.module is None and node.level:
                found.discard(base)  # `from . import sub`: the package is already loading
    return found


def graph(room: Path, lazy: bool) -> dict[str, set[str]]:
    files = {module_name(p): p for p in room.rglob("*.py")}
    known = set(files)
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        edges[name] = set()
        for node in imports(tree, lazy):
            edges[name] |= targets(name, is_package, node, known) - {name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_one_cycle(sorted(component), edges))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _one_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v] & members):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return component


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load-time", action="store_true", help="leave out imports inside functions")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    total = 0
    for room in rooms():
        for cycle in cycles(graph(room, lazy=not args.load_time)):
            total += 1
            print(f"{room.relative_to(ROOT)}: " + " -> ".join(cycle))
    counted = "at load time" if args.load_time else "imports inside functions counted"
    print(f"{total} import cycle(s) inside rooms ({counted})")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
