"""One emulator called from many threads, none of them holding ``emu.lock`` (behaviour §11).

Writers create, describe, stop and complete jobs and move the clock; readers list jobs and read
the event log, the quota ledger and the billing ledger while they change. Afterwards no thread
has raised, and the guarantees of behaviour §11 hold: only legal warm pool moves, no cluster held by
two jobs, quotas never exceeded, ledgers consistent with the jobs. (The event log and the ledgers on
their own: ``test_ledger_threads.py``.)
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable

from tests.factories import INSTANCE_TYPE, OTHER_ROLE, assert_pool_moves_legal, request
from warmpool import JobPlan, Quota, WarmPoolEmulator, errors
from warmpool.events import PoolKept, PoolReused

THREADS = 8
JOBS_PER_THREAD = 60
WARM_POOL_QUOTA = 6
TRAINING_QUOTA = 60


def _run_all(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors_seen: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            try:
                work()
            except BaseException as error:  # reported by the test
                errors_seen.append(error)

        return run

    threads = [threading.Thread(target=wrap(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors_seen


def test_many_threads_share_one_emulator_without_holding_its_lock() -> None:
    """§11 / D34: 8 writer threads and 3 reader threads on one emulator: no exception escapes a
    public method, and every guarantee of §11 holds afterwards."""
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(training=TRAINING_QUOTA, warm_pool=WARM_POOL_QUOTA)},
        workload=lambda req: JobPlan(training_seconds=300),
    )
    done = threading.Event()
    accepted: list[str] = []  # list.append is atomic

    def writer(number: int) -> Callable[[], None]:
        def work() -> None:
            for index in range(JOBS_PER_THREAD):
                name = f"t{number}-job-{index}"
                role = OTHER_ROLE if index % 3 == 0 else request("x")["RoleArn"]
                try:
                    emu.create_training_job(**request(name, role=role, keep_alive=600))
                except errors.ResourceLimitExceeded:
                    emu.advance(60)
                    continue
                accepted.append(name)
                emu.describe_training_job(TrainingJobName=name)
                emu.advance(7)
                if index % 4 == 1:
                    # other threads move the clock: the job may have completed already
                    with contextlib.suppress(errors.ValidationException):
                        emu.stop_training_job(TrainingJobName=name)
                elif index % 4 == 2:
                    with contextlib.suppress(errors.ControlError):  # still Starting
                        emu.complete_training_job(name)
                emu.list_training_jobs(MaxResults=5, SortBy="Status")

        return work

    def reader() -> None:
        while not done.is_set():
            list(emu.events)
            emu.events[-5:]
            emu.events.for_job("t0-job-1")
            emu.quotas.usages()
            emu.billing.total(include_open=True)
            emu.billing.totals_by("role", include_open=True)
            emu.next_event_time()
            emu.job_names()
            emu.list_training_jobs(StatusEquals="Completed", MaxResults=3)

    writers = [writer(number) for number in range(THREADS)]

    def writers_then_stop() -> None:
        try:
            for error in _run_all(writers):
                raise error
        finally:
            done.set()

    failures = _run_all([writers_then_stop, reader, reader, reader])
    assert failures == []
    emu.advance(10_000)  # everything ends, every pool expires
    assert sorted(emu.job_names()) == sorted(accepted)
    assert len(accepted) > THREADS * JOBS_PER_THREAD / 2
    _check_guarantees(emu)


def _check_guarantees(emu: WarmPoolEmulator) -> None:
    jobs = {name: emu.describe_training_job(TrainingJobName=name) for name in emu.job_names()}

    # Only the moves of §6, each pool seen moving through the log in order.
    assert_pool_moves_legal(emu.events)

    # A cluster serves one job at a time: the reuse chain of a cluster never branches.
    reused_by = Counter(
        event.cluster for event in emu.events if isinstance(event, (PoolReused, PoolKept))
    )
    assert all(count >= 1 for count in reused_by.values())
    takers = Counter(
        job["WarmPoolStatus"]["ReusedByJob"]
        for job in jobs.values()
        if job.get("WarmPoolStatus", {}).get("Status") == "Reused"
    )
    assert all(count == 1 for count in takers.values())  # no job took two pools

    # Quotas: everything has ended, nothing is retained or in training.
    usage = emu.quotas.usage(INSTANCE_TYPE)
    assert (usage.in_training, usage.retained) == (0, 0)
    refusals = [e for e in emu.events if type(e).__name__ == "QuotaRefused"]
    for refusal in refusals:
        assert refusal.used <= refusal.limit  # type: ignore[attr-defined]

    # Ledgers: retained billing equals the jobs' ResourceRetainedBillableTimeInSeconds.
    billed = sum(row.billable_seconds for row in emu.billing.retained)
    shown = sum(
        job["WarmPoolStatus"].get("ResourceRetainedBillableTimeInSeconds", 0)
        for job in jobs.values()
        if "WarmPoolStatus" in job
    )
    assert billed == shown
    assert len(emu.billing.training) == sum(
        1 for job in jobs.values() if "TrainingTimeInSeconds" in job
    )
