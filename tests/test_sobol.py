"""analysis.models.sobol gives SALib's and scipy's numbers exactly (the sampler's points, Saltelli's inputs, the
indices and their intervals), and never imports scipy.stats."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample
from scipy.stats import qmc

from analysis.models import sobol
from tests.conftest import ROOT

# (inputs, base points, seed): the report's own size (36 inputs, 1024 points, its default seed) and small ones.
CASES = [(36, 1024, 20240221), (3, 64, 1), (1, 8, 7), (5, 256, 0)]


def _problem(count: int) -> dict:
    return {"num_vars": count, "names": [f"x{i}" for i in range(count)], "bounds": [[0.0, 1.0]] * count}


@pytest.mark.parametrize("dim, n, seed", [(72, 1024, 20240221), (2, 16, 0), (1, 1, 3), (9, 100, 5)])
def test_the_points_are_scipys_scrambled_sobol_points(dim, n, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # scipy warns that 100 points are not a power of 2
        expected = qmc.Sobol(d=dim, scramble=True, seed=seed).random(n)
    assert np.array_equal(sobol.sobol_points(dim, n, seed), expected)


@pytest.mark.parametrize("count, n_base, seed", CASES)
def test_the_inputs_are_salibs_sample(count, n_base, seed):
    expected = salib_sample.sample(_problem(count), n_base, calc_second_order=False, seed=seed)
    assert np.array_equal(sobol.saltelli_inputs(count, n_base, seed), expected)


@pytest.mark.parametrize("count, n_base, seed", [case for case in CASES if case[2]])
def test_the_indices_and_intervals_are_salibs(count, n_base, seed):
    u = sobol.saltelli_inputs(count, n_base, seed)
    weights = np.arange(count, 0, -1, dtype=float)
    y = np.sin(u @ weights) + u[:, 0] * u[:, -1] ** 2           # uneven, interacting inputs
    expected = salib_analyze.analyze(_problem(count), y, calc_second_order=False, seed=seed)
    got = sobol.indices(y, count, seed)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.array_equal(got[key], expected[key]), key


def test_constant_outputs_give_zero_indices_as_salib_does():
    y = np.ones(8 * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = sobol.indices(y, 2, 3)
        expected = salib_analyze.analyze(_problem(2), y, calc_second_order=False, seed=3)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.array_equal(got[key], expected[key], equal_nan=True), key


def test_outputs_that_are_not_whole_blocks_are_refused():
    with pytest.raises(ValueError, match="not a whole number of Saltelli blocks"):
        sobol.indices(np.ones(10), 2, 1)


@pytest.mark.command
def test_the_sensitivity_analysis_imports_no_scipy_stats():
    script = ("import sys; import numpy as np; from analysis.models import erosion_sampling, uncertainty\n"
              "specs = {'a': uncertainty.Uniform(0.0, 1.0), 'b': uncertainty.Uniform(0.0, 1.0)}\n"
              "erosion_sampling.sobol_indices(lambda p: 3 * p['a'] + p['b'], specs, 64, 1)\n"
              "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats', 'SALib'))))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
