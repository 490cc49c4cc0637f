"""Section 2 (AWS as a landlord): each formula against an independent hand computation, plus properties."""
import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import data, finance, fleet, params, portfolio as pf, report
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


@pytest.fixture(scope="module")
def p(ds):
    return params.resolve({}, ds)


def crf(rate, years):
    return rate * (1 + rate) ** years / ((1 + rate) ** years - 1)


# Hand inputs, copied from the CSV rows (instances.csv, measured_throughput.csv) and parameter defaults.
P5_PRE, P5_POST, P5_CB = 98.32, 55.04, 39.33
H100_GEMM_W = 697.64
KW_IT = H100_GEMM_W / 1000 * 1.821                               # board power x (1 + server overhead)
POWER_H = KW_IT * 1.15 * 0.0892                                  # x PUE x USD/kWh
HOSTING_H = KW_IT * 184.06 / 730


# --- 1. portfolio table -----------------------------------------------------------------------------------

def test_portfolio_table_by_hand(ds):
    t = pf.portfolio_table(ds).set_index("instance_type")
    assert sorted(t.index) == sorted(ds["instances"]["instance_type"].unique())
    p5 = t.loc["p5.48xlarge"]
    assert p5["on_demand_pre_cut_per_accel"] == pytest.approx(P5_PRE / 8)
    assert p5["capacity_block_per_accel"] == pytest.approx(P5_CB / 8)
    assert p5["price_basis"] == "on-demand, post-cut" and p5["value_price_per_accel"] == pytest.approx(P5_POST / 8)
    assert p5["tflops_per_usd_hour"] == pytest.approx(989.4 / (P5_POST / 8))
    assert p5["memory_gb_per_usd_hour"] == pytest.approx(80 / (P5_POST / 8))
    assert p5["measured_tflops_per_usd_hour"] == pytest.approx(680.612 / (P5_POST / 8))
    assert p5["measured_share_of_spec"] == pytest.approx(680.612 / 989.4)
    assert t.loc["p5en.48xlarge", "measured_share_of_spec"] == pytest.approx(658.873 / 989)
    assert t.loc["trn2.48xlarge", "memory_gb"] == pytest.approx(96 * 1.073741824)       # GiB -> GB
    assert t.loc["p5e.48xlarge", "price_basis"] == "Capacity Block"                      # no on-demand row
    assert math.isnan(t.loc["p4d.24xlarge", "tflops_per_usd_hour"])                      # A100 40GB: no spec row
    assert math.isnan(t.loc["trn2.48xlarge", "measured_tflops"])                         # not measured


# --- 2. spend and compute by vendor -----------------------------------------------------------------------

def test_spend_share_by_hand_on_a_tiny_frame():
    units = pd.DataFrame({"quarter": ["2025Q1", "2025Q2", "2025Q1"], "chip": ["X", "X", "T"],
                          "vendor": ["Nvidia", "Nvidia", "Amazon"], "median": [6.0, 4.0, 30.0],
                          "p5": [5.0, 3.0, 20.0], "p95": [7.0, 5.0, 40.0]})
    prices = pd.DataFrame({"chip": ["X", "T"], "year": [2025, 2025], "usd": [20_000.0, 4_000.0]})
    spend = fleet.spend_by_chip(units, prices)
    assert list(spend["median"]) == [120_000, 80_000, 120_000] and list(spend["p95"]) == [140_000, 100_000, 160_000]
    compute = pd.DataFrame({"year": [2025, 2025], "vendor": ["Nvidia", "Amazon"], "median": [10.0, 12.0]})
    row = fleet.vendor_shares(fleet.yearly(spend), compute).iloc[0]
    assert row["nvidia_spend_share"] == pytest.approx(200_000 / 320_000)
    assert row["nvidia_compute_share"] == pytest.approx(10 / 22)
    assert row["usd_per_h100e_amazon"] == pytest.approx(10_000) and row["usd_per_h100e_nvidia"] == pytest.approx(20_000)


def test_a_chip_without_a_price_raises():
    units = pd.DataFrame({"quarter": ["2024Q1"], "chip": ["X"], "vendor": ["Nvidia"], "median": [1.0], "p5": [1.0], "p95": [1.0]})
    with pytest.raises(KeyError, match="X"):
        fleet.spend_by_chip(units, pd.DataFrame({"chip": ["X"], "year": [2025], "usd": [1.0]}))


@settings(deadline=None, max_examples=100, database=None)
@given(nv_usd=st.floats(1e3, 1e5), am_usd=st.floats(1e3, 1e5), nv_h=st.floats(1, 1e6), am_h=st.floats(1, 1e6))
def test_cheaper_compute_takes_more_compute_share_than_spend_share(nv_usd, am_usd, nv_h, am_h):
    """Nvidia's spend share exceeds its compute share exactly when Amazon's H100e is cheaper."""
    spend = pd.DataFrame({"year": [2025, 2025], "vendor": ["Nvidia", "Amazon"], "median": [nv_usd * nv_h, am_usd * am_h]})
    compute = pd.DataFrame({"year": [2025, 2025], "vendor": ["Nvidia", "Amazon"], "median": [nv_h, am_h]})
    row = fleet.vendor_shares(spend, compute).iloc[0]
    if am_usd < nv_usd * (1 - 1e-9):
        assert row["nvidia_spend_share"] > row["nvidia_compute_share"]
    elif am_usd > nv_usd * (1 + 1e-9):
        assert row["nvidia_spend_share"] < row["nvidia_compute_share"]


def test_unit_prices_use_epoch_years_and_the_trainium_parameter(ds, p):
    prices = fleet.unit_prices(ds, 5_000.0).set_index(["chip", "year"])["usd"]
    assert prices[("H100/H200", 2024)] == 26_268 and prices[("A100", 2022)] == 14_142 and prices[("B300", 2025)] == 36_742
    assert prices[("Trainium2", 2025)] == 5_000


def test_real_data_nvidia_spend_share_exceeds_compute_share_once_trainium_arrives(ds, p):
    shares = fleet.spend_and_compute(ds, p["trainium_unit_cost_usd"])
    assert list(shares["year"]) == [2024, 2025]      # Epoch covers Trainium from 2024: earlier years are left out
    assert (shares["usd_per_h100e_amazon"] < shares["usd_per_h100e_nvidia"]).all()
    assert (shares["nvidia_spend_share"] > shares["nvidia_compute_share"]).all()


# --- 3. the landlord --------------------------------------------------------------------------------------

def test_landlord_inputs_by_hand(ds, p):
    L = pf.landlord(ds, p)
    assert L.capex == pytest.approx(37_500 / (1 - 0.19))
    assert L.power == pytest.approx(POWER_H)
    assert L.hosting == pytest.approx(HOSTING_H)
    assert (L.on_demand_pre, L.on_demand_post, L.capacity_block) == pytest.approx((P5_PRE / 8, P5_POST / 8, P5_CB / 8))
    assert str(L.months[0]) == "2023-07" and len(L.months) == 72 and str(L.months[-1]) == "2029-06"


def test_price_path_switches_at_2025_06(ds, p):
    L = pf.landlord(ds, p)
    assert str(pf.price_cut_month(ds)) == "2025-06"
    path = pf.on_demand_path(L, L.cut, L.on_demand_post)
    # 2023-07 .. 2025-05 is 23 months at the pre-cut price, then 49 months post-cut
    assert (path[:23] == P5_PRE / 8).all() and (path[23:] == P5_POST / 8).all()
    paths = pf.scenario_paths(L, p)
    assert (paths["before the cut"] == paths["before the cut"][0]).all()
    assert paths["after the cut"][22] == paths["before the cut"][22] > paths["after the cut"][23]


def test_blended_price_by_hand():
    p = {"on_demand_usage_share": 0.3, "capacity_block_usage_share": 0.1, "committed_discount": 0.41}
    # 0.3 x 10 + 0.1 x 4 + 0.6 x 10 x 0.59
    assert pf.blended_price(10.0, 4.0, p) == pytest.approx(6.94)
    np.testing.assert_allclose(pf.blended_price(np.array([10.0, 0.0]), 4.0, p), [6.94, 0.4])


def test_cost_per_gpu_hour_by_hand(ds, p):
    cost = pf.cost_per_gpu_hour(pf.landlord(ds, p)).set_index("component")
    capital = 37_500 / 0.81 * crf(0.083, 6) / 8760
    assert cost.loc["capital", "full_use"] == pytest.approx(capital)
    assert cost.loc["total", "full_use"] == pytest.approx(capital + POWER_H + HOSTING_H)
    assert cost.loc["total", "per_sold_hour"] == pytest.approx((capital + HOSTING_H) / 0.7 + POWER_H)


def test_outcomes_hold_together(ds, p):
    L = pf.landlord(ds, p)
    out = pf.landlord_outcomes(L, p).set_index("scenario")
    before, after = out.loc["before the cut"], out.loc["after the cut"]
    assert after["irr"] < before["irr"] and after["npv"] < before["npv"]
    assert after["breakeven_utilization"] > before["breakeven_utilization"]
    # the flat break-even on-demand price, put back into the counterfactual path, gives NPV = 0
    flat = pf.blended_price(np.full(len(L.months), before["breakeven_on_demand_price"]), L.capacity_block, p)
    flows = finance.monthly_cash_flows(L.capex, flat, L.utilization, L.power, L.hosting)
    assert finance.npv_at(L.cost_of_capital, flows) == pytest.approx(0, abs=1e-6)
    # the post-cut break-even price, with the pre-cut months as they were, also gives NPV = 0
    path = pf.blended_price(pf.on_demand_path(L, L.cut, after["breakeven_on_demand_price"]), L.capacity_block, p)
    flows = finance.monthly_cash_flows(L.capex, path, L.utilization, L.power, L.hosting)
    assert finance.npv_at(L.cost_of_capital, flows) == pytest.approx(0, abs=1e-6)
    assert before["breakeven_mean_price"] == pytest.approx(before["breakeven_price_scale"] * before["mean_price"])


@pytest.mark.parametrize("utilization", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("quarter", ["2023Q3", "2024Q2"])
def test_irr_after_the_cut_is_below_before(ds, p, utilization, quarter):
    L = pf.landlord(ds, {**p, "utilization": utilization, "gpu_purchase_quarter": quarter})
    out = pf.landlord_outcomes(L, p).set_index("scenario")["irr"]
    assert out["after the cut"] < out["before the cut"]


def test_breakeven_utilization_rises_with_capex(ds, p):
    be = [pf.landlord_outcomes(pf.landlord(ds, {**p, "accelerator_price_usd": price}), p)
          .set_index("scenario").loc["after the cut", "breakeven_utilization"] for price in (20_000.0, 37_500.0, 60_000.0)]
    assert be[0] < be[1] < be[2]


def test_irr_heatmap_covers_the_grid_and_rises_with_price(ds, p):
    grid = pf.irr_heatmap(pf.landlord(ds, p), p)
    assert len(grid) == len(pf.UTILIZATION_GRID) * len(pf.PRICE_SCALE_GRID)
    at_u = grid[grid["utilization"] == 0.7].sort_values("price_scale")["irr_annual"].dropna()
    assert at_u.is_monotonic_increasing


# --- 4. tenant; 5. system size ----------------------------------------------------------------------------

def test_tenant_breakeven_by_hand(ds, p):
    t = pf.tenant_rent_vs_buy(ds, p, [0.5, 1.0]).set_index(["option", "utilization"])
    for u in (0.5, 1.0):
        running = 8 * (POWER_H * u + HOSTING_H) * 730 + 39_800 / 12
        assert t.loc[("on-demand, pre-cut", u), "breakeven_months"] == pytest.approx(300_000 / (P5_PRE * u * 730 - running))
        assert t.loc[("Capacity Blocks", u), "breakeven_months"] == pytest.approx(300_000 / (P5_CB * u * 730 - running))
        assert t.loc[("on-demand, post-cut", u), "months_of_rent_for_price"] == pytest.approx(300_000 / (P5_POST * u * 730))
    months = t.xs("on-demand, post-cut")["breakeven_months"]
    assert months[0.5] > months[1.0]                              # lower utilization: renting stays cheaper longer


def test_system_cost_per_useful_hour_by_hand(ds, p):
    s = pf.system_cost_per_useful_hour(ds, p, [0.25, 1.0]).set_index("utilization")
    groq = 576 * 20_000 * crf(0.083, 6) / 8760
    gpu = 300_000 * crf(0.083, 6) / 8760
    assert s.loc[1.0, "groq_system"] == pytest.approx(groq + 576 * 0.3 * 1.15 * 0.0892)
    assert s.loc[0.25, "gpu_server"] == pytest.approx(gpu / 0.25 + 8 * KW_IT * 1.15 * 0.0892)
    assert s.loc[0.25, "groq_advantage_needed"] == pytest.approx(s.loc[0.25, "groq_system"] / s.loc[0.25, "gpu_server"])


# --- 6. tokens; 7. NVAIE ----------------------------------------------------------------------------------

def test_token_costs_by_hand(ds):
    tokens = pf.token_costs(ds, pf.gpu_hour_prices(ds, 2.0)).set_index(["chip_id", "basis", "batch"])
    assert tokens.loc[("h100-sxm", "on-demand, pre-cut (p5.48xlarge)", 1), "usd_per_million_tokens"] == pytest.approx(
        P5_PRE / 8 * 1e6 / (198.764 * 3600))
    assert tokens.loc[("h200", "on-demand (p5en.48xlarge)", 512), "usd_per_million_tokens"] == pytest.approx(
        63.296 / 8 * 1e6 / (43476.595 * 3600))
    assert tokens.loc[("h100-sxm", "AWS's cost per sold hour", 8), "usd_per_million_tokens"] == pytest.approx(
        2.0 * 1e6 / (1559.248 * 3600))
    assert sorted(tokens.index.get_level_values("batch").unique()) == [1, 8, 32, 128, 512]
    assert set(tokens.index.get_level_values("chip_id")) == {"h100-sxm", "h200"}


def test_nvaie_by_hand(p):
    lic = pf.nvaie(p, {"pre": P5_PRE / 8, "post": P5_POST / 8})
    assert lic["licensed_gpus"] == pytest.approx(1e9 / 4_500)
    assert lic["share_of_rent"]["post"] == pytest.approx(4_500 / 8760 / (P5_POST / 8))
    assert lic["share_of_rent"]["post"] > lic["share_of_rent"]["pre"]


# --- 8. headline results in the report --------------------------------------------------------------------

def test_headline_keys_reach_the_report(ds, p):
    """The committed notebook (which test_report checks a fresh build reproduces byte for byte) publishes the
    section, and the report renderer collects exactly these headline results from it."""
    expected = {r["key"]: r for r in pf.headline_results(ds, p)}
    assert {"aws_cost_per_h100_hour", "payback_month_before_cut", "irr_after_cut", "breakeven_utilization_after_cut",
            "tenant_breakeven_months_post_cut", "nvidia_spend_share_latest_year"} <= set(expected)
    nb = nbformat.read(str(ROOT / "notebooks" / "02_portfolio.ipynb"), as_version=4)
    sections = []
    report.render_notebook(nb, "02_portfolio", [], sections)
    (section,) = [s for s in sections if s["section"] == "portfolio"]
    published = {r["key"]: r for r in section["results"]}
    assert set(published) == set(expected)
    for key, r in expected.items():
        assert published[key]["value"] == pytest.approx(r["value"]) and published[key]["unit"] == r["unit"], key
    assert "epoch-ai-chip-counts" in section["sources"] and "measured-gpu-throughput-2026-11" in section["sources"]
