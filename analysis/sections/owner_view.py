"""The report for an owner other than Amazon (the parameter `owner`: google, microsoft, meta or oracle).

Sections 0, 1 and 3 show these parts in place of Amazon's (by the same part names, `Section.other_owner`), section 2
(AWS as a landlord) says that it is AWS's and shows nothing else. What they show is the owner's own data: its filed
capex, Epoch AI's estimates of its purchases by vendor with their bands (analysis.models.owners), its non-Nvidia
share forecast as the outside view of its own history (analysis.models.owner_outlook: there is no sourced outlook of
its capex, so Nvidia's revenue from it is not forecast, and said so), the hindcast of that forecast and the hub's
track record (which holds Amazon's releases only). Chips Epoch does not count (Microsoft's Maia, Meta's MTIA) are
named as missing, never counted as zero. The sentences and headline items these parts show are built in
analysis.sections.owner_text.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import Dataset, params
from analysis.data.params import Params
from analysis.data.units import fmt
from analysis.models import capex, erosion_outcomes, fleet, observed as measured, owner_outlook, owners
from analysis.models import hindcast as hindcasts
import analysis.sections.hindcast_items as hindcast_items
import analysis.sections.owner_text as owner_text
from analysis.models.horizons import horizons, percent
from analysis.models.horizons import thresholds as levels
from analysis.sections.base import OwnerState
from analysis.views import charts, likelihood, verdict, verdict_inputs
from analysis.views.exhibits import Collector
from analysis.views.present import sources_of

EPOCH = ("Source: Epoch AI ai-chip-counts (MIT): units and H100e by owner and chip; Nvidia's chips at Epoch's yearly "
         "prices")
MODEL = ("Model: the owner's last observed share as a random walk, its spread from its own years "
         "(analysis.models.owner_outlook)")
SPEND_UNITS = {c: "USD_billion" for n in ("nvidia_spend", "challenger_spend", "accelerator_spend")
               for c in (n, f"{n}_p5", f"{n}_p95")}
OF_CAPEX_UNITS = {c: "fraction" for n in ("nvidia_spend", "accelerator_spend")
                  for c in (f"{n}_of_capex", f"{n}_of_capex_p5", f"{n}_of_capex_p95")}


def core(v: OwnerState) -> None:
    """The owner's draws, shares, funnel and forecast from its last observed year (what its headlines need)."""
    v.draws = owners.draws(v.ds, v.p)
    v.last = max(v.draws.years)
    shares = owners.shares(v.ds, v.p, v.draws)
    v.shares = shares[shares["owner"] == v.owner].set_index("year")
    v.funnel = owners.funnel(v.ds, v.draws, v.owner)
    v.forecast = owner_outlook.forecast(v.ds, v.draws, v.owner, v.last)
    v.yearly = owner_outlook.by_year(v.owner, v.forecast, levels(v.ds).shares)
    v.challenger = owners.CHALLENGERS[v.owner]
    v.company, v.capex_metric = owners.CAPEX[v.owner]


def setup(v: OwnerState) -> None:
    """`core` and the owner's hindcast (shared by every part)."""
    core(v)
    cases, v.skipped = owner_outlook.owner_hindcast(v.ds, v.p)
    v.hindcast = cases[cases["owner"] == v.owner].reset_index(drop=True) if len(cases) else cases
    v.coverage = hindcasts.coverage(v.hindcast) if len(v.hindcast) else None


# Section 1: capex ----------------------------------------------------------------------------------------------------

def capex_overview(v: OwnerState, x: Collector) -> None:
    x.say(owner_text.about(v) + f" {v.company}'s capex is its cash-flow line `{v.capex_metric}` in "
          "data/financials.csv. AWS's segment, the essay's Q3-2023 claim and the funnel to megawatts and rent are "
          "Amazon's: they are not shown.")


def _quarters(v: OwnerState) -> pd.DataFrame:
    return capex.quarterly(v.ds, v.company, [v.capex_metric])


def capex_gross(v: OwnerState, x: Collector) -> None:
    q = _quarters(v)
    if q.empty:
        f = v.ds["financials"]
        annual = f[(f["company"] == v.company) & (f["metric"] == v.capex_metric)]
        x.say(f"data/financials.csv holds no quarterly capex of {v.company}, only its fiscal years "
              + ", ".join(f"{r.fiscal_period} {fmt(r.value, 'USD_million')}" for r in annual.itertuples())
              + f" ({v.company}'s fiscal year does not follow the calendar): no calendar year of capex, so no share of "
              "capex below.")
        return
    x.say(f"{v.company}'s capex was {fmt(q['value'].iloc[-4:].sum(), 'USD_million')} in the four quarters to "
          f"{q['quarter'].iloc[-1]} (the latest quarter {fmt(q['value'].iloc[-1], 'USD_million')}).")
    x.chart(charts.quarterly_lines(q.assign(metric=f"{v.company} capex"), "USD million per quarter", "metric",
                                   f"{v.company} capex per quarter",
                                   f"Source: {v.company} 10-Q/10-K cash-flow statements"))


def capex_recent(v: OwnerState, x: Collector) -> None:
    q = _quarters(v)
    if len(q):
        x.table(q[["quarter", "value", "source_id"]].tail(8), {"value": "USD_million"},
                {"quarter": "Quarter", "value": f"{v.company} capex", "source_id": "Source"})


def capex_funnel(v: OwnerState, x: Collector) -> None:
    x.say(owner_text.funnel_text(v))
    x.table(v.funnel.drop(columns=["owner"]),
            {"capex": "USD_billion", **SPEND_UNITS, **OF_CAPEX_UNITS, "challenger_spend_of_capex": "fraction",
             "challenger_spend_of_capex_p5": "fraction", "challenger_spend_of_capex_p95": "fraction"},
            {"year": "Year", "capex": "Capex (calendar year)", "nvidia_spend": "Nvidia chips",
             "challenger_spend": "Non-Nvidia chips", "accelerator_spend": "All accelerators",
             "accelerator_spend_of_capex": "Accelerators / capex"})
    x.data_table("owner_funnel", v.funnel, f"{v.owner}, per calendar year: capex (USD bn) and what its accelerators "
                 "cost (Nvidia's, the non-Nvidia chips', all), each central with the draws' 5th and 95th percentiles "
                 "and as a share of capex", title=f"{v.owner}: capex and accelerator spend")


def capex_epoch(v: OwnerState, x: Collector) -> None:
    units = fleet.additions(v.ds, "units", owner=v.owner)
    added = units.rename(columns={"vendor": "series", "median": "units"})[["quarter", "series", "units"]]
    x.chart(charts.bars_over_quarters(added, "units", "Accelerators added per quarter",
                                      f"{v.owner}: Epoch AI's median units by vendor", EPOCH))


def capex_headlines(v: OwnerState, x: Collector) -> None:
    x.publish("capex", owner_text.capex_items(v),
              {fleet.EPOCH_SOURCE} | sources_of(_quarters(v), v.ds["financials"].query("company == @v.company")))


CAPEX_PARTS = {"overview": capex_overview, "gross_capex": capex_gross, "recent_quarters": capex_recent,
               "funnel": capex_funnel, "epoch_check": capex_epoch, "headline_results": capex_headlines}


# Section 2: the landlord ---------------------------------------------------------------------------------------------

def landlord_omitted(v: OwnerState, x: Collector) -> None:
    x.say(f"This run is about {v.owner}. This section is AWS's: AWS as a landlord of rented accelerators, priced with "
          f"AWS's instances and list prices. It is not computed for {v.owner}, and nothing in it stands for "
          f"{v.owner}'s economics; run with `owner` = amazon for it.")


PORTFOLIO_PARTS = {"overview": landlord_omitted}


# Section 3: the forecast ---------------------------------------------------------------------------------------------

def observed(v: OwnerState, x: Collector) -> None:
    d, incumbent = v.draws, fleet.incumbent_epoch_vendor(v.ds)
    added = fleet.yearly(fleet.chip_additions(v.ds, "units", v.owner))
    units = added.pivot(index="year", columns="vendor", values="median")
    rows = []
    for vendor in d.vendors(v.owner):
        b = measured.band(d.spend[(v.owner, vendor)])
        for j, year in enumerate(d.years):
            if not np.isnan(b["central"][j]):
                rows.append({"year": year, "vendor": "Nvidia" if vendor == incumbent else v.challenger,
                             "units": units[vendor].get(year, np.nan), "h100e": d.compute[(v.owner, vendor)][0, j],
                             "spend": b["central"][j], "spend_p5": b["p5"][j], "spend_p95": b["p95"][j]})
    x.say(owner_text.about(v) + " Its purchases by vendor and year, estimated from Epoch AI's chip counts (units and "
          "H100e: Epoch's medians; spend: the central estimate with the draws' 5th–95th percentiles).")
    x.table(pd.DataFrame(rows).sort_values(["year", "vendor"]),
            {"units": "count", "h100e": "count", "spend": "USD_billion", "spend_p5": "USD_billion",
             "spend_p95": "USD_billion"},
            {"year": "Year", "vendor": "Vendor", "units": "Units added", "h100e": "H100e added",
             "spend": "Spend (central)", "spend_p5": "5th pct", "spend_p95": "95th pct"})
    shares = v.shares.dropna(subset=["compute_share"]).reset_index()
    x.table(shares[["year", "compute_share", "compute_share_p5", "compute_share_p95", "spend_share", "spend_share_p5",
                    "spend_share_p95"]],
            {c: "fraction" for c in map(str, shares) if c.startswith(("compute_share", "spend_share"))},
            {"year": "Year", "compute_share": "Non-Nvidia share of compute", "compute_share_p5": "5th pct",
             "compute_share_p95": "95th pct", "spend_share": "Non-Nvidia share of spend", "spend_share_p5": "5th pct",
             "spend_share_p95": "95th pct"})


def epoch_check(v: OwnerState, x: Collector) -> None:
    widest = owners.epoch_band(v.ds, v.p, v.owner).set_index("year")
    mine = v.shares[["nvidia_spend", "nvidia_spend_p5", "nvidia_spend_p95"]].join(widest, how="inner")
    inside = bool(((mine["p5"] <= mine["nvidia_spend_p5"]) & (mine["nvidia_spend_p95"] <= mine["p95"])).all())
    where = "inside in every year" if inside else "outside in some year"
    x.say(f"{v.owner}'s Nvidia spend against the widest band Epoch's figures allow (its 5th-percentile units at the "
          f"low prices to its 95th-percentile units at the high prices): {where}.")
    x.table(mine.reset_index(), {c: "USD_billion" for c in map(str, mine)},
            {"year": "Year", "nvidia_spend": "Nvidia spend", "nvidia_spend_p5": "5th pct",
             "nvidia_spend_p95": "95th pct", "p5": "Epoch's widest low", "p95": "Epoch's widest high"})


def _bands(v: OwnerState) -> pd.DataFrame:
    qs = [f"p{q}" for q in erosion_outcomes.PERCENTILES]
    bands = pd.concat([v.yearly.assign(series=label, value=v.yearly[m], **{q: v.yearly[f"{m}_{q}"] for q in qs})
                       for m, label in (("spend_share", "Non-Nvidia share of spend"),
                                        ("compute_share", "Non-Nvidia share of compute"))])
    return bands[["year", "series", "value", *qs]]


def _probabilities(v: OwnerState) -> pd.DataFrame:
    return pd.concat([v.yearly.assign(series=f"P(share of spend > {t:.0%})",
                                      probability=v.yearly[f"p_spend_share_above_{percent(t)}pct"])
                      for t in levels(v.ds).shares])[["year", "series", "probability"]]


def _shares_text(v: OwnerState) -> str:
    """The data's two thresholds in words: "25% / 50%"."""
    return " / ".join(f"{t:.0%}" for t in levels(v.ds).shares)


def forecast(v: OwnerState, x: Collector) -> None:
    x.say(owner_text.forecast_text(v))
    x.chart(charts.share_bands(_bands(v), v.last, levels(v.ds).shares,
                               f"{v.owner}: non-Nvidia share of accelerator spend and compute, observed to {v.last}, "
                               "then forecast, with 50% and 90% intervals", f"{EPOCH}. {MODEL}",
                               y_title="Share of the year's additions"))


def thresholds(v: OwnerState, x: Collector) -> None:
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    x.chart(charts.probability_lines(_probabilities(v), v.last, ticks,
                                     f"{v.owner}: probability that non-Nvidia chips take more than {_shares_text(v)} "
                                     "of the spend, by year",
                                     MODEL, likelihood.words))


def hindcast(v: OwnerState, x: Collector) -> None:
    x.say(owner_text.hindcast_text(v))
    if len(v.hindcast) == 0:
        return
    x.table(v.hindcast[["origin", "quantity", "year", "forecast", "p5", "p95", "outcome", "inside_90", "crps"]],
            {"forecast": "fraction", "p5": "fraction", "p95": "fraction", "outcome": "fraction", "crps": "number"},
            {"origin": "Forecast made after", "quantity": "Quantity", "year": "Year", "forecast": "Forecast (central)",
             "p5": "5th pct", "p95": "95th pct", "outcome": "Observed (estimate)", "inside_90": "Inside central 90%?",
             "crps": "CRPS"})


def track_record(v: OwnerState, x: Collector) -> None:
    x.say(f"The forecast hub (forecasts/) locks Amazon's forecasts only: no release of {v.owner}'s has been made, so "
          "there is no track record to score yet.")


def core_state(ds: Dataset, p: Params) -> OwnerState:
    """The state of `core` alone for the owner `p` names: what its headline numbers need (what `compare` and `sweep`
    read for another owner: `owner_text.forecast_items`, `owner_text.findings`)."""
    v = OwnerState(ds, p, params.schema(ds), owners.owner_label(ds, str(p.owner)))
    core(v)
    return v


def erosion_headlines(v: OwnerState, x: Collector) -> None:
    x.data_table("erosion_by_year", owner_text.by_year(v),
                 f"{v.owner}, one row per year to {horizons(v.ds).end}: observed or forecast, its non-Nvidia "
                 "share of spend and of compute (central, 5th/25th/50th/75th/95th percentiles; named asic_* as "
                 f"Amazon's), P(spend share > {_shares_text(v)}), and in the observed years its accelerator spend and "
                 "Nvidia's revenue from it (USD bn; not forecast)", title="Outlook by year")
    items = owner_text.forecast_items(v)
    if v.coverage is not None:         # the owner has a hindcast
        x.data_table("hindcast", v.hindcast, f"{v.owner}'s hindcast: per origin, share and later observed year, the "
                     "forecast, its percentiles, the outcome, coverage and CRPS", title="Hindcast scores")
        items += hindcast_items.results(v.hindcast, v.coverage)
    x.publish("erosion", items, {fleet.EPOCH_SOURCE} | {v.schema[n].source_id for n in owners.COST_RATIOS.values()})


EROSION_PARTS = {"observed_purchases": observed, "spend_check": epoch_check, "forecast": forecast,
                 "thresholds": thresholds, "hindcast": hindcast, "track_record": track_record,
                 "headline_results": erosion_headlines}


# Section 0: the answer -----------------------------------------------------------------------------------------------

def summary_setup(v: OwnerState) -> None:
    setup(v)
    v.findings, v.assumptions = owner_text.findings(v), owner_text.assumptions(v)
    found = {h.key: h for h in v.findings}
    above = owner_text.p_above(v)
    def estimate(key: str) -> verdict.Estimate:
        return verdict_inputs.estimate(found[key], "summary")
    v.verdict = verdict.decide(verdict.Inputs(
        estimate("nvidia_revenue_observed_first"), estimate("nvidia_revenue_observed_last"),
        estimate("asic_spend_share_observed_last"), estimate("asic_spend_share_observed_peak"),
        end=max(above[levels(v.ds).lower.value]), p_fall=None, p_halve=None, p_above=above,
        stays=owner_text.stays_above(v), levels=levels(v.ds), subject=verdict.Subject.other(v.owner)))


def answer_first(v: OwnerState, x: Collector) -> None:
    said = v.verdict
    x.say(f"**{said.question}** {owner_text.about(v)} This report: **{said.headline}.** {said.happened} {said.fall} "
          f"{said.when}" + owner_text.thin(v))
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    x.chart(charts.share_bands(_bands(v), v.last, levels(v.ds).shares,
                               f"Non-Nvidia share of {v.owner}'s accelerator spend and compute: observed to {v.last}, "
                               "then forecast, with 50% (25th–75th percentile) and 90% (5th–95th) intervals",
                               f"{EPOCH}. {MODEL}", y_title="Share of the year's additions"))
    x.chart(charts.probability_lines(_probabilities(v), v.last, ticks,
                                     f"Probability that non-Nvidia chips take more than {_shares_text(v)} of the "
                                     "spend, by year",
                                     MODEL, likelihood.words))
    x.say(verdict.conditional_on(v.assumptions, changed(v)))


#: The parameters the owner's sections read besides `owner` (the valuation of its non-Nvidia chips and the draws).
PARAMETERS = ("owner", "tpu_cost_ratio", "amd_cost_ratio", "mc_draws", "random_seed")


def changed(v: OwnerState) -> dict[str, object]:
    """The owner's parameters set away from their defaults, by label."""
    return {v.schema[n].title: v.p[n] for n in PARAMETERS if v.p[n] != v.schema[n].default}


def summary_findings(v: OwnerState, x: Collector) -> None:
    rows = pd.DataFrame([{"finding": f.label, "value": fmt(f.value, f.unit),
                          "interval": f"{fmt(f.interval[0], f.unit)} – {fmt(f.interval[1], f.unit)}"
                                      if f.interval is not None and f.interval[0] is not None else ""}
                         for f in v.findings])
    x.table(rows, {}, {"finding": "Finding", "value": "Central estimate", "interval": "5th–95th percentile"})


def summary_headlines(v: OwnerState, x: Collector) -> None:
    x.publish("summary", v.findings, {fleet.EPOCH_SOURCE, likelihood.SOURCE_ID})
    x.publish("assumptions", v.assumptions,
              {v.schema[a.key].source_id for a in v.assumptions if a.key in v.schema})


SUMMARY_PARTS = {"answer_first": answer_first, "findings": summary_findings, "headline_results": summary_headlines}
