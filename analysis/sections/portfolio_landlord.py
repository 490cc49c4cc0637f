"""Section 2's landlord parts: what AWS earns on an H100 it rents out.

The public rental prices and their decline, the cost per GPU-hour of the two purchase cases (at launch and at the
price cut), their payback, NPV and IRR at realized and at list prices with the drivers one at a time, against AWS's
segment margin, and the what-if box over utilization. The parts are registered in `analysis.sections.portfolio`'s
SECTION, in reading order between the whom-Amazon-pays parts and the tenant's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

import analysis.sections.portfolio_text as portfolio_text
from analysis.models import h100, portfolio, rent
from analysis.models import landlord as landlord_model   # `landlord` is a part of this module
from analysis.views import charts
from analysis.sections.base import SectionState
from analysis.views.exhibits import Collector
from analysis.views.present import fmt

if TYPE_CHECKING:
    import altair as alt

LANDLORD_OUTCOME_UNITS = {"capex": "USD", "mean_price": "USD_per_hour", "payback_month": "months", "npv": "USD",
                          "irr": "fraction", "breakeven_utilization": "fraction", "breakeven_price_scale": "fraction",
                          "operating_margin": "fraction"}
LANDLORD_OUTCOME_LABELS = {"case": "Case", "start": "First month of rent", "capex": "All-in capex",
                           "life_years": "Life (years)", "mean_price": "Mean revenue per sold hour",
                           "payback_month": "Payback month", "npv": "NPV per GPU",
                           "irr": "IRR per year", "breakeven_utilization": "Break-even utilization",
                           "breakeven_price_scale": "Break-even price scale",
                           "operating_margin": "Operating margin per sold hour",
                           "price_path": "Price path", "basis": "Prices"}


class LandlordState(SectionState):
    """What the landlord parts read (p5's rates, from the section's setup) and set for later parts: the rental
    history, the landlord's cases at list and at realized prices and the cut case's cost per hour."""
    rates: dict[str, float]
    history: pd.DataFrame
    cases: list[landlord_model.Landlord]
    realized: list[landlord_model.Landlord]
    cut_cost: pd.DataFrame


def landlord(v: LandlordState, x: Collector) -> None:
    ds, P, rates = v.ds, v.p, v.rates
    v.history = rent.rental_history(ds)
    years = v.history["year"]
    x.chart(charts.xy_lines(v.history, "year", "Year", "usd_per_hour", "USD per H100-hour (log)", "series",
                            f"Public H100 rental prices, {int(years.min())}–{int(years.max())}: AWS list, contract "
                            "index and market rents",
                            "Sources: AWS price lists; SemiAnalysis; Latent Space; AIMultiple (rental_prices.csv)",
                            log_y=True))
    x.say(portfolio_text.decline_text(ds, P))
    v.cases = launch, cut = landlord_model.landlord_cases(ds, P)
    cost = pd.concat([landlord_model.cost_per_gpu_hour(case).assign(case=case.label) for case in v.cases])
    x.table(cost[["case", "component", "full_use", "per_sold_hour"]],
            {"full_use": "USD_per_hour", "per_sold_hour": "USD_per_hour"},
            {"case": "Case", "component": "Component", "full_use": "Per GPU-hour at full use",
             "per_sold_hour": f"Per sold GPU-hour at {fmt(P['utilization'], 'fraction')} utilization"})
    c = v.cut_cost = cost[cost["case"] == cut.label].set_index("component")
    x.say(f"All-in capex per GPU is {fmt(launch.capex, 'USD')} bought in {launch.start.year} and "
          f"{fmt(cut.capex, 'USD')} bought in {cut.start.year}. Bought at the cut, over {cut.life_years} years at "
          f"{fmt(cut.cost_of_capital, 'fraction')} it costs {fmt(c.loc['capital', 'full_use'], 'USD_per_hour')} of "
          f"capital, {fmt(c.loc['power', 'full_use'], 'USD_per_hour')} of power and "
          f"{fmt(c.loc['hosting', 'full_use'], 'USD_per_hour')} of hosting per GPU-hour, "
          f"{fmt(c.loc['total', 'per_sold_hour'], 'USD_per_hour')} per *sold* hour. The p5 rent per GPU was "
          f"{fmt(rates['on-demand, pre-cut'], 'USD_per_hour')} on demand before the cut, "
          f"{fmt(rates['on-demand, post-cut'], 'USD_per_hour')} from {h100.price_cut_month(ds)} (observed to "
          f"{h100.last_observed_month(ds)}), and {fmt(rates['Capacity Blocks'], 'USD_per_hour')} as a Capacity Block.")
    v.realized = landlord_model.landlord_cases(ds, P, rent.REALIZED)
    x.say(portfolio_text.realized_text(ds, P))
    x.chart(charts.xy_lines(landlord_model.price_paths([*v.cases, *v.realized]), "year", "Year", "price",
                            "Revenue per sold GPU-hour (USD)", "case",
                            "The H100's revenue per sold hour over its life: realized prices and the list-price "
                            "ceiling",
                            "Sources: AWS price lists (p5.48xlarge); market rents and decline: rental_prices.csv; "
                            "contract mix: parameters",
                            dash="basis"))


def landlord_drivers(v: LandlordState, x: Collector) -> None:
    drivers = landlord_model.landlord_drivers(v.ds, v.p)
    x.table(drivers.drop(columns=["name"]),
            {"low": "number", "high": "number", "payback_month_low": "months", "payback_month_high": "months",
             "irr_low": "fraction", "irr_high": "fraction",
             "capital_per_hour_low": "USD_per_hour", "capital_per_hour_high": "USD_per_hour"},
            {"input": "Input (one at a time)", "confidence": "Range is", "low": "Low", "high": "High",
             "payback_month_low": "Payback at low (realized prices)",
             "payback_month_high": "Payback at high (realized prices)",
             "irr_low": "IRR at low (realized prices)", "irr_high": "IRR at high (realized prices)",
             "capital_per_hour_low": "Capital per GPU-hour at low",
             "capital_per_hour_high": "Capital per GPU-hour at high"})


def landlord_outcomes(v: LandlordState, x: Collector) -> None:
    ds, P, cut = v.ds, v.p, v.cases[1]
    realized, listed = (landlord_model.landlord_outcomes(c).assign(basis=c[0].basis) for c in (v.realized, v.cases))
    outcomes = pd.concat([realized, listed], ignore_index=True)
    x.table(outcomes[["case", "basis", *[c for c in outcomes if c not in ("case", "basis")]]], LANDLORD_OUTCOME_UNITS,
            LANDLORD_OUTCOME_LABELS)
    band = landlord_model.realized_percentiles(ds, P)
    r, a, b = realized.set_index("case"), listed.iloc[0], listed.iloc[1]

    def banded(case: str, metric: str, unit: str) -> str:
        low, high = band.loc[case, (metric, 0.05)], band.loc[case, (metric, 0.95)]
        return f"{fmt(r.loc[case, metric], unit)} ({fmt(low, unit)}–{fmt(high, unit)})"

    def pays_back(case: str) -> str:
        month = float(realized.set_index("case")["payback_month"][case])
        return portfolio_text.pays_back(month, *(float(band["payback_month"].loc[case, q]) for q in (0.05, 0.95)))
    drawn = ", ".join(v.schema[n].title for n in landlord_model.LANDLORD_BAND)
    x.say(f"At realized prices an H100 bought in {P['gpu_purchase_quarter']} has an IRR of "
          f"{banded(a['case'], 'irr', 'fraction')} a year, an NPV of {banded(a['case'], 'npv', 'USD')} and "
          f"{pays_back(a['case'])}; bought at the {h100.price_cut_month(ds)} cut: IRR "
          f"{banded(b['case'], 'irr', 'fraction')}, NPV {banded(b['case'], 'npv', 'USD')}; it {pays_back(b['case'])} "
          f"(5th–95th percentiles of {landlord_model.LANDLORD_BAND_DRAWS:,} draws of {drawn}, each over its range in "
          f"the parameter appendix; utilization stays at {fmt(P['utilization'], 'fraction')}, which has no published "
          f"range). At list prices, a ceiling that assumes every on-demand and committed hour sells at AWS's list: IRR "
          f"{fmt(a['irr'], 'fraction')} and NPV {fmt(a['npv'], 'USD')} bought at launch, {fmt(b['irr'], 'fraction')} "
          f"and {fmt(b['npv'], 'USD')} at the cut; break-even utilization "
          f"{fmt(b['breakeven_utilization'], 'fraction')} (launch case: "
          f"{fmt(a['breakeven_utilization'], 'fraction')}). AWS's other overheads and idle capacity beyond utilization "
          f"are not in the data.")
    points = landlord_model.realized_price_points(ds, P)
    first = points.groupby("case", sort=False).first()

    def returns(case: str) -> str:
        at = points[points["case"] == case]
        return " / ".join(fmt(irr, "fraction") for irr in at["irr"])
    prices = " / ".join(fmt(price, "USD") for price in landlord_model.REALIZED_PRICE_POINTS)
    x.say(f"Whatever the mix, what AWS realizes per sold hour decides the return. Starting from a realized {prices} "
          f"per GPU-hour in the first month and then following the list path's cut and decline, the IRR is "
          f"{returns(a['case'])} a year bought in {P['gpu_purchase_quarter']} and {returns(b['case'])} bought at the "
          f"cut (cost of capital {fmt(P['cost_of_capital'], 'fraction')}). The break-even realized price in the first "
          f"month is {fmt(first.loc[a['case'], 'breakeven_price'], 'USD_per_hour')} bought at launch and "
          f"{fmt(first.loc[b['case'], 'breakeven_price'], 'USD_per_hour')} bought at the cut.")
    variants = landlord_model.landlord_variants(ds, P)
    shown = variants[["case", "price_path", "life_years", "payback_month", "npv", "irr", "breakeven_utilization",
                      "operating_margin"]]
    x.table(shown, {k: u for k, u in LANDLORD_OUTCOME_UNITS.items() if k in shown}, LANDLORD_OUTCOME_LABELS)
    life = v.schema["depreciation_life_years"]
    assert life.low is not None and life.high is not None     # the life has a range (data/parameters.csv)
    x.say(f"At list prices (the ceiling), flat versus declining prices and a {int(life.low)}- versus "
          f"{int(life.high)}-year life: {life.rationale}.")
    aws = portfolio.aws_segment_margin(ds)
    x.table(aws, {"revenue": "USD_million", "operating_income": "USD_million", "margin": "fraction"},
            {"period": "AWS segment", "revenue": "Net sales", "operating_income": "Operating income",
             "margin": "Operating margin"})
    x.say(f"Margin per sold GPU-hour as a segment report would show it (straight-line depreciation net of residual "
          f"value, power and hosting; no cost of capital): {fmt(a['operating_margin'], 'fraction')} bought at launch "
          f"and {fmt(b['operating_margin'], 'fraction')} bought at the cut, against AWS's whole-segment operating "
          f"margin of {fmt(aws['margin'].iloc[-1], 'fraction')} ({aws['period'].iloc[-1]}). AWS's margin also carries "
          f"sales, software, networking beyond the cluster and idle capacity that this per-GPU view leaves out.")
    x.chart(charts.irr_heat_map(landlord_model.irr_heatmap(v.realized[1]),
                                f"Landlord IRR per year at realized prices, {cut.label}, by utilization and price "
                                "level",
                                "Sources: AWS price lists; rental_prices.csv; measured H100 power; parameters (capex, "
                                "hosting, contract mix)",
                                mid=P.cost_of_capital))


def _landlord_chart(frame: pd.DataFrame) -> alt.LayerChart | alt.Chart:
    return charts.xy_lines(frame, "utilization", "Utilization (share of hours sold)", "npv", "NPV per H100 (USD)",
                           "case",
                           "Landlord NPV per H100 by utilization, at the chosen price decline, residual and life",
                           "Computed by the section 2 model for every grid point when the report was built")


def landlord_what_if(v: LandlordState, x: Collector) -> None:
    axes = landlord_model.what_if_axes(v.schema, v.p)
    x.what_if(name="landlord", title="What if: the landlord's H100",
              description="NPV, IRR and payback month of both landlord cases at realized prices.",
              axes=axes, schema=v.schema, values=v.p, points=landlord_model.what_if(v.ds, v.p, axes),
              outputs={"npv": ("NPV per H100", "USD"), "irr_annual": ("IRR per year", "fraction"),
                       "payback_month": ("Payback month", "months")},
              x="utilization", series="case", within_life={"payback_month": "depreciation_life_years"},
              chart_of=_landlord_chart)
