"""The billing ledger: retained and training intervals, totals, windows, cost (behaviour §8, D27).

Default timing: a job created at 0 with the factory's 600 s plan trains 180..780 and is
released at 780.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, ROLE, emulator, request
from warmpool import (
    BillingTotals,
    JobPlan,
    Limits,
    Quota,
    RetainedInterval,
    Timing,
    TrainingInterval,
    WarmPoolEmulator,
    errors,
)
from warmpool.billing import billable_seconds

OTHER_TYPE = "ml.c5.xlarge"


# --- local helpers ---------------------------------------------------------------------------


def retained_of(emu: WarmPoolEmulator, name: str) -> int | None:
    warm_pool = emu.describe_training_job(TrainingJobName=name).get("WarmPoolStatus", {})
    value = warm_pool.get("ResourceRetainedBillableTimeInSeconds")
    return None if value is None else int(value)


def available_at_1000(count: int = 1, keep_alive: int = 1800, **kwargs: Any) -> WarmPoolEmulator:
    """``job-a`` (``count`` instances) released at 780 and Available at t=1000."""
    emu = emulator(**kwargs)
    emu.create_training_job(**request("job-a", instance_count=count, keep_alive=keep_alive))
    emu.advance(1000)
    return emu


def two_types() -> WarmPoolEmulator:
    """At t=1000: job-a (m5 x1, ROLE) trained 180..780, Available 780..1000 then released;
    job-b (c5 x2, OTHER_ROLE) trained 180..780 with no keep-alive."""
    emu = emulator()
    emu.create_training_job(**request("job-a"))
    emu.create_training_job(
        **request(
            "job-b", instance_type=OTHER_TYPE, instance_count=2, role=OTHER_ROLE, keep_alive=None
        )
    )
    emu.advance(1000)
    emu.update_training_job(TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    return emu


# --- retained intervals and how they end -------------------------------------------------------


def test_reused_pool_records_an_interval_ending_reused() -> None:
    """behaviour §8 / D27: the retained interval ends Reused when a matching job takes the pool."""
    emu = available_at_1000(count=3)
    emu.create_training_job(**request("job-b", instance_count=3))
    assert list(emu.billing.retained) == [
        RetainedInterval("job-a", 1, INSTANCE_TYPE, 3, ROLE, 780, 1000, "Reused", 220)
    ]
    assert emu.billing.retained[0].instance_seconds == 660


def test_expired_pool_records_an_interval_ending_expired() -> None:
    """behaviour §8 / D27: keep-alive expiry ends the interval with Expired."""
    emu = emulator()
    emu.create_training_job(**request("job-a", keep_alive=300))
    emu.advance(2000)
    assert list(emu.billing.retained) == [
        RetainedInterval("job-a", 1, INSTANCE_TYPE, 1, ROLE, 780, 1080, "Expired", 300)
    ]


def test_released_pool_records_an_interval_ending_released() -> None:
    """behaviour §8 / D27: UpdateTrainingJob keep-alive 0 ends the interval with Released."""
    emu = available_at_1000(count=2)
    emu.update_training_job(TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert list(emu.billing.retained) == [
        RetainedInterval("job-a", 1, INSTANCE_TYPE, 2, ROLE, 780, 1000, "Released", 220)
    ]


def test_patch_update_records_an_interval_ending_patch_update() -> None:
    """behaviour §8 / D27: a patch update ends the interval with PatchUpdate."""
    emu = available_at_1000()
    assert emu.apply_patch_update() == 1
    assert list(emu.billing.retained) == [
        RetainedInterval("job-a", 1, INSTANCE_TYPE, 1, ROLE, 780, 1000, "PatchUpdate", 220)
    ]


def test_lifetime_cap_records_an_interval_ending_lifetime_cap() -> None:
    """behaviour §8 / D13 / D27: the chain cap (launch 180 + 1000) ends the interval first."""
    limits = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=1000)
    emu = available_at_1000(limits=limits)
    emu.advance(1000)
    assert list(emu.billing.retained) == [
        RetainedInterval("job-a", 1, INSTANCE_TYPE, 1, ROLE, 780, 1180, "LifetimeCap", 400)
    ]


def test_each_available_stint_of_a_chain_is_its_own_interval() -> None:
    """behaviour §8: one retained interval per Available stint, per job, same cluster."""
    emu = available_at_1000()
    emu.create_training_job(**request("job-b", keep_alive=100))  # warm: trains 1020..1620
    emu.advance(1000)  # job-b Available 1620..1720, then Expired
    assert [
        (r.job, r.cluster, r.start, r.end, r.ended, r.billable_seconds)
        for r in emu.billing.retained
    ] == [
        ("job-a", 1, 780, 1000, "Reused", 220),
        ("job-b", 1, 1620, 1720, "Expired", 100),
    ]


def test_pools_never_kept_record_no_retained_interval() -> None:
    """behaviour §8: only Available stints are retained intervals."""
    emu = emulator(warm_pool=0)
    emu.create_training_job(**request("job-a"))
    emu.advance(1000)
    assert retained_of(emu, "job-a") == 0
    assert list(emu.billing.retained) == []
    assert len(emu.billing.training) == 1


def test_retained_billable_seconds_round_up() -> None:
    """behaviour §4 / §8: billable = ceil(end - start); instance-seconds = billable x count."""
    emu = emulator(training_seconds=600.25)  # released at 780.25
    emu.create_training_job(**request("job-a", instance_count=4))
    emu.advance(1000.5)
    emu.create_training_job(**request("job-b", instance_count=4))  # at 1000.5: 220.25 s kept
    record = emu.billing.retained[0]
    assert record.billable_seconds == 221
    assert record.instance_seconds == 884
    assert retained_of(emu, "job-a") == 221


def test_per_job_retained_billable_time_equals_the_ledger_record() -> None:
    """behaviour §8 / D12: ResourceRetainedBillableTimeInSeconds is the ledger's billable
    seconds."""
    emu = emulator(training_seconds=333.3)
    emu.create_training_job(**request("a", keep_alive=100))
    emu.create_training_job(**request("b", keep_alive=900, volume_size=60))
    emu.create_training_job(**request("c", keep_alive=900, volume_size=70))
    emu.advance(700.7)
    emu.create_training_job(**request("d", keep_alive=900, volume_size=60))  # reuses b
    emu.update_training_job(TrainingJobName="c", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    emu.advance(5000)
    by_job = {r.job: r for r in emu.billing.retained}
    assert set(by_job) == {"a", "b", "c", "d"}
    for name, record in by_job.items():
        assert retained_of(emu, name) == record.billable_seconds, name
    assert by_job["a"].ended == "Expired"
    assert by_job["b"].ended == "Reused"
    assert by_job["c"].ended == "Released"


# --- training intervals ----------------------------------------------------------------------


def test_training_interval_is_billable_time_times_instance_count() -> None:
    """behaviour §8: each job's training interval is BillableTimeInSeconds x count."""
    emu = emulator(training_seconds=600.2)
    emu.create_training_job(**request("job-a", instance_count=3))
    emu.advance(1000)
    body = emu.describe_training_job(TrainingJobName="job-a")
    assert list(emu.billing.training) == [
        TrainingInterval("job-a", 1, INSTANCE_TYPE, 3, ROLE, 180, 780.2, 601)
    ]
    assert body["BillableTimeInSeconds"] == 601
    assert emu.billing.training[0].instance_seconds == 601 * 3


def test_job_that_never_trained_records_no_training_interval() -> None:
    """behaviour §5.5 / §8: no training, nothing billed for training."""
    emu = emulator()
    emu.create_training_job(**request("early"))
    emu.stop_training_job(TrainingJobName="early")
    assert list(emu.billing.training) == []
    assert emu.billing.total() == BillingTotals()


def test_heterogeneous_job_records_one_training_interval_per_instance_group() -> None:
    """behaviour §8: training is billed per instance type and count of each group."""
    emu = emulator()
    groups = [
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
        {"InstanceType": OTHER_TYPE, "InstanceCount": 2, "InstanceGroupName": "g2"},
    ]
    emu.create_training_job(**request("hetero", ResourceConfig={"InstanceGroups": groups}))
    emu.advance(1000)
    totals = emu.billing.totals_by("instance_type")
    assert totals[INSTANCE_TYPE].training_instance_seconds == 600
    assert totals[OTHER_TYPE].training_instance_seconds == 1200


# --- totals ----------------------------------------------------------------------------------


def test_totals_by_instance_type_role_and_job() -> None:
    """behaviour §8 / D27: totals grouped by instance type, role and job."""
    emu = two_types()
    a = BillingTotals(
        retained_seconds=220,
        retained_instance_seconds=220,
        training_seconds=600,
        training_instance_seconds=600,
    )
    b = BillingTotals(training_seconds=600, training_instance_seconds=1200)
    assert emu.billing.totals_by("instance_type") == {INSTANCE_TYPE: a, OTHER_TYPE: b}
    assert emu.billing.totals_by("role") == {OTHER_ROLE: b, ROLE: a}
    assert emu.billing.totals_by("job") == {"job-a": a, "job-b": b}
    assert emu.billing.total() == BillingTotals(
        retained_seconds=220,
        retained_instance_seconds=220,
        training_seconds=1200,
        training_instance_seconds=1800,
    )
    assert a.total_cost is None


def test_totals_by_an_unknown_grouping_is_a_value_error() -> None:
    """D27: grouping is by instance_type, role or job."""
    with pytest.raises(ValueError, match="region"):
        two_types().billing.totals_by("region")  # type: ignore[arg-type]


def test_an_interval_half_inside_a_window_counts_half() -> None:
    """D27: each interval counts in proportion to its overlap with the window."""
    emu = two_types()  # job-a retained 780..1000
    window = emu.billing.total(start=890, end=2000)
    assert window.retained_seconds == pytest.approx(110)
    assert window.training_seconds == 0
    window = emu.billing.total(start=0, end=480)  # half of both trainings (180..780)
    assert window.training_seconds == pytest.approx(600)
    assert window.training_instance_seconds == pytest.approx(900)


@pytest.mark.parametrize("split", [0, 100, 180, 479.5, 780, 890, 999, 1000, 5000])
def test_adjoining_windows_add_up_to_the_whole(split: float) -> None:
    """D27: totals of adjoining windows add up to the total."""
    emu = two_types()
    whole = emu.billing.total()
    left = emu.billing.total(end=split)
    right = emu.billing.total(start=split)
    for field in (
        "retained_seconds",
        "retained_instance_seconds",
        "training_seconds",
        "training_instance_seconds",
    ):
        assert getattr(left, field) + getattr(right, field) == pytest.approx(getattr(whole, field))


@pytest.mark.parametrize("split", [179, 180, 181])
def test_a_zero_length_training_counts_in_exactly_one_adjoining_window(split: float) -> None:
    """D6 / D27: a 0 s training is billed 1 s; split windows still add up to the whole."""
    emu = emulator(training_seconds=0)
    emu.create_training_job(**request("instant", instance_count=2, keep_alive=None))
    emu.advance(500)
    assert list(emu.billing.training) == [
        TrainingInterval("instant", 1, INSTANCE_TYPE, 2, ROLE, 180, 180, 1)
    ]
    left = emu.billing.total(end=split).training_instance_seconds
    right = emu.billing.total(start=split).training_instance_seconds
    assert left + right == 2
    assert emu.billing.total(start=180, end=181).training_seconds == 1


def test_windows_accept_datetimes() -> None:
    """D27: window bounds may be datetimes (epoch + seconds)."""
    emu = two_types()
    epoch = emu.clock.epoch
    by_datetime = emu.billing.total(
        start=epoch + timedelta(seconds=890), end=epoch + timedelta(seconds=2000)
    )
    assert by_datetime == emu.billing.total(start=890, end=2000)


def test_window_ending_before_it_starts_is_a_value_error() -> None:
    """D27: a window must not end before it starts."""
    with pytest.raises(ValueError, match="before its start"):
        two_types().billing.total(start=10, end=5)


def test_include_open_adds_available_pools_as_if_they_ended_now() -> None:
    """D27: include_open=True adds pools that are Available now."""
    emu = available_at_1000(count=2)
    assert emu.billing.total().retained_seconds == 0
    with_open = emu.billing.total(include_open=True)
    assert with_open.retained_seconds == 220
    assert with_open.retained_instance_seconds == 440
    assert [(r.job, r.ended, r.billable_seconds) for r in emu.billing.open_retained()] == [
        ("job-a", "Open", 220)
    ]
    assert emu.billing.totals_by("job", include_open=True)["job-a"].retained_seconds == 220
    emu.advance(100.5)
    assert emu.billing.total(include_open=True).retained_seconds == 321


def test_billable_seconds_ignore_less_than_a_microsecond_over_a_whole_second() -> None:
    """behaviour §4 / D6: durations are rounded to the microsecond (the timestamps' resolution)
    before they are rounded up, so less than a microsecond over a whole second adds nothing,
    and a microsecond or more adds a second."""
    assert billable_seconds(600.0000004) == 600
    assert billable_seconds(0.0000004) == 0
    assert billable_seconds(600.000002) == 601
    assert billable_seconds(0.5) == 1
    assert billable_seconds(1.5) == 2


# --- cost ------------------------------------------------------------------------------------


def test_cost_uses_the_price_table_per_instance_hour() -> None:
    """behaviour §8 / D27: cost = instance-seconds / 3600 x USD per instance-hour."""
    emu = emulator(prices={INSTANCE_TYPE: 0.36, OTHER_TYPE: 0.72}, warm_pool=10)
    emu.create_training_job(**request("job-a", instance_count=2))
    emu.advance(1000)
    emu.update_training_job(TrainingJobName="job-a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    total = emu.billing.total()
    assert total.retained_cost == pytest.approx(440 / 3600 * 0.36)
    assert total.training_cost == pytest.approx(1200 / 3600 * 0.36)
    assert total.total_cost == pytest.approx(1640 / 3600 * 0.36)


def test_cost_with_a_price_table_given_per_call() -> None:
    """D27: a price table can be given to each call."""
    emu = two_types()
    assert emu.billing.total().total_cost is None
    prices = {INSTANCE_TYPE: 1.0, OTHER_TYPE: 3.6}
    by_type = emu.billing.totals_by("instance_type", prices=prices)
    assert by_type[INSTANCE_TYPE].total_cost == pytest.approx(820 / 3600)
    assert by_type[OTHER_TYPE].training_cost == pytest.approx(1200 / 3600 * 3.6)
    assert by_type[OTHER_TYPE].retained_cost == 0


def test_missing_price_is_a_value_error_naming_the_instance_type() -> None:
    """D27: a price table without a price for a billed type -> ValueError naming it."""
    emu = two_types()
    with pytest.raises(ValueError, match=r"ml\.c5\.xlarge"):
        emu.billing.total(prices={INSTANCE_TYPE: 0.23})


@pytest.mark.parametrize("price", [-1.0, True, "0.5", float("inf"), float("nan")])
def test_bad_prices_are_value_errors(price: Any) -> None:
    """D27: prices are finite numbers of USD per instance-hour >= 0, given to the emulator,
    assigned to ``billing.prices`` (which then keeps its table) or given per call."""
    rule = r"price of ml\.m5\.xlarge must be a finite number of USD per instance-hour >= 0"
    with pytest.raises(ValueError, match=rule):
        WarmPoolEmulator(prices={INSTANCE_TYPE: price})
    emu = WarmPoolEmulator(prices={INSTANCE_TYPE: 0.23})
    with pytest.raises(ValueError, match=rule):
        emu.billing.prices = {INSTANCE_TYPE: price}
    assert emu.billing.prices == {INSTANCE_TYPE: 0.23}
    with pytest.raises(ValueError, match=rule):
        emu.billing.total(prices={INSTANCE_TYPE: price})


def test_billing_prices_can_be_replaced_or_removed() -> None:
    """D27: assigning ``billing.prices`` a checked table (or ``None``) changes later costs."""
    emu = two_types()
    emu.billing.prices = {INSTANCE_TYPE: 3600, "ml.c5.xlarge": 0}
    assert emu.billing.prices == {INSTANCE_TYPE: 3600.0, "ml.c5.xlarge": 0.0}
    assert emu.billing.total().retained_cost == 220.0  # job-a: 220 s Available at 3600 USD/h
    emu.billing.prices = None
    assert emu.billing.total().retained_cost is None
    with pytest.raises(TypeError, match="prices must be a mapping"):
        emu.billing.prices = [("ml.m5.xlarge", 1.0)]  # type: ignore[assignment]


@pytest.mark.parametrize("retain_finished", [True, False])
def test_total_cost_adds_up_the_cost_of_every_instance_type(retain_finished: bool) -> None:
    """behaviour §8 / D27 / D37: a total over several instance types costs the sum of each
    type's instance-seconds at its own price, whether the ledger keeps intervals or totals."""
    quotas = {INSTANCE_TYPE: Quota(warm_pool=1), OTHER_TYPE: Quota(warm_pool=2)}
    emu = emulator(retain_finished=retain_finished, quotas=quotas)
    emu.create_training_job(**request("job-a"))
    emu.create_training_job(
        **request("job-b", instance_type=OTHER_TYPE, instance_count=2, role=OTHER_ROLE)
    )
    emu.advance(1000)
    for name in ("job-a", "job-b"):
        emu.update_training_job(
            TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 0}
        )
    total = emu.billing.total(prices={INSTANCE_TYPE: 1.0, OTHER_TYPE: 3.6})
    assert total.training_cost == pytest.approx(600 / 3600 + 1200 / 3600 * 3.6)
    assert total.retained_cost == pytest.approx(220 / 3600 + 440 / 3600 * 3.6)


def test_a_price_of_zero_is_a_free_instance_type() -> None:
    """D27: prices are USD per instance-hour >= 0, so 0 (a free instance type) is a price."""
    emu = two_types()
    total = emu.billing.total(prices={INSTANCE_TYPE: 0, OTHER_TYPE: 0.0})
    assert total.total_cost == 0.0
    assert WarmPoolEmulator(prices={INSTANCE_TYPE: 0}).billing.total().total_cost == 0.0


def test_recorded_intervals_read_newest_first_and_as_of_when_reading_began() -> None:
    """behaviour §8 / D27 / D34: ``billing.training`` and ``billing.retained`` read backwards
    with ``reversed``, and an iteration yields the intervals recorded when it began (ones
    recorded while it runs are not included)."""
    emu = emulator(training_seconds=100)
    for name in ("job-a", "job-b", "job-c"):
        emu.create_training_job(**request(name, keep_alive=None))
        emu.advance(300)
    training = emu.billing.training
    assert [t.job for t in reversed(training)] == ["job-c", "job-b", "job-a"]
    assert list(reversed(training)) == list(training)[::-1]
    assert list(reversed(emu.billing.retained)) == []
    seen = []
    for interval in training:
        seen.append(interval.job)
        emu.create_training_job(**request(f"late-{len(seen)}", keep_alive=None))
        emu.advance(300)
    assert seen == ["job-a", "job-b", "job-c"]
    assert len(training) == 6


def test_windowed_totals_count_each_interval_by_its_share_of_the_window() -> None:
    """behaviour §8 / D27: inside a window ``[start, end)`` every interval counts the part of it
    that lies there, whatever lies before or after it; ``totals_by`` does so per group; a window
    of no width counts nothing."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("early", keep_alive=None))  # trains 180..780
    emu.advance(1000)
    emu.create_training_job(**request("late", keep_alive=None))  # trains 1180..1780
    emu.advance(1000)
    assert emu.billing.total(start=1180, end=1780).training_seconds == 600
    assert emu.billing.total(start=480, end=1480).training_seconds == 600
    by_job = emu.billing.totals_by("job", start=1180, end=1780)
    assert {job: t.training_seconds for job, t in by_job.items()} == {"early": 0, "late": 600}
    by_job = emu.billing.totals_by("job", start=0, end=480)
    assert {job: t.training_seconds for job, t in by_job.items()} == {"early": 300, "late": 0}
    assert emu.billing.total(start=500, end=500) == BillingTotals()


@pytest.mark.parametrize("bound", [True, "10", None])
def test_a_window_bound_that_is_not_a_time_is_a_type_error(bound: Any) -> None:
    """D27: a window's bounds are seconds or datetimes; anything else is a TypeError saying
    so (``None`` for both means no window)."""
    emu = two_types()
    if bound is None:
        assert emu.billing.total(start=None, end=None) == emu.billing.total()
        return
    for window in ({"start": bound}, {"end": bound}):
        with pytest.raises(TypeError) as caught:
            emu.billing.total(**window)
        assert str(caught.value) == f"a window bound must be seconds or a datetime, not {bound!r}"


# --- billed totals never shrink ----------------------------------------------------------------

_create_op = st.tuples(
    st.just("create"),
    st.integers(1, 3),
    st.sampled_from([50, 60]),
    st.sampled_from([None, 0, 30, 300, 3600]),
    st.sampled_from([None, 0, 45.5, 400]),
)
_advance_op = st.tuples(st.just("advance"), st.sampled_from([0.5, 1, 20, 150, 600, 4000]))
# creates and advances are listed three times so that they make up half of the steps
billing_ops = st.lists(
    st.one_of(
        _create_op,
        _create_op,
        _create_op,
        _advance_op,
        _advance_op,
        _advance_op,
        st.tuples(st.just("complete"), st.integers(0, 40)),
        st.tuples(st.just("stop"), st.integers(0, 40)),
        st.tuples(st.just("keep_alive"), st.integers(0, 40), st.sampled_from([0, 10, 900])),
        st.tuples(st.just("delete"), st.integers(0, 40)),
        st.tuples(st.just("patch")),
    ),
    min_size=25,
    max_size=60,
)

_FIELDS = (
    "retained_seconds",
    "retained_instance_seconds",
    "training_seconds",
    "training_instance_seconds",
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=billing_ops, warm_pool=st.sampled_from([1, 3, 10]))
def test_billed_totals_never_shrink(ops: list[tuple[Any, ...]], warm_pool: int) -> None:
    """behaviour §11 / D27: billed seconds never shrink; closed records never change."""
    plans: dict[str, JobPlan | None] = {}
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=warm_pool)},
        workload=lambda r: plans[r["TrainingJobName"]],
        timing=Timing(stopping_seconds=10),
    )
    names: list[str] = []
    previous = [emu.billing.total(), emu.billing.total(include_open=True)]
    retained: list[RetainedInterval] = []
    training: list[TrainingInterval] = []
    per_job: dict[str, BillingTotals] = {}
    settled: dict[str, int] = {}  # job -> ResourceRetainedBillableTimeInSeconds once set
    for op in ops:
        try:
            if op[0] == "create":
                _, count, volume, keep_alive, seconds = op
                name = f"job-{len(plans)}"
                plans[name] = None if seconds is None else JobPlan(training_seconds=seconds)
                emu.create_training_job(
                    **request(name, instance_count=count, volume_size=volume, keep_alive=keep_alive)
                )
                names.append(name)
            elif op[0] == "advance":
                emu.advance(op[1])
            elif op[0] == "patch":
                emu.apply_patch_update()
            elif names:
                name = names[op[1] % len(names)]
                if op[0] == "complete":
                    emu.complete_training_job(name)
                elif op[0] == "stop":
                    emu.stop_training_job(TrainingJobName=name)
                elif op[0] == "keep_alive":
                    emu.update_training_job(
                        TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": op[2]}
                    )
                else:
                    emu.delete_training_job(TrainingJobName=name)
        except (errors.WarmPoolError, errors.ControlError):
            pass
        current = [emu.billing.total(), emu.billing.total(include_open=True)]
        for before, after in zip(previous, current, strict=True):
            for field in _FIELDS:
                assert getattr(after, field) >= getattr(before, field), field
        assert list(emu.billing.retained[: len(retained)]) == retained
        assert list(emu.billing.training[: len(training)]) == training
        jobs = emu.billing.totals_by("job")
        for job, totals in per_job.items():
            for field in _FIELDS:
                assert getattr(jobs[job], field) >= getattr(totals, field)
        for name in emu.job_names():
            value = retained_of(emu, name)
            if name in settled:
                assert value == settled[name], name  # D12: it never changes afterwards
            elif value is not None:
                settled[name] = value
        previous = current
        retained = list(emu.billing.retained)
        training = list(emu.billing.training)
        per_job = jobs
    for record in emu.billing.retained:
        assert record.billable_seconds == math.ceil(round(record.end - record.start, 6))
        assert record.instance_seconds == record.billable_seconds * record.instance_count


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_billable_seconds_is_the_microsecond_rounded_ceiling(duration: float) -> None:
    """D6: whole seconds rounded up after rounding to microseconds; the fast paths for whole
    seconds and for clear fractions give exactly what the rule says."""
    assert billable_seconds(duration) == math.ceil(round(duration, 6))
