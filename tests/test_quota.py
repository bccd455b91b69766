"""Quotas per instance type: training and warm pool limits (behaviour §7, D14)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, emulator, pool_status, request
from warmpool import (
    BillingLedger,
    JobPlan,
    Quota,
    QuotaLedger,
    QuotaUsage,
    Timing,
    VirtualClock,
    WarmPoolEmulator,
    errors,
)
from warmpool.events import PoolTerminated, QuotaRefused

OTHER_TYPE = "ml.c5.xlarge"
TYPES = (INSTANCE_TYPE, OTHER_TYPE)


# --- local helpers ---------------------------------------------------------------------------


def limit_text(instance_type: str, limit: int, used: int, delta: int) -> str:
    """AWS's ResourceLimitExceeded text (docs/references.md), written out independently."""
    return (
        f"The account-level service limit '{instance_type} for training job usage' is {limit} "
        f"Instances, with current utilization of {used} Instances and a request delta of "
        f"{delta} Instances. Please contact AWS support to request an increase for this limit."
    )


def observed_use(emu: WarmPoolEmulator) -> dict[str, tuple[int, int]]:
    """(in_training, retained) per instance type, recomputed from DescribeTrainingJob."""
    use: dict[str, list[int]] = {}
    for name in emu.job_names():
        body = emu.describe_training_job(TrainingJobName=name)
        resource = body["ResourceConfig"]
        groups = resource.get("InstanceGroups") or [resource]
        for group in groups:
            counts = use.setdefault(group["InstanceType"], [0, 0])
            if body["TrainingJobStatus"] in ("InProgress", "Stopping"):
                counts[0] += group["InstanceCount"]
            if body.get("WarmPoolStatus", {}).get("Status") == "Available":
                counts[1] += group["InstanceCount"]
    return {t: (c[0], c[1]) for t, c in use.items()}


def check_invariants(emu: WarmPoolEmulator) -> None:
    """behaviour §7: retained <= warm_pool, in_training + retained <= training, and the ledger's
    counts agree with the jobs' statuses."""
    observed = observed_use(emu)
    for instance_type in set(observed) | set(emu.quotas):
        usage = emu.quotas.usage(instance_type)
        assert (usage.in_training, usage.retained) == observed.get(instance_type, (0, 0))
        assert usage.retained <= usage.quota.warm_pool
        if usage.quota.training is not None:
            assert usage.in_training + usage.retained <= usage.quota.training


def refuse_create(emu: WarmPoolEmulator, **req: Any) -> errors.ResourceLimitExceeded:
    with pytest.raises(errors.ResourceLimitExceeded) as caught:
        emu.create_training_job(**req)
    assert caught.value.code == "ResourceLimitExceeded"
    assert caught.value.operation == "CreateTrainingJob"
    return caught.value


# --- the training limit ----------------------------------------------------------------------


def test_training_limit_refusal_has_awss_exact_text_with_used_in_training_plus_retained() -> None:
    """behaviour §7: used = in_training + retained; the text gives limit, used and delta."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=3, warm_pool=1)})
    emu.create_training_job(**request("kept"))
    emu.advance(1000)  # kept is Available: retained 1
    emu.create_training_job(**request("busy", volume_size=60))  # in training 1
    assert emu.quotas.usage(INSTANCE_TYPE).used == 2
    error = refuse_create(emu, **request("big", volume_size=70, instance_count=2))
    assert error.message == limit_text(INSTANCE_TYPE, 3, 2, 2)
    assert emu.events[-1] == QuotaRefused(1000, "big", "training", INSTANCE_TYPE, 3, 2, 2)
    assert emu.job_names() == ["kept", "busy"]
    check_invariants(emu)


def test_create_exactly_at_the_training_limit_is_accepted() -> None:
    """behaviour §7: refused only if in_training + retained + count > training."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=3)})
    emu.create_training_job(**request("a", instance_count=1))
    emu.create_training_job(**request("b", instance_count=2, volume_size=60))
    assert emu.quotas.in_training(INSTANCE_TYPE) == 3
    error = refuse_create(emu, **request("c", instance_count=1, volume_size=70))
    assert error.message == limit_text(INSTANCE_TYPE, 3, 3, 1)


def test_training_limit_0_refuses_any_cold_create() -> None:
    """behaviour §7, AWS's text: 'is 0 Instances, with current utilization of 0 Instances'."""
    emu = emulator(quotas={"ml.p3.2xlarge": Quota(training=0)})
    error = refuse_create(emu, **request("gpu", instance_type="ml.p3.2xlarge"))
    assert error.message == limit_text("ml.p3.2xlarge", 0, 0, 1)


def test_create_with_reuse_is_never_refused_even_at_the_training_limit() -> None:
    """behaviour §7 / D14: taking over a pool moves retained -> in_training and is never refused."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=2, warm_pool=2)})
    emu.create_training_job(**request("a", instance_count=2))
    emu.advance(1000)
    assert (emu.quotas.in_training(INSTANCE_TYPE), emu.quotas.retained(INSTANCE_TYPE)) == (0, 2)
    emu.create_training_job(**request("b", instance_count=2))  # matches a: reuse
    assert pool_status(emu, "a") == "Reused"
    assert (emu.quotas.in_training(INSTANCE_TYPE), emu.quotas.retained(INSTANCE_TYPE)) == (2, 0)
    assert emu.events.of_type(QuotaRefused) == []
    check_invariants(emu)


def test_reuse_is_not_refused_after_the_training_limit_was_lowered_below_use() -> None:
    """behaviour §7: a create with reuse is never refused, even when the limit is now below use."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=4, warm_pool=2)})
    emu.create_training_job(**request("a", instance_count=2))
    emu.advance(1000)
    emu.quotas[INSTANCE_TYPE] = Quota(training=0, warm_pool=2)
    emu.create_training_job(**request("b", instance_count=2))
    assert pool_status(emu, "b") == "InUse"
    assert pool_status(emu, "a") == "Reused"


def test_retained_instances_count_against_the_training_limit() -> None:
    """behaviour §7 / AWS guide: warm pool instances count toward the training limit."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1, warm_pool=1)})
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    assert pool_status(emu, "a") == "Available"
    error = refuse_create(emu, **request("other", volume_size=60))
    assert error.message == limit_text(INSTANCE_TYPE, 1, 1, 1)
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    emu.create_training_job(**request("other", volume_size=60))  # room again
    check_invariants(emu)


def test_finished_jobs_free_the_training_limit() -> None:
    """behaviour §7: release does in_training -= count."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1)})
    emu.create_training_job(**request("a", keep_alive=None))
    refuse_create(emu, **request("b", keep_alive=None))
    emu.advance(1000)
    emu.create_training_job(**request("b", keep_alive=None))
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1


def test_heterogeneous_job_counts_each_group_against_its_own_type() -> None:
    """behaviour §7: in_training is per instance type; a refusal names the type that overflows."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=4), OTHER_TYPE: Quota(training=2)})
    groups = [
        {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g1"},
        {"InstanceType": OTHER_TYPE, "InstanceCount": 2, "InstanceGroupName": "g2"},
    ]
    emu.create_training_job(**request("h1", ResourceConfig={"InstanceGroups": groups}))
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1
    assert emu.quotas.in_training(OTHER_TYPE) == 2
    error = refuse_create(emu, **request("h2", ResourceConfig={"InstanceGroups": groups}))
    assert error.message == limit_text(OTHER_TYPE, 2, 2, 2)
    assert emu.quotas.in_training(INSTANCE_TYPE) == 1  # the m5 group was not counted
    emu.advance(1000)
    assert (emu.quotas.in_training(INSTANCE_TYPE), emu.quotas.in_training(OTHER_TYPE)) == (0, 0)
    check_invariants(emu)


def test_spot_job_matching_a_pool_cold_starts_and_needs_training_quota() -> None:
    """behaviour §7 / D3: a spot job never takes a pool, so it is a create without reuse."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1, warm_pool=1)})
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    spot = request("spot", keep_alive=None, EnableManagedSpotTraining=True)
    error = refuse_create(emu, **spot)
    assert error.message == limit_text(INSTANCE_TYPE, 1, 1, 1)
    assert pool_status(emu, "a") == "Available"
    emu.quotas.set(INSTANCE_TYPE, training=2)
    emu.create_training_job(**spot)
    assert pool_status(emu, "a") == "Available"
    assert (emu.quotas.in_training(INSTANCE_TYPE), emu.quotas.retained(INSTANCE_TYPE)) == (1, 1)


def test_stop_before_launch_frees_the_training_limit() -> None:
    """behaviour §7: a job stopped before launch no longer counts in training."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1)})
    emu.create_training_job(**request("a"))
    emu.stop_training_job(TrainingJobName="a")
    assert emu.quotas.in_training(INSTANCE_TYPE) == 0
    emu.create_training_job(**request("b"))


# --- the warm pool limit ---------------------------------------------------------------------


def test_full_warm_pool_quota_silently_terminates_with_reason_warm_pool_quota() -> None:
    """behaviour §7 / D14: a release that does not fit is Terminated (WarmPoolQuota), no error."""
    emu = emulator(warm_pool=1)
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", volume_size=60))
    emu.advance(1000)  # both released at 780, a first (creation order)
    assert pool_status(emu, "a") == "Available"
    body = emu.describe_training_job(TrainingJobName="b")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["WarmPoolStatus"] == {
        "Status": "Terminated",
        "ResourceRetainedBillableTimeInSeconds": 0,
    }
    view = emu.warm_pool("b")
    assert view is not None
    assert view.reason == "WarmPoolQuota"
    assert QuotaRefused(780, "b", "warm_pool", INSTANCE_TYPE, 1, 1, 1) in list(emu.events)
    assert PoolTerminated(780, "b", 2, "WarmPoolQuota", 0) in list(emu.events)
    check_invariants(emu)


def test_default_warm_pool_quota_is_0_so_nothing_is_kept() -> None:
    """behaviour §7 / D14: warm pool limit defaults to 0, as on AWS."""
    emu = WarmPoolEmulator(workload=lambda _r: JobPlan(training_seconds=600))
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    assert pool_status(emu, "a") == "Terminated"
    refusals = emu.events.of_type(QuotaRefused)
    assert refusals == [QuotaRefused(780, "a", "warm_pool", INSTANCE_TYPE, 0, 0, 1)]


def test_warm_pool_quota_counts_instances_not_pools() -> None:
    """behaviour §7: kept only if retained + count <= warm_pool."""
    emu = emulator(warm_pool=3)
    emu.create_training_job(**request("two", instance_count=2))
    emu.create_training_job(**request("also-two", instance_count=2, volume_size=60))
    emu.create_training_job(**request("one", instance_count=1, volume_size=70))
    emu.advance(1000)
    assert [pool_status(emu, n) for n in ("two", "also-two", "one")] == [
        "Available",
        "Terminated",
        "Available",
    ]
    assert emu.quotas.retained(INSTANCE_TYPE) == 3


def test_warm_pool_quota_freed_by_an_expiry_at_the_same_instant_is_usable() -> None:
    """behaviour §4 / §7: a release at t sees the quota freed by a pool expiring at t."""
    emu = emulator(warm_pool=1)
    emu.create_training_job(**request("a", keep_alive=120))  # released 780, expires 900
    emu.advance(720)  # t=720
    emu.create_training_job(**request("b", volume_size=60))  # trains 900..1500
    emu.run_until(1500)
    emu.create_training_job(**request("c", volume_size=70, keep_alive=None))
    assert pool_status(emu, "a") == "Terminated"
    assert pool_status(emu, "b") == "Available"


def test_quotas_of_instance_types_are_independent() -> None:
    """behaviour §7 / D14: limits and use are per instance type."""
    emu = emulator(
        quotas={
            INSTANCE_TYPE: Quota(training=1, warm_pool=1),
            OTHER_TYPE: Quota(training=2, warm_pool=0),
        }
    )
    emu.create_training_job(**request("m5"))
    emu.create_training_job(**request("c5-a", instance_type=OTHER_TYPE))
    emu.create_training_job(**request("c5-b", instance_type=OTHER_TYPE, volume_size=60))
    error = refuse_create(emu, **request("c5-c", instance_type=OTHER_TYPE, volume_size=70))
    assert error.message == limit_text(OTHER_TYPE, 2, 2, 1)
    error = refuse_create(emu, **request("m5-b", volume_size=60))
    assert error.message == limit_text(INSTANCE_TYPE, 1, 1, 1)
    emu.advance(1000)
    assert pool_status(emu, "m5") == "Available"
    assert pool_status(emu, "c5-a") == "Terminated"  # c5 warm pool limit is 0
    assert emu.quotas.usage(INSTANCE_TYPE) == QuotaUsage(INSTANCE_TYPE, Quota(1, 1), 0, 1)
    assert emu.quotas.usage(OTHER_TYPE) == QuotaUsage(OTHER_TYPE, Quota(2, 0), 0, 0)
    emu.create_training_job(**request("p3", instance_type="ml.p3.2xlarge", instance_count=50))
    check_invariants(emu)


def test_default_quota_is_unlimited_training_and_no_warm_pool() -> None:
    """D14: Quota(training=None, warm_pool=0) by default."""
    assert Quota() == Quota(training=None, warm_pool=0)
    emu = WarmPoolEmulator()
    assert emu.quotas["ml.p3.2xlarge"] == Quota(training=None, warm_pool=0)
    assert emu.quotas.usage("ml.p3.2xlarge") == QuotaUsage("ml.p3.2xlarge", Quota(), 0, 0)
    assert QuotaLedger().default == Quota()


def test_a_default_quota_applies_to_every_unlisted_instance_type() -> None:
    """D14: ``default_quota`` (of an emulator or a ledger) is the limits of every instance type
    that has none of its own: a job of an unlisted type keeps its pool within it."""
    emu = emulator(quotas={}, default_quota=Quota(training=4, warm_pool=2))
    assert emu.quotas.default == Quota(training=4, warm_pool=2)
    assert emu.quotas["ml.p3.2xlarge"] == Quota(training=4, warm_pool=2)
    emu.create_training_job(**request("a", instance_type="ml.p3.2xlarge", instance_count=2))
    emu.advance(1000)
    assert pool_status(emu, "a") == "Available"
    assert QuotaLedger(default=Quota(warm_pool=3))["ml.c5.xlarge"] == Quota(warm_pool=3)
    with pytest.raises(TypeError) as caught:
        QuotaLedger(default=3)  # type: ignore[arg-type]
    assert str(caught.value) == "default must be a Quota, not 3"


@pytest.mark.parametrize("owner", [QuotaLedger, BillingLedger])
def test_a_ledger_refuses_a_lock_that_is_not_re_entrant_naming_itself(owner: Any) -> None:
    """D34: a ledger's ``lock`` must be re-entrant (its public methods call one another); a
    plain Lock is refused with a TypeError that names the ledger."""
    plain: Any = threading.Lock()
    args = () if owner is QuotaLedger else (VirtualClock(),)
    with pytest.raises(TypeError) as caught:
        owner(*args, lock=plain)
    assert str(caught.value).startswith(
        f"{owner.__name__}: lock must be a re-entrant lock such as threading.RLock(), not "
    )


# --- changing limits at run time -------------------------------------------------------------


def test_setting_a_quota_item_at_run_time_applies_to_later_releases() -> None:
    """D14: emu.quotas[type] = Quota(...) changes limits while running."""
    emu = emulator(warm_pool=0)
    emu.create_training_job(**request("a"))
    emu.advance(100)
    emu.quotas[INSTANCE_TYPE] = Quota(warm_pool=1)
    emu.advance(900)
    assert pool_status(emu, "a") == "Available"
    assert emu.quotas[INSTANCE_TYPE] == Quota(training=None, warm_pool=1)


def test_quotas_set_changes_one_limit_and_keeps_the_other() -> None:
    """D14: emu.quotas.set(type, warm_pool=...) returns the new Quota."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=5, warm_pool=0)})
    assert emu.quotas.set(INSTANCE_TYPE, warm_pool=2) == Quota(training=5, warm_pool=2)
    assert emu.quotas.set(INSTANCE_TYPE, training=None) == Quota(training=None, warm_pool=2)
    assert emu.quotas.set(OTHER_TYPE, training=3) == Quota(training=3, warm_pool=0)
    assert emu.quotas[INSTANCE_TYPE] == Quota(training=None, warm_pool=2)


def test_raising_the_training_limit_at_run_time_admits_the_create() -> None:
    """D14: a raised training limit applies to the next create."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=1)})
    emu.create_training_job(**request("a"))
    refuse_create(emu, **request("b", volume_size=60))
    emu.quotas.set(INSTANCE_TYPE, training=2)
    emu.create_training_job(**request("b", volume_size=60))


def test_lowering_the_warm_pool_limit_never_evicts_but_refuses_later_retention() -> None:
    """behaviour §7 / D14: lowering a limit never evicts a cluster."""
    emu = emulator(warm_pool=2)
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", volume_size=60))
    emu.advance(1000)
    emu.create_training_job(**request("c", volume_size=70))
    emu.quotas.set(INSTANCE_TYPE, warm_pool=1)
    emu.advance(800)  # c released at 1780; a and b expire at 2580
    assert pool_status(emu, "a") == "Available"
    assert pool_status(emu, "b") == "Available"
    assert pool_status(emu, "c") == "Terminated"
    usage = emu.quotas.usage(INSTANCE_TYPE)
    assert (usage.retained, usage.quota.warm_pool) == (2, 1)  # over the limit, by design


def test_lowering_the_training_limit_never_stops_running_jobs() -> None:
    """behaviour §7: lowering the training limit only refuses later creates."""
    emu = emulator(quotas={INSTANCE_TYPE: Quota(training=3, warm_pool=3)})
    emu.create_training_job(**request("a", instance_count=3))
    emu.quotas.set(INSTANCE_TYPE, training=1)
    emu.advance(1000)
    body = emu.describe_training_job(TrainingJobName="a")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["WarmPoolStatus"] == {"Status": "Available"}
    error = refuse_create(emu, **request("b", volume_size=60))
    assert error.message == limit_text(INSTANCE_TYPE, 1, 3, 1)


# --- usage() / usages() ----------------------------------------------------------------------


def test_usage_and_usages_report_limits_and_use() -> None:
    """D14: usage(type) / usages() report in_training, retained and used."""
    emu = emulator(
        quotas={INSTANCE_TYPE: Quota(training=10, warm_pool=4), "ml.g5.xlarge": Quota(warm_pool=1)}
    )
    emu.create_training_job(**request("kept", instance_count=2))
    emu.advance(1000)
    emu.create_training_job(**request("run", instance_count=3, volume_size=60))
    emu.create_training_job(**request("c5", instance_type=OTHER_TYPE))
    usage = emu.quotas.usage(INSTANCE_TYPE)
    assert (usage.instance_type, usage.in_training, usage.retained, usage.used) == (
        INSTANCE_TYPE,
        3,
        2,
        5,
    )
    assert usage.quota == Quota(training=10, warm_pool=4)
    usages = emu.quotas.usages()
    assert list(usages) == sorted([INSTANCE_TYPE, OTHER_TYPE, "ml.g5.xlarge"])
    assert usages[OTHER_TYPE] == QuotaUsage(OTHER_TYPE, Quota(), 1, 0)
    assert usages["ml.g5.xlarge"] == QuotaUsage("ml.g5.xlarge", Quota(warm_pool=1), 0, 0)
    assert usages[INSTANCE_TYPE] == usage
    assert emu.quotas.in_training(INSTANCE_TYPE) == 3
    assert emu.quotas.retained(INSTANCE_TYPE) == 2


# --- Quota validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"training": -1}, ValueError),
        ({"warm_pool": -1}, ValueError),
        ({"training": True}, TypeError),
        ({"warm_pool": False}, TypeError),
        ({"warm_pool": None}, TypeError),
        ({"training": 1.5}, TypeError),
        ({"warm_pool": "2"}, TypeError),
    ],
)
def test_quota_limits_must_be_non_negative_ints(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    """D14: limits are instances: ints >= 0 (training may be None), never bools."""
    with pytest.raises(error):
        Quota(**kwargs)


def test_quota_ledger_refuses_non_quota_values() -> None:
    """D14: emu.quotas[type] must be given a Quota."""
    emu = WarmPoolEmulator()
    with pytest.raises(TypeError):
        emu.quotas[INSTANCE_TYPE] = {"warm_pool": 1}  # type: ignore[assignment]
    with pytest.raises(ValueError, match="-2"):
        emu.quotas.set(INSTANCE_TYPE, warm_pool=-2)
    assert emu.quotas[INSTANCE_TYPE] == Quota()


def test_emulator_refuses_bad_quota_mappings() -> None:
    """D14: the quotas argument maps instance types to Quota objects."""
    with pytest.raises(TypeError):
        WarmPoolEmulator(quotas={INSTANCE_TYPE: 3})  # type: ignore[dict-item]


# --- invariants under random operations --------------------------------------------------------

_create_op = st.tuples(
    st.just("create"),
    st.sampled_from(TYPES),
    st.integers(1, 2),  # instance count
    st.sampled_from([50, 60]),  # volume: two identity keys per type and count
    st.sampled_from([None, 0, 60, 600]),  # keep-alive
    st.sampled_from([None, 30, 300]),  # training seconds (None: until a control)
)
_advance_op = st.tuples(st.just("advance"), st.sampled_from([1, 20, 100, 180, 400, 700]))
# creates and advances are listed several times so that they make up most of the steps
operations = st.lists(
    st.one_of(
        _create_op,
        _create_op,
        _create_op,
        _create_op,
        _advance_op,
        _advance_op,
        _advance_op,
        _advance_op,
        st.tuples(st.just("complete"), st.integers(0, 30)),
        st.tuples(st.just("stop"), st.integers(0, 30)),
        st.tuples(
            st.just("fail"),
            st.integers(0, 30),
            st.sampled_from(["AlgorithmError", "CapacityError"]),
        ),
        st.tuples(st.just("release"), st.integers(0, 30)),
        st.tuples(st.just("patch"), st.sampled_from([None, *TYPES])),
        st.tuples(st.just("spot"), st.sampled_from(TYPES), st.sampled_from([50, 60])),
        st.tuples(st.just("groups"), st.integers(1, 2), st.integers(1, 2)),
    ),
    min_size=25,
    max_size=60,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=operations,
    training=st.sampled_from([1, 2, 3, 4]),
    warm_pool=st.sampled_from([0, 1, 2]),
    stopping=st.sampled_from([0, 50]),
)
def test_quota_inequalities_hold_after_every_call(
    ops: list[tuple[Any, ...]], training: int, warm_pool: int, stopping: int
) -> None:
    """behaviour §7 / §11: retained <= warm_pool and in_training + retained <= training after every
    call, and the ledger agrees with the jobs' statuses."""
    plans: dict[str, JobPlan | None] = {}
    emu = WarmPoolEmulator(
        quotas={t: Quota(training=training, warm_pool=warm_pool) for t in TYPES},
        workload=lambda r: plans[r["TrainingJobName"]],
        timing=Timing(stopping_seconds=stopping),
    )
    created: list[str] = []
    for op in ops:
        kind = op[0]
        try:
            if kind == "create":
                _, itype, count, volume, keep_alive, seconds = op
                name = f"job-{len(plans)}"
                plans[name] = None if seconds is None else JobPlan(training_seconds=seconds)
                emu.create_training_job(
                    **request(
                        name,
                        instance_type=itype,
                        instance_count=count,
                        volume_size=volume,
                        keep_alive=keep_alive,
                    )
                )
                created.append(name)
            elif kind == "spot":
                name = f"job-{len(plans)}"
                plans[name] = JobPlan(training_seconds=100)
                emu.create_training_job(
                    **request(
                        name,
                        instance_type=op[1],
                        volume_size=op[2],
                        keep_alive=None,
                        EnableManagedSpotTraining=True,
                    )
                )
                created.append(name)
            elif kind == "groups":
                name = f"job-{len(plans)}"
                plans[name] = JobPlan(training_seconds=100)
                groups = [
                    {"InstanceType": t, "InstanceCount": n, "InstanceGroupName": f"g{i}"}
                    for i, (t, n) in enumerate(zip(TYPES, op[1:], strict=True))
                ]
                emu.create_training_job(**request(name, ResourceConfig={"InstanceGroups": groups}))
                created.append(name)
            elif kind == "advance":
                emu.advance(op[1])
            elif kind == "patch":
                emu.apply_patch_update(op[1])
            elif created:
                name = created[op[1] % len(created)]
                if kind == "complete":
                    emu.complete_training_job(name)
                elif kind == "stop":
                    emu.stop_training_job(TrainingJobName=name)
                elif kind == "fail":
                    emu.fail_training_job(name, op[2])
                else:
                    emu.update_training_job(
                        TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 0}
                    )
        except (errors.ResourceLimitExceeded, errors.ValidationException, errors.ControlError):
            pass
        check_invariants(emu)


def test_instance_groups_of_one_type_are_counted_together_against_the_training_limit() -> None:
    """behaviour §7: the request delta is every instance of the type the job asks for, even when
    they come in several instance groups."""
    emu = WarmPoolEmulator(quotas={"ml.m5.xlarge": Quota(training=3)})
    groups = [
        {"InstanceGroupName": "a", "InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
        {"InstanceGroupName": "b", "InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
    ]
    body = request("hetero", keep_alive=None)
    body["ResourceConfig"] = {"InstanceGroups": groups, "VolumeSizeInGB": 50}
    with pytest.raises(errors.ResourceLimitExceeded) as caught:
        emu.create_training_job(**body)
    assert "current utilization of 0 Instances and a request delta of 4 Instances" in str(
        caught.value
    )
    assert emu.job_names() == []
    assert emu.quotas.usage("ml.m5.xlarge").in_training == 0


def test_ledger_answers_whether_a_create_or_a_retention_would_fit() -> None:
    """behaviour §7 / D14: ``training_refusal(type, count)`` is ``(limit, used)`` exactly when
    ``in_training + retained + count > training`` (never with no training limit), and
    ``can_retain(type, count)`` is whether ``retained + count <= warm_pool``, per type."""
    emu = emulator(
        quotas={INSTANCE_TYPE: Quota(training=4, warm_pool=2), "ml.c5.xlarge": Quota(warm_pool=1)},
        training_seconds=100,
    )
    emu.create_training_job(**request("kept", keep_alive=600))
    emu.advance(300)  # kept: released, 1 instance retained
    emu.create_training_job(**request("cold", instance_count=2, role=OTHER_ROLE))
    ledger = emu.quotas  # in training 2, retained 1
    assert ledger.training_refusal(INSTANCE_TYPE, 1) is None
    assert ledger.training_refusal(INSTANCE_TYPE, 2) == (4, 3)
    assert ledger.training_refusal("ml.c5.xlarge", 10**6) is None
    assert ledger.training_refusal("ml.p3.2xlarge", 1) is None  # the default: no training limit
    assert ledger.can_retain(INSTANCE_TYPE, 1)
    assert not ledger.can_retain(INSTANCE_TYPE, 2)
    assert ledger.can_retain("ml.c5.xlarge", 1)
    assert not ledger.can_retain("ml.c5.xlarge", 2)
    assert not ledger.can_retain("ml.p3.2xlarge", 1)  # the default warm pool limit is 0


@pytest.mark.parametrize(
    ("instance_type", "quota", "message"),
    [
        ("", Quota(), "instance type must be a non-empty str, not ''"),
        (5, Quota(), "instance type must be a non-empty str, not 5"),
        ("ml.m5.xlarge", 2, "quota for ml.m5.xlarge must be a Quota, not 2"),
    ],
)
def test_a_limit_is_set_only_for_an_instance_type_name_and_a_quota(
    instance_type: Any, quota: Any, message: str
) -> None:
    """behaviour §7 / D14: limits are given per instance type (a non-empty str) as a Quota;
    anything else is a TypeError naming what is wrong, and no limit changes."""
    ledger = QuotaLedger()
    with pytest.raises(TypeError) as caught:
        ledger[instance_type] = quota
    assert str(caught.value) == message
    assert list(ledger) == []


def test_a_quota_limit_is_a_whole_number_of_instances_naming_the_limit() -> None:
    """behaviour §7 / D14: each limit of a Quota is an int >= 0 (training may also be None);
    anything else is refused with an error naming the limit and the rule."""
    with pytest.raises(TypeError) as not_int:
        Quota(training="4")  # type: ignore[arg-type]
    assert str(not_int.value) == "Quota.training must be an int (instances), not '4'"
    with pytest.raises(TypeError) as a_bool:
        Quota(warm_pool=True)
    assert str(a_bool.value) == "Quota.warm_pool must be an int (instances), not True"
    with pytest.raises(ValueError, match=r"^Quota\.warm_pool must be >= 0 instances, not -1$"):
        Quota(warm_pool=-1)
