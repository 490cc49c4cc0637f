"""Locked forecasts and their track record: `python -m analysis release VERSION` and `python -m analysis score`.

* A release is one CSV, `forecasts/VERSION.csv`, in a hub-style long format (FORECAST_COLUMNS): per target and year,
  quantiles (QUANTILE_LEVELS) and the mean of the Monte Carlo draws, and for the binary targets the probability of
  the event (`output_type` pmf, `output_type_id` true). Years run from the last observed year (horizon 0: the
  release's own view of what was known, the persistence baseline) to the model's last year.
  `forecasts/MANIFEST.sha256` lists every release's checksum; a release is written once and never edited
  (tests/test_forecasts.py checks the files against the manifest and the manifest against its git history).
* The track record scores every release's forecasts (horizon >= 1) whose outcome `data/` now holds: the error of the
  median, whether the 90% interval (p5-p95) held the outcome, CRPS and weighted interval score (analysis.scoring)
  for quantiles, Brier score for binary targets; beside two baselines: persistence (the release's own horizon-0
  value carried forward) and an outside view where data/cross_checks.csv holds a comparable published figure
  (OUTSIDE_VIEWS). An unresolved target says when its outcome is expected.

`forecast_draws` is the one place that gets draws from the model.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis import data
from analysis.data import params
from analysis.models import outlook, scoring
from analysis.data import Dataset
from analysis.errors import UserError

FORECASTS_DIR = data.FORECASTS_DIR
MANIFEST = "MANIFEST.sha256"
VERSION = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)
QUANTILE_LEVELS = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
#: Central intervals of the weighted interval score: alpha -> (lower level, upper level).
INTERVALS = {0.1: (0.05, 0.95), 0.2: (0.10, 0.90), 0.5: (0.25, 0.75)}
FORECAST_COLUMNS = ("release", "forecast_date", "reconstructed", "model_id", "data_version", "target", "unit", "year",
                    "horizon", "output_type", "output_type_id", "value", "resolution_source", "resolution_date")
EPOCH_SOURCE = ("Epoch AI's unit estimates x chip prices at the default parameters (data/epoch_fleet.csv, "
                "data/accelerator_specs.csv; analysis.outlook.observed_run, central estimate)")
CAPEX_SOURCE = "Amazon's 10-K/10-Q: purchases of property and equipment, four quarters (data/financials.csv capex_gross)"


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


class ReleaseError(UserError):
    """A release that cannot be written or read (exit status 2)."""


@dataclass(frozen=True)
class Draws:
    """Per-target Monte Carlo draws (draws x years) for the years `years`; `last_observed` is the last observed year."""

    years: tuple[int, ...]
    last_observed: int
    values: dict[str, np.ndarray]


def forecast_draws(ds: Dataset, p: params.Params, schema: dict) -> Draws:
    """The model's draws of every target for one parameter set (the one call into the forecast model)."""
    result = outlook.run(ds, p, schema, sensitivity=False)
    model = result["model"]
    return Draws(tuple(int(y) for y in model.years), int(model.observed.years[-1]),
                 {t.name: result["draws"][t.metric] for t in TARGETS})


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


# --- the locked folder ---------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_entries(folder: Path) -> dict[str, str]:
    """File name -> checksum listed in the folder's manifest (empty when there is none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name or name in entries:
            raise ReleaseError(f"{path}, line {number}: expected '<sha256>  <file name>' once per file")
        entries[name] = digest
    return entries


def check_locked(folder: Path) -> list[str]:
    """What breaks the lock of a forecasts folder: a file not in the manifest, a listed file missing or changed."""
    folder = Path(folder)
    listed = manifest_entries(folder)
    present = {p.name for p in folder.iterdir() if p.name != MANIFEST} if folder.is_dir() else set()
    problems = [f"{name}: not in {MANIFEST} (write releases with `python -m analysis release`)"
                for name in sorted(present - set(listed))]
    for name, digest in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif _sha256(folder / name) != digest:
            problems.append(f"{name}: changed after its release (checksum differs from {MANIFEST})")
    return problems


def check_version(version: str) -> str:
    """A release name: lower-case letters, digits, '.', '_' and '-' (never a path)."""
    if not VERSION.fullmatch(version) or version.upper().startswith("MANIFEST"):
        raise ReleaseError(f"release {version!r}: a version is lower-case letters, digits, '.', '_' or '-' "
                           "(at most 64, e.g. 2026.12), not a path")
    return version


def check_date(text: str) -> str:
    """An ISO date (YYYY-MM-DD)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ReleaseError(f"--forecast-date {text!r}: expected a date YYYY-MM-DD")


def check_new(version: str, folder: Path) -> Path:
    """The path of a new release `version` in `folder`; an existing release (file or manifest entry) is refused."""
    target = Path(folder) / f"{check_version(version)}.csv"
    if target.exists() or target.name in manifest_entries(folder):
        raise ReleaseError(f"release {version}: {target} already exists; a release is never overwritten "
                           "(choose a new VERSION)")
    return target


def write_release(table: pd.DataFrame, version: str, folder: Path) -> Path:
    """Write VERSION.csv and its manifest line; an existing release (file or manifest entry) is never replaced, and
    a folder whose lock is already broken is refused."""
    folder = Path(folder)
    target = check_new(version, folder)
    problems = check_locked(folder)
    if problems:
        raise ReleaseError(f"{folder}: {problems[0]}; fix that before releasing")
    folder.mkdir(parents=True, exist_ok=True)
    body = table.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode("utf-8")
    staging = folder / f".{version}.csv.tmp"
    staging.write_bytes(body)
    staging.rename(target)
    with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write(f"{hashlib.sha256(body).hexdigest()}  {target.name}\n")
    return target


def release(ds: Dataset, p: params.Params, schema: dict, version: str, folder: Path, model_id: str,
            forecast_date: str | None = None, reconstructed: bool = False) -> Path:
    """Compute and lock release `version` of parameter set `p` (checked before any computing)."""
    check_new(version, folder)
    forecast_date = check_date(forecast_date) if forecast_date else dt.datetime.now(dt.UTC).date().isoformat()
    table = release_table(forecast_draws(ds, p, schema), version, forecast_date, model_id, ds.version, reconstructed)
    return write_release(table, version, folder)


def read_releases(folder: Path) -> pd.DataFrame:
    """Every release in `folder` (checked against its manifest), in one table."""
    folder = Path(folder)
    problems = check_locked(folder)
    if problems:
        raise ReleaseError(f"{folder}: {problems[0]}")
    frames = []
    for name in sorted(manifest_entries(folder)):
        frame = pd.read_csv(folder / name, dtype={"output_type_id": str, "release": str}, keep_default_na=False,
                            na_values={"value": [""]})
        missing = set(FORECAST_COLUMNS) - set(frame.columns)
        if missing:
            raise ReleaseError(f"{folder / name}: not a release (missing column {sorted(missing)[0]})")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(FORECAST_COLUMNS))


# --- the track record ----------------------------------------------------------------------------------------

def outcomes(ds: Dataset, schema: dict) -> dict[tuple[str, int], float]:
    """(target, year) -> what happened, for every year whose outcome data/ holds: the model's observed run at the
    default parameters for Epoch-based targets, Amazon's reported capex for capex."""
    truth = outlook.observed_run(ds, params.resolve({}, ds), schema)
    central = truth["central"]
    found = {}
    for t in TARGETS:
        if t.metric == "capex":
            series = outlook.annual_capex(ds) / 1e3
        else:
            series = central.loc[list(truth["model"].observed.years), t.metric]
        found.update({(t.name, int(y)): float(v) for y, v in series.items() if np.isfinite(v)})
    return found


def outside_views(ds: Dataset) -> dict[tuple[str, int], dict]:
    """(target, year) -> {value, check_id} from data/cross_checks.csv (OUTSIDE_VIEWS)."""
    checks = ds["cross_checks"]
    found = {}
    for target, pattern in OUTSIDE_VIEWS.items():
        regex = re.compile(re.escape(pattern).replace(re.escape("{year}"), r"(\d{4})"))
        for row in cast(Iterable[Any], checks.itertuples()):        # columns checked on load (analysis.data.tables)
            match = regex.fullmatch(str(row.compares_with))
            if match:
                found[(target, int(match.group(1)))] = {"value": float(row.published_value), "check_id": row.check_id}
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


def track_record(releases: pd.DataFrame, found: dict, outside: dict) -> pd.DataFrame:
    """One row per release, target and forecast year (horizon >= 1): the forecast (median and p5-p95, or the
    probability), the outcome if known (else when it is expected), error, 90% coverage, CRPS/WIS or Brier, and the
    same scores of persistence and of the outside view."""
    rows = []
    groups = cast(Iterable[tuple[tuple[str, str, int], pd.DataFrame]], releases.groupby(["release", "target", "year"], sort=True))
    for (rel, target, year), group in groups:
        first = group.iloc[0]
        horizon = int(first["horizon"])
        if horizon < 1:
            continue
        binary = target in BINARY
        of, threshold = BINARY.get(target, (target, None))
        outcome = found.get((of, int(year)))
        start = releases[(releases["release"] == rel) & (releases["target"] == target) & (releases["horizon"] == 0)]
        row = {"release": rel, "forecast_date": first["forecast_date"], "reconstructed": str(first["reconstructed"]).lower() == "true",
               "model_id": first["model_id"], "target": target, "unit": first["unit"], "year": int(year),
               "horizon": horizon, "resolution_source": first["resolution_source"],
               "resolved": outcome is not None, "resolves": None if outcome is not None else first["resolution_date"]}
        if binary:
            prob = float(group["value"].iloc[0])
            persist = float(start["value"].iloc[0]) if len(start) else None
            view = outside.get((of, int(year)))
            row.update(forecast=prob, outcome=None if outcome is None else float(outcome > threshold),
                       persistence=persist, outside_view=None if view is None else float(view["value"] > threshold),
                       outside_view_id=None if view is None else view["check_id"])
            if outcome is not None:
                happened = outcome > threshold
                row.update(brier=scoring.brier(prob, happened),
                           persistence_brier=None if persist is None else scoring.brier(persist, happened),
                           outside_view_brier=None if view is None else scoring.brier(row["outside_view"], happened))
        else:
            quantiles = group[group["output_type"] == "quantile"].sort_values("output_type_id")
            levels, values = quantiles["output_type_id"].astype(float).to_numpy(), quantiles["value"].to_numpy()
            q = dict(zip(np.round(levels, 2), values))
            start_median = start[(start["output_type"] == "quantile") & (start["output_type_id"] == "0.50")]["value"]
            persist = float(start_median.iloc[0]) if len(start_median) else None
            view = outside.get((target, int(year)))
            row.update(forecast=q[0.5], p5=q[0.05], p95=q[0.95], outcome=outcome, persistence=persist,
                       outside_view=None if view is None else view["value"],
                       outside_view_id=None if view is None else view["check_id"])
            if outcome is not None:
                row.update(error=q[0.5] - outcome, covered_90=scoring.covers(q[0.05], q[0.95], outcome),
                           **_quantile_scores(levels, values, outcome))
                for name, value in (("persistence", persist), ("outside_view", row["outside_view"])):
                    if value is not None:
                        row.update({f"{name}_{k}": v for k, v in _point_scores(value, outcome).items()})
        rows.append(row)
    columns = ["release", "forecast_date", "reconstructed", "model_id", "target", "unit", "year", "horizon",
               "resolved", "resolves", "resolution_source", "forecast", "p5", "p95", "outcome", "error", "covered_90",
               "crps", "wis", "brier", "persistence", "persistence_crps", "persistence_wis", "persistence_brier",
               "outside_view", "outside_view_id", "outside_view_crps", "outside_view_wis", "outside_view_brier"]
    return pd.DataFrame(rows, columns=columns)


def summary(record: pd.DataFrame) -> pd.DataFrame:
    """Per release and target, over the resolved years: how many, 90% coverage, mean CRPS (or Brier) of the forecast
    and of each baseline (NaN where a baseline has no value)."""
    resolved = record[record["resolved"].astype(bool)]
    rows = []
    for (rel, target), g in resolved.groupby(["release", "target"], sort=True):
        binary = target in BINARY
        score = "brier" if binary else "crps"
        rows.append({"release": rel, "target": target, "resolved": len(g),
                     "coverage_90": None if binary else float(g["covered_90"].astype(float).mean()),
                     "score": score, "model": float(g[score].mean()),
                     "persistence": float(g[f"persistence_{score}"].astype(float).mean()),
                     "outside_view": float(g[f"outside_view_{score}"].astype(float).mean())})
    return pd.DataFrame(rows, columns=["release", "target", "resolved", "coverage_90", "score", "model",
                                       "persistence", "outside_view"])


def _plain(value):
    """A JSON-ready value (NaN and missing -> None, numpy scalars -> Python)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def results(record: pd.DataFrame) -> list[dict]:
    """The track record as results.json items (key, label, value, unit, and each row's scores)."""
    items: list[dict] = []
    for r in cast(Iterable[Any], summary(record).itertuples()):
        base = f"track_{r.release}_{r.target}"
        items.append({"key": f"{base}_{r.score}", "label": f"Track record, release {r.release}: {r.target}, mean "
                      f"{r.score.upper()} over {r.resolved} resolved years (persistence, outside view beside it)",
                      "value": r.model, "unit": "score", "persistence": _plain(r.persistence),
                      "outside_view": _plain(r.outside_view), "coverage_90": _plain(r.coverage_90)})
    for rec in record.to_dict("records"):
        items.append({"key": f"track_{rec['release']}_{rec['target']}_{rec['year']}",
                      "label": f"Release {rec['release']}: {rec['target']}, {rec['year']}", "value": _plain(rec["forecast"]),
                      "unit": rec["unit"], **{k: _plain(v) for k, v in rec.items() if k not in ("forecast", "unit")}})
    return items


def score(ds: Dataset, schema: dict, folder: Path) -> pd.DataFrame:
    """The track record of every release in `folder` against data/ now (a folder with no release is refused)."""
    releases = read_releases(folder)
    if releases.empty:
        raise ReleaseError(f"{folder}: no release to score yet (write one with `python -m analysis release VERSION`)")
    return track_record(releases, outcomes(ds, schema), outside_views(ds))


def committed_manifest_lines(repo: Path, folder: str = "forecasts") -> set[str] | None:
    """Every line ever added to the forecasts manifest in a commit of `repo` (None when `repo` is not a git
    checkout): a release is locked once committed, so each of these lines must still be in the manifest."""
    try:
        log = subprocess.run(["git", "-C", str(repo), "log", "-p", "--format=", "--", f"{folder}/{MANIFEST}"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {line[1:] for line in log.splitlines() if line.startswith("+") and not line.startswith("+++")}


def summary_text(record: pd.DataFrame) -> str:
    """The track record in words: per release, how many targets beat persistence on their mean score, and what is
    still to resolve."""
    table = summary(record)
    parts = []
    for release, rows in table.groupby("release", sort=True):
        compared = rows.dropna(subset=["persistence"])
        better = int((compared["model"] < compared["persistence"]).sum())
        parts.append(f"release {release}: {int(rows['resolved'].sum())} target-years resolved, a lower mean score than "
                     f"persistence on {better} of {len(compared)} targets where persistence applies")
    pending = record[~record["resolved"].astype(bool)]
    text = "Scored against the data at hand — " + "; ".join(parts) + "."
    if len(pending):
        text += (f" {len(pending)} forecasts are not resolved yet; the next resolve on "
                 f"{pending['resolves'].min()} (when the source is expected to report them).")
    return text
