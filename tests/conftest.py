"""Shared fixtures: writable copies of data/ and of the frozen fixture dataset, and a helper that runs the CLI as a
user would; and how the tests are marked and shared out between xdist workers (`pytest_collection_modifyitems`)."""
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
_SHARED_SCOPES = {"module", "class", "package"}


@pytest.hookimpl(tryfirst=True)          # before xdist reads the groups (its hook appends them to the node ids)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark and group the tests for `--dist loadgroup`, heavy groups first.

    - A strict-nbval cell (notebooks/*.ipynb) starts a kernel: marked `kernel`; one notebook's cells share their
      kernel, so they form one group.
    - A test that uses a fixture built once per module (or class) runs in its module's group, so the fixture is
      built once, as with `--dist loadfile`.
    - Any other case of a parametrized test goes to whichever worker is free: the cases of one heavy test (one
      section's parameters, say) then share both cores.
    - Every other test runs in its module's group (tests of one module keep running one after the other).

    Groups holding a kernel, browser or full-build test come first (with `--no-loadscope-reorder`, xdist hands
    out the groups in this order), so the long ones start early and the short ones fill the gaps at the end."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.kernel)
            item.add_marker(pytest.mark.xdist_group(item.path.name))
            continue
        definitions = getattr(item, "_fixtureinfo", None)
        scopes = {d.scope for defs in (definitions.name2fixturedefs.values() if definitions else ()) for d in defs}
        if scopes & _SHARED_SCOPES or not hasattr(item, "callspec"):
            item.add_marker(pytest.mark.xdist_group(item.path.name))
    heavy = {_group(item) for item in items if any(item.get_closest_marker(m) for m in HEAVY)}
    items.sort(key=lambda item: _group(item) not in heavy)      # stable: collection order within each part


def _group(item: pytest.Item) -> str:
    marker = item.get_closest_marker("xdist_group")
    return marker.args[0] if marker else item.nodeid


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

    def execute_all(jobs, dataset=None, workers=2, on_done=None, meanwhile=None):
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
