"""The emulator: SageMaker's training-job API with managed warm pools, on a virtual clock.

:class:`WarmPoolEmulator` ties the pieces together: requests are checked against botocore's model
(:mod:`warmpool.validation`) and the optional IAM policy (:mod:`warmpool.iam`); jobs and their
warm pools move only as the machines of :mod:`warmpool.lifecycle` allow; matching uses
:mod:`warmpool.identity`; instance use is kept in :mod:`warmpool.quota`; money in
:mod:`warmpool.billing`; time in :mod:`warmpool.clock`; every change is logged in
:mod:`warmpool.events`. The rules are those of the behaviour contract (``SPEC.md``); where AWS
is silent, ``docs/decisions.md`` says what this module does and why.

Every public method runs to completion, then fires every event now due, then delivers pending
events to subscribers, before it returns.
"""

from __future__ import annotations

import bisect
import json
import marshal
import math
import threading
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final

import attrs

from . import lifecycle as lc
from .billing import BillingLedger, training_seconds
from .clock import EXPIRY, RELEASE, START, VirtualClock
from .config import JobPlan, Limits, Timing
from .errors import (
    AccessDeniedException,
    ControlError,
    ResourceInUse,
    ResourceLimitExceeded,
    ResourceNotFound,
    ValidationException,
)
from .events import (
    EventLog,
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
from .iam import Policy
from .identity import IdentityKey, identity_key
from .quota import Quota, QuotaLedger, training_limit_message
from .validation import (
    RequestValidator,
    create_rule_problems,
    load_model,
    problem,
    validation_error,
)

__all__ = ["OPERATIONS", "WarmPoolEmulator", "WarmPoolView", "Workload", "not_emulated_message"]

#: The SageMaker operations the emulator answers, by AWS operation name, with the method that
#: answers each. The boto3 adapter (``warmpool.aws``) and the wire server (``warmpool.server``)
#: serve exactly these; every other SageMaker operation is refused as not emulated.
OPERATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "CreateTrainingJob": "create_training_job",
        "DescribeTrainingJob": "describe_training_job",
        "UpdateTrainingJob": "update_training_job",
        "StopTrainingJob": "stop_training_job",
        "DeleteTrainingJob": "delete_training_job",
        "ListTrainingJobs": "list_training_jobs",
    }
)


def not_emulated_message(operation: str) -> str:
    """What warmpool says of a SageMaker operation it does not emulate (the boto3 adapter
    and the wire server both say it)."""
    return (
        f"warmpool does not emulate the SageMaker operation {operation}; it serves "
        f"{', '.join(OPERATIONS)}"
    )


#: A workload hook: given each ``CreateTrainingJob`` request, what the job will do.
Workload = Callable[[Mapping[str, Any]], "JobPlan | None"]

_IN_USE: Final = lc.IN_USE
_AVAILABLE: Final = lc.AVAILABLE
_REUSED: Final = lc.REUSED
_TERMINATED: Final = lc.TERMINATED
_STARTING: Final = lc.STARTING
_TRAINING: Final = lc.TRAINING
_STOPPING: Final = lc.STOPPING
_JOB: Final = lc.JOB
_POOL: Final = lc.POOL
_STATUS: Final = lc.TRAINING_JOB_STATUS
_TERMINAL: Final = lc.TERMINAL_JOB_STATES

#: Failure classes after which the cluster is healthy enough to keep (seed: "algorithm or
#: client error").
KEEPABLE_FAILURES: Final = frozenset({"AlgorithmError", "ClientError"})
DEFAULT_MAX_RUNTIME: Final = 86400

_MODEL = load_model()
#: Request members echoed by DescribeTrainingJob (Tags, for one, are not).
_ECHOED: Final = frozenset(
    set(_MODEL["shapes"]["CreateTrainingJobRequest"]["members"])
    & set(_MODEL["shapes"]["DescribeTrainingJobResponse"]["members"])
) - {"TrainingJobName"}
_SHARED_ECHO: Final = _ECHOED - {"HyperParameters"}
_INTERN_LIMIT: Final = 4096
_BOOLEAN_DEFAULTS: Final = (
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
)
_JOB_STATUSES: Final = tuple(_MODEL["shapes"]["TrainingJobStatus"]["enum"])

_STATUS_MESSAGES: Final = {
    lc.TRAINING: "Training image download completed. Training in progress.",
    lc.STOPPING: "Stopping the training job.",
    lc.COMPLETED: "Training job completed",
    lc.FAILED: "Training job failed",
    lc.STOPPED: "Training job stopped",
    lc.MAX_RUNTIME_EXCEEDED: "Training job stopped: it reached MaxRuntimeInSeconds",
}
_COLD_START_MESSAGE: Final = "Preparing the instances for training"
_WARM_START_MESSAGE: Final = "Reusing the instances of a warm pool"


@lru_cache(maxsize=8)
def _validator(max_keep_alive: int) -> RequestValidator:
    return RequestValidator(overrides={"KeepAlivePeriodInSeconds": {"max": max_keep_alive}})


@attrs.frozen(slots=True)
class _Cluster:
    """A provisioned cluster. It serves one job at a time; its chain starts at ``launched_at``."""

    id: int
    launched_at: float


@attrs.define(slots=True, eq=False)
class _Job:
    """One training job record (internal; responses are built from it on demand)."""

    name: str
    seq: int
    config: bytes  # frozen echoed request members but HyperParameters (shared when equal)
    hyperparameters: bytes | None  # frozen HyperParameters, which usually differ per job
    key: IdentityKey
    groups: tuple[tuple[str, int], ...]  # (instance type, count) pairs, for quotas and billing
    keep_alive: int | None
    max_runtime: int
    plan: JobPlan | None
    created_at: float
    last_modified: float
    training_plan: str | None
    state: str = lc.STARTING
    pool: str | None = None  # warm pool status, None if the job has none
    cluster: _Cluster | None = None
    warm: bool = False
    started_at: float | None = None
    stop_requested_at: float | None = None
    ended_at: float | None = None
    failure_reason: str | None = None
    available_at: float | None = None
    expires_at: float | None = None
    pool_reason: str | None = None
    retained_billable: int | None = None
    reused_by: str | None = None
    updates: bytes | None = None  # frozen profiler / remote debug updates


@attrs.frozen
class WarmPoolView:
    """What the console shows of one job's warm pool, and a little more (not an AWS shape).

    Times are seconds since the clock's epoch. ``time_left`` is set only while ``Available``;
    ``billable_seconds`` only once ``Reused`` or ``Terminated``; ``reason`` only once
    ``Terminated`` (see :class:`~warmpool.events.PoolTerminated`).
    """

    job: str
    status: str
    cluster: int | None
    instance_type: str | None
    instance_count: int | None
    keep_alive_seconds: int | None
    launched_at: float | None
    available_since: float | None
    expires_at: float | None
    time_left: float | None
    billable_seconds: int | None
    reused_by: str | None
    reason: str | None


class WarmPoolEmulator:
    """An in-memory, deterministic Amazon SageMaker training-job service with warm pools.

    Every argument is optional and keyword-only:

    * ``limits``: :class:`~warmpool.Limits` (default ``Limits.GUIDE_2022``: keep-alive <= 3600 s,
      chains <= 7 days);
    * ``timing``: :class:`~warmpool.Timing` (cold start 180 s, warm start 20 s, stopping 0 s);
    * ``quotas``: ``{instance_type: Quota(training=..., warm_pool=...)}``; unlisted types get
      ``Quota(training=None, warm_pool=0)``, AWS's default (no warm pools at all);
    * ``default_quota``: the limits of instance types not listed in ``quotas``;
    * ``workload``: ``callable(request) -> JobPlan | None`` deciding each job's training time
      and outcome; without a plan a job trains until a control call, a stop or its max runtime;
    * ``clock``: a :class:`~warmpool.VirtualClock` (default epoch 2026-01-01T00:00:00Z);
    * ``keep_alive_policy``: an IAM policy document (dict or JSON text) evaluated on every
      ``CreateTrainingJob`` for the ``sagemaker:KeepAlivePeriod`` condition key;
    * ``region``, ``account``: used in ARNs;
    * ``prices``: USD per instance-hour by instance type, for :attr:`billing` costs;
    * ``event_log_maxlen``: keep only the newest events (``None``: keep all).
    """

    def __init__(
        self,
        *,
        limits: Limits = Limits.GUIDE_2022,
        timing: Timing | None = None,
        quotas: Mapping[str, Quota] | None = None,
        default_quota: Quota | None = None,
        workload: Workload | None = None,
        clock: VirtualClock | None = None,
        keep_alive_policy: Mapping[str, Any] | str | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        prices: Mapping[str, float] | None = None,
        event_log_maxlen: int | None = None,
    ) -> None:
        if not isinstance(limits, Limits):
            raise TypeError(f"limits must be a Limits, not {limits!r}")
        timing = Timing() if timing is None else timing
        if not isinstance(timing, Timing):
            raise TypeError(f"timing must be a Timing, not {timing!r}")
        if workload is not None and not callable(workload):
            raise TypeError(f"workload must be callable or None, not {workload!r}")
        clock = VirtualClock() if clock is None else clock
        if not isinstance(clock, VirtualClock):
            raise TypeError(f"clock must be a VirtualClock, not {clock!r}")
        if (
            not isinstance(region, str)
            or not region
            or not all(c.isalnum() or c == "-" for c in region)
        ):
            raise ValueError(f"region must look like 'us-east-1', not {region!r}")
        if not isinstance(account, str) or len(account) != 12 or not account.isdigit():
            raise ValueError(f"account must be 12 digits, not {account!r}")
        # What fresh() needs to build an emulator like this one, before any state.
        self._settings: dict[str, Any] = {
            "limits": limits,
            "timing": timing,
            "quotas": None if quotas is None else dict(quotas),
            "default_quota": default_quota,
            "workload": workload,
            "keep_alive_policy": keep_alive_policy,
            "region": region,
            "account": account,
            "prices": None if prices is None else dict(prices),
            "event_log_maxlen": event_log_maxlen,
        }
        self._start = (clock.epoch, clock.now)
        self._limits = limits
        self._timing = timing
        self._workload = workload
        self._clock = clock
        self._policy = (
            None if keep_alive_policy is None else Policy.from_document(keep_alive_policy)
        )
        self._region = region
        self._account = account
        self._arn_prefix = f"arn:aws:sagemaker:{region}:{account}:training-job/"
        self._validator = _validator(limits.max_keep_alive_seconds)
        self._quotas = QuotaLedger(quotas, default=default_quota)
        self._billing = BillingLedger(clock, prices)
        self._events = EventLog(event_log_maxlen)
        self._jobs: dict[str, _Job] = {}
        self._seq = 0
        self._clusters = 0
        self._requests = 0
        self._lock = threading.RLock()
        # identity key -> Available jobs in the order they became Available (stale ones are
        # skipped lazily); job seq -> Available job.
        self._pools: dict[IdentityKey, deque[_Job]] = {}
        self._available: dict[int, _Job] = {}
        # Intern tables, so equal values are stored once; cleared when they grow large.
        self._keys: dict[IdentityKey, IdentityKey] = {}
        self._configs: dict[bytes, bytes] = {}
        self._groups: dict[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]] = {}

    def fresh(self) -> WarmPoolEmulator:
        """A new emulator built with this one's settings and no state: the same limits,
        timing, quotas and prices as given to the constructor (not as changed since), the same
        workload hook, policy, region and account, and a new clock at this clock's epoch and
        starting time. ``warmpool serve``'s ``POST /_warmpool/reset`` uses it."""
        epoch, start = self._start
        return WarmPoolEmulator(clock=VirtualClock(epoch, now=start), **self._settings)

    def __repr__(self) -> str:
        return (
            f"<WarmPoolEmulator now={self._clock.now!r} jobs={len(self._jobs)} "
            f"available_pools={len(self._available)}>"
        )

    # -- read-only attributes -----------------------------------------------------------------

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock (``emu.clock.epoch`` is the instant ``now == 0`` stands for)."""
        return self._clock

    @property
    def now(self) -> float:
        """Seconds since the clock's epoch."""
        return self._clock.now

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def timing(self) -> Timing:
        return self._timing

    @property
    def quotas(self) -> QuotaLedger:
        """The quota ledger: limits and use per instance type; limits can be changed."""
        return self._quotas

    @property
    def billing(self) -> BillingLedger:
        """The billing ledger: retained and training intervals, totals and cost."""
        return self._billing

    @property
    def events(self) -> EventLog:
        """The event log, with ``subscribe``."""
        return self._events

    @property
    def lock(self) -> threading.RLock:
        """A re-entrant lock for callers that share the emulator between threads.

        The emulator is not thread-safe and never takes this lock itself; the boto3 adapter
        (``warmpool.aws``) and the wire server (``warmpool.server``) hold it around every call,
        and code of yours that drives the same emulator from another thread should too.
        """
        return self._lock

    @property
    def region(self) -> str:
        return self._region

    @property
    def account(self) -> str:
        return self._account

    # -- time ---------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every event due at or before the new now."""
        self._run(self._clock.later(seconds))

    def run_until(self, t: float | datetime) -> None:
        """Move time forward to ``t`` (seconds since the epoch, or a ``datetime``)."""
        self._run(self._clock.resolve(t))

    def _run(self, target: float) -> None:
        clock = self._clock
        events = self._events
        if events.subscribed:
            # Deliver to subscribers at each instant, once every event due then has fired.
            while clock.peek() <= target:
                clock.run(clock.peek())
                events._flush()
        clock.run(target)
        events._flush()

    def next_event_time(self) -> float | None:
        """When the emulator will next change by itself (a training start, a release or a warm
        pool expiry), in seconds since the epoch; ``None`` if nothing is scheduled.

        Unlike ``clock.peek()``, this skips scheduled events that would no longer do anything
        (the expiry of a pool that was reused, the max runtime of a job that was stopped ...).
        """
        self._clock.prune(self._is_live)
        at = self._clock.peek()
        return None if at == math.inf else at

    @staticmethod
    def _is_live(at: float, callback: Callable[[Any], None], job: Any) -> bool:
        live = _LIVENESS.get(getattr(callback, "__func__", None))
        return live is None or not isinstance(job, _Job) or live(job, at)

    def _settle(self) -> None:
        clock = self._clock
        if clock.peek() <= clock.now:
            clock.run(clock.now)
        self._events._flush()

    # -- helpers ------------------------------------------------------------------------------

    def _response(self, body: dict[str, Any]) -> dict[str, Any]:
        self._requests += 1
        digits = f"{self._requests:032x}"
        request_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
        body["ResponseMetadata"] = {
            "RequestId": request_id,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {
                "x-amzn-requestid": request_id,
                "content-type": "application/x-amz-json-1.1",
            },
            "RetryAttempts": 0,
        }
        return body

    def _get(self, operation: str, name: str) -> _Job:
        job = self._jobs.get(name)
        if job is None:
            raise ValidationException(
                "Requested resource not found.", field="TrainingJobName", operation=operation
            )
        return job

    def _control_job(self, control: str, name: object) -> _Job:
        if not isinstance(name, str):
            raise ControlError(f"{control}: the job name must be a str, not {name!r}")
        job = self._jobs.get(name)
        if job is None:
            raise ControlError(f"{control}: there is no training job named {name!r}")
        return job

    @staticmethod
    def _intern(table: dict[Any, Any], value: Any) -> Any:
        if len(table) >= _INTERN_LIMIT:
            table.clear()
        return table.setdefault(value, value)

    # -- CreateTrainingJob --------------------------------------------------------------------

    def create_training_job(self, **request: Any) -> dict[str, Any]:
        """``CreateTrainingJob``: start a job, on a matching ``Available`` warm pool if any."""
        op = "CreateTrainingJob"
        problems = self._validator.problems(op, request)
        problems.extend(create_rule_problems(request))
        if problems:
            raise validation_error(problems, op)
        resource: Mapping[str, Any] = request["ResourceConfig"]
        name: str = request["TrainingJobName"]
        keep_alive: int | None = resource.get("KeepAlivePeriodInSeconds")
        arn = self._arn_prefix + name
        now = self._clock.now

        if self._policy is not None:
            context = {} if keep_alive is None else {"sagemaker:KeepAlivePeriod": keep_alive}
            decision = self._policy.evaluate("sagemaker:CreateTrainingJob", arn, context)
            if not decision.allowed:
                raise AccessDeniedException(
                    _access_denied_message(self._account, arn, decision.reason, keep_alive),
                    operation=op,
                )
        if name in self._jobs:
            raise ResourceInUse(
                "Training job names must be unique within an AWS account and region, and a "
                f"training job with this name already exists ({arn})",
                operation=op,
            )

        key: IdentityKey = self._intern(self._keys, identity_key(request))
        instance_groups = resource.get("InstanceGroups")
        if instance_groups:
            groups = tuple((g["InstanceType"], g["InstanceCount"]) for g in instance_groups)
        else:
            groups = ((resource["InstanceType"], resource["InstanceCount"]),)
        groups = self._intern(self._groups, groups)
        donor = None
        if not instance_groups and not request.get("EnableManagedSpotTraining"):
            donor = self._find_pool(key)
        if donor is None:
            wanted: dict[str, int] = {}
            for instance_type, count in groups:  # groups may share an instance type
                wanted[instance_type] = wanted.get(instance_type, 0) + count
            for instance_type, count in wanted.items():
                refusal = self._quotas.training_refusal(instance_type, count)
                if refusal is not None:
                    limit, used = refusal
                    self._events._record(
                        QuotaRefused, now, name, "training", instance_type, limit, used, count
                    )
                    self._events._flush()
                    raise ResourceLimitExceeded(
                        training_limit_message(instance_type, limit, used, count), operation=op
                    )

        stopping = request.get("StoppingCondition") or {}
        config = self._intern(
            self._configs, _freeze({k: v for k, v in request.items() if k in _SHARED_ECHO})
        )
        hyperparameters = request.get("HyperParameters")
        plan = None
        if self._workload is not None:
            plan = self._workload(request)
            if plan is not None and not isinstance(plan, JobPlan):
                raise TypeError(f"the workload hook must return a JobPlan or None, not {plan!r}")

        # -- from here on, the request is accepted: change state ------------------------------
        self._seq += 1
        job = _Job(
            name=name,
            seq=self._seq,
            config=config,
            hyperparameters=None if hyperparameters is None else _freeze(hyperparameters),
            key=key,
            groups=groups,
            keep_alive=keep_alive,
            max_runtime=stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME),
            plan=plan,
            created_at=now,
            last_modified=now,
            training_plan=resource.get("TrainingPlanArn"),
        )
        self._jobs[name] = job
        if donor is not None:
            cluster = donor.cluster
            assert cluster is not None
            instance_type, count = groups[0]
            self._leave_available(donor, "reuse", "Reused")
            donor.reused_by = name
            self._quotas._reuse(instance_type, count)
            job.cluster = cluster
            job.warm = True
            job.pool = _IN_USE
            self._events._record(JobCreated, now, name, cluster.id)
            self._events._record(PoolReused, now, donor.name, cluster.id, name)
            start_at = now + self._timing.warm_start_seconds
        else:
            for instance_type, count in groups:
                self._quotas._start_training(instance_type, count)
            if keep_alive:
                job.pool = _IN_USE
            self._events._record(JobCreated, now, name, None)
            start_at = now + self._timing.cold_start_seconds
        self._clock.schedule(start_at, self._on_start, job, priority=START, order=job.seq)
        self._settle()
        return self._response({"TrainingJobArn": arn})

    def _find_pool(self, key: IdentityKey) -> _Job | None:
        """The matching ``Available`` pool that has been ``Available`` longest, if any."""
        queue = self._pools.get(key)
        if queue is None:
            return None
        while queue:
            job = queue[0]
            if job.pool == _AVAILABLE:
                return job
            queue.popleft()
        del self._pools[key]
        return None

    # -- scheduled events ---------------------------------------------------------------------

    def _on_start(self, job: _Job) -> None:
        now = self._clock.now
        if not _start_is_live(job, now):
            return
        if job.cluster is None:
            self._clusters += 1
            job.cluster = _Cluster(self._clusters, now)
        job.state = _JOB(job.state, "start")
        job.started_at = now
        job.last_modified = now
        plan = job.plan
        if plan is not None and plan.training_seconds <= job.max_runtime:
            self._clock.schedule(
                now + plan.training_seconds, self._on_plan_end, job, priority=RELEASE, order=job.seq
            )
        else:
            self._clock.schedule(
                now + job.max_runtime, self._on_max_runtime, job, priority=RELEASE, order=job.seq
            )
        self._events._record(TrainingStarted, now, job.name, job.cluster.id, job.warm)

    def _on_plan_end(self, job: _Job) -> None:
        if not _training_end_is_live(job, self._clock.now):
            return
        plan = job.plan
        assert plan is not None
        if plan.failure_class is None:
            self._release(job, "complete")
        else:
            self._release(job, "fail", plan.failure_class, plan.failure_message)

    def _on_max_runtime(self, job: _Job) -> None:
        if _training_end_is_live(job, self._clock.now):
            self._release(job, "time_out")

    def _on_stop_done(self, job: _Job) -> None:
        if _stop_is_live(job, self._clock.now):
            self._release(job, "finish_stop")

    def _on_expiry(self, job: _Job) -> None:
        now = self._clock.now
        if not _expiry_is_live(job, now):
            return
        assert job.available_at is not None and job.keep_alive is not None
        capped = job.available_at + job.keep_alive > now
        self._terminate_available(job, "LifetimeCap" if capped else "Expired")

    # -- pool moves ---------------------------------------------------------------------------

    def _release(
        self, job: _Job, trigger: str, failure_class: str | None = None, message: str = ""
    ) -> None:
        """Training ended: settle the job, then keep its cluster as a warm pool or not."""
        now = self._clock.now
        job.state = _JOB(job.state, trigger)
        job.ended_at = now
        job.last_modified = now
        job.plan = None  # no longer needed; do not keep one object per finished job alive
        quotas = self._quotas
        for instance_type, count in job.groups:
            quotas._end_training(instance_type, count)
        if failure_class is not None:
            job.failure_reason = f"{failure_class}: {message or 'The training job failed.'}"
        cluster = job.cluster
        cluster_id = None if cluster is None else cluster.id
        if job.started_at is not None:
            seconds = training_seconds(now - job.started_at)
            role = job.key.role_arn
            for instance_type, count in job.groups:
                self._billing._record_training(
                    job.name, cluster_id, instance_type, count, role, job.started_at, now, seconds
                )
        self._events._record(JobReleased, now, job.name, _STATUS[job.state], job.state, cluster_id)
        if job.pool is None:
            return
        instance_type, count = job.groups[0]
        cap = self._limits.max_pool_lifetime_seconds
        reason = None
        if cluster is None:
            reason = "NotLaunched"
        elif failure_class is not None and failure_class not in KEEPABLE_FAILURES:
            reason = "Unhealthy"
        elif not job.keep_alive:
            reason = "NoKeepAlive"
        elif now - cluster.launched_at >= cap:
            reason = "LifetimeCap"
        elif not quotas.can_retain(instance_type, count):
            reason = "WarmPoolQuota"
            self._events._record(
                QuotaRefused,
                now,
                job.name,
                "warm_pool",
                instance_type,
                quotas[instance_type].warm_pool,
                quotas.retained(instance_type),
                count,
            )
        if reason is not None:
            job.pool = _POOL(job.pool, "terminate")
            job.retained_billable = 0
            job.pool_reason = reason
            self._events._record(PoolTerminated, now, job.name, cluster_id, reason, 0)
            return
        assert cluster is not None and job.keep_alive is not None
        job.pool = _POOL(job.pool, "keep")
        job.available_at = now
        expires = min(now + job.keep_alive, cluster.launched_at + cap)
        job.expires_at = expires
        quotas._retain(instance_type, count)
        self._billing._open_interval(
            job.name, cluster.id, instance_type, count, job.key.role_arn, now
        )
        self._available[job.seq] = job
        queue = self._pools.get(job.key)
        if queue is None:
            queue = self._pools[job.key] = deque()
        # Keep the queue in (release, creation) order: releases made by control calls at one
        # instant can arrive in any order, and reuse takes the earliest-created among them.
        index = len(queue)
        while index and queue[index - 1].available_at == now and queue[index - 1].seq > job.seq:
            index -= 1
        queue.insert(index, job)
        self._clock.schedule(expires, self._on_expiry, job, priority=EXPIRY, order=job.seq)
        self._events._record(PoolKept, now, job.name, cluster.id, expires)

    def _leave_available(self, job: _Job, trigger: str, reason: str) -> None:
        """Common part of ``Available -> Reused | Terminated``."""
        now = self._clock.now
        job.pool = _POOL(job.pool or "", trigger)
        job.pool_reason = reason
        job.last_modified = now
        assert job.cluster is not None
        job.retained_billable = self._billing._close_interval(job.cluster.id, now, reason)
        del self._available[job.seq]

    def _terminate_available(self, job: _Job, reason: str) -> None:
        self._leave_available(job, "terminate", reason)
        instance_type, count = job.groups[0]
        self._quotas._release(instance_type, count)
        assert job.cluster is not None and job.retained_billable is not None
        self._events._record(
            PoolTerminated, self._clock.now, job.name, job.cluster.id, reason, job.retained_billable
        )

    # -- DescribeTrainingJob ------------------------------------------------------------------

    def describe_training_job(self, **request: Any) -> dict[str, Any]:
        """``DescribeTrainingJob``: the job's configuration, statuses, times and warm pool."""
        op = "DescribeTrainingJob"
        self._validator.validate(op, request)
        job = self._get(op, request["TrainingJobName"])
        self._settle()
        return self._response(self._describe(job))

    def _describe(self, job: _Job) -> dict[str, Any]:
        at = self._clock.to_datetime
        body: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": self._arn_prefix + job.name,
        }
        echo = _echo(job)
        body.update(echo)
        output = echo["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        body["ModelArtifacts"] = {"S3ModelArtifacts": f"{output}/{job.name}/output/model.tar.gz"}
        body["TrainingJobStatus"] = _STATUS[job.state]
        body["SecondaryStatus"] = job.state
        if job.failure_reason is not None:
            body["FailureReason"] = job.failure_reason
        if job.keep_alive is not None:
            body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = job.keep_alive
        if "StoppingCondition" not in body:
            body["StoppingCondition"] = {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}
        for flag in _BOOLEAN_DEFAULTS:
            body.setdefault(flag, False)
        if job.updates is not None:
            body.update(_thaw(job.updates))
        body["CreationTime"] = at(job.created_at)
        if job.started_at is not None:
            body["TrainingStartTime"] = at(job.started_at)
        if job.ended_at is not None:
            body["TrainingEndTime"] = at(job.ended_at)
        body["LastModifiedTime"] = at(job.last_modified)
        body["SecondaryStatusTransitions"] = self._transitions(job)
        if job.started_at is not None and job.ended_at is not None:
            seconds = training_seconds(job.ended_at - job.started_at)
            body["TrainingTimeInSeconds"] = seconds
            body["BillableTimeInSeconds"] = seconds
        warm_pool = _warm_pool_status(job)
        if warm_pool is not None:
            body["WarmPoolStatus"] = warm_pool
        return body

    def _transitions(self, job: _Job) -> list[dict[str, Any]]:
        at = self._clock.to_datetime
        stop, started, ended = job.stop_requested_at, job.started_at, job.ended_at
        steps: list[tuple[str, float, float | None, str]] = []
        starting_end = started if started is not None else stop if stop is not None else ended
        steps.append(
            (
                lc.STARTING,
                job.created_at,
                starting_end,
                _WARM_START_MESSAGE if job.warm else _COLD_START_MESSAGE,
            )
        )
        if started is not None:
            steps.append(
                (
                    lc.TRAINING,
                    started,
                    stop if stop is not None else ended,
                    _STATUS_MESSAGES[lc.TRAINING],
                )
            )
        if stop is not None:
            steps.append((lc.STOPPING, stop, ended, _STATUS_MESSAGES[lc.STOPPING]))
        if ended is not None:
            steps.append((job.state, ended, ended, _STATUS_MESSAGES[job.state]))
        transitions = []
        for status, start, end, message in steps:
            item: dict[str, Any] = {"Status": status, "StartTime": at(start)}
            if end is not None:
                item["EndTime"] = at(end)
            item["StatusMessage"] = message
            transitions.append(item)
        return transitions

    # -- UpdateTrainingJob --------------------------------------------------------------------

    def update_training_job(self, **request: Any) -> dict[str, Any]:
        """``UpdateTrainingJob``: change the keep-alive of an ``Available`` warm pool (0 releases
        it now), or the profiler / remote debug configuration of a running job."""
        op = "UpdateTrainingJob"
        self._validator.validate(op, request)
        if len(request) == 1:
            raise ValidationException(
                "Invalid UpdateTrainingJobRequest, the request cannot be empty",
                field="TrainingJobName",
                operation=op,
            )
        job = self._get(op, request["TrainingJobName"])
        resource = request.get("ResourceConfig")
        if resource is not None and job.pool != _AVAILABLE:
            raise ValidationException(
                "ResourceConfig.KeepAlivePeriodInSeconds can be updated only while the training "
                f"job's warm pool status is Available; the warm pool of {job.name!r} is "
                f"{job.pool or 'absent (the job has no warm pool)'}.",
                field="ResourceConfig.KeepAlivePeriodInSeconds",
                operation=op,
            )
        profiler = {
            k: request[k] for k in ("ProfilerConfig", "ProfilerRuleConfigurations") if k in request
        }
        if profiler and job.state not in (_STARTING, _TRAINING):
            field = next(iter(profiler))
            raise ValidationException(
                f"{field} can be updated only while the training job is InProgress; "
                f"{job.name!r} is {_STATUS[job.state]}.",
                field=field,
                operation=op,
            )
        if "RemoteDebugConfig" in request and job.state != _TRAINING:
            raise ValidationException(
                "RemoteDebugConfig can be updated only while the training job's SecondaryStatus "
                f"is Downloading or Training; {job.name!r} is {job.state}.",
                field="RemoteDebugConfig",
                operation=op,
            )

        now = self._clock.now
        if profiler or "RemoteDebugConfig" in request:
            self._apply_debug_updates(job, request)
            job.last_modified = now
        if resource is not None:
            keep_alive: int = resource["KeepAlivePeriodInSeconds"]
            assert job.cluster is not None and job.available_at is not None
            job.keep_alive = keep_alive
            job.last_modified = now
            expires = min(
                job.available_at + keep_alive,
                job.cluster.launched_at + self._limits.max_pool_lifetime_seconds,
            )
            self._events._record(KeepAliveUpdated, now, job.name, keep_alive, max(expires, now))
            if expires <= now:
                self._terminate_available(job, "Released")
            else:
                job.expires_at = expires
                self._clock.schedule(expires, self._on_expiry, job, priority=EXPIRY, order=job.seq)
        self._settle()
        return self._response({"TrainingJobArn": self._arn_prefix + job.name})

    @staticmethod
    def _apply_debug_updates(job: _Job, request: Mapping[str, Any]) -> None:
        echo = _echo(job)
        updates: dict[str, Any] = {} if job.updates is None else _thaw(job.updates)
        if "ProfilerConfig" in request:
            current = updates.get("ProfilerConfig", echo.get("ProfilerConfig", {}))
            current.update(request["ProfilerConfig"])
            updates["ProfilerConfig"] = current
        if "ProfilerRuleConfigurations" in request:
            rules = updates.get(
                "ProfilerRuleConfigurations", echo.get("ProfilerRuleConfigurations", [])
            )
            rules.extend(request["ProfilerRuleConfigurations"])
            updates["ProfilerRuleConfigurations"] = rules
        if "RemoteDebugConfig" in request:
            updates["RemoteDebugConfig"] = request["RemoteDebugConfig"]
        job.updates = _freeze(updates)  # a private copy: later changes to the request can't leak

    # -- StopTrainingJob / DeleteTrainingJob --------------------------------------------------

    def stop_training_job(self, **request: Any) -> dict[str, Any]:
        """``StopTrainingJob``: ``Stopping`` for ``Timing.stopping_seconds``, then ``Stopped``.
        A stop before the cluster launched cancels the launch (no warm pool can be kept)."""
        op = "StopTrainingJob"
        self._validator.validate(op, request)
        job = self._get(op, request["TrainingJobName"])
        if job.state != _STARTING and job.state != _TRAINING:
            raise ValidationException(
                "The request was rejected because the training job is in status "
                f"{_STATUS[job.state]}.",
                field="TrainingJobName",
                operation=op,
            )
        now = self._clock.now
        job.state = _JOB(job.state, "stop")
        job.stop_requested_at = now
        job.last_modified = now
        self._events._record(StopRequested, now, job.name)
        self._clock.schedule(
            now + self._timing.stopping_seconds,
            self._on_stop_done,
            job,
            priority=RELEASE,
            order=job.seq,
        )
        self._settle()
        return self._response({})

    def delete_training_job(self, **request: Any) -> dict[str, Any]:
        """``DeleteTrainingJob``: remove a job that is in a terminal state and holds no
        ``Available`` warm pool; its name can then be used again."""
        op = "DeleteTrainingJob"
        self._validator.validate(op, request)
        name = request["TrainingJobName"]
        job = self._jobs.get(name)
        if job is None:
            raise ResourceNotFound("Requested resource not found.", operation=op)
        if job.state not in _TERMINAL:
            raise ResourceInUse(
                f"Training job {name!r} is {_STATUS[job.state]}: only jobs in a terminal state "
                "(Completed, Failed or Stopped) can be deleted.",
                operation=op,
            )
        if job.pool == _AVAILABLE:
            raise ResourceInUse(
                f"Training job {name!r} retains an Available warm pool: release it first with "
                "UpdateTrainingJob(ResourceConfig={'KeepAlivePeriodInSeconds': 0}).",
                operation=op,
            )
        del self._jobs[name]
        self._events._record(JobDeleted, self._clock.now, name)
        self._settle()
        return self._response({})

    # -- ListTrainingJobs ---------------------------------------------------------------------

    def list_training_jobs(self, **request: Any) -> dict[str, Any]:
        """``ListTrainingJobs`` with every filter, sorting and ``NextToken`` paging.

        Filters apply before paging, so every page but the last is full.
        """
        op = "ListTrainingJobs"
        self._validator.validate(op, request)
        sort_by = request.get("SortBy", "CreationTime")
        sort_order = request.get("SortOrder", "Ascending")
        limit = request.get("MaxResults", 10)  # the model bounds it to 1..100
        after_key: tuple[Any, ...] | None = None
        if request.get("NextToken"):
            after_key = _decode_token(op, request["NextToken"], sort_by, sort_order)

        clock = self._clock
        bounds = {}
        for field in (
            "CreationTimeAfter",
            "CreationTimeBefore",
            "LastModifiedTimeAfter",
            "LastModifiedTimeBefore",
        ):
            if field in request:
                try:
                    bounds[field] = clock.seconds(request[field])
                except (TypeError, ValueError) as error:
                    raise _invalid(
                        op, field, request[field], f"Member must be a timestamp ({error})"
                    ) from None
        name_contains = request.get("NameContains")
        needle = None if name_contains is None else name_contains.lower()
        status_equals = request.get("StatusEquals")
        pool_equals = request.get("WarmPoolStatusEquals")
        plan_equals = request.get("TrainingPlanArnEquals")
        c_after = bounds.get("CreationTimeAfter", -math.inf)
        c_before = bounds.get("CreationTimeBefore", math.inf)
        m_after = bounds.get("LastModifiedTimeAfter", -math.inf)
        m_before = bounds.get("LastModifiedTimeBefore", math.inf)

        selected = [
            job
            for job in self._jobs.values()
            if (needle is None or needle in job.name.lower())
            and (status_equals is None or _STATUS[job.state] == status_equals)
            and (pool_equals is None or job.pool == pool_equals)
            and (plan_equals is None or job.training_plan == plan_equals)
            and c_after < job.created_at < c_before
            and m_after < job.last_modified < m_before
        ]
        sort_key = _SORT_KEYS[sort_by]
        descending = sort_order == "Descending"
        selected.sort(key=sort_key, reverse=descending)
        start = 0
        if after_key is not None:
            keys = [sort_key(job) for job in selected]
            if descending:
                # keys are in descending order: find the first key strictly below after_key
                start = len(keys) - bisect.bisect_left(keys[::-1], after_key)
            else:
                start = bisect.bisect_right(keys, after_key)
        page = selected[start : start + limit]
        body: dict[str, Any] = {"TrainingJobSummaries": [self._summary(job) for job in page]}
        if start + limit < len(selected):
            body["NextToken"] = _encode_token(sort_by, sort_order, sort_key(page[-1]))
        self._settle()
        return self._response(body)

    def _summary(self, job: _Job) -> dict[str, Any]:
        at = self._clock.to_datetime
        summary: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": self._arn_prefix + job.name,
            "CreationTime": at(job.created_at),
        }
        if job.ended_at is not None:
            summary["TrainingEndTime"] = at(job.ended_at)
        summary["LastModifiedTime"] = at(job.last_modified)
        summary["TrainingJobStatus"] = _STATUS[job.state]
        summary["SecondaryStatus"] = job.state
        warm_pool = _warm_pool_status(job)
        if warm_pool is not None:
            summary["WarmPoolStatus"] = warm_pool
        if job.training_plan is not None:
            summary["TrainingPlanArn"] = job.training_plan
        return summary

    # -- simulation controls ------------------------------------------------------------------

    def complete_training_job(self, name: str) -> None:
        """End a job's training successfully now. Only while it is ``Training``."""
        job = self._control_job("complete_training_job", name)
        if job.state != _TRAINING:
            raise ControlError(
                f"complete_training_job: {name!r} is not training (its SecondaryStatus is "
                f"{job.state}); a job can be completed only while it is Training"
            )
        self._release(job, "complete")
        self._settle()

    def fail_training_job(
        self, name: str, failure_class: str = "AlgorithmError", message: str = ""
    ) -> None:
        """Fail a job now with ``FailureReason`` ``"{failure_class}: {message}"``.

        Any time it is ``InProgress``. ``AlgorithmError`` and ``ClientError`` leave a healthy
        cluster (a warm pool can be kept); any other class does not.
        """
        job = self._control_job("fail_training_job", name)
        if not isinstance(failure_class, str) or not failure_class.isidentifier():
            raise ControlError(
                "fail_training_job: failure_class must be a name such as 'AlgorithmError', "
                f"not {failure_class!r}"
            )
        if not isinstance(message, str):
            raise ControlError(f"fail_training_job: message must be a str, not {message!r}")
        if len(failure_class) + 2 + len(message) > 1024:
            raise ControlError("fail_training_job: FailureReason would exceed 1024 characters")
        if job.state != _STARTING and job.state != _TRAINING:
            raise ControlError(
                f"fail_training_job: {name!r} is {_STATUS[job.state]}; a job can be failed "
                "only while it is InProgress"
            )
        self._release(job, "fail", failure_class, message)
        self._settle()

    def apply_patch_update(self, instance_type: str | None = None) -> int:
        """Terminate every ``Available`` warm pool (of ``instance_type``, if given), as a patch
        update does. Returns how many were terminated."""
        if instance_type is not None and not isinstance(instance_type, str):
            raise ControlError(
                f"apply_patch_update: instance_type must be a str or None, not {instance_type!r}"
            )
        victims = [
            job
            for seq, job in sorted(self._available.items())
            if instance_type is None or job.groups[0][0] == instance_type
        ]
        for job in victims:
            self._terminate_available(job, "PatchUpdate")
        self._settle()
        return len(victims)

    # -- introspection (not AWS API) ----------------------------------------------------------

    def job_names(self) -> list[str]:
        """Names of every job that exists (not deleted), in creation order."""
        return list(self._jobs)

    def identity_key(self, name: str) -> IdentityKey:
        """The identity key of a job: ``emu.identity_key(a).differences(emu.identity_key(b))``
        tells why two jobs do not match."""
        return self._control_job("identity_key", name).key

    def warm_pool(self, name: str) -> WarmPoolView | None:
        """The warm pool of a job as the console shows it, or ``None`` if it has none."""
        job = self._control_job("warm_pool", name)
        if job.pool is None:
            return None
        cluster = job.cluster
        count = job.groups[0][1]
        expires = job.expires_at if job.pool == _AVAILABLE else None
        return WarmPoolView(
            job=job.name,
            status=job.pool,
            cluster=None if cluster is None else cluster.id,
            instance_type=job.key.instance_type,
            instance_count=count,
            keep_alive_seconds=job.keep_alive,
            launched_at=None if cluster is None else cluster.launched_at,
            available_since=job.available_at,
            expires_at=expires,
            time_left=None if expires is None else expires - self._clock.now,
            billable_seconds=job.retained_billable,
            reused_by=job.reused_by,
            reason=job.pool_reason if job.pool == _TERMINATED else None,
        )


# -- stale scheduled events ----------------------------------------------------------------------
# The emulator never cancels a scheduled event; when one fires it may find nothing left to do
# (a stop came first, a pool was reused or its expiry moved). One predicate per callback says
# whether it is still live: the callback checks it, and so does next_event_time().


def _start_is_live(job: _Job, at: float) -> bool:
    return job.state == _STARTING  # not stopped or failed before it started


def _training_end_is_live(job: _Job, at: float) -> bool:
    return job.state == _TRAINING  # the plan's end or the max runtime, unless it ended earlier


def _stop_is_live(job: _Job, at: float) -> bool:
    return job.state == _STOPPING


def _expiry_is_live(job: _Job, at: float) -> bool:
    # not reused or terminated, and its expiry not moved by UpdateTrainingJob
    return job.pool == _AVAILABLE and job.expires_at == at


_LIVENESS: Final[dict[Any, Callable[[_Job, float], bool]]] = {
    WarmPoolEmulator._on_start: _start_is_live,
    WarmPoolEmulator._on_plan_end: _training_end_is_live,
    WarmPoolEmulator._on_max_runtime: _training_end_is_live,
    WarmPoolEmulator._on_stop_done: _stop_is_live,
    WarmPoolEmulator._on_expiry: _expiry_is_live,
}


# -- module helpers --------------------------------------------------------------------------


def _freeze(value: Any) -> bytes:
    """A private, immutable copy of validated request data.

    ``marshal`` format 0 is fast, keeps ints, floats, bools, strings, lists and dicts exactly,
    and gives equal bytes for equal values (so equal configurations can be stored once).
    """
    try:
        return marshal.dumps(value, 0)
    except ValueError:  # a Mapping or sequence type marshal does not know: copy as plain data
        return marshal.dumps(_plain(value), 0)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


_thaw: Final[Callable[[bytes], Any]] = marshal.loads


def _echo(job: _Job) -> dict[str, Any]:
    """A fresh copy of the request members that DescribeTrainingJob echoes."""
    echo: dict[str, Any] = _thaw(job.config)
    if job.hyperparameters is not None:
        echo["HyperParameters"] = _thaw(job.hyperparameters)
    return echo


def _warm_pool_status(job: _Job) -> dict[str, Any] | None:
    pool = job.pool
    if pool is None:
        return None
    status: dict[str, Any] = {"Status": pool}
    if pool in (_REUSED, _TERMINATED):
        status["ResourceRetainedBillableTimeInSeconds"] = job.retained_billable
        if pool == _REUSED:
            status["ReusedByJob"] = job.reused_by
    return status


def _invalid(operation: str, field: str, value: object, rule: str) -> ValidationException:
    return validation_error([problem(field, value, rule)], operation)


def _access_denied_message(account: str, arn: str, reason: str, keep_alive: int | None) -> str:
    action = "sagemaker:CreateTrainingJob"
    why = (
        "with an explicit deny in an identity-based policy"
        if reason == "explicit-deny"
        else f"because no identity-based policy allows the {action} action"
    )
    context = (
        "sagemaker:KeepAlivePeriod is absent"
        if keep_alive is None
        else f"sagemaker:KeepAlivePeriod = {keep_alive}"
    )
    return (
        f"User: arn:aws:sts::{account}:assumed-role/warmpool/emulator is not authorized to "
        f"perform: {action} on resource: {arn} {why} (request context: {context})"
    )


_SORT_KEYS: Final[dict[str, Callable[[_Job], tuple[Any, ...]]]] = {
    "Name": lambda job: (job.name,),
    "CreationTime": lambda job: (job.created_at, job.name),
    "Status": lambda job: (_STATUS[job.state], job.name),
}


def _encode_token(sort_by: str, sort_order: str, key: tuple[Any, ...]) -> str:
    raw = json.dumps([sort_by, sort_order, list(key)], separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode()


def _decode_token(operation: str, token: object, sort_by: str, sort_order: str) -> tuple[Any, ...]:
    def refuse(rule: str) -> ValidationException:
        return _invalid(operation, "NextToken", token, rule)

    try:
        assert isinstance(token, str)
        by, order, key = json.loads(urlsafe_b64decode(token.encode()))
    except Exception:
        raise refuse("Member must be a NextToken returned by ListTrainingJobs") from None
    if (by, order) != (sort_by, sort_order):
        raise refuse(
            f"Member was issued for SortBy={by}, SortOrder={order}; repeat the request with "
            "the same sorting"
        )
    if not isinstance(key, list) or not _CURSOR_CHECKS[sort_by](key):
        raise refuse("Member must be a NextToken returned by ListTrainingJobs")
    return tuple(key)


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: What the cursor in a NextToken must look like for each SortBy (see _SORT_KEYS).
_CURSOR_CHECKS: Final[dict[str, Callable[[list[Any]], bool]]] = {
    "Name": lambda key: len(key) == 1 and isinstance(key[0], str),
    "CreationTime": lambda key: len(key) == 2 and _is_seconds(key[0]) and isinstance(key[1], str),
    "Status": lambda key: len(key) == 2 and key[0] in _JOB_STATUSES and isinstance(key[1], str),
}
