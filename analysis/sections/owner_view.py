"""The report for an owner other than Amazon (the parameter `owner`: google, microsoft, meta or oracle).

Sections 0, 1 and 3 show these parts in place of Amazon's (by the same part names, `Section.other_owner`), section 2
(AWS as a landlord) says that it is AWS's and shows nothing else. What they show is the owner's own data: its filed
capex, Epoch AI's estimates of its purchases by vendor with their bands (analysis.owners), its non-Nvidia share
forecast as the outside view of its own history (analysis.owner_outlook: there is no sourced outlook of its capex, so
Nvidia's revenue from it is not forecast, and said so), the hindcast of that forecast and the hub's track record (which
holds Amazon's releases only). Chips Epoch does not count (Microsoft's Maia, Meta's MTIA) are named as missing, never
counted as zero.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis.data import Dataset, params
from analysis.data.params import Params
from analysis.data.units import fmt
from analysis.models import capex, erosion, fleet, observed as measured, owner_outlook, owners
from analysis.models import hindcast as hindcasts
from analysis.views import charts, likelihood, verdict
from analysis.views.exhibits import Collector
from analysis.views.present import sources_of

EPOCH = "Source: Epoch AI ai-chip-counts (MIT): units and H100e by owner and chip; Nvidia's chips at Epoch's yearly prices"
MODEL = "Model: the owner's last observed share as a random walk, its spread from its own years (analysis.owner_outlook)"
#: The first observed year the answer reports (as Amazon's: the last full year before the essay).
FIRST_YEAR = 2023
SPEND_UNITS = {c: "USD_billion" for n in ("nvidia_spend", "challenger_spend", "accelerator_spend")
               for c in (n, f"{n}_p5", f"{n}_p95")}
OF_CAPEX_UNITS = {c: "fraction" for n in ("nvidia_spend", "accelerator_spend")
                  for c in (f"{n}_of_capex", f"{n}_of_capex_p5", f"{n}_of_capex_p95")}


def core(v: SimpleNamespace) -> None:
    """The owner's draws, shares, funnel and forecast from its last observed year (what its headlines need)."""
    v.draws = owners.draws(v.ds, v.p)
    v.last = max(v.draws.years)
    shares = owners.shares(v.ds, v.p, v.draws)
    v.shares = shares[shares["owner"] == v.owner].set_index("year")
    v.funnel = owners.funnel(v.ds, v.draws, v.owner)
    v.forecast = owner_outlook.forecast(v.ds, v.p, v.draws, v.owner, v.last)
    v.yearly = owner_outlook.by_year(v.owner, v.forecast)
    v.challenger = owners.CHALLENGERS[v.owner]
    v.company, v.capex_metric = owners.CAPEX[v.owner]


def setup(v: SimpleNamespace) -> None:
    """`core` and the owner's hindcast (shared by every part)."""
    core(v)
    cases, v.skipped = owner_outlook.hindcast_cases(v.ds, v.p, v.draws)
    v.hindcast = cases[cases["owner"] == v.owner].reset_index(drop=True) if len(cases) else cases
    v.coverage = hindcasts.coverage(v.hindcast) if len(v.hindcast) else None


def _about(v: SimpleNamespace) -> str:
    return (f"This run is about **{v.owner}** (`owner` = {v.p.owner}), not Amazon: the headings below are written for "
            f"Amazon, the numbers under them are {v.owner}'s. Its non-Nvidia chips in Epoch AI's data: {v.challenger}; "
            f"not counted: {owners.NOT_COUNTED[v.owner]} (missing, not zero).")


# Section 1: capex ----------------------------------------------------------------------------------------------------

def capex_overview(v: SimpleNamespace, x: Collector) -> None:
    x.say(_about(v) + f" {v.company}'s capex is its cash-flow line `{v.capex_metric}` in data/financials.csv. AWS's "
          "segment, the essay's Q3-2023 claim and the funnel to megawatts and rent are Amazon's: they are not shown.")


def _quarters(v: SimpleNamespace) -> pd.DataFrame:
    return capex.quarterly(v.ds, v.company, [v.capex_metric])


def capex_gross(v: SimpleNamespace, x: Collector) -> None:
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
                                   f"{v.company} capex per quarter", f"Source: {v.company} 10-Q/10-K cash-flow statements"))


def capex_recent(v: SimpleNamespace, x: Collector) -> None:
    q = _quarters(v)
    if len(q):
        x.table(q[["quarter", "value", "source_id"]].tail(8), {"value": "USD_million"},
                {"quarter": "Quarter", "value": f"{v.company} capex", "source_id": "Source"})


def capex_funnel(v: SimpleNamespace, x: Collector) -> None:
    f = v.funnel.set_index("year")
    known = f.dropna(subset=["accelerator_spend_of_capex"])
    text = (f"From capex to accelerators, estimated from Epoch AI's chip counts × prices (chips only; {v.challenger} "
            f"valued as section 3 says). Nvidia's chips cost {v.owner} "
            f"{fmt(f.loc[v.last, 'nvidia_spend'], 'USD_billion')} ({fmt(f.loc[v.last, 'nvidia_spend_p5'], 'USD_billion')}–"
            f"{fmt(f.loc[v.last, 'nvidia_spend_p95'], 'USD_billion')}) in {v.last}")
    if len(known):
        y = int(known.index[-1])
        text += (f"; all its accelerators took {fmt(known.loc[y, 'accelerator_spend_of_capex'], 'fraction')} "
                 f"({fmt(known.loc[y, 'accelerator_spend_of_capex_p5'], 'fraction')}–"
                 f"{fmt(known.loc[y, 'accelerator_spend_of_capex_p95'], 'fraction')}) of its {y} capex")
    x.say(text + ". Years before the non-Nvidia chips' first covered year have no total, and years without four filed "
          "quarters no share of capex.")
    x.table(v.funnel.drop(columns=["owner"]), {"capex": "USD_billion", **SPEND_UNITS, **OF_CAPEX_UNITS,
                                               "challenger_spend_of_capex": "fraction", "challenger_spend_of_capex_p5": "fraction",
                                               "challenger_spend_of_capex_p95": "fraction"},
            {"year": "Year", "capex": "Capex (calendar year)", "nvidia_spend": "Nvidia chips", "challenger_spend": "Non-Nvidia chips",
             "accelerator_spend": "All accelerators", "accelerator_spend_of_capex": "Accelerators / capex"})
    x.data_table("owner_funnel", v.funnel, f"{v.owner}, per calendar year: capex (USD bn) and what its accelerators cost "
                 "(Nvidia's, the non-Nvidia chips', all), each central with the draws' 5th and 95th percentiles and as a "
                 "share of capex", title=f"{v.owner}: capex and accelerator spend")


def capex_epoch(v: SimpleNamespace, x: Collector) -> None:
    units = fleet.additions(v.ds, "units", owner=v.owner)
    x.chart(charts.bars_over_quarters(units.rename(columns={"vendor": "series", "median": "units"})[["quarter", "series", "units"]],
                                      "units", "Accelerators added per quarter", f"{v.owner}: Epoch AI's median units by vendor",
                                      EPOCH))


def capex_headlines(v: SimpleNamespace, x: Collector) -> None:
    items = []
    for r in v.funnel.itertuples():
        if pd.notna(r.capex):
            items.append({"key": f"capex_{r.year}", "label": f"{v.company} capex, {r.year}", "value": float(r.capex),
                          "unit": "USD_billion"})
        if pd.notna(r.accelerator_spend_of_capex):
            items.append({"key": f"accelerator_share_of_capex_{r.year}", "unit": "fraction",
                          "label": f"{v.owner}: accelerator chips as a share of capex, {r.year} (estimated from Epoch's chip counts)",
                          "value": float(r.accelerator_spend_of_capex), "p5": float(r.accelerator_spend_of_capex_p5),
                          "p95": float(r.accelerator_spend_of_capex_p95)})
    x.publish("capex", items, {fleet.EPOCH_SOURCE} | sources_of(_quarters(v), v.ds["financials"].query("company == @v.company")))


CAPEX_PARTS = {"overview": capex_overview, "gross_capex": capex_gross, "recent_quarters": capex_recent,
               "funnel": capex_funnel, "epoch_check": capex_epoch, "headline_results": capex_headlines}


# Section 2: the landlord ---------------------------------------------------------------------------------------------

def landlord_omitted(v: SimpleNamespace, x: Collector) -> None:
    x.say(f"This run is about {v.owner}. This section is AWS's: AWS as a landlord of rented accelerators, priced with "
          f"AWS's instances and list prices. It is not computed for {v.owner}, and nothing in it stands for {v.owner}'s "
          "economics; run with `owner` = amazon for it.")


PORTFOLIO_PARTS = {"overview": landlord_omitted}


# Section 3: the forecast ---------------------------------------------------------------------------------------------

def observed(v: SimpleNamespace, x: Collector) -> None:
    d, incumbent = v.draws, fleet.incumbent_epoch_vendor(v.ds)
    units = fleet.yearly(fleet.chip_additions(v.ds, "units", v.owner)).pivot(index="year", columns="vendor", values="median")
    rows = []
    for vendor in d.vendors(v.owner):
        b = measured.band(d.spend[(v.owner, vendor)])
        for j, year in enumerate(d.years):
            if not np.isnan(b["central"][j]):
                rows.append({"year": year, "vendor": "Nvidia" if vendor == incumbent else v.challenger,
                             "units": units[vendor].get(year, np.nan), "h100e": d.compute[(v.owner, vendor)][0, j],
                             "spend": b["central"][j], "spend_p5": b["p5"][j], "spend_p95": b["p95"][j]})
    x.say(_about(v) + " Its purchases by vendor and year, estimated from Epoch AI's chip counts (units and H100e: "
          "Epoch's medians; spend: the central estimate with the draws' 5th–95th percentiles).")
    x.table(pd.DataFrame(rows).sort_values(["year", "vendor"]),
            {"units": "count", "h100e": "count", "spend": "USD_billion", "spend_p5": "USD_billion", "spend_p95": "USD_billion"},
            {"year": "Year", "vendor": "Vendor", "units": "Units added", "h100e": "H100e added", "spend": "Spend (central)",
             "spend_p5": "5th pct", "spend_p95": "95th pct"})
    shares = v.shares.dropna(subset=["compute_share"]).reset_index()
    x.table(shares[["year", "compute_share", "compute_share_p5", "compute_share_p95", "spend_share", "spend_share_p5",
                    "spend_share_p95"]],
            {c: "fraction" for c in shares if c.startswith(("compute_share", "spend_share"))},
            {"year": "Year", "compute_share": "Non-Nvidia share of compute", "compute_share_p5": "5th pct",
             "compute_share_p95": "95th pct", "spend_share": "Non-Nvidia share of spend", "spend_share_p5": "5th pct",
             "spend_share_p95": "95th pct"})


def epoch_check(v: SimpleNamespace, x: Collector) -> None:
    widest = owners.epoch_band(v.ds, v.p, v.owner).set_index("year")
    mine = v.shares[["nvidia_spend", "nvidia_spend_p5", "nvidia_spend_p95"]].join(widest, how="inner")
    inside = bool(((mine["p5"] <= mine["nvidia_spend_p5"]) & (mine["nvidia_spend_p95"] <= mine["p95"])).all())
    x.say(f"{v.owner}'s Nvidia spend against the widest band Epoch's figures allow (its 5th-percentile units at the low "
          f"prices to its 95th-percentile units at the high prices): {'inside in every year' if inside else 'outside in some year'}.")
    x.table(mine.reset_index(), {c: "USD_billion" for c in mine},
            {"year": "Year", "nvidia_spend": "Nvidia spend", "nvidia_spend_p5": "5th pct", "nvidia_spend_p95": "95th pct",
             "p5": "Epoch's widest low", "p95": "Epoch's widest high"})


def _bands(v: SimpleNamespace) -> pd.DataFrame:
    qs = [f"p{q}" for q in erosion.PERCENTILES]
    return pd.concat([v.yearly.assign(series=label, value=v.yearly[m], **{q: v.yearly[f"{m}_{q}"] for q in qs})
                      for m, label in (("spend_share", "Non-Nvidia share of spend"),
                                       ("compute_share", "Non-Nvidia share of compute"))])[["year", "series", "value", *qs]]


def _probabilities(v: SimpleNamespace) -> pd.DataFrame:
    return pd.concat([v.yearly.assign(series=f"P(share of spend > {t:.0%})",
                                      probability=v.yearly[f"p_spend_share_above_{round(t * 100)}pct"])
                      for t in erosion.THRESHOLDS])[["year", "series", "probability"]]


def forecast(v: SimpleNamespace, x: Collector) -> None:
    f = v.forecast
    x.say(f"The forecast for {v.owner} is the outside view of its own history, not section 3's model of Amazon: there "
          f"is no sourced outlook of {v.company}'s capex, so Nvidia's revenue from {v.owner} is not forecast, only its "
          f"non-Nvidia share. Each draw's non-Nvidia share of compute moves from its last observed value as a random "
          f"walk in log-odds with the step of {v.owner}'s own yearly moves ({f['step'].moves} measured "
          f"{f['step'].first_year}–{f['step'].last_year}, a Student-t predictive step of "
          f"{f['step'].predictive_sd():.2f}); the non-Nvidia chips' cost per H100e relative to Nvidia's drifts at the "
          f"spread of Nvidia's own cost per H100e at {v.owner}; no trend is carried forward." + _thin(v))
    x.chart(charts.share_bands(_bands(v), v.last, erosion.THRESHOLDS,
                               f"{v.owner}: non-Nvidia share of accelerator spend and compute, observed to {v.last}, then "
                               "forecast, with 50% and 90% intervals", f"{EPOCH}. {MODEL}", y_title="Share of the year's additions"))


def _thin(v: SimpleNamespace) -> str:
    """A warning where the spread rests on a single yearly move."""
    if v.forecast["step"].moves > 1:
        return ""
    return (f" {v.owner}'s spread rests on a single yearly move: a Student-t with one degree of freedom, so its paths "
            "reach from almost no non-Nvidia chips to almost all of them within a few years. Read its probabilities as "
            "how little one move of history says, not as a forecast of a programme.")


def thresholds(v: SimpleNamespace, x: Collector) -> None:
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    x.chart(charts.probability_lines(_probabilities(v), v.last, ticks,
                                     f"{v.owner}: probability that non-Nvidia chips take more than 25% / 50% of the spend, by year",
                                     MODEL, likelihood.words))


def hindcast(v: SimpleNamespace, x: Collector) -> None:
    left = [origin for owner, origin in v.skipped if owner == v.owner]
    if len(v.hindcast) == 0:
        x.say(f"No hindcast of {v.owner}: fewer than two observed years before every origin (end-"
              + " and end-".join(map(str, left)) + "), so no move to measure a spread on.")
        return
    x.say(f"Hindcast of {v.owner}'s forecast from end-" + " and end-".join(map(str, sorted(v.hindcast["origin"].unique())))
          + f": {len(v.hindcast)} outcomes, {int(v.hindcast['inside_90'].sum())} inside the central 90% interval"
          + (f"; left out, with no move before it to measure a spread on: end-{' and end-'.join(map(str, left))}" if left else "")
          + ". Too few outcomes to call the forecast calibrated.")
    x.table(v.hindcast[["origin", "quantity", "year", "forecast", "p5", "p95", "outcome", "inside_90", "crps"]],
            {"forecast": "fraction", "p5": "fraction", "p95": "fraction", "outcome": "fraction", "crps": "number"},
            {"origin": "Forecast made after", "quantity": "Quantity", "year": "Year", "forecast": "Forecast (central)",
             "p5": "5th pct", "p95": "95th pct", "outcome": "Observed (estimate)", "inside_90": "Inside central 90%?",
             "crps": "CRPS"})


def track_record(v: SimpleNamespace, x: Collector) -> None:
    x.say(f"The forecast hub (forecasts/) locks Amazon's forecasts only: no release of {v.owner}'s has been made, so "
          "there is no track record to score yet.")


def by_year(v: SimpleNamespace) -> pd.DataFrame:
    """The owner's outlook in the columns of Amazon's `erosion_by_year.csv` (analysis.models.outlook.by_year) where the
    meaning is the same, the ASIC share standing for the non-Nvidia share: accelerator spend and Nvidia's revenue in
    the observed years only (not forecast), the shares with their percentiles and P(share of spend > 25% / 50%)."""
    y, f = v.yearly, v.funnel.set_index("year")
    table = pd.DataFrame({"year": y["year"], "observed": y["observed"],
                          "accelerator_spend_usd_b": y["year"].map(f["accelerator_spend"]).where(y["observed"]),
                          "nvidia_revenue_usd_b": y["year"].map(f["nvidia_spend"]).where(y["observed"]),
                          "nvidia_spend_share": 1 - y["spend_share"], "asic_spend_share": y["spend_share"],
                          "asic_compute_share": y["compute_share"]})
    for metric, column in (("spend_share", "asic_spend_share"), ("compute_share", "asic_compute_share")):
        for q in erosion.PERCENTILES:
            table[f"{column}_p{q}"] = y[f"{metric}_p{q}"]
    for t in erosion.THRESHOLDS:
        table[f"p_asic_spend_share_above_{round(t * 100)}pct"] = y[f"p_spend_share_above_{round(t * 100)}pct"]
    return table.reset_index(drop=True)


def headlines(ds: Dataset, p: Params) -> dict[str, list[dict]]:
    """The owner's headline numbers alone, by section (what `compare` and `sweep` read for another owner)."""
    v = SimpleNamespace(ds=ds, p=p, schema=params.schema(ds), owner=owners.owner_label(ds, str(p.owner)))
    core(v)
    return {"erosion": forecast_items(v), "summary": findings(v)}


def erosion_headlines(v: SimpleNamespace, x: Collector) -> None:
    x.data_table("erosion_by_year", by_year(v), f"{v.owner}, one row per year to {owner_outlook.LAST_YEAR}: observed or "
                 "forecast, its non-Nvidia share of spend and of compute (central, 5th/25th/50th/75th/95th percentiles; "
                 "named asic_* as Amazon's), P(spend share > 25% / 50%), and in the observed years its accelerator spend "
                 "and Nvidia's revenue from it (USD bn; not forecast)", title="Outlook by year")
    items = forecast_items(v)
    if len(v.hindcast):
        x.data_table("hindcast", v.hindcast, f"{v.owner}'s hindcast: per origin, share and later observed year, the "
                     "forecast, its percentiles, the outcome, coverage and CRPS", title="Hindcast scores")
        items += hindcasts.results(v.hindcast, v.coverage)
    x.publish("erosion", items, {fleet.EPOCH_SOURCE} | {v.schema[n].source_id for n in owners.COST_RATIOS.values()})


def forecast_items(v: SimpleNamespace) -> list[dict]:
    """The forecast's headline items under the keys Amazon's use (the verdict reads them): P(non-Nvidia share of spend
    > each threshold) per year, the median year from which it stays above (with 5th-95th percentiles) and the share of
    draws in which it is not above in the last year."""
    items = []
    for r in v.yearly.itertuples():
        for t in erosion.THRESHOLDS:
            pct = round(t * 100)
            items.append({"key": f"p_asic_above_{pct}pct_{r.year}", "unit": "fraction",
                          "label": f"{v.owner}: P(non-Nvidia share of spend > {pct}% in {r.year})",
                          "value": float(getattr(r, f"p_spend_share_above_{pct}pct"))})
    years = v.forecast["years"]
    stays = erosion.stays_above_table({"asic_spend_share": v.forecast["spend_share"][1:]}, years)
    for row in stays.to_dict("records"):
        pct = round(row["threshold"] * 100)
        year = {k: None if not np.isfinite(row[k]) else float(row[k]) for k in ("p5", "p50", "p95")}
        items.append({"key": f"year_asic_stays_above_{pct}pct", "unit": "year", "value": year["p50"], "p5": year["p5"],
                      "p95": year["p95"], "undefined": f"not above {pct}% in {years[-1]}",
                      "label": f"{v.owner}: median first year from which non-Nvidia chips stay above {pct}% of spend "
                               f"through {years[-1]} (none = not above in {years[-1]})"})
        items.append({"key": f"share_never_stays_above_{pct}pct", "unit": "fraction", "value": float(row["share_never"]),
                      "label": f"{v.owner}: share of draws in which non-Nvidia chips are not above {pct}% of spend in {years[-1]}"})
    return items


EROSION_PARTS = {"observed_purchases": observed, "spend_check": epoch_check, "forecast": forecast,
                 "thresholds": thresholds, "hindcast": hindcast, "track_record": track_record,
                 "headline_results": erosion_headlines}


# Section 0: the answer -----------------------------------------------------------------------------------------------

def findings(v: SimpleNamespace) -> list[dict]:
    """The summary's items for this owner, under the keys Amazon's use where the first screen and the verdict read
    them; Nvidia's revenue after the last observed year is not forecast (value None, said why)."""
    s, last, end = v.shares, v.last, owner_outlook.LAST_YEAR
    spend = s["spend_share"].dropna()
    peak = int(spend.idxmax())
    unforecast = f"not forecast: no sourced outlook of {v.company}'s capex"

    def band(year: int, column: str) -> dict:
        return {"value": float(s.loc[year, column]), "p5": float(s.loc[year, f"{column}_p5"]),
                "p95": float(s.loc[year, f"{column}_p95"])}
    estimate = "estimated from Epoch's chip counts × prices; chips only"
    items: list[dict] = [
        {"key": "owner", "label": "Owner whose purchases the report is about", "value": v.owner, "unit": "text"},
        {"key": "nvidia_revenue_observed_first", "year": FIRST_YEAR, "unit": "USD_billion",
         "label": f"Nvidia revenue from {v.owner}, {FIRST_YEAR} ({estimate})", **band(FIRST_YEAR, "nvidia_spend")},
        {"key": "nvidia_revenue_observed_last", "year": last, "unit": "USD_billion",
         "label": f"Nvidia revenue from {v.owner}, {last} ({estimate})", **band(last, "nvidia_spend")},
        {"key": "asic_spend_share_observed_last", "year": last, "unit": "fraction",
         "label": f"Non-Nvidia share of {v.owner}'s accelerator spend, {last} ({v.challenger}; {estimate})",
         **band(last, "spend_share")},
        {"key": "asic_spend_share_observed_peak", "year": peak, "unit": "fraction",
         "label": f"Highest non-Nvidia share of {v.owner}'s accelerator spend in an observed year: {peak}", **band(peak, "spend_share")},
        {"key": "nvidia_revenue_2027_2030", "unit": "USD_billion", "value": None, "undefined": unforecast,
         "label": f"Nvidia revenue from {v.owner}, total 2027-2030 ({unforecast})"},
        {"key": "p_nvidia_revenue_below_observed_last", "year": end, "unit": "fraction", "value": None, "undefined": unforecast,
         "label": f"P(Nvidia revenue from {v.owner} in {end} below its {last} level) ({unforecast})"},
        {"key": "p_nvidia_revenue_below_half_observed_last", "year": end, "unit": "fraction", "value": None,
         "undefined": unforecast, "label": f"P(Nvidia revenue from {v.owner} in {end} below half its {last} level) ({unforecast})"},
    ]
    ahead = next(y for y in v.forecast["years"] if y > last)
    by_key = {i["key"]: i for i in forecast_items(v)}
    items += [by_key[f"p_asic_above_{round(t * 100)}pct_{y}"] for t in erosion.THRESHOLDS for y in dict.fromkeys([ahead, end])]
    items += [by_key[f"share_never_stays_above_{round(t * 100)}pct"] for t in erosion.THRESHOLDS]
    return items


def assumptions(v: SimpleNamespace) -> list[dict]:
    """What the owner's probabilities are conditional on: the observed data (drawn), the yearly steps (their Student-t
    predictive sd) and each cost ratio that values its non-Nvidia chips, with the number of draws."""
    f, schema = v.forecast, v.schema
    ratio = owners.COST_RATIOS.get("Google" if v.owner == "Google" else "AMD")
    items: list[dict] = [{"key": "observed", "label": f"{v.owner}'s purchases in the observed years", "unit": "text",
              "value": "drawn within Epoch AI's unit bands and the chips' price ranges"},
             {"key": "share_step", "label": f"Yearly step of the non-Nvidia share of compute (log-odds sd, {v.owner}'s own moves)",
              "unit": "number", "value": float(f["step"].predictive_sd())},
             {"key": "cost_step", "label": "Yearly step of the cost ratio (log sd, Nvidia's cost per H100e)", "unit": "number",
              "value": float(f["drift"].predictive_sd())}]
    if ratio is not None:
        items.append({"key": ratio, "label": schema[ratio].title, "unit": "number", "value": float(v.p[ratio])})
    items.append({"key": "mc_draws", "label": schema["mc_draws"].title, "unit": "count", "value": int(v.p.mc_draws)})
    return items


def summary_setup(v: SimpleNamespace) -> None:
    setup(v)
    v.findings, v.assumptions = findings(v), assumptions(v)
    v.results = {"summary": {i["key"]: i for i in v.findings}, "erosion": {i["key"]: i for i in forecast_items(v)},
                 "assumptions": {i["key"]: i for i in v.assumptions}}
    v.verdict = verdict.decide(verdict.from_results(v.results))


def answer_first(v: SimpleNamespace, x: Collector) -> None:
    said = v.verdict
    x.say(f"**{said.question}** {_about(v)} This report: **{said.headline}.** {said.happened} {said.fall} {said.when}"
          + _thin(v))
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    x.chart(charts.share_bands(_bands(v), v.last, erosion.THRESHOLDS,
                               f"Non-Nvidia share of {v.owner}'s accelerator spend and compute: observed to {v.last}, then "
                               "forecast, with 50% (25th–75th percentile) and 90% (5th–95th) intervals",
                               f"{EPOCH}. {MODEL}", y_title="Share of the year's additions"))
    x.chart(charts.probability_lines(_probabilities(v), v.last, ticks,
                                     "Probability that non-Nvidia chips take more than 25% / 50% of the spend, by year",
                                     MODEL, likelihood.words))
    x.say(verdict.conditional_on(v.results, changed(v)))


#: The parameters the owner's sections read besides `owner` (the valuation of its non-Nvidia chips and the draws).
PARAMETERS = ("owner", "tpu_cost_ratio", "amd_cost_ratio", "mc_draws", "random_seed")


def changed(v: SimpleNamespace) -> dict:
    """The owner's parameters set away from their defaults, by label."""
    return {v.schema[n].title: v.p[n] for n in PARAMETERS if v.p[n] != v.schema[n].default}


def summary_findings(v: SimpleNamespace, x: Collector) -> None:
    rows = pd.DataFrame([{"finding": f["label"], "value": fmt(f["value"], f["unit"]),
                          "interval": f"{fmt(f['p5'], f['unit'])} – {fmt(f['p95'], f['unit'])}" if f.get("p5") is not None else ""}
                         for f in v.findings])
    x.table(rows, {}, {"finding": "Finding", "value": "Central estimate", "interval": "5th–95th percentile"})


def summary_headlines(v: SimpleNamespace, x: Collector) -> None:
    x.publish("summary", v.findings, {fleet.EPOCH_SOURCE, likelihood.SOURCE_ID})
    x.publish("assumptions", v.assumptions, {v.schema[a["key"]].source_id for a in v.assumptions if a["key"] in v.schema})


SUMMARY_PARTS = {"answer_first": answer_first, "findings": summary_findings, "headline_results": summary_headlines}
