"""Cross-check panel: the report's numbers beside published third-party figures (data/cross_checks.csv)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from analysis.data import Dataset
from analysis.data.params import Parameter, Params
from analysis.models.forecast_result import CentralRun, Forecast


def panel(published: pd.DataFrame, ours: Mapping[str, float]) -> pd.DataFrame:
    """One row per published figure: our value for the metric it `compares_with`, theirs, the ratio
    ours/theirs, the fold difference (ratio or its inverse, whichever is at least 1) and why they differ.

    Every `compares_with` key needs a value of ours and every key of ours must match a row: a typo
    fails loudly instead of dropping a comparison. Pass a subset of rows to compare fewer figures.
    """
    keys = set(published["compares_with"])
    unknown, missing = sorted(set(ours) - keys), sorted(keys - set(ours))
    if unknown:
        raise KeyError(f"no published figure compares with {unknown}")
    if missing:
        raise KeyError(f"no value of ours for {missing}")
    values = published["compares_with"].map(ours).astype(float)
    bad = published.loc[~(np.isfinite(values) & (values > 0)), "compares_with"].tolist()
    if bad:
        raise ValueError(f"our values must be finite and positive to form a ratio: {bad}")
    ratio = values / published["published_value"]
    return pd.DataFrame({
        "check_id": published["check_id"], "description": published["description"],
        "compares_with": published["compares_with"], "unit": published["unit"],
        "ours": values, "theirs": published["published_value"], "ratio": ratio,
        "fold": np.maximum(ratio, 1 / ratio), "basis": published["basis"],
        "why_they_differ": published["why_they_differ"],
        "source_id": published["source_id"],
    }).reset_index(drop=True)


def comparable(published: pd.DataFrame, ours: Mapping[str, float]) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """The published rows and our values that can form a ratio (ours finite and positive), and the descriptions of
    those left out: at some parameter values a figure of ours is zero (no AI share of capex: no funnel count)."""
    usable = {k: v for k, v in ours.items() if np.isfinite(v) and v > 0}
    kept = published["compares_with"].isin(list(usable))
    return published[kept], usable, published.loc[~kept, "description"].tolist()


AGREEMENT_FOLD = 1.25   # "agree": within 25% either way


@dataclass(frozen=True)
class Agreement:
    """The panel's counts: independent, comparable figures that `agree` within 25% out of `independent`; the
    `consistency` checks and the `not_comparable` rows, counted apart."""
    agree: int
    independent: int
    consistency: int
    not_comparable: int


def agreement(table: pd.DataFrame) -> Agreement:
    """How many independent, comparable figures agree within 25%, out of how many; consistency checks (compared with
    the report's own input) and figures of another scope or definition are counted apart, never as agreement."""
    independent = table[table["basis"] == "independent"]
    return Agreement(agree=int((independent["fold"] <= AGREEMENT_FOLD).sum()), independent=len(independent),
                     consistency=int((table["basis"] == "consistency").sum()),
                     not_comparable=int((table["basis"] == "not comparable").sum()))


def largest_disagreement(table: pd.DataFrame) -> pd.Series:
    """The panel row whose two figures are furthest apart (largest fold difference)."""
    return cast(pd.Series, table.loc[cast(int, table["fold"].idxmax())])   # one row: the panel's rows are numbered


FOUR_YEARS_MONTHS = 48
#: Sequoia's rule: $1 of GPU spend needs $1 more of energy and buildings, and the end user a 50% gross margin.
SEQUOIA_ENERGY_AND_BUILDINGS = 2.0
SEQUOIA_END_USER_MARGIN = 2.0


#: The source of the published H100 cluster cost sheet (cross_checks.csv h100-cluster-capex-per-gpu).
COST_SHEET = "h100-cluster-cost-sheet"


def our_values(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast | CentralRun) -> dict[str, float]:
    """The report's figure for each `compares_with` key of data/cross_checks.csv, computed by the section
    pipelines (`result` = section 3's forecast, `outlook.run`, or its central path alone, `outlook.central_run`).
    Landlord figures use the first case (bought at launch prices) unless the published figure is dated at another
    time, as each line says."""
    # the models this panel draws on
    from analysis.models import capex, fleet, finance, h100, landlord, observations, rent

    launch, at_cut = landlord.landlord_cases(ds, p)
    revenue_4y = float(finance.HOURS_PER_MONTH * launch.utilization * launch.price[:FOUR_YEARS_MONTHS].sum())
    gpu_price = h100.h100_price(ds, launch.start.year)
    cut = landlord.landlord_outcomes([at_cut]).iloc[0]
    life_revenue = finance.HOURS_PER_MONTH * at_cut.utilization * at_cut.price[:at_cut.life_months].sum()
    rates = h100.p5_rates(ds)
    central = result.central
    purchases = observations.observed_purchases(ds, p)
    last = result.model.observed.years[-1]
    funnel = capex.funnel(ds, p)
    values = {
        # Nvidia's claim: rent earned over four years per dollar of Nvidia hardware (the GPU price alone).
        "rental_revenue_per_hardware_dollar_4y": revenue_4y / gpu_price,
        # Sequoia's arithmetic applied to Amazon: its latest observed accelerator spend x 2 x 2 (USD million).
        "ai_revenue_needed_usd_million": float(central["accelerator_spend"].loc[last]) * 1e3
        * SEQUOIA_ENERGY_AND_BUILDINGS * SEQUOIA_END_USER_MARGIN,
        # Revenue the landlord needs over the life (break-even price path) per dollar of GPU, bought at the cut, with
        # Sequoia's end-user margin applied as Cahn does (his x4 includes it).
        "revenue_needed_per_gpu_dollar": float(cut["breakeven_price_scale"] * life_revenue
                                               / h100.h100_price(ds, at_cut.start.year)) * SEQUOIA_END_USER_MARGIN,
        "aws_cost_per_h100_hour": float(cast(float, landlord.cost_per_gpu_hour(at_cut).set_index("component")
                                             .loc["total", "full_use"])),
        "breakeven_price_after_cut": float(cut["breakeven_price_scale"] * cut["mean_price"]),
        # The published cost sheet is dated (its source's date): the all-in capex at Epoch's H100 price of that year.
        "capex_per_h100_usd": float(fleet.all_in_capex(ds, h100.h100_price(ds, fleet.published_year(ds, COST_SHEET)),
                                                       p)),
        "landlord_mean_price_before_cut": float(rent.blended_price(rates["on-demand, pre-cut"],
                                                                   rates["Capacity Blocks"], p)),
        "rental_revenue_per_h100_4y": revenue_4y,
    }
    # Figures of one year: those of the years a published figure names (its `compares_with` key ends in the year).
    yearly = {**{f"asic_share_of_amazon_spend_{y}": float(v) for y, v in central["asic_spend_share"].items()},
              **{f"trainium_compute_share_{y}": float(v) for y, v in central["compute_share_trainium"].items()},
              **{f"amazon_accelerators_added_{y}": float(units)
                 for y, units in purchases.groupby("year")["units"].sum().items()},
              # The capex funnel's count (the essay's split carried forward), its four quarters of each year.
              **{f"funnel_accelerators_added_{year}":
                 float(funnel.loc[funnel.index.str.startswith(year), "accelerators"].sum())
                 for year in dict.fromkeys(funnel.index.str[:4])}}
    published = set(ds["cross_checks"]["compares_with"])
    return values | {key: value for key, value in yearly.items() if key in published}
