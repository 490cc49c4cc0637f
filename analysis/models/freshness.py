"""Which data series are stale relative to the report's as-of date (latest point more than two quarters older)."""
from __future__ import annotations

from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import quarter_of
from analysis.data.vocab import REPORT_OWNER

MAX_QUARTERS_BEHIND = 2


def quarter_index(label: str) -> int:
    """YYYYQn as a running quarter count, so that differences are numbers of quarters."""
    return int(label[:4]) * 4 + int(label[-1]) - 1


@per_dataset
def latest_points(ds: Dataset) -> pd.DataFrame:
    """The latest quarter of every quarterly series in the data (once per dataset)."""
    fin = ds["financials"]
    fin = fin[fin["fiscal_period"].str.contains("Q")]
    fin = fin.assign(series=fin["company"] + " " + fin["metric"].str.replace("_", " "),     # "AWS operating income"
                     quarter=fin["period_end"].map(quarter_of))
    fleet = ds["epoch_fleet"]
    fleet = fleet[(fleet["incomplete"] == "false") & (fleet["owner"] == REPORT_OWNER)]
    chips = fleet["vendor"].replace({"Amazon": "Trainium", "Nvidia": "Nvidia GPUs"})
    fleet = fleet.assign(series="Epoch AI estimate of Amazon's " + chips + " additions (" + fleet["measure"] + ")")
    both = pd.concat([fin[["series", "quarter"]], fleet[["series", "quarter"]]])
    latest = cast(pd.DataFrame, both.groupby("series", as_index=False)["quarter"].max())   # as_index=False: a frame
    return latest.rename(columns={"quarter": "latest"})


def stale_series(ds: Dataset, as_of: str) -> pd.DataFrame:
    """Series whose latest point is more than MAX_QUARTERS_BEHIND quarters before the as-of quarter."""
    latest = latest_points(ds)
    behind = quarter_index(quarter_of(as_of)) - latest["latest"].map(quarter_index)
    latest = latest.assign(quarters_behind=behind)
    return latest[latest["quarters_behind"] > MAX_QUARTERS_BEHIND].reset_index(drop=True)
