"""``warmpool advise``: a keep-alive per identity (or team) and a warm pool quota per instance
type for a trace, with what they save a month (``docs/policies.md``, "Advice")."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, TextIO

from warmpool import Timing

from .advise import GROUPINGS, MAX_IDENTITIES, Advice, AdviceError, advise
from .command import LIMITS, _positive_int, _quotas, add_workload_options, report_skipped
from .loaders import load
from .trace import TraceError

__all__ = ["add_advise_parser", "format_advice", "run_advise"]

_DESCRIPTION = f"""\
Recommend a keep-alive (KeepAlivePeriodInSeconds) for each identity of a trace, or for each
role (team) when there are more than --max-identities identities, and a warm pool quota for
each instance type, with the expected savings a month against no warm pools and against the
trace's own keep-alives, and one line saying why for each. The keep-alive of each identity is
the one of least keep-alive cost (idle warm pools at --price plus --cold-start-value for each
cold start) over its jobs; every figure comes from replays of the trace through the emulator,
under the same --quota, --limits and timing. Needs --price for every instance type of the
trace. Savings are scaled to a month: savings x 30 days / the trace's span (first submit to
last, at least a day). See docs/policies.md. By default --group-by auto advises per identity
up to {MAX_IDENTITIES} identities."""


def add_advise_parser(commands: Any) -> None:
    """Add ``advise`` to the ``warmpool`` command's subcommands."""
    parser = commands.add_parser(
        "advise",
        help="recommend a keep-alive per identity and a warm pool quota per instance type, with "
        "the savings a month",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "trace", metavar="TRACE", help="the trace file (.csv or .jsonl, either maybe .gz)"
    )
    add_workload_options(
        parser, no_keep_alive="the trace's own keep-alive is then 0 (no warm pools)"
    )
    parser.add_argument(
        "--group-by",
        choices=GROUPINGS,
        default="auto",
        help="one keep-alive per identity, per role (team), or auto (default): per identity "
        "unless there are more than --max-identities, then per role",
    )
    parser.add_argument(
        "--max-identities",
        type=_positive_int,
        default=MAX_IDENTITIES,
        metavar="N",
        help=f"the most identities --group-by auto advises one by one (default {MAX_IDENTITIES})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the advice as JSON (Advice.to_dict())"
    )


def run_advise(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``warmpool advise`` with parsed ``args``; returns the exit status."""
    try:
        timing = Timing(cold_start_seconds=args.cold_start, warm_start_seconds=args.warm_start)
    except ValueError as error:
        print(f"warmpool advise: {error}", file=stderr)
        return 2
    if not args.price:
        print(
            "warmpool advise: --price: advice weighs idle time against cold starts, so it "
            "needs the price of every instance type of the trace (--price TYPE=USD_PER_HOUR, "
            "repeatable)",
            file=stderr,
        )
        return 2
    try:
        trace = load(args.trace, args.layout, ignore_unknown_columns=args.ignore_unknown_columns)
    except (OSError, TraceError) as error:
        print(f"warmpool advise: {error}", file=stderr)
        return 1
    try:
        advice = advise(
            trace,
            prices=dict(args.price),
            cold_start_value=args.cold_start_value,
            quotas=_quotas(args),
            limits=LIMITS[args.limits],
            timing=timing,
            group_by=args.group_by,
            max_identities=args.max_identities,
        )
    except AdviceError as error:
        message = str(error).removeprefix("advise: ")
        if message.startswith("prices: "):
            message = "--price: " + message.removeprefix("prices: ")
        print(f"warmpool advise: {message}", file=stderr)
        return 2
    except (OSError, TraceError) as error:
        print(f"warmpool advise: {error}", file=stderr)
        return 1
    report_skipped("advise", args.trace, trace.skipped, stderr)
    if args.json:
        json.dump(advice.to_dict(), stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write(format_advice(advice, source=str(args.trace), limits_name=args.limits))
    return 0


# -- the tables ----------------------------------------------------------------------------------


def _money(value: float) -> str:
    text = f"{abs(value):,.2f}"
    return f"-${text}" if value < 0 else f"${text}"


def _seconds(values: Sequence[int]) -> str:
    return ", ".join(f"{value:,} s" for value in values)


def _table(
    header: Sequence[str], body: Sequence[Sequence[str]], *, text_last: bool = False
) -> list[str]:
    """Lines of a table: the first column left-aligned, the others right-aligned, but the last
    with ``text_last`` (a text, left as it is)."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    numbers = len(header) - 1 - text_last

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=False)]
        if text_last:
            rest[numbers:] = row[-1:]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(row) for row in body)]


def format_advice(advice: Advice, *, source: str | None = None, limits_name: str = "") -> str:
    """The advice as the readable tables ``warmpool advise`` prints: the keep-alives, each with
    its reason beneath, the warm pool quotas, and the costs and savings."""
    source = advice.source if source is None else source
    days = advice.days
    limits = advice.limits
    count = len(advice.keep_alives)
    unit = (
        advice.group_by
        if count == 1
        else {"identity": "identities", "role": "roles"}[advice.group_by]
    )
    lines = [
        f"Advice for {advice.jobs:,} training jobs of {source} over {days:,.1f} days, per "
        f"{advice.group_by} ({count:,} {unit}).",
        f"A cold start is worth ${advice.cold_start_value:g} (--cold-start-value). Limits: "
        f"{limits_name or 'custom'} ({limits.max_keep_alive_seconds} s keep-alive at most).",
        "",
    ]
    header = [
        advice.group_by,
        "jobs",
        "own keep-alive",
        "advised",
        "cold starts",
        "keep-alive $",
        "saves $/month vs none",
        "vs own",
    ]
    body = [
        [
            name,
            f"{item.jobs:,}",
            _seconds(item.own_keep_alives),
            "own" if item.keep_alive is None else f"{item.keep_alive:,} s",
            f"{item.cold_starts:,}",
            f"{item.cost:,.2f}",
            f"{item.monthly_savings_vs_no_warm_pools:,.2f}",
            f"{item.monthly_savings_vs_own_settings:,.2f}",
        ]
        for name, item in advice.keep_alives.items()
    ]
    heading, *table = _table(header, body)
    lines.append(heading)
    for row, item in zip(table, advice.keep_alives.values(), strict=True):
        lines += [row, f"    why: {item.reason}"]
    lines += [""]
    lines += _table(
        ["instance type", "warm pool quota", ""],
        [[name, f"{item.warm_pool_quota:,}", item.reason] for name, item in advice.quotas.items()],
        text_last=True,
    )
    saved_none = advice.monthly_savings_vs_no_warm_pools
    saved_own = advice.monthly_savings_vs_own_settings
    rows = [
        ("advised", advice.cost, ""),
        ("without warm pools", advice.cost_without_warm_pools, f"saves {_money(saved_none)}"),
        ("the trace's own", advice.cost_with_own_settings, f"saves {_money(saved_own)}"),
    ]
    width = max(len(_money(cost)) for _, cost, _ in rows)
    lines += [
        "",
        f"Keep-alive cost over the {days:,.1f} days (idle warm pools + cold starts), and what "
        "the advice saves a month:",
        *(f"  {name:<19} {_money(cost):>{width}}  {note}".rstrip() for name, cost, note in rows),
        "",
        f"A month is 30 days: savings x 30 / {days:,.1f} days. Every figure comes from replays "
        "of the trace (docs/policies.md).",
    ]
    return "\n".join(lines) + "\n"
