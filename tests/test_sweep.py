"""Sweeps (``warmpool.sim.sweep``, ``warmpool sweep``): many settings of one trace, each a full
replay, through any executor, with the same rows whatever runs them (D45, D38; behaviour §13.6)."""

from __future__ import annotations

import gzip
import importlib
import json
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import Terminal, run_cli
from warmpool import Limits, Quota
from warmpool.sim import (
    Report,
    TraceError,
    TraceJob,
    load_trace,
    replay,
    sweep_command,
    write_trace,
)
from warmpool.sim.optimum import optimum, with_optimum
from warmpool.sim.policies import PolicyError, make_policy
from warmpool.sim.sweep import (
    Setting,
    SweepResult,
    SweepRow,
    check_plot_path,
    render_sweep,
    sweep,
)
from warmpool.sim.sweep_command import format_sweep

from .conftest import require

sweep_module = importlib.import_module("warmpool.sim.sweep")

M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
PRICES = {M5: 0.23, G5: 1.41}
KEEP_ALIVES = (0, 300, 900, 1800)
ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def rows(count: int = 60) -> list[TraceJob]:
    """A trace in which the keep-alive matters: two identities, gaps of 1 minute to 1 hour."""
    jobs = []
    at = 0.0
    for number in range(count):
        gap = (60, 240, 700, 1500, 3000)[number % 5]
        jobs.append(
            TraceJob(
                at,
                M5 if number % 3 else G5,
                300 + 37 * (number % 7),
                job_name=f"job-{number:03d}",
                keep_alive_seconds=600 if number % 2 else None,
                outcome="Stopped" if number % 11 == 0 else "Completed",
            )
        )
        at += gap
    return jobs


@pytest.fixture(scope="module")
def trace_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "jobs.csv"
    write_trace(path, rows())
    return path


OPTIMUM_OPTIONS = ("quotas", "default_quota", "limits", "timing", "prices", "cold_start_value")


def sequential(trace: Any, keep_alives: Any = KEEP_ALIVES, **options: Any) -> list[dict[str, Any]]:
    """What one replay after another gives: every setting's report as a dict, with prices
    its regret against the hindsight optimum (as ``warmpool replay`` gives them)."""
    reports = [
        replay(trace, keep_alive=make_policy(k) if isinstance(k, str) else k, **options)
        for k in keep_alives
    ]
    if options.get("prices"):
        best = optimum(trace, **{k: v for k, v in options.items() if k in OPTIMUM_OPTIONS})
        reports = [with_optimum(report, best) for report in reports]
    return [report.to_dict() for report in reports]


def dicts(result: SweepResult) -> list[dict[str, Any]]:
    return [row.report.to_dict() for row in result.rows]


# -- the same rows whatever runs them ------------------------------------------------------------


def test_a_sweep_in_worker_processes_equals_the_sequential_replays(trace_path: Path) -> None:
    """Each row is the report of ``replay(trace, keep_alive=setting)``, exactly, when the
    replays run in two worker processes (the default executor) (D45, D38)."""
    result = sweep(trace_path, KEEP_ALIVES, workers=2, prices=PRICES)
    assert result.workers == 2
    expected = sequential(load_trace(trace_path), prices=PRICES)
    assert dicts(result) == expected
    assert len({row["cold_starts"] for row in expected}) == len(KEEP_ALIVES)  # they differ


def test_workers_1_replays_one_after_the_other_in_this_process(
    trace_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``workers=1``: no executor, no other process: each replay runs here, in order."""
    seen: list[object] = []
    real = replay

    def spy(trace: Any, **options: Any) -> Report:
        seen.append(options["keep_alive"])
        return real(trace, **options)

    monkeypatch.setattr(sweep_module, "replay", spy)
    result = sweep(trace_path, KEEP_ALIVES, workers=1)
    assert seen == list(KEEP_ALIVES)
    assert result.workers == 1
    assert dicts(result) == sequential(load_trace(trace_path))


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A local Dask cluster of two worker processes (closed at the end)."""
    distributed = require("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        timeout=60,
    )
    try:
        client = distributed.Client(cluster, timeout=60)
        try:
            yield client
        finally:
            client.close(timeout=30)
    finally:
        cluster.close(timeout=30)


def test_a_sweep_on_a_local_dask_cluster_equals_the_sequential_replays(
    trace_path: Path, dask_client: Any
) -> None:
    """A Dask ``Client(...).get_executor()`` plugs in unchanged: the rows (keep-alives and
    policies, with their regrets) are the sequential replays' reports, exactly, and the
    optimum is the trace's; the workers load the trace from its path (D45)."""
    settings_ = [*KEEP_ALIVES, None, "break-even", "histogram:90,min_samples=3"]
    result = sweep(
        trace_path,
        settings_,
        executor=dask_client.get_executor(),
        timeout=120,
        prices=PRICES,
        cold_start_value=0.3,
    )
    assert result.workers is None
    expected = sequential(load_trace(trace_path), settings_, prices=PRICES, cold_start_value=0.3)
    assert dicts(result) == expected
    assert result.optimum == optimum(load_trace(trace_path), prices=PRICES, cold_start_value=0.3)
    # the replays ran on the cluster's workers, which loaded the trace from its path
    loaded = dask_client.run(lambda: sweep_module._loaded is not None)
    assert len(loaded) == 2 and any(loaded.values())


def test_warmpool_sweep_runs_on_a_dask_scheduler(trace_path: Path, dask_client: Any) -> None:
    """``--scheduler ADDRESS`` runs the replays on that Dask cluster: the same JSON as
    ``--workers 1``."""
    status, out, err = run(
        "sweep",
        str(trace_path),
        "--keep-alive",
        "0,900",
        "--scheduler",
        dask_client.scheduler.address,
        "--json",
    )
    assert (status, err) == (0, "")
    local = run("sweep", str(trace_path), "--keep-alive", "0,900", "--workers", "1", "--json")
    assert json.loads(out) == json.loads(local[1])


def test_a_thread_pool_gives_the_same_rows(trace_path: Path) -> None:
    """Any ``concurrent.futures.Executor`` works, a thread pool too, and the sweep leaves it
    running (it is the caller's)."""
    with ThreadPoolExecutor(3) as pool:
        result = sweep(load_trace(trace_path), KEEP_ALIVES, executor=pool)
        assert pool.submit(lambda: 42).result() == 42
    assert dicts(result) == sequential(load_trace(trace_path))


@settings(max_examples=25)
@given(
    jobs=st.lists(
        st.builds(
            TraceJob,
            submit_time=st.integers(0, 20_000).map(float),
            instance_type=st.sampled_from([M5, G5]),
            training_seconds=st.integers(0, 3000).map(float),
            keep_alive_seconds=st.none() | st.sampled_from([0, 600, 3600]),
            outcome=st.sampled_from(["Completed", "AlgorithmError", "Stopped"]),
        ),
        max_size=25,
    ).map(lambda jobs: sorted(jobs, key=lambda job: job.submit_time)),
    keep_alives=st.lists(st.none() | st.integers(0, 3600), min_size=1, max_size=5, unique=True),
)
def test_any_trace_and_settings_sweep_to_the_sequential_replays(
    jobs: list[TraceJob], keep_alives: list[int | None]
) -> None:
    """For any trace and any settings, a sweep on a thread pool gives, setting by setting, the
    report of the replay with that keep-alive (D45, D38)."""
    with ThreadPoolExecutor(2) as pool:
        result = sweep(jobs, keep_alives, executor=pool, prices=PRICES)
    assert [row.setting.keep_alive for row in result.rows] == keep_alives
    assert dicts(result) == sequential(jobs, keep_alives, prices=PRICES)


class ReverseExecutor(Executor):
    """Runs nothing until ``count`` tasks are in, then runs them last first, in a thread."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.tasks: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []
        self.finished: list[int] = []
        self.thread: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.tasks.append((future, fn, args))
        if len(self.tasks) == self.count:
            self.thread = threading.Thread(target=self._run)
            self.thread.start()
        return future

    def _run(self) -> None:
        for index in reversed(range(len(self.tasks))):
            future, fn, args = self.tasks[index]
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as error:
                    future.set_exception(error)
            self.finished.append(index)


def test_rows_are_in_the_settings_order_whatever_order_the_replays_finish_in(
    trace_path: Path,
) -> None:
    """The replays finish last first; the rows are still in the settings' order, and
    ``progress`` counts the settings done (D45)."""
    executor = ReverseExecutor(len(KEEP_ALIVES))
    calls: list[tuple[int, int]] = []
    result = sweep(
        trace_path, KEEP_ALIVES, executor=executor, progress=lambda d, t: calls.append((d, t))
    )
    assert executor.finished == [3, 2, 1, 0]
    assert [row.setting.keep_alive for row in result.rows] == list(KEEP_ALIVES)
    assert dicts(result) == sequential(load_trace(trace_path))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


class FakePool(ThreadPoolExecutor):
    """Stands in for ProcessPoolExecutor: records how it was made."""

    made: ClassVar[list[tuple[int, Any]]] = []

    def __init__(self, max_workers: int, mp_context: Any = None) -> None:
        FakePool.made.append((max_workers, mp_context.get_start_method()))
        super().__init__(max_workers)


def test_the_default_is_a_process_per_cpu_at_most_one_per_setting(
    trace_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an executor or ``workers``: worker processes (started with ``spawn``), one per
    CPU, at most one per setting; one of them is no process at all (D45)."""
    monkeypatch.setattr(sweep_module, "ProcessPoolExecutor", FakePool)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    FakePool.made = []
    assert sweep(trace_path, KEEP_ALIVES).workers == 3
    assert sweep(trace_path, [0, 900]).workers == 2
    assert FakePool.made == [(3, "spawn"), (2, "spawn")]
    assert sweep(trace_path, [900]).workers == 1
    assert len(FakePool.made) == 2


# -- what a sweep takes ------------------------------------------------------------------------


def test_a_loaded_trace_and_rows_built_in_code_are_sent_as_they_are(tmp_path: Path) -> None:
    """A ``Trace`` (here of a compressed file out of order, read through a temporary file) and
    a list of ``TraceJob`` rows sweep in worker processes to the sequential replays."""
    jobs = rows(30)
    path = tmp_path / "shuffled.csv.gz"
    write_trace(path, sorted(jobs, key=lambda job: -job.submit_time))
    trace = load_trace(path)
    assert not trace.in_order
    expected = sequential(jobs)
    assert dicts(sweep(trace, KEEP_ALIVES, workers=2)) == expected
    assert dicts(sweep(jobs, KEEP_ALIVES, workers=2)) == expected
    assert dicts(sweep(iter(jobs), KEEP_ALIVES, workers=1)) == expected


def test_a_setting_is_a_keep_alive_a_policy_or_each_rows_own() -> None:
    """``Setting.of``: an int or a string of digits is a keep-alive for every job, ``None`` each
    row's own; each has a label by default."""
    assert Setting.of(900) == Setting(900, "900 s")
    assert Setting.of("900") == Setting(900)
    assert Setting.of(None).label == "each row's own"
    assert Setting(0, label="none").label == "none"
    assert Setting.of(Setting(60)) == Setting(60)
    assert Setting(900).policy is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Setting.keep_alive: expected a whole number of seconds >= 0"),
        (True, "Setting.keep_alive: expected a whole number of seconds >= 0"),
        (1.5, "Setting.keep_alive: expected a whole number of seconds >= 0"),
        ("  ", "Setting.keep_alive: expected a policy name, found an empty string"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Setting(value)
    with pytest.raises(ValueError, match=r"Setting\.label: expected a non-empty string"):
        Setting(60, label="")


def test_each_label_names_one_setting(trace_path: Path) -> None:
    """Two settings with one label would make one row of the table: refused (D45)."""
    with pytest.raises(ValueError, match="'900 s' is given twice"):
        sweep(trace_path, [900, "900"], workers=1)
    with pytest.raises(ValueError, match="expected at least one setting"):
        sweep(trace_path, [], workers=1)
    with pytest.raises(TypeError, match="settings must be a list"):
        sweep(trace_path, "900", workers=1)


def test_the_replays_get_the_options_given_and_nothing_else(trace_path: Path) -> None:
    """``quotas``, ``limits``, ``prices``, ... are every replay's; ``keep_alive`` is the
    settings', and callables of this process are refused, as are unknown keywords."""
    quotas = {M5: Quota(warm_pool=1)}
    result = sweep(trace_path, [900, 1800], workers=1, quotas=quotas, prices=PRICES)
    assert dicts(result) == sequential(
        load_trace(trace_path), [900, 1800], quotas=quotas, prices=PRICES
    )
    assert result.rows[1].report.warm_pool_quota_refusals > 0
    with pytest.raises(TypeError, match="keep_alive is each setting's own"):
        sweep(trace_path, [900], keep_alive=60)
    with pytest.raises(TypeError, match=r"'on_emulator'.*called in other processes"):
        sweep(trace_path, [900], on_emulator=print)
    with pytest.raises(TypeError, match="unexpected keyword 'quota'"):
        sweep(trace_path, [900], quota=quotas)
    with ThreadPoolExecutor(1) as pool, pytest.raises(TypeError, match="not both"):
        sweep(trace_path, [900], workers=2, executor=pool)
    with pytest.raises(ValueError, match="workers: expected a whole number >= 1, found 0"):
        sweep(trace_path, [900], workers=0)
    with pytest.raises(
        TypeError, match="layout and load_options are for a trace given by its path"
    ):
        sweep(load_trace(trace_path), [900], layout="helios")


def test_a_keep_alive_over_the_limits_is_refused_before_anything_runs(trace_path: Path) -> None:
    """A keep-alive above ``limits.max_keep_alive_seconds`` would fail every row's create: the
    sweep refuses it at once, naming the setting and the limit."""
    executor = ReverseExecutor(99)
    with pytest.raises(ValueError, match=r"setting '7200 s'.*at most the limits' 3600 s"):
        sweep(trace_path, [900, 7200], executor=executor)
    assert executor.tasks == []
    result = sweep(trace_path, [7200], workers=1, limits=Limits.API_MODEL)
    assert result.rows[0].report.keep_alive == 7200


def test_a_bad_trace_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """The trace is checked here before any replay is sent anywhere: its ``TraceError``."""
    bad = tmp_path / "bad.csv"
    bad.write_text("submit_time,instance_type,training_seconds\n0,ml.m5.xlarge,-1\n")
    executor = ReverseExecutor(99)
    with pytest.raises(TraceError, match="line 2, column 'training_seconds'"):
        sweep(bad, [900], executor=executor)
    assert executor.tasks == []
    with pytest.raises(FileNotFoundError):
        sweep(tmp_path / "missing.csv", [900], workers=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_replays_trace_error_reaches_the_caller_as_a_trace_error(
    tmp_path: Path, workers: int
) -> None:
    """A row the emulator refuses fails its replay, here or in a worker process: the caller
    gets the ``TraceError``, with its path, line and column (D38)."""
    path = tmp_path / "jobs.csv"
    write_trace(path, [TraceJob(0, M5, 60, job_name="a"), TraceJob(5, "ml.nope.xlarge", 60)])
    with pytest.raises(TraceError) as raised:
        sweep(path, [0, 60], workers=workers)
    assert (raised.value.line, raised.value.column) == (3, "instance_type")
    assert "CreateTrainingJob refused this row" in str(raised.value)


def test_a_file_changed_after_its_check_is_refused_by_the_workers(trace_path: Path) -> None:
    """A worker loads the trace itself; if the file is not the one checked when the sweep
    began (size, modification time), it refuses to replay it."""
    stale = sweep_module._TraceFile(str(trace_path), "warmpool", {}, (0, 0))
    with pytest.raises(TraceError, match="it changed since: sweep again"):
        sweep_module._replay_one(stale, Setting(60), {})


# -- the figures --------------------------------------------------------------------------------


def figures_row(label: str, cold: int, retained: int, price: float | None) -> SweepRow:
    """A row of a report with these figures; a cold start is worth 0.1 USD."""
    idle = None if price is None else retained / 3600 * price
    report = Report(
        jobs=100,
        cold_starts=cold,
        warm_starts=100 - cold,
        retained_instance_seconds=retained,
        retained_cost=idle,
        training_cost=None if price is None else 10.0,
        cold_start_cost=None if price is None else cold * 0.1,
        keep_alive_cost=None if idle is None else idle + cold * 0.1,
    )
    return SweepRow(Setting(label=label), report)


points = st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=8)


@given(points)
def test_the_frontier_is_the_settings_no_other_beats_on_both(
    values: list[tuple[int, int]],
) -> None:
    """Every setting off the frontier has one on it with as few or fewer cold starts and as
    little or less idle (one strictly); no setting on it has such a one; the frontier runs
    by cold starts (D45)."""
    result = SweepResult(
        tuple(figures_row(f"s{i}", cold, idle, None) for i, (cold, idle) in enumerate(values)),
        "<trace>",
        100,
    )

    def point(row: SweepRow) -> tuple[float, float]:
        return (row.cold_starts, result.idle(row))

    def beats(a: SweepRow, b: SweepRow) -> bool:
        return point(a) <= point(b) and point(a)[1] <= point(b)[1] and point(a) != point(b)

    frontier = result.frontier
    assert frontier
    for row in result.rows:
        on = row in frontier
        assert on == (not any(beats(other, row) for other in result.rows))
        if not on:
            assert any(beats(best, row) for best in frontier)
    assert [point(row) for row in frontier] == sorted(point(row) for row in frontier)


def test_the_best_setting_is_the_least_keep_alive_cost_first_of_equals() -> None:
    """``best``: the least keep-alive cost (idle plus cold starts), the first in the settings'
    order among equals; none without prices. ``total_cost`` adds training (D45)."""
    result = SweepResult(
        (
            figures_row("a", 50, 3600, 1.0),  # 1 + 5
            figures_row("b", 40, 7200, 1.0),  # 2 + 4
            figures_row("c", 10, 18000, 1.0),  # 5 + 1
            figures_row("d", 45, 3600, 1.0),  # 1 + 4.5
        ),
        "<trace>",
        100,
    )
    best = result.best
    assert best is not None and best.label == "d"
    assert result.row("b").keep_alive_cost == result.row("c").keep_alive_cost == 6.0
    assert result.row("c").total_cost == 16.0
    assert result.idle(result.row("a")) == 1.0
    tie = SweepResult((figures_row("b", 40, 7200, 1.0), figures_row("c", 10, 18000, 1.0)), "", 1)
    assert tie.best is not None and tie.best.label == "b"
    unpriced = SweepResult((figures_row("a", 50, 7200, None),), "<trace>", 100)
    assert unpriced.best is None and not unpriced.priced
    assert unpriced.idle(unpriced.rows[0]) == 2.0  # instance-hours
    assert unpriced.rows[0].total_cost is None
    with pytest.raises(KeyError):
        result.row("z")


def test_to_dict_holds_every_settings_figures_and_report(trace_path: Path) -> None:
    """Without prices: no costs, no optimum, no best."""
    result = sweep(trace_path, [0, 1800], workers=1)
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["trace"] == str(trace_path) and data["jobs"] == 60
    first = data["settings"][0]
    assert first["label"] == "0 s" and first["keep_alive"] == 0
    assert first["report"] == result.rows[0].report.to_dict()
    assert first["cold_starts"] == first["report"]["cold_starts"] == 60
    assert first["idle_cost"] is None and first["regret"] is None
    assert data["frontier"] == ["1800 s", "0 s"]
    assert data["best"] is None and data["optimum"] is None


def test_with_prices_every_row_has_its_regret_against_the_hindsight_optimum(
    trace_path: Path,
) -> None:
    """With prices the sweep computes the trace's hindsight optimum under the same cost model
    and settings, once, and each row's report is ``with_optimum(report, optimum)``: its
    keep-alive cost over the optimum's, never below 1 (D45)."""
    options: dict[str, Any] = {
        "prices": PRICES,
        "cold_start_value": 0.5,
        "quotas": {G5: Quota(warm_pool=4)},
    }
    settings_: list[int | str] = [0, 900, "break-even", "histogram:90,min_samples=3"]
    result = sweep(trace_path, settings_, workers=1, **options)
    best = optimum(load_trace(trace_path), **options)
    assert result.optimum == best
    assert dicts(result) == sequential(load_trace(trace_path), settings_, **options)
    for row in result.rows:
        assert row.regret is not None and row.regret >= 1
        assert row.regret == pytest.approx((row.keep_alive_cost or 0) / best.cost)
        assert row.cold_start_cost == 0.5 * (row.cold_starts + row.report.training_quota_refusals)
    data = result.to_dict()
    assert data["optimum"] == best.to_dict()
    assert data["best"] == min(result.rows, key=lambda row: row.keep_alive_cost or 0).label


def test_an_unbounded_regret_is_null_in_json(trace_path: Path) -> None:
    """With cold starts worth nothing the optimum keeps no pool and costs nothing: a setting
    that keeps pools has an infinite regret, ``null`` in JSON, as in a report's (D44)."""
    result = sweep(trace_path, [0, 900], workers=1, prices=PRICES)
    assert result.optimum is not None and result.optimum.cost == 0
    assert [row.regret for row in result.rows] == [1.0, math.inf]
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [setting["regret"] for setting in data["settings"]] == [1.0, None]
    assert data["settings"][1]["report"]["regret"] is None


def test_a_sweep_of_policies_in_processes_equals_their_sequential_replays(
    trace_path: Path,
) -> None:
    """Policy settings: each worker makes a new policy from its text for its replay (a policy
    learns as it goes, so it is never shared); the rows are the sequential replays' (D45)."""
    policies = ["break-even", "randomized:7", "histogram", "fixed:900"]
    result = sweep(trace_path, policies, workers=2, prices=PRICES, cold_start_value=0.2)
    assert [row.label for row in result.rows] == [
        "break-even",
        "randomized:seed=7",
        "histogram:99",
        "fixed:900",
    ]
    assert [row.report.policy for row in result.rows] == [row.label for row in result.rows]
    expected = sequential(load_trace(trace_path), policies, prices=PRICES, cold_start_value=0.2)
    assert dicts(result) == expected


def test_a_policy_that_needs_prices_fails_the_sweep_with_its_policy_error(
    trace_path: Path,
) -> None:
    """``break-even`` without prices: the worker's ``PolicyError`` reaches the caller."""
    with pytest.raises(PolicyError, match="needs the price"):
        sweep(trace_path, [0, "break-even"], workers=2)


# -- the plot ----------------------------------------------------------------------------------


def test_the_plot_marks_the_frontier_and_the_best_and_draws_the_same_bytes(
    tmp_path: Path, trace_path: Path
) -> None:
    """One point per setting, labelled; the frontier line; the best setting and the hindsight
    optimum marked (with prices). The same result draws the same SVG, byte for byte; PNG
    too."""
    require("matplotlib")
    result = sweep(trace_path, KEEP_ALIVES, workers=1, prices=PRICES)
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    assert render_sweep(result, first) == first
    result.render(second)
    svg = first.read_text()
    assert first.read_bytes() == second.read_bytes()
    for gid in ("sweep-frontier", "sweep-settings", "sweep-best", "sweep-optimum"):
        assert f'id="{gid}"' in svg
    assert "<dc:date>" not in svg
    png = tmp_path / "a.png"
    render_sweep(result, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    unpriced = sweep(trace_path, [0, 900], workers=1)
    render_sweep(unpriced, first)
    assert 'id="sweep-best"' not in first.read_text()
    assert 'id="sweep-optimum"' not in first.read_text()


def test_a_plot_file_must_be_png_or_svg() -> None:
    with pytest.raises(ValueError, match=r"must end in \.png or \.svg \(got '\.html'\)"):
        check_plot_path("sweep.html")
    assert check_plot_path("SWEEP.SVG") == "svg"


# -- the command ---------------------------------------------------------------------------------


run = run_cli


def test_warmpool_sweep_json_is_the_results_to_dict(trace_path: Path) -> None:
    """``--json`` prints ``SweepResult.to_dict()`` of the same sweep; ``--keep-alive`` lists
    are comma-separated and repeatable, ``own`` is each row's own."""
    status, out, err = run(
        "sweep",
        str(trace_path),
        "--keep-alive",
        "0,900",
        "--keep-alive",
        "own",
        "--price",
        f"{M5}=0.23",
        "--price",
        f"{G5}=1.41",
        "--quota",
        f"{M5}=2",
        "--workers",
        "2",
        "--json",
    )
    assert (status, err) == (0, "")
    expected = sweep(
        trace_path,
        [0, 900, None],
        workers=1,
        prices=PRICES,
        quotas={M5: Quota(training=None, warm_pool=2)},
    )
    assert json.loads(out) == expected.to_dict()


def test_warmpool_sweep_prints_a_table_of_every_setting_in_order(trace_path: Path) -> None:
    status, out, err = run(
        "sweep",
        str(trace_path),
        "--keep-alive",
        "1800,0,300",
        "--price",
        f"{M5}=0.23",
        "--workers",
        "1",
    )
    assert (status, err) == (0, "")
    result = sweep(trace_path, [1800, 0, 300], workers=1, prices={M5: 0.23})
    assert out == format_sweep(result)
    lines = out.splitlines()
    assert lines[0] == (
        f"Swept 3 settings over 60 training jobs of {trace_path}, one after the other in this "
        "process."
    )
    assert lines[2].split()[:3] == ["setting", "warm", "cold"]
    assert [line.split()[0] for line in lines[3:6]] == ["1800", "0", "300"]
    assert lines[4].endswith("frontier, least keep-alive cost")
    assert "No --price for (left out of the costs): ml.g5.xlarge" in out
    for column in ("idle $", "cold-start $", "keep-alive $", "total $", "regret"):
        assert column in lines[2]
    assert "hindsight optimum: $0.00 keep-alive cost" in out  # cold starts cost nothing
    assert lines[3].split()[-2:] == ["unbounded", "frontier"]  # 1800 s: any idle is a loss


def test_warmpool_sweep_policies_and_the_cold_start_value(trace_path: Path) -> None:
    """``--policy`` lists policy texts, parameters and all (a part that names no policy
    belongs to the one before); ``--cold-start-value`` prices cold starts; the JSON is the
    sweep's with the same options."""
    status, out, err = run(
        "sweep",
        str(trace_path),
        "--policy",
        "histogram:90,min_samples=3,fallback=fixed:600,break-even",
        "--policy",
        "randomized:3",
        "--keep-alive",
        "900",
        "--price",
        f"{M5}=0.23",
        "--price",
        f"{G5}=1.41",
        "--cold-start-value",
        "0.4",
        "--json",
    )
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert [setting["keep_alive"] for setting in data["settings"]] == [
        900,
        "histogram:90,min_samples=3,fallback=fixed:600",
        "break-even",
        "randomized:3",
    ]
    expected = sweep(
        trace_path,
        [900, "histogram:90,min_samples=3,fallback=fixed:600", "break-even", "randomized:3"],
        workers=1,
        prices=PRICES,
        cold_start_value=0.4,
    )
    assert data == expected.to_dict()
    assert data["optimum"]["cold_start_value"] == 0.4


def test_warmpool_sweep_a_policy_without_its_prices_exits_2(trace_path: Path) -> None:
    """A policy that needs a price it was not given stops the sweep: status 2, naming it."""
    status, out, err = run("sweep", str(trace_path), "--policy", "break-even", "--workers", "2")
    assert (status, out) == (2, "")
    assert err.startswith("warmpool sweep: policy 'break-even' needs the price of ml.")


def test_warmpool_sweep_shows_progress_on_a_terminal_only(trace_path: Path) -> None:
    terminal = Terminal()
    status, _, _ = run(
        "sweep", str(trace_path), "--keep-alive", "0,60", "--workers", "1", stderr=terminal
    )
    assert status == 0
    assert terminal.getvalue().startswith("\rsweeping 0/2\rsweeping 1/2\rsweeping 2/2\r")
    status, _, err = run("sweep", str(trace_path), "--keep-alive", "0,60", "--workers", "1")
    assert (status, err) == (0, "")


def test_warmpool_sweep_plot_writes_the_file(tmp_path: Path, trace_path: Path) -> None:
    require("matplotlib")
    plot = tmp_path / "sweep.svg"
    status, _, err = run(
        "sweep", str(trace_path), "--keep-alive", "0,900", "--workers", "1", "--plot", str(plot)
    )
    assert (status, err) == (0, "")
    assert 'id="sweep-frontier"' in plot.read_text()


def test_a_plot_to_a_missing_directory_exits_2_before_the_sweep(
    tmp_path: Path, trace_path: Path
) -> None:
    """A --plot file that cannot be written is a bad argument, refused before the replays,
    not found out after them (when the whole sweep's table is lost with it)."""
    require("matplotlib")
    (tmp_path / "taken.svg").mkdir()
    for target in (tmp_path / "no" / "such" / "sweep.svg", tmp_path / "taken.svg"):
        status, out, err = run(
            "sweep", str(trace_path), "--keep-alive", "0", "--workers", "1", "--plot",
            str(target),
        )  # fmt: skip
        assert (status, out) == (2, "")
        assert err.startswith(f"warmpool sweep: argument --plot: cannot write {str(target)!r}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give the settings to compare: --keep-alive N,N,... and/or --policy"),
        (["--keep-alive", "0,x"], "expected a whole number of seconds, not 'x'"),
        (["--keep-alive", "-5"], "must be >= 0, not -5"),
        (["--keep-alive", "60,60"], "setting '60 s' is given twice"),
        (["--keep-alive", "7200"], "setting '7200 s': KeepAlivePeriodInSeconds must be at most"),
        (["--keep-alive", "60", "--workers", "0"], "--workers: must be >= 1, not 0"),
        (["--keep-alive", "60", "--plot", "x.html"], "the file name must end in .png or .svg"),
        (["--policy", "lru"], "--policy: unknown policy 'lru': expected one of fixed:SECONDS"),
        (["--policy", "break-even:3"], "break-even takes no parameters"),
        (["--keep-alive", "60", "--cold-start-value", "-1"], "must be a finite number >= 0"),
        (
            ["--keep-alive", "60", "--workers", "2", "--scheduler", "tcp://x:8786"],
            "not allowed with argument",
        ),
    ],
)
def test_warmpool_sweep_bad_arguments_exit_2_naming_the_flag(
    trace_path: Path, argv: list[str], message: str
) -> None:
    status, out, err = run("sweep", str(trace_path), *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_warmpool_sweep_a_trace_it_cannot_read_exits_1(tmp_path: Path) -> None:
    status, out, err = run("sweep", str(tmp_path / "missing.csv"), "--keep-alive", "60")
    assert (status, out) == (1, "")
    assert err.startswith("warmpool sweep: ") and "missing.csv" in err
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wt") as stream:
        stream.write("submit_time,instance_type,training_seconds\n0,ml.nope.xlarge,60\n")
    status, out, err = run("sweep", str(bad), "--keep-alive", "60", "--workers", "2")
    assert (status, out) == (1, "")
    assert "line 2, column 'instance_type': CreateTrainingJob refused this row" in err


def test_warmpool_sweep_reports_the_rows_a_loader_left_out(tmp_path: Path) -> None:
    log = factories.helios_log_with_a_cpu_only_row(tmp_path)
    status, out, err = run(
        "sweep", str(log), "--layout", "helios", "--keep-alive", "0,1800", "--workers", "2"
    )
    assert status == 0
    assert err == f"warmpool sweep: rows of {log} left out: 1 cpu only\n"
    assert "over 2 training jobs" in out


# -- the benchmark ---------------------------------------------------------------------------------


def test_the_sweep_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/sweep.py``: 1 then 2 workers, the same rows both ways, medians and the
    speed-up (no timing is asserted: the machine is shared)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        benchmark = importlib.import_module("sweep")
    finally:
        sys.path.remove(str(BENCHMARKS))
    main = cast(Callable[[list[str]], int], benchmark.main)
    assert main(["300", "--rounds", "1", "--settings", "0,900"]) == 0
    out = capsys.readouterr().out
    fields = dict(line.split(": ", 1) for line in out.splitlines())
    for name in ("jobs", "settings", "workers_1_seconds", "workers_2_seconds", "speed_up"):
        assert name in fields
    assert fields["jobs"] == "300" and fields["same_rows"] == "True"


def test_warmpool_sweep_ctrl_c_exits_130(trace_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during the replays: one line, status 130, no table (and no traceback)."""

    def interrupted(*args: Any, **kwargs: Any) -> SweepResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_command, "sweep", interrupted)
    assert run("sweep", str(trace_path), "--keep-alive", "60") == (
        130,
        "",
        "warmpool sweep: interrupted\n",
    )
