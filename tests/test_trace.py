"""Traces: reading, checking and writing the CSV and JSON Lines formats of ``warmpool.sim``.

The rules are those of docs/replay.md, section "Traces" (behaviour §13.2, D39); the job name
rule is SageMaker's ``TrainingJobName`` (behaviour §9.1).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from warmpool import WarmPoolEmulator, errors
from warmpool.sim import Trace, TraceError, TraceJob, load_trace, write_trace
from warmpool.sim.trace import _NAME, COLUMNS, DEFAULT_ROLE_ARN, REQUIRED_COLUMNS

HEADER = "submit_time,instance_type,training_seconds"
ROLE = "arn:aws:iam::123456789012:role/Team"
UTC = timezone.utc
#: Hypothesis tests that write files into pytest's tmp_path reuse it between examples.
FILES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def csv_file(tmp_path: Path, *lines: str, name: str = "t.csv") -> Path:
    return write(tmp_path / name, "\n".join(lines) + "\n")


def jsonl_file(tmp_path: Path, *rows: dict[str, Any], name: str = "t.jsonl") -> Path:
    return write(tmp_path / name, "".join(json.dumps(row) + "\n" for row in rows))


def refusal(path: Path, **options: Any) -> TraceError:
    with pytest.raises(TraceError) as caught:
        load_trace(path, **options)
    return caught.value


def full_job(**changes: Any) -> TraceJob:
    values: dict[str, Any] = {
        "submit_time": 12.5,
        "instance_type": "ml.g5.12xlarge",
        "training_seconds": 600.25,
        "job_name": "train-7",
        "role_arn": ROLE,
        "instance_count": 2,
        "volume_size_gb": 100,
        "volume_kms_key_id": "alias/training",
        "security_group_ids": ("sg-1", "sg-2"),
        "subnets": ("subnet-1",),
        "network_isolation": True,
        "inter_container_encryption": True,
        "keep_alive_seconds": 1800,
        "outcome": "AlgorithmError",
        "max_runtime_seconds": 7200,
    }
    return TraceJob(**(values | changes))


# -- reading ---------------------------------------------------------------------------------


def test_a_csv_trace_reads_every_column(tmp_path: Path) -> None:
    """Every column of docs/replay.md's table is read into its TraceJob field; list columns
    are ';'-separated, booleans true/false."""
    path = csv_file(
        tmp_path,
        ",".join(COLUMNS),
        f"12.5,train-7,{ROLE},ml.g5.12xlarge,2,100,alias/training,sg-1;sg-2,subnet-1,true,"
        "TRUE,1800,600.25,AlgorithmError,7200",
    )
    (job,) = load_trace(path)
    assert job == full_job()
    assert job.line == 2


def test_a_jsonl_trace_reads_every_column(tmp_path: Path) -> None:
    """JSON Lines rows hold the same columns, with JSON types: lists, booleans, null."""
    row = {
        "submit_time": 12.5,
        "job_name": "train-7",
        "role_arn": ROLE,
        "instance_type": "ml.g5.12xlarge",
        "instance_count": 2,
        "volume_size_gb": 100,
        "volume_kms_key_id": "alias/training",
        "security_group_ids": ["sg-1", "sg-2"],
        "subnets": ["subnet-1"],
        "network_isolation": True,
        "inter_container_encryption": True,
        "keep_alive_seconds": 1800,
        "training_seconds": 600.25,
        "outcome": "AlgorithmError",
        "max_runtime_seconds": 7200,
    }
    (job,) = load_trace(jsonl_file(tmp_path, row))
    assert job == full_job()
    assert job.line == 1


def test_missing_optional_columns_and_empty_cells_take_tracejobs_defaults(
    tmp_path: Path,
) -> None:
    """Optional columns may be left out, or their cells left empty (null in JSON Lines): the
    job then has TraceJob's default; a job with no name is named by its place."""
    expected = TraceJob(0.0, "ml.m5.xlarge", 60.0, job_name="job-000001", line=2)
    assert list(load_trace(csv_file(tmp_path, HEADER, "0,ml.m5.xlarge,60"))) == [expected]
    empty_cells = csv_file(tmp_path, ",".join(COLUMNS), "0,,,ml.m5.xlarge,,,,,,,,,60,,")
    assert list(load_trace(empty_cells)) == [expected]
    nulls: dict[str, Any] = dict.fromkeys(COLUMNS)
    nulls.update(submit_time=0, instance_type="ml.m5.xlarge", training_seconds=60)
    assert list(load_trace(jsonl_file(tmp_path, nulls))) == [expected]
    (job,) = load_trace(jsonl_file(tmp_path, {k: nulls[k] for k in REQUIRED_COLUMNS}))
    assert job == expected
    assert job.role_arn == DEFAULT_ROLE_ARN
    assert job.keep_alive_seconds is None


def test_jobs_come_in_submit_order_and_equal_times_keep_file_order(tmp_path: Path) -> None:
    """Rows may be in any order; iterating yields them by submit time, stably."""
    path = csv_file(
        tmp_path,
        HEADER + ",job_name",
        "30,ml.m5.xlarge,1,c",
        "10,ml.m5.xlarge,1,a",
        "30,ml.m5.xlarge,1,d",
        "10,ml.m5.xlarge,1,b",
        "20,ml.m5.xlarge,1,",
    )
    trace = load_trace(path)
    assert not trace.in_order
    assert [job.job_name for job in trace] == ["a", "b", "job-000005", "c", "d"]
    assert [job.line for job in trace] == [3, 5, 6, 2, 4]


@FILES
@given(
    times=st.lists(st.integers(0, 5), min_size=0, max_size=30),
    jsonl=st.booleans(),
    gzipped=st.booleans(),
)
def test_iterating_sorts_by_submit_time_stably_in_every_format(
    tmp_path: Path, times: list[int], jsonl: bool, gzipped: bool
) -> None:
    """Whatever the order of the rows and the format (CSV, JSON Lines, gzip-compressed),
    the jobs come sorted by submit time, ties in file order."""
    jobs = [TraceJob(float(t), "ml.m5.xlarge", 1.0, job_name=f"j{i}") for i, t in enumerate(times)]
    path = tmp_path / ("t.jsonl" if jsonl else "t.csv")
    if gzipped:
        path = path.with_name(path.name + ".gz")
    write_trace(path, jobs)
    trace = load_trace(path)
    expected = sorted(jobs, key=lambda job: job.submit_time)
    assert list(trace) == expected
    assert trace.in_order == (times == sorted(times))
    assert len(trace) == len(jobs)


def test_a_trace_can_be_iterated_more_than_once(tmp_path: Path) -> None:
    """Each iteration reads the file again and yields the same jobs (in or out of order)."""
    for lines in (("0,ml.m5.xlarge,1", "5,ml.m5.xlarge,2"), ("5,ml.m5.xlarge,2", "0,a,1")):
        trace = load_trace(csv_file(tmp_path, HEADER, *lines))
        first = list(trace)
        assert list(trace) == first
        assert len(first) == len(trace) == 2


def test_empty_lines_are_skipped_and_lines_still_count_them(tmp_path: Path) -> None:
    """Empty lines (CSV and JSON Lines) are no jobs; lines are physical lines of the file."""
    path = write(tmp_path / "t.csv", f"{HEADER}\n\n0,ml.m5.xlarge,1\n\n\n5,ml.m5.xlarge,1\n\n")
    trace = load_trace(path)
    assert len(trace) == 2
    assert [job.line for job in trace] == [3, 6]
    assert [job.job_name for job in trace] == ["job-000001", "job-000002"]
    path = write(
        tmp_path / "t.jsonl",
        '\n{"submit_time": 0, "instance_type": "a", "training_seconds": 1}\n  \n',
    )
    assert [job.line for job in load_trace(path)] == [2]


def test_a_file_with_a_header_and_no_rows_is_an_empty_trace(tmp_path: Path) -> None:
    """A header alone (or an empty JSON Lines file) is a trace of no jobs."""
    trace = load_trace(csv_file(tmp_path, HEADER))
    assert (len(trace), list(trace), trace.start) == (0, [], None)
    assert len(load_trace(write(tmp_path / "t.jsonl", ""))) == 0


def test_a_csv_file_with_no_header_is_refused(tmp_path: Path) -> None:
    """A CSV trace starts with a header line naming its columns."""
    error = refusal(write(tmp_path / "t.csv", ""))
    assert (error.line, error.column) == (1, None)
    assert "expected a header line" in str(error)


# -- submit times ----------------------------------------------------------------------------


def test_iso_submit_times_are_seconds_from_the_earliest(tmp_path: Path) -> None:
    """D39: ISO 8601 times become seconds from the earliest one, which is ``trace.start``; a time
    with no offset is UTC, and offsets are honoured."""
    path = csv_file(
        tmp_path,
        HEADER,
        "2026-03-01T09:00:30Z,a,1",
        "2026-03-01T10:00:00+01:00,a,1",
        "2026-03-01T09:01:00.250000,a,1",
    )
    trace = load_trace(path)
    assert trace.start == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert [job.submit_time for job in trace] == [0.0, 30.0, 60.25]
    assert not trace.in_order


def test_a_file_of_seconds_keeps_its_seconds_and_has_no_start(tmp_path: Path) -> None:
    """Seconds are from the trace's start as written (not shifted to the first row)."""
    trace = load_trace(csv_file(tmp_path, HEADER, "100,a,1", "250.5,a,1"))
    assert trace.start is None
    assert [job.submit_time for job in trace] == [100.0, 250.5]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("0", "2026-03-01T09:00:00Z", "seconds from the trace's start (a number >= 0), as on"),
        ("2026-03-01T09:00:00Z", "12", "an ISO 8601 time such as 2026-03-01T09:00:00Z, as on"),
    ],
)
def test_a_file_mixing_seconds_and_iso_times_is_refused(
    tmp_path: Path, first: str, second: str, expected: str
) -> None:
    """D39: All rows of a file use one kind of submit time; the first row decides."""
    error = refusal(csv_file(tmp_path, HEADER, f"{first},a,1", f"{second},a,1"))
    assert (error.line, error.column) == (3, "submit_time")
    assert f"expected {expected} line 2" in str(error)
    jsonl = jsonl_file(
        tmp_path,
        {"submit_time": 0, "instance_type": "a", "training_seconds": 1},
        {"submit_time": "2026-03-01T09:00:00Z", "instance_type": "a", "training_seconds": 1},
    )
    error = refusal(jsonl)
    assert (error.line, error.column) == (2, "submit_time")


# -- checking --------------------------------------------------------------------------------

BAD_CELLS = [
    ("submit_time", "-1", "expected a number of seconds >= 0, found '-1'"),
    ("submit_time", "soon", "from the trace's start (a number >= 0), as on line 2 (a trace's"),
    ("submit_time", "", "found an empty cell"),
    ("job_name", "bad_name", "expected a job name of 1 to 63 letters"),
    ("job_name", "-x", "SageMaker's TrainingJobName pattern"),
    ("instance_type", "", "expected an instance type such as 'ml.m5.xlarge'"),
    ("instance_count", "0", "expected a whole number >= 1, found '0'"),
    ("instance_count", "1.5", "expected a whole number >= 1, found '1.5'"),
    ("volume_size_gb", "big", "expected a whole number of GB >= 1, found 'big'"),
    ("security_group_ids", "sg-1;;sg-2", "expected ids separated by ';' (no empty ones)"),
    ("network_isolation", "yes", "expected true, false, 1 or 0, found 'yes'"),
    ("inter_container_encryption", "2", "expected true, false, 1 or 0, found '2'"),
    ("keep_alive_seconds", "-5", "expected a whole number of seconds >= 0, or nothing"),
    ("training_seconds", "nan", "expected a number of seconds >= 0, found 'nan'"),
    ("training_seconds", "inf", "expected a number of seconds >= 0, found 'inf'"),
    ("outcome", "completed", "expected 'Completed' (outcomes are case-sensitive)"),
    ("outcome", "Failed", "a failure class such as AlgorithmError (not a job status)"),
    ("outcome", "Out of memory", "expected Completed, Stopped or a failure class"),
    ("max_runtime_seconds", "0", "expected a whole number of seconds >= 1, found '0'"),
]


@pytest.mark.parametrize(("column", "cell", "message"), BAD_CELLS)
def test_a_malformed_row_names_file_line_and_column(
    tmp_path: Path, column: str, cell: str, message: str
) -> None:
    """A cell that breaks its column's rule is a TraceError naming the file, the line and the
    column, and saying what was expected and what was found."""
    good = full_job()
    cells = dict.fromkeys(COLUMNS, "") | {
        "submit_time": "1",
        "instance_type": good.instance_type,
        "training_seconds": "5",
        "subnets": "subnet-1",
        "security_group_ids": "sg-1",
    }
    rows = [dict(cells, job_name=f"ok-{i}") for i in range(3)]
    rows[1][column] = cell
    path = csv_file(tmp_path, ",".join(COLUMNS), *(",".join(row.values()) for row in rows))
    error = refusal(path)
    assert (error.path, error.line, error.column) == (str(path), 3, column)
    assert message in str(error)
    assert str(error).startswith(f"{path}, line 3, column {column!r}: expected ")


JSON_BAD_VALUES = [
    ("submit_time", "soon", "expected seconds from the trace's start"),
    ("submit_time", True, "expected seconds from the trace's start"),
    ("job_name", 7, "expected a job name"),
    ("role_arn", ["x"], "expected an IAM role ARN (a string)"),
    ("instance_count", "2", 'expected a whole number >= 1, found "2"'),
    ("instance_count", True, "expected a whole number >= 1, found true"),
    ("security_group_ids", "sg-1", "expected a list of ids (strings)"),
    ("network_isolation", "true", 'expected true or false, found "true"'),
    ("network_isolation", 1, "expected true or false, found 1"),
    ("training_seconds", "60", "expected a number of seconds >= 0"),
    ("keep_alive_seconds", 1.5, "expected a whole number of seconds >= 0"),
    ("outcome", "stopped", "expected 'Stopped' (outcomes are case-sensitive)"),
]


@pytest.mark.parametrize(("column", "value", "message"), JSON_BAD_VALUES)
def test_a_malformed_jsonl_row_names_file_line_and_column(
    tmp_path: Path, column: str, value: object, message: str
) -> None:
    """JSON Lines values must have their column's JSON type (numbers, booleans, lists)."""
    good = {"submit_time": 1, "instance_type": "a", "training_seconds": 5, "subnets": ["s"]}
    bad = dict(good, security_group_ids=["g"]) | {column: value}
    path = jsonl_file(tmp_path, dict(good, subnets=None), bad)
    error = refusal(path)
    assert (error.path, error.line, error.column) == (str(path), 2, column)
    assert message in str(error)


def test_a_jsonl_line_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    """Each non-empty line of a JSON Lines trace is one JSON object."""
    for text in ("[1, 2]", "{not json"):
        error = refusal(write(tmp_path / "t.jsonl", text + "\n"))
        assert (error.line, error.column) == (1, None)
        assert "expected a JSON object" in str(error)


def test_nothing_is_half_replayed_a_bad_last_row_refuses_the_whole_file(tmp_path: Path) -> None:
    """The whole file is checked when it is loaded: a problem on its last row is raised
    before a single job is handed out."""
    rows = [f"{i},ml.m5.xlarge,60" for i in range(1000)] + ["1000,ml.m5.xlarge,-60"]
    error = refusal(csv_file(tmp_path, HEADER, *rows))
    assert (error.line, error.column) == (1002, "training_seconds")


def test_the_first_problem_of_a_row_is_the_leftmost(tmp_path: Path) -> None:
    """A row with several bad cells is refused at the first of them, left to right."""
    path = csv_file(
        tmp_path, "job_name,training_seconds,submit_time,instance_type", "a_b,-1,x,", ""
    )
    assert refusal(path).column == "job_name"


def test_unknown_columns_are_refused_unless_ignored(tmp_path: Path) -> None:
    """A column the format does not know is an error (a typo would silently lose data),
    unless ``ignore_unknown_columns=True``."""
    path = csv_file(tmp_path, HEADER + ",keep_alive", "0,a,1,3600")
    error = refusal(path)
    assert (error.line, error.column) == (1, "keep_alive")
    assert "ignore_unknown_columns=True (--ignore-unknown-columns)" in str(error)
    (job,) = load_trace(path, ignore_unknown_columns=True)
    assert job.keep_alive_seconds is None
    row = {"submit_time": 0, "instance_type": "a", "training_seconds": 1, "team": "x"}
    error = refusal(jsonl_file(tmp_path, row))
    assert (error.line, error.column) == (1, "team")
    assert len(load_trace(jsonl_file(tmp_path, row), ignore_unknown_columns=True)) == 1


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_the_required_columns_must_be_present(tmp_path: Path, missing: str) -> None:
    """submit_time, instance_type and training_seconds have no default."""
    columns = [c for c in REQUIRED_COLUMNS if c != missing]
    error = refusal(csv_file(tmp_path, ",".join(columns), ",".join("1" for _ in columns)))
    assert error.line == 1
    assert f"expected a column {missing!r} (it is required)" in str(error)
    row = {c: 1 if c != "instance_type" else "a" for c in columns}
    error = refusal(jsonl_file(tmp_path, row))
    assert (error.line, error.column) == (1, missing)
    assert "expected a value (the column is required)" in str(error)


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    """Each column appears once in the header."""
    error = refusal(csv_file(tmp_path, HEADER + ",outcome,outcome", "0,a,1,Completed,Stopped"))
    assert (error.line, error.column) == (1, "outcome")


def test_a_row_with_the_wrong_number_of_cells_is_refused(tmp_path: Path) -> None:
    """Every CSV row has one cell for each column of the header."""
    error = refusal(csv_file(tmp_path, HEADER, "0,a,1", "0,a,1,2"))
    assert (error.line, error.column) == (3, None)
    assert "expected 3 cells (one for each column of the header), found 4" in str(error)


def test_a_quoted_cell_spanning_lines_is_refused(tmp_path: Path) -> None:
    """One job a line: a quoted cell holding a line break is refused."""
    error = refusal(write(tmp_path / "t.csv", f'{HEADER}\n0,a,1\n1,"ml.m5\n.xlarge",1\n'))
    assert error.line == 4
    assert "found a quoted cell spanning lines 3 to 4" in str(error)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("true", True), ("TRUE", True), ("False", False), ("1", True), ("0", False), ("", False)],
)
def test_csv_booleans_are_true_false_1_or_0_in_any_case(
    tmp_path: Path, cell: str, expected: bool
) -> None:
    """CSV booleans: true/false/1/0, case-insensitive; empty is false."""
    (job,) = load_trace(csv_file(tmp_path, HEADER + ",network_isolation", f"0,a,1,{cell}"))
    assert job.network_isolation is expected


def test_whole_number_columns_accept_whole_decimals(tmp_path: Path) -> None:
    """'3600.0' (as pandas writes a whole-number column with gaps) is 3600."""
    (job,) = load_trace(csv_file(tmp_path, HEADER + ",keep_alive_seconds", "0,a,1,3600.0"))
    assert job.keep_alive_seconds == 3600
    assert type(job.keep_alive_seconds) is int


@pytest.mark.parametrize("given", ["security_group_ids", "subnets"])
def test_security_groups_and_subnets_are_given_together(tmp_path: Path, given: str) -> None:
    """A VpcConfig needs both lists: one without the other is refused, at the empty one."""
    other = "subnets" if given == "security_group_ids" else "security_group_ids"
    error = refusal(csv_file(tmp_path, f"{HEADER},{given},{other}", "0,a,1,x-1,"))
    assert (error.line, error.column) == (2, other)
    assert "a VpcConfig needs both security_group_ids and subnets" in str(error)
    row = {"submit_time": 0, "instance_type": "a", "training_seconds": 1, given: ["x"]}
    error = refusal(jsonl_file(tmp_path, row))
    assert error.column == other


def test_list_items_are_trimmed(tmp_path: Path) -> None:
    """Spaces around the ';'-separated ids of a CSV cell are dropped."""
    path = csv_file(tmp_path, HEADER + ",security_group_ids,subnets", "0,a,1,sg-1; sg-2 ,s-1")
    (job,) = load_trace(path)
    assert (job.security_group_ids, job.subnets) == (("sg-1", "sg-2"), ("s-1",))


@pytest.mark.parametrize("outcome", ["Completed", "Stopped", "AlgorithmError", "CapacityError"])
def test_outcomes_are_completed_stopped_or_a_failure_class(tmp_path: Path, outcome: str) -> None:
    """An outcome is Completed, Stopped or an identifier-like failure class."""
    (job,) = load_trace(csv_file(tmp_path, HEADER + ",outcome", f"0,a,1,{outcome}"))
    assert job.outcome == outcome


# -- job names -------------------------------------------------------------------------------


def test_rows_with_no_name_are_named_by_their_place_among_the_rows(tmp_path: Path) -> None:
    """D39: A missing job_name is ``job-`` and the row's place in the file (1-based, six digits
    at least), whatever the submit order: the same file always gives the same names."""
    path = csv_file(tmp_path, HEADER + ",job_name", "9,a,1,", "", "3,a,1,mine", "5,a,1,")
    assert [job.job_name for job in load_trace(path)] == ["mine", "job-000003", "job-000001"]


NAME_ALPHABET = st.text(alphabet="ab9-_.", max_size=66)


@given(name=NAME_ALPHABET | st.sampled_from(["a" * 63, "a" * 64, "a-b", "a--b", "-a", "a-"]))
@settings(max_examples=200)
def test_job_names_follow_sagemakers_training_job_name_rule(name: str) -> None:
    """A job name is accepted exactly when the emulator's CreateTrainingJob accepts it as a
    TrainingJobName (behaviour §9)."""
    assume(name != "")
    emu = WarmPoolEmulator()
    refusals: list[str] = []
    try:
        emu.create_training_job(
            TrainingJobName=name,
            RoleArn=ROLE,
            OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
            ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
            AlgorithmSpecification={"TrainingImage": "image", "TrainingInputMode": "File"},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
    except errors.ValidationException as exc:
        refusals.append(exc.message)
    assert all("trainingjobname" in message.lower() for message in refusals)
    assert (_NAME(name) is not None) == (not refusals)


def test_a_repeated_job_name_is_refused_with_both_lines(tmp_path: Path) -> None:
    """D39: Each job name appears once in a file (a repeat would fail CreateTrainingJob in the
    middle of a replay): the later row is refused, naming the earlier one."""
    path = csv_file(tmp_path, HEADER + ",job_name", "0,a,1,x", "1,a,1,y", "2,a,1,x")
    error = refusal(path)
    assert (error.line, error.column) == (4, "job_name")
    assert "found 'x' again (line 2 has it" in str(error)


def test_a_name_equal_to_a_generated_one_is_a_repeat(tmp_path: Path) -> None:
    """An explicit ``job-000002`` collides with the name given to the second row if that row
    has none."""
    error = refusal(csv_file(tmp_path, HEADER + ",job_name", "0,a,1,job-000002", "1,a,1,"))
    assert (error.line, error.column) == (3, "job_name")
    path = jsonl_file(
        tmp_path,
        {"submit_time": 0, "instance_type": "a", "training_seconds": 1},
        {"submit_time": 0, "instance_type": "a", "training_seconds": 1, "job_name": "job-000001"},
    )
    assert refusal(path).line == 2


def test_a_repeated_name_is_found_however_json_spells_it(tmp_path: Path) -> None:
    """In JSON Lines, ``"\\u0061"`` is the name ``a``: a repeat, even spelt another way."""
    path = write(
        tmp_path / "t.jsonl",
        '{"submit_time": 0, "instance_type": "x", "training_seconds": 1, "job_name": "\\u0061"}\n'
        '{"submit_time": 1, "instance_type": "x", "training_seconds": 1, "job_name": "b"}\n'
        '{"submit_time": 2, "instance_type": "x", "training_seconds": 1, "job_name":"a"}\n',
    )
    error = refusal(path)
    assert (error.line, error.column) == (3, "job_name")
    assert "found 'a' again (line 1 has it" in str(error)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_many_distinct_names_pass_and_one_repeat_among_them_is_found(
    tmp_path: Path, suffix: str
) -> None:
    """The repeat check is exact: many names (enough to share bits of its bounded filter)
    are all accepted, and a single repeat among them is found at its line."""
    jobs = [TraceJob(float(i), "a", 1.0, job_name=f"n{i * 7919}") for i in range(20000)]
    path = tmp_path / f"t{suffix}"
    write_trace(path, jobs)
    assert len(load_trace(path)) == 20000
    jobs[15000] = TraceJob(15000.0, "a", 1.0, job_name=jobs[42].job_name)
    write_trace(path, jobs)
    error = refusal(path)
    first_row = 2 if suffix == ".csv" else 1
    assert (error.line, error.column) == (15000 + first_row, "job_name")
    assert f"(line {42 + first_row} has it" in str(error)


# -- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.txt", "t.json", "t", "t.gz", "t.csv.zip"])
def test_a_file_that_is_not_csv_or_jsonl_is_refused(tmp_path: Path, name: str) -> None:
    """The format is the suffix: .csv, .jsonl, .csv.gz or .jsonl.gz."""
    error = refusal(write(tmp_path / name, HEADER + "\n"))
    assert "expected a file named *.csv or *.jsonl" in str(error)
    with pytest.raises(TraceError):
        write_trace(tmp_path / name, [])


def test_gzip_compressed_traces_read_like_plain_ones(tmp_path: Path) -> None:
    """``.csv.gz`` and ``.jsonl.gz`` are read (and written) compressed, in or out of order."""
    text = f"{HEADER}\n5,a,1\n0,b,2\n"
    plain = list(load_trace(write(tmp_path / "t.csv", text)))
    with gzip.open(tmp_path / "t.CSV.GZ", "wt", encoding="utf-8") as stream:
        stream.write(text)
    trace = load_trace(tmp_path / "t.CSV.GZ")
    assert list(trace) == plain
    assert list(trace) == plain
    assert [job.line for job in trace] == [3, 2]


def test_a_file_that_is_not_gzip_or_not_utf8_is_refused(tmp_path: Path) -> None:
    """Bytes that do not decode are a TraceError, not a crash."""
    (tmp_path / "t.csv.gz").write_bytes(b"not gzip at all")
    assert "expected a gzip-compressed file" in str(refusal(tmp_path / "t.csv.gz"))
    (tmp_path / "t.csv").write_bytes(HEADER.encode() + b"\n0,\xff\xfe,1\n")
    assert "expected UTF-8 text" in str(refusal(tmp_path / "t.csv"))


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_bytes_that_do_not_decode_are_refused_at_their_line(tmp_path: Path, suffix: str) -> None:
    """The line named is the one with the bad byte, or the one where a truncated gzip file
    ends, not wherever the reader's buffer happened to be (line 2, for a small file)."""
    if suffix == "csv":
        lines = [HEADER.encode()] + [b"%d,ml.m5.xlarge,60" % i for i in range(3000)]
    else:
        lines = [
            b'{"submit_time":%d,"instance_type":"ml.m5.xlarge","training_seconds":60}' % i
            for i in range(3000)
        ]
    latin = list(lines)
    latin[1499] += b" \xe9"  # line 1500: Latin-1, not UTF-8
    error = refusal(write_bytes(tmp_path / f"t.{suffix}", b"\n".join(latin) + b"\n"))
    assert "expected UTF-8 text" in str(error)
    assert error.line == 1500
    whole = gzip.compress(b"\n".join(lines) + b"\n")
    error = refusal(write_bytes(tmp_path / f"t.{suffix}.gz", whole[: len(whole) // 2]))
    assert "expected a gzip-compressed file" in str(error)
    assert error.line is not None and error.line > 1000  # about half way, where it ends


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte order mark (as spreadsheets write) does not hide the first column."""
    (tmp_path / "t.csv").write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"\n0,a,1\n")
    assert len(load_trace(tmp_path / "t.csv")) == 1


def test_windows_line_endings_are_read(tmp_path: Path) -> None:
    """CRLF line endings read like LF ones, sorted or not."""
    (tmp_path / "t.csv").write_bytes(f"{HEADER},job_name\r\n5,a,1,x\r\n0,b,1,y\r\n".encode())
    trace = load_trace(tmp_path / "t.csv")
    assert [(job.job_name, job.line) for job in trace] == [("y", 3), ("x", 2)]


def test_a_file_changed_after_loading_is_refused_when_iterated(tmp_path: Path) -> None:
    """Iterating reads the file again: if it changed since it was checked, iterating raises
    at once instead of replaying unchecked rows."""
    path = csv_file(tmp_path, HEADER, "0,a,1")
    trace = load_trace(path)
    csv_file(tmp_path, HEADER, "0,a,1", "1,b,-1")
    os.utime(path, ns=(1, 1))
    with pytest.raises(TraceError, match="changed since: load it again"):
        iter(trace)


def test_a_trace_is_also_a_trace_object(tmp_path: Path) -> None:
    """load_trace(path) is Trace(path); its repr names the file and the number of jobs."""
    path = csv_file(tmp_path, HEADER, "0,a,1")
    trace = Trace(path)
    assert len(trace) == 1
    assert trace.layout == "warmpool"
    assert dict(trace.skipped) == {}
    assert repr(trace) == f"<Trace {str(path)!r}: 1 jobs, layout 'warmpool'>"


# -- the fast path and the rules agree ---------------------------------------------------------

#: Cells of each column, and which of them the column's documented rule accepts.
CELLS: dict[str, tuple[list[str], Callable[[str], bool]]] = {
    "submit_time": (["0", "12.5", "-1", "nan", "x", ""], lambda c: c in ("0", "12.5")),
    "job_name": (["", "a", "job-1", "-a", "a_b", "a" * 64], lambda c: c in ("", "a", "job-1")),
    "role_arn": (["", ROLE], lambda c: True),
    "instance_type": (["", "ml.m5.xlarge"], lambda c: c != ""),
    "instance_count": (["", "1", "0", "2.0", "2.5", "x"], lambda c: c in ("", "1", "2.0")),
    "volume_size_gb": (["", "30", "0"], lambda c: c != "0"),
    "volume_kms_key_id": (["", "key"], lambda c: True),
    "security_group_ids": (["", "sg-1", "sg-1;;sg-2"], lambda c: c != "sg-1;;sg-2"),
    "subnets": (["", "s-1;s-2"], lambda c: True),
    "network_isolation": (["", "true", "FALSE", "1", "yes"], lambda c: c != "yes"),
    "inter_container_encryption": (["", "0", "True", "no"], lambda c: c != "no"),
    "keep_alive_seconds": (["", "0", "3600", "-1", "1.5"], lambda c: c in ("", "0", "3600")),
    "training_seconds": (["0", "600.5", "-1", "inf", ""], lambda c: c in ("0", "600.5")),
    "outcome": (
        ["", "Completed", "Stopped", "AlgorithmError", "completed", "Failed", "a b"],
        lambda c: c in ("", "Completed", "Stopped", "AlgorithmError"),
    ),
    "max_runtime_seconds": (["", "1", "0"], lambda c: c != "0"),
}


@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_row_is_refused_exactly_at_its_first_cell_that_breaks_a_rule(
    tmp_path: Path, data: st.DataObject
) -> None:
    """For any row (columns in any order), loading succeeds exactly when every cell follows
    its column's documented rule and the VPC lists come together; otherwise the error names
    the leftmost bad cell's column (the quick per-row path and the slow one agree)."""
    columns = data.draw(st.permutations(list(COLUMNS)))
    row = {column: data.draw(st.sampled_from(CELLS[column][0]), label=column) for column in columns}
    path = csv_file(tmp_path, ",".join(columns), ",".join(row[c] for c in columns))
    bad = [c for c in columns if not CELLS[c][1](row[c])]
    vpc_broken = (row["security_group_ids"] == "") != (row["subnets"] == "")
    if bad:
        assert refusal(path).column == bad[0]
    elif vpc_broken:
        error = refusal(path)
        assert error.column in ("security_group_ids", "subnets")
        assert row[error.column] == ""
    else:
        (job,) = load_trace(path)
        assert job.job_name == (row["job_name"] or "job-000001")


def _is(*accepted: object) -> Callable[[object], bool]:
    """A predicate: the value is one of ``accepted``, with the same JSON type (so that
    ``True`` is not ``1``)."""
    return lambda value: any(type(value) is type(a) and value == a for a in accepted)


MISSING = object()
#: JSON values of each column (MISSING: the key left out), and which the rule accepts.
JSON_VALUES: dict[str, tuple[list[Any], Callable[[object], bool]]] = {
    "submit_time": ([0, 12.5, -1, "x", True, None, MISSING], _is(0, 12.5)),
    "job_name": ([None, "", "a", "a_b", 7, MISSING], _is(None, "", "a", MISSING)),
    "role_arn": ([None, "", ROLE, 5, MISSING], _is(None, "", ROLE, MISSING)),
    "instance_type": (["", "ml.m5", None, 3, MISSING], _is("ml.m5")),
    "instance_count": ([None, 1, 2.0, 0, True, "2", 1.5, MISSING], _is(None, 1, 2.0, MISSING)),
    "volume_size_gb": ([None, 30, 0, MISSING], _is(None, 30, MISSING)),
    "volume_kms_key_id": ([None, "", "key", 1, MISSING], _is(None, "", "key", MISSING)),
    "security_group_ids": (
        [None, [], ["sg-1"], "sg-1", [""], [1], MISSING],
        lambda v: v in (None, [], ["sg-1"], MISSING),
    ),
    "subnets": ([None, ["s-1"], [], MISSING], lambda v: True),
    "network_isolation": ([None, True, False, 1, "true", MISSING], _is(None, True, False, MISSING)),
    "inter_container_encryption": ([None, False, 0, MISSING], _is(None, False, MISSING)),
    "keep_alive_seconds": ([None, 0, 3600, -1, 1.5, True, MISSING], _is(None, 0, 3600, MISSING)),
    "training_seconds": ([0, 600.5, -1, "60", None, math.inf, MISSING], _is(0, 600.5)),
    "outcome": (
        [None, "", "Completed", "AlgorithmError", "completed", "Failed", "a b", 5, MISSING],
        _is(None, "", "Completed", "AlgorithmError", MISSING),
    ),
    "max_runtime_seconds": ([None, 1, 0, MISSING], _is(None, 1, MISSING)),
}


@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_jsonl_row_is_refused_exactly_at_its_first_value_that_breaks_a_rule(
    tmp_path: Path, data: st.DataObject
) -> None:
    """For any JSON Lines row (keys in any order, some left out), loading succeeds exactly
    when every value follows its column's rule and the VPC lists come together; otherwise the
    error names the first bad column in the table's order (quick and slow paths agree)."""
    keys = data.draw(st.permutations(list(COLUMNS)))
    drawn = {key: data.draw(st.sampled_from(JSON_VALUES[key][0]), label=key) for key in keys}
    row = {key: value for key, value in drawn.items() if value is not MISSING}
    path = write(tmp_path / "t.jsonl", json.dumps(row) + "\n")
    bad = [column for column in COLUMNS if not JSON_VALUES[column][1](drawn[column])]
    vpc = [drawn[c] not in (None, [], MISSING) for c in ("security_group_ids", "subnets")]
    if bad:
        assert refusal(path).column == bad[0]
    elif vpc[0] != vpc[1]:
        assert refusal(path).column == ("subnets" if vpc[0] else "security_group_ids")
    else:
        (job,) = load_trace(path)
        assert job.job_name == (drawn["job_name"] or "job-000001")
        assert job.instance_count == (2 if drawn["instance_count"] == 2.0 else 1)
        assert type(job.submit_time) is float
        assert type(job.training_seconds) is float


# -- writing ---------------------------------------------------------------------------------

IDS = st.lists(st.from_regex(r"[a-z0-9][-a-z0-9]{0,10}", fullmatch=True), min_size=1, max_size=3)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
).filter(lambda text: text == text.strip())


@st.composite
def trace_jobs(draw: st.DrawFn) -> TraceJob:
    vpc = draw(st.booleans())
    return TraceJob(
        submit_time=draw(st.floats(0, 1e9, allow_nan=False) | st.integers(0, 10**6)),
        instance_type=draw(TEXT | st.sampled_from(["ml.m5.xlarge", 'a,"b"'])),
        training_seconds=draw(st.floats(0, 1e7, allow_nan=False)),
        job_name=draw(
            st.none()
            | st.from_regex(r"[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,20}[a-zA-Z0-9])?", fullmatch=True)
        ),
        role_arn=draw(TEXT),
        instance_count=draw(st.integers(1, 64)),
        volume_size_gb=draw(st.integers(1, 16384)),
        volume_kms_key_id=draw(st.none() | TEXT),
        security_group_ids=tuple(draw(IDS)) if vpc else (),
        subnets=tuple(draw(IDS)) if vpc else (),
        network_isolation=draw(st.booleans()),
        inter_container_encryption=draw(st.booleans()),
        keep_alive_seconds=draw(st.none() | st.integers(0, 21600)),
        outcome=draw(
            st.sampled_from(["Completed", "Stopped", "AlgorithmError", "InternalServerError"])
        ),
        max_runtime_seconds=draw(st.integers(1, 28 * 86400)),
    )


def unique_names(jobs: list[TraceJob]) -> bool:
    names = [job.job_name for job in jobs if job.job_name is not None]
    generated = any(re.fullmatch(r"job-\d{6,}", name) for name in names)
    return len(names) == len(set(names)) and not generated


def as_read(jobs: list[TraceJob]) -> Iterator[TraceJob]:
    """The jobs as a trace of them reads: named, in stable submit order."""
    named = [
        job if job.job_name else TraceJob(**{**_fields(job), "job_name": f"job-{place:06d}"})
        for place, job in enumerate(jobs, 1)
    ]
    return iter(sorted(named, key=lambda job: job.submit_time))


def _fields(job: TraceJob) -> dict[str, Any]:
    return {column: getattr(job, column) for column in COLUMNS}


@FILES
@given(jobs=st.lists(trace_jobs(), max_size=12).filter(unique_names), suffix=st.sampled_from(
    [".csv", ".jsonl", ".csv.gz"]
))  # fmt: skip
def test_any_list_of_trace_jobs_round_trips_through_write_and_load(
    tmp_path: Path, jobs: list[TraceJob], suffix: str
) -> None:
    """load_trace(write_trace(path, jobs)) gives back the jobs: named (a job with no name by
    its place), in stable submit order."""
    path = tmp_path / f"t{suffix}"
    assert write_trace(path, jobs) == len(jobs)
    assert list(load_trace(path)) == list(as_read(jobs))


def test_write_trace_writes_the_columns_in_a_fixed_order(tmp_path: Path) -> None:
    """CSV: a header of COLUMNS, then one line a job; JSON Lines: objects with COLUMNS keys
    in that order; whole seconds are written without '.0'."""
    job = full_job(submit_time=12.0, training_seconds=600.25)
    write_trace(tmp_path / "t.csv", [job])
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        ",".join(COLUMNS),
        f"12,train-7,{ROLE},ml.g5.12xlarge,2,100,alias/training,sg-1;sg-2,subnet-1,true,true,"
        "1800,600.25,AlgorithmError,7200",
    ]
    write_trace(tmp_path / "t.jsonl", [job])
    row = json.loads((tmp_path / "t.jsonl").read_text())
    assert list(row) == list(COLUMNS)
    assert row["security_group_ids"] == ["sg-1", "sg-2"]


def test_write_trace_with_a_start_writes_iso_times(tmp_path: Path) -> None:
    """Given ``start``, submit times are written as ISO 8601 UTC (start + seconds, to the
    microsecond), and read back as seconds from the earliest."""
    jobs = [TraceJob(0.0, "a", 1.0), TraceJob(90.5, "a", 1.0)]
    start = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    write_trace(tmp_path / "t.csv", jobs, start=start)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "2026-03-01T09:00:00Z",
        "2026-03-01T09:01:30.500000Z",
    ]
    trace = load_trace(tmp_path / "t.csv")
    assert trace.start == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert [job.submit_time for job in trace] == [0.0, 90.5]
    write_trace(tmp_path / "t.jsonl", jobs, start=datetime(2026, 3, 1, 9, 0))
    assert json.loads((tmp_path / "t.jsonl").read_text().splitlines()[1])["submit_time"] == (
        "2026-03-01T09:01:30.500000Z"
    )


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"submit_time": -1.0}, "submit_time", "expected a number of seconds >= 0"),
        ({"instance_count": 0}, "instance_count", "expected a whole number >= 1, found '0'"),
        ({"role_arn": ""}, "role_arn", "expected a value that reads back as itself"),
        ({"job_name": "bad_name"}, "job_name", "expected a job name"),
        ({"subnets": ()}, "subnets", "a VpcConfig needs both"),
        ({"security_group_ids": ("a;b",)}, "security_group_ids", "reads back as itself"),
        ({"instance_type": "ml.m5\nxlarge"}, "instance_type", "no line break or NUL"),
        ({"network_isolation": "yes"}, "network_isolation", "expected true, false, 1 or 0"),
        ({"outcome": "Failed"}, "outcome", "(not a job status)"),
    ],
)
def test_write_trace_refuses_a_job_it_could_not_read_back_and_writes_nothing(
    tmp_path: Path, change: dict[str, Any], column: str, message: str
) -> None:
    """A job that would not read back as itself is refused with the line and column it
    would have had; nothing is written, and an existing file is left as it was."""
    path = write(tmp_path / "t.csv", "old\n")
    jobs = [full_job(job_name="a"), full_job(**{"job_name": "b", **change})]
    with pytest.raises(TraceError) as caught:
        write_trace(path, jobs)
    assert (caught.value.line, caught.value.column) == (3, column)
    assert message in str(caught.value)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_a_trace_error_survives_pickling() -> None:
    """A worker process's TraceError reaches the caller whole (sweeps, D45)."""
    import pickle

    error = TraceError("expected a number", path="t.csv", line=3, column="training_seconds")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is TraceError
    assert str(again) == str(error)
    assert (again.path, again.line, again.column) == ("t.csv", 3, "training_seconds")
