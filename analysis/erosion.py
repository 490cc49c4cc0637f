"""Nvidia vs challengers in AWS accelerator spend: observed years as data, a forecast for the years after.

Pure computation; every input is an argument (analysis.outlook builds them from data/ and the parameters).

* Time convention. A year's share is the share of that calendar year's additions (the sum of its quarters). Smooth
  curves are evaluated at mid-year, t = year + 0.5, and the last observed year anchors them at its own mid-year.
* Observed years (`Observed`): capex, spend and compute by vendor are data. Every draw carries them unchanged; their
  uncertainty is the data's own band, reported beside the model, never re-drawn.
* Forecast years, per draw:
  - capex_t = capex_{t-1} x growth_t; accelerator spend_t = capex_t x accelerator_share_of_capex;
  - compute share of challenger v: a logistic move from its share in the last observed year, s0, towards its
    long-run share K (`<v>_ceiling`), half done at `<v>_midpoint`, `<v>_takeover` years from 10% to 90% of a full
    logistic:  s(t) = s0 + (K - s0) (R(t) - R(t0)) / (1 - R(t0)),  R(t) = expit(ln81 (t - m) / T).
    The path starts exactly at the observed share (continuity with the data) and may rise or fall. Nvidia takes
    the rest; if the challengers' shares sum above 1 in a year, they are scaled to sum to 1;
  - spend share: compute share x `<v>_cost_ratio` (cost per H100e relative to Nvidia), normalized;
  - Nvidia revenue from AWS = accelerator spend x Nvidia spend share; erosion = accelerator spend - Nvidia revenue
    (the counterfactual: the same budget, all spent on Nvidia).
* Central estimate: the model at the inputs' medians (`medians`). Uncertainty: each forecast input's distribution
  (analysis.uncertainty) sampled independently; thresholds are reported as probabilities over the draws.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

LN81 = np.log(81.0)
MID_YEAR = 0.5
NEAR_TERM = (2024, 2026)
LONG_TERM = (2027, 2030)
FORECAST_WINDOW = (2026, 2030)  # the years no current estimate covers
THRESHOLDS = (0.25, 0.50)
THRESHOLD_YEARS = (2026, 2027, 2028, 2030)
PERCENTILES = (5, 50, 95)
CHALLENGER_INPUTS = ("ceiling", "midpoint", "takeover", "cost_ratio")

Params = Mapping[str, "np.typing.ArrayLike"]
ModelFn = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Vendor:
    id: str
    label: str
    kind: str  # "gpu" or "asic"


@dataclass(frozen=True)
class Observed:
    """Observed years: Amazon capex (USD bn) and, per vendor id, accelerator spend (USD bn) and compute (H100e).
    NaN marks a vendor the data do not cover in a year."""

    years: tuple[int, ...]
    capex: np.ndarray
    spend: Mapping[str, np.ndarray]
    compute: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Model:
    """Everything the forecast needs besides the uncertain inputs: vendors (the incumbent first), the observed years,
    the forecast years and the point value of every forecast input (`capex_growth_<year>`,
    `accelerator_share_of_capex`, `<challenger>_<ceiling|midpoint|takeover|cost_ratio>`)."""

    vendors: tuple[Vendor, ...]
    observed: Observed
    forecast_years: tuple[int, ...]
    point: Mapping[str, float]

    def __post_init__(self):
        years = [*self.observed.years, *self.forecast_years]
        if not self.observed.years or years != list(range(years[0], years[0] + len(years))):
            raise ValueError("observed then forecast years must be consecutive, observed non-empty")
        missing = {f"capex_growth_{y}" for y in self.forecast_years} | {"accelerator_share_of_capex"} | {
            f"{v.id}_{name}" for v in self.challengers for name in CHALLENGER_INPUTS}
        if missing - set(self.point):
            raise ValueError(f"point values missing: {sorted(missing - set(self.point))}")

    @property
    def years(self) -> np.ndarray:
        return np.array([*self.observed.years, *self.forecast_years])

    @property
    def incumbent(self) -> Vendor:
        return self.vendors[0]

    @property
    def challengers(self) -> tuple[Vendor, ...]:
        return self.vendors[1:]


def _col(p: Params, name: str, lo: float = -np.inf, hi: float = np.inf, positive: bool = False) -> np.ndarray:
    """Input `name` as a (draws, 1) column, checked to lie in [lo, hi] (or to be > 0)."""
    x = np.reshape(np.asarray(p[name], dtype=float), (-1, 1))
    if not np.all(x > 0 if positive else (x >= lo) & (x <= hi)):
        raise ValueError(f"{name} out of range")
    return x


def observed_shares(observed: Observed, vendors: tuple[Vendor, ...], weights: Mapping[str, np.ndarray]) -> dict:
    """Each vendor's share of `weights` (spend or compute) per observed year; NaN where any vendor is not covered."""
    stacked = np.vstack([weights[v.id] for v in vendors])
    total = stacked.sum(axis=0)  # NaN if any vendor is NaN
    return {v.id: stacked[i] / total for i, v in enumerate(vendors)}


def anchor_shares(model: Model) -> dict[str, float]:
    """Each challenger's compute share in the last observed year (0 where the data do not cover it)."""
    shares = observed_shares(model.observed, model.vendors, model.observed.compute)
    return {v.id: float(np.nan_to_num(shares[v.id][-1])) for v in model.challengers}


def logistic_move(t, start: float, ceiling, midpoint, takeover, t0: float) -> np.ndarray:
    """Share at times t (> t0) moving from `start` at t0 towards `ceiling` along a logistic with this midpoint and
    takeover; computed in log space so that a move already far along stays finite."""
    z = LN81 * (np.asarray(t, float) - midpoint) / takeover
    z0 = LN81 * (t0 - midpoint) / takeover
    progress = -np.expm1(special.log_expit(-z) - special.log_expit(-z0))  # (R(t) - R(t0)) / (1 - R(t0))
    return start + (ceiling - start) * progress


def forecast_compute_shares(model: Model, p: Params) -> dict[str, np.ndarray]:
    """Vendor compute shares in the forecast years, each (draws, forecast years)."""
    t = np.array(model.forecast_years, float) + MID_YEAR
    t0 = model.observed.years[-1] + MID_YEAR
    anchor = anchor_shares(model)
    shares = {v.id: logistic_move(t, anchor[v.id], _col(p, f"{v.id}_ceiling", 0.0, 1.0), _col(p, f"{v.id}_midpoint"),
                                  _col(p, f"{v.id}_takeover", positive=True), t0)
              for v in model.challengers}
    scale = 1.0 / np.maximum(sum(shares.values()), 1.0)
    shares = {v: s * scale for v, s in shares.items()}
    return {model.incumbent.id: 1.0 - sum(shares.values()), **shares}


def evaluate(model: Model, overrides: Params | None = None) -> dict[str, np.ndarray]:
    """Per-year paths over observed + forecast years, each (draws, years). `overrides` replace named forecast
    inputs by values or 1-D draws; observed years are the data in every draw."""
    p = dict(model.point)
    unknown = set(overrides or {}) - set(p)
    if unknown:
        raise KeyError(f"unknown inputs: {sorted(unknown)}")
    p.update(overrides or {})
    obs = model.observed
    growth = np.hstack(np.broadcast_arrays(*[_col(p, f"capex_growth_{y}", positive=True) for y in model.forecast_years]))
    capex_f = obs.capex[-1] * np.cumprod(growth, axis=1)
    accel_f = capex_f * _col(p, "accelerator_share_of_capex", 0.0, 1.0)
    compute_f = forecast_compute_shares(model, p)
    cost = {model.incumbent.id: np.ones((1, 1)),
            **{v.id: _col(p, f"{v.id}_cost_ratio", positive=True) for v in model.challengers}}
    weights = {v: s * cost[v] for v, s in compute_f.items()}
    spend_f = {v: w / sum(weights.values()) for v, w in weights.items()}

    compute_o = observed_shares(obs, model.vendors, obs.compute)
    spend_o = observed_shares(obs, model.vendors, obs.spend)
    accel_o = np.nansum(np.vstack([obs.spend[v.id] for v in model.vendors]), axis=0)
    draws = np.broadcast_shapes(accel_f.shape, *(s.shape for s in spend_f.values()))[0]

    def join(observed_row, forecast):
        return np.hstack([np.broadcast_to(np.asarray(observed_row, float), (draws, len(obs.years))),
                          np.broadcast_to(forecast, (draws, len(model.forecast_years)))])

    nvidia = model.incumbent.id
    paths = {"capex": join(obs.capex, capex_f), "accelerator_spend": join(accel_o, accel_f)}
    paths["nvidia_revenue"] = join(obs.spend[nvidia], accel_f * spend_f[nvidia])
    for v in model.vendors:
        paths[f"compute_share_{v.id}"] = join(compute_o[v.id], compute_f[v.id])
        paths[f"spend_share_{v.id}"] = join(spend_o[v.id], spend_f[v.id])
    paths["nvidia_spend_share"] = paths[f"spend_share_{nvidia}"]
    asics = [v.id for v in model.vendors if v.kind == "asic"]
    paths["asic_spend_share"] = sum(paths[f"spend_share_{v}"] for v in asics)
    paths["erosion"] = paths["accelerator_spend"] * (1.0 - paths[f"spend_share_{nvidia}"])
    paths["cumulative_erosion"] = np.nancumsum(paths["erosion"], axis=1)
    return paths


def medians(specs: Mapping) -> dict[str, float]:
    """The median of each input's distribution: where the central estimate evaluates the model."""
    return {name: float(dist.median()) for name, dist in specs.items()}


def window_sum(paths: Mapping[str, np.ndarray], years, metric: str, lo: int, hi: int) -> np.ndarray:
    """Sum of `metric` over the years lo..hi, per draw."""
    years = np.asarray(years)
    mask = (years >= lo) & (years <= hi)
    if mask.sum() != hi - lo + 1:
        raise ValueError(f"window {lo}-{hi} is not inside the horizon")
    return paths[metric][:, mask].sum(axis=1)


def first_year_above(paths: Mapping[str, np.ndarray], years, threshold: float, metric: str = "asic_spend_share") -> np.ndarray:
    """Per draw, the first year in which `metric` exceeds `threshold` (NaN if never, or where undefined)."""
    hit = np.nan_to_num(paths[metric], nan=-np.inf) > threshold
    return np.where(hit.any(axis=1), np.asarray(years)[hit.argmax(axis=1)], np.nan)


def outcomes(paths: Mapping[str, np.ndarray], years, windows=(NEAR_TERM, LONG_TERM, (NEAR_TERM[0], LONG_TERM[1]),
                                                                 FORECAST_WINDOW)) -> dict[str, np.ndarray]:
    """Scalar outcomes per draw: window sums of Nvidia revenue and erosion, ASIC spend share over each window, the
    final Nvidia spend share and the first year ASICs pass each threshold (NaN = not by the last year)."""
    years = np.asarray(years)
    out = {}
    for lo, hi in windows:
        for metric in ("nvidia_revenue", "erosion", "accelerator_spend"):
            out[f"{metric}_{lo}_{hi}"] = window_sum(paths, years, metric, lo, hi)
        asic = sum(window_sum(paths, years, "accelerator_spend", y, y) * paths["asic_spend_share"][:, years == y][:, 0]
                   for y in range(lo, hi + 1))
        out[f"asic_spend_share_{lo}_{hi}"] = asic / out[f"accelerator_spend_{lo}_{hi}"]
    out[f"nvidia_spend_share_{years[-1]}"] = paths["nvidia_spend_share"][:, -1]
    for threshold in THRESHOLDS:
        out[f"first_year_asic_{round(threshold * 100)}pct"] = first_year_above(paths, years, threshold)
    return out


def threshold_table(paths: Mapping[str, np.ndarray], years, thresholds=THRESHOLDS, report_years=THRESHOLD_YEARS) -> pd.DataFrame:
    """P(ASIC share of accelerator spend > threshold) per report year, over the draws: columns threshold, year,
    probability."""
    years = np.asarray(years)
    share = paths["asic_spend_share"]
    rows = [{"threshold": t, "year": y, "probability": float(np.mean(np.nan_to_num(share[:, years == y][:, 0], nan=-1) > t))}
            for t in thresholds for y in report_years]
    return pd.DataFrame(rows)


def crossing_table(paths: Mapping[str, np.ndarray], years, thresholds=THRESHOLDS) -> pd.DataFrame:
    """The year ASICs first pass each threshold of spend: p5/p50/p95 over the draws, with 'never by the last year'
    counted as later than every year (so a percentile may be +inf), and the share of draws that pass."""
    rows = []
    for t in thresholds:
        first = first_year_above(paths, years, t)
        ordered = np.where(np.isnan(first), np.inf, first)
        q = np.percentile(ordered, PERCENTILES, method="inverted_cdf")
        rows.append({"threshold": t, **{f"p{p}": float(v) for p, v in zip(PERCENTILES, q)},
                     "share_passing": float(np.mean(~np.isnan(first)))})
    return pd.DataFrame(rows)


def sample_inputs(specs: Mapping, n_draws: int, seed: int) -> dict[str, np.ndarray]:
    """Independent draws of each named input (inverse-CDF sampling with a fixed seed)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    u = rng.random((n_draws, len(specs)))
    return {name: dist.ppf(u[:, j]) for j, (name, dist) in enumerate(specs.items())}


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


def outcome_model(model: Model, outcome: str) -> ModelFn:
    """A scalar outcome (a key of `outcomes`) as a function of named input arrays, for `tornado` and `sobol_indices`."""
    return lambda params: outcomes(evaluate(model, params), model.years)[outcome]


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
    cost n_base x (inputs + 2) model runs)."""
    from SALib.analyze import sobol as sobol_analyze     # here, not at the top: SALib imports scipy.stats (1-2 s),
    from SALib.sample import sobol as sobol_sample       # which only the notebook that ranks inputs needs
    names = list(specs)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    u = np.clip(sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed), 1e-12, 1 - 1e-12)
    y = np.asarray(model_fn({n: specs[n].ppf(u[:, j]) for j, n in enumerate(names)}), dtype=float)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    table = pd.DataFrame({"input": names, **{key: res[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}})
    return table.sort_values("ST", ascending=False, ignore_index=True)
