"""The report folders `compare` reads: each one's results.json and erosion table, checked before use.

A folder counts only if it carries the report marker and a results.json of the shape `compare` reads (data version,
parameters, headline items with a label, a unit and a finite number or null); its data/erosion_by_year.csv, if any,
must hold numbers in `year` and BY_YEAR_COLUMNS. Inputs are read with a size bound (MAX_INPUT_BYTES) and anything
else is one CompareError (exit status 2) asking for a rebuild. `load_runs` also checks that each run's data version
is at hand.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import data
from analysis.data import Dataset, shorten
from analysis.errors import UserError
from analysis.pipeline import outdir
from analysis.pipeline.attribution import as_number

RESULTS = "results.json"
BY_YEAR = Path("data") / "erosion_by_year.csv"
#: The erosion table's columns charted per run (each with its central 50% band): title, axis title, number format.
CHARTED = {"nvidia_revenue_usd_b": ("Nvidia revenue from AWS by year, each run", "USD billion per year", ",.1f"),
           "asic_spend_share": ("ASIC share of AWS accelerator spend by year, each run", "Share of spend", ".0%")}
BY_YEAR_COLUMNS = tuple(f"{c}{end}" for c in CHARTED for end in ("", "_p25", "_p75"))
MAX_INPUT_BYTES = 4 * 1024 * 1024    # a report's results.json or erosion table (each is a few KB)
MAX_YEARS = 200                      # rows of an erosion table


class CompareError(UserError):
    """Input that `compare` cannot use (exit status 2)."""


@dataclass(frozen=True)
class Run:
    """One report folder: its name (the folder's name), path, results.json and erosion table (None if it has none)."""

    name: str
    path: Path
    results: dict
    by_year: pd.DataFrame | None

    @property
    def parameters(self) -> dict:
        return self.results["parameters"]


def _scalar_ok(value, text: bool = True) -> bool:
    """None, a finite number that a float holds, or (if `text`) a string."""
    return value is None or (text and isinstance(value, str)) or isinstance(value, bool) or as_number(value) is not None


def _item_ok(item) -> bool:
    return isinstance(item, dict) and {"label", "value", "unit"} <= set(item) and isinstance(item["label"], str) \
        and isinstance(item["unit"], str) and _scalar_ok(item["value"], text=item["unit"] == "text") \
        and all(_scalar_ok(item.get(k), text=False) for k in ("p5", "p95"))


def _read_results(path: Path) -> dict:
    """A report's results.json, checked for the shape compare reads; CompareError otherwise."""
    raw = data.read_bounded(path, MAX_INPUT_BYTES)
    if raw is None:
        raise CompareError(f"compare: {path} holds more than {MAX_INPUT_BYTES} bytes; not a report's results")
    try:
        results = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CompareError(f"compare: {path} is not valid JSON (or nests too deep); rebuild that report") from None
    if not isinstance(results, dict) or not {"data_version", "parameters", "results"} <= set(results) \
            or not isinstance(results["data_version"], str) or not isinstance(results["parameters"], dict) \
            or not isinstance(results["results"], dict):
        raise CompareError(f"compare: {path} is not a report's results (data_version, parameters, results); "
                           "rebuild that report")
    for name, value in results["parameters"].items():
        if not _scalar_ok(value):
            raise CompareError(f"compare: {path} is not a report's results (parameter {shorten(name)} holds "
                               f"{shorten(value)}, not a value a parameter takes); rebuild that report")
    for section, items in results["results"].items():
        for key, item in (items.items() if isinstance(items, dict) else [("", None)]):
            if not _item_ok(item):
                raise CompareError(f"compare: {path} is not a report's results (results {shorten(section, 40)}, "
                                   f"{shorten(key, 40)} needs a label, a unit, and a number or null as value, p5 and "
                                   "p95); rebuild that report")
    return results


def _read_by_year(path: Path) -> pd.DataFrame | None:
    """A report's erosion table (year and BY_YEAR_COLUMNS, numbers only), None if absent; CompareError if it is not
    one."""
    if not path.is_file():
        return None
    raw = data.read_bounded(path, MAX_INPUT_BYTES)
    try:
        frame = pd.read_csv(io.StringIO(raw.decode("utf-8")))[["year", *BY_YEAR_COLUMNS]] if raw else None
        numeric = frame is not None and len(frame) <= MAX_YEARS and all(     # empty cells are missing values
            pd.api.types.is_numeric_dtype(frame[c]) and not frame[c].abs().eq(math.inf).any() for c in frame)
    except (UnicodeDecodeError, ValueError, KeyError, pd.errors.ParserError):
        numeric = False
    if not numeric:
        raise CompareError(f"compare: {path} is not a report's erosion table (UTF-8 CSV, at most {MAX_YEARS} years, "
                           f"numbers in year, {', '.join(BY_YEAR_COLUMNS)}); rebuild that report")
    return frame


def load_run(path: Path) -> Run:
    """A report folder built by `python -m analysis run`; anything else raises CompareError."""
    if not path.is_dir():
        raise CompareError(f"compare: {path}: no such folder")
    results_file = path / RESULTS
    if not (path / outdir.MARKER).is_file() or not results_file.is_file():
        raise CompareError(f"compare: {path} is not a report folder (no {outdir.MARKER} marker or {RESULTS}); "
                           "build one with `.venv/bin/python -m analysis run --out PATH`")
    return Run(path.name, path, _read_results(results_file), _read_by_year(path / BY_YEAR))


def load_runs(paths: list[Path], dataset: Dataset, others: tuple[Dataset, ...] = ()) -> list[Run]:
    """At least two report folders, with distinct names, each built on a data version at hand: data/ (`dataset`)
    or one of the `others` (data folders of earlier versions, given with --data)."""
    if len(paths) < 2:
        raise CompareError(f"compare needs at least two report folders, got {len(paths)}")
    runs = [load_run(p) for p in paths]
    names = [r.name for r in runs]
    if len(set(names)) < len(names):
        raise CompareError(f"compare: two report folders have the same name ({', '.join(names)}); "
                           "give distinct folders")
    at_hand = {dataset.version, *(d.version for d in others)}
    versions = {r.name: r.results["data_version"] for r in runs}
    missing = [v for v in dict.fromkeys(versions.values()) if v not in at_hand]
    if missing:
        shown = "; ".join(f"{n}: {v}" for n, v in versions.items())
        kind = "different data versions" if len(set(versions.values())) > 1 else f"data version {missing[0]}"
        raise CompareError(f"compare: the runs were built on {kind} ({shown}), but data/ is {dataset.version} and no "
                           f"--data folder holds {', '.join(missing)}; give it with --data PATH (e.g. from "
                           "`git archive COMMIT data | tar -x -C /tmp/old`) or rebuild the runs on the same data")
    return runs
