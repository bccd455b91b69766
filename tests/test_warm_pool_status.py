"""The warm pool status of a job in detail (behaviour §6, D3, D4, D9, D11-D13, limits of §2 / D1).

Default timing (D7): cold start 180 s, warm start 20 s; the factory's jobs train 600 s, so a
first job created at 0 launches at 180 and is released at 780.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, describe, emulator, plans_by_name, request
from tests.factories import warm_pool_status as pool_status
from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator, errors
from warmpool.errors import ControlError
from warmpool.events import PoolKept, PoolTerminated, TrainingStarted

COLD = 180
WARM = 20
TRAIN = 600
RELEASE_1 = COLD + TRAIN
DAY = 86400


def terminated(billable: int) -> dict[str, Any]:
    return {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": billable}


def reused(billable: int, by: str) -> dict[str, Any]:
    return {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": billable,
        "ReusedByJob": by,
    }


def reason(emu: WarmPoolEmulator, name: str) -> str | None:
    view = emu.warm_pool(name)
    assert view is not None
    return view.reason


def warm(emu: WarmPoolEmulator, name: str) -> bool:
    (event,) = [e for e in emu.events.of_type(TrainingStarted) if e.job == name]
    return event.warm


def capped(lifetime: int, **kwargs: Any) -> WarmPoolEmulator:
    """An emulator with a small chain lifetime cap."""
    return emulator(
        limits=Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=lifetime), **kwargs
    )


# -- presence and shape ----------------------------------------------------------------------


@pytest.mark.parametrize("keep_alive", [None, 0])
def test_no_warm_pool_status_key_without_keep_alive_or_takeover(keep_alive: int | None) -> None:
    """behaviour §6.1 / D11: no WarmPoolStatus key at all unless keep-alive > 0 or a pool was
    taken."""
    emu = emulator()
    emu.create_training_job(**request("a", keep_alive=keep_alive))
    for step in (0, COLD, TRAIN, 5000):
        emu.advance(step)
        assert "WarmPoolStatus" not in describe(emu, "a")
        (summary,) = emu.list_training_jobs()["TrainingJobSummaries"]
        assert "WarmPoolStatus" not in summary
        assert emu.warm_pool("a") is None
    assert describe(emu, "a")["TrainingJobStatus"] == "Completed"


def test_job_that_took_over_pool_without_keep_alive_has_status() -> None:
    """behaviour §6 / D4 / D11: a job with no keep-alive that took over a pool shows InUse, then
    Terminated with 0 billable seconds at release."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("b", keep_alive=None))
    assert pool_status(emu, "b") == {"Status": "InUse"}
    emu.advance(WARM + TRAIN)
    assert describe(emu, "b")["TrainingJobStatus"] == "Completed"
    assert pool_status(emu, "b") == terminated(0)
    assert emu.quotas.retained(INSTANCE_TYPE) == 0


def test_in_use_while_in_progress_and_stopping() -> None:
    """behaviour §6.1 / D11: InUse from creation while InProgress or Stopping."""
    emu = emulator(training_seconds=None, timing=Timing(stopping_seconds=50))
    emu.create_training_job(**request("a"))
    seen = [(describe(emu, "a")["SecondaryStatus"], pool_status(emu, "a"))]
    emu.advance(COLD)
    seen.append((describe(emu, "a")["SecondaryStatus"], pool_status(emu, "a")))
    emu.stop_training_job(TrainingJobName="a")
    seen.append((describe(emu, "a")["SecondaryStatus"], pool_status(emu, "a")))
    emu.advance(49)
    seen.append((describe(emu, "a")["SecondaryStatus"], pool_status(emu, "a")))
    emu.advance(1)
    seen.append((describe(emu, "a")["SecondaryStatus"], pool_status(emu, "a")))
    in_use = {"Status": "InUse"}
    assert seen == [
        ("Starting", in_use),
        ("Training", in_use),
        ("Stopping", in_use),
        ("Stopping", in_use),
        ("Stopped", {"Status": "Available"}),
    ]


def test_status_members_by_status() -> None:
    """behaviour §6.4 / D12: billable seconds only in Reused and Terminated; ReusedByJob only in
    Reused; InUse and Available carry only Status."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    assert set(pool_status(emu, "a") or {}) == {"Status"}
    emu.advance(RELEASE_1)
    assert set(pool_status(emu, "a") or {}) == {"Status"}
    emu.create_training_job(**request("b"))
    assert set(pool_status(emu, "a") or {}) == {
        "Status",
        "ResourceRetainedBillableTimeInSeconds",
        "ReusedByJob",
    }
    emu.advance(WARM + TRAIN + 1800)
    assert pool_status(emu, "b") == terminated(1800)
    assert "ReusedByJob" not in (pool_status(emu, "b") or {})


def test_billable_is_ceil_of_time_available() -> None:
    """behaviour §6.4 / D12: ResourceRetainedBillableTimeInSeconds = ceil(time spent Available)."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", role=OTHER_ROLE))
    emu.advance(RELEASE_1)
    emu.advance(12.001)
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert pool_status(emu, "a") == terminated(13)
    emu.advance(0.999)  # 13 s exactly
    assert emu.apply_patch_update() == 1
    assert pool_status(emu, "b") == terminated(13)


@pytest.mark.parametrize("why", ["quota", "unhealthy", "not launched", "at once"])
def test_billable_zero_if_never_available(why: str) -> None:
    """behaviour §6.4 / D12: 0 billable seconds if the pool never was Available (or for 0 s)."""
    emu = emulator(warm_pool=0 if why == "quota" else 10, training_seconds=None)
    emu.create_training_job(**request("a"))
    if why == "not launched":
        emu.advance(COLD - 1)
        emu.stop_training_job(TrainingJobName="a")
    else:
        emu.advance(COLD + 10)
        if why == "unhealthy":
            emu.fail_training_job("a", "InternalServerError")
        else:
            emu.complete_training_job("a")
    if why == "at once":
        emu.create_training_job(**request("b"))
        assert pool_status(emu, "a") == reused(0, "b")
    else:
        assert pool_status(emu, "a") == terminated(0)
        expected = {"quota": "WarmPoolQuota", "unhealthy": "Unhealthy", "not launched": None}
        if expected[why] is not None:
            assert reason(emu, "a") == expected[why]


def test_billable_never_changes_afterwards() -> None:
    """behaviour §6.4 / D12 / §11: once Reused or Terminated, the billable seconds never change."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1 + 100)
    emu.create_training_job(**request("b"))
    emu.advance(WARM + TRAIN + 50)
    emu.update_training_job(TrainingJobName="b", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    frozen = (pool_status(emu, "a"), pool_status(emu, "b"))
    assert frozen == (reused(100, "b"), terminated(50))
    records = list(emu.billing.retained)
    emu.create_training_job(**request("c"))
    emu.advance(COLD + TRAIN + 3600)
    emu.create_training_job(**request("d"))
    emu.advance(10 * DAY)
    assert (pool_status(emu, "a"), pool_status(emu, "b")) == frozen
    assert list(emu.billing.retained)[: len(records)] == records


# -- expiry and the lifetime cap (D13) -------------------------------------------------------


def test_expiry_is_release_plus_keep_alive_reason_expired() -> None:
    """behaviour §6.3 / D13: expiry = release + KeepAlivePeriodInSeconds; reason Expired."""
    emu = emulator()
    emu.create_training_job(**request("a", keep_alive=900))
    emu.advance(RELEASE_1)
    view = emu.warm_pool("a")
    assert view is not None
    assert (view.available_since, view.expires_at) == (RELEASE_1, RELEASE_1 + 900)
    (kept,) = emu.events.of_type(PoolKept)
    assert kept.expires_at == RELEASE_1 + 900
    emu.advance(900)
    assert pool_status(emu, "a") == terminated(900)
    assert reason(emu, "a") == "Expired"
    (ended,) = emu.events.of_type(PoolTerminated)
    assert (ended.job, ended.reason, ended.time, ended.billable_seconds) == (
        "a",
        "Expired",
        RELEASE_1 + 900,
        900,
    )


def test_expiry_capped_by_chain_lifetime_reason_lifetime_cap() -> None:
    """behaviour §6.3 / D13: expiry = min(release + keep-alive, launch + cap); LifetimeCap when the
    cap comes strictly first."""
    emu = capped(1000)  # launch 180: cap at 1180, before 780 + 1800
    emu.create_training_job(**request("a", keep_alive=1800))
    emu.advance(RELEASE_1)
    view = emu.warm_pool("a")
    assert view is not None
    assert view.expires_at == COLD + 1000
    emu.advance(399)
    assert pool_status(emu, "a") == {"Status": "Available"}
    emu.advance(1)
    assert pool_status(emu, "a") == terminated(400)
    assert reason(emu, "a") == "LifetimeCap"
    assert [e.reason for e in emu.events.of_type(PoolTerminated)] == ["LifetimeCap"]


def test_expiry_tie_between_keep_alive_and_cap_is_expired() -> None:
    """D13: LifetimeCap only when the cap comes strictly first; a tie is Expired."""
    emu = capped(RELEASE_1 + 1800 - COLD)  # cap instant == release + keep-alive == 2580
    emu.create_training_job(**request("a", keep_alive=1800))
    emu.advance(RELEASE_1 + 1800)
    assert pool_status(emu, "a") == terminated(1800)
    assert reason(emu, "a") == "Expired"


@pytest.mark.parametrize(("lifetime", "kept"), [(TRAIN, False), (TRAIN + 1, True)])
def test_chain_at_or_over_cap_at_release_is_not_kept(lifetime: int, kept: bool) -> None:
    """D13 / behaviour §5.7: at release a chain at or over the cap is not kept."""
    emu = capped(lifetime)
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)  # chain age at release: 600
    if kept:
        assert pool_status(emu, "a") == {"Status": "Available"}
        emu.advance(1)
        assert pool_status(emu, "a") == terminated(1)
    else:
        assert pool_status(emu, "a") == terminated(0)
    assert reason(emu, "a") == "LifetimeCap"


def test_job_training_past_cap_is_not_interrupted() -> None:
    """D13: a job training when its chain passes the cap is not interrupted."""
    emu = capped(300)
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    body = describe(emu, "a")
    assert body["TrainingJobStatus"] == "Completed"
    assert body["TrainingTimeInSeconds"] == TRAIN
    assert body["WarmPoolStatus"] == terminated(0)
    assert reason(emu, "a") == "LifetimeCap"


def test_chain_lifetime_counts_from_first_launch() -> None:
    """behaviour §5.2 / §6: the chain starts at the cluster's launch and survives reuse; the
    inherited pool expires at launch + cap."""
    emu = capped(2000)  # launch 180: cap at 2180
    emu.create_training_job(**request("a", keep_alive=1800))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("b", keep_alive=1800))
    emu.advance(WARM + TRAIN)  # b released at 1400
    view = emu.warm_pool("b")
    assert view is not None
    assert (view.launched_at, view.expires_at) == (COLD, COLD + 2000)
    emu.advance(2180 - 1400)
    assert pool_status(emu, "b") == terminated(780)
    assert reason(emu, "b") == "LifetimeCap"


def test_update_keep_alive_expiry_capped_and_counted_from_release() -> None:
    """behaviour §9.3 / D18: new expiry = min(release + n, launch + cap); not in the future →
    terminated now with reason Released."""
    emu = capped(2000)
    emu.create_training_job(**request("a", keep_alive=60))
    emu.create_training_job(**request("b", keep_alive=60, role=OTHER_ROLE))
    emu.advance(RELEASE_1 + 20)
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 3600})
    view = emu.warm_pool("a")
    assert view is not None
    assert view.expires_at == COLD + 2000
    emu.update_training_job(TrainingJobName="b", ResourceConfig={"KeepAlivePeriodInSeconds": 20})
    assert pool_status(emu, "b") == terminated(20)
    assert reason(emu, "b") == "Released"
    emu.run_until(COLD + 2000)
    assert pool_status(emu, "a") == terminated(2000 + COLD - RELEASE_1)
    assert reason(emu, "a") == "LifetimeCap"


def test_update_can_shorten_a_pool_to_a_future_expiry() -> None:
    """behaviour §9.3 / D18: a shorter keep-alive still in the future reschedules the expiry."""
    emu = emulator()
    emu.create_training_job(**request("a", keep_alive=1800))
    emu.advance(RELEASE_1 + 10)
    emu.update_training_job(TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": 30})
    assert pool_status(emu, "a") == {"Status": "Available"}
    emu.advance(19)
    assert pool_status(emu, "a") == {"Status": "Available"}
    emu.advance(1)
    assert pool_status(emu, "a") == terminated(30)
    assert reason(emu, "a") == "Expired"
    emu.advance(1800)
    assert len(emu.events.of_type(PoolTerminated)) == 1


# -- reuse (D4) ------------------------------------------------------------------------------


def test_reuse_picks_pool_available_longest() -> None:
    """behaviour §6.5 / D4: with several matching pools, take the one Available longest (earliest
    release), whatever the creation order."""
    emu = emulator(workload=plans_by_name({"a": JobPlan(900), "b": JobPlan(600)}))
    emu.create_training_job(**request("a"))  # released 1080
    emu.create_training_job(**request("b"))  # released 780
    emu.advance(1100)
    emu.create_training_job(**request("c"))
    assert pool_status(emu, "b") == reused(320, "c")
    assert pool_status(emu, "a") == {"Status": "Available"}
    emu.create_training_job(**request("d"))
    assert pool_status(emu, "a") == reused(20, "d")


@pytest.mark.parametrize("leaves", ["expires", "released", "reused"])
def test_a_pool_that_leaves_available_leaves_the_other_matching_pools_available(
    leaves: str,
) -> None:
    """behaviour §6.5 / D4: when one of several matching pools leaves Available (it expires, is
    released by an update, or is reused), the others stay there for the next matching create,
    the one Available longest first."""
    keep = {"a": 3000, "b": 3000, "c": 600}
    emu = emulator(
        workload=plans_by_name({"a": JobPlan(600), "b": JobPlan(700), "c": JobPlan(800)})
    )
    for name in ("a", "b", "c"):
        emu.create_training_job(**request(name, keep_alive=keep[name]))
    emu.advance(1000)  # released at 780 (a), 880 (b), 980 (c): all Available
    if leaves == "expires":
        emu.advance(600)  # c expires at 1580
    elif leaves == "released":
        emu.update_training_job(TrainingJobName="c", ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    else:
        emu.create_training_job(**request("x"))  # takes a, Available longest
    gone = emu.warm_pool("a" if leaves == "reused" else "c")
    assert gone is not None and gone.status == ("Reused" if leaves == "reused" else "Terminated")
    emu.create_training_job(**request("d"))
    emu.create_training_job(**request("e"))
    reused_by = {}
    for pool in ("a", "b", "c"):
        view = emu.warm_pool(pool)
        assert view is not None
        reused_by[pool] = view.reused_by
    if leaves == "reused":
        assert reused_by == {"a": "x", "b": "d", "c": "e"}
    else:
        assert reused_by == {"a": "d", "b": "e", "c": None}


def test_reuse_tie_equal_release_prefers_earlier_created_scheduled() -> None:
    """behaviour §6.5 / D4: equal release times (both by plan) → the job created first."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("c"))
    assert pool_status(emu, "a") == reused(0, "c")
    assert pool_status(emu, "b") == {"Status": "Available"}


def test_reuse_tie_equal_release_prefers_earlier_created_controls() -> None:
    """behaviour §6.5 / D4: equal release times (control calls at one instant, the later-created job
    released first) → still the job created first ("ties by earlier job creation")."""
    emu = emulator(training_seconds=None)
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b"))
    emu.advance(COLD + 100)
    emu.complete_training_job("b")
    emu.complete_training_job("a")
    view_a, view_b = emu.warm_pool("a"), emu.warm_pool("b")
    assert view_a is not None
    assert view_b is not None
    assert view_a.available_since == view_b.available_since == COLD + 100
    emu.create_training_job(**request("c"))
    assert pool_status(emu, "a") == reused(0, "c")
    assert pool_status(emu, "b") == {"Status": "Available"}


@pytest.mark.parametrize("keep_alive", [None, 0, 60])
def test_reuse_regardless_of_new_jobs_keep_alive(keep_alive: int | None) -> None:
    """behaviour §6.5 / D4: reuse does not depend on the new job's keep-alive; with none, its
    status is InUse and then Terminated with 0 at release."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("b", keep_alive=keep_alive))
    assert pool_status(emu, "a") == reused(0, "b")
    assert pool_status(emu, "b") == {"Status": "InUse"}
    emu.advance(WARM)
    assert warm(emu, "b")
    emu.advance(TRAIN)
    if keep_alive:
        assert pool_status(emu, "b") == {"Status": "Available"}
    else:
        assert pool_status(emu, "b") == terminated(0)


def test_spot_job_never_takes_a_pool() -> None:
    """D3: a spot job (no keep-alive) whose key matches still cold-starts."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("spot", keep_alive=None, EnableManagedSpotTraining=True))
    assert emu.identity_key("spot") == emu.identity_key("a")
    assert pool_status(emu, "a") == {"Status": "Available"}
    assert pool_status(emu, "spot") is None
    emu.advance(COLD)
    assert not warm(emu, "spot")


def test_instance_groups_job_never_takes_a_pool() -> None:
    """D3: a heterogeneous (InstanceGroups) job never takes over an Available pool."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    groups = {
        "InstanceGroups": [
            {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "InstanceGroupName": "g"}
        ],
        "VolumeSizeInGB": 50,
    }
    emu.create_training_job(**request("hetero", ResourceConfig=groups))
    assert pool_status(emu, "a") == {"Status": "Available"}
    assert pool_status(emu, "hetero") is None
    emu.advance(COLD)
    assert not warm(emu, "hetero")


@pytest.mark.parametrize("stopping", [0, 5])
def test_took_over_pool_and_stopped_before_warm_start_keeps_pool(stopping: int) -> None:
    """D9: a job that took over a pool already has a cluster; stopped before its warm start
    it can still keep the pool."""
    emu = emulator(timing=Timing(stopping_seconds=stopping))
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("b", keep_alive=300))
    emu.advance(WARM - 10)
    emu.stop_training_job(TrainingJobName="b")
    emu.advance(stopping)
    body = describe(emu, "b")
    assert body["TrainingJobStatus"] == "Stopped"
    assert "TrainingStartTime" not in body
    assert body["WarmPoolStatus"] == {"Status": "Available"}
    view = emu.warm_pool("b")
    assert view is not None
    assert view.expires_at == RELEASE_1 + WARM - 10 + stopping + 300
    emu.advance(WARM)
    assert emu.events.of_type(TrainingStarted)[-1].job == "a"  # b never started training
    emu.create_training_job(**request("c"))
    assert pool_status(emu, "b") == reused(WARM, "c")


@pytest.mark.parametrize(
    ("failure_class", "kept"), [("ClientError", True), ("CapacityError", False)]
)
def test_took_over_pool_and_failed_before_warm_start(failure_class: str, kept: bool) -> None:
    """behaviour §5 table / D10: a taken-over cluster is launched; an algorithm or client failure
    keeps it, any other class does not."""
    emu = emulator()
    emu.create_training_job(**request("a"))
    emu.advance(RELEASE_1)
    emu.create_training_job(**request("b"))
    emu.advance(5)
    emu.fail_training_job("b", failure_class)
    assert describe(emu, "b")["TrainingJobStatus"] == "Failed"
    assert pool_status(emu, "b") == ({"Status": "Available"} if kept else terminated(0))


def test_full_warm_pool_quota_terminates_silently_at_release() -> None:
    """behaviour §7 / D14: a full warm pool quota does not keep the cluster: Terminated, reason
    WarmPoolQuota, no error."""
    emu = emulator(warm_pool=1)
    emu.create_training_job(**request("a"))
    emu.create_training_job(**request("b", role=OTHER_ROLE))
    emu.advance(RELEASE_1)
    assert pool_status(emu, "a") == {"Status": "Available"}
    assert pool_status(emu, "b") == terminated(0)
    assert reason(emu, "b") == "WarmPoolQuota"


# -- limits presets (behaviour §2, D1) ------------------------------------------------------------


def test_limits_presets() -> None:
    """behaviour §2 / D1: GUIDE_2022 3600 s / 7 d (default), DOCS_CURRENT 3600 s / 28 d, API_MODEL
    21600 s / 28 d."""
    assert (
        Limits.GUIDE_2022.max_keep_alive_seconds,
        Limits.GUIDE_2022.max_pool_lifetime_seconds,
    ) == (
        3600,
        7 * DAY,
    )
    assert (
        Limits.DOCS_CURRENT.max_keep_alive_seconds,
        Limits.DOCS_CURRENT.max_pool_lifetime_seconds,
    ) == (3600, 28 * DAY)
    assert (
        Limits.API_MODEL.max_keep_alive_seconds,
        Limits.API_MODEL.max_pool_lifetime_seconds,
    ) == (21600, 28 * DAY)
    assert WarmPoolEmulator().limits == Limits.GUIDE_2022


@pytest.mark.parametrize(
    ("limits", "accepted", "refused"),
    [
        (Limits.GUIDE_2022, 3600, 3601),
        (Limits.DOCS_CURRENT, 3600, 3601),
        (Limits.API_MODEL, 21600, 21601),
    ],
    ids=["GUIDE_2022", "DOCS_CURRENT", "API_MODEL"],
)
def test_keep_alive_maximum_follows_limits(limits: Limits, accepted: int, refused: int) -> None:
    """behaviour §2 / §9 / D1: the keep-alive maximum on create and update comes from Limits."""
    emu = emulator(limits=limits)
    with pytest.raises(errors.ValidationException) as info:
        emu.create_training_job(**request("a", keep_alive=refused))
    assert info.value.field == "ResourceConfig.KeepAlivePeriodInSeconds"
    emu.create_training_job(**request("a", keep_alive=accepted))
    emu.advance(RELEASE_1)
    view = emu.warm_pool("a")
    assert view is not None
    assert view.expires_at == RELEASE_1 + accepted
    with pytest.raises(errors.ValidationException):
        emu.update_training_job(
            TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": refused}
        )
    assert describe(emu, "a")["ResourceConfig"]["KeepAlivePeriodInSeconds"] == accepted


def test_api_model_accepts_21600_guide_2022_refuses_3601() -> None:
    """behaviour §2 / D1: API_MODEL accepts a 21600 s keep-alive, GUIDE_2022 refuses 3601 s."""
    with pytest.raises(errors.ValidationException):
        emulator().create_training_job(**request("a", keep_alive=3601))
    emu = emulator(limits=Limits.API_MODEL)
    emu.create_training_job(**request("a", keep_alive=21600))
    emu.advance(RELEASE_1 + 21599)
    assert pool_status(emu, "a") == {"Status": "Available"}
    emu.advance(1)
    assert pool_status(emu, "a") == terminated(21600)


@pytest.mark.parametrize(
    ("limits", "kept"),
    [(Limits.GUIDE_2022, False), (Limits.DOCS_CURRENT, True), (Limits.API_MODEL, True)],
    ids=["GUIDE_2022", "DOCS_CURRENT", "API_MODEL"],
)
def test_chain_lifetime_follows_limits(limits: Limits, kept: bool) -> None:
    """behaviour §2 / D1: a chain released 8 days after launch is kept under a 28-day cap only."""
    emu = emulator(limits=limits, training_seconds=8 * DAY)
    emu.create_training_job(**request("a", StoppingCondition={"MaxRuntimeInSeconds": 9 * DAY}))
    emu.advance(COLD + 8 * DAY)
    assert describe(emu, "a")["TrainingJobStatus"] == "Completed"
    if kept:
        assert pool_status(emu, "a") == {"Status": "Available"}
    else:
        assert pool_status(emu, "a") == terminated(0)
        assert reason(emu, "a") == "LifetimeCap"


# -- random sessions: the §11 guarantees -----------------------------------------------------

ROLES = (request("x")["RoleArn"], OTHER_ROLE)
NAMES = tuple(f"j{i}" for i in range(6))
LIMITS = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=2500)

session_actions = st.one_of(
    st.tuples(
        st.just("create"),
        st.sampled_from(NAMES),
        st.tuples(st.sampled_from([None, 0, 60, 900]), st.sampled_from(ROLES), st.integers(1, 2)),
    ),
    st.tuples(st.just("advance"), st.integers(0, 1200), st.none()),
    st.tuples(st.just("stop"), st.sampled_from(NAMES), st.none()),
    st.tuples(st.just("complete"), st.sampled_from(NAMES), st.none()),
    st.tuples(st.just("fail"), st.sampled_from(NAMES), st.sampled_from(["ClientError", "X"])),
    st.tuples(st.just("update"), st.sampled_from(NAMES), st.sampled_from([0, 30, 600, 3600])),
    st.tuples(st.just("patch"), st.none(), st.none()),
)


def _run(emu: WarmPoolEmulator, action: tuple[str, Any, Any]) -> None:
    kind, target, extra = action
    try:
        if kind == "create":
            keep_alive, role, count = extra
            emu.create_training_job(
                **request(target, keep_alive=keep_alive, role=role, instance_count=count)
            )
        elif kind == "advance":
            emu.advance(target)
        elif kind == "stop":
            emu.stop_training_job(TrainingJobName=target)
        elif kind == "complete":
            emu.complete_training_job(target)
        elif kind == "fail":
            emu.fail_training_job(target, extra)
        elif kind == "update":
            emu.update_training_job(
                TrainingJobName=target, ResourceConfig={"KeepAlivePeriodInSeconds": extra}
            )
        else:
            emu.apply_patch_update()
    except (errors.WarmPoolError, ControlError):
        pass


@settings(max_examples=60)
@given(
    session=st.lists(session_actions, max_size=30),
    training=st.sampled_from([None, 300.0, 700.0]),
)
def test_guarantees_hold_after_every_call(
    session: list[tuple[str, Any, Any]], training: float | None
) -> None:
    """behaviour §11 / §6 / §7: after every call a cluster is InUse/Available for at most one job,
    a reused cluster's key equals the new job's, no Available pool outlives its expiry
    (= min(release + keep-alive, launch + cap)), quotas hold, billed seconds never shrink."""
    emu = emulator(
        warm_pool=3,
        training_seconds=training,
        limits=LIMITS,
        quotas={INSTANCE_TYPE: Quota(training=6, warm_pool=3)},
    )
    billed: dict[str, int] = {}
    total = 0.0
    for action in session:
        _run(emu, action)
        holders: dict[int, str] = {}
        retained = in_training = 0
        for name in emu.job_names():
            body = describe(emu, name)
            count = body["ResourceConfig"]["InstanceCount"]
            if body["TrainingJobStatus"] in ("InProgress", "Stopping"):
                in_training += count
            view = emu.warm_pool(name)
            if view is None:
                continue
            status = body["WarmPoolStatus"]
            assert status["Status"] == view.status
            if view.status in ("InUse", "Available") and view.cluster is not None:
                assert view.cluster not in holders, (name, holders)
                holders[view.cluster] = name
            if view.status == "Available":
                retained += count
                assert view.expires_at is not None
                assert view.available_since is not None
                assert view.launched_at is not None
                assert view.keep_alive_seconds is not None
                assert view.expires_at > emu.now
                assert view.expires_at == min(
                    view.available_since + view.keep_alive_seconds,
                    view.launched_at + LIMITS.max_pool_lifetime_seconds,
                )
            if view.status == "Reused":
                by = status["ReusedByJob"]
                assert emu.identity_key(by) == emu.identity_key(name)
            if "ResourceRetainedBillableTimeInSeconds" in status:
                seconds = status["ResourceRetainedBillableTimeInSeconds"]
                assert billed.setdefault(name, seconds) == seconds
                if view.available_since is not None and view.status == "Terminated":
                    assert seconds <= math.ceil(emu.now - view.available_since)
        assert emu.quotas.retained(INSTANCE_TYPE) == retained <= 3
        assert emu.quotas.in_training(INSTANCE_TYPE) == in_training
        assert in_training + retained <= 6
        now_total = emu.billing.total(include_open=True)
        assert now_total.retained_seconds >= total
        total = now_total.retained_seconds


def test_a_pool_never_kept_says_why_never_launched_or_no_keep_alive() -> None:
    """behaviour §6 / D10 / D11: a job stopped before its cluster launched ends Terminated with
    reason NotLaunched; a job that took over a pool without asking for keep-alive ends
    Terminated with reason NoKeepAlive (the event and ``warm_pool`` both say so)."""
    emu = emulator(timing=Timing(stopping_seconds=0))
    emu.create_training_job(**request("donor", keep_alive=600))
    emu.advance(1000)
    emu.create_training_job(**request("warm", keep_alive=None))  # takes donor's pool
    emu.create_training_job(**request("early"))
    emu.advance(10)
    emu.stop_training_job(TrainingJobName="early")
    emu.advance(1000)
    reasons = {e.job: e.reason for e in emu.events.of_type(PoolTerminated)}
    assert reasons == {"early": "NotLaunched", "warm": "NoKeepAlive"}
    for name, reason in reasons.items():
        view = emu.warm_pool(name)
        assert view is not None and (view.status, view.reason) == ("Terminated", reason)
