"""Data refresh with a reviewed diff: `python -m analysis refresh epoch PATH [--accept]`.

PATH is a local folder holding Epoch AI's chip-count export in the layout of its ai-chip-counts repository
(EXPORT_FILES). Amazon's rows are rebuilt into data/epoch_fleet.csv (per chip, quarter and measure) and
data/epoch_cumulative.csv (each vendor's cumulative total through its latest complete quarter), with the same
provenance columns as today; the rows of other owners (OTHER_OWNERS, imported once from OTHER_EXPORT_FILES with
`import_export(folder, OTHER_OWNERS, OTHER_EXPORT_FILES)`) stay as they are, where they are. The diff (Amazon's rows
added, changed with old -> new, removed) is printed; nothing is written unless `--accept` is given and the new files
pass the project's own validation. With it, the two files, data/MANIFEST.sha256 and data/CHANGELOG.md (date, source,
what changed, which headline numbers moved at the default parameters, recomputed in-process like `compare`) change.

`--accept` is one atomic step (`replace_folder`): a copy of data/ is made in a scratch folder beside it, the new
tables, manifest and changelog entry are written there and fsynced, validated and run through the model, and then
the scratch folder and data/ trade places in one `renameat2(RENAME_EXCHANGE)`. Whatever fails or kills the command,
data/ is the old folder or the new one, never a mix; the next refresh removes a scratch folder left behind. Text
from the export reaches CHANGELOG.md only as Markdown code spans (`markdown_code`), and the terminal only without
control characters: no heading, link, HTML or emphasis can come from an export.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis import data
from analysis.pipeline import outdir
from analysis.errors import UserError, printable, warn

OWNER = "Amazon"
SOURCE_ID = "epoch-ai-chip-counts"
CHANGELOG = "CHANGELOG.md"
#: Export file per (table, vendor): Nvidia first, then Trainium, as in today's files.
EXPORT_FILES = {"epoch_fleet": ("nvidia_owners_quarters_by_chip.csv", "trainium_owners_quarters_by_chip.csv"),
                "epoch_cumulative": ("nvidia_owners_cumulative_totals.csv", "trainium_owners_cumulative_totals.csv")}
#: measure -> (median, p5, p95 columns of the export, unit).
MEASURES = {"h100e": ("Compute estimate in H100e (median)", "H100e (5th percentile)", "H100e (95th percentile)", "H100e"),
            "units": ("Number of Units", "Number of Units (5th percentile)", "Number of Units (95th percentile)", "count"),
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
SCRATCH_INFIX = ".refresh-"


class RefreshError(UserError):
    """An export that cannot be imported (exit status 2)."""


class RefreshFailed(UserError):
    """The new data/ could not be written (a full disk, a file-size limit): exit status 1, data/ unchanged."""

    exit_status = 1


@dataclass(frozen=True)
class Diff:
    """Per table: rows added and removed (dicts) and changed ((old, new) dict pairs)."""

    added: dict
    changed: dict
    removed: dict

    @property
    def empty(self) -> bool:
        return not any(v for part in (self.added, self.changed, self.removed) for v in part.values())


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
        raise RefreshError(f"{path}: missing (expected Epoch AI's export files: {', '.join(sum(EXPORT_FILES.values(), ()))})")
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


def fleet_rows(folder: Path, owners: tuple[str, ...] = (OWNER,), files: tuple[str, ...] = EXPORT_FILES["epoch_fleet"],
               origins: list[str] | None = None) -> list[dict]:
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
                out.append({"owner": row["Owner"], "vendor": row["Chip manufacturer"].strip(), "chip": row["Chip type"].strip(),
                            "quarter": quarter, "measure": measure, "median": _value(path, number, row, median),
                            "p5": _value(path, number, row, p5), "p95": _value(path, number, row, p95), "unit": unit,
                            "incomplete": incomplete, "source_id": SOURCE_ID, "confidence": "estimated",
                            "pointer": f"{name}: row '{row['Name'].strip()}'"})
                if origins is not None:
                    origins.append(f"{path}, line {number}")
    return out


def cumulative_rows(folder: Path, owners: tuple[str, ...] = (OWNER,),
                    files: tuple[str, ...] = EXPORT_FILES["epoch_cumulative"], origins: list[str] | None = None) -> list[dict]:
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
    number, row = max(complete, key=lambda nr: _quarter(nr[1].get("End date", ""), f"{path}, line {nr[0]}, column 'End date'"))
    _require(path, row, ("Name", "Chip manufacturer", "Start date", "End date"))
    start = _quarter(row["Start date"], f"{path}, line {number}, column 'Start date'")
    for measure in CUMULATIVE_MEASURES:
        median, p5, p95, unit = MEASURES[measure]
        _require(path, row, (median, p5, p95))
        out.append({"owner": row["Owner"], "vendor": row["Chip manufacturer"].strip(),
                    "through_quarter": _quarter(row["End date"], f"{path}, line {number}, column 'End date'"),
                    "measure": measure, "median": _value(path, number, row, median), "p5": _value(path, number, row, p5),
                    "p95": _value(path, number, row, p95), "unit": unit, "source_id": SOURCE_ID,
                    "confidence": "estimated", "pointer": f"{name}: row '{row['Name'].strip()}' (from {start})"})
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


def read_table(path: Path) -> list[dict]:
    """A data file's rows as text (what it holds now)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def merged(old: list[dict], new: list[dict]) -> list[dict]:
    """A table's rows after the refresh: Amazon's new rows where its old ones began (first, if it had none), the rows
    of every other owner as they were, in their order."""
    kept = [row for row in old if row.get("owner") != OWNER]
    at = next((i for i, row in enumerate(old) if row.get("owner") == OWNER), 0)
    before = sum(row.get("owner") != OWNER for row in old[:at])
    return kept[:before] + new + kept[before:]


def diff(old: dict[str, list[dict]], new: dict[str, list[dict]]) -> Diff:
    """Amazon's rows added, changed and removed per table, by the table's key."""
    added, changed, removed = {}, {}, {}
    for table, key in KEYS.items():
        before = {tuple(r[k] for k in key): r for r in old[table] if r.get("owner") == OWNER}
        after = {tuple(r[k] for k in key): r for r in new[table]}
        added[table] = [after[k] for k in after if k not in before]
        removed[table] = [before[k] for k in before if k not in after]
        changed[table] = [(before[k], after[k]) for k in after if k in before
                          and any(before[k].get(c) != after[k][c] for c in COLUMNS[table])]
    return Diff(added, changed, removed)


def markdown_code(text: str) -> str:
    """`text` as one inert Markdown code span: one line, fenced by more backticks than it holds in a row."""
    text = printable(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _name(row: dict, key: tuple) -> str:
    return " ".join(row[k] for k in key)


def describe(d: Diff) -> list[str]:
    """The diff for review: a count line per table, then one line per row (+ added, ~ changed old -> new, - removed)."""
    lines = []
    for table, key in KEYS.items():
        lines.append(f"{table}.csv: {len(d.added[table])} added, {len(d.changed[table])} changed, "
                     f"{len(d.removed[table])} removed")
        lines += [f"+ {_name(r, key)}: median {r['median']}, p5 {r['p5']}, p95 {r['p95']}" for r in d.added[table]]
        for old, new in d.changed[table]:
            moves = [f"{c} {old.get(c)} -> {new[c]}" for c in COLUMNS[table] if old.get(c) != new[c]]
            lines.append(f"~ {_name(new, key)}: {'; '.join(moves)}")
        lines += [f"- {_name(r, key)}: median {r['median']}, p5 {r['p5']}, p95 {r['p95']}" for r in d.removed[table]]
    return [printable(line) for line in lines]


def _csv_text(table: str, rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _g(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def headline_moves(old: data.Dataset, new: data.Dataset) -> list[str]:
    """Headline numbers at the default parameters that differ between two datasets (in-process, as `compare`
    recomputes them): 'section.key: old -> new (change)'."""
    from analysis.pipeline import attribution
    from analysis.data import params
    declared = attribution.section_parameters(new)
    values = [attribution.section_values(ds, params.schema(ds), params.resolve({}, ds), declared) for ds in (old, new)]
    lines = []
    for section, items in values[0].items():
        for key, before in items.items():
            after = values[1][section].get(key)
            if not attribution.same(before, after):
                change = attribution.difference(before, after)
                lines.append(f"{section}.{key}: {_g(before)} -> {_g(after)}" + ("" if change is None else f" ({change:+.4g})"))
    return lines


def refresh(export: Path, directory: Path, accept: bool, today: str | None = None) -> tuple[list[str], bool]:
    """Import `export` against the data folder `directory`: (the reviewed diff's lines, whether data/ was written).
    Without `accept`, or with no change, nothing is written; with it, the new folder must pass the project's
    validation and the model before it replaces data/ in one step (`replace_folder`), the changelog entry included."""
    directory = Path(directory).resolve()
    old_dataset = data.load_dataset(directory)
    origins: dict[str, list[str]] = {}
    new = import_export(export, origins=origins)
    old = {table: read_table(directory / f"{table}.csv") for table in KEYS}
    d = diff(old, new)
    lines = describe(d)
    if d.empty or not accept:
        return lines, False

    def write_new(scratch: Path) -> None:
        located = {}
        for table in KEYS:
            rows = merged(old[table], new[table])
            write_synced(scratch / f"{table}.csv", _csv_text(table, rows))
            where = iter(origins[table])
            located[table] = [next(where) if row.get("owner") == OWNER else f"{directory / table}.csv (kept)"
                              for row in rows]
        write_synced(scratch / data.MANIFEST, data.manifest_text(scratch))
        try:
            new_dataset = data.load_dataset(scratch)
        except data.DataError as exc:
            raise RefreshError("refresh epoch: the new rows fail validation, nothing was written "
                               f"({_located(str(exc), scratch, directory, located)})") from None
        try:
            moves = headline_moves(old_dataset, new_dataset)
        except Exception as exc:    # the data are valid, but the report could not be built on them
            raise RefreshError(f"refresh epoch: the model fails on the new rows ({type(exc).__name__}: "
                               f"{data.shorten(str(exc), 120)}); nothing was written") from None
        entry = changelog_entry(today or dt.datetime.now(dt.UTC).date().isoformat(), export, generated_on(export),
                                lines, moves, old_dataset.version, new_dataset.version)
        log = scratch / CHANGELOG
        head = log.read_text(encoding="utf-8") if log.is_file() else "# data/ changelog\n"
        write_synced(log, head.rstrip("\n") + "\n\n" + entry)

    replace_folder(directory, write_new)
    return lines, True


def _located(message: str, scratch: Path, directory: Path, located: dict[str, list[str]]) -> str:
    """A validation message about the scratch copy, naming the export's file and line of a row it built (and the
    data folder, never the scratch folder, for anything else)."""
    def where(match: re.Match) -> str:
        table, line = match.group(1), int(match.group(2))
        rows = located[table]
        return f"{rows[line - 2]} (row {line} of {table}.csv)" if 2 <= line < len(rows) + 2 else match.group()
    message = re.sub(re.escape(str(scratch)) + r"/(epoch_fleet|epoch_cumulative)\.csv, line (\d+)", where, message)
    return message.replace(str(scratch), str(directory))


def _named(path: Path, exc: OSError) -> OSError:
    """`exc` with the path it concerns (a failed write, unlike a failed open, does not name its file)."""
    return exc if exc.filename else OSError(exc.errno, exc.strerror, str(path))


def write_synced(path: Path, text: str) -> None:
    """Write a new file and flush it to the disk (the scratch folder's files, before the folder swap)."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise _named(path, exc) from None


def _copy_synced(source: Path, target: Path) -> None:
    """Copy the folder `source` into the existing folder `target`, each file flushed to the disk (links as links)."""
    for entry in source.iterdir():
        made = target / entry.name
        try:
            if entry.is_symlink():
                os.symlink(os.readlink(entry), made)
            elif entry.is_dir():
                made.mkdir()
                shutil.copystat(entry, made)
                _copy_synced(entry, made)
            else:
                shutil.copy2(entry, made)
                fd = os.open(made, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:          # named by the copy written (shutil names the file read)
            raise OSError(exc.errno, exc.strerror, str(made)) from None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _scratch_pattern(directory: Path) -> re.Pattern:
    return re.compile(re.escape(f".{directory.name}{SCRATCH_INFIX}") + r"[a-z0-9_]{8}")


def replace_folder(directory: Path, write_new) -> None:
    """Replace `directory` (a data folder) by a changed copy in one atomic step: copy it into a scratch folder beside
    it (each file fsynced), let `write_new(scratch)` write and check the changes there (each file fsynced), fsync the
    folder, then exchange the two folders and remove the scratch folder (now the old data). An error before the exchange leaves `directory` untouched; an OSError is
    a RefreshFailed naming the folder. A scratch folder of a killed refresh (a copy of a data folder: it holds a
    manifest) is removed first; a lock beside the folder keeps two refreshes apart."""
    parent = directory.parent
    with outdir.locked(directory, "refresh into"):
        for entry in parent.iterdir():
            if _scratch_pattern(directory).fullmatch(entry.name) and not entry.is_symlink() and entry.is_dir() \
                    and (entry / data.MANIFEST).is_file():
                shutil.rmtree(entry, ignore_errors=True)
        scratch = None
        try:
            scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}{SCRATCH_INFIX}", dir=parent))
            _copy_synced(directory, scratch)
            scratch.chmod(directory.stat().st_mode & 0o7777)
            write_new(scratch)
            _fsync_folder(scratch)
            if not outdir.exchange(scratch, directory):
                raise RefreshFailed(f"refresh epoch: {parent} cannot swap two folders atomically "
                                    "(renameat2 RENAME_EXCHANGE); nothing was written")
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise RefreshFailed(f"refresh epoch: cannot write the new data beside {directory}: "
                                f"{exc.strerror or exc}{where}; {directory} is unchanged") from None
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        try:                            # the new data/ is in place; this makes the swap durable
            _fsync_folder(parent)
        except OSError as exc:
            warn(f"{directory} is replaced, but {parent} could not be flushed to the disk ({exc.strerror})")


def changelog_entry(date: str, export: Path, stamps: list[str], lines: list[str], moves: list[str],
                    old_version: str, new_version: str) -> str:
    """One dated entry of data/CHANGELOG.md."""
    out = [f"## {date}: Epoch AI chip counts refreshed (`refresh epoch`)", "",
           f"- Source: {SOURCE_ID}, export folder {markdown_code(Path(export).name)}"
           + (f" (estimates generated on {', '.join(map(markdown_code, stamps))})" if stamps else ""),
           f"- Data version {old_version} -> {new_version}",
           "- What changed:", *[f"    - {markdown_code(line)}" for line in lines],
           "- Headline numbers at the default parameters (recomputed in-process, as `compare` does):",
           *([f"    - {markdown_code(m)}" for m in moves] or ["    - none moved"])]
    return "\n".join(out) + "\n"
