"""What a release's forecast read, and when each input was published: a reconstructed release scores only the targets
whose inputs were all public by its reference date.

`dated_inputs` lists, for a parameter set and the last observed year, every data row and default parameter the
forecast reads, with its source's publication date (data/sources.csv `date_published`; a month or a year counts as
its last day, so "2024-02" is after 2024-02-21) and the targets it feeds: Amazon's capex and its capex outlook feed
every target; Epoch AI's estimates, chip prices and the other forecast parameters feed every target but capex. An
input whose source has no date is listed as undated (not excluded: nothing shows it is later). `excluded` turns the
post-dated inputs of every reconstructed release in a hub into the (release, target) pairs the track record leaves
unscored, each with the reason.
"""
from __future__ import annotations

import calendar
import re

import pandas as pd

from analysis.data import Dataset, params, scenarios
from analysis.models import forecasts, hindcast, outlook

CAPEX_PARAMETERS = ("observed_through", "capex_outlook_vintage", "capex_growth_scale")
EVERY_TARGET = tuple(t.name for t in forecasts.TARGETS) + tuple(forecasts.BINARY)
NOT_CAPEX = tuple(name for name in EVERY_TARGET if name != "amazon_gross_capex")


def published(text: str) -> str | None:
    """The last day a source's `date_published` can mean (YYYY-MM-DD), or None when it names no date."""
    match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?!\d)", str(text or ""), re.ASCII)
    if not match:
        return None
    year, month, day = match.groups()
    month = month or "12"
    day = day or f"{calendar.monthrange(int(year), int(month))[1]:02d}"
    return f"{year}-{month}-{day}"


def dated_inputs(ds: Dataset, p: params.Params, chosen: set[str], reference_date: str) -> pd.DataFrame:
    """Every input of the forecast at `p` (observed through p.observed_through) with its date and the targets it
    feeds; `chosen` names the parameters the release set itself (their reasons are the release's own, dated at its
    reference date), the other forecast parameters are the schema's defaults and carry their sources' dates."""
    last = int(p.observed_through)
    rows: list[dict] = []

    def add(file: str, what: str, source_id: str, targets: tuple[str, ...]) -> None:
        rows.append({"file": file, "input": what, "source_id": source_id, "targets": targets})

    capex = ds["financials"].query("company == 'Amazon' and metric == 'capex_gross'")
    for r in capex[capex["period_end"].astype(str) <= f"{last}-12-31"].itertuples():
        add("financials.csv", f"Amazon capex_gross {r.fiscal_period}", str(r.source_id), EVERY_TARGET)
    outlook_rows = ds["capex_outlook"]
    for r in outlook_rows[(outlook_rows["vintage"] == p.capex_outlook_vintage) & (outlook_rows["year"] > last)].itertuples():
        add("capex_outlook.csv", f"vintage {r.vintage}, {r.year}", str(r.source_id), EVERY_TARGET)
    epoch = ds["epoch_fleet"]
    for r in epoch[(epoch["owner"] == "Amazon") & (epoch["quarter"].str[:4].astype(int) <= last)].itertuples():
        add("epoch_fleet.csv", f"{r.chip} {r.quarter} {r.measure}", str(r.source_id), NOT_CAPEX)
    specs = ds["accelerator_specs"]
    prices = specs[(specs["metric"] == "price") & (specs["as_of"].astype(str).str[:4] <= str(last))]
    for r in prices.itertuples():
        add("accelerator_specs.csv", f"{r.chip_id} price as of {r.as_of}", str(r.source_id), NOT_CAPEX)
    table = ds["parameters"].set_index("name")
    for name in outlook.parameters(ds):
        if name in outlook.MONTE_CARLO_PARAMETERS or name in chosen:
            continue
        add("parameters.csv", f"{name} = {p[name]} (default)", str(table.loc[name, "source_id"]),
            EVERY_TARGET if name in CAPEX_PARAMETERS else NOT_CAPEX)
    frame = pd.DataFrame(rows)
    dates = ds["sources"].set_index("id")["date_published"].astype(str)
    frame["published"] = frame["source_id"].map(lambda s: published(dates.get(s, "")))
    frame["post_dated"] = [isinstance(d, str) and d > reference_date for d in frame["published"]]
    return frame


def post_dated_targets(inputs: pd.DataFrame) -> dict[str, str]:
    """Target -> the reason it is not scored: the sources of its post-dated inputs, with their dates."""
    late = inputs[inputs["post_dated"]]
    found: dict[str, set[str]] = {}
    for r in late.to_dict("records"):
        for target in r["targets"]:
            found.setdefault(str(target), set()).add(f"{r['source_id']} ({r['published']})")
    return {t: "reads inputs published after the release: " + ", ".join(sorted(s)) for t, s in found.items()}


def release_inputs(ds: Dataset, scenario: str, reference_date: str) -> pd.DataFrame | None:
    """`dated_inputs` of a release made with the named scenario (None when its parameters cannot be known: custom
    values or a scenario no longer in scenarios/)."""
    if scenario == "defaults":
        return dated_inputs(ds, params.resolve({}, ds), set(), reference_date)
    if scenario not in scenarios.names():
        return None
    values = scenarios.load(scenario)["values"]
    return dated_inputs(ds, params.resolve(values, ds), set(values), reference_date)


def excluded(ds: Dataset, releases: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(release, target) -> why it is not scored, for every reconstructed release whose inputs post-date it (a
    reconstructed release whose parameters cannot be known is not scored at all)."""
    found = {}
    recon = releases[releases["reconstructed"].astype(str).str.lower() == "true"]
    for (release, scenario, date), rows in recon.groupby(["release", "model_id", "forecast_date"]):
        inputs = release_inputs(ds, str(scenario), str(date))
        why = ({t: "its parameters cannot be dated (custom values)" for t in EVERY_TARGET} if inputs is None
               else post_dated_targets(inputs))
        found.update({(str(release), t): reason for t, reason in why.items() if t in set(rows["target"])})
    return found


def early_2024(ds: Dataset, schema: dict[str, params.Parameter], releases: pd.DataFrame, year: int | None = None,
               metric: str = "nvidia_revenue", target: str = "nvidia_revenue_from_aws") -> dict | None:
    """"What did we think in early 2024?": the locked essay-2024 release's median of `target` in `year` (by default
    the essay's first forecast year, the year after the essay scenario's `observed_through`), the
    end-2023 hindcast origin's (analysis.models.hindcast.origins, at the default parameters), the essay scenario re-run on today's data and model, and the
    parameters in which the origin differs from the essay scenario (each with both values). None without the
    release or the origin."""
    scenario = scenarios.resolve_scenario(scenarios.ESSAY, ds)
    year = int(scenario.observed_through) + 1 if year is None else year
    essay = releases[(releases["release"] == scenarios.ESSAY) & (releases["target"] == target) & (releases["year"] == year)
                     & (releases["output_type_id"] == "0.50")]
    origins = hindcast.origins(ds, params.resolve({}, ds), schema)
    if essay.empty or year - 1 not in origins:
        return None
    origin = origins[year - 1]
    medians = {}
    for name, p in (("essay_rerun", scenario), ("origin", origin)):
        result = outlook.run(ds, p, schema, sensitivity=False)
        draws = result.draws[metric][:, list(result.model.years).index(year)]
        medians[name] = float(pd.Series(draws).median())
    differ = {n: (scenario[n], origin[n]) for n in outlook.parameters(ds) if scenario[n] != origin[n]}
    return {"target": target, "year": year, "essay_release": float(essay["value"].iloc[0]), **medians,
            "differ": differ, "reasons": {n: scenarios.load(scenarios.ESSAY)["reasons"].get(n, "") for n in differ},
            "outcome": forecasts.outcomes(ds, schema).get((target, year))}
