"""How notebooks show things: charts (interactive Vega-Lite + PNG fallback), formatted tables, prose, data tables
for download, and the section bundle.

Every output is deterministic, so strict nbval compares the numbers themselves.
"""
from __future__ import annotations

import base64
import html
import math
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mistune
import numpy as np
import pandas as pd
from IPython.display import display

from analysis.data.units import UNIT_FORMATS, fmt, unit_label, yes_no
from analysis.views import images
from analysis.views.chart_text import describe

if TYPE_CHECKING:       # the report builder formats numbers with this module without loading altair
    import altair as alt

    from analysis.data.params import Params

# JupyterLab 4.6 draws this standard mimetype in untrusted notebooks with its built-in Vega-Lite 5 renderer; altair's
# specs declare Vega-Lite 6, whose schema URL that renderer would warn about. Static viewers fall back to the PNG.
VEGALITE_MIMETYPE = "application/vnd.vegalite.v5+json"
VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
SECTION_MIMETYPE = "application/vnd.awsaccel.section+json"
TABLE_MIMETYPE = "application/vnd.awsaccel.table+json"
WHAT_IF_MIMETYPE = "application/vnd.awsaccel.whatif+json"
#: What the page needs to know of a chart or table beyond how it looks, beside it in the same output: a chart's
#: {"headline": bool} (whether it belongs on the first screen, as its section declares) and a table's {"rows": N} (its
#: body rows: the page moves a long table to the appendix). The page reads these, never the chart or the HTML.
EXHIBIT_MIMETYPE = "application/vnd.awsaccel.exhibit+json"
WHAT_IF_OUT = "reports/what-if"
#: Okabe & Ito's colour-blind-safe palette, blue first: every categorical colour of every chart (no red-green pair).
CATEGORY_COLOURS = ["#0072B2", "#E69F00", "#56B4E9", "#D55E00", "#009E73", "#CC79A7", "#F0E442", "#000000"]
CHART_HEIGHT = 200
#: Every chart text (axes, legends, titles, labels) at least this size: 11 px on a phone, and 8.25 pt printed, where
#: page.js draws the charts at the printed width (so they are not scaled down).
CHART_FONT_PX = 11
#: The report's chart style: axis, legend, title and category colours (over altair's theme; view height CHART_HEIGHT).
CHART_CONFIG = {
    "axis": {"labelFontSize": CHART_FONT_PX, "titleFontSize": CHART_FONT_PX},
    "legend": {"columns": 2, "labelFontSize": CHART_FONT_PX, "labelLimit": 0, "orient": "bottom",
               "titleFontSize": CHART_FONT_PX},
    "range": {"category": CATEGORY_COLOURS},
    "title": {"fontSize": CHART_FONT_PX + 2, "subtitleFontSize": CHART_FONT_PX}}
CHART_DIGITS = 6         # significant digits of a what-if chart's points (its numbers shown are formatted in Python)
TABLE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
NO_MATHS = "mathjax_ignore tex2jax_ignore"     # the classes MathJax 3 and 2 skip
#: Markdown for prose that interpolates data: paragraphs, emphasis and code only (no headings, links, images or HTML).
PROSE = mistune.create_markdown(escape=True)
PROSE.block.rules = ["blank_line"]                    # everything else is a paragraph
PROSE.inline.rules = ["escape", "codespan", "emphasis", "linebreak", "softbreak"]
#: The display outputs this module emits, by their sets of mimetypes (see `emitted`); prose (`say`) carries no
#: text/plain.
EMITTED = {frozenset(kinds) | {"text/plain"} for kinds in (
    {VEGALITE_MIMETYPE, "image/png", EXHIBIT_MIMETYPE}, {VEGALITE_MIMETYPE, EXHIBIT_MIMETYPE},
    {"text/html", EXHIBIT_MIMETYPE}, {SECTION_MIMETYPE}, {TABLE_MIMETYPE}, {WHAT_IF_MIMETYPE})} | {
    frozenset({"text/html", "text/markdown"})}
#: The only HTML this module emits besides prose (`table`): a table of escaped text cells.
TABLE_HTML = re.compile(r'<table class="data mathjax_ignore tex2jax_ignore">'
                        r'<thead><tr>(<th>[^<>]*</th>)*</tr></thead><tbody>'
                        r'(<tr>(<td class="(num|text)">[^<>]*</td>)*</tr>)*</tbody></table>')

def emitted(output) -> bool:
    """Whether a notebook output is of a kind this module emits (or a plain text stream): the report shows no other
    output, and the execution cache keeps no notebook holding one (a planted script or style is never shown)."""
    if output.get("output_type") == "stream":
        return isinstance(output.get("text"), str)
    data = output.get("data", {})
    return (output.get("output_type") == "display_data" and frozenset(data) in EMITTED
            and all(isinstance(data[kind], str) for kind in ("text/plain", "text/html", "text/markdown")
                    if kind in data)
            and ("text/html" not in data or _own_html(data))
            and (EXHIBIT_MIMETYPE not in data or _own_exhibit(data)))


def _own_html(data: dict) -> bool:
    """Whether an output's HTML is what `say` (its markdown through PROSE, which escapes any HTML) or `table` writes."""
    if "text/markdown" in data:
        return data["text/html"] == f'<div class="{NO_MATHS}">{PROSE(data["text/markdown"])}</div>'
    return TABLE_HTML.fullmatch(data["text/html"]) is not None


def _own_exhibit(data: dict) -> bool:
    """Whether an output's EXHIBIT_MIMETYPE entry has the shape `show_chart` (a chart's) or `table` writes."""
    entry = data[EXHIBIT_MIMETYPE]
    if VEGALITE_MIMETYPE in data:
        return isinstance(entry, dict) and entry.keys() == {"headline"} and isinstance(entry["headline"], bool)
    rows = entry.get("rows") if isinstance(entry, dict) and entry.keys() == {"rows"} else None
    return isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0


def chart_bundle(chart: alt.TopLevelMixin, description: str | None = None, headline: bool = False) -> dict:
    """Mime bundle of a chart: the Vega-Lite spec (JupyterLab and the report draw it), a PNG for static viewers (unless
    `images.wanted()` says none is), a text description (also the spec's `description`, which Vega exposes as the
    chart's ARIA label) and whether it is a headline chart (EXHIBIT_MIMETYPE: the page lifts it to the first screen)."""
    spec = chart_spec(chart, description)
    png = {"image/png": base64.b64encode(images.png_of(spec)).decode("ascii")} if images.wanted() else {}
    spec["$schema"] = VEGALITE_SCHEMA
    return {VEGALITE_MIMETYPE: spec, **png, EXHIBIT_MIMETYPE: {"headline": headline},
            "text/plain": f"Chart: {spec['description']}"}


def chart_spec(chart: alt.TopLevelMixin, description: str | None = None) -> dict:
    """A chart's Vega-Lite spec with the report's style (CHART_CONFIG) and a text description (`description`, then a
    summary of its axes, series and ranges).

    The spec is not validated here: altair's schema validation costs about as much as the rest of the spec, for every
    chart of every build; tests/test_present.py validates every chart the report's sections draw. Its data are
    converted by `chart_data.values` (altair's default transformer's output, for less)."""
    from analysis.views import chart_data       # altair is loaded: a chart is here
    spec = chart_data.to_dict(chart)
    config = spec.setdefault("config", {})
    config.setdefault("view", {})["continuousHeight"] = CHART_HEIGHT
    config.update(CHART_CONFIG)          # each entry replaced whole, as altair's configure_axis & co. replace theirs
    spec["description"] = " ".join(filter(None, [description or spec.get("description"), describe(spec)]))
    return _dash_swatches(spec)


#: The stroke of a line-style legend's symbols: such a legend has no colour of its own, and on lines drawn with
#: points Vega-Lite gives its symbols none (they would show no swatch). Altair's schema has no legend `encode`, which
#: Vega-Lite compiles, so it is set on the spec.
DASH_SWATCH = {"symbols": {"update": {"stroke": {"value": "#1d2430"}}}}


def _dash_swatches(spec: dict) -> dict:
    """`spec` with every strokeDash legend drawing its symbols with DASH_SWATCH's stroke (in every layer)."""
    for view in [spec, *spec.get("layer", [])]:
        channel = view.get("encoding", {}).get("strokeDash")
        if isinstance(channel, dict) and channel.get("legend", {}) is not None:
            channel["legend"] = {**channel.get("legend", {}), "encode": DASH_SWATCH}
    return spec


def show_chart(chart: alt.TopLevelMixin, description: str | None = None, headline: bool = False) -> None:
    """Display a chart in the notebook (and, through the report builder, interactively in the report: on its first
    screen if `headline`).

    `description` is an optional sentence on what the chart shows; a summary of its axes, series and ranges follows.
    """
    display(chart_bundle(chart, description, headline), raw=True)


def say(text: str) -> None:
    """Display prose that quotes computed values. JupyterLab typesets markdown and HTML outputs with MathJax, so
    "$3.2B ($2.0B–$5.1B)" would render as a formula: it is shown from HTML that MathJax is told to leave alone
    (PROSE's safe subset of markdown), with the markdown (dollars escaped) for the report and other viewers."""
    markdown = no_maths(text)
    display({"text/html": f'<div class="{NO_MATHS}">{PROSE(markdown)}</div>', "text/markdown": markdown}, raw=True)


def no_maths(text: str) -> str:
    """Markdown with every unescaped dollar sign escaped (\\$), which markdown renderers show as a dollar sign."""
    return UNESCAPED_DOLLAR.sub(r"\\$", text)


def table(frame: pd.DataFrame, units: dict[str, str], labels: dict[str, str] | None = None) -> None:
    """Display frame with the given columns formatted in their units and renamed by `labels` (no index column).

    A unit of "row" formats that column by the frame's own `unit` column (for tables that mix units by row); that
    column shows human unit labels, and booleans show as yes/no. Formatted and numeric columns are right-aligned,
    text left-aligned. Its number of body rows is declared beside it (EXHIBIT_MIMETYPE), for the page.
    The cells are formatted column by column as plain lists (a pandas column assignment per column and `iterrows`
    cost about two thirds of a table's time); the text form is pandas' (`text_table`).
    """
    labels = labels or {}
    numeric = set(units) | {c for c in frame.columns
                            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])}
    row_units = list(frame["unit"]) if "unit" in frame.columns else []
    columns = []
    for name in frame.columns:
        values = list(frame[name])
        if name in units:
            cell_units = row_units if units[name] == "row" else [units[name]] * len(values)
            values = [fmt(v, u) for v, u in zip(values, cell_units)]
        values = [yes_no(v) if isinstance(v, (bool, np.bool_)) else v for v in values]
        if name == "unit":
            values = [unit_label(u) if isinstance(u, str) else u for u in values]
        if name in numeric and name not in units:       # a number without a unit: at most 4 significant digits
            values = [fmt(v, "number") for v in values]
        columns.append([_cell_text(v) for v in values])
    names = [labels.get(c, c) for c in frame.columns]
    classes = ["num" if name in numeric else "text" for name in frame.columns]
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in names)
    body = "".join("<tr>" + "".join(f'<td class="{kind}">{html.escape(column[i])}</td>'
                                    for kind, column in zip(classes, columns)) + "</tr>" for i in range(len(frame)))
    text = text_table(names, columns)
    display({"text/html": f'<table class="data {NO_MATHS}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
             EXHIBIT_MIMETYPE: {"rows": len(frame)}, "text/plain": text}, raw=True)


def text_table(names: list[str], columns: list[list[str]]) -> str:
    """pandas' `DataFrame.to_string(index=False)` of these text columns under these names, spelled out for the
    tables the sections show (a DataFrame built and formatted for its text alone was half of `table`'s time): each
    cell and heading right-justified to the widest of its column, the columns joined by a space. What this does not
    spell out goes to pandas: no rows or no columns, a heading that is not text, a tab, carriage return or newline
    (pandas escapes them), East-Asian widths, a heading justification other than pandas' default."""
    spelled_out = (columns and columns[0] and all(isinstance(name, str) for name in names)
                   and not any(c in text for text in [*names, *(t for column in columns for t in column)]
                               for c in "\t\r\n")
                   and not pd.get_option("display.unicode.east_asian_width")
                   and pd.get_option("display.colheader_justify") == "right")
    if not spelled_out:
        return pd.DataFrame(dict(enumerate(columns))).set_axis(names, axis=1).to_string(index=False)
    widths = [max(len(name), *map(len, column)) for name, column in zip(names, columns)]
    lines = [names, *zip(*columns)]
    return "\n".join(" ".join(text.rjust(width) for text, width in zip(line, widths)) for line in lines)


def _cell_text(value: Any) -> str:
    """A table cell's text: "n/a" where the value is missing (as pandas' `fillna` sees it), else the value as text."""
    return "n/a" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def publish(section: str, results: list[dict], source_ids: set[str]) -> None:
    """Display the section's headline results and the sources behind them; the report builder collects this."""
    def defined(result):   # JSON has no NaN or infinity: an undefined number is null, shown as its `undefined` text
        return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in result.items()}
    results = [defined(r) for r in results]
    payload = {"section": section, "results": results, "sources": sorted(source_ids)}
    lines = [f"{r['label']}: {fmt(r['value'], r['unit'], r.get('undefined', 'n/a'))}" for r in results]
    lines.append(f"Sources: {len(payload['sources'])}")
    display({SECTION_MIMETYPE: payload, "text/plain": "\n".join(lines)}, raw=True)


def sources_of(*frames: pd.DataFrame) -> set[str]:
    """Source ids of every row shown or used."""
    ids: set[str] = set()
    for frame in frames:
        ids.update(frame["source_id"].dropna())
    return ids


def publish_table(name: str, frame: pd.DataFrame, description: str, title: str | None = None) -> None:
    """Publish a named data table: the report writes it to data/NAME.csv and lists it in data/index.csv (title
    defaults to the name in words). A missing or infinite number (e.g. a year that never comes) is an empty cell."""
    if not TABLE_NAME.fullmatch(name):
        raise ValueError(f"data table name {name!r}: use lower-case letters, digits, '_' and '-'")
    columns = [_json_column(column) for _, column in frame.items()]
    payload = {"name": name, "title": title or name.replace("_", " ").capitalize(), "description": description,
               "columns": [str(c) for c in frame.columns],
               "rows": [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]}
    display({TABLE_MIMETYPE: payload,
             "text/plain": f"Data table {name}.csv ({len(frame)} rows x {len(frame.columns)} columns): {description}"},
            raw=True)


def _json_column(column: pd.Series) -> list:
    """A column's cells as JSON values: a missing or infinite number as None (JSON has no NaN or infinity: an empty
    cell), numpy scalars as Python ones, timestamps as ISO text. A numpy integer, boolean or float column is read
    with numpy (only a float can be missing or infinite), any other as pandas sees missing values; column by column
    rather than over the frame (its `apply`, `where` and `itertuples` took about four times as long)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iubf":
        values = column.to_numpy()
        keep = np.isfinite(values).tolist() if column.dtype.kind == "f" else [True] * len(values)
        return [value if kept else None for value, kept in zip(values.tolist(), keep)]
    keep = (column.notna() & ~column.isin([np.inf, -np.inf])).tolist()
    return [_plain(value) if kept else None for value, kept in zip(column.astype(object).tolist(), keep)]


def payback_text(months: float, life_years: float) -> str:
    """A payback month for readers: "not within life" when it is missing or not before the end of the life."""
    if months is None or not math.isfinite(months) or months >= life_years * 12:
        return "not within life"
    return fmt(months, "months")


def fitted_y_domain(spec: dict, rows: pd.DataFrame) -> dict:
    """`spec` with its y scale fitted to the y values of `rows` (the lines it shows: the chosen values' and the
    defaults'), so that the lines fill the plot; page.js refits it the same way at every choice."""
    view = next(v for v in [spec, *spec.get("layer", [])] if "y" in v.get("encoding", {}))
    y = view["encoding"]["y"]
    values = pd.to_numeric(rows[y["field"]], errors="coerce")
    values = values[np.isfinite(values)]
    if len(values):
        y["scale"] = {**y.get("scale", {}), "domain": [float(values.min()), float(values.max())], "nice": True,
                      "zero": False}
    return spec


def _plain(value):
    """A cell as a JSON value (numpy scalars to Python, timestamps to ISO text)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _set_text(value) -> str:
    return shlex.quote(str(value))


def publish_what_if(name: str, title: str, description: str, axes: dict[str, list], schema: dict, values: Params,
                    points: pd.DataFrame, outputs: dict[str, tuple[str, str]], x: str,
                    chart_of: Callable[[pd.DataFrame], alt.TopLevelMixin], lines: pd.DataFrame | None = None,
                    series: str | None = None, within_life: dict[str, str] | None = None,
                    shown: dict[str, tuple[str, list[str]]] | None = None) -> None:
    """Publish a what-if grid computed by the model: the report shows one control per parameter in `axes` (its
    grid values), the `outputs` (column: (label, unit)) of the selected grid point (one row per `series` value),
    a chart and the `--set` line that rebuilds the view as a full report. The page only looks grid points up.

    `points` has one row per grid point (and series value); `lines` (default: `points`) holds the chart's rows,
    shown where every control but the chart's `x` field matches; `chart_of(lines at the run's values)` draws
    them. `values` is the run's parameter set: controls start at its values, and its other differences from the
    defaults enter the `--set` line. `within_life` maps an output in months (a payback) to the column of `points`
    holding the asset's life in years: a value missing or not before the end of life reads "not within life".
    `shown` maps a control to the label and per-value texts a reader reads instead of its schema title and
    formatted values (e.g. capex growth "×1.25" with the 2030 capex it gives). The chart's y axis fits the lines
    shown (the chosen values' and the defaults'), refitted at every choice. The payload
    is compact: `rows` are lists (the `columns` of `points`, then the formatted text of each output), `lines`
    columns and rows."""
    if not TABLE_NAME.fullmatch(name):
        raise ValueError(f"what-if name {name!r}: use lower-case letters, digits, '_' and '-'")
    own = lines is None
    if lines is None:
        lines = points
    match = [n for n in axes if n != x]

    def at(chosen) -> pd.DataFrame:
        return lines[(lines[match] == pd.Series({n: chosen[n] for n in match})).all(axis=1)]
    initial = at(values)
    defaults = at({n: schema[n].default for n in match})
    spec = fitted_y_domain(chart_spec(chart_of(initial)), pd.concat([initial, defaults]))
    shown = shown or {}
    controls = [{"name": n, "label": shown.get(n, (schema[n].title, None))[0],
                 "unit": "" if n in shown or schema[n].unit in UNIT_FORMATS else unit_label(schema[n].unit),
                 "values": list(v),
                 "labels": shown[n][1] if n in shown else [fmt(value, schema[n].unit) for value in v],
                 "set": [_set_text(value) for value in v],
                 "default": schema[n].default, "value": values[n]} for n, v in axes.items()]

    def cells(frame, digits=None):   # rows as lists; JSON has no NaN or infinity: those become null (shown n/a)
        return [[None if isinstance(v, float) and not math.isfinite(v) else
                 float(f"{v:.{digits}g}") if digits and isinstance(v, float) else v for v in map(_plain, row)]
                for row in frame.itertuples(index=False)]

    life = within_life or {}
    texts = [[payback_text(v, years) if c in life else fmt(v, unit)
              for v, years in zip(points[c], points[life[c]] if c in life else points[c])]
             for c, (_, unit) in outputs.items()]
    rows = [row + [t[i] for t in texts] for i, row in enumerate(cells(points))]
    base = [f"--set {n}={_set_text(v)}" for n, v in sorted(values.items())
            if n in schema and n not in axes and v != schema[n].default]
    payload = {"name": name, "title": title, "description": description, "controls": controls, "series": series,
               "columns": [str(c) for c in points.columns],
               "outputs": [{"column": c, "label": label, "unit": unit} for c, (label, unit) in outputs.items()],
               "rows": rows, "x": x, "chart": spec,
               "lines": None if own else {"columns": [str(c) for c in lines.columns],
                                          "rows": cells(lines, CHART_DIGITS)},
               "command": " ".join([f".venv/bin/python -m analysis run --out {WHAT_IF_OUT}", *base])}
    display({WHAT_IF_MIMETYPE: payload,
             "text/plain": f"What-if: {title}. Controls: {', '.join(axes)}; {len(points)} grid rows computed by the "
                           "model (interactive in the report, index.html)."}, raw=True)
