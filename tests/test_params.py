"""The parameter schema: typed, bounded, sourced; bad values refused before any kernel starts
(the CLI side of every refusal is in test_corpus.py)."""
import math

import pytest

from analysis import data
from analysis.data import params
from analysis.errors import ParameterError
from tests.conftest import run_cli


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


def test_cli_lists_parameters():
    result = run_cli("params")
    assert result.returncode == 0
    assert "ai_share" in result.stdout and "chipstrat-amazons-nvidia-entanglement" in result.stdout


def test_a_notebook_run_directly_validates_its_parameters_like_the_cli(tmp_path):
    """papermill straight on a notebook (-p NAME VALUE): the section refuses a bad value with the
    CLI's own one-line message."""
    import papermill

    from analysis.build.runner import NOTEBOOK_DIR
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
