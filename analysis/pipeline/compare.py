"""Comparing report runs: `python -m analysis compare reports/A reports/B [...] --out reports/NAME`.

One offline page (and compare.json) with the parameters that differ, every headline number side by side with its
difference from the first run, key charts overlaid per run, and an explanation of each headline difference: the
change attributed to each differing parameter, swapped one at a time from the first run's value to the other run's
(recomputed in-process with the section functions), plus the interaction left over. Runs on different data versions
are compared when each version's data folder is at hand (data/ or `--data PATH`): the data change is then one more
part, computed first (the first run's parameters on the other run's data).

Attributed sections (`analysis.sections.ATTRIBUTED`) are those that declare their headline numbers
(`Section.headlines`): each is evaluated with the parameters it reads, as the report build does. Other sections are
compared but not attributed. The report folders are read and checked by `analysis.pipeline.compare_input`, the
overlaid charts drawn by `analysis.pipeline.compare_charts`.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.data import Dataset, params
from analysis.data.units import fmt, unit_label
from analysis.pipeline import cache, front, outdir
from analysis.pipeline.attribution import ATTRIBUTED, as_number, attribute, difference, same
from analysis.pipeline.compare_charts import overlay_charts
from analysis.pipeline.compare_input import CompareError, Run, load_runs
from analysis.pipeline.page import TEMPLATES, page_assets, strict_json, vega_script, write_downloads

#: When a headline number "moved" rather than wobbled: a share or probability (unit fraction) by at least
#: MOVED_POINTS (one percentage point: twice the Monte Carlo standard error of a probability near 50% from 10,000
#: draws), any other number by at least MOVED_SHARE of its size in the first run (1%: beyond rounding).
MOVED_POINTS = 0.01
MOVED_SHARE = 0.01
#: Sections whose numbers are the runs' inputs (shown under "What changed"), not results that moved.
INPUT_SECTIONS = {"assumptions"}
FIRST_SCREEN_MOVES = 8               # the moved numbers the first screen lists, largest first


def differing_parameters(runs: list[Run]) -> list[str]:
    """Names of the parameters whose values are not the same in every run, sorted."""
    names = sorted(set().union(*(r.parameters for r in runs)))
    return [n for n in names if len({json.dumps(r.parameters.get(n)) for r in runs}) > 1]


def fmt_change(value, unit: str) -> str:
    """A difference in its unit with its sign: +$1.2B, -3.4 pp (shares), +0.5 years; one that rounds to zero has
    no sign."""
    if value is None:
        return "n/a"
    if unit in ("fraction", "percent"):
        text = f"{abs(value) * (100 if unit == 'fraction' else 1):.1f} pp"
    elif unit == "year":
        text = f"{abs(value):.1f} years"
    else:
        text = fmt(abs(value), unit)
    if not any(c in "123456789" for c in text):      # rounds to zero: no sign
        return text
    return ("-" if value < 0 else "+") + text


def shared_label(labels: list[str]) -> str:
    """One label for a headline number across runs: where the runs' labels differ (a parameter's value written into
    the label, such as "at 70.0% utilization" against "at 50.0% utilization"), the differing words read "…"."""
    words = [label.split() for label in labels]
    if all(w == words[0] for w in words):
        return labels[0]
    start = len(os.path.commonprefix(words))
    end = len(os.path.commonprefix([w[start:][::-1] for w in words]))
    return " ".join([*words[0][:start], "… (differs by run)", *words[0][len(words[0]) - end:]])


def headline_table(runs: list[Run]) -> list[dict]:
    """Every headline number of every section (in the first run's order, then any others): label, unit, the value
    in each run and its difference from the first run."""
    keys = list(dict.fromkeys((s, k) for r in runs for s, items in r.results["results"].items() for k in items))
    rows = []
    for section, key in keys:
        items = [r.results["results"].get(section, {}).get(key) for r in runs]
        known = next(i for i in items if i is not None)
        values = [None if i is None else i["value"] for i in items]
        label = shared_label([i["label"] for i in items if i is not None])
        rows.append({"section": section, "key": key, "label": label, "unit": known["unit"], "values": values,
                     "changes": [difference(values[0], v) for v in values[1:]],
                     "differs": any(not same(values[0], v) for v in values[1:])})
    return rows


def _move(item: dict | None, change) -> float:
    """How far a change is beyond the MOVED rule (1 at its threshold; 0 when there is no change)."""
    if item is None or change is None or same(0.0, change):
        return 0.0
    value = as_number(item["value"])
    scale = MOVED_POINTS if item["unit"] == "fraction" else MOVED_SHARE * abs(value) if value else MOVED_SHARE
    return abs(change) / scale


def mark_moved(runs: list[Run], headlines: list[dict]) -> list[dict]:
    """Flag each headline row that moved (`moved`: the largest of its changes against the MOVED rule, > 1) and return
    the moved results once each (a number two sections publish is listed once; inputs are not results): the key numbers
    (analysis.pipeline.front.FRONT) first, then the others, each by the size of its move."""
    key_numbers = [address for address, _ in front.FRONT["numbers"]]
    for h in headlines:
        first = runs[0].results["results"].get(h["section"], {}).get(h["key"])
        h["moved"] = max((_move(first, c) for c in h["changes"] if isinstance(c, int | float)), default=0.0)
    moved = {(h["label"], json.dumps(h["values"])): h for h in reversed(headlines)
             if h["moved"] > 1 and h["section"] not in INPUT_SECTIONS}
    return sorted(moved.values(), key=lambda h: (f"{h['section']}.{h['key']}" not in key_numbers, -h["moved"]))


def by_section(headlines: list[dict]) -> list[dict]:
    """The headline rows grouped by section, in order, each group with how many of its numbers differ."""
    groups: dict[str, list[dict]] = {}
    for h in headlines:
        groups.setdefault(h["section"], []).append(h)
    return [{"section": s, "rows": rows, "differ": sum(r["differs"] for r in rows)} for s, rows in groups.items()]


def explanation_rows(headlines: list[dict], attribution: dict, index: int) -> list[dict]:
    """Rows of the explanation table of one pair: every attributed headline number that differs, its change,
    the part of each parameter, the interaction, and the parameter with the largest part."""
    rows = []
    for h in headlines:
        key = f"{h['section']}.{h['key']}"
        found = attribution["explained"].get(key)
        if found is None or same(h["values"][0], h["values"][index]):
            continue
        parts = found["parameters"]
        moved = {n: v for n, v in parts.items() if v is not None and not same(0.0, v)}
        lead = max(moved, key=lambda n: abs(moved[n])) if moved else None
        rows.append({"label": h["label"], "key": key, "moved": h.get("moved", 0.0) > 1, "a": fmt(h["values"][0], h["unit"]),
                     "b": fmt(h["values"][index], h["unit"]), "total": fmt_change(found["total"], h["unit"]),
                     "parts": [fmt_change(parts[n], h["unit"]) if n in moved else ("n/a" if parts[n] is None else "0")
                               for n in attribution["parameters"]],
                     "interaction": fmt_change(found["interaction"], h["unit"]) if found["interaction"] is not None
                     and not same(0.0, found["interaction"]) else ("n/a" if found["interaction"] is None else "0"),
                     "lead": lead})
    return rows


# --- the page ------------------------------------------------------------------------------------------------

def verdicts(runs: list[Run]) -> list[dict]:
    """Each run's verdict as its report's first screen words it: the headline and the "when" sentence of the verdict
    its results.json holds (analysis.views.verdict's one rule); "n/a" for a run whose results.json has none."""
    out = []
    for r in runs:
        said: Any = r.results.get("verdict")
        try:
            words = {"headline": str(said["headline"]), "when": str(said["sentences"]["when"])}
        except (KeyError, TypeError):
            words = {"headline": "n/a", "when": "n/a (this run's results.json holds no verdict)"}
        out.append({"name": r.name, **words})
    return out


def build(paths: list[Path], out: Path, dataset: Dataset, others: tuple[Dataset, ...] = (),
          progress: Callable[[str], None] = lambda line: None,
          before: Callable[[params.Params, int], None] = lambda values, runs: None) -> Path:
    """Write the comparison of the report folders `paths` to `out` (index.html, compare.json, data/ CSVs),
    atomically like a report (analysis.pipeline.outdir). Runs built on an earlier data version need its data folder among
    `others`; their differences are then attributed to the data change and to each parameter. `before(values,
    runs)` is told the Monte Carlo work ahead (the outlook runs the attribution recomputes, at the heaviest run's
    values); `progress` gets one line per swap."""
    out = outdir.check(out, protected=(dataset.directory, cache.protected_dir()))
    resolved = {p.resolve() for p in paths if p.exists()}
    if out.resolve() in resolved:
        raise CompareError(f"--out {out}: is one of the reports being compared; nothing was written")
    runs = load_runs(paths, dataset, others)
    datasets = {**{d.version: d for d in others}, dataset.version: dataset}
    of = {r.name: datasets[r.results["data_version"]] for r in runs}
    schema = params.schema(dataset)
    names = differing_parameters(runs)
    headlines = headline_table(runs)
    moved = mark_moved(runs, headlines)
    compared = [(b, differing_parameters([runs[0], b])) for b in runs[1:]]
    heaviest = max((r.parameters for r in runs), key=lambda v: as_number(v.get("mc_draws")) or 0)
    before(params.resolve({k: heaviest[k] for k in ("mc_draws", "sobol_base_samples") if k in heaviest}, dataset),
           sum(2 * (len(names) + 2) for _, names in compared))
    first = of[runs[0].name]
    attributions = [attribute(first, params.schema(first), runs[0], b, names, of[b.name], progress)
                    for b, names in compared]
    with outdir.claim(out) as staging:
        downloads: list[dict] = []
        figures = overlay_charts(runs, downloads)
        pairs = [{"attribution": at, "rows": explanation_rows(headlines, at, i + 1),
                  "titles": {n: schema[n].title if n in schema else n for n in at["parameters"]}}
                 for i, at in enumerate(attributions)]
        page = TEMPLATES.get_template("compare.html.j2").render(
            runs=runs, data_version=", ".join(dict.fromkeys(r.results["data_version"] for r in runs)), parameters=[
                {"name": n, "label": schema[n].title if n in schema else n,
                 "unit": unit_label(schema[n].unit) if n in schema else "",
                 "default": schema[n].default if n in schema else None,
                 "values": [r.parameters.get(n) for r in runs]} for n in names],
            headlines=headlines, sections=by_section(headlines), moved=moved, first_screen=FIRST_SCREEN_MOVES,
            rule={"share": MOVED_SHARE, "points": MOVED_POINTS}, fmt=fmt, fmt_change=fmt_change, figures=figures, pairs=pairs, verdicts=verdicts(runs),
            attributed=list(ATTRIBUTED), downloads=downloads,
            assets=page_assets(vega_script()))
        (staging / "index.html").write_text(page, encoding="utf-8")
        write_downloads(downloads, staging / "data")
        summary_json = {"runs": [{"name": r.name, "scenario": r.results.get("scenario"),
                                  "data_version": r.results["data_version"]} for r in runs],
                        "data_version": dataset.version, "differing_parameters": names,
                        "headlines": headlines, "attribution": attributions}
        (staging / "compare.json").write_text(strict_json(summary_json), encoding="utf-8")
    return out
