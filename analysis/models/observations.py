"""Section 3's observed years as the data measure them, before any model: Amazon's capex per calendar year, the
vendors of data/vendors.csv, Amazon's purchases per vendor and year as draws (analysis.models.observed) with each
parameter-priced unit cost drawn too, the tables of those years (purchases, share bands), Nvidia's Data
Center revenue and the peers' Nvidia share of capex. The forecast (analysis.models.outlook) starts from them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.models import erosion, fleet, observed, uncertainty
from analysis.models.capex import amazon_quarterly, wide
from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params, Value, as_params
from analysis.data.params import schema as parameter_schema

BILLION = 1e9
#: A vendor whose chips have no market price (Amazon's own) is priced by the parameter `<vendor>_unit_cost_usd`.
UNIT_COST = "unit_cost_usd"
#: pandas-stubs types the fields of an `itertuples()` row as any scalar; the tables' columns are checked on load
#: (analysis.data.tables), so rows are read as Any.
Rows = Iterable[Any]


@per_dataset
def annual_capex(ds: Dataset) -> pd.Series:
    """Amazon gross capex per complete calendar year (USD million): the sum of four reported quarters, else the
    fiscal year's reported total (Amazon's fiscal year is the calendar year)."""
    gross = wide(amazon_quarterly(ds))["capex_gross"].dropna()
    years = gross.groupby(gross.index.str[:4].astype(int))
    quarterly = years.sum()[years.count() == 4]
    f = ds["financials"]
    annual = f[(f["company"] == "Amazon") & (f["metric"] == "capex_gross")
               & f["fiscal_period"].str.fullmatch(r"FY\d{4}")]
    totals = pd.Series(annual["value"].to_numpy(float), index=annual["fiscal_period"].str[2:].astype(int).to_numpy())
    return quarterly.combine_first(totals).sort_index()


@per_dataset
def vendors(ds: Dataset) -> tuple[erosion.Vendor, ...]:
    """Vendors from data/vendors.csv, the incumbent first."""
    table = ds["vendors"].sort_values("role", key=lambda r: r != "incumbent", kind="stable")
    return tuple(erosion.Vendor(r.vendor_id, r.label, r.kind) for r in cast(Rows, table.itertuples()))


def purchase_draws(ds: Dataset, p: Params) -> observed.Purchases:
    """The central estimate and draws of Amazon's purchases per vendor and year, Amazon's own chips at the run's
    (median) unit cost: the forecast's pool, which draws the unit cost as an input of its own."""
    return observed.draws(ds, float(p.trainium_unit_cost_usd), int(p.random_seed))


def measured_values(ds: Dataset, p: Params) -> dict[str, Value]:
    """The values of the parameters `measured_draws` reads, the memo key of the observed tables built on it: the
    draws' seed, the unit cost the pool is priced at (Trainium's) and each `<vendor>_unit_cost_usd`. Sets that differ
    elsewhere (a sweep of forecast inputs, a what-if of capex growth) share them."""
    schema = parameter_schema(ds)
    names = ("random_seed", "trainium_unit_cost_usd",
             *(f"{v.id}_{UNIT_COST}" for v in vendors(ds) if f"{v.id}_{UNIT_COST}" in schema))
    return {name: p[name] for name in dict.fromkeys(names)}


def measured_draws(ds: Dataset, values: Mapping[str, Value]) -> observed.Purchases:
    """`purchase_draws` with the unit cost of each vendor priced by a parameter (`<vendor>_unit_cost_usd`, Amazon's
    own chips) drawn too, one value per draw: the observed years as the data measure them, what every table and band
    of the observed years shows. Row 0 stays the central estimate. `values`: a parameter set, or `measured_values`
    (the others at their defaults). Not kept (2.5 MB a set of values): the tables built on it are."""
    p = as_params(values, ds)
    pool = purchase_draws(ds, p)
    schema = parameter_schema(ds)
    u = np.random.default_rng([int(p.random_seed), 2]).random(next(iter(pool.spend.values())).shape[0] - 1)
    spend = dict(pool.spend)
    for v in (v.id for v in vendors(ds) if f"{v.id}_{UNIT_COST}" in schema):
        name = f"{v}_{UNIT_COST}"
        param, value = schema[name], cast(float, p[name])
        dist = uncertainty.for_parameter(value, cast(float, param.default), cast(float, param.low),
                                         cast(float, param.high), param.distribution)
        spend[v] = np.vstack([pool.spend[v][:1], pool.spend[v][1:] * (dist.ppf(u) / value)[:, None]])
    return observed.Purchases(pool.years, spend, dict(pool.compute))


def bought_challengers(vs: tuple[erosion.Vendor, ...], draws: observed.Purchases) -> list[str]:
    """The challengers (ids, in vendors.csv order) the data observe Amazon buying: compute > 0 in some observed year
    of the central estimate (Trainium; not AMD, which Epoch AI lists no Amazon rows for, nor a vendor without data)."""
    return [v.id for v in vs[1:] if (np.nan_to_num(draws.compute[v.id][0]) > 0).any()]


def observed_purchases(ds: Dataset, p: Params) -> pd.DataFrame:
    """Amazon's accelerator purchases per complete year and vendor, from Epoch AI's unit estimates: units and H100e
    (Epoch's medians) and spend (USD bn): the central estimate with the 5th and 95th percentiles of the draws
    (analysis.models.observed). A vendor Epoch has no Amazon rows for counts as zero; a vendor with rows only from some
    year on (Trainium from 2024) is missing (NaN) before. Computed once per dataset and `measured_values`."""
    return _observed_purchases(ds, measured_values(ds, p))


@per_dataset
def _observed_purchases(ds: Dataset, measured: Mapping[str, Value]) -> pd.DataFrame:
    """`observed_purchases` at `measured` (see `measured_draws`)."""
    draws = measured_draws(ds, measured)
    units = fleet.yearly(fleet.chip_additions(ds, "units"), by="vendor").pivot(index="year", columns="vendor",
                                                                                values="median")
    rows = []
    for v in cast(Rows, ds["vendors"].itertuples()):
        spend = observed.band(draws.spend[v.vendor_id])
        for j, year in enumerate(draws.years):
            n = units[v.epoch_vendor].get(year, np.nan) if v.epoch_vendor in units else 0.0
            covered = not np.isnan(draws.spend[v.vendor_id][0, j])
            rows.append({"year": year, "vendor": v.vendor_id, "units": n if covered else np.nan,
                         "h100e": draws.compute[v.vendor_id][0, j], "spend": spend["central"][j],
                         "spend_p5": spend["p5"][j], "spend_p95": spend["p95"][j]})
    return pd.DataFrame(rows)


def observed_share_bands(ds: Dataset, p: Params) -> pd.DataFrame:
    """Per observed year: the share of the compute Amazon added of each challenger the data observe it buying
    (`<vendor>_compute_share`: Trainium's) and the ASIC share of its accelerator spend and compute — the central
    estimate with the draws' 5th and 95th percentiles (NaN where the data do not cover every vendor). Computed once
    per dataset and `measured_values`."""
    return _observed_share_bands(ds, measured_values(ds, p))


@per_dataset
def _observed_share_bands(ds: Dataset, measured: Mapping[str, Value]) -> pd.DataFrame:
    """`observed_share_bands` at `measured` (see `measured_draws`)."""
    draws = measured_draws(ds, measured)
    vs = vendors(ds)
    spend = erosion.observed_shares(draws.spend)
    compute = erosion.observed_shares(draws.compute)
    asics = [v.id for v in vs if v.kind == "asic"]
    table = pd.DataFrame({"year": list(draws.years)})
    for name, values in ((*((f"{v}_compute_share", compute[v]) for v in bought_challengers(vs, draws)),
                          ("asic_spend_share", cast(np.ndarray, sum(spend[v] for v in asics))),
                          ("asic_compute_share", cast(np.ndarray, sum(compute[v] for v in asics))))):
        b = observed.band(values)
        table[name], table[f"{name}_p5"], table[f"{name}_p95"] = b["central"], b["p5"], b["p95"]
    return table


def observed_years(ds: Dataset, p: Params) -> list[int]:
    """Years with reported capex and Epoch estimates, up to `observed_through`."""
    return [y for y in observable_years(ds) if y <= p.observed_through]


@per_dataset
def observable_years(ds: Dataset) -> list[int]:
    """Years with reported capex and Epoch estimates."""
    capex = annual_capex(ds)
    epoch = fleet.yearly(fleet.additions(ds, "units"))["year"].unique()
    return [int(y) for y in capex.index if y in epoch]


#: The other owners in Epoch AI's data whose capex data/financials.csv holds: owner -> (company, the capex metric).
PEER_CAPEX = {"Google": ("Alphabet", "capex_gross"), "Microsoft": ("Microsoft", "capex_gross"),
              "Meta": ("Meta", "capex_net")}


@per_dataset
def calendar_capex(ds: Dataset, company: str, metric: str) -> pd.Series:
    """A company's capex (USD bn) per calendar year: the sum of the four fiscal quarters in data/financials.csv that end
    in that year (complete years only; empty for a company with annual rows only)."""
    f = ds["financials"]
    q = f[(f["company"] == company) & (f["metric"] == metric) & f["fiscal_period"].str.contains("Q")]
    grouped = q.assign(year=pd.to_datetime(q["period_end"]).dt.year.to_numpy()).groupby("year")["value"]
    return (grouped.sum()[grouped.count() == 4] / 1e3).rename("capex")


@per_dataset
def peer_chip_shares(ds: Dataset) -> pd.DataFrame:
    """Per calendar year (rows) and peer (columns, PEER_CAPEX): the share of its capex that bought Nvidia chips —
    Epoch AI's median units x Epoch's chip prices, over the capex of the four fiscal quarters ending in that calendar
    year (complete years only). Nvidia's chips alone: the peers' own chips (TPUs) and AMD's carry no price."""
    columns = {}
    for owner, (company, metric) in PEER_CAPEX.items():
        capex = calendar_capex(ds, company, metric)
        bought = fleet.owner_years(ds, owner)
        nvidia = bought[bought["vendor"] == fleet.incumbent_epoch_vendor(ds)].set_index("year")
        columns[owner] = (nvidia["spend_usd_median"] / BILLION / capex).dropna()
    return pd.DataFrame(columns)


@per_dataset
def nvidia_datacenter_by_year(ds: Dataset) -> pd.Series:
    """Nvidia's Data Center revenue per calendar year (USD bn): each fiscal quarter assigned to the calendar quarter
    containing its end date minus 45 days (Nvidia's quarters end about a month after calendar quarters)."""
    f = ds["financials"]
    dc = f[(f["company"] == "Nvidia") & (f["metric"] == "datacenter_revenue")]
    year = (pd.to_datetime(dc["period_end"]) - pd.Timedelta(days=45)).dt.year
    grouped = dc.assign(year=year.to_numpy()).groupby("year")["value"]
    return (grouped.sum()[grouped.count() == 4] / 1e3).rename("nvidia_datacenter_revenue")
