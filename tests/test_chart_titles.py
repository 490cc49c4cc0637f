"""Every chart of the committed notebooks states a takeaway written from its data: no "Highest: ..." label, whole
years, and a chart of several series names at least two of them (not only the first)."""
from __future__ import annotations

import re

import nbformat
import pandas as pd

from analysis.pipeline.runner import notebook_paths
from analysis.views import takeaways
from analysis.views.chart_text import _views, chart_title
from analysis.views.present import VEGALITE_MIMETYPE

SERIES_CHANNELS = ("color", "strokeDash")
FRACTIONAL_YEAR = re.compile(r"\b(19|20)\d\d\.\d")


def _specs():
    for path in notebook_paths():
        for cell in nbformat.read(str(path), as_version=4).cells:
            for output in cell.get("outputs", []):
                if VEGALITE_MIMETYPE in output.get("data", {}):
                    yield path.name, output["data"][VEGALITE_MIMETYPE]


def _series(spec: dict) -> list[list[str]]:
    """The values of each nominal series channel (colour, dash) that the chart's data hold, where there are two or
    more (a channel computed by a transform, like a band's legend entry, holds none)."""
    found = []
    for _, encoding, name in _views(spec):
        rows = spec.get("datasets", {}).get(name, [])
        for channel in SERIES_CHANNELS:
            field = encoding.get(channel, {}).get("field") if isinstance(encoding.get(channel), dict) else None
            if field and encoding[channel].get("type") == "nominal":
                values = list(dict.fromkeys(str(r[field]) for r in rows if r.get(field) is not None))
                if len(values) > 1:
                    found.append(values)
    return found


def test_every_chart_title_is_a_takeaway_that_names_the_series_it_compares():
    specs = list(_specs())
    assert len(specs) >= 20
    several = 0
    for notebook, spec in specs:
        title = chart_title(spec)
        assert title and not title.startswith("Highest"), (notebook, title)
        assert not FRACTIONAL_YEAR.search(title), (notebook, title)
        for values in _series(spec):
            several += 1
            assert sum(v in title for v in values) >= 2, (notebook, title, values)
    assert several >= 10


def test_takeaway_rules_compare_series_and_read_whole_years():
    lines = pd.DataFrame({"year": [2023.5, 2024.5, 2023.5, 2024.5], "price": [12.3, 8.0, 5.0, 4.0],
                          "series": ["list", "list", "market", "market"]})
    title = takeaways.trend(lines, "year", "price", "series", "USD per hour", ",.3~g", x_format=",.3~g", x_title="Year")
    assert title == "In 2024, list is highest at 8, down from 12.3 in 2023; market lowest at 4 (USD per hour)"
    one = takeaways.trend(lines[lines["series"] == "list"], "year", "price", "series", "USD per hour", ",.3~g",
                       x_format=",.3~g", x_title="Year")
    assert one == "list: fell from 12.3 in 2023 to 8 in 2024 (USD per hour)"
    bars = pd.DataFrame({"quarter": ["2025Q3", "2025Q4"] * 2, "n": [1, 5, 2, 3], "vendor": ["Nvidia"] * 2 + ["Amazon"] * 2})
    assert takeaways.compared_bars(bars, "quarter", "vendor", "n", "count", ",.0f", over_time=True) == \
        "In 2025Q4: Nvidia at 5 and Amazon at 3 (count)"
    assert takeaways.compared_bars(bars.assign(quarter=["a", "b", "a", "b"]), "quarter", "vendor", "n", "count", ",.0f",
                                over_time=False) == "b is highest: Nvidia at 5 and Amazon at 3 (count)"


def test_every_dash_legend_draws_a_swatch():
    """A legend of line styles gives its symbols a stroke colour (on lines with points Vega-Lite draws none)."""
    dashed = [enc["strokeDash"] for _, spec in _specs() for _, enc, _ in _views(spec)
              if isinstance(enc.get("strokeDash"), dict) and enc["strokeDash"].get("legend") is not None]
    assert dashed
    for channel in dashed:
        assert channel["legend"]["encode"]["symbols"]["update"]["stroke"]["value"], channel
