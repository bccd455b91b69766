"""The quota ledger: per-instance-type training and warm pool limits and their use (D14).

For each instance type:

* ``in_training``: instances of jobs that are ``InProgress`` or ``Stopping``, cold or warm;
* ``retained``: instances of ``Available`` warm pools.

A create that does not reuse a pool is refused with ``ResourceLimitExceeded`` when
``in_training + retained + InstanceCount > training``. A cluster is retained at release only if
``retained + InstanceCount <= warm_pool``; otherwise it is silently not kept, as on AWS.
Limits may change at run time; lowering one never evicts anything.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

import attrs

from ._locks import reentrant_lock

__all__ = ["Quota", "QuotaLedger", "QuotaUsage", "training_limit_message"]


class _Unset(enum.Enum):
    UNSET = 0


_UNSET: Final = _Unset.UNSET


def _limit(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name == "training":
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Quota.{attribute.name} must be an int (instances), not {value!r}")
    if value < 0:
        raise ValueError(f"Quota.{attribute.name} must be >= 0 instances, not {value!r}")


@attrs.frozen
class Quota:
    """The limits of one instance type, in instances.

    ``training``: all instances of that type in training or retained (``None`` = unlimited).
    ``warm_pool``: instances that may be retained in warm pools (AWS's default is 0).
    """

    training: int | None = attrs.field(default=None, validator=_limit)
    warm_pool: int = attrs.field(default=0, validator=_limit)


@attrs.frozen
class QuotaUsage:
    """A snapshot of one instance type's limits and use."""

    instance_type: str
    quota: Quota
    in_training: int
    retained: int

    @property
    def used(self) -> int:
        """Instances counted against the training limit: ``in_training + retained``."""
        return self.in_training + self.retained


def training_limit_message(instance_type: str, limit: int, used: int, delta: int) -> str:
    """AWS's text for a create refused by the training instance limit."""
    return (
        f"The account-level service limit '{instance_type} for training job usage' is {limit} "
        f"Instances, with current utilization of {used} Instances and a request delta of {delta} "
        "Instances. Please contact AWS support to request an increase for this limit."
    )


class QuotaLedger:
    """Limits and use per instance type.

    Every public method takes ``lock``, a re-entrant lock (by default one of the ledger's own;
    an emulator passes its ``emu.lock``), so the ledger may be read and its limits changed from
    many threads; ``set`` reads and changes a limit in one step.

    >>> ledger = QuotaLedger({"ml.m5.xlarge": Quota(training=4, warm_pool=2)})
    >>> ledger["ml.m5.xlarge"]
    Quota(training=4, warm_pool=2)
    >>> ledger["ml.p3.2xlarge"]            # unlisted types get the default
    Quota(training=None, warm_pool=0)
    >>> ledger["ml.p3.2xlarge"] = Quota(warm_pool=1)   # change a limit at run time
    >>> ledger.usage("ml.m5.xlarge").used
    0
    """

    __slots__ = ("_default", "_limits", "_lock", "_use")

    def __init__(
        self,
        quotas: Mapping[str, Quota] | None = None,
        *,
        default: Quota | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self._lock = reentrant_lock(lock, "QuotaLedger")
        self._default = Quota() if default is None else default
        if not isinstance(self._default, Quota):
            raise TypeError(f"default must be a Quota, not {self._default!r}")
        self._limits: dict[str, Quota] = {}
        # instance type -> [in_training, retained]
        self._use: dict[str, list[int]] = {}
        for instance_type, quota in (quotas or {}).items():
            self[instance_type] = quota

    @property
    def default(self) -> Quota:
        """The limits of instance types that were never given their own (fixed when built)."""
        return self._default

    def __getitem__(self, instance_type: str) -> Quota:
        with self._lock:
            return self._limits.get(instance_type, self._default)

    def __setitem__(self, instance_type: str, quota: Quota) -> None:
        if not isinstance(instance_type, str) or not instance_type:
            raise TypeError(f"instance type must be a non-empty str, not {instance_type!r}")
        if not isinstance(quota, Quota):
            raise TypeError(f"quota for {instance_type} must be a Quota, not {quota!r}")
        with self._lock:
            self._limits[instance_type] = quota

    def __iter__(self) -> Iterator[str]:
        """Instance types with a limit of their own or any use, sorted."""
        with self._lock:
            return iter(sorted(self._limits.keys() | self._use.keys()))

    def set(
        self,
        instance_type: str,
        *,
        training: int | Literal[_Unset.UNSET] | None = _UNSET,
        warm_pool: int | Literal[_Unset.UNSET] = _UNSET,
    ) -> Quota:
        """Change one or both limits of ``instance_type``; returns the new :class:`Quota`."""
        with self._lock:
            current = self[instance_type]
            quota = Quota(
                training=current.training if training is _UNSET else training,
                warm_pool=current.warm_pool if warm_pool is _UNSET else warm_pool,
            )
            self[instance_type] = quota
            return quota

    def in_training(self, instance_type: str) -> int:
        """Instances of ``instance_type`` in jobs that are ``InProgress`` or ``Stopping``."""
        with self._lock:
            use = self._use.get(instance_type)
            return use[0] if use else 0

    def retained(self, instance_type: str) -> int:
        """Instances of ``instance_type`` held by ``Available`` warm pools."""
        with self._lock:
            use = self._use.get(instance_type)
            return use[1] if use else 0

    def usage(self, instance_type: str) -> QuotaUsage:
        """Limits and use of one instance type."""
        with self._lock:
            use = self._use.get(instance_type) or (0, 0)
            return QuotaUsage(instance_type, self[instance_type], use[0], use[1])

    def usages(self) -> dict[str, QuotaUsage]:
        """:meth:`usage` of every instance type with a limit of its own or any use."""
        with self._lock:
            return {instance_type: self.usage(instance_type) for instance_type in self}

    def training_refusal(self, instance_type: str, count: int) -> tuple[int, int] | None:
        """``(limit, used)`` if starting ``count`` more instances would exceed the training
        limit, else ``None``."""
        with self._lock:
            return self._training_refusal(instance_type, count)

    def can_retain(self, instance_type: str, count: int) -> bool:
        """Whether ``count`` more instances fit in the warm pool limit."""
        with self._lock:
            return self._can_retain(instance_type, count)

    # -- used by the emulator, which holds the lock: these do not take it ---------------------

    def _counts(self, instance_type: str) -> list[int]:
        use = self._use.get(instance_type)
        if use is None:
            use = self._use[instance_type] = [0, 0]
        return use

    def _training_refusal(self, instance_type: str, count: int) -> tuple[int, int] | None:
        limit = self._limits.get(instance_type, self._default).training
        if limit is None:
            return None
        use = self._use.get(instance_type)
        used = use[0] + use[1] if use else 0
        return (limit, used) if used + count > limit else None

    def _can_retain(self, instance_type: str, count: int) -> bool:
        limit = self._limits.get(instance_type, self._default).warm_pool
        use = self._use.get(instance_type)
        return (use[1] if use else 0) + count <= limit

    # Only a type that started training has use to end, retain, release or reuse: those
    # find its counts without the check for a first use.

    def _start_training(self, instance_type: str, count: int) -> None:
        self._counts(instance_type)[0] += count

    def _end_training(self, instance_type: str, count: int) -> None:
        self._use[instance_type][0] -= count

    def _retain(self, instance_type: str, count: int) -> None:
        self._use[instance_type][1] += count

    def _release(self, instance_type: str, count: int) -> None:
        self._use[instance_type][1] -= count

    def _reuse(self, instance_type: str, count: int) -> None:
        """A retained cluster is taken over by a new job: retained -> in training."""
        use = self._use[instance_type]
        use[1] -= count
        use[0] += count
