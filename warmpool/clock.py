"""The virtual clock: a small heap-ordered scheduler of timed callbacks (D5).

Time is a number of seconds since the clock's ``epoch`` (a timezone-aware UTC ``datetime``),
from the epoch through :data:`LATEST` (9999-12-31T23:59:59Z, the last second a ``datetime``
can show): moving the clock past it is refused, so every time it shows can be a response
timestamp. Nothing here reads the wall clock. Events are ordered by ``(time, priority, order)``
and then by the order they were scheduled, so the same schedule always fires in the same order.

The emulator schedules three kinds of event, with these priorities (lower fires first among
events due at the same instant): warm pool expiries, then job releases, then training starts.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from operator import attrgetter
from typing import Any, Final

from ._text import shown

__all__ = [
    "DEFAULT_EPOCH",
    "EXPIRY",
    "LATEST",
    "RELEASE",
    "START",
    "VirtualClock",
    "parse_timestamp",
]

DEFAULT_EPOCH: Final = datetime(2026, 1, 1, tzinfo=timezone.utc)
#: The end of every clock's range: the clock never moves past this instant.
LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)

#: Priority of warm pool expiries (keep-alive ends, lifetime cap reached).
EXPIRY: Final = 0
#: Priority of job releases (training ends, a stop completes, max runtime reached).
RELEASE: Final = 1
#: Priority of training starts (a cluster launches or a warm pool is taken over).
START: Final = 2

_Entry = tuple[float, int, int, int, Callable[[Any], None], Any]

# ISO 8601 extended format, parsed here rather than by datetime.fromisoformat so every supported
# Python accepts the same strings (3.10's refuses "Z", commas and 1-5 fraction digits).
_ISO_8601: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp as a ``datetime`` (naive if the text gives no offset).

    >>> parse_timestamp("2026-01-01T00:00:00.5Z")
    datetime.datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    """
    match = _ISO_8601.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    zone = None
    if zulu is not None:
        zone = timezone.utc
    elif sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        zone = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((fraction or "0")[:6].ljust(6, "0")),
        tzinfo=zone,
    )


def _check_seconds(value: object, what: str) -> float:
    """``value`` as a plain, finite ``int`` or ``float`` (a subclass's value, read without
    calling any method of the subclass), else ``TypeError`` / ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds (int or float), not {shown(value)}")
    number = int.__int__(value) if isinstance(value, int) else float.__float__(value)
    try:
        finite = math.isfinite(number)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise ValueError(f"{what} must be finite, not {shown(number)}")
    return number


class VirtualClock:
    """A deterministic virtual clock and event queue.

    >>> clock = VirtualClock()
    >>> fired = []
    >>> clock.schedule(10, fired.append, "b")
    >>> clock.schedule(5, fired.append, "a")
    >>> clock.advance(7)
    >>> fired, clock.now
    (['a'], 7)
    >>> clock.run(until=20)
    >>> fired, clock.now
    (['a', 'b'], 20)
    >>> clock.to_datetime()
    datetime.datetime(2026, 1, 1, 0, 0, 20, tzinfo=datetime.timezone.utc)
    """

    __slots__ = ("_end", "_epoch", "_now", "_queue", "_seq")

    def __init__(self, epoch: datetime = DEFAULT_EPOCH, *, now: float = 0) -> None:
        if not isinstance(epoch, datetime):
            raise TypeError(f"epoch must be a datetime, not {epoch!r}")
        if epoch.tzinfo is None or epoch.utcoffset() is None:
            raise ValueError("epoch must be a timezone-aware datetime (for example tzinfo=UTC)")
        epoch = epoch.astimezone(timezone.utc)
        if epoch > LATEST:
            raise ValueError(f"epoch must be no later than {_iso(LATEST)}, not {epoch.isoformat()}")
        now = _check_seconds(now, "now")
        if now < 0:
            raise ValueError(f"now must be >= 0 seconds since the epoch, not {now!r}")
        self._epoch = epoch
        self._end = (LATEST - epoch).total_seconds()
        if now > self._end:
            raise ValueError(f"now must be at most {self._end!r} (the end of the clock's range)")
        self._now: float = now
        self._queue: list[_Entry] = []
        self._seq = 0

    def __repr__(self) -> str:
        return f"VirtualClock(epoch={self._epoch.isoformat()}, now={self._now!r})"

    @property
    def epoch(self) -> datetime:
        """The instant that ``now == 0`` stands for (timezone-aware, UTC)."""
        return self._epoch

    # Read-only attributes whose getters run in C (the emulator reads ``now`` at every step).
    now: float = property(  # type: ignore[assignment]
        attrgetter("_now"), doc="Seconds since the epoch. Never decreases."
    )
    end: float = property(  # type: ignore[assignment]
        attrgetter("_end"),
        doc="The end of the clock's range, :data:`LATEST`, in seconds since the epoch.",
    )

    def to_datetime(self, seconds: float | None = None) -> datetime:
        """The UTC ``datetime`` of ``seconds`` since the epoch (default: now)."""
        return self._epoch + timedelta(seconds=self._now if seconds is None else seconds)

    def seconds(self, when: datetime | float | str) -> float:
        """Convert a point in time to seconds since the epoch.

        ``when`` may be a ``datetime`` (a naive one is taken as UTC), a number of *Unix* epoch
        seconds (as botocore accepts for timestamp parameters), or an ISO 8601 string.
        """
        if isinstance(when, str):
            when = parse_timestamp(when)
        if isinstance(when, datetime):
            if when.tzinfo is None or when.utcoffset() is None:
                when = when.replace(tzinfo=timezone.utc)
            return (when - self._epoch).total_seconds()
        value = _check_seconds(when, "a timestamp")
        return (datetime.fromtimestamp(value, timezone.utc) - self._epoch).total_seconds()

    # -- scheduling ---------------------------------------------------------------------------

    def schedule(
        self,
        at: float,
        callback: Callable[[Any], None],
        arg: Any = None,
        *,
        priority: int = 0,
        order: int = 0,
    ) -> None:
        """Call ``callback(arg)`` when the clock reaches ``at`` (seconds since the epoch).

        Among events due at the same time, lower ``priority`` fires first, then lower ``order``,
        then the one scheduled first. Scheduling in the past is a ``ValueError``.
        """
        if at < self._now:
            raise ValueError(f"cannot schedule an event at {at!r}, before now ({self._now!r})")
        self._seq += 1
        heapq.heappush(self._queue, (at, priority, order, self._seq, callback, arg))

    def peek(self) -> float:
        """The time of the next scheduled event, or ``math.inf`` if there is none."""
        return self._queue[0][0] if self._queue else math.inf

    def prune(self, is_live: Callable[[float, Callable[[Any], None], Any], bool]) -> None:
        """Drop events from the front of the queue while ``is_live(at, callback, arg)`` says
        they would do nothing (their owner decides), so :meth:`peek` shows a real event."""
        queue = self._queue
        while queue:
            at, _, _, _, callback, arg = queue[0]
            if is_live(at, callback, arg):
                return
            heapq.heappop(queue)

    def __len__(self) -> int:
        """How many events are scheduled (including ones their owner will ignore)."""
        return len(self._queue)

    def step(self) -> None:
        """Fire the next event, moving ``now`` to its time. ``IndexError`` if none is scheduled,
        ``ValueError`` if it lies past the end of the clock's range (it never fires)."""
        if not self._queue:
            raise IndexError("no event is scheduled")
        if self._queue[0][0] > self._end:
            raise ValueError(
                f"the next event is past the end of the clock's range ({_iso(LATEST)})"
            )
        at, _, _, _, callback, arg = heapq.heappop(self._queue)
        self._now = at
        callback(arg)

    def run(self, until: float | datetime | None = None) -> None:
        """Fire every event due at or before ``until``, in order, then set ``now = until``.

        With ``until=None`` the queue is run until it is empty (events past the end of the
        clock's range never fire). ``until`` before ``now`` or past the end of the range is a
        ``ValueError``: the clock never moves backwards, nor past :data:`LATEST`.
        """
        queue = self._queue
        if until is None:
            while queue and queue[0][0] <= self._end:
                self.step()
            return
        self._fire_until(self.resolve(until))

    def _fire_until(self, target: float) -> None:
        """:meth:`run` to a ``target`` already checked by :meth:`resolve` or :meth:`later`."""
        queue = self._queue
        pop = heapq.heappop
        while queue and queue[0][0] <= target:
            at, _, _, _, callback, arg = pop(queue)
            self._now = at
            callback(arg)
        self._now = target

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, firing every event due on the way."""
        self.run(self.later(seconds))

    def resolve(self, until: float | datetime) -> float:
        """``until`` (seconds since the epoch or a ``datetime``) as seconds, checked to be a
        finite time no earlier than now."""
        if isinstance(until, datetime):
            try:
                target: object = self.seconds(until)
            except (TypeError, ValueError, OverflowError):
                raise
            except Exception as error:  # a datetime or tzinfo of the caller's that raises
                raise ValueError(
                    f"until must be a datetime that can be read, not one whose reading raised "
                    f"{type(error).__name__}"
                ) from None
        else:
            target = until
        target = _check_seconds(target, "until")
        if target < self._now:
            raise ValueError(
                f"cannot run the clock back to {target!r}: it is already at {self._now!r} "
                "and never moves backwards"
            )
        return self._within_range(target)

    def later(self, seconds: float) -> float:
        """``now + seconds``, checking that ``seconds`` is a finite number >= 0."""
        seconds = _check_seconds(seconds, "seconds")
        if seconds < 0:
            raise ValueError(f"cannot advance by a negative amount ({seconds!r} seconds)")
        return self._within_range(self._now + seconds)

    def _within_range(self, target: float) -> float:
        if not target <= self._end:
            raise ValueError(
                f"cannot move the clock to {target!r} seconds since its epoch: that is past the "
                f"end of its range, {_iso(LATEST)} ({self._end!r} seconds since the epoch)"
            )
        return target


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
