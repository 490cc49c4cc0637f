"""The execution cache: what invalidates an entry, what does not, and that a cached build equals a fresh one.

Most tests replace the kernels by a stand-in that "executes" a notebook by copying it (with its cache key), so that
they can observe which notebooks a build executes; one test runs real kernels and compares a fresh and a cached build.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import data
from analysis.pipeline import cache, cli, report
from analysis.data import params, scenarios
from analysis.pipeline.runner import declared_parameters, notebook_paths
from tests.conftest import ROOT

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not


def _keys(out: Path) -> dict:
    return {name: entry["cache_key"] for name, entry in json.loads((out / "results.json").read_text())["notebooks"].items()}


ALL = [path.name for path in notebook_paths()]


def test_unchanged_inputs_reuse_every_notebook_and_the_key_is_recorded(builder):
    assert builder() == ALL
    first = builder.last
    assert builder() == []
    keys = _keys(builder.last)
    assert keys == _keys(first) and sorted(keys) == ALL and len(set(keys.values())) == len(ALL)
    for name, key in keys.items():
        assert nbformat.read(str(builder.last / "notebooks" / name), as_version=4).metadata["analysis"]["cache_key"] == key


def test_a_declared_parameter_invalidates_only_the_notebooks_that_declare_it(builder):
    declared = {path.name: declared_parameters(path) for path in notebook_paths()}
    name = next(n for n in params.schema() if sum(n in d for d in declared.values()) == 1
                and params.schema()[n].type == "float")
    owner = next(nb for nb, names in declared.items() if name in names)
    p = params.schema()[name]
    builder()
    before = _keys(builder.last)
    assert builder({name: (p.default + p.maximum) / 2}) == [owner]        # undeclared elsewhere: the rest is reused
    after = _keys(builder.last)
    assert [nb for nb in ALL if before[nb] != after[nb]] == [owner]


def test_a_changed_notebook_source_invalidates_that_notebook(builder, tmp_path, monkeypatch):
    copies = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", copies)
    monkeypatch.setattr(report, "NOTEBOOK_DIR", copies)
    builder()
    edited = copies / ALL[1]
    nb = nbformat.read(str(edited), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more sentence."))
    nbformat.write(nb, str(edited))
    assert builder() == [ALL[1]]


def test_a_new_data_version_invalidates_every_notebook(builder, data_copy):
    builder()
    manifest = data_copy / data.MANIFEST
    manifest.write_text("".join(reversed(manifest.read_text().splitlines(keepends=True))))   # same data, new version
    moved = data.load_dataset(data_copy)
    assert moved.version != data.load_dataset().version
    assert builder(dataset=moved) == ALL


def test_changed_analysis_code_invalidates_every_notebook(builder, tmp_path, monkeypatch):
    package = tmp_path / "analysis"
    shutil.copytree(ROOT / "analysis", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    builder()
    assert builder() == []
    with (package / "erosion.py").open("a") as handle:
        handle.write("\nLATER = 1\n")
    assert builder() == ALL


def test_a_changed_scenario_file_invalidates_every_notebook(builder, tmp_path, monkeypatch):
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    monkeypatch.setenv(scenarios.SCENARIO_DIR_ENV, str(folder))
    builder()
    first = folder / f"{scenarios.names(folder)[0]}.yaml"
    first.write_text(first.read_text().replace("description:", "description: Edited.", 1))
    assert builder() == ALL


def test_corrupt_or_foreign_entries_are_never_used(builder, tmp_path):
    builder()
    keys = _keys(builder.last)
    entry = {name: tmp_path / "cache" / f"{key}.ipynb" for name, key in keys.items()}
    truncated = entry[ALL[0]].read_bytes()
    entry[ALL[0]].write_bytes(truncated[: len(truncated) // 2])                      # a partial write
    flipped = bytearray(entry[ALL[1]].read_bytes())
    flipped[-10] ^= 1
    entry[ALL[1]].write_bytes(bytes(flipped))                                         # a changed byte
    shutil.copy(entry[ALL[3]], entry[ALL[2]])                    # intact, but another notebook's result
    body = b'{"not": "a notebook"}'
    entry[ALL[4]].write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)  # intact, not a notebook
    assert builder() == [ALL[0], ALL[1], ALL[2], ALL[4]]
    assert builder() == []                                                            # and they were repaired


def test_a_failed_cache_write_leaves_no_entry_and_no_partial_file(tmp_path, monkeypatch):
    def full_disk(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(cache.os, "fsync", full_disk)
    cache.store("k" * 64, b"{}", tmp_path)
    assert list(tmp_path.iterdir()) == [] and cache.load("k" * 64, tmp_path) is None


def test_no_cache_executes_every_notebook(builder):
    builder()
    assert builder(use_cache=False) == ALL
    assert builder() == []


def test_run_no_cache_option(builder, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(report, "build", lambda out, *args, **kwargs: seen.append(kwargs["use_cache"]) or out)
    assert cli.main(["run", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["run", "--out", str(tmp_path / "b"), "--no-cache"]) == 0
    assert seen == [True, False]


def test_progress_has_one_line_per_notebook(builder):
    builder()
    lines = []
    builder({"utilization": 0.5}, progress=lines.append)
    assert len(lines) == len(ALL) and [line.split()[0] for line in lines] == [f"[{i}/{len(ALL)}]" for i in range(1, len(ALL) + 1)]
    declaring = {path.name for path in notebook_paths() if "utilization" in declared_parameters(path)}
    assert {line.split()[1] for line in lines if " executed " in line} == declaring
    assert {line.split()[1] for line in lines if " reused from the cache " in line} == set(ALL) - declaring


@pytest.mark.build
def test_a_cached_build_is_byte_identical_to_a_fresh_one(default_build, tmp_path, monkeypatch):
    """Real kernels: the session's default report was built with an empty cache (it executed every notebook); a
    build into a copy of the cache it filled executes nothing, and every file is compared."""
    shutil.copytree(default_build["cache"], tmp_path / "cache")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    ds = data.load_dataset()
    lines = []
    fresh = default_build["out"]
    cached = report.build(tmp_path / "cached", params.resolve({}, ds), params.schema(ds), ds, progress=lines.append)
    assert [" executed " in line for line in default_build["progress"] + lines] == [True] * len(ALL) + [False] * len(ALL)
    files = sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(cached)) for p in cached.rglob("*") if p.is_file())
    assert {"index.html", "results.json", f"notebooks/{ALL[0]}", "data/index.csv"} <= set(files)
    for name in files:
        assert (cached / name).read_bytes() == (fresh / name).read_bytes(), name


def test_importing_analysis_keeps_jsonschema_from_compiling_iri_grammars():
    probe = "import analysis, jsonschema, nbformat, altair, sys; print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


def test_a_report_cannot_be_written_into_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    assert cli.main(["run", "--out", str(tmp_path / "cache" / "report")]) == 2
    assert f"lies inside {tmp_path / 'cache'}" in capsys.readouterr().err
    assert list((tmp_path / "cache").iterdir()) == []
