"""Section 2, AWS as a landlord: the accelerator portfolio, what Amazon spends on whom, the economics of renting
out an H100 (landlord) and of renting versus buying one (tenant), system size, tokens, and Nvidia's software.

Every figure comes from `data/` or from a parameter set `p` (a `params.Params`, from `params.resolve`); the finance is
`analysis.finance`. The constants below are unit conversions, data labels and display grids, not assumptions.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.data import params
from analysis.models import capex, finance, fleet, uncertainty
from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.data.units import fmt

TO_GB = {"GB": 1.0, "GiB": 2**30 / 1e9, "MB": 1e-3}
PRICE_KINDS = ["on_demand_pre_cut", "on_demand_post_cut", "on_demand", "capacity_block"]
PRICE_LABELS = {"on_demand_pre_cut": "on-demand, pre-cut", "on_demand_post_cut": "on-demand, post-cut",
                "on_demand": "on-demand", "capacity_block": "Capacity Block"}
#: The price behind the value-per-dollar columns: the first of these an instance has (today's list price first).
VALUE_BASIS = ["on_demand_post_cut", "on_demand", "capacity_block"]
SPEC_METRICS = ["bf16_dense_tflops", "memory_capacity", "memory_bandwidth"]
SUSTAINED_GEMM = "gemm_bf16_8192_sustained_20s"
GEMM_POWER = "board_power_during_gemm_median"
DECODE_PROXY = r"^decode_proxy_7b_batch(\d+)$"
LANDLORD_INSTANCE = "p5.48xlarge"          # 8 x H100 SXM, the essay's DGX-class server
NOT_WITHIN_LIFE = "not within life"         # a payback month beyond the asset's life
UTILIZATION_GRID = np.round(np.arange(1, 11) / 10, 2)          # display grid of the IRR heat map
PRICE_SCALE_GRID = np.round(np.arange(4, 21) / 10, 2)
SYSTEM_UTILIZATION_GRID = np.round(np.geomspace(0.05, 1.0, 14), 3)  # utilization from 1 down to 0.05


# --- 1. the portfolio ---------------------------------------------------------------------------------------

def spec_rows(ds: Dataset, chips) -> pd.DataFrame:
    """Spec rows (dense BF16 TFLOP/s, memory, bandwidth) of `chips`, memory converted to GB."""
    s = ds["accelerator_specs"]
    s = s[s["metric"].isin(SPEC_METRICS) & s["chip_id"].isin(list(chips))]
    memory = s["metric"] == "memory_capacity"
    factor = s["unit"].map(TO_GB).where(memory, 1.0)
    if factor.isna().any():
        raise ValueError(f"unknown memory unit(s): {sorted(set(s.loc[factor.isna(), 'unit']))}")
    return s.assign(value=s["value"] * factor, unit=s["unit"].where(~memory, "GB"))


@per_dataset
def measured(ds: Dataset, chip_id: str, metric: str) -> float:
    """One measured figure (measured_throughput.csv)."""
    m = ds["measured_throughput"].set_index(["chip_id", "metric"])
    return float(cast(float, m.loc[(chip_id, metric), "value"]))


def portfolio_table(ds: Dataset) -> pd.DataFrame:
    """Every accelerator instance: prices per instance- and accelerator-hour, and specs per USD/hour.

    Value-per-dollar columns divide by the accelerator-hour price named in `price_basis`; for chips with
    measurements, sustained BF16 GEMM TFLOP/s per USD/hour and sustained / spec are added (n/a otherwise).
    """
    inst = ds["instances"]
    order = pd.unique(inst["instance_type"])
    prices = inst.pivot(index="instance_type", columns="price_kind", values="usd_per_hour").reindex(
        index=order, columns=PRICE_KINDS)
    out = inst.drop_duplicates("instance_type").set_index("instance_type")[["chip_id", "accelerator_count"]]
    out.insert(1, "accelerator", out["chip_id"].map(ds["accelerators"].set_index("chip_id")["name"]))
    out = out.join(prices).join(prices.div(out["accelerator_count"], axis=0).add_suffix("_per_accel"))
    has = prices[VALUE_BASIS].notna()
    out["price_basis"] = has.idxmax(axis=1).map(PRICE_LABELS).where(has.any(axis=1))
    out["value_price_per_accel"] = per_hour = prices[VALUE_BASIS].bfill(axis=1).iloc[:, 0] / out["accelerator_count"]
    spec = spec_rows(ds, out["chip_id"]).pivot(index="chip_id", columns="metric", values="value").reindex(
        index=out["chip_id"], columns=SPEC_METRICS)
    spec.index = out.index
    m = ds["measured_throughput"]
    sustained = out["chip_id"].map(m[m["metric"] == SUSTAINED_GEMM].set_index("chip_id")["value"])
    out = out.assign(bf16_dense_tflops=spec["bf16_dense_tflops"], memory_gb=spec["memory_capacity"],
                     bandwidth_tb_s=spec["memory_bandwidth"],
                     tflops_per_usd_hour=spec["bf16_dense_tflops"] / per_hour,
                     memory_gb_per_usd_hour=spec["memory_capacity"] / per_hour,
                     bandwidth_per_usd_hour=spec["memory_bandwidth"] / per_hour,
                     measured_tflops=sustained, measured_tflops_per_usd_hour=sustained / per_hour,
                     measured_share_of_spec=sustained / spec["bf16_dense_tflops"])
    return out.reset_index()


# --- 3. the landlord ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Landlord:
    """One H100 bought by AWS to rent from month `start`: USD per GPU, USD per GPU-hour, its monthly price path."""

    label: str
    start: pd.Period                 # first month of rent (month 1 of life); the capex is paid just before it
    capex: float                     # all-in: Epoch's H100 price for the year, grossed up for server and network
    power: float                     # electricity per sold hour (full draw, incl. server overhead and PUE)
    hosting: float                   # space, cooling, staff per hour, every hour
    cost_of_capital: float
    utilization: float               # AWS's share of hours sold (the parameter `utilization`, the landlord's)
    life_years: int
    residual_fraction: float
    months: pd.PeriodIndex           # calendar month of each month of the price path (longer than any life)
    on_demand: np.ndarray            # p5 on-demand list price per GPU-hour in each month (observed, then declining)
    price: np.ndarray                # blended revenue per sold GPU-hour in each month
    basis: str                       # LIST (list prices: a ceiling) or REALIZED (committed hours at market rents)

    @property
    def life_months(self) -> int:
        return 12 * self.life_years


@per_dataset
def gpus_per_server(ds: Dataset) -> int:
    inst = ds["instances"]
    return int(inst.loc[inst["instance_type"] == LANDLORD_INSTANCE, "accelerator_count"].iloc[0])


@per_dataset
def _p5_row(ds: Dataset, kind: str) -> pd.Series:
    inst = ds["instances"].set_index(["instance_type", "price_kind"])
    return cast(pd.Series, inst.loc[(LANDLORD_INSTANCE, kind)])     # one row per instance and price kind


def price_cut_month(ds: Dataset) -> pd.Period:
    """First month of the post-cut price list of the landlord's instance (from its `price_period`)."""
    return fleet.first_month(_p5_row(ds, "on_demand_post_cut")["price_period"])


def last_observed_month(ds: Dataset) -> pd.Period:
    """Last month of the landlord's instance's observed post-cut price list; the price path declines after it."""
    return fleet.last_month(_p5_row(ds, "on_demand_post_cut")["price_period"])


def p5_rates(ds: Dataset) -> dict[str, float]:
    """The landlord's instance per GPU-hour: on-demand before and after the cut, and Capacity Blocks."""
    n = gpus_per_server(ds)
    return {"on-demand, pre-cut": _p5_row(ds, "on_demand_pre_cut")["usd_per_hour"] / n,
            "on-demand, post-cut": _p5_row(ds, "on_demand_post_cut")["usd_per_hour"] / n,
            "Capacity Blocks": _p5_row(ds, "capacity_block")["usd_per_hour"] / n}


def it_kw_per_gpu(ds: Dataset, p: Params) -> float:
    """kW of IT load per H100: measured median board power during GEMM x (1 + server overhead)."""
    return measured(ds, landlord_chip(ds), GEMM_POWER) * (1 + p.server_overhead_fraction) / 1000


def power_per_hour(ds: Dataset, p: Params) -> float:
    """Electricity per H100-hour at the measured GEMM draw (incl. server overhead and PUE)."""
    return float(finance.power_cost_per_hour(measured(ds, landlord_chip(ds), GEMM_POWER), p.server_overhead_fraction,
                                             p.pue, p.electricity_usd_per_kwh))


def hosting_per_hour(ds: Dataset, p: Params) -> float:
    """Hosting per H100 per wall-clock hour: IT kW x the colocation rate per kW-month / 730 h."""
    return it_kw_per_gpu(ds, p) * p.hosting_usd_per_kw_month / finance.HOURS_PER_MONTH


@per_dataset
def landlord_chip(ds: Dataset) -> str:
    """The chip_id of the landlord's instance (instances.csv)."""
    inst = ds["instances"]
    return str(inst.loc[inst["instance_type"] == LANDLORD_INSTANCE, "chip_id"].iloc[0])


def h100_price(ds: Dataset, year: int) -> float:
    """Epoch AI's price of the landlord's chip (the H100) for a calendar year (accelerator_specs.csv, through its Epoch
    label in epoch_chips.csv); a year without a row raises."""
    return fleet.epoch_price(ds, landlord_chip(ds), year)


def mix_price(on_demand, capacity_block, committed, capacity_block_in_force, on_demand_share, capacity_block_share):
    """Revenue per rented GPU-hour over the contract mix: on-demand share x on-demand rate + Capacity Block share x
    the Capacity Block rate while it is in force (afterwards those hours earn the committed rate) + the rest x the
    committed rate. Rates broadcast over months, shares over draws (numpy arrays)."""
    od, cb = (np.asarray(share, float) for share in (on_demand_share, capacity_block_share))
    od, cb = (share[..., None] if share.ndim else share for share in (od, cb))     # one row per draw
    committed = np.asarray(committed, float)
    block = np.where(capacity_block_in_force, capacity_block, committed)
    return (od * np.asarray(on_demand, float) + cb * block + (1 - od - cb) * committed)[()]


def blended_price(on_demand, capacity_block: float, p: Params):
    """Revenue per rented GPU-hour at list prices with the Capacity Block rate in force: on-demand share x
    on-demand + capacity-block share x capacity-block rate + the rest (committed use) x on-demand x (1 - committed
    discount)."""
    on_demand = np.asarray(on_demand, float)
    return mix_price(on_demand, capacity_block, on_demand * (1 - p.committed_discount), True,
                     p.on_demand_usage_share, p.capacity_block_usage_share)


#: The landlord's two price bases: list prices (committed hours at list x (1 - committed_discount): a ceiling) and
#: realized prices (committed hours, and Capacity Block hours once its rate lapsed, at the public market rent).
LIST, REALIZED = "list prices (a ceiling)", "realized prices"
#: rental_prices.csv bases whose rows make the market rent a committed GPU-hour realizes (not hyperscaler list prices).
MARKET_BASES = ("market", "contract")


@per_dataset
def capacity_block_end(ds: Dataset) -> pd.Period:
    """First month the landlord's instance's Capacity Block rate is no longer in force (its `price_period`,
    'rates in force until 2025-01-01'); no later rate is in the data."""
    return fleet.first_month(_p5_row(ds, "capacity_block")["price_period"])


@per_dataset
def market_rent_observed(ds: Dataset) -> pd.Series:
    """Public market rent per H100-hour by observed month: the geometric mean of that month's market and contract
    rows in rental_prices.csv (neocloud on-demand medians, launch and peak rents, 1-year contract index)."""
    h = rental_history(ds)
    h = h[h["basis"].isin(MARKET_BASES)]
    return cast(pd.Series, np.exp(np.log(h["usd_per_hour"]).groupby(h["month"]).mean()))


def _month_number(months: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(months.year * 12 + months.month - 1, float)


def _per_draw(x) -> np.ndarray:
    """A parameter value as an array that broadcasts against a monthly path: one row per draw when it is an array."""
    a = np.asarray(x, float)
    return a[..., None] if a.ndim else a


def market_rent(ds: Dataset, months: pd.PeriodIndex, decline) -> np.ndarray:
    """The market rent in each of `months`: log-linear between observed months (market_rent_observed), the first
    observation before it, then x (1 - decline) per year after the last observed month (`decline` may be one value
    per draw: the result then has one row per draw)."""
    observed = market_rent_observed(ds)
    at = _month_number(pd.PeriodIndex(observed.index, freq="M"))
    t = _month_number(months)
    level = np.exp(np.interp(t, at, np.log(observed.to_numpy(float))))
    return level * finance.decline_factors(t - at[-1], _per_draw(decline))


def price_path(ds: Dataset, months: pd.PeriodIndex, p: Params, basis: str) -> tuple[np.ndarray, np.ndarray]:
    """The on-demand list price and the revenue per sold GPU-hour in each of `months`. On-demand: p5's observed list
    prices (pre-cut before the cut month, post-cut from it) to the last observed month, then x (1 -
    rental_price_decline_per_year) per year. Revenue: the contract mix (mix_price) of on-demand, the Capacity Block
    rate while in force and the committed rate, which is list x (1 - committed_discount) at LIST and the market rent
    (market_rent) at REALIZED. Arrays in `p` (shares, decline, discount) give one row per draw."""
    cut, last = price_cut_month(ds), last_observed_month(ds)
    rates = p5_rates(ds)
    listed = np.where(months < cut, rates["on-demand, pre-cut"], rates["on-demand, post-cut"])
    on_demand = listed * finance.decline_factors(np.arange(len(months)) + (months[0] - last).n,
                                                 _per_draw(p.rental_price_decline_per_year))
    committed = (on_demand * (1 - _per_draw(p.committed_discount)) if basis == LIST
                 else market_rent(ds, months, p.rental_price_decline_per_year))
    return on_demand, mix_price(on_demand, rates["Capacity Blocks"], committed, months < capacity_block_end(ds),
                                p.on_demand_usage_share, p.capacity_block_usage_share)


def landlord(ds: Dataset, p: Params, start: pd.Period, label: str, basis: str = LIST) -> Landlord:
    """An H100 renting from month `start` at `basis` prices (price_path): capex = fleet.all_in_capex(Epoch's H100
    price for that year); power and hosting from the measured draw. The path covers the longest life the parameter
    schema allows."""
    longest = int(cast(float, params.schema(ds)["depreciation_life_years"].maximum))   # an int parameter has bounds
    months = pd.period_range(start, periods=12 * longest, freq="M")
    on_demand, price = price_path(ds, months, p, basis)
    return Landlord(label=label, start=start, capex=float(fleet.all_in_capex(ds, h100_price(ds, start.year), p)),
                    power=power_per_hour(ds, p), hosting=hosting_per_hour(ds, p), cost_of_capital=p.cost_of_capital,
                    utilization=p.utilization, life_years=p.depreciation_life_years,
                    residual_fraction=p.residual_value_fraction, months=months, on_demand=on_demand, price=price,
                    basis=basis)


def landlord_cases(ds: Dataset, p: Params, basis: str = LIST) -> list[Landlord]:
    """The reader's two questions: an H100 bought in `gpu_purchase_quarter` at launch prices, and one bought in
    the month of the June-2025 price cut at that year's price, renting at post-cut prices; at list or realized
    prices (`basis`)."""
    launch = pd.Period(p.gpu_purchase_quarter, freq="Q").asfreq("M", how="start")
    cut = price_cut_month(ds)
    return [landlord(ds, p, launch, f"bought {p.gpu_purchase_quarter} (launch prices)", basis),
            landlord(ds, p, cut, f"bought at the {cut} cut (post-cut prices)", basis)]


def flows(L: Landlord) -> np.ndarray:
    """The landlord's monthly cash flows over its life, residual value in the last month."""
    return finance.monthly_cash_flows(L.capex, L.price, L.utilization, L.power, L.hosting, L.residual_fraction,
                                      L.life_months)


def cost_per_gpu_hour(L: Landlord) -> pd.DataFrame:
    """Cost per GPU-hour by component: per wall-clock hour at full use (finance.landlord_cost_breakdown), and
    per sold hour at the landlord's utilization (capital and hosting spread over sold hours only)."""
    full = pd.Series(finance.landlord_cost_breakdown(L.capex, L.life_years, L.cost_of_capital, L.power, L.hosting))
    sold = full.drop("total") / pd.Series({"capital": L.utilization, "power": 1.0, "hosting": L.utilization})
    return pd.DataFrame({"full_use": full.astype(float), "per_sold_hour": pd.concat(
        [sold, pd.Series({"total": sold.sum()})]).astype(float)}).rename_axis("component").reset_index()


def landlord_outcomes(cases: list[Landlord]) -> pd.DataFrame:
    """Per case: capex, mean revenue per sold hour over the life, payback month, NPV, IRR, break-even utilization
    and price scale (multiplier on the whole path giving NPV = 0), and the accounting operating margin per sold
    GPU-hour at the mean price (straight-line depreciation net of residual, no cost of capital)."""
    rows = []
    for L in cases:
        cf, life = flows(L), L.life_months
        mean_price = float(L.price[:life].mean())
        rows.append({"case": L.label, "start": str(L.start), "capex": L.capex, "life_years": L.life_years,
                     "mean_price": mean_price, "payback_month": float(finance.payback_month(cf)),
                     "npv": float(finance.npv_at(L.cost_of_capital, cf)), "irr": float(finance.irr_annual(cf)),
                     "breakeven_utilization": float(finance.breakeven_utilization(
                         L.capex, L.price, L.power, L.hosting, L.cost_of_capital, L.residual_fraction, life)),
                     "breakeven_price_scale": float(finance.breakeven_price_scale(
                         L.capex, L.price, L.utilization, L.power, L.hosting, L.cost_of_capital, L.residual_fraction,
                         life)),
                     "operating_margin": float(finance.accounting_margin(
                         mean_price, L.utilization, L.capex, L.residual_fraction, L.life_years, L.power, L.hosting))})
    return pd.DataFrame(rows)


#: The inputs drawn for the realized-price band, each a split normal with its sourced (or assumed) low and high as
#: its 5th and 95th percentiles (data/parameters.csv), clipped to its allowed range: the contract mix, the price
#: decline, the residual value, the server price, the network's share and the cost of capital. `utilization` has no
#: published range and stays at its value (its break-even is shown instead).
LANDLORD_BAND = ("on_demand_usage_share", "capacity_block_usage_share", "rental_price_decline_per_year",
                 "residual_value_fraction", "h100_server_price_usd", "network_share_of_cluster_capex", "cost_of_capital")
#: Draws of the band: its 5th and 95th percentiles move by less than 2 points of IRR between seeds (measured, 2026-12).
LANDLORD_BAND_DRAWS = 1000
#: Realized prices (USD per GPU-hour in the first month of rent) at which the closing note gives the IRR.
REALIZED_PRICE_POINTS = (2.0, 3.0, 4.0, 6.0)


def band_draws(ds: Dataset, p: Params, n: int = LANDLORD_BAND_DRAWS) -> pd.DataFrame:
    """`n` draws of LANDLORD_BAND (seeded by `random_seed`), one column per input; the Capacity Block share is capped
    at 1 - the on-demand share so that the mix never exceeds every hour."""
    schema = params.schema(ds)
    u = np.random.default_rng(p.random_seed).random((n, len(LANDLORD_BAND)))
    out = {}
    for j, name in enumerate(LANDLORD_BAND):
        s = schema[name]
        drawn = uncertainty.for_parameter(cast(float, p[name]), cast(float, s.default), cast(float, s.low), cast(float, s.high),
                                          "normal").ppf(u[:, j])
        out[name] = np.clip(drawn, s.minimum, s.maximum)
    draws = pd.DataFrame(out)
    return draws.assign(capacity_block_usage_share=np.minimum(draws["capacity_block_usage_share"],
                                                              1 - draws["on_demand_usage_share"]))


def realized_band(ds: Dataset, p: Params, draws: pd.DataFrame | None = None) -> pd.DataFrame:
    """NPV, IRR and payback month of both landlord cases at realized prices for each draw of `draws` (default
    band_draws): one row per case and draw, vectorized over draws (one price path and capex each)."""
    d = band_draws(ds, p) if draws is None else draws
    varied: Any = dataclasses.replace(cast(Any, p), **{name: d[name].to_numpy() for name in LANDLORD_BAND})   # arrays, unchecked
    frames = []
    for L in landlord_cases(ds, p, REALIZED):
        _, price = price_path(ds, L.months, varied, REALIZED)
        capex = fleet.all_in_capex(ds, h100_price(ds, L.start.year), varied)
        flows = finance.monthly_cash_flows(capex, price, L.utilization, L.power, L.hosting, varied.residual_value_fraction,
                                           L.life_months)
        frames.append(pd.DataFrame({"case": L.label, "npv": finance.npv_at(varied.cost_of_capital, flows),
                                    "irr": finance.irr_annual(flows), "payback_month": finance.payback_month(flows)}))
    return pd.concat(frames, ignore_index=True)


def band_percentiles(band: pd.DataFrame) -> pd.DataFrame:
    """The 5th and 95th percentiles of NPV, IRR and payback month per case (a draw that never pays back within its
    life counts as later than any month, so it lifts the 95th percentile to 'not within life')."""
    filled = band.assign(payback_month=band["payback_month"].fillna(np.inf))
    q = filled.groupby("case", sort=False)[["npv", "irr", "payback_month"]].quantile(np.array([0.05, 0.95]),
                                                                                     interpolation="lower")
    return cast(pd.DataFrame, q.unstack())


def at_starting_price(L: Landlord, starting_price) -> pd.DataFrame:
    """IRR and NPV of case `L` when the revenue per sold hour starts at `starting_price` (USD per GPU-hour, one value
    or several) and then follows the shape of L's path (the cut, the lapse of the Capacity Block rate, the decline)."""
    start = np.atleast_1d(np.asarray(starting_price, float))
    flows = finance.monthly_cash_flows(L.capex, start[:, None] * L.price / L.price[0], L.utilization, L.power,
                                       L.hosting, L.residual_fraction, L.life_months)
    return pd.DataFrame({"case": L.label, "starting_price": start, "irr": finance.irr_annual(flows),
                         "npv": finance.npv_at(L.cost_of_capital, flows)})


def breakeven_starting_price(L: Landlord) -> float:
    """The starting revenue per sold hour, on the shape of L's path, at which NPV = 0 at the cost of capital."""
    return float(L.price[0] * finance.breakeven_price_scale(L.capex, L.price, L.utilization, L.power, L.hosting,
                                                             L.cost_of_capital, L.residual_fraction, L.life_months))


def landlord_variants(ds: Dataset, p: Params) -> pd.DataFrame:
    """`landlord_outcomes` of both cases for each price path (declining at the parameter, flat) and each life
    (the parameter's sourced low and high: 5 and 6 years)."""
    life = params.schema(ds)["depreciation_life_years"]
    frames = []
    for path, decline in (("declining", p.rental_price_decline_per_year), ("flat", 0.0)):
        for years in sorted({int(cast(float, life.low)), int(cast(float, life.high))}):     # its sourced range
            q = p.replace(rental_price_decline_per_year=decline, depreciation_life_years=years)
            frames.append(landlord_outcomes(landlord_cases(ds, q)).assign(price_path=path))
    return pd.concat(frames, ignore_index=True)


#: Inputs of the landlord's payback and capital cost that a reader should see move them: the server price (sourced
#: band), the contract mix and discount (labelled assumptions) and the price decline (flat to the market-wide fit).
LANDLORD_DRIVERS = ("h100_server_price_usd", "network_share_of_cluster_capex", "on_demand_usage_share",
                    "capacity_block_usage_share", "committed_discount", "rental_price_decline_per_year", "residual_value_fraction")


def landlord_drivers(ds: Dataset, p: Params) -> pd.DataFrame:
    """One input at a time at its sourced (or assumed) low and high, the others as in `p`: the payback month and IRR
    at realized prices and the capital cost per GPU-hour at full use of the H100 bought at the cut. Shows which inputs
    move the landlord's answers and by how much (`confidence` says whether the range is sourced or assumed)."""
    schema = params.schema(ds)
    rows = []
    for name in LANDLORD_DRIVERS:
        s = schema[name]
        row: dict[str, Any] = {"input": s.title, "name": name, "confidence": s.confidence, "low": s.low, "high": s.high}
        for end in ("low", "high"):
            # Unchecked on purpose (dataclasses.replace, not Params.replace): each input at its low or high whatever
            # the others are, e.g. an on-demand share whose sum with the run's Capacity Block share exceeds 1.
            case = landlord_cases(ds, dataclasses.replace(p, **{name: row[end]}), REALIZED)[1]
            outcome = landlord_outcomes([case]).iloc[0]
            row[f"payback_month_{end}"], row[f"irr_{end}"] = outcome["payback_month"], outcome["irr"]
            row[f"capital_per_hour_{end}"] = cost_per_gpu_hour(case).set_index("component").loc["capital", "full_use"]
        rows.append(row)
    return pd.DataFrame(rows)


def decline_text(ds: Dataset, p: Params) -> str:
    """What the price-decline fit uses and gives."""
    h = rental_history(ds)
    used = h[h["basis"].isin(DECLINE_BASES)]
    everything = history_decline(ds, tuple(h["basis"].unique()))
    return (f"A least-squares fit of ln(price) = a + b × year, one level a per basis and one common slope b, to the "
            f"{len(used)} hyperscaler list and contract prices ({used['month'].iloc[0]} to {used['month'].iloc[-1]}) gives a decline "
            f"of 1 − e^b = {fmt(history_decline(ds), 'fraction')} a year (`rental_price_decline_per_year` is "
            f"{fmt(p.rental_price_decline_per_year, 'fraction')}). Neocloud and marketplace rents are shown but left out: they "
            f"are not what AWS charges; with them the fit gives {fmt(everything, 'fraction')} (the parameter's high). Flat list "
            "prices (0) are the low, shown as a case below.")


def rental_history(ds: Dataset) -> pd.DataFrame:
    """Public H100 rental prices (rental_prices.csv) with `year` = decimal year at mid-month."""
    h = ds["rental_prices"]
    h = h[h["chip_id"] == landlord_chip(ds)]
    month = pd.PeriodIndex(h["month"], freq="M")
    return h.assign(year=month.year + (month.month - 0.5) / 12).sort_values(["month", "series"]).reset_index(drop=True)


#: The prices a hyperscaler's own path follows: its list prices and contract prices (not neocloud market rents).
DECLINE_BASES = ("hyperscaler list", "contract")


def history_decline(ds: Dataset, bases: tuple[str, ...] = DECLINE_BASES) -> float:
    """Annual decline fitted to the rental-price history of the given `bases` (rental_prices.csv column basis), one
    price level per basis and one common slope (finance.fitted_annual_decline): with the default bases, the
    parameter rental_price_decline_per_year's default; with every basis, its high (the market-wide fit)."""
    h = rental_history(ds)
    h = h[h["basis"].isin(bases)]
    return finance.fitted_annual_decline(h["year"], h["usd_per_hour"], h["basis"])


def aws_segment_margin(ds: Dataset) -> pd.DataFrame:
    """AWS operating income / net sales per calendar year with four reported quarters, then the latest four
    quarters with both figures unless they are that last year (`period` names each)."""
    q = capex.wide(capex.amazon_quarterly(ds))[["aws_revenue", "aws_operating_income"]].dropna()
    years = q.groupby(q.index.str[:4]).agg(["sum", "count"])
    full = years[years[("aws_revenue", "count")] == 4]
    rows = [{"period": y, "revenue": r[("aws_revenue", "sum")], "operating_income": r[("aws_operating_income", "sum")]}
            for y, r in full.iterrows()]
    last4 = q.iloc[-4:]
    if not last4.index[-1].endswith("Q4"):
        rows.append({"period": f"four quarters to {last4.index[-1]}", "revenue": last4["aws_revenue"].sum(),
                     "operating_income": last4["aws_operating_income"].sum()})
    out = pd.DataFrame(rows)
    return out.assign(margin=out["operating_income"] / out["revenue"])


def price_paths(cases: list[Landlord]) -> pd.DataFrame:
    """Tidy monthly price paths over each case's life: case, price basis, year (decimal, mid-month), on-demand list
    and blended revenue per sold GPU-hour."""
    return pd.concat([pd.DataFrame({"case": L.label, "basis": L.basis, "year": L.months.year + (L.months.month - 0.5) / 12,
                                    "on_demand": L.on_demand, "price": L.price}).iloc[:L.life_months] for L in cases],
                     ignore_index=True)


def realized_text(ds: Dataset, p: Params) -> str:
    """How the realized price path is built, from the data it reads."""
    observed = market_rent_observed(ds)
    rates = p5_rates(ds)
    return (f"Realized prices: on-demand hours pay the list price; Capacity Block hours pay "
            f"{fmt(rates['Capacity Blocks'], 'USD_per_hour')} only while that rate was in force (to "
            f"{capacity_block_end(ds)}; no later rate is in the data); every committed hour, and Capacity Block hours "
            f"after that, earns the public market rent: the {len(observed)} observed months of neocloud rents and "
            f"1-year contract prices in rental_prices.csv ({observed.index[0]} to {observed.index[-1]}, "
            f"{fmt(observed.min(), 'USD_per_hour')} to {fmt(observed.max(), 'USD_per_hour')} per GPU-hour), joined "
            f"log-linearly and declining at the H100 rental price decline per year "
            f"({fmt(p.rental_price_decline_per_year, 'fraction')}) after the last. AWS's own committed and "
            f"private rates are not published; a big customer that can rent from a neocloud at the market rent has "
            f"little reason to pay much more, so this is the realistic case. List prices with committed hours at "
            f"{fmt(p.committed_discount, 'fraction')} off (a 2021 one-year rate) are the ceiling.")


def irr_heatmap(L: Landlord) -> pd.DataFrame:
    """IRR of one case over the utilization x price-scale display grid, at its residual value and life."""
    return what_if_grid(L, UTILIZATION_GRID, PRICE_SCALE_GRID, [L.residual_fraction], [L.life_years])


def what_if_grid(L: Landlord, utilizations, price_scales, residual_fractions, life_years) -> pd.DataFrame:
    """NPV, IRR and payback of one case over a utilization x price-scale x residual x life grid
    (finance.landlord_grid on the case's price path)."""
    return finance.landlord_grid(L.capex, L.price, L.power, L.hosting, L.cost_of_capital, utilizations, price_scales,
                                 residual_fractions, life_years)


# --- 4. the tenant; 5. system size --------------------------------------------------------------------------

def tenant_rent_vs_buy(ds: Dataset, p: Params, utilization=None) -> pd.DataFrame:
    """Months after which buying an 8-GPU server beats renting p5 (pre-cut, post-cut, Capacity Blocks), at the
    tenant's utilization of its own server (`utilization`, one value or a grid; default `tenant_utilization`, not the
    landlord's `utilization`).

    Buying: the 8-GPU server (h100_server_price_usd, the one server price of the report) up front; per month the GPUs' power at utilization (incl. server overhead
    and PUE), hosting of their IT load (every hour) and server_support_usd_per_year / 12. `months_of_rent_for_price`
    is the try-before-you-buy reading: months of renting (at utilization) that cost as much as the server.
    """
    n = gpus_per_server(ds)
    u = np.atleast_1d(np.asarray(p["tenant_utilization"] if utilization is None else utilization, float))
    running = (n * (power_per_hour(ds, p) * u + hosting_per_hour(ds, p)) * finance.HOURS_PER_MONTH
               + p.server_support_usd_per_year / 12)
    purchase = p.h100_server_price_usd
    frames = [pd.DataFrame({"utilization": u, "option": name, "rent_per_hour": n * rate,
                            "breakeven_months": finance.rent_vs_buy_breakeven_months(purchase, running, n * rate, u),
                            "months_of_rent_for_price": purchase / (n * rate * u * finance.HOURS_PER_MONTH)})
              for name, rate in p5_rates(ds).items()]
    return pd.concat(frames, ignore_index=True)


def system_cost_per_useful_hour(ds: Dataset, p: Params, utilization=None) -> pd.DataFrame:
    """USD per busy hour of one 8-GPU server and of a Groq system holding one 70B model, and the throughput
    advantage the Groq system needs to match the server's cost per token (ratio of the two). Both are systems their
    owner bought to serve its own model, busy `utilization` of the hours (one value or a grid; default
    `tenant_utilization`, a self-run system's share of hours in use, not AWS's share of hours sold)."""
    n = gpus_per_server(ds)
    u = np.atleast_1d(np.asarray(p.tenant_utilization if utilization is None else utilization, float))
    common = dict(life_years=p.depreciation_life_years, cost_of_capital=p.cost_of_capital,
                  usd_per_kwh=p.electricity_usd_per_kwh, pue=p.pue, utilization=u)
    gpu = finance.cost_per_useful_hour(p.h100_server_price_usd, power_kw=n * it_kw_per_gpu(ds, p), **common)
    groq = finance.cost_per_useful_hour(p.groq_chips_per_model * p.groq_chip_price_usd,
                                        power_kw=p.groq_chips_per_model * p.groq_chip_power_w / 1000, **common)
    return pd.DataFrame({"utilization": u, "gpu_server": gpu, "groq_system": groq, "groq_advantage_needed": groq / gpu})


# --- 6. tokens; 7. NVIDIA AI Enterprise ---------------------------------------------------------------------

def gpu_hour_prices(ds: Dataset, landlord_cost_per_sold_hour: float) -> pd.DataFrame:
    """USD per GPU-hour of the measured chips in 8-GPU instances, by price kind, plus AWS's own H100 cost."""
    inst = ds["instances"]
    chips = ds["measured_throughput"]["chip_id"].unique()
    rows = inst[inst["chip_id"].isin(chips) & (inst["accelerator_count"] == gpus_per_server(ds))]
    out = pd.DataFrame({"chip_id": rows["chip_id"], "basis": rows["price_kind"].map(PRICE_LABELS) + " ("
                        + rows["instance_type"] + ")", "usd_per_gpu_hour": rows["usd_per_hour"] / rows["accelerator_count"]})
    own = pd.DataFrame([{"chip_id": landlord_chip(ds), "basis": "AWS's cost per sold hour",
                         "usd_per_gpu_hour": landlord_cost_per_sold_hour}])
    return pd.concat([out, own], ignore_index=True)


def token_costs(ds: Dataset, prices: pd.DataFrame) -> pd.DataFrame:
    """USD per million tokens of the decode PROXY (dense layers only, no attention or KV cache) at each batch."""
    m = ds["measured_throughput"]
    m = m[m["metric"].str.match(DECODE_PROXY)]
    proxy = m.assign(batch=m["metric"].str.extract(DECODE_PROXY, expand=False).astype(int))
    out = proxy[["chip_id", "batch", "value"]].rename(columns={"value": "tokens_per_s"}).merge(prices, on="chip_id")
    out["usd_per_million_tokens"] = finance.usd_per_million_tokens(out["usd_per_gpu_hour"], out["tokens_per_s"])
    return out.sort_values(["chip_id", "basis", "batch"], kind="stable").reset_index(drop=True)


def nvaie(p: Params, rent_per_gpu_hour: dict[str, float]) -> dict:
    """Implied licensed GPUs (run rate / price per GPU-year) and the licence per GPU-hour as a share of rents."""
    per_hour = p.nvaie_usd_per_gpu_year / finance.HOURS_PER_YEAR
    return {"licensed_gpus": float(finance.implied_licensed_gpus(p.nvaie_run_rate_usd_million * 1e6,
                                                                  p.nvaie_usd_per_gpu_year)),
            "usd_per_gpu_hour": per_hour, "share_of_rent": {k: per_hour / v for k, v in rent_per_gpu_hour.items()}}


# --- 8. headline results ------------------------------------------------------------------------------------

@per_dataset
def realized_percentiles(ds: Dataset, p: Params) -> pd.DataFrame:
    """band_percentiles of realized_band at its default draws (computed once per parameter set)."""
    return band_percentiles(realized_band(ds, p))


def realized_price_points(ds: Dataset, p: Params) -> pd.DataFrame:
    """IRR and NPV of both cases at each REALIZED_PRICE_POINTS starting price on the list path's shape (the cut and
    the decline), with each case's break-even starting price (`breakeven_price`)."""
    return pd.concat([at_starting_price(L, REALIZED_PRICE_POINTS).assign(breakeven_price=breakeven_starting_price(L))
                      for L in landlord_cases(ds, p)], ignore_index=True)


def _item(key: str, label: str, value, unit: str, band: tuple[float, float] | None = None) -> dict:
    """One headline: its value (None with its `undefined` text when not finite) and its 5th-95th band if any."""
    v = float(value)
    item: dict[str, Any] = ({"key": key, "label": label, "value": v, "unit": unit} if math.isfinite(v) else
                            {"key": key, "label": label, "value": None, "unit": unit, "undefined": _undefined(key)})
    if band is not None:
        item.update({end: float(b) if math.isfinite(b) else None for end, b in zip(("p5", "p95"), band)})
    return item


def landlord_headlines(ds: Dataset, p: Params) -> list[dict]:
    """The landlord's headline numbers: per case, capex, the realized-price payback, NPV and IRR with their 5th-95th
    band, the break-even starting price and the IRR at REALIZED_PRICE_POINTS; the list-price payback, NPV and IRR
    labelled as the ceiling they are; break-even utilization and operating margin (list prices)."""
    listed, realized = landlord_outcomes(landlord_cases(ds, p)), landlord_outcomes(landlord_cases(ds, p, REALIZED))
    band, points = realized_percentiles(ds, p), realized_price_points(ds, p)
    out = []
    for tag, (_, row), (_, real) in zip(("bought_2023", "bought_at_cut"), listed.iterrows(), realized.iterrows()):
        case = row["case"]
        b = band.loc[case]
        out += [_item(f"capex_per_h100_{tag}", f"All-in capex per H100, {case}", row["capex"], "USD")]
        out += [_item(f"{metric}_realized_{tag}", f"Landlord {name} at realized prices, {case}", real[metric], unit,
                      (b[(metric, 0.05)], b[(metric, 0.95)]))
                for metric, name, unit in (("payback_month", "payback month", "months"), ("npv", "NPV per H100", "USD"),
                                           ("irr", "IRR per year", "fraction"))]
        at = points[points["case"] == case]
        out.append(_item(f"breakeven_realized_price_{tag}", f"Break-even realized price per GPU-hour in the first month "
                         f"of rent (then the list path's cut and decline), {case}", at["breakeven_price"].iloc[0],
                         "USD_per_hour"))
        out += [_item(f"irr_at_realized_{price:.0f}_usd_{tag}", f"Landlord IRR per year at a realized ${price:.0f} "
                      f"per GPU-hour in the first month of rent (then the list path's cut and decline), {case}", irr, "fraction")
                for price, irr in zip(at["starting_price"], at["irr"])]
        out += [
            _item(f"payback_month_{tag}", f"Landlord payback month at list prices (a ceiling), {case}", row["payback_month"],
                  "months"),
            _item(f"npv_{tag}", f"Landlord NPV per H100 at list prices (a ceiling), {case}", row["npv"], "USD"),
            _item(f"irr_{tag}", f"Landlord IRR per year at list prices (a ceiling), {case}", row["irr"], "fraction"),
            _item(f"breakeven_utilization_{tag}", f"Break-even utilization at list prices, {case}",
                  row["breakeven_utilization"], "fraction"),
            _item(f"operating_margin_{tag}", f"Operating margin per sold H100-hour at list prices, {case}",
                  row["operating_margin"], "fraction")]
    return out


def headline_results(ds: Dataset, p: Params) -> list[dict]:
    """Headline numbers of the portfolio section (value and unit each; a 5th-95th band where one is drawn)."""
    cases = landlord_cases(ds, p)
    cost = cost_per_gpu_hour(cases[-1]).set_index("component")
    aws = aws_segment_margin(ds).iloc[-1]
    low_use = cast(float, params.schema(ds)["tenant_utilization"].low)       # the low end of its range

    def tenant(u: float) -> pd.Series:
        return tenant_rent_vs_buy(ds, p, u).set_index("option")["breakeven_months"]
    shares = fleet.spend_and_compute(ds, p.trainium_unit_cost_usd).iloc[-1]
    year = int(shares["year"])
    groq = system_cost_per_useful_hour(ds, p, p.tenant_utilization).iloc[0]
    h100 = portfolio_table(ds).query("instance_type == @LANDLORD_INSTANCE").iloc[0]
    lic = nvaie(p, {"post": p5_rates(ds)["on-demand, post-cut"]})
    u = f"{p.utilization:.0%} utilization"                  # the landlord's: AWS's share of hours sold
    ut = f"{p.tenant_utilization:.0%} utilization"          # the tenant's own server (and a self-run Groq system)
    results = [
        _item("aws_cost_per_h100_hour", f"AWS's cost per H100-hour at full use, {cases[-1].label}",
              cost.loc["total", "full_use"], "USD_per_hour"),
        _item("aws_cost_per_sold_h100_hour", f"AWS's cost per sold H100-hour at {u}, {cases[-1].label}",
              cost.loc["total", "per_sold_hour"], "USD_per_hour"),
        *landlord_headlines(ds, p),
        _item("aws_segment_operating_margin", f"AWS segment operating margin, {aws['period']}", aws["margin"], "fraction")]
    full, low, at_u = tenant(1.0), tenant(low_use), tenant(p.tenant_utilization)
    for option, tag in (("on-demand, pre-cut", "pre_cut"), ("on-demand, post-cut", "post_cut")):
        kind = option.removeprefix("on-demand, ")
        results += [
            _item(f"tenant_breakeven_months_{tag}_full_use", f"Tenant: months until buying beats renting p5 {kind}, "
                  f"server in use every hour (range: full use to {low_use:.0%} use)", full[option], "months",
                  (full[option], low[option])),
            _item(f"tenant_breakeven_months_{tag}", f"Tenant: months until buying beats renting p5 {kind}, {ut}",
                  at_u[option], "months")]
    results += [
        _item("nvidia_spend_share_latest_year", f"Nvidia's share of Amazon's accelerator spend, {year}",
              shares["nvidia_spend_share"], "fraction"),
        _item("nvidia_compute_share_latest_year", f"Nvidia's share of Amazon's added compute (H100e), {year}",
              shares["nvidia_compute_share"], "fraction"),
        _item("h100_sustained_share_of_spec", "H100: measured sustained BF16 GEMM / spec dense BF16",
              h100["measured_share_of_spec"], "fraction"),
        _item("groq_advantage_needed", f"Throughput advantage a Groq 70B system needs to match an 8-GPU server, {ut}",
              groq["groq_advantage_needed"], "times"),
        _item("nvaie_implied_licensed_gpus", "GPUs implied by Nvidia's software run rate at the NVAIE price",
              lic["licensed_gpus"], "count"),
        _item("nvaie_share_of_post_cut_rent", "NVAIE licence per GPU-hour / p5 post-cut rent per GPU-hour",
              lic["share_of_rent"]["post"], "fraction")]
    tokens = token_costs(ds, gpu_hour_prices(ds, cast(float, cost.loc["total", "per_sold_hour"])))
    for row in tokens[tokens["batch"] == tokens["batch"].max()].itertuples():
        slug = re.sub(r"[^a-z0-9]+", "_", f"{row.chip_id} {row.basis}".lower()).strip("_")
        results.append(_item(f"usd_per_million_tokens_{slug}_batch{row.batch}",
                             f"USD per million tokens (decode proxy, batch {row.batch}), {row.chip_id}, {row.basis}",
                             row.usd_per_million_tokens, "USD_per_million_tokens"))
    return results


def _undefined(key: str) -> str:
    """What an undefined headline means: a payback month beyond the life, a break-even that never comes."""
    return NOT_WITHIN_LIFE if key.startswith("payback_month") else "never" if "breakeven_months" in key else "n/a"


def month_text(month: float) -> str:
    """A payback month for prose and tables: "14", or "not within life" when it does not come."""
    return f"{month:.0f}" if math.isfinite(month) else NOT_WITHIN_LIFE


# --- 9. what-if grid for the report page ----------------------------------------------------------------------

WHAT_IF_AXES = ("utilization", "rental_price_decline_per_year", "residual_value_fraction", "depreciation_life_years")
WHAT_IF_STEPS = {"rental_price_decline_per_year": 5, "residual_value_fraction": 4}    # grid points over the range


def what_if_axes(schema: dict[str, params.Parameter], p: Params) -> dict[str, list]:
    """The what-if grid's values per control: utilization on the display grid, the others over their sourced
    ranges (params.what_if_values), each with the run's own value."""
    return {name: params.what_if_values(schema[name], p[name], WHAT_IF_STEPS.get(name, 5),
                                        UTILIZATION_GRID if name == "utilization" else None) for name in WHAT_IF_AXES}


def what_if(ds: Dataset, p: Params, axes: dict[str, list]) -> pd.DataFrame:
    """NPV, IRR and payback of both landlord cases at realized prices over every combination of the values in `axes`
    (one list per name in WHAT_IF_AXES): one price path per decline, the rest vectorized (finance.landlord_grid)."""
    frames = []
    for decline in axes["rental_price_decline_per_year"]:
        for L in landlord_cases(ds, p.replace(rental_price_decline_per_year=decline), REALIZED):
            grid = what_if_grid(L, axes["utilization"], [1.0], axes["residual_value_fraction"],
                                axes["depreciation_life_years"])
            frames.append(grid.drop(columns="price_scale").assign(
                case=L.label, rental_price_decline_per_year=decline, life_years=grid["life_years"].astype(int)))
    out = pd.concat(frames, ignore_index=True).rename(columns={"residual_fraction": "residual_value_fraction",
                                                               "life_years": "depreciation_life_years"})
    return out[["case", *WHAT_IF_AXES, "npv", "irr_annual", "payback_month"]]
