"""No string-keyed result dict crosses a layer (issue 29), checked on the source.

The rule: a function of analysis/models or analysis/sections whose return annotation is a loose mapping — `dict` or
`Mapping` whose values are not typed (`dict`, `dict[str, Any]`, `dict[str, dict]`, `Mapping[str, object]`), or a
list, sequence or tuple of such (`list[dict]`) — may not be used by a module of a higher layer (a model's by views,
sections or pipeline; a section's by pipeline), unless ALLOWED names it with the reason it stays a mapping. "Used"
means imported by name or read as an attribute of the module (`capex.headline_results`). A mapping with typed values
keyed by a parameter or vendor name (`dict[str, float]`) is a table, not a result row, and is not caught. A frozen
value's field counts like a return: a class of those layers whose fields a higher layer reads may not declare a
loose mapping either.
"""
from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

#: The layers, lowest first (as tests/test_architecture.py), from models up.
LAYERS = ("analysis.models", "analysis.views", "analysis.sections", "analysis.pipeline")
CHECKED = ("analysis.models", "analysis.views", "analysis.sections")
MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping"}
SEQUENCES = {"list", "List", "Sequence", "tuple", "Iterable"}
UNTYPED = {"Any", "object", "dict", "Mapping"}

#: What legitimately stays a mapping across a layer: (module, name) -> why. A class's member is `Class.member`.
ALLOWED: dict[tuple[str, str], str] = {
    ("analysis.models.hindsight", "early_2024"):
        "the track page's 'what did we think in early 2024?' block: written as it stands into the page's results.json "
        "and read by its template",
    ("analysis.views.exhibits", "Headline.details"): "what else a result row carries (its year, scores), written as "
                                                     "it stands into results.json",
    ("analysis.views.exhibits", "Headline.of"): "the one parse of a result row (results.json, a notebook's output)",
    ("analysis.views.exhibits", "Headline.as_dict"): "the result row as results.json holds it (written to disk)",
    ("analysis.views.verdict", "Verdict.as_dict"): "the verdict as results.json holds it (written to disk)",
    ("analysis.views.verdict", "conditional_on"): "`changed`: the values set away from the defaults by label, "
                                                  "numbers and text alike, only printed",
    **{("analysis.views.chart_text", name): "a Vega-Lite spec: JSON by its nature (the page's chart text reads it)"
       for name in ("chart_data", "chart_name", "chart_subtitle", "chart_title")},
    ("analysis.views.images", "render_png"): "a Vega-Lite spec: JSON by its nature (rendered to a PNG)",
    **{("analysis.views.images", name): "a Vega-Lite spec: JSON by its nature (its canonical text and digest key the "
                                        "images kept for it)" for name in ("canonical", "spec_digest")},
    ("analysis.views.present", "chart_spec"): "a chart's Vega-Lite spec: JSON by its nature",
}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def loose(node: ast.expr | None) -> bool:
    """Whether an annotation is a mapping with untyped values, or a collection of such (see the module's docstring)."""
    if node is None:
        return False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):      # X | None
        return loose(node.left) or loose(node.right)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _name(node) in MAPPINGS
    if isinstance(node, ast.Subscript):
        outer = _name(node.value)
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer in MAPPINGS:
            value = args[-1]
            return _name(value) in UNTYPED or loose(value)
        if outer in SEQUENCES:
            return any(loose(a) for a in args)
    return False


def takes_or_gives_loose(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a function returns a loose mapping or takes one as a parameter."""
    arguments = node.args
    return loose(node.returns) or any(loose(a.annotation) for a in (*arguments.posonlyargs, *arguments.args,
                                                                     *arguments.kwonlyargs))


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p
            for layer in LAYERS for p in sorted((ROOT / Path(*layer.split("."))).glob("*.py"))
            if p.name != "__init__.py"}


def loose_definitions(source: str) -> Iterator[tuple[str, int]]:
    """The top-level functions (and public methods and fields of top-level classes) of `source` that take, return or
    hold a loose mapping: (name, line); a class's member as `Class.member`."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and takes_or_gives_loose(node):
            yield node.name, node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_") and takes_or_gives_loose(item):
                    yield f"{node.name}.{item.name}", item.lineno
                elif isinstance(item, ast.AnnAssign) and loose(item.annotation):
                    yield f"{node.name}.{ast.unparse(item.target)}", item.lineno


@functools.cache
def used_names(source: str, module: str) -> frozenset[str]:
    """The names of `module` that `source` imports by name or reads as an attribute of the module."""
    tree = _parse(source)
    aliases, names = set(), set()
    package, _, leaf = module.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            aliases |= {a.asname or a.name for a in node.names if a.name == leaf}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == module}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            names.add(node.attr)
    return frozenset(names)


@functools.cache
def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def crossings() -> dict[tuple[str, str], str]:
    """(module, name) -> 'line N, used by M' for every loose mapping a higher layer uses."""
    found = modules()
    texts = {name: path.read_text(encoding="utf-8") for name, path in found.items()}

    def layer(name: str) -> int:
        return next(i for i, prefix in enumerate(LAYERS) if name.startswith(prefix + "."))
    out = {}
    for name, text in texts.items():
        if not name.startswith(CHECKED):
            continue
        for definition, line in loose_definitions(text):
            users = sorted(other for other, source in texts.items()
                           if layer(other) > layer(name) and definition.split(".")[0] in used_names(source, name))
            if users:
                out[(name, definition)] = f"line {line}, used by {', '.join(users)}"
    return out


def test_the_rule_catches_a_loose_mapping_and_passes_a_typed_one():
    caught = [f"def f() -> {a}: ..." for a in ("dict", "list[dict]", "dict[str, Any]", "Mapping[str, Any]",
                                                "list[dict[str, Any]]", "dict[str, dict[str, Any]]", "dict | None")]
    passed = [f"def f() -> {a}: ..." for a in ("dict[str, float]", "list[Headline]", "Mapping[float, Stays]",
                                                "pd.DataFrame", "tuple[int, int]")]
    assert [list(loose_definitions(s)) for s in caught] == [[("f", 1)]] * len(caught)
    assert [list(loose_definitions(s)) for s in passed] == [[]] * len(passed)
    assert used_names("from analysis.models import capex\ncapex.f()", "analysis.models.capex") == {"f"}
    assert used_names("from analysis.models.capex import f", "analysis.models.capex") == {"f"}
    assert used_names("import analysis.sections.erosion_text as y\ny.f", "analysis.sections.erosion_text") == {"f"}


def test_no_loose_mapping_crosses_a_layer():
    found = crossings()
    assert {k: v for k, v in found.items() if k not in ALLOWED} == {}


def test_every_allowed_mapping_still_crosses_a_layer():
    """An entry of ALLOWED that no longer crosses a layer is removed, so that the list stays the true one."""
    assert sorted(set(ALLOWED) - set(crossings())) == []


def test_every_section_of_the_package_publishes_headlines_it_made():
    """`Collector.publish` takes `Headline`s only (mypy checks the package; this checks the source too): no
    `publish` call in analysis/sections/ has a dict display or `dict(...)` among its items."""
    found = []
    for path in sorted((ROOT / "analysis" / "sections").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "publish":
                rows = [n for arg in node.args[1:2] for n in ast.walk(arg)
                        if isinstance(n, ast.Dict) or isinstance(n, ast.Call) and _name(n.func) == "dict"]
                found += [f"{path.name}:{n.lineno}" for n in rows]
    assert found == []


#: The functions of analysis/sections that may return a loose mapping: name -> why.
SECTION_MAPPINGS = {
    "changed": "the values set away from the defaults by label (numbers and text), only printed",
    "changed_values": "the values set away from the defaults by label (numbers and text), only printed",
}


def test_no_function_of_a_section_returns_a_result_row_as_a_dict():
    """A section's headline rows are `Headline`s where they are made: no function in analysis/sections returns a loose
    mapping (so none can reach `Collector.publish`), outside SECTION_MAPPINGS."""
    found = {f"{path.name}:{node.name}" for path in sorted((ROOT / "analysis" / "sections").glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.FunctionDef) and loose(node.returns) and node.name not in SECTION_MAPPINGS}
    assert found == set()
