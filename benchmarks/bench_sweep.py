"""Time `python -m analysis sweep` (analysis.pipeline.sweep_executor.run, the code the command runs) on a seeded random
sample.

Run from the repo root: `.venv/bin/python benchmarks/bench_sweep.py [--sets N] [--sections erosion,...]
[--mc-draws D] [--modes local1,local2,dask2] [--save TABLE.csv]`. Each mode runs the same sets: `localW` a local process pool of W
workers (W = 1 runs in this process), `daskW` a Dask LocalCluster of W single-threaded worker processes. It prints
wall time, sets per second and the CPU time of the process tree per mode (this process, plus its descendants as
sampled every 0.2 s: on a busy machine, sets per CPU-second show the cost whatever the load), checks that every
mode gave the same table, and prints the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import resource
import threading
import tempfile
import time
from pathlib import Path

import psutil

from analysis import data
from analysis.pipeline import sweep_executor, sweep_spec

PARAMETERS = {"trainium_ceiling": [0.3, 0.7], "trainium_midpoint": [2026.0, 2029.0],
              "capex_growth_scale": [0.8, 1.2], "accelerator_share_change": [0.8, 1.25]}


def sweep_file(folder: Path, sets: int, sections: list[str], mc_draws: int | None) -> Path:
    ranges = ", ".join(f"{k}: [{lo}, {hi}]" for k, (lo, hi) in PARAMETERS.items())
    fixed = f"fixed: {{mc_draws: {mc_draws}}}\n" if mc_draws else ""
    path = folder / "bench.yaml"
    path.write_text(f"description: benchmark sample\nsections: [{', '.join(sections)}]\n{fixed}"
                    f"sample:\n  n: {sets}\n  seed: 1\n  ranges: {{{ranges}}}\n", encoding="utf-8")
    return path


class TreeCPU(threading.Thread):
    """CPU seconds used by this process and its descendants while running (descendants sampled every 0.2 s)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.last, self.first = threading.Event(), {}, {}
        self.own = self._own()
        self._sample()
        self.first = dict(self.last)        # what processes alive at the start had used already

    @staticmethod
    def _own() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def _sample(self) -> None:
        for child in psutil.Process().children(recursive=True):
            try:
                t = child.cpu_times()
                self.last[child.pid] = t.user + t.system
            except psutil.Error:
                pass

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self._sample()

    def seconds(self) -> float:
        self.stop.set()
        self.join()
        children = sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())
        return self._own() - self.own + children


def timed(mode: str, s: sweep_spec.Sweep, ds) -> tuple[float, float, object]:
    """Wall seconds of the sweep, CPU seconds of the process tree (cluster start-up included), and the table."""
    workers = int(mode.removeprefix("local").removeprefix("dask"))
    cpu = TreeCPU()
    cpu.start()
    start = time.perf_counter()
    if mode.startswith("local"):
        rows = sweep_executor.run(s, ds, "local", workers)
        wall = time.perf_counter() - start
    else:
        import distributed
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            start = time.perf_counter()      # the cluster's start-up is not the sweep's wall time
            rows = sweep_executor.run(s, ds, cluster.scheduler_address.replace("tcp://", "dask://"))
            wall = time.perf_counter() - start
    return wall, cpu.seconds(), sweep_executor.table(s, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=1000)
    parser.add_argument("--sections", default="summary,portfolio,erosion")
    parser.add_argument("--mc-draws", type=int, help="Monte Carlo draws per set (default: the parameter's default)")
    parser.add_argument("--modes", default="local1,local2,dask2")
    parser.add_argument("--save", type=Path, help="write the first mode's table here as CSV (as sweep.csv), e.g. to "
                                                  "compare it byte for byte with another commit's")
    args = parser.parse_args()
    ds = data.load_dataset()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        s = sweep_spec.load(sweep_file(Path(folder), args.sets, args.sections.split(","), args.mc_draws), ds)
    tables = {}
    for mode in args.modes.split(","):
        seconds, cpu, tables[mode] = timed(mode, s, ds)
        failed = int((tables[mode]["status"] == "failed").sum())
        print(f"{mode}: {len(s.sets)} sets ({failed} failed) in {seconds:.1f} s = {len(s.sets) / seconds:.2f} sets/s; "
              f"CPU {cpu:.1f} s = {len(s.sets) / cpu:.2f} sets per CPU-second; load {os.getloadavg()[0]:.2f}", flush=True)
    first = next(iter(tables.values()))
    print("identical tables:", all(t.equals(first) for t in tables.values()))
    if args.save:
        first.to_csv(args.save, index=False, lineterminator="\n")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
