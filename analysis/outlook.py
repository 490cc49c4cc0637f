"""Section 3: Nvidia's share of AWS accelerator spend to 2030 — inputs from data and parameters, scenarios,
Monte Carlo, sensitivity and the hindcast of the essay's February-2024 view. The model itself is analysis.erosion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis import erosion, fleet
from analysis.capex import amazon_quarterly, wide
from analysis.data import Dataset
from analysis.params import Parameter

LATE_YEARS = (2028, 2029, 2030)
Z95 = stats.norm.ppf(0.95)
#: Model inputs that come straight from parameters of the same name.
SAME_NAME = ("trainium_ceiling", "trainium_midpoint", "trainium_takeover", "amd_ceiling", "amd_midpoint",
             "amd_takeover", "other_ceiling", "other_midpoint", "other_takeover")


def annual_capex(ds: Dataset) -> pd.Series:
    """Amazon gross capex per complete calendar year (USD million)."""
    gross = wide(amazon_quarterly(ds))["capex_gross"].dropna()
    years = gross.groupby(gross.index.str[:4].astype(int))
    return years.sum()[years.count() == 4]


def observed_shares(ds: Dataset, p: dict) -> pd.DataFrame:
    """Trainium's share of Amazon's yearly additions by compute (H100e) and by estimated spend, from Epoch
    (years in which Epoch covers both vendors: it has no Trainium estimates before 2024)."""
    shares = fleet.spend_and_compute(ds, p["trainium_unit_cost_usd"]).set_index("year")
    return pd.DataFrame({"trainium_compute_share": 1 - shares["nvidia_compute_share"],
                         "trainium_spend_share": 1 - shares["nvidia_spend_share"]})


def cost_per_h100e(ds: Dataset, p: dict) -> dict[str, float]:
    """USD per H100e of compute bought from each vendor: Nvidia and Trainium from Epoch's units x prices in the
    latest year Epoch covers, AMD from the MI300X street price over its dense BF16 relative to the H100's, others
    relative to Nvidia."""
    shares = fleet.spend_and_compute(ds, p["trainium_unit_cost_usd"]).iloc[-1]
    specs = ds["accelerator_specs"]

    def first(chip, metric):  # the first row of a chip's metric (files list the primary figure first)
        return float(specs[(specs["chip_id"] == chip) & (specs["metric"] == metric)]["value"].iloc[0])
    nvidia = float(shares["usd_per_h100e_nvidia"])
    amd = first("mi300x", "price") / (first("mi300x", "bf16_dense_tflops") / first("h100-sxm", "bf16_dense_tflops"))
    return {"nvidia": nvidia, "trainium": float(shares["usd_per_h100e_amazon"]), "amd": amd,
            "other": nvidia * p["other_cost_relative_to_nvidia"]}


def quarterly_trainium_share(ds: Dataset) -> pd.Series:
    """Trainium's share of Amazon's H100e additions per quarter (quarters where Epoch covers both vendors)."""
    q = fleet.additions(ds, "h100e").pivot(index="quarter", columns="vendor", values="median").dropna()
    return q["Amazon"] / (q["Amazon"] + q["Nvidia"])


def fit_trainium(ds: Dataset) -> erosion.LogisticFit:
    """Logistic fit (free ceiling in [0.2, 1]) of Trainium's quarterly compute share; time = mid-quarter year."""
    share = quarterly_trainium_share(ds)
    t = np.array([int(q[:4]) + (int(q[-1]) - 0.5) / 4 for q in share.index])
    return erosion.fit_logistic(t, share.to_numpy(), ceiling_bounds=(0.2, 1.0))


def model_inputs(ds: Dataset, p: dict) -> erosion.ErosionInputs:
    """The erosion model's inputs for one parameter set."""
    capex = annual_capex(ds) / 1e3  # USD billion
    actual = {int(y): float(v) for y, v in capex.items() if y <= p["capex_actuals_through"]}
    growth_by_year = {2024: p["capex_growth_2024"], 2025: p["capex_growth_2025"], 2026: p["capex_growth_2026"],
                      2027: p["capex_growth_2027"], **{y: p["capex_growth_late"] for y in LATE_YEARS}}
    growth = {y: g for y, g in growth_by_year.items() if y > max(actual)}
    costs = cost_per_h100e(ds, p)
    return erosion.ErosionInputs(
        **{name: p[name] for name in SAME_NAME},
        **{f"{v}_cost_per_h100e": costs[v] for v in erosion.VENDORS},
        ai_share_of_capex=p["aws_capex_share_outlook"] * p["ai_share"],
        accelerator_share_of_ai_capex=p["accelerator_share_of_ai_hardware"],
        capex_actual=actual, capex_growth=growth)


def _distribution(param: Parameter, center: float) -> stats.distributions.rv_frozen:
    """The parameter's uncertainty: the spread of its schema interval (low-high = p5-p95), centred on `center`."""
    if param.distribution == "lognormal":
        return erosion.lognormal(center, np.log(param.high / param.low) / (2 * Z95))
    if param.distribution == "normal":
        return stats.norm(center, (param.high - param.low) / (2 * Z95))
    width = min(param.high - param.low, 0.9 * min(center, 1 - center) * 2)  # beta: mean = center, p95 - p5 = width

    def gap(log_concentration):
        d = erosion.beta(center, np.exp(log_concentration))
        return d.ppf(0.95) - d.ppf(0.05) - width
    return erosion.beta(center, np.exp(optimize.brentq(gap, np.log(2.5), np.log(1e7))))


def _growth_parameter(year: int) -> str:
    return "capex_growth_late" if year in LATE_YEARS else f"capex_growth_{year}"


def uncertain_parameters(inputs: erosion.ErosionInputs, p: dict, schema: dict[str, Parameter]) -> dict:
    """Distributions of the uncertain parameters the model uses, centred on this parameter set's values.
    Growth factors are drawn per projected year (capex_growth_<year>), the late years from capex_growth_late."""
    names = [n for n in (*SAME_NAME, "aws_capex_share_outlook", "ai_share", "accelerator_share_of_ai_hardware",
                         "trainium_unit_cost_usd") if schema[n].distribution != "fixed"]
    specs = {n: _distribution(schema[n], p[n]) for n in names}
    for year in inputs.capex_growth:
        source = _growth_parameter(year)
        specs[f"capex_growth_{year}"] = _distribution(schema[source], p[source])
    return specs


def to_model(inputs: erosion.ErosionInputs, p: dict, draws: dict) -> dict:
    """Parameter draws (by parameter name) -> overrides of the model's inputs."""
    def value(name):
        return draws.get(name, p[name])
    overrides = {n: draws[n] for n in draws if n in SAME_NAME or n.startswith("capex_growth_")}
    overrides["ai_share_of_capex"] = np.asarray(value("aws_capex_share_outlook")) * value("ai_share")
    overrides["accelerator_share_of_ai_capex"] = value("accelerator_share_of_ai_hardware")
    overrides["trainium_cost_per_h100e"] = inputs.trainium_cost_per_h100e * np.asarray(value("trainium_unit_cost_usd")) / p["trainium_unit_cost_usd"]
    return overrides


def _years(table: pd.DataFrame, metric: str, years) -> pd.Series:
    return table[table["metric"] == metric].set_index("year").loc[list(years)]


def run(ds: Dataset, p: dict, schema: dict[str, Parameter], sensitivity_outcome: str = "nvidia_revenue_2024_2030") -> dict:
    """Deterministic paths, Monte Carlo percentiles, tornado and Sobol ranking for one parameter set."""
    inputs = model_inputs(ds, p)
    specs = uncertain_parameters(inputs, p, schema)
    paths = erosion.evaluate(inputs)
    deterministic = pd.DataFrame({k: v[0] for k, v in paths.items()}, index=pd.Index(inputs.years, name="year"))
    summary = {k: None if np.isnan(v[0]) else float(v[0]) for k, v in erosion.outcomes(paths, inputs.years).items()}
    correlations = {("trainium_ceiling", "trainium_midpoint"): p["corr_trainium_ceiling_midpoint"]} \
        if {"trainium_ceiling", "trainium_midpoint"} <= set(specs) else None
    draws = erosion.sample_inputs(specs, p["mc_draws"], p["random_seed"], correlations)
    mc_paths = erosion.evaluate(inputs, to_model(inputs, p, draws))
    percentiles = erosion.percentile_table(mc_paths, inputs.years)
    outcome_table = erosion.outcome_table(erosion.outcomes(mc_paths, inputs.years))

    def model(params):
        return erosion.outcomes(erosion.evaluate(inputs, to_model(inputs, p, params)), inputs.years)[sensitivity_outcome]
    return {"inputs": inputs, "specs": specs, "deterministic": deterministic, "summary": summary,
            "percentiles": percentiles, "outcomes": outcome_table,
            "tornado": erosion.tornado(model, specs),
            "sobol": erosion.sobol_indices(model, specs, p["sobol_base_samples"], p["random_seed"])}


def scenario_runs(ds: Dataset, scenario_params: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic runs of named scenarios: (headline outcomes, one row each; yearly paths, tidy)."""
    rows, paths_by_year = [], []
    for name, p in scenario_params.items():
        inputs = model_inputs(ds, p)
        paths = erosion.evaluate(inputs)
        rows.append({"scenario": name, **{k: float(v[0]) for k, v in erosion.outcomes(paths, inputs.years).items()}})
        paths_by_year.append(pd.DataFrame({"scenario": name, "year": inputs.years,
                                           **{k: paths[k][0] for k in ("nvidia_revenue", "erosion", "spend_share_nvidia",
                                                                       "compute_share_nvidia")}}))
    return pd.DataFrame(rows), pd.concat(paths_by_year, ignore_index=True)


def hindcast(ds: Dataset, p: dict, result: dict, years=(2024, 2025)) -> pd.DataFrame:
    """A run's 2024-2025 path (median and p5-p95) beside what happened: capex, Trainium compute and spend shares."""
    actual_capex = annual_capex(ds) / 1e3
    observed = observed_shares(ds, p)
    pct = result["percentiles"]
    rows = []
    for metric, label, unit, truth in (
            ("capex", "Amazon gross capex", "USD_billion", actual_capex),
            ("compute_share_trainium", "Trainium share of compute added", "fraction", observed["trainium_compute_share"]),
            ("spend_share_trainium", "Trainium share of accelerator spend", "fraction", observed["trainium_spend_share"])):
        band = _years(pct, metric, years)
        for year in years:
            predicted = float(result["deterministic"].loc[year, metric])
            actual = float(truth.loc[year])
            rows.append({"quantity": label, "unit": unit, "year": year, "projected": predicted, "p5": band.loc[year, "p5"],
                         "p95": band.loc[year, "p95"], "actual": actual, "error": predicted - actual,
                         "inside_p5_p95": bool(band.loc[year, "p5"] <= actual <= band.loc[year, "p95"])})
    return pd.DataFrame(rows)
