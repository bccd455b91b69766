"""What single API calls cost as the emulator grows: describe, list pages, event reads, totals.

Usage::

    python benchmarks/api_costs.py [--sizes 10000,30000,100000] [--repeat 5] [--seed 0]
                                   [--budget 60]

For each size N it builds an emulator holding N jobs in a realistic mix of states, the state
a long simulation leaves: the synthetic trace of ``replay.py`` (``make_trace`` / ``drive``,
300 identities) is driven up to its N-th create and stopped there, without running the clock
on, so most jobs are ``Completed`` (their pools ``Reused`` or ``Terminated``), 4 % ``Failed``,
the newest ones of each identity ``InProgress`` (``Starting`` or ``Training``) or just ended
with an ``Available`` pool; 1 % of the jobs (drawn by a second RNG of the same seed) are
stopped right after their create, so ``Stopped`` jobs are there too. Then it times single
calls against that emulator by two clocks at once, ``time.perf_counter`` (wall time) and
``time.process_time`` (the process's CPU time, which other processes sharing the machine do not
stretch), and prints the median of ``--repeat`` repeats by each. A repeat of a per-call measure
runs 4 batches of calls, each long enough (0.05 s) that the timers' own cost does not count,
and keeps the fastest batch's time per call (the others were slowed by something else); a walk
is timed once per repeat, as a whole, and a first call once per size. The measures:

- ``describe_random_us``: ``describe_training_job`` of a job drawn at random among all N
  (each call another job); ``describe_finished_us`` and ``describe_running_us``: the same
  ``Completed`` job, and the same ``InProgress`` one, again and again (a client polling one
  job);
- ``list_first_call_ms``: the very first ``ListTrainingJobs`` call on the emulator (once per
  size, not repeated: it is where an emulator that keeps listing indexes builds them);
  ``list_first_page_us``: the first page (``MaxResults=100``, no filter) from then on;
- ``walk_<SortBy>_ms`` and ``walk_<SortBy>_us_per_job``: every job, page after page of
  ``MaxResults=100`` by ``NextToken``, for ``SortBy`` ``Name``, ``CreationTime`` and
  ``Status``; ``walk_completed_ms`` (``StatusEquals="Completed"``) and
  ``walk_name_contains_ms`` (``NameContains="job-004"``: the jobs of 10 identities of 300,
  about 3 %), each a filtered walk with the default sort; the number of jobs and pages each
  walk returned is printed once per size (and must be the same in every repeat);
- ``events_last_10_us``, ``events_last_1000_us``, ``events_middle_us``: ``events[-10:]``,
  ``events[-1000:]`` and ``events[len // 2]``; ``for_job_first_ms``: the first
  ``events.for_job(name)`` call on the emulator (once per size: it is where a log that keeps
  an index by job builds it); ``for_job_us``: later calls, each for another random job;
- ``events_len_us`` (``len(events)``) and ``billing_total_ms`` (``emu.billing.total()``).

A measure that the emulator under test cannot run (an older version without the method it
calls) prints ``n/a``, and the ``unavailable`` line says why. A walk that takes long (paging
through 100k jobs with an emulator that sorts every job on every page) is repeated only while
the time spent on it at that size is under ``--budget`` seconds; it always runs once, and the
``cut_short`` line names the walks that ran fewer than ``--repeat`` times.

Output (stdout): ``key: value`` lines, the machine and the ``warmpool`` package measured
first, then one line per measure and size, wall time first (``describe_random_us@10000: 4.12
(cpu 4.10)``), the mix of states, what each walk returned, and ``cpu_share``, the process's
CPU time over the wall time while measuring that size (well under 1: other processes held the
CPU, and the wall times are stretched); last, two Markdown tables (wall, then CPU) of each
measure at every size with its ratio to the smallest size: a cost that does not grow with N
has ratios near 1, one that grows linearly has the ratio of the sizes (the ``jobs`` row).
Nothing here reads the wall clock inside the emulator; the RNGs are seeded, so a seed always
gives the same emulator state and the same calls.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from random import Random
from typing import Any, Final, NamedTuple

from replay import (
    INSTANCE_TYPES,
    TIMING,
    WARM_POOL_QUOTA,
    drive,
    machine_summary,
    make_trace,
    warm_up,
)

import warmpool
from warmpool import JobPlan, Quota, WarmPoolEmulator
from warmpool.events import JobCreated

__all__ = ["MEASURES", "Built", "build", "main", "measure_size"]

DEFAULT_SIZES: Final = (10_000, 30_000, 100_000)
IDENTITIES: Final = 300
STOP_SHARE: Final = 0.01
PAGE: Final = 100
NAME_CONTAINS: Final = "job-004"  # job-0040-... to job-0049-...: 10 identities of 300
SORTS: Final = ("Name", "CreationTime", "Status")
#: How long each timed batch of calls runs, at least (seconds).
BATCH_SECONDS: Final = 0.05
#: How many batches make one repeat of a per-call measure.
BATCHES: Final = 4

#: Every measure printed per size, in order; the name ends with its unit.
MEASURES: Final = (
    "describe_random_us",
    "describe_finished_us",
    "describe_running_us",
    "list_first_call_ms",
    "list_first_page_us",
    "walk_Name_ms",
    "walk_CreationTime_ms",
    "walk_Status_ms",
    "walk_completed_ms",
    "walk_name_contains_ms",
    "events_last_10_us",
    "events_last_1000_us",
    "events_middle_us",
    "for_job_first_ms",
    "for_job_us",
    "events_len_us",
    "billing_total_ms",
)
#: Derived per-job figures of the unfiltered walks (ms / N, in µs), printed after the walks.
PER_JOB: Final = tuple(f"walk_{sort}_us_per_job" for sort in SORTS)


class Built(NamedTuple):
    """An emulator holding ``n`` jobs, and the names the measures use."""

    emu: WarmPoolEmulator
    names: list[str]
    finished: str
    running: str
    statuses: Counter[str]
    seconds: float


def build(n: int, seed: int = 0) -> Built:
    """An emulator with the first ``n`` jobs of the ``replay.py`` trace of ``seed`` created,
    the clock left at the last create (so the newest jobs are still in progress), and 1 % of
    the jobs stopped right after their create."""
    plans: dict[str, JobPlan] = {}
    stops = Random(seed + 1)

    def workload(request: Mapping[str, Any]) -> JobPlan:
        return plans.pop(request["TrainingJobName"])

    started = time.perf_counter()
    emu = WarmPoolEmulator(
        quotas={itype: Quota(warm_pool=WARM_POOL_QUOTA) for itype in INSTANCE_TYPES},
        workload=workload,
        timing=TIMING,
    )
    events = emu.events
    names: list[str] = []

    def create(request: dict[str, Any], plan: JobPlan) -> bool:
        name = request["TrainingJobName"]
        plans[name] = plan
        logged = len(events)
        emu.create_training_job(**request)
        names.append(name)
        created = events[logged]
        assert isinstance(created, JobCreated) and created.job == name
        if stops.random() < STOP_SHARE:
            emu.stop_training_job(TrainingJobName=name)
        return created.cluster is not None

    drive(make_trace(IDENTITIES, seed), n, emu.run_until, create)
    seconds = time.perf_counter() - started
    statuses: Counter[str] = Counter()
    finished = completed = running = ""
    # The status of every job, through the API: the mix of states, and one job of each kind.
    for name in names:
        status = emu.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        statuses[status] += 1
        if status == "Completed":
            completed = completed or name
            if not finished and statuses[status] > len(names) // 4:
                finished = name  # a job from the first half of the run, long finished
        elif status == "InProgress":
            running = name  # the last one created
    finished = finished or completed  # few jobs: the first one Completed
    if not finished or not running:
        raise RuntimeError(f"{n} jobs give no Completed or no InProgress job: {dict(statuses)}")
    return Built(emu, names, finished, running, statuses, seconds)


class Cost(NamedTuple):
    """A time taken by both clocks, in seconds: ``wall`` (``time.perf_counter``) and ``cpu``
    (``time.process_time``: this process's own CPU time, which other processes holding the
    CPU do not stretch)."""

    wall: float
    cpu: float

    def scaled(self, factor: float) -> Cost:
        """Both times times ``factor`` (to milliseconds, to microseconds)."""
        return Cost(self.wall * factor, self.cpu * factor)


def _now() -> Cost:
    return Cost(time.perf_counter(), time.process_time())


def _since(started: Cost) -> Cost:
    wall, cpu = time.perf_counter(), time.process_time()
    return Cost(wall - started.wall, cpu - started.cpu)


def per_call(call: Callable[[int], object], count: int) -> Cost:
    """Seconds per call of ``call(k)`` (k = 0, 1, 2, ... wrapping at ``count``): batches of
    calls, each timed as a whole and long enough (``BATCH_SECONDS``) that the timers' own cost
    does not count; the fastest batch's rate by each clock (the others were slowed by
    something else)."""
    started = time.perf_counter()
    call(0)
    first = time.perf_counter() - started
    size = max(1, min(100_000, int(BATCH_SECONDS / max(first, 1e-7))))
    wall = cpu = float("inf")
    k = 1
    for _ in range(BATCHES):
        started_at = _now()
        for _ in range(size):
            call(k % count)
            k += 1
        took = _since(started_at)
        wall, cpu = min(wall, took.wall / size), min(cpu, took.cpu / size)
    return Cost(wall, cpu)


#: What a measure raises when the emulator under test lacks the method it calls.
MISSING: Final = AttributeError


def once(call: Callable[[], object]) -> Cost:
    """Seconds one call of ``call()`` takes."""
    gc.collect()
    started = _now()
    call()
    return _since(started)


def walk(emu: WarmPoolEmulator, **filters: Any) -> tuple[int, int]:
    """Every job ``ListTrainingJobs`` returns for ``filters``, ``MaxResults=100`` a page, by
    ``NextToken``: (jobs, pages)."""
    request: dict[str, Any] = {"MaxResults": PAGE, **filters}
    jobs = pages = 0
    while True:
        body = emu.list_training_jobs(**request)
        jobs += len(body["TrainingJobSummaries"])
        pages += 1
        token = body.get("NextToken")
        if not token:
            return jobs, pages
        request["NextToken"] = token


def walk_into(
    results: list[tuple[int, int]], emu: WarmPoolEmulator, filters: dict[str, Any]
) -> None:
    """:func:`walk` with ``filters``, its result appended to ``results``."""
    results.append(walk(emu, **filters))


class Sample(NamedTuple):
    """One size's medians in the measures' units (``None``: the measure cannot run on this
    emulator), by the wall clock and in CPU time, and its other lines."""

    n: int
    wall: dict[str, float | None]
    cpu: dict[str, float | None]
    lines: list[str]


def measure_size(n: int, repeat: int, seed: int, budget: float) -> Sample:
    """Build the emulator of ``n`` jobs and take every measure, ``repeat`` times (the per-call
    ones interleaved, so a slow spell of the machine hits each of them about equally)."""
    built = build(n, seed)
    emu, names = built.emu, built.names
    events = emu.events
    rng = Random(seed + 2)
    picks = [rng.choice(names) for _ in range(4096)]
    log_size = len(events)
    lines = [
        f"build_seconds@{n}: {built.seconds:.2f}",
        "states@{}: {}".format(
            n, ", ".join(f"{status} {count}" for status, count in sorted(built.statuses.items()))
        ),
        f"events@{n}: {log_size}",
    ]

    describe = emu.describe_training_job
    list_jobs = emu.list_training_jobs
    unavailable: dict[str, str] = {}  # measure -> why it cannot run here

    def attempt(key: str, measure: Callable[[], Cost]) -> Cost | None:
        """``measure()``, or ``None`` (and why) if the emulator lacks what it calls."""
        if key in unavailable:
            return None
        try:
            return measure()
        except MISSING as error:
            unavailable[key] = f"{type(error).__name__}: {error}"
            return None

    measuring = _now()
    # The one-off first calls, before anything else reads the emulator's lists or the log.
    taken: dict[str, list[Cost]] = {
        "list_first_call_ms": [],
        "for_job_first_ms": [],
    }
    firsts: dict[str, Callable[[], object]] = {
        "list_first_call_ms": lambda: list_jobs(MaxResults=PAGE),
        "for_job_first_ms": lambda: events.for_job(picks[0]),
    }
    for key, first_call in firsts.items():
        cost = attempt(key, partial(once, first_call))
        if cost is not None:
            taken[key].append(cost.scaled(1e3))

    finished, running = built.finished, built.running
    # Each per-call measure: a function of a call number, and how many distinct calls it has.
    calls: dict[str, tuple[Callable[[int], object], int]] = {
        "describe_random_us": (lambda k: describe(TrainingJobName=picks[k]), len(picks)),
        "describe_finished_us": (lambda k: describe(TrainingJobName=finished), 1),
        "describe_running_us": (lambda k: describe(TrainingJobName=running), 1),
        "list_first_page_us": (lambda k: list_jobs(MaxResults=PAGE), 1),
        "events_last_10_us": (lambda k: events[-10:], 1),
        "events_last_1000_us": (lambda k: events[-1000:], 1),
        "events_middle_us": (lambda k: events[log_size // 2], 1),
        "for_job_us": (lambda k: events.for_job(picks[k]), len(picks)),
        "events_len_us": (lambda k: len(events), 1),
        "billing_total_ms": (lambda k: emu.billing.total(), 1),
    }
    walks: dict[str, dict[str, Any]] = {
        **{f"walk_{sort}_ms": {"SortBy": sort} for sort in SORTS},
        "walk_completed_ms": {"StatusEquals": "Completed"},
        "walk_name_contains_ms": {"NameContains": NAME_CONTAINS},
    }

    taken.update({key: [] for key in (*calls, *walks)})
    spent: dict[str, float] = dict.fromkeys(walks, 0.0)  # wall seconds
    walked: dict[str, tuple[int, int]] = {}
    for _ in range(repeat):
        for key, (call, count) in calls.items():
            gc.collect()
            cost = attempt(key, partial(per_call, call, count))
            if cost is not None:
                taken[key].append(cost.scaled(1e3 if key.endswith("_ms") else 1e6))
        for key, filters in walks.items():
            if taken[key] and spent[key] >= budget:
                continue
            results: list[tuple[int, int]] = []
            cost = attempt(key, partial(once, partial(walk_into, results, emu, filters)))
            if cost is None:
                continue
            spent[key] += cost.wall
            taken[key].append(cost.scaled(1e3))
            result = results[0]
            if walked.setdefault(key, result) != result:
                raise RuntimeError(f"{key}: {walked[key]} jobs and pages, then {result}")
    measured = _since(measuring)

    wall: dict[str, float | None] = {}
    cpu: dict[str, float | None] = {}
    for key, costs in taken.items():
        wall[key] = statistics.median(c.wall for c in costs) if costs else None
        cpu[key] = statistics.median(c.cpu for c in costs) if costs else None
    for values in (wall, cpu):
        for sort in SORTS:
            total = values[f"walk_{sort}_ms"]
            values[f"walk_{sort}_us_per_job"] = None if total is None else 1e3 * total / n
    for key, (jobs, pages) in walked.items():
        if key in (f"walk_{sort}_ms" for sort in SORTS) and jobs != n:
            raise RuntimeError(f"{key}: paging returned {jobs} jobs of {n}")
        lines.append(f"{key.removesuffix('_ms')}_returned@{n}: {jobs} jobs in {pages} pages")
    short = [
        f"{key} ({len(taken[key])} of {repeat})" for key in walks if 0 < len(taken[key]) < repeat
    ]
    lines.append(f"cut_short@{n}: {', '.join(short) if short else 'none'}")
    missing = [f"{key} ({why})" for key, why in unavailable.items()]
    lines.append(f"unavailable@{n}: {'; '.join(missing) if missing else 'none'}")
    lines.append(f"measuring_seconds@{n}: {measured.wall:.1f}")
    lines.append(f"cpu_share@{n}: {measured.cpu / measured.wall:.2f}")
    return Sample(n, wall, cpu, lines)


def _format(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def scaling_table(samples: Sequence[Sample], clock: str = "wall") -> list[str]:
    """A Markdown table: each measure at every size by ``clock`` (``"wall"`` or ``"cpu"``),
    and its ratio to the smallest size."""
    tables = [getattr(s, clock) for s in samples]
    base, others = tables[0], tables[1:]
    first = samples[0].n
    header = [
        "measure",
        *(f"{s.n:,}" for s in samples),
        *(f"{s.n:,} / {first:,}" for s in samples[1:]),
    ]
    rows = [
        "| " + " | ".join(header) + " |",
        "|---" + "|---:" * (len(header) - 1) + "|",
        "| jobs | "
        + " | ".join([*(f"{s.n:,}" for s in samples), *(f"{s.n / first:.1f}" for s in samples[1:])])
        + " |",
    ]
    for key in (*MEASURES, *PER_JOB):
        cells = [_format(values[key]) for values in tables]
        for values in others:
            low, high = base[key], values[key]
            cells.append("n/a" if low is None or high is None or low <= 0 else f"{high / low:.1f}")
        rows.append(f"| {key} | " + " | ".join(cells) + " |")
    return rows


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be job counts separated by commas, such as 10000,30000, not {text!r}"
        ) from None
    if not sizes or any(size < 100 for size in sizes):
        raise argparse.ArgumentTypeError(f"every size must be >= 100, not {text!r}")
    return sorted(set(sizes))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="api_costs.py",
        description="Time single API calls (describe, list pages, event reads, billing "
        "totals) on emulators holding N jobs, for each N.",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="job counts, comma-separated (default 10000,30000,100000)",
    )
    parser.add_argument(
        "--repeat", type=_positive, default=5, help="repeats of each measure (default 5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="trace seed (default 0)")
    parser.add_argument(
        "--budget",
        type=_seconds,
        default=60.0,
        help="seconds a measure may take at one size before it is not repeated (default 60)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes: list[int] = args.sizes
    repeat: int = args.repeat
    print(f"machine: {machine_summary()}", flush=True)
    print(f"warmpool: {warmpool.__file__.removesuffix('/__init__.py')}", flush=True)
    print(f"sizes: {','.join(map(str, sizes))}", flush=True)
    print(f"repeat: {repeat}", flush=True)
    print(f"seed: {args.seed}", flush=True)
    warm_up()
    samples = []
    for n in sizes:
        sample = measure_size(n, repeat, args.seed, args.budget)
        gc.collect()  # the emulator of this size is gone: do not let it weigh on the next
        samples.append(sample)
        for key in (*MEASURES, *PER_JOB):
            wall, cpu = _format(sample.wall[key]), _format(sample.cpu[key])
            print(f"{key}@{n}: {wall} (cpu {cpu})", flush=True)
        print("\n".join(sample.lines), flush=True)
    for clock, title in (
        ("wall", "wall time, time.perf_counter"),
        ("cpu", "CPU time of the process, time.process_time"),
    ):
        print(f"\nScaling, {title} (medians; ratio: the size's figure / the smallest's):\n")
        print("\n".join(scaling_table(samples, clock)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
