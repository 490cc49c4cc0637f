"""Epoch AI's chip-count export read into rows of data/epoch_fleet.csv and data/epoch_cumulative.csv.

The export is a local folder in the layout of Epoch AI's ai-chip-counts repository (EXPORT_FILES for Amazon's rows,
OTHER_EXPORT_FILES for OTHER_OWNERS, imported once with `import_export(folder, OTHER_OWNERS, OTHER_EXPORT_FILES)`).
Each row keeps the provenance columns of today's files (source, confidence, a pointer to the export's row); a file,
column, date or number that is not the export's is a RefreshError naming the file and line. `refresh` (the command)
diffs these rows against data/ and writes them.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from analysis import data
from analysis.errors import UserError

OWNER = "Amazon"
SOURCE_ID = "epoch-ai-chip-counts"
#: Export file per (table, vendor): Nvidia first, then Trainium, as in today's files.
EXPORT_FILES = {"epoch_fleet": ("nvidia_owners_quarters_by_chip.csv", "trainium_owners_quarters_by_chip.csv"),
                "epoch_cumulative": ("nvidia_owners_cumulative_totals.csv", "trainium_owners_cumulative_totals.csv")}
#: measure -> (median, p5, p95 columns of the export, unit).
MEASURES = {"h100e": ("Compute estimate in H100e (median)", "H100e (5th percentile)", "H100e (95th percentile)",
                      "H100e"),
            "units": ("Number of Units", "Number of Units (5th percentile)", "Number of Units (95th percentile)",
                      "count"),
            "tdp": ("Total TDP (W)", "Total TDP (W) (5th percentile)", "Total TDP (W) (95th percentile)", "W")}
CUMULATIVE_MEASURES = ("units",)
COLUMNS = {"epoch_fleet": ("owner", "vendor", "chip", "quarter", "measure", "median", "p5", "p95", "unit", "incomplete",
                           "source_id", "confidence", "pointer"),
           "epoch_cumulative": ("owner", "vendor", "through_quarter", "measure", "median", "p5", "p95", "unit",
                                "source_id", "confidence", "pointer")}
KEYS = {"epoch_fleet": ("owner", "vendor", "chip", "quarter", "measure"),
        "epoch_cumulative": ("owner", "vendor", "through_quarter", "measure")}
NUMBER = re.compile(r"\d+(\.\d+)?", re.ASCII)
DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
GENERATED = re.compile(r"Estimates generated on: ([0-9-]+ [0-9:]+)")
#: The other owners kept beside Amazon's rows (for comparison: the TPU program, AMD at Microsoft, Meta and Oracle).
OTHER_OWNERS = ("Google", "Microsoft", "Meta", "Oracle")
#: Their export files (owners_csv_export/ of the repository): Nvidia, then Google's TPUs, then AMD.
OTHER_EXPORT_FILES = {
    "epoch_fleet": ("nvidia_owners_quarters_by_chip.csv", "tpu_owners_quarters_by_chip.csv",
                    "amd_owners_quarters_by_chip.csv"),
    "epoch_cumulative": ("nvidia_owners_cumulative_totals.csv", "tpu_owners_cumulative_totals.csv",
                         "amd_owners_cumulative_totals.csv")}
#: A column another export file names differently (the AMD files: 'Number of Units (median)').
ALIASES = {"Number of Units": "Number of Units (median)"}


class RefreshError(UserError):
    """An export that cannot be imported (exit status 2)."""


def _quarter(text: str, where: str) -> str:
    match = DATE.fullmatch(text.strip())
    if not match:
        raise RefreshError(f"{where}: expected a date M/D/YYYY, got {data.shorten(text)}")
    return f"{match.group(3)}Q{(int(match.group(1)) - 1) // 3 + 1}"


def _read(folder: Path, name: str, owners: tuple[str, ...] = (OWNER,)) -> list[tuple[int, dict]]:
    """The rows of `owners` in one export file with their line numbers, grouped by owner in the order given (each
    owner's rows in the file's order); a column named as in ALIASES is read under its usual name. A file without any,
    or a row with more or fewer fields than the header, is a RefreshError naming the file (and line)."""
    path = folder / name
    if not path.is_file():
        raise RefreshError(f"{path}: missing (expected Epoch AI's export files: "
                           f"{', '.join(sum(EXPORT_FILES.values(), ()))})")
    try:
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        found = [(reader.line_num, row) for row in reader if row.get("Owner") in owners]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RefreshError(f"{path}: not a readable UTF-8 CSV file ({exc})") from None
    for number, row in found:
        if None in row or None in row.values():
            fields = len(row) - (None in row) + len(row.get(None) or ()) - sum(v is None for v in row.values())
            raise RefreshError(f"{path}, line {number}: {fields} fields where the header has "
                               f"{len(reader.fieldnames or ())} (a row cut short, or a comma too many)")
    if not found:
        raise RefreshError(f"{path}: no rows for {', '.join(owners)} (column 'Owner'); is this Epoch AI's export?")
    for _, row in found:
        row.update({usual: row[alias] for usual, alias in ALIASES.items() if usual not in row and alias in row})
    return [(number, row) for owner in owners for number, row in found if row["Owner"] == owner]


def _value(path: Path, number: int, row: dict, column: str) -> str:
    text = (row.get(column) or "").strip()
    if not NUMBER.fullmatch(text):
        raise RefreshError(f"{path}, line {number}, column {column!r}: expected a number, got {data.shorten(text)}")
    return text


def _require(path: Path, row: dict, columns) -> None:
    for column in columns:
        if column not in row:
            raise RefreshError(f"{path}: no column {column!r} (not Epoch AI's export layout)")


def _incomplete(row: dict) -> bool:
    """Epoch marks a partial quarter in its `Incomplete` column or (the TPU files) with a note 'Incomplete: ...'."""
    return bool((row.get("Incomplete") or "").strip()) or (row.get("Notes") or "").startswith("Incomplete")


def fleet_rows(folder: Path, owners: tuple[str, ...] = (OWNER,),
               files: tuple[str, ...] = EXPORT_FILES["epoch_fleet"], origins: list[str] | None = None) -> list[dict]:
    """epoch_fleet.csv rows of `owners` (Amazon's by default), file by file in the order given (Nvidia, then
    Trainium), owner by owner, three measures per row (`origins`, if given, gets each row's export file and line)."""
    out = []
    for name in files:
        path = folder / name
        for number, row in _read(folder, name, owners):
            _require(path, row, ("Name", "Chip manufacturer", "Chip type", "Start date"))
            quarter = _quarter(row["Start date"], f"{path}, line {number}, column 'Start date'")
            incomplete = "true" if _incomplete(row) else "false"
            for measure, (median, p5, p95, unit) in MEASURES.items():
                _require(path, row, (median, p5, p95))
                out.append({"owner": row["Owner"], "vendor": row["Chip manufacturer"].strip(),
                            "chip": row["Chip type"].strip(),
                            "quarter": quarter, "measure": measure, "median": _value(path, number, row, median),
                            "p5": _value(path, number, row, p5), "p95": _value(path, number, row, p95), "unit": unit,
                            "incomplete": incomplete, "source_id": SOURCE_ID, "confidence": "estimated",
                            "pointer": f"{name}: row '{row['Name'].strip()}'"})
                if origins is not None:
                    origins.append(f"{path}, line {number}")
    return out


def cumulative_rows(folder: Path, owners: tuple[str, ...] = (OWNER,),
                    files: tuple[str, ...] = EXPORT_FILES["epoch_cumulative"],
                    origins: list[str] | None = None) -> list[dict]:
    """epoch_cumulative.csv rows of `owners` (Amazon's by default): each vendor's cumulative units through its latest
    complete quarter, file by file, owner by owner (`origins`, if given, gets each row's export file and line)."""
    out = []
    for name in files:
        path = folder / name
        rows = _read(folder, name, owners)
        for owner in dict.fromkeys(r["Owner"] for _, r in rows):
            out += _latest_cumulative(path, [(n, r) for n, r in rows if r["Owner"] == owner], origins)
    return out


def _latest_cumulative(path: Path, rows: list[tuple[int, dict]], origins: list[str] | None) -> list[dict]:
    """The cumulative rows (CUMULATIVE_MEASURES) of one owner's latest complete quarter in one file."""
    name, out = path.name, []
    complete = [(n, r) for n, r in rows if not _incomplete(r)]
    if not complete:
        raise RefreshError(f"{path}: no complete quarter for {rows[0][1]['Owner']}")
    number, row = max(complete, key=lambda nr: _quarter(nr[1].get("End date", ""),
                                                        f"{path}, line {nr[0]}, column 'End date'"))
    _require(path, row, ("Name", "Chip manufacturer", "Start date", "End date"))
    start = _quarter(row["Start date"], f"{path}, line {number}, column 'Start date'")
    for measure in CUMULATIVE_MEASURES:
        median, p5, p95, unit = MEASURES[measure]
        _require(path, row, (median, p5, p95))
        out.append({"owner": row["Owner"], "vendor": row["Chip manufacturer"].strip(),
                    "through_quarter": _quarter(row["End date"], f"{path}, line {number}, column 'End date'"),
                    "measure": measure, "median": _value(path, number, row, median),
                    "p5": _value(path, number, row, p5), "p95": _value(path, number, row, p95), "unit": unit,
                    "source_id": SOURCE_ID, "confidence": "estimated",
                    "pointer": f"{name}: row '{row['Name'].strip()}' (from {start})"})
        if origins is not None:
            origins.append(f"{path}, line {number}")
    return out


def import_export(folder: Path, owners: tuple[str, ...] = (OWNER,), files: dict = EXPORT_FILES,
                  origins: dict[str, list[str]] | None = None) -> dict[str, list[dict]]:
    """The rows of `owners` (Amazon's by default) of both tables from an export folder's `files` (`origins`, if
    given, gets per table each row's export file and line)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RefreshError(f"refresh epoch {folder}: not a folder (give a local copy of Epoch AI's export; "
                           "clone github.com/epoch-research/ai-chip-counts first)")
    if origins is not None:
        origins.update({table: [] for table in KEYS})
    return {table: rows(folder, owners, files[table], None if origins is None else origins[table])
            for table, rows in (("epoch_fleet", fleet_rows), ("epoch_cumulative", cumulative_rows))}


def generated_on(folder: Path) -> list[str]:
    """The 'Estimates generated on' stamps of the export files used (as Epoch writes them), without repeats."""
    stamps = []
    for name in sum(EXPORT_FILES.values(), ()):
        for _, row in _read(Path(folder), name):
            match = GENERATED.search(row.get("Notes") or "")
            if match and match.group(1) not in stamps:
                stamps.append(match.group(1))
    return stamps
