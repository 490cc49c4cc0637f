"""What-ifs in `watch`, two checkouts alternately (run by hand, not a test): the paired measurement behind
benchmarks/README.md's eighth stop, for a machine whose pace drifts by 10-30% within a session.

    git worktree add /tmp/base <commit>
    .venv/bin/python benchmarks/ab_watch.py /tmp/base . [--rounds 3] [--what-ifs 8] [--parameter NAME]

Each round starts one `watch --params FILE` process per checkout in turn (`PYTHONPATH` set to it: the venv's .pth
file would otherwise import this checkout's package), waits for its first build, then rewrites FILE with a new value
of the parameter (default: the one all six notebooks read) the given number of times, a second apart. Per process it
prints the first what-if and the median and range of the others (wall time from the rewrite to watch's "built"
line), and the median CPU of the process tree per what-if (psutil: user + system, from just before the rewrite to
0.3 s after the line). Everything goes to a temporary folder; no cache or report of either checkout is touched."""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from analysis.data import params
from analysis.pipeline import cache


def tree_cpu(process: psutil.Process) -> float:
    """User + system seconds of `process` and its children."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def measure(checkout: Path, name: str, what_ifs: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of each what-if in one `watch` of `checkout`."""
    p = params.schema()[name]
    with tempfile.TemporaryDirectory(prefix="ab-watch-") as tmp:
        folder = Path(tmp)
        values = folder / "values.yaml"
        values.write_text("description: benchmark\nvalues: {}\n")
        env = {**os.environ, "PYTHONPATH": str(checkout), cache.CACHE_DIR_ENV: str(folder / "cache")}
        child = subprocess.Popen([sys.executable, "-m", "analysis", "watch", "--out", str(folder / "out"), "--params",
                                  str(values)], env=env, cwd=checkout, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        assert child.stdout is not None
        process = psutil.Process(child.pid)

        def built() -> None:
            line = child.stdout.readline()
            if not line.startswith("built "):
                raise SystemExit(f"{checkout}: watch printed {line!r}, not a built line")
        walls, cpus = [], []
        try:
            built()
            for i in range(what_ifs):
                time.sleep(1.0)
                value = p.default + (p.maximum - p.default) * (i + 1) / (what_ifs + 2)
                before, start = tree_cpu(process), time.perf_counter()
                values.write_text(f"description: benchmark\nvalues:\n  {name}: {{value: {value!r}, why: benchmark}}\n")
                built()
                walls.append(time.perf_counter() - start)
                time.sleep(0.3)
                cpus.append(tree_cpu(process) - before)
        finally:
            child.send_signal(signal.SIGINT)
            child.wait()
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs=2, type=Path, help="the two checkouts (A, then B)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of watch processes (default 3)")
    parser.add_argument("--what-ifs", type=int, default=8, help="what-ifs per watch process (default 8)")
    parser.add_argument("--parameter", default="trainium_unit_cost_usd", help="the parameter each what-if moves")
    args = parser.parse_args()
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            walls, cpus = measure(checkout.resolve(), args.parameter, args.what_ifs)
            later = walls[1:] or walls
            print(f"{checkout}: first {walls[0]:.2f} s; later median {statistics.median(later):.2f} s "
                  f"({min(later):.2f}-{max(later):.2f}); CPU median {statistics.median(cpus):.2f} CPU-s per what-if",
                  flush=True)


if __name__ == "__main__":
    main()
