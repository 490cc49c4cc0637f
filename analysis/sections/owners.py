"""Section 5: beyond AWS — the non-Nvidia share of every hyperscaler in Epoch AI's data, Google's TPU beside Trainium,
Nvidia's revenue from the five owners as a share of its Data Center revenue, and a check against Nvidia's own
disclosures."""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import pandas as pd

from analysis.data import Dataset
from analysis.models import concentration, fleet, owner_outlook, owners
from analysis.models import hindcast as hindcast_model
from analysis.models.observations import Rows
from analysis.models.horizons import horizons, percent, thresholds
from analysis.sections.base import Section, SectionState
from analysis.views import charts
from analysis.views.exhibits import Collector, Headline
from analysis.views.present import fmt, sources_of

PARAMETERS = ("trainium_unit_cost_usd", "tpu_cost_ratio", "amd_cost_ratio", "mc_draws", "random_seed")
EPOCH = "Source: Epoch AI ai-chip-counts (MIT): units and H100e by owner and chip; Nvidia chips at Epoch's yearly prices"
SHARE_UNITS = {c: "fraction" for s in ("compute_share", "spend_share") for c in (s, f"{s}_p5", f"{s}_p95")}


class OwnersState(SectionState):
    """Every owner's draws and shares and its last observed year, and what the parts add for the headline part and
    the checks: Nvidia's share of its revenue, the independent checks, the outlooks and the hindcast."""
    draws: owners.OwnerDraws
    shares: pd.DataFrame
    last: int
    nvidia: pd.DataFrame
    customers: pd.DataFrame
    clouds: pd.DataFrame
    totals: pd.DataFrame
    outlook: pd.DataFrame
    hindcast: pd.DataFrame


def _setup(v: OwnersState) -> None:
    v.draws = owners.draws(v.ds, v.p)
    v.shares = owners.shares(v.ds, v.p, v.draws)
    v.last = max(v.draws.years)


def coverage(v: OwnersState, x: Collector) -> None:
    first = v.shares.dropna(subset=["compute_share"]).groupby("owner")["year"].min()
    table = pd.DataFrame({
        "owner": owners.owners(v.ds),
        "challenger": [owners.CHALLENGERS[o] for o in owners.owners(v.ds)],
        "from_year": [int(first[o]) for o in owners.owners(v.ds)],
        "valued": [_valued(o, v.schema) for o in owners.owners(v.ds)],
        "missing": [owners.NOT_COUNTED[o] for o in owners.owners(v.ds)]})
    x.say("Each owner's figures are **estimated from Epoch AI's chip counts** (units and H100-equivalents per chip and "
          "quarter, each with a 5th–95th percentile band; Nvidia's chips at Epoch's yearly prices) and are **chips "
          "only**: no servers, networks or buildings. "
          "A challenger's years begin with its first complete quarter in Epoch's data; earlier years are missing, not "
          "zero, and chips Epoch does not count are missing too, never zero. This section uses no capex: the capex "
          "funnel and the landlord's economics (sections 1 and 2) stay AWS's. Capex in data/financials.csv: "
          + "; ".join(_capex_periods(v.ds, o) for o in owners.owners(v.ds) if o != fleet.OWNER) + ".")
    x.table(table, {"from_year": "year"},
            {"owner": "Owner", "challenger": "Non-Nvidia chips in Epoch's data",
             "from_year": "Covered from", "valued": "How they are valued", "missing": "Not counted"})


#: The company whose filings report an Epoch owner's capex, where the names differ.
COMPANY = {"Google": "Alphabet"}


def _capex_periods(ds: Dataset, owner: str) -> str:
    """Which capex rows data/financials.csv holds for `owner`'s company: its first and last fiscal periods, or missing."""
    company = COMPANY.get(owner, owner)
    f = ds["financials"]
    periods = f.loc[(f["company"] == company) & f["metric"].str.startswith("capex") & (f["metric"] != "capex_guidance"),
                    "fiscal_period"].sort_values()
    return f"{company} {periods.iloc[0]}–{periods.iloc[-1]}" if len(periods) else f"{company} missing"


def _valued(owner: str, schema: dict) -> str:
    """How an owner's own (or AMD's) chips are valued, naming the parameter by its label."""
    if owner == fleet.OWNER:
        return f"{schema['trainium_unit_cost_usd'].title} (section 3's)"
    name = owners.COST_RATIOS["Google" if owner == "Google" else "AMD"]
    return f"H100e x Nvidia's cost per H100e there x {schema[name].title}"


def shares(v: OwnersState, x: Collector) -> None:
    s = v.shares.dropna(subset=["compute_share"])
    latest = s[s["year"] == v.last].set_index("owner")
    order = latest["compute_share"].sort_values(ascending=False)
    x.say(f"In {v.last}, the non-Nvidia share of the compute each owner added was "
          + "; ".join(f"{r.Index} {fmt(r.compute_share, 'fraction')} ({fmt(r.compute_share_p5, 'fraction')}–"
                      f"{fmt(r.compute_share_p95, 'fraction')})"
                      for r in cast(Rows, latest.loc[order.index].itertuples()))
          + ". Of spend (the challengers valued as in the table above): "
          + "; ".join(f"{o} {fmt(latest.loc[o, 'spend_share'], 'fraction')}" for o in order.index) + ".")
    bars = s.assign(value=s["compute_share"], lo=s["compute_share_p5"], hi=s["compute_share_p95"])
    x.chart(charts.grouped_bars(bars[["year", "owner", "value", "lo", "hi"]], "year", "Calendar year", "value",
                                "Non-Nvidia share of compute added", "owner",
                                "Non-Nvidia share of the compute (H100e) each owner added, with the data's 5th-95th percentiles",
                                EPOCH, band=("lo", "hi"), y_format=".0%"))
    x.table(s[["owner", "year", "challenger", *SHARE_UNITS]], SHARE_UNITS,
            {"owner": "Owner", "year": "Year", "challenger": "Non-Nvidia chips", "compute_share": "Share of compute",
             "compute_share_p5": "5th pct", "compute_share_p95": "95th pct", "spend_share": "Share of spend",
             "spend_share_p5": "5th pct", "spend_share_p95": "95th pct"})
    x.data_table("owners_by_year", v.shares, "One row per owner and year: the non-Nvidia share of compute and of spend "
                 "added and the Nvidia spend (USD bn), each central with the draws' 5th and 95th percentiles; empty where "
                 "Epoch does not cover every vendor of the owner that year")


def in_house(v: OwnersState, x: Collector) -> None:
    paths = owners.in_house_paths(v.shares)
    g = paths[paths["owner"] == "Google"].set_index("year")["compute_share"]
    a = paths[paths["owner"] == fleet.OWNER].set_index("year")["compute_share"]
    x.say(f"Google's TPUs are the one mature in-house programme in the data: {fmt(g.iloc[0], 'fraction')} of the compute "
          f"Google added in {g.index[0]}, {fmt(g.iloc[-1], 'fraction')} in {g.index[-1]}. Trainium stood at "
          f"{fmt(a.iloc[0], 'fraction')} of Amazon's in {a.index[0]} and {fmt(a.iloc[-1], 'fraction')} in {a.index[-1]}; "
          "section 3 uses Google's TPU shares as the reference class for Trainium's long-run share (`trainium_ceiling`). "
          "The chart above sets the two side by side.")
    x.data_table("owners_in_house", paths, "Google's TPU and Amazon's Trainium: each owner's in-house share of the "
                 "compute it added, central with the draws' 5th and 95th percentiles")


def nvidia_revenue(v: OwnersState, x: Collector) -> None:
    v.nvidia = n = owners.nvidia_share(v.ds, v.draws)
    s = v.shares
    bars = s.assign(value=s["nvidia_spend"], lo=s["nvidia_spend_p5"], hi=s["nvidia_spend_p95"])
    last = n.iloc[-1]
    x.say(f"Together the five owners spent {fmt(last['five_owners_nvidia_spend'], 'USD_billion')} "
          f"({fmt(last['five_owners_nvidia_spend_p5'], 'USD_billion')}–{fmt(last['five_owners_nvidia_spend_p95'], 'USD_billion')}) "
          f"on Nvidia chips in {int(last['year'])}: {fmt(last['share_of_datacenter'], 'fraction')} "
          f"({fmt(last['share_of_datacenter_p5'], 'fraction')}–{fmt(last['share_of_datacenter_p95'], 'fraction')}) of Nvidia's "
          f"Data Center revenue that calendar year, against {fmt(n.iloc[0]['share_of_datacenter'], 'fraction')} in "
          f"{int(n.iloc[0]['year'])}. Chips only, so the share of Nvidia's revenue from these customers (networking, "
          "systems) is higher than this; bands add each owner's unit band, drawn independently, and shared chip prices.")
    x.chart(charts.grouped_bars(bars[["year", "owner", "value", "lo", "hi"]], "year", "Calendar year", "value", "USD billion",
                                "owner", "Nvidia chips bought by each owner, with the data's 5th-95th percentiles", EPOCH,
                                band=("lo", "hi"), y_format=",.1f"))
    x.table(n, {c: "USD_billion" for c in ("five_owners_nvidia_spend", "five_owners_nvidia_spend_p5",
                                            "five_owners_nvidia_spend_p95", "nvidia_datacenter_revenue")}
            | {c: "fraction" for c in ("share_of_datacenter", "share_of_datacenter_p5", "share_of_datacenter_p95")},
            {"year": "Year", "five_owners_nvidia_spend": "Five owners' Nvidia chips", "five_owners_nvidia_spend_p5": "5th pct",
             "five_owners_nvidia_spend_p95": "95th pct", "nvidia_datacenter_revenue": "Nvidia Data Center revenue",
             "share_of_datacenter": "Share of it", "share_of_datacenter_p5": "5th pct", "share_of_datacenter_p95": "95th pct"})
    x.data_table("owners_nvidia_share", n, "Per calendar year: the five owners' spend on Nvidia chips (USD bn) and its share "
                 "of Nvidia's Data Center revenue, central with the draws' 5th and 95th percentiles")


def independent_check(v: OwnersState, x: Collector) -> None:
    v.customers = c = concentration.customer_check(v.ds, v.draws)
    v.clouds = clouds = concentration.cloud_share_check(v.ds, v.p)
    v.totals = totals = concentration.epoch_totals(v.ds)
    x.table(c[["fiscal_year", "nvidia_revenue", "largest_owner", "largest_owner_share", "owners_at_10pct", "disclosed"]],
            {"nvidia_revenue": "USD_billion", "largest_owner_share": "fraction", "owners_at_10pct": "count"},
            {"fiscal_year": "Nvidia fiscal year (≈ calendar year before)", "nvidia_revenue": "Nvidia revenue",
             "largest_owner": "Largest owner (Epoch)", "largest_owner_share": "Its share of revenue",
             "owners_at_10pct": "Owners at 10%+ (central)", "disclosed": "Customers Nvidia disclosed at 10%+"})
    x.say(concentration_text(c, clouds, totals))
    x.data_table("owners_customer_check", c, "Per Nvidia fiscal year: each owner's Nvidia chip spend in the matching calendar "
                 "year as a share of Nvidia's total revenue (Epoch-based, central; the largest with its band) beside the "
                 "customers Nvidia disclosed at 10% or more of revenue")


def concentration_text(c: pd.DataFrame, clouds: pd.DataFrame, totals: pd.DataFrame) -> str:
    """The independent check in words: the gap to Nvidia's disclosures and to Epoch's totals."""
    lines = [f"{r.fiscal_year}: Epoch-based, {r.largest_owner} bought {fmt(r.largest_owner_share, 'fraction')} "
             f"({fmt(r.largest_owner_share_p5, 'fraction')}–{fmt(r.largest_owner_share_p95, 'fraction')}) of Nvidia's revenue; "
             f"Nvidia's largest disclosed customer was {fmt(r.disclosed_largest_share, 'fraction', 'none at 10%')}"
             for r in cast(Rows, c.itertuples())]
    cloud = "; ".join(f"in {r.quarter} the four cloud owners' Nvidia chips come to {fmt(r.share, 'fraction')} of that "
                      f"quarter's Data Center revenue (widest band Epoch's figures allow {fmt(r.share_widest_low, 'fraction')}–"
                      f"{fmt(r.share_widest_high, 'fraction')}) against Nvidia's own \"mid-40s\" percent for cloud providers, "
                      f"{fmt(r.nvidia_stated_share - r.share, 'fraction')} below {fmt(r.nvidia_stated_share, 'fraction')}"
                      for r in cast(Rows, clouds.itertuples()))
    worst = totals.iloc[totals["gap"].abs().argmax()]
    unseen = c[(c["owners_at_10pct"] > 0) & (c["disclosed_customers_at_10pct"] == 0)]["fiscal_year"].tolist()
    tension = (f"In {', '.join(unseen)} the central estimate puts an owner at 10% or more while Nvidia disclosed no such "
               "customer: inside the band, but the one place where the estimate and the filing pull apart. "
               if unseen else "")
    return ("The gap, stated. " + ". ".join(lines) + ". Nvidia does not name its customers, and its direct customers are "
            "mostly server makers and distributors, so a disclosure bounds an owner's purchases rather than measuring "
            "them: an owner at 10% or more should appear as a direct or an indirect customer. " + tension +
            f"Against Nvidia's cloud statement: {cloud}. Nvidia's figure includes systems, networking and software sold to "
            "every cloud provider (not only these four), which a chip count leaves out, and its quarter need not match "
            "Epoch's dating of the chips. "
            f"Against Epoch's own cumulative totals: every owner's quarters sum to within "
            f"{fmt(abs(worst['gap']), 'fraction')} of Epoch's total (largest gap {worst['owner']} {worst['vendor']})"
            + (", inside Epoch's band in every case." if totals["inside_epoch_band"].all() else
               f"; outside Epoch's band for {', '.join(totals.loc[~totals['inside_epoch_band'], 'owner'])}."))


def outlook_ahead(v: OwnersState, x: Collector) -> None:
    v.outlook, spreads = owner_outlook.forecasts(v.ds, v.draws)
    ahead = v.outlook[~v.outlook["observed"]]
    end = ahead[ahead["year"] == horizons(v.ds).end].set_index("owner")
    x.data_table("owners_spreads", spreads, "Per owner: the yearly step of its non-Nvidia compute share in log-odds (root "
                 "mean square of its own moves), the number of moves, the Student-t predictive step and the cost ratio's "
                 "step, with the years they were measured on")
    lower, upper = thresholds(v.ds).shares

    def by_owner(t: float) -> str:
        return "; ".join(f"{o} {fmt(r[f'p_spend_share_above_{percent(t)}pct'], 'fraction')}" for o, r in end.iterrows())
    x.say(f"By {horizons(v.ds).end}, P(non-Nvidia share of spend > {lower:.0%}): {by_owner(lower)}"
          + f"; P(> {upper:.0%}): {by_owner(upper)}"
          + f". The spread of {_names(spreads.loc[spreads['share_moves'] == 1, 'owner'])} rests on a single yearly move: "
          "a Student-t with one degree of freedom, so their paths reach from almost no non-Nvidia chips to almost all "
          "of them within a few years. Read these as how little one move of history says, not as a forecast of a "
          "programme; Amazon's own forecast, which models its capex and Trainium's path, is section 3's.")
    lines = ahead.assign(value=ahead[f"p_spend_share_above_{percent(lower)}pct"])
    x.chart(charts.year_lines(lines[["year", "owner", "value"]], "value", f"P(non-Nvidia share of spend > {lower:.0%})",
                              "owner", f"Probability that each owner's non-Nvidia share of accelerator spend exceeds "
                              f"{lower:.0%}, by year",
                              "Model: each owner's last observed share as a random walk, spreads from its own years; "
                              + EPOCH.removeprefix("Source: "), y_format=".0%"))
    x.data_table("owners_outlook", v.outlook, "One row per owner and year to " + str(horizons(v.ds).end) + ": observed "
                 "or forecast, the non-Nvidia share of spend and of compute (central, 5th/50th/95th percentiles) and "
                 f"P(spend share > {lower:.0%} / {upper:.0%})")


def hindcast(v: OwnersState, x: Collector) -> None:
    v.hindcast, skipped = owner_outlook.owner_hindcast(v.ds, v.p)
    held = int(v.hindcast["inside_90"].sum()) if len(v.hindcast) else 0
    left = pd.DataFrame(skipped, columns=["owner", "origin"]).groupby("owner", sort=False)["origin"]
    scored = _names(v.hindcast["owner"].unique()) if len(v.hindcast) else "no owner"
    cases = "; ".join(f"{r.owner}'s {r.year} {r.metric.replace('_', ' ')} from end-{r.origin}: forecast "
                      f"{fmt(r.forecast, 'fraction')} ({fmt(r.p5, 'fraction')}–{fmt(r.p95, 'fraction')}), outcome "
                      f"{fmt(r.outcome, 'fraction')}" for r in cast(Rows, v.hindcast.itertuples()))
    origins = " and ".join(f"end-{y}" for y in hindcast_model.origin_years(v.ds, v.schema))
    borrowed = (v.hindcast.loc[v.hindcast["step_from"] == owner_outlook.OTHER_OWNERS_MOVES, ["owner", "origin"]]
                .drop_duplicates() if len(v.hindcast) else pd.DataFrame(columns=["owner", "origin"]))
    x.say(f"Hindcast from {origins}, scored like section 3's: {len(v.hindcast)} outcomes ({scored}), {held} "
          f"inside the 90% interval ({cases}). "
          + (("Where an owner had no yearly move of its own before the origin ("
              + "; ".join(f"{r.owner} from end-{r.origin}" for r in cast(Rows, borrowed.itertuples()))
              + "), its step is the root mean square of the other owners' moves up to the origin, a reference class "
              "(column step_from). ") if len(borrowed) else "")
          + "Left out, with no observed share in the origin year or no move at any owner before it to measure a "
          "spread on: " + "; ".join(f"{o} from end-{' and end-'.join(map(str, years))}" for o, years in left)
          + ". Each owner has a handful of outcomes at most: too few to call calibrated.")
    x.data_table("owners_hindcast", v.hindcast, "Per owner, origin, share and later observed year: the simple forecast, its "
                 "5th-95th percentiles, the outcome (the data's central estimate), coverage and CRPS")


def _names(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def headline_results(v: OwnersState, x: Collector) -> None:
    items: list[Headline] = []
    for r in cast(Rows, v.shares.itertuples()):
        key = r.owner.lower()
        for name, label, unit in (("compute_share", "non-Nvidia share of compute added", "fraction"),
                                  ("spend_share", "non-Nvidia share of accelerator spend", "fraction"),
                                  ("nvidia_spend", "spend on Nvidia chips", "USD_billion")):
            value = getattr(r, name)
            if pd.notna(value):
                items.append(Headline(f"{key}_{name}_{r.year}", f"{r.owner}: {label}, {r.year}", float(value), unit,
                                      (float(getattr(r, f"{name}_p5")), float(getattr(r, f"{name}_p95")))))
    for r in cast(Rows, v.outlook[~v.outlook["observed"]].itertuples()):
        for t in (percent(share) for share in thresholds(v.ds).shares):
            items.append(Headline(f"{r.owner.lower()}_p_spend_share_above_{t}pct_{r.year}",
                                  f"{r.owner}: P(non-Nvidia share of spend > {t}% in {r.year}), simple forecast",
                                  float(getattr(r, f"p_spend_share_above_{t}pct")), "fraction"))
    for r in cast(Rows, v.nvidia.itertuples()):
        items.append(Headline(f"five_owners_share_of_nvidia_datacenter_{r.year}",
                              f"Five owners' Nvidia chips as a share of Nvidia's Data Center revenue, {r.year}",
                              float(r.share_of_datacenter), "fraction",
                              (float(r.share_of_datacenter_p5), float(r.share_of_datacenter_p95))))
    f = v.ds["financials"]
    x.publish("owners", items, {fleet.EPOCH_SOURCE} | sources_of(v.ds["nvidia_customers"], f[f["company"] == "Nvidia"])
              | SECTION.sources(v.ds))


SECTION = Section("owners", "05_owners.ipynb", "Beyond AWS", PARAMETERS, OwnersState,
                  (coverage, shares, in_house, nvidia_revenue, independent_check, outlook_ahead, hindcast, headline_results), setup=_setup)
