"""The one parameter schema: every assumption is a named, typed, bounded parameter with a source.

The schema lives in data/parameters.csv (validated and checksummed like every data file).
Notebooks, the CLI and scenario files all go through `resolve()`.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass

from analysis.data import Dataset, load_dataset, shorten
from analysis.errors import DataError, ParameterError
from analysis.data.memo import per_dataset

QUARTER_PATTERN = re.compile(r"(\d{4})Q([1-4])", re.ASCII)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: Numbers as text: ASCII digits only (no Unicode digits, no `10_000`), at most MAX_NUMBER_TEXT characters.
INT_PATTERN = re.compile(r"[+-]?\d+", re.ASCII)
FLOAT_PATTERN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
MAX_NUMBER_TEXT = 40
#: Rules across parameters: (names, test on their values, what is expected).
CONSTRAINTS = (
    (("on_demand_usage_share", "capacity_block_usage_share"), lambda a, b: a + b <= 1, "their sum must not exceed 1"),
    (("nvaie_usd_per_gpu_year",), lambda price: price > 0,
     "must be above 0 (the licensed-GPU count divides Nvidia's software run rate by it)"),
)


def _quarters_with_amazon_capex(dataset: Dataset) -> list[str]:
    fin = dataset["financials"]
    rows = fin[(fin["company"] == "Amazon") & (fin["metric"] == "capex_gross") & fin["fiscal_period"].str.contains("Q")]
    return sorted({quarter_of(day) for day in rows["period_end"]})


def _quarters_with_an_h100_price(dataset: Dataset) -> list[str]:
    """Quarters of the years with an Epoch AI H100 price (the landlord's purchase cost)."""
    specs = dataset["accelerator_specs"]
    rows = specs[(specs["chip_id"] == "h100-sxm") & (specs["metric"] == "price") & (specs["source_id"] == "epoch-ai-chip-counts")]
    return [f"{year}Q{q}" for year in sorted(rows["as_of"]) for q in range(1, 5)]


#: Rules between a parameter and the data: (name, its allowed values in a dataset, what they are).
DATA_RULES = (
    ("focus_quarter", _quarters_with_amazon_capex, "a quarter with Amazon gross capex in financials.csv"),
    ("gpu_purchase_quarter", _quarters_with_an_h100_price, "a quarter of a year with an Epoch AI H100 price in accelerator_specs.csv"),
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
        bad = ParameterError(f"parameter '{self.name}': got {shorten(value)}; expected {self.allowed()}")
        if self.type in ("float", "int"):
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                pattern = INT_PATTERN if self.type == "int" else FLOAT_PATTERN
                if len(value) > MAX_NUMBER_TEXT or not pattern.fullmatch(value):
                    raise bad
                value = int(value) if self.type == "int" else float(value)
            if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
                raise bad
            if not self.minimum <= value <= self.maximum:     # before int(): an int may be far beyond any float
                raise bad
            if self.type == "int" and value != int(value):
                raise bad
            return int(value) if self.type == "int" else float(value)
        if not isinstance(value, str):
            raise bad
        if self.type == "date":
            if not DATE_PATTERN.fullmatch(value):
                raise bad
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise bad from None
        if self.type == "quarter":
            if not QUARTER_PATTERN.fullmatch(value):
                raise bad
            return value
        if self.choices and value not in self.choices:
            raise bad
        return value


def _parse_bound(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def schema(dataset: Dataset | None = None) -> dict[str, Parameter]:
    """All parameters by name, read from data/parameters.csv."""
    return _schema(dataset or load_dataset())


@per_dataset
def _schema(dataset: Dataset) -> dict[str, Parameter]:
    table = dataset["parameters"]
    where = dataset.directory / "parameters.csv"
    params = {}
    for line, row in enumerate(table.itertuples(index=False), start=2):
        choices = tuple(c for c in row.choices.split("|") if c)
        param = Parameter(row.name, row.type, row.unit, None, _parse_bound(row.min), _parse_bound(row.max),
                          choices, row.description, row.rationale, row.source_id, row.confidence,
                          _parse_bound(row.low), _parse_bound(row.high), row.distribution, row.label)
        if row.type in ("float", "int") and (param.minimum is None or param.maximum is None
                                             or not param.minimum <= param.maximum):
            raise DataError(f"{where}, line {line}: parameter '{row.name}' of type {row.type} needs min <= max")
        try:
            default = param.coerce(row.default)
        except ParameterError as exc:
            raise DataError(f"{where}, line {line}: default of {exc}") from None
        params[row.name] = Parameter(**{**param.__dict__, "default": default})
    return params


def resolve(overrides: dict | None = None, dataset: Dataset | None = None) -> dict:
    """Defaults updated with validated overrides; an unknown name or a bad value raises ParameterError."""
    dataset = dataset or load_dataset()
    params = schema(dataset)
    values = {name: p.default for name, p in params.items()}
    for name, value in (overrides or {}).items():
        if name not in params:
            close = difflib.get_close_matches(str(name), params, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ParameterError(f"unknown parameter {shorten(name)}; {hint}`python -m analysis params` lists them all")
        values[name] = params[name].coerce(value)
    for names, holds, expected in CONSTRAINTS:
        if not holds(*(values[n] for n in names)):
            shown = ", ".join(f"{n}={values[n]!r}" for n in names)
            raise ParameterError(f"parameter{'s' if len(names) > 1 else ''} {shown}: {expected}")
    for name, allowed_in, what in DATA_RULES:
        allowed = allowed_in(dataset)
        if values[name] not in allowed:
            span = f"{allowed[0]} to {allowed[-1]}" if allowed else "there is none"
            raise ParameterError(f"parameter '{name}': got {values[name]!r}; expected {what} ({span})")
    return values


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """Turn CLI `key=value` strings into a dict (values stay text until `resolve` types them); a name set twice is
    refused rather than silently taking the last value."""
    parsed = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set expects key=value, got {shorten(item)}")
        if name.strip() in parsed:
            raise ParameterError(f"--set {name.strip()} is given twice; give each parameter once")
        parsed[name.strip()] = value.strip()
    return parsed


def quarter_of(date: str) -> str:
    """Calendar quarter label YYYYQn of an ISO date."""
    day = dt.date.fromisoformat(date)
    return f"{day.year:04d}Q{(day.month - 1) // 3 + 1}"


def what_if_values(param: Parameter, value, n: int = 5, points=None) -> list:
    """The values of one what-if control: `points` if given, else `n` evenly spaced over the parameter's sourced
    low-high range (its allowed range if it has none; every integer in it for an integer), plus the run's own
    `value`; sorted, rounded to 4 decimals, in the parameter's type (each a valid `--set` value)."""
    if points is None:
        lo, hi = (param.low, param.high) if param.low is not None else (param.minimum, param.maximum)
        points = range(math.ceil(lo), math.floor(hi) + 1) if param.type == "int" else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    return sorted({param.coerce(round(float(v), 4)) for v in points} | {value})
def describe(schema: dict[str, Parameter], declared_by: dict[str, list[str]]) -> list[dict]:
    """The schema as plain data for tools (`params --format json`), in schema order; `declared_by` maps a parameter
    to the notebooks that declare it. Missing bounds and ranges are null, choices a (possibly empty) list."""
    return [{"name": p.name, "type": p.type, "unit": p.unit, "default": p.default, "min": p.minimum, "max": p.maximum,
             "choices": list(p.choices), "low": p.low, "high": p.high, "distribution": p.distribution,
             "label": p.title, "description": p.description, "rationale": p.rationale, "source": p.source_id,
             "confidence": p.confidence, "notebooks": declared_by.get(p.name, [])} for p in schema.values()]
