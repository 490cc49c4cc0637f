"""Locked forecasts and their track record: `python -m analysis release VERSION` and `python -m analysis score`.

* A release is one CSV, `forecasts/VERSION.csv`, in a hub-style long format (FORECAST_COLUMNS): per target and year,
  quantiles (QUANTILE_LEVELS) and the mean of the Monte Carlo draws, and for the binary targets the probability of
  the event (`output_type` pmf, `output_type_id` true). Years run from the last observed year (horizon 0: the
  release's own view of what was known, the persistence baseline) to the model's last year.
  `forecasts/MANIFEST.sha256` lists every release's checksum; a release is written once and never edited
  (tests/test_forecasts.py checks the files against the manifest and the manifest against its git history).
* The track record scores every release's forecasts (horizon >= 1) whose outcome `data/` now holds: the error of the
  median, whether the 90% interval (p5-p95) held the outcome, CRPS and weighted interval score (analysis.models.scoring)
  for quantiles, Brier score for binary targets; beside two baselines: persistence (the release's own horizon-0
  value carried forward) and an outside view where data/cross_checks.csv holds a comparable published figure
  (OUTSIDE_VIEWS). An unresolved target says when its outcome is expected.

`forecast_draws` is the one place that gets draws from the model.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from analysis import data
from analysis.data import params
from analysis.models import observations, outlook, scoring
from analysis.data import Dataset
from analysis.data.releases import FORECAST_COLUMNS
# The locked folder's names, reached through this module by analysis.models.hub until the branches of issue 29 merge.
from analysis.data.releases import MANIFEST, ReleaseError, check_date, check_locked, check_version  # noqa: F401
from analysis.data.releases import manifest_entries, read_original  # noqa: F401

FORECASTS_DIR = data.FORECASTS_DIR
QUANTILE_LEVELS = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
#: Central intervals of the weighted interval score: alpha -> (lower level, upper level).
INTERVALS = {0.1: (0.05, 0.95), 0.2: (0.10, 0.90), 0.5: (0.25, 0.75)}
EPOCH_SOURCE = ("Epoch AI's unit estimates x chip prices at the default parameters (data/epoch_fleet.csv, "
                "data/accelerator_specs.csv; analysis.models.outlook.observed_run, "
                "central estimate)")
CAPEX_SOURCE = ("Amazon's 10-K/10-Q: purchases of property and equipment, four quarters "
                "(data/financials.csv capex_gross)")


@dataclass(frozen=True)
class Target:
    """A forecast quantity: its name in a release, the model's per-year metric, unit, where its outcome comes from,
    and when a year's outcome is expected (month-day of the next year)."""

    name: str
    metric: str
    unit: str
    source: str
    expected: str


TARGETS = (Target("nvidia_revenue_from_aws", "nvidia_revenue", "USD_billion", EPOCH_SOURCE, "04-30"),
           Target("asic_share_of_spend", "asic_spend_share", "fraction", EPOCH_SOURCE, "04-30"),
           Target("accelerator_spend", "accelerator_spend", "USD_billion", EPOCH_SOURCE, "04-30"),
           Target("amazon_gross_capex", "capex", "USD_billion", CAPEX_SOURCE, "02-15"))
#: Binary targets: name -> (the target whose draws decide it, threshold: the event is value > threshold).
BINARY = {"asic_share_of_spend_above_25pct": ("asic_share_of_spend", 0.25),
          "asic_share_of_spend_above_50pct": ("asic_share_of_spend", 0.50)}
#: Published outside views: target -> the cross_checks.csv `compares_with` key of a year ({year}). TrendForce's ASIC
#: share of AI-server shipments worldwide is not Amazon's spend share; it is the only published outside view in data/.
OUTSIDE_VIEWS = {"asic_share_of_spend": "asic_share_of_amazon_spend_{year}"}




@dataclass(frozen=True)
class Draws:
    """Per-target Monte Carlo draws (draws x years) for the years `years`; `last_observed` is the last observed year."""

    years: tuple[int, ...]
    last_observed: int
    values: dict[str, np.ndarray]


def forecast_draws(ds: Dataset, p: params.Params, schema: dict[str, params.Parameter]) -> Draws:
    """The model's draws of every target for one parameter set (the one call into the forecast model)."""
    result = outlook.run(ds, p, schema, sensitivity=False)
    model = result.model
    return Draws(tuple(int(y) for y in model.years), int(model.observed.years[-1]),
                 {t.name: result.draws[t.metric] for t in TARGETS})


def _date(year: int, month_day: str) -> str:
    return f"{year}-{month_day}"


def release_table(draws: Draws, release: str, forecast_date: str, model_id: str, data_version: str,
                  reconstructed: bool) -> pd.DataFrame:
    """A release in the long format: quantiles and mean per target and year from the last observed year on, and the
    binary targets' probabilities (over the draws where the share is defined)."""
    rows = []
    for i, year in enumerate(draws.years):
        if year < draws.last_observed:
            continue
        common = {"year": year, "horizon": year - draws.last_observed}
        for t in TARGETS:
            x = draws.values[t.name][:, i]
            x = x[np.isfinite(x)]
            if not x.size:
                continue
            base = {**common, "target": t.name, "unit": t.unit}
            rows += [{**base, "output_type": "quantile", "output_type_id": f"{q:.2f}", "value": v}
                     for q, v in zip(QUANTILE_LEVELS, np.quantile(x, QUANTILE_LEVELS))]
            rows.append({**base, "output_type": "mean", "output_type_id": "", "value": float(x.mean())})
        for name, (of, threshold) in BINARY.items():
            x = draws.values[of][:, i]
            x = x[np.isfinite(x)]
            if x.size:
                rows.append({**common, "target": name, "unit": "probability", "output_type": "pmf",
                             "output_type_id": "true", "value": float(np.mean(x > threshold))})
    table = pd.DataFrame(rows)
    by_name = {t.name: t for t in TARGETS}
    source = {**by_name, **{n: by_name[of] for n, (of, _) in BINARY.items()}}
    table["resolution_source"] = table["target"].map(lambda n: source[n].source)
    table["resolution_date"] = [_date(y + 1, source[n].expected) for n, y in zip(table["target"], table["year"])]
    table = table.assign(release=release, forecast_date=forecast_date, reconstructed=str(reconstructed).lower(),
                         model_id=model_id, data_version=data_version)
    return table[list(FORECAST_COLUMNS)]



















# --- the track record ----------------------------------------------------------------------------------------

def outcomes(ds: Dataset, schema: dict[str, params.Parameter]) -> dict[tuple[str, int], float]:
    """(target, year) -> what happened, for every year whose outcome data/ holds: the model's observed run at the
    default parameters for Epoch-based targets, Amazon's reported capex for capex."""
    truth = outlook.observed_run(ds, params.resolve({}, ds), schema)
    central = truth.central
    found = {}
    for t in TARGETS:
        if t.metric == "capex":
            series = observations.annual_capex(ds) / 1e3
        else:
            series = central.loc[list(truth.model.observed.years), t.metric]
        found.update({(t.name, int(y)): float(v) for y, v in series.items() if np.isfinite(v)})
    return found


class OutsideView(NamedTuple):
    """A published figure a forecast is compared with: its value and its row of data/cross_checks.csv."""
    value: float
    check_id: str


def outside_views(ds: Dataset) -> dict[tuple[str, int], OutsideView]:
    """(target, year) -> the outside view from data/cross_checks.csv (OUTSIDE_VIEWS)."""
    checks = ds["cross_checks"]
    found = {}
    for target, pattern in OUTSIDE_VIEWS.items():
        regex = re.compile(re.escape(pattern).replace(re.escape("{year}"), r"(\d{4})"))
        for row in cast(Iterable[Any], checks.itertuples()):        # columns checked on load (analysis.data.tables)
            match = regex.fullmatch(str(row.compares_with))
            if match:
                found[(target, int(match.group(1)))] = OutsideView(float(row.published_value), str(row.check_id))
    return found


def _quantile_scores(levels: np.ndarray, values: np.ndarray, outcome: float) -> dict:
    q = dict(zip(np.round(levels, 2), values))
    return {"crps": scoring.crps_quantiles(levels, values, outcome),
            "wis": scoring.interval_score(q[0.5], [q[lo] for lo, _ in INTERVALS.values()],
                                          [q[hi] for _, hi in INTERVALS.values()], list(INTERVALS), outcome)}


def _point_scores(value: float, outcome: float) -> dict:
    """Scores of a point forecast (all quantiles at `value`): CRPS and WIS equal the absolute error."""
    levels = np.array(QUANTILE_LEVELS)
    return _quantile_scores(levels, np.full(levels.size, value), outcome)


def trend(found: dict, target: str, last_observed: int) -> float | None:
    """The last observed year-on-year growth factor of `target` in the outcomes `found` (None when a year is missing
    or not positive: no growth in log space)."""
    before, last = found.get((target, last_observed - 1)), found.get((target, last_observed))
    if before is None or last is None or before <= 0 or last <= 0:
        return None
    return last / before


def climatology(found: dict, target: str, last_observed: int) -> float | None:
    """A constant probability for a binary target: the share of observed years through `last_observed` in which the
    event happened, with Laplace's rule of succession ((k + 1) / (n + 2), never 0 or 1)."""
    of, threshold = BINARY[target]
    years = [v for (name, y), v in found.items() if name == of and y <= last_observed]
    return (sum(v > threshold for v in years) + 1) / (len(years) + 2)


#: The baselines every forecast is scored against: name -> plain name.
BASELINES = {"persistence": "Persistence (the release's last observed value)",
             "trend": "Trend (the last observed growth carried forward in log space)",
             "climatology": "Climatology (the event's observed frequency, a constant probability)",
             "outside_view": "Outside view (a published figure)"}
SCORES = {"crps": "CRPS", "wis": "WIS", "brier": "Brier"}
#: The scores each baseline gets: the trend is a quantity's, climatology a binary target's.
BASELINE_SCORES = {"persistence": ("crps", "wis", "brier"), "trend": ("crps", "wis"), "climatology": ("brier",),
                   "outside_view": ("crps", "wis", "brier")}


def _baselines(binary: bool, target: str, year: int, last_observed: int, persist: float | None,
               found: dict[tuple[str, int], float],
               outside: dict[tuple[str, int], OutsideView]) -> dict[str, float | None]:
    """Each baseline's forecast of `target` in `year` (a point value, or a probability for a binary target), given the
    release's own horizon-0 value `persist` (`_persistence`)."""
    of, threshold = BINARY.get(target, (target, math.nan))
    view = outside.get((of, year))
    if binary:
        return {"persistence": persist, "climatology": climatology(found, target, last_observed),
                "outside_view": None if view is None else float(view.value > threshold)}
    growth = trend(found, target, last_observed)
    carried = None if persist is None or growth is None else persist * growth ** (year - last_observed)
    if carried is not None and UNIT_BOUNDS.get(target):
        carried = min(carried, UNIT_BOUNDS[target])
    return {"persistence": persist, "trend": carried, "outside_view": None if view is None else view.value}


def _persistence(rows: list[dict]) -> dict[tuple[str, str], float]:
    """(release, target) -> the release's own value at horizon 0 (the persistence forecast): a binary target's first
    probability, a quantity's median."""
    found: dict[tuple[str, str], float] = {}
    for row in rows:
        if row["horizon"] == 0 and (row["target"] in BINARY
                                    or (row["output_type"] == "quantile" and row["output_type_id"] == "0.50")):
            found.setdefault((row["release"], row["target"]), float(row["value"]))
    return found


#: Upper bounds of a target's value (a share is at most 1): the trend baseline is capped there.
UNIT_BOUNDS = {"asic_share_of_spend": 1.0}


def track_record(releases: pd.DataFrame, found: dict[tuple[str, int], float],
                 outside: dict[tuple[str, int], OutsideView],
                 excluded: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """One row per release, target and forecast year (horizon >= 1): the forecast (median and p5-p95, or the
    probability), the outcome if known (else when it is expected), error, 90% coverage, CRPS/WIS or Brier, and the
    same scores of each baseline (BASELINES). `excluded` maps (release, target) to why it is not scored (e.g. its
    inputs post-date the release): such rows show the outcome but no score."""
    excluded = excluded or {}
    table = cast(list[dict[str, Any]], releases.to_dict("records"))
    persistence = _persistence(table)
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for release_row in table:
        groups.setdefault((release_row["release"], release_row["target"], release_row["year"]), []).append(release_row)
    rows = []
    for rel, target, year in sorted(groups):
        group = groups[(rel, target, year)]
        first = group[0]
        horizon = int(first["horizon"])
        if horizon < 1:
            continue
        binary = target in BINARY
        of, threshold = BINARY.get(target, (target, math.nan))
        outcome = found.get((of, int(year)))
        base = _baselines(binary, target, int(year), int(year) - horizon, persistence.get((rel, target)), found,
                          outside)
        view = outside.get((of, int(year)))
        why = excluded.get((rel, target))
        row = {"release": rel, "forecast_date": first["forecast_date"],
               "reconstructed": str(first["reconstructed"]).lower() == "true",
               "model_id": first["model_id"], "target": target, "unit": first["unit"], "year": int(year),
               "horizon": horizon, "resolution_source": first["resolution_source"],
               "resolved": outcome is not None, "resolves": None if outcome is not None else first["resolution_date"],
               "scored": outcome is not None and why is None, "excluded": why,
               "outside_view_id": None if view is None else view.check_id, **base}
        if binary:
            prob = float(first["value"])
            row.update(forecast=prob, outcome=None if outcome is None else float(outcome > threshold))
            if row["scored"] and outcome is not None:
                happened = outcome > threshold
                row["brier"] = scoring.brier(prob, happened)
                row.update({f"{name}_brier": scoring.brier(value, happened) for name, value in base.items()
                            if value is not None})
        else:
            quantiles = sorted((r["output_type_id"], r["value"]) for r in group if r["output_type"] == "quantile")
            levels = np.array([float(level) for level, _ in quantiles])
            values = np.array([value for _, value in quantiles], dtype=float)
            q = dict(zip(np.round(levels, 2), values))
            row.update(forecast=q[0.5], p5=q[0.05], p95=q[0.95], outcome=outcome)
            if row["scored"] and outcome is not None:
                row.update(error=q[0.5] - outcome, covered_90=scoring.covers(q[0.05], q[0.95], outcome),
                           **_quantile_scores(levels, values, outcome))
                for name, value in base.items():
                    if value is not None:
                        row.update({f"{name}_{k}": v for k, v in _point_scores(value, outcome).items()})
        rows.append(row)
    columns = ["release", "forecast_date", "reconstructed", "model_id", "target", "unit", "year", "horizon",
               "resolved", "resolves", "resolution_source", "scored", "excluded", "forecast", "p5", "p95", "outcome",
               "error", "covered_90", "crps", "wis", "brier", *BASELINES, "outside_view_id",
               *(f"{b}_{s}" for b, scores in BASELINE_SCORES.items() for s in scores)]
    return pd.DataFrame(rows, columns=columns)


def summary(record: pd.DataFrame) -> pd.DataFrame:
    """Per release and target, over the scored years: how many, 90% coverage (quantities), mean CRPS or Brier of the
    forecast and of each baseline (NaN where a baseline has no value), and the skill against each (1 - model /
    baseline: above 0 the model is better, below 0 the baseline is)."""
    scored = record[record["scored"].astype(bool)]
    rows = []
    for (rel, target), g in scored.groupby(["release", "target"], sort=True):
        binary = target in BINARY
        score = "brier" if binary else "crps"
        row: dict[str, Any] = {"release": rel, "target": target, "unit": "probability" if binary else g["unit"].iloc[0],
               "scored": len(g), "coverage_90": None if binary else float(g["covered_90"].astype(float).mean()),
               "score": score, "model": float(g[score].mean())}
        for name in BASELINES:
            values = g.get(f"{name}_{score}", pd.Series(math.nan, index=g.index)).astype(float)
            mean = float(values.mean()) if values.notna().all() else math.nan
            row[name] = mean
            row[f"skill_{name}"] = 1 - row["model"] / mean if mean > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["release", "target", "unit", "scored", "coverage_90", "score", "model",
                                       *BASELINES, *(f"skill_{b}" for b in BASELINES)])










