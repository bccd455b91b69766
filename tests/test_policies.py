"""warmpool.sim.policies: the cost model, the policy protocol as the replay drives it, and each
built-in policy's choice on crafted gap sequences (docs/policies.md, behaviour §13.5).

The numbers: ml.m5.xlarge at 3.6 USD an instance-hour idles at 0.001 USD a second for one
instance, so with a cold start worth 1 USD the break-even is 1000 s. Default timing: a cold
start takes 180 s, a warm one 20 s.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import run_cli
from warmpool import IdentityKey, Limits, Quota, identity_key
from warmpool.sim import TraceJob, replay, write_trace
from warmpool.sim.policies import (
    BreakEven,
    CostModel,
    Decision,
    Fixed,
    Histogram,
    IdleGap,
    Policy,
    PolicyError,
    RandomizedSkiRental,
    make_policy,
    policy_name,
)
from warmpool.sim.replay import request_for

M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
PRICES = {M5: 3.6, G5: 7.2}
ROLE_B = "arn:aws:iam::123456789012:role/TeamB"


def job(at: float, seconds: float = 600, **fields: Any) -> TraceJob:
    fields.setdefault("instance_type", M5)
    return TraceJob(submit_time=at, training_seconds=seconds, **fields)


def decision(
    *,
    rate: float | None = 0.001,
    cold: float = 1.0,
    limit: int = 3600,
    identity: str = "A",
    count: int = 1,
) -> Decision:
    row = job(0, instance_count=count)
    key: IdentityKey = identity_key(request_for(row, "x", None))
    return Decision(1, 0.0, row, identity, key, M5, count, rate, cold, limit)


class Recorder:
    """A policy that records what the replay tells it and answers from a list (or 0)."""

    name = "recorder"

    def __init__(self, answers: list[int] | None = None) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Any]] = []

    def keep_alive(self, decision: Decision) -> int:
        self.calls.append(("decide", decision))
        return 0 if self.answers is None else self.answers[decision.number - 1]

    def observe(self, gap: IdleGap) -> None:
        self.calls.append(("observe", gap))


# -- the cost model ------------------------------------------------------------------------------


def test_a_cold_start_costs_its_value_because_aws_bills_no_start_up_time() -> None:
    """Training is billed from TrainingStartTime (the API Reference of DescribeTrainingJob,
    docs/references.md: "You are billed for the time interval between this time and the value
    of TrainingEndTime"), so a cold start's billed part is 0 and its cost is the cold-start
    value alone, whatever the cluster (D42)."""
    model = CostModel(PRICES, cold_start_value=0.75)
    assert model.cold_start_cost(M5, 1) == model.cold_start_cost(G5, 8) == 0.75
    assert model.idle_rate(M5, 2) == pytest.approx(2 * 3.6 / 3600)
    assert model.break_even_seconds(M5, 1) == pytest.approx(750)
    assert model.idle_rate("ml.p3.2xlarge", 1) is None
    assert model.break_even_seconds("ml.p3.2xlarge", 1) is None
    assert CostModel({M5: 0.0}, cold_start_value=1).break_even_seconds(M5, 1) == math.inf
    assert CostModel({M5: 0.0}).break_even_seconds(M5, 1) == 0


@pytest.mark.parametrize("value", [-1, math.nan, math.inf, True, "1"])
def test_the_cold_start_value_must_be_a_finite_number_of_usd(value: Any) -> None:
    with pytest.raises(PolicyError, match="cold_start_value must be"):
        CostModel(PRICES, cold_start_value=value)
    with pytest.raises(PolicyError, match="cold_start_value must be"):
        replay([job(0)], prices=PRICES, cold_start_value=value)
    with pytest.raises(PolicyError, match=r"prices\['ml.m5.xlarge'\] must be"):
        CostModel({M5: -1.0})


def test_the_report_prices_idle_pools_and_cold_starts_under_the_cost_model() -> None:
    """keep_alive_cost = retained_cost + cold_start_cost, in all and per group; a group
    without a price has none; a report without prices has none (D42)."""
    rows = [
        job(0, keep_alive_seconds=1800),
        job(0, instance_type=G5, keep_alive_seconds=0),
        job(880, keep_alive_seconds=1800),  # takes over job 1's pool after 100 s
    ]
    report = replay(rows, prices={M5: 3.6}, cold_start_value=2.0)
    m5 = report.by_instance_type[M5]
    assert (m5.cold_starts, m5.retained_instance_seconds) == (1, 100 + 1800)
    assert m5.cold_start_cost == 2.0
    assert m5.keep_alive_cost == pytest.approx(1.9 + 2.0)
    assert report.by_instance_type[G5].cold_start_cost is None  # no price for ml.g5.xlarge
    assert report.cold_start_cost == 2.0  # priced types only, like retained_cost
    assert report.retained_cost is not None
    assert report.keep_alive_cost == pytest.approx(report.retained_cost + 2.0)
    assert report.cold_start_value == 2.0
    unpriced = replay(rows, cold_start_value=2.0)
    assert unpriced.cold_start_cost is None and unpriced.keep_alive_cost is None
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["keep_alive_cost"] == report.keep_alive_cost
    assert data["by_identity"]["SageMakerRole ml.m5.xlarge x1 30 GB"]["cold_start_cost"] == 2.0
    assert (data["policy"], data["cold_start_value"], data["regret"]) == (None, 2.0, None)


def test_a_job_the_training_quota_refuses_costs_a_cold_start() -> None:
    """A refused job did not start warm and its people wait at least as long: the cost model
    counts it as a cold start (so refusing jobs never makes a policy look cheaper) (D42)."""
    rows = [job(0), job(10)]
    report = replay(
        rows, quotas={M5: Quota(training=1, warm_pool=0)}, prices=PRICES, cold_start_value=1.5
    )
    assert (report.cold_starts, report.training_quota_refusals) == (1, 1)
    assert report.cold_start_cost == 3.0


# -- the protocol as the replay drives it ---------------------------------------------------------


def test_a_policy_decides_before_each_create_with_what_it_may_know() -> None:
    """Each row gets one Decision, in submit order: its place, time, row, identity (the label
    the report uses) and key, instance type and count, idle rate, cold-start cost and the
    limits' maximum keep-alive (D43)."""
    rows = [job(0, instance_count=2), job(5, instance_type=G5, role_arn=ROLE_B)]
    recorder = Recorder()
    report = replay(
        rows, keep_alive=recorder, prices=PRICES, cold_start_value=0.5, limits=Limits.API_MODEL
    )
    decisions = [d for kind, d in recorder.calls if kind == "decide"]
    assert [(d.number, d.time, d.job) for d in decisions] == [(1, 0, rows[0]), (2, 5, rows[1])]
    assert [d.identity for d in decisions] == list(report.by_identity)
    first, second = decisions
    assert first.key == identity_key(request_for(rows[0], "x", None))
    assert (first.instance_type, first.instance_count) == (M5, 2)
    assert first.idle_rate == pytest.approx(2 * 3.6 / 3600)
    assert second.idle_rate == pytest.approx(7.2 / 3600)
    assert first.cold_start_cost == 0.5
    assert first.max_keep_alive == 21600
    assert first.break_even_seconds == pytest.approx(250)
    assert report.policy == "recorder" and report.keep_alive is None


def test_a_policy_observes_each_gap_from_release_to_the_next_create_of_its_identity() -> None:
    """A gap runs from a job's release to the identity's next create, bridged or not (a gap
    that ends in a cold start because the pool expired is observed whole); it is observed at
    that create, before the decision; one gap per release since the identity's previous
    create; other identities' creates end no gap; gaps still open at the end are never
    observed (D43)."""
    rows = [
        job(0, 100),  # cold: released at 280
        job(50, 200),  # cold: released at 430
        job(60, 10, role_arn=ROLE_B),  # another identity: released at 250
        job(1000, 100),  # ends the gaps from 280 and 430; cold (no keep-alive): released 1280
        job(9000, 100),  # ends the gap from 1280 (7720 s: no pool could bridge it)
    ]
    recorder = Recorder()
    replay(rows, keep_alive=recorder)
    seen = [
        (kind, value.number if kind == "decide" else (value.released_at, value.created_at))
        for kind, value in recorder.calls
    ]
    assert seen == [
        ("decide", 1),
        ("decide", 2),
        ("decide", 3),
        ("observe", (280, 1000)),
        ("observe", (430, 1000)),
        ("decide", 4),
        ("observe", (1280, 9000)),
        ("decide", 5),
    ]
    gaps = [value for kind, value in recorder.calls if kind == "observe"]
    assert [g.seconds for g in gaps] == [720, 570, 7720]
    assert {g.identity for g in gaps} == {"SageMakerRole ml.m5.xlarge x1 30 GB"}


def test_a_release_at_the_instant_of_a_create_ends_a_gap_of_zero_seconds() -> None:
    """The replay runs the clock to a row's submit time before its create (D38), so a release
    at that instant is observed, and its pool is there to take (D43, D5)."""
    recorder = Recorder(answers=[60, 0])
    report = replay([job(0, 100), job(280, 100)], keep_alive=recorder)
    gaps = [value for kind, value in recorder.calls if kind == "observe"]
    assert [(g.released_at, g.created_at, g.seconds) for g in gaps] == [(280, 280, 0)]
    assert report.warm_starts == 1


def test_a_job_refused_by_the_training_quota_ends_no_gap_and_starts_none() -> None:
    """A job refused by the training quota never runs, so it has no release and ends no gap
    (D43, D38)."""
    recorder = Recorder()
    report = replay(
        [job(0, 100), job(10, 100), job(500, 100)],
        keep_alive=recorder,
        quotas={M5: Quota(training=1, warm_pool=0)},
    )
    assert report.training_quota_refusals == 1
    gaps = [value for kind, value in recorder.calls if kind == "observe"]
    assert [(g.released_at, g.created_at) for g in gaps] == [(280, 500)]


def test_the_policys_keep_alive_is_what_the_job_asks_for() -> None:
    """Each job is created with the keep-alive its policy chose: a pool is kept for exactly
    that long (D43)."""
    rows = [job(0, 100), job(1000, 100), job(2000, 100)]
    report = replay(rows, keep_alive=Recorder(answers=[719, 721, 0]), prices=PRICES)
    # job 1 released at 280: its pool expires at 999, just before job 2 (cold, out at 1280);
    # job 2's pool is kept 721 s, so job 3 at 2000 takes it after 720 s.
    assert (report.warm_starts, report.cold_starts) == (1, 2)
    assert report.retained_instance_seconds == 719 + 720


@pytest.mark.parametrize("answer", [3601, -1, True, 1.5, "60", None])
def test_a_keep_alive_outside_the_limits_stops_the_replay_naming_the_policy(answer: Any) -> None:
    """A policy must answer a whole number of seconds from 0 to the limits' maximum; anything
    else stops the replay with a PolicyError naming the policy, the job and the rule (D43)."""
    with pytest.raises(PolicyError) as caught:
        replay([job(0, job_name="first")], keep_alive=Recorder(answers=[answer]))
    message = str(caught.value)
    assert "'recorder'" in message and "'first'" in message and "from 0 to 3600" in message


def test_keep_alive_still_takes_none_or_an_int_and_refuses_anything_else() -> None:
    """``keep_alive`` keeps its meanings (None: the rows' own; an int: every job's) and takes a
    policy too; ``Fixed(n)`` replays as ``keep_alive=n`` (D43, D38)."""
    rows = [job(0, keep_alive_seconds=60), job(500)]
    assert replay(rows, keep_alive=None).warm_starts == 0  # the row's own 60 s: gone at 840
    by_int = replay(rows, keep_alive=900)
    by_policy = replay(rows, keep_alive=Fixed(900))
    assert (by_int.policy, by_policy.policy) == (None, "fixed:900")
    assert by_int.to_dict() == {**by_policy.to_dict(), "policy": None, "keep_alive": 900}
    with pytest.raises(ValueError, match="keep_alive must be None, an int >= 0 or a policy"):
        replay(rows, keep_alive="fixed:900")  # type: ignore[arg-type]


def test_a_policy_is_a_plain_object_with_two_methods() -> None:
    """Any object with ``keep_alive`` and ``observe`` is a policy; its ``name``, else its class,
    names it (D43)."""
    assert isinstance(Recorder(), Policy)
    assert all(
        isinstance(p, Policy) for p in (Fixed(1), BreakEven(), RandomizedSkiRental(), Histogram())
    )
    assert not isinstance(object(), Policy)
    assert policy_name(Recorder()) == "recorder"
    assert policy_name(type("Custom", (), {"keep_alive": 0, "observe": 0})()) == "Custom"


# -- Fixed ------------------------------------------------------------------------------------


def test_fixed_gives_every_job_the_same_keep_alive() -> None:
    """D43: ``fixed:N`` answers N whatever it is asked."""
    policy = Fixed(900)
    assert [policy.keep_alive(decision(rate=r)) for r in (None, 0.0, 1.0)] == [900, 900, 900]
    with pytest.raises(PolicyError, match="fixed: seconds must be a whole number"):
        Fixed(-1)


# -- BreakEven ------------------------------------------------------------------------------------


def test_break_even_keeps_alive_until_idle_cost_equals_a_cold_start() -> None:
    """B = cold-start cost / idle cost per second, rounded up to whole seconds, capped at the
    maximum keep-alive; 0 when a cold start is worth nothing, the maximum when idle is free
    (D43)."""
    policy = BreakEven()
    assert policy.keep_alive(decision(rate=0.001, cold=1.0)) == 1000
    assert policy.keep_alive(decision(rate=0.001, cold=0.25)) == 250
    assert policy.keep_alive(decision(rate=0.003, cold=1.0)) == 334  # 333.3 s, rounded up
    assert policy.keep_alive(decision(rate=0.0001, cold=1.0)) == 3600  # 10000 s: capped
    assert policy.keep_alive(decision(rate=0.001, cold=0.0)) == 0
    assert policy.keep_alive(decision(rate=0.0, cold=1.0)) == 3600


def test_break_even_needs_a_price_to_weigh_idle_time() -> None:
    """Without a price there is no idle rate to weigh: a clear PolicyError naming the type
    (D43)."""
    with pytest.raises(PolicyError, match=r"needs the price of ml\.m5\.xlarge"):
        BreakEven().keep_alive(decision(rate=None))
    with pytest.raises(PolicyError, match=r"needs the price of ml\.m5\.xlarge"):
        replay([job(0)], keep_alive=BreakEven())


def test_break_even_bridges_gaps_shorter_than_b_and_lets_longer_ones_go() -> None:
    """B = 1000 s, so every pool is kept 1000 s. Job 1 (cold) is released at 280; job 2 comes
    999 s later and takes its pool (released at 1399); job 3 comes 1001 s after that, a second
    after job 2's pool expired: cold (released at 2680); job 4 comes 30 s later: warm (D43)."""
    rows = [job(0, 100), job(1279, 100), job(2400, 100), job(2710, 100)]
    report = replay(rows, keep_alive=BreakEven(), prices=PRICES, cold_start_value=1.0)
    assert (report.warm_starts, report.cold_starts) == (2, 2)
    assert report.retained_instance_seconds == 999 + 1000 + 30 + 1000


@settings(max_examples=200)
@given(
    rate=st.floats(1e-5, 1.0),
    cold=st.floats(0.0, 100.0),
    gap=st.floats(0.0, 10_000.0),
)
def test_break_even_pays_at_most_twice_the_best_choice_on_every_gap(
    rate: float, cold: float, gap: float
) -> None:
    """The classical ski-rental guarantee of its choice (Karlin, Manasse, Rudolph and Sleator
    1988), with a gap's idle time billed in whole seconds: bridging a gap shorter than the
    keep-alive costs its idle time; otherwise the pool idles its whole keep-alive and a cold
    start follows. At most twice min(idle cost of the gap, a cold start), plus a second of
    rounding; here with no maximum keep-alive in the way (D43)."""
    keep = BreakEven().keep_alive(decision(rate=rate, cold=cold, limit=10**9))
    paid = rate * math.ceil(gap) if gap < keep else rate * keep + cold
    best = min(rate * math.ceil(gap), cold)
    assert paid <= 2 * best + rate * 1.000001 + 1e-12


# -- RandomizedSkiRental --------------------------------------------------------------------------


def test_randomized_ski_rental_draws_from_the_density_on_zero_to_b() -> None:
    """Draws x with density e^(x/B) / (B (e-1)) on [0, B] (Karlin, Manasse, McGeoch and Owicki
    1994): its distribution function is (e^(x/B) - 1) / (e - 1). 20,000 seeded draws with
    B = 1000 s are within 0.015 of it everywhere, and all in [0, 1000] (D43)."""
    policy = RandomizedSkiRental(seed=3)
    draws = sorted(policy.keep_alive(decision()) for _ in range(20_000))
    assert draws[0] >= 0
    assert draws[-1] <= 1000
    worst = max(
        abs((index + 1) / len(draws) - math.expm1(x / 1000) / (math.e - 1))
        for index, x in enumerate(draws)
    )
    assert worst < 0.015


def test_randomized_ski_rental_expects_at_most_e_over_e_minus_1_times_the_best_choice() -> None:
    """Its expected cost on any gap is at most e/(e-1) (1.582) times the best choice: checked
    on a grid of gaps with the same 20,000 seeded draws (rounding up to whole seconds adds at
    most a second of idle) (D43)."""
    policy = RandomizedSkiRental(seed=11)
    rate, cold = 0.001, 1.0
    draws = [policy.keep_alive(decision(rate=rate, cold=cold)) for _ in range(20_000)]
    for gap in (0, 100, 500, 900, 999, 1000, 1500, 5000):
        paid = sum(rate * gap if gap < keep else rate * keep + cold for keep in draws)
        best = min(rate * gap, cold)
        assert paid / len(draws) <= math.e / (math.e - 1) * best + 0.01


def test_randomized_ski_rental_is_the_same_with_the_same_seed() -> None:
    """Seeded: the same seed gives the same report; seeds differ; B = 0 and B = inf need no draw to
    decide (D43)."""
    rows = [job(at, 100) for at in (0, 500, 2000, 2300, 6000, 6100)]
    first = replay(rows, keep_alive=RandomizedSkiRental(seed=5), prices=PRICES, cold_start_value=1)
    again = replay(rows, keep_alive=RandomizedSkiRental(seed=5), prices=PRICES, cold_start_value=1)
    assert first == again
    choices = [RandomizedSkiRental(seed=s).keep_alive(decision()) for s in range(5)]
    assert len(set(choices)) > 1  # different seeds, different draws
    assert RandomizedSkiRental(seed=1).keep_alive(decision(cold=0.0)) == 0
    assert RandomizedSkiRental(seed=1).keep_alive(decision(rate=0.0)) == 3600


# -- Histogram ------------------------------------------------------------------------------------


def gap(identity: str, seconds: float) -> IdleGap:
    return IdleGap(identity, 1000.0, 1000.0 + seconds)


def test_histogram_keeps_alive_for_the_percentile_of_the_identitys_observed_gaps() -> None:
    """Gaps are binned per minute; the keep-alive is the upper edge of the bin holding the
    percentile, so that share of the gaps would have been bridged (D43)."""
    policy = Histogram(90, min_samples=10)
    policy.keep_alive(decision(identity="A"))  # learns the limit (3600 s)
    for seconds in (30, 50, 70, 100, 130, 200, 250, 300, 590, 1000):
        policy.observe(gap("A", seconds))
    assert policy.keep_alive(decision(identity="A")) == 600  # 9 of 10 are under 600 s
    assert Histogram(50, min_samples=1).name == "histogram:50,min_samples=1"
    half = Histogram(50, min_samples=1)
    half.keep_alive(decision(identity="A"))
    for seconds in (30, 50, 70, 100, 130, 200, 250, 300, 590, 1000):
        half.observe(gap("A", seconds))
    assert half.keep_alive(decision(identity="A")) == 180  # 5 of 10 are under 180 s
    policy.observe(gap("A", 3000))
    assert policy.keep_alive(decision(identity="A")) == 1020  # 10 of 11 under 1020 s


def test_histogram_falls_back_until_an_identity_has_min_samples_gaps() -> None:
    """Per identity, the fallback answers until ``min_samples`` bridgeable gaps are seen
    (D43)."""
    policy = Histogram(99, min_samples=3, fallback=Fixed(77))
    assert policy.keep_alive(decision(identity="A")) == 77
    policy.observe(gap("A", 10))
    policy.observe(gap("A", 20))
    assert policy.keep_alive(decision(identity="A")) == 77
    policy.observe(gap("A", 30))
    assert policy.keep_alive(decision(identity="A")) == 60
    assert policy.keep_alive(decision(identity="B")) == 77  # per identity
    assert Histogram().keep_alive(decision(rate=0.001, cold=1.0)) == 1000  # break-even


def test_histogram_counts_gaps_no_keep_alive_can_bridge_apart() -> None:
    """A gap as long as the maximum keep-alive cannot be bridged whatever the keep-alive: it
    is left out of the percentile (overnight gaps would otherwise push every identity to the
    maximum) (D43)."""
    policy = Histogram(99, min_samples=2, fallback=Fixed(5))
    policy.keep_alive(decision(identity="A", limit=600))
    for seconds in (600, 5000, 86400):
        policy.observe(gap("A", seconds))
    assert policy.keep_alive(decision(identity="A", limit=600)) == 5  # still the fallback
    policy.observe(gap("A", 100))
    policy.observe(gap("A", 599))
    assert policy.keep_alive(decision(identity="A", limit=600)) == 600


def test_histogram_learns_an_identitys_rhythm_in_a_replay() -> None:
    """Jobs every 400 s after the last one's release: once 3 gaps are seen, the 99th
    percentile bin is 360-420 s, so the keep-alive becomes 420 s instead of the fallback's
    1000 s (D43)."""
    rows, at = [], 0.0
    for _ in range(6):
        rows.append(job(at, 100))
        at += 20 + 100 + 400 if rows[1:] else 180 + 100 + 400
    recorder: list[int] = []
    policy = Histogram(99, min_samples=3)

    class Watch:
        name = "watch"

        def keep_alive(self, decision: Decision) -> int:
            keep = policy.keep_alive(decision)
            recorder.append(keep)
            return keep

        def observe(self, gap: IdleGap) -> None:
            policy.observe(gap)

    report = replay(rows, keep_alive=Watch(), prices=PRICES, cold_start_value=1.0)
    assert recorder == [1000, 1000, 1000, 420, 420, 420]
    assert report.warm_starts == 5


def test_histogram_parameters_are_checked() -> None:
    """Bad parameters are refused naming the parameter and the rule (D43)."""
    with pytest.raises(PolicyError, match="histogram: percentile"):
        Histogram(0)
    with pytest.raises(PolicyError, match="histogram: percentile"):
        Histogram(101)
    with pytest.raises(PolicyError, match="histogram: min_samples"):
        Histogram(min_samples=0)
    with pytest.raises(PolicyError, match="histogram: bin_seconds"):
        Histogram(bin_seconds=0)


# -- by name --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("fixed:900", Fixed, "fixed:900"),
        (" fixed : 0 ", Fixed, "fixed:0"),
        ("fixed:seconds=60", Fixed, "fixed:60"),
        ("break-even", BreakEven, "break-even"),
        ("randomized", RandomizedSkiRental, "randomized:seed=0"),
        ("randomized:7", RandomizedSkiRental, "randomized:seed=7"),
        ("randomized:seed=7", RandomizedSkiRental, "randomized:seed=7"),
        ("histogram", Histogram, "histogram:99"),
        ("histogram:95", Histogram, "histogram:95"),
        ("histogram:99.5,min_samples=3", Histogram, "histogram:99.5,min_samples=3"),
        ("histogram:bin_seconds=30", Histogram, "histogram:99,bin_seconds=30"),
        (
            "histogram:90,fallback=fixed:600",
            Histogram,
            "histogram:90,fallback=fixed:600",
        ),
    ],
)
def test_make_policy_reads_every_documented_text(text: str, kind: type, name: str) -> None:
    """The registry reads every text of docs/policies.md, and a policy's name reads back as itself
    (D43)."""
    policy = make_policy(text)
    assert isinstance(policy, kind)
    assert policy_name(policy) == name
    assert policy_name(make_policy(name)) == name  # a name reads back as itself


def test_make_policy_takes_parameters_as_keywords_too() -> None:
    """D43: ``make_policy(name, **params)``, a new policy each call."""
    assert policy_name(make_policy("fixed", seconds=60)) == "fixed:60"
    histogram = make_policy("histogram", percentile=80, fallback=Fixed(1))
    assert policy_name(histogram) == "histogram:80,fallback=fixed:1"
    assert make_policy("randomized:3") is not make_policy("randomized:3")  # new each time


@pytest.mark.parametrize(
    ("text", "params", "message"),
    [
        ("lru", {}, "unknown policy 'lru': expected one of fixed:SECONDS, break-even"),
        ("fixed", {}, "fixed needs its seconds"),
        ("fixed:ten", {}, "fixed: seconds must be a whole number, not 'ten'"),
        ("fixed:-5", {}, "fixed: seconds must be a whole number of seconds >= 0"),
        ("break-even:5", {}, "break-even takes no parameters"),
        ("randomized:x", {}, "randomized: seed must be a whole number"),
        ("histogram:95,99", {}, "needs a name (key=value)"),
        ("histogram:pct=9", {}, "histogram has no parameter 'pct'"),
        ("histogram:95,percentile=90", {}, "histogram: percentile is given twice"),
        ("histogram:0", {}, "percentile must be a number above 0 and at most 100"),
        ("histogram:95", {"percentile": 90}, "percentile is given twice"),
        ("fixed:5", {"seed": 1}, "fixed has no parameter 'seed'"),
        ("break-even", {"seed": 1}, "break-even has no parameter 'seed': it takes none"),
        ("histogram:fallback=nope", {}, "unknown policy 'nope'"),
    ],
)
def test_make_policy_refuses_bad_texts_naming_the_rule(
    text: str, params: dict[str, Any], message: str
) -> None:
    """Every malformed text is a PolicyError that names the policy, the parameter and the rule
    (D43)."""
    with pytest.raises(PolicyError, match=None) as caught:
        make_policy(text, **params)
    assert message in str(caught.value)


# -- the command ----------------------------------------------------------------------------------


run = run_cli


@pytest.fixture
def gaps_csv(tmp_path: Path) -> Path:
    path = tmp_path / "gaps.csv"
    write_trace(path, [job(0, 100), job(380, 100), job(6000, 100), job(6310, 100)])
    return path


def test_the_command_replays_with_a_policy_and_shows_the_regret(gaps_csv: Path) -> None:
    """``warmpool replay --policy NAME --cold-start-value USD --price ...`` prints the cost model's
    figures, the optimum and the regret, in the tables and in JSON (D42, D44)."""
    status, out, err = run(
        "replay",
        str(gaps_csv),
        "--policy",
        "break-even",
        "--price",
        f"{M5}=3.6",
        "--cold-start-value",
        "1",
    )
    assert (status, err) == (0, "")
    assert "Keep-alive: chosen by the policy break-even." in out
    # B = 1000 s: job 2 bridged (100 s), job 3 cold, job 4 bridged (30 s); pools 2 and 4
    # idle their 1000 s: 2,130 s idle ($2.13) + 2 cold starts ($2) = $4.13. The optimum:
    # 130 s + 2 cold starts = $2.13.
    assert "cold-start cost           $2.00 (2 x $1)" in out
    assert "keep-alive cost           $4.13 (retained + cold starts)" in out
    assert "hindsight optimum         $2.13\n" in out
    assert "regret                    1.94 x the optimum" in out
    status, out, _ = run(
        "replay", str(gaps_csv), "--policy", "fixed:0", "--price", f"{M5}=3.6", "--json"
    )
    data = json.loads(out)
    assert (data["policy"], data["cold_start_value"], data["keep_alive_cost"]) == (
        "fixed:0",
        0.0,
        0.0,
    )
    assert (data["optimum_cost"], data["optimum_exact"], data["regret"]) == (0.0, True, 1.0)


def test_an_unbounded_regret_says_why(gaps_csv: Path) -> None:
    """With a cold start worth nothing the optimum keeps no pool and costs nothing: any idle
    pool makes the regret unbounded (JSON: null) (D44)."""
    status, out, _ = run("replay", str(gaps_csv), "--keep-alive", "60", "--price", f"{M5}=3.6")
    assert status == 0
    assert "regret                    unbounded (the optimum costs nothing)" in out
    _, out, _ = run("replay", str(gaps_csv), "--keep-alive", "60", "--price", f"{M5}=3.6", "--json")
    assert json.loads(out)["regret"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--policy", "lru"), "argument --policy: unknown policy 'lru'"),
        (("--policy", "fixed:5", "--keep-alive", "5"), "not allowed with argument"),
        (("--cold-start-value", "-1"), "argument --cold-start-value: must be a finite number"),
        (("--cold-start-value", "lots"), "expected a number of USD"),
        (("--policy", "break-even"), "policy 'break-even' needs the price of ml.m5.xlarge"),
    ],
)
def test_the_commands_policy_arguments_are_checked(
    gaps_csv: Path, argv: tuple[str, ...], message: str
) -> None:
    """Bad policy arguments exit 2 with a message naming the flag and the rule (D43)."""
    status, _, err = run("replay", str(gaps_csv), *argv)
    assert status == 2
    assert message in err
