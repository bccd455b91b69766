"""warmpool.aws: real boto3 clients answered in-process by an emulator (behaviour §12.1).

Every call here goes through a real botocore client: botocore's own parameter validation,
events, paginators and exception classes, with the emulator answering at ``before-call``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require
from tests.factories import INSTANCE_TYPE, check_output, emulator, jobs_in_every_state, request
from warmpool import JobPlan, Quota, Timing, WarmPoolEmulator, errors
from warmpool.aws import (
    DEFAULT_TIME_MODULES,
    OPERATIONS,
    NotEmulatedError,
    VirtualTime,
    attach,
    attached_emulator,
    detach,
    mock_sagemaker,
)
from warmpool.errors import ControlError

boto3 = require("boto3")
botocore_config = require("botocore.config")
botocore_exceptions = require("botocore.exceptions")
botocore_session = require("botocore.session")

ClientError = botocore_exceptions.ClientError
NOT_FOUND = "Requested resource not found."
REGION = "us-east-1"


def new_client(**kwargs: Any) -> Any:
    """A real SageMaker client with dummy credentials (nothing here reaches the network)."""
    kwargs.setdefault("region_name", REGION)
    return boto3.client(
        "sagemaker", aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs
    )


@pytest.fixture
def emu() -> WarmPoolEmulator:
    return emulator(training_seconds=None)


@pytest.fixture
def client(emu: WarmPoolEmulator) -> Iterator[Any]:
    sm = new_client()
    attach(sm, emu)
    yield sm
    detach(sm)


# --- the AWS guide's walk-through, through boto3 ---------------------------------------------


def test_guide_walkthrough_through_a_boto3_client(emu: WarmPoolEmulator, client: Any) -> None:
    """Create, describe, list with WarmPoolStatusEquals, update keep-alive to 3600, reuse,
    terminate with 0: the AWS guide's console and API walk-through, all through boto3 (D28)."""
    arn = client.create_training_job(**request("my-training-job-1", keep_alive=1800))
    assert arn["TrainingJobArn"].endswith(":training-job/my-training-job-1")
    first = client.describe_training_job(TrainingJobName="my-training-job-1")
    assert first["TrainingJobStatus"] == "InProgress"
    assert first["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800
    assert first["WarmPoolStatus"] == {"Status": "InUse"}

    emu.advance(600)
    emu.complete_training_job("my-training-job-1")
    done = client.describe_training_job(TrainingJobName="my-training-job-1")
    assert done["TrainingJobStatus"] == "Completed"
    assert done["WarmPoolStatus"] == {"Status": "Available"}

    listed = client.list_training_jobs(WarmPoolStatusEquals="Available")
    assert [s["TrainingJobName"] for s in listed["TrainingJobSummaries"]] == ["my-training-job-1"]
    assert client.list_training_jobs(WarmPoolStatusEquals="InUse")["TrainingJobSummaries"] == []

    client.update_training_job(
        TrainingJobName="my-training-job-1", ResourceConfig={"KeepAlivePeriodInSeconds": 3600}
    )
    updated = client.describe_training_job(TrainingJobName="my-training-job-1")
    assert updated["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 3600

    emu.advance(120)
    client.create_training_job(**request("my-training-job-2", keep_alive=1800))
    reused = client.describe_training_job(TrainingJobName="my-training-job-1")
    assert reused["WarmPoolStatus"]["Status"] == "Reused"
    assert reused["WarmPoolStatus"]["ReusedByJob"] == "my-training-job-2"
    assert reused["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"] == 120
    second = client.describe_training_job(TrainingJobName="my-training-job-2")
    assert second["WarmPoolStatus"] == {"Status": "InUse"}

    emu.advance(60)
    emu.complete_training_job("my-training-job-2")
    client.update_training_job(
        TrainingJobName="my-training-job-2", ResourceConfig={"KeepAlivePeriodInSeconds": 0}
    )
    ended = client.describe_training_job(TrainingJobName="my-training-job-2")
    assert ended["WarmPoolStatus"]["Status"] == "Terminated"
    assert "ResourceRetainedBillableTimeInSeconds" in ended["WarmPoolStatus"]
    for name in ("my-training-job-1", "my-training-job-2"):
        check_output(
            client, "DescribeTrainingJob", client.describe_training_job(TrainingJobName=name)
        )


def test_answers_through_boto3_equal_the_emulators_own(emu: WarmPoolEmulator) -> None:
    """D28: the adapter adds nothing and drops nothing: two emulators driven alike, one
    through a client and one directly, give equal answers (request ids included)."""
    twin = emulator(training_seconds=None)
    sm = new_client()
    attach(sm, emu)
    for target in (emu, twin):
        target.create_training_job(**request("same"))
        target.advance(300)
    assert sm.describe_training_job(TrainingJobName="same") == twin.describe_training_job(
        TrainingJobName="same"
    )
    assert sm.list_training_jobs(MaxResults=5) == twin.list_training_jobs(MaxResults=5)


# --- errors ----------------------------------------------------------------------------------


def test_describe_of_an_unknown_job_is_a_validation_exception(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.describe_training_job(TrainingJobName="nope")
    error = caught.value
    assert error.response["Error"] == {"Code": "ValidationException", "Message": NOT_FOUND}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.operation_name == "DescribeTrainingJob"
    assert str(error) == (
        "An error occurred (ValidationException) when calling the DescribeTrainingJob "
        "operation: Requested resource not found."
    )


def test_modelled_codes_raise_the_clients_own_exception_classes(
    emu: WarmPoolEmulator, client: Any
) -> None:
    """D28: modelled codes carry the shape's Message member and raise the client's classes."""
    with pytest.raises(client.exceptions.ResourceNotFound) as missing:
        client.delete_training_job(TrainingJobName="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
    assert missing.value.response["Message"] == NOT_FOUND  # botocore adds the shape's member

    client.create_training_job(**request("dup"))
    with pytest.raises(client.exceptions.ResourceInUse) as in_use:
        client.create_training_job(**request("dup"))
    assert "already exists" in in_use.value.response["Error"]["Message"]


def test_resource_limit_exceeded_carries_the_aws_quota_text() -> None:
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1, warm_pool=0)})
    sm = new_client()
    attach(sm, emu)
    sm.create_training_job(**request("one"))
    with pytest.raises(sm.exceptions.ResourceLimitExceeded) as caught:
        sm.create_training_job(**request("two"))
    assert caught.value.response["Error"]["Message"] == (
        "The account-level service limit 'ml.m5.xlarge for training job usage' is 1 Instances, "
        "with current utilization of 1 Instances and a request delta of 1 Instances. Please "
        "contact AWS support to request an increase for this limit."
    )
    assert emu.job_names() == ["one"]


def test_emulator_validation_errors_arrive_as_client_errors(
    emu: WarmPoolEmulator, client: Any
) -> None:
    with pytest.raises(ClientError) as caught:
        client.create_training_job(**request("long", keep_alive=3601))
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '3601' at "
        "'resourceConfig.keepAlivePeriodInSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 3600",
    }
    assert emu.job_names() == []
    # D28: a refused request uses no request id; the first answer carries id 1.
    assert "RequestId" not in caught.value.response["ResponseMetadata"]
    assert client.list_training_jobs()["ResponseMetadata"]["RequestId"].endswith("0001")


def test_validation_messages_write_member_paths_in_lower_camel_case_through_boto3(
    emu: WarmPoolEmulator, client: Any
) -> None:
    """D16: an attached client's ClientError carries the core's message, member paths written
    as SageMaker's JSON endpoint writes them (nested, list items, map values)."""
    bad = request("bad", keep_alive=3601)
    bad["VpcConfig"] = {"SecurityGroupIds": ["sg_1"], "Subnets": ["subnet-1"]}
    bad["HyperParameters"] = {"epochs": "9" * 2501}
    with pytest.raises(errors.ValidationException) as direct:
        emulator(training_seconds=None).create_training_job(**bad)
    with pytest.raises(ClientError) as caught:
        client.create_training_job(**bad)
    message = caught.value.response["Error"]["Message"]
    assert message == direct.value.message
    assert message.startswith("3 validation errors detected: ")
    assert " at 'resourceConfig.keepAlivePeriodInSeconds' failed " in message
    assert "Value '[sg_1]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: " in (
        message
    )
    assert " at 'hyperParameters' failed to satisfy constraint: Map value must satisfy " in (
        message
    )
    assert emu.job_names() == []


def bad_keep_alive() -> dict[str, Any]:
    """A request whose keep-alive is a string, which botocore refuses client-side."""
    body = request("bad")
    body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = "long"
    return body


def test_botocore_parameter_validation_stays_in_force(emu: WarmPoolEmulator, client: Any) -> None:
    """A call botocore refuses client-side never reaches the emulator."""
    with pytest.raises(botocore_exceptions.ParamValidationError):
        client.create_training_job(**bad_keep_alive())
    with pytest.raises(botocore_exceptions.ParamValidationError):
        client.describe_training_job()
    with pytest.raises(botocore_exceptions.ParamValidationError):
        client.list_training_jobs(NoSuchMember=1)
    assert emu.job_names() == []
    # Not one request reached the emulator: its next answer carries request id 1.
    first = client.list_training_jobs()
    assert first["ResponseMetadata"]["RequestId"].endswith("000000000001")


def test_without_client_validation_the_emulator_still_refuses() -> None:
    emu = emulator()
    sm = new_client(config=botocore_config.Config(parameter_validation=False))
    attach(sm, emu)
    with pytest.raises(ClientError) as caught:
        sm.create_training_job(**bad_keep_alive())
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert emu.job_names() == []


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("list_endpoints", {}),
        ("describe_endpoint", {"EndpointName": "e"}),
        ("create_processing_job", None),
        ("list_training_jobs_for_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "h"}),
    ],
)
def test_other_sagemaker_operations_are_refused_by_name(
    emu: WarmPoolEmulator, client: Any, method: str, kwargs: dict[str, Any] | None
) -> None:
    """D29: any other SageMaker operation raises NotEmulatedError naming it."""
    if kwargs is None:
        kwargs = {
            "ProcessingJobName": "p",
            "RoleArn": "arn:aws:iam::123456789012:role/R",
            "AppSpecification": {"ImageUri": "img"},
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                    "VolumeSizeInGB": 1,
                }
            },
        }
    operation = client.meta.method_to_api_mapping[method]
    with pytest.raises(NotEmulatedError, match=f"operation {operation};") as caught:
        getattr(client, method)(**kwargs)
    assert caught.value.operation == operation
    assert isinstance(caught.value, NotImplementedError)
    assert not isinstance(caught.value, ClientError)
    assert emu.job_names() == []


def test_every_training_job_operation_is_answered() -> None:
    model = new_client().meta.service_model
    for operation, method in OPERATIONS.items():
        assert operation in model.operation_names
        assert callable(getattr(WarmPoolEmulator, method))


# --- pagination ------------------------------------------------------------------------------


def test_botocores_paginator_walks_next_token(emu: WarmPoolEmulator, client: Any) -> None:
    for i in range(7):
        emu.create_training_job(**request(f"job-{i}", keep_alive=0))
        emu.advance(10)
    paginator = client.get_paginator("list_training_jobs")
    pages = list(
        paginator.paginate(SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 3})
    )
    assert [len(p["TrainingJobSummaries"]) for p in pages] == [3, 3, 1]
    names = [s["TrainingJobName"] for p in pages for s in p["TrainingJobSummaries"]]
    assert names == [f"job-{i}" for i in range(7)]
    built = paginator.paginate(PaginationConfig={"MaxItems": 4, "PageSize": 3}).build_full_result()
    assert len(built["TrainingJobSummaries"]) == 4
    assert "NextToken" in built
    rest = paginator.paginate(
        PaginationConfig={"StartingToken": built["NextToken"], "PageSize": 3}
    ).build_full_result()
    assert len(rest["TrainingJobSummaries"]) == 3


def test_list_time_filters_accept_datetimes_and_strings(emu: WarmPoolEmulator, client: Any) -> None:
    emu.create_training_job(**request("early", keep_alive=0))
    emu.advance(3600)
    emu.create_training_job(**request("late", keep_alive=0))
    cut = datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc)
    after = client.list_training_jobs(CreationTimeAfter=cut)["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in after] == ["late"]
    before = client.list_training_jobs(CreationTimeBefore="2026-01-01T00:30:00Z")
    assert [s["TrainingJobName"] for s in before["TrainingJobSummaries"]] == ["early"]


# --- output shapes ---------------------------------------------------------------------------


def test_every_response_passes_botocores_output_validation() -> None:
    """Each operation, for a job in each status and warm pool status, answers with exactly
    its output shape: required members, types, minimums (TrainingTimeInSeconds >= 1,
    BillableTimeInSeconds >= 1) and no stray members."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    sm = new_client()
    attach(sm, emu)
    statuses = jobs_in_every_state(emu)
    seen_status: set[str] = set()
    seen_pool: set[str] = set()
    seen_secondary: set[str] = set()
    for name in sorted(statuses):
        described = sm.describe_training_job(TrainingJobName=name)
        check_output(sm, "DescribeTrainingJob", described)
        seen_status.add(described["TrainingJobStatus"])
        seen_secondary.add(described["SecondaryStatus"])
        if "WarmPoolStatus" in described:
            seen_pool.add(described["WarmPoolStatus"]["Status"])
        if "TrainingEndTime" in described and "TrainingStartTime" in described:
            assert described["TrainingTimeInSeconds"] >= 1
            assert described["BillableTimeInSeconds"] >= 1
    assert seen_status >= {"InProgress", "Completed", "Failed", "Stopping"}
    assert seen_pool >= {"InUse", "Available", "Reused", "Terminated"}
    assert seen_secondary >= {"Starting", "Training", "Completed", "Failed", "Stopping"}
    emu.advance(60)
    stopped = sm.describe_training_job(TrainingJobName="stopped")
    assert stopped["TrainingJobStatus"] == "Stopped"
    check_output(sm, "DescribeTrainingJob", stopped)
    for kwargs in ({}, {"WarmPoolStatusEquals": "Reused"}, {"MaxResults": 2}):
        check_output(sm, "ListTrainingJobs", sm.list_training_jobs(**kwargs))
    sm.create_training_job(**request("extra", keep_alive=5))
    emu.advance(200)
    check_output(sm, "CreateTrainingJob", sm.create_training_job(**request("more")))
    emu.advance(200)
    emu.complete_training_job("more")
    check_output(
        sm,
        "UpdateTrainingJob",
        sm.update_training_job(
            TrainingJobName="more", ResourceConfig={"KeepAlivePeriodInSeconds": 60}
        ),
    )
    check_output(sm, "StopTrainingJob", sm.stop_training_job(TrainingJobName="extra"))
    emu.advance(60)
    check_output(sm, "DeleteTrainingJob", sm.delete_training_job(TrainingJobName="extra"))


def test_the_output_check_can_fail() -> None:
    """The validator used above rejects a short TrainingTimeInSeconds and a stray member."""
    sm = new_client()
    body = {
        "TrainingJobSummaries": [],
        "Stray": 1,
    }
    with pytest.raises(AssertionError, match="Stray"):
        check_output(sm, "ListTrainingJobs", body)
    emu = emulator(training_seconds=5)
    emu.create_training_job(**request("quick", keep_alive=0))
    emu.advance(600)
    described = emu.describe_training_job(TrainingJobName="quick")
    described["TrainingTimeInSeconds"] = 0
    with pytest.raises(AssertionError, match="TrainingTimeInSeconds"):
        check_output(sm, "DescribeTrainingJob", described)


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["create", "advance", "complete", "fail", "stop", "update", "delete"]),
        st.integers(0, 3),
        st.integers(0, 900),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(actions=_ACTIONS)
def test_random_sessions_answer_in_the_output_shape(actions: list[tuple[str, int, int]]) -> None:
    """Whatever a session does, every answer the client gets validates against its shape."""
    emu = emulator(training_seconds=None, warm_pool=2)
    sm = new_client()
    attach(sm, emu)
    codes: set[str] = set()
    for action, index, amount in actions:
        name = f"job-{index}"
        try:
            if action == "create":
                response = sm.create_training_job(**request(name, keep_alive=amount % 120))
                check_output(sm, "CreateTrainingJob", response)
            elif action == "advance":
                emu.advance(amount)
            elif action == "complete":
                emu.complete_training_job(name)
            elif action == "fail":
                emu.fail_training_job(name)
            elif action == "stop":
                check_output(sm, "StopTrainingJob", sm.stop_training_job(TrainingJobName=name))
            elif action == "update":
                response = sm.update_training_job(
                    TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": amount}
                )
                check_output(sm, "UpdateTrainingJob", response)
            else:
                check_output(sm, "DeleteTrainingJob", sm.delete_training_job(TrainingJobName=name))
        except ClientError as error:
            codes.add(error.response["Error"]["Code"])
        except ControlError:  # a control misused at this moment
            pass
        for job in emu.job_names():
            check_output(sm, "DescribeTrainingJob", sm.describe_training_job(TrainingJobName=job))
        check_output(sm, "ListTrainingJobs", sm.list_training_jobs(MaxResults=100))
    assert codes <= {"ValidationException", "ResourceInUse", "ResourceNotFound"}


# --- attach and detach -----------------------------------------------------------------------


def test_attach_refuses_what_it_cannot_serve(emu: WarmPoolEmulator) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    with pytest.raises(ValueError, match="SageMaker client"):
        attach(s3, emu)
    with pytest.raises(TypeError, match="botocore client"):
        attach(object(), emu)
    with pytest.raises(TypeError, match="WarmPoolEmulator"):
        attach(new_client(), object())  # type: ignore[arg-type]


def test_attach_is_idempotent_and_exclusive(emu: WarmPoolEmulator) -> None:
    sm = new_client()
    first = attach(sm, emu)
    assert attach(sm, emu) is first
    assert attached_emulator(sm) is emu
    with pytest.raises(ValueError, match="already attached"):
        attach(sm, emulator())
    assert first.attached
    first.detach()
    assert not first.attached
    assert attached_emulator(sm) is None
    assert detach(sm) is False
    other = emulator()
    with attach(sm, other):
        assert attached_emulator(sm) is other
    assert attached_emulator(sm) is None


def test_a_detached_client_talks_to_aws_again(emu: WarmPoolEmulator) -> None:
    """After detach the client would go to the network: with an unreachable endpoint and no
    retries, the call fails to connect instead of being answered."""
    sm = new_client(
        endpoint_url="http://127.0.0.1:9",
        config=botocore_config.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    attach(sm, emu)
    assert sm.list_training_jobs()["TrainingJobSummaries"] == []
    detach(sm)
    with pytest.raises(botocore_exceptions.EndpointConnectionError):
        sm.list_training_jobs()


def test_attachments_are_per_client(emu: WarmPoolEmulator) -> None:
    served = new_client()
    other = emulator()
    attach(served, emu)
    second = new_client()
    attach(second, other)
    served.create_training_job(**request("mine"))
    assert emu.job_names() == ["mine"]
    assert other.job_names() == []
    assert second.list_training_jobs()["TrainingJobSummaries"] == []


# --- mock_sagemaker ----------------------------------------------------------------------------


def test_mock_sagemaker_serves_clients_created_inside(emu: WarmPoolEmulator) -> None:
    """D30: clients created inside, by any session, are attached; others are not."""
    original = botocore_session.Session.create_client
    before = new_client()
    with mock_sagemaker(emu) as active:
        assert active is emu
        made = [
            new_client(),
            boto3.Session(region_name=REGION).client("sagemaker"),
            botocore_session.get_session().create_client("sagemaker", region_name=REGION),
        ]
        for sm in made:
            assert attached_emulator(sm) is emu
        assert attached_emulator(before) is None
        made[0].create_training_job(**request("inside"))
        assert made[1].describe_training_job(TrainingJobName="inside")["TrainingJobName"]
    assert botocore_session.Session.create_client is original
    for sm in made:
        assert attached_emulator(sm) is None
    assert attached_emulator(new_client()) is None


def test_mock_sagemaker_is_undone_when_the_body_raises(emu: WarmPoolEmulator) -> None:
    original = botocore_session.Session.create_client
    made: list[Any] = []

    @mock_sagemaker(emu)
    def body() -> None:
        made.append(new_client())
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    assert botocore_session.Session.create_client is original
    assert attached_emulator(made[0]) is None


def test_mock_sagemaker_as_a_decorator(emu: WarmPoolEmulator) -> None:
    @mock_sagemaker(emu)
    def run(name: str) -> str:
        sm = new_client()
        return str(sm.create_training_job(**request(name))["TrainingJobArn"])

    assert run("decorated").endswith("/decorated")
    assert run("again").endswith("/again")
    assert emu.job_names() == ["decorated", "again"]
    assert attached_emulator(new_client()) is None


def test_nested_mocks_serve_new_clients_from_the_innermost(emu: WarmPoolEmulator) -> None:
    inner = emulator()
    with mock_sagemaker(emu):
        outer_client = new_client()
        with mock_sagemaker(inner):
            inner_client = new_client()
            assert attached_emulator(inner_client) is inner
            assert attached_emulator(outer_client) is emu
        assert attached_emulator(inner_client) is None
        assert attached_emulator(outer_client) is emu
        assert attached_emulator(new_client()) is emu
    assert attached_emulator(outer_client) is None


def test_other_services_pass_through_to_moto(emu: WarmPoolEmulator) -> None:
    """moto serves S3 and STS beside warmpool; SageMaker calls never reach moto."""
    moto = require("moto")
    with moto.mock_aws(), mock_sagemaker(emu):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="warmpool-test")
        s3.put_object(Bucket="warmpool-test", Key="k", Body=b"v")
        assert s3.get_object(Bucket="warmpool-test", Key="k")["Body"].read() == b"v"
        identity = boto3.client("sts", region_name=REGION).get_caller_identity()
        assert identity["Account"]
        sm = boto3.client("sagemaker", region_name=REGION)
        sm.create_training_job(**request("beside-moto"))
        described = sm.describe_training_job(TrainingJobName="beside-moto")
        assert described["WarmPoolStatus"] == {"Status": "InUse"}  # moto has no warm pools
        moto_sagemaker = require("moto.backends").get_backend("sagemaker")
        assert "beside-moto" not in moto_sagemaker[identity["Account"]][REGION].training_jobs
        with pytest.raises(ValueError, match="SageMaker client"):
            attached_emulator(boto3.client("sagemaker-runtime", region_name=REGION))
    assert emu.job_names() == ["beside-moto"]


def test_mock_sagemaker_checks_its_arguments(emu: WarmPoolEmulator) -> None:
    with pytest.raises(TypeError, match="WarmPoolEmulator"):
        mock_sagemaker(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="virtual_time"):
        mock_sagemaker(emu, virtual_time=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="time_modules"):
        mock_sagemaker(emu, time_modules="sagemaker.session")


# --- virtual time ------------------------------------------------------------------------------


def test_virtual_time_sleep_advances_the_emulator() -> None:
    """D31: sleep advances the emulator; time() is its now as Unix time."""
    emu = emulator(training_seconds=3600)
    clock = VirtualTime(emu)
    emu.create_training_job(**request("hour", keep_alive=0))
    start = clock.time()
    assert start == datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    clock.sleep(4000)
    assert clock.time() - start == 4000
    assert clock.monotonic() == 4000 == emu.now
    described = emu.describe_training_job(TrainingJobName="hour")
    assert described["TrainingJobStatus"] == "Completed"
    assert clock.gmtime(0).tm_year == 1970  # everything else is the real time module's
    with pytest.raises(ValueError, match="non-negative"):
        clock.sleep(-1)
    with pytest.raises(TypeError, match="number"):
        clock.sleep("1")  # type: ignore[arg-type]
    assert emu.now == 4000


@pytest.fixture
def fake_sdk() -> Iterator[types.ModuleType]:
    """A stand-in for an SDK module with a waiting loop written the way the SDK's are."""
    import time as real_time

    module = types.ModuleType("warmpool_fake_sdk")
    module.time = real_time  # type: ignore[attr-defined]
    source = (
        "def wait(client, name, poll=30):\n"
        "    started = time.time()\n"
        "    while True:\n"
        "        status = client.describe_training_job(TrainingJobName=name)\n"
        "        if status['TrainingJobStatus'] != 'InProgress':\n"
        "            return status, time.time() - started\n"
        "        time.sleep(poll)\n"
    )
    exec(compile(source, "<warmpool_fake_sdk>", "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_mock_sagemaker_virtual_time_runs_waiting_loops_on_the_emulator(
    fake_sdk: types.ModuleType,
) -> None:
    import time as real_time

    emu = emulator(
        training_seconds=None,
        workload=lambda _request: JobPlan(training_seconds=3600),
    )
    with mock_sagemaker(emu, virtual_time=True, time_modules=[fake_sdk.__name__]):
        assert isinstance(fake_sdk.time, VirtualTime)
        sm = new_client()
        sm.create_training_job(**request("an-hour", keep_alive=600))
        status, waited = fake_sdk.wait(sm, "an-hour")
    restored: object = fake_sdk.time
    assert restored is real_time
    assert status["TrainingJobStatus"] == "Completed"
    assert status["WarmPoolStatus"] == {"Status": "Available"}
    # 180 s cold start + 3600 s training, polled every 30 s.
    assert 3780 <= waited < 3810
    assert emu.now == waited


def test_without_virtual_time_nothing_is_patched(fake_sdk: types.ModuleType) -> None:
    import time as real_time

    with mock_sagemaker(emulator(), time_modules=[fake_sdk.__name__]):
        assert fake_sdk.time is real_time


def test_virtual_time_skips_modules_that_are_not_installed(emu: WarmPoolEmulator) -> None:
    with mock_sagemaker(emu, virtual_time=True, time_modules=["warmpool_no_such_module.x"]):
        pass
    assert "warmpool_no_such_module" not in sys.modules
    assert "sagemaker.session" in DEFAULT_TIME_MODULES


def test_threads_sharing_an_emulator_take_turns() -> None:
    """Clients on several threads drive one emulator; the adapter serializes the calls."""
    import threading

    emu = emulator(training_seconds=None, quotas={INSTANCE_TYPE: Quota(warm_pool=0)})
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            sm = new_client()
            attach(sm, emu)
            for i in range(15):
                name = f"w{worker}-{i}"
                sm.create_training_job(**request(name, keep_alive=0))
                assert sm.describe_training_job(TrainingJobName=name)["TrainingJobName"] == name
                VirtualTime(emu).sleep(1)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(emu.job_names()) == 60
    assert emu.now == 60


def test_attached_clients_wait_for_the_emulators_lock(emu: WarmPoolEmulator, client: Any) -> None:
    """D30: a call on an attached client waits while another thread holds ``emu.lock``."""
    import threading

    answered = threading.Event()

    def call() -> None:
        client.list_training_jobs()
        answered.set()

    with emu.lock:
        worker = threading.Thread(target=call)
        worker.start()
        assert not answered.wait(0.2)
    worker.join(30)
    assert answered.is_set()
