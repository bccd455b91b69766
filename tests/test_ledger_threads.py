"""The event log and the ledgers shared by threads (behaviour §7, §8, §10.4, §11; D14, D26, D27).

Writers change state the way the emulator does: holding the shared re-entrant lock and calling
the private methods. Readers use the public API at the same time. Every read must succeed and
see a consistent state; afterwards the counts must add up. Nothing here depends on timing: the
threads only run interleaved (the interpreter is told to switch between them often).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, cast

import pytest

from tests.factories import INSTANCE_TYPE, ROLE
from warmpool import BillingLedger, Event, EventLog, Quota, QuotaLedger, VirtualClock
from warmpool.events import JobCreated, PoolKept

WRITERS = 4
READERS = 3


def run(writers: Iterable[Callable[[], None]], readers: Iterable[Callable[[], bool]]) -> None:
    """Run writers and readers in threads until every writer is done; readers are called
    over and over until then (at least 20 times each). Fails if any thread raised."""
    errors: list[BaseException] = []
    done = threading.Event()

    def write(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)

    def read(target: Callable[[], bool]) -> None:
        try:
            rounds = 0
            while not done.is_set() or rounds < 20:
                target()
                rounds += 1
        except BaseException as error:
            errors.append(error)

    writing = [threading.Thread(target=write, args=(target,)) for target in writers]
    reading = [threading.Thread(target=read, args=(target,)) for target in readers]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in writing + reading:
            thread.start()
        for thread in writing:
            thread.join(timeout=300)
        done.set()
        for thread in reading:
            thread.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in writing + reading), "a thread is stuck"
    assert errors == []


def check_runs(events: Iterable[Event], *, from_zero: bool) -> dict[str, int]:
    """Each writer's events (job ``w<k>``), in the order given, have times first, first + 1,
    ... (from 0 if ``from_zero``); returns how many each writer has."""
    times: dict[str, list[float]] = {}
    for event in events:
        if event.job != "other":
            times.setdefault(event.job, []).append(event.time)
    for job, seen in times.items():
        first = 0.0 if from_zero else seen[0]
        assert seen == [first + i for i in range(len(seen))], job
    return {job: len(seen) for job, seen in times.items()}


# --- the event log ---------------------------------------------------------------------------


@pytest.mark.parametrize("maxlen", [None, 300])
def test_event_log_read_by_many_threads_while_events_are_added(maxlen: int | None) -> None:
    """D26 / §11: reads from many threads while others add events never fail, each read
    sees a consistent log, and afterwards every event is in the log and was delivered to
    the subscriber exactly once."""
    per_writer = 2000
    lock = threading.RLock()
    log = EventLog(maxlen, lock=lock)
    delivered: Counter[str] = Counter()
    stop = log.subscribe(lambda event: delivered.update([event.job]))
    whole = maxlen is None

    def writer(k: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(per_writer):
                with lock:  # as the emulator does
                    log._record(JobCreated, float(i), f"w{k}", None)
                    if i % 3 == 2:
                        log._record(PoolKept, float(i), "other", 1, 0.0)
                    log._flush()

        return write

    def churn() -> None:
        for _ in range(500):
            unsubscribe = log.subscribe(lambda event: None)
            assert log.subscribed
            unsubscribe()

    def read_all() -> bool:
        events = list(log)
        assert len(events) <= len(log)
        check_runs(events, from_zero=whole)
        check_runs(log[-50:], from_zero=False)
        check_runs(reversed(list(reversed(log))), from_zero=whole)
        return True

    def read_filtered() -> bool:
        check_runs(log.of_type(JobCreated), from_zero=whole)
        assert log.count(JobCreated) + log.count(PoolKept) <= len(log) + WRITERS * 2
        return True

    def read_jobs() -> bool:
        for k in range(WRITERS):
            check_runs(log.for_job(f"w{k}"), from_zero=whole)
        if len(log):
            assert isinstance(log[0], Event) and isinstance(log[-1], Event)
        return True

    run(
        [writer(k) for k in range(WRITERS)] + [churn],
        [read_all, read_filtered, read_jobs],
    )
    others = WRITERS * len(range(2, per_writer, 3))
    total = WRITERS * per_writer + others
    assert len(log) == (total if maxlen is None else maxlen)
    assert log.count(Event) == len(log)
    assert delivered == {**{f"w{k}": per_writer for k in range(WRITERS)}, "other": others}
    for k in range(WRITERS):
        mine = log.for_job(f"w{k}")
        assert mine == [e for e in log if e.job == f"w{k}"]
        if maxlen is None:
            assert len(mine) == per_writer
    stop()
    assert not log.subscribed


# --- the quota ledger ------------------------------------------------------------------------


def test_quota_ledger_read_and_set_by_many_threads_while_use_changes() -> None:
    """D14 / §11: while the emulator moves instances between training and warm pools, every
    read sees in_training + retained as it is between moves, ``set`` never loses another
    thread's change, and the counts add up afterwards."""
    per_writer = 3000
    in_use = 5
    lock = threading.RLock()
    ledger = QuotaLedger({"ml.shared": Quota(training=0, warm_pool=0)}, lock=lock)
    mine = [f"ml.m{k}.xlarge" for k in range(WRITERS)]
    for instance_type in mine:
        ledger._start_training(instance_type, in_use)

    def writer(k: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(per_writer):
                with lock:  # a release that keeps one instance
                    ledger._end_training(mine[k], 1)
                    ledger._retain(mine[k], 1)
                with lock:  # a create that reuses it
                    ledger._reuse(mine[k], 1)
                with lock:  # a new instance type seen once
                    ledger._start_training(f"ml.x{k}.{i}", 1)
                    ledger._end_training(f"ml.x{k}.{i}", 1)

        return write

    def set_training() -> None:
        for i in range(per_writer):
            ledger.set("ml.shared", training=i)

    def set_warm_pool() -> None:
        for i in range(per_writer):
            ledger.set("ml.shared", warm_pool=i)

    def read_one() -> bool:
        for instance_type in mine:
            usage = ledger.usage(instance_type)
            assert usage.used == in_use and usage.in_training >= in_use - 1
            assert ledger.training_refusal(instance_type, 1) is None
            assert not ledger.can_retain(instance_type, 1)
        return True

    def read_all() -> bool:
        usages = ledger.usages()
        assert list(usages) == sorted(usages)
        for instance_type in mine:
            assert usages[instance_type].used == in_use
        types = list(ledger)
        assert types == sorted(types) and set(mine) <= set(types)
        return True

    def read_limits() -> bool:
        quota = ledger["ml.shared"]
        assert quota.training is not None and quota.training >= 0
        assert ledger.in_training("ml.shared") == ledger.retained("ml.shared") == 0
        return True

    run(
        [writer(k) for k in range(WRITERS)] + [set_training, set_warm_pool],
        [read_one, read_all, read_limits],
    )
    last = per_writer - 1
    assert ledger["ml.shared"] == Quota(training=last, warm_pool=last)
    for instance_type in mine:
        assert (ledger.in_training(instance_type), ledger.retained(instance_type)) == (in_use, 0)
    assert len(ledger.usages()) == 1 + WRITERS + WRITERS * per_writer


# --- the billing ledger ----------------------------------------------------------------------


def test_billing_ledger_read_by_many_threads_while_intervals_are_recorded() -> None:
    """D27 / §11: while the emulator closes and opens retained intervals and records
    training, every read sees whole intervals (each writer always has one pool open) and
    the totals add up afterwards."""
    per_writer = 2000
    lock = threading.RLock()
    ledger = BillingLedger(VirtualClock(), {INSTANCE_TYPE: 3.6}, lock=lock)
    for k in range(WRITERS):
        ledger._open_interval(f"w{k}", k * 1_000_000, INSTANCE_TYPE, 1, ROLE, 0.0)

    def writer(k: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(1, per_writer + 1):
                cluster = k * 1_000_000 + i
                with lock:  # a pool expires (1 s retained) and another becomes Available
                    ledger._close_interval(cluster - 1, 1.0, "Expired")
                    ledger._open_interval(f"w{k}", cluster, INSTANCE_TYPE, 1, ROLE, 0.0)
                with lock:  # a training of 3 s on 2 instances ends
                    ledger._record_training(f"w{k}", cluster, INSTANCE_TYPE, 2, ROLE, 0, 3, 3)

        return write

    def read_open() -> bool:
        open_now = ledger.open_retained()
        assert sorted(row.job for row in open_now) == [f"w{k}" for k in range(WRITERS)]
        totals = ledger.total(include_open=True)
        assert totals.retained_seconds == totals.retained_instance_seconds
        return True

    def read_totals() -> bool:
        totals = ledger.total()
        assert totals.retained_seconds == int(totals.retained_seconds)
        assert totals.training_instance_seconds == 2 * totals.training_seconds
        assert totals.training_seconds % 3 == 0
        assert totals.retained_cost == pytest.approx(totals.retained_seconds / 1000)
        by_job = ledger.totals_by("job", start=0, end=2)
        assert set(by_job) <= {f"w{k}" for k in range(WRITERS)}
        return True

    def read_rows() -> bool:
        clusters: dict[str, list[int]] = {}
        for row in ledger.retained:
            clusters.setdefault(row.job, []).append(row.cluster)
        for job, seen in clusters.items():
            first = int(job[1:]) * 1_000_000
            assert seen == list(range(first, first + len(seen)))
        assert len(ledger.retained[-5:]) <= 5
        training = ledger.training
        if len(training):
            assert training[-1].billable_seconds == 3
        assert all(row.instance_count == 2 for row in reversed(training))
        return True

    run([writer(k) for k in range(WRITERS)], [read_open, read_totals, read_rows])
    total = WRITERS * per_writer
    assert len(ledger.retained) == len(ledger.training) == total
    totals = ledger.total()
    assert (totals.retained_seconds, totals.training_instance_seconds) == (total, 6 * total)
    by_job = ledger.totals_by("job")
    assert {job: t.retained_seconds for job, t in by_job.items()} == {
        f"w{k}": per_writer for k in range(WRITERS)
    }
    assert len(ledger.open_retained()) == WRITERS


# --- which methods take the lock -------------------------------------------------------------


class CountingLock:
    """A re-entrant lock that counts how often it was taken."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.taken = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        self.taken += 1
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def counting_lock() -> tuple[CountingLock, threading.RLock]:
    lock = CountingLock()
    return lock, cast(threading.RLock, lock)


def takes_the_lock(lock: CountingLock, call: Callable[[], Any]) -> bool:
    before = lock.taken
    call()
    return lock.taken > before


def test_public_methods_of_the_event_log_take_its_lock_and_the_emulators_do_not() -> None:
    """D26: the log's public methods hold the lock it was given; ``_record`` and ``_flush``,
    which the emulator calls while holding it, do not take it again."""
    counter, lock = counting_lock()
    log = EventLog(lock=lock)
    seen: list[Event] = []
    unsubscribe = log.subscribe(seen.append)
    assert not takes_the_lock(counter, lambda: log._record(JobCreated, 0.0, "a", None))
    assert not takes_the_lock(counter, log._flush)
    assert seen == [JobCreated(0.0, "a", None)]
    public: list[Callable[[], Any]] = [
        lambda: len(log),
        lambda: log.subscribed,
        lambda: iter(log),
        lambda: reversed(log),
        lambda: log[0],
        lambda: log[-1:],
        lambda: log.of_type(JobCreated),
        lambda: log.count(JobCreated),
        lambda: log.for_job("a"),
        lambda: log.subscribe(print)(),
        unsubscribe,
    ]
    for call in public:
        assert takes_the_lock(counter, call)


def test_public_methods_of_the_quota_ledger_take_its_lock_and_the_emulators_do_not() -> None:
    """D14: the ledger's public methods hold the lock it was given; the methods that change
    the counts, which the emulator calls while holding it, do not take it again."""
    counter, lock = counting_lock()
    ledger = QuotaLedger({INSTANCE_TYPE: Quota(training=4, warm_pool=2)}, lock=lock)
    private: list[Callable[[], Any]] = [
        lambda: ledger._start_training(INSTANCE_TYPE, 2),
        lambda: ledger._end_training(INSTANCE_TYPE, 1),
        lambda: ledger._retain(INSTANCE_TYPE, 1),
        lambda: ledger._reuse(INSTANCE_TYPE, 1),
        lambda: ledger._release(INSTANCE_TYPE, 0),
        lambda: ledger._training_refusal(INSTANCE_TYPE, 1),
        lambda: ledger._can_retain(INSTANCE_TYPE, 1),
    ]
    for call in private:
        assert not takes_the_lock(counter, call)
    public: list[Callable[[], Any]] = [
        lambda: ledger[INSTANCE_TYPE],
        lambda: ledger.__setitem__("ml.c5.xlarge", Quota()),
        lambda: iter(ledger),
        lambda: ledger.set(INSTANCE_TYPE, warm_pool=1),
        lambda: ledger.in_training(INSTANCE_TYPE),
        lambda: ledger.retained(INSTANCE_TYPE),
        lambda: ledger.usage(INSTANCE_TYPE),
        ledger.usages,
        lambda: ledger.training_refusal(INSTANCE_TYPE, 1),
        lambda: ledger.can_retain(INSTANCE_TYPE, 1),
    ]
    for call in public:
        assert takes_the_lock(counter, call)
    assert ledger.usage(INSTANCE_TYPE).in_training == 2


def test_public_methods_of_the_billing_ledger_take_its_lock_and_the_emulators_do_not() -> None:
    """D27: the ledger's public methods hold the lock it was given; the methods that record
    intervals, which the emulator calls while holding it, do not take it again."""
    counter, lock = counting_lock()
    ledger = BillingLedger(VirtualClock(), lock=lock)
    private: list[Callable[[], Any]] = [
        lambda: ledger._open_interval("a", 1, INSTANCE_TYPE, 1, ROLE, 0.0),
        lambda: ledger._close_interval(1, 5.0, "Expired"),
        lambda: ledger._open_interval("a", 2, INSTANCE_TYPE, 1, ROLE, 5.0),
        lambda: ledger._record_training("a", 1, INSTANCE_TYPE, 1, ROLE, 0.0, 1.0, 1),
    ]
    for call in private:
        assert not takes_the_lock(counter, call)
    public: list[Callable[[], Any]] = [
        lambda: len(ledger.retained),
        lambda: ledger.retained[0],
        lambda: ledger.training[:],
        lambda: iter(ledger.training),
        lambda: reversed(ledger.retained),
        ledger.open_retained,
        lambda: ledger.total(include_open=True),
        lambda: ledger.totals_by("role"),
    ]
    for call in public:
        assert takes_the_lock(counter, call)
    assert [r.billable_seconds for r in ledger.retained] == [5]


def test_a_subscriber_may_read_the_log_and_unsubscribe_while_the_lock_is_held() -> None:
    """D26: subscribers run while the emulator holds the lock; as it is re-entrant, a
    subscriber may use the log (and the emulator) from the same thread."""
    lock = threading.RLock()
    log = EventLog(lock=lock)
    seen: list[tuple[int, int]] = []

    def subscriber(event: Event) -> None:
        seen.append((len(log), len(log.for_job(event.job))))
        stop()

    stop = log.subscribe(subscriber)
    with lock:
        log._record(JobCreated, 0.0, "a", None)
        log._record(JobCreated, 0.0, "a", None)
        log._flush()
    assert seen == [(2, 2)]  # unsubscribed after the first event
    assert not log.subscribed


# --- the lock argument -----------------------------------------------------------------------


BUILDERS: dict[str, Callable[[Any], object]] = {
    "EventLog": lambda lock: EventLog(lock=lock),
    "QuotaLedger": lambda lock: QuotaLedger(lock=lock),
    "BillingLedger": lambda lock: BillingLedger(VirtualClock(), lock=lock),
}


@pytest.mark.parametrize("owner", sorted(BUILDERS))
@pytest.mark.parametrize("bad", [threading.Lock(), object(), "lock"], ids=repr)
def test_lock_that_is_not_re_entrant_is_a_type_error(owner: str, bad: object) -> None:
    """D26 / D14 / D27: ``lock`` must be a re-entrant lock (the public methods call one
    another, and the emulator calls them while holding it)."""
    with pytest.raises(TypeError, match=f"{owner}: lock must be a re-entrant lock"):
        BUILDERS[owner](bad)


@pytest.mark.parametrize("owner", sorted(BUILDERS))
def test_without_a_lock_each_builds_its_own(owner: str) -> None:
    """D26 / D14 / D27: built on their own, the log and the ledgers do not share a lock."""
    first, second = BUILDERS[owner](None), BUILDERS[owner](None)
    assert first._lock is not second._lock  # type: ignore[attr-defined]
