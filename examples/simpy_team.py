"""A team of researchers submitting experiments, as SimPy processes, on warmpool's emulator.

Each researcher is a SimPy process: submit an experiment (a ``CreateTrainingJob``), wait
for its training to start and end (``bridge.training_started``, ``bridge.job_ended``), think
about the result, submit the next. Some experiments fail (``AlgorithmError``: a bug, fixed
in a few minutes, then the experiment runs again). Whoever comes back within the keep-alive
finds a warm pool and starts in 20 s instead of 3 minutes; the warm pool quota and the think
times decide how often that happens, and the idle pools cost money.

* ana and ben share a configuration (same role, instance type and count, volume), so each
  can take over the other's pool; the warm pool quota of ``ml.g5.2xlarge`` holds one pool.
* chen trains on two ``ml.p3.2xlarge`` and thinks long: his pools (15 minutes) often expire.
* dana asks for no warm pool at all: every start is cold.
* eve runs a sweep of four trials at once in ana's and ben's configuration; the training
  quota of ``ml.g5.2xlarge`` (three instances) refuses some creates, of the sweep and of the
  others, which wait for any job of the team to end and try again.

A process per researcher (and per trial), one ``SimPyBridge`` between SimPy's clock and the
emulator's, and a process that counts the pools that expired unused (``bridge.store``). The
random choices come from one seeded generator: every run prints the same figures. The prices
are illustrative (USD per instance-hour).

Run it with ``python examples/simpy_team.py``; it needs ``pip install
'sagemaker-warmpool[simpy]'``.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from warmpool import JobPlan, Quota
from warmpool.errors import ResourceLimitExceeded
from warmpool.events import JobReleased, PoolTerminated
from warmpool.simpy import SimPyBridge, attach

ROLE = "arn:aws:iam::123456789012:role/TeamRole"
PRICES = {"ml.g5.2xlarge": 1.515, "ml.p3.2xlarge": 3.825, "ml.m5.xlarge": 0.23}
QUOTAS = {
    "ml.g5.2xlarge": Quota(training=3, warm_pool=1),
    "ml.p3.2xlarge": Quota(training=4, warm_pool=2),
    "ml.m5.xlarge": Quota(training=None, warm_pool=0),
}
MINUTE = 60
SEED = 2026
#: Minutes from each researcher's result to the next submission after a failure.
FIX_MINUTES = 5


@dataclass(frozen=True)
class Researcher:
    name: str
    instance_type: str
    instance_count: int
    keep_alive: int | None
    experiments: int
    train_minutes: tuple[int, int]  # each experiment trains this long (uniform)
    think_minutes: tuple[int, int]  # and its owner thinks this long about the result
    start_minute: int = 0


TEAM = (
    Researcher("ana", "ml.g5.2xlarge", 1, 1800, 8, (20, 40), (5, 20)),
    Researcher("ben", "ml.g5.2xlarge", 1, 1800, 8, (20, 40), (10, 35), start_minute=7),
    Researcher("chen", "ml.p3.2xlarge", 2, 900, 5, (40, 70), (10, 40), start_minute=3),
    Researcher("dana", "ml.m5.xlarge", 1, None, 8, (10, 20), (5, 15)),
)
#: eve's sweep: four trials submitted together at this minute.
SWEEP = Researcher("eve", "ml.g5.2xlarge", 1, 600, 4, (30, 50), (0, 0), start_minute=120)


@dataclass
class Tally:
    jobs: int = 0
    warm: int = 0
    cold: int = 0
    failed: int = 0
    refused: int = 0


def request(who: Researcher, name: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "InstanceType": who.instance_type,
        "InstanceCount": who.instance_count,
        "VolumeSizeInGB": 100,
    }
    if who.keep_alive is not None:
        resource["KeepAlivePeriodInSeconds"] = who.keep_alive
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://team-bucket/output"},
        "ResourceConfig": resource,
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


class Team:
    """The SimPy model: the bridge, the plans of the jobs, and what happened to each person."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.plans: dict[str, JobPlan] = {}
        self.bridge: SimPyBridge = attach(
            self.env,
            quotas=QUOTAS,
            prices=PRICES,
            workload=lambda req: self.plans[req["TrainingJobName"]],
        )
        self.random = random.Random(SEED)
        self.tallies: dict[str, Tally] = {}
        self.expired = 0

    def run_job(self, who: Researcher, name: str, plan: JobPlan) -> Generator[Any, Any, bool]:
        """Submit one job (retrying while the training quota refuses it) and wait for its
        end; returns whether it failed."""
        tally = self.tallies.setdefault(who.name, Tally())
        self.plans[name] = plan
        while True:
            try:
                self.bridge.create_training_job(**request(who, name))
                break
            except ResourceLimitExceeded:
                tally.refused += 1
                yield self.bridge.when(JobReleased)  # any job of the team ends: try again
        tally.jobs += 1
        started = yield self.bridge.training_started(name)
        if started.warm:
            tally.warm += 1
        else:
            tally.cold += 1
        ended = yield self.bridge.job_ended(name)
        failed: bool = ended.status == "Failed"
        tally.failed += failed
        return failed

    def plan(self, who: Researcher) -> JobPlan:
        minutes = self.random.randint(*who.train_minutes)
        if self.random.random() < 0.15:  # a bug: it fails part of the way through
            return JobPlan(self.random.randint(1, minutes) * MINUTE, "AlgorithmError")
        return JobPlan(minutes * MINUTE)

    def researcher(self, who: Researcher) -> Generator[Any, Any, None]:
        yield self.env.timeout(who.start_minute * MINUTE)
        number = 0
        for _ in range(who.experiments):
            while True:  # until the experiment ran without failing
                number += 1
                failed = yield from self.run_job(who, f"{who.name}-{number}", self.plan(who))
                if not failed:
                    break
                yield self.env.timeout(FIX_MINUTES * MINUTE)
            yield self.env.timeout(self.random.randint(*who.think_minutes) * MINUTE)

    def trial(self, who: Researcher, number: int) -> Generator[Any, Any, None]:
        yield self.env.timeout(who.start_minute * MINUTE)
        minutes = self.random.randint(*who.train_minutes)
        yield from self.run_job(who, f"{who.name}-trial-{number}", JobPlan(minutes * MINUTE))

    def count_expiries(self) -> Generator[Any, Any, None]:
        terminated = self.bridge.store(PoolTerminated)
        while True:
            event = yield terminated.get()
            if event.reason == "Expired":
                self.expired += 1

    def run(self) -> None:
        for who in TEAM:
            self.env.process(self.researcher(who))
        for number in range(1, SWEEP.experiments + 1):
            self.env.process(self.trial(SWEEP, number))
        self.env.process(self.count_expiries())
        self.env.run()  # until every job has ended and the last warm pool has expired


def main() -> None:
    team = Team()
    team.run()
    emu = team.bridge.emu
    print(f"A team of {len(TEAM) + 1} on warmpool and SimPy (seed {SEED})")
    print(f"{'who':<6}{'jobs':>6}{'warm':>6}{'cold':>6}{'failed':>8}{'refused':>9}")
    for who in (*TEAM, SWEEP):
        tally = team.tallies[who.name]
        print(
            f"{who.name:<6}{tally.jobs:>6}{tally.warm:>6}{tally.cold:>6}{tally.failed:>8}"
            f"{tally.refused:>9}"
        )
    jobs = sum(t.jobs for t in team.tallies.values())
    warm = sum(t.warm for t in team.tallies.values())
    cold = sum(t.cold for t in team.tallies.values())
    saved = warm * (emu.timing.cold_start_seconds - emu.timing.warm_start_seconds)
    totals = emu.billing.total()
    assert totals.retained_cost is not None and totals.training_cost is not None
    print(f"warm starts: {warm} of {jobs} jobs, cold starts: {cold}")
    print(f"start-up time saved: {saved / MINUTE:.0f} min")
    print(
        f"idle warm pools: {totals.retained_instance_seconds / 3600:.2f} instance-hours, "
        f"${totals.retained_cost:.2f}"
    )
    print(
        f"training: {totals.training_instance_seconds / 3600:.2f} instance-hours, "
        f"${totals.training_cost:.2f}"
    )
    print(f"pools expired unused: {team.expired}")
    print(f"last pool ended at +{emu.now / 3600:.2f} h")


if __name__ == "__main__":
    main()
