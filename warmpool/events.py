"""The event log: typed, timestamped records of everything the emulator did (D26).

Every event has ``time`` (seconds since the clock's epoch) and ``job`` (a training job name).
The log is appended to as things happen, so the same calls always give the same log.

Subscribers (``log.subscribe(callback)``) are called with each event once the instant it belongs
to is complete (``log.subscribe_records(callback)``: with each event's record, the tuple
``(code, time, job, *fields)`` the log stores, which costs less than building the event):
every event due at that time has fired and the emulator is consistent, so a subscriber may call
the emulator (for example create the next job the moment one is released). Every subscriber
sees the events in log order: events caused by a subscriber's own calls are delivered after it
returns.

The log is safe to read from many threads: each public method takes the log's re-entrant lock,
which an emulator shares with everything it owns (``emu.lock``). Subscribers run while the
emulator holds that lock.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar, overload

import attrs

from ._locks import reentrant_lock

__all__ = [
    "EVENT_TYPES",
    "Event",
    "EventLog",
    "EventRecord",
    "JobCreated",
    "JobDeleted",
    "JobReleased",
    "KeepAliveUpdated",
    "PoolKept",
    "PoolReused",
    "PoolTerminated",
    "QuotaRefused",
    "StopRequested",
    "TrainingStarted",
    "code",
    "event_from_record",
]


@attrs.frozen(slots=True)
class Event:
    """Base of all events."""

    time: float
    job: str


@attrs.frozen(slots=True)
class JobCreated(Event):
    """``CreateTrainingJob`` succeeded. ``cluster`` is the warm pool taken over, if any."""

    cluster: int | None


@attrs.frozen(slots=True)
class TrainingStarted(Event):
    """Training began on ``cluster``: a new one (cold start) or a warm pool (``warm``)."""

    cluster: int
    warm: bool


@attrs.frozen(slots=True)
class StopRequested(Event):
    """``StopTrainingJob`` was accepted; the job is ``Stopping``."""


@attrs.frozen(slots=True)
class JobReleased(Event):
    """Training ended: ``status`` is the job's final ``TrainingJobStatus``."""

    status: str
    secondary_status: str
    cluster: int | None


@attrs.frozen(slots=True)
class PoolKept(Event):
    """The job's cluster became an ``Available`` warm pool until ``expires_at``."""

    cluster: int
    expires_at: float


@attrs.frozen(slots=True)
class PoolReused(Event):
    """The job's ``Available`` pool moved to ``by_job``; the job's status is ``Reused``."""

    cluster: int
    by_job: str


@attrs.frozen(slots=True)
class PoolTerminated(Event):
    """The job's warm pool status became ``Terminated`` for ``reason``.

    Reasons for an ``Available`` pool: ``Expired``, ``Released`` (``UpdateTrainingJob``),
    ``PatchUpdate``, ``LifetimeCap``. Reasons at release, when the cluster is not kept:
    ``NoKeepAlive``, ``NotLaunched``, ``Unhealthy``, ``LifetimeCap``, ``WarmPoolQuota``.
    """

    cluster: int | None
    reason: str
    billable_seconds: int


@attrs.frozen(slots=True)
class KeepAliveUpdated(Event):
    """``UpdateTrainingJob`` set a new keep-alive; the pool now expires at ``expires_at``."""

    keep_alive_seconds: int
    expires_at: float


@attrs.frozen(slots=True)
class QuotaRefused(Event):
    """A quota said no: ``quota`` is ``"training"`` (the create was refused with
    ``ResourceLimitExceeded``) or ``"warm_pool"`` (the cluster was not kept)."""

    quota: str
    instance_type: str
    limit: int
    used: int
    requested: int


@attrs.frozen(slots=True)
class JobDeleted(Event):
    """``DeleteTrainingJob`` removed the job; its name is free again."""


E = TypeVar("E", bound=Event)

#: Every event class, in a fixed order: the log stores an event as ``(index, *fields)``.
EVENT_TYPES: tuple[type[Event], ...] = (
    JobCreated,
    TrainingStarted,
    StopRequested,
    JobReleased,
    PoolKept,
    PoolReused,
    PoolTerminated,
    KeepAliveUpdated,
    QuotaRefused,
    JobDeleted,
)
_CODES: dict[type[Event], int] = {kind: code for code, kind in enumerate(EVENT_TYPES)}
#: An event as the log stores it: ``(code, time, job, *fields)``, the fields in the order of
#: the event class's own (``attrs.fields``), ``code`` the class's index in :data:`EVENT_TYPES`.
EventRecord = tuple[Any, ...]
_Record = EventRecord


def code(kind: type[Event]) -> int:
    """The number that stands for ``kind`` in a record (its index in :data:`EVENT_TYPES`)."""
    try:
        return _CODES[kind]
    except (KeyError, TypeError):
        raise ValueError(f"kind must be one of the event classes, not {kind!r}") from None


def _event(record: _Record) -> Event:
    return EVENT_TYPES[record[0]](*record[1:])


def event_from_record(record: EventRecord) -> Event:
    """The event a record stands for (``EVENT_TYPES[record[0]](*record[1:])``)."""
    return _event(record)


def _codes(kind: type[Event]) -> frozenset[int]:
    """The codes of ``kind`` and its subclasses."""
    return frozenset(code for code, cls in enumerate(EVENT_TYPES) if issubclass(cls, kind))


_Records = list[_Record] | deque[_Record]


def _select(records: _Records, index: slice) -> list[_Record]:
    """``records[index]`` as a list, touching about as many records as it returns."""
    if isinstance(records, list):
        return records[index]
    size = len(records)
    picked = range(size)[index]
    if not picked:
        return []
    lo, hi = (picked[0], picked[-1]) if picked.step > 0 else (picked[-1], picked[0])
    # A deque is walked from one end; from the nearer one, a slice costs min(hi + 1, size - lo).
    walk = min(hi + 1, size - lo)
    if len(picked) * 16 < walk:
        # A few records far from both ends: look each one up (a deque skips 64 per step).
        return [records[i] for i in picked]
    if hi + 1 <= size - lo:
        window = list(islice(records, lo, hi + 1))
    else:
        window = list(islice(reversed(records), size - 1 - hi, size - lo))
        window.reverse()
    # window is records[lo:hi + 1]; the picked ones start at one end and end at the other.
    return window[:: picked.step]


class _JobIndex:
    """Job name -> positions of its events, brought up to date each time it is read.

    A position counts every event appended since indexing began, so with ``maxlen`` the
    events dropped from the front are those below ``base``, the position of the oldest event
    kept. Dropped positions are removed from a name's array when that name is read, and from
    all of them when they make up more than half of the index.
    """

    __slots__ = ("base", "last", "next", "positions", "size")

    def __init__(self) -> None:
        self.positions: dict[str, array[int]] = {}
        self.next = 0  # the position of the next event to index
        self.base = 0  # the position of records[0]
        self.last: _Record | None = None  # the newest event indexed (maxlen form only)
        self.size = 0  # positions held, dropped ones included

    def find(self, records: _Records, job: str) -> list[_Record]:
        """The records of ``job``, in order."""
        self._update(records)
        held = self.positions.get(job)
        if held is None:
            return []
        base = self.base
        if held[0] < base:
            cut = bisect_left(held, base)
            del held[:cut]
            self.size -= cut
            if not held:
                del self.positions[job]
                return []
        return [records[position - base] for position in held]

    def _update(self, records: _Records) -> None:
        """Index the records appended since the last call."""
        if isinstance(records, list):
            new = records[self.next :]
        else:
            # The records after the newest one indexed (records are distinct tuples, and the
            # index holds that one, so `is` finds exactly it).
            new = []
            last = self.last
            for record in reversed(records):
                if record is last:
                    break
                new.append(record)
            else:
                # The newest event indexed was dropped, so all of them were: start afresh.
                self.positions.clear()
                self.size = 0
            new.reverse()
            self.base = self.next + len(new) - len(records)
            if records:
                self.last = records[-1]
        positions = self.positions
        position = self.next
        for record in new:
            held = positions.get(record[2])
            if held is None:
                positions[record[2]] = array("q", (position,))
            else:
                held.append(position)
            position += 1
        self.next = position
        self.size += len(new)
        if self.size > 2 * len(records) + 64:
            self._rebuild(records)

    def _rebuild(self, records: _Records) -> None:
        """Index the records kept, and nothing else."""
        self.positions = {}
        for offset, record in enumerate(records):
            held = self.positions.get(record[2])
            if held is None:
                self.positions[record[2]] = array("q", (self.base + offset,))
            else:
                held.append(self.base + offset)
        self.size = len(records)


class EventLog:
    """The emulator's events in the order they happened, with subscribers.

    ``maxlen`` bounds how many are kept (the oldest are dropped); ``maxlen=0`` keeps none
    but still notifies subscribers.

    Events are stored as tuples of plain values and built as typed events when read, so that a
    log of millions of events costs the garbage collector nothing (tuples of atomic values are
    not tracked); reading the same position twice gives equal, not identical, events. Reads
    cost what they return: ``log[-k:]`` touches k events, and ``for_job`` uses an index by job
    name that its first call builds (a log that is never asked pays nothing for it).

    Every public method takes ``lock``, a re-entrant lock (by default one of the log's own; an
    emulator passes its ``emu.lock``, so one lock guards all of its state). Reads see the log as
    it was when they took the lock, so iterating while other threads add events never fails.
    The emulator delivers events to subscribers while it holds that lock: a subscriber may call
    the emulator from its own thread, but must not wait for another thread that needs the lock.
    """

    __slots__ = (
        "_add",
        "_by_job",
        "_delivering",
        "_lock",
        "_pending",
        "_records",
        "_subscribers",
        "_targets",
    )

    def __init__(self, maxlen: int | None = None, *, lock: threading.RLock | None = None) -> None:
        if maxlen is not None and (
            isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 0
        ):
            raise ValueError(f"maxlen must be None or an int >= 0, not {maxlen!r}")
        self._lock = reentrant_lock(lock, "EventLog")
        self._records: _Records = [] if maxlen is None else deque(maxlen=maxlen)
        #: The subscribers, each with whether it takes records (subscribe_records) or events.
        self._subscribers: list[tuple[Callable[[Any], object], bool]] = []
        self._targets: tuple[tuple[Callable[[Any], object], bool], ...] = ()  # ... as a tuple
        self._pending: deque[_Record] = deque()  # logged, not yet delivered
        self._delivering = False
        self._by_job: _JobIndex | None = None
        #: How the emulator logs a record (``(code, time, job, *fields)``, see :func:`code`):
        #: the records' own ``append`` while nobody is subscribed (one C call), else
        #: :meth:`_add_and_queue`. Swapped by :meth:`subscribe` and its unsubscribe function.
        self._add: Callable[[_Record], None] = self._records.append

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    @property
    def subscribed(self) -> bool:
        """Whether anyone is subscribed."""
        with self._lock:
            return bool(self._subscribers)

    def _snapshot(self) -> Iterable[_Record]:
        """The records as they are now, to read after releasing the lock (hold it to call)."""
        records = self._records
        if isinstance(records, list):
            # Only ever appended to, so its first len(records) items never change.
            return islice(records, len(records))
        return tuple(records)

    def __iter__(self) -> Iterator[Event]:
        """The events in the log now (events added while iterating are not included)."""
        with self._lock:
            snapshot = self._snapshot()
        return map(_event, snapshot)

    def __reversed__(self) -> Iterator[Event]:
        with self._lock:
            records = self._records
            snapshot = records[:] if isinstance(records, list) else tuple(records)
        return map(_event, reversed(snapshot))

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            with self._lock:
                chosen = _select(self._records, index)
            return [_event(record) for record in chosen]
        with self._lock:
            record = self._records[index]
        return _event(record)

    def __repr__(self) -> str:
        return f"<EventLog of {len(self._records)} events>"

    def of_type(self, kind: type[E]) -> list[E]:
        """The events of one type (or its subclasses), in order."""
        codes = _codes(kind)
        with self._lock:
            snapshot = self._snapshot()
        return [
            _event(record)  # type: ignore[misc]
            for record in snapshot
            if record[0] in codes
        ]

    def count(self, kind: type[Event]) -> int:
        """How many events of one type (or its subclasses) the log holds."""
        codes = _codes(kind)
        with self._lock:
            snapshot = self._snapshot()
        return sum(1 for record in snapshot if record[0] in codes)

    def for_job(self, job: str) -> list[Event]:
        """The events about one job name, in order (a name reused after ``DeleteTrainingJob``
        has the events of every job that had it)."""
        if not isinstance(job, str):
            raise TypeError(f"job must be a training job name (str), not {job!r}")
        with self._lock:
            index = self._by_job
            if index is None:
                index = self._by_job = _JobIndex()
            chosen = index.find(self._records, job)
        return [_event(record) for record in chosen]

    def subscribe(self, callback: Callable[[Event], object]) -> Callable[[], None]:
        """Call ``callback(event)`` for every later event; returns a function that unsubscribes.

        The emulator calls subscribers while it holds its lock (see the class's notes).
        """
        return self._subscribe(callback, False)

    def subscribe_records(self, callback: Callable[[EventRecord], object]) -> Callable[[], None]:
        """Call ``callback(record)`` for every later event, with the record the log stores
        (:data:`EventRecord`: ``(code, time, job, *fields)``) instead of the event; returns a
        function that unsubscribes.

        For subscribers that see millions of events (a replay): a record costs nothing to
        deliver, an event is built for each subscriber call. Otherwise as :meth:`subscribe`,
        and delivered in the same order, mixed with it.
        """
        return self._subscribe(callback, True)

    def _subscribe(self, callback: Callable[[Any], object], records: bool) -> Callable[[], None]:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        entry = (callback, records)
        with self._lock:
            self._subscribers.append(entry)
            self._targets = tuple(self._subscribers)
            self._add = self._add_and_queue

        def unsubscribe() -> None:
            with self._lock:
                # by identity: two equal callbacks (bound methods of one object) are two
                # subscriptions, and each unsubscribe ends its own
                for index, subscriber in enumerate(self._subscribers):
                    if subscriber is entry:
                        del self._subscribers[index]
                        self._targets = tuple(self._subscribers)
                        break
                if not self._subscribers:
                    self._add = self._records.append

        return unsubscribe

    # -- used by the emulator -----------------------------------------------------------------

    # These run while the emulator holds the lock, and do not take it: they are its hot path.

    def _record(self, kind: type[Event], *fields: Any) -> None:
        """Log an event of ``kind`` with ``fields`` in the class's field order (the hot path
        builds the record itself and calls :attr:`_add`)."""
        self._add((_CODES[kind], *fields))

    def _add_and_queue(self, record: _Record) -> None:
        self._records.append(record)
        self._pending.append(record)

    def _flush(self) -> None:
        """Deliver pending events to subscribers, oldest first.

        Not re-entrant: when a subscriber calls the emulator, the events that call causes are
        delivered after the subscriber returns, so every subscriber sees events in log order.
        """
        if self._delivering or not self._pending:
            return
        self._delivering = True
        try:
            pending = self._pending
            while pending:
                record = pending.popleft()
                event = None
                # _targets is replaced, never changed, when someone (un)subscribes meanwhile
                for callback, records in self._targets:
                    if records:
                        callback(record)
                    else:
                        if event is None:
                            event = _event(record)
                        callback(event)
        finally:
            self._delivering = False
