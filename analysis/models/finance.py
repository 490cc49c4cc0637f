"""Pure finance helpers: AWS as a landlord of accelerators, and a tenant's rent-vs-buy choice.

Every economic assumption is an argument (no defaults, no data loading). Functions accept
scalars or numpy arrays and broadcast. Cash-flow series are monthly, time on the last axis,
month 0 holds the purchase; rates passed in are annual effective rates (0.08 = 8 %/yr).
The only constants are calendar conventions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.models import irr

#: An argument: a number or an array (or Series) of numbers (the functions broadcast).
Values = float | np.ndarray | pd.Series
#: A result: a numpy scalar for scalar arguments, else an array (`array[()]`, which numpy's stubs type as Any; callers
#: index, broadcast and convert it either way).
Result = Any

HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12  # 730 h


def capital_recovery_factor(rate: Values, years: Values) -> Result:
    """Level annual payment per USD of capex repaid over `years` at annual `rate` (1/yr).

    r(1+r)^n / ((1+r)^n - 1); the limit 1/n at rate 0.
    """
    rate, years = np.broadcast_arrays(np.asarray(rate, float), np.asarray(years, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (1.0 + rate) ** years
        crf = np.where(rate == 0, 1.0 / years, rate * growth / (growth - 1.0))
    return crf[()]


def power_cost_per_hour(board_power_w: Values, server_overhead_fraction: Values, pue: Values,
                        usd_per_kwh: Values) -> Result:
    """Electricity cost, USD per accelerator-hour at full draw.

    board_power_w (W) x (1 + server share: CPU, NICs, fans, as a fraction of board power)
    x PUE (facility W per IT W) x USD/kWh.
    """
    kw = np.asarray(board_power_w, float) / 1000.0
    return kw * (1.0 + np.asarray(server_overhead_fraction)) * pue * usd_per_kwh


def landlord_cost_breakdown(capex_per_accel: Values, life_years: Values, cost_of_capital: Values,
                            power_cost_per_hour: Values, hosting_per_hour: Values) -> dict[str, Result]:
    """Landlord cost per accelerator-hour of wall-clock time (USD/h), by component.

    Returns dict with 'capital' (capex x CRF / 8760 h), 'power', 'hosting' and 'total';
    pass it to pandas.DataFrame / Series for a table.
    """
    capital = (np.asarray(capex_per_accel, float)
               * capital_recovery_factor(cost_of_capital, life_years) / HOURS_PER_YEAR)
    power = np.asarray(power_cost_per_hour, float)
    hosting = np.asarray(hosting_per_hour, float)
    parts = {"capital": capital, "power": power, "hosting": hosting,
             "total": capital + power + hosting}
    return {name: value[()] for name, value in parts.items()}


def monthly_cash_flows(capex_per_accel: Values, monthly_price_per_hour: Values, utilization: Values,
                       power_cost_per_hour: Values, hosting_per_hour: Values, residual_fraction: Values = 0.0,
                       life_months: Values | None = None) -> Result:
    """Landlord's monthly cash flows per accelerator, USD; shape (..., months + 1).

    Month 0 is -capex. Month t = 1..life is 730 h x (utilization x (price_t - power) - hosting):
    revenue and power accrue on sold hours only, hosting (space, staff, network) on all hours; month
    `life` also receives residual_fraction x capex (resale at the end of life). Months after `life`
    are zero, so lives of different lengths share one array. `monthly_price_per_hour` (USD per
    accelerator-hour) has one entry per month on its last axis (at least max(life) of them); the
    other arguments broadcast against its leading axes; life_months=None means the whole path.
    """
    price = np.asarray(monthly_price_per_hour, float)
    u, power, hosting, capex, residual = (np.asarray(x, float)[..., None] for x in
                                          (utilization, power_cost_per_hour, hosting_per_hour,
                                           capex_per_accel, residual_fraction))
    t = np.arange(1, price.shape[-1] + 1)
    life = t[-1] if life_months is None else np.asarray(life_months)[..., None]
    if np.any(life > t[-1]):
        raise ValueError(f"price path has {t[-1]} months, shorter than the life ({np.max(life)} months)")
    operating = (np.where(t <= life, HOURS_PER_MONTH * (u * (price - power) - hosting), 0.0)
                 + np.where(t == life, residual * capex, 0.0))
    lead = np.broadcast_shapes(operating.shape[:-1], capex.shape[:-1])
    operating = np.broadcast_to(operating, lead + operating.shape[-1:])
    return np.concatenate([np.broadcast_to(-capex, lead + (1,)), operating], axis=-1)


def decline_factors(months_after: Values, annual_decline: Values) -> Result:
    """Price multiplier (1 - annual_decline)^(months / 12) for months after a start; 1 at and before it."""
    months = np.maximum(np.asarray(months_after, float), 0.0)
    return ((1.0 - np.asarray(annual_decline, float)) ** (months / 12.0))[()]


def fitted_annual_decline(years: Values, prices: Values, groups: Values | None = None) -> float:
    """Annual rate of decline of a log-linear least-squares fit ln(price) = a_g + b x years, one level a_g per group
    (series of different price levels share one slope; no groups = one level): 1 - exp(b)."""
    t = pd.Series(np.asarray(years, float))
    y = pd.Series(np.log(np.asarray(prices, float)))
    g = pd.Series(np.zeros(len(t)) if groups is None else np.asarray(groups))
    dt, dy = t - t.groupby(g).transform("mean"), y - y.groupby(g).transform("mean")
    slope = float((dt * dy).sum() / (dt * dt).sum())
    return float(1.0 - np.exp(slope))


def accounting_margin(price_per_sold_hour: Values, utilization: Values, capex_per_accel: Values,
                      residual_fraction: Values, life_years: Values, power_cost_per_hour: Values,
                      hosting_per_hour: Values) -> Result:
    """Operating margin per sold accelerator-hour, as a segment report would show it (no cost of capital).

    1 - cost / price, cost per sold hour = (straight-line depreciation capex x (1 - residual) /
    (life x 8760 h) + hosting) / utilization + power.
    """
    depreciation = (np.asarray(capex_per_accel, float) * (1.0 - np.asarray(residual_fraction, float))
                    / (np.asarray(life_years, float) * HOURS_PER_YEAR))
    cost = (depreciation + hosting_per_hour) / np.asarray(utilization, float) + power_cost_per_hour
    return (1.0 - cost / np.asarray(price_per_sold_hour, float))[()]


def payback_month(cash_flows: Values) -> Result:
    """First month index at which cumulative cash >= 0; NaN if never (float, broadcasts)."""
    paid = np.cumsum(np.asarray(cash_flows, float), axis=-1) >= 0
    return np.where(paid.any(axis=-1), paid.argmax(axis=-1), np.nan)[()]


def monthly_rate(annual_rate: Values) -> Result:
    """Monthly rate equivalent to an annual effective rate: (1 + r)^(1/12) - 1."""
    return (1.0 + np.asarray(annual_rate, float)) ** (1.0 / 12.0) - 1.0


def npv_at(annual_rate: Values, cash_flows_monthly: Values) -> Result:
    """NPV (USD at month 0) of monthly cash flows discounted at an annual effective rate: numpy-financial's npv
    arithmetic, vectorized over the leading axes."""
    flows = np.asarray(cash_flows_monthly, float)
    rate = monthly_rate(annual_rate)[..., None]
    return (flows / (1 + rate) ** np.arange(flows.shape[-1])).sum(axis=-1)[()]


def irr_annual(cash_flows_monthly: Values) -> Result:
    """IRR of monthly cash flows, annualized as (1 + m)^12 - 1; NaN when no IRR exists.

    Flows that change sign more than once can have several IRRs; the monthly rate m is then the root closest to
    zero, as numpy-financial's `irr` returns it (analysis.models.irr: all vectors at once, same root, last bits may
    differ).
    """
    flows = np.asarray(cash_flows_monthly, float)
    m = irr.monthly_irr(flows.reshape(-1, flows.shape[-1])).reshape(flows.shape[:-1])
    return ((1.0 + m) ** 12 - 1.0)[()]


def _linear_root(npv_at_0: Values, npv_at_1: Values) -> Result:
    """Root x of the line NPV(x) through NPV(0), NPV(1); inf where NPV does not rise with x."""
    slope = npv_at_1 - npv_at_0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(slope > 0, -npv_at_0 / slope, np.inf)[()]


def breakeven_utilization(capex_per_accel: Values, monthly_price_per_hour: Values, power_cost_per_hour: Values,
                          hosting_per_hour: Values, cost_of_capital: Values, residual_fraction: Values = 0.0,
                          life_months: Values | None = None) -> Result:
    """Utilization (fraction of hours sold) giving NPV = 0 at `cost_of_capital` (annual).

    Exact: NPV is linear in utilization. Values > 1 mean unreachable; inf when each sold
    hour does not add value (price <= power on discounted average).
    """
    def npv(u: float) -> Result:
        return npv_at(cost_of_capital, monthly_cash_flows(
            capex_per_accel, monthly_price_per_hour, u, power_cost_per_hour, hosting_per_hour,
            residual_fraction, life_months))
    return _linear_root(npv(0.0), npv(1.0))


def breakeven_price_scale(capex_per_accel: Values, monthly_price_per_hour: Values, utilization: Values,
                          power_cost_per_hour: Values, hosting_per_hour: Values, cost_of_capital: Values,
                          residual_fraction: Values = 0.0, life_months: Values | None = None) -> Result:
    """Multiplier on the whole price path giving NPV = 0 at `cost_of_capital` (annual).

    Exact: NPV is linear in the multiplier. With a flat path of ones this is the break-even
    price in USD per accelerator-hour. inf when utilization or prices are zero.
    """
    price = np.asarray(monthly_price_per_hour, float)

    def npv(scale: float) -> Result:
        return npv_at(cost_of_capital, monthly_cash_flows(
            capex_per_accel, scale * price, utilization, power_cost_per_hour, hosting_per_hour,
            residual_fraction, life_months))
    return _linear_root(npv(0.0), npv(1.0))


def rent_vs_buy_breakeven_months(purchase_price: Values, buy_running_cost_per_month: Values, rent_per_hour: Values,
                                 utilization: Values) -> Result:
    """Months after which owning is cheaper than renting the same useful hours (undiscounted), at the tenant's
    utilization of its own server (the share of hours it has work for).

    Renting costs rent_per_hour x utilization x 730 h per month; owning costs the purchase
    up front plus the running cost (power, hosting, support) each month. inf if never.
    """
    monthly_saving = (np.asarray(rent_per_hour, float) * utilization * HOURS_PER_MONTH
                      - buy_running_cost_per_month)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(monthly_saving > 0, purchase_price / monthly_saving, np.inf)[()]


def cost_per_useful_hour(system_cost: Values, life_years: Values, cost_of_capital: Values, power_kw: Values,
                         usd_per_kwh: Values, pue: Values, utilization: Values) -> Result:
    """USD per busy hour of one model-serving system (e.g. a GPU server or a rack of SRAM chips).

    Annualized capex is spread over useful hours only (capital per wall hour / utilization);
    power (system kW at the wall of the IT load x PUE) is drawn while busy. utilization in (0, 1].
    """
    u = np.asarray(utilization, float)
    if np.any((u <= 0) | (u > 1)):
        raise ValueError("utilization must be in (0, 1]")
    capital = (np.asarray(system_cost, float)
               * capital_recovery_factor(cost_of_capital, life_years) / HOURS_PER_YEAR)
    return (capital / u + np.asarray(power_kw, float) * pue * usd_per_kwh)[()]


def usd_per_million_tokens(usd_per_accel_hour: Values, tokens_per_second: Values) -> Result:
    """USD per 1e6 tokens for an accelerator costing usd_per_accel_hour and producing tokens_per_second."""
    tokens_per_hour = np.asarray(tokens_per_second, float) * 3600.0
    return (np.asarray(usd_per_accel_hour, float) * 1e6 / tokens_per_hour)[()]


def implied_licensed_gpus(annual_run_rate_usd: Values, price_per_gpu_year: Values) -> Result:
    """Number of GPUs a revenue run rate (USD/yr) pays for at a price per GPU-year (USD)."""
    return (np.asarray(annual_run_rate_usd, float) / price_per_gpu_year)[()]


def landlord_grid(capex_per_accel: Values, monthly_price_per_hour: Values, power_cost_per_hour: Values,
                  hosting_per_hour: Values, cost_of_capital: Values, utilizations: npt.ArrayLike,
                  price_scales: npt.ArrayLike, residual_fractions: npt.ArrayLike,
                  life_years: npt.ArrayLike) -> pd.DataFrame:
    """Tidy DataFrame over the full utilization x price-scale x residual x life (years) grid: one row per cell
    with npv (USD at month 0, at `cost_of_capital`), irr_annual and payback_month.

    price_scales multiply the whole monthly price path, which must cover the longest life. One vectorized
    cash-flow array of shape (U, S, R, N, months + 1) serves every cell (precomputed what-if tables).
    """
    axes = [np.asarray(a, float) for a in (utilizations, price_scales, residual_fractions, life_years)]
    u, s, r, n = np.meshgrid(*axes, indexing="ij")
    prices = s[..., None] * np.asarray(monthly_price_per_hour, float)
    flows = monthly_cash_flows(capex_per_accel, prices, u, power_cost_per_hour, hosting_per_hour,
                               r, np.rint(12 * n).astype(int))
    return pd.DataFrame({"utilization": u.ravel(), "price_scale": s.ravel(), "residual_fraction": r.ravel(),
                         "life_years": n.ravel(), "npv": np.ravel(npv_at(cost_of_capital, flows)),
                         "irr_annual": np.ravel(irr_annual(flows)), "payback_month": np.ravel(payback_month(flows))})
