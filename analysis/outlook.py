"""Section 3: Nvidia's share of AWS accelerator spend to 2030, calibrated on what was observed.

The pipeline, used by the notebook, the tests and the benchmark alike:
data + parameters -> `build_model` (observed years from Epoch AI x chip prices, forecast inputs) ->
`input_distributions` (sourced p5/p95, value = median) -> `run` (central estimate, Monte Carlo, threshold
probabilities, tornado, Sobol) -> tables for the report (`by_year`, `headlines`, `spend_check`, `hindcast`).
The model itself is analysis.erosion.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis import erosion, fleet, uncertainty
from analysis.capex import amazon_quarterly, wide
from analysis.data import Dataset
from analysis.memo import per_dataset
from analysis.params import Parameter, what_if_values

BILLION = 1e9
SENSITIVITY_OUTCOME = "nvidia_revenue_{}_{}".format(*erosion.FORECAST_WINDOW)


@per_dataset
def annual_capex(ds: Dataset) -> pd.Series:
    """Amazon gross capex per complete calendar year (USD million)."""
    gross = wide(amazon_quarterly(ds))["capex_gross"].dropna()
    years = gross.groupby(gross.index.str[:4].astype(int))
    return years.sum()[years.count() == 4]


@per_dataset
def vendors(ds: Dataset) -> tuple[erosion.Vendor, ...]:
    """Vendors from data/vendors.csv, the incumbent first."""
    table = ds["vendors"].sort_values("role", key=lambda r: r != "incumbent", kind="stable")
    return tuple(erosion.Vendor(r.vendor_id, r.label, r.kind) for r in table.itertuples())


def observed_purchases(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> pd.DataFrame:
    """Amazon's accelerator purchases per complete year and vendor, from Epoch AI's unit estimates: units, H100e
    and spend (USD bn) with p5/p95. Spend p5 = units p5 x each chip's low price, p95 = units p95 x its high price,
    summed over chips (a conservative band). A vendor Epoch has no Amazon rows for counts as zero; a vendor with rows
    only from some year on (Trainium from 2024) is missing (NaN) before."""
    cost = schema["trainium_unit_cost_usd"]
    value = p["trainium_unit_cost_usd"]
    return _purchases(ds, value, (min(cost.low, value), max(cost.high, value)))


@per_dataset
def _purchases(ds: Dataset, trainium_unit_cost_usd: float, trainium_range: tuple[float, float]) -> pd.DataFrame:
    """`observed_purchases` at a Trainium unit cost and its range (the only parameters it reads)."""
    prices = fleet.unit_prices(ds, trainium_unit_cost_usd, trainium_range)
    spend = fleet.yearly(fleet.spend_by_chip(fleet.chip_additions(ds, "units"), prices), by="chip")
    units = fleet.yearly(fleet.chip_additions(ds, "units"), by="chip")
    compute = fleet.yearly(fleet.chip_additions(ds, "h100e"), by="chip")
    chips = ds["epoch_fleet"][["chip", "vendor"]].drop_duplicates()
    frame = (units.merge(chips, on="chip")
             .merge(spend.rename(columns={"median": "spend", "p5": "spend_p5", "p95": "spend_p95"}), on=["chip", "year"])
             .merge(compute.rename(columns={"median": "h100e"})[["chip", "year", "h100e"]], on=["chip", "year"]))
    frame[["spend", "spend_p5", "spend_p95"]] /= BILLION
    by_vendor = frame.groupby(["year", "vendor"])[["median", "h100e", "spend", "spend_p5", "spend_p95"]].sum()
    years = sorted(frame["year"].unique())
    rows = []
    for v in ds["vendors"].itertuples():
        epoch_years = by_vendor.xs(v.epoch_vendor, level="vendor").index if v.epoch_vendor in frame["vendor"].values else []
        for year in years:
            if year in epoch_years:
                r = by_vendor.loc[(year, v.epoch_vendor)]
                rows.append({"year": year, "vendor": v.vendor_id, "units": r["median"], "h100e": r["h100e"],
                             "spend": r["spend"], "spend_p5": r["spend_p5"], "spend_p95": r["spend_p95"]})
            else:
                zero = len(epoch_years) == 0  # no Amazon rows at all: the source says zero
                rows.append({"year": year, "vendor": v.vendor_id, **dict.fromkeys(
                    ("units", "h100e", "spend", "spend_p5", "spend_p95"), 0.0 if zero else np.nan)})
    return pd.DataFrame(rows)


def observed_years(ds: Dataset, p: dict) -> list[int]:
    """Years with reported capex and Epoch estimates, up to `observed_through`."""
    return [y for y in observable_years(ds) if y <= p["observed_through"]]


@per_dataset
def observable_years(ds: Dataset) -> list[int]:
    """Years with reported capex and Epoch estimates."""
    capex = annual_capex(ds)
    epoch = fleet.yearly(fleet.additions(ds, "units"))["year"].unique()
    return [int(y) for y in capex.index if y in epoch]


def calibration(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> pd.DataFrame:
    """Per observed year: Amazon capex, accelerator purchases (median, p5, p95; USD bn), their share of capex
    (accelerator spend / gross capex), USD per H100e by vendor and Trainium's cost ratio to Nvidia. The last year
    gives the defaults of `accelerator_share_of_capex` (and its p5/p95) and `trainium_cost_ratio`."""
    purchases = observed_purchases(ds, p, schema)
    capex = annual_capex(ds) / 1e3
    total = purchases.groupby("year")[["spend", "spend_p5", "spend_p95"]].sum(min_count=1)
    table = total.assign(capex=capex.reindex(total.index)).dropna(subset=["capex"])
    for column in ("spend", "spend_p5", "spend_p95"):
        table[f"share_of_capex{column[5:]}"] = table[column] / table["capex"]
    per = purchases.pivot(index="year", columns="vendor", values=["spend", "h100e"])
    table["usd_per_h100e_nvidia"] = per[("spend", "nvidia")] / per[("h100e", "nvidia")] * BILLION
    table["usd_per_h100e_trainium"] = per[("spend", "trainium")] / per[("h100e", "trainium")] * BILLION
    table["trainium_cost_ratio"] = table["usd_per_h100e_trainium"] / table["usd_per_h100e_nvidia"]
    return table.reset_index()


def build_model(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> erosion.Model:
    """The erosion model for one parameter set: observed years from data, point values of the forecast inputs."""
    years = observed_years(ds, p)
    purchases = observed_purchases(ds, p, schema).pivot(index="year", columns="vendor").loc[years]
    vs = vendors(ds)
    spend = {v.id: purchases[("spend", v.id)].to_numpy() for v in vs}
    compute = {v.id: purchases[("h100e", v.id)].to_numpy() for v in vs}
    observed = erosion.Observed(tuple(years), (annual_capex(ds) / 1e3).loc[years].to_numpy(), spend, compute)
    outlook = capex_outlook(ds, p, years[-1])
    point = {f"capex_growth_{int(r.year)}": r.growth for r in outlook.itertuples()}
    point["accelerator_share_of_capex"] = p["accelerator_share_of_capex"]
    point.update({f"{v.id}_{name}": p[f"{v.id}_{name}"] for v in vs[1:] for name in erosion.CHALLENGER_INPUTS})
    return erosion.Model(vs, observed, tuple(int(y) for y in outlook["year"]), point)


def capex_outlook(ds: Dataset, p: dict, last_observed: int) -> pd.DataFrame:
    """Growth factors (with low/high) of each forecast year from data/capex_outlook.csv, in the chosen vintage,
    times `capex_growth_scale`."""
    table = _outlook_rows(ds, p["capex_outlook_vintage"], last_observed)
    scale = p["capex_growth_scale"]
    return table.assign(growth=table["growth"] * scale, low=table["low"] * scale, high=table["high"] * scale)


@per_dataset
def _outlook_rows(ds: Dataset, vintage: str, last_observed: int) -> pd.DataFrame:
    """The rows of data/capex_outlook.csv in `vintage` after `last_observed`, by year."""
    table = ds["capex_outlook"]
    return table[(table["vintage"] == vintage) & (table["year"] > last_observed)].sort_values("year")


def input_distributions(ds: Dataset, p: dict, schema: dict[str, Parameter], model: erosion.Model) -> dict:
    """The forecast inputs' distributions: each capex growth factor from its outlook row, and every uncertain
    parameter the model uses, with value = median and sourced low/high = p5/p95 (analysis.uncertainty)."""
    specs = {f"capex_growth_{int(r.year)}": uncertainty.SplitDistribution(r.growth, r.low, r.high, "lognormal")
             for r in capex_outlook(ds, p, model.observed.years[-1]).itertuples()}
    for name in model.point:
        param = schema.get(name)
        if param is not None and param.distribution != "fixed":
            specs[name] = uncertainty.for_parameter(p[name], param.default, param.low, param.high, param.distribution)
    return specs


def _table(model: erosion.Model, paths: dict) -> pd.DataFrame:
    """One evaluation's paths (first draw) as a table by year."""
    return pd.DataFrame({k: v[0] for k, v in paths.items()}, index=pd.Index(model.years, name="year"))


def run(ds: Dataset, p: dict, schema: dict[str, Parameter], sensitivity: bool = True) -> dict:
    """Central estimate (the model at the inputs' medians), Monte Carlo percentiles and outcomes, threshold
    probabilities and crossing years, and (if `sensitivity`) tornado and Sobol ranking of Nvidia's 2026-2030
    revenue from AWS."""
    result = _forecast(ds, p, schema)
    if sensitivity:
        model_fn = erosion.outcome_model(result["model"], SENSITIVITY_OUTCOME)
        result["tornado"] = erosion.tornado(model_fn, result["specs"])
        result["sobol"] = erosion.sobol_indices(model_fn, result["specs"], p["sobol_base_samples"], p["random_seed"])
    return result


@per_dataset
def _forecast(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> dict:
    """`run` without the sensitivity analysis, once per parameter set (a scenario table and a hindcast repeat runs)."""
    model = build_model(ds, p, schema)
    specs = input_distributions(ds, p, schema, model)
    central_paths = erosion.evaluate(model, erosion.medians(specs))
    central = _table(model, central_paths)
    summary = {k: None if np.isnan(v[0]) else float(v[0]) for k, v in erosion.outcomes(central_paths, model.years).items()}
    paths = erosion.evaluate(model, erosion.sample_inputs(specs, p["mc_draws"], p["random_seed"]))
    return {"model": model, "specs": specs, "central": central, "summary": summary,
            "percentiles": erosion.percentile_table(paths, model.years),
            "outcomes": erosion.outcome_table(erosion.outcomes(paths, model.years)),
            "thresholds": erosion.threshold_table(paths, model.years),
            "crossings": erosion.crossing_table(paths, model.years)}


def observed_run(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> dict:
    """What happened: the model with every observable year observed (whatever `observed_through` says), evaluated
    once — {"model", "central"} like `run`, without forecast draws."""
    model = build_model(ds, {**p, "observed_through": int(schema["observed_through"].maximum)}, schema)
    return {"model": model, "central": _table(model, erosion.evaluate(model))}


def _band(result: dict, metric: str) -> pd.DataFrame:
    pct = result["percentiles"]
    return pct[pct["metric"] == metric].set_index("year")[["p5", "p50", "p95"]]


def by_year(result: dict) -> pd.DataFrame:
    """One row per year (observed and forecast): the central estimate with p5/p50/p95 of Nvidia revenue and the ASIC
    spend share (the machine-readable outlook, `erosion_by_year.csv`)."""
    c = result["central"]
    observed = set(result["model"].observed.years)
    table = pd.DataFrame({
        "year": c.index, "observed": [y in observed for y in c.index],
        "accelerator_spend_usd_b": c["accelerator_spend"].to_numpy(), "nvidia_revenue_usd_b": c["nvidia_revenue"].to_numpy(),
        "nvidia_spend_share": c["nvidia_spend_share"].to_numpy(), "asic_spend_share": c["asic_spend_share"].to_numpy(),
        "trainium_compute_share": c["compute_share_trainium"].to_numpy()})
    for metric, column in (("nvidia_revenue", "nvidia_revenue_usd_b"), ("asic_spend_share", "asic_spend_share")):
        band = _band(result, metric)
        for q in ("p5", "p50", "p95"):
            table[f"{column}_{q}"] = band[q].to_numpy()
    return table


def nvidia_datacenter_by_year(ds: Dataset) -> pd.Series:
    """Nvidia's Data Center revenue per calendar year (USD bn): each fiscal quarter assigned to the calendar quarter
    containing its end date minus 45 days (Nvidia's quarters end about a month after calendar quarters)."""
    f = ds["financials"]
    dc = f[(f["company"] == "Nvidia") & (f["metric"] == "datacenter_revenue")]
    year = (pd.to_datetime(dc["period_end"]) - pd.Timedelta(days=45)).dt.year
    grouped = dc.assign(year=year.to_numpy()).groupby("year")["value"]
    return (grouped.sum()[grouped.count() == 4] / 1e3).rename("nvidia_datacenter_revenue")


def spend_check(ds: Dataset, p: dict, schema: dict[str, Parameter], result: dict) -> pd.DataFrame:
    """Per observed year: the model's accelerator spend and Nvidia revenue beside Epoch's band for them and Nvidia's
    Data Center revenue (Amazon's implied share of it)."""
    purchases = observed_purchases(ds, p, schema)
    band = purchases.groupby("year")[["spend_p5", "spend_p95"]].sum(min_count=1)
    nv = purchases[purchases["vendor"] == "nvidia"].set_index("year")
    c = result["central"]
    years = list(result["model"].observed.years)
    dc = nvidia_datacenter_by_year(ds).reindex(years)
    return pd.DataFrame({
        "year": years, "model_accelerator_spend": c.loc[years, "accelerator_spend"].to_numpy(),
        "epoch_p5": band.loc[years, "spend_p5"].to_numpy(), "epoch_p95": band.loc[years, "spend_p95"].to_numpy(),
        "model_nvidia_revenue": c.loc[years, "nvidia_revenue"].to_numpy(),
        "nvidia_p5": nv.loc[years, "spend_p5"].to_numpy(), "nvidia_p95": nv.loc[years, "spend_p95"].to_numpy(),
        "nvidia_datacenter_revenue": dc.to_numpy(),
        "amazon_share_of_nvidia_dc": c.loc[years, "nvidia_revenue"].to_numpy() / dc.to_numpy()})


def scenario_table(ds: Dataset, scenario_params: dict[str, dict], schema: dict[str, Parameter]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each named scenario's central estimate and threshold probabilities: (one row per scenario; yearly central
    paths, tidy)."""
    rows, yearly = [], []
    for name, p in scenario_params.items():
        result = run(ds, p, schema, sensitivity=False)
        s = result["summary"]
        probs = result["thresholds"].set_index(["threshold", "year"])["probability"]
        crossings = result["crossings"].set_index("threshold")
        rows.append({"scenario": name, **{k: s[k] for k in ("nvidia_revenue_2024_2026", "nvidia_revenue_2027_2030",
                                                             "asic_spend_share_2024_2026", "asic_spend_share_2027_2030",
                                                             "nvidia_spend_share_2030")},
                     **{f"p_asic_above_{round(t * 100)}pct_{y}": probs[(t, y)] for t in erosion.THRESHOLDS for y in (2027, 2030)},
                     **{f"median_year_asic_{round(t * 100)}pct": crossings.loc[t, "p50"] for t in erosion.THRESHOLDS}})
        c = result["central"]
        yearly.append(pd.DataFrame({"scenario": name, "year": c.index, "nvidia_revenue": c["nvidia_revenue"].to_numpy(),
                                    "asic_spend_share": c["asic_spend_share"].to_numpy()}))
    return pd.DataFrame(rows), pd.concat(yearly, ignore_index=True)


def hindcast(ds: Dataset, essay_p: dict, base_p: dict, schema: dict[str, Parameter], years=(2024, 2025)) -> pd.DataFrame:
    """The February-2024 view (a run with `observed_through` = 2023) for 2024-2025 beside what was observed (`base_p`
    with every observable year observed): capex, accelerator spend, Nvidia revenue from AWS, Trainium's compute share
    and the ASIC share of spend."""
    essay = run(ds, essay_p, schema, sensitivity=False)
    truth = observed_run(ds, base_p, schema)["central"]
    rows = []
    for metric, label, unit in (("capex", "Amazon gross capex", "USD_billion"),
                                ("accelerator_spend", "Accelerator purchases", "USD_billion"),
                                ("nvidia_revenue", "Nvidia revenue from AWS", "USD_billion"),
                                ("compute_share_trainium", "Trainium share of compute added", "fraction"),
                                ("asic_spend_share", "ASIC share of accelerator spend", "fraction")):
        band = _band(essay, metric)
        for year in years:
            projected = float(essay["central"].loc[year, metric])
            actual = float(truth.loc[year, metric])
            rows.append({"quantity": label, "unit": unit, "year": year, "projected": projected,
                         "p5": band.loc[year, "p5"], "p95": band.loc[year, "p95"], "actual": actual,
                         "error": projected - actual, "inside_p5_p95": bool(band.loc[year, "p5"] <= actual <= band.loc[year, "p95"])})
    return pd.DataFrame(rows)


def headlines(result: dict) -> list[dict]:
    """Section 3's headline results (central estimate; Monte Carlo p5-p95 where it applies)."""
    s = result["summary"]
    mc = result["outcomes"].set_index("outcome")
    probs = result["thresholds"].set_index(["threshold", "year"])["probability"]
    crossings = result["crossings"].set_index("threshold")

    def item(key, label, value, unit, band=None):
        out = {"key": key, "label": label, "value": value, "unit": unit}
        if band is not None:
            out.update(p5=float(mc.loc[band, "p5"]), p95=float(mc.loc[band, "p95"]))
        return out

    def year_or_none(x):
        return None if not np.isfinite(x) else float(x)

    items = [
        item("nvidia_revenue_2024_2026", "Nvidia revenue from AWS, 2024-2026", s["nvidia_revenue_2024_2026"], "USD_billion", "nvidia_revenue_2024_2026"),
        item("nvidia_revenue_2027_2030", "Nvidia revenue from AWS, 2027-2030", s["nvidia_revenue_2027_2030"], "USD_billion", "nvidia_revenue_2027_2030"),
        item("erosion_2024_2026", "Erosion vs no-ASIC counterfactual, 2024-2026", s["erosion_2024_2026"], "USD_billion", "erosion_2024_2026"),
        item("erosion_2027_2030", "Erosion vs no-ASIC counterfactual, 2027-2030", s["erosion_2027_2030"], "USD_billion", "erosion_2027_2030"),
        item("asic_share_of_spend_2024_2026", "ASIC share of accelerator spend, 2024-2026", s["asic_spend_share_2024_2026"], "fraction", "asic_spend_share_2024_2026"),
        item("asic_share_of_spend_2027_2030", "ASIC share of accelerator spend, 2027-2030", s["asic_spend_share_2027_2030"], "fraction", "asic_spend_share_2027_2030"),
        item("nvidia_spend_share_2030", "Nvidia share of AWS accelerator spend, 2030", s["nvidia_spend_share_2030"], "fraction", "nvidia_spend_share_2030"),
    ]
    for (t, y), prob in probs.items():
        items.append(item(f"p_asic_above_{round(t * 100)}pct_{y}", f"P(ASIC share of spend > {t:.0%} in {y})", float(prob), "fraction"))
    for t, row in crossings.iterrows():
        pct = round(t * 100)
        items.append({"key": f"median_year_asic_{pct}pct", "label": f"Median year ASICs pass {pct}% of spend (none = not by 2030)",
                      "value": year_or_none(row["p50"]), "unit": "year",
                      "p5": year_or_none(row["p5"]), "p95": year_or_none(row["p95"])})
    return items


def observed_asic_share_range(ds: Dataset, p: dict, schema: dict[str, Parameter]) -> pd.DataFrame:
    """The ASIC share of the observed years' spend at the Trainium unit cost's sourced low, its value and its high:
    how far the observed share depends on the one price no source reports."""
    cost = schema["trainium_unit_cost_usd"]
    columns = {}
    for label, value in (("at_low_cost", cost.low), ("central", p["trainium_unit_cost_usd"]), ("at_high_cost", cost.high)):
        model = build_model(ds, {**p, "trainium_unit_cost_usd": value}, schema)
        n = len(model.observed.years)
        columns[label] = erosion.evaluate(model)["asic_spend_share"][0, :n]
    return pd.DataFrame({"year": model.observed.years, **columns}).dropna()

WHAT_IF_STEPS = {"trainium_ceiling": 5, "accelerator_share_of_capex": 5, "capex_growth_scale": 7}  # grid points


def what_if_axes(schema: dict[str, Parameter], p: dict) -> dict[str, list]:
    """The what-if grid's values per control, over each parameter's sourced (else allowed) range, with the run's
    own value."""
    return {name: what_if_values(schema[name], p[name], steps) for name, steps in WHAT_IF_STEPS.items()}


def what_if(ds: Dataset, p: dict, schema: dict[str, Parameter], axes: dict[str, list]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The central estimate (as in `run`: every other input at its median) over every combination of the parameter
    values in `axes`: (one row per grid point with Nvidia's revenue from AWS and the ASIC share of spend in
    2027-2030; one row per grid point and year with Nvidia's revenue). A name that is a forecast input of the model
    is varied in one vectorized evaluation; any other (e.g. capex_growth_scale) rebuilds the model per value."""
    model = build_model(ds, p, schema)
    inputs = [n for n in axes if n in model.point]
    rebuilt = [n for n in axes if n not in model.point]
    combos = list(itertools.product(*(axes[n] for n in inputs)))
    varied = {n: np.array([c[i] for c in combos], float) for i, n in enumerate(inputs)}
    points, lines = [], []
    for outer in itertools.product(*(axes[n] for n in rebuilt)):
        q = {**p, **dict(zip(rebuilt, outer))}
        model = build_model(ds, q, schema)
        paths = erosion.evaluate(model, {**erosion.medians(input_distributions(ds, q, schema, model)), **varied})
        outs = erosion.outcomes(paths, model.years)
        grid = pd.DataFrame({**dict(zip(rebuilt, outer)), **varied})[list(axes)]
        points.append(grid.assign(nvidia_revenue_2027_2030=outs["nvidia_revenue_2027_2030"],
                                  asic_spend_share_2027_2030=outs["asic_spend_share_2027_2030"]))
        revenue = paths["nvidia_revenue"]
        lines.append(pd.concat([grid.assign(year=y, nvidia_revenue=revenue[:, i]) for i, y in enumerate(model.years)]))
    return pd.concat(points, ignore_index=True), pd.concat(lines, ignore_index=True)
