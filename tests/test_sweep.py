"""`sweep`: sets through the section functions, the same table on every executor, failures isolated, bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.pipeline import attribution, cli, sweep, sweep_executor, sweep_spec
from analysis.data import params

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

GRID = """description: A small grid for tests
sections: [erosion]
fixed: {mc_draws: 1000}
grid:
  trainium_ceiling: [0.3, 0.6]
  capex_growth_scale: [0.8, 1.0, 1.2]
"""


def _file(tmp_path, text, name="grid.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_set_gives_the_numbers_compare_computes_and_batches_do_not_matter(tmp_path, ds):
    s = sweep_spec.load(_file(tmp_path, GRID), ds)
    assert len(s.sets) == 6 and s.names == ("trainium_ceiling", "capex_growth_scale")
    one_by_one = sweep_executor.table(s, sweep_executor.run(s, ds, workers=1, batch=1))
    together = sweep_executor.table(s, sweep_executor.run(s, ds, workers=1, batch=4))
    assert one_by_one.equals(together)
    expected = attribution.section_values(ds, params.schema(ds), s.sets[5], attribution.section_parameters(ds), ("erosion",))
    row = together.iloc[5]
    assert row["trainium_ceiling"] == 0.6 and row["capex_growth_scale"] == 1.2 and row["status"] == "ok"
    assert all(row[f"erosion.{k}"] == v if v is not None else pd.isna(row[f"erosion.{k}"])
               for k, v in expected["erosion"].items())


def test_the_table_is_identical_on_a_process_pool_and_on_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    grid = _file(tmp_path, GRID)
    assert cli.main(["sweep", str(grid), "--out", str(tmp_path / "pool"), "--workers", "2"]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        assert cli.main(["sweep", str(grid), "--out", str(tmp_path / "dask"), "--executor", address]) == 0
    pool, dask = ((tmp_path / name / "sweep.csv").read_bytes() for name in ("pool", "dask"))
    assert pool == dask and pool.count(b"\n") == 7
    assert sorted(p.name for p in (tmp_path / "pool" / "charts").iterdir()) == sorted(
        f"erosion.{key}-{chart}.svg" for key in ("asic_share_of_spend_long_term", "nvidia_revenue_long_term")
        for chart in ("by-trainium_ceiling", "by-capex_growth_scale", "surface"))


def test_a_failing_set_is_reported_and_the_others_run(tmp_path, ds):
    text = """description: Contract mix, one combination refused by the schema's rule
sections: [portfolio]
grid:
  on_demand_usage_share: [0.3, 0.9]
  capacity_block_usage_share: [0.05, 0.5]
"""
    s = sweep_spec.load(_file(tmp_path, text), ds)
    frame = sweep_executor.table(s, sweep_executor.run(s, ds, workers=1))
    assert list(frame["status"]) == ["ok", "ok", "ok", "failed"]
    assert frame.loc[3, "error"].startswith("ParameterError: ") and "must not exceed 1" in frame.loc[3, "error"]
    assert frame.loc[:2, "portfolio.npv_bought_at_launch"].notna().all() and pd.isna(frame.loc[3, "portfolio.npv_bought_at_launch"])


def test_a_sample_is_seeded_and_stays_in_its_ranges(tmp_path, ds):
    text = """description: A sample
sections: [erosion]
sample:
  n: 50
  seed: 3
  ranges: {trainium_ceiling: [0.3, 0.7], trainium_takeover: [2, 9]}
"""
    first, again = (sweep_spec.load(_file(tmp_path, text), ds) for _ in range(2))
    assert list(first.sets) == list(again.sets) and len(first.sets) == 50
    ceilings = [v["trainium_ceiling"] for v in first.sets]
    assert all(0.3 <= c <= 0.7 for c in ceilings) and len(set(ceilings)) == 50


@pytest.mark.parametrize("text, args, culprit", [
    (None, [], "no such file"),
    ("description: x\ngrid: &a {trainium_ceiling: [0.3]}\n", [], "an anchor (&) is not allowed"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\nextra: 1\n", [], "unknown key 'extra'"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\nsample: {n: 1, seed: 1, ranges: {}}\n", [], "exactly one of 'grid' and 'sample'"),
    ("description: x\ngrid: {trainium_ceiling: [0.3, 7]}\n", [], "trainium_ceiling"),
    ("description: x\ngrid: {trainium_ceilin: [0.3]}\n", [], "unknown parameter 'trainium_ceilin'"),
    ("description: x\ngrid: {trainium_ceiling: []}\n", [], "grid.trainium_ceiling: expected a non-empty list"),
    ("description: x\nsample: {n: 5, seed: 1, ranges: {trainium_ceiling: [0.7, 0.3]}}\n", [], "low < high"),
    ("description: x\nsample: {n: 0, seed: 1, ranges: {trainium_ceiling: [0.3, 0.7]}}\n", [], "sample.n"),
    ("description: x\nsample: {n: 5, seed: 1, ranges: {capex_outlook_vintage: [1, 2]}}\n", [], "capex_outlook_vintage"),
    ("description: x\nsections: [nope]\ngrid: {trainium_ceiling: [0.3]}\n", [], "sections:"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\ncharts: [nope.x]\n", [], "charts:"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\n", ["--executor", "spark://h:1"], "--executor 'spark://h:1'"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\n", ["--workers", "0"], "--workers 0"),
    ("description: x\ngrid: {trainium_ceiling: [0.3]}\n", ["--executor", "dask://127.0.0.1:9"], "cannot connect"),
])
def test_bad_sweep_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch, text, args, culprit):
    monkeypatch.setattr(sweep_executor, "SCHEDULER_TIMEOUT", "0.5s")   # a refused connection is retried until then
    path = tmp_path / "grid.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and culprit in err, err
    assert not out.exists()


@pytest.mark.browser
def test_the_sweep_page_draws_every_chart_with_marks_and_titled_from_the_data(tmp_path, ds):
    """The page of a two-parameter grid: its charts (each headline against each parameter, and the heat map) are
    drawn in a browser with marks (headline keys hold dots, which Vega-Lite would read as nested fields and draw
    nothing), under the report's style sheet and Content-Security-Policy, with no request and no error."""
    s = sweep_spec.load(_file(tmp_path, GRID), ds)
    frame = sweep_executor.table(s, sweep_executor.run(s, ds, workers=1))
    out = sweep.write(tmp_path / "sw", s, frame, {"data_version": ds.version})
    specs = sweep.response_charts(s, frame)
    assert len(specs) == 6
    for spec in specs.values():
        fields = {v["field"] for v in spec["encoding"].values() if isinstance(v, dict) and "field" in v}
        assert not any("." in f for f in fields), fields
        title = spec["title"]["text"]
        assert "erosion." in title and not title.startswith("Highest")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "font: 16px/1.5 system-ui" in page
    from tests.browser import drawn_marks, offline_page
    with offline_page(viewport={"width": 1366, "height": 768}) as offline:
        offline.page.goto((out / "index.html").as_uri(), wait_until="load")
        marks = drawn_marks(offline)        # data marks only: a legend's symbols do not count
        legends = offline.page.evaluate("Array.from(document.querySelectorAll('svg.marks g.role-legend')).map(g => g.textContent)")
        font = offline.page.evaluate("getComputedStyle(document.body).fontFamily")
        offline.page.screenshot(path=str(tmp_path / "sweep.png"), full_page=True)
    assert len(marks) == 6 and all(n > 0 for n in marks), marks
    assert legends and not any("NaN" in text for text in legends), legends
    assert "serif" not in font.replace("sans-serif", "")
    assert offline.blocked == [] and offline.errors == []


def test_sets_computed_on_a_kept_dataset_with_kept_sections_give_each_sets_own_numbers(tmp_path, ds, monkeypatch):
    """A worker keeps its Dataset object (renewed every RENEW_AFTER sets) and its latest section results: every row
    still equals that set's headlines computed alone on a fresh dataset. Small limits make the worker renew its
    dataset and drop section results within the sweep; the sample moves forecast inputs only, so the portfolio's
    numbers come from the kept results."""
    from analysis import data

    monkeypatch.setattr(sweep_executor, "RENEW_AFTER", 3)
    monkeypatch.setattr(sweep_executor, "KEEP_SECTIONS", 2)
    monkeypatch.setattr(sweep_executor, "_WORKER", sweep_executor._Worker())
    text = """description: All attributed sections
fixed: {mc_draws: 1000}
sample:
  n: 5
  seed: 5
  ranges: {trainium_ceiling: [0.3, 0.7], capex_growth_scale: [0.8, 1.2]}
"""
    s = sweep_spec.load(_file(tmp_path, text), ds)
    frame = sweep_executor.table(s, sweep_executor.run(s, ds, workers=1, batch=2))
    assert list(frame["status"]) == ["ok"] * 5
    fresh = data.Dataset(ds.tables, ds.version, ds.directory)          # no memo of the sweep's
    for i in range(5):
        alone = attribution.section_values(fresh, params.schema(fresh), s.sets[i], attribution.section_parameters(fresh))
        expected = {f"{name}.{k}": v for name, items in alone.items() for k, v in items.items()}
        row = frame.iloc[i]
        assert set(expected) <= set(frame.columns)
        assert all(row[k] == v if v is not None else pd.isna(row[k]) for k, v in expected.items()), i
