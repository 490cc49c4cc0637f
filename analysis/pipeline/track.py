"""The track-record folder `score --out` writes: index.html (the report's page module: its CSP, style, scripts and
chart conventions), track_record.csv and track_record_summary.csv (inert cells), results.json (strict JSON) and the
charts' data files."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from analysis.pipeline import outdir
from analysis.pipeline.page import TEMPLATES, chart_html, inert_csv, page_assets, strict_json, vega_script, write_downloads
from analysis.data import Dataset
from analysis.data.releases import MANIFEST, ReleaseError
from analysis.data.units import fmt, unit_label
from analysis.models import forecasts, hindsight, hub, hub_reader
from analysis.sections import track_text
from analysis.views import charts
from analysis.views.present import chart_spec

SOURCE_NOTE = "Locked forecasts in forecasts/ (the hub); outcomes from data/ now"


def _chart_frame(rows: pd.DataFrame, binary: bool) -> pd.DataFrame:
    """Long rows (year, series, value) of a release's target: forecast, outcome and each baseline."""
    columns = {"forecast": "Forecast (probability)" if binary else "Forecast (median)", "outcome": "What happened",
               **{b: forecasts.BASELINES[b].split(" (")[0] for b in forecasts.BASELINES if b != "outside_view"}}
    long = rows.melt(id_vars=["year"], value_vars=[c for c in columns if c in rows], var_name="series")
    long = long.dropna(subset=["value"]).assign(series=lambda f: f["series"].map(columns))
    return long.astype({"value": float})


def _takeaway(rows: pd.DataFrame, binary: bool, y_format: str, y_title: str) -> str:
    """The chart's first line: the latest year with an outcome against its forecast, or the forecast's path."""
    known = rows.dropna(subset=["outcome"])
    if binary and len(known):
        last = known.iloc[-1]
        return (f"{int(last['year'])}: forecast {last['forecast']:.0%}, {'happened' if last['outcome'] else 'did not happen'}")
    if len(known):
        last = known.iloc[-1]
        return (f"{int(last['year'])}: forecast {format(last['forecast'], y_format)}, what happened "
                f"{format(last['outcome'], y_format)} ({y_title})")
    first, last = rows.iloc[0], rows.iloc[-1]
    return (f"Forecast {format(first['forecast'], y_format)} in {int(first['year'])} to "
            f"{format(last['forecast'], y_format)} in {int(last['year'])} ({y_title}); no outcome yet")


def charts_html(record: pd.DataFrame, downloads: list) -> dict[str, list[str]]:
    """Per release, one chart per target: the forecast, what happened and the baselines by year."""
    figures: dict[str, list[str]] = {}
    for (release, target), rows in record.groupby(["release", "target"], sort=True):
        binary = target in forecasts.BINARY
        frame = _chart_frame(rows, binary)
        if frame.empty:
            continue
        unit = "probability" if binary else str(rows["unit"].iloc[0])
        y_format = ".0%" if unit in ("fraction", "probability") else ",.1f"
        chart = charts.year_lines(frame, "value", unit_label(unit), "series",
                                  f"{hub.PLAIN_NAMES[str(target)]}: release {release} against what happened", SOURCE_NOTE,
                                  y_format=y_format, takeaway=_takeaway(rows, binary, y_format, unit_label(unit)))
        figures.setdefault(str(release), []).append(chart_html(chart_spec(chart), downloads))
    return figures


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _outcome(value, binary: bool, unit: str) -> str:
    if value is None or pd.isna(value):
        return "not yet"
    return ("yes" if value else "no") if binary else fmt(value, unit)


def _rows(record: pd.DataFrame) -> list[dict]:
    """The track record's rows for the page: plain names, formatted values with units."""
    out = []
    for r in record.to_dict("records"):
        binary = r["target"] in forecasts.BINARY
        unit = "fraction" if binary else r["unit"]
        score = "brier" if binary else "crps"
        out.append({"release": r["release"], "target": hub.PLAIN_NAMES[r["target"]], "unit": unit_label(r["unit"]),
                    "year": r["year"], "forecast": fmt(r["forecast"], unit),
                    "interval": "" if binary else f"{fmt(r['p5'], unit)} – {fmt(r['p95'], unit)}",
                    "outcome": _outcome(r["outcome"], binary, unit),
                    "covered": "" if binary or not r["scored"] else ("yes" if r["covered_90"] else "no"),
                    "score_name": forecasts.SCORES[score], "score": fmt(r[score], "number", "—"),
                    "baselines": [fmt(r.get(f"{b}_{score}"), "number", "—") for b in forecasts.BASELINES],
                    "resolves": _text(r["resolves"]), "excluded": _text(r["excluded"])})
    return out


def write(dataset: Dataset, schema: dict, folder: Path, out: Path) -> Path:
    """Score every release in the hub `folder` and write the track-record folder `out` atomically (outdir.claim)."""
    releases = hub_reader.read(folder)
    if releases.empty:
        raise ReleaseError(f"{folder}: no release to score yet (write one with `python -m analysis release VERSION`)")
    record = forecasts.track_record(releases, forecasts.outcomes(dataset, schema), forecasts.outside_views(dataset),
                                    hindsight.excluded(dataset, releases))
    table = forecasts.summary(record)
    early = hindsight.early_2024(dataset, schema, releases)
    with outdir.claim(out) as staging:
        downloads: list[dict] = []
        figures = charts_html(record, downloads)
        pending = record[~record["resolved"].astype(bool)]
        page = TEMPLATES.get_template("track.html.j2").render(
            data_version=dataset.version, releases=sorted(record["release"].unique()), rows=_rows(record),
            summary=table.to_dict("records"), plain=hub.PLAIN_NAMES, baselines=forecasts.BASELINES,
            text=track_text.summary_text(record), losses=track_text.losses(record), figures=figures, early=early,
            next_resolution=None if pending.empty else pending["resolves"].min(), fmt=fmt, unit_label=unit_label,
            downloads=downloads, assets=page_assets(vega_script()))
        (staging / "index.html").write_text(page, encoding="utf-8")
        write_downloads(downloads, staging / "data")
        for name, frame in (("track_record.csv", record), ("track_record_summary.csv", table)):
            rows = [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]
            (staging / name).write_text(inert_csv(list(frame.columns), rows), encoding="utf-8")
        body = {"data_version": dataset.version, "early_2024": early,
                "results": {"track_record": {i.key: i.as_dict() for i in track_text.results(record)}}}
        (staging / "results.json").write_text(strict_json(body), encoding="utf-8")
    return out


def committed_manifest_lines(repo: Path, folder: str = "forecasts") -> set[str] | None:
    """Every line ever added to the forecasts manifest in a commit of `repo` (None when `repo` is not a git
    checkout): a release is locked once committed, so each of these lines must still be in the manifest."""
    try:
        log = subprocess.run(["git", "-C", str(repo), "log", "-p", "--format=", "--", f"{folder}/{MANIFEST}"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {line[1:] for line in log.splitlines() if line.startswith("+") and not line.startswith("+++")}
