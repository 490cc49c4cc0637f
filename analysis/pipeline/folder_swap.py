"""A data folder replaced by a changed copy in one atomic step (`replace_folder`), for `refresh --accept`.

The folder is copied into a scratch folder beside it (`.NAME.refresh-XXXXXXXX`), the caller writes and checks its
changes there, every file and the folder are fsynced, and the two folders trade places in one
`renameat2(RENAME_EXCHANGE)` (`outdir.exchange`): whatever fails or kills the process, the folder is the old one or
the new one, never a mix. A failed write is a RefreshFailed (exit status 1) naming the file; the next replacement
removes a scratch folder left behind.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from analysis import data
from analysis.errors import UserError, warn
from analysis.pipeline import outdir

SCRATCH_INFIX = ".refresh-"


class RefreshFailed(UserError):
    """The new data/ could not be written (a full disk, a file-size limit): exit status 1, data/ unchanged."""

    exit_status = 1


def _named(path: Path, exc: OSError) -> OSError:
    """`exc` with the path it concerns (a failed write, unlike a failed open, does not name its file)."""
    return exc if exc.filename else OSError(exc.errno, exc.strerror, str(path))


def write_synced(path: Path, text: str) -> None:
    """Write a new file and flush it to the disk (the scratch folder's files, before the folder swap)."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise _named(path, exc) from None


def _copy_synced(source: Path, target: Path) -> None:
    """Copy the folder `source` into the existing folder `target`, each file flushed to the disk (links as links)."""
    for entry in source.iterdir():
        made = target / entry.name
        try:
            if entry.is_symlink():
                os.symlink(os.readlink(entry), made)
            elif entry.is_dir():
                made.mkdir()
                shutil.copystat(entry, made)
                _copy_synced(entry, made)
            else:
                shutil.copy2(entry, made)
                fd = os.open(made, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:          # named by the copy written (shutil names the file read)
            raise OSError(exc.errno, exc.strerror, str(made)) from None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _scratch_pattern(directory: Path) -> re.Pattern:
    return re.compile(re.escape(f".{directory.name}{SCRATCH_INFIX}") + r"[a-z0-9_]{8}")


def replace_folder(directory: Path, write_new) -> None:
    """Replace `directory` (a data folder) by a changed copy in one atomic step: copy it into a scratch folder beside
    it (each file fsynced), let `write_new(scratch)` write and check the changes there (each file fsynced), fsync the
    folder, then exchange the two folders and remove the scratch folder (now the old data). An error before the
    exchange leaves `directory` untouched; an OSError is a RefreshFailed naming the folder. A scratch folder of a
    killed refresh (a copy of a data folder: it holds a manifest) is removed first; a lock beside the folder keeps
    two refreshes apart."""
    parent = directory.parent
    with outdir.locked(directory, "refresh into"):
        for entry in parent.iterdir():
            if _scratch_pattern(directory).fullmatch(entry.name) and not entry.is_symlink() and entry.is_dir() \
                    and (entry / data.MANIFEST).is_file():
                shutil.rmtree(entry, ignore_errors=True)
        scratch = None
        try:
            scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}{SCRATCH_INFIX}", dir=parent))
            _copy_synced(directory, scratch)
            scratch.chmod(directory.stat().st_mode & 0o7777)
            write_new(scratch)
            _fsync_folder(scratch)
            if not outdir.exchange(scratch, directory):
                raise RefreshFailed(f"refresh epoch: {parent} cannot swap two folders atomically "
                                    "(renameat2 RENAME_EXCHANGE); nothing was written")
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise RefreshFailed(f"refresh epoch: cannot write the new data beside {directory}: "
                                f"{exc.strerror or exc}{where}; {directory} is unchanged") from None
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        try:                            # the new data/ is in place; this makes the swap durable
            _fsync_folder(parent)
        except OSError as exc:
            warn(f"{directory} is replaced, but {parent} could not be flushed to the disk ({exc.strerror})")
