"""Forecast scores: known values, and the properties that make them proper."""
import numpy as np
import pytest

from analysis.models import scoring


def test_crps_of_a_point_forecast_is_the_absolute_error():
    assert scoring.crps_draws([2.0, 2.0, 2.0], 5.0) == pytest.approx(3.0)


def test_crps_of_a_standard_normal_sample_matches_the_closed_form():
    draws = np.random.default_rng(1).normal(size=200_000)
    # CRPS(N(0,1), 0) = 2 phi(0) - 1/sqrt(pi) = 0.2337
    assert scoring.crps_draws(draws, 0.0) == pytest.approx(2 / np.sqrt(2 * np.pi) - 1 / np.sqrt(np.pi), abs=2e-3)


def test_a_sharper_right_forecast_scores_better_than_a_vague_one():
    rng = np.random.default_rng(2)
    assert scoring.crps_draws(rng.normal(0, 1, 5000), 0.1) < scoring.crps_draws(rng.normal(0, 5, 5000), 0.1)


def test_crps_refuses_no_draws():
    with pytest.raises(ValueError):
        scoring.crps_draws([np.nan], 1.0)


def test_quantile_crps_close_to_sample_crps():
    draws = np.random.default_rng(3).lognormal(0, 0.5, 100_000)
    levels = np.arange(1, 20) / 20
    q = np.quantile(draws, levels)
    assert scoring.crps_quantiles(levels, q, 1.7) == pytest.approx(scoring.crps_draws(draws, 1.7), rel=0.1)


def test_interval_score_penalises_a_miss():
    inside = scoring.interval_score(0.0, -1.0, 1.0, 0.1, 0.5)
    outside = scoring.interval_score(0.0, -1.0, 1.0, 0.1, 3.0)
    assert outside > inside > 0


def test_interval_score_of_a_point_forecast_is_the_absolute_error_wherever_it_sits():
    """Bracher et al. (2021): with all quantiles at one value the WIS is |error|; it does not depend on the level."""
    alpha = [0.1, 0.2, 0.5]
    for at in (0.0, 20.0, -300.0):
        assert scoring.interval_score(at, [at] * 3, [at] * 3, alpha, at + 5.0) == pytest.approx(5.0)
    assert scoring.interval_score(20.0, [18.0, 19.0], [22.0, 21.0], [0.1, 0.5], 23.0) == pytest.approx(
        scoring.interval_score(0.0, [-2.0, -1.0], [2.0, 1.0], [0.1, 0.5], 3.0))


def test_brier_and_covers():
    assert scoring.brier(1.0, True) == 0.0
    assert scoring.brier(0.3, True) == pytest.approx(0.49)
    assert scoring.brier(0.3, False) == pytest.approx(0.09)
    with pytest.raises(ValueError):
        scoring.brier(1.2, True)
    assert scoring.covers(1, 2, 1.5) and not scoring.covers(1, 2, 2.5)
