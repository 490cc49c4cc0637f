"""The hostile and careless corpus of issue 26, for the commands added last: `sweep` (set counts that cannot wrap
around, lazy sets, processes within the cores, a lost cluster or worker), `refresh epoch --accept` (one atomic step
whatever write fails, other owners' rows kept, inert changelog, the export's file and line in messages), the YAML
readers (depth, YAML 1.1 forms, dates), date parameters within the data's span, the sweep page's
Content-Security-Policy, an --out in the cache, and lock files of killed builds.

Each case fails without its fix (checked by undoing each fix; see the closing note of issue 26).
"""
from __future__ import annotations

import builtins
import concurrent.futures
import csv
import errno
import fcntl
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import mistune
import pytest

from analysis import data
from analysis.pipeline import cli, epoch_export, outdir, refresh, sweep_executor, sweep_spec
from analysis.data import params, scenarios
from analysis.errors import ParameterError, UserError
from tests.conftest import ROOT, one_line

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

NEWER = ROOT / "tests" / "fixtures" / "epoch_export_newer"
SCHEMA_ROWS = list(csv.DictReader((ROOT / "data" / "parameters.csv").open(encoding="utf-8")))
#: Float parameters that no rule across parameters ties to another (any combination of their values is valid).
FREE_FLOATS = [r for r in SCHEMA_ROWS if r["type"] == "float" and r["name"] not in
               {n for names, _, _ in params.CONSTRAINTS for n in names}]


def _grid(path: Path, parameters: int, values: int) -> Path:
    """A sweep file of `parameters` float parameters with `values` values each (values^parameters sets)."""
    lines = ["description: a grid", "sections: [erosion]", "grid:"]
    for row in FREE_FLOATS[:parameters]:
        lo, hi = float(row["min"]), float(row["max"])
        lines.append(f"  {row['name']}: {[round(lo + (hi - lo) * (i + 0.5) / values, 6) for i in range(values)]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SMALL = "description: one set\nsections: [erosion]\nfixed: {mc_draws: 1000}\ngrid:\n  trainium_ceiling: [0.3]\n"


# --- sweep: counts, laziness, processes ---------------------------------------------------------------------------

@pytest.mark.parametrize("parameters, values", [(16, 16), (7, 10), (21, 8)], ids=["2^64", "10^7", "21x8"])
def test_a_grid_beyond_the_cap_is_refused_in_under_a_second(tmp_path, ds, capsys, parameters, values):
    assert len(FREE_FLOATS) >= parameters
    path = _grid(tmp_path / "grid.yaml", parameters, values)
    start = time.perf_counter()
    with pytest.raises(sweep_spec.SweepError, match="more than 1,000,000 sets"):
        sweep_spec.load(path, ds)
    assert time.perf_counter() - start < 10          # the refusal never enumerates (an enumeration takes hours); generous under load
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out)]) == 2
    one_line(capsys.readouterr().err, "grid: more than 1,000,000 sets")
    assert not out.exists()


def test_a_sweep_of_the_most_sets_loads_at_once_and_makes_its_sets_on_demand(tmp_path, ds):
    path = _grid(tmp_path / "grid.yaml", 6, 10)           # 10^6 sets: the cap
    tracemalloc.start()
    start = time.perf_counter()
    loaded = sweep_spec.load(path, ds)
    seconds, (_, peak) = time.perf_counter() - start, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(loaded.sets) == 10 ** 6 and seconds < 10 and peak < 20e6, (seconds, peak)
    names = [r["name"] for r in FREE_FLOATS[:6]]
    last = loaded.sets[-1]
    assert [last[n] for n in names] == [loaded.sets.columns[n][-1] for n in names]
    assert [loaded.sets[1][n] for n in names[:-1]] == [loaded.sets[0][n] for n in names[:-1]]   # last varies fastest


@pytest.mark.parametrize("args, culprit", [
    (["--workers", "99999999999999999999999"], "--workers 99999999999999999999999: from 1 to the"),
    (["--workers", "-1"], "--workers -1: from 1 to the"),
    (["--workers", str(sweep_executor.cores() + 1)],
     f"--workers {sweep_executor.cores() + 1}: from 1 to the {sweep_executor.cores()} cores"),
    (["--workers", "1", "--executor", "dask://127.0.0.1:9"], "--workers 1: only for the local pool"),
])
def test_workers_beyond_the_cores_are_refused_withone_line(tmp_path, capsys, args, culprit):
    path = tmp_path / "grid.yaml"
    path.write_text(SMALL, encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    one_line(capsys.readouterr().err, culprit)
    assert not (tmp_path / "out").exists()


class _InlinePool(concurrent.futures.ThreadPoolExecutor):
    """A stand-in process pool (threads) that records the size it was asked for."""

    sizes: list[int] = []

    def __init__(self, workers, mp_context=None):
        self.sizes.append(workers)
        super().__init__(1)


@pytest.mark.parametrize("workers", [None, 2, 1000])
def test_a_sweep_starts_no_more_processes_than_cores(tmp_path, ds, monkeypatch, workers):
    path = tmp_path / "grid.yaml"
    path.write_text("description: 640 sets\nsections: [erosion]\ngrid:\n"
                    f"  trainium_ceiling: {[round(0.01 * i, 2) for i in range(1, 81)]}\n"
                    "  capex_growth_scale: [0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.7, 1.8]\n", encoding="utf-8")
    loaded = sweep_spec.load(path, ds)
    made = []

    def batch(snapshot, version, directory, rows, sections):
        made.append(len(rows))
        return [{"set": i, "status": "ok", "error": "", "values": {}} for i, _ in rows]

    _InlinePool.sizes = []
    monkeypatch.setattr(sweep_executor, "evaluate_batch", batch)
    monkeypatch.setattr(sweep_executor.concurrent.futures, "ProcessPoolExecutor", _InlinePool)
    monkeypatch.setattr(sweep_executor, "cores", lambda: 2)
    rows = sweep_executor.run(loaded, ds, workers=workers)
    assert [r["set"] for r in rows] == list(range(640)) and sorted(made) == [16] * 40
    assert _InlinePool.sizes == [2]                          # 40 batches, 2 cores: two processes, not 40


def _die(*args):
    os._exit(3)


def test_a_worker_process_that_dies_is_one_line_exit_1_and_nothing_written(tmp_path, monkeypatch, capsys):
    if sweep_executor.cores() < 2:
        pytest.skip("a process pool needs two cores")
    path = tmp_path / "grid.yaml"
    path.write_text("description: two batches\nsections: [erosion]\ngrid:\n"
                    f"  trainium_ceiling: {[round(0.01 * i, 2) for i in range(1, 33)]}\n", encoding="utf-8")
    monkeypatch.setattr(sweep_executor, "evaluate_batch", _die)
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "2"]) == 1
    one_line(capsys.readouterr().err, "a worker process died")
    assert not (tmp_path / "out").exists()


def test_a_dask_scheduler_lost_mid_sweep_is_one_line_exit_1_and_nothing_written(tmp_path):
    """A real scheduler and worker (separate processes on 127.0.0.1), the scheduler killed once the sweep's
    client has connected."""
    pytest.importorskip("distributed")
    dask = Path(sys.executable).with_name("dask")
    log = (tmp_path / "scheduler.log").open("w")
    # Port 0: the scheduler takes a free port itself and writes its address to the scheduler file.
    address_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(address_file)], stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([dask, "worker", "--scheduler-file", str(address_file), "--nworkers", "1",
                               "--nthreads", "1", "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not address_file.exists() or not address_file.read_text().strip().endswith("}"):
            assert scheduler.poll() is None and time.monotonic() < deadline, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        path = tmp_path / "grid.yaml"
        path.write_text("description: long enough\nsections: [erosion]\nfixed: {mc_draws: 1000}\ngrid:\n"
                        f"  trainium_ceiling: {[round(0.01 * i, 2) for i in range(20, 84)]}\n", encoding="utf-8")

        def kill_once_connected():
            deadline = time.monotonic() + 300
            while "Receive client connection" not in (tmp_path / "scheduler.log").read_text() \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1)
            scheduler.kill()
        threading.Thread(target=kill_once_connected, daemon=True).start()
        out = tmp_path / "out"
        found = subprocess.run([sys.executable, "-m", "analysis", "sweep", str(path), "--out", str(out), "--executor",
                                address.replace("tcp://", "dask://")], capture_output=True, text=True, timeout=600)
        assert found.returncode == 1, found.stderr
        one_line(found.stderr, "the Dask cluster was lost during the sweep")
        assert not out.exists() and found.stdout == ""
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait(timeout=30)
        log.close()


def test_the_sweep_page_carries_the_policy_of_the_page_module(tmp_path, capsys):
    path = tmp_path / "grid.yaml"
    path.write_text("description: '<script>alert(1)</script>'\nsections: [erosion]\nfixed: {mc_draws: 1000}\n"
                    "grid:\n  trainium_ceiling: [0.3, 0.6]\n", encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    # the page draws its charts with the one page module's scripts, allowed by hash (as the report page)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', text)
    assert policy and text.index("Content-Security-Policy") < min(text.index("<script"), text.index("<style"))
    csp = html.unescape(policy.group(1))
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_sweep_out_inside_the_cache_is_refused_like_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir(mode=0o700)
    path = tmp_path / "grid.yaml"
    path.write_text(SMALL, encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "cache" / "x")]) == 2
    one_line(capsys.readouterr().err, "lies inside", "the execution cache")
    assert not (tmp_path / "cache" / "x").exists()


def test_an_out_in_a_cache_folder_no_build_may_use_is_not_refused_for_it(tmp_path, monkeypatch):
    """$ANALYSIS_CACHE_DIR at a shared folder (as the system's temporary folder is): no build uses it as a cache (it
    warns), so a report inside it is allowed; a private cache folder still keeps reports out."""
    from analysis.pipeline import cache
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(shared))
    assert outdir.check(shared / "repo" / "reports" / "x", protected=(cache.protected_dir(),))
    shared.chmod(0o700)
    with pytest.raises(outdir.OutError, match="the execution cache"):
        outdir.check(shared / "repo" / "reports" / "x", protected=(cache.protected_dir(),))


# --- YAML readers: depth, YAML 1.1 forms, dates --------------------------------------------------------------------

YAML_CASES = [
    ("deep", "[" * 5000 + "]" * 5000, "nested more than 10 levels deep"),
    ("base-60", "33:45", "'33:45' is a base-60 number in YAML 1.1"),
    ("underscores", "1_000_0", "'1_000_0' is a number with '_' between its digits"),
    ("hexadecimal", "0x1000", "'0x1000' is a hexadecimal, octal or binary number"),
    ("leading-zero", "0100", "'0100' is a number with a leading zero"),
    ("boolean", "on", "'on' is a boolean in YAML 1.1"),
    ("date", "2026-02-20", "'2026-02-20' is an unquoted date; quote the date, \"2026-02-20\""),
    ("bad-date", "2026-02-30", "'2026-02-30' is an unquoted date; quote the date, \"2026-02-30\""),
    ("quoted-bad-date", '"2026-02-30"', "parameter 'as_of': got '2026-02-30', which is not a date in the calendar"),
    ("date-before-data", '"0001-01-01"', "parameter 'as_of': got '0001-01-01'; expected a date within the data's span"),
]


@pytest.mark.parametrize("name, value, culprit", YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_a_params_file_is_read_as_yaml_1_2_or_refused_by_name(tmp_path, capsys, name, value, culprit):
    parameter = "as_of" if "date" in name else "mc_draws" if name in ("underscores", "hexadecimal") else \
        "trainium_midpoint"
    path = tmp_path / "params.yaml"
    path.write_text(f"description: x\nvalues:\n  {parameter}: {{value: {value}, why: a reason}}\n", encoding="utf-8")
    assert cli.main(["run", "--params", str(path), "--out", str(tmp_path / "out")]) == 2
    one_line(capsys.readouterr().err, str(path), culprit)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, value, culprit", YAML_CASES[:6], ids=[c[0] for c in YAML_CASES[:6]])
def test_a_sweep_grid_is_read_as_yaml_1_2_or_refused_by_name(tmp_path, capsys, name, value, culprit):
    path = tmp_path / "grid.yaml"
    path.write_text(f"description: x\nsections: [erosion]\ngrid:\n  trainium_midpoint: [{value}]\n", encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    one_line(capsys.readouterr().err, str(path), culprit)


def test_quoted_forms_and_yaml_1_2_numbers_are_read_as_before(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text('description: x\nvalues:\n  as_of: {value: "2026-02-20", why: quoted}\n'
                    "  trainium_midpoint: {value: 2033.75, why: a decimal}\n  mc_draws: {value: 4096, why: plain}\n"
                    "  capex_outlook_vintage: {value: current, why: text}\n", encoding="utf-8")
    assert scenarios.params_file(path) == {"as_of": "2026-02-20", "trainium_midpoint": 2033.75, "mc_draws": 4096,
                                           "capex_outlook_vintage": "current"}


def test_every_date_parameter_is_bounded_by_the_data(ds):
    dates = [name for name, p in params.schema(ds).items() if p.type == "date"]
    ruled = {name for name, _, _ in params.DATA_RULES}
    assert dates and set(dates) <= ruled
    first, last = dict((n, f(ds)) for n, f, _ in params.DATA_RULES)["as_of"]
    assert params.resolve({"as_of": first}, ds).as_of == first and params.resolve({"as_of": last}, ds).as_of == last
    for outside in ("0001-01-01", "9999-12-31"):
        with pytest.raises(ParameterError, match="within the data's span"):
            params.resolve({"as_of": outside}, ds)


# --- refresh --accept: one atomic step -----------------------------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class _Faults:
    """Fail the n-th write-like call (a file opened for writing, fsync, rename, replace, the folder exchange) with
    ENOSPC; count them all."""

    def __init__(self, monkeypatch, fail_at: int | None):
        self.calls, self.fail_at = 0, fail_at
        real_open, real_fsync, real_replace, real_rename = builtins.open, os.fsync, os.replace, os.rename
        real_exchange = outdir.exchange

        def step(path):
            self.calls += 1
            if self.calls == self.fail_at:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))

        def opened(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                step(file)
            return real_open(file, mode, *args, **kwargs)

        def wrap(real):
            def faulty(*args, **kwargs):
                step(args[0])
                return real(*args, **kwargs)
            return faulty

        monkeypatch.setattr(builtins, "open", opened)
        monkeypatch.setattr(io, "open", opened)
        monkeypatch.setattr(os, "fsync", wrap(real_fsync))
        monkeypatch.setattr(os, "replace", wrap(real_replace))
        monkeypatch.setattr(os, "rename", wrap(real_rename))
        monkeypatch.setattr(outdir, "exchange", wrap(real_exchange))


def _quick_moves(monkeypatch):
    """The changelog's headline moves from a stand-in (the model run is not what these tests fault)."""
    monkeypatch.setattr(refresh, "headline_moves", lambda old, new: ["erosion.x: 1 -> 2 (+1)"])


def test_faulting_each_write_of_accept_in_turn_leaves_the_old_or_the_new_data(tmp_path, monkeypatch):
    _quick_moves(monkeypatch)
    site = tmp_path / "site"
    shutil.copytree(ROOT / "data", site / "data")
    before = _snapshot(site / "data")
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "data", reference / "data")
    refresh.refresh(NEWER, reference / "data", accept=True, today="2026-12-06")
    after = _snapshot(reference / "data")
    assert after != before
    outcomes = []
    for fail_at in range(1, 500):
        with monkeypatch.context() as patched:
            faults = _Faults(patched, fail_at)
            try:
                refresh.refresh(NEWER, site / "data", accept=True, today="2026-12-06")
                failed = False
            except (OSError, UserError):
                failed = True
        state = _snapshot(site / "data")
        where = f"fault at write {fail_at} of {faults.calls}"
        assert state in (before, after), f"{where}: data/ is neither the old nor the new version"
        assert state == (before if failed else after), f"{where}: the command's outcome and data/ disagree"
        assert [p.name for p in site.iterdir()] == ["data"], f"{where}: left {list(site.iterdir())}"
        outcomes.append("old" if state == before else "new")
        if faults.calls < fail_at:                         # no write failed: the run was complete
            break
        if state == after:                                 # a fault after the swap: put the old data back
            shutil.rmtree(site / "data")
            shutil.copytree(ROOT / "data", site / "data")
    assert outcomes[-1] == "new" and fail_at > 20 and outcomes.count("old") >= fail_at - 3, outcomes


def test_every_new_file_and_the_scratch_folder_reach_the_disk_before_the_exchange(data_copy, monkeypatch):
    """At the exchange, each file of the scratch folder was fsynced after it was last opened for writing, and so was
    the folder itself; the parent folder is fsynced after it."""
    _quick_moves(monkeypatch)
    events: list[tuple[str, str]] = []
    unsynced: list[list[str]] = []
    real_open, real_fsync, real_exchange = builtins.open, os.fsync, outdir.exchange

    def opened(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            events.append(("write", str(Path(file).absolute())))
        return real_open(file, mode, *args, **kwargs)

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def exchange(a, b):
        last = {path: kind for kind, path in events}
        unsynced.append([str(p) for p in [a, *a.iterdir()] if last.get(str(p)) != "fsync"])
        events.append(("exchange", str(b)))
        return real_exchange(a, b)
    monkeypatch.setattr(builtins, "open", opened)
    monkeypatch.setattr(io, "open", opened)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(outdir, "exchange", exchange)
    refresh.refresh(NEWER, data_copy, accept=True, today="2026-12-06")
    assert unsynced == [[]] and events[-1] == ("fsync", str(data_copy.parent)), (unsynced, events[-3:])


def test_a_full_disk_during_accept_is_one_line_naming_a_path_and_status_1(data_copy, monkeypatch, capsys):
    _quick_moves(monkeypatch)
    before = _snapshot(data_copy)
    with monkeypatch.context() as patched:
        _Faults(patched, 30)
        assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(NEWER), "--accept"]) == 1
    line = one_line(capsys.readouterr().err, "No space left on device", f"{data_copy} is unchanged")
    assert re.search(r"\(/[^)]+\)", line)
    assert _snapshot(data_copy) == before and [p.name for p in data_copy.parent.iterdir()] == ["data"]


def test_a_file_size_limit_during_accept_leaves_data_as_it_was(data_copy):
    """The measured case: a changelog long enough that the new one passes the limit while every data file fits."""
    log = data_copy / refresh.CHANGELOG
    largest = max(p.stat().st_size for p in data_copy.iterdir())
    text = log.read_text(encoding="utf-8")
    log.write_text(text + "\n" + "- an earlier entry\n" * ((largest - len(text)) // 19), encoding="utf-8")
    limit = largest + 512
    before = _snapshot(data_copy)
    import resource
    found = subprocess.run([sys.executable, "-m", "analysis", "--data-dir", str(data_copy), "refresh", "epoch",
                            str(NEWER), "--accept"], capture_output=True, text=True, timeout=600,
                           preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert found.returncode == 1, found.stderr
    one_line(found.stderr, "File too large", "CHANGELOG.md", "is unchanged")
    assert _snapshot(data_copy) == before and [p.name for p in data_copy.parent.iterdir()] == ["data"]


def test_a_scratch_folder_left_by_a_killed_refresh_is_removed_by_the_next(data_copy, monkeypatch):
    _quick_moves(monkeypatch)
    left = data_copy.parent / ".data.refresh-abcd1234"
    shutil.copytree(data_copy, left)
    foreign = data_copy.parent / ".data.refresh-zzzz9999"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a data folder", encoding="utf-8")
    refresh.refresh(NEWER, data_copy, accept=True, today="2026-12-06")
    assert sorted(p.name for p in data_copy.parent.iterdir()) == [".data.refresh-zzzz9999", "data"]


def test_rows_of_owners_refresh_does_not_rebuild_are_kept_in_place(data_copy, monkeypatch):
    _quick_moves(monkeypatch)
    fleet = data_copy / "epoch_fleet.csv"
    lines = fleet.read_text(encoding="utf-8").splitlines(keepends=True)
    other = [line.replace("Amazon,", "Otherco,", 1).replace("'Amazon ", "'Otherco ") for line in lines[1:4]]
    fleet.write_text(lines[0] + "".join(other) + "".join(lines[1:]) + other[0].replace("2022Q1", "2022Q2"),
                     encoding="utf-8")
    data.write_manifest(data_copy)
    refresh.refresh(NEWER, data_copy, accept=True, today="2026-12-06")
    rows = fleet.read_text(encoding="utf-8").splitlines(keepends=True)
    assert rows[1:4] == other and rows[-1] == other[0].replace("2022Q1", "2022Q2")
    assert sum(r.startswith("Amazon,") for r in rows) == 132 and data.load_dataset(data_copy)


def test_the_diff_counts_only_the_rebuilt_owners_rows(data_copy):
    fleet = data_copy / "epoch_fleet.csv"
    text = fleet.read_text(encoding="utf-8")
    fleet.write_text(text + text.splitlines(keepends=True)[1].replace("Amazon,", "Otherco,", 1), encoding="utf-8")
    old = {t: refresh.read_table(data_copy / f"{t}.csv") for t in epoch_export.KEYS}
    assert refresh.diff(old, epoch_export.import_export(ROOT / "tests" / "fixtures" / "epoch_export")).empty


# --- refresh: text that reaches CHANGELOG.md and the terminal is inert ---------------------------------------------

HOSTILE_FOLDER = "x\n## 2020-01-01: FORGED ENTRY <img src=x onerror=alert(1)> `code`"
HOSTILE_NAME = "<img src=x onerror=alert(1)> =HYPERLINK(1) **b** [l](http://e.x)"


def _hostile_export(tmp_path: Path, name: str) -> Path:
    export = tmp_path / HOSTILE_FOLDER
    shutil.copytree(NEWER, export)
    chips = export / "nvidia_owners_quarters_by_chip.csv"
    chips.write_text(chips.read_text(encoding="utf-8").replace("Amazon H100/H200 Q4 2025,", f'"{name}",'),
                     encoding="utf-8")
    return export


def test_export_text_reaches_the_changelog_as_inert_markdown(tmp_path, data_copy, monkeypatch, capsys):
    _quick_moves(monkeypatch)
    export = _hostile_export(tmp_path, HOSTILE_NAME)
    log = data_copy / refresh.CHANGELOG
    entries = log.read_text(encoding="utf-8").count("\n## ")
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(export), "--accept"]) == 0
    text = log.read_text(encoding="utf-8")
    assert text.count("\n## ") == entries + 1
    rendered = mistune.html(text)
    assert "<img" not in rendered and "<strong>" not in rendered and "<a " not in rendered
    assert rendered.count("<h2>") == entries + 1 and "FORGED" not in rendered.split("<h2>")[-1].split("</h2>")[0]
    assert "&lt;img src=x onerror=alert(1)&gt; =HYPERLINK(1) **b**" in rendered      # shown, as code


def test_control_characters_from_an_export_never_reach_the_terminal(tmp_path, data_copy, capsys):
    export = _hostile_export(tmp_path, "Amazon \x1b[2J\x1b[31mH100")
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(export)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Amazon \\x1b[2J\\x1b[31mH100" in out
    before = _snapshot(data_copy)
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(export), "--accept"]) == 2
    one_line(capsys.readouterr().err, "x\\n## 2020-01-01: FORGED ENTRY", "line break or control character")
    assert _snapshot(data_copy) == before


@pytest.mark.parametrize("text", ["plain", "`tick`", "a ``` b", "", "##  heading\nnext", "<b>\r\u2028"])
def test_markdown_code_is_one_inert_code_span(text):
    span = refresh.markdown_code(text)
    html = mistune.html(f"- {span}\n")
    assert "\n" not in span and html.count("<code>") == 1 and "<b>" not in html and "<h2>" not in html


# --- lock files ----------------------------------------------------------------------------------------------------

def test_a_build_removes_its_lock_and_the_stale_locks_of_killed_builds(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / ".killed.lock").write_text("pid 999999\n", encoding="ascii")    # no process holds it
    (reports / ".old-format.lock").write_text("", encoding="ascii")
    (reports / ".someone-elses.lock").write_text("my notes\n", encoding="ascii")
    held = reports / ".running.lock"
    held.write_text("pid 1\n", encoding="ascii")
    with open(held, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)           # a live build holds this one
        with outdir.claim(reports / "new") as staging:
            (staging / "x").write_text("x", encoding="utf-8")
    assert sorted(p.name for p in reports.iterdir()) == [".running.lock", ".someone-elses.lock", "new"]


def test_after_a_sigkill_the_next_build_leaves_no_lock(tmp_path):
    """A build killed while it holds its lock leaves .NAME.lock; the next build into the folder removes it."""
    script = ("import sys, time; from pathlib import Path; from analysis.pipeline import outdir\n"
              "with outdir.claim(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "r")], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "locked\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert (tmp_path / ".r.lock").exists()
    with outdir.claim(tmp_path / "r"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
