"""The report's answer first: key findings with intervals and the answer to the essay's question, computed from the
section pipelines (never typed by hand), plus the dated list of what happened since the essay."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from analysis.data import Dataset, params
from analysis.data.params import Parameter, Params
from analysis.data.units import fmt
from analysis.models import ledger, outlook
from analysis.sections.base import Section
from analysis.views import charts
from analysis.views.exhibits import Collector

ESSAY_DATE = "early 2024"  # sources.csv: chipstrat-amazons-nvidia-entanglement
ESSAY_BASE_YEAR = 2023      # the last full year before the essay appeared
EVENTS_FROM = "2024-02"     # the scenarios date the essay's view to February 2024
ESSAY_QUESTION = "Is Nvidia's revenue from AWS at risk due to ASICs?"
ESSAY_ANSWER = "Yes, but not so much in the near-term."
#: What the observed years' spend figures are: Epoch AI's chip counts x chip prices (no networking, systems or software).
EPOCH_ESTIMATE = "estimated from Epoch's chip counts × prices"


def key_findings(ds: Dataset, p: Params, schema: dict[str, Parameter], result: dict) -> list[dict]:
    """Headline items (key, label, value, unit, optional p5/p95 or range): what happened from every observed year
    (whatever the run's `observed_through`; central estimate with the data's own 5th-95th percentiles), the outlook
    from section 3's run `result`."""
    heads = {h["key"]: h for h in outlook.headlines(result)}
    truth = p.replace(observed_through=int(schema["observed_through"].maximum or 0))   # every observed year
    truth_result = outlook.observed_run(ds, p, schema)
    central = truth_result["central"]
    observed = truth_result["model"].observed.years
    last = observed[-1]
    bought = outlook.observed_purchases(ds, truth).set_index(["vendor", "year"])
    shares = outlook.observed_share_bands(ds, truth).set_index("year")
    check = outlook.spend_check(ds, truth, schema, truth_result).set_index("year")
    cal = outlook.calibration(ds, truth).set_index("year")
    price_range = outlook.observed_asic_share_range(ds, truth, schema).set_index("year")
    first = ESSAY_BASE_YEAR if ESSAY_BASE_YEAR in observed else observed[0]

    def nvidia(year):
        row = bought.loc[("nvidia", year)]
        return {"value": float(row["spend"]), "unit": "USD_billion", "p5": float(row["spend_p5"]), "p95": float(row["spend_p95"])}

    return [
        {"key": "nvidia_revenue_observed_first", "year": first, "label": f"Nvidia revenue from AWS, {first} ({EPOCH_ESTIMATE}; chips only)", **nvidia(first)},
        {"key": "nvidia_revenue_observed_last", "year": last, "label": f"Nvidia revenue from AWS, {last} ({EPOCH_ESTIMATE}; chips only)", **nvidia(last)},
        {"key": "amazon_share_of_nvidia_dc_observed_last", "year": last, "label": f"Amazon's share of Nvidia's Data Center revenue, {last} (chips only)",
         "value": float(check.loc[last, "amazon_share_of_nvidia_dc"]), "unit": "fraction"},
        {"key": "trainium_compute_share_observed_last", "year": last, "label": f"Trainium share of the compute Amazon added, {last} (estimated from Epoch's chip counts)",
         "value": float(central.loc[last, "compute_share_trainium"]), "unit": "fraction",
         "p5": float(shares.loc[last, "trainium_compute_share_p5"]), "p95": float(shares.loc[last, "trainium_compute_share_p95"])},
        {"key": "asic_spend_share_observed_last", "year": last, "label": f"ASIC share of Amazon's accelerator spend, {last} ({EPOCH_ESTIMATE})",
         "value": float(central.loc[last, "asic_spend_share"]), "unit": "fraction",
         "p5": float(shares.loc[last, "asic_spend_share_p5"]), "p95": float(shares.loc[last, "asic_spend_share_p95"])},
        {"key": "asic_spend_share_observed_last_price_range", "year": last,
         "label": f"ASIC share of Amazon's accelerator spend, {last}, across the Trainium unit cost's sensitivity band",
         "value": float(price_range.loc[last, "central"]), "unit": "fraction",
         "p5": float(price_range.loc[last, "at_low_cost"]), "p95": float(price_range.loc[last, "at_high_cost"])},
        {"key": "accelerator_share_of_capex_observed_last", "year": last, "label": f"Share of Amazon's capex that bought accelerator chips, {last}",
         "value": float(cal.loc[last, "share_of_capex"]), "unit": "fraction",
         "p5": float(cal.loc[last, "share_of_capex_p5"]), "p95": float(cal.loc[last, "share_of_capex_p95"])},
        heads["nvidia_revenue_2027_2030"],
        heads["asic_share_of_spend_2027_2030"],
        heads["p_asic_above_25pct_2030"],
        heads["p_asic_above_50pct_2030"],
    ]


def _interval(item: dict) -> str:
    if "p5" not in item:
        return fmt(item["value"], item["unit"])
    return f"{fmt(item['value'], item['unit'])} ({fmt(item['p5'], item['unit'])}–{fmt(item['p95'], item['unit'])})"


def answer(findings: list[dict]) -> str:
    """The answer to the essay's question in a few sentences, every number from `findings`."""
    f = {item["key"]: item for item in findings}
    first, last = f["nvidia_revenue_observed_first"], f["nvidia_revenue_observed_last"]
    grew = last["value"] > first["value"]
    p25, p50 = f["p_asic_above_25pct_2030"]["value"], f["p_asic_above_50pct_2030"]["value"]
    trn, asic = f["trainium_compute_share_observed_last"], f["asic_spend_share_observed_last"]
    near = ("Nvidia's revenue from AWS kept growing" if grew else "Nvidia's revenue from AWS fell")
    risk = ("close to a coin toss" if 0.3 <= p25 <= 0.7 else "likely" if p25 > 0.7 else "unlikely")
    majority = "unlikely" if p50 < 0.2 else "plausible" if p50 < 0.5 else "likely"
    return (
        f"**{ESSAY_QUESTION}** The essay ({ESSAY_DATE}): *\"{ESSAY_ANSWER}\"* "
        f"What happened since: {near}, from {_interval(first)} in {first['year']} to {_interval(last)} in {last['year']} "
        f"(Epoch AI's unit estimates × chip prices, p5–p95 in brackets), while Trainium took {fmt(trn['value'], 'fraction')} of the "
        f"compute Amazon added in {last['year']} but {_interval(asic)} of the accelerator spend (5th–95th percentile of the data's "
        "own uncertainty), because a unit of Trainium compute costs less. The risk arrived in compute share sooner than the essay expected, and not yet in Nvidia's dollars. "
        f"Looking ahead, the central estimate puts Nvidia's revenue from AWS in 2027–2030 at {_interval(f['nvidia_revenue_2027_2030'])}, "
        f"with ASICs taking {_interval(f['asic_share_of_spend_2027_2030'])} of the spend. Whether ASICs hold more than a quarter "
        f"of AWS's accelerator spend in 2030 is {risk} (probability {fmt(p25, 'fraction')}); a majority by 2030 is {majority} "
        f"(probability {fmt(p50, 'fraction')})."
    )


def events_since_essay(ds: Dataset) -> pd.DataFrame:
    """What happened since the essay appeared, oldest first (data/events.csv)."""
    events = ds["events"]
    return events[events["date"] >= EVENTS_FROM].sort_values(["date", "event_id"], ignore_index=True)


def _setup(v: SimpleNamespace) -> None:
    v.result = outlook.run(v.ds, v.p, v.schema, sensitivity=False)
    v.findings = key_findings(v.ds, v.p, v.schema, v.result)


def answer_first(v: SimpleNamespace, x: Collector) -> None:
    x.say(answer(v.findings))


def _interval_text(finding: dict) -> str:
    return f"{fmt(finding['p5'], finding['unit'])} – {fmt(finding['p95'], finding['unit'])}" if "p5" in finding else ""


def findings(v: SimpleNamespace, x: Collector) -> None:
    rows = pd.DataFrame([{"finding": f["label"], "value": fmt(f["value"], f["unit"]), "interval": _interval_text(f)}
                         for f in v.findings])
    x.table(rows, {}, {"finding": "Finding", "value": "Central estimate", "interval": "5th–95th percentile (or range)"})
    pct = v.result["percentiles"]
    x.chart(charts.fan(pct[pct["metric"] == "nvidia_revenue"], v.result["central"]["nvidia_revenue"].rename("value").reset_index(),
                       "USD billion per year", "Nvidia revenue from AWS per year: observed, then forecast, with 5th-95th percentiles",
                       "Sources: Epoch AI ai-chip-counts (MIT) x chip prices; forecast: section 3's model",
                       last_observed=v.result["model"].observed.years[-1]))


def claims(v: SimpleNamespace, x: Collector) -> None:
    counts = ledger.verdict_counts(v.ds["essay_claims"])
    x.table(counts.reset_index(), {"claims": "count"}, {"verdict": "Verdict", "claims": "Claims"})
    x.say(f"{int(counts.sum())} claims: " + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) + ".")


def events(v: SimpleNamespace, x: Collector) -> None:
    v.events = events = events_since_essay(v.ds)
    shown = events.assign(figure=[fmt(value, unit) if pd.notna(value) else "" for value, unit in zip(events["value"], events["unit"])])
    x.table(shown[["date", "description", "figure", "source_id"]], {},
            {"date": "Date", "description": "What happened", "figure": "Figure", "source_id": "Source"})


def headline_results(v: SimpleNamespace, x: Collector) -> None:
    x.publish("summary", v.findings, {"epoch-ai-chip-counts", "chipstrat-amazons-nvidia-entanglement"} | set(v.events["source_id"])
              | set(v.ds["essay_claims"]["source_id"]))


def headlines(ds: Dataset, p: Params) -> list[dict]:
    """The key findings alone (what `compare` attributes)."""
    schema = params.schema(ds)
    return key_findings(ds, p, schema, outlook.run(ds, p, schema, sensitivity=False))


SECTION = Section("summary", "00_summary.ipynb", "Summary", (), (answer_first, findings, claims, events, headline_results),
                  headlines=headlines, uses_forecast=True, setup=_setup)
