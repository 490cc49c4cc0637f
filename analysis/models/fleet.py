"""Epoch AI's estimates of Amazon's accelerator fleet: additions per quarter and per year, by vendor and chip,
and what they cost (units x price per chip and year). The functions that read Epoch's rows take an `owner` (Amazon by
default; data/epoch_fleet.csv also holds Google, Microsoft, Meta and Oracle, for comparison)."""
from __future__ import annotations

import re
from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.data.params import schema as parameter_schema
from analysis.data.vocab import REPORT_OWNER
from analysis.models import finance

BANDS = ["median", "p5", "p95"]
#: The owner the report is about: its rows are the defaults of every function here, and its own chips (no price chip
#: in epoch_chips.csv) are priced at the Trainium unit cost.
OWNER = REPORT_OWNER
EPOCH_SOURCE = "epoch-ai-chip-counts"
MIX_COLUMNS = ["quarter", "chip", "vendor", "unit_share", "chip_price_usd", "all_in_usd", "power_w", "rent_usd_per_hour"]


@per_dataset
def epoch_chips(ds: Dataset) -> pd.DataFrame:
    """data/epoch_chips.csv indexed by Epoch's chip label: `price_chip_id` (the chip_id whose Epoch AI price rows price
    it; empty for Amazon's own chips, priced at the Trainium unit cost) and `rent_instance` (the AWS instance whose
    on-demand price per accelerator is its rent)."""
    return ds["epoch_chips"].set_index("epoch_chip")


@per_dataset
def incumbent_epoch_vendor(ds: Dataset) -> str:
    """The vendor label in epoch_fleet.csv of the incumbent (data/vendors.csv, role 'incumbent')."""
    vendors = ds["vendors"]
    return str(vendors.loc[vendors["role"] == "incumbent", "epoch_vendor"].iloc[0])


@per_dataset
def additions(ds: Dataset, measure: str, by: str = "vendor", complete_only: bool = True,
              owner: str = OWNER) -> pd.DataFrame:
    """Quarterly additions of `measure` (units, h100e or tdp) of `owner` summed over chips within `by`.

    Epoch publishes percentiles per chip; summing p5 (or p95) across chips gives a band wider than the
    true band of the sum (it assumes perfectly correlated errors), so treat summed bands as conservative.
    """
    fleet = ds["epoch_fleet"]
    fleet = fleet[(fleet["owner"] == owner) & (fleet["measure"] == measure)]
    if complete_only:
        fleet = fleet[fleet["incomplete"] == "false"]
    out = fleet.groupby(["quarter", by], as_index=False)[BANDS].sum()
    return out.assign(source_id="epoch-ai-chip-counts")


def yearly(quarterly: pd.DataFrame, by: str = "vendor") -> pd.DataFrame:
    """Quarterly additions summed to calendar years."""
    frame = quarterly.assign(year=quarterly["quarter"].str[:4].astype(int))
    return frame.groupby(["year", by], as_index=False)[BANDS].sum()


@per_dataset
def chip_additions(ds: Dataset, measure: str, owner: str = OWNER) -> pd.DataFrame:
    """Quarterly additions of `measure` of `owner` by Epoch chip label, with the chip's vendor."""
    fleet = ds["epoch_fleet"]
    vendors = fleet.loc[fleet["owner"] == owner, ["chip", "vendor"]].drop_duplicates()
    return additions(ds, measure, by="chip", owner=owner).merge(vendors, on="chip", how="left")


def unit_prices(ds: Dataset, trainium_unit_cost_usd: float) -> pd.DataFrame:
    """Price per chip and calendar year (`usd`, with its `low`-`high` range): Epoch's yearly rows for the chips with a
    price chip in epoch_chips.csv; for Amazon's own chips (none) the Trainium unit cost times the chip's
    `own_cost_factor` (a point value: low = high; the unit cost's own uncertainty is drawn by the forecast)."""
    own = _own_chip_years(ds)
    usd = trainium_unit_cost_usd * own["chip"].map(own_cost_factor(ds)).to_numpy()
    own = own.assign(usd=usd, low=usd, high=usd, source_id=None)
    return pd.concat([_epoch_prices(ds), own], ignore_index=True)


@per_dataset
def own_cost_factor(ds: Dataset) -> dict[str, float]:
    """Per own chip of Amazon (no price chip, an AWS rent instance): its cost relative to the Trainium unit cost — 1 for the reference chip, else its
    on-demand rent per accelerator over that of the chip named in `cost_relative_to` (epoch_chips.csv): what AWS
    charges for an hour of each, as a proxy for what each costs Amazon."""
    chips = epoch_chips(ds)
    own = chips[(chips["price_chip_id"] == "") & (chips["rent_instance"] != "")]     # rented by AWS: Amazon's own

    def rent(chip: str) -> float:
        return _on_demand_prices(ds, cast(str, chips.loc[chip, "rent_instance"]))[2]
    return {chip: rent(chip) / rent(ref) if ref else 1.0 for chip, ref in own["cost_relative_to"].items()}


@per_dataset
def _epoch_prices(ds: Dataset) -> pd.DataFrame:
    """Epoch AI's yearly price rows of each Epoch chip with a price chip (epoch_chips.csv `price_chip_id`): chip, year,
    usd, low, high, source_id."""
    s = ds["accelerator_specs"]
    rows = s[(s["metric"] == "price") & (s["source_id"] == EPOCH_SOURCE) & s["as_of"].str.fullmatch(r"\d{4}")]
    priced = epoch_chips(ds)["price_chip_id"]
    sold = [rows[rows["chip_id"] == cid].assign(chip=label) for label, cid in priced[priced != ""].items()]
    sold = pd.concat(sold).assign(year=lambda d: d["as_of"].astype(int)).rename(columns={"value": "usd"})
    return sold[["chip", "year", "usd", "low", "high", "source_id"]]


@per_dataset
def _own_chip_years(ds: Dataset) -> pd.DataFrame:
    """Every (chip, year) of Amazon's own chips (no price chip in epoch_chips.csv) over the years of Epoch's
    estimates of Amazon."""
    fleet_rows = ds["epoch_fleet"]
    fleet_rows = fleet_rows[fleet_rows["owner"] == OWNER]
    priced = epoch_chips(ds)["price_chip_id"]
    own = fleet_rows.loc[fleet_rows["chip"].isin(priced.index[priced == ""]), ["chip"]].drop_duplicates()
    years = pd.DataFrame({"year": sorted(fleet_rows["quarter"].str[:4].astype(int).unique())})
    return own.merge(years, how="cross")


def spend_by_chip(units: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Spend (USD) = units x the chip's price in the quarter's year: median units x `usd`; p5 units x `low` and p95
    units x `high` where the prices carry a range (else x `usd`). A missing price raises."""
    frame = _priced(units, prices)
    missing = frame.loc[frame["usd"].isna(), ["chip", "year"]].drop_duplicates()
    if len(missing):
        raise KeyError(f"no unit price for {missing.to_records(index=False).tolist()}")
    return frame


def _priced(units: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """`spend_by_chip` without the check: a quarter whose chip has no price that year gets NaN."""
    ranged = [c for c in ("low", "high") if c in prices]
    frame = units.assign(year=units["quarter"].str[:4].astype(int)).merge(
        prices[["chip", "year", "usd", *ranged]], on=["chip", "year"], how="left")
    return frame.assign(median=frame["median"] * frame["usd"], p5=frame["p5"] * frame.get("low", frame["usd"]),
                        p95=frame["p95"] * frame.get("high", frame["usd"]))


def vendor_shares(spend: pd.DataFrame, compute: pd.DataFrame, incumbent: str) -> pd.DataFrame:
    """Per year in which Epoch covers every vendor: Nvidia's share of Amazon's accelerator spend and of its
    compute (H100e), and USD per H100e by vendor. Inputs are tidy (year, vendor, median).

    Epoch has no Trainium estimates before 2024, so earlier years are left out rather than shown as 100% Nvidia.
    `incumbent` is the incumbent's vendor label in the inputs (`incumbent_epoch_vendor`: Nvidia).
    """
    s = spend.pivot_table(index="year", columns="vendor", values="median", aggfunc="sum").dropna()
    c = compute.pivot_table(index="year", columns="vendor", values="median", aggfunc="sum").dropna()
    out = pd.DataFrame({"spend_usd": s.sum(axis=1), "nvidia_spend_share": s[incumbent] / s.sum(axis=1),
                        "nvidia_compute_share": c[incumbent] / c.sum(axis=1)})
    for vendor in s.columns:
        out[f"usd_per_h100e_{vendor.lower()}"] = s[vendor] / c[vendor]
    return out.reset_index()


@per_dataset
def owner_years(ds: Dataset, owner: str = OWNER, trainium_unit_cost_usd: float | None = None) -> pd.DataFrame:
    """Per calendar year and vendor of `owner`, over Epoch's complete quarters: `units_*` and `h100e_*` (median, p5,
    p95) and `spend_usd_*` (as `spend_by_chip`: units x Epoch's price of the chip and year, p5 x low, p95 x high) where
    every chip of the vendor and year has a price: Nvidia's chips (Epoch's yearly prices, 2022-2025), Amazon's own at
    `trainium_unit_cost_usd` when given; NaN otherwise (TPUs, AMD, a year without prices)."""
    units = chip_additions(ds, "units", owner)
    prices = _epoch_prices(ds) if trainium_unit_cost_usd is None else unit_prices(ds, trainium_unit_cost_usd)
    spend = _priced(units, prices).groupby(["year", "vendor"], as_index=False)[BANDS].agg(_sum_or_nan)
    out = yearly(units).merge(yearly(chip_additions(ds, "h100e", owner)), on=["year", "vendor"], suffixes=("_u", "_c"))
    out = out.merge(spend.rename(columns={b: f"{b}_s" for b in BANDS}), on=["year", "vendor"])
    names = {f"{b}_{k}": f"{m}_{b}" for k, m in (("u", "units"), ("c", "h100e"), ("s", "spend_usd")) for b in BANDS}
    return out.rename(columns=names)[["year", "vendor", *names.values()]]


def _sum_or_nan(values: pd.Series) -> float:
    """The sum, NaN if any value is missing (a vendor's spend is unknown when one of its chips has no price)."""
    return float(values.sum(skipna=False))


@per_dataset
def spend_and_compute(ds: Dataset, trainium_unit_cost_usd: float) -> pd.DataFrame:
    """`vendor_shares` over Epoch's complete quarters."""
    spend = spend_by_chip(chip_additions(ds, "units"), unit_prices(ds, trainium_unit_cost_usd))
    return vendor_shares(yearly(spend), yearly(additions(ds, "h100e")), incumbent_epoch_vendor(ds))


#: The chip of the one sourced server price (`h100_server_price_usd`: an H100 SXM server).
SERVER_PRICE_CHIP = "h100-sxm"
#: The AWS instance that is one such server (its GPU count in instances.csv is the server's); section 2's landlord
#: rents it out.
H100_SERVER_INSTANCE = "p5.48xlarge"


@per_dataset
def gpus_per_server(ds: Dataset) -> int:
    """GPUs in one H100 server: the accelerator count of H100_SERVER_INSTANCE in instances.csv."""
    inst = ds["instances"]
    return int(inst.loc[inst["instance_type"] == H100_SERVER_INSTANCE, "accelerator_count"].iloc[0])


def published_year(ds: Dataset, source_id: str) -> int:
    """The year a source of data/sources.csv was published (its `date_published` begins with the year)."""
    return int(str(ds.source(source_id)["date_published"])[:4])


def server_factor(ds: Dataset, p: Params) -> float:
    """Cost of a server per accelerator over the chip's price, from one sourced price: an H100 server
    (`h100_server_price_usd`) / its GPU count (gpus_per_server) over Epoch AI's H100 price of the same year, the year
    the parameter's source priced it (SemiAnalysis, May 2023). Applied to every chip's price."""
    year = published_year(ds, parameter_schema(ds)["h100_server_price_usd"].source_id)
    return p.h100_server_price_usd / gpus_per_server(ds) / epoch_price(ds, SERVER_PRICE_CHIP, year)


def all_in_capex(ds: Dataset, chip_price_usd: finance.Values, p: Params) -> finance.Result:
    """Capex per accelerator with its share of the server and of the cluster network, each added once (USD):
    chip price x server_factor / (1 - network_share_of_cluster_capex)."""
    return chip_price_usd * server_factor(ds, p) / (1 - p.network_share_of_cluster_capex)


def epoch_label(ds: Dataset, chip_id: str) -> str:
    """The Epoch chip label priced by `chip_id`'s price rows (epoch_chips.csv; the first if several)."""
    priced = epoch_chips(ds)["price_chip_id"]
    return str(priced.index[priced == chip_id][0])


@per_dataset
def epoch_price(ds: Dataset, chip_id: str, year: int) -> float:
    """Epoch AI's price of a chip (by chip_id, through its Epoch label) in a year; a year without a row raises
    KeyError naming the years there are."""
    label = epoch_label(ds, chip_id)
    prices = _epoch_prices(ds).set_index(["chip", "year"])["usd"]
    if (label, year) not in prices.index:
        raise KeyError(f"no Epoch price of {chip_id} for {year} (years: {sorted(prices.xs(label).index)})")
    return float(prices[(label, year)])


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
    price per accelerator in force in the quarter's first month, of the chip's `rent_instance` in epoch_chips.csv)."""
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
    rent = epoch_chips(ds)["rent_instance"]
    frame["rent_usd_per_hour"] = [on_demand_in_force(ds, rent[c], pd.Period(q, freq="Q").asfreq("M", how="start"))
                                  for q, c in zip(frame["quarter"], frame["chip"])]
    return frame.reset_index(drop=True)


def owners(ds: Dataset) -> list[str]:
    """The owners in Epoch's rows, in the data's order (Amazon, the report's own, first)."""
    return list(dict.fromkeys(ds["epoch_fleet"]["owner"]))


def owner_label(ds: Dataset, choice: str) -> str:
    """The owner in Epoch's rows that a value of the parameter `owner` names ('google' -> 'Google')."""
    found = [o for o in owners(ds) if o.lower() == choice.lower()]
    if not found:
        raise ValueError(f"owner {choice!r} has no rows in data/epoch_fleet.csv (owners: {', '.join(owners(ds))})")
    return found[0]
