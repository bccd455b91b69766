"""The event log: typed, timestamped records of everything the emulator did (SPEC §10).

Every event has ``time`` (seconds since the clock's epoch) and ``job`` (a training job name).
The log is appended to as things happen, so the same calls always give the same log.

Subscribers (``log.subscribe(callback)``) are called with each event once the instant it belongs
to is complete: every event due at that time has fired and the emulator is consistent, so a
subscriber may call the emulator (for example create the next job the moment one is released).
Every subscriber sees the events in log order: events caused by a subscriber's own calls are
delivered after it returns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import attrs

__all__ = [
    "EVENT_TYPES",
    "Event",
    "EventLog",
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
_Record = tuple[Any, ...]


def _event(record: _Record) -> Event:
    return EVENT_TYPES[record[0]](*record[1:])


class EventLog:
    """The emulator's events in the order they happened, with subscribers.

    ``maxlen`` bounds how many are kept (the oldest are dropped); ``maxlen=0`` keeps none
    but still notifies subscribers.

    Events are stored as tuples of plain values and built as typed events when read, so that a
    log of millions of events costs the garbage collector nothing (tuples of atomic values are
    not tracked); reading the same position twice gives equal, not identical, events.
    """

    __slots__ = ("_delivering", "_pending", "_records", "_subscribers")

    def __init__(self, maxlen: int | None = None) -> None:
        if maxlen is not None and (
            isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 0
        ):
            raise ValueError(f"maxlen must be None or an int >= 0, not {maxlen!r}")
        self._records: list[_Record] | deque[_Record] = (
            [] if maxlen is None else deque(maxlen=maxlen)
        )
        self._subscribers: list[Callable[[Event], object]] = []
        self._pending: deque[Event] = deque()
        self._delivering = False

    def __len__(self) -> int:
        return len(self._records)

    @property
    def subscribed(self) -> bool:
        """Whether anyone is subscribed."""
        return bool(self._subscribers)

    def __iter__(self) -> Iterator[Event]:
        return map(_event, self._records)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [_event(record) for record in list(self._records)[index]]
        return _event(self._records[index])

    def __repr__(self) -> str:
        return f"<EventLog of {len(self._records)} events>"

    def of_type(self, kind: type[E]) -> list[E]:
        """The events of one type (or its subclasses), in order."""
        codes = frozenset(code for code, cls in enumerate(EVENT_TYPES) if issubclass(cls, kind))
        return [
            _event(record)  # type: ignore[misc]
            for record in self._records
            if record[0] in codes
        ]

    def count(self, kind: type[Event]) -> int:
        """How many events of one type (or its subclasses) the log holds."""
        codes = frozenset(code for code, cls in enumerate(EVENT_TYPES) if issubclass(cls, kind))
        return sum(1 for record in self._records if record[0] in codes)

    def for_job(self, job: str) -> list[Event]:
        """The events about one job name, in order."""
        return [_event(record) for record in self._records if record[2] == job]

    def subscribe(self, callback: Callable[[Event], object]) -> Callable[[], None]:
        """Call ``callback(event)`` for every later event; returns a function that unsubscribes."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    # -- used by the emulator -----------------------------------------------------------------

    def _record(self, kind: type[Event], *fields: Any) -> None:
        """Log an event of ``kind`` with ``fields`` in the class's field order."""
        record = (_CODES[kind], *fields)
        self._records.append(record)
        if self._subscribers:
            self._pending.append(_event(record))

    def _flush(self) -> None:
        """Deliver pending events to subscribers, oldest first.

        Not re-entrant: when a subscriber calls the emulator, the events that call causes are
        delivered after the subscriber returns, so every subscriber sees events in log order.
        """
        if self._delivering:
            return
        self._delivering = True
        try:
            pending = self._pending
            while pending:
                event = pending.popleft()
                for callback in tuple(self._subscribers):
                    callback(event)
        finally:
            self._delivering = False
