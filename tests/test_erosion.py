"""Tests for analysis.erosion. The numbers below are test fixtures, not the report's assumptions."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from analysis import erosion as e

YEARS = np.arange(2022, 2031)


@pytest.fixture
def inputs():
    return e.ErosionInputs(
        trainium_ceiling=0.4, trainium_midpoint=2027.0, trainium_takeover=6.0, trainium_cost_per_h100e=0.6,
        amd_ceiling=0.1, amd_midpoint=2028.0, amd_takeover=5.0, amd_cost_per_h100e=0.8,
        other_ceiling=0.05, other_midpoint=2029.0, other_takeover=6.0, other_cost_per_h100e=0.9,
        nvidia_cost_per_h100e=1.0, ai_share_of_capex=0.5, accelerator_share_of_ai_capex=0.5,
        capex_actual={2022: 60.0, 2023: 50.0, 2024: 80.0, 2025: 120.0},
        capex_growth={2026: 1.4, 2027: 1.1, 2028: 1.05, 2029: 1.05, 2030: 1.03},
    )


@pytest.fixture
def specs():
    return {
        "trainium_ceiling": e.beta(0.4, 60), "trainium_midpoint": stats.norm(2027, 1.0),
        "trainium_takeover": e.lognormal_from_interval(4.0, 9.0), "trainium_cost_per_h100e": e.lognormal(0.6, 0.15),
        "amd_ceiling": e.beta(0.1, 80), "amd_midpoint": stats.norm(2028, 1.0),
        "nvidia_cost_per_h100e": e.lognormal(1.0, 0.1), "ai_share_of_capex": e.beta(0.5, 100),
        "accelerator_share_of_ai_capex": e.beta(0.5, 100), "capex_growth_2026": e.lognormal(1.4, 0.1),
        "capex_growth_2027": e.lognormal(1.1, 0.08),
    }


# --- logistic -----------------------------------------------------------------------------------------------

def test_logistic_is_half_ceiling_at_midpoint_and_10_90_percent_at_half_takeover():
    k, m, T = 0.37, 2027.3, 5.5
    assert e.logistic_share(m, k, m, T) == pytest.approx(k / 2, rel=1e-12)
    assert e.logistic_share(m - T / 2, k, m, T) == pytest.approx(0.1 * k, rel=1e-12)
    assert e.logistic_share(m + T / 2, k, m, T) == pytest.approx(0.9 * k, rel=1e-12)


def _draws(n, lo, hi):
    return hnp.arrays(float, n, elements=st.floats(lo, hi))


@st.composite
def share_params(draw):
    n = draw(st.integers(1, 20))
    p = {}
    for c in e.CHALLENGERS:
        p[f"{c}_ceiling"] = draw(_draws(n, 0.0, 1.0))  # sums of ceilings up to 3 exercise the rescaling
        p[f"{c}_midpoint"] = draw(_draws(n, 1990.0, 2070.0))
        p[f"{c}_takeover"] = draw(_draws(n, 0.05, 60.0))
    for v in e.VENDORS:
        p[f"{v}_cost_per_h100e"] = draw(_draws(n, 1e-3, 1e3))
    return p


# Rescaled ceilings that sum to 1 + 1 ulp in floating point, fully saturated: Nvidia's remainder must not go negative.
SATURATED = {**{f"{c}_ceiling": np.array([k]) for c, k in zip(e.CHALLENGERS, [0.7214883401940817, 0.5253543224757259,
                                                                              0.31024187555895566])},
             **{f"{c}_midpoint": np.array([1990.0]) for c in e.CHALLENGERS},
             **{f"{c}_takeover": np.array([0.05]) for c in e.CHALLENGERS},
             **{f"{v}_cost_per_h100e": np.array([1.0]) for v in e.VENDORS}}


@settings(max_examples=300, deadline=None)
@given(share_params())
@example(SATURATED)
def test_shares_in_unit_interval_and_sum_to_one_every_year_and_draw(p):
    compute = e.compute_shares(YEARS, p)
    spend = e.spend_shares(compute, p)
    n = len(p["amd_ceiling"])
    for shares in (compute, spend):
        stacked = np.stack(list(shares.values()))
        assert stacked.shape == (len(e.VENDORS), n, len(YEARS))
        assert np.all((stacked >= 0) & (stacked <= 1))
        np.testing.assert_allclose(stacked.sum(axis=0), 1.0, rtol=0, atol=1e-12)


def test_ceilings_summing_above_one_are_rescaled_proportionally():
    p = {"trainium_ceiling": 0.9, "amd_ceiling": 0.6, "other_ceiling": 0.0,
         **{f"{c}_midpoint": 2000.0 for c in e.CHALLENGERS}, **{f"{c}_takeover": 1.0 for c in e.CHALLENGERS}}
    shares = e.compute_shares([2100.0], p)  # far past the midpoints: every challenger at its (rescaled) ceiling
    assert shares["trainium"][0, 0] == pytest.approx(0.6)
    assert shares["amd"][0, 0] == pytest.approx(0.4)
    assert shares["nvidia"][0, 0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("challenger", e.CHALLENGERS)
def test_earlier_midpoint_lowers_nvidia_spend_share_every_year(inputs, challenger):
    name = f"{challenger}_midpoint"
    base = e.evaluate(inputs)["spend_share_nvidia"]
    earlier = e.evaluate(inputs, {name: getattr(inputs, name) - 1.0})["spend_share_nvidia"]
    assert np.all(earlier < base)


@pytest.mark.parametrize("challenger", e.CHALLENGERS)
def test_faster_takeover_lowers_nvidia_share_after_the_midpoint_and_raises_it_before(inputs, challenger):
    # A steeper logistic is *lower* before its midpoint, so "faster takeover => lower Nvidia share" holds only after it.
    midpoint, takeover = getattr(inputs, f"{challenger}_midpoint"), getattr(inputs, f"{challenger}_takeover")
    base = e.evaluate(inputs)["spend_share_nvidia"][0]
    faster = e.evaluate(inputs, {f"{challenger}_takeover": takeover / 2})["spend_share_nvidia"][0]
    assert np.all(faster[YEARS > midpoint] < base[YEARS > midpoint])
    assert np.all(faster[YEARS < midpoint] > base[YEARS < midpoint])


@settings(max_examples=200, deadline=None)
@given(share_params(), st.floats(0.01, 10.0))
def test_earlier_midpoint_never_raises_nvidia_spend_share(p, shift):
    base = e.spend_shares(e.compute_shares(YEARS, p), p)["nvidia"]
    q = {**p, "trainium_midpoint": p["trainium_midpoint"] - shift}
    assert np.all(e.spend_shares(e.compute_shares(YEARS, q), q)["nvidia"] <= base + 1e-12)


def test_cheaper_challenger_lowers_its_dollar_share_relative_to_its_compute_share(inputs):
    def ratio(cost):
        paths = e.evaluate(inputs, {"trainium_cost_per_h100e": cost})
        return paths["spend_share_trainium"] / paths["compute_share_trainium"]

    assert np.all(ratio(0.5) < ratio(0.7))
    assert np.all(ratio(0.5) < 1.0)  # cheaper than every rival per H100e => dollar share below compute share
    assert np.all(ratio(2.0) > 1.0)  # dearer than every rival => dollar share above compute share
    paths = e.evaluate(inputs)  # ratio = own cost / compute-weighted average cost
    average = sum(paths[f"compute_share_{v}"] * getattr(inputs, f"{v}_cost_per_h100e") for v in e.VENDORS)
    np.testing.assert_allclose(ratio(inputs.trainium_cost_per_h100e), inputs.trainium_cost_per_h100e / average)


def test_equal_costs_make_dollar_shares_equal_compute_shares(inputs):
    same = {f"{v}_cost_per_h100e": 2.0 for v in e.VENDORS}
    paths = e.evaluate(inputs, same)
    for v in e.VENDORS:
        np.testing.assert_allclose(paths[f"spend_share_{v}"], paths[f"compute_share_{v}"], rtol=1e-12)


# --- fit ----------------------------------------------------------------------------------------------------

def test_fit_recovers_midpoint_and_takeover_with_fixed_ceiling():
    years = np.arange(2018, 2026)
    observed = e.logistic_share(years, 0.4, 2027.5, 6.0)
    fit = e.fit_logistic(years, observed, ceiling=0.4)
    assert (fit.ceiling, fit.midpoint, fit.takeover) == pytest.approx((0.4, 2027.5, 6.0), rel=1e-6)
    np.testing.assert_allclose(fit.residuals, 0.0, atol=1e-9)


def test_fit_recovers_ceiling_within_bounds_and_reports_residuals():
    years = np.arange(2015, 2036)
    truth = e.logistic_share(years, 0.35, 2026.0, 8.0)
    noise = np.random.default_rng(0).normal(0, 0.002, years.size)
    fit = e.fit_logistic(years, truth + noise, ceiling_bounds=(0.05, 0.9))
    assert fit.ceiling == pytest.approx(0.35, abs=0.01)
    assert fit.midpoint == pytest.approx(2026.0, abs=0.3)
    assert fit.takeover == pytest.approx(8.0, abs=0.5)
    fitted = e.logistic_share(years, fit.ceiling, fit.midpoint, fit.takeover)
    np.testing.assert_allclose(fit.residuals, truth + noise - fitted, atol=1e-12)


def test_fit_rejects_ambiguous_ceiling_and_too_few_points():
    with pytest.raises(ValueError):
        e.fit_logistic([2022, 2023, 2024], [0.01, 0.02, 0.04], ceiling=0.4, ceiling_bounds=(0.1, 0.9))
    with pytest.raises(ValueError):
        e.fit_logistic([2022, 2023, 2024], [0.01, 0.02, 0.04])
    with pytest.raises(ValueError):
        e.fit_logistic([2022, 2023], [0.01, 0.02], ceiling_bounds=(0.1, 0.9))


# --- spend trajectory ---------------------------------------------------------------------------------------

def test_spend_identities(inputs):
    paths = e.evaluate(inputs)
    capex = paths["capex"][0]
    np.testing.assert_allclose(capex[:4], [60.0, 50.0, 80.0, 120.0])
    np.testing.assert_allclose(capex[4:], 120.0 * np.cumprod([1.4, 1.1, 1.05, 1.05, 1.03]))
    np.testing.assert_allclose(paths["accelerator_spend"], paths["capex"] * 0.25)
    np.testing.assert_allclose(paths["nvidia_revenue"], paths["accelerator_spend"] * paths["spend_share_nvidia"])
    challengers = sum(paths[f"spend_share_{c}"] for c in e.CHALLENGERS) * paths["accelerator_spend"]
    np.testing.assert_allclose(paths["erosion"], challengers)
    np.testing.assert_allclose(paths["cumulative_erosion"], np.cumsum(paths["erosion"], axis=1))


def test_window_sums_and_thresholds(inputs):
    paths = e.evaluate(inputs)
    out = e.outcomes(paths, inputs.years)
    nv = paths["nvidia_revenue"][0]
    assert out["nvidia_revenue_2024_2026"][0] == pytest.approx(nv[2:5].sum())
    assert out["nvidia_revenue_2027_2030"][0] == pytest.approx(nv[5:].sum())
    assert out["nvidia_revenue_2024_2030"][0] == pytest.approx(nv[2:].sum())
    challenger = 1 - paths["spend_share_nvidia"][0]
    first = inputs.years[np.argmax(challenger >= 0.25)]
    assert challenger.max() >= 0.25 and out["first_year_challengers_25pct"][0] == first
    assert challenger[inputs.years < first].max() < 0.25


def test_threshold_never_crossed_is_nan_in_draws_and_none_in_deterministic_run(inputs):
    small = replace(inputs, trainium_ceiling=0.1, amd_ceiling=0.05, other_ceiling=0.05)
    assert np.isnan(e.outcomes(e.evaluate(small), small.years)["first_year_challengers_25pct"][0])
    _, summary = e.run_deterministic(small, {})
    assert summary["first_year_challengers_25pct"] is None and summary["first_year_challengers_50pct"] is None


def test_invalid_inputs_are_rejected(inputs):
    with pytest.raises(KeyError):
        e.evaluate(inputs, {"trainium_cieling": 0.3})
    for name, bad in [("trainium_ceiling", 1.2), ("amd_takeover", 0.0), ("nvidia_cost_per_h100e", -1.0),
                      ("ai_share_of_capex", np.nan), ("capex_growth_2027", 0.0)]:
        with pytest.raises(ValueError):
            e.evaluate(inputs, {name: bad})
    with pytest.raises(ValueError):
        replace(inputs, capex_growth={2027: 1.1})


# --- Monte Carlo --------------------------------------------------------------------------------------------

def test_deterministic_run_is_the_core_at_the_medians(inputs, specs):
    table, _ = e.run_deterministic(inputs, specs)
    paths = e.evaluate(inputs, e.medians(specs))
    for metric, values in paths.items():
        np.testing.assert_array_equal(table[metric].to_numpy(), values[0])


def test_mc_median_equals_deterministic_for_a_single_monotone_input(inputs):
    # The median is equivariant under monotone maps, so only sampling error (~0.1% here) separates them.
    specs = {"capex_growth_2026": e.lognormal(1.4, 0.1)}
    table, _ = e.run_deterministic(inputs, specs)
    per_year, _ = e.monte_carlo(inputs, specs, 20_000, 7)
    p50 = per_year[per_year.metric == "nvidia_revenue"].set_index("year")["p50"]
    np.testing.assert_allclose(p50.to_numpy(), table["nvidia_revenue"].to_numpy(), rtol=5e-3)


def test_mc_median_close_to_deterministic_run(inputs, specs):
    # With many inputs the median of a nonlinear output is not the output at the median inputs; for these
    # spreads the gap is below 2 points of share and 4% of spend.
    table, _ = e.run_deterministic(inputs, specs)
    per_year, _ = e.monte_carlo(inputs, specs, 20_000, 11)
    p50 = per_year.pivot(index="year", columns="metric", values="p50")
    np.testing.assert_allclose(p50["spend_share_nvidia"], table["spend_share_nvidia"], atol=0.02)
    np.testing.assert_allclose(p50["accelerator_spend"], table["accelerator_spend"], rtol=0.04)
    np.testing.assert_allclose(p50["nvidia_revenue"], table["nvidia_revenue"], rtol=0.04)
    assert (per_year.p5 <= per_year.p50).all() and (per_year.p50 <= per_year.p95).all()


def test_percentile_table_is_tidy(inputs, specs):
    per_year, outs = e.monte_carlo(inputs, specs, 2_000, 1)
    assert list(per_year.columns) == ["metric", "year", "p5", "p50", "p95"]
    assert len(per_year) == per_year.metric.nunique() * len(YEARS)
    assert set(per_year.year) == set(YEARS)
    assert list(outs.columns) == ["outcome", "p5", "p50", "p95", "share_defined"]
    assert outs.share_defined.between(0, 1).all()


def test_same_seed_is_byte_identical_and_different_seed_differs(inputs, specs):
    corr = {("trainium_ceiling", "trainium_midpoint"): -0.5}
    a = e.monte_carlo(inputs, specs, 10_000, 42, corr)
    b = e.monte_carlo(inputs, specs, 10_000, 42, corr)
    c = e.monte_carlo(inputs, specs, 10_000, 43, corr)
    assert a[0].to_csv() == b[0].to_csv() and a[1].to_csv() == b[1].to_csv()
    assert a[0].to_csv() != c[0].to_csv()


def test_marginals_and_copula_correlation():
    specs = {"x": e.lognormal_from_interval(2.0, 8.0), "y": e.beta(0.3, 20), "z": stats.norm(2027, 2)}
    draws = e.sample_inputs(specs, 100_000, 5, {("x", "y"): 0.6, ("y", "z"): -0.4})
    assert np.percentile(draws["x"], [5, 50, 95]) == pytest.approx([2.0, 4.0, 8.0], rel=0.01)  # ~3.5 s.e.
    assert draws["y"].mean() == pytest.approx(0.3, abs=0.003)
    scores = {k: stats.norm.ppf(specs[k].cdf(v)) for k, v in draws.items()}
    for z in scores.values():  # normal scores are standard normal (s.e. of the sd is ~0.002)
        assert (z.mean(), z.std()) == pytest.approx((0.0, 1.0), abs=0.01)
    assert np.corrcoef(scores["x"], scores["y"])[0, 1] == pytest.approx(0.6, abs=0.01)
    assert np.corrcoef(scores["y"], scores["z"])[0, 1] == pytest.approx(-0.4, abs=0.01)
    assert np.corrcoef(scores["x"], scores["z"])[0, 1] == pytest.approx(0.0, abs=0.01)


def test_non_positive_definite_correlations_are_rejected():
    specs = {k: stats.norm() for k in "abc"}
    with pytest.raises(ValueError):
        e.sample_inputs(specs, 10, 0, {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9})
    with pytest.raises(ValueError):
        e.sample_inputs(specs, 10, 0, {("a", "d"): 0.5})


# --- sensitivity --------------------------------------------------------------------------------------------

UNIFORM = e.beta(0.5, 2.0)  # Beta(1, 1)


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


def test_erosion_sensitivity_end_to_end(inputs, specs):
    model = e.outcome_model(inputs, "nvidia_revenue_2024_2030")
    swings = e.tornado(model, specs)
    assert swings.swing.is_monotonic_decreasing and len(swings) == len(specs)
    base = e.outcomes(e.evaluate(inputs, e.medians(specs)), inputs.years)["nvidia_revenue_2024_2030"][0]
    np.testing.assert_allclose(swings.base, base)
    sobol = e.sobol_indices(model, specs, 512, 0)
    assert isinstance(sobol, pd.DataFrame) and sobol.ST.is_monotonic_decreasing
    assert set(sobol.input) == set(specs)
