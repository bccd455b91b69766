"""Replay a synthetic trace of training jobs through :class:`warmpool.WarmPoolEmulator`.

Usage::

    python benchmarks/replay.py N [--identities 300] [--seed 0] [--describe] [--memory] [--retire]

The trace: ``--identities`` job "identities" (teams re-running the same cluster configuration:
one role, instance type, instance count and volume size each), spread over four instance types,
instance counts 1-4 and five roles. Each identity is a sequential stream of jobs: the next job of
an identity is created a random gap after the previous one ends. Most gaps (95 %) are 0-600 s,
well inside the 1800 s keep-alive, so the job takes over the warm pool its predecessor left; the
rest are 1-3 h, so the pool has expired and the job starts cold. Training lasts 5-60 min (a
:class:`~warmpool.JobPlan` from the workload hook); 3 % of jobs fail with ``AlgorithmError``
(the pool is still kept) and 1 % with ``InternalServerError`` (it is not). Every job has a unique
name and its own hyperparameters.

The trace is generated lazily, in time order, from a heap of per-identity next-create times and
one ``random.Random(seed)``: it never reads the wall clock or the global RNG, so a seed always
gives the same trace and the same emulator results. A job's end is known exactly when it is
created (its training time is drawn then, and whether it started warm is read from the
``JobCreated`` event), so the identity's next create time is pushed right away.

``--retire`` builds the emulator with ``retain_finished=False`` (finished jobs are retired,
their billing kept as totals) and ``event_log_maxlen=RETIRE_EVENT_LOG`` (a handful of the newest
events): what a long replay needs for its memory to follow the jobs alive at once, not the jobs
created. The driver then reads each create's ``JobCreated`` and ``PoolReused`` from the tail of
the log (a create adds exactly those two events, or the first alone) instead of by position.

Output (stdout, ``key: value`` lines): the machine, N, wall seconds, jobs/s, the reuse count and
ratio (``PoolReused`` events / N), the peak RSS growth per job (``ru_maxrss``), the process's
peak RSS and, with ``--memory``, the ``tracemalloc`` peak and retained bytes per job of a
second, separate run (``tracemalloc`` slows Python down several times, so it is never part of
the timed run).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from random import Random
from typing import Any, Final, NamedTuple

from warmpool import JobPlan, Quota, Timing, WarmPoolEmulator
from warmpool.events import JobCreated, PoolReused

__all__ = [
    "Driven",
    "ReplayResult",
    "Trace",
    "drive",
    "main",
    "make_trace",
    "replay",
    "result_lines",
]

INSTANCE_TYPES: Final = ("ml.m5.xlarge", "ml.c5.2xlarge", "ml.g5.xlarge", "ml.p3.2xlarge")
ROLES: Final = tuple(
    f"arn:aws:iam::123456789012:role/{name}"
    for name in ("SageMakerRole", "MLTeamA", "MLTeamB", "ResearchRole", "BatchTraining")
)
VOLUME_SIZES: Final = (30, 50, 100, 200)
KEEP_ALIVE: Final = 1800
TIMING: Final = Timing(cold_start_seconds=180, warm_start_seconds=20)
#: Generous: 300 identities of at most 4 instances never come close (pools are always kept).
WARM_POOL_QUOTA: Final = 100_000
#: ``event_log_maxlen`` with ``--retire``: room for the two events a create adds, and more.
RETIRE_EVENT_LOG: Final = 8

SHORT_GAP: Final = (0, 600)  # seconds; well inside KEEP_ALIVE
LONG_GAP: Final = (3600, 3 * 3600)  # seconds; the pool has expired
LONG_GAP_SHARE: Final = 0.05
TRAINING: Final = (5 * 60, 60 * 60)  # seconds
ALGORITHM_ERROR_SHARE: Final = 0.03
INTERNAL_ERROR_SHARE: Final = 0.01

IMAGE: Final = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:{}"
LEARNING_RATES: Final = ("0.1", "0.03", "0.01", "0.003", "0.001", "0.0003", "0.0001")
BATCH_SIZES: Final = ("16", "32", "64", "128", "256", "512")
OPTIMIZERS: Final = ("sgd", "adam", "adamw", "adagrad")


class Identity(NamedTuple):
    """One stream of jobs that all share an identity key."""

    number: int
    role: str
    instance_type: str
    instance_count: int
    volume_size: int
    image: str
    output: str


class ReplayResult(NamedTuple):
    """What one replay measured."""

    jobs: int
    seconds: float
    #: CPU seconds of the process over the same span (``time.process_time``): unlike
    #: ``seconds``, not stretched by the time other processes hold the CPU.
    cpu_seconds: float
    reused: int
    #: Jobs that took over a warm pool (the rest launched a new cluster).
    warm: int
    failed: int
    end_time: float
    rss_growth_kib: int

    @property
    def cold(self) -> int:
        return self.jobs - self.warm

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds if self.seconds > 0 else float("inf")

    @property
    def reuse_ratio(self) -> float:
        return self.reused / self.jobs if self.jobs else 0.0


def make_identities(count: int, rng: Random) -> list[Identity]:
    """``count`` identities spread over the instance types, counts 1-4, roles and volumes."""
    return [
        Identity(
            number=index,
            role=rng.choice(ROLES),
            instance_type=INSTANCE_TYPES[index % len(INSTANCE_TYPES)],
            instance_count=rng.randint(1, 4),
            volume_size=rng.choice(VOLUME_SIZES),
            image=IMAGE.format(f"v{rng.randint(1, 9)}"),
            output=f"s3://ml-artifacts-{index % 17}/team-{index}/output",
        )
        for index in range(count)
    ]


def make_request(identity: Identity, name: str, rng: Random) -> dict[str, Any]:
    """A ``CreateTrainingJob`` request of ``identity`` with hyperparameters of its own."""
    return {
        "TrainingJobName": name,
        "RoleArn": identity.role,
        "AlgorithmSpecification": {
            "TrainingImage": identity.image,
            "TrainingInputMode": "File",
        },
        "HyperParameters": {
            "epochs": str(rng.randint(1, 50)),
            "learning_rate": rng.choice(LEARNING_RATES),
            "batch_size": rng.choice(BATCH_SIZES),
            "optimizer": rng.choice(OPTIMIZERS),
            "dropout": f"{rng.random() * 0.5:.3f}",
            "seed": str(rng.randrange(1 << 31)),
        },
        "OutputDataConfig": {"S3OutputPath": identity.output},
        "ResourceConfig": {
            "InstanceType": identity.instance_type,
            "InstanceCount": identity.instance_count,
            "VolumeSizeInGB": identity.volume_size,
            "KeepAlivePeriodInSeconds": KEEP_ALIVE,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


def make_plan(rng: Random) -> JobPlan:
    """Training time and outcome of one job."""
    seconds = rng.randint(*TRAINING)
    draw = rng.random()
    if draw < INTERNAL_ERROR_SHARE:
        return JobPlan(seconds, "InternalServerError", "The instance became unhealthy.")
    if draw < INTERNAL_ERROR_SHARE + ALGORITHM_ERROR_SHARE:
        return JobPlan(seconds, "AlgorithmError", "ExecuteUserScriptError: exit status 1")
    return JobPlan(seconds)


def next_gap(rng: Random) -> int:
    """Seconds from a job's end to its identity's next create."""
    if rng.random() < LONG_GAP_SHARE:
        return rng.randint(*LONG_GAP)
    return rng.randint(*SHORT_GAP)


def _max_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


def warm_up() -> None:
    """Pay the one-off costs (the request validator is compiled on first use, regular
    expressions on first match) outside the measured run: create and describe one job."""
    rng = Random(-1)
    identity = make_identities(1, rng)[0]
    emu = WarmPoolEmulator(quotas={identity.instance_type: Quota(warm_pool=WARM_POOL_QUOTA)})
    emu.create_training_job(**make_request(identity, "warm-up", rng))
    emu.describe_training_job(TrainingJobName="warm-up")


class Trace(NamedTuple):
    """The trace's state before its first job: the RNG, the identities and the heap of
    (next create time, identity index). Build it with :func:`make_trace`."""

    rng: Random
    streams: list[Identity]
    heap: list[tuple[float, int]]


def make_trace(identities: int = 300, seed: int = 0) -> Trace:
    """The synthetic trace of ``seed``: ``identities`` streams, each with its first create
    time drawn in the first hour."""
    rng = Random(seed)
    streams = make_identities(identities, rng)
    # (next create time, identity index): ties break by index, so the order is deterministic.
    heap: list[tuple[float, int]] = [(rng.randint(0, 3600), index) for index in range(identities)]
    heapq.heapify(heap)
    return Trace(rng, streams, heap)


class Driven(NamedTuple):
    """What :func:`drive` counted."""

    failed: int
    warm: int
    last_end: float


#: ``create(request, plan)``: create the job of ``request``, which will train as ``plan``
#: says; True if it took over a warm pool (starts warm), False if it launches a new cluster.
Create = Callable[[dict[str, Any], JobPlan], bool]


def drive(trace: Trace, n: int, run_until: Callable[[float], object], create: Create) -> Driven:
    """The driver loop shared by the emulator replay and the plain-loop baseline: take ``n``
    jobs from ``trace`` in time order; for each, ``run_until(create time)``, then ``create``.
    It uses the trace up (its RNG and heap move on): make a new one for each run.

    Whether a job started warm fixes its end (create time + warm or cold start + training
    time), from which the gap to its identity's next create is counted. Returns the failures
    planned, the warm starts and the last job's end; the caller then runs its clock past
    ``last_end + KEEP_ALIVE`` so that every pool expires.
    """
    rng, streams, heap = trace
    pop, push = heapq.heappop, heapq.heappush
    cold, warm = TIMING.cold_start_seconds, TIMING.warm_start_seconds
    failed = warm_starts = 0
    last_end = 0.0
    for seq in range(n):
        at, index = pop(heap)
        name = f"job-{index:04d}-{seq:08d}"
        plan = make_plan(rng)
        failed += plan.failure_class is not None
        request = make_request(streams[index], name, rng)
        run_until(at)
        if create(request, plan):
            warm_starts += 1
            end = at + warm + plan.training_seconds
        else:
            end = at + cold + plan.training_seconds
        if end > last_end:
            last_end = end
        push(heap, (end + next_gap(rng), index))
    return Driven(failed, warm_starts, last_end)


def replay(
    n: int,
    *,
    identities: int = 300,
    seed: int = 0,
    describe: bool = False,
    warm_pool_quota: int = WARM_POOL_QUOTA,
    on_done: Callable[[WarmPoolEmulator], object] | None = None,
    retire: bool = False,
) -> ReplayResult:
    """Create ``n`` jobs of the synthetic trace, then run until every pool has expired.

    ``warm_pool_quota`` is each instance type's warm pool quota (instances); the default never
    binds. ``on_done(emulator)`` is called at the end, after the clock stops, while the
    emulator is still alive (for example to take a ``tracemalloc`` snapshot of what it holds).
    ``retire``: ``retain_finished=False`` and a bounded event log (see the module's notes).
    """
    trace = make_trace(identities, seed)
    plans: dict[str, JobPlan] = {}

    def workload(request: Mapping[str, Any]) -> JobPlan:
        return plans.pop(request["TrainingJobName"])

    warm_up()
    gc.collect()
    rss_before = _max_rss_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    emu = WarmPoolEmulator(
        quotas={itype: Quota(warm_pool=warm_pool_quota) for itype in INSTANCE_TYPES},
        workload=workload,
        timing=TIMING,
        event_log_maxlen=RETIRE_EVENT_LOG if retire else None,
        retain_finished=not retire,
    )
    events = emu.events
    create_job = emu.create_training_job
    describe_job = emu.describe_training_job
    reuses = 0  # PoolReused events seen in the log's tail (--retire)

    def create(request: dict[str, Any], plan: JobPlan) -> bool:
        nonlocal reuses
        name = request["TrainingJobName"]
        plans[name] = plan
        if retire:
            create_job(**request)
            tail = events[-2:]
            created = tail[-1]
            if isinstance(created, PoolReused):
                assert created.by_job == name
                reuses += 1
                created = tail[-2]
        else:
            logged = len(events)
            create_job(**request)
            created = events[logged]
        assert isinstance(created, JobCreated) and created.job == name
        if describe:
            describe_job(TrainingJobName=name)
        return created.cluster is not None

    failed, warm, last_end = drive(trace, n, emu.run_until, create)
    emu.run_until(last_end + KEEP_ALIVE + 1)  # every job released, every pool expired
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_growth = _max_rss_kib() - rss_before
    if on_done is not None:
        on_done(emu)
    reused = reuses if retire else len(events.of_type(PoolReused))
    return ReplayResult(n, seconds, cpu_seconds, reused, warm, failed, emu.now, rss_growth)


def traced_replay(
    n: int, *, identities: int = 300, seed: int = 0, describe: bool = False, retire: bool = False
) -> tuple[int, int]:
    """``tracemalloc`` bytes of one replay: (peak, held at the end with the emulator alive),
    both taken before the reuse count (which builds an event per reuse) is computed.

    They are counted from the start of the replay, so they include the trace generator's own
    (small, O(identities)) state.
    """
    measured: list[tuple[int, int]] = []

    def measure(_: WarmPoolEmulator) -> None:
        measured.append(tracemalloc.get_traced_memory())

    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        replay(
            n, identities=identities, seed=seed, describe=describe, on_done=measure, retire=retire
        )
    finally:
        tracemalloc.stop()
    held, peak = measured[0]
    return peak - base, held - base


def machine_summary() -> str:
    """One line: Python version and implementation, platform, CPU count."""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}, {os.cpu_count()} CPUs"
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replay.py",
        description="Replay a synthetic trace of N training jobs through WarmPoolEmulator.",
    )
    parser.add_argument("n", type=_positive, help="number of training jobs to create")
    parser.add_argument(
        "--identities", type=_positive, default=300, help="job streams (default 300)"
    )
    parser.add_argument("--seed", type=int, default=0, help="trace seed (default 0)")
    parser.add_argument(
        "--describe", action="store_true", help="describe each job once after creating it"
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also measure tracemalloc bytes per job (a second, untimed run)",
    )
    parser.add_argument(
        "--retire",
        action="store_true",
        help=(
            "retain_finished=False and a bounded event log: memory follows the jobs alive at "
            "once, not the jobs created"
        ),
    )
    return parser


def result_lines(result: ReplayResult, identities: int, seed: int) -> list[str]:
    """The ``key: value`` lines both ``replay.py`` and ``baseline.py`` print for a run."""
    n = result.jobs
    return [
        f"machine: {machine_summary()}",
        f"jobs: {n}",
        f"identities: {identities}",
        f"seed: {seed}",
        f"wall_seconds: {result.seconds:.3f}",
        f"cpu_seconds: {result.cpu_seconds:.3f}",
        f"jobs_per_second: {result.jobs_per_second:.0f}",
        f"reused: {result.reused}",
        f"reuse_ratio: {result.reuse_ratio:.4f}",
        f"warm_starts: {result.warm}",
        f"cold_starts: {result.cold}",
        f"failed: {result.failed}",
        f"end_seconds: {result.end_time:.3f}",
        f"simulated_days: {result.end_time / 86400:.1f}",
        f"peak_rss_growth_kib: {result.rss_growth_kib}",
        f"peak_rss_growth_per_job: {result.rss_growth_kib * 1024 / n:.0f} bytes",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    n: int = args.n
    options: dict[str, Any] = {
        "identities": args.identities,
        "seed": args.seed,
        "describe": args.describe,
        "retire": args.retire,
    }
    result = replay(n, **options)
    peak_rss = _max_rss_kib()
    lines = result_lines(result, args.identities, args.seed)
    lines.insert(4, f"describe: {'yes' if args.describe else 'no'}")
    lines.insert(5, f"retire: {'yes' if args.retire else 'no'}")
    lines.append(f"peak_rss_kib: {peak_rss}")
    if args.memory:
        peak, retained = traced_replay(n, **options)
        lines += [
            f"tracemalloc_peak_per_job: {peak / n:.0f} bytes",
            f"tracemalloc_retained_per_job: {retained / n:.0f} bytes",
        ]
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
