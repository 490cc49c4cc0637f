"""A value the schema accepts must build: each numeric parameter at its min, its max and just inside each bound,
through the models of every section whose notebook declares it (not just through the schema), and their headline
numbers through the page's own renderer; every corner of each what-if box's grid (the `run --set` lines the page
prints) the same way; and one real build where a landlord case never pays back.

`compute_sections` is the one place that knows the sections' model functions: repoint it when their APIs change.
"""
from __future__ import annotations

import itertools
import json
import re
import warnings

import nbformat
import pytest

from analysis import data
from analysis.pipeline import page, report
from analysis.data import params, scenarios
from analysis.models import (capex, crosscheck, forecast_result, freshness, hindcast, landlord, observed_checks,
                             outlook, rent, scenario_runs)
from analysis.sections import by_notebook, erosion_text, portfolio_text, summary
from analysis.sections import capex as capex_section
from analysis.views import present, verdict
from analysis.errors import ParameterError
from analysis.pipeline.runner import declared_parameters, notebook_paths

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

DS = data.load_dataset()
SCHEMA = params.schema(DS)
#: Small Monte Carlo and Sobol samples: the sweep checks that a value builds, not the size of the bands.
FAST = {"mc_draws": 1000, "sobol_base_samples": 64}


#: The sections `compute_sections` runs through their model functions (faster than a whole section).
BY_HAND = {"00_summary", "01_capex", "02_portfolio", "03_asic_erosion", "04_claims_and_checks"}


def compute_sections(sections: set[str], p: dict, grids: bool = True) -> dict[str, list[dict]]:
    """Run the model functions behind each named section (notebook stem) with parameters `p` (`grids`: also the
    slower sensitivity grids); return the headline results of the sections that publish them."""
    headlines = {}
    if "01_capex" in sections:
        headlines["capex"] = [h.as_dict() for h in capex_section.headline_items(DS, p)]
        capex.essay_check(DS, p)
        freshness.stale_series(DS, p["as_of"])
    if "02_portfolio" in sections:
        headlines["portfolio"] = [h.as_dict() for h in portfolio_text.headline_results(DS, p)]
        for _, case in landlord.landlord_outcomes(landlord.landlord_cases(DS, p)).iterrows():
            portfolio_text.month_text(case["payback_month"])
        if grids:
            for case in landlord.landlord_cases(DS, p):
                landlord.irr_heatmap(case)
            landlord.landlord_variants(DS, p)
    if sections & {"00_summary", "03_asic_erosion", "04_claims_and_checks"}:
        q = p.replace(**{k: min(v, p[k]) for k, v in FAST.items()})
        result = outlook.run(DS, q, SCHEMA, sensitivity="03_asic_erosion" in sections)
        if "03_asic_erosion" in sections:
            hindcast.coverage(hindcast.cases(DS, q, SCHEMA))
            observed_checks.spend_check(DS, q, SCHEMA, result)
            forecast_result.by_year(result)
            headlines["erosion"] = [h.as_dict() for h in erosion_text.headlines(result)]
        if "00_summary" in sections:
            answer = summary.compute_answer(DS, q, SCHEMA, result)
            headlines["summary"] = [h.as_dict() for h in answer.findings]
            headlines["assumptions"] = [h.as_dict() for h in answer.assumptions]
            summary.answer(DS, answer.findings, answer.verdict)
            summary.when_charts(result)
            verdict.conditional_on(answer.assumptions, summary.changed_values(DS, q, SCHEMA))
        if "04_claims_and_checks" in sections:
            crosscheck.panel(*crosscheck.comparable(DS["cross_checks"], crosscheck.our_values(DS, q, SCHEMA, result))[:2])
    # A section not named above (a new one, the owners' view) is computed whole, so that none is silently left out.
    for stem in sorted(sections - BY_HAND):
        by_notebook(f"{stem}.ipynb").compute(DS, p.replace(**{k: min(v, p[k]) for k, v in FAST.items()}))
    return headlines


def render_headlines(headlines: dict[str, list[dict]], monkeypatch) -> str:
    """The page's HTML for these headline results: published as a notebook does (`present.publish`), through a
    kernel's JSON, into the report's renderer."""
    shown = []
    monkeypatch.setattr(present, "display", lambda bundle, raw: shown.append(bundle))
    for section, results in headlines.items():
        present.publish(section, results, set())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data=json.loads(json.dumps(b, allow_nan=False))) for b in shown])])
    sections = []
    report.render_notebook(nb, "sweep", [], sections)
    assert len(sections) == len(headlines)
    template = page.TEMPLATES.get_template("headlines.html.j2")      # the page's appendix of headline numbers
    return "".join(template.render(section=s, fmt=present.fmt) for s in sections)


def _sections_using(name: str) -> set[str]:
    return {path.stem for path in notebook_paths() if name in declared_parameters(path)}


def _edge_values(p: params.Parameter) -> list:
    step = 1 if p.type == "int" else (p.maximum - p.minimum) * 1e-6
    return sorted({p.minimum, min(p.minimum + step, p.maximum), max(p.maximum - step, p.minimum), p.maximum})


NUMERIC = [name for name, p in SCHEMA.items() if p.type in ("float", "int") and not p.per_dataset]


@pytest.mark.build
@pytest.mark.parametrize("name", NUMERIC)
def test_every_accepted_edge_value_builds(name, monkeypatch):
    sections = _sections_using(name)
    assert sections, f"'{name}' is declared by no notebook"
    tried = 0
    for value in _edge_values(SCHEMA[name]):
        try:
            p = params.resolve({name: value}, DS)
        except ParameterError:
            continue                    # refused up front (a rule across parameters): fine
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)     # a division by zero would print into the report
            headlines = compute_sections(sections, p, grids=value in (SCHEMA[name].minimum, SCHEMA[name].maximum))
        render_headlines(headlines, monkeypatch)
        tried += 1
    assert tried >= 2, f"'{name}': the schema accepts hardly any of its own range"


@pytest.mark.parametrize("name, values", [
    *((name, [allowed(DS)[0], allowed(DS)[-1]]) for name, allowed, _ in params.DATA_RULES),
])
def test_date_and_quarter_extremes_build(name, values):
    for value in values:
        compute_sections(_sections_using(name), params.resolve({name: value}, DS))


@pytest.mark.parametrize("name", scenarios.names())
def test_every_named_scenario_builds(name):
    """Notebook 03 runs every scenario and `--scenario NAME` runs all sections with it: each must build."""
    sections = {path.stem for path in notebook_paths()}
    compute_sections(sections, scenarios.resolve_scenario(name, DS), grids=False)


WHAT_IF_BOXES = {"02_portfolio": landlord.what_if_axes, "03_asic_erosion": scenario_runs.what_if_axes}


@pytest.mark.build
@pytest.mark.parametrize("notebook", WHAT_IF_BOXES)
def test_every_corner_of_a_what_if_box_builds_a_page(notebook, monkeypatch):
    """Each corner of the grid, as the `--set` line the page prints for it, builds every section that declares the
    box's parameters, and its headline numbers render."""
    axes = WHAT_IF_BOXES[notebook](SCHEMA, params.resolve({}, DS))
    corners = list(itertools.product(*[(values[0], values[-1]) for values in axes.values()]))
    for corner in corners:
        assignments = params.parse_assignments([f"{name}={value}" for name, value in zip(axes, corner)])
        p = params.resolve(assignments, DS)
        sections = set().union(*map(_sections_using, axes))
        page = render_headlines(compute_sections(sections, p, grids=False), monkeypatch)
        assert not re.search(r"\bnan\b", page, re.I), corner
        if notebook == "02_portfolio":    # a corner that never pays back says so; one that does shows its month
            never = any(landlord.landlord_outcomes(landlord.landlord_cases(DS, p, basis))["payback_month"].isna().any()
                        for basis in (rent.LIST, rent.REALIZED))
            assert (portfolio_text.NOT_WITHIN_LIFE in page) == bool(never), corner
    assert len(corners) == 2 ** len(axes)


@pytest.mark.build
def test_a_build_where_a_landlord_case_never_pays_back_writes_a_page(tmp_path, warm):
    """`run --set utilization=0.1` (a value the page's own what-if box offers): payback beyond the life is shown as
    "not within life", not a traceback."""
    values = params.resolve({"utilization": 0.1, "rental_price_decline_per_year": 0.9}, DS)
    out = report.build(tmp_path / "never", values, SCHEMA, DS, workers=warm())
    results = json.loads((out / "results.json").read_text())["results"]["portfolio"]
    assert results["payback_month_bought_at_launch"]["value"] is None
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count(portfolio_text.NOT_WITHIN_LIFE) >= 2 and "does not pay back within its life" in page


def test_the_sections_run_by_hand_are_report_sections_and_the_rest_are_computed_whole(monkeypatch):
    """`compute_sections` names only notebooks that exist; every other section (05_owners now, any new one later)
    goes through its whole `compute`."""
    stems = {path.stem for path in notebook_paths()}
    assert BY_HAND < stems
    computed: list[str] = []
    from analysis.sections.base import Section
    monkeypatch.setattr(Section, "compute", lambda self, ds, p: computed.append(self.notebook))
    compute_sections(stems - BY_HAND, params.resolve({}, DS))
    assert sorted(computed) == sorted(f"{stem}.ipynb" for stem in stems - BY_HAND) != []
