"""The erosion model on small synthetic inputs: observed years as data rows (central + draws), calibration inside
each draw, logistic moves, shares, spend identities, thresholds, 'stays above' years, central estimate, sensitivity
tools."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import erosion as e, erosion_outcomes as eo, erosion_sampling as es
from analysis.models.uncertainty import SplitDistribution

VENDORS = (e.Vendor("nvidia", "Nvidia", "gpu"), e.Vendor("asic1", "ASIC one", "asic"), e.Vendor("gpu2", "GPU two", "gpu"))
# Row 0 is the central estimate, rows 1-2 two draws of the data.
OBSERVED = e.Observed(years=(2023, 2024, 2025), capex=np.array([50.0, 80.0, 100.0]),
                      spend={"nvidia": np.array([[4.0, 6.0, 8.0], [3.0, 5.0, 6.0], [5.0, 7.0, 10.0]]),
                             "asic1": np.array([[np.nan, 1.0, 2.0], [np.nan, 1.5, 3.0], [np.nan, 0.5, 1.0]]),
                             "gpu2": np.zeros((3, 3))},
                      compute={"nvidia": np.array([[100.0, 150.0, 200.0], [90.0, 140.0, 180.0], [110.0, 160.0, 220.0]]),
                               "asic1": np.array([[np.nan, 50.0, 100.0], [np.nan, 60.0, 120.0], [np.nan, 40.0, 90.0]]),
                               "gpu2": np.zeros((3, 3))})
POINT = {"capex_growth_2026": 1.2, "capex_growth_2027": 1.1, "capex_growth_2028": 1.0, "capex_growth_2029": 1.0, "capex_growth_2030": 1.05,
         "accelerator_share_change": 1.0, "observed_data": 0.0,
         "asic1_ceiling": 0.6, "asic1_midpoint": 2027.0, "asic1_takeover": 3.0,
         "gpu2_ceiling": 0.1, "gpu2_midpoint": 2028.0, "gpu2_takeover": 4.0, "gpu2_cost_ratio": 0.8}
ASIC1_COST = (2.0 / 100.0) / (8.0 / 200.0)   # central 2025: asic1's USD per H100e over Nvidia's = 0.5


@pytest.fixture
def model():
    return e.Model(VENDORS, OBSERVED, (2026, 2027, 2028, 2029, 2030), dict(POINT))


@pytest.fixture
def draws():
    rng = np.random.default_rng(7)
    n = 500
    return {"asic1_ceiling": rng.uniform(0, 1, n), "asic1_midpoint": rng.uniform(2020, 2035, n),
            "asic1_takeover": rng.uniform(0.2, 10, n), "gpu2_ceiling": rng.uniform(0, 1, n),
            "gpu2_midpoint": rng.uniform(2020, 2035, n), "gpu2_cost_ratio": rng.uniform(0.1, 2, n),
            "capex_growth_2026": rng.uniform(0.5, 2, n), "accelerator_share_change": rng.uniform(0.5, 2, n)}


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


def test_observed_years_are_the_chosen_row_of_the_data_in_every_draw(model, draws):
    paths = e.evaluate(model, draws)
    n_obs = len(OBSERVED.years)
    np.testing.assert_array_equal(paths["capex"][:, :n_obs], np.broadcast_to(OBSERVED.capex, (500, n_obs)))
    np.testing.assert_array_equal(paths["nvidia_revenue"][:, :n_obs], np.broadcast_to(OBSERVED.spend["nvidia"][0], (500, n_obs)))
    rows = e.evaluate(model, {**draws, "observed_data": np.tile([0.0, 1.0], 250)})["nvidia_revenue"][:, :n_obs]
    np.testing.assert_array_equal(rows[1::2], np.broadcast_to(OBSERVED.spend["nvidia"][1], (250, n_obs)))
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
    np.testing.assert_allclose(p["accelerator_spend"][0, 3:], p["capex"][0, 3:] * 0.1)   # 2025: 10 of 100 on chips
    np.testing.assert_allclose(p["nvidia_revenue"][:, 1:] + p["erosion"][:, 1:], p["accelerator_spend"][:, 1:])
    assert np.isnan(p["erosion"][0, 0])          # a year the data do not split by vendor has no erosion figure
    np.testing.assert_allclose(p["asic_spend_share"][0, 3:], p["spend_share_asic1"][0, 3:])  # gpu2 is not an ASIC


def test_spend_shares_weight_compute_shares_by_each_draws_observed_cost_ratio(model):
    p = e.evaluate(model)
    weights = {"nvidia": p["compute_share_nvidia"][0, 3:], "asic1": p["compute_share_asic1"][0, 3:] * ASIC1_COST,
               "gpu2": p["compute_share_gpu2"][0, 3:] * 0.8}
    np.testing.assert_allclose(p["spend_share_asic1"][0, 3:], weights["asic1"] / sum(weights.values()))
    assert np.all(p["spend_share_asic1"][0, 3:] < p["compute_share_asic1"][0, 3:])        # cheaper compute, fewer dollars


def test_each_draw_continues_from_its_own_past(model):
    """The forecast of draw k starts from row k of the data: its share of capex on chips, its compute shares and its
    cost ratio (no jump at the boundary)."""
    p = e.evaluate(model, {"observed_data": np.array([0.0, 1.0, 2.0])})
    last = np.array([[8.0 + 2.0, 6.0 + 3.0, 10.0 + 1.0]]).T / 100.0            # each row's 2025 accelerator share of capex
    np.testing.assert_allclose(p["accelerator_spend"][:, 3], 120.0 * last[:, 0])
    ratios = np.array([(2 / 100) / (8 / 200), (3 / 120) / (6 / 180), (1 / 90) / (10 / 220)])
    share = p["compute_share_asic1"][:, 3]
    weights = share * ratios
    np.testing.assert_allclose(p["spend_share_asic1"][:, 3],
                               weights / (weights + p["compute_share_nvidia"][:, 3] + p["compute_share_gpu2"][:, 3] * 0.8))
    np.testing.assert_allclose(p["compute_share_asic1"][:, 3], [e.logistic_move(2026.5, s, 0.6, 2027.0, 3.0, 2025.5)
                                                                for s in (100 / 300, 120 / 300, 90 / 310)])


def test_erosion_on_the_same_compute_prices_challenger_compute_at_nvidias_cost(model):
    p = e.evaluate(model)
    assert p["erosion_same_compute"][0, 1] == pytest.approx(50.0 * 6.0 / 150.0)            # 2024: asic1 H100e x Nvidia's USD per H100e
    forecast = p["accelerator_spend"][0, 3:] * (p["spend_share_asic1"][0, 3:] / ASIC1_COST + p["spend_share_gpu2"][0, 3:] / 0.8)
    np.testing.assert_allclose(p["erosion_same_compute"][0, 3:], forecast)
    assert np.all(p["erosion_same_compute"][0, 1:] > p["erosion"][0, 1:])                   # cheaper compute: more of it


def test_a_higher_ceiling_lowers_nvidia_spend_share_in_every_forecast_year(model):
    low, high = (e.evaluate(model, {"asic1_ceiling": k})["nvidia_spend_share"][0, 3:] for k in (0.4, 0.8))
    assert np.all(high < low)


@pytest.mark.parametrize("name, value", [("asic1_ceiling", 1.5), ("asic1_takeover", 0.0), ("capex_growth_2027", -1.0),
                                         ("accelerator_share_change", np.nan), ("gpu2_cost_ratio", 0.0),
                                         ("observed_data", 3.0), ("observed_data", 0.5)])
def test_invalid_inputs_are_rejected(model, name, value):
    with pytest.raises(ValueError, match=name):
        e.evaluate(model, {name: value})
    with pytest.raises(KeyError):
        e.evaluate(model, {"no_such_input": 1.0})
    with pytest.raises(KeyError):
        e.evaluate(model, {"asic1_cost_ratio": 1.0})      # calibrated from the data: not an input


def test_model_requires_consecutive_years_and_every_point_value():
    with pytest.raises(ValueError, match="consecutive"):
        e.Model(VENDORS, OBSERVED, (2027, 2028), dict(POINT))
    with pytest.raises(ValueError, match="gpu2_takeover"):
        e.Model(VENDORS, OBSERVED, (2026, 2027, 2028, 2029, 2030), {k: v for k, v in POINT.items() if k != "gpu2_takeover"})


def test_threshold_probabilities_cover_every_year_and_stays_above_is_not_first_above(model):
    ceilings = np.array([0.0, 0.0, 0.95, 0.95])   # two draws fall back, two pass 50% of spend
    paths = e.evaluate(model, {"asic1_ceiling": ceilings, "asic1_midpoint": np.full(4, 2026.0)})
    share = paths["asic_spend_share"]
    table = eo.threshold_table(paths, model.years, thresholds=(0.5,)).set_index("year")["probability"]
    assert list(table.index) == list(model.years)
    assert np.isnan(table[2023])                                     # the data do not split 2023 by vendor
    assert table[2030] == np.mean(share[:, -1] > 0.5) == 0.5
    stays = eo.stays_above_table(paths, model.years, thresholds=(0.5,)).iloc[0]
    assert stays["share_never"] == 0.5 and stays["p95"] == np.inf and stays["p5"] <= 2030
    year = eo.year_stays_above(paths, model.years, 0.5)
    assert np.isnan(year[:2]).all() and (year[2:] >= 2026).all()


def test_the_share_of_capex_on_chips_is_capped_at_all_of_capex(model):
    p = e.evaluate(model, {"accelerator_share_change": 50.0})
    np.testing.assert_allclose(p["accelerator_spend"][0, 3:], p["capex"][0, 3:])


def test_a_one_year_blip_is_not_a_crossing():
    years = np.arange(2024, 2031)
    share = np.array([[0.30, 0.20, 0.22, 0.26, 0.27, 0.28, 0.30],     # above in 2024, below, then above from 2027
                      [0.30, 0.20, 0.20, 0.20, 0.20, 0.20, 0.20],     # a blip only: never stays above
                      [np.nan, 0.26, 0.27, 0.28, 0.29, 0.30, 0.31]])  # undefined first year, above from 2025
    year = eo.year_stays_above({"asic_spend_share": share}, years, 0.25)
    assert year[0] == 2027 and np.isnan(year[1]) and year[2] == 2025


def test_observed_index_orders_draws_and_its_median_is_the_central_row():
    dist = e.ObservedIndex((3, 1, 2))
    assert dist.median() == 0.0
    np.testing.assert_array_equal(dist.ppf([0.0, 0.34, 0.99, 1.0]), [3.0, 1.0, 2.0, 2.0])


def test_window_sums_cover_exactly_their_years(model):
    p = e.evaluate(model)
    assert eo.window_sum(p, model.years, "capex", 2026, 2027)[0] == pytest.approx(120 + 132)
    with pytest.raises(ValueError, match="not inside"):
        eo.window_sum(p, model.years, "capex", 2026, 2031)


def test_central_estimate_is_the_model_at_the_medians_and_the_tornado_base(model):
    specs = {"asic1_ceiling": SplitDistribution(0.6, 0.4, 0.8, "logitnormal"),
             "capex_growth_2026": SplitDistribution(1.2, 1.0, 1.5, "lognormal"), "observed_data": e.ObservedIndex((1, 2))}
    window = (2026, 2030)
    fn = es.outcome_model(model, window)
    base = es.tornado(fn, specs)["base"].iloc[0]
    central = eo.outcomes(e.evaluate(model, es.medians(specs)), model.years, [window])["nvidia_revenue_2026_2030"][0]
    assert base == central == eo.outcomes(e.evaluate(model), model.years, [window])["nvidia_revenue_2026_2030"][0]


def test_same_seed_is_byte_identical_and_another_seed_differs():
    specs = {"a": SplitDistribution(1.0, 0.5, 3.0, "lognormal"), "b": SplitDistribution(0.3, 0.1, 0.5, "logitnormal")}
    one, two, other = (es.sample_inputs(specs, 1000, s) for s in (5, 5, 6))
    assert all(np.array_equal(one[k], two[k]) for k in specs)
    assert not np.array_equal(one["a"], other["a"])


def test_kept_input_draws_are_the_inverse_cdf_of_their_column_and_each_callers_own():
    """`sample_inputs` keeps each input's draws per process (a sweep's sets share most inputs): they are the quantiles
    of its column of the seeded uniforms, the numbers a fresh computation gives, and a caller that changes its arrays
    changes no later call's."""
    specs = {"a": SplitDistribution(1.0, 0.5, 3.0, "lognormal"), "b": SplitDistribution(0.3, 0.1, 0.5, "logitnormal"),
             "observed_data": e.ObservedIndex((3, 1, 2))}
    u = np.random.Generator(np.random.PCG64(11)).random((500, len(specs)))
    expected = {name: dist.ppf(u[:, j]) for j, (name, dist) in enumerate(specs.items())}
    first = es.sample_inputs(specs, 500, 11)
    for name in specs:
        assert first[name].tobytes() == expected[name].tobytes()
        first[name][:] = -1.0
    again = es.sample_inputs({**specs, "b": SplitDistribution(0.3, 0.1, 0.5, "logitnormal")}, 500, 11)
    assert all(again[name].tobytes() == expected[name].tobytes() for name in specs)
    shifted = es.sample_inputs({"b": specs["b"], "a": specs["a"], "observed_data": specs["observed_data"]}, 500, 11)
    assert shifted["b"].tobytes() == specs["b"].ppf(u[:, 0]).tobytes() != expected["b"].tobytes()


# --- sensitivity tools ----------------------------------------------------------------------------------------

UNIFORM = stats.uniform(0, 1)


def test_sobol_ranks_dominant_input_first_with_known_indices():
    # y = 10 a + b + 0 c with independent U(0, 1): S1_a = ST_a = 100/101, S1_b = 1/101, S_c = 0.
    specs = {"c": UNIFORM, "b": UNIFORM, "a": UNIFORM}
    table = es.sobol_indices(lambda p: 10 * p["a"] + p["b"] + 0 * p["c"], specs, 4096, 3)
    assert list(table.input) == ["a", "b", "c"]
    first = table.set_index("input")
    assert first.loc["a", "S1"] == pytest.approx(100 / 101, abs=max(0.02, first.loc["a", "S1_conf"]))
    assert first.loc["b", "ST"] == pytest.approx(1 / 101, abs=0.005)
    assert abs(first.loc["c", "ST"]) < 1e-9


def test_tornado_swings_on_a_linear_model():
    specs = {"a": stats.norm(0, 1), "b": stats.norm(0, 3), "c": UNIFORM}
    table = es.tornado(lambda p: 2 * p["a"] - p["b"] + 0.5 * p["c"], specs)
    assert list(table.input) == ["b", "a", "c"]
    span = stats.norm.ppf(0.9) - stats.norm.ppf(0.1)
    assert table.swing.tolist() == pytest.approx([3 * span, 2 * span, 0.5 * 0.8])
    np.testing.assert_allclose(table.base, 0.25)


def test_percentile_table_is_tidy(model, draws):
    table = eo.percentile_table(e.evaluate(model, draws), model.years)
    assert list(table.columns) == ["metric", "year", "p5", "p25", "p50", "p75", "p95"]
    defined = table.dropna()
    for lower, upper in (("p5", "p25"), ("p25", "p50"), ("p50", "p75"), ("p75", "p95")):
        assert (defined[lower] <= defined[upper]).all(), (lower, upper)
    assert isinstance(table, pd.DataFrame) and set(table["year"]) == set(model.years)
