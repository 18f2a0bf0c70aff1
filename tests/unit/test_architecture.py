"""ARCHITECTURE.md tells the truth: its layers are derived from the code's imports and checked here.

Every module of the package must be placed in a layer of the ``layers`` block in ARCHITECTURE.md; an import
may point to the same or a lower layer, never up; no modules import each other in a cycle when they are
first imported; and package ``__init__`` modules import nothing but base modules at import time. That last
rule matters because importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: an ``__init__``
that imported its package's modules would put every one of them in a hidden cycle with it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "harness"


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    deferred: bool  # inside a function: runs when called, not when the module is first imported


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    """The harness modules ``name`` imports (not under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, deferred: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from visit(ast.Module(body=child.orelse, type_ignores=[]), deferred)  # the else: runs
                continue
            inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the package, one level up per dot beyond the first
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - child.level + 1], base]).strip(".")
                targets = [base, *(f"{base}.{alias.name}" for alias in child.names)]
            for target in targets:
                if target in known and target != name:
                    yield Import(name, target, getattr(child, "lineno", 0), deferred)
            yield from visit(child, inner)

    yield from visit(tree, False)


def layers() -> list[tuple[str, list[str]]]:
    """The ``layers`` block of ARCHITECTURE.md: (layer name, module patterns), lowest layer first."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block is not None, "ARCHITECTURE.md has no ```layers block"
    found = []
    for line in block.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            layer, _, patterns = line.partition(":")
            found.append((layer.strip(), patterns.split()))
    return found


def layer_of(module: str, spec: list[tuple[str, list[str]]]) -> int | None:
    """The index of the layer whose most specific pattern matches ``module`` (``x*``: x and below it)."""
    best: tuple[int, int] | None = None
    for index, (_, patterns) in enumerate(spec):
        for pattern in patterns:
            stem = pattern.rstrip("*")
            hit = module == stem or (pattern.endswith("*") and module.startswith(stem + "."))
            if hit and (best is None or len(stem) > best[1]):
                best = (index, len(stem))
    return None if best is None else best[0]


def graph() -> tuple[dict[str, Path], list[Import]]:
    found = modules()
    known = set(found)
    return found, [item for name, path in found.items() for item in imports_of(name, path, known)]


def test_every_module_has_a_layer() -> None:
    spec = layers()
    unplaced = [name for name in modules() if layer_of(name, spec) is None]
    assert unplaced == [], f"place these in ARCHITECTURE.md's layers: {unplaced}"


def test_imports_point_down_or_sideways_only() -> None:
    spec = layers()
    found, edges = graph()
    upward = []
    for edge in edges:
        source, target = layer_of(edge.source, spec), layer_of(edge.target, spec)
        if source is not None and target is not None and target > source:
            where = f"{found[edge.source].relative_to(ROOT)}:{edge.line}"
            upward.append(f"{where}: {edge.source} ({spec[source][0]}) imports {edge.target} ({spec[target][0]})")
    assert upward == []


def test_no_import_cycles() -> None:
    found, edges = graph()
    follows: dict[str, set[str]] = {name: set() for name in found}
    for edge in edges:
        if not edge.deferred:
            follows[edge.source].add(edge.target)
    cycles = [sorted(component) for component in strongly_connected(follows) if len(component) > 1]
    assert cycles == []


def test_package_inits_import_only_base_modules() -> None:
    spec = layers()
    found, edges = graph()
    inits = {name for name, path in found.items() if path.name == "__init__.py"}
    eager = [
        f"{edge.source} imports {edge.target}"
        for edge in edges
        if edge.source in inits and not edge.deferred and layer_of(edge.target, spec) != 0
    ]
    assert eager == [], "package __init__ modules must stay lazy (see harness/_lazy.py)"


def strongly_connected(follows: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the package is deep enough for recursion limits not to matter, but)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in follows:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(follows[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(follows[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def test_the_checker_finds_a_cycle_and_an_upward_import() -> None:
    # The checks above must be able to fail: a made-up graph with both faults.
    follows = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert sorted(sorted(c) for c in strongly_connected(follows) if len(c) > 1) == [["a", "b"]]
    spec = [("low", ["harness.errors"]), ("high", ["harness.cli*"])]
    assert layer_of("harness.cli", spec) == 1
    assert layer_of("harness.errors", spec) == 0
    assert layer_of("harness.models", spec) is None
