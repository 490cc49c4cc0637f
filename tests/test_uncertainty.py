"""Uncertain inputs: value = median, sourced low/high = p5/p95, exactly and empirically."""
import numpy as np
import pytest

from analysis import data
from analysis.data import params
from analysis.models import erosion, erosion_sampling, outlook
from analysis.models.uncertainty import Z95, SplitDistribution, for_parameter

KINDS = [("normal", 2027.0, 2026.0, 2029.0), ("lognormal", 3.0, 1.0, 6.0), ("logitnormal", 0.45, 0.3, 0.7)]


@pytest.mark.parametrize("kind, median, low, high", KINDS)
def test_split_distribution_hits_its_three_quantiles_exactly(kind, median, low, high):
    d = SplitDistribution(median, low, high, kind)
    np.testing.assert_allclose(d.ppf([0.05, 0.5, 0.95]), [low, median, high], rtol=1e-12)
    assert d.median() == median
    x = d.ppf(np.linspace(0.001, 0.999, 999))
    assert np.all(np.diff(x) > 0)                                  # a proper, increasing quantile function


def test_an_asymmetric_range_stays_asymmetric():
    d = SplitDistribution(1.34, 1.0, 1.386, "lognormal")          # capex growth 2027: long lower tail
    draws = d.ppf(np.random.default_rng(0).random(200_000))
    assert np.percentile(draws, 5) == pytest.approx(1.0, abs=0.005)
    assert np.percentile(draws, 95) == pytest.approx(1.386, abs=0.005)
    assert np.median(draws) == pytest.approx(1.34, abs=0.003)


def test_a_value_inside_the_range_keeps_it_and_a_value_outside_moves_it():
    inside = for_parameter(0.6, 0.45, 0.3, 0.7, "logitnormal")
    assert (inside.p5, inside.center, inside.p95) == (0.3, 0.6, 0.7)
    outside = for_parameter(0.9, 0.45, 0.3, 0.7, "logitnormal")
    assert outside.p5 < 0.9 < outside.p95 < 1
    logit = np.log(np.array([outside.p5, 0.9, outside.p95]) / (1 - np.array([outside.p5, 0.9, outside.p95])))
    base = np.log(np.array([0.3, 0.45, 0.7]) / (1 - np.array([0.3, 0.45, 0.7])))
    np.testing.assert_allclose(np.diff(logit), np.diff(base))       # same widths in log-odds


def test_a_value_on_the_sourced_edge_gets_a_two_sided_range():
    d = for_parameter(0.3, 0.45, 0.3, 0.7, "logitnormal")
    assert d.p5 < 0.3 < d.p95 < 0.7


@pytest.mark.parametrize("value, kind", [(0.0, "logitnormal"), (1.0, "logitnormal"), (0.0, "lognormal")])
def test_a_value_on_the_edge_of_its_space_has_no_spread(value, kind):
    d = for_parameter(value, 0.45, 0.3, 0.7, kind)
    np.testing.assert_array_equal(d.ppf([0.01, 0.5, 0.99]), value)


def test_every_sampled_input_honours_its_sourced_p5_p95():
    """The empirical 5th/95th percentiles of every Monte Carlo input equal its sourced low/high (parameters.csv) or
    its capex-outlook row (capex_outlook.csv), and its median the default."""
    ds = data.load_dataset()
    schema, p = params.schema(ds), params.resolve({}, ds)
    model = outlook.build_model(ds, p, schema)
    specs = outlook.input_distributions(ds, p, schema, model)
    spreads = outlook.path_spreads(ds, p)
    draws = erosion_sampling.sample_inputs(specs, 100_000, 1)
    table = ds["capex_outlook"].set_index(["vintage", "year"])
    checked = 0
    for name, x in draws.items():
        if name == erosion.OBSERVED_INPUT:          # the data's draws: every row 1..n, none the central row 0
            assert set(np.unique(x)) <= set(range(1, model.observed.rows)) and len(np.unique(x)) > 0.6 * (model.observed.rows - 1)
            checked += 1
            continue
        if name.startswith("capex_growth_"):          # the sourced range, widened to at least history's spread
            row = table.loc[("current", int(name.rsplit("_", 1)[1]))]
            width = np.exp(Z95 * spreads["capex_growth"].predictive_sd())
            expected = (min(row["low"], row["growth"] / width), row["growth"], max(row["high"], row["growth"] * width))
        elif name in model.path_steps:                 # a path's step: centred on 0 with the measured spread
            sd = spreads["chip_share" if name.startswith(erosion.CHIP_SHARE_STEP.format("")) else "cost_step"].predictive_sd()
            np.testing.assert_allclose(np.percentile(x, [5, 50, 95]), (-Z95 * sd, 0, Z95 * sd), atol=0.03 * sd, err_msg=name)
            checked += 1
            continue
        else:
            expected = (schema[name].low, schema[name].default, schema[name].high)
        got = np.percentile(x, [5, 50, 95])
        np.testing.assert_allclose(got, expected, rtol=0.02, err_msg=name)
        checked += 1
    uncertain = {n for n, s in schema.items() if s.distribution != "fixed" and n in model.point}
    assert uncertain <= set(draws) and checked == len(specs) >= 9


def test_observed_split_lognormal_is_the_masked_select_number_for_number():
    """`observed._split_lognormal` picks each draw's side without a mask where both sides are finite: every number
    equals the select's, bit for bit (signed zeros, a zero p5 or median, a degenerate band, 1-D scores included)."""
    from analysis.models.observed import _split_lognormal

    def selected(median, p5, p95, z):
        mid = np.log(median)
        return np.exp(mid + z * np.where(z < 0, (mid - np.log(p5)) / Z95, (np.log(p95) - mid) / Z95))
    rng = np.random.default_rng(20261208)
    for case in range(60):
        columns, draws = int(rng.integers(1, 40)), int(rng.integers(1, 500))
        median = np.exp(rng.uniform(-5, 20, columns))
        p5, p95 = median * rng.uniform(0, 1, columns), median * rng.uniform(1, 5, columns)
        p5[-1] = p95[-1] = median[-1]                       # no spread
        if case % 3 == 0:
            p5[0] = 0.0                                     # an infinite lower side
        if case % 4 == 0:
            median[0] = p5[0] = 0.0
        z = rng.standard_normal((draws, columns))
        z[0, 0], z[-1, -1] = -0.0, 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            for args in ((median, p5, p95, z), (median[0], p5[0], p95[0], z[:, 0])):
                assert _split_lognormal(*args).tobytes() == selected(*args).tobytes()
