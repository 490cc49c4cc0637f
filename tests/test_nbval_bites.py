"""Strict nbval must fail when an input figure changes upstream of a committed notebook."""
import os
import shutil
import subprocess
import sys

import pytest

from analysis import data
from tests.conftest import ROOT

#: The notebook that shows the changed figure (Amazon's gross capex in the focus quarter). Every committed notebook
#: passes strict nbval in `make test` itself (notebooks/*.ipynb are collected); here one is enough to show that a
#: changed input fails it. No unchanged control run is needed: the failure must be the diff of the cell that shows the
#: figure, with the new value in it (it appears nowhere else).
NOTEBOOK = "01_capex.ipynb"


def _nbval(notebook, data_dir):
    """Strict nbval on `notebook` in a pytest process of its own, with the plugins `make test` loads (pyproject.toml's
    `addopts`: the notebook's folder is outside the repository)."""
    env = {**os.environ, data.DATA_DIR_ENV: str(data_dir)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--disable-plugin-autoload",
                           "-p", "tests.preload", "-p", "nbval.plugin", "--nbval", "--nbval-current-env", "-q",
                           str(notebook)], capture_output=True, text=True, env=env, cwd=notebook.parent, timeout=600)


@pytest.mark.kernel
def test_strict_nbval_fails_on_a_changed_input_figure(tmp_path, data_copy):
    notebook = tmp_path / "notebooks" / NOTEBOOK
    notebook.parent.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, notebook)
    csv = data_copy / "financials.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",2023-09-30,12479,", ",2023-09-30,12480,", 1), encoding="utf-8")
    data.write_manifest(data_copy)
    changed = _nbval(notebook, data_copy)
    assert changed.returncode == 1
    assert "mismatch 'text/html'" in changed.stdout and "$12,480M" in changed.stdout, changed.stdout[-2000:]
