"""Section 3's forecast at other parameter values: each named scenario's run (`scenario_table`) and the what-if
grid of the central estimate over three controls (`what_if_axes`, `what_if`), which the page lets a reader move.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis.models import erosion, erosion_outcomes, erosion_sampling
from analysis.models.horizons import horizons, percent, window_key
from analysis.models.outlook import build_model, input_distributions, run
from analysis.data import Dataset
from analysis.data.grids import what_if_values
from analysis.data.params import Parameter, Params


def scenario_table(ds: Dataset, scenario_params: dict[str, Params],
                   schema: dict[str, Parameter]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each named scenario's central estimate and threshold probabilities: (one row per scenario; yearly central
    paths, tidy)."""
    rows, yearly = [], []
    for name, p in scenario_params.items():
        result = run(ds, p, schema, sensitivity=False)
        s = result.summary
        probs = result.thresholds.set_index(["threshold", "year"])["probability"]
        stays = result.stays_above.set_index("threshold")
        h = result.horizons
        totals = {window_key(m, w): s.total(m, w)
                  for m in ("nvidia_revenue", "asic_spend_share") for w in (h.near, h.long)}
        rows.append({"scenario": name, **totals, f"nvidia_spend_share_{h.end}": s.nvidia_spend_share_end,
                     **{f"p_asic_above_{percent(t)}pct_{y}": probs[(t, y)]
                        for t in result.levels.shares for y in dict.fromkeys((h.long[0], h.end))},
                     **{f"median_year_asic_stays_above_{percent(t)}pct": stays["p50"].loc[t]
                        for t in result.levels.shares}})
        c = result.central
        yearly.append(pd.DataFrame({"scenario": name, "year": c.index, "nvidia_revenue": c["nvidia_revenue"].to_numpy(),
                                    "asic_spend_share": c["asic_spend_share"].to_numpy()}))
    return pd.DataFrame(rows), pd.concat(yearly, ignore_index=True)


WHAT_IF_STEPS = {"trainium_ceiling": 5, "accelerator_share_change": 5, "capex_growth_scale": 7}  # grid points


def what_if_axes(schema: dict[str, Parameter], p: Params) -> dict[str, list]:
    """The what-if grid's values per control, over each parameter's sourced (else allowed) range, with the run's
    own value."""
    return {name: what_if_values(schema[name], p[name], steps) for name, steps in WHAT_IF_STEPS.items()}


def what_if(ds: Dataset, p: Params, schema: dict[str, Parameter],
            axes: dict[str, list]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The central estimate (as in `run`: every other input at its median) over every combination of the parameter
    values in `axes`: (one row per grid point with Nvidia's revenue from AWS and the ASIC share of spend over the
    long-term window (analysis.models.horizons); one row per grid point and year with Nvidia's revenue). A name that
    is a forecast input of the model is varied in one vectorized evaluation; any other (e.g. capex_growth_scale)
    rebuilds the model per value."""
    model = build_model(ds, p, schema)
    long_term = horizons(ds).long
    keys = [window_key(m, long_term) for m in ("nvidia_revenue", "asic_spend_share")]
    inputs = [n for n in axes if n in model.point]
    rebuilt = [n for n in axes if n not in model.point]
    combos = list(itertools.product(*(axes[n] for n in inputs)))
    varied = {n: np.array([c[i] for c in combos], float) for i, n in enumerate(inputs)}
    points, lines = [], []
    for outer in itertools.product(*(axes[n] for n in rebuilt)):
        q = p.replace(**dict(zip(rebuilt, outer)))
        model = build_model(ds, q, schema)
        paths = erosion.evaluate(model, {**erosion_sampling.medians(input_distributions(ds, q, schema, model)),
                                         **varied})
        outs = erosion_outcomes.outcomes(paths, model.years, [long_term])
        grid = pd.DataFrame({**dict(zip(rebuilt, outer)), **varied})[list(axes)]
        points.append(grid.assign(**{key: outs[key] for key in keys}))
        years = np.asarray(model.years)       # the grid once per year, year by year
        lines.append(grid.iloc[np.tile(np.arange(len(grid)), len(years))].assign(
            year=np.repeat(years, len(grid)), nvidia_revenue=paths["nvidia_revenue"].T.reshape(-1)))
    return pd.concat(points, ignore_index=True), pd.concat(lines, ignore_index=True)
