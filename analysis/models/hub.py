"""The forecast hub: `forecasts/` in the hubverse layout, its names and its writing (`add_release`); a release is
computed and written by analysis.models.hub_models.release, read, trusting no file, by analysis.models.hub_reader.read
and scored by analysis.models.hub_models.score.

    forecasts/hub-config/{admin.json, tasks.json, model-metadata-schema.json}
    forecasts/model-metadata/<model_id>.yml
    forecasts/model-output/<model_id>/<round_id>-<model_id>.csv     (HUB_COLUMNS)
    forecasts/MANIFEST.sha256                                         (every file above, and the original releases)

* One release is one model (`aws-<release>`, e.g. `aws-2026_12`) with one round, whose id is the reference date (the
  date the forecast stands for). A release for another owner (the parameter `owner`) is a model of that owner's team
  (`google-2026_12`), holding its non-Nvidia share of spend under the share targets' names (its metadata's `methods`
  says so); releases of one date share its round, whose targets, horizons and years are the union of theirs. Its
  metadata file holds what the original release files carried per row (release name, scenario, data version, whether
  reconstructed). Task ids: `reference_date`, `target`, `horizon` (years after
  the last observed year) and `year`; quantiles at QUANTILE_LEVELS and the mean for quantities, and for the binary
  targets a pmf over `false` and `true` that sums to 1. `tasks.json` declares one round per release.
* The manifest is append-only: a release's files are listed once and never change; only `hub-config/` files may be
  listed again (a new round is added to tasks.json), the last line being the one that holds.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.data.releases import METADATA_DIR, METADATA_KEYS
from analysis.models import forecasts
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
OUTPUT_PATH = re.compile(rf"{OUTPUT}/({MODEL_ID.pattern})/(\d{{4}}-\d{{2}}-\d{{2}})-({MODEL_ID.pattern})\.csv",
                         re.ASCII)
PLAIN_NAMES = {"nvidia_revenue_from_aws": "Nvidia revenue from AWS",
               "asic_share_of_spend": "ASIC share of AWS accelerator spend",
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
    rows = rows.assign(_t=rows["target"].map(order)).sort_values(["_t", "horizon", "output_type", "output_type_id"],
                                                                 kind="stable")
    return rows[list(HUB_COLUMNS)].reset_index(drop=True)


def csv_text(rows: pd.DataFrame) -> str:
    return rows.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def metadata_text(meta: dict) -> str:
    """A model-metadata file: one `key: value` line per field, each value a JSON scalar (ASCII), which YAML reads
    as the same value."""
    return "".join(f"{key}: {json.dumps(meta[key], ensure_ascii=True)}\n" for key in METADATA_KEYS)


OTHER_OWNER_METHODS = (
    "The outside view of the owner's own history (analysis.models.owner_outlook): its non-Nvidia share of compute as "
    "a random walk in log-odds from each draw's last observed share, the spend share through the drifting cost "
    "ratio; the share targets hold its non-Nvidia share of accelerator spend (not only ASICs), event probabilities "
    "as shares of draws; Nvidia's revenue, accelerator spend and capex are not forecast")


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
                       "and the forecast inputs; quantiles and mean of the draws, event probabilities as shares of "
                       "draws"
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
                                     "time_unit": "year",
                                     "description": f"{PLAIN_NAMES[name]} in the calendar year `year`"}
                                    for name in targets]}
    double = {"type": "double"}
    quantities = [t.name for t in TARGETS if t.name in set(rows["target"])]
    events = [name for name in BINARY if name in set(rows["target"])]
    tasks = [task(quantities, {"quantile": {"output_type_id": {"required": list(QUANTILE_LEVELS)}, "is_required": True,
                                            "value": double},
                               "mean": {"output_type_id": {"required": None}, "is_required": False, "value": double}},
                  "continuous")]
    if events:
        tasks.append(task(events, {"pmf": {"output_type_id": {"required": list(PMF_IDS)}, "is_required": True,
                                           "value": {"type": "double", "minimum": 0, "maximum": 1}}}, "binary"))
    return {"round_id_from_variable": True, "round_id": "reference_date", "model_tasks": tasks,
            "submissions_due": {"start": reference_date, "end": reference_date}}


def admin_config() -> dict:
    return {"schema_version": f"{SCHEMAS}/admin-schema.json", "name": "AI accelerators at AWS: locked forecasts",
            "maintainer": "The maintainers of this repository",
            "contact": {"name": "The maintainers of this repository", "email": "none@invalid"},
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
    same = [r for r in tasks["rounds"]
            if r["model_tasks"][0]["task_ids"]["reference_date"]["required"] == [reference_date]]
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

def check_new(version: str, folder: Path, owner: str = "Amazon") -> str:
    """The model id of a new release `version` of `owner`; a release already in the hub (or, for Amazon, an original
    file) is refused."""
    mid = model_id(version, owner)
    listed = forecasts.manifest_entries(folder)
    if (owner == "Amazon" and f"{version}.csv" in listed) or any(n.startswith(f"{OUTPUT}/{mid}/") for n in listed):
        raise ReleaseError(f"release {version}: already in {folder}; a release is never overwritten "
                           "(choose a new VERSION)")
    return mid


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
