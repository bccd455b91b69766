"""The records the emulator keeps: one :class:`Job` per training job, and the :class:`JobSpec`
that jobs with the same configuration share (D7-D13).

These are internal: responses, views and events are built from them on demand. A job's
``state`` is its ``SecondaryStatus`` and its ``pool`` its warm pool status; both move only as
the machines of :mod:`warmpool.lifecycle` allow. A job that holds a cluster (launched for it,
or taken over from a warm pool) carries the cluster's id and launch time: a cluster moves from
job to job by copying those two numbers.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Final

from . import lifecycle as lc
from .config import JobPlan
from .identity import IdentityKey

__all__ = [
    "DEFAULT_MAX_RUNTIME",
    "FIELDS",
    "KEEPABLE_FAILURES",
    "AnyJob",
    "FinishedJob",
    "Job",
    "JobSpec",
]

#: ``StoppingCondition.MaxRuntimeInSeconds`` when the request gives none (one day).
DEFAULT_MAX_RUNTIME: Final = 86400

#: Failure classes after which the cluster is healthy enough to keep (the AWS guide: "an
#: algorithm or client error").
KEEPABLE_FAILURES: Final = frozenset({"AlgorithmError", "ClientError"})


#: The fields of a job, in the order of :meth:`Job.values` (and of a finished job's record).
FIELDS: Final = (
    "name",
    "seq",
    "hyperparameters",
    "keep_alive",
    "created_at",
    "last_modified",
    "state",
    "pool",
    "cluster",
    "launched_at",
    "warm",
    "started_at",
    "stop_requested_at",
    "ended_at",
    "failure_reason",
    "available_at",
    "expires_at",
    "pool_reason",
    "retained_billable",
    "reused_by",
    "updates",
)


class JobSpec:
    """What an accepted ``CreateTrainingJob`` request asks for, apart from its name,
    hyperparameters and tags: one object per distinct configuration, shared by every job
    created with it (so a million jobs of 300 configurations hold 300 of these).

    ``config`` is the frozen copy of the echoed request members but ``HyperParameters``
    (see :mod:`warmpool.intake`); the other fields are read from it once, when it is admitted.
    """

    __slots__ = (
        "config",
        "groups",
        "instance_count",
        "instance_type",
        "keep_alive",
        "key",
        "max_runtime",
        "needs",
        "reusable",
        "role",
        "training_plan",
    )

    def __init__(
        self,
        *,
        config: bytes,
        key: IdentityKey,
        groups: tuple[tuple[str, int], ...],
        keep_alive: int | None,
        max_runtime: int,
        training_plan: str | None,
        reusable: bool,
    ) -> None:
        self.config = config
        self.key = key
        #: ``(instance type, count)`` of each instance group (one for a plain cluster).
        self.groups = groups
        #: The first group: the cluster a warm pool holds (warm pools are never heterogeneous).
        self.instance_type, self.instance_count = groups[0]
        #: Instances per type a cold start needs from the training quota.
        needs: dict[str, int] = {}
        for instance_type, count in groups:  # groups may share an instance type
            needs[instance_type] = needs.get(instance_type, 0) + count
        self.needs = tuple(needs.items())
        self.role = key.role_arn
        self.keep_alive = keep_alive
        self.max_runtime = max_runtime
        self.training_plan = training_plan
        #: Whether a job of this configuration may take over a warm pool (not spot training,
        #: not heterogeneous clusters).
        self.reusable = reusable


class Job:
    """One training job: its configuration, its status and its warm pool's.

    Times are seconds since the clock's epoch; ``None`` means "not yet" (or never).
    """

    __slots__ = (
        "available_at",
        "cluster",
        "created_at",
        "ended_at",
        "expires_at",
        "failure_reason",
        "hyperparameters",
        "keep_alive",
        "last_modified",
        "launched_at",
        "name",
        "plan",
        "pool",
        "pool_reason",
        "retained_billable",
        "reused_by",
        "seq",
        "spec",
        "started_at",
        "state",
        "stop_requested_at",
        "updates",
        "warm",
    )

    def __init__(
        self,
        name: str,
        seq: int,
        spec: JobSpec,
        hyperparameters: bytes | None,
        plan: JobPlan | None,
        now: float,
    ) -> None:
        self.name = name
        #: Creation order: ties between simultaneous events are broken by it.
        self.seq = seq
        self.spec = spec
        self.hyperparameters = hyperparameters  # frozen, or None
        self.keep_alive: int | None = spec.keep_alive  # current: UpdateTrainingJob changes it
        self.plan = plan  # dropped at release: no longer needed
        self.created_at = now
        self.last_modified = now
        self.state: str = lc.STARTING
        self.pool: str | None = None  # warm pool status; None: the job has no warm pool
        self.cluster: int | None = None  # the cluster the job holds or held
        self.launched_at: float | None = None  # that cluster's launch: its chain's start
        self.warm = False  # took over a warm pool
        self.started_at: float | None = None
        self.stop_requested_at: float | None = None
        self.ended_at: float | None = None
        self.failure_reason: str | None = None
        self.available_at: float | None = None
        self.expires_at: float | None = None
        self.pool_reason: str | None = None  # why the pool left Available (or was not kept)
        self.retained_billable: int | None = None
        self.reused_by: str | None = None
        self.updates: bytes | None = None  # frozen profiler / remote debug updates

    def __repr__(self) -> str:
        return f"<Job {self.name} {self.state} pool={self.pool}>"

    def values(self) -> tuple[Any, ...]:
        """Every field, in the order of :data:`FIELDS`: readers that need many fields (the
        responses) unpack one tuple, from a live job or a finished one alike."""
        return _read_fields(self)

    @property
    def status(self) -> str:
        """``TrainingJobStatus``."""
        return lc.TRAINING_JOB_STATUS[self.state]


#: Every field of a job at once, in C (``attrgetter`` of several names returns a tuple).
_read_fields: Final = attrgetter(*FIELDS)


class FinishedJob:
    """A job that will never change again: its training ended and its warm pool, if it had
    one, was reused or terminated.

    The emulator swaps each :class:`Job` for one of these the moment it is finished. It reads
    the same (the same attribute names, read-only) but keeps its values in one tuple of plain
    values, which Python's garbage collector stops tracking: a simulation of a million jobs
    then holds a million records the collector never walks, instead of a million objects of
    twenty slots it walks at every full collection.
    """

    __slots__ = ("_values", "spec")

    #: A finished job has no plan left.
    plan: None = None

    def __init__(self, job: Job) -> None:
        self.spec = job.spec
        self._values = job.values()

    def values(self) -> tuple[Any, ...]:
        """Every field, in the order of :data:`FIELDS` (what readers unpack)."""
        return self._values

    def __repr__(self) -> str:
        return f"<FinishedJob {self.name} {self.state} pool={self.pool}>"

    @property
    def status(self) -> str:
        """``TrainingJobStatus``."""
        return lc.TRAINING_JOB_STATUS[self.state]

    # One read-only property per field of Job, at its place in FIELDS.

    @property
    def name(self) -> str:
        return self._values[0]  # type: ignore[no-any-return]

    @property
    def seq(self) -> int:
        return self._values[1]  # type: ignore[no-any-return]

    @property
    def hyperparameters(self) -> bytes | None:
        return self._values[2]  # type: ignore[no-any-return]

    @property
    def keep_alive(self) -> int | None:
        return self._values[3]  # type: ignore[no-any-return]

    @property
    def created_at(self) -> float:
        return self._values[4]  # type: ignore[no-any-return]

    @property
    def last_modified(self) -> float:
        return self._values[5]  # type: ignore[no-any-return]

    @property
    def state(self) -> str:
        return self._values[6]  # type: ignore[no-any-return]

    @property
    def pool(self) -> str | None:
        return self._values[7]  # type: ignore[no-any-return]

    @property
    def cluster(self) -> int | None:
        return self._values[8]  # type: ignore[no-any-return]

    @property
    def launched_at(self) -> float | None:
        return self._values[9]  # type: ignore[no-any-return]

    @property
    def warm(self) -> bool:
        return self._values[10]  # type: ignore[no-any-return]

    @property
    def started_at(self) -> float | None:
        return self._values[11]  # type: ignore[no-any-return]

    @property
    def stop_requested_at(self) -> float | None:
        return self._values[12]  # type: ignore[no-any-return]

    @property
    def ended_at(self) -> float | None:
        return self._values[13]  # type: ignore[no-any-return]

    @property
    def failure_reason(self) -> str | None:
        return self._values[14]  # type: ignore[no-any-return]

    @property
    def available_at(self) -> float | None:
        return self._values[15]  # type: ignore[no-any-return]

    @property
    def expires_at(self) -> float | None:
        return self._values[16]  # type: ignore[no-any-return]

    @property
    def pool_reason(self) -> str | None:
        return self._values[17]  # type: ignore[no-any-return]

    @property
    def retained_billable(self) -> int | None:
        return self._values[18]  # type: ignore[no-any-return]

    @property
    def reused_by(self) -> str | None:
        return self._values[19]  # type: ignore[no-any-return]

    @property
    def updates(self) -> bytes | None:
        return self._values[20]  # type: ignore[no-any-return]


#: A job as the emulator holds it: live, or finished.
AnyJob = Job | FinishedJob
