"""A real account's training-job history as a trace (``warmpool trace export``).

:func:`read_history` pages ``ListTrainingJobs`` over a window of creation times, describes each
job with ``DescribeTrainingJob`` and turns every finished job into a
:class:`~warmpool.sim.trace.TraceJob`; :func:`export_trace` writes them to a trace file with
their real submit times. Any client with boto3's ``list_training_jobs`` and
``describe_training_job`` will do: a boto3 SageMaker client (on AWS, attached to an emulator
with :func:`warmpool.aws.attach`, or pointed at ``warmpool serve``), or a
:class:`~warmpool.WarmPoolEmulator` itself. Throttling is the client's business:
:func:`build_client` (the only function that imports boto3) makes one with botocore's retry
modes, as ``warmpool trace export`` does.

How a described job becomes a row (see ``docs/replay.md``, "Exporting your account's history"):

- ``submit_time``: ``CreationTime``, as seconds from the first exported job's (the trace's
  ``start``; the file holds the real times, in ISO 8601).
- ``training_seconds``: ``TrainingEndTime - TrainingStartTime``, the exact interval, rather
  than ``TrainingTimeInSeconds``, which is rounded up to whole seconds (a replay of rounded
  durations would release jobs up to a second late and could turn a reuse into an expiry).
  For a job stopped with ``StopTrainingJob`` the interval ends when it began ``Stopping`` (its
  ``SecondaryStatusTransitions``), since a trace's ``Stopped`` row means "stopped after
  ``training_seconds`` of training" and the replay adds the stopping time itself.
  ``TrainingTimeInSeconds`` is the fallback when a timestamp is missing.
- ``outcome``: ``Completed``; ``Stopped`` for ``Stopped`` jobs (a stop by ``StopTrainingJob``
  or by ``MaxRuntimeInSeconds``); for ``Failed`` jobs the failure class that starts
  ``FailureReason`` (``"AlgorithmError: ..."`` gives ``AlgorithmError``), or
  :data:`UNKNOWN_FAILURE` when the reason does not start with one word and a colon.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final, TextIO

import attrs

from warmpool import VirtualClock

from .trace import TraceError, TraceJob, write_trace

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_RETRY_MODE",
    "RETRY_MODES",
    "SKIP_REASONS",
    "TRACE_SUFFIXES",
    "UNKNOWN_FAILURE",
    "ExportProgress",
    "ExportResult",
    "History",
    "TerminalProgress",
    "add_trace_parser",
    "build_client",
    "error_line",
    "export_trace",
    "failure_class",
    "parse_time",
    "read_history",
    "run_trace_export",
    "skip_reason",
    "summary",
    "trace_job",
]

#: The outcome of a ``Failed`` job whose ``FailureReason`` names no failure class. The
#: emulator keeps no warm pool after it (only ``AlgorithmError`` and ``ClientError`` keep
#: one), as the AWS guide says of failures "for any other reason".
UNKNOWN_FAILURE: Final = "UnknownError"

#: Why a listed job is not exported, in the order they are checked (the first that applies).
SKIP_REASONS: Final = (
    "deleted",  # gone (or Deleting) between ListTrainingJobs and DescribeTrainingJob
    "still running",  # InProgress or Stopping when described
    "instance groups",  # a heterogeneous cluster: warm pools cannot be used with one
    "managed spot",  # EnableManagedSpotTraining: warm pools cannot be used with spot
    "no instance type",  # ResourceConfig without InstanceType (serverless, preferences)
    "never trained",  # stopped or failed before training started
)

#: botocore's retry modes that ``warmpool trace export`` offers, and its default: adaptive
#: adds client-side rate limiting to standard's retries, which suits one client walking a
#: whole account's history at the API's rate limit. (The AWS SDKs and Tools reference guide
#: keeps adaptive for specialised uses and advises against it for multi-tenant applications;
#: an export is one client of one account.)
RETRY_MODES: Final = ("adaptive", "standard")
DEFAULT_RETRY_MODE: Final = "adaptive"
#: Attempts per call, the first included (as ``AWS_MAX_ATTEMPTS`` counts them): more than
#: botocore's 3, because a long export meets throttling often.
DEFAULT_MAX_ATTEMPTS: Final = 10

#: The names a trace file may have (``.gz``: compressed, as write_trace does it).
TRACE_SUFFIXES: Final = (".csv", ".jsonl", ".csv.gz", ".jsonl.gz")

#: ``ListTrainingJobs``' largest page.
PAGE_SIZE: Final = 100
#: The margin asked of the API beyond each bound, then filtered exactly here.
_MARGIN: Final = timedelta(seconds=1)
_NOT_FOUND_CODES: Final = frozenset({"ValidationException", "ResourceNotFound"})
#: A trace row's volume when the job's ResourceConfig has no VolumeSizeInGB.
_DEFAULT_VOLUME: Final = TraceJob(
    submit_time=0, instance_type="-", training_seconds=0
).volume_size_gb


@attrs.frozen
class ExportProgress:
    """How far an export is: jobs listed in the window, described, exported and skipped."""

    listed: int
    described: int
    exported: int
    skipped: int


@attrs.frozen
class History:
    """What :func:`read_history` found.

    ``jobs`` are in submit order, ``submit_time`` in seconds from ``start`` (the first job's
    ``CreationTime``, UTC; ``None`` when there is no job). ``listed`` counts the jobs listed
    in the window, ``skipped`` those left out by reason (:data:`SKIP_REASONS`; only reasons
    that occurred). ``warm_starts`` counts the exported jobs that AWS reports took over a warm
    pool: named by the ``ReusedByJob`` of a job described in the window (a pool taken from a
    job created before ``since`` is not seen, so this is a lower bound).
    """

    jobs: tuple[TraceJob, ...]
    start: datetime | None
    listed: int
    skipped: Mapping[str, int]
    warm_starts: int

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@attrs.frozen
class ExportResult:
    """What :func:`export_trace` wrote: ``rows`` jobs to ``path``, from ``history``."""

    path: Path
    rows: int
    history: History


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or date-time as a UTC ``datetime``; one without an offset is UTC.

    >>> parse_time("2024-05-01")
    datetime.datetime(2024, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("2024-05-01T12:30:00+02:00")
    datetime.datetime(2024, 5, 1, 10, 30, tzinfo=datetime.timezone.utc)
    """
    # Read as the emulator reads ListTrainingJobs' time filters (every supported Python alike;
    # 3.10's datetime.fromisoformat refuses "Z").
    reader = VirtualClock()
    try:
        return reader.to_datetime(reader.seconds(text))
    except (ValueError, OverflowError):
        raise ValueError(
            f"expected an ISO 8601 date or date-time such as 2024-05-01 or "
            f"2024-05-01T12:00:00Z, not {text!r}"
        ) from None


def failure_class(reason: str | None) -> str:
    """The failure class that starts a ``FailureReason``: the word before its first colon.

    >>> failure_class("AlgorithmError: ExecuteUserScriptError: exit code 1")
    'AlgorithmError'
    >>> failure_class("The instance was unhealthy"), failure_class(None)
    ('UnknownError', 'UnknownError')
    """
    if reason:
        head, colon, _ = reason.partition(":")
        head = head.strip()
        if colon and head.isascii() and head.isidentifier():
            return head
    return UNKNOWN_FAILURE


def read_history(
    client: Any,
    *,
    since: datetime,
    until: datetime | None = None,
    progress: Callable[[ExportProgress], None] | None = None,
) -> History:
    """Read the training jobs created from ``since`` (inclusive) until ``until`` (exclusive;
    ``None``: no end) through ``client``, as trace rows.

    ``ListTrainingJobs`` is paged (``MaxResults=100``, ``SortBy=CreationTime``,
    ``SortOrder=Ascending``) with ``CreationTimeAfter``/``CreationTimeBefore`` one second
    outside the window, and the window is then applied exactly here: the API's bounds are
    exclusive ("created after"), and botocore may send them in whole seconds. A job listed
    twice (pages shifting under new jobs) counts once. Naive datetimes are UTC. ``progress``,
    if given, is called after every page and every job described.

    Errors of the client (``botocore.exceptions.ClientError``, ...) propagate, except a job
    that is gone when described, which is skipped as ``deleted``.
    """
    since = _utc(_checked_time(since, "since"))
    if until is not None:
        until = _utc(_checked_time(until, "until"))
        if until <= since:
            raise ValueError(
                f"until must be after since ({since.isoformat()}), not {until.isoformat()}"
            )
    request: dict[str, Any] = {
        "MaxResults": PAGE_SIZE,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
        "CreationTimeAfter": since - _MARGIN,
    }
    if until is not None:
        request["CreationTimeBefore"] = until + _MARGIN
    seen: set[str] = set()
    rows: list[tuple[datetime, str, TraceJob]] = []
    skipped: Counter[str] = Counter()
    reused_by: set[str] = set()
    described = 0

    def report() -> None:
        if progress is not None:
            progress(ExportProgress(len(seen), described, len(rows), sum(skipped.values())))

    token: str | None = None
    while True:
        page = client.list_training_jobs(**request, **({"NextToken": token} if token else {}))
        names = []
        for summary in page.get("TrainingJobSummaries", []):
            name = summary["TrainingJobName"]
            created = _utc(summary["CreationTime"])
            if name in seen or created < since or (until is not None and created >= until):
                continue
            seen.add(name)
            names.append(name)
        report()
        for name in names:
            job = _describe(client, name)
            described += 1
            if job is not None:
                pool = job.get("WarmPoolStatus") or {}
                if pool.get("ReusedByJob"):
                    reused_by.add(pool["ReusedByJob"])
            reason = skip_reason(job)
            if reason is not None:
                skipped[reason] += 1
            else:
                assert job is not None
                rows.append((_utc(job["CreationTime"]), name, trace_job(job)))
            report()
        token = page.get("NextToken")
        if not token:
            break
    rows.sort(key=lambda row: (row[0], row[1]))
    start = rows[0][0] if rows else None
    jobs = tuple(
        attrs.evolve(job, submit_time=(created - rows[0][0]).total_seconds())
        for created, _, job in rows
    )
    return History(
        jobs=jobs,
        start=start,
        listed=len(seen),
        skipped={reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]},
        warm_starts=sum(1 for job in jobs if job.job_name in reused_by),
    )


def export_trace(
    client: Any,
    out: str | Path,
    *,
    since: datetime,
    until: datetime | None = None,
    progress: Callable[[ExportProgress], None] | None = None,
) -> ExportResult:
    """Read the history (:func:`read_history`) and write it to ``out`` (``.csv`` or
    ``.jsonl``; ``.gz`` compresses) with its real submit times. Nothing is written if reading
    fails."""
    path = Path(out)
    if not path.name.lower().endswith(TRACE_SUFFIXES):
        raise ValueError(
            f"out must be a .csv or .jsonl file name (.gz to compress), not {str(out)!r}"
        )
    history = read_history(client, since=since, until=until, progress=progress)
    rows = write_trace(path, history.jobs, start=history.start)
    return ExportResult(path=path, rows=rows, history=history)


# -- one job ----------------------------------------------------------------------------------


def skip_reason(job: Mapping[str, Any] | None) -> str | None:
    """Why a described job (``None``: gone) is not exported, or ``None`` to export it."""
    if job is None or job.get("TrainingJobStatus") == "Deleting":
        return "deleted"
    if job.get("TrainingJobStatus") in ("InProgress", "Stopping"):
        return "still running"
    resource = job.get("ResourceConfig") or {}
    if resource.get("InstanceGroups"):
        return "instance groups"
    if job.get("EnableManagedSpotTraining"):
        return "managed spot"
    if not resource.get("InstanceType"):
        return "no instance type"
    if _training_seconds(job) is None:
        return "never trained"
    return None


def trace_job(job: Mapping[str, Any]) -> TraceJob:
    """A finished, exportable described job as a trace row (``submit_time`` 0: the caller
    sets it from ``CreationTime``)."""
    resource = job["ResourceConfig"]
    vpc = job.get("VpcConfig") or {}
    status = job["TrainingJobStatus"]
    if status == "Failed":
        outcome = failure_class(job.get("FailureReason"))
    else:
        outcome = "Stopped" if status == "Stopped" else "Completed"
    seconds = _training_seconds(job)
    assert seconds is not None
    keep_alive = resource.get("KeepAlivePeriodInSeconds")
    volume = resource.get("VolumeSizeInGB")
    return TraceJob(
        submit_time=0,
        instance_type=resource["InstanceType"],
        training_seconds=seconds,
        job_name=job["TrainingJobName"],
        role_arn=job["RoleArn"],
        instance_count=int(resource.get("InstanceCount", 1)),
        volume_size_gb=_DEFAULT_VOLUME if volume is None else int(volume),
        volume_kms_key_id=resource.get("VolumeKmsKeyId") or None,
        security_group_ids=tuple(vpc.get("SecurityGroupIds", ())),
        subnets=tuple(vpc.get("Subnets", ())),
        network_isolation=bool(job.get("EnableNetworkIsolation", False)),
        inter_container_encryption=bool(job.get("EnableInterContainerTrafficEncryption", False)),
        keep_alive_seconds=None if keep_alive is None else int(keep_alive),
        outcome=outcome,
        max_runtime_seconds=int(
            (job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
        ),
    )


def _training_seconds(job: Mapping[str, Any]) -> float | None:
    """How long the job trained (see the module docstring), or ``None`` if it never did."""
    started, ended = job.get("TrainingStartTime"), job.get("TrainingEndTime")
    if started is not None and ended is not None:
        if job.get("TrainingJobStatus") == "Stopped" and job.get("SecondaryStatus") == "Stopped":
            for transition in job.get("SecondaryStatusTransitions") or ():
                if transition.get("Status") == "Stopping" and transition.get("StartTime"):
                    ended = min(_utc(ended), _utc(transition["StartTime"]))
                    break
        seconds: float = (_utc(ended) - _utc(started)).total_seconds()
        return max(0.0, seconds)
    fallback = job.get("TrainingTimeInSeconds")
    return None if fallback is None else float(int(fallback))


def _describe(client: Any, name: str) -> dict[str, Any] | None:
    """``DescribeTrainingJob``, or ``None`` if the job is not found (deleted since listed)."""
    try:
        job: dict[str, Any] = client.describe_training_job(TrainingJobName=name)
    except Exception as error:
        if _not_found(error):
            return None
        raise
    return job


def _not_found(error: Exception) -> bool:
    """A "not found" answer: botocore's ``ClientError`` or the emulator's own error."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        details = response.get("Error") or {}
        code, message = details.get("Code"), details.get("Message")
    else:
        code, message = getattr(error, "code", None), getattr(error, "message", None)
    return code in _NOT_FOUND_CODES and "not found" in str(message).lower()


# -- time -------------------------------------------------------------------------------------


def _checked_time(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {value!r}")
    return value


def _utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive ``datetime`` is taken as UTC."""
    if when.tzinfo is None or when.utcoffset() is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


# -- the command (warmpool trace export) --------------------------------------------------------


def build_client(
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    retry_mode: str = DEFAULT_RETRY_MODE,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Any:
    """A boto3 SageMaker client for an export: botocore's ``retry_mode`` with at most
    ``max_attempts`` attempts per call (the first included; botocore's
    ``total_max_attempts``). Needs boto3 (``pip install 'sagemaker-warmpool[aws]'``)."""
    import boto3
    from botocore.config import Config

    from .. import __version__

    session = boto3.session.Session(profile_name=profile, region_name=region)
    config = Config(
        retries={"mode": retry_mode, "total_max_attempts": max_attempts},
        user_agent_extra=f"warmpool/{__version__}",
    )
    return session.client("sagemaker", endpoint_url=endpoint_url, config=config)


#: What a refusal of these codes means for an export.
_HINTS: Final = {
    "AccessDeniedException": "the export needs sagemaker:ListTrainingJobs and "
    "sagemaker:DescribeTrainingJob",
    "NoRegionError": "pass --region or set AWS_DEFAULT_REGION",
}


def error_line(error: BaseException) -> str:
    """An error from boto3 or botocore as one line, with a hint where one helps."""
    text = " ".join(str(error).split()) or type(error).__name__
    code = type(error).__name__
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = str((response.get("Error") or {}).get("Code", code))
    hint = _HINTS.get(code)
    return f"{text} ({hint})" if hint else text


def summary(result: ExportResult) -> str:
    """What an export did, for its user: rows written, the time span, the jobs skipped."""
    history = result.history
    text = f"wrote {result.rows:,} job{'' if result.rows == 1 else 's'} to {result.path}"
    if history.start is not None and history.jobs:
        last = history.start + timedelta(seconds=history.jobs[-1].submit_time)
        text += f" (created {_iso(history.start)} to {_iso(last)}"
        text += f"; {history.warm_starts:,} took over a warm pool, as AWS reports)"
    if history.skipped:
        reasons = ", ".join(f"{count:,} {reason}" for reason, count in history.skipped.items())
        text += f"; skipped {history.skipped_total:,} of {history.listed:,} listed: {reasons}"
    return text


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


class TerminalProgress:
    """Shows an export's progress on one line of ``stream``, rewritten in place; only when
    ``stream`` is a terminal (else it writes nothing)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        try:
            self.enabled: bool = bool(stream.isatty())
        except (AttributeError, ValueError, OSError):
            self.enabled = False
        self._shown = False

    def __call__(self, progress: ExportProgress) -> None:
        if not self.enabled:
            return
        self._stream.write(
            f"\rwarmpool trace export: {progress.listed:,} listed, {progress.described:,} "
            f"described: {progress.exported:,} exported, {progress.skipped:,} skipped"
        )
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        """End the progress line (if one was shown)."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


_DESCRIPTION = """\
Export a real account's training-job history as a trace, to replay it under other settings
(warm pool quotas, keep-alive) with warmpool replay. Lists the jobs created from --since
until --until with ListTrainingJobs, describes each with DescribeTrainingJob and writes every
finished job to OUT (.csv or .jsonl, .gz to compress) with its real submit time. Jobs still
running, with instance groups or managed spot, or that never trained are skipped and
counted. Needs boto3 (pip install 'sagemaker-warmpool[aws]'), credentials as for the AWS CLI,
and the IAM permissions sagemaker:ListTrainingJobs and sagemaker:DescribeTrainingJob.
Exit status: 0 done; 1 an error from AWS (then nothing is written) or OUT cannot be
written; 2 bad arguments; 130 interrupted (Ctrl-C: nothing is written).
See docs/replay.md, "Exporting your account's history"."""


def _time_argument(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _trace_file(text: str) -> str:
    if not text.lower().endswith(TRACE_SUFFIXES):
        raise argparse.ArgumentTypeError(
            f"expected a file name ending in .csv or .jsonl (.gz to compress), not {text!r}"
        )
    return text


def _attempts(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def add_trace_parser(commands: Any) -> None:
    """Add ``trace export`` to the ``warmpool`` command's subcommands."""
    trace = commands.add_parser("trace", help="traces of training jobs (export)")
    actions = trace.add_subparsers(dest="trace_command", required=True, metavar="ACTION")
    parser = actions.add_parser(
        "export",
        help="export an account's training-job history (through boto3) as a trace",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--since",
        type=_time_argument,
        required=True,
        metavar="TIME",
        help="export the jobs created at or after TIME: an ISO 8601 date or date-time "
        "(2024-05-01, 2024-05-01T12:00:00Z; UTC when it has no offset)",
    )
    parser.add_argument(
        "--until",
        type=_time_argument,
        metavar="TIME",
        help="and before TIME (default: no end; jobs still running are skipped)",
    )
    parser.add_argument(
        "--region", help="AWS region (default: the profile's, or AWS_DEFAULT_REGION)"
    )
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="SageMaker endpoint (e.g. a warmpool serve URL)"
    )
    parser.add_argument("--profile", help="a profile of the AWS config and credentials files")
    parser.add_argument(
        "--retry-mode",
        choices=RETRY_MODES,
        default=DEFAULT_RETRY_MODE,
        help=f"botocore's retry mode for throttled and failed calls (default "
        f"{DEFAULT_RETRY_MODE}: standard's retries plus client-side rate limiting)",
    )
    parser.add_argument(
        "--max-attempts",
        type=_attempts,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"attempts per API call, the first included (default {DEFAULT_MAX_ATTEMPTS})",
    )
    parser.add_argument(
        "out",
        type=_trace_file,
        metavar="OUT",
        help="the trace to write: .csv or .jsonl (.csv.gz, .jsonl.gz: compressed)",
    )
    parser.set_defaults(export_parser=parser)


def run_trace_export(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``warmpool trace export`` with parsed ``args``; returns the exit status."""
    if args.until is not None and args.until <= args.since:
        args.export_parser.error(
            f"argument --until: must be after --since ({_iso(args.since)}), not {_iso(args.until)}"
        )
    try:
        import botocore.exceptions as aws_errors
    except ImportError:
        print(
            "warmpool trace export: needs boto3: pip install 'sagemaker-warmpool[aws]'",
            file=stderr,
        )
        return 1
    try:
        client = build_client(
            region=args.region,
            endpoint_url=args.endpoint_url,
            profile=args.profile,
            retry_mode=args.retry_mode,
            max_attempts=args.max_attempts,
        )
    except (aws_errors.ProfileNotFound, aws_errors.InvalidRegionError, ValueError) as error:
        flag = {"ProfileNotFound": "--profile", "InvalidRegionError": "--region"}.get(
            type(error).__name__, "--endpoint-url"
        )
        args.export_parser.error(f"argument {flag}: {error_line(error)}")
    except aws_errors.BotoCoreError as error:
        print(f"warmpool trace export: {error_line(error)}", file=stderr)
        return 1
    progress = TerminalProgress(stderr)
    try:
        result = export_trace(
            client, args.out, since=args.since, until=args.until, progress=progress
        )
    except (aws_errors.BotoCoreError, aws_errors.ClientError) as error:
        progress.finish()
        print(f"warmpool trace export: {error_line(error)}; nothing written", file=stderr)
        return 1
    except (OSError, TraceError) as error:
        progress.finish()
        print(f"warmpool trace export: cannot write {args.out}: {error}", file=stderr)
        return 1
    except KeyboardInterrupt:
        progress.finish()
        print("warmpool trace export: interrupted; nothing written", file=stderr)
        return 130
    progress.finish()
    print(summary(result), file=stdout)
    return 0
