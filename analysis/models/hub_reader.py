"""Reading the forecast hub (analysis.models.hub), trusting no file: `read` checks every byte it uses: manifest
lines, file paths against the model and round they name, the header, every cell against the config (round, target,
horizon, year, output type and id), finite values, complete monotone quantiles, pmfs in [0, 1] summing to 1, no row
twice. Anything else is a ReleaseError naming file, row and column.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pandas as pd

from analysis.data.releases import read_metadata, read_text
from analysis.data.vocab import NUMBER
from analysis.models import forecasts
from analysis.models.forecasts import BINARY, TARGETS, ReleaseError
from analysis.models.hub import (CONFIG, HUB_COLUMNS, LEVELS, MANIFEST, METADATA, OUTPUT, OUTPUT_PATH, PMF_IDS, TEAM,
                                 TEAMS, UNITS, model_id, owner_of)


def _round(tasks: dict, reference_date: str, name: str) -> dict:
    """tasks.json's round of `reference_date` as {target: (kind, output types, horizons, years)}."""
    try:
        rounds = [r for r in tasks["rounds"]
                  if r["model_tasks"][0]["task_ids"]["reference_date"]["required"] == [reference_date]]
        if len(rounds) != 1:
            raise ReleaseError(f"{name}: round {reference_date} is declared {len(rounds)} times in {CONFIG}/tasks.json")
        declared = {}
        for task in rounds[0]["model_tasks"]:
            ids = task["task_ids"]
            horizons, years = set(ids["horizon"]["optional"]), set(ids["year"]["optional"])
            for target in ids["target"]["optional"]:
                declared[target] = (set(task["output_type"]), horizons, years)
        return declared
    except (KeyError, TypeError, IndexError):
        raise ReleaseError(f"{CONFIG}/tasks.json: not the shape `release` writes (rounds, model_tasks, "
                           "task_ids)") from None


def _number(text: str, where: str, what: str = "a finite number") -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not NUMBER.fullmatch(text):
        raise ReleaseError(f"{where}: {text!r} is not {what}")
    return value


def _integer(text: str, where: str, allowed: set) -> int:
    if not re.fullmatch(r"-?\d{1,6}", text, re.ASCII) or int(text) not in allowed:
        raise ReleaseError(f"{where}: {text!r} is not one of the round's declared values {sorted(allowed)}")
    return int(text)


def read_output(folder: Path, name: str, tasks: dict) -> pd.DataFrame:
    """One model-output file, checked cell by cell against its path and the round tasks.json declares."""
    match = OUTPUT_PATH.fullmatch(name)
    if not match or match.group(1) != match.group(3):
        raise ReleaseError(f"{name}: a model-output file is {OUTPUT}/<model_id>/<YYYY-MM-DD>-<model_id>.csv with "
                           f"one model id ({TEAM}-, then lower-case letters, digits or '_')")
    reference_date = match.group(2)
    declared = _round(tasks, reference_date, name)
    reader = csv.reader(io.StringIO(read_text(folder, name), newline=""))
    header = next(reader, [])
    if tuple(header) != HUB_COLUMNS:
        raise ReleaseError(f"{name}, row 1: the header must be {','.join(HUB_COLUMNS)}")
    rows, seen = [], set()
    for number, cells in enumerate(reader, start=2):
        where = f"{name}, row {number}"
        if len(cells) != len(HUB_COLUMNS):
            raise ReleaseError(f"{where}: {len(cells)} cells, expected {len(HUB_COLUMNS)}")
        cell = dict(zip(HUB_COLUMNS, cells))
        if cell["reference_date"] != reference_date:
            raise ReleaseError(f"{where}, column reference_date: {cell['reference_date']!r} is not the file's round "
                               f"{reference_date}")
        if cell["target"] not in declared:
            raise ReleaseError(f"{where}, column target: {cell['target']!r} is not a target of round {reference_date}")
        types, horizons, years = declared[cell["target"]]
        horizon = _integer(cell["horizon"], f"{where}, column horizon", horizons)
        year = _integer(cell["year"], f"{where}, column year", years)
        kind, ident = cell["output_type"], cell["output_type_id"]
        if kind not in types:
            raise ReleaseError(f"{where}, column output_type: {kind!r} is not declared for {cell['target']} "
                               f"({', '.join(sorted(types))})")
        allowed = {"quantile": LEVELS, "mean": ("NA",), "pmf": PMF_IDS}[kind]
        if ident not in allowed:
            raise ReleaseError(f"{where}, column output_type_id: {ident!r} is not one of {', '.join(allowed)} ({kind})")
        value = _number(cell["value"], f"{where}, column value")
        if kind == "pmf" and not 0.0 <= value <= 1.0:
            raise ReleaseError(f"{where}, column value: {cell['value']!r} is not a probability in [0, 1]")
        key = (cell["target"], horizon, kind, ident)
        if key in seen:
            raise ReleaseError(f"{where}: {cell['target']}, horizon {horizon}, {kind} {ident} is given twice")
        seen.add(key)
        rows.append({"target": cell["target"], "horizon": horizon, "year": year, "output_type": kind,
                     "output_type_id": ident, "value": value, "row": number})
    if not rows:
        raise ReleaseError(f"{name}: no forecast rows")
    _check_tasks(rows, name)
    return pd.DataFrame(rows).assign(forecast_date=reference_date)


def _check_tasks(rows: list[dict], name: str) -> None:
    """Per target and horizon of a file's `rows` (as `read_output` reads them): one year; every quantile level,
    non-decreasing; a pmf over both ids summing to 1."""
    tasks: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        tasks.setdefault((row["target"], row["horizon"]), []).append(row)
    for (target, horizon), group in tasks.items():
        last = max(row["row"] for row in group)
        if len({row["year"] for row in group}) != 1:
            raise ReleaseError(f"{name}, row {last}, column year: {target} at horizon {horizon} names two years")
        quantiles = {row["output_type_id"]: row for row in group if row["output_type"] == "quantile"}
        if quantiles or target not in BINARY:
            missing = [q for q in LEVELS if q not in quantiles]
            if missing:
                raise ReleaseError(f"{name}, row {last}, column output_type_id: {target} at horizon {horizon} has no "
                                   f"quantile {missing[0]}")
            for lower, level in zip(LEVELS, LEVELS[1:]):
                if quantiles[level]["value"] < quantiles[lower]["value"]:
                    raise ReleaseError(f"{name}, row {quantiles[level]['row']}, column value: quantile {level} of "
                                       f"{target} at horizon {horizon} is below quantile {lower} (quantiles "
                                       "must not decrease)")
        pmf = [row["value"] for row in group if row["output_type"] == "pmf"]
        if target in BINARY and (len(pmf) != 2 or abs(sum(pmf) - 1.0) > 1e-6):
            raise ReleaseError(f"{name}, row {last}, column value: the pmf of {target} at horizon {horizon} must give "
                               f"false and true, summing to 1 (sums to {sum(pmf):.6g})")


def read(folder: Path) -> pd.DataFrame:
    """Every release in the hub `folder`, checked (see the module's docstring), as one table in the release format
    (forecasts.FORECAST_COLUMNS): identities come from the path and the model's metadata file, never from a cell."""
    folder = Path(folder)
    problems = forecasts.check_locked(folder)
    if problems:
        raise ReleaseError(f"{folder}: {problems[0]}")
    listed = forecasts.manifest_entries(folder)
    try:
        tasks = json.loads(read_text(folder, f"{CONFIG}/tasks.json"), parse_constant=lambda c: None) if listed else {}
    except ValueError as exc:
        raise ReleaseError(f"{CONFIG}/tasks.json: not JSON ({exc})") from None
    frames, releases = [], dict[str, str]()
    for name in sorted(n for n in listed if n.startswith(f"{OUTPUT}/")):
        frame = read_output(folder, name, tasks)
        mid = name.split("/")[1]
        meta_name = f"{METADATA}/{mid}.yml"
        if meta_name not in listed:
            raise ReleaseError(f"{name}: no {meta_name} (the model's metadata) in {MANIFEST}")
        meta = read_metadata(folder, meta_name)
        owner = owner_of(meta["team_abbr"]) if meta["team_abbr"] in TEAMS.values() else ""
        if (not owner or model_id(meta["release"], owner) != mid
                or meta["reference_date"] != frame["forecast_date"].iloc[0]):
            raise ReleaseError(f"{meta_name}: release {meta['release']!r} of {meta['reference_date']} (team "
                               f"{meta['team_abbr']!r}) is not model {mid}'s round in {name}")
        label = release_label(meta["release"], owner)
        if label in releases:
            raise ReleaseError(f"{name}: release {label} is already {releases[label]}")
        releases[label] = name
        frames.append(_release_format(frame, meta).assign(release=label))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(forecasts.FORECAST_COLUMNS))


def _release_format(frame: pd.DataFrame, meta: dict) -> pd.DataFrame:
    """Hub rows back in the release format: a binary target's `true` probability, units and resolution dates."""
    frame = frame[~((frame["output_type"] == "pmf") & (frame["output_type_id"] == "false"))]
    frame = frame.assign(output_type_id=frame["output_type_id"].replace({"NA": ""}))
    by_name = {t.name: t for t in TARGETS}
    source = {**by_name, **{n: by_name[of] for n, (of, _) in BINARY.items()}}
    return frame.assign(release=meta["release"], reconstructed=str(meta["reconstructed"]).lower(),
                        model_id=meta["scenario"], data_version=meta["data_version"],
                        unit=frame["target"].map(UNITS),
                        resolution_source=frame["target"].map(lambda n: source[n].source),
                        resolution_date=[f"{y + 1}-{source[n].expected}"
                                         for n, y in zip(frame["target"], frame["year"])]
                        )[list(forecasts.FORECAST_COLUMNS)]


def release_label(release: str, owner: str) -> str:
    """How a release is named in the track record: Amazon's by its name, another owner's with the owner's."""
    return release if owner == "Amazon" else f"{release} ({owner})"
