"""One test per rule of the AWS guide "Train Using SageMaker Managed Warm Pools".

The guide's editions and address are in docs/references.md. Each test is named after the rule
it checks, and its docstring begins with the guide's section (``AWS guide: <section>``).
Default timing (behaviour §5.2, D7): cold start 180 s, warm start 20 s, stopping 0 s; the factory's
jobs train 600 s, so a first job created at 0 launches at 180 and is released at 780.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, describe, emulator, plans_by_name, request
from tests.factories import warm_pool_status as pool_status
from warmpool import JobPlan, Limits, Quota, WarmPoolEmulator, errors
from warmpool.events import JobReleased, PoolTerminated, QuotaRefused, TrainingStarted

COLD = 180
WARM = 20
TRAIN = 600
RELEASE_1 = COLD + TRAIN  # release time of a first job created at 0

GUIDE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnforceKeepAlivePeriodLimit",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob"],
            "Resource": "*",
            "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 1800}},
        }
    ],
}


# -- local helpers ---------------------------------------------------------------------------


def started(emu: WarmPoolEmulator, name: str) -> TrainingStarted:
    """The (single) TrainingStarted event of a job."""
    (event,) = [e for e in emu.events.of_type(TrainingStarted) if e.job == name]
    return event


def with_vpc(name: str, groups: list[str], subnets: list[str], **extra: Any) -> dict[str, Any]:
    return request(name, VpcConfig={"SecurityGroupIds": groups, "Subnets": subnets}, **extra)


def available_pool(emu: WarmPoolEmulator, name: str = "job-1", **extra: Any) -> None:
    """Create ``name`` at the current time and run it until it is released (cold start)."""
    emu.create_training_job(**request(name, **extra))
    emu.advance(COLD + TRAIN)


# -- Warm pool lifecycle ---------------------------------------------------------------------


def test_first_job_cold_starts_and_completed_job_keeps_pool_available() -> None:
    """AWS guide: Warm pool lifecycle 1-2 (cold start; completed job's pool is Available)."""
    emu = emulator()
    emu.create_training_job(**request("job-1", keep_alive=1800))
    first = describe(emu, "job-1")
    assert (first["TrainingJobStatus"], first["SecondaryStatus"]) == ("InProgress", "Starting")
    emu.advance(COLD - 1)
    assert describe(emu, "job-1")["SecondaryStatus"] == "Starting"
    emu.advance(1)
    running = describe(emu, "job-1")
    assert running["SecondaryStatus"] == "Training"
    assert running["TrainingStartTime"] - running["CreationTime"] == timedelta(seconds=COLD)
    assert started(emu, "job-1").warm is False
    emu.advance(TRAIN)
    done = describe(emu, "job-1")
    assert done["TrainingJobStatus"] == "Completed"
    assert done["WarmPoolStatus"] == {"Status": "Available"}
    view = emu.warm_pool("job-1")
    assert view is not None
    assert view.expires_at == RELEASE_1 + 1800


def test_warm_pool_stays_available_within_keep_alive() -> None:
    """AWS guide: Warm pool lifecycle 2-3 (Available while within KeepAlivePeriodInSeconds)."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.advance(1799)
    assert pool_status(emu, "job-1") == {"Status": "Available"}
    assert emu.quotas.retained(INSTANCE_TYPE) == 1


def test_warm_pool_terminated_when_keep_alive_expires() -> None:
    """AWS guide: Warm pool lifecycle 3 and 6 (exceeding KeepAlivePeriodInSeconds terminates)."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.advance(1800)
    assert pool_status(emu, "job-1") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 1800,
    }
    view = emu.warm_pool("job-1")
    assert view is not None
    assert view.reason == "Expired"
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    # the end of the lifecycle: a matching job now cold-starts
    emu.create_training_job(**request("job-2"))
    assert pool_status(emu, "job-1") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 1800,
    }
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False


def test_matching_job_reuses_pool_and_first_job_becomes_reused() -> None:
    """AWS guide: Warm pool lifecycle 4 (the pool moves to the matching job; first job Reused)."""
    emu = emulator()
    available_pool(emu)
    emu.advance(100)
    emu.create_training_job(**request("job-2"))
    assert pool_status(emu, "job-1") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 100,
        "ReusedByJob": "job-2",
    }
    emu.advance(WARM)
    assert started(emu, "job-2").warm is True
    assert started(emu, "job-2").cluster == started(emu, "job-1").cluster
    # retained instances moved to training
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1


def test_reusing_job_is_in_use() -> None:
    """AWS guide: Warm pool lifecycle 5 (the job that reused the pool is InUse)."""
    emu = emulator()
    available_pool(emu)
    emu.create_training_job(**request("job-2"))
    assert pool_status(emu, "job-2") == {"Status": "InUse"}
    emu.advance(WARM)
    assert describe(emu, "job-2")["SecondaryStatus"] == "Training"
    assert pool_status(emu, "job-2") == {"Status": "InUse"}
    emu.advance(TRAIN)
    assert pool_status(emu, "job-2") == {"Status": "Available"}


@pytest.mark.parametrize("second_keep_alive", [600, 3600])
def test_pool_inherits_new_jobs_keep_alive(second_keep_alive: int) -> None:
    """AWS guide: Warm pool lifecycle 5 / Maximum duration (pool inherits the new job's period)."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.create_training_job(**request("job-2", keep_alive=second_keep_alive))
    emu.advance(WARM + TRAIN)
    assert pool_status(emu, "job-2") == {"Status": "Available"}
    emu.advance(second_keep_alive - 1)
    assert pool_status(emu, "job-2") == {"Status": "Available"}
    emu.advance(1)
    assert pool_status(emu, "job-2") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": second_keep_alive,
    }


def test_subsequent_job_without_keep_alive_ends_chain() -> None:
    """AWS guide: Maximum duration ("Each subsequent training job must also specify" a period)."""
    emu = emulator()
    available_pool(emu)
    emu.create_training_job(**request("job-2", keep_alive=None))
    assert pool_status(emu, "job-1") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 0,
        "ReusedByJob": "job-2",
    }
    emu.advance(WARM + TRAIN)
    assert pool_status(emu, "job-2") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("job-3"))
    emu.advance(COLD)
    assert started(emu, "job-3").warm is False


def test_chain_stops_at_seven_days() -> None:
    """AWS guide: Maximum warm pool duration (a cluster runs consecutive jobs for at most 7
    days)."""
    day = 86400
    stopping = {"MaxRuntimeInSeconds": 2 * day}
    emu = emulator(training_seconds=day)
    assert emu.limits == Limits.GUIDE_2022
    emu.create_training_job(**request("chain-1", StoppingCondition=stopping))
    emu.advance(COLD + day)
    launch = COLD
    for k in range(2, 8):
        assert pool_status(emu, f"chain-{k - 1}") == {"Status": "Available"}
        emu.create_training_job(**request(f"chain-{k}", StoppingCondition=stopping))
        emu.advance(WARM + day)
    cluster = started(emu, "chain-1").cluster
    assert all(started(emu, f"chain-{k}").cluster == cluster for k in range(1, 8))
    # chain-6 was released 518500 s after launch (< 7 days): kept, then reused by chain-7
    assert pool_status(emu, "chain-6") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 0,
        "ReusedByJob": "chain-7",
    }
    # chain-7 is released 604920 s after launch (>= 7 days = 604800 s): not kept
    assert emu.now - launch == 86400 + 6 * 86420 > 7 * day
    assert describe(emu, "chain-7")["TrainingJobStatus"] == "Completed"
    assert pool_status(emu, "chain-7") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    view = emu.warm_pool("chain-7")
    assert view is not None
    assert view.reason == "LifetimeCap"
    emu.create_training_job(**request("chain-8", StoppingCondition=stopping))
    emu.advance(COLD)
    assert started(emu, "chain-8").warm is False
    assert started(emu, "chain-8").cluster != cluster


@pytest.mark.parametrize("keep_alive", [None, 0])
def test_no_keep_alive_spins_down_after_completion(keep_alive: int | None) -> None:
    """AWS guide: Maximum duration ("If no KeepAlivePeriodInSeconds is specified ... spins
    down")."""
    emu = emulator()
    emu.create_training_job(**request("job-1", keep_alive=keep_alive))
    emu.advance(COLD + TRAIN)
    assert describe(emu, "job-1")["TrainingJobStatus"] == "Completed"
    assert pool_status(emu, "job-1") is None
    assert emu.warm_pool("job-1") is None
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("job-2"))
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False


# -- Warm pool creation ----------------------------------------------------------------------


def test_stopped_before_launch_keeps_no_pool() -> None:
    """AWS guide: Warm pool creation (a warm pool needs a launched cluster; behaviour §5 table)."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    emu.advance(COLD - 1)
    emu.stop_training_job(TrainingJobName="job-1")
    body = describe(emu, "job-1")
    assert body["TrainingJobStatus"] == "Stopped"
    assert "TrainingStartTime" not in body
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    emu.advance(COLD)
    assert emu.events.of_type(TrainingStarted) == []
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    assert emu.quotas.in_training(INSTANCE_TYPE) == 0


def test_stopped_after_launch_keeps_pool() -> None:
    """AWS guide: Warm pool creation ("If you stop a training job after a cluster is already
    launched, a warm pool is still retained")."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("job-1"))
    emu.advance(COLD + 100)
    emu.stop_training_job(TrainingJobName="job-1")
    assert describe(emu, "job-1")["TrainingJobStatus"] == "Stopped"
    assert pool_status(emu, "job-1") == {"Status": "Available"}
    assert emu.quotas.retained(INSTANCE_TYPE) == 1


@pytest.mark.parametrize("via", ["control", "plan"])
def test_algorithm_error_keeps_pool(via: str) -> None:
    """AWS guide: Warm pool creation ("fails due to an algorithm ... error, a warm pool is still
    retained")."""
    if via == "control":
        emu = emulator(training_seconds=None)
        emu.create_training_job(**request("job-1"))
        emu.advance(COLD + 10)
        emu.fail_training_job("job-1", "AlgorithmError", "loss is NaN")
    else:
        emu = emulator(
            workload=lambda _r: JobPlan(training_seconds=10, failure_class="AlgorithmError")
        )
        emu.create_training_job(**request("job-1"))
        emu.advance(COLD + 10)
    body = describe(emu, "job-1")
    assert body["TrainingJobStatus"] == "Failed"
    assert body["FailureReason"].startswith("AlgorithmError")
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_client_error_keeps_pool() -> None:
    """AWS guide: Warm pool creation ("fails due to ... client error, a warm pool is still
    retained")."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("job-1"))
    emu.advance(COLD + 10)
    emu.fail_training_job("job-1", "ClientError", "bad input channel")
    body = describe(emu, "job-1")
    assert body["TrainingJobStatus"] == "Failed"
    assert body["FailureReason"] == "ClientError: bad input channel"
    assert body["WarmPoolStatus"] == {"Status": "Available"}


@pytest.mark.parametrize("failure_class", ["InternalServerError", "CapacityError"])
def test_internal_error_keeps_no_pool(failure_class: str) -> None:
    """AWS guide: Warm pool creation (any other failure "might compromise the health of the
    cluster, then the warm pool is not created")."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("job-1"))
    emu.advance(COLD + 10)
    emu.fail_training_job("job-1", failure_class)
    body = describe(emu, "job-1")
    assert body["TrainingJobStatus"] == "Failed"
    assert body["FailureReason"].startswith(f"{failure_class}: ")
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("job-2"))
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False


# -- Matching training jobs ------------------------------------------------------------------

_KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd"


def _resource(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "InstanceType": INSTANCE_TYPE,
        "InstanceCount": 1,
        "VolumeSizeInGB": 50,
        "KeepAlivePeriodInSeconds": 1800,
    }
    base.update(changes)
    return base


# (field, first job's extra members, second job's extra members): equal except that field
MATCHING_FIELDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("RoleArn", {}, {"RoleArn": OTHER_ROLE}),
    ("InstanceCount", {}, {"ResourceConfig": _resource(InstanceCount=2)}),
    ("InstanceType", {}, {"ResourceConfig": _resource(InstanceType="ml.m5.2xlarge")}),
    ("VolumeKmsKeyId", {}, {"ResourceConfig": _resource(VolumeKmsKeyId=_KMS)}),
    ("VolumeSizeInGB", {}, {"ResourceConfig": _resource(VolumeSizeInGB=51)}),
    (
        "SecurityGroupIds",
        {"VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}},
        {"VpcConfig": {"SecurityGroupIds": ["sg-2"], "Subnets": ["subnet-1"]}},
    ),
    (
        "Subnets",
        {"VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}},
        {"VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-2"]}},
    ),
    (
        "EnableInterContainerTrafficEncryption",
        {},
        {"EnableInterContainerTrafficEncryption": True},
    ),
    ("EnableNetworkIsolation", {}, {"EnableNetworkIsolation": True}),
    (
        "SessionChainingConfig.EnableSessionTagChaining",
        {},
        {"SessionChainingConfig": {"EnableSessionTagChaining": True}},
    ),
]


@pytest.mark.parametrize(
    ("field", "first", "second"), MATCHING_FIELDS, ids=[f for f, _, _ in MATCHING_FIELDS]
)
def test_each_matching_field_must_be_identical(
    field: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """AWS guide: Matching training jobs ("All of these values must be the same"); behaviour §3."""
    emu = emulator(
        quotas={
            INSTANCE_TYPE: Quota(warm_pool=10),
            "ml.m5.2xlarge": Quota(warm_pool=10),
        }
    )
    emu.create_training_job(**request("job-1", **first))
    emu.advance(COLD + TRAIN)
    assert pool_status(emu, "job-1") == {"Status": "Available"}
    # differs only in `field`: no reuse, the pool stays Available, the job cold-starts
    emu.create_training_job(**request("job-2", **{**first, **second}))
    differences = emu.identity_key("job-1").differences(emu.identity_key("job-2"))
    assert len(differences) == 1
    assert differences[0].endswith(field)
    assert pool_status(emu, "job-1") == {"Status": "Available"}
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False
    # an identical job does take it, so the one differing field was the reason
    emu.create_training_job(**request("job-3", **first))
    assert pool_status(emu, "job-1") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": COLD,
        "ReusedByJob": "job-3",
    }


def test_hyperparameters_do_not_affect_matching() -> None:
    """AWS guide: Python SDK example (job 2 differs in a hyperparameter and reuses the pool)."""
    emu = emulator()
    available_pool(emu, HyperParameters={"epochs": "1", "batch-size": "512"})
    emu.create_training_job(
        **request("job-2", HyperParameters={"epochs": "2", "learning-rate": "0.001"})
    )
    assert pool_status(emu, "job-1") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 0,
        "ReusedByJob": "job-2",
    }


NON_KEY_CHANGES: list[tuple[str, dict[str, Any]]] = [
    (
        "AlgorithmSpecification",
        {
            "AlgorithmSpecification": {
                "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:v2",
                "TrainingInputMode": "Pipe",
            }
        },
    ),
    ("StoppingCondition", {"StoppingCondition": {"MaxRuntimeInSeconds": 7200}}),
    ("Environment", {"Environment": {"MY_VAR": "x"}}),
    ("Tags", {"Tags": [{"Key": "team", "Value": "ml"}]}),
    ("KeepAlivePeriodInSeconds", {"ResourceConfig": _resource(KeepAlivePeriodInSeconds=60)}),
    ("OutputDataConfig", {"OutputDataConfig": {"S3OutputPath": "s3://other/out"}}),
    (
        "VpcConfig order and duplicates",
        {"VpcConfig": {"SecurityGroupIds": ["sg-2", "sg-1", "sg-2"], "Subnets": ["subnet-1"]}},
    ),
    ("explicit False flags", {"EnableNetworkIsolation": False}),
]


@pytest.mark.parametrize(("what", "change"), NON_KEY_CHANGES, ids=[w for w, _ in NON_KEY_CHANGES])
def test_fields_outside_the_identity_key_do_not_affect_matching(
    what: str, change: dict[str, Any]
) -> None:
    """behaviour §3 / D2: name, image, keep-alive, stopping condition, tags, environment are not
    part of the key; VPC lists compare as sets; absent booleans are False."""
    emu = emulator()
    first: dict[str, Any] = {}
    if what.startswith("VpcConfig"):
        first = {"VpcConfig": {"SecurityGroupIds": ["sg-1", "sg-2"], "Subnets": ["subnet-1"]}}
    available_pool(emu, **first)
    emu.create_training_job(**request("job-2", **{**first, **change}))
    status = pool_status(emu, "job-1")
    assert status is not None
    assert status["Status"] == "Reused"
    assert status["ReusedByJob"] == "job-2"


# -- Warm pool resource limits ---------------------------------------------------------------


def test_default_warm_pool_quota_zero_retains_nothing_silently() -> None:
    """AWS guide: Warm pool resource limits (default limit 0: no warm pool, and no error)."""
    emu = WarmPoolEmulator(workload=lambda _r: JobPlan(training_seconds=TRAIN))
    assert emu.quotas[INSTANCE_TYPE].warm_pool == 0
    emu.create_training_job(**request("job-1", keep_alive=1800))
    emu.advance(COLD + TRAIN)
    body = describe(emu, "job-1")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    refusals = emu.events.of_type(QuotaRefused)
    assert [(r.job, r.quota, r.limit) for r in refusals] == [("job-1", "warm_pool", 0)]
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("job-2"))
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False


def test_warm_pool_created_only_if_quota_has_room() -> None:
    """AWS guide: Warm pool resource limits ("only created if your warm pool limit has sufficient
    resources"); behaviour §7."""
    emu = emulator(warm_pool=2)
    emu.create_training_job(**request("big", instance_count=2, role=OTHER_ROLE))
    emu.create_training_job(**request("small"))
    emu.advance(COLD + TRAIN)
    # both released at 780, "big" first (creation order): it fills the quota of 2
    assert pool_status(emu, "big") == {"Status": "Available"}
    assert pool_status(emu, "small") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    assert emu.quotas.retained(INSTANCE_TYPE) == 2


def test_retained_instances_released_on_reuse_and_expiry() -> None:
    """AWS guide: Warm pool resource limits (resources released when Reused or Terminated)."""
    emu = emulator(warm_pool=1)
    available_pool(emu, keep_alive=100)
    assert emu.quotas.retained(INSTANCE_TYPE) == 1
    emu.create_training_job(**request("job-2", keep_alive=100))
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.advance(WARM + TRAIN)
    # the quota freed by the reuse lets job-2 keep the cluster
    assert pool_status(emu, "job-2") == {"Status": "Available"}
    assert emu.quotas.retained(INSTANCE_TYPE) == 1
    emu.advance(100)
    assert emu.quotas.retained(INSTANCE_TYPE) == 0


def test_warm_pool_instances_count_toward_training_limit() -> None:
    """AWS guide: Request a quota increase, Note ("All warm pool instance usage counts toward your
    SageMaker training resource limit"); behaviour §7."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=2, warm_pool=2)})
    available_pool(emu)
    assert emu.quotas.retained(INSTANCE_TYPE) == 1
    with pytest.raises(errors.ResourceLimitExceeded) as info:
        emu.create_training_job(**request("other", role=OTHER_ROLE, instance_count=2))
    assert info.value.code == "ResourceLimitExceeded"
    assert "is 2 Instances, with current utilization of 1 Instances" in info.value.message
    assert "a request delta of 2 Instances" in info.value.message
    # a matching job takes over the retained instances and is never refused
    emu.create_training_job(**request("job-2"))
    assert pool_status(emu, "job-1") is not None
    assert pool_status(emu, "job-2") == {"Status": "InUse"}


# -- How to use: Python SDK example, update, terminate ---------------------------------------


def test_guide_walkthrough_reused_by_job_and_billable_seconds() -> None:
    """AWS guide: Create a warm pool (SDK example output: Reused / 1000 / my-training-job-2,
    InUse)."""
    emu = emulator()

    def job(name: str, epochs: str) -> dict[str, Any]:
        return request(
            name,
            keep_alive=1800,
            volume_size=250,
            HyperParameters={
                "batch-size": "512",
                "epochs": epochs,
                "learning-rate": "1e-3",
                "beta_1": "0.9",
                "beta_2": "0.999",
            },
        )

    emu.create_training_job(**job("my-training-job-1", "1"))
    emu.advance(COLD + TRAIN)
    assert describe(emu, "my-training-job-1")["TrainingJobStatus"] == "Completed"
    emu.advance(1000)
    emu.create_training_job(**job("my-training-job-2", "2"))
    assert describe(emu, "my-training-job-1")["WarmPoolStatus"] == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 1000,
        "ReusedByJob": "my-training-job-2",
    }
    assert describe(emu, "my-training-job-2")["WarmPoolStatus"] == {"Status": "InUse"}


def test_warm_start_faster_than_cold_start() -> None:
    """AWS guide: Create a warm pool ("The second training job reuses the warm pool and starts up
    faster than the first")."""
    emu = emulator()
    available_pool(emu)
    emu.create_training_job(**request("job-2"))
    emu.advance(WARM + TRAIN)
    first, second = describe(emu, "job-1"), describe(emu, "job-2")
    cold = first["TrainingStartTime"] - first["CreationTime"]
    warm = second["TrainingStartTime"] - second["CreationTime"]
    assert warm == timedelta(seconds=WARM)
    assert cold == timedelta(seconds=COLD)
    assert warm < cold


def test_update_keep_alive_while_available() -> None:
    """AWS guide: Update a warm pool (KeepAlivePeriodInSeconds can be updated while Available)."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.advance(100)
    emu.update_training_job(
        TrainingJobName="job-1", ResourceConfig={"KeepAlivePeriodInSeconds": 3600}
    )
    assert describe(emu, "job-1")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 3600
    view = emu.warm_pool("job-1")
    assert view is not None
    assert view.expires_at == RELEASE_1 + 3600  # counted from the release (D18)
    emu.advance(3600 - 100 - 1)
    assert pool_status(emu, "job-1") == {"Status": "Available"}
    emu.advance(1)
    assert pool_status(emu, "job-1") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 3600,
    }


def test_update_keep_alive_refused_unless_available() -> None:
    """AWS guide: Update a warm pool ("When ... the warm pool status is Available");
    behaviour §9.3."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    update = {"TrainingJobName": "job-1", "ResourceConfig": {"KeepAlivePeriodInSeconds": 60}}
    with pytest.raises(errors.ValidationException):  # InUse
        emu.update_training_job(**update)
    emu.advance(COLD + TRAIN)
    emu.create_training_job(**request("job-2"))
    with pytest.raises(errors.ValidationException):  # Reused
        emu.update_training_job(**update)
    assert describe(emu, "job-1")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800


def test_terminate_with_keep_alive_zero() -> None:
    """AWS guide: Terminate a warm pool ("set the KeepAlivePeriodInSeconds value to 0")."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.advance(250)
    emu.update_training_job(TrainingJobName="job-1", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert pool_status(emu, "job-1") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 250,
    }
    assert emu.quotas.retained(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("job-2"))
    emu.advance(COLD)
    assert started(emu, "job-2").warm is False


def test_patch_update_terminates_available_pools() -> None:
    """AWS guide: Lifecycle 6 / Terminate a warm pool (a patch update terminates the warm pool)."""
    other_type = "ml.c5.xlarge"
    emu = emulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=10), other_type: Quota(warm_pool=10)},
        workload=plans_by_name({"busy": None}, JobPlan(training_seconds=TRAIN)),
    )
    emu.create_training_job(**request("m5"))
    emu.create_training_job(**request("c5", instance_type=other_type))
    emu.create_training_job(**request("busy", role=OTHER_ROLE))
    emu.advance(COLD + TRAIN + 10)
    assert pool_status(emu, "m5") == pool_status(emu, "c5") == {"Status": "Available"}
    assert emu.apply_patch_update(other_type) == 1
    assert pool_status(emu, "c5") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 10,
    }
    assert pool_status(emu, "m5") == {"Status": "Available"}
    assert emu.apply_patch_update() == 1
    assert pool_status(emu, "m5") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 10,
    }
    reasons = {e.job: e.reason for e in emu.events.of_type(PoolTerminated)}
    assert reasons == {"c5": "PatchUpdate", "m5": "PatchUpdate"}
    # the cluster in use is not interrupted and can still be kept afterwards
    assert pool_status(emu, "busy") == {"Status": "InUse"}
    assert emu.apply_patch_update() == 0
    emu.complete_training_job("busy")
    assert pool_status(emu, "busy") == {"Status": "Available"}


# -- Considerations and limits ---------------------------------------------------------------


def test_keep_alive_above_3600_refused() -> None:
    """AWS guide: Maximum duration / Considerations (KeepAlivePeriodInSeconds at most 3600 s)."""
    emu = emulator()
    with pytest.raises(errors.ValidationException) as info:
        emu.create_training_job(**request("job-1", keep_alive=3601))
    assert info.value.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert "3600" in info.value.message
    with pytest.raises(errors.ValidationException):
        describe(emu, "job-1")  # nothing was created
    emu.create_training_job(**request("job-1", keep_alive=3600))
    assert pool_status(emu, "job-1") == {"Status": "InUse"}


def test_spot_with_keep_alive_refused() -> None:
    """AWS guide: Considerations ("cannot be used with spot instances"); D3."""
    emu = emulator()
    with pytest.raises(errors.ValidationException) as info:
        emu.create_training_job(**request("spot", keep_alive=60, EnableManagedSpotTraining=True))
    assert info.value.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert emu.job_names() == []
    emu.create_training_job(**request("spot", keep_alive=None, EnableManagedSpotTraining=True))
    assert pool_status(emu, "spot") is None


def test_heterogeneous_cluster_with_keep_alive_refused() -> None:
    """AWS guide: Considerations ("cannot be used with heterogeneous cluster training"); D3."""
    emu = emulator()
    groups = {
        "InstanceGroups": [
            {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "a"},
            {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "InstanceGroupName": "b"},
        ],
        "VolumeSizeInGB": 50,
    }
    with pytest.raises(errors.ValidationException) as info:
        emu.create_training_job(
            **request("hetero", ResourceConfig={**groups, "KeepAlivePeriodInSeconds": 60})
        )
    assert info.value.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert emu.job_names() == []
    emu.create_training_job(**request("hetero", ResourceConfig=groups))
    assert pool_status(emu, "hetero") is None


def test_iam_condition_key_guide_policy() -> None:
    """AWS guide: IAM condition key (NumericLessThanIfExists 1800: 1800 denied, 1799 and absent
    allowed)."""
    emu = emulator(keep_alive_policy=GUIDE_POLICY)
    with pytest.raises(errors.AccessDeniedException) as info:
        emu.create_training_job(**request("denied", keep_alive=1800))
    assert info.value.code == "AccessDeniedException"
    assert emu.job_names() == []
    emu.create_training_job(**request("allowed", keep_alive=1799))
    emu.create_training_job(**request("absent", keep_alive=None))
    assert emu.job_names() == ["allowed", "absent"]


# -- Billing and visibility ------------------------------------------------------------------


def test_billable_time_recorded_per_instance() -> None:
    """AWS guide: Billing (billable resource) / botocore's WarmPoolStatus documentation: billed
    compute is ResourceRetainedBillableTimeInSeconds * InstanceCount; behaviour §8."""
    emu = emulator()
    available_pool(emu, instance_count=3)
    emu.advance(1234)
    emu.create_training_job(**request("job-2", instance_count=3))
    status = pool_status(emu, "job-1")
    assert status is not None
    assert status["ResourceRetainedBillableTimeInSeconds"] == 1234
    (interval,) = emu.billing.retained
    assert (interval.job, interval.ended, interval.billable_seconds) == ("job-1", "Reused", 1234)
    assert interval.instance_seconds == 1234 * 3
    assert emu.billing.total().retained_instance_seconds == 1234 * 3


def test_console_view_shows_time_left_billable_and_reused_by() -> None:
    """AWS guide: Using the console (status, time left while Available, billable seconds, and the
    job that reused the pool)."""
    emu = emulator()
    available_pool(emu, keep_alive=1800)
    emu.advance(300)
    view = emu.warm_pool("job-1")
    assert view is not None
    assert (view.status, view.time_left, view.billable_seconds) == ("Available", 1500, None)
    emu.create_training_job(**request("job-2"))
    view = emu.warm_pool("job-1")
    assert view is not None
    assert (view.status, view.time_left, view.billable_seconds, view.reused_by) == (
        "Reused",
        None,
        300,
        "job-2",
    )


def test_warm_pool_status_visible_in_list_training_jobs() -> None:
    """AWS guide: Low-level APIs (ListTrainingJobs) / console column; behaviour §9
    WarmPoolStatusEquals."""
    emu = emulator(workload=plans_by_name({"in-use": None}, JobPlan(training_seconds=TRAIN)))
    emu.create_training_job(**request("no-pool", keep_alive=None, role=OTHER_ROLE))
    emu.create_training_job(**request("reused"))
    emu.create_training_job(
        **request("terminated", keep_alive=10, volume_size=99)  # expires at 790
    )
    emu.advance(COLD + TRAIN + 10)
    emu.create_training_job(**request("in-use"))  # takes the pool of "reused"
    emu.create_training_job(**request("available", volume_size=7))
    emu.advance(COLD + TRAIN)
    expected = {
        "Available": ["available"],
        "InUse": ["in-use"],
        "Reused": ["reused"],
        "Terminated": ["terminated"],
    }
    for status, names in expected.items():
        page = emu.list_training_jobs(WarmPoolStatusEquals=status, MaxResults=100)
        summaries = page["TrainingJobSummaries"]
        assert [s["TrainingJobName"] for s in summaries] == names
        for summary in summaries:
            described = describe(emu, summary["TrainingJobName"])["WarmPoolStatus"]
            assert summary["WarmPoolStatus"] == described
            assert summary["WarmPoolStatus"]["Status"] == status
    everything = emu.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]
    no_pool = [s for s in everything if s["TrainingJobName"] == "no-pool"]
    assert len(no_pool) == 1
    assert "WarmPoolStatus" not in no_pool[0]


def test_released_job_events_report_final_status() -> None:
    """AWS guide: Warm pool lifecycle (the job completes, then its pool is kept): event log
    order."""
    emu = emulator()
    available_pool(emu)
    kinds = [type(e).__name__ for e in emu.events.for_job("job-1")]
    assert kinds == ["JobCreated", "TrainingStarted", "JobReleased", "PoolKept"]
    (released,) = emu.events.of_type(JobReleased)
    assert (released.status, released.secondary_status) == ("Completed", "Completed")
