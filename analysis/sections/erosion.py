"""Section 3: ASIC erosion — Nvidia's share of Amazon's accelerator spend, observed to the last complete year and
forecast to the horizon's end (analysis.models.horizons), with its checks, scenarios, sensitivity, hindcast and track record."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analysis import data
from analysis.data import params, scenarios
from analysis.data.params import Params
from analysis.data.units import fmt
from analysis.models import (fleet, forecast_result, forecasts, hub_models, observations, observed_checks, outlook,
                             owner_outlook, owners, scenario_runs)
from analysis.models import hindcast as hindcasts
from analysis.models.erosion import Model
from analysis.models.forecast_result import Forecast
from analysis.models.horizons import percent, span, window_key
import analysis.sections.erosion_text as erosion_text
import analysis.sections.hindcast_items as hindcast_items
import analysis.sections.owner_text as owner_text
import analysis.sections.track_text as track_text
import analysis.sections.owner_view as owner_view
from analysis.sections.base import Section, SectionState
from analysis.views import charts
from analysis.views.exhibits import Collector, Headline

if TYPE_CHECKING:
    import altair as alt

EPOCH = "Source: Epoch AI ai-chip-counts (MIT) x per-chip prices (accelerator_specs.csv); Amazon 10-K/10-Q capex"
MODEL = "Model: section 3's forecast; inputs data/parameters.csv, data/capex_outlook.csv, data/vendors.csv"
#: Sources the section's numbers rest on besides its parameters and the vendor and capex-outlook rows.
SOURCES = {"epoch-ai-chip-counts", "amzn-fy25-10k", "latitudeds-trainium2-semianalysis"}


class ErosionState(SectionState):
    """The forecast's run (`result`, its `model` and last observed year) and the tables the parts keep for the
    headline part: the calibration, the yearly outlook, the scenarios, the hindcasts and the track record."""
    result: Forecast
    model: Model
    last_obs: int
    calibration: pd.DataFrame
    yearly: pd.DataFrame
    scenarios: tuple[pd.DataFrame, pd.DataFrame]
    hindcast: pd.DataFrame
    hindcast_coverage: pd.DataFrame
    hindcast_all: pd.DataFrame
    hindcast_owners: pd.DataFrame
    record: pd.DataFrame


def _setup(v: ErosionState) -> None:
    v.result = outlook.run(v.ds, v.p, v.schema)
    v.model = v.result.model
    v.last_obs = v.model.observed.years[-1]


def observed_purchases(v: ErosionState, x: Collector) -> None:
    ds, P, model = v.ds, v.p, v.model
    purchases = observations.observed_purchases(ds, P)
    labels = pd.DataFrame({"vendor": [m.id for m in model.vendors], "label": [m.label for m in model.vendors]})
    shown = purchases[purchases["year"] <= v.last_obs].merge(labels)
    x.table(shown[["year", "label", "units", "h100e", "spend", "spend_p5", "spend_p95"]],
            {"units": "count", "h100e": "count", "spend": "USD_billion", "spend_p5": "USD_billion", "spend_p95": "USD_billion"},
            {"year": "Year", "label": "Vendor", "units": "Units added", "h100e": "H100e added", "spend": "Spend (central)",
             "spend_p5": "Spend, 5th percentile", "spend_p95": "Spend, 95th percentile"})
    v.calibration = cal = outlook.calibration(ds, P).set_index("year")
    x.table(cal.reset_index()[["year", "capex", "spend", "share_of_capex", "share_of_capex_p5", "share_of_capex_p95",
                               "trainium_cost_ratio", "trainium_cost_ratio_p5", "trainium_cost_ratio_p95"]],
            {"capex": "USD_billion", "spend": "USD_billion", "share_of_capex": "fraction", "share_of_capex_p5": "fraction",
             "share_of_capex_p95": "fraction", "trainium_cost_ratio": "number", "trainium_cost_ratio_p5": "number",
             "trainium_cost_ratio_p95": "number"},
            {"year": "Year", "capex": "Amazon gross capex", "spend": "Accelerator purchases", "share_of_capex": "Share of capex",
             "share_of_capex_p5": "5th pct", "share_of_capex_p95": "95th pct", "trainium_cost_ratio": "Trainium cost per H100e / Nvidia's",
             "trainium_cost_ratio_p5": "5th pct", "trainium_cost_ratio_p95": "95th pct"})
    x.say(erosion_text.calibration(cal, v.last_obs, P, v.schema))


def spend_check(v: ErosionState, x: Collector) -> None:
    check = observed_checks.spend_check(v.ds, v.p, v.schema, v.result)
    x.table(check, {c: "USD_billion" for c in map(str, check) if c.startswith(("model_", "epoch_", "nvidia_"))} | {"amazon_share_of_nvidia_dc": "fraction"},
            {"year": "Year", "model_accelerator_spend": "Accelerator spend", "model_accelerator_spend_p5": "5th pct",
             "model_accelerator_spend_p95": "95th pct", "epoch_p5": "Epoch's widest low", "epoch_p95": "Epoch's widest high",
             "model_nvidia_revenue": "Nvidia revenue from AWS", "model_nvidia_revenue_p5": "5th pct", "model_nvidia_revenue_p95": "95th pct",
             "nvidia_p5": "Epoch's widest low (Nvidia)", "nvidia_p95": "Epoch's widest high (Nvidia)",
             "nvidia_datacenter_revenue": "Nvidia Data Center revenue", "amazon_share_of_nvidia_dc": "Amazon's share of it"})
    series = (("Accelerator purchases", "model_accelerator_spend"), ("of which Nvidia", "model_nvidia_revenue"))
    bars = pd.concat([check.assign(series=label, value=check[column], lo=check[f"{column}_p5"], hi=check[f"{column}_p95"])
                      for label, column in series])
    x.chart(charts.grouped_bars(bars[["year", "series", "value", "lo", "hi"]], "year", "Calendar year", "value", "USD billion",
                                "series", "Amazon's accelerator purchases: central estimate with the data's 5th-95th percentiles", EPOCH,
                                band=("lo", "hi"), y_format=",.1f"))
    x.say(erosion_text.spend_check(check, v.calibration, scenarios.resolve_scenario(scenarios.ESSAY, v.ds)))


def forecast(v: ErosionState, x: Collector) -> None:
    result, central, last_obs = v.result, v.result.central, v.last_obs
    x.table(erosion_text.inputs_table(result.specs, v.schema), {"p5": "number", "median": "number", "p95": "number"},
            {"input": "Uncertain input", "p5": "5th percentile (= sourced low)", "median": "Median (= value)",
             "p95": "95th percentile (= sourced high)", "source": "Source"})
    v.yearly = yearly = forecast_result.by_year(result)
    x.table(yearly[["year", "observed", "nvidia_revenue_usd_b", "nvidia_revenue_usd_b_p5", "nvidia_revenue_usd_b_p95",
                    "asic_spend_share", "asic_spend_share_p5", "asic_spend_share_p95", "asic_compute_share"]],
            {"nvidia_revenue_usd_b": "USD_billion", "nvidia_revenue_usd_b_p5": "USD_billion", "nvidia_revenue_usd_b_p95": "USD_billion",
             "asic_spend_share": "fraction", "asic_spend_share_p5": "fraction", "asic_spend_share_p95": "fraction",
             "asic_compute_share": "fraction"},
            {"year": "Year", "observed": "Observed", "nvidia_revenue_usd_b": "Nvidia revenue from AWS",
             "nvidia_revenue_usd_b_p5": "5th pct", "nvidia_revenue_usd_b_p95": "95th pct", "asic_spend_share": "ASIC share of spend",
             "asic_spend_share_p5": "5th pct", "asic_spend_share_p95": "95th pct", "asic_compute_share": "ASIC share of compute"})
    pct = result.percentiles
    x.chart(charts.fan(pct[pct["metric"] == "nvidia_revenue"], central["nvidia_revenue"].rename("value").reset_index(),
                       "USD billion per year",
                       f"Nvidia revenue from AWS per year: observed to {last_obs}, then forecast, with 5th-95th percentiles", MODEL,
                       last_observed=last_obs))
    shares = pd.concat([pd.DataFrame({"year": central.index, "vendor": m.label, "basis": b, "share": central[f"{k}_share_{m.id}"]})
                        for m in v.model.vendors[:2] for k, b in (("compute", "share of compute"), ("spend", "share of spend"))])
    x.chart(charts.year_lines(shares.dropna(), "share", "Share of Amazon's accelerator additions", "vendor",
                              "Nvidia vs Trainium: compute share and dollar share", MODEL, dash="basis", y_format=".0%"))


def _what_if_chart(frame: pd.DataFrame) -> alt.Chart:
    return charts.year_lines(frame, "nvidia_revenue", "USD billion per year", "series",
                             "Nvidia revenue from AWS at the chosen values (central estimate)", MODEL)


def _capex_growth_texts(v: ErosionState, scales: list[float]) -> list[str]:
    """What each capex-growth value means to a reader: the factor on every forecast year's growth factor and the
    central capex it gives in the last forecast year (the observed capex times the scaled outlook factors)."""
    texts = []
    for scale in scales:
        rows = outlook.capex_outlook(v.ds, v.p.replace(capex_growth_scale=scale), v.last_obs)
        capex = float(v.model.observed.capex[-1] * rows["growth"].prod())
        texts.append(f"×{scale:g}: {int(rows['year'].iloc[-1])} capex {fmt(capex, 'USD_billion')}")
    return texts


def what_if(v: ErosionState, x: Collector) -> None:
    axes = scenario_runs.what_if_axes(v.schema, v.p)
    long_term = v.result.horizons.long
    points, lines = scenario_runs.what_if(v.ds, v.p, v.schema, axes)
    growth = axes["capex_growth_scale"]
    x.what_if(name="erosion", title="What if: Nvidia's revenue from AWS",
              description="The central estimate of Nvidia's revenue from AWS and the ASIC share of spend.",
              axes=axes, schema=v.schema, values=v.p, points=points,
              outputs={window_key("nvidia_revenue", long_term):
                       (f"Nvidia revenue from AWS, {span(long_term, '-')}", "USD_billion"),
                       window_key("asic_spend_share", long_term):
                       (f"ASIC share of accelerator spend, {span(long_term, '-')}", "fraction")},
              x="year", lines=lines.assign(series="central estimate"), chart_of=_what_if_chart,
              shown={"capex_growth_scale": ("Each year's capex growth factor", _capex_growth_texts(v, growth))})


def thresholds(v: ErosionState, x: Collector) -> None:
    thr = v.result.thresholds.pivot(index="year", columns="threshold", values="probability").reset_index()
    shares = v.result.levels.shares
    thr.columns = ["year", *(f"p{percent(t)}" for t in shares)]
    x.table(thr, {f"p{percent(t)}": "fraction" for t in shares},
            {"year": "Year", **{f"p{percent(t)}": f"P(ASIC share of spend > {t:.0%})" for t in shares}})
    x.table(erosion_text.stays_above_shown(v.result), {"threshold": "fraction", "share_never": "fraction"},
            {"threshold": "ASIC share of spend stays above", "p5": "5th pct year", "p25": "25th pct year", "p50": "Median year",
             "p75": "75th pct year", "p95": "95th pct year", "share_never": f"Share of draws not above in {v.result.horizons.end}"})
    x.say(erosion_text.threshold_text(v.result, observed_checks.observed_asic_share_range(v.ds, v.p, v.schema),
                                      v.schema))


def scenario_comparison(v: ErosionState, x: Collector) -> None:
    scenario_params = {name: scenarios.resolve_scenario(name, v.ds) for name in scenarios.names()}
    v.scenarios = summary, scenario_years = scenario_runs.scenario_table(v.ds, scenario_params, v.schema)
    descriptions = pd.DataFrame([{"scenario": n, "description": scenarios.load(n)["description"]} for n in scenarios.names()])
    x.table(descriptions, {}, {"scenario": "Scenario", "description": "What it assumes"})
    columns = [str(c) for c in summary]
    x.table(summary, {c: "USD_billion" for c in columns if c.startswith("nvidia_revenue")}
            | {c: "fraction" for c in columns if c.startswith(("asic_", "nvidia_spend", "p_asic"))}
            | {c: "year" for c in columns if c.startswith("median_year")},
            erosion_text.scenario_labels(v.result.horizons, v.result.levels))
    x.data_table("scenarios", summary, "One row per named scenario (scenarios/*.yaml): Nvidia revenue from AWS (USD "
                 "billion, central estimate), the ASIC share of accelerator spend (fraction), the probabilities of an ASIC "
                 f"share above {' and '.join(f'{t:.0%}' for t in v.result.levels.shares)} and the median years from "
                 "which it stays above them.", "Named scenarios")
    x.chart(charts.year_lines(scenario_years, "nvidia_revenue", "USD billion per year", "scenario",
                              "Nvidia revenue from AWS by scenario (central estimates)", MODEL))


def central_estimate(v: ErosionState, x: Collector) -> None:
    x.say(erosion_text.central_text(v.result))


def sensitivity(v: ErosionState, x: Collector) -> None:
    def title(name: str) -> str:
        return erosion_text.input_title(name, v.schema)
    ranked = v.result.ranked()
    tornado = ranked.tornado
    window = span(v.result.horizons.forecast, "-")
    x.chart(charts.tornado(tornado.assign(input=tornado["input"].map(title)), f"Nvidia revenue from AWS {window}, USD billion",
                           "Tornado: one input at a time (10th to 90th percentile)", MODEL))
    sob = ranked.sobol.assign(input=ranked.sobol["input"].map(title))
    x.chart(charts.sobol(sob, f"Sobol indices of Nvidia revenue from AWS {window}", MODEL))
    x.say("Largest total Sobol indices: " + "; ".join(f"{r.input} {r.ST:.2f}" for r in sob.head(5).itertuples()) + ".")


def hindcast(v: ErosionState, x: Collector) -> None:
    v.hindcast = hind = hindcasts.cases(v.ds, v.p, v.schema)
    v.hindcast_coverage = cov = hindcasts.coverage(hind)
    x.say(erosion_text.hindcast_text(hind, cov))
    owner_cases, skipped = owner_outlook.owner_hindcast(v.ds, v.p)
    v.hindcast_all = pd.concat([hind.assign(owner=fleet.OWNER), owner_cases], ignore_index=True)
    v.hindcast_owners = per_owner = hindcasts.by_owner(v.hindcast_all, skipped, owners.owners(v.ds))
    x.say(erosion_text.owner_hindcast_text(per_owner))
    x.table(per_owner, {"inside_50": "fraction", "inside_90": "fraction"},
            {"owner": "Owner", "case_sets": "Cases", "outcomes": "Outcomes", "independent": "Independent outcomes",
             "inside_50": "Inside central 50%", "inside_90": "Inside central 90%", "misses_above": "Misses above",
             "misses_below": "Misses below", "origins": "Forecasts made after", "left_out": "Origins left out"})
    shown = cov.drop(columns=["level"]).assign(origin=[("" if pd.isna(o) else str(int(o))) for o in cov["origin"]],
                                               quantity=[("" if pd.isna(q) else q) for q in cov["quantity"]])
    x.table(shown,
            {"inside_50": "fraction", "inside_90": "fraction", "mean_crps": "row"},
            {"case_set": "Cases", "origin": "Forecast made after", "quantity": "Quantity", "outcomes": "Outcomes",
             "independent": "Independent outcomes", "inside_50": "Inside central 50%", "inside_90": "Inside central 90%",
             "misses_above": "Misses above", "misses_below": "Misses below", "mean_crps": "Mean CRPS", "unit": "Unit"})
    x.table(hind.drop(columns=["metric", "p25", "p75"]),
            {"forecast": "row", "p5": "row", "p95": "row", "outcome": "row", "error": "row", "crps": "row"},
            {"case_set": "Cases", "origin": "Forecast made after", "quantity": "Quantity", "unit": "Unit", "year": "Year",
             "horizon": "Years ahead", "forecast": "Forecast (central)", "p5": "5th pct", "p95": "95th pct",
             "outcome": "Observed (estimate)", "error": "Forecast - observed", "inside_50": "Inside central 50%?",
             "inside_90": "Inside central 90%?", "miss": "Miss", "crps": "CRPS"})


def track_record(v: ErosionState, x: Collector) -> None:
    v.record = record = hub_models.score(v.ds, v.schema, forecasts.FORECASTS_DIR)
    x.table(forecasts.summary(record).drop(columns=[f"skill_{b}" for b in forecasts.BASELINES]),
            {"coverage_90": "fraction", "model": "number", **{b: "number" for b in forecasts.BASELINES}},
            {"release": "Release", "target": "Target", "unit": "Unit", "scored": "Years scored",
             "coverage_90": "Inside 5th-95th", "score": "Score", "model": "This report",
             **{b: label.split(" (")[0] for b, label in forecasts.BASELINES.items()}})
    x.say(track_text.summary_text(record))


def headline_results(v: ErosionState, x: Collector) -> None:
    ds, schema = v.ds, v.schema
    years = v.result.model.years
    x.data_table("erosion_by_year", v.yearly, f"One row per year {years[0]}-{years[-1]}: the central estimate with the 5th/25th/50th/75th/95th percentiles of "
                 "Nvidia's revenue from AWS (USD bn), the ASIC share of spend and of compute (observed years carry the data's own "
                 f"band), and P(ASIC share of spend > {' / '.join(f'{t:.0%}' for t in v.result.levels.shares)})",
                 title="Erosion outlook by year")
    x.data_table("hindcast", v.hindcast_all, "Rolling-origin hindcast of every owner: per owner, case set, origin, quantity "
                 "and year, the forecast, its 5th/25th/75th/95th percentiles of what the data would show, the outcome, the "
                 "error, whether the central 50% and 90% intervals held it, the side of a miss and the CRPS (Amazon: section "
                 "3's model and its capex history; every owner: the outside view of section 5)", title="Hindcast scores")
    x.data_table("hindcast_coverage", v.hindcast_coverage, "Hindcast calibration per case set and origin, per family and over all "
                 "cases: outcomes, independent outcomes, coverage of the central 50% and 90% intervals, misses above and "
                 "below, mean CRPS", title="Hindcast calibration")
    x.publish("track_record", [i for i in track_text.results(v.record) if i.details.get("resolved", True)],
              {"epoch-ai-chip-counts", "amzn-fy25-10k"})
    outlooks = ds["capex_outlook"]           # the vintages the parameter can choose (a vintage not yet allowed cites nothing)
    used = (set(ds["vendors"]["source_id"])
            | set(outlooks.loc[outlooks["vintage"].isin(schema["capex_outlook_vintage"].choices), "source_id"])
            | {schema[n].source_id for n in v.result.specs if n in schema} | SOURCES
            | set(ds["financials"].query("company == 'Nvidia'")["source_id"]))
    x.data_table("hindcast_by_owner", v.hindcast_owners, "Hindcast coverage per owner: outcomes, independent outcomes, "
                 "coverage of the central 50% and 90% intervals, misses above and below, the origins scored and those "
                 "left out", title="Hindcast coverage per owner")
    x.publish("erosion", [*erosion_text.headlines(v.result), *hindcast_items.results(v.hindcast, v.hindcast_coverage),
              *hindcast_items.owner_results(v.hindcast_owners)], used)
    x.publish("drivers", erosion_text.drivers(v.result.ranked().sobol, v.scenarios[0], schema, v.model.forecast_years,
                                                v.result.horizons.long), used)


def headlines(ds: data.Dataset, p: Params) -> list[Headline]:
    """The forecast's headline numbers alone (what `compare` and `sweep` read): another owner's its own."""
    if not owners.is_report_owner(ds, p):
        return owner_text.forecast_items(owner_view.core_state(ds, p))
    return erosion_text.headlines(outlook.run(ds, p, params.schema(ds), sensitivity=False))


SECTION = Section("erosion", "03_asic_erosion.ipynb", "ASIC erosion", ("sobol_base_samples", "owner", "tpu_cost_ratio"),
                  ErosionState,
                  (observed_purchases, spend_check, forecast, what_if, thresholds, scenario_comparison, central_estimate,
                   sensitivity, hindcast, track_record, headline_results),
                  headlines=headlines, uses_forecast=True, setup=_setup, display_only=("tpu_cost_ratio",),
                  other_owner=owner_view.EROSION_PARTS, other_setup=owner_view.setup)
