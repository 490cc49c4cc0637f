"""Shared fixtures: writable copies of data/ and of the frozen fixture dataset, and a helper that runs the CLI as a
user would; the nbval cells' marker and the order in which xdist hands out the test files."""
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


#: Markers of the tests `make check` leaves out (registered in pyproject.toml; --strict-markers refuses any other).
HEAVY = ("kernel", "browser", "build")


def pytest_configure(config: pytest.Config) -> None:
    """Strict nbval's kernels render no static chart image: nbval does not compare image/png outputs, so rendering
    them would only cost time (about 8 s of CPU per run of the notebooks). Tests of the images set it back."""
    from analysis.views.images import STATIC_IMAGES_ENV
    os.environ.setdefault(STATIC_IMAGES_ENV, "off")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Strict-nbval cells (notebooks/*.ipynb) start a kernel: marked `kernel` (here, a session-wide hook: a
    per-item hook of this file would not see items outside tests/). Files holding a kernel, browser or full-build
    test first: with `--dist loadfile --no-loadscope-reorder` xdist hands out the files in this order, so the long
    ones start early and the short ones fill the gaps at the end. (`--dist loadgroup` would let the cases of a
    parametrized test share the workers, but pytest-xdist 3.8 puts a test in its group by rewriting
    `item._nodeid`, which pytest 9.2 no longer reads: every test then runs alone, and a notebook's cells would be
    split between kernels.)"""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.kernel)
    heavy = {item.path for item in items if any(item.get_closest_marker(m) for m in HEAVY)}
    items.sort(key=lambda item: item.path not in heavy)      # stable: collection order within each part


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
    from analysis.pipeline.cache import CACHE_DIR_ENV
    os.environ[CACHE_DIR_ENV] = str(tmp_path_factory.mktemp("execution-cache"))


def run_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `python -m analysis ARGS` in a fresh process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=600)


def one_line(err: str, *words: str) -> str:
    """The one line a refused command prints (no traceback), holding each of `words`."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="session")
def ds():
    """The repository's dataset, loaded and validated once."""
    from analysis import data
    return data.load_dataset()


@pytest.fixture(scope="session")
def schema(ds):
    from analysis.data import params
    return params.schema(ds)


def _stand_in(executed: list[str]):
    """An `execute_all` that records each notebook it is asked to run and writes the source with the cache key."""
    import nbformat

    from analysis.pipeline import cache

    def execute_all(jobs, dataset=None, workers=2, on_done=None, meanwhile=None, charts=None):
        for job in jobs:
            executed.append(job.source.name)
            nbformat.write(cache.record_key(nbformat.read(str(job.source), as_version=4), job.key), str(job.target))
            if on_done:
                on_done(job.source)
        if meanwhile:
            meanwhile()
        return [job.target for job in jobs]
    return execute_all


@pytest.fixture
def builder(tmp_path, monkeypatch):
    """build(overrides, dataset) -> names of the notebooks that build executed (`build.last`: its folder); each build
    goes to a new folder, with a stand-in for the kernels and a cache folder of its own."""
    from analysis import data
    from analysis.pipeline import cache, page, report
    from analysis.data import params
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(page, "vega_bundle", lambda: "/* the Vega bundle */")
    executed: list[str] = []
    monkeypatch.setattr(report, "execute_all", _stand_in(executed))
    count = iter(range(1000))

    def build(overrides: dict | None = None, dataset: data.Dataset | None = None, **kwargs) -> list[str]:
        ds = dataset or data.load_dataset()
        executed.clear()
        out = report.build(tmp_path / f"out-{next(count)}", params.resolve(overrides or {}, ds), params.schema(ds),
                           ds, **kwargs)
        build.last = out
        return list(executed)
    return build


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The default report, built once per test process (xdist worker) for every module that reads it; tests read it
    and never change it (a test that needs to change a report copies it)."""
    from analysis import data
    from analysis.pipeline import report
    from analysis.data import params
    out = tmp_path_factory.mktemp("reports") / "default"
    ds = data.load_dataset()
    report.build(out, params.resolve({}, ds), params.schema(ds), ds)
    return out
