"""The warm pools: which clusters are kept at release, which one a new job takes over, and when
an ``Available`` pool ends (D10-D14).

:class:`WarmPools` holds the ``Available`` pools, indexed by identity key, and makes every move
of a job's warm pool status after ``InUse``: ``InUse -> Available | Terminated`` at release,
``Available -> Reused`` when a matching job is created, ``Available -> Terminated`` when the
keep-alive expires, the chain reaches its lifetime cap, ``UpdateTrainingJob`` releases it or a
patch update ends it. Each move is checked by the warm pool machine of
:mod:`warmpool.lifecycle` and recorded in the quota ledger, the billing ledger and the event log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from . import lifecycle as lc
from .billing import BillingLedger
from .clock import EXPIRY, VirtualClock
from .events import (
    EventLog,
    KeepAliveUpdated,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    code,
)
from .identity import IdentityKey
from .jobs import KEEPABLE_FAILURES, Job
from .quota import QuotaLedger

__all__ = ["WarmPools"]

_AVAILABLE: Final = lc.AVAILABLE
_POOL: Final = lc.POOL
# Event records are built here, on the hot path: (code, time, job, *fields in class order).
_POOL_KEPT: Final = code(PoolKept)
_POOL_REUSED: Final = code(PoolReused)
_POOL_TERMINATED: Final = code(PoolTerminated)


class WarmPools:
    """The ``Available`` warm pools of one emulator and the rules that move them."""

    __slots__ = (
        "_available",
        "_billing",
        "_by_key",
        "_cap",
        "_clock",
        "_events",
        "_expiry",
        "_quotas",
        "on_finished",
    )

    def __init__(
        self,
        clock: VirtualClock,
        quotas: QuotaLedger,
        billing: BillingLedger,
        events: EventLog,
        max_lifetime: int,
    ) -> None:
        self._clock = clock
        self._quotas = quotas
        self._billing = billing
        self._events = events
        self._cap = max_lifetime
        # identity key -> Available jobs in (release, creation) order; stale entries (jobs no
        # longer Available) are skipped lazily, and dropped from the front when a pool of the
        # key leaves Available, so the queues hold no more than the pools Available now, those
        # released after the oldest of them, and an empty queue per job that took over a pool
        # and is not yet released (_leave, settle). job seq -> Available job.
        self._by_key: dict[IdentityKey, deque[Job]] = {}
        self._available: dict[int, Job] = {}
        self._expiry = self._on_expiry  # bound once
        #: Told when a job is finished: reused or terminated, its pool can never move again.
        self.on_finished: Callable[[Job], None] = _ignore

    def __len__(self) -> int:
        """How many pools are ``Available``."""
        return len(self._available)

    def in_creation_order(self, instance_type: str | None = None) -> list[Job]:
        """The jobs holding ``Available`` pools (of ``instance_type``), oldest job first."""
        return [
            job
            for _, job in sorted(self._available.items())
            if instance_type is None or job.spec.instance_type == instance_type
        ]

    # -- reuse ----------------------------------------------------------------------------------

    def find(self, key: IdentityKey) -> Job | None:
        """The matching ``Available`` pool that has been ``Available`` longest (earliest
        release, then earliest created), if any (D4)."""
        queue = self._by_key.get(key)
        if queue is None:
            return None
        while queue:
            job = queue[0]
            if job.pool == _AVAILABLE:
                return job
            queue.popleft()
        del self._by_key[key]
        return None

    def reuse(self, donor: Job, job: Job) -> None:
        """``donor``'s pool moves to the new ``job``: ``Reused`` for the one, ``InUse`` for
        the other; its instances move from retained to in training (never refused)."""
        self._leave(donor, "reuse", "Reused")
        donor.reused_by = job.name
        spec = donor.spec
        self._quotas._reuse(spec.instance_type, spec.instance_count)
        job.cluster = donor.cluster
        job.launched_at = donor.launched_at
        job.warm = True
        job.pool = lc.IN_USE
        self._events._add((_POOL_REUSED, self._clock.now, donor.name, donor.cluster, job.name))
        self.on_finished(donor)

    # -- release ----------------------------------------------------------------------------------

    def settle(self, job: Job, failure_class: str | None) -> None:
        """At release, keep the job's cluster as an ``Available`` pool or terminate it
        (D10's table, then keep-alive, lifetime cap and warm pool quota)."""
        now = self._clock.now
        spec = job.spec
        instance_type, count = spec.instance_type, spec.instance_count
        quotas = self._quotas
        launched = job.launched_at
        reason = None
        if launched is None:
            reason = "NotLaunched"
        elif failure_class is not None and failure_class not in KEEPABLE_FAILURES:
            reason = "Unhealthy"
        elif not job.keep_alive:
            reason = "NoKeepAlive"
        elif now - launched >= self._cap:
            reason = "LifetimeCap"
        elif not quotas._can_retain(instance_type, count):
            reason = "WarmPoolQuota"
            self._events._record(
                QuotaRefused,
                now,
                job.name,
                "warm_pool",
                instance_type,
                quotas[instance_type].warm_pool,
                quotas.retained(instance_type),
                count,
            )
        if reason is not None:
            job.pool = _POOL(job.pool or "", "terminate")
            job.retained_billable = 0
            job.pool_reason = reason
            self._events._add((_POOL_TERMINATED, now, job.name, job.cluster, reason, 0))
            if job.warm and not self._by_key.get(spec.key, True):
                del self._by_key[spec.key]  # the empty queue its reuse left (see _leave)
            return
        assert launched is not None and job.keep_alive is not None and job.cluster is not None
        job.pool = _POOL(job.pool or "", "keep")
        job.available_at = now
        expires = min(now + job.keep_alive, launched + self._cap)
        job.expires_at = expires
        quotas._retain(instance_type, count)
        self._billing._open_interval(job.name, job.cluster, instance_type, count, spec.role, now)
        self._available[job.seq] = job
        queue = self._by_key.get(spec.key)
        if queue is None:
            self._by_key[spec.key] = deque((job,))
        elif not queue or queue[-1].available_at != now or queue[-1].seq < job.seq:
            queue.append(job)
        else:
            # Releases made by control calls at one instant can arrive in any order; reuse
            # takes the earliest created among them, so keep the queue in that order.
            index = len(queue)
            while index and queue[index - 1].available_at == now and queue[index - 1].seq > job.seq:
                index -= 1
            queue.insert(index, job)
        self._clock.schedule(expires, self._expiry, job, priority=EXPIRY, order=job.seq)
        self._events._add((_POOL_KEPT, now, job.name, job.cluster, expires))

    # -- the end of an Available pool ----------------------------------------------------------

    def terminate(self, job: Job, reason: str) -> None:
        """``Available -> Terminated`` for ``reason`` (``Expired``, ``LifetimeCap``,
        ``Released``, ``PatchUpdate``)."""
        self._leave(job, "terminate", reason)
        spec = job.spec
        self._quotas._release(spec.instance_type, spec.instance_count)
        assert job.retained_billable is not None
        self._events._add(
            (
                _POOL_TERMINATED,
                self._clock.now,
                job.name,
                job.cluster,
                reason,
                job.retained_billable,
            )
        )
        self.on_finished(job)

    def update_keep_alive(self, job: Job, keep_alive: int) -> None:
        """``UpdateTrainingJob``'s new keep-alive of an ``Available`` pool: the expiry becomes
        ``min(release + keep_alive, launch + cap)``; not in the future, the pool ends now."""
        now = self._clock.now
        assert job.available_at is not None and job.launched_at is not None
        job.keep_alive = keep_alive
        job.last_modified = now
        expires = min(job.available_at + keep_alive, job.launched_at + self._cap)
        self._events._record(KeepAliveUpdated, now, job.name, keep_alive, max(expires, now))
        if expires <= now:
            self.terminate(job, "Released")
        else:
            job.expires_at = expires
            self._clock.schedule(expires, self._expiry, job, priority=EXPIRY, order=job.seq)

    def _leave(self, job: Job, trigger: str, reason: str) -> None:
        """What ``Available -> Reused`` and ``Available -> Terminated`` share."""
        now = self._clock.now
        job.pool = _POOL(job.pool or "", trigger)
        job.pool_reason = reason
        job.last_modified = now
        assert job.cluster is not None
        job.retained_billable = self._billing._close_interval(job.cluster, now, reason)
        del self._available[job.seq]
        # Drop the pools no longer Available from the front of the key's queue, and the queue
        # once empty, so a key no job asks for again keeps neither its jobs nor itself. After a
        # reuse the queue stays: the new job has the same key and will likely fill it again
        # (settle drops it if not).
        key = job.spec.key
        queue = self._by_key.get(key)
        if queue is not None:
            while queue and queue[0].pool != _AVAILABLE:
                queue.popleft()
            if not queue and trigger != "reuse":
                del self._by_key[key]

    def _on_expiry(self, job: Job) -> None:
        now = self._clock.now
        if not expiry_is_live(job, now):
            return
        assert job.available_at is not None and job.keep_alive is not None
        capped = job.available_at + job.keep_alive > now
        self.terminate(job, "LifetimeCap" if capped else "Expired")


def _ignore(job: Job) -> None:
    pass


def expiry_is_live(job: Job, at: float) -> bool:
    """Whether an expiry scheduled for ``at`` still ends ``job``'s pool: not if the pool was
    reused or terminated meanwhile, or ``UpdateTrainingJob`` moved its expiry."""
    return job.pool == _AVAILABLE and job.expires_at == at
