"""The two lifecycle machines and the job statuses they produce (behaviour §5, §6 last bullet).

The machines are checked directly (exact edges, every other move illegal, the compiled
``Moves`` table agrees with a real ``transitions`` model driven through the same machine) and
through the emulator (every path a job can take, and random sessions whose observed statuses
only ever move along the machines' edges).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import Machine, MachineError
from transitions.extensions.states import Timeout

from tests.factories import describe, emulator, request
from warmpool import JobPlan, Timing, WarmPoolEmulator, errors
from warmpool.errors import ControlError, IllegalTransition, WarmPoolError
from warmpool.lifecycle import JOB, JOB_MACHINE, POOL, POOL_MACHINE, TRAINING_JOB_STATUS, Moves

COLD = 180
WARM = 20

POOL_STATES = ("InUse", "Available", "Reused", "Terminated")
POOL_EDGES = {
    ("InUse", "keep", "Available"),
    ("Available", "reuse", "Reused"),
    ("InUse", "terminate", "Terminated"),
    ("Available", "terminate", "Terminated"),
}
JOB_STATES = (
    "Starting",
    "Training",
    "Stopping",
    "Completed",
    "Failed",
    "Stopped",
    "MaxRuntimeExceeded",
)
# behaviour §5: start after cold/warm start; complete only while training (D24); fail any time
# InProgress; stop on an InProgress job, then Stopped; max runtime only after training start.
JOB_EDGES = {
    ("Starting", "start", "Training"),
    ("Training", "complete", "Completed"),
    ("Starting", "fail", "Failed"),
    ("Training", "fail", "Failed"),
    ("Starting", "stop", "Stopping"),
    ("Training", "stop", "Stopping"),
    ("Stopping", "finish_stop", "Stopped"),
    ("Training", "time_out", "MaxRuntimeExceeded"),
}
# behaviour §5 / botocore's model (SecondaryStatus): TrainingJobStatus of each SecondaryStatus
JOB_STATUS = {
    "Starting": "InProgress",
    "Training": "InProgress",
    "Stopping": "Stopping",
    "Completed": "Completed",
    "Failed": "Failed",
    "Stopped": "Stopped",
    "MaxRuntimeExceeded": "Stopped",
}
MACHINES = [
    pytest.param(POOL_MACHINE, POOL, id="pool"),
    pytest.param(JOB_MACHINE, JOB, id="job"),
]


def statuses(emu: WarmPoolEmulator, name: str) -> tuple[str, str]:
    body = describe(emu, name)
    return body["TrainingJobStatus"], body["SecondaryStatus"]


def transitions_of(emu: WarmPoolEmulator, name: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = describe(emu, name)["SecondaryStatusTransitions"]
    return steps


def reachable(edges: set[tuple[str, str, str]]) -> dict[str, set[str]]:
    """For each state, the states reachable from it in zero or more moves."""
    states = {s for s, _, _ in edges} | {d for _, _, d in edges}
    closure = {state: {state} for state in states}
    changed = True
    while changed:
        changed = False
        for source, _, dest in edges:
            for state in states:
                if source in closure[state] and dest not in closure[state]:
                    closure[state].add(dest)
                    changed = True
    return closure


# -- the machines themselves -----------------------------------------------------------------


def test_pool_edges_are_exactly_the_four_allowed_moves() -> None:
    """behaviour §6: InUse→Available, Available→Reused, InUse→Terminated, Available→Terminated."""
    assert POOL.edges() == frozenset(POOL_EDGES)
    assert set(POOL.states) == set(POOL_STATES)
    assert POOL_MACHINE.initial == "InUse"


def test_every_other_pool_move_is_illegal() -> None:
    """behaviour §6: "Nothing else, ever": every other (state, trigger) raises IllegalTransition."""
    triggers = {t for _, t, _ in POOL_EDGES} | {"start", "complete", "bogus", "to_Available"}
    for state in (*POOL_STATES, "Bogus"):
        for trigger in triggers:
            legal = {d for s, t, d in POOL_EDGES if (s, t) == (state, trigger)}
            if legal:
                assert POOL(state, trigger) == legal.pop()
                assert POOL.can(state, trigger)
            else:
                assert not POOL.can(state, trigger)
                with pytest.raises(IllegalTransition):
                    POOL(state, trigger)


def test_job_edges_match_the_job_lifecycle() -> None:
    """behaviour §5 / D8 / D9 / D24: the training job machine's moves."""
    assert JOB.edges() == frozenset(JOB_EDGES)
    assert set(JOB.states) == set(JOB_STATES)
    assert JOB_MACHINE.initial == "Starting"


def test_every_other_job_move_is_illegal() -> None:
    """behaviour §5: a move the job machine does not define raises IllegalTransition."""
    triggers = {t for _, t, _ in JOB_EDGES} | {"keep", "reuse", "bogus", "to_Training"}
    for state in (*JOB_STATES, "Bogus"):
        for trigger in triggers:
            legal = {d for s, t, d in JOB_EDGES if (s, t) == (state, trigger)}
            if legal:
                assert JOB(state, trigger) == legal.pop()
            else:
                assert not JOB.can(state, trigger)
                with pytest.raises(IllegalTransition):
                    JOB(state, trigger)


def test_illegal_transition_is_not_an_aws_error() -> None:
    """errors module: IllegalTransition signals a warmpool bug, not an AWS error."""
    assert not issubclass(IllegalTransition, WarmPoolError)


def test_training_job_status_of_each_secondary_status() -> None:
    """behaviour §5 / botocore's model: the TrainingJobStatus each SecondaryStatus belongs to."""
    assert dict(TRAINING_JOB_STATUS) == JOB_STATUS


@pytest.mark.parametrize(("machine", "moves"), MACHINES)
def test_machines_have_no_auto_transitions_and_no_timeout_states(
    machine: Machine, moves: Moves
) -> None:
    """behaviour §6 ("impossible by construction"): no to_<state> auto moves, no Timeout states;
    time belongs to the virtual clock."""
    assert machine.auto_transitions is False
    assert not any(name.startswith("to_") for name in machine.events)
    assert set(machine.events) == set(moves.triggers)
    for state in machine.states.values():
        assert not isinstance(state, Timeout)
        assert not getattr(state, "timeout", 0)


class _Model:
    """A throwaway model for driving a real ``transitions`` machine."""

    state: str


@settings(max_examples=60)
@pytest.mark.parametrize(("machine", "moves"), MACHINES)
@given(data=st.data())
def test_moves_table_agrees_with_transitions_machine(
    machine: Machine, moves: Moves, data: st.DataObject
) -> None:
    """behaviour §6.2 / lifecycle: the compiled Moves table gives exactly the machine's behaviour
    for random trigger sequences from any state."""
    initial = data.draw(st.sampled_from(moves.states), label="initial")
    triggers = data.draw(st.lists(st.sampled_from(moves.triggers), max_size=12), label="triggers")
    model = _Model()
    machine.add_model(model, initial=initial)
    try:
        state = initial
        for trigger in triggers:
            try:
                expected: str | None = moves(state, trigger)
            except IllegalTransition:
                expected = None
            try:
                assert getattr(model, trigger)() is True
                actual: str | None = model.state
            except MachineError:
                actual = None
                assert model.state == state
            assert actual == expected
            assert moves.can(state, trigger) == (expected is not None)
            state = model.state
    finally:
        machine.remove_model(model)


# -- job paths through the emulator ----------------------------------------------------------


def test_completed_path() -> None:
    """behaviour §5.1-3: InProgress/Starting → InProgress/Training → Completed/Completed."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("a"))
    assert statuses(emu, "a") == ("InProgress", "Starting")
    emu.advance(COLD)
    assert statuses(emu, "a") == ("InProgress", "Training")
    emu.advance(600)
    assert statuses(emu, "a") == ("Completed", "Completed")
    body = describe(emu, "a")
    assert body["TrainingTimeInSeconds"] == body["BillableTimeInSeconds"] == 600
    assert "FailureReason" not in body


@pytest.mark.parametrize("phase", ["Starting", "Training"])
def test_fail_path(phase: str) -> None:
    """behaviour §5.3 / §5.6 / D10: fail_training_job while InProgress gives Failed with
    FailureReason "{class}: {message}" (default message "The training job failed.")."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("a"))
    emu.advance(10 if phase == "Starting" else COLD + 10)
    assert statuses(emu, "a") == ("InProgress", phase)
    emu.fail_training_job("a", "AlgorithmError")
    assert statuses(emu, "a") == ("Failed", "Failed")
    body = describe(emu, "a")
    assert body["FailureReason"] == "AlgorithmError: The training job failed."
    assert [t["Status"] for t in body["SecondaryStatusTransitions"]] == [
        *(["Starting"] if phase == "Starting" else ["Starting", "Training"]),
        "Failed",
    ]
    assert ("TrainingStartTime" in body) is (phase == "Training")
    emu.advance(COLD)  # a cancelled launch never starts training
    assert statuses(emu, "a") == ("Failed", "Failed")
    assert ("TrainingStartTime" in describe(emu, "a")) is (phase == "Training")


def test_plan_failure_outcome() -> None:
    """behaviour §10.3 / D25: a plan with a failure class fails the job when its time is up."""
    emu = emulator(
        workload=lambda _r: JobPlan(
            training_seconds=50, failure_class="ClientError", failure_message="bad channel"
        )
    )
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 49)
    assert statuses(emu, "a") == ("InProgress", "Training")
    emu.advance(1)
    assert statuses(emu, "a") == ("Failed", "Failed")
    assert describe(emu, "a")["FailureReason"] == "ClientError: bad channel"


@pytest.mark.parametrize("phase", ["Starting", "Training"])
def test_stop_path_shows_stopping(phase: str) -> None:
    """behaviour §5.4 / D9: StopTrainingJob → Stopping/Stopping for stopping_seconds → Stopped."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("a"))
    emu.advance(10 if phase == "Starting" else COLD + 10)
    emu.stop_training_job(TrainingJobName="a")
    assert statuses(emu, "a") == ("Stopping", "Stopping")
    steps = transitions_of(emu, "a")
    assert steps[-1]["Status"] == "Stopping"
    assert "EndTime" not in steps[-1]
    emu.advance(30)
    assert statuses(emu, "a") == ("Stopped", "Stopped")
    body = describe(emu, "a")
    expected = ["Starting", "Stopping", "Stopped"]
    if phase == "Training":
        expected = ["Starting", "Training", "Stopping", "Stopped"]
        assert body["TrainingTimeInSeconds"] == 10 + 30  # TrainingEndTime is when Stopped
    else:
        assert "TrainingStartTime" not in body
    assert [t["Status"] for t in body["SecondaryStatusTransitions"]] == expected
    assert body["TrainingEndTime"] == body["CreationTime"] + timedelta(
        seconds=(10 if phase == "Starting" else COLD + 10) + 30
    )


def test_max_runtime_stops_with_max_runtime_exceeded() -> None:
    """behaviour §5.3 / D8: MaxRuntimeInSeconds after training start ends as Stopped /
    MaxRuntimeExceeded at once, with no Stopping phase; the cluster can be kept."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("a", StoppingCondition={"MaxRuntimeInSeconds": 300}))
    emu.advance(COLD + 299)
    assert statuses(emu, "a") == ("InProgress", "Training")
    emu.advance(1)
    assert statuses(emu, "a") == ("Stopped", "MaxRuntimeExceeded")
    body = describe(emu, "a")
    assert [t["Status"] for t in body["SecondaryStatusTransitions"]] == [
        "Starting",
        "Training",
        "MaxRuntimeExceeded",
    ]
    assert body["TrainingTimeInSeconds"] == 300
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_default_max_runtime_is_one_day() -> None:
    """behaviour §5.3 / D8 / D22: without StoppingCondition the max runtime is 86400 s."""
    emu = emulator(training_seconds=None)
    body = request("a")
    del body["StoppingCondition"]
    emu.create_training_job(**body)
    assert describe(emu, "a")["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400}
    emu.advance(COLD + 86400 - 1)
    assert statuses(emu, "a") == ("InProgress", "Training")
    emu.advance(1)
    assert statuses(emu, "a") == ("Stopped", "MaxRuntimeExceeded")


@pytest.mark.parametrize(
    ("plan", "expected", "seconds"),
    [
        (300, ("Completed", "Completed"), 300),
        (300.5, ("Stopped", "MaxRuntimeExceeded"), 300),
        (299.5, ("Completed", "Completed"), 300),
    ],
)
def test_plan_versus_max_runtime_tie_plan_wins(
    plan: float, expected: tuple[str, str], seconds: int
) -> None:
    """D8: the first of plan and max runtime ends training; on a tie the plan wins."""
    emu = emulator(training_seconds=plan)
    emu.create_training_job(**request("a", StoppingCondition={"MaxRuntimeInSeconds": 300}))
    emu.advance(COLD + 400)
    assert statuses(emu, "a") == expected
    assert describe(emu, "a")["TrainingTimeInSeconds"] == seconds


def test_control_call_before_plan_end_wins() -> None:
    """behaviour §5.3: training ends at the first of plan and control call; the later one is
    moot."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 100)
    emu.complete_training_job("a")
    end = describe(emu, "a")["TrainingEndTime"]
    emu.advance(1000)
    body = describe(emu, "a")
    assert (body["TrainingJobStatus"], body["TrainingEndTime"]) == ("Completed", end)
    assert body["TrainingTimeInSeconds"] == 100


@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopped", "Stopping"])
def test_stop_refused_unless_in_progress(status: str) -> None:
    """behaviour §5.4 / D9: StopTrainingJob on any status but InProgress is ValidationException."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("a"))
    emu.advance(COLD)
    if status == "Completed":
        emu.complete_training_job("a")
    elif status == "Failed":
        emu.fail_training_job("a")
    else:
        emu.stop_training_job(TrainingJobName="a")
        if status == "Stopped":
            emu.advance(30)
    assert describe(emu, "a")["TrainingJobStatus"] == status
    with pytest.raises(errors.ValidationException) as info:
        emu.stop_training_job(TrainingJobName="a")
    assert info.value.message == (
        f"The request was rejected because the training job is in status {status}."
    )
    assert describe(emu, "a")["TrainingJobStatus"] == status


def test_control_misuse_raises_control_error() -> None:
    """D24: complete only while Training, fail only while InProgress; ControlError is not an
    AWS error."""
    assert not issubclass(ControlError, WarmPoolError)
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("a"))
    with pytest.raises(ControlError):
        emu.complete_training_job("a")  # Starting
    emu.advance(COLD)
    emu.stop_training_job(TrainingJobName="a")
    with pytest.raises(ControlError):
        emu.fail_training_job("a")  # Stopping is not InProgress
    with pytest.raises(ControlError):
        emu.complete_training_job("a")
    emu.advance(30)
    with pytest.raises(ControlError):
        emu.fail_training_job("a")  # Stopped
    with pytest.raises(ControlError):
        emu.complete_training_job("missing")
    assert statuses(emu, "a") == ("Stopped", "Stopped")


def test_secondary_status_transitions_contents() -> None:
    """behaviour §9.2 / D22: SecondaryStatusTransitions follow the job's history: each step starts
    when the previous ended, the current step has no EndTime, each has a StatusMessage."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("a"))
    created = describe(emu, "a")["CreationTime"]
    (only,) = transitions_of(emu, "a")
    assert only["Status"] == "Starting"
    assert only["StartTime"] == created
    assert "EndTime" not in only
    emu.advance(COLD + 10)
    starting, training = transitions_of(emu, "a")
    assert starting["EndTime"] == training["StartTime"] == created + timedelta(seconds=COLD)
    assert "EndTime" not in training
    emu.advance(590)
    steps = transitions_of(emu, "a")
    assert [s["Status"] for s in steps] == ["Starting", "Training", "Completed"]
    body = describe(emu, "a")
    assert steps[0]["StartTime"] == body["CreationTime"]
    assert steps[1]["StartTime"] == body["TrainingStartTime"]
    assert steps[1]["EndTime"] == steps[2]["StartTime"] == body["TrainingEndTime"]
    for step in steps:
        assert isinstance(step["StatusMessage"], str)
        assert step["StatusMessage"]
        assert set(step) <= {"Status", "StartTime", "EndTime", "StatusMessage"}
        if "EndTime" in step:
            assert step["EndTime"] >= step["StartTime"]


def test_warm_start_transitions_start_with_starting() -> None:
    """behaviour §5.2 / D7: a warm job also goes Starting → Training, after warm_start_seconds."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 600)
    emu.create_training_job(**request("b"))
    emu.advance(WARM + 600)
    steps = transitions_of(emu, "b")
    assert [s["Status"] for s in steps] == ["Starting", "Training", "Completed"]
    assert steps[0]["EndTime"] - steps[0]["StartTime"] == timedelta(seconds=WARM)


# -- random sessions: observed statuses follow the machines -----------------------------------

JOB_REACH = reachable(JOB_EDGES)
POOL_REACH = reachable(POOL_EDGES)
NAMES = ("a", "b", "c", "d")

actions = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(NAMES), st.sampled_from([None, 0, 60, 600])),
    st.tuples(st.just("advance"), st.integers(0, 900), st.just(None)),
    st.tuples(st.just("stop"), st.sampled_from(NAMES), st.just(None)),
    st.tuples(st.just("complete"), st.sampled_from(NAMES), st.just(None)),
    st.tuples(
        st.just("fail"), st.sampled_from(NAMES), st.sampled_from(["AlgorithmError", "Other"])
    ),
    st.tuples(st.just("release"), st.sampled_from(NAMES), st.just(None)),
    st.tuples(st.just("patch"), st.just(None), st.just(None)),
)


def _apply(emu: WarmPoolEmulator, action: tuple[str, Any, Any]) -> None:
    kind, target, extra = action
    try:
        if kind == "create":
            emu.create_training_job(**request(target, keep_alive=extra))
        elif kind == "advance":
            emu.advance(target)
        elif kind == "stop":
            emu.stop_training_job(TrainingJobName=target)
        elif kind == "complete":
            emu.complete_training_job(target)
        elif kind == "fail":
            emu.fail_training_job(target, extra)
        elif kind == "release":
            emu.update_training_job(
                TrainingJobName=target, ResourceConfig={"KeepAlivePeriodInSeconds": 0}
            )
        else:
            emu.apply_patch_update()
    except (errors.WarmPoolError, ControlError):
        pass


def _observe(emu: WarmPoolEmulator) -> Mapping[str, tuple[str, str, str | None]]:
    seen = {}
    for summary in emu.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]:
        pool = summary.get("WarmPoolStatus")
        seen[summary["TrainingJobName"]] = (
            summary["TrainingJobStatus"],
            summary["SecondaryStatus"],
            None if pool is None else pool["Status"],
        )
    return seen


@settings(max_examples=60)
@given(
    session=st.lists(actions, max_size=25),
    stopping=st.sampled_from([0, 15]),
    training=st.sampled_from([None, 100.0, 500.0]),
)
def test_observed_statuses_only_move_along_machine_edges(
    session: list[tuple[str, Any, Any]], stopping: int, training: float | None
) -> None:
    """behaviour §6.2 / §11: across random sessions, each job's SecondaryStatus and warm pool status
    only ever move along the machines' edges, and TrainingJobStatus matches SecondaryStatus."""
    emu = emulator(training_seconds=training, timing=Timing(stopping_seconds=stopping))
    before = _observe(emu)
    for action in session:
        _apply(emu, action)
        after = _observe(emu)
        for name, (status, secondary, pool) in after.items():
            assert status == JOB_STATUS[secondary]
            if name not in before:
                assert secondary == "Starting"
                assert pool in (None, "InUse")
                continue
            _, old_secondary, old_pool = before[name]
            assert secondary in JOB_REACH[old_secondary]
            if old_pool is None:
                assert pool is None
            else:
                assert pool is not None
                assert pool in POOL_REACH[old_pool]
        before = after


def _tiny_machine(transitions: list[dict[str, Any]]) -> Machine:
    return Machine(
        model=None,
        states=["A", "B", "C"],
        initial="A",
        transitions=transitions,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def test_moves_compiles_every_plain_move_of_any_machine() -> None:
    """behaviour §6.2 / D11 (lifecycle): ``Moves`` compiles a machine's plain moves into its
    table under the name it is given: its states, triggers, edges and refusals are the
    machine's, whichever machine it is."""
    machine = _tiny_machine(
        [
            {"trigger": "go", "source": "A", "dest": "B"},
            {"trigger": "go", "source": "B", "dest": "C"},
            {"trigger": "back", "source": ["B", "C"], "dest": "A"},
        ]
    )
    moves = Moves(machine, "tiny")
    assert moves.name == "tiny"
    assert moves.states == ("A", "B", "C")
    assert moves.triggers == ("go", "back")
    assert moves.edges() == {
        ("A", "go", "B"),
        ("B", "go", "C"),
        ("B", "back", "A"),
        ("C", "back", "A"),
    }
    assert moves("A", "go") == "B" and moves("C", "back") == "A"
    with pytest.raises(IllegalTransition, match=r"^tiny: no move 'back' from state 'A'$"):
        moves("A", "back")


@pytest.mark.parametrize(
    ("transitions", "refusal"),
    [
        (
            [{"trigger": "go", "source": "A", "dest": "B", "conditions": "ready"}],
            "^tiny: 'go' from 'A' is not a plain move$",
        ),
        (
            [
                {"trigger": "go", "source": "A", "dest": "B", "unless": "ready"},
                {"trigger": "go", "source": "A", "dest": "C"},
            ],
            "^tiny: 'go' from 'A' is not a plain move$",
        ),
        (
            [
                {"trigger": "go", "source": "B", "dest": "C"},
                {"trigger": "go", "source": "A", "dest": "B"},
                {"trigger": "go", "source": "A", "dest": "C"},
            ],
            "^tiny: 'go' from 'A' is not a plain move$",
        ),
        (
            [{"trigger": "poke", "source": "A", "dest": None}],
            "^tiny: 'poke' from 'A' is an internal move$",
        ),
    ],
)
def test_moves_refuses_a_machine_whose_move_is_not_plain(
    transitions: list[dict[str, Any]], refusal: str
) -> None:
    """behaviour §6.2 / D11 (lifecycle): a move that depends on a condition, has more than one
    destination or stays where it is cannot be a row of the table; ``Moves`` refuses such a
    machine rather than compile a table that would disagree with it."""
    with pytest.raises(ValueError, match=refusal):
        Moves(_tiny_machine(transitions), "tiny")
