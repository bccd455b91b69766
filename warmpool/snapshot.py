"""Snapshots: an emulator's whole state as a plain JSON document, and an emulator back from one
(behaviour §10.6, D48; the document's format is described in docs/snapshots.md).

:func:`dump` reads an emulator through the attributes its modules already keep and writes a
``dict`` of JSON types only (``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``) whose key order is fixed, so ``json.dumps`` of the same state is always the
same text. :func:`restore` checks a document whole, then builds a new emulator from it: an
unknown format or version, a missing or unexpected member, a value of the wrong type, or a state
no emulator could be in is refused with one :class:`~warmpool.errors.SnapshotError` naming the
path of what is wrong, before anything is installed (and the emulator being built is dropped).

Reading is written for large documents (``warmpool serve --state FILE`` restores one as it
starts): a value of the plain type it must have costs one test (:class:`_Members`), and a
path is built only to name a problem. What a document holds by the thousand (events, billing
intervals, hyperparameters) is read *the quick way* when its values are plain and right
(:func:`_plain_event`, :func:`_plain_row`, :func:`_frozen_hyperparameters`); anything else is
read the long way, which names its first problem, so a document is refused with the same
error either way (the tests check that the two ways agree).

What a document holds: the settings the emulator was built with (what ``fresh()`` needs), the
clock (epoch, start, now), the counters behind job order, cluster ids and ``RequestId``\\ s, the
configurations of the jobs, the jobs with their plans, tags and warm pools, the events pending
on the clock, the quota limits and use, the billing ledger and the event log. What it does not
hold: the workload hook and event subscribers (code, not data: ``restore`` takes a workload),
the lock, and caches (remembered configurations, interned tags, cached datetimes, the listing's
indexes, the log's index by job), which the new emulator rebuilds as it goes; scheduled events
that would no longer do anything are dropped.

The document is written by hand rather than with a (de)structuring library such as cattrs: the
emulator's records are ``__slots__`` classes and tuples, not attrs classes, most of what a
document holds is derived and must be checked against the rest (which no structuring library
does), and warmpool's core depends on attrs and transitions only.

:func:`write_snapshot` writes a document to a file atomically (a temporary file in the same
directory, flushed and fsynced, then renamed over the target), so a crash mid-write leaves the
previous file whole; :func:`read_snapshot` reads one back.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from itertools import pairwise
from operator import itemgetter
from typing import Any, Final, NoReturn, Protocol, TypeVar

import attrs

from . import lifecycle as lc
from ._json import strict_loads
from .billing import (
    RETAINED_ENDINGS,
    BillingLedger,
    RetainedInterval,
    TrainingInterval,
    _TotalsLedger,
    billable_seconds,
    training_seconds,
)
from .clock import EXPIRY, RELEASE, START, VirtualClock, parse_timestamp
from .config import JobPlan, Limits, Timing
from .errors import SnapshotError, ValidationException
from .events import EVENT_TYPES, EventLog
from .iam import Policy
from .intake import _SHARED_ECHO, Intake, freeze, plain, thaw
from .jobs import AnyJob, FinishedJob, Job, JobSpec
from .pools import WarmPools
from .quota import Quota, QuotaLedger
from .responses import Responder
from .tags import MAX_TAGS, Tags, TagStore
from .training import Training, is_live

__all__ = [
    "FORMAT",
    "VERSION",
    "SnapshotError",
    "dump",
    "read_snapshot",
    "restore",
    "write_snapshot",
]

#: The ``"format"`` of every snapshot document.
FORMAT: Final = "warmpool-snapshot"
#: The ``"version"`` this warmpool writes, and the only one it reads.
VERSION: Final = 1

_TOP_KEYS: Final = (
    "format",
    "version",
    "warmpool",
    "settings",
    "clock",
    "counters",
    "specs",
    "jobs",
    "pending",
    "quotas",
    "billing",
    "events",
)
_SETTINGS_KEYS: Final = (
    "limits",
    "timing",
    "quotas",
    "default_quota",
    "keep_alive_policy",
    "region",
    "account",
    "prices",
    "event_log_maxlen",
    "retain_finished",
)
_JOB_KEYS: Final = (
    "name",
    "seq",
    "spec",
    "hyperparameters",
    "tags",
    "plan",
    "keep_alive",
    "secondary_status",
    "created_at",
    "last_modified",
    "cluster",
    "launched_at",
    "warm",
    "started_at",
    "stop_requested_at",
    "ended_at",
    "failure_reason",
    "updates",
    "warm_pool",
)
_POOL_KEYS: Final = (
    "status",
    "available_at",
    "expires_at",
    "reason",
    "billable_seconds",
    "reused_by",
)
_OPEN_KEYS: Final = ("job", "cluster", "instance_type", "instance_count", "role_arn", "start")
_SUM_KEYS: Final = (
    "instance_type",
    "role_arn",
    "retained_intervals",
    "retained_seconds",
    "retained_instance_seconds",
    "training_intervals",
    "training_seconds",
    "training_instance_seconds",
)
_RETAINED_KEYS: Final = tuple(field.name for field in attrs.fields(RetainedInterval))
_TRAINING_KEYS: Final = tuple(field.name for field in attrs.fields(TrainingInterval))
_PLAN_KEYS: Final = tuple(field.name for field in attrs.fields(JobPlan))
_LIMITS_KEYS: Final = tuple(field.name for field in attrs.fields(Limits))
_TIMING_KEYS: Final = tuple(field.name for field in attrs.fields(Timing))
#: The values of a row of billing.retained or billing.training, in the ledger's order.
_ROW_GETTERS: Final = {keys: itemgetter(*keys) for keys in (_RETAINED_KEYS, _TRAINING_KEYS)}
_UPDATE_KEYS: Final = ("ProfilerConfig", "ProfilerRuleConfigurations", "RemoteDebugConfig")

#: The largest finite float: a plain number up to it is finite (and an int, a float's value).
_LARGEST: Final = sys.float_info.max
#: The members of each kind of object, as a set, made once (see ``_object``).
_keyset: Final[Callable[[tuple[str, ...]], frozenset[str]]] = functools.cache(frozenset)

_LIVE: Final = frozenset({lc.STARTING, lc.TRAINING, lc.STOPPING})
_TERMINAL: Final = lc.TERMINAL_JOB_STATES
_JOB_STATES: Final = tuple(lc.JOB_MACHINE.states)
_POOL_STATES: Final = tuple(lc.POOL_MACHINE.states)
#: Why a pool is Terminated when the cluster was not kept at release (it never was Available).
_AT_RELEASE: Final = frozenset(
    {"NoKeepAlive", "NotLaunched", "Unhealthy", "LifetimeCap", "WarmPoolQuota"}
)
#: Why an Available pool was Terminated.
_FROM_AVAILABLE: Final = frozenset({"Expired", "Released", "PatchUpdate", "LifetimeCap"})

#: The kinds of pending event, with the clock priority of each (lower fires first).
_KINDS: Final = {
    "expiry": EXPIRY,
    "plan_end": RELEASE,
    "max_runtime": RELEASE,
    "stop_done": RELEASE,
    "start": START,
}
#: The callback behind each kind of pending event, by the function the clock holds.
_CALLBACK_KINDS: Final[Mapping[Any, str]] = {
    Training._on_start: "start",
    Training._on_plan_end: "plan_end",
    Training._on_max_runtime: "max_runtime",
    Training._on_stop_done: "stop_done",
    WarmPools._on_expiry: "expiry",
}

#: Event type name -> (code, its field names after ``time`` and ``job``, their annotations).
_EVENTS: Final = {
    kind.__name__: (
        code,
        tuple(field.name for field in attrs.fields(kind)[2:]),
        tuple(str(field.type) for field in attrs.fields(kind)[2:]),
    )
    for code, kind in enumerate(EVENT_TYPES)
}


def _plain_types(annotation: str) -> tuple[frozenset[type], bool]:
    """The plain types a value of an event field of type ``annotation`` may have, and whether
    it is a count or a time (a number that is at least 0)."""
    kind = annotation.removesuffix(" | None")
    choices: dict[str, set[type]] = {"int": {int}, "float": {int, float}, "str": {str}}
    plain = choices.get(kind, {bool})
    if kind != annotation:
        plain.add(type(None))
    return frozenset(plain), kind in ("int", "float")


#: Event type name -> (code, its number of members, and for each field after ``job``: its
#: name, the plain types its value may have, whether it is a number >= 0): for _plain_event.
_EVENT_SHAPES: Final = {
    name: (
        code,
        3 + len(fields),
        tuple(
            (field, *_plain_types(annotation))
            for field, annotation in zip(fields, types, strict=True)
        ),
    )
    for name, (code, fields, types) in _EVENTS.items()
}


class Parts(Protocol):
    """What :func:`dump` reads and :func:`restore` fills in: the attributes of a
    :class:`~warmpool.emulator.WarmPoolEmulator` that hold its state."""

    _settings: dict[str, Any]
    _start: tuple[datetime, float]
    _clock: VirtualClock
    _policy: Policy | None
    _jobs: dict[str, AnyJob]
    _tags: TagStore
    _seq: int
    _intake: Intake
    _training: Training
    _pools: WarmPools
    _quotas: QuotaLedger
    _billing: BillingLedger
    _events: EventLog
    _responder: Responder


E = TypeVar("E", bound=Parts)


# ------------------------------------------------------------------------------------------------
# Writing a document
# ------------------------------------------------------------------------------------------------


def dump(emu: Parts) -> dict[str, Any]:
    """The state of ``emu`` as a snapshot document (hold the emulator's lock to call).

    :class:`~warmpool.errors.SnapshotError` if it holds what a document cannot: an event a
    caller scheduled on its clock, or a ``keep_alive_policy`` document changed since the
    emulator was built.
    """
    from . import __version__

    jobs = emu._jobs
    specs: list[dict[str, Any]] = []
    spec_numbers: dict[tuple[bytes, bool], int] = {}
    job_docs: list[dict[str, Any]] = []
    tags = emu._tags._by_job
    for job in jobs.values():
        spec = job.spec
        identity = (spec.config, spec.key.enable_session_tag_chaining)
        number = spec_numbers.get(identity)
        if number is None:
            number = spec_numbers[identity] = len(specs)
            specs.append({"config": thaw(spec.config), "session_tag_chaining": identity[1]})
        job_docs.append(_job_doc(job, number, tags.get(job.name, ())))
    return {
        "format": FORMAT,
        "version": VERSION,
        "warmpool": __version__,
        "settings": _settings_doc(emu),
        "clock": {
            "epoch": _iso(emu._clock.epoch),
            "start": emu._start[1],
            "now": emu._clock.now,
        },
        "counters": {
            "jobs": emu._seq,
            "clusters": emu._training._clusters,
            "requests": emu._responder._requests,
        },
        "specs": specs,
        "jobs": job_docs,
        "pending": _pending_doc(emu),
        "quotas": {
            "limits": {name: _quota_doc(quota) for name, quota in emu._quotas._limits.items()},
            "use": {
                name: {"in_training": use[0], "retained": use[1]}
                for name, use in emu._quotas._use.items()
            },
        },
        "billing": _billing_doc(emu._billing),
        "events": _events_doc(emu._events),
    }


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _quota_doc(quota: Quota) -> dict[str, Any]:
    return {"training": quota.training, "warm_pool": quota.warm_pool}


def _settings_doc(emu: Parts) -> dict[str, Any]:
    settings = emu._settings
    limits: Limits = settings["limits"]
    timing: Timing = settings["timing"]
    quotas: Mapping[str, Quota] | None = settings["quotas"]
    default: Quota | None = settings["default_quota"]
    prices: Mapping[str, float] | None = settings["prices"]
    return {
        "limits": plain(attrs.asdict(limits)),
        "timing": plain(attrs.asdict(timing)),
        "quotas": None
        if quotas is None
        else {plain(name): _quota_doc(quota) for name, quota in quotas.items()},
        "default_quota": None if default is None else _quota_doc(default),
        "keep_alive_policy": _policy_doc(emu),
        "region": plain(settings["region"]),
        "account": plain(settings["account"]),
        "prices": _price_table(prices, "settings.prices"),
        "event_log_maxlen": plain(settings["event_log_maxlen"]),
        "retain_finished": settings["retain_finished"],
    }


def _policy_doc(emu: Parts) -> Any:
    """The ``keep_alive_policy`` document as JSON data (the emulator's own copy of it)."""
    document = emu._settings["keep_alive_policy"]
    if document is None:
        return None
    copied = plain(document)
    if not _is_json(copied):
        _unwritable("settings.keep_alive_policy", "it holds values that are not JSON data")
    return copied


def _unwritable(path: str, why: str) -> NoReturn:
    raise SnapshotError(path, f"cannot be written down: {why}")


def _price_table(prices: Mapping[str, float] | None, path: str) -> dict[str, float] | None:
    """A copy of a price table, checked to be one JSON can hold."""
    if prices is None:
        return None
    table = plain(prices)
    if not isinstance(table, dict) or not all(
        type(key) is str and type(price) in (int, float) and math.isfinite(price) and price >= 0
        for key, price in table.items()
    ):
        _unwritable(path, "it is not a table of finite prices >= 0 by instance type")
    return table


def _is_json(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_is_json(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    return False


def _job_doc(job: AnyJob, spec: int, tags: Tags) -> dict[str, Any]:
    (
        name,
        seq,
        hyperparameters,
        keep_alive,
        created_at,
        last_modified,
        state,
        pool,
        cluster,
        launched_at,
        warm,
        started_at,
        stop_requested_at,
        ended_at,
        failure_reason,
        available_at,
        expires_at,
        pool_reason,
        retained_billable,
        reused_by,
        updates,
    ) = job.values()
    plan = job.plan
    return {
        "name": name,
        "seq": seq,
        "spec": spec,
        "hyperparameters": None if hyperparameters is None else thaw(hyperparameters),
        "tags": [{"Key": key, "Value": value} for key, value in tags],
        "plan": None
        if plan is None
        else {
            "training_seconds": plain(plan.training_seconds),
            "failure_class": plan.failure_class,
            "failure_message": plan.failure_message,
        },
        "keep_alive": keep_alive,
        "secondary_status": state,
        "created_at": created_at,
        "last_modified": last_modified,
        "cluster": cluster,
        "launched_at": launched_at,
        "warm": warm,
        "started_at": started_at,
        "stop_requested_at": stop_requested_at,
        "ended_at": ended_at,
        "failure_reason": failure_reason,
        "updates": None if updates is None else thaw(updates),
        "warm_pool": None
        if pool is None
        else {
            "status": pool,
            "available_at": available_at,
            "expires_at": expires_at,
            "reason": pool_reason,
            "billable_seconds": retained_billable,
            "reused_by": reused_by,
        },
    }


def _pending_doc(emu: Parts) -> list[dict[str, Any]]:
    """The events on the clock that would still do something, in the order they fire."""
    pending: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for at, _priority, _order, _seq, callback, arg in sorted(
        emu._clock._queue, key=lambda entry: entry[:4]
    ):
        kind = _CALLBACK_KINDS.get(getattr(callback, "__func__", None))
        owner = emu._pools if kind == "expiry" else emu._training
        if (
            kind is None
            or getattr(callback, "__self__", None) is not owner
            or not isinstance(arg, Job)
        ):
            _unwritable(
                "pending",
                f"the clock holds an event that warmpool did not schedule ({callback!r} at "
                f"{at!r}); an emulator whose clock carries other callbacks cannot be "
                "snapshotted",
            )
        if not is_live(at, callback, arg):
            continue  # it would do nothing: the copy does without it
        assert emu._jobs.get(arg.name) is arg
        if (kind, arg.seq) in seen:  # an expiry scheduled twice for one time: one is enough
            continue
        seen.add((kind, arg.seq))
        pending.append({"at": at, "kind": kind, "job": arg.name})
    return pending


def _billing_doc(billing: BillingLedger) -> dict[str, Any]:
    training = (
        [row for rows in billing._held.values() for row in rows]
        if isinstance(billing, _TotalsLedger)
        else billing._training
    )
    return {
        "prices": _price_table(billing.prices, "billing.prices"),
        "retained": [dict(zip(_RETAINED_KEYS, row, strict=True)) for row in billing._retained],
        "training": [dict(zip(_TRAINING_KEYS, row, strict=True)) for row in training],
        "open": [
            dict(zip(_OPEN_KEYS, (job, cluster, instance_type, count, role, start), strict=True))
            for cluster, (job, instance_type, count, role, start) in billing._open.items()
        ],
        "sums": [
            dict(zip(_SUM_KEYS, (instance_type, role, *values), strict=True))
            for (instance_type, role), values in billing._sums.items()
        ]
        if isinstance(billing, _TotalsLedger)
        else [],
    }


def _events_doc(log: EventLog) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    names = [(kind.__name__, _EVENTS[kind.__name__][1]) for kind in EVENT_TYPES]
    for record in log._records:
        name, fields = names[record[0]]
        event = {"type": name, "time": record[1], "job": record[2]}
        event.update(zip(fields, record[3:], strict=True))
        docs.append(event)
    return docs


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------


def write_snapshot(path: str | os.PathLike[str], document: Mapping[str, Any]) -> None:
    """Write ``document`` (from ``emu.snapshot()``) to ``path`` as JSON, atomically.

    The text goes to a temporary file in the same directory, which is flushed, fsynced and then
    renamed over ``path`` (``os.replace``), and the directory is fsynced: a crash or an error
    at any moment leaves ``path`` as it was or as the new document, whole, never half-written.
    On an error the temporary file is removed and the error raised (``OSError``, or
    ``ValueError`` for a document that is not JSON data). The file is written with mode 0600.
    """
    text = json.dumps(document, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (where the system allows opening a directory)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open a directory
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a directory
        pass
    finally:
        os.close(handle)


def read_snapshot(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document in the file ``path`` (as :func:`write_snapshot` writes it).

    ``OSError`` if it cannot be read; :class:`~warmpool.errors.SnapshotError` if it is not a
    JSON object (or repeats a key, or holds ``NaN`` or an infinity). The document is checked
    only by ``WarmPoolEmulator.restore``.
    """
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    try:
        document = strict_loads(text, "JSON")
    except (ValueError, RecursionError) as error:
        raise SnapshotError("", f"{os.fspath(path)} is not a JSON document ({error})") from None
    if not isinstance(document, dict):
        raise SnapshotError("", f"{os.fspath(path)} holds {_kind(document)}, not a JSON object")
    return document


# ------------------------------------------------------------------------------------------------
# Reading a document: checks
# ------------------------------------------------------------------------------------------------


def _fail(path: str, problem: str) -> NoReturn:
    raise SnapshotError(path, problem)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _member(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _object(value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``value`` (a JSON object, or any mapping) as a ``dict`` with exactly the members
    ``keys``."""
    if type(value) is dict:
        members: dict[str, Any] = value  # read only: nothing here changes it
    elif isinstance(value, Mapping):
        members = dict(value)
    else:
        _fail(path, f"must be an object, not {_kind(value)}")
    keyset = _keyset(keys)
    if len(members) == len(keyset) and keyset.issuperset(members):
        return members  # the common case, in one test
    for key in keys:
        if key not in members:
            _fail(_member(path, key), "is missing")
    for key in members:
        if key not in keys:
            where = _member(path, key) if isinstance(key, str) else path
            _fail(where, f"is not a member of this object (its members are {', '.join(keys)})")
    return members


def _map(value: Any, path: str) -> dict[str, Any]:
    """``value`` (a JSON object, or any mapping) as a ``dict``; any keys, all strings."""
    if type(value) is not dict and not isinstance(value, Mapping):
        _fail(path, f"must be an object, not {_kind(value)}")
    members: dict[str, Any] = dict(value)
    for key in members:
        if type(key) is not str and not isinstance(key, str):
            _fail(path, f"has a key that is not a string ({key!r})")
    return members


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, f"must be an array, not {_kind(value)}")
    return value


def _str(value: Any, path: str) -> str:
    if type(value) is str:
        return value
    if not isinstance(value, str):
        _fail(path, f"must be a string, not {_kind(value)}")
    return str.__str__(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"must be true or false, not {_kind(value)}")
    return value


def _int(value: Any, path: str, minimum: int = 0) -> int:
    if type(value) is int and value >= minimum:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"must be a whole number, not {_kind(value)}")
    if value < minimum:
        _fail(path, f"must be at least {minimum}, not {value}")
    return int.__int__(value)


def _number(value: Any, path: str, minimum: float = 0) -> float:
    """A finite number >= ``minimum``, as a plain ``int`` or ``float`` (kept as it is)."""
    kind = type(value)
    if (kind is int or kind is float) and minimum <= value <= _LARGEST:  # not NaN, not inf
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"must be a number, not {_kind(value)}")
    number = int.__int__(value) if isinstance(value, int) else float.__float__(value)
    if isinstance(number, int) and not -_LARGEST <= number <= _LARGEST:  # no float holds it
        limit = f"at least {minimum}" if number < 0 else f"at most {_LARGEST!r}"
        _fail(path, f"must be a finite number {limit}, not one beyond any float")
    if not math.isfinite(number):
        _fail(path, f"must be a finite number, not {number}")
    if number < minimum:
        _fail(path, f"must be at least {minimum}, not {number}")
    return number


class _Members:
    """The members of one object of a document, checked to be exactly ``keys``, each read as
    the functions above read a value (``text`` as ``_str``, ``whole`` as ``_int``, ``number`` as
    ``_number``, ``flag`` as ``_bool``), with the same problems; the path of a member is built
    only to name a problem, and a member of the plain type it must have costs one test."""

    __slots__ = ("path", "raw")

    def __init__(self, value: Any, path: str, keys: tuple[str, ...]) -> None:
        #: The object as a ``dict`` (the document's own, if it is one: read it, never change it).
        self.raw = _object(value, path, keys)
        self.path = path

    def at(self, key: str) -> str:
        """The path of the member ``key`` (a name, so no quoting: ``_member`` of it)."""
        return f"{self.path}.{key}"

    def text(self, key: str) -> str:
        value = self.raw[key]
        return value if type(value) is str else _str(value, self.at(key))

    def whole(self, key: str, minimum: int = 0) -> int:
        value = self.raw[key]
        if type(value) is int and value >= minimum:
            return value
        return _int(value, self.at(key), minimum)

    def number(self, key: str, minimum: float = 0) -> float:
        value = self.raw[key]
        kind = type(value)
        if (kind is int or kind is float) and minimum <= value <= _LARGEST:
            return value  # type: ignore[no-any-return]
        return _number(value, self.at(key), minimum)

    def flag(self, key: str) -> bool:
        value = self.raw[key]
        return value if type(value) is bool else _bool(value, self.at(key))

    def whole_or_none(self, key: str, minimum: int = 0) -> int | None:
        return None if self.raw[key] is None else self.whole(key, minimum)

    def text_or_none(self, key: str) -> str | None:
        return None if self.raw[key] is None else self.text(key)


def _maybe(read: Callable[..., Any], value: Any, path: str, *args: Any) -> Any:
    return None if value is None else read(value, path, *args)


def _json_data(value: Any, path: str) -> Any:
    """A private copy of ``value``, checked to be JSON data."""
    copied = plain(value)
    if not _is_json(copied):
        _fail(path, "must be JSON data (objects with string keys, arrays, strings, numbers)")
    return copied


def _frozen_hyperparameters(value: Any, intake: Intake) -> bytes | None:
    """``freeze(value)`` if ``value`` is a ``dict`` of plain strings SageMaker accepts as
    ``HyperParameters`` (what a job of a document read from JSON has), else ``None``: no
    hyperparameters, or values to read the long way, which says what is wrong with them."""
    if type(value) is not dict:
        return None
    try:  # marshal writes plain types only: not a subclass of str, nor any other object
        frozen = freeze(value)
    except ValueError:
        return None
    return frozen if intake._hyperparameters_ok(value) else None


def _quota(value: Any, path: str) -> Quota:
    entry = _object(value, path, ("training", "warm_pool"))
    return Quota(
        training=_maybe(_int, entry["training"], _member(path, "training")),
        warm_pool=_int(entry["warm_pool"], _member(path, "warm_pool")),
    )


def _prices(value: Any, path: str) -> dict[str, float]:
    return {key: _number(price, _member(path, key)) for key, price in _map(value, path).items()}


# ------------------------------------------------------------------------------------------------
# Reading a document: the emulator
# ------------------------------------------------------------------------------------------------


@attrs.define
class _Pending:
    at: float
    kind: str
    job: Job


def restore(
    factory: Callable[..., E],
    document: Any,
    *,
    workload: Any = None,
    keep_alive_policy: Mapping[str, Any] | str | None = None,
) -> E:
    """A new emulator built by ``factory`` (the emulator class) from a snapshot ``document``,
    with ``workload`` as its workload hook and ``keep_alive_policy`` in place of the
    document's policy if given. :class:`~warmpool.errors.SnapshotError` for a document it
    refuses; nothing is kept of the emulator being built then."""
    if workload is not None and not callable(workload):
        raise TypeError(f"workload must be callable or None, not {workload!r}")
    if keep_alive_policy is not None:
        Policy.from_document(keep_alive_policy)  # the caller's argument: its own ValueError
    doc = _object(document, "", _TOP_KEYS)
    if doc["format"] != FORMAT:
        _fail("format", f"must be {FORMAT!r}, not {json.dumps(doc['format'])}")
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        _fail(
            "version",
            f"{json.dumps(version)} is not a version this warmpool reads: it reads version "
            f"{VERSION} (a document of a later version needs the warmpool that wrote it)",
        )
    _str(doc["warmpool"], "warmpool")
    settings = _read_settings(doc["settings"])
    clock, start = _read_clock(doc["clock"])
    own_policy = settings.pop("keep_alive_policy")
    if keep_alive_policy is None:
        keep_alive_policy = own_policy
    try:
        emu = factory(
            clock=clock, workload=workload, keep_alive_policy=keep_alive_policy, **settings
        )
    except (TypeError, ValueError) as error:
        _fail("settings", str(error))
    state = _Reader(emu, doc, start)
    state.read()
    state.install()
    return emu


def _read_settings(value: Any) -> dict[str, Any]:
    s = _object(value, "settings", _SETTINGS_KEYS)
    limits = _object(s["limits"], "settings.limits", _LIMITS_KEYS)
    timing = _object(s["timing"], "settings.timing", _TIMING_KEYS)
    quotas = s["quotas"]
    policy = s["keep_alive_policy"]
    if policy is not None:
        if not isinstance(policy, str):
            where = "settings.keep_alive_policy"
            policy = _json_data(_map(policy, where), where)
        try:
            Policy.from_document(policy)
        except ValueError as error:
            _fail("settings.keep_alive_policy", str(error))
    return {
        "limits": Limits(
            **{key: _int(number, f"settings.limits.{key}", 1) for key, number in limits.items()}
        ),
        "timing": Timing(
            **{key: _number(number, f"settings.timing.{key}") for key, number in timing.items()}
        ),
        "quotas": None
        if quotas is None
        else {
            key: _quota(quota, _member("settings.quotas", key))
            for key, quota in _map(quotas, "settings.quotas").items()
        },
        "default_quota": _maybe(_quota, s["default_quota"], "settings.default_quota"),
        "keep_alive_policy": policy,
        "region": _str(s["region"], "settings.region"),
        "account": _str(s["account"], "settings.account"),
        "prices": _maybe(_prices, s["prices"], "settings.prices"),
        "event_log_maxlen": _maybe(_int, s["event_log_maxlen"], "settings.event_log_maxlen"),
        "retain_finished": _bool(s["retain_finished"], "settings.retain_finished"),
    }


def _read_clock(value: Any) -> tuple[VirtualClock, float]:
    c = _object(value, "clock", ("epoch", "start", "now"))
    text = _str(c["epoch"], "clock.epoch")
    try:
        epoch = parse_timestamp(text)
    except ValueError as error:
        _fail("clock.epoch", str(error))
    if epoch.tzinfo is None:
        _fail("clock.epoch", f"must give its offset from UTC ('Z' for UTC), not {text!r}")
    now = _number(c["now"], "clock.now")
    start = _number(c["start"], "clock.start")
    if start > now:
        _fail("clock.start", f"{start} is after the clock's now ({now})")
    try:
        clock = VirtualClock(epoch, now=now)
    except ValueError as error:
        _fail("clock", str(error))
    return clock, start


class _Reader:
    """One document being read into one new emulator: :meth:`read` checks everything and
    builds the records; :meth:`install` puts them in place (it cannot fail)."""

    def __init__(self, emu: Parts, doc: dict[str, Any], start: float) -> None:
        self.emu = emu
        self.doc = doc
        self.start = start
        self.now = emu._clock.now
        settings = emu._settings
        self.limits: Limits = settings["limits"]
        self.timing: Timing = settings["timing"]
        self.retain_finished: bool = settings["retain_finished"]
        self.specs: list[JobSpec] = []
        self.jobs: list[Job] = []
        self.tags: list[Tags] = []
        self.where: dict[str, int] = {}  # job name -> index in jobs
        self.pending: list[_Pending] = []
        self.counters: dict[str, int] = {}
        self.limits_by_type: dict[str, Quota] = {}
        self.use: dict[str, list[int]] = {}
        self.prices: dict[str, float] | None = None
        self.retained: list[tuple[Any, ...]] = []
        self.training: list[tuple[Any, ...]] = []
        self.open: dict[int, tuple[str, str, int, str, float]] = {}
        self.sums: dict[tuple[str, str], list[int]] = {}
        self.records: list[tuple[Any, ...]] = []

    # -- reading ----------------------------------------------------------------------------

    def read(self) -> None:
        doc = self.doc
        counters = _object(doc["counters"], "counters", ("jobs", "clusters", "requests"))
        self.counters = {key: _int(value, f"counters.{key}") for key, value in counters.items()}
        self._read_specs(_list(doc["specs"], "specs"))
        for index, job in enumerate(_list(doc["jobs"], "jobs")):
            self._read_job(job, f"jobs[{index}]")
        self._check_clusters()
        self._read_pending(_list(doc["pending"], "pending"))
        self._read_quotas(doc["quotas"])
        self._read_billing(doc["billing"])
        self._read_events(_list(doc["events"], "events"))

    def _read_specs(self, entries: list[Any]) -> None:
        intake = self.emu._intake
        for index, value in enumerate(entries):
            path = f"specs[{index}]"
            entry = _object(value, path, ("config", "session_tag_chaining"))
            config = _map(entry["config"], f"{path}.config")
            chaining = _bool(entry["session_tag_chaining"], f"{path}.session_tag_chaining")
            for key in config:
                if key not in _SHARED_ECHO:
                    _fail(
                        _member(f"{path}.config", key),
                        "is not a member of a job's configuration (the CreateTrainingJob "
                        "members DescribeTrainingJob echoes, but HyperParameters)",
                    )
            request = dict(_json_data(config, f"{path}.config"))
            request["TrainingJobName"] = "snapshot"
            if chaining:
                request["SessionChainingConfig"] = {"EnableSessionTagChaining": True}
            try:
                spec = intake._create_slowly(request)[0]
            except ValidationException as error:
                field = error.field
                where = f"{path}.config" if not field else _field_path(f"{path}.config", field)
                _fail(where, f"is not a valid CreateTrainingJob request: {error.message}")
            self.specs.append(spec)

    def _read_job(self, value: Any, path: str) -> None:
        emu = self.emu
        now = self.now
        d = _Members(value, path, _JOB_KEYS)
        raw = d.raw
        at = d.at
        intake = emu._intake
        name = d.text("name")
        if not intake._name_ok(name):
            _fail(at("name"), f"{name!r} is not a training job name SageMaker accepts")
        if name in self.where:
            _fail(at("name"), f"{name!r} is the name of jobs[{self.where[name]}] too")
        seq = d.whole("seq", 1)
        if self.jobs and seq <= self.jobs[-1].seq:
            _fail(at("seq"), f"{seq} does not follow the previous job's ({self.jobs[-1].seq})")
        if seq > self.counters["jobs"]:
            _fail(at("seq"), f"{seq} is above counters.jobs ({self.counters['jobs']})")
        number = d.whole("spec")
        if number >= len(self.specs):
            _fail(at("spec"), f"{number} names no entry of specs ({len(self.specs)} entries)")
        spec = self.specs[number]
        hyperparameters = _frozen_hyperparameters(raw["hyperparameters"], intake)
        if hyperparameters is None and raw["hyperparameters"] is not None:
            where = at("hyperparameters")
            copied = _json_data(_map(raw["hyperparameters"], where), where)
            if not intake._hyperparameters_ok(copied):
                _fail(where, "are not HyperParameters SageMaker accepts")
            hyperparameters = freeze(copied)
        tags = self._read_tags(raw["tags"], path)
        plan = raw["plan"]
        if plan is not None:
            members = _Members(plan, at("plan"), _PLAN_KEYS)
            try:  # a SnapshotError is a ValueError: a member's problem is the plan's too
                plan = JobPlan(
                    training_seconds=members.number("training_seconds"),
                    failure_class=members.text_or_none("failure_class"),
                    failure_message=members.text("failure_message"),
                )
            except ValueError as error:
                _fail(at("plan"), str(error))
        keep_alive = d.whole_or_none("keep_alive")
        if keep_alive is not None and keep_alive > self.limits.max_keep_alive_seconds:
            _fail(
                at("keep_alive"),
                f"{keep_alive} is above the limit of {self.limits.max_keep_alive_seconds} "
                "seconds (settings.limits.max_keep_alive_seconds)",
            )
        state = d.text("secondary_status")
        if state not in _JOB_STATES:
            _fail(at("secondary_status"), f"must be one of {', '.join(_JOB_STATES)}, not {state!r}")

        def moment(key: str, low: float, required: bool | None) -> float | None:
            """A time between ``low`` and now; present when ``required`` (None: either)."""
            value = raw[key]
            if value is None:
                if required:
                    _fail(at(key), f"must be a time: the job is {state}")
                return None
            if required is False:
                _fail(at(key), f"must be null: the job is {state}")
            seconds = d.number(key)
            if seconds > now:
                _fail(at(key), f"{seconds} is after the clock's now ({now})")
            if seconds < low:
                _fail(at(key), f"{seconds} is before {low}, a time it cannot precede")
            return seconds

        live = state in _LIVE
        created_at = moment("created_at", self.start, True)
        assert created_at is not None
        last_modified = moment("last_modified", created_at, True)
        assert last_modified is not None
        started_at = moment(
            "started_at",
            created_at,
            True
            if state in (lc.TRAINING, lc.COMPLETED, lc.MAX_RUNTIME_EXCEEDED)
            else False
            if state == lc.STARTING
            else None,
        )
        stop_requested_at = moment(
            "stop_requested_at",
            started_at if started_at is not None else created_at,
            state in (lc.STOPPING, lc.STOPPED),
        )
        latest = created_at  # max() of the times the job has so far
        if started_at is not None and started_at > latest:
            latest = started_at
        if stop_requested_at is not None and stop_requested_at > latest:
            latest = stop_requested_at
        ended_at = moment("ended_at", latest, not live)
        failure_reason = raw["failure_reason"]
        if (failure_reason is None) != (state != lc.FAILED):
            _fail(
                at("failure_reason"),
                f"must be {'a string' if state == lc.FAILED else 'null'}: the job is {state}",
            )
        if failure_reason is not None:
            failure_reason = d.text("failure_reason")
        if plan is not None and not live:
            _fail(at("plan"), f"must be null: the job is {state} (a plan is dropped at release)")
        warm = d.flag("warm")
        cluster = d.whole_or_none("cluster", 1)
        if cluster is not None and cluster > self.counters["clusters"]:
            _fail(
                at("cluster"),
                f"{cluster} is above counters.clusters ({self.counters['clusters']})",
            )
        holds = warm or started_at is not None
        if (cluster is None) == holds:
            why = (
                "it took over a warm pool (warm is true)"
                if warm
                else "it started training on a cluster launched for it"
                if started_at is not None
                else "it never started, nor took over a warm pool"
            )
            _fail(at("cluster"), f"must be {'a cluster id' if holds else 'null'}: {why}")
        launched_at = moment("launched_at", 0, cluster is not None)
        if launched_at is not None:
            if warm and launched_at > created_at:
                _fail(
                    at("launched_at"),
                    "is after the job was created, but it took over a warm pool launched before",
                )
            if not warm and launched_at != started_at:
                _fail(
                    at("launched_at"),
                    "must be started_at: the job's cluster was launched for it when it started",
                )
        updates = raw["updates"]
        if updates is not None:
            updates = _json_data(_object_with(updates, at("updates"), _UPDATE_KEYS), at("updates"))
        job = Job(
            name,
            seq,
            spec,
            hyperparameters,
            plan,
            created_at,
        )
        job.keep_alive = keep_alive
        job.last_modified = last_modified
        job.state = state
        job.cluster = cluster
        job.launched_at = launched_at
        job.warm = warm
        job.started_at = started_at
        job.stop_requested_at = stop_requested_at
        job.ended_at = ended_at
        job.failure_reason = failure_reason
        job.updates = None if updates is None else freeze(updates)
        self._read_pool(job, raw["warm_pool"], at("warm_pool"))
        self.where[name] = len(self.jobs)
        self.jobs.append(job)
        self.tags.append(tags)

    def _read_tags(self, value: Any, job_path: str) -> Tags:
        """The ``tags`` of the job at ``job_path``."""
        if type(value) is list and not value:
            return ()  # most jobs
        path = f"{job_path}.tags"
        entries = _list(value, path)
        pairs: list[tuple[str, str]] = []
        for index, entry in enumerate(entries):
            tag = _object(entry, f"{path}[{index}]", ("Key", "Value"))
            pairs.append(
                (
                    _str(tag["Key"], f"{path}[{index}].Key"),
                    _str(tag["Value"], f"{path}[{index}].Value"),
                )
            )
        if len(pairs) > MAX_TAGS:
            _fail(path, f"holds {len(pairs)} tags; a job has at most {MAX_TAGS}")
        as_list = [{"Key": key, "Value": value} for key, value in pairs]
        if pairs and not self.emu._intake._tags_ok(as_list):
            _fail(path, "are not Tags SageMaker accepts")
        try:
            checked = self.emu._tags.checked("AddTags", as_list)
        except ValidationException as error:
            _fail(path, error.message)
        return checked or ()

    def _read_pool(self, job: Job, value: Any, path: str) -> None:
        if value is None:
            if job.warm:
                _fail(path, "must not be null: the job took over a warm pool (warm is true)")
            return
        p = _Members(value, path, _POOL_KEYS)
        raw = p.raw
        now = self.now
        state = job.state
        status = p.text("status")
        if status not in _POOL_STATES:
            _fail(f"{path}.status", f"must be one of {', '.join(_POOL_STATES)}, not {status!r}")
        live = state in _LIVE
        if status == lc.IN_USE:
            if not live:
                _fail(f"{path}.status", f"cannot be InUse: the job is {state} (released)")
            for key in _POOL_KEYS[1:]:
                if raw[key] is not None:
                    _fail(f"{path}.{key}", "must be null while the warm pool is InUse")
            job.pool = status
            return
        if live:
            _fail(f"{path}.status", f"must be InUse: the job is {state} (not yet released)")
        assert job.ended_at is not None
        available_at = raw["available_at"]
        if status != lc.TERMINATED or available_at is not None:
            # it was Available: kept at release
            if available_at is None:
                _fail(f"{path}.available_at", f"must be a time: a {status} pool was Available")
            available_at = p.number("available_at")
            if available_at != job.ended_at:
                _fail(
                    f"{path}.available_at",
                    f"must be ended_at ({job.ended_at}): a pool becomes Available at release",
                )
            if job.cluster is None or job.launched_at is None:
                _fail(f"{path}.status", f"cannot be {status}: the job holds no cluster")
            expires_at = p.number("expires_at")
            cap = job.launched_at + self.limits.max_pool_lifetime_seconds
            if expires_at <= available_at or expires_at > cap:
                _fail(
                    f"{path}.expires_at",
                    f"{expires_at} is not after available_at ({available_at}) and at most the "
                    f"chain's lifetime cap ({cap})",
                )
            job.available_at = available_at
            job.expires_at = expires_at
        elif raw["expires_at"] is not None:
            _fail(f"{path}.expires_at", "must be null: the pool was never Available")
        reason = raw["reason"]
        billable = raw["billable_seconds"]
        reused_by = raw["reused_by"]
        if status == lc.AVAILABLE:
            for key in ("reason", "billable_seconds", "reused_by"):
                if raw[key] is not None:
                    _fail(f"{path}.{key}", "must be null while the warm pool is Available")
            assert job.expires_at is not None
            if not job.keep_alive:
                _fail(f"{path}.status", "cannot be Available: the job's keep_alive is not > 0")
            if job.expires_at <= now:
                _fail(
                    f"{path}.expires_at",
                    f"{job.expires_at} is not after the clock's now ({now}): an Available "
                    "pool always expires in the future",
                )
            job.pool = status
            return
        reason = p.text("reason")
        billable = p.whole("billable_seconds")
        if status == lc.REUSED:
            if reason != "Reused":
                _fail(f"{path}.reason", f"must be 'Reused' for a Reused pool, not {reason!r}")
            reused_by = p.text("reused_by")
        elif reused_by is not None:
            _fail(f"{path}.reused_by", "must be null: the pool was not Reused")
        if job.available_at is None:
            if reason not in _AT_RELEASE:
                _fail(
                    f"{path}.reason",
                    f"must be one of {', '.join(sorted(_AT_RELEASE))} for a pool not kept at "
                    f"release, not {reason!r}",
                )
            if billable != 0:
                _fail(f"{path}.billable_seconds", "must be 0: the pool was never Available")
        else:
            if status == lc.TERMINATED and reason not in _FROM_AVAILABLE:
                _fail(
                    f"{path}.reason",
                    f"must be one of {', '.join(sorted(_FROM_AVAILABLE))} for a pool that was "
                    f"Available, not {reason!r}",
                )
            expected = billable_seconds(job.last_modified - job.available_at)
            if billable != expected:
                _fail(
                    f"{path}.billable_seconds",
                    f"is {billable}, but the pool was Available from {job.available_at} to "
                    f"{job.last_modified} (last_modified): {expected} seconds",
                )
        job.pool = status
        job.pool_reason = reason
        job.retained_billable = billable
        job.reused_by = reused_by

    def _check_clusters(self) -> None:
        """A cluster is held (InUse or Available) by at most one job; a job whose cluster went
        on to a later job handed it over (Reused), and that job took it over (warm)."""
        by_cluster: dict[int, list[int]] = {}
        for index, job in enumerate(self.jobs):
            if not self.retain_finished and job.state in _TERMINAL and job.pool != lc.AVAILABLE:
                _fail(
                    f"jobs[{index}]",
                    "is finished, and an emulator built with retain_finished=false keeps no "
                    "finished job",
                )
            if job.cluster is not None:
                by_cluster.setdefault(job.cluster, []).append(index)
        for cluster, indexes in by_cluster.items():
            holders = [
                i
                for i in indexes
                if self.jobs[i].state in _LIVE or self.jobs[i].pool == lc.AVAILABLE
            ]
            if len(holders) > 1:
                _fail(
                    f"jobs[{holders[1]}].cluster",
                    f"cluster {cluster} is held by jobs[{holders[0]}] too: a cluster is InUse "
                    "or Available for one job at a time",
                )
            first = self.jobs[indexes[0]]
            for earlier, later in pairwise(indexes):
                if self.jobs[earlier].pool != lc.REUSED:
                    _fail(
                        f"jobs[{earlier}].warm_pool",
                        f"must be Reused: its cluster {cluster} went on to jobs[{later}]",
                    )
                if not self.jobs[later].warm:
                    _fail(
                        f"jobs[{later}].warm",
                        f"must be true: the job holds cluster {cluster}, which jobs[{earlier}] "
                        "held before",
                    )
                if self.jobs[later].launched_at != first.launched_at:
                    _fail(
                        f"jobs[{later}].launched_at",
                        f"must be {first.launched_at}, the launch of cluster {cluster}",
                    )

    def _expected_event(self, job: Job) -> tuple[str, float] | None:
        """The event a job waits for: its kind and time (``None``: it waits for none)."""
        timing = self.timing
        state = job.state
        if state == lc.STARTING:
            wait = timing.warm_start_seconds if job.warm else timing.cold_start_seconds
            return "start", job.created_at + wait
        if state == lc.TRAINING:
            assert job.started_at is not None
            plan = job.plan
            if plan is not None and plan.training_seconds <= job.spec.max_runtime:
                return "plan_end", job.started_at + plan.training_seconds
            return "max_runtime", job.started_at + job.spec.max_runtime
        if state == lc.STOPPING:
            assert job.stop_requested_at is not None
            return "stop_done", job.stop_requested_at + timing.stopping_seconds
        if job.pool == lc.AVAILABLE:
            assert job.expires_at is not None
            return "expiry", job.expires_at
        return None

    def _read_pending(self, entries: list[Any]) -> None:
        now = self.now
        claimed: dict[int, int] = {}  # job seq -> index in pending
        for index, value in enumerate(entries):
            path = f"pending[{index}]"
            entry = _object(value, path, ("at", "kind", "job"))
            at = _number(entry["at"], f"{path}.at")
            kind = _str(entry["kind"], f"{path}.kind")
            if kind not in _KINDS:
                _fail(f"{path}.kind", f"must be one of {', '.join(_KINDS)}, not {kind!r}")
            name = _str(entry["job"], f"{path}.job")
            if at < now:
                _fail(
                    f"{path}.at",
                    f"{at} is before the clock's now ({now}): an event cannot be pending in "
                    "the past",
                )
            where = self.where.get(name)
            if where is None:
                _fail(f"{path}.job", f"names no job of jobs ({name!r})")
            job = self.jobs[where]
            expected = self._expected_event(job)
            if expected is None:
                _fail(
                    f"{path}.job",
                    f"jobs[{where}] ({name!r}) waits for no event: it is {job.state}"
                    + (f" and its warm pool {job.pool}" if job.pool else ""),
                )
            if kind != expected[0]:
                _fail(f"{path}.kind", f"must be {expected[0]!r} for jobs[{where}] ({name!r})")
            if at != expected[1]:
                _fail(
                    f"{path}.at",
                    f"must be {expected[1]}, when jobs[{where}]'s {kind} is due, not {at}",
                )
            if job.seq in claimed:
                _fail(path, f"repeats pending[{claimed[job.seq]}]")
            claimed[job.seq] = index
            self.pending.append(_Pending(at, kind, job))
        for index, job in enumerate(self.jobs):
            expected = self._expected_event(job)
            if expected is not None and job.seq not in claimed:
                _fail(
                    "pending",
                    f"has no {expected[0]!r} event for jobs[{index}] ({job.name!r}), due at "
                    f"{expected[1]}",
                )

    def _read_quotas(self, value: Any) -> None:
        q = _object(value, "quotas", ("limits", "use"))
        self.limits_by_type = {
            key: _quota(quota, _member("quotas.limits", key))
            for key, quota in _map(q["limits"], "quotas.limits").items()
        }
        for key, entry in _map(q["use"], "quotas.use").items():
            path = _member("quotas.use", key)
            use = _object(entry, path, ("in_training", "retained"))
            self.use[key] = [
                _int(use["in_training"], f"{path}.in_training"),
                _int(use["retained"], f"{path}.retained"),
            ]
        expected: dict[str, list[int]] = {}
        for job in self.jobs:
            if job.state in _LIVE:
                for instance_type, count in job.spec.groups:
                    expected.setdefault(instance_type, [0, 0])[0] += count
            elif job.pool == lc.AVAILABLE:
                spec = job.spec
                expected.setdefault(spec.instance_type, [0, 0])[1] += spec.instance_count
        for instance_type, counts in expected.items():
            if instance_type not in self.use:
                _fail(
                    _member("quotas.use", instance_type),
                    f"is missing: the jobs hold {counts[0]} instances in training and "
                    f"{counts[1]} retained",
                )
        for instance_type, held in self.use.items():
            wanted = expected.get(instance_type, [0, 0])
            for position, (key, what) in enumerate(
                (("in_training", "in training"), ("retained", "retained in Available pools"))
            ):
                if held[position] != wanted[position]:
                    _fail(
                        f"{_member('quotas.use', instance_type)}.{key}",
                        f"is {held[position]}, but the jobs hold {wanted[position]} instances of "
                        f"{instance_type} {what}",
                    )

    def _read_billing(self, value: Any) -> None:
        b = _object(value, "billing", ("prices", "retained", "training", "open", "sums"))
        self.prices = _maybe(_prices, b["prices"], "billing.prices")
        self._read_retained(_list(b["retained"], "billing.retained"))
        self._read_training(_list(b["training"], "billing.training"))
        self._read_open(_list(b["open"], "billing.open"))
        for index, row in enumerate(_list(b["sums"], "billing.sums")):
            path = f"billing.sums[{index}]"
            r = _object(row, path, _SUM_KEYS)
            key = (
                _str(r["instance_type"], f"{path}.instance_type"),
                _str(r["role_arn"], f"{path}.role_arn"),
            )
            if key in self.sums:
                _fail(path, f"repeats the sums of {key[0]} and {key[1]}")
            self.sums[key] = [_int(r[name], f"{path}.{name}") for name in _SUM_KEYS[2:]]
        self._check_billing()

    def _interval(
        self, row: Any, path: str, keys: tuple[str, ...]
    ) -> tuple[_Members, str, str, int, str, float, float | None]:
        """The members every interval has, checked in the order of the document: the row,
        its job, instance type, instance count, role, start and end (``None``: open)."""
        r = _Members(row, path, keys)
        job = r.text("job")
        instance_type = r.text("instance_type")
        count = r.whole("instance_count", 1)
        role = r.text("role_arn")
        start = r.number("start")
        if "end" not in keys:
            return r, job, instance_type, count, role, start, None
        end = r.number("end", start)
        if end > self.now:
            _fail(r.at("end"), f"{end} is after the clock's now ({self.now})")
        return r, job, instance_type, count, role, start, end

    def _read_retained(self, rows: list[Any]) -> None:
        for index, row in enumerate(rows):
            plain = _plain_row(row, _RETAINED_KEYS, self.now)
            if plain is not None:
                self.retained.append(plain)
                continue
            r, job, instance_type, count, role, start, end = self._interval(
                row, f"billing.retained[{index}]", _RETAINED_KEYS
            )
            assert end is not None
            cluster = r.whole("cluster", 1)
            ended = r.text("ended")
            if ended not in RETAINED_ENDINGS:
                _fail(r.at("ended"), f"must be one of {', '.join(RETAINED_ENDINGS)}")
            seconds = r.whole("billable_seconds")
            if seconds != billable_seconds(end - start):
                _fail(r.at("billable_seconds"), "is not the interval's length, rounded up")
            # in the order of _RETAINED_KEYS
            self.retained.append(
                (job, cluster, instance_type, count, role, start, end, ended, seconds)
            )

    def _read_training(self, rows: list[Any]) -> None:
        for index, row in enumerate(rows):
            plain = _plain_row(row, _TRAINING_KEYS, self.now)
            if plain is not None:
                self.training.append(plain)
                continue
            r, job, instance_type, count, role, start, end = self._interval(
                row, f"billing.training[{index}]", _TRAINING_KEYS
            )
            assert end is not None
            cluster = r.whole_or_none("cluster", 1)
            seconds = r.whole("billable_seconds")
            if seconds != training_seconds(end - start):
                _fail(
                    r.at("billable_seconds"),
                    "is not the training's length, rounded up (at least 1)",
                )
            # in the order of _TRAINING_KEYS
            self.training.append((job, cluster, instance_type, count, role, start, end, seconds))

    def _read_open(self, rows: list[Any]) -> None:
        for index, row in enumerate(rows):
            r, job, instance_type, count, role, start, _ = self._interval(
                row, f"billing.open[{index}]", _OPEN_KEYS
            )
            cluster = r.whole("cluster", 1)
            if cluster in self.open:
                _fail(r.at("cluster"), f"cluster {cluster} has an open interval already")
            self.open[cluster] = (job, instance_type, count, role, start)

    def _check_billing(self) -> None:
        """The ledger against the jobs: one open interval per Available pool, and the
        intervals of every job the emulator holds."""
        available = {job.cluster: job for job in self.jobs if job.pool == lc.AVAILABLE}
        for cluster, job in available.items():
            assert cluster is not None and job.available_at is not None
            spec = job.spec
            expected = (
                job.name,
                spec.instance_type,
                spec.instance_count,
                spec.role,
                job.available_at,
            )
            if self.open.get(cluster) != expected:
                _fail(
                    "billing.open",
                    f"has no open interval (from {job.available_at}, of {spec.instance_count} "
                    f"{spec.instance_type}) for cluster {cluster}, the Available pool of "
                    f"jobs[{self.where[job.name]}] ({job.name!r})",
                )
        for cluster in self.open:
            if cluster not in available:
                _fail(
                    "billing.open",
                    f"has an interval for cluster {cluster}, which no Available pool holds",
                )
        training = Counter(self.training)
        for index, job in enumerate(self.jobs):
            if job.started_at is None or job.ended_at is None:
                continue
            seconds = training_seconds(job.ended_at - job.started_at)
            spec = job.spec
            for instance_type, count in spec.groups:
                row = (
                    job.name,
                    job.cluster,
                    instance_type,
                    count,
                    spec.role,
                    job.started_at,
                    job.ended_at,
                    seconds,
                )
                if training[row] <= 0:
                    _fail(
                        "billing.training",
                        f"has no training interval of jobs[{index}] ({job.name!r}) on "
                        f"{instance_type}",
                    )
                training[row] -= 1
        if self.retain_finished:
            if self.sums:
                _fail(
                    "billing.sums",
                    "must be empty: the emulator keeps every interval (retain_finished is true)",
                )
            retained = Counter(self.retained)
            for index, job in enumerate(self.jobs):
                if job.available_at is None or job.pool == lc.AVAILABLE:
                    continue
                spec = job.spec
                kept = (
                    job.name,
                    job.cluster,
                    spec.instance_type,
                    spec.instance_count,
                    spec.role,
                    job.available_at,
                    job.last_modified,
                    job.pool_reason,
                    job.retained_billable,
                )
                if retained[kept] <= 0:
                    _fail(
                        "billing.retained",
                        f"has no retained interval of jobs[{index}] ({job.name!r})",
                    )
                retained[kept] -= 1
        else:
            if self.retained:
                _fail(
                    "billing.retained",
                    "must be empty: an emulator built with retain_finished=false keeps totals "
                    "of closed intervals (billing.sums), not the intervals",
                )
            left = +training
            if left:
                row = next(iter(left))
                _fail(
                    "billing.training",
                    f"has an interval of {row[0]!r}, which holds no Available pool (with "
                    "retain_finished=false the ledger keeps the training intervals of those "
                    "jobs only)",
                )
            # A job's training is added to the totals as it ends, before its pool is kept: so
            # the totals a pool's interval is added to as it closes exist (each Available
            # pool's job holds its training intervals, checked above).
            for job, _, instance_type, _, role, *_ in self.training:
                if (instance_type, role) not in self.sums:
                    _fail(
                        "billing.sums",
                        f"has no totals of {instance_type} and {role}, yet the ledger holds an "
                        f"interval of {job!r}, whose training was added to them when it ended",
                    )

    def _read_events(self, entries: list[Any]) -> None:
        maxlen = (
            self.emu._events._records.maxlen
            if isinstance(self.emu._events._records, deque)
            else None
        )
        if maxlen is not None and len(entries) > maxlen:
            _fail(
                "events",
                f"holds {len(entries)} events, more than settings.event_log_maxlen ({maxlen})",
            )
        now = self.now
        last = -math.inf
        records = self.records
        for index, value in enumerate(entries):
            record = _plain_event(value, last, now) or _read_event(
                value, f"events[{index}]", last, now
            )
            last = record[1]
            records.append(record)

    # -- installing ---------------------------------------------------------------------------

    def install(self) -> None:
        emu = self.emu
        emu._start = (emu._clock.epoch, self.start)
        emu._seq = self.counters["jobs"]
        emu._training._clusters = self.counters["clusters"]
        emu._responder._requests = self.counters["requests"]
        tags = emu._tags
        for job, job_tags in zip(self.jobs, self.tags, strict=True):
            finished = job.state in _TERMINAL and job.pool != lc.AVAILABLE
            emu._jobs[job.name] = FinishedJob(job) if finished else job
            tags.record(job.name, tags._intern(job_tags) if job_tags else None)
        quotas = emu._quotas
        quotas._limits = dict(self.limits_by_type)
        quotas._use = {key: list(counts) for key, counts in self.use.items()}
        billing = emu._billing
        billing.prices = self.prices
        billing._retained.extend(self.retained)
        billing._open.update(self.open)
        if isinstance(billing, _TotalsLedger):
            for key, values in self.sums.items():
                billing._sums[key] = list(values)
            for row in self.training:
                billing._held[row[0]] = (*billing._held.get(row[0], ()), row)
        else:
            billing._training.extend(self.training)
        emu._events._records.extend(self.records)
        pools = emu._pools
        available = [job for job in self.jobs if job.pool == lc.AVAILABLE]
        for job in available:
            pools._available[job.seq] = job
        for job in sorted(available, key=lambda job: (job.available_at, job.seq)):
            pools._by_key.setdefault(job.spec.key, deque()).append(job)
        training = emu._training
        callbacks = {
            "start": training._start,
            "plan_end": training._plan_end,
            "max_runtime": training._max_runtime,
            "stop_done": training._stop_done,
            "expiry": pools._expiry,
        }
        clock = emu._clock
        for event in sorted(self.pending, key=lambda e: (e.at, _KINDS[e.kind], e.job.seq)):
            clock.schedule(
                event.at,
                callbacks[event.kind],
                event.job,
                priority=_KINDS[event.kind],
                order=event.job.seq,
            )


def _field_path(base: str, field: str) -> str:
    """A request member path (``ResourceConfig.InstanceType``, ``VpcConfig.Subnets[1]``) under
    ``base``."""
    return f"{base}.{field}" if field and not field.startswith("[") else f"{base}{field}"


def _object_with(value: Any, path: str, allowed: Sequence[str]) -> dict[str, Any]:
    """A JSON object whose members are among ``allowed``."""
    mapping = _map(value, path)
    for key in mapping:
        if key not in allowed:
            _fail(_member(path, key), f"is not one of {', '.join(allowed)}")
    return mapping


def _plain_row(value: Any, keys: tuple[str, ...], now: float) -> tuple[Any, ...] | None:
    """What ``_Reader._read_billing`` makes of a row of ``billing.retained`` (``keys`` is
    ``_RETAINED_KEYS``) or ``billing.training`` (``_TRAINING_KEYS``): its values in the order
    of ``keys``, for a row of plain types (every row of a document read from JSON) that passes
    every check, in a fraction of the time; ``None`` for any other row, which the long way then
    reads (or refuses, naming the first problem)."""
    if type(value) is not dict or len(value) != len(keys):
        return None
    try:
        row: tuple[Any, ...] = _ROW_GETTERS[keys](value)  # every key: the same members
    except KeyError:
        return None
    job, cluster, instance_type, count, role, start, end = row[:7]
    seconds = row[-1]
    if not (
        type(job) is str
        and type(instance_type) is str
        and type(count) is int
        and count >= 1
        and type(role) is str
        and (type(start) is int or type(start) is float)
        and (type(end) is int or type(end) is float)
        and 0 <= start <= end <= now  # now is finite: so are they
        and type(seconds) is int
    ):
        return None
    if keys is _RETAINED_KEYS:
        ended = row[7]
        plain = (
            type(cluster) is int
            and cluster >= 1
            and type(ended) is str
            and ended in RETAINED_ENDINGS
            and seconds == billable_seconds(end - start)
        )
    else:
        plain = (cluster is None or (type(cluster) is int and cluster >= 1)) and (
            seconds == training_seconds(end - start)
        )
    return row if plain else None


def _read_event(value: Any, path: str, last: float, now: float) -> tuple[Any, ...]:
    """The log record of the event ``value`` at ``path``, which follows an event at ``last``."""
    if not isinstance(value, Mapping):
        _fail(path, f"must be an object, not {_kind(value)}")
    if "type" not in value:
        _fail(f"{path}.type", "is missing")
    name = _str(value["type"], f"{path}.type")
    if name not in _EVENTS:
        _fail(f"{path}.type", f"must be one of {', '.join(_EVENTS)}, not {name!r}")
    code, fields, types = _EVENTS[name]
    event = _object(value, path, ("type", "time", "job", *fields))
    time = _number(event["time"], f"{path}.time")
    if time > now:
        _fail(f"{path}.time", f"{time} is after the clock's now ({now})")
    if time < last:
        _fail(f"{path}.time", f"{time} is before the event above it ({last})")
    record: list[Any] = [code, time, _str(event["job"], f"{path}.job")]
    for field, annotation in zip(fields, types, strict=True):
        record.append(_event_field(event[field], f"{path}.{field}", annotation))
    return tuple(record)


def _plain_event(value: Any, last: float, now: float) -> tuple[Any, ...] | None:
    """What :func:`_read_event` returns, for an event of plain types (every event a document
    read from JSON holds), in a fraction of the time; ``None`` for any other value, which
    ``_read_event`` then reads (or refuses)."""
    if type(value) is not dict:
        return None
    name = value.get("type")
    shape = _EVENT_SHAPES.get(name) if type(name) is str else None
    if shape is None:
        return None
    code, size, fields = shape
    if len(value) != size:
        return None
    try:  # it has as many members as it must, and has each of them: it has no other
        time = value["time"]
        kind = type(time)
        if not ((kind is int or kind is float) and time >= 0 and last <= time <= now):
            return None  # now is finite: so is a time up to it
        job = value["job"]
        if type(job) is not str:
            return None
        record = [code, time, job]
        for field, plain_types, counted in fields:
            item = value[field]
            if type(item) not in plain_types or (
                counted and item is not None and not 0 <= item <= _LARGEST
            ):
                return None
            record.append(item)
    except KeyError:
        return None
    return tuple(record)


def _event_field(value: Any, path: str, annotation: str) -> Any:
    optional = annotation.endswith(" | None")
    if optional and value is None:
        return None
    kind = annotation.removesuffix(" | None")
    if kind == "int":
        return _int(value, path)
    if kind == "float":
        return _number(value, path)
    if kind == "str":
        return _str(value, path)
    if kind == "bool":
        return _bool(value, path)
    raise AssertionError(f"an event field of type {annotation}")  # pragma: no cover
