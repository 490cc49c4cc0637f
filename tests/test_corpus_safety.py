"""The hostile and careless corpus of issue 16, grouped by kind: planted cache entries and unsafe cache folders,
the page's Content-Security-Policy, spreadsheet formulas in exports, folders the tool did not write, faults that
must end in one line and the right status, and heavy work announced before it starts.

Builds here replace the kernels by the stand-in of tests/test_cache.py (a notebook "executes" by being copied with
its cache key), so that each case costs well under a second; the cases that need a real kernel or process say so.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import data
from analysis.data.vocab import NUMBER
from analysis.pipeline import cache, checked_file, cli, compare, compare_input, outdir, page, report
from analysis.pipeline import runner as notebook_run
from analysis.pipeline.runner import NotebookFailed, notebook_paths
from tests.conftest import FROZEN, ROOT, one_line, run_cli
from tests.test_compare import make_run
from tests.test_corpus import _tree, _wait_for_workers

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

ALL = [path.name for path in notebook_paths()]


def _entry(body: bytes) -> bytes:
    """A cache entry's bytes: anyone can compute the checksum line."""
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


# --- cache: planted entries never run code or change a number ------------------------------------------------

class _Payload:
    """Unpickling this runs code: it creates the file `path`."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


@pytest.mark.parametrize("command", [["params"], ["scenarios"], ["run", "--out", "OUT"]])
def test_a_planted_pickle_never_runs(builder, tmp_path, capsys, command):
    ran = tmp_path / "payload-ran"
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    version = data.load_dataset().version
    for name in (f"dataset-{version}-{cache.code_digest()}.pickle", f"dataset-{version}-{cache.code_digest()}.arrow",
                 "0" * 64 + ".ipynb"):
        (folder / name).write_bytes(_entry(pickle.dumps(_Payload(ran))))
    assert cli.main([c.replace("OUT", str(tmp_path / "report")) for c in command]) == 0
    capsys.readouterr()
    assert not ran.exists()


def test_forged_tables_with_a_correct_checksum_change_no_number(builder, tmp_path, monkeypatch):
    """An entry shaped like the validated data (Arrow, right version, Amazon's capex x10) is never read: the data
    are validated from the files on every run."""
    ds = data.load_dataset()
    forged = {**ds.tables, "financials": ds.tables["financials"].assign(value=ds.tables["financials"]["value"] * 10)}
    body = _entry(data.snapshot(data.Dataset(tables=forged, version=ds.version, directory=ds.directory)))
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    for suffix in ("pickle", "arrow"):
        (folder / f"dataset-{ds.version}-{cache.code_digest()}.{suffix}").write_bytes(body)
    seen = []
    monkeypatch.setattr(report, "build", lambda out, values, schema, dataset, **kw: seen.append(dataset) or out)
    data.forget_loaded()
    assert cli.main(["run", "--out", str(tmp_path / "report")]) == 0
    assert seen[0]["financials"]["value"].equals(ds.tables["financials"]["value"])


def _plant_output(entry: Path, output: dict) -> None:
    nb = nbformat.reads(entry.read_bytes().partition(b"\n")[2].decode(), as_version=4)
    next(c for c in nb.cells if c.cell_type == "code").outputs.append(nbformat.from_dict(output))
    entry.write_bytes(_entry(nbformat.writes(nb).encode()))


PLANTED_OUTPUTS = {
    "script-as-html": {"output_type": "display_data", "metadata": {},
                       "data": {"text/html": "<script>alert(1)</script>", "text/plain": "x"}},
    "script-inside-a-table": {"output_type": "display_data", "metadata": {}, "data": {
        "text/html": '<table class="data"><thead><tr><th>a</th></tr></thead><tbody><tr><td class="num">'
                     '<img src=x onerror=alert(1)></td></tr></tbody></table>', "text/plain": "x",
        "application/vnd.awsaccel.exhibit+json": {"rows": 1}}},
    "javascript-output": {"output_type": "display_data", "metadata": {},
                          "data": {"application/javascript": "alert(1)", "text/plain": "x"}},
    "svg-output": {"output_type": "display_data", "metadata": {},
                   "data": {"image/svg+xml": "<svg onload=alert(1)></svg>", "text/plain": "x"}},
    "error-output": {"output_type": "error", "ename": "<script>", "evalue": "alert(1)", "traceback": []},
}


@pytest.mark.parametrize("kind", PLANTED_OUTPUTS)
def test_a_cached_notebook_with_an_output_the_builder_never_emits_is_not_used(builder, tmp_path, kind):
    builder()
    key = json.loads((builder.last / "results.json").read_text())["notebooks"][ALL[2]]["cache_key"]
    _plant_output(tmp_path / "cache" / f"{key}.ipynb", PLANTED_OUTPUTS[kind])
    assert builder() == [ALL[2]]                                 # executed again, not shown
    assert "alert(1)" not in (builder.last / "index.html").read_text(encoding="utf-8")


# --- cache: folders that must not hold it, and faults that must not fail a build -----------------------------

def _other_users_folder(path: Path) -> None:
    path.mkdir(mode=0o700)
    os.chown(path, 65534, 65534)


UNSAFE_FOLDERS = {   # name: (make the folder at path, or None to leave it absent; the warning's words)
    "world-writable": (lambda p: (p.mkdir(), p.chmod(0o777)), "writable by other users"),
    "group-writable": (lambda p: (p.mkdir(), p.chmod(0o770)), "writable by other users"),
    "another-users": (_other_users_folder, "belongs to another user"),
    "a-file": (lambda p: p.write_text("not a folder\n"), "cannot be created"),
}


@pytest.mark.parametrize("name", UNSAFE_FOLDERS)
def test_an_unsafe_cache_folder_is_refused_with_a_warning_and_the_build_goes_on(builder, tmp_path, monkeypatch,
                                                                                  capsys, name):
    make, words = UNSAFE_FOLDERS[name]
    if name == "another-users" and os.getuid() != 0:
        pytest.skip("making another user's folder needs root")
    folder = tmp_path / f"shared-{name}"
    make(folder)
    before = _tree(folder) if folder.is_dir() else None
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
    assert builder() == ALL and builder() == ALL                 # built, uncached
    warning = one_line(capsys.readouterr().err, "warning: execution cache", str(folder), words)
    assert "building without the cache" in warning
    assert (_tree(folder) if folder.is_dir() else None) == before


@pytest.mark.parametrize("value, words", [("", "is set but empty"), ("/proc/aws-accelerators-cache", "cannot be created")])
def test_an_unusable_cache_setting_warns_and_builds(builder, monkeypatch, capsys, tmp_path, value, words):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, value)
    monkeypatch.chdir(tmp_path)
    assert builder() == ALL
    one_line(capsys.readouterr().err, "warning: execution cache", words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out-0"]        # no cache written here, no lock left


def test_a_read_only_cache_warns_once_and_the_build_goes_on(builder, monkeypatch, capsys, tmp_path):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    builder()
    monkeypatch.setattr(checked_file.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(cache.Path, "unlink", read_only)
    entries = sorted(p.name for p in (tmp_path / "cache").glob("*.ipynb"))
    (tmp_path / "cache" / entries[0]).write_bytes(b"torn")        # a bad notebook entry it cannot remove
    assert len(builder()) == 1
    one_line(capsys.readouterr().err, "warning: cannot write to the cache folder", "Read-only file system")


def test_a_new_cache_folder_is_private_whatever_the_umask(builder, tmp_path):
    old = os.umask(0)
    try:
        builder()
    finally:
        os.umask(old)
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_a_refused_command_writes_nothing_not_even_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    assert cli.main(["run", "--out", str(tmp_path / "report"), "--set", "ai_share=2"]) == 2
    one_line(capsys.readouterr().err, "parameter 'ai_share'")
    assert list(tmp_path.iterdir()) == []


# --- the page: a Content-Security-Policy that admits only the builder's own scripts ---------------------------

def _policy(page: str) -> str:
    import html
    return html.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1))


def _hash(text: str) -> str:
    import base64
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_admits_exactly_its_own_scripts_and_style(builder):
    builder()
    page = (builder.last / "index.html").read_text(encoding="utf-8")
    policy = dict(part.strip().split(" ", 1) for part in _policy(page).split(";"))
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert policy["default-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert sorted(policy["script-src"].split()) == sorted([*map(_hash, scripts), "'unsafe-eval'"]) and len(scripts) == 2
    assert policy["style-src"].split() == [_hash(styles[0])] and len(styles) == 1
    assert "unsafe-inline" not in page.split("</head>")[0]


# --- exports: no spreadsheet formula in any CSV ---------------------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://127.0.0.1:9/x","click")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "+1+1", "\tTAB", "\rCR"]
NUMBERS = [0.1 + 0.2, -1e-300, 123456789.123456789, -0.0, 2.5e17]


def _cells(folder: Path) -> list[str]:
    return [cell for f in sorted(folder.glob("*.csv")) for row in csv.reader(f.open(encoding="utf-8", newline=""))
            for cell in row]


def _formulas(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(page.FORMULA_START) and not NUMBER.fullmatch(c)]


def test_report_csvs_neutralise_formulas_and_keep_numbers_exact(tmp_path):
    rows = [[text, number, "-5", "a - b"] for text, number in zip(PAYLOADS, NUMBERS * 2)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={report.TABLE_MIMETYPE: {"name": "hostile", "title": "=1+1", "description": "@x",
                                                      "columns": ["=label", "value", "text", "plain"], "rows": rows},
                              "text/plain": "x"})])])
    downloads = []
    report.render_notebook(nb, "nb", [], [], downloads)
    page.write_downloads(downloads, tmp_path / "data")
    assert _formulas(_cells(tmp_path / "data")) == []
    back = list(csv.reader((tmp_path / "data" / "hostile.csv").open(encoding="utf-8", newline="")))
    assert [r[0] for r in back[1:]] == ["'" + p.replace("\r", "\n") for p in PAYLOADS] and back[0][0] == "'=label"
    assert [float(r[1]) for r in back[1:]] == [r[1] for r in rows]                  # numbers round-trip exactly
    assert {r[2] for r in back[1:]} == {"-5"} and {r[3] for r in back[1:]} == {"a - b"}   # number-like text stays


@pytest.fixture(scope="module")
def hostile_compare(tmp_path_factory):
    """Two runs whose folder names are formulas, compared; (output folder, progress lines)."""
    ds = data.load_dataset()
    root = tmp_path_factory.mktemp("hostile-compare")
    a = make_run(root / "=cmd|' %0A calc'!A0", ds, {})
    b = make_run(root / "@SUM(1+1)", ds, {"utilization": 0.5, "trainium_ceiling": 0.7})
    lines = []
    out = compare.build([a, b], root / "cmp", ds, progress=lines.append)
    return out, lines


def _runs_of(hostile_compare) -> list[Path]:
    return sorted(p for p in hostile_compare[0].parent.iterdir() if (p / outdir.MARKER).is_file() and p.name != "cmp")


def test_compare_csvs_neutralise_formulas_from_run_names(hostile_compare):
    out, _ = hostile_compare
    cells = _cells(out / "data")
    assert _formulas(cells) == [] and "'@SUM(1+1)" in cells and "'=cmd|' %0A calc'!A0" in cells


def test_compare_json_is_strict_json(hostile_compare):
    def refuse(token):
        raise ValueError(f"not JSON: {token}")
    json.loads((hostile_compare[0] / "compare.json").read_text(), parse_constant=refuse)


def test_json_outputs_hold_no_nan_or_infinity():
    assert page.strict_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": {"d": None}}) == \
        json.dumps({"a": None, "b": [None, None, 1.5], "c": {"d": None}}, indent=2, sort_keys=True) + "\n"


def test_compare_tells_its_progress_one_line_per_swap(hostile_compare):
    assert hostile_compare[1] == ["@SUM(1+1): [1/2] swapping trainium_ceiling", "@SUM(1+1): [2/2] swapping utilization"]


# --- folders this tool did not write stay -------------------------------------------------------------------------

@pytest.fixture
def site(tmp_path):
    """reports/t1, a report this tool built."""
    target = tmp_path / "reports" / "t1"
    with outdir.claim(target) as staging:
        (staging / "index.html").write_text("old\n")
    return target


@pytest.mark.parametrize("name", [".t1.previous", ".t1.build-abcd1234", ".t1.build-zz_9yy00"])
def test_a_foreign_folder_named_like_a_leftover_stays(site, name):
    foreign = site.parent / name
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine\n")
    with outdir.claim(site) as staging:
        (staging / "index.html").write_text("new\n")
    assert (foreign / "thesis.tex").read_text() == "mine\n" and (site / "index.html").read_text() == "new\n"


def test_a_foreign_previous_folder_blocks_only_the_fallback_swap(site, monkeypatch):
    monkeypatch.setattr(outdir, "exchange", lambda a, b: False)
    (site.parent / ".t1.previous").mkdir()
    (site.parent / ".t1.previous" / "thesis.tex").write_text("mine\n")
    with pytest.raises(outdir.OutError, match="is in the way"), outdir.claim(site) as staging:
        (staging / "index.html").write_text("new\n")
    assert (site.parent / ".t1.previous" / "thesis.tex").read_text() == "mine\n"
    assert (site / "index.html").read_text() == "old\n"


@pytest.mark.parametrize("replace", ["with-a-foreign-folder", "with-a-file", "with-a-symlink"])
def test_a_target_replaced_during_the_build_is_left_alone(site, tmp_path, replace):
    import shutil
    with pytest.raises(outdir.OutError, match="appeared there during the build"), outdir.claim(site) as staging:
        (staging / "index.html").write_text("new\n")
        shutil.rmtree(site)
        if replace == "with-a-foreign-folder":
            site.mkdir()
            (site / "thesis.tex").write_text("mine\n")
        elif replace == "with-a-file":
            site.write_text("mine\n")
        else:
            (tmp_path / "elsewhere").mkdir()
            site.symlink_to(tmp_path / "elsewhere")
    assert sorted(p.name for p in site.parent.iterdir()) == ["t1"]
    assert site.is_symlink() or "mine" in ((site / "thesis.tex") if site.is_dir() else site).read_text()


def test_a_lock_that_is_a_symlink_is_not_followed(site, tmp_path, capsys):
    (site.parent / ".t1.lock").unlink(missing_ok=True)
    (site.parent / ".t1.lock").symlink_to(tmp_path / "victim")
    assert cli.main(["--data-dir", str(FROZEN), "run", "--out", str(site)]) == 2
    one_line(capsys.readouterr().err, ".t1.lock is a symbolic link")
    assert not (tmp_path / "victim").exists() and (site / "index.html").read_text() == "old\n"


def test_an_out_name_too_long_for_its_staging_folder_is_refused_and_leaves_no_lock(tmp_path, capsys):
    out = tmp_path / ("r" * 240)
    assert cli.main(["--data-dir", str(FROZEN), "run", "--out", str(out)]) == 2
    one_line(capsys.readouterr().err, "the folder name is too long")
    assert list(tmp_path.iterdir()) == []


def test_compare_out_in_the_cache_is_refused(hostile_compare, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    runs = [str(p) for p in _runs_of(hostile_compare)]
    assert cli.main(["compare", *runs, "--out", str(tmp_path / "cache" / "x")]) == 2
    one_line(capsys.readouterr().err, "lies inside")
    assert not (tmp_path / "cache").exists()


# --- faults: one line, the right status ----------------------------------------------------------------------

def _edit_results(run: Path, edit) -> None:
    results = json.loads((run / "results.json").read_text())
    edit(results)
    (run / "results.json").write_text(json.dumps(results))


def _first_item(results: dict) -> dict:
    return next(iter(results["results"]["portfolio"].values()))


HAND_EDITS = {   # name: (edit the copy of run B, words of the refusal)
    "deep-nesting": (lambda b: (b / "results.json").write_text("[" * 100_000 + "]" * 100_000), "nests too deep"),
    "401-digit-integer": (lambda b: _edit_results(b, lambda r: _first_item(r).update(value=10 ** 400)), "is not a report's results"),
    "string-for-a-number": (lambda b: _edit_results(b, lambda r: _first_item(r).update(value="lots")), "is not a report's results"),
    "list-for-a-number": (lambda b: _edit_results(b, lambda r: _first_item(r).update(value=[1, 2])), "is not a report's results"),
    "list-for-a-parameter": (lambda b: _edit_results(b, lambda r: r["parameters"].update(utilization=[0.5])), "parameter 'utilization'"),
    "oversized-results": (lambda b: (b / "results.json").write_bytes(b" " * (compare_input.MAX_INPUT_BYTES + 1)), "holds more than"),
    "latin-1-erosion-csv": (lambda b: (b / compare_input.BY_YEAR).write_bytes((b / compare_input.BY_YEAR).read_bytes() + "caf\u00e9\n".encode("latin-1")), "erosion table"),
    "million-row-erosion-csv": (lambda b: (b / compare_input.BY_YEAR).write_text("year,nvidia_revenue_usd_b,asic_spend_share\n" + "2030,1,0.5\n" * 1_000_000), "erosion table"),
    "text-in-erosion-csv": (lambda b: (b / compare_input.BY_YEAR).write_text("year,nvidia_revenue_usd_b,asic_spend_share\n2030,=1+1,0.5\n"), "erosion table"),
}


@pytest.mark.parametrize("name", HAND_EDITS)
def test_a_hand_edited_compare_input_is_refused_withone_line(hostile_compare, tmp_path, capsys, name):
    import shutil
    edit, words = HAND_EDITS[name]
    runs = _runs_of(hostile_compare)
    copy = tmp_path / "edited"
    shutil.copytree(runs[1], copy)
    edit(copy)
    assert cli.main(["compare", str(runs[0]), str(copy), "--out", str(tmp_path / "cmp")]) == 2
    one_line(capsys.readouterr().err, "edited", words)
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize("step", ["write_download", "write_download_index"])   # as notebooks arrive; at the end
def test_a_full_disk_during_a_build_is_one_line_and_status_1(builder, tmp_path, monkeypatch, capsys, step):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "reports"))
    monkeypatch.setattr(report, step, full)
    (tmp_path / "reports").mkdir()
    assert cli.main(["run", "--out", str(tmp_path / "reports" / "r")]) == 1
    one_line(capsys.readouterr().err, "No space left on device", "any previous report is left as it was")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == []


def _bytes_read() -> int:
    """Bytes this process has read through read(2) so far (Linux's /proc/self/io `rchar`)."""
    io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(io["rchar"])


def test_a_two_gigabyte_params_file_is_refused_without_reading_it(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(2 * 1024 ** 3)                 # sparse: no disk used
    before = _bytes_read()
    assert cli.main(["run", "--out", str(tmp_path / "r"), "--params", str(big)]) == 2
    one_line(capsys.readouterr().err, f"{2 * 1024 ** 3} bytes; a scenario file holds at most")
    assert _bytes_read() - before < 256 * 1024 ** 2    # the data, code and notebooks it digests; not the 2 GiB


def test_an_empty_params_file_is_refused_in_one_line(tmp_path, capsys):
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    assert cli.main(["run", "--out", str(tmp_path / "r"), "--params", str(empty)]) == 2
    one_line(capsys.readouterr().err, "empty.yaml: expected exactly 'description'")


def test_stdout_on_a_full_device_is_one_line_and_status_1():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "analysis", "params"], cwd=ROOT, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    one_line(result.stderr, "error: No space left on device")


@pytest.mark.kernel
def test_without_vl_convert_the_listing_commands_work_and_run_saysone_line(tmp_path):
    (tmp_path / "vl_convert.py").write_text("raise ImportError('vl_convert is broken')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    for command in (["params"], ["scenarios"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    result = run_cli("run", "--out", str(tmp_path / "r"), "--no-cache", env=env)
    assert result.returncode == 1 and not (tmp_path / "r").exists()
    one_line(result.stderr, "vl_convert is broken", "make report")


def _tiny_notebook(folder: Path, source: str) -> Path:
    path = folder / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)],
                                            metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                     "display_name": "Python 3"}}), str(path))
    return path


@pytest.mark.kernel
def test_a_killed_kernel_is_a_failed_notebook(tmp_path):
    """A kernel killed outright (it runs in its worker process, so the worker goes with it): the failure reaches the
    CLI as NotebookFailed (one line, status 1), not a traceback."""
    path = _tiny_notebook(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    with pytest.raises(NotebookFailed, match="a worker process running the notebooks ended") as failed:
        notebook_run.execute_all([notebook_run.Job(path, tmp_path / "out.ipynb", {})], workers=1)
    assert "\n" not in str(failed.value)


@pytest.mark.build
def test_a_second_sigterm_still_exits_130_withone_line(tmp_path):
    """A real build: two SIGTERMs in a row while kernels run."""
    target = tmp_path / "reports" / "r"
    process = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--out", str(target), "--no-cache"],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for_workers(process)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    one_line(err, "error: interrupted; any previous report is left as it was")
    assert not target.exists()


# --- heavy work is announced --------------------------------------------------------------------------------------

@pytest.mark.parametrize("assignments, warned", [([], False), (["mc_draws=1000000", "sobol_base_samples=65536"], True),
                                                 (["mc_draws=1000000"], True)])
def test_heavy_monte_carlo_work_is_announced_before_it_starts(tmp_path, monkeypatch, capsys, assignments, warned):
    monkeypatch.setattr(report, "build", lambda out, *args, **kwargs: out)
    sets = [arg for a in assignments for arg in ("--set", a)]
    assert cli.main(["run", "--out", str(tmp_path / "r"), *sets]) == 0
    err = capsys.readouterr().err
    assert ("warning: mc_draws=1000000" in err) is warned and len(err.splitlines()) == int(warned), err
    if warned:
        seconds = float(re.search(r"about (\d+) s", err).group(1))
        gigabytes = float(re.search(r"([\d.]+) GB of memory", err).group(1))
        assert seconds > cli.HEAVY_SECONDS or gigabytes > cli.HEAVY_BYTES / 1e9
