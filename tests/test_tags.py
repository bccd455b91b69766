"""Tags on training jobs: ``AddTags``, ``ListTags``, ``DeleteTags`` and ``CreateTrainingJob``'s
``Tags`` (behaviour §9.8; issue 7; the rules are ``warmpool.tags``, the decisions D33).

The rules are tested on the Python API first, then through an attached boto3 client (with
botocore's own parameter and output validation) and through ``warmpool serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require
from tests.factories import check_output, emulator, jobs_in_every_state, request
from warmpool import Timing, WarmPoolEmulator
from warmpool.emulator import OPERATIONS
from warmpool.errors import ValidationException
from warmpool.server import input_shape, make_server
from warmpool.tags import DEFAULT_MAX_RESULTS, MAX_TAGS, TagStore
from warmpool.validation import load_model

REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/"
NOT_FOUND = "Resource does not exist"


def arn(name: str) -> str:
    return PREFIX + name


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def many(count: int, prefix: str = "key") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}-{i}", "Value": str(i)} for i in range(count)]


def listed(emu: WarmPoolEmulator, name: str) -> list[tuple[str, str]]:
    """The job's tags as ``(key, value)`` pairs, in ListTags order."""
    return [(t["Key"], t["Value"]) for t in emu.list_tags(ResourceArn=arn(name))["Tags"]]


@pytest.fixture
def emu() -> WarmPoolEmulator:
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("job-1"))
    return emu


def refused(call: Any, **kwargs: Any) -> ValidationException:
    with pytest.raises(ValidationException) as caught:
        call(**kwargs)
    return caught.value


# --- CreateTrainingJob's Tags ------------------------------------------------------------------


def test_create_tags_are_listed_in_the_order_given(emu: WarmPoolEmulator) -> None:
    """D33: a job starts with the Tags of its CreateTrainingJob, in request order."""
    given_tags = tags(("team", "ml"), ("cost-center", "42"), ("a", ""))
    emu.create_training_job(**request("tagged", Tags=given_tags))
    assert emu.list_tags(ResourceArn=arn("tagged"))["Tags"] == given_tags


def test_a_job_created_without_tags_lists_none(emu: WarmPoolEmulator) -> None:
    """D33: ListTags of an untagged job is an empty list, with no NextToken."""
    emu.create_training_job(**request("empty", Tags=[]))
    for name in ("job-1", "empty"):
        body = emu.list_tags(ResourceArn=arn(name))
        assert body["Tags"] == []
        assert "NextToken" not in body


def test_create_with_a_duplicate_tag_key_is_refused_and_creates_nothing(
    emu: WarmPoolEmulator,
) -> None:
    """D33: SageMaker refuses a key given twice ("Duplicate tag key"); D15: before anything."""
    error = refused(
        emu.create_training_job, **request("dup", Tags=tags(("team", "a"), ("team", "b")))
    )
    assert error.message.startswith("Duplicate tag key 'team'")
    assert error.field == "Tags[1].Key"
    assert error.operation == "CreateTrainingJob"
    assert emu.job_names() == ["job-1"]


def test_create_with_an_aws_prefixed_key_is_refused(emu: WarmPoolEmulator) -> None:
    """D33: keys starting with aws: (any case) are reserved for AWS."""
    error = refused(emu.create_training_job, **request("sys", Tags=tags(("AWS:team", "a"))))
    assert "reserved for AWS" in error.message
    assert error.field == "Tags[0].Key"
    assert emu.job_names() == ["job-1"]


def test_create_with_more_than_50_tags_is_refused_by_the_model(emu: WarmPoolEmulator) -> None:
    """§9 / the model: CreateTrainingJob's TagList holds at most 50 tags."""
    error = refused(emu.create_training_job, **request("lots", Tags=many(51)))
    assert "Member must have length less than or equal to 50" in error.message
    emu.create_training_job(**request("fifty", Tags=many(50)))
    assert len(listed(emu, "fifty")) == 50


def test_tag_rules_come_after_the_model_and_before_a_duplicate_name(
    emu: WarmPoolEmulator,
) -> None:
    """D15/D33: model problems first, then the tag rules, then ResourceInUse."""
    bad_tags = tags(("k", "1"), ("k", "2"))
    # An underscore breaks the name's pattern: the model's problem is reported, not the tags'.
    model_error = refused(emu.create_training_job, **request("bad_name", Tags=bad_tags))
    assert model_error.field == "TrainingJobName"
    tag_error = refused(emu.create_training_job, **request("job-1", Tags=bad_tags))
    assert tag_error.message.startswith("Duplicate tag key")


def test_tags_are_not_part_of_the_identity_key() -> None:
    """§3: jobs that differ only in tags (given or added) still take over each other's pools."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("first", Tags=tags(("team", "a"))))
    emu.add_tags(ResourceArn=arn("first"), Tags=tags(("extra", "x")))
    emu.advance(180 + 600)
    emu.create_training_job(**request("second", Tags=tags(("team", "b"))))
    described = emu.describe_training_job(TrainingJobName="first")
    assert described["WarmPoolStatus"]["ReusedByJob"] == "second"
    assert "Tags" not in described  # D22: Describe does not echo tags


# --- AddTags -----------------------------------------------------------------------------------


def test_add_tags_adds_and_answers_with_every_tag_of_the_job(emu: WarmPoolEmulator) -> None:
    """D33: AddTags answers with all the job's tags after the change, not just the new ones."""
    first = emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1")))
    assert first["Tags"] == tags(("a", "1"))
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    second = emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("b", "2")))
    assert second["Tags"] == tags(("a", "1"), ("b", "2"))
    assert listed(emu, "job-1") == [("a", "1"), ("b", "2")]


def test_add_tags_overwrites_the_value_of_an_existing_key_in_place(
    emu: WarmPoolEmulator,
) -> None:
    """AWS: "Adds or overwrites"; D33: the overwritten key keeps its place in ListTags."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1"), ("b", "2"), ("c", "3")))
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("d", "4"), ("b", "two")))
    assert listed(emu, "job-1") == [("a", "1"), ("b", "two"), ("c", "3"), ("d", "4")]


def test_add_tags_with_an_empty_list_changes_nothing(emu: WarmPoolEmulator) -> None:
    """The model allows an empty Tags list: it adds nothing and answers the current tags."""
    assert emu.add_tags(ResourceArn=arn("job-1"), Tags=[])["Tags"] == []
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1")))
    assert emu.add_tags(ResourceArn=arn("job-1"), Tags=[])["Tags"] == tags(("a", "1"))


def test_add_tags_refuses_a_key_given_twice_in_one_request(emu: WarmPoolEmulator) -> None:
    """D33: even with equal values, one request may not name a key twice; nothing changes."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("keep", "me")))
    error = refused(
        emu.add_tags, ResourceArn=arn("job-1"), Tags=tags(("x", "1"), ("y", "2"), ("x", "1"))
    )
    assert error.message == (
        "Duplicate tag key 'x' at 'tags.3.member.key': tag keys must be unique per resource"
    )
    assert error.field == "Tags[2].Key"
    assert listed(emu, "job-1") == [("keep", "me")]


@pytest.mark.parametrize("key", ["aws:team", "AWS:team", "Aws:", "aWs:x"])
def test_add_tags_refuses_aws_prefixed_keys_in_any_case(emu: WarmPoolEmulator, key: str) -> None:
    """D33: the aws: prefix is reserved for AWS, whatever its case."""
    error = refused(emu.add_tags, ResourceArn=arn("job-1"), Tags=tags(("ok", "1"), (key, "v")))
    assert error.message == (
        "Tag keys starting with 'aws:' (in any case) are reserved for AWS and cannot be added: "
        f"{key!r} at 'tags.2.member.key'"
    )
    assert listed(emu, "job-1") == []


def test_aws_elsewhere_in_a_key_or_in_a_value_is_allowed(emu: WarmPoolEmulator) -> None:
    """D33: only keys *starting* with aws: are reserved; values are free."""
    allowed = tags(("my-aws:key", "aws:value"), ("aws", "x"), ("awsx:y", "z"))
    assert emu.add_tags(ResourceArn=arn("job-1"), Tags=allowed)["Tags"] == allowed


def test_tag_keys_are_case_sensitive(emu: WarmPoolEmulator) -> None:
    """AWS: "Tag keys and values are case sensitive"."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("Team", "a"), ("team", "b")))
    emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["TEAM"])
    assert listed(emu, "job-1") == [("Team", "a"), ("team", "b")]


def test_a_job_has_at_most_50_tags(emu: WarmPoolEmulator) -> None:
    """D33: AddTags that would leave more than 50 tags is refused whole."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=many(49))
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("fiftieth", "x")))
    assert len(listed(emu, "job-1")) == MAX_TAGS == 50
    error = refused(emu.add_tags, ResourceArn=arn("job-1"), Tags=tags(("one-more", "x")))
    assert error.message == (
        "Tags would exceed the limit of 50 tags per resource: training job 'job-1' has 50 and "
        "the request adds 1 new key"
    )
    assert error.field == "Tags"
    assert ("one-more", "x") not in listed(emu, "job-1")


def test_the_limit_counts_overwritten_keys_once(emu: WarmPoolEmulator) -> None:
    """D33: at 50 tags, overwriting existing keys is allowed; a mixed request that would add a
    new key is refused whole (the overwrite in it does not happen either)."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=many(50))
    body = emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("key-0", "new"), ("key-49", "new")))
    assert body["Tags"][0] == {"Key": "key-0", "Value": "new"}
    refused(emu.add_tags, ResourceArn=arn("job-1"), Tags=tags(("key-1", "new"), ("extra", "x")))
    assert listed(emu, "job-1")[1] == ("key-1", "1")


# --- DeleteTags --------------------------------------------------------------------------------


def test_delete_tags_removes_keys_and_ignores_absent_ones(emu: WarmPoolEmulator) -> None:
    """D33: DeleteTags of a key the job does not have is not an error (it does nothing)."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1"), ("b", "2"), ("c", "3")))
    body = emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["b", "absent", "b"])
    assert set(body) == {"ResponseMetadata"}
    assert listed(emu, "job-1") == [("a", "1"), ("c", "3")]
    emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["a", "c"])
    assert listed(emu, "job-1") == []
    emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["a"])  # nothing left: still fine


def test_a_deleted_then_added_key_moves_to_the_end(emu: WarmPoolEmulator) -> None:
    """D33: ListTags order is the order keys were (last) first added."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1"), ("b", "2")))
    emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["a"])
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "again")))
    assert listed(emu, "job-1") == [("b", "2"), ("a", "again")]


def test_delete_tags_refuses_aws_prefixed_keys(emu: WarmPoolEmulator) -> None:
    """D33: keys starting with aws: cannot be deleted either."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1")))
    error = refused(emu.delete_tags, ResourceArn=arn("job-1"), TagKeys=["a", "aws:cloudformation"])
    assert "reserved for AWS and cannot be deleted" in error.message
    assert error.field == "TagKeys[1]"
    assert listed(emu, "job-1") == [("a", "1")]


def test_delete_tags_needs_one_to_50_keys(emu: WarmPoolEmulator) -> None:
    """The model: TagKeys holds 1..50 keys of 1..128 characters."""
    assert "at 'tagKeys'" in refused(emu.delete_tags, ResourceArn=arn("job-1"), TagKeys=[]).message
    too_many = [f"k{i}" for i in range(51)]
    refused(emu.delete_tags, ResourceArn=arn("job-1"), TagKeys=too_many)
    refused(emu.delete_tags, ResourceArn=arn("job-1"), TagKeys=["x" * 129])


# --- ListTags ----------------------------------------------------------------------------------


def test_list_tags_max_results_is_at_least_50_and_one_page_holds_every_tag(
    emu: WarmPoolEmulator,
) -> None:
    """The model: MaxResults >= 50; D33: default 50, so a job's (at most 50) tags fit one page."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=many(50))
    for kwargs in ({}, {"MaxResults": 50}, {"MaxResults": 1000}):
        body = emu.list_tags(ResourceArn=arn("job-1"), **kwargs)
        assert len(body["Tags"]) == 50
        assert "NextToken" not in body
    error = refused(emu.list_tags, ResourceArn=arn("job-1"), MaxResults=49)
    assert "Member must have value greater than or equal to 50" in error.message
    assert error.field == "MaxResults"


def test_list_tags_refuses_a_next_token_it_did_not_issue(emu: WarmPoolEmulator) -> None:
    """D33: NextToken is opaque; a token ListTags did not issue is a ValidationException (an
    empty one counts as absent, as for ListTrainingJobs)."""
    for token in ("x", "bm9wZQ==", "WyJMaXN0VGFncyIsMF0=", "WyJMaXN0VGFncyIsIjIiXQ=="):
        error = refused(emu.list_tags, ResourceArn=arn("job-1"), NextToken=token)
        assert "Member must be a NextToken returned by ListTags" in error.message
        assert error.field == "NextToken"
    assert emu.list_tags(ResourceArn=arn("job-1"), NextToken="")["Tags"] == []


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (20, 1), (21, 2), (40, 2), (41, 3), (45, 3)])
def test_list_tags_pages_with_next_token(count: int, pages: int) -> None:
    """D33: the pager itself (reachable at the API only with pages under 50): pages follow
    ListTags order, a NextToken only while tags remain (no empty last page), and the tokens
    round-trip."""
    store = TagStore(REGION, ACCOUNT)
    store.record("job", store.checked("CreateTrainingJob", many(count)))
    exists = {"job"}.__contains__
    seen: list[str] = []
    token: str | None = None
    sizes: list[int] = []
    while True:
        req: dict[str, Any] = {"ResourceArn": arn("job"), "MaxResults": 20}
        if token:
            req["NextToken"] = token
        body = store.list_tags(req, exists)
        seen += [t["Key"] for t in body["Tags"]]
        sizes.append(len(body["Tags"]))
        token = body.get("NextToken")
        if token is None:
            break
    assert len(sizes) == pages
    assert all(size == 20 for size in sizes[:-1])
    assert seen == [f"key-{i}" for i in range(count)]


# --- ResourceArn -------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["add_tags", "list_tags", "delete_tags"])
def test_the_arn_of_a_job_that_does_not_exist_is_resource_does_not_exist(
    emu: WarmPoolEmulator, operation: str
) -> None:
    """D33: AWS answers ListTags of an ARN naming nothing with ValidationException "Resource
    does not exist" (boto/boto3#4606); the same for AddTags and DeleteTags."""
    kwargs: dict[str, Any] = {"ResourceArn": arn("no-such-job")}
    if operation == "add_tags":
        kwargs["Tags"] = tags(("a", "1"))
    elif operation == "delete_tags":
        kwargs["TagKeys"] = ["a"]
    error = refused(getattr(emu, operation), **kwargs)
    assert error.message == (
        "Resource does not exist: there is no training job named 'no-such-job' "
        f"({arn('no-such-job')})"
    )
    assert error.field == "ResourceArn"
    assert error.code == "ValidationException"


def test_tags_are_forgotten_when_the_job_is_deleted(emu: WarmPoolEmulator) -> None:
    """D33: a deleted job's ARN no longer resolves; a new job of that name starts with its own
    tags (none here)."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1")))
    emu.stop_training_job(TrainingJobName="job-1")
    emu.delete_training_job(TrainingJobName="job-1")
    assert refused(emu.list_tags, ResourceArn=arn("job-1")).message.startswith(NOT_FOUND)
    emu.create_training_job(**request("job-1"))
    assert listed(emu, "job-1") == []


@pytest.mark.parametrize(
    "other",
    [
        "arn:aws:sagemaker:eu-west-1:123456789012:training-job/job-1",
        "arn:aws:sagemaker:us-east-1:210987654321:training-job/job-1",
        "arn:aws-cn:sagemaker:us-east-1:123456789012:training-job/job-1",
        "arn:aws:sagemaker::123456789012:training-job/job-1",
    ],
)
def test_an_arn_of_another_partition_region_or_account_does_not_exist(
    emu: WarmPoolEmulator, other: str
) -> None:
    """D33: this emulator is one partition, region and account; other ARNs name nothing."""
    error = refused(emu.list_tags, ResourceArn=other)
    assert error.message == (
        f"Resource does not exist: {other} is not an ARN of this emulator's partition, region "
        "and account (arn:aws:sagemaker:us-east-1:123456789012:...)"
    )


@pytest.mark.parametrize(
    "other",
    [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/job-1",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/job-1",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:Training-Job/job-1",
    ],
)
def test_an_arn_of_another_resource_type_does_not_exist(emu: WarmPoolEmulator, other: str) -> None:
    """D33: warmpool holds training jobs only."""
    error = refused(emu.add_tags, ResourceArn=other, Tags=tags(("a", "1")))
    assert error.message.startswith(f"{NOT_FOUND}: {other} is not a training job ARN")


def test_the_job_name_in_an_arn_is_case_sensitive() -> None:
    """D22/D33: ARNs carry the name as given; a lower-cased ARN of an upper-case name names
    nothing (as on AWS, boto/boto3#4606)."""
    emu = emulator(training_seconds=None)
    created = emu.create_training_job(**request("MyJob", Tags=tags(("a", "1"))))
    assert created["TrainingJobArn"] == arn("MyJob")
    assert listed(emu, "MyJob") == [("a", "1")]
    assert refused(emu.list_tags, ResourceArn=arn("myjob")).message.startswith(NOT_FOUND)


@pytest.mark.parametrize(
    "bad", ["", "job-1", "arn:aws:s3:::bucket", f"arn:aws:sagemaker:{REGION}:1234:training-job/x"]
)
def test_a_malformed_arn_is_refused_with_awss_pattern_message(
    emu: WarmPoolEmulator, bad: str
) -> None:
    """The model's pattern, worded as AWS words it (aws-samples/mlops-sagemaker-github-actions#6:
    "Value '' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular
    expression pattern: arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"; D16 keeps the
    PascalCase path)."""
    error = refused(emu.list_tags, ResourceArn=bad)
    assert error.message == (
        f"1 validation error detected: Value '{bad}' at 'resourceArn' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"
    )


def test_request_rules_come_before_the_job_is_looked_up(emu: WarmPoolEmulator) -> None:
    """D33: model, then the request's own tag rules, then the ARN, then the 50-tag limit."""
    dup = tags(("k", "1"), ("k", "2"))
    assert refused(emu.add_tags, ResourceArn=arn("nope"), Tags=dup).message.startswith(
        "Duplicate tag key"
    )
    reserved = refused(emu.delete_tags, ResourceArn=arn("nope"), TagKeys=["aws:x"])
    assert "reserved" in reserved.message
    token = refused(emu.list_tags, ResourceArn=arn("nope"), NextToken="x")
    assert token.field == "NextToken"
    assert refused(emu.add_tags, ResourceArn=arn("nope"), Tags=many(50)).field == "ResourceArn"


# --- every state, side effects, bad requests ---------------------------------------------------


def test_jobs_in_every_state_can_be_tagged() -> None:
    """D33: tags can be added, listed and deleted whatever the job's status."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    statuses = jobs_in_every_state(emu)
    assert set(statuses.values()) >= {"InProgress", "Completed", "Failed", "Stopping"}
    for name in statuses:
        emu.add_tags(ResourceArn=arn(name), Tags=tags(("state", statuses[name])))
        assert listed(emu, name) == [("state", statuses[name])]
        emu.delete_tags(ResourceArn=arn(name), TagKeys=["state"])
        assert listed(emu, name) == []


def test_tag_operations_change_nothing_but_tags(emu: WarmPoolEmulator) -> None:
    """D33: not LastModifiedTime, not the clock, not the event log; the answers count in the
    RequestId sequence like every answer (D23)."""
    before = emu.describe_training_job(TrainingJobName="job-1")
    events = len(emu.events)
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1")))
    emu.list_tags(ResourceArn=arn("job-1"))
    last = emu.delete_tags(ResourceArn=arn("job-1"), TagKeys=["a"])
    after = emu.describe_training_job(TrainingJobName="job-1")
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert (emu.now, len(emu.events)) == (0, events)
    first_id = int(before["ResponseMetadata"]["RequestId"].replace("-", ""), 16)
    assert int(last["ResponseMetadata"]["RequestId"].replace("-", ""), 16) == first_id + 3


def snapshot(emu: WarmPoolEmulator) -> tuple[Any, ...]:
    """Everything a refused request must leave alone (read without using request ids)."""
    store_view = {name: emu.list_tags(ResourceArn=arn(name))["Tags"] for name in emu.job_names()}
    jobs = [emu.describe_training_job(TrainingJobName=name) for name in emu.job_names()]
    for job in jobs:
        del job["ResponseMetadata"]
    return emu.now, len(emu.events), emu.job_names(), store_view, jobs


BAD_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": tags(("a", "x"), ("a", "y"))}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": tags(("b", "new"), ("aws:c", "z"))}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": many(49, "more")}),
    ("add_tags", {"ResourceArn": arn("nope"), "Tags": tags(("a", "1"))}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": [{"Key": "a"}]}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": tags(("a", "bad\x00"))}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": tags(("", "empty key"))}),
    ("add_tags", {"ResourceArn": arn("job-1"), "Tags": tags(("a", "1")), "Extra": 1}),
    ("delete_tags", {"ResourceArn": arn("job-1"), "TagKeys": ["a", "aws:b"]}),
    ("delete_tags", {"ResourceArn": arn("nope"), "TagKeys": ["a"]}),
    ("delete_tags", {"ResourceArn": arn("job-1"), "TagKeys": "a"}),
    ("list_tags", {"ResourceArn": arn("job-1"), "NextToken": "forged"}),
    ("list_tags", {"ResourceArn": arn("job-1"), "MaxResults": 0}),
    ("list_tags", {}),
    ("create_training_job", request("job-2", Tags=tags(("x", "1"), ("x", "1")))),
    ("create_training_job", request("job-2", Tags=tags(("aws:x", "1")))),
]


@pytest.mark.parametrize(("operation", "kwargs"), BAD_REQUESTS)
def test_a_bad_request_never_changes_state(
    emu: WarmPoolEmulator, operation: str, kwargs: dict[str, Any]
) -> None:
    """D33 / the project's rule: a refused request changes nothing (no tag, no job, no event)."""
    emu.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1"), ("b", "2")))
    before = snapshot(emu)
    error = refused(getattr(emu, operation), **kwargs)
    assert error.code == "ValidationException"
    assert error.message
    assert snapshot(emu) == before


# --- the store: memory -------------------------------------------------------------------------


def test_the_store_holds_nothing_for_jobs_without_tags() -> None:
    """Memory (1M-job replays): an untagged job takes no room, and emptying a job's tags
    frees its entry."""
    store = TagStore(REGION, ACCOUNT)
    names = [f"job-{i}" for i in range(1000)]
    exists = set(names).__contains__
    for name in names:
        store.record(name, store.checked("CreateTrainingJob", None))
        store.record(name, store.checked("CreateTrainingJob", []))
    assert len(store) == 0
    store.add_tags({"ResourceArn": arn("job-1"), "Tags": []}, exists)
    store.delete_tags({"ResourceArn": arn("job-1"), "TagKeys": ["a"]}, exists)
    assert len(store) == 0
    store.add_tags({"ResourceArn": arn("job-1"), "Tags": tags(("a", "1"))}, exists)
    assert len(store) == 1
    store.delete_tags({"ResourceArn": arn("job-1"), "TagKeys": ["a"]}, exists)
    assert len(store) == 0
    store.add_tags({"ResourceArn": arn("job-2"), "Tags": tags(("a", "1"))}, exists)
    store.forget("job-2")
    assert len(store) == 0


def test_equal_tag_sets_are_stored_once() -> None:
    """Memory: jobs with equal tags share one frozen tuple."""
    store = TagStore(REGION, ACCOUNT)
    first = store.checked("CreateTrainingJob", tags(("team", "ml"), ("env", "test")))
    second = store.checked("CreateTrainingJob", tags(("team", "ml"), ("env", "test")))
    assert first == (("team", "ml"), ("env", "test"))
    assert first is second


# --- Hypothesis: any sequence of adds and deletes ----------------------------------------------

KEYS = [f"k{i}" for i in range(60)] + ["aws:x", "AWS:y"]
key_st = st.sampled_from(KEYS)
value_st = st.sampled_from(["", "v", "w"])
add_st = st.tuples(
    st.just("add"), st.integers(0, 1), st.lists(st.tuples(key_st, value_st), max_size=30)
)
delete_st = st.tuples(
    st.just("delete"), st.integers(0, 1), st.lists(key_st, min_size=1, max_size=8)
)


@settings(max_examples=60)
@given(st.lists(st.one_of(add_st, delete_st), max_size=25))
def test_any_sequence_of_adds_and_deletes_keeps_list_tags_equal_to_a_model(
    steps: list[tuple[str, int, Any]],
) -> None:
    """D33 as a property: after any sequence of AddTags / DeleteTags (valid or not), ListTags
    of each job equals a plain dict model (insertion order, overwrite in place), never holds
    more than 50 keys, and a refused request leaves the model's state unchanged."""
    emu = emulator(training_seconds=None)
    names = ["job-a", "job-b"]
    for name in names:
        emu.create_training_job(**request(name))
    model: dict[str, dict[str, str]] = {name: {} for name in names}
    for kind, which, payload in steps:
        name = names[which]
        current = model[name]
        if kind == "add":
            keys = [key for key, _value in payload]
            should_pass = (
                len(set(keys)) == len(keys)
                and not any(key.lower().startswith("aws:") for key in keys)
                and len(current.keys() | set(keys)) <= MAX_TAGS
            )
            call = emu.add_tags
            kwargs: dict[str, Any] = {"ResourceArn": arn(name), "Tags": tags(*payload)}
        else:
            should_pass = not any(key.lower().startswith("aws:") for key in payload)
            call = emu.delete_tags
            kwargs = {"ResourceArn": arn(name), "TagKeys": payload}
        if should_pass:
            body = call(**kwargs)
            if kind == "add":
                current.update(payload)
                assert body["Tags"] == tags(*current.items())
            else:
                for key in payload:
                    current.pop(key, None)
        else:
            refused(call, **kwargs)
        for each in names:
            assert listed(emu, each) == list(model[each].items())
            assert len(model[each]) <= MAX_TAGS


# --- the bundled model -------------------------------------------------------------------------

TAG_OPERATIONS = ("AddTags", "ListTags", "DeleteTags")


def _without_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_docs(v)
            for k, v in value.items()
            if k not in ("documentation", "documentationUrl")
        }
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def _reached(model: dict[str, Any], operations: list[str]) -> set[str]:
    names: set[str] = set()
    todo = [
        model["operations"][op][part]["shape"]
        for op in operations
        for part in ("input", "output")
        if part in model["operations"][op]
    ]
    todo += [
        error["shape"] for op in operations for error in model["operations"][op].get("errors", [])
    ]
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        shape = model["shapes"][name]
        todo += [member["shape"] for member in shape.get("members", {}).values()]
        todo += [shape[part]["shape"] for part in ("member", "key", "value") if part in shape]
    return names


def test_the_bundled_model_has_the_tag_operations_as_botocore_does() -> None:
    """The bundled excerpt holds AddTags, ListTags, DeleteTags and every shape they reach,
    equal to the installed botocore's (the tag shapes have not changed for years), and no
    shape that no operation reaches."""
    loaders = require("botocore.loaders")
    full = _without_docs(loaders.Loader().load_service_model("sagemaker", "service-2"))
    bundled = load_model()
    for operation in TAG_OPERATIONS:
        assert bundled["operations"][operation] == full["operations"][operation]
    for name in _reached(full, list(TAG_OPERATIONS)):
        assert bundled["shapes"][name] == full["shapes"][name], name
    assert set(bundled["shapes"]) == _reached(bundled, list(bundled["operations"]))
    assert bundled["shapes"]["ListTagsMaxResults"]["min"] == DEFAULT_MAX_RESULTS
    assert bundled["shapes"]["TagList"]["max"] == MAX_TAGS


def test_the_tag_operations_are_served_with_their_own_input_shapes() -> None:
    """OPERATIONS lists the tag operations; the wire server decodes each request by the input
    shape botocore's model names (AddTagsInput, not AddTagsRequest)."""
    model = load_model()
    for operation in TAG_OPERATIONS:
        assert OPERATIONS[operation] in ("add_tags", "list_tags", "delete_tags")
    for operation in OPERATIONS:
        assert input_shape(operation) in model["shapes"]
    assert input_shape("ListTags") == "ListTagsInput"


# --- through boto3 -----------------------------------------------------------------------------


def sagemaker_client(**kwargs: Any) -> Any:
    boto3 = require("boto3")
    kwargs.setdefault("region_name", REGION)
    return boto3.client(
        "sagemaker", aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs
    )


@pytest.fixture
def client(emu: WarmPoolEmulator) -> Iterator[Any]:
    from warmpool.aws import attach

    sm = sagemaker_client()
    with attach(sm, emu):
        yield sm


def test_tags_through_an_attached_boto3_client(emu: WarmPoolEmulator, client: Any) -> None:
    """D28/D33: the three operations answer through a real client, and every answer passes
    botocore's own output validation."""
    created = client.create_training_job(**request("tagged", Tags=tags(("team", "ml"))))
    job_arn = created["TrainingJobArn"]
    listed_now = client.list_tags(ResourceArn=job_arn)
    check_output(client, "ListTags", listed_now)
    assert listed_now["Tags"] == tags(("team", "ml"))
    added = client.add_tags(ResourceArn=job_arn, Tags=tags(("env", "test"), ("team", "ops")))
    check_output(client, "AddTags", added)
    assert added["Tags"] == tags(("team", "ops"), ("env", "test"))
    deleted = client.delete_tags(ResourceArn=job_arn, TagKeys=["env"])
    check_output(client, "DeleteTags", deleted)
    assert client.list_tags(ResourceArn=job_arn, MaxResults=50)["Tags"] == tags(("team", "ops"))
    paginator = client.get_paginator("list_tags")
    assert list(paginator.paginate(ResourceArn=job_arn).search("Tags")) == tags(("team", "ops"))


def test_tag_errors_through_boto3_are_client_errors(emu: WarmPoolEmulator, client: Any) -> None:
    """D28/D33: the emulator's refusals arrive as ValidationException ClientErrors; botocore
    refuses MaxResults below 50 and a tag without Value itself (client-side)."""
    exceptions = require("botocore.exceptions")
    with pytest.raises(exceptions.ClientError) as caught:
        client.list_tags(ResourceArn=arn("nope"))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"].startswith(NOT_FOUND)
    with pytest.raises(exceptions.ClientError) as duplicate:
        client.add_tags(ResourceArn=arn("job-1"), Tags=tags(("a", "1"), ("a", "2")))
    assert duplicate.value.response["Error"]["Message"].startswith("Duplicate tag key")
    with pytest.raises(exceptions.ParamValidationError):
        client.list_tags(ResourceArn=arn("job-1"), MaxResults=10)
    with pytest.raises(exceptions.ParamValidationError):
        client.add_tags(ResourceArn=arn("job-1"), Tags=[{"Key": "a"}])
    assert listed(emu, "job-1") == []


def test_tags_through_mock_sagemaker(emu: WarmPoolEmulator) -> None:
    """D30: clients created inside mock_sagemaker tag the emulator's jobs."""
    from warmpool.aws import mock_sagemaker

    with mock_sagemaker(emu):
        sm = sagemaker_client()
        sm.add_tags(ResourceArn=arn("job-1"), Tags=tags(("via", "mock")))
    assert listed(emu, "job-1") == [("via", "mock")]


# --- through warmpool serve --------------------------------------------------------------------


def test_tags_over_the_wire(emu: WarmPoolEmulator) -> None:
    """D32/D33: the three operations over SageMaker's JSON protocol, with botocore's output
    validation of each answer, AWS-shaped errors, and refused requests changing nothing."""
    config = require("botocore.config")
    exceptions = require("botocore.exceptions")
    with make_server(emu).start() as server:
        wire = sagemaker_client(
            endpoint_url=server.url, config=config.Config(retries={"max_attempts": 1})
        )
        raw = sagemaker_client(
            endpoint_url=server.url,
            config=config.Config(retries={"max_attempts": 1}, parameter_validation=False),
        )
        wire.create_training_job(**request("wired", Tags=tags(("team", "ml"))))
        first = wire.list_tags(ResourceArn=arn("wired"))
        check_output(wire, "ListTags", first)
        assert first["Tags"] == tags(("team", "ml"))
        added = wire.add_tags(ResourceArn=arn("wired"), Tags=tags(("env", "prod")))
        check_output(wire, "AddTags", added)
        assert added["Tags"] == tags(("team", "ml"), ("env", "prod"))
        check_output(
            wire, "DeleteTags", wire.delete_tags(ResourceArn=arn("wired"), TagKeys=["team"])
        )
        with server.lock:
            before = snapshot(emu)
        with pytest.raises(exceptions.ClientError) as caught:
            wire.add_tags(ResourceArn=arn("wired"), Tags=tags(("aws:x", "1")))
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert "reserved for AWS" in caught.value.response["Error"]["Message"]
        with pytest.raises(exceptions.ClientError) as small_page:
            raw.list_tags(ResourceArn=arn("wired"), MaxResults=1)
        assert "greater than or equal to 50" in small_page.value.response["Error"]["Message"]
        with pytest.raises(exceptions.ClientError) as missing:
            wire.delete_tags(ResourceArn=arn("gone"), TagKeys=["a"])
        assert missing.value.response["Error"]["Message"].startswith(NOT_FOUND)
        with server.lock:
            assert snapshot(emu) == before
        assert wire.list_tags(ResourceArn=arn("wired"))["Tags"] == tags(("env", "prod"))
