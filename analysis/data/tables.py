"""The schema of every data file (pandera): its columns, the columns that identify a row, its provenance and the
checks across a file's rows (TABLES).

Only `analysis.data.validation` imports this module, when a folder is validated; the kernels of a report build
read the build's validated snapshot instead (see `analysis.data`) and never import pandera.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from analysis.data.vocab import (CLAIM_TYPES, CONFIDENCE, FISCAL_PERIOD, ISO_DATE, PARTIAL_DATE, QUARTER,
                                 STANDALONE_NUMBER, UNITS, VERDICTS)


def _text(*checks, nullable=False, **kw):
    return pa.Column(str, checks=list(checks), nullable=nullable, **kw)


def _number(*checks, nullable=False):
    return pa.Column(float, checks=list(checks), coerce=True, nullable=nullable)


#: The chip makers of Epoch AI's owner files (the `Chip manufacturer` column; Google for its TPUs).
EPOCH_VENDORS = ["Nvidia", "Amazon", "AMD", "Google"]
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
