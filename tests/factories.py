"""Request builders shared by the tests."""

from __future__ import annotations

import importlib.util
import io
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from warmpool import JobPlan, Quota, WarmPoolEmulator
from warmpool.events import Event, JobDeleted, PoolKept, PoolReused, PoolTerminated
from warmpool.testing import POOL_MOVES

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


def jobs_in_every_state(emu: WarmPoolEmulator) -> dict[str, str]:
    """Drive jobs into every status and warm pool status; returns name -> TrainingJobStatus.

    For an emulator built with ``emulator(training_seconds=None, ...)``; give it
    ``Timing(stopping_seconds=...)`` above 10 for "stopped" to still be ``Stopping``."""
    emu.create_training_job(**request("starting"))  # InProgress / Starting (cold start 180 s)
    emu.create_training_job(**request("kept"))
    emu.create_training_job(**request("stopped", keep_alive=0))
    emu.create_training_job(**request("failed"))
    emu.create_training_job(**request("broken"))
    emu.create_training_job(**request("ended", keep_alive=1))
    emu.create_training_job(**request("deleted", keep_alive=0))
    emu.advance(200)
    emu.create_training_job(**request("training-cold", keep_alive=0))
    emu.complete_training_job("kept")
    emu.stop_training_job(TrainingJobName="stopped")
    emu.fail_training_job("failed", "AlgorithmError", "exit code 1")
    emu.fail_training_job("broken", "InternalServerError", "the host failed")
    emu.complete_training_job("ended")
    emu.complete_training_job("deleted")
    emu.delete_training_job(TrainingJobName="deleted")
    emu.advance(10)
    emu.create_training_job(**request("reuser"))  # takes "kept"'s pool or "failed"'s
    emu.advance(0)
    return {
        name: emu.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        for name in emu.job_names()
        if name != "deleted"
    }


def check_output(client: Any, operation: str, response: dict[str, Any]) -> None:
    """botocore's own validator, run on a response against the operation's output shape
    (required members, types, ranges and lengths, and no members the shape does not have)."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    shape = client.meta.service_model.operation_model(operation).output_shape
    if shape is None:  # StopTrainingJob answers with an empty body
        assert body == {}
        return
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()


def assert_pool_moves_legal(events: Iterable[Event]) -> None:
    """§6 / §11: following each job's warm pool through the event log, only the moves of
    :data:`warmpool.testing.POOL_MOVES` (behaviour §6.2) appear (a deleted job's name starts
    afresh)."""
    pools: dict[str, str] = {}
    for event in events:
        if isinstance(event, JobDeleted):
            pools.pop(event.job, None)
            continue
        if isinstance(event, PoolKept):
            move = (pools.get(event.job, "InUse"), "Available")
        elif isinstance(event, PoolReused):
            move = (pools.get(event.job, "?"), "Reused")
        elif isinstance(event, PoolTerminated):
            move = (pools.get(event.job, "InUse"), "Terminated")
        else:
            continue
        assert move in POOL_MOVES, (event, move)
        pools[event.job] = move[1]


class Terminal(io.StringIO):
    """A text stream that says it is a terminal (progress bars draw on it)."""

    def isatty(self) -> bool:
        return True


def run_cli(*argv: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    """``warmpool *argv`` in this process: ``(status, stdout, stderr)``."""
    from warmpool import cli

    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        try:
            status = cli.main(list(argv))
        except SystemExit as leave:
            status = int(leave.code or 0)
    finally:
        sys.stdout, sys.stderr = old
    return status, out.getvalue(), err.getvalue()


def load_example(path: Path) -> types.ModuleType:
    """A script of examples/ as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"warmpool_example_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def helios_log_with_a_cpu_only_row(directory: Path) -> Path:
    """A Helios ``cluster_log.csv`` of three jobs, the second without GPUs (a loader leaves
    it out as ``cpu only``)."""
    log = directory / "cluster_log.csv"
    log.write_text(
        "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,"
        "duration,queue\n"
        "1,u1,v,1,1,1,COMPLETED,2020-06-09 18:41:01,,,3600,0\n"
        "2,u1,v,0,4,1,COMPLETED,2020-06-09 18:42:01,,,60,0\n"
        "3,u1,v,1,1,1,COMPLETED,2020-06-09 19:45:01,,,600,0\n"
    )
    return log
