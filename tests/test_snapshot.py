"""Snapshot, restore and fork: behaviour §10.6 and D48.

An emulator's ``snapshot()`` is a plain JSON document of its whole state; ``restore`` builds an
emulator that continues exactly as the snapshotted one would, and refuses a document it cannot
trust with a ``SnapshotError`` naming the path of what is wrong; ``fork()``, ``copy.deepcopy``
and ``pickle`` give independent copies, and ``copy.copy`` is refused.

The property at the heart of it (``ForkMachine``): over random histories, copy the emulator at a
random step (by ``fork()``, ``deepcopy``, ``pickle`` or a JSON round trip of a snapshot), then
drive the original and the copy with the same calls: every response, error, event and ledger
is the same, and so is every later snapshot.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import pickle
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from functools import partial
from types import MappingProxyType
from typing import Any, Final
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.factories import INSTANCE_TYPE, emulator, jobs_in_every_state, request
from tests.test_stateful import FAILURE_CLASSES, INSTANCE_TYPES, build_request
from warmpool import JobPlan, Limits, Quota, Timing, VirtualClock, WarmPoolEmulator, errors
from warmpool import snapshot as _snapshot
from warmpool.errors import SnapshotError
from warmpool.intake import freeze
from warmpool.snapshot import FORMAT, VERSION

POLICY: Final = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Resource": "*",
            "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 700}},
        }
    ],
}


#: Allows keep-alives up to an hour (every job of the tests).
LENIENT_POLICY: Final = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 3601}},
        }
    ]
}


class Cycle:
    """A stateful workload hook that pickles: the plans of ``plans`` in turn, one per call. A
    copy that shared its counter with the original would hand out different plans."""

    def __init__(self, plans: Sequence[JobPlan | None]) -> None:
        self.plans = list(plans)
        self.calls = 0

    def __call__(self, request: Mapping[str, Any]) -> JobPlan | None:
        plan = self.plans[self.calls % len(self.plans)]
        self.calls += 1
        return plan


CYCLE_PLANS: Final = (
    JobPlan(training_seconds=40),
    None,
    JobPlan(training_seconds=150, failure_class="AlgorithmError", failure_message="oops"),
    JobPlan(training_seconds=0),
    JobPlan(training_seconds=400.5),
    JobPlan(training_seconds=150, failure_class="InternalServerError"),
)


def rich_emulator(**kwargs: Any) -> WarmPoolEmulator:
    """An emulator with jobs in every status and warm pool status (those it holds, with
    ``retain_finished=False``), tags, updates, a policy, prices, a changed quota and a listing
    done."""
    kwargs.setdefault("timing", Timing(stopping_seconds=30))
    kwargs.setdefault("keep_alive_policy", LENIENT_POLICY)
    kwargs.setdefault("prices", {INSTANCE_TYPE: 0.23})
    emu = emulator(training_seconds=None, **kwargs)
    if kwargs.get("retain_finished", True):
        jobs_in_every_state(emu)
    else:  # jobs_in_every_state without the deletion (a retired job cannot be deleted)
        for name, keep_alive in (("starting", 1800), ("kept", 1800), ("stopped", 0)):
            emu.create_training_job(**request(name, keep_alive=keep_alive))
        emu.advance(200)
        emu.complete_training_job("kept")
        emu.stop_training_job(TrainingJobName="stopped")
        emu.advance(10)
        emu.create_training_job(**request("reuser"))
        emu.create_training_job(**request("training-cold", keep_alive=0))
        emu.advance(0)
    emu.create_training_job(
        **request(
            "tagged",
            keep_alive=600,
            Tags=[{"Key": "team", "Value": "ml"}],
            HyperParameters={"epochs": "3"},
            SessionChainingConfig={"EnableSessionTagChaining": True},
        )
    )
    emu.advance(180)
    emu.update_training_job(TrainingJobName="tagged", RemoteDebugConfig={"EnableRemoteDebug": True})
    emu.add_tags(
        ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:training-job/starting",
        Tags=[{"Key": "cost-centre", "Value": "42"}],
    )
    emu.quotas.set("ml.p3.2xlarge", training=2, warm_pool=1)
    emu.list_training_jobs(MaxResults=3)
    if not kwargs.get("retain_finished", True):
        emu.complete_training_job("tagged")  # Available pools: the ledger holds their training
        emu.advance(5)
        emu.complete_training_job("starting")
    return emu


def responses(emu: WarmPoolEmulator) -> list[Any]:
    """What the public API shows of an emulator (each call counts a RequestId, so run it on
    both emulators being compared)."""
    shown: list[Any] = [emu.now, emu.next_event_time(), emu.job_names()]
    for name in emu.job_names():
        shown.append(emu.describe_training_job(TrainingJobName=name))
        shown.append(emu.warm_pool(name))
    token: str | None = None
    while True:
        page = emu.list_training_jobs(MaxResults=4, **({"NextToken": token} if token else {}))
        shown.append(page)
        token = page.get("NextToken")
        if token is None:
            break
    shown.append(list(emu.events))
    shown.append(list(emu.billing.retained))
    shown.append(list(emu.billing.training))
    shown.append(emu.billing.open_retained())
    shown.append(emu.billing.total(include_open=True))
    shown.append(emu.billing.totals_by("instance_type", include_open=True))
    shown.append(emu.quotas.usages())
    return shown


def assert_same(original: WarmPoolEmulator, copied: WarmPoolEmulator) -> None:
    """behaviour §10.6 / D48: the two emulators are in the same state, as far as anyone can see."""
    assert copied.snapshot() == original.snapshot()
    assert responses(copied) == responses(original)


# -- round trips ----------------------------------------------------------------------------------


def test_a_snapshot_is_a_versioned_json_document() -> None:
    """behaviour §10.6 / D48: format and version first; json.dumps takes the document as it is
    and json.loads gives it back exactly."""
    doc = rich_emulator().snapshot()
    assert list(doc)[:3] == ["format", "version", "warmpool"]
    assert (doc["format"], doc["version"]) == (FORMAT, VERSION) == ("warmpool-snapshot", 1)
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text) == doc
    assert json.dumps(json.loads(text), allow_nan=False) == text  # key order included


def test_the_same_history_gives_the_same_text() -> None:
    """behaviour §10.6 / §11 / D48: determinism; key order never depends on chance."""
    first = json.dumps(rich_emulator().snapshot())
    second = json.dumps(rich_emulator().snapshot())
    assert first == second


@pytest.mark.parametrize("retain_finished", [True, False])
def test_restore_gives_back_the_same_state(retain_finished: bool) -> None:
    """behaviour §10.6 / D48: restore(snapshot()) answers every call as the original does, and
    its own snapshot is the same document."""
    emu = rich_emulator(retain_finished=retain_finished, event_log_maxlen=25)
    doc = json.loads(json.dumps(emu.snapshot()))
    back = WarmPoolEmulator.restore(doc)
    assert back.snapshot() == doc
    assert_same(emu, back)
    # and they go on alike
    for each in (emu, back):
        each.advance(3000)
        each.create_training_job(**request("later", keep_alive=300))
        each.run_until(7200)
    assert_same(emu, back)


def test_restore_copies_the_document() -> None:
    """behaviour §10.6 / D48: the restored emulator keeps nothing of the document it was given,
    and restore changes nothing in it."""
    emu = rich_emulator()
    doc = emu.snapshot()
    kept = json.dumps(doc)
    back = WarmPoolEmulator.restore(doc)
    assert json.dumps(doc) == kept
    doc["settings"]["keep_alive_policy"]["Statement"][0]["Effect"] = "Deny"
    doc["specs"][0]["config"]["RoleArn"] = "changed"
    doc["jobs"][0]["hyperparameters"] = {"x": "y"}
    assert back.snapshot() == json.loads(kept)
    assert (
        WarmPoolEmulator.restore(MappingProxyType(json.loads(kept))).snapshot() == back.snapshot()
    )


def test_what_a_snapshot_keeps_of_the_settings() -> None:
    """behaviour §10.6 / D48: settings, the clock's epoch and start, current quota limits and
    prices are kept; fresh() of the copy is fresh() of the original."""
    emu = WarmPoolEmulator(
        limits=Limits.API_MODEL,
        timing=Timing(cold_start_seconds=7.5, warm_start_seconds=1, stopping_seconds=2),
        quotas={"ml.m5.xlarge": Quota(training=3, warm_pool=2)},
        default_quota=Quota(training=9, warm_pool=1),
        clock=VirtualClock(datetime(2030, 5, 6, 7, 8, 9, 250000, tzinfo=timezone.utc), now=100),
        keep_alive_policy=json.dumps(POLICY),
        region="eu-west-1",
        account="210987654321",
        prices={"ml.m5.xlarge": 1},
        event_log_maxlen=3,
        retain_finished=False,
    )
    emu.advance(50)
    emu.quotas["ml.m5.xlarge"] = Quota(training=1, warm_pool=0)
    emu.billing.prices = {"ml.m5.xlarge": 2.5}
    back = WarmPoolEmulator.restore(emu.snapshot())
    assert back.clock.epoch == emu.clock.epoch and back.now == 150
    assert (back.limits, back.timing, back.region, back.account) == (
        emu.limits,
        emu.timing,
        emu.region,
        emu.account,
    )
    assert back.quotas["ml.m5.xlarge"] == Quota(training=1, warm_pool=0)
    assert back.quotas.default == Quota(training=9, warm_pool=1)
    assert back.billing.prices == {"ml.m5.xlarge": 2.5}
    assert back.fresh().snapshot() == emu.fresh().snapshot()
    assert back.fresh().now == 100
    with pytest.raises(errors.AccessDeniedException):  # the policy came along
        back.create_training_job(**request("too-long", keep_alive=701))


def test_restore_takes_a_workload_and_may_replace_the_policy() -> None:
    """behaviour §10.6 / D48: a document holds no workload hook; restore's keep_alive_policy
    replaces the document's."""
    emu = WarmPoolEmulator(keep_alive_policy=POLICY, quotas={INSTANCE_TYPE: Quota(warm_pool=1)})
    doc = emu.snapshot()
    back = WarmPoolEmulator.restore(doc, workload=lambda _: JobPlan(training_seconds=5))
    back.create_training_job(**request("a", keep_alive=600))
    back.advance(185)
    assert back.describe_training_job(TrainingJobName="a")["TrainingJobStatus"] == "Completed"
    lenient = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*"}]}
    other = WarmPoolEmulator.restore(doc, keep_alive_policy=lenient)
    other.create_training_job(**request("b", keep_alive=3600))
    assert other.snapshot()["settings"]["keep_alive_policy"] == lenient
    with pytest.raises(ValueError, match="Statement"):
        WarmPoolEmulator.restore(doc, keep_alive_policy={"Statement": []})
    with pytest.raises(TypeError, match="workload"):
        WarmPoolEmulator.restore(doc, workload=42)  # type: ignore[arg-type]


def test_plans_of_jobs_still_training_are_kept() -> None:
    """behaviour §10.3 / §10.6 / D25 / D48: a job's plan is data, kept until its release."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("a"))
    emu.advance(200)
    back = WarmPoolEmulator.restore(emu.snapshot())  # no workload: the plan is in the doc
    back.advance(580)
    assert back.describe_training_job(TrainingJobName="a")["TrainingJobStatus"] == "Completed"


def test_dead_scheduled_events_are_dropped() -> None:
    """behaviour §4 / §10.6 / D48: events that would do nothing are not written down; the copy
    shows the same next_event_time."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("a"))
    emu.stop_training_job(TrainingJobName="a")  # its start and its max runtime are now dead
    doc = emu.snapshot()
    assert doc["pending"] == []
    assert len(emu.clock) == 1
    back = WarmPoolEmulator.restore(doc)
    assert len(back.clock) == 0
    assert back.next_event_time() == emu.next_event_time() is None


def test_an_expiry_scheduled_twice_for_one_time_is_written_once() -> None:
    """behaviour §6.3 / §10.6 / D13 / D48: an update to the same keep-alive schedules the same
    expiry again; the document holds it once, and both emulators end the pool alike."""
    emu = emulator(training_seconds=10)
    emu.create_training_job(**request("a", keep_alive=600))
    emu.advance(190)
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 600})
    doc = emu.snapshot()
    assert doc["pending"] == [{"at": 790, "kind": "expiry", "job": "a"}]
    back = WarmPoolEmulator.restore(doc)
    emu.advance(600)
    back.advance(600)
    assert_same(emu, back)


def test_reuse_order_survives_a_restore() -> None:
    """behaviour §6.5 / §10.6 / D4 / D48: the copy hands out the pool Available longest, as the
    original would, whatever order the jobs were created in."""
    plans = {"late": JobPlan(training_seconds=500), "early": JobPlan(training_seconds=100)}
    emu = emulator(workload=lambda req: plans.get(req["TrainingJobName"]))
    emu.create_training_job(**request("late"))  # created first, released last
    emu.create_training_job(**request("early"))
    emu.advance(1000)
    back = WarmPoolEmulator.restore(emu.snapshot())
    for each in (emu, back):
        each.create_training_job(**request("next"))
    views = [each.warm_pool("early") for each in (emu, back)]
    assert [view and view.reused_by for view in views] == ["next", "next"]
    assert_same(emu, back)


# -- fork, deepcopy, pickle, copy ---------------------------------------------------------------


def _copiers() -> dict[str, Callable[[WarmPoolEmulator], WarmPoolEmulator]]:
    return {
        "fork": WarmPoolEmulator.fork,
        "deepcopy": copy.deepcopy,
        "pickle": lambda emu: pickle.loads(pickle.dumps(emu)),
        "json": lambda emu: WarmPoolEmulator.restore(
            json.loads(json.dumps(emu.snapshot())), workload=copy.deepcopy(emu._workload)
        ),
    }


COPIERS: Final = _copiers()


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_a_copy_continues_as_the_original_and_shares_nothing(how: str) -> None:
    """behaviour §10.6 / D48: fork(), copy.deepcopy and pickle give an independent emulator in
    the same state, with its own copy of a stateful workload hook."""
    emu = rich_emulator(workload=Cycle((None,) * 10 + CYCLE_PLANS))  # plans after the setup
    copied = COPIERS[how](emu)
    assert copied is not emu and copied.clock is not emu.clock and copied.lock is not emu.lock
    assert_same(emu, copied)
    for each in (emu, copied):
        for number in range(4):
            each.create_training_job(**request(f"more-{number}", keep_alive=900))
        each.advance(400)
    assert_same(emu, copied)
    emu.advance(5000)  # the copy does not move with it
    emu.quotas[INSTANCE_TYPE] = Quota(warm_pool=0)
    assert copied.now != emu.now
    assert copied.quotas[INSTANCE_TYPE] == Quota(warm_pool=10)


def test_a_fork_has_no_subscribers() -> None:
    """behaviour §10.4 / §10.6 / D26 / D48: subscribers are callbacks, not state."""
    emu = emulator()
    seen: list[Any] = []
    emu.events.subscribe(seen.append)
    forked = emu.fork()
    assert not forked.events.subscribed
    forked.create_training_job(**request("a"))
    assert seen == []
    emu.create_training_job(**request("a"))
    assert len(seen) == 1


def test_copy_copy_is_refused() -> None:
    """behaviour §10.6 / D48: a shallow copy would share the jobs, clock and ledgers."""
    with pytest.raises(TypeError, match=r"fork\(\)"):
        copy.copy(emulator())


def test_a_workload_that_cannot_be_copied_or_pickled_is_named() -> None:
    """behaviour §10.6 / D48: a clear TypeError naming the workload hook and what to do."""

    class Locked:
        def __init__(self) -> None:
            self.lock = threading.Lock()

        def __call__(self, request: Mapping[str, Any]) -> None:
            return None

    emu = WarmPoolEmulator(workload=Locked())
    with pytest.raises(TypeError, match=r"workload hook .* cannot be deep-copied.*restore"):
        emu.fork()
    with pytest.raises(TypeError, match=r"workload hook .* cannot be pickled.*restore"):
        pickle.dumps(WarmPoolEmulator(workload=lambda request: None))
    # a function is not copied (a closure's state is shared), but pickles by name
    assert pickle.loads(pickle.dumps(WarmPoolEmulator(workload=_plan_for)))._workload is _plan_for


def _plan_for(request: Mapping[str, Any]) -> JobPlan:
    return JobPlan(training_seconds=60)


def test_a_snapshot_error_pickles() -> None:
    """D48: errors cross process boundaries (sweeps run in workers)."""
    error = SnapshotError("jobs[0].name", "is missing")
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.problem, str(again)) == (error.path, error.problem, str(error))
    assert isinstance(again, errors.ControlError) and isinstance(again, ValueError)


# -- what cannot be snapshotted -----------------------------------------------------------------


def test_a_callback_of_the_callers_on_the_clock_is_refused() -> None:
    """behaviour §10.6 / D48: an event warmpool did not schedule cannot be written down."""
    emu = emulator()
    emu.clock.schedule(50, print, "hello")
    with pytest.raises(SnapshotError) as caught:
        emu.snapshot()
    assert caught.value.path == "pending"
    assert "did not schedule" in caught.value.problem


def test_the_emulator_keeps_its_own_copy_of_the_policy_document() -> None:
    """behaviour §9.7 / §10.6 / D21 / D48: changing the caller's document after the build
    changes neither the policy in force, nor the snapshot, nor ``fresh()``'s emulator."""
    document = copy.deepcopy(POLICY)
    emu = WarmPoolEmulator(keep_alive_policy=document)
    document["Statement"][0]["Effect"] = "Deny"  # type: ignore[index]
    assert emu.snapshot()["settings"]["keep_alive_policy"] == POLICY
    assert emu.fresh().snapshot()["settings"]["keep_alive_policy"] == POLICY


def test_a_price_table_json_cannot_hold_is_refused() -> None:
    """behaviour §8 / §10.6 / D27 / D48: prices are written down only as finite numbers (the
    ledger checks a table given or assigned; one changed in place is caught here)."""
    emu = WarmPoolEmulator(prices={INSTANCE_TYPE: 1.0})
    assert emu.billing.prices is not None
    emu.billing.prices[INSTANCE_TYPE] = float("inf")
    with pytest.raises(SnapshotError) as caught:
        emu.snapshot()
    assert caught.value.path == "billing.prices"


# -- refusals -------------------------------------------------------------------------------------


def _base() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(rich_emulator().snapshot()))
    return doc


BASE: Final = _base()


#: A retained interval as a ledger of every interval holds it.
RETAINED_ROW: Final = {
    "job": "gone",
    "cluster": 1,
    "instance_type": INSTANCE_TYPE,
    "instance_count": 1,
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "start": 0,
    "end": 10,
    "ended": "Expired",
    "billable_seconds": 10,
}


def _job(doc: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    for index, job in enumerate(doc["jobs"]):
        if job["name"] == name:
            return index, job
    raise AssertionError(name)


def _set(path: Sequence[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: Sequence[Any]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _two_holders(doc: dict[str, Any]) -> None:
    """ "A pool reused twice": job "training-cold" claims the cluster that "reuser" took over."""
    _, reuser = _job(doc, "reuser")
    _, other = _job(doc, "training-cold")
    other["cluster"] = reuser["cluster"]
    other["launched_at"] = reuser["launched_at"]
    other["warm"] = True
    other["warm_pool"] = dict(reuser["warm_pool"])  # InUse


def _event_in_the_past(doc: dict[str, Any]) -> None:
    doc["pending"][0]["at"] = doc["clock"]["now"] - 1


def _no_pending(doc: dict[str, Any]) -> None:
    doc["pending"].pop()


def _more_in_training(doc: dict[str, Any]) -> None:
    doc["quotas"]["use"][INSTANCE_TYPE]["in_training"] += 1


def _no_open_interval(doc: dict[str, Any]) -> None:
    doc["billing"]["open"] = []


def _event_from_the_future(doc: dict[str, Any]) -> None:
    doc["events"][-1]["time"] = doc["clock"]["now"] + 1


def _same_name(doc: dict[str, Any]) -> None:
    doc["jobs"][1]["name"] = doc["jobs"][0]["name"]


def _reused_but_holding(doc: dict[str, Any]) -> None:
    """The donor of "reuser"'s pool claims it is still Available."""
    _, reuser = _job(doc, "reuser")
    for job in doc["jobs"]:
        if job["cluster"] == reuser["cluster"] and job is not reuser:
            job["warm_pool"].update(
                status="Available", reason=None, billable_seconds=None, reused_by=None
            )


INDEX_KEPT: Final = _job(BASE, "kept")[0]
INDEX_REUSER: Final = _job(BASE, "reuser")[0]
INDEX_COLD: Final = _job(BASE, "training-cold")[0]

#: (what is wrong, the change, the path the error names, words of its message)
REFUSALS: Final[list[tuple[str, Callable[[dict[str, Any]], None], str, str]]] = [
    ("another format", _set(["format"], "warmpool-other"), "format", "warmpool-snapshot"),
    ("a later version", _set(["version"], 2), "version", "reads version 1"),
    ("a version as text", _set(["version"], "1"), "version", "not a version"),
    ("a missing member", _delete(["jobs"]), "jobs", "is missing"),
    ("an extra member", _set(["extra"], 1), "extra", "not a member"),
    ("a wrong type", _set(["clock", "now"], "210"), "clock.now", "must be a number"),
    ("a bad epoch", _set(["clock", "epoch"], "2026-01-01"), "clock.epoch", "offset"),
    ("a negative count", _set(["counters", "jobs"], -1), "counters.jobs", "at least 0"),
    (
        "an unknown secondary status",
        _set(["jobs", 0, "secondary_status"], "Dancing"),
        "jobs[0].secondary_status",
        "must be one of",
    ),
    (
        "an unknown warm pool status",
        _set(["jobs", INDEX_KEPT, "warm_pool", "status"], "Lukewarm"),
        f"jobs[{INDEX_KEPT}].warm_pool.status",
        "must be one of",
    ),
    (
        "a released job still InUse",
        _set(["jobs", INDEX_KEPT, "warm_pool", "status"], "InUse"),
        f"jobs[{INDEX_KEPT}].warm_pool.status",
        "cannot be InUse",
    ),
    ("a pool reused twice", _two_holders, f"jobs[{INDEX_REUSER}].cluster", "held by"),
    ("a donor still Available", _reused_but_holding, f"jobs[{INDEX_REUSER}].cluster", "held by"),
    ("a pending event in the past", _event_in_the_past, "pending[0].at", "in the past"),
    ("a missing pending event", _no_pending, "pending", "has no"),
    (
        "a pending event at the wrong time",
        _set(["pending", 0, "at"], 1e9),
        "pending[0].at",
        "must be",
    ),
    (
        "quota use that disagrees with the jobs",
        _more_in_training,
        f'quotas.use["{INSTANCE_TYPE}"].in_training',
        "the jobs hold",
    ),
    ("an Available pool without its open interval", _no_open_interval, "billing.open", "no open"),
    (
        "an event after now",
        _event_from_the_future,
        f"events[{len(BASE['events']) - 1}].time",
        "after the clock's now",
    ),
    ("an unknown event type", _set(["events", 0, "type"], "Exploded"), "events[0].type", "one of"),
    ("a job name twice", _same_name, "jobs[1].name", "too"),
    (
        "an invalid configuration",
        _set(["specs", 0, "config", "ResourceConfig", "InstanceCount"], 0),
        "specs[0].config.ResourceConfig.InstanceCount",
        "not a valid CreateTrainingJob request",
    ),
    (
        "a member a configuration does not have",
        _set(["specs", 0, "config", "HyperParameters"], {}),
        "specs[0].config.HyperParameters",
        "not a member",
    ),
    (
        "a spec that does not exist",
        _set(["jobs", 0, "spec"], 99),
        "jobs[0].spec",
        "names no entry",
    ),
    (
        "a reserved tag",
        _set(["jobs", _job(BASE, "tagged")[0], "tags", 0, "Key"], "aws:x"),
        f"jobs[{_job(BASE, 'tagged')[0]}].tags",
        "reserved",
    ),
    (
        "billed seconds that are not the interval's",
        _set(["billing", "training", 0, "billable_seconds"], 12345),
        "billing.training[0].billable_seconds",
        "rounded up",
    ),
    (
        "a whole number too large for a float",
        _set(["pending", 0, "at"], 10**400),
        "pending[0].at",
        "at most",
    ),
    (
        "a clock past any float",
        _set(["clock", "now"], -(10**400)),
        "clock.now",
        "at least",
    ),
    ("a bad region", _set(["settings", "region"], "not a region!"), "settings", "region"),
    (
        "a bad policy",
        _set(["settings", "keep_alive_policy"], {"Statement": []}),
        "settings.keep_alive_policy",
        "Statement",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [refusal[1:] for refusal in REFUSALS],
    ids=[refusal[0] for refusal in REFUSALS],
)
def test_a_bad_document_is_refused_naming_the_path(
    change: Callable[[dict[str, Any]], None], path: str, words: str
) -> None:
    """behaviour §10.6 / D48: every kind of refusal is a SnapshotError naming the path of what
    is wrong (the document being restored is left as it was)."""
    doc = copy.deepcopy(BASE)
    change(doc)
    kept = json.dumps(doc)
    with pytest.raises(SnapshotError) as caught:
        WarmPoolEmulator.restore(doc)
    error = caught.value
    assert error.path.startswith(path), (error.path, str(error))
    assert words in error.problem, str(error)
    assert str(error) == (f"{error.path}: {error.problem}" if error.path else error.problem)
    assert json.dumps(doc) == kept


@pytest.mark.parametrize("value", [None, [], "snapshot", 42])
def test_a_document_that_is_not_an_object_is_refused(value: Any) -> None:
    """behaviour §10.6 / D48."""
    with pytest.raises(SnapshotError, match="must be an object"):
        WarmPoolEmulator.restore(value)


def test_finished_jobs_are_refused_where_they_are_retired() -> None:
    """behaviour §10.5 / §10.6 / D37 / D48: retain_finished=false holds no finished job."""
    doc = copy.deepcopy(BASE)
    doc["settings"]["retain_finished"] = False
    with pytest.raises(SnapshotError, match="retain_finished"):
        WarmPoolEmulator.restore(doc)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (_set(["billing", "retained"], [RETAINED_ROW]), "billing.retained", "must be empty"),
        (_set(["billing", "training", 1, "job"], "tagged"), "billing.training", "no training"),
        (_delete(["billing", "training", 0]), "billing.training", "no training"),
        (_set(["billing", "sums", 0, "training_seconds"], -1), "billing.sums[0]", "at least 0"),
        (_set(["billing", "sums"], []), "billing.sums", "has no totals of"),
    ],
)
def test_a_ledger_of_totals_is_checked_too(
    change: Callable[[dict[str, Any]], None], path: str, words: str
) -> None:
    """behaviour §8 / §10.5 / §10.6 / D37 / D48: with retain_finished=false the ledger keeps
    the training intervals of the Available pools' jobs only, and its totals (sums) have a row
    for each of them (their training was added to it as it ended)."""
    doc = json.loads(json.dumps(rich_emulator(retain_finished=False).snapshot()))
    assert [row["job"] for row in doc["billing"]["training"]] == ["tagged", "starting"]
    WarmPoolEmulator.restore(copy.deepcopy(doc))  # as it is, it restores
    change(doc)
    with pytest.raises(SnapshotError) as caught:
        WarmPoolEmulator.restore(doc)
    assert caught.value.path.startswith(path), str(caught.value)
    assert words in caught.value.problem, str(caught.value)


def test_a_quota_lowered_below_its_use_is_a_state_not_an_inconsistency() -> None:
    """behaviour §7 / §10.6 / D14 / D48: lowering a limit never evicts, so use above a limit
    is a state an emulator can be in; its snapshot restores."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("a", instance_count=3))
    emu.quotas[INSTANCE_TYPE] = Quota(training=1, warm_pool=0)
    back = WarmPoolEmulator.restore(emu.snapshot())
    assert back.quotas.usage(INSTANCE_TYPE).used == 3
    with pytest.raises(errors.ResourceLimitExceeded):
        back.create_training_job(**request("b"))


# -- the quick way and the long way --------------------------------------------------------------

BASE_RETIRED: Final = json.loads(json.dumps(rich_emulator(retain_finished=False).snapshot()))


class Text(str):
    """A string of a subclass: never a plain value."""


#: Values of every JSON type, some at the edges of what a member allows.
ODD_VALUES: Final[tuple[Any, ...]] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2**53 + 1,
    1e308,
    -0.0,
    "",
    "x",
    [],
    {},
)


def _values_near(old: Any, now: float) -> list[Any]:
    """Values to put in the place of ``old``: next to it, at the edges of what is allowed,
    of another type, of a subclass."""
    if type(old) in (int, float):
        near = [old + 1, old - 1, old + 0.5, old - 0.5, -old, float(old), now, now + 0.5]
        return [*near, math.inf, -math.inf, math.nan, *ODD_VALUES]
    if type(old) is str:
        near = [Text(old), old + "x", "a\nb", "x" * 3000, "Expired", "Terminated", "Reused"]
        return [*near, *ODD_VALUES]
    return list(ODD_VALUES)


def _variants(record: dict[str, Any], now: float) -> list[Any]:
    """``record`` with one member changed, missing, or an extra one; ``record`` as another
    kind of mapping, and as no mapping at all."""
    variants: list[Any] = [MappingProxyType(record), list(record.items()), None]
    for key, old in record.items():
        variants += [{**record, key: new} for new in _values_near(old, now)]
        variants.append({name: value for name, value in record.items() if name != key})
        variants.append({**record, f"{key}_": old})
    return variants


def _agrees(quick: Any, long_way: Callable[[], Any]) -> None:
    """The quick way gave up (``None``), or read what the long way reads; where the long way
    refuses, it gave up."""
    try:
        expected = long_way()
    except SnapshotError:
        assert quick is None
    else:
        assert quick is None or quick == expected


@pytest.mark.parametrize("doc", [BASE, BASE_RETIRED], ids=["kept", "retired"])
def test_events_are_read_the_quick_way_as_the_long_way(doc: dict[str, Any]) -> None:
    """behaviour §10.6 / D48: an event of plain values is read the quick way; any event, the
    quick way reads as the long way does, or leaves it to the long way."""
    now = doc["clock"]["now"]
    last = -math.inf
    for index, event in enumerate(doc["events"]):
        assert _snapshot._plain_event(event, last, now) is not None
        for lower in (last, event["time"], event["time"] + 1):
            for changed in _variants(event, now):
                _agrees(
                    _snapshot._plain_event(changed, lower, now),
                    partial(_snapshot._read_event, changed, f"events[{index}]", lower, now),
                )
        last = event["time"]


@pytest.mark.parametrize("doc", [BASE, BASE_RETIRED], ids=["kept", "retired"])
def test_billing_rows_are_read_the_quick_way_as_the_long_way(doc: dict[str, Any]) -> None:
    """behaviour §8 / §10.6 / D48: a retained or training interval of plain values is read the
    quick way; any row, the quick way reads as the long way does, or leaves it to the long
    way."""
    emu = WarmPoolEmulator.restore(doc)
    now = doc["clock"]["now"]

    def long_way(kind: str, row: Any) -> tuple[Any, ...]:
        reader = _snapshot._Reader(emu, doc, doc["clock"]["start"])
        with mock.patch.object(_snapshot, "_plain_row", _the_long_way):
            getattr(reader, f"_read_{kind}")([row])
        read: tuple[Any, ...] = getattr(reader, kind)[0]
        return read

    for kind, keys in (
        ("retained", _snapshot._RETAINED_KEYS),
        ("training", _snapshot._TRAINING_KEYS),
    ):
        for row in doc["billing"][kind]:
            assert _snapshot._plain_row(row, keys, now) is not None
            for changed in _variants(row, now):
                _agrees(_snapshot._plain_row(changed, keys, now), partial(long_way, kind, changed))


def test_hyperparameters_are_read_the_quick_way_as_the_long_way() -> None:
    """behaviour §10.6 / D48: hyperparameters of plain strings SageMaker accepts are frozen the
    quick way; any others are left to the long way."""
    intake = WarmPoolEmulator()._intake
    plain = {"epochs": "3", "learning_rate": "0.1"}
    assert _snapshot._frozen_hyperparameters(plain, intake) == freeze(plain)
    for changed in _variants(plain, 0):
        quick = _snapshot._frozen_hyperparameters(changed, intake)
        if quick is not None:
            assert quick == freeze(changed)
            assert all(type(item) is str for pair in changed.items() for item in pair)
            assert intake._hyperparameters_ok(changed)


def _the_long_way(*_: Any) -> None:
    return None


def _outcome(doc: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("restored", WarmPoolEmulator.restore(doc).snapshot())
    except SnapshotError as error:
        return ("refused", error.path, error.problem)


@st.composite
def _changed_documents(draw: st.DrawFn) -> dict[str, Any]:
    """BASE or BASE_RETIRED with one to three members of its jobs, warm pools, events or
    billing rows changed as ``_variants`` changes them."""
    base = draw(st.sampled_from([BASE, BASE_RETIRED]))
    doc: dict[str, Any] = copy.deepcopy(base)
    now = doc["clock"]["now"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["jobs", "warm_pool", "events", "retained", "training"]))
        places: list[tuple[Any, Any]] = (  # (container, key) of each record of the kind
            [(job, "warm_pool") for job in doc["jobs"] if isinstance(job, dict)]
            if kind == "warm_pool"
            else [(doc["billing"][kind], index) for index in range(len(doc["billing"][kind]))]
            if kind in ("retained", "training")
            else [(doc[kind], index) for index in range(len(doc[kind]))]
        )
        places = [place for place in places if isinstance(place[0][place[1]], dict)]
        if places:
            container, key = draw(st.sampled_from(places))
            variants = _variants(container[key], now)
            changed = draw(st.sampled_from(variants[1:]))  # not the mappingproxy: it won't copy
            container[key] = copy.deepcopy(changed)
    return doc


@given(_changed_documents())
@settings(max_examples=200)
def test_a_document_restores_the_quick_way_as_the_long_way(doc: dict[str, Any]) -> None:
    """behaviour §10.6 / D48: whatever the document, restore builds the same emulator, or
    refuses it naming the same path and problem, with the quick way switched off."""
    quick = _outcome(doc)
    with mock.patch.multiple(
        _snapshot,
        _plain_event=_the_long_way,
        _plain_row=_the_long_way,
        _frozen_hyperparameters=_the_long_way,
    ):
        assert _outcome(doc) == quick


# -- the property: random histories, a copy at a random step --------------------------------------

waits = st.sampled_from([0, 0.5, 30, 250, 1000, "next"])


class ForkMachine(RuleBasedStateMachine):
    """behaviour §10.6 / D48: random calls on an emulator; at random steps a copy is taken (a
    fork, a deep copy, a pickle, or a JSON round trip of a snapshot, sometimes of the copy
    itself); from then on both get every call and must answer alike."""

    def __init__(self) -> None:
        super().__init__()
        self.original = WarmPoolEmulator()
        self.copies: list[WarmPoolEmulator] = []
        self.names: list[str] = []

    @initialize(
        retain_finished=st.booleans(),
        maxlen=st.sampled_from([None, 6]),
        stopping=st.sampled_from([0, 25]),
        training=st.sampled_from([None, 3]),
        warm_pool=st.sampled_from([3, 1]),
        prices=st.booleans(),
        policy=st.booleans(),
        cold=st.sampled_from([30, 0, 12.5]),
        lifetime=st.sampled_from([2400, 900]),
    )
    def configure(
        self,
        retain_finished: bool,
        maxlen: int | None,
        stopping: float,
        training: int | None,
        warm_pool: int,
        prices: bool,
        policy: bool,
        cold: float,
        lifetime: int,
    ) -> None:
        self.original = WarmPoolEmulator(
            limits=Limits(max_keep_alive_seconds=900, max_pool_lifetime_seconds=lifetime),
            timing=Timing(cold_start_seconds=cold, warm_start_seconds=0, stopping_seconds=stopping),
            quotas={
                itype: Quota(training=training, warm_pool=warm_pool) for itype in INSTANCE_TYPES
            },
            workload=Cycle(CYCLE_PLANS),
            keep_alive_policy=POLICY if policy else None,
            prices=dict.fromkeys(INSTANCE_TYPES, 1.5) if prices else None,
            event_log_maxlen=maxlen,
            retain_finished=retain_finished,
        )
        for number, (variant, instance_type) in enumerate(
            [(0, INSTANCE_TYPES[0]), (1, INSTANCE_TYPES[1]), (0, INSTANCE_TYPES[0])]
        ):
            self.names.append(f"first-{number}")
            self.original.create_training_job(
                **build_request(
                    f"first-{number}",
                    variant=variant,
                    instance_type=instance_type,
                    count=1,
                    keep_alive=600,
                    max_runtime=300,
                )
            )

    def _all(self) -> list[WarmPoolEmulator]:
        return [self.original, *self.copies]

    def _each(self, call: Callable[[WarmPoolEmulator], Any]) -> None:
        """Make the same call on every emulator; all must answer (or refuse) alike."""
        outcomes = []
        for emu in self._all():
            try:
                outcomes.append(("ok", call(emu)))
            except (errors.WarmPoolError, errors.ControlError) as error:
                outcomes.append((type(error).__name__, str(error)))
        assert all(outcome == outcomes[0] for outcome in outcomes), outcomes

    def _wait(self, wait: float | str) -> None:
        if isinstance(wait, str):  # "next": to the next event
            upcoming = self.original.next_event_time()
            if upcoming is not None:
                self._each(lambda emu: emu.run_until(upcoming))
        else:
            self._each(lambda emu: emu.advance(wait))

    def _name(self, index: int) -> str:
        return self.names[index % len(self.names)] if self.names else "nobody"

    @rule(
        wait=waits,
        number=st.integers(0, 6),
        variant=st.integers(0, 2),
        instance_type=st.sampled_from(INSTANCE_TYPES),
        count=st.integers(1, 2),
        keep_alive=st.sampled_from([None, 0, 60, 600, 900, 901]),
        render=st.integers(0, 3),
        spot=st.booleans(),
    )
    def create(
        self,
        wait: float | str,
        number: int,
        variant: int,
        instance_type: str,
        count: int,
        keep_alive: int | None,
        render: int,
        spot: bool,
    ) -> None:
        self._wait(wait)
        name = f"job-{number}"
        self.names.append(name)
        body = build_request(
            name,
            variant=variant,
            instance_type=instance_type,
            count=count,
            keep_alive=keep_alive,
            spot=spot and not keep_alive,
            max_runtime=300,
            render=render,
        )
        self._each(lambda emu: emu.create_training_job(**body))

    @rule(
        wait=waits,
        number=st.integers(0, 6),
        variant=st.integers(0, 1),
        keep_alive=st.sampled_from([60, 600]),
    )
    def create_a_match(self, wait: float | str, number: int, variant: int, keep_alive: int) -> None:
        """A job more likely to take over a pool (the first jobs' configurations)."""
        self.create(wait, number, variant, INSTANCE_TYPES[variant], 1, keep_alive, 0, False)

    @rule(wait=waits, index=st.integers(0, 20), how=st.sampled_from(["complete", *FAILURE_CLASSES]))
    def end_training(self, wait: float | str, index: int, how: str) -> None:
        self._wait(wait)
        name = self._name(index)
        if how == "complete":
            self._each(lambda emu: emu.complete_training_job(name))
        else:
            self._each(lambda emu: emu.fail_training_job(name, how, "boom"))

    @rule(wait=waits, index=st.integers(0, 20))
    def stop(self, wait: float | str, index: int) -> None:
        self._wait(wait)
        name = self._name(index)
        self._each(lambda emu: emu.stop_training_job(TrainingJobName=name))

    @rule(wait=waits, index=st.integers(0, 20), keep_alive=st.sampled_from([0, 1, 60, 900]))
    def update(self, wait: float | str, index: int, keep_alive: int) -> None:
        self._wait(wait)
        name = self._name(index)
        self._each(
            lambda emu: emu.update_training_job(
                TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": keep_alive}
            )
        )

    @rule(wait=waits, index=st.integers(0, 20))
    def delete(self, wait: float | str, index: int) -> None:
        self._wait(wait)
        name = self._name(index)
        self._each(lambda emu: emu.delete_training_job(TrainingJobName=name))

    @rule(wait=waits, instance_type=st.sampled_from([None, *INSTANCE_TYPES]))
    def patch_update(self, wait: float | str, instance_type: str | None) -> None:
        self._wait(wait)
        self._each(lambda emu: emu.apply_patch_update(instance_type))

    @rule(
        instance_type=st.sampled_from(INSTANCE_TYPES),
        training=st.sampled_from([None, 1, 3]),
        warm_pool=st.sampled_from([0, 1, 3]),
    )
    def change_quota(self, instance_type: str, training: int | None, warm_pool: int) -> None:
        self._each(
            lambda emu: emu.quotas.set(instance_type, training=training, warm_pool=warm_pool)
        )

    @rule(index=st.integers(0, 20), value=st.sampled_from(["a", "b"]), add=st.booleans())
    def tag(self, index: int, value: str, add: bool) -> None:
        arn = f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{self._name(index)}"
        if add:
            self._each(
                lambda emu: emu.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": value}])
            )
        else:
            self._each(lambda emu: emu.delete_tags(ResourceArn=arn, TagKeys=["k"]))

    @rule(
        sort_by=st.sampled_from(["Name", "CreationTime", "Status"]),
        status=st.sampled_from([None, "InProgress", "Completed"]),
    )
    def list_jobs(self, sort_by: str, status: str | None) -> None:
        extra = {} if status is None else {"StatusEquals": status}
        self._each(lambda emu: emu.list_training_jobs(SortBy=sort_by, MaxResults=3, **extra))

    @rule(wait=waits)
    def advance(self, wait: float | str) -> None:
        self._wait(wait)

    @rule(how=st.sampled_from(sorted(COPIERS)), of_a_copy=st.booleans())
    def take_a_copy(self, how: str, of_a_copy: bool) -> None:
        source = self.copies[-1] if of_a_copy and self.copies else self.original
        self.copies.append(COPIERS[how](source))
        if len(self.copies) > 2:
            del self.copies[0]

    @invariant()
    def copies_are_in_the_same_state(self) -> None:
        """behaviour §10.6 / §11 / D48: same snapshot, events, ledgers and answers."""
        if not self.copies:
            return
        doc = self.original.snapshot()
        events = list(self.original.events)
        totals = self.original.billing.total(include_open=True)
        usages = self.original.quotas.usages()
        for copied in self.copies:
            assert copied.snapshot() == doc
            assert list(copied.events) == events
            assert copied.billing.total(include_open=True) == totals
            assert copied.quotas.usages() == usages
            assert copied.next_event_time() == self.original.next_event_time()

    @rule()
    def compare_every_answer(self) -> None:
        """The public API of each copy answers as the original's (each call counts a
        RequestId, on every emulator alike)."""
        if not self.copies:
            return
        shown = [responses(emu) for emu in self._all()]
        assert all(each == shown[0] for each in shown)


ForkMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40)
TestForkMachine = ForkMachine.TestCase


@given(st.lists(st.sampled_from([0, 1, 2, 3, 4]), max_size=12))
@settings(max_examples=30)
def test_restore_of_restore_is_the_same_document(steps: list[int]) -> None:
    """behaviour §10.6 / D48: snapshot(restore(doc)) == doc, whatever the history."""
    emu = emulator(training_seconds=None, warm_pool=2)
    for number, step in enumerate(steps):
        names = emu.job_names()
        if step == 0 or not names:
            emu.create_training_job(**request(f"j{number}", keep_alive=600))
        elif step == 1:
            emu.advance(200)
        elif step == 2:
            with contextlib.suppress(errors.ControlError):
                emu.complete_training_job(names[number % len(names)])
        elif step == 3:
            with contextlib.suppress(errors.ValidationException):
                emu.stop_training_job(TrainingJobName=names[number % len(names)])
        else:
            emu.advance(700)
    doc = emu.snapshot()
    assert WarmPoolEmulator.restore(json.loads(json.dumps(doc))).snapshot() == doc
