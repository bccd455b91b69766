"""No crash on any input (issue 7): arbitrary values thrown at every operation and control.

Hypothesis draws sequences of calls on emulators that already hold jobs in every state
(:func:`tests.factories.jobs_in_every_state`, with tags, listing indexes, an IAM policy, a full
training quota or a subscriber, depending on the example) and checks, after every call:

1. Only :class:`~warmpool.errors.WarmPoolError` escapes an operation (behaviour §9, D35: every
   refusal is a ``WarmPoolError``), and only :class:`~warmpool.errors.ControlError` (with its
   subclass ``InvalidControlArgument``) escapes a control (D24); never a ``TypeError``,
   ``KeyError``, ``RecursionError``, ... from inside, nor an exception raised by the caller's
   own objects.
2. A refusal changes nothing (behaviour §9 "Bad input never changes state", D35): the fingerprint of
   everything observable (clock, job names, event log, billing rows and totals, quota usage,
   every job's describe and tags, warm pools, identity keys, ``next_event_time()``) is the same
   before and after; the refused request used no ``RequestId`` (D23: the fingerprint's own
   calls continue without a gap) and did not call the workload hook (D15, D25). The one
   documented trace of a refusal is the ``QuotaRefused`` event of a ``ResourceLimitExceeded``
   (behaviour §10).
3. An accepted call leaves the guarantees of behaviour §11 true: only the §6 moves in the log, a
   cluster held by one job, reuse between equal keys, no ``Available`` pool past its expiry, the
   §7 inequalities, billing that never shrinks; and its response conforms to botocore's output
   shape.

The values: recursive JSON (huge and edge integers, NaN, infinities, -0.0, long, unicode and
line-terminator strings, lone surrogates), tuples, sets, dicts with non-str keys, bytes,
datetimes (naive, aware, min, max, a ``tzinfo`` that raises), ``Decimal``, ``Fraction``,
subclasses of ``int``, ``float``, ``str``, ``dict``, ``list`` and ``Mapping`` whose methods
raise or lie, objects with a broken ``__eq__`` / ``__hash__`` / ``__str__`` / ``__repr__`` /
``__len__``, structures nested 1000+ deep and structures that contain themselves. Member dicts
mix each operation's real member names (botocore's model) with names such as ``self`` and
dunders; and valid requests get one nested value replaced, deleted or added at a random path.

The hostile objects misbehave only while armed (:func:`armed`: during the calls into warmpool),
so Hypothesis can print them when it reports a failure.

Beside the main property: a request whose values are subclasses, tuples and other mappings of
the same content is answered exactly as the plain request (D35); and through the wire, any
JSON body POSTed to any operation or control route of ``warmpool serve`` gets 200 or an
AWS-style 4xx, never a 500 (D32).

What the properties found is pinned by the regression tests at the end, all fixed. A crash found
later and not yet fixed can be parked in :data:`KNOWN_CRASHES` (the main property then stops an
example that meets it) with an ``xfail(strict=True)`` regression test; today it is empty.

CI runs a small budget (``HYPOTHESIS_PROFILE=ci``, derandomized; about 15 s). For a longer
local run, which runs every property of this module under the ``fuzz-long`` settings profile
(3000 examples each, new ones every run; a few minutes)::

    WARMPOOL_FUZZ=long pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import os
import sys
import traceback
from collections import ChainMap, OrderedDict, UserDict, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmpool
from tests.factories import (
    INSTANCE_TYPE,
    assert_pool_moves_legal,
    emulator,
    jobs_in_every_state,
    request,
)
from warmpool import JobPlan, Quota, Timing, WarmPoolEmulator
from warmpool.emulator import OPERATIONS, WarmPoolView
from warmpool.errors import (
    ControlError,
    ResourceLimitExceeded,
    ValidationException,
    WarmPoolError,
)
from warmpool.events import QuotaRefused
from warmpool.identity import IdentityKey
from warmpool.server import input_shape, make_server
from warmpool.validation import RequestValidator, load_model

# -- budget -----------------------------------------------------------------------------------

settings.register_profile(
    "fuzz-long",
    max_examples=3000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LONG: Final = os.environ.get("WARMPOOL_FUZZ") == "long"


def budget(examples: int) -> settings:
    """``examples`` under the loaded profile (CI's, derandomized), or the ``fuzz-long``
    profile when ``WARMPOOL_FUZZ=long``."""
    if LONG:
        return settings(settings.get_profile("fuzz-long"))
    return settings(
        max_examples=examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# =============================================================================================
# Hostile values
# =============================================================================================

_ARMED = [False]


@contextlib.contextmanager
def armed() -> Iterator[None]:
    """Let the hostile objects misbehave (while warmpool is being called)."""
    _ARMED[0] = True
    try:
        yield
    finally:
        _ARMED[0] = False


class HostileError(Exception):
    """Raised by a hostile object: the caller's own exception, which must not escape warmpool
    as such (D35)."""


def _trip(what: str) -> None:
    if _ARMED[0]:
        raise HostileError(what)


class Hostile:
    """An object whose dunders named in ``broken`` raise while armed; otherwise it compares by
    identity, hashes to 7, has length 3 and iterates as empty."""

    __slots__ = ("broken",)

    def __init__(self, broken: frozenset[str]) -> None:
        self.broken = broken

    def _check(self, name: str) -> None:
        if name in self.broken:
            _trip(f"Hostile.{name}")

    def __repr__(self) -> str:
        self._check("__repr__")
        return f"Hostile({sorted(self.broken)})"

    def __str__(self) -> str:
        self._check("__str__")
        return "hostile"

    def __format__(self, spec: str) -> str:
        self._check("__format__")
        return "hostile"

    def __eq__(self, other: object) -> bool:
        self._check("__eq__")
        return self is other

    def __ne__(self, other: object) -> bool:
        self._check("__eq__")
        return self is not other

    def __lt__(self, other: object) -> bool:
        self._check("__lt__")
        return False

    def __hash__(self) -> int:
        self._check("__hash__")
        return 7

    def __len__(self) -> int:
        self._check("__len__")
        return 3

    def __bool__(self) -> bool:
        self._check("__bool__")
        return True

    def __iter__(self) -> Iterator[Any]:
        self._check("__iter__")
        return iter(())

    def __index__(self) -> int:
        self._check("__index__")
        return 1


HOSTILE_DUNDERS: Final = (
    "__repr__",
    "__str__",
    "__format__",
    "__eq__",
    "__lt__",
    "__hash__",
    "__len__",
    "__bool__",
    "__iter__",
    "__index__",
)


def _hostile_subclass(base: type, name: str, methods: Sequence[str]) -> type:
    """A subclass of ``base`` whose ``methods`` raise while armed (else behave as ``base``'s)."""

    def wrap(method_name: str) -> Callable[..., Any]:
        original = getattr(base, method_name)

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            _trip(f"{name}.{method_name}")
            return original(self, *args, **kwargs)

        method.__name__ = method_name
        return method

    namespace: dict[str, Any] = {m: wrap(m) for m in methods}
    if "__hash__" not in methods:  # defining __eq__ alone would make instances unhashable
        namespace["__hash__"] = base.__hash__
    base_repr: Callable[[Any], str] = vars(base)["__repr__"]

    def represent(self: Any) -> str:  # what Hypothesis prints (disarmed): what it is
        _trip(f"{name}.__repr__")
        return f"{name}({base_repr(self)})"

    namespace["__repr__"] = represent
    return type(name, (base,), namespace)


_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__")
HostileStr: Final = _hostile_subclass(
    str,
    "HostileStr",
    (
        *_COMPARISONS,
        "__str__",
        "__format__",
        "__len__",
        "__getitem__",
        "__iter__",
        "__contains__",
        "__add__",
        "__mod__",
        "__mul__",
        "lower",
        "upper",
        "casefold",
        "strip",
        "split",
        "partition",
        "startswith",
        "endswith",
        "find",
        "replace",
        "encode",
        "translate",
        "isidentifier",
        "isascii",
        "isdigit",
        "isalnum",
        "join",
    ),
)
#: A ``str`` subclass for the keyword names of a call: hashing it must work, since Python
#: hashes keyword names to make the call (before warmpool runs); everything else trips.
HostileKey: Final = _hostile_subclass(
    str,
    "HostileKey",
    tuple(
        m
        for m in (
            "__eq__",
            "__ne__",
            "__lt__",
            "__str__",
            "__format__",
            "__len__",
            "__getitem__",
            "__iter__",
            "__contains__",
            "__add__",
            "lower",
            "startswith",
            "split",
            "partition",
            "encode",
            "isidentifier",
        )
    ),
)
_NUMBER_METHODS = (
    *_COMPARISONS,
    "__str__",
    "__format__",
    "__bool__",
    "__int__",
    "__float__",
    "__index__",
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__neg__",
    "__abs__",
    "__round__",
)
HostileInt: Final = _hostile_subclass(int, "HostileInt", _NUMBER_METHODS)
HostileFloat: Final = _hostile_subclass(
    float, "HostileFloat", tuple(m for m in _NUMBER_METHODS if m != "__index__")
)
_CONTAINER_METHODS = ("__iter__", "__len__", "__getitem__", "__contains__", "__eq__")
HostileDict: Final = _hostile_subclass(
    dict, "HostileDict", (*_CONTAINER_METHODS, "items", "keys", "values", "get", "copy")
)
HostileList: Final = _hostile_subclass(
    list, "HostileList", (*_CONTAINER_METHODS, "__reversed__", "index", "count", "copy")
)
HostileTuple: Final = _hostile_subclass(
    tuple, "HostileTuple", (*_CONTAINER_METHODS, "index", "count")
)


class Count(enum.IntEnum):
    """An ``IntEnum`` count, as callers write them."""

    ONE = 1
    INT_MAX = 2**31 - 1
    LONG_EDGE = 2**63


class BoolLike(int):
    """An int that passes itself off as a bool."""

    def __repr__(self) -> str:
        return "True" if int(self) else "False"

    __str__ = __repr__


class Verbose(str):
    """A str subclass that says something else of itself."""

    def __str__(self) -> str:
        return "not-what-i-am"

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


class _MappingBase(Mapping[Any, Any]):
    def __init__(self, data: Mapping[Any, Any]) -> None:
        self._data = dict(data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class RaisingIterMapping(_MappingBase):
    """A Mapping that raises on iteration."""

    def __iter__(self) -> Iterator[Any]:
        _trip("RaisingIterMapping.__iter__")
        return iter(self._data)


class RaisingGetitemMapping(_MappingBase):
    """A Mapping whose ``__getitem__`` raises."""

    def __getitem__(self, key: Any) -> Any:
        _trip("RaisingGetitemMapping.__getitem__")
        return self._data[key]


class LyingLenMapping(_MappingBase):
    """A Mapping whose ``__len__`` lies (0, one more, -1 or more than a ``Py_ssize_t``)."""

    def __init__(self, data: Mapping[Any, Any], claimed: int) -> None:
        super().__init__(data)
        self.claimed = claimed

    def __repr__(self) -> str:
        return f"LyingLenMapping({self._data!r}, claimed={self.claimed})"

    def __len__(self) -> int:
        if _ARMED[0]:
            return self.claimed
        return len(self._data)


class LyingLenList(list[Any]):
    """A list whose ``__len__`` lies."""

    claimed = 10**6

    def __len__(self) -> int:
        return self.claimed if _ARMED[0] else list.__len__(self)


class RaisingTZ(tzinfo):
    """A tzinfo whose every answer raises while armed."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        _trip("RaisingTZ.utcoffset")
        return timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        _trip("RaisingTZ.dst")
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        _trip("RaisingTZ.tzname")
        return "RAISING"

    def __repr__(self) -> str:
        return "RaisingTZ()"


class WrongTZ(tzinfo):
    """A tzinfo whose ``utcoffset`` is not a timedelta."""

    def utcoffset(self, dt: datetime | None) -> Any:
        return "one hour"

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "WRONG"

    def __repr__(self) -> str:
        return "WrongTZ()"


HostileDatetime: Final = _hostile_subclass(
    datetime,
    "HostileDatetime",
    (
        "__sub__",
        "__rsub__",
        "__add__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__eq__",
        "__hash__",
        "astimezone",
        "utcoffset",
        "timestamp",
        "isoformat",
        "replace",
    ),
)


@dataclass(frozen=True)
class Deep:
    """A structure nested ``depth`` levels deep, built only when used (:func:`realize`)."""

    depth: int
    kind: str  # list | tuple | dict | member | mixed | mapping

    def build(self) -> Any:
        value: Any = "leaf"
        for level in range(self.depth):
            if self.kind == "list":
                value = [value]
            elif self.kind == "tuple":
                value = (value,)
            elif self.kind == "dict":
                value = {"k": value}
            elif self.kind == "member":
                value = {"TrainingJobName": value}
            elif self.kind == "mapping":
                value = MappingProxyType({"Key": value})
            else:
                value = [value] if level % 2 else {"Value": value}
        return value


@dataclass(frozen=True)
class Huge:
    """An int with more digits than ``str()`` prints (``ValueError`` in Python >= 3.11),
    built only when used (Hypothesis could not print it)."""

    sign: int

    def build(self) -> int:
        return self.sign * 10**5000


@dataclass(frozen=True)
class Long:
    """A string of ``size`` characters, built only when used (Hypothesis would print it)."""

    size: int
    char: str = "x"

    def build(self) -> str:
        return self.char * self.size


@dataclass(frozen=True)
class Cycle:
    """A list or dict that contains itself, built only when used."""

    kind: str

    def build(self) -> Any:
        if self.kind == "list":
            items: list[Any] = ["x"]
            items.append(items)
            return items
        members: dict[str, Any] = {"Key": "k"}
        members["Value"] = members
        return members


def realize(value: Any) -> Any:
    """``value`` with every :class:`Deep`, :class:`Cycle`, :class:`Huge` and :class:`Long`
    built (inside plain containers only)."""
    if isinstance(value, (Deep, Cycle, Huge, Long)):
        return value.build()
    kind = type(value)
    if kind is dict:
        return {key: realize(item) for key, item in value.items()}
    if kind is list:
        return [realize(item) for item in value]
    if kind is tuple:
        return tuple(realize(item) for item in value)
    return value


# =============================================================================================
# Strategies
# =============================================================================================

MODEL: Final = load_model()
JOB_NAMES: Final = (
    "starting",
    "kept",
    "stopped",
    "failed",
    "broken",
    "ended",
    "training-cold",
    "reuser",
)
ARN_PREFIX: Final = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"


def member_names(operation: str) -> list[str]:
    """The top-level input members of ``operation`` in botocore's model."""
    return list(MODEL["shapes"][input_shape(operation)]["members"])


#: Every member name of every shape, for nested dicts.
ALL_MEMBER_NAMES: Final = sorted(
    {name for shape in MODEL["shapes"].values() for name in shape.get("members", {})}
)
ODD_NAMES: Final = (
    "self",
    "request",
    "operation",
    "op",
    "kwargs",
    "name",
    "__class__",
    "__dict__",
    "__init__",
    "__len__",
    "__getitem__",
    "",
    " ",
    "TrainingJobName ",
    "trainingJobName",
    "ResponseMetadata",
    "\ud800",
    "\u2028",
)

EDGE_INTS: Final = (
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**20,
    2**1000,
    86400,
    28 * 86400 + 1,
    3600,
    3601,
    21600,
    21601,
)
EDGE_FLOATS: Final = (
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0.0,
    1e308,
    -1e308,
    5e-324,
    0.1,
    1800.0,
    1e16,
    253402300799.0,
    253402300800.0,
)
EDGE_TEXTS: Final = (
    "",
    " ",
    "ñandú-€-😀",
    "a\nb",
    "\r",
    "\x85",
    "\u2028",
    "\u2029",
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\x00",
    "aws:reserved",
    "AWS:x",
    "kept",
    "Kept",
    "deleted",
    ARN_PREFIX + "kept",
    ARN_PREFIX + "\ud800",
    "arn:aws:sagemaker:eu-west-1:123456789012:training-job/kept",
    "2026-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00-23:59",
    "2026-13-45",
    "NaN",
    "Infinity",
    "1e400",
    INSTANCE_TYPE,
    "ml.c5.xlarge",
    "Completed",
    "Available",
    "AlgorithmError",
    "CreationTime",
)

json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGE_INTS),
    st.integers(),
    st.sampled_from(EDGE_FLOATS),
    st.floats(),
    st.sampled_from(EDGE_TEXTS),
    st.text(max_size=30),
    st.sampled_from(JOB_NAMES),
    st.builds(Long, st.sampled_from((63, 64, 1024, 2049, 100_000)), st.sampled_from("xé\u2028")),
)

UTC: Final = timezone.utc
DATETIMES: Final = (
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1),
    datetime.min,
    datetime.max,
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
    datetime(2026, 1, 1, tzinfo=RaisingTZ()),
    datetime(2026, 1, 1, tzinfo=WrongTZ()),
    HostileDatetime(2026, 1, 1, 0, 5, tzinfo=UTC),
    HostileDatetime(2026, 1, 1, 0, 5),
)


def _hostile_number(value: float) -> Any:
    return HostileFloat(value) if isinstance(value, float) else HostileInt(value)


odd_scalars: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        (
            b"",
            b"\xff\xfe",
            bytearray(b"kept"),
            *DATETIMES,
            date(2026, 1, 1),
            time(1, 2),
            timedelta(seconds=5),
            Decimal("1"),
            Decimal("1800"),
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("-Infinity"),
            Decimal("1e400000"),
            Fraction(1, 3),
            Fraction(10**400, 3),
            complex(1, 1),
            Ellipsis,
            NotImplemented,
            int,
            range(3),
            frozenset({"a"}),
            Count.ONE,
            Count.INT_MAX,
            Count.LONG_EDGE,
            BoolLike(0),
            BoolLike(1),
            Verbose("kept"),
            Verbose("ml.m5.xlarge"),
        )
    ),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.builds(Hostile, st.frozensets(st.sampled_from(HOSTILE_DUNDERS), min_size=1)),
    st.builds(HostileStr, st.sampled_from(JOB_NAMES) | st.sampled_from(EDGE_TEXTS[:12])),
    st.builds(_hostile_number, st.sampled_from((0, 1, 60, 1800, 2**31, 0.5, math.nan, 1e308))),
    st.builds(
        Deep,
        st.sampled_from((1000, 1100, 3000, 100_000)),
        st.sampled_from(("list", "tuple", "dict", "member", "mixed", "mapping")),
    ),
    st.builds(Cycle, st.sampled_from(("list", "dict"))),
    st.builds(Huge, st.sampled_from((1, -1))),
)

leaves: st.SearchStrategy[Any] = json_scalars | odd_scalars

#: Keys for dicts that a str-keyed structure would not have.
hashable_keys: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(ALL_MEMBER_NAMES),
    st.sampled_from(ODD_NAMES),
    st.text(max_size=10),
    st.integers(),
    st.none(),
    st.booleans(),
    st.sampled_from((1.5, math.nan, b"Key", (1, 2), frozenset({"Key"}), Count.ONE)),
    st.builds(HostileStr, st.sampled_from(ALL_MEMBER_NAMES)),
    st.builds(HostileInt, st.integers(0, 3)),
    st.builds(Hostile, st.frozensets(st.sampled_from(("__eq__", "__hash__", "__repr__")))),
)
set_items: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=10), st.integers(), st.sampled_from(("sg-1", "subnet-1", b"x", None))
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    str_dicts = st.dictionaries(
        st.sampled_from(ALL_MEMBER_NAMES) | st.text(max_size=10), children, max_size=4
    )
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        str_dicts,
        st.dictionaries(hashable_keys, children, max_size=3),
        st.sets(set_items, max_size=3),
        st.frozensets(set_items, max_size=3),
        str_dicts.map(HostileDict),
        st.lists(children, max_size=3).map(HostileList),
        st.lists(children, max_size=3).map(HostileTuple),
        st.lists(children, max_size=3).map(LyingLenList),
        str_dicts.map(RaisingIterMapping),
        str_dicts.map(RaisingGetitemMapping),
        st.builds(LyingLenMapping, str_dicts, st.sampled_from((0, 1, 100, -1, 2**64))),
        str_dicts.map(MappingProxyType),
        str_dicts.map(OrderedDict),
        str_dicts.map(UserDict),
        str_dicts.map(lambda d: defaultdict(list, d)),
        str_dicts.map(lambda d: ChainMap(d, {"Extra": 1})),
    )


#: Any value at all (JSON-like, odd types, hostile objects, deep and cyclic structures).
anything: st.SearchStrategy[Any] = st.recursive(leaves, _containers, max_leaves=8)

#: Only what JSON can carry (for the wire).
json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(EDGE_INTS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(EDGE_TEXTS),
        st.text(max_size=20),
        st.sampled_from(JOB_NAMES),
        st.builds(Long, st.sampled_from((64, 2049, 100_000))),
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(ALL_MEMBER_NAMES) | st.text(max_size=8), children, max_size=4
        )
    ),
    max_leaves=8,
)


# -- valid requests, to mutate ----------------------------------------------------------------

_NOW_UTC: Final = datetime(2026, 1, 1, tzinfo=UTC)
_RICH_CREATE: Final = request(
    "rich-job",
    keep_alive=600,
    HyperParameters={"epochs": "3", "lr": "0.1"},
    Tags=[{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": ""}],
    VpcConfig={"SecurityGroupIds": ["sg-1", "sg-2"], "Subnets": ["subnet-1"]},
    InputDataConfig=[
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://bucket/train",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ContentType": "text/csv",
        }
    ],
    CheckpointConfig={"S3Uri": "s3://bucket/checkpoints"},
    Environment={"MODE": "fast"},
    EnableNetworkIsolation=False,
    EnableInterContainerTrafficEncryption=False,
    ProfilerConfig={"S3OutputPath": "s3://bucket/profiler", "ProfilingIntervalInMilliseconds": 500},
    ProfilerRuleConfigurations=[
        {
            "RuleConfigurationName": "rule-1",
            "RuleEvaluatorImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/rules:1",
            "RuleParameters": {"threshold": "0.5"},
        }
    ],
    RemoteDebugConfig={"EnableRemoteDebug": True},
    RetryStrategy={"MaximumRetryAttempts": 2},
)
_GROUPS_CREATE: Final = request(
    "groups-job",
    keep_alive=None,
    ResourceConfig={
        "InstanceGroups": [
            {"InstanceGroupName": "g-1", "InstanceType": INSTANCE_TYPE, "InstanceCount": 1},
            {"InstanceGroupName": "g-2", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
        ],
        "VolumeSizeInGB": 50,
    },
)

#: Valid requests per operation (some are refused for the state they meet, not their shape).
VALID: Final[Mapping[str, Sequence[dict[str, Any]]]] = {
    "CreateTrainingJob": (
        request("new-job"),
        _RICH_CREATE,
        _GROUPS_CREATE,
        request("deleted", keep_alive=3600),  # a name used before; denied by the policy
        request("kept"),  # ResourceInUse
        request("other-type", instance_type="ml.c5.xlarge", instance_count=2),
        request(
            "spot",
            keep_alive=0,
            EnableManagedSpotTraining=True,
            StoppingCondition={"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
        ),
    ),
    "DescribeTrainingJob": tuple({"TrainingJobName": n} for n in (*JOB_NAMES, "deleted")),
    "UpdateTrainingJob": (
        {"TrainingJobName": "kept", "ResourceConfig": {"KeepAlivePeriodInSeconds": 60}},
        {"TrainingJobName": "failed", "ResourceConfig": {"KeepAlivePeriodInSeconds": 0}},
        {
            "TrainingJobName": "training-cold",
            "ProfilerConfig": {
                "S3OutputPath": "s3://bucket/p",
                "ProfilingIntervalInMilliseconds": 1000,
                "ProfilingParameters": {"DataloaderProfilingConfig": "{}"},
                "DisableProfiler": False,
            },
        },
        {
            "TrainingJobName": "training-cold",
            "ProfilerRuleConfigurations": [
                {
                    "RuleConfigurationName": "r-1",
                    "RuleEvaluatorImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1",
                    "RuleParameters": {"k": "v"},
                }
            ],
        },
        {"TrainingJobName": "training-cold", "RemoteDebugConfig": {"EnableRemoteDebug": False}},
    ),
    "StopTrainingJob": ({"TrainingJobName": "training-cold"}, {"TrainingJobName": "starting"}),
    "DeleteTrainingJob": ({"TrainingJobName": "broken"}, {"TrainingJobName": "stopped"}),
    "ListTrainingJobs": (
        {},
        {
            "NameContains": "e",
            "StatusEquals": "InProgress",
            "WarmPoolStatusEquals": "InUse",
            "SortBy": "Status",
            "SortOrder": "Descending",
            "MaxResults": 2,
            "CreationTimeAfter": _NOW_UTC - timedelta(days=1),
            "CreationTimeBefore": _NOW_UTC + timedelta(days=1),
            "LastModifiedTimeAfter": "2025-12-31T00:00:00Z",
            "LastModifiedTimeBefore": 1767312000,
        },
        {
            "SortBy": "Name",
            "MaxResults": 1,
            "NextToken": "WyJOYW1lIiwiQXNjZW5kaW5nIixbImJyb2tlbiJdXQ==",
        },
    ),
    "AddTags": (
        {
            "ResourceArn": ARN_PREFIX + "kept",
            "Tags": [{"Key": "k", "Value": "v"}, {"Key": "k-2", "Value": ""}],
        },
    ),
    "ListTags": ({"ResourceArn": ARN_PREFIX + "reuser", "MaxResults": 50},),
    "DeleteTags": ({"ResourceArn": ARN_PREFIX + "failed", "TagKeys": ["team", "absent"]},),
}

Path = tuple[Any, ...]


def paths(value: Any, here: Path = ()) -> list[Path]:
    """Every path into a plain JSON-like value, the root's children first."""
    found: list[Path] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*here, key))
            found.extend(paths(item, (*here, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*here, index))
            found.extend(paths(item, (*here, index)))
    return found


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def mutate(base: Mapping[str, Any], path: Path, how: str, value: Any) -> dict[str, Any]:
    """A copy of ``base`` with the node at ``path`` replaced by ``value`` (``how="replace"``),
    removed (``"delete"``), given an extra member (``"add"``, ``value`` is ``(key, item)``) or
    its key made a ``HostileStr`` (``"hostile-key"``)."""
    copy: dict[str, Any] = _copy(base)
    top = parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif how == "add":
        target = parent[last]
        if isinstance(target, dict):
            key, item = value
            target[key] = item
        elif isinstance(target, list):
            target.append(value[1])
        else:
            parent[last] = value[1]
    elif how == "hostile-key" and isinstance(parent, dict) and isinstance(last, str):
        hostile = HostileKey if parent is top else HostileStr
        parent[hostile(last)] = parent.pop(last)
    return copy


# -- calls --------------------------------------------------------------------------------------

#: Controls and how many positional arguments each takes (D24).
CONTROL_ARITY: Final[Mapping[str, tuple[int, ...]]] = {
    "advance": (1,),
    "run_until": (1,),
    "complete_training_job": (1,),
    "fail_training_job": (1, 2, 3),
    "apply_patch_update": (0, 1),
    "warm_pool": (1,),
    "identity_key": (1,),
    "next_event_time": (0,),
    "job_names": (0,),
}


@dataclass
class Call:
    """One call: an operation (``kind="operation"``, by AWS name) or a control."""

    kind: str
    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[Any, Any] = field(default_factory=dict)

    def method(self) -> str:
        return OPERATIONS[self.name] if self.kind == "operation" else self.name


member_keys: Callable[[str], st.SearchStrategy[Any]] = lambda operation: st.one_of(  # noqa: E731
    st.sampled_from(member_names(operation)),
    st.sampled_from(member_names(operation)).map(HostileKey),
    st.sampled_from(ODD_NAMES),
    st.text(max_size=12),
)


@st.composite
def arbitrary_operation(draw: st.DrawFn) -> Call:
    """An operation with members of real and odd names, and any values."""
    operation = draw(st.sampled_from(list(OPERATIONS)))
    members = draw(st.dictionaries(member_keys(operation), anything, max_size=5))
    return Call("operation", operation, kwargs=members)


@st.composite
def mutated_operation(draw: st.DrawFn) -> Call:
    """A valid request with one value replaced, removed or added at a random path."""
    operation = draw(st.sampled_from(list(OPERATIONS)))
    base = draw(st.sampled_from(VALID[operation]))
    found = paths(base)
    if not found:
        return Call(
            "operation",
            operation,
            kwargs=draw(st.dictionaries(member_keys(operation), anything, min_size=1, max_size=2)),
        )
    path = draw(st.sampled_from(found))
    how = draw(st.sampled_from(("replace", "replace", "replace", "delete", "add", "hostile-key")))
    value: Any = None
    if how == "replace":
        value = draw(anything)
    elif how == "add":
        value = (draw(hashable_keys), draw(anything))
    return Call("operation", operation, kwargs=mutate(base, path, how, value))


@st.composite
def valid_operation(draw: st.DrawFn) -> Call:
    """A valid request (it changes state, so later calls meet more states)."""
    operation = draw(st.sampled_from(list(OPERATIONS)))
    return Call("operation", operation, kwargs=_copy(draw(st.sampled_from(VALID[operation]))))


names_or_anything: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from((*JOB_NAMES, "deleted", "missing")),
    st.sampled_from(JOB_NAMES).map(HostileStr),
    st.sampled_from(JOB_NAMES).map(Verbose),
    anything,
)
seconds_or_anything: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from((0, 1, 20, 180, 600, 5000, 0.5, 10**6)),
    st.floats(min_value=0, max_value=1e5),
    st.sampled_from(DATETIMES),
    st.builds(_hostile_number, st.sampled_from((0, 10, 200, 0.5))),
    st.sampled_from(EDGE_INTS + EDGE_FLOATS),
    anything,
)
failure_classes: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(("AlgorithmError", "ClientError", "InternalServerError", "x" * 1100)),
    st.sampled_from(("AlgorithmError", "ClientError")).map(HostileStr),
    anything,
)
messages: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(("", "exit code 1", "x" * 1100)),
    st.sampled_from(("", "boom")).map(HostileStr),
    anything,
)
instance_types: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from((INSTANCE_TYPE, "ml.c5.xlarge", None)),
    st.just(INSTANCE_TYPE).map(HostileStr),
    anything,
)


@st.composite
def control_call(draw: st.DrawFn) -> Call:
    """A control with the right number of arguments, each anything or something close to
    what the control takes."""
    name = draw(st.sampled_from(list(CONTROL_ARITY)))
    arity = draw(st.sampled_from(CONTROL_ARITY[name]))
    if name in ("advance", "run_until"):
        return Call("control", name, (draw(seconds_or_anything),))
    if name == "fail_training_job":
        args = (draw(names_or_anything), draw(failure_classes), draw(messages))[:arity]
        if arity == 1 and draw(st.booleans()):
            return Call("control", name, args, {"message": draw(messages)})
        return Call("control", name, args)
    if name == "apply_patch_update":
        return Call("control", name, (draw(instance_types),)[:arity])
    if arity == 0:
        return Call("control", name)
    return Call("control", name, (draw(names_or_anything),))


calls: st.SearchStrategy[Call] = st.one_of(
    arbitrary_operation(), mutated_operation(), valid_operation(), control_call()
)


# =============================================================================================
# The world, its fingerprint and the guarantees
# =============================================================================================

KEY: Final = "sagemaker:KeepAlivePeriod"
VARIANTS: Final = ("plain", "listed-tagged-subscribed", "policy", "training-quota-full")


@dataclass
class World:
    emu: WarmPoolEmulator
    hook_calls: list[int]  # how many times the workload hook was called
    delivered: list[Any]  # the events a subscriber received ...
    subscribed_at: int | None  # ... since the log held this many (None: no subscriber)


def build_world(variant: str) -> World:
    """An emulator holding jobs in every state (behaviour §5, §6), in one of :data:`VARIANTS`."""
    hook_calls = [0]
    plan = JobPlan(training_seconds=500)

    def hook(_request: Mapping[str, Any]) -> JobPlan | None:
        hook_calls[0] += 1
        return plan

    kwargs: dict[str, Any] = {}
    if variant == "policy":
        kwargs["keep_alive_policy"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sagemaker:CreateTrainingJob",
                    "Resource": "*",
                    "Condition": {"NumericLessThanEqualsIfExists": {KEY: "1800"}},
                }
            ],
        }
    emu = emulator(
        training_seconds=None,
        workload=hook,
        timing=Timing(stopping_seconds=30),
        quotas={INSTANCE_TYPE: Quota(warm_pool=10), "ml.c5.xlarge": Quota(warm_pool=2)},
        **kwargs,
    )
    jobs_in_every_state(emu)
    delivered: list[Any] = []
    subscribed_at = None
    if variant == "listed-tagged-subscribed":
        emu.list_training_jobs(SortBy="Status")  # the listing's indexes now exist (D36)
        for name in ("kept", "failed", "training-cold"):
            emu.add_tags(ResourceArn=ARN_PREFIX + name, Tags=[{"Key": "team", "Value": name}])
        subscribed_at = len(emu.events)
        emu.events.subscribe(delivered.append)
    if variant == "training-quota-full":
        usage = emu.quotas.usage(INSTANCE_TYPE)
        emu.quotas[INSTANCE_TYPE] = Quota(training=usage.used, warm_pool=10)
    return World(emu, hook_calls, delivered, subscribed_at)


def request_number(response: Mapping[str, Any]) -> int:
    """The number a ``RequestId`` counts (D23)."""
    return int(str(response["ResponseMetadata"]["RequestId"]).replace("-", ""), 16)


@dataclass
class Fingerprint:
    state: dict[str, Any]
    first_request: int
    last_request: int


def fingerprint(emu: WarmPoolEmulator) -> Fingerprint:
    """Everything observable of an emulator (behaviour §9: what bad input must not change)."""
    numbers: list[int] = []
    names = emu.job_names()
    describes: dict[str, Any] = {}
    tags: dict[str, Any] = {}
    for name in names:
        described = emu.describe_training_job(TrainingJobName=name)
        numbers.append(request_number(described))
        del described["ResponseMetadata"]
        describes[name] = described
    for name in names:
        listed = emu.list_tags(ResourceArn=ARN_PREFIX + name)
        numbers.append(request_number(listed))
        del listed["ResponseMetadata"]
        tags[name] = listed
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    state = {
        "now": emu.now,
        "names": names,
        "events": list(emu.events),
        "retained": list(emu.billing.retained),
        "training": list(emu.billing.training),
        "open": emu.billing.open_retained(),
        "totals": emu.billing.total(include_open=True),
        "usages": emu.quotas.usages(),
        "describes": describes,
        "tags": tags,
        "pools": {name: emu.warm_pool(name) for name in names},
        "keys": {name: emu.identity_key(name) for name in names},
        "next_event_time": emu.next_event_time(),
    }
    return Fingerprint(state, numbers[0], numbers[-1])


OUTPUTS: Final = RequestValidator()


def check_guarantees(before: Fingerprint, after: Fingerprint) -> None:
    """behaviour §11 after an accepted call, from the public API."""
    state = after.state
    # The clock never moves backwards (§4); billing never shrinks (§8, D27).
    assert state["now"] >= before.state["now"]
    old, new = before.state["totals"], state["totals"]
    for part in ("retained_seconds", "retained_instance_seconds", "training_seconds"):
        assert getattr(new, part) >= getattr(old, part), (part, old, new)
    # The event log only grows, and only the moves of §6 appear in it.
    assert state["events"][: len(before.state["events"])] == before.state["events"]
    assert_pool_moves_legal(state["events"])  # behaviour §6
    # A cluster is InUse or Available for at most one job; no Available pool past its expiry.
    holders: dict[int, str] = {}
    views: dict[str, WarmPoolView | None] = state["pools"]
    for name, view in views.items():
        if view is None:
            continue
        if view.status in ("InUse", "Available") and view.cluster is not None:
            assert view.cluster not in holders, (view.cluster, holders[view.cluster], name)
            holders[view.cluster] = name
        if view.status == "Available":
            assert view.expires_at is not None and view.expires_at > state["now"], view
    # A reused cluster serves a job of an equal identity key (§3, §6).
    for name, view in views.items():
        if view is None or view.status != "Reused" or view.reused_by not in views:
            continue
        taker = views[view.reused_by]
        if taker is not None and taker.cluster == view.cluster:
            assert state["keys"][name] == state["keys"][view.reused_by], (name, view.reused_by)
    # The quota inequalities of §7 (the quota-full variant lowered a limit to exactly the use).
    for usage in state["usages"].values():
        assert usage.retained <= usage.quota.warm_pool, usage
        if usage.quota.training is not None:
            assert usage.used <= usage.quota.training, usage
    # Every job's describe conforms to botocore's output shape (§9).
    for name, described in state["describes"].items():
        assert OUTPUTS.check_output("DescribeTrainingJob", described) == [], name


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in before if before[key] != after[key]]


# =============================================================================================
# The property
# =============================================================================================

#: Crashes found and not yet fixed, by where they escape: (exception type, warmpool module,
#: function). None today; see the module's docstring.
KNOWN_CRASHES: Final[frozenset[tuple[str, str, str]]] = frozenset()


_PACKAGE: Final = os.path.dirname(os.path.abspath(warmpool.__file__)) + os.sep


def escape_site(error: BaseException) -> tuple[str, str, str]:
    """Where an exception escaped warmpool: its type and the innermost warmpool frame."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(_PACKAGE)
    ]
    if not frames:
        return (type(error).__name__, "", "")
    return (type(error).__name__, os.path.basename(frames[-1].filename), frames[-1].name)


def perform(world: World, call: Call, *, tolerate_known: bool = True) -> tuple[str, Any]:
    """Make ``call`` with the hostile objects armed: ``("ok", result)``, ``("refused",
    error)`` for the errors allowed to escape, or ``("known", site)`` for a crash of
    :data:`KNOWN_CRASHES` (if tolerated); anything else propagates (the test fails)."""
    method = getattr(world.emu, call.method())
    args = tuple(realize(arg) for arg in call.args)
    kwargs = {key: realize(value) for key, value in call.kwargs.items()}
    allowed: type[Exception] = WarmPoolError if call.kind == "operation" else ControlError
    try:
        with armed():
            result = method(*args, **kwargs)
    except allowed as error:
        return "refused", error
    except Exception as error:
        if tolerate_known and escape_site(error) in KNOWN_CRASHES:
            return "known", escape_site(error)
        raise
    return "ok", result


def check_call(world: World, call: Call, *, tolerate_known: bool = True) -> bool:
    """Make one call and check all three promises of this module; ``False`` if the call met a
    known crash (the emulator may be inconsistent: the example stops there)."""
    emu = world.emu
    with armed():
        before = fingerprint(emu)
    hooks = world.hook_calls[0]
    outcome, result = perform(world, call, tolerate_known=tolerate_known)
    if outcome == "known":
        return False
    with armed():
        after = fingerprint(emu)
    if world.subscribed_at is not None:  # D26: a subscriber gets every event, in log order
        assert world.delivered == after.state["events"][world.subscribed_at :]
    if outcome == "refused":
        error = result
        if call.kind == "operation":
            # AWS-shaped: a code, a message, and a str() that works (behaviour §9).
            assert isinstance(error.code, str) and isinstance(error.message, str)
            assert str(error)
            if isinstance(error, ValidationException):
                assert error.field is None or isinstance(error.field, str)
        else:
            assert str(error)
        assert after.first_request == before.last_request + 1, "a refusal used a RequestId"
        assert world.hook_calls[0] == hooks, "a refusal called the workload hook"
        expected = dict(before.state)
        if isinstance(error, ResourceLimitExceeded):
            # behaviour §10: the one trace a refusal leaves is its QuotaRefused event.
            added = after.state["events"][len(before.state["events"]) :]
            assert [type(event) for event in added] == [QuotaRefused], added
            expected["events"] = after.state["events"]
        assert not _differences(expected, after.state), _differences(expected, after.state)
        return True
    # Accepted.
    if call.kind == "operation":
        assert request_number(result) == before.last_request + 1
        assert after.first_request == before.last_request + 2
        body = {k: v for k, v in result.items() if k != "ResponseMetadata"}
        assert OUTPUTS.check_output(call.name, body) == [], call.name
        expected_hooks = hooks + (call.name == "CreateTrainingJob")
        assert world.hook_calls[0] == expected_hooks
    else:
        assert after.first_request == before.last_request + 1, "a control used a RequestId"
        assert world.hook_calls[0] == hooks
        _check_control_result(call, result)
    check_guarantees(before, after)
    return True


def _check_control_result(call: Call, result: Any) -> None:
    if call.name in ("advance", "run_until", "complete_training_job", "fail_training_job"):
        assert result is None
    elif call.name == "apply_patch_update":
        assert type(result) is int and result >= 0
    elif call.name == "warm_pool":
        assert result is None or isinstance(result, WarmPoolView)
    elif call.name == "identity_key":
        assert isinstance(result, IdentityKey)
    elif call.name == "next_event_time":
        assert result is None or (type(result) in (int, float) and math.isfinite(result))
    elif call.name == "job_names":
        assert isinstance(result, list) and all(type(name) is str for name in result)


@budget(1000)
@given(variant=st.sampled_from(VARIANTS), sequence=st.lists(calls, min_size=1, max_size=4))
def test_no_input_crashes_an_operation_or_a_control_and_refusals_change_nothing(
    variant: str, sequence: list[Call]
) -> None:
    """behaviour §9 / §11, D35 (the door), D24 (controls), D23 (RequestIds), D15 / D25 (the hook):
    any value in any member of any operation, and any argument of any control, on an emulator
    holding jobs in every state, is either accepted with §11 intact or refused with a
    ``WarmPoolError`` / ``ControlError`` that changes nothing."""
    world = build_world(variant)
    for call in sequence:
        if not check_call(world, call):
            break


def _int_enum(value: int) -> int:
    """``value`` as the member of an ``IntEnum``."""
    Retyped: Any = enum.IntEnum("Retyped", {"VALUE": value})
    member: int = Retyped.VALUE
    return member


#: Ways to give a value the same content in another type: subclasses and other mappings and
#: sequences, which the door (D35) turns into the plain value without calling their methods.
_RETYPES: Final[Mapping[type, tuple[Callable[[Any], Any], ...]]] = {
    str: (HostileStr, Verbose),
    int: (HostileInt, _int_enum, BoolLike),
    float: (HostileFloat,),
    list: (tuple, LyingLenList),
    dict: (
        MappingProxyType,
        OrderedDict,
        UserDict,
        lambda value: LyingLenMapping(value, claimed=len(value) + 1),
    ),
}


@st.composite
def retyped(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with some of its nested values (not keys) given another type of equal
    content."""
    kind = type(value)
    if kind is dict:
        value = {key: draw(retyped(item)) for key, item in value.items()}
    elif kind is list:
        value = [draw(retyped(item)) for item in value]
    choices = _RETYPES.get(kind)
    if choices and draw(st.booleans()):
        return draw(st.sampled_from(choices))(value)
    return value


@st.composite
def retyped_operations(draw: st.DrawFn) -> tuple[Call, Call]:
    """A valid request, and the same request with values of other types."""
    operation = draw(st.sampled_from(list(OPERATIONS)))
    base = _copy(draw(st.sampled_from(VALID[operation])))
    members = {key: draw(retyped(value)) for key, value in base.items()}
    return Call("operation", operation, kwargs=base), Call("operation", operation, kwargs=members)


@budget(300)
@given(
    variant=st.sampled_from(VARIANTS), pairs=st.lists(retyped_operations(), min_size=1, max_size=3)
)
def test_a_request_of_subclasses_and_other_mappings_is_answered_as_its_plain_values(
    variant: str, pairs: list[tuple[Call, Call]]
) -> None:
    """D35 (the door) / behaviour §9: ``IntEnum`` counts, ``str``, ``int`` and ``float``
    subclasses whose methods raise, tuples, ``MappingProxyType``, ``UserDict``, a mapping whose
    ``__len__`` lies ...: a request made of them gets exactly the answer (or the refusal) of
    the same request in plain values, and leaves the same state."""
    plain_world, odd_world = build_world(variant), build_world(variant)
    for plain_call, odd_call in pairs:
        expected = perform(plain_world, plain_call, tolerate_known=False)
        got = perform(odd_world, odd_call, tolerate_known=False)
        if expected[0] == "refused":
            assert got[0] == "refused", got
            assert (type(got[1]), got[1].message) == (type(expected[1]), expected[1].message)
        else:
            assert got == expected
        with armed():
            assert fingerprint(odd_world.emu).state == fingerprint(plain_world.emu).state
        assert odd_world.hook_calls == plain_world.hook_calls


def test_the_requests_mutated_by_the_fuzzer_are_valid_to_begin_with() -> None:
    """D35: the starting points of :func:`mutated_operation` pass validation, so a mutation
    probes one rule deep inside a request that is otherwise valid."""
    validator = RequestValidator()
    for operation, requests in VALID.items():
        for valid in requests:
            validator.validate(operation, valid)


def test_the_fuzzed_world_holds_jobs_in_every_state() -> None:
    """behaviour §5 / §6: the emulators the fuzzer calls hold every status and warm pool status."""
    for variant in VARIANTS:
        world = build_world(variant)
        emu = world.emu
        statuses = {
            emu.describe_training_job(TrainingJobName=n)["TrainingJobStatus"]
            for n in emu.job_names()
        }
        assert statuses == {"InProgress", "Completed", "Failed", "Stopping"}
        pools = {view.status for n in emu.job_names() if (view := emu.warm_pool(n)) is not None}
        assert pools == {"InUse", "Available", "Reused", "Terminated"}


# =============================================================================================
# Regressions: what the property found
# =============================================================================================

_REQUEST: Final = request("new-job")


def _without(member: str) -> dict[str, Any]:
    return {key: value for key, value in _REQUEST.items() if key != member}


def _refusal(call: Call) -> ValidationException:
    """The ``ValidationException`` that refuses ``call``, after checking (on another emulator
    just like it) that the refusal changes nothing."""
    assert check_call(build_world("plain"), call, tolerate_known=False)
    outcome, error = perform(build_world("plain"), call, tolerate_known=False)
    assert outcome == "refused" and isinstance(error, ValidationException), (outcome, error)
    return error


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={**_REQUEST, "ResourceConfig": HostileDict(_REQUEST["ResourceConfig"])},
            ),
            "ResourceConfig",
            id="ResourceConfig",
        ),
        pytest.param(
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={**_REQUEST, "StoppingCondition": HostileDict({"MaxRuntimeInSeconds": 1})},
            ),
            "StoppingCondition",
            id="StoppingCondition",
        ),
        pytest.param(
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={
                    **_REQUEST,
                    "ResourceConfig": {"InstanceGroups": [HostileDict(InstanceCount=0)]},
                },
            ),
            "ResourceConfig.InstanceGroups",
            id="an instance group",
        ),
        pytest.param(
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={**_REQUEST, "ResourceConfig": {"InstanceGroups": HostileList([{}])}},
            ),
            "ResourceConfig.InstanceGroups",
            id="InstanceGroups",
        ),
    ],
)
def test_create_rules_do_not_read_a_mapping_the_door_could_not_read(call: Call, field: str) -> None:
    """D35 / behaviour §9: a dict or list subclass whose methods raise stays as it is at the door
    (it cannot be read); the ``ResourceConfig`` and ``StoppingCondition`` rules beyond the
    model skip it (they used to call its ``get`` and ``__contains__``, and its exception
    escaped), and the model's check refuses it, naming the member."""
    error = _refusal(call)
    assert error.field == field
    assert "Member must be readable (reading it raised HostileError)" in error.message


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(
            Call(
                "operation",
                "UpdateTrainingJob",
                kwargs={
                    "TrainingJobName": "training-cold",
                    "ProfilerRuleConfigurations": [
                        {
                            "RuleConfigurationName": "r-1",
                            "RuleEvaluatorImage": "image",
                            "RuleParameters": RaisingIterMapping({}),
                        }
                    ],
                },
            ),
            "ProfilerRuleConfigurations[0].RuleParameters",
            id="UpdateTrainingJob",
        ),
        pytest.param(
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={**_REQUEST, "HyperParameters": RaisingIterMapping({})},
            ),
            "HyperParameters",
            id="CreateTrainingJob",
        ),
    ],
)
def test_an_empty_mapping_that_cannot_be_iterated_is_refused_naming_it(
    call: Call, field: str
) -> None:
    """D35 / behaviour §9: a map of strings that says it is empty but raises when iterated is
    refused, naming it. (The validator's fast check took ``len() == 0`` for valid without
    iterating, and ``UpdateTrainingJob`` then failed to freeze it: a ``ValueError``.)"""
    error = _refusal(call)
    assert error.field == field
    with armed():
        problems = RequestValidator().problems(call.name, call.kwargs)
    assert [path for path, _item in problems] == [field]


@pytest.mark.parametrize(
    ("member", "when"),
    [
        ("CreationTimeAfter", datetime(2026, 1, 1, tzinfo=RaisingTZ())),
        ("LastModifiedTimeBefore", HostileDatetime(2026, 1, 2)),
        ("CreationTimeBefore", HostileDatetime(2026, 1, 2, tzinfo=UTC)),
    ],
    ids=["a tzinfo that raises", "a naive datetime subclass", "an aware datetime subclass"],
)
def test_a_list_filter_time_whose_reading_raises_is_refused_naming_it(
    member: str, when: datetime
) -> None:
    """behaviour §9.6 / D20 / D35: ``ListTrainingJobs`` refuses a time filter that raises when read
    (a ``tzinfo`` or ``datetime`` subclass of the caller's) with a ``ValidationException``
    naming it; the caller's exception used to escape."""
    error = _refusal(Call("operation", "ListTrainingJobs", kwargs={member: when}))
    assert error.field == member
    assert "reading it raised HostileError" in error.message


def _known(reason: str, call: Call, raises: type[Exception] = HostileError) -> Any:
    """A crash the fuzzing found, kept as a regression test (``reason`` says what crashed and
    where; ``raises`` what escaped)."""
    return pytest.param(call, id=reason.split(":")[0])


_BAD_REPR: Final = Hostile(frozenset({"__repr__"}))


def _control(name: str, *args: Any, **kwargs: Any) -> Call:
    return Call("control", name, args, kwargs)


@pytest.mark.parametrize(
    "call",
    [
        _known(
            "DescribeTrainingJob: emulator.py _named: request.get('TrainingJobName') calls the "
            "__eq__ of a keyword name that is a str subclass",
            Call(
                "operation", "DescribeTrainingJob", kwargs={HostileKey("TrainingJobName"): "kept"}
            ),
        ),
        _known(
            "StopTrainingJob: emulator.py _named, as DescribeTrainingJob",
            Call(
                "operation",
                "StopTrainingJob",
                kwargs={HostileKey("TrainingJobName"): "training-cold"},
            ),
        ),
        _known(
            "CreateTrainingJob: intake.py Intake.create: 'key not in _PER_JOB' calls the __eq__ "
            "of a keyword name that is a str subclass equal to TrainingJobName, HyperParameters "
            "or Tags",
            Call(
                "operation",
                "CreateTrainingJob",
                kwargs={**_without("TrainingJobName"), HostileKey("TrainingJobName"): "k-1"},
            ),
        ),
    ],
)
def test_a_keyword_name_of_a_str_subclass_runs_none_of_its_methods(call: Call) -> None:
    """D35 (the door): Python passes a keyword name that is a ``str`` subclass to ``**request``
    as it is. The door reads it as its plain value; nothing before the door may call its
    methods (the fast paths for a plain ``DescribeTrainingJob`` / ``StopTrainingJob`` and for
    a remembered ``CreateTrainingJob`` configuration do)."""
    assert check_call(build_world("plain"), call, tolerate_known=False)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            _control("complete_training_job", Huge(1)),
            marks=[
                pytest.mark.skipif(
                    not hasattr(sys, "get_int_max_str_digits"),
                    reason="this Python prints ints of any length",
                ),
            ],
            id="complete_training_job(10**5000)",
        ),
        _known(
            "complete_training_job(object whose __repr__ raises): emulator.py _control_job "
            "formats the name with !r",
            _control("complete_training_job", _BAD_REPR),
        ),
        _known(
            "identity_key(a list nested 3000 deep): emulator.py _control_job formats it with "
            "!r: RecursionError",
            _control("identity_key", Deep(3000, "list")),
            RecursionError,
        ),
        _known(
            "warm_pool(str subclass, unknown name): emulator.py _control_job formats the name "
            "with !r in 'there is no training job named'",
            _control("warm_pool", HostileStr("missing")),
        ),
        _known(
            "complete_training_job(str subclass, not training): emulator.py "
            "complete_training_job formats the name with !r",
            _control("complete_training_job", HostileStr("failed")),
        ),
        _known(
            "fail_training_job(str subclass, not in progress): emulator.py fail_training_job "
            "formats the name with !r",
            _control("fail_training_job", HostileStr("failed")),
        ),
        _known(
            "fail_training_job(name, object whose __repr__ raises): emulator.py "
            "fail_training_job formats failure_class with !r",
            _control("fail_training_job", "training-cold", _BAD_REPR),
        ),
        _known(
            "fail_training_job(name, 'X', object whose __repr__ raises): emulator.py "
            "fail_training_job formats message with !r",
            _control("fail_training_job", "training-cold", "X", _BAD_REPR),
        ),
        _known(
            "apply_patch_update(object whose __repr__ raises): emulator.py apply_patch_update "
            "formats instance_type with !r",
            _control("apply_patch_update", _BAD_REPR),
        ),
        _known(
            "advance(object with a broken __repr__): clock.py _check_seconds formats it with "
            "!r (a TypeError would be caught; the __repr__'s exception is not)",
            _control("advance", _BAD_REPR),
        ),
        _known(
            "run_until(a list nested 3000 deep): clock.py _check_seconds formats it with !r: "
            "RecursionError",
            _control("run_until", Deep(3000, "list")),
            RecursionError,
        ),
    ],
)
def test_a_control_refusal_formats_the_callers_argument_safely(call: Call) -> None:
    """D24: a control refuses any argument it cannot take with ``ControlError`` (or
    ``InvalidControlArgument``); its message must not depend on the argument's ``repr()``
    working (a caller's ``__repr__`` may raise; so does ``repr`` of an int of more than 4300
    digits, and of a structure nested past the recursion limit)."""
    assert check_call(build_world("plain"), call, tolerate_known=False)


@pytest.mark.parametrize(
    "call",
    [
        _known(
            "fail_training_job(name, str subclass): emulator.py fail_training_job calls "
            "failure_class.isidentifier()",
            _control("fail_training_job", "training-cold", HostileStr("ClientError")),
        ),
        _known(
            "fail_training_job(name, 'ClientError', str subclass): emulator.py "
            "fail_training_job calls len(message)",
            _control("fail_training_job", "training-cold", "ClientError", HostileStr("boom")),
        ),
        _known(
            "apply_patch_update(str subclass): pools.py WarmPools.in_creation_order compares "
            "instance types with ==, which calls the subclass's __eq__",
            _control("apply_patch_update", HostileStr(INSTANCE_TYPE)),
        ),
        _known(
            "advance(float subclass): clock.py VirtualClock.later compares it with < 0",
            _control("advance", HostileFloat(0.5)),
        ),
        _known(
            "advance(int subclass): clock.py _check_seconds: math.isfinite calls __float__",
            _control("advance", HostileInt(5)),
        ),
        _known(
            "run_until(float subclass): clock.py VirtualClock.resolve compares it with <",
            _control("run_until", HostileFloat(500.0)),
        ),
        _known(
            "run_until(datetime with a tzinfo that raises): clock.py VirtualClock.seconds calls "
            "utcoffset(); emulator.run_until catches only TypeError, ValueError, OverflowError",
            _control("run_until", datetime(2026, 1, 2, tzinfo=RaisingTZ())),
        ),
        _known(
            "run_until(datetime subclass): clock.py VirtualClock.seconds calls its utcoffset()",
            _control("run_until", HostileDatetime(2026, 1, 2, tzinfo=UTC)),
        ),
    ],
)
def test_a_control_runs_no_method_of_a_subclass_argument(call: Call) -> None:
    """D24 / D35: a control reads a ``str``, ``int``, ``float`` or ``datetime`` subclass as its
    plain value (as ``_control_job`` does with ``str.__str__``) and calls none of the
    subclass's methods: their exceptions would escape as neither ``ControlError`` nor an
    answer."""
    assert check_call(build_world("plain"), call, tolerate_known=False)


# =============================================================================================
# The wire
# =============================================================================================


@dataclass(frozen=True)
class Body:
    """A request body, encoded only when sent (Hypothesis prints this, not the bytes)."""

    value: Any = None  # JSON to encode (with lazy long strings)
    raw: bytes = b""  # ... or these bytes,
    repeat: int = 1  # this many times

    def encode(self) -> bytes:
        if self.raw:
            return self.raw * self.repeat
        return json.dumps(realize(self.value), default=_epoch_default).encode()


#: Bodies that are not a JSON object, or not JSON.
RAW_BODIES: Final = (
    Body(raw=b"[]"),
    Body(raw=b'"x"'),
    Body(raw=b"null"),
    Body(raw=b"{"),
    Body(raw=b'{"TrainingJobName": NaN}'),
    Body(raw=b'{"MaxResults": 1e400}'),
    Body(raw=b"\xff\xfe"),
    Body(raw=b"[", repeat=100_000),
    Body(raw=b"[", repeat=990),
    Body(raw=b'{"MaxResults": ' + b"9" * 5000 + b"}"),
    Body(raw=b'{"TrainingJobName": "\\ud800"}'),
)


@st.composite
def wire_bodies(draw: st.DrawFn) -> tuple[str, Body]:
    """An operation and a body: a random JSON object of its members, a valid request with one
    JSON value replaced, or bytes that are not a JSON object."""
    operation = draw(st.sampled_from(list(OPERATIONS)))
    kind = draw(st.sampled_from(("members", "members", "mutated", "raw")))
    if kind == "members":
        keys = st.sampled_from(member_names(operation)) | st.sampled_from(ODD_NAMES)
        return operation, Body(draw(st.dictionaries(keys, json_values, max_size=5)))
    if kind == "mutated":
        base = draw(st.sampled_from(VALID[operation]))
        found = paths(base)
        if not found:
            return operation, Body(_copy(base))
        path = draw(st.sampled_from(found))
        return operation, Body(mutate(base, path, "replace", draw(json_values)))
    return operation, draw(st.sampled_from(RAW_BODIES))


def _epoch_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


def test_the_wire_answers_any_body_with_200_or_4xx_never_500() -> None:
    """D32 / D35 / behaviour §9: ``warmpool serve`` answers any JSON body POSTed to any emulated
    operation with 200 or an AWS-style 4xx error (``{"__type", "message"}``), never a 500; a
    refused request changes nothing."""
    from tests.test_server import call, snapshot

    world = build_world("listed-tagged-subscribed")
    with make_server(world.emu).start() as server:

        @budget(150)
        @given(wire_bodies())
        def post(case: tuple[str, Body]) -> None:
            operation, body = case
            before = snapshot(server)
            reply = call(server, operation, body.encode())
            assert reply.status == 200 or 400 <= reply.status < 500, reply.raw
            assert isinstance(reply.json, dict), reply.raw
            if reply.status == 200:
                assert "__type" not in reply.json
                return
            reply.assert_error(reply.status, reply.json["__type"])
            if reply.json["__type"] != "ResourceLimitExceeded":
                assert snapshot(server) == before

        post()


#: The control routes of ``warmpool serve`` and their members (``reset`` is left out: it would
#: empty the emulator the other examples run against).
CONTROL_ROUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "advance": ("seconds",),
    "run-until": ("time",),
    "complete": ("TrainingJobName",),
    "fail": ("TrainingJobName", "FailureClass", "Message"),
    "patch-update": ("InstanceType",),
}


@st.composite
def control_bodies(draw: st.DrawFn) -> tuple[str, Body]:
    """A control route and a JSON object of its members (and others) with any JSON values."""
    route = draw(st.sampled_from(list(CONTROL_ROUTES)))
    keys = st.sampled_from(CONTROL_ROUTES[route]) | st.sampled_from(ODD_NAMES)
    values = json_values | st.sampled_from((*JOB_NAMES, 0, 30, 1767229200, "2026-01-01T02:00:00Z"))
    return route, Body(draw(st.dictionaries(keys, values, max_size=3)))


def test_the_control_api_answers_any_body_with_200_or_4xx_never_500() -> None:
    """D32 / D24: ``warmpool serve``'s control routes answer any JSON object with 200 or an
    AWS-style 4xx error (``InvalidControlInput`` 400, ``ControlError`` 409), never a 500; a
    refused control changes nothing."""
    from tests.test_server import send, snapshot

    world = build_world("plain")
    with make_server(world.emu).start() as server:

        @budget(100)
        @given(control_bodies())
        def post(case: tuple[str, Body]) -> None:
            route, body = case
            before = snapshot(server)
            headers = {"Content-Type": "application/json"}
            reply = send(server, "POST", f"/_warmpool/{route}", body.encode(), headers)
            assert reply.status == 200 or 400 <= reply.status < 500, reply.raw
            assert isinstance(reply.json, dict), reply.raw
            if reply.status != 200:
                reply.assert_error(reply.status, reply.json["__type"])
                assert snapshot(server) == before

        post()
