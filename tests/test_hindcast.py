"""The hindcast: only what was known at each origin, scored honestly, and the calibration the report claims."""
import dataclasses

import numpy as np
import pytest

from analysis.data import params
from analysis.models import hindcast, observations, outlook, volatility
from analysis.sections import hindcast_items


@pytest.fixture(scope="module")
def cases(ds, schema):
    table = hindcast.cases(ds, params.resolve({}, ds), schema)
    return table, hindcast.coverage(table)


def test_origins_use_the_february_outlook_after_each_origin(ds, schema):
    origins = hindcast.origins(ds, params.resolve({}, ds), schema)
    assert {2023, 2024} <= set(origins)
    for year, p in origins.items():
        assert p.observed_through == year and p.capex_outlook_vintage == f"{year + 1}-02"


def test_an_origin_the_parameters_do_not_allow_is_left_out(ds, schema):
    """data/capex_outlook.csv has a 2023-02 vintage (an end-2022 origin), but observed_through starts at 2023 and the
    vintage is not among capex_outlook_vintage's choices: no origin 2022 until the schema allows both."""
    assert "2023-02" in set(ds["capex_outlook"]["vintage"]) and 2022 in observations.observable_years(ds)
    base = params.resolve({}, ds)
    assert 2022 not in hindcast.origins(ds, base, schema)
    vintage = dataclasses.replace(schema["capex_outlook_vintage"], choices=(*schema["capex_outlook_vintage"].choices, "2023-02"))
    through = dataclasses.replace(schema["observed_through"], minimum=2022)
    assert 2022 not in hindcast.origins(ds, base, {**schema, "capex_outlook_vintage": vintage})
    assert 2022 not in hindcast.origins(ds, base, {**schema, "observed_through": through})


def test_spreads_are_measured_only_on_years_up_to_the_origin(ds, schema):
    capex = observations.annual_capex(ds) / 1e3
    before = volatility.capex_growth(capex, 2023)
    changed = capex.copy()
    changed[changed.index > 2023] *= 10                  # later outcomes cannot move an earlier origin's spread
    assert volatility.capex_growth(changed, 2023).sd == before.sd and before.last_year == 2023
    assert volatility.capex_growth(changed, 2024).sd != before.sd
    origins = hindcast.origins(ds, params.resolve({}, ds), schema)
    assert all(s.last_year == 2023 for s in outlook.path_spreads(ds, origins[2023]).values())


def test_each_case_is_scored_from_its_own_intervals(ds, cases):
    table, _ = cases
    assert (table["year"] > table["origin"]).all()
    np.testing.assert_allclose(table["error"], table["forecast"] - table["outcome"])
    assert (table["inside_90"] == ((table["p5"] <= table["outcome"]) & (table["outcome"] <= table["p95"]))).all()
    assert (table["inside_50"] == ((table["p25"] <= table["outcome"]) & (table["outcome"] <= table["p75"]))).all()
    assert (table.loc[table["miss"] == "above", "outcome"] > table.loc[table["miss"] == "above", "p95"]).all()
    assert ((table["miss"] == "") == table["inside_90"]).all() and (table["crps"] >= 0).all()
    # observed only
    assert table.loc[table["case_set"] == "model", "year"].max() == observations.observable_years(ds)[-1]


def test_coverage_table_counts_what_the_cases_show(cases):
    table, cov = cases
    total = cov[cov["level"] == "all"].iloc[0]
    assert total["outcomes"] == len(table) and total["inside_90"] == pytest.approx(table["inside_90"].mean())
    assert total["misses_above"] + total["misses_below"] == int((~table["inside_90"]).sum())
    by_origin = cov[(cov["level"] == "origin") & (cov["case_set"] == "model")]
    assert by_origin["outcomes"].sum() == int((table["case_set"] == "model").sum())
    # the model's families from one origin share their inputs: one independent outcome per origin and year
    model = table[table["case_set"] == "model"]
    assert by_origin["independent"].sum() == model[["origin", "year"]].drop_duplicates().shape[0]


def test_the_forecast_is_calibrated_on_its_own_hindcast(cases):
    """The standard the report claims (issue 23): the central 90% intervals hold at least 80% of the outcomes over all
    cases, and no more than two thirds of the misses fall on one side."""
    _, cov = cases
    total = cov[cov["level"] == "all"].iloc[0]
    assert total["inside_90"] >= 0.8, cov.to_string()
    misses = total["misses_above"] + total["misses_below"]
    assert max(total["misses_above"], total["misses_below"]) <= 2 / 3 * misses or misses <= 1, cov.to_string()


def test_a_chip_outcome_interval_includes_its_measurement_band_and_capex_does_not(ds, schema, cases):
    """Capex (filings) is exact: its interval is the forecast's own; a chip quantity's is wider than the forecast's."""
    table, _ = cases
    p = hindcast.origins(ds, params.resolve({}, ds), schema)[2024]
    result = outlook.run(ds, p, schema, sensitivity=False)
    years = list(result.model.years)
    row = table[(table["case_set"] == "model") & (table["origin"] == 2024) & (table["year"] == 2025)].set_index("metric")
    capex = result.draws["capex"][:, years.index(2025)]
    assert row.loc["capex", "p95"] == pytest.approx(np.percentile(capex, 95))
    spend = result.draws["accelerator_spend"][:, years.index(2025)]
    width = np.log(np.percentile(spend, 95) / np.percentile(spend, 5))
    assert np.log(row.loc["accelerator_spend", "p95"] / row.loc["accelerator_spend", "p5"]) > width


def test_results_carry_coverage_per_origin_and_every_case(cases):
    table, cov = cases
    items = {i.key: i.as_dict() for i in hindcast_items.results(table, cov)}
    assert items["hindcast_coverage_90"]["value"] == pytest.approx(table["inside_90"].mean())
    assert items["hindcast_coverage_50"]["value"] == pytest.approx(table["inside_50"].mean())
    assert items["hindcast_model_2023_coverage_90"]["value"] == pytest.approx(
        table.query("case_set == 'model' and origin == 2023")["inside_90"].mean())
    assert items["hindcast_model_2023_capex_2025"]["outcome"] == pytest.approx(131.819)
