"""A data folder read and checked: every table against its schema (`analysis.data.tables.TABLES`), its text cells,
and the ids that tables share (sources, chips, Epoch AI's chip labels).

Only `analysis.data.load_dataset` imports this module, when it validates a folder; the kernels of a report build
read the build's validated snapshot instead (see `analysis.data`) and never import pandera. Every failure is one
DataError naming the file, line and column.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import pandas as pd
import pandera.pandas as pa

from analysis.data.tables import CHIP_TABLES, TABLES
from analysis.data.vocab import CONTROL_CHARACTERS, MAX_TEXT, NUMBER, REPORT_OWNER, evidence_ids, shorten
from analysis.errors import DataError


def _load_pandera_checks_without_hypothesis() -> None:
    """Load pandera's built-in checks now (its first validation would), without importing hypothesis: with them it
    loads its data-synthesis strategies, which import hypothesis where it is installed (it is, for the tests): about
    0.15 s of every validating run, for strategies this package never uses. A process that has imported hypothesis
    already (a test run) loads them as pandera would."""
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None       # type: ignore[assignment]  # its import now fails: the strategies do without
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


_load_pandera_checks_without_hypothesis()


def _describe_failure(path: Path, failures: pd.DataFrame) -> str:
    """One line for the first failure: file, line number, column, what was expected and what was found."""
    structural = failures["check"].isin(["column_in_dataframe", "column_in_schema"])
    failures = failures.assign(_row=pd.to_numeric(failures["index"], errors="coerce"), _structural=~structural)
    first = failures.sort_values(["_structural", "_row"], na_position="last", kind="stable").iloc[0]
    check = str(first["check"])
    found = first["failure_case"]
    where = f"{path}"
    if pd.notna(first["_row"]):
        where += f", line {int(first['_row']) + 2}"
    if first["column"] is not None and str(first["column"]) not in ("None", path.stem):
        where += f", column '{first['column']}'"
    if check.startswith(("coerce_dtype", "dtype")):
        return f"{where}: expected a number, got {found!r}"
    if check == "column_in_dataframe":
        return f"{where}: required column {found!r} is missing"
    if check == "column_in_schema":
        return f"{where}: unexpected column {found!r}"
    if check == "field_uniqueness" or "unique" in check:
        return f"{where}: duplicate row for key {found!r} (each key must appear once)"
    return f"{where}: value {found!r} fails check {check}"


def _check_text(path: Path, raw: pd.DataFrame) -> None:
    """Text cells are single lines of bounded length (they reach the report as plain text)."""
    for column in raw.columns:
        if CONTROL_CHARACTERS.search(column) or len(column) > MAX_TEXT:
            raise DataError(f"{path}: column name {shorten(column)} holds a control character or is too long")
        # Read as text (dtype=str, no NA values) with the default index: line = index + 2.
        for index, value in cast(Iterable[tuple[int, str]], raw[column].items()):
            if len(value) > MAX_TEXT:
                raise DataError(f"{path}, line {index + 2}, column '{column}': text of {len(value)} characters "
                                f"(at most {MAX_TEXT})")
            if CONTROL_CHARACTERS.search(value):
                raise DataError(f"{path}, line {index + 2}, column '{column}': holds a line break or control "
                                "character (cells are one line of text)")
            if value and not value.strip():
                raise DataError(f"{path}, line {index + 2}, column '{column}': holds only spaces (leave a cell "
                                "empty or give a value)")


def _read_table(directory: Path, name: str) -> pd.DataFrame:
    table = TABLES[name]
    path = directory / table.file
    try:  # utf-8-sig: a byte-order mark, if any, is dropped; any other non-UTF-8 byte is refused
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", encoding_errors="strict")
    except FileNotFoundError:
        raise DataError(f"{path}: required data file is missing") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty (expected a header line and data rows)") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a readable CSV file ({shorten(str(exc).strip(), 120)})") from None
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows")
    _check_text(path, raw)
    schema = table.schema()
    numeric = [c for c, col in schema.columns.items()
               if col.dtype.type in (float, "float64") or str(col.dtype) == "float64"]
    for column in [c for c, col in schema.columns.items() if str(col.dtype) in ("float64", "int64") and c in raw]:
        for index, value in raw[column].items():
            if value and not NUMBER.fullmatch(value):
                raise DataError(f"{path}, line {index + 2}, column '{column}': expected a number, got "
                                f"{shorten(value)} (ASCII digits, e.g. 1250, 0.5 or 1e-3)")
    for column in numeric:
        if column in raw:
            raw[column] = raw[column].replace("", None)
    try:
        return schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise DataError(_describe_failure(path, exc.failure_cases)) from None


def _check_references(directory: Path, tables: dict) -> None:
    """Every source id (and every id in a claim's evidence) resolves; every chip id is a known accelerator."""
    source_ids = set(tables["sources"]["id"])
    chip_ids = set(tables["accelerators"]["chip_id"])
    for name, frame in tables.items():
        file = directory / TABLES[name].file
        if "source_id" in frame:
            for index, value in frame["source_id"].items():
                if value not in source_ids:
                    raise DataError(f"{file}, line {index + 2}, column 'source_id': unknown source id {value!r} "
                                    f"(not in {TABLES['sources'].file})")
        if "evidence" in frame:
            for index, cell in frame["evidence"].items():
                for value in evidence_ids(cell):
                    if value not in source_ids:
                        raise DataError(f"{file}, line {index + 2}, column 'evidence': unknown source id {value!r} "
                                        f"(not in {TABLES['sources'].file})")
        if name in CHIP_TABLES:
            for index, value in frame["chip_id"].items():
                if value not in chip_ids:
                    raise DataError(f"{file}, line {index + 2}, column 'chip_id': unknown chip id {value!r} "
                                    f"(not in {TABLES['accelerators'].file})")


def _check_epoch_chips(directory: Path, tables: dict) -> None:
    """Each Epoch AI chip label of epoch_fleet.csv (every owner) has a row in epoch_chips.csv, whose price chip (if
    any) is a known accelerator and whose rent instance (if any) has an on-demand price in instances.csv; every chip of
    Amazon's rows has a rent instance (the capex funnel rents each of them)."""
    file = directory / TABLES["epoch_chips"].file
    chips = tables["epoch_chips"]
    chip_ids = set(tables["accelerators"]["chip_id"])
    inst = tables["instances"]
    on_demand = set(inst.loc[inst["price_kind"].isin(["on_demand", "on_demand_pre_cut"]), "instance_type"])
    for index, row in chips.iterrows():
        if row["price_chip_id"] and row["price_chip_id"] not in chip_ids:
            raise DataError(f"{file}, line {index + 2}, column 'price_chip_id': unknown chip id "
                            f"{row['price_chip_id']!r} (not in {TABLES['accelerators'].file})")
        if row["cost_relative_to"] and (row["price_chip_id"] or not row["rent_instance"]
                                        or row["cost_relative_to"] not in set(chips["epoch_chip"])
                                        or not chips.set_index("epoch_chip").loc[row["cost_relative_to"],
                                                                                 "rent_instance"]):
            raise DataError(f"{file}, line {index + 2}, column 'cost_relative_to': {row['cost_relative_to']!r} must be "
                            "another own chip of this file with a rent instance, for a chip with a rent instance and "
                            "no price chip")
        if row["rent_instance"] and row["rent_instance"] not in on_demand:
            raise DataError(f"{file}, line {index + 2}, column 'rent_instance': {row['rent_instance']!r} has no "
                            f"on-demand price in {TABLES['instances'].file}")
    fleet, rent = tables["epoch_fleet"], chips.set_index("epoch_chip")["rent_instance"]
    for index, row in fleet.iterrows():
        if row["chip"] not in rent.index:
            raise DataError(f"{directory / TABLES['epoch_fleet'].file}, line {index + 2}, column 'chip': Epoch chip "
                            f"{row['chip']!r} has no row in {TABLES['epoch_chips'].file} (its price chip and rent "
                            "instance)")
        if row["owner"] == REPORT_OWNER and not rent[row["chip"]]:
            raise DataError(f"{file}: Epoch chip {row['chip']!r} of {REPORT_OWNER}'s rows in "
                            f"{TABLES['epoch_fleet'].file} needs a rent_instance")


def validate(directory: Path) -> dict[str, pd.DataFrame]:
    """Read and validate every table of the data folder, then check the ids that tables share."""
    tables = {name: _read_table(directory, name) for name in TABLES}
    _check_references(directory, tables)
    _check_epoch_chips(directory, tables)
    return tables
