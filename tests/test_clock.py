"""The virtual clock: event ordering, advancing, timestamps and durations (behaviour §4, D5, D6).

Ordering is checked through real emulator scenarios whose outcome depends on it, and with
Hypothesis on a bare :class:`~warmpool.VirtualClock`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, describe, emulator, plans_by_name, request
from tests.factories import warm_pool_status as pool_status
from warmpool import JobPlan, Quota, Timing, VirtualClock, WarmPoolEmulator, errors
from warmpool.clock import DEFAULT_EPOCH, parse_timestamp
from warmpool.events import JobReleased, PoolReused, PoolTerminated, TrainingStarted

COLD = 180
WARM = 20
TRAIN = 600
# loose message patterns: the error must say what is wrong, whatever its exact wording
BAD_ADVANCE = r"(?i)advance|negative|finite|nan|inf"
BACKWARDS = r"(?i)back|before|already|past"


def seconds(training: float) -> JobPlan:
    return JobPlan(training_seconds=training)


def event_index(emu: WarmPoolEmulator, kind: type[Any], job: str) -> int:
    """Position in the event log of the one event of ``kind`` about ``job``."""
    (index,) = [i for i, e in enumerate(emu.events) if isinstance(e, kind) and e.job == job]
    return index


def datetimes(value: Any) -> Iterator[datetime]:
    """Every ``datetime`` inside a response (nested dicts and lists)."""
    if isinstance(value, datetime):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from datetimes(item)
    elif isinstance(value, list):
        for item in value:
            yield from datetimes(item)


# -- ordering of events due at the same instant (emulator scenarios) --------------------------


@pytest.mark.parametrize(("b_training", "b_kept"), [(700, True), (699, False)])
def test_release_at_t_sees_quota_freed_by_expiry_at_t(b_training: int, b_kept: bool) -> None:
    """behaviour §4 / D5: expiries fire before releases at the same instant, so a release at t sees
    the warm pool quota freed by a pool expiring at t."""
    emu = emulator(
        warm_pool=1, workload=plans_by_name({"a": seconds(600), "b": seconds(b_training)})
    )
    emu.create_training_job(**request("a", keep_alive=100))  # released 780, expires 880
    emu.create_training_job(**request("b", role=OTHER_ROLE))  # released 180 + b_training
    emu.advance(2000)
    assert pool_status(emu, "a") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 100,
    }
    if b_kept:  # released at 880, the instant "a" expired: the quota slot is free again
        assert pool_status(emu, "b") == {"Status": "Available"}
        assert event_index(emu, PoolTerminated, "a") < event_index(emu, JobReleased, "b")
    else:  # released at 879 while "a" still held the only quota slot
        assert pool_status(emu, "b") == {
            "Status": "Terminated",
            "ResourceRetainedBillableTimeInSeconds": 0,
        }


def test_release_fires_before_training_start_at_same_instant() -> None:
    """behaviour §4 / D5: releases fire before training starts due at the same instant, even when
    the starting job was created first."""
    emu = emulator(
        workload=plans_by_name({"pool": seconds(10), "a": seconds(100), "b": seconds(160)})
    )
    emu.create_training_job(**request("pool"))  # released 190
    emu.advance(200)
    emu.create_training_job(**request("a", role=OTHER_ROLE))  # cold: starts 380
    emu.create_training_job(**request("b"))  # warm: starts 220, released 380
    emu.advance(200)
    released_b = event_index(emu, JobReleased, "b")
    started_a = event_index(emu, TrainingStarted, "a")
    assert emu.events[released_b].time == emu.events[started_a].time == 380
    assert released_b < started_a


def test_same_kind_fires_in_job_creation_order() -> None:
    """behaviour §4 / D5: within one kind, events due at the same instant fire in job creation order
    (not in the order they were scheduled): the first-created job gets the last quota slot."""
    emu = emulator(
        warm_pool=1,
        workload=plans_by_name({"pool": seconds(10), "a": seconds(400), "b": seconds(460)}),
    )
    emu.create_training_job(**request("pool"))  # released 190, retained 1
    emu.advance(200)
    emu.create_training_job(**request("a", role=OTHER_ROLE))  # cold: 380..780
    emu.advance(100)
    emu.create_training_job(**request("b"))  # takes "pool" (retained 0); warm: 320..780
    emu.advance(500)
    assert emu.now == 800
    assert describe(emu, "a")["TrainingEndTime"] == describe(emu, "b")["TrainingEndTime"]
    # b's release was scheduled first (at 320) but a was created first: a is released first
    assert event_index(emu, JobReleased, "a") < event_index(emu, JobReleased, "b")
    assert pool_status(emu, "a") == {"Status": "Available"}
    assert pool_status(emu, "b") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }


@pytest.mark.parametrize(("at", "reused"), [(2580, False), (2579.5, True)])
def test_create_at_exact_expiry_instant_does_not_reuse(at: float, reused: bool) -> None:
    """behaviour §4 / D5: an API call at t sees every event due at t, so a keep-alive ending at
    exactly t is gone for a job created at t."""
    emu = emulator()
    emu.create_training_job(**request("a", keep_alive=1800))  # released 780, expires 2580
    emu.run_until(at)
    emu.create_training_job(**request("b"))
    status = pool_status(emu, "a")
    assert status is not None
    if reused:
        assert status == {
            "Status": "Reused",
            "ResourceRetainedBillableTimeInSeconds": 1800,  # ceil(1799.5)
            "ReusedByJob": "b",
        }
    else:
        assert status == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 1800}
        view = emu.warm_pool("a")
        assert view is not None
        assert view.reason == "Expired"
    emu.advance(COLD)
    (start,) = [e for e in emu.events.of_type(TrainingStarted) if e.job == "b"]
    assert start.warm is reused


def test_two_creates_at_one_instant_cannot_share_pool() -> None:
    """behaviour §6.5 / D4: two jobs created at the same instant never take the same pool."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(COLD + TRAIN)
    emu.create_training_job(**request("b"))
    emu.create_training_job(**request("c"))
    assert pool_status(emu, "a") == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 0,
        "ReusedByJob": "b",
    }
    emu.advance(COLD)
    warm = {e.job: e.warm for e in emu.events.of_type(TrainingStarted)}
    assert warm == {"a": False, "b": True, "c": False}


# -- advance / run_until -----------------------------------------------------------------------


def test_advance_fires_events_due_at_or_before_target() -> None:
    """behaviour §4: advance(dt) fires every event due at or before now + dt before it returns."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(COLD - 1)
    assert describe(emu, "a")["SecondaryStatus"] == "Starting"
    emu.advance(1)  # the start is due exactly at the target
    assert describe(emu, "a")["SecondaryStatus"] == "Training"
    emu.advance(TRAIN + 1800)  # release (780) and expiry (2580) both due within one advance
    assert emu.now == COLD + TRAIN + 1800
    assert pool_status(emu, "a") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 1800,
    }


def test_advance_zero_fires_events_due_now() -> None:
    """behaviour §4: advance(0) is allowed and changes nothing that is not due."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(0)
    assert emu.now == 0
    assert describe(emu, "a")["SecondaryStatus"] == "Starting"


@pytest.mark.parametrize("amount", [-1, -0.001, math.nan, math.inf, -math.inf], ids=repr)
def test_negative_nan_or_infinite_advance_refused(amount: float) -> None:
    """behaviour §4 / D5: the clock never moves backwards; advancing by a negative (or non-finite)
    amount is a ValueError and changes nothing."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(10)
    with pytest.raises(ValueError, match=BAD_ADVANCE):
        emu.advance(amount)
    assert emu.now == 10
    assert describe(emu, "a")["SecondaryStatus"] == "Starting"


@pytest.mark.parametrize("amount", [True, False, "10", None], ids=repr)
def test_non_number_advance_refused(amount: Any) -> None:
    """behaviour §4: advance takes int or float seconds; bool, str and None are refused."""
    emu = emulator()
    with pytest.raises((TypeError, ValueError)):
        emu.advance(amount)
    assert emu.now == 0


def test_run_until_backwards_refused() -> None:
    """behaviour §4: run_until a time before now is a ValueError (as a number or a datetime)."""
    emu = emulator()
    emu.advance(100)
    with pytest.raises(ValueError, match=BACKWARDS):
        emu.run_until(99.5)
    with pytest.raises(ValueError, match=BACKWARDS):
        emu.run_until(emu.clock.epoch + timedelta(seconds=50))
    assert emu.now == 100
    emu.run_until(100)  # staying put is allowed
    assert emu.now == 100


def test_run_until_accepts_datetime() -> None:
    """behaviour §10.1: run_until(t) takes seconds since the epoch or a datetime."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.run_until(emu.clock.epoch + timedelta(seconds=COLD))
    assert emu.now == COLD
    assert describe(emu, "a")["SecondaryStatus"] == "Training"


def test_int_and_float_seconds_accepted() -> None:
    """behaviour §4 / D5: int and float seconds are both accepted."""
    emu = emulator(timing=Timing(cold_start_seconds=0.25), training_seconds=1.5)
    emu.create_training_job(**request("a"))
    emu.advance(0.125)
    emu.advance(0.125)
    assert emu.now == 0.25
    body = describe(emu, "a")
    assert body["SecondaryStatus"] == "Training"
    assert body["TrainingStartTime"] == emu.clock.epoch + timedelta(milliseconds=250)
    emu.advance(1)
    emu.run_until(1.75)
    assert describe(emu, "a")["TrainingEndTime"] == emu.clock.epoch + timedelta(seconds=1.75)


def test_api_call_fires_events_due_now_before_returning() -> None:
    """behaviour §4: a call runs, then every event now due fires before it returns
    (stopping_seconds=0: Stopped when stop_training_job returns)."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 5)
    emu.stop_training_job(TrainingJobName="a")
    body = describe(emu, "a")
    assert (body["TrainingJobStatus"], body["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert body["TrainingEndTime"] == emu.clock.epoch + timedelta(seconds=COLD + 5)
    assert body["WarmPoolStatus"] == {"Status": "Available"}


def test_zero_second_warm_start_trains_when_create_returns() -> None:
    """behaviour §4: events due at the call's instant fire before it returns (warm start 0 s)."""
    emu = emulator(timing=Timing(warm_start_seconds=0))
    emu.create_training_job(**request("a"))
    emu.advance(COLD + TRAIN)
    emu.create_training_job(**request("b"))
    assert describe(emu, "b")["SecondaryStatus"] == "Training"


def test_stopping_seconds_keep_job_stopping_until_due() -> None:
    """behaviour §5.4 / D9: Stopping lasts stopping_seconds, then Stopped at exactly that time."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=30))
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 5)
    emu.stop_training_job(TrainingJobName="a")
    assert describe(emu, "a")["TrainingJobStatus"] == "Stopping"
    emu.advance(29.5)
    assert describe(emu, "a")["TrainingJobStatus"] == "Stopping"
    emu.advance(0.5)
    body = describe(emu, "a")
    assert body["TrainingJobStatus"] == "Stopped"
    assert body["TrainingEndTime"] == emu.clock.epoch + timedelta(seconds=COLD + 35)


# -- timestamps --------------------------------------------------------------------------------


def test_timestamps_are_aware_utc_datetimes_at_epoch_plus_now() -> None:
    """behaviour §4 / D5: response timestamps are timezone-aware UTC datetimes = epoch + now."""
    emu = emulator()
    epoch = emu.clock.epoch
    assert epoch == datetime(2026, 1, 1, tzinfo=timezone.utc)
    emu.advance(5)
    emu.create_training_job(**request("a"))
    emu.advance(COLD + TRAIN)
    body = describe(emu, "a")
    assert body["CreationTime"] == epoch + timedelta(seconds=5)
    assert body["TrainingStartTime"] == epoch + timedelta(seconds=5 + COLD)
    assert body["TrainingEndTime"] == epoch + timedelta(seconds=5 + COLD + TRAIN)
    assert body["LastModifiedTime"] == body["TrainingEndTime"]
    (summary,) = emu.list_training_jobs()["TrainingJobSummaries"]
    found = [*datetimes(body), *datetimes(summary)]
    assert len(found) >= 8
    for value in found:
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
        assert epoch <= value <= epoch + timedelta(seconds=emu.now)


def test_custom_epoch() -> None:
    """behaviour §4 / D5: the epoch is configurable (any aware datetime; responses are in UTC)."""
    epoch = datetime(2030, 5, 6, 9, 8, 7, tzinfo=timezone(timedelta(hours=2)))
    emu = emulator(clock=VirtualClock(epoch))
    assert emu.clock.epoch == epoch
    assert emu.clock.epoch.utcoffset() == timedelta(0)
    emu.advance(60)
    emu.create_training_job(**request("a"))
    created = describe(emu, "a")["CreationTime"]
    assert created == datetime(2030, 5, 6, 7, 9, 7, tzinfo=timezone.utc)
    assert created.utcoffset() == timedelta(0)


def test_naive_epoch_refused() -> None:
    """behaviour §4: the epoch is a timezone-aware datetime."""
    with pytest.raises(ValueError, match=r"(?i)aware|tz|time ?zone"):
        VirtualClock(datetime(2026, 1, 1))


# -- durations ---------------------------------------------------------------------------------


def test_durations_rounded_up_to_whole_seconds() -> None:
    """behaviour §4 / §5.5 / §6: durations are ceil(end - start)."""
    emu = emulator(training_seconds=600.2)
    emu.create_training_job(**request("a"))
    emu.advance(COLD + 600.2)
    body = describe(emu, "a")
    assert body["TrainingTimeInSeconds"] == 601
    assert body["BillableTimeInSeconds"] == 601
    emu.advance(100.25)
    emu.create_training_job(**request("b"))
    status = pool_status(emu, "a")
    assert status is not None
    assert status["ResourceRetainedBillableTimeInSeconds"] == 101


def test_durations_rounded_to_microseconds_before_ceil() -> None:
    """D6: the difference is rounded to microseconds first, so float noise never adds a
    second."""
    emu = emulator(timing=Timing(cold_start_seconds=1.2), training_seconds=1)
    emu.create_training_job(**request("a"))
    emu.advance(10)
    release = 1.2 + 1
    assert release - 1.2 > 1  # the float noise this test is about
    assert describe(emu, "a")["TrainingTimeInSeconds"] == 1
    emu.run_until(32.2)
    assert emu.now - release > 30
    emu.create_training_job(**request("b"))
    status = pool_status(emu, "a")
    assert status is not None
    assert status["ResourceRetainedBillableTimeInSeconds"] == 30
    (interval,) = emu.billing.retained
    assert interval.billable_seconds == 30


def test_zero_second_training_reports_one_second() -> None:
    """D6: TrainingTimeInSeconds and BillableTimeInSeconds are at least 1 (botocore min 1)."""
    emu = emulator(training_seconds=0)
    emu.create_training_job(**request("a"))
    emu.advance(COLD)
    body = describe(emu, "a")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["TrainingStartTime"] == body["TrainingEndTime"]
    assert body["TrainingTimeInSeconds"] == 1
    assert body["BillableTimeInSeconds"] == 1
    (interval,) = emu.billing.training
    assert interval.billable_seconds == 1


def test_no_training_duration_without_training_start() -> None:
    """behaviour §5.5: TrainingTimeInSeconds / BillableTimeInSeconds only if training started."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(10)
    emu.stop_training_job(TrainingJobName="a")
    body = describe(emu, "a")
    assert "TrainingTimeInSeconds" not in body
    assert "BillableTimeInSeconds" not in body
    assert body["TrainingEndTime"] == emu.clock.epoch + timedelta(seconds=10)


# -- the bare VirtualClock, with Hypothesis ----------------------------------------------------

times = st.one_of(
    st.integers(min_value=0, max_value=30),
    st.floats(min_value=0, max_value=30, allow_nan=False, allow_infinity=False),
)
entries = st.tuples(times, st.integers(0, 2), st.integers(0, 3))


class Oracle:
    """Tracks what is pending on a clock and checks each firing is the least pending key."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.pending: dict[int, tuple[float, int, int, int]] = {}
        self.fired: list[int] = []
        self.seen_now: list[float] = [clock.now]
        self.inserted = 0

    def schedule(self, at: float, priority: int, order: int, children: list[Any]) -> None:
        ident = self.inserted
        self.inserted += 1
        self.pending[ident] = (at, priority, order, ident)
        self.clock.schedule(at, self.fire, (ident, children), priority=priority, order=order)

    def fire(self, arg: tuple[int, list[Any]]) -> None:
        ident, children = arg
        key = self.pending.pop(ident)
        assert self.clock.now == key[0]
        assert all(key < other for other in self.pending.values())
        assert self.clock.now >= self.seen_now[-1]
        self.seen_now.append(self.clock.now)
        self.fired.append(ident)
        for delay, priority, order in children:
            self.schedule(self.clock.now + delay, priority, order, [])


@given(
    schedule=st.lists(entries, max_size=25),
    steps=st.lists(times, max_size=8),
)
def test_clock_fires_in_time_priority_order_insertion_order(
    schedule: list[tuple[float, int, int]], steps: list[float]
) -> None:
    """behaviour §4 / D5: a bare VirtualClock fires by (time, priority, order, insertion) and
    advance fires everything due at or before now + dt; now never decreases."""
    clock = VirtualClock()
    oracle = Oracle(clock)
    for at, priority, order in schedule:
        oracle.schedule(at, priority, order, [])
    expected = sorted(range(len(schedule)), key=lambda i: (*schedule[i], i))
    for step in steps:
        before = clock.now
        clock.advance(step)
        assert clock.now == before + step
        assert all(key[0] > clock.now for key in oracle.pending.values())
    clock.run()
    assert not oracle.pending
    assert oracle.fired == expected
    assert oracle.seen_now == sorted(oracle.seen_now)


@given(
    schedule=st.lists(st.tuples(entries, st.lists(entries, max_size=3)), max_size=12),
    steps=st.lists(times, min_size=1, max_size=8),
)
def test_clock_orders_events_scheduled_while_firing(
    schedule: list[tuple[tuple[float, int, int], list[tuple[float, int, int]]]],
    steps: list[float],
) -> None:
    """behaviour §4 / D5: events scheduled by callbacks (at or after now) keep the same order and
    fire within the same advance when due."""
    clock = VirtualClock()
    oracle = Oracle(clock)
    for (at, priority, order), children in schedule:
        oracle.schedule(at, priority, order, children)
    last = clock.now
    for step in steps:
        clock.advance(step)
        assert clock.now >= last
        last = clock.now
        assert all(key[0] > clock.now for key in oracle.pending.values())
    clock.run()
    assert not oracle.pending
    assert len(oracle.fired) == oracle.inserted


def test_clock_refuses_scheduling_in_the_past() -> None:
    """behaviour §4: nothing can be scheduled before now (the clock never moves backwards)."""
    clock = VirtualClock()
    clock.advance(10)
    with pytest.raises(ValueError, match=BACKWARDS):
        clock.schedule(9.999, lambda _arg: None)
    with pytest.raises(ValueError, match=BAD_ADVANCE):
        clock.advance(-1)
    with pytest.raises(ValueError, match=BACKWARDS):
        clock.run(until=5)
    assert clock.now == 10


# -- the clock's range (behaviour §4, D5) ----------------------------------------------------------

LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def test_clock_range_ends_at_9999_12_31T23_59_59Z() -> None:
    """D5: a clock can reach 9999-12-31T23:59:59Z exactly, and no further."""
    clock = VirtualClock()
    assert clock.end == (LATEST - clock.epoch).total_seconds()
    clock.run(clock.end)
    assert clock.to_datetime() == LATEST
    with pytest.raises(ValueError, match="past the end of its range"):
        clock.advance(1)
    assert clock.to_datetime() == LATEST


def test_clock_refuses_an_epoch_or_start_past_its_range() -> None:
    """D5: an epoch after 9999-12-31T23:59:59Z, or a start past the end, is refused."""
    with pytest.raises(ValueError, match="epoch"):
        VirtualClock(datetime(9999, 12, 31, 23, 59, 59, 500000, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match="end of the clock's range"):
        VirtualClock(now=VirtualClock().end + 1)


def test_clock_events_past_its_range_never_fire() -> None:
    """D5: an event scheduled after the end of the range stays scheduled and never fires."""
    clock = VirtualClock()
    fired: list[str] = []
    clock.schedule(clock.end + 10, fired.append, "late")
    clock.schedule(5, fired.append, "early")
    clock.run()
    assert fired == ["early"] and clock.now == 5
    with pytest.raises(ValueError, match="past the end"):
        clock.step()


@pytest.mark.parametrize("move", ["advance", "run_until"])
def test_advance_past_the_clock_range_is_refused_and_changes_nothing(move: str) -> None:
    """§4 / D5: emu.advance(3e11) (or run_until past 9999) raises InvalidControlArgument and
    changes nothing; later calls still answer (no OverflowError, ever)."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("job-1"))
    emu.advance(200)
    before = (emu.now, len(emu.events), describe(emu, "job-1")["SecondaryStatus"])
    with pytest.raises(errors.InvalidControlArgument, match="past the end of its range"):
        getattr(emu, move)(3e11)
    assert (emu.now, len(emu.events), describe(emu, "job-1")["SecondaryStatus"]) == before
    emu.run_until(emu.clock.end)  # the very end is fine; the job hits its max runtime first
    job = describe(emu, "job-1")
    assert job["LastModifiedTime"] <= LATEST
    assert job["SecondaryStatus"] == "MaxRuntimeExceeded"
    emu.create_training_job(**request("job-2"))  # created at the last second of the range
    assert describe(emu, "job-2")["CreationTime"] == LATEST
    assert emu.next_event_time() is None  # its start would fall past the end: never fires
    emu.list_training_jobs(SortBy="Status")


def test_run_until_a_datetime_past_9999_is_refused() -> None:
    """D5: a naive or aware datetime beyond the range is refused, not an OverflowError."""
    emu = emulator()
    with pytest.raises(errors.InvalidControlArgument):
        emu.run_until(datetime.max)
    assert emu.now == 0


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        ("advance", -1),
        ("advance", "5"),
        ("advance", math.nan),
        ("advance", math.inf),
        ("advance", True),
        ("run_until", -1),
        ("run_until", None),
        ("complete_training_job", 42),
        ("fail_training_job", None),
        ("warm_pool", b"job-1"),
        ("identity_key", ["job-1"]),
        ("apply_patch_update", 3),
    ],
)
def test_bad_control_arguments_raise_invalid_control_argument(call: str, argument: Any) -> None:
    """D24: every bad argument of a control raises errors.InvalidControlArgument, a
    ControlError that is also a ValueError and a TypeError; nothing changes."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    emu.advance(10)
    before = (emu.now, len(emu.events))
    with pytest.raises(errors.InvalidControlArgument) as caught:
        getattr(emu, call)(argument)
    assert isinstance(caught.value, errors.ControlError)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert (emu.now, len(emu.events)) == before


def test_zero_second_training_is_released_after_its_own_start() -> None:
    """§4 / D5: a job that trains 0 s is released at its start instant, after the releases
    already due then, even of a job created later: a job cannot end before it starts. Here j1
    (created first, 0 s of training) and j2 (warm on j0's pool) both end at t=60; j2's release
    comes first, so with room for 2 instances j2's pool is kept and j1's is refused."""
    quota = {INSTANCE_TYPE: Quota(warm_pool=2)}
    plans = {"j0": seconds(10), "j1": seconds(0), "j2": seconds(10)}
    emu = WarmPoolEmulator(
        quotas=quota,
        timing=Timing(cold_start_seconds=20, warm_start_seconds=10),
        workload=plans_by_name(plans),
    )
    emu.create_training_job(**request("j0", keep_alive=60))
    emu.advance(40)  # j0: started at 20, released at 30, Available
    emu.create_training_job(**request("j1", keep_alive=60, instance_count=2, role=OTHER_ROLE))
    emu.create_training_job(**request("j2", keep_alive=60))  # warm on j0's pool
    emu.advance(20)  # t=60: j1 starts and ends; j2 ends
    released = [e.job for e in emu.events.of_type(JobReleased)]
    assert released == ["j0", "j2", "j1"]
    assert event_index(emu, TrainingStarted, "j1") < event_index(emu, JobReleased, "j1")
    assert pool_status(emu, "j2") == {"Status": "Available"}
    assert pool_status(emu, "j1") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }


# -- timestamps in, refusals out (behaviour §4, D5; docs/api.md "VirtualClock") ---------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04", datetime(2026, 3, 4)),
        ("2026-03-04T05:06", datetime(2026, 3, 4, 5, 6)),
        ("2026-03-04 05:06:07", datetime(2026, 3, 4, 5, 6, 7)),
        ("2026-03-04T05:06:07.5", datetime(2026, 3, 4, 5, 6, 7, 500000)),
        ("2026-03-04T05:06:07,25", datetime(2026, 3, 4, 5, 6, 7, 250000)),
        ("2026-03-04T05:06:07.123456789", datetime(2026, 3, 4, 5, 6, 7, 123456)),
        ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        ("2026-03-04t05:06:07z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        (
            "2026-03-04T05:06:07+02:30",
            datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2, minutes=30))),
        ),
        (
            "2026-03-04T05:06:07-0130",
            datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(-timedelta(hours=1, minutes=30))),
        ),
        (
            "2026-03-04T05:06:07+05",
            datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=5))),
        ),
        (
            "2026-03-04T05:06:07-05",
            datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            " 2026-03-04T00:00:00.000001+00:00 ",
            datetime(2026, 3, 4, 0, 0, 0, 1, tzinfo=timezone.utc),
        ),
    ],
)
def test_iso_8601_timestamps_are_read_to_the_microsecond_with_their_offset(
    text: str, expected: datetime
) -> None:
    """behaviour §4 / D5: an ISO 8601 string is read as the instant it names: omitted parts are
    zero, a fraction is cut to microseconds, `Z` is UTC, `±hh[:mm]` is that offset, no offset
    is naive (taken as UTC by ``VirtualClock.seconds``)."""
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
    assert (parsed.tzinfo is None) == (expected.tzinfo is None)
    clock = VirtualClock(datetime(2026, 3, 4, tzinfo=timezone.utc))
    aware = expected if expected.tzinfo else expected.replace(tzinfo=timezone.utc)
    assert clock.seconds(text) == (aware - clock.epoch).total_seconds()


@pytest.mark.parametrize(
    "text", ["", "2026-3-4", "2026-03-04T5:06", "yesterday", "2026-03-04T05:06:07+5"]
)
def test_a_string_that_is_not_iso_8601_is_refused_by_name(text: str) -> None:
    """behaviour §4 / D5: a string that is not an ISO 8601 timestamp is a ValueError that
    quotes it."""
    with pytest.raises(ValueError, match=r"^not an ISO 8601 timestamp: ") as caught:
        parse_timestamp(text)
    assert repr(text) in str(caught.value)


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: a datetime carrying it is naive in Python's sense."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_clock_seconds_read_naive_datetimes_as_utc_and_aware_ones_at_their_offset() -> None:
    """behaviour §4 / D5: ``seconds(when)`` takes a naive datetime (or one whose tzinfo gives
    no offset) as UTC, an aware one at its own offset, and a number as Unix seconds."""
    clock = VirtualClock()
    assert clock.seconds(datetime(2026, 1, 1, 0, 1)) == 60
    assert clock.seconds(datetime(2026, 1, 1, 0, 1, tzinfo=_NoOffset())) == 60
    plus_two = timezone(timedelta(hours=2))
    assert clock.seconds(datetime(2026, 1, 1, 2, 1, tzinfo=plus_two)) == 60
    assert clock.seconds(clock.epoch.timestamp() + 60) == 60
    with pytest.raises(TypeError, match=r"^a timestamp must be a number of seconds .*not None"):
        clock.seconds(None)  # type: ignore[arg-type]


def test_clock_refuses_an_epoch_that_is_not_an_aware_datetime() -> None:
    """behaviour §4 / D5: the epoch is a timezone-aware datetime; a naive one, one whose tzinfo
    gives no offset, or a non-datetime is refused with a message that says so. An aware epoch
    at another offset is the same instant in UTC."""
    message = r"^epoch must be a timezone-aware datetime \(for example tzinfo=UTC\)$"
    for naive in (datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=_NoOffset())):
        with pytest.raises(ValueError, match=message):
            VirtualClock(naive)
    with pytest.raises(TypeError, match=r"^epoch must be a datetime, not '2026-01-01'$"):
        VirtualClock("2026-01-01")  # type: ignore[arg-type]
    clock = VirtualClock(datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))))
    assert clock.epoch == DEFAULT_EPOCH and clock.epoch.tzinfo == timezone.utc


def test_clock_range_includes_its_last_second_as_epoch_start_and_event() -> None:
    """D5: the last second of the range, 9999-12-31T23:59:59Z, is a valid epoch, a valid
    ``now``, and an event scheduled exactly then fires (by step, run() or run(until))."""
    assert VirtualClock(LATEST).end == 0
    end = VirtualClock().end
    assert VirtualClock(now=end).now == end
    for how in ("step", "run", "run_until"):
        clock = VirtualClock()
        fired: list[str] = []
        clock.schedule(clock.end, fired.append, how)
        if how == "step":
            clock.step()
        elif how == "run":
            clock.run()
        else:
            clock.run(until=clock.end)
        assert fired == [how] and clock.to_datetime() == LATEST


NOT_A_NUMBER: Any = "1"
A_LIST: Any = [1]


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: VirtualClock(now=-1), ValueError, r"^now must be >= 0 seconds since the epoch"),
        (lambda: VirtualClock(now=NOT_A_NUMBER), TypeError, r"^now must be a number of seconds"),
        (lambda: VirtualClock(now=math.nan), ValueError, r"^now must be finite, not nan"),
        (lambda: VirtualClock().advance(10**400), ValueError, r"^seconds must be finite, not "),
        (
            lambda: VirtualClock().advance(NOT_A_NUMBER),
            TypeError,
            r"^seconds must be a number of seconds",
        ),
        (
            lambda: VirtualClock().run(until=NOT_A_NUMBER),
            TypeError,
            r"^until must be a number of seconds",
        ),
        (lambda: VirtualClock().step(), IndexError, r"^no event is scheduled$"),
        (
            lambda: VirtualClock().advance(1e300),
            ValueError,
            r"past the end of its range, 9999-12-31T23:59:59Z \(",
        ),
        (
            lambda: VirtualClock(now=5).run(until=4),
            ValueError,
            r"^cannot run the clock back to 4: it is already at 5 and never moves backwards$",
        ),
    ],
)
def test_clock_refusals_name_the_argument_and_the_rule(
    make: Any, error: type[Exception], pattern: str
) -> None:
    """behaviour §4 / D24: a clock's refusal names the argument it refuses and the rule it
    breaks (the emulator passes these messages on in ``InvalidControlArgument``)."""
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: VirtualClock().advance(NOT_A_NUMBER),
            "seconds must be a number of seconds (int or float), not '1'",
        ),
        (
            lambda: VirtualClock(now=A_LIST),
            "now must be a number of seconds (int or float), not [1]",
        ),
        (
            lambda: VirtualClock().run(until=True),
            "until must be a number of seconds (int or float), not True",
        ),
    ],
)
def test_clock_refusal_of_a_non_number_shows_the_value_it_was_given(
    make: Callable[[], object], message: str
) -> None:
    """behaviour §4 / D24: a clock refusing a value that is not a number of seconds (a bool
    included) says, in full, which argument it refuses and shows the value it was given."""
    with pytest.raises(TypeError) as refused:
        make()
    assert str(refused.value) == message


class _Unreadable(tzinfo):
    """A caller's tzinfo whose offset cannot be read."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        raise RuntimeError("broken")

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_run_until_a_datetime_that_cannot_be_read_is_a_value_error_naming_the_failure() -> None:
    """behaviour §4 / D24: a datetime whose reading raises is refused as a ValueError that
    names what went wrong; the clock does not move."""
    clock = VirtualClock()
    with pytest.raises(
        ValueError, match=r"^until must be a datetime that can be read, .*RuntimeError$"
    ):
        clock.run(until=datetime(2026, 1, 2, tzinfo=_Unreadable()))
    assert clock.now == 0


def test_clock_defaults_priority_and_order_to_zero() -> None:
    """docs/api.md (VirtualClock.schedule) / D5: ``priority`` and ``order`` default to 0, so an
    event scheduled without them fires before one due at once with priority 1 or order 1."""
    clock = VirtualClock()
    fired: list[str] = []
    clock.schedule(5, fired.append, "priority 1", priority=1)
    clock.schedule(5, fired.append, "order 1", order=1)
    clock.schedule(5, fired.append, "defaults")
    clock.run()
    assert fired == ["defaults", "order 1", "priority 1"]


def test_clock_prune_drops_dead_events_from_the_front_only() -> None:
    """D5 (docs/api.md VirtualClock.prune): ``prune(is_live)`` drops events from the front of
    the queue while ``is_live(at, callback, arg)`` is false, so ``peek`` shows the first live
    one; it is asked with each event's own time, callback and argument."""
    clock = VirtualClock()
    fired: list[str] = []

    def other(arg: Any) -> None:
        fired.append(f"other {arg}")

    clock.schedule(1, fired.append, "dead")
    clock.schedule(2, other, "dead")
    clock.schedule(3, fired.append, "live")
    clock.schedule(4, fired.append, "dead")
    asked: list[tuple[float, Any, Any]] = []

    def is_live(at: float, callback: Any, arg: Any) -> bool:
        asked.append((at, callback, arg))
        return bool(arg == "live" and callback == fired.append and at == 3)

    clock.prune(is_live)
    assert clock.peek() == 3 and len(clock) == 2
    assert asked == [(1, fired.append, "dead"), (2, other, "dead"), (3, fired.append, "live")]
    clock.run()
    assert fired == ["live", "dead"]


def test_an_event_due_at_the_last_second_of_the_range_is_next_and_fires() -> None:
    """§10.1 / D5: a training start due exactly at 9999-12-31T23:59:59Z is the emulator's next
    event, and it fires there."""
    end = VirtualClock().end
    emu = emulator(clock=VirtualClock(now=end - COLD))
    emu.create_training_job(**request("last"))
    assert emu.next_event_time() == end
    emu.run_until(end)
    assert describe(emu, "last")["SecondaryStatus"] == "Training"
    assert describe(emu, "last")["TrainingStartTime"] == LATEST


def test_expiries_moved_to_one_instant_fire_in_job_creation_order() -> None:
    """behaviour §4 / D5 / D18: pools whose keep-alive updates make them expire at the same
    instant end in job creation order, not in the order of the updates."""
    emu = emulator(training_seconds=600)
    emu.create_training_job(**request("first", keep_alive=3000))
    emu.create_training_job(**request("second", keep_alive=3000, role=OTHER_ROLE))
    emu.advance(1000)  # both released at 780, Available
    emu.update_training_job(
        TrainingJobName="second", ResourceConfig={"KeepAlivePeriodInSeconds": 600}
    )
    emu.update_training_job(
        TrainingJobName="first", ResourceConfig={"KeepAlivePeriodInSeconds": 600}
    )
    emu.advance(1000)  # both expire at 1380
    ended = [e.job for e in emu.events.of_type(PoolTerminated)]
    assert ended == ["first", "second"]


#: The controls that release a job at the instant they are called (a stop with
#: ``stopping_seconds=0`` completes before the call returns).
RELEASE_NOW: dict[str, Callable[[WarmPoolEmulator, str], object]] = {
    "complete": lambda emu, name: emu.complete_training_job(name),
    "fail": lambda emu, name: emu.fail_training_job(name, "AlgorithmError", "exit code 1"),
    "stop": lambda emu, name: emu.stop_training_job(TrainingJobName=name),
}


@pytest.mark.parametrize("control", sorted(RELEASE_NOW))
def test_pools_released_by_controls_at_one_instant_are_reused_in_job_creation_order(
    control: str,
) -> None:
    """behaviour §6 (Reuse) / D4 / D5: among pools released at one instant, reuse takes the
    earliest created first, whatever order the controls released them in; a pool released
    earlier still comes before them."""
    emu = emulator(training_seconds=None)
    for name in ("early", "first", "second"):  # one identity key, created in this order
        emu.create_training_job(**request(name))
    emu.advance(COLD + 20)
    RELEASE_NOW[control](emu, "early")
    emu.advance(10)
    RELEASE_NOW[control](emu, "second")  # released at one instant, out of creation order
    RELEASE_NOW[control](emu, "first")
    assert [pool_status(emu, n) for n in ("early", "first", "second")] == [
        {"Status": "Available"}
    ] * 3
    for name in ("x", "y", "z"):
        emu.create_training_job(**request(name))
    reused = [(e.job, e.by_job) for e in emu.events.of_type(PoolReused)]
    assert reused == [("early", "x"), ("first", "y"), ("second", "z")]


@pytest.mark.parametrize("control", sorted(RELEASE_NOW))
def test_pools_released_by_controls_at_one_instant_expire_in_job_creation_order(
    control: str,
) -> None:
    """behaviour §4 / D5: pools released at one instant with one keep-alive expire at one
    instant, in job creation order, whatever order the controls released them in."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("first", keep_alive=600))
    emu.create_training_job(**request("second", keep_alive=600, role=OTHER_ROLE))
    emu.advance(COLD + 20)
    RELEASE_NOW[control](emu, "second")
    RELEASE_NOW[control](emu, "first")
    emu.advance(600)
    ended = [(e.job, e.reason, e.time) for e in emu.events.of_type(PoolTerminated)]
    assert ended == [("first", "Expired", COLD + 20 + 600), ("second", "Expired", COLD + 20 + 600)]


def test_stops_completing_at_one_instant_release_in_job_creation_order() -> None:
    """behaviour §4 / D5 / D9: jobs whose stops complete at the same instant are released in
    job creation order, whatever order they were stopped in."""
    emu = emulator(timing=Timing(stopping_seconds=30), training_seconds=None)
    emu.create_training_job(**request("first", keep_alive=None))
    emu.create_training_job(**request("second", keep_alive=None))
    emu.advance(300)
    emu.stop_training_job(TrainingJobName="second")
    emu.stop_training_job(TrainingJobName="first")
    emu.advance(30)
    assert [e.job for e in emu.events.of_type(JobReleased)] == ["first", "second"]


def test_a_stop_completing_at_t_sees_the_warm_pool_quota_freed_by_an_expiry_at_t() -> None:
    """behaviour §4 / D5 / D9: a stop that completes at t is a release, so it comes after the
    warm pool expiries due at t, even of a job created after it: with room for one retained
    instance, the stopped job's cluster is kept because the other pool expired first."""
    plans = {"stopped": None, "pool": seconds(100)}
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=1)},
        timing=Timing(cold_start_seconds=COLD, stopping_seconds=60),
        workload=plans_by_name(plans),
    )
    emu.create_training_job(**request("stopped", keep_alive=600))
    emu.create_training_job(**request("pool", keep_alive=340, role=OTHER_ROLE))
    emu.advance(300)  # pool: trained 180..280, Available until 620
    emu.advance(260)  # t=560
    emu.stop_training_job(TrainingJobName="stopped")  # completes at 620
    emu.advance(100)
    assert pool_status(emu, "pool") == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 340,
    }
    assert pool_status(emu, "stopped") == {"Status": "Available"}
    assert event_index(emu, PoolTerminated, "pool") < event_index(emu, JobReleased, "stopped")
