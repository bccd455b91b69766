"""Test helpers for code that uses warmpool (the extra ``testing``): a Hypothesis state machine
that drives an emulator through random operations, and assertions whose failure messages show
the warm pool's timeline.

* :class:`WarmPoolMachine`: a ``RuleBasedStateMachine`` whose rules create, advance, complete,
  fail, stop, update, delete, describe and list training jobs on ``self.emu``, and which checks
  the guarantees of behaviour §11 after every step. Subclass it, add ``@invariant()`` methods
  about your own code, and run ``YourMachine.TestCase``.
* :class:`WarmPoolInvariants`: the same checks without the rules, for a machine with rules of
  its own (set ``self.emu``).
* :func:`assert_pool_status`, :func:`assert_billable_seconds`: assertions about one job's warm
  pool; :func:`pool_timeline`: the timeline their messages show.

>>> from warmpool import JobPlan, Quota, WarmPoolEmulator
>>> from warmpool.testing import assert_pool_status
>>> emu = WarmPoolEmulator(quotas={"ml.m5.xlarge": Quota(warm_pool=1)},
...                        workload=lambda request: JobPlan(training_seconds=600))
>>> _ = emu.create_training_job(
...     TrainingJobName="a", RoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
...     OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
...     ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
...                     "KeepAlivePeriodInSeconds": 600})
>>> emu.advance(3600)
>>> assert_pool_status(emu, "a", "Reused")
Traceback (most recent call last):
AssertionError: the warm pool of 'a' is Terminated, expected Reused
<BLANKLINE>
warm pool timeline of 'a' (cluster 1); now t=3600 (2026-01-01T01:00:00Z)
  t (s)  time                  job  event            status
      0  2026-01-01T00:00:00Z  a    JobCreated       InProgress (Starting): launches a new cluster
    180  2026-01-01T00:03:00Z  a    TrainingStarted  InProgress (Training) on cluster 1 (cold start)
    780  2026-01-01T00:13:00Z  a    JobReleased      Completed
    780  2026-01-01T00:13:00Z  a    PoolKept         warm pool Available until t=1380
   1380  2026-01-01T00:23:00Z  a    PoolTerminated   warm pool Terminated (Expired), 600 s billable
now: a is Completed, WarmPoolStatus {'Status': 'Terminated',
  'ResourceRetainedBillableTimeInSeconds': 600}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final, NamedTuple

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from . import errors
from . import strategies as wst
from .config import JobPlan, Limits, Timing
from .emulator import WarmPoolEmulator
from .events import (
    Event,
    JobCreated,
    JobDeleted,
    JobReleased,
    KeepAliveUpdated,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    StopRequested,
    TrainingStarted,
)
from .quota import Quota

__all__ = [
    "POOL_MOVES",
    "WarmPoolInvariants",
    "WarmPoolMachine",
    "assert_billable_seconds",
    "assert_pool_status",
    "pool_timeline",
]

#: behaviour §6.2: the only moves of a job's warm pool status.
POOL_MOVES: Final = frozenset(
    {
        ("InUse", "Available"),
        ("InUse", "Terminated"),
        ("Available", "Reused"),
        ("Available", "Terminated"),
    }
)
#: The warm pool statuses that carry ``ResourceRetainedBillableTimeInSeconds`` (behaviour §6.4).
BILLED: Final = frozenset({"Reused", "Terminated"})
_WARM_POOL_STATUSES: Final = ("InUse", "Available", "Reused", "Terminated")
_ACTIVE: Final = frozenset({"InProgress", "Stopping"})
_TERMINAL: Final = frozenset({"Completed", "Failed", "Stopped"})


# -- the timeline ---------------------------------------------------------------------------------


def _emulator_of(source: object) -> WarmPoolEmulator:
    """The emulator behind ``source``: an emulator, or a boto3 client attached to one."""
    if isinstance(source, WarmPoolEmulator):
        return source
    meta = getattr(source, "meta", None)
    if meta is not None and hasattr(meta, "service_model"):
        from .aws import attached_emulator

        emu = attached_emulator(source)
        if emu is not None:
            return emu
    raise TypeError(
        "expected a WarmPoolEmulator or a SageMaker client attached to one "
        f"(warmpool.aws.attach), not {source!r}"
    )


def _seconds(t: float) -> str:
    if float(t).is_integer():
        return str(int(t))
    return f"{t:.6f}".rstrip("0")


def _moment(emu: WarmPoolEmulator, t: float) -> str:
    moment: datetime = emu.clock.epoch + timedelta(seconds=t)
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _status_text(event: Event) -> str:
    """What ``event`` left: the job's status, or its warm pool's."""
    if isinstance(event, JobCreated):
        where = (
            "launches a new cluster"
            if event.cluster is None
            else f"takes over the warm pool of cluster {event.cluster}"
        )
        return f"InProgress (Starting): {where}"
    if isinstance(event, TrainingStarted):
        how = "warm start" if event.warm else "cold start"
        return f"InProgress (Training) on cluster {event.cluster} ({how})"
    if isinstance(event, StopRequested):
        return "Stopping"
    if isinstance(event, JobReleased):
        if event.secondary_status == event.status:
            return event.status
        return f"{event.status} ({event.secondary_status})"
    if isinstance(event, PoolKept):
        return f"warm pool Available until t={_seconds(event.expires_at)}"
    if isinstance(event, PoolReused):
        return f"warm pool Reused by {event.by_job}"
    if isinstance(event, PoolTerminated):
        return f"warm pool Terminated ({event.reason}), {event.billable_seconds} s billable"
    if isinstance(event, KeepAliveUpdated):
        return (
            f"keep-alive {event.keep_alive_seconds} s: warm pool Available until "
            f"t={_seconds(event.expires_at)}"
        )
    if isinstance(event, QuotaRefused):
        return (
            f"{event.quota} quota refused {event.requested} x {event.instance_type} "
            f"(limit {event.limit}, used {event.used})"
        )
    if isinstance(event, JobDeleted):
        return "deleted (DeleteTrainingJob)"
    return ""  # pragma: no cover - every event class is named above


def pool_timeline(source: object, job: str) -> str:
    """The timeline of ``job``'s warm pool, as text: every event of the event log about the
    job, or about another job that held its cluster (the pool's earlier and later holders),
    one a line with its time (seconds and UTC), job, event and the status it left;
    then what ``DescribeTrainingJob`` says now.

    ``source`` is a :class:`~warmpool.WarmPoolEmulator` or a boto3 SageMaker client attached
    to one. An emulator whose event log is bounded (``event_log_maxlen``) shows only the
    events it still holds.
    """
    emu = _emulator_of(source)
    with emu.lock:
        events = list(emu.events)
        now = emu.now
        try:
            described: dict[str, Any] | None = emu.describe_training_job(TrainingJobName=job)
        except errors.ValidationException:
            described = None
    clusters = sorted(
        {
            cluster
            for event in events
            if event.job == job and (cluster := getattr(event, "cluster", None)) is not None
        }
    )
    # Every job that held one of these clusters, before or after this one.
    holders = {job} | {event.job for event in events if getattr(event, "cluster", None) in clusters}
    rows = [event for event in events if event.job in holders]
    where = "" if not clusters else f" (cluster {', '.join(map(str, clusters))})"
    lines = [f"warm pool timeline of {job!r}{where}; now t={_seconds(now)} ({_moment(emu, now)})"]
    if rows:
        table = [("t (s)", "time", "job", "event", "status")]
        table += [
            (
                _seconds(event.time),
                _moment(emu, event.time),
                event.job,
                type(event).__name__,
                _status_text(event),
            )
            for event in rows
        ]
        widths = [max(len(row[column]) for row in table) for column in range(4)]
        for row in table:
            cells = [row[0].rjust(widths[0])]
            cells += [cell.ljust(width) for cell, width in zip(row[1:4], widths[1:], strict=True)]
            lines.append("  " + "  ".join([*cells, row[4]]).rstrip())
    else:
        lines.append(f"  (the event log holds no event about {job!r})")
    if described is None:
        lines.append(f"now: there is no training job named {job!r}")
    else:
        status = described["TrainingJobStatus"]
        secondary = described.get("SecondaryStatus")
        if secondary not in (None, status):
            status = f"{status} ({secondary})"
        pool = described.get("WarmPoolStatus")
        shown = "absent (no warm pool)" if pool is None else repr(pool)
        lines.append(f"now: {job} is {status}, WarmPoolStatus {shown}")
    return "\n".join(lines)


def _warm_pool_status(emu: WarmPoolEmulator, job: str) -> dict[str, Any] | None:
    """The job's ``WarmPoolStatus`` (``None`` if absent); AssertionError with the timeline
    if there is no such job."""
    try:
        described = emu.describe_training_job(TrainingJobName=job)
    except errors.ValidationException:
        raise AssertionError(
            f"there is no training job named {job!r}\n\n{pool_timeline(emu, job)}"
        ) from None
    status: dict[str, Any] | None = described.get("WarmPoolStatus")
    return status


def assert_pool_status(source: object, job: str, expected: str | None) -> None:
    """Assert that ``job``'s ``WarmPoolStatus.Status`` is ``expected`` (``"InUse"``,
    ``"Available"``, ``"Reused"`` or ``"Terminated"``; ``None``: the job has no warm pool).

    ``source`` is an emulator or a boto3 SageMaker client attached to one. The
    ``AssertionError`` says what the status is and shows :func:`pool_timeline`.
    """
    __tracebackhide__ = True
    if expected is not None and expected not in _WARM_POOL_STATUSES:
        raise ValueError(
            f"expected must be one of {', '.join(_WARM_POOL_STATUSES)} or None, not {expected!r}"
        )
    emu = _emulator_of(source)
    with emu.lock:
        status = _warm_pool_status(emu, job)
        actual = None if status is None else status["Status"]
        if actual != expected:
            raise AssertionError(
                f"the warm pool of {job!r} is {actual or 'absent (no WarmPoolStatus)'}, "
                f"expected {expected or 'absent (no WarmPoolStatus)'}\n\n"
                f"{pool_timeline(emu, job)}"
            )


def assert_billable_seconds(source: object, job: str, expected: int) -> None:
    """Assert that ``job``'s ``WarmPoolStatus.ResourceRetainedBillableTimeInSeconds`` is
    ``expected``: the job's pool is ``Reused`` or ``Terminated`` and was ``Available`` that
    many seconds, rounded up (behaviour §6.4).

    ``source`` is an emulator or a boto3 SageMaker client attached to one. The
    ``AssertionError`` says what the job shows instead and shows :func:`pool_timeline`.
    """
    __tracebackhide__ = True
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise ValueError(f"expected must be a whole number of seconds >= 0, not {expected!r}")
    emu = _emulator_of(source)
    with emu.lock:
        status = _warm_pool_status(emu, job)
        if status is None:
            problem = "has no warm pool (no WarmPoolStatus)"
        elif status["Status"] not in BILLED:
            problem = (
                f"is {status['Status']}: ResourceRetainedBillableTimeInSeconds appears once it "
                "is Reused or Terminated"
            )
        elif status["ResourceRetainedBillableTimeInSeconds"] != expected:
            problem = (
                f"is {status['Status']} with ResourceRetainedBillableTimeInSeconds "
                f"{status['ResourceRetainedBillableTimeInSeconds']}"
            )
        else:
            return
        raise AssertionError(
            f"expected the warm pool of {job!r} to be billed {expected} s, but it {problem}\n\n"
            f"{pool_timeline(emu, job)}"
        )


# -- the invariants of behaviour §11 --------------------------------------------------------------

#: A job as the public API identifies it across deletion and reuse of its name.
_Ident = tuple[str, datetime]


class _Watch:
    """What the invariants remember about one emulator between two checks."""

    def __init__(self, emu: WarmPoolEmulator) -> None:
        self.emu = emu
        self.last_now = emu.now
        self.last_totals = _totals(emu)
        self.seen_status: dict[_Ident, str | None] = {}
        self.seen_retained: dict[_Ident, int] = {}
        # old job -> the job that took its pool over; None once that one is gone
        self.reusers: dict[_Ident, _Ident | None] = {}
        self.quotas: dict[str, Quota] = {}
        self.lowered: set[str] = set()
        # warm pool status of each job name, followed through the event log
        self.pools: dict[str, str | None] = {}
        settings = emu.settings  # a copy each time it is read: read it once
        self.retires = not settings["retain_finished"]
        self.described: tuple[tuple[Any, ...], dict[str, dict[str, Any]]] | None = None
        # Events not yet followed. A log that keeps every event is read where it was left
        # (subscribing would change the emulator's path); a bounded one is subscribed to.
        self.read = 0
        self.delivered = 0
        self.pending: list[Event] = []
        self.bounded = settings["event_log_maxlen"] is not None
        if self.bounded:
            with emu.lock:
                self.pending.extend(emu.events)
                emu.events.subscribe(self._delivered)

    def _delivered(self, event: Event) -> None:
        self.pending.append(event)
        self.delivered += 1

    def changes(self) -> int:
        """Events so far: a job's status changes only with one."""
        return self.delivered if self.bounded else len(self.emu.events)

    def new_events(self) -> list[Event]:
        """The events since the last call."""
        if self.bounded:
            pending, self.pending = self.pending, []
            return pending
        events = self.emu.events[self.read :]
        self.read += len(events)
        return events


def _totals(emu: WarmPoolEmulator) -> tuple[float, float, float, float]:
    t = emu.billing.total(include_open=True)
    return (
        t.retained_seconds,
        t.retained_instance_seconds,
        t.training_seconds,
        t.training_instance_seconds,
    )


class WarmPoolInvariants(RuleBasedStateMachine):
    """The guarantees of behaviour §11 as ``@invariant()`` s of a state machine, checked on
    ``self.emu`` (set it in ``__init__``) after every step, from the emulator's public API:

    * the clock never moves backwards (§4);
    * a job's warm pool status moves only as §6.2 allows, seen by ``DescribeTrainingJob``
      between steps and in the event log within them;
    * ``ResourceRetainedBillableTimeInSeconds`` never changes once shown (§6.4);
    * a cluster is ``InUse`` or ``Available`` for at most one job;
    * a ``Reused`` pool's cluster serves its ``ReusedByJob``, whose identity key is equal;
    * no ``Available`` pool outlives its expiry;
    * ``retained <= warm_pool`` and ``in_training + retained <= training`` for every instance
      type, except one whose limit was lowered below its use (§7);
    * billed seconds never shrink (§8).

    A failure names the job and shows its :func:`pool_timeline`. Replacing ``self.emu`` starts
    the checks afresh on the new emulator. :class:`WarmPoolMachine` adds rules.

    The ``TestCase`` of every subclass leaves out Hypothesis's ``explain`` phase, which on a
    failing machine of this size replays the shrunk steps hundreds of times (minutes) to
    annotate them; the other phases, and the settings of your profile, stay as they are.
    """

    emu: WarmPoolEmulator

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        case = cls.TestCase
        case.settings = settings(case.settings, phases=_without_explain(case.settings.phases))

    def __init__(self) -> None:
        super().__init__()
        self.__watch: _Watch | None = None

    def _watch(self) -> _Watch:
        watch = self.__watch
        if watch is None or watch.emu is not self.emu:
            watch = self.__watch = _Watch(self.emu)
        self._follow_events(watch)
        return watch

    def _follow_events(self, watch: _Watch) -> None:
        """§6.2 in the event log: each warm pool move since the last check is allowed."""
        for event in watch.new_events():
            name = event.job
            if isinstance(event, JobCreated):
                # A new job of this name: what was seen of an earlier one no longer applies.
                watch.pools[name] = "InUse"
                _forget(watch, name)
                continue
            if isinstance(event, JobDeleted):
                watch.pools.pop(name, None)
                _forget(watch, name)
                continue
            if isinstance(event, PoolKept):
                target = "Available"
            elif isinstance(event, PoolReused):
                target = "Reused"
            elif isinstance(event, PoolTerminated):
                target = "Terminated"
            else:
                continue
            if name in watch.pools:  # else created before the log's oldest event
                move = (watch.pools[name], target)
                assert move in POOL_MOVES, self._explain(
                    f"the warm pool of {name!r} moved {move[0]} -> {move[1]} at "
                    f"t={_seconds(event.time)}; behaviour §6.2 allows only "
                    f"{', '.join(f'{a} -> {b}' for a, b in sorted(POOL_MOVES))}",
                    name,
                )
            watch.pools[name] = target

    def _explain(self, message: str, job: str) -> str:
        return f"{message}\n\n{pool_timeline(self.emu, job)}"

    def describe_all(self) -> dict[str, dict[str, Any]]:
        """``DescribeTrainingJob`` of every job the emulator holds, by name, in creation
        order. Remembered until the next event or move of the clock, so every invariant of a
        step shares one set of answers: read them, don't change them."""
        watch = self._watch()
        emu = self.emu
        with emu.lock:
            names = emu.job_names()
            key = (emu.now, watch.changes(), tuple(names))
            if watch.described is None or watch.described[0] != key:
                watch.described = (
                    key,
                    {name: emu.describe_training_job(TrainingJobName=name) for name in names},
                )
            return watch.described[1]

    def _described(self) -> dict[_Ident, dict[str, Any]]:
        """:meth:`describe_all` by ``(name, CreationTime)``."""
        return {(name, body["CreationTime"]): body for name, body in self.describe_all().items()}

    @invariant()
    def clock_never_moves_backwards(self) -> None:
        """behaviour §4: ``now`` never decreases."""
        watch = self._watch()
        assert self.emu.now >= watch.last_now, (
            f"the clock moved backwards from t={_seconds(watch.last_now)} to "
            f"t={_seconds(self.emu.now)}"
        )
        watch.last_now = self.emu.now

    @invariant()
    def warm_pool_status_moves_only_as_allowed(self) -> None:
        """behaviour §6.2 / §11: between two observations a job's warm pool status stays or
        makes one of the moves of :data:`POOL_MOVES` (within one call it can make two only as
        InUse -> Available -> Terminated, which is also InUse -> Terminated). A rule that makes
        several calls calls this between them, as an observation."""
        watch = self._watch()
        current: dict[_Ident, str | None] = {}
        for ident, described in self._described().items():
            status = described.get("WarmPoolStatus", {}).get("Status")
            if ident in watch.seen_status:
                before = watch.seen_status[ident]
                assert before == status or (before, status) in POOL_MOVES, self._explain(
                    f"the warm pool status of {ident[0]!r} went from {before} to {status}",
                    ident[0],
                )
            current[ident] = status
        watch.seen_status = current

    @invariant()
    def retained_billable_time_never_changes(self) -> None:
        """behaviour §6.4: ``ResourceRetainedBillableTimeInSeconds`` is fixed once shown."""
        watch = self._watch()
        for ident, described in self._described().items():
            seconds = described.get("WarmPoolStatus", {}).get(
                "ResourceRetainedBillableTimeInSeconds"
            )
            if seconds is None:
                continue
            first = watch.seen_retained.setdefault(ident, seconds)
            assert first == seconds, self._explain(
                f"ResourceRetainedBillableTimeInSeconds of {ident[0]!r} changed from {first} "
                f"to {seconds}",
                ident[0],
            )

    @invariant()
    def cluster_serves_at_most_one_job(self) -> None:
        """behaviour §11: a cluster is ``InUse`` or ``Available`` for at most one job."""
        self._watch()
        holders: dict[int, str] = {}
        for name in self.emu.job_names():
            view = self.emu.warm_pool(name)
            if view is None or view.status not in ("InUse", "Available") or view.cluster is None:
                continue
            other = holders.setdefault(view.cluster, name)
            assert other == name, self._explain(
                f"cluster {view.cluster} is {view.status} for {name!r} and also held by {other!r}",
                name,
            )

    @invariant()
    def reused_cluster_serves_a_matching_job(self) -> None:
        """behaviour §6.5 / §11: a ``Reused`` pool's cluster moved to its ``ReusedByJob``,
        whose identity key equals the old job's."""
        watch = self._watch()
        described = self._described()
        live = {ident[0]: ident for ident in described}
        for ident, body in described.items():
            status = body.get("WarmPoolStatus", {})
            if status.get("Status") != "Reused":
                continue
            new_name = status["ReusedByJob"]
            if ident not in watch.reusers:
                # Reuse happens in a create, so the new job exists when first seen.
                assert new_name in live, self._explain(
                    f"{ident[0]!r} is Reused by {new_name!r}, which does not exist", ident[0]
                )
                watch.reusers[ident] = live[new_name]
            new_ident = watch.reusers[ident]
            if new_ident is None:
                continue  # the new job was deleted (its name may be in use again)
            if live.get(new_name) != new_ident:
                assert watch.retires, self._explain(
                    f"{ident[0]!r} is Reused by {new_name!r}, which is gone though it was not "
                    "deleted",
                    ident[0],
                )
                continue  # retired (retain_finished=False)
            old_view = self.emu.warm_pool(ident[0])
            new_view = self.emu.warm_pool(new_name)
            assert old_view is not None and new_view is not None
            assert new_view.cluster == old_view.cluster, self._explain(
                f"{ident[0]!r} is Reused by {new_name!r}, but {new_name!r} runs on cluster "
                f"{new_view.cluster}, not {old_view.cluster}",
                ident[0],
            )
            old_key, new_key = self.emu.identity_key(ident[0]), self.emu.identity_key(new_name)
            assert new_key == old_key, self._explain(
                f"{new_name!r} took over the pool of {ident[0]!r} though their identity keys "
                f"differ in {', '.join(old_key.differences(new_key))}",
                ident[0],
            )

    @invariant()
    def no_available_pool_outlives_its_expiry(self) -> None:
        """behaviour §6.3 / §11: an ``Available`` pool always expires in the future."""
        self._watch()
        now = self.emu.now
        for name in self.emu.job_names():
            view = self.emu.warm_pool(name)
            if view is not None and view.status == "Available":
                assert view.expires_at is not None and view.expires_at > now, self._explain(
                    f"the warm pool of {name!r} is still Available at t={_seconds(now)}, "
                    f"though it expires at t={_seconds(view.expires_at or math.nan)}",
                    name,
                )

    @invariant()
    def quota_inequalities_hold(self) -> None:
        """behaviour §7: ``retained <= warm_pool`` and ``in_training + retained <= training``,
        except for an instance type whose limit was lowered below its use while running."""
        watch = self._watch()
        for instance_type, usage in self.emu.quotas.usages().items():
            quota = usage.quota
            over_pool = usage.retained > quota.warm_pool
            over_training = quota.training is not None and usage.used > quota.training
            changed = watch.quotas.get(instance_type, quota) != quota
            watch.quotas[instance_type] = quota
            if changed and (over_pool or over_training):
                watch.lowered.add(instance_type)  # lowered below its use: evicts nothing
            if instance_type in watch.lowered:
                continue
            assert not over_pool, (
                f"{usage.retained} {instance_type} instances are retained in warm pools, above "
                f"the warm pool limit of {quota.warm_pool}"
            )
            assert not over_training, (
                f"{usage.in_training} {instance_type} instances are training and "
                f"{usage.retained} retained, above the training limit of {quota.training}"
            )

    @invariant()
    def billing_never_shrinks(self) -> None:
        """behaviour §8 / §11: billed seconds and instance-seconds (retained, open pools
        included, and training) never decrease."""
        watch = self._watch()
        now = _totals(self.emu)
        names = ("retained s", "retained instance-s", "training s", "training instance-s")
        for name, before, after in zip(names, watch.last_totals, now, strict=True):
            assert after >= before, f"billed {name} shrank from {before} to {after}"
        watch.last_totals = now


def _forget(watch: _Watch, name: str) -> None:
    """Forget what was seen of earlier jobs named ``name`` (deleted, retired or replaced)."""
    for seen in (watch.seen_status, watch.seen_retained):
        for ident in [ident for ident in seen if ident[0] == name]:
            del seen[ident]
    for old in [old for old in watch.reusers if old[0] == name]:
        del watch.reusers[old]
    for old, new in watch.reusers.items():
        if new is not None and new[0] == name:
            watch.reusers[old] = None


# -- the machine ----------------------------------------------------------------------------------

_PICK: Final = st.integers(0, 255)
#: How long ``create`` waits first: seconds, or "next" (to the emulator's next change).
_WAITS: Final[st.SearchStrategy[float | str]] = st.sampled_from(
    (0, "next", 30, 300, 900, 1800, 3600)
)
_FAILURE_CLASSES: Final = wst.FAILURE_CLASSES


class _Status(NamedTuple):
    """What the machine's rules look at of a job."""

    job: str  # TrainingJobStatus
    secondary: str  # SecondaryStatus
    pool: str | None  # WarmPoolStatus.Status, None without one


class _Strategies(NamedTuple):
    """The strategies of :class:`WarmPoolMachine`'s rules for an emulator with ``limits``."""

    limits: Limits
    keep_alive: st.SearchStrategy[int | None]
    requests: st.SearchStrategy[dict[str, Any]]
    plans: st.SearchStrategy[JobPlan | None]
    invalid: st.SearchStrategy[wst.InvalidRequest]


def _without_explain(phases: Iterable[Phase]) -> tuple[Phase, ...]:
    """``phases`` without Hypothesis's ``explain`` phase (see :class:`WarmPoolInvariants`)."""
    return tuple(phase for phase in phases if phase is not Phase.explain)


def _training(status: _Status) -> bool:
    return status.secondary == "Training"


def _in_progress(status: _Status) -> bool:
    return status.job == "InProgress"


def _available(status: _Status) -> bool:
    return status.pool == "Available"


def _deletable(status: _Status) -> bool:
    return status.job in _TERMINAL and status.pool != "Available"


class WarmPoolMachine(WarmPoolInvariants):
    """A Hypothesis state machine that drives ``self.emu`` (a fresh emulator per test case)
    through random operations, checking the invariants of :class:`WarmPoolInvariants` after
    every step.

    Rules: ``create`` (a valid request from :mod:`warmpool.strategies`, whose identity key
    repeats an earlier one's at ``collision_rate``, and a :class:`~warmpool.JobPlan` or none
    for the job), ``create_invalid`` (refused with a ``ValidationException``, changing
    nothing), ``advance`` and ``advance_to_next_event``, ``complete``, ``fail``, ``stop``,
    ``update_keep_alive``, ``delete``, ``patch_update``, ``describe`` and
    ``list_by_warm_pool_status`` (both checking their answers, behaviour §6 and §9.6). A rule
    that finds no job it applies to does nothing.

    Subclass it to test your code: add ``@invariant()`` methods (they run after every step,
    on ``self.emu``), and set ``TestYourMachine = YourMachine.TestCase``. Change the emulator
    with :attr:`emulator_settings` or :meth:`make_emulator`, the jobs with the other class
    attributes. To leave a rule out, define a method of the same name without ``@rule``.
    """

    #: Keyword arguments of :class:`~warmpool.WarmPoolEmulator` (all but ``workload``, which
    #: the machine sets). Without ``quotas``, each of :attr:`instance_types` gets
    #: ``Quota(training=6, warm_pool=2)``; without ``timing``, ``Timing(stopping_seconds=30)``.
    emulator_settings: ClassVar[Mapping[str, Any]] = {}
    #: The instance types of the machine's jobs.
    instance_types: ClassVar[tuple[str, ...]] = ("ml.m5.xlarge", "ml.c5.xlarge")
    #: How often a new job's identity key equals an earlier job's (see
    #: :func:`warmpool.strategies.identity_keys`).
    collision_rate: ClassVar[float] = 0.7
    #: The most instances a job asks for.
    max_instance_count: ClassVar[int] = 2
    #: The longest a planned job trains.
    max_training_seconds: ClassVar[float] = 3600

    def __init__(self) -> None:
        super().__init__()
        self._plan: JobPlan | None = None
        self._created = 0
        self.__strategies: _Strategies | None = None
        #: Every name the machine created a job with, in order (deleted ones included).
        self.created_jobs: list[str] = []
        self.emu = self.make_emulator(self._workload)

    def make_emulator(
        self, workload: Callable[[Mapping[str, Any]], JobPlan | None]
    ) -> WarmPoolEmulator:
        """The emulator of one test case: by default built from :attr:`emulator_settings`.
        Pass ``workload`` on: it gives each job the plan its ``create`` step drew."""
        settings = dict(self.emulator_settings)
        settings.setdefault(
            "quotas", {kind: Quota(training=6, warm_pool=2) for kind in self.instance_types}
        )
        settings.setdefault("timing", Timing(stopping_seconds=30))
        return WarmPoolEmulator(workload=workload, **settings)

    def _workload(self, request: Mapping[str, Any]) -> JobPlan | None:
        return self._plan

    # -- helpers for rules and invariants ---------------------------------------------------------

    def _status(self) -> dict[str, _Status]:
        """(TrainingJobStatus, SecondaryStatus, warm pool status) of every job."""
        return {
            name: _Status(
                body["TrainingJobStatus"],
                body["SecondaryStatus"],
                body.get("WarmPoolStatus", {}).get("Status"),
            )
            for name, body in self.describe_all().items()
        }

    def _jobs(self, fits: Callable[[_Status], bool]) -> list[str]:
        return [name for name, status in self._status().items() if fits(status)]

    def _pick(self, pick: int, fits: Callable[[_Status], bool]) -> str:
        candidates = self._jobs(fits)
        return candidates[pick % len(candidates)]

    def _state(self) -> tuple[Any, ...]:
        """What a refused call must leave as it was."""
        emu = self.emu
        return (
            emu.now,
            emu.job_names(),
            len(emu.events),
            emu.quotas.usages(),
            emu.billing.total(include_open=True),
            emu.next_event_time(),
        )

    def _strategies(self) -> _Strategies:
        """The strategies of the rules, made once per test case (making them costs more than
        drawing from them)."""
        made = self.__strategies
        if made is None or made.limits != self.emu.limits:
            limits = self.emu.limits
            top = limits.max_keep_alive_seconds
            keep_alive: st.SearchStrategy[int | None] = st.one_of(
                st.integers(1, top), st.sampled_from((60, 600, top)), st.sampled_from((None, 0))
            )
            keys = wst.identity_keys(
                self.collision_rate,
                instance_types=self.instance_types,
                max_instance_count=self.max_instance_count,
                pool="warmpool.testing",
            )
            plans = wst.job_plans(max_training_seconds=self.max_training_seconds)
            made = self.__strategies = _Strategies(
                limits=limits,
                keep_alive=keep_alive,
                requests=wst.create_training_job_requests(
                    keys=keys, keep_alive=keep_alive, limits=limits
                ),
                plans=st.one_of(plans, plans, st.none()),
                invalid=wst.invalid_create_training_job_requests(limits=limits),
            )
        return made

    def _wait(self, data: st.DataObject) -> None:
        """Let time pass before a create: none, some, or up to the next change."""
        wait = data.draw(_WAITS, label="wait")
        if wait == "next":
            at = self.emu.next_event_time()
            if at is not None:
                self.emu.run_until(at)
        else:
            assert not isinstance(wait, str)
            self.emu.advance(wait)
        self.warm_pool_status_moves_only_as_allowed()  # one observation per call

    def _create(self, data: st.DataObject, request: dict[str, Any]) -> None:
        self._created += 1
        name = request["TrainingJobName"] = f"job-{self._created}"
        self._plan = data.draw(self._strategies().plans, label="plan")
        try:
            self.emu.create_training_job(**request)
        except errors.ResourceLimitExceeded:
            return  # the training quota is full (behaviour §7)
        finally:
            self._plan = None
        self.created_jobs.append(name)

    # -- rules ------------------------------------------------------------------------------------

    @initialize(data=st.data(), jobs=st.integers(1, 4))
    def create_first_jobs(self, data: st.DataObject, jobs: int) -> None:
        """Every test case starts with 1 to 4 creates, so that there is always something to
        bill (Hypothesis may leave ``create`` out of a test case's rules)."""
        for _ in range(jobs):
            self._create(data, data.draw(self._strategies().requests, label="request"))

    @rule(data=st.data())
    def create(self, data: st.DataObject) -> None:
        """After a wait, ``CreateTrainingJob`` with a valid request (refused only by a training
        quota) and a plan for the job, or none (it trains until a control, a stop or its max
        runtime)."""
        self._wait(data)
        self._create(data, data.draw(self._strategies().requests, label="request"))

    @precondition(lambda self: self._jobs(_available))
    @rule(pick=_PICK, data=st.data())
    def create_matching(self, pick: int, data: st.DataObject) -> None:
        """``CreateTrainingJob`` with the identity key of an ``Available`` pool: it takes the
        pool over (unless it asks for managed spot training, behaviour §6.5)."""
        made = self._strategies()
        key = self.emu.identity_key(self._pick(pick, _available))
        if data.draw(st.booleans(), label="wait"):
            self.emu.advance(data.draw(st.sampled_from((1, 60)), label="seconds"))
            self.warm_pool_status_moves_only_as_allowed()  # one observation per call
        requests = wst.create_training_job_requests(
            keys=st.just(key), keep_alive=made.keep_alive, limits=made.limits
        )
        self._create(data, data.draw(requests, label="request"))

    @rule(data=st.data())
    def create_invalid(self, data: st.DataObject) -> None:
        """behaviour §9: an invalid request is refused with a ValidationException naming
        its field, and changes nothing."""
        invalid = data.draw(self._strategies().invalid, label="invalid")
        before = self._state()
        field: str | None = None
        try:
            self.emu.create_training_job(**invalid.request)
        except errors.ValidationException as error:
            field = error.field or "(none)"
        assert field is not None, f"the emulator accepted an invalid request ({invalid.kind})"
        assert field.startswith(invalid.field), (
            f"the refusal of a request with {invalid.kind} names {field!r}, not {invalid.field!r}"
        )
        assert self._state() == before, "a refused create changed the emulator"

    @rule(seconds=st.sampled_from((0, 0.5, 1, 30, 120, 600, 1800, 3600, 7200)))
    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward."""
        self.emu.advance(seconds)

    @precondition(lambda self: self.emu.next_event_time() is not None)
    @rule(just_before=st.booleans())
    def advance_to_next_event(self, just_before: bool) -> None:
        """Move the clock to the emulator's next change (or half a second before it)."""
        at = self.emu.next_event_time()
        assert at is not None
        self.emu.run_until(max(self.emu.now, at - 0.5) if just_before else at)

    @precondition(lambda self: self._jobs(_training))
    @rule(pick=_PICK)
    def complete(self, pick: int) -> None:
        """``complete_training_job`` on a job that is training."""
        self.emu.complete_training_job(self._pick(pick, _training))

    @precondition(lambda self: self._jobs(_in_progress))
    @rule(pick=_PICK, failure_class=st.sampled_from(_FAILURE_CLASSES))
    def fail(self, pick: int, failure_class: str) -> None:
        """``fail_training_job`` on a job that is ``InProgress``."""
        self.emu.fail_training_job(self._pick(pick, _in_progress), failure_class, "exit code 1")

    @precondition(lambda self: self._jobs(_in_progress))
    @rule(pick=_PICK)
    def stop(self, pick: int) -> None:
        """``StopTrainingJob`` on a job that is ``InProgress``."""
        self.emu.stop_training_job(TrainingJobName=self._pick(pick, _in_progress))

    @precondition(lambda self: self._jobs(_available))
    @rule(pick=_PICK, data=st.data())
    def update_keep_alive(self, pick: int, data: st.DataObject) -> None:
        """``UpdateTrainingJob`` of the keep-alive of an ``Available`` pool (0 ends it)."""
        name = self._pick(pick, _available)
        top = self.emu.limits.max_keep_alive_seconds
        seconds = data.draw(st.sampled_from((0, top)) | st.integers(0, top), label="keep_alive")
        self.emu.update_training_job(
            TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": seconds}
        )

    @precondition(lambda self: self._jobs(_deletable))
    @rule(pick=_PICK)
    def delete(self, pick: int) -> None:
        """``DeleteTrainingJob`` of a finished job that holds no ``Available`` pool."""
        self.emu.delete_training_job(TrainingJobName=self._pick(pick, _deletable))

    @rule(data=st.data())
    def patch_update(self, data: st.DataObject) -> None:
        """``apply_patch_update``: every ``Available`` pool (of one type) is terminated."""
        kind = data.draw(st.none() | st.sampled_from(self.instance_types), label="instance_type")
        self.emu.apply_patch_update(kind)

    @precondition(lambda self: self.created_jobs)
    @rule(pick=_PICK)
    def describe(self, pick: int) -> None:
        """behaviour §6.1 / §6.4: ``DescribeTrainingJob`` of any name the machine used shows a
        ``WarmPoolStatus`` consistent with the job's status, or says the job is not found."""
        name = self.created_jobs[pick % len(self.created_jobs)]
        try:
            body = self.emu.describe_training_job(TrainingJobName=name)
        except errors.ValidationException:
            body = None
        if body is None:
            assert name not in self.emu.job_names(), f"{name!r} exists but is not found"
            return
        pool = body.get("WarmPoolStatus")
        if pool is None:
            return
        status = pool["Status"]
        assert status in _WARM_POOL_STATUSES, pool
        assert ("ResourceRetainedBillableTimeInSeconds" in pool) == (status in BILLED), pool
        assert ("ReusedByJob" in pool) == (status == "Reused"), pool
        assert (status == "InUse") == (body["TrainingJobStatus"] in _ACTIVE), (
            f"{name!r} is {body['TrainingJobStatus']} with a warm pool {status}"
        )

    @rule(status=st.sampled_from(_WARM_POOL_STATUSES), page=st.integers(1, 10))
    def list_by_warm_pool_status(self, status: str, page: int) -> None:
        """behaviour §9.6: ``ListTrainingJobs(WarmPoolStatusEquals=...)``, page by page, names
        exactly the jobs whose ``DescribeTrainingJob`` shows that status."""
        listed: list[str] = []
        token: str | None = None
        while True:
            request: dict[str, Any] = {"WarmPoolStatusEquals": status, "MaxResults": page}
            if token is not None:
                request["NextToken"] = token
            answer = self.emu.list_training_jobs(**request)
            listed += [summary["TrainingJobName"] for summary in answer["TrainingJobSummaries"]]
            token = answer.get("NextToken")
            if token is None:
                break
        expected = {
            name
            for name, body in self.describe_all().items()
            if body.get("WarmPoolStatus", {}).get("Status") == status
        }
        assert sorted(listed) == sorted(expected), (status, listed, expected)
