"""The parameter schema: typed, bounded, sourced; bad values refused before any kernel starts
(the CLI side of every refusal is in test_corpus.py)."""
import ast
import copy
import dataclasses
import math
import pickle

import pytest

from analysis import data
from analysis.data import params, schema_export
from analysis.errors import ParameterError
from tests.conftest import DATA, run_cli


@pytest.fixture(scope="module")
def schema():
    return params.schema(data.load_dataset())


def test_every_parameter_has_unit_range_source_and_rationale(schema):
    sources = set(data.load_dataset()["sources"]["id"])
    for p in schema.values():
        assert p.unit and p.description and p.rationale, p.name
        assert p.source_id in sources, p.name
        if p.type in ("float", "int"):
            assert p.minimum <= p.default <= p.maximum, p.name


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1.5", "-0.1", "abc", "", "True"])
def test_bad_float_values_are_refused(value):
    with pytest.raises(ParameterError, match="ai_share"):
        params.resolve({"ai_share": value})


@pytest.mark.parametrize("value", [math.nan, math.inf, True, None, [0.5]])
def test_bad_typed_values_are_refused(value):
    with pytest.raises(ParameterError, match="ai_share"):
        params.resolve({"ai_share": value})


def test_dates_and_quarters_are_checked():
    assert params.resolve({"focus_quarter": "2024Q2"})["focus_quarter"] == "2024Q2"
    for bad in ("2024Q5", "24Q1", "2024-Q1"):
        with pytest.raises(ParameterError, match="focus_quarter"):
            params.resolve({"focus_quarter": bad})
    with pytest.raises(ParameterError, match="as_of"):
        params.resolve({"as_of": "2026-02-30"})


def test_unknown_parameter_names_the_known_ones():
    with pytest.raises(ParameterError, match="unknown parameter 'ai_shar'.*ai_share"):
        params.resolve({"ai_shar": "0.5"})


def test_valid_override_is_typed():
    assert params.resolve({"ai_share": "0.25"})["ai_share"] == 0.25


@pytest.mark.command
def test_cli_lists_parameters():
    result = run_cli("params")
    assert result.returncode == 0
    assert "ai_share" in result.stdout and "chipstrat-amazons-nvidia-entanglement" in result.stdout


@pytest.mark.kernel
def test_a_notebook_run_directly_validates_its_parameters_like_the_cli(tmp_path):
    """papermill straight on a notebook (-p NAME VALUE): the section refuses a bad value with the
    CLI's own one-line message."""
    import papermill

    from analysis.pipeline.runner import NOTEBOOK_DIR
    cli = run_cli("run", "--out", str(tmp_path / "r"), "--set", "trainium_ceiling=2")
    assert cli.returncode == 2
    message = cli.stderr.strip().removeprefix("error: ")
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(str(NOTEBOOK_DIR / "03_asic_erosion.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"trainium_ceiling": 2}, kernel_name="python3", cwd=str(NOTEBOOK_DIR),
                                   progress_bar=False)
    with pytest.raises(ParameterError) as direct:
        params.resolve({"trainium_ceiling": 2})
    assert caught.value.ename == "ParameterError" and caught.value.evalue == str(direct.value)
    assert message == str(direct.value).replace("got 2;", "got '2';")      # the CLI's --set value is text


def test_the_committed_parameter_types_are_what_the_generator_writes_from_the_schema(tmp_path):
    """analysis/data/parameter_types.py never drifts from data/parameters.csv: after a deliberate edit of the schema,
    `python -m analysis params --format python --write` rewrites it."""
    expected = schema_export.types_module(params.schema(data.load_dataset(DATA)))
    assert schema_export.TYPES_FILE.read_text(encoding="utf-8") == expected, f"run `{params.TYPES_COMMAND}`"
    assert schema_export.write_types(params.schema(data.load_dataset(DATA)), tmp_path / "types.py").read_text() == expected


def test_the_parameter_types_hold_types_only():
    """One annotated field per parameter and no value: every default stays in data/parameters.csv."""
    tree = ast.parse(schema_export.TYPES_FILE.read_text(encoding="utf-8"))
    (fields,) = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    body = [node for node in fields.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert all(isinstance(node, ast.AnnAssign) and node.value is None for node in body)
    assert [node.target.id for node in body] == list(params.schema(data.load_dataset(DATA)))


def test_params_are_typed_attributes_and_a_read_only_mapping(schema):
    p = params.resolve({"ai_share": "0.25"})
    python_type = {"float": float, "int": int, "str": str, "date": str, "quarter": str}
    for name, param in schema.items():
        assert type(getattr(p, name)) is python_type[param.type] and p[name] == getattr(p, name), name
    assert list(p) == list(schema) and len(p) == len(schema) and p.ai_share == 0.25
    assert dict(p) == {**p} == p and p == params.resolve({"ai_share": 0.25}) and p != params.resolve({})
    assert hash(p) == hash(params.resolve({"ai_share": 0.25})) and "ai_share" in p and "ai_shar" not in p
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.ai_share = 0.5
    with pytest.raises(TypeError):
        p["ai_share"] = 0.5
    with pytest.raises(KeyError):
        p["ai_shar"]
    assert pickle.loads(pickle.dumps(p)) == p and copy.deepcopy(p) == p


def test_replace_is_a_new_params_checked_like_resolve():
    p = params.resolve({})
    q = p.replace(ai_share="0.25", utilization=0.5)
    assert isinstance(q, params.Params) and (q.ai_share, q.utilization) == (0.25, 0.5) and p.ai_share == 0.5
    assert q == params.resolve({"ai_share": 0.25, "utilization": 0.5}) and p.replace() == p
    assert pickle.loads(pickle.dumps(q)).replace(ai_share=0.5, utilization=0.7) == p
    with pytest.raises(ParameterError, match="unknown parameter 'ai_shar'.*ai_share"):
        p.replace(ai_shar=0.5)
    with pytest.raises(ParameterError, match="ai_share"):
        p.replace(ai_share=1.5)
    with pytest.raises(ParameterError, match="their sum must not exceed 1"):
        p.replace(on_demand_usage_share=0.95)
    with pytest.raises(ParameterError, match="focus_quarter.*a quarter with Amazon gross capex"):
        p.replace(focus_quarter="2019Q1")


def test_the_remembered_schema_is_one_set_of_parameters_in_a_new_dict_each_call():
    """params.schema is read on every model call: it copies its dict, not the (frozen) parameters in it."""
    ds = data.load_dataset()
    first, second = params.schema(ds), params.schema(ds)
    assert first is not second and all(first[name] is second[name] for name in first)
    first.pop("utilization")
    assert "utilization" in params.schema(ds)
    with pytest.raises(dataclasses.FrozenInstanceError):
        second["utilization"].default = 0.5
    assert copy.deepcopy(second["utilization"]) is second["utilization"]
