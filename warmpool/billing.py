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
from .errors import ControlError

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
    if whole > 0 and duration - whole > 1e-6:  # a fraction that rounding cannot remove
        return whole + 1
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

    ``prices`` maps instance types to USD per instance-hour (finite, >= 0); costs are reported
    only when it is set (it can be given per call too). Assigning it checks the new table.

    Every public method takes ``lock``, a re-entrant lock (by default one of the ledger's own;
    an emulator passes its ``emu.lock``), so the ledger may be read from many threads while the
    emulator records intervals. Totals add up the intervals recorded when they took the lock.
    """

    __slots__ = ("_clock", "_lock", "_open", "_prices", "_retained", "_training")

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
        self._prices: dict[str, float] | None = None if prices is None else _check_prices(prices)

    @property
    def prices(self) -> dict[str, float] | None:
        """USD per instance-hour by instance type, or ``None``."""
        return self._prices

    @prices.setter
    def prices(self, prices: Mapping[str, float] | None) -> None:
        table = None if prices is None else _check_prices(prices)
        with self._lock:
            self._prices = table

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
        by_type: list[dict[str, float] | None] = []
        for rows in (retained, training):
            seconds_total = instance_total = 0.0
            # Instance-seconds per instance type, priced once per type (see _totals).
            per_type: dict[str, float] | None = None if table is None else {}
            for row in rows:
                seconds: float = row[-1]
                if windowed:
                    seconds *= _share(row[5], row[6], lo, hi)
                    if not seconds:
                        continue
                instance_seconds = seconds * row[3]
                seconds_total += seconds
                instance_total += instance_seconds
                if per_type is not None:
                    per_type[row[2]] = per_type.get(row[2], 0) + instance_seconds
            sums += (seconds_total, instance_total)
            by_type.append(per_type)
        return _totals(sums, by_type[0], by_type[1], table)


def _totals(
    sums: Sequence[float],
    retained_by_type: Mapping[str, float] | None,
    training_by_type: Mapping[str, float] | None,
    table: Mapping[str, float] | None,
) -> BillingTotals:
    """The :class:`BillingTotals` of ``sums`` (retained seconds and instance-seconds, training
    seconds and instance-seconds) with, given a price table, the cost of each instance type's
    instance-seconds, added up in the order of the types' names.

    Costs are figured per instance type, not per interval, so a ledger that keeps only totals
    (``retain_finished=False``) gets exactly the same figures (D37).
    """
    return BillingTotals(
        retained_seconds=float(sums[0]),
        retained_instance_seconds=float(sums[1]),
        training_seconds=float(sums[2]),
        training_instance_seconds=float(sums[3]),
        retained_cost=None if table is None else _cost(retained_by_type or {}, table),
        training_cost=None if table is None else _cost(training_by_type or {}, table),
    )


def _cost(by_type: Mapping[str, float], table: Mapping[str, float]) -> float:
    cost = 0.0
    for instance_type in sorted(by_type):
        price = table.get(instance_type)
        if price is None:
            raise ValueError(f"the price table has no price for instance type {instance_type}")
        cost += by_type[instance_type] / 3600 * price
    return cost


class _TotalsLedger(BillingLedger):
    """The billing ledger of an emulator built with ``retain_finished=False`` (D37).

    It keeps totals, not intervals, for the jobs the emulator retires: one running sum of
    seconds and instance-seconds per ``(instance type, role)``, to which every interval is
    added when it closes, and, for :attr:`training`, the training intervals of the jobs that
    still hold an ``Available`` pool (the only jobs the emulator still holds that have
    intervals). Its memory grows with the instance types and roles, not with the jobs.

    :meth:`total` and :meth:`totals_by` by ``instance_type`` or ``role`` give exactly what a
    ledger of every interval would (costs too: :func:`_totals`), and so does
    ``include_open=True``. A window (``start``/``end``) and ``totals_by("job")`` need the
    intervals of retired jobs: they raise :class:`~warmpool.errors.ControlError`.
    """

    __slots__ = ("_held", "_sums")

    def __init__(
        self,
        clock: VirtualClock,
        prices: Mapping[str, float] | None = None,
        *,
        lock: threading.RLock | None = None,
    ) -> None:
        super().__init__(clock, prices, lock=lock)
        # (instance type, role) -> [retained intervals, their seconds, their instance-seconds,
        #                           training intervals, their seconds, their instance-seconds]
        self._sums: dict[tuple[str, str], list[int]] = {}
        # job name -> its training rows, for jobs whose pool is Available (release order)
        self._held: dict[str, tuple[_Row, ...]] = {}

    @property
    def training(self) -> Sequence[TrainingInterval]:
        """The training intervals of the jobs that hold an ``Available`` pool now, in the
        order they were released (a snapshot: with ``retain_finished=False`` the ledger keeps
        no interval of a retired job)."""
        with self._lock:
            rows = [row for rows in self._held.values() for row in rows]
        return _Rows(rows, TrainingInterval, self._lock)

    # The hot path (the emulator holds the lock). ``retained`` stays empty: a pool that leaves
    # Available finishes its job, which the emulator then retires.

    def _close_interval(self, cluster: int, end: float, ended: str) -> int:
        _job, instance_type, count, role, start = self._open.pop(cluster)
        seconds = billable_seconds(end - start)
        # A pool is kept only after its job's training was recorded, which made these sums
        # (restore refuses a document without them).
        sums = self._sums[instance_type, role]
        sums[0] += 1
        sums[1] += seconds
        sums[2] += seconds * count
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
        sums = self._sums.get((instance_type, role))
        if sums is None:
            sums = self._sums[instance_type, role] = [0, 0, 0, 0, 0, 0]
        sums[3] += 1
        sums[4] += seconds
        sums[5] += seconds * count
        row = (job, cluster, instance_type, count, role, start, end, seconds)
        rows = self._held.get(job)
        self._held[job] = (row,) if rows is None else (*rows, row)

    def _retire(self, job: str) -> None:
        """The emulator retired ``job``: forget its intervals (their totals stay)."""
        self._held.pop(job, None)

    # -- totals -------------------------------------------------------------------------------

    def total(
        self,
        *,
        start: float | datetime | None = None,
        end: float | datetime | None = None,
        include_open: bool = False,
        prices: Mapping[str, float] | None = None,
    ) -> BillingTotals:
        """Totals over every interval; a window raises ``ControlError`` (see the class)."""
        if start is not None or end is not None:
            raise ControlError(
                "billing.total: a window (start, end) needs every interval, and an emulator "
                "built with retain_finished=False keeps only totals for the jobs it retired; "
                "build it with retain_finished=True to total a window"
            )
        groups, table = self._groups(include_open, prices, None)
        return groups[None] if groups else _totals((0, 0, 0, 0), {}, {}, table)

    def totals_by(
        self,
        by: GroupBy,
        *,
        start: float | datetime | None = None,
        end: float | datetime | None = None,
        include_open: bool = False,
        prices: Mapping[str, float] | None = None,
    ) -> dict[str, BillingTotals]:
        """Totals per ``instance_type`` or ``role``; ``"job"`` or a window raises
        ``ControlError`` (see the class)."""
        if by not in _GROUP_FIELDS:
            raise ValueError(f"by must be 'instance_type', 'role' or 'job', not {by!r}")
        if by == "job":
            raise ControlError(
                "billing.totals_by('job'): an emulator built with retain_finished=False keeps "
                "only totals by instance type and role for the jobs it retired; build it with "
                "retain_finished=True to total by job"
            )
        if start is not None or end is not None:
            raise ControlError(
                "billing.totals_by: a window (start, end) needs every interval, and an "
                "emulator built with retain_finished=False keeps only totals for the jobs it "
                "retired; build it with retain_finished=True to total a window"
            )
        groups, _ = self._groups(include_open, prices, 0 if by == "instance_type" else 1)
        return {group: groups[group] for group in sorted(groups)}

    def _groups(
        self, include_open: bool, prices: Mapping[str, float] | None, field: int | None
    ) -> tuple[dict[Any, BillingTotals], dict[str, float] | None]:
        """Totals per group (``field`` 0: instance type, 1: role, ``None``: one group, keyed
        ``None``) of the running sums and, if asked, the open intervals; and the price table.

        As in :meth:`BillingLedger._sum`, a group exists when an interval of it was recorded,
        and an instance type is priced (so must be in the table) when an interval of it was.
        """
        table = _check_prices(prices) if prices is not None else None
        with self._lock:
            sums = [(key, tuple(values)) for key, values in self._sums.items()]
            open_rows = self._open_rows() if include_open else []
            if table is None:
                table = self.prices
        for row in open_rows:
            seconds = row[-1]
            sums.append(((row[2], row[4]), (1, seconds, seconds * row[3], 0, 0, 0)))
        # group -> (its four sums, retained and training instance-seconds per instance type)
        grouped: dict[Any, tuple[list[int], dict[str, int], dict[str, int]]] = {}
        for (instance_type, role), values in sums:
            group = None if field is None else (instance_type, role)[field]
            entry = grouped.get(group)
            if entry is None:
                entry = grouped[group] = ([0, 0, 0, 0], {}, {})
            totals, retained, training = entry
            totals[0] += values[1]
            totals[1] += values[2]
            totals[2] += values[4]
            totals[3] += values[5]
            if values[0]:
                retained[instance_type] = retained.get(instance_type, 0) + values[2]
            if values[3]:
                training[instance_type] = training.get(instance_type, 0) + values[5]
        result = {
            group: _totals(totals, retained, training, table)
            for group, (totals, retained, training) in grouped.items()
        }
        return result, table


def _share(start: float, end: float, lo: float, hi: float) -> float:
    """The fraction of ``[start, end]`` inside ``[lo, hi)``; an instant counts where it lies."""
    if end <= start:
        return 1.0 if lo <= start < hi else 0.0
    overlap = min(end, hi) - max(start, lo)
    return overlap / (end - start) if overlap > 0 else 0.0


def _check_prices(prices: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(prices, Mapping):
        raise TypeError(f"prices must be a mapping of instance type to USD, not {prices!r}")
    table: dict[str, float] = {}
    for instance_type, price in prices.items():
        if (
            isinstance(price, bool)
            or not isinstance(price, (int, float))
            or not price >= 0  # NaN too
            or not math.isfinite(price)
        ):
            raise ValueError(
                f"price of {instance_type} must be a finite number of USD per instance-hour "
                f">= 0, not {price!r}"
            )
        table[instance_type] = float(price)
    return table
