"""Section 3's words that depend on numbers: every sentence and label the notebook shows, computed from the
section's results (analysis.outlook) so that it is tested here rather than written in the notebook."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.models import erosion
from analysis.data.params import Parameter
from analysis.data.units import fmt

OBSERVED_LABEL = "Observed data (Epoch AI units x chip prices)"


def _range(lo, hi, unit: str) -> str:
    return f"{fmt(lo, unit)}–{fmt(hi, unit)}"


def input_title(name: str, schema: dict[str, Parameter]) -> str:
    """A forecast input's human name."""
    if name == erosion.OBSERVED_INPUT:
        return OBSERVED_LABEL
    return schema[name].title if name in schema else f"Capex growth factor {name.rsplit('_', 1)[1]}"


def inputs_table(specs: dict, schema: dict[str, Parameter]) -> pd.DataFrame:
    """The uncertain inputs with their 5th percentile, median and 95th percentile and source. The observed data are
    one input with many dimensions (drawn by analysis.observed), so they are listed without percentiles."""
    rows = []
    for name, dist in specs.items():
        if name == erosion.OBSERVED_INPUT:
            rows.append({"input": OBSERVED_LABEL, "p5": None, "median": None, "p95": None,
                         "source": "epoch_fleet.csv, accelerator_specs.csv (analysis.observed)"})
            continue
        rows.append({"input": input_title(name, schema), "p5": dist.ppf(0.05), "median": dist.median(), "p95": dist.ppf(0.95),
                     "source": schema[name].source_id if name in schema else "capex_outlook.csv"})
    return pd.DataFrame(rows)


def calibration(cal: pd.DataFrame, last: int, p: dict, schema: dict[str, Parameter]) -> str:
    """How the forecast starts from the last observed year (`cal` = outlook.calibration indexed by year)."""
    row = cal.loc[last]
    years = [y for y in cal.index if y < last]
    earlier = ", ".join(f"{fmt(cal.loc[y, 'share_of_capex'], 'fraction')} in {y}" for y in years)
    change = schema["accelerator_share_change"]
    return (f"Accelerator chips took {earlier} and {fmt(row['share_of_capex'], 'fraction')} in {last} of Amazon's gross capex "
            f"(5th–95th percentile {_range(row['share_of_capex_p5'], row['share_of_capex_p95'], 'fraction')}). The formula: share of "
            "capex = Σ over chips of units × price ÷ Amazon's gross capex. Each Monte Carlo draw carries its own value of the "
            f"observed years, and its forecast starts from its own {last} share, times `accelerator_share_change` "
            f"({fmt(p['accelerator_share_change'], 'number')}; {fmt(change.low, 'number')}–{fmt(change.high, 'number')} as its 5th–95th "
            f"percentile, a named assumption). A unit of Trainium compute cost {fmt(row['trainium_cost_ratio'], 'number')} times "
            f"Nvidia's in {last} ({_range(row['trainium_cost_ratio_p5'], row['trainium_cost_ratio_p95'], 'number')}); each draw "
            f"keeps its own {last} ratio in the forecast, so the Trainium unit cost "
            f"({fmt(p['trainium_unit_cost_usd'], 'USD')}) moves past and future shares together.")


def spend_check(check: pd.DataFrame, cal: pd.DataFrame, essay: Mapping[str, Any]) -> str:
    """The observed spend against Nvidia's Data Center revenue and the essay's capex split."""
    last = int(check["year"].iloc[-1])
    row = check.set_index("year").loc[last]
    essay_share = essay["accelerator_share_change"] * cal.loc[essay["observed_through"], "share_of_capex"]
    return (f"On these estimates Amazon bought {_range(check['amazon_share_of_nvidia_dc'].min(), check['amazon_share_of_nvidia_dc'].max(), 'fraction')} "
            f"of Nvidia's Data Center revenue in {check['year'].iloc[0]}–{last} ({fmt(row['model_nvidia_revenue'], 'USD_billion')} of "
            f"{fmt(row['nvidia_datacenter_revenue'], 'USD_billion')} in {last}). The 5th–95th percentiles of the data's draws lie inside "
            "the widest band Epoch's own figures allow (every chip's 5th-percentile units at its low price to its 95th-percentile "
            f"units at its high price). The essay's reading of capex ({fmt(essay_share, 'fraction')} of it on chips, the essay-2024 "
            f"scenario) would have put {last} purchases at {fmt(essay_share * cal.loc[last, 'capex'], 'USD_billion')}, "
            f"{essay_share / cal.loc[last, 'share_of_capex']:.1f}× the estimate.")


def stays_above_shown(result: dict) -> pd.DataFrame:
    """The 'stays above' table with 'not above in the last year' spelled out."""
    last = int(result["model"].years[-1])
    table = result["stays_above"]
    return table.assign(**{c: [f"{v:.0f}" if np.isfinite(v) else f"not above in {last}" for v in table[c]]
                           for c in (f"p{q}" for q in erosion.PERCENTILES)})


def threshold_text(result: dict, price_range: pd.DataFrame, schema: dict[str, Parameter]) -> str:
    """What the threshold probabilities say, observed years first."""
    probs = result["thresholds"].set_index(["threshold", "year"])["probability"]
    stays = result["stays_above"].set_index("threshold")
    observed = [y for y in result["model"].observed.years if not np.isnan(probs[(0.25, y)])]
    last = int(result["model"].years[-1])
    cost = schema["trainium_unit_cost_usd"]
    text = ""
    if observed:
        o = observed[-1]
        text = ("Even the observed years are uncertain: the probability that ASICs took more than 25% of Amazon's accelerator "
                "spend is " + ", ".join(f"{fmt(probs[(0.25, y)], 'fraction')} in {y}" for y in observed)
                + f" (Epoch's unit band × chip prices). Across the Trainium unit cost's sensitivity band "
                f"({_range(cost.low, cost.high, 'USD')}) the central {o} share is "
                f"{_range(price_range.set_index('year').loc[o, 'at_low_cost'], price_range.set_index('year').loc[o, 'at_high_cost'], 'fraction')}. ")
    future = [y for y in result["model"].forecast_years if y in (2026, 2027, last)]
    text += ("Forward, more than 25%: " + ", ".join(f"{fmt(probs[(0.25, y)], 'fraction')} in {y}" for y in future)
             + "; more than 50%: " + ", ".join(f"{fmt(probs[(0.5, y)], 'fraction')} in {y}" for y in future) + ". "
             f"In {fmt(stays.loc[0.25, 'share_never'], 'fraction')} of the draws ASICs are not above 25% in {last}, so the year "
             "from which they stay above it is not a single date but this distribution; 'first year above' would mistake a "
             "one-year blip in the observed data for a crossing.")
    return text


def _interval(s: dict, mc: pd.DataFrame, key: str, unit: str) -> str:
    return f"{fmt(s[key], unit)} (5th–95th percentile {_range(mc.loc[key, 'p5'], mc.loc[key, 'p95'], unit)})"


def central_text(result: dict) -> str:
    """The central estimate with its intervals, on both erosion bases."""
    s = result["summary"]
    mc = result["outcomes"].set_index("outcome")
    return (f"Central estimate (the model at every input's median, the observed data at Epoch's medians): ASICs take "
            f"{_interval(s, mc, 'asic_spend_share_2024_2026', 'fraction')} of AWS's accelerator spend in 2024–2026, when Nvidia earns "
            f"{_interval(s, mc, 'nvidia_revenue_2024_2026', 'USD_billion')} in total from AWS, and "
            f"{_interval(s, mc, 'asic_spend_share_2027_2030', 'fraction')} in 2027–2030, when Nvidia earns "
            f"{_interval(s, mc, 'nvidia_revenue_2027_2030', 'USD_billion')} in total. Erosion on the same budget (the ASIC dollars, "
            f"had they gone to Nvidia): {_interval(s, mc, 'erosion_2024_2026', 'USD_billion')} in 2024–2026 and "
            f"{_interval(s, mc, 'erosion_2027_2030', 'USD_billion')} in 2027–2030. On the same compute (the ASICs' compute bought "
            f"from Nvidia at its cost per H100e): {_interval(s, mc, 'erosion_same_compute_2024_2026', 'USD_billion')} and "
            f"{_interval(s, mc, 'erosion_same_compute_2027_2030', 'USD_billion')}. The Monte Carlo median of Nvidia's 2027–2030 "
            f"revenue is {fmt(mc.loc['nvidia_revenue_2027_2030', 'p50'], 'USD_billion')} "
            f"({mc.loc['nvidia_revenue_2027_2030', 'p50'] / s['nvidia_revenue_2027_2030'] - 1:+.1%} against the central estimate): "
            "the median of a sum of skewed products is not the product of medians. Every headline uses the one central estimate.")


def hindcast_text(hind: pd.DataFrame) -> str:
    """The rolling-origin hindcast in words: coverage per origin and the largest misses, with why."""
    parts = []
    for origin, rows in hind.groupby("origin"):
        inside = int(rows["inside_p5_p95"].sum())
        parts.append(f"from the end of {origin}, {inside} of {len(rows)} outcomes fell inside the forecast's 5th–95th percentiles")
    misses = hind[~hind["inside_p5_p95"]]
    text = "Forecasts made with only what was knowable then (data to the origin, that February's capex outlook, the essay-era " \
           "view of Trainium's long-run share): " + "; ".join(parts) + "."
    if len(misses):
        worst = misses.assign(rel=(misses["error"] / misses["outcome"]).abs()).sort_values("rel", ascending=False).head(3)
        text += " Misses, largest first: " + "; ".join(
            f"{r.quantity} {r.year} from end-{r.origin}: {fmt(r.forecast, str(r.unit))} forecast against {fmt(r.outcome, str(r.unit))}"
            for r in worst.itertuples()) + "."
        if "Trainium share of compute added" in set(misses["quantity"]):
            text += (" Trainium's ramp was faster than the essay-era view of its long-run share allowed, and the end-2023 origin "
                     "had no observed Trainium share to start from (Epoch AI estimates Trainium from 2024 only).")
    return text
