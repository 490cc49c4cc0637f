"""Is the forecast's stated uncertainty honest? Rolling-origin hindcasts, scored against what happened.

Two sets of cases, each using only what was known at its origin:

* `model`: the forecast itself (analysis.models.outlook) from every origin the data allow — a last observed year with the
  capex outlook of the February after it (data/capex_outlook.csv vintage `YYYY-02`) — for each quantity family and
  every later observed year. The outcome of a chip quantity is itself an estimate (Epoch AI's chip counts x prices,
  with Trainium's unit cost unknown): the forecast's draws are combined with the outcome's measurement band (a
  forecast of what the data show, in log space for amounts and log-odds for shares); capex (filings) is exact.
* `capex_history`: Amazon's capex one and two years ahead from every origin of its filings with at least two growth
  moves before it, the central path its mean log growth up to the origin and the spread its standard deviation up
  to the origin, as the same Student-t predictive the model uses (analysis.models.volatility) — an out-of-sample test of
  the spread the model gives capex.

Scores: whether the central 50% and 90% intervals held the outcome, whether a miss was above or below, and the CRPS
(analysis.models.scoring; in the quantity's unit, lower is better). The bands are never fitted to these outcomes.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import special

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Parameter, Params
from analysis.models import erosion, erosion_sampling, observations, outlook, scoring, volatility

#: (metric, family label, unit, space of its measurement band) of the model's scored quantities.
FAMILIES = (("capex", "Amazon gross capex", "USD_billion", None),
            ("accelerator_spend", "Accelerator purchases", "USD_billion", "log"),
            ("nvidia_revenue", "Nvidia revenue from AWS", "USD_billion", "log"),
            ("compute_share_trainium", "Trainium share of compute added", "fraction", "logit"),
            ("asic_spend_share", "ASIC share of accelerator spend", "fraction", "logit"))
#: central intervals scored: name -> (lower, upper) percentiles
INTERVALS = {"50": (25.0, 75.0), "90": (5.0, 95.0)}
SPACES = {"log": (np.log, np.exp), "logit": (special.logit, special.expit)}
HISTORY_HORIZONS = (1, 2)
HISTORY_DRAWS = 10_000
#: pandas-stubs types an `itertuples()` row's fields as any scalar; the tables here are built by this module.
Rows = Iterable[Any]


def origin_years(ds: Dataset, schema: dict[str, Parameter]) -> list[int]:
    """The years a hindcast forecasts from: each observable year from `observed_through`'s minimum, before the last."""
    return [y for y in observations.observable_years(ds) if y >= cast(float, schema["observed_through"].minimum)][:-1]


def origins(ds: Dataset, base_p: Params, schema: dict[str, Parameter]) -> dict[int, Params]:
    """Rolling origins: each observable year before the last with a capex outlook of the February after it, with the
    run's parameters (the model's priors) and that February's outlook. An origin the parameters do not allow
    (`observed_through` below its minimum, a vintage not among `capex_outlook_vintage`'s choices) is left out: the
    end-2022 origin has no observed move of the chips' share of capex to measure its spread on. The ceilings'
    reference class (Google's TPU shares, data/parameters.csv) includes years after an early origin: stated, a small
    difference (0.68 in 2023 against the 0.72 used)."""
    vintages = set(ds["capex_outlook"]["vintage"]) & set(schema["capex_outlook_vintage"].choices or ())
    return {y: base_p.replace(observed_through=y, capex_outlook_vintage=f"{y + 1}-02")
            for y in origin_years(ds, schema) if f"{y + 1}-02" in vintages}


def _measurement(ds: Dataset, base_p: Params, schema: dict[str, Parameter], n: int) -> tuple[dict, list[int]]:
    """Draws of each observed year's value of every family's metric, as the data measure it (every observable year
    observed; Epoch's unit bands, chip prices and Trainium's unit cost drawn), row 0 the central estimate."""
    last = int(observations.observable_years(ds)[-1])
    p = base_p.replace(observed_through=last)
    model = outlook.build_model(ds, p, schema)
    specs = outlook.input_distributions(ds, p, schema, model)
    drawn = {k: specs[k] for k in (erosion.OBSERVED_INPUT,
                                   *(f"{v}_{observations.UNIT_COST}" for v in model.observed.priced_at))}
    inputs = erosion_sampling.sample_inputs(drawn, n, p.random_seed + 1)
    central = erosion.evaluate(model)
    paths = erosion.evaluate(model, inputs)
    n_observed = len(model.observed.years)
    return ({m: np.vstack([central[m][:1, :n_observed], paths[m][:, :n_observed]]) for m, *_ in FAMILIES},
            list(model.observed.years))


def model_cases(ds: Dataset, base_p: Params, schema: dict[str, Parameter]) -> pd.DataFrame:
    """One row per origin, family and later observed year: the forecast's central estimate, its 25th/75th and
    5th/95th percentiles of what the data would show, the outcome (the data's central estimate), the error, whether
    each interval held it, the side of a miss and the CRPS."""
    truth, years = _measurement(ds, base_p, schema, int(base_p.mc_draws))
    rows = []
    for origin, p in origins(ds, base_p, schema).items():
        result = outlook.drawn_run(ds, p, schema)
        f_years = list(result.model.years)
        for metric, label, unit, space in FAMILIES:
            for year in (y for y in years if y > origin):
                outcome = float(truth[metric][0, years.index(year)])
                draws = result.draws[metric][:, f_years.index(year)]
                if np.isnan(outcome) or np.isnan(draws).all():
                    continue
                if space is not None:             # the outcome's own measurement error, added in its space
                    forward, back = SPACES[space]
                    noise = forward(truth[metric][1:, years.index(year)]) - forward(outcome)
                    with np.errstate(divide="ignore"):        # a draw at 0 (or a share at 1) stays there
                        draws = back(forward(draws) + noise[np.arange(draws.size) % noise.size])
                rows.append(_row("model", origin, metric, label, unit, int(year), float(result.central[metric].loc[year]),
                                 draws, outcome))
    return pd.DataFrame(rows)


@per_dataset
def capex_history_cases(ds: Dataset) -> pd.DataFrame:
    """Amazon's capex forecast from its own history at every origin with two or more growth moves before it: one
    and two years ahead, lognormal with the history's mean log growth and spread up to the origin (data only: once
    per dataset)."""
    capex = observations.annual_capex(ds) / 1e3
    z = special.ndtri((np.arange(HISTORY_DRAWS) + 0.5) / HISTORY_DRAWS)      # fixed normal quantiles: no seed
    rows = []
    for origin in capex.index:
        history = capex[capex.index <= origin]
        if len(history) < 3 or history.index[-1] - history.index[0] != len(history) - 1:
            continue
        spread = volatility.capex_growth(capex, int(origin))
        mean = float(np.log(history).diff().mean())
        for h in HISTORY_HORIZONS:
            if origin + h not in capex.index:
                continue
            draws = history.iloc[-1] * np.exp(h * mean + spread.predictive_sd(h) * z)
            rows.append(_row("capex_history", int(origin), "capex", "Amazon gross capex", "USD_billion", int(origin + h),
                             float(history.iloc[-1] * np.exp(h * mean)), draws, float(capex[origin + h])))
    return pd.DataFrame(rows)


def _row(case_set: str, origin: int, metric: str, label: str, unit: str, year: int, forecast: float,
         draws: np.ndarray, outcome: float) -> dict:
    q = {k: float(v) for k, v in zip(("p5", "p25", "p75", "p95"), np.percentile(draws, [5, 25, 75, 95]))}
    row = {"case_set": case_set, "origin": origin, "quantity": label, "metric": metric, "unit": unit, "year": year,
           "horizon": year - origin, "forecast": forecast, **q, "outcome": outcome, "error": forecast - outcome}
    for name, (lo, hi) in INTERVALS.items():
        row[f"inside_{name}"] = scoring.covers(q[f"p{lo:.0f}"], q[f"p{hi:.0f}"], outcome)
    row["miss"] = "" if row["inside_90"] else ("above" if outcome > q["p95"] else "below")
    row["crps"] = scoring.crps_draws(draws, outcome)
    return row


def cases(ds: Dataset, base_p: Params, schema: dict[str, Parameter]) -> pd.DataFrame:
    """Every hindcast case: the model's, then capex from its history."""
    return pd.concat([model_cases(ds, base_p, schema), capex_history_cases(ds)], ignore_index=True)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Calibration per case set and origin, per case set and family, per case set, and over all cases: outcomes,
    independent outcomes, the share inside the 50% and 90% intervals, misses of the 90% interval above and below,
    and the mean CRPS (per family only: units differ). The model's families from one origin share their inputs, so
    they count as one independent outcome per origin and year; capex history's years are independent (its growth
    surprises are uncorrelated, analysis.models.volatility)."""
    groups = [("origin", ["case_set", "origin"]), ("family", ["case_set", "quantity"]), ("case set", ["case_set"])]
    rows = []
    for level, keys in groups:
        for key, g in table.groupby(keys, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            rows.append({"level": level, **dict(zip(keys, key)), **_stats(g),
                         "mean_crps": float(g["crps"].mean()) if level == "family" else np.nan,
                         "unit": g["unit"].iloc[0] if level == "family" else ""})
    rows.append({"level": "all", "case_set": "all", **_stats(table), "mean_crps": np.nan, "unit": ""})
    return pd.DataFrame(rows).astype({"origin": "Int64"})[["level", "case_set", "origin", "quantity", "outcomes", "independent", "inside_50",
                               "inside_90", "misses_above", "misses_below", "mean_crps", "unit"]]


def by_owner(table: pd.DataFrame, skipped: Iterable[tuple[str, int]], owners: Iterable[str]) -> pd.DataFrame:
    """Coverage per owner (`table` holds an `owner` column): its outcomes, independent outcomes, the share inside the
    central 50% and 90% intervals, misses on each side, the origins scored and those left out (`skipped`: (owner,
    origin) pairs with no spread to draw with). Every owner in `owners` has a row, one with no case shows none."""
    rows = []
    left = pd.DataFrame(list(skipped), columns=["owner", "origin"])
    for owner in owners:
        g = table[table["owner"] == owner]
        stats = _stats(g) if len(g) else {"outcomes": 0, "independent": 0, "inside_50": np.nan, "inside_90": np.nan,
                                          "misses_above": 0, "misses_below": 0}
        rows.append({"owner": owner, "case_sets": ", ".join(dict.fromkeys(g["case_set"])), **stats,
                     "origins": ", ".join(map(str, sorted({int(o) for o in g["origin"]}))),
                     "left_out": ", ".join(map(str, sorted(left.loc[left["owner"] == owner, "origin"].astype(int))))})
    return pd.DataFrame(rows)


def _stats(g: pd.DataFrame) -> dict:
    model = (g["case_set"] == "model").to_numpy()
    independent = (len(set(zip(g["origin"].to_numpy()[model].tolist(), g["year"].to_numpy()[model].tolist())))
                   + int((~model).sum()))
    return {"outcomes": len(g), "independent": independent, "inside_50": float(g["inside_50"].mean()),
            "inside_90": float(g["inside_90"].mean()), "misses_above": int((g["miss"] == "above").sum()),
            "misses_below": int((g["miss"] == "below").sum())}
