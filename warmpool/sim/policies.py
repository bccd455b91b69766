"""Keep-alive policies: each job's ``KeepAlivePeriodInSeconds``, chosen (``docs/policies.md``).

A fixed keep-alive is a guess. A *policy* picks each job's keep-alive as the replay goes, from
what it has seen so far, to make the *keep-alive cost* small: what idle warm pools cost plus
what cold starts cost, under an explicit :class:`CostModel`. The replay
(``replay(trace, keep_alive=policy)``) asks the policy for each row's keep-alive just before
the row's ``CreateTrainingJob`` (:meth:`Policy.keep_alive`, with a :class:`Decision`) and tells
it every idle gap of an identity as the gap ends (:meth:`Policy.observe`, with an
:class:`IdleGap`); the emulator still enforces the limits and quotas.

Built in: :class:`Fixed`, :class:`BreakEven` (deterministic ski rental, 2-competitive),
:class:`RandomizedSkiRental` (e/(e-1)-competitive in expectation), :class:`Histogram` (a
percentile of the identity's observed idle gaps, after Shahrad et al. 2020).
:func:`make_policy` builds one from a short text such as ``fixed:900`` or ``histogram:95``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from warmpool import IdentityKey

from .trace import TraceJob

__all__ = [
    "POLICY_NAMES",
    "BreakEven",
    "CostModel",
    "Decision",
    "Fixed",
    "Histogram",
    "IdleGap",
    "Policy",
    "PolicyError",
    "RandomizedSkiRental",
    "make_policy",
    "policy_name",
]


class PolicyError(ValueError):
    """A policy that cannot be built from its text or parameters, or that answered the replay
    with a keep-alive the rules do not allow."""


def _usd(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{name} must be a number of USD, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise PolicyError(f"{name} must be a finite number of USD >= 0, not {value!r}")
    return float(value)


def _price_table(prices: Mapping[str, float]) -> dict[str, float]:
    return dict(prices)


@attrs.frozen
class CostModel:
    """What "cost" means in every report, policy and optimum (``docs/policies.md``).

    - **Idle cost**: instance-seconds retained in ``Available`` warm pools
      (``ResourceRetainedBillableTimeInSeconds`` times the instance count) times the instance
      type's price per instance-hour / 3600. That is what AWS bills for warm pools.
    - **Cold-start cost**: ``cold_start_value`` USD for every job that did not start warm: each
      cold start, and each job a training quota refused (its people wait at least as long).
      AWS bills training from ``TrainingStartTime`` to ``TrainingEndTime``, so the start-up
      seconds are billed neither on a cold start nor on a warm one: the billed part of a cold
      start's cost is 0, and its whole cost is the value you put on the people (and anything
      else) waiting the extra start-up time.
    - **Keep-alive cost** = idle cost + cold-start cost: the figure a keep-alive choice moves,
      and the one policies try to make small. Training itself is billed the same whatever the
      keep-alive, so it is left out.

    ``prices`` are USD per instance-hour by instance type; a type without one has no idle rate
    (its cost figures are ``None``).

    >>> model = CostModel({"ml.g5.xlarge": 1.2}, cold_start_value=0.5)
    >>> model.idle_rate("ml.g5.xlarge", 2)          # USD per second of a 2-instance pool
    0.0006666666666666666
    >>> model.break_even_seconds("ml.g5.xlarge", 2)  # idle this long costs one cold start
    750.0
    >>> model.idle_rate("ml.m5.xlarge", 1) is None
    True
    """

    prices: Mapping[str, float] = attrs.field(factory=dict, converter=_price_table)
    cold_start_value: float = attrs.field(default=0.0)

    @prices.validator
    def _check_prices(self, attribute: Any, value: Mapping[str, float]) -> None:
        for instance_type, price in value.items():
            _usd(f"prices[{instance_type!r}]", price)

    @cold_start_value.validator
    def _check_value(self, attribute: Any, value: Any) -> None:
        _usd("cold_start_value", value)

    def idle_rate(self, instance_type: str, instance_count: int) -> float | None:
        """USD per second that a pool of ``instance_count`` instances costs while idle, or
        ``None`` without a price for the type."""
        price = self.prices.get(instance_type)
        return None if price is None else instance_count * price / 3600

    def cold_start_cost(self, instance_type: str, instance_count: int) -> float:
        """USD one cold start costs: ``cold_start_value`` (start-up is not billed)."""
        return self.cold_start_value

    def break_even_seconds(self, instance_type: str, instance_count: int) -> float | None:
        """Seconds of idle pool that cost as much as one cold start (``inf`` for a free pool
        and a cold start worth something, 0 when a cold start is worth nothing), or ``None``
        without a price."""
        rate = self.idle_rate(instance_type, instance_count)
        if rate is None:
            return None
        return _break_even(self.cold_start_cost(instance_type, instance_count), rate)


def _break_even(cold: float, rate: float) -> float:
    if cold <= 0:
        return 0.0
    if rate <= 0:
        return math.inf
    return cold / rate


@attrs.frozen(slots=True)
class Decision:
    """What a policy may know when the replay asks for a job's keep-alive: the row and where
    it is in the trace, its identity, the cost model's figures for it, and the limit.

    ``time`` is the row's submit time (seconds from the trace's start); every gap of the
    identity that ended by then has been observed. ``number`` is the row's place in the trace
    (1, 2, ...). ``identity`` is the identity's label, as the report's ``by_identity`` names
    it; ``key`` the identity key itself. ``idle_rate`` is USD per second of this identity's
    pool (``None`` without a price), ``cold_start_cost`` USD per cold start,
    ``max_keep_alive`` the limits' maximum keep-alive: the answer must be an int from 0 to it.
    """

    number: int
    time: float
    job: TraceJob
    identity: str
    key: IdentityKey
    instance_type: str
    instance_count: int
    idle_rate: float | None
    cold_start_cost: float
    max_keep_alive: int

    @property
    def break_even_seconds(self) -> float | None:
        """``cold_start_cost / idle_rate``: seconds of idle pool that cost one cold start."""
        if self.idle_rate is None:
            return None
        return _break_even(self.cold_start_cost, self.idle_rate)


@attrs.frozen(slots=True)
class IdleGap:
    """One idle gap of an identity, as the replay observes it: from a job's release
    (``released_at``, when its training ended) to the identity's next create
    (``created_at``), whether a warm pool bridged it or not."""

    identity: str
    released_at: float
    created_at: float

    @property
    def seconds(self) -> float:
        return self.created_at - self.released_at


@runtime_checkable
class Policy(Protocol):
    """What ``replay(trace, keep_alive=policy)`` needs of a policy.

    For each row, in submit order, the replay first calls :meth:`observe` once for every idle
    gap of the row's identity that ends with this row's create (one per release of the
    identity since its previous create), then :meth:`keep_alive`. A policy learns as the
    replay goes, so give each replay a new one (:func:`make_policy` makes one); one that
    draws random numbers should take a seed and use its own :class:`random.Random`, so that the
    same trace gives the same report. An optional ``name`` attribute names it in the report.
    """

    def keep_alive(self, decision: Decision) -> int:
        """The row's ``KeepAlivePeriodInSeconds``: an int from 0 (no warm pool) to
        ``decision.max_keep_alive``. Anything else stops the replay with a
        :class:`PolicyError`."""
        ...

    def observe(self, gap: IdleGap) -> None:
        """An idle gap of ``gap.identity`` has ended."""
        ...


def policy_name(policy: object) -> str:
    """The name a report gives ``policy``: its ``name`` attribute, else its class's name."""
    name = getattr(policy, "name", None)
    return name if isinstance(name, str) and name else type(policy).__name__


def _whole_seconds(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(f"{name} must be a whole number of seconds >= 0, not {value!r}")
    return value


def _capped(seconds: float, limit: int) -> int:
    """Keep-alive for "keep ``seconds``": rounded up to whole seconds, at most ``limit``."""
    if seconds >= limit:
        return limit
    # To the microsecond first, so that float noise (1000.0000000000001) adds no second.
    return max(0, math.ceil(round(seconds, 6)))


def _needs_price(policy: str, decision: Decision) -> float:
    seconds = decision.break_even_seconds
    if seconds is None:
        raise PolicyError(
            f"policy {policy!r} needs the price of {decision.instance_type} to weigh idle time "
            "against cold starts (give prices=..., --price TYPE=USD_PER_HOUR)"
        )
    return seconds


class Fixed:
    """The same keep-alive for every job: ``replay(keep_alive=n)`` as a policy.

    >>> Fixed(900).name
    'fixed:900'
    """

    def __init__(self, seconds: int) -> None:
        self.seconds = _whole_seconds("fixed: seconds", seconds)
        self.name = f"fixed:{self.seconds}"

    def keep_alive(self, decision: Decision) -> int:
        return self.seconds

    def observe(self, gap: IdleGap) -> None:
        pass


class BreakEven:
    """Deterministic ski rental: keep the pool until its idle cost would equal one cold
    start, ``B = cold_start_cost / idle_rate`` seconds (rounded up to whole seconds), capped
    at the maximum keep-alive.

    On each gap it pays at most twice what knowing the gap would have cost (Karlin, Manasse,
    Rudolph and Sleator, "Competitive snoopy caching", Algorithmica 3, 1988): a gap shorter
    than ``B`` is bridged at its own idle cost; a longer one costs ``B`` of idle plus a cold
    start, ``2 x`` the cold start that was the best choice. No deterministic rule does better.
    """

    name = "break-even"

    def keep_alive(self, decision: Decision) -> int:
        return _capped(_needs_price(self.name, decision), decision.max_keep_alive)

    def observe(self, gap: IdleGap) -> None:
        pass


#: e - 1, the normaliser of the randomized ski rental density.
_E_MINUS_1: Final = math.e - 1


class RandomizedSkiRental:
    """Randomized ski rental: for each job, keep the pool ``x`` seconds with ``x`` drawn from
    the density ``e^(x/B) / (B (e - 1))`` on ``[0, B]`` (``B`` as for :class:`BreakEven`),
    rounded up to whole seconds and capped at the maximum keep-alive.

    Its expected cost on any gap is at most ``e / (e - 1)`` (about 1.58) times the cost of
    knowing the gap, against an adversary who does not see the draws, and no randomized rule
    does better (Karlin, Manasse, McGeoch and Owicki, "Competitive randomized algorithms for
    nonuniform problems", Algorithmica 11, 1994). The draws come from ``random.Random(seed)``:
    the same seed, the same choices.
    """

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise PolicyError(f"randomized: seed must be an int, not {seed!r}")
        self.seed = seed
        self.name = f"randomized:seed={seed}"
        self._random = random.Random(seed)

    def keep_alive(self, decision: Decision) -> int:
        scale = _needs_price(self.name, decision)
        # Inverse of the distribution function (e^(x/B) - 1) / (e - 1): x = B ln(1 + u (e-1)).
        share = math.log1p(self._random.random() * _E_MINUS_1)
        if scale == 0 or math.isinf(scale):
            return _capped(scale, decision.max_keep_alive)
        return _capped(scale * share, decision.max_keep_alive)

    def observe(self, gap: IdleGap) -> None:
        pass


class _Gaps:
    """One identity's observed gaps: counts in bins of ``width`` seconds below ``limit``, and
    how many were at or beyond it (no keep-alive can bridge those)."""

    __slots__ = ("beyond", "bins", "count", "keep")

    def __init__(self, bins: int) -> None:
        self.bins = [0] * bins
        self.count = 0  # gaps below the limit
        self.beyond = 0
        self.keep: int | None = None  # the keep-alive for the gaps so far (None: recompute)


class Histogram:
    """A per-identity histogram of idle gaps: keep each pool for the ``percentile`` of the
    identity's observed gaps, so that that share of its gaps would have been bridged.

    After Shahrad et al., "Serverless in the Wild: Characterizing and Optimizing the
    Serverless Workload at a Large Cloud Provider" (USENIX ATC 2020), whose hybrid histogram
    policy keeps, per application, a histogram of idle times in 1-minute bins over a 4-hour
    range and sets the keep-alive from its 99th percentile. Here the bins are ``bin_seconds``
    wide (60) and range up to the maximum keep-alive: a gap as long as that cannot be bridged
    whatever the keep-alive, so such gaps are counted apart and left out of the percentile.
    The keep-alive is the upper edge of the bin that holds the percentile (so every gap of
    that bin is bridged), at most the maximum keep-alive. Until an identity has
    ``min_samples`` gaps that could be bridged (the histogram says too little yet), its jobs
    get what ``fallback`` says (default :class:`BreakEven`). It does not weigh prices: the
    percentile is the whole rule.
    """

    def __init__(
        self,
        percentile: float = 99.0,
        *,
        min_samples: int = 10,
        bin_seconds: int = 60,
        fallback: Policy | None = None,
    ) -> None:
        if (
            isinstance(percentile, bool)
            or not isinstance(percentile, (int, float))
            or not 0 < percentile <= 100
        ):
            raise PolicyError(
                f"histogram: percentile must be a number above 0 and at most 100, not "
                f"{percentile!r}"
            )
        if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 1:
            raise PolicyError(f"histogram: min_samples must be an int >= 1, not {min_samples!r}")
        if isinstance(bin_seconds, bool) or not isinstance(bin_seconds, int) or bin_seconds < 1:
            raise PolicyError(f"histogram: bin_seconds must be an int >= 1, not {bin_seconds!r}")
        self.percentile = float(percentile)
        self.min_samples = min_samples
        self.bin_seconds = bin_seconds
        self.fallback: Policy = BreakEven() if fallback is None else fallback
        shown = f"{self.percentile:g}"
        self.name = f"histogram:{shown}"
        if min_samples != 10:
            self.name += f",min_samples={min_samples}"
        if bin_seconds != 60:
            self.name += f",bin_seconds={bin_seconds}"
        if fallback is not None:
            self.name += f",fallback={policy_name(fallback)}"
        self._gaps: dict[str, _Gaps] = {}
        self._limit: int | None = None  # the maximum keep-alive, from the first decision

    def keep_alive(self, decision: Decision) -> int:
        limit = decision.max_keep_alive
        if self._limit is None:
            self._limit = limit
        gaps = self._gaps.get(decision.identity)
        if gaps is None or gaps.count < self.min_samples:
            return self.fallback.keep_alive(decision)
        if gaps.keep is None:
            gaps.keep = min(limit, self._percentile(gaps))
        return gaps.keep

    def _percentile(self, gaps: _Gaps) -> int:
        wanted = math.ceil(gaps.count * self.percentile / 100 - 1e-9)
        seen = 0
        for index, count in enumerate(gaps.bins):
            seen += count
            if seen >= wanted:
                return (index + 1) * self.bin_seconds
        return len(gaps.bins) * self.bin_seconds  # not reached: wanted <= count

    def observe(self, gap: IdleGap) -> None:
        self.fallback.observe(gap)
        limit = self._limit
        if limit is None:  # no decision yet, so no limit: nothing can be binned
            return
        gaps = self._gaps.get(gap.identity)
        if gaps is None:
            gaps = self._gaps[gap.identity] = _Gaps(math.ceil(limit / self.bin_seconds))
        seconds = gap.seconds
        if seconds >= limit:
            gaps.beyond += 1
            return
        gaps.bins[int(seconds // self.bin_seconds)] += 1
        gaps.count += 1
        gaps.keep = None


# -- by name -------------------------------------------------------------------------------------

#: The policies :func:`make_policy` knows, with their parameters (the first is the one a bare
#: value after the colon sets).
POLICY_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "fixed": ("seconds",),
    "break-even": (),
    "randomized": ("seed",),
    "histogram": ("percentile", "min_samples", "bin_seconds", "fallback"),
}

_SYNTAX: Final = (
    "fixed:SECONDS, break-even, randomized[:SEED], histogram[:PERCENTILE][,min_samples=N]"
    "[,bin_seconds=N][,fallback=POLICY]"
)


def _int(policy: str, name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise PolicyError(f"{policy}: {name} must be a whole number, not {text!r}") from None


def _number(policy: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PolicyError(f"{policy}: {name} must be a number, not {text!r}") from None
    return int(value) if value.is_integer() else value


_PARSERS: Final[dict[str, Callable[[str, str, str], Any]]] = {
    "seconds": _int,
    "seed": _int,
    "percentile": _number,
    "min_samples": _int,
    "bin_seconds": _int,
    "fallback": lambda policy, name, text: make_policy(text),
}


def make_policy(spec: str, /, **params: Any) -> Policy:
    """A new policy, named by ``spec``, with ``params`` as keywords.

    ``spec`` is a name (``fixed``, ``break-even``, ``randomized``, ``histogram``), optionally
    followed by ``:`` and comma-separated parameters: a bare value first sets the policy's
    main parameter (``fixed``'s seconds, ``randomized``'s seed, ``histogram``'s percentile),
    ``key=value`` any parameter. ``fallback=`` takes a whole policy text and must come last.

    >>> make_policy("fixed:900").name, make_policy("break-even").name
    ('fixed:900', 'break-even')
    >>> make_policy("randomized:7").name, make_policy("randomized", seed=7).name
    ('randomized:seed=7', 'randomized:seed=7')
    >>> make_policy("histogram:95,min_samples=5,fallback=fixed:600").name
    'histogram:95,min_samples=5,fallback=fixed:600'
    >>> make_policy("lru")
    Traceback (most recent call last):
    ...
    warmpool.sim.policies.PolicyError: unknown policy 'lru': expected one of fixed:SECONDS, ...
    """
    if not isinstance(spec, str):
        raise PolicyError(f"a policy is named by a text such as 'fixed:900', not {spec!r}")
    name, _, rest = spec.strip().partition(":")
    name = name.strip()
    if name not in POLICY_NAMES:
        raise PolicyError(f"unknown policy {name!r}: expected one of {_SYNTAX}")
    known = POLICY_NAMES[name]
    given: dict[str, Any] = {}
    if rest.strip():
        if not known:
            raise PolicyError(f"{name} takes no parameters, but {spec!r} gives some")
        parts = rest.split(",")
        for place, part in enumerate(parts):
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep:  # a bare value: the main parameter, first only
                key, value = known[0], part.strip()
                if place != 0:
                    raise PolicyError(
                        f"{name}: {part.strip()!r} in {spec!r} needs a name (key=value); only "
                        f"the first parameter ({known[0]}) may be given bare"
                    )
            elif key == "fallback":  # the rest of the text is the fallback's
                value = ",".join([value, *parts[place + 1 :]]).strip()
            if key not in known:
                raise PolicyError(f"{name} has no parameter {key!r}: it takes {', '.join(known)}")
            if key in given:
                raise PolicyError(f"{name}: {key} is given twice in {spec!r}")
            given[key] = _PARSERS[key](name, key, value)
            if key == "fallback":
                break
    for key in params:
        if key not in known:
            raise PolicyError(
                f"{name} has no parameter {key!r}"
                + (f": it takes {', '.join(known)}" if known else ": it takes none")
            )
        if key in given:
            raise PolicyError(f"{name}: {key} is given twice (in the text and as a keyword)")
    given.update(params)
    if name == "fixed":
        if "seconds" not in given:
            raise PolicyError("fixed needs its seconds: fixed:SECONDS, e.g. fixed:900")
        return Fixed(given["seconds"])
    if name == "break-even":
        return BreakEven()
    if name == "randomized":
        return RandomizedSkiRental(**given)
    percentile = given.pop("percentile", 99.0)
    return Histogram(percentile, **given)
