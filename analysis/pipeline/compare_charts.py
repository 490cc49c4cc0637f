"""The charts of a comparison page: each run's erosion table (CHARTED columns with their central 50% band) as
lines per run, and the landlord's NPV and IRR at realized prices as bars per case and run (only where they differ).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.data.units import unit_label
from analysis.pipeline.compare_input import CHARTED, Run
from analysis.pipeline.page import chart_html
from analysis.views import charts
from analysis.views.present import chart_spec

LANDLORD_KEYS = {"npv_realized": ("NPV per H100 at realized prices", "USD"),
                 "irr_realized": ("IRR per year at realized prices", "fraction")}
LANDLORD_CASES = {"bought_at_launch": "bought at launch", "bought_at_cut": "bought at the price cut"}


def erosion_by_year(runs: list[Run]) -> pd.DataFrame:
    """Each run's data/erosion_by_year.csv with a `run` column (runs without one are left out)."""
    frames = [r.by_year.assign(run=r.name) for r in runs if r.by_year is not None]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def landlord_outcomes(runs: list[Run]) -> pd.DataFrame:
    """NPV and IRR of the landlord cases at realized prices in each run's results.json (section portfolio)."""
    rows = []
    for r in runs:
        found = r.results["results"].get("portfolio", {})
        for tag, case in LANDLORD_CASES.items():
            row: dict[str, Any] = {"run": r.name, "case": case}
            for metric in LANDLORD_KEYS:
                item = found.get(f"{metric}_{tag}")
                row[metric] = None if item is None else item["value"]
            rows.append(row)
    return pd.DataFrame(rows)


def overlay_charts(runs: list[Run], downloads: list) -> list[str]:
    note = "Each run's data/erosion_by_year.csv (central estimate; observed years from Epoch AI x prices)"
    figures = []
    by_year = erosion_by_year(runs)
    if len(by_year):
        for column, (title, y_title, y_format) in CHARTED.items():
            band = (f"{column}_p25", f"{column}_p75")
            chart = charts.year_lines_with_bands(by_year[["year", "run", column, *band]], column, band, y_title, "run",
                                                 title + " (lines: central estimate; shaded: 25th-75th percentile)",
                                                 note, y_format=y_format)
            figures.append(chart_html(chart_spec(chart), downloads))
    landlord = landlord_outcomes(runs)
    for metric, (label, unit) in LANDLORD_KEYS.items():
        frame = landlord[["case", "run", metric]].dropna()
        if len(frame) and frame.groupby("case")[metric].nunique().max() > 1:     # unchanged outcomes: no chart
            axis_title = label if unit == "fraction" else f"{label} ({unit_label(unit)})"
            bars = charts.grouped_bars(frame, "case", "Landlord case (H100)", metric, axis_title, "run",
                                       f"Landlord {label}, each case and run",
                                       "Each run's results.json (section portfolio)",
                                       y_format=".0%" if unit == "fraction" else ",.0f")
            figures.append(chart_html(chart_spec(bars), downloads))
    return figures
