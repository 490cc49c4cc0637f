"""Units: how a value in each unit code of the data is formatted for prose and tables, and each code's label."""
from __future__ import annotations

import numpy as np


def _money(template: str):
    """Formatter for a money unit: the sign goes before the dollar sign (-$22.4B, not $-22.4B)."""
    return lambda v: ("-" if v < 0 else "") + template.format(abs(v))


#: How every page says that a result never comes (an infinite break-even, a threshold year never reached).
NEVER = "never"

UNIT_FORMATS = {
    "USD_million": _money("${:,.0f}M"),
    "USD_billion": _money("${:,.1f}B"),
    "number": lambda v: f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}",
    "year": lambda v: f"{v:.0f}",
    "USD": _money("${:,.0f}"),
    "USD_per_hour": _money("${:,.2f}/h"),
    "count": lambda v: f"{v:,.0f}",
    "MW": lambda v: f"{v:,.0f} MW",
    "fraction": lambda v: f"{v:.1%}",
    "percent": lambda v: f"{v:.1f}%",
    "years": lambda v: f"{v:.2f} years",
    "months": lambda v: f"{v:.1f} months",
    "USD_per_million_tokens": _money("${:,.3f} per million tokens"),
    "text": str,
}


UNIT_LABELS = {
    "USD_million": "USD m", "USD_billion": "USD bn", "USD_per_hour": "USD/hour", "USD_per_kWh": "USD/kWh",
    "USD_per_year": "USD/year", "fraction": "share (0-1)", "percent": "%", "TFLOPS": "TFLOP/s", "TB_per_s": "TB/s",
    "tokens_per_s": "tokens/s", "H100e": "H100-equivalents", "USD_per_million_tokens": "USD per million tokens",
}


def unit_label(unit: str) -> str:
    """The human label of a unit code (USD_billion -> USD bn); codes that read well already stay as they are."""
    return UNIT_LABELS.get(unit, unit)


def fmt(value, unit: str, undefined: str = "n/a") -> str:
    """A value in its unit, formatted for prose and tables; `undefined` for None or NaN, NEVER for infinity (the one
    way the report says that a break-even never comes or a year is never reached)."""
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return undefined
    if isinstance(value, (float, np.floating)) and np.isinf(value):
        return NEVER
    if isinstance(value, bool):
        return yes_no(value)
    if not isinstance(value, (int, float, np.number)):      # text where a number belongs (a hand-edited input)
        return str(value)
    formatter = UNIT_FORMATS.get(unit)
    return formatter(value) if formatter else f"{value:,.4g} {unit_label(unit)}"


def yes_no(value) -> str:
    """A boolean for readers."""
    return "yes" if value else "no"
