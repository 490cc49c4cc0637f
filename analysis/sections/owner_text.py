"""The words and result items of the report for an owner other than Amazon (analysis.sections.owner_view): the
sentences that depend on the owner's numbers, and its headline items under the keys Amazon's use (the first screen
and the verdict read them), computed here so that the parts only lay them out."""
from __future__ import annotations

from dataclasses import replace
from typing import cast

import pandas as pd

from analysis.data import scenarios
from analysis.data.units import fmt
from analysis.models import erosion_outcomes, owners
from analysis.models.horizons import END, LONG_TERM, NEXT_YEAR, horizons, percent, span, thresholds
from analysis.models.owner_outlook import OTHER_OWNERS_MOVES
from analysis.models.observations import Rows
from analysis.sections.base import OwnerState
from analysis.views import verdict_inputs
from analysis.views.exhibits import Headline
from analysis.views.verdict import Stays


def about(v: OwnerState) -> str:
    """Whom the run is about, and which of its chips Epoch AI's data counts."""
    return (f"This run is about **{v.owner}** (`owner` = {v.p.owner}), not Amazon: the headings below are written for "
            f"Amazon, the numbers under them are {v.owner}'s. Its non-Nvidia chips in Epoch AI's data: {v.challenger}; "
            f"not counted: {owners.NOT_COUNTED[v.owner]} (missing, not zero).")


def thin(v: OwnerState) -> str:
    """A warning where the spread rests on a single yearly move."""
    if v.forecast.step.moves > 1:
        return ""
    return (f" {v.owner}'s spread rests on a single yearly move: a Student-t with one degree of freedom, so its paths "
            "reach from almost no non-Nvidia chips to almost all of them within a few years. Read its probabilities as "
            "how little one move of history says, not as a forecast of a programme.")


# Section 1: capex ----------------------------------------------------------------------------------------------------

def funnel_text(v: OwnerState) -> str:
    """What Nvidia's chips cost the owner in its last observed year, and its accelerators' latest share of capex."""
    f = v.funnel.set_index("year")
    known = f.dropna(subset=["accelerator_spend_of_capex"])
    text = (f"From capex to accelerators, estimated from Epoch AI's chip counts × prices (chips only; {v.challenger} "
            f"valued as section 3 says). Nvidia's chips cost {v.owner} "
            f"{fmt(f.loc[v.last, 'nvidia_spend'], 'USD_billion')} "
            f"({fmt(f.loc[v.last, 'nvidia_spend_p5'], 'USD_billion')}–"
            f"{fmt(f.loc[v.last, 'nvidia_spend_p95'], 'USD_billion')}) in {v.last}")
    if len(known):
        y = int(known.index[-1])
        text += (f"; all its accelerators took {fmt(known.loc[y, 'accelerator_spend_of_capex'], 'fraction')} "
                 f"({fmt(known.loc[y, 'accelerator_spend_of_capex_p5'], 'fraction')}–"
                 f"{fmt(known.loc[y, 'accelerator_spend_of_capex_p95'], 'fraction')}) of its {y} capex")
    return (text + ". Years before the non-Nvidia chips' first covered year have no total, and years without four "
            "filed quarters no share of capex.")


def capex_items(v: OwnerState) -> list[Headline]:
    """Section 1's headline items: the owner's capex per calendar year and its accelerators' share of it."""
    items = []
    for r in cast(Rows, v.funnel.itertuples()):
        if pd.notna(r.capex):
            items.append(Headline(f"capex_{r.year}", f"{v.company} capex, {r.year}", float(r.capex), "USD_billion"))
        if pd.notna(r.accelerator_spend_of_capex):
            items.append(Headline(f"accelerator_share_of_capex_{r.year}",
                                  f"{v.owner}: accelerator chips as a share of capex, {r.year} "
                                  "(estimated from Epoch's chip counts)", float(r.accelerator_spend_of_capex),
                                  "fraction",
                                  (float(r.accelerator_spend_of_capex_p5), float(r.accelerator_spend_of_capex_p95))))
    return items


# Section 3: the forecast ---------------------------------------------------------------------------------------------

def forecast_text(v: OwnerState) -> str:
    """How the owner's forecast is made, from its own history (and `thin`'s warning)."""
    f = v.forecast
    return (f"The forecast for {v.owner} is the outside view of its own history, not section 3's model of Amazon: "
            f"there is no sourced outlook of {v.company}'s capex, so Nvidia's revenue from {v.owner} is not forecast, "
            f"only its non-Nvidia share. Each draw's non-Nvidia share of compute moves from its last observed value as "
            f"a random walk in log-odds with the step of {v.owner}'s own yearly moves ({f.step.moves} measured "
            f"{f.step.first_year}–{f.step.last_year}, a Student-t predictive step of "
            f"{f.step.predictive_sd():.2f}); the non-Nvidia chips' cost per H100e relative to Nvidia's drifts at "
            f"the spread of Nvidia's own cost per H100e at {v.owner}; no trend is carried forward." + thin(v))


def hindcast_text(v: OwnerState) -> str:
    """What the owner's hindcast scored, or why it has none (the origins left out, with no move before them)."""
    left = [origin for owner, origin in v.skipped if owner == v.owner]
    if len(v.hindcast) == 0:
        return (f"No hindcast of {v.owner}: no observed share in the origin year or no move at any owner before it "
                "(end-" + " and end-".join(map(str, left)) + "), so no spread to draw with.")
    origins = " and end-".join(map(str, sorted(v.hindcast["origin"].unique())))
    borrowed = sorted(v.hindcast.loc[v.hindcast["step_from"] == OTHER_OWNERS_MOVES, "origin"].unique())
    return (f"Hindcast of {v.owner}'s forecast from end-{origins}: {len(v.hindcast)} outcomes, "
            f"{int(v.hindcast['inside_90'].sum())} inside the central 90% interval"
            + (f" (from end-{' and end-'.join(map(str, borrowed))} its step is the root mean square of the other "
               f"owners' moves, a reference class: {v.owner} had no yearly move of its own before then)"
               if borrowed else "")
            + (f"; left out, with no observed share or no move at any owner before it: end-"
               f"{' and end-'.join(map(str, left))}" if left else "")
            + ". Too few outcomes to call the forecast calibrated.")


def by_year(v: OwnerState) -> pd.DataFrame:
    """The owner's outlook in the columns of Amazon's `erosion_by_year.csv` (analysis.models.forecast_result.by_year)
    where the meaning is the same, the ASIC share standing for the non-Nvidia share: accelerator spend and Nvidia's
    revenue in the observed years only (not forecast), the shares with their percentiles and P(share of spend > each
    of the data's thresholds)."""
    y, f = v.yearly, v.funnel.set_index("year")
    table = pd.DataFrame({"year": y["year"], "observed": y["observed"],
                          "accelerator_spend_usd_b": y["year"].map(f["accelerator_spend"]).where(y["observed"]),
                          "nvidia_revenue_usd_b": y["year"].map(f["nvidia_spend"]).where(y["observed"]),
                          "nvidia_spend_share": 1 - y["spend_share"], "asic_spend_share": y["spend_share"],
                          "asic_compute_share": y["compute_share"]})
    for metric, column in (("spend_share", "asic_spend_share"), ("compute_share", "asic_compute_share")):
        for q in erosion_outcomes.PERCENTILES:
            table[f"{column}_p{q}"] = y[f"{metric}_p{q}"]
    for pct in (percent(t) for t in thresholds(v.ds).shares):
        table[f"p_asic_spend_share_above_{pct}pct"] = y[f"p_spend_share_above_{pct}pct"]
    return table.reset_index(drop=True)


def forecast_items(v: OwnerState) -> list[Headline]:
    """The forecast's headline items under the keys Amazon's use (the verdict reads them): P(non-Nvidia share of spend
    > each threshold) per year, the median year from which it stays above (with 5th-95th percentiles) and the share of
    draws in which it is not above in the last year."""
    items = []
    for r in v.yearly.itertuples():
        year = int(cast(int, r.year))
        for pct in (percent(t) for t in thresholds(v.ds).shares):
            items.append(Headline(f"p_asic_above_{pct}pct_{year}",
                                  f"{v.owner}: P(non-Nvidia share of spend > {pct}% in {year})",
                                  float(getattr(r, f"p_spend_share_above_{pct}pct")), "fraction", period=(year, year)))
    last = v.forecast.years[-1]
    for t, stays in stays_above(v).items():
        pct = percent(t)
        items.append(Headline(f"year_asic_stays_above_{pct}pct",
                              f"{v.owner}: median first year from which non-Nvidia chips stay above {pct}% of spend "
                              f"through {last} (none = not above in {last})", stays.median, "year",
                              (stays.p5, stays.p95), {"undefined": f"not above {pct}% in {last}"}))
        items.append(Headline(f"share_never_stays_above_{pct}pct",
                              f"{v.owner}: share of draws in which non-Nvidia chips are not above {pct}% of spend "
                              f"in {last}", stays.never, "fraction"))
    return items


def stays_above(v: OwnerState) -> dict[float, Stays]:
    """The year from which the owner's non-Nvidia share of spend stays above each threshold, over its draws."""
    table = erosion_outcomes.stays_above_table({"asic_spend_share": v.forecast.spend_share[1:]}, v.forecast.years,
                                               thresholds(v.ds).shares)
    return verdict_inputs.stays_of(table)


def p_above(v: OwnerState) -> dict[float, dict[int, float]]:
    """P(the owner's non-Nvidia share of spend > each threshold) by year."""
    return {t: {int(cast(int, r.year)): float(getattr(r, f"p_spend_share_above_{percent(t)}pct"))
                for r in v.yearly.itertuples()} for t in thresholds(v.ds).shares}


# Section 0: the answer -----------------------------------------------------------------------------------------------

def findings(v: OwnerState) -> list[Headline]:
    """The summary's items for this owner, under the keys Amazon's use where the first screen and the verdict read
    them; Nvidia's revenue after the last observed year is not forecast (value None, said why)."""
    h = horizons(v.ds)
    s, last, end = v.shares, v.last, h.end
    first = int(scenarios.resolve_scenario(scenarios.ESSAY, v.ds).observed_through)  # as Amazon's: the essay's year
    spend = s["spend_share"].dropna()
    peak = int(cast(int, spend.idxmax()))
    unforecast = f"not forecast: no sourced outlook of {v.company}'s capex"

    def observed(key: str, label: str, year: int, column: str, unit: str) -> Headline:
        return Headline(key, label, float(s[column].loc[year]), unit,
                        (float(s[f"{column}_p5"].loc[year]), float(s[f"{column}_p95"].loc[year])), {"year": year},
                        (year, year))

    def not_forecast(key: str, label: str, unit: str, period: tuple[int, int], year: dict[str, int]) -> Headline:
        return Headline(key, f"{label} ({unforecast})", None, unit, details={**year, "undefined": unforecast},
                        period=period)
    estimate = "estimated from Epoch's chip counts × prices; chips only"
    items = [
        Headline("owner", "Owner whose purchases the report is about", v.owner, "text"),
        observed("nvidia_revenue_observed_first", f"Nvidia revenue from {v.owner}, {first} ({estimate})", first,
                 "nvidia_spend", "USD_billion"),
        observed("nvidia_revenue_observed_last", f"Nvidia revenue from {v.owner}, {last} ({estimate})", last,
                 "nvidia_spend", "USD_billion"),
        observed("asic_spend_share_observed_last",
                 f"Non-Nvidia share of {v.owner}'s accelerator spend, {last} ({v.challenger}; {estimate})", last,
                 "spend_share", "fraction"),
        observed("asic_spend_share_observed_peak",
                 f"Highest non-Nvidia share of {v.owner}'s accelerator spend in an observed year: {peak}", peak,
                 "spend_share", "fraction"),
        not_forecast(f"nvidia_revenue_{LONG_TERM}", f"Nvidia revenue from {v.owner}, total {span(h.long, '-')}",
                     "USD_billion", h.long, {}),
        not_forecast("p_nvidia_revenue_below_observed_last",
                     f"P(Nvidia revenue from {v.owner} in {end} below its {last} level)", "fraction", (last, end),
                     {"year": end}),
        not_forecast(f"p_nvidia_revenue_below_{thresholds(v.ds).revenue_level.percent}pct_observed_last",
                     f"P(Nvidia revenue from {v.owner} in {end} below {thresholds(v.ds).revenue_level.value:.0%} of "
                     f"its {last} level)", "fraction", (last, end),
                     {"year": end}),
    ]
    ahead = next(y for y in v.forecast.years if y > last)
    by_key = {i.key: i for i in forecast_items(v)}
    pcts = [percent(t) for t in thresholds(v.ds).shares]
    items += [replace(by_key[f"p_asic_above_{pct}pct_{y}"], key=f"p_asic_above_{pct}pct_{role}")
              for pct in pcts for role, y in ((NEXT_YEAR, ahead), (END, end))]
    items += [by_key[f"share_never_stays_above_{pct}pct"] for pct in pcts]
    return items


def assumptions(v: OwnerState) -> list[Headline]:
    """What the owner's probabilities are conditional on: the observed data (drawn), the yearly steps (their Student-t
    predictive sd) and each cost ratio that values its non-Nvidia chips, with the number of draws."""
    f, schema = v.forecast, v.schema
    ratio = owners.COST_RATIOS.get("Google" if v.owner == "Google" else "AMD")
    items = [
        Headline("observed", f"{v.owner}'s purchases in the observed years",
                 "drawn within Epoch AI's unit bands and the chips' price ranges", "text"),
        Headline("share_step", f"Yearly step of the non-Nvidia share of compute (log-odds sd, {v.owner}'s own moves)",
                 float(f.step.predictive_sd()), "number"),
        Headline("cost_step", "Yearly step of the cost ratio (log sd, Nvidia's cost per H100e)",
                 float(f.drift.predictive_sd()), "number")]
    if ratio is not None:
        items.append(Headline(ratio, schema[ratio].title, float(v.p[ratio]), "number"))
    items.append(Headline("mc_draws", schema["mc_draws"].title, int(v.p.mc_draws), "count"))
    return items
