"""Execution cache (the idea of Quarto's `freeze`): an executed notebook is reused while its inputs are unchanged.

The key of a notebook is a SHA-256 over everything its execution reads:
- the notebook file's bytes;
- the values of the parameters it declares (a parameter it does not declare cannot change it);
- the data version (the hash of data/MANIFEST.sha256, which pins every data file);
- the scenario files (notebook 03 runs every scenario);
- the `analysis` package: every file under analysis/ except caches (.py modules and templates), so any code change
  invalidates every notebook; plus the Python version and the installed distributions and their versions.

An entry is one file `<key>.ipynb` in the cache folder ($ANALYSIS_CACHE_DIR, else .cache/notebooks/ in the
repository): a first line with the SHA-256 of the rest, then the executed notebook's bytes. It is written to a
temporary file and renamed into place, and read back only if the checksum, the notebook format and the key recorded
in its metadata all agree; anything else counts as a miss (and the bad entry is removed).

The cache folder also keeps the validated data tables per data version and code (`validated_dataset`), in the same
entry format. The Vega bundle every page embeds is kept in the environment instead (`vega_bundle`).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

import nbformat
import vl_convert

from analysis import data
from analysis.data import Dataset
from analysis.scenarios import scenario_dir

PACKAGE_DIR = Path(__file__).resolve().parent
CACHE_DIR = PACKAGE_DIR.parent / ".cache" / "notebooks"
CACHE_DIR_ENV = "ANALYSIS_CACHE_DIR"
#: Where the key is recorded in an executed notebook's metadata.
METADATA_KEY = "analysis"
FORMAT = 1      # bump when the key's recipe or the entry layout changes
#: Where the Vega bundle is kept: beside the installed packages (see `vega_bundle`).
BUNDLE_DIR = Path(sys.prefix) / "share" / "aws-accelerators"


def cache_dir() -> Path:
    """The cache folder: $ANALYSIS_CACHE_DIR if set, else .cache/notebooks/ in the repository."""
    return Path(os.environ.get(CACHE_DIR_ENV, CACHE_DIR))


def _tree_digest(directory: Path, pattern: str) -> str:
    """SHA-256 over the relative paths and bytes of the files under `directory` matching `pattern`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(directory).as_posix()}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def environment_digest() -> str:
    """SHA-256 over the Python version and the installed distributions: the names of the `*.dist-info` folders on
    sys.path, which carry name and version (no metadata file is read: well under a millisecond)."""
    dists = sorted(entry.name for folder in map(Path, sys.path) if folder.is_dir()
                   for entry in os.scandir(folder) if entry.name.endswith(".dist-info"))
    return hashlib.sha256("\n".join([sys.version, *dists]).encode()).hexdigest()


def code_digest() -> str:
    """SHA-256 over the `analysis` package's files (modules and templates) and the environment."""
    return hashlib.sha256(f"{_tree_digest(PACKAGE_DIR, '*')}\0{environment_digest()}".encode()).hexdigest()


def scenarios_digest() -> str:
    """SHA-256 over the scenario files the notebooks would read."""
    return _tree_digest(scenario_dir(), "*.yaml")


def notebook_key(notebook: Path, declared: dict, data_version: str, code: str, scenarios: str) -> str:
    """The cache key of one notebook run with the parameter values `declared` (name -> value, its own only)."""
    recipe = {"format": FORMAT, "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(),
              "parameters": declared, "data_version": data_version, "code": code, "scenarios": scenarios}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def record_key(nb: nbformat.NotebookNode, key: str) -> nbformat.NotebookNode:
    """Write `key` into the notebook's metadata."""
    nb.metadata[METADATA_KEY] = {"cache_key": key}
    return nb


def _entry(key: str, directory: Path | None) -> Path:
    return (directory or cache_dir()) / f"{key}.ipynb"


def _read_verified(path: Path) -> bytes | None:
    """The body of an entry whose first line is the SHA-256 of the rest, or None (absent, partial or corrupt)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    checksum, sep, body = raw.partition(b"\n")
    return body if sep and checksum == hashlib.sha256(body).hexdigest().encode("ascii") else None


def _write_atomic(path: Path, body: bytes) -> None:
    """Write an entry (checksum line, then `body`) to a temporary file and rename it into place; a failure to write
    the cache never fails a build."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        finally:
            Path(partial).unlink(missing_ok=True)
    except OSError:
        pass


def load(key: str, directory: Path | None = None) -> bytes | None:
    """The executed notebook's bytes stored under `key`, or None if absent or not verifiably intact (checksum,
    notebook format and the key in its metadata); a bad entry is removed."""
    path = _entry(key, directory)
    body = _read_verified(path)
    try:
        nb = nbformat.reads(body.decode("utf-8"), as_version=4) if body is not None else None
        if nb is not None:
            nbformat.validate(nb)
    except (UnicodeDecodeError, ValueError, nbformat.ValidationError):
        nb = None
    if nb is None or nb.metadata.get(METADATA_KEY, {}).get("cache_key") != key:
        path.unlink(missing_ok=True)
        return None
    return body


def store(key: str, body: bytes, directory: Path | None = None) -> None:
    """Save an executed notebook under `key`."""
    _write_atomic(_entry(key, directory), body)


def validated_dataset(directory: Path | str | None = None, use_cache: bool = True) -> Dataset:
    """`data.load_dataset`, with the validated tables kept in the cache folder per data version and code digest
    (`dataset-<version>-<code>.pickle`, an entry like a notebook's): unchanged files are validated once. Checksums
    are verified on every call; `use_cache=False` validates again (and refreshes the entry)."""
    directory = Path(directory).resolve() if directory else data.data_dir()
    if not directory.is_dir():
        return data.load_dataset(directory)             # its error names the folder
    version = data.verify_manifest(directory)
    path = cache_dir() / f"dataset-{version}-{code_digest()}.pickle"
    body = _read_verified(path) if use_cache else None
    dataset = data.from_snapshot(body, version, directory) if body is not None else None
    if dataset is None:
        dataset = data.load_dataset(directory)
        _write_atomic(path, data.snapshot(dataset))
    return dataset


def vega_bundle(directory: Path | None = None) -> str:
    """vl-convert's vega + vega-lite + vega-embed bundle, which every page embeds (about 0.9 MB, about 2 s of CPU
    to build). It depends on the vl-convert version alone, so it belongs to the installed environment: it is kept
    in BUNDLE_DIR (built by `make` at install, else by the first build that needs it)."""
    path = (directory or BUNDLE_DIR) / f"vega-bundle-vl-convert-{vl_convert.__version__}.js"
    body = _read_verified(path)
    if body is None:
        body = vl_convert.javascript_bundle().encode("utf-8")
        _write_atomic(path, body)
    return body.decode("utf-8")
