"""`python -m analysis compare`: bad input, the attribution of each headline difference, and the offline page.

Report folders are made here from the section functions themselves (what a report's notebooks publish), which
takes seconds instead of a full build per run.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analysis import data
from analysis.pipeline import attribution, cli, compare, compare_input, front, outdir
from analysis.data import params
from analysis.models import forecast_result, outlook
from analysis.sections import erosion_text, portfolio_text, summary
from analysis.pipeline.runner import NOTEBOOK_DIR, declared_parameters, notebook_paths
from tests.browser import drawn_marks, offline_page
from tests.conftest import one_line, run_cli

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


def make_run(folder: Path, ds, overrides: dict, version: str | None = None) -> Path:
    """A report folder as `run` writes it (marker, results.json, data/erosion_by_year.csv), from the sections'
    functions at `overrides`."""
    schema = params.schema(ds)
    p = params.resolve(overrides, ds)
    result = outlook.run(ds, p, schema, sensitivity=False)
    sections = {"erosion": erosion_text.headlines(result), "summary": summary.key_findings(ds, p, schema, result).items,
                "portfolio": portfolio_text.headline_results(ds, p)}
    used = set().union(*(declared_parameters(path) for path in notebook_paths()))
    results = {"as_of": p["as_of"], "data_version": version or ds.version, "scenario": None,
               "parameters": {n: p[n] for n in sorted(used)},
               "results": {s: {i.key: {"label": i.label, "value": i.value, "unit": i.unit} for i in items}
                           for s, items in sections.items()},
               "verdict": summary.compute_answer(ds, p, schema, result).verdict.as_dict()}
    (folder / "data").mkdir(parents=True)
    (folder / outdir.MARKER).write_text("test\n")
    (folder / "results.json").write_text(json.dumps(results))
    forecast_result.by_year(result).to_csv(folder / "data" / "erosion_by_year.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, ds):
    """A: the defaults; B: two erosion inputs and one landlord input changed."""
    root = tmp_path_factory.mktemp("runs")
    a = make_run(root / "A", ds, {})
    b = make_run(root / "B", ds, {"trainium_ceiling": 0.7, "accelerator_share_change": 1.2, "utilization": 0.5})
    return a, b


def _fails(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_input_exits_2_with_one_line(tmp_path, runs, capsys):
    """In-process (`main`'s return value is the exit status); test_runs_on_different_data_versions_are_refused
    runs a refusal in a real process."""
    a, b = runs
    out = str(tmp_path / "cmp")

    def fails(args, *words):
        assert cli.main(["compare", *args]) == 2
        one_line(capsys.readouterr().err, *words)
    fails([str(a), str(tmp_path / "missing"), "--out", out], "missing", "no such folder")
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    fails([str(a), str(unrelated), "--out", out], "unrelated", "not a report folder")
    marker_only = tmp_path / "marker-only"
    marker_only.mkdir()
    (marker_only / outdir.MARKER).write_text("x")
    fails([str(a), str(marker_only), "--out", out], "marker-only", "not a report folder")
    bad_results = tmp_path / "bad-results"
    bad_results.mkdir()
    (bad_results / outdir.MARKER).write_text("x")
    (bad_results / "results.json").write_text(json.dumps({"data_version": "x", "parameters": {}, "results": {"s": {"k": 1}}}))
    fails([str(a), str(bad_results), "--out", out], "bad-results", "not a report's results")
    fails([str(a), "--out", out], "at least two", "got 1")
    fails([str(a), str(b), "--out", str(a)], "one of the reports being compared")
    assert not (tmp_path / "cmp").exists()


def test_runs_on_different_data_versions_are_refused(tmp_path, runs, ds):
    other = tmp_path / "other"
    other.mkdir()
    for item in runs[1].iterdir():
        (other / item.name).symlink_to(item)
    results = json.loads((runs[1] / "results.json").read_text())
    (other / "results.json").unlink()
    (other / "results.json").write_text(json.dumps({**results, "data_version": "0" * 16}))
    result = run_cli("compare", str(runs[0]), str(other), "--out", str(tmp_path / "cmp"))
    _fails(result, "different data versions", ds.version, "0" * 16)


def test_differing_parameters_are_exactly_the_changed_ones(runs):
    loaded = [compare_input.load_run(r) for r in runs]
    assert compare.differing_parameters(loaded) == ["accelerator_share_change", "trainium_ceiling", "utilization"]


def test_each_part_is_the_change_from_swapping_that_parameter_alone(runs, ds):
    schema = params.schema(ds)
    a, b = (compare_input.load_run(r) for r in runs)
    names = compare.differing_parameters([a, b])
    at = attribution.attribute(ds, schema, a, b, names)
    assert at["check"] == [] and at["refused"] == {}
    defaults = params.resolve({}, ds)
    base = outlook.run(ds, defaults, schema, sensitivity=False).summary.total("nvidia_revenue", (2027, 2030))
    for name in ("trainium_ceiling", "accelerator_share_change"):
        alone = outlook.run(ds, params.resolve({name: b.parameters[name]}, ds), schema, sensitivity=False)
        part = at["explained"]["erosion.nvidia_revenue_long_term"]["parameters"][name]
        assert part == pytest.approx(alone.summary.total("nvidia_revenue", (2027, 2030)) - base) and part != 0
    # utilization is no input of the outlook, but moves the landlord's NPV
    assert at["explained"]["erosion.nvidia_revenue_long_term"]["parameters"]["utilization"] == 0
    npv = at["explained"]["portfolio.npv_bought_at_cut"]
    assert npv["parameters"]["utilization"] < 0 and npv["parameters"]["trainium_ceiling"] == 0
    for found in at["explained"].values():      # parts + interaction add up to the change between the reports
        if found["total"] is not None:
            assert sum(found["parameters"].values()) + found["interaction"] == pytest.approx(found["total"], abs=1e-9)
    stored = json.loads((runs[1] / "results.json").read_text())["results"]["erosion"]["nvidia_revenue_long_term"]["value"]
    first = json.loads((runs[0] / "results.json").read_text())["results"]["erosion"]["nvidia_revenue_long_term"]["value"]
    assert at["explained"]["erosion.nvidia_revenue_long_term"]["total"] == pytest.approx(stored - first)


def test_one_parameter_leaves_no_interaction_and_an_edited_report_is_flagged(tmp_path, runs, ds):
    b = tmp_path / "B"
    make_run(b, ds, {"trainium_ceiling": 0.6})
    results = json.loads((b / "results.json").read_text())
    results["results"]["portfolio"]["irr_bought_at_launch"]["value"] += 0.01
    (b / "results.json").write_text(json.dumps(results))
    a, b = compare_input.load_run(runs[0]), compare_input.load_run(b)
    at = attribution.attribute(ds, params.schema(ds), a, b, compare.differing_parameters([a, b]))
    assert at["parameters"] == ["trainium_ceiling"]
    assert all(abs(f["interaction"]) <= 1e-9 * max(1, abs(f["total"])) for f in at["explained"].values() if f["total"] is not None)
    assert at["check"] == ["B: portfolio.irr_bought_at_launch"]


def test_fmt_change_signs_and_units():
    assert compare.fmt_change(-2.5, "USD_billion") == "-$2.5B"
    assert compare.fmt_change(0.034, "fraction") == "+3.4 pp"
    assert compare.fmt_change(None, "fraction") == "n/a"
    assert compare.fmt_change(-0.00001, "fraction") == "0.0 pp"


@pytest.fixture(scope="module")
def page(tmp_path_factory, runs):
    out = tmp_path_factory.mktemp("compare") / "cmp"
    result = run_cli("compare", *map(str, runs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_page_shows_parameters_numbers_and_explanations(page, runs):
    html = (page / "index.html").read_text(encoding="utf-8")
    saved = json.loads((page / "compare.json").read_text())
    assert saved["differing_parameters"] == ["accelerator_share_change", "trainium_ceiling", "utilization"]
    assert "<code>trainium_ceiling</code>" in html and "Why the numbers differ" in html
    explained = saved["attribution"][0]["explained"]["erosion.nvidia_revenue_long_term"]
    assert compare.fmt_change(explained["total"], "USD_billion") in html
    assert compare.fmt_change(explained["parameters"]["trainium_ceiling"], "USD_billion") in html
    assert not re.search(r"<script[^>]+src=", html) and "cdn." not in html.lower()
    listed = (page / "data" / "index.csv").read_text()
    assert "Nvidia revenue from AWS by year, each run" in listed and "Landlord NPV per H100" in listed


@pytest.mark.browser
def test_page_renders_offline_with_every_chart(page):
    with offline_page() as off:
        off.page.goto((page / "index.html").as_uri())
        marks = drawn_marks(off)
        assert len(marks) == 4 and all(n > 0 for n in marks), marks
        assert off.errors == [] and off.blocked == []


@pytest.mark.browser
def test_attribution_is_readable_without_sideways_scroll_at_desktop_width(page):
    with offline_page(viewport={"width": 1366, "height": 768}) as off:
        off.page.goto((page / "index.html").as_uri())
        found = off.page.evaluate("""() => ({
            tables: document.querySelectorAll('#why table.explain').length,
            cut: Array.from(document.querySelectorAll('#why table.explain td, #why table.explain th'))
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).length,
            wide: Array.from(document.querySelectorAll('#why *')).filter(e => e.scrollWidth > e.clientWidth + 1
                && getComputedStyle(e).overflowX !== 'visible').length,
            page: document.documentElement.scrollWidth})""")
    assert found["tables"] >= 1 and found["cut"] == 0 and found["wide"] == 0 and found["page"] <= 1366, found


def test_a_label_that_names_a_run_value_reads_the_same_for_every_run():
    labels = ["Margin per sold GPU-hour at 70.0% utilization, 2023Q3 case", "Margin per sold GPU-hour at 50.0% utilization, 2023Q3 case"]
    assert compare.shared_label(labels) == "Margin per sold GPU-hour at … (differs by run) utilization, 2023Q3 case"
    assert compare.shared_label(labels[:1] * 2) == labels[0]


def test_section_parameters_come_from_the_section_registry(ds):
    declared = attribution.section_parameters(ds)
    assert declared["portfolio"] == set(declared_parameters(NOTEBOOK_DIR / "02_portfolio.ipynb"))
    assert set(declared) == {"summary", "portfolio", "erosion"}
    assert "utilization" in declared["portfolio"] and "utilization" not in declared["erosion"]


def test_runs_on_two_data_versions_split_into_the_data_change_and_each_parameter(tmp_path, runs, ds, capsys):
    """A refresh (the fixture's newer Epoch export) between A and B: the data change is one part, each parameter is
    swapped on B's data, and the parts add up; without the old data folder compare refuses."""
    import shutil

    from analysis.pipeline import cli, refresh
    from tests.conftest import DATA
    from tests.test_refresh import NEWER
    new_dir = tmp_path / "data"
    shutil.copytree(DATA, new_dir)
    refresh.refresh(NEWER, new_dir, accept=True)
    new = data.load_dataset(new_dir)
    b = make_run(tmp_path / "B", new, {"trainium_ceiling": 0.6})
    a, b_run = compare_input.load_run(runs[0]), compare_input.load_run(b)
    at = attribution.attribute(ds, params.schema(ds), a, b_run, compare.differing_parameters([a, b_run]), new)
    change = f"data {ds.version} -> {new.version}"
    assert at["parameters"] == [change, "trainium_ceiling"] and at["data"] == {"a": ds.version, "b": new.version}
    assert at["check"] == [] and at["refused"] == {}
    key = "erosion.nvidia_revenue_long_term"
    default = params.schema(ds)["trainium_ceiling"].default            # run A's value
    value = {(d.version, c): outlook.run(d, params.resolve({"trainium_ceiling": c}, d), params.schema(d),
                                         sensitivity=False).summary.total("nvidia_revenue", (2027, 2030))
             for d in (ds, new) for c in (default, 0.6)}
    parts = at["explained"][key]["parameters"]
    assert parts[change] == pytest.approx(value[(new.version, default)] - value[(ds.version, default)]) and parts[change] != 0
    assert parts["trainium_ceiling"] == pytest.approx(value[(new.version, 0.6)] - value[(new.version, default)])
    for found in at["explained"].values():
        if found["total"] is not None:
            assert sum(found["parameters"].values()) + found["interaction"] == pytest.approx(found["total"], abs=1e-9)
    out = tmp_path / "cmp"
    assert cli.main(["--data-dir", str(new_dir), "compare", str(runs[0]), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different data versions" in err and "--data PATH" in err and not out.exists()
    assert cli.main(["--data-dir", str(new_dir), "compare", str(runs[0]), str(b), "--out", str(out), "--data", str(DATA)]) == 0
    written = json.loads((out / "compare.json").read_text())
    assert written["attribution"][0]["data"] == {"a": ds.version, "b": new.version}
    assert change.replace(">", "&gt;") in (out / "index.html").read_text()


@pytest.mark.browser
def test_the_first_screen_leads_with_the_changed_parameters_and_each_runs_verdict(page, runs):
    """At 1366x768, before any scrolling: every changed parameter with its values before and after, and each run's
    verdict words as its report's first screen would say them."""
    saved = json.loads((page / "compare.json").read_text())
    expected = [json.loads((r / "results.json").read_text())["verdict"]["headline"] for r in runs]
    with offline_page(viewport={"width": 1366, "height": 768}) as off:
        off.page.goto((page / "index.html").as_uri())
        lead = off.page.evaluate("""() => {
            const lead = document.querySelector('#changed');
            return {bottom: lead.getBoundingClientRect().bottom, text: lead.textContent,
                    verdicts: Array.from(lead.querySelectorAll('td.verdict-words')).map(e => e.textContent)}; }""")
    assert lead["bottom"] <= 768, lead
    assert lead["verdicts"] == expected
    for name in saved["differing_parameters"]:
        assert name in lead["text"]
    assert "0.72 → 0.7" in lead["text"] and "0.7 → 0.5" in lead["text"]      # trainium_ceiling, utilization
    moved = [h for h in saved["headlines"] if h["moved"] > 1 and h["section"] not in compare.INPUT_SECTIONS]
    assert moved and all(h["label"] in lead["text"] for h in sorted(moved, key=lambda h: -h["moved"])[:1])


def test_moved_means_beyond_the_stated_noise_rule_and_lists_key_numbers_first_once_each(tmp_path):
    def item(value, unit, label="x"):
        return {"label": label, "value": value, "unit": unit}
    assert compare._move(item(0.40, "fraction"), 0.009) < 1 < compare._move(item(0.40, "fraction"), 0.011)
    assert compare._move(item(100.0, "USD_billion"), 0.9) < 1 < compare._move(item(100.0, "USD_billion"), -1.1)
    assert compare._move(item(100.0, "USD_billion"), 0.0) == 0 and compare._move(None, 5.0) == 0
    key_section, key = front.FRONT["numbers"][-1][0].split(".")
    first = {key_section: {key: item(0.50, "fraction", "key number"), "other": item(0.50, "fraction", "big move")},
             "erosion": {"copy": item(0.50, "fraction", "big move")}, "assumptions": {"p": item(0.5, "fraction", "input")}}
    second = {key_section: {key: item(0.52, "fraction", "key number"), "other": item(0.90, "fraction", "big move")},
              "erosion": {"copy": item(0.90, "fraction", "big move")}, "assumptions": {"p": item(0.9, "fraction", "input")}}
    runs = [compare_input.Run(n, tmp_path, {"results": r}, None) for n, r in (("a", first), ("b", second))]
    moved = compare.mark_moved(runs, compare.headline_table(runs))
    assert [h["label"] for h in moved] == ["key number", "big move"]


@pytest.mark.browser
def test_unchanged_sections_and_rows_are_folded_and_the_overlay_charts_carry_bands(page):
    with offline_page(viewport={"width": 1366, "height": 768}) as off:
        off.page.goto((page / "index.html").as_uri())
        marks = drawn_marks(off)
        found = off.page.evaluate("""() => ({
            sections: Array.from(document.querySelectorAll('#headlines > details')).map(d =>
                ({open: d.open, unchanged: d.querySelector('summary').textContent.endsWith('unchanged')})),
            areas: Array.from(document.querySelectorAll('div.vega-chart')).map(d => d.querySelectorAll('g.mark-area.role-mark path').length)})""")
    assert found["sections"] and all(s["open"] != s["unchanged"] for s in found["sections"]), found["sections"]
    assert all(n > 0 for n in marks) and found["areas"][:2] == [2, 2], found["areas"]      # one band per run
