"""The one word scale for probabilities: every place that turns a probability into words calls `words`.

The scale is the IPCC's calibrated likelihood language in its non-overlapping form (sources.csv:
ipcc-ar4-wg2-likelihood-terms, "Virtually certain >99% probability of occurrence; Very likely 90 to 99%; Likely 66 to
90%; About as likely as not 33 to 66%; Unlikely 10 to 33%; Very unlikely 1 to 10%; Exceptionally unlikely <1%").
The IPCC calls the boundaries fuzzy; here each bin holds its lower bound and not its upper one, so every probability
in [0, 1] gets exactly one word.
"""
from __future__ import annotations

from dataclasses import dataclass

SOURCE_ID = "ipcc-ar4-wg2-likelihood-terms"


@dataclass(frozen=True)
class Term:
    """A word and the probabilities it stands for: lower <= p < upper (the top bin includes 1)."""
    word: str
    lower: float
    upper: float


#: Lowest first; the bins tile [0, 1].
SCALE = (
    Term("exceptionally unlikely", 0.0, 0.01),
    Term("very unlikely", 0.01, 0.10),
    Term("unlikely", 0.10, 0.33),
    Term("about as likely as not", 0.33, 0.66),
    Term("likely", 0.66, 0.90),
    Term("very likely", 0.90, 0.99),
    Term("virtually certain", 0.99, 1.0),
)


def words(p: float) -> str:
    """The scale's word for the probability `p` (a number in [0, 1])."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a probability lies in [0, 1], not {p!r}")
    return next(t.word for t in reversed(SCALE) if p >= t.lower)


def lower_bound(word: str) -> float:
    """The smallest probability the scale calls `word`."""
    return next(t.lower for t in SCALE if t.word == word)


def bin_text(term: Term) -> str:
    """A bin as the glossary prints it: "33% to under 66%", "under 1%", "99% to 100%"."""
    if term.lower == 0.0:
        return f"under {term.upper:.0%}"
    if term.upper == 1.0:
        return f"{term.lower:.0%} to 100%"
    return f"{term.lower:.0%} to under {term.upper:.0%}"


def glossary() -> str:
    """The scale in one line, for the glossary and the notebooks."""
    return "; ".join(f"{t.word}: {bin_text(t)}" for t in SCALE)
