"""warmpool.sim.optimum: the hindsight optimum of a trace, and regret (docs/policies.md, behaviour
§13.5).

Hand-solved traces use ml.m5.xlarge at 3.6 USD an instance-hour (0.001 USD an idle second for
one instance) and a cold start worth 1 USD, so bridging a gap of g seconds costs g/1000 USD;
default timing (cold start 180 s, warm start 20 s). The properties check that no replay, with
any policy, quota, limit or timing, costs less than the optimum (regret >= 1), that the
optimum is no more than the best of every keep-alive choice found by brute force, and that
the oracle reaches it wherever it says it is exact.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmpool import Limits, Quota, Timing
from warmpool.events import Event, JobCreated, JobReleased, PoolTerminated
from warmpool.sim import TraceError, TraceJob, replay
from warmpool.sim.optimum import (
    Optimum,
    _Matching,
    _releases,
    optimum,
    regret,
    regret_by,
    with_optimum,
)
from warmpool.sim.policies import (
    BreakEven,
    Decision,
    Fixed,
    Histogram,
    IdleGap,
    Policy,
    RandomizedSkiRental,
)

M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
PRICES = {M5: 3.6}
ROLES = ("arn:aws:iam::123456789012:role/A", "arn:aws:iam::123456789012:role/B")


def job(at: float, seconds: float = 600, **fields: Any) -> TraceJob:
    fields.setdefault("instance_type", M5)
    return TraceJob(submit_time=at, training_seconds=seconds, **fields)


def solve(rows: list[TraceJob], **settings: Any) -> Optimum:
    settings.setdefault("prices", PRICES)
    settings.setdefault("cold_start_value", 1.0)
    return optimum(rows, **settings)


def oracle_replay(rows: list[TraceJob], best: Optimum, **settings: Any) -> Any:
    settings.setdefault("prices", PRICES)
    settings.setdefault("cold_start_value", 1.0)
    return replay(rows, keep_alive=best.policy(), **settings)


# -- hand-solved traces ---------------------------------------------------------------------------


def test_each_gap_is_bridged_or_not_whichever_is_cheaper() -> None:
    """Gaps of 100 s, 5000 s and 30 s: the first and last are bridged (0.10 + 0.03 USD),
    the 5000 s one cannot be (longer than the 3600 s maximum keep-alive): two cold starts.
    Job 1 is released at 780 (cold); job 2 at 880 (warm: out at 1500); job 3 at 6500 (cold:
    out at 7280); job 4 at 7310 (D44)."""
    rows = [job(0), job(880), job(6500), job(7310)]
    best = solve(rows)
    assert (best.warm_starts, best.cold_starts, best.retained_instance_seconds) == (2, 2, 130)
    assert best.cost == pytest.approx(2.13)
    assert best.idle_cost == pytest.approx(0.13)
    assert best.cold_start_cost == 2.0
    assert best.exact
    assert list(best.keep_alives) == [101, 0, 31, 0]
    report = oracle_replay(rows, best)
    assert report.keep_alive_cost == best.cost
    assert regret(report, best) == 1.0


def test_a_cold_start_can_pay_for_itself_by_releasing_later() -> None:
    """A job that starts cold is released 160 s later than one that starts warm, so its next
    gap is 160 s shorter. Job 1 (cold) is out at 780; job 2 at 1730 (gap 950: bridging costs
    0.95 < 1) is out at 2350 warm or 2510 cold; job 3 at 2610. Warm-warm: 0.95 + 0.26 = 1.21;
    cold then warm: 1 + 0.10 = 1.10, the optimum (plus job 1's cold start) (D44, D7)."""
    rows = [job(0), job(1730), job(2610)]
    best = solve(rows)
    assert best.cost == pytest.approx(2.10)
    assert (best.warm_starts, best.cold_starts, best.retained_instance_seconds) == (1, 2, 100)
    assert list(best.keep_alives) == [0, 101, 0]
    assert oracle_replay(rows, best).keep_alive_cost == best.cost
    # break-even bridges both (and idles its last pool 1000 s): 1 + 0.95 + 0.26 + 1.00
    report = replay(rows, keep_alive=BreakEven(), prices=PRICES, cold_start_value=1.0)
    assert report.keep_alive_cost == pytest.approx(3.21)
    assert regret(report, best) == pytest.approx(3.21 / 2.10)


def test_a_gap_as_long_as_the_maximum_keep_alive_cannot_be_bridged() -> None:
    """A pool expires at release + keep-alive, before a create at that instant (D5), so a gap
    of exactly the maximum cannot be bridged; half a second less can (billed 600 s) (D44)."""
    limits = Limits(max_keep_alive_seconds=600, max_pool_lifetime_seconds=7 * 86400)
    at_limit = solve([job(0), job(1380)], limits=limits)
    assert (at_limit.warm_starts, at_limit.cost) == (0, 2.0)
    below = solve([job(0), job(1379.5)], limits=limits)
    assert (below.warm_starts, below.retained_instance_seconds) == (1, 600)
    assert below.cost == pytest.approx(1.6)
    assert list(below.keep_alives) == [600, 0]
    assert oracle_replay([job(0), job(1379.5)], below, limits=limits).keep_alive_cost == (
        below.cost
    )


def test_the_chain_cap_forces_a_cold_start() -> None:
    """The cap is 2000 s from the launch at 180: job 1's cluster lives until 2180. Job 2 at
    880 bridges 100 s (out at 1500 warm); job 3 at 2200 is past the cap: cold, although its
    gap (700 s) would be worth bridging. Starting job 2 cold instead would launch a new chain
    (out at 1660, bridge 540 s): 1 + 0.54 > 0.10 + 1 (D44, D13)."""
    limits = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=2000)
    rows = [job(0), job(880), job(2200)]
    best = solve(rows, limits=limits)
    assert best.cost == pytest.approx(2.10)
    assert best.exact
    assert solve(rows).cost == pytest.approx(1.80)  # no cap in the way: bridge 700 s too
    report = oracle_replay(rows, best, limits=limits)
    assert report.keep_alive_cost == best.cost


def test_a_cluster_that_failed_unhealthy_cannot_be_kept() -> None:
    """D10: after an InternalServerError no pool can bridge the next gap; after an AlgorithmError
    one can (20 s: 0.02 USD) (D44)."""
    rows = [job(0, outcome="InternalServerError"), job(800)]
    assert solve(rows).cost == 2.0
    rows = [job(0, outcome="AlgorithmError"), job(800)]
    assert solve(rows).cost == pytest.approx(1.02)


def test_with_no_cold_start_value_the_optimum_keeps_no_pool() -> None:
    """With cold starts worth nothing, any idle second is a loss: the optimum keeps nothing and
    costs nothing (D42, D44)."""
    best = solve([job(0), job(800), job(900)], cold_start_value=0.0)
    assert (best.cost, best.warm_starts, list(best.keep_alives)) == (0.0, 0, [0, 0, 0])


def test_free_idle_pools_bridge_every_gap_they_can() -> None:
    """With a price of 0, idle pools are free: every gap a keep-alive can bridge is bridged
    (D44)."""
    best = solve([job(0), job(3000), job(9000)], prices={M5: 0.0})
    assert (best.warm_starts, best.cost) == (1, 2.0)  # 3000 - 780 bridged; 9000 cannot be


def test_no_pool_can_be_kept_under_a_warm_pool_quota_below_one_cluster() -> None:
    """AWS's default warm pool quota is 0: then every job pays a cold start, exactly
    (D44, D14)."""
    rows = [job(0, instance_count=2), job(800, instance_count=2)]
    best = solve(rows, quotas={M5: Quota(warm_pool=1)})
    assert (best.cost, best.exact) == (2.0, True)
    assert solve(rows, default_quota=Quota()).cost == 2.0


def test_quotas_that_may_bind_make_the_optimum_a_lower_bound() -> None:
    """A training quota, or a finite warm pool quota of at least one cluster, may bind: the optimum
    is then a lower bound (D44, D14)."""
    rows = [job(0), job(800)]
    assert not solve(rows, quotas={M5: Quota(training=4, warm_pool=10**9)}).exact
    assert not solve(rows, quotas={M5: Quota(warm_pool=3)}).exact
    assert solve(rows, quotas={M5: Quota(warm_pool=10**9)}).exact


def test_overlapping_jobs_of_one_identity_make_a_lower_bound() -> None:
    """Job 2 starts while job 1 trains: pools may compete, and the optimum is a bound, by
    identity as in all (D44)."""
    rows = [job(0), job(100), job(900, role_arn=ROLES[0]), job(1700, role_arn=ROLES[0])]
    best = solve(rows)
    assert not best.exact
    assert {label: f.exact for label, f in best.by_identity.items()} == {
        "A ml.m5.xlarge x1 30 GB": True,
        "SageMakerRole ml.m5.xlarge x1 30 GB": False,
    }


def test_overlapping_jobs_count_a_pool_released_early_by_a_warm_start() -> None:
    """Job 3 is created while job 2 may still train, so the bound is a relaxation. Job 2 may
    start warm on job 1's pool (gap 100 s) and be released at 1500 rather than 1660; job 4 at
    1510 can then take its pool after 10 s. The true optimum does that: 1 + 0.10 + 1 + 0.01
    (job 3 cannot start warm: job 2 takes job 1's pool first). The bound must not assume job
    2's later release, which would put it above the truth (D44)."""
    rows = [job(0), job(880), job(890), job(1510)]
    best = solve(rows)
    assert not best.exact
    truth = cheapest_of_every_choice(
        rows, prices=PRICES, cold_start_value=1.0, limits=Limits.GUIDE_2022, timing=Timing()
    )
    assert truth == pytest.approx(2.11)
    assert best.cost <= truth


def test_overlapping_jobs_cannot_share_one_pool() -> None:
    """Four jobs at once after one pool: at most one takes it (the matching bound), although
    each alone could (which is all the per-job bound sees) (D44)."""
    rows = [job(0), job(800), job(800), job(800), job(800)]
    best = solve(rows)
    assert (best.warm_starts, best.cold_starts) == (1, 4)
    assert best.cost == pytest.approx(4.02)
    assert oracle_replay(rows, best).keep_alive_cost == pytest.approx(best.cost)


def test_identities_and_instance_types_are_labelled_as_in_the_report() -> None:
    """The optimum groups and labels jobs as the replay's report does, so that regret can be taken
    per group (D44)."""
    rows = [job(0), job(10, instance_type=G5, role_arn=ROLES[1]), job(900)]
    best = solve(rows, prices={M5: 3.6, G5: 1.0})
    report = replay(rows, prices={M5: 3.6, G5: 1.0})
    assert list(best.by_identity) == list(report.by_identity)
    assert list(best.by_instance_type) == list(report.by_instance_type)
    assert sum(f.cost for f in best.by_identity.values()) == pytest.approx(best.cost)


def test_instance_types_without_a_price_are_left_out_as_from_the_report() -> None:
    """Unpriced types are left out of the optimum as from the report's costs, so the two stay
    comparable (D42, D44)."""
    rows = [job(0), job(10, instance_type=G5), job(800)]
    best = solve(rows)
    assert best.unpriced_instance_types == (G5,)
    assert list(best.by_instance_type) == [M5]
    assert best.jobs == 2
    report = oracle_replay(rows, best)
    assert report.keep_alive_cost == best.cost


def test_the_optimum_needs_rows_in_submit_order() -> None:
    """As the replay, the optimum refuses rows out of submit order (D38, D44)."""
    with pytest.raises(TraceError, match="rows must be in submit order"):
        solve([job(10), job(0)])


def test_the_optimum_as_a_dict_is_json_ready() -> None:
    """``to_dict()`` gives plain values (the per-row keep-alives are left out) (D44)."""
    import json

    data = solve([job(0), job(880)]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["by_identity"]["SageMakerRole ml.m5.xlarge x1 30 GB"]["warm_starts"] == 1
    assert "keep_alives" not in data


# -- regret ---------------------------------------------------------------------------------------


def test_regret_is_one_when_both_cost_nothing_and_unbounded_when_only_the_optimum_does() -> None:
    """Regret is 1.0 for 0/0, inf for x/0, which JSON writes as null (D44)."""
    rows = [job(0), job(800)]
    best = solve(rows, cold_start_value=0.0)
    nothing = replay(rows, keep_alive=0, prices=PRICES)
    assert regret(nothing, best) == 1.0
    idle = replay(rows, keep_alive=10, prices=PRICES)
    assert regret(idle, best) == math.inf
    assert with_optimum(idle, best).to_dict()["regret"] is None  # JSON has no infinity


def test_regret_compares_only_reports_under_the_same_cost_model_and_settings() -> None:
    """A report under another cold-start value, limits or timing, or without prices, cannot be
    compared: ValueError naming why (D42, D44)."""
    rows = [job(0), job(800)]
    best = solve(rows)
    with pytest.raises(ValueError, match="cold_start_value"):
        regret(replay(rows, prices=PRICES, cold_start_value=2.0), best)
    with pytest.raises(ValueError, match="different limits or timing"):
        regret(replay(rows, prices=PRICES, cold_start_value=1.0, timing=Timing(60, 5)), best)
    with pytest.raises(ValueError, match="needs the report's keep_alive_cost"):
        regret(replay(rows, cold_start_value=1.0), best)


def test_with_optimum_fills_in_the_reports_optimum_and_regret() -> None:
    """D44: ``with_optimum`` and ``regret_by``, by identity and by instance type."""
    rows = [job(0), job(880)]
    best = solve(rows)
    report = with_optimum(replay(rows, keep_alive=600, prices=PRICES, cold_start_value=1), best)
    # 100 s bridged and 600 s idle at the end: 1.70 against 1.10
    assert report.optimum_cost == pytest.approx(1.1)
    assert report.optimum_exact is True
    assert report.regret == pytest.approx(1.7 / 1.1)
    assert report.to_dict()["regret"] == report.regret
    assert regret_by(report, best, "identity") == {
        "SageMakerRole ml.m5.xlarge x1 30 GB": pytest.approx(1.7 / 1.1)
    }
    assert regret_by(report, best, "instance_type") == {M5: pytest.approx(1.7 / 1.1)}


# -- releases -------------------------------------------------------------------------------------

OUTCOMES = ("Completed", "Completed", "Stopped", "AlgorithmError", "ClientError", "UnknownError")


@st.composite
def traces(draw: st.DrawFn, max_size: int = 25) -> list[TraceJob]:
    """Jobs of a few identities at random gaps: often overlapping."""
    gaps = draw(st.lists(st.integers(0, 3000) | st.floats(0, 3000), max_size=max_size))
    roles = draw(st.integers(1, 2))
    types = draw(st.integers(1, 2))
    rows, at = [], 0.0
    for gap in gaps:
        at += gap
        rows.append(
            TraceJob(
                submit_time=at,
                instance_type=draw(st.sampled_from((M5, G5)[:types])),
                instance_count=draw(st.integers(1, 2)),
                role_arn=draw(st.sampled_from(ROLES[:roles])),
                training_seconds=draw(st.integers(0, 2000) | st.floats(0, 2000)),
                outcome=draw(st.sampled_from(OUTCOMES)),
                max_runtime_seconds=draw(st.sampled_from((86400, 900))),
            )
        )
    return rows


@st.composite
def streams(draw: st.DrawFn) -> list[TraceJob]:
    """Jobs of 1-3 identities, each identity's next job after its last one has certainly
    ended (so that the optimum is exact without quotas), at gaps around the break-even."""
    rows = []
    for stream in range(draw(st.integers(1, 3))):
        at = float(draw(st.integers(0, 500)))
        for _ in range(draw(st.integers(0, 12))):
            training = draw(st.integers(0, 1500) | st.floats(0, 1500))
            rows.append(
                TraceJob(
                    submit_time=at,
                    instance_type=M5,
                    instance_count=stream + 1,
                    training_seconds=training,
                    outcome=draw(st.sampled_from(OUTCOMES)),
                    max_runtime_seconds=draw(st.sampled_from((86400, 900))),
                )
            )
            at += 181 + 30 + min(training, 900) + draw(st.integers(0, 4000) | st.floats(0, 4000))
    rows.sort(key=lambda row: row.submit_time)
    return rows


TIMINGS = st.sampled_from(
    (Timing(), Timing(180, 20, 30), Timing(0, 0, 0), Timing(20, 180), Timing(180.5, 20.25, 7.5))
)
LIMITS = st.sampled_from(
    (Limits.GUIDE_2022, Limits(3600, 4000), Limits(600, 86400), Limits(900, 1500))
)
QUOTAS = st.sampled_from(
    (
        None,
        {M5: Quota(training=3, warm_pool=2), G5: Quota(training=None, warm_pool=1)},
        {M5: Quota(training=None, warm_pool=0)},
        {M5: Quota(training=2, warm_pool=10**9)},
        {G5: Quota(training=1, warm_pool=0)},
    )
)
PRICE_TABLES = st.sampled_from(({M5: 0.23, G5: 1.4}, {M5: 0.0, G5: 3.6}, {M5: 36.0, G5: 0.01}))
VALUES = st.sampled_from((0.0, 0.01, 0.05, 0.5, 5.0))


@settings(max_examples=60, deadline=None)
@given(rows=traces() | streams(), timing=TIMINGS)
def test_releases_are_where_the_emulator_puts_them(rows: list[TraceJob], timing: Timing) -> None:
    """The optimum's release times (after a warm and a cold start) are the replay's to the
    last bit, and a cluster it calls unkeepable is one the emulator terminates Unhealthy
    (D44, D10, D38)."""
    events: list[Event] = []
    replay(
        rows,
        keep_alive=900,
        timing=timing,
        on_emulator=lambda emu: emu.events.subscribe(events.append),
    )
    created = {e.job: e for e in events if isinstance(e, JobCreated)}
    released = {e.job: e.time for e in events if isinstance(e, JobReleased)}
    unhealthy = {e.job for e in events if isinstance(e, PoolTerminated) and e.reason == "Unhealthy"}
    for number, row in enumerate(rows, 1):
        name = f"job-{number:06d}"
        warm, cold, keepable = _releases(row, row.submit_time, timing)
        assert released[name] == (cold if created[name].cluster is None else warm)
        assert keepable == (name not in unhealthy)


# -- regret >= 1, and the oracle --------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn, limit: int) -> Policy | str:
    kind = draw(st.sampled_from(("fixed", "break-even", "randomized", "histogram", "oracle")))
    if kind == "fixed":
        return Fixed(draw(st.sampled_from((0, 1, 60, 600, limit))))
    if kind == "break-even":
        return BreakEven()
    if kind == "randomized":
        return RandomizedSkiRental(draw(st.integers(0, 5)))
    if kind == "histogram":
        return Histogram(
            draw(st.sampled_from((50, 90, 99, 100))),
            min_samples=draw(st.integers(1, 3)),
            bin_seconds=draw(st.sampled_from((1, 60, 600))),
        )
    return "oracle"


@settings(max_examples=150, deadline=None)
@given(
    rows=traces() | streams(),
    quotas=QUOTAS,
    limits=LIMITS,
    timing=TIMINGS,
    value=VALUES,
    prices=PRICE_TABLES,
    data=st.data(),
)
def test_regret_is_at_least_one_for_every_policy(
    rows: list[TraceJob],
    quotas: dict[str, Quota] | None,
    limits: Limits,
    timing: Timing,
    value: float,
    prices: dict[str, float],
    data: st.DataObject,
) -> None:
    """No replay costs less than the optimum, whatever the policy (every built-in, Fixed(n)
    for several n, the oracle), quotas, limits and timing: regret >= 1, in all, by identity
    and by instance type. Costs are summed as the report sums them, so equal choices give
    equal costs to the last bit; a relative 1e-9 covers the bound's own rounding (D44)."""
    settings: dict[str, Any] = {
        "prices": prices,
        "cold_start_value": value,
        "quotas": quotas,
        "limits": limits,
        "timing": timing,
    }
    best = optimum(rows, **settings)
    policy = data.draw(policies(limits.max_keep_alive_seconds))
    chosen = best.policy() if isinstance(policy, str) else policy
    report = replay(rows, keep_alive=chosen, **settings)
    assert regret(report, best) >= 1 - 1e-9
    for group in ("identity", "instance_type"):
        assert all(ratio >= 1 - 1e-9 for ratio in regret_by(report, best, group).values())


@settings(max_examples=80, deadline=None)
@given(rows=streams() | traces(), limits=LIMITS, timing=TIMINGS, value=VALUES, prices=PRICE_TABLES)
def test_the_oracle_costs_exactly_the_optimum_where_it_is_exact(
    rows: list[TraceJob], limits: Limits, timing: Timing, value: float, prices: dict[str, float]
) -> None:
    """Without quotas, replaying the optimum's choices gives, on every identity the optimum
    calls exact, exactly its retained instance-seconds and cold starts; when all are exact,
    exactly its cost (D44)."""
    settings: dict[str, Any] = {
        "prices": prices,
        "cold_start_value": value,
        "limits": limits,
        "timing": timing,
    }
    best = optimum(rows, **settings)
    report = replay(rows, keep_alive=best.policy(), **settings)
    for label, figures in best.by_identity.items():
        if figures.exact:
            got = report.by_identity[label]
            assert (got.retained_instance_seconds, got.cold_starts, got.warm_starts) == (
                figures.retained_instance_seconds,
                figures.cold_starts,
                figures.warm_starts,
            )
    if best.exact:
        assert report.keep_alive_cost == best.cost


class Plan:
    """A policy that gives each row a keep-alive from a list."""

    name = "plan"

    def __init__(self, keep_alives: tuple[int, ...]) -> None:
        self.keep_alives = keep_alives

    def keep_alive(self, decision: Decision) -> int:
        return self.keep_alives[decision.number - 1]

    def observe(self, gap: IdleGap) -> None:
        pass


def cheapest_of_every_choice(rows: list[TraceJob], **settings: Any) -> float:
    """The true optimum by brute force: every row's keep-alive from 0 and, for each later
    row and each of its own two possible releases, the least keep-alive that keeps the pool
    until that row's create (any other keep-alive behaves like one of these, and idles
    longer)."""
    limit = settings["limits"].max_keep_alive_seconds
    choices = []
    for index, row in enumerate(rows):
        warm, cold, keepable = _releases(row, row.submit_time, settings["timing"])
        keeps = {0}
        for later in rows[index + 1 :] if keepable else ():
            for release in (warm, cold):
                gap = later.submit_time - release
                if 0 <= gap < limit:
                    keep = math.floor(gap) + 1
                    keep += release + keep <= later.submit_time
                    keeps.add(min(keep, limit))
        choices.append(sorted(keeps))
    return min(
        replay(rows, keep_alive=Plan(plan), **settings).keep_alive_cost or 0.0
        for plan in itertools.product(*choices)
    )


@st.composite
def small_traces(draw: st.DrawFn) -> list[TraceJob]:
    rows, at = [], 0.0
    for _ in range(draw(st.integers(2, 4))):
        at += draw(st.sampled_from((0, 50, 300, 700, 1200, 2500, 4000))) + draw(
            st.sampled_from((0.0, 0.25, 37.5))
        )
        rows.append(
            job(
                at,
                draw(st.sampled_from((0, 100, 600, 1500))),
                outcome=draw(st.sampled_from(("Completed", "Stopped", "InternalServerError"))),
                max_runtime_seconds=draw(st.sampled_from((86400, 900))),
            )
        )
    return rows


@settings(max_examples=40, deadline=None)
@given(
    rows=small_traces(),
    quotas=st.sampled_from(
        (None, {M5: Quota(training=1, warm_pool=10**9)}, {M5: Quota(training=2, warm_pool=1)})
    ),
    limits=st.sampled_from((Limits.GUIDE_2022, Limits(3600, 3000), Limits(600, 86400))),
    timing=st.sampled_from((Timing(), Timing(180, 20, 30), Timing(20, 180))),
    value=st.sampled_from((0.01, 0.1, 1.0)),
    price=st.sampled_from((0.23, 3.6, 36.0)),
)
def test_the_optimum_is_at_most_the_best_of_every_keep_alive_choice(
    rows: list[TraceJob],
    quotas: dict[str, Quota] | None,
    limits: Limits,
    timing: Timing,
    value: float,
    price: float,
) -> None:
    """Against the true optimum found by replaying every useful combination of keep-alives
    (overlapping jobs and quotas included): never above it, and equal where it says exact
    (D44)."""
    settings: dict[str, Any] = {
        "prices": {M5: price},
        "cold_start_value": value,
        "quotas": quotas,
        "limits": limits,
        "timing": timing,
    }
    best = optimum(rows, **settings)
    truth = cheapest_of_every_choice(rows, **settings)
    assert best.cost <= truth * (1 + 1e-9) + 1e-12
    if best.exact:
        assert best.cost == pytest.approx(truth, rel=1e-12, abs=1e-12)


def best_matching(events: list[tuple[str, float]], scale: float) -> float:
    """The most a matching of jobs to distinct earlier pools saves, by brute force."""
    donors = [(place, value) for place, (kind, value) in enumerate(events) if kind == "pool"]
    jobs = [(place, value) for place, (kind, value) in enumerate(events) if kind == "job"]
    best = 0.0
    for taken in itertools.product([None, *range(len(donors))], repeat=len(jobs)):
        used = [t for t in taken if t is not None]
        if len(used) != len(set(used)):
            continue
        saved = 0.0
        for (place, at), donor in zip(jobs, taken, strict=True):
            if donor is not None:
                if donors[donor][0] > place:
                    break
                saved += scale - (at - donors[donor][1])
        else:
            best = max(best, saved)
    return best


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.sampled_from((0, 1, 3, 10)), st.sampled_from((0, 2, 5))),
        max_size=7,
    ),
    scale=st.sampled_from((1.0, 5.0, 20.0, 100.0)),
)
def test_the_matching_saves_as_much_as_the_best_matching(
    steps: list[tuple[bool, int, int]], scale: float
) -> None:
    """The greedy of the overlapping jobs' bound (each job takes the pool released last)
    finds the best matching of jobs to distinct earlier pools (each saving scale - idle
    seconds), checked by brute force; a pool's idle time may count from after it is
    available (a job's latest possible release) (D44)."""
    events: list[tuple[str, float]] = []
    matching = _Matching(scale)
    at = 0
    for is_pool, step, later in steps:
        at += step
        if is_pool:
            events.append(("pool", at + later))
            matching.donor(at + later)
        else:
            events.append(("job", at))
            matching.job(at)
    assert matching.savings == pytest.approx(best_matching(events, scale))
