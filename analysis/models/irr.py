"""The internal rate of return of many cash-flow vectors at once: the root numpy-financial's `irr` returns.

numpy-financial's irr(v) takes every eigenvalue of the companion matrix of p(x) = sum_t v_t x^t (one O(n^3)
eigenvalue problem per vector), keeps the real ones x > 0 and returns the rate m = 1/x - 1 closest to zero (x is the
discount factor 1 / (1 + m)). Here the roots on each side of x = 1 (rate 0) are counted first, exactly or with a
certificate: by Descartes' rule of signs (a vector whose sign changes once has exactly one root x > 0, on the side of
1 that the sign of p(1) tells), else by the sign changes of p's Bernstein coefficients on (0, 1) and of its
reversal's (the roots above 1), which bound the roots there and share their parity. Where each side holds at most one
root, the roots of the whole stack are found at once (Newton's method kept inside a bracket) and the one closer to
rate 0 is kept; a vector with more roots on a side, whose count a rounding error could change or whose root the
bracket does not catch goes to numpy-financial itself. The two agree to a few units in the last place of x, so m can
differ from numpy-financial's in its last bits (tests/test_irr.py compares them).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
import numpy_financial as npf

_reference = np.vectorize(npf.irr, signature="(n)->()", otypes=[float])

#: A sum whose size is within this fraction of the sum of its terms' sizes has no trusted sign.
_ROUNDING = 1e-12
#: How far a bracket widens (discount factors, i.e. monthly rates from -99.6 % to 10^12), and how many steps the
#: solver takes at most (bisection alone needs about 110 from the widest bracket).
_SMALLEST_FACTOR, _LARGEST_FACTOR = 2.0 ** -40, 2.0 ** 8
_MAX_STEPS = 200


def monthly_irr(rows: npt.ArrayLike) -> np.ndarray:
    """numpy-financial's irr of each row of a 2-D array of cash flows (one per period, the first at time 0)."""
    rows = np.asarray(rows, float)
    used = np.flatnonzero(np.any(rows != 0, axis=0))
    rows = rows[:, :used[-1] + 1] if len(used) else rows[:, :0]   # zero periods at the end leave p unchanged
    below, above = _root_counts(rows) if rows.shape[1] > 1 else (np.full(len(rows), -1),) * 2
    settled = (below >= 0) & (above >= 0)
    rates = {}
    for side, count in (("below", below), ("above", above)):
        rates[side] = np.full(len(rows), np.nan)
        solve = np.flatnonzero(settled & (count == 1))
        if len(solve):
            rates[side][solve] = 1.0 / _root_on_side(rows[solve], side) - 1.0
            settled[solve[np.isnan(rates[side][solve])]] = False
    low, high = np.abs(rates["below"]), np.abs(rates["above"])
    # two roots about as far from rate 0: which one numpy-financial keeps depends on its rounding
    settled &= ~(np.abs(low - high) <= _ROUNDING * np.maximum(low, high))
    m = np.where(np.isnan(low) | (high < low), rates["above"], rates["below"])
    if not settled.all():
        m[~settled] = _reference(rows[~settled])
    return m


def _sign_changes(rows: np.ndarray) -> np.ndarray:
    """Per row: how often the signs of its nonzero entries change."""
    flat = np.flatnonzero(rows)                         # row by row, left to right
    row, signs = flat // rows.shape[-1], np.sign(rows.ravel()[flat])
    change = (row[1:] == row[:-1]) & (signs[1:] != signs[:-1])
    return np.bincount(row[1:][change], minlength=len(rows))


def _root_counts(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the number of roots of p in (0, 1) and in (1, inf), each 0 or 1; -1 on both sides where that is not
    certain (more roots possible, rounding, p(1) about 0, values that are not finite)."""
    at_one = rows.sum(axis=-1)                                      # p(1)
    sure = np.isfinite(rows).all(axis=-1) & (np.abs(at_one) > _ROUNDING * np.abs(rows).sum(axis=-1))
    descartes = _sign_changes(np.where(np.isfinite(rows), rows, 0.0))
    last = rows[np.arange(len(rows)), rows.shape[-1] - 1 - np.argmax(rows[:, ::-1] != 0, axis=-1)]
    # one sign change: one root; p has the sign of its last coefficient above it, so p(1) tells the side
    below = np.where(descartes == 1, np.sign(at_one) == np.sign(last), 0).astype(int)
    above = np.where(descartes == 1, np.sign(at_one) != np.sign(last), 0).astype(int)
    more = np.flatnonzero(sure & (descartes > 1))
    if len(more):
        below[more], above[more] = (_bernstein_sign_changes(rows[more][:, ::step]) for step in (1, -1))
    unsure = ~sure | (below < 0) | (above < 0) | (below > 1) | (above > 1)
    below[unsure], above[unsure] = -1, -1
    return below, above


@functools.lru_cache(maxsize=8)
def _bernstein_weights(degree: int) -> np.ndarray:
    """W with W[k, t] = C(k, t) / C(degree, t): p's Bernstein coefficients on [0, 1] are W @ (p's coefficients)."""
    return np.array([[math.comb(k, t) / math.comb(degree, t) for t in range(degree + 1)]
                     for k in range(degree + 1)])


def _bernstein_sign_changes(rows: np.ndarray) -> np.ndarray:
    """Per row: the sign changes of p's Bernstein coefficients on [0, 1] (at least the number of roots in (0, 1), and
    of the same parity); -1 where a coefficient is too close to 0 for its sign to be trusted."""
    weights = _bernstein_weights(rows.shape[-1] - 1)
    coefficients, size = (np.einsum("ij,kj->ik", r, weights) for r in (rows, np.abs(rows)))
    doubtful = ((np.abs(coefficients) <= _ROUNDING * size) & (size > 0)).any(axis=-1)
    return np.where(doubtful, -1, _sign_changes(coefficients))


def _powers(x: np.ndarray, n: int) -> np.ndarray:
    """x^t for t = 0 .. n-1 (rows) of each x (columns), as running products (a few array operations whatever n)."""
    return np.cumprod(np.concatenate([np.ones((1, len(x))), np.broadcast_to(x, (n - 1, len(x)))]), axis=0)


def _value(rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """p(x) per row."""
    return np.einsum("ij,ji->i", rows, _powers(x, rows.shape[1]))


def _value_and_slope(rows: np.ndarray, slopes: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p(x) and p'(x) per row; `slopes` holds the coefficients of p' (t v_t, t = 1 .. n-1)."""
    powers = _powers(x, rows.shape[1])
    return np.einsum("ij,ji->i", rows, powers), np.einsum("ij,ji->i", slopes, powers[:-1])


def _root_on_side(rows: np.ndarray, side: str) -> np.ndarray:
    """The one root x of p in (0, 1) (side "below") or in (1, inf) ("above") per row; NaN where the bracket does not
    catch it or the solver fails. The bracket starts between 1 and 1/2 (or 2) and moves away from 1, halving (or
    doubling) its far end, until p changes sign in it; then Newton's method from where the chord crosses 0, with
    bisection whenever a step would leave the bracket or not halve the step before last (rtsafe of Numerical
    Recipes), until a correction is below 2 units in the last place or the bracket closes."""
    at_near = rows.sum(axis=-1)                                                 # p(1)
    sign_at_one = np.sign(at_near)
    factor, limit = (0.5, _SMALLEST_FACTOR) if side == "below" else (2.0, _LARGEST_FACTOR)
    near, far = np.ones(len(rows)), np.full(len(rows), factor)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        at_far = _value(rows, far)
        while True:
            within = far > limit if side == "below" else far < limit
            same = np.flatnonzero((np.sign(at_far) == sign_at_one) & within)
            if not len(same):
                break
            near[same], at_near[same], far[same] = far[same], at_far[same], far[same] * factor
            at_far[same] = _value(rows[same], far[same])
        caught = np.sign(at_far) == -sign_at_one
        lo, hi = (far, near) if side == "below" else (near, far)
        # orient each row so that p < 0 at lo and p > 0 at hi
        v = rows * (sign_at_one if side == "below" else -sign_at_one)[:, None]
        slopes = v[:, 1:] * np.arange(1, v.shape[1])
        # start where the chord through the bracket's ends crosses 0 (regula falsi)
        x, active = np.where(caught, near - at_near * (far - near) / (at_far - at_near), np.nan), caught.copy()
        last, before = hi - lo, hi - lo
        for _ in range(_MAX_STEPS):
            if not active.any():
                break
            value, slope = _value_and_slope(v[active], slopes[active], x[active])
            at, a, b = x[active], lo[active], hi[active]
            a, b = np.where(value < 0, at, a), np.where(value > 0, at, b)
            step = value / slope
            newton = at - step
            use = (newton > a) & (newton < b) & (np.abs(step) <= np.abs(before[active]) / 2)
            failed = ~(np.isfinite(value) & np.isfinite(slope))
            close = (value == 0) | (np.abs(step) <= 2 * np.spacing(at))     # the correction is rounding
            following = np.where(failed, np.nan, np.where(close | use, newton, (a + b) / 2))
            done = failed | close | (b - a <= 2 * np.spacing(at))
            before[active], last[active] = last[active], following - at
            lo[active], hi[active], x[active] = a, b, following
            active[np.flatnonzero(active)[done]] = False
    return np.where(active, np.nan, x)
