"""Command-line options for tools and files: `run --params FILE.yaml`, `params --format json`, `--help` everywhere."""
from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest

from analysis import errors
from analysis.pipeline import cli, report
from analysis.data import params, scenarios
from tests.conftest import ROOT, run_cli

REASON = 'why: "a test value"'


@pytest.fixture
def captured(monkeypatch):
    """The parameter values `run` would build with (no kernels start)."""
    seen = {}

    def build(out, values, *args, **kwargs):
        seen.update(values)
        return out
    monkeypatch.setattr(report, "build", build)
    return seen


def _file(tmp_path, values: dict, name: str = "mine.yaml"):
    path = tmp_path / name
    lines = [f"  {key}: {{value: {value}, {REASON}}}" for key, value in values.items()]
    path.write_text("description: My assumptions for a test.\nvalues:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_params_file_sits_between_the_scenario_and_set(tmp_path, captured):
    scenario = scenarios.load("asic-surge")["values"]
    name = next(iter(scenario))                          # a value the scenario sets
    other = "utilization"                                # one the scenario leaves at its default
    assert other not in scenario
    p, q = params.schema()[name], params.schema()[other]
    from_file = _file(tmp_path, {name: (p.minimum + p.maximum) / 2, other: (q.minimum + q.maximum) / 2})
    out = str(tmp_path / "r")
    assert cli.main(["run", "--out", out, "--scenario", "asic-surge", "--params", str(from_file)]) == 0
    assert captured[name] == (p.minimum + p.maximum) / 2 and captured[other] == (q.minimum + q.maximum) / 2
    rest = [k for k in scenario if k != name]
    assert all(captured[k] == params.schema()[k].coerce(scenario[k]) for k in rest)     # the scenario still applies
    assert cli.main(["run", "--out", out, "--scenario", "asic-surge", "--params", str(from_file),
                     "--set", f"{other}={q.maximum}"]) == 0
    assert captured[other] == q.maximum and captured[name] == (p.minimum + p.maximum) / 2


@pytest.mark.parametrize("content, culprit", [
    (None, "no such file"),
    ("description: x\nvalues:\n  ai_share: {value: 7, " + REASON + "}\n", "parameter 'ai_share'"),
    ("description: x\nvalues:\n  ai_shar: {value: 0.5, " + REASON + "}\n", "unknown parameter 'ai_shar'"),
    ("description: x\nvalues:\n  ai_share: 0.5\n", "value 'ai_share' must be {value:"),
    ("description: x\nvalues: [1, 2\n", "not valid YAML"),
    ("values: &a {}\ndescription: x\n", "an anchor (&) is not allowed"),
])
def test_bad_params_files_are_refused_in_one_line_naming_the_file(tmp_path, captured, capsys, content, culprit):
    path = tmp_path / "mine.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert cli.main(["run", "--out", str(tmp_path / "r"), "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(path) in err and culprit in err, err
    assert captured == {} and not (tmp_path / "r").exists()


def test_a_params_file_uses_the_scenario_checks(tmp_path, captured, capsys):
    """Same file, same message, whether it is a scenario or a --params file."""
    bad = "description: x\nvalues:\n  pue: {value: 0, " + REASON + "}\n"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "bad.yaml").write_text(bad, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(params.ParameterError) as as_scenario:
        scenarios.resolve_scenario("bad", directory=tmp_path / "scenarios")
    assert cli.main(["run", "--out", str(tmp_path / "r"), "--params", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {str(as_scenario.value).replace(str(tmp_path / 'scenarios'), str(tmp_path))}\n"


@pytest.mark.command
def test_params_json_lists_every_parameter_with_the_notebooks_that_declare_it():
    result = run_cli("params", "--format", "json")
    assert result.returncode == 0 and result.stderr == ""
    listed = json.loads(result.stdout)["parameters"]
    schema = params.schema()
    assert [row["name"] for row in listed] == list(schema)
    from analysis.sections import SECTIONS
    declared = {s.notebook: s.parameter_names(params.load_dataset()) for s in SECTIONS.values()}
    for row in listed:
        p = schema[row["name"]]
        assert set(row) == {"name", "type", "unit", "default", "min", "max", "choices", "low", "high", "distribution",
                            "label", "description", "rationale", "source", "confidence", "notebooks"}
        assert row["notebooks"] == [nb for nb, names in declared.items() if row["name"] in names]
        assert (row["default"], row["source"], row["confidence"], row["unit"]) == \
               (p.default, p.source_id, p.confidence, p.unit)
        for key, value in (("min", p.minimum), ("max", p.maximum), ("low", p.low), ("high", p.high)):
            assert row[key] == value or (row[key] is None and (value is None or math.isnan(value)))
    assert any(len(row["notebooks"]) > 1 for row in listed) and any(row["choices"] for row in listed)


@pytest.mark.command
def test_params_rejects_an_unknown_format():
    result = run_cli("params", "--format", "xml")
    assert result.returncode == 2 and "invalid choice: 'xml'" in result.stderr


@pytest.mark.parametrize("command", sorted(cli._parser()._subparsers._group_actions[0].choices))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith(f"usage: python -m analysis {command}")
    assert len(out.splitlines()) >= 4      # a description, not only the usage line


def test_run_help_states_the_order_of_parameter_sources(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--scenario, --params, then each --set" in out and "--no-cache" in out


@pytest.mark.parametrize("command", sorted(cli._parser()._subparsers._group_actions[0].choices))
def test_every_command_has_a_row_in_the_readme_commands_table(command):
    from tests.conftest import ROOT
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    assert any(f"`python -m analysis {command}" in row or f"`make {command}`" in row for row in rows), command


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_goes_to_stderr_only_on_a_terminal(monkeypatch, terminal):
    class Stream(io.StringIO):
        def isatty(self):
            return terminal
    monkeypatch.setattr(cli.sys, "stderr", Stream())
    cli._progress("[1/5] 00_summary.ipynb executed (1.0 s)")
    assert cli.sys.stderr.getvalue() == ("[1/5] 00_summary.ipynb executed (1.0 s)\n" if terminal else "")


def test_commands_shown_on_pages_and_in_the_quick_start_run_in_the_projects_environment():
    """A page shows `.venv/bin/python -m analysis ...`, never a bare `python -m analysis` (which a system Python
    without the packages cannot run); the README's quick start says so and states the Python version."""
    from analysis.views import present
    shown = [p.read_text(encoding="utf-8") for p in (ROOT / "analysis" / "templates").iterdir()]
    shown.append(Path(present.__file__).read_text(encoding="utf-8"))
    for text in shown:
        assert not re.search(r"(?<!\.venv/bin/)python -m analysis (run|compare|sweep)", text)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "Python 3.11" in quick and ".venv/bin/python -m analysis run" in quick


def test_ctrl_c_while_a_class_is_created_is_the_interrupt_line_and_status_130(monkeypatch, capsys, tmp_path):
    """CPython 3.11 raises a KeyboardInterrupt that arrives while a class is created (a dataclass of a section module
    imported while the data are validated) as `RuntimeError: Error calling __set_name__ ...` from it: still an
    interrupt, one line and status 130; any other RuntimeError is a bug, raised with its traceback."""
    def interrupted_import(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance 'x' in 'Observed'") from exc
    monkeypatch.setattr(cli.data, "load_dataset", interrupted_import)
    monkeypatch.setattr(errors, "_reported", [])        # the line is printed once per process
    assert cli.main(["run", "--out", str(tmp_path / "r")]) == 130
    assert capsys.readouterr().err.strip() == "error: interrupted; any previous report is left as it was"

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(cli.data, "load_dataset", bug)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["run", "--out", str(tmp_path / "r")])


@pytest.mark.parametrize("command, imported", [
    (["run"], {"analysis.sections", "analysis.pipeline.worker", "analysis.pipeline.report"}),
    (["watch"], {"analysis.sections", "analysis.pipeline.worker", "analysis.pipeline.report"}),
    (["notebooks"], {"analysis.sections", "analysis.pipeline.worker"}),
    (["params"], None),
])
def test_commands_that_run_notebooks_import_their_modules_while_the_data_are_validated(monkeypatch, tmp_path, command,
                                                                                     imported):
    """`run`, `watch` and `notebooks` hand `load_dataset` the imports their workers and builder need next, to run
    beside the validating child; a command that runs no notebook hands it none."""
    handed = []

    def load_dataset(*args, meanwhile=None, **kwargs):
        handed.append(meanwhile)
        raise errors.UserError("stop here")
    monkeypatch.setattr(cli.data, "load_dataset", load_dataset)
    out = ["--out", str(tmp_path / "r")] if command[0] in ("run", "watch") else []
    assert cli.main(command + out) == 2
    if imported is None:
        assert handed == [None]
        return
    assert set(cli.IMPORTED_BESIDE_VALIDATION[command[0]]) == imported
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: handed.append(name))
    handed.pop()()
    assert set(handed) == imported


def test_the_collector_is_off_through_start_up_and_on_once_the_command_has_its_modules_and_data(capsys):
    """`python -m analysis` starts with the garbage collector off; `_collect_from_here` (called once the data are
    loaded) freezes what start-up made and turns it back on, and leaves a caller's own collector (a test's) alone."""
    import gc
    import subprocess
    import sys
    probe = ("import gc, runpy; from analysis.pipeline import cli; cli.main = lambda: print(gc.isenabled()) or 0; "
             "runpy.run_module('analysis', run_name='__main__')")
    started = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (started.returncode, started.stdout.strip()) == (0, "False"), started.stderr
    frozen = gc.get_freeze_count()
    cli._collect_from_here()                            # this process's collector is on: nothing changes
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        assert cli.main(["scenarios"]) == 0                # loads the data, then collects from there on
        assert gc.isenabled() and gc.get_freeze_count() > frozen
    finally:
        gc.enable()
        gc.unfreeze()
