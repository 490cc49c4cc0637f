"""Checks of section 3's model in the observed years: its accelerator spend and Nvidia revenue beside the widest band
Epoch AI's figures allow and Nvidia's Data Center revenue (`spend_check`), and how far the observed ASIC share
depends on the one price no primary source reports, Amazon's own unit cost (`observed_asic_share_range`).
"""
from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from analysis.models import erosion, fleet, observed
from analysis.models.forecast_result import CentralRun, Forecast
from analysis.models.observations import BILLION, nvidia_datacenter_by_year, observed_years, vendors
from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Parameter, Params


def spend_check(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast | CentralRun) -> pd.DataFrame:
    """Per observed year: the model's accelerator spend and Nvidia revenue (central, with the draws' 5th-95th
    percentiles) beside the widest band Epoch's figures allow (p5 units x low prices to p95 units x high prices,
    summed over chips; `nvidia_*` the incumbent's own) and Nvidia's Data Center revenue (Amazon's implied share of
    it)."""
    total, nv = epoch_bands(ds, p.trainium_unit_cost_usd)
    years = list(result.model.observed.years)
    c = result.central
    band = ({m: result.band(m) for m in ("accelerator_spend", "nvidia_revenue")} if isinstance(result, Forecast)
            else None)
    dc = nvidia_datacenter_by_year(ds).reindex(years)
    table = pd.DataFrame({
        "year": years, "model_accelerator_spend": c.loc[years, "accelerator_spend"].to_numpy(),
        "epoch_p5": total.loc[years, "p5"].to_numpy(), "epoch_p95": total.loc[years, "p95"].to_numpy(),
        "model_nvidia_revenue": c.loc[years, "nvidia_revenue"].to_numpy(),
        "nvidia_p5": nv.loc[years, "p5"].to_numpy(), "nvidia_p95": nv.loc[years, "p95"].to_numpy(),
        "nvidia_datacenter_revenue": dc.to_numpy(),
        "amazon_share_of_nvidia_dc": c.loc[years, "nvidia_revenue"].to_numpy() / dc.to_numpy()})
    if band is not None:
        for m, column in (("accelerator_spend", "model_accelerator_spend"), ("nvidia_revenue", "model_nvidia_revenue")):
            table[f"{column}_p5"] = band[m].loc[years, "p5"].to_numpy()
            table[f"{column}_p95"] = band[m].loc[years, "p95"].to_numpy()
    return table


@per_dataset
def epoch_bands(ds: Dataset, trainium_unit_cost_usd: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per year, the widest band of accelerator spend Epoch's figures allow (p5 units x low prices to p95 units x
    high prices, summed over chips; USD billion), all vendors' and the incumbent's own: it depends on the data and
    the one unit cost no primary source reports alone, so a sweep computes it once."""
    prices = fleet.unit_prices(ds, trainium_unit_cost_usd)
    spend = fleet.spend_by_chip(fleet.chip_additions(ds, "units"), prices)
    widest = fleet.yearly(spend, by="vendor").set_index(["year", "vendor"])[["p5", "p95"]] / BILLION
    incumbent = widest[widest.index.get_level_values("vendor") == fleet.incumbent_epoch_vendor(ds)]
    return widest.groupby("year").sum(), incumbent.droplevel("vendor")


def observed_asic_share_range(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> pd.DataFrame:
    """The ASIC share of the observed years' spend (central estimate) at the Trainium unit cost's sensitivity low,
    its value and its high: how far the observed share depends on the one price no primary source reports."""
    cost = schema["trainium_unit_cost_usd"]
    years = tuple(observed_years(ds, p))
    columns = {label: central_asic_spend_share(ds, float(cast(float, value)), int(p.random_seed), years)
               for label, value in (("at_low_cost", cost.low), ("central", p.trainium_unit_cost_usd),
                                    ("at_high_cost", cost.high))}
    return pd.DataFrame({"year": years, **columns}).dropna()


@per_dataset
def central_asic_spend_share(ds: Dataset, trainium_unit_cost_usd: float, seed: int,
                             years: tuple[int, ...]) -> np.ndarray:
    """The ASIC share of accelerator spend in `years`, central estimate (row 0 of the purchases priced at this unit
    cost: what the erosion model shows for those years); NaN where the data do not cover every vendor. It depends on
    the data and the one unit cost alone, so a sweep computes it once per cost."""
    pool = observed.draws(ds, trainium_unit_cost_usd, seed)
    cols = [pool.years.index(y) for y in years]
    vs = vendors(ds)
    shares = erosion.observed_shares({v.id: pool.spend[v.id][0, cols] for v in vs})
    return cast(np.ndarray, sum(shares[v.id] for v in vs if v.kind == "asic"))
