"""The extension recipes of docs/architecture.md, walked as a newcomer would on a copy of the repository: a challenger
vendor added as data rows, and a section added as one module, its registry entry and one notebook; then the one
command (`make regenerate`) and a build. The report shows both, and nothing else in the repository had to change."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline.cache import CACHE_DIR_ENV
from analysis.pipeline.runner import RUN_CALL
from tests.conftest import ROOT
from tests.test_outlook import NEW_PARAMETERS, NEW_VENDOR

NEW_SECTION = '''"""A test section: the accelerator vendors of the erosion model, as the data list them."""
from __future__ import annotations

from analysis.sections.base import Section, SectionState
from analysis.views.exhibits import Collector, Headline


def vendor_table(v: SectionState, x: Collector) -> None:
    vendors = v.ds["vendors"]
    x.table(vendors[["vendor_id", "label", "kind", "role"]], {},
            {"vendor_id": "Vendor", "label": "Name", "kind": "Kind", "role": "Role"})


def headline_results(v: SectionState, x: Collector) -> None:
    x.publish("vendor_list", [Headline("challengers", "Challenger vendors in the data",
                                       int((v.ds["vendors"]["role"] == "challenger").sum()), "count")],
              set(v.ds["vendors"]["source_id"]))


SECTION = Section("vendor_list", "06_vendor_list.ipynb", "Vendors", (), SectionState, (vendor_table, headline_results))
'''

NEW_NOTEBOOK_PROSE = ("# 6. The vendors the model knows\n\nA test section added by the recipe in docs/architecture.md: "
                      "one module, its entry in the section registry, and this notebook. It lists every accelerator "
                      "vendor of the erosion model as the data list them, the incumbent and each challenger, with "
                      "its kind, so that a vendor added as data rows shows here without any change to the code.")


def _tracked_copy(target: Path) -> None:
    """The repository's tracked files as they are in the working tree (what a developer has in front of them)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)


def _digests(folder: Path) -> dict[str, str]:
    """Every file's digest but the cache's, the reports' and Python's compiled modules (`make` writes those; git
    ignores them)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*")
            if p.is_file() and not {".cache", "reports", "__pycache__"} & set(p.parts)}


def _add_vendor(repo: Path) -> None:
    with open(repo / "data" / "vendors.csv", "a", encoding="utf-8") as f:
        f.write(NEW_VENDOR)
    with open(repo / "data" / "parameters.csv", "a", encoding="utf-8") as f:
        f.writelines(f"newco_{name},float,{unit},{value},{lo},{hi},,,,fixed,NewCo's {name} (test),A test row,"
                     f"project-assumption,assumption,named assumption,NewCo {name}\n"
                     for name, unit, value, lo, hi in NEW_PARAMETERS)


def _add_section(repo: Path) -> None:
    (repo / "analysis" / "sections" / "vendor_list.py").write_text(NEW_SECTION, encoding="utf-8")
    registry = repo / "analysis" / "sections" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    for old in ("claims, erosion, owners, portfolio, summary", "(summary, capex, portfolio, erosion, claims, owners"):
        assert old in text, f"the registry no longer reads {old!r}: update this walk and the recipe"
        text = text.replace(old, old + ", vendor_list")
    registry.write_text(text, encoding="utf-8")
    cells = [nbformat.v4.new_markdown_cell(NEW_NOTEBOOK_PROSE),
             nbformat.v4.new_code_cell("overrides = {}", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("from analysis.sections.vendor_list import SECTION\n"
                                       "from analysis.views.exhibits import show\n\n"
                                       + RUN_CALL),
             nbformat.v4.new_markdown_cell("## Every vendor"),
             nbformat.v4.new_code_cell('show(result["vendor_table"])'),
             nbformat.v4.new_code_cell('show(result["headline_results"])')]
    like = nbformat.read(str(ROOT / "notebooks" / "04_claims_and_checks.ipynb"), as_version=4)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=like.metadata)
    nbformat.write(nb, str(repo / "notebooks" / "06_vendor_list.ipynb"))


@pytest.mark.build
def test_the_vendor_and_section_recipes_put_both_in_the_report_with_one_command(tmp_path):
    repo = tmp_path / "repo"
    _tracked_copy(repo)
    before = _digests(repo)
    _add_vendor(repo)
    _add_section(repo)
    edited = {"data/vendors.csv", "data/parameters.csv", "analysis/sections/__init__.py",
              "analysis/sections/vendor_list.py", "notebooks/06_vendor_list.ipynb"}
    written = _digests(repo)

    venv = Path(sys.executable).parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo), CACHE_DIR_ENV: str(tmp_path / "cache")}
    env.pop("MAKEFLAGS", None)
    # The one command, with this environment (-o: the copy's install stamp is not remade).
    regenerate = subprocess.run(["make", "-o", str(venv / ".installed"), f"VENV={venv}", "regenerate"], cwd=repo,
                                env=env, capture_output=True, text=True, timeout=600)
    assert regenerate.returncode == 0, regenerate.stderr[-3000:]
    built = subprocess.run([sys.executable, "-m", "analysis", "run", "--out", "reports/recipes"], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]

    after = _digests(repo)
    changed = {name for name in after if after[name] != before.get(name)} | (before.keys() - after.keys())
    generated = {name for name in changed if after.get(name) != written.get(name)}
    # What `make regenerate` wrote: the manifest, the typed parameter fields and the notebooks (those whose outputs
    # show the change); no code by hand.
    assert changed == edited | generated
    assert {"data/MANIFEST.sha256", "analysis/data/parameter_types.py", "notebooks/03_asic_erosion.ipynb",
            "notebooks/06_vendor_list.ipynb"} <= generated
    assert all(name.startswith("notebooks/") for name in generated - {"data/MANIFEST.sha256",
                                                                       "analysis/data/parameter_types.py"})
    assert "newco_ceiling" in (repo / "analysis" / "data" / "parameter_types.py").read_text(encoding="utf-8")

    page = (repo / "reports" / "recipes" / "index.html").read_text(encoding="utf-8")
    results = json.loads((repo / "reports" / "recipes" / "results.json").read_text(encoding="utf-8"))
    assert results["results"]["vendor_list"]["challengers"]["value"] == 4          # trainium, amd, other, newco
    assert "The vendors the model knows" in page and page.count("NewCo accelerators (test)") >= 2
    erosion = nbformat.read(str(repo / "reports" / "recipes" / "notebooks" / "03_asic_erosion.ipynb"), as_version=4)
    assert "newco_ceiling = None" in erosion.cells[1].source                          # its parameters cell reads it
    assert any("NewCo" in json.dumps(out.get("data", {})) for cell in erosion.cells if cell.cell_type == "code"
               for out in cell.outputs)
