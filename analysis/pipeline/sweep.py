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
    charts: [erosion.nvidia_revenue_2027_2030]      # optional: headline keys charted against each swept parameter

Each set goes through the section functions `compare` uses (`attribution.section_values`: each section with the
parameters its notebook declares), never the notebooks. The result is one table, `sweep.csv` (a row per set: its
values, status, error, and every headline number as `section.key`), `sweep.json` (the sweep and a summary) and the
response-surface charts (`charts/*.svg`, shown in `index.html`). A set that fails (e.g. a combination the schema's
cross-parameter rules refuse) is a row with status `failed` and its error; the others are unaffected.

Sets run in batches, on a local process pool (`--workers`, default and at most the cores this process may use) or
on a Dask cluster (`--executor dask://HOST:PORT`; the workers need this package and its dependencies, the validated
data travel with the tasks). Each set's numbers depend only on the data and its values, so the table is the same
whatever the executor, the number of workers or the batch size. A sweep has at most MAX_SETS sets, counted with
Python integers that stop at the cap, and its sets are made one batch at a time (`Sets`), never all at once; at most
two batches per worker are in flight. A cluster or worker lost mid-sweep is one line and exit status 1, and nothing
is written.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import json
import logging
import math
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd

from analysis import data
from analysis.pipeline import attribution, cache, outdir, page
from analysis.data import params, scenarios
from analysis.data import Dataset, shorten
from analysis.errors import ParameterError, UserError
from analysis.models import outlook

KEYS = {"description", "sections", "fixed", "grid", "sample", "charts"}
MAX_SETS = 1_000_000
BATCH = 16                       # sets per task: one dataset object (and its memo) per batch bounds memory
DEFAULT_CHARTS = ("erosion.nvidia_revenue_2027_2030", "erosion.asic_share_of_spend_2027_2030")
DASK_ADDRESS = re.compile(r"dask://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})", re.ASCII)


class SweepError(UserError):
    """A sweep file or executor that cannot be used (exit status 2)."""


class ExecutorLost(UserError):
    """The Dask cluster or a local worker process went away mid-sweep (exit status 1; nothing is written)."""

    exit_status = 1


class Sets(Sequence):
    """Every set's values (fixed values included), made on demand: set i of a grid is the i-th combination in
    `itertools.product` order (the last parameter varies fastest); set i of a sample takes row i of its columns."""

    def __init__(self, fixed: dict, columns: dict[str, Sequence], grid: bool):
        self.fixed, self.columns, self.grid = fixed, columns, grid
        sizes = [len(v) for v in columns.values()]
        self.total = math.prod(sizes) if grid else (sizes[0] if sizes else 0)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):           # an int only (a slice is refused)
        if not isinstance(index, int) or not -self.total <= index < self.total:
            raise IndexError(index)
        index %= self.total
        values = {}
        for name, column in reversed(self.columns.items()) if self.grid else self.columns.items():
            if self.grid:
                index, position = divmod(index, len(column))
            else:
                position = index
            values[name] = column[position]
        return {**self.fixed, **{name: values[name] for name in self.columns}}


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its description, sections, the swept parameter names, its sets, and the headline keys to
    chart."""

    description: str
    sections: tuple[str, ...]
    names: tuple[str, ...]
    sets: Sets
    charts: tuple[str, ...]


def _fail(path: Path, what: str) -> SweepError:
    return SweepError(f"{path}: {what}")


def _check_value(path: Path, ds: Dataset, fixed: dict, name, value) -> None:
    """One swept value, alone with the fixed values, must pass the schema (ranges, types)."""
    try:
        params.resolve({**fixed, name: value}, ds)
    except ParameterError as exc:
        raise _fail(path, f"{name}: {exc}") from None


def count_sets(path: Path, sizes) -> int:
    """The number of combinations of axes of these sizes, or SweepError as soon as the running product passes
    MAX_SETS (Python integers: no size wraps around)."""
    total = 1
    for size in sizes:
        total *= size
        if total > MAX_SETS:
            raise _fail(path, f"grid: more than {MAX_SETS:,} sets (a sweep has at most {MAX_SETS:,}); "
                              "sweep fewer values, or draw a sample")
    return total


def _numbers(path: Path, where: str, value) -> list:
    if not isinstance(value, list) or not value or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                                           for v in value):
        raise _fail(path, f"{where}: expected a non-empty list of values")
    return value


def load(path: Path, ds: Dataset) -> Sweep:
    """A sweep file, checked before any set runs: structure, names, every swept value against the schema."""
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"sweep {path}: no such file")
    doc = scenarios._parse(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("description"), str) or set(doc) - KEYS:
        unknown = sorted(set(doc) - KEYS) if isinstance(doc, dict) else []
        raise _fail(path, f"unknown key {unknown[0]!r}" if unknown else
                    f"expected a mapping with 'description' and one of 'grid' or 'sample' (keys: {', '.join(sorted(KEYS))})")
    if ("grid" in doc) == ("sample" in doc):
        raise _fail(path, "give exactly one of 'grid' and 'sample'")
    sections = doc.get("sections", list(attribution.ATTRIBUTED))
    if not isinstance(sections, list) or not sections or any(s not in attribution.ATTRIBUTED for s in sections):
        raise _fail(path, f"sections: a list of {', '.join(attribution.ATTRIBUTED)}")
    fixed = doc.get("fixed", {})
    if not isinstance(fixed, dict):
        raise _fail(path, "fixed: expected a mapping of parameter values")
    try:
        params.resolve(fixed, ds)
    except ParameterError as exc:
        raise _fail(path, f"fixed: {exc}") from None
    if "grid" in doc:
        axes = doc["grid"]
        if not isinstance(axes, dict) or not axes:
            raise _fail(path, "grid: expected a mapping of parameter -> list of values")
        count_sets(path, (len(_numbers(path, f"grid.{name}", values)) for name, values in axes.items()))
        for name, values in axes.items():
            for value in values:
                _check_value(path, ds, fixed, name, value)
        sets = Sets(fixed, axes, grid=True)
    else:
        sets, axes = _sample(path, ds, fixed, doc["sample"])
    charts = doc.get("charts", [c for c in DEFAULT_CHARTS if c.split(".")[0] in sections])
    if not isinstance(charts, list) or any(not isinstance(c, str) or c.split(".")[0] not in sections for c in charts):
        raise _fail(path, "charts: a list of headline keys 'section.key' of the swept sections")
    return Sweep(doc["description"], tuple(sections), tuple(axes), sets, tuple(charts))


def _sample(path: Path, ds: Dataset, fixed: dict, spec) -> tuple[Sets, dict]:
    """n sets drawn uniformly within each range (integers for int parameters), with a seeded generator."""
    if not isinstance(spec, dict) or set(spec) != {"n", "seed", "ranges"}:
        raise _fail(path, "sample: expected exactly n, seed and ranges")
    n, seed, ranges = spec["n"], spec["seed"], spec["ranges"]
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SETS:
        raise _fail(path, f"sample.n: a whole number of sets from 1 to {MAX_SETS}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise _fail(path, "sample.seed: a whole number >= 0")
    if not isinstance(ranges, dict) or not ranges:
        raise _fail(path, "sample.ranges: expected a mapping of parameter -> [low, high]")
    schema = params.schema(ds)
    rng = np.random.default_rng(seed)
    columns: dict[str, Sequence] = {}
    for name, bounds in ranges.items():
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(
                isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) or not bounds[0] < bounds[1]:
            raise _fail(path, f"sample.ranges.{name}: expected [low, high] with low < high")
        lo, hi = bounds
        for value in bounds:
            _check_value(path, ds, fixed, name, value)
        if schema[name].type == "int":
            columns[name] = rng.integers(int(lo), int(hi) + 1, n).tolist()
        elif schema[name].type == "float":
            columns[name] = rng.uniform(lo, hi, n).tolist()
        else:
            raise _fail(path, f"sample.ranges.{name}: a {schema[name].type} parameter cannot be sampled; use a grid")
    return Sets(fixed, columns, grid=False), ranges


# --- evaluation ----------------------------------------------------------------------------------------------

_DATASETS: dict[str, Dataset] = {}
#: Sets a worker thread computes on one Dataset object before it takes a new one: the data-only intermediate
#: results (analysis.data.memo) are computed once per that many sets, and what a set leaves in the memo (draws per
#: unit cost, say) stays bounded.
RENEW_AFTER = 256
#: Section results a worker thread keeps, by section and the values of the parameters it reads.
KEEP_SECTIONS = 4096


def _dataset(snapshot: bytes, version: str, directory: str) -> Dataset:
    """The sweep's validated dataset in this worker process (unpickled once per data version)."""
    if version not in _DATASETS:
        found = data.from_snapshot(snapshot, version, Path(directory))
        if found is None:
            raise ValueError(f"the sweep's data snapshot does not hold data version {version}")
        _DATASETS[version] = found
    return _DATASETS[version]


class _Worker(threading.local):
    """What one worker thread keeps between sets: a Dataset object of its own (a memo no other thread changes),
    renewed every RENEW_AFTER sets, and the latest section results (a section's numbers depend only on the data and
    the values of the parameters it reads, so sets that differ elsewhere share them: a sweep of forecast inputs
    computes the portfolio section once)."""

    def __init__(self) -> None:
        self.ds: Dataset | None = None
        self.sets = 0
        self.sections: dict[tuple, dict] = {}

    def dataset(self, shared: Dataset) -> Dataset:
        if self.ds is None or self.ds.version != shared.version or self.sets >= RENEW_AFTER:
            self.ds, self.sets = Dataset(shared.tables, shared.version, shared.directory), 0
        self.sets += 1
        return self.ds

    def section(self, ds: Dataset, schema: dict, values: dict, declared: dict[str, set[str]], name: str) -> dict:
        """One section's headline values for one set (attribution.section_values), computed once per data version
        and values it reads."""
        key = (ds.version, name, tuple(sorted((n, type(v).__name__, repr(v)) for n, v in values.items()
                                              if n in declared[name])))
        if key not in self.sections:
            if len(self.sections) >= KEEP_SECTIONS:
                del self.sections[next(iter(self.sections))]
            self.sections[key] = attribution.section_values(ds, schema, values, declared, (name,))[name]
        return self.sections[key]


_WORKER = _Worker()


def evaluate_batch(snapshot: bytes, version: str, directory: str, batch: list[tuple[int, dict]],
                   sections: tuple[str, ...]) -> list[dict]:
    """Each set's headline numbers ({"set", "status", "error", "values"}); an exception fails that set only. The
    forecast's draws of a set are forgotten once its sections are computed (the memo keeps data-only results)."""
    shared = _dataset(snapshot, version, directory)
    out = []
    for index, values in batch:
        ds = _WORKER.dataset(shared)
        schema = params.schema(ds)
        declared = attribution.section_parameters(ds)
        try:
            found = {name: _WORKER.section(ds, schema, values, declared, name) for name in sections}
            out.append({"set": index, "status": "ok", "error": "",
                        "values": {f"{s}.{k}": v for s, items in found.items() for k, v in items.items()}})
        except Exception as exc:          # isolated: reported in the set's row
            line = (str(exc).splitlines() or [""])[0]
            out.append({"set": index, "status": "failed", "error": f"{type(exc).__name__}: {shorten(line, 200)[1:-1]}",
                        "values": {}})
        finally:
            outlook.forget_runs(ds)
    return out


def _batches(sweep: Sweep, size: int) -> Iterator[list[tuple[int, dict]]]:
    """The sets in batches of `size`, each made when it is needed."""
    for start in range(0, len(sweep.sets), size):
        yield [(i, sweep.sets[i]) for i in range(start, min(start + size, len(sweep.sets)))]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_executor(executor: str, workers: int | None = None) -> str:
    """'local' or 'dask://HOST:PORT'; --workers from 1 to the cores available, for the local pool only."""
    if executor != "local" and not DASK_ADDRESS.fullmatch(executor):
        raise SweepError(f"--executor {executor!r}: expected 'local' or 'dask://HOST:PORT'")
    if workers is not None and executor != "local":
        raise SweepError(f"--workers {shorten(workers, 40)}: only for the local pool (a Dask cluster has its "
                         "own workers)")
    if workers is not None and not 1 <= workers <= cores():
        raise SweepError(f"--workers {shorten(workers, 40)}: from 1 to the {cores()} cores available here "
                         "(for more, start a Dask cluster and give --executor dask://HOST:PORT)")
    return executor


def run(sweep: Sweep, ds: Dataset, executor: str = "local", workers: int | None = None, batch: int = BATCH) -> list[dict]:
    """Every set's result, in set order, on the chosen executor."""
    snapshot = data.snapshot(ds)
    args = (snapshot, ds.version, str(ds.directory))
    batches = _batches(sweep, batch)
    if executor == "local":
        processes = min(workers or cores(), cores(), -(-len(sweep.sets) // batch))
        if processes <= 1:
            results = [evaluate_batch(*args, b, sweep.sections) for b in batches]
        else:
            results = _run_pool(processes, args, batches, sweep.sections)
    else:
        results = _run_dask(executor, args, batches, sweep.sections)
    return sorted((row for rows in results for row in rows), key=lambda r: r["set"])


def _run_pool(processes: int, args: tuple, batches: Iterator, sections: tuple[str, ...]) -> list[list[dict]]:
    """The batches on a pool of `processes`, at most two batches per process submitted at a time."""
    context = multiprocessing.get_context("forkserver")
    results: list[list[dict]] = []
    try:
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
            pending: set[concurrent.futures.Future] = set()
            for b in itertools.chain(batches, [None]):
                if b is not None:
                    pending.add(pool.submit(functools.partial(evaluate_batch, *args), b, sections))
                if len(pending) >= 2 * processes or b is None:
                    done, pending = concurrent.futures.wait(
                        pending, return_when="ALL_COMPLETED" if b is None else "FIRST_COMPLETED")
                    results += [future.result() for future in done]
    except BrokenProcessPool:
        raise ExecutorLost("sweep: a worker process died (killed, or out of memory); nothing was written") from None
    return results


def _run_dask(executor: str, args: tuple, batches: Iterator, sections: tuple[str, ...]) -> list[list[dict]]:
    try:
        import distributed
    except ImportError:
        raise SweepError(f"--executor {executor}: dask.distributed is not installed (pip install distributed)") from None
    address = DASK_ADDRESS.fullmatch(executor)
    if address is None:
        raise SweepError(f"--executor {executor!r}: expected 'local' or 'dask://HOST:PORT'")
    host, port = address.groups()
    #: What a lost scheduler or worker raises (a future cancelled, a connection closed or timed out, a task whose
    #: workers kept dying); any other exception is a bug, and shows its traceback.
    lost = (concurrent.futures.CancelledError, asyncio.CancelledError, OSError, TimeoutError,
            distributed.comm.CommClosedError, distributed.KilledWorker)
    try:
        client = distributed.Client(f"tcp://{host}:{port}", timeout="5s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"--executor {executor}: cannot connect to a Dask scheduler ({type(exc).__name__})") from None
    logging.disable(logging.CRITICAL)       # distributed logs tracebacks while it reconnects: the one line below says it
    try:
        with client:
            snapshot = client.scatter(args[0], broadcast=True)
            window = 2 * max(sum(client.nthreads().values()), 1)        # batches in flight
            results, pending = [], distributed.as_completed(loop=client.loop)
            for b in batches:
                pending.add(client.submit(evaluate_batch, snapshot, *args[1:], b, sections, pure=False))
                if pending.count() >= window:
                    results.append(next(pending).result())
            return results + [future.result() for future in pending]
    except lost as exc:             # a set's own error is caught in its batch: this is the cluster failing
        raise ExecutorLost(f"--executor {executor}: the Dask cluster was lost during the sweep "
                           f"({type(exc).__name__}); nothing was written") from None
    finally:
        logging.disable(logging.NOTSET)


def table(sweep: Sweep, results: list[dict]) -> pd.DataFrame:
    """One row per set: its swept values, status, error, then every headline number (columns in first-seen order)."""
    keys = list(dict.fromkeys(k for r in results for k in r["values"]))
    rows = [{"set": r["set"], **{n: sweep.sets[r["set"]][n] for n in sweep.names}, "status": r["status"],
             "error": r["error"], **{k: r["values"].get(k) for k in keys}} for r in results]
    return pd.DataFrame(rows, columns=["set", *sweep.names, "status", "error", *keys])


# --- charts and the output folder ----------------------------------------------------------------------------

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
    more parameters a heat map of the first two. Headline keys hold dots (`erosion.nvidia_revenue_2027_2030`), which
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
            takeaway = (f"{key} is highest ({top['result']:,.4g}) at {a} = {_shown(top['setting'])}, {b} = {_shown(top['other'])}, "
                        f"lowest ({low['result']:,.4g}) at {a} = {_shown(low['setting'])}, {b} = {_shown(low['other'])}")
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


def build(grid_file: Path, out: Path, ds: Dataset, executor: str = "local", workers: int | None = None) -> tuple[Path, pd.DataFrame]:
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
