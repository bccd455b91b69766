"""The ``lock`` argument of the event log and the ledgers.

An emulator builds its :class:`~warmpool.EventLog`, :class:`~warmpool.QuotaLedger` and
:class:`~warmpool.BillingLedger` with its own re-entrant lock, so one lock guards all of its
state. Built on their own, each makes a lock of its own.
"""

from __future__ import annotations

import threading

__all__ = ["reentrant_lock"]

_PLAIN_LOCK = type(threading.Lock())


def reentrant_lock(lock: threading.RLock | None, owner: str) -> threading.RLock:
    """``lock``, checked, or a new ``threading.RLock()`` when it is ``None``.

    A plain ``threading.Lock`` is refused: the public methods of ``owner`` call one another
    and the emulator calls them while it holds the lock, so the lock must be re-entrant.
    """
    if lock is None:
        return threading.RLock()
    if isinstance(lock, _PLAIN_LOCK) or not all(
        callable(getattr(lock, name, None))
        for name in ("acquire", "release", "__enter__", "__exit__")
    ):
        raise TypeError(
            f"{owner}: lock must be a re-entrant lock such as threading.RLock(), not {lock!r}"
        )
    return lock
