"""What runs in a worker process of a build (`analysis.pipeline.runner.execute_all`): papermill, and the Jupyter
kernel it executes notebooks in: an IPython kernel inside the worker process itself (`_WorkerKernel`), kept across
the worker's notebooks and reset to a new session before each."""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import hashlib
import multiprocessing.util
import os
import signal
import threading
from pathlib import Path
from typing import Any

import nbformat
import papermill
from ipykernel.inprocess.blocking import BlockingInProcessKernelClient
from ipykernel.inprocess.ipkernel import InProcessInteractiveShell, InProcessKernel
from ipykernel.inprocess.manager import InProcessKernelManager
from ipykernel.iostream import OutStream
from papermill.engines import NBClientEngine, papermill_engines
from papermill.execute import raise_for_execution_errors
from traitlets import DottedObjectName, default
from traitlets.config import Config

from analysis.pipeline.cache import record_key
from analysis.pipeline.jobs import KERNEL, Job, NotebookFailed, strip_volatile

PR_SET_PDEATHSIG = 1
# History stays in memory, as papermill's own kernels keep it. No output cache (`_`, `Out`; IPython's documented
# `cache_size = 0`): a notebook of the report reads none, and emptying it is what made each new session run a full
# garbage collection (about 14 ms of CPU per notebook in a worker); cycles are left to the collector's own schedule.
KERNEL_CONFIG = Config({"HistoryManager": {"hist_file": ":memory:"}, "InteractiveShell": {"cache_size": 0}})
# debugpy, which ipykernel imports, warns on stderr about frozen modules unless told not to check them.
QUIET_DEBUGGER = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}


_loop: tuple[int, asyncio.AbstractEventLoop] | None = None     # the process that made it, and the kernel's loop


def _kernel_loop() -> asyncio.AbstractEventLoop:
    """The event loop, running in a thread of its own, where this process's kernel handles requests (papermill's
    loop is busy waiting for the answer). One per process: a loop inherited through a fork has no thread."""
    global _loop
    if _loop is None or _loop[0] != os.getpid():
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kernel", daemon=True).start()
        _loop = (os.getpid(), loop)
    return _loop[1]


class _KernelClient(BlockingInProcessKernelClient):
    """The in-process client with the signature nbclient calls (`wait_for_ready(timeout=...)`), whose requests the
    kernel handles in this process's kernel loop (ipykernel's own would use jupyter_core's, which a forked process
    inherits without its thread, and waits for ever)."""

    def _dispatch_to_kernel(self, msg) -> None:
        stream = self.kernel.shell_stream
        self.session.send(stream, msg)
        asyncio.run_coroutine_threadsafe(self.kernel.dispatch_shell(stream.recv_multipart()), _kernel_loop()).result()
        _, reply = self.session.recv(stream, copy=False)
        self.shell_channel.call_handlers_later(reply)

    def wait_for_ready(self, timeout: float | None = None) -> None:
        self.kernel_info()
        reply = self.shell_channel.get_msg(block=True, timeout=timeout)
        if reply["msg_type"] != "kernel_info_reply":
            raise RuntimeError(f"the in-process kernel answered {reply['msg_type']} to kernel_info_request")
        self.iopub_channel.get_msgs()       # its status messages


class _Stream(OutStream):
    """ipykernel's output stream, whose `flush` hands its text to the kernel's IO thread and waits for the thread to
    take it only when text was written since the thread last sent it. IPython flushes stdout and stderr before every
    display, and an empty flush cost that round trip all the same (about 0.3 ms of CPU each: a few hundred per build;
    300 displays 0.12 -> 0.03 CPU-s). Text written is still sent before a later display, as the IO thread sends in
    the order it is handed work (`write` marks the stream `_flush_pending` until the thread has sent it)."""

    def flush(self) -> None:
        if self._flush_pending:
            super().flush()


class _Kernel(InProcessKernel):
    """ipykernel's in-process kernel, whose printed output reaches the notebook: its streams are told which request
    they answer (a kernel process's shell tells `sys.stdout`, which is the kernel's own stream there, not here), and
    flush only when written to (`_Stream`)."""

    @default("stdout")
    def _default_stdout(self) -> _Stream:
        return _Stream(self.session, self.iopub_thread, "stdout", watchfd=False)

    @default("stderr")
    def _default_stderr(self) -> _Stream:
        return _Stream(self.session, self.iopub_thread, "stderr", watchfd=False)

    async def execute_request(self, stream, ident, parent):
        self.stdout.set_parent(parent)
        self.stderr.set_parent(parent)
        await super().execute_request(stream, ident, parent)


class _WorkerKernel(InProcessKernelManager):
    """The kernel a worker runs its notebooks in, one after the other: an IPython kernel in the worker's own process
    (ipykernel's in-process kernel), which papermill drives through the Jupyter messaging protocol as it drives a
    kernel process. A worker is forked from the builder after the section modules are imported, so a notebook's
    imports, a kernel process's start and the messages' trip over sockets cost nothing (a kernel process of its own
    took about 1.5 s of CPU to start and import pandas, altair and the model). Before each notebook but the first the
    kernel is reset to a new session (no variables; execution counts from 1); only loaded modules stay. Strict nbval,
    which runs every notebook in a kernel process of its own, checks on every commit that this gives the same outputs.

    The kernel's code runs in the worker process, which papermill moves into the notebook's folder while it runs
    (its `cwd`, where a kernel process would start). Two differences from a kernel process remain, neither of which
    the report's notebooks meet: a cell runs in the worker's "kernel" thread, not its main thread (it cannot set a
    signal handler), and a cell that ends its process (`os._exit`, a crash) ends the worker, which the build reports
    as a failed notebook."""

    client_class = DottedObjectName(f"{__name__}._KernelClient")

    @default("blocking_class")
    def _default_blocking_class(self):
        return _KernelClient

    def start_kernel(self, **kwargs) -> None:
        """A new kernel, with a shell of its own: IPython's shell is a process-wide singleton, which a new kernel
        would otherwise take over from a stopped one (or from the process this one was forked from)."""
        InProcessInteractiveShell.clear_instance()
        self.kernel = _Kernel(parent=self, session=self.session)

    def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:    # nbclient passes `now`
        super().shutdown_kernel()

    def new_session(self) -> None:
        """Reset the kernel to a new session, whose messages reach the next notebook's client only (an in-process
        kernel sends each to every client that ever connected)."""
        self.kernel.shell.reset(new_session=True)
        self.kernel.frontends = []


_worker_kernel: _WorkerKernel | None = None     # this worker process's kernel
_finished: Any = None       # the pool's queue of finished jobs (`execute_chain`), if any


def _kernel() -> _WorkerKernel:
    """This worker's kernel, ready for a notebook: reset to a new session, or started."""
    global _worker_kernel
    if _worker_kernel is not None:
        _worker_kernel.new_session()
        return _worker_kernel
    km = _WorkerKernel(config=KERNEL_CONFIG)
    km.start_kernel()
    _worker_kernel = km
    return km


def _stop_kernel() -> None:
    global _worker_kernel
    if _worker_kernel is not None:
        km, _worker_kernel = _worker_kernel, None
        km.shutdown_kernel()


class _FinalEngine(NBClientEngine):
    """papermill's engine (nbclient), returning the executed notebook as a build keeps it: a failed cell raised,
    volatile metadata stripped and the cache key (if any) recorded. papermill's own write of the notebook is then
    the only one (rather than papermill writing it, and `execute` reading it back to write it again: about 0.07 s of
    CPU per notebook)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, cache_key: str | None = None, **kwargs):
        nb = super().execute_notebook(nb, kernel_name, **kwargs)
        raise_for_execution_errors(nb, None)        # while papermill's marks of a failed cell are still there
        nb = strip_volatile(nb)
        return record_key(nb, cache_key) if cache_key else nb


ENGINE = "analysis"
papermill_engines.register(ENGINE, _FinalEngine)


def execute(source: Path, target: Path, parameters: dict, cache_key: str | None = None) -> Path:
    """Run one notebook with papermill in this worker's kernel (in the notebook's folder), strip volatile metadata,
    record the cache key (if any), then move the result onto `target` (which may be `source`): a failed run leaves
    `target` untouched, and its kernel is stopped rather than reused.

    The notebook is written once, when it has run (papermill would rewrite it after every cell)."""
    partial = target.with_name(f".{target.stem}.running.ipynb")
    km = _kernel()
    try:
        papermill.execute_notebook(_unexecuted(source), str(partial), parameters=parameters or None, kernel_name=KERNEL,
                                   engine_name=ENGINE, cache_key=cache_key, cwd=str(source.parent),
                                   progress_bar=False, log_output=False, request_save_on_cell_execute=False, km=km)
        with partial.open("ab") as written:     # the last newline, which nbformat.write adds and papermill does not
            written.write(b"\n")
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


#: source path -> (SHA-256 of its bytes, the notebook without its outputs), per worker process.
_sources: dict[Path, tuple[str, nbformat.NotebookNode]] = {}


def _unexecuted(source: Path) -> nbformat.NotebookNode:
    """The notebook at `source` without its outputs, for papermill to run: a committed notebook carries its last
    run's outputs, which papermill would parse and copy only for nbclient to drop them (about 0.03 CPU-s a notebook).
    Read again whenever the file's bytes change; papermill copies what it is given, so the kept one stays as it is."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    kept = _sources.get(source)
    if kept is None or kept[0] != digest:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        _sources[source] = kept = (digest, nb)
    return kept[1]


def _exit(signum, frame):
    os._exit(128 + signum)      # at once, no traceback


#: The signals a worker answers itself: the builder blocks them while it forks the workers (`held_signals`), so that
#: none reaches a worker before `setup` has set its own handlers (the builder's would raise KeyboardInterrupt there).
WORKER_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held_signals():
    """Block WORKER_SIGNALS in this thread meanwhile (the workers forked meanwhile inherit the block; `setup` lifts
    it); a signal that arrives meanwhile is delivered after."""
    signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)


def setup(environment: dict[str, str], finished: Any = None) -> None:
    """In a worker: its kernel sees `environment` (data folder, validated snapshot); each job done is announced on
    the queue `finished` (`execute_chain`). Ctrl-C is left to the parent, which stops the workers with SIGTERM;
    SIGTERM ends the worker at once; and on Linux a parent killed outright (SIGKILL) sends its workers SIGTERM too,
    rather than leaving them to finish an abandoned build."""
    global _finished
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.environ.update({**environment, **QUIET_DEBUGGER})
    _finished = finished
    # What the worker inherited (the imported modules, the builder's data) stays for its life: out of the garbage
    # collector's sight, each full collection (one per new session, and the model's own) costs a third as much.
    gc.freeze()
    multiprocessing.util.Finalize(None, _stop_kernel, exitpriority=0)    # when the worker ends normally


#: The position a worker announces when it takes a chain, before its first job.
STARTED = -1


def execute_chain(chain: list[Job], token: object = None) -> list[tuple[str, ...] | None]:
    """Run the jobs of one chain in this worker's kernel, one after the other, putting `(token, position in the
    chain)` on the pool's queue of finished jobs (if any) when it takes the chain (position STARTED) and as each job
    is done, before the chain is. Returns, per job, the run hint it asked for (`Job.run_hint_of`), else None."""
    if _finished is not None:
        _finished.put((token, STARTED))
    hints: list[tuple[str, ...] | None] = []
    for position, job in enumerate(chain):
        execute(job.source, job.target, job.parameters, job.key)
        hints.append(_run_hint(job.run_hint_of) if job.run_hint_of else None)
        if _finished is not None:
            _finished.put((token, position))
    return hints


def _run_hint(section: str) -> tuple[str, ...]:
    """The section's `run_hint`, computed in this worker after its notebook ran here: the dataset is the kernel's
    (the same folder and snapshot, so the same object) and the section's models at their defaults are remembered."""
    from analysis import data
    from analysis.sections import SECTIONS
    return tuple(SECTIONS[section].run_hint(data.load_dataset()))


