"""What-ifs in `watch`, two checkouts interleaved (run by hand, not a test): the paired measurement of (e1) for a
machine whose pace drifts by 10-80% within minutes.

    git worktree add /tmp/base <commit>
    .venv/bin/python benchmarks/ab_watch.py /tmp/base . [--rounds 3] [--what-ifs 8] [--parameter NAME]

Each round starts one `watch --params FILE` process per checkout (`PYTHONPATH` set to it: the venv's .pth file would
otherwise import this checkout's package), waits for both first builds, then makes the what-ifs one checkout after
the other, a second apart, the first of each pair alternating between them: the two processes live through the same
minutes, so a drift of the machine's pace reaches both (the ninth stop found whole `watch` sessions run one after the
other 10-20% apart by their position alone). A what-if rewrites the checkout's FILE with a new value of the parameter
(default: the one all six notebooks read); its wall time runs from the rewrite to watch's "built" line, its CPU is
the process tree's (psutil: user + system, from just before the rewrite to 0.3 s after the line). Per round and
checkout it prints the first what-if and the median and range of the others, and the median CPU; then the median of
the paired differences (B - A, the first what-ifs left out) over all rounds. Everything goes to a temporary folder;
no cache or report of either checkout is touched."""
from __future__ import annotations

import argparse
import contextlib
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


class Watched:
    """One checkout's `watch` process, started in `folder`, with its what-ifs measured."""

    def __init__(self, checkout: Path, folder: Path) -> None:
        self.checkout = checkout
        self.values = folder / "values.yaml"
        self.values.write_text("description: benchmark\nvalues: {}\n")
        env = {**os.environ, "PYTHONPATH": str(checkout), cache.CACHE_DIR_ENV: str(folder / "cache")}
        self.child = subprocess.Popen([sys.executable, "-m", "analysis", "watch", "--out", str(folder / "out"),
                                       "--params", str(self.values)], env=env, cwd=checkout, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        self.process = psutil.Process(self.child.pid)
        self.walls: list[float] = []
        self.cpus: list[float] = []

    def built(self) -> None:
        assert self.child.stdout is not None
        line = self.child.stdout.readline()
        if not line.startswith("built "):
            raise SystemExit(f"{self.checkout}: watch printed {line!r}, not a built line")

    def what_if(self, name: str, value: float) -> None:
        before, start = tree_cpu(self.process), time.perf_counter()
        self.values.write_text(f"description: benchmark\nvalues:\n  {name}: {{value: {value!r}, why: benchmark}}\n")
        self.built()
        self.walls.append(time.perf_counter() - start)
        time.sleep(0.3)
        self.cpus.append(tree_cpu(self.process) - before)

    def stop(self) -> None:
        self.child.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.child.wait(timeout=30)


def measure(checkouts: list[Path], name: str, what_ifs: int) -> list[Watched]:
    """One round: both checkouts' `watch` alive, their what-ifs interleaved."""
    p = params.schema()[name]
    with tempfile.TemporaryDirectory(prefix="ab-watch-") as tmp:
        watched = []
        try:
            for i, checkout in enumerate(checkouts):
                (Path(tmp) / str(i)).mkdir()
                watched.append(Watched(checkout, Path(tmp) / str(i)))
            for w in watched:
                w.built()
            for i in range(what_ifs):
                value = p.default + (p.maximum - p.default) * (i + 1) / (what_ifs + 2)
                for w in watched if i % 2 == 0 else watched[::-1]:
                    time.sleep(1.0)
                    w.what_if(name, value)
        finally:
            for w in watched:
                w.stop()
    return watched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs=2, type=Path, help="the two checkouts (A, then B)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of watch processes (default 3)")
    parser.add_argument("--what-ifs", type=int, default=8, help="what-ifs per watch process (default 8)")
    parser.add_argument("--parameter", default="trainium_unit_cost_usd", help="the parameter each what-if moves")
    args = parser.parse_args()
    differences: list[float] = []
    for _ in range(args.rounds):
        a, b = measure([c.resolve() for c in args.checkouts], args.parameter, args.what_ifs)
        for w, checkout in zip((a, b), args.checkouts):
            later = w.walls[1:] or w.walls
            print(f"{checkout}: first {w.walls[0]:.2f} s; later median {statistics.median(later):.2f} s "
                  f"({min(later):.2f}-{max(later):.2f}); CPU median {statistics.median(w.cpus):.2f} CPU-s per what-if",
                  flush=True)
        differences += [y - x for x, y in zip(a.walls[1:], b.walls[1:])]
    if differences:
        print(f"B - A, paired what-ifs after the first: median {statistics.median(differences):+.2f} s "
              f"({sum(d < 0 for d in differences)} of {len(differences)} pairs faster in B)")


if __name__ == "__main__":
    main()
