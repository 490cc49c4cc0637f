"""Nvidia vs challengers in AWS accelerator spend: logistic substitution, spend paths, Monte Carlo, sensitivity.

Model (pure computation; every assumption is an argument, nothing is loaded or defaulted):

* Compute shares. Each challenger c in CHALLENGERS takes a Fisher-Pry logistic share of Amazon's annual
  H100-equivalent (H100e) accelerator additions, s_c(t) = K_c / (1 + exp(-ln(81) (t - m_c) / T_c)), with K the
  ceiling, m the midpoint year (s = K/2) and T the takeover time (years from 10% to 90% of K). Nvidia gets the
  remainder. If a draw's ceilings sum to more than 1 they are all scaled down by that sum (so independent priors
  stay valid); hence every share is in [0, 1] and the four shares sum to 1 in every year and draw.
* Dollar shares. spend_v is proportional to s_v * cost_v, cost_v = $ per H100e of compute bought from vendor v
  (only cost ratios matter).
* Spend. capex = reported values for past years, then the last one times the running product of the gross growth
  factors capex_t / capex_{t-1}. Accelerator spend = capex * AI share of capex * accelerator share of AI capex
  (both constant over the horizon). Nvidia revenue from AWS = accelerator spend * Nvidia dollar share.
* Counterfactual. Without challengers the same accelerator budget would go to Nvidia: counterfactual Nvidia
  revenue = accelerator spend, erosion = accelerator spend - Nvidia revenue = challenger spend. (Buying the same
  compute at Nvidia's price instead would need a bigger budget than the capex inputs imply.)
* Uncertainty. An uncertain input is a scipy frozen distribution (helpers `lognormal`, `lognormal_from_interval`,
  `beta`; e.g. scipy.stats.norm for midpoint years). Draws use a Gaussian copula: correlated standard normals ->
  norm.cdf -> each input's ppf. The deterministic run is the same core, `evaluate`, at the inputs' medians.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy import optimize, special, stats

LN81 = np.log(81.0)
CHALLENGERS = ("trainium", "amd", "other")
VENDORS = ("nvidia", *CHALLENGERS)
NEAR_TERM = (2024, 2026)
LONG_TERM = (2027, 2030)
THRESHOLDS = (0.25, 0.50)
PERCENTILES = (5, 50, 95)
_PATH_FIELDS = ("capex_actual", "capex_growth")

Params = Mapping[str, "np.typing.ArrayLike"]
Model = Callable[[dict[str, np.ndarray]], np.ndarray]
Dist = stats.distributions.rv_frozen  # a frozen scipy distribution


@dataclass(frozen=True)
class ErosionInputs:
    """Point values of the named inputs. Ceilings and the two capex shares are fractions in [0, 1]; midpoints are
    calendar years; takeovers are years; costs are $ per H100e (any common unit); capex is $bn."""

    trainium_ceiling: float
    trainium_midpoint: float
    trainium_takeover: float
    trainium_cost_per_h100e: float
    amd_ceiling: float
    amd_midpoint: float
    amd_takeover: float
    amd_cost_per_h100e: float
    other_ceiling: float
    other_midpoint: float
    other_takeover: float
    other_cost_per_h100e: float
    nvidia_cost_per_h100e: float
    ai_share_of_capex: float
    accelerator_share_of_ai_capex: float
    capex_actual: Mapping[int, float]  # reported Amazon capex by year (fixed data, never sampled)
    capex_growth: Mapping[int, float]  # gross factor capex_t / capex_{t-1} for each projected year

    def __post_init__(self):
        years = [*sorted(self.capex_actual), *sorted(self.capex_growth)]
        if not self.capex_actual or not self.capex_growth or years != list(range(years[0], years[0] + len(years))):
            raise ValueError("capex_actual then capex_growth must cover consecutive years, both non-empty")

    @property
    def years(self) -> np.ndarray:
        return np.array([*sorted(self.capex_actual), *sorted(self.capex_growth)])

    def scalars(self) -> dict[str, float]:
        """All sampleable inputs by name; growth factors are named capex_growth_<year>."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _PATH_FIELDS}
        return out | {f"capex_growth_{y}": g for y, g in sorted(self.capex_growth.items())}


def lognormal(median: float, sigma: float) -> Dist:
    """Log-normal with the given median and log-space standard deviation."""
    return stats.lognorm(s=sigma, scale=median)


def lognormal_from_interval(p5: float, p95: float) -> Dist:
    """Log-normal with the given 5th and 95th percentiles (median = their geometric mean)."""
    return lognormal(np.sqrt(p5 * p95), np.log(p95 / p5) / (2 * stats.norm.ppf(0.95)))


def beta(mean: float, concentration: float) -> Dist:
    """Beta with the given mean and concentration a + b (larger = tighter)."""
    return stats.beta(mean * concentration, (1 - mean) * concentration)


def medians(specs: Mapping[str, Dist]) -> dict[str, float]:
    """The median of each named distribution: the point at which the deterministic run evaluates the core."""
    return {name: float(dist.median()) for name, dist in specs.items()}


def logistic_share(t, ceiling, midpoint, takeover):
    """Fisher-Pry share: ceiling/2 at the midpoint, 10% / 90% of the ceiling at midpoint -/+ takeover/2."""
    return ceiling * special.expit(LN81 * (np.asarray(t, float) - midpoint) / takeover)


def _col(p: Params, name: str, lo: float = -np.inf, hi: float = np.inf, positive: bool = False) -> np.ndarray:
    """Input `name` as a (draws, 1) column, checked to lie in [lo, hi] (or to be > 0)."""
    x = np.reshape(np.asarray(p[name], dtype=float), (-1, 1))
    if not np.all(x > 0 if positive else (x >= lo) & (x <= hi)):
        raise ValueError(f"{name} out of range")
    return x


def compute_shares(years, p: Params) -> dict[str, np.ndarray]:
    """Vendor shares of annual H100e additions, each (draws, years); ceilings summing above 1 are rescaled."""
    ceilings = [_col(p, f"{c}_ceiling", 0.0, 1.0) for c in CHALLENGERS]
    scale = 1.0 / np.maximum(sum(ceilings), 1.0)
    shares = {
        c: logistic_share(years, k * scale, _col(p, f"{c}_midpoint"), _col(p, f"{c}_takeover", positive=True))
        for c, k in zip(CHALLENGERS, ceilings)
    }
    return {"nvidia": np.maximum(1.0 - sum(shares.values()), 0.0), **shares}


def spend_shares(compute: Mapping[str, np.ndarray], p: Params) -> dict[str, np.ndarray]:
    """Dollar shares: compute share times cost per H100e, normalized over vendors."""
    weights = {v: compute[v] * _col(p, f"{v}_cost_per_h100e", positive=True) for v in VENDORS}
    total = sum(weights.values())
    return {v: w / total for v, w in weights.items()}


def capex_path(inputs: ErosionInputs, p: Params) -> np.ndarray:
    """Capex per year, (draws, years): reported values, then compounded gross growth factors."""
    actual = np.array([inputs.capex_actual[y] for y in sorted(inputs.capex_actual)], dtype=float)
    factors = [_col(p, f"capex_growth_{y}", positive=True) for y in sorted(inputs.capex_growth)]
    growth = np.hstack(np.broadcast_arrays(*factors))
    projected = actual[-1] * np.cumprod(growth, axis=1)
    return np.hstack([np.broadcast_to(actual, (len(projected), len(actual))), projected])


def evaluate(inputs: ErosionInputs, overrides: Params | None = None) -> dict[str, np.ndarray]:
    """Core model. Per-year paths, each (draws, years); `overrides` replace named scalars by values or 1-D draws."""
    p = inputs.scalars()
    unknown = set(overrides or {}) - set(p)
    if unknown:
        raise KeyError(f"unknown inputs: {sorted(unknown)}")
    p.update(overrides or {})
    compute = compute_shares(inputs.years, p)
    spend = spend_shares(compute, p)
    capex = capex_path(inputs, p)
    accelerator = capex * _col(p, "ai_share_of_capex", 0.0, 1.0) * _col(p, "accelerator_share_of_ai_capex", 0.0, 1.0)
    nvidia = accelerator * spend["nvidia"]
    erosion = accelerator - nvidia  # counterfactual Nvidia revenue = accelerator spend (same budget, all Nvidia)
    paths = {
        "capex": capex,
        "accelerator_spend": accelerator,
        "nvidia_revenue": nvidia,
        "erosion": erosion,
        "cumulative_erosion": np.cumsum(erosion, axis=1),
        **{f"compute_share_{v}": s for v, s in compute.items()},
        **{f"spend_share_{v}": s for v, s in spend.items()},
    }
    return dict(zip(paths, np.broadcast_arrays(*paths.values())))


def outcomes(paths: Mapping[str, np.ndarray], years, near=NEAR_TERM, long=LONG_TERM) -> dict[str, np.ndarray]:
    """Scalar outcomes per draw: window sums, final Nvidia spend share, first year challengers pass each threshold
    (NaN if never)."""
    years = np.asarray(years)

    def window(metric: str, lo: int, hi: int) -> np.ndarray:
        mask = (years >= lo) & (years <= hi)
        if mask.sum() != hi - lo + 1:
            raise ValueError(f"window {lo}-{hi} is not inside the horizon")
        return paths[metric][:, mask].sum(axis=1)

    out = {}
    for metric in ("nvidia_revenue", "erosion"):
        for lo, hi in (near, long, (near[0], long[1])):
            out[f"{metric}_{lo}_{hi}"] = window(metric, lo, hi)
    out[f"nvidia_spend_share_{years[-1]}"] = paths["spend_share_nvidia"][:, -1]
    for threshold in THRESHOLDS:
        hit = 1.0 - paths["spend_share_nvidia"] >= threshold
        first = np.where(hit.any(axis=1), years[hit.argmax(axis=1)], np.nan)
        out[f"first_year_challengers_{round(threshold * 100)}pct"] = first
    return out


def run_deterministic(inputs: ErosionInputs, specs: Mapping[str, Dist]) -> tuple[pd.DataFrame, dict]:
    """The core at the medians of `specs` (other inputs as given): table by year, scalar outcomes (None = never)."""
    paths = evaluate(inputs, medians(specs))
    table = pd.DataFrame({k: v[0] for k, v in paths.items()}, index=pd.Index(inputs.years, name="year"))
    summary = {k: None if np.isnan(v[0]) else float(v[0]) for k, v in outcomes(paths, inputs.years).items()}
    return table, summary


def sample_inputs(specs: Mapping[str, Dist], n_draws: int, seed: int,
                  correlations: Mapping[tuple[str, str], float] | None = None) -> dict[str, np.ndarray]:
    """Draws of each named input through a Gaussian copula with the given pairwise normal-score correlations."""
    names = list(specs)
    corr = np.eye(len(names))
    for (a, b), r in (correlations or {}).items():
        if a == b or a not in specs or b not in specs:
            raise ValueError(f"bad correlation pair {(a, b)}")
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = r
    try:
        chol = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError as err:
        raise ValueError("correlation matrix is not positive definite") from err
    rng = np.random.Generator(np.random.PCG64(seed))
    u = stats.norm.cdf(rng.standard_normal((n_draws, len(names))) @ chol.T)
    return {name: specs[name].ppf(u[:, j]) for j, name in enumerate(names)}


def percentile_table(paths: Mapping[str, np.ndarray], years) -> pd.DataFrame:
    """Tidy per-year percentiles: columns metric, year, p5, p50, p95."""
    stacked = np.stack(list(paths.values())).transpose(0, 2, 1).copy()  # (metrics, years, draws), draws contiguous
    q = np.percentile(stacked, PERCENTILES, axis=-1, overwrite_input=True)
    index = pd.MultiIndex.from_product([list(paths), np.asarray(years)], names=["metric", "year"])
    return pd.DataFrame({f"p{p}": q[i].ravel() for i, p in enumerate(PERCENTILES)}, index=index).reset_index()


def outcome_table(outs: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Percentiles of each scalar outcome over the draws where it is defined, and the share of such draws."""
    rows = {}
    for name, x in outs.items():
        defined = x[~np.isnan(x)]
        q = np.percentile(defined, PERCENTILES) if defined.size else np.full(len(PERCENTILES), np.nan)
        rows[name] = [*q, defined.size / x.size]
    columns = [f"p{p}" for p in PERCENTILES] + ["share_defined"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("outcome").reset_index()


def monte_carlo(inputs: ErosionInputs, specs: Mapping[str, Dist], n_draws: int, seed: int,
                correlations: Mapping[tuple[str, str], float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vectorized Monte Carlo: (per-year percentile table, scalar-outcome table)."""
    paths = evaluate(inputs, sample_inputs(specs, n_draws, seed, correlations))
    return percentile_table(paths, inputs.years), outcome_table(outcomes(paths, inputs.years))


def outcome_model(inputs: ErosionInputs, outcome: str) -> Model:
    """A scalar outcome (a key of `outcomes`) as a function of named input arrays, for `tornado` and `sobol_indices`."""
    return lambda params: outcomes(evaluate(inputs, params), inputs.years)[outcome]


def tornado(model: Model, specs: Mapping[str, Dist], low: float = 0.10, high: float = 0.90) -> pd.DataFrame:
    """One-at-a-time swings: each input at its `low` and `high` quantile, others at their medians; widest first."""
    names = list(specs)
    k = len(names)
    params = {n: np.full(2 * k + 1, specs[n].median()) for n in names}  # last row: all at medians
    for i, n in enumerate(names):
        params[n][2 * i], params[n][2 * i + 1] = specs[n].ppf(low), specs[n].ppf(high)
    y = np.asarray(model(params), dtype=float)
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


def sobol_indices(model: Model, specs: Mapping[str, Dist], n_base: int, seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices with 95% CI half-widths, highest ST first. Inputs are sampled
    independently (correlations are ignored); `n_base` should be a power of 2; cost n_base * (inputs + 2) runs."""
    names = list(specs)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    u = np.clip(sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed), 1e-12, 1 - 1e-12)
    y = np.asarray(model({n: specs[n].ppf(u[:, j]) for j, n in enumerate(names)}), dtype=float)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    table = pd.DataFrame({"input": names, **{key: res[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}})
    return table.sort_values("ST", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class LogisticFit:
    ceiling: float
    midpoint: float
    takeover: float
    residuals: np.ndarray  # observed - fitted share, per observation


def fit_logistic(years, observed_share, *, ceiling: float | None = None,
                 ceiling_bounds: tuple[float, float] | None = None) -> LogisticFit:
    """Least-squares midpoint and takeover; the ceiling is fixed (`ceiling`) or fitted within `ceiling_bounds`."""
    t, s = np.asarray(years, dtype=float), np.asarray(observed_share, dtype=float)
    if (ceiling is None) == (ceiling_bounds is None):
        raise ValueError("give exactly one of ceiling (fixed) or ceiling_bounds (fitted)")
    fit_ceiling = ceiling is None
    if t.shape != s.shape or t.ndim != 1 or t.size < 2 + fit_ceiling:
        raise ValueError("years and shares must be matching 1-D arrays with one point per fitted parameter")
    k0 = float(np.mean(ceiling_bounds)) if fit_ceiling else float(ceiling)
    # Start from a straight line through the logit of s / k0 (takeover capped at 100 years for flat data).
    x = special.logit(np.clip(s / k0, 1e-3, 1 - 1e-3))
    slope = max(np.polyfit(t, x, 1)[0], LN81 / 100)
    start = [t.mean() - x.mean() / slope, LN81 / slope] + ([k0] if fit_ceiling else [])
    lower = [-np.inf, 1e-6] + ([ceiling_bounds[0]] if fit_ceiling else [])
    upper = [np.inf, np.inf] + ([ceiling_bounds[1]] if fit_ceiling else [])

    def residuals(theta):
        return logistic_share(t, theta[2] if fit_ceiling else k0, theta[0], theta[1]) - s

    sol = optimize.least_squares(residuals, start, bounds=(lower, upper), x_scale="jac", xtol=1e-12, ftol=1e-12)
    if not sol.success:
        raise RuntimeError(f"logistic fit failed: {sol.message}")
    midpoint, takeover = sol.x[:2]
    return LogisticFit(float(sol.x[2]) if fit_ceiling else k0, float(midpoint), float(takeover), -sol.fun)
