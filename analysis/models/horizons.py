"""The report's horizons: which years the forecast's windows, probabilities and headline keys cover, read once from
the data and never typed in code.

The last observed year is the default of `observed_through` in data/parameters.csv (a run may forecast from an
earlier one, as the hindcast and the essay's scenario do, but the windows are the dataset's, so every run of one
dataset publishes the same keys); the horizon's end is the last year of the default capex outlook
(data/capex_outlook.csv, `capex_outlook_vintage`'s default). From these two years:

* near term: the last NEAR_OBSERVED_YEARS observed years and the first forecast year (2024-2026 when 2025 is the
  last observed year);
* long term: the years after it to the end (2027-2030);
* forecast: the years no current estimate covers, the first forecast year to the end (2026-2030);
* the probability years: the first forecast year, the first long-term year and the end.

The thresholds the report reads (`Thresholds`: the two ASIC shares of spend whose passing it reports, and the
verdict's second revenue level) are read the same way, from their rows of data/parameters.csv: a definition of the
dataset (each row's range is its default alone), so that one edit of the data moves the probabilities, the result keys
that name a threshold in percent (`percent`) and the prose, and every run of a dataset publishes the same keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from analysis.data import Dataset
from analysis.data.memo import per_dataset
from analysis.data.params import schema as parameter_schema

#: How many observed years the near-term window holds before its one forecast year.
NEAR_OBSERVED_YEARS = 2
#: A window: its first and last calendar year, both included.
Window = tuple[int, int]
#: How a result key names its window or year: by its role, never by its years (the result's row carries them as its
#: `period`): `nvidia_revenue_long_term`, `nvidia_spend_share_end`.
NEAR_TERM, LONG_TERM, END = "near_term", "long_term", "end"
#: The role of the first year after the last observed one (of every observed year, whatever a run's `observed_through`).
NEXT_YEAR = "next_year"


@dataclass(frozen=True)
class Horizons:
    """The windows of one dataset, from its last observed year and its horizon's end."""
    observed_through: int
    end: int

    def __post_init__(self) -> None:
        if self.long[0] > self.end:
            raise ValueError(f"the horizon's end {self.end} leaves no long-term year after the last observed year "
                             f"{self.observed_through}")

    @property
    def near(self) -> Window:
        """The last observed years and the first forecast year."""
        return self.observed_through - NEAR_OBSERVED_YEARS + 1, self.observed_through + 1

    @property
    def long(self) -> Window:
        """The years after the near term, to the end."""
        return self.near[1] + 1, self.end

    @property
    def forecast(self) -> Window:
        """The years no current estimate covers: the first forecast year to the end."""
        return self.observed_through + 1, self.end

    @property
    def whole(self) -> Window:
        """The near and the long term together."""
        return self.near[0], self.end

    @property
    def windows(self) -> tuple[Window, ...]:
        """Every window a forecast sums over (analysis.models.erosion_outcomes.outcomes)."""
        return self.near, self.long, self.whole, self.forecast

    @property
    def by_role(self) -> dict[str, Window]:
        """The windows a headline total or share covers, by the role its key names."""
        return {NEAR_TERM: self.near, LONG_TERM: self.long}

    @property
    def probability_years(self) -> tuple[int, ...]:
        """The years whose threshold probabilities the words and the scenario table quote."""
        return tuple(dict.fromkeys((self.forecast[0], self.long[0], self.end)))


@dataclass(frozen=True)
class Threshold:
    """One threshold: its value (a fraction), its row of data/parameters.csv and the rationale given there."""
    value: float
    parameter: str
    why: str

    @property
    def percent(self) -> int:
        """The value in whole percent, as result keys name it (`p_asic_above_25pct_end`)."""
        return percent(self.value)


@dataclass(frozen=True)
class Thresholds:
    """The ASIC shares of accelerator spend whose passing the report reads (`lower`, `upper`) and the verdict's second
    level of Nvidia's revenue, as a share of the last observed year's (`revenue_level`)."""
    lower: Threshold
    upper: Threshold
    revenue_level: Threshold

    def __post_init__(self) -> None:
        if not 0 < self.lower.value < self.upper.value < 1 or percent(self.lower.value) == percent(self.upper.value):
            raise ValueError(f"the ASIC share thresholds {self.lower.value} and {self.upper.value} must rise within "
                             "(0, 1) and differ in whole percent (result keys name them so)")

    @property
    def shares(self) -> tuple[float, float]:
        """The two ASIC share thresholds, lower first."""
        return self.lower.value, self.upper.value


#: The rows of data/parameters.csv that give the thresholds: (lower, upper, revenue level).
THRESHOLD_PARAMETERS = ("asic_share_threshold_lower", "asic_share_threshold_upper", "revenue_fall_level")


def percent(share: float) -> int:
    """A share in whole percent, as result keys and labels name a threshold."""
    return round(share * 100)


def window_key(metric: str, window: Window) -> str:
    """The name of a window's total or share: `nvidia_revenue_2027_2030`."""
    return f"{metric}_{window[0]}_{window[1]}"


def span(window: Window, dash: str = "–") -> str:
    """A window in words: "2027–2030"; one year as itself."""
    return str(window[0]) if window[0] == window[1] else f"{window[0]}{dash}{window[1]}"


@per_dataset
def horizons(ds: Dataset) -> Horizons:
    """The dataset's horizons (see the module's docstring)."""
    schema = parameter_schema(ds)
    through = int(cast(int, schema["observed_through"].default))
    vintage = schema["capex_outlook_vintage"].default
    outlook = ds["capex_outlook"]
    return Horizons(through, int(outlook.loc[outlook["vintage"] == vintage, "year"].max()))


@per_dataset
def thresholds(ds: Dataset) -> Thresholds:
    """The dataset's thresholds (see the module's docstring)."""
    schema = parameter_schema(ds)
    lower, upper, level = (Threshold(float(cast(float, schema[name].default)), name, schema[name].rationale)
                           for name in THRESHOLD_PARAMETERS)
    return Thresholds(lower, upper, level)
