"""Data refresh with a reviewed diff: `python -m analysis refresh epoch PATH [--accept]`.

PATH is a local folder holding Epoch AI's chip-count export (read by `analysis.pipeline.epoch_export`). Amazon's rows
of data/epoch_fleet.csv and data/epoch_cumulative.csv are rebuilt from it; the rows of other owners stay as they are,
where they are. The diff (Amazon's rows added, changed with old -> new, removed) is printed; nothing is written
unless `--accept` is given and the new files pass the project's own validation. With it, the two files,
data/MANIFEST.sha256 and data/CHANGELOG.md (date, source, what changed, which headline numbers moved at the default
parameters, recomputed in-process like `compare`) change, in one atomic step
(`analysis.pipeline.folder_swap.replace_folder`). Text from the export reaches CHANGELOG.md only as Markdown code
spans (`markdown_code`), and the terminal only without control characters: no heading, link, HTML or emphasis can
come from an export.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import data
from analysis.errors import printable
from analysis.pipeline.epoch_export import (COLUMNS, KEYS, OWNER, SOURCE_ID, RefreshError, generated_on,
                                            import_export)
from analysis.pipeline.folder_swap import replace_folder, write_synced

CHANGELOG = "CHANGELOG.md"


@dataclass(frozen=True)
class Diff:
    """Per table: rows added and removed (dicts) and changed ((old, new) dict pairs)."""

    added: dict
    changed: dict
    removed: dict

    @property
    def empty(self) -> bool:
        return not any(v for part in (self.added, self.changed, self.removed) for v in part.values())


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
