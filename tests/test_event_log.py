"""The event log as a sequence: slices, indexing, ``for_job``, ``count`` and ``of_type``, with
and without ``maxlen`` (behaviour §10.4, D26).

Events are added here the way the emulator adds them (``EventLog._record``), so the log can be
checked against a plain list of the same events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import describe, emulator, request
from warmpool import Event, EventLog
from warmpool import events as events_module
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
)

# One way to build an event of each class at a time, for a job.
MAKERS: dict[type[Event], Callable[[float, str], Event]] = {
    JobCreated: lambda t, job: JobCreated(t, job, None),
    TrainingStarted: lambda t, job: TrainingStarted(t, job, 1, False),
    StopRequested: lambda t, job: StopRequested(t, job),
    JobReleased: lambda t, job: JobReleased(t, job, "Completed", "Completed", 1),
    PoolKept: lambda t, job: PoolKept(t, job, 1, t + 60),
    PoolReused: lambda t, job: PoolReused(t, job, 1, "other"),
    PoolTerminated: lambda t, job: PoolTerminated(t, job, 1, "Expired", 60),
    KeepAliveUpdated: lambda t, job: KeepAliveUpdated(t, job, 60, t + 60),
    QuotaRefused: lambda t, job: QuotaRefused(t, job, "training", "ml.m5.xlarge", 1, 1, 1),
    JobDeleted: lambda t, job: JobDeleted(t, job),
}
assert set(MAKERS) == set(EVENT_TYPES)


def add(log: EventLog, event: Event) -> None:
    """Append ``event`` as the emulator does."""
    log._record(type(event), *attrs.astuple(event, recurse=False))


def filled(maxlen: int | None, count: int, jobs: tuple[str, ...] = ("a", "b", "c")) -> EventLog:
    """A log to which ``count`` events were added, cycling through kinds and jobs."""
    log = EventLog(maxlen)
    for event in sample_events(count, jobs):
        add(log, event)
    return log


def sample_events(count: int, jobs: tuple[str, ...] = ("a", "b", "c")) -> list[Event]:
    kinds = list(MAKERS)
    return [MAKERS[kinds[i % len(kinds)]](float(i), jobs[i % len(jobs)]) for i in range(count)]


def kept(events: list[Event], maxlen: int | None) -> list[Event]:
    """What a log with ``maxlen`` keeps of ``events``."""
    if maxlen is None:
        return list(events)
    return events[max(0, len(events) - maxlen) :]


SLICES = [
    slice(None),
    slice(-3, None),
    slice(None, 3),
    slice(2, 7),
    slice(None, None, 2),
    slice(None, None, -1),
    slice(-1, -8, -2),
    slice(5, 2),
    slice(100, None),
    slice(None, 0),
    slice(-100, 100, 3),
    slice(1, -1, 4),
    slice(8, 1, -3),
]


# --- slices and indexing ---------------------------------------------------------------------


@pytest.mark.parametrize("maxlen", [None, 0, 1, 5, 20, 1000])
@pytest.mark.parametrize("index", SLICES, ids=repr)
def test_slices_of_the_log_equal_slices_of_its_events(maxlen: int | None, index: slice) -> None:
    """D26: ``log[i:j:k]`` is the list of the events kept, sliced like a list (negative
    bounds, steps, empty results), with and without ``maxlen``."""
    events = sample_events(30)
    log = filled(maxlen, 30)
    assert log[index] == kept(events, maxlen)[index]


def test_a_few_events_from_the_middle_of_a_long_bounded_log() -> None:
    """D26: a slice far from both ends of a bounded log gives exactly those events."""
    events = sample_events(1500)
    log = filled(1000, 1500)
    expected = kept(events, 1000)
    assert log[500:503] == expected[500:503]
    assert log[400:900:100] == expected[400:900:100]
    assert log[-400:-900:-100] == expected[-400:-900:-100]
    assert log[-1:] == [events[-1]]
    assert log[:1] == [events[500]]


def test_slice_step_zero_is_a_value_error() -> None:
    """D26: as for a list, a slice step of 0 is refused."""
    for maxlen in (None, 5):
        with pytest.raises(ValueError, match="slice step cannot be zero"):
            filled(maxlen, 10)[::0]


@pytest.mark.parametrize("maxlen", [None, 5, 1000])
def test_indexing_gives_the_event_at_that_position(maxlen: int | None) -> None:
    """D26: ``log[i]`` is the i-th event kept; out of range is an IndexError."""
    events = kept(sample_events(1200), maxlen)
    log = filled(maxlen, 1200)
    for i in (0, 1, len(events) // 2, -1, -2, -len(events)):
        assert log[i] == events[i]
    for i in (len(events), -len(events) - 1):
        with pytest.raises(IndexError):
            log[i]


@pytest.mark.parametrize("maxlen", [None, 4])
def test_iter_and_reversed_give_the_events_present_when_they_were_called(
    maxlen: int | None,
) -> None:
    """D26: iterating sees the log as it was when iteration began, even if events are added
    (and, with ``maxlen``, dropped) meanwhile."""
    events = sample_events(20)
    log = EventLog(maxlen)
    for event in events[:10]:
        add(log, event)
    forward, backward = iter(log), reversed(log)
    for event in events[10:]:
        add(log, event)
    assert list(forward) == kept(events[:10], maxlen)
    assert list(backward) == kept(events[:10], maxlen)[::-1]
    assert list(log) == kept(events, maxlen)


# --- count and of_type -----------------------------------------------------------------------


def test_count_builds_no_events_and_of_type_builds_only_those_it_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D26: ``count`` and ``of_type`` filter the stored records; events are built only for
    what is returned."""
    log = filled(None, 100)
    built: list[Any] = []
    real = events_module._event

    def counting(record: Any) -> Event:
        built.append(record)
        return real(record)

    monkeypatch.setattr(events_module, "_event", counting)
    assert log.count(PoolKept) == 10
    assert built == []
    assert len(log.of_type(PoolKept)) == 10
    assert len(built) == 10


def test_count_and_of_type_include_subclasses() -> None:
    """D26: a class selects its subclasses too; ``Event`` selects everything."""
    log = filled(7, 30)
    assert log.count(Event) == 7
    assert log.of_type(Event) == list(log)
    assert log.count(QuotaRefused) == sum(isinstance(e, QuotaRefused) for e in log)


# --- for_job ---------------------------------------------------------------------------------


def test_for_job_before_and_after_its_index_exists_sees_every_event_of_the_name() -> None:
    """D26: the first ``for_job`` builds the index; events added later, including ones of
    names never seen before, are found by later calls."""
    log = EventLog()
    events = sample_events(12)
    for event in events[:6]:
        add(log, event)
    assert log.for_job("a") == [e for e in events[:6] if e.job == "a"]
    assert log.for_job("new") == []
    for event in [*events[6:], JobCreated(12.0, "new", None)]:
        add(log, event)
    assert log.for_job("a") == [e for e in events if e.job == "a"]
    assert log.for_job("b") == [e for e in events if e.job == "b"]
    assert log.for_job("new") == [JobCreated(12.0, "new", None)]


def test_a_log_never_asked_for_a_job_keeps_no_index() -> None:
    """D26: a log whose ``for_job`` is never called pays nothing for the index."""
    log = filled(None, 50)
    assert log[-5:] and list(log) and log.count(Event) == 50
    assert log._by_job is None
    log.for_job("a")
    assert log._by_job is not None


def test_for_job_with_maxlen_forgets_the_dropped_events() -> None:
    """D26: with ``maxlen``, events dropped from the front are gone from ``for_job`` too."""
    events = sample_events(40)
    log = EventLog(maxlen=5)
    for event in events[:10]:
        add(log, event)
    assert log.for_job("a") == [e for e in events[5:10] if e.job == "a"]
    add(log, events[10])  # drops events[5]
    assert log.for_job("c") == [e for e in events[6:11] if e.job == "c"]
    for event in events[11:40]:  # drops everything indexed so far
        add(log, event)
    for job in ("a", "b", "c"):
        assert log.for_job(job) == [e for e in events[35:] if e.job == job]


def test_for_job_with_maxlen_0_finds_nothing() -> None:
    """D26: a log that keeps nothing has no events for any job."""
    log = filled(0, 10)
    assert log.for_job("a") == []
    add(log, JobCreated(11.0, "a", None))
    assert log.for_job("a") == []


@pytest.mark.parametrize("names", [3, 700])
def test_for_job_index_stays_bounded_with_maxlen(names: int) -> None:
    """D26: with ``maxlen`` the index holds at most about twice the events kept, however
    many events pass through and whichever names are asked for."""
    log = EventLog(maxlen=10)
    events = sample_events(5000, tuple(f"job-{i}" for i in range(names)))
    for i, event in enumerate(events):
        add(log, event)
        if i % 7 == 0:
            log.for_job("job-0")
        assert log._by_job is None or log._by_job.size <= 2 * 10 + 64 + 7
    assert log.for_job("job-0") == [e for e in events[-10:] if e.job == "job-0"]


def test_for_job_of_a_name_reused_after_delete_has_the_events_of_every_job_with_it() -> None:
    """behaviour §10.4 / D26: a name reused after ``DeleteTrainingJob`` is one name in the log."""
    emu = emulator(warm_pool=0)
    emu.create_training_job(**request("j"))
    before = emu.events.for_job("j")  # builds the index
    emu.advance(1000)
    emu.delete_training_job(TrainingJobName="j")
    emu.create_training_job(**request("j"))
    emu.advance(1000)
    assert describe(emu, "j")["TrainingJobStatus"] == "Completed"
    everything = [e for e in emu.events if e.job == "j"]
    assert emu.events.for_job("j") == everything
    assert everything[: len(before)] == before
    assert [type(e) for e in everything].count(JobCreated) == 2
    assert JobDeleted in [type(e) for e in everything]


def test_for_job_of_a_reused_name_with_maxlen_keeps_only_the_newest() -> None:
    """D26: with ``maxlen``, only the kept events of a reused name are returned."""
    log = EventLog(maxlen=3)
    events = [
        JobCreated(0.0, "j", None),
        JobDeleted(1.0, "j"),
        JobCreated(2.0, "j", None),
        JobCreated(3.0, "k", None),
        JobDeleted(4.0, "j"),
    ]
    for event in events[:3]:
        add(log, event)
    assert log.for_job("j") == events[:3]
    for event in events[3:]:
        add(log, event)
    assert log.for_job("j") == [events[2], events[4]]


def test_for_job_of_a_non_string_is_a_type_error() -> None:
    """D26: ``for_job`` takes a job name."""
    with pytest.raises(TypeError, match="job must be a training job name"):
        EventLog().for_job(3)  # type: ignore[arg-type]


# --- the log against a list ------------------------------------------------------------------

JOBS = ("a", "b", "c")
KINDS = [Event, *EVENT_TYPES]
BOUNDS = st.none() | st.integers(-60, 60)

OPERATIONS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(EVENT_TYPES), st.sampled_from(JOBS)),
    st.tuples(st.just("add_many"), st.integers(1, 80), st.sampled_from(JOBS)),
    st.tuples(st.just("slice"), BOUNDS, BOUNDS, st.none() | st.integers(-4, 4).filter(bool)),
    st.tuples(st.just("index"), st.integers(-60, 60)),
    st.tuples(st.just("for_job"), st.sampled_from((*JOBS, "nobody"))),
    st.tuples(st.just("count"), st.sampled_from(KINDS)),
    st.tuples(st.just("of_type"), st.sampled_from(KINDS)),
    st.tuples(st.just("iter")),
)


@given(
    maxlen=st.none() | st.integers(0, 50),
    operations=st.lists(OPERATIONS, max_size=60),
)
def test_event_log_behaves_like_a_list_of_its_events(
    maxlen: int | None, operations: list[tuple[Any, ...]]
) -> None:
    """D26: under any mix of additions and reads, the log answers as a list of the events
    it keeps (the newest ``maxlen``) would."""
    log = EventLog(maxlen)
    model: list[Event] = []
    clock = 0.0

    def append(event: Event) -> None:
        add(log, event)
        model.append(event)
        if maxlen is not None:
            del model[: max(0, len(model) - maxlen)]

    for operation in operations:
        name, *args = operation
        if name == "add":
            kind, job = args
            clock += 1
            append(MAKERS[kind](clock, job))
        elif name == "add_many":
            count, job = args
            for event in sample_events(count, (job, *JOBS)):
                clock += 1
                append(attrs.evolve(event, time=clock))
        elif name == "slice":
            index = slice(*args)
            assert log[index] == model[index]
        elif name == "index":
            (i,) = args
            if -len(model) <= i < len(model):
                assert log[i] == model[i]
            else:
                with pytest.raises(IndexError):
                    log[i]
        elif name == "for_job":
            (job,) = args
            assert log.for_job(job) == [e for e in model if e.job == job]
        elif name == "count":
            (kind,) = args
            assert log.count(kind) == sum(isinstance(e, kind) for e in model)
        elif name == "of_type":
            (kind,) = args
            assert log.of_type(kind) == [e for e in model if isinstance(e, kind)]
        else:
            assert list(log) == model
            assert list(reversed(log)) == model[::-1]
        assert len(log) == len(model)
