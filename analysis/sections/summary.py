"""The report's answer first: key findings with intervals and the answer to the essay's question, computed from the
section pipelines (never typed by hand), plus the dated list of what happened since the essay."""
from __future__ import annotations

import pandas as pd

from analysis.models import outlook
from analysis.data import Dataset
from analysis.data.params import Parameter
from analysis.data.units import fmt

ESSAY_DATE = "early 2024"  # sources.csv: chipstrat-amazons-nvidia-entanglement
ESSAY_BASE_YEAR = 2023      # the last full year before the essay appeared
EVENTS_FROM = "2024-02"     # the scenarios date the essay's view to February 2024
ESSAY_QUESTION = "Is Nvidia's revenue from AWS at risk due to ASICs?"
ESSAY_ANSWER = "Yes, but not so much in the near-term."


def key_findings(ds: Dataset, p: dict, schema: dict[str, Parameter], result: dict) -> list[dict]:
    """Headline items (key, label, value, unit, optional p5/p95 or range): what happened from every observed year
    (whatever the run's `observed_through`; central estimate with the data's own 5th-95th percentiles), the outlook
    from section 3's run `result`."""
    heads = {h["key"]: h for h in outlook.headlines(result)}
    truth = {**p, "observed_through": int(schema["observed_through"].maximum)}   # what happened: every observed year
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
        {"key": "nvidia_revenue_observed_first", "year": first, "label": f"Nvidia revenue from AWS, {first} (observed)", **nvidia(first)},
        {"key": "nvidia_revenue_observed_last", "year": last, "label": f"Nvidia revenue from AWS, {last} (observed)", **nvidia(last)},
        {"key": "trainium_compute_share_observed_last", "year": last, "label": f"Trainium share of the compute Amazon added, {last} (observed)",
         "value": float(central.loc[last, "compute_share_trainium"]), "unit": "fraction",
         "p5": float(shares.loc[last, "trainium_compute_share_p5"]), "p95": float(shares.loc[last, "trainium_compute_share_p95"])},
        {"key": "asic_spend_share_observed_last", "year": last, "label": f"ASIC share of Amazon's accelerator spend, {last} (observed)",
         "value": float(central.loc[last, "asic_spend_share"]), "unit": "fraction",
         "p5": float(shares.loc[last, "asic_spend_share_p5"]), "p95": float(shares.loc[last, "asic_spend_share_p95"])},
        {"key": "asic_spend_share_observed_last_price_range", "year": last,
         "label": f"ASIC share of Amazon's accelerator spend, {last}, across the Trainium unit cost's sensitivity band",
         "value": float(price_range.loc[last, "central"]), "unit": "fraction",
         "p5": float(price_range.loc[last, "at_low_cost"]), "p95": float(price_range.loc[last, "at_high_cost"])},
        {"key": "amazon_share_of_nvidia_dc_observed_last", "year": last, "label": f"Amazon's share of Nvidia's Data Center revenue, {last}",
         "value": float(check.loc[last, "amazon_share_of_nvidia_dc"]), "unit": "fraction"},
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
