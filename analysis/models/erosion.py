"""Nvidia vs challengers in AWS accelerator spend: observed years as data, a forecast for the years after.

Pure computation; every input is an argument (analysis.models.outlook builds them from data/ and the parameters).

* Time convention. A year's share is the share of that calendar year's additions (the sum of its quarters). Smooth
  curves are evaluated at mid-year, t = year + 0.5, and the last observed year anchors them at its own mid-year.
* Observed years (`Observed`): capex (filings) is exact; spend and compute by vendor are draws of the data
  (analysis.models.observed: Epoch AI's unit band x chip prices), row 0 being the central estimate. The input
  `observed_data` (an `ObservedIndex`) picks a row per draw, so each draw's past is one realisation of the data.
* Forecast years, per draw, calibrated on that draw's last observed year (the forecast starts where its past ends):
  - capex_t = capex_{t-1} x growth_t, each year's growth drawn around its outlook row with the spread of Amazon's
    own history (analysis.models.volatility): the level is a random walk in log space;
  - the share of capex that buys chips is a random walk in the log-odds of its fraction of `chip_share_bound` (the
    most chips could take: all of capex buying AI clusters), starting from the draw's last observed share x
    `accelerator_share_change`, one step `chip_share_step_<year>` per forecast year; accelerator spend = capex x share;
  - compute share of challenger v: a logistic move from its share in the last observed year, s0, towards its
    long-run share K (`<v>_ceiling`), half done at `<v>_midpoint`, `<v>_takeover` years from 10% to 90% of a full
    logistic:  s(t) = s0 + (K - s0) (R(t) - R(t0)) / (1 - R(t0)),  R(t) = expit(ln81 (t - m) / T).
    The path starts exactly at the observed share (continuity with the data) and may rise or fall; a challenger the
    data do not cover in that year starts from an unknown share, uniform between 0 and K. Nvidia takes
    the rest; if the challengers' shares sum above 1 in a year, they are scaled to sum to 1;
  - spend share: compute share x cost per H100e relative to Nvidia, normalized. The cost ratio starts at the draw's
    own observed ratio in the last year the data cover the vendor (so a chip's price moves past and future alike;
    `<v>_cost_ratio` only for a vendor no observed year covers) and moves as a random walk in log space, one step
    `<v>_cost_step_<year>` per forecast year;
  - a vendor priced by a parameter `<v>_unit_cost_usd` (Amazon's own chips: no market price) has its observed spend
    scaled by the drawn cost over the cost the observed data were priced at (`Observed.priced_at`);
  - Nvidia revenue from AWS = accelerator spend x Nvidia spend share.
* Erosion on two bases: same budget (`erosion` = accelerator spend - Nvidia revenue: the challengers' dollars, as if
  spent on Nvidia) and same compute (`erosion_same_compute`: the challengers' H100e priced at Nvidia's cost per H100e,
  what Nvidia would have sold had that compute been bought from it).
* The central estimate (the model at the inputs' medians), the Monte Carlo draws and the sensitivity analysis
  are analysis.models.erosion_sampling; what the draws say (window sums, thresholds, percentiles) is
  analysis.models.erosion_outcomes.
"""
from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import special

LN81 = np.log(81.0)
MID_YEAR = 0.5
CHALLENGER_INPUTS = ("ceiling", "midpoint", "takeover", "cost_ratio")
COST_STEP = "{}_cost_step_{}"
CHIP_SHARE_STEP = "chip_share_step_{}"
START_FRACTION = "start_fraction"
OBSERVED_INPUT = "observed_data"

#: The model's input values by name (`Model.point` and draws of `erosion_sampling.sample_inputs`), each a number or
#: one value per draw.
Inputs = Mapping[str, "np.typing.ArrayLike"]


@dataclass(frozen=True)
class Vendor:
    id: str
    label: str
    kind: str  # "gpu" or "asic"


@dataclass(frozen=True)
class Observed:
    """Observed years: Amazon capex (USD bn, years) and, per vendor id, accelerator spend (USD bn) and compute (H100e)
    as arrays (1 + draws, years) whose row 0 is the central estimate. NaN marks a vendor the data do not cover in a
    year."""

    years: tuple[int, ...]
    capex: np.ndarray
    spend: Mapping[str, np.ndarray]
    compute: Mapping[str, np.ndarray]
    #: vendor id -> the unit cost (USD) its spend was priced at, for a vendor priced by `<id>_unit_cost_usd`
    priced_at: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def rows(self) -> int:
        return next(iter(self.spend.values())).shape[0]


@dataclass(frozen=True)
class ObservedIndex:
    """The distribution of the `observed_data` input: which row of `Observed` a draw uses. Its median is row 0 (the
    central estimate); `ppf(u)` picks among rows 1..n in the order given by `order` (rows sorted by a summary of the
    data, so that low u means a low past, as a tornado needs)."""

    order: tuple[int, ...]

    def ppf(self, u: np.typing.ArrayLike) -> np.ndarray:
        clipped = np.clip(np.asarray(u, dtype=float), 0.0, np.nextafter(1.0, 0.0))
        return np.asarray(self.order)[(clipped * len(self.order)).astype(int)].astype(float)

    def median(self) -> float:
        return 0.0

    def __deepcopy__(self, memo: dict) -> ObservedIndex:
        return self         # immutable (a tuple of ints): a remembered forecast's copy need not copy its draws' order


@dataclass(frozen=True)
class Model:
    """Everything the forecast needs besides the uncertain inputs: vendors (the incumbent first), the observed years,
    the forecast years and the point value of every forecast input (`capex_growth_<year>`, `accelerator_share_change`,
    `<challenger>_<ceiling|midpoint|takeover|cost_ratio>`, `<vendor>_unit_cost_usd` for a vendor priced by a
    parameter); the path steps (`path_steps`) are 0 and an unobserved start half its ceiling (`unobserved_starts`)
    unless given."""

    vendors: tuple[Vendor, ...]
    observed: Observed
    forecast_years: tuple[int, ...]
    point: Mapping[str, float]
    #: the most of capex chips could take (all of it buying AI clusters: chips over chips + servers + network)
    chip_share_bound: float = 1.0

    def __post_init__(self) -> None:
        years = [*self.observed.years, *self.forecast_years]
        if not self.observed.years or years != list(range(years[0], years[0] + len(years))):
            raise ValueError("observed then forecast years must be consecutive, observed non-empty")
        needed = ({f"capex_growth_{y}" for y in self.forecast_years} | {"accelerator_share_change", OBSERVED_INPUT}
                  | {f"{v}_unit_cost_usd" for v in self.observed.priced_at}
                  | {f"{v.id}_{name}" for v in self.challengers for name in CHALLENGER_INPUTS
                     if name != "cost_ratio" or v.id not in self.calibrated_cost})
        if needed - set(self.point):
            raise ValueError(f"point values missing: {sorted(needed - set(self.point))}")

    @property
    def years(self) -> np.ndarray:
        return np.array([*self.observed.years, *self.forecast_years])

    @property
    def incumbent(self) -> Vendor:
        return self.vendors[0]

    @property
    def challengers(self) -> tuple[Vendor, ...]:
        return self.vendors[1:]

    @property
    def path_steps(self) -> dict[str, float]:
        """The inputs that move a path away from its central course, each 0 on it: the chips' share of capex one step
        per forecast year (`chip_share_step_<year>`, log-odds) and each challenger's cost per compute relative to
        Nvidia's one step per forecast year (`<id>_cost_step_<year>`, log)."""
        return {**{CHIP_SHARE_STEP.format(y): 0.0 for y in self.forecast_years},
                **{COST_STEP.format(v.id, y): 0.0 for v in self.challengers for y in self.forecast_years}}

    @property
    def unobserved_starts(self) -> dict[str, float]:
        """Each unobserved challenger's starting share as a fraction of its ceiling, at its median (1/2)."""
        return {f"{v}_{START_FRACTION}": 0.5 for v in self.unobserved_start}

    @property
    def unobserved_start(self) -> tuple[str, ...]:
        """Challengers the data do not cover in the last observed year (NaN, e.g. Trainium before Epoch AI's rows
        begin): their starting share is drawn between 0 and their ceiling (`<id>_start_fraction`)."""
        return tuple(v.id for v in self.challengers if np.isnan(self.observed.compute[v.id][0, -1]))

    @property
    def calibrated_cost(self) -> dict[str, int]:
        return calibrated_cost(self.observed, self.challengers)


def calibrated_cost(observed: Observed, challengers: tuple[Vendor, ...]) -> dict[str, int]:
    """Challenger id -> index of the last observed year whose central estimate covers it with compute > 0: its cost
    ratio comes from that year of each draw."""
    out = {}
    for v in challengers:
        covered = np.flatnonzero(np.nan_to_num(observed.compute[v.id][0]) > 0)
        if covered.size:
            out[v.id] = int(covered[-1])
    return out


def _col(p: Inputs, name: str, lo: float = -np.inf, hi: float = np.inf, positive: bool = False) -> np.ndarray:
    """Input `name` as a (draws, 1) column, checked to lie in [lo, hi] (or to be > 0)."""
    x = np.reshape(np.asarray(p[name], dtype=float), (-1, 1))
    if not np.all(x > 0 if positive else (x >= lo) & (x <= hi)):
        raise ValueError(f"{name} out of range")
    return x


def observed_shares(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each vendor's share of `weights` (spend or compute, arrays of one shape); NaN where any vendor is not covered."""
    total = sum(weights.values())  # NaN if any vendor is NaN
    return {v: w / total for v, w in weights.items()}


def logistic_move(t: np.typing.ArrayLike, start: float | np.ndarray, ceiling: float | np.ndarray,
                  midpoint: float | np.ndarray, takeover: float | np.ndarray, t0: float) -> np.ndarray:
    """Share at times t (> t0) moving from `start` at t0 towards `ceiling` along a logistic with this midpoint and
    takeover; computed in log space so that a move already far along stays finite."""
    z = LN81 * (np.asarray(t, float) - midpoint) / takeover
    z0 = LN81 * (t0 - midpoint) / takeover
    progress = -np.expm1(special.log_expit(-z) - special.log_expit(-z0))  # (R(t) - R(t0)) / (1 - R(t0))
    return start + (ceiling - start) * progress


def forecast_compute_shares(model: Model, p: Inputs, anchor: Mapping[str, np.ndarray]) -> dict[str, np.ndarray | float]:
    """Vendor compute shares in the forecast years, each (draws, forecast years), each challenger moving from its
    `anchor` share (draws, 1) in the last observed year."""
    t = np.array(model.forecast_years, float) + MID_YEAR
    t0 = model.observed.years[-1] + MID_YEAR
    shares = {v.id: logistic_move(t, anchor[v.id], _col(p, f"{v.id}_ceiling", 0.0, 1.0), _col(p, f"{v.id}_midpoint"),
                                  _col(p, f"{v.id}_takeover", positive=True), t0)
              for v in model.challengers}
    scale = 1.0 / np.maximum(sum(shares.values()), 1.0)
    shares = {v: s * scale for v, s in shares.items()}
    return {model.incumbent.id: np.maximum(1.0 - sum(shares.values()), 0.0), **shares}     # no rounding below 0


def _observed_rows(model: Model, p: Inputs) -> np.ndarray:
    """The observed-data row of each draw, as a (draws,) integer array."""
    x = np.reshape(np.asarray(p[OBSERVED_INPUT], dtype=float), -1)
    rows = x.astype(int)
    if not np.all((rows == x) & (rows >= 0) & (rows < model.observed.rows)):
        raise ValueError(f"{OBSERVED_INPUT} out of range")
    return rows


def evaluate(model: Model, overrides: Inputs | None = None) -> dict[str, np.ndarray]:
    """Per-year paths over observed + forecast years, each (draws, years). `overrides` replace named inputs by values
    or 1-D draws; `observed_data` picks each draw's row of the observed data, and the forecast is calibrated on it."""
    p: dict[str, np.typing.ArrayLike] = {**model.path_steps, **model.unobserved_starts, **model.point}
    unknown = set(overrides or {}) - set(p)
    if unknown:
        raise KeyError(f"unknown inputs: {sorted(unknown)}")
    p.update(overrides or {})
    obs = model.observed
    rows = _observed_rows(model, p)
    spend_o = {v.id: obs.spend[v.id][rows] for v in model.vendors}            # (draws, observed years)
    for vid, priced_at in obs.priced_at.items():                               # own chips at the drawn unit cost
        spend_o[vid] = spend_o[vid] * (_col(p, f"{vid}_unit_cost_usd", positive=True) / priced_at)
    compute_o = {v.id: obs.compute[v.id][rows] for v in model.vendors}
    accel_o = np.nansum(np.stack(list(spend_o.values())), axis=0)
    compute_share_o = observed_shares(compute_o)
    spend_share_o = observed_shares(spend_o)
    nvidia = model.incumbent.id
    nvidia_cost = spend_o[nvidia] / compute_o[nvidia]                           # USD bn per H100e, per year

    growth = np.hstack(np.broadcast_arrays(*[_col(p, f"capex_growth_{y}", positive=True)
                                             for y in model.forecast_years]))
    capex_f = obs.capex[-1] * np.cumprod(growth, axis=1)
    bound = model.chip_share_bound
    start = np.minimum((accel_o[:, -1] / obs.capex[-1])[:, None] * _col(p, "accelerator_share_change", positive=True),
                       bound)
    steps = np.hstack(np.broadcast_arrays(*[_col(p, CHIP_SHARE_STEP.format(y)) for y in model.forecast_years]))
    with np.errstate(divide="ignore"):                 # a random walk in the log-odds of the share of its bound
        share_of_capex = bound * special.expit(special.logit(start / bound) + np.cumsum(steps, axis=1))
    accel_f = capex_f * share_of_capex
    anchor = {v.id: compute_share_o[v.id][:, -1:] for v in model.challengers}
    for vid in model.unobserved_start:                # not covered by the data: an unknown start, not zero
        start_share = _col(p, f"{vid}_{START_FRACTION}", 0.0, 1.0) * _col(p, f"{vid}_ceiling")
        anchor[vid] = np.where(np.isnan(anchor[vid]), start_share, anchor[vid])
    anchor = {vid: np.nan_to_num(a) for vid, a in anchor.items()}
    compute_f = forecast_compute_shares(model, p, anchor)
    calibrated = model.calibrated_cost
    cost = {nvidia: np.ones((1, 1))}
    for v in model.challengers:
        if v.id in calibrated:
            j = calibrated[v.id]
            start_cost = (spend_o[v.id][:, j] / compute_o[v.id][:, j] / nvidia_cost[:, j])[:, None]
        else:
            start_cost = _col(p, f"{v.id}_cost_ratio", positive=True)
        steps = np.hstack(np.broadcast_arrays(*[_col(p, COST_STEP.format(v.id, y)) for y in model.forecast_years]))
        cost[v.id] = start_cost * np.exp(np.cumsum(steps, axis=1))      # a random walk in log space
    weights = {v: s * cost[v] for v, s in compute_f.items()}
    spend_f = {v: w / sum(weights.values()) for v, w in weights.items()}
    draws = np.broadcast_shapes(accel_f.shape, rows[:, None].shape, *(s.shape for s in spend_f.values()))[0]

    def join(observed: np.typing.ArrayLike, forecast: np.typing.ArrayLike) -> np.ndarray:
        return np.hstack([np.broadcast_to(observed, (draws, len(obs.years))),
                          np.broadcast_to(forecast, (draws, len(model.forecast_years)))])

    paths = {"capex": join(obs.capex, capex_f), "accelerator_spend": join(accel_o, accel_f)}
    paths["nvidia_revenue"] = join(spend_o[nvidia], accel_f * spend_f[nvidia])
    for v in model.vendors:
        paths[f"compute_share_{v.id}"] = join(compute_share_o[v.id], compute_f[v.id])
        paths[f"spend_share_{v.id}"] = join(spend_share_o[v.id], spend_f[v.id])
    paths["nvidia_spend_share"] = paths[f"spend_share_{nvidia}"]
    asics = [v.id for v in model.vendors if v.kind == "asic"]
    paths["asic_spend_share"] = cast(np.ndarray, sum(paths[f"spend_share_{v}"] for v in asics))
    paths["asic_compute_share"] = cast(np.ndarray, sum(paths[f"compute_share_{v}"] for v in asics))
    paths["erosion"] = paths["accelerator_spend"] * (1.0 - paths[f"spend_share_{nvidia}"])
    same_compute_o = np.nansum(np.stack([compute_o[v.id] * nvidia_cost for v in model.challengers]), axis=0)
    same_compute_f = sum(accel_f * spend_f[v.id] / cost[v.id] for v in model.challengers)
    paths["erosion_same_compute"] = join(same_compute_o, same_compute_f)
    paths["cumulative_erosion"] = np.nancumsum(paths["erosion"], axis=1)
    return paths
