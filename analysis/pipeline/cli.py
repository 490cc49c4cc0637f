"""Command line: `python -m analysis run|watch|compare|release|score|refresh|sweep|params|scenarios|data-manifest|notebooks`
(each takes --help).

A user's mistake (bad parameter, scenario or data file, an --out path that is not a report folder) prints one line
and exits with status 2, before any kernel starts. Ctrl-C or SIGTERM prints one line and exits with status 130,
leaving any previous report in place.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from analysis import data
from analysis.pipeline import cache, outdir, uptodate
from analysis.data import params, releases, scenarios, schema_export
from analysis.errors import UserError, error, is_interrupt, report_interrupt, warn
from analysis.pipeline.runner import NOTEBOOK_DIR, Job, NotebookFailed, execute_all, write_generated_cells


def _parameter_options(parser: argparse.ArgumentParser) -> None:
    """--scenario, --params and --set, applied in that order over the defaults."""
    parser.add_argument("--scenario", help="start from a named scenario in scenarios/ (see `python -m analysis scenarios`)")
    parser.add_argument("--params", type=Path, metavar="FILE.yaml",
                        help="parameter values from a file in the scenario format (applied after --scenario)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter (repeatable, applied last); see `python -m analysis params`")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="data folder to use instead of data/ (must hold a manifest)")
    sub = parser.add_subparsers(dest="command", required=True)
    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {details}".strip())
    run = command("run", "execute the notebooks and write a report folder",
                  "Parameters are applied in order: defaults, --scenario, --params, then each --set. A notebook whose "
                  f"inputs are unchanged is reused from the execution cache (${cache.CACHE_DIR_ENV}, else "
                  ".cache/notebooks/ in the repository); a report folder that already holds, intact, the report of the "
                  "same parameters, data, notebooks and code is left as it is.")
    run.add_argument("--out", type=Path, required=True, help="report folder to write, e.g. reports/high-ai-share")
    _parameter_options(run)
    run.add_argument("--no-cache", dest="use_cache", action="store_false",
                     help="execute every notebook even if the cache holds it (the cache is refreshed)")
    watch = command("watch", "build a report folder like run, then again whenever an input changes (Ctrl-C ends)",
                    "The interactive what-if loop: edit the --params file (or any data file, notebook or code) and the "
                    "report is rebuilt, its workers and kernels kept warm between builds. A bad value prints one line "
                    "and the last report stays.")
    watch.add_argument("--out", type=Path, required=True, help="report folder to write, e.g. reports/what-if")
    _parameter_options(watch)
    compare = command("compare", "one page comparing report folders, explaining each headline difference")
    compare.add_argument("runs", nargs="+", type=Path, metavar="REPORT", help="report folders (the first is the baseline)")
    compare.add_argument("--out", type=Path, required=True, help="folder to write the comparison to, e.g. reports/compare")
    compare.add_argument("--data", dest="other_data", type=Path, action="append", default=[], metavar="PATH",
                         help="data folder of an earlier data version a run was built on (repeatable); its "
                              "differences are then attributed to the data change and to each parameter")
    release = command("release", "lock the forecast of one parameter set in the forecast hub (forecasts/)",
                      "Hubverse layout: model-output/aws-VERSION/DATE-aws-VERSION.csv (quantiles and mean per target "
                      "and year, a pmf for the binary targets), its model metadata and its round in "
                      "hub-config/tasks.json. With --set owner=NAME (not amazon): model NAME-VERSION, that owner's "
                      "non-Nvidia share of spend and its probabilities. An existing release is never overwritten.")
    release.add_argument("version", metavar="VERSION", help="release name, e.g. 2026.12 (lower-case, digits, . _ -)")
    _parameter_options(release)
    release.add_argument("--forecast-date", help="the date the forecast stands for (YYYY-MM-DD; default today, UTC)")
    release.add_argument("--reconstructed", action="store_true",
                         help="mark the release as reconstructed after the fact (e.g. the essay's early-2024 view)")
    release.add_argument("--forecasts-dir", type=Path, default=data.FORECASTS_DIR, help=argparse.SUPPRESS)
    score = command("score", "score every release in forecasts/ against the outcomes data/ now holds",
                    "Writes index.html, track_record.csv, track_record_summary.csv and results.json to --out. "
                    "A file of the hub that is not exactly what `release` writes is refused (one line, exit 2).")
    score.add_argument("--out", type=Path, required=True, help="folder to write, e.g. reports/track-record")
    score.add_argument("--forecasts-dir", type=Path, default=data.FORECASTS_DIR, help=argparse.SUPPRESS)
    refresh = command("refresh", "import a newer copy of a source's export into data/, with a reviewed diff",
                      "Prints rows added, changed (old -> new) and removed; writes nothing without --accept. With "
                      "it, the new rows must pass validation and the model; then the data file(s), the manifest and "
                      "data/CHANGELOG.md are updated.")
    refresh.add_argument("source", choices=("epoch",), help="epoch: Epoch AI's chip-count export (ai-chip-counts)")
    refresh.add_argument("path", type=Path, metavar="PATH", help="local folder holding the export's CSV files")
    refresh.add_argument("--accept", action="store_true", help="apply the diff after review")
    sweep = command("sweep", "run a grid or a random sample of parameter sets through the section functions",
                    "Writes sweep.csv (a row of headline numbers per set), sweep.json, charts/*.svg and index.html "
                    "to --out. A set that fails is reported in its row; the others run.")
    sweep.add_argument("grid", type=Path, metavar="GRID.yaml", help="the sweep file (format: analysis/pipeline/sweep.py)")
    sweep.add_argument("--out", type=Path, required=True, help="folder to write, e.g. reports/sweep-ceiling")
    sweep.add_argument("--executor", default="local", help="local (a process pool, the default) or dask://HOST:PORT")
    sweep.add_argument("--workers", type=int, help="local pool size (default: every core)")
    listing = command("params", "list every parameter with unit, default, allowed range and source")
    listing.add_argument("--format", choices=("text", "json", "python"), default="text",
                         help="json: one object per parameter, with the notebooks whose section reads it (for tools); python: "
                              "the typed fields of analysis/data/parameter_types.py (types only, no defaults)")
    listing.add_argument("--write", action="store_true",
                         help="with --format python: write analysis/data/parameter_types.py rather than print it")
    command("scenarios", "list the named scenarios with their values and reasons")
    command("data-manifest", "rewrite data/MANIFEST.sha256 after a deliberate data edit")
    renotebook = command("notebooks", "rewrite each notebook's parameters cell from its section's parameters, then "
                                      "re-execute the committed notebooks in place with default parameters")
    renotebook.add_argument("--redraw", action="store_true",
                            help="draw every chart's static image again, not only those whose spec changed (after an "
                                 "upgrade of vl-convert, Pillow or the fonts)")
    return parser


def _progress(line: str) -> None:
    """One line per notebook on stderr, only on a terminal (tests and CI logs stay clean)."""
    if sys.stderr.isatty():
        print(line, file=sys.stderr, flush=True)


#: Above these estimates a command says first how long and how much memory its Monte Carlo work will take.
HEAVY_SECONDS, HEAVY_BYTES = 30, 2e9
#: The parameters that size the Monte Carlo work. At or below their defaults (which every default build runs) `run`
#: does not estimate it, and so does not import the model (and scipy) before it knows that a notebook executes.
MONTE_CARLO_SIZE = ("mc_draws", "sobol_base_samples")


def heavy(values: params.Params, runs: int, sensitive: int = 0) -> None:
    """Warn when `runs` outlook runs at `values` (mc_draws, sobol_base_samples), `sensitive` of them with the Sobol
    analysis, would take long or much memory (`outlook.cost`)."""
    from analysis.models import outlook
    (plain, plain_memory), (full, full_memory) = outlook.cost(values, False), outlook.cost(values, True)
    seconds, memory = runs * plain + sensitive * (full - plain), full_memory if sensitive else plain_memory
    if seconds > HEAVY_SECONDS or memory > HEAVY_BYTES:
        warn(f"mc_draws={values.mc_draws} and sobol_base_samples={values.sobol_base_samples}: the Monte Carlo "
             f"work takes about {seconds:.0f} s of CPU and {memory / 1e9:.1f} GB of memory at a time (estimated); "
             "lower them for a quicker run")


def _list_params(dataset, form: str, write: bool = False) -> None:
    if write and form != "python":
        raise UserError("params --write: only with --format python")
    if form == "python":
        if write:
            print(f"wrote {schema_export.write_types(params.schema(dataset))}")
        else:
            print(schema_export.types_module(params.schema(dataset)), end="")
        return
    if form == "json":
        from analysis.sections import SECTIONS
        declared_by: dict[str, list[str]] = {}
        for section in SECTIONS.values():
            for name in section.parameter_names(dataset):
                declared_by.setdefault(name, []).append(section.notebook)
        print(json.dumps({"parameters": schema_export.describe(params.schema(dataset), declared_by)}, indent=2))
        return
    for p in params.schema(dataset).values():
        print(f"{p.name:28} default {p.default!s:12} {p.allowed():44} source {p.source_id} ({p.confidence})")
        print(f"{'':28} {p.description}")


def _values(args, dataset) -> params.Params:
    """The parameter set of --scenario, --params and --set over the defaults, checked by the schema."""
    assignments = params.parse_assignments(args.assignments)
    overrides = scenarios.load(args.scenario)["values"] if args.scenario else {}
    if args.params:
        overrides.update(scenarios.params_file(args.params, dataset))
    overrides.update(assignments)
    return params.resolve(overrides, dataset)


#: What each command that runs notebooks imports while a child process validates the data (`data.load_dataset`'s
#: `meanwhile`): the sections (altair, scipy and the models), which its plan and kernels need, the workers' kernel
#: (ipykernel, papermill) and, for a report, its builder. Imported here, they are ready when the data are, and the
#: workers forked afterwards inherit them (about 0.8 s of imports beside a 0.85 s validation on two cores).
_KERNELS = ("analysis.sections", "analysis.pipeline.worker")
IMPORTED_BESIDE_VALIDATION = {"run": (*_KERNELS, "analysis.pipeline.report"),
                              "watch": (*_KERNELS, "analysis.pipeline.report"), "notebooks": _KERNELS}


def _importing(command: str) -> Callable[[], None] | None:
    """The imports `command` does beside the data's validation (IMPORTED_BESIDE_VALIDATION), or None."""
    names = IMPORTED_BESIDE_VALIDATION.get(command)
    if names is None:
        return None

    def import_them() -> None:
        for name in names:
            importlib.import_module(name)
    return import_them


def _collect_from_here() -> None:
    """`python -m analysis` starts with the garbage collector off (analysis/__main__.py); once the command has its
    modules and data, what start-up made is frozen (out of every later collection's sight, as in the workers forked
    afterwards) and collection resumes. A caller that left the collector on (a test calling `main`) is left as it is."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "data-manifest":
            print(f"wrote {data.write_manifest(args.data_dir)}")
            return 0
        if args.command == "refresh":
            from analysis.pipeline import refresh
            lines, wrote = refresh.refresh(args.path, args.data_dir or data.data_dir(), args.accept)
            print("\n".join(lines))
            changed = any(line[:1] in "+~-" for line in lines)
            print("wrote the data files, MANIFEST.sha256 and CHANGELOG.md" if wrote else
                  "no change; nothing written" if not changed else "nothing written; review, then rerun with --accept")
            return 0
        if args.command in ("run", "score", "watch"):       # before any other work
            out = outdir.check(args.out, protected=(args.data_dir or data.data_dir(), cache.protected_dir()))
        # the version is checked by hub_models.release, for the run's owner, before computing
        if args.command == "release":
            forecast_date = args.forecast_date and releases.check_date(args.forecast_date)
        if args.command == "run" and args.use_cache:      # an unchanged re-run leaves the report as it is
            inputs = uptodate.fingerprint(args.scenario, args.params, args.assignments, args.data_dir or data.data_dir())
            if uptodate.current(out, inputs):
                print(f"{out} is up to date: same parameters, data, notebooks and code as when it was built")
                return 0
        # every command may read the validated tables a build kept in the cache (verified against the files) rather
        # than validate them again; `run --no-cache` validates
        dataset = data.load_dataset(args.data_dir, stored=None if args.command == "run" and not args.use_cache
                                    else cache.stored_tables,
                                    meanwhile=_importing(args.command))
        _collect_from_here()
        if args.command == "watch":
            from analysis.pipeline import watch
            watch.watch(out, args.scenario, args.params, args.assignments, args.data_dir or data.data_dir(),
                        values_of=lambda dataset: _values(args, dataset))
            return 0
        if args.command == "params":
            _list_params(dataset, args.format, args.write)
        elif args.command == "notebooks":
            from analysis.sections import SECTIONS
            from analysis.views import images
            committed = {name: NOTEBOOK_DIR / s.notebook for name, s in SECTIONS.items()}
            for name, s in SECTIONS.items():        # the parameters cells first: the kernels run them
                write_generated_cells(committed[name], s.parameters_cell(dataset), None)
            # the committed notebooks carry each chart's static image, unless $ANALYSIS_STATIC_IMAGES is "off" (tests);
            # a chart whose spec is unchanged keeps its image (the same bytes), only the others are drawn
            from analysis.pipeline.charts import committed_images
            from analysis.views.present import VEGALITE_MIMETYPE
            known = {} if args.redraw else {digest: body for path in committed.values()
                                             for digest, body in committed_images(path, VEGALITE_MIMETYPE).items()}
            # each section's run hint (the example above its call) is computed in the worker that ran its notebook,
            # with the models at their defaults remembered there, and written in afterwards: comment lines, which
            # change no output
            hints = execute_all([Job(path, path, {}, uses_forecast=SECTIONS[name].uses_forecast, run_hint_of=name)
                                 for name, path in committed.items()],
                                dataset=dataset, static_images=images.wanted(), known_images=known)
            for name, s in SECTIONS.items():
                write_generated_cells(committed[name], s.parameters_cell(dataset), hints[committed[name]])
        elif args.command == "scenarios":
            scenarios.check_all(dataset)
            for name in scenarios.names():
                scenario = scenarios.load(name)
                print(f"{name}: {scenario['description']}")
                for key, value in scenario["values"].items():
                    print(f"    {key} = {value!r}: {scenario['reasons'][key]}")
        elif args.command == "compare":
            from analysis.pipeline import compare
            others = tuple(data.load_dataset(path) for path in args.other_data)
            out = compare.build(args.runs, args.out, dataset, others, progress=_progress, before=heavy)
            print(f"wrote {out}/index.html and compare.json")
        elif args.command == "release":
            from analysis.models import hub_models
            values = _values(args, dataset)
            model_id = (args.scenario or "defaults") + ("+custom" if args.params or args.assignments else "")
            path = hub_models.release(dataset, values, params.schema(dataset), args.version, args.forecasts_dir,
                               model_id, forecast_date, args.reconstructed)
            print(f"wrote {args.forecasts_dir}/{path} and its metadata; added its round to hub-config/tasks.json")
        elif args.command == "score":
            from analysis.pipeline import track
            track.write(dataset, params.schema(dataset), args.forecasts_dir, out)
            print(f"wrote {out}/index.html, track_record.csv, track_record_summary.csv and results.json")
        elif args.command == "sweep":
            from analysis.pipeline import sweep
            out, frame = sweep.build(args.grid, args.out, dataset, args.executor, args.workers)
            failed = int((frame["status"] == "failed").sum())
            print(f"wrote {out}/sweep.csv ({len(frame)} sets, {failed} failed), sweep.json, charts/ and index.html")
        elif args.command == "run":
            from analysis.pipeline import report
            scenarios.check_all(dataset)        # notebook 03 runs every scenario, whichever one is chosen here
            values, schema = _values(args, dataset), params.schema(dataset)
            if any(values[name] > schema[name].default for name in MONTE_CARLO_SIZE):
                heavy(values, runs=1, sensitive=1)  # the forecast runs once per build; section 3 adds its sensitivity
            out = report.build(out, values, schema, dataset, scenario=args.scenario,
                               use_cache=args.use_cache, progress=_progress)
            if args.use_cache:
                uptodate.record(out, inputs)
            print(f"wrote {out}/index.html, results.json and notebooks/")
        return 0
    except UserError as exc:
        error(str(exc))
        return exc.exit_status
    except NotebookFailed as exc:
        error(f"notebook failed: {exc}")
        return 1
    except (KeyboardInterrupt, RuntimeError) as exc:     # the sections are imported while the data are validated
        if not is_interrupt(exc):
            raise
        report_interrupt()
        return 130
    except BrokenPipeError:
        raise                           # stdout's reader is gone: nothing to report (see __main__)
    except OSError as exc:              # a full disk, a folder removed under the build, ...
        where = f" ({exc.filename})" if exc.filename else ""
        kept = "; any previous report is left as it was" if args.command in ("run", "compare") else ""
        error(f"{exc.strerror or exc}{where}{kept}")
        return 1
    except ImportError as exc:          # a broken environment (e.g. vl-convert missing): `make` reinstalls it
        error(f"{exc}; run `make report` to reinstall the environment")
        return 1
