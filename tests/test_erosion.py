"""The erosion model on small synthetic inputs: observed years fixed, logistic moves, shares, spend identities,
thresholds, central estimate, sensitivity tools."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import erosion as e
from analysis.uncertainty import SplitDistribution

VENDORS = (e.Vendor("nvidia", "Nvidia", "gpu"), e.Vendor("asic1", "ASIC one", "asic"), e.Vendor("gpu2", "GPU two", "gpu"))
OBSERVED = e.Observed(years=(2023, 2024, 2025), capex=np.array([50.0, 80.0, 100.0]),
                      spend={"nvidia": np.array([4.0, 6.0, 8.0]), "asic1": np.array([np.nan, 1.0, 2.0]),
                             "gpu2": np.array([0.0, 0.0, 0.0])},
                      compute={"nvidia": np.array([100.0, 150.0, 200.0]), "asic1": np.array([np.nan, 50.0, 100.0]),
                               "gpu2": np.array([0.0, 0.0, 0.0])})
POINT = {"capex_growth_2026": 1.2, "capex_growth_2027": 1.1, "capex_growth_2028": 1.0, "capex_growth_2029": 1.0, "capex_growth_2030": 1.05,
         "accelerator_share_of_capex": 0.1,
         "asic1_ceiling": 0.6, "asic1_midpoint": 2027.0, "asic1_takeover": 3.0, "asic1_cost_ratio": 0.5,
         "gpu2_ceiling": 0.1, "gpu2_midpoint": 2028.0, "gpu2_takeover": 4.0, "gpu2_cost_ratio": 0.8}


@pytest.fixture
def model():
    return e.Model(VENDORS, OBSERVED, (2026, 2027, 2028, 2029, 2030), dict(POINT))


@pytest.fixture
def draws():
    rng = np.random.default_rng(7)
    n = 500
    return {"asic1_ceiling": rng.uniform(0, 1, n), "asic1_midpoint": rng.uniform(2020, 2035, n),
            "asic1_takeover": rng.uniform(0.2, 10, n), "gpu2_ceiling": rng.uniform(0, 1, n),
            "gpu2_midpoint": rng.uniform(2020, 2035, n), "asic1_cost_ratio": rng.uniform(0.1, 2, n),
            "capex_growth_2026": rng.uniform(0.5, 2, n), "accelerator_share_of_capex": rng.uniform(0, 0.5, n)}


def test_logistic_move_starts_at_the_observed_share_and_tends_to_the_ceiling():
    t0 = 2025.5
    for start, ceiling in ((0.3, 0.6), (0.6, 0.2), (0.0, 0.4)):
        path = e.logistic_move(np.array([t0, 2027.0, 2040.0, 2100.0]), start, ceiling, 2027.0, 2.0, t0)
        assert path[0] == pytest.approx(start)
        assert path[-1] == pytest.approx(ceiling)
        assert np.all(np.diff(path) * np.sign(ceiling - start) >= 0)      # monotone towards the ceiling
    # Half of a full logistic at the midpoint: (0.5 - R(t0)) / (1 - R(t0)) of the way.
    r0 = 1 / (1 + np.exp(-np.log(81) * (t0 - 2027.0) / 2.0))
    mid = e.logistic_move(2027.0, 0.3, 0.6, 2027.0, 2.0, t0)
    assert mid == pytest.approx(0.3 + 0.3 * (0.5 - r0) / (1 - r0))


def test_a_move_long_past_its_midpoint_stays_finite():
    path = e.logistic_move(np.array([2026.5, 2030.5]), 0.4, 0.5, 1990.0, 0.1, 2025.5)
    assert np.all(np.isfinite(path)) and path[-1] == pytest.approx(0.5)


def test_observed_years_are_the_data_in_every_draw(model, draws):
    paths = e.evaluate(model, draws)
    n_obs = len(OBSERVED.years)
    np.testing.assert_array_equal(paths["capex"][:, :n_obs], np.broadcast_to(OBSERVED.capex, (500, n_obs)))
    np.testing.assert_array_equal(paths["nvidia_revenue"][:, :n_obs], np.broadcast_to(OBSERVED.spend["nvidia"], (500, n_obs)))
    np.testing.assert_allclose(paths["compute_share_asic1"][:, 2], 100 / 300)
    assert np.isnan(paths["compute_share_asic1"][:, 0]).all()             # not covered in 2023: unknown, not zero
    np.testing.assert_allclose(paths["accelerator_spend"][:, 1], 7.0)      # covered vendors summed


def test_shares_in_unit_interval_and_sum_to_one_in_every_forecast_year_and_draw(model, draws):
    paths = e.evaluate(model, draws)
    for kind in ("compute_share", "spend_share"):
        shares = np.stack([paths[f"{kind}_{v.id}"][:, 3:] for v in VENDORS])
        assert np.all((shares >= -1e-12) & (shares <= 1 + 1e-12))
        np.testing.assert_allclose(shares.sum(axis=0), 1.0)


def test_the_forecast_continues_from_the_last_observed_share_at_mid_year(model):
    p = e.evaluate(model)
    t = 2026 + e.MID_YEAR
    expected = e.logistic_move(t, 100 / 300, 0.6, 2027.0, 3.0, 2025 + e.MID_YEAR)
    assert p["compute_share_asic1"][0, 3] == pytest.approx(expected)


def test_challenger_shares_above_one_are_scaled_to_sum_to_one(model):
    p = e.evaluate(model, {"asic1_ceiling": 0.9, "gpu2_ceiling": 0.9, "asic1_midpoint": 2000.0, "gpu2_midpoint": 2000.0,
                           "asic1_takeover": 0.2, "gpu2_takeover": 0.2})
    np.testing.assert_allclose(p["compute_share_nvidia"][0, 3:], 0.0, atol=1e-9)
    np.testing.assert_allclose(p["compute_share_asic1"][0, -1], 0.5)


def test_spend_identities_in_forecast_years(model):
    p = e.evaluate(model)
    np.testing.assert_allclose(p["capex"][0, 3:], 100 * np.cumprod([1.2, 1.1, 1.0, 1.0, 1.05]))
    np.testing.assert_allclose(p["accelerator_spend"][0, 3:], p["capex"][0, 3:] * 0.1)
    np.testing.assert_allclose(p["nvidia_revenue"][:, 1:] + p["erosion"][:, 1:], p["accelerator_spend"][:, 1:])
    assert np.isnan(p["erosion"][0, 0])          # a year the data do not split by vendor has no erosion figure
    np.testing.assert_allclose(p["asic_spend_share"][0, 3:], p["spend_share_asic1"][0, 3:])  # gpu2 is not an ASIC


def test_equal_costs_give_spend_shares_equal_to_compute_shares_and_cheaper_chips_less(model):
    same = e.evaluate(model, {"asic1_cost_ratio": 1.0, "gpu2_cost_ratio": 1.0})
    np.testing.assert_allclose(same["spend_share_asic1"][0, 3:], same["compute_share_asic1"][0, 3:])
    cheap = e.evaluate(model)
    assert np.all(cheap["spend_share_asic1"][0, 3:] < cheap["compute_share_asic1"][0, 3:])


def test_a_higher_ceiling_lowers_nvidia_spend_share_in_every_forecast_year(model):
    low, high = (e.evaluate(model, {"asic1_ceiling": k})["nvidia_spend_share"][0, 3:] for k in (0.4, 0.8))
    assert np.all(high < low)


@pytest.mark.parametrize("name, value", [("asic1_ceiling", 1.5), ("asic1_takeover", 0.0), ("capex_growth_2027", -1.0),
                                         ("accelerator_share_of_capex", np.nan), ("asic1_cost_ratio", 0.0)])
def test_invalid_inputs_are_rejected(model, name, value):
    with pytest.raises(ValueError, match=name):
        e.evaluate(model, {name: value})
    with pytest.raises(KeyError):
        e.evaluate(model, {"no_such_input": 1.0})


def test_model_requires_consecutive_years_and_every_point_value():
    with pytest.raises(ValueError, match="consecutive"):
        e.Model(VENDORS, OBSERVED, (2027, 2028), dict(POINT))
    with pytest.raises(ValueError, match="gpu2_takeover"):
        e.Model(VENDORS, OBSERVED, (2026, 2027, 2028, 2029, 2030), {k: v for k, v in POINT.items() if k != "gpu2_takeover"})


def test_threshold_probabilities_and_crossing_years(model):
    ceilings = np.array([0.0, 0.0, 0.95, 0.95])   # two draws stay low, two pass 50% of spend
    paths = e.evaluate(model, {"asic1_ceiling": ceilings, "asic1_midpoint": np.full(4, 2026.0), "asic1_cost_ratio": np.ones(4)})
    share = paths["asic_spend_share"]
    table = e.threshold_table(paths, model.years, thresholds=(0.5,), report_years=(2030,))
    assert table["probability"].iloc[0] == np.mean(share[:, -1] > 0.5) == 0.5
    crossing = e.crossing_table(paths, model.years, thresholds=(0.5,)).iloc[0]
    assert crossing["share_passing"] == 0.5 and crossing["p95"] == np.inf and crossing["p5"] <= 2030
    first = e.first_year_above(paths, model.years, 0.5)
    assert np.isnan(first[:2]).all() and (first[2:] >= 2026).all()


def test_window_sums_cover_exactly_their_years(model):
    p = e.evaluate(model)
    assert e.window_sum(p, model.years, "capex", 2026, 2027)[0] == pytest.approx(120 + 132)
    with pytest.raises(ValueError, match="not inside"):
        e.window_sum(p, model.years, "capex", 2026, 2031)


def test_central_estimate_is_the_model_at_the_medians_and_the_tornado_base(model):
    specs = {"asic1_ceiling": SplitDistribution(0.6, 0.4, 0.8, "logitnormal"),
             "capex_growth_2026": SplitDistribution(1.2, 1.0, 1.5, "lognormal")}
    fn = e.outcome_model(model, "nvidia_revenue_2026_2030")
    base = e.tornado(fn, specs)["base"].iloc[0]
    central = e.outcomes(e.evaluate(model, e.medians(specs)), model.years)["nvidia_revenue_2026_2030"][0]
    assert base == central == e.outcomes(e.evaluate(model), model.years)["nvidia_revenue_2026_2030"][0]


def test_same_seed_is_byte_identical_and_another_seed_differs():
    specs = {"a": SplitDistribution(1.0, 0.5, 3.0, "lognormal"), "b": SplitDistribution(0.3, 0.1, 0.5, "logitnormal")}
    one, two, other = (e.sample_inputs(specs, 1000, s) for s in (5, 5, 6))
    assert all(np.array_equal(one[k], two[k]) for k in specs)
    assert not np.array_equal(one["a"], other["a"])


# --- sensitivity tools ----------------------------------------------------------------------------------------

UNIFORM = stats.uniform(0, 1)


def test_sobol_ranks_dominant_input_first_with_known_indices():
    # y = 10 a + b + 0 c with independent U(0, 1): S1_a = ST_a = 100/101, S1_b = 1/101, S_c = 0.
    specs = {"c": UNIFORM, "b": UNIFORM, "a": UNIFORM}
    table = e.sobol_indices(lambda p: 10 * p["a"] + p["b"] + 0 * p["c"], specs, 4096, 3)
    assert list(table.input) == ["a", "b", "c"]
    first = table.set_index("input")
    assert first.loc["a", "S1"] == pytest.approx(100 / 101, abs=max(0.02, first.loc["a", "S1_conf"]))
    assert first.loc["b", "ST"] == pytest.approx(1 / 101, abs=0.005)
    assert abs(first.loc["c", "ST"]) < 1e-9


def test_tornado_swings_on_a_linear_model():
    specs = {"a": stats.norm(0, 1), "b": stats.norm(0, 3), "c": UNIFORM}
    table = e.tornado(lambda p: 2 * p["a"] - p["b"] + 0.5 * p["c"], specs)
    assert list(table.input) == ["b", "a", "c"]
    span = stats.norm.ppf(0.9) - stats.norm.ppf(0.1)
    assert table.swing.tolist() == pytest.approx([3 * span, 2 * span, 0.5 * 0.8])
    np.testing.assert_allclose(table.base, 0.25)


def test_percentile_table_is_tidy(model, draws):
    table = e.percentile_table(e.evaluate(model, draws), model.years)
    assert list(table.columns) == ["metric", "year", "p5", "p50", "p95"]
    defined = table.dropna()
    assert (defined["p5"] <= defined["p50"]).all() and (defined["p50"] <= defined["p95"]).all()
    assert isinstance(table, pd.DataFrame) and set(table["year"]) == set(model.years)
