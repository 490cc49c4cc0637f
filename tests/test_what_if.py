"""What-if grids: each grid point equals the full model at those parameter values, and the report page's controls
show exactly those values (offline, in chromium), with a `--set` line that reproduces them."""
from __future__ import annotations

import math
import shlex

import nbformat
import pytest

from analysis.pipeline import page as page_module
from analysis.pipeline import report
from analysis.data import grids, params
from analysis.models import landlord, outlook, rent, scenario_runs
from analysis.pipeline.runner import NOTEBOOK_DIR
from analysis.views.present import WHAT_IF_MIMETYPE, fmt, payback_text
from tests.browser import offline_page


@pytest.fixture(scope="module")
def defaults(ds):
    return params.resolve({}, ds)


def test_control_values_hold_the_run_value_in_range_and_type(schema):
    life = grids.what_if_values(schema["depreciation_life_years"], 8)
    assert life == [5, 6, 8] and all(isinstance(v, int) for v in life)
    ceiling = grids.what_if_values(schema["trainium_ceiling"], 0.45)
    assert ceiling == sorted(ceiling) and 0.45 in ceiling and ceiling[0] == schema["trainium_ceiling"].low
    scale = grids.what_if_values(schema["capex_growth_scale"], 1.1, n=3)     # no sourced range: its allowed range
    assert scale == [schema["capex_growth_scale"].minimum, 1.0, 1.1, schema["capex_growth_scale"].maximum]


def test_control_values_step_at_round_values():
    """Between the range's ends a slider steps at multiples of 1, 2, 2.5 or 5 times a power of ten."""
    assert grids.round_steps(0.8, 1.25, 5) == [0.8, 0.9, 1.0, 1.1, 1.2, 1.25]
    assert grids.round_steps(0.5, 2.0, 7) == [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert grids.round_steps(0.3, 0.85, 5) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85]


def _payloads():
    """The what-if payloads of the committed notebooks."""
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            for output in cell.get("outputs", []):
                if WHAT_IF_MIMETYPE in output.get("data", {}):
                    yield output["data"][WHAT_IF_MIMETYPE]


def test_what_if_charts_fit_their_lines_steps_are_round_and_capex_growth_reads_right(schema):
    """At the defaults each what-if line spans at least half of its chart's y domain (the domain fits the lines
    shown, not the whole grid); every control's inner values are round; the capex-growth control says what it
    multiplies and the capex it gives in the last forecast year (doubling the factor multiplies that capex by 2^years)."""
    payloads = {w["name"]: w for w in _payloads()}
    assert set(payloads) == {"landlord", "erosion"}
    for w in payloads.values():
        y = w["chart"]["encoding"]["y"]
        low, high = y["scale"]["domain"]
        lines = w["lines"] or {"columns": w["columns"], "rows": w["rows"]}
        at = {c["name"]: c["default"] for c in w["controls"] if c["name"] != w["x"]}
        index = {c: i for i, c in enumerate(lines["columns"])}
        shown = [r[index[y["field"]]] for r in lines["rows"] if all(r[index[n]] == v for n, v in at.items())]
        span = max(v for v in shown if v is not None) - min(v for v in shown if v is not None)
        assert span >= 0.5 * (high - low), (w["name"], span, low, high)
        for c in w["controls"]:
            param = schema[c["name"]]
            ends = {param.low, param.high, param.minimum, param.maximum, c["default"], c["value"]}
            assert all(round(v, 2) == v for v in c["values"] if v not in ends), c["values"]
    growth = next(c for c in payloads["erosion"]["controls"] if c["name"] == "capex_growth_scale")
    assert "capex growth factor" in growth["label"] and growth["unit"] == ""
    capex = {v: float(text.rsplit("$", 1)[1].rstrip("B").replace(",", "")) for v, text in zip(growth["values"], growth["labels"])}
    assert all(text.startswith(f"×{v:g}: ") for v, text in zip(growth["values"], growth["labels"]))
    years = round(math.log2(capex[2.0] / capex[1.0]))            # one factor of 2 per forecast year
    assert years >= 3 and capex[2.0] / capex[1.0] == pytest.approx(2.0 ** years, rel=0.01)


def test_landlord_grid_points_equal_the_full_pipeline(ds, schema, defaults):
    axes = landlord.what_if_axes(schema, defaults)
    grid = landlord.what_if(ds, defaults, axes)
    assert len(grid) == 2 * len(axes["utilization"]) * len(axes["rental_price_decline_per_year"]) \
        * len(axes["residual_value_fraction"]) * len(axes["depreciation_life_years"])
    for point in ({}, {"utilization": 0.3, "rental_price_decline_per_year": axes["rental_price_decline_per_year"][-1],
                       "residual_value_fraction": 0.3, "depreciation_life_years": 6}):
        p = defaults.replace(**point)
        cases = landlord.landlord_outcomes(landlord.landlord_cases(ds, params.resolve(point, ds), rent.REALIZED))
        rows = grid[(grid[list(landlord.WHAT_IF_AXES)] == [p[n] for n in landlord.WHAT_IF_AXES]).all(axis=1)]
        assert list(rows["case"]) == list(cases["case"])
        assert rows["npv"].to_numpy() == pytest.approx(cases["npv"].to_numpy(), nan_ok=True)
        assert rows["irr_annual"].to_numpy() == pytest.approx(cases["irr"].to_numpy(), nan_ok=True)
        assert rows["payback_month"].to_numpy() == pytest.approx(cases["payback_month"].to_numpy(), nan_ok=True)


def test_erosion_grid_points_equal_the_central_estimate_of_a_run(ds, schema, defaults):
    axes = scenario_runs.what_if_axes(schema, defaults)
    points, lines = scenario_runs.what_if(ds, defaults, schema, axes)
    assert len(points) == len(axes["trainium_ceiling"]) * len(axes["accelerator_share_change"]) * len(axes["capex_growth_scale"])
    for point in ({}, {"trainium_ceiling": axes["trainium_ceiling"][1], "accelerator_share_change": axes["accelerator_share_change"][0],
                       "capex_growth_scale": 1.5}):
        p = params.resolve({**point, "mc_draws": 1000}, ds)
        result = outlook.run(ds, p, schema, sensitivity=False)
        match = (points[list(axes)] == [p[n] for n in axes]).all(axis=1)
        row = points[match].iloc[0]
        assert row["nvidia_revenue_2027_2030"] == pytest.approx(result.summary.total("nvidia_revenue", (2027, 2030)))
        assert row["asic_spend_share_2027_2030"] == pytest.approx(result.summary.total("asic_spend_share", (2027, 2030)))
        path = lines[(lines[list(axes)] == [p[n] for n in axes]).all(axis=1)].set_index("year")["nvidia_revenue"]
        assert path.to_numpy() == pytest.approx(result.central["nvidia_revenue"].to_numpy())


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A page of the committed (executed) notebooks 02 and 03, rendered as the report renders them."""
    toc, sections, downloads = [], [], []
    bodies = [report.render_notebook(nbformat.read(str(NOTEBOOK_DIR / name), as_version=4), name[:2], toc, sections,
                                     downloads) for name in ("02_portfolio.ipynb", "03_asic_erosion.ipynb")]
    html = page_module.TEMPLATES.get_template("report.html.j2").render(
        title_suffix="", as_of="", data_version="", toc=toc, bodies=bodies, parameters=[], sources=[], stale=[],
        downloads=downloads, assets=page_module.page_assets(page_module.vega_script()), verdict={}, numbers=[], tables=[], sections=[],
        values=params.resolve({}), headline_charts=[], fmt=fmt)
    path = tmp_path_factory.mktemp("what-if") / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def _move(box, control: str, value) -> dict:
    """Set one control to `value` (a grid value) and return what the box shows: its rows and the --set line."""
    values = box.evaluate("(b, name) => JSON.parse(b.querySelector('script[data-what-if-payload]').textContent)"
                          ".controls.find(c => c.name === name).values", control)
    box.eval_on_selector(f"input[data-control='{control}']",
                         "(e, k) => { e.value = k; e.dispatchEvent(new Event('input')); }", values.index(value))
    rows = box.eval_on_selector_all("tbody.what-if-values tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    box.wait_for_selector(".what-if-chart svg.marks")
    box.evaluate("b => new Promise(done => setTimeout(done, 300))")     # vega-embed redraws asynchronously
    chart = box.eval_on_selector(".what-if-chart", """c => ({
        y: Array.from(c.querySelectorAll('g.role-axis')).filter(a => (a.getAttribute('aria-label') || '').includes('Y-axis'))
            .map(a => Array.from(a.querySelectorAll('text')).map(t => t.textContent).join(' ')).join('|'),
        dashes: Array.from(c.querySelectorAll('g.mark-line path')).filter(p => p.getAttribute('stroke-dasharray')).length,
        rules: c.querySelectorAll('g.mark-rule line').length})""")
    return {"rows": rows, "command": box.eval_on_selector("code.set-line", "e => e.textContent"),
            "description": box.eval_on_selector(".what-if-description", "e => e.textContent"),
            "y_axis": chart["y"], "dashes": chart["dashes"], "rules": chart["rules"]}


def _set_values(command: str, ds) -> dict:
    """The parameter set a --set line asks for, through the CLI's own parsing and validation."""
    words = shlex.split(command)
    return params.resolve(params.parse_assignments([w for prev, w in zip(words, words[1:]) if prev == "--set"]), ds)


@pytest.mark.browser
def test_moving_a_control_shows_the_python_value_of_that_grid_point(page, ds, schema):
    with offline_page() as off:
        off.page.goto(page.as_uri())
        off.page.wait_for_function("document.querySelectorAll('.what-if-chart svg.marks').length === 2", timeout=30000)
        section = off.page.query_selector("section[data-what-if='what-if-landlord']")
        _move(section, "utilization", 0.4)
        shown = _move(section, "depreciation_life_years", 6)
        p = _set_values(shown["command"], ds)
        assert (p["utilization"], p["depreciation_life_years"]) == (0.4, 6)
        expected = landlord.landlord_outcomes(landlord.landlord_cases(ds, p, rent.REALIZED))
        assert shown["rows"] == [[r.case, fmt(r.npv, "USD"), fmt(r.irr, "fraction"), payback_text(r.payback_month, 6)]
                                 for r in expected.itertuples()]
        life = schema["depreciation_life_years"]
        assert shown["description"].startswith("At ") and f"{life.title} {fmt(6, life.unit)}" in shown["description"]
        assert all(f"NPV per H100 {fmt(r.npv, 'USD')}" in shown["description"] for r in expected.itertuples())
        axis = shown["y_axis"]
        assert _move(section, "utilization", 0.7)["y_axis"] == axis            # the axis stays, the line moves
        assert shown["dashes"] >= 1 and shown["rules"] >= 1                    # default (dashed) and the chosen value

        erosion = off.page.query_selector("section[data-what-if='what-if-erosion']")
        _move(erosion, "trainium_ceiling", 0.6)
        shown = _move(erosion, "capex_growth_scale", 1.5)
        p = _set_values(shown["command"], ds)
        assert (p["trainium_ceiling"], p["capex_growth_scale"]) == (0.6, 1.5)
        assert _move(erosion, "capex_growth_scale", 2.0)["y_axis"] != shown["y_axis"]    # the axis refits the lines
        _move(erosion, "capex_growth_scale", 1.5)
        summary = outlook.run(ds, p.replace(mc_draws=1000), schema, sensitivity=False).summary
        assert shown["rows"] == [[fmt(summary.total("nvidia_revenue", (2027, 2030)), "USD_billion"),
                                  fmt(summary.total("asic_spend_share", (2027, 2030)), "fraction")]]
        off.page.wait_for_timeout(500)
        swatches = off.page.eval_on_selector_all(".what-if-chart g.role-legend-symbol path[stroke-dasharray]",
                                                 "paths => paths.map(p => p.getAttribute('stroke'))")
        assert len(swatches) == 4 and all(s and s != "transparent" for s in swatches), swatches   # chosen, defaults
        assert off.errors == [] and off.blocked == []
