"""Section 2's prose and headline numbers from the landlord and portfolio models: how the price decline and the
realized prices are built, a payback month in words, and the section's published headline group."""
from __future__ import annotations

import math
import re
from typing import cast

import pandas as pd

from analysis.data import Dataset, params
from analysis.data.params import Params
from analysis.data.units import fmt
from analysis.models import fleet, h100, portfolio, rent
from analysis.models.landlord import (cost_per_gpu_hour, landlord_cases, landlord_outcomes,
                                      realized_percentiles, realized_price_points)
from analysis.models.rent import REALIZED
from analysis.views.exhibits import Headline

NOT_WITHIN_LIFE = "not within life"         # a payback month beyond the asset's life


def decline_text(ds: Dataset, p: Params) -> str:
    """What the price-decline fit uses and gives."""
    h = rent.rental_history(ds)
    used = h[h["basis"].isin(rent.DECLINE_BASES)]
    everything = rent.history_decline(ds, tuple(h["basis"].unique()))
    return ("A least-squares fit of ln(price) = a + b × year, one level a per basis and one common slope b, to the "
            f"{len(used)} hyperscaler list and contract prices ({used['month'].iloc[0]} to {used['month'].iloc[-1]}) "
            f"gives a decline of 1 − e^b = {fmt(rent.history_decline(ds), 'fraction')} a year "
            f"(`rental_price_decline_per_year` is {fmt(p.rental_price_decline_per_year, 'fraction')}). Neocloud and "
            "marketplace rents are shown but left out: they are not what AWS charges; with them the fit gives "
            f"{fmt(everything, 'fraction')} (the parameter's high). Flat list prices (0) are the low, shown as a case "
            "below.")


def realized_text(ds: Dataset, p: Params) -> str:
    """How the realized price path is built, from the data it reads."""
    observed = rent.market_rent_observed(ds)
    rates = h100.p5_rates(ds)
    return ("Realized prices: on-demand hours pay the list price; Capacity Block hours pay "
            f"{fmt(rates['Capacity Blocks'], 'USD_per_hour')} only while that rate was in force (to "
            f"{h100.capacity_block_end(ds)}; no later rate is in the data); every committed hour, and Capacity Block "
            f"hours after that, earns the public market rent: the {len(observed)} observed months of neocloud rents "
            f"and 1-year contract prices in rental_prices.csv ({observed.index[0]} to {observed.index[-1]}, "
            f"{fmt(observed.min(), 'USD_per_hour')} to {fmt(observed.max(), 'USD_per_hour')} per GPU-hour), joined "
            "log-linearly and declining at the H100 rental price decline per year "
            f"({fmt(p.rental_price_decline_per_year, 'fraction')}) after the last. AWS's own committed and private "
            "rates are not published; a big customer that can rent from a neocloud at the market rent has little "
            "reason to pay much more, so this is the realistic case. List prices with committed hours at "
            f"{fmt(p.committed_discount, 'fraction')} off (a 2021 one-year rate) are the ceiling.")


def _item(key: str, label: str, value: float, unit: str, band: tuple[float, float] | None = None) -> Headline:
    """One headline: its value (None with its `undefined` text when not finite) and its 5th-95th band if any."""
    def finite(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None
    v = finite(float(value))
    return Headline(key, label, v, unit, None if band is None else (finite(band[0]), finite(band[1])),
                    {} if v is not None else {"undefined": _undefined(key)})


def landlord_headlines(ds: Dataset, p: Params) -> list[Headline]:
    """The landlord's headline numbers: per case, capex, the realized-price payback, NPV and IRR with their 5th-95th
    band, the break-even starting price and the IRR at REALIZED_PRICE_POINTS; the list-price payback, NPV and IRR
    labelled as the ceiling they are; break-even utilization and operating margin (list prices)."""
    listed, realized = landlord_outcomes(landlord_cases(ds, p)), landlord_outcomes(landlord_cases(ds, p, REALIZED))
    band, points = realized_percentiles(ds, p), realized_price_points(ds, p)
    out = []
    for tag, (_, row), (_, real) in zip(("bought_at_launch", "bought_at_cut"), listed.iterrows(), realized.iterrows()):
        case = row["case"]
        b = band.loc[case]
        out += [_item(f"capex_per_h100_{tag}", f"All-in capex per H100, {case}", row["capex"], "USD")]
        out += [_item(f"{metric}_realized_{tag}", f"Landlord {name} at realized prices, {case}", real[metric], unit,
                      (b[(metric, 0.05)], b[(metric, 0.95)]))
                for metric, name, unit in (("payback_month", "payback month", "months"), ("npv", "NPV per H100", "USD"),
                                           ("irr", "IRR per year", "fraction"))]
        at = points[points["case"] == case]
        out.append(_item(f"breakeven_realized_price_{tag}",
                         "Break-even realized price per GPU-hour in the first month of rent (then the list path's cut "
                         f"and decline), {case}", at["breakeven_price"].iloc[0], "USD_per_hour"))
        out += [_item(f"irr_at_realized_{price:.0f}_usd_{tag}", f"Landlord IRR per year at a realized ${price:.0f} "
                      "per GPU-hour in the first month of rent (then the list path's cut and decline), "
                      f"{case}", irr, "fraction")
                for price, irr in zip(at["starting_price"], at["irr"])]
        out += [
            _item(f"payback_month_{tag}", f"Landlord payback month at list prices (a ceiling), {case}",
                  row["payback_month"], "months"),
            _item(f"npv_{tag}", f"Landlord NPV per H100 at list prices (a ceiling), {case}", row["npv"], "USD"),
            _item(f"irr_{tag}", f"Landlord IRR per year at list prices (a ceiling), {case}", row["irr"], "fraction"),
            _item(f"breakeven_utilization_{tag}", f"Break-even utilization at list prices, {case}",
                  row["breakeven_utilization"], "fraction"),
            _item(f"operating_margin_{tag}", f"Operating margin per sold H100-hour at list prices, {case}",
                  row["operating_margin"], "fraction")]
    return out


def headline_results(ds: Dataset, p: Params) -> list[Headline]:
    """Headline numbers of the portfolio section (value and unit each; a 5th-95th band where one is drawn)."""
    cases = landlord_cases(ds, p)
    cost = cost_per_gpu_hour(cases[-1]).set_index("component")
    aws = portfolio.aws_segment_margin(ds).iloc[-1]
    low_use = cast(float, params.schema(ds)["tenant_utilization"].low)       # the low end of its range

    def tenant(u: float) -> pd.Series:
        return portfolio.tenant_rent_vs_buy(ds, p, u).set_index("option")["breakeven_months"]
    shares = fleet.spend_and_compute(ds, p.trainium_unit_cost_usd).iloc[-1]
    year = int(shares["year"])
    groq = portfolio.system_cost_per_useful_hour(ds, p, p.tenant_utilization).iloc[0]
    table = portfolio.portfolio_table(ds)
    h100_row = table[table["instance_type"] == h100.LANDLORD_INSTANCE].iloc[0]
    lic = portfolio.nvaie(p, {"post": h100.p5_rates(ds)["on-demand, post-cut"]})
    u = f"{p.utilization:.0%} utilization"                  # the landlord's: AWS's share of hours sold
    ut = f"{p.tenant_utilization:.0%} utilization"          # the tenant's own server (and a self-run Groq system)
    results = [
        _item("aws_cost_per_h100_hour", f"AWS's cost per H100-hour at full use, {cases[-1].label}",
              cost["full_use"].loc["total"], "USD_per_hour"),
        _item("aws_cost_per_sold_h100_hour", f"AWS's cost per sold H100-hour at {u}, {cases[-1].label}",
              cost["per_sold_hour"].loc["total"], "USD_per_hour"),
        *landlord_headlines(ds, p),
        _item("aws_segment_operating_margin", f"AWS segment operating margin, {aws['period']}", aws["margin"],
              "fraction")]
    full, low, at_u = tenant(1.0), tenant(low_use), tenant(p.tenant_utilization)
    for option, tag in (("on-demand, pre-cut", "pre_cut"), ("on-demand, post-cut", "post_cut")):
        kind = option.removeprefix("on-demand, ")
        results += [
            _item(f"tenant_breakeven_months_{tag}_full_use", f"Tenant: months until buying beats renting p5 {kind}, "
                  f"server in use every hour (range: full use to {low_use:.0%} use)", full[option], "months",
                  (full[option], low[option])),
            _item(f"tenant_breakeven_months_{tag}", f"Tenant: months until buying beats renting p5 {kind}, {ut}",
                  at_u[option], "months")]
    results += [
        _item("nvidia_spend_share_latest_year", f"Nvidia's share of Amazon's accelerator spend, {year}",
              shares["nvidia_spend_share"], "fraction"),
        _item("nvidia_compute_share_latest_year", f"Nvidia's share of Amazon's added compute (H100e), {year}",
              shares["nvidia_compute_share"], "fraction"),
        _item("h100_sustained_share_of_spec", "H100: measured sustained BF16 GEMM / spec dense BF16",
              h100_row["measured_share_of_spec"], "fraction"),
        _item("groq_advantage_needed", f"Throughput advantage a Groq 70B system needs to match an 8-GPU server, {ut}",
              groq["groq_advantage_needed"], "times"),
        _item("nvaie_implied_licensed_gpus", "GPUs implied by Nvidia's software run rate at the NVAIE price",
              lic.licensed_gpus, "count"),
        _item("nvaie_share_of_post_cut_rent", "NVAIE licence per GPU-hour / p5 post-cut rent per GPU-hour",
              lic.share_of_rent["post"], "fraction")]
    tokens = portfolio.token_costs(ds, portfolio.gpu_hour_prices(ds, cast(float, cost.loc["total", "per_sold_hour"])))
    for row in tokens[tokens["batch"] == tokens["batch"].max()].itertuples():
        slug = re.sub(r"[^a-z0-9]+", "_", f"{row.chip_id} {row.basis}".lower()).strip("_")
        results.append(_item(f"usd_per_million_tokens_{slug}_batch{row.batch}",
                             f"USD per million tokens (decode proxy, batch {row.batch}), {row.chip_id}, {row.basis}",
                             row.usd_per_million_tokens, "USD_per_million_tokens"))
    return results


def _undefined(key: str) -> str:
    """What an undefined headline means: a payback month beyond the life, a break-even that never comes."""
    return NOT_WITHIN_LIFE if key.startswith("payback_month") else "never" if "breakeven_months" in key else "n/a"


def month_text(month: float) -> str:
    """A payback month for prose and tables: "14", or "not within life" when it does not come."""
    return f"{month:.0f}" if math.isfinite(month) else NOT_WITHIN_LIFE


def pays_back(month: float, low: float, high: float) -> str:
    """A case's payback in words, with the months of its 5th-95th percentile band."""
    central = f"pays back in month {month:.0f}" if math.isfinite(month) else "does not pay back within its life"
    return f"{central} ({month_text(low)}–{month_text(high)})"
