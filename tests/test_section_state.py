"""Typed values between the layers (issue 29), checked on the source: no `SimpleNamespace` in the package, every
section part's first parameter annotated with the `SectionState` class of what it reads (one the section builds),
a section's headline numbers typed as `Headline`s, and strict typing configured for models and sections (mypy
itself runs in tests/test_typecheck.py)."""
from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import tomllib
import typing

from analysis.sections import SECTIONS
from analysis.sections.base import OwnerState, SectionState
from analysis.views.exhibits import Headline
from tests.conftest import ROOT


def namespace_uses(source: str) -> list[int]:
    """The lines of `source` that import or name `SimpleNamespace`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(a.name == "SimpleNamespace" for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "SimpleNamespace":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "SimpleNamespace":
            lines.append(node.lineno)
    return lines


def part_states(source: str) -> dict[str, str | None]:
    """Every part in `source` (a function taking a `Collector`) -> the annotation of its first parameter (None if it
    has none)."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.args.args:
            first, *rest = node.args.args
            if any(isinstance(a.annotation, ast.Name) and a.annotation.id == "Collector" for a in rest):
                found[node.name] = ast.unparse(first.annotation) if first.annotation else None
    return found


def test_no_simple_namespace_in_the_package():
    found = {str(p.relative_to(ROOT)): namespace_uses(p.read_text(encoding="utf-8"))
             for p in sorted((ROOT / "analysis").rglob("*.py"))}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_every_part_takes_a_section_state_subclass():
    """Every part of every section module names a SectionState subclass of its own module (or one it imports) as
    the type of its first parameter."""
    checked = 0
    for path in sorted((ROOT / "analysis" / "sections").glob("*.py")):
        module = importlib.import_module(f"analysis.sections.{path.stem}")
        for name, annotation in part_states(path.read_text(encoding="utf-8")).items():
            state = getattr(module, annotation or "", None)
            assert inspect.isclass(state) and issubclass(state, SectionState), f"{path.name}: {name}({annotation}, x)"
            checked += 1
    assert checked >= 50


def _state_of(part: object) -> object:
    """The annotated type of a part's first parameter (None if it has none)."""
    first = next(iter(inspect.signature(part).parameters))
    return typing.get_type_hints(part).get(first)


def test_each_section_builds_the_state_its_parts_read():
    """A section's parts each accept the state class it declares (a subclass of what they annotate); the parts shown
    for another owner accept an OwnerState; its headlines are `Headline`s."""
    for name, section in SECTIONS.items():
        assert issubclass(section.state, SectionState), name
        for state, parts in ((section.state, section.parts), (OwnerState, section.other_owner.values())):
            for part in parts:
                read = _state_of(part)
                assert inspect.isclass(read) and issubclass(state, read), f"{name}.{part.__name__} reads {read}"
        if section.headlines is not None:
            assert typing.get_type_hints(section.headlines)["return"] == list[Headline], name


def test_the_checks_see_a_namespace_and_an_untyped_part():
    source = textwrap.dedent("""
        import types
        from types import SimpleNamespace
        from analysis.views.exhibits import Collector

        def loose(v, x: Collector) -> None: ...
        def typed(v: CapexState, x: Collector) -> None: ...
        def helper(v: CapexState) -> str: ...
        state = types.SimpleNamespace(a=1)
    """)
    assert namespace_uses(source) == [3, 9]
    assert part_states(source) == {"loose": None, "typed": "CapexState"}


def test_models_and_sections_are_strictly_typed():
    """mypy's strict override (every function fully annotated) covers every module of models/ and sections/."""
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["overrides"]
    strict = {m for o in overrides if o.get("disallow_untyped_defs") for m in o["module"]}
    assert {"analysis.models.*", "analysis.sections.*"} <= strict
