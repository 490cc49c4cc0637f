"""Files whose first line is the SHA-256 of the rest: written atomically, read back only if intact (the execution
cache's entries and the Vega bundle)."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

from analysis.errors import warn

#: What a folder of checked files is called in a warning, by its name (default: the cache folder).
STORES = {"aws-accelerators": "Vega bundle"}


def read_verified(path: Path) -> bytes | None:
    """The body of a file whose first line is the SHA-256 of the rest, or None (absent, partial or corrupt)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    checksum, sep, body = raw.partition(b"\n")
    return body if sep and checksum == hashlib.sha256(body).hexdigest().encode("ascii") else None


def write_atomic(path: Path, body: bytes) -> None:
    """Write a file (checksum line, then `body`) to a temporary file and rename it into place; a failure to write
    costs one warning on stderr, never the build."""
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
            with contextlib.suppress(OSError):
                Path(partial).unlink(missing_ok=True)
    except OSError as exc:
        write_failed(path.parent, exc.strerror)


@cache
def write_failed(folder: Path, why: str) -> None:
    warn(f"cannot write to the {STORES.get(folder.name, 'cache')} folder {folder} ({why}); the build goes on without storing its results there")
