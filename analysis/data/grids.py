"""The values of a what-if control: a parameter's sourced range in round steps, with the run's own value."""
from __future__ import annotations

import math

from analysis.data.params import Parameter


def what_if_values(param: Parameter, value, n: int = 5, points=None) -> list:
    """The values of one what-if control: `points` if given, else `n` evenly spaced over the parameter's sourced
    low-high range (its allowed range if it has none; every integer in it for an integer), plus the run's own
    `value`; sorted, rounded to 4 decimals, in the parameter's type (each a valid `--set` value)."""
    if points is None:
        lo, hi = (param.low, param.high) if param.low is not None else (param.minimum, param.maximum)
        if lo is None or hi is None:
            raise ValueError(f"parameter '{param.name}' is not a number: it has no range for what-if values")
        points = range(math.ceil(lo), math.floor(hi) + 1) if param.type == "int" else round_steps(lo, hi, n)
    return sorted({param.coerce(round(float(v), 4)) for v in points} | {value})


def round_steps(lo: float, hi: float, n: int) -> list[float]:
    """About `n` values from `lo` to `hi` at a round step (1, 2, 2.5 or 5 times a power of ten): the multiples of the
    step within the range, the range's ends included when they are not multiples (0.8-1.25 in about 5 gives 0.8, 0.9,
    1.0, 1.1, 1.2, 1.25), so a slider reads 0.9, 1.0, 1.1 rather than 0.9125, 1.025, 1.1375."""
    raw = (hi - lo) / max(n - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10)),
               key=lambda s: (abs(math.floor(hi / s + 1e-9) - math.ceil(lo / s - 1e-9) + 1 - n), -s))
    inner = [k * step for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
    return sorted({round(v, 10) for v in [lo, *inner, hi]})
