"""How notebooks show things: charts (static SVG + interactive spec), formatted tables, prose, and the section bundle.

Every output is deterministic, so strict nbval compares the numbers themselves.
"""
from __future__ import annotations

import hashlib
import html
import json

import altair as alt
import pandas as pd
import vl_convert
from IPython.display import Markdown, display

CHART_MIMETYPE = "application/vnd.awsaccel.vegalite+json"
SECTION_MIMETYPE = "application/vnd.awsaccel.section+json"


def _money(template: str):
    """Formatter for a money unit: the sign goes before the dollar sign (-$22.4B, not $-22.4B)."""
    return lambda v: ("-" if v < 0 else "") + template.format(abs(v))


UNIT_FORMATS = {
    "USD_million": _money("${:,.0f}M"),
    "USD_billion": _money("${:,.1f}B"),
    "number": lambda v: f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}",
    "year": lambda v: f"{v:.0f}",
    "USD": _money("${:,.0f}"),
    "USD_per_hour": _money("${:,.2f}/h"),
    "count": lambda v: f"{v:,.0f}",
    "MW": lambda v: f"{v:,.0f} MW",
    "fraction": lambda v: f"{v:.1%}",
    "percent": lambda v: f"{v:.1f}%",
    "years": lambda v: f"{v:.2f} years",
    "months": lambda v: f"{v:.1f} months",
}


def fmt(value, unit: str) -> str:
    """A value in its unit, formatted for prose and tables."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "n/a"
    formatter = UNIT_FORMATS.get(unit)
    return formatter(value) if formatter else f"{value:,.4g} {unit}"


def chart_bundle(chart: alt.TopLevelMixin) -> dict:
    """Mime bundle of a chart: SVG for notebook readers, the Vega-Lite spec for the interactive report."""
    spec = chart.configure_legend(orient="bottom", labelLimit=0, columns=2).to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    return {"image/svg+xml": svg, CHART_MIMETYPE: {"id": f"chart-{digest}", "spec": spec},
            "text/plain": f"<chart {digest}: {title}>"}


def show_chart(chart: alt.TopLevelMixin) -> None:
    """Display a chart in the notebook (and, through the report builder, interactively in the report)."""
    display(chart_bundle(chart), raw=True)


def say(text: str) -> None:
    """Display prose that quotes computed values."""
    display(Markdown(text))


def table(frame: pd.DataFrame, units: dict[str, str], labels: dict[str, str] | None = None) -> None:
    """Display frame with the given columns formatted in their units and renamed by `labels` (no index column).

    A unit of "row" formats that column by the frame's own `unit` column (for tables that mix units by row).
    Formatted and numeric columns are right-aligned, text left-aligned.
    """
    out = frame.copy()
    for column, unit in units.items():
        row_units = out["unit"] if unit == "row" else [unit] * len(out)
        out[column] = [fmt(v, u) for v, u in zip(out[column], row_units)]
    numeric = set(units) | {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    out = out.rename(columns=labels or {})
    numeric = {(labels or {}).get(c, c) for c in numeric}
    out = out.fillna("n/a").astype(str)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in out.columns)
    body = "".join("<tr>" + "".join(f'<td class="{"num" if c in numeric else "text"}">{html.escape(v)}</td>'
                                    for c, v in row.items()) + "</tr>" for _, row in out.iterrows())
    display({"text/html": f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
             "text/plain": out.to_string(index=False)}, raw=True)


def publish(section: str, results: list[dict], source_ids: set[str]) -> None:
    """Display the section's headline results and the sources behind them; the report builder collects this."""
    payload = {"section": section, "results": results, "sources": sorted(source_ids)}
    lines = [f"{r['label']}: {fmt(r['value'], r['unit'])}" for r in results]
    lines.append(f"Sources: {len(payload['sources'])}")
    display({SECTION_MIMETYPE: payload, "text/plain": "\n".join(lines)}, raw=True)


def sources_of(*frames: pd.DataFrame) -> set[str]:
    """Source ids of every row shown or used."""
    ids = set()
    for frame in frames:
        ids.update(frame["source_id"].dropna())
    return ids
