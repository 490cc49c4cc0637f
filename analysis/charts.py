"""Altair figures of the report. Each function takes tidy data and returns a chart with units on its axes."""
from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 640


def _base(frame: pd.DataFrame, title: str, source_note: str) -> alt.Chart:
    return alt.Chart(frame, title=alt.TitleParams(title, subtitle=[source_note], anchor="start")).properties(width=WIDTH)


def quarterly_lines(frame: pd.DataFrame, y_title: str, color: str, title: str, source_note: str) -> alt.Chart:
    """Lines over calendar quarters, one per value of `color`."""
    return _base(frame, title, source_note).mark_line(point=True).encode(
        x=alt.X("quarter:O", title="Calendar quarter"),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color(f"{color}:N", title=None),
        tooltip=["quarter:O", f"{color}:N", alt.Tooltip("value:Q", format=",.0f")],
    )


def funnel_bars(frame: pd.DataFrame, title: str, source_note: str) -> alt.Chart:
    """Horizontal bars comparing the essay's figures with this report's for the same items."""
    return _base(frame, title, source_note).mark_bar().encode(
        y=alt.Y("item:N", title=None, sort=None),
        x=alt.X("value:Q", title="USD million"),
        color=alt.Color("basis:N", title=None),
        yOffset="basis:N",
        tooltip=["item:N", "basis:N", alt.Tooltip("value:Q", format=",.0f")],
    )


def bars_over_quarters(frame: pd.DataFrame, y: str, y_title: str, title: str, source_note: str,
                       band: tuple[str, str] | None = None) -> alt.LayerChart | alt.Chart:
    """Bars of `y` per quarter, with an optional p5-p95 error band for comparison."""
    bars = _base(frame, title, source_note).mark_bar(opacity=0.7).encode(
        x=alt.X("quarter:O", title="Calendar quarter"), y=alt.Y(f"{y}:Q", title=y_title),
        color=alt.Color("series:N", title=None),
        tooltip=["quarter:O", "series:N", alt.Tooltip(f"{y}:Q", format=",.0f")])
    if band is None:
        return bars
    rule = alt.Chart(frame).mark_rule().encode(x="quarter:O", y=f"{band[0]}:Q", y2=f"{band[1]}:Q")
    return alt.layer(bars, rule)
