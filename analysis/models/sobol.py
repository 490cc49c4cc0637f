"""Sobol' sensitivity indices, first and total order, with bootstrap confidence intervals: the numbers SALib 1.6 gives
(`SALib.sample.sobol.sample` and `SALib.analyze.sobol.analyze` without second order, inputs on [0, 1]), computed
without importing scipy.stats, which takes about a second (SALib imports it for its Sobol' points and one normal
quantile). tests/test_sobol.py compares every number with SALib's and scipy's.

* Points: scrambled Sobol' points as `scipy.stats.qmc.Sobol(d, scramble=True, seed=seed).random(n)` draws them: Joe and
  Kuo's direction numbers (the file scipy ships), Bratley and Fox's recurrence, 30 bits, a left linear matrix scramble
  and a digital shift drawn from `numpy.random.default_rng(seed)`, points in Gray-code order.
* Inputs: Saltelli's scheme: per point its first half A, then A with input k from the second half B for each k, then B.
* Indices: the output standardised, then Saltelli et al. (2010)'s first-order and Jansen's total-order estimators,
  each normalised by the variance of A and B; 95% intervals from 100 bootstrap resamples of the points.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy
from scipy import special

BITS = 30
#: Joe and Kuo's primitive polynomials and initial direction numbers (search criterion D(6)), as scipy packages them.
DIRECTION_NUMBERS = Path(scipy.__file__).parent / "stats" / "_sobol_direction_numbers.npz"
RESAMPLES = 100
CONFIDENCE = 0.95


def _direction_numbers(dim: int) -> np.ndarray:
    """(dim, BITS) direction numbers, column j scaled by 2^(BITS-1-j): dimension 0 all ones, every other from its
    polynomial's recurrence (Bratley and Fox 1988, Algorithm 659, section 2)."""
    with np.load(DIRECTION_NUMBERS) as numbers:
        polys, starts = numbers["poly"][:dim].tolist(), numbers["vinit"][:dim].tolist()
    rows = [[1] * BITS]
    for poly, start in zip(polys[1:], starts[1:]):
        degree = poly.bit_length() - 1
        row = start[:degree]
        for j in range(degree, BITS):
            value = row[j - degree]
            for k in range(degree):
                if (poly >> (degree - 1 - k)) & 1:
                    value ^= row[j - k - 1] << (k + 1)
            row.append(value)
        rows.append(row)
    return np.array(rows, dtype=np.int64) << (BITS - 1 - np.arange(BITS))


def sobol_points(dim: int, n: int, seed: int) -> np.ndarray:
    """The first `n` scrambled Sobol' points in [0, 1)^dim: (n, dim)."""
    directions = _direction_numbers(dim)
    rng = np.random.default_rng(seed)
    powers = 2 ** np.arange(BITS, dtype=np.uint32)
    shift = rng.integers(0, 2, size=(dim, BITS), dtype=np.uint32).astype(np.int64) @ powers.astype(np.int64)
    scramble = np.tril(rng.integers(0, 2, size=(dim, BITS, BITS), dtype=np.uint32)).astype(np.int64)
    scramble[:, np.arange(BITS), np.arange(BITS)] = 1
    # Each direction number's bits, most significant first, times its dimension's lower-triangular matrix (mod 2).
    most_first = BITS - 1 - np.arange(BITS)
    bits = (directions[:, :, None] >> most_first) & 1                            # (dim, number, bit)
    scrambled_bits = np.einsum("dpc,djc->djp", scramble, bits) % 2
    scrambled = (scrambled_bits << most_first).sum(axis=2)                      # (dim, number)
    index = np.arange(n, dtype=np.int64)
    gray = index ^ (index >> 1)
    points = np.broadcast_to(shift, (n, dim)).copy()
    for j in range(BITS):
        points ^= ((gray >> j) & 1)[:, None] * scrambled[:, j]
    return points * (1.0 / 2 ** BITS)


def saltelli_inputs(count: int, n_base: int, seed: int) -> np.ndarray:
    """The unit-cube inputs of a first- and total-order analysis of `count` inputs from `n_base` points of 2 x `count`
    dimensions (A the first half, B the second): per point its A row, then A with input k from B for each k, then B;
    n_base x (count + 2) rows."""
    if n_base & (n_base - 1):
        warnings.warn("The balance properties of Sobol' points require n to be a power of 2.", stacklevel=2)
    base = sobol_points(2 * count, n_base, seed)
    a, b = base[:, :count], base[:, count:]
    rows = np.repeat(a[:, None, :], count + 2, axis=1)       # (points, count + 2 rows each, inputs)
    inputs = np.arange(count)
    rows[:, inputs + 1, inputs] = b
    rows[:, count + 1] = b
    return rows.reshape(-1, count)


def _first_order(a: np.ndarray, ab: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.mean(b * (ab - a), axis=0)


def _total_order(a: np.ndarray, ab: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 0.5 * np.mean((a - ab) ** 2, axis=0)


def _normaliser(a: np.ndarray, b: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Divides an estimate by the variance of the outputs of A and B (0 where they are constant): computed once per
    A and B, which every input's estimators share."""
    y = np.r_[a, b]
    if np.ptp(y) <= np.finfo(float).eps:
        warnings.warn("Constant values encountered, indicating model evaluations (or subset of evaluations) "
                      "produced identical values.", stacklevel=3)
        return lambda estimate: np.zeros(y.shape[1:], dtype=np.float64)
    variance = np.var(y, axis=0)
    return lambda estimate: np.divide(estimate, variance, out=np.zeros_like(variance, dtype=np.float64),
                                      where=variance > np.finfo(float).eps)


def indices(y: np.ndarray, count: int, seed: int) -> dict[str, np.ndarray]:
    """S1, S1_conf, ST and ST_conf per input from the outputs `y` at `saltelli_inputs(count, ...)` (conf: the half
    width of the 95% interval, the bootstrap's standard deviation times the normal quantile)."""
    step = count + 2
    if y.size % step:
        raise ValueError(f"{y.size} outputs are not a whole number of Saltelli blocks of {step}")
    n = y.size // step
    y = (y - y.mean()) / y.std()
    a, b = y[0:y.size:step], y[step - 1:y.size:step]
    ab = np.zeros((n, count))
    for j in range(count):
        ab[:, j] = y[j + 1:y.size:step]
    integers: Callable = np.random.default_rng(seed).integers if seed else np.random.randint
    resamples = integers(n, size=(n, RESAMPLES))
    z = special.ndtri(0.5 + CONFIDENCE / 2)
    a_resampled, b_resampled = a[resamples], b[resamples]          # the same for every input
    spread = np.ptp(np.r_[a_resampled, b_resampled])
    normalised, normalised_resampled = _normaliser(a, b), _normaliser(a_resampled, b_resampled)
    out = {key: np.zeros(count) for key in ("S1", "S1_conf", "ST", "ST_conf")}
    for j in range(count):
        ab_resampled = ab[resamples, j]
        for key, estimator in (("S1", _first_order), ("ST", _total_order)):
            out[key][j] = normalised(estimator(a, ab[:, j], b))
            resampled = normalised_resampled(estimator(a_resampled, ab_resampled, b_resampled))
            out[f"{key}_conf"][j] = z * resampled.std(ddof=1) if spread != 0.0 else 0.0
    return out
