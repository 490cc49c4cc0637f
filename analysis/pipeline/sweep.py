"""Parameter sweeps: `python -m analysis sweep GRID.yaml --out reports/NAME [--executor local|dask://HOST:PORT]`.

A sweep file (YAML, read as strictly as a scenario file):

    description: one line
    sections: [erosion]                 # optional: any of analysis.sections.ATTRIBUTED (default: all)
    fixed: {mc_draws: 2000}             # optional: values every set shares
    grid:                               # every combination of these values ...
      trainium_ceiling: [0.3, 0.45, 0.6]
    sample:                             # ... or n sets drawn uniformly within these ranges (seeded)
      n: 1000
      seed: 1
      ranges: {trainium_ceiling: [0.3, 0.7]}
    charts: [erosion.nvidia_revenue_long_term]      # optional: headline keys charted against each swept parameter

Each set goes through the section functions `compare` uses (`attribution.section_values`: each section with the
parameters its notebook declares), never the notebooks. The result is one table, `sweep.csv` (a row per set: its
values, status, error, and every headline number as `section.key`), `sweep.json` (the sweep and a summary) and the
response-surface charts (`charts/*.svg`, shown in `index.html`). A set that fails (e.g. a combination the schema's
cross-parameter rules refuse) is a row with status `failed` and its error; the others are unaffected.

Sets run in batches, on a local process pool (`--workers`, default and at most the cores this process may use) or
on a Dask cluster (`--executor dask://HOST:PORT`; the workers need this package and its dependencies, the validated
data travel with the tasks). Each set's numbers depend only on the data and its values, so the table is the same
whatever the executor, the number of workers or the batch size. A sweep has at most `sweep_spec.MAX_SETS` sets, counted
with Python integers that stop at the cap, and its sets are made one batch at a time (`sweep_spec.Sets`), never all
at once; at most two batches per worker are in flight. A cluster or worker lost mid-sweep is one line and exit
status 1, and nothing is written.

This module is the command (`build`) and its output folder (`write`, `response_charts`); the sweep file and its sets
are analysis.pipeline.sweep_spec, the executors and the table analysis.pipeline.sweep_executor.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd

from analysis.pipeline import cache, outdir, page
from analysis.pipeline.sweep_executor import check_executor, run, table
from analysis.pipeline.sweep_spec import Sweep, load
from analysis.data import Dataset


def _shown(setting) -> str:
    """A swept value as a title shows it: a number to four significant digits, a text value (e.g. `owner`) as itself."""
    return str(setting) if isinstance(setting, str) else f"{setting:,.4g}"


def _direction(means: pd.DataFrame, name: str) -> str:
    """How the result (`result`, by `setting` in order) moves along the swept parameter `name`: rises, falls, holds
    or moves both ways, with its two ends; along a text parameter (no order), its value at each setting."""
    if not pd.api.types.is_numeric_dtype(means["setting"]):
        return f"by {name}: " + "; ".join(f"{r.setting} {r.result:,.4g}" for r in means.itertuples())
    ends = means["result"].iloc[[0, -1]].to_numpy()
    steps = np.sign(np.diff(means["result"].to_numpy()))
    first, last = means["setting"].iloc[[0, -1]]
    along = f"as {name} goes from {first:,.4g} to {last:,.4g}"
    if not steps.any():
        return f"holds at {ends[0]:,.4g} {along}"
    verb = "rises" if (steps >= 0).all() else "falls" if (steps <= 0).all() else "moves both ways"
    return f"{verb} from {ends[0]:,.4g} to {ends[1]:,.4g} {along}"


def response_charts(sweep: Sweep, frame: pd.DataFrame) -> dict[str, dict]:
    """Vega-Lite specs of the response surfaces, each under a takeaway title: per charted key, its value against
    each swept parameter (a sample: every set; a grid: the mean over the other parameters), and for a grid of two or
    more parameters a heat map of the first two. Headline keys hold dots (`erosion.nvidia_revenue_long_term`), which
    Vega-Lite reads as nested fields, so the charts' fields are plain names (`setting`, `other`, `result`) and the
    keys appear only in titles."""
    import altair as alt

    from analysis.views.present import chart_spec

    ok = frame[frame["status"] == "ok"]
    note = f"Sweep: {sweep.description} ({len(frame)} parameter sets)"
    specs = {}
    for key in sweep.charts:
        if key not in ok or ok[key].isna().all():
            continue
        for name in sweep.names:
            sub = ok[[name, key]].dropna().set_axis(["setting", "result"], axis=1)
            what = f"{key} against {name}"
            if pd.api.types.is_numeric_dtype(sub["setting"]) and sub["setting"].nunique() > 12:
                low, high = sub.nsmallest(1, "setting"), sub.nlargest(1, "setting")
                takeaway = (f"{key}: {low['result'].iloc[0]:,.4g} at the lowest {name} sampled, "
                            f"{high['result'].iloc[0]:,.4g} at the highest (every set)")
                chart = alt.Chart(sub).mark_circle(size=16, opacity=0.5).encode(
                    x=alt.X("setting:Q", title=name), y=alt.Y("result:Q", title=key))
            else:
                means = sub.groupby("setting", as_index=False).agg(result=("result", "mean"))
                takeaway = f"{key} {_direction(means, name)} (mean over the others)"
                chart = alt.Chart(means).mark_line(point=True).encode(
                    x=alt.X("setting:O", title=name, axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("result:Q", title=f"{key} (mean)"))
            titled = chart.properties(title=alt.TitleParams(takeaway, subtitle=[what, note], anchor="start"), width=400)
            specs[f"{key}-by-{name}"] = chart_spec(titled, f"{what}, one point per setting")
        if len(sweep.names) >= 2 and all(ok[n].nunique() <= 12 for n in sweep.names[:2]):
            a, b = sweep.names[:2]
            grid = (ok.groupby([a, b], as_index=False)[key].mean().set_axis(["setting", "other", "result"], axis=1))
            top = grid.loc[grid["result"].idxmax()]
            low = grid.loc[grid["result"].idxmin()]
            takeaway = (f"{key} is highest ({top['result']:,.4g}) at {a} = {_shown(top['setting'])}, "
                        f"{b} = {_shown(top['other'])}, "
                        f"lowest ({low['result']:,.4g}) at {a} = {_shown(low['setting'])}, "
                        f"{b} = {_shown(low['other'])}")
            what = f"{key}: {a} x {b} (mean over the others)"
            chart = alt.Chart(grid).mark_rect().encode(
                x=alt.X("setting:O", title=a, axis=alt.Axis(labelAngle=0)), y=alt.Y("other:O", title=b),
                color=alt.Color("result:Q", title=key, legend=alt.Legend(labelLimit=0, titleLimit=0)),
                tooltip=["setting:O", "other:O", alt.Tooltip("result:Q", format=",.4g")])
            titled = chart.properties(title=alt.TitleParams(takeaway, subtitle=[what, note], anchor="start"), width=400)
            specs[f"{key}-surface"] = chart_spec(titled, f"Heat map of {key} over {a} and {b}")
    return specs


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key) + ".svg"


def write(out: Path, sweep: Sweep, frame: pd.DataFrame, meta: dict) -> Path:
    """The output folder (atomically, like a report): sweep.csv, sweep.json, charts/*.svg and index.html (the
    report's page: its style sheet, scripts and Content-Security-Policy, each chart drawn with its data as CSV)."""
    import vl_convert

    specs = response_charts(sweep, frame)
    failed = frame[frame["status"] == "failed"]
    with outdir.claim(out) as staging:
        frame.to_csv(staging / "sweep.csv", index=False, lineterminator="\n")
        summary = {**meta, "description": sweep.description, "sections": list(sweep.sections),
                   "parameters": list(sweep.names), "sets": len(frame), "failed": len(failed),
                   "failures": failed[["set", "error"]].to_dict("records")}
        (staging / "sweep.json").write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n",
                                            encoding="utf-8")
        (staging / "charts").mkdir()
        downloads: list = []
        figures = []
        for name, spec in specs.items():
            (staging / "charts" / _file_name(name)).write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
            figures.append(markupsafe.Markup(page.chart_html(spec, downloads)))
        page.write_downloads(downloads, staging / "data")
        (staging / "index.html").write_text(page.TEMPLATES.get_template("sweep.html.j2").render(
            sweep=sweep, sets=len(frame), failed=failed.to_dict("records"), figures=figures, meta=meta,
            assets=page.page_assets(page.vega_script())), encoding="utf-8")
    return out


def build(grid_file: Path, out: Path, ds: Dataset, executor: str = "local",
          workers: int | None = None) -> tuple[Path, pd.DataFrame]:
    """Check everything, run the sweep, write `out`."""
    out = outdir.check(out, protected=(ds.directory, cache.protected_dir()))
    check_executor(executor, workers)
    sweep = load(grid_file, ds)
    start = time.perf_counter()
    frame = table(sweep, run(sweep, ds, executor, workers))
    seconds = time.perf_counter() - start
    meta = {"data_version": ds.version, "executor": executor, "seconds": round(seconds, 3),
            "sets_per_second": round(len(frame) / seconds, 3) if seconds else None}
    return write(out, sweep, frame, meta), frame
