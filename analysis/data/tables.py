"""The schema of every data file (pandera) and the checks run when a data folder is validated.

Only `analysis.data.load_dataset` imports this module, when it validates a folder; the kernels of a report build
read the build's validated snapshot instead (see `analysis.data`) and never import pandera.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd
import pandera.pandas as pa

from analysis.data.vocab import (CLAIM_TYPES, CONFIDENCE, CONTROL_CHARACTERS, FISCAL_PERIOD, ISO_DATE, MAX_TEXT,
                                 NUMBER, PARTIAL_DATE, QUARTER, REPORT_OWNER, STANDALONE_NUMBER, UNITS, VERDICTS,
                                 evidence_ids, shorten)
from analysis.errors import DataError


def _text(*checks, nullable=False, **kw):
    return pa.Column(str, checks=list(checks), nullable=nullable, **kw)


def _number(*checks, nullable=False):
    return pa.Column(float, checks=list(checks), coerce=True, nullable=nullable)


#: The chip makers of Epoch AI's owner files (the `Chip manufacturer` column; Google for its TPUs).
EPOCH_VENDORS = ["Nvidia", "Amazon", "AMD", "Google"]
#: A number cell: ASCII digits, as `--set` takes them (float() would also take "١٠", " 5 " or "nan").
NON_EMPTY = pa.Check.str_length(min_value=1, error="must not be empty")
PROVENANCE = {
    "source_id": _text(NON_EMPTY),
    "confidence": _text(pa.Check.isin(CONFIDENCE)),
    "pointer": _text(NON_EMPTY),
}


def _derived_rows_state_formula(df: pd.DataFrame) -> pd.Series:
    return (df["confidence"] != "derived") | (df["formula"].str.len() > 0)


FORMULA_CHECK = pa.Check(_derived_rows_state_formula, element_wise=False,
                         error="a row with confidence 'derived' must state its formula")



def _period_end_fits_fiscal_period(df: pd.DataFrame) -> pd.Series:
    """An annual period `FY2015` ends in 2015; a quarter `FY2015Q1` ends in 2015 or, for a fiscal year that ends
    early in the calendar year (Microsoft's June, Nvidia's January), in 2014."""
    fiscal_year = pd.to_numeric(df["fiscal_period"].str[2:6], errors="coerce")
    end_year = pd.to_numeric(df["period_end"].str[:4], errors="coerce")
    quarter = df["fiscal_period"].str.len() > 6
    return (end_year == fiscal_year) | (quarter & (end_year == fiscal_year - 1))


def _annual_equals_its_quarters(df: pd.DataFrame) -> pd.Series:
    """Where a company's metric has an annual row and all four of that fiscal year's quarters, the annual value is
    their sum (within 2, for quarters rounded to the million)."""
    annual = df["fiscal_period"].str.fullmatch(r"FY\d{4}")
    quarters = df[~annual].assign(year=df["fiscal_period"].str[:6])
    grouped = quarters.groupby(["company", "metric", "year"])["value"]
    total = grouped.sum()[grouped.count() == 4]
    keys = pd.MultiIndex.from_arrays([df["company"], df["metric"], df["fiscal_period"]])
    expected = pd.Series(total.reindex(keys).to_numpy(), index=df.index)
    return ~annual | expected.isna() | ((df["value"] - expected).abs() <= 2)


def _value_has_unit(df: pd.DataFrame) -> pd.Series:
    return df["value"].isna() | df["unit"].isin(UNITS)


def _post_cut_price_has_its_pre_cut_price(df: pd.DataFrame) -> pd.Series:
    with_pre_cut = df.loc[df["price_kind"] == "on_demand_pre_cut", "instance_type"]
    return (df["price_kind"] != "on_demand_post_cut") | df["instance_type"].isin(with_pre_cut)


@dataclass(frozen=True)
class Table:
    """One data file: its schema, the columns that identify a row, and whether rows carry provenance."""

    file: str
    columns: dict
    key: tuple
    provenance: bool = True
    checks: tuple = ()

    def schema(self) -> pa.DataFrameSchema:
        columns = dict(self.columns)
        if self.provenance:
            columns.update(PROVENANCE)
        return pa.DataFrameSchema(columns, strict=True, ordered=False, checks=list(self.checks),
                                  unique=list(self.key), report_duplicates="all")


TABLES = {
    "sources": Table("sources.csv", {
        "id": _text(pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*$")),
        "title": _text(NON_EMPTY), "publisher": _text(), "url": _text(),
        "date_published": _text(), "date_accessed": _text(pa.Check.str_matches(ISO_DATE)),
        "licence": _text(NON_EMPTY), "note": _text(),
    }, key=("id",), provenance=False),
    "financials": Table("financials.csv", {
        "company": _text(pa.Check.isin(["Amazon", "AWS", "Alphabet", "Microsoft", "Meta", "Nvidia", "Oracle"])),
        "metric": _text(pa.Check.isin([
            "capex_gross", "capex_proceeds", "capex_net", "capex_net_cited", "capex_guidance",
            "capex_incl_finance_leases", "pe_net_additions", "revenue", "operating_income",
            "datacenter_revenue"])),
        "fiscal_period": _text(pa.Check.str_matches(FISCAL_PERIOD)),
        "period_end": _text(pa.Check.str_matches(ISO_DATE)),
        "value": _number(pa.Check.in_range(-100_000, 1_000_000)),
        "unit": _text(pa.Check.isin(["USD_million"])),
        "formula": _text(), "note": _text(),
    }, key=("company", "metric", "fiscal_period"), checks=(
        FORMULA_CHECK,
        pa.Check(_period_end_fits_fiscal_period, element_wise=False,
                 error="period_end must fall in the fiscal year (FY2015 ends in 2015; a quarter in it or the year before)"),
        pa.Check(_annual_equals_its_quarters, element_wise=False,
                 error="an annual value must equal the sum of its four quarters where all four are given"))),
    "accelerators": Table("accelerators.csv", {
        "chip_id": _text(NON_EMPTY), "name": _text(NON_EMPTY), "vendor": _text(NON_EMPTY),
        "family": _text(pa.Check.isin(["nvidia", "amazon", "amd", "other"])),
    }, key=("chip_id",), provenance=False),
    "accelerator_specs": Table("accelerator_specs.csv", {
        "chip_id": _text(NON_EMPTY),
        "metric": _text(pa.Check.isin(["bf16_dense_tflops", "fp8_dense_tflops", "memory_capacity",
                                       "memory_bandwidth", "tdp", "price", "process", "launch",
                                       "bundled_software"])),
        "value": _number(pa.Check.in_range(0, 1_000_000), nullable=True),
        "low": _number(pa.Check.in_range(0, 1_000_000), nullable=True),
        "high": _number(pa.Check.in_range(0, 1_000_000), nullable=True),
        "unit": _text(), "text": _text(), "as_of": _text(), "formula": _text(), "note": _text(),
    }, key=("chip_id", "metric", "source_id", "as_of"), checks=(FORMULA_CHECK,)),
    "measured_throughput": Table("measured_throughput.csv", {
        "chip_id": _text(NON_EMPTY), "gpu": _text(NON_EMPTY), "metric": _text(NON_EMPTY),
        "value": _number(pa.Check.gt(0)),
        "unit": _text(pa.Check.isin(["TFLOPS", "TB_per_s", "W", "tokens_per_s"])),
        "date": _text(pa.Check.str_matches(ISO_DATE)), "software": _text(),
    }, key=("chip_id", "metric")),
    "instances": Table("instances.csv", {
        "instance_type": _text(pa.Check.str_matches(r"^[a-z0-9-]+\.[a-z0-9]+$")),
        "chip_id": _text(NON_EMPTY),
        "accelerator_count": _number(pa.Check.in_range(1, 64)),
        "price_kind": _text(pa.Check.isin(["on_demand", "on_demand_pre_cut", "on_demand_post_cut",
                                           "capacity_block"])),
        "usd_per_hour": _number(pa.Check.in_range(0.01, 1_000)),
        "price_period": _text(), "note": _text(),
    }, key=("instance_type", "price_kind"), checks=(
        pa.Check(_post_cut_price_has_its_pre_cut_price, element_wise=False,
                 error="an on_demand_post_cut price needs the same instance's on_demand_pre_cut price"),)),
    "epoch_fleet": Table("epoch_fleet.csv", {
        "owner": _text(NON_EMPTY), "vendor": _text(pa.Check.isin(EPOCH_VENDORS)),
        "chip": _text(NON_EMPTY), "quarter": _text(pa.Check.str_matches(QUARTER)),
        "measure": _text(pa.Check.isin(["h100e", "units", "tdp"])),
        "median": _number(pa.Check.ge(0)), "p5": _number(pa.Check.ge(0)), "p95": _number(pa.Check.ge(0)),
        "unit": _text(pa.Check.isin(["H100e", "count", "W"])),
        "incomplete": _text(pa.Check.isin(["true", "false"])),
    }, key=("owner", "vendor", "chip", "quarter", "measure"),
        checks=(pa.Check(lambda d: (d["p5"] <= d["median"]) & (d["median"] <= d["p95"]),
                         element_wise=False, error="p5 <= median <= p95 must hold"),)),
    "epoch_cumulative": Table("epoch_cumulative.csv", {
        "owner": _text(NON_EMPTY), "vendor": _text(pa.Check.isin(EPOCH_VENDORS)),
        "through_quarter": _text(pa.Check.str_matches(QUARTER)), "measure": _text(pa.Check.isin(["units"])),
        "median": _number(pa.Check.gt(0)), "p5": _number(pa.Check.gt(0)), "p95": _number(pa.Check.gt(0)),
        "unit": _text(pa.Check.isin(["count"])),
    }, key=("owner", "vendor", "through_quarter", "measure"),
        checks=(pa.Check(lambda d: (d["p5"] <= d["median"]) & (d["median"] <= d["p95"]),
                         element_wise=False, error="p5 <= median <= p95 must hold"),)),
    "rental_prices": Table("rental_prices.csv", {
        "chip_id": _text(NON_EMPTY), "month": _text(pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "series": _text(NON_EMPTY), "basis": _text(pa.Check.isin(["market", "contract", "hyperscaler list"])),
        "usd_per_hour": _number(pa.Check.in_range(0.01, 100)),
        "unit": _text(pa.Check.isin(["USD_per_hour"])), "note": _text(),
    }, key=("chip_id", "month", "series")),
    "essay_claims": Table("essay_claims.csv", {
        "claim_id": _text(pa.Check.str_matches(r"^[a-z0-9-]+$")),
        "paragraph": pa.Column(int, checks=[pa.Check.ge(1)], coerce=True), "topic": _text(NON_EMPTY),
        "claim_type": _text(pa.Check.isin(CLAIM_TYPES)), "quote": _text(NON_EMPTY),
        "figure": _number(nullable=True), "unit": _text(), "period": _text(),
        "finding": _text(NON_EMPTY),
        "evidence": _text(pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*(;[a-z0-9][a-z0-9-]*)*$")),
        "verdict": _text(pa.Check.isin(VERDICTS)), "reason": _text(NON_EMPTY),
    }, key=("claim_id",)),
    "cross_checks": Table("cross_checks.csv", {
        "check_id": _text(pa.Check.str_matches(r"^[a-z0-9-]+$")), "description": _text(NON_EMPTY),
        "published_value": _number(pa.Check.gt(0)), "unit": _text(pa.Check.isin(UNITS)),
        "measures": _text(NON_EMPTY),
        "compares_with": _text(pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
        "basis": _text(pa.Check.isin(["independent", "consistency", "not comparable"])),
        "why_they_differ": _text(NON_EMPTY, pa.Check(lambda s: ~s.str.contains(STANDALONE_NUMBER, regex=True),
                                                     error="must not contain hand-typed numbers")),
        "formula": _text(),
    }, key=("check_id",), checks=(FORMULA_CHECK,)),
    "events": Table("events.csv", {
        "event_id": _text(pa.Check.str_matches(r"^[a-z0-9-]+$")),
        "date": _text(pa.Check.str_matches(PARTIAL_DATE), pa.Check.ge("2024-02", error="events start in February 2024")),
        "category": _text(pa.Check.isin(["capex", "trainium", "nvidia_at_aws", "pricing", "anthropic"])),
        "description": _text(NON_EMPTY), "value": _number(nullable=True), "unit": _text(), "formula": _text(),
    }, key=("event_id",), checks=(FORMULA_CHECK, pa.Check(_value_has_unit, element_wise=False,
                                                           error="a row with a value needs a unit from the vocabulary"))),
    "nvidia_customers": Table("nvidia_customers.csv", {
        "fiscal_period": _text(pa.Check.str_matches(FISCAL_PERIOD)),
        "period_end": _text(pa.Check.str_matches(ISO_DATE)), "customer_label": _text(NON_EMPTY),
        "share_of_revenue_pct": _number(pa.Check.in_range(0, 100), nullable=True), "basis": _text(NON_EMPTY),
    }, key=("fiscal_period", "customer_label", "source_id")),
    "parameters": Table("parameters.csv", {
        "name": _text(pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
        "type": _text(pa.Check.isin(["float", "int", "str", "date", "quarter"])),
        "unit": _text(pa.Check.isin(UNITS)), "default": _text(NON_EMPTY),
        "min": _number(nullable=True), "max": _number(nullable=True), "choices": _text(),
        "low": _number(nullable=True), "high": _number(nullable=True),
        "distribution": _text(pa.Check.isin(["fixed", "normal", "lognormal", "logitnormal"])),
        "description": _text(NON_EMPTY), "rationale": _text(NON_EMPTY), "label": _text(),
    }, key=("name",), checks=(
        pa.Check(lambda d: (d["distribution"] == "fixed") | (d["low"].notna() & d["high"].notna() & (d["low"] < d["high"])),
                 element_wise=False, error="an uncertain parameter (distribution other than 'fixed') needs low < high"),
        pa.Check(lambda d: d["low"].isna() | d["min"].isna() | (d["low"] >= d["min"]), element_wise=False,
                 error="low must not be below min"),
        pa.Check(lambda d: d["high"].isna() | d["max"].isna() | (d["high"] <= d["max"]), element_wise=False,
                 error="high must not be above max"),
        pa.Check(lambda d: (d["distribution"] == "fixed")
                 | ((d["low"] <= pd.to_numeric(d["default"], errors="coerce"))
                    & (pd.to_numeric(d["default"], errors="coerce") <= d["high"])),
                 element_wise=False, error="an uncertain parameter's default (its median) must lie in [low, high]"),
    )),
    "vendors": Table("vendors.csv", {
        "vendor_id": _text(pa.Check.str_matches(r"^[a-z][a-z0-9]*$")), "label": _text(NON_EMPTY),
        "kind": _text(pa.Check.isin(["gpu", "asic"])), "role": _text(pa.Check.isin(["incumbent", "challenger"])),
        "epoch_vendor": _text(pa.Check.isin(["", "Nvidia", "Amazon", "AMD"])),
    }, key=("vendor_id",), checks=(
        pa.Check(lambda d: (d["role"] == "incumbent").sum() == 1, element_wise=False,
                 error="exactly one vendor must have role 'incumbent'"),
        pa.Check(lambda d: (d["role"] != "incumbent") | (d["epoch_vendor"] != ""), element_wise=False,
                 error="the incumbent needs an epoch_vendor (its observed purchases)"),)),
    "epoch_chips": Table("epoch_chips.csv", {
        "epoch_chip": _text(NON_EMPTY), "price_chip_id": _text(),
        "rent_instance": _text(pa.Check.str_matches(r"^([a-z0-9-]+\.[a-z0-9]+)?$")), "cost_relative_to": _text(),
        "note": _text(),
    }, key=("epoch_chip",)),
    "capex_outlook": Table("capex_outlook.csv", {
        "vintage": _text(pa.Check.str_matches(r"^(current|\d{4}-\d{2})$")),
        "year": _number(pa.Check.in_range(2000, 2100)),
        "growth": _number(pa.Check.in_range(0.2, 5)), "low": _number(pa.Check.in_range(0.2, 5)),
        "high": _number(pa.Check.in_range(0.2, 5)), "formula": _text(),
    }, key=("vintage", "year"), checks=(
        FORMULA_CHECK,
        pa.Check(lambda d: (d["low"] <= d["growth"]) & (d["growth"] <= d["high"]), element_wise=False,
                 error="low <= growth <= high must hold"),)),
}

CHIP_TABLES = ("accelerator_specs", "measured_throughput", "rental_prices")


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
    numeric = [c for c, col in schema.columns.items() if col.dtype.type in (float, "float64") or str(col.dtype) == "float64"]
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
            raise DataError(f"{file}, line {index + 2}, column 'price_chip_id': unknown chip id {row['price_chip_id']!r} "
                            f"(not in {TABLES['accelerators'].file})")
        if row["cost_relative_to"] and (row["price_chip_id"] or not row["rent_instance"]
                                        or row["cost_relative_to"] not in set(chips["epoch_chip"])
                                        or not chips.set_index("epoch_chip").loc[row["cost_relative_to"], "rent_instance"]):
            raise DataError(f"{file}, line {index + 2}, column 'cost_relative_to': {row['cost_relative_to']!r} must be "
                            "another own chip of this file with a rent instance, for a chip with a rent instance and no price chip")
        if row["rent_instance"] and row["rent_instance"] not in on_demand:
            raise DataError(f"{file}, line {index + 2}, column 'rent_instance': {row['rent_instance']!r} has no on-demand "
                            f"price in {TABLES['instances'].file}")
    fleet, rent = tables["epoch_fleet"], chips.set_index("epoch_chip")["rent_instance"]
    for index, row in fleet.iterrows():
        if row["chip"] not in rent.index:
            raise DataError(f"{directory / TABLES['epoch_fleet'].file}, line {index + 2}, column 'chip': Epoch chip "
                            f"{row['chip']!r} has no row in {TABLES['epoch_chips'].file} (its price chip and rent instance)")
        if row["owner"] == REPORT_OWNER and not rent[row["chip"]]:
            raise DataError(f"{file}: Epoch chip {row['chip']!r} of {REPORT_OWNER}'s rows in "
                            f"{TABLES['epoch_fleet'].file} needs a rent_instance")


def validate(directory: Path) -> dict[str, pd.DataFrame]:
    """Read and validate every table of the data folder, then check the ids that tables share."""
    tables = {name: _read_table(directory, name) for name in TABLES}
    _check_references(directory, tables)
    _check_epoch_chips(directory, tables)
    return tables
