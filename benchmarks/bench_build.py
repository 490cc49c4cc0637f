"""Time the report build against the hand-run pipeline, on the same notebooks, in one run (run by hand, not a test).

Run from the repo root: `make benchmark-build` (or `.venv/bin/python benchmarks/bench_build.py [--runs N]`).
Each round runs, one after the other (so that the machine's load hits them all alike):
(a) `python -m analysis run` with an empty cache (no executed notebook, no stored tables, plan or chart image; the
    Vega bundle is part of the installed environment, built once by `make` at install: its build time is printed
    separately);
(b) the pipeline a user would run by hand: `papermill` CLI per notebook, then `jupyter nbconvert --to html` per
    notebook (default parameters);
(c) what-ifs on the cache (a) left, each `run --set NAME=VALUE` with a VALUE new in every round: (c1) NAME the
    parameter read by the most notebooks, (c2) NAME a float parameter read by one notebook only (the first in schema
    order);
(d1) an unchanged re-run: `run` into the folder (a) wrote, with (a)'s inputs (the report is found up to date);
(d2) the same inputs into a new folder, on the same cache (every notebook reused, the page written again);
(e1, e2) after the rounds, the what-ifs of (c1) and (c2) in `watch` (its workers and kernels kept warm): one
    `watch --params FILE` process, FILE rewritten with a new value for each what-if; the time from the rewrite to
    watch's "built" line (its 0.3 s polling included, as a reader waits for it). CPU and memory are not sampled here.
Per command: median wall time and range, median CPU time of its process tree (user + system, kernels included),
peak memory (the largest single process, and the largest sum over its process tree, sampled every 20 ms) and the
one-minute load average just before it ran (the machine may be shared: compare CPU times, and ratios within a run).
Everything is written to a temporary folder; the repository's cache and reports are not touched.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import vl_convert

from analysis import data
from analysis.data import params
from analysis.pipeline import cache
from analysis.pipeline.runner import KERNEL, notebook_paths
from analysis.sections import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 2 ** 20


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_process: float       # MiB
    peak_tree: float          # MiB
    load: float


def readers() -> dict[str, list[str]]:
    """Parameter -> the notebooks whose section reads it."""
    ds = data.load_dataset()
    found: dict[str, list[str]] = {}
    for section in SECTIONS.values():
        for name in section.parameter_names(ds):
            found.setdefault(name, []).append(section.notebook)
    return found


def what_if_parameters() -> dict[str, str]:
    """(c1) the numeric parameter read by the most notebooks, (c2) the first float parameter read by one only."""
    schema, read = params.schema(), readers()
    movable = [n for n, p in schema.items() if p.type in ("float", "int") and p.minimum < p.default < p.maximum]
    most = max(movable, key=lambda n: len(read.get(n, ())))
    fewest = next(n for n in movable if len(read.get(n, ())) == 1 and schema[n].type == "float")
    return {"c1": most, "c2": fewest}


def _rss(process: psutil.Process) -> tuple[float, float]:
    """The RSS of the largest process in `process`'s tree, and the tree's sum (bytes)."""
    sizes = []
    for p in [process, *process.children(recursive=True)]:
        try:
            sizes.append(p.memory_info().rss)
        except psutil.Error:
            pass
    return max(sizes, default=0), sum(sizes)


def timed(command: list[str], env: dict) -> Sample:
    """Wall and CPU seconds (user + system of the process tree, from wait4), the peak RSS of its largest process and
    of its whole tree (sampled every 20 ms: wait4's maxrss would count this script's own pages, copied at the fork
    before the command's exec) and the one-minute load average before it started."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, done = [0.0, 0.0], threading.Event()

    def sample() -> None:
        process = psutil.Process(child.pid)
        while not done.wait(0.02):
            try:
                largest, tree = _rss(process)
            except psutil.Error:
                return
            peak[:] = max(peak[0], largest), max(peak[1], tree)
    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} exited with {child.returncode}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak[0] / MIB, peak[1] / MIB, load)


def watched(folder: Path, env: dict, chosen: dict[str, str], new_value: Callable[[str, int], str],
            runs: int) -> dict[str, list[tuple[float, float]]]:
    """(e1, e2): one `watch` process on a params file; per what-if, the seconds from rewriting the file to its
    "built" line, and the load average before."""
    values = folder / "watch-params.yaml"
    values.write_text("description: benchmark\nvalues: {}\n")
    command = [str(BIN / "python"), "-m", "analysis", "watch", "--out", str(folder / "watch"), "--params", str(values)]
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None

    def built() -> None:
        line = child.stdout.readline()
        if not line.startswith("built "):
            raise SystemExit(f"watch printed {line!r}, not a built line")
    seconds: dict[str, list[tuple[float, float]]] = {key: [] for key in chosen}
    try:
        built()                                     # the first build
        for i in range(runs):
            for key, name in chosen.items():
                load = os.getloadavg()[0]
                time.sleep(1.0)                     # a new modification time, and the last build's workers idle
                start = time.perf_counter()
                values.write_text(f"description: benchmark\nvalues:\n  {name}: {{value: {new_value(name, i)}, why: benchmark}}\n")
                built()
                seconds[key].append((time.perf_counter() - start, load))
                print(f"watch {key} {seconds[key][-1][0]:.1f} s", file=sys.stderr)
    finally:
        child.send_signal(signal.SIGINT)
        child.wait()
    return seconds


def hand_run(work: Path, env: dict) -> Sample:
    """(b): papermill per notebook, then nbconvert --to html per notebook (the sums; peaks: the largest)."""
    work.mkdir()
    samples, executed = [], []
    for path in notebook_paths():
        target = work / path.name
        samples.append(timed([str(BIN / "papermill"), str(path), str(target), "-k", KERNEL, "--cwd", str(path.parent)], env))
        executed.append(target)
    for target in executed:
        samples.append(timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(target)], env))
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples), max(s.peak_process for s in samples),
                  max(s.peak_tree for s in samples), samples[0].load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="rounds (medians are taken over them; default 5)")
    parser.add_argument("--no-hand-run", dest="hand_run", action="store_false",
                        help="skip (b), the hand-run pipeline (about 50 s a round)")
    parser.add_argument("--no-watch", dest="watch", action="store_false", help="skip (e1, e2), the what-ifs in watch")
    args = parser.parse_args()
    chosen = what_if_parameters()
    schema, read = params.schema(), readers()
    load_before = os.getloadavg()
    start = time.perf_counter()
    vl_convert.javascript_bundle()
    bundle_seconds = time.perf_counter() - start
    times: dict[str, list[Sample]] = {k: [] for k in ("a", "b", "c1", "c2", "d1", "d2", "e1", "e2")}
    run = [str(BIN / "python"), "-m", "analysis", "run"]

    def new_value(name: str, i: int) -> str:
        p = schema[name]
        value = p.default + (p.maximum - p.default) * (i + 1) / (args.runs + 2)
        return repr(round(value) if p.type == "int" else value)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        folder = Path(tmp)
        for i in range(args.runs):
            env = {**os.environ, "PYTHONPATH": str(ROOT), cache.CACHE_DIR_ENV: str(folder / f"cache-{i}")}
            times["a"].append(timed([*run, "--out", str(folder / f"a-{i}")], env))
            if args.hand_run:
                times["b"].append(hand_run(folder / f"b-{i}", env))
            for key, name in chosen.items():
                times[key].append(timed([*run, "--out", str(folder / f"{key}-{i}"), "--set",
                                         f"{name}={new_value(name, i)}"], env))
            times["d1"].append(timed([*run, "--out", str(folder / f"a-{i}")], env))
            times["d2"].append(timed([*run, "--out", str(folder / f"d-{i}")], env))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1].wall:.1f} s (load {v[-1].load:.1f})"
                                                 for k, v in times.items() if v), file=sys.stderr)
        if args.watch:
            env = {**os.environ, "PYTHONPATH": str(ROOT), cache.CACHE_DIR_ENV: str(folder / "cache-watch")}
            for key, seconds in watched(folder, env, chosen, new_value, args.runs).items():
                times[f"e{key[1:]}"] = [Sample(s, 0.0, 0.0, 0.0, load) for s, load in seconds]
    load_after = os.getloadavg()
    labels = {"a": "full build, empty cache", "b": "hand-run pipeline (papermill + nbconvert per notebook)",
              **{key: f"what-if `--set {name}` (read by {len(read[name])} notebook{'s' * (len(read[name]) > 1)})"
                 for key, name in chosen.items()},
              "d1": "unchanged re-run (same folder: up to date)", "d2": "unchanged inputs, new folder",
              **{f"e{key[1:]}": f"what-if `{name}` in `watch` (warm workers)" for key, name in chosen.items()}}
    print(f"{args.runs} rounds; load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
          f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; "
          f"{os.cpu_count()} CPUs; building the Vega bundle (once per environment, at install) takes "
          f"{bundle_seconds:.1f} s\n")
    print("| run | median wall (s) | range (s) | median CPU (s) | peak RSS, largest process / tree (MiB) | "
          "load before (median) |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    medians = {}
    for key, label in labels.items():
        if not times[key]:
            continue
        walls = [s.wall for s in times[key]]
        medians[key] = statistics.median(walls)
        sampled = not key.startswith("e")          # watch's what-ifs: wall time only
        usage = (f"{statistics.median(s.cpu for s in times[key]):.1f} | {max(s.peak_process for s in times[key]):.0f} / "
                 f"{max(s.peak_tree for s in times[key]):.0f}") if sampled else "– | –"
        print(f"| ({key}) {label} | {medians[key]:.1f} | {min(walls):.1f}–{max(walls):.1f} | {usage} | "
              f"{statistics.median(s.load for s in times[key]):.2f} |")
    if times["b"]:
        paired = statistics.median(b.wall / a.wall for a, b in zip(times["a"], times["b"]))
        print(f"\nratio b/a (how many times faster the build is than the hand-run pipeline): "
              f"{medians['b'] / medians['a']:.2f} from the medians; {paired:.2f} as the median of each round's ratio "
              "(a and b ran back to back)")


if __name__ == "__main__":
    main()
