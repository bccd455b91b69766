"""The billing ledger: every retained (warm pool) interval and every training interval (SPEC §8).

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
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

import attrs

from .clock import VirtualClock

__all__ = [
    "BillingLedger",
    "BillingTotals",
    "RetainedInterval",
    "TrainingInterval",
    "billable_seconds",
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
    return math.ceil(round(duration, 6))


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


_Interval = RetainedInterval | TrainingInterval


class BillingLedger:
    """Retained and training intervals, with totals by instance type, role, job and window.

    ``prices`` maps instance types to USD per instance-hour; costs are reported only when it
    is set (it can be given per call too).
    """

    __slots__ = ("_clock", "_open", "_retained", "_training", "prices")

    def __init__(self, clock: VirtualClock, prices: Mapping[str, float] | None = None) -> None:
        self._clock = clock
        self._retained: list[RetainedInterval] = []
        self._training: list[TrainingInterval] = []
        # cluster id -> (job, instance type, instance count, role, start)
        self._open: dict[int, tuple[str, str, int, str, float]] = {}
        self.prices: dict[str, float] | None = None if prices is None else _check_prices(prices)

    # -- records ------------------------------------------------------------------------------

    @property
    def retained(self) -> Sequence[RetainedInterval]:
        """Closed retained intervals, in the order they closed."""
        return self._retained

    @property
    def training(self) -> Sequence[TrainingInterval]:
        """Training intervals, in the order the jobs were released."""
        return self._training

    def open_retained(self) -> list[RetainedInterval]:
        """Intervals of pools ``Available`` now, as if they ended now (``ended='Open'``)."""
        now = self._clock.now
        return [
            RetainedInterval(
                job, cluster, itype, count, role, start, now, "Open", billable_seconds(now - start)
            )
            for cluster, (job, itype, count, role, start) in self._open.items()
        ]

    def _open_interval(
        self, job: str, cluster: int, instance_type: str, count: int, role: str, start: float
    ) -> None:
        """A pool became ``Available`` (called by the emulator)."""
        self._open[cluster] = (job, instance_type, count, role, start)

    def _close_interval(self, cluster: int, end: float, ended: str) -> RetainedInterval:
        """A pool left ``Available`` (called by the emulator)."""
        job, instance_type, count, role, start = self._open.pop(cluster)
        record = RetainedInterval(
            job,
            cluster,
            instance_type,
            count,
            role,
            start,
            end,
            ended,
            billable_seconds(end - start),
        )
        self._retained.append(record)
        return record

    def _record_training(self, record: TrainingInterval) -> None:
        """A job's training ended (called by the emulator)."""
        self._training.append(record)

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
        return self._sum(self._select(include_open), start, end, prices)

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
        attribute = {"instance_type": "instance_type", "role": "role_arn", "job": "job"}.get(by)
        if attribute is None:
            raise ValueError(f"by must be 'instance_type', 'role' or 'job', not {by!r}")
        groups: dict[str, list[_Interval]] = {}
        for interval in self._select(include_open):
            groups.setdefault(getattr(interval, attribute), []).append(interval)
        return {group: self._sum(groups[group], start, end, prices) for group in sorted(groups)}

    def _select(self, include_open: bool) -> list[_Interval]:
        intervals: list[_Interval] = [*self._retained, *self._training]
        if include_open:
            intervals.extend(self.open_retained())
        return intervals

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
        intervals: Iterable[_Interval],
        start: float | datetime | None,
        end: float | datetime | None,
        prices: Mapping[str, float] | None,
    ) -> BillingTotals:
        lo = self._bound(start, -math.inf)
        hi = self._bound(end, math.inf)
        if hi < lo:
            raise ValueError(f"window end ({hi}) is before its start ({lo})")
        table = _check_prices(prices) if prices is not None else self.prices
        windowed = start is not None or end is not None
        sums = {"r": 0.0, "ri": 0.0, "t": 0.0, "ti": 0.0, "rc": 0.0, "tc": 0.0}
        for interval in intervals:
            seconds: float = interval.billable_seconds
            if windowed:
                seconds *= _share(interval.start, interval.end, lo, hi)
                if not seconds:
                    continue
            instance_seconds = seconds * interval.instance_count
            cost = 0.0
            if table is not None:
                if interval.instance_type not in table:
                    raise ValueError(
                        f"the price table has no price for instance type {interval.instance_type}"
                    )
                cost = instance_seconds / 3600 * table[interval.instance_type]
            kind = "r" if isinstance(interval, RetainedInterval) else "t"
            sums[kind] += seconds
            sums[kind + "i"] += instance_seconds
            sums[kind + "c"] += cost
        return BillingTotals(
            retained_seconds=sums["r"],
            retained_instance_seconds=sums["ri"],
            training_seconds=sums["t"],
            training_instance_seconds=sums["ti"],
            retained_cost=sums["rc"] if table is not None else None,
            training_cost=sums["tc"] if table is not None else None,
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
