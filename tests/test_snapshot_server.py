"""``warmpool serve --state FILE`` and ``POST /_warmpool/snapshot``: behaviour §10.6, §12.3, D48.

The server writes the emulator's snapshot to its state file on ``POST /_warmpool/snapshot`` and
when it closes, always atomically (a temporary file, fsynced, then renamed): a crash or an error
mid-write leaves the previous file whole. ``warmpool serve --state FILE`` restores the emulator
from FILE at start when it exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import INSTANCE_TYPE, request, run_cli
from tests.test_server import TIMEOUT, Address, _read_line, call, control, new_emulator, send
from warmpool import WarmPoolEmulator
from warmpool.errors import SnapshotError
from warmpool.server import WarmPoolServer, make_server
from warmpool.snapshot import read_snapshot, write_snapshot


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


@pytest.fixture
def server(state_file: Path) -> Iterator[WarmPoolServer]:
    with make_server(new_emulator(), state_file=state_file).start() as running:
        yield running


def busy(server: WarmPoolServer) -> None:
    """A job with an Available warm pool, one training, and time moved on."""
    assert call(server, "CreateTrainingJob", request("kept", keep_alive=600)).status == 200
    assert call(server, "CreateTrainingJob", request("running")).status == 200
    control(server, "advance", {"seconds": 200})
    control(server, "complete", {"TrainingJobName": "kept"})


def left_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# -- POST /_warmpool/snapshot -------------------------------------------------------------------


def test_post_snapshot_answers_with_the_document() -> None:
    """behaviour §12.3 / §10.6 / D48: the reply's body is the emulator's snapshot, whole (not
    merged with the state); without a state file nothing is written."""
    with make_server(new_emulator()).start() as server:
        busy(server)
        reply = control(server, "snapshot")
        assert reply.status == 200
        with server.lock:
            assert reply.json == server.emulator.snapshot()
        assert server.state_file is None
        back = WarmPoolEmulator.restore(reply.json)
        assert back.job_names() == ["kept", "running"]
        assert back.warm_pool("kept") == server.emulator.warm_pool("kept")


def test_post_snapshot_writes_the_state_file(server: WarmPoolServer, state_file: Path) -> None:
    """behaviour §12.3 / D48: with a state file the snapshot is written there too."""
    busy(server)
    reply = control(server, "snapshot")
    assert reply.status == 200
    assert read_snapshot(state_file) == reply.json
    assert left_in(state_file.parent) == ["state.json"]  # no temporary file left behind


def test_close_writes_the_state_file_once(state_file: Path) -> None:
    """behaviour §12.3 / D48: close() writes the snapshot (once; close is idempotent)."""
    server = make_server(new_emulator(), state_file=state_file).start()
    busy(server)
    expected = server.emulator.snapshot()
    server.close()
    assert read_snapshot(state_file) == expected
    state_file.unlink()
    server.close()
    assert not state_file.exists()


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("POST", b'{"Path": "/tmp/x"}', 400, "InvalidControlInput"),
        ("GET", None, 405, "MethodNotAllowed"),
    ],
)
def test_snapshot_route_input(
    server: WarmPoolServer,
    state_file: Path,
    method: str,
    body: bytes | None,
    status: int,
    code: str,
) -> None:
    """behaviour §12.3 / D32 / D48: the route takes no members (the file is the server's own);
    a refused request writes nothing."""
    reply = send(server, method, "/_warmpool/snapshot", body, {"Content-Type": "application/json"})
    reply.assert_error(status, code)
    assert not state_file.exists()


# -- atomic writes ------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_whole(
    server: WarmPoolServer, state_file: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """behaviour §12.3 / D48: the write fails after the temporary file was written (before its
    rename, or at it): 500 StateFileWriteFailed, the old file as it was, no temporary file."""
    control(server, "snapshot")
    old = state_file.read_bytes()
    busy(server)

    def broken(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    reply = send(server, "POST", "/_warmpool/snapshot", None, {})
    message = reply.assert_error(500, "StateFileWriteFailed")
    assert "No space left on device" in message and str(state_file) in message
    monkeypatch.undo()
    assert state_file.read_bytes() == old
    assert left_in(state_file.parent) == ["state.json"]
    assert send(server, "GET", "/_warmpool/state").status == 200  # the server keeps serving
    assert call(server, "DescribeTrainingJob", {"TrainingJobName": "kept"}).status == 200


def test_a_crash_mid_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """behaviour §12.3 / D48: a process killed between writing the temporary file and renaming
    it leaves the old file whole (and a temporary file beside it, which nothing reads)."""
    target = tmp_path / "state.json"
    write_snapshot(target, new_emulator().snapshot())
    old = target.read_bytes()
    program = textwrap.dedent(
        f"""
        import os
        from warmpool import WarmPoolEmulator
        from warmpool.snapshot import write_snapshot
        emu = WarmPoolEmulator()
        emu.advance(3600)
        os.replace = lambda *args: os._exit(9)  # the machine dies right before the rename
        write_snapshot({str(target)!r}, emu.snapshot())
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", program], timeout=TIMEOUT * 3, capture_output=True, check=False
    )
    assert finished.returncode == 9, finished.stderr
    assert target.read_bytes() == old
    assert WarmPoolEmulator.restore(read_snapshot(target)).now == 0
    left = left_in(tmp_path)
    assert len(left) == 2 and left[0].startswith(".state.json.") and left[0].endswith(".tmp")


def test_read_snapshot_refuses_what_is_not_a_json_object(tmp_path: Path) -> None:
    """behaviour §10.6 / D48: a file cut short, holding NaN, a repeated key or not an object."""
    for text in ('{"format": "warmpool-snap', '{"a": NaN}', '{"a": 1, "a": 2}', "[1]"):
        path = tmp_path / "bad.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SnapshotError) as caught:
            read_snapshot(path)
        assert str(path) in str(caught.value)


def test_write_snapshot_refuses_a_document_that_is_not_json(tmp_path: Path) -> None:
    """behaviour §10.6 / D48: nothing is written (not even a temporary file)."""
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_snapshot(tmp_path / "state.json", {"now": float("nan")})
    assert left_in(tmp_path) == []


# -- warmpool serve --state -----------------------------------------------------------------------


def _serve(state: Path, *flags: str) -> tuple[subprocess.Popen[str], Address]:
    command = [sys.executable, "-m", "warmpool.cli", "serve", "--quiet", "--state", str(state)]
    process = subprocess.Popen(
        [*command, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = _read_line(process)
    assert line.startswith("warmpool serving SageMaker on http://127.0.0.1:"), line
    return process, Address("127.0.0.1", int(line.strip().rsplit(":", 1)[1]))


def _stop(process: subprocess.Popen[str], how: signal.Signals) -> str:
    process.send_signal(how)
    try:
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    return stderr


def test_serve_state_survives_a_restart(state_file: Path) -> None:
    """behaviour §12.3 / §10.6 / D48: the first run writes the file at once and on SIGTERM; the
    second restores it (its quotas, not the flags') and carries on where the first stopped."""
    process, target = _serve(state_file, "--warm-pool-quota", f"{INSTANCE_TYPE}=2")
    try:
        assert read_snapshot(state_file)["jobs"] == []  # written at start
        assert call(target, "CreateTrainingJob", request("kept", keep_alive=900)).status == 200
        control(target, "advance", {"seconds": 200})
        control(target, "complete", {"TrainingJobName": "kept"})
    finally:
        stderr = _stop(process, signal.SIGTERM)
    assert "Traceback" not in stderr
    saved = read_snapshot(state_file)
    assert [job["name"] for job in saved["jobs"]] == ["kept"]

    process, target = _serve(state_file, "--training-seconds", "100")
    try:
        state = control(target, "advance", {"seconds": 0}).json
        assert state["VirtualSeconds"] == 200 and state["JobCount"] == 1
        described = call(target, "DescribeTrainingJob", {"TrainingJobName": "kept"}).json
        assert described["WarmPoolStatus"] == {"Status": "Available"}
        # the snapshot's warm pool quota (2), and the new flag's workload for new jobs
        assert call(target, "CreateTrainingJob", request("next", keep_alive=900)).status == 200
        control(target, "advance", {"seconds": 120})
        described = call(target, "DescribeTrainingJob", {"TrainingJobName": "next"}).json
        assert described["TrainingJobStatus"] == "Completed"
        assert described["WarmPoolStatus"] == {"Status": "Available"}
        reply = control(target, "snapshot")
        assert reply.json == read_snapshot(state_file)
    finally:
        stderr = _stop(process, signal.SIGINT)
    assert f"restored 1 jobs at 2026-01-01T00:03:20Z from {state_file}" in stderr
    assert "--warm-pool-quota" in stderr  # the note that the flags do not apply
    assert WarmPoolEmulator.restore(read_snapshot(state_file)).job_names() == ["kept", "next"]


def test_serve_refuses_a_state_file_it_cannot_restore(state_file: Path) -> None:
    """behaviour §12.3 / §10.6 / D48: exit 1 naming the file and the path of what is wrong; the
    file is left as it was."""
    document = new_emulator().snapshot()
    document["version"] = 99
    state_file.write_text(json.dumps(document), encoding="utf-8")
    before = state_file.read_bytes()
    status, out, err = run_cli("serve", "--state", str(state_file))
    assert status == 1 and out == ""
    assert f"cannot restore the state file {state_file}: version: 99 is not a version" in err
    assert state_file.read_bytes() == before


def test_serve_refuses_a_state_file_it_cannot_write(tmp_path: Path) -> None:
    """behaviour §12.3 / D48: a state file in a directory that does not exist fails at once."""
    missing = tmp_path / "no-such-directory" / "state.json"
    status, out, err = run_cli("serve", "--state", str(missing))
    assert status == 1 and out == ""
    assert f"cannot write the state file {missing}" in err
