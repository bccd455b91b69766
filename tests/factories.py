"""Request builders shared by the tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from warmpool import JobPlan, Quota, WarmPoolEmulator

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
OTHER_ROLE = "arn:aws:iam::123456789012:role/OtherRole"
INSTANCE_TYPE = "ml.m5.xlarge"


def request(
    name: str,
    *,
    keep_alive: int | None = 1800,
    instance_type: str = INSTANCE_TYPE,
    instance_count: int = 1,
    role: str = ROLE,
    volume_size: int | None = 50,
    **extra: Any,
) -> dict[str, Any]:
    """A valid ``CreateTrainingJob`` request; ``extra`` members are added or replace defaults."""
    resource: dict[str, Any] = {"InstanceType": instance_type, "InstanceCount": instance_count}
    if volume_size is not None:
        resource["VolumeSizeInGB"] = volume_size
    if keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = keep_alive
    body: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": role,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": resource,
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }
    body.update(extra)
    return body


def emulator(
    *, warm_pool: int = 10, training_seconds: float | None = 600, **kwargs: Any
) -> WarmPoolEmulator:
    """An emulator whose ``INSTANCE_TYPE`` has ``warm_pool`` instances of warm pool quota and
    whose jobs train ``training_seconds`` (``None``: until a control call)."""
    kwargs.setdefault("quotas", {INSTANCE_TYPE: Quota(warm_pool=warm_pool)})
    if training_seconds is not None:
        plan = JobPlan(training_seconds=training_seconds)
        kwargs.setdefault("workload", lambda _request: plan)
    return WarmPoolEmulator(**kwargs)


def describe(emu: WarmPoolEmulator, name: str) -> dict[str, Any]:
    """``DescribeTrainingJob`` of ``name``."""
    return emu.describe_training_job(TrainingJobName=name)


def warm_pool_status(emu: WarmPoolEmulator, name: str) -> dict[str, Any] | None:
    """The job's ``WarmPoolStatus``, or ``None`` when the key is absent."""
    status: dict[str, Any] | None = describe(emu, name).get("WarmPoolStatus")
    return status


def pool_status(emu: WarmPoolEmulator, name: str) -> str | None:
    """The ``Status`` of the job's ``WarmPoolStatus``, or ``None`` when it has none."""
    status = warm_pool_status(emu, name)
    return None if status is None else str(status["Status"])


def plans_by_name(
    plans: Mapping[str, JobPlan | None], default: JobPlan | None = None
) -> Callable[[Mapping[str, Any]], JobPlan | None]:
    """A workload hook giving each job name its own plan."""

    def hook(req: Mapping[str, Any]) -> JobPlan | None:
        return plans.get(req["TrainingJobName"], default)

    return hook
