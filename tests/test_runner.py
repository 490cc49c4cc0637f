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

PROBE = "print(os.getpid(), 'x' in globals(), hasattr(sys, 'probe_mark'))"   # kernel, variables left, modules kept


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
    first = _notebook(tmp_path, "a.ipynb", ["import os, sys", PROBE, "sys.probe_mark = 1\nx = 1", PROBE])
    second = _notebook(tmp_path, "b.ipynb", ["import os, sys", PROBE])
    execute_all([Job(first, first, {}), Job(second, second, {})], workers=1)
    a, b = _outputs(first), _outputs(second)
    pid = a[1][1][0]
    assert a[1][1] == [pid, "False", "False"] and a[3][1] == [pid, "True", "True"]
    assert b == [(1, []), (2, [pid, "False", "True"])]      # same kernel, counts from 1, no variable, modules kept


@pytest.fixture
def as_a_worker(monkeypatch):
    """Notebooks run in this process, as a worker runs them: the kernel's shell sets its environment (TERM,
    CLICOLOR, ...), so it is put back afterwards, and the kernel is stopped."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    yield
    notebook_run._stop_kernel()


@pytest.mark.kernel
def test_a_kept_kernel_answers_only_the_notebook_it_runs(tmp_path, as_a_worker):
    """An in-process kernel sends every message to each client that ever connected: a long-lived worker (`watch`)
    would keep every earlier notebook's outputs in memory unless each new session drops the earlier clients."""
    path = _notebook(tmp_path, "a.ipynb", ["print('x' * 1000)"])
    for _ in range(3):
        notebook_run.execute(path, tmp_path / "out.ipynb", {})
    assert len(notebook_run._worker_kernel.kernel.frontends) == 1


@pytest.mark.kernel
def test_a_failed_notebook_is_not_written_and_its_kernel_is_not_reused(tmp_path, as_a_worker):
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
    first = _notebook(tmp_path, "a.ipynb", ["import os, sys", PROBE, "sys.probe_mark = 1\nx = 1"])
    second = _notebook(tmp_path, "b.ipynb", ["import os, sys", PROBE])
    in_worker = _notebook(tmp_path, "c.ipynb", ["import multiprocessing\nprint(multiprocessing.parent_process().pid)"])
    with Workers(count=1) as kept:
        execute_all([Job(first, first, {})], pool=kept)
        execute_all([Job(second, second, {}), Job(in_worker, in_worker, {})], pool=kept)
    assert kept.closed
    pid = _outputs(first)[1][1][0]
    assert _outputs(second) == [(1, []), (2, [pid, "False", "True"])]
    assert _outputs(in_worker) == [(1, [str(os.getpid())])]    # the kernel is the worker this process forked


#: Cells whose outputs take every form a notebook of the report can show: a stream on each channel, a rich display,
#: an execution result, Markdown, an empty cell and a parameter papermill injects; and the folder a cell runs in;
#: streams and displays interleaved (each display flushes the streams: their text comes before it).
EVERY_OUTPUT = ["import sys\nfrom IPython.display import Markdown, display\nlabel = 'x'",
                "print('out', label); print('err', file=sys.stderr)",
                "print('1'); display({'text/plain': '2'}, raw=True); display({'text/plain': '3'}, raw=True)\n"
                "print('4', file=sys.stderr); print('5'); display({'text/plain': '6'}, raw=True); print('7')",
                "display({'a': 1}, raw=False); display(Markdown('**m**'))\n{'b': [1.5, None]}",
                "", "import pandas as pd\npd.DataFrame({'v': [1, 2]})", "import os\nos.getcwd()"]


@pytest.mark.kernel
def test_a_workers_in_process_kernel_gives_the_outputs_of_a_kernel_process(tmp_path):
    """The build runs notebooks in an IPython kernel inside its worker process; papermill's own kernel process (as
    nbval's and a reader's) must give the same notebook, byte for byte once the volatile metadata are stripped."""
    import papermill
    from analysis.pipeline.jobs import strip_volatile
    source = _notebook(tmp_path, "a.ipynb", EVERY_OUTPUT)
    nb = nbformat.read(str(source), as_version=4)
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(source))
    in_worker, in_process = tmp_path / "worker.ipynb", tmp_path / "process.ipynb"
    execute_all([Job(source, in_worker, {"label": "y"})], workers=1)
    papermill.execute_notebook(str(source), str(in_process), parameters={"label": "y"}, kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    nbformat.write(strip_volatile(nbformat.read(str(in_process), as_version=4)), str(in_process))
    assert in_worker.read_text() == in_process.read_text()
    assert "out y" in in_worker.read_text() and "err" in in_worker.read_text()


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
    last = _notebook(tmp_path, "c.ipynb", ["x = 2"])       # the forecast chain's last job runs alone (`chains`)
    outputs = {path: tmp_path / f"out-{path.name}" for path in (first, slow, last)}
    seen = []

    def on_done(source):
        seen.append((source.name, threading.current_thread() is threading.main_thread(), outputs[slow].exists()))
    execute_all([Job(path, outputs[path], {}, uses_forecast=True) for path in (first, slow, last)], workers=1,
                on_done=on_done)
    assert seen == [("a.ipynb", True, False), ("b.ipynb", True, True), ("c.ipynb", True, True)]



def _marking_chain(jobs, token=None):
    """`execute_chain`, marking in the folder $TAKEN that this worker has taken its chain (the workers fork from the
    test's process, which patches the module: they run this)."""
    (Path(os.environ["TAKEN"]) / str(os.getpid())).touch()
    return _execute_chain(jobs, token)


_execute_chain = notebook_run.execute_chain


@pytest.mark.kernel
def test_the_callers_work_meanwhile_starts_once_each_worker_has_taken_a_chain(tmp_path, monkeypatch):
    """The builder's own work while the kernels run (vl-convert's engine start holds the interpreter) must not keep
    the pool's threads from handing the second chain over: `meanwhile` runs once both workers have theirs."""
    monkeypatch.setenv("TAKEN", str(tmp_path))
    monkeypatch.setattr(notebook_run, "execute_chain", _marking_chain)
    paths = [_notebook(tmp_path, f"{name}.ipynb", ["import time\ntime.sleep(1)"]) for name in "ab"]
    seen = []
    execute_all([Job(path, path, {}) for path in paths], workers=2,
                meanwhile=lambda: seen.append(len([p for p in tmp_path.iterdir() if p.name.isdigit()])))
    assert seen == [2]


def test_a_worker_hands_papermill_its_notebook_without_the_last_runs_outputs_and_reads_a_changed_one_again(tmp_path):
    """A committed notebook carries its last run's outputs: the worker gives papermill the notebook without them
    (remembered while the file's bytes stay the same), and a notebook whose bytes changed is read again."""
    from analysis.pipeline import worker
    source = _notebook(tmp_path, "a.ipynb", ["print(1)", "x = 2"])
    nb = nbformat.read(str(source), as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[0].execution_count = 1
    nbformat.write(nb, str(source))
    first = worker._unexecuted(source)
    assert [c.outputs for c in first.cells] == [[], []] and [c.execution_count for c in first.cells] == [None, None]
    assert [c.source for c in first.cells] == ["print(1)", "x = 2"]
    assert worker._unexecuted(source) is first
    nb.cells[1].source = "x = 3"
    nbformat.write(nb, str(source))
    assert [c.source for c in worker._unexecuted(source).cells] == ["print(1)", "x = 3"]


@pytest.mark.kernel
def test_the_kernels_take_a_known_image_for_its_spec_and_draw_any_other(tmp_path):
    """`notebooks` hands the committed images to the kernels (`known_images`, spec digest -> PNG): a chart whose spec
    has one takes it, and a chart of any other spec is drawn."""
    from analysis.views import images
    spec = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    other = {**spec, "mark": "tick"}
    # Drawing is replaced in the kernel: vl-convert's engine does not survive a fork, and this test process may have
    # started it (the builder of `notebooks`, which forks the workers, never draws).
    path = _notebook(tmp_path, "a.ipynb", [
        "from analysis.views import images\nimages.render_png = lambda spec: b'drawn'",
        f"print(images.png_of({spec!r}), images.png_of({other!r}))"])
    execute_all([Job(path, path, {})], workers=1, known_images={images.spec_digest(spec): b"known"})
    assert _outputs(path)[1][1] == ["b'known'", "b'drawn'"]
    execute_all([Job(path, path, {})], workers=1)
    assert _outputs(path)[1][1] == ["b'drawn'", "b'drawn'"]         # none known: drawn
