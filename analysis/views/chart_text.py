"""What a chart says in words, read from its Vega-Lite spec: its title, name and subtitle lines, the data behind it
as a table, and a text alternative for readers who do not see it (`describe`)."""
from __future__ import annotations

def chart_title(spec: dict) -> str:
    """The title text of a chart spec."""
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else title


def chart_name(spec: dict) -> str:
    """What a chart shows, in a few words (its data file is named after it): under a takeaway title
    (analysis.views.charts) the first subtitle line, else the title."""
    notes = chart_subtitle(spec)
    return notes[0] if len(notes) >= 2 else chart_title(spec)


def chart_subtitle(spec: dict) -> list[str]:
    """The subtitle lines of a chart spec (what it shows, its source)."""
    title = spec.get("title")
    return list(title.get("subtitle", [])) if isinstance(title, dict) else []


def _views(spec: dict, data: str | None = None):
    """(mark type, encoding, dataset name) of every single view of a (possibly layered) spec, in drawing order."""
    data = spec.get("data", {}).get("name", data)
    if "layer" in spec:
        for layer in spec["layer"]:
            yield from _views(layer, data)
    else:
        mark = spec["mark"]
        yield (mark["type"] if isinstance(mark, dict) else mark), spec.get("encoding", {}), data


def chart_data(spec: dict) -> tuple[list[str], list[list]]:
    """The data behind a chart as columns and rows; data of several layers gets a leading `layer` column."""
    first_use: dict[str, str] = {}
    for mark, _, name in _views(spec):
        if name is not None:
            first_use.setdefault(name, mark)
    layered = len(first_use) > 1
    parts = [(f"{mark} {i}", spec["datasets"][name]) for i, (name, mark) in enumerate(first_use.items(), 1)]
    fields = list(dict.fromkeys(key for _, records in parts for record in records for key in record))
    rows = [([layer] if layered else []) + [record.get(f) for f in fields]
            for layer, records in parts for record in records]
    return (["layer", *fields] if layered else fields), rows


SERIES_CHANNELS = {"color": "Series", "strokeDash": "Line styles"}


CHART_KINDS = {"line": "Line chart", "bar": "Bar chart", "rect": "Heat map", "area": "Band chart", "point": "Dot chart"}


def _d3(value, pattern: str | None, field: str = "") -> str:
    """A number in the chart's own d3 format where Python reads it the same way (",.0f", ".0%", ",.3~g"); years
    (a field named like "year") to a tenth, without a thousands separator."""
    if pattern:
        try:
            return format(value, pattern.replace("~", ""))
        except (TypeError, ValueError):
            pass
    if "year" in field.lower():
        return f"{value:.1f}".removesuffix(".0")
    if float(value).is_integer() and abs(value) < 10_000:
        return str(int(value))
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _channel_phrase(channel: dict, rows: list[dict], end_field: str | None = None) -> str:
    """A channel's title with its range or values in the data: "USD bn (1.2 to 30.4)", "Calendar year (2022 to
    2030)", "metric (gross, net)"; a channel titled None (an untitled legend) shows its values only. A quantitative
    range spans `end_field` too (the x2/y2 end of bars and bands)."""
    field = channel.get("field")
    title = channel.get("title", field)
    if channel.get("type") == "quantitative":
        values = [r[f] for r in rows for f in (field, end_field) if f and isinstance(r.get(f), (int, float))]
        pattern = (channel.get("format") or channel.get("axis", {}).get("format")
                   or channel.get("legend", {}).get("format"))
        ends = [_d3(end, pattern, field or "") for end in (min(values), max(values))] if values else []
        shown = " to ".join(ends)
    else:
        values = list(dict.fromkeys(r.get(field) for r in rows if r.get(field) is not None))
        if channel.get("type") == "ordinal" and len(values) > 2:
            shown = f"{values[0]} to {values[-1]}"
        else:
            separator = "; " if any("," in str(v) for v in values) else ", "
            shown = separator.join(map(str, values[:6])) + (f" and {len(values) - 6} more" if len(values) > 6 else "")
    if title is None:
        return shown
    return f"{title} ({shown})" if shown else title


def describe(spec: dict) -> str:
    """A text alternative for a chart spec: kind, measured quantity and its range, axes, series, and source note."""
    mark, enc, name = next(view for view in _views(spec) if {"x", "y"} <= set(view[1]))
    rows = spec.get("datasets", {}).get(name, [])
    channels = {k: v for k, v in enc.items() if isinstance(v, dict)}
    quantitative = [k for k in ("y", "x", "color") if channels.get(k, {}).get("type") == "quantitative"]
    measure = quantitative[0] if quantitative else "y"
    others = [k for k in ("x", "y") if k != measure]
    measured = _channel_phrase(channels[measure], rows, enc.get(measure + "2", {}).get("field"))
    text = (f"{CHART_KINDS.get(mark, mark.capitalize() + ' chart')} of {measured} by "
            + " and ".join(_channel_phrase(channels[k], rows) for k in others))
    for key, name in SERIES_CHANNELS.items():
        if key in channels and key != measure:
            text += f". {name}: {_channel_phrase(channels[key], rows)}"
    return ". ".join(filter(None, [chart_title(spec), text, *chart_subtitle(spec)])) + "."
