"""Section 2, AWS as a landlord: the accelerator portfolio, what Amazon spends on whom, the economics of renting
out an H100 (landlord) and of renting versus buying one (tenant), system size, tokens, and Nvidia's software.

Every figure comes from `data/` or from a parameter dict `p` (from `params.resolve`); the finance is
`analysis.finance`. The constants below are unit conversions, data labels and display grids, not assumptions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import finance, fleet
from analysis.data import Dataset

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


def measured(ds: Dataset, chip_id: str, metric: str) -> float:
    """One measured figure (measured_throughput.csv)."""
    m = ds["measured_throughput"].set_index(["chip_id", "metric"])
    return float(m.loc[(chip_id, metric), "value"])


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
    """One H100 bought by AWS: USD per GPU, USD per GPU-hour, and on-demand / capacity-block prices per GPU-hour."""

    capex: float
    power: float                     # electricity per sold hour (full draw, incl. server overhead and PUE)
    hosting: float                   # space, cooling, staff per hour, every hour
    cost_of_capital: float
    utilization: float
    life_years: int
    months: pd.PeriodIndex           # calendar month of each month of life, t = 1..n
    cut: pd.Period                   # first month of the post-cut on-demand price
    on_demand_pre: float
    on_demand_post: float
    capacity_block: float


def gpus_per_server(ds: Dataset) -> int:
    inst = ds["instances"]
    return int(inst.loc[inst["instance_type"] == LANDLORD_INSTANCE, "accelerator_count"].iloc[0])


def price_cut_month(ds: Dataset) -> pd.Period:
    """First month of the post-cut price list of the landlord's instance (from its `price_period`)."""
    inst = ds["instances"].set_index(["instance_type", "price_kind"])
    period = inst.loc[(LANDLORD_INSTANCE, "on_demand_post_cut"), "price_period"]
    return pd.Period(re.search(r"\d{4}-\d{2}", period).group(0), freq="M")


def it_kw_per_gpu(ds: Dataset, p: dict) -> float:
    """kW of IT load per H100: measured median board power during GEMM x (1 + server overhead)."""
    return measured(ds, "h100-sxm", GEMM_POWER) * (1 + p["server_overhead_fraction"]) / 1000


def landlord(ds: Dataset, p: dict) -> Landlord:
    """The landlord's inputs: capex = price / (1 - network share), measured power, hosting per kW, p5 prices."""
    inst = ds["instances"]
    rows = inst[inst["instance_type"] == LANDLORD_INSTANCE].set_index("price_kind")["usd_per_hour"]
    n = gpus_per_server(ds)
    power = finance.power_cost_per_hour(measured(ds, "h100-sxm", GEMM_POWER), p["server_overhead_fraction"],
                                        p["pue"], p["electricity_usd_per_kwh"])
    start = pd.Period(p["gpu_purchase_quarter"], freq="Q").asfreq("M", how="start")
    return Landlord(capex=p["accelerator_price_usd"] / (1 - p["network_share_of_cluster_capex"]),
                    power=float(power), hosting=it_kw_per_gpu(ds, p) * p["hosting_usd_per_kw_month"]
                    / finance.HOURS_PER_MONTH, cost_of_capital=p["cost_of_capital"], utilization=p["utilization"],
                    life_years=p["depreciation_life_years"],
                    months=pd.period_range(start, periods=12 * p["depreciation_life_years"], freq="M"),
                    cut=price_cut_month(ds), on_demand_pre=rows["on_demand_pre_cut"] / n,
                    on_demand_post=rows["on_demand_post_cut"] / n, capacity_block=rows["capacity_block"] / n)


def blended_price(on_demand, capacity_block: float, p: dict):
    """Revenue per rented GPU-hour: on-demand share x on-demand + capacity-block share x capacity-block rate
    + the rest (committed use) x on-demand x (1 - committed discount)."""
    committed = 1 - p["on_demand_usage_share"] - p["capacity_block_usage_share"]
    return (p["on_demand_usage_share"] * np.asarray(on_demand, float) + p["capacity_block_usage_share"]
            * capacity_block + committed * np.asarray(on_demand, float) * (1 - p["committed_discount"]))


def on_demand_path(L: Landlord, variable_from: pd.Period, price_after: float) -> np.ndarray:
    """Monthly on-demand price per GPU-hour: the pre-cut price before `variable_from`, `price_after` from then on."""
    return np.where(L.months < variable_from, L.on_demand_pre, price_after)


def scenario_paths(L: Landlord, p: dict) -> dict[str, np.ndarray]:
    """Blended monthly price paths: pre-cut prices for the whole life (counterfactual) and the actual path."""
    return {"before the cut": blended_price(on_demand_path(L, L.months[-1] + 1, L.on_demand_pre), L.capacity_block, p),
            "after the cut": blended_price(on_demand_path(L, L.cut, L.on_demand_post), L.capacity_block, p)}


def _flows(L: Landlord, price) -> np.ndarray:
    return finance.monthly_cash_flows(L.capex, price, L.utilization, L.power, L.hosting)


def breakeven_on_demand_price(L: Landlord, p: dict, variable_from: pd.Period) -> float:
    """On-demand list price per GPU-hour from `variable_from` to the end of life at which NPV = 0 (earlier
    months keep the pre-cut price). Exact: NPV is linear in that price; inf if a higher price adds no value."""
    npv0, npv1 = (finance.npv_at(L.cost_of_capital, _flows(L, blended_price(on_demand_path(L, variable_from, x),
                                                                            L.capacity_block, p))) for x in (0.0, 1.0))
    return float(-npv0 / (npv1 - npv0)) if npv1 > npv0 else float("inf")


def cost_per_gpu_hour(L: Landlord) -> pd.DataFrame:
    """Cost per GPU-hour by component: per wall-clock hour at full use (finance.landlord_cost_breakdown), and
    per sold hour at the landlord's utilization (capital and hosting spread over sold hours only)."""
    full = pd.Series(finance.landlord_cost_breakdown(L.capex, L.life_years, L.cost_of_capital, L.power, L.hosting))
    sold = full.drop("total") / pd.Series({"capital": L.utilization, "power": 1.0, "hosting": L.utilization})
    return pd.DataFrame({"full_use": full.astype(float), "per_sold_hour": pd.concat(
        [sold, pd.Series({"total": sold.sum()})]).astype(float)}).rename_axis("component").reset_index()


def landlord_outcomes(L: Landlord, p: dict) -> pd.DataFrame:
    """Payback month, NPV, IRR and break-evens, before the cut (pre-cut prices for the whole life) and after it.

    `breakeven_price_scale` multiplies the whole price path to NPV = 0; `breakeven_mean_price` is the mean revenue
    per sold GPU-hour of that scaled path; `breakeven_on_demand_price` is the on-demand price that would break even
    over the whole life (before) or from the cut on, with the months before the cut as they were (after).
    """
    rows = []
    for scenario, price in scenario_paths(L, p).items():
        flows = _flows(L, price)
        scale = float(finance.breakeven_price_scale(L.capex, price, L.utilization, L.power, L.hosting,
                                                    L.cost_of_capital))
        rows.append({"scenario": scenario, "mean_price": float(price.mean()),
                     "payback_month": float(finance.payback_month(flows)),
                     "npv": float(finance.npv_at(L.cost_of_capital, flows)), "irr": float(finance.irr_annual(flows)),
                     "breakeven_utilization": float(finance.breakeven_utilization(
                         L.capex, price, L.power, L.hosting, L.cost_of_capital)),
                     "breakeven_price_scale": scale, "breakeven_mean_price": scale * float(price.mean()),
                     "breakeven_on_demand_price": breakeven_on_demand_price(
                         L, p, L.months[0] if scenario == "before the cut" else L.cut)})
    return pd.DataFrame(rows)


def irr_heatmap(L: Landlord, p: dict) -> pd.DataFrame:
    """IRR of the actual (after-cut) price path over the utilization x price-scale display grid."""
    return finance.irr_grid(L.capex, scenario_paths(L, p)["after the cut"], UTILIZATION_GRID, PRICE_SCALE_GRID,
                            L.power, L.hosting)


# --- 4. the tenant; 5. system size --------------------------------------------------------------------------

def tenant_rent_vs_buy(ds: Dataset, p: dict, utilization) -> pd.DataFrame:
    """Months after which buying an 8-GPU server beats renting p5 (pre-cut, post-cut, Capacity Blocks).

    Buying: gpus x accelerator_price_usd up front; per month the GPUs' power at utilization (incl. server overhead
    and PUE), hosting of their IT load (every hour) and server_support_usd_per_year / 12. `months_of_rent_for_price`
    is the try-before-you-buy reading: months of renting (at utilization) that cost as much as the server.
    """
    L, n, u = landlord(ds, p), gpus_per_server(ds), np.atleast_1d(np.asarray(utilization, float))
    running = n * (L.power * u + L.hosting) * finance.HOURS_PER_MONTH + p["server_support_usd_per_year"] / 12
    purchase = n * p["accelerator_price_usd"]
    options = {"on-demand, pre-cut": L.on_demand_pre, "on-demand, post-cut": L.on_demand_post,
               "Capacity Blocks": L.capacity_block}
    frames = [pd.DataFrame({"utilization": u, "option": name, "rent_per_hour": n * rate,
                            "breakeven_months": finance.rent_vs_buy_breakeven_months(purchase, running, n * rate, u),
                            "months_of_rent_for_price": purchase / (n * rate * u * finance.HOURS_PER_MONTH)})
              for name, rate in options.items()]
    return pd.concat(frames, ignore_index=True)


def system_cost_per_useful_hour(ds: Dataset, p: dict, utilization) -> pd.DataFrame:
    """USD per busy hour of one 8-GPU server and of a Groq system holding one 70B model, and the throughput
    advantage the Groq system needs to match the server's cost per token (ratio of the two)."""
    n, u = gpus_per_server(ds), np.atleast_1d(np.asarray(utilization, float))
    common = dict(life_years=p["depreciation_life_years"], cost_of_capital=p["cost_of_capital"],
                  usd_per_kwh=p["electricity_usd_per_kwh"], pue=p["pue"], utilization=u)
    gpu = finance.cost_per_useful_hour(n * p["accelerator_price_usd"], power_kw=n * it_kw_per_gpu(ds, p), **common)
    groq = finance.cost_per_useful_hour(p["groq_chips_per_model"] * p["groq_chip_price_usd"],
                                        power_kw=p["groq_chips_per_model"] * p["groq_chip_power_w"] / 1000, **common)
    return pd.DataFrame({"utilization": u, "gpu_server": gpu, "groq_system": groq, "groq_advantage_needed": groq / gpu})


# --- 6. tokens; 7. NVIDIA AI Enterprise ---------------------------------------------------------------------

def gpu_hour_prices(ds: Dataset, landlord_cost_per_sold_hour: float) -> pd.DataFrame:
    """USD per GPU-hour of the measured chips in 8-GPU instances, by price kind, plus AWS's own H100 cost."""
    inst = ds["instances"]
    chips = ds["measured_throughput"]["chip_id"].unique()
    rows = inst[inst["chip_id"].isin(chips) & (inst["accelerator_count"] == gpus_per_server(ds))]
    out = pd.DataFrame({"chip_id": rows["chip_id"], "basis": rows["price_kind"].map(PRICE_LABELS) + " ("
                        + rows["instance_type"] + ")", "usd_per_gpu_hour": rows["usd_per_hour"] / rows["accelerator_count"]})
    own = pd.DataFrame([{"chip_id": "h100-sxm", "basis": "AWS's cost per sold hour",
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


def nvaie(p: dict, rent_per_gpu_hour: dict[str, float]) -> dict:
    """Implied licensed GPUs (run rate / price per GPU-year) and the licence per GPU-hour as a share of rents."""
    per_hour = p["nvaie_usd_per_gpu_year"] / finance.HOURS_PER_YEAR
    return {"licensed_gpus": float(finance.implied_licensed_gpus(p["nvaie_run_rate_usd_million"] * 1e6,
                                                                  p["nvaie_usd_per_gpu_year"])),
            "usd_per_gpu_hour": per_hour, "share_of_rent": {k: per_hour / v for k, v in rent_per_gpu_hour.items()}}


# --- 8. headline results ------------------------------------------------------------------------------------

def headline_results(ds: Dataset, p: dict) -> list[dict]:
    """Headline numbers of the portfolio section (value and unit each)."""
    L = landlord(ds, p)
    cost = cost_per_gpu_hour(L).set_index("component")
    out = landlord_outcomes(L, p).set_index("scenario")
    tenant = tenant_rent_vs_buy(ds, p, p["utilization"]).set_index("option")
    shares = fleet.spend_and_compute(ds, p["trainium_unit_cost_usd"]).iloc[-1]
    year = int(shares["year"])
    groq = system_cost_per_useful_hour(ds, p, p["utilization"]).iloc[0]
    h100 = portfolio_table(ds).query("instance_type == @LANDLORD_INSTANCE").iloc[0]
    lic = nvaie(p, {"post": L.on_demand_post})
    u = f"{p['utilization']:.0%} utilization"
    results = [
        ("aws_cost_per_h100_hour", "AWS's cost per H100-hour at full use (capital, power, hosting)",
         cost.loc["total", "full_use"], "USD_per_hour"),
        ("aws_cost_per_sold_h100_hour", f"AWS's cost per sold H100-hour at {u}", cost.loc["total", "per_sold_hour"],
         "USD_per_hour")]
    for scenario, tag in (("before the cut", "before_cut"), ("after the cut", "after_cut")):
        row = out.loc[scenario]
        results += [
            (f"payback_month_{tag}", f"Landlord payback month, {scenario}", row["payback_month"], "months"),
            (f"npv_{tag}", f"Landlord NPV per H100, {scenario}", row["npv"], "USD"),
            (f"irr_{tag}", f"Landlord IRR per year, {scenario}", row["irr"], "fraction"),
            (f"breakeven_utilization_{tag}", f"Break-even utilization, {scenario}", row["breakeven_utilization"],
             "fraction"),
            (f"breakeven_price_{tag}", f"Break-even mean revenue per sold H100-hour, {scenario}",
             row["breakeven_mean_price"], "USD_per_hour")]
    results += [
        ("tenant_breakeven_months_pre_cut", f"Tenant: months until buying beats renting p5 pre-cut, {u}",
         tenant.loc["on-demand, pre-cut", "breakeven_months"], "months"),
        ("tenant_breakeven_months_post_cut", f"Tenant: months until buying beats renting p5 post-cut, {u}",
         tenant.loc["on-demand, post-cut", "breakeven_months"], "months"),
        ("nvidia_spend_share_latest_year", f"Nvidia's share of Amazon's accelerator spend, {year}",
         shares["nvidia_spend_share"], "fraction"),
        ("nvidia_compute_share_latest_year", f"Nvidia's share of Amazon's added compute (H100e), {year}",
         shares["nvidia_compute_share"], "fraction"),
        ("h100_sustained_share_of_spec", "H100: measured sustained BF16 GEMM / spec dense BF16",
         h100["measured_share_of_spec"], "fraction"),
        ("groq_advantage_needed", f"Throughput advantage a Groq 70B system needs to match an 8-GPU server, {u}",
         groq["groq_advantage_needed"], "times"),
        ("nvaie_implied_licensed_gpus", "GPUs implied by Nvidia's software run rate at the NVAIE price",
         lic["licensed_gpus"], "count"),
        ("nvaie_share_of_post_cut_rent", "NVAIE licence per GPU-hour / p5 post-cut rent per GPU-hour",
         lic["share_of_rent"]["post"], "fraction")]
    return [{"key": k, "label": label, "value": float(v), "unit": unit} for k, label, v, unit in results]
