"""Section 2 (AWS as a landlord): each formula against an independent hand computation, plus properties."""
import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import data
from analysis.pipeline import report
from analysis.data import params
from analysis.models import capex, finance, fleet, h100, landlord, portfolio, rent
from analysis.sections import portfolio_text
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
    t = portfolio.portfolio_table(ds).set_index("instance_type")
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
    row = fleet.vendor_shares(fleet.yearly(spend), compute, "Nvidia").iloc[0]
    assert row["nvidia_spend_share"] == pytest.approx(200_000 / 320_000)
    assert row["nvidia_compute_share"] == pytest.approx(10 / 22)
    assert row["usd_per_h100e_amazon"] == pytest.approx(10_000) and row["usd_per_h100e_nvidia"] == pytest.approx(20_000)


def test_a_price_range_prices_the_unit_band_at_its_ends():
    units = pd.DataFrame({"quarter": ["2025Q1"], "chip": ["X"], "vendor": ["Nvidia"], "median": [6.0], "p5": [5.0], "p95": [7.0]})
    prices = pd.DataFrame({"chip": ["X"], "year": [2025], "usd": [20_000.0], "low": [15_000.0], "high": [30_000.0]})
    row = fleet.spend_by_chip(units, prices).iloc[0]
    assert (row["p5"], row["median"], row["p95"]) == (5 * 15_000, 6 * 20_000, 7 * 30_000)


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
    row = fleet.vendor_shares(spend, compute, "Nvidia").iloc[0]
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


def test_the_server_gpu_count_comes_from_the_data_for_capex_rent_and_the_tenant(ds, p):
    """One H100 server, one GPU count: the accelerator count of its instance in instances.csv, read by the capex per
    GPU (server_factor), the rent per GPU-hour and the tenant's server (no second copy of the 8 in the code)."""
    assert fleet.gpus_per_server(ds) == 8
    rows = ds["instances"]
    server = rows["instance_type"] == fleet.H100_SERVER_INSTANCE
    halved = data.Dataset({**ds.tables, "instances": rows.assign(
        accelerator_count=rows["accelerator_count"].where(~server, 4))}, ds.version, ds.directory)
    assert fleet.gpus_per_server(halved) == 4
    assert fleet.server_factor(halved, p) == pytest.approx(2 * fleet.server_factor(ds, p))
    assert h100.p5_rates(halved)["on-demand, post-cut"] == pytest.approx(2 * h100.p5_rates(ds)["on-demand, post-cut"])
    tenant = portfolio.tenant_rent_vs_buy(halved, p, 1.0).set_index("option")["rent_per_hour"]
    assert tenant.to_dict() == pytest.approx(portfolio.tenant_rent_vs_buy(ds, p, 1.0).set_index("option")["rent_per_hour"].to_dict())


# --- 3. the landlord --------------------------------------------------------------------------------------

SERVER = 284_605                                  # the one server price: sqrt(270,000 x 300,000), 8 x H100, 2023
CAPEX_2023 = SERVER / 8 / (1 - 0.19)               # a 2023 H100's share of the server, / (1 - network)
CAPEX_2025 = 23_238 * (SERVER / 8 / 34_641) / (1 - 0.19)   # Epoch's 2025 H100 price x the 2023 server factor


def blend(on_demand, p, block_in_force=True):
    """Revenue per sold hour at list prices by hand: 30 % on-demand, 10 % Capacity Blocks (while its rate is in force,
    to 2024-12; afterwards committed), 60 % committed at 41 % off."""
    committed = on_demand * (1 - 0.41)
    return 0.3 * on_demand + 0.1 * (P5_CB / 8 if block_in_force else committed) + 0.6 * committed


def test_landlord_cases_by_hand(ds, p):
    launch, cut = landlord.landlord_cases(ds, p)
    assert (launch.capex, cut.capex) == pytest.approx((CAPEX_2023, CAPEX_2025))
    assert (str(launch.start), str(cut.start)) == ("2023-07", "2025-06")
    assert launch.power == pytest.approx(POWER_H) and launch.hosting == pytest.approx(HOSTING_H)
    assert launch.life_months == 60 and launch.residual_fraction == 0.1
    assert len(launch.months) == 120                              # the longest life the schema allows


def test_price_path_observed_then_declining(ds, p):
    launch, cut = landlord.landlord_cases(ds, p)
    d = p["rental_price_decline_per_year"]
    # 2023-07 .. 2025-05: 23 months pre-cut; 2025-06 .. 2026-07 (last observed list): 14 months post-cut
    assert launch.on_demand[:23] == pytest.approx(np.full(23, P5_PRE / 8))
    assert launch.on_demand[23:37] == pytest.approx(np.full(14, P5_POST / 8))
    assert launch.on_demand[37] == pytest.approx(P5_POST / 8 * (1 - d) ** (1 / 12))       # 2026-08
    assert launch.on_demand[48] == pytest.approx(P5_POST / 8 * (1 - d) ** 1)              # 2027-07
    assert launch.price[0] == pytest.approx(blend(P5_PRE / 8, p))
    assert launch.price[17] == pytest.approx(blend(P5_PRE / 8, p))                        # 2024-12: block rate in force
    assert launch.price[18] == pytest.approx(blend(P5_PRE / 8, p, block_in_force=False))  # 2025-01: it lapsed
    assert launch.price[48] == pytest.approx(blend(P5_POST / 8, p, block_in_force=False) * (1 - d))
    assert cut.on_demand[:14] == pytest.approx(np.full(14, P5_POST / 8))
    flat = landlord.landlord_cases(ds, p.replace(rental_price_decline_per_year=0.0))[1]
    assert flat.price == pytest.approx(np.full(120, blend(P5_POST / 8, p, block_in_force=False)))


def test_realized_path_by_hand(ds, p):
    """Realized prices: on-demand hours at list, Capacity Block hours at their rate to 2024-12, every committed hour
    (and the block hours after) at the market rent joined log-linearly between rental_prices.csv's observed months."""
    assert str(h100.capacity_block_end(ds)) == "2025-01"
    launch, cut = landlord.landlord_cases(ds, p, rent.REALIZED)
    market_2023_07 = np.exp(np.log(4.70) + 4 / 5 * (np.log(8.00) - np.log(4.70)))     # between 2023-03 and 2023-08
    assert launch.price[0] == pytest.approx(0.3 * P5_PRE / 8 + 0.1 * P5_CB / 8 + 0.6 * market_2023_07)
    market_2025_06 = np.exp(np.log(np.sqrt(2.00 * 2.99)) + 8 / 12 * (np.log(1.70) - np.log(np.sqrt(2.00 * 2.99))))
    assert cut.price[0] == pytest.approx(0.3 * P5_POST / 8 + 0.7 * market_2025_06)      # block rate lapsed
    d = p["rental_price_decline_per_year"]
    assert cut.price[24] == pytest.approx(0.3 * P5_POST / 8 * (1 - d) ** (11 / 12) + 0.7 * 2.65 * (1 - d) ** 1)  # 2027-06
    listed, realized = (landlord.landlord_outcomes(landlord.landlord_cases(ds, p, basis)) for basis in (rent.LIST, rent.REALIZED))
    assert (realized["npv"] < listed["npv"]).all() and (realized["irr"] < listed["irr"]).all()      # list: the ceiling


def test_realized_band_brackets_the_central_case_and_follows_the_seed(ds, p):
    central = landlord.landlord_outcomes(landlord.landlord_cases(ds, p, rent.REALIZED)).set_index("case")
    band = landlord.realized_percentiles(ds, p)
    for case, row in central.iterrows():
        for metric in ("npv", "irr", "payback_month"):
            assert band.loc[case, (metric, 0.05)] <= row[metric] <= band.loc[case, (metric, 0.95)]
    draws = landlord.band_draws(ds, p)
    assert len(draws) == landlord.LANDLORD_BAND_DRAWS and list(draws.columns) == list(landlord.LANDLORD_BAND)
    assert (draws["on_demand_usage_share"] + draws["capacity_block_usage_share"] <= 1).all()
    assert draws["on_demand_usage_share"].quantile(0.05) == pytest.approx(0.1, abs=0.03)         # its sourced low
    assert not landlord.realized_percentiles(ds, p.replace(random_seed=1)).equals(band)


def test_irr_at_realized_prices_reproduces_the_audit(ds, p):
    """The audit's figures: the launch case's list path scaled to start at $6 / $4 / $3 / $2 per GPU-hour gives an IRR
    of about 84% / 31% / 7.6% / -15% (7.4% here: the Capacity Block rate now lapses in 2025); the break-even starting
    price gives NPV = 0."""
    points = landlord.realized_price_points(ds, p)
    launch = points[points["case"] == points["case"].iloc[0]].set_index("starting_price")
    assert list(launch.index) == [2.0, 3.0, 4.0, 6.0]
    np.testing.assert_allclose(launch["irr"], [-0.150, 0.074, 0.307, 0.836], atol=0.003)
    L = landlord.landlord_cases(ds, p)[0]
    even = landlord.breakeven_starting_price(L)
    assert 3 < even < 4 and landlord.at_starting_price(L, even)["npv"].iloc[0] == pytest.approx(0, abs=1e-6)


def test_landlord_drivers_vary_one_input_whatever_the_others_are(ds):
    """Each driver at its low and high with the others as set, even where the pair breaks a rule across parameters
    (here the on-demand share's high, 0.6, plus a Capacity Block share of 0.5): the table is built, not refused."""
    p = params.resolve({"capacity_block_usage_share": 0.5}, ds)
    drivers = landlord.landlord_drivers(ds, p).set_index("name")
    assert list(drivers.index) == list(landlord.LANDLORD_DRIVERS) and drivers.loc["on_demand_usage_share", "high"] == 0.6
    assert drivers[["payback_month_low", "capital_per_hour_high"]].notna().all().all()


def test_blended_price_by_hand(ds):
    p = params.resolve({"on_demand_usage_share": 0.3, "capacity_block_usage_share": 0.1, "committed_discount": 0.41}, ds)
    # 0.3 x 10 + 0.1 x 4 + 0.6 x 10 x 0.59
    assert rent.blended_price(10.0, 4.0, p) == pytest.approx(6.94)
    np.testing.assert_allclose(rent.blended_price(np.array([10.0, 0.0]), 4.0, p), [6.94, 0.4])


def test_cost_per_gpu_hour_by_hand(ds, p):
    cost = landlord.cost_per_gpu_hour(landlord.landlord_cases(ds, p)[1]).set_index("component")
    capital = CAPEX_2025 * crf(0.083, 5) / 8760
    assert cost.loc["capital", "full_use"] == pytest.approx(capital)
    assert cost.loc["total", "full_use"] == pytest.approx(capital + POWER_H + HOSTING_H)
    assert cost.loc["total", "per_sold_hour"] == pytest.approx((capital + HOSTING_H) / 0.7 + POWER_H)


def test_outcomes_by_hand(ds, p):
    """NPV, IRR and payback of the case bought at the cut, from flows built here from the hand inputs."""
    cut = landlord.landlord_cases(ds, p)[1]
    d, months = p["rental_price_decline_per_year"], np.arange(60)
    price = blend(P5_POST / 8, p, block_in_force=False) * np.where(months < 14, 1.0, (1 - d) ** ((months - 13) / 12))
    monthly = 730 * (0.7 * (price - POWER_H) - HOSTING_H)
    flows = np.concatenate([[-CAPEX_2025], monthly])
    flows[-1] += 0.1 * CAPEX_2025
    row = landlord.landlord_outcomes([cut]).iloc[0]
    m = 1.083 ** (1 / 12) - 1
    assert row["npv"] == pytest.approx(sum(c / (1 + m) ** t for t, c in enumerate(flows)))
    assert row["payback_month"] == int(np.argmax(np.cumsum(flows) >= 0))
    assert row["irr"] == pytest.approx(finance.irr_annual(flows))
    assert row["mean_price"] == pytest.approx(price.mean())
    depreciation = CAPEX_2025 * 0.9 / (5 * 8760)
    assert row["operating_margin"] == pytest.approx(1 - ((depreciation + HOSTING_H) / 0.7 + POWER_H) / price.mean())


def test_residual_raises_npv_by_its_discounted_amount(ds, p):
    with_r, without = (landlord.landlord_outcomes(landlord.landlord_cases(ds, p.replace(residual_value_fraction=r))).set_index("case")
                       for r in (0.2, 0.0))
    m = 1.083 ** (1 / 12) - 1
    np.testing.assert_allclose(with_r["npv"] - without["npv"],
                               0.2 * np.array([CAPEX_2023, CAPEX_2025]) / (1 + m) ** 60)


def test_variants_declining_path_and_shorter_life_are_worth_less(ds, p):
    v = landlord.landlord_variants(ds, p).set_index(["case", "price_path", "life_years"])
    assert sorted(v.index.get_level_values("life_years").unique()) == [5, 6]
    for case in v.index.get_level_values("case").unique():
        assert v.loc[(case, "declining", 5), "npv"] < v.loc[(case, "flat", 5), "npv"]
        assert v.loc[(case, "declining", 5), "payback_month"] >= v.loc[(case, "flat", 5), "payback_month"]
        assert v.loc[(case, "flat", 5), "npv"] < v.loc[(case, "flat", 6), "npv"]
    default = landlord.landlord_outcomes(landlord.landlord_cases(ds, p)).set_index("case")
    for case, row in default.iterrows():
        assert v.loc[(case, "declining", 5), "npv"] == pytest.approx(row["npv"])


def test_bought_at_the_cut_earns_less_than_at_launch(ds, p):
    launch, cut = landlord.landlord_outcomes(landlord.landlord_cases(ds, p))[["irr", "breakeven_utilization"]].to_numpy()
    assert cut[0] < launch[0] and cut[1] > launch[1]


def test_decline_parameter_is_the_fit_to_the_history(ds):
    schema = params.schema(ds)["rental_price_decline_per_year"]
    assert schema.default == pytest.approx(rent.history_decline(ds), abs=5e-5)                 # list and contract prices
    assert schema.high == pytest.approx(rent.history_decline(ds, ("market", "contract", "hyperscaler list")), abs=5e-5)
    assert schema.low == 0.0                                                                  # flat: shown as a case
    assert rent.DECLINE_BASES == ("hyperscaler list", "contract")
    h = rent.rental_history(ds)
    assert h["year"].iloc[0] == pytest.approx(2023 + 2.5 / 12)               # 2023-03 at mid-month
    assert (h["usd_per_hour"] > 0).all() and h["month"].is_monotonic_increasing


def test_aws_segment_margin_by_hand(ds):
    fin = ds["financials"]
    aws = fin[(fin["company"] == "AWS") & fin["fiscal_period"].str.match(r"FY2024Q[1-4]$")]
    revenue = aws.loc[aws["metric"] == "revenue", "value"].sum()
    income = aws.loc[aws["metric"] == "operating_income", "value"].sum()
    out = portfolio.aws_segment_margin(ds).set_index("period")
    assert out.loc["2024", "margin"] == pytest.approx(income / revenue)
    q = capex.wide(capex.amazon_quarterly(ds))[["aws_revenue", "aws_operating_income"]].dropna()
    last = q.index[-1]
    assert out.index[-1] == (last[:4] if last.endswith("Q4") else f"four quarters to {last}")
    assert out["margin"].iloc[-1] == pytest.approx(q["aws_operating_income"].iloc[-4:].sum() / q["aws_revenue"].iloc[-4:].sum())


def test_what_if_grid_covers_every_axis(ds, p):
    cut = landlord.landlord_cases(ds, p)[1]
    grid = landlord.what_if_grid(cut, [0.5, 0.9], [0.8, 1.0], [0.0, 0.1], [5, 6])
    assert len(grid) == 16
    here = grid.query(
        "utilization == 0.9 and price_scale == 1.0 and residual_fraction == 0.1 and life_years == 5")
    same = landlord.landlord_outcomes([landlord.landlord_cases(ds, p.replace(utilization=0.9))[1]]).iloc[0]
    assert here["npv"].item() == pytest.approx(same["npv"]) and here["irr_annual"].item() == pytest.approx(same["irr"])
    heat = landlord.irr_heatmap(cut)
    assert len(heat) == len(landlord.UTILIZATION_GRID) * len(landlord.PRICE_SCALE_GRID)
    at_u = heat[heat["utilization"] == 0.7].sort_values("price_scale")["irr_annual"].dropna()
    assert at_u.is_monotonic_increasing


# --- 4. tenant; 5. system size ----------------------------------------------------------------------------

def test_tenant_breakeven_by_hand(ds, p):
    t = portfolio.tenant_rent_vs_buy(ds, p, [0.5, 1.0]).set_index(["option", "utilization"])
    for u in (0.5, 1.0):
        running = 8 * (POWER_H * u + HOSTING_H) * 730 + 39_800 / 12
        assert t.loc[("on-demand, pre-cut", u), "breakeven_months"] == pytest.approx(SERVER / (P5_PRE * u * 730 - running))
        assert t.loc[("Capacity Blocks", u), "breakeven_months"] == pytest.approx(SERVER / (P5_CB * u * 730 - running))
        assert t.loc[("on-demand, post-cut", u), "months_of_rent_for_price"] == pytest.approx(SERVER / (P5_POST * u * 730))
    months = t.xs("on-demand, post-cut")["breakeven_months"]
    assert months[0.5] > months[1.0]                              # lower utilization: renting stays cheaper longer


def test_system_cost_per_useful_hour_by_hand(ds, p):
    s = portfolio.system_cost_per_useful_hour(ds, p, [0.25, 1.0]).set_index("utilization")
    groq = 576 * 20_000 * crf(0.083, 5) / 8760
    gpu = SERVER * crf(0.083, 5) / 8760
    assert s.loc[1.0, "groq_system"] == pytest.approx(groq + 576 * 0.3 * 1.15 * 0.0892)
    assert s.loc[0.25, "gpu_server"] == pytest.approx(gpu / 0.25 + 8 * KW_IT * 1.15 * 0.0892)
    assert s.loc[0.25, "groq_advantage_needed"] == pytest.approx(s.loc[0.25, "groq_system"] / s.loc[0.25, "gpu_server"])


LANDLORD_KEYS = ("aws_cost_per_sold_h100_hour", "npv_", "irr_", "payback_month_", "breakeven_utilization_",
                 "operating_margin_")
TENANT_KEYS = ("tenant_breakeven_months_", "groq_advantage_needed")


def _split(items):
    """Headline values (label included) by who they belong to: the landlord, the tenant (and a self-run system)."""
    return ({i.key: (i.label, i.value) for i in items if i.key.startswith(LANDLORD_KEYS)},
            {i.key: (i.label, i.value) for i in items if i.key.startswith(TENANT_KEYS)})


def test_tenant_utilization_moves_only_the_tenant_and_utilization_only_the_landlord(ds, p):
    """Two parameters: `utilization` is AWS's share of hours sold (landlord NPV, IRR, payback, cost per sold hour),
    `tenant_utilization` the share of hours a tenant's own server is in use (rent versus buy, a self-run Groq or GPU
    system). Each moves its own results and none of the other's."""
    assert p["tenant_utilization"] == 0.8 and p["utilization"] == 0.7
    landlord_items, everything_tenant = _split(portfolio_text.headline_results(ds, p))
    tenant = {k: v for k, v in everything_tenant.items() if not k.endswith("_full_use")}     # the others are at full use
    assert len(landlord_items) == 25 and len(tenant) == 3 and len(everything_tenant) == 5
    cases = landlord.landlord_outcomes(landlord.landlord_cases(ds, p))
    # The tenant's parameter: the landlord_items's NPV and IRR (and every landlord_items headline) stay; the tenant's move.
    q = params.resolve({"tenant_utilization": 0.3}, ds)
    landlord_q, tenant_q = _split(portfolio_text.headline_results(ds, q))
    assert landlord_q == landlord_items
    assert all(tenant_q[k] == everything_tenant[k] for k in everything_tenant if k.endswith("_full_use"))
    pd.testing.assert_frame_equal(landlord.landlord_outcomes(landlord.landlord_cases(ds, q)), cases)
    assert all(tenant_q[k][1] != tenant[k][1] for k in tenant)
    assert tenant_q["tenant_breakeven_months_post_cut"][1] > tenant["tenant_breakeven_months_post_cut"][1]
    assert portfolio.tenant_rent_vs_buy(ds, q).equals(portfolio.tenant_rent_vs_buy(ds, p, 0.3))        # the default is the tenant's
    assert portfolio.system_cost_per_useful_hour(ds, q).equals(portfolio.system_cost_per_useful_hour(ds, p, 0.3))
    # The landlord_items's parameter: the landlord_items's NPV falls with fewer hours sold; the tenant's results stay.
    r = params.resolve({"utilization": 0.4}, ds)
    landlord_r, tenant_r = _split(portfolio_text.headline_results(ds, r))
    assert tenant_r == everything_tenant
    assert portfolio.tenant_rent_vs_buy(ds, r).equals(portfolio.tenant_rent_vs_buy(ds, p))
    assert portfolio.system_cost_per_useful_hour(ds, r).equals(portfolio.system_cost_per_useful_hour(ds, p))
    lower = landlord.landlord_outcomes(landlord.landlord_cases(ds, r))
    assert (lower["npv"] < cases["npv"]).all() and (lower["irr"] < cases["irr"]).all()
    assert landlord_r["npv_bought_at_cut"][1] < landlord_items["npv_bought_at_cut"][1]


# --- 6. tokens; 7. NVAIE ----------------------------------------------------------------------------------

def test_token_costs_by_hand(ds):
    tokens = portfolio.token_costs(ds, portfolio.gpu_hour_prices(ds, 2.0)).set_index(["chip_id", "basis", "batch"])
    assert tokens.loc[("h100-sxm", "on-demand, pre-cut (p5.48xlarge)", 1), "usd_per_million_tokens"] == pytest.approx(
        P5_PRE / 8 * 1e6 / (198.764 * 3600))
    assert tokens.loc[("h200", "on-demand (p5en.48xlarge)", 512), "usd_per_million_tokens"] == pytest.approx(
        63.296 / 8 * 1e6 / (43476.595 * 3600))
    assert tokens.loc[("h100-sxm", "AWS's cost per sold hour", 8), "usd_per_million_tokens"] == pytest.approx(
        2.0 * 1e6 / (1559.248 * 3600))
    assert sorted(tokens.index.get_level_values("batch").unique()) == [1, 8, 32, 128, 512]
    assert set(tokens.index.get_level_values("chip_id")) == {"h100-sxm", "h200"}


def test_nvaie_by_hand(p):
    lic = portfolio.nvaie(p, {"pre": P5_PRE / 8, "post": P5_POST / 8})
    assert lic.licensed_gpus == pytest.approx(1e9 / 4_500)
    assert lic.share_of_rent["post"] == pytest.approx(4_500 / 8760 / (P5_POST / 8))
    assert lic.share_of_rent["post"] > lic.share_of_rent["pre"]


# --- 8. headline results in the report --------------------------------------------------------------------

def test_headline_keys_reach_the_report(ds, p):
    """The committed notebook (which test_report checks a fresh build reproduces byte for byte) publishes the
    section, and the report renderer collects exactly these headline results from it."""
    expected = {r.key: r.as_dict() for r in portfolio_text.headline_results(ds, p)}
    assert {"aws_cost_per_h100_hour", "payback_month_bought_at_launch", "irr_bought_at_cut", "npv_bought_at_cut",
            "operating_margin_bought_at_cut", "aws_segment_operating_margin", "tenant_breakeven_months_post_cut",
            "nvidia_spend_share_latest_year"} <= set(expected)
    nb = nbformat.read(str(ROOT / "notebooks" / "02_portfolio.ipynb"), as_version=4)
    sections = []
    report.render_notebook(nb, "02_portfolio", [], sections)
    (section,) = [s for s in sections if s["section"] == "portfolio"]
    published = {r["key"]: r for r in section["results"]}
    assert set(published) == set(expected)
    for key, r in expected.items():
        assert published[key]["value"] == pytest.approx(r["value"]) and published[key]["unit"] == r["unit"], key
    assert "epoch-ai-chip-counts" in section["sources"] and "measured-gpu-throughput-2026-11" in section["sources"]
