"""A value the schema accepts must build: each numeric parameter at its min, its max and just inside each bound,
through the models of every section whose notebook declares it (not just through the schema).

`compute_sections` is the one place that knows the sections' model functions: repoint it when their APIs change.
"""
from __future__ import annotations

import warnings

import pytest

from analysis import capex, crosscheck, data, freshness, outlook, params, portfolio, scenarios, summary
from analysis.errors import ParameterError
from analysis.notebook_run import declared_parameters, notebook_paths

DS = data.load_dataset()
SCHEMA = params.schema(DS)
#: Small Monte Carlo and Sobol samples: the sweep checks that a value builds, not the size of the bands.
FAST = {"mc_draws": 1000, "sobol_base_samples": 64}


def compute_sections(sections: set[str], p: dict, grids: bool = True) -> None:
    """Run the model functions behind each named section (notebook stem) with parameters `p` (`grids`: also the
    slower sensitivity grids)."""
    if "01_capex" in sections:
        capex.headline_results(DS, p)
        capex.essay_check(DS, p)
        freshness.stale_series(DS, p["as_of"])
    if "02_portfolio" in sections:
        portfolio.headline_results(DS, p)
        if grids:
            for case in portfolio.landlord_cases(DS, p):
                portfolio.irr_heatmap(case)
            portfolio.landlord_variants(DS, p)
    if sections & {"00_summary", "03_asic_erosion", "04_claims_and_checks"}:
        q = {**p, **{k: min(v, p[k]) for k, v in FAST.items()}}
        result = outlook.run(DS, q, SCHEMA, sensitivity="03_asic_erosion" in sections)
        if "03_asic_erosion" in sections:
            outlook.hindcast(DS, q, SCHEMA)
            outlook.spend_check(DS, q, SCHEMA, result)
            outlook.by_year(result)
        if "00_summary" in sections:
            summary.answer(summary.key_findings(DS, q, SCHEMA, result))
        if "04_claims_and_checks" in sections:
            crosscheck.panel(DS["cross_checks"], crosscheck.our_values(DS, q, SCHEMA, result))


def _sections_using(name: str) -> set[str]:
    return {path.stem for path in notebook_paths() if name in declared_parameters(path)}


def _edge_values(p: params.Parameter) -> list:
    step = 1 if p.type == "int" else (p.maximum - p.minimum) * 1e-6
    return sorted({p.minimum, min(p.minimum + step, p.maximum), max(p.maximum - step, p.minimum), p.maximum})


NUMERIC = [name for name, p in SCHEMA.items() if p.type in ("float", "int")]


@pytest.mark.parametrize("name", NUMERIC)
def test_every_accepted_edge_value_builds(name):
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
            compute_sections(sections, p, grids=value in (SCHEMA[name].minimum, SCHEMA[name].maximum))
        tried += 1
    assert tried >= 2, f"'{name}': the schema accepts hardly any of its own range"


@pytest.mark.parametrize("name, values", [
    ("as_of", ["0001-01-01", "9999-12-31"]),
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
