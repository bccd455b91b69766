"""Tests of billing.py with warmpool's test kit: the fixtures, a strategy and the machine."""

from __future__ import annotations

from typing import Any

import pytest
from billing import idle_charges
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from warmpool import JobPlan, Quota, WarmPoolEmulator
from warmpool import strategies as wst
from warmpool.testing import WarmPoolMachine, assert_billable_seconds, assert_pool_status

#: USD per instance-hour (made up for the tests).
PRICES = {"ml.m5.xlarge": 0.23, "ml.c5.xlarge": 0.204, "ml.g5.xlarge": 1.408}
QUOTAS = {kind: Quota(warm_pool=4) for kind in PRICES}
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"


def request(name: str, team: str, *, count: int = 1, keep_alive: int = 1800) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "train:latest", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": count,
            "VolumeSizeInGB": 50,
            "KeepAlivePeriodInSeconds": keep_alive,
        },
        "Tags": [{"Key": "team", "Value": team}],
    }


# -- the fixtures: one emulator per test, configured by the marker ----------------------------

ten_minute_jobs = pytest.mark.warm_pools(
    quotas=QUOTAS,  # warm pools for 4 instances of each type
    workload=JobPlan(training_seconds=600),  # every job trains 10 minutes
)


@ten_minute_jobs
def test_a_reused_pool_is_charged_to_its_team(
    warm_pools: WarmPoolEmulator, warm_pools_client: Any
) -> None:
    warm_pools_client.create_training_job(**request("vision-1", "vision", count=2))
    warm_pools.advance(180 + 600 + 300)  # cold start, training, then 300 s Available
    warm_pools_client.create_training_job(**request("speech-1", "speech", count=2))

    assert_pool_status(warm_pools, "vision-1", "Reused")
    assert_billable_seconds(warm_pools, "vision-1", 300)
    assert idle_charges(warm_pools_client, PRICES) == {
        "vision": pytest.approx(300 * 2 * 0.23 / 3600)
    }


@ten_minute_jobs
def test_an_available_pool_is_not_charged_yet(
    warm_pools: WarmPoolEmulator, warm_pools_client: Any
) -> None:
    warm_pools_client.create_training_job(**request("vision-1", "vision", keep_alive=900))
    warm_pools.advance(180 + 600 + 899)
    assert_pool_status(warm_pools, "vision-1", "Available")
    assert idle_charges(warm_pools_client, PRICES) == {}

    warm_pools.advance(1)  # the keep-alive ends: Terminated after 900 s
    assert_billable_seconds(warm_pools, "vision-1", 900)
    assert idle_charges(warm_pools_client, PRICES) == {"vision": pytest.approx(900 * 0.23 / 3600)}


def test_without_warm_pool_quota_nothing_is_kept(
    warm_pools: WarmPoolEmulator, warm_pools_client: Any
) -> None:
    # No marker: AWS's defaults, so a warm pool quota of 0 and no cluster is ever kept.
    warm_pools_client.create_training_job(**request("vision-1", "vision"))
    warm_pools.advance(180)
    warm_pools.complete_training_job("vision-1")
    assert_billable_seconds(warm_pools, "vision-1", 0)
    assert idle_charges(warm_pools_client, PRICES) == {"vision": 0.0}


# -- a strategy: whatever the jobs, the bill is the emulator's own ledger -----------------------


@ten_minute_jobs
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    jobs=st.lists(st.tuples(wst.create_training_job_requests(), st.integers(0, 3600)), max_size=8)
)
def test_the_bill_equals_the_ledger_of_retained_time(
    warm_pools: WarmPoolEmulator, jobs: list[tuple[dict[str, Any], int]]
) -> None:
    emu = warm_pools.fresh()  # a new emulator for each example, with the marker's settings
    for job, wait in jobs:
        emu.create_training_job(**job)
        emu.advance(wait)
    emu.advance(4 * 3600)  # every job ends, every pool expires
    ledger = emu.billing.total(prices=PRICES).retained_cost
    assert sum(idle_charges(emu, PRICES).values()) == pytest.approx(ledger)


# -- the machine: random operations, and the billing invariant after every step -----------------


class BillingMachine(WarmPoolMachine):
    """WarmPoolMachine's random jobs, pools and clock moves, plus our invariant."""

    @invariant()
    def bill_is_retained_time_times_instance_count(self) -> None:
        expected = 0.0
        for job in self.describe_all().values():
            pool = job.get("WarmPoolStatus", {})
            if pool.get("Status") in ("Reused", "Terminated"):
                resources = job["ResourceConfig"]
                seconds = pool["ResourceRetainedBillableTimeInSeconds"]
                price = PRICES[resources["InstanceType"]]
                expected += seconds * resources["InstanceCount"] * price / 3600
        assert sum(idle_charges(self.emu, PRICES).values()) == pytest.approx(expected)


TestBillingMachine = BillingMachine.TestCase
# The machine's Hypothesis settings: the TestCase's own (no deadline), with shorter runs.
TestBillingMachine.settings = settings(TestBillingMachine.settings, stateful_step_count=30)
