"""The forecasts' track record in words and as published headline items (results.json keys `track_...`), from the
scored table of `analysis.models.forecasts.track_record`."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.models.forecasts import BASELINES, SCORES, summary
from analysis.views.exhibits import Headline

def _plain(value: Any) -> Any:
    """A JSON-ready value (NaN and missing -> None, numpy scalars -> Python)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def results(record: pd.DataFrame) -> list[Headline]:
    """The track record as results.json items (key, label, value, unit, and each row's scores; a forecast's 5th-95th
    percentiles as its interval)."""
    rows: list[dict[str, Any]] = []
    for r in cast(Iterable[Any], summary(record).itertuples()):
        rows.append({"key": f"track_{r.release}_{r.target}_{r.score}", "label": f"Track record, release {r.release}: "
                     f"{r.target}, mean {SCORES[r.score]} over {r.scored} scored years (each baseline's beside it)",
                     "value": r.model, "unit": "score", "coverage_90": _plain(r.coverage_90),
                     **{b: _plain(getattr(r, b)) for b in BASELINES}})
    for rec in cast(list[dict[str, Any]], record.to_dict("records")):
        rows.append({"key": f"track_{rec['release']}_{rec['target']}_{rec['year']}",
                     "label": f"Release {rec['release']}: {rec['target']}, {rec['year']}",
                     "value": _plain(rec["forecast"]),
                     "unit": rec["unit"], **{k: _plain(v) for k, v in rec.items() if k not in ("forecast", "unit")}})
    return [Headline.of(row) for row in rows]


def losses(record: pd.DataFrame) -> list[str]:
    """Where the model loses, one phrase each: a release and target whose mean score is worse than a baseline's."""
    found = []
    for r in cast(Iterable[Any], summary(record).itertuples()):
        worse = [BASELINES[b].split(" (")[0].lower() for b in BASELINES if getattr(r, b) < r.model]
        if worse:
            found.append(f"{r.release} {r.target} ({SCORES[r.score]} {r.model:.4g}) loses to {', '.join(worse)}")
    return found


def summary_text(record: pd.DataFrame) -> str:
    """The track record in words: per release, coverage and how many targets beat each baseline on their mean
    score, where the model loses, what is excluded and what is still to resolve."""
    table = summary(record)
    parts = []
    for release, rows in table.groupby("release", sort=True):
        beats = []
        for name in BASELINES:
            compared = rows.dropna(subset=[name])
            if len(compared):
                beats.append(f"{int((compared['model'] < compared[name]).sum())} of {len(compared)} against "
                             f"{name.replace('_', ' ')}")
        held = record[(record["release"] == release) & record["scored"].astype(bool) & record["covered_90"].notna()]
        parts.append(f"release {release}: {int(rows['scored'].sum())} target-years scored, "
                     f"{int(held['covered_90'].astype(bool).sum())} of {len(held)} outcomes inside the 90% interval; "
                     f"a lower mean score on " + ", ".join(beats))
    text = "Scored against the data at hand — " + "; ".join(parts) + "."
    lost = losses(record)
    if lost:
        text += " The model loses where: " + "; ".join(lost) + "."
    excluded = record[record["excluded"].notna()].drop_duplicates(["release", "target"])
    if len(excluded):
        text += (f" Not scored: {', '.join(f'{r.release} {r.target}' for r in excluded.itertuples())} "
                 f"({excluded['excluded'].iloc[0]}).")
    pending = record[~record["resolved"].astype(bool)]
    if len(pending):
        text += (f" {len(pending)} forecasts are not resolved yet; the next resolve on "
                 f"{pending['resolves'].min()} (when the source is expected to report them).")
    return text
