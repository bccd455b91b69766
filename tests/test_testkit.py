"""The test kit for users' test suites (the extra ``testing``): the pytest plugin and its
fixtures, ``warmpool.strategies``, ``warmpool.testing`` and the billing example of
docs/testing-billing.md.

The plugin is exercised through ``pytester``: a pytest run inside the test, in-process, or in a
subprocess where a missing dependency must be simulated.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from tests.conftest import require
from tests.contract import ROOT
from tests.test_create_validation import busy_emulator, snapshot
from warmpool import JobPlan, Limits, Quota, Timing, WarmPoolEmulator, errors, identity_key
from warmpool import strategies as wst
from warmpool.events import PoolReused
from warmpool.sim import load_trace, replay, write_trace
from warmpool.testing import (
    POOL_MOVES,
    WarmPoolInvariants,
    WarmPoolMachine,
    assert_billable_seconds,
    assert_pool_status,
    pool_timeline,
)

pytest_plugins = ["pytester"]

EXAMPLE = ROOT / "examples" / "billing"
GUIDE = ROOT / "docs" / "testing-billing.md"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
M5 = "ml.m5.xlarge"


def request(name: str, *, keep_alive: int | None = 900, count: int = 1) -> dict[str, Any]:
    resource: dict[str, Any] = {"InstanceType": M5, "InstanceCount": count}
    if keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = keep_alive
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": resource,
    }


# -- the plugin --------------------------------------------------------------------------------


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    """The distribution declares the plugin as pytest11 entry point ``warmpool``, so installing
    it is enough for pytest to load it."""
    plugins = {point.name: point.value for point in entry_points(group="pytest11")}
    assert plugins.get("warmpool") == "warmpool.pytest_plugin"


def test_plugin_registers_the_marker_so_strict_markers_accepts_it(
    pytester: pytest.Pytester,
) -> None:
    """``--strict-markers`` accepts ``@pytest.mark.warm_pools`` (and still refuses a typo),
    and ``pytest --markers`` describes it."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.warm_pools(region="eu-west-1")
        def test_marked(warm_pools):
            assert warm_pools.region == "eu-west-1"
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.warm_pool(region="eu-west-1")
        def test_marked():
            pass
        """
    )
    typo = pytester.runpytest("--strict-markers", "test_typo.py")
    typo.assert_outcomes(errors=1)
    typo.stdout.fnmatch_lines(["*'warm_pool' not found in `markers` configuration option*"])
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.warm_pools(**settings): configure the*"])


def test_without_a_marker_the_emulator_has_the_constructors_defaults(
    pytester: pytest.Pytester,
) -> None:
    """behaviour §2 / §4 / §7 / D47: with no marker, ``warm_pools`` is ``WarmPoolEmulator()``: the
    2022 guide's limits, a clock at 0 from 2026-01-01T00:00:00Z, and AWS's warm pool quota of
    0, so a finished job's cluster is not kept; and each test gets a fresh one."""
    pytester.makepyfile(
        f"""
        from datetime import datetime, timezone
        from warmpool import Limits, Quota

        REQUEST = {request("a")!r}

        def test_defaults(warm_pools):
            assert warm_pools.limits == Limits.GUIDE_2022
            assert warm_pools.now == 0
            assert warm_pools.clock.epoch == datetime(2026, 1, 1, tzinfo=timezone.utc)
            assert warm_pools.quotas["{M5}"] == Quota(training=None, warm_pool=0)
            warm_pools.create_training_job(**REQUEST)
            warm_pools.advance(180)
            warm_pools.complete_training_job("a")
            status = warm_pools.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]
            assert status == {{"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}}

        def test_a_fresh_emulator_for_each_test(warm_pools):
            assert warm_pools.job_names() == [] and warm_pools.now == 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_marker_gives_the_emulators_keywords_and_its_shorthands(
    pytester: pytest.Pytester,
) -> None:
    """behaviour §2 / §4 / §7 / §10.3: the marker's keywords build the emulator (limits, timing,
    quotas, region ...); ``start`` sets the clock's epoch and a ``JobPlan`` as ``workload`` is
    every job's plan."""
    pytester.makepyfile(
        f"""
        from datetime import datetime, timezone
        import pytest
        from warmpool import JobPlan, Limits, Quota, Timing

        START = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)
        REQUEST = {request("a")!r}

        @pytest.mark.warm_pools(
            limits=Limits.API_MODEL,
            timing=Timing(cold_start_seconds=10),
            quotas={{"{M5}": Quota(training=4, warm_pool=2)}},
            region="eu-west-1",
            start=START,
            workload=JobPlan(training_seconds=60),
        )
        def test_configured(warm_pools):
            assert warm_pools.limits == Limits.API_MODEL
            assert warm_pools.timing == Timing(cold_start_seconds=10)
            assert warm_pools.quotas["{M5}"] == Quota(training=4, warm_pool=2)
            assert warm_pools.region == "eu-west-1"
            assert warm_pools.clock.epoch == START and warm_pools.now == 0
            warm_pools.create_training_job(**REQUEST)
            warm_pools.advance(10 + 60)
            job = warm_pools.describe_training_job(TrainingJobName="a")
            assert job["TrainingJobStatus"] == "Completed"
            assert job["WarmPoolStatus"] == {{"Status": "Available"}}
            assert job["TrainingJobArn"].startswith("arn:aws:sagemaker:eu-west-1:")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_markers_of_module_class_and_test_combine_and_the_closest_wins(
    pytester: pytest.Pytester,
) -> None:
    """D47: markers on a module, a class and a test combine keyword by keyword; for a keyword given
    at several levels the test's wins over the class's, which wins over the module's."""
    pytester.makepyfile(
        """
        import pytest
        from warmpool import Limits

        pytestmark = pytest.mark.warm_pools(region="eu-west-1", limits=Limits.API_MODEL)

        class TestTeam:
            pytestmark = pytest.mark.warm_pools(region="ap-south-1", account="111111111111")

            @pytest.mark.warm_pools(account="222222222222")
            def test_closest(self, warm_pools):
                assert warm_pools.limits == Limits.API_MODEL
                assert warm_pools.region == "ap-south-1"
                assert warm_pools.account == "222222222222"

        def test_module_only(warm_pools):
            assert (warm_pools.region, warm_pools.account) == ("eu-west-1", "123456789012")
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('"eu-west-1"', "*takes keyword arguments only*not the positional ('eu-west-1',)*"),
        ("regions=['eu-west-1']", "*unknown keyword 'regions': it takes limits, timing*start*"),
        ('limits="docs"', "*@pytest.mark.warm_pools: limits must be a Limits, not 'docs'*"),
        ('account="42"', "*@pytest.mark.warm_pools: account must be 12 digits, not '42'*"),
        ("start=datetime(2030, 1, 1)", "*start: epoch must be a timezone-aware datetime*"),
        ('start="2030-01-01"', "*start must be a timezone-aware datetime, not '2030-01-01'*"),
        (
            "start=datetime(2030, 1, 1, tzinfo=timezone.utc), clock=VirtualClock()",
            "*give start or clock, not both*",
        ),
    ],
)
def test_a_bad_marker_argument_fails_the_set_up_naming_it(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    """D47: a positional argument, an unknown keyword or a value the emulator refuses fails the
    test's set-up (an error, not a failure) with a message that names it."""
    pytester.makepyfile(
        f"""
        from datetime import datetime, timezone
        import pytest
        from warmpool import VirtualClock

        @pytest.mark.warm_pools({marker})
        def test_marked(warm_pools):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_warm_pools_settings_can_be_overridden_in_a_conftest(pytester: pytest.Pytester) -> None:
    """behaviour §7: overriding ``warm_pools_settings`` in a conftest.py configures every test
    there, here with a default quota that keeps pools."""
    pytester.makeconftest(
        """
        import pytest
        from warmpool import JobPlan, Quota

        @pytest.fixture
        def warm_pools_settings():
            return {
                "default_quota": Quota(warm_pool=8),
                "workload": lambda request: JobPlan(training_seconds=30),
            }
        """
    )
    pytester.makepyfile(
        f"""
        REQUEST = {request("a")!r}

        def test_pools_are_kept(warm_pools):
            warm_pools.create_training_job(**REQUEST)
            warm_pools.advance(180 + 30)
            status = warm_pools.describe_training_job(TrainingJobName="a")["WarmPoolStatus"]
            assert status == {{"Status": "Available"}}
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_warm_pools_itself_can_be_overridden(pytester: pytest.Pytester) -> None:
    """A conftest.py may build the emulator itself by overriding ``warm_pools``; the client
    fixture then answers from that one."""
    require("boto3")
    pytester.makeconftest(
        """
        import pytest
        from warmpool import WarmPoolEmulator

        @pytest.fixture
        def warm_pools():
            return WarmPoolEmulator(region="us-west-2", account="999999999999")
        """
    )
    pytester.makepyfile(
        """
        def test_mine(warm_pools, warm_pools_client):
            assert warm_pools.account == "999999999999"
            assert warm_pools_client.meta.region_name == "us-west-2"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_client_fixture_is_a_boto3_client_answered_by_the_emulator(
    pytester: pytest.Pytester,
) -> None:
    """behaviour §12.1: ``warm_pools_client`` is a real boto3 SageMaker client in the
    emulator's region whose calls the test's emulator answers; it is detached after the test."""
    require("boto3")
    pytester.makepyfile(
        f"""
        import pytest
        from warmpool.aws import attached_emulator

        REQUEST = {request("a")!r}
        CLIENTS = []

        @pytest.mark.warm_pools(region="eu-central-1")
        def test_client(warm_pools, warm_pools_client):
            assert type(warm_pools_client).__name__ == "SageMaker"
            assert warm_pools_client.meta.region_name == "eu-central-1"
            assert attached_emulator(warm_pools_client) is warm_pools
            warm_pools_client.create_training_job(**REQUEST)
            assert warm_pools.job_names() == ["a"]
            warm_pools.advance(180)
            job = warm_pools_client.describe_training_job(TrainingJobName="a")
            assert job["SecondaryStatus"] == "Training"
            with pytest.raises(warm_pools_client.exceptions.ClientError, match="not found"):
                warm_pools_client.describe_training_job(TrainingJobName="b")
            CLIENTS.append(warm_pools_client)

        def test_detached_afterwards():
            assert attached_emulator(CLIENTS[0]) is None
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


#: Runs pytest in a process where Hypothesis, boto3 and botocore cannot be imported.
_ONLY_PYTEST = """
import sys
BLOCKED = ("hypothesis", "boto3", "botocore")

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)

sys.meta_path.insert(0, Blocker())
import pytest
status = pytest.main(["-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-rs", "-q"])
print("IMPORTED:", [name for name in BLOCKED if sys.modules.get(name) is not None])
sys.exit(status)
"""


def test_plugin_loads_with_only_pytest_and_the_client_fixture_skips_naming_the_aws_extra(
    pytester: pytest.Pytester,
) -> None:
    """Without Hypothesis and boto3 the plugin loads and ``warm_pools`` works; a test using
    ``warm_pools_client`` is skipped with a reason that names the extra ``aws``."""
    pytester.makepyfile(
        f"""
        REQUEST = {request("a")!r}

        def test_emulator(warm_pools):
            warm_pools.create_training_job(**REQUEST)

        def test_client(warm_pools_client):
            raise AssertionError("not reached")
        """
    )
    result = pytester.run(sys.executable, "-c", _ONLY_PYTEST)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] *the warm_pools_client fixture needs boto3: install the aws extra "
            "(pip install 'sagemaker-warmpool[[]aws[]]')",
            "*1 passed, 1 skipped*",
            "IMPORTED: []",
        ]
    )


# -- warmpool.strategies -------------------------------------------------------------------------

LIMITS = st.sampled_from([Limits.GUIDE_2022, Limits.API_MODEL, Limits(600, 3600)])


@settings(max_examples=60)
@given(data=st.data(), limits=LIMITS)
def test_every_generated_valid_request_is_accepted(data: st.DataObject, limits: Limits) -> None:
    """behaviour §9.1 / §6.1: the emulator accepts every valid request generated for its limits
    (names are new in the test case); a job has a warm pool status iff it asked for a
    keep-alive above 0."""
    emu = WarmPoolEmulator(limits=limits)
    requests = data.draw(
        st.lists(wst.create_training_job_requests(limits=limits), min_size=1, max_size=8)
    )
    for body in requests:
        emu.create_training_job(**body)
        job = emu.describe_training_job(TrainingJobName=body["TrainingJobName"])
        asked = body["ResourceConfig"].get("KeepAlivePeriodInSeconds") or 0
        assert 0 <= asked <= limits.max_keep_alive_seconds
        assert ("WarmPoolStatus" in job) == (asked > 0)
    assert emu.job_names() == [body["TrainingJobName"] for body in requests]


@pytest.mark.parametrize("kind", list(wst.INVALID_KINDS))
@settings(max_examples=12)
@given(data=st.data())
def test_every_generated_invalid_request_is_refused_naming_its_field_and_changes_nothing(
    kind: str, data: st.DataObject
) -> None:
    """behaviour §9 / §9.1 / D15: each kind of invalid request is refused with a
    ValidationException whose field is the one the strategy names, and nothing changes: jobs,
    events, quotas, clock, billing, and the workload hook is not called."""
    emu, hook = busy_emulator(policy=None)
    invalid = data.draw(wst.invalid_create_training_job_requests(kinds=[kind]))
    assert invalid.kind == kind
    before = snapshot(emu)
    with pytest.raises(errors.ValidationException) as refused:
        emu.create_training_job(**invalid.request)
    assert refused.value.field is not None
    assert refused.value.field.startswith(invalid.field), (refused.value.field, invalid)
    assert refused.value.field.startswith(wst.INVALID_KINDS[kind].field) or kind in (
        "missing_member",
        "vpc_size",
        "vpc_id",
        "unknown_member",
        "wrong_type",
    )
    assert snapshot(emu) == before
    assert len(hook.requests) == 2  # the two jobs busy_emulator made


@settings(max_examples=40)
@given(data=st.data(), limits=LIMITS)
def test_create_training_job_requests_with_valid_false_are_all_refused(
    data: st.DataObject, limits: Limits
) -> None:
    """behaviour §9.1: ``valid=False`` requests are refused with a ValidationException."""
    emu = WarmPoolEmulator(limits=limits)
    body = data.draw(wst.create_training_job_requests(valid=False, limits=limits))
    with pytest.raises(errors.ValidationException):
        emu.create_training_job(**body)
    assert emu.job_names() == [] and len(emu.events) == 0


@settings(max_examples=60)
@given(data=st.data())
def test_a_request_has_exactly_the_identity_key_it_was_drawn_with(data: st.DataObject) -> None:
    """behaviour §3 / D2: however a request spells its key (VPC ids in any order, repeated;
    False flags written or not), ``identity_key`` of it is the key drawn."""
    key = data.draw(wst.identity_keys())
    body = data.draw(wst.create_training_job_requests(keys=st.just(key)))
    assert identity_key(body) == key


@settings(max_examples=60)
@given(
    same=st.lists(wst.identity_keys(collision_rate=1, pool="same"), min_size=1, max_size=8),
    distinct=st.lists(wst.identity_keys(collision_rate=0, pool="distinct"), max_size=8),
)
def test_identity_keys_at_collision_rates_1_and_0(same: list[Any], distinct: list[Any]) -> None:
    """behaviour §3: at ``collision_rate=1`` every key of a test case equals the first; at 0
    all differ (each pool of keys is apart from the others)."""
    assert len(set(same)) == 1
    assert len(set(distinct)) == len(distinct)


def test_identity_keys_at_a_middle_rate_both_repeat_and_differ() -> None:
    """behaviour §3: at ``collision_rate=0.5`` a test case's keys repeat some earlier key and
    bring new ones."""
    seen: set[tuple[bool, bool]] = set()

    @settings(max_examples=50, database=None, phases=[Phase.generate])
    @given(st.lists(wst.identity_keys(collision_rate=0.5), min_size=6, max_size=6))
    def look(keys: list[Any]) -> None:
        seen.add((len(set(keys)) < len(keys), len(set(keys)) > 1))

    look()
    assert (True, True) in seen


@settings(max_examples=30)
@given(
    first=wst.create_training_job_requests(
        keys=wst.identity_keys(collision_rate=1, pool="reuse"), keep_alive=st.just(600)
    ),
    second=wst.create_training_job_requests(
        keys=wst.identity_keys(collision_rate=1, pool="reuse"), keep_alive=st.just(600)
    ),
)
def test_requests_of_colliding_keys_take_over_each_others_pools(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    """behaviour §6.5: two requests whose keys collide (rate 1): the second takes over the
    first's Available pool."""
    for body in (first, second):
        body.pop("StoppingCondition", None)  # a max runtime under 60 s would end it sooner
    emu = WarmPoolEmulator(
        default_quota=Quota(warm_pool=4), workload=lambda _: JobPlan(training_seconds=60)
    )
    emu.create_training_job(**first)
    emu.advance(180 + 60 + 10)
    emu.create_training_job(**second)
    assert_pool_status(emu, first["TrainingJobName"], "Reused")
    assert_billable_seconds(emu, first["TrainingJobName"], 10)


@settings(max_examples=40)
@given(
    plan=wst.job_plans(
        min_training_seconds=10.5, max_training_seconds=90, failure_classes=["ClientError"]
    ),
    plans=st.lists(wst.job_plans(failure_classes=()), max_size=5),
)
def test_job_plans_stay_within_their_bounds(plan: JobPlan, plans: list[JobPlan]) -> None:
    """behaviour §10.3 / D25: plans train within the bounds and fail only with the classes
    given (none: they complete)."""
    assert 10.5 <= plan.training_seconds <= 90
    assert plan.failure_class in (None, "ClientError")
    assert all(p.failure_class is None and 0 <= p.training_seconds <= 3600 for p in plans)


@settings(max_examples=40)
@given(quotas=wst.quotas(max_instances=3))
def test_quotas_give_each_instance_type_a_quota_the_emulator_takes(
    quotas: dict[str, Quota],
) -> None:
    """behaviour §7: one Quota per instance type, within the bounds."""
    assert set(quotas) == set(wst.INSTANCE_TYPES)
    for quota in quotas.values():
        assert quota.training is None or 1 <= quota.training <= 3
        assert 0 <= quota.warm_pool <= 3
    emu = WarmPoolEmulator(quotas=quotas)
    assert {kind: emu.quotas[kind] for kind in quotas} == quotas


def _as_read(jobs: list[Any]) -> list[Any]:
    """The jobs as load_trace reads them back: named (by place when unnamed), in order."""
    return [
        attrs.evolve(job, job_name=job.job_name or f"job-{place:06d}")
        for place, job in enumerate(jobs, 1)
    ]


@settings(max_examples=40)
@given(
    trace=wst.traces(max_size=12),
    suffix=st.sampled_from([".csv", ".jsonl", ".csv.gz", ".jsonl.gz"]),
)
def test_generated_traces_are_read_back_by_load_trace_and_replayed(
    trace: list[Any], suffix: str
) -> None:
    """behaviour §13.1 / §13.2 / D39: a generated trace is in submit order, write_trace writes
    it, load_trace reads every row back as it was, and a replay runs every row."""
    times = [job.submit_time for job in trace]
    assert times == sorted(times)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, f"trace{suffix}")
        assert write_trace(path, trace) == len(trace)
        loaded = load_trace(path)
        assert list(loaded) == _as_read(trace)
        report = replay(loaded)
    assert report.jobs == len(trace)


@settings(max_examples=20)
@given(trace=wst.traces(max_size=10, limits=Limits.API_MODEL, collision_rate=1))
def test_generated_traces_follow_their_limits_and_collision_rate(trace: list[Any]) -> None:
    """behaviour §2 / §13.1: keep-alives stay within the limits given (here the API model's
    21600 s), and at collision rate 1 every row has one identity."""
    assert all((job.keep_alive_seconds or 0) <= 21600 for job in trace)
    identities = {
        (job.role_arn, job.instance_type, job.instance_count, job.volume_size_gb) for job in trace
    }
    assert len(identities) <= 1
    report = replay(trace, limits=Limits.API_MODEL)
    assert report.jobs == len(trace)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: wst.identity_keys(collision_rate=1.5), "collision_rate must be a number"),
        (lambda: wst.identity_keys(instance_types=[]), "instance_types must hold"),
        (lambda: wst.identity_keys(max_instance_count=0), "max_instance_count must be an int"),
        (lambda: wst.create_training_job_requests(keys=[1]), "keys must be a Hypothesis"),  # type: ignore[arg-type]
        (lambda: wst.create_training_job_requests(limits=3600), "limits must be a warmpool"),  # type: ignore[arg-type]
        (lambda: wst.create_training_job_requests(kinds=["x"]), "kinds applies to invalid"),
        (
            lambda: wst.create_training_job_requests(False, keep_alive=st.just(1)),
            "keep_alive applies to valid requests only",
        ),
        (lambda: wst.invalid_create_training_job_requests(kinds=["nope"]), "kinds must name"),
        (lambda: wst.job_plans(min_training_seconds=5, max_training_seconds=1), "must not exceed"),
        (lambda: wst.job_plans(failure_classes=["not a name"]), "a failure class must be"),
        (lambda: wst.quotas(max_instances=0), "max_instances must be an int >= 1"),
        (lambda: wst.traces(min_size=3, max_size=2), "min_size (3) must not exceed"),
    ],
)
def test_strategies_refuse_bad_arguments_when_made(make: Any, message: str) -> None:
    """A strategy made with a bad argument raises Hypothesis's InvalidArgument at once,
    naming the argument."""
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        make()


# -- warmpool.testing: the machine ----------------------------------------------------------------


def test_pool_moves_are_exactly_those_of_the_contract() -> None:
    """behaviour §6.2: InUse -> Available | Terminated and Available -> Reused | Terminated."""
    assert {
        ("InUse", "Available"),
        ("InUse", "Terminated"),
        ("Available", "Reused"),
        ("Available", "Terminated"),
    } == POOL_MOVES


def test_warm_pool_machine_holds_the_guarantees_of_section_11() -> None:
    """behaviour §11 / §6.2 / §6.4 / §7 / §8 / §9.6: random operations on the machine's
    emulator break none of its invariants, and its rules' own checks hold."""
    run_state_machine_as_test(
        WarmPoolMachine, settings=settings(max_examples=30, stateful_step_count=30)
    )


def test_machine_test_cases_leave_out_hypothesis_explain_phase() -> None:
    """A failing machine reports in seconds, not minutes: the ``TestCase`` of the machine, of a
    subclass and of a machine with rules of its own on the invariants runs every phase of the
    profile but ``explain`` (which replays the shrunk steps hundreds of times), and settings
    derived from it keep it so."""

    class Mine(WarmPoolMachine):
        pass

    class OwnRules(WarmPoolInvariants):
        @rule()
        def nothing(self) -> None:
            pass

    derived = settings(Mine.TestCase.settings, stateful_step_count=5)
    for phases in (
        WarmPoolMachine.TestCase.settings.phases,
        Mine.TestCase.settings.phases,
        OwnRules.TestCase.settings.phases,
        derived.phases,
    ):
        assert Phase.explain not in phases
        assert {Phase.generate, Phase.shrink} <= set(phases)
    assert Mine.TestCase.settings.deadline is None  # Hypothesis's own default for machines
    assert derived.stateful_step_count == 5


def test_machine_reaches_reuse_expiry_and_quota_refusals() -> None:
    """behaviour §6.5 / §6.3 / §7: the machine's rules reach the states billing code must
    handle: pools reused, expired and refused by the warm pool quota."""
    seen: set[str] = set()

    class Watching(WarmPoolMachine):
        def teardown(self) -> None:
            for event in self.emu.events:
                seen.add(type(event).__name__)
                seen.add(getattr(event, "reason", ""))

    run_state_machine_as_test(
        Watching,
        settings=settings(
            max_examples=60, database=None, derandomize=True, phases=[Phase.generate]
        ),
    )
    assert {"PoolReused", "Expired", "QuotaRefused", "PoolKept", "StopRequested"} <= seen


def _ledger_bill(emu: WarmPoolEmulator) -> float:
    """Idle instance-seconds billed, from the emulator's billing ledger (closed intervals)."""
    return emu.billing.total().retained_instance_seconds


def _bill_ignoring_instance_count(emu: WarmPoolEmulator) -> float:
    """A broken bill: the seconds of each Reused or Terminated pool, as if every job had one
    instance."""
    total = 0
    for name in emu.job_names():
        pool = emu.describe_training_job(TrainingJobName=name).get("WarmPoolStatus", {})
        if pool.get("Status") in ("Reused", "Terminated"):
            total += pool["ResourceRetainedBillableTimeInSeconds"]
    return total


def _billing_machine(bill: Any) -> type[WarmPoolMachine]:
    class Billing(WarmPoolMachine):
        """A user's machine: the bill equals ResourceRetainedBillableTimeInSeconds x
        InstanceCount summed over Reused and Terminated pools."""

        def delete(self) -> None:
            """Not a rule: the ledger keeps what deleted jobs were billed."""

        @invariant()
        def bill_equals_retained_time_times_instance_count(self) -> None:
            expected = 0
            for job in self.describe_all().values():
                pool = job.get("WarmPoolStatus", {})
                if pool.get("Status") in ("Reused", "Terminated"):
                    count = job["ResourceConfig"]["InstanceCount"]
                    expected += pool["ResourceRetainedBillableTimeInSeconds"] * count
            assert bill(self.emu) == expected

    return Billing


def test_a_user_invariant_catches_a_bill_that_ignores_the_instance_count() -> None:
    """behaviour §6.4 / §8: a subclass's invariant holds for a correct bill (the ledger's
    retained instance-seconds) and fails for one that ignores InstanceCount."""
    quick = settings(max_examples=30, stateful_step_count=30)
    run_state_machine_as_test(_billing_machine(_ledger_bill), settings=quick)
    search = settings(
        max_examples=300,
        stateful_step_count=30,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
    )
    with pytest.raises(AssertionError):
        run_state_machine_as_test(_billing_machine(_bill_ignoring_instance_count), settings=search)


def test_a_rule_is_left_out_by_a_plain_method_of_its_name() -> None:
    """A subclass method without ``@rule`` replaces the rule of that name."""
    rules = {rule.function.__name__ for rule in _billing_machine(_ledger_bill)().rules}
    assert "delete" not in rules
    assert {"create", "create_matching", "advance", "stop", "describe"} <= rules
    assert "delete" in {rule.function.__name__ for rule in WarmPoolMachine().rules}


def test_machine_settings_configure_its_emulator() -> None:
    """behaviour §7: ``emulator_settings`` and ``instance_types`` configure the machine's
    emulator; the default gives each type Quota(training=6, warm_pool=2)."""

    class Small(WarmPoolMachine):
        instance_types = ("ml.g5.xlarge",)
        emulator_settings: ClassVar[Mapping[str, Any]] = {
            "limits": Limits(600, 3600),
            "region": "eu-west-1",
        }

    machine = Small()
    assert machine.emu.region == "eu-west-1"
    assert machine.emu.limits == Limits(600, 3600)
    assert machine.emu.quotas["ml.g5.xlarge"] == Quota(training=6, warm_pool=2)
    assert machine.emu.timing == Timing(stopping_seconds=30)
    assert WarmPoolMachine().emu.quotas["ml.m5.xlarge"] == Quota(training=6, warm_pool=2)


def _machine_with_a_job(**settings: Any) -> WarmPoolMachine:
    machine = WarmPoolMachine()
    machine.emu = WarmPoolEmulator(
        default_quota=Quota(warm_pool=4),
        workload=lambda _: JobPlan(training_seconds=60),
        **settings,
    )
    machine.emu.create_training_job(**request("a"))
    machine.emu.advance(100)
    for check in machine.invariants:
        check.function(machine)
    return machine


def test_invariants_catch_a_warm_pool_move_the_contract_does_not_allow() -> None:
    """behaviour §6.2: an event log where an InUse pool becomes Reused fails the invariants,
    naming the move and showing the timeline."""
    machine = _machine_with_a_job()
    machine.emu.events._record(PoolReused, machine.emu.now, "a", 1, "b")
    machine.emu.events._flush()
    with pytest.raises(AssertionError) as failure:
        machine.clock_never_moves_backwards()
    message = str(failure.value)
    assert "the warm pool of 'a' moved InUse -> Reused at t=100" in message
    assert "warm pool timeline of 'a' (cluster 1)" in message
    assert re.search(r"100 .* a +PoolReused +warm pool Reused by b", message)


def test_invariants_catch_a_clock_that_moves_backwards() -> None:
    """behaviour §4: the clock invariant fails when now decreases."""
    machine = _machine_with_a_job()
    machine.emu.clock._now = 50
    with pytest.raises(AssertionError, match="the clock moved backwards from t=100 to t=50"):
        machine.clock_never_moves_backwards()


def test_quota_inequalities_are_not_checked_for_a_limit_lowered_below_its_use() -> None:
    """behaviour §7 / D14: after a limit is lowered below its use, its inequality is not
    checked for that instance type (lowering evicts nothing)."""
    machine = _machine_with_a_job()
    machine.emu.run_until(180 + 60)  # 'a' is Available: 1 instance retained
    machine.quota_inequalities_hold()
    machine.emu.quotas[M5] = Quota(warm_pool=0)
    machine.quota_inequalities_hold()  # lowered below its use: not a failure


def test_invariants_start_afresh_on_a_new_emulator() -> None:
    """behaviour §4: replacing ``self.emu`` starts the checks afresh (a new clock at 0 is not
    a clock moving backwards)."""
    machine = _machine_with_a_job()
    machine.emu = WarmPoolEmulator()
    machine.clock_never_moves_backwards()
    machine.billing_never_shrinks()


# -- warmpool.testing: assertions and the timeline ----------------------------------------------


def _reused_chain() -> WarmPoolEmulator:
    """'a' trains 180..780 and is Available; 'b' takes its pool over at 1000; 'c' asks for
    no keep-alive; 'd' finds the warm pool quota full."""
    emu = WarmPoolEmulator(
        quotas={M5: Quota(warm_pool=1)}, workload=lambda _: JobPlan(training_seconds=600)
    )
    emu.create_training_job(**request("a"))
    emu.advance(1000)
    emu.create_training_job(**request("b", count=1))
    emu.advance(0.25)
    return emu


def test_pool_timeline_shows_the_pools_holders_one_event_a_line() -> None:
    """behaviour §10.4 / §6.5: the timeline of a job lists its events and those of its
    cluster's other holders, with time (seconds and UTC), job, event and status, then what
    DescribeTrainingJob says now."""
    emu = _reused_chain()
    assert pool_timeline(emu, "b").splitlines() == [
        "warm pool timeline of 'b' (cluster 1); now t=1000.25 (2026-01-01T00:16:40.250000Z)",
        "  t (s)  time                  job  event            status",
        "      0  2026-01-01T00:00:00Z  a    JobCreated       InProgress (Starting): launches a "
        "new cluster",
        "    180  2026-01-01T00:03:00Z  a    TrainingStarted  InProgress (Training) on cluster 1 "
        "(cold start)",
        "    780  2026-01-01T00:13:00Z  a    JobReleased      Completed",
        "    780  2026-01-01T00:13:00Z  a    PoolKept         warm pool Available until t=1680",
        "   1000  2026-01-01T00:16:40Z  b    JobCreated       InProgress (Starting): takes over "
        "the warm pool of cluster 1",
        "   1000  2026-01-01T00:16:40Z  a    PoolReused       warm pool Reused by b",
        "now: b is InProgress (Starting), WarmPoolStatus {'Status': 'InUse'}",
    ]


def test_assert_pool_status_fails_with_the_status_and_the_timeline() -> None:
    """behaviour §6.1 / §6.2: a wrong status fails naming what it is, with the timeline; the
    right one passes; None means no warm pool."""
    emu = _reused_chain()
    assert_pool_status(emu, "a", "Reused")
    assert_pool_status(emu, "b", "InUse")
    emu.create_training_job(**request("c", keep_alive=None))
    assert_pool_status(emu, "c", None)
    with pytest.raises(AssertionError) as failure:
        assert_pool_status(emu, "a", "Terminated")
    lines = str(failure.value).splitlines()
    assert lines[0] == "the warm pool of 'a' is Reused, expected Terminated"
    assert (
        lines[2]
        == "warm pool timeline of 'a' (cluster 1); now t=1000.25 (2026-01-01T00:16:40.250000Z)"
    )
    assert lines[-1] == (
        "now: a is Completed, WarmPoolStatus {'Status': 'Reused', "
        "'ResourceRetainedBillableTimeInSeconds': 220, 'ReusedByJob': 'b'}"
    )
    with pytest.raises(
        AssertionError, match="'c' is absent \\(no WarmPoolStatus\\), expected InUse"
    ):
        assert_pool_status(emu, "c", "InUse")
    with pytest.raises(ValueError, match="expected must be one of InUse"):
        assert_pool_status(emu, "a", "reused")


def test_assert_billable_seconds_says_what_the_job_shows_instead() -> None:
    """behaviour §6.4: ResourceRetainedBillableTimeInSeconds is checked once Reused or
    Terminated; before that, or for a job without a pool, the message says so."""
    emu = _reused_chain()
    assert_billable_seconds(emu, "a", 220)
    with pytest.raises(AssertionError) as wrong:
        assert_billable_seconds(emu, "a", 200)
    assert str(wrong.value).startswith(
        "expected the warm pool of 'a' to be billed 200 s, but it is Reused with "
        "ResourceRetainedBillableTimeInSeconds 220\n\nwarm pool timeline of 'a'"
    )
    with pytest.raises(AssertionError, match="but it is InUse: ResourceRetainedBillable"):
        assert_billable_seconds(emu, "b", 0)
    emu.create_training_job(**request("c", keep_alive=None))
    with pytest.raises(AssertionError, match="but it has no warm pool"):
        assert_billable_seconds(emu, "c", 0)
    with pytest.raises(ValueError, match="expected must be a whole number of seconds"):
        assert_billable_seconds(emu, "a", 220.0)  # type: ignore[arg-type]


def test_assertions_name_a_job_that_does_not_exist_with_what_the_log_remembers() -> None:
    """behaviour §9.5 / §10.4: for a deleted job the message says it does not exist and its
    timeline shows the deletion."""
    emu = WarmPoolEmulator(workload=lambda _: JobPlan(training_seconds=60))
    emu.create_training_job(**request("a", keep_alive=None))
    emu.advance(300)
    emu.delete_training_job(TrainingJobName="a")
    with pytest.raises(AssertionError) as failure:
        assert_pool_status(emu, "a", None)
    message = str(failure.value)
    assert message.startswith("there is no training job named 'a'\n\n")
    assert "JobDeleted       deleted (DeleteTrainingJob)" in message
    assert message.endswith("now: there is no training job named 'a'")
    assert "(the event log holds no event about 'zz')" in pool_timeline(emu, "zz")


def test_assertions_take_a_boto3_client_attached_to_the_emulator() -> None:
    """behaviour §12.1: the assertions and the timeline accept an attached boto3 client; any
    other object is a TypeError."""
    boto3 = require("boto3")
    from warmpool.aws import attach

    emu = _reused_chain()
    client = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with pytest.raises(TypeError, match="attached to one"):
        assert_pool_status(client, "a", "Reused")
    with attach(client, emu):
        assert_pool_status(client, "a", "Reused")
        assert_billable_seconds(client, "a", 220)
        assert pool_timeline(client, "a") == pool_timeline(emu, "a")
    with pytest.raises(TypeError, match="expected a WarmPoolEmulator"):
        pool_timeline(object(), "a")


# -- the testing guide and its example ------------------------------------------------------------

#: A block of docs/testing-billing.md that quotes a file: a comment naming it, then the code.
_QUOTE = re.compile(r"<!-- (examples/[\w/.]+) -->\n```python\n(.*?)```\n", re.DOTALL)


def test_the_testing_guide_quotes_the_example_files_exactly() -> None:
    """docs/testing-billing.md shows examples/billing/billing.py and its tests as they are."""
    quoted = dict(_QUOTE.findall(GUIDE.read_text(encoding="utf-8")))
    assert sorted(quoted) == [
        "examples/billing/billing.py",
        "examples/billing/test_billing_example.py",
    ]
    for path, code in quoted.items():
        assert code == (ROOT / path).read_text(encoding="utf-8"), path


def _run_example(pytester: pytest.Pytester, *, billing: str | None = None) -> pytest.RunResult:
    """Run the example's tests with pytest in a subprocess (its own Hypothesis profile: 20
    examples, no shrinking, no database), with ``billing`` as billing.py if given."""
    for name in ("billing.py", "test_billing_example.py"):
        shutil.copy(EXAMPLE / name, pytester.path / name)
    if billing is not None:
        (pytester.path / "billing.py").write_text(billing, encoding="utf-8")
    pytester.makeconftest(
        """
        from hypothesis import Phase, settings

        settings.register_profile(
            "quick", max_examples=20, phases=[Phase.generate], database=None, derandomize=True
        )
        """
    )
    # In a subprocess: a profile loaded in this process would change this session's settings.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hypothesis-profile=quick")


def test_the_billing_example_passes(pytester: pytest.Pytester) -> None:
    """behaviour §6.4 / §8: the guide's example, run by pytest, passes: its fixture tests, its
    property and its machine."""
    require("boto3")
    _run_example(pytester).assert_outcomes(passed=5)


def test_the_billing_example_fails_for_a_bill_that_ignores_the_instance_count(
    pytester: pytest.Pytester,
) -> None:
    """behaviour §6.4: with ``* resources["InstanceCount"]`` removed from billing.py, the
    example's hand-made test, its property and its machine fail."""
    require("boto3")
    source = (EXAMPLE / "billing.py").read_text(encoding="utf-8")
    broken = source.replace(' * resources["InstanceCount"]', "")
    assert broken != source
    result = _run_example(pytester, billing=broken)
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED test_billing_example.py::test_a_reused_pool_is_charged_to_its_team*",
            "FAILED test_billing_example.py::test_the_bill_equals_the_ledger_of_retained_time*",
            "FAILED test_billing_example.py::TestBillingMachine::runTest*",
        ]
    )
