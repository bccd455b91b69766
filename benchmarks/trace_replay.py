"""Replay a CSV trace of N training jobs with ``warmpool.sim`` and print time and memory.

    python benchmarks/trace_replay.py N [--identities 300] [--seed 0] [--keep FILE]

First it writes a synthetic trace of ``N`` jobs to a temporary CSV file (not timed; ``--keep
FILE`` writes it there and leaves it), then, timed, it does what ``warmpool replay FILE`` does:
``load_trace`` (which checks every row) and ``replay`` (every job through the emulator, then
the clock runs until the last warm pool has ended). It prints ``key: value`` lines: the wall
and CPU seconds of the load and of the replay, jobs per second, the report's warm and cold
starts, and the process's peak RSS (``ru_maxrss``) before the load and at the end.

The trace: ``--identities`` job streams (300), each with one role (of 5), instance type (of 4),
instance count (1-4) and volume; each stream submits its next job a random gap after its
previous job would end on a cold start (so the trace does not depend on the replay): 95 % of the
gaps 0-600 s, well inside the 1800 s keep-alive, 5 % 1-3 h; training 5-60 min; 3 %
``AlgorithmError``, 1 % ``InternalServerError``, 1 % ``Stopped``. One ``random.Random(seed)``:
the same seed gives the same file and the same report.

The issue "Replay whole workloads" asks for a 1M-job CSV trace in under 40 s with a peak RSS
under 300 MiB, and a peak RSS at 1M within 20 % of the peak at 100k: see docs/performance.md.
"""

from __future__ import annotations

import argparse
import heapq
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from random import Random

from warmpool.sim import TraceJob, load_trace, replay, write_trace

ROLES = tuple(f"arn:aws:iam::123456789012:role/team-{name}" for name in "abcde")
INSTANCE_TYPES = ("ml.m5.xlarge", "ml.g5.xlarge", "ml.g5.2xlarge", "ml.p3.2xlarge")
KEEP_ALIVE = 1800
COLD_START = 180


def jobs(n: int, identities: int, seed: int) -> Iterator[TraceJob]:
    """The synthetic trace, in submit order."""
    rng = Random(seed)
    streams = [
        (
            rng.choice(ROLES),
            INSTANCE_TYPES[index % len(INSTANCE_TYPES)],
            rng.randint(1, 4),
            rng.choice((30, 50, 100)),
        )
        for index in range(identities)
    ]
    heap = [(float(rng.randint(0, 3600)), index) for index in range(identities)]
    heapq.heapify(heap)
    for _ in range(n):
        at, index = heapq.heappop(heap)
        role, instance_type, count, volume = streams[index]
        training = rng.randint(300, 3600)
        draw = rng.random()
        outcome = (
            "InternalServerError"
            if draw < 0.01
            else "AlgorithmError"
            if draw < 0.04
            else "Stopped"
            if draw < 0.05
            else "Completed"
        )
        yield TraceJob(
            submit_time=at,
            instance_type=instance_type,
            training_seconds=training,
            role_arn=role,
            instance_count=count,
            volume_size_gb=volume,
            keep_alive_seconds=KEEP_ALIVE,
            outcome=outcome,
        )
        gap = rng.randint(3600, 10800) if rng.random() < 0.05 else rng.randint(0, 600)
        heapq.heappush(heap, (at + COLD_START + training + gap, index))


def _max_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="jobs in the trace")
    parser.add_argument("--identities", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write the trace here and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "trace.csv"
        write_trace(path, jobs(args.n, args.identities, args.seed))
        size = path.stat().st_size
        rss_before = _max_rss_mib()
        wall, cpu = time.perf_counter(), time.process_time()
        trace = load_trace(path)
        load_wall, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
        report = replay(trace)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"machine: {platform.python_implementation()} {platform.python_version()}")
    print(f"jobs: {args.n}")
    print(f"trace_bytes: {size}")
    print(f"load_seconds: {load_wall:.3f} (cpu {load_cpu:.3f})")
    print(f"wall_seconds: {wall:.3f}")
    print(f"cpu_seconds: {cpu:.3f}")
    print(f"jobs_per_second: {args.n / wall:.0f}")
    print(f"warm_starts: {report.warm_starts}")
    print(f"cold_starts: {report.cold_starts}")
    print(f"end_seconds: {report.end_seconds:.3f}")
    print(f"peak_rss_before_mib: {rss_before:.1f}")
    print(f"peak_rss_mib: {_max_rss_mib():.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
