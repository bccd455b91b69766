"""warmpool.sim.export and ``warmpool trace export``: a training-job history read back as a trace.

The history is built on an emulator with a workload (docs/replay.md, "Exporting your account's
history"): several identities, reuse, expiries, a warm pool quota that refuses a pool, failures
of keepable and unkeepable classes, stops by the user and by the max runtime, jobs without
keep-alive, jobs that never trained, spot and heterogeneous-cluster jobs, and jobs still running
when it is exported. It is exported through the emulator itself, through a boto3 client attached
with ``warmpool.aws.attach``, and through ``warmpool serve``'s wire protocol; the rows are
checked exactly, then replayed with the same settings, which must give the warm and cold starts
the history had (behaviour §5, §6, §7, §13.3). Throttling and AWS errors are served by a small
proxy in front of the server that answers as AWS does.
"""

from __future__ import annotations

import http.client
import http.server
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.conftest import require
from tests.factories import OTHER_ROLE, ROLE, plans_by_name, request
from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator
from warmpool.cli import main
from warmpool.events import JobCreated
from warmpool.server import WarmPoolServer, make_server
from warmpool.sim import TraceJob, load_trace, replay
from warmpool.sim.export import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_MODE,
    SKIP_REASONS,
    UNKNOWN_FAILURE,
    ExportProgress,
    History,
    TerminalProgress,
    build_client,
    error_line,
    export_trace,
    failure_class,
    parse_time,
    read_history,
    skip_reason,
    trace_job,
)

M5, C5, G5 = "ml.m5.xlarge", "ml.c5.xlarge", "ml.g5.xlarge"
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the emulator clock's default epoch
SINCE = "2026-01-01T00:00:00Z"
TIMEOUT = 10  # seconds: every socket and subprocess wait is bounded

# -- the history --------------------------------------------------------------------------------

QUOTAS = {M5: Quota(warm_pool=2), C5: Quota(warm_pool=1)}
TIMING = Timing(cold_start_seconds=180, warm_start_seconds=20, stopping_seconds=30)
LIMITS = Limits.GUIDE_2022
PLANS = {
    "a-1": JobPlan(1000),
    "b-1": JobPlan(1000),
    "v-1": JobPlan(800, "AlgorithmError", "exit code 1"),
    "a-2": JobPlan(500),
    "b-2": JobPlan(300),
    "v-2": JobPlan(200, "InternalServerError", "the host failed"),
    "a-3": JobPlan(400, "ClientError", "bad input"),
    "v-4": JobPlan(100),
    "m-1": JobPlan(1000),  # longer than its max runtime (300 s)
    "s-1": JobPlan(100),
    "g-1": JobPlan(100),
    "a-4": JobPlan(100),
    "p-1": JobPlan(100),
    "p-2": JobPlan(100),
}
VPC_JOB = {
    "VpcConfig": {"SecurityGroupIds": ["sg-1", "sg-2"], "Subnets": ["subnet-1"]},
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
    "ResourceConfig": {
        "InstanceType": M5,
        "InstanceCount": 1,
        "VolumeSizeInGB": 50,
        "VolumeKmsKeyId": "alias/training",
        "KeepAlivePeriodInSeconds": 600,
    },
}


def job_request(name: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("keep_alive", 600)
    return request(name, **fields)


def history_emulator() -> WarmPoolEmulator:
    """The history's settings, and its jobs' plans."""
    return WarmPoolEmulator(
        quotas=QUOTAS, timing=TIMING, limits=LIMITS, workload=plans_by_name(PLANS)
    )


def build_history(emu: WarmPoolEmulator | None = None) -> WarmPoolEmulator:
    """The history, exported at t=3800 (times are seconds from the clock's epoch).

    identity a (ROLE, m5, 50 GB): a-1 cold; a-2 at 1300 takes a-1's pool; a-3 at 2200 takes
    a-2's, fails ClientError (kept 300 s, expires 2920); a-4 at 3000 cold; r-1 at 3600 takes
    a-4's pool and is still training at 3800.
    identity b (OTHER_ROLE, m5 x2): b-1's pool is refused at 1180 (quota 2 taken by v-1 and
    a-1); b-2 at 1400 cold, no keep-alive.
    identity v (ROLE, m5, 100 GB): v-1 fails AlgorithmError (kept); v-2 at 1500 takes it and
    fails InternalServerError (not kept); v-3 at 1700 cold, stopped 250 s into training,
    Stopping 30 s, kept; v-4 at 2300 takes it, keep-alive 0.
    m-1 (OTHER_ROLE, c5): stopped by its max runtime (300 s), kept; c-1 at 3500 takes it and
    is still training. p-1 at 3000 (VPC, KMS key, both flags) cold, kept; p-2 at 3400 (its
    security groups in another order) takes it.
    Never exported: n-1 (stopped before launch), f-1 (failed before launch), s-1 (managed
    spot), g-1 (instance groups), r-2 (Stopping at 3800), r-1 and c-1 (training at 3800).
    """
    if emu is None:
        emu = history_emulator()
    create = emu.create_training_job
    create(**job_request("a-1"))
    create(**job_request("b-1", role=OTHER_ROLE, instance_count=2))
    create(**job_request("v-1", volume_size=100))
    emu.run_until(1300)
    create(**job_request("a-2"))
    emu.run_until(1400)
    create(**job_request("b-2", role=OTHER_ROLE, instance_count=2, keep_alive=None))
    emu.run_until(1500)
    create(**job_request("v-2", volume_size=100))
    emu.run_until(1700)
    create(**job_request("v-3", volume_size=100))
    emu.run_until(2130)
    emu.stop_training_job(TrainingJobName="v-3")
    emu.run_until(2200)
    create(**job_request("a-3", keep_alive=300))
    emu.run_until(2300)
    create(**job_request("v-4", volume_size=100, keep_alive=0))
    emu.run_until(2500)
    create(
        **job_request(
            "m-1",
            role=OTHER_ROLE,
            instance_type=C5,
            StoppingCondition={"MaxRuntimeInSeconds": 300},
        )
    )
    create(**job_request("n-1", volume_size=200))
    create(**job_request("f-1", volume_size=200))
    create(
        **job_request(
            "s-1",
            instance_type=G5,
            keep_alive=None,
            EnableManagedSpotTraining=True,
            StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
        )
    )
    groups = [{"InstanceType": G5, "InstanceCount": 2, "InstanceGroupName": "workers"}]
    create(**job_request("g-1", ResourceConfig={"InstanceGroups": groups, "VolumeSizeInGB": 30}))
    emu.run_until(2550)
    emu.stop_training_job(TrainingJobName="n-1")
    emu.fail_training_job("f-1", "CapacityError", "no capacity")
    emu.run_until(3000)
    create(**job_request("a-4"))
    create(**job_request("p-1", **VPC_JOB))
    emu.run_until(3400)
    p2 = {**VPC_JOB, "VpcConfig": {"SecurityGroupIds": ["sg-2", "sg-1"], "Subnets": ["subnet-1"]}}
    create(**job_request("p-2", **p2))
    emu.run_until(3500)
    create(**job_request("c-1", role=OTHER_ROLE, instance_type=C5))
    emu.run_until(3600)
    create(**job_request("r-1"))
    create(**job_request("r-2", role=OTHER_ROLE, volume_size=999, keep_alive=None))
    emu.run_until(3790)
    emu.stop_training_job(TrainingJobName="r-2")
    emu.run_until(3800)
    return emu


def row(at: float, name: str, seconds: float, **fields: Any) -> TraceJob:
    fields.setdefault("instance_type", M5)
    fields.setdefault("role_arn", ROLE)
    fields.setdefault("volume_size_gb", 50)
    fields.setdefault("keep_alive_seconds", 600)
    return TraceJob(submit_time=at, training_seconds=seconds, job_name=name, **fields)


VPC_ROW = {
    "volume_kms_key_id": "alias/training",
    "subnets": ("subnet-1",),
    "network_isolation": True,
    "inter_container_encryption": True,
}

#: The rows the history exports to, in submit order (ties by name).
EXPECTED = [
    row(0, "a-1", 1000),
    row(0, "b-1", 1000, role_arn=OTHER_ROLE, instance_count=2),
    row(0, "v-1", 800, volume_size_gb=100, outcome="AlgorithmError"),
    row(1300, "a-2", 500),
    row(1400, "b-2", 300, role_arn=OTHER_ROLE, instance_count=2, keep_alive_seconds=None),
    row(1500, "v-2", 200, volume_size_gb=100, outcome="InternalServerError"),
    row(1700, "v-3", 250, volume_size_gb=100, outcome="Stopped"),
    row(2200, "a-3", 400, keep_alive_seconds=300, outcome="ClientError"),
    row(2300, "v-4", 100, volume_size_gb=100, keep_alive_seconds=0),
    row(
        2500,
        "m-1",
        300,
        role_arn=OTHER_ROLE,
        instance_type=C5,
        outcome="Stopped",
        max_runtime_seconds=300,
    ),
    row(3000, "a-4", 100),
    row(3000, "p-1", 100, security_group_ids=("sg-1", "sg-2"), **VPC_ROW),
    row(3400, "p-2", 100, security_group_ids=("sg-2", "sg-1"), **VPC_ROW),
]
EXPECTED_SKIPPED = {
    "still running": 3,  # r-1, c-1 (InProgress), r-2 (Stopping)
    "instance groups": 1,
    "managed spot": 1,
    "never trained": 2,  # n-1, f-1
}
EXPORTED = {job.job_name for job in EXPECTED}


def history_starts(emu: WarmPoolEmulator, names: set[str | None]) -> tuple[int, int]:
    """Warm and cold starts of the named jobs, from the emulator's event log."""
    created = [e for e in emu.events if isinstance(e, JobCreated) and e.job in names]
    warm = sum(1 for e in created if e.cluster is not None)
    return warm, len(created) - warm


def check_history(history: History) -> None:
    assert list(history.jobs) == EXPECTED
    assert history.start == EPOCH
    assert history.listed == len(EXPECTED) + sum(EXPECTED_SKIPPED.values())
    assert history.skipped == EXPECTED_SKIPPED
    assert history.warm_starts == 5  # a-2, v-2, a-3, v-4, p-2 (ReusedByJob of their donors)


def replay_same(jobs: Any) -> tuple[int, int]:
    report = replay(jobs, quotas=QUOTAS, default_quota=Quota(), limits=LIMITS, timing=TIMING)
    return report.warm_starts, report.cold_starts


# -- clients ---------------------------------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS settings from the machine: dummy credentials, no config files, no region."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def server() -> Iterator[WarmPoolServer]:
    with make_server(history_emulator()).start() as running:
        yield running


def wire_client(url: str, **config: Any) -> Any:
    """A boto3 SageMaker client for ``url``, built as ``warmpool trace export`` builds it."""
    require("boto3")
    config.setdefault("max_attempts", 1)
    return build_client(region="us-east-1", endpoint_url=url, **config)


def attached_client(emu: WarmPoolEmulator) -> Any:
    boto3 = require("boto3")
    from warmpool.aws import attach

    client = boto3.client("sagemaker", region_name="us-east-1")
    attach(client, emu)
    return client


def export_args(url: str, out: Path, *extra: str) -> list[str]:
    return [
        "trace",
        "export",
        "--since",
        SINCE,
        "--region",
        "us-east-1",
        "--endpoint-url",
        url,
        *extra,
        str(out),
    ]


class Proxy:
    """Stands in front of a server as AWS's front end would: answers a request with an AWS
    error while ``answer(operation, number)`` (number counts that operation's requests from
    1) returns one (``(status, code, message)``), else forwards it. ``requests`` records
    ``(operation, refused)`` for each request."""

    def __init__(
        self, target: str, answer: Callable[[str, int], tuple[int, str, str] | None]
    ) -> None:
        self.target = urlsplit(target)
        self.answer = answer
        self.requests: list[tuple[str, bool]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                with proxy.lock:
                    number = 1 + sum(1 for op, _ in proxy.requests if op == operation)
                    refusal = proxy.answer(operation, number)
                    proxy.requests.append((operation, refusal is not None))
                if refusal is not None:
                    status, code, message = refusal
                    data = json.dumps({"__type": code, "message": message}).encode()
                    headers = {
                        "Content-Type": "application/x-amz-json-1.1",
                        "x-amzn-ErrorType": code,
                        "x-amzn-RequestId": "proxy",
                    }
                else:
                    status, headers, data = proxy.forward(self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def forward(self, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            str(self.target.hostname), self.target.port, timeout=TIMEOUT
        )
        try:
            sent = {k: headers[k] for k in ("X-Amz-Target", "Content-Type") if k in headers}
            connection.request("POST", "/", body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            kept = ("Content-Type", "x-amzn-RequestId", "x-amzn-ErrorType")
            passed = {k: v for k, v in response.getheaders() if k in kept}
            return response.status, passed, data
        finally:
            connection.close()

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(TIMEOUT)

    def refused(self, operation: str) -> int:
        return sum(1 for op, refused in self.requests if op == operation and refused)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retries without their sleeps (the delays it chose are recorded)."""
    endpoint = require("botocore.endpoint")
    delays: list[float] = []
    monkeypatch.setattr(endpoint, "time", types.SimpleNamespace(sleep=delays.append))
    return delays


THROTTLED = (400, "ThrottlingException", "Rate exceeded")


# -- what is exported -------------------------------------------------------------------------


def test_export_reads_every_finished_job_as_its_trace_row() -> None:
    """docs/replay.md: CreationTime, the identity key's fields (§3), the keep-alive, the
    training time (TrainingEndTime - TrainingStartTime; to Stopping for a user's stop, §5.4),
    the outcome (Stopped; the failure class of FailureReason, §5.6) and the max runtime;
    jobs still running, with instance groups or spot, or never trained are counted instead.
    The emulator itself is a client."""
    emu = build_history()
    history = read_history(emu, since=EPOCH)
    check_history(history)


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize("how", ["attached", "serve"])
def test_export_through_boto3_gives_the_same_rows(how: str, server: WarmPoolServer) -> None:
    """The same history through a boto3 client attached with warmpool.aws.attach and through
    warmpool serve's wire protocol (epoch-second timestamps parsed by botocore)."""
    if how == "attached":
        emu = build_history()
        client = attached_client(emu)
    else:
        with server.lock:
            build_history(server.emulator)
        client = wire_client(server.url)
    check_history(read_history(client, since=EPOCH))


def test_export_replayed_with_the_same_settings_gives_the_historys_starts() -> None:
    """§5-§7: replaying the exported rows with the history's quotas, limits and timing gives
    exactly the warm and cold starts the history had (its event log: JobCreated with a
    cluster is warm)."""
    emu = build_history()
    history = read_history(emu, since=EPOCH)
    assert history_starts(emu, EXPORTED) == (5, 8)
    assert replay_same(history.jobs) == (5, 8)
    # The settings matter: with room for one more m5 pool, b-2 takes b-1's.
    more = replay(
        history.jobs,
        quotas={**QUOTAS, M5: Quota(warm_pool=4)},
        default_quota=Quota(),
        limits=LIMITS,
        timing=TIMING,
    )
    assert more.warm_starts == 6


IDENTITIES = (
    {"volume_size": 50},
    {"volume_size": 50, "role": OTHER_ROLE},
    {"volume_size": 100, "instance_count": 2},
)
OUTCOMES = ("Completed", "Stopped", "AlgorithmError", "ClientError", "InternalServerError")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(0, 30), st.integers(300, 1500)),  # since the job before
            st.integers(0, len(IDENTITIES) - 1),
            st.integers(1, 600),  # training seconds
            st.sampled_from([None, 0, 60, 1800, 3600]),  # keep-alive
            st.sampled_from(OUTCOMES),
        ),
        min_size=2,
        max_size=20,
    )
)
def test_any_finished_history_replays_to_its_starts(
    jobs: list[tuple[int, int, int, int | None, str]],
) -> None:
    """§5-§7, for any history of finished jobs (any gaps, identities, keep-alives, outcomes,
    stops by the user, a warm pool quota that fills): the export replayed with the history's
    settings has the history's warm and cold starts, job by job."""
    plans = {}
    for number, (_, _, seconds, _, outcome) in enumerate(jobs):
        if outcome != "Stopped":
            failure = None if outcome == "Completed" else outcome
            plans[f"job-{number:02d}"] = JobPlan(seconds, failure)
    emu = WarmPoolEmulator(quotas=QUOTAS, timing=TIMING, workload=plans_by_name(plans))
    stops: list[tuple[float, str]] = []  # (when, job): a user's stop, due after its training
    at = 0.0

    def stop_until(when: float) -> None:
        while stops and stops[0][0] <= when:
            due, name = stops.pop(0)
            emu.run_until(due)
            if emu.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == (
                "InProgress"
            ):
                emu.stop_training_job(TrainingJobName=name)

    for number, (gap, identity, seconds, keep_alive, outcome) in enumerate(jobs):
        at += gap
        stop_until(at)
        emu.run_until(at)
        name = f"job-{number:02d}"
        emu.create_training_job(**request(name, keep_alive=keep_alive, **IDENTITIES[identity]))
        if outcome == "Stopped":
            created = [e for e in emu.events if isinstance(e, JobCreated) and e.job == name]
            start = TIMING.warm_start_seconds if created[0].cluster else TIMING.cold_start_seconds
            stops.append((at + start + seconds, name))
            stops.sort()
    stop_until(float("inf"))
    while (next_at := emu.next_event_time()) is not None:
        emu.run_until(next_at)
    history = read_history(emu, since=EPOCH)
    assert history.skipped == {}
    assert len(history.jobs) == len(jobs)
    warm_jobs = {e.job for e in emu.events if isinstance(e, JobCreated) and e.cluster is not None}
    assert history.warm_starts == len(warm_jobs)
    replayed: set[str] = set()

    def watch(replay_emu: WarmPoolEmulator) -> None:
        def seen(event: Any) -> None:
            if isinstance(event, JobCreated) and event.cluster is not None:
                replayed.add(event.job)

        replay_emu.events.subscribe(seen)

    report = replay(
        history.jobs,
        quotas=QUOTAS,
        default_quota=Quota(),
        limits=LIMITS,
        timing=TIMING,
        on_emulator=watch,
    )
    assert replayed == warm_jobs
    event(f"warm starts: {min(len(warm_jobs), 3)}{'+' if len(warm_jobs) >= 3 else ''}")
    assert (report.warm_starts, report.cold_starts) == (len(warm_jobs), len(jobs) - len(warm_jobs))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_exported_file_keeps_the_real_times_and_replays_the_same(
    suffix: str, tmp_path: Path
) -> None:
    """The trace file holds ISO 8601 submit times (write_trace's start), reads back as the
    same rows, and replays to the history's starts."""
    emu = build_history()
    out = tmp_path / f"history{suffix}"
    result = export_trace(attached_client(emu), out, since=EPOCH)
    assert (result.path, result.rows) == (out, len(EXPECTED))
    check_history(result.history)
    assert "2026-01-01T00:21:40" in out.read_text()  # v-2's CreationTime, +1500 s
    trace = load_trace(out)
    assert list(trace) == EXPECTED
    assert replay_same(load_trace(out)) == history_starts(emu, EXPORTED) == (5, 8)


@pytest.mark.usefixtures("aws_env")
def test_window_includes_since_and_excludes_until() -> None:
    """D40: ``since`` is inclusive, ``until`` exclusive, to the microsecond, whatever the API's
    own bounds (D20: strict) and botocore's whole-second timestamps do."""
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    for at in (0, 0.5, 10, 19.5, 20, 20.5):
        emu.run_until(at)
        emu.create_training_job(**request(f"job-{int(at * 10)}", keep_alive=None))
    emu.run_until(300)
    since, until = EPOCH + timedelta(seconds=0.5), EPOCH + timedelta(seconds=20)
    names = ["job-5", "job-100", "job-195"]
    history = read_history(emu, since=since, until=until)
    assert [job.job_name for job in history.jobs] == names
    assert [job.submit_time for job in history.jobs] == [0, 9.5, 19]
    assert history.start == EPOCH + timedelta(seconds=0.5)
    with make_server(emu).start() as running:
        wire = read_history(wire_client(running.url), since=since, until=until)
    assert [job.job_name for job in wire.jobs] == names
    assert [job.submit_time for job in wire.jobs] == [0, 9.5, 19]
    everything = read_history(emu, since=EPOCH)
    assert len(everything.jobs) == 6


def test_naive_datetimes_are_utc() -> None:
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    emu.create_training_job(**request("job", keep_alive=None))
    emu.run_until(300)
    assert read_history(emu, since=datetime(2026, 1, 1)).start == EPOCH
    assert read_history(emu, since=datetime(2026, 1, 1, 0, 0, 1)).jobs == ()


class Recording:
    """A client that records its calls and hands them to ``inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lists: list[dict[str, Any]] = []
        self.describes: list[str] = []

    def list_training_jobs(self, **request: Any) -> Any:
        self.lists.append(request)
        return self.inner.list_training_jobs(**request)

    def describe_training_job(self, **request: Any) -> Any:
        self.describes.append(request["TrainingJobName"])
        return self.inner.describe_training_job(**request)


def test_listing_pages_by_creation_time_a_hundred_at_a_time() -> None:
    """ListTrainingJobs with MaxResults=100, SortBy=CreationTime, SortOrder=Ascending and
    NextToken, bounds one second outside the window; one describe per job; submit order."""
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    for number in range(250):
        emu.run_until(number)
        emu.create_training_job(**request(f"job-{number:03d}", keep_alive=None))
    emu.run_until(1000)
    client = Recording(emu)
    history = read_history(client, since=EPOCH, until=EPOCH + timedelta(hours=1))
    assert [job.job_name for job in history.jobs] == [f"job-{n:03d}" for n in range(250)]
    assert [job.submit_time for job in history.jobs] == list(range(250))
    assert len(client.lists) == 3
    first = client.lists[0]
    assert first == {
        "MaxResults": 100,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
        "CreationTimeAfter": EPOCH - timedelta(seconds=1),
        "CreationTimeBefore": EPOCH + timedelta(hours=1, seconds=1),
    }
    assert all("NextToken" in later for later in client.lists[1:])
    assert sorted(client.describes) == [f"job-{n:03d}" for n in range(250)]


def test_a_job_listed_twice_is_exported_once() -> None:
    """Pages that shift under new jobs may repeat a job: it counts once."""
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    for name in ("job-1", "job-2"):
        emu.create_training_job(**request(name, keep_alive=None))
    emu.run_until(300)

    class Repeating(Recording):
        def list_training_jobs(self, **request: Any) -> Any:
            self.lists.append(request)
            first = {key: value for key, value in request.items() if key != "NextToken"}
            page = dict(self.inner.list_training_jobs(**first))
            if "NextToken" not in request:  # the first page, then the same jobs again
                page["NextToken"] = "again"
            return page

    client = Repeating(emu)
    history = read_history(client, since=EPOCH)
    assert [job.job_name for job in history.jobs] == ["job-1", "job-2"]
    assert (history.listed, client.describes) == (2, ["job-1", "job-2"])
    assert len(client.lists) == 2


@pytest.mark.parametrize("how", ["emulator", "attached"])
def test_a_job_deleted_before_it_is_described_is_skipped_as_deleted(how: str) -> None:
    """DescribeTrainingJob's "Requested resource not found." (§9) for a listed job."""
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    for name in ("job-1", "job-2"):
        emu.create_training_job(**request(name, keep_alive=None))
    emu.run_until(300)
    inner = emu if how == "emulator" else attached_client(emu)

    class Deleting(Recording):
        def describe_training_job(self, **request: Any) -> Any:
            if request["TrainingJobName"] == "job-1":
                emu.delete_training_job(TrainingJobName="job-1")
            return super().describe_training_job(**request)

    history = read_history(Deleting(inner), since=EPOCH)
    assert [job.job_name for job in history.jobs] == ["job-2"]
    assert history.skipped == {"deleted": 1}


def test_other_errors_of_the_client_propagate() -> None:
    emu = WarmPoolEmulator()
    emu.create_training_job(**request("job"))

    class Refusing(Recording):
        def describe_training_job(self, **request: Any) -> Any:
            raise PermissionError("no")

    with pytest.raises(PermissionError):
        read_history(Refusing(emu), since=EPOCH)


def described(**fields: Any) -> dict[str, Any]:
    """A finished job as DescribeTrainingJob describes it, with ``fields`` replaced."""
    job: dict[str, Any] = {
        "TrainingJobName": "job",
        "RoleArn": ROLE,
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "CreationTime": EPOCH,
        "TrainingStartTime": EPOCH + timedelta(seconds=180),
        "TrainingEndTime": EPOCH + timedelta(seconds=780.25),
        "TrainingTimeInSeconds": 601,
        "ResourceConfig": {"InstanceType": M5, "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    job.update(fields)
    return job


def test_skip_reasons_in_their_order() -> None:
    """D40: The first reason of SKIP_REASONS that applies is the one counted."""
    assert skip_reason(None) == "deleted"
    assert skip_reason(described(TrainingJobStatus="Deleting")) == "deleted"
    assert skip_reason(described(TrainingJobStatus="InProgress")) == "still running"
    assert skip_reason(described(TrainingJobStatus="Stopping")) == "still running"
    groups = {"InstanceGroups": [{"InstanceType": M5, "InstanceCount": 1}]}
    assert skip_reason(described(ResourceConfig=groups, EnableManagedSpotTraining=True)) == (
        "instance groups"
    )
    assert skip_reason(described(EnableManagedSpotTraining=True)) == "managed spot"
    assert skip_reason(described(ResourceConfig={"InstanceCount": 1})) == "no instance type"
    never = described(TrainingJobStatus="Failed")
    for key in ("TrainingStartTime", "TrainingEndTime", "TrainingTimeInSeconds"):
        del never[key]
    assert skip_reason(never) == "never trained"
    assert skip_reason(described()) is None
    assert SKIP_REASONS[0] == "deleted" and SKIP_REASONS[-1] == "never trained"


def test_training_seconds_are_exact_from_the_timestamps() -> None:
    """D40: TrainingEndTime - TrainingStartTime (600.25 s), not TrainingTimeInSeconds (601, rounded
    up, §4); TrainingTimeInSeconds only when a timestamp is missing."""
    assert trace_job(described()).training_seconds == 600.25
    without_end = described()
    del without_end["TrainingEndTime"]
    assert trace_job(without_end).training_seconds == 601
    assert skip_reason(without_end) is None


def test_a_users_stop_ends_training_when_stopping_began() -> None:
    """A Stopped row trains until the stop was asked (the Stopping transition); the replay
    adds its own stopping time. A max-runtime stop has no Stopping transition."""
    transitions = [
        {"Status": "Training", "StartTime": EPOCH + timedelta(seconds=180)},
        {"Status": "Stopping", "StartTime": EPOCH + timedelta(seconds=480)},
        {"Status": "Stopped", "StartTime": EPOCH + timedelta(seconds=780.25)},
    ]
    job = described(
        TrainingJobStatus="Stopped",
        SecondaryStatus="Stopped",
        SecondaryStatusTransitions=transitions,
    )
    assert (trace_job(job).outcome, trace_job(job).training_seconds) == ("Stopped", 300)
    timed_out = described(TrainingJobStatus="Stopped", SecondaryStatus="MaxRuntimeExceeded")
    assert (trace_job(timed_out).outcome, trace_job(timed_out).training_seconds) == (
        "Stopped",
        600.25,
    )


def test_optional_members_take_the_traces_defaults() -> None:
    """No KeepAlivePeriodInSeconds: no warm pool (None); no VolumeSizeInGB: the trace's
    default volume; no StoppingCondition: 86400 s; no VpcConfig or flags: empty, False."""
    job = described(ResourceConfig={"InstanceType": M5, "InstanceCount": 3})
    del job["StoppingCondition"]
    exported = trace_job(job)
    assert exported == TraceJob(
        submit_time=0, instance_type=M5, training_seconds=600.25, job_name="job", instance_count=3
    )
    assert exported.volume_size_gb == 30 and exported.keep_alive_seconds is None


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("AlgorithmError: ExecuteUserScriptError: exit code 1", "AlgorithmError"),
        ("ClientError: Data download failed", "ClientError"),
        ("InternalServerError: We encountered an internal error.", "InternalServerError"),
        ("CapacityError: Unable to provision requested ML compute capacity.", "CapacityError"),
        ("  ClientError :spaces around", "ClientError"),
        ("AlgorithmError", UNKNOWN_FAILURE),  # no colon
        ("Training failed: out of memory", UNKNOWN_FAILURE),  # not one word
        ("Erreur\u00e9: accents", UNKNOWN_FAILURE),
        (": no class", UNKNOWN_FAILURE),
        ("", UNKNOWN_FAILURE),
        (None, UNKNOWN_FAILURE),
    ],
)
def test_failure_class_is_the_word_before_the_first_colon(
    reason: str | None, expected: str
) -> None:
    """D40: §5.6: FailureReason starts with the failure class; otherwise UnknownError, a class the
    emulator keeps no warm pool after (only AlgorithmError and ClientError keep one)."""
    assert failure_class(reason) == expected
    job = described(TrainingJobStatus="Failed", SecondaryStatus="Failed")
    if reason is not None:
        job["FailureReason"] = reason
    assert trace_job(job).outcome == expected


def test_an_unknown_failure_keeps_no_warm_pool_when_replayed() -> None:
    rows = [
        TraceJob(0, M5, 100, keep_alive_seconds=600, outcome=UNKNOWN_FAILURE),
        TraceJob(400, M5, 100, keep_alive_seconds=600),
    ]
    assert replay(rows).warm_starts == 0


def test_progress_is_reported_after_every_page_and_job() -> None:
    emu = build_history()
    seen: list[ExportProgress] = []
    read_history(emu, since=EPOCH, progress=seen.append)
    total = len(EXPECTED) + sum(EXPECTED_SKIPPED.values())
    assert len(seen) == 1 + total  # one page, then each job
    assert seen[0] == ExportProgress(listed=total, described=0, exported=0, skipped=0)
    assert seen[-1] == ExportProgress(total, total, len(EXPECTED), total - len(EXPECTED))
    assert all(a.described <= b.described for a, b in itertools.pairwise(seen))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_writes_only_to_a_terminal() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        shown = TerminalProgress(stream)
        shown(ExportProgress(20, 5, 4, 1))
        shown.finish()
    assert terminal.getvalue() == (
        "\rwarmpool trace export: 20 listed, 5 described: 4 exported, 1 skipped\n"
    )
    assert pipe.getvalue() == ""


def test_bad_arguments_are_refused_before_any_call(tmp_path: Path) -> None:
    client = Recording(WarmPoolEmulator())
    with pytest.raises(TypeError, match="since must be a datetime"):
        read_history(client, since="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="until must be after since"):
        read_history(client, since=EPOCH, until=EPOCH)
    with pytest.raises(ValueError, match=r"out must be a \.csv or \.jsonl file name \(\.gz"):
        export_trace(client, tmp_path / "trace.txt", since=EPOCH)
    assert client.lists == [] and list(tmp_path.iterdir()) == []


def test_parse_time_reads_dates_and_date_times_as_utc() -> None:
    assert parse_time("2024-05-01") == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert parse_time("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert parse_time("2024-05-01 12:00") == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert parse_time("2024-05-01T12:00:00-02:00") == datetime(2024, 5, 1, 14, tzinfo=timezone.utc)
    for bad in ("yesterday", "2024-13-01", "2024-05-01T25:00", ""):
        with pytest.raises(ValueError, match="ISO 8601 date or date-time"):
            parse_time(bad)


# -- the command ------------------------------------------------------------------------------


@pytest.mark.usefixtures("aws_env")
def test_cli_exports_through_warmpool_serve(
    server: WarmPoolServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``warmpool trace export --endpoint-url URL``: the rows, a summary on stdout, nothing on
    stderr when it is not a terminal; the export replays to the history's starts."""
    with server.lock:
        emu = build_history(server.emulator)
    out = tmp_path / "history.csv"
    assert main(export_args(server.url, out)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == (
        f"wrote 13 jobs to {out} (created 2026-01-01T00:00:00Z to 2026-01-01T00:56:40Z; 5 "
        "took over a warm pool, as AWS reports); skipped 7 of 20 listed: 3 still running, "
        "1 instance groups, 1 managed spot, 2 never trained\n"
    )
    assert list(load_trace(out)) == EXPECTED
    assert replay_same(load_trace(out)) == history_starts(emu, EXPORTED)


@pytest.mark.usefixtures("aws_env")
def test_cli_shows_progress_on_a_terminal(
    server: WarmPoolServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with server.lock:
        build_history(server.emulator)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(export_args(server.url, tmp_path / "history.jsonl")) == 0
    shown = terminal.getvalue()
    assert shown.startswith("\rwarmpool trace export: 20 listed, 0 described")
    assert shown.endswith(
        "\rwarmpool trace export: 20 listed, 20 described: 13 exported, 7 skipped\n"
    )


def test_cli_subprocess_exports_and_exits_0(server: WarmPoolServer, tmp_path: Path) -> None:
    """``python -m warmpool.cli trace export`` with credentials from the environment only."""
    with server.lock:
        build_history(server.emulator)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    out = tmp_path / "history.jsonl"
    command = [sys.executable, "-m", "warmpool.cli", "trace", "export", "--since", "2026-01-01"]
    done = subprocess.run(
        [*command, "--until", "2026-01-02", "--endpoint-url", server.url, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"wrote 13 jobs to {out} ")
    assert [job.job_name for job in load_trace(out)] == [job.job_name for job in EXPECTED]


@pytest.mark.usefixtures("aws_env")
def test_cli_reads_a_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--profile`` takes region and credentials from the AWS config files."""
    require("boto3")
    config = tmp_path / "config"
    config.write_text("[profile export-test]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[export-test]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    client = build_client(profile="export-test")
    assert client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == "AKIDPROFILE"


def test_build_client_uses_botocores_retry_mode_and_total_attempts() -> None:
    """``--max-attempts`` counts every attempt, the first included (botocore's
    total_max_attempts; its Config max_attempts would count retries only)."""
    require("boto3")
    client = build_client(region="us-east-1", retry_mode="standard", max_attempts=4)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    default = build_client(region="us-east-1")
    assert default.meta.config.retries == {
        "mode": DEFAULT_RETRY_MODE,
        "total_max_attempts": DEFAULT_MAX_ATTEMPTS,
    }
    assert (DEFAULT_RETRY_MODE, DEFAULT_MAX_ATTEMPTS) == ("adaptive", 10)


@pytest.mark.usefixtures("aws_env")
def test_cli_retries_throttled_calls_and_completes(
    server: WarmPoolServer,
    tmp_path: Path,
    no_backoff: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """AWS's ThrottlingException on the first two ListTrainingJobs and the first three
    DescribeTrainingJob calls: botocore retries them (backing off before each retry) and the
    export is complete (--retry-mode standard)."""
    with server.lock:
        build_history(server.emulator)

    def throttle(operation: str, number: int) -> tuple[int, str, str] | None:
        limit = {"ListTrainingJobs": 2, "DescribeTrainingJob": 3}.get(operation, 0)
        return THROTTLED if number <= limit else None

    out = tmp_path / "history.csv"
    with Proxy(server.url, throttle) as proxy:
        assert main(export_args(proxy.url, out, "--retry-mode", "standard")) == 0
    assert proxy.refused("ListTrainingJobs") == 2
    assert proxy.refused("DescribeTrainingJob") == 3
    assert len(no_backoff) == 5  # one back-off before each retry
    answered = [operation for operation, refused in proxy.requests if not refused]
    assert answered.count("DescribeTrainingJob") == 20
    assert capsys.readouterr().out.startswith(f"wrote 13 jobs to {out} ")
    assert list(load_trace(out)) == EXPECTED


@pytest.mark.usefixtures("aws_env")
def test_cli_retries_throttled_calls_in_adaptive_mode(
    tmp_path: Path, no_backoff: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    """The default mode, adaptive: the same retries, and after a throttle botocore's
    client-side rate limiter paces the calls that follow (in real time: one job here)."""
    emu = WarmPoolEmulator(workload=lambda request: JobPlan(10))
    emu.create_training_job(**request("job", keep_alive=None))
    emu.run_until(300)
    out = tmp_path / "history.csv"
    with (
        make_server(emu).start() as running,
        Proxy(running.url, lambda op, number: THROTTLED if number == 1 else None) as proxy,
    ):
        assert main(export_args(proxy.url, out)) == 0
    assert proxy.requests == [
        ("ListTrainingJobs", True),
        ("ListTrainingJobs", False),
        ("DescribeTrainingJob", True),
        ("DescribeTrainingJob", False),
    ]
    assert len(no_backoff) == 2
    assert capsys.readouterr().out.startswith(f"wrote 1 job to {out} ")


@pytest.mark.usefixtures("aws_env")
def test_cli_gives_up_after_max_attempts_with_one_line(
    server: WarmPoolServer,
    tmp_path: Path,
    no_backoff: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Proxy(server.url, lambda operation, number: THROTTLED) as proxy:
        out = tmp_path / "history.csv"
        status = main(
            export_args(proxy.url, out, "--retry-mode", "standard", "--max-attempts", "3")
        )
    assert status == 1
    assert len(proxy.requests) == 3
    assert capsys.readouterr().err == (
        "warmpool trace export: An error occurred (ThrottlingException) when calling the "
        "ListTrainingJobs operation (reached max retries: 2): Rate exceeded; nothing written\n"
    )
    assert not out.exists()


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (
            (
                400,
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/me is not authorized to perform: "
                "sagemaker:DescribeTrainingJob",
            ),
            "An error occurred (AccessDeniedException) when calling the DescribeTrainingJob "
            "operation: User: arn:aws:iam::123456789012:user/me is not authorized to perform: "
            "sagemaker:DescribeTrainingJob (the export needs sagemaker:ListTrainingJobs and "
            "sagemaker:DescribeTrainingJob)",
        ),
        (
            (
                400,
                "UnrecognizedClientException",
                "The security token included in the\nrequest is invalid.",
            ),
            "An error occurred (UnrecognizedClientException) when calling the "
            "DescribeTrainingJob operation: The security token included in the request is "
            "invalid.",
        ),
    ],
)
def test_cli_reports_an_aws_refusal_in_one_line_and_writes_nothing(
    refusal: tuple[int, str, str],
    expected: str,
    server: WarmPoolServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit status 1, one line on stderr, no traceback, no file (the refusal comes on the
    first DescribeTrainingJob, after the listing)."""
    with server.lock:
        build_history(server.emulator)
    out = tmp_path / "history.csv"

    def refuse(operation: str, number: int) -> tuple[int, str, str] | None:
        return refusal if operation == "DescribeTrainingJob" else None

    with Proxy(server.url, refuse) as proxy:
        assert main(export_args(proxy.url, out)) == 1
    assert capsys.readouterr().err == f"warmpool trace export: {expected}; nothing written\n"
    assert not out.exists()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``warmpool`` in-process: its exit status (argparse's included) and its stderr."""
    try:
        status = main(args)
    except SystemExit as stop:
        status = int(stop.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.usefixtures("aws_env")
def test_cli_aws_set_up_errors_are_one_line_with_status_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No region, no credentials, nothing listening: status 1, one line, no traceback."""
    require("boto3")
    out = tmp_path / "history.csv"
    since = ["trace", "export", "--since", "2026-01-01"]
    status, err = run_cli([*since, str(out)], capsys)
    assert (status, err) == (
        1,
        "warmpool trace export: You must specify a region. (pass --region or set "
        "AWS_DEFAULT_REGION)\n",
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    status, err = run_cli(
        [*since, "--region", "us-east-1", "--max-attempts", "1", str(out)], capsys
    )
    assert (status, err) == (
        1,
        "warmpool trace export: Unable to locate credentials; nothing written\n",
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    args = [*since, "--region", "us-east-1", "--endpoint-url", closed, "--max-attempts", "1"]
    status, err = run_cli([*args, str(out)], capsys)
    assert status == 1
    assert err.startswith('warmpool trace export: Could not connect to the endpoint URL: "')
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "the following arguments are required: --since"),
        (["--since", "yesterday"], "argument --since: expected an ISO 8601 date or date-time"),
        (["--since", "2026-01-01", "--until", "2026-13-01"], "argument --until: expected an ISO"),
        (
            ["--since", "2026-01-02", "--until", "2026-01-01T12:00:00+02:00"],
            "argument --until: must be after --since (2026-01-02T00:00:00Z), not "
            "2026-01-01T10:00:00Z",
        ),
        (["--since", "2026-01-01", "--max-attempts", "0"], "argument --max-attempts: expected"),
        (["--since", "2026-01-01", "--retry-mode", "legacy"], "argument --retry-mode: invalid"),
        (["--since", "2026-01-01", "--region", "us east"], "argument --region: Provided region"),
        (
            ["--since", "2026-01-01", "--region", "us-east-1", "--endpoint-url", "ftp//x"],
            "argument --endpoint-url: Invalid endpoint: ftp//x",
        ),
        (
            ["--since", "2026-01-01", "--profile", "nope"],
            "argument --profile: The config profile (nope) could not be found",
        ),
    ],
)
def test_cli_bad_arguments_exit_2_naming_the_flag(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require("boto3")
    out = tmp_path / "history.csv"
    status, err = run_cli(["trace", "export", *arguments, str(out)], capsys)
    assert status == 2
    assert f"warmpool trace export: error: {message}" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_out_must_be_csv_or_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "history.txt"
    status, err = run_cli(["trace", "export", "--since", "2026-01-01", str(out)], capsys)
    assert status == 2
    assert (
        f"argument OUT: expected a file name ending in .csv or .jsonl (.gz to compress), "
        f"not '{out}'"
    ) in err
    assert not out.exists()


@pytest.mark.usefixtures("aws_env")
def test_cli_cannot_write_out_is_status_1(
    server: WarmPoolServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-directory" / "history.csv"
    status, err = run_cli(export_args(server.url, out), capsys)
    assert status == 1
    assert err.startswith(f"warmpool trace export: cannot write {out}: ")
    assert err.count("\n") == 1


@pytest.mark.usefixtures("aws_env")
def test_cli_interrupted_is_status_130_without_a_traceback(
    server: WarmPoolServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from warmpool.sim import export

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "export_trace", interrupted)
    out = tmp_path / "history.csv"
    status, err = run_cli(export_args(server.url, out), capsys)
    assert (status, err) == (130, "warmpool trace export: interrupted; nothing written\n")
    assert not out.exists()


def test_error_line_is_one_line_with_a_hint() -> None:
    botocore_exceptions = require("botocore.exceptions")
    error = botocore_exceptions.ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not\nallowed"}},
        "ListTrainingJobs",
    )
    assert error_line(error) == (
        "An error occurred (AccessDeniedException) when calling the ListTrainingJobs "
        "operation: not allowed (the export needs sagemaker:ListTrainingJobs and "
        "sagemaker:DescribeTrainingJob)"
    )
    assert error_line(ValueError("")) == "ValueError"
