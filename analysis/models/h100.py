"""The H100 AWS rents out: the landlord's instance (p5.48xlarge, the server of the one sourced server price), its
chip and list prices, and what one of its GPUs draws and costs to host (measured power, parameters)."""
from __future__ import annotations

from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.models import finance, fleet

LANDLORD_INSTANCE = fleet.H100_SERVER_INSTANCE
GEMM_POWER = "board_power_during_gemm_median"


@per_dataset
def measured(ds: Dataset, chip_id: str, metric: str) -> float:
    """One measured figure (measured_throughput.csv)."""
    m = ds["measured_throughput"].set_index(["chip_id", "metric"])
    return float(cast(float, m.loc[(chip_id, metric), "value"]))


@per_dataset
def _p5_row(ds: Dataset, kind: str) -> pd.Series:
    inst = ds["instances"].set_index(["instance_type", "price_kind"])
    return cast(pd.Series, inst.loc[(LANDLORD_INSTANCE, kind)])     # one row per instance and price kind


@per_dataset
def landlord_chip(ds: Dataset) -> str:
    """The chip_id of the landlord's instance (instances.csv)."""
    inst = ds["instances"]
    return str(inst.loc[inst["instance_type"] == LANDLORD_INSTANCE, "chip_id"].iloc[0])


def h100_price(ds: Dataset, year: int) -> float:
    """Epoch AI's price of the landlord's chip (the H100) for a calendar year (accelerator_specs.csv, through its Epoch
    label in epoch_chips.csv); a year without a row raises."""
    return fleet.epoch_price(ds, landlord_chip(ds), year)


@per_dataset
def price_cut_month(ds: Dataset) -> pd.Period:
    """First month of the post-cut price list of the landlord's instance (from its `price_period`)."""
    return fleet.first_month(_p5_row(ds, "on_demand_post_cut")["price_period"])


@per_dataset
def last_observed_month(ds: Dataset) -> pd.Period:
    """Last month of the landlord's instance's observed post-cut price list; the price path declines after it."""
    return fleet.last_month(_p5_row(ds, "on_demand_post_cut")["price_period"])


@per_dataset
def capacity_block_end(ds: Dataset) -> pd.Period:
    """First month the landlord's instance's Capacity Block rate is no longer in force (its `price_period`,
    'rates in force until 2025-01-01'); no later rate is in the data."""
    return fleet.first_month(_p5_row(ds, "capacity_block")["price_period"])


@per_dataset
def p5_rates(ds: Dataset) -> dict[str, float]:
    """The landlord's instance per GPU-hour: on-demand before and after the cut, and Capacity Blocks."""
    n = fleet.gpus_per_server(ds)
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
