"""Section 3's words that depend on numbers: every sentence and label the notebook shows, computed from the
section's results (analysis.models.outlook) so that it is tested here rather than written in the notebook."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.models import erosion, erosion_outcomes
from analysis.models.forecast_result import Forecast, InputSpec, WindowMetric
from analysis.models.horizons import END, LONG_TERM, Horizons, Thresholds, Window, percent, span, window_key
from analysis.data import scenarios
from analysis.data.params import Parameter, Params
from analysis.data.units import fmt
from analysis.views.exhibits import Headline

OBSERVED_LABEL = "Observed data (Epoch AI units x chip prices)"
#: pandas-stubs types an `itertuples()` row's fields as any scalar.
Rows = Iterable[Any]
#: Where an input that is not a parameter comes from (analysis.models.outlook.input_distributions, analysis.models.volatility).
INPUT_SOURCES = {"capex_growth_": "capex_outlook.csv, widened to Amazon's capex history (financials.csv)",
                 erosion.CHIP_SHARE_STEP.format(""): "observed moves of the chips' share of capex (epoch_fleet.csv, financials.csv)",
                 "_cost_step_": "observed moves of Nvidia's cost per H100e (epoch_fleet.csv, accelerator_specs.csv)",
                 erosion.START_FRACTION: "unknown: uniform between 0 and the ceiling"}


def _range(lo: Any, hi: Any, unit: str) -> str:
    return f"{fmt(lo, unit)}–{fmt(hi, unit)}"


#: The human names of the inputs that are not parameters, by the pattern of their names.
PATH_TITLES = (("capex_growth_", "Capex growth factor {}"), (erosion.CHIP_SHARE_STEP.format(""), "Chips' share of capex, step in {}"))


def input_title(name: str, schema: dict[str, Parameter]) -> str:
    """A forecast input's human name."""
    if name == erosion.OBSERVED_INPUT:
        return OBSERVED_LABEL
    if name in schema:
        return schema[name].title
    for prefix, title in PATH_TITLES:
        if name.startswith(prefix):
            return title.format(name.rsplit("_", 1)[1])
    vendor, _, kind = name.partition("_")
    if "_cost_step_" in name:
        vendor, year = name.split("_cost_step_")
        return f"{schema[f'{vendor}_ceiling'].title.split(' share')[0]}: cost per compute vs Nvidia, step in {year}"
    what = {
            erosion.START_FRACTION: "unobserved starting share, as a fraction of its ceiling"}[kind]
    return f"{schema[f'{vendor}_ceiling'].title.split(' share')[0]}: {what}"


def input_family(name: str, years: Sequence[int]) -> str | None:
    """The path an input that is one year of a path belongs to, named with its years (None for any other input)."""
    span = f"{years[0]}–{years[-1]}"
    if name.startswith("capex_growth_"):
        return f"Capex growth factor, each year {span}"
    if name.startswith(erosion.CHIP_SHARE_STEP.format("")):
        return f"Chips' share of capex, yearly step in log-odds, {span}"
    if "_cost_step_" in name:
        return f"Each challenger's cost per compute vs Nvidia, yearly step in log, {span}"
    return None


def inputs_table(specs: Mapping[str, InputSpec], schema: dict[str, Parameter]) -> pd.DataFrame:
    """The uncertain inputs with their 5th percentile, median and 95th percentile and source. The observed data are
    one input with many dimensions (drawn by analysis.models.observed), so they are listed without percentiles."""
    rows: list[dict[str, Any]] = []
    for name, dist in specs.items():
        if name == erosion.OBSERVED_INPUT:
            rows.append({"input": OBSERVED_LABEL, "p5": None, "median": None, "p95": None,
                         "source": "epoch_fleet.csv, accelerator_specs.csv (analysis.models.observed)"})
            continue
        rows.append({"input": input_title(name, schema), "p5": float(dist.ppf(0.05)), "median": dist.median(),
                     "p95": float(dist.ppf(0.95)), "source": schema[name].source_id if name in schema else INPUT_SOURCES[
                         next(k for k in INPUT_SOURCES if k in name)]})
    return pd.DataFrame(rows)


def calibration(cal: pd.DataFrame, last: int, p: Params, schema: dict[str, Parameter]) -> str:
    """How the forecast starts from the last observed year (`cal` = outlook.calibration indexed by year)."""
    row = cal.loc[last]
    years = [y for y in cal.index if y < last]
    earlier = ", ".join(f"{fmt(cal.loc[y, 'share_of_capex'], 'fraction')} in {y}" for y in years)
    change = schema["accelerator_share_change"]
    return (f"Accelerator chips took {earlier} and {fmt(row['share_of_capex'], 'fraction')} in {last} of Amazon's gross capex "
            f"(5th–95th percentile {_range(row['share_of_capex_p5'], row['share_of_capex_p95'], 'fraction')}). The formula: share of "
            "capex = Σ over chips of units × price ÷ Amazon's gross capex. Each Monte Carlo draw carries its own value of the "
            f"observed years, and its forecast starts from its own {last} share (times the what-if knob Change in chips' share "
            f"of capex, {fmt(p['accelerator_share_change'], 'number')}; what-if range {fmt(change.low, 'number')}–"
            f"{fmt(change.high, 'number')}) and then moves as a random walk in log-odds, one step a year with the spread of "
            f"the share's observed moves. A unit of Trainium compute cost {fmt(row['trainium_cost_ratio'], 'number')} times "
            f"Nvidia's in {last} ({_range(row['trainium_cost_ratio_p5'], row['trainium_cost_ratio_p95'], 'number')}); each draw "
            f"starts from its own {last} ratio and drifts from there, and the Trainium unit cost is drawn "
            f"(median {fmt(p['trainium_unit_cost_usd'], 'USD')}), moving past and future shares together.")


def spend_check(check: pd.DataFrame, cal: pd.DataFrame, essay: Mapping[str, Any]) -> str:
    """The observed spend against Nvidia's Data Center revenue and the essay's capex split."""
    last = int(check["year"].iloc[-1])
    row = check.set_index("year").loc[last]
    essay_share = essay["accelerator_share_change"] * cal.loc[essay["observed_through"], "share_of_capex"]
    return (f"On these estimates Amazon bought {_range(check['amazon_share_of_nvidia_dc'].min(), check['amazon_share_of_nvidia_dc'].max(), 'fraction')} "
            f"of Nvidia's Data Center revenue in {check['year'].iloc[0]}–{last} ({fmt(row['model_nvidia_revenue'], 'USD_billion')} of "
            f"{fmt(row['nvidia_datacenter_revenue'], 'USD_billion')} in {last}). The 5th–95th percentiles of the data's draws lie inside "
            "the widest band Epoch's own figures allow (every chip's 5th-percentile units at its low price to its 95th-percentile "
            f"units at its high price). The essay's reading of capex ({fmt(essay_share, 'fraction')} of it on chips, the {scenarios.ESSAY} "
            f"scenario) would have put {last} purchases at {fmt(essay_share * cal.loc[last, 'capex'], 'USD_billion')}, "
            f"{essay_share / cal.loc[last, 'share_of_capex']:.1f}× the estimate.")


def stays_above_shown(result: Forecast) -> pd.DataFrame:
    """The 'stays above' table with 'not above in the last year' spelled out."""
    last = int(result.model.years[-1])
    table = result.stays_above
    return table.assign(**{c: [f"{v:.0f}" if np.isfinite(v) else f"not above in {last}" for v in table[c]]
                           for c in (f"p{q}" for q in erosion_outcomes.PERCENTILES)})


def threshold_text(result: Forecast, price_range: pd.DataFrame, schema: dict[str, Parameter]) -> str:
    """What the threshold probabilities say, observed years first."""
    probs = result.thresholds.set_index(["threshold", "year"])["probability"]
    stays = result.stays_above.set_index("threshold")
    lower, upper = result.levels.shares
    observed = [y for y in result.model.observed.years if not np.isnan(probs[(lower, y)])]
    last = int(result.model.years[-1])
    cost = schema["trainium_unit_cost_usd"]
    text = ""
    if observed:
        o = observed[-1]
        text = (f"Even the observed years are uncertain: the probability that ASICs took more than {lower:.0%} of "
                "Amazon's accelerator spend is "
                + ", ".join(f"{fmt(probs[(lower, y)], 'fraction')} in {y}" for y in observed)
                + f" (Epoch's unit band × chip prices). Across the Trainium unit cost's sensitivity band "
                f"({_range(cost.low, cost.high, 'USD')}) the central {o} share is "
                f"{_range(price_range.set_index('year').loc[o, 'at_low_cost'], price_range.set_index('year').loc[o, 'at_high_cost'], 'fraction')}. ")
    future = [y for y in result.model.forecast_years if y in result.horizons.probability_years]
    text += (f"Forward, more than {lower:.0%}: "
             + ", ".join(f"{fmt(probs[(lower, y)], 'fraction')} in {y}" for y in future)
             + f"; more than {upper:.0%}: " + ", ".join(f"{fmt(probs[(upper, y)], 'fraction')} in {y}" for y in future)
             + f". In {fmt(stays['share_never'][lower], 'fraction')} of the draws ASICs are not above {lower:.0%} in "
             f"{last}, so the year from which they stay above it is not a single date but this distribution; "
             "'first year above' would mistake a one-year blip in the observed data for a crossing.")
    return text


def _interval(value: float | None, mc: pd.DataFrame, key: str, unit: str) -> str:
    return f"{fmt(value, unit)} (5th–95th percentile {_range(mc.loc[key, 'p5'], mc.loc[key, 'p95'], unit)})"


def central_text(result: Forecast) -> str:
    """The central estimate with its intervals, on both erosion bases, over the near and the long term."""
    s = result.summary
    mc = result.outcomes.set_index("outcome")
    h = result.horizons
    near, long = span(h.near), span(h.long)

    def shown(metric: WindowMetric, window: Window, unit: str) -> str:
        return _interval(s.total(metric, window), mc, window_key(metric, window), unit)
    revenue = window_key("nvidia_revenue", h.long)
    central = cast(float, s.total("nvidia_revenue", h.long))
    return (f"Central estimate (the model at every input's median, the observed data at Epoch's medians): ASICs take "
            f"{shown('asic_spend_share', h.near, 'fraction')} of AWS's accelerator spend in {near}, when Nvidia earns "
            f"{shown('nvidia_revenue', h.near, 'USD_billion')} in total from AWS, and "
            f"{shown('asic_spend_share', h.long, 'fraction')} in {long}, when Nvidia earns "
            f"{shown('nvidia_revenue', h.long, 'USD_billion')} in total. Erosion on the same budget (the ASIC dollars, "
            f"had they gone to Nvidia): {shown('erosion', h.near, 'USD_billion')} in {near} and "
            f"{shown('erosion', h.long, 'USD_billion')} in {long}. On the same compute (the ASICs' compute bought "
            f"from Nvidia at its cost per H100e): {shown('erosion_same_compute', h.near, 'USD_billion')} and "
            f"{shown('erosion_same_compute', h.long, 'USD_billion')}. The Monte Carlo median of Nvidia's {long} "
            f"revenue is {fmt(mc['p50'][revenue], 'USD_billion')} "
            f"({mc['p50'][revenue] / central - 1:+.1%} against the central estimate): "
            "the median of a sum of skewed products is not the product of medians. Every headline uses the one central estimate.")


def hindcast_text(hind: pd.DataFrame, cov: pd.DataFrame) -> str:
    """The hindcast in words: what it tests, coverage of the 50% and 90% intervals per case set and origin, the sides
    of the misses, and the largest misses."""
    def cover(r: Any) -> str:
        return (f"{r.inside_90:.0%} of {r.outcomes} outcomes ({r.independent} independent) inside the central 90% interval "
                f"and {r.inside_50:.0%} inside the central 50%")
    by_origin = cov[cov["level"] == "origin"]
    parts = [f"{r.case_set.replace('_', ' ')} from the end of {int(r.origin)}: {cover(r)}" for r in cast(Rows, by_origin.itertuples())]
    total = cov[cov["level"] == "all"].iloc[0]
    text = ("Each forecast uses only the data up to its origin and that February's capex outlook; the spreads of its paths "
            "are measured on the years up to the origin, never on the outcomes they are scored on. A chip quantity's "
            "outcome is itself an estimate, so its interval is of what the data would show (the forecast with the "
            "outcome's measurement band). " + "; ".join(parts) + f". Over all cases: {cover(total)}; of the misses, "
            f"{int(total.misses_above)} above and {int(total.misses_below)} below.")
    misses = hind[hind["miss"] != ""]
    if len(misses):
        worst = misses.assign(rel=(misses["error"] / misses["outcome"]).abs()).sort_values("rel", ascending=False).head(3)
        text += " Misses, largest first: " + "; ".join(
            f"{r.quantity} {r.year} from end-{r.origin} ({r.case_set.replace('_', ' ')}): {fmt(r.forecast, str(r.unit))} "
            f"forecast, {fmt(r.p5, str(r.unit))}–{fmt(r.p95, str(r.unit))}, against {fmt(r.outcome, str(r.unit))}"
            for r in cast(Rows, worst.itertuples())) + "."
    return text


def drivers(sobol: pd.DataFrame, scenario_summary: pd.DataFrame, schema: dict[str, Parameter],
            years: Sequence[int], long_term: Window) -> list[Headline]:
    """What a forwarded brief names besides the answer. The main driver: the input, or the yearly path of inputs
    (`input_family`), whose first-order Sobol indices of Nvidia's revenue from AWS sum highest — for independent
    inputs that sum is a lower bound of the share of the forecast's variance the group explains alone. The scenario
    range: the lowest and highest central ASIC share of spend over `long_term` across the named scenarios, each labelled
    with the scenario that gives it."""
    groups = sobol.assign(group=[input_family(n, years) or input_title(n, schema) for n in sobol["input"]])
    first_order = groups.groupby("group", sort=True)["S1"].sum().sort_values(ascending=False, kind="stable")
    items = [Headline("main_driver_first_order_sobol",
                      f"Main driver of Nvidia revenue from AWS {years[0]}-{years[-1]}: {first_order.index[0]}; at "
                      "least this share of its variance comes from it alone (sum of first-order Sobol indices)",
                      float(first_order.iloc[0]), "fraction", period=(int(years[0]), int(years[-1])))]
    column = window_key("asic_spend_share", long_term)
    ordered = scenario_summary.sort_values([column, "scenario"], ignore_index=True)
    for role, row in (("lowest", ordered.iloc[0]), ("highest", ordered.iloc[-1])):
        items.append(Headline(f"scenario_{role}_asic_spend_share_{LONG_TERM}",
                              f"ASIC share of accelerator spend {span(long_term, '-')}, {role} named scenario "
                              f"({row['scenario']}), central estimate", float(row[column]), "fraction",
                              period=(int(long_term[0]), int(long_term[1]))))
    return items


def owner_hindcast_text(per_owner: pd.DataFrame) -> str:
    """Coverage per owner in words (analysis.models.hindcast.by_owner)."""
    def one(r: Any) -> str:
        if not r.outcomes:
            return (f"{r.owner}: no case (left out from end-{' and end-'.join(r.left_out.split(', '))}: no observed "
                    "share or no move at any owner to measure a spread on)")
        return (f"{r.owner}: {r.inside_90:.0%} of {r.outcomes} outcomes inside the central 90% interval "
                f"({r.case_sets.replace('_', ' ')}, from end-{' and end-'.join(r.origins.split(', '))})")
    return ("Every owner is hindcast: Amazon by section 3's model and its capex history, and every owner (Amazon too) by "
            "the outside view of its own history that section 5 and an `owner` run use (its step from the other owners' moves "
            "where it had none of its own before the origin). Coverage per owner: "
            + "; ".join(one(r) for r in cast(Rows, per_owner.itertuples())) + ". Beyond Amazon these are a handful of "
            "outcomes each: too few to call a forecast calibrated.")


def _year_or_none(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


#: The window totals among section 3's headline results, each over the near and the long term in turn
#: (analysis.models.horizons): (outcome of erosion_outcomes.outcomes, headline key, label with `{}` for the window
#: ("2024-2026"), unit).
WINDOW_RESULTS: tuple[tuple[WindowMetric, str, str, str], ...] = (
    ("nvidia_revenue", "nvidia_revenue", "Nvidia revenue from AWS, total {}", "USD_billion"),
    ("erosion", "erosion", "Erosion, same budget (ASIC dollars that could have gone to Nvidia), total {}",
     "USD_billion"),
    ("erosion_same_compute", "erosion_same_compute",
     "Erosion, same compute (ASIC compute priced at Nvidia's cost), total {}", "USD_billion"),
    ("asic_spend_share", "asic_share_of_spend", "ASIC share of accelerator spend, {}", "fraction"),
)


def headlines(result: Forecast) -> list[Headline]:
    """Section 3's headline results, each with its period (a window total's key names its role, analysis.models.horizons;
    a yearly probability's its year): the central estimate, with the Monte Carlo's 5th-95th percentiles where it
    applies."""
    s = result.summary
    mc = result.outcomes.set_index("outcome")
    first, last = int(result.model.years[0]), int(result.model.years[-1])

    def drawn(key: str, value: float | None, outcome: str, label: str, unit: str, period: tuple[int, int]) -> Headline:
        return Headline(key, label, value, unit, (float(mc["p5"][outcome]), float(mc["p95"][outcome])), period=period)

    items = [drawn(f"{key}_{role}", s.total(metric, w), window_key(metric, w), label.format(span(w, "-")), unit, w)
             for metric, key, label, unit in WINDOW_RESULTS for role, w in result.horizons.by_role.items()]
    items.append(drawn(f"nvidia_spend_share_{END}", s.nvidia_spend_share_end, f"nvidia_spend_share_{last}",
                       f"Nvidia share of AWS accelerator spend, {last}", "fraction", (last, last)))
    for r in cast(Rows, result.thresholds.itertuples()):
        t, y, prob = r.threshold, int(r.year), r.probability
        undefined = {"undefined": "no estimate (the data do not split this year by vendor)"} if np.isnan(prob) else {}
        items.append(Headline(f"p_asic_above_{percent(t)}pct_{y}", f"P(ASIC share of spend > {t:.0%} in {y})",
                              None if np.isnan(prob) else float(prob), "fraction", details=undefined, period=(y, y)))
    for r in cast(Rows, result.stays_above.itertuples()):
        pct = percent(r.threshold)
        items.append(Headline(
            f"year_asic_stays_above_{pct}pct",
            f"Median first year from which ASICs stay above {pct}% of spend through {last} "
            f"(none = not above in {last})",
            _year_or_none(r.p50), "year", (_year_or_none(r.p5), _year_or_none(r.p95)),
            {"undefined": f"not above {pct}% in {last}"}, period=(first, last)))
        items.append(Headline(f"share_never_stays_above_{pct}pct",
                              f"Share of draws in which ASICs are not above {pct}% of spend in {last}",
                              float(r.share_never), "fraction", period=(last, last)))
    return items


def scenario_labels(h: Horizons, levels: Thresholds) -> dict[str, str]:
    """The named scenarios' table's column titles (analysis.models.scenario_runs.scenario_table), with their years and
    the data's thresholds."""
    def short(window: Window) -> str:
        return f"{window[0]}-{window[1] % 100:02d}"
    percents = [percent(t) for t in levels.shares]
    probabilities = {f"p_asic_above_{pct}pct_{y}": f"P(>{pct}%) {y}" for pct in percents for y in (h.long[0], h.end)}
    return {"scenario": "Scenario",
            window_key("nvidia_revenue", h.near): f"Nvidia revenue, total {short(h.near)}",
            window_key("nvidia_revenue", h.long): f"Nvidia revenue, total {short(h.long)}",
            window_key("asic_spend_share", h.near): f"ASIC share {short(h.near)}",
            window_key("asic_spend_share", h.long): f"ASIC share {short(h.long)}",
            f"nvidia_spend_share_{h.end}": f"Nvidia share {h.end}", **probabilities,
            **{f"median_year_asic_stays_above_{pct}pct": f"Median year from which >{pct}% through {h.end}"
               for pct in percents}}
