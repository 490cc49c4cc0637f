"""environment.yml, requirements.lock and pyproject.toml pin the same versions (conda cannot resolve here, so compare)."""
import re
import tomllib
from importlib.metadata import version

import yaml
from rattler import MatchSpec

from tests.conftest import ROOT


def _lock_pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", text, re.M)}


def _pyproject_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return dict(d.lower().split("==") for d in deps)


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
    parsed = {MatchSpec(s).name.normalized.replace("_", "-"): s for s in specs}   # conda: jupyter_client; PyPI: jupyter-client
    assert "python=3.11" in specs
    for name, pinned in _pyproject_pins().items():
        spec = MatchSpec(parsed[name])
        assert str(spec.version) in (f"=={pinned}", pinned, f"{pinned}.*"), (name, str(spec.version))
    assert env["dependencies"][-1] == {"pip": ["-e ."]}
