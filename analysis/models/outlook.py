"""Section 3: Nvidia's share of AWS accelerator spend to the horizon's end (analysis.models.horizons), calibrated on
what was observed.

The pipeline, used by the notebook, the tests and the benchmark alike:
data + parameters -> the observed years (analysis.models.observations: draws of Epoch AI's units x chip prices,
analysis.models.observed) -> `build_model` (observed years and forecast inputs) -> `input_distributions` (sourced
p5/p95, value = median; the observed data as one input) -> `run` (central estimate, Monte Carlo, threshold
probabilities, tornado, Sobol: a `Forecast`, analysis.models.forecast_result) -> tables for the report
(`forecast_result.by_year`, analysis.models.observed_checks, analysis.models.scenario_runs). The model itself is
analysis.models.erosion; the headline results and words are section 3's (analysis.sections.erosion_text).
"""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd

from analysis.models import erosion, erosion_outcomes, erosion_sampling, fleet, observed, uncertainty, volatility
from analysis.models.horizons import horizons, thresholds
from analysis.models.forecast_result import CentralRun, DrawnRun, Forecast, InputSpec, Outcomes, Sensitivity
from analysis.models.observations import (BILLION, UNIT_COST, Rows, annual_capex, bought_challengers, measured_draws,
                                          measured_values, observed_years, peer_chip_shares, purchase_draws, vendors)
from analysis.data import Dataset
from analysis.data import memo
from analysis.data.memo import per_dataset, per_run
from analysis.data.params import Parameter, Params, Value, as_params, resolve
from analysis.data.params import schema as parameter_schema

#: The forecast's own parameters; each challenger vendor of data/vendors.csv adds its VENDOR_PARAMETERS.
FORECAST_PARAMETERS = ("observed_through", "capex_outlook_vintage", "capex_growth_scale", "accelerator_share_change",
                       "trainium_unit_cost_usd", "h100_server_price_usd", "network_share_of_cluster_capex")
VENDOR_PARAMETERS = ("ceiling", "midpoint", "takeover", "cost_ratio")
MONTE_CARLO_PARAMETERS = ("mc_draws", "random_seed")
#: How often this process ran the forecast's Monte Carlo, per parameter set (JSON of its forecast values).
MONTE_CARLO_RUNS: Counter[str] = Counter()


def calibration(ds: Dataset, p: Params) -> pd.DataFrame:
    """Per observed year: Amazon capex, accelerator purchases (USD bn) and their share of capex, USD per H100e of the
    incumbent (Nvidia) and of each challenger the data observe buying (compute > 0 in some year: Trainium), and each
    such challenger's cost ratio to the incumbent (`<vendor>_cost_ratio`) — each the central estimate with the draws'
    5th and 95th percentiles. Each draw's last observed year is where its forecast starts (analysis.models.erosion).
    Computed once per dataset and `observations.measured_values`."""
    return _calibration(ds, measured_values(ds, p))


@per_dataset
def _calibration(ds: Dataset, measured: Mapping[str, Value]) -> pd.DataFrame:
    """`calibration` at `measured` (see `observations.measured_draws`)."""
    draws = measured_draws(ds, measured)
    years = list(draws.years)
    capex = (annual_capex(ds) / 1e3).reindex(years).to_numpy()
    total = np.nansum(np.stack(list(draws.spend.values())), axis=0)
    vs = vendors(ds)
    incumbent, bought = vs[0], bought_challengers(vs, draws)
    cost = {v: draws.spend[v] / draws.compute[v] * BILLION for v in (incumbent.id, *bought)}
    table = pd.DataFrame({"year": years, "capex": capex})
    for name, values in (("spend", total), ("share_of_capex", total / capex),
                         *((f"usd_per_h100e_{v}", cost[v]) for v in (incumbent.id, *bought)),
                         *((f"{v}_cost_ratio", cost[v] / cost[incumbent.id]) for v in bought)):
        b = observed.band(values)
        table[name], table[f"{name}_p5"], table[f"{name}_p95"] = b["central"], b["p5"], b["p95"]
    return table.dropna(subset=["capex"]).reset_index(drop=True)


def build_model(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> erosion.Model:
    """The erosion model for one parameter set: observed years as the data's central estimate and draws, point
    values of the forecast inputs (a challenger's cost ratio only where no observed year covers it)."""
    years = observed_years(ds, p)
    draws = purchase_draws(ds, p)
    cols = [draws.years.index(y) for y in years]
    vs = vendors(ds)
    priced_at = {v.id: cast(float, p[f"{v.id}_{UNIT_COST}"]) for v in vs if f"{v.id}_{UNIT_COST}" in schema}
    obs = erosion.Observed(tuple(years), (annual_capex(ds) / 1e3).loc[years].to_numpy(),
                           {v.id: draws.spend[v.id][:, cols] for v in vs},
                           {v.id: draws.compute[v.id][:, cols] for v in vs}, priced_at)
    outlook = capex_outlook(ds, p, years[-1])
    point: dict[str, float] = {f"capex_growth_{int(r.year)}": r.growth for r in cast(Rows, outlook.itertuples())}
    point["accelerator_share_change"] = p.accelerator_share_change
    point[erosion.OBSERVED_INPUT] = 0.0
    point |= {f"{v}_{UNIT_COST}": cost for v, cost in priced_at.items()}
    calibrated = erosion.calibrated_cost(obs, vs[1:])
    point.update({f"{v.id}_{name}": cast(float, p[f"{v.id}_{name}"]) for v in vs[1:] for name in VENDOR_PARAMETERS
                  if name != "cost_ratio" or v.id not in calibrated})
    return erosion.Model(vs, obs, tuple(int(y) for y in outlook["year"]), point, chip_share_bound(ds, p))


def chip_share_bound(ds: Dataset, p: Params) -> float:
    """The most of capex that accelerator chips could take: all of it buying AI clusters, of which chips are the
    chip price over the all-in capex per accelerator (server and cluster network,
    analysis.models.fleet.all_in_capex)."""
    return float((1 - p.network_share_of_cluster_capex) / fleet.server_factor(ds, p))


def capex_outlook(ds: Dataset, p: Params, last_observed: int) -> pd.DataFrame:
    """Growth factors (with low/high) of each forecast year from data/capex_outlook.csv, in the chosen vintage,
    times `capex_growth_scale`."""
    table = _outlook_rows(ds, p.capex_outlook_vintage, last_observed)
    scale = p.capex_growth_scale
    return table.assign(growth=table["growth"] * scale, low=table["low"] * scale, high=table["high"] * scale)


@per_dataset
def _outlook_rows(ds: Dataset, vintage: str, last_observed: int) -> pd.DataFrame:
    """The rows of data/capex_outlook.csv in `vintage` after `last_observed`, by year."""
    table = ds["capex_outlook"]
    return table[(table["vintage"] == vintage) & (table["year"] > last_observed)].sort_values("year")


def input_distributions(ds: Dataset, p: Params, schema: dict[str, Parameter],
                        model: erosion.Model) -> dict[str, InputSpec]:
    """The inputs' distributions: the observed data (its draws, ordered by the last observed year's accelerator
    spend), each capex growth factor from its outlook row, and every uncertain parameter the model uses, with value =
    median and sourced low/high = p5/p95 (analysis.models.uncertainty)."""
    last_spend = np.nansum(np.stack([s[1:, -1] for s in model.observed.spend.values()]), axis=0)
    specs: dict[str, InputSpec] = {
        erosion.OBSERVED_INPUT: erosion.ObservedIndex(tuple((np.argsort(last_spend, kind="stable") + 1).tolist()))}
    spreads = path_spreads(ds, p)
    specs.update({f"capex_growth_{int(r.year)}": _at_least(r.growth, r.low, r.high,
                                                           spreads["capex_growth"].predictive_sd())
                  for r in cast(Rows, capex_outlook(ds, p, model.observed.years[-1]).itertuples())})
    step = uncertainty.Z95 * spreads["chip_share"].predictive_sd()
    specs.update({erosion.CHIP_SHARE_STEP.format(y): uncertainty.SplitDistribution(0.0, -step, step, "normal")
                  for y in model.forecast_years})
    specs.update({f"{v}_{erosion.START_FRACTION}": uncertainty.Uniform(0.0, 1.0) for v in model.unobserved_start})
    step = uncertainty.Z95 * spreads["cost_step"].predictive_sd()
    specs.update({erosion.COST_STEP.format(v.id, y): uncertainty.SplitDistribution(0.0, -step, step, "normal")
                  for v in model.challengers for y in model.forecast_years})
    for name in model.point:
        param = schema.get(name)
        if param is not None and param.distribution != "fixed":
            # An uncertain parameter is a number with a sourced low < high (analysis.data.tables checks both).
            low, high = cast(float, param.low), cast(float, param.high)
            specs[name] = uncertainty.for_parameter(cast(float, p[name]), param.default, low, high, param.distribution)
    return specs


#: The parameters `path_spreads` reads besides each vendor's unit cost (`<vendor>_unit_cost_usd`): the last observed
#: year, the seed of the observed years' draws and the two that bound the chips' share of capex.
SPREAD_PARAMETERS = ("observed_through", "random_seed", "h100_server_price_usd", "network_share_of_cluster_capex")


def spread_values(ds: Dataset, p: Params) -> dict:
    """The values of the parameters `path_spreads` reads (SPREAD_PARAMETERS and the unit costs): its memo's key."""
    schema = parameter_schema(ds)
    unit_costs = tuple(f"{v.id}_{UNIT_COST}" for v in vendors(ds) if f"{v.id}_{UNIT_COST}" in schema)
    return {name: p[name] for name in SPREAD_PARAMETERS + unit_costs}


def path_spreads(ds: Dataset, p: Params) -> dict[str, volatility.Spread]:
    """The yearly spreads of the forecast's paths (analysis.models.volatility), each measured on the years up to the
    forecast's last observed year only: capex growth (Amazon's filings), the chips' share of capex and the step of a
    cost ratio (the central estimate of the observed purchases). Computed once per dataset and `spread_values` (a
    what-if of capex growth, a scenario and a forecast that differ elsewhere share them; tests/test_outlook.py checks
    that no other parameter moves them)."""
    return _path_spreads(ds, spread_values(ds, p))


@per_dataset
def _path_spreads(ds: Dataset, values: dict) -> dict[str, volatility.Spread]:
    """`path_spreads` at `values` (a whole parameter set, or `spread_values` with every other parameter at its
    default)."""
    p = as_params(values, ds)
    through = observed_years(ds, p)[-1]
    draws = purchase_draws(ds, p)       # row 0, the central estimate, is what the spreads are measured on
    years = pd.Index(draws.years, name="year")
    capex = (annual_capex(ds) / 1e3).reindex(years).dropna()
    spend = pd.DataFrame({v: s[0] for v, s in draws.spend.items()}, index=years).sort_index(axis=1)  # by vendor id
    incumbent = vendors(ds)[0].id
    usd_per_h100e = pd.Series(draws.spend[incumbent][0] / draws.compute[incumbent][0] * BILLION, index=years)
    return {"capex_growth": volatility.capex_growth(annual_capex(ds), through),
            "chip_share": volatility.chip_share(spend, capex, through, chip_share_bound(ds, p), peer_chip_shares(ds)),
            "cost_step": volatility.cost_step(usd_per_h100e.loc[capex.index], through)}

def _at_least(median: float, low: float, high: float, sd: float) -> uncertainty.SplitDistribution:
    """A growth factor's distribution: the sourced low-high as p5-p95, widened on each side to at least the spread of
    history (log sd `sd`), unless the row is a reported value (low = high = median)."""
    if low == high == median:
        return uncertainty.SplitDistribution(median, median, median, "lognormal")
    width = np.exp(uncertainty.Z95 * sd)
    return uncertainty.SplitDistribution(median, min(low, median / width), max(high, median * width), "lognormal")


def _table(model: erosion.Model, paths: dict) -> pd.DataFrame:
    """One evaluation's paths (first draw) as a table by year."""
    return pd.DataFrame({k: v[0] for k, v in paths.items()}, index=pd.Index(model.years, name="year"))


#: The cost of one `run`, measured on this project's 2-core machine (2026-12-04): about 1.3 s and 250 MB, plus 23 s
#: and 3.4 GB per million Monte Carlo draws, plus 18 s and 2.1 GB per 65,536 Sobol base samples (with sensitivity).
RUN_COST = {"base": (1.3, 250e6), "mc_draws": (23 / 1e6, 3.4e9 / 1e6),
            "sobol_base_samples": (18 / 65536, 2.1e9 / 65536)}


def cost(p: Params, sensitivity: bool = True) -> tuple[float, float]:
    """About how long (s) and how much memory (bytes) one `run` with parameters `p` takes (RUN_COST)."""
    parts = ["base", "mc_draws", *(["sobol_base_samples"] if sensitivity else [])]
    counts = {"base": 1, "mc_draws": p.mc_draws, "sobol_base_samples": p.sobol_base_samples}
    seconds, memory = (sum(RUN_COST[k][i] * counts[k] for k in parts) for i in (0, 1))
    return seconds, memory


def parameters(ds: Dataset) -> tuple[str, ...]:
    """Every parameter the forecast reads, with the four of each challenger vendor in the data."""
    return (FORECAST_PARAMETERS + tuple(f"{v.id}_{k}" for v in vendors(ds)[1:] for k in VENDOR_PARAMETERS)
            + MONTE_CARLO_PARAMETERS)


def inert_parameters(ds: Dataset) -> dict[str, str]:
    """The forecast parameters that cannot move the forecast at the defaults, each with the reason: a challenger's
    path and cost while its default ceiling is 0, and the cost ratio of a challenger the observed years cover
    (calibrated on them instead)."""
    schema = parameter_schema(ds)
    defaults = resolve({}, ds)
    calibrated = build_model(ds, defaults, schema).calibrated_cost
    inert: dict[str, str] = {}
    for v in vendors(ds)[1:]:
        if defaults[f"{v.id}_ceiling"] == 0:
            inert |= {f"{v.id}_{k}": f"{v.id}_ceiling is 0 at the defaults: {v.label} takes no share"
                      for k in VENDOR_PARAMETERS if k != "ceiling"}
        elif v.id in calibrated:
            inert[f"{v.id}_cost_ratio"] = f"calibrated on the last observed year, which covers {v.label}"
    return inert


def forecast_values(ds: Dataset, p: Params | dict) -> dict:
    """The values of the forecast's parameters in the parameter set `p` (the key a forecast is remembered by)."""
    return {name: p[name] for name in parameters(ds)}


def run(ds: Dataset, p: Params, schema: dict[str, Parameter], sensitivity: bool = True) -> Forecast:
    """Central estimate (the model at the inputs' medians), Monte Carlo percentiles (BAND_METRICS) and outcomes,
    threshold probabilities per year and 'stays above' years, and (if `sensitivity`) tornado and Sobol ranking of
    Nvidia's revenue from AWS over the forecast window (analysis.models.horizons). The forecast itself runs once per
    dataset and forecast values in a process (every section that shows it reads that run)."""
    result = _forecast(ds, forecast_values(ds, p), schema)
    if not sensitivity:
        return result
    model_fn = erosion_sampling.outcome_model(result.model, horizons(ds).forecast)
    return dataclasses.replace(result, sensitivity=Sensitivity(
        erosion_sampling.tornado(model_fn, result.specs),
        erosion_sampling.sobol_indices(model_fn, result.specs, p.sobol_base_samples, p.random_seed)))


#: Per-year paths kept as draws in a run's result (for scoring a forecast against outcomes).
SCORED_METRICS = ("capex", "accelerator_spend", "nvidia_revenue", "compute_share_trainium", "asic_spend_share",
                  "asic_compute_share")
#: Per-year paths whose percentiles a run's result keeps: what `forecast_result.by_year`, `observed_checks.spend_check`
#: and the fan charts show.
BAND_METRICS = ("accelerator_spend", "nvidia_revenue", "asic_spend_share", "asic_compute_share")


@per_run
def _forecast(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> Forecast:
    """`run` without the sensitivity analysis, once per forecast parameter set (a scenario table and a hindcast
    repeat runs)."""
    MONTE_CARLO_RUNS[json.dumps(dict(p), sort_keys=True)] += 1
    p = as_params(p, ds)        # the forecast's values (the memo's key), the others at their defaults
    model, specs, central_paths, paths = _drawn(ds, p, schema)
    central = _table(model, central_paths)
    h = horizons(ds)
    limits = thresholds(ds)
    summary = Outcomes.of({k: None if np.isnan(v[0]) else float(v[0]) for k, v in
                           erosion_outcomes.outcomes(central_paths, model.years, h.windows, limits.shares).items()},
                          h.windows, int(model.years[-1]), limits.shares)
    return Forecast(model, h, limits, specs, central, summary,
                    percentiles=erosion_outcomes.percentile_table({m: paths[m] for m in BAND_METRICS}, model.years),
                    outcomes=erosion_outcomes.outcome_table(
                        erosion_outcomes.outcomes(paths, model.years, h.windows, limits.shares)),
                    thresholds=erosion_outcomes.threshold_table(paths, model.years, limits.shares),
                    stays_above=erosion_outcomes.stays_above_table(paths, model.years, limits.shares),
                    draws={m: paths[m] for m in SCORED_METRICS})


def central_run(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> CentralRun:
    """The forecast's model and central estimate (`run(...).central`, the model at its inputs' medians) without the
    Monte Carlo: for a reader of the central path alone (section 4's cross-checks), about a fifth of `run`'s cost."""
    return _central_run(ds, forecast_values(ds, p), schema)


@per_run
def _central_run(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> CentralRun:
    model, _, central_paths = _at_medians(ds, as_params(p, ds), schema)
    return CentralRun(model, _table(model, central_paths))


def drawn_run(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> DrawnRun:
    """`run`'s model, central estimate and kept draws alone, without the Monte Carlo tables (percentiles, outcomes,
    thresholds): what a hindcast scores, for about two thirds of `run`'s cost."""
    return _drawn_run(ds, forecast_values(ds, p), schema)


@per_run
def _drawn_run(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> DrawnRun:
    model, _, central_paths, paths = _drawn(ds, as_params(p, ds), schema)
    return DrawnRun(model, _table(model, central_paths), {m: paths[m] for m in SCORED_METRICS})


def _drawn(ds: Dataset, p: Params, schema: dict[str, Parameter]
           ) -> tuple[erosion.Model, dict[str, InputSpec], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """`_at_medians`, and the paths of `p.mc_draws` draws of the inputs."""
    model, specs, central_paths = _at_medians(ds, p, schema)
    return model, specs, central_paths, erosion.evaluate(model, erosion_sampling.sample_inputs(specs, p.mc_draws,
                                                                                                p.random_seed))


def _at_medians(ds: Dataset, p: Params, schema: dict[str, Parameter]
                ) -> tuple[erosion.Model, dict[str, InputSpec], dict[str, np.ndarray]]:
    """The model of `p`, its inputs' distributions and its paths at their medians (the central estimate)."""
    model = build_model(ds, p, schema)
    specs = input_distributions(ds, p, schema, model)
    return model, specs, erosion.evaluate(model, erosion_sampling.medians(specs))


def forget_runs(ds: Dataset) -> None:
    """Drop the forecast runs and every other result of one parameter set remembered for `ds` (each may hold draws:
    analysis.data.memo.per_run): for a process that runs many parameter sets on one dataset (a sweep worker)."""
    memo.forget_runs(ds)


def observed_run(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> CentralRun:
    """What happened: the model with every observable year observed (whatever `observed_through` says) at the data's
    central estimate, like `run`'s model and central estimate, without forecast draws."""
    last = int(cast(float, schema["observed_through"].maximum))       # an int parameter: its bounds are set
    model = build_model(ds, p.replace(observed_through=last), schema)
    return CentralRun(model, _table(model, erosion.evaluate(model)))
