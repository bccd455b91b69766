"""The ``warmpool`` command: ``warmpool demo`` runs the walk-through of the AWS guide "Train Using
SageMaker Managed Warm Pools"; ``warmpool serve`` serves the emulator over SageMaker's wire
protocol (see ``docs/server.md``); ``warmpool replay`` replays a trace of training jobs and
reports what warm pools did (see ``docs/replay.md``); ``warmpool sweep`` replays one trace under
many keep-alive settings and ``warmpool advise`` recommends keep-alives and warm pool quotas
(see ``docs/policies.md``); ``warmpool trace export`` writes an account's training-job history
as a trace.

Exit statuses: 0 on success; 1 when ``warmpool serve`` cannot listen or cannot read or write
its ``--state`` file, ``warmpool replay``, ``sweep`` or ``advise`` cannot read or replay its
trace, or ``warmpool trace export`` meets an error from AWS; 2 for bad arguments (and a refused
``demo``); 141 (128 + SIGPIPE, as a shell reports a program killed by a closed pipe) when
standard output is closed early, as in ``warmpool demo | head -3``: the command then stops
quietly, without a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any

from . import __version__
from .config import JobPlan, Limits
from .emulator import WarmPoolEmulator, Workload
from .errors import SnapshotError, WarmPoolError
from .events import (
    Event,
    JobCreated,
    JobReleased,
    KeepAliveUpdated,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    StopRequested,
    TrainingStarted,
)
from .quota import Quota
from .server import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    make_server,
    warn_if_exposed,
)
from .sim.advise_command import add_advise_parser, run_advise
from .sim.command import add_replay_parser, run_replay
from .sim.export import add_trace_parser, run_trace_export
from .sim.sweep_command import add_sweep_parser, run_sweep
from .snapshot import read_snapshot, write_snapshot

__all__ = ["EXIT_BROKEN_PIPE", "demo", "main", "serve"]

#: The exit status when standard output is closed early (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
INSTANCE_TYPE = "ml.g5.xlarge"
SECONDS_PER_EPOCH = 900


def guide_request(name: str, epochs: int, keep_alive: int) -> dict[str, Any]:
    """A ``CreateTrainingJob`` request like the AWS guide's TensorFlow estimators produce."""
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
            "tensorflow-training:2.16-gpu-py310",
            "TrainingInputMode": "File",
        },
        "HyperParameters": {
            "batch-size": "512",
            "epochs": str(epochs),
            "learning-rate": "0.001",
            "beta_1": "0.9",
            "beta_2": "0.999",
        },
        "InputDataConfig": [
            {
                "ChannelName": "training",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://my_bucket/my_training_data/",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://my_bucket/output"},
        "ResourceConfig": {
            "InstanceType": INSTANCE_TYPE,
            "InstanceCount": 1,
            "VolumeSizeInGB": 250,
            "KeepAlivePeriodInSeconds": keep_alive,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


def epochs_workload(request: Mapping[str, Any]) -> JobPlan:
    """Each epoch trains for 15 minutes of virtual time."""
    epochs = int(request.get("HyperParameters", {}).get("epochs", "1"))
    return JobPlan(training_seconds=epochs * SECONDS_PER_EPOCH)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"+{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _describe_event(event: Event) -> str:
    if isinstance(event, JobCreated):
        how = "takes over warm pool" if event.cluster is not None else "cold start"
        return f"CreateTrainingJob ({how})"
    if isinstance(event, TrainingStarted):
        how = "warm" if event.warm else "new cluster launched"
        return f"training starts on cluster {event.cluster} ({how})"
    if isinstance(event, JobReleased):
        return f"training ends: {event.status}"
    if isinstance(event, PoolKept):
        return f"warm pool Available until {_clock(event.expires_at)}"
    if isinstance(event, PoolReused):
        return f"warm pool Reused by {event.by_job}"
    if isinstance(event, PoolTerminated):
        return f"warm pool Terminated ({event.reason}, {event.billable_seconds} s billable)"
    if isinstance(event, KeepAliveUpdated):
        return f"UpdateTrainingJob: keep-alive {event.keep_alive_seconds} s"
    if isinstance(event, StopRequested):
        return "StopTrainingJob"
    if isinstance(event, QuotaRefused):
        return f"{event.quota} quota refused {event.requested} x {event.instance_type}"
    return type(event).__name__


def _status(job: Mapping[str, Any]) -> str:
    """The job's status, with its secondary status when that says more: ``InProgress
    (Training)``, but ``Completed``."""
    status, secondary = job["TrainingJobStatus"], job.get("SecondaryStatus", "")
    return status if secondary in ("", status) else f"{status} ({secondary})"


def _table(emu: WarmPoolEmulator, names: Sequence[str]) -> str:
    header = ("Job", "Status", "Warm pool status", "Time left", "Billable seconds", "Reused by")
    rows = [header]
    for name in names:
        job = emu.describe_training_job(TrainingJobName=name)
        pool = job.get("WarmPoolStatus", {})
        view = emu.warm_pool(name)
        left = view.time_left if view is not None else None
        rows.append(
            (
                name,
                _status(job),
                pool.get("Status", "-"),
                "-" if left is None else _clock(left)[1:],
                str(pool.get("ResourceRetainedBillableTimeInSeconds", "-")),
                pool.get("ReusedByJob", "-"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def demo(out: Any = None, *, keep_alive: int = 1800, gap: int = 1000) -> WarmPoolEmulator:
    """Run the AWS guide's walk-through and print its timeline to ``out``, with the console's
    table while job 2 trains (job 1 ``Reused``, job 2's warm pool ``InUse``, as the AWS guide
    shows them), after job 2 completed, and after its warm pool is terminated; then the bill."""
    out = sys.stdout if out is None else out
    emu = WarmPoolEmulator(quotas={INSTANCE_TYPE: Quota(warm_pool=1)}, workload=epochs_workload)
    names = ("my-training-job-1", "my-training-job-2")

    def say(text: str = "") -> None:
        print(text, file=out)

    say(
        f'warmpool {__version__}: the walk-through of the AWS guide "Train Using SageMaker '
        'Managed Warm Pools", on a virtual clock'
    )
    say(
        f"(warm pool quota for {INSTANCE_TYPE}: 1 instance; cold start "
        f"{emu.timing.cold_start_seconds:g} s, warm start {emu.timing.warm_start_seconds:g} s, "
        f"{SECONDS_PER_EPOCH} s per epoch)"
    )
    say()
    shown = 0

    def timeline() -> None:
        nonlocal shown
        for event in list(emu.events)[shown:]:
            say(f"{_clock(event.time)}  {event.job:<18} {_describe_event(event)}")
        shown = len(emu.events)

    timing = emu.timing
    emu.create_training_job(**guide_request(names[0], epochs=1, keep_alive=keep_alive))
    emu.advance(timing.cold_start_seconds + SECONDS_PER_EPOCH)  # job 1 trains one epoch
    emu.advance(gap)
    emu.create_training_job(**guide_request(names[1], epochs=2, keep_alive=keep_alive))
    first_pool = emu.warm_pool(names[0])
    warm = first_pool is not None and first_pool.status == "Reused"  # job 2 took job 1's pool
    start = timing.warm_start_seconds if warm else timing.cold_start_seconds
    emu.advance(start + SECONDS_PER_EPOCH)  # job 2 is one epoch into its two
    timeline()
    say()
    where = "on the warm pool it took over" if warm else "on a new cluster"
    say(f"At {_clock(emu.now)}, while {names[1]} trains {where}:")
    say(_table(emu, names))
    say()
    emu.advance(SECONDS_PER_EPOCH)  # job 2 trains its second epoch and completes
    emu.advance(min(600, keep_alive // 2))
    timeline()
    say()
    say(f"At {_clock(emu.now)}, as the console shows it:")
    say(_table(emu, names))
    view = emu.warm_pool(names[1])
    if view is not None and view.status == "Available":
        say()
        maximum = emu.limits.max_keep_alive_seconds
        emu.update_training_job(
            TrainingJobName=names[1], ResourceConfig={"KeepAlivePeriodInSeconds": maximum}
        )
        emu.advance(300)
        emu.update_training_job(
            TrainingJobName=names[1], ResourceConfig={"KeepAlivePeriodInSeconds": 0}
        )
        timeline()
        say()
        say(f"At {_clock(emu.now)}, after terminating the warm pool:")
        say(_table(emu, names))
    totals = emu.billing.total()
    say()
    say(
        f"Billed: {totals.training_instance_seconds:g} training instance-seconds, "
        f"{totals.retained_instance_seconds:g} warm pool instance-seconds."
    )
    return emu


_LIMITS = {"guide-2022": Limits.GUIDE_2022, "docs": Limits.DOCS_CURRENT, "api": Limits.API_MODEL}


def _type_count(text: str) -> tuple[str, int]:
    """``TYPE=N`` (e.g. ``ml.m5.xlarge=2``) as ``(type, n)``; for argparse."""
    instance_type, sep, count = text.partition("=")
    if not sep or not instance_type.strip() or not count.strip().isdigit():
        raise argparse.ArgumentTypeError(
            f"expected INSTANCE_TYPE=N with N a whole number >= 0 (e.g. ml.m5.xlarge=2), "
            f"not {text!r}"
        )
    return instance_type.strip(), int(count)


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, not {text!r}")
    return int(value) if value.is_integer() else value


def _non_negative_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return int(text)


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def _timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds > 0 and at most 86400, not {text!r}"
        )
    return value


def _port(text: str) -> int:
    port = _non_negative_int(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535 (0 picks a free one), not {text}")
    return port


def build_emulator(
    *,
    warm_pool_quotas: Sequence[tuple[str, int]] = (),
    training_quotas: Sequence[tuple[str, int]] = (),
    training_seconds: float | None = None,
    limits: str = "guide-2022",
) -> WarmPoolEmulator:
    """The emulator ``warmpool serve`` runs, from its flags."""
    quotas: dict[str, Quota] = {}
    for instance_type, count in warm_pool_quotas:
        quotas[instance_type] = Quota(
            training=quotas.get(instance_type, Quota()).training, warm_pool=count
        )
    for instance_type, count in training_quotas:
        quotas[instance_type] = Quota(
            training=count, warm_pool=quotas.get(instance_type, Quota()).warm_pool
        )
    workload = fixed_plan_workload(training_seconds)
    return WarmPoolEmulator(limits=_LIMITS[limits], quotas=quotas, workload=workload)


def fixed_plan_workload(training_seconds: float | None) -> Workload | None:
    """``--training-seconds``' workload hook: every job trains that long, then completes."""
    if training_seconds is None:
        return None
    plan = JobPlan(training_seconds=training_seconds)

    def workload(request: Mapping[str, Any]) -> JobPlan:
        return plan

    return workload


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    """Run ``warmpool serve`` until Ctrl-C (SIGINT) or SIGTERM; returns the exit status (0;
    1 if it cannot listen, or cannot read or write its ``--state`` file)."""
    state = args.state
    if state is not None and os.path.exists(state):
        try:
            emu = WarmPoolEmulator.restore(
                read_snapshot(state), workload=fixed_plan_workload(args.training_seconds)
            )
        except (OSError, SnapshotError) as error:
            print(
                f"warmpool serve: cannot restore the state file {state}: {error}", file=sys.stderr
            )
            return 1
        print(
            f"warmpool serve: restored {len(emu.job_names())} jobs at "
            f"{emu.clock.to_datetime().isoformat().replace('+00:00', 'Z')} from {state}; its "
            "limits and quotas are the snapshot's (--limits, --warm-pool-quota and "
            "--training-quota do not apply)",
            file=sys.stderr,
            flush=True,
        )
    else:
        emu = build_emulator(
            warm_pool_quotas=args.warm_pool_quota,
            training_quotas=args.training_quota,
            training_seconds=args.training_seconds,
            limits=args.limits,
        )
        if state is not None:  # the file exists from the start: a bad path fails now
            try:
                write_snapshot(state, emu.snapshot())
            except OSError as error:
                print(
                    f"warmpool serve: cannot write the state file {state}: {error}", file=sys.stderr
                )
                return 1
    try:
        server = make_server(
            emu,
            args.host,
            args.port,
            max_body_bytes=args.max_body_bytes,
            max_connections=args.max_connections,
            idle_timeout=args.idle_timeout,
            request_timeout=args.request_timeout,
            log=None if args.quiet else sys.stderr,
            state_file=state,
        )
    except OSError as error:
        print(f"warmpool serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    warn_if_exposed(server)
    print(f"warmpool serving SageMaker on {server.url}", flush=True)
    # Ctrl-C and SIGTERM both stop the server cleanly (SIGINT explicitly: a shell starts
    # background jobs with it ignored).
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        try:
            server.close()  # with --state: writes the snapshot
        except OSError as error:
            print(f"warmpool serve: cannot write the state file {state}: {error}", file=sys.stderr)
            status = 1
    print("warmpool serve: stopped", file=sys.stderr, flush=True)
    return status


_SERVE_DESCRIPTION = """\
Serve the emulator over SageMaker's JSON 1.1 wire protocol, for boto3, the AWS CLI, the SDKs
and Terraform (point their SageMaker endpoint URL at the printed URL). The six training-job
operations and AddTags, ListTags and DeleteTags on training jobs are emulated; any other
SageMaker operation is answered 501 NotImplemented.
Virtual time only moves through the control API: POST /_warmpool/advance {"seconds": N},
/_warmpool/run-until, /_warmpool/complete, /_warmpool/fail, /_warmpool/patch-update and
GET /_warmpool/state. POST /_warmpool/reset starts over with a fresh emulator (same flags), so
one server can serve a whole test suite. With --state FILE the emulator is restored from FILE
at start (if it exists) and written to it on shutdown and on POST /_warmpool/snapshot, which
also answers with the snapshot. No authentication, no TLS: keep it on loopback.
See docs/server.md."""


def _add_serve_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve the emulator over SageMaker's wire protocol on a local port",
        description=_SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else warns: there is no auth)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="port to listen on (default 0: a free port, printed on start)",
    )
    parser.add_argument(
        "--warm-pool-quota",
        type=_type_count,
        action="append",
        default=[],
        metavar="TYPE=N",
        help="warm pool quota, in instances, of an instance type (repeatable). The default "
        "quota is 0, as on AWS: without this flag no warm pool is ever kept",
    )
    parser.add_argument(
        "--training-quota",
        type=_type_count,
        action="append",
        default=[],
        metavar="TYPE=N",
        help="training quota, in instances, of an instance type (repeatable; default "
        "unlimited); a create over it gets ResourceLimitExceeded",
    )
    parser.add_argument(
        "--training-seconds",
        type=_non_negative_seconds,
        default=None,
        metavar="N",
        help="every job trains for N virtual seconds, then completes. Without it a job trains "
        "until POST /_warmpool/complete or /fail, StopTrainingJob or its MaxRuntimeInSeconds",
    )
    parser.add_argument(
        "--limits",
        choices=sorted(_LIMITS),
        default="guide-2022",
        help="keep-alive maximum and warm pool lifetime cap: guide-2022 (the AWS guide as "
        "published in 2022: 3600 s, 7 days; default), "
        "docs (3600 s, 28 days) or api (21600 s, 28 days)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=_non_negative_int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"largest request body accepted, in bytes (default {DEFAULT_MAX_BODY_BYTES}); "
        "larger ones get 413 without being read",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"most client connections open at once (default {DEFAULT_MAX_CONNECTIONS}). A new "
        "connection over it closes the longest-idle one; if all are busy for a second, it gets "
        "503 ServiceUnavailable and is closed",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_timeout_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection that waits this long for its next request (default "
        f"{DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--request-timeout",
        type=_timeout_seconds,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"a request must arrive whole (first byte to the body's last) within this many "
        f"seconds, else it gets 408 RequestTimeout and the connection closes (default "
        f"{DEFAULT_REQUEST_TIMEOUT:g}); sending an answer is bounded by it too",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="do not log requests (nor clients that drop their connection) to stderr",
    )
    parser.add_argument(
        "--state",
        default=None,
        metavar="FILE",
        help="restore the emulator from the snapshot in FILE at start if FILE exists (its "
        "limits and quotas then replace the flags'), else write one there at once; write the "
        "emulator's snapshot to FILE on shutdown (Ctrl-C, SIGTERM) and on POST "
        "/_warmpool/snapshot, atomically (a crash mid-write leaves the old file whole)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``warmpool`` command; returns its exit status (see the module docstring).

    A closed standard output (``warmpool demo | head -3``) ends it quietly with status 141.
    """
    try:
        try:
            status = _main(argv)
        except SystemExit:  # argparse: --help, --version, a usage error
            sys.stdout.flush()  # what it printed may meet a closed stdout only here
            raise
        sys.stdout.flush()  # a broken pipe shows here, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    return status


class _Parser(argparse.ArgumentParser):
    """argparse, except that a closed stdout is not ignored while printing help: ``warmpool``
    then ends with status 141 however Python buffers its output."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (file or sys.stderr).write(message)


def _silence_stdout() -> None:
    """Point standard output at the null device, so that Python's final flush at exit cannot
    fail again (and print "Exception ignored ... BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (stdout replaced): nothing to do
        pass


def _main(argv: Sequence[str] | None) -> int:
    parser = _Parser(
        prog="warmpool",
        description="Emulate Amazon SageMaker Managed Warm Pools.",
        epilog="Exit status: 0 done; 1 warmpool serve cannot listen or cannot read or write its "
        "--state file, warmpool replay, sweep or advise cannot read or replay its trace, or "
        "warmpool trace export meets an error from AWS; 2 bad arguments; 141 standard output "
        "closed early (warmpool demo | head -3), without a traceback.",
    )
    parser.add_argument("--version", action="version", version=f"warmpool {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo",
        help="run the AWS guide's warm pool walk-through and print its timeline, with the "
        "console's table while job 2 trains and after",
    )
    demo_parser.add_argument(
        "--keep-alive",
        type=int,
        default=1800,
        metavar="SECONDS",
        help="KeepAlivePeriodInSeconds of both jobs (default 1800)",
    )
    demo_parser.add_argument(
        "--gap",
        type=int,
        default=1000,
        metavar="SECONDS",
        help="seconds between job 1 ending and job 2 being created (default 1000)",
    )
    _add_serve_parser(commands)
    add_replay_parser(commands)
    add_trace_parser(commands)
    add_sweep_parser(commands)
    add_advise_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "replay":
        return run_replay(args, sys.stdout, sys.stderr)
    if args.command == "trace":
        return run_trace_export(args, sys.stdout, sys.stderr)
    if args.command == "sweep":
        return run_sweep(args, sys.stdout, sys.stderr)
    if args.command == "advise":
        return run_advise(args, sys.stdout, sys.stderr)
    if args.command == "demo":
        if args.gap < 0:
            parser.error("--gap must be >= 0 seconds")
        try:
            demo(keep_alive=args.keep_alive, gap=args.gap)
        except WarmPoolError as error:
            print(f"warmpool demo: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
