"""Section 4: the essay's claims, each with a verdict, and the report's numbers against published figures."""
from __future__ import annotations

from typing import cast

import pandas as pd

from analysis.data.units import fmt
from analysis.models import crosscheck, ledger, outlook
from analysis.models.observations import Rows
from analysis.sections.base import Section, SectionState
from analysis.views.exhibits import Collector, Headline

#: The cross-check panel compares the landlord's and the funnel's numbers too: their parameters, beside the forecast's.
PARAMETERS = ("h100_server_price_usd", "network_share_of_cluster_capex", "depreciation_life_years",
              "residual_value_fraction", "rental_price_decline_per_year", "cost_of_capital",
              "server_overhead_fraction", "pue", "electricity_usd_per_kwh", "hosting_usd_per_kw_month",
              "gpu_purchase_quarter", "utilization", "on_demand_usage_share", "capacity_block_usage_share",
              "committed_discount", "ai_share")


class ClaimsState(SectionState):
    """The essay's claims and their verdict counts, and the cross-check panel (`cross_checks` sets it)."""
    claims: pd.DataFrame
    counts: pd.Series
    panel: pd.DataFrame


def _setup(v: ClaimsState) -> None:
    v.claims = v.ds["essay_claims"]
    v.counts = ledger.verdict_counts(v.claims)


def ledger_table(v: ClaimsState, x: Collector) -> None:
    x.say(f"{len(v.claims)} claims — " + ", ".join(f"{verdict}: {n}" for verdict, n in v.counts.items()) + ". ¶ numbers are "
          "lines of the stored plain-text copy of the essay (the title is ¶1).")
    x.table(v.claims[["claim_id", "paragraph", "claim_type", "quote", "finding", "verdict", "reason", "evidence"]], {},
            {"claim_id": "Claim", "paragraph": "¶", "claim_type": "Type", "quote": "The essay says", "finding": "What the data say",
             "verdict": "Verdict", "reason": "Why", "evidence": "Sources"})


def agreement_text(table: pd.DataFrame) -> str:
    """The panel's verdict in words: agreement among independent figures and the largest independent disagreement."""
    counts = crosscheck.agreement(table)
    worst = crosscheck.largest_disagreement(table[table["basis"] == "independent"])
    return (f"{counts.agree} of {counts.independent} independent, comparable figures agree within 25%. "
            f"{counts.consistency} rows compare the report with its own input (consistency checks: they agree by "
            f"construction) and {counts.not_comparable} differ in scope or definition; both are shown and not counted. "
            f"The largest independent disagreement: {worst['description']} — ours {fmt(worst['ours'], worst['unit'])} against "
            f"{fmt(worst['theirs'], worst['unit'])}, {worst['fold']:.1f} times apart. {worst['why_they_differ']}")


def cross_checks(v: ClaimsState, x: Collector) -> None:
    ours = crosscheck.our_values(v.ds, v.p, v.schema, outlook.central_run(v.ds, v.p, v.schema))
    published, ours, left_out = crosscheck.comparable(v.ds["cross_checks"], ours)
    v.panel = panel = crosscheck.panel(published, ours)
    x.table(panel[["description", "unit", "ours", "theirs", "ratio", "basis", "why_they_differ", "source_id"]],
            {"ours": "row", "theirs": "row", "ratio": "number"},
            {"description": "Published figure", "unit": "Unit", "ours": "This report", "theirs": "Published", "ratio": "Ours / theirs",
             "basis": "Basis", "why_they_differ": "Why they differ", "source_id": "Source"})
    x.say(agreement_text(panel))
    if left_out:
        x.say("Not compared at these parameters, where the report's figure is zero: " + "; ".join(left_out) + ".")


def headline_results(v: ClaimsState, x: Collector) -> None:
    claims, panel = v.claims, v.panel
    x.publish("claims", [
        *(Headline(f"claims_{str(verdict).replace(' ', '_')}", f"Essay claims judged {verdict}", int(n), "count")
          for verdict, n in v.counts.items()),
        *(Headline(f"verdict_{r.claim_id.replace('-', '_')}", f"¶{r.paragraph} “{r.quote}”", r.verdict, "text")
          for r in cast(Rows, claims.itertuples())),
        *(Headline(f"crosscheck_{r.check_id.replace('-', '_')}_ratio", f"Ours / published: {r.description}",
                   float(r.ratio), "number") for r in cast(Rows, panel.itertuples()))],
        set(claims["source_id"]) | {s for e in claims["evidence"] for s in e.split(";") if s} | set(panel["source_id"]))


#: The cross-checks read the forecast's central estimate of shares: capex levels and the Monte Carlo do not move them.
INERT = {name: "the cross-checks read the forecast's central shares, which capex levels and the Monte Carlo do not move"
         for name in ("capex_outlook_vintage", "capex_growth_scale", "accelerator_share_change", "mc_draws", "random_seed")}

SECTION = Section("claims", "04_claims_and_checks.ipynb", "Claims and checks", PARAMETERS, ClaimsState,
                  (ledger_table, cross_checks, headline_results), uses_forecast=True, inert=INERT, setup=_setup)
