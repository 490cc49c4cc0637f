"""What setuptools puts into a wheel of the project, built offline from a clean copy, holds every file of the package:
each module and each template and asset the code reads from inside it (the list comes from the source tree, so a
new file is covered when it is added).

The venv's setuptools (65, from `python -m venv`) makes a wheel only with the `wheel` package, which the lock does
not hold; the test runs the steps `bdist_wheel` runs before it zips (egg_info, then build_py), whose output folder is
the wheel's content."""
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def package_files() -> set[str]:
    """Every file under analysis/ that git tracks (no caches, no stray local files)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "analysis"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert {"analysis/templates/page.css", "analysis/templates/page.js", "analysis/models/outlook.py"} <= set(listed)
    return set(listed)


def wheel_content(pyproject: bytes, tmp_path: Path) -> set[str]:
    """The files setuptools builds for a wheel of the package under `pyproject` (a clean copy, offline)."""
    source = tmp_path / "project"
    for name in ("README.md", *package_files()):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((ROOT / name).read_bytes())
    (source / "pyproject.toml").write_bytes(pyproject)
    built = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                            "egg_info", "--egg-base", str(tmp_path), "build_py", "--build-lib", str(tmp_path / "lib")],
                           cwd=source, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return {p.relative_to(tmp_path / "lib").as_posix() for p in (tmp_path / "lib").rglob("*") if p.is_file()}


def test_a_wheel_holds_every_module_template_and_asset(tmp_path: Path):
    inside = wheel_content((ROOT / "pyproject.toml").read_bytes(), tmp_path)
    assert not package_files() - inside, sorted(package_files() - inside)
    assert inside <= package_files(), sorted(inside - package_files())


def test_the_check_fails_on_package_data_that_lists_only_the_templates(tmp_path: Path):
    """The configuration before issue 29 (the top package only, templates/*.j2 only) misses the style sheet, the
    script and every subpackage: the comparison above sees it."""
    old = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start, end = old.index("[tool.setuptools.packages.find]"), old.index("[tool.pytest.ini_options]")
    narrow = old[:start] + '[tool.setuptools]\npackages = ["analysis"]\n\n[tool.setuptools.package-data]\n' \
        'analysis = ["templates/*.j2"]\n\n' + old[end:]
    missing = package_files() - wheel_content(narrow.encode(), tmp_path)
    assert {"analysis/templates/page.css", "analysis/templates/page.js", "analysis/models/outlook.py"} <= missing
