"""The verdict's inputs (analysis.views.verdict.Inputs), made in one of two ways: by a section from its own forecast's
tables (`p_above_of`, `stays_of`, `estimate`), or from a build's results read back from disk (`from_results`, the
one reader of results rows by their address `section.key`, which names a missing one: the first screen and the
brief use it)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.views.exhibits import Headline
from analysis.models.horizons import Thresholds, percent
from analysis.views.verdict import AMAZON, Estimate, Inputs, Stays, Subject

#: A build's results as results.json holds them: section -> key -> result row.
Results = Mapping[str, Mapping[str, Mapping[str, Any]]]
#: Where a build for another owner publishes its name (a text item).
OWNER_KEY = "summary.owner"
ABOVE_KEY = re.compile(r"p_asic_above_(\d+)pct_(\d{4})")


def estimate(h: Headline, section: str) -> Estimate:
    """A published headline of one year (its row's `year`) as an estimate, at `section.key` in results.json; one
    without a year stops with its address."""
    if "year" not in h.details:
        raise KeyError(f"verdict: result {section}.{h.key!r} has no year")
    low, high = h.interval or (None, None)
    return Estimate(h.value, h.unit, int(h.details["year"]), low, high, f"{section}.{h.key}")


def p_above_of(table: pd.DataFrame) -> dict[float, dict[int, float]]:
    """`Inputs.p_above` from a threshold table (threshold, year, probability; erosion_outcomes.threshold_table): the
    years with an estimate."""
    above: dict[float, dict[int, float]] = {}
    for t, year, p in table[["threshold", "year", "probability"]].itertuples(index=False):
        if not np.isnan(p):
            above.setdefault(float(t), {})[int(year)] = float(p)
    return above


def stays_of(table: pd.DataFrame) -> dict[float, Stays]:
    """`Inputs.stays` from a 'stays above' table (threshold, p5..p95, share_never; erosion_outcomes.stays_above_table),
    a year that never comes (+inf) read as None."""
    def year(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None
    return {float(t): Stays(year(p50), year(p5), year(p95), float(never))
            for t, p5, p50, p95, never in table[["threshold", "p5", "p50", "p95", "share_never"]].to_numpy()}


def lookup(results: Results, address: str) -> Headline:
    """The result at `section.key`; a missing one stops with its name."""
    section, _, key = address.partition(".")
    try:
        item = results[section][key]
    except KeyError:
        raise KeyError(f"verdict: no result {address!r} in this build") from None
    return Headline.of({"key": key, "label": key, **item})


def assumptions(results: Results) -> list[Headline]:
    """What a build's probabilities are conditional on (its published `assumptions`)."""
    return [Headline.of({"key": key, "label": key, **item}) for key, item in results["assumptions"].items()]


def from_results(results: Results, levels: Thresholds) -> Inputs:
    """The verdict's inputs from a build's results, whose keys name the data's thresholds `levels` in percent; the
    subject is Amazon unless the build names another owner (OWNER_KEY)."""
    above: dict[float, dict[int, float]] = {}
    by_percent = {percent(t): t for t in levels.shares}
    for key, item in results["erosion"].items():
        match = ABOVE_KEY.fullmatch(key)
        if match and item["value"] is not None and int(match.group(1)) in by_percent:
            above.setdefault(by_percent[int(match.group(1))], {})[int(match.group(2))] = item["value"]
    stays = {}
    for t in levels.shares:
        year = lookup(results, f"erosion.year_asic_stays_above_{percent(t)}pct")
        never = lookup(results, f"erosion.share_never_stays_above_{percent(t)}pct").value
        stays[t] = Stays(year.value, *(year.interval or (None, None)), never)
    section, _, key = OWNER_KEY.partition(".")
    owner = results.get(section, {}).get(key)

    def read(key: str) -> Estimate:
        return estimate(lookup(results, f"summary.{key}"), "summary")
    return Inputs(revenue_first=read("nvidia_revenue_observed_first"),
                  revenue_last=read("nvidia_revenue_observed_last"),
                  share_last=read("asic_spend_share_observed_last"), share_peak=read("asic_spend_share_observed_peak"),
                  end=max(above[levels.lower.value]),
                  p_fall=lookup(results, "summary.p_nvidia_revenue_below_observed_last").value,
                  p_halve=lookup(results, f"summary.p_nvidia_revenue_below_{levels.revenue_level.percent}pct"
                                          "_observed_last").value,
                  p_above=above, stays=stays, levels=levels,
                  subject=AMAZON if owner is None else Subject.other(str(owner["value"])))
