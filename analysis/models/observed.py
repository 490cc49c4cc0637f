"""Amazon's observed accelerator purchases as uncertain data: Monte Carlo draws of Epoch AI's unit estimates and the
chips' prices, per vendor and calendar year.

Observed years are measured, not modelled, but the measurement is an estimate with a band. One draw:

* Units of each (chip, quarter): a split lognormal through Epoch's p5 / median / p95 (analysis.models.uncertainty), driven by
  z = sqrt(rho_v) Z_v + sqrt(1 - rho_v) e: one common factor Z_v per vendor and an independent e per row. Epoch's
  quarterly errors are neither independent nor identical; `unit_correlation` fits rho_v so that the draws' sum over
  all quarters reproduces Epoch's own band of the cumulative total (data/epoch_cumulative.csv).
* Price of each Nvidia chip: a split lognormal through Epoch's yearly low / high (as p5 / p95), one draw per chip used
  in every year (Epoch samples a chip's price once and reuses it across quarters).
* Amazon's own chips: the sourced unit cost `trainium_unit_cost_usd`, a point value (its range is a sensitivity band,
  shown separately by analysis.models.observed_checks.observed_asic_share_range).
* H100e of a row = its units x Epoch's median H100e per unit for that row.

Row 0 of every array is the central estimate (every input at its median: Epoch's medians, the price rows' values);
rows 1..n are draws. Complete quarters only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.models import fleet
from analysis.data import Dataset
from analysis.data.memo import per_dataset, per_run
from analysis.models.uncertainty import Z95

#: Draws of the observed data kept per dataset; the forecast's draws pick from them (analysis.models.erosion.ObservedIndex).
POOL_SIZE = 10_000
#: Candidate correlations for the fit (the draws' band of the cumulative sum against Epoch's).
RHO_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)
FIT_DRAWS = 4_000
FIT_SEED = 20260422   # the date of the Epoch export: any fixed value gives a reproducible fit


@dataclass(frozen=True)
class Purchases:
    """Per vendor id, arrays (1 + draws, years): spend (USD bn) and compute added (H100e); NaN where the data do not
    cover a vendor in a year. Row 0 is the central estimate."""

    years: tuple[int, ...]
    spend: dict[str, np.ndarray]
    compute: dict[str, np.ndarray]


@per_dataset
def _unit_rows(ds: Dataset, owner: str = fleet.OWNER) -> pd.DataFrame:
    """`owner`'s (Amazon's by default) complete (chip, quarter) unit rows with year, vendor, H100e per unit and the
    band in log space."""
    units = fleet.chip_additions(ds, "units", owner)
    h100e = fleet.chip_additions(ds, "h100e", owner).set_index(["quarter", "chip"])["median"]
    rows = units.assign(year=units["quarter"].str[:4].astype(int),
                        h100e_per_unit=h100e.loc[list(zip(units["quarter"], units["chip"]))].to_numpy() / units["median"])
    return rows.reset_index(drop=True)


def _split_lognormal(median: npt.ArrayLike, p5: npt.ArrayLike, p95: npt.ArrayLike, z: np.ndarray) -> np.ndarray:
    """Quantiles of split lognormals (p5 / median / p95 given, broadcast) at standard-normal scores z."""
    mid = np.log(median)
    below, above = (mid - np.log(p5)) / Z95, (np.log(p95) - mid) / Z95     # the log sd on each side
    if np.isfinite(below).all() and np.isfinite(above).all():
        # z x (below where z < 0, else above) as min(z, 0) x below + max(z, 0) x above: the same numbers (one term
        # is an exact zero), in plain arithmetic passes, which cost a fifth of a masked select over the draws
        scaled = np.minimum(z, 0.0)
        scaled *= below
        positive = np.maximum(z, 0.0)
        positive *= above
        scaled += positive
    else:                   # a zero p5 or median: an infinite side, which only a select keeps out of the other side
        scaled = np.where(z < 0, below, above)
        scaled *= z
    scaled += mid           # mid + z x sigma in place: no more arrays of the draws' size than needed
    return np.exp(scaled, out=scaled)


def _unit_draws(rows: pd.DataFrame, rho: dict[str, float], rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, rows) unit draws, one common factor per vendor with correlation rho[vendor]."""
    z = rng.standard_normal((n, len(rows)))
    vendor = rows["vendor"].to_numpy()
    for v, r in rho.items():
        common = rng.standard_normal((n, 1))
        cols = vendor == v
        z[:, cols] = _correlated(z[:, cols], common, r)
    return _split_lognormal(rows["median"].to_numpy(), rows["p5"].to_numpy(), rows["p95"].to_numpy(), z)


def units(ds: Dataset, owner: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """The owner's units per Epoch row: row 0 Epoch's medians (the central estimate), then `n` draws from `rng`
    (one common factor per vendor, `unit_correlation`), (1 + n, rows)."""
    rows = _unit_rows(ds, owner)
    return np.vstack([rows["median"].to_numpy()[None, :], _unit_draws(rows, unit_correlation(ds, owner), rng, n)])


def _correlated(own: np.ndarray, common: np.ndarray, rho: float) -> np.ndarray:
    """Standard-normal scores with correlation `rho` between columns: the common factor's share and each column's own."""
    scores = np.sqrt(1.0 - rho) * own
    scores += np.sqrt(rho) * common
    return scores


@per_dataset
def unit_correlation(ds: Dataset, owner: str = fleet.OWNER) -> dict[str, float]:
    """Per Epoch vendor label of `owner` (Amazon by default) with a cumulative band in data/epoch_cumulative.csv: the
    correlation rho (on a 0.05 grid) whose draws' 5th-95th percentile of the summed units is closest, in log space, to
    Epoch's band of the cumulative total. A vendor without a cumulative row gets rho = 1 (errors fully shared: the
    widest band)."""
    rows = _unit_rows(ds, owner)
    cumulative = ds["epoch_cumulative"]
    fitted = {}
    for vendor in rows["vendor"].unique():
        target = cumulative[(cumulative["owner"] == owner) & (cumulative["vendor"] == vendor)]
        if target.empty:
            fitted[vendor] = 1.0
            continue
        t = target.iloc[0]
        sub = rows[(rows["vendor"] == vendor) & (rows["quarter"] <= t["through_quarter"])]
        # The scores `_unit_draws(sub, {vendor: rho}, np.random.default_rng(FIT_SEED), FIT_DRAWS)` draws: the same
        # for every rho, so drawn once.
        rng = np.random.default_rng(FIT_SEED)
        own = rng.standard_normal((FIT_DRAWS, len(sub)))
        common = rng.standard_normal((FIT_DRAWS, 1))
        median, p5_units, p95_units = (sub[c].to_numpy() for c in ("median", "p5", "p95"))
        errors = []
        for rho in RHO_GRID:
            total = _split_lognormal(median, p5_units, p95_units, _correlated(own, common, rho)).sum(axis=1)
            p5, p95 = np.percentile(total, [5, 95])
            errors.append(np.log(p5 / t["p5"]) ** 2 + np.log(p95 / t["p95"]) ** 2)
        fitted[vendor] = float(RHO_GRID[int(np.argmin(errors))])
    return fitted


@per_dataset
def draws(ds: Dataset, trainium_unit_cost_usd: float, seed: int, n: int = POOL_SIZE) -> Purchases:
    """The central estimate and `n` draws of Amazon's purchases per vendor (data/vendors.csv) and year."""
    rows = _unit_rows(ds)
    units, z = _scores(ds, seed, n)
    prices = fleet.unit_prices(ds, trainium_unit_cost_usd)
    priced = rows[["chip", "year"]].merge(prices, on=["chip", "year"], how="left")
    if priced["usd"].isna().any():
        raise KeyError(f"no unit price for {priced.loc[priced['usd'].isna(), ['chip', 'year']].drop_duplicates().values.tolist()}")
    low = priced["low"].fillna(priced["usd"]).to_numpy()
    high = priced["high"].fillna(priced["usd"]).to_numpy()
    price = _split_lognormal(priced["usd"].to_numpy(), low, high, z)
    spend = units * price / 1e9
    compute = units * rows["h100e_per_unit"].to_numpy()
    years = tuple(sorted(int(y) for y in rows["year"].unique()))
    out_spend: dict[str, np.ndarray] = {}
    out_compute: dict[str, np.ndarray] = {}
    for v in ds["vendors"].itertuples():
        mine = (rows["vendor"] == v.epoch_vendor).to_numpy()
        covered = set(rows.loc[mine, "year"])
        s = np.full((n + 1, len(years)), 0.0 if not covered else np.nan)
        c = s.copy()
        for j, year in enumerate(years):
            cols = mine & (rows["year"] == year).to_numpy()
            if year in covered:
                s[:, j] = spend[:, cols].sum(axis=1)
                c[:, j] = compute[:, cols].sum(axis=1)
        out_spend[cast(str, v.vendor_id)], out_compute[cast(str, v.vendor_id)] = s, c
    return Purchases(years, out_spend, out_compute)


@per_run
def _scores(ds: Dataset, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`draws`' unit draws (1 + n, rows; row 0 Epoch's medians) and each row's chip-price score (1 + n, rows; one
    standard-normal score per chip, row 0 zero), from one random stream: no price changes them, so a what-if of the
    Trainium unit cost draws them again for no one."""
    rows = _unit_rows(ds)
    rng = np.random.default_rng([seed, 1])
    drawn = units(ds, fleet.OWNER, rng, n)
    chips = sorted(rows["chip"].unique())
    chip_z = np.vstack([np.zeros((1, len(chips))), rng.standard_normal((n, len(chips)))])
    return drawn, chip_z[:, [chips.index(c) for c in rows["chip"]]]


def band(values: np.ndarray) -> dict[str, np.ndarray]:
    """Central (row 0) and the draws' 5th and 95th percentiles, per column (both from one partition of the draws)."""
    p5, p95 = np.percentile(values[1:], [5, 95], axis=0)
    return {"central": values[0], "p5": p5, "p95": p95}
