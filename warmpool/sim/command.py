"""``warmpool replay``: replay a trace and print its report (``docs/replay.md``)."""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from warmpool import TRAINING_INSTANCE_TYPES, Limits, Quota, Timing, WarmPoolEmulator

from .loaders import LAYOUTS, load
from .optimum import optimum, with_optimum
from .policies import PolicyError, make_policy
from .replay import UNLIMITED, Figures, Report, replay
from .timeline import TimelineRecorder, check_timeline_path
from .trace import TraceError

__all__ = ["add_replay_parser", "add_workload_options", "format_report", "run_replay"]

LIMITS: dict[str, Limits] = {
    "guide-2022": Limits.GUIDE_2022,
    "docs": Limits.DOCS_CURRENT,
    "api": Limits.API_MODEL,
}

#: Identities shown in the table (the most jobs first); --json has them all.
TOP_IDENTITIES = 15

_DESCRIPTION = """\
Replay a trace of training jobs through the emulator, one CreateTrainingJob per row at its
submit time, and report what warm pools did: warm and cold starts, the start-up time saved,
instance-seconds retained in warm pools and in training, quota refusals and (with --price)
costs, in all, by instance type and by identity. Instance types without --quota have no warm
pool limit, so the report shows what the workload would use (peak retained instances).
With --price it also shows the keep-alive cost (idle warm pools plus --cold-start-value for
each cold start), the hindsight optimum of the trace and the regret against it; --policy
chooses each job's keep-alive (docs/policies.md). The trace format is described in
docs/replay.md."""


_INSTANCE_TYPES: Final = frozenset(TRAINING_INSTANCE_TYPES)


def _type_value(kind: Callable[[str], Any], what: str) -> Callable[[str], tuple[str, Any]]:
    def parse(text: str) -> tuple[str, Any]:
        instance_type, sep, value = text.partition("=")
        instance_type = instance_type.strip()  # "ml.g5.xlarge = 4", as a shell quote keeps it
        if not sep or not instance_type:
            raise argparse.ArgumentTypeError(f"expected TYPE={what}, e.g. ml.g5.xlarge=4")
        if instance_type not in _INSTANCE_TYPES:  # a typo would otherwise apply to no job
            close = difflib.get_close_matches(instance_type, TRAINING_INSTANCE_TYPES, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise argparse.ArgumentTypeError(
                f"{instance_type!r} is not a SageMaker training instance type{hint}"
            )
        try:
            parsed = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} in {text!r} must be a number >= 0") from None
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise argparse.ArgumentTypeError(f"{what} in {text!r} must be finite")
        if parsed < 0:
            raise argparse.ArgumentTypeError(f"{what} in {text!r} must be >= 0")
        return instance_type, parsed

    return parse


class _EachTypeOnce(argparse.Action):
    """Appends a ``TYPE=VALUE`` flag's ``(type, value)``, refusing a type given twice (one of
    two values would otherwise win without a word)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        given = list(getattr(namespace, self.dest) or [])
        instance_type, value = values
        for earlier_type, earlier in given:
            if earlier_type == instance_type:
                raise argparse.ArgumentError(
                    self,
                    f"{instance_type} is given twice ({earlier:g} and {value:g}): give each "
                    "instance type once",
                )
        given.append(values)
        setattr(namespace, self.dest, given)


def _positive_int(text: str) -> int:
    """A command-line whole number >= 1 (sweep's --workers, advise's --max-identities)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of seconds, not {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def _non_negative(unit: str) -> Callable[[str], float]:
    """An argparse type: a finite number >= 0 of ``unit`` (``seconds``, ``USD``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of {unit}, not {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text}")
        return value

    return parse


_seconds = _non_negative("seconds")
_usd = _non_negative("USD")


def _policy(text: str) -> str:
    try:
        make_policy(text)
    except PolicyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_workload_options(
    parser: argparse.ArgumentParser, *, no_keep_alive: str = "give --keep-alive"
) -> None:
    """The options ``warmpool replay``, ``sweep`` and ``advise`` share: how to read the trace,
    and the quotas, prices, limits and timing every replay runs with. ``no_keep_alive``: what
    ``--layout``'s help says to do about the layouts without a keep-alive."""
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="warmpool",
        help="the trace's columns: warmpool (this project's format; default), helios (the "
        "Helios GPU cluster trace's cluster_log.csv) or acme (the Acme trace's trace_*.csv); "
        f"the last two have no keep-alive: {no_keep_alive}",
    )
    parser.add_argument(
        "--cold-start-value",
        type=_usd,
        default=0.0,
        metavar="USD",
        help="what one cold start costs you, in USD: the value of the people waiting for it "
        "(AWS bills no start-up time); default 0",
    )
    parser.add_argument(
        "--quota",
        type=_type_value(int, "N"),
        action=_EachTypeOnce,
        default=[],
        metavar="TYPE=N",
        help="warm pool quota, in instances, of an instance type (repeatable); types not "
        "given have no limit",
    )
    parser.add_argument(
        "--training-quota",
        type=_type_value(int, "N"),
        action=_EachTypeOnce,
        default=[],
        metavar="TYPE=N",
        help="training quota, in instances, of an instance type (repeatable; default "
        "unlimited); a job over it is refused and never runs",
    )
    parser.add_argument(
        "--price",
        type=_type_value(float, "USD_PER_HOUR"),
        action=_EachTypeOnce,
        default=[],
        metavar="TYPE=USD_PER_HOUR",
        help="on-demand price of an instance type, per instance-hour (repeatable)",
    )
    parser.add_argument(
        "--limits",
        choices=sorted(LIMITS),
        default="guide-2022",
        help="keep-alive maximum and warm pool lifetime cap: guide-2022 (3600 s, 7 days; "
        "default), docs (3600 s, 28 days) or api (21600 s, 28 days)",
    )
    parser.add_argument(
        "--cold-start",
        type=_seconds,
        default=Timing().cold_start_seconds,
        metavar="SECONDS",
        help=f"create to training start on a new cluster (default {Timing().cold_start_seconds})",
    )
    parser.add_argument(
        "--warm-start",
        type=_seconds,
        default=Timing().warm_start_seconds,
        metavar="SECONDS",
        help=f"create to training start on a warm pool (default {Timing().warm_start_seconds})",
    )
    parser.add_argument(
        "--ignore-unknown-columns",
        action="store_true",
        help="read a trace with columns the format does not define (they are ignored)",
    )


def unwritable(path: str) -> str | None:
    """Why a file could not be written at ``path``, or ``None``: checked before a long run,
    so that a ``--timeline`` or ``--plot`` that cannot be written does not lose it."""
    target = Path(path)
    if target.is_dir():
        return "it is a directory"
    folder = target.parent
    if not folder.is_dir():
        return f"there is no directory {str(folder)!r}"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "permission denied"
    return None


def report_skipped(command: str, trace: object, skipped: Mapping[str, int], stderr: TextIO) -> None:
    """Say on ``stderr`` how many rows a loader left out of ``trace``, and why (if any)."""
    counts = ", ".join(
        f"{count:,} {reason.replace('_', ' ')}" for reason, count in skipped.items() if count
    )
    if counts:
        print(f"warmpool {command}: rows of {trace} left out: {counts}", file=stderr)


def add_replay_parser(commands: Any) -> None:
    """Add ``replay`` to the ``warmpool`` command's subcommands."""
    parser = commands.add_parser(
        "replay",
        help="replay a trace of training jobs and report warm and cold starts, idle "
        "instance-seconds and costs",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "trace", metavar="TRACE", help="the trace file (.csv or .jsonl, either maybe .gz)"
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--keep-alive",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="give every job KeepAlivePeriodInSeconds N (0: no warm pools); default: each "
        "row's own keep_alive_seconds",
    )
    choice.add_argument(
        "--policy",
        type=_policy,
        default=None,
        metavar="NAME",
        help="let a policy choose each job's keep-alive: fixed:SECONDS, break-even, "
        "randomized[:SEED], histogram[:PERCENTILE] (docs/policies.md); break-even, "
        "randomized and histogram need --price for every instance type",
    )
    add_workload_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the report as JSON (Report.to_dict())"
    )
    parser.add_argument(
        "--timeline",
        metavar="FILE",
        default=None,
        help="also draw every cluster's life, with instances in training and retained beneath, "
        "to FILE.png, FILE.svg (matplotlib) or FILE.html (one self-contained page, plotly); "
        "needs pip install 'sagemaker-warmpool[plot]'",
    )


def _quotas(args: argparse.Namespace) -> dict[str, Quota]:
    warm = dict(args.quota)
    training = dict(args.training_quota)
    return {
        t: Quota(training=training.get(t), warm_pool=warm.get(t, UNLIMITED))
        for t in sorted(set(warm) | set(training))
    }


class _Progress:
    """A progress bar on a terminal: ``replaying  45% |#########           | 4,500/10,000``."""

    WIDTH = 30

    def __init__(self, stream: TextIO, total: int | None) -> None:
        self.stream = stream
        self.total = total

    def __call__(self, done: int) -> None:
        if self.total:
            share = min(1.0, done / self.total)
            bar = "#" * int(share * self.WIDTH)
            text = f"\rreplaying {share:4.0%} |{bar:<{self.WIDTH}}| {done:,}/{self.total:,} jobs"
        else:
            text = f"\rreplaying: {done:,} jobs"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 50) + "\r")
        self.stream.flush()


def run_replay(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``warmpool replay`` with parsed ``args``; returns the exit status."""
    try:
        trace = load(args.trace, args.layout, ignore_unknown_columns=args.ignore_unknown_columns)
    except (OSError, TraceError) as error:
        print(f"warmpool replay: {error}", file=stderr)
        return 1
    try:
        timing = Timing(cold_start_seconds=args.cold_start, warm_start_seconds=args.warm_start)
        if args.timeline is not None:
            check_timeline_path(args.timeline)
    except (ValueError, ImportError) as error:
        print(f"warmpool replay: {error}", file=stderr)
        return 2
    why = None if args.timeline is None else unwritable(args.timeline)
    if why is not None:
        print(
            f"warmpool replay: argument --timeline: cannot write {args.timeline!r}: {why}",
            file=stderr,
        )
        return 2
    most = LIMITS[args.limits].max_keep_alive_seconds
    if args.keep_alive is not None and args.keep_alive > most:
        print(
            f"warmpool replay: argument --keep-alive: must be at most {most} s, the maximum "
            f"keep-alive of --limits {args.limits}, not {args.keep_alive}",
            file=stderr,
        )
        return 2
    recorders: list[TimelineRecorder] = []

    def watch(emu: WarmPoolEmulator) -> None:
        if args.timeline is not None:
            recorders.append(TimelineRecorder.attach(emu))

    policy = None if args.policy is None else make_policy(args.policy)
    prices = dict(args.price) or None
    progress = None
    if stderr.isatty():
        total = len(trace) if hasattr(trace, "__len__") else None
        progress = _Progress(stderr, total)
    try:
        report = replay(
            trace,
            keep_alive=args.keep_alive if policy is None else policy,
            quotas=_quotas(args),
            limits=LIMITS[args.limits],
            timing=timing,
            prices=prices,
            progress=progress,
            on_emulator=watch,
            cold_start_value=args.cold_start_value,
        )
        if prices is not None:  # the hindsight optimum: one more pass over the trace
            best = optimum(
                trace,
                prices=prices,
                cold_start_value=args.cold_start_value,
                quotas=_quotas(args),
                limits=LIMITS[args.limits],
                timing=timing,
            )
            report = with_optimum(report, best)
    except PolicyError as error:  # a policy that needs a --price it was not given
        if progress is not None:
            progress.close()
        print(f"warmpool replay: {error}", file=stderr)
        return 2
    except (OSError, TraceError) as error:
        if progress is not None:
            progress.close()
        print(f"warmpool replay: {error}", file=stderr)
        return 1
    if progress is not None:
        progress.close()
    report_skipped("replay", args.trace, trace.skipped, stderr)
    if recorders:
        try:
            recorders[0].render(args.timeline)
        except OSError as error:
            print(f"warmpool replay: cannot write the timeline: {error}", file=stderr)
            return 1
    if args.json:
        json.dump(report.to_dict(), stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write(format_report(report, source=str(args.trace), limits_name=args.limits))
    return 0


# -- tables ---------------------------------------------------------------------------------------

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("jobs", "jobs"),
    ("warm", "warm_starts"),
    ("cold", "cold_starts"),
    ("warm %", ""),
    ("retained inst-h", "retained_instance_seconds"),
    ("training inst-h", "training_instance_seconds"),
    ("peak retained", "peak_retained_instances"),
    ("refusals", "quota_refusals"),
)
_COSTS: tuple[tuple[str, str], ...] = (
    ("retained $", "retained_cost"),
    ("training $", "training_cost"),
)


def _cells(figures: Figures, with_costs: bool) -> list[str]:
    cells = []
    for _, field in _COLUMNS:
        if not field:
            started = figures.warm_starts + figures.cold_starts
            cells.append(f"{figures.warm_starts / started:.0%}" if started else "-")
        elif field.endswith("seconds"):
            cells.append(f"{getattr(figures, field) / 3600:,.1f}")
        else:
            cells.append(f"{getattr(figures, field):,}")
    if with_costs:
        for _, field in _COSTS:
            value = getattr(figures, field)
            cells.append("-" if value is None else f"{value:,.2f}")
    return cells


def _table(title: str, rows: Sequence[tuple[str, Figures]], with_costs: bool) -> list[str]:
    header = [title] + [name for name, _ in _COLUMNS]
    if with_costs:
        header += [name for name, _ in _COSTS]
    body = [[label, *_cells(figures, with_costs)] for label, figures in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(row) for row in body)]


def _money(value: float | None) -> str:
    return "" if value is None else f"   ${value:,.2f}"


def _summary(report: Report) -> list[str]:
    started = report.warm_starts + report.cold_starts
    share = f" ({report.warm_starts / started:.0%} of the jobs that ran)" if started else ""
    saved = report.timing.cold_start_seconds - report.timing.warm_start_seconds
    rows = [
        ("jobs", f"{report.jobs:,}"),
        ("warm starts", f"{report.warm_starts:,}{share}"),
        ("cold starts", f"{report.cold_starts:,}"),
        (
            "start-up time saved",
            f"{report.startup_seconds_saved / 3600:,.1f} h ({saved:g} s a warm start)",
        ),
        (
            "retained in warm pools",
            f"{report.retained_instance_seconds / 3600:,.1f} instance-hours"
            + _money(report.retained_cost),
        ),
        (
            "training",
            f"{report.training_instance_seconds / 3600:,.1f} instance-hours"
            + _money(report.training_cost),
        ),
        ("peak warm pool instances", f"{report.peak_retained_instances:,}"),
        (
            "quota refusals",
            f"{report.quota_refusals:,} (training {report.training_quota_refusals:,}, "
            f"warm pool {report.warm_pool_quota_refusals:,})",
        ),
        (
            "ended",
            f"{report.completed:,} completed, {report.failed:,} failed, {report.stopped:,} stopped",
        ),
    ]
    if report.total_cost is not None:
        rows.append(("total cost", f"${report.total_cost:,.2f}"))
    if report.cold_start_cost is not None and report.keep_alive_cost is not None:
        paying = sum(  # the jobs of priced instance types that did not start warm
            f.cold_starts + f.training_quota_refusals
            for f in report.by_instance_type.values()
            if f.cold_start_cost is not None
        )
        rows.append(
            (
                "cold-start cost",
                f"${report.cold_start_cost:,.2f} ({paying:,} x ${report.cold_start_value:g})",
            )
        )
        rows.append(("keep-alive cost", f"${report.keep_alive_cost:,.2f} (retained + cold starts)"))
    if report.optimum_cost is not None:
        bound = "" if report.optimum_exact else " (a lower bound)"
        rows.append(("hindsight optimum", f"${report.optimum_cost:,.2f}{bound}"))
        if report.regret is not None:
            if math.isinf(report.regret):
                regret = "unbounded (the optimum costs nothing)"
            else:
                regret = f"{report.regret:,.2f} x the optimum"
            rows.append(("regret", regret))
    width = max(len(name) for name, _ in rows)
    return [f"{name.ljust(width)}  {value}" for name, value in rows]


def format_report(report: Report, *, source: str = "the trace", limits_name: str = "") -> str:
    """The report as the readable tables ``warmpool replay`` prints."""
    with_costs = report.retained_cost is not None
    if report.policy is not None:
        keep_alive = f"chosen by the policy {report.policy}"
    elif report.keep_alive is None:
        keep_alive = "each row's own"
    else:
        keep_alive = f"{report.keep_alive} s for every job"
    limits = report.limits
    timing = report.timing
    lines = [
        f"Replayed {report.jobs:,} training jobs of {source} over "
        f"{report.end_seconds / 86400:,.1f} simulated days.",
        f"Keep-alive: {keep_alive}. Limits: {limits_name or 'custom'} "
        f"({limits.max_keep_alive_seconds} s keep-alive, "
        f"{limits.max_pool_lifetime_seconds / 86400:g}-day pools). Start-up: "
        f"{timing.cold_start_seconds:g} s cold, {timing.warm_start_seconds:g} s warm.",
        "",
    ]
    lines += _summary(report)
    lines.append("")
    lines += _table("by instance type", sorted(report.by_instance_type.items()), with_costs)
    lines.append("")
    identities = sorted(report.by_identity.items(), key=lambda item: (-item[1].jobs, item[0]))
    title = "by identity"
    if len(identities) > TOP_IDENTITIES:
        title += f" ({TOP_IDENTITIES} of {len(identities)} with the most jobs; --json: all)"
    lines += _table(title, identities[:TOP_IDENTITIES], with_costs)
    if report.unpriced_instance_types:
        lines += ["", "No --price for: " + ", ".join(report.unpriced_instance_types)]
    return "\n".join(lines) + "\n"
