"""What the source scans of tests/test_horizons.py and tests/test_thresholds.py share: the literals of a module's
code (not its docstrings; comments never reach the syntax tree), an allow-list check over the package, and a copy of
data/ with one parameter row edited."""
from __future__ import annotations

import ast
import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from analysis import data
from tests.conftest import DATA, ROOT

PACKAGE = ROOT / "analysis"


def code_constants(source: str) -> Iterator[ast.Constant]:
    """Every constant of a module's code but its docstrings and True/False."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return (node for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in docstrings
            and not isinstance(node.value, bool))


def check_allow_list(scan: Callable[[str], list[tuple[int, object]]], allowed: dict, what: str) -> None:
    """Fail on each literal `scan` finds in the package that `allowed` ((file, value) -> reason) does not explain,
    naming `what` must be done instead, and on each allowed entry that is no longer there."""
    found = {(str(path.relative_to(ROOT)), value): line for path in sorted(PACKAGE.rglob("*.py"))
             for line, value in scan(path.read_text(encoding="utf-8"))}
    unexplained = sorted(f"{name}:{line}: {value!r}" for (name, value), line in found.items()
                         if (name, value) not in allowed)
    assert not unexplained, f"{what}:\n" + "\n".join(unexplained)
    assert not set(allowed) - set(found), f"allowed but gone: {sorted(set(allowed) - set(found))}"


def data_with_parameter(target: Path, name: str, edit: Callable[[dict[str, str]], None]) -> Path:
    """A copy of data/ at `target` whose parameters.csv row `name` is changed in place by `edit`, its manifest
    rewritten."""
    shutil.copytree(DATA, target)
    path = target / "parameters.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    edit(next(r for r in rows if r["name"] == name))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data.write_manifest(target)
    return target
