"""A notebook to execute, as the builder hands it to a worker (`Job`), and what both sides share: the kernel's name,
the error a failed notebook raises, and how an executed notebook is made byte-stable."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

KERNEL = "python3"
VOLATILE_CELL_KEYS = ("execution", "papermill")
INJECTED_TAG = "injected-parameters"


class NotebookFailed(Exception):
    """A notebook raised while executing (a bug or an impossible parameter combination)."""


@dataclass(frozen=True)
class Job:
    """One notebook to execute: from `source` into `target` with papermill `parameters`, its cache key recorded
    (if any); `uses_forecast` if its section shows the erosion forecast; `run_hint_of`, the name of a section whose
    `run_hint` the worker computes after the notebook, with what the notebook's run left in the worker's memos
    (the `notebooks` command)."""
    source: Path
    target: Path
    parameters: dict
    key: str | None = None
    uses_forecast: bool = False
    run_hint_of: str | None = None


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run timings and timestamps (papermill, iopub) so that reruns are byte-identical; keep tags. The cell
    papermill inserts with the parameters gets a fixed id (papermill draws a random one)."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        cell.metadata.get("tags", []).sort()
        if INJECTED_TAG in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_TAG
    return nb

