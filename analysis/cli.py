"""Command line: `python -m analysis run|compare|params|scenarios|data-manifest|notebooks`.

A user's mistake (bad parameter, scenario or data file, an --out path that is not a report folder) prints one line
and exits with status 2, before any kernel starts. Ctrl-C or SIGTERM prints one line and exits with status 130,
leaving any previous report in place.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import data, outdir, params, scenarios
from analysis.errors import UserError
from analysis.notebook_run import NotebookFailed, execute_all, notebook_paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="data folder to use instead of data/ (must hold a manifest)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the notebooks and write a report folder")
    run.add_argument("--out", type=Path, required=True, help="report folder to write, e.g. reports/high-ai-share")
    run.add_argument("--scenario", help="start from a named scenario in scenarios/ (see `python -m analysis scenarios`)")
    run.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                     help="override a parameter (repeatable, applied after --scenario); see `python -m analysis params`")
    compare = sub.add_parser("compare", help="one page comparing report folders, explaining each headline difference")
    compare.add_argument("runs", nargs="+", type=Path, metavar="REPORT", help="report folders (the first is the baseline)")
    compare.add_argument("--out", type=Path, required=True, help="folder to write the comparison to, e.g. reports/compare")
    sub.add_parser("params", help="list every parameter with unit, default, allowed range and source")
    sub.add_parser("scenarios", help="list the named scenarios with their values and reasons")
    sub.add_parser("data-manifest", help="rewrite data/MANIFEST.sha256 after a deliberate data edit")
    sub.add_parser("notebooks", help="re-execute the committed notebooks in place with default parameters")
    return parser


def _list_params(dataset) -> None:
    for p in params.schema(dataset).values():
        print(f"{p.name:28} default {p.default!s:12} {p.allowed():44} source {p.source_id} ({p.confidence})")
        print(f"{'':28} {p.description}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "data-manifest":
            print(f"wrote {data.write_manifest(args.data_dir)}")
            return 0
        if args.command == "run":       # before any other work
            out = outdir.check(args.out, protected=(args.data_dir or data.data_dir(),))
        dataset = data.load_dataset(args.data_dir)
        if args.command == "params":
            _list_params(dataset)
        elif args.command == "notebooks":
            execute_all([(p, p, {}) for p in notebook_paths()], data_dir=dataset.directory)
        elif args.command == "scenarios":
            scenarios.check_all(dataset)
            for name in scenarios.names():
                scenario = scenarios.load(name)
                print(f"{name}: {scenario['description']}")
                for key, value in scenario["values"].items():
                    print(f"    {key} = {value!r}: {scenario['reasons'][key]}")
        elif args.command == "compare":
            from analysis import compare
            out = compare.build(args.runs, args.out, dataset)
            print(f"wrote {out}/index.html and compare.json")
        elif args.command == "run":
            from analysis import report
            assignments = params.parse_assignments(args.assignments)
            scenarios.check_all(dataset)        # notebook 03 runs every scenario, whichever one is chosen here
            overrides = scenarios.load(args.scenario)["values"] if args.scenario else {}
            overrides.update(assignments)
            values = params.resolve(overrides, dataset)
            out = report.build(out, values, params.schema(dataset), dataset, scenario=args.scenario)
            print(f"wrote {out}/index.html, results.json and notebooks/")
        return 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except NotebookFailed as exc:
        print(f"error: notebook failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; any previous report is left as it was", file=sys.stderr)
        return 130
