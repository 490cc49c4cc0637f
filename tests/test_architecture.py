"""The package's layout is its architecture: layers that import only downwards, and no import circle.

Run as a script (`python tests/test_architecture.py`) it prints the import graph's figures: modules, edges, levels
and upward imports."""
from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The layers, lowest first: a module may import its own layer and the ones below it, never one above.
LAYERS = ("analysis.errors", "analysis.data", "analysis.models", "analysis.views", "analysis.sections", "analysis.pipeline")
#: The package's entry points sit above every layer.
TOP = ("analysis", "analysis.__main__")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "analysis").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (at its top or inside a function)."""
    known = modules(root)
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("analysis")]
            edges[name] |= {t for t in targets if t in known and t not in (name, "analysis")}
    return edges


def layer(module: str) -> int:
    if module in TOP:
        return len(LAYERS)
    return max(i for i, prefix in enumerate(LAYERS) if module == prefix or module.startswith(prefix + "."))


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in edges.items() for b in targets if layer(b) > layer(a))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, as the modules on it (each found once, from its smallest name)."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(edges[node]):
            if target == start:
                found.append(path)
            elif target > start and target not in path:
                walk(start, target, [*path, target])
    for module in sorted(edges):
        walk(module, module, [module])
    return found


def levels(edges: dict[str, set[str]]) -> int:
    """The longest chain of imports, in modules (the graph has no circle)."""
    @functools.cache
    def depth(module: str) -> int:
        return 1 + max((depth(t) for t in edges[module]), default=0)
    return max(map(depth, edges))


def test_every_module_belongs_to_a_layer():
    for module in modules():
        assert module in TOP or any(module == p or module.startswith(p + ".") for p in LAYERS), module


def test_no_import_circle():
    assert cycles(imports()) == []


def test_layers_import_only_downwards():
    assert upward(imports()) == []


def test_the_checks_see_a_circle_and_an_upward_import():
    edges = {"analysis.data.a": {"analysis.models.b"}, "analysis.models.b": {"analysis.data.a"}}
    assert cycles(edges) == [["analysis.data.a", "analysis.models.b"]]
    assert upward(edges) == [("analysis.data.a", "analysis.models.b")]


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    graph = imports(root)
    circles = cycles(graph)
    print(f"modules {len(graph)}, import edges {sum(map(len, graph.values()))}, circles {len(circles)} {circles}")
    if not circles:
        print(f"levels {levels(graph)}")
    print(f"upward imports {len(upward(graph))}: {upward(graph)}")
