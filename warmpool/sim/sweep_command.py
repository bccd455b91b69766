"""``warmpool sweep``: replay a trace under many settings and compare them (``docs/replay.md``,
"Sweeps")."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Executor
from typing import Any, TextIO

from warmpool import Timing

from .command import (
    LIMITS,
    _non_negative_int,
    _positive_int,
    _quotas,
    add_workload_options,
    report_skipped,
    unwritable,
)
from .policies import POLICY_NAMES, PolicyError
from .sweep import Setting, SweepResult, SweepRow, check_plot_path, sweep
from .trace import TraceError

__all__ = ["add_sweep_parser", "format_sweep", "run_sweep"]

_DESCRIPTION = """\
Replay a trace once for each setting, a keep-alive for every job (--keep-alive) or a
keep-alive policy (--policy), and compare them: warm and cold starts, instance-hours retained
in warm pools and, with --price, the idle, cold-start (--cold-start-value) and keep-alive
costs and the regret against the trace's hindsight optimum; in a table or as JSON, and
optionally a plot of cold starts against idle cost with the frontier (the settings no other
beats on both) and the optimum. The replays run in parallel: in worker processes (--workers),
or on a Dask cluster (--scheduler). Each is what warmpool replay does with the same options;
the results do not depend on where they ran. See docs/replay.md and docs/policies.md."""

_INSTALL_DASK = "pip install 'sagemaker-warmpool[dask]'"


def _keep_alives(text: str) -> list[int | None]:
    """``--keep-alive 0,300,900``: whole numbers of seconds, or ``own`` (each row's own)."""
    values: list[int | None] = []
    for part in text.split(","):
        part = part.strip()
        values.append(None if part == "own" else _non_negative_int(part))
    return values


def _policies(text: str) -> list[str]:
    """``--policy break-even,histogram:95,min_samples=5``: policy texts, each checked. A part
    that does not start with a policy's name (``min_samples=5``) belongs to the one before."""
    names: list[str] = []
    for part in text.split(","):
        name = part.split(":", 1)[0].strip()
        if names and name not in POLICY_NAMES:
            names[-1] += "," + part
        else:
            names.append(part)
    names = [name.strip() for name in names]
    for name in names:
        try:
            Setting(name)
        except ValueError as error:
            message = str(error).removeprefix("Setting.keep_alive: ")
            raise argparse.ArgumentTypeError(message) from None
    return names


def add_sweep_parser(commands: Any) -> None:
    """Add ``sweep`` to the ``warmpool`` command's subcommands."""
    parser = commands.add_parser(
        "sweep",
        help="replay a trace under many keep-alives or policies, in parallel, and compare "
        "cold starts and idle cost",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "trace", metavar="TRACE", help="the trace file (.csv or .jsonl, either maybe .gz)"
    )
    parser.add_argument(
        "--keep-alive",
        type=_keep_alives,
        action="append",
        default=[],
        metavar="N,N,...",
        help="settings that give every job KeepAlivePeriodInSeconds N (0: no warm pools; own: "
        "each row's own keep_alive_seconds); comma-separated, repeatable",
    )
    parser.add_argument(
        "--policy",
        type=_policies,
        action="append",
        default=[],
        metavar="NAME,NAME,...",
        help="settings that choose each job's keep-alive with a policy: fixed:SECONDS, "
        "break-even, randomized[:SEED], histogram[:PERCENTILE][,key=value...] "
        "(docs/policies.md); comma-separated, repeatable; break-even, randomized and "
        "histogram need --price for every instance type",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="replays at once, each in a worker process (default: one per CPU, at most one per "
        "setting); 1: one after the other in this process",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the replays on the Dask cluster of this scheduler (tcp://host:8786); its "
        "workers need warmpool and the trace file at the same path; needs " + _INSTALL_DASK,
    )
    add_workload_options(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print every setting's figures and report as JSON (SweepResult.to_dict())",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="also draw cold starts against idle cost, one point per setting, with the "
        "frontier, to FILE.png or FILE.svg; needs pip install 'sagemaker-warmpool[plot]'",
    )


class _Progress:
    """Tasks done (replays, and the optimum with prices), on a terminal: ``sweeping 3/9``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, done: int, total: int) -> None:
        self.stream.write(f"\rsweeping {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * 40 + "\r")
        self.stream.flush()


def _connect(address: str) -> tuple[Any, Executor]:
    """A Dask client of the scheduler at ``address`` and its executor."""
    distributed = importlib.import_module("distributed")
    client = distributed.Client(address, timeout=30)
    executor: Executor = client.get_executor()
    return client, executor


def run_sweep(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``warmpool sweep`` with parsed ``args``; returns the exit status."""
    settings: list[int | str | None] = [v for values in args.keep_alive for v in values]
    settings += [name for names in args.policy for name in names]
    if not settings:
        print(
            "warmpool sweep: give the settings to compare: --keep-alive N,N,... and/or "
            "--policy NAME,NAME,...",
            file=stderr,
        )
        return 2
    try:
        chosen = [Setting.of(value) for value in settings]
        if args.plot is not None:
            check_plot_path(args.plot)
        timing = Timing(cold_start_seconds=args.cold_start, warm_start_seconds=args.warm_start)
    except (ValueError, ImportError) as error:
        print(f"warmpool sweep: {error}", file=stderr)
        return 2
    why = None if args.plot is None else unwritable(args.plot)
    if why is not None:
        print(f"warmpool sweep: argument --plot: cannot write {args.plot!r}: {why}", file=stderr)
        return 2
    labels = [setting.label for setting in chosen]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        print(f"warmpool sweep: setting {repeated[0]!r} is given twice", file=stderr)
        return 2
    client: Any = None
    executor: Executor | None = None
    if args.scheduler is not None:
        if importlib.util.find_spec("distributed") is None:
            print(
                f"warmpool sweep: --scheduler needs Dask's distributed: {_INSTALL_DASK}",
                file=stderr,
            )
            return 2
        try:
            client, executor = _connect(args.scheduler)
        except (OSError, TimeoutError, ValueError) as error:
            print(
                f"warmpool sweep: cannot reach the Dask scheduler {args.scheduler}: {error}",
                file=stderr,
            )
            return 1
    progress = _Progress(stderr) if stderr.isatty() else None
    load_options = {"ignore_unknown_columns": True} if args.ignore_unknown_columns else {}
    try:
        result = sweep(
            args.trace,
            chosen,
            executor=executor,
            workers=args.workers,
            layout=args.layout,
            load_options=load_options,
            progress=progress,
            quotas=_quotas(args),
            limits=LIMITS[args.limits],
            timing=timing,
            prices=dict(args.price) or None,
            cold_start_value=args.cold_start_value,
        )
    except (OSError, TraceError, BrokenExecutor) as error:
        if progress is not None:
            progress.close()
        print(f"warmpool sweep: {error}", file=stderr)
        return 1
    except PolicyError as error:  # a policy that needs a --price it was not given
        if progress is not None:
            progress.close()
        print(f"warmpool sweep: {error}", file=stderr)
        return 2
    except ValueError as error:  # a setting the limits refuse
        print(f"warmpool {error}", file=stderr)
        return 2
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        print("warmpool sweep: interrupted", file=stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    if progress is not None:
        progress.close()
    report_skipped("sweep", args.trace, result.skipped, stderr)
    if args.plot is not None:
        try:
            result.render(args.plot)
        except OSError as error:
            print(f"warmpool sweep: cannot write the plot: {error}", file=stderr)
            return 1
    if args.json:
        json.dump(result.to_dict(), stdout, indent=2)
        stdout.write("\n")
    else:
        where = None if args.scheduler is None else f"on the Dask cluster of {args.scheduler}"
        stdout.write(format_sweep(result, where=where))
    return 0


# -- the table ---------------------------------------------------------------------------------

_COLUMNS: tuple[str, ...] = (
    "warm",
    "cold",
    "warm %",
    "retained inst-h",
    "peak retained",
    "refusals",
)
_COSTS: tuple[str, ...] = ("idle $", "cold-start $", "keep-alive $", "total $", "regret")


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _regret(value: float | None) -> str:
    if value is None:
        return "-"
    return "unbounded" if math.isinf(value) else f"{value:,.2f}x"


def _cells(row: SweepRow, with_costs: bool) -> list[str]:
    report = row.report
    started = report.warm_starts + report.cold_starts
    cells = [
        f"{report.warm_starts:,}",
        f"{report.cold_starts:,}",
        f"{report.warm_starts / started:.0%}" if started else "-",
        f"{report.retained_instance_seconds / 3600:,.1f}",
        f"{report.peak_retained_instances:,}",
        f"{report.quota_refusals:,}",
    ]
    if with_costs:
        cells += [
            _money(row.idle_cost),
            _money(row.cold_start_cost),
            _money(row.keep_alive_cost),
            _money(row.total_cost),
            _regret(row.regret),
        ]
    return cells


def format_sweep(result: SweepResult, *, where: str | None = None) -> str:
    """The result as the table ``warmpool sweep`` prints. ``where`` says where the replays ran
    (default: from ``result.workers``)."""
    if where is None:
        if result.workers == 1:
            where = "one after the other in this process"
        elif result.workers is not None:
            where = f"{result.workers} at a time in worker processes"
        else:
            where = "on the executor given"
    with_costs = result.priced
    frontier = {id(row) for row in result.frontier}
    best = result.best
    header = ["setting", *_COLUMNS, *(_COSTS if with_costs else ()), ""]
    body = []
    for row in result.rows:
        notes = []
        if id(row) in frontier:
            notes.append("frontier")
        if row is best:
            notes.append("least keep-alive cost")
        body.append([row.label, *_cells(row, with_costs), ", ".join(notes)])
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        middle = (c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True))
        return "  ".join([first, *middle, cells[-1]]).rstrip()

    count = len(result.rows)
    lines = [
        f"Swept {count} setting{'s' if count != 1 else ''} over {result.jobs:,} training jobs "
        f"of {result.source}, {where}.",
        "",
        line(header),
        *(line(cells) for cells in body),
        "",
        "frontier: the settings that no other setting beats on cold starts and idle "
        + ("cost" if with_costs else "instance-hours")
        + " at once.",
    ]
    best_of_all = result.optimum
    if with_costs and best_of_all is not None:
        value = best_of_all.cold_start_value
        bound = "exact" if best_of_all.exact else "a lower bound"
        lines.append(
            f"hindsight optimum: ${best_of_all.cost:,.2f} keep-alive cost ({bound}): "
            f"{best_of_all.cold_starts:,} cold starts, ${best_of_all.idle_cost:,.2f} idle."
        )
        lines.append(
            f"keep-alive cost: idle + cold-start (${value:g} a cold start, --cold-start-value); "
            "regret: a setting's keep-alive cost over the optimum's."
        )
    if not with_costs:
        lines.append(
            "Give --price TYPE=USD_PER_HOUR for costs, the hindsight optimum and the regrets."
        )
    unpriced = sorted({t for row in result.rows for t in row.report.unpriced_instance_types})
    if with_costs and unpriced:
        lines.append("No --price for (left out of the costs): " + ", ".join(unpriced))
    return "\n".join(lines) + "\n"
