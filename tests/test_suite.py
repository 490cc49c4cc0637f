"""The suite's own machinery (tests/conftest.py): the units xdist hands out, and the shared default report that no
test may change."""
from __future__ import annotations

import ast

import pytest

from tests import conftest
from tests.conftest import ROOT, check_unchanged, digest


def test_every_spread_test_exists_and_is_parametrized():
    for name in conftest.SPREAD:
        path, function = name.split("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        found = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == function]
        assert found, name
        assert any("parametrize" in ast.unparse(d) for d in found[0].decorator_list), name


def test_a_spread_tests_cases_are_units_of_their_own_and_every_other_test_goes_with_its_file():
    case = f"{conftest.SPREAD[0]}[capex-ai_share]"
    assert conftest.unit_of(case) == case
    assert conftest.unit_of("tests/test_sections.py::test_by_notebook_finds_the_section") == "tests/test_sections.py"
    assert conftest.unit_of("notebooks/01_capex.ipynb::Cell 3") == "notebooks/01_capex.ipynb"


def test_a_change_to_the_shared_report_fails_the_test_that_made_it(tmp_path):
    """What `built` checks after each test: any file added, removed or changed is named."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "index.html").write_text("<p>page</p>")
    (tmp_path / "notebooks" / "a.ipynb").write_text("{}")
    recorded = digest(tmp_path)
    check_unchanged(tmp_path, recorded)
    (tmp_path / "index.html").write_text("<p>page!</p>")
    with pytest.raises(AssertionError, match=r"\['index.html'\]"):
        check_unchanged(tmp_path, recorded)
    (tmp_path / "index.html").write_text("<p>page</p>")
    (tmp_path / "notebooks" / "b.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "a.ipynb").unlink()
    with pytest.raises(AssertionError, match=r"\['notebooks/a.ipynb', 'notebooks/b.ipynb'\]"):
        check_unchanged(tmp_path, recorded)


@pytest.mark.build
def test_the_shared_report_is_read_only_for_the_tests_that_read_it(default_build, built):
    assert built == default_build["out"] and digest(built) == default_build["digest"]
    assert (built / "index.html").is_file() and default_build["progress"]
