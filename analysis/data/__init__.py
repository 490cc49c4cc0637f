"""The one data loader: every table in data/ is checksummed, schema-validated and cross-checked on load.

`load_dataset()` returns a `Dataset` whose tables are pandas DataFrames. A bad file raises
`DataError` naming the file, line and column, before any number is computed. The schemas live in
`analysis.data.tables`, the checks in `analysis.data.validation`; a validated dataset can be handed on as a
snapshot in Arrow's IPC format (`snapshot`, `from_snapshot`: data only, never pickle), so that a report build
validates the same files once, and a caller may offer a stored snapshot (`load_dataset(stored=...)`, the report
builder's cache), which is used only if every cell equals its file's (`matches_files`).
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from analysis.data.vocab import FILE_NAME, evidence_ids, shorten  # noqa: F401 (re-exported)
from analysis.errors import DataError

PACKAGE_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: The locked forecast releases (analysis.models.forecasts), which section 3 scores.
FORECASTS_DIR = Path(__file__).resolve().parents[2] / "forecasts"
MANIFEST = "MANIFEST.sha256"
DATA_DIR_ENV = "ANALYSIS_DATA_DIR"
SNAPSHOT_ENV = "ANALYSIS_DATA_SNAPSHOT"



@dataclass(frozen=True)
class Dataset:
    """All validated tables plus the data version (a hash of the manifest)."""

    tables: dict
    version: str
    directory: Path

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name].copy()

    def source(self, source_id: str) -> dict:
        """One row of sources.csv as a dict (KeyError for an unknown id)."""
        return dict(self._sources[source_id])

    @cached_property
    def _sources(self) -> dict[str, dict]:
        return {row["id"]: row for row in self.tables["sources"].to_dict("records")}


def data_dir() -> Path:
    """The data directory: $ANALYSIS_DATA_DIR if set, else the repository's data/."""
    return Path(os.environ.get(DATA_DIR_ENV, PACKAGE_DATA_DIR)).resolve()


def tree_digest(directory: Path, pattern: str) -> str:
    """SHA-256 over the relative paths and bytes of the files under `directory` whose names match `pattern` (as
    `Path.rglob` selects them: symbolic links to files count, linked folders are not entered; `__pycache__` left
    out), in the order of their paths' parts. Walked with `os.scandir`: a few times faster than `rglob` and
    `Path.is_file` (about 9 ms for the package's folder), and every build takes several such digests."""
    digest = hashlib.sha256()
    for parts, path in sorted(_matching_files(str(directory), (), pattern)):
        digest.update(f"{'/'.join(parts)}\0{os.stat(path).st_size}\0".encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def _matching_files(folder: str, parts: tuple[str, ...], pattern: str) -> list[tuple[tuple[str, ...], str]]:
    """(relative parts, path) of the files under `folder` (at `parts`) whose names match `pattern`."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                found += _matching_files(entry.path, (*parts, entry.name), pattern)
            elif fnmatch.fnmatchcase(entry.name, pattern) and entry.is_file():
                found.append(((*parts, entry.name), entry.path))
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv_files(directory: Path) -> list[Path]:
    """The data files in `directory`; anything named *.csv that is not a regular file is a DataError."""
    files = sorted(directory.glob("*.csv"))
    for path in files:
        if path.is_symlink() or not path.is_file():
            raise DataError(f"{path}: not a regular file (a data file must be a plain CSV file in {directory})")
    return files


def write_manifest(directory: Path | None = None) -> Path:
    """Record the checksum of every CSV in the data directory (run after a deliberate edit)."""
    directory = Path(directory or data_dir())
    if not directory.is_dir():
        raise DataError(f"{directory}: data directory not found")
    target = directory / MANIFEST
    target.write_text(manifest_text(directory), encoding="utf-8")
    return target


def manifest_text(directory: Path) -> str:
    """The manifest of the CSV files in `directory`: one '<sha256>  <name>' line each, sorted by name."""
    return "".join(f"{_sha256(p)}  {p.name}\n" for p in _csv_files(directory))


def verify_manifest(directory: Path) -> str:
    """Check every data file against the manifest; return the data version (12 hex digits)."""
    return _verified_manifest_digest(directory)[:12]


def _verified_manifest_digest(directory: Path) -> str:
    """Check every data file against the manifest; return the manifest's SHA-256 (64 hex digits), which then pins
    the bytes of every data file in the folder."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise DataError(f"{manifest}: checksum manifest is missing (run `make data-manifest` after editing data)")
    try:
        text = manifest.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{manifest}: not UTF-8 text (byte {exc.start}); run `make data-manifest` to rewrite it") from None
    listed = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            raise DataError(f"{manifest}, line {number}: expected '<sha256>  <file name>', got {shorten(line)}")
        if not FILE_NAME.fullmatch(name):
            raise DataError(f"{manifest}, line {number}: {shorten(name)} is not a CSV file name in the data folder "
                            "(entries are plain names, never paths)")
        if name in listed:
            raise DataError(f"{manifest}, line {number}: {name} is listed twice")
        listed[name] = digest
    present = {p.name for p in _csv_files(directory)}
    for name in sorted(present - set(listed)):
        raise DataError(f"{directory / name}: file is not in {MANIFEST} (run `make data-manifest` after adding data)")
    for name, digest in listed.items():
        path = directory / name
        if not path.is_file():
            raise DataError(f"{path}: file listed in {MANIFEST} is missing")
        if _sha256(path) != digest:
            raise DataError(f"{path}: contents differ from the checksum in {MANIFEST} "
                            "(the file was edited; review the change, then run `make data-manifest`)")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of the file at `path`, or None if it holds more than `limit` (never reads more than limit + 1)."""
    with open(path, "rb") as handle:
        raw = handle.read(limit + 1)
    return None if len(raw) > limit else raw


def _ipc(table) -> bytes:
    import pyarrow as pa
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def snapshot(dataset: Dataset) -> bytes:
    """A validated dataset as bytes in Arrow's IPC format (data only, never code): a report build hands it to its
    kernels, so that the same files are validated once per build."""
    import pyarrow as pa
    blobs = [_ipc(pa.Table.from_pandas(frame, preserve_index=False)) for frame in dataset.tables.values()]
    listing = pa.table({"name": list(dataset.tables), "table": pa.array(blobs, pa.large_binary())})
    return _ipc(listing.replace_schema_metadata({"version": dataset.version}))


def from_snapshot(body: bytes, version: str, directory: Path) -> Dataset | None:
    """The dataset in a snapshot if it holds these very files (`version`, the hash of the manifest, pins every
    file), else None (also for bytes that are not a snapshot)."""
    import pyarrow as pa
    try:
        listing = pa.ipc.open_stream(body).read_all()
        if (listing.schema.metadata or {}).get(b"version") != version.encode():
            return None
        tables = {name: pa.ipc.open_stream(blob).read_all().to_pandas()
                  for name, blob in zip(listing["name"].to_pylist(), listing["table"].to_pylist())}
    except (pa.ArrowException, KeyError, TypeError, ValueError):
        return None
    return Dataset(tables=tables, version=version, directory=directory)


def _build_snapshot(directory: Path, version: str) -> Dataset | None:
    """In a kernel of a report build: the build's snapshot ($ANALYSIS_DATA_SNAPSHOT), if it holds these files."""
    path = os.environ.get(SNAPSHOT_ENV)
    try:
        return from_snapshot(Path(path).read_bytes(), version, directory) if path else None
    except OSError:
        return None


def matches_files(dataset: Dataset) -> bool:
    """Whether a dataset read from a stored snapshot holds exactly the cells of the files in its folder: one table
    per CSV file (named by it), the same columns and rows, every text cell equal and every number equal to the
    number its cell reads as. The snapshot's claim that the files passed validation rests on its key (the data
    version and the code); what the report shows is then what the files say, whoever wrote the snapshot."""
    import numpy as np
    directory = dataset.directory
    if sorted(f"{name}.csv" for name in dataset.tables) != [path.name for path in _csv_files(directory)]:
        return False
    for name, frame in dataset.tables.items():
        raw = pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if list(raw.columns) != list(frame.columns) or not frame.index.equals(pd.RangeIndex(len(raw))):
            return False
        for column, cells in raw.items():
            stored = frame[column]
            if stored.dtype.kind in "fi":
                numbers = pd.to_numeric(cells.replace("", "nan"), errors="coerce").to_numpy(float)
                if not np.array_equal(numbers, stored.to_numpy(float), equal_nan=True):
                    return False
            elif stored.dtype.kind not in "OUT" or stored.tolist() != cells.tolist():
                return False
    return True


#: Looks up a stored snapshot of the validated tables by data version (None: not stored).
StoredTables = Callable[[str], bytes | None]


#: What the running `load_dataset` call's caller does while a child process validates (its `meanwhile`): kept out of
#: `_load`'s cache key, so that a later call without it finds the same dataset.
_meanwhile: list[Callable[[], object]] = []


#: Tables validated in this process (or in a child process for it), by the SHA-256 of the manifest they were
#: validated under: the manifest pins every file's bytes, so another folder whose verified manifest is the same holds
#: the same tables (a copy of data/, such as each bad-input test's), and they are not validated again.
_validated_tables: dict[str, dict] = {}
_VALIDATED_KEPT = 4


@lru_cache(maxsize=4)
def _load(directory: Path, manifest_digest: str, stored: StoredTables | None = None) -> Dataset:
    version = manifest_digest[:12]
    from_build = _build_snapshot(directory, version)
    if from_build is not None:
        return from_build
    if manifest_digest in _validated_tables:
        return Dataset(tables=_validated_tables[manifest_digest], version=version, directory=directory)
    body = stored(version) if stored else None
    from_store = from_snapshot(body, version, directory) if body is not None else None
    if from_store is not None and matches_files(from_store):
        return from_store
    validated = _validated_beside(directory, version, _meanwhile[-1]) if _meanwhile else None
    if validated is None:
        validated = _validated(directory, version)
    while len(_validated_tables) >= _VALIDATED_KEPT:
        del _validated_tables[next(iter(_validated_tables))]
    _validated_tables[manifest_digest] = validated.tables
    return validated


def forget_loaded() -> None:
    """Forget every dataset this process loaded or validated: the next `load_dataset` reads its folder again."""
    _load.cache_clear()
    _validated_tables.clear()


def _validated(directory: Path, version: str) -> Dataset:
    from analysis.data import validation     # pandera is imported only when a folder is validated
    return Dataset(tables=validation.validate(directory), version=version, directory=directory)


#: What a validating child process sends first: its snapshot of the validated tables, or a DataError's message.
_TABLES, _REFUSED = b"T", b"E"


def _validated_beside(directory: Path, version: str, meanwhile: Callable[[], object]) -> Dataset | None:
    """The folder validated in a forked child process while this one runs `meanwhile()` (on two cores the
    validation, about 0.45 s with pandera's import, then takes no wall time beside work this process needs next,
    such as importing the sections): the child sends a snapshot of the validated tables, or the message of the
    DataError it raised, which is raised here. None if the child ended without either (this process then validates,
    and any bug shows its traceback here)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                # the child: validate, send, end without running any exit handler
        status = 1
        try:
            os.close(read_end)
            try:
                body = _TABLES + snapshot(_validated(directory, version))
            except DataError as exc:
                body = _REFUSED + str(exc).encode("utf-8")
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(body)
            status = 0
        finally:                                # a bug, Ctrl-C or a closed pipe: status 1, no traceback
            os._exit(status)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            meanwhile()
            body = pipe.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.waitpid(pid, 0)
    if body.startswith(_REFUSED):
        raise DataError(body[len(_REFUSED):].decode("utf-8"))
    return from_snapshot(body[len(_TABLES):], version, directory) if body.startswith(_TABLES) else None


def load_dataset(directory: Path | str | None = None, stored: StoredTables | None = None,
                 meanwhile: Callable[[], object] | None = None) -> Dataset:
    """Verify checksums, validate every table and return the dataset (cached per folder and manifest; tables this
    process validated are reused for any folder whose verified manifest is the same, `_validated_tables`). In a report
    build's kernels the build's validated snapshot of the same files is read instead of validating them again;
    `stored` may offer a snapshot kept from an earlier run, read if it holds exactly the files' cells. Where the
    tables are validated (not when they come from a snapshot or this process's cache), `meanwhile()` runs in this
    process while a child process validates them (`_validated_beside`)."""
    directory = Path(directory).resolve() if directory else data_dir()
    if not directory.is_dir():
        raise DataError(f"{directory}: data directory not found")
    manifest_digest = _verified_manifest_digest(directory)
    if meanwhile is None:
        return _load(directory, manifest_digest, stored)
    _meanwhile.append(meanwhile)
    try:
        return _load(directory, manifest_digest, stored)
    finally:
        _meanwhile.pop()
