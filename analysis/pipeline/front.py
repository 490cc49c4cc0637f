"""The page's first screen (and the one-page brief): the answer to the essay's question (analysis.views.verdict: its
words by one stated rule, and what its probabilities are conditional on), a few key numbers with their intervals and
periods (each result row's `period`: its keys name a role, never a year), and the headline charts ("when?": the charts its section declares headline charts, `Section.headline_charts`,
which the builder lifts from the executed notebook).

Which results appear is declared once, in FRONT and in analysis.views.verdict, by the address results.json gives them
(`section.key`); every number and year in the words is read from those results (values, intervals, and their
periods), never typed here. A key that a build does not publish stops the build with its name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from analysis.data.units import fmt
from analysis.models.horizons import END, LONG_TERM, Thresholds
from analysis.views import verdict
from analysis.views.exhibits import Headline
from analysis.views.verdict_inputs import Results, assumptions, from_results, lookup


class Front(TypedDict):
    """The shape of FRONT."""
    numbers: list[tuple[str, str]]


#: The first screen, declared once. The verdict's inputs are read by analysis.views.verdict; `numbers` are the key
#: numbers shown, in order, each with how its period reads ("year": in one year; "total": a sum over the years of its
#: period; "span": a share of the spend over those years; "by": a probability for the year of its period; "vs": a
#: comparison of its period's last year with its first). An address may name the data's lower ASIC share threshold
#: in percent as `{lower}` (analysis.models.horizons.thresholds).
FRONT: Front = {
    "numbers": [
        ("summary.nvidia_revenue_observed_last", "year"),
        ("summary.asic_spend_share_observed_last", "year"),
        (f"summary.nvidia_revenue_{LONG_TERM}", "total"),
        ("summary.p_nvidia_revenue_below_observed_last", "vs"),
        (f"summary.p_asic_above_{{lower}}pct_{END}", "by"),
    ],
}


@dataclass(frozen=True)
class KeyNumber:
    """One key number as shown: label, value, interval (or ""), period, and its results.json address."""
    key: str
    label: str
    value: str
    interval: str
    period: str


def years_of(item: Headline) -> tuple[int, int]:
    """The first and last year of a result's `period`; a result without one stops with its label."""
    if item.period is None:
        raise ValueError(f"first screen: {item.label!r} has no period, so its period cannot be shown")
    return item.period


def span(years: tuple[int, int]) -> str:
    """2027–30 for (2027, 2030); one year as itself."""
    first, last = years
    if first == last:
        return str(first)
    return f"{first}–{last % 100:02d}" if first // 100 == last // 100 else f"{first}–{last}"


def period(item: Headline, kind: str) -> str:
    """How the period of a key number reads, from its row's `period`."""
    years = years_of(item)
    if kind == "vs":
        return f"{years[1]} vs {years[0]}"
    text = {"year": "in {}", "total": "total {}", "span": "share of all spend {}", "by": "in {}"}[kind]
    return text.format(span(years))


def interval(item: Headline) -> str:
    """"5th–95th percentile A–B" for an item with an interval, else ""."""
    low, high = item.interval or (None, None)
    if low is None or high is None:
        return ""
    return f"5th–95th percentile {fmt(low, item.unit)}–{fmt(high, item.unit)}"


def addresses(levels: Thresholds) -> list[tuple[str, str]]:
    """The declared key numbers' addresses (with the data's thresholds `levels` named in them) and kinds."""
    return [(declared.format(lower=levels.lower.percent), kind) for declared, kind in FRONT["numbers"]]


def key_numbers(results: Results, levels: Thresholds) -> list[KeyNumber]:
    """The declared key numbers, formatted (`levels`: the data's thresholds, which addresses may name)."""
    shown = []
    for address, kind in addresses(levels):
        item = lookup(results, address)
        shown.append(KeyNumber(address, item.label, fmt(item.value, item.unit), interval(item), period(item, kind)))
    return shown


def answer(results: Results, levels: Thresholds, changed: dict[str, object], scenario: str | None) -> dict[str, Any]:
    """The verdict (analysis.views.verdict: words by its rule, the sentences on what happened, the fall and when, the
    rule table) with what its probabilities are conditional on (`changed`: the values set away from the defaults),
    as the templates and results.json use it."""
    said = verdict.decide(from_results(results, levels))
    return {**said.as_dict(), "conditional_on": verdict.conditional_on(assumptions(results), changed, scenario)}


#: The brief's driver and scenario range (analysis.sections.erosion_text.drivers), by results.json address.
DRIVERS = ("drivers.main_driver_first_order_sobol", f"drivers.scenario_lowest_asic_spend_share_{LONG_TERM}",
           f"drivers.scenario_highest_asic_spend_share_{LONG_TERM}")


def drivers(results: Results) -> list[KeyNumber]:
    """The main driver and the named scenarios' range, formatted as key numbers (with their periods);
    none for a build without them (another owner's: its forecast has no sensitivity analysis or scenarios)."""
    if "drivers" not in results:
        return []
    return [KeyNumber(address, item.label, fmt(item.value, item.unit), "", span(years_of(item)))
            for address in DRIVERS for item in [lookup(results, address)]]
