"""The forecast as typed values: `outlook.run` returns a frozen `Forecast` (its sensitivity only when asked for),
`observed_run` and `central_run` a `CentralRun`, `drawn_run` a `DrawnRun`, another owner's forecast an
`OwnerForecast`; section 3's headlines are `Headline` objects with their periods, written to results.json as
before."""
import dataclasses
import re
import typing

import numpy as np
import pytest

from analysis.data import params
from analysis.models import erosion_outcomes, forecast_result, observations, outlook, owner_outlook, owners
from analysis.models.forecast_result import CentralRun, DrawnRun, Forecast, Sensitivity
from analysis.sections import erosion_text
from analysis.views.exhibits import Headline

QUICK = {"mc_draws": 1000, "sobol_base_samples": 64}


@pytest.fixture(scope="module")
def quick(ds):
    return params.resolve(QUICK, ds)


def test_run_returns_a_frozen_forecast_with_its_sensitivity_only_when_asked(ds, schema, quick):
    plain = outlook.run(ds, quick, schema, sensitivity=False)
    ranked = outlook.run(ds, quick, schema)
    assert isinstance(plain, Forecast) and plain.sensitivity is None
    with pytest.raises(ValueError, match="sensitivity=False"):
        plain.ranked()
    assert isinstance(ranked.ranked(), Sensitivity) and {"input", "S1"} <= set(ranked.ranked().sobol)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plain.central = plain.central.head(1)
    # The sensitivity is added to a copy: the remembered forecast, and what the next caller gets, stay without it.
    assert outlook.run(ds, quick, schema, sensitivity=False).sensitivity is None
    assert plain.summary == ranked.summary and plain.central.equals(ranked.central)


def test_a_caller_that_changes_its_forecast_changes_no_one_elses(ds, schema, quick):
    first = outlook.run(ds, quick, schema, sensitivity=False)
    kept = first.central.copy()
    first.central.loc[:, "nvidia_revenue"] = -1.0
    first.draws["nvidia_revenue"][:] = -1.0
    again = outlook.run(ds, quick, schema, sensitivity=False)
    assert again.central.equals(kept) and (again.draws["nvidia_revenue"] >= 0).all()


def test_every_result_type_is_declared_not_a_dict():
    """The forecast's producers name their result types (mypy then checks every reader's attribute)."""
    assert typing.get_type_hints(outlook.run)["return"] is Forecast
    assert typing.get_type_hints(outlook.observed_run)["return"] is CentralRun
    assert typing.get_type_hints(outlook.central_run)["return"] is CentralRun
    assert typing.get_type_hints(outlook.drawn_run)["return"] is DrawnRun
    assert typing.get_type_hints(owner_outlook.forecast)["return"] is owner_outlook.OwnerForecast
    for kind in (Forecast, CentralRun, DrawnRun, Sensitivity, owner_outlook.OwnerForecast):
        assert dataclasses.fields(kind) and kind.__dataclass_params__.frozen
        assert not hasattr(kind, "__getitem__"), kind


def test_observed_run_observes_every_observable_year(ds, schema):
    p = params.resolve({"observed_through": 2023}, ds)
    truth = outlook.observed_run(ds, p, schema)
    observed = observations.observable_years(ds)
    assert list(truth.model.observed.years) == observed and list(truth.central.index[:len(observed)]) == observed


def test_owner_forecast_names_its_shares(ds, quick):
    d = owners.draws(ds, quick)
    f = owner_outlook.forecast(ds, d, "Meta", max(d.years))
    assert f.share("spend_share") is f.spend_share and f.share("compute_share") is f.compute_share
    assert f.spend_share.shape == f.compute_share.shape == (f.spend_share.shape[0], len(f.years))
    with pytest.raises(KeyError):
        f.share("capex")


def test_section_3s_headlines_carry_their_periods(ds, schema, quick):
    result = outlook.run(ds, quick, schema, sensitivity=False)
    heads = erosion_text.headlines(result)
    assert all(isinstance(h, Headline) and h.period is not None for h in heads)
    by_key = {h.key: h for h in heads}
    near, far = result.horizons.near, result.horizons.long
    last = int(result.model.years[-1])
    assert by_key["nvidia_revenue_near_term"].period == near
    assert by_key["asic_share_of_spend_long_term"].period == far
    assert by_key["nvidia_spend_share_end"].period == (last, last)
    assert by_key["share_never_stays_above_25pct"].period == (last, last)
    assert by_key["year_asic_stays_above_50pct"].period == (int(result.model.years[0]), last)
    for year in result.model.years:
        assert by_key[f"p_asic_above_25pct_{year}"].period == (year, year)
    for h in heads:          # every period the label names, and the label names no other year
        first, end = h.period
        named = {int(y) for y in re.findall(r"\b20\d\d\b", h.label)}
        assert named <= {first, end} and (first in named or end in named), h


def test_headlines_are_written_with_their_band_and_period(ds, schema, quick):
    """A results.json row: its key names a role, its `period` the years; the Monte Carlo band is p5/p95."""
    result = outlook.run(ds, quick, schema, sensitivity=False)
    outcome = "nvidia_revenue_2027_2030"
    mc = result.outcomes.set_index("outcome").loc[outcome]
    row = next(h for h in erosion_text.headlines(result) if h.key == "nvidia_revenue_long_term").as_dict()
    assert row == {"key": "nvidia_revenue_long_term", "label": "Nvidia revenue from AWS, total 2027-2030",
                   "value": result.summary.total("nvidia_revenue", (2027, 2030)), "unit": "USD_billion",
                   "p5": float(mc["p5"]), "p95": float(mc["p95"]), "period": [2027, 2030]}
    assert Headline.of(row) == next(h for h in erosion_text.headlines(result) if h.key == "nvidia_revenue_long_term")
    undefined = next(h for h in erosion_text.headlines(result) if h.key == "p_asic_above_25pct_2022").as_dict()
    assert undefined["value"] is None
    assert list(undefined) == ["key", "label", "value", "unit", "period", "undefined"]
    assert undefined["period"] == [2022, 2022]


def test_by_year_reads_the_forecasts_bands(ds, schema, quick):
    result = outlook.run(ds, quick, schema, sensitivity=False)
    table = forecast_result.by_year(result).set_index("year")
    band = result.band("asic_spend_share")
    np.testing.assert_array_equal(table["asic_spend_share_p95"].to_numpy(), band["p95"].to_numpy())
    assert list(band.columns) == [f"p{q}" for q in erosion_outcomes.PERCENTILES]


@pytest.mark.parametrize("overrides", [{}, {"trainium_unit_cost_usd": 3100.0, "trainium_ceiling": 0.6},
                                       {"observed_through": 2024, "capex_outlook_vintage": "2025-02"}])
def test_the_central_run_is_the_forecasts_central_path_without_its_draws(ds, schema, overrides):
    """`central_run` gives, bit for bit, the central estimate and model years of `run` (section 4 reads it alone)."""
    p = params.resolve({"mc_draws": 1000, **overrides}, ds)
    central, full = outlook.central_run(ds, p, schema), outlook.run(ds, p, schema, sensitivity=False)
    assert central.central.equals(full.central) and len(central.central) > 5
    assert central.model.years.tolist() == full.model.years.tolist()
    assert central.model.observed.years == full.model.observed.years


@pytest.mark.parametrize("overrides", [{}, {"observed_through": 2023, "capex_outlook_vintage": "2024-02"}])
def test_the_drawn_run_is_the_forecasts_central_path_and_draws_without_its_tables(ds, schema, overrides):
    """`drawn_run` (what the hindcast scores) gives, bit for bit, `run`'s central estimate and kept draws."""
    p = params.resolve({"mc_draws": 1000, **overrides}, ds)
    drawn, full = outlook.drawn_run(ds, p, schema), outlook.run(ds, p, schema, sensitivity=False)
    assert drawn.central.equals(full.central) and drawn.model.years.tolist() == full.model.years.tolist()
    assert set(drawn.draws) == set(full.draws) == set(outlook.SCORED_METRICS)
    assert all(np.array_equal(drawn.draws[m], full.draws[m], equal_nan=True) for m in drawn.draws)
