"""Shared fixtures: writable copies of data/ and of the frozen fixture dataset, and a helper that runs the CLI as a
user would."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
#: A small dataset cut from data/ once and frozen: tests that need known rows and values use it, so that they do not
#: change when data/ is updated (tests/fixtures/README.md).
FROZEN = ROOT / "tests" / "fixtures" / "data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ that a test may corrupt."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def frozen_copy(tmp_path: Path) -> Path:
    """A private copy of the frozen fixture dataset that a test may corrupt."""
    target = tmp_path / "frozen"
    shutil.copytree(FROZEN, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Every test session (each xdist worker) gets its own empty execution cache, never the repository's."""
    from analysis.cache import CACHE_DIR_ENV
    os.environ[CACHE_DIR_ENV] = str(tmp_path_factory.mktemp("execution-cache"))


def run_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `python -m analysis ARGS` in a fresh process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=600)


@pytest.fixture(scope="session")
def ds():
    """The repository's dataset, loaded and validated once."""
    from analysis import data
    return data.load_dataset()


@pytest.fixture(scope="session")
def schema(ds):
    from analysis import params
    return params.schema(ds)
