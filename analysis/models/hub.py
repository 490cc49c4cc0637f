"""The forecast hub: `forecasts/` in the hubverse layout, written by `release` and read, trusting no file, by `score`.

    forecasts/hub-config/{admin.json, tasks.json, model-metadata-schema.json}
    forecasts/model-metadata/<model_id>.yml
    forecasts/model-output/<model_id>/<round_id>-<model_id>.csv     (HUB_COLUMNS)
    forecasts/MANIFEST.sha256                                         (every file above, and the original releases)

* One release is one model (`aws-<release>`, e.g. `aws-2026_12`) with one round, whose id is the reference date (the
  date the forecast stands for). A release for another owner (the parameter `owner`) is a model of that owner's team
  (`google-2026_12`), holding its non-Nvidia share of spend under the share targets' names (its metadata's `methods`
  says so); releases of one date share its round, whose targets, horizons and years are the union of theirs. Its metadata file holds what the original release files carried per row (release
  name, scenario, data version, whether reconstructed). Task ids: `reference_date`, `target`, `horizon` (years after
  the last observed year) and `year`; quantiles at QUANTILE_LEVELS and the mean for quantities, and for the binary
  targets a pmf over `false` and `true` that sums to 1. `tasks.json` declares one round per release.
* The manifest is append-only: a release's files are listed once and never change; only `hub-config/` files may be
  listed again (a new round is added to tasks.json), the last line being the one that holds.
* `read` checks every byte it uses: manifest lines, file paths against the model and round they name, the header,
  every cell against the config (round, target, horizon, year, output type and id), finite values, complete
  monotone quantiles, pmfs in [0, 1] summing to 1, no row twice. Anything else is a ReleaseError naming file, row
  and column.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import Dataset, params
from analysis.data.memo import per_dataset
from analysis.data.releases import METADATA_DIR, METADATA_KEYS, read_metadata, read_text
from analysis.data.vocab import NUMBER
from analysis.models import fleet, forecasts, hindsight, owner_outlook, owners
from analysis.models.forecasts import BINARY, QUANTILE_LEVELS, TARGETS, ReleaseError

MANIFEST = forecasts.MANIFEST
CONFIG = "hub-config"
OUTPUT = "model-output"
METADATA = METADATA_DIR
#: The hub's team of each owner: Amazon's releases are AWS's; another owner's are its own team's.
TEAMS = {"Amazon": "aws", "Google": "google", "Microsoft": "microsoft", "Meta": "meta", "Oracle": "oracle"}
TEAM = TEAMS["Amazon"]
HUB_COLUMNS = ("reference_date", "target", "horizon", "year", "output_type", "output_type_id", "value")
SCHEMAS = "https://raw.githubusercontent.com/hubverse-org/schemas/main/v5.0.0"
MODEL_ID = re.compile(rf"(?:{'|'.join(TEAMS.values())})-[a-z0-9_]{{1,60}}", re.ASCII)
OUTPUT_PATH = re.compile(rf"{OUTPUT}/({MODEL_ID.pattern})/(\d{{4}}-\d{{2}}-\d{{2}})-({MODEL_ID.pattern})\.csv", re.ASCII)
PLAIN_NAMES = {"nvidia_revenue_from_aws": "Nvidia revenue from AWS", "asic_share_of_spend": "ASIC share of AWS accelerator spend",
               "accelerator_spend": "AWS accelerator spend", "amazon_gross_capex": "Amazon gross capex",
               "asic_share_of_spend_above_25pct": "ASIC share of spend above 25%",
               "asic_share_of_spend_above_50pct": "ASIC share of spend above 50%"}
UNITS = {**{t.name: t.unit for t in TARGETS}, **{name: "probability" for name in BINARY}}
LEVELS = tuple(f"{q:.2f}" for q in QUANTILE_LEVELS)
PMF_IDS = ("false", "true")


def model_id(release: str, owner: str = "Amazon") -> str:
    """The hub's model id of a release: the owner's team (`aws-` for Amazon) and the release name with '.' and '-' as
    '_' (hubverse's model_abbr allows letters, digits and '_')."""
    return f"{TEAMS[owner]}-{re.sub(r'[^a-z0-9]', '_', forecasts.check_version(release))}"


def owner_of(team: str) -> str:
    """The owner whose team `team` is."""
    return next(owner for owner, t in TEAMS.items() if t == team)


def output_path(release: str, reference_date: str, owner: str = "Amazon") -> str:
    mid = model_id(release, owner)
    return f"{OUTPUT}/{mid}/{reference_date}-{mid}.csv"


# --- writing -------------------------------------------------------------------------------------------------

def hub_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A release table (forecasts.FORECAST_COLUMNS) as hub rows: task ids, output type and id, value; each binary
    probability p becomes a pmf over false (1 - p) and true (p)."""
    t = table.assign(reference_date=table["forecast_date"], output_type_id=table["output_type_id"].astype(str))
    t.loc[t["output_type"] == "mean", "output_type_id"] = "NA"
    events = t[t["output_type"] == "pmf"]
    negated = events.assign(output_type_id="false", value=1.0 - events["value"].astype(float))
    rows = pd.concat([t[t["output_type"] != "pmf"], negated, events.assign(output_type_id="true")])
    order = {name: i for i, name in enumerate([*(x.name for x in TARGETS), *BINARY])}
    rows = rows.assign(_t=rows["target"].map(order)).sort_values(["_t", "horizon", "output_type", "output_type_id"], kind="stable")
    return rows[list(HUB_COLUMNS)].reset_index(drop=True)


def csv_text(rows: pd.DataFrame) -> str:
    return rows.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def metadata_text(meta: dict) -> str:
    """A model-metadata file: one `key: value` line per field, each value a JSON scalar (ASCII), which YAML reads
    as the same value."""
    return "".join(f"{key}: {json.dumps(meta[key], ensure_ascii=True)}\n" for key in METADATA_KEYS)


OTHER_OWNER_METHODS = ("The outside view of the owner's own history (analysis.models.owner_outlook): its non-Nvidia share "
                       "of compute as a random walk in log-odds from each draw's last observed share, the spend share "
                       "through the drifting cost ratio; the share targets hold its non-Nvidia share of accelerator "
                       "spend (not only ASICs), event probabilities as shares of draws; Nvidia's revenue, accelerator "
                       "spend and capex are not forecast")


def metadata(table: pd.DataFrame, original_file: str = "", owner: str = "Amazon") -> dict:
    first = table.iloc[0]
    release = str(first["release"])
    team = TEAMS[owner]
    name = "AI accelerators at AWS" if owner == "Amazon" else f"Non-Nvidia share of {owner}'s accelerator spend"
    return {"team_abbr": team, "model_abbr": model_id(release, owner).removeprefix(f"{team}-"),
            "model_name": f"{name}, release {release}", "release": release,
            "scenario": str(first["model_id"]), "reference_date": str(first["forecast_date"]),
            "reconstructed": str(first["reconstructed"]).lower() == "true", "data_version": str(first["data_version"]),
            "original_file": original_file,
            "methods": "Section 3's erosion model (analysis.models.outlook): Monte Carlo draws of the observed years "
                       "and the forecast inputs; quantiles and mean of the draws, event probabilities as shares of draws"
                       if owner == "Amazon" else OTHER_OWNER_METHODS,
            "designated_model": True}


def round_config(rows: pd.DataFrame, reference_date: str) -> dict:
    """One round of tasks.json: the task ids this release's rows use, quantities (quantile, mean) and binary targets
    (pmf over false/true) as two model tasks."""
    def ids(values: Iterable[Any]) -> dict:
        return {"required": None, "optional": sorted(int(v) for v in set(values))}

    def task(targets: list[str], output_type: dict, kind: str) -> dict:
        mine = rows[rows["target"].isin(targets)]
        return {"task_ids": {"reference_date": {"required": [reference_date], "optional": None},
                             "target": {"required": None, "optional": targets},
                             "horizon": ids(mine["horizon"]), "year": ids(mine["year"])},
                "output_type": output_type,
                "target_metadata": [{"target_id": name, "target_name": PLAIN_NAMES[name], "target_units": UNITS[name],
                                     "target_keys": {"target": name}, "target_type": kind, "is_step_ahead": True,
                                     "time_unit": "year", "description": f"{PLAIN_NAMES[name]} in the calendar year `year`"}
                                    for name in targets]}
    double = {"type": "double"}
    quantities = [t.name for t in TARGETS if t.name in set(rows["target"])]
    events = [name for name in BINARY if name in set(rows["target"])]
    tasks = [task(quantities, {"quantile": {"output_type_id": {"required": list(QUANTILE_LEVELS)}, "is_required": True, "value": double},
                               "mean": {"output_type_id": {"required": None}, "is_required": False, "value": double}}, "continuous")]
    if events:
        tasks.append(task(events, {"pmf": {"output_type_id": {"required": list(PMF_IDS)}, "is_required": True,
                                           "value": {"type": "double", "minimum": 0, "maximum": 1}}}, "binary"))
    return {"round_id_from_variable": True, "round_id": "reference_date", "model_tasks": tasks,
            "submissions_due": {"start": reference_date, "end": reference_date}}


def admin_config() -> dict:
    return {"schema_version": f"{SCHEMAS}/admin-schema.json", "name": "AI accelerators at AWS: locked forecasts",
            "maintainer": "The maintainers of this repository", "contact": {"name": "The maintainers of this repository",
                                                                            "email": "none@invalid"},
            "repository": {"host": "github", "owner": "", "name": ""}, "file_format": ["csv"], "timezone": "UTC",
            "model_output_dir": OUTPUT}


def metadata_schema() -> dict:
    """A JSON schema of the model-metadata files (what `metadata` writes)."""
    kinds = {str: "string", bool: "boolean"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "additionalProperties": False,
            "required": list(METADATA_KEYS), "properties": {k: {"type": kinds[v]} for k, v in METADATA_KEYS.items()}}


def _json(payload: Any) -> str:
    return json.dumps(payload, indent=2, sort_keys=False, allow_nan=False) + "\n"


def add_release(table: pd.DataFrame, folder: Path, original_file: str = "", owner: str = "Amazon") -> list[str]:
    """Add a release table of `owner` to the hub in `folder`: its model-output file, its metadata and its round in
    tasks.json (joined to the round of its date if there is one), each written to a temporary file and renamed into
    place, then their manifest lines (appended). An existing model is refused, and so is a folder whose lock is
    broken."""
    folder = Path(folder)
    problems = forecasts.check_locked(folder)
    if problems:
        raise ReleaseError(f"{folder}: {problems[0]}; fix that before releasing")
    release, reference_date = str(table["release"].iloc[0]), str(table["forecast_date"].iloc[0])
    mid, listed = model_id(release, owner), forecasts.manifest_entries(folder)
    out_path, meta_path = output_path(release, reference_date, owner), f"{METADATA}/{mid}.yml"
    if any(name.startswith((f"{OUTPUT}/{mid}/", f"{METADATA}/{mid}.")) for name in listed):
        raise ReleaseError(f"release {release}: model {mid} is already in the hub; a release is never overwritten")
    rows = hub_rows(table)
    tasks_path = folder / CONFIG / "tasks.json"
    tasks: dict = json.loads(tasks_path.read_text(encoding="utf-8")) if tasks_path.is_file() else {
        "schema_version": f"{SCHEMAS}/tasks-schema.json", "output_type_id_datatype": "character", "rounds": []}
    add_round(tasks, round_config(rows, reference_date), reference_date)
    files = {out_path: csv_text(rows), meta_path: metadata_text(metadata(table, original_file, owner)),
             f"{CONFIG}/tasks.json": _json(tasks), f"{CONFIG}/admin.json": _json(admin_config()),
             f"{CONFIG}/model-metadata-schema.json": _json(metadata_schema())}
    lines = []
    for name, text in files.items():
        body = text.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()
        if listed.get(name) == digest:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.tmp")
        staging.write_bytes(body)
        os.replace(staging, path)
        lines.append(f"{digest}  {name}\n")
    with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write("".join(lines))
    return list(files)


def add_round(tasks: dict, new: dict, reference_date: str) -> None:
    """Add round `new` to tasks.json's `tasks`, or, where a round of `reference_date` exists (another owner's release
    of the same date), join it: per model task (the same output types), the union of targets, horizons and years."""
    same = [r for r in tasks["rounds"] if r["model_tasks"][0]["task_ids"]["reference_date"]["required"] == [reference_date]]
    if not same:
        tasks["rounds"].append(new)
        return
    old = same[0]
    for task in new["model_tasks"]:
        match = [t for t in old["model_tasks"] if set(t["output_type"]) == set(task["output_type"])]
        if not match:
            old["model_tasks"].append(task)
            continue
        ids, more = match[0]["task_ids"], task["task_ids"]
        for key in ("target", "horizon", "year"):
            ids[key]["optional"] = sorted(set(ids[key]["optional"]) | set(more[key]["optional"]),
                                          key=lambda v: (str(type(v)), v) if key != "target" else 0)
        known = {m["target_id"] for m in match[0]["target_metadata"]}
        match[0]["target_metadata"] += [m for m in task["target_metadata"] if m["target_id"] not in known]


def owner_draws(ds: Dataset, p: params.Params) -> forecasts.Draws:
    """Another owner's forecast as release draws: its non-Nvidia share of spend under the share target, from its
    last observed year (analysis.models.owner_outlook); every other target not forecast (no draws)."""
    d = owners.draws(ds, p)
    f = owner_outlook.forecast(ds, p, d, owners.owner_label(ds, str(p.owner)), max(d.years))
    share = f.spend_share[1:]
    values = {t.name: np.full_like(share, np.nan) for t in forecasts.TARGETS} | {"asic_share_of_spend": share}
    return forecasts.Draws(tuple(f.years), int(f.through), values)


def release(ds: Dataset, p: params.Params, schema: dict, version: str, folder: Path, scenario: str,
            forecast_date: str | None = None, reconstructed: bool = False) -> str:
    """Compute and lock release `version` of parameter set `p` in the hub (checked before any computing): the owner
    of `p` (`owner`) decides the model (Amazon's: section 3's; another's: `owner_draws`); returns its model-output
    path."""
    owner = owners.owner_label(ds, str(p.owner))
    check_new(version, folder, owner)
    forecast_date = forecasts.check_date(forecast_date) if forecast_date else dt.datetime.now(dt.UTC).date().isoformat()
    draws = forecasts.forecast_draws(ds, p, schema) if owner == fleet.OWNER else owner_draws(ds, p)
    table = forecasts.release_table(draws, version, forecast_date, scenario, ds.version, reconstructed)
    return add_release(table, folder, owner=owner)[0]


def check_new(version: str, folder: Path, owner: str = "Amazon") -> str:
    """The model id of a new release `version` of `owner`; a release already in the hub (or, for Amazon, an original
    file) is refused."""
    mid = model_id(version, owner)
    listed = forecasts.manifest_entries(folder)
    if (owner == "Amazon" and f"{version}.csv" in listed) or any(n.startswith(f"{OUTPUT}/{mid}/") for n in listed):
        raise ReleaseError(f"release {version}: already in {folder}; a release is never overwritten "
                           "(choose a new VERSION)")
    return mid


# --- reading, trusting nothing ---------------------------------------------------------------------------------

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
        raise ReleaseError(f"{CONFIG}/tasks.json: not the shape `release` writes (rounds, model_tasks, task_ids)") from None


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
                        resolution_date=[f"{y + 1}-{source[n].expected}" for n, y in zip(frame["target"], frame["year"])]
                        )[list(forecasts.FORECAST_COLUMNS)]


def release_label(release: str, owner: str) -> str:
    """How a release is named in the track record: Amazon's by its name, another owner's with the owner's."""
    return release if owner == "Amazon" else f"{release} ({owner})"


OWNER_LABEL = re.compile(r".* \((\w+)\)")


def score(ds: Dataset, schema: dict, folder: Path) -> pd.DataFrame:
    """The track record of every release in the hub `folder` against data/ now (no release: refused): Amazon's against
    section 3's outcomes, another owner's against its own observed non-Nvidia share (`owner_outcomes`)."""
    releases = read(folder)
    if releases.empty:
        raise ReleaseError(f"{folder}: no release to score yet (write one with `python -m analysis release VERSION`)")
    owner = releases["release"].map(lambda r: m.group(1) if (m := OWNER_LABEL.fullmatch(r)) else "Amazon")
    records = []
    for name, mine in releases.groupby(owner, sort=False):
        found = forecasts.outcomes(ds, schema) if name == "Amazon" else owner_outcomes(ds, str(name))
        records.append(forecasts.track_record(mine, found, forecasts.outside_views(ds) if name == "Amazon" else {},
                                              hindsight.excluded(ds, mine)))
    return pd.concat(records, ignore_index=True)


def owner_outcomes(ds: Dataset, owner: str) -> dict[tuple[str, int], float]:
    """(target, year) -> what happened for another owner's release: its non-Nvidia share of spend in each observed
    year (the data's central estimate at the default parameters, analysis.models.owners)."""
    shares = _default_shares(ds)
    mine = shares[(shares["owner"] == owner)].dropna(subset=["spend_share"])
    return {("asic_share_of_spend", int(year)): float(share) for year, share in zip(mine["year"], mine["spend_share"])}


@per_dataset
def _default_shares(ds: Dataset) -> pd.DataFrame:
    """Every owner's shares at the default parameters (analysis.models.owners.shares)."""
    p = params.resolve({}, ds)
    return owners.shares(ds, p, owners.draws(ds, p))


def convert_originals(folder: Path) -> list[str]:
    """Add every original release file (`VERSION.csv` at the top of the folder, locked before the hub existed) to
    the hub, unchanged in content; the originals stay locked where they are. Returns the files written."""
    folder = Path(folder)
    written = []
    for name in sorted(n for n in forecasts.manifest_entries(folder) if "/" not in n and n.endswith(".csv")):
        table = forecasts.read_original(folder, name)
        mid = model_id(str(table["release"].iloc[0]))
        if not any(n.startswith(f"{OUTPUT}/{mid}/") for n in forecasts.manifest_entries(folder)):
            written += add_release(table, folder, original_file=name)
    return written
