"""The locked forecasts folder (forecasts/): a release's name, date and columns, and the manifest of checksums that
locks every file once written (`python -m analysis release` writes; `score` and the hub read trusting no file)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from analysis.errors import UserError

MANIFEST = "MANIFEST.sha256"
VERSION = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)
FORECAST_COLUMNS = ("release", "forecast_date", "reconstructed", "model_id", "data_version", "target", "unit", "year",
                    "horizon", "output_type", "output_type_id", "value", "resolution_source", "resolution_date")


class ReleaseError(UserError):
    """A release that cannot be written or read (exit status 2)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Manifest names that may be listed again (the hub's configuration gains a round per release); the last line holds.
REWRITABLE = re.compile(r"hub-config/[a-z-]+\.json")


LISTED_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}(/[a-z0-9][a-z0-9._-]{0,99}){0,2}", re.ASCII)


def manifest_entries(folder: Path) -> dict[str, str]:
    """File name (a path inside the folder) -> checksum listed in the folder's manifest (empty when there is none).
    A name is listed once, except hub-config files (REWRITABLE), whose last line holds."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReleaseError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if (not re.fullmatch(r"[0-9a-f]{64}", digest) or not LISTED_NAME.fullmatch(name) or ".." in name
                or (name in entries and not REWRITABLE.fullmatch(name))):
            raise ReleaseError(f"{path}, line {number}: expected '<sha256>  <file name>' once per file")
        entries[name] = digest
    return entries


def _files(folder: Path) -> set[str]:
    """Every file below `folder` but the manifest, as a path relative to it."""
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()} - {MANIFEST}


def check_locked(folder: Path) -> list[str]:
    """What breaks the lock of a forecasts folder: a file not in the manifest, a listed file missing or changed."""
    folder = Path(folder)
    listed = manifest_entries(folder)
    present = _files(folder)
    problems = [f"{name}: not in {MANIFEST} (write releases with `python -m analysis release`)"
                for name in sorted(present - set(listed))]
    for name, digest in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif _sha256(folder / name) != digest:
            problems.append(f"{name}: changed after its release (checksum differs from {MANIFEST})")
    return problems


def check_version(version: str) -> str:
    """A release name: lower-case letters, digits, '.', '_' and '-' (never a path)."""
    if not VERSION.fullmatch(version) or version.upper().startswith("MANIFEST"):
        raise ReleaseError(f"release {version!r}: a version is lower-case letters, digits, '.', '_' or '-' "
                           "(at most 64, e.g. 2026.12), not a path")
    return version


def check_date(text: str) -> str:
    """An ISO date (YYYY-MM-DD)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ReleaseError(f"--forecast-date {text!r}: expected a date YYYY-MM-DD")


def read_original(folder: Path, name: str) -> pd.DataFrame:
    """A release file in the original format (FORECAST_COLUMNS), as `release` wrote them before the hub; the hub holds
    their conversion (analysis.models.hub), and the originals stay locked beside it."""
    frame = pd.read_csv(Path(folder) / name, dtype={"output_type_id": str, "release": str}, keep_default_na=False,
                        na_values={"value": [""]})
    missing = set(FORECAST_COLUMNS) - set(frame.columns)
    if missing:
        raise ReleaseError(f"{name}: not a release (missing column {sorted(missing)[0]})")
    return frame


#: A model's metadata file in the hub (model-metadata/<model_id>.yml): its keys, each once, with its JSON type.
METADATA_DIR = "model-metadata"
METADATA_KEYS = {"team_abbr": str, "model_abbr": str, "model_name": str, "release": str, "scenario": str,
                 "reference_date": str, "reconstructed": bool, "data_version": str, "original_file": str,
                 "methods": str, "designated_model": bool}


def read_text(folder: Path, name: str) -> str:
    """A hub file as UTF-8 text; ReleaseError naming the file otherwise."""
    try:
        return (Path(folder) / name).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReleaseError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def read_metadata(folder: Path, name: str) -> dict:
    """A model's metadata file, read as `key: JSON value` lines (never as YAML code): every key of METADATA_KEYS
    once, with its type; ReleaseError naming the file and line otherwise."""
    found: dict = {}
    for number, line in enumerate(read_text(folder, name).splitlines(), start=1):
        key, sep, raw = line.partition(": ")
        kind = METADATA_KEYS.get(key)
        try:
            value = json.loads(raw, parse_constant=lambda c: None) if sep else None
        except ValueError:
            value = None
        if kind is None or key in found or type(value) is not kind:
            raise ReleaseError(f"{name}, line {number}: expected one of {', '.join(METADATA_KEYS)} once, as "
                               f"`key: value` with a JSON {kind.__name__ if kind else 'value'}")
        found[key] = value
    missing = [k for k in METADATA_KEYS if k not in found]
    if missing:
        raise ReleaseError(f"{name}: no {missing[0]}")
    return found


def issued(folder: Path) -> list[dict]:
    """The metadata of every model the hub `folder` lists, its files first checked against the manifest."""
    problems = check_locked(Path(folder))
    if problems:
        raise ReleaseError(f"{folder}: {problems[0]}")
    return [read_metadata(folder, name) for name in sorted(manifest_entries(Path(folder)))
            if name.startswith(f"{METADATA_DIR}/")]
