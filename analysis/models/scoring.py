"""Scores of a forecast against what happened (scoringrules does the arithmetic).

* `crps_draws`: continuous ranked probability score of Monte Carlo draws (lower is better; in the outcome's unit;
  equals the absolute error for a point forecast).
* `crps_quantiles`: the same from a set of quantiles (a locked release keeps quantiles, not draws).
* `interval_score`: weighted interval score of a median and central intervals (Bracher et al. 2021).
* `brier`: Brier score of a probability for an event (0 = sure and right, 1 = sure and wrong).
* `covers`: whether a central interval holds the outcome.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scoringrules as sr


def crps_draws(draws: npt.ArrayLike, outcome: float) -> float:
    """CRPS of `draws` at `outcome`: the probability-weighted-moment estimator, equal to the 'fair' (unbiased)
    estimator but O(n log n) in time and O(n) in memory."""
    x = np.asarray(draws, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size or not np.isfinite(outcome):
        raise ValueError("CRPS needs finite draws and a finite outcome")
    return float(sr.crps_ensemble(float(outcome), x, estimator="pwm"))


def crps_quantiles(levels: npt.ArrayLike, values: npt.ArrayLike, outcome: float) -> float:
    """CRPS approximated from quantiles `values` at probability `levels` (the pinball-loss average)."""
    return float(sr.crps_quantile(float(outcome), np.asarray(values, float), np.asarray(levels, float)))


def interval_score(median: float, lower: npt.ArrayLike, upper: npt.ArrayLike, alpha: npt.ArrayLike,
                   outcome: float) -> float:
    """Weighted interval score of a median and central (1 - alpha) intervals [lower, upper] (arrays, one per alpha),
    with Bracher et al.'s weights (alpha / 2 per interval, 1/2 for the median). scoringrules 0.10's numpy backend adds
    w_median x the median itself rather than x |outcome - median|, so the median's term is added here."""
    alpha = np.atleast_1d(np.asarray(alpha, float))
    intervals = sr.weighted_interval_score(float(outcome), float(median), np.atleast_1d(np.asarray(lower, float)),
                                           np.atleast_1d(np.asarray(upper, float)), alpha, w_median=0.0)
    return float(intervals + 0.5 * abs(float(outcome) - float(median)) / (alpha.size + 0.5))


def brier(probability: float, happened: bool) -> float:
    """Brier score of `probability` given to an event that did (True) or did not happen."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability {probability} outside [0, 1]")
    return float(sr.brier_score(int(bool(happened)), float(probability)))


def covers(lower: float, upper: float, outcome: float) -> bool:
    """True when lower <= outcome <= upper."""
    return bool(lower <= outcome <= upper)
