"""Replay a trace through the emulator and report what warm pools did (``docs/replay.md``).

:func:`replay` creates each row's training job with ``CreateTrainingJob`` at its submit time,
lets the emulator's clock run, stops the rows whose outcome is ``Stopped`` after their training
time, and watches the emulator's events to count warm and cold starts, retained and training
instance-seconds, and quota refusals, in all, by instance type and by identity. It uses the
emulator's public API only, so the figures obey every rule a single call does.
"""

from __future__ import annotations

import heapq
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any, Final

import attrs

from warmpool import (
    IdentityKey,
    JobPlan,
    Limits,
    Quota,
    Timing,
    VirtualClock,
    WarmPoolEmulator,
    identity_key,
)
from warmpool.billing import billable_seconds, training_seconds
from warmpool.errors import ResourceLimitExceeded, WarmPoolError
from warmpool.events import (
    EVENT_TYPES,
    Event,
    EventRecord,
    JobCreated,
    JobReleased,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    TrainingStarted,
)

from .policies import CostModel, Decision, IdleGap, Policy, PolicyError, policy_name
from .trace import (
    _EXPECT_OUTCOME,
    _EXPECT_SECONDS,
    Trace,
    TraceError,
    TraceJob,
    _odd_outcome,
    shown,
)

__all__ = ["UNLIMITED", "Figures", "Report", "replay", "request_for"]

#: The warm pool quota of an instance type the replay was given none for: no limit, so the
#: report shows what the workload would use (its ``peak_retained_instances``).
UNLIMITED: Final = 10**9

_TRAINING_IMAGE: Final = "123456789012.dkr.ecr.us-east-1.amazonaws.com/replay:latest"
_OUTPUT: Final = {"S3OutputPath": "s3://warmpool-replay/output"}
_ALGORITHM: Final = {"TrainingImage": _TRAINING_IMAGE, "TrainingInputMode": "File"}

# Which trace column a request member comes from, to name the column of a refused row.
_COLUMNS: Final = (
    ("keepaliveperiodinseconds", "keep_alive_seconds"),
    ("volumekmskeyid", "volume_kms_key_id"),
    ("volumesizeingb", "volume_size_gb"),
    ("instancetype", "instance_type"),
    ("instancecount", "instance_count"),
    ("maxruntimeinseconds", "max_runtime_seconds"),
    ("securitygroupids", "security_group_ids"),
    ("subnets", "subnets"),
    ("rolearn", "role_arn"),
    ("trainingjobname", "job_name"),
    ("enablenetworkisolation", "network_isolation"),
    ("enableintercontainertrafficencryption", "inter_container_encryption"),
)


@attrs.frozen
class Figures:
    """What the replay counted, for the whole trace or one group of its jobs.

    Seconds are simulated seconds; instance-seconds are billed seconds times the instance
    count, as AWS bills them (rounded up to whole seconds per interval). Costs are in USD,
    ``None`` when no price was given for an instance type of the group.
    """

    #: Rows of the trace (every ``CreateTrainingJob`` tried, refused ones included).
    jobs: int = 0
    #: Jobs that took over a warm pool.
    warm_starts: int = 0
    #: Jobs that launched a new cluster.
    cold_starts: int = 0
    #: ``warm_starts`` times (cold start - warm start) of the replay's ``Timing``: the waiting
    #: that warm pools saved.
    startup_seconds_saved: float = 0
    #: Instance-seconds of ``Available`` warm pools (``ResourceRetainedBillableTimeInSeconds``
    #: times the instance count, summed).
    retained_instance_seconds: int = 0
    #: Instance-seconds of training (``BillableTimeInSeconds`` times the instance count).
    training_instance_seconds: int = 0
    #: Refusals by a quota: creates refused by the training quota plus clusters not kept for
    #: the warm pool quota.
    quota_refusals: int = 0
    #: Creates refused by the training quota (``ResourceLimitExceeded``); these jobs never ran.
    training_quota_refusals: int = 0
    #: Clusters not kept as warm pools because the warm pool quota was full.
    warm_pool_quota_refusals: int = 0
    #: Jobs that ended ``Completed``, ``Failed`` and ``Stopped``.
    completed: int = 0
    failed: int = 0
    stopped: int = 0
    #: The most instances retained in warm pools at one time.
    peak_retained_instances: int = 0
    retained_cost: float | None = None
    training_cost: float | None = None
    #: ``cold_start_value`` times the jobs that did not start warm (``cold_starts`` plus
    #: ``training_quota_refusals``), under the cost model (``docs/policies.md``); ``None``
    #: without a price for the group's instance type, like ``retained_cost``.
    cold_start_cost: float | None = None
    #: ``retained_cost + cold_start_cost``: what the keep-alive choices cost, idle pools and
    #: cold starts, the figure policies make small and regret compares.
    keep_alive_cost: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figures as a dict of plain values (JSON-ready)."""
        return attrs.asdict(self, recurse=False)


@attrs.frozen
class Report(Figures):
    """The figures of a whole replay, with the same figures ``by_instance_type`` and
    ``by_identity`` (a readable label of each identity key, see :func:`identity_label`), and
    the settings and times of the replay."""

    by_instance_type: Mapping[str, Figures] = attrs.field(factory=dict, kw_only=True)
    by_identity: Mapping[str, Figures] = attrs.field(factory=dict, kw_only=True)
    #: ``None``: each row's own keep-alive, or a policy's; else the keep-alive every job was
    #: given.
    keep_alive: int | None = attrs.field(default=None, kw_only=True)
    #: The name of the policy that chose each job's keep-alive (``None``: no policy).
    policy: str | None = attrs.field(default=None, kw_only=True)
    #: USD a cold start costs under the cost model (``docs/policies.md``).
    cold_start_value: float = attrs.field(default=0.0, kw_only=True)
    limits: Limits = attrs.field(default=Limits.GUIDE_2022, kw_only=True)
    timing: Timing = attrs.field(factory=Timing, kw_only=True)
    #: Simulated seconds from the trace's start to the last event (the last pool's end).
    end_seconds: float = attrs.field(default=0, kw_only=True)
    #: Instance types with jobs but no price (their costs are left out of every total).
    unpriced_instance_types: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    #: The hindsight optimum's keep-alive cost for the same trace and settings, whether it is
    #: exact (else a lower bound), and ``keep_alive_cost / optimum_cost``: ``None`` until
    #: :func:`warmpool.sim.optimum.with_optimum` fills them in (``docs/policies.md``).
    optimum_cost: float | None = attrs.field(default=None, kw_only=True)
    optimum_exact: bool | None = attrs.field(default=None, kw_only=True)
    regret: float | None = attrs.field(default=None, kw_only=True)

    @property
    def total_cost(self) -> float | None:
        """Retained plus training cost, or ``None`` without prices."""
        if self.retained_cost is None or self.training_cost is None:
            return None
        return self.retained_cost + self.training_cost

    def to_dict(self) -> dict[str, Any]:
        """Every figure and breakdown as plain values (what ``warmpool replay --json`` prints)."""
        figures = {f.name: getattr(self, f.name) for f in attrs.fields(Figures)}
        return {
            **figures,
            "total_cost": self.total_cost,
            "keep_alive": self.keep_alive,
            "policy": self.policy,
            "cold_start_value": self.cold_start_value,
            "optimum_cost": self.optimum_cost,
            "optimum_exact": self.optimum_exact,
            # JSON has no infinity: an unbounded regret (the optimum costs nothing) is null.
            "regret": None if self.regret is not None and math.isinf(self.regret) else self.regret,
            "limits": attrs.asdict(self.limits),
            "timing": attrs.asdict(self.timing),
            "end_seconds": self.end_seconds,
            "unpriced_instance_types": list(self.unpriced_instance_types),
            "by_instance_type": {k: v.to_dict() for k, v in self.by_instance_type.items()},
            "by_identity": {k: v.to_dict() for k, v in self.by_identity.items()},
        }


def request_for(job: TraceJob, name: str, keep_alive: int | None) -> dict[str, Any]:
    """The ``CreateTrainingJob`` request the replay sends for one row.

    The training image, input mode and output path are fixed (they are not part of the
    identity key, so they change nothing the replay measures).
    """
    resource: dict[str, Any] = {
        "InstanceType": job.instance_type,
        "InstanceCount": job.instance_count,
        "VolumeSizeInGB": job.volume_size_gb,
    }
    if job.volume_kms_key_id is not None:
        resource["VolumeKmsKeyId"] = job.volume_kms_key_id
    if keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = keep_alive
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": _ALGORITHM,
        "RoleArn": job.role_arn,
        "OutputDataConfig": _OUTPUT,
        "ResourceConfig": resource,
        "StoppingCondition": {"MaxRuntimeInSeconds": job.max_runtime_seconds},
    }
    if job.security_group_ids or job.subnets:
        request["VpcConfig"] = {
            "SecurityGroupIds": list(job.security_group_ids),
            "Subnets": list(job.subnets),
        }
    if job.network_isolation:
        request["EnableNetworkIsolation"] = True
    if job.inter_container_encryption:
        request["EnableInterContainerTrafficEncryption"] = True
    return request


def identity_label(request: Mapping[str, Any]) -> str:
    """A short, readable name of a request's identity key: role, instance type and count,
    volume, then only what is set (KMS key, VPC, the two flags)."""
    key = identity_key(request)
    role = key.role_arn.split(":role/", 1)[-1]
    parts = [role, f"{key.instance_type} x{key.instance_count}"]
    if key.volume_size_in_gb is not None:
        parts.append(f"{key.volume_size_in_gb} GB")
    if key.volume_kms_key_id is not None:
        parts.append(f"kms={key.volume_kms_key_id}")
    if key.security_group_ids is not None:
        groups = "+".join(sorted(key.security_group_ids))
        subnets = "+".join(sorted(key.subnets or ()))
        parts.append(f"vpc={groups}/{subnets}")
    if key.enable_network_isolation:
        parts.append("isolated")
    if key.enable_inter_container_traffic_encryption:
        parts.append("encrypted")
    return " ".join(parts)


class _Tally:
    """Mutable figures of one group while the replay runs."""

    __slots__ = (
        "cold",
        "completed",
        "failed",
        "jobs",
        "peak_retained",
        "retained",
        "retained_seconds",
        "stopped",
        "training_refusals",
        "training_seconds",
        "warm",
        "warm_pool_refusals",
    )

    def __init__(self) -> None:
        self.jobs = self.warm = self.cold = 0
        self.retained_seconds = self.training_seconds = 0
        self.training_refusals = self.warm_pool_refusals = 0
        self.completed = self.failed = self.stopped = 0
        self.retained = self.peak_retained = 0  # instances retained now, and at most

    def figures(
        self, saved_per_warm_start: float, price: float | None, cold_start_value: float = 0.0
    ) -> Figures:
        def cost(instance_seconds: int) -> float | None:
            return None if price is None else instance_seconds * price / 3600

        retained_cost = cost(self.retained_seconds)
        cold_cost = keep_alive_cost = None
        if retained_cost is not None:
            cold_cost = (self.cold + self.training_refusals) * cold_start_value
            keep_alive_cost = retained_cost + cold_cost

        return Figures(
            jobs=self.jobs,
            warm_starts=self.warm,
            cold_starts=self.cold,
            startup_seconds_saved=self.warm * saved_per_warm_start,
            retained_instance_seconds=self.retained_seconds,
            training_instance_seconds=self.training_seconds,
            quota_refusals=self.training_refusals + self.warm_pool_refusals,
            training_quota_refusals=self.training_refusals,
            warm_pool_quota_refusals=self.warm_pool_refusals,
            completed=self.completed,
            failed=self.failed,
            stopped=self.stopped,
            peak_retained_instances=self.peak_retained,
            retained_cost=retained_cost,
            training_cost=cost(self.training_seconds),
            cold_start_cost=cold_cost,
            keep_alive_cost=keep_alive_cost,
        )


def _position(kind: type[Event], field: str) -> int:
    """Where ``field`` of a ``kind`` event is in its record ``(code, time, job, *fields)``."""
    names = [f.name for f in attrs.fields(kind)]
    return 1 + names.index(field)


_TIME: Final = _position(Event, "time")
_JOB: Final = _position(Event, "job")
_CREATED_CLUSTER: Final = _position(JobCreated, "cluster")
_RELEASED_STATUS: Final = _position(JobReleased, "status")
_TERMINATED_BILLABLE: Final = _position(PoolTerminated, "billable_seconds")
_REFUSED_QUOTA: Final = _position(QuotaRefused, "quota")


class _Live:
    """What the replay remembers of a job until it is done with it."""

    __slots__ = (
        "by_type",
        "count",
        "identity",
        "kept_at",
        "line",
        "pooled",
        "started",
        "stop_after",
    )

    def __init__(
        self,
        by_type: _Tally,
        count: int,
        identity: _Tally,
        pooled: bool,
        stop_after: float | None,
        line: int,
    ) -> None:
        self.line = line  # the row's, for an error
        self.by_type = by_type
        self.count = count
        self.identity = identity
        self.pooled = pooled  # a warm pool event will follow its release
        self.stop_after = stop_after  # a Stopped row: stop this long after training starts
        self.started: float | None = None
        self.kept_at: float | None = None  # when its cluster became an Available pool


#: A configuration's request template, instance type tally, identity tally, and whether its
#: jobs have a warm pool.
_Config = tuple[dict[str, Any], _Tally, _Tally, bool]
#: Configurations remembered at most (a trace with more starts over; nothing is lost).
_CONFIGS: Final = 10_000
#: A row's fields that make its request, but for its name.
_config_of: Final = attrgetter(
    "role_arn",
    "instance_type",
    "instance_count",
    "volume_size_gb",
    "volume_kms_key_id",
    "security_group_ids",
    "subnets",
    "network_isolation",
    "inter_container_encryption",
    "keep_alive_seconds",
    "max_runtime_seconds",
)


class _Replayer:
    """One replay: the emulator, the stops not yet made, and the tallies that the emulator's
    events feed."""

    def __init__(self, emu: WarmPoolEmulator, keep_alive: int | None, source: str) -> None:
        self.emu = emu
        self.keep_alive = keep_alive
        self.source = source
        self.total = _Tally()
        self.by_type: dict[str, _Tally] = {}
        self.by_identity: dict[str, _Tally] = {}
        self.identity_types: dict[str, str] = {}  # label -> its instance type
        self.labels: dict[IdentityKey, str] = {}
        self.configs: dict[tuple[Any, ...], _Config] = {}  # a row's configuration -> ...
        self.plans: dict[tuple[float, str], JobPlan] = {}  # plans are frozen: shared
        self.live: dict[str, _Live] = {}
        self.stops: list[tuple[float, int, str]] = []  # (when, order, job name)
        self.stop_order = 0
        self.plan: JobPlan | None = None  # the plan of the row being created
        self.last_event = 0.0
        # The emulator's events arrive as records (EventLog.subscribe_records), cheaper than
        # events at millions a replay: (code, time, job, *fields); the handler by code.
        handlers: dict[type[Event], Callable[[EventRecord, _Live], None]] = {
            JobCreated: self._created,
            TrainingStarted: self._started,
            JobReleased: self._released,
            PoolKept: self._kept,
            PoolReused: self._reused,
            PoolTerminated: self._terminated,
            QuotaRefused: self._quota_refused,
        }
        self.handlers: tuple[Callable[[EventRecord, _Live], None] | None, ...] = tuple(
            handlers.get(kind) for kind in EVENT_TYPES
        )

    # -- driving ----------------------------------------------------------------------------

    def run(self, rows: Iterable[TraceJob], progress: Callable[[int], None] | None) -> None:
        emu = self.emu
        stops = self.stops
        end = emu.clock.end
        done = 0
        for number, row in enumerate(rows, 1):
            at = row.submit_time
            if at > end:
                raise self._past_the_end(row.line, at)
            while stops and stops[0][0] <= at:
                self._stop(heapq.heappop(stops))
            emu.run_until(at)
            self._create(row, number)
            done += 1
            if progress is not None and done % 1000 == 0:
                progress(done)
        while stops and stops[0][0] <= end:
            self._stop(heapq.heappop(stops))
        while True:  # until the last warm pool has ended
            next_at = emu.next_event_time()
            if next_at is None:
                break
            emu.run_until(next_at)
        if self.live:  # a job, or its pool, would outlast the clock's range: never counted
            raise self._past_the_end(next(iter(self.live.values())).line, None)
        if progress is not None:
            progress(done)

    def _past_the_end(self, line: int, at: float | None) -> TraceError:
        """The error of a row the clock's range cannot hold (``at``: its submit time, when
        that is already past the end; else its job or warm pool would end past it)."""
        clock = self.emu.clock
        end = clock.end
        found = (
            "a job (or its warm pool) that would end after it"
            if at is None
            else f"{at!r} (seconds, not milliseconds?)"
        )
        return TraceError(
            f"expected a time at most {end:.0f} seconds from the trace's start, "
            f"{clock.to_datetime(end):%Y-%m-%dT%H:%M:%SZ}, where the emulator's clock ends; "
            f"found {found}",
            path=self.source,
            line=line or None,
            column="submit_time",
        )

    def _stop(self, entry: tuple[float, int, str]) -> None:
        at, _, name = entry
        self.emu.run_until(at)
        live = self.live.get(name)
        if live is not None and live.stop_after is not None:  # still training: stop it
            self.emu.stop_training_job(TrainingJobName=name)

    def _create(self, row: TraceJob, number: int) -> None:
        name = row.job_name if row.job_name is not None else f"job-{number:06d}"
        config = _config_of(row)
        known = self.configs.get(config)
        if known is None:
            known = self._configure(row, config)
        template, by_type, identity, pooled = known
        request = template.copy()
        request["TrainingJobName"] = name
        self._submit(row, name, request, by_type, identity, pooled)

    def _submit(
        self,
        row: TraceJob,
        name: str,
        request: dict[str, Any],
        by_type: _Tally,
        identity: _Tally,
        pooled: bool,
    ) -> bool:
        """Create the row's job with ``request`` and count it; False if the training quota
        refused it (counted too: the job never runs)."""
        outcome = row.outcome
        if outcome == "Stopped":
            self.plan = None  # trains until the replay stops it (or until its max runtime)
        else:
            plan_key = (row.training_seconds, outcome)
            plan = self.plans.get(plan_key)
            if plan is None:
                plan = JobPlan(row.training_seconds, None if outcome == "Completed" else outcome)
                if len(self.plans) >= _CONFIGS:
                    self.plans.clear()
                self.plans[plan_key] = plan
            self.plan = plan
        self.total.jobs += 1
        by_type.jobs += 1
        identity.jobs += 1
        stop_after = row.training_seconds if outcome == "Stopped" else None
        self.live[name] = _Live(by_type, row.instance_count, identity, pooled, stop_after, row.line)
        try:
            self.emu.create_training_job(**request)
        except ResourceLimitExceeded:  # the training quota: the job never runs
            del self.live[name]
            for tally in (self.total, by_type, identity):
                tally.training_refusals += 1
            return False
        except WarmPoolError as error:
            raise _refused(error, row, self.source) from None
        return True

    def _configure(self, row: TraceJob, config: tuple[Any, ...]) -> _Config:
        """What every row with this configuration shares: its request but the name, and the
        tallies it counts in."""
        keep_alive = row.keep_alive_seconds if self.keep_alive is None else self.keep_alive
        template, _, label, by_type = self._template(row, keep_alive)
        known = (template, by_type, self.by_identity[label], bool(keep_alive))
        if len(self.configs) >= _CONFIGS:
            self.configs.clear()
        self.configs[config] = known
        return known

    def _template(
        self, row: TraceJob, keep_alive: int | None
    ) -> tuple[dict[str, Any], IdentityKey, str, _Tally]:
        """The row's request but its name, its identity key and label, and its instance
        type's tally (made the first time they are met)."""
        template = request_for(row, "", keep_alive)
        del template["TrainingJobName"]
        key = identity_key(template)
        label = self.labels.get(key)
        if label is None:
            label = self._label(template, key, row.instance_type)
        by_type = self.by_type.get(row.instance_type)
        if by_type is None:
            by_type = self.by_type[row.instance_type] = _Tally()
        return template, key, label, by_type

    def _label(self, request: Mapping[str, Any], key: IdentityKey, instance_type: str) -> str:
        label = identity_label(request)
        if label in self.by_identity:  # two keys, one label (roles of two accounts ...)
            label = f"{label} ({key.role_arn})"
        self.labels[key] = label
        self.by_identity[label] = _Tally()
        self.identity_types[label] = instance_type
        return label

    def workload(self, request: Mapping[str, Any]) -> JobPlan | None:
        return self.plan

    # -- watching -----------------------------------------------------------------------------

    def event(self, record: EventRecord) -> None:
        self.last_event = record[_TIME]
        handler = self.handlers[record[0]]
        if handler is not None:
            live = self.live.get(record[_JOB])
            if live is not None:  # not a job refused by the training quota
                handler(record, live)

    def _created(self, record: EventRecord, live: _Live) -> None:
        cluster = record[_CREATED_CLUSTER]
        if cluster is None:
            self.total.cold += 1
            live.by_type.cold += 1
            live.identity.cold += 1
        else:
            live.pooled = True  # it holds a pool: a warm pool event follows its release
            self.total.warm += 1
            live.by_type.warm += 1
            live.identity.warm += 1
        if live.stop_after is not None:
            # Training starts after the warm or cold start of the emulator's Timing; the user
            # stops the job stop_after seconds later.
            timing = self.emu.timing
            start = timing.cold_start_seconds if cluster is None else timing.warm_start_seconds
            self.stop_order += 1
            entry = (record[_TIME] + start + live.stop_after, self.stop_order, record[_JOB])
            heapq.heappush(self.stops, entry)

    def _started(self, record: EventRecord, live: _Live) -> None:
        live.started = record[_TIME]

    def _released(self, record: EventRecord, live: _Live) -> None:
        live.stop_after = None
        billed = 0
        if live.started is not None:
            billed = training_seconds(record[_TIME] - live.started) * live.count
        status = record[_RELEASED_STATUS]
        for tally in (self.total, live.by_type, live.identity):
            tally.training_seconds += billed
            if status == "Completed":
                tally.completed += 1
            elif status == "Failed":
                tally.failed += 1
            else:
                tally.stopped += 1
        if not live.pooled:  # no warm pool event will follow
            del self.live[record[_JOB]]

    def _kept(self, record: EventRecord, live: _Live) -> None:
        live.kept_at = record[_TIME]
        count = live.count
        for tally in (self.total, live.by_type, live.identity):
            tally.retained += count
            if tally.retained > tally.peak_retained:
                tally.peak_retained = tally.retained

    def _reused(self, record: EventRecord, live: _Live) -> None:
        if live.kept_at is not None:  # ResourceRetainedBillableTimeInSeconds of the donor
            self._unretain(live, billable_seconds(record[_TIME] - live.kept_at))
        del self.live[record[_JOB]]

    def _terminated(self, record: EventRecord, live: _Live) -> None:
        if live.kept_at is not None:  # else the cluster was never kept: nothing retained
            self._unretain(live, record[_TERMINATED_BILLABLE])
        del self.live[record[_JOB]]

    def _unretain(self, live: _Live, billable: int) -> None:
        count = live.count
        billed = billable * count
        for tally in (self.total, live.by_type, live.identity):
            tally.retained -= count
            tally.retained_seconds += billed

    def _quota_refused(self, record: EventRecord, live: _Live) -> None:
        # training refusals are counted where a create fails
        if record[_REFUSED_QUOTA] == "warm_pool":
            for tally in (self.total, live.by_type, live.identity):
                tally.warm_pool_refusals += 1


#: A configuration's request template (no keep-alive), its ``ResourceConfig``, instance type
#: and identity tallies, identity label and key, idle rate (USD/s or None), cold-start cost.
_Choice = tuple[
    dict[str, Any], dict[str, Any], _Tally, _Tally, str, IdentityKey, float | None, float
]


class _PolicyReplayer(_Replayer):
    """A replay whose keep-alives a policy chooses row by row, and which tells the policy
    each idle gap of an identity as it ends (``docs/policies.md``). A subclass, so that a
    replay without a policy runs exactly the code it ran before."""

    def __init__(
        self,
        emu: WarmPoolEmulator,
        policy: Policy,
        cost_model: CostModel,
        max_keep_alive: int,
        source: str,
    ) -> None:
        super().__init__(emu, None, source)
        self.policy = policy
        self.policy_name = policy_name(policy)
        self.cost_model = cost_model
        self.max_keep_alive = max_keep_alive
        self.choices: dict[tuple[Any, ...], _Choice] = {}  # a row's configuration -> ...
        self.releases: dict[str, list[float]] = {}  # label -> releases since its last create
        self.label_of: dict[str, str] = {}  # a job not yet released -> its identity's label

    def _create(self, row: TraceJob, number: int) -> None:
        name = row.job_name if row.job_name is not None else f"job-{number:06d}"
        config = _config_of(row)
        known = self.choices.get(config)
        if known is None:
            known = self._choose(row, config)
        template, resource, by_type, identity, label, key, rate, cold = known
        at = row.submit_time
        policy = self.policy
        released = self.releases.pop(label, None)
        if released:  # gaps from each release of the identity to this create
            for when in released:
                policy.observe(IdleGap(label, when, at))
        decision = Decision(
            number,
            at,
            row,
            label,
            key,
            row.instance_type,
            row.instance_count,
            rate,
            cold,
            self.max_keep_alive,
        )
        keep_alive = policy.keep_alive(decision)
        if (
            isinstance(keep_alive, bool)
            or not isinstance(keep_alive, int)
            or not 0 <= keep_alive <= self.max_keep_alive
        ):
            where = f"line {row.line}" if row.line else f"row {number}"
            raise PolicyError(
                f"policy {self.policy_name!r} chose keep-alive {keep_alive!r} for job {name!r} "
                f"({self.source}, {where}): a keep-alive must be a whole number of seconds from "
                f"0 to {self.max_keep_alive} (the limits' max_keep_alive_seconds)"
            )
        request = template.copy()
        request["TrainingJobName"] = name
        request["ResourceConfig"] = {**resource, "KeepAlivePeriodInSeconds": int(keep_alive)}
        self.label_of[name] = label
        if not self._submit(row, name, request, by_type, identity, keep_alive > 0):
            del self.label_of[name]

    def _choose(self, row: TraceJob, config: tuple[Any, ...]) -> _Choice:
        """What every row with this configuration shares: its request but the name and the
        keep-alive, its tallies, its identity, and its cost model figures."""
        template, key, label, by_type = self._template(row, None)
        model = self.cost_model
        known: _Choice = (
            template,
            template["ResourceConfig"],
            by_type,
            self.by_identity[label],
            label,
            key,
            model.idle_rate(row.instance_type, row.instance_count),
            model.cold_start_cost(row.instance_type, row.instance_count),
        )
        if len(self.choices) >= _CONFIGS:
            self.choices.clear()
        self.choices[config] = known
        return known

    def _released(self, record: EventRecord, live: _Live) -> None:
        super()._released(record, live)
        label = self.label_of.pop(record[_JOB], None)
        if label is not None:
            released = self.releases.get(label)
            if released is None:
                self.releases[label] = [record[_TIME]]
            else:
                released.append(record[_TIME])


def _refused(error: WarmPoolError, row: TraceJob, source: str) -> TraceError:
    """A row the emulator refused, as an error naming the row and, when it can, the column."""
    text = str(error).lower().replace("_", "")
    column = next((col for member, col in _COLUMNS if member in text), None)
    return TraceError(
        f"CreateTrainingJob refused this row: {error}",
        path=source,
        line=row.line or None,
        column=column,
    )


def replay(
    trace: Iterable[TraceJob],
    *,
    keep_alive: int | Policy | None = None,
    quotas: Mapping[str, Quota] | None = None,
    default_quota: Quota | None = None,
    limits: Limits = Limits.GUIDE_2022,
    timing: Timing | None = None,
    prices: Mapping[str, float] | None = None,
    start: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    on_emulator: Callable[[WarmPoolEmulator], object] | None = None,
    cold_start_value: float = 0.0,
) -> Report:
    """Replay ``trace`` (a :class:`~warmpool.sim.Trace` or any iterable of
    :class:`~warmpool.sim.TraceJob` in submit order) and report what warm pools did.

    ``keep_alive=None`` keeps each row's own ``keep_alive_seconds``; an int gives every job
    that keep-alive (0: no warm pools); a :class:`~warmpool.sim.policies.Policy` chooses each
    job's keep-alive as the replay goes (``docs/policies.md``). ``quotas`` sets the limits of
    instance types; types not in it get ``default_quota``, by default no training limit and no
    warm pool limit (:data:`UNLIMITED`), so that the report shows what the workload would use.
    ``limits`` and ``timing`` are the emulator's. ``prices`` are USD per instance-hour by
    instance type. ``start`` is when the trace's time 0 is (default: the trace's own ``start``
    if it has one, else the emulator's default epoch). ``progress(rows_done)`` is called every 1,000
    rows and at the end. ``on_emulator(emu)`` is called with the replay's emulator before the
    first row: to subscribe to its events (a :class:`~warmpool.sim.TimelineRecorder` ...) or
    to read its ledgers afterwards. The emulator keeps no event log (``event_log_maxlen=0``:
    subscribe to see events) and forgets each job once it is finished
    (``retain_finished=False``, D37), so memory follows the jobs alive at once, not the trace.
    ``cold_start_value`` is the USD a cold start costs in the cost model
    (:class:`~warmpool.sim.policies.CostModel`), which gives the report's ``cold_start_cost``
    and ``keep_alive_cost`` (with ``prices``) and the policy its figures.

    A row the emulator refuses (other than for a quota) stops the replay with a
    :class:`~warmpool.sim.TraceError` naming the row; no report is made.
    """
    policy: Policy | None = None
    if isinstance(keep_alive, Policy) and not isinstance(keep_alive, int):
        policy, keep_alive = keep_alive, None
    elif keep_alive is not None and (
        isinstance(keep_alive, bool) or not isinstance(keep_alive, int) or keep_alive < 0
    ):
        raise ValueError(
            f"keep_alive must be None, an int >= 0 or a policy (with keep_alive(decision) and "
            f"observe(gap) methods), not {keep_alive!r}"
        )
    if keep_alive is not None and keep_alive > limits.max_keep_alive_seconds:
        raise ValueError(
            f"keep_alive must be at most the limits' {limits.max_keep_alive_seconds} s "
            f"(KeepAlivePeriodInSeconds), not {keep_alive}"
        )
    cost_model = CostModel(prices or {}, cold_start_value=cold_start_value)
    timing = Timing() if timing is None else timing
    if start is None:
        start = getattr(trace, "start", None)
    clock = VirtualClock() if start is None else VirtualClock(start)
    default = Quota(training=None, warm_pool=UNLIMITED) if default_quota is None else default_quota
    source = str(getattr(trace, "path", "<trace>"))
    holder: list[_Replayer] = []
    emu = WarmPoolEmulator(
        limits=limits,
        timing=timing,
        quotas=quotas,
        default_quota=default,
        workload=lambda request: holder[0].workload(request),
        clock=clock,
        prices=prices,
        event_log_maxlen=0,
        retain_finished=False,
    )
    replayer = (
        _Replayer(emu, keep_alive, source)
        if policy is None
        else _PolicyReplayer(emu, policy, cost_model, limits.max_keep_alive_seconds, source)
    )
    holder.append(replayer)
    emu.events.subscribe_records(replayer.event)
    if on_emulator is not None:
        on_emulator(emu)
    # A Trace is in submit order by construction; anything else is checked as it goes.
    rows = trace if isinstance(trace, Trace) else _in_order(trace, source)
    replayer.run(rows, progress)
    return _report(
        replayer,
        keep_alive,
        limits,
        timing,
        prices,
        cost_model.cold_start_value,
        None if policy is None else policy_name(policy),
    )


def _in_order(rows: Iterable[TraceJob], source: str) -> Iterator[TraceJob]:
    """The rows, checked to be in submit order (a :class:`Trace` always is), with the rules
    of ``load_trace`` for their times and outcome, which the emulator does not check."""
    if isinstance(rows, (str, bytes, os.PathLike)):
        raise TypeError(
            f"trace: expected a Trace or TraceJob rows, not the path {shown(rows)}: load a "
            "file with load_trace(path) (or warmpool.sim.load)"
        )
    last = -math.inf
    for row in rows:
        if not isinstance(row, TraceJob):
            raise TypeError(f"trace: expected TraceJob rows, found {shown(row)}")
        for column in ("submit_time", "training_seconds"):
            value = getattr(row, column)
            if not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and 0 <= value < math.inf
            ):
                raise TraceError(
                    f"expected {_EXPECT_SECONDS}, found {shown(value)}",
                    path=source,
                    line=row.line or None,
                    column=column,
                )
        outcome = row.outcome
        if outcome != "Completed" and outcome != "Stopped" and not _odd_outcome(outcome):
            raise TraceError(
                f"expected {_EXPECT_OUTCOME} (case matters; not a job status), found "
                f"{shown(outcome)}",
                path=source,
                line=row.line or None,
                column="outcome",
            )
        if row.submit_time < last:
            raise TraceError(
                f"rows must be in submit order: {row.submit_time} comes after {last} "
                "(load the file with load_trace, which sorts it)",
                path=source,
                line=row.line or None,
                column="submit_time",
            )
        last = row.submit_time
        yield row


def _report(
    replayer: _Replayer,
    keep_alive: int | None,
    limits: Limits,
    timing: Timing,
    prices: Mapping[str, float] | None,
    cold_start_value: float,
    policy: str | None,
) -> Report:
    saved = timing.cold_start_seconds - timing.warm_start_seconds
    types = sorted(replayer.by_type)
    unpriced = () if prices is None else tuple(t for t in types if t not in prices)
    by_type = {
        t: replayer.by_type[t].figures(
            saved, None if prices is None else prices.get(t), cold_start_value
        )
        for t in types
    }

    total = replayer.total.figures(saved, None)
    retained_cost: float | None = None
    training_cost: float | None = None
    cold_start_cost: float | None = None
    keep_alive_cost: float | None = None
    if prices is not None:
        retained_cost = sum(f.retained_cost or 0.0 for f in by_type.values())
        training_cost = sum(f.training_cost or 0.0 for f in by_type.values())
        cold_start_cost = sum(f.cold_start_cost or 0.0 for f in by_type.values())
        keep_alive_cost = retained_cost + cold_start_cost
    # An identity has one instance type: its price is that type's.
    by_identity: dict[str, Figures] = {}
    for label in sorted(replayer.by_identity):
        tally = replayer.by_identity[label]
        price = None if prices is None else prices.get(replayer.identity_types[label])
        by_identity[label] = tally.figures(saved, price, cold_start_value)
    return Report(
        **{
            **attrs.asdict(total, recurse=False),
            "retained_cost": retained_cost,
            "training_cost": training_cost,
            "cold_start_cost": cold_start_cost,
            "keep_alive_cost": keep_alive_cost,
        },
        by_instance_type=by_type,
        by_identity=by_identity,
        keep_alive=keep_alive,
        policy=policy,
        cold_start_value=cold_start_value,
        limits=limits,
        timing=timing,
        end_seconds=replayer.last_event,
        unpriced_instance_types=unpriced,
    )
