"""A training job's life on the virtual clock, from creation to release (D5, D7-D10).

:class:`Training` starts each accepted job (cold, on a new cluster, or warm, on a warm pool it
takes over), schedules its training start and its end (the workload plan's duration, or
``StoppingCondition.MaxRuntimeInSeconds``), stops it, and releases it: the job gets its final
status, its training is billed, and :class:`~warmpool.pools.WarmPools` decides whether its
cluster is kept. Every move of the job's status is checked by the job machine of
:mod:`warmpool.lifecycle`.

The clock never cancels a scheduled event. When one fires it may find nothing left to do (a
stop came first, a pool was reused or its expiry moved): one *liveness* predicate per kind of
event says whether it still applies. The callbacks check it, and so does the emulator's
``next_event_time()`` (through :func:`is_live`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import lifecycle as lc
from .billing import BillingLedger, training_seconds
from .clock import RELEASE, START, VirtualClock
from .config import Timing
from .events import EventLog, JobCreated, JobReleased, StopRequested, TrainingStarted, code
from .jobs import Job
from .pools import WarmPools, expiry_is_live
from .quota import QuotaLedger

__all__ = ["Training", "is_live"]

_JOB: Final = lc.JOB
_STATUS: Final = lc.TRAINING_JOB_STATUS
_STARTING: Final = lc.STARTING
_TRAINING: Final = lc.TRAINING
_STOPPING: Final = lc.STOPPING
_AVAILABLE: Final = lc.AVAILABLE
# Event records are built here, on the hot path: (code, time, job, *fields in class order).
_JOB_CREATED: Final = code(JobCreated)
_TRAINING_STARTED: Final = code(TrainingStarted)
_JOB_RELEASED: Final = code(JobReleased)

#: Called with a job and its previous ``TrainingJobStatus`` whenever that status changes.
StatusListener = Callable[[Job, str], None]


class Training:
    """Runs the jobs of one emulator on its clock."""

    __slots__ = (
        "_billing",
        "_clock",
        "_clusters",
        "_events",
        "_max_runtime",
        "_plan_end",
        "_pools",
        "_quotas",
        "_start",
        "_stop_done",
        "_timing",
        "on_finished",
        "status_listener",
    )

    def __init__(
        self,
        clock: VirtualClock,
        timing: Timing,
        quotas: QuotaLedger,
        billing: BillingLedger,
        events: EventLog,
        pools: WarmPools,
    ) -> None:
        self._clock = clock
        self._timing = timing
        self._quotas = quotas
        self._billing = billing
        self._events = events
        self._pools = pools
        self._clusters = 0  # clusters launched so far: the next one's id is this + 1
        # The callbacks, bound once (scheduling then allocates no method object).
        self._start = self._on_start
        self._plan_end = self._on_plan_end
        self._max_runtime = self._on_max_runtime
        self._stop_done = self._on_stop_done
        #: Told of every change of a job's TrainingJobStatus (the listing's indexes use it).
        self.status_listener: StatusListener | None = None
        #: Told when a job is finished (the emulator then keeps a compact record of it).
        self.on_finished: Callable[[Job], None] = _ignore

    # -- creation ---------------------------------------------------------------------------------

    def launch(self, job: Job, donor: Job | None) -> None:
        """Start a job just created: warm on ``donor``'s pool, else cold on a new cluster."""
        now = self._clock.now
        if donor is not None:
            self._events._add((_JOB_CREATED, now, job.name, donor.cluster))
            self._pools.reuse(donor, job)
            start_at = now + self._timing.warm_start_seconds
        else:
            quotas = self._quotas
            for instance_type, count in job.spec.groups:
                quotas._start_training(instance_type, count)
            if job.keep_alive:
                job.pool = lc.IN_USE
            self._events._add((_JOB_CREATED, now, job.name, None))
            start_at = now + self._timing.cold_start_seconds
        self._clock.schedule(start_at, self._start, job, priority=START, order=job.seq)

    def _on_start(self, job: Job) -> None:
        now = self._clock.now
        if not start_is_live(job, now):
            return
        if job.cluster is None:  # a cold start: the cluster launches now
            self._clusters += 1
            job.cluster = self._clusters
            job.launched_at = now
        job.state = _JOB(job.state, "start")
        job.started_at = now
        job.last_modified = now
        plan = job.plan
        max_runtime = job.spec.max_runtime
        if plan is not None and plan.training_seconds <= max_runtime:
            end, callback = now + plan.training_seconds, self._plan_end
        else:
            end, callback = now + max_runtime, self._max_runtime
        self._clock.schedule(end, callback, job, priority=RELEASE, order=job.seq)
        self._events._add((_TRAINING_STARTED, now, job.name, job.cluster, job.warm))

    # -- the end of training ----------------------------------------------------------------------

    def _on_plan_end(self, job: Job) -> None:
        if not training_end_is_live(job, self._clock.now):
            return
        plan = job.plan
        assert plan is not None
        if plan.failure_class is None:
            self.release(job, "complete")
        else:
            self.release(job, "fail", plan.failure_class, plan.failure_message)

    def _on_max_runtime(self, job: Job) -> None:
        if training_end_is_live(job, self._clock.now):
            self.release(job, "time_out")

    def stop(self, job: Job) -> None:
        """``StopTrainingJob``: ``Stopping`` now, ``Stopped`` after ``stopping_seconds``."""
        now = self._clock.now
        job.state = _JOB(job.state, "stop")
        job.stop_requested_at = now
        job.last_modified = now
        self._events._record(StopRequested, now, job.name)
        if self.status_listener is not None:
            self.status_listener(job, "InProgress")
        self._clock.schedule(
            now + self._timing.stopping_seconds,
            self._stop_done,
            job,
            priority=RELEASE,
            order=job.seq,
        )

    def _on_stop_done(self, job: Job) -> None:
        if stop_is_live(job, self._clock.now):
            self.release(job, "finish_stop")

    def release(
        self, job: Job, trigger: str, failure_class: str | None = None, message: str = ""
    ) -> None:
        """Training ended (``trigger`` is the job machine's move): settle the job, bill its
        training, then let the warm pools keep its cluster or not."""
        now = self._clock.now
        previous = _STATUS[job.state]
        job.state = state = _JOB(job.state, trigger)
        job.ended_at = now
        job.last_modified = now
        job.plan = None  # no longer needed; do not keep one object per finished job alive
        spec = job.spec
        quotas = self._quotas
        for instance_type, count in spec.groups:
            quotas._end_training(instance_type, count)
        if failure_class is not None:
            job.failure_reason = f"{failure_class}: {message or 'The training job failed.'}"
        started = job.started_at
        if started is not None:
            seconds = training_seconds(now - started)
            record = self._billing._record_training
            for instance_type, count in spec.groups:
                record(
                    job.name, job.cluster, instance_type, count, spec.role, started, now, seconds
                )
        self._events._add((_JOB_RELEASED, now, job.name, _STATUS[state], state, job.cluster))
        if self.status_listener is not None:
            self.status_listener(job, previous)
        if job.pool is not None:
            self._pools.settle(job, failure_class)
        if job.pool != _AVAILABLE:  # nothing more can happen to it
            self.on_finished(job)


def _ignore(job: Job) -> None:
    pass


# -- liveness of scheduled events -----------------------------------------------------------------


def start_is_live(job: Job, at: float) -> bool:
    """A training start still applies unless the job was stopped or failed before it."""
    return job.state == _STARTING


def training_end_is_live(job: Job, at: float) -> bool:
    """The plan's end or the max runtime still applies while the job is training."""
    return job.state == _TRAINING


def stop_is_live(job: Job, at: float) -> bool:
    """The end of a stop still applies while the job is stopping."""
    return job.state == _STOPPING


_LIVENESS: Final[dict[Any, Callable[[Job, float], bool]]] = {
    Training._on_start: start_is_live,
    Training._on_plan_end: training_end_is_live,
    Training._on_max_runtime: training_end_is_live,
    Training._on_stop_done: stop_is_live,
    WarmPools._on_expiry: expiry_is_live,
}


def is_live(at: float, callback: Callable[[Any], None], arg: Any) -> bool:
    """Whether a scheduled event (as the clock holds it) would still do something."""
    live = _LIVENESS.get(getattr(callback, "__func__", None))
    return live is None or not isinstance(arg, Job) or live(arg, at)
