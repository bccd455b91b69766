"""Tests of the benchmarks: ``replay.py`` runs, prints its fields and is deterministic;
``baseline.py`` (the plain-loop baseline) gets exactly the emulator's results; ``compare.py``
runs both in turn and reports the ratios; ``api_costs.py`` prints every measure at every size;
``snapshot.py`` prints the time of each step of a snapshot and its restore.

No timing is asserted: the machine is shared and timings are noisy.
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator
from warmpool.events import JobCreated, PoolTerminated, QuotaRefused

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

FIELDS = (
    "machine",
    "jobs",
    "identities",
    "seed",
    "describe",
    "retire",
    "wall_seconds",
    "cpu_seconds",
    "jobs_per_second",
    "reused",
    "reuse_ratio",
    "warm_starts",
    "cold_starts",
    "failed",
    "end_seconds",
    "simulated_days",
    "peak_rss_growth_kib",
    "peak_rss_growth_per_job",
    "peak_rss_kib",
)
#: Fields that replay.py prints and baseline.py does not.
REPLAY_ONLY = ("describe", "retire", "peak_rss_kib")
MEMORY_FIELDS = ("tracemalloc_peak_per_job", "tracemalloc_retained_per_job")

Main = Callable[[Sequence[str]], int]


def load(name: str) -> ModuleType:
    """The benchmark script ``benchmarks/<name>.py`` as a module (the scripts import each other
    by plain name, as they do when run from the command line)."""
    folder = str(BENCHMARKS)
    sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(folder)


@pytest.fixture(scope="module")
def replay_module() -> ModuleType:
    return load("replay")


@pytest.fixture(scope="module")
def baseline_module() -> ModuleType:
    return load("baseline")


@pytest.fixture(scope="module")
def replay_main(replay_module: ModuleType) -> Main:
    return cast(Main, replay_module.main)


def run(main: Main, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    fields: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition(": ")
        assert sep, f"not a 'key: value' line: {line!r}"
        fields[key] = value
    return fields


def test_prints_every_field(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    fields = run(replay_main, capsys, "200")
    assert set(FIELDS) <= fields.keys()
    assert not set(MEMORY_FIELDS) & fields.keys()
    assert fields["jobs"] == "200"
    assert fields["identities"] == "300"
    assert fields["describe"] == "no"
    assert fields["retire"] == "no"
    assert fields["machine"].startswith("Python ")
    assert float(fields["wall_seconds"]) > 0
    assert float(fields["jobs_per_second"]) > 0
    reused = int(fields["reused"])
    assert 0 <= reused <= 200
    assert float(fields["reuse_ratio"]) == pytest.approx(reused / 200, abs=1e-4)
    assert int(fields["peak_rss_growth_kib"]) >= 0
    assert fields["peak_rss_growth_per_job"].endswith(" bytes")
    assert int(fields["peak_rss_kib"]) > 0


def test_describe_and_memory(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    fields = run(replay_main, capsys, "200", "--describe", "--memory")
    assert set(FIELDS) | set(MEMORY_FIELDS) <= fields.keys()
    assert fields["describe"] == "yes"
    for field in MEMORY_FIELDS:
        value, unit = fields[field].split()
        assert unit == "bytes"
        assert float(value) > 0


def test_same_seed_same_reuse(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    # Enough jobs per identity that most of them reuse a warm pool.
    first = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7")
    second = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7")
    keys = ("reused", "failed", "simulated_days")
    assert {k: first[k] for k in keys} == {k: second[k] for k in keys}
    assert int(first["reused"]) > 300
    other = run(replay_main, capsys, "600", "--identities", "20", "--seed", "8")
    assert (other["reused"], other["failed"]) != (first["reused"], first["failed"])


def test_describe_does_not_change_the_replay(
    replay_main: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = run(replay_main, capsys, "300", "--identities", "30")
    described = run(replay_main, capsys, "300", "--identities", "30", "--describe")
    assert plain["reused"] == described["reused"]
    assert plain["simulated_days"] == described["simulated_days"]


def test_retire_replays_the_same_trace_with_finished_jobs_retired(
    replay_module: ModuleType, replay_main: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--retire`` (``retain_finished=False`` and a bounded event log, D37) replays the same
    trace to the same results, read from the log's tail; at the end the emulator holds no job
    and its log no more than a few events. ``--memory`` and ``--describe`` work with it."""
    plain = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7")
    retired = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7", "--retire")
    assert retired["retire"] == "yes"
    keys = ("reused", "warm_starts", "cold_starts", "failed", "end_seconds")
    assert {k: retired[k] for k in keys} == {k: plain[k] for k in keys}
    assert int(retired["reused"]) > 300
    held: list[tuple[list[str], int]] = []

    def keep(emu: WarmPoolEmulator) -> None:
        held.append((emu.job_names(), len(emu.events)))

    result = replay_module.replay(300, identities=30, retire=True, on_done=keep)
    assert result.reused == result.warm > 0
    assert held == [([], replay_module.RETIRE_EVENT_LOG)]
    fields = run(replay_main, capsys, "200", "--retire", "--memory", "--describe")
    assert set(FIELDS) | set(MEMORY_FIELDS) <= fields.keys()
    assert (fields["retire"], fields["describe"]) == ("yes", "yes")


def test_rejects_bad_arguments(replay_main: Main) -> None:
    with pytest.raises(SystemExit):
        replay_main(["0"])


def test_aws_overhead_runs_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/aws_overhead.py``: each path does the same work (every job after the first
    takes over its predecessor's pool) and prints a rate for each operation."""
    from tests.conftest import require

    require("boto3")
    fields = run(cast(Main, load("aws_overhead").main), capsys, "30")
    assert fields["jobs"] == "30"
    for route in ("direct", "attached", "server"):
        assert fields[f"{route}_reused"] == "29"
        for operation in ("create", "describe", "list"):
            assert float(fields[f"{route}_{operation}_us"]) > 0
            assert float(fields[f"{route}_{operation}_per_second"]) > 0


# -- the plain-loop baseline ------------------------------------------------------------------

RESULTS = ("jobs", "reused", "warm", "failed", "end_time")


@pytest.mark.parametrize(
    ("n", "identities", "seed", "warm_pool_quota", "what"),
    [
        (2000, 300, 0, 100_000, "the benchmark's own trace"),
        (2000, 300, 3, 100_000, "another seed"),
        (3000, 20, 7, 100_000, "long chains"),
        (1500, 30, 2, 4, "WarmPoolQuota"),
    ],
)
def test_baseline_gets_the_emulators_results(
    replay_module: ModuleType,
    baseline_module: ModuleType,
    n: int,
    identities: int,
    seed: int,
    warm_pool_quota: int,
    what: str,
) -> None:
    """The plain-loop baseline replays a trace to exactly the emulator's results: the same
    reuse count, warm and cold starts, failures and final time, and the same jobs start warm
    (§3 identity key, §4 event order, §5 which endings keep a cluster, §6 reuse and expiry,
    §7 warm pool quota). Each case drives the rule its ``what`` names, which the emulator's
    event log must show, or the case would prove nothing."""
    events: list[Any] = []

    def keep_log(emu: WarmPoolEmulator) -> None:
        events.extend(emu.events)

    emulated = replay_module.replay(
        n, identities=identities, seed=seed, warm_pool_quota=warm_pool_quota, on_done=keep_log
    )
    planned = baseline_module.baseline(
        n, identities=identities, seed=seed, warm_pool_quota=warm_pool_quota
    )
    assert {k: getattr(planned, k) for k in RESULTS} == {k: getattr(emulated, k) for k in RESULTS}
    assert emulated.reused == emulated.warm
    assert 0 < emulated.warm < n

    reasons = Counter(e.reason for e in events if isinstance(e, PoolTerminated))
    assert reasons["Expired"] > 0
    assert reasons["Unhealthy"] > 0  # InternalServerError: the cluster is not kept
    if what == "WarmPoolQuota":
        assert reasons[what] > 0
    else:
        assert not any(isinstance(e, QuotaRefused) for e in events)

    # Job by job: the same jobs start warm.
    warm_jobs: list[str] = []
    pools = baseline_module.PlainPools(dict.fromkeys(replay_module.INSTANCE_TYPES, warm_pool_quota))

    def create(request: dict[str, Any], plan: JobPlan) -> bool:
        warm = bool(pools.create(request, plan))
        if warm:
            warm_jobs.append(request["TrainingJobName"])
        return warm

    replay_module.drive(replay_module.make_trace(identities, seed), n, pools.run_until, create)
    assert warm_jobs == [e.job for e in events if isinstance(e, JobCreated) and e.cluster]


def test_baseline_prints_every_field(
    baseline_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """``baseline.py`` prints the fields of ``replay.py`` but ``describe`` and
    ``tracemalloc``'s, and refuses bad arguments."""
    fields = run(cast(Main, baseline_module.main), capsys, "300", "--identities", "30")
    assert set(fields) == set(FIELDS) - set(REPLAY_ONLY)
    assert fields["jobs"] == "300"
    assert int(fields["warm_starts"]) + int(fields["cold_starts"]) == 300
    assert fields["reused"] == fields["warm_starts"]
    with pytest.raises(SystemExit):
        baseline_module.main(["0"])


# Scenarios for the property test: identities that differ in one key field each (instance
# count; VPC, whose security groups come in any order; network isolation; instance type), on a
# 10-second grid so that events often fall on one instant.
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
SMALL_TIMING = Timing(cold_start_seconds=20, warm_start_seconds=10)
SMALL_LIMITS = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=120)
IDENTITIES: tuple[dict[str, Any], ...] = (
    {"type": "ml.m5.xlarge", "count": 1},
    {"type": "ml.m5.xlarge", "count": 2},
    {"type": "ml.m5.xlarge", "count": 2, "vpc": True},
    {"type": "ml.m5.xlarge", "count": 1, "isolated": True},
    {"type": "ml.c5.xlarge", "count": 1},
)
FAILURES = (None, None, "AlgorithmError", "ClientError", "InternalServerError", "CapacityError")


def scenario_request(
    name: str, identity: dict[str, Any], keep_alive: int, max_runtime: int, groups_reversed: bool
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {
            "InstanceType": identity["type"],
            "InstanceCount": identity["count"],
            "VolumeSizeInGB": 30,
            "KeepAlivePeriodInSeconds": keep_alive,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }
    if identity.get("vpc"):
        groups = ["sg-0a", "sg-0b"]
        request["VpcConfig"] = {
            "SecurityGroupIds": groups[::-1] if groups_reversed else groups,
            "Subnets": ["subnet-0a"],
        }
    if identity.get("isolated"):
        request["EnableNetworkIsolation"] = True
    return request


step = st.tuples(
    st.integers(0, 6).map(lambda k: 10 * k),  # gap since the previous create
    st.integers(0, len(IDENTITIES) - 1),
    st.sampled_from((0, 10, 20, 40, 60)),  # keep-alive
    # Training seconds. Not 0: the emulator schedules a release when training starts, so a
    # release due at the very instant of its own start fires after the other releases of that
    # instant, whatever their creation order; the baseline fires releases in creation order
    # (§4). The replay's jobs train at least 5 minutes.
    st.sampled_from((10, 20, 50, 100)),
    st.sampled_from(FAILURES),
    st.sampled_from((30, 86400)),  # max runtime: 30 stops a 50 or 100 s plan
    st.booleans(),  # security groups reversed
)


@given(
    steps=st.lists(step, min_size=1, max_size=30),
    quota=st.tuples(st.sampled_from((0, 2, 3, 5, 8)), st.integers(0, 2)),
)
# A pool expires at 50, the instant another job is released: the expiry frees the only
# instance of quota first, so the released cluster is kept and the third job starts warm.
@example(
    steps=[
        (0, 0, 20, 10, None, 86400, False),
        (10, 3, 20, 20, None, 86400, False),
        (50, 3, 0, 10, None, 86400, False),
    ],
    quota=(1, 0),
)
def test_baseline_agrees_with_the_emulator_step_by_step(
    baseline_module: ModuleType,
    steps: list[tuple[int, int, int, int, str | None, int, bool]],
    quota: tuple[int, int],
) -> None:
    """Property: on any sequence of creates, the baseline starts the same jobs warm and holds
    the same warm pool instances per type after each create as the emulator, with the rules the
    replay uses: identity key with a VPC in any order (§3), events at one instant (§4), plan
    end, max runtime and failure classes (§5), reuse of the pool Available longest and expiry
    at min(release + keep-alive, launch + cap) (§6), the warm pool quota (§7)."""
    quotas = {"ml.m5.xlarge": quota[0], "ml.c5.xlarge": quota[1]}
    plans: dict[str, JobPlan] = {}
    emu = WarmPoolEmulator(
        limits=SMALL_LIMITS,
        timing=SMALL_TIMING,
        quotas={t: Quota(warm_pool=q) for t, q in quotas.items()},
        workload=lambda request: plans.pop(request["TrainingJobName"]),
    )
    pools = baseline_module.PlainPools(
        quotas,
        cold_start=SMALL_TIMING.cold_start_seconds,
        warm_start=SMALL_TIMING.warm_start_seconds,
        lifetime_cap=SMALL_LIMITS.max_pool_lifetime_seconds,
    )
    now = 0
    for number, (gap, which, keep_alive, seconds, failure, max_runtime, flip) in enumerate(steps):
        now += gap
        name = f"job-{number}"
        request = scenario_request(name, IDENTITIES[which], keep_alive, max_runtime, flip)
        plan = JobPlan(seconds, failure)
        emu.run_until(now)
        pools.run_until(now)
        logged = len(emu.events)
        plans[name] = plan
        emu.create_training_job(**request)
        created = emu.events[logged]
        assert isinstance(created, JobCreated)
        assert pools.create(request, plan) == (created.cluster is not None), name
        for instance_type in quotas:
            assert pools.retained(instance_type) == emu.quotas.retained(instance_type), name
    end = now + 1000  # past every release and expiry
    emu.run_until(end)
    pools.run_until(end)
    assert pools.now == emu.now
    assert pools.reused == sum(1 for e in emu.events if isinstance(e, JobCreated) and e.cluster)
    assert all(pools.retained(t) == 0 for t in quotas)


# -- compare.py ---------------------------------------------------------------------------------


def test_compare_runs_both_in_turn(capsys: pytest.CaptureFixture[str]) -> None:
    """``compare.py`` runs the emulator and the baseline in turn, each in its own process,
    alternating which goes first, checks they agree and reports each pair's ratio and the
    medians."""
    fields = run(cast(Main, load("compare").main), capsys, "200", "--rounds", "2")
    assert fields["jobs"] == "200"
    assert fields["rounds"] == "2"
    assert fields["pair_1"].endswith("(emulator first)")
    assert fields["pair_2"].endswith("(baseline first)")
    assert fields["results"].startswith("reused ")
    assert fields["results"].endswith("(the same in every run)")
    ratios = [float(fields[f"pair_{k}"].split("ratio ")[1].split(";")[0]) for k in (1, 2)]
    assert float(fields["median_ratio"]) == pytest.approx(sum(ratios) / 2, abs=0.011)
    for key in ("emulator_median_seconds", "baseline_median_seconds", "ratio_of_medians"):
        assert float(fields[key]) > 0
    assert float(fields["median_cpu_ratio"]) > 0


def test_compare_stops_when_the_runs_disagree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A baseline that does not get the emulator's results is not timed against it."""
    compare = load("compare")
    runs = iter(
        [
            compare.Run(1.0, 1.0, 100.0, ("9", "9", "1", "0", "5.000")),
            compare.Run(0.5, 0.5, 10.0, ("8", "8", "2", "0", "5.000")),
        ]
    )
    monkeypatch.setattr(compare, "run_once", lambda *_: next(runs))
    assert compare.main(["10", "--rounds", "1"]) == 1
    out = capsys.readouterr().out
    assert "mismatch: baseline.py in round 1 reported reused 8" in out


# -- api_costs.py -------------------------------------------------------------------------------

API_COST_SIZES = (200, 400)


def api_cost_fields(out: str) -> tuple[dict[str, str], list[list[str]]]:
    """The ``key: value`` lines of ``api_costs.py``'s output, and the rows of the two tables
    after them (wall time, then CPU time)."""
    head, *tails = out.split("\n\nScaling, ")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(": ")
        assert sep, f"not a 'key: value' line: {line!r}"
        assert key not in fields, f"{key} printed twice"
        fields[key] = value
    assert [tail.split(" (")[0] for tail in tails] == [
        "wall time, time.perf_counter",
        "CPU time of the process, time.process_time",
    ]
    return fields, [[row for row in tail.splitlines() if row.startswith("|")] for tail in tails]


def timings(value: str) -> tuple[float, float]:
    """``"4.12 (cpu 4.10)"``: (wall, cpu)."""
    wall, cpu = value.removesuffix(")").split(" (cpu ")
    return float(wall), float(cpu)


def test_api_costs_prints_every_measure_at_every_size(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``benchmarks/api_costs.py`` builds an emulator of each size in a mix of states, prints
    every measure at every size by both clocks, walks every job by ``NextToken`` in each sort
    order (D20, D36: every page but the last is full), and ends with a table of each measure's
    ratio to the smallest size for each clock."""
    api_costs = load("api_costs")
    argv = ["--sizes", ",".join(map(str, API_COST_SIZES)), "--repeat", "1"]
    assert api_costs.main(argv) == 0
    fields, tables = api_cost_fields(capsys.readouterr().out)
    assert fields["machine"].startswith("Python ")
    assert fields["sizes"] == "200,400"
    assert fields["repeat"] == "1"
    assert fields["warmpool"].endswith("warmpool")
    measures = (*api_costs.MEASURES, *api_costs.PER_JOB)
    assert "describe_random_us" in measures
    assert "walk_CreationTime_us_per_job" in measures
    for n in API_COST_SIZES:
        for key in measures:
            assert min(timings(fields[f"{key}@{n}"])) > 0, key
        states = dict(part.rsplit(" ", 1) for part in fields[f"states@{n}"].split(", "))
        assert sum(map(int, states.values())) == n
        assert {"Completed", "InProgress", "Stopped"} <= states.keys()
        assert int(fields[f"events@{n}"]) > n
        pages = -(-n // 100)
        for sort in ("Name", "CreationTime", "Status"):
            assert fields[f"walk_{sort}_returned@{n}"] == f"{n} jobs in {pages} pages"
        completed = int(states["Completed"])
        assert fields[f"walk_completed_returned@{n}"] == (
            f"{completed} jobs in {max(1, -(-completed // 100))} pages"
        )
        contains = int(fields[f"walk_name_contains_returned@{n}"].split()[0])
        assert 0 < contains < n
        assert fields[f"cut_short@{n}"] == "none"
        assert fields[f"unavailable@{n}"] == "none"
        assert 0 < float(fields[f"cpu_share@{n}"]) <= 1.1
    for clock, table in enumerate(tables):
        assert table[0] == "| measure | 200 | 400 | 400 / 200 |"
        assert table[2] == "| jobs | 200 | 400 | 2.0 |"
        rows = {row.split(" | ")[0].removeprefix("| "): row for row in table[3:]}
        assert set(rows) == set(measures)
        for key, row in rows.items():
            cells = row.strip("| ").split(" | ")[1:]
            assert [float(cell) for cell in cells[:2]] == [
                timings(fields[f"{key}@{n}"])[clock] for n in API_COST_SIZES
            ]
            assert float(cells[2]) >= 0


def test_api_costs_says_what_an_emulator_lacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On an emulator without a method a measure calls (an older version), that measure prints
    ``n/a`` and the others still run."""
    from warmpool.events import EventLog

    monkeypatch.delattr(EventLog, "for_job")
    assert load("api_costs").main(["--sizes", "200", "--repeat", "1"]) == 0
    fields, tables = api_cost_fields(capsys.readouterr().out)
    assert fields["for_job_first_ms@200"] == "n/a (cpu n/a)"
    assert fields["for_job_us@200"] == "n/a (cpu n/a)"
    assert fields["unavailable@200"].startswith("for_job_first_ms (AttributeError: ")
    assert "for_job_us (AttributeError: " in fields["unavailable@200"]
    assert min(timings(fields["describe_random_us@200"])) > 0
    for table in tables:
        assert "| for_job_us | n/a |" in table


@pytest.mark.parametrize(
    "argv",
    [["--sizes", "abc"], ["--sizes", "50"], ["--sizes", ""], ["--repeat", "0"], ["--budget", "0"]],
)
def test_api_costs_rejects_bad_arguments(argv: list[str]) -> None:
    """Sizes that are not job counts of at least 100, no repeat and no budget are refused."""
    with pytest.raises(SystemExit):
        load("api_costs").main(argv)


# -- the CSV trace replay ---------------------------------------------------------------------


def test_trace_replay_prints_every_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``benchmarks/trace_replay.py``: writes a CSV trace, loads and replays it; the same seed
    gives the same report, and ``--keep`` leaves the file."""
    kept = tmp_path / "trace.csv"
    main = cast(Main, load("trace_replay").main)
    fields = run(main, capsys, "300", "--identities", "20", "--keep", str(kept))
    for name in ("trace_bytes", "load_seconds", "wall_seconds", "cpu_seconds", "peak_rss_mib"):
        assert name in fields
    assert fields["jobs"] == "300"
    assert int(fields["warm_starts"]) + int(fields["cold_starts"]) == 300
    assert int(fields["warm_starts"]) > 200  # most gaps are inside the keep-alive
    assert kept.stat().st_size == int(fields["trace_bytes"])
    again = run(main, capsys, "300", "--identities", "20")
    assert (again["warm_starts"], again["end_seconds"]) == (
        fields["warm_starts"],
        fields["end_seconds"],
    )


# -- the floor --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def floor_module() -> ModuleType:
    return load("floor")


@pytest.mark.parametrize(
    ("n", "identities", "seed", "warm_pool_quota"),
    [(2000, 300, 0, 100_000), (3000, 20, 7, 100_000), (1500, 30, 2, 4)],
)
def test_floor_does_the_emulators_work(
    replay_module: ModuleType,
    floor_module: ModuleType,
    n: int,
    identities: int,
    seed: int,
    warm_pool_quota: int,
) -> None:
    """``floor.py`` is a lower bound on an emulator only if it does the emulator's work: the
    same results, a record of every job, the same number of events of each kind and the same
    billing (training and retained intervals, and their billable seconds, §8)."""
    held: list[WarmPoolEmulator] = []
    floors: list[Any] = []
    emulated = replay_module.replay(
        n,
        identities=identities,
        seed=seed,
        warm_pool_quota=warm_pool_quota,
        on_done=held.append,
    )
    floored = floor_module.floor(
        n, identities=identities, seed=seed, warm_pool_quota=warm_pool_quota, on_done=floors.append
    )
    assert {k: getattr(floored, k) for k in RESULTS} == {k: getattr(emulated, k) for k in RESULTS}
    emu, pools = held[0], floors[0]
    assert len(pools._jobs) == len(emu.job_names()) == n
    assert Counter(floor_module.EVENT_NAMES[r[0]] for r in pools._events) == Counter(
        type(event).__name__ for event in emu.events
    )
    assert len(pools._training_rows) == len(emu.billing.training)
    assert sum(row[-1] for row in pools._training_rows) == sum(
        i.billable_seconds for i in emu.billing.training
    )
    assert len(pools._retained_rows) == len(emu.billing.retained)
    assert sum(row[-1] for row in pools._retained_rows) == sum(
        i.billable_seconds for i in emu.billing.retained
    )
    if warm_pool_quota < 100_000:
        assert any(r[0] == floor_module.REFUSED for r in pools._events)


def test_floor_prints_the_baselines_fields(
    floor_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = run(cast(Main, floor_module.main), capsys, "300", "--identities", "30")
    assert set(fields) == set(FIELDS) - set(REPLAY_ONLY)
    assert int(fields["warm_starts"]) + int(fields["cold_starts"]) == 300
    with pytest.raises(SystemExit):
        floor_module.main(["0"])


def test_compare_with_the_floor_runs_all_three_in_turn(capsys: pytest.CaptureFixture[str]) -> None:
    """``compare.py --floor`` adds ``floor.py`` to each round, the three taking turns to go
    first, and reports the floor's ratios."""
    fields = run(cast(Main, load("compare").main), capsys, "200", "--rounds", "3", "--floor")
    assert [fields[f"pair_{k}"].rsplit("(", 1)[1] for k in (1, 2, 3)] == [
        "emulator first)",
        "floor first)",
        "baseline first)",
    ]
    assert fields["floor_3"].startswith("floor ")
    for key in ("floor_median_cpu_ratio", "emulator_to_floor_median_cpu_ratio"):
        assert float(fields[key]) > 0


# -- snapshot and restore ---------------------------------------------------------------------


@pytest.mark.parametrize("state", ["finished", "live"])
def test_snapshot_prints_every_step(state: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/snapshot.py``: an emulator of N jobs (finished, or stopped at the last
    create with jobs in progress), and the median time of each step, by both clocks."""
    module = load("snapshot")
    fields = run(cast(Main, module.main), capsys, "150", "--repeat", "2", "--state", state)
    assert fields["jobs"] == fields["document_jobs"] == "150"
    assert fields["state"] == state
    assert int(fields["document_events"]) > 150
    assert (int(fields["document_pending"]) > 0) == (state == "live")
    assert int(fields["document_bytes"]) > 0
    for step in module.STEPS:
        wall, cpu = fields[f"{step}_seconds"].split(" (cpu ")
        assert float(wall) >= 0
        assert float(cpu.rstrip(")")) >= 0
    assert "restore_over_snapshot" in fields


def test_snapshot_rejects_bad_arguments() -> None:
    main = cast(Main, load("snapshot").main)
    for argv in (["0"], ["10", "--repeat", "0"], ["10", "--state", "asleep"]):
        with pytest.raises(SystemExit):
            main(argv)
