"""Running a sweep's sets (analysis.pipeline.sweep_spec) in batches, on a local process pool or a Dask cluster, each
set through the section functions `compare` uses (`attribution.section_values`), and collecting every set's headline
numbers in one table (`table`), the same whatever the executor, the number of workers or the batch size. A set's
error fails that set only; a cluster or worker lost mid-sweep is ExecutorLost.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd

from analysis import data
from analysis.pipeline import attribution
from analysis.pipeline.sweep_spec import Sweep, SweepError
from analysis.data import params
from analysis.data import Dataset, shorten
from analysis.errors import UserError
from analysis.models import outlook

BATCH = 16                       # sets per task: one dataset object (and its memo) per batch bounds memory
DASK_ADDRESS = re.compile(r"dask://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})", re.ASCII)


class ExecutorLost(UserError):
    """The Dask cluster or a local worker process went away mid-sweep (exit status 1; nothing is written)."""

    exit_status = 1


_DATASETS: dict[str, Dataset] = {}
#: Sets a worker thread computes on one Dataset object before it takes a new one: the data-only intermediate
#: results (analysis.data.memo) are computed once per that many sets, and what a set leaves in the memo (draws per
#: unit cost, say) stays bounded.
RENEW_AFTER = 256
#: Section results a worker thread keeps, by section and the values of the parameters it reads.
KEEP_SECTIONS = 4096


def _dataset(snapshot: bytes, version: str, directory: str) -> Dataset:
    """The sweep's validated dataset in this worker process (unpickled once per data version)."""
    if version not in _DATASETS:
        found = data.from_snapshot(snapshot, version, Path(directory))
        if found is None:
            raise ValueError(f"the sweep's data snapshot does not hold data version {version}")
        _DATASETS[version] = found
    return _DATASETS[version]


class _Worker(threading.local):
    """What one worker thread keeps between sets: a Dataset object of its own (a memo no other thread changes),
    renewed every RENEW_AFTER sets, and the latest section results (a section's numbers depend only on the data and
    the values of the parameters it reads, so sets that differ elsewhere share them: a sweep of forecast inputs
    computes the portfolio section once)."""

    def __init__(self) -> None:
        self.ds: Dataset | None = None
        self.sets = 0
        self.sections: dict[tuple, dict] = {}

    def dataset(self, shared: Dataset) -> Dataset:
        if self.ds is None or self.ds.version != shared.version or self.sets >= RENEW_AFTER:
            self.ds, self.sets = Dataset(shared.tables, shared.version, shared.directory), 0
        self.sets += 1
        return self.ds

    def section(self, ds: Dataset, schema: dict, values: dict, declared: dict[str, set[str]], name: str) -> dict:
        """One section's headline values for one set (attribution.section_values), computed once per data version
        and values it reads."""
        key = (ds.version, name, tuple(sorted((n, type(v).__name__, repr(v)) for n, v in values.items()
                                              if n in declared[name])))
        if key not in self.sections:
            if len(self.sections) >= KEEP_SECTIONS:
                del self.sections[next(iter(self.sections))]
            self.sections[key] = attribution.section_values(ds, schema, values, declared, (name,))[name]
        return self.sections[key]


_WORKER = _Worker()


def evaluate_batch(snapshot: bytes, version: str, directory: str, batch: list[tuple[int, dict]],
                   sections: tuple[str, ...]) -> list[dict]:
    """Each set's headline numbers ({"set", "status", "error", "values"}); an exception fails that set only. The
    forecast's draws of a set are forgotten once its sections are computed (the memo keeps data-only results)."""
    shared = _dataset(snapshot, version, directory)
    out = []
    for index, values in batch:
        ds = _WORKER.dataset(shared)
        schema = params.schema(ds)
        declared = attribution.section_parameters(ds)
        try:
            found = {name: _WORKER.section(ds, schema, values, declared, name) for name in sections}
            out.append({"set": index, "status": "ok", "error": "",
                        "values": {f"{s}.{k}": v for s, items in found.items() for k, v in items.items()}})
        except Exception as exc:          # isolated: reported in the set's row
            line = (str(exc).splitlines() or [""])[0]
            out.append({"set": index, "status": "failed", "error": f"{type(exc).__name__}: {shorten(line, 200)[1:-1]}",
                        "values": {}})
        finally:
            outlook.forget_runs(ds)
    return out


def _batches(sweep: Sweep, size: int) -> Iterator[list[tuple[int, dict]]]:
    """The sets in batches of `size`, each made when it is needed."""
    for start in range(0, len(sweep.sets), size):
        yield [(i, sweep.sets[i]) for i in range(start, min(start + size, len(sweep.sets)))]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_executor(executor: str, workers: int | None = None) -> str:
    """'local' or 'dask://HOST:PORT'; --workers from 1 to the cores available, for the local pool only."""
    if executor != "local" and not DASK_ADDRESS.fullmatch(executor):
        raise SweepError(f"--executor {executor!r}: expected 'local' or 'dask://HOST:PORT'")
    if workers is not None and executor != "local":
        raise SweepError(f"--workers {shorten(workers, 40)}: only for the local pool (a Dask cluster has its "
                         "own workers)")
    if workers is not None and not 1 <= workers <= cores():
        raise SweepError(f"--workers {shorten(workers, 40)}: from 1 to the {cores()} cores available here "
                         "(for more, start a Dask cluster and give --executor dask://HOST:PORT)")
    return executor


def run(sweep: Sweep, ds: Dataset, executor: str = "local", workers: int | None = None,
        batch: int = BATCH) -> list[dict]:
    """Every set's result, in set order, on the chosen executor."""
    snapshot = data.snapshot(ds)
    args = (snapshot, ds.version, str(ds.directory))
    batches = _batches(sweep, batch)
    if executor == "local":
        processes = min(workers or cores(), cores(), -(-len(sweep.sets) // batch))
        if processes <= 1:
            results = [evaluate_batch(*args, b, sweep.sections) for b in batches]
        else:
            results = _run_pool(processes, args, batches, sweep.sections)
    else:
        results = _run_dask(executor, args, batches, sweep.sections)
    return sorted((row for rows in results for row in rows), key=lambda r: r["set"])


def _run_pool(processes: int, args: tuple, batches: Iterator, sections: tuple[str, ...]) -> list[list[dict]]:
    """The batches on a pool of `processes`, at most two batches per process submitted at a time."""
    context = multiprocessing.get_context("forkserver")
    results: list[list[dict]] = []
    try:
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
            pending: set[concurrent.futures.Future] = set()
            for b in itertools.chain(batches, [None]):
                if b is not None:
                    pending.add(pool.submit(functools.partial(evaluate_batch, *args), b, sections))
                if len(pending) >= 2 * processes or b is None:
                    done, pending = concurrent.futures.wait(
                        pending, return_when="ALL_COMPLETED" if b is None else "FIRST_COMPLETED")
                    results += [future.result() for future in done]
    except BrokenProcessPool:
        raise ExecutorLost("sweep: a worker process died (killed, or out of memory); nothing was written") from None
    return results


#: How long a sweep waits for a Dask scheduler to answer (distributed retries a refused connection until then).
SCHEDULER_TIMEOUT = "5s"

def _run_dask(executor: str, args: tuple, batches: Iterator, sections: tuple[str, ...]) -> list[list[dict]]:
    try:
        import distributed
    except ImportError:
        raise SweepError(f"--executor {executor}: dask.distributed is not installed "
                         "(pip install distributed)") from None
    address = DASK_ADDRESS.fullmatch(executor)
    if address is None:
        raise SweepError(f"--executor {executor!r}: expected 'local' or 'dask://HOST:PORT'")
    host, port = address.groups()
    #: What a lost scheduler or worker raises (a future cancelled, a connection closed or timed out, a task whose
    #: workers kept dying); any other exception is a bug, and shows its traceback.
    lost = (concurrent.futures.CancelledError, asyncio.CancelledError, OSError, TimeoutError,
            distributed.comm.CommClosedError, distributed.KilledWorker)
    try:
        client = distributed.Client(f"tcp://{host}:{port}", timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"--executor {executor}: cannot connect to a Dask scheduler ({type(exc).__name__})") from None
    # distributed logs tracebacks while it reconnects: the one line below says it
    logging.disable(logging.CRITICAL)
    try:
        with client:
            snapshot = client.scatter(args[0], broadcast=True)
            window = 2 * max(sum(client.nthreads().values()), 1)        # batches in flight
            results, pending = [], distributed.as_completed(loop=client.loop)
            for b in batches:
                pending.add(client.submit(evaluate_batch, snapshot, *args[1:], b, sections, pure=False))
                if pending.count() >= window:
                    results.append(next(pending).result())
            return results + [future.result() for future in pending]
    except lost as exc:             # a set's own error is caught in its batch: this is the cluster failing
        raise ExecutorLost(f"--executor {executor}: the Dask cluster was lost during the sweep "
                           f"({type(exc).__name__}); nothing was written") from None
    finally:
        logging.disable(logging.NOTSET)


def table(sweep: Sweep, results: list[dict]) -> pd.DataFrame:
    """One row per set: its swept values, status, error, then every headline number (columns in first-seen order)."""
    keys = list(dict.fromkeys(k for r in results for k in r["values"]))
    rows = [{"set": r["set"], **{n: sweep.sets[r["set"]][n] for n in sweep.names}, "status": r["status"],
             "error": r["error"], **{k: r["values"].get(k) for k in keys}} for r in results]
    return pd.DataFrame(rows, columns=["set", *sweep.names, "status", "error", *keys])
