"""Executing the report's notebooks with papermill, and keeping executed notebooks byte-stable."""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import papermill

from analysis.cache import record_key
from analysis.data import DATA_DIR_ENV

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "python3"
VOLATILE_CELL_KEYS = ("execution", "papermill")
PR_SET_PDEATHSIG = 1


class NotebookFailed(Exception):
    """A notebook raised while executing (a bug or an impossible parameter combination)."""


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The report's notebooks, in reading order (their names start with a number)."""
    return sorted(directory.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(path: Path) -> dict:
    """Names and default values in the notebook's cell tagged `parameters`."""
    return {name: info["default"] for name, info in papermill.inspect_notebook(str(path)).items()}


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run timings and timestamps (papermill, iopub) so that reruns are byte-identical; keep tags."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        cell.metadata.get("tags", []).sort()
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.write(nb, str(path))


def execute(source: Path, target: Path, parameters: dict, cache_key: str | None = None,
            data_dir: Path | None = None) -> Path:
    """Run one notebook with papermill (kernel in the notebooks folder), strip volatile metadata, record the cache
    key (if any), then move the result onto `target` (which may be `source`): a failed run leaves `target` untouched."""
    if data_dir is not None:
        os.environ[DATA_DIR_ENV] = str(data_dir)
    partial = target.with_name(f".{target.stem}.running.ipynb")
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters or None, kernel_name=KERNEL,
                                   cwd=str(source.parent), progress_bar=False, log_output=False)
        nb = strip_volatile(nbformat.read(str(partial), as_version=4))
        write_notebook(record_key(nb, cache_key) if cache_key else nb, partial)
        partial.replace(target)
    except papermill.PapermillExecutionError as exc:
        raise NotebookFailed(f"{source.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def _exit(signum, frame):
    os._exit(128 + signum)      # at once, no traceback; the kernel sees its parent go and exits (JPY_PARENT_PID)


def _worker_signals() -> None:
    """In a worker: Ctrl-C is left to the parent, which stops the workers with SIGTERM; SIGTERM ends the worker at
    once (its kernel follows); and on Linux a parent killed outright (SIGKILL) sends its workers SIGTERM too,
    rather than leaving them to finish an abandoned build."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _notify(on_done: Callable[[Path], None], source: Path) -> Callable:
    def callback(future):
        if not future.cancelled() and future.exception() is None:
            on_done(source)
    return callback


def execute_all(jobs: list[tuple[Path, Path, dict, str | None]], data_dir: Path | None = None, workers: int = 2,
                on_done: Callable[[Path], None] | None = None, meanwhile: Callable[[], None] | None = None) -> list[Path]:
    """Run notebooks (source, target, parameters, cache key) in parallel processes (two cores: two workers); results
    in job order; `on_done(source)` is called as each one finishes, and `meanwhile()` in this process while they run.

    If one job fails or the caller is interrupted, the other workers are stopped rather than awaited."""
    if not jobs:
        if meanwhile:
            meanwhile()
        return []
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), initializer=_worker_signals)
    try:
        futures = []
        for source, target, params, key in jobs:
            futures.append(pool.submit(execute, source, target, params, key, data_dir))
            if on_done:
                futures[-1].add_done_callback(_notify(on_done, source))
        if meanwhile:
            meanwhile()
        return [future.result() for future in futures]
    except BaseException:
        processes = list((pool._processes or {}).values())   # no public way to stop running workers in 3.11
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True)
