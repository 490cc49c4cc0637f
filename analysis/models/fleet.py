"""Epoch AI's estimates of Amazon's accelerator fleet: additions per quarter and per year, by vendor and chip,
and what they cost (units x price per chip and year)."""
from __future__ import annotations

import re
from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params

BANDS = ["median", "p5", "p95"]
EPOCH_SOURCE = "epoch-ai-chip-counts"
#: Epoch's chip labels -> chip_id of the price rows that apply; Amazon's own chips use the Trainium unit cost.
EPOCH_PRICE_CHIP = {"A100": "a100-sxm-80", "H100/H200": "h100-sxm", "B200": "b200", "B300": "b300"}
#: Epoch's chip labels -> the 8/16-accelerator AWS instance whose on-demand price is that chip's rent.
EPOCH_RENT_INSTANCE = {"A100": "p4d.24xlarge", "H100/H200": "p5.48xlarge", "B200": "p6-b200.48xlarge",
                       "B300": "p6-b300.48xlarge", "Trainium1": "trn1.32xlarge", "Trainium2": "trn2.48xlarge"}
MIX_COLUMNS = ["quarter", "chip", "vendor", "unit_share", "chip_price_usd", "all_in_usd", "power_w", "rent_usd_per_hour"]


@per_dataset
def additions(ds: Dataset, measure: str, by: str = "vendor", complete_only: bool = True) -> pd.DataFrame:
    """Quarterly additions of `measure` (units, h100e or tdp) summed over chips within `by`.

    Epoch publishes percentiles per chip; summing p5 (or p95) across chips gives a band wider than the
    true band of the sum (it assumes perfectly correlated errors), so treat summed bands as conservative.
    """
    fleet = ds["epoch_fleet"]
    fleet = fleet[(fleet["owner"] == "Amazon") & (fleet["measure"] == measure)]
    if complete_only:
        fleet = fleet[fleet["incomplete"] == "false"]
    out = fleet.groupby(["quarter", by], as_index=False)[BANDS].sum()
    return out.assign(source_id="epoch-ai-chip-counts")


def yearly(quarterly: pd.DataFrame, by: str = "vendor") -> pd.DataFrame:
    """Quarterly additions summed to calendar years."""
    frame = quarterly.assign(year=quarterly["quarter"].str[:4].astype(int))
    return frame.groupby(["year", by], as_index=False)[BANDS].sum()


@per_dataset
def chip_additions(ds: Dataset, measure: str) -> pd.DataFrame:
    """Quarterly additions of `measure` by Epoch chip label, with the chip's vendor."""
    vendors = ds["epoch_fleet"][["chip", "vendor"]].drop_duplicates()
    return additions(ds, measure, by="chip").merge(vendors, on="chip", how="left")


def unit_prices(ds: Dataset, trainium_unit_cost_usd: float) -> pd.DataFrame:
    """Price per chip and calendar year (`usd`, with its `low`-`high` range): Epoch's yearly rows for Nvidia chips,
    the Trainium unit cost (a point value: low = high) for Amazon's."""
    own = _own_chip_years(ds).assign(usd=trainium_unit_cost_usd, low=trainium_unit_cost_usd,
                                     high=trainium_unit_cost_usd, source_id=None)
    return pd.concat([_epoch_prices(ds), own], ignore_index=True)


@per_dataset
def _epoch_prices(ds: Dataset) -> pd.DataFrame:
    """Epoch AI's yearly price rows of the chips in EPOCH_PRICE_CHIP: chip, year, usd, low, high, source_id."""
    s = ds["accelerator_specs"]
    rows = s[(s["metric"] == "price") & (s["source_id"] == EPOCH_SOURCE) & s["as_of"].str.fullmatch(r"\d{4}")]
    per_chip = [rows[rows["chip_id"] == cid].assign(chip=label) for label, cid in EPOCH_PRICE_CHIP.items()]
    nvidia = pd.concat(per_chip).assign(year=lambda d: d["as_of"].astype(int)).rename(columns={"value": "usd"})
    return nvidia[["chip", "year", "usd", "low", "high", "source_id"]]


@per_dataset
def _own_chip_years(ds: Dataset) -> pd.DataFrame:
    """Every (chip, year) of Amazon's own chips over the years of Epoch's estimates."""
    fleet_rows = ds["epoch_fleet"]
    own = fleet_rows.loc[fleet_rows["vendor"] == "Amazon", ["chip"]].drop_duplicates()
    years = pd.DataFrame({"year": sorted(fleet_rows["quarter"].str[:4].astype(int).unique())})
    return own.merge(years, how="cross")


def spend_by_chip(units: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Spend (USD) = units x the chip's price in the quarter's year: median units x `usd`; p5 units x `low` and p95
    units x `high` where the prices carry a range (else x `usd`). A missing price raises."""
    ranged = [c for c in ("low", "high") if c in prices]
    frame = units.assign(year=units["quarter"].str[:4].astype(int)).merge(
        prices[["chip", "year", "usd", *ranged]], on=["chip", "year"], how="left")
    missing = frame.loc[frame["usd"].isna(), ["chip", "year"]].drop_duplicates()
    if len(missing):
        raise KeyError(f"no unit price for {missing.to_records(index=False).tolist()}")
    return frame.assign(median=frame["median"] * frame["usd"], p5=frame["p5"] * frame.get("low", frame["usd"]),
                        p95=frame["p95"] * frame.get("high", frame["usd"]))


def vendor_shares(spend: pd.DataFrame, compute: pd.DataFrame) -> pd.DataFrame:
    """Per year in which Epoch covers every vendor: Nvidia's share of Amazon's accelerator spend and of its
    compute (H100e), and USD per H100e by vendor. Inputs are tidy (year, vendor, median).

    Epoch has no Trainium estimates before 2024, so earlier years are left out rather than shown as 100% Nvidia.
    """
    s = spend.pivot_table(index="year", columns="vendor", values="median", aggfunc="sum").dropna()
    c = compute.pivot_table(index="year", columns="vendor", values="median", aggfunc="sum").dropna()
    out = pd.DataFrame({"spend_usd": s.sum(axis=1), "nvidia_spend_share": s["Nvidia"] / s.sum(axis=1),
                        "nvidia_compute_share": c["Nvidia"] / c.sum(axis=1)})
    for vendor in s.columns:
        out[f"usd_per_h100e_{vendor.lower()}"] = s[vendor] / c[vendor]
    return out.reset_index()


def spend_and_compute(ds: Dataset, trainium_unit_cost_usd: float) -> pd.DataFrame:
    """`vendor_shares` over Epoch's complete quarters."""
    spend = spend_by_chip(chip_additions(ds, "units"), unit_prices(ds, trainium_unit_cost_usd))
    return vendor_shares(yearly(spend), yearly(additions(ds, "h100e")))


#: The server price sources price 2023 systems (SemiAnalysis, May 2023; the essay, early 2024), 8 GPUs each.
SERVER_PRICE_YEAR = 2023
GPUS_PER_H100_SERVER = 8


def server_factor(ds: Dataset, p: Params) -> float:
    """Cost of a server per accelerator over the chip's price, from one sourced price: an 8-GPU H100 server
    (`h100_server_price_usd`) / 8 over Epoch AI's H100 price of the same year. Applied to every chip's price."""
    return p.h100_server_price_usd / GPUS_PER_H100_SERVER / _epoch_price(ds, "H100/H200", SERVER_PRICE_YEAR)


def all_in_capex(ds: Dataset, chip_price_usd, p: Params):
    """Capex per accelerator with its share of the server and of the cluster network, each added once (USD):
    chip price x server_factor / (1 - network_share_of_cluster_capex)."""
    return chip_price_usd * server_factor(ds, p) / (1 - p.network_share_of_cluster_capex)


@per_dataset
def _epoch_price(ds: Dataset, chip: str, year: int) -> float:
    """Epoch AI's price of an Epoch chip label in a year."""
    prices = _epoch_prices(ds).set_index(["chip", "year"])["usd"]
    return float(prices[(chip, year)])


def first_month(price_period: str) -> pd.Period:
    """First YYYY-MM in an instance row's `price_period` text (e.g. 'price lists 2025-06 .. 2026-07')."""
    found = re.search(r"\d{4}-\d{2}", price_period)
    if found is None:
        raise ValueError(f"price period {price_period!r} names no month YYYY-MM")
    return pd.Period(found.group(0), freq="M")


def last_month(price_period: str) -> pd.Period:
    """Last YYYY-MM in an instance row's `price_period` text."""
    return pd.Period(re.findall(r"\d{4}-\d{2}", price_period)[-1], freq="M")


def on_demand_in_force(ds: Dataset, instance_type: str, month: pd.Period) -> float:
    """On-demand list price per accelerator-hour of `instance_type` in `month`: the post-cut price from the first
    month of its price period, the pre-cut price before it; an instance with one on-demand price keeps it."""
    cut, before, after = _on_demand_prices(ds, instance_type)
    return after if cut is not None and month >= cut else before


@per_dataset
def _on_demand_prices(ds: Dataset, instance_type: str) -> tuple[pd.Period | None, float, float]:
    """(first month of the post-cut price or None, price per accelerator-hour before it, price from it) of
    `instance_type`; an instance with one on-demand price has it on both sides."""
    inst = ds["instances"]
    rows = inst[inst["instance_type"] == instance_type].set_index("price_kind")
    per_accel = rows["usd_per_hour"] / rows["accelerator_count"]
    if "on_demand_post_cut" in rows.index:
        cut = first_month(cast(str, rows.loc["on_demand_post_cut", "price_period"]))
        return cut, float(per_accel["on_demand_pre_cut"]), float(per_accel["on_demand_post_cut"])
    return None, float(per_accel["on_demand"]), float(per_accel["on_demand"])


def quarterly_mix(ds: Dataset, p: Params) -> pd.DataFrame:
    """Amazon's accelerator mix per complete Epoch quarter, one row per (quarter, chip): `unit_share` of the
    quarter's units (Epoch median), `chip_price_usd` (Epoch's price for the year; Trainium: the parameter),
    `all_in_usd` (all_in_capex), `power_w` (Epoch's TDP / units) and `rent_usd_per_hour` (on-demand list
    price per accelerator in force in the quarter's first month, from EPOCH_RENT_INSTANCE)."""
    mix = _chip_mix(ds, p.trainium_unit_cost_usd)
    return mix.assign(all_in_usd=all_in_capex(ds, mix["chip_price_usd"], p))[MIX_COLUMNS]


@per_dataset
def _chip_mix(ds: Dataset, trainium_unit_cost_usd: float) -> pd.DataFrame:
    """`quarterly_mix` but `all_in_usd`: everything that depends on the data and the Trainium unit cost only."""
    units = chip_additions(ds, "units")
    tdp = chip_additions(ds, "tdp").set_index(["quarter", "chip"])["median"]
    units = units.assign(unit_share=units["median"] / units.groupby("quarter")["median"].transform("sum"),
                         power_w=tdp.loc[list(zip(units["quarter"], units["chip"]))].to_numpy() / units["median"])
    frame = spend_by_chip(units, unit_prices(ds, trainium_unit_cost_usd))
    frame = frame.assign(chip_price_usd=frame["usd"])
    frame["rent_usd_per_hour"] = [on_demand_in_force(ds, EPOCH_RENT_INSTANCE[c], pd.Period(q, freq="Q").asfreq("M", how="start"))
                                  for q, c in zip(frame["quarter"], frame["chip"])]
    return frame.reset_index(drop=True)
