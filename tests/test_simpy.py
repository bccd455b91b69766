"""warmpool.simpy: the emulator inside a SimPy ``Environment`` (docs/simpy.md, behaviour
§13.4, D41).

The bridge keeps the emulator's clock equal to ``env.now`` (§4, D5): job starts, ends and
expiries happen at their SimPy times, and a call made at ``t`` sees every event due at ``t``
already fired. Emulator events become SimPy events (D26). The property at the end drives
traces through SimPy processes and checks the run equals the plain replay of the same trace
(D38): the same events, in the same order, and the same report.
"""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tests.conftest import require
from warmpool import JobPlan, Quota, Timing, VirtualClock, WarmPoolEmulator, identity_key
from warmpool.errors import ControlError, InvalidControlArgument, ResourceLimitExceeded
from warmpool.events import (
    Event,
    JobCreated,
    JobReleased,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    TrainingStarted,
)
from warmpool.sim import Report, TraceJob, load_trace, replay
from warmpool.sim.replay import UNLIMITED, request_for
from warmpool.simpy import SimPyBridge, attach

if TYPE_CHECKING:
    import simpy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "simpy_team.py"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
Process = Generator[Any, Any, None]


def request(
    name: str, keep_alive: int | None = 1800, count: int = 1, volume: int = 50
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "InstanceType": M5,
        "InstanceCount": count,
        "VolumeSizeInGB": volume,
    }
    if keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = keep_alive
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": resource,
    }


def environment(initial_time: float = 0) -> simpy.Environment:
    env: simpy.Environment = require("simpy").Environment(initial_time)
    return env


def new_bridge(
    env: simpy.Environment | None = None, warm_pool: int = 2, seconds: float = 600, **settings: Any
) -> SimPyBridge:
    """A bridge to a new emulator whose jobs train ``seconds``."""
    settings.setdefault("workload", lambda req: JobPlan(training_seconds=seconds))
    return attach(
        environment() if env is None else env,
        quotas={M5: Quota(warm_pool=warm_pool)},
        **settings,
    )


def record(bridge: SimPyBridge) -> list[tuple[float, Event]]:
    """Every emulator event from now on, with the SimPy time at which the bridge saw it."""
    seen: list[tuple[float, Event]] = []
    bridge.emu.events.subscribe(lambda event: seen.append((bridge.env.now, event)))
    return seen


# -- simpy is optional --------------------------------------------------------------------------


def test_importing_warmpool_and_warmpool_simpy_imports_no_simpy() -> None:
    """``import warmpool`` never needs SimPy, and ``warmpool.simpy`` imports it only when a
    bridge is made."""
    code = "import sys, warmpool, warmpool.simpy; print('simpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_a_missing_simpy_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extra: an ImportError telling to ``pip install 'sagemaker-warmpool[simpy]'``."""
    monkeypatch.setitem(sys.modules, "simpy", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"needs SimPy.*'sagemaker-warmpool\[simpy\]'"):
        attach(object())  # type: ignore[arg-type]


# -- one clock ----------------------------------------------------------------------------------


def test_the_emulators_clock_follows_env_now() -> None:
    """§4: a create made by a process at ``env.now`` happens at that time; after
    ``env.run(until=t)`` a sync brings the emulator to ``t``."""
    bridge = new_bridge()
    env = bridge.env

    def submit() -> Process:
        yield env.timeout(250)
        bridge.create_training_job(**request("a"))

    env.process(submit())
    env.run(until=300)
    bridge.sync()
    assert bridge.emu.now == env.now == 300
    assert bridge.describe_training_job(TrainingJobName="a")["CreationTime"] == (
        bridge.emu.clock.to_datetime(250)
    )


def test_starts_ends_and_expiries_happen_at_their_simpy_times() -> None:
    """D5: the bridge wakes at each emulator change, so every emulator event is seen at the
    SimPy time it belongs to, with nobody calling the emulator."""
    bridge = new_bridge()
    seen = record(bridge)
    bridge.create_training_job(**request("a", keep_alive=300))
    bridge.env.run()
    assert [(now, type(e).__name__) for now, e in seen] == [
        (0, "JobCreated"),
        (180, "TrainingStarted"),
        (780, "JobReleased"),
        (780, "PoolKept"),
        (1080, "PoolTerminated"),
    ]
    assert all(now == event.time for now, event in seen)
    assert bridge.env.now == 1080  # env.run() ends when the last pool has expired


def test_an_environment_started_later_brings_a_new_emulator_there() -> None:
    """``env.now`` is seconds since the emulator clock's epoch: a bridge to an environment at
    3600 moves the emulator's clock to 3600."""
    bridge = new_bridge(environment(3600))
    assert bridge.emu.now == 3600
    bridge.create_training_job(**request("a"))
    assert bridge.emu.events[-1] == JobCreated(time=3600, job="a", cluster=None)


def test_an_emulator_ahead_of_env_now_is_refused() -> None:
    """§4: the emulator's clock never moves back, so a bridge to an environment behind it is
    refused, naming both times; nothing changes."""
    emu = WarmPoolEmulator()
    emu.advance(500)
    with pytest.raises(ValueError, match=r"ahead of env\.now \(0\)"):
        SimPyBridge(environment(), emu)
    assert emu.now == 500
    assert not emu.events.subscribed


def test_moving_the_emulator_around_the_bridge_is_refused() -> None:
    """With a bridge, SimPy moves time: a clock moved past ``env.now`` by ``emu.advance`` is a
    ControlError at the next call through the bridge."""
    bridge = new_bridge()
    bridge.emu.advance(100)
    with pytest.raises(ControlError, match="moved around the bridge"):
        bridge.create_training_job(**request("a"))
    assert bridge.emu.job_names() == []


def test_float_times_never_leave_an_event_unfired() -> None:
    """SimPy adds delays in floating point: a wake-up planned at 32.2 for a training start at
    180.1 lands at 180.09999999999997. The bridge still runs the emulator to 180.1, and calls
    at that ``env.now`` are not refused."""
    emu = WarmPoolEmulator(
        clock=VirtualClock(now=0.1),
        timing=Timing(stopping_seconds=32.1),
        workload=lambda req: JobPlan(training_seconds=600),
    )
    emu.create_training_job(**request("a"))  # starts at 0.1 + 180
    emu.create_training_job(**request("b", volume=100))
    emu.stop_training_job(TrainingJobName="b")  # Stopped at 0.1 + 32.1: the first wake-up
    bridge = SimPyBridge(environment(0.1), emu)
    env = bridge.env
    got: list[tuple[float, TrainingStarted, str]] = []

    def wait() -> Process:
        started = yield bridge.training_started("a")
        status = bridge.describe_training_job(TrainingJobName="a")["SecondaryStatus"]
        got.append((env.now, started, status))

    env.process(wait())
    env.run()
    ((now, started, status),) = got
    assert started.time == 0.1 + 180
    assert now < started.time  # the rounding this test is about
    assert status == "Training"
    assert bridge.emu.events.of_type(JobReleased)[-1].time == 0.1 + 180 + 600


# -- calls at env.now ---------------------------------------------------------------------------


def test_a_call_at_t_sees_every_event_due_at_t() -> None:
    """§4, D5: a pool whose keep-alive ends exactly when a process creates a matching job is
    gone for it: the job starts cold."""
    bridge = new_bridge()
    env = bridge.env
    bridge.create_training_job(**request("a", keep_alive=300))  # Available 780 to 1080

    def later() -> Process:
        yield env.timeout(1080)
        bridge.create_training_job(**request("b"))

    env.process(later())
    env.run()
    assert bridge.emu.warm_pool("a").reason == "Expired"  # type: ignore[union-attr]
    assert bridge.emu.events.of_type(JobCreated)[-1] == JobCreated(time=1080, job="b", cluster=None)


def test_a_create_that_schedules_something_earlier_gets_an_earlier_wake() -> None:
    """The bridge plans its next wake-up after every call: a pool expiring at 2580 does not
    delay the start of a job created at 1000 (at 1180)."""
    bridge = new_bridge()
    env = bridge.env
    bridge.create_training_job(**request("a"))  # released at 780, Available until 2580
    started: list[float] = []

    def later() -> Process:
        yield env.timeout(1000)
        bridge.create_training_job(**request("b", volume=100))  # another key: a cold start
        yield bridge.training_started("b")
        started.append(env.now)

    env.process(later())
    env.run()
    assert started == [1180]


def test_a_direct_call_after_a_sync_is_planned_for_too() -> None:
    """A call made on the emulator itself (after ``bridge.sync()``) is seen by the bridge's
    subscription, which plans the wake-up its events need."""
    bridge = new_bridge()
    seen = record(bridge)
    bridge.sync()
    bridge.emu.create_training_job(**request("a", keep_alive=None))
    bridge.env.run()
    assert [(now, type(e).__name__) for now, e in seen] == [
        (0, "JobCreated"),
        (180, "TrainingStarted"),
        (780, "JobReleased"),
    ]


def test_the_bridge_answers_as_the_emulator_does() -> None:
    """The AWS operations and controls through the bridge are the emulator's own, at
    ``env.now``; refusals are the emulator's errors."""
    bridge = new_bridge(workload=lambda req: None)
    env = bridge.env
    env.run(until=200)
    bridge.create_training_job(**request("a"))
    arn = bridge.create_training_job(**request("b", volume=100))["TrainingJobArn"]
    env.run(until=500)
    bridge.complete_training_job("a")
    assert bridge.warm_pool("a").time_left == 1800  # type: ignore[union-attr]
    bridge.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert bridge.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]["Status"] == (
        "Terminated"
    )
    bridge.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "nlp"}])
    assert bridge.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "nlp"}]
    bridge.delete_tags(ResourceArn=arn, TagKeys=["team"])
    bridge.fail_training_job("b", "ClientError", "bad channel")  # a cluster that is kept
    assert bridge.apply_patch_update() == 1
    bridge.delete_training_job(TrainingJobName="a")
    names = [s["TrainingJobName"] for s in bridge.list_training_jobs()["TrainingJobSummaries"]]
    assert names == ["b"]
    bridge.create_training_job(**request("c"))
    bridge.emu.quotas.set(M5, training=1)  # c holds it
    with pytest.raises(ResourceLimitExceeded):
        bridge.create_training_job(**request("d"))
    bridge.stop_training_job(TrainingJobName="c")
    assert bridge.describe_training_job(TrainingJobName="c")["TrainingJobStatus"] == "Stopped"
    assert bridge.emu.now == 500


# -- emulator events as SimPy events ------------------------------------------------------------


def test_job_ended_fires_with_the_release_at_its_time() -> None:
    """D26: ``yield bridge.job_ended(name)`` resumes a process at the release with the
    ``JobReleased`` event."""
    bridge = new_bridge()
    env = bridge.env
    got: list[tuple[float, JobReleased]] = []

    def researcher() -> Process:
        bridge.create_training_job(**request("a"))
        ended = yield bridge.job_ended("a")
        got.append((env.now, ended))

    env.process(researcher())
    env.run()
    assert got == [
        (
            780,
            JobReleased(
                time=780, job="a", status="Completed", secondary_status="Completed", cluster=1
            ),
        )
    ]


def test_waiting_for_what_has_already_happened_is_refused() -> None:
    """``job_ended``, ``training_started`` and ``pool_available`` wait for a change: asking
    for an unknown job, or after the change, is a ControlError that says so."""
    bridge = new_bridge()
    bridge.create_training_job(**request("a"))
    bridge.create_training_job(**request("solo", keep_alive=None, volume=100))
    with pytest.raises(ControlError, match="no training job named 'nobody'"):
        bridge.job_ended("nobody")
    with pytest.raises(ControlError, match="has no warm pool"):
        bridge.pool_available("solo")
    with pytest.raises(InvalidControlArgument, match="must be a str"):
        bridge.job_ended(7)  # type: ignore[arg-type]
    bridge.env.run(until=200)
    with pytest.raises(ControlError, match=r"'a' is Training .*no longer Starting"):
        bridge.training_started("a")
    bridge.env.run(until=1000)
    with pytest.raises(ControlError, match=r"'a' has already ended \(Completed\)"):
        bridge.job_ended("a")
    with pytest.raises(ControlError, match="warm pool of 'a' is already Available"):
        bridge.pool_available("a")


def test_training_started_fails_when_the_job_ends_before_it_starts() -> None:
    """A job stopped while ``Starting`` never trains: the event fails with a ControlError,
    raised in the process that waits for it."""
    bridge = new_bridge()
    env = bridge.env
    caught: list[str] = []

    def waiter() -> Process:
        try:
            yield bridge.training_started("a")
        except ControlError as error:
            caught.append(str(error))

    def stopper() -> Process:
        yield env.timeout(60)
        bridge.stop_training_job(TrainingJobName="a")

    bridge.create_training_job(**request("a"))
    env.process(waiter())
    env.process(stopper())
    env.run()
    assert caught == ["training_started: 'a' ended (Stopped) before its training started"]


def test_pool_available_fires_when_the_cluster_is_kept() -> None:
    """``pool_available(name)`` fires with the job's ``PoolKept`` at its release."""
    bridge = new_bridge()
    env = bridge.env
    got: list[tuple[float, PoolKept]] = []

    def waiter() -> Process:
        bridge.create_training_job(**request("a"))
        kept = yield bridge.pool_available("a")
        got.append((env.now, kept))

    env.process(waiter())
    env.run()
    assert got == [(780, PoolKept(time=780, job="a", cluster=1, expires_at=2580))]


def test_pool_available_fails_with_the_reason_a_cluster_is_not_kept() -> None:
    """D14: a warm pool quota with no room keeps no pool: the event fails naming the reason."""
    bridge = new_bridge(warm_pool=0)
    env = bridge.env
    caught: list[str] = []

    def waiter() -> Process:
        bridge.create_training_job(**request("a"))
        try:
            yield bridge.pool_available("a")
        except ControlError as error:
            caught.append(f"{env.now}: {error}")

    env.process(waiter())
    env.run()
    assert caught == [
        "780: pool_available: the cluster of 'a' was not kept as a warm pool (WarmPoolQuota)"
    ]


def test_pool_available_for_fires_for_the_next_matching_pool_only() -> None:
    """``pool_available_for(request)`` fires with the next pool to become Available whose
    identity key is the request's (D2); a pool of another key, or one already Available,
    does not fire it."""
    bridge = new_bridge(warm_pool=4)
    env = bridge.env
    bridge.create_training_job(**request("early"))  # Available from 780
    got: list[tuple[float, str]] = []

    def waiter() -> Process:
        yield env.timeout(800)
        bridge.create_training_job(**request("other", volume=100))  # another key, kept at 1580
        bridge.create_training_job(**request("same", keep_alive=600, count=2))  # another key
        kept = yield bridge.pool_available_for(request("x"))
        got.append((env.now, kept.job))

    def late_match() -> Process:
        yield env.timeout(2000)
        bridge.create_training_job(**request("match"))  # takes over "early": kept at 2620
        bridge.create_training_job(**request("match-2"))  # a cold start: kept at 2780

    env.process(waiter())
    env.process(late_match())
    env.run()
    assert got == [(2620, "match")]
    assert bridge.emu.identity_key("match") == identity_key(request("x"))


def test_when_fires_with_the_next_event_of_its_kind() -> None:
    """``when(kind, job=None)`` fires with the next emulator event of that class (any job,
    or one job, which may not exist yet); a kind that is not an event class is refused."""
    bridge = new_bridge()
    env = bridge.env
    got: list[tuple[float, str, str]] = []

    def watcher(kind: type[Event], job: str | None) -> Process:
        event = yield bridge.when(kind, job)
        got.append((env.now, type(event).__name__, event.job))

    env.process(watcher(PoolTerminated, None))
    env.process(watcher(Event, "b"))
    bridge.create_training_job(**request("a", keep_alive=60))
    env.run(until=400)
    bridge.create_training_job(**request("b", volume=100))
    env.run()
    assert got == [(400, "JobCreated", "b"), (840, "PoolTerminated", "a")]
    with pytest.raises(InvalidControlArgument, match="kind must be an event class"):
        bridge.when(str)  # type: ignore[arg-type]


def test_a_store_misses_no_event_at_one_instant() -> None:
    """``store(kind)`` collects every later event of that kind, several at one instant
    included, in the emulator's order."""
    bridge = new_bridge(warm_pool=4)
    env = bridge.env
    got: list[tuple[float, str]] = []

    def watcher() -> Process:
        events = bridge.store(PoolKept)
        while True:
            kept = yield events.get()
            got.append((env.now, kept.job))

    env.process(watcher())
    for name in ("a", "b", "c"):
        bridge.create_training_job(**request(name, count=len(name)))
    env.run()
    assert got == [(780, "a"), (780, "b"), (780, "c")]


def test_waiters_at_one_instant_resume_in_the_order_they_asked() -> None:
    """Determinism: SimPy events the same emulator event fires are triggered in the order they
    were asked for, so the processes waiting on them resume in that order."""
    bridge = new_bridge()
    env = bridge.env
    order: list[str] = []

    def waiter(label: str, event: simpy.Event) -> Process:
        yield event
        order.append(label)

    bridge.create_training_job(**request("a"))
    env.process(waiter("a ended", bridge.job_ended("a")))
    env.process(waiter("any release", bridge.when(JobReleased)))
    env.process(waiter("a's release", bridge.when(JobReleased, "a")))
    env.process(waiter("a's pool", bridge.pool_available("a")))  # PoolKept, after the release
    env.run()
    assert order == ["a ended", "any release", "a's release", "a's pool"]


def test_the_same_processes_give_the_same_events() -> None:
    """§11: two runs of the same SimPy model give equal event logs and equal SimPy-side
    observations."""

    def run() -> tuple[list[Event], list[tuple[float, str, bool]]]:
        bridge = new_bridge(warm_pool=1)
        env = bridge.env
        seen: list[tuple[float, str, bool]] = []

        def researcher(who: str, think: float, count: int) -> Process:
            for number in range(3):
                name = f"{who}-{number}"
                bridge.create_training_job(**request(name, count=count))
                started = yield bridge.training_started(name)
                yield bridge.job_ended(name)
                seen.append((env.now, name, started.warm))
                yield env.timeout(think)

        env.process(researcher("alice", 600, 1))
        env.process(researcher("bob", 2400, 1))
        env.process(researcher("carol", 60, 2))
        env.run()
        return list(bridge.emu.events), seen

    first, second = run(), run()
    assert first == second
    assert any(warm for _, _, warm in first[1])


def test_close_unsubscribes_and_plans_no_more() -> None:
    """After ``close()`` the emulator is on its own: the bridge's wake-ups do nothing, its
    methods are refused, and its events never fire."""
    bridge = new_bridge()
    bridge.create_training_job(**request("a"))
    ended = bridge.job_ended("a")
    bridge.close()
    bridge.env.run()
    assert bridge.emu.now == 0
    assert not ended.triggered
    assert not bridge.emu.events.subscribed
    with pytest.raises(ControlError, match="closed"):
        bridge.sync()


def test_attach_takes_an_emulator_or_settings_and_a_simpy_environment() -> None:
    """Bad arguments are refused with an error that names them; nothing is made."""
    env = environment()
    with pytest.raises(TypeError, match="not both"):
        attach(env, WarmPoolEmulator(), quotas={})
    with pytest.raises(TypeError, match=r"env must be a simpy\.Environment"):
        attach(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="emu must be a WarmPoolEmulator"):
        SimPyBridge(env, object())  # type: ignore[arg-type]
    assert isinstance(attach(env).emu, WarmPoolEmulator)


# -- a SimPy-driven run equals the plain replay -------------------------------------------------


def simpy_replay(
    rows: Iterable[TraceJob],
    *,
    keep_alive: int | None = None,
    quotas: dict[str, Quota] | None = None,
    timing: Timing | None = None,
    prices: dict[str, float] | None = None,
) -> tuple[list[Event], WarmPoolEmulator]:
    """What ``replay`` does, as SimPy processes through a bridge: one process a row, which
    creates its job at its submit time and, for a ``Stopped`` row, stops it
    ``training_seconds`` after its training starts. Returns every emulator event and the
    emulator."""
    timing = Timing() if timing is None else timing
    env = environment()
    plans: dict[str, JobPlan | None] = {}
    emu = WarmPoolEmulator(
        timing=timing,
        quotas=quotas,
        default_quota=Quota(training=None, warm_pool=UNLIMITED),  # the replay's default
        workload=lambda req: plans[req["TrainingJobName"]],
        prices=prices,
        event_log_maxlen=0,
        retain_finished=False,
    )
    seen: list[Event] = []
    emu.events.subscribe(seen.append)
    bridge = SimPyBridge(env, emu)

    def submit(number: int, row: TraceJob) -> Process:
        yield env.timeout(row.submit_time)
        yield env.timeout(0)  # the stops due now go first, as in the replay
        name = row.job_name if row.job_name is not None else f"job-{number:06d}"
        stopped = row.outcome == "Stopped"
        failure = None if row.outcome == "Completed" else row.outcome
        plans[name] = None if stopped else JobPlan(row.training_seconds, failure)
        created = bridge.when(JobCreated, name)
        own = row.keep_alive_seconds if keep_alive is None else keep_alive
        try:
            bridge.create_training_job(**request_for(row, name, own))
        except ResourceLimitExceeded:
            return
        if stopped:
            ended = bridge.job_ended(name)
            warm = created.value.cluster is not None  # type: ignore[union-attr]
            start = timing.warm_start_seconds if warm else timing.cold_start_seconds
            yield env.timeout(start + row.training_seconds)
            bridge.sync()  # a release due now (its max runtime) comes first
            if not ended.triggered:
                bridge.stop_training_job(TrainingJobName=name)

    for number, row in enumerate(rows, 1):
        env.process(submit(number, row))
    env.run()
    return seen, emu


def figures(events: list[Event], rows: int) -> dict[str, Any]:
    """The report's figures that its events decide, counted from them."""
    created = [e for e in events if isinstance(e, JobCreated)]
    released = [e.status for e in events if isinstance(e, JobReleased)]
    refused = [e.quota for e in events if isinstance(e, QuotaRefused)]
    return {
        "jobs": rows,
        "warm_starts": sum(e.cluster is not None for e in created),
        "cold_starts": sum(e.cluster is None for e in created),
        "completed": released.count("Completed"),
        "failed": released.count("Failed"),
        "stopped": released.count("Stopped"),
        "training_quota_refusals": refused.count("training"),
        "warm_pool_quota_refusals": refused.count("warm_pool"),
        "end_seconds": events[-1].time if events else 0,
        "pools_kept": sum(isinstance(e, PoolKept) for e in events),
        "pools_reused": sum(isinstance(e, PoolReused) for e in events),
    }


def report_figures(report: Report) -> dict[str, Any]:
    return {
        "jobs": report.jobs,
        "warm_starts": report.warm_starts,
        "cold_starts": report.cold_starts,
        "completed": report.completed,
        "failed": report.failed,
        "stopped": report.stopped,
        "training_quota_refusals": report.training_quota_refusals,
        "warm_pool_quota_refusals": report.warm_pool_quota_refusals,
        "end_seconds": report.end_seconds,
    }


def check_equal_to_the_replay(
    rows: list[TraceJob],
    *,
    keep_alive: int | None = None,
    quotas: dict[str, Quota] | None = None,
    timing: Timing | None = None,
    on_simpy_emulator: Callable[[WarmPoolEmulator], object] = lambda emu: None,
) -> Report:
    prices = {M5: 0.23, G5: 1.4, "ml.p3.2xlarge": 3.825}
    plain: list[Event] = []
    held: list[WarmPoolEmulator] = []

    def watch(emu: WarmPoolEmulator) -> None:
        held.append(emu)
        emu.events.subscribe(plain.append)

    report = replay(
        rows, keep_alive=keep_alive, quotas=quotas, timing=timing, prices=prices, on_emulator=watch
    )
    events, emu = simpy_replay(
        rows, keep_alive=keep_alive, quotas=quotas, timing=timing, prices=prices
    )
    on_simpy_emulator(emu)
    # the same events, in the same order, with the same times and fields
    assert events == plain
    # so the same report: what its events decide ...
    counted = figures(events, len(rows))
    assert {k: counted[k] for k in report_figures(report)} == report_figures(report)
    # ... and the billing (the report's instance-seconds and costs equal the ledger's)
    (plain_emu,) = held
    assert emu.billing.total() == plain_emu.billing.total()
    assert emu.billing.totals_by("instance_type") == plain_emu.billing.totals_by("instance_type")
    assert emu.billing.totals_by("role") == plain_emu.billing.totals_by("role")
    assert report.retained_instance_seconds == emu.billing.total().retained_instance_seconds
    assert report.training_instance_seconds == emu.billing.total().training_instance_seconds
    assert emu.next_event_time() is None
    return report


def test_simpy_run_equals_the_plain_replay(tmp_path: Path) -> None:
    """D38, D41, behaviour §13.4: a trace file (completed, failed, unhealthy and stopped rows,
    a max runtime, quotas that refuse a create and a pool, a stop and a create at one instant)
    driven by SimPy
    processes through a bridge gives the same events and the same report as ``replay`` of
    the same trace."""
    trace_csv = tmp_path / "team.csv"
    trace_csv.write_text(
        "submit_time,job_name,instance_type,instance_count,keep_alive_seconds,"
        "training_seconds,outcome,max_runtime_seconds\n"
        "0,a1,ml.m5.xlarge,1,1800,600,,\n"
        "0,b1,ml.m5.xlarge,2,900,300,AlgorithmError,\n"
        "0,s1,ml.p3.2xlarge,1,600,720,Stopped,\n"
        "60,c1,ml.g5.xlarge,1,600,1200,Stopped,\n"
        "60,c2,ml.g5.xlarge,1,600,1200,Stopped,600\n"
        "900,a2,ml.m5.xlarge,1,1800,600,,\n"
        "900,b2,ml.m5.xlarge,2,900,300,InternalServerError,\n"
        "900,d1,ml.m5.xlarge,3,1800,60,,\n"
        "900,s2,ml.p3.2xlarge,1,600,300,,\n"
        "1460,c3,ml.g5.xlarge,1,600,0,Stopped,\n"
        "1500,a3,ml.m5.xlarge,1,1800,600.5,,\n"
        "2100,b3,ml.m5.xlarge,2,,300,,\n",
        encoding="utf-8",
    )
    rows = list(load_trace(trace_csv))
    held: list[WarmPoolEmulator] = []
    report = check_equal_to_the_replay(
        rows,
        quotas={M5: Quota(training=4, warm_pool=2), G5: Quota(training=None, warm_pool=1)},
        on_simpy_emulator=held.append,
    )
    # s1 is stopped at 900 (cold start 180, then 720 s), the instant s2 is created: the stop
    # comes first, so s2 takes over s1's pool
    (emu,) = held
    assert emu.billing.total().retained_instance_seconds > 0
    assert report.by_instance_type["ml.p3.2xlarge"].warm_starts == 1
    # the trace exercises what it says it does
    assert report.warm_starts > 0
    assert report.cold_starts > 0
    assert report.training_quota_refusals > 0
    assert report.warm_pool_quota_refusals > 0
    assert report.failed == 2
    assert report.stopped > 0


@st.composite
def traces(draw: st.DrawFn) -> list[TraceJob]:
    """Small traces in whole seconds and quarters (SimPy adds delays in floating point; with
    these, the two runs' times are exactly equal)."""
    gaps = draw(st.lists(st.integers(0, 3000) | st.sampled_from((0, 60, 900)), max_size=20))
    rows = []
    at = 0
    for gap in gaps:
        at += gap
        rows.append(
            TraceJob(
                submit_time=at,
                instance_type=draw(st.sampled_from((M5, G5))),
                instance_count=draw(st.integers(1, 3)),
                training_seconds=draw(
                    st.integers(0, 3000)
                    | st.integers(0, 12000).map(_quarter)
                    | st.sampled_from((0, 40, 600, 660, 720, 900))  # instants that coincide
                ),
                keep_alive_seconds=draw(st.sampled_from((None, 0, 60, 600, 1800))),
                outcome=draw(
                    st.sampled_from(
                        (
                            "Completed",
                            "Completed",
                            "Stopped",
                            "AlgorithmError",
                            "InternalServerError",
                        )
                    )
                ),
                max_runtime_seconds=draw(st.sampled_from((86400, 1200))),
            )
        )
    return rows


def _quarter(quarters: int) -> float:
    return quarters / 4


@settings(max_examples=60, deadline=None)
@given(
    rows=traces(),
    quotas=st.sampled_from(
        (
            None,
            {M5: Quota(training=3, warm_pool=2), G5: Quota(training=None, warm_pool=1)},
            {M5: Quota(training=None, warm_pool=0)},
        )
    ),
    keep_alive=st.sampled_from((None, 0, 900)),
    timing=st.sampled_from(
        (Timing(), Timing(cold_start_seconds=60, warm_start_seconds=5, stopping_seconds=30))
    ),
)
def test_simpy_runs_of_random_traces_equal_the_plain_replay(
    rows: list[TraceJob],
    quotas: dict[str, Quota] | None,
    keep_alive: int | None,
    timing: Timing,
) -> None:
    """D38, §11: for random small traces, quotas, keep-alive overrides and timings, the
    SimPy-driven run and ``replay`` give the same events and the same report."""
    check_equal_to_the_replay(rows, keep_alive=keep_alive, quotas=quotas, timing=timing)


# -- the example --------------------------------------------------------------------------------


def load_example() -> types.ModuleType:
    return factories.load_example(EXAMPLE)


def test_the_team_example_counts_what_the_emulator_did() -> None:
    """examples/simpy_team.py: its per-person warm and cold starts, failures and expired pools
    are what the emulator's events and billing ledger say."""
    require("simpy")
    team = load_example().Team()
    team.run()
    emu = team.bridge.emu
    starts = emu.events.of_type(TrainingStarted)
    assert sum(t.warm for t in team.tallies.values()) == sum(s.warm for s in starts) > 0
    assert sum(t.cold for t in team.tallies.values()) == sum(not s.warm for s in starts) > 0
    failed = [e for e in emu.events.of_type(JobReleased) if e.status == "Failed"]
    assert sum(t.failed for t in team.tallies.values()) == len(failed) > 0
    refusals = [e for e in emu.events.of_type(QuotaRefused) if e.quota == "training"]
    assert sum(t.refused for t in team.tallies.values()) == len(refusals) > 0
    expired = [r for r in emu.billing.retained if r.ended == "Expired"]
    assert team.expired == len(expired) > 0
    assert emu.next_event_time() is None  # every pool has ended


def test_the_team_example_runs_and_prints_the_same_figures_every_time() -> None:
    """``python examples/simpy_team.py`` prints a line per person and the totals; two runs
    print the same."""
    require("simpy")
    runs = [
        subprocess.run(
            [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    lines = runs[0].splitlines()
    assert lines[1].split() == ["who", "jobs", "warm", "cold", "failed", "refused"]
    assert [line.split()[0] for line in lines[2:7]] == ["ana", "ben", "chen", "dana", "eve"]
    assert any(line.startswith("warm starts: ") for line in lines)
    assert any(line.startswith("idle warm pools: ") and "$" in line for line in lines)
