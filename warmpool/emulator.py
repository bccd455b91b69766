"""The emulator: SageMaker's training-job API with managed warm pools, on a virtual clock.

:class:`WarmPoolEmulator` is a facade. Each API method tells the operation's story in four
steps, and each step's machinery lives in a module named for what it holds:

* **validate**: :mod:`warmpool.intake` turns the request into plain, checked data
  (botocore's model and the rules it cannot express, :mod:`warmpool.validation`); the optional
  IAM policy is :mod:`warmpool.iam`'s;
* **decide**: matching on the identity key (:mod:`warmpool.identity`) and reuse of a warm pool
  (:mod:`warmpool.pools`), quotas (:mod:`warmpool.quota`);
* **record**: the job's life on the virtual clock (:mod:`warmpool.training`,
  :mod:`warmpool.clock`), its warm pool's moves (:mod:`warmpool.pools`), both checked by the
  machines of :mod:`warmpool.lifecycle`; money in :mod:`warmpool.billing`, every change in
  :mod:`warmpool.events`;
* **answer**: botocore-shaped responses (:mod:`warmpool.responses`, and
  :mod:`warmpool.listing` for ``ListTrainingJobs``).

The tags of training jobs (``CreateTrainingJob``'s ``Tags``, ``AddTags``, ``ListTags`` and
``DeleteTags``) are :mod:`warmpool.tags`'.

The rules are those of the behaviour contract, ``docs/behaviour.md`` (drawn from the AWS guide
"Train Using SageMaker Managed Warm Pools" and botocore's model); where AWS is silent,
``docs/decisions.md`` says what happens and why.

Every public method takes the emulator's re-entrant lock (:attr:`WarmPoolEmulator.lock`), runs
to completion, fires every event now due, delivers pending events to subscribers, and returns:
one emulator can be called from many threads.
"""

from __future__ import annotations

import copy
import math
import pickle
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, NoReturn, SupportsIndex

import attrs

from . import lifecycle as lc
from . import snapshot as _snapshot
from ._text import shown
from .billing import BillingLedger, _TotalsLedger
from .clock import VirtualClock
from .config import JobPlan, Limits, Timing
from .errors import (
    AccessDeniedException,
    ControlError,
    InvalidControlArgument,
    ResourceInUse,
    ResourceLimitExceeded,
    ResourceNotFound,
    ValidationException,
)
from .events import EventLog, JobDeleted, QuotaRefused
from .iam import Policy
from .identity import IdentityKey
from .intake import Intake, freeze, thaw, validator_for
from .jobs import AnyJob, FinishedJob, Job, JobSpec
from .listing import Listing
from .pools import WarmPools
from .quota import Quota, QuotaLedger, training_limit_message
from .responses import Responder
from .tags import TagStore
from .training import Training, is_live

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
        "AddTags": "add_tags",
        "ListTags": "list_tags",
        "DeleteTags": "delete_tags",
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

_STATUS: Final = lc.TRAINING_JOB_STATUS
_TERMINAL: Final = lc.TERMINAL_JOB_STATES
_STARTING: Final = lc.STARTING
_TRAINING: Final = lc.TRAINING
_AVAILABLE: Final = lc.AVAILABLE
_TERMINATED: Final = lc.TERMINATED


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

    * ``limits``: :class:`~warmpool.Limits` (default ``Limits.GUIDE_2022``: keep-alive
      <= 3600 s, chains <= 7 days);
    * ``timing``: :class:`~warmpool.Timing` (cold start 180 s, warm start 20 s, stopping 0 s);
    * ``quotas``: ``{instance_type: Quota(training=..., warm_pool=...)}``; unlisted types get
      ``Quota(training=None, warm_pool=0)``, AWS's default (no warm pools at all);
    * ``default_quota``: the limits of instance types not listed in ``quotas``;
    * ``workload``: ``callable(request) -> JobPlan | None`` deciding each job's training time
      and outcome; without a plan a job trains until a control call, a stop or its max runtime;
    * ``clock``: a :class:`~warmpool.VirtualClock` (default epoch 2026-01-01T00:00:00Z);
    * ``keep_alive_policy``: an IAM policy document (dict or JSON text) evaluated on every
      ``CreateTrainingJob`` for the ``sagemaker:KeepAlivePeriod`` condition key (the emulator
      keeps its own copy);
    * ``region``, ``account``: used in ARNs;
    * ``prices``: USD per instance-hour by instance type, for :attr:`billing` costs;
    * ``event_log_maxlen``: keep only the newest events (``None``: keep all);
    * ``retain_finished``: ``True`` (the default) keeps every job until ``DeleteTrainingJob``,
      as AWS does. ``False`` *retires* each job the moment it is finished (its training ended
      and its warm pool, if it had one, was reused or terminated): every operation then
      answers for its name as for a name that never existed, and a new job may take the name
      (uniqueness is checked against the jobs the emulator holds: running, stopping, or
      holding an ``Available`` pool). The billing ledger keeps totals for retired jobs:
      ``billing.total()`` and ``billing.totals_by("instance_type" | "role")`` are exactly those
      of ``True``, while a window and ``totals_by("job")`` raise ``ControlError``, and
      ``billing.retained`` / ``billing.training`` hold only the intervals of jobs still held.
      So an emulator's memory follows the jobs alive at once, not the jobs ever created; bound
      the event log too (``event_log_maxlen``, with a subscriber to watch every event). See
      "Memory on long traces" in docs/replay.md and D37.

    :attr:`settings` gives these keywords back, all but ``clock``, as they were given (not as
    changed since): a read-only mapping over a copy, its tables and policy document copied too.
    It is what :meth:`fresh` builds with; ``WarmPoolEmulator(**emu.settings)`` builds an
    emulator with the same settings and a clock of its own.
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
        retain_finished: bool = True,
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
        if not isinstance(retain_finished, bool):
            raise TypeError(f"retain_finished must be a bool, not {retain_finished!r}")
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
            "retain_finished": retain_finished,
        }
        self._start = (clock.epoch, clock.now)
        self._limits = limits
        self._timing = timing
        self._workload = workload
        self._clock = clock
        self._policy = (
            None if keep_alive_policy is None else Policy.from_document(keep_alive_policy)
        )
        if keep_alive_policy is not None and not isinstance(keep_alive_policy, str):
            # the emulator's own copy: a caller changing its dict later changes nothing here
            self._settings["keep_alive_policy"] = copy.deepcopy(keep_alive_policy)
        self._region = region
        self._account = account
        self._lock = threading.RLock()
        # One lock guards everything: the ledgers' and the log's public methods take it too.
        self._quotas = QuotaLedger(quotas, default=default_quota, lock=self._lock)
        if retain_finished:
            self._billing = BillingLedger(clock, prices, lock=self._lock)
        else:
            totals = _TotalsLedger(clock, prices, lock=self._lock)
            self._billing = totals
            self._forget_intervals = totals._retire
        self._events = EventLog(event_log_maxlen, lock=self._lock)
        self._intake = Intake(validator_for(limits.max_keep_alive_seconds))
        self._jobs: dict[str, AnyJob] = {}  # by name, in creation order
        self._tags = TagStore(region, account)  # tags by job name; nothing for untagged jobs
        self._seq = 0  # jobs created so far
        self._pools = WarmPools(
            clock, self._quotas, self._billing, self._events, limits.max_pool_lifetime_seconds
        )
        self._training = Training(
            clock, timing, self._quotas, self._billing, self._events, self._pools
        )
        self._listing = Listing(self._jobs, clock)
        self._pools.on_finished = self._training.on_finished = (
            self._finished if retain_finished else self._retire
        )
        self._responder = Responder(clock, f"arn:aws:sagemaker:{region}:{account}:training-job/")

    def fresh(self) -> WarmPoolEmulator:
        """A new emulator built with this one's settings and no state: the same limits,
        timing, quotas and prices as given to the constructor (not as changed since), the same
        workload hook, policy, region, account, event log bound and ``retain_finished``
        (:attr:`settings`), and a new clock at this clock's epoch and starting time.
        ``warmpool serve``'s ``POST /_warmpool/reset`` uses it."""
        epoch, start = self._start
        return WarmPoolEmulator(clock=VirtualClock(epoch, now=start), **self._settings)

    @property
    def settings(self) -> Mapping[str, Any]:
        """The constructor's keywords this emulator was built with, all but ``clock``:
        ``limits``, ``timing``, ``quotas``, ``default_quota``, ``workload``,
        ``keep_alive_policy``, ``region``, ``account``, ``prices``, ``event_log_maxlen`` and
        ``retain_finished``, as given (not as changed since), which :meth:`fresh` uses.

        A read-only mapping over a copy made for this call: the ``quotas`` and ``prices``
        tables and the ``keep_alive_policy`` document are copies too, so nothing done to what
        it returns changes the emulator. ``WarmPoolEmulator(**emu.settings)`` builds an
        emulator with the same settings (and a clock of its own)."""
        settings = dict(self._settings)  # never changed after __init__: no lock needed
        for table in ("quotas", "prices"):
            if settings[table] is not None:
                settings[table] = dict(settings[table])
        if isinstance(settings["keep_alive_policy"], Mapping):
            settings["keep_alive_policy"] = copy.deepcopy(settings["keep_alive_policy"])
        return MappingProxyType(settings)

    def __repr__(self) -> str:
        return (
            f"<WarmPoolEmulator now={self._clock.now!r} jobs={len(self._jobs)} "
            f"available_pools={len(self._pools)}>"
        )

    # -- snapshot, restore, fork (warmpool.snapshot, D48) ---------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The emulator's whole state as a plain JSON document (``json.dumps`` takes it as it
        is): settings, clock, jobs, pending events, quotas, billing and the event log; not the
        workload hook nor event subscribers. See docs/snapshots.md for its format.

        ``SnapshotError`` if the state cannot be written down (an event a caller scheduled on
        the clock).
        """
        with self._lock:
            return _snapshot.dump(self)

    @classmethod
    def restore(
        cls,
        document: Mapping[str, Any],
        *,
        workload: Workload | None = None,
        keep_alive_policy: Mapping[str, Any] | str | None = None,
    ) -> WarmPoolEmulator:
        """A new emulator in the state of a ``snapshot()`` document, which continues exactly as
        the snapshotted one would, given ``workload`` as its workload hook (a document holds
        none) and, if given, ``keep_alive_policy`` instead of the document's policy.

        ``SnapshotError`` (a ``ControlError`` and a ``ValueError``) for a document of another
        format or version, or one that is corrupt or inconsistent; its ``path`` names what is
        wrong (``jobs[3].warm_pool.status``). Nothing is restored halfway: the emulator being
        built is dropped.
        """
        return _snapshot.restore(
            cls, document, workload=workload, keep_alive_policy=keep_alive_policy
        )

    def fork(self) -> WarmPoolEmulator:
        """An independent emulator in this one's state that continues exactly as this one
        would: ``restore(snapshot())`` with a deep copy of the workload hook (a plain function
        is itself; an object with ``__call__`` is copied with its state). Its event log has no
        subscribers. The same as ``copy.deepcopy(emu)``.

        ``TypeError`` if the workload hook cannot be deep-copied: then restore a
        ``snapshot()`` with a workload of your choice.
        """
        return self.__deepcopy__({})

    def __deepcopy__(self, memo: dict[int, Any]) -> WarmPoolEmulator:
        with self._lock:  # the state and the workload's state of one instant
            document = self.snapshot()
            workload = self._workload
            if workload is not None:
                try:
                    workload = copy.deepcopy(workload, memo)
                except Exception as error:
                    raise TypeError(
                        f"cannot copy the emulator: its workload hook {workload!r} cannot be "
                        f"deep-copied ({type(error).__name__}: {error}); restore "
                        "emu.snapshot() with WarmPoolEmulator.restore(document, workload=...) "
                        "instead"
                    ) from error
        return type(self).restore(document, workload=workload)

    def __copy__(self) -> NoReturn:
        raise TypeError(
            "copy.copy() of a WarmPoolEmulator would share its jobs, clock and ledgers with the "
            "original; use emu.fork() (or copy.deepcopy(emu)) for an independent copy"
        )

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickle as a snapshot document and the workload hook, which must pickle too."""
        with self._lock:
            document = self.snapshot()
            workload = self._workload
        if workload is not None:
            try:
                pickle.dumps(workload, protocol.__index__())
            except Exception as error:
                raise TypeError(
                    f"cannot pickle the emulator: its workload hook {workload!r} cannot be "
                    f"pickled ({type(error).__name__}: {error}); give it a module-level "
                    "function or a picklable object, or pickle emu.snapshot() and restore it "
                    "with WarmPoolEmulator.restore(document, workload=...)"
                ) from error
        return (_unpickle, (type(self), document, workload))

    # -- read-only attributes -----------------------------------------------------------------

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock (``emu.clock.epoch`` is the instant ``now == 0`` stands for).

        Move time with :meth:`advance` and :meth:`run_until`, which take the lock and deliver
        events to subscribers; the clock's own methods do neither.
        """
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
        """The emulator's re-entrant lock. Every public method takes it, so one emulator can
        be called from many threads; hold it yourself to make several calls one atomic step
        (no other thread's call runs in between)."""
        return self._lock

    @property
    def region(self) -> str:
        return self._region

    @property
    def account(self) -> str:
        return self._account

    # -- time -----------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every event due at or before the new now.

        ``InvalidControlArgument`` (a ``ValueError``) for a negative or non-finite number, or
        one that would take the clock past its range (9999-12-31T23:59:59Z); nothing changes.
        """
        with self._lock:
            try:
                target = self._clock.later(seconds)
            except (TypeError, ValueError) as error:
                raise InvalidControlArgument(f"advance: {error}") from None
            self._run(target)

    def run_until(self, t: float | datetime) -> None:
        """Move time forward to ``t`` (seconds since the epoch, or a ``datetime``).

        ``InvalidControlArgument`` for a time before now or past the clock's range.
        """
        with self._lock:
            clock = self._clock
            if (type(t) is int or type(t) is float) and clock.now <= t <= clock.end:
                target = t  # the common case, checked here in one comparison
            else:
                try:
                    target = clock.resolve(t)
                except (TypeError, ValueError, OverflowError) as error:
                    raise InvalidControlArgument(f"run_until: {error}") from None
            self._run(target)

    def _run(self, target: float) -> None:
        """Fire every event due by ``target`` (checked), delivering to subscribers."""
        clock = self._clock
        events = self._events
        if events._subscribers:
            # Deliver to subscribers at each instant, once every event due then has fired.
            while clock.peek() <= target:
                clock._fire_until(clock.peek())
                events._flush()
        clock._fire_until(target)
        events._flush()

    def next_event_time(self) -> float | None:
        """When the emulator will next change by itself (a training start, a release or a warm
        pool expiry), in seconds since the epoch; ``None`` if nothing is scheduled.

        Unlike ``clock.peek()``, this skips scheduled events that would no longer do anything
        (the expiry of a pool that was reused, the max runtime of a job that was stopped ...).
        """
        with self._lock:
            self._clock.prune(is_live)
            at = self._clock.peek()
            return None if at == math.inf or at > self._clock.end else at

    def _settle(self) -> None:
        """Fire every event due now, then deliver pending events (the end of every call)."""
        clock = self._clock
        now = clock.now
        if clock.peek() <= now:
            clock._fire_until(now)
        self._events._flush()

    # -- CreateTrainingJob ----------------------------------------------------------------------

    def create_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``CreateTrainingJob``: start a job, on a matching ``Available`` warm pool if any."""
        with self._lock:
            # validate (D15: the request, the IAM policy, the name)
            spec, name, hyperparameters, tags = self._intake.create(request)
            frozen_tags = None if tags is None else self._tags.checked("CreateTrainingJob", tags)
            arn = self._responder.arn(name)
            if self._policy is not None:
                self._authorize(arn, spec.keep_alive)
            if name in self._jobs:
                raise ResourceInUse(
                    "Training job names must be unique within an AWS account and region, and "
                    f"a training job with this name already exists ({arn})",
                    operation="CreateTrainingJob",
                )
            # decide: a warm pool to take over, or room for a new cluster
            donor = self._pools.find(spec.key) if spec.reusable else None
            if donor is None:
                self._check_training_quota(name, spec)
            plan = None if self._workload is None else self._plan(request)
            # record
            self._seq += 1
            job = Job(name, self._seq, spec, hyperparameters, plan, self._clock.now)
            self._jobs[name] = job
            if frozen_tags is not None:
                self._tags.record(name, frozen_tags)
            if self._listing.active:
                self._listing.added(job)
            self._training.launch(job, donor)
            self._settle()
            # answer
            return self._responder.answer({"TrainingJobArn": arn})

    def _finished(self, job: Job) -> None:
        """A job will never change again: keep it as a compact record (jobs.FinishedJob)."""
        record = FinishedJob(job)
        self._jobs[job.name] = record
        if self._listing.active:
            self._listing.replaced(job, record)

    def _retire(self, job: Job) -> None:
        """A job will never change again, and ``retain_finished=False``: forget it (D37). Its
        billing stays in the ledger's totals."""
        name = job.name
        del self._jobs[name]
        self._tags.forget(name)
        if self._listing.active:
            self._listing.removed(job)
        self._forget_intervals(name)

    def _authorize(self, arn: str, keep_alive: int | None) -> None:
        """The IAM policy's verdict on a create (D21): ``AccessDeniedException`` unless allowed."""
        assert self._policy is not None
        context = {} if keep_alive is None else {"sagemaker:KeepAlivePeriod": keep_alive}
        decision = self._policy.evaluate("sagemaker:CreateTrainingJob", arn, context)
        if not decision.allowed:
            raise AccessDeniedException(
                _access_denied_message(self._account, arn, decision.reason, keep_alive),
                operation="CreateTrainingJob",
            )

    def _check_training_quota(self, name: str, spec: JobSpec) -> None:
        """``ResourceLimitExceeded`` if a new cluster would exceed a training quota (D14)."""
        for instance_type, count in spec.needs:
            refusal = self._quotas._training_refusal(instance_type, count)
            if refusal is not None:
                limit, used = refusal
                self._events._record(
                    QuotaRefused,
                    self._clock.now,
                    name,
                    "training",
                    instance_type,
                    limit,
                    used,
                    count,
                )
                self._events._flush()
                raise ResourceLimitExceeded(
                    training_limit_message(instance_type, limit, used, count),
                    operation="CreateTrainingJob",
                )

    def _plan(self, request: Mapping[str, Any]) -> JobPlan | None:
        """The workload hook's plan for an accepted request (D25)."""
        assert self._workload is not None
        plan = self._workload(request)
        if plan is not None and not isinstance(plan, JobPlan):
            raise TypeError(f"the workload hook must return a JobPlan or None, not {plan!r}")
        return plan

    # -- DescribeTrainingJob --------------------------------------------------------------------

    def describe_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``DescribeTrainingJob``: the job's configuration, statuses, times and warm pool."""
        with self._lock:
            job = self._named(request)
            if job is None:  # not a plain request for an existing job: check it in full
                checked = self._intake.check("DescribeTrainingJob", request)
                job = self._get("DescribeTrainingJob", checked["TrainingJobName"])
            self._settle()
            return self._responder.answer(self._responder.describe(job))

    def _named(self, request: Mapping[str, Any]) -> AnyJob | None:
        """The job of a request that is exactly ``{"TrainingJobName": name}`` of an existing
        job: valid without more checks (the name passed them when the job was created)."""
        if len(request) != 1:
            return None
        ((key, name),) = request.items()  # type() first: no method of a str subclass runs
        if type(key) is not str or key != "TrainingJobName" or type(name) is not str:
            return None
        return self._jobs.get(name)

    def _get(self, operation: str, name: str) -> AnyJob:
        job = self._jobs.get(name)
        if job is None:
            raise ValidationException(
                "Requested resource not found.", field="TrainingJobName", operation=operation
            )
        return job

    # -- UpdateTrainingJob ----------------------------------------------------------------------

    def update_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``UpdateTrainingJob``: change the keep-alive of an ``Available`` warm pool (0 releases
        it now), or the profiler / remote debug configuration of a running job."""
        op = "UpdateTrainingJob"
        with self._lock:
            request = self._intake.check(op, request)
            if len(request) == 1:
                raise ValidationException(
                    "Invalid UpdateTrainingJobRequest, the request cannot be empty",
                    field="TrainingJobName",
                    operation=op,
                )
            job = self._get(op, request["TrainingJobName"])
            _check_update(job, request)
            if _DEBUG_UPDATES.intersection(request):
                assert isinstance(job, Job)  # InProgress: a live job (checked above)
                _apply_debug_updates(job, request)
                job.last_modified = self._clock.now
            resource = request.get("ResourceConfig")
            if resource is not None:
                assert isinstance(job, Job)  # its pool is Available: a live job (checked above)
                self._pools.update_keep_alive(job, resource["KeepAlivePeriodInSeconds"])
            self._settle()
            return self._responder.answer({"TrainingJobArn": self._responder.arn(job.name)})

    # -- StopTrainingJob / DeleteTrainingJob ----------------------------------------------------

    def stop_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``StopTrainingJob``: ``Stopping`` for ``Timing.stopping_seconds``, then ``Stopped``.
        A stop before the cluster launched cancels the launch (no warm pool can be kept)."""
        op = "StopTrainingJob"
        with self._lock:
            job = self._named(request) or self._get(
                op, self._intake.check(op, request)["TrainingJobName"]
            )
            if job.state != _STARTING and job.state != _TRAINING:
                raise ValidationException(
                    "The request was rejected because the training job is in status "
                    f"{_STATUS[job.state]}.",
                    field="TrainingJobName",
                    operation=op,
                )
            assert isinstance(job, Job)  # InProgress: a live job
            self._training.stop(job)
            self._settle()
            return self._responder.answer({})

    def delete_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``DeleteTrainingJob``: remove a job that is in a terminal state and holds no
        ``Available`` warm pool; its name can then be used again."""
        op = "DeleteTrainingJob"
        with self._lock:
            name = self._intake.check(op, request)["TrainingJobName"]
            job = self._jobs.get(name)
            if job is None:
                raise ResourceNotFound("Requested resource not found.", operation=op)
            if job.state not in _TERMINAL:
                raise ResourceInUse(
                    f"Training job {name!r} is {_STATUS[job.state]}: only jobs in a terminal "
                    "state (Completed, Failed or Stopped) can be deleted.",
                    operation=op,
                )
            if job.pool == _AVAILABLE:
                raise ResourceInUse(
                    f"Training job {name!r} retains an Available warm pool: release it first "
                    "with UpdateTrainingJob(ResourceConfig={'KeepAlivePeriodInSeconds': 0}).",
                    operation=op,
                )
            del self._jobs[name]
            self._tags.forget(name)
            self._listing.removed(job)
            self._events._record(JobDeleted, self._clock.now, name)
            self._settle()
            return self._responder.answer({})

    # -- ListTrainingJobs -----------------------------------------------------------------------

    def list_training_jobs(self, /, **request: Any) -> dict[str, Any]:
        """``ListTrainingJobs`` with every filter, sorting and ``NextToken`` paging.

        Filters apply before paging, so every page but the last is full (D20).
        """
        with self._lock:
            request = self._intake.check("ListTrainingJobs", request)
            page, token = self._listing.page(request)
            self._training.status_listener = self._listing.status_changed  # indexes exist now
            summary = self._responder.summary
            body: dict[str, Any] = {"TrainingJobSummaries": [summary(job) for job in page]}
            if token is not None:
                body["NextToken"] = token
            self._settle()
            return self._responder.answer(body)

    # -- AddTags / ListTags / DeleteTags (the rules are in warmpool.tags) -----------------------

    def add_tags(self, /, **request: Any) -> dict[str, Any]:
        """``AddTags`` on a training job's ARN: add tags, overwriting those with the same key
        (at most 50 per job); answers with every tag of the job."""
        with self._lock:
            request = self._intake.check("AddTags", request)
            body = self._tags.add_tags(request, self._jobs.__contains__)
            self._settle()
            return self._responder.answer(body)

    def list_tags(self, /, **request: Any) -> dict[str, Any]:
        """``ListTags`` on a training job's ARN: its tags, in the order they were added."""
        with self._lock:
            request = self._intake.check("ListTags", request)
            body = self._tags.list_tags(request, self._jobs.__contains__)
            self._settle()
            return self._responder.answer(body)

    def delete_tags(self, /, **request: Any) -> dict[str, Any]:
        """``DeleteTags`` on a training job's ARN: remove the given keys (absent ones too)."""
        with self._lock:
            request = self._intake.check("DeleteTags", request)
            body = self._tags.delete_tags(request, self._jobs.__contains__)
            self._settle()
            return self._responder.answer(body)

    # -- simulation controls --------------------------------------------------------------------

    def complete_training_job(self, name: str) -> None:
        """End a job's training successfully now. Only while it is ``Training``."""
        with self._lock:
            job = self._control_job("complete_training_job", name)
            if job.state != _TRAINING:
                raise ControlError(
                    f"complete_training_job: {job.name!r} is not training (its SecondaryStatus is "
                    f"{job.state}); a job can be completed only while it is Training"
                )
            assert isinstance(job, Job)  # Training: a live job
            self._training.release(job, "complete")
            self._settle()

    def fail_training_job(
        self, name: str, failure_class: str = "AlgorithmError", message: str = ""
    ) -> None:
        """Fail a job now with ``FailureReason`` ``"{failure_class}: {message}"``.

        Any time it is ``InProgress``. ``AlgorithmError`` and ``ClientError`` leave a healthy
        cluster (a warm pool can be kept); any other class does not.
        """
        with self._lock:
            job = self._control_job("fail_training_job", name)
            # Plain values first: no method of a str subclass of the caller's runs.
            if isinstance(failure_class, str):
                failure_class = str.__str__(failure_class)
            if not isinstance(failure_class, str) or not failure_class.isidentifier():
                raise InvalidControlArgument(
                    "fail_training_job: failure_class must be a name such as 'AlgorithmError', "
                    f"not {shown(failure_class)}"
                )
            if not isinstance(message, str):
                raise InvalidControlArgument(
                    f"fail_training_job: message must be a str, not {shown(message)}"
                )
            message = str.__str__(message)
            if len(failure_class) + 2 + len(message) > 1024:
                raise InvalidControlArgument(
                    "fail_training_job: FailureReason would exceed 1024 characters"
                )
            if job.state != _STARTING and job.state != _TRAINING:
                raise ControlError(
                    f"fail_training_job: {job.name!r} is {_STATUS[job.state]}; a job can be failed "
                    "only while it is InProgress"
                )
            assert isinstance(job, Job)  # InProgress: a live job
            self._training.release(job, "fail", failure_class, message)
            self._settle()

    def apply_patch_update(self, instance_type: str | None = None) -> int:
        """Terminate every ``Available`` warm pool (of ``instance_type``, if given), as a patch
        update does. Returns how many were terminated."""
        with self._lock:
            if instance_type is not None and not isinstance(instance_type, str):
                raise InvalidControlArgument(
                    "apply_patch_update: instance_type must be a str or None, not "
                    f"{shown(instance_type)}"
                )
            if instance_type is not None:
                instance_type = str.__str__(instance_type)  # no method of a subclass runs
            victims = self._pools.in_creation_order(instance_type)
            for job in victims:
                self._pools.terminate(job, "PatchUpdate")
            self._settle()
            return len(victims)

    def _control_job(self, control: str, name: object) -> AnyJob:
        if not isinstance(name, str):
            raise InvalidControlArgument(
                f"{control}: the job name must be a str, not {shown(name)}"
            )
        plain_name = str.__str__(name)  # no method of a str subclass of the caller's runs
        job = self._jobs.get(plain_name)
        if job is None:
            raise ControlError(f"{control}: there is no training job named {shown(plain_name)}")
        return job

    # -- introspection (not AWS API) ------------------------------------------------------------

    def job_names(self) -> list[str]:
        """Names of every job that exists (not deleted), in creation order."""
        with self._lock:
            return list(self._jobs)

    def identity_key(self, name: str) -> IdentityKey:
        """The identity key of a job: ``emu.identity_key(a).differences(emu.identity_key(b))``
        tells why two jobs do not match."""
        with self._lock:
            return self._control_job("identity_key", name).spec.key

    def warm_pool(self, name: str) -> WarmPoolView | None:
        """The warm pool of a job as the console shows it, or ``None`` if it has none."""
        with self._lock:
            job = self._control_job("warm_pool", name)
            if job.pool is None:
                return None
            expires = job.expires_at if job.pool == _AVAILABLE else None
            return WarmPoolView(
                job=job.name,
                status=job.pool,
                cluster=job.cluster,
                instance_type=job.spec.key.instance_type,
                instance_count=job.spec.instance_count,
                keep_alive_seconds=job.keep_alive,
                launched_at=job.launched_at,
                available_since=job.available_at,
                expires_at=expires,
                time_left=None if expires is None else expires - self._clock.now,
                billable_seconds=job.retained_billable,
                reused_by=job.reused_by,
                reason=job.pool_reason if job.pool == _TERMINATED else None,
            )


def _unpickle(
    kind: type[WarmPoolEmulator], document: Mapping[str, Any], workload: Workload | None
) -> WarmPoolEmulator:
    """An emulator back from ``pickle`` (see ``WarmPoolEmulator.__reduce_ex__``)."""
    return kind.restore(document, workload=workload)


# -- UpdateTrainingJob's rules (D18) --------------------------------------------------------------

#: The members of UpdateTrainingJob that update the profiler or remote debugging.
_DEBUG_UPDATES: Final = frozenset(
    {"ProfilerConfig", "ProfilerRuleConfigurations", "RemoteDebugConfig"}
)


def _check_update(job: AnyJob, request: Mapping[str, Any]) -> None:
    """``ValidationException`` if the job's status does not allow the update (D18)."""
    op = "UpdateTrainingJob"
    if "ResourceConfig" in request and job.pool != _AVAILABLE:
        raise ValidationException(
            "ResourceConfig.KeepAlivePeriodInSeconds can be updated only while the training "
            f"job's warm pool status is Available; the warm pool of {job.name!r} is "
            f"{job.pool or 'absent (the job has no warm pool)'}.",
            field="ResourceConfig.KeepAlivePeriodInSeconds",
            operation=op,
        )
    for field in ("ProfilerConfig", "ProfilerRuleConfigurations"):
        if field in request and job.state not in (_STARTING, _TRAINING):
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


def _apply_debug_updates(job: Job, request: Mapping[str, Any]) -> None:
    """Record profiler / remote debug updates, shown by ``DescribeTrainingJob`` (D18)."""
    echo: dict[str, Any] = thaw(job.spec.config)
    updates: dict[str, Any] = {} if job.updates is None else thaw(job.updates)
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
    job.updates = freeze(updates)  # a private copy: later changes to the request can't leak


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
