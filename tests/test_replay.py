"""warmpool.sim.replay: a trace replayed through the emulator, and its report (behaviour §13.1).

The small traces here are checked by hand against the rules of docs/concepts.md (cold start
180 s, warm start 20 s, a pool kept from the release for its keep-alive, billed seconds
rounded up); the property tests check the report against the emulator's own billing ledger.
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmpool import Limits, Quota, Timing, WarmPoolEmulator
from warmpool import strategies as wst
from warmpool.events import Event, JobCreated
from warmpool.sim import Figures, Report, TraceError, TraceJob, replay
from warmpool.sim.replay import identity_label, request_for

M5 = "ml.m5.xlarge"
G5 = "ml.g5.xlarge"
OTHER_ROLE = "arn:aws:iam::123456789012:role/TeamB"


def job(at: float, seconds: float, **fields: Any) -> TraceJob:
    fields.setdefault("instance_type", M5)
    fields.setdefault("keep_alive_seconds", 1800)
    return TraceJob(submit_time=at, training_seconds=seconds, **fields)


def test_a_hand_checked_trace_gives_its_cold_and_warm_starts_and_seconds() -> None:
    """Job 1 cold at 0 (trains 180-780, pool kept to 2580); job 2 at 900 takes it over (120 s
    retained), trains 920-1520, pool kept to 3320; job 3 at 1000 is cold (job 2 holds the
    pool), stopped by its user 300 s into training, no keep-alive; job 4 at 5000 is cold (the
    pool expired at 3320 after 1800 s), fails with AlgorithmError at 5280 and keeps its pool
    60 s."""
    rows = [
        job(0, 600),
        job(900, 600),
        job(1000, 300, keep_alive_seconds=0, outcome="Stopped"),
        job(5000, 100, keep_alive_seconds=60, outcome="AlgorithmError"),
    ]
    report = replay(rows, prices={M5: 0.36})
    assert (report.jobs, report.warm_starts, report.cold_starts) == (4, 1, 3)
    assert report.startup_seconds_saved == 160
    assert report.retained_instance_seconds == 120 + 1800 + 60
    assert report.training_instance_seconds == 600 + 600 + 300 + 100
    assert (report.completed, report.failed, report.stopped) == (2, 1, 1)
    assert report.peak_retained_instances == 1
    assert report.retained_cost == pytest.approx(1980 * 0.36 / 3600)
    assert report.training_cost == pytest.approx(1600 * 0.36 / 3600)
    assert report.total_cost == pytest.approx(3580 * 0.36 / 3600)
    assert report.end_seconds == 5340
    assert report.quota_refusals == 0


def test_instance_types_without_a_quota_have_no_warm_pool_limit() -> None:
    """D38: unlike the emulator's default (AWS's: no warm pools), a replay's instance types
    without a quota keep every pool, so the report shows the quota the workload needs."""
    rows = [job(i * 10, 100) for i in range(5)]
    report = replay(rows)
    assert report.peak_retained_instances == 5
    assert report.warm_pool_quota_refusals == 0
    aws_default = replay(rows, default_quota=Quota())
    assert aws_default.peak_retained_instances == 0
    assert aws_default.warm_pool_quota_refusals == 5


def test_instance_seconds_count_every_instance_of_a_cluster() -> None:
    rows = [job(0, 100, instance_count=3), job(400, 50, instance_count=3)]
    report = replay(rows)
    # job 1: trains 180-280, kept to 2080; job 2 at 400 takes it over: 120 s retained
    assert report.warm_starts == 1
    assert report.training_instance_seconds == 3 * (100 + 50)
    assert report.retained_instance_seconds == 3 * (120 + 1800)
    assert report.peak_retained_instances == 3


def test_keep_alive_override_replaces_every_rows_own_value() -> None:
    """``keep_alive=0``: no warm pools at all; ``keep_alive=None``: each row's own."""
    rows = [job(0, 100), job(400, 100), job(800, 100)]
    assert replay(rows).warm_starts == 2
    none = replay(rows, keep_alive=0)
    assert (none.warm_starts, none.cold_starts, none.retained_instance_seconds) == (0, 3, 0)
    assert none.keep_alive == 0
    # each job ends at 280 s after its create; a 60 s pool is gone before the next create
    short = replay(rows, keep_alive=60)
    assert short.warm_starts == 0
    assert short.retained_instance_seconds == 3 * 60


def test_rows_without_keep_alive_start_cold_and_retain_nothing() -> None:
    rows = [job(0, 100, keep_alive_seconds=None), job(400, 100, keep_alive_seconds=None)]
    report = replay(rows)
    assert (report.warm_starts, report.cold_starts) == (0, 2)
    assert report.retained_instance_seconds == 0


def test_an_unhealthy_failure_keeps_no_pool() -> None:
    """InternalServerError ends the cluster (D10); AlgorithmError keeps it."""
    unhealthy = [job(0, 100, outcome="InternalServerError"), job(400, 100)]
    assert replay(unhealthy).warm_starts == 0
    keepable = [job(0, 100, outcome="AlgorithmError"), job(400, 100)]
    assert replay(keepable).warm_starts == 1


def test_only_matching_identities_share_a_pool() -> None:
    rows = [
        job(0, 100),
        job(400, 100, role_arn=OTHER_ROLE),
        job(450, 100, instance_type=G5),
        job(500, 100),
    ]
    report = replay(rows)
    assert report.warm_starts == 1
    assert sorted(report.by_instance_type) == [G5, M5]
    assert report.by_instance_type[M5].jobs == 3
    assert report.by_instance_type[M5].warm_starts == 1
    assert report.by_instance_type[G5].cold_starts == 1
    labels = sorted(report.by_identity)
    assert labels == [
        "SageMakerRole ml.g5.xlarge x1 30 GB",
        "SageMakerRole ml.m5.xlarge x1 30 GB",
        "TeamB ml.m5.xlarge x1 30 GB",
    ]
    assert report.by_identity["SageMakerRole ml.m5.xlarge x1 30 GB"].warm_starts == 1
    assert report.by_identity["TeamB ml.m5.xlarge x1 30 GB"].cold_starts == 1


def test_identity_labels_name_what_is_set() -> None:
    row = job(
        0,
        1,
        volume_kms_key_id="key-1",
        security_group_ids=("sg-2", "sg-1"),
        subnets=("subnet-1",),
        network_isolation=True,
        inter_container_encryption=True,
    )
    label = identity_label(request_for(row, "n", None))
    assert label == (
        "SageMakerRole ml.m5.xlarge x1 30 GB kms=key-1 vpc=sg-1+sg-2/subnet-1 isolated encrypted"
    )


def test_the_warm_pool_quota_refuses_a_second_pool() -> None:
    """A quota of 1 instance: job 1's cluster is kept at 280, job 2's is refused at 290; job 3
    (600) takes over job 1's pool, job 4 (610) starts cold; job 3's cluster is kept again at
    720 and job 4's is refused at 890."""
    rows = [job(0, 100), job(10, 100), job(600, 100), job(610, 100)]
    report = replay(rows, quotas={M5: Quota(warm_pool=1)})
    assert report.warm_pool_quota_refusals == 2
    assert report.quota_refusals == 2
    assert report.warm_starts == 1
    assert report.peak_retained_instances == 1
    assert report.retained_instance_seconds == (600 - 280) + 1800


def test_the_training_quota_refuses_a_job_that_then_never_runs() -> None:
    """D38: a create refused by the training quota is counted, and the job never runs."""
    rows = [job(0, 1000), job(10, 1000), job(20, 100, instance_type=G5)]
    report = replay(rows, quotas={M5: Quota(training=1, warm_pool=1)})
    assert report.training_quota_refusals == 1
    assert report.jobs == 3
    assert report.warm_starts + report.cold_starts == 2
    assert report.training_instance_seconds == 1000 + 100
    assert report.by_instance_type[M5].training_quota_refusals == 1


def test_a_stopped_row_is_stopped_after_its_training_seconds() -> None:
    """D38: a Stopped row is stopped training_seconds after its training starts."""
    rows = [job(0, 250, outcome="Stopped", keep_alive_seconds=600), job(1000, 10)]
    report = replay(rows)
    # stopped at 180 + 250 = 430: its pool is kept (a stopped job keeps its cluster) to 1030;
    # job 2 takes it over at 1000, trains 1020-1030 and keeps its own pool 1800 s
    assert report.stopped == 1
    assert report.training_instance_seconds == 250 + 10
    assert report.warm_starts == 1
    assert report.retained_instance_seconds == (1000 - 430) + 1800


def test_a_stopped_row_longer_than_its_max_runtime_ends_at_the_max_runtime() -> None:
    rows = [job(0, 5000, outcome="Stopped", max_runtime_seconds=600)]
    report = replay(rows)
    assert report.training_instance_seconds == 600
    assert report.jobs == 1


def test_max_runtime_cuts_training_short() -> None:
    report = replay([job(0, 5000, max_runtime_seconds=600)])
    assert report.training_instance_seconds == 600


def test_timing_and_limits_are_the_emulators() -> None:
    rows = [job(0, 100, keep_alive_seconds=3600), job(3000, 100)]
    fast = replay(rows, timing=Timing(cold_start_seconds=60, warm_start_seconds=5))
    assert fast.startup_seconds_saved == 55
    assert fast.timing.cold_start_seconds == 60
    assert replay(rows, limits=Limits.API_MODEL).limits == Limits.API_MODEL


def test_a_row_the_emulator_refuses_names_its_line_and_column() -> None:
    """D38: a refusal other than a quota's is an error in the trace. Keep-alive above the
    limit (3600 s in the AWS guide's 2022 edition) is refused by
    CreateTrainingJob's validation; the replay stops with a TraceError naming the row."""
    rows = [job(0, 10), TraceJob(5, "ml.m5.xlarge", 10, keep_alive_seconds=7200, line=3)]
    with pytest.raises(TraceError) as caught:
        replay(rows)
    assert caught.value.line == 3
    assert caught.value.column == "keep_alive_seconds"
    assert "keepAlivePeriodInSeconds" in str(caught.value)
    # the API model's limits allow it
    assert replay(rows, limits=Limits.API_MODEL).jobs == 2


def test_an_unknown_instance_type_is_refused_with_its_column() -> None:
    rows = [TraceJob(0, "ml.nope.xlarge", 10, line=2)]
    with pytest.raises(TraceError) as caught:
        replay(rows)
    assert caught.value.column == "instance_type"


def test_rows_out_of_submit_order_are_refused() -> None:
    rows = [job(10, 1), TraceJob(5, M5, 1, line=3)]
    with pytest.raises(TraceError, match="submit order") as caught:
        replay(rows)
    assert (caught.value.line, caught.value.column) == (3, "submit_time")


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"submit_time": math.nan}, "submit_time"),
        ({"submit_time": -5}, "submit_time"),
        ({"submit_time": math.inf}, "submit_time"),
        ({"submit_time": "60"}, "submit_time"),
        ({"training_seconds": -1}, "training_seconds"),
        ({"training_seconds": math.nan}, "training_seconds"),
        ({"training_seconds": "600"}, "training_seconds"),
        ({"outcome": "completed"}, "outcome"),
        ({"outcome": "Failed"}, "outcome"),
    ],
)
def test_rows_built_in_code_are_checked_as_a_files_rows_are(
    fields: dict[str, Any], column: str
) -> None:
    """A TraceJob built in code breaking a rule load_trace enforces is a TraceError naming
    its line and column (not an emulator error, nor a silently different job: a lowercase
    'completed' would otherwise be replayed as a failure class), in replay and optimum."""
    from warmpool.sim.optimum import optimum

    row = TraceJob(**{"submit_time": 10, "instance_type": M5, "training_seconds": 60, **fields})
    row = attrs.evolve(row, line=3)
    for run in (replay, lambda rows: optimum(rows, prices={M5: 1.0})):
        with pytest.raises(TraceError) as caught:
            run([job(0, 1), row])
        assert (caught.value.line, caught.value.column) == (3, column)


def test_a_trace_that_is_not_rows_is_a_type_error() -> None:
    """A path (replay does not load files) or rows that are not TraceJobs: a TypeError that
    says what is expected, not an AttributeError from inside."""
    with pytest.raises(TypeError, match="load_trace"):
        replay("jobs.csv")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TraceJob"):
        replay([{"submit_time": 0, "instance_type": M5, "training_seconds": 60}])  # type: ignore[list-item]


def test_rows_at_one_instant_are_replayed_in_their_order() -> None:
    """D38: rows at one instant keep their order in the trace."""
    rows = [job(0, 100), job(500, 10, job_name="a"), job(500, 10, job_name="b")]
    seen: list[Event] = []
    replay(rows, on_emulator=lambda emu: emu.events.subscribe(seen.append))
    created = [e for e in seen if isinstance(e, JobCreated)]
    assert [e.job for e in created][1:] == ["a", "b"]
    assert created[1].cluster == 1  # the first of the two takes over the pool
    assert created[2].cluster is None


def test_names_are_generated_for_rows_without_one() -> None:
    seen: list[Event] = []
    replay([job(0, 1), job(1, 1)], on_emulator=lambda emu: emu.events.subscribe(seen.append))
    names = [e.job for e in seen if isinstance(e, JobCreated)]
    assert names == ["job-000001", "job-000002"]  # as load_trace names rows of a file


def test_bad_keep_alive_argument_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="keep_alive"):
        replay([job(0, 1)], keep_alive=-1)
    with pytest.raises(ValueError, match="keep_alive"):
        replay([job(0, 1)], keep_alive=True)


def test_a_keep_alive_above_the_limits_is_refused_as_an_argument_not_a_row() -> None:
    """D38 / behaviour §6.1: ``keep_alive`` above the limits' maximum is the argument's fault,
    refused before the replay, not blamed on the first row the emulator refuses."""
    with pytest.raises(ValueError, match="at most the limits") as caught:
        replay([job(0, 1)], keep_alive=3601)
    assert not isinstance(caught.value, TraceError)
    assert str(caught.value) == (
        "keep_alive must be at most the limits' 3600 s (KeepAlivePeriodInSeconds), not 3601"
    )
    docs = Limits(max_keep_alive_seconds=7200, max_pool_lifetime_seconds=7 * 86400)
    assert replay([job(0, 1)], keep_alive=7200, limits=docs).jobs == 1


def test_prices_missing_for_a_type_are_listed_and_left_out() -> None:
    rows = [job(0, 3600), job(0, 3600, instance_type=G5, keep_alive_seconds=None)]
    report = replay(rows, prices={M5: 1.0})
    assert report.unpriced_instance_types == (G5,)
    assert report.by_instance_type[G5].training_cost is None
    assert report.training_cost == pytest.approx(1.0)
    assert replay(rows).retained_cost is None


def test_report_to_dict_is_json_and_has_every_figure() -> None:
    report = replay([job(0, 100), job(400, 100)], prices={M5: 0.5})
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    for field in (
        "jobs",
        "warm_starts",
        "cold_starts",
        "startup_seconds_saved",
        "retained_instance_seconds",
        "training_instance_seconds",
        "quota_refusals",
        "retained_cost",
        "training_cost",
        "by_instance_type",
        "by_identity",
    ):
        assert field in data
    assert data["by_instance_type"][M5]["warm_starts"] == 1


def test_an_empty_trace_reports_nothing() -> None:
    report = replay([])
    assert report == Report(end_seconds=0)
    assert report.to_dict()["jobs"] == 0


#: Seconds from the default epoch (2026-01-01) to the end of the emulator clock's range,
#: 9999-12-31T23:59:59Z.
CLOCK_END = WarmPoolEmulator().clock.end


def test_a_submit_time_past_the_end_of_the_clock_is_a_trace_error() -> None:
    """D38: a row the replay cannot make is an error in the trace, naming the row; Unix
    milliseconds (1.7e12) written as seconds go past 9999-12-31T23:59:59Z."""
    rows = [job(0, 10, line=2), job(1.7e12, 10, line=3)]
    with pytest.raises(TraceError, match="9999-12-31T23:59:59Z") as caught:
        replay(rows)
    assert (caught.value.line, caught.value.column) == (3, "submit_time")


def test_a_job_that_would_end_past_the_end_of_the_clock_is_a_trace_error() -> None:
    """D38: a report never covers part of a trace, so a job whose training (or warm pool)
    would outlast the clock's range is refused, not left out of the figures."""
    for row in (
        job(CLOCK_END - 100, 600, line=4),  # training past the end
        job(CLOCK_END - 1000, 600, line=4, keep_alive_seconds=3600),  # its pool past the end
        job(CLOCK_END - 100, 600, line=4, outcome="Stopped"),  # its stop past the end
    ):
        with pytest.raises(TraceError, match="9999-12-31T23:59:59Z") as caught:
            replay([job(0, 10, line=3), row])
        assert (caught.value.line, caught.value.column) == (4, "submit_time")
    # a job that ends in time is replayed whole
    report = replay([job(CLOCK_END - 1000, 600, keep_alive_seconds=None)])
    assert report.completed == 1


# -- properties ------------------------------------------------------------------------------

ROLES = ("arn:aws:iam::123456789012:role/A", "arn:aws:iam::123456789012:role/B")


#: Traces of the two instance types the quotas below know, from the test kit's strategy: rows
#: at gaps up to 4000 s, 1 to 3 instances, the two roles, any keep-alive and outcome.
TRACES = wst.traces(
    max_size=25,
    instance_types=(M5, G5),
    roles=ROLES,
    max_instance_count=3,
    max_gap_seconds=4000,
    max_training_seconds=3000,
)


QUOTAS = st.sampled_from(
    (
        None,
        {M5: Quota(training=3, warm_pool=2), G5: Quota(training=None, warm_pool=1)},
        {M5: Quota(training=None, warm_pool=0)},
    )
)


@settings(max_examples=60, deadline=None)
@given(rows=TRACES, quotas=QUOTAS, keep_alive=st.sampled_from((None, 0, 900)))
def test_report_agrees_with_the_emulators_billing_ledger(
    rows: list[TraceJob], quotas: dict[str, Quota] | None, keep_alive: int | None
) -> None:
    """The replay's instance-seconds and costs equal what the emulator's billing ledger (an
    independent account of the same jobs, D27) totals, in all and by instance type."""
    prices = {M5: 0.23, G5: 1.4}
    held: list[WarmPoolEmulator] = []
    report = replay(
        rows, quotas=quotas, keep_alive=keep_alive, prices=prices, on_emulator=held.append
    )
    (emu,) = held
    ledger = emu.billing.total()
    assert report.retained_instance_seconds == ledger.retained_instance_seconds
    assert report.training_instance_seconds == ledger.training_instance_seconds
    assert report.retained_cost == pytest.approx(ledger.retained_cost)
    assert report.training_cost == pytest.approx(ledger.training_cost)
    by_type = emu.billing.totals_by("instance_type")
    for instance_type, figures in report.by_instance_type.items():
        if instance_type in by_type:
            assert figures.retained_instance_seconds == (
                by_type[instance_type].retained_instance_seconds
            )
            assert figures.training_instance_seconds == (
                by_type[instance_type].training_instance_seconds
            )
    # every pool has ended and nothing is left running
    assert emu.next_event_time() is None


@settings(max_examples=60, deadline=None)
@given(rows=TRACES, quotas=QUOTAS)
def test_breakdowns_add_up_to_the_totals(
    rows: list[TraceJob], quotas: dict[str, Quota] | None
) -> None:
    report = replay(rows, quotas=quotas)
    assert report.jobs == len(rows)
    assert report.warm_starts + report.cold_starts + report.training_quota_refusals == len(rows)
    assert report.completed + report.failed + report.stopped == (
        report.warm_starts + report.cold_starts
    )
    assert report.startup_seconds_saved == report.warm_starts * 160
    for breakdown in (report.by_instance_type, report.by_identity):
        for name in (
            "jobs",
            "warm_starts",
            "cold_starts",
            "retained_instance_seconds",
            "training_instance_seconds",
            "quota_refusals",
            "completed",
            "failed",
            "stopped",
        ):
            assert sum(getattr(f, name) for f in breakdown.values()) == getattr(report, name)
        assert all(isinstance(f, Figures) for f in breakdown.values())
    assert report.peak_retained_instances <= sum(
        f.peak_retained_instances for f in report.by_instance_type.values()
    )
    if quotas is not None:
        for instance_type, figures in report.by_instance_type.items():
            if instance_type in quotas:
                assert figures.peak_retained_instances <= quotas[instance_type].warm_pool


@settings(max_examples=30, deadline=None)
@given(rows=TRACES)
def test_the_same_trace_gives_the_same_report(rows: list[TraceJob]) -> None:
    assert replay(rows) == replay(rows)


@settings(max_examples=30, deadline=None)
@given(rows=TRACES)
def test_no_warm_pools_means_no_warm_starts(rows: list[TraceJob]) -> None:
    report = replay(rows, keep_alive=0)
    assert report.warm_starts == 0
    assert report.retained_instance_seconds == 0
    assert math.isclose(report.startup_seconds_saved, 0)
