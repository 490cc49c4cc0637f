"""Amazon's capex and the AI-hardware funnel: capex -> AI dollars -> accelerators -> megawatts -> rental capacity."""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import pandas as pd

from analysis.models import fleet
from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params, quarter_of

HOURS_PER_YEAR = 8760
#: The cash-flow line comparable across companies ("purchases of property and equipment").
PEER_CAPEX_METRIC = {"Amazon": "capex_gross", "Microsoft": "capex_gross", "Alphabet": "capex_gross", "Meta": "capex_net"}


def quarterly(ds: Dataset, company: str, metrics: list[str]) -> pd.DataFrame:
    """Quarterly rows of one company's metrics, tidy, with a calendar-quarter column."""
    fin = ds["financials"]
    rows = fin[(fin["company"] == company) & fin["metric"].isin(metrics) & fin["fiscal_period"].str.contains("Q")]
    rows = rows.assign(quarter=rows["period_end"].map(quarter_of))
    return rows[["quarter", "company", "metric", "value", "unit", "source_id", "confidence"]].sort_values(
        ["metric", "quarter"], kind="stable").reset_index(drop=True)


@per_dataset
def amazon_quarterly(ds: Dataset) -> pd.DataFrame:
    """Amazon gross capex, proceeds, net capex and AWS revenue / operating income, one row per quarter."""
    amazon = quarterly(ds, "Amazon", ["capex_gross", "capex_proceeds", "capex_net"])
    aws = quarterly(ds, "AWS", ["revenue", "operating_income"])
    aws = aws.assign(metric="aws_" + aws["metric"])
    return pd.concat([amazon, aws], ignore_index=True)


def wide(tidy: pd.DataFrame) -> pd.DataFrame:
    """Quarters as rows, metrics as columns."""
    return tidy.pivot(index="quarter", columns="metric", values="value").sort_index()


def peer_capex(ds: Dataset) -> pd.DataFrame:
    """Quarterly purchases of property and equipment of Amazon, Microsoft, Alphabet and Meta."""
    frames = [quarterly(ds, company, [metric]) for company, metric in PEER_CAPEX_METRIC.items()]
    return pd.concat(frames, ignore_index=True)


def mix_by_quarter(mix: pd.DataFrame) -> pd.DataFrame:
    """Unit-weighted means per quarter of a chip mix (fleet.quarterly_mix): all-in capex, board power and rent
    per accelerator; each is sum over chips of unit_share x the chip's value."""
    cols = ["all_in_usd", "power_w", "rent_usd_per_hour"]
    weighted = mix[cols].mul(mix["unit_share"], axis=0).assign(quarter=mix["quarter"])
    return weighted.groupby("quarter")[cols].sum()


@per_dataset
def aws_capex_share_by_year(ds: Dataset) -> pd.Series:
    """AWS's share of Amazon's capex per fiscal year from the 10-K segment note: AWS's net additions to property and
    equipment / Amazon's total (both accrual), for every year both are reported."""
    f = ds["financials"]
    annual = f[(f["metric"] == "pe_net_additions") & f["fiscal_period"].str.fullmatch(r"FY\d{4}")]
    table = annual.pivot(index="fiscal_period", columns="company", values="value")
    share = (table["AWS"] / table["Amazon"]).dropna()
    return share.set_axis(share.index.str[2:].astype(int)).rename("aws_capex_share")


def aws_share_of_quarters(quarters: pd.Index, by_year: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each quarter's AWS share of capex: its year's filed share; a year before the first filed year takes the first,
    a year after the last takes the last (`aws_share_year` says which)."""
    years = quarters.str[:4].astype(int)
    used = [min(max(y, by_year.index.min()), by_year.index.max()) for y in years]
    return pd.Series(by_year.loc[used].to_numpy(), index=quarters, name="aws_capex_share"), pd.Series(used, index=quarters)


def ai_funnel(capex_gross: pd.Series, mix: pd.DataFrame, aws_share: pd.Series, p: Params) -> pd.DataFrame:
    """From Amazon gross capex (USD million, per quarter) to accelerators, power and rental capacity, with each
    quarter's accelerator mix (quarters after the mix's last quarter use that last mix: `mix_quarter`) and AWS's
    share of capex for the quarter (`aws_share`, per quarter).

    AWS capex = capex x AWS share; AI hardware = AWS capex x ai_share;
    accelerators = AI hardware / mean all-in capex per accelerator of the quarter's mix;
    power (MW) = accelerators x mean board power (W) x (1 + server_overhead_fraction) x pue / 1e6;
    annual rental capacity (USD million) = accelerators x 8760 h x utilization x mean on-demand rent / 1e6, where
    `utilization` is the landlord's (AWS's share of hours sold), never a tenant's (`tenant_utilization`).
    """
    per_q = mix_by_quarter(mix)
    covered = per_q.index
    mix_quarter = pd.Series([q if q in covered else (covered[-1] if q > covered[-1] else None)
                             for q in capex_gross.index], index=capex_gross.index)
    unit = per_q.reindex(mix_quarter.to_numpy()).set_axis(capex_gross.index)
    aws_capex = capex_gross * aws_share
    ai_hardware = aws_capex * p.ai_share
    accelerators = ai_hardware * 1e6 / unit["all_in_usd"]
    power_mw = accelerators * unit["power_w"] * (1 + p.server_overhead_fraction) * p.pue / 1e6
    rental = accelerators * HOURS_PER_YEAR * p.utilization * unit["rent_usd_per_hour"] / 1e6
    return pd.DataFrame({
        "capex_gross": capex_gross,
        "aws_capex_share": aws_share,
        "aws_capex": aws_capex,
        "ai_hardware": ai_hardware,
        "mix_quarter": mix_quarter,
        "all_in_usd": unit["all_in_usd"],
        "accelerators": accelerators,
        "power_mw": power_mw,
        "annual_rental_capacity": rental,
        "rental_payback_years": ai_hardware / rental,
    })


@per_dataset
def funnel(ds: Dataset, p: Params) -> pd.DataFrame:
    """`ai_funnel` over every quarter of Amazon's reported gross capex, with Epoch AI's chip mix and AWS's share of
    capex from the 10-K for the quarter's year (`aws_share_year`: the filed year used)."""
    gross = wide(amazon_quarterly(ds))["capex_gross"].dropna()
    share, used = aws_share_of_quarters(gross.index, aws_capex_share_by_year(ds))
    return ai_funnel(gross, fleet.quarterly_mix(ds, p), share, p).assign(aws_share_year=used)


def epoch_cross_check(ds: Dataset, f: pd.DataFrame) -> pd.DataFrame:
    """Per quarter both cover: the funnel's implied accelerators, Epoch AI's median units (Nvidia + Trainium,
    complete quarters) and their ratio."""
    epoch = fleet.additions(ds, "units").groupby("quarter")["median"].sum()
    out = pd.DataFrame({"implied": f["accelerators"], "epoch_median": epoch}).dropna()
    return out.assign(ratio=out["implied"] / out["epoch_median"])


def ai_share_sensitivity(ds: Dataset, p: Params, shares: Iterable[float]) -> pd.DataFrame:
    """The focus quarter's funnel at each `ai_share` in `shares` (other parameters as in `p`)."""
    return pd.DataFrame([{**funnel(ds, p.replace(ai_share=s)).loc[p.focus_quarter], "ai_share": s} for s in shares])


def essay_check(ds: Dataset, p: Params) -> pd.DataFrame:
    """The essay's capex claims for the focus quarter set against reported figures and the funnel's defaults."""
    claims = ds["essay_claims"].set_index("claim_id")
    f = funnel(ds, p)
    quarter = p.focus_quarter
    if quarter not in f.index:
        raise KeyError(f"focus_quarter {quarter} has no Amazon capex data (available: {f.index[0]}..{f.index[-1]})")
    row = cast(pd.Series, f.loc[quarter])                  # one row: a quarter appears once
    essay_aws = cast(float, claims.loc["aws-capex-q3-2023", "figure"])
    essay_ai = cast(float, claims.loc["aws-ai-capex-q3-2023", "figure"])
    return pd.DataFrame([
        {"item": "Amazon gross capex (reported)", "essay": None, "this report": row["capex_gross"]},
        {"item": "AWS capex", "essay": essay_aws, "this report": row["aws_capex"]},
        {"item": "AI hardware capex", "essay": essay_ai, "this report": row["ai_hardware"]},
        {"item": "AWS share of Amazon capex", "essay": essay_aws / row["capex_gross"], "this report": row["aws_capex_share"]},
    ]).set_index("item")
