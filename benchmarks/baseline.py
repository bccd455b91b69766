"""The plain-loop baseline of ``benchmarks/replay.py``: the same replay without the emulator.

Usage::

    python benchmarks/baseline.py N [--identities 300] [--seed 0]

It drives the same trace through the same loop as ``replay.py`` (both call
:func:`replay.drive` on :func:`replay.make_trace`: the same jobs, requests and plans, the same
``run_until(create time)`` then ``create`` per job), but instead of
:class:`warmpool.WarmPoolEmulator` a minimal hand-written simulation of the rules that decide
reuse, :class:`PlainPools`:

- the identity key, a tuple of the request's matching fields (behaviour §3);
- a queue of ``Available`` pools per key: a job takes the one ``Available`` longest (§6);
- cold and warm starts (``Timing`` 180 s / 20 s); training ends after the plan's seconds, or
  at ``MaxRuntimeInSeconds`` (§5);
- which endings keep the cluster: completed, stopped, ``AlgorithmError`` and ``ClientError``
  yes, any other failure no (§5);
- at release, the chain's age below the 7-day lifetime cap and the warm pool quota (§7);
- expiry at ``min(release + keep-alive, launch + 7 days)`` (§6);
- events due at one instant fire expiries first, then releases, each kind in job creation
  order (§4), on one heap.

It has no validation, no event log, no billing ledger, no job table and no response dicts, and
it does not emulate what the trace never does (stops, updates, deletes, patch updates,
instance groups, managed spot, the training quota, which the trace leaves unlimited). It
prints the same ``key: value`` lines as ``replay.py`` (without ``describe`` and the
``tracemalloc`` fields): the same ``reused``, ``warm_starts``, ``cold_starts``, ``failed`` and
``end_seconds`` as the emulator for the same ``N``, ``--identities`` and ``--seed``.

``benchmarks/compare.py`` runs both, in turn, and gives the ratio pair by pair.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeVar

from replay import (
    INSTANCE_TYPES,
    KEEP_ALIVE,
    TIMING,
    WARM_POOL_QUOTA,
    ReplayResult,
    Trace,
    _max_rss_kib,
    _positive,
    drive,
    make_trace,
    result_lines,
)

from warmpool import JobPlan

__all__ = ["PlainPools", "Pools", "baseline", "main", "script_main", "timed_replay"]

#: A chain lives at most 7 days from its cluster's launch (the default ``Limits``).
LIFETIME_CAP: Final = 7 * 86400
#: Failures after which the cluster can still be kept (behaviour §5.7).
KEEPABLE_FAILURES: Final = frozenset({"AlgorithmError", "ClientError"})
DEFAULT_MAX_RUNTIME: Final = 86400

# Heap entries are (time, kind, creation number, pool): at one instant, expiries fire before
# releases, each kind in job creation order (behaviour §4). Training starts change nothing another
# event reads (a job's start and end are known when it is created), so they are not scheduled.
EXPIRY: Final = 0
RELEASE: Final = 1

# A job that may keep its cluster is a list (the cheapest mutable record):
# [available?, its key's queue, instance type, instance count, keep-alive, cluster launch time].
_AVAILABLE: Final = 0
_QUEUE: Final = 1
_TYPE: Final = 2
_COUNT: Final = 3
_KEEP_ALIVE: Final = 4
_LAUNCHED: Final = 5


class PlainPools:
    """Warm pool reuse, retention and expiry in plain Python, for :func:`replay.drive`.

    ``warm_pool_quota``: instances per instance type (absent: 0, as on AWS). ``reused``
    counts the jobs that took over a warm pool; ``now`` is the simulated time.
    """

    __slots__ = (
        "_cap",
        "_cold",
        "_heap",
        "_pools",
        "_quota",
        "_retained",
        "_seq",
        "_warm",
        "now",
        "reused",
    )

    def __init__(
        self,
        warm_pool_quota: Mapping[str, int],
        *,
        cold_start: float = TIMING.cold_start_seconds,
        warm_start: float = TIMING.warm_start_seconds,
        lifetime_cap: float = LIFETIME_CAP,
    ) -> None:
        self._quota: defaultdict[str, int] = defaultdict(int, warm_pool_quota)
        self._retained: defaultdict[str, int] = defaultdict(int)
        self._cold = cold_start
        self._warm = warm_start
        self._cap = lifetime_cap
        self._pools: dict[tuple[Any, ...], deque[list[Any]]] = {}
        self._heap: list[tuple[float, int, int, list[Any]]] = []
        self._seq = 0
        self.now: float = 0
        self.reused = 0

    def retained(self, instance_type: str) -> int:
        """Instances of ``instance_type`` held by ``Available`` warm pools."""
        return self._retained[instance_type]

    def run_until(self, t: float) -> None:
        """Fire every release and expiry due at or before ``t``, then set ``now = t``."""
        heap = self._heap
        if heap and heap[0][0] <= t:
            pop, push = heapq.heappop, heapq.heappush
            retained, quota, cap = self._retained, self._quota, self._cap
            while heap and heap[0][0] <= t:
                at, kind, seq, job = pop(heap)
                if kind == EXPIRY:
                    if job[_AVAILABLE]:  # not taken over since it was kept
                        job[_AVAILABLE] = False
                        retained[job[_TYPE]] -= job[_COUNT]
                    continue
                # A release: keep the cluster if the chain is young enough and the quota has room.
                launched = job[_LAUNCHED]
                if at - launched >= cap:
                    continue
                instance_type = job[_TYPE]
                held = retained[instance_type] + job[_COUNT]
                if held > quota[instance_type]:
                    continue
                retained[instance_type] = held
                job[_AVAILABLE] = True
                job[_QUEUE].append(job)
                expires = at + job[_KEEP_ALIVE]
                if expires > launched + cap:
                    expires = launched + cap
                push(heap, (expires, EXPIRY, seq, job))
        self.now = t

    def create(self, request: dict[str, Any], plan: JobPlan) -> bool:
        """Create the job of ``request`` now; True if it took over a warm pool."""
        resource = request["ResourceConfig"]
        instance_type = resource["InstanceType"]
        count = resource["InstanceCount"]
        vpc = request.get("VpcConfig")
        chaining = request.get("SessionChainingConfig")
        key = (
            request["RoleArn"],
            instance_type,
            count,
            resource.get("VolumeSizeInGB"),
            resource.get("VolumeKmsKeyId"),
            None if vpc is None else frozenset(vpc.get("SecurityGroupIds") or ()),
            None if vpc is None else frozenset(vpc.get("Subnets") or ()),
            request.get("EnableInterContainerTrafficEncryption", False),
            request.get("EnableNetworkIsolation", False),
            chaining is not None and chaining.get("EnableSessionTagChaining", False),
        )
        queue = self._pools.get(key)
        if queue is None:
            queue = self._pools[key] = deque()
        warm = False
        while queue:  # the front is the pool Available longest; skip the ones gone since
            donor = queue.popleft()
            if donor[_AVAILABLE]:
                donor[_AVAILABLE] = False
                self._retained[instance_type] -= count
                self.reused += 1
                launched = donor[_LAUNCHED]  # the chain goes on: its launch time stays
                start = self.now + self._warm
                warm = True
                break
        else:
            start = launched = self.now + self._cold
        keep_alive = resource.get("KeepAlivePeriodInSeconds")
        if not keep_alive:
            return warm  # its cluster is terminated at release: nothing to schedule
        stopping = request.get("StoppingCondition")
        max_runtime = (
            DEFAULT_MAX_RUNTIME
            if stopping is None
            else stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        )
        if plan.training_seconds > max_runtime:  # stopped at max runtime: can be kept
            end = start + max_runtime
        else:
            end = start + plan.training_seconds
            failure = plan.failure_class
            if failure is not None and failure not in KEEPABLE_FAILURES:
                return warm
        if end - launched >= self._cap:
            return warm  # the chain is too old at release
        # Only jobs that may keep their cluster are numbered: creation order all the same.
        self._seq += 1
        heapq.heappush(
            self._heap,
            (end, RELEASE, self._seq, [False, queue, instance_type, count, keep_alive, launched]),
        )
        return warm


class Pools(Protocol):
    """What :func:`timed_replay` drives in place of the emulator (``PlainPools``, and
    ``floor.FloorPools``)."""

    reused: int
    now: float

    def run_until(self, t: float) -> None: ...
    def create(self, request: dict[str, Any], plan: JobPlan) -> bool: ...


P = TypeVar("P", bound=Pools)


def timed_replay(n: int, trace: Trace, make_pools: Callable[[], P]) -> tuple[ReplayResult, P]:
    """:func:`replay.replay`'s timed run of ``n`` jobs of ``trace``, through the pools
    ``make_pools()`` builds (inside the timed span, as the replay builds its emulator), then
    their clock run past every expiry; the result and the pools."""
    gc.collect()
    rss_before = _max_rss_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    pools = make_pools()
    failed, warm, last_end = drive(trace, n, pools.run_until, pools.create)
    pools.run_until(last_end + KEEP_ALIVE + 1)  # every job released, every pool expired
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_growth = _max_rss_kib() - rss_before
    reused, end = pools.reused, pools.now
    return ReplayResult(n, seconds, cpu_seconds, reused, warm, failed, end, rss_growth), pools


def baseline(
    n: int, *, identities: int = 300, seed: int = 0, warm_pool_quota: int = WARM_POOL_QUOTA
) -> ReplayResult:
    """:func:`replay.replay`'s run, with :class:`PlainPools` instead of the emulator."""
    quota = dict.fromkeys(INSTANCE_TYPES, warm_pool_quota)
    return timed_replay(n, make_trace(identities, seed), lambda: PlainPools(quota))[0]


def script_main(
    argv: Sequence[str] | None,
    prog: str,
    description: str,
    run: Callable[..., ReplayResult],
) -> int:
    """The command line of ``baseline.py`` and ``floor.py``: ``N [--identities] [--seed]``,
    ``run(N, identities=..., seed=...)``, and ``replay.py``'s result lines."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("n", type=_positive, help="number of training jobs to create")
    parser.add_argument(
        "--identities", type=_positive, default=300, help="job streams (default 300)"
    )
    parser.add_argument("--seed", type=int, default=0, help="trace seed (default 0)")
    args = parser.parse_args(argv)
    result = run(args.n, identities=args.identities, seed=args.seed)
    print("\n".join(result_lines(result, args.identities, args.seed)), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(
        argv,
        "baseline.py",
        "Replay the synthetic trace of replay.py through a plain-Python loop that only "
        "simulates warm pool reuse, retention and expiry.",
        baseline,
    )


if __name__ == "__main__":
    sys.exit(main())
