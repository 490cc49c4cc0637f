"""An unchanged re-run does nothing: `run --out FOLDER` with exactly the inputs whose report FOLDER already holds,
intact, leaves it as it is and says so (as `make` leaves a target that is newer than its sources).

A build that used the cache records there, per output folder, the fingerprint of its inputs and the SHA-256 of every
file it wrote. The fingerprint covers all that a build reads: the command line's parameter options (a --params file
by its bytes), the data folder's files, the notebooks, the scenarios and locked releases (`cache.inputs_digest`),
CITATION.cff, the package's code and the installed environment (`cache.code_digest`). A changed input; a report file
changed, added or removed; a record that is missing, corrupt or not of the expected shape: each means a build as
usual. The record is a checked file (`checked_file`) holding JSON of hex digests, read as data."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from analysis.data import read_bounded, tree_digest
from analysis.data.scenarios import MAX_BYTES as PARAMS_FILE_LIMIT
from analysis.pipeline import cache
from analysis.pipeline.checked_file import read_verified, write_atomic
from analysis.pipeline.citation import CITATION_FILE
from analysis.pipeline.runner import NOTEBOOK_DIR

HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
REPORT_PAGE = "index.html"      # a folder without it holds no report
FORMAT = 1      # bump when the fingerprint's recipe or the record's layout changes


def fingerprint(scenario: str | None, params_file: Path | None, assignments: list[str], data_dir: Path) -> str | None:
    """SHA-256 over everything a `run` with these options reads; None if a file it names cannot be read or a
    --params file is larger than a parameter file may be (the build then reports it; such a file is not read)."""
    try:
        params = read_bounded(params_file, PARAMS_FILE_LIMIT) if params_file is not None else b""
        if params is None:
            return None
        options = {"format": FORMAT, "scenario": scenario, "set": assignments, "data": str(data_dir.resolve()),
                   "params": params_file and hashlib.sha256(params).hexdigest(),
                   "citation": CITATION_FILE.is_file() and hashlib.sha256(CITATION_FILE.read_bytes()).hexdigest()}
        parts = [json.dumps(options, sort_keys=True), tree_digest(data_dir, "*"),
                 tree_digest(NOTEBOOK_DIR, "*.ipynb"), cache.inputs_digest(), cache.code_digest()]
    except OSError:
        return None
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def current(out: Path, inputs: str | None) -> bool:
    """Whether `out` holds, intact, the report a build with the inputs `inputs` wrote there."""
    recorded = _read(out)
    return (inputs is not None and recorded is not None and recorded["inputs"] == inputs
            and REPORT_PAGE in recorded["files"] and recorded["files"] == _files(out))


def record(out: Path, inputs: str | None) -> None:
    """Remember that `out` now holds the report of `inputs` (nothing if there is no cache folder or fingerprint)."""
    folder = cache.cache_dir()
    if folder is not None and inputs is not None:
        body = {"inputs": inputs, "files": _files(out)}
        write_atomic(_record_path(folder, out), json.dumps(body, sort_keys=True).encode())


def _record_path(folder: Path, out: Path) -> Path:
    return folder / "reports" / f"{hashlib.sha256(str(out.resolve()).encode()).hexdigest()}.json"


def _read(out: Path) -> dict | None:
    """The record of `out`, if intact and of the expected shape."""
    folder = cache.existing_dir()
    body = read_verified(_record_path(folder, out)) if folder is not None else None
    try:
        loaded = json.loads(body) if body is not None else None
    except ValueError:
        return None
    if not (isinstance(loaded, dict) and set(loaded) == {"inputs", "files"} and isinstance(loaded["files"], dict)
            and all(isinstance(digest, str) and HEX_DIGEST.fullmatch(digest)
                    for digest in [loaded["inputs"], *loaded["files"].values()])):
        return None
    return loaded


def _files(out: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under `out`."""
    return {path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out.rglob("*")) if path.is_file()}
