"""The report's answer first: key findings with intervals and the answer to the essay's question, computed from the
section pipelines (never typed by hand), plus the dated list of what happened since the essay."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.data import Dataset, params, scenarios
from analysis.data.params import Parameter, Params
from analysis.data.units import UNIT_FORMATS, fmt
from analysis.models import (erosion, erosion_outcomes, forecast_result, ledger, observations, observed_checks, outlook,
                             owners)
from analysis.models.forecast_result import Forecast
from analysis.models.horizons import END, LONG_TERM, NEXT_YEAR, span
import analysis.sections.erosion_text as erosion_text
import analysis.sections.owner_text as owner_text
import analysis.sections.owner_view as owner_view
from analysis.sections.base import Section, SectionState
from analysis.views import charts, likelihood, verdict
from analysis.views.exhibits import Collector, Headline

#: The essay's row of data/sources.csv (its `date_published` says when it appeared).
ESSAY_SOURCE = "chipstrat-amazons-nvidia-entanglement"
ESSAY_ANSWER = "Yes, but not so much in the near-term."
SOURCE_NOTE = "Sources: Epoch AI ai-chip-counts (MIT) x chip prices; forecast: section 3's model"
#: What the observed years' spend figures are: Epoch AI's chip counts x chip prices (no networking, systems or software).
EPOCH_ESTIMATE = "estimated from Epoch's chip counts × prices"


def key_findings(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> list[dict]:
    """Headline items (key, label, value, unit, optional p5/p95 or range): what happened from every observed year
    (whatever the run's `observed_through`; central estimate with the data's own 5th-95th percentiles; the ASIC share
    in the last observed year and in the year it peaked), the outlook from section 3's run `result`, and what the
    verdict (analysis.views.verdict) reads besides section 3's headlines: P(Nvidia's revenue from AWS in the last
    forecast year is below its level in the last observed year, and below half of it), over the forecast's draws."""
    heads = {h.key: h.as_dict() for h in erosion_text.headlines(result)}
    truth = p.replace(observed_through=int(schema["observed_through"].maximum or 0))   # every observed year
    truth_result = outlook.observed_run(ds, p, schema)
    central = truth_result.central
    observed = truth_result.model.observed.years
    last = observed[-1]
    bought = observations.observed_purchases(ds, truth).set_index(["vendor", "year"])
    shares = observations.observed_share_bands(ds, truth).set_index("year")
    check = observed_checks.spend_check(ds, truth, schema, truth_result).set_index("year")
    cal = outlook.calibration(ds, truth).set_index("year")
    price_range = observed_checks.observed_asic_share_range(ds, truth, schema).set_index("year")
    essay_base = int(scenarios.resolve_scenario(scenarios.ESSAY, ds).observed_through)  # the last year the essay knew
    first = essay_base if essay_base in observed else observed[0]
    peak = int(cast(int, central["asic_spend_share"].loc[list(observed)].idxmax()))
    end = int(result.model.years[-1])
    ahead = next(y for y in result.model.years if y > last)

    def nvidia(year: int) -> dict[str, Any]:
        def spend(column: str) -> float:
            return float(bought[column].loc[("nvidia", year)])
        return {"value": spend("spend"), "unit": "USD_billion", "p5": spend("spend_p5"), "p95": spend("spend_p95")}

    def share(year: int) -> dict[str, Any]:
        return {"value": float(central["asic_spend_share"].loc[year]), "unit": "fraction",
                "p5": float(shares["asic_spend_share_p5"].loc[year]),
                "p95": float(shares["asic_spend_share_p95"].loc[year])}

    level = nvidia(last)["value"]
    revenue_end = result.draws["nvidia_revenue"][:, -1]      # each draw's Nvidia revenue in the last forecast year
    pct = [round(t * 100) for t in (verdict.QUARTER, verdict.MAJORITY)]
    return [
        {"key": "nvidia_revenue_observed_first", "year": first, "period": [first, first],
         "label": f"Nvidia revenue from AWS, {first} ({EPOCH_ESTIMATE}; chips only)", **nvidia(first)},
        {"key": "nvidia_revenue_observed_last", "year": last, "period": [last, last],
         "label": f"Nvidia revenue from AWS, {last} ({EPOCH_ESTIMATE}; chips only)", **nvidia(last)},
        {"key": "amazon_share_of_nvidia_dc_observed_last", "year": last, "period": [last, last],
         "label": f"Amazon's share of Nvidia's Data Center revenue, {last} (chips only)",
         "value": float(check["amazon_share_of_nvidia_dc"].loc[last]), "unit": "fraction"},
        {"key": "trainium_compute_share_observed_last", "year": last, "period": [last, last],
         "label": f"Trainium share of the compute Amazon added, {last} (estimated from Epoch's chip counts)",
         "value": float(central["compute_share_trainium"].loc[last]), "unit": "fraction",
         "p5": float(shares["trainium_compute_share_p5"].loc[last]), "p95": float(shares["trainium_compute_share_p95"].loc[last])},
        {"key": "asic_spend_share_observed_last", "year": last, "period": [last, last],
         "label": f"ASIC share of Amazon's accelerator spend, {last} ({EPOCH_ESTIMATE})", **share(last)},
        {"key": "asic_spend_share_observed_peak", "year": peak, "period": [peak, peak],
         "label": f"Highest ASIC share of Amazon's accelerator spend in an observed year: {peak} ({EPOCH_ESTIMATE})", **share(peak)},
        {"key": "asic_spend_share_observed_last_price_range", "year": last, "period": [last, last],
         "label": f"ASIC share of Amazon's accelerator spend, {last}, across the Trainium unit cost's sensitivity band",
         "value": float(price_range["central"].loc[last]), "unit": "fraction",
         "p5": float(price_range["at_low_cost"].loc[last]), "p95": float(price_range["at_high_cost"].loc[last])},
        {"key": "accelerator_share_of_capex_observed_last", "year": last, "period": [last, last],
         "label": f"Share of Amazon's capex that bought accelerator chips, {last}",
         "value": float(cal["share_of_capex"].loc[last]), "unit": "fraction",
         "p5": float(cal["share_of_capex_p5"].loc[last]), "p95": float(cal["share_of_capex_p95"].loc[last])},
        heads[f"nvidia_revenue_{LONG_TERM}"],
        heads[f"asic_share_of_spend_{LONG_TERM}"],
        {"key": "p_nvidia_revenue_below_observed_last", "year": end, "period": [last, end],
         "label": f"P(Nvidia revenue from AWS in {end} below its {last} level)", "value": float(np.mean(revenue_end < level)),
         "unit": "fraction"},
        {"key": "nvidia_revenue_half_observed_last", "year": last, "period": [last, last],
         "label": f"Half of Nvidia revenue from AWS in {last} (the verdict's second level)", "value": level * verdict.HALF,
         "unit": "USD_billion"},
        {"key": "p_nvidia_revenue_below_half_observed_last", "year": end, "period": [last, end],
         "label": f"P(Nvidia revenue from AWS in {end} below half its {last} level)",
         "value": float(np.mean(revenue_end < level * verdict.HALF)), "unit": "fraction"},
        *({**heads[f"p_asic_above_{t}pct_{y}"], "key": f"p_asic_above_{t}pct_{role}"}
          for t in pct for role, y in ((NEXT_YEAR, ahead), (END, end))),
        *(heads[f"share_never_stays_above_{t}pct"] for t in pct),
    ]


def assumptions(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> list[dict]:
    """What the forecast's probabilities are conditional on, read from its run `result`: each drawn input with its
    median and 5th-95th percentiles, the observed data (drawn), and each input held fixed that moves the forecast with
    its value (a challenger's path and cost only if its ceiling is above 0 or drawn; a cost ratio only where no
    observed year calibrates it), the capex outlook's vintage and the number of draws."""
    specs, model = result.specs, result.model

    def unit(name: str) -> str:
        code = schema[name].unit if name in schema else "number"
        return code if code in UNIT_FORMATS and code != "years" else "number"     # ratios and years read as plain numbers
    items: list[dict] = []
    families: dict[str, dict] = {}
    for name, dist in specs.items():
        family = erosion_text.input_family(name, model.forecast_years)
        if name == erosion.OBSERVED_INPUT:
            items.append({"key": name, "label": erosion_text.OBSERVED_LABEL, "unit": "text",
                          "value": "drawn within Epoch AI's unit bands and the chips' price ranges"})
        elif family is not None:          # a path's yearly inputs, one item: the widest 5th-95th of its years
            p5, p95 = float(dist.ppf(0.05)), float(dist.ppf(0.95))
            group = families.setdefault(family, {"key": family, "label": family, "value": float(dist.median()),
                                                 "unit": "number", "p5": p5, "p95": p95})
            group["p5"], group["p95"] = min(group["p5"], p5), max(group["p95"], p95)
        else:
            items.append({"key": name, "label": erosion_text.input_title(name, schema), "value": float(dist.median()),
                          "unit": unit(name), "p5": float(dist.ppf(0.05)), "p95": float(dist.ppf(0.95))})
    items[1:1] = list(families.values())
    idle = {f"{v.id}_{k}" for v in model.challengers if p[f"{v.id}_ceiling"] == 0 and f"{v.id}_ceiling" not in specs
            for k in outlook.VENDOR_PARAMETERS if k != "ceiling"} | {f"{v}_cost_ratio" for v in model.calibrated_cost}
    for name in outlook.parameters(ds):
        if name not in specs and name not in idle and name != "random_seed":
            items.append({"key": name, "label": schema[name].title, "value": p[name], "unit": unit(name)})
    return items


def changed_values(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> dict:
    """The forecast's parameters whose value differs from its default in `p`, by their labels (as the page names them)."""
    return {schema[name].title: p[name] for name in outlook.parameters(ds) if p[name] != schema[name].default}


def results_of(findings: list[dict], heads: list[dict], conditions: list[dict]) -> dict[str, dict[str, dict]]:
    """The published items the verdict reads, as a build's results hold them (section -> key -> item)."""
    return {section: {item["key"]: item for item in items}
            for section, items in (("summary", findings), ("erosion", heads), ("assumptions", conditions))}


def _interval(item: dict) -> str:
    if "p5" not in item:
        return fmt(item["value"], item["unit"])
    return f"{fmt(item['value'], item['unit'])} ({fmt(item['p5'], item['unit'])}–{fmt(item['p95'], item['unit'])})"


def essay_date(ds: Dataset) -> str:
    """When the essay appeared, in words, from its row of data/sources.csv ("early 2024")."""
    sources = ds["sources"].set_index("id")
    return str(sources.loc[ESSAY_SOURCE, "date_published"]).split(" (")[0]


def answer(ds: Dataset, findings: list[dict], said: verdict.Verdict) -> str:
    """The answer to the essay's question in a few sentences: the verdict (its words from the rule), then the compute
    share and the central outlook over the long term; every number and year from `findings`."""
    f = {item["key"]: item for item in findings}
    trn, asic = f["trainium_compute_share_observed_last"], f["asic_spend_share_observed_last"]
    revenue = f[f"nvidia_revenue_{LONG_TERM}"]
    cheaper = trn["value"] > asic["value"]
    return (
        f"**{verdict.QUESTION}** The essay ({essay_date(ds)}): *\"{ESSAY_ANSWER}\"* This report: **{said.headline}.** "
        f"{said.happened} Trainium took {fmt(trn['value'], 'fraction')} of the compute Amazon added in {trn['year']}: "
        f"{'more' if cheaper else 'less'} than the ASICs' share of the dollars, because a unit of Trainium compute costs "
        f"{'less' if cheaper else 'more'} than Nvidia's. "
        f"{said.fall} {said.when} The central estimate puts Nvidia's revenue from AWS in {span(revenue['period'])} at "
        f"{_interval(revenue)}, with ASICs taking {_interval(f[f'asic_share_of_spend_{LONG_TERM}'])} of "
        "the spend."
    )


def events_since_essay(ds: Dataset) -> pd.DataFrame:
    """What happened since the essay appeared, oldest first (data/events.csv)."""
    events = ds["events"]
    since = scenarios.resolve_scenario(scenarios.ESSAY, ds).capex_outlook_vintage   # the month the essay's view dates to
    return events[events["date"] >= since].sort_values(["date", "event_id"], ignore_index=True)


@dataclass(frozen=True)
class Answer:
    """The section's answer: its key findings and the forecast's assumptions (both published), the items the verdict
    reads (`results`, as a build's results hold them) and the verdict."""
    findings: list[dict]
    assumptions: list[dict]
    results: dict[str, dict[str, dict]]
    verdict: verdict.Verdict


def compute_answer(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> Answer:
    """The answer for parameters `p`, from section 3's run `result`."""
    findings, conditions = key_findings(ds, p, schema, result), assumptions(ds, p, schema, result)
    results = results_of(findings, [h.as_dict() for h in erosion_text.headlines(result)], conditions)
    return Answer(findings, conditions, results, verdict.decide(verdict.from_results(results)))


class SummaryState(SectionState):
    """Section 3's run (without its sensitivity), the answer computed from it and the events since the essay (the
    `events` part sets them)."""
    result: Forecast
    answer: Answer
    events: pd.DataFrame


def _setup(v: SummaryState) -> None:
    v.result = outlook.run(v.ds, v.p, v.schema, sensitivity=False)
    v.answer = compute_answer(v.ds, v.p, v.schema, v.result)


def when_charts(result: Forecast) -> tuple:
    """The two charts that answer "when?": the ASIC share of spend and of compute by year with 50% and 90% bands and
    the thresholds as rules, and P(ASIC share of spend > each threshold) by year."""
    yearly, last = forecast_result.by_year(result), result.model.observed.years[-1]
    qs = [f"p{q}" for q in erosion_outcomes.PERCENTILES]
    shares = pd.concat([yearly.assign(series=label, value=yearly[column], **{q: yearly[f"{column}_{q}"] for q in qs})
                        for column, label in (("asic_spend_share", "ASIC share of spend"),
                                              ("asic_compute_share", "ASIC share of compute"))])
    thresholds = (verdict.QUARTER, verdict.MAJORITY)
    probs = pd.concat([yearly.assign(series=f"P(share of spend > {t:.0%})",
                                     probability=yearly[f"p_asic_spend_share_above_{round(t * 100)}pct"])
                       for t in thresholds])
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    return (charts.share_bands(shares[["year", "series", "value", *qs]], last, thresholds,
                               f"ASIC share of Amazon's accelerator spend and compute: observed to {last}, then forecast, "
                               "with 50% (25th–75th percentile) and 90% (5th–95th) intervals", SOURCE_NOTE, y_title="Share of the year's additions"),
            charts.probability_lines(probs[["year", "series", "probability"]], last, ticks,
                                     "Probability that ASICs take more than 25% / 50% of the spend, by year", SOURCE_NOTE,
                                     likelihood.words))


def answer_first(v: SummaryState, x: Collector) -> None:
    x.say(answer(v.ds, v.answer.findings, v.answer.verdict))
    for chart in when_charts(v.result):
        x.chart(chart)
    x.say(verdict.conditional_on(v.answer.results, changed_values(v.ds, v.p, v.schema)))
    row = next(r for r in v.answer.verdict.table if r["matched"])
    x.say(f"The answer's words are the first row of the verdict's rule that holds (the rule table is under the answer on "
          f"the report's first screen, and `verdict.rule` in results.json): here *{row['if']}*. Probabilities read as "
          f"words on one scale: {likelihood.glossary()}.")


def _interval_text(finding: dict) -> str:
    return f"{fmt(finding['p5'], finding['unit'])} – {fmt(finding['p95'], finding['unit'])}" if "p5" in finding else ""


def findings(v: SummaryState, x: Collector) -> None:
    rows = pd.DataFrame([{"finding": f["label"], "value": fmt(f["value"], f["unit"]), "interval": _interval_text(f)}
                         for f in v.answer.findings])
    x.table(rows, {}, {"finding": "Finding", "value": "Central estimate", "interval": "5th–95th percentile (or range)"})
    pct = v.result.percentiles
    x.chart(charts.fan(pct[pct["metric"] == "nvidia_revenue"], v.result.central["nvidia_revenue"].rename("value").reset_index(),
                       "USD billion per year", "Nvidia revenue from AWS per year: observed, then forecast, with 5th-95th percentiles",
                       SOURCE_NOTE,
                       last_observed=v.result.model.observed.years[-1]))


def claims(v: SummaryState, x: Collector) -> None:
    counts = ledger.verdict_counts(v.ds["essay_claims"])
    x.table(counts.reset_index(), {"claims": "count"}, {"verdict": "Verdict", "claims": "Claims"})
    x.say(f"{int(counts.sum())} claims: " + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) + ".")


def events(v: SummaryState, x: Collector) -> None:
    v.events = events = events_since_essay(v.ds)
    shown = events.assign(figure=[fmt(value, unit) if pd.notna(value) else "" for value, unit in zip(events["value"], events["unit"])])
    x.table(shown[["date", "description", "figure", "source_id"]], {},
            {"date": "Date", "description": "What happened", "figure": "Figure", "source_id": "Source"})


def headline_results(v: SummaryState, x: Collector) -> None:
    x.publish("summary", v.answer.findings,
              {"epoch-ai-chip-counts", "chipstrat-amazons-nvidia-entanglement", likelihood.SOURCE_ID}
              | set(v.events["source_id"]) | set(v.ds["essay_claims"]["source_id"]))
    x.publish("assumptions", v.answer.assumptions,
              {v.schema[a["key"]].source_id for a in v.answer.assumptions if a["key"] in v.schema})


def headlines(ds: Dataset, p: Params) -> list[Headline]:
    """The key findings alone (what `compare` and `sweep` read): another owner's its own."""
    if not owners.is_report_owner(ds, p):
        items = owner_text.findings(owner_view.core_state(ds, p))
    else:
        schema = params.schema(ds)
        items = key_findings(ds, p, schema, outlook.run(ds, p, schema, sensitivity=False))
    return [Headline.of(i) for i in items]


SECTION = Section("summary", "00_summary.ipynb", "Summary", ("owner", "tpu_cost_ratio"), SummaryState,
                  (answer_first, findings, claims, events, headline_results),
                  headlines=headlines, uses_forecast=True, setup=_setup,
                  inert={"tpu_cost_ratio": "values Google's TPUs: read only for `owner` = google"},
                  other_owner=owner_view.SUMMARY_PARTS, other_setup=owner_view.summary_setup,
                  headline_charts=("answer_first",))
