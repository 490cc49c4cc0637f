"""A simple forecast of each owner's non-Nvidia share to 2030, and its hindcast.

Section 3 forecasts Amazon with a full model (capex, the chips' share of it, each challenger's logistic path); for
the other owners there is no capex funnel here, so this is the outside view of each owner's own history, drawn with
the same spreads (analysis.models.volatility), each measured on that owner's observed years up to the origin only:

* the non-Nvidia share of compute added moves as a random walk in log-odds from each draw's last observed share, its
  step the root mean square of the owner's own yearly moves (`volatility.chip_share`, the share of the owner's compute
  that is not Nvidia's) as a Student-t predictive (`Spread.predictive_sd`): no trend is carried forward. An owner
  whose challenger chips first appear in the origin year has no move of its own: its step is then the root mean square
  of the other owners' moves up to the origin, a reference class (`volatility.reference_step`, `step_from`);
* the challengers' cost per H100e relative to Nvidia's drifts as a random walk in log space from each draw's last
  observed ratio, at the spread of the yearly moves of Nvidia's own cost per H100e at that owner (`volatility.cost_step`);
* the spend share follows: r c / (r c + 1 - c), with c the compute share and r the cost ratio.

The central path holds the last observed year (every step at its median, zero). An owner the data do not cover in an
origin year, or an origin before which no owner moved, has no forecast from that origin: said rather than guessed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.data import Dataset
from analysis.data.memo import per_run
from analysis.data.params import Params
from analysis.data.params import schema as parameter_schema
from analysis.models import erosion_outcomes, fleet, hindcast, owners, volatility
from analysis.models.horizons import horizons, percent, thresholds
from analysis.models.owners import DRAW_STREAM, OwnerDraws, OwnerInputs, total

#: Whose moves an owner's share step was measured on (`OwnerForecast.step_from`).
OWN_MOVES, OTHER_OWNERS_MOVES = "own moves", "other owners' moves"


@dataclass(frozen=True)
class OwnerForecast:
    """One owner's forecast: its years (first covered to the horizon's end, analysis.models.horizons), the last observed one (`through`), the spreads
    used (`step` of the share of compute, `drift` of the cost ratio) and draws (1 + n, years), row 0 the central path,
    of its non-Nvidia shares of compute and of spend."""
    years: list[int]
    through: int
    step: volatility.Spread
    drift: volatility.Spread
    compute_share: np.ndarray
    spend_share: np.ndarray
    step_from: str = OWN_MOVES       # whose yearly moves `step` was measured on (`_share_step`)

    def share(self, metric: str) -> np.ndarray:
        """The draws of `metric`: "spend_share" or "compute_share"."""
        return {"spend_share": self.spend_share, "compute_share": self.compute_share}[metric]


def _observed(ds: Dataset, i: OwnerInputs) -> dict[str, np.ndarray]:
    """Draw arrays (1 + n, years) of the owner's non-Nvidia compute share, spend share and cost ratio, and the central
    compute by vendor group, over all observed years (its draws from `i`)."""
    incumbent = fleet.incumbent_epoch_vendor(ds)
    spend, compute = owners.owner_spend(ds, i), owners.owner_compute(ds, i.owner, i.n, i.seed, i.years)
    others = [v for v in spend if v != incumbent]
    nv_s, nv_c = spend[incumbent], compute[incumbent]
    ch_s, ch_c = total(spend[v] for v in others), total(compute[v] for v in others)
    return {"compute_share": ch_c / (ch_c + nv_c), "spend_share": ch_s / (ch_s + nv_s),
            "cost_ratio": (ch_s / ch_c) / (nv_s / nv_c), "challenger_compute": ch_c[0], "total_compute": (ch_c + nv_c)[0],
            "nvidia_cost": nv_s[0] / nv_c[0]}


def forecast(ds: Dataset, d: OwnerDraws, owner: str, through: int) -> OwnerForecast:
    """Draws (1 + n, years) of the owner's non-Nvidia compute and spend shares from its first covered year to
    the horizon's end (analysis.models.horizons), observed up to `through` and forecast after it, with the spreads
    used; raises ValueError when the data do not cover the owner's non-Nvidia chips in `through`, or (from
    analysis.models.volatility) when neither the owner nor any other owner has a yearly move up to `through`.
    Computed once per dataset, owner's inputs (`d.inputs`) and `through`: a what-if that changes one owner's inputs
    forecasts that owner again, not the others."""
    return _forecast(ds, d.inputs[owner], through)


@per_run
def _forecast(ds: Dataset, i: OwnerInputs, through: int) -> OwnerForecast:
    obs = _observed(ds, i)
    years = list(i.years)
    covered = [y for y in years if y <= through and not np.isnan(obs["challenger_compute"][years.index(y)])]
    if through not in covered:
        raise ValueError(f"{i.owner}: the data do not cover its non-Nvidia chips in {through}")
    index = pd.Index(years)
    step, step_from = _share_step(ds, i, obs, through)
    drift = volatility.cost_step(pd.Series(obs["nvidia_cost"], index=index), through)
    ahead = list(range(through + 1, horizons(ds).end + 1))
    rng = np.random.default_rng([i.seed, DRAW_STREAM, 100 + owners.owners(ds).index(i.owner), through])
    z_share = np.vstack([np.zeros((1, len(ahead))), rng.standard_normal((i.n, len(ahead)))])
    z_cost = np.vstack([np.zeros((1, len(ahead))), rng.standard_normal((i.n, len(ahead)))])
    last = years.index(through)
    share = special.expit(special.logit(obs["compute_share"][:, [last]])
                          + np.cumsum(step.predictive_sd() * z_share, axis=1))
    ratio = obs["cost_ratio"][:, [last]] * np.exp(np.cumsum(drift.predictive_sd() * z_cost, axis=1))
    first = years.index(covered[0])
    return OwnerForecast(covered + ahead, through, step, drift,
                         compute_share=np.hstack([obs["compute_share"][:, first:last + 1], share]),
                         spend_share=np.hstack([obs["spend_share"][:, first:last + 1],
                                                ratio * share / (ratio * share + 1 - share)]), step_from=step_from)


def _share_step(ds: Dataset, i: OwnerInputs, obs: dict[str, np.ndarray],
                through: int) -> tuple[volatility.Spread, str]:
    """The step of the owner's non-Nvidia compute share (`obs`: its `_observed` arrays), from its own yearly moves
    up to `through`; where it has none (its challenger chips first appear in the data in `through`, say), from the
    other owners' moves up to `through`, a reference class of the same measure (`volatility.reference_step`). With
    whose moves it was measured."""
    index = pd.Index(i.years)
    try:
        return volatility.chip_share(pd.DataFrame({"challengers": obs["challenger_compute"]}, index=index),
                                     pd.Series(obs["total_compute"], index=index), through), OWN_MOVES
    except ValueError:
        peers = pd.DataFrame({o: _central_compute_share(ds, o, i) for o in owners.owners(ds) if o != i.owner},
                             index=index)
        return volatility.reference_step(peers, through), OTHER_OWNERS_MOVES


def _central_compute_share(ds: Dataset, owner: str, i: OwnerInputs) -> np.ndarray:
    """`owner`'s central non-Nvidia share of the compute it added per year, from its unit draws for `i`'s draws, seed
    and years (no price reaches it)."""
    compute = owners.owner_compute(ds, owner, i.n, i.seed, i.years)
    incumbent = fleet.incumbent_epoch_vendor(ds)
    challengers = total(a for v, a in compute.items() if v != incumbent)
    return challengers[0] / (challengers + compute[incumbent])[0]


def by_year(owner: str, f: OwnerForecast, shares: tuple[float, ...]) -> pd.DataFrame:
    """One row per year: observed or forecast, the spend and compute shares' central estimate with the draws' 5th,
    50th and 95th percentiles, and P(spend share > each of `shares`, the data's thresholds)."""
    table = pd.DataFrame({"owner": owner, "year": f.years, "observed": [y <= f.through for y in f.years]})
    for metric in ("spend_share", "compute_share"):
        draws = f.share(metric)
        table[metric] = draws[0]
        for q, values in zip(erosion_outcomes.PERCENTILES,
                             np.percentile(draws[1:], erosion_outcomes.PERCENTILES, axis=0)):
            table[f"{metric}_p{q}"] = values
    for t in shares:
        table[f"p_spend_share_above_{percent(t)}pct"] = (f.spend_share[1:] > t).mean(axis=0)
    return table


def forecasts(ds: Dataset, d: OwnerDraws) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every owner's forecast from its last observed year: (the yearly table of all owners; one row per owner with the
    spreads used and the years they were measured on)."""
    through = max(d.years)
    tables, spreads = [], []
    for owner in d.owners():
        f = forecast(ds, d, owner, through)
        tables.append(by_year(owner, f, thresholds(ds).shares))
        spreads.append({"owner": owner, "share_step_sd": f.step.sd, "share_moves": f.step.moves,
                        "share_step_predictive_sd": f.step.predictive_sd(), "cost_drift_sd": f.drift.sd,
                        "measured_on": f"{f.step.first_year}-{f.step.last_year}", "step_from": f.step_from})
    return pd.concat(tables, ignore_index=True), pd.DataFrame(spreads)


def hindcast_cases(ds: Dataset, d: OwnerDraws) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Each owner's forecast from the end of each of analysis.models.hindcast's origin years (2023 and 2024 in today's
    data), scored like its model cases: the spend and
    compute shares of each later observed year, the outcome the data's central estimate and the forecast's draws
    combined with the outcome's own measurement band in log-odds; `step_from` says whose moves the step was measured
    on. Also the (owner, origin) pairs left out: no observed share in the origin year, or no move at any owner before
    it to measure a spread on."""
    rows, skipped = [], []
    for owner in d.owners():
        owner_rows, owner_skipped = _owner_cases(ds, d.inputs[owner])
        rows += owner_rows
        skipped += owner_skipped
    return pd.DataFrame(rows), skipped


@per_run
def _owner_cases(ds: Dataset, i: OwnerInputs) -> tuple[list[dict], list[tuple[str, int]]]:
    """`hindcast_cases`' rows and left-out origins of one owner, once per its inputs."""
    rows, skipped = [], []
    truth = _forecast_or_none(ds, i, max(i.years))
    for origin in hindcast.origin_years(ds, parameter_schema(ds)):
        f = _forecast_or_none(ds, i, origin)
        if f is None or truth is None:
            skipped.append((i.owner, origin))
            continue
        for metric in ("spend_share", "compute_share"):
            for year in (y for y in truth.years if origin < y <= truth.through):
                outcome_draws = truth.share(metric)[:, truth.years.index(year)]
                outcome = float(outcome_draws[0])
                noise = special.logit(outcome_draws[1:]) - special.logit(outcome)
                draws = f.share(metric)[1:, f.years.index(year)]
                draws = special.expit(special.logit(draws) + noise[np.arange(draws.size) % noise.size])
                label = f"{i.owner}: non-Nvidia share of {metric.split('_')[0]}"
                rows.append({"owner": i.owner, **hindcast._row("owners", origin, metric, label, "fraction", int(year),
                                                               float(f.share(metric)[0, f.years.index(year)]), draws, outcome),
                             "step_from": f.step_from})
    return rows, skipped


@per_run
def owner_hindcast(ds: Dataset, p: Params) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """`hindcast_cases` of every owner's draws at `p` (analysis.models.owners.draws), once per dataset and parameter
    set: sections 3 and 5 both show it."""
    return hindcast_cases(ds, owners.draws(ds, p))


def _forecast_or_none(ds: Dataset, i: OwnerInputs, through: int) -> OwnerForecast | None:
    """`forecast`, or None where the owner has no observed move up to `through` to measure a spread on."""
    try:
        return _forecast(ds, i, through)
    except (ValueError, IndexError):
        return None
