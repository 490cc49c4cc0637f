"""An independent check of the owners' Nvidia spend (analysis.models.owners): against Nvidia's own disclosures of customer
concentration (data/nvidia_customers.csv: customers at 10% or more of its revenue, and the cloud providers' share of
Data Center revenue) and against Epoch AI's cumulative totals (data/epoch_cumulative.csv).

Nvidia's fiscal year ends in late January: a fiscal period is placed in the calendar year (or quarter) holding its
end date minus 45 days, as `observations.nvidia_datacenter_by_year` does. Nvidia names none of its large customers, and
its direct customers are mostly server makers and distributors: a disclosed share bounds an owner's share rather than
measuring it.
"""
from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from analysis.data import Dataset
from analysis.data.params import Params
from analysis.models import fleet, observed
from analysis.models.observations import Rows
from analysis.models.owners import CLOUDS, OwnerDraws

#: A customer at or above this share of Nvidia's revenue must be disclosed (its 10-K and 10-Qs).
DISCLOSURE_THRESHOLD = 0.10
#: Nvidia's CFO put large cloud providers at "mid-40s" percent of Data Center revenue in Q1 FY2025
#: (nvidia_customers.csv, source cnbc-q1fy25-csp-share): read as 45%, the middle of 40-49.
CLOUD_SHARE_STATED = 0.45


def _calendar(period_end: pd.Series) -> pd.Series:
    return pd.to_datetime(period_end) - pd.Timedelta(days=45)


def nvidia_revenue_by_fiscal_year(ds: Dataset) -> pd.DataFrame:
    """Nvidia's total revenue (USD bn) per fiscal year with four reported quarters, and the calendar year it covers."""
    f = ds["financials"]
    rev = f[(f["company"] == "Nvidia") & (f["metric"] == "revenue")]
    rev = rev.assign(fiscal_year=rev["fiscal_period"].str[:6], year=_calendar(rev["period_end"]).dt.year.to_numpy())
    grouped = rev.groupby("fiscal_year").agg(revenue=("value", "sum"), quarters=("value", "count"), year=("year", "max"))
    full = grouped[grouped["quarters"] == 4]
    return pd.DataFrame({"fiscal_year": full.index, "year": full["year"].to_numpy(), "revenue": full["revenue"].to_numpy() / 1e3})


def customer_check(ds: Dataset, d: OwnerDraws) -> pd.DataFrame:
    """Per Nvidia fiscal year with disclosures and owner estimates: each owner's Nvidia spend in the matching calendar
    year as a share of Nvidia's total revenue (central, 5th-95th percentiles), how many owners the central estimate
    puts at 10% or more, and what Nvidia disclosed (the largest single customer's share, the count of customers at
    10% or more, each as listed)."""
    incumbent = fleet.incumbent_epoch_vendor(ds)
    revenue = nvidia_revenue_by_fiscal_year(ds)
    customers = ds["nvidia_customers"]
    rows = []
    for r in cast(Rows, revenue.itertuples()):
        disclosed = customers[customers["fiscal_period"] == r.fiscal_year]
        if disclosed.empty or r.year not in d.years:
            continue
        j = d.years.index(r.year)
        shares = {o: observed.band(d.spend[(o, incumbent)][:, [j]] / r.revenue) for o in d.owners()}
        central = {o: float(b["central"][0]) for o, b in shares.items()}
        top = max(central, key=lambda o: central[o])
        named = disclosed.dropna(subset=["share_of_revenue_pct"])
        rows.append({"fiscal_year": r.fiscal_year, "year": r.year, "nvidia_revenue": r.revenue,
                     **{f"{o.lower()}_share": v for o, v in central.items()},
                     "largest_owner": top, "largest_owner_share": central[top],
                     "largest_owner_share_p5": float(shares[top]["p5"][0]), "largest_owner_share_p95": float(shares[top]["p95"][0]),
                     "owners_at_10pct": sum(v >= DISCLOSURE_THRESHOLD for v in central.values()),
                     "disclosed_largest_share": float(named["share_of_revenue_pct"].max()) / 100 if len(named) else np.nan,
                     "disclosed_customers_at_10pct": len(disclosed[disclosed["customer_label"] != "(none >=10%)"]),
                     "disclosed": "; ".join(f"{c.customer_label} {c.share_of_revenue_pct:.0f}%" if pd.notna(c.share_of_revenue_pct)
                                            else c.customer_label for c in cast(Rows, disclosed.itertuples()))})
    return pd.DataFrame(rows)


def cloud_share_check(ds: Dataset, p: Params) -> pd.DataFrame:
    """Each quarter for which Nvidia stated the cloud providers' share of its Data Center revenue (nvidia_customers.csv,
    no share given: the text in `basis`): the four cloud owners' Nvidia spend in the matching calendar quarter (Epoch's
    medians x prices, and the widest band its figures allow) over that quarter's Data Center revenue."""
    customers = ds["nvidia_customers"]
    stated = customers[customers["customer_label"] == "cloud service providers (aggregate)"]
    f = ds["financials"]
    dc = f[(f["company"] == "Nvidia") & (f["metric"] == "datacenter_revenue")].set_index("fiscal_period")["value"] / 1e3
    prices = fleet.unit_prices(ds, float(p.trainium_unit_cost_usd))
    rows = []
    for r in cast(Rows, stated.itertuples()):
        quarter = str(pd.Period(_calendar(pd.Series([r.period_end])).iloc[0], freq="Q"))
        chips = pd.concat([fleet.spend_by_chip(_nvidia_units(ds, o), prices) for o in CLOUDS])
        spend = chips[chips["quarter"] == quarter][["median", "p5", "p95"]].sum() / 1e9
        revenue = float(dc[r.fiscal_period])
        rows.append({"fiscal_period": r.fiscal_period, "quarter": quarter, "datacenter_revenue": revenue,
                     "clouds_nvidia_spend": spend["median"], "share": spend["median"] / revenue,
                     "share_widest_low": spend["p5"] / revenue, "share_widest_high": spend["p95"] / revenue,
                     "nvidia_stated_share": CLOUD_SHARE_STATED, "nvidia_stated": r.basis})
    return pd.DataFrame(rows)


def _nvidia_units(ds: Dataset, owner: str) -> pd.DataFrame:
    units = fleet.chip_additions(ds, "units", owner)
    return units[units["vendor"] == fleet.incumbent_epoch_vendor(ds)]


def epoch_totals(ds: Dataset) -> pd.DataFrame:
    """Per owner and vendor with a cumulative row in data/epoch_cumulative.csv: the sum of Epoch's quarterly medians
    over the quarters the total covers against Epoch's own cumulative median and band; `gap` = sum / total - 1 (a sum
    of medians is not the median of a sum: a few percent apart when the quarterly errors are skewed)."""
    rows = []
    for r in cast(Rows, ds["epoch_cumulative"].itertuples()):
        units = fleet.chip_additions(ds, "units", r.owner)
        units = units[(units["vendor"] == r.vendor) & (units["quarter"] <= r.through_quarter)]
        total = float(units["median"].sum())
        rows.append({"owner": r.owner, "vendor": r.vendor, "through": r.through_quarter, "sum_of_quarters": total,
                     "epoch_total": r.median, "epoch_p5": r.p5, "epoch_p95": r.p95, "gap": total / r.median - 1,
                     "inside_epoch_band": bool(r.p5 <= total <= r.p95)})
    return pd.DataFrame(rows)
