"""The section registry: each section declared once, notebooks that only narrate, parameters that reach their
section through papermill, and a forecast computed once for every section that shows it."""
from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import re
import tokenize
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

from analysis import data
from analysis.pipeline import runner
from analysis.pipeline.runner import RUN_CALL, Job, chains, notebook_paths
from analysis.data import params
from analysis.errors import ParameterError
from analysis.models import outlook
from analysis.sections import ATTRIBUTED, SECTIONS, by_notebook
from analysis.sections.base import RUN_HINT_HEAD, shown_text
from analysis.views.exhibits import Chart, DataTable, Headlines, Table, Text, WhatIf
from tests.conftest import ROOT

MAX_CELL_LINES = 8
#: Quick Monte Carlo settings for tests that compute sections many times (each within its allowed range).
QUICK = {"mc_draws": 1000, "sobol_base_samples": 64}


def _code_cells(path: Path):
    nb = nbformat.read(str(path), as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_notebook_narrates_one_registered_section():
    assert [s.notebook for s in SECTIONS.values()] == [p.name for p in notebook_paths()]
    assert len({s.name for s in SECTIONS.values()}) == len(SECTIONS)


def test_every_parameter_is_read_by_a_section_and_every_section_parameter_exists(ds, schema):
    """Every parameter a run can set is read by a section; a definition of the dataset (its range is its default
    alone: the report's thresholds) is read by none (analysis.models.horizons reads its default)."""
    read = {name for s in SECTIONS.values() for name in s.parameter_names(ds)}
    fixed = {name for name, p in schema.items() if p.per_dataset}
    assert fixed == {"asic_share_threshold_lower", "asic_share_threshold_upper", "revenue_fall_level"}
    assert read <= set(schema) - fixed
    assert set(schema) - fixed <= read, sorted(set(schema) - fixed - read)


def test_notebook_cells_narrate_only(ds):
    """Outside the parameters cell: at most MAX_CELL_LINES lines per code cell and no `if` anywhere."""
    for path in notebook_paths():
        for cell in _code_cells(path):
            tokens = tokenize.generate_tokens(io.StringIO(cell.source).readline)
            assert not [t for t in tokens if t.type == tokenize.NAME and t.string == "if"], (path.name, cell.source)
            if "parameters" not in cell.metadata.get("tags", []):
                assert len(cell.source.splitlines()) <= MAX_CELL_LINES, (path.name, cell.source)


def test_parameters_cells_declare_every_parameter_with_no_default(ds):
    """A notebook's parameters cell binds `overrides` to an empty dict and each parameter its section reads to None
    ("the default from data/parameters.csv"): every default stays in data/parameters.csv, and the cell is the one
    `Section.parameters_cell` writes (`make notebooks`), so it lists exactly the section's parameters."""
    for path in notebook_paths():
        cell = next(c for c in _code_cells(path) if "parameters" in c.metadata.get("tags", []))
        section = by_notebook(path.name)
        assert cell.source == section.parameters_cell(ds), f"{path.name}: run `make notebooks`"
        tree = ast.parse(cell.source)
        assert [ast.unparse(node) for node in tree.body] == ["overrides = {}"] + [
            f"{name} = None" for name in section.parameter_names(ds)], path.name


def test_each_notebook_says_above_its_call_how_to_see_one_part_with_another_value(ds):
    """Above its call of the section, each notebook says what the call computes and shows how to re-run one part
    with another value: a parameter the section reads, at the high end of its band, and one of its parts; for the
    sections that do not compute the forecast (cheap to recompute), exactly the lines `Section.run_hint` writes
    (`make notebooks`; recomputing the forecast sections twice would cost about 4 s here)."""
    schema = params.schema(ds)
    for path in notebook_paths():
        section = by_notebook(path.name)
        lines = next(c for c in _code_cells(path) if RUN_CALL in c.source.split("\n")).source.split("\n")
        at = lines.index(RUN_CALL)
        assert lines[at - 3:at - 1] == list(RUN_HINT_HEAD), f"{path.name}: run `make notebooks`"
        subscript = ast.parse(lines[at - 1].removeprefix("#     "), mode="eval").body.args[0]
        ((name, value),) = ast.literal_eval(subscript.value.args[0]).items()
        assert name in section.parameter_names(ds) and value == schema[name].high, path.name
        assert ast.literal_eval(subscript.slice) in [part.__name__ for part in section.parts], path.name
        if not section.uses_forecast:
            assert lines[at - 3:at] == list(section.run_hint(ds)), f"{path.name}: run `make notebooks`"


@pytest.mark.kernel
def test_run_hints_computed_in_the_workers_that_ran_the_notebooks_are_each_sections_own(ds, tmp_path):
    """`make notebooks` asks each worker for the run hint of the section whose notebook it ran (`Job.run_hint_of`),
    computed there with the section's models at their defaults remembered: each is what the section's `run_hint`
    gives here (the cheap sections: the others cost seconds each); a job that asks for none gets none."""
    cheap = {"capex": SECTIONS["capex"], "claims": SECTIONS["claims"]}
    asking = [Job(ROOT / "notebooks" / s.notebook, tmp_path / s.notebook, {}, uses_forecast=s.uses_forecast,
                  run_hint_of=name) for name, s in cheap.items()]
    plain = Job(ROOT / "notebooks" / cheap["capex"].notebook, tmp_path / "plain.ipynb", {})
    hints = runner.execute_all([*asking, plain], dataset=ds, static_images=False)
    assert hints == {job.target: section.run_hint(ds) for job, section in zip(asking, cheap.values())}


def test_generated_cells_keep_or_replace_the_run_hint(tmp_path):
    """`write_generated_cells` sets the parameters cell and the comment lines above the section's call; without a
    hint (before the notebook runs) it keeps those lines; a notebook already as asked is not written again."""
    path = tmp_path / "nb.ipynb"
    path.write_bytes((ROOT / "notebooks" / SECTIONS["capex"].notebook).read_bytes())
    def call_lines():
        return next(c for c in _code_cells(path) if RUN_CALL in c.source.split("\n")).source.split("\n")
    before = call_lines()
    parameters = next(c for c in _code_cells(path) if "parameters" in c.metadata.get("tags", [])).source
    runner.write_generated_cells(path, parameters + "\n# changed", None)
    assert call_lines() == before
    assert next(c for c in _code_cells(path) if "parameters" in c.metadata.get("tags", [])).source.endswith("# changed")
    runner.write_generated_cells(path, parameters, ("# a new hint",))
    lines = call_lines()
    assert lines[lines.index(RUN_CALL) - 1] == "# a new hint" and not set(RUN_HINT_HEAD) & set(lines)
    assert set(RUN_HINT_HEAD) <= set(before)
    written = path.stat().st_mtime_ns
    runner.write_generated_cells(path, parameters, ("# a new hint",))
    assert path.stat().st_mtime_ns == written


def test_the_example_above_the_call_runs_and_changes_the_part_it_shows(ds):
    """Section 1's example: a parameter it reads, at the high end of its band, and a part whose texts or tables that
    value changes; run as written, it shows that part."""
    section = SECTIONS["capex"]
    example = section.run_hint(ds)[-1].removeprefix("#     ")
    subscript = ast.parse(example, mode="eval").body.args[0]       # show(SECTION.run({name: value})[part])
    overrides, part = ast.literal_eval(subscript.value.args[0]), ast.literal_eval(subscript.slice)
    ((name, value),) = overrides.items()
    assert name in section.parameter_names(ds) and value == params.schema(ds)[name].high
    shown: list = []
    eval(compile(example, "example", "eval"), {"SECTION": section, "show": shown.extend})
    assert shown_text(shown) == shown_text(section.compute(ds, section.values(overrides, ds))[part])
    assert shown_text(shown) != shown_text(section.compute(ds, section.values({}, ds))[part])


@pytest.mark.kernel
def test_papermill_takes_a_parameter_by_name_without_a_warning_and_lists_them(ds, tmp_path, caplog):
    """`papermill -p utilization 0.5` (through papermill's API): no "unknown parameter" warning, and the section's
    headline number moves; `papermill --help-notebook` (inspect_notebook) lists every parameter the section reads."""
    section = SECTIONS["portfolio"]
    source = ROOT / "notebooks" / section.notebook
    listed = papermill.inspect_notebook(str(source))
    assert list(listed) == ["overrides", *section.parameter_names(ds)]
    assert "Utilization" in listed["utilization"]["help"]
    caplog.set_level("WARNING", logger="papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"utilization": 0.5}, cwd=str(source.parent),
                               kernel_name="python3", progress_bar=False)
    assert not [r for r in caplog.records if "unknown parameter" in r.getMessage().lower()]
    published = [o["data"]["application/vnd.awsaccel.section+json"] for c in nbformat.read(str(out), as_version=4).cells
                 for o in c.get("outputs", []) if "application/vnd.awsaccel.section+json" in o.get("data", {})]
    ran = {r["key"]: r["value"] for p in published for r in p["results"]}
    def headlines(overrides):       # computed alone: the full computation publishes the same (a test below)
        return {h.key: h.value for h in section.headlines(ds, section.values(overrides, ds))}
    default = headlines({})
    npv = next(k for k in default if "npv" in k)
    assert ran[npv] != default[npv]
    assert ran[npv] == headlines({"utilization": 0.5})[npv]


def _defaults_bound(text: str, p: params.Parameter) -> list[str]:
    """Where `text` binds the parameter `p` to its default value: `name = value`, `name: value` or `"name": value`,
    the value a literal number or quoted text equal to the default."""
    pattern = rf"""(?<![\w.])["']?{re.escape(p.name)}["']?\s*[:=]\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?|'[^'\n]*'|"[^"\n]*")"""
    found = []
    for match in re.finditer(pattern, text):
        literal = match.group(1).strip("'\"")
        try:
            if p.coerce(literal) == p.default:
                found.append(match.group(0))
        except ParameterError:
            pass
    return found


def test_each_default_appears_once_in_the_repository(schema):
    """No code, notebook or scenario binds a parameter to its default: the default is data/parameters.csv's alone."""
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "analysis").rglob("*.py")}
    texts |= {str(p.relative_to(ROOT)): "\n".join(c.source for c in _code_cells(p)) for p in notebook_paths()}
    texts |= {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "scenarios").glob("*.yaml")}
    found = {(where, hit) for p in schema.values() for where, text in texts.items() for hit in _defaults_bound(text, p)}
    assert not found
    base = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text(encoding="utf-8"))
    assert base["values"] == {}, "the base scenario is the defaults: it sets nothing"


def test_the_default_rule_would_see_a_default_typed_into_code(schema):
    p = schema["ai_share"]
    assert _defaults_bound(f"ai_share = {p.default}\n", p) and _defaults_bound(f'{{"ai_share": {p.default}}}', p)
    assert _defaults_bound(f"  ai_share: {{value: {p.default}, why: x}}", p) == []       # a scenario's value is nested
    assert not _defaults_bound("p['ai_share'] * 2\nai_share_x = 1\nai_share = 0.99", p)


def test_a_section_refuses_a_parameter_it_does_not_read(ds):
    with pytest.raises(ParameterError, match=r"section capex \(01_capex.ipynb\) does not read 'trainium_ceiling'"):
        SECTIONS["capex"].values({"trainium_ceiling": 0.5}, ds)


def _other_value(p: params.Parameter, ds):
    """A valid value of `p` other than its default."""
    if p.choices:
        return next(c for c in p.choices if c != p.default)
    if p.name == "focus_quarter" or p.name == "gpu_purchase_quarter":
        allowed = [a for name, rule, _ in params.DATA_RULES if name == p.name for a in rule(ds)]
        return next(q for q in reversed(allowed) if q != p.default)
    if p.type == "date":
        return "2026-01-15"
    low, high = (p.low, p.high) if p.low is not None else (p.minimum, p.maximum)
    value = high if high != p.default else low
    return int(value) if p.type == "int" else float(value)


def _fingerprint(result) -> str:
    """A digest of everything a section shows: texts, tables, chart specs, data tables, what-if grids, headlines."""
    digest = hashlib.sha256()
    for name, exhibits in result.parts.items():
        for e in exhibits:
            if isinstance(e, Text):
                part = e.markdown
            elif isinstance(e, (Table, DataTable)):
                part = e.frame.to_csv()
            elif isinstance(e, Chart):
                part = e.chart.to_json()
            elif isinstance(e, WhatIf):
                part = e.arguments["points"].to_csv()
            else:
                assert isinstance(e, Headlines)
                part = json.dumps([h.as_dict() for h in e.items], sort_keys=True, default=str)
            digest.update(f"{name}\0{part}\0".encode())
    return digest.hexdigest()


def _through_papermill(name: str, overrides: dict) -> dict:
    """What the notebook's parameters cells bind `overrides` to once papermill has injected them (-y
    "overrides: {...}"): the cells tagged `parameters` and `injected-parameters`, run in order."""
    nb = nbformat.read(str(ROOT / "notebooks" / SECTIONS[name].notebook), as_version=4)
    nb.metadata["papermill"] = {}
    injected = papermill.parameterize.parameterize_notebook(nb, {"overrides": overrides}) if overrides else nb
    namespace: dict = {}
    for cell in injected.cells:
        if cell.cell_type == "code" and {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
            exec(cell.source, namespace)
    return namespace["overrides"]


def _quick(name: str, ds) -> dict:
    return {k: v for k, v in QUICK.items() if k in SECTIONS[name].parameter_names(ds)}


def _canonical(headlines) -> str:
    """Headlines as one text (NaN equal to NaN, unlike in a list comparison)."""
    return json.dumps([h if isinstance(h, dict) else h.as_dict() for h in headlines], sort_keys=True, default=str)


@functools.cache
def _base(name: str) -> tuple[str, str, str | None]:
    """A section at its QUICK values through papermill, computed once per worker: the fingerprint of what it shows,
    its headlines, and (for a section that declares them) its headlines computed alone."""
    ds = data.load_dataset()
    section = SECTIONS[name]
    values = section.values(_through_papermill(name, _quick(name, ds)), ds)
    result = section.compute(ds, values)
    alone = _canonical(section.headlines(ds, values)) if section.headlines else None
    return _fingerprint(result), _canonical(result.headlines), alone


def _tested(name: str, ds) -> list[str]:
    """The parameters of a section the test below moves: all it reads but the QUICK ones and its inert ones."""
    section = SECTIONS[name]
    inert = section.inert_parameters(ds)
    return [p for p in section.parameter_names(ds) if p not in QUICK and p not in inert]


SECTION_PARAMETERS = [(name, parameter) for name in SECTIONS for parameter in _tested(name, data.load_dataset())]


@pytest.mark.parametrize("name, parameter", SECTION_PARAMETERS, ids=[f"{n}-{p}" for n, p in SECTION_PARAMETERS])
def test_every_section_parameter_reaches_the_section_through_papermill_and_changes_it(name, parameter, ds, schema):
    """Each parameter: papermill injects it into the notebook (-y "overrides: {...}"), the notebook's cells up to the
    section's run take it, and the section's result changes: a headline number moves, or the parameter is declared
    display-only and changes what is shown but no headline. One case per parameter, so the cases share the workers.
    A section's headlines computed alone are among those its full computation publishes
    (`test_attributed_sections_give_their_headlines_alone`): when they move, so does what it shows, and the full
    computation is needed only otherwise."""
    section = SECTIONS[name]
    overrides = {**_quick(name, ds), parameter: _other_value(schema[parameter], ds)}
    values = section.values(_through_papermill(name, overrides), ds)
    assert values[parameter] == overrides[parameter] != schema[parameter].default
    base_print, base_headlines, base_alone = _base(name)
    if base_alone is not None and parameter not in section.display_only:
        if _canonical(section.headlines(ds, values)) != base_alone:
            return
    changed = section.compute(ds, values)
    assert _fingerprint(changed) != base_print, f"{name}: {parameter} changes nothing it shows"
    moved = _canonical(changed.headlines) != base_headlines
    assert moved == (parameter not in section.display_only), (
        f"{name}: {parameter} moves no headline" if not moved else f"{name}: display-only {parameter} moves a headline")


@pytest.mark.parametrize("name", list(SECTIONS))
def test_a_sections_display_only_and_inert_parameters_are_its_own_with_reasons(name, ds):
    """Every display-only parameter is one the test above moves; every inert one is read by the section, with a reason."""
    section = SECTIONS[name]
    assert set(section.display_only) <= set(_tested(name, ds))
    inert = section.inert_parameters(ds)
    assert all(inert.values()) and set(inert) <= set(section.parameter_names(ds))


def test_the_forecast_runs_once_for_every_section_that_shows_it(tmp_path):
    """In one process (a build's forecast kernel), the sections that show the forecast share one Monte Carlo run."""
    ds = data.load_dataset()
    ds = data.Dataset(ds.tables, ds.version, ds.directory)       # a Dataset object no earlier test has memoized for
    showing = [s for s in SECTIONS.values() if s.uses_forecast]
    assert len(showing) >= 3
    for section in showing:
        section.compute(ds, section.values({}, ds))
    key = json.dumps(outlook.forecast_values(ds, params.resolve({}, ds)), sort_keys=True)
    before = outlook.MONTE_CARLO_RUNS[key]
    for section in showing:
        section.compute(ds, section.values({}, ds))
    assert outlook.MONTE_CARLO_RUNS[key] == before


def test_the_counter_sees_a_forecast_at_new_values():
    ds = data.load_dataset()
    values = params.resolve({"trainium_ceiling": 0.31, **QUICK}, ds)
    key = json.dumps(outlook.forecast_values(ds, values), sort_keys=True)
    before = outlook.MONTE_CARLO_RUNS[key]
    outlook.run(ds, values, params.schema(ds), sensitivity=False)
    outlook.run(ds, {**values, "utilization": 0.4}, params.schema(ds), sensitivity=False)  # not a forecast input
    assert outlook.MONTE_CARLO_RUNS[key] == before + 1


def test_a_build_runs_the_sections_that_show_the_forecast_in_one_kernel_but_the_last():
    """The forecast chain comes first; its last job runs alone (a worker done with the other jobs takes it); every
    job runs once."""
    jobs = [Job(Path(s.notebook), Path(s.notebook), {}, None, s.uses_forecast) for s in SECTIONS.values()]
    showing = [j.source.name for j in jobs if j.uses_forecast]
    planned = chains(jobs)
    assert [j.source.name for j in planned[0]] == showing[:-1] and [showing[-1]] in [[j.source.name for j in c]
                                                                                   for c in planned[1:]]
    assert all(len(chain) == 1 for chain in planned[1:])
    assert sorted(j.source.name for chain in planned for j in chain) == sorted(s.notebook for s in SECTIONS.values())
    only_forecast = [j for j in jobs if j.uses_forecast]
    assert chains(only_forecast) == [only_forecast[:-1], only_forecast[-1:]] and chains(only_forecast[:1]) == [only_forecast[:1]]


def test_attributed_sections_give_their_headlines_alone(ds):
    for name, section in ATTRIBUTED.items():
        values = section.values({k: v for k, v in QUICK.items() if k in section.parameter_names(ds)}, ds)
        alone = section.headlines(ds, values)
        full = section.compute(ds, values).headlines
        assert {h.key: h.value for h in alone}.items() <= {h.key: h.value for h in full}.items(), name


def test_by_notebook_finds_the_section():
    assert by_notebook("03_asic_erosion.ipynb") is SECTIONS["erosion"]
