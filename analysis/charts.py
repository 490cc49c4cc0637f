"""Altair figures of the report. Each function takes tidy data and returns a chart with units on its axes."""
from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 640


def _base(frame: pd.DataFrame, title: str, source_note: str) -> alt.Chart:
    return alt.Chart(frame, title=alt.TitleParams(title, subtitle=[source_note], anchor="start")).properties(width=WIDTH)


def _titled_layer(*layers: alt.Chart, title: str, source_note: str) -> alt.LayerChart:
    """Layers under one title and source note (the layered counterpart of `_base`)."""
    return alt.layer(*layers, title=alt.TitleParams(title, subtitle=[source_note], anchor="start")).properties(width=WIDTH)


def _period_lines(frame: pd.DataFrame, period: str, period_title: str, y: str, y_title: str, color: str, title: str,
                  source_note: str, dash: str | None, y_format: str) -> alt.Chart:
    """Lines over an ordinal time axis, one per `color` (and optionally dashed by `dash`)."""
    encoding = dict(x=alt.X(f"{period}:O", title=period_title),
                    y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
                    color=alt.Color(f"{color}:N", title=None),
                    tooltip=[f"{period}:O", f"{color}:N", alt.Tooltip(f"{y}:Q", format=y_format)])
    if dash:
        encoding["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None)
        encoding["tooltip"].append(f"{dash}:N")
    return _base(frame, title, source_note).mark_line(point=True).encode(**encoding)


def quarterly_lines(frame: pd.DataFrame, y_title: str, color: str, title: str, source_note: str,
                    y_format: str = ",.0f") -> alt.Chart:
    """Lines of `value` over calendar quarters, one per value of `color`."""
    return _period_lines(frame, "quarter", "Calendar quarter", "value", y_title, color, title, source_note, None, y_format)


def year_lines(frame: pd.DataFrame, y: str, y_title: str, color: str, title: str, source_note: str,
               dash: str | None = None, y_format: str = ",.1f") -> alt.Chart:
    """Lines of `y` over calendar years, one per `color` (and optionally dashed by `dash`)."""
    return _period_lines(frame, "year", "Calendar year", y, y_title, color, title, source_note, dash, y_format)


def funnel_bars(frame: pd.DataFrame, title: str, source_note: str) -> alt.Chart:
    """Horizontal bars comparing the essay's figures with this report's for the same items."""
    return _base(frame, title, source_note).mark_bar().encode(
        y=alt.Y("item:N", title=None, sort=None),
        x=alt.X("value:Q", title="USD million"),
        color=alt.Color("basis:N", title=None),
        yOffset="basis:N",
        tooltip=["item:N", "basis:N", alt.Tooltip("value:Q", format=",.0f")],
    )


def bars_over_quarters(frame: pd.DataFrame, y: str, y_title: str, title: str, source_note: str) -> alt.Chart:
    """Bars of `y` per quarter, one colour per `series`."""
    return _base(frame, title, source_note).mark_bar(opacity=0.7).encode(
        x=alt.X("quarter:O", title="Calendar quarter"), y=alt.Y(f"{y}:Q", title=y_title),
        color=alt.Color("series:N", title=None),
        tooltip=["quarter:O", "series:N", alt.Tooltip(f"{y}:Q", format=",.0f")])


# --- Section 2: portfolio -----------------------------------------------------------------------------------

def grouped_bars(frame: pd.DataFrame, x: str, x_title: str, y: str, y_title: str, group: str, title: str,
                 source_note: str, band: tuple[str, str] | None = None, y_format: str = ",.0f") -> alt.LayerChart | alt.Chart:
    """Bars of `y` per `x`, side by side per `group`, with an optional p5-p95 rule per bar."""
    enc = dict(x=alt.X(f"{x}:O", title=x_title, sort=None), xOffset=alt.XOffset(f"{group}:N", sort=None),
               color=alt.Color(f"{group}:N", title=None, sort=None))
    bars = (_base(frame, title, source_note) if band is None else alt.Chart(frame)).mark_bar().encode(
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
        tooltip=[f"{x}:O", f"{group}:N", alt.Tooltip(f"{y}:Q", format=y_format)], **enc)
    if band is None:
        return bars
    rule = alt.Chart(frame).mark_rule(color="black").encode(y=f"{band[0]}:Q", y2=f"{band[1]}:Q", **enc)
    return _titled_layer(bars, rule, title=title, source_note=source_note)


def irr_heat_map(frame: pd.DataFrame, title: str, source_note: str, mid: float) -> alt.LayerChart:
    """IRR (annual) over utilization x price scale, one labelled rect per cell, colours diverging at `mid` (the
    cost of capital: green cells earn more than it) on a symlog scale; empty where no IRR exists."""
    enc = dict(x=alt.X("utilization:O", title="Utilization (share of hours sold)", axis=alt.Axis(format=".0%")),
               y=alt.Y("price_scale:O", title="Price path scale (1 = actual prices)", sort="descending"))
    rect = alt.Chart(frame).mark_rect().encode(
        color=alt.Color("irr_annual:Q", title="IRR per year", legend=alt.Legend(format=".0%"),
                        scale=alt.Scale(scheme="redyellowgreen", type="symlog", domainMid=mid)),
        tooltip=[alt.Tooltip("utilization:O", format=".0%"), "price_scale:O", alt.Tooltip("irr_annual:Q", format=".1%")],
        **enc)
    text = alt.Chart(frame).mark_text(fontSize=9).transform_filter("isValid(datum.irr_annual)").encode(
        text=alt.Text("irr_annual:Q", format=".0%"), **enc)
    return _titled_layer(rect, text, title=title, source_note=source_note)


def xy_lines(frame: pd.DataFrame, x: str, x_title: str, y: str, y_title: str, color: str, title: str,
             source_note: str, log_x: bool = False, log_y: bool = False, dash: str | None = None,
             rule_y: float | None = None) -> alt.LayerChart | alt.Chart:
    """Lines of `y` over a quantitative `x`, one per `color` (and `dash`); optional horizontal reference rule."""
    def scale(log):
        return alt.Scale(type="log", nice=False) if log else alt.Undefined
    enc = dict(x=alt.X(f"{x}:Q", title=x_title, scale=scale(log_x)), y=alt.Y(f"{y}:Q", title=y_title, scale=scale(log_y)),
               color=alt.Color(f"{color}:N", title=None, sort=None),
               tooltip=[alt.Tooltip(f"{x}:Q", format=",.3~g"), f"{color}:N", alt.Tooltip(f"{y}:Q", format=",.3~g")])
    if dash is not None:
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None)
        enc["tooltip"].append(f"{dash}:N")
    lines = (_base(frame, title, source_note) if rule_y is None else alt.Chart(frame)).mark_line(point=True).encode(**enc)
    if rule_y is None:
        return lines
    rule = alt.Chart(pd.DataFrame({"y": [rule_y]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="y:Q")
    return _titled_layer(lines, rule, title=title, source_note=source_note)


# --- Section 3: erosion scenarios ----------------------------------------------------------------------------

def fan(band: pd.DataFrame, line: pd.DataFrame, y_title: str, title: str, source_note: str) -> alt.LayerChart:
    """p5-p95 band and p50 line per year (columns year, p5, p50, p95) with a deterministic line (year, value)."""
    base = alt.Chart(band)
    area = base.mark_area(opacity=0.25).encode(
        x=alt.X("year:O", title="Calendar year"), y=alt.Y("p5:Q", title=y_title), y2="p95:Q",
        tooltip=["year:O", alt.Tooltip("p5:Q", format=",.1f"), alt.Tooltip("p50:Q", format=",.1f"), alt.Tooltip("p95:Q", format=",.1f")])
    median = base.mark_line(strokeDash=[4, 3]).encode(x="year:O", y="p50:Q")
    point = alt.Chart(line).mark_line(point=True, color="black").encode(
        x="year:O", y="value:Q", tooltip=["year:O", alt.Tooltip("value:Q", format=",.1f")])
    return _titled_layer(area, median, point, title=title, source_note=source_note)


def tornado(frame: pd.DataFrame, x_title: str, title: str, source_note: str) -> alt.LayerChart:
    """Horizontal bars from the outcome at each input's p10 to its p90, widest first, with the base value."""
    order = list(frame["input"])
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("input:N", sort=order, title=None), x=alt.X("outcome_low:Q", title=x_title), x2="outcome_high:Q",
        tooltip=["input:N", alt.Tooltip("value_low:Q", format=",.3g"), alt.Tooltip("value_high:Q", format=",.3g"),
                 alt.Tooltip("outcome_low:Q", format=",.1f"), alt.Tooltip("outcome_high:Q", format=",.1f")])
    rule = alt.Chart(frame).mark_rule(color="black").encode(x="base:Q")
    return _titled_layer(bars, rule, title=title, source_note=source_note)


def sobol(frame: pd.DataFrame, title: str, source_note: str) -> alt.LayerChart:
    """Total (ST) and first-order (S1) Sobol indices per input with 95% intervals."""
    long = pd.concat([frame.assign(index="total (ST)", value=frame["ST"], conf=frame["ST_conf"]),
                      frame.assign(index="first-order (S1)", value=frame["S1"], conf=frame["S1_conf"])])
    long = long.assign(lo=long["value"] - long["conf"], hi=long["value"] + long["conf"])[["input", "index", "value", "lo", "hi"]]
    order = list(frame["input"])
    base = alt.Chart(long)
    bars = base.mark_bar().encode(y=alt.Y("input:N", sort=order, title=None), yOffset="index:N",
                                  x=alt.X("value:Q", title="Share of output variance"), color=alt.Color("index:N", title=None),
                                  tooltip=["input:N", "index:N", alt.Tooltip("value:Q", format=".3f")])
    errors = base.mark_rule().encode(y=alt.Y("input:N", sort=order), yOffset="index:N", x="lo:Q", x2="hi:Q")
    return _titled_layer(bars, errors, title=title, source_note=source_note)
