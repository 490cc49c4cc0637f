"""The one parameter schema: every assumption is a named, typed, bounded parameter with a source.

The schema lives in data/parameters.csv (validated and checksummed like every data file).
Notebooks, the CLI and scenario files all go through `resolve()`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from analysis.data import Dataset, load_dataset
from analysis.errors import ParameterError

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
#: Rules across parameters: (names, test on their values, what is expected).
CONSTRAINTS = (
    (("on_demand_usage_share", "capacity_block_usage_share"), lambda a, b: a + b <= 1, "their sum must not exceed 1"),
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of the schema."""

    name: str
    type: str
    unit: str
    default: object
    minimum: float | None
    maximum: float | None
    choices: tuple
    description: str
    rationale: str
    source_id: str
    confidence: str
    low: float | None = None
    high: float | None = None
    distribution: str = "fixed"
    label: str = ""

    @property
    def title(self) -> str:
        """A short human name for tables and charts (the `label` column; the name where none is given)."""
        return self.label or self.name

    def allowed(self) -> str:
        """Human-readable statement of the allowed values."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.type == "quarter":
            return "a calendar quarter YYYYQn, e.g. 2023Q3"
        kind = "an integer" if self.type == "int" else "a finite number"
        return f"{kind} in [{self.minimum:g}, {self.maximum:g}] {self.unit}"

    def coerce(self, value):
        """Return the value in this parameter's type, or raise ParameterError."""
        bad = ParameterError(f"parameter '{self.name}': got {value!r}; expected {self.allowed()}")
        if self.type in ("float", "int"):
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                try:
                    value = int(value) if self.type == "int" else float(value)
                except ValueError:
                    raise bad from None
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise bad
            if self.type == "int" and value != int(value):
                raise bad
            if not self.minimum <= value <= self.maximum:
                raise bad
            return int(value) if self.type == "int" else float(value)
        if not isinstance(value, str):
            raise bad
        if self.type == "date":
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise bad from None
        if self.type == "quarter":
            if not QUARTER_PATTERN.match(value):
                raise bad
            return value
        if self.choices and value not in self.choices:
            raise bad
        return value


def _parse_bound(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def schema(dataset: Dataset | None = None) -> dict[str, Parameter]:
    """All parameters by name, read from data/parameters.csv."""
    table = (dataset or load_dataset())["parameters"]
    params = {}
    for row in table.itertuples(index=False):
        choices = tuple(c for c in row.choices.split("|") if c)
        param = Parameter(row.name, row.type, row.unit, None, _parse_bound(row.min), _parse_bound(row.max),
                          choices, row.description, row.rationale, row.source_id, row.confidence,
                          _parse_bound(row.low), _parse_bound(row.high), row.distribution, row.label)
        try:
            default = param.coerce(row.default)
        except ParameterError as exc:
            raise ParameterError(f"data/parameters.csv: default of {exc}") from None
        params[row.name] = Parameter(**{**param.__dict__, "default": default})
    return params


def resolve(overrides: dict | None = None, dataset: Dataset | None = None) -> dict:
    """Defaults updated with validated overrides; an unknown name or a bad value raises ParameterError."""
    params = schema(dataset)
    values = {name: p.default for name, p in params.items()}
    for name, value in (overrides or {}).items():
        if name not in params:
            raise ParameterError(f"unknown parameter '{name}'; known parameters: {', '.join(sorted(params))}")
        values[name] = params[name].coerce(value)
    for names, holds, expected in CONSTRAINTS:
        if not holds(*(values[n] for n in names)):
            shown = ", ".join(f"{n}={values[n]!r}" for n in names)
            raise ParameterError(f"parameters {shown}: {expected}")
    return values


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """Turn CLI `key=value` strings into a dict (values stay text until `resolve` types them)."""
    parsed = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set expects key=value, got {item!r}")
        parsed[name.strip()] = value.strip()
    return parsed


def quarter_of(date: str) -> str:
    """Calendar quarter label YYYYQn of an ISO date."""
    day = dt.date.fromisoformat(date)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def resolve_declared(namespace: dict, dataset: Dataset | None = None) -> dict:
    """The validated parameter set of a notebook: every schema parameter defined in `namespace` (the notebook's
    globals after its `parameters` cell) overrides its default, through the same checks as the CLI."""
    names = schema(dataset)
    return resolve({name: namespace[name] for name in names if name in namespace}, dataset)
