"""The page's first screen (and the one-page brief): the answer to the essay's question in one sentence, a few key
numbers with their intervals and periods, and the headline chart.

Which results appear is declared once, in FRONT, by the address results.json gives them (`section.key`); every
number and year in the words is read from those results (values, intervals, and the years in their labels), never
typed here. A key that a build does not publish stops the build with its name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypedDict

from analysis.data.units import fmt

ESSAY_QUESTION = "Is Nvidia's revenue from AWS at risk due to ASICs?"


class Front(TypedDict):
    """The shape of FRONT."""
    verdict: dict[str, str]
    numbers: list[tuple[str, str]]
    chart: str


#: The first screen, declared once. `verdict` names the result behind each role of the verdict sentence;
#: `numbers` are the key numbers shown, in order, each with how its period reads ("year": in one year; "total": a
#: sum over the years in its label; "span": a share of the spend over those years; "by": a probability for the
#: year in its label); `chart` is the notebook whose first chart is the headline chart.
FRONT: Front = {
    "verdict": {
        "before": "summary.nvidia_revenue_observed_first",     # Nvidia's revenue from AWS, first observed year shown
        "now": "summary.nvidia_revenue_observed_last",         # ... and last observed year
        "share_now": "summary.asic_spend_share_observed_last",  # the ASIC share of the spend, last observed year
        "above_quarter": "summary.p_asic_above_25pct_2030",    # P(ASIC share > 25%) in the last forecast year
        "above_half": "summary.p_asic_above_50pct_2030",       # P(ASIC share > 50%) in the last forecast year
        "stays_year": "erosion.year_asic_stays_above_25pct",   # median first year from which the share stays > 25%
        "never": "erosion.share_never_stays_above_25pct",      # share of draws in which it is not > 25% at the end
    },
    "numbers": [
        ("summary.nvidia_revenue_observed_last", "year"),
        ("summary.asic_spend_share_observed_last", "year"),
        ("summary.nvidia_revenue_2027_2030", "total"),
        ("summary.asic_share_of_spend_2027_2030", "span"),
        ("summary.p_asic_above_25pct_2030", "by"),
    ],
    "chart": "00_summary",
}

YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True)
class KeyNumber:
    """One key number as shown: label, value, interval (or ""), period, and its results.json address."""
    key: str
    label: str
    value: str
    interval: str
    period: str


def lookup(results: dict, address: str) -> dict:
    """The result at `section.key` of results.json's "results" mapping; a missing one stops the build by name."""
    section, _, key = address.partition(".")
    try:
        return results[section][key]
    except KeyError:
        raise KeyError(f"first screen: no result {address!r} in this build (update analysis.front.FRONT)") from None


def years_of(item: dict) -> list[int]:
    """The calendar years an item's label names, in order."""
    return [int(y) for y in YEAR.findall(item["label"])]


def span(years: list[int]) -> str:
    """2027–30 for [2027, 2030]; one year as itself."""
    if len(years) == 1 or years[0] == years[-1]:
        return str(years[0])
    return f"{years[0]}–{years[-1] % 100:02d}" if years[0] // 100 == years[-1] // 100 else f"{years[0]}–{years[-1]}"


def period(item: dict, kind: str) -> str:
    """How the period of a key number reads, from the years in its label."""
    years = years_of(item)
    if not years:
        raise ValueError(f"first screen: {item['label']!r} names no year, so its period cannot be shown")
    text = {"year": "in {}", "total": "total {}", "span": "share of all spend {}", "by": "in {}"}[kind]
    return text.format(span(years))


def interval(item: dict) -> str:
    """"5th–95th percentile A–B" for an item with an interval, else ""."""
    if item.get("p5") is None or item.get("p95") is None:
        return ""
    return f"5th–95th percentile {fmt(item['p5'], item['unit'])}–{fmt(item['p95'], item['unit'])}"


def key_numbers(results: dict) -> list[KeyNumber]:
    """The declared key numbers, formatted."""
    shown = []
    for address, kind in FRONT["numbers"]:
        item = lookup(results, address)
        shown.append(KeyNumber(address, item["label"], fmt(item["value"], item["unit"]), interval(item), period(item, kind)))
    return shown


def likelihood(p: float) -> str:
    """A probability in words (the calibrated scale the glossary gives)."""
    for bound, word in ((0.1, "very unlikely"), (0.33, "unlikely"), (0.67, "about as likely as not"), (0.9, "likely")):
        if p < bound:
            return word
    return "very likely"


def verdict(results: dict) -> dict[str, str]:
    """The answer in two parts: `risk` (is the revenue at risk?) and `when` (when does the share pass a quarter?),
    and `headline`, a few words that say both."""
    r = {role: lookup(results, address) for role, address in FRONT["verdict"].items()}
    before, now, share = r["before"], r["now"], r["share_now"]
    quarter, half, stays, never = r["above_quarter"], r["above_half"], r["stays_year"], r["never"]
    end = years_of(quarter)[-1]
    grew = now["value"] > before["value"]
    at_risk = quarter["value"] >= 0.33 or half["value"] >= 0.1
    headline = ("Yes, but not yet in dollars" if at_risk and grew else "Yes" if at_risk
                else "Not much before " + str(end))
    risk = (f"ASICs took {fmt(share['value'], share['unit'])} of AWS's accelerator spend in {years_of(share)[-1]}, while "
            f"Nvidia's revenue from AWS {'grew' if grew else 'fell'} from {fmt(before['value'], before['unit'])} in "
            f"{years_of(before)[-1]} to {fmt(now['value'], now['unit'])} in {years_of(now)[-1]}.")
    if stays["value"] is None:
        when = (f"When: ASICs holding more than a quarter of the spend in {end} is {likelihood(quarter['value'])} "
                f"(probability {fmt(quarter['value'], quarter['unit'])}; in {fmt(never['value'], never['unit'])} of the "
                f"model's runs they do not); a majority by {end} is {likelihood(half['value'])} "
                f"({fmt(half['value'], half['unit'])}).")
    else:
        when = (f"When: in the median run ASICs hold more than a quarter of the spend from {fmt(stays['value'], 'year')} on "
                f"(probability {fmt(quarter['value'], quarter['unit'])} by {end}); a majority by {end} is "
                f"{likelihood(half['value'])} ({fmt(half['value'], half['unit'])}).")
    return {"question": ESSAY_QUESTION, "headline": headline, "risk": risk, "when": when}
