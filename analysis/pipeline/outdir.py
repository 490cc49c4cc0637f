"""The report folder (`--out`): which paths may be written, and how a build replaces one without losing it.

- A folder is replaced only if it is new, empty, or carries MARKER (a report this tool built); files, the
  filesystem root, the repository and the project's own folders are refused before any work starts.
- A build writes into a staging folder `.NAME.build-XXXXXXXX` beside NAME, then swaps it in with one atomic
  `renameat2(RENAME_EXCHANGE)`, so NAME always holds the old or the new report, whatever kills the process.
- `.NAME.lock` (opened without following a symbolic link) serializes builds into one folder and is removed when the
  build ends; a lock file that no live process holds (its build was killed) is removed by the next build beside it
  (`remove_stale_locks`). The next build also removes what an interrupted one left behind, and only that: a staging folder is removed only if its MARKER names its own
  build id, `.NAME.previous` only if it carries a finished report's MARKER (a folder someone else put there under
  such a name stays), and the target is checked again just before the swap.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from pathlib import Path

from analysis.errors import UserError

MARKER = ".aws-accelerators-report"
MARKER_TEXT = "A report folder written by `python -m analysis run`; a later run may replace it.\n"
REPOSITORY = Path(__file__).resolve().parents[2]
#: Folders of the project that no report may replace or live in.
PROJECT_FOLDERS = tuple(REPOSITORY / name for name in (".git", "analysis", "data", "notebooks", "scenarios", "tests"))
STAGING_INFIX = ".build-"
PREVIOUS_SUFFIX = ".previous"
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
LOCK_SUFFIX = ".lock"
LOCK_TEXT = re.compile(r"(pid \d+\n)?", re.ASCII)      # what a lock file holds (empty: written before this rule)
BUILD_ID = 8                            # characters of the random part of a staging folder's name
NAME_MAX = 255                          # bytes in a file name (Linux filesystems)


class OutError(UserError):
    """An --out path that the tool must not (or cannot) write."""


def _refuse(out: Path, why: str) -> OutError:
    return OutError(f"--out {out}: {why}; nothing was written")


def check(out: Path, protected: tuple[Path | None, ...] = ()) -> Path:
    """The absolute report folder for `out`, or OutError if writing there could destroy what this tool did not write
    (`protected`: more folders to keep, None for one that is not configured)."""
    out = Path(out)
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link; give the folder itself")
    target = out.resolve()
    if target == target.parent:
        raise _refuse(out, "is the filesystem root")
    kept = (*PROJECT_FOLDERS, *(Path(p).resolve() for p in protected if p))
    for folder in (REPOSITORY, *kept):
        if target == folder or target in folder.parents:
            raise _refuse(out, f"would replace {folder}, which holds files this tool did not write")
    for folder in kept:
        if folder in target.parents:
            what = "the project's own files" if folder in PROJECT_FOLDERS else "data or the execution cache"
            raise _refuse(out, f"lies inside {folder}, which holds {what}")
    if target.exists():
        if not target.is_dir():
            raise _refuse(out, "is a file, not a report folder")
        if not _replaceable(target):
            raise _refuse(out, f"is a folder that this tool did not write (no {MARKER} marker); "
                               "give a new or empty folder, or a report built earlier")
    if len(os.fsencode(f".{target.name}{STAGING_INFIX}{'x' * BUILD_ID}")) > NAME_MAX:
        raise _refuse(out, f"the folder name is too long (a build needs {len(STAGING_INFIX) + BUILD_ID + 1} more "
                           f"characters beside it, within {NAME_MAX} bytes)")
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise _refuse(out, f"{existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _refuse(out, f"folder {existing} is not writable")
    return target


def _replaceable(target: Path) -> bool:
    """Whether a build may put its report at `target`: nothing there, an empty folder, or a report (MARKER)."""
    if target.is_symlink():
        return False
    return not target.exists() or target.is_dir() and ((target / MARKER).is_file() or not any(target.iterdir()))


def _staging_pattern(target: Path) -> re.Pattern:
    return re.compile(re.escape(f".{target.name}{STAGING_INFIX}") + f"([a-z0-9_]{{{BUILD_ID}}})")


def _built_here(folder: Path, build_id: str | None = None) -> bool:
    """Whether `folder` (not a link) carries this tool's marker: a finished report's, or (with `build_id`) the
    marker of the staging folder of that build."""
    marker = folder / MARKER
    if folder.is_symlink() or not folder.is_dir() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        text = marker.read_text(encoding="utf-8")[:1000]
    except (OSError, UnicodeDecodeError):
        return False
    return text == MARKER_TEXT + (f"build {build_id}\n" if build_id else "")


def recover(target: Path) -> None:
    """Undo what an interrupted build left beside `target`: bring back a report caught between the two renames of
    the fallback swap, then remove staging folders (the lock holder calls this, so none of them is in use). Only
    folders carrying this tool's marker and their build id are touched (or empty staging folders)."""
    previous = target.with_name(f".{target.name}{PREVIOUS_SUFFIX}")
    if _built_here(previous):
        if not target.exists():
            previous.rename(target)
        else:
            shutil.rmtree(previous, ignore_errors=True)
    pattern = _staging_pattern(target)
    for entry in target.parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and _built_here(entry, match.group(1)):
            shutil.rmtree(entry, ignore_errors=True)
        elif match and entry.is_dir() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.rmdir()                   # empty: killed before its marker was written


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system or filesystem cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(staging: Path, target: Path) -> None:
    """Put the finished build at `target`; the old report (if any) ends in `staging` for removal. The target is
    checked again first: anything there that this tool did not build stays, and the build is refused."""
    if not _replaceable(target):
        raise _refuse(target, "something this tool did not write appeared there during the build")
    if not target.exists():
        staging.rename(target)
        return
    previous = target.with_name(f".{target.name}{PREVIOUS_SUFFIX}")
    if not exchange(staging, target):      # two renames; `recover` repairs a kill between them
        if previous.exists() or previous.is_symlink():
            raise _refuse(target, f"{previous.name}, which this tool did not write, is in the way")
        target.rename(previous)
        staging.rename(target)
        previous.rename(staging)
    shutil.rmtree(staging, ignore_errors=True)


def _same_file(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is still the file at `path` (a lock removed and made anew is another file)."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(path))
    except OSError:
        return False


def _take_stale(path: Path) -> int | None:
    """An open, locked descriptor of the lock file `path` if no live process holds it and it holds only a lock's
    text (so that it may be removed), else None."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(fd, path) and LOCK_TEXT.fullmatch(os.pread(fd, 100, 0).decode("ascii", "replace")):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def remove_stale_locks(folder: Path) -> None:
    """Remove the lock files in `folder` that no live process holds (left by builds that were killed)."""
    for entry in folder.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(LOCK_SUFFIX) and (fd := _take_stale(entry)) is not None:
            with contextlib.suppress(OSError):
                entry.unlink()
            os.close(fd)


@contextlib.contextmanager
def locked(target: Path, what: str = "--out"):
    """Hold `.NAME.lock` beside `target` for the block (another holder: OutError naming `what`), then remove it."""
    lock_path = target.with_name(f".{target.name}{LOCK_SUFFIX}")
    for _ in range(3):                  # the file may be removed by its last holder between open and flock
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            why = "is a symbolic link" if exc.errno == errno.ELOOP else f"cannot be opened ({exc.strerror})"
            raise OutError(f"{what} {target}: the lock {lock_path.name} {why}; nothing was written") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutError(f"{what} {target}: another build into this folder is running (lock {lock_path.name}); "
                           "nothing was written") from None
        if _same_file(fd, lock_path):
            break
        os.close(fd)
    else:
        raise OutError(f"{what} {target}: the lock {lock_path.name} keeps changing; nothing was written")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode("ascii"), 0)
        remove_stale_locks(target.parent)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()          # still ours: removed before the lock is released
        os.close(fd)


@contextlib.contextmanager
def claim(target: Path):
    """Lock `target`, clean leftovers, and yield an empty staging folder; on success the staging folder (with the
    marker) replaces `target`, on any failure it is removed and `target` is untouched."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stack = contextlib.ExitStack()
        stack.enter_context(locked(target))
    except OSError as exc:
        raise _refuse(target, f"cannot write there ({exc.strerror})") from None
    with stack:
        recover(target)
        prefix = f".{target.name}{STAGING_INFIX}"
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
        try:
            staging.chmod(0o755)
            (staging / MARKER).write_text(f"{MARKER_TEXT}build {staging.name.removeprefix(prefix)}\n",
                                          encoding="utf-8")
            yield staging
            (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")      # a finished report: no build id
            swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
