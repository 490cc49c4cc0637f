"""Strict nbval must fail when an input figure changes upstream of a committed notebook."""
import os
import shutil
import subprocess
import sys

import pytest

from analysis import data
from tests.conftest import ROOT


def _nbval(notebooks, data_dir):
    env = {**os.environ, data.DATA_DIR_ENV: str(data_dir)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
                           "-q", str(notebooks)], capture_output=True, text=True, env=env, cwd=notebooks.parent, timeout=600)


@pytest.mark.kernel
def test_strict_nbval_fails_on_a_changed_input_figure(tmp_path, data_copy):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    unchanged = _nbval(notebooks, data_copy)
    assert unchanged.returncode == 0, unchanged.stdout[-2000:]

    csv = data_copy / "financials.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",2023-09-30,12479,", ",2023-09-30,12480,", 1), encoding="utf-8")
    data.write_manifest(data_copy)
    changed = _nbval(notebooks, data_copy)
    assert changed.returncode != 0
    assert "12,479" in changed.stdout or "12479" in changed.stdout
