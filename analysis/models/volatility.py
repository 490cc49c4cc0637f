"""How far the forecast's paths move in a year, measured on history known at the forecast's origin.

Each spread is a statistic of observed years up to `through` (the last observed year of the forecast), never of
later years, so a hindcast from an earlier origin uses only what was known then:

* capex growth: the standard deviation of Amazon's yearly log growth of gross capex (its filings, every complete
  fiscal year in data/financials.csv), and its lag-1 autocorrelation (the persistence of a growth surprise);
* the share of capex that buys chips: the root mean square of its yearly moves in log-odds of its fraction of the
  most chips could take (Amazon's accelerator purchases, estimated from Epoch AI's chip counts, over its gross capex)
  — a random walk's step, so the mean move (the AI ramp) counts as spread, not as a trend carried forward;
* a chip's cost per unit of compute relative to Nvidia's: the standard deviation of the yearly log change of Nvidia's
  own cost per H100e at Amazon (Epoch AI's units x prices) about its mean — every chip line gets cheaper per compute
  each generation (the mean, shared), and how unevenly it does so (the spread) is what moves the ratio of two lines.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.models.uncertainty import Z95

#: The fewest yearly moves a spread is computed from; fewer stop the run with the reason.
MIN_MOVES = 1


@dataclass(frozen=True)
class Spread:
    """A yearly spread (standard deviation of one year's move, in the path's own space), the persistence of a move
    (lag-1 autocorrelation; NaN with fewer than three moves), the years it was measured on, how many moves, and
    whether the moves' mean was estimated too (a spread about the mean) or taken as 0 (a random walk's step)."""

    sd: float
    persistence: float
    first_year: int
    last_year: int
    moves: int
    mean_estimated: bool

    @property
    def df(self) -> int:
        return self.moves - 1 if self.mean_estimated else self.moves

    def predictive_sd(self, years_ahead: float = 1.0) -> float:
        """The normal standard deviation whose 5th-95th percentiles match the Student-t predictive of the sum of the
        next `years_ahead` moves: a spread estimated from few moves is itself uncertain (t with `df` degrees of
        freedom), and an estimated mean adds its own error (variance sd^2 x years_ahead^2 / moves)."""
        variance = years_ahead + (years_ahead ** 2 / self.moves if self.mean_estimated else 0.0)
        return float(self.sd * np.sqrt(variance) * special.stdtrit(self.df, 0.95) / Z95)


def _spread(moves: pd.Series, rms: bool) -> Spread:
    moves = moves.dropna()
    if len(moves) < MIN_MOVES + (0 if rms else 1):
        raise ValueError(f"too few observed years to measure a spread: {len(moves)} moves")
    x = moves.to_numpy(float)
    sd = float(np.sqrt(np.mean(x ** 2))) if rms else float(np.std(x, ddof=1))
    d = x - x.mean()
    persistence = float(np.sum(d[:-1] * d[1:]) / np.sum(d ** 2)) if len(x) >= 3 else float("nan")
    years = moves.index.astype(int)
    return Spread(sd, persistence, int(years.min()) - 1, int(years.max()), len(x), not rms)


def capex_growth(annual_capex: pd.Series, through: int) -> Spread:
    """Spread of the yearly log growth of capex (`annual_capex`, by year) over the years up to `through`."""
    capex = annual_capex[annual_capex.index <= through].sort_index()
    growth = np.log(capex).diff()
    consecutive = pd.Series(capex.index, index=capex.index).diff() == 1
    return _spread(growth[consecutive], rms=False)


def chip_share(spend: pd.DataFrame, capex: pd.Series, through: int, bound: float = 1.0,
               peers: pd.DataFrame | None = None) -> Spread:
    """Step of the random walk in log-odds of the share of capex that buys chips, from its yearly moves up to
    `through`. `spend` holds accelerator purchases by year (index) and vendor (columns; NaN where the data do not
    cover a vendor); each move compares the two years over the vendors covered in both, so a vendor whose estimates
    begin in a year (Trainium in 2024) does not count as a move of the share. The share is taken as a fraction of its
    `bound` (the most of capex chips could take), the space the forecast's random walk moves in. `peers` (years x
    other owners: each one's share of capex that bought Nvidia chips) add their moves up to `through` to the pool: a
    reference class of the same measure for the other large buyers, so the step rests on more than Amazon's few
    years."""
    years = [y for y in sorted(spend.index) if y <= through and y in capex.index]
    moves = {}
    for before, after in zip(years, years[1:]):
        if after != before + 1:
            continue
        both = spend.loc[[before, after]].dropna(axis=1)
        share = both.sum(axis=1).to_numpy(float) / capex.loc[[before, after]].to_numpy(float) / bound
        moves[(after, "Amazon")] = float(np.diff(special.logit(share))[0])
    if peers is not None:
        moves |= _moves(peers, through, bound)
    pooled = pd.Series(list(moves.values()), index=[year for year, _ in moves], dtype=float)
    own = pd.Series({year: m for (year, owner), m in moves.items() if owner == "Amazon"}, dtype=float)
    return dataclasses.replace(_spread(pooled, rms=True), persistence=_spread(own, rms=True).persistence)


def _moves(shares: pd.DataFrame, through: int, bound: float) -> dict[tuple[int, str], float]:
    """(year, owner) -> the yearly move in log-odds of each owner's share (`shares`: years x owners, a fraction of
    `bound`; NaN where the data do not cover it) between consecutive years up to `through`."""
    known = shares[shares.index <= through].sort_index()
    steps = special.logit(known / bound).diff()
    consecutive = pd.Series(known.index, index=known.index).diff() == 1
    return {(int(y), owner): float(m) for owner in steps.columns
            for y, m in steps.loc[consecutive, owner].dropna().items()}


def reference_step(shares: pd.DataFrame, through: int) -> Spread:
    """Step of a random walk in log-odds for a share with no yearly move of its own up to `through`: the root mean
    square of the same share's yearly moves at other owners (`shares`: years x owners) up to `through`, a reference
    class (no persistence: the moves are of different owners). Raises ValueError if none of them moved either."""
    moves = _moves(shares, through, 1.0)
    pooled = pd.Series(list(moves.values()), index=[year for year, _ in moves], dtype=float)
    return dataclasses.replace(_spread(pooled, rms=True), persistence=float("nan"))


def cost_step(nvidia_cost_per_h100e: pd.Series, through: int) -> Spread:
    """Yearly step of a cost ratio's random walk in log space: the spread of Nvidia's own yearly log change of cost per
    H100e (by year) about its mean, up to `through`; from a single move (no spread about a mean), its root mean
    square, a wider measure."""
    cost = nvidia_cost_per_h100e[nvidia_cost_per_h100e.index <= through].sort_index()
    moves = np.log(cost).diff()
    return _spread(moves, rms=moves.count() < 2)
