"""environment.yml, requirements.lock and pyproject.toml pin the same versions (conda cannot resolve here, so compare);
the package's runtime dependencies are what it imports, the developer tools an extra."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, version

import yaml
from rattler import MatchSpec

from tests.conftest import ROOT


def _lock_pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", text, re.M)}


def _pins(specs: list[str]) -> dict[str, str]:
    return dict(d.lower().split("==") for d in specs)


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _runtime_pins() -> dict[str, str]:
    return _pins(_project()["dependencies"])


def _dev_pins() -> dict[str, str]:
    return _pins(_project()["optional-dependencies"]["dev"])


def _pyproject_pins() -> dict[str, str]:
    """Runtime dependencies and the `dev` extra together: everything requirements.in names."""
    return {**_runtime_pins(), **_dev_pins()}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions() -> set[str]:
    """The distributions (normalized names) whose modules a file of the package imports, the standard library aside."""
    modules = set()
    for path in (ROOT / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"analysis", "__future__"}
    owners = packages_distributions()
    assert third_party <= set(owners), sorted(third_party - set(owners))
    return {_normalized(dist) for module in third_party for dist in owners[module]}


def test_every_lock_line_is_pinned_and_hashed():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.-]+)(==[^\s\\]+)? \\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
    assert len(entries) == len(_lock_pins()) > 50
    assert all(pin for _, pin in entries)


def test_pyproject_pins_match_the_lock_and_the_installed_versions():
    lock = _lock_pins()
    for name, pinned in _pyproject_pins().items():
        assert lock.get(name) == pinned, name
        assert version(name) == pinned, name


def test_environment_yml_matches_pyproject_and_parses_as_conda_specs():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    specs = [s for s in env["dependencies"] if isinstance(s, str)]
    # conda spells jupyter_client, PyPI jupyter-client
    parsed = {MatchSpec(s).name.normalized.replace("_", "-"): s for s in specs}
    assert "python=3.11" in specs
    for name, pinned in _pyproject_pins().items():
        spec = MatchSpec(parsed[name])
        assert str(spec.version) in (f"=={pinned}", pinned, f"{pinned}.*"), (name, str(spec.version))
    assert env["dependencies"][-1] == {"pip": ["-e ."]}


def test_runtime_dependencies_are_what_the_package_imports_and_the_tools_an_extra():
    runtime, dev = set(_runtime_pins()), set(_dev_pins())
    imported = _imported_distributions()
    assert not runtime & dev
    assert imported <= runtime, sorted(imported - runtime)          # an import the installed package would miss
    assert not imported & dev, sorted(imported & dev)               # a developer tool the package needs at run time
    # Not imported but run: JupyterLab, the notebooks' reader (`make lab`).
    assert runtime - imported == {"jupyterlab"}, sorted(runtime - imported)


def test_requirements_in_names_exactly_the_pinned_dependencies():
    text = (ROOT / "requirements.in").read_text(encoding="utf-8")
    named = {_normalized(line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#")}
    assert named == {_normalized(name) for name in _pyproject_pins()}


def test_this_pytest_process_imported_the_package_first_and_reads_its_compiled_modules():
    """tests/preload.py: the package came before nbval's nbformat (no IRI grammar compiled here), and pytest left
    its modules as Python compiled them (it rewrites the asserts of a package a `-p` option names)."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    from analysis import data
    assert sys.modules.get("rfc3987_syntax") is None
    assert not isinstance(data.__spec__.loader, AssertionRewritingHook)
