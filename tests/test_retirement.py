"""``WarmPoolEmulator(retain_finished=False)``: finished jobs are retired (behaviour §10.5, D37).

A retired job answers as a name that never existed, jobs still running or holding an
``Available`` pool answer exactly as with ``retain_finished=True``, the billing ledger keeps the
retired jobs' totals (and refuses what totals cannot answer), and an emulator's memory follows
the jobs alive at once, not the jobs ever created.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, ROLE, emulator, request
from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator, errors, pools
from warmpool.events import JobReleased, PoolReused

OTHER_TYPE: Final = "ml.c5.xlarge"
PRICES: Final = {INSTANCE_TYPE: 0.23, OTHER_TYPE: 0.357}
ARN: Final = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"

Outcome = tuple[Any, ...]


def outcome(call: Callable[[], Any]) -> Outcome:
    """What a call answered: ``("ok", result)`` or ``("error", type, message)``."""
    try:
        return ("ok", call())
    except Exception as error:  # every refusal is compared, whatever its class
        return ("error", type(error), str(error))


def on_name(emu: WarmPoolEmulator, what: str, name: str, number: int = 0) -> Outcome:
    """One call about the job ``name`` (``number`` picks an argument where the call has one)."""
    calls: dict[str, Callable[[], Any]] = {
        "describe": lambda: emu.describe_training_job(TrainingJobName=name),
        "stop": lambda: emu.stop_training_job(TrainingJobName=name),
        "keep_alive": lambda: emu.update_training_job(
            TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": number % 3 * 40}
        ),
        "profiler": lambda: emu.update_training_job(
            TrainingJobName=name, ProfilerConfig={"ProfilingIntervalInMilliseconds": 500}
        ),
        "delete": lambda: emu.delete_training_job(TrainingJobName=name),
        "complete": lambda: emu.complete_training_job(name),
        "fail": lambda: emu.fail_training_job(
            name, ("ClientError", "InternalServerError")[number % 2]
        ),
        "add_tags": lambda: emu.add_tags(
            ResourceArn=ARN + name, Tags=[{"Key": f"k{number % 3}", "Value": str(number)}]
        ),
        "list_tags": lambda: emu.list_tags(ResourceArn=ARN + name),
        "delete_tags": lambda: emu.delete_tags(ResourceArn=ARN + name, TagKeys=["k0"]),
        "warm_pool": lambda: emu.warm_pool(name),
        "identity_key": lambda: emu.identity_key(name),
    }
    return outcome(calls[what])


NAME_CALLS: Final = (
    "describe",
    "stop",
    "keep_alive",
    "profiler",
    "delete",
    "complete",
    "fail",
    "add_tags",
    "list_tags",
    "delete_tags",
    "warm_pool",
    "identity_key",
)

# -- the property: retiring changes nothing about the jobs both emulators hold ------------------

IDENTITIES: Final[tuple[dict[str, Any], ...]] = (
    {"instance_type": INSTANCE_TYPE, "instance_count": 1, "role": ROLE},
    {"instance_type": INSTANCE_TYPE, "instance_count": 2, "role": ROLE},
    {"instance_type": INSTANCE_TYPE, "instance_count": 1, "role": OTHER_ROLE},
    {"instance_type": OTHER_TYPE, "instance_count": 1, "role": ROLE},
    {  # heterogeneous: one training interval per group, no warm pool
        "ResourceConfig": {
            "InstanceGroups": [
                {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
                {"InstanceType": OTHER_TYPE, "InstanceCount": 1, "InstanceGroupName": "g2"},
            ]
        },
        "role": OTHER_ROLE,
    },
)
PLANS: Final = (
    None,  # trains until a control call, a stop or its max runtime
    JobPlan(30),
    JobPlan(75),
    JobPlan(40, "AlgorithmError"),
    JobPlan(50, "InternalServerError"),
)

creates = st.tuples(
    st.just("create"),
    st.sampled_from((0, 0, 0, 1, 2, 3, 4)),  # identity: mostly the first, so pools are reused
    st.sampled_from((None, 0, 60, 300, 300)),  # keep-alive
    st.integers(0, len(PLANS) - 1),
    st.sampled_from((60, 86400)),  # max runtime: 60 s ends the unplanned and the 75 s plans
    st.booleans(),  # tagged
)
name_calls = st.tuples(st.sampled_from(NAME_CALLS), st.integers(0, 60), st.integers(0, 5))
steps = st.one_of(
    creates,
    creates,
    creates,
    name_calls,
    name_calls,
    st.tuples(st.just("advance"), st.sampled_from((0, 5, 10, 25))),
    st.tuples(st.just("advance"), st.sampled_from((40, 60, 90, 150))),
    st.tuples(st.just("create_again"), st.integers(0, 60)),
    st.just(("list",)),
    st.tuples(st.just("patch"), st.integers(0, 3)),  # a patch update one time in four
)


def pair(
    stopping: int, plans: dict[str, JobPlan | None]
) -> tuple[WarmPoolEmulator, WarmPoolEmulator]:
    """Two emulators alike but for ``retain_finished``, planning jobs from ``plans``: small
    quotas (so creates are refused and clusters not kept), a short lifetime cap, prices that
    round."""

    def workload(request: Mapping[str, Any]) -> JobPlan | None:
        return plans.get(request["TrainingJobName"])

    settings: dict[str, Any] = {
        "limits": Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=400),
        "timing": Timing(cold_start_seconds=20, warm_start_seconds=10, stopping_seconds=stopping),
        "quotas": {
            INSTANCE_TYPE: Quota(training=8, warm_pool=3),
            OTHER_TYPE: Quota(training=2, warm_pool=1),
        },
        "workload": workload,
        "prices": PRICES,
    }
    return WarmPoolEmulator(**settings), WarmPoolEmulator(**settings, retain_finished=False)


def finished(emu: WarmPoolEmulator, name: str) -> bool:
    """Whether ``emu`` (which retains jobs) has finished ``name``: released, and no warm pool
    ``Available`` (read from the event log and ``warm_pool``: no request is answered)."""
    released = any(isinstance(e, JobReleased) for e in emu.events.for_job(name))
    view = emu.warm_pool(name)
    return released and (view is None or view.status != "Available")


def assert_alike(kept: WarmPoolEmulator, retired: WarmPoolEmulator) -> None:
    """Everything the two emulators must agree on after each step."""
    held = [name for name in kept.job_names() if not finished(kept, name)]
    assert retired.job_names() == held
    assert list(retired.events) == list(kept.events)
    assert retired.quotas.usages() == kept.quotas.usages()
    assert retired.next_event_time() == kept.next_event_time()
    for include_open in (False, True):
        assert retired.billing.total(include_open=include_open) == kept.billing.total(
            include_open=include_open
        )
        for by in ("instance_type", "role"):
            assert retired.billing.totals_by(by, include_open=include_open) == (
                kept.billing.totals_by(by, include_open=include_open)
            )
    assert retired.billing.total(prices={INSTANCE_TYPE: 1.1, OTHER_TYPE: 0.07}) == (
        kept.billing.total(prices={INSTANCE_TYPE: 1.1, OTHER_TYPE: 0.07})
    )
    assert retired.billing.open_retained() == kept.billing.open_retained()
    assert list(retired.billing.retained) == []
    assert list(retired.billing.training) == [t for t in kept.billing.training if t.job in held]


@given(script=st.lists(steps, min_size=20, max_size=60), stopping=st.sampled_from((0, 15)))
def test_retiring_changes_nothing_about_the_jobs_both_emulators_hold(
    script: list[tuple[Any, ...]], stopping: int
) -> None:
    """D37 property: the same random calls on an emulator that retains finished jobs and one
    that retires them give identical answers (responses with their ``RequestId``s, or errors)
    for every call on a job both hold, identical events, quota use, billing totals by instance
    type and role (with prices, open intervals too) and next event time, at every step; a
    retired job answers every call as a job that never existed does."""
    plans: dict[str, JobPlan | None] = {}
    kept, retired = pair(stopping, plans)
    ghost = retired.fresh()  # holds no job: how a name that never existed is answered
    names: list[str] = []
    for step in script:
        kind = step[0]
        if kind == "create":
            _, which, keep_alive, plan, max_runtime, tagged = step
            name = f"job-{len(plans)}"
            plans[name] = PLANS[plan]
            body = request(name, keep_alive=keep_alive, **IDENTITIES[which])
            body["StoppingCondition"] = {"MaxRuntimeInSeconds": max_runtime}
            if tagged:
                body["Tags"] = [{"Key": "team", "Value": "a"}]
            answer = outcome(partial(retired.create_training_job, **body))
            assert answer == outcome(partial(kept.create_training_job, **body))
            if answer[0] == "ok":  # not refused by the training quota
                names.append(name)
        elif kind == "create_again" and names:
            # A name a job still holds is refused by both (AWS's rule, D37 keeps it there).
            name = names[step[1] % len(names)]
            if name in retired.job_names():
                body = request(name)
                answer = outcome(partial(retired.create_training_job, **body))
                assert answer == outcome(partial(kept.create_training_job, **body))
                assert answer[:2] == ("error", errors.ResourceInUse)
        elif kind in NAME_CALLS:
            _, index, number = step
            name = names[index % len(names)] if names and index < 55 else "never-created"
            if name in retired.job_names():
                assert on_name(retired, kind, name, number) == on_name(kept, kind, name, number)
            else:
                if name != "never-created":
                    assert finished(kept, name)
                assert on_name(retired, kind, name, number) == on_name(ghost, kind, name, number)
        elif kind == "advance":
            retired.advance(step[1])
            kept.advance(step[1])
        elif kind == "list":
            listed = outcome(lambda: retired.list_training_jobs(MaxResults=100))
            everything = outcome(lambda: kept.list_training_jobs(MaxResults=100))
            assert listed[0] == everything[0] == "ok"
            held = set(retired.job_names())
            expected = dict(everything[1])
            expected["TrainingJobSummaries"] = [
                s for s in expected["TrainingJobSummaries"] if s["TrainingJobName"] in held
            ]
            assert listed[1] == expected
        elif kind == "patch" and step[1] == 0:
            assert retired.apply_patch_update() == kept.apply_patch_update()
        assert_alike(kept, retired)
    retired_jobs = len(names) - len(retired.job_names())
    event(f"jobs retired: {'0' if not retired_jobs else '1-4' if retired_jobs < 5 else '5+'}")
    event(f"pools reused: {'some' if kept.events.count(PoolReused) else 'none'}")


# -- retired jobs, held jobs ----------------------------------------------------------------------


def test_a_finished_job_answers_every_call_as_a_job_that_never_existed() -> None:
    """D37: the moment a job is finished (trained, no warm pool to keep) it is forgotten: every
    operation, control and introspection answers for its name as for an unknown name, and
    neither ``job_names`` nor ``ListTrainingJobs`` shows it."""
    emu = emulator(retain_finished=False)
    emu.create_training_job(**request("done", keep_alive=None, Tags=[{"Key": "k0", "Value": "v"}]))
    emu.create_training_job(**request("running", keep_alive=None))
    emu.advance(180 + 599)
    assert emu.job_names() == ["done", "running"]
    emu.complete_training_job("done")  # no keep-alive: finished at once
    assert emu.job_names() == ["running"]
    ghost = emu.fresh()
    for what in NAME_CALLS:
        answer = on_name(emu, what, "done")
        assert answer[0] == "error", what
        assert answer == on_name(ghost, what, "done"), what
    assert on_name(emu, "describe", "done")[1:] == (
        errors.ValidationException,
        "An error occurred (ValidationException) when calling the DescribeTrainingJob "
        "operation: Requested resource not found.",
    )
    assert on_name(emu, "delete", "done")[1] is errors.ResourceNotFound
    assert on_name(emu, "warm_pool", "done")[1:] == (
        errors.ControlError,
        "warm_pool: there is no training job named 'done'",
    )
    summaries = emu.list_training_jobs()["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in summaries] == ["running"]


def test_jobs_running_or_holding_an_available_pool_are_held_unchanged() -> None:
    """D37: a job still running, stopping, or holding an ``Available`` pool is held, and
    answers as with ``retain_finished=True``; it is retired when its pool is reused or ends."""
    kept = emulator(training_seconds=None)
    retired = emulator(training_seconds=None, retain_finished=False)
    for emu in (kept, retired):
        emu.create_training_job(**request("pool"))
        emu.create_training_job(**request("running", keep_alive=None, instance_count=2))
        emu.advance(180 + 600)
        emu.complete_training_job("pool")  # its pool is Available
        assert emu.job_names() == ["pool", "running"]
        view = emu.warm_pool("pool")
        assert view is not None and view.status == "Available"
    for what in ("describe", "warm_pool", "identity_key", "list_tags"):
        for name in ("pool", "running"):
            assert on_name(retired, what, name) == on_name(kept, what, name)
    for emu in (kept, retired):
        emu.create_training_job(**request("reuser"))  # takes over "pool"'s pool
    view = kept.warm_pool("pool")
    assert view is not None and view.status == "Reused"
    assert retired.job_names() == ["running", "reuser"]
    assert kept.job_names() == ["pool", "running", "reuser"]
    for emu in (kept, retired):
        emu.advance(10 + 600)
        emu.complete_training_job("reuser")
        emu.advance(1800)  # its pool expires
    assert retired.job_names() == ["running"]
    assert on_name(retired, "describe", "running") == on_name(kept, "describe", "running")


def test_a_retired_name_can_be_used_again_and_a_held_one_cannot() -> None:
    """D37: uniqueness is checked against the jobs the emulator holds; a retired job's name is
    free again (AWS refuses it: keep ``retain_finished=True`` for that rule). The new job starts
    afresh: no tags, its own times."""
    emu = emulator(retain_finished=False)
    emu.create_training_job(**request("name", keep_alive=0, Tags=[{"Key": "k", "Value": "v"}]))
    with pytest.raises(errors.ResourceInUse):
        emu.create_training_job(**request("name"))
    emu.advance(180 + 600)  # trained, no pool kept: retired
    assert emu.job_names() == []
    emu.create_training_job(**request("name"))
    described = emu.describe_training_job(TrainingJobName="name")
    assert described["TrainingJobStatus"] == "InProgress"
    assert described["CreationTime"] == emu.clock.to_datetime(780)
    assert emu.list_tags(ResourceArn=ARN + "name")["Tags"] == []
    kept = emulator()
    kept.create_training_job(**request("name", keep_alive=0))
    kept.advance(180 + 600)
    with pytest.raises(errors.ResourceInUse):
        kept.create_training_job(**request("name"))


def test_retain_finished_is_a_bool_and_fresh_keeps_it() -> None:
    """D37: the constructor refuses anything but a bool, naming the argument; ``fresh()``
    builds an emulator with the same option."""
    for value in (0, 1, None, "no"):
        with pytest.raises(TypeError, match=r"^retain_finished must be a bool, not "):
            WarmPoolEmulator(retain_finished=value)  # type: ignore[arg-type]
    emu = emulator(retain_finished=False).fresh()
    emu.create_training_job(**request("a", keep_alive=None))
    emu.advance(180 + 600)
    assert emu.job_names() == []
    kept = emulator().fresh()
    kept.create_training_job(**request("a", keep_alive=None))
    kept.advance(180 + 600)
    assert kept.job_names() == ["a"]


# -- billing: totals kept, what totals cannot answer ----------------------------------------------


def test_billing_keeps_the_totals_of_retired_jobs() -> None:
    """D37, D27: after jobs are retired, totals (all, by instance type, by role, with prices,
    with open intervals) are those of an emulator that keeps every interval."""
    kept = emulator(prices=PRICES, quotas={INSTANCE_TYPE: Quota(warm_pool=4)})
    retired = emulator(
        prices=PRICES, quotas={INSTANCE_TYPE: Quota(warm_pool=4)}, retain_finished=False
    )
    for emu in (kept, retired):
        emu.create_training_job(**request("a", keep_alive=300))
        emu.create_training_job(**request("b", keep_alive=0, role=OTHER_ROLE))
        emu.create_training_job(**request("c", keep_alive=60, instance_count=3))
        emu.advance(180 + 600 + 100)  # a and c Available; b retired; c expires at 840
        emu.create_training_job(**request("d"))  # takes over a's pool
    assert retired.job_names() == ["d"]
    assert [(r.job, r.ended) for r in kept.billing.retained] == [("c", "Expired"), ("a", "Reused")]
    assert retired.billing.total() == kept.billing.total()
    assert retired.billing.total().training_instance_seconds == 600 * 5
    assert retired.billing.total().retained_instance_seconds == 60 * 3 + 100
    for by in ("instance_type", "role"):
        assert retired.billing.totals_by(by) == kept.billing.totals_by(by)
    assert set(retired.billing.totals_by("role")) == {ROLE, OTHER_ROLE}
    for emu in (kept, retired):
        emu.advance(20 + 600 + 50)  # d starts warm, trains; its pool is Available for 50 s
    assert retired.billing.total(include_open=True) == kept.billing.total(include_open=True)
    assert retired.billing.total(include_open=True).retained_instance_seconds == 60 * 3 + 100 + 50
    assert [t.job for t in retired.billing.training] == ["d"]
    assert list(retired.billing.retained) == []


@pytest.mark.parametrize(
    ("ask", "says"),
    [
        (lambda b: b.total(start=0), "billing.total: a window"),
        (lambda b: b.total(end=3600.0), "billing.total: a window"),
        (lambda b: b.totals_by("role", start=0, end=60), "billing.totals_by: a window"),
        (lambda b: b.totals_by("role", start=0), "billing.totals_by: a window"),
        (lambda b: b.totals_by("instance_type", end=60), "billing.totals_by: a window"),
        (lambda b: b.totals_by("job"), "billing.totals_by('job')"),
    ],
)
def test_billing_refuses_what_totals_cannot_answer(ask: Callable[[Any], object], says: str) -> None:
    """D37: with ``retain_finished=False`` a windowed total and totals by job raise
    ``ControlError`` naming the option (always: the answer would depend on what was retired);
    the same questions are answered with ``retain_finished=True``."""
    retired = emulator(retain_finished=False)
    retired.create_training_job(**request("a"))
    retired.advance(180 + 600)
    with pytest.raises(errors.ControlError, match=r"retain_finished=False") as refused:
        ask(retired.billing)
    assert str(refused.value).startswith(says)
    fix = "to total by job" if "'job'" in says else "to total a window"
    assert str(refused.value).endswith(f"; build it with retain_finished=True {fix}")
    assert not isinstance(refused.value, errors.InvalidControlArgument)
    with pytest.raises(ValueError, match="by must be"):
        retired.billing.totals_by("cluster")  # type: ignore[arg-type]
    kept = emulator()
    kept.create_training_job(**request("a"))
    kept.advance(180 + 600)
    ask(kept.billing)


WINDOW_REFUSED: Final = (
    "a window (start, end) needs every interval, and an emulator built with "
    "retain_finished=False keeps only totals for the jobs it retired; build it with "
    "retain_finished=True to total a window"
)


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        (lambda b: b.total(start=0, end=60), f"billing.total: {WINDOW_REFUSED}"),
        (lambda b: b.totals_by("role", start=0, end=60), f"billing.totals_by: {WINDOW_REFUSED}"),
        (
            lambda b: b.totals_by("job"),
            "billing.totals_by('job'): an emulator built with retain_finished=False keeps only "
            "totals by instance type and role for the jobs it retired; build it with "
            "retain_finished=True to total by job",
        ),
    ],
)
def test_billing_refusal_of_what_totals_cannot_answer_says_why_in_full(
    ask: Callable[[Any], object], message: str
) -> None:
    """D37: the whole text of the refusal of a window or of totals by job: what was asked,
    why the totals cannot answer it, and the option that would."""
    retired = emulator(retain_finished=False)
    with pytest.raises(errors.ControlError) as refused:
        ask(retired.billing)
    assert str(refused.value) == message


def test_retired_totals_leave_out_open_intervals_and_use_the_prices_given() -> None:
    """D37 / D27: with ``retain_finished=False``, ``totals_by`` (like ``total``) leaves out the
    open retained intervals unless ``include_open=True``, and prices with the table it is
    given, as an emulator that keeps every interval does."""
    both = []
    for retain_finished in (True, False):
        emu = emulator(retain_finished=retain_finished, prices=PRICES)
        emu.create_training_job(**request("a"))
        emu.advance(180 + 600 + 100)  # a's pool has been Available for 100 s
        both.append(emu.billing)
    kept, retired = both
    for by in ("instance_type", "role"):
        closed = retired.totals_by(by)
        assert closed == retired.totals_by(by, include_open=False) == kept.totals_by(by)
        assert closed != retired.totals_by(by, include_open=True)
        cheap = {INSTANCE_TYPE: 0.01}
        assert retired.totals_by(by, prices=cheap) == kept.totals_by(by, prices=cheap)
        assert retired.totals_by(by, prices=cheap) != retired.totals_by(by)


# -- bounded memory -------------------------------------------------------------------------------

KEEP_ALIVE: Final = 300
TEAMS: Final = ("a", "b", "c")


def replay(
    n: int, *, retain_finished: bool, check: Callable[[WarmPoolEmulator], None]
) -> WarmPoolEmulator:
    """``n`` jobs of 40 identities, one created every 6 s, each training 600-1190 s; some are
    stopped, some fail, all are tagged. ``check(emu)`` runs every 500 jobs. Ends when every
    pool has expired. The listing's indexes are built first, so they are kept up to date."""
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=10_000), OTHER_TYPE: Quota(warm_pool=10_000)},
        workload=lambda req: JobPlan(600 + int(req["TrainingJobName"][4:]) % 60 * 10),
        event_log_maxlen=0,
        retain_finished=retain_finished,
    )
    emu.list_training_jobs()
    for k in range(n):
        emu.run_until(k * 6)
        body = request(
            f"job-{k:06d}",
            keep_alive=KEEP_ALIVE,
            instance_type=(INSTANCE_TYPE, OTHER_TYPE)[k % 2],
            instance_count=1 + k % 5,
            role=(ROLE, OTHER_ROLE)[k % 4 // 2],
            volume_size=10 + k % 4,
            Tags=[{"Key": "team", "Value": TEAMS[k % 3]}],
        )
        emu.create_training_job(**body)
        if k % 50 == 7:
            emu.stop_training_job(TrainingJobName=body["TrainingJobName"])
        if k % 500 == 499:
            check(emu)
    emu.run_until(n * 6 + 180 + 1200 + KEEP_ALIVE + 1)
    check(emu)
    return emu


#: Jobs alive at once in :func:`replay`: created in the last start + training + keep-alive.
ALIVE: Final = (180 + 1190 + KEEP_ALIVE) // 6 + 1


def bounded(emu: WarmPoolEmulator) -> None:
    """What an emulator that retires jobs holds: no more than the jobs alive at once."""
    held = len(emu.job_names())
    assert held <= ALIVE
    listed, token = 0, None
    while True:
        page = emu.list_training_jobs(MaxResults=100, **({"NextToken": token} if token else {}))
        listed += len(page["TrainingJobSummaries"])
        token = page.get("NextToken")
        if token is None:
            break
    assert listed == held
    assert len(emu.billing.training) <= held
    assert len(emu.billing.retained) == 0
    assert len(emu.clock) <= 3 * ALIVE  # a start, an end and an expiry per job at most
    # The internals that could grow with the jobs ever created (read here, not in the API):
    assert len(emu._tags) <= held
    assert len(emu._pools._by_key) <= held
    assert len(emu.billing._sums) <= 4  # type: ignore[attr-defined]  # 2 types x 2 roles


def held_bytes(n: int, *, retain_finished: bool) -> int:
    """``tracemalloc`` bytes held by a :func:`replay` of ``n`` jobs at its end, emulator alive."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        emu = replay(n, retain_finished=retain_finished, check=lambda emu: None)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert emu.now > 0
    return held


def pool_bytes_after_keys_used_once(n: int) -> int:
    """``tracemalloc`` bytes held, at the end, by what ``warmpool/pools.py`` allocated in an
    emulator whose ``n`` jobs each have their own identity key, asked for once: every other
    job's pool expires, the others' are taken over by a job with no keep-alive (which keeps
    none). Only that module's allocations are counted (no private attribute is read):
    validation caches each distinct request, up to a bound, and those bytes would hide a
    queue's."""
    gc.collect()
    tracemalloc.start()
    try:
        emu = WarmPoolEmulator(
            quotas={INSTANCE_TYPE: Quota(warm_pool=10)},
            workload=lambda _request: JobPlan(training_seconds=10),
            event_log_maxlen=0,
            retain_finished=False,
        )
        for k in range(n):
            emu.create_training_job(**request(f"pool-{k}", keep_alive=60, volume_size=10 + k))
            emu.advance(180 + 10)  # trained 180..190, Available until 250
            if k % 2:
                emu.create_training_job(
                    **request(f"taker-{k}", keep_alive=None, volume_size=10 + k)
                )
            emu.advance(100)  # expired at 250, or taken over and released at 220
        assert emu.job_names() == [] and emu.quotas.retained(INSTANCE_TYPE) == 0
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    traces = snapshot.filter_traces([tracemalloc.Filter(True, pools.__file__)])
    return sum(stat.size for stat in traces.statistics("filename"))


def test_memory_of_warm_pools_does_not_grow_with_identity_keys_never_asked_for_again() -> None:
    """D37 / behaviour §6 (Reuse): once an identity key's last pool has expired or been taken
    over by a job that keeps none, the emulator holds nothing for that key: the warm pools
    hold as many bytes after 100 keys used once as after 10."""
    small = pool_bytes_after_keys_used_once(10)
    large = pool_bytes_after_keys_used_once(100)
    assert large <= small + 1024, (small, large)


def test_memory_is_bounded_by_the_jobs_alive_at_once_not_the_jobs_created() -> None:
    """D37: replaying 20,000 jobs with ``retain_finished=False`` (and ``event_log_maxlen=0``),
    the jobs held, the listing's indexes, the tag store, the warm pool queues, the billing
    ledger and the clock stay within the jobs alive at once, at every check; at the end the
    emulator holds no job, and about as many bytes after 20,000 jobs as after 2,000. The same
    measure grows with the jobs when they are retained, so it can see a leak."""
    emu = replay(20_000, retain_finished=False, check=bounded)
    assert emu.job_names() == []
    small = held_bytes(2_000, retain_finished=False)
    large = held_bytes(20_000, retain_finished=False)
    assert large <= small * 1.1 + 64 * 1024, (small, large)
    kept_small = held_bytes(2_000, retain_finished=True)
    kept_large = held_bytes(4_000, retain_finished=True)
    assert kept_large - kept_small > 2_000 * 200, (kept_small, kept_large)
