"""The bad-input corpus: what a careless or hostile user might give the CLI, and what must happen.

Every case asserts: exit status 2, one line on stderr that names the culprit, no traceback, no kernel started,
and every file around (a previous report, an unrelated folder, the repository's reports/) byte-identical afterwards.
The CLI runs in-process (one `main()` call per case, about 0.1 s); `test_subprocess_*` repeat one case per category
through `python -m analysis` to prove the real process behaves the same.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from analysis import data
from analysis.pipeline import cli, outdir, page, report, runner
from analysis.data import scenarios
from tests.conftest import FROZEN, ROOT, run_cli, one_line


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root with its bytes (None for folders): the state a refused run must not change."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A previous report, an unrelated folder with a file, a scenarios folder and a data copy, all under tmp_path;
    starting a kernel fails the test."""
    previous = tmp_path / "reports" / "previous"
    previous.mkdir(parents=True)
    (previous / outdir.MARKER).write_text("marker\n")
    (previous / "index.html").write_text("<p>the previous report</p>\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "important.txt").write_text("do not delete\n")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(FROZEN, tmp_path / "data")
    monkeypatch.setenv(scenarios.SCENARIO_DIR_ENV, str(tmp_path / "scenarios"))

    def no_kernels(*args, **kwargs):
        raise AssertionError("a kernel was started for an input that should have been refused")
    monkeypatch.setattr(report, "execute_all", no_kernels)
    return tmp_path


def _refused(world: Path, capsys, args: list[str], culprit: str, status: int = 2) -> str:
    """Run the CLI in-process; assert the refusal contract; return the message."""
    before, repo_reports = _tree(world), _tree(ROOT / "reports")
    returned = cli.main(args)
    err = capsys.readouterr().err
    assert returned == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and len(lines[0]) < 600, err
    assert culprit in lines[0], lines[0]
    assert _tree(world) == before
    assert _tree(ROOT / "reports") == repo_reports
    return lines[0]


def _run(world: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(world / "data"), "run", "--out", str(world / "reports" / "previous"), *extra]


# --- parameters (--set) ----------------------------------------------------------------------------------------

LONG = "9" * 400
PARAMETER_CASES = [
    ("ai_share=2", "parameter 'ai_share': got '2'"),
    ("ai_share=nan", "parameter 'ai_share': got 'nan'"),
    ("pue=inf", "parameter 'pue': got 'inf'"),
    ("pue=-inf", "parameter 'pue'"),
    ("utilization=lots", "parameter 'utilization': got 'lots'"),
    ("utilization=", "parameter 'utilization': got ''"),
    ("no_such=1", "unknown parameter 'no_such'"),
    ("ai_shar=0.5", "unknown parameter 'ai_shar'; did you mean ai_share"),
    ("ai_share", "--set expects key=value"),
    ("=0.5", "--set expects key=value"),
    ("ai_share=1.5", "parameter 'ai_share': got '1.5'"),
    ("trainium_ceiling=-0.1", "parameter 'trainium_ceiling'"),
    ("gpu_purchase_quarter=2019Q1", "parameter 'gpu_purchase_quarter': got '2019Q1'; expected a quarter of a year with"),
    ("nvaie_usd_per_gpu_year=0", "nvaie_usd_per_gpu_year=0.0: must be above 0"),
    (f"mc_draws={LONG}", "parameter 'mc_draws'"),
    ("mc_draws=" + "1" * 5000, "(5002 characters)"),              # the value is not echoed in full
    ("mc_draws=10_000", "parameter 'mc_draws': got '10_000'"),
    ("mc_draws=\u0661\u0660\u0660\u0660\u0660", "parameter 'mc_draws'"),   # Arabic-Indic digits
    ("mc_draws=1e4", "parameter 'mc_draws': got '1e4'"),
    ("mc_draws=10000.5", "parameter 'mc_draws'"),
    ("depreciation_life_years=5.5", "parameter 'depreciation_life_years'"),
    ("random_seed=-1", "parameter 'random_seed'"),
    ("ai_share=0x1", "parameter 'ai_share': got '0x1'"),
    ("as_of=20261126", "parameter 'as_of': got '20261126'"),
    ("as_of=2026-02-30", "parameter 'as_of'"),
    ("focus_quarter=1999Q1", "parameter 'focus_quarter': got '1999Q1'; expected a quarter with Amazon gross capex"),
    ("focus_quarter=2024Q5", "parameter 'focus_quarter'"),
    ("focus_quarter=\uff12\uff10\uff12\uff13Q3", "parameter 'focus_quarter'"),   # full-width digits
    ("on_demand_usage_share=0.95", "their sum must not exceed 1"),
]


@pytest.mark.parametrize("assignment, culprit", PARAMETER_CASES, ids=[c[0][:40] for c in PARAMETER_CASES])
def test_parameter_refused(world, capsys, assignment, culprit):
    _refused(world, capsys, _run(world, "--set", assignment), culprit)


def test_parameter_given_twice_refused(world, capsys):
    _refused(world, capsys, _run(world, "--set", "ai_share=0.3", "--set", "ai_share=0.4"), "--set ai_share is given twice")


# --- scenario files --------------------------------------------------------------------------------------------

GOOD_VALUE = 'trainium_ceiling: {value: 0.5, why: "a reason"}'
BOMB = "description: x\nvalues:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))
SCENARIO_FILES = [
    ("syntax", b"description: x\nvalues: {unclosed\n", "zz.yaml, line 3: not valid YAML"),
    ("anchor-bomb", BOMB.encode(), "zz.yaml, line 3: an anchor (&) is not allowed"),
    ("alias", f"description: x\nvalues:\n  {GOOD_VALUE}\n  other: *x\n".encode(), "zz.yaml, line 4: an alias (*) is not allowed"),
    ("tag", b"description: !!python/object:os.system x\nvalues: {}\n", "a tag (!) is not allowed"),
    ("duplicate-key", f"description: x\nvalues:\n  {GOOD_VALUE}\n  {GOOD_VALUE}\n".encode(),
     "zz.yaml, line 4: not valid YAML (key 'trainium_ceiling' appears twice)"),
    ("duplicate-top-key", f"description: x\ndescription: y\nvalues:\n  {GOOD_VALUE}\n".encode(), "key 'description' appears twice"),
    ("latin-1", "description: caf\u00e9\nvalues: {}\n".encode("latin-1"), "zz.yaml: not UTF-8 text"),
    ("oversized", b"description: x\nvalues: {}\n# " + b"x" * 70_000 + b"\n", "zz.yaml: 70029 bytes"),
    ("empty", b"", "zz.yaml: expected exactly 'description'"),
    ("list", b"- a\n- b\n", "zz.yaml: expected exactly 'description'"),
    ("no-why", b"description: x\nvalues:\n  trainium_ceiling: 0.5\n", "value 'trainium_ceiling' must be"),
    ("value-is-list", b'description: x\nvalues:\n  trainium_ceiling: {value: [0.5], why: "r"}\n', "value 'trainium_ceiling' must be"),
    ("huge-int", f'description: x\nvalues:\n  mc_draws: {{value: {LONG}, why: "r"}}\n'.encode(), "zz.yaml: parameter 'mc_draws'"),
    ("unknown-parameter", b'description: x\nvalues:\n  trainium_ceilng: {value: 0.5, why: "r"}\n', "zz.yaml: unknown parameter 'trainium_ceilng'"),
    ("extra-key", f"description: x\nextra: 1\nvalues:\n  {GOOD_VALUE}\n".encode(), "expected exactly 'description'"),
    ("bool-key", b'description: x\nvalues:\n  yes: {value: 0.5, why: "r"}\n', "'yes' is a boolean in YAML 1.1"),
]


@pytest.mark.parametrize("name, content, culprit", SCENARIO_FILES, ids=[c[0] for c in SCENARIO_FILES])
def test_any_broken_scenario_file_is_refused_whichever_scenario_runs(world, capsys, name, content, culprit):
    (world / "scenarios" / "zz.yaml").write_bytes(content)
    _refused(world, capsys, _run(world, "--scenario", "base"), culprit)


@pytest.mark.parametrize("name, culprit", [
    ("../x", "scenario '../x': a scenario is named by"),
    ("/etc/hostname", "scenario '/etc/hostname'"),
    ("Base", "scenario 'Base'"),
    ("no-such", "unknown scenario 'no-such'"),
])
def test_scenario_names_are_names(world, capsys, name, culprit):
    _refused(world, capsys, _run(world, "--scenario", name), culprit)


def test_a_byte_order_mark_in_a_scenario_file_is_accepted(world):
    text = (world / "scenarios" / "essay-2024.yaml").read_text(encoding="utf-8")
    (world / "scenarios" / "essay-2024.yaml").write_text("\ufeff" + text, encoding="utf-8")
    assert scenarios.load("essay-2024")["values"] == scenarios.load("essay-2024", ROOT / "scenarios")["values"]


# --- data files ------------------------------------------------------------------------------------------------

def _header_only(d: Path) -> None:
    f = d / "financials.csv"
    f.write_text(f.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def _append_cell(d: Path, old: str, new: str) -> None:
    f = d / "essay_claims.csv"
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")


def _parameter_row_without_min(d: Path) -> None:
    f = d / "parameters.csv"
    f.write_text(f.read_text(encoding="utf-8").replace(",fraction,0.7,0.01,1,", ",fraction,0.7,,1,", 1), encoding="utf-8")


DATA_CASES = [   # (id, corrupt the copy, rewrite the manifest, culprit)
    ("empty-file", lambda d: (d / "financials.csv").write_bytes(b""), True, "financials.csv: file is empty"),
    ("header-only", _header_only, True, "financials.csv: has a header but no data rows"),
    ("latin-1-csv", lambda d: (d / "essay_claims.csv").write_bytes(
        (d / "essay_claims.csv").read_bytes().replace(b"essay", "\u00e9".encode("latin-1"), 1)), True,
     "essay_claims.csv: not UTF-8 text"),
    ("latin-1-manifest", lambda d: (d / data.MANIFEST).write_bytes((d / data.MANIFEST).read_bytes() + b"\xe9\n"), False,
     "MANIFEST.sha256: not UTF-8 text"),
    ("manifest-outside", lambda d: (d / data.MANIFEST).write_text(
        (d / data.MANIFEST).read_text() + "0" * 64 + "  ../outside.csv\n"), False, "'../outside.csv' is not a CSV file name"),
    ("manifest-absolute", lambda d: (d / data.MANIFEST).write_text(
        (d / data.MANIFEST).read_text() + "0" * 64 + "  /etc/hostname\n"), False, "'/etc/hostname' is not a CSV file name"),
    ("manifest-twice", lambda d: (d / data.MANIFEST).write_text(
        (d / data.MANIFEST).read_text() + (d / data.MANIFEST).read_text().splitlines()[0] + "\n"), False, "is listed twice"),
    ("manifest-missing", lambda d: (d / data.MANIFEST).unlink(), False, "checksum manifest is missing"),
    ("directory-named-csv", lambda d: (d / "x.csv").mkdir(), False, "x.csv: not a regular file"),
    ("float-parameter-without-min", _parameter_row_without_min, True,
     "parameters.csv, line 7: parameter 'utilization' of type float needs min <= max"),
    ("line-break-in-cell", lambda d: _append_cell(d, "bottom-line,", '"bottom-line\n# Injected",'), True,
     "column 'claim_id': holds a line break"),
    ("overlong-cell", lambda d: _append_cell(d, "bottom-line,", "bottom-line" + "x" * 1200 + ","), True, "text of 1211 characters"),
    ("unlisted-file", lambda d: (d / "extra.csv").write_text("a\n1\n"), False, "extra.csv: file is not in MANIFEST.sha256"),
    ("edited-without-manifest", lambda d: _append_cell(d, "bottom-line,", "bottom-lines,"), False, "contents differ"),
    ("arabic-indic-digits", lambda d: _append_cell(d, "bottom-line,60,", "bottom-line,\u0666\u0660,"), True,
     "column 'paragraph': expected a number, got '\u0666\u0660' (ASCII digits"),
    ("whitespace-only-cell", lambda d: _append_cell(d, "bottom-line,60,thesis,", "bottom-line,60,   ,"), True,
     "line 5, column 'topic': holds only spaces"),
]


@pytest.mark.parametrize("name, corrupt, remanifest, culprit", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_bad_data_file_refused(world, capsys, name, corrupt, remanifest, culprit):
    corrupt(world / "data")
    if remanifest:
        data.write_manifest(world / "data")
    message = _refused(world, capsys, _run(world), culprit)
    assert str(world / "data") in message            # the folder in use, not the repository's data/


def test_data_manifest_refuses_a_directory_named_csv(world, capsys):
    (world / "data" / "x.csv").mkdir()
    _refused(world, capsys, ["--data-dir", str(world / "data"), "data-manifest"], "x.csv: not a regular file")


def test_a_byte_order_mark_in_a_csv_is_accepted(world):
    f = world / "data" / "essay_claims.csv"
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    data.write_manifest(world / "data")
    assert data.load_dataset(world / "data")["essay_claims"].equals(data.load_dataset(FROZEN)["essay_claims"])


# --- paths (--out) ---------------------------------------------------------------------------------------------

PATH_CASES = [   # (id, --out relative to the world (None: as given), culprit)
    ("unrelated-folder", "notes", "no .aws-accelerators-report marker"),
    ("a-file", "notes/important.txt", "is a file, not a report folder"),
    ("below-a-file", "notes/important.txt/sub", "important.txt is a file, not a folder"),
    ("reports-parent", "reports", "no .aws-accelerators-report marker"),
    ("data-folder", "data", "holds files this tool did not write"),
    ("inside-data-folder", "data/report", "lies inside"),
    ("around-the-data-folder", ".", "would replace"),
]


@pytest.mark.parametrize("name, out, culprit", PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_out_that_is_not_a_report_folder_is_refused(world, capsys, name, out, culprit):
    _refused(world, capsys, ["--data-dir", str(world / "data"), "run", "--out", str(world / out)], culprit)


@pytest.mark.parametrize("out, culprit", [
    ("reports", "no .aws-accelerators-report marker"),          # the repository's reports/, name forgotten
    (".", "would replace"), ("/", "is the filesystem root"), ("data", "would replace"),
    ("notebooks/x", "lies inside"), ("scenarios", "would replace"),
])
def test_out_in_the_repository_is_refused(world, capsys, monkeypatch, out, culprit):
    monkeypatch.chdir(ROOT)
    before = _tree(ROOT / "scenarios") | _tree(ROOT / "notebooks")
    _refused(world, capsys, ["run", "--out", out], culprit)
    assert _tree(ROOT / "scenarios") | _tree(ROOT / "notebooks") == before


def test_out_symlink_is_refused(world, capsys):
    (world / "link").symlink_to(world / "reports" / "previous")
    _refused(world, capsys, ["--data-dir", str(world / "data"), "run", "--out", str(world / "link")], "is a symbolic link")


def test_unwritable_out_is_refused(world, capsys):
    _refused(world, capsys, ["--data-dir", str(world / "data"), "run", "--out", "/proc/aws-report"], "--out /proc/aws-report")


# --- faults: locks, leftovers, interrupted swaps ---------------------------------------------------------------

def test_a_concurrent_build_into_the_same_folder_is_refused(world, capsys):
    target = world / "reports" / "previous"
    with outdir.claim(target):
        _refused(world, capsys, _run(world), "another build into this folder is running")


def test_the_next_build_removes_leftovers_of_killed_builds(world):
    target = world / "reports" / "previous"
    for name in (".previous.build-abcd1234", ".previous.build-zz_9yy00"):
        (target.parent / name / "notebooks").mkdir(parents=True)
        (target.parent / name / outdir.MARKER).write_text(f"{outdir.MARKER_TEXT}build {name[-8:]}\n")
    (target.parent / ".previous.build-empty000").mkdir()            # killed before its marker was written
    (target.parent / ".previous.b.build-abcd1234").mkdir()            # a sibling report's staging: not ours
    with outdir.claim(target) as staging:
        (staging / "index.html").write_text("new\n")
    names = sorted(p.name for p in target.parent.iterdir())
    assert names == [".previous.b.build-abcd1234", "previous"]
    assert (target / "index.html").read_text() == "new\n" and (target / outdir.MARKER).is_file()


def test_a_kill_between_the_two_renames_loses_nothing(world):
    target = world / "reports" / "previous"
    (target / outdir.MARKER).write_text(outdir.MARKER_TEXT)
    old = _tree(target)
    target.rename(target.with_name(".previous.previous"))              # what the fallback swap leaves if killed here
    assert not target.exists()
    outdir.recover(target)
    assert _tree(target) == old and not target.with_name(".previous.previous").exists()


def test_the_fallback_swap_replaces_the_report(world, monkeypatch):
    monkeypatch.setattr(outdir, "exchange", lambda a, b: False)     # as on a filesystem without RENAME_EXCHANGE
    target = world / "reports" / "previous"
    with outdir.claim(target) as staging:
        (staging / "index.html").write_text("new\n")
    assert (target / "index.html").read_text() == "new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["previous"]


def test_a_failed_build_leaves_the_report_and_no_staging(world):
    target = world / "reports" / "previous"
    old = _tree(target)
    with pytest.raises(RuntimeError), outdir.claim(target) as staging:
        (staging / "index.html").write_text("half\n")
        raise RuntimeError("notebook failed")
    assert _tree(target) == old
    assert sorted(p.name for p in target.parent.iterdir()) == ["previous"]


@pytest.mark.command
def test_output_piped_into_a_reader_that_stops_is_not_a_traceback():
    process = subprocess.Popen([sys.executable, "-m", "analysis", "params"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()                      # like `| head -0`: the reader is gone before anything is written
    err = process.stderr.read()
    assert process.wait(timeout=60) == 1 and err == "", err


# --- the real process, one case per category -------------------------------------------------------------------

@pytest.mark.command
def test_subprocess_refuses_a_huge_number_with_one_line(world):
    before = _tree(world)
    result = run_cli(*_run(world, "--set", f"mc_draws={LONG}"))
    assert result.returncode == 2 and "parameter 'mc_draws'" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert _tree(world) == before


@pytest.mark.command
def test_subprocess_refuses_a_broken_scenario_file(world):
    (world / "scenarios" / "zz.yaml").write_bytes(BOMB.encode())
    result = run_cli(*_run(world, "--scenario", "base"), env={scenarios.SCENARIO_DIR_ENV: str(world / "scenarios")})
    assert result.returncode == 2 and "zz.yaml, line 3: an anchor" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.command
def test_subprocess_refuses_an_empty_data_file_and_an_unmarked_out(world):
    (world / "data" / "financials.csv").write_bytes(b"")
    data.write_manifest(world / "data")
    result = run_cli("--data-dir", str(world / "data"), "params")
    assert result.returncode == 2 and "financials.csv: file is empty" in result.stderr, result.stderr
    result = run_cli("run", "--out", str(world / "notes"))
    assert result.returncode == 2 and "no .aws-accelerators-report marker" in result.stderr
    assert (world / "notes" / "important.txt").read_text() == "do not delete\n"


# --- faults in a real build: a signal while kernels run ----------------------------------------------------------

def _forked(pid: int) -> list[psutil.Process]:
    """The processes a build forked: the child validating the data (`data._validated_beside`), later the two workers
    its notebooks run in (each runs its kernel in itself)."""
    try:
        build = psutil.Process(pid)
        return [child for child in build.children(recursive=True) if child.cmdline() == build.cmdline()]
    except psutil.Error:        # gone meanwhile
        return []


def _wait_for_forks(process: subprocess.Popen, count: int, poll: float = 0.1) -> None:
    """Wait until the build has forked `count` processes at once (1: the validating child; 2: a full build's
    workers)."""
    deadline = time.monotonic() + 120
    while len(_forked(process.pid)) < count:
        assert process.poll() is None and time.monotonic() < deadline, f"the build never had {count} forked processes"
        time.sleep(poll)


def _wait_for_workers(process: subprocess.Popen) -> None:
    """Wait until a full build has forked the two workers its notebooks run in."""
    _wait_for_forks(process, 2)


@pytest.mark.build
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_during_a_build_keeps_the_previous_report_and_leaves_nothing(world, signum):
    target = world / "reports" / "previous"
    before = _tree(world)
    process = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--out", str(target), "--no-cache"], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               # a shell's background job starts with Ctrl-C ignored; the user's terminal does not
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_workers(process)
    os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)  # Ctrl-C: whole group
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == ["error: interrupted; any previous report is left as it was"] and "Traceback" not in err, err
    assert _tree(world) == before                                       # the lock is gone too


@pytest.mark.build
@pytest.mark.parametrize("after", [0.05, 0.15, 0.25])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_while_the_data_are_validated_is_one_line_and_status_130(world, signum, after):
    """The data are validated in a child process while the build imports the sections: an interrupt then (`after`
    seconds into it: the child's, or an import's, of a module whose dataclasses CPython builds from strings) is the
    same one line and status 130, and nothing is written."""
    target = world / "reports" / "previous"
    before = _tree(world)
    process = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--out", str(target), "--no-cache"], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_forks(process, 1, poll=0.01)
    time.sleep(after)
    os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    one_line(err, "error: interrupted; any previous report is left as it was")
    assert _tree(world) == before


@pytest.mark.build
def test_after_a_sigkill_the_report_survives_and_the_next_build_cleans_up(world, monkeypatch):
    target = world / "reports" / "previous"
    before = _tree(target)
    # A temporary folder of the test's own (short: the kernels' sockets go there), so that no build running beside
    # this test removes the killed build's private folder before the test looks for it.
    temporary = Path(tempfile.mkdtemp(prefix="k"))
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    process = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--out", str(target), "--no-cache"], cwd=ROOT,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for_workers(process)
    workers = psutil.Process(process.pid).children(recursive=True)
    process.kill()                                                        # the main process only
    process.wait(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=60)                  # its workers follow it
    assert alive == [], alive
    assert _tree(target) == before
    assert list(target.parent.glob(".previous.build-*"))                  # what a SIGKILL leaves behind ...
    with pytest.raises(RuntimeError), outdir.claim(target) as staging:  # ... the next build removes
        assert [p.name for p in target.parent.glob(".previous.build-*")] == [staging.name]
        raise RuntimeError("stop before the swap")
    assert sorted(p.name for p in target.parent.iterdir()) == ["previous"]
    # The workers' private temporary folder (the validated snapshot, the kernels' sockets): left by the kill, removed
    # when the next set of workers starts.
    private = list(temporary.glob(f"{runner.PRIVATE_PREFIX}{process.pid}-*"))
    assert private
    runner.Workers(count=1).close()
    assert not any(path.exists() for path in private)
    shutil.rmtree(temporary)


# --- hostile strings: how data text reaches the page (the built page is checked in test_report.py) --------------

@pytest.mark.parametrize("text, absent", [
    ("# Injected heading", "<h1"),
    ("Title\n=====", "<h1"),
    ("![pixel](http://127.0.0.1:9/pixel.png)", "<img"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<script>alert(1)</script>", "<script"),
    ("[click](javascript:alert(1))", "<a "),
    ("<http://127.0.0.1:9/>", "<a "),
    ("[ref]\n\n[ref]: http://127.0.0.1:9/", "<a "),
    ("- item", "<li"),
    ("> quote", "<blockquote"),
])
def test_prose_from_code_renders_data_text_as_text(text, absent):
    rendered = report.PROSE(text)
    assert absent not in rendered and rendered.startswith("<p>"), rendered


@pytest.mark.parametrize("url, linked", [
    ("https://example.org/a?b=c", True), ("HTTP://example.org", True), ("javascript:alert(1)", False),
    (" javascript:alert(1)", False), ("data:text/html,<script>alert(1)</script>", False), ("file:///etc/passwd", False),
    ("//example.org", False), ("https://example.org/a b", False),
])
def test_sources_link_only_to_http_urls(url, linked):
    assert (page.linkable({"url": url})["url"] == url) is linked


def test_chart_data_cannot_close_its_script_element():
    payload = page.script_json({"title": "</script><script>alert(1)</script><!--", "x": "a & b > c"})
    assert "<" not in payload and ">" not in payload and "&" not in payload
    assert json.loads(payload) == {"title": "</script><script>alert(1)</script><!--", "x": "a & b > c"}
