"""The hindcast's published headline items (results.json keys `hindcast_...`), from the cases and coverage tables of
analysis.models.hindcast: the coverage of its intervals and misses over all cases, per case set and per origin, every
case's forecast and scores, and each owner's coverage."""
from __future__ import annotations

from typing import Any, cast

import pandas as pd

from analysis.models.hindcast import INTERVALS, Rows
from analysis.views.exhibits import Headline


def results(table: pd.DataFrame, cov: pd.DataFrame) -> list[Headline]:
    """The hindcast for results.json: coverage of the 50% and 90% intervals and misses on each side over all cases,
    per case set and per origin of the model (capex history's origins are in the data table), and every case's
    forecast, intervals, outcome and scores."""
    items: list[dict[str, Any]] = []
    shown = cov["level"].isin(["all", "case set"]) | ((cov["level"] == "origin") & (cov["case_set"] == "model"))
    origins = sorted(int(o) for o in cov.loc[(cov["level"] == "origin") & (cov["case_set"] == "model"), "origin"])
    if origins:
        items.append({"key": "hindcast_model_origins", "unit": "text", "period": [origins[0], origins[-1]],
                      "value": " and ".join(f"end-{o}" for o in origins),
                      "label": "Hindcast: the year-ends the model's forecast was made again from"})
    for r in cast(Rows, cov[shown].itertuples()):
        scope = "all cases" if r.level == "all" else (
            f"the model from end-{int(r.origin)}" if r.level == "origin" and r.case_set == "model" else
            f"{r.case_set.replace('_', ' ')}" + (f" from end-{int(r.origin)}" if r.level == "origin" else ""))
        key = ("hindcast" + ("" if r.level == "all" else f"_{r.case_set}")
               + (f"_{int(r.origin)}" if r.level == "origin" else ""))
        for name in INTERVALS:
            items.append({"key": f"{key}_coverage_{name}", "unit": "fraction",
                          "value": float(getattr(r, f"inside_{name}")),
                          "label": f"Hindcast, {scope}: share of {r.outcomes} outcomes ({r.independent} independent) "
                                   f"inside the forecast's central {name}% interval"})
        for side in ("above", "below"):
            items.append({"key": f"{key}_misses_{side}", "unit": "count", "value": int(getattr(r, f"misses_{side}")),
                          "label": f"Hindcast, {scope}: outcomes {side} the 90% interval"})
    for r in cast(Rows, table.itertuples()):
        items.append({"key": f"hindcast_{r.case_set}_{r.origin}_{r.metric}_{r.year}", "unit": r.unit,
                      "value": r.forecast,
                      "label": f"Hindcast ({r.case_set.replace('_', ' ')}) from end-{r.origin}: {r.quantity}, {r.year}",
                      "p5": r.p5, "p95": r.p95, "outcome": r.outcome, "error": r.error,
                      "inside_p5_p95": bool(r.inside_90), "crps": r.crps})
    return [Headline.of(item) for item in items]


def owner_results(cov: pd.DataFrame) -> list[Headline]:
    """Per owner with scored cases: the share of its outcomes inside the 90% interval, for results.json."""
    return [Headline(f"hindcast_{r.owner.lower()}_coverage_90",
                     f"Hindcast, {r.owner} ({r.case_sets.replace('_', ' ')}): share of {r.outcomes} outcomes inside "
                     "the central 90% interval", float(r.inside_90), "fraction")
            for r in cast(Rows, cov.itertuples()) if r.outcomes]
