"""Time the report build against the hand-run pipeline, on the same notebooks, in one run (run by hand, not a test).

Run from the repo root: `make benchmark-build` (or `.venv/bin/python benchmarks/bench_build.py [--runs N]`).
Each round runs, one after the other (so that the machine's load hits all four alike):
(a) `python -m analysis run` with an empty cache (no executed notebook, no validated data; the Vega bundle is part of
    the installed environment, built once by `make` at install: its build time is printed separately);
(b) the pipeline a user would run by hand: `papermill` CLI per notebook, then `jupyter nbconvert --to html` per
    notebook (default parameters);
(c) a one-parameter re-run: `run --set NAME=VALUE` on the cache (a) left, NAME declared by exactly one notebook and
    VALUE new in every round, so that exactly that notebook is executed;
(d) an unchanged re-run on the same cache.
Prints wall-time medians (and ranges), the children's CPU time, the ratio b/a (of the medians, and the median of each
round's ratio, which a changing load disturbs less) and the load average before and after.
Everything is written to a temporary folder; the repository's cache and reports are not touched.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import vl_convert

from analysis import data
from analysis.pipeline import cache
from analysis.data import params
from analysis.pipeline.runner import KERNEL, declared_parameters, notebook_paths

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def one_notebook_parameter() -> tuple[str, list[str]]:
    """A numeric parameter declared by exactly one notebook (the cheapest such notebook is not known in advance, so
    the first in schema order), and the notebook."""
    schema = params.schema(data.load_dataset())
    declared = {path.name: declared_parameters(path) for path in notebook_paths()}
    for name, p in schema.items():
        users = [nb for nb, names in declared.items() if name in names]
        if len(users) == 1 and p.type == "float" and p.minimum < p.default < p.maximum:
            return name, users
    raise SystemExit("no float parameter is declared by exactly one notebook")


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of a command (CPU: user + system of its process tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def hand_run(work: Path, env: dict) -> tuple[float, float]:
    """(b): papermill per notebook, then nbconvert --to html per notebook."""
    work.mkdir()
    wall = cpu = 0.0
    executed = []
    for path in notebook_paths():
        target = work / path.name
        w, c = timed([str(BIN / "papermill"), str(path), str(target), "-k", KERNEL, "--cwd", str(path.parent)], env)
        wall, cpu, executed = wall + w, cpu + c, [*executed, target]
    for target in executed:
        w, c = timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(target)], env)
        wall, cpu = wall + w, cpu + c
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="rounds (medians are taken over them; default 5)")
    args = parser.parse_args()
    name, users = one_notebook_parameter()
    p = params.schema(data.load_dataset())[name]
    step = (p.maximum - p.default) / (args.runs + 2)
    load_before = os.getloadavg()
    start = time.perf_counter()
    vl_convert.javascript_bundle()
    bundle_seconds = time.perf_counter() - start
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in "abcd"}
    run = [str(BIN / "python"), "-m", "analysis", "run"]
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp = Path(tmp)
        for i in range(args.runs):
            env = {**os.environ, "PYTHONPATH": str(ROOT), cache.CACHE_DIR_ENV: str(tmp / f"cache-{i}")}
            times["a"].append(timed([*run, "--out", str(tmp / f"a-{i}")], env))
            times["b"].append(hand_run(tmp / f"b-{i}", env))
            value = p.default + step * (i + 1)
            times["c"].append(timed([*run, "--out", str(tmp / f"c-{i}"), "--set", f"{name}={value!r}"], env))
            times["d"].append(timed([*run, "--out", str(tmp / f"d-{i}")], env))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.1f} s" for k, v in times.items()), file=sys.stderr)
    load_after = os.getloadavg()
    labels = {"a": "full build, empty cache", "b": "hand-run pipeline (papermill + nbconvert per notebook)",
              "c": f"one-parameter re-run (--set {name}, declared by {users[0]} only)", "d": "unchanged re-run"}
    print(f"{args.runs} rounds; load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
          f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; "
          f"{os.cpu_count()} CPUs; building the Vega bundle (once per environment, at install) takes "
          f"{bundle_seconds:.1f} s\n")
    print("| run | median wall (s) | range (s) | median CPU (s) |\n| --- | ---: | ---: | ---: |")
    medians = {}
    for key, label in labels.items():
        walls, cpus = [w for w, _ in times[key]], [c for _, c in times[key]]
        medians[key] = statistics.median(walls)
        print(f"| ({key}) {label} | {medians[key]:.1f} | {min(walls):.1f}–{max(walls):.1f} | "
              f"{statistics.median(cpus):.1f} |")
    paired = statistics.median(b[0] / a[0] for a, b in zip(times["a"], times["b"]))
    print(f"\nratio b/a (how many times faster the build is than the hand-run pipeline): {medians['b'] / medians['a']:.2f} "
          f"from the medians; {paired:.2f} as the median of each round's ratio (a and b ran back to back)")


if __name__ == "__main__":
    main()
