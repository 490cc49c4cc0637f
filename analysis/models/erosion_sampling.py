"""The erosion model over its uncertain inputs: the inputs' medians (where the central estimate evaluates the model),
independent draws of every input (the Monte Carlo: each input's distribution sampled on its own, with a fixed seed),
and how a scalar outcome depends on each input, one at a time (`tornado`) and in Sobol' indices (`sobol_indices`).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np
import pandas as pd

from analysis.models import sobol
from analysis.models.erosion import Model, evaluate
from analysis.models.erosion_outcomes import outcomes
from analysis.models.horizons import Window, window_key

ModelFn = Callable[[dict[str, np.ndarray]], np.ndarray]


class Quantiles(Protocol):
    """An input's distribution as the sampling reads it: its quantile function."""

    def ppf(self, u: np.ndarray) -> np.ndarray: ...


#: The outcome whose dependence on the inputs the sensitivity analysis measures, summed over the forecast window.
SENSITIVITY_METRIC = "nvidia_revenue"


def medians(specs: Mapping) -> dict[str, float]:
    """The median of each input's distribution: where the central estimate evaluates the model."""
    return {name: float(dist.median()) for name, dist in specs.items()}


def sample_inputs(specs: Mapping, n_draws: int, seed: int) -> dict[str, np.ndarray]:
    """Independent draws of each named input (inverse-CDF sampling with a fixed seed): input j takes column j of
    `n_draws` x len(specs) uniforms. Each array is the caller's own."""
    return {name: _input_draws(dist, j, n_draws, len(specs), seed).copy()
            for j, (name, dist) in enumerate(specs.items())}


#: Input draws kept per process (`_input_draws`): a sweep's or a build's runs differ in a few inputs, and the draws
#: of the others are the same numbers (their distribution, column and uniforms are); 80 KB each at 10,000 draws, so
#: about 5 MB of a worker's memory.
INPUT_DRAWS_KEPT = 64


@functools.lru_cache(maxsize=INPUT_DRAWS_KEPT)
def _input_draws(dist: Quantiles, column: int, n_draws: int, inputs: int, seed: int) -> np.ndarray:
    """`dist`'s quantiles at column `column` of the uniforms of (`n_draws`, `inputs`, `seed`), kept read-only (`dist`
    hashable: a frozen dataclass of numbers compares by its values)."""
    drawn = np.asarray(dist.ppf(_uniforms(n_draws, inputs, seed)[:, column]), dtype=float)
    drawn.flags.writeable = False
    return drawn


@functools.lru_cache(maxsize=2)
def _uniforms(n_draws: int, inputs: int, seed: int) -> np.ndarray:
    """The (n_draws, inputs) uniforms every input's draws are read from (PCG64 seeded with `seed`), kept read-only."""
    u = np.random.Generator(np.random.PCG64(seed)).random((n_draws, inputs))
    u.flags.writeable = False
    return u


def outcome_model(model: Model, window: Window) -> ModelFn:
    """Nvidia's revenue from AWS over `window` (an outcome of `outcomes`) as a function of named input arrays, for
    `tornado` and `sobol_indices`."""
    outcome = window_key(SENSITIVITY_METRIC, window)
    return lambda params: outcomes(evaluate(model, params), model.years, [window])[outcome]


def tornado(model_fn: ModelFn, specs: Mapping, low: float = 0.10, high: float = 0.90) -> pd.DataFrame:
    """One-at-a-time swings: each input at its `low` and `high` quantile, others at their medians; widest first.
    The base (last row of the evaluation) is the central estimate."""
    names = list(specs)
    k = len(names)
    params = {n: np.full(2 * k + 1, specs[n].median()) for n in names}
    for i, n in enumerate(names):
        params[n][2 * i], params[n][2 * i + 1] = specs[n].ppf(low), specs[n].ppf(high)
    y = np.asarray(model_fn(params), dtype=float)
    table = pd.DataFrame({
        "input": names,
        "value_low": [params[n][2 * i] for i, n in enumerate(names)],
        "value_high": [params[n][2 * i + 1] for i, n in enumerate(names)],
        "outcome_low": y[0:2 * k:2],
        "outcome_high": y[1:2 * k:2],
        "base": y[-1],
    })
    table["swing"] = (table["outcome_high"] - table["outcome_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable", ignore_index=True)


def sobol_indices(model_fn: ModelFn, specs: Mapping, n_base: int, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% CI half-widths, highest ST first (`n_base` a power of 2;
    cost n_base x (inputs + 2) model runs; analysis.models.sobol, SALib's numbers)."""
    names = list(specs)
    u = np.clip(sobol.saltelli_inputs(len(names), n_base, seed), 1e-12, 1 - 1e-12)
    y = np.asarray(model_fn({n: specs[n].ppf(u[:, j]) for j, n in enumerate(names)}), dtype=float)
    res = sobol.indices(y, len(names), seed)
    table = pd.DataFrame({"input": names, **{key: res[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}})
    return table.sort_values("ST", ascending=False, ignore_index=True)
