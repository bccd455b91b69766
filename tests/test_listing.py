"""``ListTrainingJobs`` over sorted indexes: every page is what filtering and sorting all jobs
would give (behaviour §9.6, D20, D36)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import emulator, request
from warmpool import WarmPoolEmulator
from warmpool.jobs import Job
from warmpool.listing import SORT_KEYS, SortedJobs

STATUS_OF = {"Starting": "InProgress", "Training": "InProgress", "Stopping": "Stopping"}


class _Fake:
    """Just enough of a job for the index: a name and a creation time."""

    def __init__(self, name: str, created_at: float) -> None:
        self.name = name
        self.created_at = created_at


@given(
    st.lists(
        st.tuples(st.text("abc", min_size=1, max_size=4), st.integers(0, 5), st.booleans()),
        max_size=200,
    ),
    st.integers(0, 200),
)
@settings(max_examples=200)
def test_sorted_jobs_match_a_sorted_list(
    operations: list[tuple[str, int, bool]], start: int
) -> None:
    """D36: the blocked index of jobs, after any adds and removes, iterates as a sorted list
    does, from any cursor, both ways."""
    key: Any = SORT_KEYS["CreationTime"]
    index: Any = SortedJobs(key)
    live: dict[str, Any] = {}
    for name, created, remove in operations:
        if remove and name in live:
            index.remove(live.pop(name))
        elif name not in live:
            live[name] = _Fake(name, created)
            index.add(live[name])
    expected = sorted(live.values(), key=key)
    assert len(index) == len(expected)
    assert list(index.after(None)) == expected
    assert list(index.after(None, descending=True)) == expected[::-1]
    if expected:
        cursor = key(expected[min(start, len(expected) - 1)])
        assert list(index.after(cursor)) == [j for j in expected if key(j) > cursor]
        assert list(index.after(cursor, descending=True)) == [
            j for j in expected[::-1] if key(j) < cursor
        ]


def test_sorted_jobs_split_blocks_and_stay_sorted() -> None:
    """D36: thousands of jobs in random order (several blocks), then half removed."""
    key: Any = SORT_KEYS["Name"]
    jobs = [_Fake(f"job-{(n * 7919) % 5000:05d}", 0) for n in range(5000)]
    index: Any = SortedJobs(key)
    for job in jobs:
        index.add(job)
    for job in jobs[::2]:
        index.remove(job)
    names = [job.name for job in index.after(None)]
    assert names == sorted(job.name for job in jobs[1::2])


# -- pages against a brute-force model ----------------------------------------------------------


def _everything(emu: WarmPoolEmulator, **request_: Any) -> list[str]:
    """Every page of a listing, followed by NextToken, as one list of names."""
    names: list[str] = []
    token = None
    while True:
        page = emu.list_training_jobs(**request_, **({"NextToken": token} if token else {}))
        names += [summary["TrainingJobName"] for summary in page["TrainingJobSummaries"]]
        assert len(names) == len(set(names)), "a job listed twice"
        token = page.get("NextToken")
        if token is None:
            return names
        assert len(page["TrainingJobSummaries"]) == request_.get("MaxResults", 10)


def _model(emu: WarmPoolEmulator, **request_: Any) -> list[str]:
    """D20 by brute force: describe every job, filter, sort."""
    rows = []
    for name in emu.job_names():
        job = emu.describe_training_job(TrainingJobName=name)
        rows.append(job)
    epoch = emu.clock.epoch

    def seconds(row: dict[str, Any], field: str) -> float:
        return float((row[field] - epoch).total_seconds())

    def keep(row: dict[str, Any]) -> bool:
        if (
            "NameContains" in request_
            and request_["NameContains"].lower() not in row["TrainingJobName"].lower()
        ):
            return False
        if "StatusEquals" in request_ and row["TrainingJobStatus"] != request_["StatusEquals"]:
            return False
        pool = row.get("WarmPoolStatus", {}).get("Status")
        if "WarmPoolStatusEquals" in request_ and pool != request_["WarmPoolStatusEquals"]:
            return False
        created = seconds(row, "CreationTime")
        after: float = request_.get("CreationTimeAfter", -math.inf)
        before: float = request_.get("CreationTimeBefore", math.inf)
        return after < created < before

    sort_by = request_.get("SortBy", "CreationTime")
    keys = {
        "Name": lambda row: (row["TrainingJobName"],),
        "CreationTime": lambda row: (seconds(row, "CreationTime"), row["TrainingJobName"]),
        "Status": lambda row: (row["TrainingJobStatus"], row["TrainingJobName"]),
    }
    kept = sorted(filter(keep, rows), key=keys[sort_by])
    if request_.get("SortOrder") == "Descending":
        kept.reverse()
    return [row["TrainingJobName"] for row in kept]


@st.composite
def _histories(draw: st.DrawFn) -> WarmPoolEmulator:
    emu = emulator(training_seconds=None)
    names = draw(
        st.lists(st.sampled_from([f"job-{n}" for n in range(40)]), min_size=10, max_size=60)
    )
    for name in names:
        if name in emu.job_names():
            action = draw(st.sampled_from(["stop", "complete", "fail", "delete", "wait"]))
            job = emu.describe_training_job(TrainingJobName=name)
            if action == "stop" and job["TrainingJobStatus"] == "InProgress":
                emu.stop_training_job(TrainingJobName=name)
            elif action == "complete" and job["SecondaryStatus"] == "Training":
                emu.complete_training_job(name)
            elif action == "fail" and job["TrainingJobStatus"] == "InProgress":
                emu.fail_training_job(name)
            elif (
                action == "delete"
                and job["TrainingJobStatus"] in ("Completed", "Failed")
                and job.get("WarmPoolStatus", {}).get("Status") != "Available"
            ):
                emu.delete_training_job(TrainingJobName=name)
        else:
            emu.create_training_job(**request(name, keep_alive=draw(st.sampled_from([0, 60]))))
        if draw(st.booleans()):
            emu.list_training_jobs()  # the indexes exist from here on: later changes update them
        emu.advance(draw(st.sampled_from([0, 30, 200])))
    return emu


_REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        "SortBy": st.sampled_from(["Name", "CreationTime", "Status"]),
        "SortOrder": st.sampled_from(["Ascending", "Descending"]),
        "MaxResults": st.integers(1, 7),
        "StatusEquals": st.sampled_from(["InProgress", "Completed", "Failed", "Stopped"]),
        "WarmPoolStatusEquals": st.sampled_from(["InUse", "Available", "Terminated"]),
        "NameContains": st.sampled_from(["job-1", "B-2", "3"]),
        "CreationTimeAfter": st.sampled_from([0, 200, 1000]),
        "CreationTimeBefore": st.sampled_from([100, 2000, 5000]),
    },
)


@given(_histories(), st.lists(_REQUESTS, min_size=1, max_size=4))
@settings(max_examples=60)
def test_paging_equals_filtering_and_sorting_every_job(
    emu: WarmPoolEmulator, requests: list[dict[str, Any]]
) -> None:
    """D20 / D36: following NextToken through every page gives exactly the jobs a brute-force
    filter-and-sort of all jobs gives, in its order, for any history and any request."""
    for body in requests:
        body = dict(body)
        for bound in ("CreationTimeAfter", "CreationTimeBefore"):
            if bound in body:  # seconds since the emulator's epoch, as datetimes
                body[bound] = emu.clock.to_datetime(body[bound])
        wanted = {**body}
        for bound in ("CreationTimeAfter", "CreationTimeBefore"):
            if bound in wanted:
                wanted[bound] = (wanted[bound] - emu.clock.epoch).total_seconds()
        assert _everything(emu, **body) == _model(emu, **wanted)


@pytest.mark.parametrize("sort_by", ["Name", "CreationTime", "Status"])
def test_changes_after_the_first_list_keep_the_indexes_right(sort_by: str) -> None:
    """D36: jobs created, stopped, released and deleted after the indexes were built."""
    emu = emulator(training_seconds=300)
    for n in range(30):
        emu.create_training_job(**request(f"early-{n:02d}", keep_alive=0))
    assert len(_everything(emu, SortBy=sort_by)) == 30
    emu.advance(1000)  # all complete: every job's status changed
    for n in range(30):
        emu.create_training_job(**request(f"late-{n:02d}", keep_alive=0))
    for n in range(0, 30, 3):
        emu.stop_training_job(TrainingJobName=f"late-{n:02d}")
        emu.delete_training_job(TrainingJobName=f"early-{n:02d}")
    for order in ("Ascending", "Descending"):
        for limit in (1, 4, 100):
            got = _everything(emu, SortBy=sort_by, SortOrder=order, MaxResults=limit)
            assert got == _model(emu, SortBy=sort_by, SortOrder=order)
    assert isinstance(emu._jobs["late-01"], Job)  # the jobs the indexes hold
