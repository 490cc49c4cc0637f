"""The build's fast paths (issue 28): the validated tables, the build plan and the chart images kept in the cache
folder are used only when they verify, and a build through them gives the same files, byte for byte, as one
without them."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys

import pytest
from PIL import Image

from analysis import data
from analysis.data import params
from analysis.pipeline import cache, charts, cli, report
from analysis.views import images
from analysis.views.present import EXHIBIT_MIMETYPE, VEGALITE_MIMETYPE
from tests.browser import chromium
from tests.conftest import ROOT
from tests.test_page import HEADLINE_CHARTS

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

SQUARE = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "data": {"values": [{"x": 1, "y": 2}]},
          "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def _entry(body: bytes) -> bytes:
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _files(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.build
def test_a_what_if_through_every_fast_path_is_byte_identical_to_a_build_without_them(default_build, tmp_path,
                                                                                      monkeypatch, warm):
    """Real kernels: the default build filled the cache (tables, plan, notebooks: the session's default report,
    whose cache is copied here; the brief's chart images are the committed notebooks', so none was drawn or kept); a
    what-if then executes one notebook and draws no image it has; a build of the same what-if with use_cache=False
    (its own empty cache) must give the same bytes in every file, the notebooks with papermill's injected cell
    included."""
    shutil.copytree(default_build["cache"], tmp_path / "cache")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    ds = data.load_dataset()
    schema = params.schema(ds)
    stored_charts = set((tmp_path / "cache" / "charts").glob("*"))
    assert stored_charts == set()
    assert cache.stored_tables(ds.version) and cache.stored_plan(ds.version)
    planned = report.plan(ds, schema)
    name = next(n for n, p in schema.items() if p.type == "float" and p.default < p.maximum
                and sum(n in s.parameters for s in planned) == 1)
    what_if = params.resolve({name: (schema[name].default + schema[name].maximum) / 2}, ds)
    lines: list[str] = []
    fast = report.build(tmp_path / "fast", what_if, schema, ds, progress=lines.append, workers=warm())
    assert sum(" executed " in line for line in lines) == 1
    assert len(set((tmp_path / "cache" / "charts").glob("*")) - stored_charts) <= HEADLINE_CHARTS
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "other-cache"))
    slow = report.build(tmp_path / "slow", what_if, schema, ds, use_cache=False)        # fresh kernels
    assert not (tmp_path / "other-cache" / "charts").exists()          # --no-cache keeps no image
    fast_files, slow_files = _files(fast), _files(slow)
    assert sorted(fast_files) == sorted(slow_files)
    assert [name for name in fast_files if fast_files[name] != slow_files[name]] == []


def test_stored_tables_are_read_only_if_every_cell_equals_its_file(tmp_path, monkeypatch):
    ds = data.load_dataset()
    genuine = data.snapshot(ds)
    forged = data.snapshot(data.Dataset(tables={**ds.tables, "financials": ds.tables["financials"].assign(
        value=ds.tables["financials"]["value"] * 10)}, version=ds.version, directory=ds.directory))
    validated: list[str] = []
    from analysis.data import validation
    real_validate = validation.validate
    monkeypatch.setattr(validation, "validate", lambda directory: validated.append("x") or real_validate(directory))
    for body, validates in ((genuine, False), (forged, True), (b"not arrow", True)):
        data.forget_loaded()
        validated.clear()
        loaded = data.load_dataset(stored=lambda version, body=body: body)
        assert bool(validated) is validates
        assert loaded["financials"]["value"].equals(ds.tables["financials"]["value"])
    data.forget_loaded()


def test_run_reads_a_forged_tables_entry_under_its_own_key_and_refuses_it(tmp_path, monkeypatch):
    """The entry sits exactly where `run` looks (its key, an intact checksum), and still changes no number."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir(mode=0o700)
    ds = data.load_dataset()
    forged = data.snapshot(data.Dataset(tables={**ds.tables, "financials": ds.tables["financials"].assign(
        value=ds.tables["financials"]["value"] * 10)}, version=ds.version, directory=ds.directory))
    (tmp_path / "cache" / f"{cache._data_key('tables', ds.version)}.arrow").write_bytes(_entry(forged))
    assert cache.stored_tables(ds.version) == forged
    seen = []
    monkeypatch.setattr(report, "build", lambda out, values, schema, dataset, **kw: seen.append(dataset) or out)
    data.forget_loaded()
    assert cli.main(["run", "--out", str(tmp_path / "report")]) == 0
    data.forget_loaded()
    assert seen[0]["financials"]["value"].equals(ds.tables["financials"]["value"])


def test_a_plan_that_does_not_fit_the_notebooks_and_schema_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    ds = data.load_dataset()
    schema = params.schema(ds)
    right = report.plan(ds, schema)
    for wrong in ([{**vars(p), "parameters": list(p.parameters)} for p in right[1:]],             # a notebook left out
                  [{**vars(p), "parameters": ["no_such_parameter"]} for p in right],
                  [{"notebook": p.notebook} for p in right], "not a list"):
        cache.store_plan(ds.version, wrong)             # type: ignore[arg-type]
        assert report.plan(ds, schema) == right
        assert report.plan(ds, schema) == right         # and the stored plan was replaced


def test_a_chart_image_is_reused_only_if_it_is_an_intact_palette_png(tmp_path):
    rendered: list[dict] = []

    def render(spec):
        rendered.append(spec)
        return images.render_png(spec)
    png = charts.remembered(tmp_path, "salt", SQUARE, render)
    assert charts.remembered(tmp_path, "salt", SQUARE, render) == png and len(rendered) == 1
    assert charts.remembered(tmp_path, "other code", SQUARE, render) == png and len(rendered) == 2
    (entry,) = [p for p in tmp_path.iterdir() if p.read_bytes().partition(b"\n")[2] == png][:1]
    for planted in (b"<svg onload=alert(1)></svg>", png[:40], b"\x89PNG\r\n\x1a\n" + b"\0" * 64):
        entry.write_bytes(_entry(planted))
        assert charts.remembered(tmp_path, "salt", SQUARE, render) == png
    assert len(rendered) == 5


def _notebook_with(*outputs: dict) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "outputs": list(outputs)}]})


def test_a_committed_image_is_taken_only_for_its_own_spec_and_only_if_it_is_an_intact_palette_png(tmp_path,
                                                                                                   monkeypatch):
    rendered: list[dict] = []

    def render(spec):
        rendered.append(spec)
        return images.render_png(spec)
    monkeypatch.setattr(charts, "render_png", render)
    square = images.render_png(SQUARE)
    shown = {"output_type": "display_data", "data": {VEGALITE_MIMETYPE: SQUARE,
                                                     "image/png": base64.b64encode(square).decode()}}
    notebook = tmp_path / "committed.ipynb"
    notebook.write_text(_notebook_with(shown))
    committed = charts.committed_images(notebook, VEGALITE_MIMETYPE)
    without_schema = {k: v for k, v in SQUARE.items() if k != "$schema"}
    assert charts.png(without_schema, None, "salt", committed) == square and rendered == []
    other = {**without_schema, "mark": "circle"}
    assert charts.png(other, None, "salt", committed) != square and rendered == [other]
    for planted in (b"<svg onload=alert(1)></svg>", square[:40], images.render_png(other)[:-1],
                    Image.new("RGBA", (4, 4)).tobytes()):
        notebook.write_text(_notebook_with({"data": {VEGALITE_MIMETYPE: SQUARE,
                                                     "image/png": base64.b64encode(planted).decode()}}))
        assert charts.committed_images(notebook, VEGALITE_MIMETYPE) == {}
    for broken in ("not json", "[1, 2]", '{"cells": 3}', '{"cells": [{"outputs": [{"data": {"image/png": 5}}]}]}',
                   _notebook_with({"data": {VEGALITE_MIMETYPE: SQUARE, "image/png": "***"}})):
        notebook.write_text(broken)
        assert charts.committed_images(notebook, VEGALITE_MIMETYPE) == {}
    assert charts.committed_images(tmp_path / "missing.ipynb", VEGALITE_MIMETYPE) == {}


def test_the_committed_images_the_brief_can_take_are_the_images_of_their_specs():
    """The brief takes a committed notebook's image for a chart with the same spec (`charts.committed_images`), so
    each such image must be what `images.render_png` draws of its spec today: a change of the drawing without
    `python -m analysis notebooks --redraw` fails here (`make notebooks` keeps the image of an unchanged spec). The
    images were drawn with the fonts Debian's chromium package installs."""
    chromium()
    for notebook in report.notebook_paths(report.NOTEBOOK_DIR):
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        shown = [o["data"] for c in nb["cells"] for o in c.get("outputs", [])
                 if VEGALITE_MIMETYPE in o.get("data", {}) and o["data"][EXHIBIT_MIMETYPE]["headline"]]
        committed = charts.committed_images(notebook, VEGALITE_MIMETYPE)
        assert len(committed) >= len(shown)
        for output in shown:
            spec = output[VEGALITE_MIMETYPE]
            assert committed[charts.spec_digest(spec)] == images.render_png(
                {k: v for k, v in spec.items() if k != "$schema"}), f"{notebook.name}: notebooks --redraw"


def test_an_unchanged_run_imports_neither_the_sections_nor_papermill_nor_pandera(tmp_path, monkeypatch):
    """The cache holds the tables, the plan and every notebook (the committed ones, stored under their keys): the
    run reuses them all without importing what only executing or validating needs."""
    import os
    import subprocess

    import nbformat
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    ds = data.load_dataset()
    schema, values = params.schema(ds), params.resolve({}, ds)
    code, inputs = cache.code_digest(), cache.inputs_digest()
    cache.store_tables(ds.version, data.snapshot(ds))
    for planned in report.plan(ds, schema):
        path = report.NOTEBOOK_DIR / planned.notebook
        key = cache.notebook_key(path, {k: values[k] for k in planned.parameters}, ds.version, code, inputs)
        cache.store(key, nbformat.writes(cache.record_key(nbformat.read(str(path), as_version=4), key)).encode())
    probe = ("import json, sys; from analysis.pipeline import cli; status = cli.main(['run', '--out', sys.argv[1]]); "
             "print(status, json.dumps(sorted(m for m in ('altair', 'scipy', 'papermill', 'pandera', "
             "'analysis.sections') if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "out")], capture_output=True, text=True,
                            cwd=ROOT, env=dict(os.environ))
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_listing_commands_read_the_tables_a_build_kept_instead_of_validating(tmp_path, monkeypatch):
    """`params` and `scenarios` read the validated tables the cache keeps (verified against the files), so they do
    not import pandera; with no stored tables they validate, without importing hypothesis (which pandera's
    data-synthesis strategies would import: `validation._load_pandera_checks_without_hypothesis`)."""
    import os
    import subprocess
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    probe = ("import json, sys; from analysis.pipeline import cli; status = cli.main([sys.argv[1]]); "
             "print(status, 'pandera' in sys.modules, 'hypothesis' in sys.modules)")

    def imports_pandera(command: str) -> bool:
        result = subprocess.run([sys.executable, "-c", probe, command], capture_output=True, text=True, cwd=ROOT,
                                env=dict(os.environ))
        status, imported, hypothesis = result.stdout.strip().splitlines()[-1].split()
        assert status == "0" and hypothesis == "False", result.stderr
        return imported == "True"
    assert imports_pandera("params")
    ds = data.load_dataset()
    cache.store_tables(ds.version, data.snapshot(ds))
    assert not imports_pandera("scenarios")
