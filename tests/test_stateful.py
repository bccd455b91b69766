"""The emulator against a brute-force model of behaviour §4-§8, driven by random call sequences.

``SpecModel`` below is an independent re-reading of the contract: it imports nothing from
``warmpool`` and keeps each job as a small record. To move time it scans every job for the
earliest due event (no heap) and breaks ties as behaviour §4 says: expiries, then releases, then
starts, and within a kind by creation order. ``EmulatorMachine`` drives both with the same
calls and compares them after every step; the guarantees of behaviour §11 are checked after every
step too, by the invariants it inherits from ``warmpool.testing.WarmPoolInvariants`` (the test
kit's, which tests/test_testkit.py shows failing on a broken emulator).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator, errors
from warmpool.testing import WarmPoolInvariants

# -- request building (shared with test_properties.py) -----------------------------------------

ROLE_A: Final = "arn:aws:iam::123456789012:role/SageMakerRole"
ROLE_B: Final = "arn:aws:iam::123456789012:role/OtherRole"
IMAGE: Final = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest"
INSTANCE_TYPES: Final = ("ml.m5.xlarge", "ml.c5.xlarge")
#: Renderings of the same security groups: order and duplicates must not matter (behaviour §3).
_GROUP_RENDERINGS: Final = (
    ["sg-1", "sg-2"],
    ["sg-2", "sg-1"],
    ["sg-1", "sg-2", "sg-1"],
    ["sg-2", "sg-2", "sg-1"],
)


def build_request(
    name: str,
    *,
    variant: int,
    instance_type: str,
    count: int,
    keep_alive: int | None,
    spot: bool = False,
    max_runtime: int | None = None,
    render: int = 0,
) -> dict[str, Any]:
    """A valid ``CreateTrainingJob`` request of identity ``(variant, instance_type, count)``.

    Variant 0: role A, 50 GB, no VPC. Variant 1: as 0 plus a VPC. Variant 2: role B, no volume
    size, network isolation. ``render`` changes only non-key members and the spelling of key
    members (list order, duplicates, explicit ``False``), so requests with the same
    ``(variant, instance_type, count)`` have equal identity keys whatever ``render`` is.
    """
    resource: dict[str, Any] = {"InstanceType": instance_type, "InstanceCount": count}
    if variant != 2:
        resource["VolumeSizeInGB"] = 50
    if keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = keep_alive
    body: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE_B if variant == 2 else ROLE_A,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": resource,
        "HyperParameters": {"epochs": str(render)},
    }
    if variant == 1:
        body["VpcConfig"] = {
            "SecurityGroupIds": list(_GROUP_RENDERINGS[render % 4]),
            "Subnets": ["subnet-1"] * (1 + render % 2),
        }
    if variant == 2:
        body["EnableNetworkIsolation"] = True
    elif render % 2:
        body["EnableNetworkIsolation"] = False
    if render % 3 == 1:
        body["Tags"] = [{"Key": "run", "Value": str(render)}]
        body["Environment"] = {"SEED": str(render)}
    if spot:
        body["EnableManagedSpotTraining"] = True
    if max_runtime is not None:
        body["StoppingCondition"] = {"MaxRuntimeInSeconds": max_runtime}
    return body


# -- the model ----------------------------------------------------------------------------------

IN_USE: Final = "InUse"
AVAILABLE: Final = "Available"
REUSED: Final = "Reused"
TERMINATED: Final = "Terminated"
#: Failure classes after which the cluster can be kept (behaviour §5 table).
KEEPABLE_FAILURES: Final = frozenset({"AlgorithmError", "ClientError"})
#: TrainingJobStatus of each SecondaryStatus.
JOB_STATUS: Final = {
    "Starting": "InProgress",
    "Training": "InProgress",
    "Stopping": "Stopping",
    "Completed": "Completed",
    "Failed": "Failed",
    "Stopped": "Stopped",
    "MaxRuntimeExceeded": "Stopped",
}
TERMINAL: Final = frozenset({"Completed", "Failed", "Stopped", "MaxRuntimeExceeded"})
#: Ways an Available pool ends that the model names exactly (behaviour §8, D14).
NAMED_REASONS: Final = frozenset(
    {"Expired", "Released", "PatchUpdate", "LifetimeCap", "WarmPoolQuota"}
)
DEFAULT_MAX_RUNTIME: Final = 86400

#: (variant, instance type, instance count): equal tuples are equal identity keys by design.
Key = tuple[int, str, int]
#: (training seconds, failure class or None for success).
Plan = tuple[float, str | None]


def whole_seconds(duration: float) -> int:
    """behaviour §4 / D6: whole seconds rounded up, measured to the microsecond."""
    return math.ceil(round(duration, 6))


def training_limit_text(instance_type: str, limit: int, used: int, delta: int) -> str:
    """behaviour §7's ResourceLimitExceeded text."""
    return (
        f"The account-level service limit '{instance_type} for training job usage' is {limit} "
        f"Instances, with current utilization of {used} Instances and a request delta of "
        f"{delta} Instances. Please contact AWS support to request an increase for this limit."
    )


@dataclass(eq=False)
class ModelCluster:
    launched_at: float


@dataclass(eq=False)
class ModelJob:
    name: str
    seq: int
    key: Key
    keep_alive: int | None
    plan: Plan | None
    max_runtime: int
    created_at: float
    start_at: float
    warm: bool
    cluster: ModelCluster | None
    pool: str | None
    secondary: str = "Starting"
    started_at: float | None = None
    stop_done_at: float | None = None
    ended_at: float | None = None
    failure_class: str | None = None
    available_at: float | None = None
    expires_at: float | None = None
    retained_billable: int | None = None
    reused_by: str | None = None
    reason: str | None = None
    deleted: bool = False
    last_modified: float = 0

    @property
    def instance_type(self) -> str:
        return self.key[1]

    @property
    def count(self) -> int:
        return self.key[2]

    def training_seconds(self) -> int | None:
        """behaviour §5.5 / D6: present only if training started; at least 1."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(1, whole_seconds(self.ended_at - self.started_at))

    def warm_pool_status(self) -> dict[str, Any] | None:
        """behaviour §6.4 / D12: the expected ``WarmPoolStatus``."""
        if self.pool is None:
            return None
        status: dict[str, Any] = {"Status": self.pool}
        if self.pool in (REUSED, TERMINATED):
            status["ResourceRetainedBillableTimeInSeconds"] = self.retained_billable
        if self.pool == REUSED:
            status["ReusedByJob"] = self.reused_by
        return status


class SpecModel:
    """behaviour §4-§8 by brute force: a list of job records and a scan for the next event."""

    def __init__(
        self,
        *,
        cold_start: float,
        warm_start: float,
        stopping: float,
        max_keep_alive: int,
        lifetime: int,
        quotas: Mapping[str, tuple[int | None, int]],
    ) -> None:
        self.cold_start = cold_start
        self.warm_start = warm_start
        self.stopping = stopping
        self.max_keep_alive = max_keep_alive
        self.lifetime = lifetime
        self.quotas: dict[str, tuple[int | None, int]] = dict(quotas)
        self.now: float = 0
        self.seq = 0
        self.jobs: list[ModelJob] = []  # every accepted job, in creation order

    # -- lookups ----------------------------------------------------------------------------

    def live(self) -> list[ModelJob]:
        return [job for job in self.jobs if not job.deleted]

    def find(self, name: str) -> ModelJob | None:
        for job in self.jobs:
            if job.name == name and not job.deleted:
                return job
        return None

    def in_training(self, instance_type: str) -> int:
        """behaviour §7: instances of InProgress or Stopping jobs."""
        return sum(
            job.count
            for job in self.jobs
            if job.instance_type == instance_type
            and JOB_STATUS[job.secondary] in ("InProgress", "Stopping")
        )

    def retained(self, instance_type: str) -> int:
        """behaviour §7: instances of Available pools."""
        return sum(
            job.count
            for job in self.jobs
            if job.instance_type == instance_type and job.pool == AVAILABLE
        )

    # -- time -------------------------------------------------------------------------------

    def _due(self, job: ModelJob) -> tuple[float, int] | None:
        """(time, kind) of the job's next event (behaviour §4): 0 expiry, 1 release, 2 start."""
        if job.pool == AVAILABLE:
            assert job.expires_at is not None
            return job.expires_at, 0
        if job.secondary == "Stopping":
            assert job.stop_done_at is not None
            return job.stop_done_at, 1
        if job.secondary == "Training":
            assert job.started_at is not None
            if job.plan is not None and job.plan[0] <= job.max_runtime:
                return job.started_at + job.plan[0], 1
            return job.started_at + job.max_runtime, 1
        if job.secondary == "Starting":
            return job.start_at, 2
        return None

    def _next(self) -> tuple[float, int, int, ModelJob] | None:
        best: tuple[float, int, int, ModelJob] | None = None
        for job in self.jobs:
            due = self._due(job)
            if due is None:
                continue
            candidate = (due[0], due[1], job.seq, job)
            if best is None or candidate[:3] < best[:3]:
                best = candidate
        return best

    def run_until(self, target: float) -> None:
        """Fire every event due at or before ``target``, then ``now = target``."""
        assert target >= self.now
        while True:
            event = self._next()
            if event is None or event[0] > target:
                break
            at, kind, _, job = event
            self.now = at
            if kind == 0:
                self._expire(job)
            elif kind == 2:
                self._start(job)
            elif job.secondary == "Stopping":
                self.release(job, "Stopped")
            elif job.plan is not None and job.plan[0] <= job.max_runtime:
                failure = job.plan[1]
                self.release(job, "Completed" if failure is None else "Failed", failure)
            else:
                self.release(job, "MaxRuntimeExceeded")
        self.now = target

    def settle(self) -> None:
        """behaviour §4: after a call, every event due now fires."""
        self.run_until(self.now)

    # -- moves ------------------------------------------------------------------------------

    def _start(self, job: ModelJob) -> None:
        job.secondary = "Training"
        job.started_at = job.last_modified = self.now
        if job.cluster is None:
            job.cluster = ModelCluster(self.now)

    def release(self, job: ModelJob, outcome: str, failure_class: str | None = None) -> None:
        """behaviour §5 table and §7: end training, then keep the cluster or not."""
        now = self.now
        job.secondary = outcome
        job.ended_at = job.last_modified = now
        job.failure_class = failure_class
        if job.pool is None:
            return
        cluster = job.cluster
        healthy = cluster is not None and (
            outcome != "Failed" or failure_class in KEEPABLE_FAILURES
        )
        wanted = healthy and (job.keep_alive or 0) > 0
        young = cluster is not None and now - cluster.launched_at < self.lifetime
        room = self.retained(job.instance_type) + job.count <= self.quotas[job.instance_type][1]
        if wanted and young and room:
            assert cluster is not None and job.keep_alive is not None
            job.pool = AVAILABLE
            job.available_at = now
            job.expires_at = min(now + job.keep_alive, cluster.launched_at + self.lifetime)
            return
        job.pool = TERMINATED
        job.retained_billable = 0
        job.reason = "WarmPoolQuota" if wanted and young else "NotKept"

    def _leave_available(self, job: ModelJob, status: str, reason: str) -> None:
        assert job.pool == AVAILABLE and job.available_at is not None
        job.pool = status
        job.retained_billable = whole_seconds(self.now - job.available_at)
        job.last_modified = self.now
        job.reason = reason

    def _expire(self, job: ModelJob) -> None:
        """behaviour §6.3 / D13: LifetimeCap if the cap came strictly first, else Expired."""
        assert job.cluster is not None and job.available_at is not None
        assert job.keep_alive is not None
        capped = job.cluster.launched_at + self.lifetime < job.available_at + job.keep_alive
        self._leave_available(job, TERMINATED, "LifetimeCap" if capped else "Expired")

    # -- API calls (each returns the expected error code, or None) --------------------------

    def create(
        self,
        name: str,
        key: Key,
        *,
        keep_alive: int | None,
        spot: bool,
        plan: Plan | None,
        max_runtime: int | None,
    ) -> tuple[str | None, str | None]:
        """behaviour §9 / D15 order of checks, then §6 reuse or §7 quota; (code, message)."""
        if keep_alive is not None and keep_alive > self.max_keep_alive:
            return "ValidationException", None
        if spot and keep_alive:
            return "ValidationException", None  # D3
        if self.find(name) is not None:
            return "ResourceInUse", None
        _, instance_type, count = key
        donor: ModelJob | None = None
        if not spot:  # D3: spot jobs never take over a pool
            matches = [job for job in self.jobs if job.pool == AVAILABLE and job.key == key]
            if matches:
                donor = min(matches, key=lambda job: (job.available_at or 0, job.seq))
        if donor is None:
            limit = self.quotas[instance_type][0]
            used = self.in_training(instance_type) + self.retained(instance_type)
            if limit is not None and used + count > limit:
                return "ResourceLimitExceeded", training_limit_text(
                    instance_type, limit, used, count
                )
        self.seq += 1
        job = ModelJob(
            name=name,
            seq=self.seq,
            key=key,
            keep_alive=keep_alive,
            plan=plan,
            max_runtime=DEFAULT_MAX_RUNTIME if max_runtime is None else max_runtime,
            created_at=self.now,
            last_modified=self.now,
            start_at=self.now + (self.cold_start if donor is None else self.warm_start),
            warm=donor is not None,
            cluster=None if donor is None else donor.cluster,
            pool=IN_USE if donor is not None or keep_alive else None,
        )
        if donor is not None:
            self._leave_available(donor, REUSED, "Reused")
            donor.reused_by = name
        self.jobs.append(job)
        self.settle()
        return None, None

    def complete(self, name: str) -> bool:
        """D24: only while Training."""
        job = self.find(name)
        if job is None or job.secondary != "Training":
            return False
        self.release(job, "Completed")
        self.settle()
        return True

    def fail(self, name: str, failure_class: str) -> bool:
        """D24: any time InProgress."""
        job = self.find(name)
        if job is None or job.secondary not in ("Starting", "Training"):
            return False
        self.release(job, "Failed", failure_class)
        self.settle()
        return True

    def stop(self, name: str) -> str | None:
        """behaviour §5.4 / D9."""
        job = self.find(name)
        if job is None or job.secondary not in ("Starting", "Training"):
            return "ValidationException"
        job.secondary = "Stopping"
        job.stop_done_at = self.now + self.stopping
        job.last_modified = self.now
        self.settle()
        return None

    def update(self, name: str, keep_alive: int) -> str | None:
        """behaviour §9.3 Update / D18."""
        if keep_alive > self.max_keep_alive:
            return "ValidationException"
        job = self.find(name)
        if job is None or job.pool != AVAILABLE:
            return "ValidationException"
        assert job.available_at is not None and job.cluster is not None
        job.keep_alive = keep_alive
        job.last_modified = self.now
        expires = min(job.available_at + keep_alive, job.cluster.launched_at + self.lifetime)
        if expires <= self.now:
            self._leave_available(job, TERMINATED, "Released")
        else:
            job.expires_at = expires
        self.settle()
        return None

    def patch(self, instance_type: str | None) -> int:
        """D24: every Available pool (of that type) ends with PatchUpdate."""
        victims = [
            job
            for job in self.jobs
            if job.pool == AVAILABLE and instance_type in (None, job.instance_type)
        ]
        for job in victims:
            self._leave_available(job, TERMINATED, "PatchUpdate")
        self.settle()
        return len(victims)

    def delete(self, name: str) -> str | None:
        """D17 / D19."""
        job = self.find(name)
        if job is None:
            return "ResourceNotFound"
        if job.secondary not in TERMINAL or job.pool == AVAILABLE:
            return "ResourceInUse"
        job.deleted = True
        return None

    # -- billing (behaviour §8 / D27) ------------------------------------------------------------

    def billing(self) -> tuple[int, int, int, int]:
        """(retained s, retained instance-s, training s, training instance-s), open included."""
        retained = retained_i = training = training_i = 0
        for job in self.jobs:
            seconds = job.training_seconds()
            if seconds is not None:
                training += seconds
                training_i += seconds * job.count
            if job.available_at is None:
                continue
            held = (
                whole_seconds(self.now - job.available_at)
                if job.pool == AVAILABLE
                else job.retained_billable
            )
            assert held is not None
            retained += held
            retained_i += held * job.count
        return retained, retained_i, training, training_i


# -- the state machine --------------------------------------------------------------------------

FAILURE_CLASSES: Final = ("AlgorithmError", "ClientError", "InternalServerError", "CapacityError")

#: How long a rule waits before it acts (besides "next" and "before-next").
WAIT_SECONDS: Final = {
    "zero": 0,
    "tenth": 0.1,  # float noise must not add a billed second (D6)
    "half": 0.5,
    "small": 30,
    "medium": 250,
    "large": 1000,
}
waits = st.sampled_from(
    ["zero", "next", "zero", "small", "next", "medium", "large", "before-next", "half", "tenth"]
)
keep_alive_choices = st.sampled_from(["large", "small", "absent", "large", 0, "too-large"])
plans: st.SearchStrategy[Plan | None] = st.sampled_from(
    [
        (40, None),
        None,
        (150, None),
        (0, None),
        (400.5, None),
        (120, None),  # equal to a max runtime: the plan wins (D8)
        (40, "AlgorithmError"),
        (150, "InternalServerError"),
        (150, "ClientError"),
    ]
)
#: None: no StoppingCondition (86400 s by default).
max_runtimes = st.sampled_from([None, 300, 120, 86400])


class EmulatorMachine(WarmPoolInvariants):
    """Random calls on a small-quota, short-lifetime emulator, mirrored on ``SpecModel``;
    behaviour §11's invariants are inherited."""

    def __init__(self) -> None:
        super().__init__()
        self._setup(0, 0, 0, 300, 700, (None, None), (1, 1))

    def _setup(
        self,
        cold: float,
        warm: float,
        stopping: float,
        max_keep_alive: int,
        lifetime: int,
        training: tuple[int | None, int | None],
        warm_pool: tuple[int, int],
    ) -> None:
        quotas = {itype: (training[i], warm_pool[i]) for i, itype in enumerate(INSTANCE_TYPES)}
        self.model = SpecModel(
            cold_start=cold,
            warm_start=warm,
            stopping=stopping,
            max_keep_alive=max_keep_alive,
            lifetime=lifetime,
            quotas=quotas,
        )
        self.next_plan: JobPlan | None = None
        self.hook_calls: list[str] = []
        self.emu = WarmPoolEmulator(
            limits=Limits(
                max_keep_alive_seconds=max_keep_alive, max_pool_lifetime_seconds=lifetime
            ),
            timing=Timing(
                cold_start_seconds=cold, warm_start_seconds=warm, stopping_seconds=stopping
            ),
            quotas={
                itype: Quota(training=limit, warm_pool=pool)
                for itype, (limit, pool) in quotas.items()
            },
            workload=self._hook,
        )
        self.names: list[str] = []  # every name ever tried, for picking targets

    def _hook(self, request: Mapping[str, Any]) -> JobPlan | None:
        self.hook_calls.append(request["TrainingJobName"])
        return self.next_plan

    def _pick(self, index: int, aim: bool, fits: Callable[[ModelJob], bool]) -> str:
        """A job name: with ``aim``, one of the live jobs the call applies to (per the model),
        if any; otherwise any name ever used (deleted and refused ones included)."""
        if aim:
            candidates = [job.name for job in self.model.live() if fits(job)]
            if candidates:
                return candidates[index % len(candidates)]
        return self.names[index % len(self.names)] if self.names else "no-such-job"

    def _keep_alive(self, choice: int | str) -> int | None:
        if choice == "absent":
            return None
        if choice == "small":
            return 60
        if choice == "large":
            return self.model.max_keep_alive
        if choice == "too-large":
            return self.model.max_keep_alive + 1
        assert isinstance(choice, int)
        return choice

    @initialize(
        cold=st.sampled_from([30, 0, 180]),
        warm=st.sampled_from([20, 0]),
        stopping=st.sampled_from([25, 0]),
        max_keep_alive=st.sampled_from([900, 300]),
        lifetime=st.sampled_from([900, 2400]),
        training=st.tuples(st.sampled_from([4, 2, None]), st.sampled_from([3, None])),
        warm_pool=st.tuples(st.sampled_from([2, 3, 1]), st.sampled_from([2, 1, 0])),
    )
    def configure(
        self,
        cold: float,
        warm: float,
        stopping: float,
        max_keep_alive: int,
        lifetime: int,
        training: tuple[int | None, int | None],
        warm_pool: tuple[int, int],
    ) -> None:
        self._setup(cold, warm, stopping, max_keep_alive, lifetime, training, warm_pool)

    # -- rules ------------------------------------------------------------------------------
    # Every rule but ``advance`` first waits (``wait``), so that time moves in most steps.

    def _wait(self, how: str) -> None:
        """Advance both sides: not at all, a little, to (or just before) the emulator's next
        scheduled event as ``clock.peek()`` reports it, or a lot."""
        emu = self.emu
        if how in ("next", "before-next"):
            upcoming = emu.clock.peek()
            target = emu.now if math.isinf(upcoming) else upcoming
            if how == "before-next":
                target = max(emu.now, target - 0.5)
            emu.run_until(target)
        else:
            seconds = WAIT_SECONDS[how]
            target = emu.now + seconds
            emu.advance(seconds)
        self.model.run_until(target)
        self.warm_pool_status_moves_only_as_allowed()

    @rule(how=st.sampled_from([*sorted(WAIT_SECONDS), "next", "before-next"]))
    def advance(self, how: str) -> None:
        self._wait(how)

    @rule(
        wait=waits,
        name_pick=st.integers(0, 40),
        variant=st.sampled_from([0, 0, 1, 2]),
        instance_type=st.sampled_from([INSTANCE_TYPES[0], INSTANCE_TYPES[0], INSTANCE_TYPES[1]]),
        count=st.sampled_from([1, 1, 2]),
        like=st.one_of(st.none(), st.integers(0, 40)),
        keep_alive=keep_alive_choices,
        spot=st.sampled_from([False, False, False, True]),
        plan=plans,
        max_runtime=max_runtimes,
        render=st.integers(0, 5),
    )
    def create(
        self,
        wait: str,
        name_pick: int,
        variant: int,
        instance_type: str,
        count: int,
        like: int | None,
        keep_alive: int | str,
        spot: bool,
        plan: Plan | None,
        max_runtime: int | None,
        render: int,
    ) -> None:
        """A create with identity ``(variant, instance_type, count)``, or with ``like``, that of
        an earlier job (one whose pool is Available now, if any), so that reuse is frequent."""
        self._wait(wait)
        key: Key = (variant, instance_type, count)
        if like is not None:
            key = self._key_like(like) or key
        self._create(name_pick, key, keep_alive, spot, plan, max_runtime, render)

    def _key_like(self, like: int) -> Key | None:
        """The key of an earlier job, preferably one whose pool is Available now."""
        jobs = [job for job in self.model.jobs if job.pool == AVAILABLE] or self.model.jobs
        return jobs[like % len(jobs)].key if jobs else None

    @rule(
        name_pick=st.integers(0, 40),
        like=st.integers(0, 40),
        near_miss=st.sampled_from([None, None, "variant", "instance_type", "count"]),
        keep_alive=keep_alive_choices,
        plan=plans,
        max_runtime=max_runtimes,
        render=st.integers(0, 5),
    )
    def create_like_another(
        self,
        name_pick: int,
        like: int,
        near_miss: str | None,
        keep_alive: int | str,
        plan: Plan | None,
        max_runtime: int | None,
        render: int,
    ) -> None:
        """At once, a create with an earlier job's identity, or with one field of it changed."""
        variant, instance_type, count = self._key_like(like) or (0, INSTANCE_TYPES[0], 1)
        if near_miss == "variant":
            variant = (variant + 1) % 3
        elif near_miss == "instance_type":
            instance_type = INSTANCE_TYPES[INSTANCE_TYPES.index(instance_type) - 1]
        elif near_miss == "count":
            count = 3 - count
        key = (variant, instance_type, count)
        self._create(name_pick, key, keep_alive, False, plan, max_runtime, render)

    def _create(
        self,
        name_pick: int,
        key: Key,
        keep_alive: int | str,
        spot: bool,
        plan: Plan | None,
        max_runtime: int | None,
        render: int,
    ) -> None:
        name = self.names[name_pick] if name_pick < len(self.names) else f"job-{len(self.names)}"
        if name not in self.names:
            self.names.append(name)
        seconds = self._keep_alive(keep_alive)
        variant, instance_type, count = key
        request = build_request(
            name,
            variant=variant,
            instance_type=instance_type,
            count=count,
            keep_alive=seconds,
            spot=spot,
            max_runtime=max_runtime,
            render=render,
        )
        self.next_plan = (
            None if plan is None else JobPlan(training_seconds=plan[0], failure_class=plan[1])
        )
        self.hook_calls.clear()
        code: str | None = None
        message: str | None = None
        try:
            self.emu.create_training_job(**request)
        except errors.WarmPoolError as error:
            code, message = error.code, error.message
        expected_code, expected_message = self.model.create(
            name, key, keep_alive=seconds, spot=spot, plan=plan, max_runtime=max_runtime
        )
        assert code == expected_code, (code, message)
        if expected_message is not None:
            assert message == expected_message
        # D15: the hook is called exactly once, and only for an accepted request.
        assert self.hook_calls == ([] if code else [name])

    @rule(
        wait=waits,
        index=st.integers(0, 40),
        aim=st.booleans(),
        how=st.sampled_from(["complete", *FAILURE_CLASSES]),
    )
    def end_training(self, wait: str, index: int, aim: bool, how: str) -> None:
        """The controls ``complete_training_job`` / ``fail_training_job`` (D24)."""
        self._wait(wait)
        name = self._pick(index, aim, lambda job: job.secondary in ("Starting", "Training"))
        try:
            if how == "complete":
                self.emu.complete_training_job(name)
            else:
                self.emu.fail_training_job(name, failure_class=how, message="boom")
            done = True
        except errors.ControlError:
            done = False
        expected = self.model.complete(name) if how == "complete" else self.model.fail(name, how)
        assert done == expected

    @rule(wait=waits, index=st.integers(0, 40), aim=st.booleans())
    def stop(self, wait: str, index: int, aim: bool) -> None:
        self._wait(wait)
        name = self._pick(index, aim, lambda job: job.secondary in ("Starting", "Training"))
        code: str | None = None
        try:
            self.emu.stop_training_job(TrainingJobName=name)
        except errors.WarmPoolError as error:
            code = error.code
        assert code == self.model.stop(name)

    @rule(
        wait=waits,
        index=st.integers(0, 40),
        aim=st.booleans(),
        keep_alive=st.sampled_from([0, "elapsed", "small", "elapsed+1", "large", "too-large"]),
    )
    def update_keep_alive(self, wait: str, index: int, aim: bool, keep_alive: int | str) -> None:
        """UpdateTrainingJob's keep-alive; "elapsed" is the time since the pool's release
        (rounded up), so the new expiry is now or just past (behaviour §9: it terminates now)."""
        self._wait(wait)
        name = self._pick(index, aim, lambda job: job.pool == AVAILABLE)
        if keep_alive in ("elapsed", "elapsed+1"):
            job = self.model.find(name)
            since = job.available_at if job is not None else None
            elapsed = 60 if since is None else whole_seconds(self.model.now - since)
            seconds: int | None = elapsed + (keep_alive == "elapsed+1")
        else:
            seconds = self._keep_alive(keep_alive)
        assert seconds is not None
        code: str | None = None
        try:
            self.emu.update_training_job(
                TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": seconds}
            )
        except errors.WarmPoolError as error:
            code = error.code
        assert code == self.model.update(name, seconds)

    @rule(wait=waits, instance_type=st.sampled_from([None, *INSTANCE_TYPES]))
    def patch_update(self, wait: str, instance_type: str | None) -> None:
        self._wait(wait)
        terminated = self.emu.apply_patch_update(instance_type)
        assert terminated == self.model.patch(instance_type)

    @rule(wait=waits, index=st.integers(0, 40), aim=st.booleans())
    def delete(self, wait: str, index: int, aim: bool) -> None:
        self._wait(wait)
        name = self._pick(index, aim, lambda job: job.secondary in TERMINAL)
        code: str | None = None
        try:
            self.emu.delete_training_job(TrainingJobName=name)
        except errors.WarmPoolError as error:
            code = error.code
        assert code == self.model.delete(name)

    @rule(
        instance_type=st.sampled_from(INSTANCE_TYPES),
        training=st.sampled_from([None, 1, 3, 5]),
        warm_pool=st.sampled_from([0, 1, 3]),
    )
    def change_quota(self, instance_type: str, training: int | None, warm_pool: int) -> None:
        """D14: limits change at run time; lowering one below use evicts nothing."""
        self.emu.quotas[instance_type] = Quota(training=training, warm_pool=warm_pool)
        self.model.quotas[instance_type] = (training, warm_pool)

    # -- comparison with the model ----------------------------------------------------------

    @invariant()
    def emulator_matches_model(self) -> None:
        """behaviour §4-§8: statuses, times, warm pools, quotas and billing as the model says."""
        emu, model = self.emu, self.model
        assert emu.now == model.now
        live = model.live()
        assert emu.job_names() == [job.name for job in live]
        epoch = emu.clock.epoch
        for job in live:
            d = emu.describe_training_job(TrainingJobName=job.name)
            where = (job.name, model.now)
            assert d["TrainingJobStatus"] == JOB_STATUS[job.secondary], where
            assert d["SecondaryStatus"] == job.secondary, where
            assert d.get("WarmPoolStatus") == job.warm_pool_status(), where
            assert d["CreationTime"] == epoch + timedelta(seconds=job.created_at), where
            modified = epoch + timedelta(seconds=job.last_modified)
            assert d["LastModifiedTime"] == modified, where  # D22
            started = None if job.started_at is None else epoch + timedelta(seconds=job.started_at)
            assert d.get("TrainingStartTime") == started, where
            ended = None if job.ended_at is None else epoch + timedelta(seconds=job.ended_at)
            assert d.get("TrainingEndTime") == ended, where
            assert d.get("BillableTimeInSeconds") == job.training_seconds(), where
            assert d.get("TrainingTimeInSeconds") == job.training_seconds(), where
            assert d["ResourceConfig"].get("KeepAlivePeriodInSeconds") == job.keep_alive, where
            if job.secondary == "Failed":
                assert d["FailureReason"].startswith(f"{job.failure_class}: "), where
            else:
                assert "FailureReason" not in d, where
            view = emu.warm_pool(job.name)
            assert (view is None) == (job.pool is None), where
            if view is not None and job.pool == AVAILABLE:
                assert view.expires_at == job.expires_at, where
            if view is not None and job.pool == TERMINATED and job.reason in NAMED_REASONS:
                assert view.reason == job.reason, where
        for job in model.jobs:
            if job.deleted and model.find(job.name) is None:
                try:
                    emu.describe_training_job(TrainingJobName=job.name)
                    raise AssertionError(f"{job.name} was deleted but can be described")
                except errors.ValidationException:
                    pass
        # behaviour §9.6 / D20: List filters by warm pool status and status, sorted by (creation,
        # name).
        in_order = sorted(live, key=lambda job: (job.created_at, job.name))
        for pool_status in (AVAILABLE, REUSED):
            listed = emu.list_training_jobs(WarmPoolStatusEquals=pool_status, MaxResults=100)
            assert [s["TrainingJobName"] for s in listed["TrainingJobSummaries"]] == [
                job.name for job in in_order if job.pool == pool_status
            ], pool_status
        listed = emu.list_training_jobs(StatusEquals="InProgress", MaxResults=100)
        assert [s["TrainingJobName"] for s in listed["TrainingJobSummaries"]] == [
            job.name for job in in_order if JOB_STATUS[job.secondary] == "InProgress"
        ]
        for itype in INSTANCE_TYPES:
            usage = emu.quotas.usage(itype)
            assert (usage.in_training, usage.retained) == (
                model.in_training(itype),
                model.retained(itype),
            ), itype
        totals = emu.billing.total(include_open=True)
        assert (
            totals.retained_seconds,
            totals.retained_instance_seconds,
            totals.training_seconds,
            totals.training_instance_seconds,
        ) == model.billing()


# From the TestCase's own settings: WarmPoolMachine's TestCase leaves out the explain phase.
EmulatorMachine.TestCase.settings = settings(
    EmulatorMachine.TestCase.settings, max_examples=100, stateful_step_count=40
)
TestEmulatorAgainstModel = EmulatorMachine.TestCase
