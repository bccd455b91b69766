"""``warmpool serve`` for whole test suites: reset, timeouts, connection limits, garbled request
lines, clients that vanish, and a closed stdout.

Raw sockets stand in for misbehaving clients: a request line no HTTP library would send, a body
that stops half-way, a connection reset (``SO_LINGER`` 0, then close). Every wait is bounded by
``TIMEOUT``; no test measures how long anything took.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.factories import INSTANCE_TYPE, request
from tests.test_server import (
    EPOCH_SECONDS,
    TIMEOUT,
    Address,
    Reply,
    _read_line,
    call,
    control,
    create,
    new_emulator,
    sagemaker,
    send,
    snapshot,
)
from warmpool import JobPlan, Limits, Quota, VirtualClock
from warmpool.cli import EXIT_BROKEN_PIPE, build_emulator, main
from warmpool.server import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    WarmPoolServer,
    make_server,
)

_LIST = (
    b"POST / HTTP/1.1\r\nHost: warmpool\r\nX-Amz-Target: SageMaker.ListTrainingJobs\r\n"
    b"Content-Type: application/x-amz-json-1.1\r\n"
)
FRESH_STATE = {
    "Now": EPOCH_SECONDS,
    "NowIso": "2026-01-01T00:00:00Z",
    "VirtualSeconds": 0,
    "NextEventTime": None,
    "NextEventTimeIso": None,
    "JobCount": 0,
}


@pytest.fixture
def server() -> Iterator[WarmPoolServer]:
    with make_server(new_emulator()).start() as running:
        yield running


def connect(server: WarmPoolServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=TIMEOUT)


def answer(sock: socket.socket) -> Reply:
    """Read one HTTP/1.x response from a raw socket (it must start with a status line)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return Reply(response)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (waiting at most TIMEOUT for it)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset (RST) instead of an orderly shutdown."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def await_continue(sock: socket.socket) -> None:
    """Wait for ``100 Continue``: proof that the server has read the request's headers."""
    received = b""
    while not received.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 100 "), received


def keep_alive(server: WarmPoolServer) -> http.client.HTTPConnection:
    """A connection that has served one request and stays open (idle)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    state(connection)
    return connection


def state(connection: http.client.HTTPConnection) -> Reply:
    connection.request("GET", "/_warmpool/state")
    return Reply(connection.getresponse())


# --------------------------------------------------------------------------------------------
# POST /_warmpool/reset
# --------------------------------------------------------------------------------------------


def test_reset_replaces_the_emulator_with_a_fresh_one(server: WarmPoolServer) -> None:
    """D32: POST /_warmpool/reset swaps in WarmPoolEmulator.fresh(): no jobs, the clock back at
    its start, the same settings; the reply is the new emulator's state."""
    client = sagemaker(server)
    old = server.emulator
    create(client, "job-1")
    control(server, "advance", {"seconds": 180})
    control(server, "complete", {"TrainingJobName": "job-1"})

    reply = control(server, "reset")
    assert reply.status == 200
    assert reply.json == FRESH_STATE
    assert server.emulator is not old
    assert client.list_training_jobs()["TrainingJobSummaries"] == []
    assert old.job_names() == ["job-1"]  # the old emulator is left as it was
    # the same settings: the warm pool quota still keeps a pool; the name is free again
    create(client, "job-1")
    control(server, "advance", {"seconds": 180})
    control(server, "complete", {"TrainingJobName": "job-1"})
    job = client.describe_training_job(TrainingJobName="job-1")
    assert job["WarmPoolStatus"] == {"Status": "Available"}
    assert job["CreationTime"] == datetime(2026, 1, 1, tzinfo=timezone.utc)
    # the new emulator counts its own answers: list, create, describe
    assert job["ResponseMetadata"]["RequestId"] == "00000000-0000-0000-0000-000000000003"


def test_reset_keeps_the_settings_of_warmpool_serve_flags() -> None:
    """D32: after a reset the emulator has the flags' limits, quotas and workload again."""
    emu = build_emulator(warm_pool_quotas=[(INSTANCE_TYPE, 1)], training_seconds=600, limits="api")
    with make_server(emu).start() as server:
        call(server, "CreateTrainingJob", request("job-1"))
        new = server.reset()
        assert new is server.emulator
        assert new is not emu
        assert new.limits == Limits.API_MODEL
        assert new.quotas[INSTANCE_TYPE] == Quota(warm_pool=1)
        assert call(server, "CreateTrainingJob", request("job-1", keep_alive=21600)).status == 200
        control(server, "advance", {"seconds": 180 + 600})
        described = call(server, "DescribeTrainingJob", {"TrainingJobName": "job-1"}).json
        assert described["TrainingJobStatus"] == "Completed"  # the --training-seconds workload
        assert described["WarmPoolStatus"] == {"Status": "Available"}


def test_reset_restarts_a_custom_clock_where_it_started() -> None:
    """D32: a fresh emulator's clock starts at the original clock's epoch and start time."""
    epoch = datetime(2030, 6, 1, tzinfo=timezone.utc)
    emu = new_emulator(clock=VirtualClock(epoch, now=100))
    with make_server(emu).start() as server:
        control(server, "advance", {"seconds": 5000})
        state = control(server, "reset").json
        assert state["VirtualSeconds"] == 100
        assert state["NowIso"] == "2030-06-01T00:01:40Z"


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("POST", b"{}", 200, None),
        ("POST", b"", 200, None),
        ("POST", b'{"everything": true}', 400, "InvalidControlInput"),
        ("POST", b"[]", 400, "InvalidControlInput"),
        ("GET", None, 405, "MethodNotAllowed"),
    ],
)
def test_reset_route_input(
    server: WarmPoolServer, method: str, body: bytes | None, status: int, code: str | None
) -> None:
    """D32: reset takes no members; anything else is refused and changes nothing."""
    create(sagemaker(server), "job-1")
    old, before = server.emulator, snapshot(server)
    reply = send(server, method, "/_warmpool/reset", body, {"Content-Type": "application/json"})
    if code is None:
        assert reply.status == 200
        assert reply.json == FRESH_STATE
    else:
        message = reply.assert_error(status, code)
        assert server.emulator is old
        assert snapshot(server) == before
        if status == 400 and body and body.startswith(b"{"):
            assert message == "Unknown member 'everything' for /_warmpool/reset; it takes none"


def test_reset_waits_for_the_request_in_flight() -> None:
    """D32: a request in flight finishes against the old emulator; the reset waits for it, and
    later requests run against the new one."""
    entered, release = threading.Event(), threading.Event()

    def slow_workload(job: Mapping[str, Any]) -> JobPlan | None:
        entered.set()
        release.wait(TIMEOUT)
        return None

    emu = new_emulator(workload=slow_workload)
    with make_server(emu).start() as server:
        replies: dict[str, Reply] = {}
        creating = threading.Thread(
            target=lambda: replies.update(create=call(server, "CreateTrainingJob", request("j")))
        )
        creating.start()
        assert entered.wait(TIMEOUT)  # the create is inside the emulator now
        resetting = threading.Thread(target=lambda: replies.update(reset=control(server, "reset")))
        resetting.start()
        resetting.join(0.2)
        assert resetting.is_alive()  # the reset waits for the create in flight
        release.set()
        creating.join(TIMEOUT)
        resetting.join(TIMEOUT)
        assert replies["create"].status == 200
        assert replies["reset"].json == FRESH_STATE
        assert emu.job_names() == ["j"]  # the create ran against the old emulator
        assert server.emulator.job_names() == []
        assert call(server, "CreateTrainingJob", request("k")).status == 200
        assert server.emulator.job_names() == ["k"]
        assert emu.job_names() == ["j"]


def test_reset_under_concurrent_requests_never_half_swaps() -> None:
    """D32: with clients busy on several connections, every reset answers a fresh state and
    every request is answered by one emulator or the other: never a 500."""
    with make_server(new_emulator()).start() as server:
        statuses: list[tuple[int, str | None]] = []
        resets: list[Any] = []
        failures: list[BaseException] = []
        barrier = threading.Barrier(5, timeout=TIMEOUT)

        def work(index: int) -> None:
            try:
                barrier.wait()
                for job in range(15):
                    name = f"job-{index}-{job}"
                    for reply in (
                        call(server, "CreateTrainingJob", request(name)),
                        call(server, "DescribeTrainingJob", {"TrainingJobName": name}),
                        control(server, "advance", {"seconds": 1}),
                    ):
                        statuses.append((reply.status, (reply.json or {}).get("__type")))
            except BaseException as error:  # reported below, in the main thread
                failures.append(error)

        def resetter() -> None:
            try:
                barrier.wait()
                for _ in range(15):
                    resets.append(control(server, "reset").json)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
        threads.append(threading.Thread(target=resetter))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 3)
        assert failures == []
        assert resets == [FRESH_STATE] * 15
        assert set(statuses) <= {(200, None), (400, "ValidationException")}
        assert (200, None) in statuses


# --------------------------------------------------------------------------------------------
# Timeouts
# --------------------------------------------------------------------------------------------


def test_stalled_body_gets_408_and_the_connection_closes() -> None:
    """D32: a body that stops before its Content-Length gets 408 RequestTimeout after
    request_timeout (the idle timeout is far longer than the test waits), then the connection
    closes; nothing changes."""
    with make_server(new_emulator(), request_timeout=0.5, idle_timeout=600).start() as server:
        before = snapshot(server)
        with connect(server) as sock:
            sock.sendall(_LIST + b"Content-Length: 100\r\n\r\n{")
            reply = answer(sock)
            message = reply.assert_error(408, "RequestTimeout")
            assert "--request-timeout" in message
            assert reply.headers["connection"] == "close"
            assert closed_by_server(sock)
        assert snapshot(server) == before
        assert call(server, "ListTrainingJobs", {}).status == 200  # still serving


def test_stalled_headers_get_408_and_the_connection_closes() -> None:
    """D32: headers that never end get 408 too: the request's time runs from its first byte."""
    with (
        make_server(new_emulator(), request_timeout=0.5, idle_timeout=600).start() as server,
        connect(server) as sock,
    ):
        sock.sendall(b"POST / HTTP/1.1\r\nHost: warmpool\r\n")
        answer(sock).assert_error(408, "RequestTimeout")
        assert closed_by_server(sock)


def test_idle_connection_is_closed_after_idle_timeout() -> None:
    """D32: a connection that waits idle_timeout for its next request is closed quietly."""
    log = io.StringIO()
    with make_server(new_emulator(), idle_timeout=0.5, log=log).start() as server:
        with connect(server) as sock:
            sock.sendall(_LIST + b"Content-Length: 2\r\n\r\n{}")
            assert answer(sock).status == 200
            assert closed_by_server(sock)  # no answer to a request never sent: just the close
        with connect(server) as sock:  # never sends anything
            assert closed_by_server(sock)
    assert "408" not in log.getvalue()


# --------------------------------------------------------------------------------------------
# Garbled request lines
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        pytest.param(b"GARBAGE\r\n\r\n", 400, "BadRequest", id="one-word"),
        pytest.param(b"GET\r\n", 400, "BadRequest", id="method-only"),
        pytest.param(b"GET /\r\n", 400, "BadRequest", id="http-0.9"),
        pytest.param(b"GET /_warmpool/state\r\n\r\n", 400, "BadRequest", id="http-0.9-state"),
        pytest.param(b"POST / HTTP/1.1 extra\r\n\r\n", 400, "BadRequest", id="four-words"),
        pytest.param(b"GET / HTPT/1.1\r\n\r\n", 400, "BadRequest", id="bad-version"),
        pytest.param(b"\x00\x01\xfe\xff\x1b[2J junk\r\n\r\n", 400, "BadRequest", id="binary"),
        pytest.param(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400, "BadRequest", id="tls"),
        pytest.param(b"GET / HTTP/2.0\r\n\r\n", 505, "HTTPVersionNotSupported", id="http-2"),
        pytest.param(b"BREW / HTTP/1.1\r\n\r\n", 501, "NotImplemented", id="unknown-method"),
        pytest.param(b"A" * 70000, 414, "RequestURITooLong", id="over-long"),
    ],
)
def test_garbled_request_line_gets_a_status_line_and_json(
    server: WarmPoolServer, data: bytes, status: int, code: str
) -> None:
    """D32: a request line that is not METHOD PATH HTTP/1.x gets a real HTTP/1.1 status line
    (never an HTTP/0.9-style bare body) with the AWS-style JSON error, and the connection
    closes; nothing changes and the server keeps serving."""
    create(sagemaker(server), "job-1")
    before = snapshot(server)
    with connect(server) as sock:
        sock.sendall(data)
        reply = answer(sock)
        assert reply.assert_error(status, code)
        assert reply.headers["connection"] == "close"
        assert closed_by_server(sock)
    assert snapshot(server) == before
    assert call(server, "DescribeTrainingJob", {"TrainingJobName": "job-1"}).status == 200


def test_tls_handshake_is_told_to_use_http(server: WarmPoolServer) -> None:
    """D32: a client speaking TLS to the plain-HTTP server is told so at once."""
    with connect(server) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        assert "http://" in answer(sock).assert_error(400, "BadRequest")


def test_empty_lines_before_a_request_are_ignored(server: WarmPoolServer) -> None:
    """RFC 9112 §2.2: empty lines before a request line are skipped, not an error."""
    with connect(server) as sock:
        sock.sendall(b"\r\n\r\n" + _LIST + b"Content-Length: 2\r\n\r\n{}")
        assert answer(sock).status == 200


def test_log_lines_escape_control_characters() -> None:
    """D32: a garbled request line is logged with its control characters escaped."""
    log = io.StringIO()
    with make_server(new_emulator(), log=log).start() as server, connect(server) as sock:
        sock.sendall(b"\x1b[31mRED\x07\r\n\r\n")
        answer(sock).assert_error(400, "BadRequest")
    assert "\x1b" not in log.getvalue()
    assert "\x07" not in log.getvalue()
    assert "\\x1b[31mRED\\x07" in log.getvalue()


# --------------------------------------------------------------------------------------------
# Connection limits
# --------------------------------------------------------------------------------------------


def test_connection_over_the_limit_closes_the_longest_idle_one() -> None:
    """D32: at max_connections, a new connection closes the connection idle the longest (its
    client reconnects, as HTTP clients do for a closed keep-alive connection) and is served."""
    log = io.StringIO()
    with make_server(new_emulator(), max_connections=2, log=log).start() as server:
        first = keep_alive(server)
        second = keep_alive(server)
        for _ in range(3):  # the second connection was used last
            assert state(second).status == 200
        assert server.connection_count == 2
        with connect(server) as sock:
            sock.sendall(_LIST + b"Content-Length: 2\r\n\r\n{}")
            assert answer(sock).status == 200
            assert first.sock is not None
            assert closed_by_server(first.sock)
            assert state(second).status == 200  # the other one is left alone
        first.close()
        second.close()
    assert "idle connection closed to make room (--max-connections 2)" in log.getvalue()


def test_connection_over_the_limit_when_all_are_busy_gets_503() -> None:
    """D32: when every connection is in the middle of a request, a new one gets 503
    ServiceUnavailable with an AWS-style body and is closed; the busy ones are unaffected."""
    with make_server(new_emulator(), max_connections=1).start() as server:
        with connect(server) as busy:
            busy.sendall(_LIST + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            await_continue(busy)  # the server is reading this request's body now
            with connect(server) as refused:
                refused.sendall(_LIST + b"Content-Length: 2\r\n\r\n{}")
                reply = answer(refused)
                message = reply.assert_error(503, "ServiceUnavailable")
                assert "--max-connections" in message
                assert reply.headers["connection"] == "close"
                assert closed_by_server(refused)
            busy.sendall(b"{}")
            assert answer(busy).status == 200
        assert call(server, "ListTrainingJobs", {}).status == 200  # a slot is free again


def test_close_closes_open_connections() -> None:
    """close() ends every open connection, so a suite's fixture leaves no thread behind."""
    server = make_server(new_emulator()).start()
    connection = keep_alive(server)
    server.close()
    assert connection.sock is not None
    assert closed_by_server(connection.sock)
    assert server.connection_count == 0
    connection.close()


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("max_connections", 0, ValueError),
        ("max_connections", -3, ValueError),
        ("max_connections", 2.0, TypeError),
        ("max_connections", True, TypeError),
        ("max_connections", "8", TypeError),
        ("idle_timeout", 0, ValueError),
        ("idle_timeout", -1.5, ValueError),
        ("idle_timeout", float("nan"), ValueError),
        ("idle_timeout", float("inf"), ValueError),
        ("idle_timeout", 10**6, ValueError),
        ("idle_timeout", "60", TypeError),
        ("idle_timeout", None, TypeError),
        ("request_timeout", 0.0, ValueError),
        ("request_timeout", False, TypeError),
        ("max_body_bytes", 1.5, TypeError),
    ],
)
def test_server_settings_are_validated(name: str, value: Any, error: type[Exception]) -> None:
    """A bad setting is a TypeError (wrong type) or ValueError (out of range) naming it."""
    with pytest.raises(error, match=name):
        make_server(new_emulator(), **{name: value})


def test_server_settings_defaults_and_values() -> None:
    with make_server(new_emulator()) as server:
        assert server.max_connections == DEFAULT_MAX_CONNECTIONS == 64
        assert server.idle_timeout == DEFAULT_IDLE_TIMEOUT == 60
        assert server.request_timeout == DEFAULT_REQUEST_TIMEOUT == 30
    emu = new_emulator()
    with WarmPoolServer(emu, max_connections=3, idle_timeout=1, request_timeout=2.5) as server:
        assert (server.max_connections, server.idle_timeout, server.request_timeout) == (3, 1, 2.5)


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--max-connections", "0"],
        ["serve", "--max-connections", "many"],
        ["serve", "--idle-timeout", "0"],
        ["serve", "--idle-timeout", "nan"],
        ["serve", "--request-timeout", "-1"],
        ["serve", "--request-timeout", "forever"],
    ],
)
def test_serve_rejects_bad_connection_flags(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert argv[1] in capsys.readouterr().err


def test_serve_help_documents_the_flags_and_reset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--max-connections N", "--idle-timeout SECONDS", "--request-timeout SECONDS"):
        assert flag in text
    assert "POST /_warmpool/reset" in text
    assert "503" in text
    assert "408" in text


# --------------------------------------------------------------------------------------------
# Clients that vanish
# --------------------------------------------------------------------------------------------


def test_client_reset_mid_request_logs_one_line_and_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A client that resets its connection half-way through its body costs one log line, no
    traceback, nothing on stderr."""
    log = io.StringIO()
    with make_server(new_emulator(), log=log).start() as server:
        sock = connect(server)
        sock.sendall(_LIST + b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n{")
        await_continue(sock)
        reset(sock)
        assert call(server, "ListTrainingJobs", {}).status == 200
    lines = log.getvalue().splitlines()
    assert "Traceback" not in log.getvalue()
    dropped = [line for line in lines if "dropped the connection" in line]
    assert dropped == [
        "127.0.0.1 - the client dropped the connection during a request (ConnectionResetError)"
    ]
    assert capfd.readouterr().err == ""


def test_client_resets_print_nothing_without_a_log(capfd: pytest.CaptureFixture[str]) -> None:
    """With no log (``--quiet``), resets mid-request, mid-response and between requests print
    nothing at all."""
    with make_server(new_emulator()).start() as server:
        for _ in range(3):
            resets(server)
        assert call(server, "ListTrainingJobs", {}).status == 200
    assert capfd.readouterr() == ("", "")


def test_client_resets_log_at_most_one_line_each(capfd: pytest.CaptureFixture[str]) -> None:
    log = io.StringIO()
    with make_server(new_emulator(), log=log).start() as server:
        resets(server)
    assert "Traceback" not in log.getvalue()
    assert sum("dropped the connection" in line for line in log.getvalue().splitlines()) <= 3
    assert capfd.readouterr().err == ""


def resets(server: WarmPoolServer) -> None:
    """Three connections reset by their client: mid-request, mid-response, between requests."""
    mid_request = connect(server)
    mid_request.sendall(_LIST + b"Expect: 100-continue\r\nContent-Length: 50\r\n\r\n")
    await_continue(mid_request)
    reset(mid_request)
    big = json.dumps({"MaxResults": 100}).encode()
    mid_response = connect(server)
    mid_response.sendall(_LIST + f"Content-Length: {len(big)}\r\n\r\n".encode() + big)
    reset(mid_response)
    idle = connect(server)
    idle.sendall(_LIST + b"Content-Length: 2\r\n\r\n{}")
    assert answer(idle).status == 200
    reset(idle)


def test_cli_serve_quiet_prints_nothing_for_client_resets() -> None:
    """``warmpool serve --quiet``: clients resetting their connections print nothing at all."""
    process = subprocess.Popen(
        [sys.executable, "-m", "warmpool.cli", "serve", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = _read_line(process)
        port = int(line.strip().rsplit(":", 1)[1])
        target = Address("127.0.0.1", port)
        for _ in range(2):
            resets_at(target)
        assert call(target, "ListTrainingJobs", {}).status == 200
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert stderr == "warmpool serve: stopped\n"


def resets_at(target: Address) -> None:
    sock = socket.create_connection((target.host, target.port), timeout=TIMEOUT)
    sock.sendall(_LIST + b"Expect: 100-continue\r\nContent-Length: 50\r\n\r\n")
    await_continue(sock)
    reset(sock)
    sock = socket.create_connection((target.host, target.port), timeout=TIMEOUT)
    sock.sendall(_LIST + b"Content-Length: 2\r\n\r\n{}")
    reset(sock)


# --------------------------------------------------------------------------------------------
# A closed stdout
# --------------------------------------------------------------------------------------------


def run_with_closed_stdout(
    *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``warmpool ARGV`` with a stdout pipe whose reading end is closed before warmpool
    writes a byte, so that every write to stdout fails (as in ``warmpool demo | head -3``).
    ``env`` sets environment variables (an empty value removes one)."""
    environment = dict(os.environ)
    for name, value in (env or {}).items():
        if value:
            environment[name] = value
        else:
            environment.pop(name, None)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "warmpool.cli", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            env=environment,
        )
    finally:
        os.close(write_end)


def test_closed_stdout_exits_quietly_with_141() -> None:
    """``warmpool demo | head -3``: when stdout is closed early, warmpool stops with status 141
    (128 + SIGPIPE) and prints no traceback."""
    done = run_with_closed_stdout("demo")
    assert done.returncode == EXIT_BROKEN_PIPE == 141
    assert done.stderr == ""


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"]])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_closed_stdout_after_help_exits_quietly_with_141(argv: list[str], unbuffered: str) -> None:
    """Help meets a closed stdout too: status 141 and no traceback, whether Python buffers its
    output or not (PYTHONUNBUFFERED)."""
    done = run_with_closed_stdout(*argv, env={"PYTHONUNBUFFERED": unbuffered})
    assert (done.returncode, done.stderr) == (EXIT_BROKEN_PIPE, "")


def test_open_stdout_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "Billed:" in capsys.readouterr().out
