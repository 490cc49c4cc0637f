"""Altair figures of the report. Each function takes tidy data and returns a chart with units on its axes.

Every chart's title states its takeaway, computed from the data it draws (the caller's title, what the chart shows,
becomes the first line under it, the source note the second); calendar years read as years (2025, never 2,025.0);
a legend tells dashed from solid lines; intervals are 5th–95th percentiles unless the chart says otherwise. Colours
come from the colour-blind-safe palettes set in `analysis.views.present.chart_spec`.

Every encoding channel is one of altair's channel objects (`alt.X("year:Q")`, `alt.Tooltip("series:N")`,
`alt.YValue(0)`), never a bare string or dict, which give the same spec: altair turns those into objects by hashing
the schema of each of its classes, about 5 ms a channel (0.4 s of CPU over the 98 channels of a build).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

import altair as alt
import pandas as pd

from analysis.views.takeaways import compared_bars, formatted, trend

WIDTH = 640
DIVERGING_SCHEME: Final = "blueorange"     # colour-blind safe (no red-green)
#: A legend whose swatches are strokes: it shows each line's dash.
LINE_LEGEND: dict[str, Any] = {"symbolType": "stroke", "symbolStrokeWidth": 2.5, "symbolSize": 400}
DASH_LEGEND: dict[str, Any] = LINE_LEGEND          # its swatches get a stroke colour in present.chart_spec
OBSERVED, FORECAST = "observed", "forecast"
#: Lines of successive series get thinner, so that a line drawn over another where they coincide leaves it visible.
STROKES = alt.Scale(range=[5, 3, 1.6])


def _titled(title: str | list, descriptive: str, source_note: str) -> alt.TitleParams:
    return alt.TitleParams(title, subtitle=[descriptive, source_note], anchor="start")


def _base(frame: pd.DataFrame, takeaway: str, title: str, source_note: str) -> alt.Chart:
    return alt.Chart(frame, title=_titled(takeaway, title, source_note)).properties(width=WIDTH)


def _titled_layer(*layers: alt.Chart, takeaway: str, title: str, source_note: str) -> alt.LayerChart:
    """Layers under one takeaway, title and source note (the layered counterpart of `_base`)."""
    # alt.layer returns a FacetChart only when every layer has the same facet channel; no layer here has one.
    layered = cast(alt.LayerChart, alt.layer(*layers, title=_titled(takeaway, title, source_note)))
    return layered.properties(width=WIDTH)


def _is_year(field: str, title: str) -> bool:
    return field == "year" or title.lower().startswith(("year", "calendar year"))


def _x_axis(field: str, title: str, kind: str, **scale) -> alt.X:
    """An x channel; a quantitative year axis prints whole years, one tick per year at most."""
    axis = alt.Axis(format="d", tickMinStep=1) if kind == "Q" and _is_year(field, title) else alt.Undefined
    return alt.X(f"{field}:{kind}", title=title, axis=axis, **scale)


def _period_lines(frame: pd.DataFrame, period: str, period_title: str, y: str, y_title: str, color: str, title: str,
                  source_note: str, dash: str | None, y_format: str, takeaway: str | None = None) -> alt.Chart:
    """Lines over an ordinal time axis, one per `color` (and optionally dashed by `dash`); the takeaway is how the
    longest series moved unless `takeaway` says otherwise."""
    encoding: dict[str, Any]
    encoding = dict(x=alt.X(f"{period}:O", title=period_title, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
                    y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
                    color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(**LINE_LEGEND)),
                    strokeWidth=alt.StrokeWidth(f"{color}:N", scale=STROKES, legend=None),
                    tooltip=[alt.Tooltip(f"{period}:O"), alt.Tooltip(f"{color}:N"),
                             alt.Tooltip(f"{y}:Q", format=y_format)])
    if dash:
        encoding["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None, legend=alt.Legend(**DASH_LEGEND))
        encoding["tooltip"].append(alt.Tooltip(f"{dash}:N"))
    takeaway = takeaway or trend(frame, period, y, color, y_title, y_format, x_title=period_title, dash=dash)
    return _base(frame, takeaway, title, source_note).mark_line(point=True).encode(**encoding)


def quarterly_lines(frame: pd.DataFrame, y_title: str, color: str, title: str, source_note: str,
                    y_format: str = ",.0f") -> alt.Chart:
    """Lines of `value` over calendar quarters, one per value of `color`."""
    return _period_lines(frame, "quarter", "Calendar quarter", "value", y_title, color, title, source_note, None,
                         y_format)


def year_lines(frame: pd.DataFrame, y: str, y_title: str, color: str, title: str, source_note: str,
               dash: str | None = None, y_format: str = ",.1f", takeaway: str | None = None) -> alt.Chart:
    """Lines of `y` over calendar years, one per `color` (and optionally dashed by `dash`)."""
    return _period_lines(frame, "year", "Calendar year", y, y_title, color, title, source_note, dash, y_format,
                         takeaway)


def year_lines_with_bands(frame: pd.DataFrame, y: str, band: tuple[str, str], y_title: str, color: str, title: str,
                          source_note: str, y_format: str = ",.1f") -> alt.LayerChart:
    """`year_lines` with each series' interval (`band`: its low and high columns) shaded under its line."""
    takeaway = trend(frame, "year", y, color, y_title, y_format, x_title="Calendar year")
    lines = _period_lines(frame, "year", "Calendar year", y, y_title, color, title, source_note, None, y_format,
                          takeaway)
    area = alt.Chart(frame).mark_area(opacity=0.15).encode(
        x=alt.X("year:O", title="Calendar year"), y=alt.Y(f"{band[0]}:Q", title=y_title), y2=alt.Y2(f"{band[1]}:Q"),
        color=alt.Color(f"{color}:N", title=None))
    lines.title = lines.width = alt.Undefined        # the layer carries them
    return _titled_layer(area, lines, takeaway=takeaway, title=title, source_note=source_note)


def funnel_bars(frame: pd.DataFrame, title: str, source_note: str) -> alt.Chart:
    """Horizontal bars comparing the essay's figures with this report's for the same items."""
    takeaway = compared_bars(frame, "item", "basis", "value", "USD million", ",.0f", over_time=False)
    return _base(frame, takeaway, title, source_note).mark_bar().encode(
        y=alt.Y("item:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("value:Q", title="USD million"),
        color=alt.Color("basis:N", title=None),
        yOffset=alt.YOffset("basis:N"),
        tooltip=[alt.Tooltip("item:N"), alt.Tooltip("basis:N"), alt.Tooltip("value:Q", format=",.0f")],
    )


def bars_over_quarters(frame: pd.DataFrame, y: str, y_title: str, title: str, source_note: str) -> alt.Chart:
    """Bars of `y` per quarter, side by side per `series`."""
    takeaway = compared_bars(frame, "quarter", "series", y, y_title, ",.0f", over_time=True)
    return _base(frame, takeaway, title, source_note).mark_bar().encode(
        x=alt.X("quarter:O", title="Calendar quarter", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        xOffset=alt.XOffset("series:N"), y=alt.Y(f"{y}:Q", title=y_title), color=alt.Color("series:N", title=None),
        tooltip=[alt.Tooltip("quarter:O"), alt.Tooltip("series:N"), alt.Tooltip(f"{y}:Q", format=",.0f")])


# --- Section 2: portfolio -----------------------------------------------------------------------------------

def grouped_bars(frame: pd.DataFrame, x: str, x_title: str, y: str, y_title: str, group: str, title: str,
                 source_note: str, band: tuple[str, str] | None = None,
                 y_format: str = ",.0f") -> alt.LayerChart | alt.Chart:
    """Bars of `y` per `x`, side by side per `group`, with an optional 5th-95th percentile rule per bar."""
    over_time = _is_year(x, x_title) or x == "quarter"
    # Periods may thin their labels; categories (instance types) are each labelled, slanted so that all fit.
    axis = alt.Axis(labelAngle=0, labelOverlap=True, labelLimit=120) if over_time else alt.Axis(
        labelAngle=-35, labelOverlap=False, labelLimit=160)
    enc = dict(x=alt.X(f"{x}:O", title=x_title, sort=None, axis=axis),
               xOffset=alt.XOffset(f"{group}:N", sort=None), color=alt.Color(f"{group}:N", title=None, sort=None))
    takeaway = compared_bars(frame, x, group, y, y_title, y_format, over_time=over_time)
    bars = (_base(frame, takeaway, title, source_note) if band is None else alt.Chart(frame)).mark_bar().encode(
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
        tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{group}:N"), alt.Tooltip(f"{y}:Q", format=y_format)], **enc)
    if band is None:
        return bars
    rule = alt.Chart(frame).mark_rule(color="black").encode(
        y=alt.Y(f"{band[0]}:Q", title=y_title), y2=alt.Y2(f"{band[1]}:Q"),
        strokeDash=alt.StrokeDash("interval:N", title=None, legend=alt.Legend(**DASH_LEGEND)), **enc
    ).transform_calculate(interval="'5th–95th percentile'")
    return _titled_layer(bars, rule, takeaway=takeaway, title=title, source_note=source_note)


def irr_heat_map(frame: pd.DataFrame, title: str, source_note: str, mid: float) -> alt.LayerChart:
    """IRR (annual) over utilization x price scale, one labelled rect per cell, colours diverging at `mid` (the
    cost of capital: blue cells earn more than it, orange less) on a symlog scale; empty where no IRR exists."""
    enc = dict(x=alt.X("utilization:O", title="Utilization (share of hours sold)",
                       axis=alt.Axis(format=".0%", labelAngle=0)),
               y=alt.Y("price_scale:O", title="Price path scale (1 = actual prices)", sort="descending"))
    valid = frame.dropna(subset=["irr_annual"])
    above = int((valid["irr_annual"] > mid).sum())
    takeaway = f"The IRR beats the {mid:.1%} cost of capital in {above} of {len(frame)} cases (blue)"
    rect = alt.Chart(frame).mark_rect().encode(
        color=alt.Color("irr_annual:Q", title="IRR per year", legend=alt.Legend(format=".0%"),
                        scale=alt.Scale(scheme=DIVERGING_SCHEME, type="symlog", domainMid=mid, reverse=True)),
        tooltip=[alt.Tooltip("utilization:O", format=".0%"), alt.Tooltip("price_scale:O"),
                 alt.Tooltip("irr_annual:Q", format=".1%")],
        **enc)
    text = alt.Chart(frame).mark_text(fontSize=11).transform_filter("isValid(datum.irr_annual)").encode(
        text=alt.Text("irr_annual:Q", format=".0%"), **enc)
    return _titled_layer(rect, text, takeaway=takeaway, title=title, source_note=source_note)


def xy_lines(frame: pd.DataFrame, x: str, x_title: str, y: str, y_title: str, color: str, title: str,
             source_note: str, log_x: bool = False, log_y: bool = False, dash: str | None = None,
             rule_y: float | None = None) -> alt.LayerChart | alt.Chart:
    """Lines of `y` over a quantitative `x`, one per `color` (and `dash`); optional horizontal reference rule."""
    def scale(log):
        return alt.Scale(type="log", nice=False) if log else alt.Undefined
    enc: dict[str, Any]
    enc = dict(x=_x_axis(x, x_title, "Q", scale=scale(log_x)), y=alt.Y(f"{y}:Q", title=y_title, scale=scale(log_y)),
               color=alt.Color(f"{color}:N", title=None, sort=None, legend=alt.Legend(**LINE_LEGEND)),
               strokeWidth=alt.StrokeWidth(f"{color}:N", scale=STROKES, sort=None, legend=None),
               tooltip=[alt.Tooltip(f"{x}:Q", format=",.3~g"), alt.Tooltip(f"{color}:N"),
                        alt.Tooltip(f"{y}:Q", format=",.3~g")])
    if dash is not None:
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None, legend=alt.Legend(**DASH_LEGEND))
        enc["tooltip"].append(alt.Tooltip(f"{dash}:N"))
    takeaway = trend(frame, x, y, color, y_title, ",.3~g", x_format=",.3~g", x_title=x_title, dash=dash)
    chart = _base(frame, takeaway, title, source_note) if rule_y is None else alt.Chart(frame)
    lines = chart.mark_line(point=True).encode(**enc)
    if rule_y is None:
        return lines
    rule = alt.Chart(pd.DataFrame({"y": [rule_y]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.Y("y:Q"))
    return _titled_layer(lines, rule, takeaway=takeaway, title=title, source_note=source_note)


# --- Section 3: erosion scenarios ----------------------------------------------------------------------------

def _year_axis(first: int, end: int) -> alt.X:
    """The x channel of a chart over observed then forecast years: whole years, no grid, half a year of margin."""
    return alt.X("year:Q", title="Calendar year", axis=alt.Axis(format="d", tickMinStep=1, grid=False),
                 scale=alt.Scale(domain=[first - 0.5, end + 0.5], nice=False))


def _periods(first: int, end: int, last_observed: int) -> tuple[alt.Chart, alt.Chart, alt.Chart]:
    """The layers that mark observed and forecast years: the forecast years shaded, a rule where the data end, and a
    label over each period."""
    kinds = pd.DataFrame({"start": [first - 0.5, last_observed + 0.5], "stop": [last_observed + 0.5, end + 0.5],
                          "mid": [(first + last_observed) / 2, (last_observed + 1 + end) / 2],
                          "period": [f"{OBSERVED} to {last_observed}", FORECAST]})
    shade = alt.Chart(kinds).transform_filter(f"datum.period == '{FORECAST}'").mark_rect(color="#f0f0f0").encode(
        x=alt.X("start:Q", scale=alt.Scale(domain=[first - 0.5, end + 0.5], nice=False)), x2=alt.X2("stop:Q"))
    labels = alt.Chart(kinds).mark_text(baseline="top", dy=4, color="#4a5568", fontSize=12).encode(
        x=alt.X("mid:Q"), y=alt.YValue(0), text=alt.Text("period:N"))
    boundary = alt.Chart(kinds.iloc[[0]]).mark_rule(strokeDash=[2, 2], color="#4a5568").encode(x=alt.X("stop:Q"))
    return shade, boundary, labels


def fan(band: pd.DataFrame, line: pd.DataFrame, y_title: str, title: str, source_note: str, last_observed: int,
        y_format: str = ",.1f") -> alt.LayerChart:
    """The central estimate (year, value) with its 5th-95th percentile band (year, p5, p95) over observed and
    forecast years: the forecast years shaded and labelled, a rule where the data end, a legend for line and band."""
    years = sorted(band["year"])
    end = years[-1]
    x, (shade, boundary, labels) = _year_axis(years[0], end), _periods(years[0], end, last_observed)
    legend = alt.Legend(**LINE_LEGEND, orient="bottom")
    key = alt.Scale(domain=["central estimate", "5th–95th percentile"], range=["black", "#56B4E9"])
    area = alt.Chart(band).mark_area(opacity=0.35).encode(
        x=x, y=alt.Y("p5:Q", title=y_title), y2=alt.Y2("p95:Q"),
        color=alt.Color("what:N", scale=key, title=None, legend=legend),
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("p5:Q", format=y_format),
                 alt.Tooltip("p95:Q", format=y_format)]
    ).transform_calculate(what="'5th–95th percentile'")
    central = alt.Chart(line).mark_line(point=True).encode(
        x=alt.X("year:Q"), y=alt.Y("value:Q"), color=alt.Color("what:N", scale=key, title=None, legend=legend),
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=y_format)]
    ).transform_calculate(what="'central estimate'")
    last = cast(float, line.set_index("year").loc[last_observed, "value"])     # a number: one row per year
    final = cast(float, line.set_index("year").loc[end, "value"])
    final_band = band.set_index("year").loc[end]
    subject = f"{title.split(':')[0]}: " if ":" in title else ""
    takeaway = (f"{subject}{formatted(last, y_format)} in {last_observed} (observed), {formatted(final, y_format)} "
                f"forecast for {end} (5th–95th percentile "
                f"{formatted(final_band['p5'], y_format)}–{formatted(final_band['p95'], y_format)}; {y_title})")
    return _titled_layer(shade, boundary, area, central, labels, takeaway=takeaway, title=title,
                         source_note=source_note)


#: The two intervals of a band chart, widest first, with the percentile columns that bound them.
INTERVALS = {"90% interval": ("p5", "p95"), "50% interval": ("p25", "p75")}


def share_bands(frame: pd.DataFrame, last_observed: int, rules: tuple[float, ...], title: str, source_note: str,
                y_title: str = "Share") -> alt.LayerChart:
    """Shares by year, observed then forecast: per `series`, the central estimate (`value`) with its 50% and 90%
    intervals (INTERVALS: 25th-75th and 5th-95th percentiles) as bands of two strengths, and a dashed reference rule
    at each of `rules`."""
    years = sorted(frame["year"].unique())
    first, end = years[0], years[-1]
    x, (shade, boundary, labels) = _year_axis(first, end), _periods(first, end, last_observed)
    bands = pd.concat([frame.assign(interval=name, lo=frame[lo], hi=frame[hi]) for name, (lo, hi) in INTERVALS.items()])
    bands = bands[["year", "series", "interval", "lo", "hi"]].dropna()
    color = alt.Color("series:N", title=None, sort=None, legend=alt.Legend(**LINE_LEGEND, orient="bottom"))
    area = alt.Chart(bands).mark_area().encode(
        x=x, y=alt.Y("lo:Q", title=y_title, axis=alt.Axis(format=".0%")), y2=alt.Y2("hi:Q"), color=color,
        opacity=alt.Opacity("interval:N", title=None, sort=None,
                            legend=alt.Legend(orient="top", direction="horizontal", symbolType="square"),
                            scale=alt.Scale(domain=list(INTERVALS), range=[0.18, 0.4])),
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("series:N"), alt.Tooltip("interval:N"),
                 alt.Tooltip("lo:Q", format=".1%"),
                 alt.Tooltip("hi:Q", format=".1%")])
    central = frame.dropna(subset=["value"])
    line = alt.Chart(central).mark_line(point=True).encode(
        x=alt.X("year:Q"), y=alt.Y("value:Q"), color=color,
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("series:N"), alt.Tooltip("value:Q", format=".1%")])
    marks = pd.DataFrame({"at": list(rules), "label": [f"{r:.0%}" for r in rules]})
    rule = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color="#4a5568").encode(y=alt.Y("at:Q"))
    rule_labels = alt.Chart(marks).mark_text(align="left", baseline="bottom", dx=2, color="#4a5568",
                                             fontSize=12).encode(y=alt.Y("at:Q"), x=alt.XValue(0),
                                                                 text=alt.Text("label:N"))
    subject = central[central["series"] == central["series"].iloc[0]].set_index("year")
    at_end = subject.loc[end]
    seen = subject[subject.index <= last_observed]          # the data may not split the earliest years by vendor
    past = "" if seen.empty else f"{formatted(seen['value'].iloc[-1], '.1%')} in {seen.index[-1]} (observed), "
    others = [s for s in dict.fromkeys(central["series"]) if s != subject["series"].iloc[0]]
    last_year = central[central["year"] == end]
    also = "".join(f"; {name}: {formatted(last_year[last_year['series'] == name]['value'].iloc[0], '.1%')} for {end}"
                   for name in others)
    takeaway = (f"{subject['series'].iloc[0]}: {past}{formatted(at_end['value'], '.1%')} forecast for {end} (50% "
                f"interval {formatted(at_end['p25'], '.0%')}–{formatted(at_end['p75'], '.0%')}, 90% interval "
                f"{formatted(at_end['p5'], '.0%')}–{formatted(at_end['p95'], '.0%')}){also}")
    return _titled_layer(shade, boundary, area, rule, rule_labels, line, labels, takeaway=takeaway, title=title,
                         source_note=source_note)


def probability_lines(frame: pd.DataFrame, last_observed: int, ticks: list[float], title: str, source_note: str,
                      describe: Callable[[float], str]) -> alt.LayerChart:
    """Probabilities by year (year, series, probability), observed then forecast, on a 0-100% axis ticked at `ticks`;
    the takeaway gives each series' last value with `describe(p)` (its words)."""
    years = sorted(frame["year"].unique())
    first, end = years[0], years[-1]
    x, (shade, boundary, labels) = _year_axis(first, end), _periods(first, end, last_observed)
    shown = frame.dropna(subset=["probability"])
    lines = alt.Chart(shown).mark_line(point=True).encode(
        x=x, y=alt.Y("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1]),
                     axis=alt.Axis(format=".0%", values=ticks)),
        color=alt.Color("series:N", title=None, sort=None, legend=alt.Legend(**LINE_LEGEND, orient="bottom")),
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("series:N"),
                 alt.Tooltip("probability:Q", format=".1%")])
    last = shown[shown["year"] == end]
    takeaway = f"In {end}: " + "; ".join(f"{r.series} {formatted(r.probability, '.1%')} ({describe(r.probability)})"
                                         for r in last.itertuples())
    return _titled_layer(shade, boundary, lines, labels, takeaway=takeaway, title=title, source_note=source_note)


def tornado(frame: pd.DataFrame, x_title: str, title: str, source_note: str) -> alt.LayerChart:
    """Horizontal bars from the outcome at each input's 10th percentile to its 90th (as labelled), widest first,
    with the base value."""
    order = list(frame["input"])
    top = frame.iloc[0]
    takeaway = (f"{top['input']} moves the outcome most: {formatted(top['outcome_low'], ',.1f')} to "
                f"{formatted(top['outcome_high'], ',.1f')} between its 10th and 90th percentiles ({x_title})")
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("outcome_low:Q", title=f"{x_title} (bars: input at its 10th to 90th percentile; line: all at median)"),
        x2=alt.X2("outcome_high:Q"),
        tooltip=[alt.Tooltip("input:N"), alt.Tooltip("value_low:Q", format=",.3g"),
                 alt.Tooltip("value_high:Q", format=",.3g"),
                 alt.Tooltip("outcome_low:Q", format=",.1f"), alt.Tooltip("outcome_high:Q", format=",.1f")])
    rule = alt.Chart(frame).mark_rule(color="black").encode(x=alt.X("base:Q"))
    return _titled_layer(bars, rule, takeaway=takeaway, title=title, source_note=source_note)


def sobol(frame: pd.DataFrame, title: str, source_note: str) -> alt.LayerChart:
    """Total (ST) and first-order (S1) Sobol indices per input with 95% confidence intervals (as labelled)."""
    long = pd.concat([frame.assign(index="total (ST)", value=frame["ST"], conf=frame["ST_conf"]),
                      frame.assign(index="first-order (S1)", value=frame["S1"], conf=frame["S1_conf"])])
    long = long.assign(lo=long["value"] - long["conf"],
                       hi=long["value"] + long["conf"])[["input", "index", "value", "lo", "hi"]]
    order = list(frame["input"])
    top = frame.iloc[0]
    takeaway = (f"{top['input']} drives most of the uncertainty: total (ST) {top['ST']:.2f}, "
                f"first-order (S1) {top['S1']:.2f}")
    base = alt.Chart(long)
    bars = base.mark_bar().encode(y=alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
                                  yOffset=alt.YOffset("index:N"),
                                  x=alt.X("value:Q", title="Share of output variance (lines: 95% confidence interval)"),
                                  color=alt.Color("index:N", title=None),
                                  tooltip=[alt.Tooltip("input:N"), alt.Tooltip("index:N"),
                                           alt.Tooltip("value:Q", format=".3f")])
    errors = base.mark_rule().encode(y=alt.Y("input:N", sort=order), yOffset=alt.YOffset("index:N"), x=alt.X("lo:Q"),
                                     x2=alt.X2("hi:Q"))
    return _titled_layer(bars, errors, takeaway=takeaway, title=title, source_note=source_note)
