"""Section 1: Amazon's capex, AWS's share of it, and the funnel from capex to accelerators, power and rent."""
from __future__ import annotations

from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.data.params import Params
from analysis.models import capex, fleet
import analysis.sections.owner_view as owner_view
from analysis.sections.base import Section, SectionState
from analysis.views import charts
from analysis.views.exhibits import Collector, Headline
from analysis.views.present import fmt, sources_of

PARAMETERS = ("as_of", "focus_quarter", "ai_share", "h100_server_price_usd", "network_share_of_cluster_capex",
              "trainium_unit_cost_usd", "server_overhead_fraction", "pue", "utilization", *owner_view.PARAMETERS)
OTHER_OWNERS_ONLY = "values and draws another owner's purchases (`owner`); Amazon's funnel uses Epoch's medians"


class CapexState(SectionState):
    """Amazon's quarterly financials (tidy and by quarter), the funnel, and what the parts add: the peers' capex and
    Epoch's quarterly units (their sources)."""
    amazon: pd.DataFrame
    quarters: pd.DataFrame
    funnel: pd.DataFrame
    peers: pd.DataFrame
    epoch_units: pd.DataFrame


def _setup(v: CapexState) -> None:
    v.amazon = capex.amazon_quarterly(v.ds)
    v.quarters = capex.wide(v.amazon)
    v.funnel = capex.funnel(v.ds, v.p)


def overview(v: CapexState, x: Collector) -> None:
    x.say(f"Data version `{v.ds.version}`, as of {v.p['as_of']}; Amazon quarterly capex from {v.quarters.index[0]} to "
          f"{v.quarters['capex_gross'].dropna().index[-1]}.")


def gross_capex(v: CapexState, x: Collector) -> None:
    gross = v.quarters["capex_gross"].dropna()
    first = gross.index[0][:4]                  # the data's first year, whole (its quarters begin in Q1)
    first_year, last_year = gross[gross.index.str.startswith(first)].sum(), gross.iloc[-4:].sum()
    x.say(f"Gross capex was {fmt(first_year, 'USD_million')} in the four quarters of {first} and "
          f"{fmt(last_year, 'USD_million')} in the four quarters to {gross.index[-1]}: "
          f"{last_year / first_year:.1f} times as much. The latest quarter alone, {gross.index[-1]}, was "
          f"{fmt(gross.iloc[-1], 'USD_million')}.")
    lines = v.amazon[v.amazon["metric"].isin(["capex_gross", "capex_net"])].replace(
        {"capex_gross": "Gross purchases of P&E", "capex_net": "Net of proceeds (Amazon's FCF definition)"})
    x.chart(charts.quarterly_lines(lines, "USD million per quarter", "metric", "Amazon capex per quarter",
                                   "Source: Amazon 10-Q/10-K cash-flow statements (Q4 = year minus nine months)"))


def recent_quarters(v: CapexState, x: Collector) -> None:
    recent = v.quarters.loc[:, ["capex_gross", "capex_proceeds", "capex_net", "aws_revenue", "aws_operating_income"]].tail(8)
    x.table(recent.reset_index(), {c: "USD_million" for c in recent.columns},
            {"quarter": "Quarter", "capex_gross": "Gross capex", "capex_proceeds": "Proceeds", "capex_net": "Net capex",
             "aws_revenue": "AWS sales", "aws_operating_income": "AWS operating income"})


def aws_segment(v: CapexState, x: Collector) -> None:
    aws_capex = v.funnel["aws_capex"]
    aws = v.amazon[v.amazon["metric"].isin(["aws_revenue", "aws_operating_income"])].replace(
        {"aws_revenue": "AWS net sales", "aws_operating_income": "AWS operating income"})
    margin = (v.quarters["aws_operating_income"] / v.quarters["aws_revenue"]).dropna()
    x.say(f"AWS's operating margin moved from {fmt(margin.iloc[0], 'fraction')} in {margin.index[0]} to "
          f"{fmt(margin.iloc[-1], 'fraction')} in {margin.index[-1]}; over the same span AWS capex "
          f"(AWS's share of each year's capex from the 10-K) went from {fmt(aws_capex.iloc[0], 'USD_million')} "
          f"to {fmt(aws_capex.iloc[-1], 'USD_million')} per quarter.")
    x.table(capex.aws_capex_share_by_year(v.ds).rename_axis("year").reset_index(), {"aws_capex_share": "fraction"},
            {"year": "Fiscal year", "aws_capex_share": "AWS net additions to P&E / Amazon's"})
    x.chart(charts.quarterly_lines(aws, "USD million per quarter", "metric", "AWS segment results",
                                   "Source: Amazon quarterly earnings releases and 10-Q segment tables"))


def peers(v: CapexState, x: Collector) -> None:
    v.peers = capex.peer_capex(v.ds)
    x.chart(charts.quarterly_lines(v.peers, "USD million per quarter", "company",
                                   "Purchases of property and equipment, four hyperscalers",
                                   "Source: company 10-Q/10-K cash-flow statements (Meta: purchases of P&E, net)"))


def essay_check(v: CapexState, x: Collector) -> None:
    check, quarter = capex.essay_check(v.ds, v.p), v.p["focus_quarter"]
    x.say(f"Amazon's reported gross capex in {quarter} was "
          f"{fmt(check.loc['Amazon gross capex (reported)', 'this report'], 'USD_million')}. The essay's $8B would be "
          f"{fmt(check.loc['AWS share of Amazon capex', 'essay'], 'fraction')} of it, against "
          f"{fmt(check.loc['AWS share of Amazon capex', 'this report'], 'fraction')} from AWS's segment disclosure for "
          f"the year. At that share and `ai_share` = {v.p['ai_share']}, AI hardware in the quarter comes to "
          f"{fmt(check.loc['AI hardware capex', 'this report'], 'USD_million')} against the essay's "
          f"{fmt(check.loc['AI hardware capex', 'essay'], 'USD_million')}.")
    amounts = check.drop(index="AWS share of Amazon capex").reset_index()
    bars = amounts.melt(id_vars="item", var_name="basis", value_name="value").dropna()
    x.chart(charts.funnel_bars(bars, f"Essay vs filings, {quarter}",
                               "Sources: essay; Amazon 10-Q; AWS share from Amazon's 10-K segment note"))
    x.table(amounts, {"essay": "USD_million", "this report": "USD_million"},
            {"item": f"{quarter}", "essay": "Essay", "this report": "This report (filings x parameters)"})


def funnel(v: CapexState, x: Collector) -> None:
    quarter, funnel = v.p["focus_quarter"], v.funnel
    mix = fleet.quarterly_mix(v.ds, v.p)
    focus = funnel.loc[quarter]
    x.say(f"In {quarter}: {fmt(focus['ai_hardware'], 'USD_million')} of AI hardware buys "
          f"{fmt(focus['accelerators'], 'count')} accelerators at a mean all-in {fmt(focus['all_in_usd'], 'USD')} each, drawing "
          f"{fmt(focus['power_mw'], 'MW')} of facility power. Rented at their on-demand list prices and "
          f"{fmt(v.p['utilization'], 'fraction')} utilization they earn {fmt(focus['annual_rental_capacity'], 'USD_million')} a year, "
          f"so the hardware's purchase price returns in {fmt(focus['rental_payback_years'], 'years')} of rent (before power, "
          f"hosting, discounts and cost of capital; section 2 does the full landlord economics).")
    focus_mix = mix[mix["quarter"] == quarter]
    x.table(focus_mix[["chip", "unit_share", "chip_price_usd", "all_in_usd", "power_w", "rent_usd_per_hour"]],
            {"unit_share": "fraction", "chip_price_usd": "USD", "all_in_usd": "USD", "power_w": "W", "rent_usd_per_hour": "USD_per_hour"},
            {"chip": f"Chip ({quarter})", "unit_share": "Share of units", "chip_price_usd": "Chip price",
             "all_in_usd": "All-in capex", "power_w": "Board power", "rent_usd_per_hour": "On-demand rent per chip-hour"})
    x.table(funnel.tail(8).reset_index(), {"capex_gross": "USD_million", "aws_capex_share": "fraction", "aws_capex": "USD_million",
                                           "ai_hardware": "USD_million",
                                           "all_in_usd": "USD", "accelerators": "count", "power_mw": "MW",
                                           "annual_rental_capacity": "USD_million", "rental_payback_years": "years"},
            {"quarter": "Quarter", "capex_gross": "Amazon gross capex", "aws_capex_share": "AWS share of capex",
             "aws_share_year": "Share from the 10-K of", "aws_capex": "AWS capex", "ai_hardware": "AI hardware (essay's split)",
             "mix_quarter": "Mix of", "all_in_usd": "Mean all-in capex", "accelerators": "Accelerators (essay's split)",
             "power_mw": "Facility power", "annual_rental_capacity": "Rent per year", "rental_payback_years": "Price / rent"})
    per_accelerator = funnel.reset_index().assign(metric="Mean all-in capex per accelerator")[["quarter", "metric", "all_in_usd"]]
    x.chart(charts.quarterly_lines(per_accelerator.rename(columns={"all_in_usd": "value"}), "USD per accelerator", "metric",
                                   "What one accelerator of each quarter's mix costs, all-in",
                                   "Sources: Epoch AI ai-chip-counts (units, prices; MIT licence); Trainium cost and gross-ups: parameters"))


def epoch_check(v: CapexState, x: Collector) -> None:
    compare = capex.epoch_cross_check(v.ds, v.funnel)
    ratio = compare["ratio"]
    last4 = compare.iloc[-4:]
    x.say(f"The funnel's accelerator count is the essay's split carried forward (`ai_share` of AWS capex on AI hardware), "
          f"not an estimate of what Amazon bought. In the four quarters to {last4.index[-1]} it implies "
          f"{fmt(last4['implied'].sum(), 'count')} accelerators against Epoch AI's median count of "
          f"{fmt(last4['epoch_median'].sum(), 'count')} ({last4['implied'].sum() / last4['epoch_median'].sum():.1f}×). "
          f"Over the {len(compare)} quarters both cover ({compare.index[0]}–{compare.index[-1]}), the funnel implies "
          f"{ratio.min():.1f}× to {ratio.max():.1f}× Epoch's median unit count (median ratio {ratio.median():.1f}×). "
          "A ratio above 1 means the capex parameters put more dollars into accelerators than Epoch's unit estimates "
          "account for — for example because part of the AI dollars goes to buildings, power and other equipment that the "
          "all-in gross-up does not cover, or because `ai_share` is set too high.")
    v.epoch_units = fleet.additions(v.ds, "units")
    long = compare[["implied", "epoch_median"]].rename(columns={"implied": "implied by capex funnel",
                                                                "epoch_median": "Epoch AI median (Nvidia + Trainium)"})
    long = long.reset_index().melt(id_vars="quarter", var_name="series", value_name="units")
    x.chart(charts.bars_over_quarters(long, "units", "Accelerators added per quarter", "Implied purchases vs Epoch AI estimates",
                                      "Sources: Amazon 10-Q/10-K; Epoch AI ai-chip-counts (median; MIT licence)"))


def ai_share_sensitivity(v: CapexState, x: Collector) -> None:
    grid = capex.ai_share_sensitivity(v.ds, v.p, (0.25, v.p.ai_share, 0.75))
    x.table(grid[["ai_share", "ai_hardware", "accelerators", "power_mw", "annual_rental_capacity"]],
            {"ai_share": "fraction", "ai_hardware": "USD_million", "accelerators": "count", "power_mw": "MW",
             "annual_rental_capacity": "USD_million"},
            {"ai_share": "AI share of AWS capex", "ai_hardware": "AI hardware", "accelerators": "Accelerators",
             "power_mw": "Facility power", "annual_rental_capacity": "Rent per year"})


def headline_items(ds: Dataset, p: Params) -> list[Headline]:
    """Headline numbers of the capex section (value and unit each). The funnel's accelerators, power and rent are the
    essay's AI split (`ai_share`) carried forward, not an estimate: they are labelled so and given for the essay's own
    quarter only; the latest quarters' implied counts stand beside Epoch AI's count in the section and the
    cross-checks."""
    f = capex.funnel(ds, p)
    if p.focus_quarter not in f.index:
        raise KeyError(f"focus_quarter {p.focus_quarter} has no Amazon capex data")
    focus, q = cast(pd.Series, f.loc[p.focus_quarter]), p.focus_quarter
    last4 = f.iloc[-4:]
    latest_q = f.index[-1]
    split = f"at the essay's split ({p.ai_share:.0%} of AWS capex on AI hardware)"
    return [
        Headline("focus_quarter_amazon_capex_gross", f"Amazon gross capex, {q}", float(focus["capex_gross"]),
                 "USD_million"),
        Headline("focus_quarter_ai_hardware", f"AI hardware capex, {q}, {split}", float(focus["ai_hardware"]),
                 "USD_million"),
        Headline("focus_quarter_all_in_usd", f"Mean all-in capex per accelerator of the {q} mix",
                 float(focus["all_in_usd"]), "USD"),
        Headline("focus_quarter_accelerators", f"Accelerators bought, {q}, {split}", float(focus["accelerators"]),
                 "count"),
        Headline("focus_quarter_power_mw", f"Facility power of those accelerators, {q}, {split}",
                 float(focus["power_mw"]), "MW"),
        Headline("focus_quarter_annual_rental_capacity", f"Annual rental revenue capacity of {q} purchases, {split}",
                 float(focus["annual_rental_capacity"]), "USD_million"),
        Headline("latest_four_quarters_capex_gross", f"Amazon gross capex, four quarters to {latest_q}",
                 float(last4["capex_gross"].sum()), "USD_million"),
    ]


def headline_results(v: CapexState, x: Collector) -> None:
    used = (sources_of(v.amazon, v.peers, v.epoch_units, v.ds["essay_claims"], v.ds["instances"]) | {fleet.EPOCH_SOURCE}
            | SECTION.sources(v.ds))
    x.publish("capex", headline_items(v.ds, v.p), used)


SECTION = Section("capex", "01_capex.ipynb", "Capex", PARAMETERS, CapexState,
                  (overview, gross_capex, recent_quarters, aws_segment, peers, essay_check, funnel, epoch_check,
                   ai_share_sensitivity, headline_results), display_only=("as_of", "trainium_unit_cost_usd"),
                  inert={n: OTHER_OWNERS_ONLY for n in owner_view.PARAMETERS[1:]}, setup=_setup,
                  other_owner=owner_view.CAPEX_PARTS, other_setup=owner_view.setup)
