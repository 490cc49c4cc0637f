"""The report as a spreadsheet: reports/NAME/report.xlsx, one sheet per table an analyst checks (headline numbers
with their bands, the forecast by year, the named scenarios, the landlord cases, the parameters with their sources).

Numbers are numbers (never text), each header names its unit, and every text cell is a plain string: a text that
begins with `=` is stored as text, so no cell is a formula."""
from __future__ import annotations

import datetime
import math
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from analysis.data import Dataset
from analysis.data.params import Parameter, Params
from analysis.data.units import unit_label

#: The unit of a column of the forecast and scenario tables, by its name (first match).
COLUMN_UNITS = ((re.compile(r"usd_b|^nvidia_revenue|^erosion"), "USD bn"), (re.compile(r"^p_"), "probability (0-1)"),
                (re.compile(r"share"), "share (0-1)"), (re.compile(r"year"), "year"), (re.compile(r"^observed$"), "true/false"))
CASE = re.compile(r"^(?P<measure>.+), (?P<case>bought .+)$")
LANDLORD_KEY = re.compile(r"^(?P<measure>.+)_(?P<case>bought_.+)$")


def header(column: str) -> str:
    """A column name with its unit ("nvidia_revenue_usd_b (USD bn)"); text columns keep their name."""
    unit = next((unit for pattern, unit in COLUMN_UNITS if pattern.search(column)), None)
    return column if unit is None else f"{column} ({unit})"


def _cell(value):
    """A value as a cell: numbers and booleans as they are, missing as empty, anything else as text without the
    control characters a workbook cannot hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _sheet(book: Workbook, title: str, columns: list[str], rows: list[list]) -> Worksheet:
    """A sheet with a bold header row, frozen below it; every text cell typed as text (never a formula)."""
    sheet = book.create_sheet(title)
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return sheet


def _headline_rows(results: dict) -> list[list]:
    return [[section, key, r["label"], unit_label(r["unit"]), r["value"], r.get("p5"), r.get("p95")]
            for section, items in results.items() for key, r in items.items()]


def _landlord_rows(portfolio: dict) -> tuple[list[str], list[list]]:
    """The landlord results of section 2, one row per measure and one column per case (from the `_bought_*` keys)."""
    cases: dict[str, str] = {}
    measures: dict[str, dict] = {}
    for key, r in portfolio.items():
        found, label = LANDLORD_KEY.match(key), CASE.match(r["label"])
        if found and label:
            cases.setdefault(found["case"], label["case"])
            measures.setdefault(found["measure"], {"label": label["measure"], "unit": unit_label(r["unit"])})[
                found["case"]] = r["value"]
    columns = ["Measure", "Unit", *cases.values()]
    return columns, [[m["label"], m["unit"], *(m.get(c) for c in cases)] for m in measures.values()]


def _parameter_rows(ds: Dataset, schema: dict[str, Parameter], values: Params, used) -> list[list]:
    rows = []
    for name in sorted(used):
        p = schema[name]
        source = ds.source(p.source_id)
        rows.append([name, p.title, unit_label(p.unit), values[name], p.default, p.low, p.high, p.minimum, p.maximum,
                     p.confidence, p.source_id, source.get("title"), source.get("publisher"), source.get("url")])
    return rows


def write(path: Path, results: dict, downloads: list[dict], ds: Dataset, schema: dict[str, Parameter], values: Params,
          used) -> Path:
    """Write the workbook from the report's `results` (results.json's "results"), its data tables (`downloads`:
    erosion_by_year and scenarios) and its parameters."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Headline numbers", ["Section", "Key", "Result", "Unit", "Value", "5th percentile", "95th percentile"],
           _headline_rows(results))
    tables = {d["id"]: d for d in downloads}
    for title, ident in (("Forecast by year", "erosion_by_year"), ("Scenarios", "scenarios")):
        if ident in tables:
            _sheet(book, title, [header(c) for c in tables[ident]["columns"]], tables[ident]["rows"])
    if "portfolio" in results:
        _sheet(book, "Landlord cases", *_landlord_rows(results["portfolio"]))
    _sheet(book, "Parameters", ["Parameter", "Label", "Unit", "Value (this run)", "Default", "Sourced low", "Sourced high",
                                "Allowed minimum", "Allowed maximum", "Confidence", "Source id", "Source title",
                                "Publisher", "URL"], _parameter_rows(ds, schema, values, used))
    book.properties.created = datetime.datetime.fromisoformat(str(values.as_of))
    book.save(path)
    _fixed_times(path)
    return path


MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")
CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")


def _fixed_times(path: Path) -> None:
    """Rewrite the workbook's zip with one fixed time on every member and its "modified" property equal to its
    "created" one (the report's as-of date), so that the same report gives the same bytes (openpyxl stamps both
    with the time of saving)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members:
            if name == "docProps/core.xml":
                created = CREATED.search(body)
                stamp = created[1] if created else b""
                body = MODIFIED.sub(rb"<dcterms:modified\1>" + stamp.replace(b"\\", b"") + rb"</dcterms:modified>", body)
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
