"""What the erosion model's paths say (analysis.models.erosion.evaluate): per draw, sums over the windows of
analysis.models.horizons, the ASIC spend share over each window and the year from which ASICs stay above each threshold
(`outcomes`), and over the draws the probability of each threshold per year, the 'stays above' years, the yearly
percentiles and the outcomes' percentiles. Thresholds are probabilities over the draws, observed and forecast years
alike; which thresholds is the data's (analysis.models.horizons.thresholds), never typed here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.models.horizons import Window, percent, window_key

PERCENTILES = (5, 25, 50, 75, 95)   # the 90% and 50% intervals and the median
#: Calendar years, one per column of a path.
Years = Sequence[int] | np.ndarray


def window_sum(paths: Mapping[str, np.ndarray], years: Years, metric: str, lo: int, hi: int) -> np.ndarray:
    """Sum of `metric` over the years lo..hi, per draw."""
    years = np.asarray(years)
    mask = (years >= lo) & (years <= hi)
    if mask.sum() != hi - lo + 1:
        raise ValueError(f"window {lo}-{hi} is not inside the horizon")
    return paths[metric][:, mask].sum(axis=1)


def year_stays_above(paths: Mapping[str, np.ndarray], years: Years, threshold: float,
                     metric: str = "asic_spend_share") -> np.ndarray:
    """Per draw, the first year from which `metric` exceeds `threshold` in every later year of the horizon (NaN if it
    is not above in the last year). A year where `metric` is undefined counts as not above."""
    above = np.nan_to_num(paths[metric], nan=-np.inf) > threshold
    stays = np.flip(np.logical_and.accumulate(np.flip(above, axis=1), axis=1), axis=1)
    return np.where(stays[:, -1], np.asarray(years)[stays.argmax(axis=1)], np.nan)


def outcomes(paths: Mapping[str, np.ndarray], years: Years, windows: Sequence[Window],
             thresholds: Sequence[float] = ()) -> dict[str, np.ndarray]:
    """Scalar outcomes per draw: the sums over each of `windows` (analysis.models.horizons.Horizons.windows) of Nvidia
    revenue, erosion on both bases and accelerator spend, the ASIC spend share over each window, the final Nvidia spend
    share and the year from which ASICs stay above each of `thresholds` (NaN = not above in the last year)."""
    years = np.asarray(years)
    out = {}
    for window in windows:
        lo, hi = window
        for metric in ("nvidia_revenue", "erosion", "erosion_same_compute", "accelerator_spend"):
            out[window_key(metric, window)] = window_sum(paths, years, metric, lo, hi)
        asic = sum(window_sum(paths, years, "accelerator_spend", y, y) * paths["asic_spend_share"][:, years == y][:, 0]
                   for y in range(lo, hi + 1))
        out[window_key("asic_spend_share", window)] = asic / out[window_key("accelerator_spend", window)]
    out[f"nvidia_spend_share_{years[-1]}"] = paths["nvidia_spend_share"][:, -1]
    for threshold in thresholds:
        out[f"year_asic_stays_above_{percent(threshold)}pct"] = year_stays_above(paths, years, threshold)
    return out


def threshold_table(paths: Mapping[str, np.ndarray], years: Years, thresholds: Sequence[float]) -> pd.DataFrame:
    """P(ASIC share of accelerator spend > threshold) in every year, observed and forecast, over the draws: columns
    threshold, year, probability (NaN where the share is undefined in every draw)."""
    years = np.asarray(years)
    share = paths["asic_spend_share"]
    defined = ~np.isnan(share)
    rows = [{"threshold": t, "year": int(y),
             "probability": float(np.mean(share[defined[:, i], i] > t)) if defined[:, i].any() else np.nan}
            for t in thresholds for i, y in enumerate(years)]
    return pd.DataFrame(rows)


def stays_above_table(paths: Mapping[str, np.ndarray], years: Years, thresholds: Sequence[float]) -> pd.DataFrame:
    """The year from which ASICs stay above each threshold of spend through the last year: PERCENTILES over the
    draws, with 'not above in the last year' counted as later than every year (so a percentile may be +inf), and the
    share of draws in which that never happens."""
    rows = []
    for t in thresholds:
        year = year_stays_above(paths, years, t)
        ordered = np.where(np.isnan(year), np.inf, year)
        q = np.percentile(ordered, PERCENTILES, method="inverted_cdf")
        rows.append({"threshold": t, **{f"p{p}": float(v) for p, v in zip(PERCENTILES, q)},
                     "share_never": float(np.mean(np.isnan(year)))})
    return pd.DataFrame(rows)


def percentile_table(paths: Mapping[str, np.ndarray], years: Years) -> pd.DataFrame:
    """Tidy per-year percentiles: columns metric, year and one per PERCENTILES (p5, p25, p50, p75, p95)."""
    stacked = np.stack(list(paths.values())).transpose(0, 2, 1).copy()  # (metrics, years, draws), draws contiguous
    q = np.percentile(stacked, PERCENTILES, axis=-1, overwrite_input=True)
    index = pd.MultiIndex.from_product([list(paths), np.asarray(years)], names=["metric", "year"])
    return pd.DataFrame({f"p{p}": q[i].ravel() for i, p in enumerate(PERCENTILES)}, index=index).reset_index()


def outcome_table(outs: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Percentiles of each scalar outcome over the draws where it is defined, and the share of such draws."""
    rows = {}
    for name, x in outs.items():
        defined = x[~np.isnan(x)]
        q = np.percentile(defined, PERCENTILES) if defined.size else np.full(len(PERCENTILES), np.nan)
        rows[name] = [*q, defined.size / x.size]
    columns = [f"p{p}" for p in PERCENTILES] + ["share_defined"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("outcome").reset_index()
