"""Advice (``warmpool.sim.advise``, ``warmpool advise``): a keep-alive per identity or team and a
warm pool quota per instance type, chosen by cost and verified by replays (docs/policies.md,
"Advice"; behaviour §13.5, D46; cost as in D42, the policy protocol of D43)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import run_cli
from warmpool import Limits, Quota, Timing
from warmpool.sim import (
    Advice,
    AdviceError,
    Advised,
    TraceJob,
    advise,
    load_trace,
    replay,
    write_trace,
)
from warmpool.sim.advise_command import format_advice

M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
PRICES = {M5: 3.6}  # 0.001 USD per instance-second of idle pool
A = "team-a ml.m5.xlarge x2 30 GB"
B = "team-b ml.m5.xlarge x1 30 GB"
ROOT = Path(__file__).resolve().parent.parent
TEAMS = ROOT / "examples" / "teams.csv"
TEAMS_PRICES = {
    "ml.m5.2xlarge": 0.46,
    "ml.g5.xlarge": 1.41,
    "ml.g5.2xlarge": 1.52,
    "ml.g5.12xlarge": 7.09,
}


def role(name: str) -> str:
    return f"arn:aws:iam::123456789012:role/{name}"


def crafted() -> list[TraceJob]:
    """Team A (2 instances, own keep-alive 1,800 s) trains 600 s every 920 s, five times; team
    B (1 instance, own keep-alive 3,600 s) trains 600 s every 3 hours for a day, nine times."""
    rows = [
        TraceJob(
            920 * i,
            M5,
            600,
            job_name=f"a-{i}",
            role_arn=role("team-a"),
            instance_count=2,
            keep_alive_seconds=1800,
        )
        for i in range(5)
    ]
    rows += [
        TraceJob(
            10800 * i,
            M5,
            600,
            job_name=f"b-{i}",
            role_arn=role("team-b"),
            keep_alive_seconds=3600,
        )
        for i in range(9)
    ]
    return sorted(rows, key=lambda row: (row.submit_time, row.job_name or ""))


@pytest.fixture(scope="module")
def advice() -> Advice:
    return advise(crafted(), prices=PRICES, cold_start_value=1.0)


def test_the_crafted_trace_gets_its_known_best_advice(advice: Advice) -> None:
    """behaviour §13.5 / D46, worked by hand (0.001 USD an idle instance-second, 1 USD a cold
    start, 180 s cold and 20 s warm starts).

    Team A: a job that starts cold is released 780 s after its create, a warm one 620 s; the
    next create is 920 s after. So the gap after a cold job is 140 s, after a warm one 300 s.
    A 301 s keep-alive bridges them all: 1 cold start, idle 140 + 3 x 300 + 301 (the last pool
    expires unused) = 1,341 s x 2 instances = 2.682 USD; cost 3.682. A 141 s keep-alive bridges
    only the 140 s gaps (cold, warm, cold, warm, cold): 3 cold starts and 703 s x 2 of idle,
    4.406; anything in 142..300 does the same with more idle; 0 costs 5 cold starts, 5.0;
    above 301, only the last pool idles longer. So 301 s. Its own 1,800 s: 1 cold start and
    (140 + 900 + 1,800) x 2 = 5,680 instance-seconds, 6.68.

    Team B: gaps of 10,800 - 780 = 10,020 s, longer than any keep-alive (3,600 s): 0. It pays
    9 cold starts whatever the keep-alive, 9.0; its own 3,600 s adds 9 pools idle an hour,
    32.4, so 41.4.

    In all: 12.682 advised, 14.0 without warm pools, 48.08 with the trace's own. The trace
    spans a day (first submit 0, last 86,400), so a month is 30 x the savings: 39.54 against
    no warm pools and 1,061.94 against the trace's own. Team A's pool of 2 instances is the
    only one retained at a time: a warm pool quota of 2.
    """
    assert advice.group_by == "identity"
    assert list(advice.keep_alives) == [A, B]
    a, b = advice.keep_alives[A], advice.keep_alives[B]
    assert (a.keep_alive, a.own_keep_alives, a.jobs) == (301, (1800,), 5)
    assert (a.cold_starts, a.cold_starts_saved, a.gaps, a.gaps_bridgeable) == (1, 4, 4, 1.0)
    assert a.idle_cost == pytest.approx(2.682)
    assert a.cost == pytest.approx(3.682)
    assert (a.cost_without_warm_pools, a.cost_with_own_settings) == pytest.approx((5.0, 6.68))
    assert a.monthly_savings_vs_no_warm_pools == pytest.approx(39.54)
    assert a.monthly_savings_vs_own_settings == pytest.approx(89.94)
    assert a.reason == (
        "gaps under 5 min 1 s in 100% of cases; a 301 s keep-alive saves 4 cold starts a day "
        "for $2.68 of idle time"
    )
    assert (b.keep_alive, b.own_keep_alives, b.cold_starts, b.cold_starts_saved) == (
        0,
        (3600,),
        9,
        0,
    )
    assert (b.cost, b.cost_without_warm_pools, b.cost_with_own_settings) == pytest.approx(
        (9.0, 9.0, 41.4)
    )
    assert b.reason == (
        "gaps are mostly over 1 h (100%), longer than any keep-alive: no warm pool (keep-alive 0)"
    )
    assert (advice.cost, advice.cost_without_warm_pools, advice.cost_with_own_settings) == (
        pytest.approx((12.682, 14.0, 48.08))
    )
    assert advice.span_seconds == 86400.0
    assert advice.monthly_savings_vs_no_warm_pools == pytest.approx(39.54)
    assert advice.monthly_savings_vs_own_settings == pytest.approx(1061.94)
    quota = advice.quotas[M5]
    assert (quota.warm_pool_quota, quota.given, quota.warm_pool_quota_refusals) == (2, None, 0)
    assert quota.reason == "the advised keep-alives hold at most 2 instances in warm pools at once"


def test_the_advice_is_the_cheapest_single_keep_alive_of_each_identity(advice: Advice) -> None:
    """behaviour §13.5 / D46: no other keep-alive of team A, around the gaps or far from them,
    costs less in a replay than the advised 301 s."""
    rows = crafted()
    for keep in (0, 1, 140, 141, 142, 300, 302, 600, 1800, 3600):
        policy = Advised({A: keep, B: 0})
        report = replay(rows, keep_alive=policy, prices=PRICES, cold_start_value=1.0)
        cost = report.by_identity[A].keep_alive_cost
        assert cost is not None and cost > advice.keep_alives[A].cost, keep


def test_the_quota_is_the_peak_and_keeps_every_pool_the_advice_keeps(advice: Advice) -> None:
    """behaviour §7, §13.5 / D46: the advised warm pool quota of a type is the most instances
    the advised replay held in its warm pools at once; replayed with that quota, the advice
    keeps every pool it kept without one, and one instance less refuses some."""
    rows = crafted()
    assert advice.report.by_instance_type[M5].peak_retained_instances == 2
    quotas = {t: Quota(warm_pool=q.warm_pool_quota) for t, q in advice.quotas.items()}
    options: dict[str, Any] = {"prices": PRICES, "cold_start_value": 1.0}
    again = replay(rows, keep_alive=advice.policy(), quotas=quotas, **options)
    assert again == advice.report
    tight = {M5: Quota(warm_pool=1)}
    fewer = replay(rows, keep_alive=advice.policy(), quotas=tight, **options)
    assert fewer.warm_pool_quota_refusals > 0


def test_the_advices_policy_replays_it(advice: Advice) -> None:
    """behaviour §13.5 / D43, D46: ``Advice.policy()`` gives each identity its keep-alive, so
    a replay with it is the advised replay."""
    policy = advice.policy()
    assert policy.keep_alives == {A: 301, B: 0}
    assert advice.keep_alive_of(A) == 301
    again = replay(crafted(), keep_alive=policy, prices=PRICES, cold_start_value=1.0)
    assert again == advice.report
    assert again.policy == "advice"
    with pytest.raises(KeyError):
        advice.keep_alive_of("nobody")


def test_an_identity_left_out_or_given_none_keeps_its_own_keep_alive() -> None:
    """behaviour §13.5 / D43: ``Advised`` gives an identity not listed, or listed with None,
    each row's own keep-alive (0 for none); a bad keep-alive is refused naming it."""
    rows = crafted()
    own = replay(rows, prices=PRICES, cold_start_value=1.0)
    for policy in (Advised({}), Advised({A: None})):
        report = replay(rows, keep_alive=policy, prices=PRICES, cold_start_value=1.0)
        assert report.by_identity == own.by_identity
    with pytest.raises(ValueError, match=r"keep_alives\['x'\] must be a whole number"):
        Advised({"x": -1})


def test_a_role_gets_one_keep_alive_for_all_its_identities() -> None:
    """behaviour §13.5 / D46, worked by hand: team C has two identities. C1 (1 instance, 30 GB)
    trains 600 s every 920 s, five times: alone, 301 s is best (1 cold start + 1,341 s idle =
    2.341 USD; 0 costs 5.0). C2 (1 instance, 50 GB) trains 600 s every 2,780 s, three times:
    gaps of 2,000 s after a cold job and 2,160 s after a warm one, each worth more than a cold
    start; alone, 0 is best (3.0). Per identity: 2.341 + 3.0 = 5.341.

    One keep-alive for the team: 0 costs 5 + 3 = 8.0; 141 s costs 3.703 + (3 cold starts + 3
    pools idle 141 s) 3.423 = 7.126; 301 s costs 2.341 + 3.903 = 6.244; more only adds idle
    (2,001 s would bridge one of C2's gaps: 2,000 + 2 x 2,001 s idle, worse). So 301 s."""
    rows = [
        TraceJob(920 * i, M5, 600, job_name=f"c1-{i}", role_arn=role("team-c")) for i in range(5)
    ]
    rows += [
        TraceJob(2780 * i, M5, 600, job_name=f"c2-{i}", role_arn=role("team-c"), volume_size_gb=50)
        for i in range(3)
    ]
    rows.sort(key=lambda row: (row.submit_time, row.job_name or ""))
    c1, c2 = "team-c ml.m5.xlarge x1 30 GB", "team-c ml.m5.xlarge x1 50 GB"
    each = advise(rows, prices=PRICES, cold_start_value=1.0, group_by="identity")
    assert {name: item.keep_alive for name, item in each.keep_alives.items()} == {c1: 301, c2: 0}
    assert each.cost == pytest.approx(5.341)
    team = advise(rows, prices=PRICES, cold_start_value=1.0, group_by="role")
    assert team.group_by == "role"
    assert list(team.keep_alives) == ["team-c"]
    item = team.keep_alives["team-c"]
    assert (item.keep_alive, item.identities, item.jobs) == (301, (c1, c2), 8)
    assert item.cost == pytest.approx(6.244) == team.cost
    assert team.keep_alive_of(c2) == 301


def test_auto_advises_per_role_above_max_identities() -> None:
    """behaviour §13.5 / D46: ``group_by="auto"`` advises per identity up to
    ``max_identities`` identities (20 by default), per role above; a role name two accounts
    share is told apart by its ARN."""
    rows = crafted()
    assert advise(rows, prices=PRICES, max_identities=2).group_by == "identity"
    by_role = advise(rows, prices=PRICES, max_identities=1, cold_start_value=1.0)
    assert by_role.group_by == "role"
    assert {name: item.keep_alive for name, item in by_role.keep_alives.items()} == {
        "team-a": 301,
        "team-b": 0,
    }
    other = "arn:aws:iam::210987654321:role/team-a"
    rows.append(TraceJob(90000, M5, 600, job_name="x", role_arn=other))
    shared = advise(rows, prices=PRICES, group_by="role")
    assert list(shared.keep_alives) == [role("team-a"), other, "team-b"]


def test_a_quota_that_binds_turns_a_keep_alive_that_saves_nothing_into_0() -> None:
    """behaviour §7, §13.5 / D46: with a warm pool quota of 1 instance, team A's 2-instance
    pools are never kept, so its 301 s keep-alive saves nothing in the replay: it is advised 0,
    saying why, and no quota is needed."""
    advice = advise(crafted(), prices=PRICES, cold_start_value=1.0, quotas={M5: Quota(warm_pool=1)})
    a = advice.keep_alives[A]
    assert (a.keep_alive, a.cost) == (0, 5.0)
    assert a.reason == (
        "in the replay, under the quotas given, a 301 s keep-alive saves nothing: no warm pool "
        "(keep-alive 0)"
    )
    quota = advice.quotas[M5]
    assert (quota.warm_pool_quota, quota.given) == (0, 1)
    assert quota.reason == "no warm pool advised: none needed"


def test_a_quota_given_that_refuses_pools_says_so() -> None:
    """behaviour §7, §13.5 / D46: two teams whose pools are each worth keeping, under a warm
    pool quota with room for one: the quota advice counts the clusters it left unkept."""
    rows = crafted()
    rows += [
        TraceJob(
            920 * i + 150,
            M5,
            600,
            job_name=f"d-{i}",
            role_arn=role("team-d"),
            instance_count=2,
        )
        for i in range(5)
    ]
    rows.sort(key=lambda row: (row.submit_time, row.job_name or ""))
    advice = advise(rows, prices=PRICES, cold_start_value=1.0, quotas={M5: Quota(warm_pool=2)})
    quota = advice.quotas[M5]
    assert quota.given == 2
    assert quota.warm_pool_quota == 2
    refused = quota.warm_pool_quota_refusals
    assert refused > 0
    assert quota.reason == (
        "the advised keep-alives hold at most 2 instances in warm pools at once; the quota "
        f"given (2) left {refused} clusters unkept: a higher one would keep them"
    )
    assert advice.cost <= min(advice.cost_without_warm_pools, advice.cost_with_own_settings)


def test_own_keep_alives_that_beat_every_single_one_are_kept() -> None:
    """behaviour §13.5 / D46: team E's own keep-alives follow its rhythm (101 s after the first
    job of each pair, whose next job comes 100 s after its release; 0 after the second, whose
    next pair comes 3,000 s later). No single keep-alive does as well (101 s leaves a pool idle
    after each pair), so the advice keeps the jobs' own, saying why."""
    rows = []
    for pair in range(4):
        at = 4500.0 * pair
        rows.append(TraceJob(at, M5, 600, role_arn=role("team-e"), keep_alive_seconds=101))
        rows.append(TraceJob(at + 880, M5, 600, role_arn=role("team-e"), keep_alive_seconds=0))
    advice = advise(rows, prices=PRICES, cold_start_value=1.0)
    (item,) = advice.keep_alives.values()
    assert (item.keep_alive, item.own_keep_alives) == (None, (0, 101))
    assert item.cost == item.cost_with_own_settings < item.cost_without_warm_pools
    assert item.reason == (
        "its jobs' own keep-alives (0 s, 101 s) cost less in the replay than any one "
        "keep-alive: keep them"
    )
    assert advice.policy().keep_alives == {item.name: None}


@pytest.mark.parametrize(
    ("rows", "value", "reason"),
    [
        (
            [TraceJob(0, M5, 600), TraceJob(880, M5, 600)],
            0.0,
            "a cold start is worth nothing (cold-start value $0): no warm pool (keep-alive 0)",
        ),
        (
            [TraceJob(0, M5, 600)],
            1.0,
            "one job, no idle gap: no warm pool (keep-alive 0)",
        ),
        (
            [TraceJob(0, M5, 600), TraceJob(100, M5, 600)],
            1.0,
            "no idle gaps (each job starts before the one before it ends): no warm pool "
            "(keep-alive 0)",
        ),
        (
            [TraceJob(0, M5, 600), TraceJob(3280, M5, 600)],
            1.0,
            "only 0% of gaps are under 16 min 40 s, the break-even (idle that long costs a cold "
            "start): no warm pool (keep-alive 0)",
        ),
        (
            [TraceJob(0, M5, 600), TraceJob(1380, M5, 600)],
            1.0,
            "100% of gaps are under 16 min 40 s, the break-even, yet every keep-alive costs more "
            "idle time than the cold starts it saves (a pool no job takes idles its whole "
            "keep-alive): no warm pool (keep-alive 0)",
        ),
    ],
)
def test_each_keep_alive_of_0_says_why_in_one_line(
    rows: list[TraceJob], value: float, reason: str
) -> None:
    """behaviour §13.5 / D46: the reason for no warm pool names the cause: a cold start worth
    nothing, no gap, gaps longer than any keep-alive, gaps longer than the break-even
    (1,000 s), or short gaps whose pools still cost more (a 600 s gap bridged and the last pool
    idle 601 s: 1,201 s of idle, against one cold start, 1,000 s worth)."""
    advice = advise(rows, prices=PRICES, cold_start_value=value)
    (item,) = advice.keep_alives.values()
    assert item.keep_alive == 0
    assert item.reason == reason
    assert "\n" not in item.reason


def test_a_saving_under_one_a_day_is_counted_over_the_trace() -> None:
    """behaviour §13.5 / D46: a keep-alive that saves less than a cold start a day says how many
    it saves over the trace's days."""
    rows = [TraceJob(0, M5, 600), TraceJob(880, M5, 600), TraceJob(4 * 86400, M5, 600)]
    advice = advise(rows, prices=PRICES, cold_start_value=1.0)
    (item,) = advice.keep_alives.values()
    assert item.keep_alive == 101
    assert advice.days == 4.0
    assert item.reason == (
        "gaps under 1 min 41 s in 50% of cases; a 101 s keep-alive saves 1 cold start in 4.0 "
        "days for $0.30 of idle time"
    )


def test_the_span_is_first_to_last_submit_and_at_least_a_day() -> None:
    """behaviour §13.5 / D46: monthly savings are the savings x 30 days / the span, from the
    first submit to the last, counted as a day when shorter."""
    short = [TraceJob(100, M5, 600), TraceJob(980, M5, 600)]
    advice = advise(short, prices=PRICES, cold_start_value=1.0)
    assert advice.span_seconds == 86400.0
    saved = advice.cost_without_warm_pools - advice.cost
    assert saved > 0
    assert advice.monthly_savings_vs_no_warm_pools == pytest.approx(saved * 30)
    long = [TraceJob(100, M5, 600), TraceJob(980, M5, 600), TraceJob(100 + 3 * 86400, M5, 60)]
    assert advise(long, prices=PRICES).span_seconds == 3 * 86400.0


def test_no_rows_no_advice() -> None:
    """behaviour §13.5 / D46: an empty trace gets no keep-alive and no quota, and saves 0."""
    advice = advise([], prices=PRICES)
    assert (advice.keep_alives, advice.quotas, advice.cost) == ({}, {}, 0.0)
    assert advice.monthly_savings_vs_no_warm_pools == 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prices": {}}, "advise: prices: advice weighs idle time against cold starts"),
        ({"prices": {G5: 1.0}}, "none for ml.m5.xlarge (--price TYPE=USD_PER_HOUR)"),
        ({"prices": {M5: -1.0}}, "advise: prices['ml.m5.xlarge'] must be a finite number"),
        ({"prices": [M5]}, "advise: prices must be a mapping of instance type to USD"),
        ({"prices": PRICES, "cold_start_value": -1}, "cold_start_value must be a finite"),
        ({"prices": PRICES, "group_by": "team"}, "group_by must be one of identity, role, auto"),
        ({"prices": PRICES, "max_identities": 0}, "max_identities must be a whole number >= 1"),
        ({"prices": PRICES, "max_identities": True}, "max_identities must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_naming_them(options: dict[str, Any], message: str) -> None:
    """behaviour §13.5 / D46: arguments advice cannot work with raise AdviceError (a
    ValueError) naming the argument and the rule."""
    with pytest.raises(AdviceError) as raised:
        advise(crafted(), **options)
    assert message in str(raised.value)


def test_the_advice_is_deterministic_and_sorted() -> None:
    """behaviour §13.5 / D46: the same trace gives the same advice, its keep-alives and quotas
    sorted by name, whether the rows are a list or a loaded trace."""
    rows = crafted()
    rows += [TraceJob(100000, G5, 60, role_arn=role("aaa"))]
    first = advise(rows, prices={**PRICES, G5: 1.0}, cold_start_value=1.0)
    second = advise(list(rows), prices={**PRICES, G5: 1.0}, cold_start_value=1.0)
    assert first.to_dict() == second.to_dict()
    assert list(first.keep_alives) == sorted(first.keep_alives)
    assert list(first.quotas) == [G5, M5]


def test_a_loaded_trace_gets_the_same_advice(tmp_path: Path, advice: Advice) -> None:
    """behaviour §13.2, §13.5 / D46: a trace file gives the advice its rows give."""
    path = tmp_path / "jobs.csv"
    write_trace(path, crafted())
    loaded = advise(load_trace(path), prices=PRICES, cold_start_value=1.0)
    assert loaded.source == str(path)
    assert {**loaded.to_dict(), "trace": None} == {**advice.to_dict(), "trace": None}


# -- properties ----------------------------------------------------------------------------------

OUTCOMES = ("Completed", "Completed", "Stopped", "AlgorithmError", "InternalServerError")
ROLES = (role("one"), role("two"))


@st.composite
def traces(draw: st.DrawFn) -> list[TraceJob]:
    """Jobs of a few identities at random gaps (often overlapping), with random own
    keep-alives."""
    gaps = draw(st.lists(st.integers(0, 3000) | st.floats(0, 3000), max_size=14))
    rows, at = [], 0.0
    for gap in gaps:
        at += gap
        rows.append(
            TraceJob(
                submit_time=at,
                instance_type=draw(st.sampled_from((M5, G5))),
                instance_count=draw(st.integers(1, 2)),
                role_arn=draw(st.sampled_from(ROLES)),
                training_seconds=draw(st.integers(0, 1500) | st.floats(0, 1500)),
                outcome=draw(st.sampled_from(OUTCOMES)),
                max_runtime_seconds=draw(st.sampled_from((86400, 900))),
                keep_alive_seconds=draw(st.sampled_from((None, 0, 60, 600, 900))),
            )
        )
    return rows


TIMINGS = st.sampled_from((Timing(), Timing(180, 20, 30), Timing(0, 0, 0), Timing(20, 180)))
LIMITS = st.sampled_from((Limits.GUIDE_2022, Limits(3600, 4000), Limits(900, 1500)))
PRICE_TABLES = st.sampled_from(({M5: 0.23, G5: 1.4}, {M5: 0.0, G5: 3.6}, {M5: 36.0, G5: 0.01}))
VALUES = st.sampled_from((0.0, 0.05, 0.5, 5.0))
GROUPS = st.sampled_from(("identity", "role"))


def _close_or_below(a: float, b: float) -> bool:
    return a <= b + 1e-9 * max(1.0, abs(b))


@settings(max_examples=60)
@given(traces(), TIMINGS, LIMITS, PRICE_TABLES, VALUES, GROUPS, st.integers(0, 4000))
def test_without_quotas_each_advice_is_the_cheapest_single_keep_alive(
    rows: list[TraceJob],
    timing: Timing,
    limits: Limits,
    prices: dict[str, float],
    value: float,
    group: Any,
    other: int,
) -> None:
    """behaviour §13.5 / D42, D46: without quotas, each identity's or role's advice costs, in
    the verifying replay, no more than no warm pools and no more than the trace's own settings,
    and no more than any other single keep-alive for it (jobs that overlap, fail, are stopped,
    chain caps and timings included): the model the advice is chosen by is exact."""
    options: dict[str, Any] = {
        "prices": prices,
        "cold_start_value": value,
        "limits": limits,
        "timing": timing,
    }
    advice = advise(rows, group_by=group, **options)
    assert _close_or_below(advice.cost, advice.cost_without_warm_pools)
    assert _close_or_below(advice.cost, advice.cost_with_own_settings)
    limit = limits.max_keep_alive_seconds
    for name, item in advice.keep_alives.items():
        assert _close_or_below(item.cost, item.cost_without_warm_pools)
        assert _close_or_below(item.cost, item.cost_with_own_settings)
        keep = item.keep_alive
        assert keep is None or 0 <= keep <= limit
        tried = {0, 1, other % (limit + 1), limit}
        if keep:
            tried |= {keep - 1, min(keep + 1, limit)}
        for alternative in tried:
            keep_alives = {**advice.policy().keep_alives}
            keep_alives.update(dict.fromkeys(item.identities, alternative))
            report = replay(rows, keep_alive=Advised(keep_alives), **options)
            cost = sum(
                report.by_identity[label].keep_alive_cost or 0.0 for label in item.identities
            )
            assert _close_or_below(item.cost, cost), (name, alternative)


QUOTAS = st.sampled_from(
    (
        {M5: Quota(training=3, warm_pool=2), G5: Quota(training=None, warm_pool=1)},
        {M5: Quota(training=None, warm_pool=0)},
        {M5: Quota(training=2, warm_pool=10**9)},
        {G5: Quota(training=1, warm_pool=1), M5: Quota(warm_pool=1)},
    )
)


@settings(max_examples=40)
@given(traces(), QUOTAS, PRICE_TABLES, VALUES, GROUPS)
def test_under_quotas_the_advice_never_costs_more_than_either_baseline(
    rows: list[TraceJob],
    quotas: dict[str, Quota],
    prices: dict[str, float],
    value: float,
    group: Any,
) -> None:
    """behaviour §7, §13.5 / D46: under quotas shared by identities, the advice's replay costs
    no more than the replay without warm pools, nor the one with the trace's own settings; its
    quota per instance type is the advised replay's peak, within the quota given; and the
    reports are the replays the advice says they are."""
    options: dict[str, Any] = {"prices": prices, "cold_start_value": value, "quotas": quotas}
    advice = advise(rows, group_by=group, **options)
    assert _close_or_below(advice.cost, advice.cost_without_warm_pools)
    assert _close_or_below(advice.cost, advice.cost_with_own_settings)
    assert (
        advice.without_warm_pools.by_identity == replay(rows, keep_alive=0, **options).by_identity
    )
    assert advice.with_own_settings == replay(rows, **options)
    assert replay(rows, keep_alive=advice.policy(), **options) == advice.report
    for instance_type, quota in advice.quotas.items():
        figures = advice.report.by_instance_type[instance_type]
        assert quota.warm_pool_quota == figures.peak_retained_instances
        if quota.given is not None:
            assert quota.warm_pool_quota <= quota.given


# -- examples/teams.csv --------------------------------------------------------------------------


def test_the_teams_example_is_advised_per_identity_below_both_baselines() -> None:
    """behaviour §13.5 / D46: the four identities of examples/teams.csv each get a keep-alive;
    the advice costs less than the teams' own keep-alives and than no warm pools, and less
    than the best setting the sweep of docs/replay.md finds (2,074.26 USD)."""
    advice = advise(load_trace(TEAMS), prices=TEAMS_PRICES, cold_start_value=2.0)
    assert advice.group_by == "identity"
    assert len(advice.keep_alives) == 4
    assert advice.cost < 2074.26
    assert advice.cost < advice.cost_with_own_settings < advice.cost_without_warm_pools
    assert all(item.reason for item in advice.keep_alives.values())
    assert set(advice.quotas) == set(TEAMS_PRICES)


def test_the_teams_example_of_the_docs_prints_what_it_shows() -> None:
    """behaviour §13.5 / D46: docs/policies.md's ``warmpool advise examples/teams.csv`` prints
    what the page shows."""
    page = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    block = page.split("$ warmpool advise examples/teams.csv", 1)[1].split("```", 1)[0]
    command, _, shown = block.partition("\n    --price ml.g5.12xlarge=7.09\n")
    argv = [*command.replace("\\", " ").split(), "--price", "ml.g5.12xlarge=7.09"]
    status, out, err = run_cli("advise", str(TEAMS), *argv)
    assert (status, err) == (0, "")
    assert out.replace(str(TEAMS), "examples/teams.csv") == shown


# -- the command ---------------------------------------------------------------------------------


@pytest.fixture
def trace_path(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.csv"
    write_trace(path, crafted())
    return path


def test_warmpool_advise_json_is_the_advices_to_dict(trace_path: Path) -> None:
    """behaviour §13.5 / D46: ``warmpool advise --json`` prints ``Advice.to_dict()``."""
    status, out, err = run_cli(
        "advise", str(trace_path), "--price", f"{M5}=3.6", "--cold-start-value", "1", "--json"
    )
    assert (status, err) == (0, "")
    expected = advise(load_trace(trace_path), prices=PRICES, cold_start_value=1.0)
    assert json.loads(out) == json.loads(json.dumps(expected.to_dict()))
    assert json.loads(out)["keep_alives"][A]["keep_alive"] == 301


def test_warmpool_advise_prints_each_keep_alive_with_its_reason(trace_path: Path) -> None:
    """behaviour §13.5 / D46: the table has a row per identity with the reason beneath, the
    quota per instance type, and the costs and monthly savings."""
    status, out, err = run_cli(
        "advise", str(trace_path), "--price", f"{M5}=3.6", "--cold-start-value", "1"
    )
    assert (status, err) == (0, "")
    expected = advise(load_trace(trace_path), prices=PRICES, cold_start_value=1.0)
    assert out == format_advice(expected, source=str(trace_path), limits_name="guide-2022")
    lines = out.splitlines()
    assert lines[0] == (
        f"Advice for 14 training jobs of {trace_path} over 1.0 days, per identity (2 identities)."
    )
    row = next(i for i, line in enumerate(lines) if line.startswith(A))
    cells = ["5", "1,800", "s", "301", "s", "1", "3.68", "39.54", "89.94"]
    assert lines[row].split()[-9:] == cells
    assert lines[row + 1] == f"    why: {expected.keep_alives[A].reason}"
    assert any(line.startswith(M5) and " 2  the advised keep-alives" in line for line in lines)
    assert "  without warm pools  $14.00  saves $39.54" in out
    assert "  the trace's own     $48.08  saves $1,061.94" in out


def test_warmpool_advise_groups_by_role_when_asked(trace_path: Path) -> None:
    """behaviour §13.5 / D46: ``--group-by role`` and ``--max-identities`` choose the units."""
    for argv in (["--group-by", "role"], ["--max-identities", "1"]):
        status, out, _ = run_cli("advise", str(trace_path), "--price", f"{M5}=3.6", "--json", *argv)
        assert status == 0
        assert list(json.loads(out)["keep_alives"]) == ["team-a", "team-b"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "warmpool advise: --price: advice weighs idle time against cold starts"),
        (["--price", f"{G5}=1"], "warmpool advise: --price: advice weighs idle time"),
        (["--price", f"{M5}=-1"], "argument --price: USD_PER_HOUR in"),
        (["--price", f"{M5}=1", "--group-by", "team"], "argument --group-by: invalid choice"),
        (["--price", f"{M5}=1", "--max-identities", "0"], "--max-identities: must be >= 1"),
        (["--price", f"{M5}=1", "--max-identities", "x"], "--max-identities: expected a whole"),
        (["--price", f"{M5}=1", "--cold-start-value", "-1"], "must be a finite number >= 0"),
        (["--price", f"{M5}=1", "--limits", "x"], "argument --limits: invalid choice"),
    ],
)
def test_warmpool_advise_bad_arguments_exit_2_naming_the_flag(
    trace_path: Path, argv: list[str], message: str
) -> None:
    """behaviour §13.5 / D46: bad arguments exit with status 2 and a message naming the flag,
    printing nothing on standard output."""
    status, out, err = run_cli("advise", str(trace_path), *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_warmpool_advise_a_trace_it_cannot_read_exits_1(tmp_path: Path) -> None:
    """behaviour §13.2 / D39, D46: a missing or refused trace exits with status 1, naming it."""
    status, out, err = run_cli("advise", str(tmp_path / "missing.csv"), "--price", f"{M5}=1")
    assert (status, out) == (1, "")
    assert err.startswith("warmpool advise: ") and "missing.csv" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("submit_time,instance_type,training_seconds\n0,ml.nope.xlarge,60\n")
    status, out, err = run_cli("advise", str(bad), "--price", f"{M5}=1")
    assert (status, out) == (1, "")
    assert "line 2, column 'instance_type': CreateTrainingJob refused this row" in err


def test_warmpool_advise_reports_the_rows_a_loader_left_out(tmp_path: Path) -> None:
    """behaviour §13.2 / D39, D46: rows a loader skipped are counted on standard error."""
    log = factories.helios_log_with_a_cpu_only_row(tmp_path)
    status, out, err = run_cli(
        "advise", str(log), "--layout", "helios", "--price", "ml.g5.xlarge=1.41"
    )
    assert status == 0, err
    assert "left out: 1 cpu only" in err
    assert "Advice for 2 training jobs" in out


def test_advise_help_says_what_a_layout_without_keep_alive_means(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``warmpool advise`` has no ``--keep-alive``: its help says the Helios and Acme layouts'
    own keep-alive is 0, where ``replay`` and ``sweep`` say to give ``--keep-alive``."""
    from warmpool.cli import main as cli

    with pytest.raises(SystemExit):
        cli(["advise", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "own keep-alive is then 0 (no warm pools)" in text
    assert "give --keep-alive" not in text
    with pytest.raises(SystemExit):
        cli(["replay", "--help"])
    assert "give --keep-alive" in " ".join(capsys.readouterr().out.split())
