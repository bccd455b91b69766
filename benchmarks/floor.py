"""The floor under the emulator: the plain-loop baseline plus the least the emulator must do.

Usage::

    python benchmarks/floor.py N [--identities 300] [--seed 0]

How fast could *any* pure-Python emulator replay the trace of ``benchmarks/replay.py`` if it
keeps what the issue "Harden the core" keeps: the request checked (with the cache of
configurations it asks for), a record of every job, the events, the billing and a response per
call? :class:`FloorPools` answers with one flat class: the warm pool rules of
:class:`baseline.PlainPools` plus, per job, the cheapest form of each of these obligations,
inlined, with no module boundaries, no state machines and no generality the trace does not
need:

- **validate**: the request's shared part ``marshal``-ed and looked up in a cache of verdicts
  (the first of each configuration validated in full by the emulator's own validator); the name
  and ``HyperParameters`` checked by the emulator's own compiled member checks; the
  hyperparameters frozen (``DescribeTrainingJob`` echoes them);
- **record**: the name checked for uniqueness and a record of the job kept in a table by name
  (a list of the fields ``DescribeTrainingJob`` answers with), its status moved at the training
  start (a heap event of its own: a describe in between must say ``Starting``) and at the end;
- **events**: five records per job, as the emulator's log stores them (created, training
  started, released, and the pool kept then reused or terminated);
- **billing**: a training interval per job and a retained interval per kept pool;
- **quotas**: instances in training and retained per instance type;
- **answer**: the response with its ``ResponseMetadata`` and request id;
- **threads**: a lock taken by each call.

It leaves out what the trace never needs: stops, updates, deletes, listing indexes, tags, the
IAM policy, instance groups and subscribers. (Like the emulator, it keeps a finished job as a
tuple, which Python's garbage collector stops walking.) So it is a
*lower bound* on an emulator's cost, not an emulator: it does not check its own moves and is
not tested beyond giving the same results as the emulator and the baseline (``reused``,
``warm_starts``, ``cold_starts``, ``failed``, ``end_seconds``).

It prints the same ``key: value`` lines as ``baseline.py``. See "The floor" in
docs/performance.md for what it shows.
"""

from __future__ import annotations

import heapq
import marshal
import sys
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from baseline import DEFAULT_MAX_RUNTIME, LIFETIME_CAP, script_main, timed_replay
from replay import INSTANCE_TYPES, TIMING, WARM_POOL_QUOTA, ReplayResult, make_trace, warm_up

from warmpool import KEEPABLE_FAILURES, JobPlan, identity_key
from warmpool.intake import validator_for

__all__ = ["FloorPools", "floor", "main"]

_PER_JOB: Final = frozenset({"TrainingJobName", "HyperParameters", "Tags"})
_ARN: Final = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"

# Heap entries: (time, kind, job seq, job). At one instant expiries fire first, then releases,
# then training starts, each kind in creation order (behaviour §4).
EXPIRY: Final = 0
RELEASE: Final = 1
START: Final = 2

# Event codes (as the emulator's log numbers its event classes; the values do not matter here).
CREATED, STARTED, RELEASED, KEPT, REUSED, TERMINATED, REFUSED = range(7)
#: The emulator's event class of each code (to compare the two logs).
EVENT_NAMES: Final = (
    "JobCreated",
    "TrainingStarted",
    "JobReleased",
    "PoolKept",
    "PoolReused",
    "PoolTerminated",
    "QuotaRefused",
)

# A job record: the fields DescribeTrainingJob needs, as one list.
(
    NAME,
    SEQ,
    SPEC,
    HYPERPARAMETERS,
    CREATED_AT,
    STATE,
    POOL,
    CLUSTER,
    LAUNCHED,
    STARTED_AT,
    ENDED_AT,
    PLAN,
    AVAILABLE_AT,
    EXPIRES_AT,
    FAILURE,
    REUSED_BY,
    RETAINED_BILLABLE,
) = range(17)

# A configuration's verdict: (identity key, instance type, count, keep-alive, max runtime, role).
KEY, TYPE, COUNT, KEEP, MAX_RUNTIME, ROLE = range(6)


class FloorPools:
    """The trace's jobs with every obligation of an emulator at its cheapest (module doc)."""

    def __init__(self, warm_pool_quota: Mapping[str, int]) -> None:
        validator = validator_for(3600)
        self._validator = validator
        self._name_ok = validator.member_check("CreateTrainingJob", "TrainingJobName")
        self._hyperparameters_ok = validator.member_check("CreateTrainingJob", "HyperParameters")
        self._lock = threading.RLock()
        self._specs: dict[bytes, tuple[Any, ...]] = {}
        self._jobs: dict[str, list[Any] | tuple[Any, ...]] = {}  # finished: a tuple
        self._pools: dict[tuple[Any, ...], deque[list[Any]]] = {}
        self._heap: list[tuple[float, int, int, list[Any]]] = []
        self._events: list[tuple[Any, ...]] = []
        self._training_rows: list[tuple[Any, ...]] = []
        self._retained_rows: list[tuple[Any, ...]] = []
        self._open: dict[int, tuple[Any, ...]] = {}
        self._quota: defaultdict[str, int] = defaultdict(int, warm_pool_quota)
        self._retained: defaultdict[str, int] = defaultdict(int)
        self._training: defaultdict[str, int] = defaultdict(int)
        self._seq = 0
        self._clusters = 0
        self._requests = 0
        self.now: float = 0
        self.reused = 0

    # -- the API's two calls ---------------------------------------------------------------------

    def run_until(self, t: float) -> None:
        with self._lock:
            heap = self._heap
            pop = heapq.heappop
            while heap and heap[0][0] <= t:
                at, kind, _, job = pop(heap)
                self.now = at
                if kind == START:
                    self._start(job, at)
                elif kind == RELEASE:
                    self._release(job, at)
                elif job[POOL] == "Available" and job[EXPIRES_AT] == at:
                    self._terminate(job, at, "Expired")
            self.now = t

    def create(self, request: dict[str, Any], plan: JobPlan) -> bool:
        with self._lock:
            now = self.now
            # validate: the shared part by the cache of verdicts, the per-job members each time
            shared = {key: value for key, value in request.items() if key not in _PER_JOB}
            blob = marshal.dumps(shared, 0)
            spec = self._specs.get(blob)
            if spec is None:
                self._validator.validate("CreateTrainingJob", request)
                spec = self._specs[blob] = self._spec(request)
            name = request["TrainingJobName"]
            hyperparameters = request.get("HyperParameters")
            if not (
                type(name) is str
                and self._name_ok(name)
                and (hyperparameters is None or self._hyperparameters_ok(hyperparameters))
            ):
                raise ValueError("invalid request")
            frozen = None if hyperparameters is None else marshal.dumps(hyperparameters, 0)
            if name in self._jobs:
                raise ValueError("name in use")
            # decide
            queue = self._pools.get(spec[KEY])
            if queue is None:
                queue = self._pools[spec[KEY]] = deque()
            while queue and queue[0][POOL] != "Available":
                queue.popleft()
            donor = queue.popleft() if queue else None
            start: float
            # record
            self._seq += 1
            job: list[Any] = [name, self._seq, spec, frozen, now, "Starting", None]
            job += [None] * (RETAINED_BILLABLE + 1 - len(job))
            job[PLAN] = plan
            self._jobs[name] = job
            if donor is not None:
                self._events.append((CREATED, now, name, donor[CLUSTER]))
                billable = self._close(donor, now, "Reused")
                donor[POOL] = "Reused"
                donor[REUSED_BY] = name
                donor[RETAINED_BILLABLE] = billable
                self._retained[spec[TYPE]] -= spec[COUNT]
                self._training[spec[TYPE]] += spec[COUNT]
                job[CLUSTER] = donor[CLUSTER]
                job[LAUNCHED] = donor[LAUNCHED]
                job[POOL] = "InUse"
                self._events.append((REUSED, now, donor[NAME], donor[CLUSTER], name))
                self._jobs[donor[NAME]] = tuple(donor)  # finished: a record the GC skips
                self.reused += 1
                start = now + TIMING.warm_start_seconds
            else:
                self._training[spec[TYPE]] += spec[COUNT]
                if spec[KEEP]:
                    job[POOL] = "InUse"
                self._events.append((CREATED, now, name, None))
                start = now + TIMING.cold_start_seconds
            heapq.heappush(self._heap, (start, START, job[SEQ], job))
            # answer
            self._requests = number = self._requests + 1
            request_id = f"00000000-0000-0000-0000-{number:012x}"
            {  # the response (the trace's caller reads only whether the job starts warm)
                "TrainingJobArn": _ARN + name,
                "ResponseMetadata": {
                    "RequestId": request_id,
                    "HTTPStatusCode": 200,
                    "HTTPHeaders": {
                        "x-amzn-requestid": request_id,
                        "content-type": "application/x-amz-json-1.1",
                    },
                    "RetryAttempts": 0,
                },
            }
            return donor is not None

    # -- what the clock fires ----------------------------------------------------------------------

    def _start(self, job: list[Any], now: float) -> None:
        if job[CLUSTER] is None:
            self._clusters += 1
            job[CLUSTER] = self._clusters
            job[LAUNCHED] = now
        job[STATE] = "Training"
        job[STARTED_AT] = now
        plan = job[PLAN]
        seconds = min(plan.training_seconds, job[SPEC][MAX_RUNTIME])
        heapq.heappush(self._heap, (now + seconds, RELEASE, job[SEQ], job))
        self._events.append((STARTED, now, job[NAME], job[CLUSTER], job[LAUNCHED] != now))

    def _release(self, job: list[Any], now: float) -> None:
        spec = job[SPEC]
        plan = job[PLAN]
        job[PLAN] = None
        failure = plan.failure_class
        if plan.training_seconds > spec[MAX_RUNTIME]:
            failure = None
            job[STATE] = "MaxRuntimeExceeded"
        elif failure is None:
            job[STATE] = "Completed"
        else:
            job[STATE] = "Failed"
            job[FAILURE] = f"{failure}: {plan.failure_message}"
        job[ENDED_AT] = now
        instance_type, count = spec[TYPE], spec[COUNT]
        self._training[instance_type] -= count
        started = job[STARTED_AT]
        seconds = max(1, int(now - started))
        self._training_rows.append(
            (job[NAME], job[CLUSTER], instance_type, count, spec[ROLE], started, now, seconds)
        )
        self._events.append((RELEASED, now, job[NAME], job[STATE], job[CLUSTER]))
        if job[POOL] is None:
            self._jobs[job[NAME]] = tuple(job)
            return
        launched = job[LAUNCHED]
        reason = None
        if failure is not None and failure not in KEEPABLE_FAILURES:
            reason = "Unhealthy"
        elif now - launched >= LIFETIME_CAP:
            reason = "LifetimeCap"
        elif self._retained[instance_type] + count > self._quota[instance_type]:
            reason = "WarmPoolQuota"
            self._events.append(
                (REFUSED, now, job[NAME], "warm_pool", instance_type, self._quota[instance_type])
            )
        if reason is not None:
            job[POOL] = "Terminated"
            job[RETAINED_BILLABLE] = 0
            self._events.append((TERMINATED, now, job[NAME], job[CLUSTER], reason, 0))
            self._jobs[job[NAME]] = tuple(job)
            return
        job[POOL] = "Available"
        job[AVAILABLE_AT] = now
        expires = job[EXPIRES_AT] = min(now + spec[KEEP], launched + LIFETIME_CAP)
        self._retained[instance_type] += count
        self._open[job[CLUSTER]] = (job[NAME], instance_type, count, spec[ROLE], now)
        self._pools[spec[KEY]].append(job)
        heapq.heappush(self._heap, (expires, EXPIRY, job[SEQ], job))
        self._events.append((KEPT, now, job[NAME], job[CLUSTER], expires))

    def _terminate(self, job: list[Any], now: float, reason: str) -> None:
        billable = self._close(job, now, reason)
        job[POOL] = "Terminated"
        job[RETAINED_BILLABLE] = billable
        self._retained[job[SPEC][TYPE]] -= job[SPEC][COUNT]
        self._events.append((TERMINATED, now, job[NAME], job[CLUSTER], reason, billable))
        self._jobs[job[NAME]] = tuple(job)

    def _close(self, job: list[Any], now: float, ended: str) -> int:
        name, instance_type, count, role, start = self._open.pop(job[CLUSTER])
        seconds = int(now - start)
        self._retained_rows.append(
            (name, job[CLUSTER], instance_type, count, role, start, now, ended, seconds)
        )
        return seconds

    @staticmethod
    def _spec(request: Mapping[str, Any]) -> tuple[Any, ...]:
        resource = request["ResourceConfig"]
        stopping = request.get("StoppingCondition") or {}
        return (
            identity_key(request),  # once per configuration, as the emulator's intake does
            resource["InstanceType"],
            resource["InstanceCount"],
            resource.get("KeepAlivePeriodInSeconds"),
            stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME),
            request["RoleArn"],
        )


def floor(
    n: int,
    *,
    identities: int = 300,
    seed: int = 0,
    warm_pool_quota: int = WARM_POOL_QUOTA,
    on_done: Callable[[FloorPools], object] | None = None,
) -> ReplayResult:
    """:func:`replay.replay`'s run, with :class:`FloorPools` instead of the emulator;
    ``on_done(pools)`` is called at the end (the tests read what it recorded)."""
    trace = make_trace(identities, seed)
    warm_up()  # the validator compiled, as replay.py does before its clock starts
    quota = dict.fromkeys(INSTANCE_TYPES, warm_pool_quota)
    result, pools = timed_replay(n, trace, lambda: FloorPools(quota))
    if on_done is not None:
        on_done(pools)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(
        argv,
        "floor.py",
        "Replay the synthetic trace of replay.py through the least an emulator must do per "
        "job: the plain-loop baseline plus validation, job records, events, billing and "
        "responses at their cheapest.",
        floor,
    )


if __name__ == "__main__":
    sys.exit(main())
