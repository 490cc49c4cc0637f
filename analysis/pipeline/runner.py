"""Executing the report's notebooks with papermill (what a worker runs is `analysis.pipeline.jobs.Job`).

Two worker processes run the notebooks (`analysis.pipeline.worker`); each keeps one kernel, in its own process, and
runs its notebooks in it one after the other, resetting the kernel to a new session before each. Papermill, the
kernel and the sections are imported only when a notebook is to run (a build that reuses every notebook does without
them)."""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from analysis.data import DATA_DIR_ENV, SNAPSHOT_ENV, Dataset, load_dataset, snapshot
from analysis.views.images import KNOWN_IMAGES_ENV, STATIC_IMAGES_ENV
from analysis.pipeline.jobs import KERNEL, Job, NotebookFailed  # noqa: F401 (KERNEL re-exported)

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
POLL_SECONDS = 0.02     # how often the builder looks for finished chains while it waits for jobs
PRIVATE_PREFIX = "analysis-build-"      # + the building process's id + "-": its workers' private temporary folder


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The report's notebooks, in reading order (their names start with a number)."""
    return sorted(directory.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(path: Path, dataset: Dataset | None = None) -> tuple[str, ...]:
    """The parameters a notebook's section reads (`analysis.sections`)."""
    from analysis.sections import by_notebook
    return by_notebook(path.name).parameter_names(dataset or load_dataset())


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:         # another user's process
        return True
    return True


def remove_abandoned_folders(folder: Path | None = None) -> list[Path]:
    """Remove the private folders of builds whose process no longer runs (killed outright, it could not remove its
    own); the folders of running processes are left alone. Returns what was removed."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{PRIVATE_PREFIX}*-*"):
        pid = path.name.removeprefix(PRIVATE_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def chains(jobs: Sequence[Job]) -> list[list[Job]]:
    """The jobs as the chains a worker runs one after the other in one kernel: the jobs that show the forecast in one
    chain, first (its kernel computes the forecast once, `outlook.run` remembering it across the kernel's sessions),
    and every other job alone; so is the last forecast job, which a worker done with its own jobs (or with none)
    takes rather than wait for the chain's end, computing the forecast a second time (about 0.3 s of CPU; the full
    build is 0.15-0.5 s sooner at the median of alternating runs: benchmarks/README.md, fifth stop)."""
    chained = [job for job in jobs if job.uses_forecast][:-1]
    return ([chained] if chained else []) + [[job] for job in jobs if job not in chained]


#: The line of a notebook that calls its section (the `run_hint` comment goes above it).
RUN_CALL = "result = SECTION.run(overrides, globals())"


def write_generated_cells(path: Path, parameters_source: str, run_hint: Sequence[str] | None) -> None:
    """Set, in place, what the data decide in a notebook: the source of its parameters cell (the cell tagged
    `parameters`) and the comment lines just above its call of the section (`RUN_CALL`; None keeps them)."""
    import nbformat
    nb = nbformat.read(str(path), as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    call = next((c for c in nb.cells if c.cell_type == "code" and RUN_CALL in c.source.split("\n")), None)
    if cell is None or call is None:
        raise ValueError(f"{path.name}: a section's notebook has a cell tagged 'parameters' and a line `{RUN_CALL}`")
    lines = call.source.split("\n")
    at = start = lines.index(RUN_CALL)
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    hinted = call.source if run_hint is None else "\n".join([*lines[:start], *run_hint, *lines[at:]])
    if (cell.source, call.source) != (parameters_source, hinted):
        cell.source, call.source = parameters_source, hinted
        nbformat.write(nb, str(path))


def execute_all(jobs: Sequence[Job], dataset: Dataset | None = None, workers: int = 2,
                on_done: Callable[[Path], None] | None = None, meanwhile: Callable[[], None] | None = None,
                static_images: bool = True, pool: Workers | None = None,
                known_images: Mapping[str, bytes] | None = None) -> dict[Path, tuple[str, ...]]:
    """Run notebooks in parallel processes (two cores: two workers), each chain of `chains(jobs)` in one worker;
    returns the run hints the jobs asked for (`Job.run_hint_of`), by job target. In this thread, `meanwhile()` is
    called once each worker has taken a chain and `on_done(source)` for each job as soon as it finishes (before the
    rest of its chain). The workers are `pool`'s (kept for further builds), else started for these jobs alone
    (`Workers`, with `dataset`, `static_images` and `known_images`)."""
    if not jobs:
        if meanwhile:
            meanwhile()
        return {}
    if pool is not None:
        return pool.run(jobs, on_done, meanwhile)
    with Workers(dataset, min(workers, len(chains(jobs))), static_images, known_images=known_images) as once:
        return once.run(jobs, on_done, meanwhile)


class Workers:
    """Worker processes with their kernels (`analysis.pipeline.worker`), for one build or kept across several (the
    `watch` command: kernels started and modules imported once).

    With a `dataset`, the kernels read its folder and, rather than each validating it again, a snapshot of it
    written once into a private temporary folder (removed with the workers); without `static_images` their charts
    carry no PNG (`analysis.views.images`), and with `known_images` (spec digest -> PNG, the same folder) they take
    those rather than drawing them again. Workers announce each job done on a queue (`worker.execute_chain`). If a
    job fails or the caller is interrupted, the workers are stopped rather than awaited, and the pool is closed
    (`closed`); `key` is the caller's label of what the kernels loaded."""

    def __init__(self, dataset: Dataset | None = None, count: int = 2, static_images: bool = True,
                 key: object = None, known_images: Mapping[str, bytes] | None = None):
        # Papermill, the kernel and the sections (numpy, pandas, altair, the models): imported once, here, rather
        # than in each worker; the workers fork from this process.
        import analysis.sections  # noqa: F401
        from analysis.pipeline import worker
        self.key = key          # what the kernels loaded (a caller's label: data version and code)
        remove_abandoned_folders()
        self._private = tempfile.TemporaryDirectory(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-")
        environment = {}
        if dataset is not None:
            handed_over = Path(self._private.name) / "dataset.arrow"
            handed_over.write_bytes(snapshot(dataset))
            environment = {DATA_DIR_ENV: str(dataset.directory), SNAPSHOT_ENV: str(handed_over)}
        environment[STATIC_IMAGES_ENV] = "on" if static_images else "off"
        if known_images:
            folder = Path(self._private.name) / "images"
            folder.mkdir()
            for digest, body in known_images.items():
                (folder / f"{digest}.png").write_bytes(body)
            environment[KNOWN_IMAGES_ENV] = str(folder)
        self._finished: multiprocessing.Queue = multiprocessing.Queue()  # (run, position in its chain) of each job done
        self._runs = itertools.count()
        self._count = max(1, count)
        self._pool = ProcessPoolExecutor(max_workers=self._count, initializer=worker.setup,
                                         initargs=(environment, self._finished))
        self.closed = False

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, jobs: Sequence[Job], on_done: Callable[[Path], None] | None = None,
            meanwhile: Callable[[], None] | None = None) -> dict[Path, tuple[str, ...]]:
        """Run `jobs` (see `execute_all`)."""
        from analysis.pipeline import worker
        run = next(self._runs)      # tells this run's finished jobs from any an earlier run left on the queue
        reported: set[tuple[int, int]] = set()
        hints: dict[Path, tuple[str, ...]] = {}

        def report(chain: int, position: int, job: Job) -> None:
            if (chain, position) not in reported:
                reported.add((chain, position))
                if on_done:
                    on_done(job.source)
        try:
            planned = chains(jobs)
            with worker.held_signals():     # the first submission forks the workers
                running: dict[Future, int] = {self._pool.submit(worker.execute_chain, chain, (run, number)): number
                                              for number, chain in enumerate(planned)}
            # `meanwhile` once each worker has its first chain: work in this thread (vl-convert's engine start holds
            # the interpreter for about half a second) would keep the pool's threads from handing the chains over.
            waiting_for = min(len(planned), self._count)
            while running:
                if meanwhile and not waiting_for:
                    meanwhile()
                    meanwhile = None
                with contextlib.suppress(queue.Empty):
                    (which, number), position = self._finished.get(timeout=POLL_SECONDS)
                    if which == run and position == worker.STARTED:
                        waiting_for = max(0, waiting_for - 1)
                    elif which == run:
                        waiting_for = 0
                        report(number, position, planned[number][position])
                for future in [f for f in running if f.done()]:
                    try:
                        chain_hints = future.result()
                    except BrokenProcessPool:
                        raise NotebookFailed("a worker process running the notebooks ended abruptly (killed, or out "
                                             "of memory)") from None
                    number = running.pop(future)
                    for position, (job, hint) in enumerate(zip(planned[number], chain_hints)):
                        report(number, position, job)
                        if hint is not None:
                            hints[job.target] = hint
            if meanwhile:
                meanwhile()
        except BaseException:
            self.stop()
            raise
        return hints

    def stop(self) -> None:
        """Stop the workers at once (their kernels follow), without waiting for running jobs."""
        processes = list((self._pool._processes or {}).values())   # no public way to stop running workers in 3.11
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        self.close()

    def close(self) -> None:
        """Let the workers end (their kernels are shut down) and remove the snapshot."""
        if not self.closed:
            self.closed = True
            self._pool.shutdown(wait=True)
            self._private.cleanup()
