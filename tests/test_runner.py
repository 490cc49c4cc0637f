"""The notebook runner: a worker runs its notebooks in one kernel, each in a new session; a failure stops it."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline import worker as notebook_run
from analysis.pipeline.runner import PRIVATE_PREFIX, Job, NotebookFailed, Workers, execute_all, remove_abandoned_folders

PROBE = "print(os.getpid(), 'x' in globals(), 'colorsys' in sys.modules)"   # kernel, variables left, modules kept


def _notebook(folder, name, cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, str(path))
    return path


def _outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    return [(c.execution_count, "".join(o.get("text", "") for o in c.outputs).split()) for c in nb.cells]


@pytest.mark.kernel
def test_one_worker_runs_its_notebooks_in_one_kernel_each_in_a_new_session(tmp_path):
    first = _notebook(tmp_path, "a.ipynb", ["import os, sys", PROBE, "import colorsys\nx = 1", PROBE])
    second = _notebook(tmp_path, "b.ipynb", ["import os, sys", PROBE])
    execute_all([Job(first, first, {}), Job(second, second, {})], workers=1)
    a, b = _outputs(first), _outputs(second)
    pid = a[1][1][0]
    assert a[1][1] == [pid, "False", "False"] and a[3][1] == [pid, "True", "True"]
    assert b == [(1, []), (2, [pid, "False", "True"])]      # same kernel, counts from 1, no variable, modules kept


@pytest.mark.kernel
def test_a_failed_notebook_is_not_written_and_its_kernel_is_not_reused(tmp_path):
    failing = _notebook(tmp_path, "a.ipynb", ["x = 1", "raise ValueError('bad input')"])
    before = failing.read_bytes()
    try:
        with pytest.raises(NotebookFailed, match="a.ipynb: cell 2 raised ValueError: bad input"):
            notebook_run.execute(failing, failing, {})
        assert failing.read_bytes() == before and notebook_run._worker_kernel is None
    finally:
        notebook_run._stop_kernel()


@pytest.mark.kernel
def test_kept_workers_run_a_later_build_in_the_kernel_they_started(tmp_path):
    """`watch` keeps its workers between builds: the second build's notebook runs in the first one's kernel (same
    process, modules still loaded), in a new session; once closed, the pool refuses to be reused silently."""
    first = _notebook(tmp_path, "a.ipynb", ["import os, sys", PROBE, "import colorsys\nx = 1"])
    second = _notebook(tmp_path, "b.ipynb", ["import os, sys", PROBE])
    transport = _notebook(tmp_path, "c.ipynb", ["from ipykernel.kernelapp import IPKernelApp\n"
                                                 "print(IPKernelApp.instance().transport)"])
    with Workers(count=1) as kept:
        execute_all([Job(first, first, {})], pool=kept)
        execute_all([Job(second, second, {}), Job(transport, transport, {})], pool=kept)
        private = list(Path(kept._private.name).iterdir())
    assert kept.closed
    pid = _outputs(first)[1][1][0]
    assert _outputs(second) == [(1, []), (2, [pid, "False", "True"])]
    assert _outputs(transport) == [(1, ["ipc"])]           # Unix sockets, in the pool's private folder
    assert any(path.name.startswith("kernel-") for path in private)


def test_a_worker_kernel_uses_sockets_in_the_private_folder_and_tcp_when_its_path_is_too_long(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook_run, "_sockets", tmp_path)
    km = notebook_run._new_kernel()
    assert km.transport == "ipc" and km.ip.startswith(str(tmp_path)) and km.connection_file.startswith(str(tmp_path))
    monkeypatch.setattr(notebook_run, "_sockets", tmp_path / ("x" * notebook_run.SOCKET_PATH_LIMIT))
    assert notebook_run._new_kernel().transport == "tcp"


def test_a_killed_builds_private_folder_is_removed_by_the_next_and_a_running_ones_is_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f"{PRIVATE_PREFIX}{dead.pid}-abc"
    running = tmp_path / f"{PRIVATE_PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{PRIVATE_PREFIX}xyz"
    for folder in (abandoned, running, other):
        folder.mkdir()
        (folder / "dataset.arrow").write_bytes(b"x")
    assert remove_abandoned_folders(tmp_path) == [abandoned]
    assert not abandoned.exists() and running.exists() and other.exists()


@pytest.mark.kernel
def test_each_job_is_reported_as_it_finishes_in_the_callers_thread_before_its_chain_does(tmp_path):
    """Jobs chained in one kernel (`uses_forecast`) are each announced when done, while the rest of the chain still
    runs, so that the builder can render them meanwhile; a chain reported only when whole fails this."""
    first = _notebook(tmp_path, "a.ipynb", ["x = 1"])
    slow = _notebook(tmp_path, "b.ipynb", ["import time\ntime.sleep(3)"])
    outputs = {path: tmp_path / f"out-{path.name}" for path in (first, slow)}
    seen = []

    def on_done(source):
        seen.append((source.name, threading.current_thread() is threading.main_thread(), outputs[slow].exists()))
    execute_all([Job(path, outputs[path], {}, uses_forecast=True) for path in (first, slow)], workers=1,
                on_done=on_done)
    assert seen == [("a.ipynb", True, False), ("b.ipynb", True, True)]
