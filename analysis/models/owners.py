"""Every hyperscaler in Epoch AI's chip counts: per owner and calendar year, the non-Nvidia share of the accelerators
it added (compute and spend) and its spend on Nvidia, each as draws with a band; the five owners' Nvidia spend as a
share of Nvidia's Data Center revenue.

One draw, as analysis.models.observed draws Amazon's purchases:

* Units of each (owner, chip, quarter): Epoch's split lognormal with one common factor per owner and vendor, its
  correlation fitted to Epoch's band of the owner's cumulative total (`observed.unit_correlation(ds, owner)`).
  Owners' unit errors are drawn independently of each other.
* Price of each Nvidia chip: Epoch's yearly price with its low-high as p5-p95, one draw per chip shared by every
  owner and year (the same chip sells at one price); Amazon's own chips at the Trainium unit cost (a point).
* Chips with no price (Google's TPUs, AMD's Instinct line: Epoch publishes none for them) are valued at their compute
  x Nvidia's cost per H100e at the same owner, year and draw x the vendor's cost ratio (`COST_RATIOS`: a parameter
  each, drawn over its sourced low-high where it has one, one draw per vendor shared by its owners). Compute shares
  need no price.

A vendor's years begin with its first complete quarter in Epoch's data (Google's TPUs 2023, AMD and Trainium 2024):
earlier years are missing, not zero, and so is every chip Epoch does not count (Microsoft's Maia, Meta's MTIA).
Row 0 of every array is the central estimate (every input at its median); rows 1..n are draws.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_run
from analysis.data.params import Params
from analysis.data.params import schema as parameter_schema
from analysis.models import fleet, observations, observed, uncertainty
from analysis.models.fleet import owner_label, owners

#: Per Epoch vendor label with no price rows: the parameter giving its cost per H100e relative to Nvidia's.
COST_RATIOS = {"Google": "tpu_cost_ratio", "AMD": "amd_cost_ratio"}
#: What each owner's non-Nvidia chips are in Epoch's data, and what Epoch does not count.
CHALLENGERS = {"Amazon": "Trainium (Amazon's own)", "Google": "TPU (Google's own)", "Microsoft": "AMD Instinct",
               "Meta": "AMD Instinct", "Oracle": "AMD Instinct"}
NOT_COUNTED = {"Amazon": "Inferentia (inference chips): not in Epoch's data",
               "Google": "none named",
               "Microsoft": "Maia (Microsoft's own chip): not in Epoch's data",
               "Meta": "MTIA (Meta's own chip): not in Epoch's data",
               "Oracle": "none named"}
#: The company whose filings report each owner's capex, and its line comparable across companies (purchases of property
#: and equipment; Meta's net of proceeds, as filed). Oracle's rows are fiscal years to May 31 only: no calendar year.
CAPEX = {"Amazon": ("Amazon", "capex_gross"), **observations.PEER_CAPEX, "Oracle": ("Oracle", "capex_gross")}
#: The owners Nvidia counts among its large cloud providers (Meta runs no public cloud).
CLOUDS = ("Amazon", "Google", "Microsoft", "Oracle")
DRAW_STREAM = 5      # this module's random streams: [random_seed, DRAW_STREAM, k]


@dataclass(frozen=True)
class OwnerDraws:
    """Per owner and Epoch vendor label, arrays (1 + draws, years): spend (USD bn) and compute added (H100e); NaN in
    years before the vendor's first complete quarter at that owner."""

    years: tuple[int, ...]
    spend: dict[tuple[str, str], np.ndarray]
    compute: dict[tuple[str, str], np.ndarray]

    def owners(self) -> list[str]:
        return list(dict.fromkeys(o for o, _ in self.spend))

    def vendors(self, owner: str) -> list[str]:
        return [v for o, v in self.spend if o == owner]


def total(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """The element-wise sum of equally shaped draw arrays (NaN where any is NaN)."""
    return np.sum(np.stack(list(arrays)), axis=0)


def is_report_owner(ds: Dataset, p: Params) -> bool:
    """Whether the run is about the report's own owner (Amazon), whose sections are the full model's."""
    return owner_label(ds, str(p.owner)) == fleet.OWNER


def draws(ds: Dataset, p: Params) -> OwnerDraws:
    """The central estimate and `mc_draws` draws of every owner's purchases per vendor and year (computed once per
    dataset and the parameter values it reads)."""
    return _draws(ds, int(p.mc_draws), int(p.random_seed), float(p.trainium_unit_cost_usd),
                  tuple(cast(float, p[name]) for name in COST_RATIOS.values()))


@per_run
def _draws(ds: Dataset, n: int, seed: int, trainium_unit_cost_usd: float, cost_ratios: tuple[float, ...]) -> OwnerDraws:
    """`draws` of the parameters it reads: draws, seed, the Trainium unit cost and the COST_RATIOS values, in order."""
    prices = fleet.unit_prices(ds, trainium_unit_cost_usd)
    priced_chips = sorted(prices["chip"].unique())
    chip_z = np.vstack([np.zeros((1, len(priced_chips))),
                        np.random.default_rng([seed, DRAW_STREAM, 0]).standard_normal((n, len(priced_chips)))])
    ratios = _ratio_draws(ds, dict(zip(COST_RATIOS, cost_ratios)), n, seed)
    rows_by_owner = {o: observed._unit_rows(ds, o) for o in owners(ds)}
    years = tuple(sorted({int(y) for rows in rows_by_owner.values() for y in rows["year"]}))
    spend: dict[tuple[str, str], np.ndarray] = {}
    compute: dict[tuple[str, str], np.ndarray] = {}
    for k, (owner, rows) in enumerate(rows_by_owner.items(), start=1):
        units = _units(ds, owner, k, n, seed)
        priced = rows[["chip", "year"]].merge(prices, on=["chip", "year"], how="left")
        has_price = priced["usd"].notna().to_numpy()
        z = chip_z[:, [priced_chips.index(c) if c in priced_chips else 0 for c in rows["chip"]]]
        price = observed._split_lognormal(priced["usd"].fillna(1.0).to_numpy(), priced["low"].fillna(priced["usd"]).fillna(1.0).to_numpy(),
                                          priced["high"].fillna(priced["usd"]).fillna(1.0).to_numpy(), z)
        row_spend = np.where(has_price, units * price / 1e9, np.nan)
        row_compute = units * rows["h100e_per_unit"].to_numpy()
        for vendor in rows["vendor"].unique():
            mine = (rows["vendor"] == vendor).to_numpy()
            s, c = np.full((n + 1, len(years)), np.nan), np.full((n + 1, len(years)), np.nan)
            for j, year in enumerate(years):
                cols = mine & (rows["year"] == year).to_numpy()
                if cols.any():
                    s[:, j], c[:, j] = row_spend[:, cols].sum(axis=1), row_compute[:, cols].sum(axis=1)
            spend[(owner, vendor)], compute[(owner, vendor)] = s, c
        incumbent = fleet.incumbent_epoch_vendor(ds)
        nvidia_cost = spend[(owner, incumbent)] / compute[(owner, incumbent)]
        for vendor in (v for v in rows["vendor"].unique() if v in COST_RATIOS):
            spend[(owner, vendor)] = compute[(owner, vendor)] * nvidia_cost * ratios[vendor][:, None]
    return OwnerDraws(years, spend, compute)


@per_run
def _units(ds: Dataset, owner: str, stream: int, n: int, seed: int) -> np.ndarray:
    """The owner's unit draws (1 + n, its Epoch rows; row 0 Epoch's medians) from random stream `stream`: no price
    or cost parameter changes them, so a what-if of one (the Trainium unit cost, say) draws them again for no one."""
    return observed.units(ds, owner, np.random.default_rng([seed, DRAW_STREAM, stream]), n)


def _ratio_draws(ds: Dataset, values: dict[str, float], n: int, seed: int) -> dict[str, np.ndarray]:
    """Per unpriced vendor: its cost ratio, row 0 the run's value (`values`, per vendor), rows 1..n drawn from the
    parameter's distribution (its sourced low-high as p5-p95; a fixed parameter stays at its value)."""
    schema = parameter_schema(ds)
    out = {}
    for k, (vendor, name) in enumerate(COST_RATIOS.items(), start=len(owners(ds)) + 1):
        param, value = schema[name], values[vendor]
        if param.distribution == "fixed":
            out[vendor] = np.full(n + 1, value)
            continue
        dist = uncertainty.for_parameter(value, cast(float, param.default), cast(float, param.low), cast(float, param.high),
                                         param.distribution)
        out[vendor] = np.concatenate([[value], dist.ppf(np.random.default_rng([seed, DRAW_STREAM, k]).random(n))])
    return out


def shares(ds: Dataset, p: Params, d: OwnerDraws) -> pd.DataFrame:
    """One row per owner and year: the non-Nvidia share of the compute (H100e) and of the spend it added, each the
    central estimate with the draws' 5th and 95th percentiles, NaN where Epoch does not cover every vendor of the
    owner that year; and its spend on Nvidia (USD bn) with its band. Amazon's shares are section 3's own
    (`observations.observed_share_bands`, which draws Trainium's unit cost too)."""
    incumbent = fleet.incumbent_epoch_vendor(ds)
    amazon = observations.observed_share_bands(ds, p).set_index("year")
    rows = []
    for owner in d.owners():
        challengers = [v for v in d.vendors(owner) if v != incumbent]
        total_s = total(d.spend[(owner, v)] for v in d.vendors(owner))
        total_c = total(d.compute[(owner, v)] for v in d.vendors(owner))
        other_s = total(d.spend[(owner, v)] for v in challengers)
        other_c = total(d.compute[(owner, v)] for v in challengers)
        bands = {"spend_share": observed.band(other_s / total_s), "compute_share": observed.band(other_c / total_c),
                 "nvidia_spend": observed.band(d.spend[(owner, incumbent)])}
        for j, year in enumerate(d.years):
            row = {"owner": owner, "year": year, "challenger": CHALLENGERS.get(owner, ", ".join(challengers))}
            for name, b in bands.items():
                row |= {f"{name}": b["central"][j], f"{name}_p5": b["p5"][j], f"{name}_p95": b["p95"][j]}
            if owner == fleet.OWNER:
                for name, column in (("spend_share", "asic_spend_share"), ("compute_share", "asic_compute_share")):
                    row |= {f"{name}{s}": amazon[f"{column}{s}"].get(year, np.nan) for s in ("", "_p5", "_p95")}
            rows.append(row)
    return pd.DataFrame(rows)


def nvidia_share(ds: Dataset, d: OwnerDraws) -> pd.DataFrame:
    """Per year with Nvidia's four quarters reported: the five owners' Nvidia spend (USD bn) and its share of Nvidia's
    Data Center revenue (calendar years, `observations.nvidia_datacenter_by_year`), central with the draws' band;
    owners' draws are summed draw by draw (their unit errors independent, chip prices shared)."""
    incumbent = fleet.incumbent_epoch_vendor(ds)
    dc = observations.nvidia_datacenter_by_year(ds)
    b = observed.band(total(d.spend[(o, incumbent)] for o in d.owners()))
    table = pd.DataFrame({"year": d.years, "five_owners_nvidia_spend": b["central"], "five_owners_nvidia_spend_p5": b["p5"],
                          "five_owners_nvidia_spend_p95": b["p95"]})
    table["nvidia_datacenter_revenue"] = table["year"].map(dc)
    for s in ("", "_p5", "_p95"):
        table[f"share_of_datacenter{s}"] = table[f"five_owners_nvidia_spend{s}"] / table["nvidia_datacenter_revenue"]
    return table.dropna(subset=["nvidia_datacenter_revenue"]).reset_index(drop=True)


def in_house_paths(shares_table: pd.DataFrame) -> pd.DataFrame:
    """Google's TPU and Amazon's Trainium side by side: each owner's in-house share of the compute it added, by year
    (central with band), where Epoch covers it."""
    mine = shares_table[shares_table["owner"].isin(["Google", fleet.OWNER])].dropna(subset=["compute_share"])
    return mine[["owner", "challenger", "year", "compute_share", "compute_share_p5", "compute_share_p95"]].reset_index(drop=True)


def epoch_band(ds: Dataset, p: Params, owner: str) -> pd.DataFrame:
    """Per year: the widest band Epoch's figures allow `owner`'s Nvidia spend (USD bn): p5 units x low prices to p95
    units x high prices, summed over its chips and quarters (as `observed_checks.spend_check` does for Amazon)."""
    units = fleet.chip_additions(ds, "units", owner)
    nvidia = units[units["vendor"] == fleet.incumbent_epoch_vendor(ds)]
    spend = fleet.spend_by_chip(nvidia, fleet.unit_prices(ds, float(p.trainium_unit_cost_usd)))
    return (spend.groupby("year")[["p5", "p95"]].sum() / 1e9).reset_index()


def funnel(ds: Dataset, d: OwnerDraws, owner: str) -> pd.DataFrame:
    """Per calendar year of Epoch's data: `owner`'s filed capex (USD bn, calendar years of four filed quarters; NaN
    where the filings give none) and what its accelerators cost — Nvidia's chips, the non-Nvidia chips (as `draws`
    values them; NaN before their first covered year) and both together (NaN where either is missing) — each central
    with the draws' 5th and 95th percentiles, and each as a share of that year's capex."""
    company, metric = CAPEX[owner]
    capex = observations.calendar_capex(ds, company, metric).reindex(d.years).to_numpy()
    incumbent = fleet.incumbent_epoch_vendor(ds)
    others = [v for v in d.vendors(owner) if v != incumbent]
    nvidia = d.spend[(owner, incumbent)]
    challengers = total(d.spend[(owner, v)] for v in others)
    table = pd.DataFrame({"owner": owner, "year": list(d.years), "capex": capex})
    for name, values in (("nvidia_spend", nvidia), ("challenger_spend", challengers),
                         ("accelerator_spend", nvidia + challengers)):
        for suffix, array in (("", values), ("_of_capex", values / capex[None, :])):
            b = observed.band(array)
            for s, column in (("", "central"), ("_p5", "p5"), ("_p95", "p95")):
                table[f"{name}{suffix}{s}"] = b[column]
    return table
