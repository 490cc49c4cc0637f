"""Shared fixtures: writable copies of data/ and of the frozen fixture dataset, a helper that runs the CLI as a user
would, and the default report built once per session and kept read-only; the nbval cells' marker, and how xdist
hands the tests to its workers."""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
#: A small dataset cut from data/ once and frozen: tests that need known rows and values use it, so that they do not
#: change when data/ is updated (tests/fixtures/README.md).
FROZEN = ROOT / "tests" / "fixtures" / "data"


#: Markers of the heavy tests, whose units run first; `make check` leaves out all but "typecheck", and the tests
#: marked "command" (registered in pyproject.toml; --strict-markers refuses any other).
HEAVY = ("kernel", "browser", "build", "typecheck")

#: Parametrized tests whose cases are each a unit of work of their own under `--dist loadfile` (every other test
#: travels with its file): their cases are heavy and share no module fixture, so both workers take them.
SPREAD = (
    "tests/test_sections.py::test_every_section_parameter_reaches_the_section_through_papermill_and_changes_it",
    "tests/test_corpus_sweep.py::test_every_accepted_edge_value_builds",
    "tests/test_corpus_sweep.py::test_every_corner_of_a_what_if_box_builds_a_page",
    "tests/test_corpus_sweep.py::test_date_and_quarter_extremes_build",
    "tests/test_corpus_sweep.py::test_every_named_scenario_builds",
    "tests/test_owners.py::test_run_builds_a_complete_report_for_each_owner",
    "tests/test_rendered_text.py::test_every_page_says_each_number_one_way",
    "tests/test_corpus.py::test_a_signal_while_the_data_are_validated_is_one_line_and_status_130",
    "tests/test_corpus.py::test_a_signal_during_a_build_keeps_the_previous_report_and_leaves_nothing",
)


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its own node id for a case of a SPREAD test, else its file."""
    return nodeid if nodeid.split("[", 1)[0] in SPREAD else nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with each case of a SPREAD test a unit of its own. (`--dist loadgroup` cannot do this:
    pytest-xdist 3.8 puts a test in its group by rewriting `item._nodeid`, which pytest 9.2 no longer reads, so every
    test would run alone and a notebook's cells would be split between kernels.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)
    return Scheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    """Strict nbval's kernels render no static chart image: nbval does not compare image/png outputs, so rendering
    them would only cost time (about 8 s of CPU per run of the notebooks). Tests of the images set it back."""
    from analysis.views.images import STATIC_IMAGES_ENV
    os.environ.setdefault(STATIC_IMAGES_ENV, "off")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Strict-nbval cells (notebooks/*.ipynb) start a kernel: marked `kernel` (here, a session-wide hook: a
    per-item hook of this file would not see items outside tests/). Then the order in which xdist hands out the
    units (`--no-loadscope-reorder` keeps it): units holding a kernel, browser or full-build test first, so the long
    ones start early; then the other files; last the cases of the other SPREAD tests, small units that fill the gaps
    at the end. The sort is stable: a notebook's cells keep their order."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.kernel)
    heavy = {unit_of(item.nodeid) for item in items if any(item.get_closest_marker(m) for m in HEAVY)}

    def rank(item: pytest.Item) -> int:
        unit = unit_of(item.nodeid)
        return 0 if unit in heavy else 2 if unit == item.nodeid else 1
    items.sort(key=rank)


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
    """Every test session (each xdist worker) gets its own execution cache, never the repository's, holding only the
    validated tables of data/ (as any build keeps them): the commands its tests run in fresh processes then read
    them, verified against the files, instead of each validating data/ again. Tests of the cache itself use folders
    of their own."""
    from analysis import data
    from analysis.pipeline import cache
    os.environ[cache.CACHE_DIR_ENV] = str(tmp_path_factory.mktemp("execution-cache"))
    dataset = data.load_dataset()
    cache.store_tables(dataset.version, data.snapshot(dataset))


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

    def execute_all(jobs, dataset=None, workers=2, on_done=None, meanwhile=None, static_images=True, pool=None):
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


def digest(folder: Path) -> dict[str, str]:
    """Each file under `folder` with the SHA-256 of its bytes (a folder's state, to tell whether anything changed)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on `path` (created if missing) while the block runs."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def warm(ds):
    """`warm()`: two worker processes with their kernels for builds of the repository's dataset, kept for the
    session as `watch` keeps them (started once; a pool a failed build closed is replaced), so an in-process build
    starts no kernel and its kernels import the sections once. Strict nbval, and the tests of the build's own
    processes and signals, use fresh kernels; that a kept kernel gives the same notebooks as a fresh one is
    test_report's byte-identity test."""
    from analysis.pipeline.runner import Workers
    pools: list[Workers] = []

    def warm() -> Workers:
        if not pools or pools[-1].closed:
            pools.append(Workers(ds, static_images=False, key="tests"))
        return pools[-1]
    yield warm
    for pool in pools:
        pool.close()


@pytest.fixture(scope="session")
def default_build(tmp_path_factory, warm) -> dict:
    """The default report, built once per test session: the first xdist worker to need it builds it under a lock in
    the folder all workers share; the others wait and read it. Returns its folder (`out`), the cache folder its build
    filled (`cache`: copy it before building into it), the build's progress lines (`progress`) and the digest of
    every file (`digest`). Tests read it through `built`, which checks after each test that nothing changed."""
    from analysis import data
    from analysis.data import params
    from analysis.pipeline import cache, report
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "default-report"
    shared.mkdir(exist_ok=True)
    out, cache_dir, done = shared / "default", shared / "cache", shared / "progress.txt"
    with _locked(shared / "lock"):
        if not done.exists():
            ds = data.load_dataset()
            lines: list[str] = []
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(cache.CACHE_DIR_ENV, str(cache_dir))
                report.build(out, params.resolve({}, ds), params.schema(ds), ds, progress=lines.append,
                             workers=warm())
            done.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return {"out": out, "cache": cache_dir, "progress": done.read_text(encoding="utf-8").splitlines(),
            "digest": digest(out)}


@pytest.fixture
def built(default_build) -> Path:
    """The default report's folder (see `default_build`), for reading only: a test that changes anything in it
    fails (a test that needs to change a report copies it)."""
    yield default_build["out"]
    check_unchanged(default_build["out"], default_build["digest"])


def check_unchanged(folder: Path, recorded: dict[str, str]) -> None:
    """Fail naming every file added, removed or changed under `folder` since its digest `recorded`."""
    changed = sorted({name for name, _ in set(digest(folder).items()) ^ set(recorded.items())})
    assert not changed, f"the test changed the shared default report: {changed}"
