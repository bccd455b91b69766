"""The billing ledger: every retained (warm pool) interval and every training interval (D27).

A retained interval runs from a job's release (its pool becomes ``Available``) to the moment the
pool leaves it: ``Reused``, ``Expired``, ``Released`` (by ``UpdateTrainingJob``),
``PatchUpdate`` or ``LifetimeCap``. Its billable seconds are ``ceil(end - start)``, exactly the
job's ``ResourceRetainedBillableTimeInSeconds``; instance-seconds are that times the instance
count. A training interval is a job's ``TrainingStartTime`` to ``TrainingEndTime`` with its
``BillableTimeInSeconds``.

Billed amounts never shrink: a closed interval never changes, and an open one (a pool that is
``Available`` now, counted only with ``include_open=True``) only grows.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain, islice
from typing import Any, Literal, TypeVar, overload

import attrs

from ._locks import reentrant_lock
from .clock import VirtualClock

__all__ = [
    "BillingLedger",
    "BillingTotals",
    "RetainedInterval",
    "TrainingInterval",
    "billable_seconds",
    "training_seconds",
]

#: How a retained interval can end.
RETAINED_ENDINGS = ("Reused", "Expired", "Released", "PatchUpdate", "LifetimeCap")

GroupBy = Literal["instance_type", "role", "job"]


def billable_seconds(duration: float) -> int:
    """Whole seconds, rounded up, of a duration measured to the microsecond.

    Rounding to microseconds first (the resolution of the response timestamps) keeps float
    noise such as ``1800.0000000001`` from adding a second.

    >>> billable_seconds(1799.2), billable_seconds(1800.0000000001), billable_seconds(0)
    (1800, 1800, 0)
    """
    whole = int(duration)
    if whole == duration:  # whole seconds already: the common case, and the fast one
        return whole
    return math.ceil(round(duration, 6))


def training_seconds(duration: float) -> int:
    """``TrainingTimeInSeconds`` / ``BillableTimeInSeconds`` of a training that lasted
    ``duration``: :func:`billable_seconds`, but at least 1 (the model's minimum; D6).

    >>> training_seconds(0), training_seconds(59.5)
    (1, 60)
    """
    return max(1, billable_seconds(duration))


@attrs.frozen(slots=True)
class RetainedInterval:
    """One job's time as the holder of an ``Available`` warm pool."""

    job: str
    cluster: int
    instance_type: str
    instance_count: int
    role_arn: str
    start: float
    end: float
    ended: str
    billable_seconds: int

    @property
    def instance_seconds(self) -> int:
        """``billable_seconds * instance_count``."""
        return self.billable_seconds * self.instance_count


@attrs.frozen(slots=True)
class TrainingInterval:
    """One job's training, from ``TrainingStartTime`` to ``TrainingEndTime``."""

    job: str
    cluster: int | None
    instance_type: str
    instance_count: int
    role_arn: str
    start: float
    end: float
    billable_seconds: int

    @property
    def instance_seconds(self) -> int:
        """``billable_seconds * instance_count``."""
        return self.billable_seconds * self.instance_count


@attrs.frozen
class BillingTotals:
    """Summed seconds, instance-seconds and (with a price table) cost in USD."""

    retained_seconds: float = 0
    retained_instance_seconds: float = 0
    training_seconds: float = 0
    training_instance_seconds: float = 0
    retained_cost: float | None = None
    training_cost: float | None = None

    @property
    def total_cost(self) -> float | None:
        """Retained plus training cost, or ``None`` without a price table."""
        if self.retained_cost is None or self.training_cost is None:
            return None
        return self.retained_cost + self.training_cost


# Intervals are stored as tuples in the field order of RetainedInterval / TrainingInterval:
# tuples of plain values are not tracked by the garbage collector, so a ledger of millions of
# intervals costs it nothing. Both layouts share job (0), instance type (2), count (3), role
# (4), start (5) and end (6); billable seconds are the last field.
_Row = tuple[Any, ...]
_GROUP_FIELDS: dict[str, int] = {"job": 0, "instance_type": 2, "role": 4}

R = TypeVar("R", RetainedInterval, TrainingInterval)


class _Rows(Sequence[R]):
    """A live, read-only view of stored rows as typed intervals.

    The rows are only ever appended to (under the ledger's lock), so reading the first ``n``
    of them after releasing the lock is safe.
    """

    __slots__ = ("_kind", "_lock", "_rows")

    def __init__(self, rows: list[_Row], kind: type[R], lock: threading.RLock) -> None:
        self._rows = rows
        self._kind: type[R] = kind
        self._lock = lock

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> list[R]: ...
    def __getitem__(self, index: int | slice) -> R | list[R]:
        with self._lock:
            chosen = self._rows[index]
        if isinstance(index, slice):
            return [self._kind(*row) for row in chosen]
        return self._kind(*chosen)

    def __iter__(self) -> Iterator[R]:
        """The intervals recorded now (ones recorded while iterating are not included)."""
        with self._lock:
            size = len(self._rows)
        kind = self._kind
        return (kind(*row) for row in islice(self._rows, size))

    def __reversed__(self) -> Iterator[R]:
        with self._lock:
            size = len(self._rows)
        kind, rows = self._kind, self._rows
        return (kind(*rows[i]) for i in range(size - 1, -1, -1))

    def __repr__(self) -> str:
        return f"<{len(self._rows)} {self._kind.__name__}s>"


class BillingLedger:
    """Retained and training intervals, with totals by instance type, role, job and window.

    ``prices`` maps instance types to USD per instance-hour; costs are reported only when it
    is set (it can be given per call too).

    Every public method takes ``lock``, a re-entrant lock (by default one of the ledger's own;
    an emulator passes its ``emu.lock``), so the ledger may be read from many threads while the
    emulator records intervals. Totals add up the intervals recorded when they took the lock.
    """

    __slots__ = ("_clock", "_lock", "_open", "_retained", "_training", "prices")

    def __init__(
        self,
        clock: VirtualClock,
        prices: Mapping[str, float] | None = None,
        *,
        lock: threading.RLock | None = None,
    ) -> None:
        self._lock = reentrant_lock(lock, "BillingLedger")
        self._clock = clock
        self._retained: list[_Row] = []
        self._training: list[_Row] = []
        # cluster id -> (job, instance type, instance count, role, start)
        self._open: dict[int, tuple[str, str, int, str, float]] = {}
        self.prices: dict[str, float] | None = None if prices is None else _check_prices(prices)

    # -- records ------------------------------------------------------------------------------

    @property
    def retained(self) -> Sequence[RetainedInterval]:
        """Closed retained intervals, in the order they closed (a live view)."""
        return _Rows(self._retained, RetainedInterval, self._lock)

    @property
    def training(self) -> Sequence[TrainingInterval]:
        """Training intervals, in the order the jobs were released (a live view)."""
        return _Rows(self._training, TrainingInterval, self._lock)

    def open_retained(self) -> list[RetainedInterval]:
        """Intervals of pools ``Available`` now, as if they ended now (``ended='Open'``)."""
        with self._lock:
            rows = self._open_rows()
        return [RetainedInterval(*row) for row in rows]

    def _open_rows(self) -> list[_Row]:
        """The open intervals as rows ending now (hold the lock to call)."""
        now = self._clock.now
        return [
            (job, cluster, itype, count, role, start, now, "Open", billable_seconds(now - start))
            for cluster, (job, itype, count, role, start) in self._open.items()
        ]

    # These run while the emulator holds the lock, and do not take it: they are its hot path.

    def _open_interval(
        self, job: str, cluster: int, instance_type: str, count: int, role: str, start: float
    ) -> None:
        """A pool became ``Available`` (called by the emulator)."""
        self._open[cluster] = (job, instance_type, count, role, start)

    def _close_interval(self, cluster: int, end: float, ended: str) -> int:
        """A pool left ``Available`` (called by the emulator); returns its billable seconds."""
        job, instance_type, count, role, start = self._open.pop(cluster)
        seconds = billable_seconds(end - start)
        self._retained.append(
            (job, cluster, instance_type, count, role, start, end, ended, seconds)
        )
        return seconds

    def _record_training(
        self,
        job: str,
        cluster: int | None,
        instance_type: str,
        count: int,
        role: str,
        start: float,
        end: float,
        seconds: int,
    ) -> None:
        """A job's training ended (called by the emulator)."""
        self._training.append((job, cluster, instance_type, count, role, start, end, seconds))

    # -- totals -------------------------------------------------------------------------------

    def total(
        self,
        *,
        start: float | datetime | None = None,
        end: float | datetime | None = None,
        include_open: bool = False,
        prices: Mapping[str, float] | None = None,
    ) -> BillingTotals:
        """Totals over every interval (optionally only the part inside ``[start, end)``).

        Inside a window each interval contributes its billable seconds in proportion to the
        part of it that lies in the window, so the totals of adjoining windows add up to the
        total of their union. ``include_open`` adds pools that are ``Available`` now.
        """
        retained, training, table = self._rows(include_open, prices)
        return self._sum(retained, training, start, end, table)

    def totals_by(
        self,
        by: GroupBy,
        *,
        start: float | datetime | None = None,
        end: float | datetime | None = None,
        include_open: bool = False,
        prices: Mapping[str, float] | None = None,
    ) -> dict[str, BillingTotals]:
        """:meth:`total` per ``instance_type``, ``role`` (``RoleArn``) or ``job``, sorted."""
        field = _GROUP_FIELDS.get(by)
        if field is None:
            raise ValueError(f"by must be 'instance_type', 'role' or 'job', not {by!r}")
        all_retained, all_training, table = self._rows(include_open, prices)
        retained: dict[str, list[_Row]] = {}
        training: dict[str, list[_Row]] = {}
        for row in all_retained:
            retained.setdefault(row[field], []).append(row)
        for row in all_training:
            training.setdefault(row[field], []).append(row)
        return {
            group: self._sum(retained.get(group, []), training.get(group, []), start, end, table)
            for group in sorted(retained.keys() | training.keys())
        }

    def _rows(
        self, include_open: bool, prices: Mapping[str, float] | None
    ) -> tuple[Iterable[_Row], Iterable[_Row], dict[str, float] | None]:
        """The retained rows (with the open ones if asked), the training rows and the price
        table, as they are now: taken under the lock, to add up after releasing it."""
        table = _check_prices(prices) if prices is not None else None
        with self._lock:
            # The row lists are only appended to, so their first n rows never change.
            retained: Iterable[_Row] = islice(self._retained, len(self._retained))
            training = islice(self._training, len(self._training))
            if include_open:
                retained = chain(retained, self._open_rows())
            if table is None:
                table = self.prices
        return retained, training, table

    def _bound(self, value: float | datetime | None, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, datetime):
            return self._clock.seconds(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"a window bound must be seconds or a datetime, not {value!r}")
        return float(value)

    def _sum(
        self,
        retained: Iterable[_Row],
        training: Iterable[_Row],
        start: float | datetime | None,
        end: float | datetime | None,
        table: dict[str, float] | None,
    ) -> BillingTotals:
        lo = self._bound(start, -math.inf)
        hi = self._bound(end, math.inf)
        if hi < lo:
            raise ValueError(f"window end ({hi}) is before its start ({lo})")
        windowed = start is not None or end is not None
        sums: list[float] = []
        for rows in (retained, training):
            seconds_total = instance_total = cost_total = 0.0
            for row in rows:
                seconds: float = row[-1]
                if windowed:
                    seconds *= _share(row[5], row[6], lo, hi)
                    if not seconds:
                        continue
                instance_seconds = seconds * row[3]
                seconds_total += seconds
                instance_total += instance_seconds
                if table is not None:
                    price = table.get(row[2])
                    if price is None:
                        raise ValueError(f"the price table has no price for instance type {row[2]}")
                    cost_total += instance_seconds / 3600 * price
            sums += (seconds_total, instance_total, cost_total)
        return BillingTotals(
            retained_seconds=sums[0],
            retained_instance_seconds=sums[1],
            training_seconds=sums[3],
            training_instance_seconds=sums[4],
            retained_cost=sums[2] if table is not None else None,
            training_cost=sums[5] if table is not None else None,
        )


def _share(start: float, end: float, lo: float, hi: float) -> float:
    """The fraction of ``[start, end]`` inside ``[lo, hi)``; an instant counts where it lies."""
    if end <= start:
        return 1.0 if lo <= start < hi else 0.0
    overlap = min(end, hi) - max(start, lo)
    return overlap / (end - start) if overlap > 0 else 0.0


def _check_prices(prices: Mapping[str, float]) -> dict[str, float]:
    table: dict[str, float] = {}
    for instance_type, price in prices.items():
        if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
            raise ValueError(
                f"price of {instance_type} must be a number of USD per instance-hour >= 0, "
                f"not {price!r}"
            )
        table[instance_type] = float(price)
    return table
