"""The one parameter schema: every assumption is a named, typed, bounded parameter with a source.

The schema lives in data/parameters.csv (validated and checksummed like every data file).
Notebooks, the CLI and scenario files all go through `resolve()`, which returns a `Params`: every parameter as a
typed attribute (`p.ai_share`), generated from the schema into analysis/data/parameter_types.py
(`analysis.data.schema_export`; types only, every default stays in the CSV), and a read-only mapping
(`p["ai_share"]`, `dict(p)`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from analysis.data import Dataset, load_dataset, shorten
from analysis.data.memo import per_dataset
from analysis.data.parameter_types import ParameterFields
from analysis.data.vocab import NUMBER
from analysis.errors import DataError, ParameterError

#: A parameter's value: float and int parameters are numbers, date, quarter and str parameters text.
Value = float | int | str
#: The Python type of each schema type (data/parameters.csv column `type`).
PYTHON_TYPES = {"float": "float", "int": "int", "str": "str", "date": "str", "quarter": "str"}
TYPES_COMMAND = "python -m analysis params --format python --write"

QUARTER_PATTERN = re.compile(r"(\d{4})Q([1-4])", re.ASCII)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: Numbers as text: ASCII digits only (no Unicode digits, no `10_000`), at most MAX_NUMBER_TEXT characters.
INT_PATTERN = re.compile(r"[+-]?\d+", re.ASCII)
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
    rows = specs[(specs["chip_id"] == "h100-sxm") & (specs["metric"] == "price")
                 & (specs["source_id"] == "epoch-ai-chip-counts")]
    return [f"{year}Q{q}" for year in sorted(rows["as_of"]) for q in range(1, 5)]


class DateSpan(NamedTuple):
    """The dates from `first` to `last` (ISO text; `in` tests a date, [0] and [-1] are the bounds)."""

    first: str
    last: str

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.first <= value <= self.last


def _data_span(dataset: Dataset) -> DateSpan:
    """From the first year of the company figures (financials.csv) to the last forecast year (capex_outlook.csv)."""
    first = min(dataset["financials"]["period_end"])[:4]
    last = int(max(dataset["capex_outlook"]["year"]))
    return DateSpan(f"{first}-01-01", f"{last}-12-31")


#: Rules between a parameter and the data: (name, its allowed values in a dataset, what they are). Every date
#: parameter has one (a test checks), so that no date lies centuries away from the data.
DATA_RULES = (
    ("as_of", _data_span, "a date within the data's span, from the first year of financials.csv to the last "
                          "forecast year of capex_outlook.csv"),
    ("focus_quarter", _quarters_with_amazon_capex, "a quarter with Amazon gross capex in financials.csv"),
    ("gpu_purchase_quarter", _quarters_with_an_h100_price,
     "a quarter of a year with an Epoch AI H100 price in accelerator_specs.csv"),
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of the schema."""

    name: str
    type: str
    unit: str
    default: Any             # the parameter's type (Value) once read; see `_schema`
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

    def __copy__(self) -> Parameter:
        return self                 # immutable: frozen, and every field a number, text or tuple of text

    def __deepcopy__(self, memo: dict) -> Parameter:
        return self                 # so the schema memo (per_dataset) copies only its dict

    @property
    def per_dataset(self) -> bool:
        """A definition of the dataset rather than a run's choice: its range is its default alone (min = max), so
        only an edit of data/ changes it and no section reads it as a parameter (analysis.models.horizons reads the
        default: the report's thresholds)."""
        return self.minimum is not None and self.minimum == self.maximum

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
                pattern = INT_PATTERN if self.type == "int" else NUMBER
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
            except ValueError as exc:
                raise ParameterError(f"parameter '{self.name}': got {shorten(value)}, which is not a date in the "
                                     f"calendar ({exc})") from None
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
    params: dict[str, Parameter] = {}
    rows = cast(Iterable[Any], table.itertuples(index=False))      # columns checked on load (analysis.data.tables)
    for line, row in enumerate(rows, start=2):
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


@dataclass(frozen=True)
class Rules:
    """What a parameter set is checked against: a dataset's schema and the values its data allow the parameters of
    DATA_RULES (so that `Params.replace` checks a change as `resolve` does, without the dataset)."""

    schema: dict[str, Parameter]
    allowed: dict[str, Sequence[str]]

    def resolve(self, overrides: Mapping[Any, object], base: Mapping[str, Value] | None = None) -> Params:
        """`base` (else the defaults) updated with validated overrides; an unknown name or a bad value raises
        ParameterError."""
        values: dict[str, Value] = dict(base) if base is not None else {n: p.default for n, p in self.schema.items()}
        for name, value in overrides.items():
            if name not in self.schema:
                close = difflib.get_close_matches(str(name), self.schema, n=3)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                raise ParameterError(f"unknown parameter {shorten(name)}; {hint}`python -m analysis params` lists "
                                     "them all")
            values[name] = self.schema[name].coerce(value)
        for names, holds, expected in CONSTRAINTS:
            if not holds(*(values[n] for n in names)):
                shown = ", ".join(f"{n}={values[n]!r}" for n in names)
                raise ParameterError(f"parameter{'s' if len(names) > 1 else ''} {shown}: {expected}")
        for name, _, what in DATA_RULES:
            allowed = self.allowed[name]
            if values[name] not in allowed:
                span = f"{allowed[0]} to {allowed[-1]}" if allowed else "there is none"
                raise ParameterError(f"parameter '{name}': got {values[name]!r}; expected {what} ({span})")
        return Params._of(values, self)


#: Names a parameter cannot have as an attribute of Params (its methods, Python keywords).
RESERVED = frozenset(dir(Mapping)) | {"replace", "_of", "_extra", "_rules"}
_FIELDS = tuple(f.name for f in dataclasses.fields(ParameterFields))
_FIELD_SET = frozenset(_FIELDS)


class Params(ParameterFields, Mapping[str, Value]):
    """A validated parameter set, from `resolve`: each parameter of data/parameters.csv a typed, read-only attribute
    (`p.ai_share`; the fields of analysis/data/parameter_types.py), and the whole set a read-only mapping name ->
    value (`p["ai_share"]`, `dict(p)`, `{**p}`, iteration and `len` in schema order, `==` as mappings). A parameter
    that a dataset adds beyond the generated fields (a new vendor's, say) is in the mapping only. `replace(**changes)`
    is a new Params with the changes checked as `resolve` checks overrides."""

    @classmethod
    def _of(cls, values: Mapping[str, Value], rules: Rules | None = None) -> Params:
        """The Params of already validated `values` (every generated field, and any extra parameter)."""
        missing = [name for name in _FIELDS if name not in values]
        if missing:
            raise DataError(f"parameters.csv: no parameter {', '.join(missing)}, which "
                            "analysis/data/parameter_types.py declares (after a deliberate edit of the schema, run "
                            f"`{TYPES_COMMAND}`)")
        fields: dict[str, Any] = {name: values[name] for name in _FIELDS}     # validated: each of its field's type
        made = cls(**fields)
        object.__setattr__(made, "_extra", {k: v for k, v in values.items() if k not in _FIELD_SET})
        object.__setattr__(made, "_rules", rules)
        return made

    def _extras(self) -> dict[str, Value]:
        return self.__dict__.get("_extra", {})

    def __getitem__(self, name: str) -> Value:
        if name in _FIELD_SET:
            return getattr(self, name)
        return self._extras()[name]

    def __iter__(self) -> Iterator[str]:
        yield from _FIELDS
        yield from self._extras()

    def __len__(self) -> int:
        return len(_FIELDS) + len(self._extras())

    def __contains__(self, name: object) -> bool:
        return name in _FIELD_SET or name in self._extras()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(self.items()))

    def __repr__(self) -> str:
        return f"Params({', '.join(f'{k}={v!r}' for k, v in self.items())})"

    def __copy__(self) -> Params:
        return self                 # immutable

    def __deepcopy__(self, memo: dict) -> Params:
        return self

    def replace(self, **changes: object) -> Params:
        """A new Params with `changes` (name=value), each checked and typed by the schema, then every rule across
        parameters and with the data, as `resolve` checks overrides: ParameterError otherwise."""
        rules = self.__dict__.get("_rules") or _rules(load_dataset())
        return rules.resolve(changes, base=self)


@per_dataset
def _data_rule_values(dataset: Dataset) -> dict[str, Sequence[str]]:
    return {name: allowed_in(dataset) for name, allowed_in, _ in DATA_RULES}


def _rules(dataset: Dataset) -> Rules:
    table = schema(dataset)
    for name, field in ((f.name, f.type) for f in dataclasses.fields(ParameterFields)):
        if name in table and PYTHON_TYPES[table[name].type] != field:
            raise DataError(f"{dataset.directory / 'parameters.csv'}: parameter '{name}' is of type "
                            f"{table[name].type}, but analysis/data/parameter_types.py declares {field} (after a "
                            f"deliberate edit of the schema, run `{TYPES_COMMAND}`)")
    return Rules(table, _data_rule_values(dataset))


def resolve(overrides: Mapping[Any, object] | None = None, dataset: Dataset | None = None) -> Params:
    """Defaults updated with validated overrides; an unknown name or a bad value raises ParameterError."""
    return _rules(dataset or load_dataset()).resolve(overrides or {})


def as_params(values: Mapping[str, Value], dataset: Dataset) -> Params:
    """`values` itself if it is a Params; else a plain mapping of a whole parameter set (such as `{**p, name: value}`)
    checked and typed by `resolve` on `dataset` (the forecast, remembered by its own values, completes them so)."""
    return values if isinstance(values, Params) else resolve(values, dataset)


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
