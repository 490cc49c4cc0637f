"""What a section shows, as values: prose, tables, charts, data tables, what-if grids and its headline numbers.

A section's parts are lists of exhibits (built in `analysis.sections`); a notebook shows them with `show`, which hands
each one to `analysis.views.present` (the display protocol the report page reads)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.views import present

if TYPE_CHECKING:
    import altair as alt


@dataclass(frozen=True)
class Text:
    """Prose that quotes computed values (markdown: paragraphs, emphasis and code only)."""
    markdown: str

    def show(self) -> None:
        present.say(self.markdown)


@dataclass(frozen=True)
class Table:
    """A formatted table: `units` maps a column to its unit code, `labels` a column to its heading."""
    frame: pd.DataFrame
    units: dict[str, str]
    labels: dict[str, str] | None = None

    def show(self) -> None:
        present.table(self.frame, self.units, self.labels)


@dataclass(frozen=True)
class Chart:
    """An altair chart (interactive in the page, a PNG with a text description in the notebook); a `headline` chart
    goes on the page's first screen."""
    chart: alt.TopLevelMixin
    description: str | None = None
    headline: bool = False

    def show(self) -> None:
        present.show_chart(self.chart, self.description, self.headline)


@dataclass(frozen=True)
class DataTable:
    """A named table the report writes to data/NAME.csv."""
    name: str
    frame: pd.DataFrame
    description: str
    title: str | None = None

    def show(self) -> None:
        present.publish_table(self.name, self.frame, self.description, self.title)


@dataclass(frozen=True)
class WhatIf:
    """A what-if grid computed by the model (see `present.publish_what_if` for the arguments)."""
    arguments: dict[str, Any]

    def show(self) -> None:
        present.publish_what_if(**self.arguments)


@dataclass(frozen=True)
class Headline:
    """One headline result: a number (or text) with its unit and, where it has one, its 5th-95th percentile
    `interval` (either end may be undefined); `details` holds what else a result row carries (its year, an
    outcome and scores, ...); `period` the first and last year it covers (one year: both the same), where known: a
    key names a role, never a year, and the row's `period` says which years."""
    key: str
    label: str
    value: Any
    unit: str
    interval: tuple[float | None, float | None] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    period: tuple[int, int] | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Headline:
        interval = (item.get("p5"), item.get("p95")) if "p5" in item or "p95" in item else None
        period = item.get("period")
        return cls(item["key"], item["label"], item["value"], item["unit"], interval,
                   {k: v for k, v in item.items() if k not in {"key", "label", "value", "unit", "p5", "p95", "period"}},
                   None if period is None else (int(period[0]), int(period[1])))

    def as_dict(self) -> dict[str, Any]:
        """The result row as the report's results.json holds it."""
        interval = {} if self.interval is None else {"p5": self.interval[0], "p95": self.interval[1]}
        period = {} if self.period is None else {"period": list(self.period)}
        return {"key": self.key, "label": self.label, "value": self.value, "unit": self.unit, **interval, **period,
                **self.details}


@dataclass(frozen=True)
class Headlines:
    """A group of headline results with the sources they rest on, published under `section` in results.json."""
    section: str
    items: tuple[Headline, ...]
    sources: frozenset[str]

    def show(self) -> None:
        present.publish(self.section, [h.as_dict() for h in self.items], set(self.sources))


Exhibit = Text | Table | Chart | DataTable | WhatIf | Headlines


class Collector:
    """Collects a part's exhibits in order, with the call forms of `present` (say, table, chart, ...); the charts of a
    part its section declares headline charts (`Section.headline_charts`) are collected as such."""

    def __init__(self, headline_charts: bool = False) -> None:
        self.exhibits: list[Exhibit] = []
        self.headline_charts = headline_charts

    def say(self, markdown: str) -> None:
        self.exhibits.append(Text(markdown))

    def table(self, frame: pd.DataFrame, units: dict[str, str], labels: dict[str, str] | None = None) -> None:
        self.exhibits.append(Table(frame, units, labels))

    def chart(self, chart: alt.TopLevelMixin, description: str | None = None) -> None:
        self.exhibits.append(Chart(chart, description, self.headline_charts))

    def data_table(self, name: str, frame: pd.DataFrame, description: str, title: str | None = None) -> None:
        self.exhibits.append(DataTable(name, frame, description, title))

    def what_if(self, **arguments: Any) -> None:
        self.exhibits.append(WhatIf(arguments))

    def publish(self, section: str, items: Iterable[Headline], sources: set[str]) -> None:
        """Publish headline results (`Headline`s, made where the numbers are)."""
        self.exhibits.append(Headlines(section, tuple(items), frozenset(sources)))


def show(exhibits: list[Exhibit]) -> None:
    """Display exhibits in order (in a notebook)."""
    for exhibit in exhibits:
        exhibit.show()

