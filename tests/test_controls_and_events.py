"""Simulation controls, the workload hook, the event log, determinism and IAM on create
(behaviour §10, §11, §9.7 IAM; D8, D10, D21, D24-D26).

Default timing: cold start 180 s, warm start 20 s, stopping 0 s.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest

from tests.factories import INSTANCE_TYPE, describe, emulator, pool_status, request
from warmpool import Event, JobPlan, Quota, Timing, WarmPoolEmulator, errors
from warmpool.emulator import not_emulated_message
from warmpool.events import (
    EVENT_TYPES,
    JobCreated,
    JobDeleted,
    JobReleased,
    KeepAliveUpdated,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    StopRequested,
    TrainingStarted,
    code,
    event_from_record,
)

OTHER_TYPE = "ml.c5.xlarge"
KEY = "sagemaker:KeepAlivePeriod"


# --- local helpers ---------------------------------------------------------------------------


def snapshot(emu: WarmPoolEmulator) -> dict[str, Any]:
    """Everything observable about an emulator's state (ResponseMetadata left out)."""
    describes = {}
    for name in emu.job_names():
        body = describe(emu, name)
        body.pop("ResponseMetadata")
        describes[name] = body
    return {
        "describes": describes,
        "events": list(emu.events),
        "quotas": emu.quotas.usages(),
        "now": emu.now,
        "scheduled": len(emu.clock),
        "retained": list(emu.billing.retained),
        "training": list(emu.billing.training),
        "open": emu.billing.open_retained(),
    }


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow_create(condition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": ["sagemaker:CreateTrainingJob"],
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


GUIDE_POLICY = policy(
    {**allow_create({"NumericLessThanIfExists": {KEY: 1800}}), "Sid": "EnforceKeepAlivePeriodLimit"}
)


# =============================================================================================
# complete_training_job / fail_training_job
# =============================================================================================


def test_control_error_is_not_a_warm_pool_error() -> None:
    """D24: ControlError is not a WarmPoolError (AWS has no such error)."""
    assert not issubclass(errors.ControlError, errors.WarmPoolError)
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    with pytest.raises(errors.ControlError) as caught:
        emu.complete_training_job("j")  # still Starting
    assert not isinstance(caught.value, errors.WarmPoolError)


def test_complete_while_training_completes_now() -> None:
    """behaviour §10.2 / D24: complete_training_job ends training successfully now."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(500)
    emu.complete_training_job("j")
    body = describe(emu, "j")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Completed", "Completed")
    assert body["TrainingTimeInSeconds"] == 320
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_complete_at_the_instant_training_starts_gives_one_billable_second() -> None:
    """behaviour §4 / D6: at t=180 the start has fired; 0 s of training is billed as 1 s."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(180)
    emu.complete_training_job("j")
    body = describe(emu, "j")
    assert body["TrainingJobStatus"] == "Completed"
    assert (body["TrainingTimeInSeconds"], body["BillableTimeInSeconds"]) == (1, 1)


def job_past_training(how: str) -> WarmPoolEmulator:
    """An emulator whose job "j" trained, then is ``how``: "completed", "failed", "stopping"
    (60 s of stopping to go) or "stopped"."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=60))
    emu.create_training_job(**request("j"))
    emu.advance(300)
    if how == "completed":
        emu.complete_training_job("j")
    elif how == "failed":
        emu.fail_training_job("j")
    else:
        emu.stop_training_job(TrainingJobName="j")
        if how == "stopped":
            emu.advance(60)
    return emu


def test_complete_while_starting_is_a_control_error() -> None:
    """D24: complete applies only while Training."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(100)
    before = snapshot(emu)
    with pytest.raises(errors.ControlError, match="j"):
        emu.complete_training_job("j")
    assert snapshot(emu) == before


@pytest.mark.parametrize("how", ["completed", "stopping", "stopped", "failed"])
def test_complete_after_training_ended_is_a_control_error(how: str) -> None:
    """D24: complete applies only while Training (not Stopping or terminal)."""
    emu = job_past_training(how)
    before = snapshot(emu)
    with pytest.raises(errors.ControlError):
        emu.complete_training_job("j")
    assert snapshot(emu) == before


def test_fail_while_starting_fails_before_launch_and_keeps_no_pool() -> None:
    """behaviour §5 / D24: fail any time InProgress; failed before launch keeps nothing."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(100)
    emu.fail_training_job("j")
    body = describe(emu, "j")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Failed", "Failed")
    assert body["FailureReason"] == "AlgorithmError: The training job failed."
    assert "TrainingStartTime" not in body
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    emu.advance(1000)
    assert emu.events.of_type(TrainingStarted) == []


@pytest.mark.parametrize("failure_class", ["AlgorithmError", "ClientError"])
def test_fail_while_training_with_a_healthy_class_keeps_the_pool(failure_class: str) -> None:
    """behaviour §5 / D10: AlgorithmError and ClientError leave a keepable cluster."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(300)
    emu.fail_training_job("j", failure_class, "boom")
    body = describe(emu, "j")
    assert body["FailureReason"] == f"{failure_class}: boom"
    assert body["WarmPoolStatus"] == {"Status": "Available"}


@pytest.mark.parametrize("failure_class", ["InternalServerError", "CapacityError"])
def test_fail_while_training_with_another_class_terminates_the_pool(failure_class: str) -> None:
    """behaviour §5 / D10: other failure classes leave an unhealthy cluster, never kept."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(300)
    emu.fail_training_job("j", failure_class)
    body = describe(emu, "j")
    assert body["FailureReason"].startswith(f"{failure_class}: ")
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    view = emu.warm_pool("j")
    assert view is not None
    assert view.reason == "Unhealthy"


@pytest.mark.parametrize("how", ["completed", "stopping", "failed"])
def test_fail_when_not_in_progress_is_a_control_error(how: str) -> None:
    """D24: fail applies only while InProgress."""
    emu = job_past_training(how)
    before = snapshot(emu)
    with pytest.raises(errors.ControlError):
        emu.fail_training_job("j")
    assert snapshot(emu) == before


@pytest.mark.parametrize("control", ["complete", "fail"])
def test_controls_on_unknown_names_are_control_errors(control: str) -> None:
    """D24: unknown names -> ControlError (not an AWS error)."""
    emu = emulator()
    call: Callable[[str], None] = (
        emu.complete_training_job if control == "complete" else emu.fail_training_job
    )
    with pytest.raises(errors.ControlError, match="ghost"):
        call("ghost")


@pytest.mark.parametrize(
    "misuse",
    [
        lambda emu: emu.fail_training_job("j", "not a class!"),
        lambda emu: emu.fail_training_job("j", "AlgorithmError", "x" * 2000),
        lambda emu: emu.apply_patch_update(5),
        lambda emu: emu.complete_training_job(""),
    ],
    ids=["bad-class", "reason-over-1024", "bad-type-argument", "empty-name"],
)
def test_every_control_refusal_is_a_control_error_without_state_change(
    misuse: Callable[[WarmPoolEmulator], object],
) -> None:
    """D24: every refusal by a control (bad argument included) is a ControlError."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("j"))
    emu.advance(300)
    before = snapshot(emu)
    with pytest.raises(errors.ControlError):
        misuse(emu)
    assert snapshot(emu) == before


# =============================================================================================
# apply_patch_update
# =============================================================================================


def patch_scenario() -> WarmPoolEmulator:
    """At t=1000: m5 pools 'a' and 'b' and c5 pool 'c' Available; 'busy' (m5) InUse."""
    emu = emulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=5), OTHER_TYPE: Quota(warm_pool=5)},
    )
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", volume_size=60))
    emu.create_training_job(**request("c", instance_type=OTHER_TYPE))
    emu.advance(1000)
    emu.create_training_job(**request("busy", volume_size=70))
    return emu


def test_patch_update_of_one_type_terminates_only_its_available_pools() -> None:
    """behaviour §10.2 / D24: apply_patch_update(type) returns how many it terminated."""
    emu = patch_scenario()
    assert emu.apply_patch_update(INSTANCE_TYPE) == 2
    assert [pool_status(emu, n) for n in ("a", "b", "c", "busy")] == [
        "Terminated",
        "Terminated",
        "Available",
        "InUse",
    ]
    terminated = emu.events.of_type(PoolTerminated)
    assert [(e.job, e.reason, e.time) for e in terminated] == [
        ("a", "PatchUpdate", 1000),
        ("b", "PatchUpdate", 1000),
    ]
    assert describe(emu, "busy")["TrainingJobStatus"] == "InProgress"


def test_patch_update_without_a_type_terminates_every_available_pool() -> None:
    """behaviour §10.2 / D24: without a type every Available pool goes; in-use clusters stay."""
    emu = patch_scenario()
    assert emu.apply_patch_update() == 3
    assert pool_status(emu, "c") == "Terminated"
    assert pool_status(emu, "busy") == "InUse"
    assert emu.apply_patch_update() == 0
    emu.advance(1000)  # busy completes normally and is kept
    assert pool_status(emu, "busy") == "Available"


def test_patch_update_of_a_type_without_pools_returns_0() -> None:
    """D24: nothing to terminate -> 0 and no event."""
    emu = patch_scenario()
    before = list(emu.events)
    assert emu.apply_patch_update("ml.p3.2xlarge") == 0
    assert list(emu.events) == before


# =============================================================================================
# The workload hook
# =============================================================================================


def test_workload_hook_is_called_once_per_accepted_create_with_the_request() -> None:
    """behaviour §10.3 / D25: the hook is given each accepted create request, once."""
    seen: list[dict[str, Any]] = []

    def hook(req: Mapping[str, Any]) -> JobPlan:
        seen.append(copy.deepcopy(dict(req)))
        return JobPlan(training_seconds=10)

    emu = WarmPoolEmulator(workload=hook, quotas={INSTANCE_TYPE: Quota(training=1)})
    first = request("one", HyperParameters={"lr": "0.1"})
    emu.create_training_job(**first)
    with pytest.raises(errors.ResourceLimitExceeded):
        emu.create_training_job(**request("two", volume_size=60))
    with pytest.raises(errors.ValidationException):
        emu.create_training_job(**request("bad_name"))
    emu.advance(1000)
    second = request("two", volume_size=60)
    emu.create_training_job(**second)
    assert seen == [first, second]


def test_workload_plan_with_a_failure_class_fails_the_job_after_its_duration() -> None:
    """behaviour §10.3 / D25: a plan's outcome may be a failure with its class and message."""
    plans = {
        "client": JobPlan(300, failure_class="ClientError", failure_message="bad data"),
        "internal": JobPlan(300, failure_class="InternalServerError"),
    }
    emu = emulator(workload=lambda r: plans[r["TrainingJobName"]])
    emu.create_training_job(**request("client"))
    emu.create_training_job(**request("internal", volume_size=60))
    emu.advance(479)
    assert describe(emu, "client")["TrainingJobStatus"] == "InProgress"
    emu.advance(1)
    client = describe(emu, "client")
    assert client["TrainingJobStatus"] == "Failed"
    assert client["FailureReason"] == "ClientError: bad data"
    assert client["TrainingEndTime"] == emu.clock.to_datetime(480)
    assert client["WarmPoolStatus"] == {"Status": "Available"}
    internal = describe(emu, "internal")
    assert internal["FailureReason"] == "InternalServerError: The training job failed."
    assert internal["WarmPoolStatus"]["Status"] == "Terminated"


@pytest.mark.parametrize("returned", [{"training_seconds": 10}, 600, "plan"])
def test_workload_returning_a_non_plan_is_a_type_error_without_state_change(returned: Any) -> None:
    """D25: anything but a JobPlan or None is a TypeError; nothing changes."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    bad = WarmPoolEmulator(workload=lambda _r: returned, quotas={INSTANCE_TYPE: Quota(warm_pool=1)})
    bad.advance(5)
    before = snapshot(bad)
    with pytest.raises(TypeError) as caught:
        bad.create_training_job(**request("x"))
    assert str(caught.value) == f"the workload hook must return a JobPlan or None, not {returned!r}"
    assert snapshot(bad) == before
    assert bad.job_names() == []


def test_workload_type_error_does_not_take_an_available_pool() -> None:
    """D15 / D25: a create refused by the hook leaves a matching pool Available."""
    plans: list[Any] = [JobPlan(600), "not a plan"]
    emu = emulator(workload=lambda _r: plans.pop(0))
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    before = snapshot(emu)
    with pytest.raises(TypeError):
        emu.create_training_job(**request("b"))
    assert snapshot(emu) == before
    assert pool_status(emu, "a") == "Available"


def test_without_a_plan_a_job_trains_until_its_max_runtime() -> None:
    """behaviour §5.3 / D25 / D8: no plan -> training until a control, stop or max runtime, which
    ends as Stopped / MaxRuntimeExceeded (cluster kept)."""
    emu = WarmPoolEmulator(workload=lambda _r: None, quotas={INSTANCE_TYPE: Quota(warm_pool=1)})
    emu.create_training_job(**request("j", StoppingCondition={"MaxRuntimeInSeconds": 1000}))
    emu.advance(1179)
    assert describe(emu, "j")["SecondaryStatus"] == "Training"
    emu.advance(1)
    body = describe(emu, "j")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert body["TrainingTimeInSeconds"] == 1000
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_max_runtime_has_no_stopping_phase_even_with_stopping_seconds() -> None:
    """D8: max runtime ends the job at once as Stopped / MaxRuntimeExceeded."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=60))
    emu.create_training_job(**request("j", StoppingCondition={"MaxRuntimeInSeconds": 100}))
    emu.advance(280)
    body = describe(emu, "j")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert body["TrainingEndTime"] == emu.clock.to_datetime(280)
    assert [t["Status"] for t in body["SecondaryStatusTransitions"]] == [
        "Starting",
        "Training",
        "MaxRuntimeExceeded",
    ]


def test_plan_equal_to_max_runtime_completes() -> None:
    """D8: if the plan's duration equals the max runtime, the plan wins."""
    emu = emulator(training_seconds=1000)
    emu.create_training_job(**request("j", StoppingCondition={"MaxRuntimeInSeconds": 1000}))
    emu.advance(2000)
    assert describe(emu, "j")["TrainingJobStatus"] == "Completed"


def test_plan_longer_than_max_runtime_is_stopped_at_max_runtime() -> None:
    """behaviour §5.3: max runtime ends a longer plan as Stopped / MaxRuntimeExceeded."""
    emu = emulator(training_seconds=1001)
    emu.create_training_job(**request("j", StoppingCondition={"MaxRuntimeInSeconds": 1000}))
    emu.advance(2000)
    body = describe(emu, "j")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert body["TrainingEndTime"] == emu.clock.to_datetime(1180)


# =============================================================================================
# The event log
# =============================================================================================


def guide_walkthrough(emu: WarmPoolEmulator) -> None:
    """The AWS guide's example: job 1 cold, job 2 reuses its pool 1000 s after release."""
    emu.create_training_job(**request("my-training-job-1"))
    emu.advance(1780)
    emu.create_training_job(**request("my-training-job-2"))
    emu.advance(5000)


WALKTHROUGH_EVENTS: list[Event] = [
    JobCreated(0, "my-training-job-1", None),
    TrainingStarted(180, "my-training-job-1", 1, False),
    JobReleased(780, "my-training-job-1", "Completed", "Completed", 1),
    PoolKept(780, "my-training-job-1", 1, 2580),
    JobCreated(1780, "my-training-job-2", 1),
    PoolReused(1780, "my-training-job-1", 1, "my-training-job-2"),
    TrainingStarted(1800, "my-training-job-2", 1, True),
    JobReleased(2400, "my-training-job-2", "Completed", "Completed", 1),
    PoolKept(2400, "my-training-job-2", 1, 4200),
    PoolTerminated(4200, "my-training-job-2", 1, "Expired", 1800),
]


def test_event_log_of_the_guide_walkthrough() -> None:
    """behaviour §10: typed, timestamped events in the order they happened."""
    emu = emulator()
    guide_walkthrough(emu)
    assert list(emu.events) == WALKTHROUGH_EVENTS
    assert describe(emu, "my-training-job-1")["WarmPoolStatus"] == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 1000,
        "ReusedByJob": "my-training-job-2",
    }


def test_event_log_is_in_time_order() -> None:
    """behaviour §4 / §10: events are appended as things happen, so times never decrease."""
    emu = emulator()
    guide_walkthrough(emu)
    times = [event.time for event in emu.events]
    assert times == sorted(times)


def test_event_log_of_type_and_for_job() -> None:
    """behaviour §10: the log can be filtered by type and by job."""
    emu = emulator()
    guide_walkthrough(emu)
    assert emu.events.of_type(JobReleased) == [WALKTHROUGH_EVENTS[2], WALKTHROUGH_EVENTS[7]]
    assert emu.events.of_type(PoolTerminated) == [WALKTHROUGH_EVENTS[9]]
    assert emu.events.of_type(Event) == WALKTHROUGH_EVENTS
    assert emu.events.for_job("my-training-job-1") == [
        WALKTHROUGH_EVENTS[i] for i in (0, 1, 2, 3, 5)
    ]
    assert emu.events.for_job("nobody") == []


def test_other_operations_are_logged() -> None:
    """behaviour §10: stop, keep-alive updates, deletes and quota refusals are logged too."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1, warm_pool=1)}, training_seconds=None)
    emu.create_training_job(**request("j"))
    with pytest.raises(errors.ResourceLimitExceeded):
        emu.create_training_job(**request("k", volume_size=60))
    emu.advance(200)
    emu.stop_training_job(TrainingJobName="j")
    emu.update_training_job(TrainingJobName="j", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    emu.delete_training_job(TrainingJobName="j")
    assert list(emu.events) == [
        JobCreated(0, "j", None),
        QuotaRefused(0, "k", "training", INSTANCE_TYPE, 1, 1, 1),
        TrainingStarted(180, "j", 1, False),
        StopRequested(200, "j"),
        JobReleased(200, "j", "Stopped", "Stopped", 1),
        PoolKept(200, "j", 1, 2000),
        KeepAliveUpdated(200, "j", 0, 200),
        PoolTerminated(200, "j", 1, "Released", 0),
        JobDeleted(200, "j"),
    ]


def test_subscribe_delivers_every_event_and_unsubscribe_stops_it() -> None:
    """behaviour §10.4 / D26: subscribers get every later event once; unsubscribing stops that."""
    emu = emulator()
    got: list[Event] = []
    unsubscribe = emu.events.subscribe(got.append)
    emu.create_training_job(**request("my-training-job-1"))
    emu.advance(1780)
    assert got == WALKTHROUGH_EVENTS[:4]
    unsubscribe()
    emu.create_training_job(**request("my-training-job-2"))
    emu.advance(5000)
    assert got == WALKTHROUGH_EVENTS[:4]
    unsubscribe()  # a second call is harmless


def test_subscribing_or_unsubscribing_during_delivery_counts_from_the_next_event() -> None:
    """behaviour §10.4 / D26: a subscriber that unsubscribes while events are being delivered
    gets no later event of the same batch; one subscribed then gets every later one."""
    emu = emulator()
    first: list[Event] = []
    late: list[Event] = []
    unsubscribe: list[Callable[[], None]] = []

    def once(event: Event) -> None:
        first.append(event)
        unsubscribe[0]()
        emu.events.subscribe(late.append)

    emu.create_training_job(**request("my-training-job-1"))
    emu.advance(180)  # training starts
    unsubscribe.append(emu.events.subscribe(once))
    emu.advance(1600)  # one instant, one batch: the job is released and its pool kept
    assert first == WALKTHROUGH_EVENTS[2:3]
    assert late == WALKTHROUGH_EVENTS[3:4]


def test_subscribers_are_called_after_the_instant_completes() -> None:
    """D26: when a subscriber runs, every event due at that instant has fired."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", volume_size=60))
    seen: list[tuple[str, str | None, str | None, str]] = []

    def on_event(event: Event) -> None:
        if isinstance(event, JobReleased):
            # read the state first: describe() may deliver later events re-entrantly
            state = (
                pool_status(emu, "a"),
                pool_status(emu, "b"),
                describe(emu, "b")["TrainingJobStatus"],
            )
            seen.append((event.job, *state))

    emu.events.subscribe(on_event)
    emu.advance(1000)
    # both are released at 780; on a's release b is already released and kept too
    assert sorted(seen) == [
        ("a", "Available", "Available", "Completed"),
        ("b", "Available", "Available", "Completed"),
    ]


def test_subscriber_gets_events_in_log_order_at_their_instant() -> None:
    """D26: each subscriber is called once per event, in log order, while now is its time."""
    emu = emulator()
    got: list[Event] = []

    def record(event: Event) -> None:
        assert emu.now == event.time
        got.append(event)

    emu.events.subscribe(record)
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", volume_size=60))
    emu.advance(5000)
    assert got == list(emu.events)
    assert len(got) == 10


def test_subscriber_may_create_the_next_job_at_release_and_get_a_warm_start() -> None:
    """D26: a subscriber may call the emulator; creating on JobReleased reuses the pool."""
    emu = emulator()

    def chain(event: Event) -> None:
        if isinstance(event, JobReleased) and event.job == "first":
            emu.create_training_job(**request("second"))

    emu.events.subscribe(chain)
    emu.create_training_job(**request("first"))
    emu.advance(5000)
    assert describe(emu, "first")["WarmPoolStatus"] == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 0,
        "ReusedByJob": "second",
    }
    second = describe(emu, "second")
    assert second["CreationTime"] == emu.clock.to_datetime(780)
    assert second["TrainingStartTime"] == emu.clock.to_datetime(800)
    assert TrainingStarted(800, "second", 1, True) in list(emu.events)


def test_event_log_maxlen_keeps_the_newest_events_and_still_notifies_subscribers() -> None:
    """behaviour §10.4 / D26: event_log_maxlen bounds the log without affecting subscribers."""
    emu = emulator(event_log_maxlen=3)
    got: list[Event] = []
    emu.events.subscribe(got.append)
    guide_walkthrough(emu)
    assert len(emu.events) == 3
    assert list(emu.events) == WALKTHROUGH_EVENTS[-3:]
    assert got == WALKTHROUGH_EVENTS


def test_subscribe_records_delivers_each_events_record_in_order_with_subscribe() -> None:
    """behaviour §10.4 / D26: a record subscriber gets ``(code, time, job, *fields)`` for every
    later event, the same events in the same order as an event subscriber, interleaved with
    it; ``event_from_record`` turns a record back into its event."""
    emu = emulator(event_log_maxlen=0)
    order: list[tuple[str, Any]] = []
    emu.events.subscribe(lambda event: order.append(("event", event)))
    emu.events.subscribe_records(lambda record: order.append(("record", record)))
    guide_walkthrough(emu)
    assert [kind for kind, _ in order] == ["event", "record"] * len(WALKTHROUGH_EVENTS)
    events = [value for kind, value in order if kind == "event"]
    records = [value for kind, value in order if kind == "record"]
    assert events == WALKTHROUGH_EVENTS
    assert [event_from_record(record) for record in records] == WALKTHROUGH_EVENTS
    released = records[2]
    assert released == (code(JobReleased), 780, "my-training-job-1", "Completed", "Completed", 1)
    assert EVENT_TYPES[released[0]] is JobReleased
    assert [type(record) for record in records] == [tuple] * len(records)


def test_unsubscribe_ends_only_its_own_subscription() -> None:
    """behaviour §10.4 / D26: one callback subscribed twice (as events and as records, or
    twice alike) is two subscriptions; each unsubscribe function ends its own."""
    emu = emulator()
    got: list[Any] = []
    as_event = emu.events.subscribe(got.append)
    as_record = emu.events.subscribe_records(got.append)
    again = emu.events.subscribe(got.append)
    emu.create_training_job(**request("my-training-job-1"))
    created = WALKTHROUGH_EVENTS[0]
    assert got == [created, code_record(created), created]
    as_event()
    got.clear()
    emu.advance(180)
    assert got == [code_record(WALKTHROUGH_EVENTS[1]), WALKTHROUGH_EVENTS[1]]
    as_record()
    again()
    as_record()  # a second call is harmless
    assert not emu.events.subscribed
    got.clear()
    emu.advance(1600)
    assert got == []


def test_code_names_the_rule_for_something_not_an_event_class() -> None:
    """D26: ``code`` numbers the event classes only; anything else is a ValueError naming it."""
    assert [code(kind) for kind in EVENT_TYPES] == list(range(len(EVENT_TYPES)))
    with pytest.raises(ValueError, match=r"one of the event classes, not <class 'int'>"):
        code(int)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"not <class 'warmpool\.events\.Event'>"):
        code(Event)


def code_record(event: Event) -> tuple[Any, ...]:
    """The record the log stores for ``event``."""
    return (code(type(event)), *attrs.astuple(event, recurse=False))


def test_event_log_maxlen_0_keeps_nothing() -> None:
    """D26: maxlen=0 keeps no events, subscribers still hear them."""
    emu = emulator(event_log_maxlen=0)
    got: list[Event] = []
    emu.events.subscribe(got.append)
    guide_walkthrough(emu)
    assert list(emu.events) == []
    assert got == WALKTHROUGH_EVENTS


# =============================================================================================
# Determinism
# =============================================================================================


def scripted(emu: WarmPoolEmulator) -> list[Any]:
    """A fixed script of calls; returns every response (errors as code, message, field)."""
    out: list[Any] = []

    def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            out.append(method(*args, **kwargs))
        except (errors.WarmPoolError, errors.ControlError) as error:
            out.append((type(error).__name__, str(error), getattr(error, "field", None)))

    call(emu.create_training_job, **request("a", HyperParameters={"x": "1"}))
    call(emu.create_training_job, **request("b", volume_size=60, keep_alive=300))
    call(emu.create_training_job, **request("c", instance_count=3))
    call(emu.advance, 400.5)
    call(emu.stop_training_job, TrainingJobName="b")
    call(emu.create_training_job, **request("bad_name"))
    call(emu.advance, 600)
    call(emu.create_training_job, **request("d"))
    call(
        emu.update_training_job,
        TrainingJobName="c",
        ResourceConfig={"KeepAlivePeriodInSeconds": 60},
    )
    call(emu.describe_training_job, TrainingJobName="a")
    call(emu.describe_training_job, TrainingJobName="missing")
    call(emu.list_training_jobs, MaxResults=2)
    call(emu.list_training_jobs, SortBy="Status", SortOrder="Descending")
    call(emu.complete_training_job, "a")
    call(emu.fail_training_job, "d", "ClientError", "oops")
    call(emu.advance, 4000)
    call(emu.apply_patch_update)
    call(emu.delete_training_job, TrainingJobName="a")
    for name in emu.job_names():
        call(emu.describe_training_job, TrainingJobName=name)
    return out


def test_same_calls_give_identical_responses_and_event_logs() -> None:
    """behaviour §11: deterministic: same calls, same responses (ResponseMetadata included) and
    the same event log."""
    first, second = emulator(), emulator()
    responses = scripted(first), scripted(second)
    assert responses[0] == responses[1]
    assert list(first.events) == list(second.events)
    assert list(first.billing.retained) == list(second.billing.retained)
    assert len(first.events) > 10
    assert any(isinstance(r, tuple) for r in responses[0])  # the script did hit errors


# =============================================================================================
# IAM on CreateTrainingJob (D21)
# =============================================================================================


def denied(emu: WarmPoolEmulator, req: Mapping[str, Any]) -> errors.AccessDeniedException:
    before = snapshot(emu)
    with pytest.raises(errors.AccessDeniedException) as caught:
        emu.create_training_job(**req)
    assert caught.value.code == "AccessDeniedException"
    assert caught.value.operation == "CreateTrainingJob"
    assert snapshot(emu) == before
    return caught.value


def test_guide_policy_allows_below_1800_and_absent_and_denies_1800() -> None:
    """behaviour §9.7 / D21: NumericLessThanIfExists: below 1800 or absent key is allowed."""
    emu = emulator(keep_alive_policy=GUIDE_POLICY)
    emu.create_training_job(**request("ok", keep_alive=1799))
    emu.create_training_job(**request("absent", keep_alive=None))
    error = denied(emu, request("too-long", keep_alive=1800))
    assert KEY in error.message
    assert "sagemaker:CreateTrainingJob" in error.message
    assert "1800" in error.message
    assert emu.job_names() == ["ok", "absent"]


def test_policy_as_json_text_is_accepted() -> None:
    """behaviour §9: the policy document may be given in its JSON form."""
    emu = emulator(keep_alive_policy=json.dumps(GUIDE_POLICY))
    denied(emu, request("too-long", keep_alive=3600))
    emu.create_training_job(**request("ok", keep_alive=60))


def test_missing_key_does_not_satisfy_a_plain_numeric_operator() -> None:
    """D21: a positive operator (NumericLessThan) fails on an absent sagemaker:KeepAlivePeriod."""
    emu = emulator(keep_alive_policy=policy(allow_create({"NumericLessThan": {KEY: 1800}})))
    emu.create_training_job(**request("has-key", keep_alive=0))
    error = denied(emu, request("no-key", keep_alive=None))
    assert KEY in error.message


def test_explicit_deny_wins_over_an_allow() -> None:
    """behaviour §9.7 / D21: an explicit Deny that applies wins."""
    document = policy(
        {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "sagemaker:Create*",
            "Resource": "*",
            "Condition": {"NumericGreaterThan": {KEY: "600"}},
        },
    )
    emu = emulator(keep_alive_policy=document)
    emu.create_training_job(**request("short", keep_alive=600))
    emu.create_training_job(**request("none", keep_alive=None))
    error = denied(emu, request("long", keep_alive=601))
    assert error.message == (
        "User: arn:aws:sts::123456789012:assumed-role/warmpool/emulator is not authorized to "
        "perform: sagemaker:CreateTrainingJob on resource: "
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/long with an explicit deny in "
        "an identity-based policy (request context: sagemaker:KeepAlivePeriod = 601)"
    )


def test_policy_without_an_allow_for_create_denies_every_create() -> None:
    """behaviour §9: some Allow for the action must apply (implicit deny otherwise)."""
    document = policy(
        {"Effect": "Allow", "Action": "sagemaker:DescribeTrainingJob", "Resource": "*"}
    )
    emu = emulator(keep_alive_policy=document)
    error = denied(emu, request("any", keep_alive=None))
    assert error.message == (
        "User: arn:aws:sts::123456789012:assumed-role/warmpool/emulator is not authorized to "
        "perform: sagemaker:CreateTrainingJob on resource: "
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/any because no identity-based "
        "policy allows the sagemaker:CreateTrainingJob action "
        "(request context: sagemaker:KeepAlivePeriod is absent)"
    )


def test_iam_is_not_applied_to_other_operations() -> None:
    """D21: the policy is evaluated on CreateTrainingJob only."""
    document = policy(
        allow_create({"NumericLessThanIfExists": {KEY: 1800}}),
        {
            "Effect": "Deny",
            "Action": [
                "sagemaker:DescribeTrainingJob",
                "sagemaker:UpdateTrainingJob",
                "sagemaker:ListTrainingJobs",
                "sagemaker:StopTrainingJob",
                "sagemaker:DeleteTrainingJob",
            ],
            "Resource": "*",
        },
    )
    emu = emulator(keep_alive_policy=document, training_seconds=None)
    emu.create_training_job(**request("a", keep_alive=600))
    emu.create_training_job(**request("b", keep_alive=600, volume_size=60))
    emu.advance(200)
    emu.complete_training_job("a")
    # a keep-alive the policy would never allow on create is fine on update
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 3600})
    assert describe(emu, "a")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 3600
    assert len(emu.list_training_jobs()["TrainingJobSummaries"]) == 2
    emu.stop_training_job(TrainingJobName="b")
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    emu.delete_training_job(TrainingJobName="a")
    assert emu.job_names() == ["b"]


def test_policy_resource_patterns_match_the_training_job_arn() -> None:
    """behaviour §9: statements apply to the job's ARN; '*' wildcards are allowed."""
    document = policy(
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Resource": "arn:aws:sagemaker:us-east-1:123456789012:training-job/team-a-*",
        }
    )
    emu = emulator(keep_alive_policy=document)
    emu.create_training_job(**request("team-a-1"))
    error = denied(emu, request("team-b-1"))
    assert "training-job/team-b-1" in error.message


def test_malformed_policy_is_refused_when_the_emulator_is_built() -> None:
    """D21: unsupported operators are refused when the emulator is built."""
    with pytest.raises(ValueError, match="StringEquals"):
        WarmPoolEmulator(keep_alive_policy=policy(allow_create({"StringEquals": {KEY: "1800"}})))


def test_next_event_time_skips_what_would_no_longer_do_anything() -> None:
    """behaviour §10.1 / §4 / D5: ``next_event_time()`` is when the emulator next changes by
    itself: it skips a planned end or max runtime of a job that was stopped, the start of a job
    stopped before it, and the expiry of a pool that was reused or whose keep-alive moved."""
    emu = emulator(timing=Timing(stopping_seconds=0))
    emu.create_training_job(**request("stopped", keep_alive=None))
    assert emu.next_event_time() == 180  # its training start
    emu.advance(200)
    assert emu.next_event_time() == 780  # its planned end
    emu.stop_training_job(TrainingJobName="stopped")
    assert emu.next_event_time() is None  # the plan's end and the max runtime are dead
    emu.create_training_job(**request("never-started", keep_alive=None))
    emu.stop_training_job(TrainingJobName="never-started")
    assert emu.next_event_time() is None  # its training start is dead
    emu.create_training_job(**request("pool", keep_alive=600))
    emu.advance(780)  # pool: started at 380, released at 980, Available until 1580
    assert emu.now == 980 and emu.next_event_time() == 1580
    emu.update_training_job(
        TrainingJobName="pool", ResourceConfig={"KeepAlivePeriodInSeconds": 900}
    )
    assert emu.next_event_time() == 1880  # the expiry at 1580 is dead
    emu.create_training_job(**request("reuser", keep_alive=None))
    assert emu.next_event_time() == 1000  # the warm start; the pool's expiry is dead
    emu.advance(20 + 600)
    assert emu.next_event_time() is None


@pytest.mark.parametrize(
    "control", ["complete_training_job", "fail_training_job", "warm_pool", "identity_key"]
)
def test_a_control_refusing_a_job_name_names_itself(control: str) -> None:
    """behaviour §10 / D24: a control asked about a name no job has, or given a name that is
    not a str, says which control refused and why; nothing changes."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    before = (emu.now, len(emu.events))
    with pytest.raises(errors.ControlError) as missing:
        getattr(emu, control)("nope")
    assert str(missing.value) == f"{control}: there is no training job named 'nope'"
    with pytest.raises(errors.InvalidControlArgument) as not_a_name:
        getattr(emu, control)(7)
    assert str(not_a_name.value) == f"{control}: the job name must be a str, not 7"
    assert (emu.now, len(emu.events)) == before


def test_fail_training_job_refuses_a_failure_class_that_is_not_a_name() -> None:
    """behaviour §10.2 / D24: ``failure_class`` is a name such as AlgorithmError; anything
    else is refused with a message saying so, and the job goes on."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    for bad, shown in ((3, "3"), ("not a name", "'not a name'")):
        with pytest.raises(errors.InvalidControlArgument) as caught:
            emu.fail_training_job("job-1", failure_class=bad)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"fail_training_job: failure_class must be a name such as 'AlgorithmError', not {shown}"
        )
    assert describe(emu, "job-1")["TrainingJobStatus"] == "InProgress"


def test_warm_pool_shows_the_pool_of_the_job_asked_about() -> None:
    """behaviour §10.2 / §6: ``warm_pool(name)`` shows that job's pool: its job, instance type
    and count, keep-alive and times; ``time_left`` only while Available, ``billable_seconds``
    and ``reused_by`` once Reused, and a ``reason`` only once Terminated."""
    emu = emulator()
    emu.create_training_job(**request("job-a", instance_count=2, keep_alive=600))
    emu.advance(1000)  # launched and trained at 180..780, Available since 780 until 1380
    view = emu.warm_pool("job-a")
    assert view is not None
    assert attrs.asdict(view) == {
        "job": "job-a",
        "status": "Available",
        "cluster": 1,
        "instance_type": INSTANCE_TYPE,
        "instance_count": 2,
        "keep_alive_seconds": 600,
        "launched_at": 180,
        "available_since": 780,
        "expires_at": 1380,
        "time_left": 380,
        "billable_seconds": None,
        "reused_by": None,
        "reason": None,
    }
    emu.create_training_job(**request("job-b", instance_count=2))
    reused = emu.warm_pool("job-a")
    assert reused is not None
    assert (reused.status, reused.reused_by, reused.reason) == ("Reused", "job-b", None)
    assert (reused.expires_at, reused.time_left, reused.billable_seconds) == (None, None, 220)


def test_fail_training_job_refuses_what_cannot_be_a_failure_reason() -> None:
    """behaviour §10.2 / D24: ``message`` is a str, ``FailureReason``
    (``"{failure_class}: {message}"``) is at most 1024 characters, and only an InProgress job
    can fail; each refusal says which, and changes nothing."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    with pytest.raises(errors.InvalidControlArgument) as caught:
        emu.fail_training_job("job-1", message=b"oops")  # type: ignore[arg-type]
    assert str(caught.value) == "fail_training_job: message must be a str, not b'oops'"
    longest = "x" * (1024 - len("AlgorithmError: "))
    with pytest.raises(errors.InvalidControlArgument) as caught:
        emu.fail_training_job("job-1", message=longest + "x")
    assert str(caught.value) == "fail_training_job: FailureReason would exceed 1024 characters"
    assert describe(emu, "job-1")["TrainingJobStatus"] == "InProgress"
    emu.fail_training_job("job-1", message=longest)
    body = describe(emu, "job-1")
    assert body["FailureReason"] == "AlgorithmError: " + longest
    assert len(body["FailureReason"]) == 1024
    with pytest.raises(errors.ControlError) as refused:
        emu.fail_training_job("job-1")
    assert str(refused.value) == (
        "fail_training_job: 'job-1' is Failed; a job can be failed only while it is InProgress"
    )


def test_not_emulated_message_names_the_operation_and_those_served() -> None:
    """behaviour §12.2: an operation warmpool does not emulate is answered with a message naming
    it and every operation it serves."""
    assert not_emulated_message("CreateEndpoint") == (
        "warmpool does not emulate the SageMaker operation CreateEndpoint; it serves "
        "CreateTrainingJob, DescribeTrainingJob, UpdateTrainingJob, StopTrainingJob, "
        "DeleteTrainingJob, ListTrainingJobs, AddTags, ListTags, DeleteTags"
    )


def test_apply_patch_update_refuses_an_instance_type_that_is_not_a_str() -> None:
    """behaviour §10.2 / D24: ``apply_patch_update(instance_type)`` takes a str or None; anything
    else is refused with a message saying so, and no pool ends."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    emu.advance(1000)
    with pytest.raises(errors.InvalidControlArgument) as caught:
        emu.apply_patch_update(3)  # type: ignore[arg-type]
    assert str(caught.value) == "apply_patch_update: instance_type must be a str or None, not 3"
    assert pool_status(emu, "job-1") == "Available"
