"""The records the emulator keeps: a finished job becomes a compact record that reads exactly
as the live job did and that Python's garbage collector no longer walks (D11, D12, D19)."""

from __future__ import annotations

import gc

from tests.factories import describe, emulator, request
from warmpool.jobs import FinishedJob, Job


def test_a_finished_job_reads_as_the_live_job_did() -> None:
    """D12: every field of Job has the same value on the FinishedJob that replaces it."""
    emu = emulator()
    emu.create_training_job(**request("job-1", HyperParameters={"lr": "0.1"}))
    emu.advance(180 + 600 + 60)
    live = emu._jobs["job-1"]
    assert isinstance(live, Job)
    record = FinishedJob(live)
    for field in Job.__slots__:
        assert getattr(record, field) == getattr(live, field), field
    assert record.status == live.status and record.spec is live.spec


def test_jobs_become_finished_records_when_nothing_more_can_happen() -> None:
    """D11 / D19: a job is swapped for a FinishedJob once released with no Available pool
    (reused, terminated, or none); describe answers the same before and after the swap."""
    emu = emulator(warm_pool=1)
    emu.create_training_job(**request("kept"))
    emu.create_training_job(**request("no-pool", keep_alive=0))
    emu.advance(180 + 600)
    assert isinstance(emu._jobs["kept"], Job)  # Available: its pool can still move
    assert isinstance(emu._jobs["no-pool"], FinishedJob)
    before = describe(emu, "kept")
    emu.create_training_job(**request("taker"))  # takes "kept"'s pool
    assert isinstance(emu._jobs["kept"], FinishedJob)
    after = describe(emu, "kept")
    assert after["WarmPoolStatus"]["Status"] == "Reused"
    for key in ("CreationTime", "TrainingStartTime", "TrainingEndTime", "HyperParameters"):
        assert before.get(key) == after.get(key)
    emu.delete_training_job(TrainingJobName="no-pool")  # a record can be deleted
    assert "no-pool" not in emu.job_names()


def test_a_finished_record_is_not_walked_by_the_garbage_collector() -> None:
    """What the swap is for: the record's values are one tuple of plain values, which the
    collector stops tracking, so finished jobs cost a full collection almost nothing."""
    emu = emulator()
    emu.create_training_job(**request("job-1", keep_alive=0))
    emu.advance(180 + 600)
    record = emu._jobs["job-1"]
    assert isinstance(record, FinishedJob)
    gc.collect()
    assert not gc.is_tracked(record._values)
