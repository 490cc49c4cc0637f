"""The landlord: one H100 bought by AWS to rent out (a `Landlord` case), its cash flows, NPV, IRR and payback at list
or realized prices, their 5th-95th band over drawn inputs, the inputs that move them, and the what-if grid."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.data import Dataset, grids, params
from analysis.data.memo import per_dataset
from analysis.data.params import Params
from analysis.models import finance, fleet, uncertainty
from analysis.models.h100 import h100_price, hosting_per_hour, power_per_hour, price_cut_month
from analysis.models.rent import LIST, REALIZED, price_path

#: The display grid of the IRR heat map (utilization x price scale).
UTILIZATION_GRID = np.round(np.arange(1, 11) / 10, 2)
PRICE_SCALE_GRID = np.round(np.arange(4, 21) / 10, 2)


@dataclass(frozen=True)
class Landlord:
    """One H100 bought by AWS to rent from month `start`: USD per GPU, USD per GPU-hour, its monthly price path."""

    label: str
    start: pd.Period                 # first month of rent (month 1 of life); the capex is paid just before it
    capex: float                     # all-in: Epoch's H100 price for the year, grossed up for server and network
    power: float                     # electricity per sold hour (full draw, incl. server overhead and PUE)
    hosting: float                   # space, cooling, staff per hour, every hour
    cost_of_capital: float
    utilization: float               # AWS's share of hours sold (the parameter `utilization`, the landlord's)
    life_years: int
    residual_fraction: float
    months: pd.PeriodIndex           # calendar month of each month of the price path (longer than any life)
    on_demand: np.ndarray            # p5 on-demand list price per GPU-hour in each month (observed, then declining)
    price: np.ndarray                # blended revenue per sold GPU-hour in each month
    basis: str                       # LIST (list prices: a ceiling) or REALIZED (committed hours at market rents)

    @property
    def life_months(self) -> int:
        return 12 * self.life_years


def landlord(ds: Dataset, p: Params, start: pd.Period, label: str, basis: str = LIST) -> Landlord:
    """An H100 renting from month `start` at `basis` prices (price_path): capex = fleet.all_in_capex(Epoch's H100
    price for that year); power and hosting from the measured draw. The path covers the longest life the parameter
    schema allows."""
    longest = int(cast(float, params.schema(ds)["depreciation_life_years"].maximum))   # an int parameter has bounds
    months = pd.period_range(start, periods=12 * longest, freq="M")
    on_demand, price = price_path(ds, months, p, basis)
    return Landlord(label=label, start=start, capex=float(fleet.all_in_capex(ds, h100_price(ds, start.year), p)),
                    power=power_per_hour(ds, p), hosting=hosting_per_hour(ds, p), cost_of_capital=p.cost_of_capital,
                    utilization=p.utilization, life_years=p.depreciation_life_years,
                    residual_fraction=p.residual_value_fraction, months=months, on_demand=on_demand, price=price,
                    basis=basis)


def landlord_cases(ds: Dataset, p: Params, basis: str = LIST) -> list[Landlord]:
    """The reader's two questions: an H100 bought in `gpu_purchase_quarter` at launch prices, and one bought in
    the month of the June-2025 price cut at that year's price, renting at post-cut prices; at list or realized
    prices (`basis`)."""
    launch = pd.Period(p.gpu_purchase_quarter, freq="Q").asfreq("M", how="start")
    return [landlord(ds, p, launch, f"bought {p.gpu_purchase_quarter} (launch prices)", basis), cut_case(ds, p, basis)]


def cut_case(ds: Dataset, p: Params, basis: str = LIST) -> Landlord:
    """The second of landlord_cases alone: an H100 bought in the month of the price cut."""
    cut = price_cut_month(ds)
    return landlord(ds, p, cut, f"bought at the {cut} cut (post-cut prices)", basis)


def flows(L: Landlord) -> np.ndarray:
    """The landlord's monthly cash flows over its life, residual value in the last month."""
    return finance.monthly_cash_flows(L.capex, L.price, L.utilization, L.power, L.hosting, L.residual_fraction,
                                      L.life_months)


def cost_per_gpu_hour(L: Landlord) -> pd.DataFrame:
    """Cost per GPU-hour by component: per wall-clock hour at full use (finance.landlord_cost_breakdown), and
    per sold hour at the landlord's utilization (capital and hosting spread over sold hours only)."""
    full = pd.Series(finance.landlord_cost_breakdown(L.capex, L.life_years, L.cost_of_capital, L.power, L.hosting),
                     dtype=float)
    sold = full.drop("total") / pd.Series({"capital": L.utilization, "power": 1.0, "hosting": L.utilization})
    return pd.DataFrame({"full_use": full.astype(float), "per_sold_hour": pd.concat(
        [sold, pd.Series({"total": sold.sum()})]).astype(float)}).rename_axis("component").reset_index()


def landlord_outcomes(cases: list[Landlord]) -> pd.DataFrame:
    """Per case: capex, mean revenue per sold hour over the life, payback month, NPV, IRR, break-even utilization
    and price scale (multiplier on the whole path giving NPV = 0), and the accounting operating margin per sold
    GPU-hour at the mean price (straight-line depreciation net of residual, no cost of capital)."""
    rows = []
    for L in cases:
        cf, life = flows(L), L.life_months
        mean_price = float(L.price[:life].mean())
        rows.append({"case": L.label, "start": str(L.start), "capex": L.capex, "life_years": L.life_years,
                     "mean_price": mean_price, "payback_month": float(finance.payback_month(cf)),
                     "npv": float(finance.npv_at(L.cost_of_capital, cf)), "irr": float(finance.irr_annual(cf)),
                     "breakeven_utilization": float(finance.breakeven_utilization(
                         L.capex, L.price, L.power, L.hosting, L.cost_of_capital, L.residual_fraction, life)),
                     "breakeven_price_scale": float(finance.breakeven_price_scale(
                         L.capex, L.price, L.utilization, L.power, L.hosting, L.cost_of_capital, L.residual_fraction,
                         life)),
                     "operating_margin": float(finance.accounting_margin(
                         mean_price, L.utilization, L.capex, L.residual_fraction, L.life_years, L.power, L.hosting))})
    return pd.DataFrame(rows)


#: The inputs drawn for the realized-price band, each a split normal with its sourced (or assumed) low and high as
#: its 5th and 95th percentiles (data/parameters.csv), clipped to its allowed range: the contract mix, the price
#: decline, the residual value, the server price, the network's share and the cost of capital. `utilization` has no
#: published range and stays at its value (its break-even is shown instead).
LANDLORD_BAND = ("on_demand_usage_share", "capacity_block_usage_share", "rental_price_decline_per_year",
                 "residual_value_fraction", "h100_server_price_usd", "network_share_of_cluster_capex",
                 "cost_of_capital")


#: Draws of the band: its 5th and 95th percentiles move by less than 2 points of IRR between seeds (measured, 2026-12).
LANDLORD_BAND_DRAWS = 1000


#: Realized prices (USD per GPU-hour in the first month of rent) at which the closing note gives the IRR.
REALIZED_PRICE_POINTS = (2.0, 3.0, 4.0, 6.0)


def band_draws(ds: Dataset, p: Params, n: int = LANDLORD_BAND_DRAWS) -> pd.DataFrame:
    """`n` draws of LANDLORD_BAND (seeded by `random_seed`), one column per input; the Capacity Block share is capped
    at 1 - the on-demand share so that the mix never exceeds every hour."""
    schema = params.schema(ds)
    u = np.random.default_rng(p.random_seed).random((n, len(LANDLORD_BAND)))
    out = {}
    for j, name in enumerate(LANDLORD_BAND):
        s = schema[name]
        drawn = uncertainty.for_parameter(cast(float, p[name]), cast(float, s.default), cast(float, s.low),
                                          cast(float, s.high), "normal").ppf(u[:, j])
        out[name] = np.clip(drawn, s.minimum, s.maximum)
    draws = pd.DataFrame(out)
    return draws.assign(capacity_block_usage_share=np.minimum(draws["capacity_block_usage_share"],
                                                              1 - draws["on_demand_usage_share"]))


def realized_band(ds: Dataset, p: Params, draws: pd.DataFrame | None = None) -> pd.DataFrame:
    """NPV, IRR and payback month of both landlord cases at realized prices for each draw of `draws` (default
    band_draws): one row per case and draw, vectorized over draws (one price path and capex each)."""
    d = band_draws(ds, p) if draws is None else draws
    # Arrays in place of the drawn parameters' values: unchecked on purpose (Params.replace checks one value each).
    varied: Any = dataclasses.replace(cast(Any, p), **{name: d[name].to_numpy() for name in LANDLORD_BAND})
    frames = []
    for L in landlord_cases(ds, p, REALIZED):
        _, price = price_path(ds, L.months, varied, REALIZED)
        capex = fleet.all_in_capex(ds, h100_price(ds, L.start.year), varied)
        flows = finance.monthly_cash_flows(capex, price, L.utilization, L.power, L.hosting,
                                           varied.residual_value_fraction, L.life_months)
        frames.append(pd.DataFrame({"case": L.label, "npv": finance.npv_at(varied.cost_of_capital, flows),
                                    "irr": finance.irr_annual(flows), "payback_month": finance.payback_month(flows)}))
    return pd.concat(frames, ignore_index=True)


def band_percentiles(band: pd.DataFrame) -> pd.DataFrame:
    """The 5th and 95th percentiles of NPV, IRR and payback month per case (a draw that never pays back within its
    life counts as later than any month, so it lifts the 95th percentile to 'not within life')."""
    filled = band.assign(payback_month=band["payback_month"].fillna(np.inf))
    q = filled.groupby("case", sort=False)[["npv", "irr", "payback_month"]].quantile(np.array([0.05, 0.95]),
                                                                                     interpolation="lower")
    return cast(pd.DataFrame, q.unstack())


@per_dataset
def realized_percentiles(ds: Dataset, p: Params) -> pd.DataFrame:
    """band_percentiles of realized_band at its default draws (computed once per parameter set)."""
    return band_percentiles(realized_band(ds, p))


def at_starting_price(L: Landlord, starting_price: npt.ArrayLike) -> pd.DataFrame:
    """IRR and NPV of case `L` when the revenue per sold hour starts at `starting_price` (USD per GPU-hour, one value
    or several) and then follows the shape of L's path (the cut, the lapse of the Capacity Block rate, the decline)."""
    start = np.atleast_1d(np.asarray(starting_price, float))
    flows = finance.monthly_cash_flows(L.capex, start[:, None] * L.price / L.price[0], L.utilization, L.power,
                                       L.hosting, L.residual_fraction, L.life_months)
    return pd.DataFrame({"case": L.label, "starting_price": start, "irr": finance.irr_annual(flows),
                         "npv": finance.npv_at(L.cost_of_capital, flows)})


def breakeven_starting_price(L: Landlord) -> float:
    """The starting revenue per sold hour, on the shape of L's path, at which NPV = 0 at the cost of capital."""
    return float(L.price[0] * finance.breakeven_price_scale(L.capex, L.price, L.utilization, L.power, L.hosting,
                                                             L.cost_of_capital, L.residual_fraction, L.life_months))


def realized_price_points(ds: Dataset, p: Params) -> pd.DataFrame:
    """IRR and NPV of both cases at each REALIZED_PRICE_POINTS starting price on the list path's shape (the cut and
    the decline), with each case's break-even starting price (`breakeven_price`)."""
    return pd.concat([at_starting_price(L, REALIZED_PRICE_POINTS).assign(breakeven_price=breakeven_starting_price(L))
                      for L in landlord_cases(ds, p)], ignore_index=True)


def landlord_variants(ds: Dataset, p: Params) -> pd.DataFrame:
    """`landlord_outcomes` of both cases for each price path (declining at the parameter, flat) and each life
    (the parameter's sourced low and high: 5 and 6 years)."""
    life = params.schema(ds)["depreciation_life_years"]
    frames = []
    for path, decline in (("declining", p.rental_price_decline_per_year), ("flat", 0.0)):
        for years in sorted({int(cast(float, life.low)), int(cast(float, life.high))}):     # its sourced range
            q = p.replace(rental_price_decline_per_year=decline, depreciation_life_years=years)
            frames.append(landlord_outcomes(landlord_cases(ds, q)).assign(price_path=path))
    return pd.concat(frames, ignore_index=True)


#: Inputs of the landlord's payback and capital cost that a reader should see move them: the server price (sourced
#: band), the contract mix and discount (labelled assumptions) and the price decline (flat to the market-wide fit).
LANDLORD_DRIVERS = ("h100_server_price_usd", "network_share_of_cluster_capex", "on_demand_usage_share",
                    "capacity_block_usage_share", "committed_discount", "rental_price_decline_per_year",
                    "residual_value_fraction")


def landlord_drivers(ds: Dataset, p: Params) -> pd.DataFrame:
    """One input at a time at its sourced (or assumed) low and high, the others as in `p`: the payback month and IRR
    at realized prices and the capital cost per GPU-hour at full use of the H100 bought at the cut. Shows which inputs
    move the landlord's answers and by how much (`confidence` says whether the range is sourced or assumed)."""
    schema = params.schema(ds)
    rows = []
    for name in LANDLORD_DRIVERS:
        s = schema[name]
        row: dict[str, Any] = {"input": s.title, "name": name, "confidence": s.confidence, "low": s.low, "high": s.high}
        for end in ("low", "high"):
            # Unchecked on purpose (dataclasses.replace, not Params.replace): each input at its low or high whatever
            # the others are, e.g. an on-demand share whose sum with the run's Capacity Block share exceeds 1.
            case = cut_case(ds, dataclasses.replace(p, **{name: row[end]}), REALIZED)
            outcome = landlord_outcomes([case]).iloc[0]
            row[f"payback_month_{end}"], row[f"irr_{end}"] = outcome["payback_month"], outcome["irr"]
            row[f"capital_per_hour_{end}"] = float(finance.landlord_cost_breakdown(
                case.capex, case.life_years, case.cost_of_capital, case.power, case.hosting)["capital"])   # full use
        rows.append(row)
    return pd.DataFrame(rows)


def price_paths(cases: list[Landlord]) -> pd.DataFrame:
    """Tidy monthly price paths over each case's life: case, price basis, year (decimal, mid-month), on-demand list
    and blended revenue per sold GPU-hour."""
    return pd.concat([pd.DataFrame({"case": L.label, "basis": L.basis,
                                    "year": L.months.year + (L.months.month - 0.5) / 12,
                                    "on_demand": L.on_demand, "price": L.price}).iloc[:L.life_months] for L in cases],
                     ignore_index=True)


def irr_heatmap(L: Landlord) -> pd.DataFrame:
    """IRR of one case over the utilization x price-scale display grid, at its residual value and life."""
    return what_if_grid(L, UTILIZATION_GRID, PRICE_SCALE_GRID, [L.residual_fraction], [L.life_years])


def what_if_grid(L: Landlord, utilizations: npt.ArrayLike, price_scales: npt.ArrayLike,
                 residual_fractions: npt.ArrayLike, life_years: npt.ArrayLike) -> pd.DataFrame:
    """NPV, IRR and payback of one case over a utilization x price-scale x residual x life grid
    (finance.landlord_grid on the case's price path)."""
    return finance.landlord_grid(L.capex, L.price, L.power, L.hosting, L.cost_of_capital, utilizations, price_scales,
                                 residual_fractions, life_years)


WHAT_IF_AXES = ("utilization", "rental_price_decline_per_year", "residual_value_fraction", "depreciation_life_years")


WHAT_IF_STEPS = {"rental_price_decline_per_year": 5, "residual_value_fraction": 4}    # grid points over the range


def what_if_axes(schema: dict[str, params.Parameter], p: Params) -> dict[str, list]:
    """The what-if grid's values per control: utilization on the display grid, the others over their sourced
    ranges (grids.what_if_values), each with the run's own value."""
    return {name: grids.what_if_values(schema[name], p[name], WHAT_IF_STEPS.get(name, 5),
                                        UTILIZATION_GRID if name == "utilization" else None) for name in WHAT_IF_AXES}


def what_if(ds: Dataset, p: Params, axes: dict[str, list]) -> pd.DataFrame:
    """NPV, IRR and payback of both landlord cases at realized prices over every combination of the values in `axes`
    (one list per name in WHAT_IF_AXES), rows by decline, case, utilization, residual and life: per case one price
    path per decline (drawn at once, as realized_band draws), every cell of the grid vectorized."""
    declines = np.asarray(axes["rental_price_decline_per_year"], float)
    # An array in place of the decline's value: unchecked on purpose (each value is one of the what-if's own grid).
    varied: Any = dataclasses.replace(cast(Any, p), rental_price_decline_per_year=declines)
    u, r, n = np.meshgrid(*(np.asarray(axes[name], float) for name in
                            ("utilization", "residual_value_fraction", "depreciation_life_years")), indexing="ij")
    cells: dict[str, list[np.ndarray]] = {"npv": [], "irr_annual": [], "payback_month": []}
    cases = landlord_cases(ds, p, REALIZED)
    for L in cases:
        _, price = price_path(ds, L.months, varied, REALIZED)                # one row per decline
        flows = finance.monthly_cash_flows(L.capex, price[:, None, None, None, :], u, L.power, L.hosting, r,
                                           np.rint(12 * n).astype(int))
        cells["npv"].append(finance.npv_at(L.cost_of_capital, flows))
        cells["irr_annual"].append(finance.irr_annual(flows))
        cells["payback_month"].append(finance.payback_month(flows))
    shape = (len(declines), len(cases), *u.shape)                          # decline, case, then the grid

    def spread(values: npt.ArrayLike) -> np.ndarray:
        return np.broadcast_to(values, shape).ravel()
    labels = np.array([L.label for L in cases], dtype=object)[:, None, None, None]
    return pd.DataFrame({"case": spread(labels).tolist(), "utilization": spread(u),
                         "rental_price_decline_per_year": spread(declines[:, None, None, None, None]),
                         "residual_value_fraction": spread(r), "depreciation_life_years": spread(n).astype(int),
                         **{name: np.stack(values, axis=1).ravel() for name, values in cells.items()}})
