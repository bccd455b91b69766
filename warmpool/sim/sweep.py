"""Sweeps: one trace replayed under many settings, each a full replay, through any
:class:`concurrent.futures.Executor` (``docs/replay.md``, "Sweeps").

:func:`sweep` replays a trace once per :class:`Setting` (a keep-alive for every job, or a
keep-alive policy by name) and returns a :class:`SweepResult`: one :class:`SweepRow` per
setting, in the settings' order whatever order the replays finish in, each with its
:class:`~warmpool.sim.Report` and the figures a sweep compares (cold starts, idle, costs). The
replays run in other processes by default; any executor works, a thread pool or a Dask
``distributed.Client(...).get_executor()`` alike, and gives the same rows, since each replay
is deterministic. :func:`render_sweep` draws the cold starts against the idle cost of every
setting (matplotlib, from the extra ``plot``).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Final

import attrs

from warmpool import Limits

from .loaders import load
from .optimum import Optimum, optimum, with_optimum
from .policies import PolicyError, make_policy, policy_name
from .replay import Report, replay
from .trace import Trace, TraceError, TraceJob, shown

__all__ = [
    "PLOT_FORMATS",
    "REPLAY_OPTIONS",
    "Setting",
    "SweepResult",
    "SweepRow",
    "check_plot_path",
    "render_sweep",
    "sweep",
]

#: The keywords of :func:`~warmpool.sim.replay` that :func:`sweep` passes on to every replay.
#: ``keep_alive`` is each setting's; ``progress`` and ``on_emulator`` are callables of this
#: process, which replays in other processes cannot call.
REPLAY_OPTIONS: Final = (
    "quotas",
    "default_quota",
    "limits",
    "timing",
    "prices",
    "cold_start_value",
    "start",
)
#: Those of them that :func:`~warmpool.sim.optimum.optimum` takes too.
_OPTIMUM_OPTIONS: Final = (
    "quotas",
    "default_quota",
    "limits",
    "timing",
    "prices",
    "cold_start_value",
)

#: The file suffixes :func:`render_sweep` writes (both with matplotlib).
PLOT_FORMATS: Final = (".png", ".svg")

_INSTALL: Final = "pip install 'sagemaker-warmpool[plot]'"


# -- settings ------------------------------------------------------------------------------------


def _check_keep_alive(setting: Setting, attribute: Any, value: object) -> None:
    if value is None:
        return
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("Setting.keep_alive: expected a policy name, found an empty string")
        try:
            make_policy(value)
        except PolicyError as error:
            raise PolicyError(f"Setting.keep_alive: {error}") from None
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            "Setting.keep_alive: expected a whole number of seconds >= 0, a policy name or "
            f"None, found {shown(value)}"
        )


def _default_label(setting: Setting) -> str:
    keep_alive = setting.keep_alive
    if keep_alive is None:
        return "each row's own"
    if isinstance(keep_alive, str):
        try:
            return policy_name(make_policy(keep_alive))
        except (PolicyError, TypeError):  # the validator says what is wrong
            return keep_alive
    return f"{keep_alive} s"


def _check_label(setting: Setting, attribute: Any, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Setting.label: expected a non-empty string, found {shown(value)}")


@attrs.frozen
class Setting:
    """One setting of a sweep: what :func:`~warmpool.sim.replay` gets as ``keep_alive``.

    ``keep_alive`` is a whole number of seconds given to every job (0: no warm pools), a
    keep-alive policy by its text (``"break-even"``, ``"histogram:95"``, ...: checked here and
    made by :func:`~warmpool.sim.policies.make_policy` in the worker, a new one for each
    replay, so that a setting stays a small, picklable value), or ``None``: each row's own
    ``keep_alive_seconds``, the trace as it was. ``label`` names the setting in tables, JSON
    and plots: by default ``"900 s"``, the policy's name (``"randomized:seed=7"``), or
    ``"each row's own"``.
    """

    keep_alive: int | str | None = attrs.field(default=None, validator=_check_keep_alive)
    label: str = attrs.field(
        default=attrs.Factory(_default_label, takes_self=True), validator=_check_label
    )

    @classmethod
    def of(cls, value: Setting | int | str | None) -> Setting:
        """A setting from a :class:`Setting`, a keep-alive (an int, or a string of digits such
        as ``"900"``), a policy name, or ``None``."""
        if isinstance(value, Setting):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return cls(int(value))
        return cls(value)

    @property
    def policy(self) -> str | None:
        """The policy's name, or ``None`` for a fixed keep-alive (or each row's own)."""
        return self.keep_alive if isinstance(self.keep_alive, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "keep_alive": self.keep_alive}


# -- where the workers find the trace ------------------------------------------------------------


@attrs.frozen
class _TraceFile:
    """A trace by its file: each worker process loads (and checks) it once, with ``load``."""

    path: str
    layout: str
    options: Mapping[str, Any]
    #: The file's size and modification time when this process checked it.
    stamp: tuple[int, int]


def _stamp(path: str | Path) -> tuple[int, int]:
    stat = os.stat(path)
    return (stat.st_size, stat.st_mtime_ns)


#: The trace this worker process loaded last, and what it was loaded from.
_loaded: tuple[_TraceFile, Trace] | None = None


def _open(source: _TraceFile | Iterable[TraceJob]) -> Iterable[TraceJob]:
    global _loaded
    if not isinstance(source, _TraceFile):
        return source
    cached = _loaded  # read once: threads of one process share it
    if cached is not None and cached[0] == source:
        return cached[1]
    trace = load(source.path, source.layout, **source.options)
    if _stamp(source.path) != source.stamp:
        raise TraceError(
            "expected the file that was checked when the sweep began; it changed since: "
            "sweep again",
            path=source.path,
            line=None,
            column=None,
        )
    _loaded = (source, trace)
    return trace


def _replay_one(
    source: _TraceFile | Iterable[TraceJob],
    setting: Setting,
    options: Mapping[str, Any],
) -> Report:
    """One setting's replay: what a worker runs. Module-level, so that it pickles by name."""
    keep_alive: Any = setting.keep_alive
    if isinstance(keep_alive, str):
        keep_alive = make_policy(keep_alive)
    return replay(_open(source), keep_alive=keep_alive, **options)


def _optimum_one(source: _TraceFile | Iterable[TraceJob], options: Mapping[str, Any]) -> Optimum:
    """The trace's hindsight optimum under the sweep's cost model: a worker's task too."""
    return optimum(_open(source), **{k: v for k, v in options.items() if k in _OPTIMUM_OPTIONS})


# -- results -----------------------------------------------------------------------------------


@attrs.frozen
class SweepRow:
    """One setting's replay and the figures a sweep compares (``docs/policies.md`` defines
    the costs).

    ``idle_cost`` is what the idle warm pools cost (the report's ``retained_cost``);
    ``cold_start_cost`` what the jobs that did not start warm cost at the sweep's
    ``cold_start_value``; ``keep_alive_cost`` both, the figure the setting is judged by;
    ``total_cost`` that and training; ``regret`` the keep-alive cost over the hindsight
    optimum's. All are ``None`` without prices.
    """

    setting: Setting
    report: Report

    @property
    def label(self) -> str:
        return self.setting.label

    @property
    def warm_starts(self) -> int:
        return self.report.warm_starts

    @property
    def cold_starts(self) -> int:
        return self.report.cold_starts

    @property
    def retained_instance_seconds(self) -> int:
        return self.report.retained_instance_seconds

    @property
    def idle_cost(self) -> float | None:
        return self.report.retained_cost

    @property
    def cold_start_cost(self) -> float | None:
        return self.report.cold_start_cost

    @property
    def keep_alive_cost(self) -> float | None:
        return self.report.keep_alive_cost

    @property
    def total_cost(self) -> float | None:
        """Training, idle warm pools and cold starts."""
        report = self.report
        if report.keep_alive_cost is None or report.training_cost is None:
            return None
        return report.training_cost + report.keep_alive_cost

    @property
    def regret(self) -> float | None:
        return self.report.regret

    def figures(self) -> dict[str, Any]:
        """The compared figures as plain values (the report's dict is apart, under
        ``report`` in :meth:`SweepResult.to_dict`)."""
        return {
            **self.setting.to_dict(),
            "warm_starts": self.warm_starts,
            "cold_starts": self.cold_starts,
            "retained_instance_seconds": self.retained_instance_seconds,
            "peak_retained_instances": self.report.peak_retained_instances,
            "quota_refusals": self.report.quota_refusals,
            "idle_cost": self.idle_cost,
            "cold_start_cost": self.cold_start_cost,
            "keep_alive_cost": self.keep_alive_cost,
            "training_cost": self.report.training_cost,
            "total_cost": self.total_cost,
            # JSON has no infinity: an unbounded regret (the optimum costs nothing) is null.
            "regret": None if self.regret is not None and math.isinf(self.regret) else self.regret,
        }


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a != b


@attrs.frozen
class SweepResult:
    """Every setting's :class:`SweepRow`, in the order the settings were given.

    ``source`` names the trace and ``jobs`` counts its rows; ``skipped`` counts the rows its
    loader left out, by reason (see ``Trace.skipped``); ``workers`` is how many replays ran at
    once (``None`` for an executor given by the caller). ``optimum`` is the trace's hindsight
    optimum under the same cost model and settings (with prices; else ``None``), which every
    row's ``regret`` is measured against.
    """

    rows: tuple[SweepRow, ...]
    source: str
    jobs: int
    skipped: Mapping[str, int] = attrs.field(factory=dict)
    workers: int | None = None
    optimum: Optimum | None = None

    def idle(self, row: SweepRow) -> float:
        """A row's idle figure, the y of the plot: its ``idle_cost`` when every row has one,
        else its retained instance-hours."""
        if self.priced:
            return row.idle_cost or 0.0
        return row.retained_instance_seconds / 3600

    @property
    def priced(self) -> bool:
        """Whether every row has an idle cost (the replays were given prices)."""
        return all(row.idle_cost is not None for row in self.rows)

    @property
    def frontier(self) -> tuple[SweepRow, ...]:
        """The rows no other row beats on both counts (fewer or as many cold starts and as
        little or less idle, one of them strictly): the Pareto frontier, by cold starts."""
        points = [(float(row.cold_starts), self.idle(row)) for row in self.rows]
        kept = [
            (point, index, row)
            for index, (point, row) in enumerate(zip(points, self.rows, strict=True))
            if not any(_dominates(other, point) for other in points)
        ]
        return tuple(row for _, _, row in sorted(kept, key=lambda item: (item[0], item[1])))

    @property
    def best(self) -> SweepRow | None:
        """The setting of least keep-alive cost, so of least regret (the first of equals, in
        the settings' order); ``None`` without prices."""
        costs = [row.keep_alive_cost for row in self.rows]
        if not costs or any(cost is None for cost in costs):
            return None
        return min(self.rows, key=lambda row: row.keep_alive_cost or 0.0)

    def row(self, label: str) -> SweepRow:
        """The row of the setting labelled ``label`` (``KeyError`` if none)."""
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        """Every row's figures and report as plain values (what ``warmpool sweep --json``
        prints)."""
        best = self.best
        return {
            "trace": self.source,
            "jobs": self.jobs,
            "settings": [{**row.figures(), "report": row.report.to_dict()} for row in self.rows],
            "frontier": [row.label for row in self.frontier],
            "best": None if best is None else best.label,
            "optimum": None if self.optimum is None else self.optimum.to_dict(),
        }

    def render(self, path: str | Path) -> Path:
        """Draw the cold starts against the idle figure: :func:`render_sweep`."""
        return render_sweep(self, path)


# -- the sweep -----------------------------------------------------------------------------------


def _settings(settings: Iterable[Setting | int | str | None]) -> tuple[Setting, ...]:
    if isinstance(settings, (str, bytes, Setting)):
        raise TypeError(
            "sweep: settings must be a list of settings (keep-alives, policy names or "
            f"Setting), not {shown(settings)}"
        )
    chosen = tuple(Setting.of(value) for value in settings)
    if not chosen:
        raise ValueError("sweep: settings: expected at least one setting, found none")
    seen: dict[str, Setting] = {}
    for setting in chosen:
        if setting.label in seen:
            raise ValueError(
                f"sweep: settings: each label must name one setting; {setting.label!r} is "
                "given twice (give a label of its own to each)"
            )
        seen[setting.label] = setting
    return chosen


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    for name in options:
        if name == "keep_alive":
            raise TypeError(
                "sweep: keep_alive is each setting's own: list the keep-alives as settings"
            )
        if name not in REPLAY_OPTIONS:
            extra = (
                " (it would be called in other processes: not available in a sweep)"
                if name in ("progress", "on_emulator")
                else ""
            )
            raise TypeError(
                f"sweep: unexpected keyword {name!r}{extra}; the replay's options it passes on "
                f"are {', '.join(REPLAY_OPTIONS)}"
            )
    return dict(options)


def _source(
    trace: Trace | str | os.PathLike[str] | Iterable[TraceJob],
    layout: str,
    load_options: Mapping[str, Any] | None,
) -> tuple[Iterable[TraceJob], _TraceFile | Trace | tuple[TraceJob, ...], str, int]:
    """(what this process replays, what a worker is sent, the trace's name, its rows)."""
    options = dict(load_options or {})
    if isinstance(trace, (str, os.PathLike)):
        path = Path(trace)
        stamp = _stamp(path)
        loaded = load(path, layout, **options)
        if _stamp(path) != stamp:  # changed while it was checked
            stamp = (-1, -1)
        shipped = _TraceFile(str(path.absolute()), layout, options, stamp)
        return loaded, shipped, str(trace), len(loaded)
    if layout != "warmpool" or options:
        raise TypeError(
            "sweep: layout and load_options are for a trace given by its path; this trace "
            "is already loaded"
        )
    if isinstance(trace, Trace):
        return trace, trace, str(trace.path), len(trace)
    if not isinstance(trace, Iterable):
        raise TypeError(
            f"sweep: trace must be a path, a Trace or an iterable of TraceJob, not {shown(trace)}"
        )
    jobs = tuple(trace)
    for job in jobs:
        if not isinstance(job, TraceJob):
            raise TypeError(f"sweep: trace: expected TraceJob rows, found {shown(job)}")
    return jobs, jobs, "<trace>", len(jobs)


def sweep(
    trace: Trace | str | os.PathLike[str] | Iterable[TraceJob],
    settings: Iterable[Setting | int | str | None],
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    layout: str = "warmpool",
    load_options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    timeout: float | None = None,
    **replay_options: Any,
) -> SweepResult:
    """Replay ``trace`` once per setting and return every setting's row, in the settings'
    order.

    ``trace`` is a path (loaded here with ``load(path, layout, **load_options)``, so that a
    bad file is refused before anything runs, and again, once, by each worker process), a
    :class:`~warmpool.sim.Trace` (sent to the workers as it is, pickled) or rows built in code
    (sent whole with every setting: for small traces). ``settings`` are :class:`Setting` s, or
    what :meth:`Setting.of` takes: ``[0, 300, 900, "break-even"]``. ``replay_options`` are
    :data:`REPLAY_OPTIONS`, the same for every replay. With ``prices``, the sweep also
    computes the trace's hindsight optimum under the same cost model and settings (one more
    task, run alongside the replays: :func:`~warmpool.sim.optimum.optimum`) and gives every
    report its ``optimum_cost`` and ``regret`` (:func:`~warmpool.sim.optimum.with_optimum`).

    The replays run on ``executor``, any :class:`concurrent.futures.Executor` (a
    ``ThreadPoolExecutor``, a Dask ``Client(...).get_executor()``, ...), which the sweep
    does not shut down. Without one, ``workers`` processes run them (a
    ``ProcessPoolExecutor``, started with ``spawn`` and shut down at the end; default: one per
    CPU, at most one per setting), and ``workers=1`` runs them one after the other in this
    process. The rows are the same whichever runs them.

    ``progress(done, total)`` is called in this process as tasks finish, the replays and the
    optimum (and once with ``done=0``). ``timeout`` (seconds) bounds the wait for the tasks on
    an executor: ``TimeoutError`` past it. The first error of a task (a ``TraceError`` for a
    row the emulator refuses, a :class:`~warmpool.sim.policies.PolicyError` for a policy
    without the prices it needs, ...) is raised once the tasks not yet started are cancelled.
    """
    chosen = _settings(settings)
    options = _options(replay_options)
    if executor is not None and workers is not None:
        raise TypeError("sweep: give executor or workers, not both")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"sweep: workers: expected a whole number >= 1, found {shown(workers)}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"sweep: timeout: expected seconds > 0 or None, found {shown(timeout)}")
    limits = options.get("limits", Limits.GUIDE_2022)
    for setting in chosen:
        keep_alive = setting.keep_alive
        if isinstance(keep_alive, int) and keep_alive > limits.max_keep_alive_seconds:
            raise ValueError(
                f"sweep: setting {setting.label!r}: KeepAlivePeriodInSeconds must be at most "
                f"the limits' {limits.max_keep_alive_seconds} s, not {keep_alive}"
            )
    here, shipped, name, jobs = _source(trace, layout, load_options)
    with_optimum_ = bool(options.get("prices"))
    total = len(chosen) + with_optimum_
    if progress is not None:
        progress(0, total)
    if executor is None:
        count = workers if workers is not None else min(len(chosen), os.cpu_count() or 1)
        if count == 1:
            results: list[Any] = []
            for setting in chosen:
                results.append(_replay_one(here, setting, options))
                if progress is not None:
                    progress(len(results), total)
            if with_optimum_:
                results.append(_optimum_one(here, options))
                if progress is not None:
                    progress(total, total)
            return _result(here, chosen, results, name, jobs, 1)
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
        try:
            results = _run(pool, _tasks(shipped, chosen, options, with_optimum_), progress, timeout)
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()
        return _result(here, chosen, results, name, jobs, count)
    results = _run(executor, _tasks(shipped, chosen, options, with_optimum_), progress, timeout)
    return _result(here, chosen, results, name, jobs, None)


#: A task for an executor: a module-level function and its arguments.
_Task = tuple[Callable[..., Any], tuple[Any, ...]]


def _tasks(
    shipped: _TraceFile | Iterable[TraceJob],
    settings: Sequence[Setting],
    options: Mapping[str, Any],
    with_optimum_: bool,
) -> list[_Task]:
    """One replay per setting, in order, then the optimum (submitted last, run alongside)."""
    tasks: list[_Task] = [(_replay_one, (shipped, setting, options)) for setting in settings]
    if with_optimum_:
        tasks.append((_optimum_one, (shipped, options)))
    return tasks


def _run(
    executor: Executor,
    tasks: Sequence[_Task],
    progress: Callable[[int, int], None] | None,
    timeout: float | None,
) -> list[Any]:
    """The tasks' results, in the tasks' order, whatever order they finish in."""
    futures: dict[Future[Any], int] = {}
    results: list[Any] = [None] * len(tasks)
    try:
        for index, (function, args) in enumerate(tasks):
            futures[executor.submit(function, *args)] = index
        for done, future in enumerate(as_completed(futures, timeout=timeout), 1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(tasks))
    except BaseException:  # a TraceError from a worker too: it pickles whole (D38)
        for future in futures:
            future.cancel()
        raise
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the sweep's own worker processes now (an error, Ctrl-C): the replays they are
    running, and those already handed to them, would only be thrown away."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:  # pragma: no cover - depends on the interpreter
        terminate()
        return
    # Before 3.14 the pool has no public way: its processes, taken before shutdown drops them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _result(
    here: Iterable[TraceJob],
    settings: Sequence[Setting],
    results: Sequence[Any],
    source: str,
    jobs: int,
    workers: int | None,
) -> SweepResult:
    """The rows, each report with its regret against the optimum when there is one (the
    last result)."""
    reports: list[Report] = list(results[: len(settings)])
    best: Optimum | None = results[len(settings)] if len(results) > len(settings) else None
    if best is not None:
        reports = [with_optimum(report, best) for report in reports]
    rows = tuple(
        SweepRow(setting, report) for setting, report in zip(settings, reports, strict=True)
    )
    skipped = dict(getattr(here, "skipped", {}))
    return SweepResult(rows, source, jobs, skipped, workers, best)


# -- the plot ----------------------------------------------------------------------------------


def check_plot_path(path: str | Path) -> str:
    """The format ``path`` asks for (``"png"`` or ``"svg"``), once it is known that matplotlib
    is installed: so that a command can refuse before a long sweep. ``ValueError`` for any
    other suffix, ``ImportError`` saying what to install without matplotlib."""
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise ValueError(
            f"plot: cannot draw {str(path)!r}: the file name must end in "
            f"{' or '.join(PLOT_FORMATS)} (got {suffix or 'no suffix'!r})"
        )
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError(
            f"plot: drawing a sweep needs matplotlib, which is not installed: {_INSTALL}"
        )
    return suffix[1:]


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _regret(value: float | None) -> str:
    if value is None:
        return "-"
    return "unbounded" if math.isinf(value) else f"{value:,.2f}x"


def render_sweep(result: SweepResult, path: str | Path) -> Path:
    """Draw ``result`` to ``path`` (``.png`` or ``.svg``): one labelled point per setting, its
    cold starts (x) against its idle cost (y; retained instance-hours without prices), the
    frontier (:attr:`SweepResult.frontier`) as a line, the setting of least keep-alive cost
    (:attr:`SweepResult.best`) as a star and the hindsight optimum (:attr:`SweepResult.optimum`)
    as a diamond, both with prices. The same result draws the same bytes. Returns the path.
    """
    path = Path(path)
    fmt = check_plot_path(path)
    matplotlib = importlib.import_module("matplotlib")
    figure = importlib.import_module("matplotlib.figure")
    ticker = importlib.import_module("matplotlib.ticker")

    rows = result.rows
    xs = [row.cold_starts for row in rows]
    ys = [result.idle(row) for row in rows]
    frontier = result.frontier
    best = result.best
    best_of_all = result.optimum if result.priced else None
    ylabel = (
        "idle cost (USD, retained warm pools)"
        if result.priced
        else "idle (instance-hours retained in warm pools)"
    )
    top = max([*ys, 0.0 if best_of_all is None else best_of_all.idle_cost])
    with matplotlib.rc_context(
        {"svg.hashsalt": "warmpool-sweep", "svg.fonttype": "path", "font.size": 9}
    ):
        fig = figure.Figure(figsize=(8, 5.5), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        (line,) = ax.plot(
            [row.cold_starts for row in frontier],
            [result.idle(row) for row in frontier],
            color="#1f77b4",
            linewidth=1.2,
            label="frontier (no setting has fewer cold starts and less idle)",
            zorder=2,
        )
        line.set_gid("sweep-frontier")
        points = ax.scatter(xs, ys, color="#1f77b4", s=28, zorder=3, label="setting")
        points.set_gid("sweep-settings")
        if best is not None:
            star = ax.scatter(
                [best.cold_starts],
                [result.idle(best)],
                marker="*",
                s=260,
                color="#d62728",
                zorder=4,
                label=f"least keep-alive cost: {best.label} "
                f"({_money(best.keep_alive_cost or 0.0)}, regret {_regret(best.regret)})",
            )
            star.set_gid("sweep-best")
        if best_of_all is not None:
            bound = "" if best_of_all.exact else ", a lower bound"
            diamond = ax.scatter(
                [best_of_all.cold_starts],
                [best_of_all.idle_cost],
                marker="D",
                s=50,
                color="#000000",
                zorder=5,
                label=f"hindsight optimum ({_money(best_of_all.cost)}{bound})",
            )
            diamond.set_gid("sweep-optimum")
        for x, y, row in zip(xs, ys, rows, strict=True):
            ax.annotate(
                row.label,
                (x, y),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
            )
        ax.set_xlabel("cold starts")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        ax.yaxis.set_major_formatter(
            ticker.StrMethodFormatter("{x:,.0f}" if top >= 100 else "{x:,.2f}")
        )
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_title(
            f"{len(rows)} settings over {result.jobs:,} jobs of {result.source}",
            loc="left",
            fontsize=9,
        )
        metadata = {"Date": None} if fmt == "svg" else {}
        fig.savefig(path, format=fmt, metadata=metadata)
    return path
