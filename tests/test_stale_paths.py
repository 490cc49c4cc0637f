"""No file of the repository names a module, a name in a module, or a file under analysis/ that does not exist.

Docstrings, comments, notebook cells, README and docs pages, data rows and the command line's --help texts all
name code (`analysis.models.outlook.run`, `analysis/pipeline/page.py`, `pipeline/front.py`); a rename that misses
one of them leaves a reader looking for a module that is gone. Names are resolved from the source tree (files and
each module's top-level names), without importing anything.
"""
import argparse
import ast
import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from analysis.data.releases import manifest_entries
from tests.conftest import ROOT

PACKAGE = ROOT / "analysis"
FIXTURES = ROOT / "tests" / "fixtures"
FOLDERS = tuple(sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"))
# A dotted name that starts with the package; a path under analysis/, or one that starts with a package folder.
DOTTED = re.compile(r"(?<![\w.])analysis(?:\.[A-Za-z_]\w*)+", re.ASCII)
PATH = re.compile(rf"(?<![\w/.-])(?:analysis/|(?:{'|'.join(FOLDERS + ('build',))})/)[\w./-]*\w", re.ASCII)
# Fictional module names that tests make up on purpose: the import-graph checker's input, and the section that the
# recipe walk adds to a copy of the repository.
FICTIONAL = {"tests/test_architecture.py": {"analysis.data.a", "analysis.models.b"},
             "tests/test_recipes.py": {"analysis.sections.vendor_list", "analysis/sections/vendor_list.py"}}


def _records() -> set[str]:
    """Files that are records of an earlier day, quoting the code of that day: the locked forecast releases (listed
    in their manifest: never edited) and the frozen copy of the data the tests pin (tests/fixtures/)."""
    locked = {f"forecasts/{name}" for name in manifest_entries(ROOT / "forecasts")}
    return locked | {f"tests/fixtures/{p.relative_to(FIXTURES).as_posix()}" for p in FIXTURES.rglob("*") if p.is_file()}


def _text(path: Path) -> str:
    """A file's text; for a notebook, its cells' sources (its outputs quote data and code that are checked at their
    own place, and a locked release's text)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
    return text


def _tracked_text_files() -> dict[str, str]:
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    skipped = _records() | {"tests/test_stale_paths.py"}
    texts = {}
    for name in names.splitlines():
        path = ROOT / name
        if name in skipped or not path.is_file():
            continue
        try:
            texts[name] = _text(path)
        except UnicodeDecodeError:
            continue
    return texts


@cache
def _top_level_names(module_file: Path) -> frozenset[str]:
    """The names a module defines or imports at its top level (what `module.NAME` can reach)."""
    names: set[str] = set()
    for node in ast.parse(module_file.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return frozenset(names)


def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def dotted_exists(name: str) -> bool:
    """`analysis.x.y[.attr]`: the longest prefix that is a module, then the next part one of its top-level names."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        module = _module_file(".".join(parts[:end]))
        if module is not None:
            return end == len(parts) or parts[end] in _top_level_names(module)
    return False


def path_exists(path: str) -> bool:
    """`analysis/x/y.py` must exist in the package; a bare `x/y.py` in the package or, for a folder that the
    repository root has too (data/), at the root; a bare path into such a folder that is not Python is the root's."""
    if path.startswith("analysis/"):
        return (ROOT / path).exists()
    if (ROOT / path.split("/")[0]).is_dir():
        return not path.endswith(".py") or (PACKAGE / path).exists() or (ROOT / path).exists()
    return (PACKAGE / path).exists()


def stale_names(texts: dict[str, str]) -> list[tuple[str, str]]:
    found = set()
    for file, text in texts.items():
        for match in DOTTED.finditer(text):
            if not dotted_exists(match.group()) and match.group() not in FICTIONAL.get(file, ()):
                found.add((file, match.group()))
        for match in PATH.finditer(text):
            if not path_exists(match.group()) and match.group() not in FICTIONAL.get(file, ()):
                found.add((file, match.group()))
    return sorted(found)


def _help_texts() -> dict[str, str]:
    """`python -m analysis COMMAND --help` for every command (the texts a user reads first)."""
    from analysis.pipeline.cli import _parser

    top = _parser()
    texts = {"analysis --help": top.format_help()}
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts.update({f"analysis {name} --help": sub.format_help() for name, sub in action.choices.items()})
    return texts


def test_no_file_names_a_module_or_path_that_does_not_exist():
    texts = _tracked_text_files()
    assert "notebooks/03_asic_erosion.ipynb" in texts and "data/parameters.csv" in texts and "README.md" in texts
    assert stale_names(texts) == []


def test_no_help_text_names_a_module_or_path_that_does_not_exist():
    texts = _help_texts()
    assert "analysis sweep --help" in texts
    assert stale_names(texts) == []


@pytest.mark.parametrize("text, stale", [
    ("see analysis.models.outlook.run for the draws", []),
    ("see analysis.build.report for the page", ["analysis.build.report"]),
    ("see analysis.models.outlook.no_such_function.", ["analysis.models.outlook.no_such_function"]),
    ("the page lives in analysis/pipeline/page.py.", []),
    ("its first screen is pipeline/front.py; the style sheet analysis/templates/page.css", []),
    ("the builder in build/report.py", ["build/report.py"]),
    ("(analysis/models/gone.py)", ["analysis/models/gone.py"]),
    ("data/vendors.csv is the repository's data folder, not analysis/data", []),
])
def test_the_checker_finds_what_is_gone_and_only_that(text, stale):
    assert [name for _, name in stale_names({"example.md": text})] == stale
