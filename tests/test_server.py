"""warmpool.server and ``warmpool serve``: SageMaker's JSON 1.1 wire protocol over HTTP.

The SageMaker tests drive a server on an ephemeral loopback port with a real boto3 client, so
botocore's own serializer (epoch-second timestamps, ``X-Amz-Target``) and parser (``__type``,
``message``, epoch-second responses) are exercised. Malformed input is sent with ``http.client``.
The rules are those of behaviour §12.3 and D32.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, Protocol

import pytest

from tests.conftest import require, require_executable
from tests.factories import INSTANCE_TYPE, check_output, jobs_in_every_state, request
from warmpool import Limits, Quota, Timing, WarmPoolEmulator
from warmpool.cli import build_emulator, main
from warmpool.errors import ValidationException
from warmpool.server import (
    OPERATIONS,
    WarmPoolServer,
    decode_request,
    encode_response,
    make_server,
    sagemaker_operation_names,
    warn_if_exposed,
)

boto3 = require("boto3")
botocore_config = require("botocore.config")
botocore_exceptions = require("botocore.exceptions")

ClientError = botocore_exceptions.ClientError
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the emulator clock's default epoch
EPOCH_SECONDS = 1767225600
AWS_JSON = "application/x-amz-json-1.1"
TIMEOUT = 10  # seconds: every socket and subprocess wait is bounded

_SESSION = boto3.session.Session(
    aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
)


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


def new_emulator(**kwargs: Any) -> WarmPoolEmulator:
    """Warm pool quota for INSTANCE_TYPE; jobs train until a control call."""
    kwargs.setdefault("quotas", {INSTANCE_TYPE: Quota(warm_pool=4)})
    return WarmPoolEmulator(**kwargs)


@pytest.fixture
def emu() -> WarmPoolEmulator:
    return new_emulator()


@pytest.fixture
def server(emu: WarmPoolEmulator) -> Iterator[WarmPoolServer]:
    with make_server(emu).start() as running:
        yield running


def sagemaker(server: WarmPoolServer) -> Any:
    """A boto3 SageMaker client for ``server``: dummy credentials, no retries."""
    return _SESSION.client(
        "sagemaker",
        endpoint_url=server.url,
        config=botocore_config.Config(
            retries={"max_attempts": 1}, connect_timeout=TIMEOUT, read_timeout=TIMEOUT
        ),
    )


@pytest.fixture
def client(server: WarmPoolServer) -> Any:
    return sagemaker(server)


class Endpoint(Protocol):
    """Where a server listens: a :class:`WarmPoolServer`, or an :class:`Address`."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


class Address(NamedTuple):
    host: str
    port: int


class Reply:
    """A raw HTTP response: status, headers (lower-case names) and the body as JSON."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.raw = response.read()
        self.json: Any = json.loads(self.raw) if self.raw else None

    def assert_error(self, status: int, code: str) -> str:
        """Check an AWS-style error; return its message."""
        assert (self.status, self.json["__type"]) == (status, code), self.raw
        assert set(self.json) == {"__type", "message"}
        assert self.headers["x-amzn-errortype"] == code
        assert self.headers["x-amzn-requestid"]
        assert self.headers["content-type"] == AWS_JSON
        return str(self.json["message"])


def send(
    server: Endpoint,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a fresh connection."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return Reply(connection.getresponse())
    finally:
        connection.close()


def call(server: Endpoint, operation: str, payload: Any, **headers: str) -> Reply:
    """``POST /`` as botocore sends it (unless ``headers`` override)."""
    sent = {"X-Amz-Target": f"SageMaker.{operation}", "Content-Type": AWS_JSON, **headers}
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send(server, "POST", "/", body, sent)


def control(server: Endpoint, route: str, payload: Any = None) -> Reply:
    body = None if payload is None else json.dumps(payload).encode()
    return send(server, "POST", f"/_warmpool/{route}", body, {"Content-Type": "application/json"})


def snapshot(server: WarmPoolServer) -> tuple[Any, ...]:
    """Everything a bad request must leave alone."""
    emu = server.emulator
    with server.lock:
        jobs = []
        for name in emu.job_names():
            described = emu.describe_training_job(TrainingJobName=name)
            del described["ResponseMetadata"]
            jobs.append(described)
        return emu.now, emu.next_event_time(), len(emu.events), jobs


def create(client: Any, name: str, **extra: Any) -> None:
    client.create_training_job(**request(name, **extra))


# --------------------------------------------------------------------------------------------
# boto3 through the wire: the AWS guide's walk-through
# --------------------------------------------------------------------------------------------


def test_guide_walkthrough_over_boto3(server: WarmPoolServer, client: Any) -> None:
    response = client.create_training_job(**request("job-1", keep_alive=1800))
    assert response["TrainingJobArn"].endswith(":training-job/job-1")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert control(server, "advance", {"seconds": 180}).status == 200  # cold start
    assert client.describe_training_job(TrainingJobName="job-1")["SecondaryStatus"] == "Training"
    assert control(server, "complete", {"TrainingJobName": "job-1"}).status == 200

    job = client.describe_training_job(TrainingJobName="job-1")
    assert job["TrainingJobStatus"] == "Completed"
    assert job["WarmPoolStatus"] == {"Status": "Available"}
    assert job["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800
    listed = client.list_training_jobs(WarmPoolStatusEquals="Available")
    assert [s["TrainingJobName"] for s in listed["TrainingJobSummaries"]] == ["job-1"]
    assert listed["TrainingJobSummaries"][0]["WarmPoolStatus"] == {"Status": "Available"}

    client.update_training_job(
        TrainingJobName="job-1", ResourceConfig={"KeepAlivePeriodInSeconds": 3600}
    )
    job = client.describe_training_job(TrainingJobName="job-1")
    assert job["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 3600

    control(server, "advance", {"seconds": 1000})
    create(client, "job-2")  # matches: takes over job-1's pool
    first = client.describe_training_job(TrainingJobName="job-1")["WarmPoolStatus"]
    assert first == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 1000,
        "ReusedByJob": "job-2",
    }
    second = client.describe_training_job(TrainingJobName="job-2")
    assert second["WarmPoolStatus"] == {"Status": "InUse"}

    control(server, "advance", {"seconds": 20})  # warm start
    control(server, "complete", {"TrainingJobName": "job-2"})
    control(server, "advance", {"seconds": 60})
    client.update_training_job(
        TrainingJobName="job-2", ResourceConfig={"KeepAlivePeriodInSeconds": 0}
    )
    pool = client.describe_training_job(TrainingJobName="job-2")["WarmPoolStatus"]
    assert pool == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 60}
    terminated = client.list_training_jobs(WarmPoolStatusEquals="Terminated")
    assert [s["TrainingJobName"] for s in terminated["TrainingJobSummaries"]] == ["job-2"]


def test_request_ids_come_from_the_emulator_for_successes(client: Any) -> None:
    first = client.list_training_jobs()["ResponseMetadata"]
    assert first["RequestId"] == "00000000-0000-0000-0000-000000000001"
    assert first["HTTPHeaders"]["x-amzn-requestid"] == first["RequestId"]
    with pytest.raises(ClientError) as caught:
        client.describe_training_job(TrainingJobName="missing")
    assert caught.value.response["ResponseMetadata"]["RequestId"].startswith("ffffffff-")


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------


def test_response_timestamps_round_trip_as_datetimes(server: WarmPoolServer, client: Any) -> None:
    control(server, "advance", {"seconds": 12.25})  # a fractional instant
    create(client, "job-1")
    control(server, "advance", {"seconds": 180})
    job = client.describe_training_job(TrainingJobName="job-1")
    direct = server.emulator.describe_training_job(TrainingJobName="job-1")
    for field in ("CreationTime", "TrainingStartTime", "LastModifiedTime"):
        assert isinstance(job[field], datetime)
        assert job[field].utcoffset() is not None
        assert job[field] == direct[field], field
    assert job["CreationTime"] == EPOCH + timedelta(seconds=12.25)
    assert job["TrainingStartTime"] == EPOCH + timedelta(seconds=192.25)
    transitions = job["SecondaryStatusTransitions"]
    assert transitions == direct["SecondaryStatusTransitions"]
    summary = client.list_training_jobs()["TrainingJobSummaries"][0]
    assert summary["CreationTime"] == EPOCH + timedelta(seconds=12.25)


def test_timestamps_are_epoch_numbers_on_the_wire(server: WarmPoolServer, client: Any) -> None:
    create(client, "job-1")
    reply = call(server, "DescribeTrainingJob", {"TrainingJobName": "job-1"})
    assert reply.status == 200
    assert reply.json["CreationTime"] == EPOCH_SECONDS
    assert isinstance(reply.json["CreationTime"], int)
    assert "ResponseMetadata" not in reply.json


def test_list_time_filters_sent_by_botocore(server: WarmPoolServer, client: Any) -> None:
    for index in range(4):  # created at 0, 100, 200, 300 s
        create(client, f"job-{index}")
        control(server, "advance", {"seconds": 100})

    def names(**filters: Any) -> list[str]:
        summaries = client.list_training_jobs(**filters)["TrainingJobSummaries"]
        return [summary["TrainingJobName"] for summary in summaries]

    assert names(CreationTimeAfter=EPOCH + timedelta(seconds=50)) == ["job-1", "job-2", "job-3"]
    assert names(CreationTimeBefore=EPOCH + timedelta(seconds=150)) == ["job-0", "job-1"]
    assert names(
        CreationTimeAfter=EPOCH + timedelta(seconds=50),
        CreationTimeBefore=datetime(2026, 1, 1, 0, 4, tzinfo=timezone.utc),
    ) == ["job-1", "job-2"]
    # botocore also accepts epoch seconds and ISO strings; it sends both as epoch seconds
    assert names(CreationTimeAfter=EPOCH_SECONDS + 250) == ["job-3"]
    # LastModifiedTime: training started at 180 (job-0), 280 (job-1) and 380 s (job-2)
    assert names(LastModifiedTimeAfter="2026-01-01T00:05:00Z") == ["job-2"]
    assert names(LastModifiedTimeBefore="2026-01-01T00:03:10Z") == ["job-0"]


def test_request_timestamps_convert_by_shape_not_by_name(server: WarmPoolServer) -> None:
    raw = call(server, "ListTrainingJobs", {"CreationTimeAfter": EPOCH_SECONDS - 1})
    assert raw.status == 200
    iso = call(server, "ListTrainingJobs", {"CreationTimeAfter": "2026-01-01T00:00:00Z"})
    assert iso.status == 200
    # a number where the model wants a string is not a timestamp: the validator refuses it
    wrong = call(server, "ListTrainingJobs", {"NameContains": EPOCH_SECONDS})
    assert " at 'nameContains' " in wrong.assert_error(400, "ValidationException")
    # out of range: left as it is, for the emulator's validator to judge
    huge = call(server, "ListTrainingJobs", {"CreationTimeAfter": 1e20})
    assert " at 'creationTimeAfter' " in huge.assert_error(400, "ValidationException")
    assert call(server, "ListTrainingJobs", {"CreationTimeAfter": True}).status == 400


def test_decode_request_walks_the_input_shape() -> None:
    decoded = decode_request(
        {"CreationTimeAfter": EPOCH_SECONDS + 0.5, "NameContains": "1", "Unknown": 5},
        "ListTrainingJobsRequest",
    )
    assert decoded == {
        "CreationTimeAfter": EPOCH + timedelta(seconds=0.5),
        "NameContains": "1",
        "Unknown": 5,
    }
    plain = {"TrainingJobName": "x"}
    assert decode_request(plain, "DescribeTrainingJobRequest") is plain  # no timestamps inside
    assert encode_response({"A": EPOCH + timedelta(microseconds=250000)}) == (
        b'{"A":1767225600.25}'
    )


# --------------------------------------------------------------------------------------------
# Errors through boto3
# --------------------------------------------------------------------------------------------


def test_describe_of_unknown_job_is_a_validation_exception(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.describe_training_job(TrainingJobName="no-such-job")
    error = caught.value.response
    assert error["Error"] == {
        "Code": "ValidationException",
        "Message": "Requested resource not found.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_delete_of_unknown_job_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFound) as caught:
        client.delete_training_job(TrainingJobName="no-such-job")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


def test_duplicate_name_is_resource_in_use(client: Any) -> None:
    create(client, "job-1")
    with pytest.raises(client.exceptions.ResourceInUse):
        create(client, "job-1")


def test_training_quota_is_resource_limit_exceeded() -> None:
    emu = new_emulator(quotas={INSTANCE_TYPE: Quota(training=1, warm_pool=0)})
    with make_server(emu).start() as server:
        client = sagemaker(server)
        create(client, "job-1")
        with pytest.raises(client.exceptions.ResourceLimitExceeded) as caught:
            create(client, "job-2")
        message = caught.value.response["Error"]["Message"]
        assert message.startswith(f"The account-level service limit '{INSTANCE_TYPE} for")
        assert server.emulator.job_names() == ["job-1"]


def test_validation_messages_are_the_emulators(client: Any) -> None:
    bad = request("bad_name", keep_alive=7200)  # botocore checks neither pattern nor max
    with pytest.raises(ValidationException) as direct:
        new_emulator().create_training_job(**bad)
    with pytest.raises(ClientError) as caught:
        client.create_training_job(**bad)
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": direct.value.message,
    }
    assert " at 'resourceConfig.keepAlivePeriodInSeconds' " in direct.value.message


def test_validation_messages_write_member_paths_in_lower_camel_case_over_the_wire(
    server: WarmPoolServer, client: Any
) -> None:
    """D16: ``warmpool serve`` answers with the core's message, member paths written as
    SageMaker's JSON endpoint writes them, both in the raw JSON body and through boto3."""
    bad = request("bad", keep_alive=7200)
    bad["Tags"] = [{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "#"}]
    bad["Environment"] = {"1BAD": "x"}
    with pytest.raises(ValidationException) as direct:
        new_emulator().create_training_job(**bad)
    expected = direct.value.message
    assert expected.startswith("3 validation errors detected: ")
    assert " at 'resourceConfig.keepAlivePeriodInSeconds' failed " in expected
    assert "Value '#' at 'tags.2.member.value' failed to satisfy constraint: " in expected
    assert (
        "Value '{1BAD=x}' at 'environment' failed to satisfy constraint: Map keys must satisfy "
        in expected
    )
    raw = call(server, "CreateTrainingJob", bad).assert_error(400, "ValidationException")
    assert raw == expected
    with pytest.raises(ClientError) as caught:
        client.create_training_job(**bad)
    assert caught.value.response["Error"]["Message"] == expected
    assert server.emulator.job_names() == []


def test_validation_message_in_the_json_body(server: WarmPoolServer) -> None:
    reply = call(server, "CreateTrainingJob", {**request("job-1"), "Bogus": 1})
    message = reply.assert_error(400, "ValidationException")
    with pytest.raises(ValidationException) as direct:
        new_emulator().create_training_job(**request("job-1"), Bogus=1)
    assert message == direct.value.message
    assert server.emulator.job_names() == []


def test_non_emulated_operation_via_boto3(server: WarmPoolServer, client: Any) -> None:
    before = snapshot(server)
    with pytest.raises(ClientError) as caught:
        client.create_endpoint(EndpointName="endpoint", EndpointConfigName="config")
    error = caught.value.response
    assert error["Error"]["Code"] == "NotImplemented"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    message = error["Error"]["Message"]
    assert "does not emulate the SageMaker operation CreateEndpoint" in message
    assert all(operation in message for operation in OPERATIONS)
    assert snapshot(server) == before


def test_pagination_over_next_token(server: WarmPoolServer, client: Any) -> None:
    names = [f"job-{index}" for index in range(7)]
    for name in names:
        create(client, name)
        control(server, "advance", {"seconds": 1})
    paginator = client.get_paginator("list_training_jobs")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(page["TrainingJobSummaries"]) for page in pages] == [3, 3, 1]
    assert "NextToken" in pages[0]
    assert "NextToken" not in pages[-1]
    listed = [s["TrainingJobName"] for page in pages for s in page["TrainingJobSummaries"]]
    assert listed == names
    descending = paginator.paginate(SortOrder="Descending", PaginationConfig={"PageSize": 2})
    listed = [s["TrainingJobName"] for s in descending.search("TrainingJobSummaries")]
    assert listed == names[::-1]


def test_all_six_operations_over_the_wire(server: WarmPoolServer, client: Any) -> None:
    create(client, "job-1", keep_alive=0)
    control(server, "advance", {"seconds": 180})
    client.update_training_job(
        TrainingJobName="job-1", ProfilerConfig={"ProfilingIntervalInMilliseconds": 1000}
    )
    client.stop_training_job(TrainingJobName="job-1")
    job = client.describe_training_job(TrainingJobName="job-1")
    assert job["TrainingJobStatus"] == "Stopped"
    client.delete_training_job(TrainingJobName="job-1")
    assert client.list_training_jobs()["TrainingJobSummaries"] == []


def test_every_answer_over_the_wire_passes_botocores_output_validation() -> None:
    """What botocore's parser makes of the server's JSON fits each operation's output shape,
    for a job in every status and warm pool status (D32)."""
    emu = new_emulator(timing=Timing(stopping_seconds=30))
    with make_server(emu).start() as running:
        sm = sagemaker(running)
        with running.lock:
            statuses = jobs_in_every_state(emu)
        pools = set()
        for name in sorted(statuses):
            described = sm.describe_training_job(TrainingJobName=name)
            check_output(sm, "DescribeTrainingJob", described)
            assert described["TrainingJobStatus"] == statuses[name]
            pools.add(described.get("WarmPoolStatus", {}).get("Status"))
        assert pools >= {"InUse", "Available", "Reused", "Terminated"}
        for kwargs in ({}, {"WarmPoolStatusEquals": "Available"}, {"MaxResults": 3}):
            check_output(sm, "ListTrainingJobs", sm.list_training_jobs(**kwargs))
        available = sm.list_training_jobs(WarmPoolStatusEquals="Available")
        name = available["TrainingJobSummaries"][0]["TrainingJobName"]
        updated = sm.update_training_job(
            TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 60}
        )
        check_output(sm, "UpdateTrainingJob", updated)
        check_output(sm, "CreateTrainingJob", sm.create_training_job(**request("new")))
        check_output(sm, "StopTrainingJob", sm.stop_training_job(TrainingJobName="new"))
        check_output(sm, "DeleteTrainingJob", sm.delete_training_job(TrainingJobName="ended"))


# --------------------------------------------------------------------------------------------
# Malformed requests: AWS-style errors, state untouched, the server keeps serving
# --------------------------------------------------------------------------------------------

_TARGET = {"X-Amz-Target": "SageMaker.ListTrainingJobs"}
_AWS = {**_TARGET, "Content-Type": AWS_JSON}

BAD_REQUESTS = [
    pytest.param("POST", "/", b"{not json", _AWS, 400, "SerializationException", id="bad-json"),
    pytest.param("POST", "/", b"[1, 2]", _AWS, 400, "SerializationException", id="array"),
    pytest.param("POST", "/", b"null", _AWS, 400, "SerializationException", id="null"),
    pytest.param("POST", "/", b'"text"', _AWS, 400, "SerializationException", id="string"),
    pytest.param(
        "POST", "/", b'{"MaxResults": NaN}', _AWS, 400, "SerializationException", id="nan"
    ),
    pytest.param("POST", "/", b'{"a": "\xff"}', _AWS, 400, "SerializationException", id="utf8"),
    pytest.param(
        "POST", "/", b"[" * 100000, _AWS, 400, "SerializationException", id="deep-nesting"
    ),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {**_TARGET, "Content-Type": "application/json"},
        400,
        "SerializationException",
        id="content-type",
    ),
    pytest.param("POST", "/", b"{}", _TARGET, 400, "SerializationException", id="no-type"),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {"Content-Type": AWS_JSON},
        400,
        "UnknownOperationException",
        id="no-target",
    ),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": "SageMaker.Frobnicate", "Content-Type": AWS_JSON},
        400,
        "UnknownOperationException",
        id="unknown-operation",
    ),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": "DynamoDB_20120810.ListTrainingJobs", "Content-Type": AWS_JSON},
        400,
        "UnknownOperationException",
        id="other-service",
    ),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": "SageMaker.", "Content-Type": AWS_JSON},
        400,
        "UnknownOperationException",
        id="empty-operation",
    ),
    pytest.param(
        "POST",
        "/",
        b'{"EndpointName": "e", "EndpointConfigName": "c"}',
        {"X-Amz-Target": "SageMaker.CreateEndpoint", "Content-Type": AWS_JSON},
        501,
        "NotImplemented",
        id="not-emulated",
    ),
    pytest.param("GET", "/", None, {}, 405, "MethodNotAllowed", id="get"),
    pytest.param("PUT", "/", b"{}", _AWS, 405, "MethodNotAllowed", id="put"),
    pytest.param("DELETE", "/", None, _AWS, 405, "MethodNotAllowed", id="delete"),
    pytest.param("POST", "/other", b"{}", _AWS, 404, "UnknownOperationException", id="path"),
    pytest.param(
        "POST",
        "/",
        b"{}",
        {**_AWS, "Content-Length": "abc"},
        400,
        "InvalidContentLength",
        id="content-length",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "code"), BAD_REQUESTS)
def test_bad_requests_get_aws_errors_and_change_nothing(
    server: WarmPoolServer,
    client: Any,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    """D32: each malformed request gets its AWS-style status and code, and changes nothing."""
    create(client, "job-1")
    before = snapshot(server)
    message = send(server, method, path, body, headers).assert_error(status, code)
    assert message
    assert snapshot(server) == before
    assert client.describe_training_job(TrainingJobName="job-1")["TrainingJobName"] == "job-1"


def test_not_emulated_message_names_the_operation(server: WarmPoolServer) -> None:
    reply = call(server, "CreateEndpoint", {})
    message = reply.assert_error(501, "NotImplemented")
    assert message == (
        "warmpool does not emulate the SageMaker operation CreateEndpoint; it serves "
        "CreateTrainingJob, DescribeTrainingJob, UpdateTrainingJob, StopTrainingJob, "
        "DeleteTrainingJob, ListTrainingJobs, AddTags, ListTags, DeleteTags"
    )
    unknown = call(server, "Frobnicate", {})
    assert "Frobnicate" in unknown.assert_error(400, "UnknownOperationException")


def test_head_gets_headers_only(server: WarmPoolServer) -> None:
    reply = send(server, "HEAD", "/")
    assert reply.status == 405
    assert reply.raw == b""
    assert reply.headers["x-amzn-errortype"] == "MethodNotAllowed"


def test_empty_body_counts_as_empty_object(server: WarmPoolServer) -> None:
    assert call(server, "ListTrainingJobs", b"").status == 200
    no_length = send(server, "POST", "/", None, _AWS)  # no Content-Length at all
    assert no_length.status == 200
    assert no_length.json == {"TrainingJobSummaries": []}
    missing = call(server, "DescribeTrainingJob", b"")
    assert "Value null at 'trainingJobName' " in missing.assert_error(400, "ValidationException")


def test_chunked_body_is_refused(server: WarmPoolServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        connection.request("POST", "/", body=iter([b"{}"]), headers=_AWS, encode_chunked=True)
        reply = Reply(connection.getresponse())
    finally:
        connection.close()
    reply.assert_error(411, "LengthRequired")
    assert reply.headers["connection"] == "close"


def test_oversized_body_is_refused_without_being_read(emu: WarmPoolEmulator) -> None:
    with make_server(emu, max_body_bytes=1024).start() as server:
        before = snapshot(server)
        # announce a gigabyte and send none of it: the answer cannot depend on reading it
        connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
        try:
            connection.putrequest("POST", "/")
            for name, value in {**_AWS, "Content-Length": str(10**9)}.items():
                connection.putheader(name, value)
            connection.endheaders()
            reply = Reply(connection.getresponse())
        finally:
            connection.close()
        message = reply.assert_error(413, "RequestEntityTooLarge")
        assert "1000000000 bytes" in message
        assert "1024" in message
        assert reply.headers["connection"] == "close"
        # a client that sends its whole (too large) body still reads the error
        reply = call(server, "ListTrainingJobs", b" " * 4096)
        reply.assert_error(413, "RequestEntityTooLarge")
        # exactly at the limit is fine
        body = b'{"MaxResults": 5}'
        assert call(server, "ListTrainingJobs", body.ljust(1024)).status == 200
        assert snapshot(server) == before


def test_one_connection_serves_many_requests(server: WarmPoolServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        statuses = []
        for body in (b"{}", b"{oops", b"{}", b"[]", b"{}"):
            connection.request("POST", "/", body=body, headers=_AWS)
            statuses.append(Reply(connection.getresponse()).status)
    finally:
        connection.close()
    assert statuses == [200, 400, 200, 400, 200]


def test_http_level_errors_are_json(server: WarmPoolServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", "/")
        connection.putheader("X-Long", "x" * 70000)  # longer than http.server reads a line
        connection.endheaders()
        reply = Reply(connection.getresponse())
    finally:
        connection.close()
    assert reply.status == 431
    assert reply.json["__type"] == "RequestHeaderFieldsTooLarge"


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------


def test_concurrent_clients(server: WarmPoolServer) -> None:
    threads_count, jobs_each = 8, 5
    barrier = threading.Barrier(threads_count, timeout=TIMEOUT)
    clients = [sagemaker(server) for _ in range(threads_count)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for job in range(jobs_each):
                name = f"job-{index}-{job}"
                create(clients[index], name)
                described = clients[index].describe_training_job(TrainingJobName=name)
                assert described["TrainingJobName"] == name
                clients[index].list_training_jobs(MaxResults=5)
                raw = call(server, "ListTrainingJobs", b"{oops")
                assert raw.status == 400
        except BaseException as error:  # reported below, in the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 3)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    expected = {f"job-{i}-{j}" for i in range(threads_count) for j in range(jobs_each)}
    names = server.emulator.job_names()
    assert len(names) == len(expected)
    assert set(names) == expected
    paginator = sagemaker(server).get_paginator("list_training_jobs")
    listed = [s["TrainingJobName"] for s in paginator.paginate().search("TrainingJobSummaries")]
    assert sorted(listed) == sorted(expected)


# --------------------------------------------------------------------------------------------
# The control API
# --------------------------------------------------------------------------------------------


def test_state(server: WarmPoolServer, client: Any) -> None:
    reply = send(server, "GET", "/_warmpool/state")
    assert reply.status == 200
    assert reply.json == {
        "Now": EPOCH_SECONDS,
        "NowIso": "2026-01-01T00:00:00Z",
        "VirtualSeconds": 0,
        "NextEventTime": None,
        "NextEventTimeIso": None,
        "JobCount": 0,
    }
    create(client, "job-1")
    state = send(server, "GET", "/_warmpool/state").json
    assert state["JobCount"] == 1
    assert state["NextEventTime"] == EPOCH_SECONDS + 180  # training starts
    assert state["NextEventTimeIso"] == "2026-01-01T00:03:00Z"


def test_advance_and_run_until(server: WarmPoolServer, client: Any) -> None:
    create(client, "job-1")
    reply = control(server, "advance", {"seconds": 90.5})
    assert reply.status == 200
    assert reply.json["VirtualSeconds"] == 90.5
    assert reply.json["NowIso"] == "2026-01-01T00:01:30.500000Z"
    reply = control(server, "run-until", {"time": EPOCH_SECONDS + 180})
    assert reply.json["Now"] == EPOCH_SECONDS + 180
    assert client.describe_training_job(TrainingJobName="job-1")["SecondaryStatus"] == "Training"
    reply = control(server, "run-until", {"time": "2026-01-01T01:00:00Z"})
    assert reply.json["VirtualSeconds"] == 3600
    reply = control(server, "run-until", {"time": "2026-01-01T02:00:00"})  # no offset: UTC
    assert reply.json["VirtualSeconds"] == 7200


def test_complete_fail_and_patch_update(server: WarmPoolServer, client: Any) -> None:
    for name in ("job-1", "job-2", "job-3"):
        create(client, name)
    control(server, "advance", {"seconds": 180})
    assert control(server, "complete", {"TrainingJobName": "job-1"}).status == 200
    reply = control(
        server,
        "fail",
        {"TrainingJobName": "job-2", "FailureClass": "AlgorithmError", "Message": "boom"},
    )
    assert reply.status == 200
    failed = client.describe_training_job(TrainingJobName="job-2")
    assert failed["TrainingJobStatus"] == "Failed"
    assert failed["FailureReason"] == "AlgorithmError: boom"
    assert control(server, "fail", {"TrainingJobName": "job-3"}).status == 200  # defaults
    assert client.describe_training_job(TrainingJobName="job-3")["FailureReason"].startswith(
        "AlgorithmError"
    )
    reply = control(server, "patch-update", {"InstanceType": "ml.p4d.24xlarge"})
    assert reply.json["TerminatedWarmPools"] == 0
    reply = control(server, "patch-update")  # no body: every instance type
    assert reply.json["TerminatedWarmPools"] == 3
    pool = client.describe_training_job(TrainingJobName="job-1")["WarmPoolStatus"]
    assert pool["Status"] == "Terminated"


BAD_CONTROLS = [
    pytest.param("advance", {}, 400, "seconds", id="advance-missing"),
    pytest.param("advance", {"seconds": -1}, 400, "seconds", id="advance-negative"),
    pytest.param("advance", {"seconds": "10"}, 400, "seconds", id="advance-string"),
    pytest.param("advance", {"seconds": True}, 400, "seconds", id="advance-bool"),
    pytest.param("advance", {"seconds": 1e300}, 400, "9999", id="advance-too-far"),
    pytest.param("advance", {"seconds": 3e11}, 400, "9999", id="advance-past-the-range"),
    pytest.param("advance", {"seconds": None}, 400, "seconds", id="advance-null"),
    pytest.param("advance", {"secs": 1}, 400, "'secs'", id="advance-unknown-member"),
    pytest.param("run-until", {"time": "yesterday"}, 400, "time", id="run-until-text"),
    pytest.param("run-until", {"time": None}, 400, "time", id="run-until-null"),
    pytest.param("run-until", {"time": 1e20}, 400, "time", id="run-until-range"),
    pytest.param("run-until", {"time": 0}, 400, "never moves backwards", id="run-until-past"),
    pytest.param("complete", {}, 400, "TrainingJobName", id="complete-missing"),
    pytest.param("complete", {"TrainingJobName": 5}, 400, "TrainingJobName", id="complete-int"),
    pytest.param("complete", {"TrainingJobName": "nope"}, 409, "'nope'", id="complete-unknown"),
    pytest.param(
        "complete", {"TrainingJobName": "job-1"}, 409, "not training", id="complete-starting"
    ),
    pytest.param(
        "fail",
        {"TrainingJobName": "job-1", "FailureClass": "not a name"},
        400,
        "failure_class",
        id="fail-class",
    ),
    pytest.param(
        "fail", {"TrainingJobName": "job-1", "Message": 3}, 400, "message", id="fail-message"
    ),
    pytest.param("patch-update", {"InstanceType": 3}, 400, "InstanceType", id="patch-type"),
    pytest.param("patch-update", [], 400, "JSON object", id="not-an-object"),
]


@pytest.mark.parametrize(("route", "payload", "status", "named"), BAD_CONTROLS)
def test_bad_control_input(
    server: WarmPoolServer, client: Any, route: str, payload: Any, status: int, named: str
) -> None:
    create(client, "job-1")
    before = snapshot(server)
    reply = control(server, route, payload)
    code = "InvalidControlInput" if status == 400 else "ControlError"
    assert named in reply.assert_error(status, code)
    assert snapshot(server) == before


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "code"),
    [
        ("POST", "/_warmpool/nope", {}, b"{}", 404, "UnknownControlRoute"),
        ("GET", "/_warmpool/advance", {}, None, 405, "MethodNotAllowed"),
        ("POST", "/_warmpool/state", {}, None, 405, "MethodNotAllowed"),
        ("POST", "/_warmpool/advance", {"Content-Type": "text/plain"}, b"{}", 415, None),
        ("POST", "/_warmpool/advance", {}, b'{"seconds": 1}', 415, "UnsupportedMediaType"),
        (
            "POST",
            "/_warmpool/advance",
            {"Content-Type": "application/json"},
            b"{oops",
            400,
            "InvalidControlInput",
        ),
    ],
)
def test_bad_control_requests(
    server: WarmPoolServer,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    code: str | None,
) -> None:
    before = snapshot(server)
    reply = send(server, method, path, body, headers)
    reply.assert_error(status, code or "UnsupportedMediaType")
    assert snapshot(server) == before


# --------------------------------------------------------------------------------------------
# The server object, the operation list, the command line
# --------------------------------------------------------------------------------------------


def test_server_api(emu: WarmPoolEmulator) -> None:
    server = make_server(emu)
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0
    assert server.is_loopback
    server.close()  # never started: just releases the port
    with make_server().start() as running:
        assert send(running, "GET", "/_warmpool/state").status == 200
        with pytest.raises(RuntimeError):
            running.start()
    with pytest.raises(TypeError):
        make_server(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_body_bytes"):
        make_server(emu, max_body_bytes=-1)


def test_request_log(emu: WarmPoolEmulator) -> None:
    log = io.StringIO()
    with make_server(emu, log=log).start() as server:
        call(server, "ListTrainingJobs", {})
    assert '"POST / HTTP/1.1" 200' in log.getvalue()


def test_warning_when_not_on_loopback(
    server: WarmPoolServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    assert warn_if_exposed(server, out) is False
    assert out.getvalue() == ""
    monkeypatch.setattr(WarmPoolServer, "is_loopback", property(lambda self: False))
    assert warn_if_exposed(server, out) is True
    assert "WARNING" in out.getvalue()
    assert "no authentication" in out.getvalue()


def test_operation_names_match_botocore() -> None:
    botocore_session = require("botocore.session")
    model = botocore_session.get_session().get_service_model("sagemaker")
    shipped = sagemaker_operation_names()
    assert set(OPERATIONS) <= shipped
    assert "CreateEndpoint" in shipped
    assert shipped <= set(model.operation_names)


def test_build_emulator_from_flags() -> None:
    emu = build_emulator(
        warm_pool_quotas=[("ml.m5.xlarge", 2)],
        training_quotas=[("ml.m5.xlarge", 4), ("ml.p3.2xlarge", 1)],
        training_seconds=600,
        limits="api",
    )
    assert emu.limits == Limits.API_MODEL
    assert emu.quotas["ml.m5.xlarge"] == Quota(training=4, warm_pool=2)
    assert emu.quotas["ml.p3.2xlarge"] == Quota(training=1, warm_pool=0)
    emu.create_training_job(**request("job-1"))
    emu.advance(180 + 600)
    job = emu.describe_training_job(TrainingJobName="job-1")
    assert job["TrainingJobStatus"] == "Completed"
    assert build_emulator().limits == Limits.GUIDE_2022


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--warm-pool-quota", "ml.m5.xlarge"],
        ["serve", "--warm-pool-quota", "ml.m5.xlarge=-1"],
        ["serve", "--training-seconds", "-5"],
        ["serve", "--training-seconds", "inf"],
        ["serve", "--port", "70000"],
        ["serve", "--limits", "bogus"],
        ["serve", "--max-body-bytes", "big"],
    ],
)
def test_serve_rejects_bad_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "warmpool serve" in capsys.readouterr().err


def _read_line(process: subprocess.Popen[str]) -> str:
    """The first line of the server's stdout, waiting at most TIMEOUT seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(TIMEOUT):
            raise AssertionError("warmpool serve printed nothing")
    return process.stdout.readline()


def test_cli_serve_subprocess() -> None:
    command = [
        sys.executable,
        "-m",
        "warmpool.cli",
        "serve",
        "--port",
        "0",
        "--warm-pool-quota",
        f"{INSTANCE_TYPE}=1",
        "--training-seconds",
        "600",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = _read_line(process)
        assert line.startswith("warmpool serving SageMaker on http://127.0.0.1:")
        port = int(line.strip().rsplit(":", 1)[1])
        target = Address("127.0.0.1", port)
        assert call(target, "CreateTrainingJob", request("job-1")).status == 200
        control(target, "advance", {"seconds": 180 + 600})
        described = call(target, "DescribeTrainingJob", {"TrainingJobName": "job-1"})
        assert described.json["TrainingJobStatus"] == "Completed"
        assert described.json["WarmPoolStatus"] == {"Status": "Available"}
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    assert "POST / HTTP/1.1" in stderr  # requests are logged
    assert "stopped" in stderr
    assert "Traceback" not in stderr


# --------------------------------------------------------------------------------------------
# The AWS CLI
# --------------------------------------------------------------------------------------------


def test_aws_cli(server: WarmPoolServer, client: Any) -> None:
    aws = require_executable("aws", "WARMPOOL_AWS_CLI")
    create(client, "job-1")
    control(server, "advance", {"seconds": 180})
    control(server, "complete", {"TrainingJobName": "job-1"})
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_PAGER="",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
    )

    def run(*args: str) -> Any:
        done = subprocess.run(
            [aws, "sagemaker", *args, "--endpoint-url", server.url, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    job = run("describe-training-job", "--training-job-name", "job-1")
    assert job["TrainingJobStatus"] == "Completed"
    assert job["WarmPoolStatus"] == {"Status": "Available"}
    # AWS CLI v1 prints the wire's epoch seconds as they are; v2 prints ISO 8601
    assert job["CreationTime"] in (EPOCH_SECONDS, "2026-01-01T00:00:00+00:00")
    listed = run("list-training-jobs", "--warm-pool-status-equals", "Available")
    assert [s["TrainingJobName"] for s in listed["TrainingJobSummaries"]] == ["job-1"]
    missing = ["describe-training-job", "--training-job-name", "nope"]
    done = subprocess.run(
        [aws, "sagemaker", *missing, "--endpoint-url", server.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "(ValidationException)" in done.stderr
    assert "Requested resource not found." in done.stderr
