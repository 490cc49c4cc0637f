"""Epoch AI's estimates of Amazon's accelerator fleet: additions per quarter and per year, by vendor."""
from __future__ import annotations

import pandas as pd

from analysis.data import Dataset

BANDS = ["median", "p5", "p95"]


def additions(ds: Dataset, measure: str, by: str = "vendor", complete_only: bool = True) -> pd.DataFrame:
    """Quarterly additions of `measure` (units, h100e or tdp) summed over chips within `by`.

    Epoch publishes percentiles per chip; summing p5 (or p95) across chips gives a band wider than the
    true band of the sum (it assumes perfectly correlated errors), so treat summed bands as conservative.
    """
    fleet = ds["epoch_fleet"]
    fleet = fleet[(fleet["owner"] == "Amazon") & (fleet["measure"] == measure)]
    if complete_only:
        fleet = fleet[fleet["incomplete"] == "false"]
    out = fleet.groupby(["quarter", by], as_index=False)[BANDS].sum()
    return out.assign(source_id="epoch-ai-chip-counts")


def yearly(quarterly: pd.DataFrame, by: str = "vendor") -> pd.DataFrame:
    """Quarterly additions summed to calendar years."""
    frame = quarterly.assign(year=quarterly["quarter"].str[:4].astype(int))
    return frame.groupby(["year", by], as_index=False)[BANDS].sum()
