"""Execution cache (the idea of Quarto's `freeze`): an executed notebook is reused while its inputs are unchanged.

The key of a notebook is a SHA-256 over everything its execution reads:
- the notebook file's bytes;
- the values of the parameters its section reads (`analysis.sections`: a parameter it does not read cannot change it);
- the data version (the hash of data/MANIFEST.sha256, which pins every data file);
- the scenario files (notebook 03 runs every scenario);
- the `analysis` package: every file under analysis/ except caches (.py modules and templates), so any code change
  invalidates every notebook; plus the Python version and the installed distributions and their versions.

An entry is one file `<key>.ipynb` in the cache folder ($ANALYSIS_CACHE_DIR, else .cache/notebooks/ in the
repository): a first line with the SHA-256 of the rest, then the executed notebook's bytes. It is written to a
temporary file and renamed into place, and read back only if the checksum, the notebook format, the key recorded
in its metadata and every output (only the kinds `analysis.views.present` emits, `present.emitted`) all pass; anything
else counts as a miss (and the bad entry is removed). Entries are data, never code: nothing is unpickled.

The same folder keeps, per data version and code, in the same checked-file layout: the validated tables
(`<key>.arrow`, Arrow IPC), which `analysis.data.load_dataset` uses only if every cell equals its file's, so that
unchanged data are validated once; and the build plan (`<key>.json`: each section's notebook and the parameters it
reads), which `report` checks against the notebooks and the schema, so that a build that executes nothing need not
import the sections (and with them altair and scipy).

Whoever can write the cache folder can change what the next build shows, so the folder is created 0700 and used only
if it is a folder owned by this user and writable by no one else. A folder that fails this, or any other cache
fault (a file in its place, a read-only location, a full disk), costs a one-line warning on stderr: the build goes
on without the cache, never fails because of it. (The Vega bundle every page embeds is kept in the environment:
`analysis.pipeline.page.vega_bundle`.)
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from functools import cache
from pathlib import Path

import nbformat

from analysis.pipeline.checked_file import read_verified, write_atomic
from analysis.errors import warn
from analysis.views.present import emitted
from analysis.data import FORECASTS_DIR, tree_digest
from analysis.data.scenarios import scenario_dir

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CACHE_DIR = PACKAGE_DIR.parent / ".cache" / "notebooks"
CACHE_DIR_ENV = "ANALYSIS_CACHE_DIR"
#: Where the key is recorded in an executed notebook's metadata.
METADATA_KEY = "analysis"
FORMAT = 1      # bump when the key's recipe or the entry layout changes


def configured_dir() -> Path | None:
    """The cache folder asked for: $ANALYSIS_CACHE_DIR if set (None if set but empty), else .cache/notebooks/."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return CACHE_DIR if configured is None else Path(configured) if configured else None


def protected_dir() -> Path | None:
    """The cache folder that an --out must stay out of: the configured one, unless it exists and is unsafe (then no
    build uses it, and an --out inside it, say in the system's temporary folder, is no concern of the cache)."""
    folder = configured_dir()
    try:
        return folder if folder is None or _unsafe(folder.stat()) is None else None
    except OSError:
        return folder               # not there yet: a build would create it


def existing_dir() -> Path | None:
    """The cache folder if it exists and is safe to use, without creating it or warning (for reads that may find
    nothing: a refused command writes nothing, not even the cache folder)."""
    folder = configured_dir()
    try:
        return folder if folder is not None and _unsafe(folder.stat()) is None else None
    except OSError:
        return None


def cache_dir() -> Path | None:
    """The cache folder if it is safe to use (`_refusal`), else None after a one-line warning on stderr."""
    return _checked(configured_dir())


@cache
def _checked(folder: Path | None) -> Path | None:
    why = _refusal(folder)
    if why is None:
        return folder
    warn(f"execution cache {'$' + CACHE_DIR_ENV if folder is None else folder}: {why}; building without the cache")
    return None


def _refusal(folder: Path | None) -> str | None:
    """Why `folder` must not hold the cache (None: it may); creates it (0700) if missing."""
    if folder is None:
        return "is set but empty"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError as exc:
        return f"cannot be created ({exc.strerror})"
    return _unsafe(info)


def _unsafe(info: os.stat_result) -> str | None:
    """Why a folder with this status must not hold the cache (None: it may)."""
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    if info.st_uid != os.getuid():
        return "belongs to another user, who could plant entries in it"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (f"is writable by other users (mode {stat.S_IMODE(info.st_mode):o}), who could plant entries in it "
                "(`chmod go-w` it, or delete it)")
    return None


@cache
def environment_digest() -> str:
    """SHA-256 over the Python version and the installed distributions: the names of the `*.dist-info` folders on
    sys.path, which carry name and version (no metadata file is read: well under a millisecond)."""
    dists = sorted(entry.name for folder in map(Path, sys.path) if folder.is_dir()
                   for entry in os.scandir(folder) if entry.name.endswith(".dist-info"))
    return hashlib.sha256("\n".join([sys.version, *dists]).encode()).hexdigest()


def code_digest() -> str:
    """SHA-256 over the `analysis` package's files (modules and templates) and the environment."""
    return hashlib.sha256(f"{tree_digest(PACKAGE_DIR, '*')}\0{environment_digest()}".encode()).hexdigest()


def inputs_digest() -> str:
    """SHA-256 over the files besides data/ that the notebooks read: the scenarios and the locked forecast releases
    (section 3 scores them)."""
    return hashlib.sha256((tree_digest(scenario_dir(), "*.yaml") + tree_digest(FORECASTS_DIR, "*")).encode()).hexdigest()


def notebook_key(notebook: Path, declared: dict, data_version: str, code: str, inputs: str) -> str:
    """The cache key of one notebook run with the parameter values `declared` (name -> value, its own only)."""
    recipe = {"format": FORMAT, "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(),
              "parameters": declared, "data_version": data_version, "code": code, "inputs": inputs}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def _data_key(kind: str, version: str) -> str:
    """The key of what is derived from data version `version` (the hash of the manifest) by this code: `kind` is
    "tables" (the validated tables) or "plan" (each section's notebook and parameters)."""
    recipe = {"format": FORMAT, kind: version, "code": code_digest()}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def _existing(name: str) -> bytes | None:
    """An intact entry of the cache folder, if the folder is already there and safe (looking creates nothing and
    warns of nothing: a command refused later has written nothing)."""
    folder = configured_dir()
    try:
        if folder is None or _unsafe(folder.stat()) is not None:
            return None
    except OSError:
        return None
    return read_verified(folder / name)


def _keep(name: str, body: bytes) -> None:
    """Store an entry unless the same bytes are there (nothing if the cache is not usable)."""
    folder = cache_dir()
    if folder is not None and read_verified(folder / name) != body:
        write_atomic(folder / name, body)


def stored_tables(version: str) -> bytes | None:
    """The stored snapshot (Arrow IPC) of data version `version`'s validated tables, if any."""
    return _existing(f"{_data_key('tables', version)}.arrow")


def store_tables(version: str, body: bytes) -> None:
    _keep(f"{_data_key('tables', version)}.arrow", body)


def stored_plan(version: str) -> list | None:
    """The stored build plan of data version `version` (JSON: what `analysis.pipeline.report` plans), if any."""
    body = _existing(f"{_data_key('plan', version)}.json")
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


def store_plan(version: str, plan: list) -> None:
    _keep(f"{_data_key('plan', version)}.json", json.dumps(plan, sort_keys=True).encode())


def record_key(nb: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode:
    """Write `key` into the notebook's metadata."""
    nb.metadata[METADATA_KEY] = {"cache_key": key}
    return nb


def _entry(key: str, directory: Path | None) -> Path | None:
    folder = directory or cache_dir()
    return None if folder is None else folder / f"{key}.ipynb"


def load(key: str, directory: Path | None = None) -> bytes | None:
    """The executed notebook's bytes stored under `key`, or None if absent or not verifiably intact and inert
    (checksum, notebook format, the key in its metadata, only outputs `present` emits); a bad entry is removed."""
    path = _entry(key, directory)
    body = read_verified(path) if path else None
    try:
        nb = nbformat.reads(body.decode("utf-8"), as_version=4) if body is not None else None
        if nb is not None:
            nbformat.validate(nb)
    except (UnicodeDecodeError, ValueError, nbformat.ValidationError):
        nb = None
    if nb is None or nb.metadata.get(METADATA_KEY, {}).get("cache_key") != key or \
            not all(emitted(output) for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs):
        if path:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        return None
    return body


def store(key: str, body: bytes, directory: Path | None = None) -> None:
    """Save an executed notebook under `key` (nothing if the cache is not usable)."""
    path = _entry(key, directory)
    if path:
        write_atomic(path, body)
