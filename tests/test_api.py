"""The boto3-shaped API beyond create validation: Describe, Update, Stop, Delete and List
(behaviour §4-§6, §9; D9, D17-D20, D22, D23).

Default timing throughout: cold start 180 s, warm start 20 s, stopping 0 s. With the factory's
600 s plan a job created at 0 trains 180..780 and is released at 780.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.factories import INSTANCE_TYPE, describe, emulator, pool_status, request
from warmpool import Limits, Quota, Timing, VirtualClock, WarmPoolEmulator, errors
from warmpool.events import PoolTerminated, TrainingStarted
from warmpool.validation import RequestValidator

UTC = timezone.utc
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NOT_FOUND = "Requested resource not found."
EMPTY_UPDATE = "Invalid UpdateTrainingJobRequest, the request cannot be empty"
PLAN_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-plan/plan-number-one"
OTHER_PLAN_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-plan/plan-number-two"


# --- local helpers ---------------------------------------------------------------------------


def at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def available_job(
    name: str = "job-a", *, keep_alive: int = 1800, **kwargs: Any
) -> WarmPoolEmulator:
    """An emulator at t=1000 whose ``name`` was released at 780 and is ``Available``."""
    emu = emulator(**kwargs)
    emu.create_training_job(**request(name, keep_alive=keep_alive))
    emu.advance(1000)
    assert pool_status(emu, name) == "Available"
    return emu


def expect(kind: type[errors.WarmPoolError], operation: str, call: Any, **kwargs: Any) -> Any:
    with pytest.raises(errors.WarmPoolError) as caught:
        call(**kwargs)
    assert type(caught.value) is kind, caught.value
    assert caught.value.code == kind.code
    assert caught.value.operation == operation
    return caught.value


def datetimes_in(value: Any) -> Iterator[datetime]:
    if isinstance(value, datetime):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from datetimes_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from datetimes_in(item)


def all_pages(emu: WarmPoolEmulator, **kwargs: Any) -> list[list[str]]:
    """Every page of ListTrainingJobs as lists of names."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        args = dict(kwargs)
        if token is not None:
            args["NextToken"] = token
        response = emu.list_training_jobs(**args)
        pages.append([s["TrainingJobName"] for s in response["TrainingJobSummaries"]])
        token = response.get("NextToken")
        if token is None:
            return pages
        assert len(pages) < 1000


def names(response: dict[str, Any]) -> list[str]:
    return [s["TrainingJobName"] for s in response["TrainingJobSummaries"]]


# =============================================================================================
# DescribeTrainingJob
# =============================================================================================


def test_describe_of_a_name_given_as_a_str_subclass_finds_the_job() -> None:
    """behaviour §9.2 / D35: a name given as a str subclass is read as its plain value at the
    door, so it names the same job as the plain str."""

    class Name(str):
        def __str__(self) -> str:
            return "something else"

    emu = emulator()
    emu.create_training_job(**request("job-a"))
    body = emu.describe_training_job(TrainingJobName=Name("job-a"))
    assert body["TrainingJobName"] == "job-a"
    assert body["TrainingJobStatus"] == "InProgress"


def test_describe_with_another_member_than_the_name_is_refused_even_if_it_names_a_job() -> None:
    """behaviour §9.2 / D15: a DescribeTrainingJob request is checked against the model: a
    request whose only member is not TrainingJobName is refused, whatever its value names."""
    emu = emulator()
    emu.create_training_job(**request("job-a"))
    with pytest.raises(errors.ValidationException) as caught:
        emu.describe_training_job(TrainingJobname="job-a")
    assert caught.value.operation == "DescribeTrainingJob"


def test_describe_unknown_job_is_validation_exception_not_found() -> None:
    """behaviour §9 / D17: Describe of an unknown name -> ValidationException 'Requested resource
    not found.'."""
    emu = emulator()
    error = expect(
        errors.ValidationException,
        "DescribeTrainingJob",
        emu.describe_training_job,
        TrainingJobName="nope",
    )
    assert error.message == NOT_FOUND
    assert error.field == "TrainingJobName"
    assert str(error) == (
        "An error occurred (ValidationException) when calling the DescribeTrainingJob "
        "operation: Requested resource not found."
    )


def test_describe_echoes_the_request_configuration() -> None:
    """behaviour §9.2 / D22: the response echoes the request's configuration."""
    emu = emulator()
    req = request(
        "echo",
        HyperParameters={"epochs": "3"},
        VpcConfig={"SecurityGroupIds": ["sg-1", "sg-2"], "Subnets": ["subnet-1"]},
        Environment={"A": "1"},
        CheckpointConfig={"S3Uri": "s3://bucket/ckpt"},
        RetryStrategy={"MaximumRetryAttempts": 2},
        EnableNetworkIsolation=True,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t"}},
            }
        ],
    )
    emu.create_training_job(**req)
    body = describe(emu, "echo")
    for member in (
        "TrainingJobName",
        "RoleArn",
        "AlgorithmSpecification",
        "OutputDataConfig",
        "ResourceConfig",
        "StoppingCondition",
        "HyperParameters",
        "VpcConfig",
        "Environment",
        "CheckpointConfig",
        "RetryStrategy",
        "EnableNetworkIsolation",
        "InputDataConfig",
    ):
        assert body[member] == req[member], member


def test_describe_does_not_echo_tags() -> None:
    """D22: Tags are not in the Describe shape and are not echoed."""
    emu = emulator()
    emu.create_training_job(**request("tagged", Tags=[{"Key": "team", "Value": "ml"}]))
    assert "Tags" not in describe(emu, "tagged")


def test_describe_shows_the_current_keep_alive_after_an_update() -> None:
    """behaviour §9.2 / D22: ResourceConfig is echoed with the current keep-alive."""
    emu = available_job()
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 3000}
    )
    resource = describe(emu, "job-a")["ResourceConfig"]
    assert resource == {
        "InstanceType": INSTANCE_TYPE,
        "InstanceCount": 1,
        "VolumeSizeInGB": 50,
        "KeepAlivePeriodInSeconds": 3000,
    }


def test_describe_adds_the_default_stopping_condition() -> None:
    """D22: StoppingCondition {'MaxRuntimeInSeconds': 86400} when the request had none."""
    emu = emulator()
    req = request("nostop")
    del req["StoppingCondition"]
    emu.create_training_job(**req)
    assert describe(emu, "nostop")["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400}


def test_describe_defaults_enable_flags_to_false_and_echoes_given_ones() -> None:
    """D22: the three Enable* flags are False when absent."""
    emu = emulator()
    emu.create_training_job(**request("flags"))
    emu.create_training_job(
        **request(
            "flags-on", keep_alive=0, EnableManagedSpotTraining=True, EnableNetworkIsolation=True
        )
    )
    body = describe(emu, "flags")
    for flag in (
        "EnableNetworkIsolation",
        "EnableInterContainerTrafficEncryption",
        "EnableManagedSpotTraining",
    ):
        assert body[flag] is False
    on = describe(emu, "flags-on")
    assert on["EnableManagedSpotTraining"] is True
    assert on["EnableNetworkIsolation"] is True
    assert on["EnableInterContainerTrafficEncryption"] is False


def test_describe_model_artifacts_path() -> None:
    """D22: ModelArtifacts at {S3OutputPath}/{name}/output/model.tar.gz."""
    emu = emulator()
    emu.create_training_job(**request("art", OutputDataConfig={"S3OutputPath": "s3://bkt/pre"}))
    assert describe(emu, "art")["ModelArtifacts"] == {
        "S3ModelArtifacts": "s3://bkt/pre/art/output/model.tar.gz"
    }


# D22's S3ModelArtifacts rule: {S3OutputPath}, then "/" unless it already ends with one, then
# {name}/output/model.tar.gz. Rows 1-2 and 4-5 match real DescribeTrainingJob responses (see D22).
S3_MODEL_ARTIFACTS_CASES = [
    ("s3://bucket/out", "s3://bucket/out/art/output/model.tar.gz"),
    ("s3://bucket/out/", "s3://bucket/out/art/output/model.tar.gz"),
    ("s3://bucket/out//", "s3://bucket/out//art/output/model.tar.gz"),
    ("s3://bucket", "s3://bucket/art/output/model.tar.gz"),
    ("s3://bucket/", "s3://bucket/art/output/model.tar.gz"),
    ("s3://bucket/a//b", "s3://bucket/a//b/art/output/model.tar.gz"),
]


@pytest.mark.parametrize(("s3_output_path", "artifacts"), S3_MODEL_ARTIFACTS_CASES)
def test_s3_model_artifacts_adds_a_slash_only_when_s3_output_path_lacks_one(
    s3_output_path: str, artifacts: str
) -> None:
    """D22: S3ModelArtifacts is S3OutputPath, a "/" unless it already ends with one, then
    {name}/output/model.tar.gz; no other slash is added, removed or merged."""
    emu = emulator()
    emu.create_training_job(**request("art", OutputDataConfig={"S3OutputPath": s3_output_path}))
    assert describe(emu, "art")["ModelArtifacts"] == {"S3ModelArtifacts": artifacts}


@pytest.mark.parametrize(
    "s3_output_path", ["s3://bucket", "s3://bucket/", "s3://bucket/out//", "s3://bucket/a//b/"]
)
def test_describe_echoes_s3_output_path_with_its_slashes(s3_output_path: str) -> None:
    """D22: OutputDataConfig.S3OutputPath comes back exactly as given, trailing slashes kept
    (a real response echoes 's3://sagemaker-us-east-2-454124392436/')."""
    emu = emulator()
    emu.create_training_job(**request("echo", OutputDataConfig={"S3OutputPath": s3_output_path}))
    assert describe(emu, "echo")["OutputDataConfig"] == {"S3OutputPath": s3_output_path}


def test_training_job_arn_has_the_default_region_and_account() -> None:
    """behaviour §9.2 / D22: arn:aws:sagemaker:{region}:{account}:training-job/{name}."""
    emu = emulator()
    arn = emu.create_training_job(**request("Arn-Job"))["TrainingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:training-job/Arn-Job"
    assert describe(emu, "Arn-Job")["TrainingJobArn"] == arn
    assert emu.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobArn"] == arn


def test_training_job_arn_uses_the_configured_region_and_account() -> None:
    """behaviour §9: region and account are configurable."""
    emu = emulator(region="eu-west-1", account="210987654321")
    arn = emu.create_training_job(**request("j"))["TrainingJobArn"]
    assert arn == "arn:aws:sagemaker:eu-west-1:210987654321:training-job/j"
    assert describe(emu, "j")["TrainingJobArn"] == arn
    assert (
        emu.update_training_job(
            TrainingJobName="j", ProfilerConfig={"ProfilingIntervalInMilliseconds": 100}
        )["TrainingJobArn"]
        == arn
    )


def test_response_metadata_request_ids_count_up_deterministically() -> None:
    """D23: RequestId counts up from 00000000-0000-0000-0000-000000000001."""
    ids = []
    for _ in range(2):
        emu = emulator()
        first = emu.create_training_job(**request("j"))["ResponseMetadata"]
        second = describe(emu, "j")["ResponseMetadata"]
        third = emu.list_training_jobs()["ResponseMetadata"]
        assert first["RequestId"] == "00000000-0000-0000-0000-000000000001"
        assert second["RequestId"] == "00000000-0000-0000-0000-000000000002"
        assert third["RequestId"] == "00000000-0000-0000-0000-000000000003"
        assert first["HTTPStatusCode"] == 200
        assert first["HTTPHeaders"]["x-amzn-requestid"] == first["RequestId"]
        assert first["RetryAttempts"] == 0
        ids.append((first, second, third))
    assert ids[0] == ids[1]


def test_response_timestamps_are_aware_utc_at_epoch_plus_now() -> None:
    """behaviour §4: timestamps are timezone-aware UTC datetimes (epoch + now)."""
    emu = emulator()
    emu.create_training_job(**request("ts"))
    emu.advance(1000)
    body = describe(emu, "ts")
    stamps = list(datetimes_in(body))
    assert len(stamps) >= 4 + 2 * 3  # four job times, StartTime/EndTime of transitions
    for stamp in stamps:
        assert stamp.tzinfo is not None
        assert stamp.utcoffset() == timedelta(0)
    assert body["CreationTime"] == at(0)
    assert body["TrainingStartTime"] == at(180)
    assert body["TrainingEndTime"] == at(780)
    assert body["LastModifiedTime"] == at(780)
    summary = emu.list_training_jobs()["TrainingJobSummaries"][0]
    for stamp in datetimes_in(summary):
        assert stamp.utcoffset() == timedelta(0)


def test_response_timestamps_are_utc_even_with_a_non_utc_epoch() -> None:
    """behaviour §4: the epoch is configurable; responses stay UTC datetimes."""
    epoch = datetime(2030, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    emu = emulator(clock=VirtualClock(epoch))
    emu.advance(30)
    emu.create_training_job(**request("tz"))
    created = describe(emu, "tz")["CreationTime"]
    assert created.utcoffset() == timedelta(0)
    assert created == epoch + timedelta(seconds=30)
    assert created.hour == 10


def test_failure_reason_starts_with_the_failure_class() -> None:
    """behaviour §5.6 / D10: FailureReason is '{class}: {message}'."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("f1"))
    emu.create_training_job(**request("f2"))
    emu.advance(200)
    emu.fail_training_job("f1", "ClientError", "bad input data")
    emu.fail_training_job("f2")
    assert describe(emu, "f1")["FailureReason"] == "ClientError: bad input data"
    assert describe(emu, "f1")["TrainingJobStatus"] == "Failed"
    assert describe(emu, "f2")["FailureReason"] == "AlgorithmError: The training job failed."


def test_failure_reason_is_absent_on_jobs_that_did_not_fail() -> None:
    """behaviour §5.6: only failures carry FailureReason."""
    emu = emulator()
    emu.create_training_job(**request("ok"))
    emu.advance(1000)
    assert "FailureReason" not in describe(emu, "ok")


def test_training_and_billable_time_are_ceil_of_end_minus_start() -> None:
    """behaviour §4 / §5.5: TrainingTimeInSeconds = BillableTimeInSeconds = ceil(end - start)."""
    emu = emulator(training_seconds=600.4)
    emu.create_training_job(**request("t"))
    emu.advance(1000)
    body = describe(emu, "t")
    assert body["TrainingTimeInSeconds"] == 601
    assert body["BillableTimeInSeconds"] == 601


def test_training_time_is_at_least_one_second() -> None:
    """D6: the times are at least 1 even for a job that trained 0 seconds."""
    emu = emulator(training_seconds=0)
    emu.create_training_job(**request("t0"))
    emu.advance(200)
    body = describe(emu, "t0")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["TrainingTimeInSeconds"] == 1
    assert body["BillableTimeInSeconds"] == 1


def test_training_times_absent_when_training_never_started() -> None:
    """behaviour §5.5: the times are present only if training started."""
    emu = emulator()
    emu.create_training_job(**request("stopped-early"))
    emu.create_training_job(**request("failed-early"))
    emu.advance(100)
    emu.stop_training_job(TrainingJobName="stopped-early")
    emu.fail_training_job("failed-early", "InternalServerError", "capacity")
    emu.advance(1000)
    for name in ("stopped-early", "failed-early"):
        body = describe(emu, name)
        assert "TrainingStartTime" not in body
        assert "TrainingTimeInSeconds" not in body
        assert "BillableTimeInSeconds" not in body
        assert body["TrainingEndTime"] == at(100)


def test_secondary_status_transitions_follow_the_job_history() -> None:
    """D22: SecondaryStatusTransitions are derived from the job's history."""
    emu = emulator()
    emu.create_training_job(**request("hist"))
    emu.advance(1000)
    transitions = describe(emu, "hist")["SecondaryStatusTransitions"]
    assert [(t["Status"], t["StartTime"], t.get("EndTime")) for t in transitions] == [
        ("Starting", at(0), at(180)),
        ("Training", at(180), at(780)),
        ("Completed", at(780), at(780)),
    ]


def test_last_modified_time_moves_with_status_and_warm_pool_status() -> None:
    """D22: LastModifiedTime moves when status, secondary status or warm pool status change."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("lm", keep_alive=300))
    assert describe(emu, "lm")["LastModifiedTime"] == at(0)
    emu.advance(200)
    assert describe(emu, "lm")["LastModifiedTime"] == at(180)  # Starting -> Training
    emu.advance(600)
    assert describe(emu, "lm")["LastModifiedTime"] == at(780)  # Completed, Available
    emu.advance(500)
    assert describe(emu, "lm")["LastModifiedTime"] == at(1080)  # Expired -> Terminated


def test_zero_cold_start_is_training_when_create_returns() -> None:
    """behaviour §4: a call fires every event due at now before it returns."""
    emu = emulator(timing=Timing(cold_start_seconds=0))
    emu.create_training_job(**request("fast"))
    body = describe(emu, "fast")
    assert body["SecondaryStatus"] == "Training"
    assert body["TrainingStartTime"] == at(0)


def test_transitions_of_a_stopped_job_include_stopping() -> None:
    """D9 / D22: Starting, Training, Stopping, Stopped with their times."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("st"))
    emu.advance(400)
    emu.stop_training_job(TrainingJobName="st")
    emu.advance(100)
    transitions = describe(emu, "st")["SecondaryStatusTransitions"]
    assert [(t["Status"], t["StartTime"], t.get("EndTime")) for t in transitions] == [
        ("Starting", at(0), at(180)),
        ("Training", at(180), at(400)),
        ("Stopping", at(400), at(430)),
        ("Stopped", at(430), at(430)),
    ]


def test_caller_mutations_after_create_or_describe_do_not_change_the_job() -> None:
    """behaviour §9: the emulator keeps its own copy of the request; responses are copies."""
    emu = emulator()
    req = request("iso", HyperParameters={"lr": "0.1"}, Tags=[{"Key": "k", "Value": "v"}])
    emu.create_training_job(**req)
    expected = describe(emu, "iso")
    expected.pop("ResponseMetadata")
    req["HyperParameters"]["lr"] = "9"
    req["ResourceConfig"]["InstanceCount"] = 7
    req["ResourceConfig"]["KeepAlivePeriodInSeconds"] = 5
    first = describe(emu, "iso")
    first["ResourceConfig"]["InstanceType"] = "ml.p3.2xlarge"
    first["HyperParameters"].clear()
    first["SecondaryStatusTransitions"].clear()
    again = describe(emu, "iso")
    again.pop("ResponseMetadata")
    assert again == expected
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1


def _responses_of_every_kind() -> list[tuple[str, dict[str, Any]]]:
    emu = scenario()
    out: list[tuple[str, dict[str, Any]]] = []
    groups = [
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
        {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "InstanceGroupName": "g2"},
    ]
    plan = {
        "InstanceType": INSTANCE_TYPE,
        "InstanceCount": 1,
        "TrainingPlanArn": PLAN_ARN,
    }
    for req in (
        request("hetero", ResourceConfig={"InstanceGroups": groups}),
        request("planned", ResourceConfig=plan, Tags=[{"Key": "a", "Value": "b"}]),
    ):
        out.append(("CreateTrainingJob", emu.create_training_job(**req)))
    out.append(
        (
            "UpdateTrainingJob",
            emu.update_training_job(
                TrainingJobName="charlie-three", ResourceConfig={"KeepAlivePeriodInSeconds": 900}
            ),
        )
    )
    out.append(("StopTrainingJob", emu.stop_training_job(TrainingJobName="delta-four")))
    out.append(("DeleteTrainingJob", emu.delete_training_job(TrainingJobName="bravo-two")))
    for name in emu.job_names():
        out.append(("DescribeTrainingJob", describe(emu, name)))
    out.append(("ListTrainingJobs", emu.list_training_jobs(MaxResults=3)))
    out.append(("ListTrainingJobs", emu.list_training_jobs(MaxResults=100)))
    emu.advance(100_000)
    for name in emu.job_names():
        out.append(("DescribeTrainingJob", describe(emu, name)))
    return out


def test_every_response_conforms_to_the_botocore_output_shape() -> None:
    """behaviour §9: responses are plain dicts shaped like botocore's (checked against the
    model)."""
    checker = RequestValidator()
    responses = _responses_of_every_kind()
    assert {op for op, _ in responses} == {
        "CreateTrainingJob",
        "UpdateTrainingJob",
        "StopTrainingJob",
        "DeleteTrainingJob",
        "DescribeTrainingJob",
        "ListTrainingJobs",
    }
    for operation, response in responses:
        assert checker.check_output(operation, response) == [], (operation, response)
        assert "ResponseMetadata" in response


# =============================================================================================
# UpdateTrainingJob
# =============================================================================================


def test_update_keep_alive_of_a_job_without_a_warm_pool_says_it_has_none() -> None:
    """D18: a job that asked for no keep-alive has no warm pool to update; the refusal says
    so, naming the field and the rule."""
    emu = emulator()
    emu.create_training_job(**request("plain", keep_alive=None))
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="plain",
        ResourceConfig={"KeepAlivePeriodInSeconds": 60},
    )
    assert error.message == (
        "ResourceConfig.KeepAlivePeriodInSeconds can be updated only while the training job's "
        "warm pool status is Available; the warm pool of 'plain' is absent (the job has no "
        "warm pool)."
    )


@pytest.mark.parametrize("field", ["ProfilerConfig", "ProfilerRuleConfigurations"])
def test_profiler_update_after_the_job_ended_is_refused_naming_the_field(field: str) -> None:
    """D18: ProfilerConfig and ProfilerRuleConfigurations can each be updated only while the
    job is InProgress; either one alone is refused once it ended, naming that field."""
    emu = available_job()
    value: Any = (
        {"ProfilingIntervalInMilliseconds": 1000}
        if field == "ProfilerConfig"
        else [{"RuleConfigurationName": "R", "RuleEvaluatorImage": "image"}]
    )
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
        **{field: value},
    )
    assert error.field == field
    assert error.message == (
        f"{field} can be updated only while the training job is InProgress; 'job-a' is Completed."
    )


def test_update_keep_alive_while_in_use_is_refused_naming_the_status() -> None:
    """D18: keep-alive can be updated only while the pool is Available."""
    emu = emulator()
    emu.create_training_job(**request("busy"))
    emu.advance(300)
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="busy",
        ResourceConfig={"KeepAlivePeriodInSeconds": 60},
    )
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert "ResourceConfig.KeepAlivePeriodInSeconds" in error.message
    assert "InUse" in error.message
    assert describe(emu, "busy")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800


@pytest.mark.parametrize("status", ["Reused", "Terminated"])
def test_update_keep_alive_after_the_pool_left_is_refused_naming_the_status(status: str) -> None:
    """D18: Reused and Terminated pools cannot be updated."""
    emu = available_job()
    if status == "Reused":
        emu.create_training_job(**request("job-b"))
    else:
        emu.apply_patch_update()
    assert pool_status(emu, "job-a") == status
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
        ResourceConfig={"KeepAlivePeriodInSeconds": 60},
    )
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert status in error.message


def test_update_keep_alive_of_a_job_without_a_pool_is_refused() -> None:
    """D18: a job with no warm pool has nothing to update."""
    emu = emulator()
    emu.create_training_job(**request("nopool", keep_alive=None))
    emu.advance(1000)
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="nopool",
        ResourceConfig={"KeepAlivePeriodInSeconds": 60},
    )
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert "WarmPoolStatus" not in describe(emu, "nopool")


def test_updated_keep_alive_counts_from_release_not_from_the_update() -> None:
    """D18: the new expiry is release + n (here 780 + 1500 = 2280), not update time + n."""
    emu = available_job()
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 1500}
    )
    emu.run_until(2279)
    assert pool_status(emu, "job-a") == "Available"
    emu.run_until(2280)
    warm_pool = describe(emu, "job-a")["WarmPoolStatus"]
    assert warm_pool == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 1500}
    assert emu.events.of_type(PoolTerminated)[-1] == PoolTerminated(
        2280, "job-a", 1, "Expired", 1500
    )


def test_update_can_extend_a_pool_beyond_its_first_expiry() -> None:
    """D18: a longer keep-alive moves the expiry later (780 + 3600)."""
    emu = available_job(keep_alive=300)  # would expire at 1080
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 3600}
    )
    emu.run_until(4379)
    assert pool_status(emu, "job-a") == "Available"
    emu.run_until(4380)
    assert pool_status(emu, "job-a") == "Terminated"


def test_update_keep_alive_0_terminates_now_with_reason_released() -> None:
    """behaviour §6 / D18: 0 terminates the pool at once with reason Released."""
    emu = available_job()
    emu.update_training_job(TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert describe(emu, "job-a")["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 220,
    }
    assert emu.events.of_type(PoolTerminated)[-1] == PoolTerminated(
        1000, "job-a", 1, "Released", 220
    )
    assert emu.quotas.retained(INSTANCE_TYPE) == 0


@pytest.mark.parametrize("keep_alive", [100, 220])
def test_update_to_an_expiry_not_in_the_future_terminates_now(keep_alive: int) -> None:
    """behaviour §9.3 / D18: an expiry at or before now ends the pool now (reason Released)."""
    emu = available_job()  # released at 780, now 1000
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": keep_alive}
    )
    assert pool_status(emu, "job-a") == "Terminated"
    terminated = emu.events.of_type(PoolTerminated)[-1]
    assert (terminated.time, terminated.reason, terminated.billable_seconds) == (
        1000,
        "Released",
        220,
    )


def test_update_expiry_is_capped_by_the_chain_lifetime() -> None:
    """behaviour §9 / D13: new expiry = min(release + n, launch + cap); reason LifetimeCap."""
    limits = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=2000)
    emu = available_job(keep_alive=600, limits=limits)  # launched 180, cap at 2180
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 3600}
    )
    emu.run_until(2179)
    assert pool_status(emu, "job-a") == "Available"
    emu.run_until(2180)
    assert emu.events.of_type(PoolTerminated)[-1] == PoolTerminated(
        2180, "job-a", 1, "LifetimeCap", 1400
    )


def test_update_keep_alive_above_the_maximum_is_refused() -> None:
    """behaviour §2 / D16: the keep-alive maximum of Limits applies to UpdateTrainingJob too."""
    emu = available_job()
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
        ResourceConfig={"KeepAlivePeriodInSeconds": 3601},
    )
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert "less than or equal to 3600" in error.message
    assert pool_status(emu, "job-a") == "Available"


def test_update_keep_alive_moves_last_modified_time() -> None:
    """D22: LastModifiedTime moves when the keep-alive is updated."""
    emu = available_job()
    emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 2000}
    )
    assert describe(emu, "job-a")["LastModifiedTime"] == at(1000)


@pytest.mark.parametrize(
    ("resource", "field", "rule"),
    [
        (
            {},
            "ResourceConfig.KeepAlivePeriodInSeconds",
            "Value null at 'resourceConfig.keepAlivePeriodInSeconds' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            {"KeepAlivePeriodInSeconds": 60, "InstanceCount": 2},
            "ResourceConfig.InstanceCount",
            "Unknown parameter 'InstanceCount' at 'ResourceConfig'",
        ),
        (
            {"KeepAlivePeriodInSeconds": -1},
            "ResourceConfig.KeepAlivePeriodInSeconds",
            "Value '-1' at 'resourceConfig.keepAlivePeriodInSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0",
        ),
    ],
    ids=["missing-keep-alive", "other-resource-member", "negative"],
)
def test_update_resource_config_takes_only_a_valid_keep_alive(
    resource: dict[str, Any], field: str, rule: str
) -> None:
    """behaviour §9.3 / botocore's model: ResourceConfigForUpdate has one required member,
    KeepAlivePeriodInSeconds."""
    emu = available_job()
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
        ResourceConfig=resource,
    )
    assert error.field == field
    assert rule in error.message
    assert describe(emu, "job-a")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800


def test_empty_update_is_refused_with_awss_text() -> None:
    """behaviour §9.3 / D18: an update with only the name is refused."""
    emu = available_job()
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
    )
    assert error.message == EMPTY_UPDATE
    assert error.field == "TrainingJobName"


def test_update_of_unknown_job_is_not_found() -> None:
    """D17: UpdateTrainingJob of an unknown name -> ValidationException not found."""
    emu = emulator()
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="ghost",
        ResourceConfig={"KeepAlivePeriodInSeconds": 0},
    )
    assert error.message == NOT_FOUND
    assert error.field == "TrainingJobName"


def test_update_response_carries_the_arn() -> None:
    """behaviour §9.3 / botocore's model: UpdateTrainingJob returns TrainingJobArn."""
    emu = available_job()
    response = emu.update_training_job(
        TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 900}
    )
    assert (
        response["TrainingJobArn"] == "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-a"
    )


def test_profiler_update_while_in_progress_shows_in_describe() -> None:
    """D18: ProfilerConfig / ProfilerRuleConfigurations can be updated while InProgress."""
    emu = emulator()
    emu.create_training_job(**request("prof", ProfilerConfig={"S3OutputPath": "s3://bucket/p"}))
    emu.advance(10)  # Starting is InProgress too
    rule = {
        "RuleConfigurationName": "ProfilerReport",
        "RuleEvaluatorImage": "503895931360.dkr.ecr.us-east-1.amazonaws.com/profiler",
    }
    emu.update_training_job(
        TrainingJobName="prof",
        ProfilerConfig={"ProfilingIntervalInMilliseconds": 1000},
        ProfilerRuleConfigurations=[rule],
    )
    body = describe(emu, "prof")
    assert body["ProfilerConfig"]["ProfilingIntervalInMilliseconds"] == 1000
    assert rule in body["ProfilerRuleConfigurations"]


def test_profiler_updates_add_up_on_the_created_configuration() -> None:
    """D18: each ProfilerConfig update is merged into the configuration as it stands (the
    created one, then every earlier update), and each ProfilerRuleConfigurations update adds
    its rules after the ones already there."""
    first = {"RuleConfigurationName": "First", "RuleEvaluatorImage": "image-1"}
    second = {"RuleConfigurationName": "Second", "RuleEvaluatorImage": "image-2"}
    third = {"RuleConfigurationName": "Third", "RuleEvaluatorImage": "image-3"}
    emu = emulator()
    emu.create_training_job(
        **request(
            "prof",
            ProfilerConfig={"S3OutputPath": "s3://bucket/p"},
            ProfilerRuleConfigurations=[first],
        )
    )
    emu.update_training_job(
        TrainingJobName="prof",
        ProfilerConfig={"ProfilingIntervalInMilliseconds": 1000},
        ProfilerRuleConfigurations=[second],
    )
    emu.update_training_job(
        TrainingJobName="prof",
        ProfilerConfig={"DisableProfiler": False},
        ProfilerRuleConfigurations=[third],
    )
    body = describe(emu, "prof")
    assert body["ProfilerConfig"] == {
        "S3OutputPath": "s3://bucket/p",
        "ProfilingIntervalInMilliseconds": 1000,
        "DisableProfiler": False,
    }
    assert [r["RuleConfigurationName"] for r in body["ProfilerRuleConfigurations"]] == [
        "First",
        "Second",
        "Third",
    ]


def test_update_refused_for_one_member_applies_none_of_the_others() -> None:
    """behaviour §9: bad input never changes state (an update is all or nothing)."""
    emu = available_job()
    before = describe(emu, "job-a")
    before.pop("ResponseMetadata")
    events = list(emu.events)
    expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="job-a",
        ResourceConfig={"KeepAlivePeriodInSeconds": 0},
        ProfilerConfig={"ProfilingIntervalInMilliseconds": 1000},  # job is Completed
    )
    after = describe(emu, "job-a")
    after.pop("ResponseMetadata")
    assert after == before
    assert list(emu.events) == events
    assert pool_status(emu, "job-a") == "Available"


def test_profiler_update_of_a_completed_job_is_refused() -> None:
    """D18: profiler updates only while the job is InProgress."""
    emu = emulator()
    emu.create_training_job(**request("prof"))
    emu.advance(1000)
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="prof",
        ProfilerConfig={"ProfilingIntervalInMilliseconds": 1000},
    )
    assert error.field == "ProfilerConfig"
    assert "Completed" in error.message
    assert "ProfilerConfig" not in describe(emu, "prof")


def test_remote_debug_update_only_while_training() -> None:
    """D18: RemoteDebugConfig can be updated while the job is Training."""
    emu = emulator()
    emu.create_training_job(**request("dbg"))
    emu.advance(10)
    error = expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="dbg",
        RemoteDebugConfig={"EnableRemoteDebug": True},
    )
    assert error.field == "RemoteDebugConfig"
    assert error.message == (
        "RemoteDebugConfig can be updated only while the training job's SecondaryStatus is "
        "Downloading or Training; 'dbg' is Starting."
    )
    emu.advance(200)  # Training now
    emu.update_training_job(TrainingJobName="dbg", RemoteDebugConfig={"EnableRemoteDebug": True})
    assert describe(emu, "dbg")["RemoteDebugConfig"] == {"EnableRemoteDebug": True}
    emu.advance(1000)  # Completed
    expect(
        errors.ValidationException,
        "UpdateTrainingJob",
        emu.update_training_job,
        TrainingJobName="dbg",
        RemoteDebugConfig={"EnableRemoteDebug": False},
    )
    assert describe(emu, "dbg")["RemoteDebugConfig"] == {"EnableRemoteDebug": True}


# =============================================================================================
# StopTrainingJob
# =============================================================================================


def test_stop_while_training_with_no_stopping_time_is_stopped_on_return() -> None:
    """behaviour §4 / §5.4 / D9: with stopping_seconds=0 the job is Stopped when stop returns."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("s"))
    emu.advance(500)
    response = emu.stop_training_job(TrainingJobName="s")
    assert set(response) == {"ResponseMetadata"}
    body = describe(emu, "s")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert body["TrainingEndTime"] == at(500)
    assert body["TrainingTimeInSeconds"] == 320
    assert body["WarmPoolStatus"] == {"Status": "Available"}  # stopped after launch: kept


@pytest.mark.parametrize("status", ["Completed", "Stopped", "Failed"])
def test_stop_of_a_terminal_job_is_rejected_with_its_status(status: str) -> None:
    """behaviour §9.4 / D9: 'The request was rejected because the training job is in status
    {status}.'"""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(200)
    if status == "Completed":
        emu.complete_training_job("j")
    elif status == "Stopped":
        emu.stop_training_job(TrainingJobName="j")
    else:
        emu.fail_training_job("j")
    error = expect(
        errors.ValidationException,
        "StopTrainingJob",
        emu.stop_training_job,
        TrainingJobName="j",
    )
    assert (
        error.message == f"The request was rejected because the training job is in status {status}."
    )


def test_stop_at_the_instant_training_ends_sees_the_job_completed() -> None:
    """behaviour §4: a call at t sees every event due at t already fired."""
    emu = emulator()
    emu.create_training_job(**request("j"))
    emu.advance(780)
    error = expect(
        errors.ValidationException, "StopTrainingJob", emu.stop_training_job, TrainingJobName="j"
    )
    assert error.message.endswith("in status Completed.")


def test_stop_of_a_stopping_job_is_rejected() -> None:
    """behaviour §9.4 / D9: a Stopping job cannot be stopped again."""
    emu = emulator(timing=Timing(stopping_seconds=60))
    emu.create_training_job(**request("j"))
    emu.advance(300)
    emu.stop_training_job(TrainingJobName="j")
    error = expect(
        errors.ValidationException,
        "StopTrainingJob",
        emu.stop_training_job,
        TrainingJobName="j",
    )
    assert (
        error.message == "The request was rejected because the training job is in status Stopping."
    )
    assert error.field == "TrainingJobName"


def test_stop_of_unknown_job_is_not_found() -> None:
    """behaviour §9.4 / D17: StopTrainingJob of an unknown name -> ValidationException not found."""
    emu = emulator()
    error = expect(
        errors.ValidationException, "StopTrainingJob", emu.stop_training_job, TrainingJobName="x"
    )
    assert error.message == NOT_FOUND


def test_stop_before_launch_cancels_the_launch_and_keeps_no_pool() -> None:
    """behaviour §5.4 / D9: a stop before the cluster launched cancels the launch."""
    emu = emulator()
    emu.create_training_job(**request("early"))
    emu.advance(60)
    emu.stop_training_job(TrainingJobName="early")
    body = describe(emu, "early")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    assert emu.quotas.in_training(INSTANCE_TYPE) == 0
    emu.advance(2000)
    assert emu.events.of_type(TrainingStarted) == []
    assert describe(emu, "early")["TrainingJobStatus"] == "Stopped"


def test_stop_before_launch_with_a_stopping_phase_still_cancels_the_launch() -> None:
    """behaviour §5.4 / D9: Stopping spans the launch time, yet the cluster is never launched."""
    emu = emulator(timing=Timing(stopping_seconds=60))
    emu.create_training_job(**request("early"))
    emu.advance(170)
    emu.stop_training_job(TrainingJobName="early")
    emu.advance(20)  # past the launch time (180), still Stopping
    assert describe(emu, "early")["TrainingJobStatus"] == "Stopping"
    emu.advance(100)
    body = describe(emu, "early")
    assert body["TrainingJobStatus"] == "Stopped"
    assert body["TrainingEndTime"] == at(230)
    assert "TrainingStartTime" not in body
    assert body["WarmPoolStatus"]["Status"] == "Terminated"
    assert emu.events.of_type(TrainingStarted) == []
    assert emu.quotas.in_training(INSTANCE_TYPE) == 0


def test_stop_of_a_warm_job_before_training_starts_keeps_the_pool() -> None:
    """D9: a job that took over a pool has a cluster, so a stop before training can keep it."""
    emu = available_job()
    emu.create_training_job(**request("job-b"))
    emu.advance(5)  # warm start is at +20
    emu.stop_training_job(TrainingJobName="job-b")
    body = describe(emu, "job-b")
    assert body["TrainingJobStatus"] == "Stopped"
    assert "TrainingStartTime" not in body
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_stopping_phase_lasts_stopping_seconds_and_holds_the_training_quota() -> None:
    """behaviour §5.4 / §7 / D9: Stopping for stopping_seconds, counted in_training, then
    Stopped."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("slow"))
    emu.advance(400)
    emu.stop_training_job(TrainingJobName="slow")
    body = describe(emu, "slow")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopping", "Stopping")
    assert body["WarmPoolStatus"] == {"Status": "InUse"}
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1
    emu.advance(29)
    assert describe(emu, "slow")["TrainingJobStatus"] == "Stopping"
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1
    emu.advance(1)
    body = describe(emu, "slow")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert body["TrainingEndTime"] == at(430)
    assert body["WarmPoolStatus"] == {"Status": "Available"}
    assert emu.quotas.in_training(INSTANCE_TYPE) == 0
    assert emu.quotas.retained(INSTANCE_TYPE) == 1


# =============================================================================================
# DeleteTrainingJob
# =============================================================================================


def test_delete_of_an_in_progress_job_is_resource_in_use() -> None:
    """D19: only terminal jobs can be deleted."""
    emu = emulator()
    emu.create_training_job(**request("running"))
    error = expect(
        errors.ResourceInUse,
        "DeleteTrainingJob",
        emu.delete_training_job,
        TrainingJobName="running",
    )
    assert error.message == (
        "Training job 'running' is InProgress: only jobs in a terminal state "
        "(Completed, Failed or Stopped) can be deleted."
    )
    assert describe(emu, "running")["TrainingJobStatus"] == "InProgress"


def test_delete_of_a_stopping_job_is_resource_in_use() -> None:
    """D19: a Stopping job is not terminal."""
    emu = emulator(timing=Timing(stopping_seconds=60))
    emu.create_training_job(**request("stopping"))
    emu.advance(300)
    emu.stop_training_job(TrainingJobName="stopping")
    error = expect(
        errors.ResourceInUse,
        "DeleteTrainingJob",
        emu.delete_training_job,
        TrainingJobName="stopping",
    )
    assert "Stopping" in error.message


def test_delete_of_a_job_holding_an_available_pool_is_resource_in_use() -> None:
    """D19: a terminal job with an Available pool cannot be deleted."""
    emu = available_job()
    error = expect(
        errors.ResourceInUse, "DeleteTrainingJob", emu.delete_training_job, TrainingJobName="job-a"
    )
    assert error.message == (
        "Training job 'job-a' retains an Available warm pool: release it first with "
        "UpdateTrainingJob(ResourceConfig={'KeepAlivePeriodInSeconds': 0})."
    )
    assert pool_status(emu, "job-a") == "Available"


def test_delete_of_unknown_job_is_resource_not_found() -> None:
    """D17 / D19: DeleteTrainingJob of an unknown name -> ResourceNotFound."""
    emu = emulator()
    error = expect(
        errors.ResourceNotFound, "DeleteTrainingJob", emu.delete_training_job, TrainingJobName="x"
    )
    assert error.message == NOT_FOUND


def test_deleted_job_is_gone_its_name_free_and_its_billing_kept() -> None:
    """D19: afterwards describe says not found, list omits it, billing records stay."""
    emu = available_job()
    emu.update_training_job(TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    response = emu.delete_training_job(TrainingJobName="job-a")
    assert set(response) == {"ResponseMetadata"}
    error = expect(
        errors.ValidationException,
        "DescribeTrainingJob",
        emu.describe_training_job,
        TrainingJobName="job-a",
    )
    assert error.message == NOT_FOUND
    assert names(emu.list_training_jobs()) == []
    assert names(emu.list_training_jobs(StatusEquals="Deleting")) == []
    assert [r.job for r in emu.billing.retained] == ["job-a"]
    assert [r.job for r in emu.billing.training] == ["job-a"]
    assert emu.billing.totals_by("job")["job-a"].retained_seconds == 220
    emu.create_training_job(**request("job-a"))
    assert describe(emu, "job-a")["CreationTime"] == at(1000)


@pytest.mark.parametrize("pool", ["Reused", "Terminated"])
def test_delete_of_a_terminal_job_whose_pool_left_is_allowed(pool: str) -> None:
    """D19: Completed jobs whose pool is Reused or Terminated can be deleted."""
    emu = available_job()
    if pool == "Reused":
        emu.create_training_job(**request("job-b"))
    else:
        emu.apply_patch_update()
    emu.delete_training_job(TrainingJobName="job-a")
    assert emu.job_names() == (["job-b"] if pool == "Reused" else [])


def test_reused_by_job_still_names_a_deleted_job() -> None:
    """D19: other jobs' ReusedByJob still names the deleted job."""
    emu = available_job()
    emu.create_training_job(**request("job-b", keep_alive=None))
    emu.advance(1000)  # job-b trained 1020..1620 and released (no keep-alive)
    assert pool_status(emu, "job-b") == "Terminated"
    emu.delete_training_job(TrainingJobName="job-b")
    assert describe(emu, "job-a")["WarmPoolStatus"] == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 220,
        "ReusedByJob": "job-b",
    }


# =============================================================================================
# ListTrainingJobs
# =============================================================================================

# The list scenario: name -> (created at, final status, warm pool status or None)
SCENARIO: dict[str, tuple[int, str, str | None]] = {
    "alpha-one": (0, "Completed", "Reused"),
    "bravo-two": (10, "Failed", None),
    "charlie-three": (20, "Stopped", "Available"),
    "delta-four": (20, "InProgress", None),
    "echo-five": (210, "InProgress", "InUse"),
    "foxtrot-six": (210, "Completed", "Terminated"),
}


def scenario() -> WarmPoolEmulator:
    """Jobs in every status; times are those of SCENARIO. Ends at t=400."""
    emu = emulator(training_seconds=None, quotas={INSTANCE_TYPE: Quota(warm_pool=10)})
    emu.create_training_job(**request("alpha-one", keep_alive=600))
    emu.advance(10)
    emu.create_training_job(**request("bravo-two", keep_alive=None))
    emu.advance(10)
    emu.create_training_job(**request("delta-four", keep_alive=None, volume_size=70))
    emu.create_training_job(
        **request("charlie-three", keep_alive=600, volume_size=60, instance_count=2)
    )
    emu.advance(180)  # t=200: everyone is Training
    emu.complete_training_job("alpha-one")
    emu.fail_training_job("bravo-two")
    emu.stop_training_job(TrainingJobName="charlie-three")
    emu.advance(10)  # t=210
    emu.create_training_job(**request("foxtrot-six", keep_alive=300, volume_size=80))
    emu.create_training_job(**request("echo-five", keep_alive=600))  # reuses alpha-one
    emu.advance(190)  # t=400: foxtrot trains from 390
    emu.complete_training_job("foxtrot-six")
    emu.update_training_job(
        TrainingJobName="foxtrot-six", ResourceConfig={"KeepAlivePeriodInSeconds": 0}
    )
    for name, (created, status, pool) in SCENARIO.items():
        body = describe(emu, name)
        assert body["CreationTime"] == at(created), name
        assert body["TrainingJobStatus"] == status, name
        assert body.get("WarmPoolStatus", {}).get("Status") == pool, name
    return emu


def sorted_names(key: str, descending: bool = False) -> list[str]:
    """The expected order, computed from SCENARIO (ties by name)."""
    index = {"Name": None, "CreationTime": 0, "Status": 1}[key]

    def sort_key(name: str) -> tuple[Any, ...]:
        return (name,) if index is None else (SCENARIO[name][index], name)

    return sorted(SCENARIO, key=sort_key, reverse=descending)


def test_list_defaults_to_creation_time_ascending_with_ties_by_name() -> None:
    """behaviour §9.6 / D20: SortBy CreationTime, SortOrder Ascending; ties sort by name."""
    emu = scenario()
    assert names(emu.list_training_jobs()) == [
        "alpha-one",
        "bravo-two",
        "charlie-three",
        "delta-four",
        "echo-five",
        "foxtrot-six",
    ]


@pytest.mark.parametrize("sort_by", ["Name", "CreationTime", "Status"])
@pytest.mark.parametrize("sort_order", ["Ascending", "Descending"])
def test_list_sorts_by_each_key_in_each_order(sort_by: str, sort_order: str) -> None:
    """D20: SortBy Name|CreationTime|Status; ties by name; Descending reverses the whole order."""
    emu = scenario()
    response = emu.list_training_jobs(SortBy=sort_by, SortOrder=sort_order)
    assert names(response) == sorted_names(sort_by, descending=sort_order == "Descending")


def test_descending_reverses_ties_too() -> None:
    """D20: Descending reverses the whole order, name ties included."""
    emu = scenario()
    descending = names(emu.list_training_jobs(SortOrder="Descending"))
    assert descending[:2] == ["foxtrot-six", "echo-five"]
    assert descending[2:4] == ["delta-four", "charlie-three"]


@pytest.mark.parametrize("status", ["InProgress", "Completed", "Failed", "Stopped", "Stopping"])
def test_list_status_equals_filter(status: str) -> None:
    """behaviour §9: StatusEquals."""
    emu = scenario()
    expected = [n for n in sorted_names("CreationTime") if SCENARIO[n][1] == status]
    assert names(emu.list_training_jobs(StatusEquals=status)) == expected


@pytest.mark.parametrize("pool", ["InUse", "Available", "Reused", "Terminated"])
def test_list_warm_pool_status_equals_filter(pool: str) -> None:
    """behaviour §9: WarmPoolStatusEquals."""
    emu = scenario()
    expected = [n for n in sorted_names("CreationTime") if SCENARIO[n][2] == pool]
    assert len(expected) == 1
    assert names(emu.list_training_jobs(WarmPoolStatusEquals=pool)) == expected


def test_list_filters_apply_before_paging() -> None:
    """D20: filters apply before paging, so every page but the last is full."""
    emu = scenario()
    pages = all_pages(emu, StatusEquals="InProgress", MaxResults=1)
    assert pages == [["delta-four"], ["echo-five"]]
    pages = all_pages(emu, SortBy="Name", NameContains="e", MaxResults=2)
    assert pages == [["alpha-one", "charlie-three"], ["delta-four", "echo-five"]]


def test_list_name_contains_outside_its_pattern_is_refused() -> None:
    """behaviour §9.6 / botocore's model: NameContains matches [a-zA-Z0-9\\-]+."""
    emu = emulator()
    error = expect(
        errors.ValidationException,
        "ListTrainingJobs",
        emu.list_training_jobs,
        NameContains="bad_name",
    )
    assert error.field == "NameContains"
    assert "regular expression pattern" in error.message


def test_list_name_contains_is_case_insensitive() -> None:
    """D20: NameContains is case-insensitive."""
    emu = emulator()
    for name in ("My-Job-1", "my-job-2", "other", "JOBLESS"):
        emu.create_training_job(**request(name))
    assert names(emu.list_training_jobs(NameContains="JOB", SortBy="Name")) == [
        "JOBLESS",
        "My-Job-1",
        "my-job-2",
    ]
    assert names(emu.list_training_jobs(NameContains="y-j")) == ["My-Job-1", "my-job-2"]
    assert names(emu.list_training_jobs(NameContains="zzz")) == []


def epoch_seconds(t: float) -> float:
    return (EPOCH + timedelta(seconds=t)).timestamp()


def iso(t: float) -> str:
    return at(t).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "convert",
    [at, epoch_seconds, lambda t: int(epoch_seconds(t)), iso],
    ids=["datetime", "epoch-float", "epoch-int", "iso-8601"],
)
def test_list_creation_time_filters_are_strict(convert: Any) -> None:
    """D20: CreationTimeAfter/Before are strict; datetimes and epoch numbers are accepted."""
    emu = scenario()
    after = names(emu.list_training_jobs(CreationTimeAfter=convert(20)))
    assert after == ["echo-five", "foxtrot-six"]
    before = names(emu.list_training_jobs(CreationTimeBefore=convert(20)))
    assert before == ["alpha-one", "bravo-two"]
    between = names(
        emu.list_training_jobs(CreationTimeAfter=convert(0), CreationTimeBefore=convert(210))
    )
    assert between == ["bravo-two", "charlie-three", "delta-four"]


@pytest.mark.parametrize("convert", [at, epoch_seconds], ids=["datetime", "epoch-float"])
def test_list_last_modified_time_filters_are_strict(convert: Any) -> None:
    """D20: LastModifiedTimeAfter/Before are strict."""
    emu = scenario()
    modified = {
        s["TrainingJobName"]: s["LastModifiedTime"]
        for s in emu.list_training_jobs()["TrainingJobSummaries"]
    }
    # alpha-one Reused at 210; bravo/charlie ended at 200; delta started at 200;
    # echo started at 230; foxtrot Terminated at 400
    assert modified == {
        "alpha-one": at(210),
        "bravo-two": at(200),
        "charlie-three": at(200),
        "delta-four": at(200),
        "echo-five": at(230),
        "foxtrot-six": at(400),
    }
    assert names(emu.list_training_jobs(LastModifiedTimeAfter=convert(210))) == [
        "echo-five",
        "foxtrot-six",
    ]
    assert names(emu.list_training_jobs(LastModifiedTimeBefore=convert(210))) == [
        "bravo-two",
        "charlie-three",
        "delta-four",
    ]


def test_list_training_plan_arn_equals_filter() -> None:
    """D20: TrainingPlanArnEquals is supported; summaries carry TrainingPlanArn."""
    emu = emulator()
    for name, plan in (("p1", PLAN_ARN), ("p2", OTHER_PLAN_ARN), ("p3", None), ("p4", PLAN_ARN)):
        req = request(name)
        if plan is not None:
            req["ResourceConfig"]["TrainingPlanArn"] = plan
        emu.create_training_job(**req)
    response = emu.list_training_jobs(TrainingPlanArnEquals=PLAN_ARN)
    assert names(response) == ["p1", "p4"]
    assert {s["TrainingPlanArn"] for s in response["TrainingJobSummaries"]} == {PLAN_ARN}
    assert (
        "TrainingPlanArn"
        not in emu.list_training_jobs(NameContains="p3")["TrainingJobSummaries"][0]
    )


def test_list_max_results_defaults_to_10() -> None:
    """behaviour §9: MaxResults defaults to 10."""
    emu = emulator()
    for i in range(12):
        emu.create_training_job(**request(f"j{i:02d}"))
    response = emu.list_training_jobs()
    assert names(response) == [f"j{i:02d}" for i in range(10)]
    assert "NextToken" in response
    rest = emu.list_training_jobs(NextToken=response["NextToken"])
    assert names(rest) == ["j10", "j11"]
    assert "NextToken" not in rest


@pytest.mark.parametrize(
    ("value", "rule"),
    [(101, "less than or equal to 100"), (0, "greater than or equal to 1")],
)
def test_list_max_results_outside_1_to_100_is_refused(value: int, rule: str) -> None:
    """behaviour §9: MaxResults is 1..100."""
    emu = emulator()
    error = expect(
        errors.ValidationException, "ListTrainingJobs", emu.list_training_jobs, MaxResults=value
    )
    assert error.field == "MaxResults"
    assert f"Value '{value}' at 'maxResults' failed to satisfy constraint: " in error.message
    assert rule in error.message


def test_list_max_results_100_and_1_are_accepted() -> None:
    """behaviour §9: the bounds are inclusive."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b"))
    assert names(emu.list_training_jobs(MaxResults=100)) == ["a", "b"]
    assert names(emu.list_training_jobs(MaxResults=1)) == ["a"]


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("StatusEquals", "Running"),
        ("WarmPoolStatusEquals", "Bogus"),
        ("SortBy", "Size"),
        ("SortOrder", "Up"),
    ],
)
def test_list_enum_members_outside_their_set_are_refused(member: str, value: str) -> None:
    """behaviour §9.1 / D16: enums are enforced."""
    emu = emulator()
    error = expect(
        errors.ValidationException, "ListTrainingJobs", emu.list_training_jobs, **{member: value}
    )
    assert error.field == member
    assert "enum value set" in error.message


@pytest.fixture(scope="module")
def many_jobs() -> WarmPoolEmulator:
    """250 jobs, seven created per second, names not in creation order."""
    emu = emulator(training_seconds=None)
    for i in range(250):
        emu.create_training_job(**request(f"job-{(i * 37) % 250:03d}", keep_alive=None))
        if i % 7 == 6:
            emu.advance(1)
    return emu


def _many_expected(emu: WarmPoolEmulator, sort_by: str, descending: bool) -> list[str]:
    created = {name: i // 7 for i, name in enumerate(emu.job_names())}
    assert len(created) == 250
    if sort_by == "Name":
        return sorted(created, reverse=descending)
    return sorted(created, key=lambda n: (created[n], n), reverse=descending)


@pytest.mark.parametrize("max_results", [100, 7])
@pytest.mark.parametrize(
    ("sort_by", "sort_order"),
    [("CreationTime", "Ascending"), ("CreationTime", "Descending"), ("Name", "Descending")],
)
def test_paging_over_250_jobs_returns_every_job_exactly_once_in_order(
    many_jobs: WarmPoolEmulator, max_results: int, sort_by: str, sort_order: str
) -> None:
    """D20: NextToken paging returns every job exactly once, in order; pages are full."""
    pages = all_pages(many_jobs, MaxResults=max_results, SortBy=sort_by, SortOrder=sort_order)
    assert all(len(page) == max_results for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= max_results
    flat = [name for page in pages for name in page]
    assert flat == _many_expected(many_jobs, sort_by, sort_order == "Descending")


def test_next_token_with_a_different_sort_by_is_refused() -> None:
    """D20: a NextToken is refused with a different SortBy."""
    emu = scenario()
    token = emu.list_training_jobs(MaxResults=2)["NextToken"]
    error = expect(
        errors.ValidationException,
        "ListTrainingJobs",
        emu.list_training_jobs,
        NextToken=token,
        SortBy="Name",
    )
    assert error.field == "NextToken"


def test_next_token_with_a_different_sort_order_is_refused() -> None:
    """D20: a NextToken is refused with a different SortOrder."""
    emu = scenario()
    token = emu.list_training_jobs(MaxResults=2, SortBy="Name")["NextToken"]
    error = expect(
        errors.ValidationException,
        "ListTrainingJobs",
        emu.list_training_jobs,
        NextToken=token,
        SortBy="Name",
        SortOrder="Descending",
    )
    assert error.field == "NextToken"


def forged(payload: Any) -> str:
    """A token with the right encoding but content the service never issued."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    ("token", "sort_by"),
    [
        (forged(["CreationTime", "Ascending", ["not-a-time"]]), "CreationTime"),
        (forged(["CreationTime", "Ascending", [None, None]]), "CreationTime"),
        (forged(["Name", "Ascending", [42]]), "Name"),
        (forged(["Status", "Ascending", [{"a": 1}, "x"]]), "Status"),
    ],
    ids=["str-for-time", "nulls", "int-for-name", "object-for-status"],
)
def test_forged_next_token_is_a_validation_error_not_a_crash(token: str, sort_by: str) -> None:
    """behaviour §9.6 / D20: NextToken is opaque; one the service did not issue is refused with
    ValidationException (errors come from warmpool.errors)."""
    emu = scenario()
    error = expect(
        errors.ValidationException,
        "ListTrainingJobs",
        emu.list_training_jobs,
        NextToken=token,
        SortBy=sort_by,
    )
    assert error.field == "NextToken"


@pytest.mark.parametrize("token", ["garbage", "bm90LWpzb24=", "W10=", "!!!"])
def test_garbage_next_token_is_refused(token: str) -> None:
    """D20: NextToken is opaque; a token the service did not issue is refused."""
    emu = scenario()
    error = expect(
        errors.ValidationException, "ListTrainingJobs", emu.list_training_jobs, NextToken=token
    )
    assert error.field == "NextToken"


def test_jobs_created_between_pages_are_neither_skipped_nor_repeated() -> None:
    """D20: the token remembers the last job returned, not an offset."""
    emu = emulator()
    for i in range(15):
        emu.create_training_job(**request(f"job-{i:02d}"))
    emu.advance(1)
    first = emu.list_training_jobs(MaxResults=10)
    for i in range(15, 18):
        emu.create_training_job(**request(f"job-{i:02d}"))
    rest = all_pages(emu, MaxResults=10, NextToken=first["NextToken"])
    seen = names(first) + [n for page in rest for n in page]
    assert seen == [f"job-{i:02d}" for i in range(18)]


def test_jobs_inserted_before_the_cursor_do_not_shift_later_pages() -> None:
    """D20: sorted by Name, new jobs sorting before the cursor do not repeat old ones."""
    emu = emulator()
    for i in range(20):
        emu.create_training_job(**request(f"m-{i:02d}"))
    first = emu.list_training_jobs(MaxResults=10, SortBy="Name")
    assert names(first) == [f"m-{i:02d}" for i in range(10)]
    for name in ("a-1", "a-2", "a-3", "z-1"):
        emu.create_training_job(**request(name))
    rest = all_pages(emu, MaxResults=10, SortBy="Name", NextToken=first["NextToken"])
    assert [n for page in rest for n in page] == [f"m-{i:02d}" for i in range(10, 20)] + ["z-1"]


def test_summaries_carry_warm_pool_status_and_end_time_only_when_terminal() -> None:
    """behaviour §9.6 / botocore's model: summaries carry WarmPoolStatus; TrainingEndTime only when
    terminal."""
    emu = scenario()
    summaries = {s["TrainingJobName"]: s for s in emu.list_training_jobs()["TrainingJobSummaries"]}
    for name, (created, status, pool) in SCENARIO.items():
        summary = summaries[name]
        assert summary["TrainingJobStatus"] == status
        assert summary["CreationTime"] == at(created)
        assert summary["TrainingJobArn"].endswith(":training-job/" + name)
        body = describe(emu, name)
        assert summary["SecondaryStatus"] == body["SecondaryStatus"]
        assert summary["LastModifiedTime"] == body["LastModifiedTime"]
        if pool is None:
            assert "WarmPoolStatus" not in summary
        else:
            assert summary["WarmPoolStatus"] == body["WarmPoolStatus"]
        if status in ("Completed", "Failed", "Stopped"):
            assert summary["TrainingEndTime"] == body["TrainingEndTime"]
        else:
            assert "TrainingEndTime" not in summary
    assert summaries["alpha-one"]["WarmPoolStatus"]["ReusedByJob"] == "echo-five"


@pytest.mark.parametrize(
    ("operation", "method", "args"),
    [
        ("DescribeTrainingJob", "describe_training_job", {"TrainingJobName": "job-a"}),
        ("UpdateTrainingJob", "update_training_job", {"TrainingJobName": "job-a"}),
        ("StopTrainingJob", "stop_training_job", {"TrainingJobName": "job-a"}),
        ("DeleteTrainingJob", "delete_training_job", {"TrainingJobName": "job-a"}),
        ("ListTrainingJobs", "list_training_jobs", {}),
    ],
)
def test_unknown_parameters_are_refused_by_every_operation(
    operation: str, method: str, args: dict[str, Any]
) -> None:
    """behaviour §9: every operation validates its request against the model."""
    emu = available_job()
    before = describe(emu, "job-a")
    before.pop("ResponseMetadata")
    error = expect(errors.ValidationException, operation, getattr(emu, method), Bogus=1, **args)
    assert error.field == "Bogus"
    assert "Unknown parameter 'Bogus'" in error.message
    after = describe(emu, "job-a")
    after.pop("ResponseMetadata")
    assert after == before


def test_list_with_no_jobs_is_empty_without_a_token() -> None:
    """behaviour §9: an empty account lists nothing."""
    response = emulator().list_training_jobs()
    assert response["TrainingJobSummaries"] == []
    assert "NextToken" not in response


def test_changing_a_describe_response_after_a_profiler_update_does_not_change_the_job() -> None:
    """D18, behaviour §9.3: updated ProfilerConfig shows in DescribeTrainingJob, and responses are
    copies (bad input never changes state; neither does editing a response)."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("profiled"))
    emu.advance(180)
    emu.update_training_job(
        TrainingJobName="profiled", ProfilerConfig={"ProfilingIntervalInMilliseconds": 500}
    )
    first = emu.describe_training_job(TrainingJobName="profiled")
    first["ProfilerConfig"]["ProfilingIntervalInMilliseconds"] = 1
    again = emu.describe_training_job(TrainingJobName="profiled")
    assert again["ProfilerConfig"] == {"ProfilingIntervalInMilliseconds": 500}


@pytest.mark.parametrize(
    "stamp", ["2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00,5+00:00", "2026-01-01 00:00:00.5z"]
)
def test_list_time_filters_take_every_iso_8601_form_the_request_check_accepts(stamp: str) -> None:
    """D20, behaviour §9.6: a timestamp string that passes validation filters the list, on every
    supported Python (3.10's fromisoformat alone refuses one-digit fractions and commas)."""
    emu = emulator()
    emu.create_training_job(**request("early"))
    emu.advance(10)
    emu.create_training_job(**request("late"))
    listed = emu.list_training_jobs(CreationTimeAfter=stamp)["TrainingJobSummaries"]
    assert [summary["TrainingJobName"] for summary in listed] == ["late"]


@pytest.mark.parametrize(
    ("setting", "value", "error", "message"),
    [
        ("limits", 5, TypeError, "limits must be a Limits, not 5"),
        ("timing", 5, TypeError, "timing must be a Timing, not 5"),
        ("workload", 5, TypeError, "workload must be callable or None, not 5"),
        ("clock", 5, TypeError, "clock must be a VirtualClock, not 5"),
        ("region", 5, ValueError, "region must look like 'us-east-1', not 5"),
        ("region", "", ValueError, "region must look like 'us-east-1', not ''"),
        ("region", "us east 1", ValueError, "region must look like 'us-east-1', not 'us east 1'"),
        ("account", "12345", ValueError, "account must be 12 digits, not '12345'"),
        ("account", "12345678901x", ValueError, "account must be 12 digits, not '12345678901x'"),
        ("account", 123456789012, ValueError, "account must be 12 digits, not 123456789012"),
    ],
)
def test_an_emulator_setting_of_the_wrong_kind_is_refused_naming_it(
    setting: str, value: Any, error: type[Exception], message: str
) -> None:
    """behaviour §2 / §10: each setting of ``WarmPoolEmulator`` is checked when it is built: a
    wrong one is refused with an error that names it and says what it must be."""
    with pytest.raises(error) as caught:
        WarmPoolEmulator(**{setting: value})
    assert str(caught.value) == message


def test_an_emulator_shows_the_settings_it_was_built_with() -> None:
    """behaviour §10: ``limits`` and ``timing`` are the ones the emulator was built with, and a
    region and account of the right form name its ARNs."""
    timing = Timing(cold_start_seconds=7, warm_start_seconds=3, stopping_seconds=1)
    emu = WarmPoolEmulator(timing=timing, region="eu-west-1", account="210987654321")
    assert emu.timing is timing
    assert emu.create_training_job(**request("a"))["TrainingJobArn"] == (
        "arn:aws:sagemaker:eu-west-1:210987654321:training-job/a"
    )


#: A policy allowing keep-alives up to 1800 s.
SETTINGS_POLICY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 1801}},
        }
    ]
}


def _plan_nothing(job_request: Any) -> None:
    return None


def _built_with_every_setting() -> tuple[WarmPoolEmulator, dict[str, Any]]:
    """An emulator given every keyword but ``clock``, and those keywords."""
    given: dict[str, Any] = {
        "limits": Limits.API_MODEL,
        "timing": Timing(cold_start_seconds=60, warm_start_seconds=5, stopping_seconds=2),
        "quotas": {INSTANCE_TYPE: Quota(training=4, warm_pool=3)},
        "default_quota": Quota(training=1, warm_pool=1),
        "workload": _plan_nothing,
        "keep_alive_policy": json.loads(json.dumps(SETTINGS_POLICY)),
        "region": "eu-west-1",
        "account": "210987654321",
        "prices": {INSTANCE_TYPE: 0.5},
        "event_log_maxlen": 50,
        "retain_finished": False,
    }
    return WarmPoolEmulator(clock=VirtualClock(now=100), **given), given


def test_settings_are_the_keywords_the_emulator_was_built_with() -> None:
    """behaviour §10: ``emu.settings`` gives back the constructor's keywords, all but
    ``clock``, as they were given (not as changed since), and the defaults of those not
    given."""
    emu, given = _built_with_every_setting()
    assert dict(emu.settings) == given
    assert emu.settings["workload"] is _plan_nothing
    emu.quotas.set(INSTANCE_TYPE, warm_pool=0)  # changes made after construction ...
    emu.billing.prices = {INSTANCE_TYPE: 9.0}
    assert emu.settings["quotas"] == given["quotas"]  # ... are not the settings
    assert emu.settings["prices"] == given["prices"]
    assert dict(WarmPoolEmulator().settings) == {
        "limits": Limits.GUIDE_2022,
        "timing": Timing(),
        "quotas": None,
        "default_quota": None,
        "workload": None,
        "keep_alive_policy": None,
        "region": "us-east-1",
        "account": "123456789012",
        "prices": None,
        "event_log_maxlen": None,
        "retain_finished": True,
    }
    text = json.dumps(SETTINGS_POLICY)
    assert WarmPoolEmulator(keep_alive_policy=text).settings["keep_alive_policy"] == text


def test_changing_the_settings_changes_nothing_in_the_emulator() -> None:
    """behaviour §10 / D48: ``emu.settings`` is read-only, and its tables and policy document
    are copies: changing them changes neither the settings, nor ``fresh()``, nor a
    snapshot, nor what the emulator allows."""
    emu, given = _built_with_every_setting()
    document = emu.snapshot()["settings"]
    settings = emu.settings
    with pytest.raises(TypeError):
        settings["region"] = "us-west-2"  # type: ignore[index]
    settings["quotas"][INSTANCE_TYPE] = Quota(warm_pool=0)
    settings["prices"][INSTANCE_TYPE] = 99.0
    settings["keep_alive_policy"]["Statement"][0]["Effect"] = "Deny"
    assert dict(emu.settings) == given
    assert emu.snapshot()["settings"] == document
    fresh = emu.fresh()
    assert fresh.snapshot()["settings"] == document
    assert fresh.quotas[INSTANCE_TYPE] == Quota(training=4, warm_pool=3)
    assert fresh.billing.prices == {INSTANCE_TYPE: 0.5}
    emu.create_training_job(**request("allowed", keep_alive=1800))  # the policy still allows


@pytest.mark.parametrize("every", [False, True], ids=["defaults", "every-setting"])
def test_an_emulator_built_from_the_settings_has_the_same_settings(every: bool) -> None:
    """behaviour §10 / §10.6: ``WarmPoolEmulator(**emu.settings)`` builds an emulator whose
    snapshot has the same settings."""
    emu = _built_with_every_setting()[0] if every else WarmPoolEmulator()
    emu.create_training_job(**request("a", keep_alive=600))  # state is not a setting
    twin = WarmPoolEmulator(**emu.settings)
    assert twin.snapshot()["settings"] == emu.snapshot()["settings"]
    assert twin.job_names() == []


def test_fresh_builds_an_emulator_with_the_same_settings_and_no_state() -> None:
    clock = VirtualClock(datetime(2030, 5, 1, tzinfo=timezone.utc), now=100)
    emu = emulator(
        limits=Limits.API_MODEL,
        timing=Timing(cold_start_seconds=60, warm_start_seconds=5),
        clock=clock,
        region="eu-west-1",
        prices={INSTANCE_TYPE: 0.5},
    )
    emu.create_training_job(**request("job-1"))
    emu.advance(5000)
    emu.quotas.set(INSTANCE_TYPE, warm_pool=0)  # a change made after construction

    new = emu.fresh()

    assert new is not emu
    assert new.job_names() == [] and len(new.events) == 0 and len(new.billing.retained) == 0
    assert new.now == 100 and new.clock.epoch == clock.epoch
    assert new.limits == Limits.API_MODEL and new.timing == emu.timing
    assert new.region == "eu-west-1" and new.billing.prices == {INSTANCE_TYPE: 0.5}
    assert new.quotas[INSTANCE_TYPE] == Quota(warm_pool=10)  # as first given, not as changed
    new.create_training_job(**request("job-1"))  # the same name is free in the new emulator
    new.advance(60 + 600)  # the same workload hook: 600 s of training after a 60 s cold start
    assert describe(new, "job-1")["WarmPoolStatus"] == {"Status": "Available"}
    assert emu.job_names() == ["job-1"] and emu.now == 5100  # the original is untouched
