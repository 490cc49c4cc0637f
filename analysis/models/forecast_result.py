"""What a run of section 3's forecast returns (analysis.models.outlook.run), as frozen values, and its readers.

`Forecast` holds the model, the inputs' distributions, the central estimate, the Monte Carlo tables and kept draws, and
(when asked for) the `Sensitivity` of Nvidia's revenue to the inputs; a `CentralRun` holds a model and its central
estimate alone: what happened (every observable year at the data's central estimate), or the forecast's central path
without its draws; a `DrawnRun` the forecast's central path and kept draws without its tables. All are values: a
reader takes tables from them and never changes them (the memo hands every caller its own copy anyway:
analysis.data.memo). `by_year` turns a forecast into the machine-readable yearly outlook.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from analysis.models import erosion, erosion_outcomes, uncertainty
from analysis.models.horizons import Horizons, Thresholds, Window, percent, window_key

#: The distribution of one forecast input: the observed data's draw order, a sourced split distribution or a uniform.
InputSpec = erosion.ObservedIndex | uncertainty.SplitDistribution | uncertainty.Uniform


#: The outcomes summed (or, for the ASIC share of spend, averaged by spend) over a window (erosion_outcomes.outcomes).
WindowMetric = Literal["nvidia_revenue", "erosion", "erosion_same_compute", "accelerator_spend", "asic_spend_share"]
WINDOW_METRICS: tuple[WindowMetric, ...] = get_args(WindowMetric)


@dataclass(frozen=True)
class Outcomes:
    """The central estimate's scalar outcomes (None where undefined): each window metric over each window of the
    horizons, Nvidia's share of spend in the last year and the year from which ASICs stay above each threshold."""
    windows: Mapping[tuple[WindowMetric, Window], float | None]
    nvidia_spend_share_end: float | None
    stays_above: Mapping[float, float | None]

    def total(self, metric: WindowMetric, window: Window) -> float | None:
        """`metric` over `window` (a ValueError names a window the run did not sum over)."""
        if (metric, window) not in self.windows:
            raise ValueError(f"no outcome {metric} over {window}: the run's windows are "
                             f"{sorted({w for _, w in self.windows})}")
        return self.windows[(metric, window)]

    @staticmethod
    def of(values: Mapping[str, float | None], windows: tuple[Window, ...], end: int,
           thresholds: tuple[float, ...]) -> Outcomes:
        """From the named outcomes of erosion_outcomes.outcomes at the central estimate, over `windows` and to the
        last year `end`."""
        return Outcomes({(m, w): values[window_key(m, w)] for m in WINDOW_METRICS for w in windows},
                        values[f"nvidia_spend_share_{end}"],
                        {t: values[f"year_asic_stays_above_{percent(t)}pct"] for t in thresholds})


@dataclass(frozen=True)
class Sensitivity:
    """How Nvidia's revenue from AWS over the forecast window (analysis.models.horizons) depends on each input:
    a one-at-a-time tornado (erosion_sampling.tornado) and Sobol' indices (erosion_sampling.sobol_indices)."""
    tornado: pd.DataFrame
    sobol: pd.DataFrame


@dataclass(frozen=True)
class Forecast:
    """One run of the forecast: the model, the windows its outcomes sum over (`horizons`), the thresholds it reads
    (`levels`: the data's, analysis.models.horizons.thresholds), every input's distribution
    (`specs`), the central estimate (a table by year of every path at the inputs' medians) and its `summary` outcomes
    (`Outcomes`), the Monte Carlo's percentiles of outlook.BAND_METRICS by year (`percentiles`: metric, year,
    p5..p95), outcomes (`outcomes`), threshold probabilities per year (`thresholds`) and 'stays above' years
    (`stays_above`), the kept per-year draws (`draws`: outlook.SCORED_METRICS), and `sensitivity` when the run computed
    it."""
    model: erosion.Model
    horizons: Horizons
    levels: Thresholds
    specs: Mapping[str, InputSpec]
    central: pd.DataFrame
    summary: Outcomes
    percentiles: pd.DataFrame
    outcomes: pd.DataFrame
    thresholds: pd.DataFrame
    stays_above: pd.DataFrame
    draws: Mapping[str, np.ndarray]
    sensitivity: Sensitivity | None = None

    def band(self, metric: str) -> pd.DataFrame:
        """The Monte Carlo percentiles (p5..p95 columns) of one per-year `metric`, by year."""
        pct = self.percentiles
        return pct[pct["metric"] == metric].set_index("year")[[f"p{q}" for q in erosion_outcomes.PERCENTILES]]

    def ranked(self) -> Sensitivity:
        """The sensitivity part; a ValueError for a run made with `sensitivity=False`."""
        if self.sensitivity is None:
            raise ValueError("this forecast was run without its sensitivity analysis (sensitivity=False)")
        return self.sensitivity


@dataclass(frozen=True)
class CentralRun:
    """A model and its central estimate by year, no draws: what happened (`outlook.observed_run`, every observable
    year observed) or the forecast's central path (`outlook.central_run`)."""
    model: erosion.Model
    central: pd.DataFrame


@dataclass(frozen=True)
class DrawnRun:
    """A forecast's model, central estimate by year and kept draws (`outlook.SCORED_METRICS`), without its Monte Carlo
    tables: what a hindcast scores (`outlook.drawn_run`)."""
    model: erosion.Model
    central: pd.DataFrame
    draws: Mapping[str, np.ndarray]


def by_year(result: Forecast) -> pd.DataFrame:
    """One row per year (observed and forecast): the central estimate with p5/p25/p50/p75/p95 over the draws
    (observed years carry the data's own band) of Nvidia revenue, the ASIC spend share and the ASIC compute share, and
    P(ASIC share of spend > each threshold, `levels`) — the machine-readable outlook, `erosion_by_year.csv`."""
    c = result.central
    observed_years = set(result.model.observed.years)
    table = pd.DataFrame({
        "year": c.index, "observed": [y in observed_years for y in c.index],
        "accelerator_spend_usd_b": c["accelerator_spend"].to_numpy(),
        "nvidia_revenue_usd_b": c["nvidia_revenue"].to_numpy(),
        "nvidia_spend_share": c["nvidia_spend_share"].to_numpy(), "asic_spend_share": c["asic_spend_share"].to_numpy(),
        "asic_compute_share": c["asic_compute_share"].to_numpy(),
        "trainium_compute_share": c["compute_share_trainium"].to_numpy(),
        "erosion_same_budget_usd_b": c["erosion"].to_numpy(),
        "erosion_same_compute_usd_b": c["erosion_same_compute"].to_numpy()})
    for metric, column in (("nvidia_revenue", "nvidia_revenue_usd_b"), ("asic_spend_share", "asic_spend_share"),
                           ("asic_compute_share", "asic_compute_share")):
        band = result.band(metric)
        for q in erosion_outcomes.PERCENTILES:
            table[f"{column}_p{q}"] = band[f"p{q}"].to_numpy()
    probs = result.thresholds.pivot(index="year", columns="threshold", values="probability")
    for t in result.levels.shares:
        table[f"p_asic_spend_share_above_{percent(t)}pct"] = probs[t].reindex(c.index).to_numpy()
    return table
