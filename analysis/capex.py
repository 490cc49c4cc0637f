"""Amazon's capex and the AI-hardware funnel: capex -> AI dollars -> accelerators -> megawatts -> rental capacity."""
from __future__ import annotations

import pandas as pd

from analysis.data import Dataset
from analysis.params import quarter_of

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


def ai_funnel(capex_gross: pd.Series, p: dict) -> pd.DataFrame:
    """From Amazon gross capex (USD million, per quarter) to accelerators, power and rental capacity.

    AWS capex = capex x aws_capex_share; AI hardware = AWS capex x ai_share;
    accelerators = AI hardware / accelerator_price_usd;
    power (MW) = accelerators x accelerator_power_w x (1 + server_overhead_fraction) x pue / 1e6;
    annual rental capacity (USD million) = accelerators x 8760 h x utilization x rental_usd_per_gpu_hour / 1e6.
    """
    aws_capex = capex_gross * p["aws_capex_share"]
    ai_hardware = aws_capex * p["ai_share"]
    accelerators = ai_hardware * 1e6 / p["accelerator_price_usd"]
    power_mw = accelerators * p["accelerator_power_w"] * (1 + p["server_overhead_fraction"]) * p["pue"] / 1e6
    rental = accelerators * HOURS_PER_YEAR * p["utilization"] * p["rental_usd_per_gpu_hour"] / 1e6
    return pd.DataFrame({
        "capex_gross": capex_gross,
        "aws_capex": aws_capex,
        "ai_hardware": ai_hardware,
        "accelerators": accelerators,
        "power_mw": power_mw,
        "annual_rental_capacity": rental,
        "rental_payback_years": ai_hardware / rental,
    })


def essay_check(ds: Dataset, p: dict) -> pd.DataFrame:
    """The essay's capex claims for the focus quarter set against reported figures and the funnel's defaults."""
    claims = ds["essay_claims"].set_index("claim_id")
    amazon = wide(amazon_quarterly(ds))
    quarter = p["focus_quarter"]
    if quarter not in amazon.index:
        raise KeyError(f"focus_quarter {quarter} has no Amazon capex data (available: {amazon.index[0]}..{amazon.index[-1]})")
    gross = amazon.loc[quarter, "capex_gross"]
    funnel = ai_funnel(pd.Series([gross]), p).iloc[0]
    essay_aws, essay_ai = claims.loc["aws-capex-q3-2023", "figure"], claims.loc["aws-ai-capex-q3-2023", "figure"]
    return pd.DataFrame([
        {"item": "Amazon gross capex (reported)", "essay": None, "this report": gross},
        {"item": "AWS capex", "essay": essay_aws, "this report": funnel["aws_capex"]},
        {"item": "AI hardware capex", "essay": essay_ai, "this report": funnel["ai_hardware"]},
        {"item": "AWS share of Amazon capex", "essay": essay_aws / gross, "this report": p["aws_capex_share"]},
    ]).set_index("item")


def headline_results(ds: Dataset, p: dict) -> list[dict]:
    """Headline numbers of the capex section (value and unit each)."""
    amazon = wide(amazon_quarterly(ds))
    focus = ai_funnel(amazon.loc[[p["focus_quarter"]], "capex_gross"], p).iloc[0]
    latest_q = amazon["capex_gross"].dropna().index[-1]
    last4 = amazon["capex_gross"].dropna().iloc[-4:]
    latest = ai_funnel(pd.Series([last4.sum()]), p).iloc[0]
    return [
        {"key": "focus_quarter_amazon_capex_gross", "label": f"Amazon gross capex, {p['focus_quarter']}", "value": float(focus["capex_gross"]), "unit": "USD_million"},
        {"key": "focus_quarter_ai_hardware", "label": f"AI hardware capex, {p['focus_quarter']}", "value": float(focus["ai_hardware"]), "unit": "USD_million"},
        {"key": "focus_quarter_accelerators", "label": f"Accelerators bought, {p['focus_quarter']}", "value": float(focus["accelerators"]), "unit": "count"},
        {"key": "focus_quarter_power_mw", "label": f"Facility power of those accelerators, {p['focus_quarter']}", "value": float(focus["power_mw"]), "unit": "MW"},
        {"key": "focus_quarter_annual_rental_capacity", "label": f"Annual rental revenue capacity of {p['focus_quarter']} purchases", "value": float(focus["annual_rental_capacity"]), "unit": "USD_million"},
        {"key": "latest_four_quarters_capex_gross", "label": f"Amazon gross capex, four quarters to {latest_q}", "value": float(last4.sum()), "unit": "USD_million"},
        {"key": "latest_four_quarters_accelerators", "label": f"Implied accelerators bought, four quarters to {latest_q}", "value": float(latest["accelerators"]), "unit": "count"},
        {"key": "latest_four_quarters_power_mw", "label": f"Implied facility power added, four quarters to {latest_q}", "value": float(latest["power_mw"]), "unit": "MW"},
    ]
