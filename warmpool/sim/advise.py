"""Advice: a keep-alive for each identity (or team), a warm pool quota for each instance type,
and what they save a month (``docs/policies.md``, "Advice: ``warmpool advise``").

:func:`advise` works in three steps:

1. **Replay without warm pools** (every job's keep-alive 0), through a policy that notes each
   row's identity: the baseline, and the identities as every report names them.
2. **Choose**, for each identity or group of identities (a role: a team, when there are more
   identities than ``max_identities``), the single keep-alive of least keep-alive cost
   (:class:`~warmpool.sim.policies.CostModel`) over its own jobs. Without quotas, that cost is
   computed exactly from the rows, by following the identity's pools as the emulator does (a
   job takes over the matching pool ``Available`` longest; a pool expires at
   ``min(release + keep-alive, launch + chain cap)``; a failed ``Unhealthy`` cluster is not
   kept; a warm start ends its job earlier than a cold one). As the keep-alive grows, what
   happens to the jobs only changes where it comes to bridge a gap that a pool expired
   before (the smallest keep-alive that keeps that pool until that create), and in between
   the cost only grows (pools that expire unused idle longer): so the least cost over every
   whole number of seconds from 0 to the maximum is at 0 or at one of those points, which
   are followed one to the next, and the smallest of equally cheap keep-alives wins.
3. **Verify** by replaying the trace with the chosen keep-alives (:class:`Advised`, a policy)
   and with the trace's own settings, under every rule (quotas, limits, timing). The figures
   reported are the replays'. An identity or group whose advised cost in the replay is above
   its cost without warm pools or with its own settings (a quota that binds across
   identities, own keep-alives that differ from job to job) is given the cheaper of those
   instead, one whose keep-alive saves nothing there gets 0, and the replay is run again (a
   few rounds at most); if the whole still costs more than either, every identity gets the
   cheaper one. So the advice never costs more than no warm pools, nor than the trace's own
   settings, in the replay that reports it.

The warm pool quota of an instance type is the peak of instances (instance counts summed) in
``Available`` warm pools of that type at one time in the verifying replay: with that quota,
the same replay keeps every pool it kept. Savings are scaled to a month: ``savings x 30 days /
span``, where the span runs from the trace's first submit to its last, and is at least a day.
"""

from __future__ import annotations

import heapq
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from warmpool import Limits, Quota, Timing
from warmpool.billing import billable_seconds

from .optimum import _releases
from .policies import CostModel, Decision, IdleGap, PolicyError
from .replay import UNLIMITED, Figures, Report, replay
from .trace import Trace, TraceJob, shown

__all__ = [
    "GROUPINGS",
    "MAX_IDENTITIES",
    "Advice",
    "AdviceError",
    "Advised",
    "KeepAliveAdvice",
    "QuotaAdvice",
    "advise",
]

#: What ``group_by`` may be: one keep-alive per identity, per role (team), or ``auto``: per
#: identity unless there are more than ``max_identities`` of them, then per role.
GROUPINGS: Final = ("identity", "role", "auto")
#: The identities ``group_by="auto"`` advises one by one; with more, it advises per role.
MAX_IDENTITIES: Final = 20
#: Days in the month that savings are scaled to.
MONTH_DAYS: Final = 30
_DAY: Final = 86400.0
#: Rounds of the verifying replay at most before the advice falls back as a whole.
_ROUNDS: Final = 3


class AdviceError(ValueError):
    """Arguments :func:`advise` cannot advise with: the message names the argument and the
    rule."""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _above(a: float, b: float) -> bool:
    """``a > b`` beyond float noise."""
    return a > b and not _close(a, b)


# -- the records ---------------------------------------------------------------------------------


@attrs.frozen
class KeepAliveAdvice:
    """The advice for one identity, or one role (team) of identities.

    ``keep_alive`` is the ``KeepAlivePeriodInSeconds`` to give every job of ``identities``, or
    ``None``: keep each job's own (the trace's settings, when they differ from job to job and
    cost less than any single keep-alive). ``own_keep_alives`` are the distinct keep-alives the
    trace gives them (0 for none). ``reason`` says why, in one line. The figures are the
    verifying replays': ``gaps`` is how many idle gaps (a release to the identity's next
    create) the advised replay saw, ``gaps_bridgeable`` the share of them shorter than the
    keep-alive; ``cold_starts`` are the jobs that did not start warm (cold starts and training
    quota refusals) and ``cold_starts_saved`` how many fewer than without warm pools;
    ``idle_cost`` and ``cost`` (the keep-alive cost: idle plus cold starts) are in USD, as are
    ``cost_without_warm_pools`` and ``cost_with_own_settings``, the same identities' keep-alive
    costs in the replays without warm pools and with the trace's settings. The monthly savings
    are against those two, scaled to 30 days.
    """

    name: str
    identities: tuple[str, ...]
    jobs: int
    keep_alive: int | None
    own_keep_alives: tuple[int, ...]
    reason: str
    gaps: int
    gaps_bridgeable: float
    cold_starts: int
    cold_starts_saved: int
    idle_cost: float
    cost: float
    cost_without_warm_pools: float
    cost_with_own_settings: float
    monthly_savings_vs_no_warm_pools: float
    monthly_savings_vs_own_settings: float

    def to_dict(self) -> dict[str, Any]:
        fields = attrs.asdict(self, recurse=False)
        fields["identities"] = list(self.identities)
        fields["own_keep_alives"] = list(self.own_keep_alives)
        return fields


@attrs.frozen
class QuotaAdvice:
    """The warm pool quota advised for one instance type: ``warm_pool_quota``, the most
    instances the advised replay held in ``Available`` warm pools of the type at one time.
    ``given`` is the quota the replays ran with (``None``: none given, no limit), and
    ``warm_pool_quota_refusals`` the clusters it did not keep because that quota was full."""

    instance_type: str
    warm_pool_quota: int
    given: int | None
    warm_pool_quota_refusals: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False)


def _month(span_seconds: float, amount: float) -> float:
    return amount * MONTH_DAYS * _DAY / span_seconds


@attrs.frozen
class Advice:
    """What :func:`advise` recommends for a trace, with the replays that verify it.

    ``keep_alives`` has one :class:`KeepAliveAdvice` per identity or role (``group_by``), by
    name; ``quotas`` one :class:`QuotaAdvice` per instance type. ``cost``,
    ``cost_without_warm_pools`` and ``cost_with_own_settings`` are the keep-alive costs (USD,
    idle warm pools plus cold starts) of the whole trace in the three replays: ``report``
    (advised), ``without_warm_pools`` and ``with_own_settings``. ``span_seconds`` is what the
    savings are scaled by: the trace's first submit to its last, at least a day.
    """

    source: str
    jobs: int
    group_by: Literal["identity", "role"]
    span_seconds: float
    keep_alives: Mapping[str, KeepAliveAdvice]
    quotas: Mapping[str, QuotaAdvice]
    cost: float
    cost_without_warm_pools: float
    cost_with_own_settings: float
    cold_start_value: float
    limits: Limits
    timing: Timing
    report: Report = attrs.field(repr=False)
    without_warm_pools: Report = attrs.field(repr=False)
    with_own_settings: Report = attrs.field(repr=False)

    @property
    def days(self) -> float:
        """The span in days."""
        return self.span_seconds / _DAY

    @property
    def monthly_savings_vs_no_warm_pools(self) -> float:
        """USD a month the advice saves against no warm pools (keep-alive 0 for every job)."""
        return _month(self.span_seconds, self.cost_without_warm_pools - self.cost)

    @property
    def monthly_savings_vs_own_settings(self) -> float:
        """USD a month the advice saves against the trace's own keep-alives."""
        return _month(self.span_seconds, self.cost_with_own_settings - self.cost)

    def keep_alive_of(self, identity: str) -> int | None:
        """The keep-alive advised for an identity (by its label), ``None``: its own."""
        for advice in self.keep_alives.values():
            if identity in advice.identities:
                return advice.keep_alive
        raise KeyError(identity)

    def policy(self) -> Advised:
        """A new :class:`Advised` policy that gives each identity its advised keep-alive (to
        replay the advice on this trace, or on another of the same identities)."""
        return Advised(
            {
                identity: advice.keep_alive
                for advice in self.keep_alives.values()
                for identity in advice.identities
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain values (what ``warmpool advise --json`` prints)."""
        return {
            "trace": self.source,
            "jobs": self.jobs,
            "group_by": self.group_by,
            "span_seconds": self.span_seconds,
            "days": self.days,
            "cost": self.cost,
            "cost_without_warm_pools": self.cost_without_warm_pools,
            "cost_with_own_settings": self.cost_with_own_settings,
            "monthly_savings_vs_no_warm_pools": self.monthly_savings_vs_no_warm_pools,
            "monthly_savings_vs_own_settings": self.monthly_savings_vs_own_settings,
            "cold_start_value": self.cold_start_value,
            "limits": attrs.asdict(self.limits),
            "timing": attrs.asdict(self.timing),
            "keep_alives": {name: advice.to_dict() for name, advice in self.keep_alives.items()},
            "quotas": {name: advice.to_dict() for name, advice in self.quotas.items()},
            "replays": {
                "advised": _figures(self.report),
                "without_warm_pools": _figures(self.without_warm_pools),
                "with_own_settings": _figures(self.with_own_settings),
            },
        }


def _figures(report: Report) -> dict[str, Any]:
    return {f.name: getattr(report, f.name) for f in attrs.fields(Figures)}


# -- the policy ----------------------------------------------------------------------------------


class Advised:
    """A policy that gives each identity (by its label, as a report's ``by_identity`` names
    it) a keep-alive of its own: ``keep_alives[identity]``, or the row's own
    ``keep_alive_seconds`` (0 for none) where that is ``None`` or the identity is not listed.

    >>> from warmpool.sim import TraceJob, replay
    >>> rows = [TraceJob(0, "ml.m5.xlarge", 600), TraceJob(900, "ml.m5.xlarge", 600)]
    >>> label = "SageMakerRole ml.m5.xlarge x1 30 GB"
    >>> replay(rows, keep_alive=Advised({label: 300})).warm_starts
    1
    """

    name = "advice"

    def __init__(self, keep_alives: Mapping[str, int | None]) -> None:
        for identity, seconds in keep_alives.items():
            if seconds is not None and (
                isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0
            ):
                raise PolicyError(
                    f"advice: keep_alives[{identity!r}] must be a whole number of seconds >= 0 "
                    f"or None (the row's own), not {seconds!r}"
                )
        self.keep_alives = dict(keep_alives)

    def keep_alive(self, decision: Decision) -> int:
        seconds = self.keep_alives.get(decision.identity)
        if seconds is None:
            return decision.job.keep_alive_seconds or 0
        return seconds

    def observe(self, gap: IdleGap) -> None:
        pass


class _Watching(Advised):
    """:class:`Advised` that also notes, for the advice, each row's identity (and its role)
    and every idle gap of each identity."""

    def __init__(
        self, keep_alives: Mapping[str, int | None], default: int | None, name: str
    ) -> None:
        super().__init__(keep_alives)
        self.default = default
        self.name = name
        self.labels: list[str] = []  # each row's identity label, in the trace's order
        self.roles: dict[str, str] = {}  # identity label -> role ARN
        self.types: dict[str, tuple[str, int]] = {}  # identity label -> (type, count)
        self.gaps: dict[str, list[float]] = {}  # identity label -> its idle gaps

    def keep_alive(self, decision: Decision) -> int:
        label = decision.identity
        self.labels.append(label)
        if label not in self.roles:
            self.roles[label] = decision.key.role_arn
            self.types[label] = (decision.instance_type, decision.instance_count)
        if label not in self.keep_alives and self.default is not None:
            return self.default
        return super().keep_alive(decision)

    def observe(self, gap: IdleGap) -> None:
        gaps = self.gaps.get(gap.identity)
        if gaps is None:
            self.gaps[gap.identity] = [gap.seconds]
        else:
            gaps.append(gap.seconds)


# -- the model of one identity -------------------------------------------------------------------


class _Identity:
    """One identity's jobs, as the model needs them, in creation order."""

    __slots__ = (
        "cold_releases",
        "count",
        "creates",
        "instance_type",
        "keepable",
        "launches",
        "own",
        "sequential",
        "warm_releases",
    )

    def __init__(self, instance_type: str, count: int) -> None:
        self.instance_type = instance_type
        self.count = count
        self.creates: list[float] = []
        self.warm_releases: list[float] = []
        self.cold_releases: list[float] = []
        self.launches: list[float] = []  # the launch of a cold start
        self.keepable: list[bool] = []
        self.own: set[int] = set()  # the trace's keep-alives (0 for none)
        self.sequential = True  # each job created after the previous one's latest release

    def add(self, row: TraceJob, timing: Timing) -> None:
        at = row.submit_time
        warm, cold, keepable = _releases(row, at, timing)
        if self.creates and at < max(self.warm_releases[-1], self.cold_releases[-1]):
            self.sequential = False
        self.creates.append(at)
        self.warm_releases.append(warm)
        self.cold_releases.append(cold)
        self.launches.append(at + timing.cold_start_seconds)
        self.keepable.append(keepable)
        self.own.add(row.keep_alive_seconds or 0)


def _bridging(release: float, create: float) -> int:
    """The smallest keep-alive that keeps a pool released at ``release`` until ``create``
    (it expires at ``release + keep-alive``, which must be after the create), in the floats
    the emulator compares."""
    keep = math.floor(create - release) + 1
    if release + keep <= create:  # float noise at the edge: one more second
        keep += 1
    elif keep > 1 and release + (keep - 1) > create:  # or one fewer
        keep -= 1
    return keep


#: "No keep-alive": the next keep-alive of an identity whose replay no longer changes.
_NEVER: Final = sys.maxsize


#: What an identity's jobs do under one keep-alive (:func:`_model`): cold starts, the idle
#: seconds (of one instance) of the pools that were taken over, the (release, chain cap end) of
#: each pool kept that no job took (it idles until ``min(release + keep-alive, cap end)``), and
#: the next keep-alive at which that could change.
_Outcome = tuple[int, int, list[tuple[float, float]], int]


def _model(ident: _Identity, keep: int, cap: float) -> _Outcome:
    """What the identity's jobs do when every one has keep-alive ``keep`` (at least 1), with no
    quota: its pools followed as the emulator follows them. The outcome holds until the next
    keep-alive at which a pool that expired unused would have bridged the gap to a create it
    was compared with (the smallest keep-alive that keeps it until then; :data:`_NEVER` when
    no pool expired for want of keep-alive)."""
    creates = ident.creates
    jobs = len(creates)
    warm_releases, cold_releases = ident.warm_releases, ident.cold_releases
    launches, keepable = ident.launches, ident.keepable
    cold = bridged = 0
    unused: list[tuple[float, float]] = []
    upcoming = _NEVER
    if ident.sequential:  # one pool at most, which only the next job can take
        pool_release = pool_expiry = pool_launch = -math.inf
        for index in range(jobs):
            at = creates[index]
            if at < pool_expiry:  # warm: the pool was released by now (sequential)
                bridged += billable_seconds(at - pool_release)
                release, launch = warm_releases[index], pool_launch
            else:
                if pool_expiry > -math.inf:
                    unused.append((pool_release, pool_launch + cap))
                    if pool_launch + cap > at:  # expired by the keep-alive, not the cap
                        bridge = _bridging(pool_release, at)
                        if bridge < upcoming:
                            upcoming = bridge
                cold += 1
                release, launch = cold_releases[index], launches[index]
            if keepable[index] and release - launch < cap:
                pool_release, pool_launch = release, launch
                pool_expiry = min(release + keep, launch + cap)
            else:
                pool_release = pool_expiry = -math.inf
        if pool_expiry > -math.inf:
            unused.append((pool_release, pool_launch + cap))
        return cold, bridged, unused, upcoming
    # Jobs that overlap: pools wait for their release, then are Available in (release,
    # creation) order; a create takes the first that has not expired.
    pending: list[tuple[float, int, float]] = []  # (release, job, launch) of kept clusters
    available: list[tuple[float, int, float, float]] = []  # (release, job, expiry, launch)
    for index in range(jobs):
        at = creates[index]
        while pending and pending[0][0] <= at:
            release, job, launch = heapq.heappop(pending)
            heapq.heappush(available, (release, job, min(release + keep, launch + cap), launch))
        while available and available[0][2] <= at:
            release, _, _, launch = heapq.heappop(available)
            unused.append((release, launch + cap))
            if launch + cap > at:  # expired by the keep-alive, not the cap
                bridge = _bridging(release, at)
                if bridge < upcoming:
                    upcoming = bridge
        if available:
            release, _, _, launch = heapq.heappop(available)
            bridged += billable_seconds(at - release)
            release = warm_releases[index]
        else:
            cold += 1
            release, launch = cold_releases[index], launches[index]
        if keepable[index] and release - launch < cap:
            heapq.heappush(pending, (release, index, launch))
    unused += [(release, launch + cap) for release, _, launch in pending]
    unused += [(release, launch + cap) for release, _, _, launch in available]
    return cold, bridged, unused, upcoming


def _idle(outcome: _Outcome, keep: int) -> int:
    """The idle seconds (of one instance) of an outcome under keep-alive ``keep``."""
    idle = outcome[1]
    for release, end in outcome[2]:
        idle += billable_seconds(min(release + keep, end) - release)
    return idle


def _choose(members: Sequence[_Identity], model: CostModel, limit: int, cap: float) -> int:
    """The keep-alive of least modelled cost for a group of identities (the smallest of
    equals), from 0 to ``limit``.

    Between one keep-alive and the next at which a member's outcome could change
    (:func:`_model`), that member's cost only grows (its pools that expire unused idle
    longer), so the group's least cost is at 0 or at one of those points. At each, the members
    whose outcome may change are followed again; the others' costs are what their outcomes
    give at this keep-alive, computed only when their costs at their own last points (a lower
    bound) leave room to beat the best so far."""
    value = model.cold_start_value
    rates = [model.prices[ident.instance_type] * ident.count / 3600 for ident in members]
    best_keep = 0
    best_cost = sum(len(ident.creates) * value for ident in members)
    outcomes: list[_Outcome] = [(0, 0, [], 1)] * len(members)
    floors = [0.0] * len(members)  # each member's cost at its last point: a lower bound
    due: Sequence[int] = range(len(members))
    keep = 1
    while keep <= limit:
        for index in due:
            outcome = outcomes[index] = _model(members[index], keep, cap)
            floors[index] = _idle(outcome, keep) * rates[index] + outcome[0] * value
        cost = sum(floors)
        if len(due) < len(members) and cost < best_cost:
            cost = sum(
                _idle(outcome, keep) * rate + outcome[0] * value
                for outcome, rate in zip(outcomes, rates, strict=True)
            )
        if cost < best_cost and not _close(cost, best_cost):
            best_keep, best_cost = keep, cost
        keep = min(outcome[3] for outcome in outcomes)
        due = [index for index, outcome in enumerate(outcomes) if outcome[3] == keep]
    return best_keep


# -- advice ------------------------------------------------------------------------------------


def _role_name(role_arn: str) -> str:
    return role_arn.split(":role/", 1)[-1]


def _units(roles: Mapping[str, str], by: Literal["identity", "role"]) -> dict[str, tuple[str, ...]]:
    """The advice's units, by name: each identity, or each role with its identities (a role
    name two accounts share is told apart by its ARN)."""
    if by == "identity":
        return {label: (label,) for label in sorted(roles)}
    arns: dict[str, list[str]] = {}
    for label in sorted(roles):
        arns.setdefault(roles[label], []).append(label)
    names: dict[str, list[str]] = {}
    for arn in arns:
        names.setdefault(_role_name(arn), []).append(arn)
    units: dict[str, tuple[str, ...]] = {}
    for name, shared in names.items():
        for arn in shared:
            units[name if len(shared) == 1 else arn] = tuple(arns[arn])
    return dict(sorted(units.items()))


def _duration(seconds: float) -> str:
    """``45 s``, ``20 min``, ``5 min 1 s``, ``1 h``, ``1 h 30 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return " ".join(parts)


def _share(value: float) -> str:
    if 0 < value < 0.005:
        return "under 1%"
    if 0.995 <= value < 1:
        return "over 99%"
    return f"{value:.0%}"


def _saves(saved: int, idle_cost: float, days: float) -> str:
    """``saves 41 cold starts a day for $3.10 of idle time``; over the whole trace when that
    is less than about one a day."""
    per_day = saved / days
    if saved > 0 and per_day < 0.95:
        plural = "" if saved == 1 else "s"
        return (
            f"saves {saved:,} cold start{plural} in {days:,.1f} days for ${idle_cost:,.2f} of "
            "idle time"
        )
    shown_ = f"{per_day:,.0f}" if per_day >= 9.5 or per_day == round(per_day) else f"{per_day:.1f}"
    plural = "" if shown_ == "1" else "s"
    return f"saves {shown_} cold start{plural} a day for ${idle_cost / days:,.2f} of idle time"


def _sum(reports: Mapping[str, Figures], labels: Iterable[str], field: str) -> Any:
    total: Any = 0
    for label in labels:
        value = getattr(reports[label], field)
        total += 0 if value is None else value
    return total


def _break_even(model: CostModel, types: Iterable[tuple[str, int]]) -> float | None:
    """The break-even of a unit whose identities share one (``None`` if they differ)."""
    values = {model.break_even_seconds(t, c) for t, c in types}
    return values.pop() if len(values) == 1 else None


def _reason(
    keep: int | None,
    gaps: Sequence[float],
    jobs: int,
    saved: int,
    idle_cost: float,
    days: float,
    own: Sequence[int],
    modelled: int | None,
    quotas: bool,
    model: CostModel,
    limit: int,
    break_even: float | None,
) -> str:
    """The advice's one line: why this keep-alive."""
    if keep is None:
        return (
            "its jobs' own keep-alives ("
            + ", ".join(f"{value:,} s" for value in own)
            + ") cost less in the replay than any one keep-alive: keep them"
        )
    if keep > 0:
        under = sum(1 for gap in gaps if gap < keep) / len(gaps) if gaps else 0.0
        reason = (
            f"gaps under {_duration(keep)} in {_share(under)} of cases; a {keep:,} s keep-alive "
            + _saves(saved, idle_cost, days)
        )
        if tuple(own) == (keep,):
            reason += " (the trace's own setting)"
        return reason
    off = "no warm pool (keep-alive 0)"
    if modelled:  # the replay undid what the rows promised
        where = "under the quotas given" if quotas else "where every rule applies"
        return f"in the replay, {where}, a {modelled:,} s keep-alive saves nothing: {off}"
    if model.cold_start_value == 0:
        return f"a cold start is worth nothing (cold-start value $0): {off}"
    if not gaps:
        if jobs <= 1:
            return f"one job, no idle gap: {off}"
        return f"no idle gaps (each job starts before the one before it ends): {off}"
    over = sum(1 for gap in gaps if gap >= limit) / len(gaps)
    if over >= 0.5:
        return (
            f"gaps are mostly over {_duration(limit)} ({_share(over)}), longer than any "
            f"keep-alive: {off}"
        )
    if break_even is not None and math.isinf(break_even):
        return f"idle pools cost nothing here, yet no keep-alive saves a cold start: {off}"
    if break_even is not None:
        under = sum(1 for gap in gaps if gap < break_even) / len(gaps)
        shown_ = _duration(math.ceil(break_even))
        if under < 0.5:
            return (
                f"only {_share(under)} of gaps are under {shown_}, the break-even (idle that "
                f"long costs a cold start): {off}"
            )
        return (
            f"{_share(under)} of gaps are under {shown_}, the break-even, yet every keep-alive "
            f"costs more idle time than the cold starts it saves (a pool no job takes idles "
            f"its whole keep-alive): {off}"
        )
    return f"every keep-alive costs more idle time than the cold starts it saves: {off}"


def _check_prices(prices: Mapping[str, float] | None, types: Iterable[str]) -> None:
    missing = sorted(set(types) - set(prices or {}))
    if missing:
        raise AdviceError(
            "advise: prices: advice weighs idle time against cold starts, so it needs the "
            f"price of every instance type of the trace; none for {', '.join(missing)} "
            "(--price TYPE=USD_PER_HOUR)"
        )


def advise(
    trace: Iterable[TraceJob],
    *,
    prices: Mapping[str, float],
    cold_start_value: float = 0.0,
    quotas: Mapping[str, Quota] | None = None,
    default_quota: Quota | None = None,
    limits: Limits = Limits.GUIDE_2022,
    timing: Timing | None = None,
    group_by: Literal["identity", "role", "auto"] = "auto",
    max_identities: int = MAX_IDENTITIES,
) -> Advice:
    """Advise a keep-alive for each identity of ``trace`` (or each role, see ``group_by``) and
    a warm pool quota for each instance type, verified by replays (see the module's text and
    ``docs/policies.md``).

    ``prices`` (USD per instance-hour) must name every instance type of the trace, and
    ``cold_start_value`` is what a cold start costs (:class:`~warmpool.sim.policies.CostModel`);
    ``quotas``, ``default_quota``, ``limits`` and ``timing`` are :func:`~warmpool.sim.replay`'s,
    the same for every replay. ``group_by`` is ``"identity"``, ``"role"`` or ``"auto"``: per
    identity unless there are more than ``max_identities``. A bad argument raises
    :class:`AdviceError` naming it; a row the emulator refuses, the replay's ``TraceError``.
    """
    if group_by not in GROUPINGS:
        raise AdviceError(
            f"advise: group_by must be one of {', '.join(GROUPINGS)}, not {shown(group_by)}"
        )
    if (
        isinstance(max_identities, bool)
        or not isinstance(max_identities, int)
        or max_identities < 1
    ):
        raise AdviceError(
            f"advise: max_identities must be a whole number >= 1, not {shown(max_identities)}"
        )
    if not isinstance(prices, Mapping):
        raise AdviceError(
            f"advise: prices must be a mapping of instance type to USD per instance-hour, not "
            f"{shown(prices)}"
        )
    try:
        model = CostModel(prices, cold_start_value=cold_start_value)
    except PolicyError as error:
        raise AdviceError(f"advise: {error}") from None
    timing = Timing() if timing is None else timing
    source = str(getattr(trace, "path", "<trace>"))
    rows: Iterable[TraceJob] = trace if isinstance(trace, Trace) else tuple(trace)
    options: dict[str, Any] = {
        "quotas": quotas,
        "default_quota": default_quota,
        "limits": limits,
        "timing": timing,
        "prices": dict(model.prices),
        "cold_start_value": model.cold_start_value,
    }

    # 1. Without warm pools, noting each row's identity.
    watch = _Watching({}, 0, "fixed:0")
    without = replay(rows, keep_alive=watch, **options)
    _check_prices(model.prices, without.by_instance_type)
    roles, types = watch.roles, watch.types
    by: Literal["identity", "role"]
    if group_by == "auto":
        by = "identity" if len(roles) <= max_identities else "role"
    else:
        by = group_by
    units = _units(roles, by)

    # 2. The model: each identity's jobs, then each unit's cheapest keep-alive.
    idents = {label: _Identity(*types[label]) for label in roles}
    for row, label in zip(rows, watch.labels, strict=True):
        idents[label].add(row, timing)
    cap = float(limits.max_pool_lifetime_seconds)
    chosen: dict[str, int | None] = {
        name: _choose(
            [idents[label] for label in labels], model, limits.max_keep_alive_seconds, cap
        )
        for name, labels in units.items()
    }
    own_of = {
        name: sorted(set().union(*(idents[x].own for x in labels)))
        for name, labels in units.items()
    }

    # 3. Verify by replays. A unit whose advice costs more there than no warm pools or its own
    # settings gets the cheaper of them; one whose keep-alive saves nothing gets 0.
    modelled = dict(chosen)
    own = replay(rows, keep_alive=None, **options)
    advised, gaps = _verify(rows, units, chosen, options)
    for _ in range(_ROUNDS):
        changed = False
        for name, labels in units.items():
            cost = _sum(advised.by_identity, labels, "keep_alive_cost")
            none_cost = _sum(without.by_identity, labels, "keep_alive_cost")
            own_cost = _sum(own.by_identity, labels, "keep_alive_cost")
            instead = chosen[name]
            if _above(cost, min(none_cost, own_cost)):
                instead = _baseline(none_cost, own_cost, own_of[name])
            elif instead != 0 and not _above(none_cost, cost):
                instead = 0
            if instead != chosen[name]:
                chosen[name] = instead
                changed = True
        if not changed:
            break
        advised, gaps = _verify(rows, units, chosen, options)
    assert advised.keep_alive_cost is not None
    assert without.keep_alive_cost is not None and own.keep_alive_cost is not None
    if _above(advised.keep_alive_cost, min(without.keep_alive_cost, own.keep_alive_cost)):
        # Quotas shared by identities undo the parts: advise the cheaper baseline for all.
        none_first = without.keep_alive_cost <= own.keep_alive_cost
        chosen = {
            name: 0 if none_first else _baseline(math.inf, 0.0, own_of[name]) for name in units
        }
        advised, gaps = _verify(rows, units, chosen, options)

    return _advice(
        source=source,
        by=by,
        units=units,
        chosen=chosen,
        own_of=own_of,
        modelled=modelled,
        gaps=gaps,
        types=types,
        rows=rows,
        model=model,
        limits=limits,
        timing=timing,
        quotas=quotas,
        default_quota=default_quota,
        advised=advised,
        without=without,
        own=own,
    )


def _baseline(none_cost: float, own_cost: float, own: Sequence[int]) -> int | None:
    """The cheaper of no warm pools (0) and the trace's own settings (their one keep-alive,
    or ``None``: each job's own)."""
    if none_cost <= own_cost:
        return 0
    return own[0] if len(own) == 1 else None


def _verify(
    rows: Iterable[TraceJob],
    units: Mapping[str, tuple[str, ...]],
    chosen: Mapping[str, int | None],
    options: Mapping[str, Any],
) -> tuple[Report, dict[str, list[float]]]:
    keep_alives = {label: chosen[name] for name, labels in units.items() for label in labels}
    watch = _Watching(keep_alives, None, Advised.name)
    report = replay(rows, keep_alive=watch, **options)
    return report, watch.gaps


def _span(rows: Iterable[TraceJob]) -> float:
    first = last = None
    for row in rows:
        if first is None:
            first = row.submit_time
        last = row.submit_time
    if first is None or last is None:
        return _DAY
    return float(max(last - first, _DAY))


def _advice(
    *,
    source: str,
    by: Literal["identity", "role"],
    units: Mapping[str, tuple[str, ...]],
    chosen: Mapping[str, int | None],
    own_of: Mapping[str, Sequence[int]],
    modelled: Mapping[str, int | None],
    gaps: Mapping[str, list[float]],
    types: Mapping[str, tuple[str, int]],
    rows: Iterable[TraceJob],
    model: CostModel,
    limits: Limits,
    timing: Timing,
    quotas: Mapping[str, Quota] | None,
    default_quota: Quota | None,
    advised: Report,
    without: Report,
    own: Report,
) -> Advice:
    span = _span(rows)
    days = span / _DAY
    limit = limits.max_keep_alive_seconds
    keep_alives: dict[str, KeepAliveAdvice] = {}
    for name, labels in units.items():
        unit_gaps = sorted(g for label in labels for g in gaps.get(label, ()))
        cold = _sum(advised.by_identity, labels, "cold_starts") + _sum(
            advised.by_identity, labels, "training_quota_refusals"
        )
        cold_without = _sum(without.by_identity, labels, "cold_starts") + _sum(
            without.by_identity, labels, "training_quota_refusals"
        )
        idle = _sum(advised.by_identity, labels, "retained_cost")
        cost = _sum(advised.by_identity, labels, "keep_alive_cost")
        cost_none = _sum(without.by_identity, labels, "keep_alive_cost")
        cost_own = _sum(own.by_identity, labels, "keep_alive_cost")
        jobs = _sum(advised.by_identity, labels, "jobs")
        keep = chosen[name]
        bridgeable = (
            sum(1 for gap in unit_gaps if gap < keep) / len(unit_gaps)
            if unit_gaps and keep
            else 0.0
        )
        reason = _reason(
            keep,
            unit_gaps,
            jobs,
            cold_without - cold,
            idle,
            days,
            own_of[name],
            modelled[name],
            bool(quotas) or default_quota is not None,
            model,
            limit,
            _break_even(model, (types[label] for label in labels)),
        )
        keep_alives[name] = KeepAliveAdvice(
            name=name,
            identities=labels,
            jobs=jobs,
            keep_alive=keep,
            own_keep_alives=tuple(own_of[name]),
            reason=reason,
            gaps=len(unit_gaps),
            gaps_bridgeable=bridgeable,
            cold_starts=cold,
            cold_starts_saved=cold_without - cold,
            idle_cost=idle,
            cost=cost,
            cost_without_warm_pools=cost_none,
            cost_with_own_settings=cost_own,
            monthly_savings_vs_no_warm_pools=_month(span, cost_none - cost),
            monthly_savings_vs_own_settings=_month(span, cost_own - cost),
        )
    quota_advice: dict[str, QuotaAdvice] = {}
    for instance_type, figures in advised.by_instance_type.items():
        quota = (quotas or {}).get(instance_type, default_quota)
        given = None if quota is None or quota.warm_pool >= UNLIMITED else quota.warm_pool
        peak = figures.peak_retained_instances
        refused = figures.warm_pool_quota_refusals
        if peak == 0 and not refused:
            reason = "no warm pool advised: none needed"
        else:
            reason = (
                f"the advised keep-alives hold at most {peak:,} instance"
                f"{'' if peak == 1 else 's'} in warm pools at once"
            )
        if refused and given is not None:
            reason += (
                f"; the quota given ({given:,}) left {refused:,} cluster"
                f"{'' if refused == 1 else 's'} unkept: a higher one would keep them"
            )
        quota_advice[instance_type] = QuotaAdvice(
            instance_type=instance_type,
            warm_pool_quota=peak,
            given=given,
            warm_pool_quota_refusals=refused,
            reason=reason,
        )
    assert advised.keep_alive_cost is not None
    assert without.keep_alive_cost is not None and own.keep_alive_cost is not None
    return Advice(
        source=source,
        jobs=advised.jobs,
        group_by=by,
        span_seconds=span,
        keep_alives=keep_alives,
        quotas=quota_advice,
        cost=advised.keep_alive_cost,
        cost_without_warm_pools=without.keep_alive_cost,
        cost_with_own_settings=own.keep_alive_cost,
        cold_start_value=model.cold_start_value,
        limits=limits,
        timing=timing,
        report=advised,
        without_warm_pools=without,
        with_own_settings=own,
    )
