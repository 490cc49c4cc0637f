"""The report's answer first: key findings with intervals and the answer to the essay's question, computed from the
section pipelines (never typed by hand), plus the dated list of what happened since the essay."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import pandas as pd

from analysis.data import Dataset, params, scenarios
from analysis.data.params import Parameter, Params
from analysis.data.units import UNIT_FORMATS, fmt
from analysis.models import (erosion, erosion_outcomes, forecast_result, ledger, observations, observed_checks, outlook,
                             owners)
from analysis.models.forecast_result import Forecast
from analysis.models.horizons import END, LONG_TERM, NEXT_YEAR, percent, span
import analysis.sections.erosion_text as erosion_text
import analysis.sections.owner_text as owner_text
import analysis.sections.owner_view as owner_view
from analysis.sections.base import Section, SectionState
from analysis.views import charts, likelihood, verdict, verdict_inputs
from analysis.views.exhibits import Collector, Headline

#: The essay's row of data/sources.csv (its `date_published` says when it appeared).
ESSAY_SOURCE = "chipstrat-amazons-nvidia-entanglement"
ESSAY_ANSWER = "Yes, but not so much in the near-term."
SOURCE_NOTE = "Sources: Epoch AI ai-chip-counts (MIT) x chip prices; forecast: section 3's model"
#: What the observed years' spend figures are: Epoch AI's chip counts x chip prices (no networking, systems or software).
EPOCH_ESTIMATE = "estimated from Epoch's chip counts × prices"


@dataclass(frozen=True)
class KeyFindings:
    """The key findings (published under `summary`) and the verdict's inputs, read from the same numbers."""
    items: tuple[Headline, ...]
    inputs: verdict.Inputs


def _observed(key: str, label: str, year: int, value: float, unit: str,
              band: tuple[float | None, float | None] | None = None) -> Headline:
    """A finding of one observed year."""
    return Headline(key, label, value, unit, band, {"year": year}, (year, year))


def key_findings(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> KeyFindings:
    """Headline items (key, label, value, unit, optional 5th-95th percentiles or range): what happened from every
    observed year (whatever the run's `observed_through`; central estimate with the data's own 5th-95th percentiles; the
    ASIC share in the last observed year and in the year it peaked), the outlook from section 3's run `result`, and
    what the verdict (analysis.views.verdict) reads besides section 3's headlines: P(Nvidia's revenue from AWS in the
    last forecast year is below its level in the last observed year, and below the data's revenue level of it), over
    the forecast's draws; with the verdict's inputs, from the same numbers."""
    heads = {h.key: h for h in erosion_text.headlines(result)}
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

    def nvidia(key: str, year: int) -> Headline:
        def spend(column: str) -> float:
            return float(bought[column].loc[("nvidia", year)])
        return _observed(key, f"Nvidia revenue from AWS, {year} ({EPOCH_ESTIMATE}; chips only)", year, spend("spend"),
                         "USD_billion", (spend("spend_p5"), spend("spend_p95")))

    def share(key: str, label: str, year: int) -> Headline:
        return _observed(key, label, year, float(central["asic_spend_share"].loc[year]), "fraction",
                         (float(shares["asic_spend_share_p5"].loc[year]),
                          float(shares["asic_spend_share_p95"].loc[year])))

    def column(frame: pd.DataFrame, name: str) -> float:
        return float(frame[name].loc[last])

    revenue_first = nvidia("nvidia_revenue_observed_first", first)
    revenue_last = nvidia("nvidia_revenue_observed_last", last)
    share_last = share("asic_spend_share_observed_last",
                       f"ASIC share of Amazon's accelerator spend, {last} ({EPOCH_ESTIMATE})", last)
    share_peak = share("asic_spend_share_observed_peak", f"Highest ASIC share of Amazon's accelerator spend in an "
                       f"observed year: {peak} ({EPOCH_ESTIMATE})", peak)
    level = revenue_last.value
    revenue_end = result.draws["nvidia_revenue"][:, -1]      # each draw's Nvidia revenue in the last forecast year
    p_fall = float(np.mean(revenue_end < level))
    levels = result.levels
    p_halve = float(np.mean(revenue_end < level * levels.revenue_level.value))
    pct = [percent(t) for t in levels.shares]
    items = (
        revenue_first, revenue_last,
        _observed("amazon_share_of_nvidia_dc_observed_last",
                  f"Amazon's share of Nvidia's Data Center revenue, {last} (chips only)", last,
                  column(check, "amazon_share_of_nvidia_dc"), "fraction"),
        _observed("trainium_compute_share_observed_last",
                  f"Trainium share of the compute Amazon added, {last} (estimated from Epoch's chip counts)", last,
                  float(central["compute_share_trainium"].loc[last]), "fraction",
                  (column(shares, "trainium_compute_share_p5"), column(shares, "trainium_compute_share_p95"))),
        share_last, share_peak,
        _observed("asic_spend_share_observed_last_price_range",
                  f"ASIC share of Amazon's accelerator spend, {last}, across the Trainium unit cost's sensitivity band",
                  last, column(price_range, "central"), "fraction",
                  (column(price_range, "at_low_cost"), column(price_range, "at_high_cost"))),
        _observed("accelerator_share_of_capex_observed_last",
                  f"Share of Amazon's capex that bought accelerator chips, {last}", last,
                  column(cal, "share_of_capex"), "fraction",
                  (column(cal, "share_of_capex_p5"), column(cal, "share_of_capex_p95"))),
        heads[f"nvidia_revenue_{LONG_TERM}"],
        heads[f"asic_share_of_spend_{LONG_TERM}"],
        Headline("p_nvidia_revenue_below_observed_last", f"P(Nvidia revenue from AWS in {end} below its {last} level)",
                 p_fall, "fraction", details={"year": end}, period=(last, end)),
        _observed(f"nvidia_revenue_{levels.revenue_level.percent}pct_observed_last",
                  f"{levels.revenue_level.value:.0%} of Nvidia revenue from AWS in {last} (the verdict's second level)",
                  last, level * levels.revenue_level.value, "USD_billion"),
        Headline(f"p_nvidia_revenue_below_{levels.revenue_level.percent}pct_observed_last",
                 f"P(Nvidia revenue from AWS in {end} below {levels.revenue_level.value:.0%} of its {last} level)",
                 p_halve, "fraction",
                 details={"year": end}, period=(last, end)),
        *(replace(heads[f"p_asic_above_{t}pct_{y}"], key=f"p_asic_above_{t}pct_{role}")
          for t in pct for role, y in ((NEXT_YEAR, ahead), (END, end))),
        *(heads[f"share_never_stays_above_{t}pct"] for t in pct),
    )
    above = verdict_inputs.p_above_of(result.thresholds)
    def estimate(h: Headline) -> verdict.Estimate:
        return verdict_inputs.estimate(h, "summary")
    inputs = verdict.Inputs(estimate(revenue_first), estimate(revenue_last), estimate(share_last), estimate(share_peak),
                            end=max(above[levels.lower.value]), p_fall=p_fall, p_halve=p_halve, p_above=above,
                            stays=verdict_inputs.stays_of(result.stays_above), levels=levels)
    return KeyFindings(items, inputs)


def assumptions(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> list[Headline]:
    """What the forecast's probabilities are conditional on, read from its run `result`: each drawn input with its
    median and 5th-95th percentiles, the observed data (drawn), and each input held fixed that moves the forecast with
    its value (a challenger's path and cost only if its ceiling is above 0 or drawn; a cost ratio only where no
    observed year calibrates it), the capex outlook's vintage and the number of draws."""
    specs, model = result.specs, result.model

    def unit(name: str) -> str:
        code = schema[name].unit if name in schema else "number"
        return code if code in UNIT_FORMATS and code != "years" else "number"     # ratios and years read as plain numbers
    items: list[Headline] = []
    families: dict[str, Headline] = {}
    for name, dist in specs.items():
        family = erosion_text.input_family(name, model.forecast_years)
        band = float(dist.ppf(0.05)), float(dist.ppf(0.95))
        if name == erosion.OBSERVED_INPUT:
            items.append(Headline(name, erosion_text.OBSERVED_LABEL,
                                  "drawn within Epoch AI's unit bands and the chips' price ranges", "text"))
        elif family is not None:          # a path's yearly inputs, one item: the widest 5th-95th of its years
            group = families.setdefault(family, Headline(family, family, float(dist.median()), "number", band))
            low, high = cast(tuple[float, float], group.interval)
            families[family] = replace(group, interval=(min(low, band[0]), max(high, band[1])))
        else:
            items.append(Headline(name, erosion_text.input_title(name, schema), float(dist.median()), unit(name), band))
    items[1:1] = list(families.values())
    idle = {f"{v.id}_{k}" for v in model.challengers if p[f"{v.id}_ceiling"] == 0 and f"{v.id}_ceiling" not in specs
            for k in outlook.VENDOR_PARAMETERS if k != "ceiling"} | {f"{v}_cost_ratio" for v in model.calibrated_cost}
    for name in outlook.parameters(ds):
        if name not in specs and name not in idle and name != "random_seed":
            items.append(Headline(name, schema[name].title, p[name], unit(name)))
    return items


def changed_values(ds: Dataset, p: Params, schema: dict[str, Parameter]) -> dict[str, object]:
    """The forecast's parameters whose value differs from its default in `p`, by their labels (as the page names them)."""
    return {schema[name].title: p[name] for name in outlook.parameters(ds) if p[name] != schema[name].default}


def _interval(item: Headline) -> str:
    if item.interval is None:
        return fmt(item.value, item.unit)
    low, high = item.interval
    return f"{fmt(item.value, item.unit)} ({fmt(low, item.unit)}–{fmt(high, item.unit)})"


def essay_date(ds: Dataset) -> str:
    """When the essay appeared, in words, from its row of data/sources.csv ("early 2024")."""
    sources = ds["sources"].set_index("id")
    return str(sources.loc[ESSAY_SOURCE, "date_published"]).split(" (")[0]


def answer(ds: Dataset, findings: Sequence[Headline], said: verdict.Verdict) -> str:
    """The answer to the essay's question in a few sentences: the verdict (its words from the rule), then the compute
    share and the central outlook over the long term; every number and year from `findings`."""
    f = {item.key: item for item in findings}
    trn, asic = f["trainium_compute_share_observed_last"], f["asic_spend_share_observed_last"]
    revenue = f[f"nvidia_revenue_{LONG_TERM}"]
    cheaper = trn.value > asic.value
    return (
        f"**{verdict.QUESTION}** The essay ({essay_date(ds)}): *\"{ESSAY_ANSWER}\"* This report: **{said.headline}.** "
        f"{said.happened} Trainium took {fmt(trn.value, 'fraction')} of the compute Amazon added in "
        f"{trn.details['year']}: "
        f"{'more' if cheaper else 'less'} than the ASICs' share of the dollars, because a unit of Trainium compute costs "
        f"{'less' if cheaper else 'more'} than Nvidia's. "
        f"{said.fall} {said.when} The central estimate puts Nvidia's revenue from AWS in "
        f"{span(cast(tuple[int, int], revenue.period))} at "
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
    """The section's answer: its key findings and the forecast's assumptions (both published) and the verdict."""
    findings: tuple[Headline, ...]
    assumptions: tuple[Headline, ...]
    verdict: verdict.Verdict


def compute_answer(ds: Dataset, p: Params, schema: dict[str, Parameter], result: Forecast) -> Answer:
    """The answer for parameters `p`, from section 3's run `result`."""
    found = key_findings(ds, p, schema, result)
    return Answer(found.items, tuple(assumptions(ds, p, schema, result)), verdict.decide(found.inputs))


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
    thresholds = result.levels.shares
    probs = pd.concat([yearly.assign(series=f"P(share of spend > {t:.0%})",
                                     probability=yearly[f"p_asic_spend_share_above_{percent(t)}pct"])
                       for t in thresholds])
    ticks = sorted({0.0, 1.0} | {t.lower for t in likelihood.SCALE if 0.05 < t.lower < 0.95})
    return (charts.share_bands(shares[["year", "series", "value", *qs]], last, thresholds,
                               f"ASIC share of Amazon's accelerator spend and compute: observed to {last}, then forecast, "
                               "with 50% (25th–75th percentile) and 90% (5th–95th) intervals", SOURCE_NOTE, y_title="Share of the year's additions"),
            charts.probability_lines(probs[["year", "series", "probability"]], last, ticks,
                                     "Probability that ASICs take more than "
                                     f"{' / '.join(f'{t:.0%}' for t in thresholds)} of the spend, by year", SOURCE_NOTE,
                                     likelihood.words))


def answer_first(v: SummaryState, x: Collector) -> None:
    x.say(answer(v.ds, v.answer.findings, v.answer.verdict))
    for chart in when_charts(v.result):
        x.chart(chart)
    x.say(verdict.conditional_on(v.answer.assumptions, changed_values(v.ds, v.p, v.schema)))
    row = next(r for r in v.answer.verdict.table if r.matched)
    x.say(f"The answer's words are the first row of the verdict's rule that holds (the rule table is under the answer on "
          f"the report's first screen, and `verdict.rule` in results.json): here *{row.condition}*. Probabilities read "
          "as "
          f"words on one scale: {likelihood.glossary()}.")


def _interval_text(finding: Headline) -> str:
    if finding.interval is None:
        return ""
    return f"{fmt(finding.interval[0], finding.unit)} – {fmt(finding.interval[1], finding.unit)}"


def findings(v: SummaryState, x: Collector) -> None:
    rows = pd.DataFrame([{"finding": f.label, "value": fmt(f.value, f.unit), "interval": _interval_text(f)}
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
              {v.schema[a.key].source_id for a in v.answer.assumptions if a.key in v.schema})


def headlines(ds: Dataset, p: Params) -> list[Headline]:
    """The key findings alone (what `compare` and `sweep` read): another owner's its own."""
    if not owners.is_report_owner(ds, p):
        return owner_text.findings(owner_view.core_state(ds, p))
    schema = params.schema(ds)
    return list(key_findings(ds, p, schema, outlook.run(ds, p, schema, sensitivity=False)).items)


SECTION = Section("summary", "00_summary.ipynb", "Summary", ("owner", "tpu_cost_ratio"), SummaryState,
                  (answer_first, findings, claims, events, headline_results),
                  headlines=headlines, uses_forecast=True, setup=_setup,
                  inert={"tpu_cost_ratio": "values Google's TPUs: read only for `owner` = google"},
                  other_owner=owner_view.SUMMARY_PARTS, other_setup=owner_view.summary_setup,
                  headline_charts=("answer_first",))
