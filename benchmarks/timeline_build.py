"""A timeline of one build (run by hand, not a test): when the builder and each worker start and end their steps.

    TL_LOG=/tmp/t.log ANALYSIS_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/timeline_build.py run --out /tmp/x

takes the CLI's arguments and appends lines `<seconds since start> <process id> <event>` to $TL_LOG: the builder's
steps (data loading, scenario check, snapshot, plan, the notebooks, each notebook's rendering, the brief's images,
the workbook), each worker's kernel start and notebooks, and each notebook's papermill timings (the whole notebook
and every code cell over 0.05 s), read before `strip_volatile` drops them. The workers are forked from this process,
so the wrappers reach them. Used for benchmarks/README.md's "Fourth stop of 2026-12-07".
"""
from __future__ import annotations

import os
import sys
import time

T0 = time.time()
LOG = os.environ["TL_LOG"]


def log(event: str) -> None:
    with open(LOG, "a", encoding="utf-8") as out:
        out.write(f"{time.time() - T0:7.3f} {os.getpid():>7} {event}\n")


log("builder start (interpreter up)")
from analysis import data  # noqa: E402
from analysis.data import scenarios  # noqa: E402
from analysis.pipeline import cli, jobs, report, worker  # noqa: E402

log("cli imported")


def wrap(module, name: str, label: str | None = None) -> None:
    """Replace `module.name` by a function that logs its start and end."""
    inner = getattr(module, name)

    def timed(*args, **kwargs):
        log(f"> {label or name}")
        try:
            return inner(*args, **kwargs)
        finally:
            log(f"< {label or name}")
    setattr(module, name, timed)


def papermill_timings(nb):
    """Log the notebook's papermill timings, then strip them as the worker does."""
    metadata = nb.metadata.get("papermill", {})
    written = str(metadata.get("output_path", "?")).rsplit("/", 1)[-1]      # the worker's `.NAME.running.ipynb`
    log(f"  nb {written.removeprefix('.').removesuffix('.running.ipynb')} papermill {metadata.get('duration')} s")
    for number, cell in enumerate(nb.cells):
        seconds = cell.metadata.get("papermill", {}).get("duration")
        if cell.cell_type == "code" and seconds is not None and seconds > 0.05:
            log(f"    cell {number} {seconds:.3f} s {cell.source.splitlines()[-1][:60] if cell.source else ''}")
    return strip_volatile(nb)


wrap(data, "load_dataset")
wrap(scenarios, "check_all", "scenarios.check_all")
for name in ("_run_notebooks", "render_notebook", "_brief_images", "vega_script", "plan"):
    wrap(report, name)
wrap(report.workbook, "write", "workbook.write")
wrap(report.images, "start_renderer")
wrap(report.cache, "store_tables")
wrap(worker, "_kernel", "kernel start or new session")
wrap(worker, "execute")
strip_volatile = jobs.strip_volatile
worker.strip_volatile = papermill_timings
status = cli.main(sys.argv[1:])
log(f"builder end, status {status}")
sys.exit(status)
