"""Tests for analysis.models.finance: hand-computed and textbook figures, properties, edge cases."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.models import finance as f

settings.register_profile("finance", deadline=None, max_examples=150, database=None)
settings.load_profile("finance")

capex_s = st.floats(1e3, 1e5)
price_path_s = st.lists(st.floats(0.5, 10.0), min_size=12, max_size=72)
util_s = st.floats(0.05, 1.0)
cost_s = st.floats(0.0, 0.5)
rate_s = st.floats(0.0, 0.3)


# --- capital recovery factor -------------------------------------------------------------

def test_crf_textbook_values():
    assert f.capital_recovery_factor(0.08, 5) == pytest.approx(0.250456, abs=1e-6)
    assert f.capital_recovery_factor(0.10, 10) == pytest.approx(0.162745, abs=1e-6)


def test_crf_zero_rate_is_straight_line_and_vectorizes():
    assert f.capital_recovery_factor(0.0, 4) == pytest.approx(0.25)
    out = f.capital_recovery_factor(np.array([0.0, 0.08]), np.array([5, 5]))
    np.testing.assert_allclose(out, [0.2, 0.250456], atol=1e-6)


@given(rate=st.floats(0.001, 0.5), years=st.integers(1, 30))
def test_crf_payments_repay_one_dollar(rate, years):
    crf = f.capital_recovery_factor(rate, years)
    present_value = sum(crf / (1 + rate) ** t for t in range(1, years + 1))
    assert present_value == pytest.approx(1.0, rel=1e-9)


def test_crf_continuous_at_zero_rate():
    assert f.capital_recovery_factor(1e-9, 6) == pytest.approx(1 / 6, rel=1e-6)


# --- hourly costs ------------------------------------------------------------------------

def test_power_cost_per_hour_by_hand():
    # 0.7 kW x 1.3 x 1.2 x 0.08 USD/kWh
    assert f.power_cost_per_hour(700, 0.3, 1.2, 0.08) == pytest.approx(0.08736)


def test_landlord_cost_by_hand():
    # 35,040 USD over 4 years at 0 % = 8,760 USD/yr = 1 USD/h
    parts = f.landlord_cost_breakdown(35_040, 4, 0.0, 0.1, 0.2)
    assert parts["capital"] == pytest.approx(1.0)
    assert parts["total"] == pytest.approx(1.3)
    # 8 %, 5 years: 25,000 x 0.250456 / 8760
    assert f.landlord_cost_breakdown(25_000, 5, 0.08, 0.0, 0.0)["total"] == pytest.approx(
        25_000 * 0.250456 / 8760, rel=1e-5)


def test_landlord_breakdown_makes_a_table():
    table = pd.DataFrame(f.landlord_cost_breakdown(np.array([1e4, 2e4]), 5, 0.08, 0.1, 0.2))
    assert list(table.columns) == ["capital", "power", "hosting", "total"]
    np.testing.assert_allclose(table["total"], table[["capital", "power", "hosting"]].sum(axis=1))


def test_cost_per_useful_hour_by_hand():
    # 8,760 USD, 1 year, 0 %: 1 USD per wall hour -> 2 per useful hour at 50 %; power 10 kW x 1.5 x 0.1
    assert f.cost_per_useful_hour(8760, 1, 0.0, 10, 0.1, 1.5, 0.5) == pytest.approx(3.5)


@pytest.mark.parametrize("u", [0.0, -0.1, 1.5])
def test_cost_per_useful_hour_rejects_bad_utilization(u):
    with pytest.raises(ValueError):
        f.cost_per_useful_hour(8760, 1, 0.0, 10, 0.1, 1.5, u)


def test_usd_per_million_tokens_and_implied_gpus():
    # 3.6 USD/h at 1,000 tok/s = 3.6 M tokens per hour
    assert f.usd_per_million_tokens(3.6, 1000) == pytest.approx(1.0)
    assert f.implied_licensed_gpus(1e9, 2e4) == pytest.approx(50_000)


# --- cash flows, payback, NPV, IRR -------------------------------------------------------

def test_monthly_cash_flows_by_hand():
    cf = f.monthly_cash_flows(1000, [2.0, 3.0], 0.5, 0.2, 0.1)
    # 730 x (0.5 x 1.8 - 0.1) = 584 ; 730 x (0.5 x 2.8 - 0.1) = 949
    np.testing.assert_allclose(cf, [-1000, 584, 949])


def test_monthly_cash_flows_broadcast():
    cf = f.monthly_cash_flows(np.array([1.0, 2.0]), np.ones(3), np.array([[0.5], [1.0]]), 0, 0)
    assert cf.shape == (2, 2, 4)
    np.testing.assert_allclose(cf[1, 0], [-1, 730, 730, 730])


@pytest.mark.parametrize("flows, month", [
    ([-100, 30, 30, 30, 30], 4.0),   # cumulative -70, -40, -10, +20
    ([-100, 50, 50], 2.0),           # exactly zero counts as paid back
    ([0, 5], 0.0),
])
def test_payback_by_hand(flows, month):
    assert f.payback_month(flows) == month


def test_never_pays_back_is_nan():
    assert math.isnan(f.payback_month([-100, 10, 10]))
    out = f.payback_month([[-100, 10, 10], [-100, 60, 60]])
    assert math.isnan(out[0]) and out[1] == 2


def test_npv_by_hand():
    # 110 at month 12 discounted at 10 %/yr is worth 100 today
    flows = [-100] + [0] * 11 + [110]
    assert f.npv_at(0.10, flows) == pytest.approx(0.0, abs=1e-9)
    # Gitman example at 8 % per period, stated as an annual rate
    assert f.npv_at(1.08 ** 12 - 1, [-40_000, 5_000, 8_000, 12_000, 30_000]) == pytest.approx(
        3065.22267, abs=1e-4)


@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=60))
def test_npv_at_zero_rate_is_sum(flows):
    assert f.npv_at(0.0, flows) == pytest.approx(sum(flows), abs=1e-6)


def test_irr_textbook():
    # -100, +60, +60: 60x^2 + 60x - 100 = 0 -> x = 1/(1+m), m = 13.07 % per month
    m = 1 / ((-60 + math.sqrt(60**2 + 4 * 60 * 100)) / 120) - 1
    assert m == pytest.approx(0.1307, abs=1e-4)
    assert f.irr_annual([-100, 60, 60]) == pytest.approx((1 + m) ** 12 - 1, rel=1e-9)
    assert f.irr_annual([-100] + [0] * 11 + [110]) == pytest.approx(0.10, rel=1e-9)


def test_irr_undefined_is_nan():
    assert math.isnan(f.irr_annual([-100, -10, -10]))
    out = f.irr_annual([[-100, 60, 60], [-100, -1, -1]])
    assert np.isfinite(out[0]) and math.isnan(out[1])


@given(capex=capex_s, price=price_path_s, u=util_s, power=cost_s, hosting=cost_s)
def test_npv_is_zero_at_irr(capex, price, u, power, hosting):
    cf = f.monthly_cash_flows(capex, price, u, power, hosting)
    irr = f.irr_annual(cf)
    assume(np.isfinite(irr) and irr > -0.9)
    assert f.npv_at(irr, cf) == pytest.approx(0.0, abs=1e-6 * capex)


@given(capex=capex_s, price=price_path_s, u=util_s, power=cost_s, hosting=cost_s,
       cut=st.floats(0.5, 0.99))
def test_irr_falls_as_price_falls(capex, price, u, power, hosting, cut):
    cheap = f.monthly_cash_flows(capex, cut * np.asarray(price), u, power, hosting)
    # conventional flows only (outlay, then inflows): otherwise IRR need not be unique
    assume(np.all(cheap[1:] > 0))
    high = f.irr_annual(f.monthly_cash_flows(capex, price, u, power, hosting))
    low = f.irr_annual(cheap)
    assume(low > -0.9)
    assert low < high


# --- break-even --------------------------------------------------------------------------

def test_breakeven_utilization_by_hand():
    # 0 %: -1000 + 10 x 730 x (u x (2 - 0.5) - 0.1) = 0
    expected = (1000 / 7300 + 0.1) / 1.5
    assert f.breakeven_utilization(1000, np.full(10, 2.0), 0.5, 0.1, 0.0) == pytest.approx(expected)


def test_breakeven_price_by_hand():
    # 0 %: -1000 + 7300 x (0.5 x (s - 0.2) - 0.1) = 0
    expected = 2 * (1000 / 7300 + 0.1) + 0.2
    assert f.breakeven_price_scale(1000, np.ones(10), 0.5, 0.2, 0.1, 0.0) == pytest.approx(expected)


def test_breakeven_never_is_inf():
    assert f.breakeven_utilization(1000, np.full(10, 0.4), 0.5, 0.1, 0.05) == np.inf
    assert f.breakeven_price_scale(1000, np.ones(10), 0.0, 0.2, 0.1, 0.05) == np.inf


@given(capex=capex_s, price=price_path_s, power=cost_s, hosting=cost_s, rate=rate_s)
def test_npv_zero_at_breakeven_utilization(capex, price, power, hosting, rate):
    u = f.breakeven_utilization(capex, price, power, hosting, rate)
    assume(np.isfinite(u))
    npv = f.npv_at(rate, f.monthly_cash_flows(capex, price, u, power, hosting))
    assert npv == pytest.approx(0.0, abs=1e-8 * capex)


@given(capex=capex_s, price=price_path_s, u=util_s, power=cost_s, hosting=cost_s, rate=rate_s)
def test_npv_zero_at_breakeven_price(capex, price, u, power, hosting, rate):
    s = f.breakeven_price_scale(capex, price, u, power, hosting, rate)
    npv = f.npv_at(rate, f.monthly_cash_flows(capex, s * np.asarray(price), u, power, hosting))
    assert npv == pytest.approx(0.0, abs=1e-8 * capex)


@given(capex=capex_s, price=price_path_s, power=cost_s, hosting=cost_s, rate=rate_s,
       more=st.floats(1.01, 3.0), extra_hosting=st.floats(0.0, 0.5))
def test_breakeven_utilization_rises_with_cost(capex, price, power, hosting, rate, more,
                                                extra_hosting):
    base = f.breakeven_utilization(capex, price, power, hosting, rate)
    dearer = f.breakeven_utilization(more * capex, price, power, hosting + extra_hosting, rate)
    assume(np.isfinite(base))
    assert dearer > base


# --- rent vs buy -------------------------------------------------------------------------

def test_rent_vs_buy_by_hand():
    # renting 4 USD/h x 0.5 x 730 h = 1,460/month vs 500/month running: 30,000 / 960
    assert f.rent_vs_buy_breakeven_months(30_000, 500, 4.0, 0.5) == pytest.approx(31.25)
    assert f.rent_vs_buy_breakeven_months(30_000, 500, 1.0, 0.5) == np.inf


@given(price=st.floats(1e3, 1e6), running=st.floats(0, 1e4), rent=st.floats(0.1, 20),
       lo=st.floats(0.05, 0.9), step=st.floats(0.01, 0.5))
def test_rent_vs_buy_months_fall_as_utilization_rises(price, running, rent, lo, step):
    hi = min(1.0, lo * (1 + step))
    at_lo = f.rent_vs_buy_breakeven_months(price, running, rent, lo)
    at_hi = f.rent_vs_buy_breakeven_months(price, running, rent, hi)
    assert at_hi <= at_lo
    if np.isfinite(at_lo):
        assert at_hi < at_lo


# --- residual value, life, price decline, margin ---------------------------------------------

def test_residual_raises_npv_by_its_discounted_amount():
    price = np.full(36, 3.0)
    base = f.monthly_cash_flows(10_000, price, 0.7, 0.1, 0.2)
    resale = f.monthly_cash_flows(10_000, price, 0.7, 0.1, 0.2, residual_fraction=0.15)
    np.testing.assert_allclose(resale - base, [0] * 36 + [1_500])
    m = 1.08 ** (1 / 12) - 1
    assert f.npv_at(0.08, resale) - f.npv_at(0.08, base) == pytest.approx(1_500 / (1 + m) ** 36)


def test_life_truncates_a_longer_path():
    price = np.arange(1.0, 25.0)
    short = f.monthly_cash_flows(1_000, price[:12], 0.5, 0.2, 0.1, 0.1)
    cut = f.monthly_cash_flows(1_000, price, 0.5, 0.2, 0.1, 0.1, life_months=12)
    np.testing.assert_allclose(cut[:13], short)
    assert (cut[13:] == 0).all()
    assert f.irr_annual(cut) == pytest.approx(f.irr_annual(short))
    assert f.payback_month(cut) == f.payback_month(short)
    lives = f.monthly_cash_flows(1_000, price, 0.5, 0.2, 0.1, 0.0, life_months=np.array([6, 24]))
    assert lives.shape == (2, 25) and (lives[0, 7:] == 0).all() and (lives[1] != 0).all()


def test_life_longer_than_the_path_is_refused():
    with pytest.raises(ValueError, match="12 months"):
        f.monthly_cash_flows(1_000, np.ones(12), 0.5, 0.0, 0.0, life_months=13)


def test_decline_factors_by_hand():
    np.testing.assert_allclose(f.decline_factors([-3, 0, 6, 12, 24], 0.19), [1, 1, 0.9, 0.81, 0.6561])
    np.testing.assert_allclose(f.decline_factors([5, 50], 0.0), [1, 1])


def test_declining_path_pays_back_later_and_is_worth_less():
    # flat: 730 x (1 x (2 - 0) - 0) = 1,460 a month against 14,600 -> paid back in month 10
    flat = f.monthly_cash_flows(14_600, np.full(36, 2.0), 1.0, 0.0, 0.0)
    assert f.payback_month(flat) == 10
    falling = f.monthly_cash_flows(14_600, 2.0 * f.decline_factors(np.arange(36), 0.5), 1.0, 0.0, 0.0)
    assert f.payback_month(falling) > 10
    assert f.npv_at(0.08, falling) < f.npv_at(0.08, flat) and f.irr_annual(falling) < f.irr_annual(flat)


def test_fitted_decline_by_hand():
    # a price that halves every year declines 50 % a year, whatever the start and the sampling
    assert f.fitted_annual_decline([2023.0, 2023.5, 2025.0], [8.0, 8.0 * 0.5 ** 0.5, 2.0]) == pytest.approx(0.5)
    assert f.fitted_annual_decline([2023, 2024], [3.0, 3.0]) == pytest.approx(0.0, abs=1e-12)
    # Two series at different levels, each halving per year: one common slope, the level gap does not leak into it.
    years, prices, groups = [2023, 2024, 2025, 2026], [10.0, 5.0, 1.0, 0.5], ["list", "list", "contract", "contract"]
    assert f.fitted_annual_decline(years, prices, groups) == pytest.approx(0.5)
    assert f.fitted_annual_decline(years, prices) > 0.6          # one level: the gap between series reads as decline


def test_accounting_margin_by_hand():
    # capex 43,800 over 5 years, no residual = 1 USD per wall hour; / 0.5 utilization = 2 per sold hour;
    # hosting 0.25 / 0.5 = 0.5; power 0.5: cost 3 per sold hour against a price of 4 -> margin 0.25
    assert f.accounting_margin(4.0, 0.5, 43_800, 0.0, 5, 0.5, 0.25) == pytest.approx(0.25)
    # a residual of 0.5 halves depreciation: cost 2 -> margin 0.5
    assert f.accounting_margin(4.0, 0.5, 43_800, 0.5, 5, 0.5, 0.25) == pytest.approx(0.5)


# --- grid --------------------------------------------------------------------------------

def test_landlord_grid_matches_pointwise_and_is_monotone():
    price = np.full(72, 2.0)
    grid = f.landlord_grid(10_000, price, 0.1, 0.2, 0.08, [0.5, 0.7, 0.9], [0.8, 1.0, 1.2], [0.0, 0.2], [5, 6])
    assert list(grid.columns) == ["utilization", "price_scale", "residual_fraction", "life_years", "npv",
                                  "irr_annual", "payback_month"]
    assert len(grid) == 3 * 3 * 2 * 2
    row = grid.query("utilization == 0.7 and price_scale == 1.2 and residual_fraction == 0.2 and life_years == 5")
    flows = f.monthly_cash_flows(10_000, 1.2 * price[:60], 0.7, 0.1, 0.2, 0.2)
    assert row["irr_annual"].item() == pytest.approx(f.irr_annual(flows))
    assert row["npv"].item() == pytest.approx(f.npv_at(0.08, flows))
    assert row["payback_month"].item() == f.payback_month(flows)
    at = grid.query("residual_fraction == 0 and life_years == 6")
    table = at.pivot(index="utilization", columns="price_scale", values="irr_annual").to_numpy()
    assert np.all(np.diff(table, axis=0) > 0) and np.all(np.diff(table, axis=1) > 0)
    by = grid.set_index(["utilization", "price_scale", "residual_fraction", "life_years"])["npv"]
    assert (by.xs(0.2, level="residual_fraction") > by.xs(0.0, level="residual_fraction")).all()
    assert (by.xs(6, level="life_years") > by.xs(5, level="life_years")).all()
