"""CreateTrainingJob validation through the public API (behaviour §9.1 Create, D15, D16).

Every rule is checked with the error's ``code``, ``operation`` and ``field`` and with a message
that names the field and the rule. A refused create must leave the emulator exactly as it was:
same jobs, events, quotas, clock, billing, and the workload hook not called.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from tests.factories import INSTANCE_TYPE, ROLE, emulator, request
from warmpool import JobPlan, Limits, Quota, WarmPoolEmulator, errors
from warmpool.events import QuotaRefused

OP = "CreateTrainingJob"
NAME_PATTERN = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
ROLE_PATTERN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
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


# --- local helpers ---------------------------------------------------------------------------


class CountingWorkload:
    """A workload hook that records every request it is given."""

    def __init__(self, seconds: float = 600) -> None:
        self.requests: list[dict[str, Any]] = []
        self.plan = JobPlan(training_seconds=seconds)

    def __call__(self, req: Mapping[str, Any]) -> JobPlan:
        self.requests.append(copy.deepcopy(dict(req)))
        return self.plan


def snapshot(emu: WarmPoolEmulator) -> dict[str, Any]:
    """Everything observable about an emulator's state (ResponseMetadata left out)."""
    describes = {}
    for name in emu.job_names():
        body = emu.describe_training_job(TrainingJobName=name)
        body.pop("ResponseMetadata")
        describes[name] = body
    return {
        "jobs": emu.job_names(),
        "describes": describes,
        "pools": {name: emu.warm_pool(name) for name in emu.job_names()},
        "events": list(emu.events),
        "quotas": emu.quotas.usages(),
        "now": emu.now,
        "scheduled": len(emu.clock),
        "retained": list(emu.billing.retained),
        "training": list(emu.billing.training),
        "open": emu.billing.open_retained(),
    }


def busy_emulator(
    *, policy: Mapping[str, Any] | None = GUIDE_POLICY
) -> tuple[WarmPoolEmulator, CountingWorkload]:
    """An emulator with an ``Available`` pool (``pool-job``) and a starting job (``busy-job``),
    a training limit of 2 m5 instances (both used) and, by default, the AWS guide's IAM policy."""
    hook = CountingWorkload()
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(training=2, warm_pool=5)},
        workload=hook,
        keep_alive_policy=policy,
    )
    emu.create_training_job(**request("pool-job", keep_alive=600))
    emu.advance(1000)  # pool-job trained 180..780 and is Available until 1380
    emu.create_training_job(**request("busy-job", keep_alive=600, volume_size=60))
    assert emu.describe_training_job(TrainingJobName="pool-job")["WarmPoolStatus"] == {
        "Status": "Available"
    }
    assert len(hook.requests) == 2
    return emu, hook


def refuse(
    emu: WarmPoolEmulator, req: Mapping[str, Any], kind: type[errors.WarmPoolError]
) -> errors.WarmPoolError:
    """Create ``req``, expect exactly ``kind``, and return the error."""
    with pytest.raises(errors.WarmPoolError) as caught:
        emu.create_training_job(**req)
    assert type(caught.value) is kind, caught.value
    assert caught.value.code == kind.code
    assert caught.value.operation == OP
    return caught.value


def invalid(
    req: Mapping[str, Any], *, emu: WarmPoolEmulator | None = None
) -> errors.ValidationException:
    """Create ``req`` on a fresh (or given) emulator and return its ValidationException."""
    error = refuse(emulator() if emu is None else emu, req, errors.ValidationException)
    assert isinstance(error, errors.ValidationException)
    assert error.code == "ValidationException"
    return error


def assert_names(error: errors.ValidationException, field: str, at: str, rule: str) -> None:
    """The error is about ``field`` (as the caller wrote it) and its message names the rule and
    the field as SageMaker's JSON endpoint writes it, ``at`` (D16)."""
    assert error.field == field
    assert f" at '{at}' failed to satisfy constraint: " in error.message
    assert rule in error.message
    assert error.message.startswith("1 validation error detected: ")


def accepted(req: Mapping[str, Any], *, emu: WarmPoolEmulator | None = None) -> dict[str, Any]:
    emu = emulator() if emu is None else emu
    response = emu.create_training_job(**req)
    assert response["TrainingJobArn"].endswith(":training-job/" + req["TrainingJobName"])
    return emu.describe_training_job(TrainingJobName=req["TrainingJobName"])


def with_resource(name: str, **resource: Any) -> dict[str, Any]:
    """A request whose ResourceConfig is exactly ``resource``."""
    return request(name, ResourceConfig=resource)


def role_of_length(n: int) -> str:
    prefix = "arn:aws:iam::123456789012:role/"
    return prefix + "r" * (n - len(prefix))


# --- TrainingJobName ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["bad_name", "-leading", "trailing-", "has space", "dot.name", "under_score-1", "a-", "-"],
)
def test_training_job_name_outside_the_pattern_is_refused(name: str) -> None:
    """behaviour §9: TrainingJobName must fully match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}."""
    error = invalid(request(name))
    assert_names(
        error, "TrainingJobName", "trainingJobName", f"regular expression pattern: {NAME_PATTERN}"
    )
    assert f"Value '{name}'" in error.message


def test_training_job_name_of_64_characters_is_refused_for_its_length() -> None:
    """behaviour §9.1 / botocore's model: TrainingJobName is 1..63 characters."""
    error = invalid(request("a" * 64))
    assert error.field == "TrainingJobName"
    assert "'trainingJobName'" in error.message
    assert "Member must have length less than or equal to 63" in error.message


def test_training_job_name_must_match_fully_not_just_a_prefix() -> None:
    """behaviour §9: the pattern is a full match (valid prefix 'ok' then '_x' is refused)."""
    error = invalid(request("ok_x"))
    assert_names(error, "TrainingJobName", "trainingJobName", "regular expression pattern")


@pytest.mark.parametrize("name", ["a", "0", "a--b", "A1-b2---c3", "x" * 63, "a" + "-" * 61 + "b"])
def test_training_job_names_in_the_pattern_are_accepted_including_hyphen_runs(name: str) -> None:
    """behaviour §9: hyphen runs between alphanumerics are allowed, up to 63 characters."""
    body = accepted(request(name))
    assert body["TrainingJobName"] == name


# --- duplicate names -------------------------------------------------------------------------


def test_duplicate_name_of_a_running_job_is_resource_in_use() -> None:
    """behaviour §9: a live job of the same name -> ResourceInUse."""
    emu = emulator()
    emu.create_training_job(**request("dup"))
    error = refuse(emu, request("dup", volume_size=99), errors.ResourceInUse)
    assert error.code == "ResourceInUse"
    assert error.message == (
        "Training job names must be unique within an AWS account and region, and a training "
        "job with this name already exists "
        "(arn:aws:sagemaker:us-east-1:123456789012:training-job/dup)"
    )


def test_duplicate_name_of_a_completed_job_is_still_resource_in_use() -> None:
    """behaviour §9: a job record lives until deleted; its name stays taken while it is terminal."""
    emu = emulator(warm_pool=0)
    emu.create_training_job(**request("dup"))
    emu.advance(1000)
    assert emu.describe_training_job(TrainingJobName="dup")["TrainingJobStatus"] == "Completed"
    refuse(emu, request("dup"), errors.ResourceInUse)


def test_name_is_accepted_again_after_the_job_is_deleted() -> None:
    """behaviour §9.5 / D19: after DeleteTrainingJob the name is free."""
    emu = emulator()
    emu.create_training_job(**request("again", keep_alive=None))
    emu.advance(1000)
    emu.delete_training_job(TrainingJobName="again")
    emu.create_training_job(**request("again", keep_alive=None))
    body = emu.describe_training_job(TrainingJobName="again")
    assert body["TrainingJobStatus"] == "InProgress"
    assert body["CreationTime"] == emu.clock.to_datetime(1000)


# --- RoleArn -----------------------------------------------------------------------------------


def test_role_arn_shorter_than_20_characters_is_refused() -> None:
    """behaviour §9: RoleArn has 20..2048 characters."""
    error = invalid(request("r", role="arn:aws:iam::1:r/x"))
    assert error.field == "RoleArn"
    assert "'roleArn'" in error.message
    assert "Member must have length greater than or equal to 20" in error.message


def test_role_arn_of_2049_characters_is_refused_and_2048_accepted() -> None:
    """behaviour §9: RoleArn has at most 2048 characters."""
    error = invalid(request("r", role=role_of_length(2049)))
    assert_names(error, "RoleArn", "roleArn", "Member must have length less than or equal to 2048")
    assert accepted(request("r", role=role_of_length(2048)))["RoleArn"] == role_of_length(2048)


@pytest.mark.parametrize(
    "role",
    [
        "arn:aws:iam::12345:role/SageMakerRole",
        "arn:aws:s3:::my-bucket/some/role/path",
        "arn:aws:iam::123456789012:user/SageMaker",
        "arn:aws:iam::123456789012:role/Bad Role",
        "xarn:aws:iam::123456789012:role/SageMakerRole",
    ],
)
def test_role_arn_outside_the_pattern_is_refused(role: str) -> None:
    """behaviour §9: RoleArn must fully match the IAM role ARN pattern."""
    error = invalid(request("r", role=role))
    assert_names(error, "RoleArn", "roleArn", f"regular expression pattern: {ROLE_PATTERN}")


@pytest.mark.parametrize(
    "role",
    [ROLE, "arn:aws-cn:iam::123456789012:role/path/to/Role_1+=,.@-"],
)
def test_role_arns_in_the_pattern_are_accepted(role: str) -> None:
    """behaviour §9: valid role ARNs, partitions included, are accepted."""
    assert accepted(request("r", role=role))["RoleArn"] == role


# --- ResourceConfig ----------------------------------------------------------------------------


def test_missing_resource_config_is_refused() -> None:
    """behaviour §9.1 / D16: ResourceConfig is required by warmpool."""
    req = request("rc")
    del req["ResourceConfig"]
    error = invalid(req)
    assert_names(error, "ResourceConfig", "resourceConfig", "Member must not be null")


def test_resource_config_without_instance_type_is_refused() -> None:
    """behaviour §9.1 / D16: ResourceConfig needs InstanceType (unless InstanceGroups)."""
    error = invalid(with_resource("rc", InstanceCount=1, VolumeSizeInGB=50))
    assert_names(
        error,
        "ResourceConfig.InstanceType",
        "resourceConfig.instanceType",
        "Member must not be null",
    )


def test_resource_config_without_instance_count_is_refused() -> None:
    """behaviour §9.1 / D16: ResourceConfig needs InstanceCount >= 1."""
    error = invalid(with_resource("rc", InstanceType=INSTANCE_TYPE))
    assert_names(
        error,
        "ResourceConfig.InstanceCount",
        "resourceConfig.instanceCount",
        "Member must not be null",
    )


def test_instance_count_0_is_refused() -> None:
    """behaviour §9: InstanceCount >= 1 (the model allows 0; warmpool does not)."""
    error = invalid(request("rc", instance_count=0))
    assert_names(
        error,
        "ResourceConfig.InstanceCount",
        "resourceConfig.instanceCount",
        "Member must have value greater than or equal to 1",
    )
    assert "Value '0'" in error.message


def test_instance_groups_together_with_instance_type_is_refused() -> None:
    """D16: InstanceType with InstanceCount, or InstanceGroups, not both."""
    group = {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"}
    error = invalid(with_resource("rc", InstanceType=INSTANCE_TYPE, InstanceGroups=[group]))
    assert_names(
        error, "ResourceConfig.InstanceType", "resourceConfig.instanceType", "InstanceGroups"
    )


def test_validation_messages_write_instance_group_paths_as_1_based_member_steps() -> None:
    """D16: a rule warmpool adds to the model (InstanceCount >= 1 in a group) names the group
    as SageMaker's JSON endpoint does; ``field`` is the path as the caller wrote it."""
    groups = [
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 0, "InstanceGroupName": "g2"},
    ]
    error = invalid(with_resource("hetero", InstanceGroups=groups))
    assert error.field == "ResourceConfig.InstanceGroups[1].InstanceCount"
    assert error.message == (
        "1 validation error detected: Value '0' at "
        "'resourceConfig.instanceGroups.2.member.instanceCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_instance_groups_alone_are_accepted() -> None:
    """D16: InstanceGroups without InstanceType is a valid ResourceConfig."""
    groups = [
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
        {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "InstanceGroupName": "g2"},
    ]
    body = accepted(with_resource("hetero", InstanceGroups=groups, VolumeSizeInGB=30))
    assert body["ResourceConfig"]["InstanceGroups"] == groups
    assert "WarmPoolStatus" not in body


@pytest.mark.parametrize(
    ("member", "at"),
    [
        ("SelectedInstanceType", "resourceConfig.selectedInstanceType"),
        ("SelectedInstanceCount", "resourceConfig.selectedInstanceCount"),
    ],
)
def test_selected_instance_members_are_read_only_and_refused(member: str, at: str) -> None:
    """D16: SelectedInstanceType / SelectedInstanceCount are read-only."""
    value: Any = INSTANCE_TYPE if member == "SelectedInstanceType" else 1
    error = invalid(
        with_resource("rc", InstanceType=INSTANCE_TYPE, InstanceCount=1, **{member: value})
    )
    assert_names(error, f"ResourceConfig.{member}", at, "read-only")


def test_instance_preferences_are_refused_as_not_emulated() -> None:
    """D16: InstancePreferences is not emulated and is refused."""
    error = invalid(
        with_resource(
            "rc",
            InstanceType=INSTANCE_TYPE,
            InstanceCount=1,
            InstancePreferences=[{"InstanceType": INSTANCE_TYPE}],
        )
    )
    assert_names(
        error,
        "ResourceConfig.InstancePreferences",
        "resourceConfig.instancePreferences",
        "not emulated",
    )


# --- KeepAlivePeriodInSeconds --------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_keep_alive_bool_is_refused_as_not_an_integer(value: bool) -> None:
    """behaviour §9: KeepAlivePeriodInSeconds is an int, not a bool."""
    error = invalid(request("ka", keep_alive=value))
    assert_names(
        error,
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "resourceConfig.keepAlivePeriodInSeconds",
        "Member must be of type integer",
    )


@pytest.mark.parametrize("value", ["60", 60.0, 1.5, None])
def test_keep_alive_of_another_type_is_refused(value: Any) -> None:
    """behaviour §9: KeepAlivePeriodInSeconds must be an int (None is refused as null)."""
    req = request("ka")
    req["ResourceConfig"]["KeepAlivePeriodInSeconds"] = value
    error = invalid(req)
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    assert "'resourceConfig.keepAlivePeriodInSeconds'" in error.message


def test_negative_keep_alive_is_refused() -> None:
    """behaviour §9: KeepAlivePeriodInSeconds is in 0..max."""
    error = invalid(request("ka", keep_alive=-1))
    assert_names(
        error,
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "resourceConfig.keepAlivePeriodInSeconds",
        "Member must have value greater than or equal to 0",
    )


@pytest.mark.parametrize(
    ("limits", "maximum"),
    [(Limits.GUIDE_2022, 3600), (Limits.DOCS_CURRENT, 3600), (Limits.API_MODEL, 21600)],
    ids=["guide-2022", "docs-current", "api-model"],
)
def test_keep_alive_maximum_follows_the_limits_preset(limits: Limits, maximum: int) -> None:
    """behaviour §2 / §9 / D1: the maximum keep-alive is the preset's; max+1 is refused."""
    error = invalid(request("over", keep_alive=maximum + 1), emu=emulator(limits=limits))
    assert_names(
        error,
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "resourceConfig.keepAlivePeriodInSeconds",
        f"Member must have value less than or equal to {maximum}",
    )
    assert f"Value '{maximum + 1}'" in error.message
    body = accepted(request("at-max", keep_alive=maximum), emu=emulator(limits=limits))
    assert body["ResourceConfig"]["KeepAlivePeriodInSeconds"] == maximum


def test_keep_alive_above_the_guide_2022_maximum_is_refused_by_default() -> None:
    """D1 / D16: Limits.GUIDE_2022 is the default, so 21600 is refused without a preset."""
    error = invalid(request("over", keep_alive=21600), emu=WarmPoolEmulator())
    assert "less than or equal to 3600" in error.message


def test_custom_limits_set_the_keep_alive_maximum() -> None:
    """D1: any Limits(...) may be used."""
    emu = emulator(limits=Limits(max_keep_alive_seconds=100, max_pool_lifetime_seconds=10_000))
    error = invalid(request("over", keep_alive=101), emu=emu)
    assert "less than or equal to 100" in error.message
    accepted(request("ok", keep_alive=100), emu=emu)


def test_keep_alive_0_is_accepted() -> None:
    """behaviour §9: 0 is within 0..max."""
    body = accepted(request("zero", keep_alive=0))
    assert body["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 0
    assert "WarmPoolStatus" not in body  # behaviour §6: no keep-alive, no warm pool status


def test_keep_alive_with_managed_spot_training_is_refused() -> None:
    """behaviour §9.1 / D3: keep-alive > 0 with EnableManagedSpotTraining=True is refused."""
    error = invalid(request("spot", keep_alive=60, EnableManagedSpotTraining=True))
    assert_names(
        error,
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "resourceConfig.keepAlivePeriodInSeconds",
        "EnableManagedSpotTraining",
    )
    assert "Value '60'" in error.message


def test_keep_alive_0_or_absent_with_managed_spot_training_is_accepted() -> None:
    """behaviour §9.1 / D3: spot jobs without keep-alive are fine."""
    assert accepted(request("spot0", keep_alive=0, EnableManagedSpotTraining=True))[
        "EnableManagedSpotTraining"
    ]
    accepted(request("spotnone", keep_alive=None, EnableManagedSpotTraining=True))


def test_keep_alive_with_spot_flag_false_is_accepted() -> None:
    """behaviour §9: only EnableManagedSpotTraining=True conflicts with keep-alive."""
    body = accepted(request("nospot", keep_alive=600, EnableManagedSpotTraining=False))
    assert body["WarmPoolStatus"] == {"Status": "InUse"}


def test_keep_alive_with_instance_groups_is_refused() -> None:
    """behaviour §9.1 / D3: keep-alive > 0 with InstanceGroups is refused."""
    group = {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"}
    error = invalid(with_resource("hetero", InstanceGroups=[group], KeepAlivePeriodInSeconds=30))
    assert_names(
        error,
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "resourceConfig.keepAlivePeriodInSeconds",
        "InstanceGroups",
    )


def test_keep_alive_0_with_instance_groups_is_accepted() -> None:
    """behaviour §9.1 / D3: keep-alive 0 is allowed with InstanceGroups."""
    group = {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"}
    accepted(with_resource("hetero", InstanceGroups=[group], KeepAlivePeriodInSeconds=0))


# --- VpcConfig ---------------------------------------------------------------------------------


def vpc(groups: int = 1, subnets: int = 1) -> dict[str, list[str]]:
    return {
        "SecurityGroupIds": [f"sg-{i:08x}" for i in range(groups)],
        "Subnets": [f"subnet-{i:08x}" for i in range(subnets)],
    }


@pytest.mark.parametrize(
    ("groups", "subnets", "field", "rule"),
    [
        (0, 1, "SecurityGroupIds", "length greater than or equal to 1"),
        (6, 1, "SecurityGroupIds", "length less than or equal to 5"),
        (1, 0, "Subnets", "length greater than or equal to 1"),
        (1, 17, "Subnets", "length less than or equal to 16"),
    ],
)
def test_vpc_config_list_sizes_outside_the_bounds_are_refused(
    groups: int, subnets: int, field: str, rule: str
) -> None:
    """behaviour §9: VpcConfig has 1..5 security groups and 1..16 subnets."""
    error = invalid(request("vpc", VpcConfig=vpc(groups, subnets)))
    at = "vpcConfig.securityGroupIds" if field == "SecurityGroupIds" else "vpcConfig.subnets"
    assert_names(error, f"VpcConfig.{field}", at, rule)


def test_vpc_config_at_the_list_bounds_is_accepted() -> None:
    """behaviour §9: 5 security groups and 16 subnets are allowed."""
    body = accepted(request("vpc", VpcConfig=vpc(5, 16)))
    assert body["VpcConfig"] == vpc(5, 16)


VPC_ID_RULES = (
    "Member must satisfy constraint: [Member must have length less than or equal to 32, "
    "Member must have length greater than or equal to 0, "
    "Member must satisfy regular expression pattern: [-0-9a-zA-Z]+]"
)


@pytest.mark.parametrize(
    ("member", "value", "at"),
    [
        ("SecurityGroupIds", "sg_123", "vpcConfig.securityGroupIds"),
        ("SecurityGroupIds", "sg-1.2", "vpcConfig.securityGroupIds"),
        ("SecurityGroupIds", "s" * 33, "vpcConfig.securityGroupIds"),
        ("Subnets", "subnet 1", "vpcConfig.subnets"),
        ("Subnets", "subnet-" + "0" * 26, "vpcConfig.subnets"),
    ],
)
def test_vpc_ids_with_bad_characters_or_over_32_characters_are_refused(
    member: str, value: str, at: str
) -> None:
    """behaviour §9.1 / D16: VPC ids match [-0-9a-zA-Z]+ and have at most 32 characters; AWS reports
    the items' rules once, at the list, whichever rule the item broke."""
    config = vpc(1, 1)
    config[member] = [config[member][0], value]
    error = invalid(request("vpc", VpcConfig=config))
    assert_names(error, f"VpcConfig.{member}[1]", at, VPC_ID_RULES)
    assert f"Value '[{config[member][0]}, {value}]'" in error.message


def test_vpc_ids_of_32_characters_are_accepted() -> None:
    """behaviour §9: 32 characters is the maximum, inclusive."""
    accepted(request("vpc", VpcConfig={"SecurityGroupIds": ["s" * 32], "Subnets": ["n" * 32]}))


# --- StoppingCondition ---------------------------------------------------------------------


def test_max_runtime_0_is_refused() -> None:
    """behaviour §9: MaxRuntimeInSeconds >= 1."""
    error = invalid(request("mr", StoppingCondition={"MaxRuntimeInSeconds": 0}))
    assert_names(
        error,
        "StoppingCondition.MaxRuntimeInSeconds",
        "stoppingCondition.maxRuntimeInSeconds",
        "Member must have value greater than or equal to 1",
    )


def test_max_runtime_1_is_accepted() -> None:
    """behaviour §9: MaxRuntimeInSeconds = 1 is the minimum."""
    body = accepted(request("mr", StoppingCondition={"MaxRuntimeInSeconds": 1}))
    assert body["StoppingCondition"] == {"MaxRuntimeInSeconds": 1}


# --- parameter names -------------------------------------------------------------------------


def test_unknown_top_level_parameter_is_refused() -> None:
    """behaviour §9: unknown parameter names are refused and named."""
    error = invalid(request("unk", KeepAlivePeriodInSeconds=60))
    assert error.field == "KeepAlivePeriodInSeconds"
    assert "Unknown parameter 'KeepAlivePeriodInSeconds'" in error.message


@pytest.mark.parametrize(
    ("member", "value", "parent", "unknown"),
    [
        (
            "ResourceConfig",
            {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "KeepAlive": 60},
            "ResourceConfig",
            "KeepAlive",
        ),
        (
            "OutputDataConfig",
            {"S3OutputPath": "s3://b/o", "Bucket": "b"},
            "OutputDataConfig",
            "Bucket",
        ),
        ("StoppingCondition", {"MaxRuntime": 10}, "StoppingCondition", "MaxRuntime"),
        (
            "VpcConfig",
            {"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"], "VpcId": "v"},
            "VpcConfig",
            "VpcId",
        ),
    ],
)
def test_unknown_nested_parameter_is_refused_and_named_with_its_parent(
    member: str, value: dict[str, Any], parent: str, unknown: str
) -> None:
    """behaviour §9: unknown nested parameter names are refused too."""
    extra: dict[str, Any] = {member: value}
    error = invalid(request("unk", **extra))
    assert error.field == f"{parent}.{unknown}"
    assert f"Unknown parameter '{unknown}' at '{parent}'" in error.message


def test_parameter_names_are_case_sensitive() -> None:
    """behaviour §9: 'trainingJobName' is not a known parameter of CreateTrainingJob."""
    error = invalid(request("case", hyperParameters={"a": "1"}))
    assert error.field == "hyperParameters"
    assert "Unknown parameter 'hyperParameters'" in error.message


def full_request(name: str) -> dict[str, Any]:
    """A request with many optional documented members set."""
    return request(
        name,
        HyperParameters={"epochs": "2", "learning-rate": "0.001"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://bucket/train",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
                "CompressionType": "None",
                "InputMode": "File",
            }
        ],
        VpcConfig={"SecurityGroupIds": ["sg-0123abcd"], "Subnets": ["subnet-1", "subnet-2"]},
        EnableNetworkIsolation=True,
        EnableInterContainerTrafficEncryption=True,
        EnableManagedSpotTraining=False,
        CheckpointConfig={"S3Uri": "s3://bucket/checkpoints", "LocalPath": "/opt/ml/checkpoints"},
        Environment={"PIP_CACHE_DIR": "/opt/ml/sagemaker/warmpoolcache/pip", "MODE": "fast"},
        RetryStrategy={"MaximumRetryAttempts": 3},
        Tags=[{"Key": "team", "Value": "ml"}, {"Key": "cost-center", "Value": "42"}],
        DebugHookConfig={
            "S3OutputPath": "s3://bucket/debug",
            "LocalPath": "/opt/ml/output/tensors",
            "HookParameters": {"save_interval": "100"},
            "CollectionConfigurations": [
                {"CollectionName": "losses", "CollectionParameters": {"save_interval": "10"}}
            ],
        },
        DebugRuleConfigurations=[
            {
                "RuleConfigurationName": "LossNotDecreasing",
                "RuleEvaluatorImage": "503895931360.dkr.ecr.us-east-1.amazonaws.com/debugger",
                "RuleParameters": {"rule_to_invoke": "LossNotDecreasing"},
            }
        ],
        ProfilerConfig={
            "S3OutputPath": "s3://bucket/profiler",
            "ProfilingIntervalInMilliseconds": 500,
        },
        ProfilerRuleConfigurations=[
            {
                "RuleConfigurationName": "ProfilerReport",
                "RuleEvaluatorImage": "503895931360.dkr.ecr.us-east-1.amazonaws.com/profiler",
            }
        ],
        ExperimentConfig={
            "ExperimentName": "exp-1",
            "TrialName": "trial-1",
            "TrialComponentDisplayName": "component-1",
            "RunName": "run-1",
        },
        SessionChainingConfig={"EnableSessionTagChaining": False},
        InfraCheckConfig={"EnableInfraCheck": True},
        RemoteDebugConfig={"EnableRemoteDebug": False},
        TensorBoardOutputConfig={"S3OutputPath": "s3://bucket/tb", "LocalPath": "/opt/ml/tb"},
    )


def test_request_with_many_documented_members_is_accepted() -> None:
    """behaviour §9: every documented member is accepted."""
    hook = CountingWorkload()
    emu = emulator(workload=hook)
    req = full_request("full")
    req["ResourceConfig"]["VolumeKmsKeyId"] = "arn:aws:kms:us-east-1:123456789012:key/abc-123"
    req["StoppingCondition"] = {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    req["OutputDataConfig"] = {"S3OutputPath": "s3://bucket/output", "CompressionType": "GZIP"}
    req["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "train:loss", "Regex": "loss=([0-9.]+)"}
    ]
    body = accepted(req, emu=emu)
    assert hook.requests == [req]
    assert body["HyperParameters"] == req["HyperParameters"]
    assert body["InputDataConfig"] == req["InputDataConfig"]
    assert body["TrainingJobStatus"] == "InProgress"


# --- several problems in one message -------------------------------------------------------


def test_several_model_problems_are_reported_in_one_message() -> None:
    """D16: every problem is reported in one error; field is the first."""
    req = request("bad_name", keep_alive=99999, Bogus=1)
    error = invalid(req)
    assert error.message.startswith("3 validation errors detected: ")
    assert error.field == "TrainingJobName"
    assert "'trainingJobName'" in error.message
    assert "'resourceConfig.keepAlivePeriodInSeconds'" in error.message
    assert "less than or equal to 3600" in error.message
    assert "Unknown parameter 'Bogus'" in error.message


def test_problems_in_several_members_are_all_named() -> None:
    """D16: problems at nested paths are all reported, separated by '; '."""
    req = request("ok", role="arn:aws:iam::12345:role/x", VpcConfig=vpc(6, 0))
    req["StoppingCondition"] = {"MaxRuntimeInSeconds": 0}
    error = invalid(req)
    assert error.message.startswith("4 validation errors detected: ")
    for field in (
        "roleArn",
        "vpcConfig.securityGroupIds",
        "vpcConfig.subnets",
        "stoppingCondition.maxRuntimeInSeconds",
    ):
        assert f" at '{field}' " in error.message
    assert error.field == "RoleArn"


def test_a_model_problem_and_a_resource_config_rule_are_reported_together() -> None:
    """D16: 'Every problem in a request is reported in one error' includes the §9.1 rules the
    model cannot express (here: a bad name and InstanceCount 0)."""
    error = invalid(request("bad_name", instance_count=0))
    assert error.field == "TrainingJobName"
    assert error.message.startswith("2 validation errors detected: ")
    assert "'resourceConfig.instanceCount'" in error.message


def test_two_resource_config_rules_are_reported_together() -> None:
    """D16: two broken §9.1 rules (InstanceCount 0, keep-alive with spot) give one error with
    both problems."""
    error = invalid(request("two", instance_count=0, keep_alive=60, EnableManagedSpotTraining=True))
    assert error.message.startswith("2 validation errors detected: ")
    assert "'resourceConfig.instanceCount'" in error.message
    assert "'resourceConfig.keepAlivePeriodInSeconds'" in error.message


# --- bad input never changes state ---------------------------------------------------------


def _bad_requests() -> list[tuple[str, dict[str, Any], type[errors.WarmPoolError]]]:
    spot = request("spot", keep_alive=60, EnableManagedSpotTraining=True)
    no_resource = request("nores")
    del no_resource["ResourceConfig"]
    group = {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"}
    return [
        ("bad-name", request("bad_name", keep_alive=600), errors.ValidationException),
        ("name-64", request("n" * 64, keep_alive=600), errors.ValidationException),
        (
            "role",
            request("r", keep_alive=600, role="arn:aws:iam::1:role/x"),
            errors.ValidationException,
        ),
        ("no-resource", no_resource, errors.ValidationException),
        ("count-0", request("c0", keep_alive=600, instance_count=0), errors.ValidationException),
        ("keep-alive-max", request("ka", keep_alive=3601), errors.ValidationException),
        ("keep-alive-bool", request("kb", keep_alive=True), errors.ValidationException),
        ("spot", spot, errors.ValidationException),
        (
            "groups",
            with_resource("g", InstanceGroups=[group], KeepAlivePeriodInSeconds=60),
            errors.ValidationException,
        ),
        ("vpc", request("v", keep_alive=600, VpcConfig=vpc(6, 1)), errors.ValidationException),
        (
            "max-runtime",
            request("m", keep_alive=600, StoppingCondition={"MaxRuntimeInSeconds": 0}),
            errors.ValidationException,
        ),
        ("unknown", request("u", keep_alive=600, Bogus=1), errors.ValidationException),
        (
            "selected",
            with_resource(
                "s", InstanceType=INSTANCE_TYPE, InstanceCount=1, SelectedInstanceCount=1
            ),
            errors.ValidationException,
        ),
        # matches pool-job's Available pool: a refused create must not take it
        ("duplicate", request("busy-job", keep_alive=600), errors.ResourceInUse),
        ("iam-denied", request("iam", keep_alive=3000), errors.AccessDeniedException),
    ]


@pytest.mark.parametrize(
    ("req", "kind"),
    [(req, kind) for _, req, kind in _bad_requests()],
    ids=[case for case, _, _ in _bad_requests()],
)
def test_refused_create_changes_nothing_and_does_not_call_the_hook(
    req: dict[str, Any], kind: type[errors.WarmPoolError]
) -> None:
    """behaviour §9 / D15: bad input never changes state; the hook runs only for accepted
    creates."""
    emu, hook = busy_emulator()
    before = snapshot(emu)
    sent = copy.deepcopy(req)
    refuse(emu, req, kind)
    assert req == sent  # the caller's request is not mutated either
    assert snapshot(emu) == before
    assert len(hook.requests) == 2
    # and the emulator still works afterwards: the pool is still there for a matching job
    emu.create_training_job(**request("next-job", keep_alive=600))
    assert emu.describe_training_job(TrainingJobName="pool-job")["WarmPoolStatus"]["Status"] == (
        "Reused"
    )


def test_quota_refused_create_changes_nothing_but_logs_a_quota_refusal() -> None:
    """behaviour §7 / §9 / D14: ResourceLimitExceeded changes no state; only QuotaRefused is
    logged."""
    emu, hook = busy_emulator()
    before = snapshot(emu)
    refuse(emu, request("third", keep_alive=600, volume_size=70), errors.ResourceLimitExceeded)
    after = snapshot(emu)
    old_events: list[Any] = before.pop("events")
    all_events: list[Any] = after.pop("events")
    assert all_events[: len(old_events)] == old_events
    assert all_events[len(old_events) :] == [
        QuotaRefused(1000, "third", "training", INSTANCE_TYPE, 2, 2, 1)
    ]
    assert after == before
    assert len(hook.requests) == 2


# --- D15: order of checks --------------------------------------------------------------------


def test_iam_denied_request_with_a_duplicate_name_is_access_denied() -> None:
    """D15: the IAM policy is checked before the duplicate name."""
    emu, _ = busy_emulator()
    error = refuse(emu, request("busy-job", keep_alive=3000), errors.AccessDeniedException)
    assert "sagemaker:KeepAlivePeriod" in error.message


def test_bad_shape_request_with_a_duplicate_name_is_a_validation_error() -> None:
    """D15: request shape is checked before the duplicate name."""
    emu, _ = busy_emulator()
    error = refuse(emu, request("busy-job", keep_alive=600, Bogus=1), errors.ValidationException)
    assert isinstance(error, errors.ValidationException)
    assert error.field == "Bogus"


def test_bad_shape_request_denied_by_iam_is_a_validation_error() -> None:
    """D15: request shape is checked before the IAM policy."""
    emu, _ = busy_emulator()
    error = refuse(emu, request("x", keep_alive=3601), errors.ValidationException)
    assert isinstance(error, errors.ValidationException)
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"


def test_resource_config_rule_is_checked_before_iam() -> None:
    """D15: the ResourceConfig rules of §9 come before the IAM policy."""
    emu, _ = busy_emulator()
    req = request("spot", keep_alive=3000, EnableManagedSpotTraining=True)
    error = refuse(emu, req, errors.ValidationException)
    assert isinstance(error, errors.ValidationException)
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"


def test_shape_is_checked_before_the_resource_config_rules() -> None:
    """D15: a model problem is reported even when a ResourceConfig rule is also broken."""
    emu, _ = busy_emulator()
    error = refuse(emu, request("bad_name", instance_count=0), errors.ValidationException)
    assert isinstance(error, errors.ValidationException)
    assert error.field == "TrainingJobName"


def test_duplicate_name_is_checked_before_quotas() -> None:
    """D15: a duplicate name over the training limit is ResourceInUse, not a quota error."""
    emu, _ = busy_emulator()
    before = list(emu.events)
    refuse(emu, request("busy-job", keep_alive=600, volume_size=70), errors.ResourceInUse)
    assert list(emu.events) == before  # no QuotaRefused either


def test_iam_is_checked_before_quotas() -> None:
    """D15: an IAM-denied request over the training limit is AccessDenied."""
    emu, _ = busy_emulator()
    refuse(emu, request("new", keep_alive=3000, volume_size=70), errors.AccessDeniedException)


def test_max_runtime_above_28_days_is_refused_naming_the_field() -> None:
    """D16: MaxRuntimeInSeconds is at most 28 days (AWS API reference)."""
    emu = emulator()
    body = request("long", StoppingCondition={"MaxRuntimeInSeconds": 28 * 86400 + 1})
    with pytest.raises(errors.ValidationException) as caught:
        emu.create_training_job(**body)
    assert caught.value.field == "StoppingCondition.MaxRuntimeInSeconds"
    assert "less than or equal to 2419200" in caught.value.message
    assert emu.job_names() == []
    emu.create_training_job(**request("ok", StoppingCondition={"MaxRuntimeInSeconds": 28 * 86400}))
    assert emu.job_names() == ["ok"]


def test_max_wait_shorter_than_max_runtime_is_refused_naming_the_field() -> None:
    """D16: MaxWaitTimeInSeconds must be at least MaxRuntimeInSeconds (AWS API reference)."""
    emu = emulator()
    body = request(
        "spot",
        keep_alive=None,
        EnableManagedSpotTraining=True,
        StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 1800},
    )
    with pytest.raises(errors.ValidationException) as caught:
        emu.create_training_job(**body)
    assert caught.value.field == "StoppingCondition.MaxWaitTimeInSeconds"
    assert "greater than or equal to StoppingCondition.MaxRuntimeInSeconds" in caught.value.message
    body["StoppingCondition"] = {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 3600}
    emu.create_training_job(**body)
    assert emu.job_names() == ["spot"]


def test_training_instance_types_are_the_types_create_training_job_accepts() -> None:
    """behaviour §2 / D15: ``warmpool.TRAINING_INSTANCE_TYPES`` lists botocore's
    ``TrainingInstanceType`` enum: each type in it is accepted, one not in it is refused."""
    from warmpool import TRAINING_INSTANCE_TYPES

    assert len(set(TRAINING_INSTANCE_TYPES)) == len(TRAINING_INSTANCE_TYPES) > 100
    for index, instance_type in enumerate(TRAINING_INSTANCE_TYPES):
        accepted(with_resource(f"job-{index}", InstanceType=instance_type, InstanceCount=1))
    assert "ml.g5.xlarg" not in TRAINING_INSTANCE_TYPES
    error = invalid(with_resource("typo", InstanceType="ml.g5.xlarg", InstanceCount=1))
    assert_names(
        error,
        "ResourceConfig.InstanceType",
        "resourceConfig.instanceType",
        "Member must satisfy enum value set",
    )
