"""The answer to the essay's question, computed by one stated rule from the forecast's own numbers.

Three things are kept apart:

* what has already happened: the ASIC share of Amazon's accelerator spend in the last observed year and Nvidia's
  revenue from AWS in the first and last observed years (estimated from Epoch AI's chip counts x chip prices, with the
  data's 5th-95th percentiles);
* whether Nvidia's revenue from AWS is likely to fall: P(revenue in the last forecast year < its level in the last
  observed year) and P(< the data's revenue level (`revenue_fall_level`) of that level);
* when the ASIC share of spend passes each threshold (the data's `asic_share_threshold_lower` and `_upper`): P(share >
  t) per year and the year from which it stays above t (median and 5th-95th percentiles); a threshold the central
  observed estimate already passed is said to be passed, not treated as a future event.

The thresholds are data (data/parameters.csv, read by analysis.models.horizons.thresholds and carried by the
`Inputs`), never typed here: the rule's conditions and words name their values, and `thresholds` states each with
its row and rationale.

The "at risk?" words follow from the second and third by RULES (first row that holds), whose bounds are the word
scale's own (analysis.views.likelihood), so that the words and the rule cannot disagree. The inputs are a typed
value (`Inputs`): section 0 builds them from its own numbers; a reader of a results.json read back from disk (the
first screen and the brief) parses them with `verdict_inputs.from_results`, the one reader of results rows by
address, which names a missing one. The same `decide` serves the first screen, the brief, results.json
(`Verdict.as_dict`) and section 0.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.data.units import fmt
from analysis.models.horizons import Thresholds, percent
from analysis.views import likelihood
from analysis.views.exhibits import Headline

QUESTION = "Is Nvidia's revenue from AWS at risk due to ASICs?"
#: The rule's probability bounds are the word scale's: a statement is made ("likely to fall") from the lower bound of
#: "likely"; "possibly" from the lower bound of "about as likely as not".
LIKELY = likelihood.lower_bound("likely")
EVEN = likelihood.lower_bound("about as likely as not")


@dataclass(frozen=True)
class Subject:
    """Whose purchases the verdict is about: the owner (the parameter `owner`; Amazon by default, the essay's), the
    customer Nvidia sells to, and what its non-Nvidia chips are called. The words are written for Amazon; `say` puts
    another owner's names in their place."""
    owner: str = "Amazon"
    customer: str = "AWS"
    rivals: str = "ASICs"
    share: str = "ASIC share"

    def say(self, text: str) -> str:
        """`text` (written for Amazon) with this subject's names."""
        for old, new in (("AWS", self.customer), ("Amazon", self.owner), ("ASIC share", self.share), ("ASICs", self.rivals)):
            text = text.replace(old, new)
        return text

    @staticmethod
    def other(owner: str) -> Subject:
        """An owner other than Amazon: it buys as itself, and its non-Nvidia chips are named as such (at Microsoft,
        Meta and Oracle Epoch counts AMD's GPUs, not their own ASICs)."""
        return Subject(owner, owner, "non-Nvidia chips", "non-Nvidia share")


AMAZON = Subject()


@dataclass(frozen=True)
class Estimate:
    """A number in a year, with its 5th-95th percentiles where it has them, and where results.json holds it."""
    value: float
    unit: str
    year: int
    p5: float | None = None
    p95: float | None = None
    address: str = ""

    def text(self) -> str:
        band = "" if self.p5 is None or self.p95 is None else f" ({fmt(self.p5, self.unit)}–{fmt(self.p95, self.unit)})"
        return fmt(self.value, self.unit) + band


@dataclass(frozen=True)
class Stays:
    """The first year from which the share stays above a threshold through the last forecast year: the median and
    5th-95th percentiles over the draws (None: not above in the last forecast year), and the share of draws in which
    it is not above then."""
    median: float | None
    p5: float | None
    p95: float | None
    never: float


@dataclass(frozen=True)
class Inputs:
    """Everything the verdict reads. `p_above[t][year]` is P(ASIC share of spend > t) in that year (years with an
    estimate); `p_fall` and `p_halve` compare Nvidia's revenue from AWS in the last forecast year `end` with
    `revenue_last` and with the data's revenue level of it (None: not forecast for the `subject`, whose shares alone
    are); `levels` are the data's thresholds."""
    revenue_first: Estimate
    revenue_last: Estimate
    share_last: Estimate
    share_peak: Estimate
    end: int
    p_fall: float | None
    p_halve: float | None
    p_above: Mapping[float, Mapping[int, float]]
    stays: Mapping[float, Stays]
    levels: Thresholds
    subject: Subject = AMAZON

    @property
    def last(self) -> int:
        return self.revenue_last.year

    @property
    def lower(self) -> float:
        return self.levels.lower.value

    @property
    def upper(self) -> float:
        return self.levels.upper.value

    def p_end(self, threshold: float) -> float:
        return self.p_above[threshold][self.end]


@dataclass(frozen=True)
class Rule:
    """One row of the rule: a condition as stated (a template over the thresholds' words `level`, `lower`, `upper`),
    the test of it, and the headline words (a template over those, `end`, `last` and the scale's words for the inputs,
    `fall`, `halve`, `p_lower`, `p_upper`)."""
    name: str
    condition: str
    holds: Callable[[Inputs], bool]
    words: str


_FALL = "P(revenue in the last forecast year below its level in the last observed year)"
_HALVE = "P(revenue in the last forecast year below {level} of that level)"
_LOWER = "P(ASIC share of spend > {lower} in the last forecast year)"
_UPPER = "P(ASIC share of spend > {upper} in the last forecast year)"

#: How the rule table shows the words a row takes from the scale.
PLACEHOLDERS = {"fall": "[the word for P(fall)]", "halve": "[the word for P(below {level})]",
                "p_lower": "[the word for P(> {lower})]", "p_upper": "[the word for P(> {upper})]"}

#: The rule, in order: the first row whose condition holds gives the headline.
RULES = (
    Rule("falls_below_level", f"{_HALVE} ≥ {LIKELY:.0%} and {_LOWER} ≥ {EVEN:.0%}",
         lambda i: i.p_halve is not None and i.p_halve >= LIKELY and i.p_end(i.lower) >= EVEN,
         "Yes: a fall below {level} of its {last} level by {end} is {halve}"),
    Rule("falls", f"{_FALL} ≥ {LIKELY:.0%} and {_LOWER} ≥ {EVEN:.0%}",
         lambda i: i.p_fall is not None and i.p_fall >= LIKELY and i.p_end(i.lower) >= EVEN,
         "Yes: a fall below its {last} level by {end} is {fall}"),
    Rule("falls_not_from_asics", f"{_FALL} ≥ {LIKELY:.0%}",
         lambda i: i.p_fall is not None and i.p_fall >= LIKELY,
         "At risk, but not mainly from ASICs: a fall below its {last} level by {end} is {fall}, ASICs taking more than "
         "{lower} of the spend {p_lower}"),
    Rule("may_fall", f"{_FALL} ≥ {EVEN:.0%}",
         lambda i: i.p_fall is not None and i.p_fall >= EVEN,
         "Possibly: a fall below its {last} level by {end} is {fall}"),
    Rule("upper_share", f"{_UPPER} ≥ {EVEN:.0%}",
         lambda i: i.p_end(i.upper) >= EVEN,
         "In share, not in dollars: ASICs taking more than {upper} of the spend by {end} is {p_upper}, a fall "
         "in Nvidia's revenue {fall}"),
    Rule("lower_share", f"{_LOWER} ≥ {EVEN:.0%}",
         lambda i: i.p_end(i.lower) >= EVEN,
         "In share, not in dollars"),
    Rule("not_yet", "otherwise", lambda i: True, "Not by {end}"),
)


def _levels(t: Thresholds) -> dict[str, str]:
    """The thresholds as the rule's templates name them (`level`, `lower`, `upper`): "50%"."""
    return {"level": f"{t.revenue_level.value:.0%}", "lower": f"{t.lower.value:.0%}", "upper": f"{t.upper.value:.0%}"}


@dataclass(frozen=True)
class RuleRow:
    """One row of the rule as shown: its condition, its words with this run's years, whether it held."""
    name: str
    condition: str
    then: str
    matched: bool


@dataclass(frozen=True)
class Used:
    """One input of the rule as results.json shows it: its value, unit and where results.json holds it."""
    value: float | None
    unit: str
    address: str


@dataclass(frozen=True)
class Verdict:
    """The answer: the headline words, the rule row that gave them, the rule as a table (`table`: each row's
    condition, its words with this run's years, whether it is the row that held), the sentences on what happened, the
    fall and when; `inputs` the rule's inputs with their values and where results.json holds them."""
    headline: str
    rule: str
    table: tuple[RuleRow, ...]
    happened: str
    fall: str
    when: str
    inputs: Mapping[str, Used]
    levels: Thresholds
    subject: Subject = AMAZON

    @property
    def question(self) -> str:
        return self.subject.say(QUESTION)

    def as_dict(self) -> dict[str, Any]:
        """The verdict as results.json holds it (`verdict.rule` is the rule table with the row that matched)."""
        rule = [{"name": r.name, "if": r.condition, "then": r.then, "matched": r.matched} for r in self.table]
        inputs = {name: {"value": u.value, "unit": u.unit, "from": u.address} for name, u in self.inputs.items()}
        return {"question": self.question, "headline": self.headline, "matched": self.rule,
                "rule": rule, "thresholds": thresholds(self.levels), "inputs": inputs,
                "sentences": {"happened": self.happened, "fall": self.fall, "when": self.when}}


def thresholds(levels: Thresholds) -> dict[str, dict[str, Any]]:
    """The rule's named thresholds: the data's (each with its row of data/parameters.csv and the rationale given there)
    and the word scale's bounds."""
    return {**{key: {"value": t.value, "parameter": t.parameter, "why": t.why}
               for key, t in (("share_lower", levels.lower), ("share_upper", levels.upper),
                              ("revenue_level", levels.revenue_level))},
            **{key: {"value": bound, "why": f"the lower bound of {likelihood.words(bound)!r} on the word scale"}
               for key, bound in (("likely_bound", LIKELY), ("even_bound", EVEN))}}


def decide(i: Inputs) -> Verdict:
    """The verdict for the inputs `i`."""
    rule = next(r for r in RULES if r.holds(i))
    named = _levels(i.levels)
    words = {"fall": _words(i.p_fall), "halve": _words(i.p_halve),
             "p_lower": likelihood.words(i.p_end(i.lower)), "p_upper": likelihood.words(i.p_end(i.upper))}
    placeholders = {k: v.format(**named) for k, v in PLACEHOLDERS.items()}
    say = i.subject.say
    headline = say(rule.words.format(end=i.end, last=i.last, **named, **words))
    table = tuple(RuleRow(r.name, say(r.condition.format(**named)),
                          say(r.words.format(end=i.end, last=i.last, **named, **placeholders)), r is rule)
                  for r in RULES)
    used = {"p_fall": (i.p_fall, "fraction", "summary.p_nvidia_revenue_below_observed_last"),
            "p_halve": (i.p_halve, "fraction",
                        f"summary.p_nvidia_revenue_below_{i.levels.revenue_level.percent}pct_observed_last"),
            "revenue_level": (i.revenue_last.value, i.revenue_last.unit, i.revenue_last.address),
            **{f"p_share_above_{percent(t)}pct": (i.p_end(t), "fraction",
                                                   f"erosion.p_asic_above_{percent(t)}pct_{i.end}")
               for t in (i.lower, i.upper)},
            "last_observed_year": (i.last, "year", i.revenue_last.address), "last_forecast_year": (i.end, "year", "")}
    inputs = {name: Used(value, unit, address) for name, (value, unit, address) in used.items()}
    return Verdict(headline, rule.name, table, say(happened(i)), say(fall(i)), say(when(i)), inputs, i.levels,
                   i.subject)


#: How a probability that is not forecast (None) reads.
NOT_FORECAST = "not forecast"


def _words(p: float | None) -> str:
    return NOT_FORECAST if p is None else likelihood.words(p)


def happened(i: Inputs) -> str:
    """What has already happened, with the data's bands."""
    first, last, share, peak = i.revenue_first, i.revenue_last, i.share_last, i.share_peak
    earlier = (f" (after {fmt(peak.value, peak.unit)} in {peak.year})" if peak.year != share.year and peak.value > share.value
               else "")
    moved = "rose" if last.value > first.value else "fell"
    apart = (last.p5 is not None and first.p95 is not None and last.p5 > first.p95) or \
            (last.p95 is not None and first.p5 is not None and last.p95 < first.p5)
    return (f"What happened (estimated from Epoch AI's chip counts × chip prices; 5th–95th percentiles in brackets): "
            f"ASICs took {share.text()} of Amazon's accelerator spend in {share.year}{earlier} and Nvidia's revenue from AWS "
            f"{moved} from {first.text()} in {first.year} to {last.text()} in {last.year}"
            f"{'' if apart else ' (the two bands overlap)'}.")


def fall(i: Inputs) -> str:
    """Whether Nvidia's revenue from AWS is likely to fall, at both stated levels."""
    level, half = i.revenue_last, i.levels.revenue_level.value
    if i.p_fall is None or i.p_halve is None:
        return (f"Will it fall? Nvidia's revenue from AWS after {i.last} ({fmt(level.value, level.unit)} in {i.last}) is "
                f"{NOT_FORECAST}: there is no sourced outlook of {i.subject.owner}'s capex, so only its ASIC share is.")
    return (f"Will it fall? Nvidia's revenue from AWS in {i.end} below its {i.last} level of {fmt(level.value, level.unit)} is "
            f"{likelihood.words(i.p_fall)} (probability {fmt(i.p_fall, 'fraction')}); below {half:.0%} of it, "
            f"{fmt(level.value * half, level.unit)}, {likelihood.words(i.p_halve)} ({fmt(i.p_halve, 'fraction')}).")


def _passing(i: Inputs, t: float) -> str:
    """When the ASIC share of spend passes `t`: already passed in the central observed estimate, or not; the
    probability in the first and last forecast years; the year from which it stays above."""
    share, peak, stays, pct = i.share_last, i.share_peak, i.stays[t], f"{t:.0%}"
    if share.value > t:
        now = f"already above in the central estimate for {share.year} ({fmt(share.value, share.unit)}); "
    elif peak.value > t:
        now = (f"above in the central estimate for {peak.year} ({fmt(peak.value, peak.unit)}) but not for {share.year} "
               f"({fmt(share.value, share.unit)}); ")
    else:
        now = f"not yet ({fmt(share.value, share.unit)} in {share.year}); "
    ahead = sorted(y for y in i.p_above[t] if y > i.last)
    path = " to ".join(f"{fmt(i.p_above[t][y], 'fraction')} in {y}" for y in dict.fromkeys([ahead[0], i.end]))
    after = likelihood.words(i.p_end(t))
    never = f"not by {i.end}"
    band = f"{fmt(stays.p5, 'year', never)} at the 5th percentile, {fmt(stays.p95, 'year', never)} at the 95th"
    if stays.median is None:
        stay = (f"in the median run it is not above {pct} in {i.end} (in {fmt(stays.never, 'fraction')} of runs it is not"
                + ("" if stays.p5 is None else f"; the year from which it stays above: {band}") + ")")
    else:
        stay = f"in the median run it stays above {pct} from {fmt(stays.median, 'year')} on ({band})"
    return f"above {pct} of the spend: {now}the probability goes {path} ({after} by {i.end}); {stay}"


def when(i: Inputs) -> str:
    """When the ASIC share of spend passes each threshold."""
    parts = "; ".join(_passing(i, t) for t in (i.lower, i.upper))
    return f"When? {parts[0].upper()}{parts[1:]}."


def conditional_on(assumptions: Sequence[Headline], changed: Mapping[str, object], scenario: str | None = None) -> str:
    """What the probabilities assume, read from the run's published `assumptions`: the inputs drawn (with their
    5th-95th percentiles), those held fixed (with their values), and the scenario (if the build names one) and the
    values set away from the defaults."""
    def band(a: Headline) -> tuple[float | None, float | None]:
        return a.interval or (None, None)
    drawn = [f"{a.label} {fmt(band(a)[0], a.unit)}–{fmt(band(a)[1], a.unit)}" for a in assumptions
             if band(a)[0] is not None]
    fixed = [f"{a.label} {fmt(a.value, a.unit)}" for a in assumptions if band(a)[0] is None and a.unit != "text"]
    said = [f"{a.label}: {a.value}" for a in assumptions if a.unit == "text"]
    settings = ", ".join(f"{name} = {value}" for name, value in changed.items()) or "none (the defaults)"
    return ("These probabilities are conditional on the model of section 3 and on its inputs. Drawn (5th–95th "
            f"percentiles): {'; '.join(drawn)}. {'. '.join(said)}. Held fixed: {'; '.join(fixed)}. "
            + (f"Scenario: {scenario}. " if scenario else "") + f"Values set away from the defaults: {settings}.")
