"""A sweep file (its format: analysis.pipeline.sweep), checked before any set runs: structure, section and parameter
names, every swept value against the parameter schema, the number of sets (at most MAX_SETS, counted with Python
integers that stop at the cap); and its sets (`Sets`), each made on demand from its index, never all at once.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.pipeline import attribution
from analysis.data import params, scenarios
from analysis.data import Dataset
from analysis.models.horizons import LONG_TERM
from analysis.errors import ParameterError, UserError

KEYS = {"description", "sections", "fixed", "grid", "sample", "charts"}
MAX_SETS = 1_000_000
DEFAULT_CHARTS = (f"erosion.nvidia_revenue_{LONG_TERM}", f"erosion.asic_share_of_spend_{LONG_TERM}")


class SweepError(UserError):
    """A sweep file or executor that cannot be used (exit status 2)."""


class Sets(Sequence):
    """Every set's values (fixed values included), made on demand: set i of a grid is the i-th combination in
    `itertools.product` order (the last parameter varies fastest); set i of a sample takes row i of its columns."""

    def __init__(self, fixed: dict, columns: dict[str, Sequence], grid: bool):
        self.fixed, self.columns, self.grid = fixed, columns, grid
        sizes = [len(v) for v in columns.values()]
        self.total = math.prod(sizes) if grid else (sizes[0] if sizes else 0)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):           # an int only (a slice is refused)
        if not isinstance(index, int) or not -self.total <= index < self.total:
            raise IndexError(index)
        index %= self.total
        values = {}
        for name, column in reversed(self.columns.items()) if self.grid else self.columns.items():
            if self.grid:
                index, position = divmod(index, len(column))
            else:
                position = index
            values[name] = column[position]
        return {**self.fixed, **{name: values[name] for name in self.columns}}


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its description, sections, the swept parameter names, its sets, and the headline keys to
    chart."""

    description: str
    sections: tuple[str, ...]
    names: tuple[str, ...]
    sets: Sets
    charts: tuple[str, ...]


def _fail(path: Path, what: str) -> SweepError:
    return SweepError(f"{path}: {what}")


def _check_value(path: Path, ds: Dataset, fixed: dict, name, value) -> None:
    """One swept value, alone with the fixed values, must pass the schema (ranges, types)."""
    try:
        params.resolve({**fixed, name: value}, ds)
    except ParameterError as exc:
        raise _fail(path, f"{name}: {exc}") from None


def count_sets(path: Path, sizes) -> int:
    """The number of combinations of axes of these sizes, or SweepError as soon as the running product passes
    MAX_SETS (Python integers: no size wraps around)."""
    total = 1
    for size in sizes:
        total *= size
        if total > MAX_SETS:
            raise _fail(path, f"grid: more than {MAX_SETS:,} sets (a sweep has at most {MAX_SETS:,}); "
                              "sweep fewer values, or draw a sample")
    return total


def _numbers(path: Path, where: str, value) -> list:
    if not isinstance(value, list) or not value or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                                           for v in value):
        raise _fail(path, f"{where}: expected a non-empty list of values")
    return value


def load(path: Path, ds: Dataset) -> Sweep:
    """A sweep file, checked before any set runs: structure, names, every swept value against the schema."""
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"sweep {path}: no such file")
    doc = scenarios._parse(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("description"), str) or set(doc) - KEYS:
        unknown = sorted(set(doc) - KEYS) if isinstance(doc, dict) else []
        raise _fail(path, f"unknown key {unknown[0]!r}" if unknown else
                    "expected a mapping with 'description' and one of 'grid' or 'sample' "
                    f"(keys: {', '.join(sorted(KEYS))})")
    if ("grid" in doc) == ("sample" in doc):
        raise _fail(path, "give exactly one of 'grid' and 'sample'")
    sections = doc.get("sections", list(attribution.ATTRIBUTED))
    if not isinstance(sections, list) or not sections or any(s not in attribution.ATTRIBUTED for s in sections):
        raise _fail(path, f"sections: a list of {', '.join(attribution.ATTRIBUTED)}")
    fixed = doc.get("fixed", {})
    if not isinstance(fixed, dict):
        raise _fail(path, "fixed: expected a mapping of parameter values")
    try:
        params.resolve(fixed, ds)
    except ParameterError as exc:
        raise _fail(path, f"fixed: {exc}") from None
    if "grid" in doc:
        axes = doc["grid"]
        if not isinstance(axes, dict) or not axes:
            raise _fail(path, "grid: expected a mapping of parameter -> list of values")
        count_sets(path, (len(_numbers(path, f"grid.{name}", values)) for name, values in axes.items()))
        for name, values in axes.items():
            for value in values:
                _check_value(path, ds, fixed, name, value)
        sets = Sets(fixed, axes, grid=True)
    else:
        sets, axes = _sample(path, ds, fixed, doc["sample"])
    charts = doc.get("charts", [c for c in DEFAULT_CHARTS if c.split(".")[0] in sections])
    if not isinstance(charts, list) or any(not isinstance(c, str) or c.split(".")[0] not in sections for c in charts):
        raise _fail(path, "charts: a list of headline keys 'section.key' of the swept sections")
    return Sweep(doc["description"], tuple(sections), tuple(axes), sets, tuple(charts))


def _sample(path: Path, ds: Dataset, fixed: dict, spec) -> tuple[Sets, dict]:
    """n sets drawn uniformly within each range (integers for int parameters), with a seeded generator."""
    if not isinstance(spec, dict) or set(spec) != {"n", "seed", "ranges"}:
        raise _fail(path, "sample: expected exactly n, seed and ranges")
    n, seed, ranges = spec["n"], spec["seed"], spec["ranges"]
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SETS:
        raise _fail(path, f"sample.n: a whole number of sets from 1 to {MAX_SETS}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise _fail(path, "sample.seed: a whole number >= 0")
    if not isinstance(ranges, dict) or not ranges:
        raise _fail(path, "sample.ranges: expected a mapping of parameter -> [low, high]")
    schema = params.schema(ds)
    rng = np.random.default_rng(seed)
    columns: dict[str, Sequence] = {}
    for name, bounds in ranges.items():
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) or not bounds[0] < bounds[1]:
            raise _fail(path, f"sample.ranges.{name}: expected [low, high] with low < high")
        lo, hi = bounds
        for value in bounds:
            _check_value(path, ds, fixed, name, value)
        if schema[name].type == "int":
            columns[name] = rng.integers(int(lo), int(hi) + 1, n).tolist()
        elif schema[name].type == "float":
            columns[name] = rng.uniform(lo, hi, n).tolist()
        else:
            raise _fail(path, f"sample.ranges.{name}: a {schema[name].type} parameter cannot be sampled; use a grid")
    return Sets(fixed, columns, grid=False), ranges
