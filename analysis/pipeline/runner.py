"""Executing the report's notebooks with papermill, and keeping executed notebooks byte-stable.

Two worker processes run the notebooks; each keeps one kernel and runs its notebooks in it one after the other,
resetting the kernel to a new session before each (see `_WorkerKernel`)."""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing.util
import os
import signal
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import List

from analysis.pipeline.cache import record_key
from analysis.data import DATA_DIR_ENV, SNAPSHOT_ENV, Dataset, load_dataset, snapshot

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "python3"
VOLATILE_CELL_KEYS = ("execution", "papermill")
PR_SET_PDEATHSIG = 1
# Kernels log only critical errors: each one would otherwise warn on the terminal that it talks to papermill over
# localhost TCP (Jupyter's default; messages are signed with the key in its private connection file), and log an
# error when jupyter_client interrupts it before shutting it down. Errors in cells reach papermill, not this log.
# History stays in memory, as papermill's own kernels keep it.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]
NEW_SESSION = "get_ipython().reset(new_session=True)"


class NotebookFailed(Exception):
    """A notebook raised while executing (a bug or an impossible parameter combination)."""


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The report's notebooks, in reading order (their names start with a number)."""
    return sorted(directory.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(path: Path, dataset: Dataset | None = None) -> tuple[str, ...]:
    """The parameters a notebook's section reads (`analysis.sections`)."""
    from analysis.sections import by_notebook
    return by_notebook(path.name).parameter_names(dataset or load_dataset())


@dataclass(frozen=True)
class Job:
    """One notebook to execute: from `source` into `target` with papermill `parameters`, its cache key recorded
    (if any); `uses_forecast` if its section shows the erosion forecast."""
    source: Path
    target: Path
    parameters: dict
    key: str | None = None
    uses_forecast: bool = False


def chains(jobs: Sequence[Job]) -> list[list[Job]]:
    """The jobs as the chains a worker runs one after the other in one kernel: every job that shows the forecast in
    one chain, first (its kernel computes the forecast once, `outlook.run` remembering it across the kernel's
    sessions), and every other job alone."""
    forecast = [job for job in jobs if job.uses_forecast]
    return ([forecast] if forecast else []) + [[job] for job in jobs if not job.uses_forecast]


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


class _WorkerKernel(AsyncKernelManager):
    """The kernel a worker runs its notebooks in, one after the other: a kernel per notebook would start Python and
    import pandas, altair and the model again each time (about 1.5 s of CPU). Before each notebook but the first the
    kernel is reset to a new session (no variables; execution counts from 1); only loaded modules stay. Strict nbval,
    which runs every notebook in a kernel of its own, checks on every commit that this gives the same outputs.

    Papermill opens a client per notebook; all clients share the kernel's session identity, so each is closed
    before the next opens (`close_clients`)."""

    clients: List[Any] = List()

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        self.clients.append(kc)
        return kc

    def close_clients(self) -> None:
        for kc in self.clients:
            kc.stop_channels()
        self.clients = []

    def new_session(self) -> bool:
        """Reset the kernel to a new session; False if it did not answer as expected."""
        kc = self.client()
        kc.start_channels()
        try:
            reply = run_sync(kc.execute_interactive)(NEW_SESSION, silent=True, store_history=False, timeout=60,
                                                     output_hook=lambda msg: None)
        except TimeoutError:
            return False
        finally:
            self.close_clients()
        return reply["content"]["status"] == "ok"


_worker_kernel: tuple[Path, _WorkerKernel] | None = None     # this worker process's kernel and its folder


def _kernel_in(folder: Path) -> _WorkerKernel:
    """This worker's kernel, ready for a notebook in `folder`: reset to a new session, or started there."""
    global _worker_kernel
    if _worker_kernel is not None:
        kernel_folder, km = _worker_kernel
        if kernel_folder == folder and run_sync(km.is_alive)() and km.new_session():
            return km
        _stop_kernel()
    km = _WorkerKernel(kernel_name=KERNEL)
    run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(folder))
    _worker_kernel = (folder, km)
    return km


def _stop_kernel() -> None:
    global _worker_kernel
    if _worker_kernel is not None:
        _, km = _worker_kernel
        _worker_kernel = None
        km.close_clients()
        run_sync(km.shutdown_kernel)(now=True)


def write_parameters_cell(path: Path, source: str) -> None:
    """Set the source of the notebook's parameters cell (the cell tagged `parameters`) to `source`, in place."""
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    if cell.source != source:
        cell.source = source
        nbformat.write(nb, str(path))


def execute(source: Path, target: Path, parameters: dict, cache_key: str | None = None) -> Path:
    """Run one notebook with papermill in this worker's kernel (in the notebook's folder), strip volatile metadata,
    record the cache key (if any), then move the result onto `target` (which may be `source`): a failed run leaves
    `target` untouched, and its kernel is stopped rather than reused.

    The notebook is written once, when it has run (papermill would rewrite it after every cell)."""
    partial = target.with_name(f".{target.stem}.running.ipynb")
    km = _kernel_in(source.parent)
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters or None, kernel_name=KERNEL,
                                   cwd=str(source.parent), progress_bar=False, log_output=False,
                                   request_save_on_cell_execute=False, km=km)
        km.close_clients()
        nb = strip_volatile(nbformat.read(str(partial), as_version=4))
        write_notebook(record_key(nb, cache_key) if cache_key else nb, partial)
        partial.replace(target)
    except BaseException as exc:
        _stop_kernel()
        if isinstance(exc, papermill.PapermillExecutionError):
            raise NotebookFailed(f"{source.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}") from None
        if isinstance(exc, Exception):      # a dead kernel, a full disk, ...: one line, not a worker's traceback
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise NotebookFailed(f"{source.name}: {type(exc).__name__}: {first}") from None
        raise
    finally:
        partial.unlink(missing_ok=True)
    return target


def _exit(signum, frame):
    os._exit(128 + signum)      # at once, no traceback; the kernel sees its parent go and exits (JPY_PARENT_PID)


def _worker_setup(environment: dict[str, str]) -> None:
    """In a worker: the kernels it starts inherit `environment` (data folder, validated snapshot). Ctrl-C is left to
    the parent, which stops the workers with SIGTERM; SIGTERM ends the worker at once (its kernel follows); and on
    Linux a parent killed outright (SIGKILL) sends its workers SIGTERM too, rather than leaving them to finish an
    abandoned build."""
    os.environ.update(environment)
    multiprocessing.util.Finalize(None, _stop_kernel, exitpriority=0)    # when the worker ends normally
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def execute_chain(chain: list[Job]) -> list[Path]:
    """Run the jobs of one chain in this worker's kernel, one after the other."""
    return [execute(job.source, job.target, job.parameters, job.key) for job in chain]


def _notify(on_done: Callable[[Path], None], chain: list[Job]) -> Callable:
    def callback(future):
        if not future.cancelled() and future.exception() is None:
            for job in chain:
                on_done(job.source)
    return callback


def execute_all(jobs: Sequence[Job], dataset: Dataset | None = None, workers: int = 2,
                on_done: Callable[[Path], None] | None = None, meanwhile: Callable[[], None] | None = None) -> list[Path]:
    """Run notebooks in parallel processes (two cores: two workers), each chain of `chains(jobs)` in one worker;
    results in job order; `on_done(source)` is called for each job as its chain finishes, and `meanwhile()` in this
    process while they run.

    With a `dataset`, the kernels read its folder and, rather than each validating it again, a snapshot of it
    written once into a private temporary folder (removed with the build). If one job fails or the caller is
    interrupted, the other workers are stopped rather than awaited."""
    if not jobs:
        if meanwhile:
            meanwhile()
        return []
    with tempfile.TemporaryDirectory(prefix="analysis-build-") as private:
        environment = {}
        if dataset is not None:
            handed_over = Path(private) / "dataset.arrow"
            handed_over.write_bytes(snapshot(dataset))
            environment = {DATA_DIR_ENV: str(dataset.directory), SNAPSHOT_ENV: str(handed_over)}
        planned = chains(jobs)
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(planned))), initializer=_worker_setup,
                                   initargs=(environment,))
        try:
            futures = []
            for chain in planned:
                futures.append(pool.submit(execute_chain, chain))
                if on_done:
                    futures[-1].add_done_callback(_notify(on_done, chain))
            if meanwhile:
                meanwhile()
            try:
                for future in futures:
                    future.result()
            except BrokenProcessPool:
                raise NotebookFailed("a worker process running the notebooks ended abruptly (killed, or out of "
                                     "memory)") from None
            return [job.target for job in jobs]
        except BaseException:
            processes = list((pool._processes or {}).values())   # no public way to stop running workers in 3.11
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            raise
        finally:
            pool.shutdown(wait=True)
