"""`watch`: the interactive what-if loop. Builds a report like `run`, then rebuilds it whenever an input changes (the
--params file a reader edits, a data file, a notebook, the code), with the workers and their kernels kept warm
between builds: a what-if then costs the notebooks it re-executes, not a kernel start and the imports.

Each round compares the inputs' fingerprint (`uptodate.fingerprint`) with the last build's; a changed one means a
build through the cache, exactly as `run` would make it (same files, byte for byte). A user's mistake (a bad value in
the file) prints its one line and the loop waits for the next change; the last good report stays (in the first
build, before there is one, it ends the command as it would end `run`). New data or new
code start new workers (a kernel keeps the modules and the dataset it loaded). Ctrl-C ends it."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from analysis import data
from analysis.data import params, scenarios
from analysis.data.params import Params
from analysis.errors import UserError, error
from analysis.pipeline import cache, report, uptodate
from analysis.pipeline.runner import NotebookFailed, Workers

POLL_SECONDS = 0.3      # how often every input's fingerprint is compared with the last build's
EDIT_POLL_SECONDS = 0.02    # how often, meanwhile, the --params file's size and modification time are looked at


def watch(out: Path, scenario: str | None, params_file: Path | None, assignments: list[str], data_dir: Path,
          values_of: Callable[[data.Dataset], Params], say: Callable[[str], None] = print,
          keep_going: Callable[[], bool] = lambda: True) -> None:
    """Build `out` from the parameters `values_of(dataset)` gives, again whenever an input changes, while
    `keep_going()`; `say` receives one line per build."""
    workers: Workers | None = None
    built_for: str | None = None
    first = True
    try:
        while keep_going():
            inputs = uptodate.fingerprint(scenario, params_file, assignments, data_dir)
            if not first and inputs == built_for:
                _wait_for_edit(params_file, POLL_SECONDS)
                continue
            built_for = inputs
            started = time.monotonic()
            try:
                dataset = data.load_dataset(data_dir, stored=cache.stored_tables)
                scenarios.check_all(dataset)
                values = values_of(dataset)
                warm = (dataset.version, cache.code_digest())
                if workers is None or workers.closed or workers.key != warm:
                    if workers is not None:
                        workers.close()
                    workers = Workers(dataset, static_images=False, key=warm)
                executed = _Counter()
                report.build(out, values, params.schema(dataset), dataset, scenario=scenario, progress=executed,
                             workers=workers)
                uptodate.record(out, inputs)
                say(f"built {out} in {time.monotonic() - started:.1f} s ({executed.count} notebook"
                    f"{'s' * (executed.count != 1)} executed); watching for changes (Ctrl-C ends)")
            except (UserError, NotebookFailed) as exc:
                if first:
                    raise           # nothing built yet: the command fails as `run` would
                what = "notebook failed: " if isinstance(exc, NotebookFailed) else ""
                error(f"{what}{exc}; the last report is kept, watching for changes")
            first = False
    finally:
        if workers is not None:
            workers.close()


def _wait_for_edit(path: Path | None, seconds: float) -> None:
    """Wait `seconds`, or less if `path` (the file a reader edits in the what-if loop) is written meanwhile and then
    left unchanged for EDIT_POLL_SECONDS (a file written in two steps, emptied then filled, is read once, whole): a
    what-if starts within a few hundredths of a second of the edit, not up to POLL_SECONDS later (the fingerprint,
    which reads every input, costs about 8 ms; a stat, microseconds)."""
    deadline = time.monotonic() + seconds
    seen, written = _stamp(path), False
    while time.monotonic() < deadline:
        time.sleep(min(EDIT_POLL_SECONDS, seconds))
        now = _stamp(path)
        if now != seen:
            seen, written = now, True
        elif written:
            return


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    """A file's identity, size and modification time (None for no file, or one that cannot be read)."""
    try:
        status = path.stat() if path is not None else None
    except OSError:
        return None
    return None if status is None else (status.st_ino, status.st_size, status.st_mtime_ns)


class _Counter:
    """A build's progress callback that counts the notebooks it executed."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, line: str) -> None:
        self.count += " executed " in line
