"""The hindsight optimum of a trace, and the regret of a replay against it (``docs/policies.md``).

:func:`optimum` reads a finished trace and finds, per identity, the cheapest keep-alive choices
knowing the future: for each idle gap, keep the pool through it (its idle cost) or let it go
(a cold start), under the same limits, timing and quotas as a replay. Where that is exactly
solvable (an identity whose jobs never overlap, with no quota that could bind) it is exact,
the chain cap included; elsewhere (jobs of one identity that may overlap and compete for
pools, a training quota that may refuse jobs, a warm pool quota that may refuse pools) it is a
lower bound: no replay of the trace, whatever its keep-alives, costs less. So
:func:`regret`, a replay's ``keep_alive_cost`` over the optimum's ``cost``, is never below 1.

:meth:`Optimum.policy` is an oracle: a policy that replays the optimum's choices. On exact
identities it costs exactly the optimum; elsewhere it plays a clairvoyant heuristic, so its
cost is an upper end of where the true optimum lies.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from warmpool import KEEPABLE_FAILURES, IdentityKey, Limits, Quota, Timing, identity_key
from warmpool.billing import billable_seconds

from .policies import CostModel, Decision, IdleGap, PolicyError
from .replay import UNLIMITED, Report, _config_of, _in_order, identity_label, request_for
from .trace import Trace, TraceJob

__all__ = [
    "Optimum",
    "OptimumFigures",
    "Oracle",
    "optimum",
    "regret",
    "regret_by",
    "with_optimum",
]


@attrs.frozen
class OptimumFigures:
    """The optimum's figures for the whole trace or one group of its jobs (priced groups
    only). ``cold_starts`` counts the jobs that pay a cold start's cost (cold starts and, under
    a training quota, refusals); ``exact`` is False where the figures are a lower bound."""

    jobs: int = 0
    warm_starts: int = 0
    cold_starts: int = 0
    retained_instance_seconds: int = 0
    idle_cost: float = 0.0
    cold_start_cost: float = 0.0
    cost: float = 0.0
    exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False)


@attrs.frozen
class Optimum(OptimumFigures):
    """The hindsight optimum of a trace (see :func:`optimum`), in all and ``by_identity`` and
    ``by_instance_type`` (labelled as a replay's report labels them), with the settings it was
    computed for."""

    by_instance_type: Mapping[str, OptimumFigures] = attrs.field(factory=dict, kw_only=True)
    by_identity: Mapping[str, OptimumFigures] = attrs.field(factory=dict, kw_only=True)
    #: Instance types with jobs but no price: left out, as from a report's costs.
    unpriced_instance_types: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    cold_start_value: float = attrs.field(default=0.0, kw_only=True)
    limits: Limits = attrs.field(default=Limits.GUIDE_2022, kw_only=True)
    timing: Timing = attrs.field(factory=Timing, kw_only=True)
    #: The oracle's keep-alive for each row (by its place in the trace, from 0).
    keep_alives: array[int] = attrs.field(
        factory=lambda: array("q"), kw_only=True, eq=False, repr=False
    )

    def policy(self) -> Oracle:
        """A new :class:`Oracle` that replays these choices (on the same trace and settings)."""
        return Oracle(self.keep_alives)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain values (JSON-ready)."""
        figures = {f.name: getattr(self, f.name) for f in attrs.fields(OptimumFigures)}
        return {
            **figures,
            "cold_start_value": self.cold_start_value,
            "limits": attrs.asdict(self.limits),
            "timing": attrs.asdict(self.timing),
            "unpriced_instance_types": list(self.unpriced_instance_types),
            "by_instance_type": {k: v.to_dict() for k, v in self.by_instance_type.items()},
            "by_identity": {k: v.to_dict() for k, v in self.by_identity.items()},
        }


class Oracle:
    """A policy that knows the future: each row's keep-alive as :func:`optimum` chose it.

    Replayed on the trace and settings it was computed for, without quotas that bind, it
    costs exactly the optimum on every exact identity."""

    name = "hindsight"

    def __init__(self, keep_alives: array[int]) -> None:
        self._keep_alives = keep_alives

    def keep_alive(self, decision: Decision) -> int:
        if decision.number > len(self._keep_alives):
            raise PolicyError(
                f"the hindsight oracle knows {len(self._keep_alives)} rows, but was asked for "
                f"row {decision.number}: replay it on the trace its optimum was computed for"
            )
        return min(self._keep_alives[decision.number - 1], decision.max_keep_alive)

    def observe(self, gap: IdleGap) -> None:
        pass


# -- a row's release -----------------------------------------------------------------------------


def _releases(row: TraceJob, submit: float, timing: Timing) -> tuple[float, float, bool]:
    """When the row's training ends after a warm start and after a cold start (computed as
    the replay and the emulator compute it, to the same float), and whether its cluster can
    then be kept (D10: a launched cluster, not failed ``Unhealthy``)."""
    seconds, limit = row.training_seconds, row.max_runtime_seconds
    warm = submit + timing.warm_start_seconds
    cold = submit + timing.cold_start_seconds
    if row.outcome == "Stopped":
        if seconds < limit:  # the replay stops it; Stopping lasts stopping_seconds
            stopping = timing.stopping_seconds
            return (warm + seconds) + stopping, (cold + seconds) + stopping, True
        return warm + limit, cold + limit, True  # its max runtime comes first
    if seconds <= limit:
        keepable = row.outcome == "Completed" or row.outcome in KEEPABLE_FAILURES
        return warm + seconds, cold + seconds, keepable
    return warm + limit, cold + limit, True  # MaxRuntimeExceeded: Stopped, healthy


# -- one identity ---------------------------------------------------------------------------------

#: A job of a block: its place in the trace, create time, release after a warm and after a
#: cold start, and whether its cluster can be kept.
_Job = tuple[int, float, float, float, bool]


class _Identity:
    """One identity's jobs, a block at a time, and what the optimum found so far."""

    __slots__ = (
        "block",
        "can_keep",
        "cold_value",
        "count",
        "exact",
        "figures",
        "instance_type",
        "latest_release",
        "price",
        "refusable",
        "sequential",
        "unbounded",
    )

    def __init__(
        self, instance_type: str, count: int, price: float | None, quota: Quota, cold: float
    ) -> None:
        self.instance_type = instance_type
        self.count = count
        self.price = price
        self.cold_value = cold
        self.block: list[_Job] = []
        self.latest_release = -math.inf  # the latest release any job of the block may have
        self.sequential = True  # each job of the block created after the last one's release
        self.can_keep = quota.warm_pool >= count  # a pool of this identity can be kept at all
        self.refusable = quota.training is not None  # a create may be refused
        self.unbounded = quota.warm_pool >= UNLIMITED
        # The bound is exact unless a quota may bind or jobs may overlap (see solve_*).
        self.exact = not self.can_keep or (not self.refusable and self.unbounded)
        self.figures = [0, 0, 0, 0]  # jobs, warm starts, cold starts, retained instance-seconds


class _Solver:
    """The optimum of a trace, identity by identity, block by block.

    A *block* of an identity is a run of its jobs that no warm pool can outlive: a new block
    starts at a job created at least ``max_keep_alive`` after every earlier job's latest
    possible release, so no earlier pool is still there (every pool expires within its
    keep-alive) and the job starts cold. Blocks are solved apart.
    """

    def __init__(
        self,
        limits: Limits,
        timing: Timing,
        model: CostModel,
        quotas: Mapping[str, Quota],
        default: Quota,
    ) -> None:
        self.limit = limits.max_keep_alive_seconds
        self.cap = limits.max_pool_lifetime_seconds
        self.timing = timing
        self.model = model
        self.quotas = quotas
        self.default = default
        self.keep_alives: array[int] = array("q")
        self.identities: dict[str, _Identity] = {}
        self.labels: dict[IdentityKey, str] = {}
        self.configs: dict[tuple[Any, ...], tuple[_Identity, str]] = {}
        self.types: dict[str, int] = {}  # instance type -> jobs

    def add(self, row: TraceJob, number: int) -> None:
        config = _config_of(row)
        known = self.configs.get(config)
        if known is None:
            known = self._configure(row, config)
        ident = known[0]
        self.types[row.instance_type] = self.types.get(row.instance_type, 0) + 1
        self.keep_alives.append(0)
        at = row.submit_time
        warm, cold, keepable = _releases(row, at, self.timing)
        if ident.block and at >= ident.latest_release + self.limit:
            self._solve(ident)
        block = ident.block
        if block:
            previous = block[-1]
            if at < max(previous[2], previous[3]):  # may start before the last one ends
                ident.sequential = False
        block.append((number, at, warm, cold, keepable))
        ident.latest_release = max(ident.latest_release, warm, cold)

    def _configure(self, row: TraceJob, config: tuple[Any, ...]) -> tuple[_Identity, str]:
        request = request_for(row, "", None)
        key = identity_key(request)
        label = self.labels.get(key)
        if label is None:  # as the replay labels identities (two keys, one label: + role)
            label = identity_label(request)
            if label in self.identities:
                label = f"{label} ({key.role_arn})"
            self.labels[key] = label
            price = self.model.prices.get(row.instance_type)
            quota = self.quotas.get(row.instance_type, self.default)
            cold = self.model.cold_start_cost(row.instance_type, row.instance_count)
            self.identities[label] = _Identity(
                row.instance_type, row.instance_count, price, quota, cold
            )
        known = (self.identities[label], label)
        if len(self.configs) >= 10_000:
            self.configs.clear()
        self.configs[config] = known
        return known

    def finish(self) -> None:
        for ident in self.identities.values():
            if ident.block:
                self._solve(ident)

    def _solve(self, ident: _Identity) -> None:
        block = ident.block
        figures = ident.figures
        figures[0] += len(block)
        if ident.price is None:  # unpriced: left out; the oracle keeps no pool
            pass
        elif not ident.can_keep:  # no pool can be kept: every job pays a cold start
            figures[2] += len(block)
        elif ident.sequential:
            self._solve_sequence(ident, block)
        else:
            ident.exact = False
            self._solve_relaxed(ident, block)
        ident.block = []
        ident.latest_release = -math.inf
        ident.sequential = True

    def _bridge(self, gap: float, ident: _Identity) -> int | None:
        """Instance-seconds retained to bridge an idle gap of ``gap`` seconds, or ``None`` if
        no keep-alive can (the pool would have expired: a create at the expiry instant finds
        it gone)."""
        if gap < 0 or gap >= self.limit:
            return None
        return billable_seconds(gap) * ident.count

    def _keep(self, release: float, create: float) -> int:
        """The keep-alive that keeps a pool released at ``release`` until ``create``."""
        keep = math.floor(create - release) + 1
        if release + keep <= create:  # float noise at the edge: one more second
            keep += 1
        return min(keep, self.limit)

    def _solve_sequence(self, ident: _Identity, block: list[_Job]) -> None:
        """The exact optimum of a block whose jobs never overlap (whatever their starts).

        Then at most one pool of the identity exists at a time, and job ``j`` can only take
        over job ``j-1``'s. The block splits into chains: a job that starts cold (the chain's
        head), then jobs that each take over the previous one's pool. A chain's cost is one
        cold start plus its bridges' idle cost, and does not depend on the chains before it
        (its head is cold whatever they did), so the cheapest split is a shortest path over
        the jobs: ``best[b]`` = min over heads ``a`` of ``best[a] + chain(a, b)``, with the
        bridges' feasibility (the keep-alive limit, a cluster that can be kept) and the
        chain cap (every reuse before ``launch + max_pool_lifetime_seconds``) limiting the
        heads to a window that only moves forward: O(jobs) with a monotone queue.

        A training quota changes nothing to the bound: a create that takes over a pool is
        never refused, so a refused job had no pool to take, and nor has the job after it
        (every earlier job was released before the refused one was created); a refusal costs
        what a cold start costs. The quota can make the bound unreachable, not lower.
        """
        m = len(block)
        cold_value = ident.cold_value
        price = ident.price
        assert price is not None
        per_second = price / 3600  # USD per instance-second
        cold_start = self.timing.cold_start_seconds
        cap = self.cap
        # warm[j]: instance-seconds of the bridge into j from j-1 started warm (None: none).
        warm: list[int | None] = [None] * m
        prefix = [0] * (m + 1)  # prefix[k]: sum of the feasible warm[1..k]
        for j in range(1, m):
            previous = block[j - 1]
            bridge = self._bridge(block[j][1] - previous[2], ident) if previous[4] else None
            warm[j] = bridge
            prefix[j] = prefix[j - 1] + (bridge or 0)
        # first[a]: instance-seconds of the bridge into a+1 from a started cold.
        first: list[int | None] = [None] * m
        for a in range(m - 1):
            job = block[a]
            if job[4]:
                first[a] = self._bridge(block[a + 1][1] - job[3], ident)
        best = [0.0] * (m + 1)  # best[k]: the cheapest cost of the block's first k jobs
        head = list(range(m))  # head[b]: the head of the chain that ends at b
        queue: deque[tuple[float, int]] = deque()  # (value, head a), values increasing
        broken = 0  # a chain to b may not start before this head (an impossible bridge)
        cap_start = 0  # nor before this one (the chain cap)
        for b in range(m):
            at = block[b][1]
            top = best[b] + cold_value  # b heads its own chain
            if b >= 1:
                if b >= 2 and warm[b] is None:
                    broken = b - 1
                while cap_start < b and (block[cap_start][1] + cold_start) + cap <= at:
                    cap_start += 1
                a = b - 1
                bridge = first[a]
                if bridge is not None:
                    value = best[a] + cold_value + per_second * (bridge - prefix[a + 1])
                    while queue and queue[-1][0] >= value:
                        queue.pop()
                    queue.append((value, a))
                start = max(broken, cap_start)
                while queue and queue[0][1] < start:
                    queue.popleft()
                if queue:
                    cost = queue[0][0] + per_second * prefix[b]
                    if cost < top:
                        top, head[b] = cost, queue[0][1]
            best[b + 1] = top
        figures = ident.figures
        keep_alives = self.keep_alives
        b = m - 1
        while b >= 0:
            a = head[b]
            figures[2] += 1
            figures[1] += b - a
            if b > a:
                bridge = first[a]
                assert bridge is not None
                figures[3] += bridge + prefix[b] - prefix[a + 1]
                keep_alives[block[a][0] - 1] = self._keep(block[a][3], block[a + 1][1])
                for j in range(a + 1, b):
                    keep_alives[block[j][0] - 1] = self._keep(block[j][2], block[j + 1][1])
            b = a - 1

    def _solve_relaxed(self, ident: _Identity, block: list[_Job]) -> None:
        """A lower bound for a block whose jobs may overlap: the larger of two relaxations,
        each no more than any replay of the block can cost.

        *Per job*: a job costs at least the cheaper of a cold start and the idle cost of the
        shortest gap any earlier job's pool could have to it (from the latest release, after
        a warm or a cold start, that is no later than its create). Jobs that take over pools
        take different ones, each idle until that job's create, so the sum is a bound.

        *Matching*: a pool serves one job, so the jobs that start warm are matched to
        distinct earlier jobs. The cheapest such matching, with each pair's idle time taken
        from the donor's latest possible release (after a cold start) while the donor is
        available from its earliest (after a warm start), the maximum keep-alive ignored and
        no rounding up to whole seconds, is a bound; its cost is ``jobs x cold start - sum of
        (cold start - idle cost)`` over the pairs, found greedily (:class:`_Matching`).

        A job that no pool could reach (every earlier release at least the maximum keep-alive
        before it) starts cold, so only its release after a cold start counts in both. The
        oracle keeps a pool until the identity's next create after its release when that
        costs less than a cold start.
        """
        price = ident.price
        assert price is not None
        per_second = price / 3600
        count = ident.count
        cold_value = ident.cold_value
        rate = per_second * count  # USD per second of an idle pool
        scale = math.inf if rate == 0 else cold_value / rate  # break-even seconds
        # Per job: (warm starts, cold starts, instance-seconds); matching: (matched, profit).
        warm_jobs = cold_jobs = retained = 0
        releases: list[float] = []  # possible releases to come (per job)
        pending: list[tuple[float, float]] = []  # (available from, latest release) to come
        matching = _Matching(scale)
        latest = -math.inf  # the latest possible release no later than now
        latest_possible = -math.inf  # the latest possible release of a donor available now
        for _, at, warm, cold, keepable in block:
            while releases and releases[0] <= at:
                latest = max(latest, heapq.heappop(releases))
            while pending and pending[0][0] <= at:
                _, release = heapq.heappop(pending)
                latest_possible = max(latest_possible, release)
                matching.donor(release)
            reachable = at - latest_possible < self.limit
            bridge = self._bridge(at - latest, ident) if latest > -math.inf else None
            if bridge is not None and per_second * bridge < cold_value:
                warm_jobs += 1
                retained += bridge
            else:
                cold_jobs += 1
            if cold_value > 0:
                matching.job(at)
            if keepable:
                if reachable:  # it may start warm and release then
                    early, late = min(warm, cold), max(warm, cold)
                else:  # no pool to take over: it starts cold
                    early = late = cold
                heapq.heappush(pending, (early, late))
                heapq.heappush(releases, early)
                if late != early:
                    heapq.heappush(releases, late)
        jobs = len(block)
        per_job = cold_jobs * cold_value + per_second * retained
        matched, profit = matching.matched, matching.savings
        if math.isinf(scale):  # free pools: only the cold starts count
            by_matching = (jobs - matched) * cold_value
            idle = 0.0
        else:
            by_matching = jobs * cold_value - rate * profit
            idle = matched * scale - profit  # seconds idle in the matching (may be < 0)
        figures = ident.figures
        # The matching counts a pair's idle time from the donor's latest possible release,
        # which can be after the create (a donor that started warm): its total can then be
        # below zero, which no breakdown into cold starts and retained seconds shows; the
        # per-job bound stands in for it then. Retained seconds are rounded down (to the
        # microsecond first, against float noise), so the figures stay a bound.
        if by_matching > per_job and idle >= 0:
            figures[1] += matched
            figures[2] += jobs - matched
            figures[3] += math.floor(round(idle * count, 6))
        else:
            figures[1] += warm_jobs
            figures[2] += cold_jobs
            figures[3] += retained
        creates = [job[1] for job in block]
        for index, (number, _, warm, cold, keepable) in enumerate(block):
            if not keepable:
                continue
            early, late = min(warm, cold), max(warm, cold)
            following = _first_at_or_after(creates, late, index + 1)
            if following is None:
                continue
            bridge = self._bridge(following - late, ident)
            if bridge is not None and per_second * bridge < cold_value:
                self.keep_alives[number - 1] = self._keep(early, following)


class _Matching:
    """The most a set of jobs can save by taking over pools of earlier jobs, one job a pool.

    In time order, :meth:`donor` makes a pool available, with the release its idle time counts
    from (which may be later than when it is available: a job's latest possible release), and
    :meth:`job` is a create that may take one. Taking a pool released at ``r`` at time ``c``
    saves ``scale - (c - r)`` seconds of break-even (``scale``: a cold start's cost over the
    idle cost per second; infinite for free idle pools). ``savings`` is the largest total over
    all matchings of jobs to distinct earlier pools, and ``matched`` how many jobs it matches.

    Greedy: each job takes the available pool released last, if that saves anything. A later
    job saves less than an earlier one from any given pool (its idle time is longer), so
    leaving a pool for a later job never helps, and the pool released last is the one every
    later job would value most too: an exchange argument makes the greedy optimal (and a test
    checks it against brute force).
    """

    __slots__ = ("heap", "matched", "savings", "scale")

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.heap: list[float] = []  # -release of each pool available and not taken
        self.matched = 0
        self.savings = 0.0

    def donor(self, release: float) -> None:
        heapq.heappush(self.heap, -release)

    def job(self, at: float) -> None:
        heap = self.heap
        if heap and self.scale - at - heap[0] > 0:
            self.savings += self.scale - at - heapq.heappop(heap)
            self.matched += 1


def _first_at_or_after(values: list[float], at: float, start: int) -> float | None:
    index = bisect_left(values, at, start)
    return values[index] if index < len(values) else None


def optimum(
    trace: Iterable[TraceJob],
    *,
    prices: Mapping[str, float],
    cold_start_value: float = 0.0,
    quotas: Mapping[str, Quota] | None = None,
    default_quota: Quota | None = None,
    limits: Limits = Limits.GUIDE_2022,
    timing: Timing | None = None,
) -> Optimum:
    """The hindsight optimum of ``trace`` under the cost model (``prices``,
    ``cold_start_value``) and the same settings as :func:`~warmpool.sim.replay` takes.

    Per identity (jobs whose pools can move to one another), knowing every row: for each
    idle gap, the cheaper of keeping the pool through it and a cold start, where a gap as
    long as the maximum keep-alive cannot be bridged, a cluster that failed ``Unhealthy``
    cannot be kept, a chain lives at most ``max_pool_lifetime_seconds`` from its launch, and
    a job's release depends on whether it started warm or cold. Exact (``exact``) for an
    identity whose jobs never overlap, whatever their starts, and whose instance type has no
    training quota and no warm pool quota that could bind (none, or below one pool: then no
    pool is ever kept); elsewhere a lower bound (see ``docs/policies.md``). Instance types
    without a price are left out, as from a report's costs.
    """
    model = CostModel(prices, cold_start_value=cold_start_value)
    timing = Timing() if timing is None else timing
    default = Quota(training=None, warm_pool=UNLIMITED) if default_quota is None else default_quota
    solver = _Solver(limits, timing, model, quotas or {}, default)
    source = str(getattr(trace, "path", "<trace>"))
    rows = trace if isinstance(trace, Trace) else _in_order(trace, source)
    for number, row in enumerate(rows, 1):
        solver.add(row, number)
    solver.finish()
    return _result(solver, model, limits, timing)


def _figures(
    jobs: int, warm: int, cold: int, retained: int, price: float, value: float, exact: bool
) -> OptimumFigures:
    idle = retained * price / 3600
    cold_cost = cold * value
    return OptimumFigures(jobs, warm, cold, retained, idle, cold_cost, idle + cold_cost, exact)


def _result(solver: _Solver, model: CostModel, limits: Limits, timing: Timing) -> Optimum:
    value = model.cold_start_value
    by_identity: dict[str, OptimumFigures] = {}
    sums: dict[str, list[int]] = {}
    type_exact: dict[str, bool] = {}
    for label in sorted(solver.identities):
        ident = solver.identities[label]
        if ident.price is None:
            continue
        jobs, warm, cold, retained = ident.figures
        by_identity[label] = _figures(jobs, warm, cold, retained, ident.price, value, ident.exact)
        total = sums.setdefault(ident.instance_type, [0, 0, 0, 0])
        for index, figure in enumerate(ident.figures):
            total[index] += figure
        type_exact[ident.instance_type] = type_exact.get(ident.instance_type, True) and ident.exact
    by_type = {}
    for instance_type in sorted(sums):
        jobs, warm, cold, retained = sums[instance_type]
        by_type[instance_type] = _figures(
            jobs,
            warm,
            cold,
            retained,
            model.prices[instance_type],
            value,
            type_exact[instance_type],
        )
    # Summed per instance type in order, as a report sums its costs, so that equal choices
    # give equal totals to the last bit.
    idle = sum(f.idle_cost for f in by_type.values())
    cold_cost = sum(f.cold_start_cost for f in by_type.values())
    return Optimum(
        jobs=sum(f.jobs for f in by_type.values()),
        warm_starts=sum(f.warm_starts for f in by_type.values()),
        cold_starts=sum(f.cold_starts for f in by_type.values()),
        retained_instance_seconds=sum(f.retained_instance_seconds for f in by_type.values()),
        idle_cost=idle,
        cold_start_cost=cold_cost,
        cost=idle + cold_cost,
        exact=all(f.exact for f in by_type.values()),
        by_instance_type=by_type,
        by_identity=by_identity,
        unpriced_instance_types=tuple(t for t in sorted(solver.types) if t not in model.prices),
        cold_start_value=value,
        limits=limits,
        timing=timing,
        keep_alives=solver.keep_alives,
    )


# -- regret ---------------------------------------------------------------------------------------


def _ratio(cost: float, best: float) -> float:
    if best > 0:
        return cost / best
    return 1.0 if cost <= 0 else math.inf


def _check(report: Report, best: Optimum) -> float:
    if report.keep_alive_cost is None:
        raise ValueError(
            "regret needs the report's keep_alive_cost: replay with prices (the same as the "
            "optimum's)"
        )
    if report.cold_start_value != best.cold_start_value:
        raise ValueError(
            f"the report's cold_start_value ({report.cold_start_value}) is not the optimum's "
            f"({best.cold_start_value}): costs under two cost models cannot be compared"
        )
    if report.limits != best.limits or report.timing != best.timing:
        raise ValueError(
            "the report and the optimum were computed with different limits or timing: "
            "compute the optimum with the replay's settings"
        )
    return report.keep_alive_cost


def regret(report: Report, best: Optimum) -> float:
    """``report.keep_alive_cost / best.cost``: how many times the optimum the replay paid
    (1.0: optimal). Never below 1, since the optimum is exact or a lower bound. 1.0 when both
    cost nothing; ``inf`` when only the optimum does (with ``cold_start_value=0`` the optimum
    keeps no pool and costs nothing, so any idle pool is pure loss). The report and the
    optimum must come from the same trace, prices, cold-start value, limits and timing (the
    last three are checked)."""
    return _ratio(_check(report, best), best.cost)


def regret_by(
    report: Report, best: Optimum, group: Literal["identity", "instance_type"]
) -> dict[str, float]:
    """:func:`regret` of each identity or instance type (the priced ones)."""
    _check(report, best)
    figures = report.by_identity if group == "identity" else report.by_instance_type
    bests = best.by_identity if group == "identity" else best.by_instance_type
    ratios = {}
    for name, optimal in bests.items():
        cost = figures[name].keep_alive_cost
        assert cost is not None
        ratios[name] = _ratio(cost, optimal.cost)
    return ratios


def with_optimum(report: Report, best: Optimum) -> Report:
    """``report`` with its ``optimum_cost``, ``optimum_exact`` and ``regret`` filled in."""
    return attrs.evolve(
        report, optimum_cost=best.cost, optimum_exact=best.exact, regret=regret(report, best)
    )
