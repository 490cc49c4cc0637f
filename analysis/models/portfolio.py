"""Section 2's other numbers: the accelerator portfolio (every instance's prices and specs per dollar), AWS's segment
margin, renting versus buying an 8-GPU server (the tenant), system size (a GPU server against a Groq system), tokens,
and Nvidia's software licence. The landlord's economics are `analysis.models.landlord`.

Every figure comes from `data/` or from a parameter set `p` (a `params.Params`, from `params.resolve`); the finance is
`analysis.models.finance`. The constants below are unit conversions, data labels and display grids, not assumptions.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.models import capex, finance, fleet
from analysis.models.h100 import hosting_per_hour, it_kw_per_gpu, landlord_chip, p5_rates, power_per_hour

TO_GB = {"GB": 1.0, "GiB": 2**30 / 1e9, "MB": 1e-3}


PRICE_KINDS = ["on_demand_pre_cut", "on_demand_post_cut", "on_demand", "capacity_block"]


PRICE_LABELS = {"on_demand_pre_cut": "on-demand, pre-cut", "on_demand_post_cut": "on-demand, post-cut",
                "on_demand": "on-demand", "capacity_block": "Capacity Block"}


#: The price behind the value-per-dollar columns: the first of these an instance has (today's list price first).
VALUE_BASIS = ["on_demand_post_cut", "on_demand", "capacity_block"]


SPEC_METRICS = ["bf16_dense_tflops", "memory_capacity", "memory_bandwidth"]


SUSTAINED_GEMM = "gemm_bf16_8192_sustained_20s"


DECODE_PROXY = r"^decode_proxy_7b_batch(\d+)$"


SYSTEM_UTILIZATION_GRID = np.round(np.geomspace(0.05, 1.0, 14), 3)  # utilization from 1 down to 0.05


def spec_rows(ds: Dataset, chips: Iterable[str]) -> pd.DataFrame:
    """Spec rows (dense BF16 TFLOP/s, memory, bandwidth) of `chips`, memory converted to GB."""
    s = ds["accelerator_specs"]
    s = s[s["metric"].isin(SPEC_METRICS) & s["chip_id"].isin(list(chips))]
    memory = s["metric"] == "memory_capacity"
    factor = s["unit"].map(TO_GB).where(memory, 1.0)
    if factor.isna().any():
        raise ValueError(f"unknown memory unit(s): {sorted(set(s.loc[factor.isna(), 'unit']))}")
    return s.assign(value=s["value"] * factor, unit=s["unit"].where(~memory, "GB"))


@per_dataset
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


@per_dataset
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


def tenant_rent_vs_buy(ds: Dataset, p: Params, utilization: finance.Values | None = None) -> pd.DataFrame:
    """Months after which buying an 8-GPU server beats renting p5 (pre-cut, post-cut, Capacity Blocks), at the
    tenant's utilization of its own server (`utilization`, one value or a grid; default `tenant_utilization`, not the
    landlord's `utilization`).

    Buying: the H100 server (h100_server_price_usd, the one server price of the report; fleet.gpus_per_server GPUs)
    up front; per month the GPUs' power at utilization (incl. server overhead and PUE), hosting of their IT load
    (every hour) and server_support_usd_per_year / 12. `months_of_rent_for_price` is the try-before-you-buy reading:
    months of renting (at utilization) that cost as much as the server.
    """
    n = fleet.gpus_per_server(ds)
    u = np.atleast_1d(np.asarray(p["tenant_utilization"] if utilization is None else utilization, float))
    running = (n * (power_per_hour(ds, p) * u + hosting_per_hour(ds, p)) * finance.HOURS_PER_MONTH
               + p.server_support_usd_per_year / 12)
    purchase = p.h100_server_price_usd
    frames = [pd.DataFrame({"utilization": u, "option": name, "rent_per_hour": n * rate,
                            "breakeven_months": finance.rent_vs_buy_breakeven_months(purchase, running, n * rate, u),
                            "months_of_rent_for_price": purchase / (n * rate * u * finance.HOURS_PER_MONTH)})
              for name, rate in p5_rates(ds).items()]
    return pd.concat(frames, ignore_index=True)


def system_cost_per_useful_hour(ds: Dataset, p: Params, utilization: finance.Values | None = None) -> pd.DataFrame:
    """USD per busy hour of one 8-GPU server and of a Groq system holding one 70B model, and the throughput
    advantage the Groq system needs to match the server's cost per token (ratio of the two). Both are systems their
    owner bought to serve its own model, busy `utilization` of the hours (one value or a grid; default
    `tenant_utilization`, a self-run system's share of hours in use, not AWS's share of hours sold)."""
    n = fleet.gpus_per_server(ds)
    u = np.atleast_1d(np.asarray(p.tenant_utilization if utilization is None else utilization, float))
    common: dict[str, Any] = dict(life_years=p.depreciation_life_years, cost_of_capital=p.cost_of_capital,
                  usd_per_kwh=p.electricity_usd_per_kwh, pue=p.pue, utilization=u)
    gpu = finance.cost_per_useful_hour(p.h100_server_price_usd, power_kw=n * it_kw_per_gpu(ds, p), **common)
    groq = finance.cost_per_useful_hour(p.groq_chips_per_model * p.groq_chip_price_usd,
                                        power_kw=p.groq_chips_per_model * p.groq_chip_power_w / 1000, **common)
    return pd.DataFrame({"utilization": u, "gpu_server": gpu, "groq_system": groq, "groq_advantage_needed": groq / gpu})


def gpu_hour_prices(ds: Dataset, landlord_cost_per_sold_hour: float) -> pd.DataFrame:
    """USD per GPU-hour of the measured chips in 8-GPU instances, by price kind, plus AWS's own H100 cost."""
    inst = ds["instances"]
    chips = ds["measured_throughput"]["chip_id"].unique()
    rows = inst[inst["chip_id"].isin(chips) & (inst["accelerator_count"] == fleet.gpus_per_server(ds))]
    out = pd.DataFrame({"chip_id": rows["chip_id"],
                        "basis": rows["price_kind"].map(PRICE_LABELS) + " (" + rows["instance_type"] + ")",
                        "usd_per_gpu_hour": rows["usd_per_hour"] / rows["accelerator_count"]})
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


@dataclass(frozen=True)
class Licence:
    """Nvidia AI Enterprise's licence: the GPUs its run rate implies, its price per GPU-hour and that price as a share
    of each rent (by the rent's name)."""
    licensed_gpus: float
    usd_per_gpu_hour: float
    share_of_rent: dict[str, float]


def nvaie(p: Params, rent_per_gpu_hour: dict[str, float]) -> Licence:
    """Implied licensed GPUs (run rate / price per GPU-year) and the licence per GPU-hour as a share of rents."""
    per_hour = p.nvaie_usd_per_gpu_year / finance.HOURS_PER_YEAR
    return Licence(licensed_gpus=float(finance.implied_licensed_gpus(p.nvaie_run_rate_usd_million * 1e6,
                                                                     p.nvaie_usd_per_gpu_year)),
                   usd_per_gpu_hour=per_hour, share_of_rent={k: per_hour / v for k, v in rent_per_gpu_hour.items()})
