"""What an H100-hour rents for over time: the public rental-price history and its fitted decline, the market rent a
committed hour realizes, the contract mix, and the landlord's monthly price path at list or realized prices."""
from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.models import finance
from analysis.models.h100 import capacity_block_end, last_observed_month, landlord_chip, p5_rates, price_cut_month

#: The landlord's two price bases: list prices (committed hours at list x (1 - committed_discount): a ceiling) and
#: realized prices (committed hours, and Capacity Block hours once its rate lapsed, at the public market rent).
LIST, REALIZED = "list prices (a ceiling)", "realized prices"
#: rental_prices.csv bases whose rows make the market rent a committed GPU-hour realizes (not hyperscaler list prices).
MARKET_BASES = ("market", "contract")

#: The prices a hyperscaler's own path follows: its list prices and contract prices (not neocloud market rents).
DECLINE_BASES = ("hyperscaler list", "contract")


@per_dataset
def rental_history(ds: Dataset) -> pd.DataFrame:
    """Public H100 rental prices (rental_prices.csv) with `year` = decimal year at mid-month."""
    h = ds["rental_prices"]
    h = h[h["chip_id"] == landlord_chip(ds)]
    month = pd.PeriodIndex(h["month"], freq="M")
    return h.assign(year=month.year + (month.month - 0.5) / 12).sort_values(["month", "series"]).reset_index(drop=True)


@per_dataset
def history_decline(ds: Dataset, bases: tuple[str, ...] = DECLINE_BASES) -> float:
    """Annual decline fitted to the rental-price history of the given `bases` (rental_prices.csv column basis), one
    price level per basis and one common slope (finance.fitted_annual_decline): with the default bases, the
    parameter rental_price_decline_per_year's default; with every basis, its high (the market-wide fit)."""
    h = rental_history(ds)
    h = h[h["basis"].isin(bases)]
    return finance.fitted_annual_decline(h["year"], h["usd_per_hour"], h["basis"])


@per_dataset
def market_rent_observed(ds: Dataset) -> pd.Series:
    """Public market rent per H100-hour by observed month: the geometric mean of that month's market and contract
    rows in rental_prices.csv (neocloud on-demand medians, launch and peak rents, 1-year contract index)."""
    h = rental_history(ds)
    h = h[h["basis"].isin(MARKET_BASES)]
    return cast(pd.Series, np.exp(np.log(h["usd_per_hour"]).groupby(h["month"]).mean()))


def _month_number(months: pd.PeriodIndex) -> np.ndarray:
    """year x 12 + month - 1 of each month (from the monthly ordinals, which count months from January 1970)."""
    return np.asarray(pd.PeriodIndex(months, freq="M").asi8 + 12 * 1970, float)


@per_dataset
def _observed_log_rent(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """market_rent_observed as arrays: month numbers and log rents."""
    observed = market_rent_observed(ds)
    return _month_number(pd.PeriodIndex(observed.index, freq="M")), np.log(observed.to_numpy(float))


def _per_draw(x: finance.Values) -> np.ndarray:
    """A parameter value as an array that broadcasts against a monthly path: one row per draw when it is an array."""
    a = np.asarray(x, float)
    return a[..., None] if a.ndim else a


def market_rent(ds: Dataset, months: pd.PeriodIndex, decline: finance.Values) -> np.ndarray:
    """The market rent in each of `months`: log-linear between observed months (market_rent_observed), the first
    observation before it, then x (1 - decline) per year after the last observed month (`decline` may be one value
    per draw: the result then has one row per draw)."""
    at, log_rent = _observed_log_rent(ds)
    t = _month_number(months)
    level = np.exp(np.interp(t, at, log_rent))
    return level * finance.decline_factors(t - at[-1], _per_draw(decline))


def mix_price(on_demand: finance.Values, capacity_block: finance.Values, committed: finance.Values,
              capacity_block_in_force: finance.Values, on_demand_share: finance.Values,
              capacity_block_share: finance.Values) -> finance.Result:
    """Revenue per rented GPU-hour over the contract mix: on-demand share x on-demand rate + Capacity Block share x
    the Capacity Block rate while it is in force (afterwards those hours earn the committed rate) + the rest x the
    committed rate. Rates broadcast over months, shares over draws (numpy arrays)."""
    od, cb = (np.asarray(share, float) for share in (on_demand_share, capacity_block_share))
    od, cb = (share[..., None] if share.ndim else share for share in (od, cb))     # one row per draw
    committed = np.asarray(committed, float)
    block = np.where(capacity_block_in_force, capacity_block, committed)
    return (od * np.asarray(on_demand, float) + cb * block + (1 - od - cb) * committed)[()]


def blended_price(on_demand: finance.Values, capacity_block: float, p: Params) -> finance.Result:
    """Revenue per rented GPU-hour at list prices with the Capacity Block rate in force: on-demand share x
    on-demand + capacity-block share x capacity-block rate + the rest (committed use) x on-demand x (1 - committed
    discount)."""
    on_demand = np.asarray(on_demand, float)
    return mix_price(on_demand, capacity_block, on_demand * (1 - p.committed_discount), True,
                     p.on_demand_usage_share, p.capacity_block_usage_share)


def price_path(ds: Dataset, months: pd.PeriodIndex, p: Params, basis: str) -> tuple[np.ndarray, np.ndarray]:
    """The on-demand list price and the revenue per sold GPU-hour in each of `months`. On-demand: p5's observed list
    prices (pre-cut before the cut month, post-cut from it) to the last observed month, then x (1 -
    rental_price_decline_per_year) per year. Revenue: the contract mix (mix_price) of on-demand, the Capacity Block
    rate while in force and the committed rate, which is list x (1 - committed_discount) at LIST and the market rent
    (market_rent) at REALIZED. Arrays in `p` (shares, decline, discount) give one row per draw."""
    month = pd.PeriodIndex(months, freq="M").asi8           # monthly ordinals: compared and subtracted as months
    cut, last, block_end = (m.ordinal for m in (price_cut_month(ds), last_observed_month(ds), capacity_block_end(ds)))
    rates = p5_rates(ds)
    listed = np.where(month < cut, rates["on-demand, pre-cut"], rates["on-demand, post-cut"])
    on_demand = listed * finance.decline_factors(np.arange(len(months)) + (month[0] - last),
                                                 _per_draw(p.rental_price_decline_per_year))
    committed = (on_demand * (1 - _per_draw(p.committed_discount)) if basis == LIST
                 else market_rent(ds, months, p.rental_price_decline_per_year))
    return on_demand, mix_price(on_demand, rates["Capacity Blocks"], committed, month < block_end,
                                p.on_demand_usage_share, p.capacity_block_usage_share)
