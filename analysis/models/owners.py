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
class OwnerInputs:
    """What one owner's draws are computed from, as values (the key its results are remembered by, so that a what-if
    recomputes only the owners whose inputs it changes): the draws and seed, the years of every owner's arrays, per
    Epoch unit row its chip's column among the chips' price scores and its price (usd, low, high; None where Epoch
    gives none), the number of priced chips, and the cost ratio of each unpriced vendor (`COST_RATIOS`) the owner has."""
    owner: str
    n: int
    seed: int
    years: tuple[int, ...]
    row_prices: tuple[tuple[int, float | None, float | None, float | None], ...]
    priced_chips: int
    ratios: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class OwnerDraws:
    """Per owner and Epoch vendor label, arrays (1 + draws, years): spend (USD bn) and compute added (H100e); NaN in
    years before the vendor's first complete quarter at that owner. `inputs`: per owner, what its arrays were drawn
    from."""

    years: tuple[int, ...]
    spend: dict[tuple[str, str], np.ndarray]
    compute: dict[tuple[str, str], np.ndarray]
    inputs: dict[str, OwnerInputs]

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
    ratios = dict(zip(COST_RATIOS, cost_ratios))
    rows_by_owner = {o: observed._unit_rows(ds, o) for o in owners(ds)}
    years = tuple(sorted({int(y) for rows in rows_by_owner.values() for y in rows["year"]}))
    inputs: dict[str, OwnerInputs] = {}
    spend: dict[tuple[str, str], np.ndarray] = {}
    compute: dict[tuple[str, str], np.ndarray] = {}
    for owner, rows in rows_by_owner.items():
        priced = rows[["chip", "year"]].merge(prices, on=["chip", "year"], how="left")
        columns = [priced_chips.index(c) if c in priced_chips else 0 for c in rows["chip"]]
        inputs[owner] = i = OwnerInputs(
            owner, n, seed, years,
            tuple(zip(columns, *(_values_or_none(priced[c]) for c in ("usd", "low", "high")))),
            len(priced_chips), tuple((v, ratios[v]) for v in rows["vendor"].unique() if v in COST_RATIOS))
        compute |= {(owner, v): a for v, a in owner_compute(ds, owner, n, seed, years).items()}
        spend |= {(owner, v): a for v, a in owner_spend(ds, i).items()}
    return OwnerDraws(years, spend, compute, inputs)


@per_run
def owner_compute(ds: Dataset, owner: str, n: int, seed: int, years: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Per Epoch vendor label of `owner`: the compute it added (H100e), arrays (1 + n, `years`); NaN in years without
    the vendor. Its unit draws alone decide it: no price or cost parameter does."""
    rows = observed._unit_rows(ds, owner)
    return _by_vendor_and_year(rows, _units(ds, owner, n, seed) * rows["h100e_per_unit"].to_numpy(), years)


@per_run
def owner_spend(ds: Dataset, i: OwnerInputs) -> dict[str, np.ndarray]:
    """Per Epoch vendor label of `i.owner`: what the accelerators it added cost (USD bn), arrays (1 + n, years): its
    units at their chip's price draw (one per chip, shared by every owner and year), or for a vendor without prices,
    its compute at Nvidia's cost per H100e at the owner times the vendor's cost ratio draw."""
    rows = observed._unit_rows(ds, i.owner)
    column = np.array([row[0] for row in i.row_prices])
    usd, low, high = (np.array(c, dtype=float) for c in list(zip(*i.row_prices))[1:])     # None: NaN
    chip_z = np.vstack([np.zeros((1, i.priced_chips)),
                        np.random.default_rng([i.seed, DRAW_STREAM, 0]).standard_normal((i.n, i.priced_chips))])
    has_price = ~np.isnan(usd)
    low, high = np.where(np.isnan(low), usd, low), np.where(np.isnan(high), usd, high)
    median, p5, p95 = (np.where(np.isnan(a), 1.0, a) for a in (usd, low, high))
    price = observed._split_lognormal(median, p5, p95, chip_z[:, column])
    units = _units(ds, i.owner, i.n, i.seed)
    spend = _by_vendor_and_year(rows, np.where(has_price, units * price / 1e9, np.nan), i.years)
    compute = owner_compute(ds, i.owner, i.n, i.seed, i.years)
    incumbent = fleet.incumbent_epoch_vendor(ds)
    nvidia_cost = spend[incumbent] / compute[incumbent]
    for vendor, ratio in i.ratios:
        spend[vendor] = compute[vendor] * nvidia_cost * _ratio_draws(ds, vendor, ratio, i.n, i.seed)[:, None]
    return spend


def _values_or_none(column: pd.Series) -> list[float | None]:
    """A price column's values, None where it is missing (NaN is unequal to itself: the inputs would never compare
    equal)."""
    return [None if pd.isna(v) else float(v) for v in column]


def _by_vendor_and_year(rows: pd.DataFrame, values: np.ndarray, years: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Per vendor of `rows` (in order of appearance): `values` (1 + n, rows) summed over its rows in each of `years`,
    (1 + n, years); NaN in years without a row of it."""
    out = {}
    for vendor in rows["vendor"].unique():
        mine = (rows["vendor"] == vendor).to_numpy()
        summed = np.full((values.shape[0], len(years)), np.nan)
        for j, year in enumerate(years):
            cols = mine & (rows["year"] == year).to_numpy()
            if cols.any():
                summed[:, j] = values[:, cols].sum(axis=1)
        out[vendor] = summed
    return out


@per_run
def _units(ds: Dataset, owner: str, n: int, seed: int) -> np.ndarray:
    """The owner's unit draws (1 + n, its Epoch rows; row 0 Epoch's medians) from its own random stream (its place
    among the owners): no price or cost parameter changes them, so a what-if of one (the Trainium unit cost, say)
    draws them again for no one."""
    stream = owners(ds).index(owner) + 1
    return observed.units(ds, owner, np.random.default_rng([seed, DRAW_STREAM, stream]), n)


def _ratio_draws(ds: Dataset, vendor: str, value: float, n: int, seed: int) -> np.ndarray:
    """The cost ratio of an unpriced vendor (COST_RATIOS): row 0 `value`, rows 1..n drawn from the parameter's
    distribution (its sourced low-high as p5-p95; a fixed parameter stays at its value), from the vendor's own random
    stream (one draw per vendor, shared by its owners)."""
    name = COST_RATIOS[vendor]
    param = parameter_schema(ds)[name]
    if param.distribution == "fixed":
        return np.full(n + 1, value)
    stream = len(owners(ds)) + 1 + list(COST_RATIOS).index(vendor)
    dist = uncertainty.for_parameter(value, cast(float, param.default), cast(float, param.low), cast(float, param.high),
                                     param.distribution)
    return np.concatenate([[value], dist.ppf(np.random.default_rng([seed, DRAW_STREAM, stream]).random(n))])


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
