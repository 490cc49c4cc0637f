"""Where people read the executed notebooks: JupyterLab, opened as from a fresh clone (untrusted, offline), and static
HTML that shows only images. Every chart is drawn in both."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline.runner import notebook_paths
from analysis.views.present import VEGALITE_MIMETYPE
from tests.browser import chromium, offline_page
from tests.conftest import ROOT

TOKEN = "test-token-not-secret"


def _charts(path: Path) -> int:
    nb = nbformat.read(str(path), as_version=4)
    return sum(VEGALITE_MIMETYPE in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for out in cell.outputs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _all_in_one(folder: Path) -> tuple[Path, list[str]]:
    """One notebook holding every committed notebook's cells in reading order (their outputs as committed), and the
    name of the notebook each cell comes from: JupyterLab is opened once for all of them, not once per notebook
    (each opening starts the whole application, about 3 s)."""
    cells, origins = [], []
    for path in notebook_paths():
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            cell.id = f"{path.stem[:2]}-{cell.id}"          # unique in the one notebook
        cells += nb.cells
        origins += [path.stem] * len(nb.cells)
    combined = nbformat.read(str(notebook_paths()[0]), as_version=4)
    combined.cells = cells
    target = folder / "all_notebooks.ipynb"
    nbformat.write(combined, str(target))
    return target, origins


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free local port with private config, data and settings folders (nothing trusted: the notary
    database is in memory), serving every committed notebook's cells in one notebook (`_all_in_one`); yields the
    server's address, that notebook and each cell's notebook. One server for the module: each test opens the
    notebook in a fresh browser and saves nothing."""
    chromium()                                    # skip (or fail under CI) before starting a server
    tmp_path = tmp_path_factory.mktemp("lab")
    work = tmp_path / "work"
    work.mkdir()
    notebook, origins = _all_in_one(work)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Draw every cell, not only those in view, so that all outputs can be inspected without scrolling.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter")), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1",
         f"--port={_free_port()}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}",
         "--NotebookNotary.db_file=:memory:", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    # The port it serves on, from the file it writes once listening: the suggested port may have been taken
    # meanwhile by another process, and the server then moves to the next free one.
    info = tmp_path / "runtime" / f"jpserver-{server.pid}.json"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                base = f"http://127.0.0.1:{json.loads(info.read_text())['port']}"
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except (OSError, ValueError, KeyError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not start: " + (tmp_path / "lab.log").read_text()[-2000:])
                time.sleep(0.3)
        yield base, notebook, origins
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


#: Per drawn cell: does it hold a typeset formula, and does an output show money ("$" then a digit) as text?
CELLS = """Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => [
    cell.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_Preview, mjx-container, .jp-RenderedLatex').length > 0,
    Array.from(cell.querySelectorAll('.jp-OutputArea-output')).some(e => /\\$\\d/.test(e.innerText))])"""
#: The chart outputs JupyterLab drew (a canvas or an SVG inside).
DRAWN = ("Array.from(document.querySelectorAll('.jp-RenderedVegaCommon5'))"
         ".filter(o => o.querySelector('canvas, svg')).length")


@pytest.fixture(scope="module")
def opened(lab) -> dict:
    """The all-in-one notebook opened once in a fresh offline browser (each opening starts the whole application):
    what the tests below read from it, once every cell and every chart is drawn and MathJax has had time to
    typeset."""
    base, notebook, origins = lab
    expected = _charts(notebook)
    with offline_page(allowed=(base, "data:", "blob:"), viewport={"width": 1400, "height": 1000}) as offline:
        offline.page.goto(f"{base}/lab/tree/{notebook.name}?token={TOKEN}")
        offline.page.wait_for_function(
            "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= n", arg=len(origins), timeout=90_000)
        offline.page.wait_for_function(f"n => {DRAWN} >= n", arg=expected, timeout=90_000)
        offline.page.wait_for_timeout(2000)                  # MathJax typesets after the cells are drawn
        return {"expected": expected, "origins": origins, "rendered": offline.page.evaluate(DRAWN),
                "as_text": offline.page.evaluate("Array.from(document.querySelectorAll('.jp-RenderedText'))"
                                                 ".filter(o => o.innerText.startsWith('Chart: ')).length"),
                "trusted": offline.page.evaluate("document.querySelectorAll('.jp-OutputArea-output.jp-mod-trusted')"
                                                 ".length"),
                "cells": offline.page.evaluate(CELLS), "blocked": offline.blocked, "errors": offline.errors}


@pytest.mark.browser
def test_every_chart_renders_in_jupyterlab_untrusted_and_offline(opened):
    assert opened["expected"] >= 5
    assert opened["rendered"] == opened["expected"] and opened["as_text"] == 0
    assert opened["trusted"] == 0
    assert opened["blocked"] == [] and opened["errors"] == []


@pytest.mark.browser
def test_no_notebook_renders_money_as_maths_in_jupyterlab(opened):
    """JupyterLab typesets markdown with MathJax: two dollar signs in one block ("$3.2B ($2.0B–$5.1B)") would become
    a formula. Every notebook's cells are drawn; none holds a typeset formula, and money shows as $."""
    origins, cells = opened["origins"], opened["cells"]
    assert len(cells) == len(origins)
    maths = [f"{origin}, cell {origins[:i + 1].count(origin)}" for i, (origin, (formula, _)) in
             enumerate(zip(origins, cells)) if formula]
    assert maths == []
    with_money = {origin for origin, (_, money) in zip(origins, cells) if money}
    assert {"00_summary", "01_capex"} <= with_money          # the money is there, as text
    assert opened["blocked"] == []


def test_every_notebook_opens_with_a_narrative_then_its_parameters():
    for path in notebook_paths():
        cells = nbformat.read(str(path), as_version=4).cells
        first, second = cells[0], cells[1]
        assert first.cell_type == "markdown" and first.source.startswith("# "), path.name
        assert len(first.source.split()) >= 40, path.name        # a paragraph that says what the notebook answers
        assert second.cell_type == "code" and "parameters" in second.metadata.get("tags", []), path.name


def test_static_html_export_shows_every_chart_as_an_image():
    """Viewers that show only images (nbconvert's HTML, code hosts' previews) fall back to each chart's PNG."""
    from nbconvert import HTMLExporter

    notebook = max(notebook_paths(), key=_charts)
    body, _ = HTMLExporter().from_filename(str(notebook))
    assert body.count('src="data:image/png;base64,') == _charts(notebook) >= 5


def test_make_lab_starts_jupyterlab_as_root_too():
    """Containers run as root, and jupyter lab refuses root without --allow-root (as the fixture above runs it)."""
    commands = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "jupyter lab --allow-root notebooks" in commands
