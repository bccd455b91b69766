"""Sweep a CSV trace of N jobs over several keep-alives with 1 worker, then 2, and print the
times and the speed-up.

    python benchmarks/sweep.py N [--settings 0,60,...] [--rounds 3] [--identities 300] [--seed 0]

First it writes the synthetic trace of ``trace_replay.py`` (N jobs) to a temporary CSV file (not
timed). Then, ``--rounds`` times, it runs ``warmpool.sim.sweep(path, settings, workers=1)`` (one
replay after another, in this process) and ``sweep(path, settings, workers=2)`` (two worker
processes, started with ``spawn``, each loading the trace once), alternately, so that a change
in the machine's load falls on both. Each time covers the whole call: loading (checking) the
trace here, starting the processes, every replay. It checks that both give the same rows and
prints ``key: value`` lines: every time, the medians and the speed-up (the median with 1 worker
over the median with 2), the share of the CPUs each run had (CPU seconds of this process and
its workers over wall seconds, per worker: well under 1 means other processes held the CPUs)
and the load average before and after.

The issue "Sweeps" asks for a sweep of 8 settings over a 100k-job trace with 1 and 2 workers:
see docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from trace_replay import jobs

from warmpool.sim import write_trace
from warmpool.sim.sweep import sweep

#: Eight keep-alives, from none to AWS's maximum.
SETTINGS = "0,60,300,600,900,1800,2700,3600"


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its worker processes that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("n", type=int, help="jobs in the trace")
    parser.add_argument("--settings", default=SETTINGS, help=f"keep-alives (default {SETTINGS})")
    parser.add_argument("--rounds", type=int, default=3, help="times each is run (default 3)")
    parser.add_argument("--identities", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    settings = [int(part) for part in args.settings.split(",")]
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    load_before = os.getloadavg()[0]
    same = True
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "trace.csv"
        write_trace(path, jobs(args.n, args.identities, args.seed))
        rows: dict[int, list[dict[str, object]]] = {}
        for _ in range(args.rounds):
            for workers in (1, 2):
                start, used = time.perf_counter(), _cpu_seconds()
                result = sweep(path, settings, workers=workers)
                times[workers].append(time.perf_counter() - start)
                cpu[workers].append(_cpu_seconds() - used)
                reports = [row.report.to_dict() for row in result.rows]
                same = same and rows.setdefault(workers, reports) == reports
                rows[workers] = reports
        same = same and rows[1] == rows[2]
        cold = [str(report["cold_starts"]) for report in rows[1]]
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"machine: {platform.python_implementation()} {platform.python_version()}")
    print(f"jobs: {args.n}")
    print(f"settings: {','.join(map(str, settings))}")
    print(f"rounds: {args.rounds}")
    print(f"cold_starts: {','.join(cold)}")
    print(f"same_rows: {same}")
    for workers in (1, 2):
        print(f"workers_{workers}_runs: {', '.join(f'{t:.2f}' for t in times[workers])}")
        print(f"workers_{workers}_seconds: {statistics.median(times[workers]):.2f}")
        # CPU seconds of this process and its worker processes over wall seconds, per worker:
        # well under 1 means other processes held the CPUs.
        shares = [c / t / workers for c, t in zip(cpu[workers], times[workers], strict=True)]
        print(f"workers_{workers}_cpu_share: {', '.join(f'{s:.2f}' for s in shares)}")
    print(f"speed_up: {one / two:.2f}")
    print(f"load_average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
