"""Property tests of the matcher (behaviour §3, §6), the clock (§4) and the ledgers (§7, §8)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Final

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, ROLE, emulator, request
from tests.test_stateful import INSTANCE_TYPES, ROLE_A, ROLE_B, build_request
from warmpool import (
    IdentityKey,
    JobPlan,
    Limits,
    Quota,
    Timing,
    VirtualClock,
    WarmPoolEmulator,
    errors,
    identity_key,
)
from warmpool.events import JobReleased, PoolKept, PoolTerminated, TrainingStarted

# -- the matcher ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """The ten key fields of behaviour §3, already normalised (what equality is about)."""

    role: str
    instance_type: str
    count: int
    volume: int | None
    kms: str | None
    groups: frozenset[str] | None
    subnets: frozenset[str] | None
    traffic_encryption: bool
    isolation: bool
    chaining: bool


#: Request path of each ``Identity`` field, as behaviour §3 names it.
PATHS: Final = {
    "role": "RoleArn",
    "instance_type": "ResourceConfig.InstanceType",
    "count": "ResourceConfig.InstanceCount",
    "volume": "ResourceConfig.VolumeSizeInGB",
    "kms": "ResourceConfig.VolumeKmsKeyId",
    "groups": "VpcConfig.SecurityGroupIds",
    "subnets": "VpcConfig.Subnets",
    "traffic_encryption": "EnableInterContainerTrafficEncryption",
    "isolation": "EnableNetworkIsolation",
    "chaining": "SessionChainingConfig.EnableSessionTagChaining",
}
FIELD_NAMES: Final = tuple(f.name for f in fields(Identity))

_vpcs = st.one_of(
    st.none(),
    st.tuples(
        st.frozensets(st.sampled_from(["sg-1", "sg-2", "sg-3"]), min_size=1),
        st.frozensets(st.sampled_from(["subnet-1", "subnet-2"]), min_size=1),
    ),
)


@st.composite
def identities(draw: st.DrawFn) -> Identity:
    """Identities from small domains, so that equal values are frequent."""
    vpc = draw(_vpcs)
    return Identity(
        role=draw(st.sampled_from([ROLE_A, ROLE_B])),
        instance_type=draw(st.sampled_from(INSTANCE_TYPES)),
        count=draw(st.integers(1, 2)),
        volume=draw(st.sampled_from([None, 30, 50])),
        kms=draw(st.sampled_from([None, "alias/a", "alias/b"])),
        groups=None if vpc is None else vpc[0],
        subnets=None if vpc is None else vpc[1],
        traffic_encryption=draw(st.booleans()),
        isolation=draw(st.booleans()),
        chaining=draw(st.booleans()),
    )


@st.composite
def identity_pairs(draw: st.DrawFn) -> tuple[Identity, Identity]:
    """``(a, b)``: each field of ``b`` is ``a``'s or drawn afresh (and may still be equal)."""
    a = draw(identities())
    fresh = draw(identities())
    changed = draw(st.frozensets(st.sampled_from(FIELD_NAMES)))
    values = {name: getattr(fresh if name in changed else a, name) for name in FIELD_NAMES}
    # VpcConfig is one member: both id lists are present or neither is.
    if (values["groups"] is None) != (values["subnets"] is None):
        values["groups"], values["subnets"] = fresh.groups, fresh.subnets
    return a, Identity(**values)


@st.composite
def spelled(draw: st.DrawFn, values: frozenset[str], max_size: int) -> list[str]:
    """A list of ``values`` in any order, with duplicates, at most ``max_size`` long."""
    pool = sorted(values)
    extra = draw(st.lists(st.sampled_from(pool), max_size=max_size - len(pool)))
    return list(draw(st.permutations(pool + extra)))


@st.composite
def requests_for(
    draw: st.DrawFn, identity: Identity, name: str = "job-a", noise: bool = True
) -> dict[str, Any]:
    """A valid CreateTrainingJob request with ``identity``, spelled at random (list order and
    duplicates, ``False`` flags written or left out), with random non-key members."""
    resource: dict[str, Any] = {
        "InstanceType": identity.instance_type,
        "InstanceCount": identity.count,
    }
    if identity.volume is not None:
        resource["VolumeSizeInGB"] = identity.volume
    if identity.kms is not None:
        resource["VolumeKmsKeyId"] = identity.kms
    body: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": identity.role,
        "AlgorithmSpecification": {
            "TrainingImage": draw(st.sampled_from(["img:1", "img:2"])),
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": resource,
    }
    if identity.groups is not None and identity.subnets is not None:
        body["VpcConfig"] = {
            "SecurityGroupIds": draw(spelled(identity.groups, 5)),
            "Subnets": draw(spelled(identity.subnets, 16)),
        }
    for member, value in (
        ("EnableInterContainerTrafficEncryption", identity.traffic_encryption),
        ("EnableNetworkIsolation", identity.isolation),
    ):
        if value or draw(st.booleans()):
            body[member] = value
    chaining = draw(st.sampled_from(["absent", "empty", "written"]))
    if identity.chaining or chaining == "written":
        body["SessionChainingConfig"] = {"EnableSessionTagChaining": identity.chaining}
    elif chaining == "empty":
        body["SessionChainingConfig"] = {}
    if noise:
        if draw(st.booleans()):
            body["HyperParameters"] = draw(
                st.dictionaries(st.sampled_from(["lr", "epochs"]), st.sampled_from(["1", "2"]))
            )
        if draw(st.booleans()):
            body["Tags"] = [{"Key": "team", "Value": draw(st.sampled_from(["a", "b"]))}]
        if draw(st.booleans()):
            body["Environment"] = {"MODE": draw(st.sampled_from(["x", "y"]))}
        if draw(st.booleans()):
            body["StoppingCondition"] = {"MaxRuntimeInSeconds": draw(st.integers(1000, 9000))}
        keep_alive = draw(st.sampled_from([None, 0, 60, 1800]))
        if keep_alive is not None:
            resource["KeepAlivePeriodInSeconds"] = keep_alive
    return body


def expected_differences(a: Identity, b: Identity) -> set[str]:
    return {PATHS[name] for name in FIELD_NAMES if getattr(a, name) != getattr(b, name)}


@given(data=st.data(), identity=identities())
def test_key_ignores_order_and_duplicates_of_vpc_ids_and_non_key_members(
    data: st.DataObject, identity: Identity
) -> None:
    """behaviour §3 / D2: two spellings of one identity, with any non-key members, have one key."""
    first = data.draw(requests_for(identity, name="job-a"))
    second = data.draw(requests_for(identity, name="job-b"))
    assert identity_key(first) == identity_key(second)
    assert identity_key(first).differences(identity_key(second)) == ()


@given(data=st.data(), identity=identities())
def test_key_ignores_every_non_key_member(data: st.DataObject, identity: Identity) -> None:
    """behaviour §3: name, hyperparameters, image, keep-alive, stopping, tags, env are not key."""
    bare = data.draw(requests_for(identity, noise=False))
    noisy = dict(bare)
    noisy["TrainingJobName"] = "another-name"
    noisy["HyperParameters"] = {"lr": "0.1"}
    noisy["AlgorithmSpecification"] = {"TrainingImage": "img:9", "TrainingInputMode": "Pipe"}
    noisy["Tags"] = [{"Key": "k", "Value": "v"}]
    noisy["Environment"] = {"A": "B"}
    noisy["StoppingCondition"] = {"MaxRuntimeInSeconds": 5}
    noisy["CheckpointConfig"] = {"S3Uri": "s3://bucket/ckpt"}
    noisy["ResourceConfig"] = {
        **bare["ResourceConfig"],
        "KeepAlivePeriodInSeconds": data.draw(st.integers(0, 3600)),
    }
    assert identity_key(noisy) == identity_key(bare)


@pytest.mark.parametrize(
    ("member", "path"),
    [
        ("EnableInterContainerTrafficEncryption", "EnableInterContainerTrafficEncryption"),
        ("EnableNetworkIsolation", "EnableNetworkIsolation"),
        ("SessionChainingConfig", "SessionChainingConfig.EnableSessionTagChaining"),
    ],
)
def test_absent_booleans_are_false(member: str, path: str) -> None:
    """behaviour §3 / D2: an absent flag equals an explicit False and differs from True."""
    base = build_request("job-a", variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=0)
    base.pop("EnableNetworkIsolation", None)

    def with_flag(value: bool) -> dict[str, Any]:
        body = dict(base)
        body[member] = (
            {"EnableSessionTagChaining": value} if member.startswith("Session") else value
        )
        return body

    assert identity_key(base) == identity_key(with_flag(False))
    assert identity_key(base).differences(identity_key(with_flag(True))) == (path,)


def test_key_of_a_request_without_vpc_config_has_none_for_its_groups_and_subnets() -> None:
    """behaviour §3 / D2: with no ``VpcConfig`` the key's security groups and subnets are
    ``None`` (read from the key, as ``identity_key`` and the emulator's introspection give
    it); with one, they are the sets of its ids."""
    bare = request("job-a")
    expected = IdentityKey(ROLE, INSTANCE_TYPE, 1, 50, None, None, None, False, False, False)
    assert identity_key(bare) == expected
    assert identity_key(bare).security_group_ids is None
    assert identity_key(bare).subnets is None
    emu = emulator()
    emu.create_training_job(**bare)
    key = emu.identity_key("job-a")
    assert (key.security_group_ids, key.subnets) == (None, None)
    vpc = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1", "subnet-2"]}
    in_vpc = identity_key(request("job-b", VpcConfig=vpc))
    assert in_vpc.security_group_ids == frozenset({"sg-1"})
    assert in_vpc.subnets == frozenset({"subnet-1", "subnet-2"})


@given(data=st.data(), pair=identity_pairs())
def test_keys_are_equal_iff_normalised_fields_are_equal(
    data: st.DataObject, pair: tuple[Identity, Identity]
) -> None:
    """behaviour §3 / D2: keys equal iff normalised fields equal; differences() names exactly
    those."""
    a, b = pair
    key_a = identity_key(data.draw(requests_for(a, name="job-a")))
    key_b = identity_key(data.draw(requests_for(b, name="job-b")))
    expected = expected_differences(a, b)
    event(f"{len(expected)} differing fields")
    assert (key_a == key_b) == (not expected)
    assert set(key_a.differences(key_b)) == expected
    assert set(key_b.differences(key_a)) == expected
    assert len(key_a.differences(key_b)) == len(expected)  # each field named once


def _reuse_emulator(timing: Timing | None = None) -> WarmPoolEmulator:
    plan = JobPlan(training_seconds=60)
    return WarmPoolEmulator(
        quotas={itype: Quota(warm_pool=4) for itype in INSTANCE_TYPES},
        workload=lambda _request: plan,
        timing=timing,
    )


@settings(max_examples=60)
@given(data=st.data(), pair=identity_pairs(), wait=st.integers(0, 1799))
def test_reuse_happens_iff_keys_are_equal(
    data: st.DataObject, pair: tuple[Identity, Identity], wait: int
) -> None:
    """behaviour §6.5 / D4: a create takes over an Available pool iff keys are equal, then starts
    warm."""
    # ... whatever the new job's own keep-alive (D4).
    a, b = pair
    emu = _reuse_emulator(Timing(cold_start_seconds=100, warm_start_seconds=7))
    first = data.draw(requests_for(a, name="job-a"))
    first["ResourceConfig"]["KeepAlivePeriodInSeconds"] = 1800
    emu.create_training_job(**first)
    emu.advance(100 + 60 + wait)  # released at 160, Available until 1960
    assert emu.describe_training_job(TrainingJobName="job-a")["WarmPoolStatus"]["Status"] == (
        "Available"
    )
    second = data.draw(requests_for(b, name="job-b"))
    emu.create_training_job(**second)
    assert emu.identity_key("job-a") == identity_key(first)
    assert emu.identity_key("job-b") == identity_key(second)
    old = emu.describe_training_job(TrainingJobName="job-a")["WarmPoolStatus"]
    new = emu.describe_training_job(TrainingJobName="job-b")
    reused = not expected_differences(a, b)
    event("reused" if reused else "not reused")
    if reused:
        assert old == {
            "Status": "Reused",
            "ResourceRetainedBillableTimeInSeconds": wait,
            "ReusedByJob": "job-b",
        }
        assert new["WarmPoolStatus"] == {"Status": "InUse"}
    else:
        assert old == {"Status": "Available"}
        asked = new["ResourceConfig"].get("KeepAlivePeriodInSeconds", 0) > 0
        assert ("WarmPoolStatus" in new) == asked
    emu.advance(7)
    assert emu.describe_training_job(TrainingJobName="job-b")["SecondaryStatus"] == (
        "Training" if reused else "Starting"
    )


@given(identity=identities(), data=st.data())
def test_spot_job_never_takes_over_a_matching_pool(identity: Identity, data: st.DataObject) -> None:
    """D3: a managed spot job cold-starts even when its key matches an Available pool."""
    emu = _reuse_emulator()
    first = data.draw(requests_for(identity, name="job-a", noise=False))
    first["ResourceConfig"]["KeepAlivePeriodInSeconds"] = 600
    emu.create_training_job(**first)
    emu.advance(180 + 60)
    spot = data.draw(requests_for(identity, name="job-b", noise=False))
    spot["EnableManagedSpotTraining"] = True
    emu.create_training_job(**spot)
    assert emu.identity_key("job-b") == emu.identity_key("job-a")
    assert emu.describe_training_job(TrainingJobName="job-a")["WarmPoolStatus"] == {
        "Status": "Available"
    }
    assert "WarmPoolStatus" not in emu.describe_training_job(TrainingJobName="job-b")


@settings(max_examples=60)
@given(
    endings=st.lists(
        st.tuples(st.sampled_from([50, 100]), st.sampled_from(["plan", "control"])),
        min_size=2,
        max_size=4,
    ),
    control_order=st.permutations(range(4)),
)
def test_reuse_takes_the_pool_available_longest_ties_by_creation(
    endings: list[tuple[int, str]], control_order: list[int]
) -> None:
    """behaviour §6.5 / D4: reuse takes the earliest release, ties by creation, however released."""
    names = [f"job-{i}" for i in range(len(endings))]
    plans = {
        name: JobPlan(training_seconds=seconds) if how == "plan" else None
        for name, (seconds, how) in zip(names, endings, strict=True)
    }
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPES[0]: Quota(warm_pool=8)},
        timing=Timing(cold_start_seconds=0),
        workload=lambda request: plans.get(request["TrainingJobName"]),
    )

    def request(name: str) -> dict[str, Any]:
        return build_request(
            name, variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=600
        )

    for name in names:
        emu.create_training_job(**request(name))
    for at in (50, 100):
        emu.run_until(at)  # plans ending now have fired; then the controls, in random order
        for index in control_order:
            if index < len(names) and endings[index] == (at, "control"):
                emu.complete_training_job(names[index])
    expected = min(range(len(names)), key=lambda i: (endings[i][0], i))
    emu.create_training_job(**request("newcomer"))
    statuses = {
        name: emu.describe_training_job(TrainingJobName=name)["WarmPoolStatus"]["Status"]
        for name in names
    }
    assert statuses == {
        name: "Reused" if i == expected else "Available" for i, name in enumerate(names)
    }


@given(keep_alive=st.integers(61, 3600), early=st.sampled_from([0.5, 1, 60]))
def test_pool_expiring_at_t_is_gone_for_a_create_at_t(keep_alive: int, early: float) -> None:
    """behaviour §4 / D5: a pool expiring exactly at t is gone for a create at t, not just
    before."""
    for offset, reused in ((-early, True), (0, False)):
        emu = _reuse_emulator()
        a = build_request(
            "a", variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=keep_alive
        )
        emu.create_training_job(**a)
        emu.run_until(180 + 60 + keep_alive + offset)
        b = build_request("b", variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=None)
        emu.create_training_job(**b)
        status = emu.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]["Status"]
        assert status == ("Reused" if reused else "Terminated"), (offset, status)


@given(keep_alive=st.integers(61, 3600), elapsed=st.integers(0, 60), extra=st.sampled_from([0, 1]))
def test_update_whose_expiry_is_not_in_the_future_terminates_the_pool(
    keep_alive: int, elapsed: int, extra: int
) -> None:
    """behaviour §9.3 / D18: an update whose expiry (release + n) is not after now ends it now."""
    # One second later, the pool stays Available until then and then expires.
    emu = _reuse_emulator()
    emu.create_training_job(
        **build_request(
            "a", variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=keep_alive
        )
    )
    emu.run_until(180 + 60 + elapsed)  # released at 240
    emu.update_training_job(
        TrainingJobName="a", ResourceConfig={"KeepAlivePeriodInSeconds": elapsed + extra}
    )
    status = emu.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]
    view = emu.warm_pool("a")
    assert view is not None
    if extra == 0:
        assert status == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": elapsed}
        assert view.reason == "Released"
    else:
        assert status == {"Status": "Available"}
        assert view.expires_at == 240 + elapsed + extra
        emu.run_until(240 + elapsed + extra)
        assert emu.describe_training_job(TrainingJobName="a")["WarmPoolStatus"] == {
            "Status": "Terminated",
            "ResourceRetainedBillableTimeInSeconds": elapsed + extra,
        }


@given(
    cap=st.integers(400, 5000),
    short=st.sampled_from([0, 0.5, 1, 30]),
    chained=st.booleans(),
)
def test_chain_at_the_lifetime_cap_at_release_is_not_kept(
    cap: int, short: float, chained: bool
) -> None:
    """behaviour §5.7 / D13: kept only if the chain is younger than the cap; then it ends by the
    cap."""
    # The chain's age counts from the first launch, across reuse.
    launch = 180
    end = launch + cap - short  # the last job's release
    plans = {"a": JobPlan(training_seconds=cap - short if not chained else 100)}
    if chained:  # a trains 180..280, Available; b takes it over at 300 and trains until end
        plans["b"] = JobPlan(training_seconds=end - 300 - 20)
    emu = WarmPoolEmulator(
        limits=Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=cap),
        quotas={INSTANCE_TYPES[0]: Quota(warm_pool=1)},
        workload=lambda request: plans[request["TrainingJobName"]],
    )

    def create(name: str) -> None:
        emu.create_training_job(
            **build_request(
                name, variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=3600
            )
        )

    create("a")
    last = "a"
    if chained:
        emu.run_until(300)
        create("b")
        last = "b"
        assert emu.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]["Status"] == (
            "Reused"
        )
    emu.run_until(end)
    status = emu.describe_training_job(TrainingJobName=last)["WarmPoolStatus"]
    if short == 0:  # never Available: no retained interval, no PoolKept (behaviour §8)
        assert status == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}
        assert [r for r in emu.billing.retained if r.job == last] == []
        assert [e for e in emu.events.for_job(last) if isinstance(e, PoolKept)] == []
        return
    assert status == {"Status": "Available"}
    view = emu.warm_pool(last)
    assert view is not None and view.expires_at == launch + cap
    emu.run_until(launch + cap)
    view = emu.warm_pool(last)
    assert view is not None and (view.status, view.reason) == ("Terminated", "LifetimeCap")
    assert view.billable_seconds == math.ceil(short)


@given(
    warm=st.booleans(),
    how=st.sampled_from(["stop", "AlgorithmError", "ClientError", "InternalServerError"]),
    stopping=st.sampled_from([0, 5, 30]),
    after=st.sampled_from([0, 0.5, 9]),
)
def test_ending_before_training_starts_keeps_a_pool_only_if_the_cluster_exists(
    warm: bool, how: str, stopping: float, after: float
) -> None:
    """behaviour §5 table / D9 / D10: ending before training starts keeps a pool iff it was warm."""
    # A warm job already has a cluster; a stop or failure before a cold launch cancels it.
    plans = {"donor": JobPlan(training_seconds=60), "job": None}
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPES[0]: Quota(warm_pool=2)},
        timing=Timing(cold_start_seconds=100, warm_start_seconds=10, stopping_seconds=stopping),
        workload=lambda request: plans[request["TrainingJobName"]],
    )

    def create(name: str) -> None:
        emu.create_training_job(
            **build_request(
                name, variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=600
            )
        )

    if warm:
        create("donor")
        emu.run_until(200)  # released at 160, Available
    create("job")
    assert emu.describe_training_job(TrainingJobName="job")["WarmPoolStatus"] == {"Status": "InUse"}
    emu.advance(after)  # before the warm (10 s) or cold (100 s) start
    if how == "stop":
        emu.stop_training_job(TrainingJobName="job")
        emu.advance(stopping)
    else:
        emu.fail_training_job("job", failure_class=how)
    d = emu.describe_training_job(TrainingJobName="job")
    assert d["TrainingJobStatus"] == ("Stopped" if how == "stop" else "Failed")
    assert "TrainingStartTime" not in d and "BillableTimeInSeconds" not in d
    kept = warm and how != "InternalServerError"
    assert d["WarmPoolStatus"]["Status"] == ("Available" if kept else "Terminated")
    if kept:
        view, donor = emu.warm_pool("job"), emu.warm_pool("donor")
        assert view is not None and donor is not None and view.cluster == donor.cluster


@given(
    jobs=st.lists(
        st.tuples(st.sampled_from(INSTANCE_TYPES), st.sampled_from(["available", "training"])),
        min_size=1,
        max_size=6,
    ),
    target=st.sampled_from([None, *INSTANCE_TYPES]),
)
def test_patch_update_terminates_exactly_the_available_pools_of_its_type(
    jobs: list[tuple[str, str]], target: str | None
) -> None:
    """D24: a patch update ends every Available pool (of that type), never a cluster in use."""
    names = [f"job-{i}" for i in range(len(jobs))]
    plans = {
        name: JobPlan(training_seconds=50) if state == "available" else None
        for name, (_, state) in zip(names, jobs, strict=True)
    }
    emu = WarmPoolEmulator(
        quotas={itype: Quota(warm_pool=10) for itype in INSTANCE_TYPES},
        workload=lambda request: plans[request["TrainingJobName"]],
    )
    for i, (name, (itype, _)) in enumerate(zip(names, jobs, strict=True)):
        emu.create_training_job(
            **build_request(name, variant=i % 3, instance_type=itype, count=1, keep_alive=600)
        )
    emu.run_until(180 + 50 + 30)  # the planned jobs have been Available for 30 s
    hit = [
        name
        for name, (itype, state) in zip(names, jobs, strict=True)
        if state == "available" and target in (None, itype)
    ]
    assert emu.apply_patch_update(target) == len(hit)
    for name, (_, state) in zip(names, jobs, strict=True):
        d = emu.describe_training_job(TrainingJobName=name)
        view = emu.warm_pool(name)
        assert view is not None
        if name in hit:
            assert d["WarmPoolStatus"] == {
                "Status": "Terminated",
                "ResourceRetainedBillableTimeInSeconds": 30,
            }
            assert view.reason == "PatchUpdate"
        else:
            assert d["WarmPoolStatus"]["Status"] == (
                "Available" if state == "available" else "InUse"
            )
            assert d["TrainingJobStatus"] == ("Completed" if state == "available" else "InProgress")


@settings(max_examples=60)
@given(kinds=st.lists(st.sampled_from(["expiry", "release", "start"]), min_size=1, max_size=6))
def test_same_instant_events_fire_expiries_then_releases_then_starts(kinds: list[str]) -> None:
    """behaviour §4 / D5: at one instant: expiries, then releases, then starts, by creation
    order."""
    # So a release sees the warm pool quota freed by an expiry at the same instant.
    t, cold = 1000, 100
    plans: dict[str, JobPlan | None] = {}
    names = {kind: [f"{kind}-{i}" for i, k in enumerate(kinds) if k == kind] for kind in kinds}
    expiring, releasing, starting = (names.get(k, []) for k in ("expiry", "release", "start"))
    for name in expiring:
        plans[name] = JobPlan(training_seconds=100)  # released at 200, expires at t
    for name in releasing:
        plans[name] = JobPlan(training_seconds=t - cold)  # released at t
    for name in starting:
        plans[name] = None  # created at t - cold: starts at t
    emu = WarmPoolEmulator(
        limits=Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=86400),
        timing=Timing(cold_start_seconds=cold),
        quotas={INSTANCE_TYPES[0]: Quota(warm_pool=len(expiring))},
        workload=lambda request: plans[request["TrainingJobName"]],
    )

    def create(name: str, variant: int, keep_alive: int | None) -> None:
        emu.create_training_job(
            **build_request(
                name,
                variant=variant,
                instance_type=INSTANCE_TYPES[0],
                count=1,
                keep_alive=keep_alive,
            )
        )

    for kind, name in zip(kinds, [f"{k}-{i}" for i, k in enumerate(kinds)], strict=True):
        if kind == "expiry":
            create(name, 0, t - 200)
        elif kind == "release":
            create(name, 0, 60)
    emu.run_until(t - cold)
    for name in starting:
        create(name, 2, None)  # another key: it must not take over a pool
    first = len(emu.events)
    emu.run_until(t)
    order = [
        e.job
        for e in emu.events[first:]
        if e.time == t
        and (
            isinstance(e, (JobReleased, TrainingStarted))
            or (isinstance(e, PoolTerminated) and e.reason == "Expired")
        )
    ]
    assert order == [*expiring, *releasing, *starting]
    for index, name in enumerate(releasing):
        status = emu.describe_training_job(TrainingJobName=name)["WarmPoolStatus"]["Status"]
        assert status == ("Available" if index < len(expiring) else "Terminated"), name


# -- the clock -----------------------------------------------------------------------------------

#: ("schedule", delay, priority, order, follow-up delay or None) | ("advance", seconds) |
#: ("run_until", delay) | ("backwards", seconds)
ClockOp = tuple[Any, ...]

clock_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("schedule"),
            st.sampled_from([0, 0.5, 1, 2, 5, 13]),
            st.integers(0, 2),
            st.integers(0, 2),
            st.one_of(st.none(), st.sampled_from([0, 1, 2.5])),
        ),
        st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 1, 3, 7])),
        st.tuples(st.just("run_until"), st.sampled_from([0, 1, 4.5, 20])),
        st.tuples(st.just("backwards"), st.sampled_from([0.5, 3])),
    ),
    max_size=40,
)


@dataclass
class _Pending:
    at: float
    priority: int
    order: int
    seq: int
    ident: int
    follow_up: float | None


@given(ops=clock_ops)
def test_clock_fires_every_event_exactly_once_in_order(ops: list[ClockOp]) -> None:
    """behaviour §4 / D5: now never decreases; every event fires once, at its time, in order."""
    # Order: (time, priority, order, scheduling), including events scheduled while firing.
    clock = VirtualClock()
    fired: list[tuple[int, float]] = []
    # the model: a plain list scanned for its minimum
    pending: list[_Pending] = []
    model_fired: list[tuple[int, float]] = []
    model_now: float = 0
    seq = 0

    def model_schedule(at: float, priority: int, order: int, follow: float | None) -> int:
        nonlocal seq
        seq += 1
        pending.append(_Pending(at, priority, order, seq, seq, follow))
        return seq

    def model_run(target: float) -> None:
        nonlocal model_now
        while True:
            due = [p for p in pending if p.at <= target]
            if not due:
                break
            first = min(due, key=lambda p: (p.at, p.priority, p.order, p.seq))
            pending.remove(first)
            model_now = first.at
            model_fired.append((first.ident, first.at))
            if first.follow_up is not None:
                model_schedule(model_now + first.follow_up, first.priority, first.order, None)
        model_now = target

    def make_callback(ident: int, follow: float | None, priority: int, order: int) -> Any:
        def callback(_: object) -> None:
            fired.append((ident, clock.now))
            if follow is not None:
                child = seq_holder[0] = seq_holder[0] + 1
                clock.schedule(
                    clock.now + follow,
                    make_callback(child, None, priority, order),
                    priority=priority,
                    order=order,
                )

        return callback

    seq_holder = [0]  # the emulated side's own count, in scheduling order

    for op in ops:
        before, already = clock.now, len(fired)
        if op[0] == "schedule":
            _, delay, priority, order, follow = op
            seq_holder[0] += 1
            clock.schedule(
                clock.now + delay,
                make_callback(seq_holder[0], follow, priority, order),
                priority=priority,
                order=order,
            )
            model_schedule(model_now + delay, priority, order, follow)
        elif op[0] == "advance":
            clock.advance(op[1])
            model_run(model_now + op[1])
        elif op[0] == "run_until":
            clock.run(until=clock.now + op[1])
            model_run(model_now + op[1])
        else:
            with pytest.raises(ValueError, match="cannot"):
                clock.run(until=clock.now - op[1])
            with pytest.raises(ValueError, match="cannot"):
                clock.advance(-op[1])
            with pytest.raises(ValueError, match="cannot"):
                clock.schedule(clock.now - op[1], lambda _: None)
        assert clock.now >= before
        assert clock.now == model_now
        assert fired == model_fired
        assert all(before <= at <= clock.now for _, at in fired[already:])
        upcoming = min((p.at for p in pending), default=math.inf)
        assert clock.peek() == upcoming
    clock.run()
    while pending:
        model_run(max(p.at for p in pending))
    assert fired == model_fired
    assert sorted(ident for ident, _ in fired) == list(range(1, seq_holder[0] + 1))
    times = [at for _, at in fired]
    assert times == sorted(times)


@given(
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("advance"), st.one_of(st.integers(0, 400), st.sampled_from([0.5, 2.25]))
            ),
            st.tuples(st.just("run_until"), st.integers(-300, 600)),
            st.tuples(st.just("run_until_datetime"), st.integers(-300, 600)),
            st.tuples(st.just("advance"), st.integers(-50, -1)),
            st.tuples(st.just("create"), st.integers(0, 1)),
        ),
        max_size=30,
    )
)
def test_emulator_time_never_moves_backwards(steps: list[tuple[str, int | float]]) -> None:
    """behaviour §4 / D5: time never moves back; a negative step is a ValueError changing
    nothing."""
    emu = _reuse_emulator(Timing(cold_start_seconds=30))
    created = 0
    for kind, value in steps:
        before = emu.now
        events = len(emu.events)
        if kind == "create":
            created += 1
            emu.create_training_job(
                **build_request(
                    f"job-{created}",
                    variant=int(value),
                    instance_type=INSTANCE_TYPES[0],
                    count=1,
                    keep_alive=60,
                )
            )
            assert emu.now == before
        elif kind == "advance" and value < 0:
            with pytest.raises(ValueError, match="cannot"):
                emu.advance(value)
            assert (emu.now, len(emu.events)) == (before, events)
        elif kind == "advance":
            emu.advance(value)
            assert emu.now == before + value
            assert emu.clock.peek() > emu.now  # everything due by now has fired
        else:
            target = before + value
            when: float | Any = target
            if kind == "run_until_datetime":
                when = emu.clock.epoch + timedelta(seconds=target)
            if value < 0:
                with pytest.raises(ValueError, match="cannot"):
                    emu.run_until(when)
                assert (emu.now, len(emu.events)) == (before, events)
            else:
                emu.run_until(when)
                assert emu.now == target
                assert emu.clock.peek() > emu.now
        assert emu.now >= before


@given(cold=st.sampled_from([0, 30, 180.5]), train=st.sampled_from([0, 1, 599.5]))
def test_release_due_exactly_at_the_target_fires_within_the_advance(
    cold: float, train: float
) -> None:
    """behaviour §4: advance(dt) fires every event due at or before now + dt, not one before."""
    plan = JobPlan(training_seconds=train)
    emu = WarmPoolEmulator(timing=Timing(cold_start_seconds=cold), workload=lambda _r: plan)
    emu.create_training_job(
        **build_request("a", variant=0, instance_type=INSTANCE_TYPES[0], count=1, keep_alive=None)
    )
    if cold + train >= 0.5:
        emu.advance(cold + train - 0.5)
        assert emu.describe_training_job(TrainingJobName="a")["TrainingJobStatus"] == "InProgress"
    emu.run_until(cold + train)
    d = emu.describe_training_job(TrainingJobName="a")
    assert d["TrainingJobStatus"] == "Completed"
    assert d["BillableTimeInSeconds"] == max(1, math.ceil(train))  # D6


# -- the ledgers ---------------------------------------------------------------------------------

LedgerOp = tuple[Any, ...]

ledger_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 2),  # variant
            st.sampled_from(INSTANCE_TYPES),
            st.integers(1, 2),
            st.sampled_from([None, 0, 60, 600]),
            st.sampled_from([None, 30, 200, 200.5]),
            st.sampled_from([None, "AlgorithmError", "InternalServerError"]),
        ),
        st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 20, 150, 700])),
        st.tuples(st.just("complete"), st.integers(0, 30)),
        st.tuples(
            st.just("fail"), st.integers(0, 30), st.sampled_from(["ClientError", "CapacityError"])
        ),
        st.tuples(st.just("stop"), st.integers(0, 30)),
        st.tuples(st.just("update"), st.integers(0, 30), st.sampled_from([0, 30, 600])),
        st.tuples(st.just("patch"), st.sampled_from([None, *INSTANCE_TYPES])),
        st.tuples(st.just("delete"), st.integers(0, 30)),
    ),
    max_size=50,
)


def _observed_use(emu: WarmPoolEmulator) -> dict[str, tuple[int, int]]:
    """(in_training, retained) per type, recounted from DescribeTrainingJob (behaviour §7)."""
    use = {itype: [0, 0] for itype in INSTANCE_TYPES}
    for name in emu.job_names():
        d = emu.describe_training_job(TrainingJobName=name)
        itype, count = d["ResourceConfig"]["InstanceType"], d["ResourceConfig"]["InstanceCount"]
        if d["TrainingJobStatus"] in ("InProgress", "Stopping"):
            use[itype][0] += count
        if d.get("WarmPoolStatus", {}).get("Status") == "Available":
            use[itype][1] += count
    return {itype: (a, b) for itype, (a, b) in use.items()}


def _totals(emu: WarmPoolEmulator, include_open: bool) -> tuple[float, ...]:
    t = emu.billing.total(include_open=include_open)
    return (
        t.retained_seconds,
        t.retained_instance_seconds,
        t.training_seconds,
        t.training_instance_seconds,
    )


@settings(max_examples=60)
@given(ops=ledger_ops, warm_pool=st.integers(0, 3), training=st.sampled_from([2, 3, 5]))
def test_quota_inequalities_hold_and_billing_never_shrinks(
    ops: list[LedgerOp], warm_pool: int, training: int
) -> None:
    """behaviour §7 / §8 / §11: quota inequalities hold and billed seconds never shrink, always."""
    # Also: use equals the recount from DescribeTrainingJob; adjoining windows add up (D27).
    plans: dict[str, JobPlan | None] = {}
    emu = WarmPoolEmulator(
        limits=Limits(max_keep_alive_seconds=600, max_pool_lifetime_seconds=1000),
        timing=Timing(cold_start_seconds=20, warm_start_seconds=5, stopping_seconds=10),
        quotas={itype: Quota(training=training, warm_pool=warm_pool) for itype in INSTANCE_TYPES},
        workload=lambda request: plans[request["TrainingJobName"]],
    )
    names: list[str] = []
    last_open: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)
    last_closed = last_open
    last_by_job: dict[str, float] = {}

    def pick(index: int) -> str:
        return names[index % len(names)] if names else "none"

    calls: dict[str, Callable[..., object]] = {
        "complete": lambda i: emu.complete_training_job(pick(i)),
        "fail": lambda i, cls: emu.fail_training_job(pick(i), failure_class=cls),
        "stop": lambda i: emu.stop_training_job(TrainingJobName=pick(i)),
        "update": lambda i, n: emu.update_training_job(
            TrainingJobName=pick(i), ResourceConfig={"KeepAlivePeriodInSeconds": n}
        ),
        "delete": lambda i: emu.delete_training_job(TrainingJobName=pick(i)),
        "patch": lambda itype: emu.apply_patch_update(itype),
        "advance": lambda seconds: emu.advance(seconds),
    }
    for op in ops:
        kind, args = op[0], op[1:]
        try:
            if kind == "create":
                variant, itype, count, keep_alive, seconds, failure = args
                name = f"job-{len(names)}"
                names.append(name)
                plans[name] = (
                    None
                    if seconds is None
                    else JobPlan(training_seconds=seconds, failure_class=failure)
                )
                emu.create_training_job(
                    **build_request(
                        name,
                        variant=variant,
                        instance_type=itype,
                        count=count,
                        keep_alive=keep_alive,
                    )
                )
            else:
                calls[kind](*args)
        except (errors.WarmPoolError, errors.ControlError):
            pass
        observed = _observed_use(emu)
        for itype in INSTANCE_TYPES:
            usage = emu.quotas.usage(itype)
            assert (usage.in_training, usage.retained) == observed[itype], (itype, op)
            assert usage.retained <= warm_pool
            assert usage.in_training + usage.retained <= training
        now_open, now_closed = _totals(emu, True), _totals(emu, False)
        assert all(a >= b for a, b in zip(now_open, last_open, strict=True)), op
        assert all(a >= b for a, b in zip(now_closed, last_closed, strict=True)), op
        assert all(a >= b for a, b in zip(now_open, now_closed, strict=True))
        by_job = {
            job: t.retained_seconds + t.training_seconds
            for job, t in emu.billing.totals_by("job", include_open=True).items()
        }
        assert all(by_job.get(job, -1) >= seconds for job, seconds in last_by_job.items()), op
        last_open, last_closed, last_by_job = now_open, now_closed, by_job
    split = emu.now / 2
    whole = emu.billing.total()
    left, right = emu.billing.total(end=split), emu.billing.total(start=split)
    assert left.retained_seconds + right.retained_seconds == pytest.approx(whole.retained_seconds)
    assert left.training_seconds + right.training_seconds == pytest.approx(whole.training_seconds)
