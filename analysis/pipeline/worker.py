"""What runs in a worker process of a build (`analysis.pipeline.runner.execute_all`): one Jupyter kernel, kept
across the worker's notebooks and reset to a new session before each (see `_WorkerKernel`), and papermill."""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing.util
import os
import signal
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import List

from analysis.pipeline.cache import record_key
from analysis.pipeline.jobs import KERNEL, Job, NotebookFailed, strip_volatile, write_notebook

PR_SET_PDEATHSIG = 1
# Kernels log only critical errors: each would otherwise log an error when jupyter_client interrupts it before
# shutting it down. Errors in cells reach papermill, not this log. History stays in memory, as papermill's own
# kernels keep it.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]
SOCKET_PATH_LIMIT = 100     # bytes of a socket prefix: Linux allows 107 for the whole path, which adds "-<n>"
NEW_SESSION = "get_ipython().reset(new_session=True)"


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
_sockets: Path | None = None         # the build's private folder, where this worker's kernels put their sockets
_finished: Any = None       # the pool's queue of finished jobs (`execute_chain`), if any


def _new_kernel() -> _WorkerKernel:
    """A kernel manager whose kernel talks over Unix sockets in the build's private folder, not localhost TCP
    (Jupyter's default): a TCP port is chosen free and bound only later by the kernel, so a kernel starting at the
    same moment in another process (the other worker, a test run beside the build) can take the same port, and the
    kernel fails to start. A socket path of one's own cannot be taken (unless the temporary folder's path is too long
    for a socket address: then TCP)."""
    prefix = _sockets / f"kernel-{os.getpid()}" if _sockets is not None else None
    if prefix is None or len(str(prefix).encode()) > SOCKET_PATH_LIMIT:
        return _WorkerKernel(kernel_name=KERNEL)
    return _WorkerKernel(kernel_name=KERNEL, transport="ipc", ip=str(prefix), connection_file=f"{prefix}.json")


def _kernel_in(folder: Path) -> _WorkerKernel:
    """This worker's kernel, ready for a notebook in `folder`: reset to a new session, or started there."""
    global _worker_kernel
    if _worker_kernel is not None:
        kernel_folder, km = _worker_kernel
        if kernel_folder == folder and run_sync(km.is_alive)() and km.new_session():
            return km
        _stop_kernel()
    km = _new_kernel()
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


def setup(environment: dict[str, str], sockets: str | None = None, finished: Any = None) -> None:
    """In a worker: the kernels it starts inherit `environment` (data folder, validated snapshot) and put their
    sockets in the folder `sockets` (else they use TCP, Jupyter's default); each job done is announced on the queue
    `finished` (`execute_chain`). Ctrl-C is left to
    the parent, which stops the workers with SIGTERM; SIGTERM ends the worker at once (its kernel follows); and on
    Linux a parent killed outright (SIGKILL) sends its workers SIGTERM too, rather than leaving them to finish an
    abandoned build."""
    global _sockets, _finished
    os.environ.update(environment)
    _sockets = Path(sockets) if sockets else None
    _finished = finished
    multiprocessing.util.Finalize(None, _stop_kernel, exitpriority=0)    # when the worker ends normally
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def execute_chain(chain: list[Job], token: object = None) -> list[Path]:
    """Run the jobs of one chain in this worker's kernel, one after the other, putting `(token, position in the
    chain)` on the pool's queue of finished jobs (if any) as each is done, before the chain is."""
    done = []
    for position, job in enumerate(chain):
        done.append(execute(job.source, job.target, job.parameters, job.key))
        if _finished is not None:
            _finished.put((token, position))
    return done


