"""Uncertain inputs: a parameter's sourced low/high are its 5th/95th percentiles and its value is its median.

Each uncertain parameter (a `distribution` other than `fixed` in data/parameters.csv) becomes a *split* distribution:
two half-normals joined at the median, in a space chosen by the parameter's kind —

* `normal`: the value itself (e.g. a calendar year),
* `lognormal`: its logarithm (growth factors, costs, durations),
* `logitnormal`: its log-odds (shares in (0, 1)).

So p5 = low, p50 = value and p95 = high hold exactly, whatever the asymmetry of the sourced range: nothing is
re-centred away from its sources. Only a value set on the edge of or outside its sourced range (a scenario or `--set`)
moves the range:
the interval keeps its widths on each side (in the transformed space) and travels with the value.
A value on the edge of its space (a share of exactly 0 or 1, a cost of 0) has no spread: it is fixed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

# special.ndtri is the standard normal quantile (scipy.stats.norm.ppf gives the same values) without importing
# scipy.stats, which costs every kernel 1-2 s.
Z95 = float(special.ndtri(0.95))
#: transform into the space where the distribution is a split normal, and back.
TRANSFORMS = {
    "normal": (lambda x: x, lambda y: y),
    "lognormal": (np.log, np.exp),
    "logitnormal": (special.logit, special.expit),
}


@dataclass(frozen=True)
class SplitDistribution:
    """Median `center`, 5th percentile `p5`, 95th percentile `p95` in the space of `kind`."""

    center: float
    p5: float
    p95: float
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in TRANSFORMS:
            raise ValueError(f"unknown distribution kind {self.kind!r}")
        if not self.p5 <= self.center <= self.p95:
            raise ValueError(f"need p5 <= median <= p95, got {self.p5}, {self.center}, {self.p95}")

    def ppf(self, u: npt.ArrayLike) -> np.ndarray:
        """Quantile function (vectorized)."""
        forward, back = TRANSFORMS[self.kind]
        with np.errstate(divide="ignore"):
            mid, lo, hi = forward(self.center), forward(self.p5), forward(self.p95)
        if not np.isfinite(mid):  # on the edge of its space: no spread
            return np.full(np.shape(u), self.center, dtype=float)
        z = special.ndtri(np.asarray(u, dtype=float))
        sigma = np.where(z < 0, (mid - lo) / Z95, (hi - mid) / Z95)
        return back(mid + z * sigma)

    def median(self) -> float:
        return self.center


@dataclass(frozen=True)
class Uniform:
    """Uniform between `low` and `high`: a quantity known only to lie in a range (a share the data do not cover)."""

    low: float
    high: float

    def ppf(self, u: npt.ArrayLike) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def median(self) -> float:
        return (self.low + self.high) / 2


def for_parameter(value: float, default: float, low: float, high: float, kind: str) -> SplitDistribution:
    """The distribution of an uncertain parameter set to `value`. Strictly inside its sourced range the range is kept
    as p5-p95; on its edge or outside it, the range moves with the value, keeping its widths in the transformed space
    (so a scenario that sets a value at the sourced low does not become a one-sided distribution)."""
    if low < value < high:
        return SplitDistribution(value, low, high, kind)
    forward, back = TRANSFORMS[kind]
    with np.errstate(divide="ignore"):
        shift = forward(value) - forward(default)
        if not np.isfinite(shift):
            return SplitDistribution(value, value, value, kind)
        return SplitDistribution(value, float(back(forward(low) + shift)), float(back(forward(high) + shift)), kind)
