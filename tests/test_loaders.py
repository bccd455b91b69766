"""Loaders of public GPU cluster traces: Helios (SenseTime) and Acme (Shanghai AI Lab).

The rules are those of docs/replay.md, section "Loaders for public cluster traces" (behaviour
§13.2, D39). The files
here are written by the tests, in the layouts the traces' own documentation gives; no
third-party data is used.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmpool.sim import TraceError, load, load_acme, load_helios, load_trace, write_trace
from warmpool.sim.loaders import (
    DEFAULT_GPU_INSTANCE_TYPES,
    DEFAULT_OUTCOMES,
    LAYOUTS,
    SKIP_REASONS,
    instance_for,
)

UTC = timezone.utc
HELIOS = (
    "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue"
)
SEREN = (
    "job_id,user,node_num,gpu_num,cpu_num,type,state,submit_time,start_time,end_time,duration,"
    "queue,gpu_time"
)
KALOS = (
    "job_id,user,node_num,gpu_num,cpu_num,mem_per_pod_GB,shared_mem_per_pod,type,state,"
    "submit_time,start_time,end_time,fail_time,stop_time,duration,queue,gpu_time"
)


def helios_row(
    job_id: int,
    user: str = "uXBbc",
    gpus: str = "1",
    state: str = "COMPLETED",
    submit: str = "2020-06-09 18:41:01",
    duration: str = "36848",
) -> str:
    return (
        f"{job_id},{user},vcJkd,{gpus},1,1,{state},{submit},2020-06-09 18:41:01,"
        f"2020-06-10 04:55:09,{duration},0"
    )


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_helios_rows_become_trace_jobs(tmp_path: Path) -> None:
    """Helios's cluster_log.csv: the user is a role, the GPUs an instance type and count,
    submit times seconds from the earliest (``trace.start``), the duration the training
    seconds and the final state the outcome; jobs are named by their line."""
    path = write(
        tmp_path / "cluster_log.csv",
        HELIOS,
        "1425511,uXBbc,vcJkd,1,1,1,COMPLETED,2020-06-09 18:41:01,2020-06-09 18:41:01,"
        "2020-06-10 04:55:09,36848,0",
        "1425512,uVMrF,vchbv,4,16,1,FAILED,2020-06-09 18:41:27,2020-06-09 18:41:27,"
        "2020-06-09 18:45:36,249,0",
        "1425513,uzqls,vcpDC,1,1,1,CANCELLED,2020-06-09 18:41:28,2020-06-09 18:41:28,"
        "2020-06-17 14:15:21,675233,0",
    )
    trace = load_helios(path)
    assert trace.layout == "helios"
    assert trace.start == datetime(2020, 6, 9, 18, 41, 1, tzinfo=UTC)
    jobs = list(trace)
    assert [(j.submit_time, j.instance_type, j.instance_count) for j in jobs] == [
        (0.0, "ml.g5.xlarge", 1),
        (26.0, "ml.g5.12xlarge", 1),
        (27.0, "ml.g5.xlarge", 1),
    ]
    assert [j.role_arn for j in jobs] == [
        "arn:aws:iam::123456789012:role/uXBbc",
        "arn:aws:iam::123456789012:role/uVMrF",
        "arn:aws:iam::123456789012:role/uzqls",
    ]
    assert [(j.training_seconds, j.outcome) for j in jobs] == [
        (36848.0, "Completed"),
        (249.0, "AlgorithmError"),
        (675233.0, "Stopped"),
    ]
    assert [(j.job_name, j.line) for j in jobs] == [
        ("helios-2", 2),
        ("helios-3", 3),
        ("helios-4", 4),
    ]
    assert [j.keep_alive_seconds for j in jobs] == [None, None, None]
    assert [j.max_runtime_seconds for j in jobs] == [86400, 86400, 675233]
    assert sum(trace.skipped.values()) == 0


def test_a_job_longer_than_sagemakers_longest_runtime_is_stopped_there(tmp_path: Path) -> None:
    """MaxRuntimeInSeconds is at most 28 days on SageMaker, so a cluster job that ran longer
    gets 28 days and is stopped there when replayed, as SageMaker would stop it, rather than
    make the replay refuse the whole trace for a column the file does not have."""
    from warmpool.sim import replay

    path = write(
        tmp_path / "cluster_log.csv",
        HELIOS,
        helios_row(1, duration="100"),
        helios_row(2, duration="3000000"),  # 34.7 days
    )
    jobs = list(load_helios(path))
    assert [j.max_runtime_seconds for j in jobs] == [86400, 28 * 86400]
    assert jobs[1].training_seconds == 3000000.0
    report = replay(load_helios(path))
    assert (report.completed, report.stopped) == (1, 1)
    assert report.training_instance_seconds == 100 + 28 * 86400


def test_acme_seren_and_kalos_rows_become_trace_jobs(tmp_path: Path) -> None:
    """Acme's trace_seren.csv and trace_kalos.csv (times with an offset, extra columns):
    offsets are honoured, and Kalos's extra columns are ignored."""
    seren = write(
        tmp_path / "trace_seren.csv",
        SEREN,
        "5778432,u5907,1,8,128,Other,FAILED,2023-03-01 00:18:22+08:00,"
        "2023-03-01 00:18:54+08:00,2023-03-01 00:20:51+08:00,117,32,936.0",
        "5778469,u5907,1,8,128,Other,COMPLETED,2023-03-01 00:23:58+08:00,"
        "2023-03-01 00:24:11+08:00,2023-03-01 01:09:04+08:00,2693,13,21544.0",
    )
    trace = load_acme(seren)
    assert trace.start == datetime(2023, 2, 28, 16, 18, 22, tzinfo=UTC)
    assert [(j.submit_time, j.instance_type, j.outcome, j.job_name) for j in trace] == [
        (0.0, "ml.p4d.24xlarge", "AlgorithmError", "acme-2"),
        (336.0, "ml.p4d.24xlarge", "Completed", "acme-3"),
    ]
    kalos = write(
        tmp_path / "trace_kalos.csv",
        KALOS,
        "dlctk696s0jbvitv,uf794,8,64,960,1000,100.0,Other,FAILED,2023-05-17 11:00:58+00:00,"
        "2023-05-17 11:01:08+00:00,2023-05-17 11:01:16+00:00,2023-05-17 11:01:16+00:00,,18,"
        "10.0,1152.0",
        "dlc1t2ypl09b8qtp,uf794,8,64,960,1000,100.0,Other,CANCELLED,2023-05-17 11:28:42+00:00,"
        "2023-05-17 11:28:54+00:00,2023-05-17 11:30:04+00:00,,2023-05-17 11:30:04+00:00,82,"
        "12.0,5248.0",
    )
    jobs = list(load(kalos, "acme"))
    assert [(j.submit_time, j.instance_type, j.instance_count, j.outcome) for j in jobs] == [
        (0.0, "ml.p4d.24xlarge", 8, "AlgorithmError"),
        (1664.0, "ml.p4d.24xlarge", 8, "Stopped"),
    ]
    assert jobs[0].role_arn == "arn:aws:iam::123456789012:role/uf794"


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("COMPLETED", "Completed"),
        ("CANCELLED", "Stopped"),
        ("CANCELLED by 1234", "Stopped"),
        ("TIMEOUT", "Stopped"),
        ("FAILED", "AlgorithmError"),
        ("OUT_OF_MEMORY", "AlgorithmError"),
        ("NODE_FAIL", "InternalServerError"),
    ],
)
def test_final_states_map_to_outcomes(tmp_path: Path, state: str, outcome: str) -> None:
    """A job's final state (the first word of ``state``) maps to an outcome."""
    (job,) = load_helios(write(tmp_path / "l.csv", HELIOS, helios_row(1, state=state)))
    assert job.outcome == outcome


def test_rows_a_loader_cannot_use_are_skipped_and_counted(tmp_path: Path) -> None:
    """D39: Rows with a missing value, no GPUs (CPU-only jobs are left out by default), a zero
    duration or a state with no outcome are skipped, and ``trace.skipped`` counts them."""
    path = write(
        tmp_path / "l.csv",
        HELIOS,
        helios_row(1),
        helios_row(2, gpus="0"),
        helios_row(3, gpus="0"),
        helios_row(4, duration="0"),
        helios_row(5, duration=""),
        helios_row(6, submit="nan"),
        helios_row(7, user=""),
        helios_row(8, state="SUSPENDED"),
        helios_row(9, state="PENDING"),
        helios_row(10, gpus="8"),
    )
    trace = load_helios(path)
    assert len(trace) == 2
    assert [job.line for job in trace] == [2, 11]
    assert dict(trace.skipped) == {
        "missing_value": 3,
        "cpu_only": 2,
        "zero_duration": 1,
        "unmapped_state": 2,
    }
    assert tuple(trace.skipped) == SKIP_REASONS


def test_cpu_only_jobs_are_kept_when_asked(tmp_path: Path) -> None:
    """With ``cpu_jobs=True`` a job with no GPUs runs on one ``cpu_instance_type``."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(1, gpus="0"))
    (job,) = load_helios(path, cpu_jobs=True)
    assert (job.instance_type, job.instance_count) == ("ml.m5.xlarge", 1)
    (job,) = load_helios(path, cpu_jobs=True, cpu_instance_type="ml.c5.xlarge")
    assert job.instance_type == "ml.c5.xlarge"


@given(gpus=st.integers(1, 4096))
def test_a_job_gets_the_smallest_instance_that_holds_its_gpus(gpus: int) -> None:
    """The default mapping: the type with the fewest GPUs holding them all; beyond the
    largest type, ceil(gpus / 8) instances of it."""
    instance_type, count = instance_for(gpus, DEFAULT_GPU_INSTANCE_TYPES)
    size = {name: size for size, name in DEFAULT_GPU_INSTANCE_TYPES.items()}[instance_type]
    assert size * count >= gpus
    if count == 1:
        assert all(other < gpus for other in DEFAULT_GPU_INSTANCE_TYPES if other < size)
    else:
        assert size == 8
        assert count == -(-gpus // 8)


def test_the_instance_mapping_can_be_overridden(tmp_path: Path) -> None:
    """``gpu_instance_types`` replaces the mapping (GPUs per instance -> type)."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(1, gpus="2"), helios_row(2, gpus="40"))
    mapping = {1: "ml.p3.2xlarge", 8: "ml.p3.16xlarge", 16: "ml.p4de.24xlarge"}
    jobs = list(load_helios(path, gpu_instance_types=mapping))
    assert [(j.instance_type, j.instance_count) for j in jobs] == [
        ("ml.p3.16xlarge", 1),
        ("ml.p4de.24xlarge", 3),
    ]


def test_roles_keep_alive_and_volume_are_options(tmp_path: Path) -> None:
    """``role_prefix`` + user is a job's role unless ``role_arn`` names one for all; every job
    asks for ``keep_alive_seconds`` of warm pool and ``volume_size_gb`` of volume."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(1, user="u1"), helios_row(2, user="u2"))
    prefix = "arn:aws:iam::111122223333:role/helios-"
    jobs = list(load_helios(path, role_prefix=prefix, keep_alive_seconds=1800, volume_size_gb=50))
    assert [j.role_arn for j in jobs] == [prefix + "u1", prefix + "u2"]
    assert {(j.keep_alive_seconds, j.volume_size_gb) for j in jobs} == {(1800, 50)}
    shared = "arn:aws:iam::111122223333:role/Shared"
    assert {j.role_arn for j in load_helios(path, role_arn=shared)} == {shared}


def test_the_outcome_mapping_can_be_overridden(tmp_path: Path) -> None:
    """``outcomes`` replaces the state -> outcome mapping; a state it lacks is skipped."""
    path = write(
        tmp_path / "l.csv", HELIOS, helios_row(1, state="FAILED"), helios_row(2, state="BOOT")
    )
    trace = load_helios(path, outcomes={**DEFAULT_OUTCOMES, "FAILED": "ClientError"})
    assert [job.outcome for job in trace] == ["ClientError"]
    assert trace.skipped["unmapped_state"] == 1


def test_jobs_come_in_submit_order_and_equal_times_keep_file_order(tmp_path: Path) -> None:
    """A source not in submit order is sorted, stably; the earliest usable time is 0."""
    path = write(
        tmp_path / "l.csv",
        HELIOS,
        helios_row(1, submit="2020-06-09 18:41:30"),
        helios_row(2, submit="2020-06-09 18:41:00", gpus="0"),
        helios_row(3, submit="2020-06-09 18:41:10"),
        helios_row(4, submit="2020-06-09 18:41:30"),
        helios_row(5, submit="2020-06-09 18:41:10"),
    )
    trace = load_helios(path)
    assert not trace.in_order
    assert trace.start == datetime(2020, 6, 9, 18, 41, 10, tzinfo=UTC)
    assert [(job.line, job.submit_time) for job in trace] == [
        (4, 0.0),
        (6, 0.0),
        (2, 20.0),
        (5, 20.0),
    ]
    assert list(trace) == list(trace)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (helios_row(1, gpus="many"), "gpu_num", "expected a whole number of GPUs >= 0"),
        (helios_row(1, gpus="1.5"), "gpu_num", "found '1.5'"),
        (helios_row(1, duration="-3"), "duration", "expected a number of seconds >= 0"),
        (helios_row(1, submit="yesterday"), "submit_time", "expected a time such as"),
        (helios_row(1) + ",extra", None, "expected 12 cells"),
    ],
)
def test_a_malformed_cell_names_file_line_and_column(
    tmp_path: Path, row: str, column: str | None, message: str
) -> None:
    """A cell no row of the layout can have (not a missing value) is a TraceError naming the
    file, line and column: the file is probably not in that layout."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(0), row)
    with pytest.raises(TraceError) as caught:
        load_helios(path)
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), 3, column)
    assert message in str(caught.value)


def test_a_file_missing_a_column_of_the_layout_is_refused(tmp_path: Path) -> None:
    """The header must have the columns a loader reads."""
    path = write(tmp_path / "l.csv", HELIOS.replace("gpu_num", "gpus"), helios_row(1))
    with pytest.raises(TraceError, match="expected a column 'gpu_num'") as caught:
        load_acme(path)
    assert caught.value.line == 1
    with pytest.raises(TraceError, match="expected a CSV file"):
        load_helios(write(tmp_path / "l.jsonl", "{}"))


def test_gzip_compressed_sources_are_read(tmp_path: Path) -> None:
    """``cluster_log.csv.gz`` reads like ``cluster_log.csv``, in or out of order."""
    lines = [HELIOS, helios_row(1, submit="2020-06-09 18:41:30"), helios_row(2)]
    plain = list(load_helios(write(tmp_path / "l.csv", *lines)))
    with gzip.open(tmp_path / "l.csv.gz", "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    assert list(load_helios(tmp_path / "l.csv.gz")) == plain


def test_a_loaded_trace_converts_to_a_warmpool_trace(tmp_path: Path) -> None:
    """``write_trace(dst, load(src, layout))`` converts a public trace to warmpool's format,
    which reads back as the same jobs."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(2, gpus="16"), helios_row(1))
    loaded = load(path, "helios", keep_alive_seconds=600)
    assert write_trace(tmp_path / "jobs.csv", loaded) == 2
    assert list(load_trace(tmp_path / "jobs.csv")) == list(loaded)


def test_load_is_one_entry_point_for_every_layout(tmp_path: Path) -> None:
    """``load(path, layout)`` reads warmpool traces and the public layouts; an unknown layout,
    or a loader's option given for a warmpool trace, is refused."""
    assert LAYOUTS == ("warmpool", "helios", "acme")
    own = write(tmp_path / "t.csv", "submit_time,instance_type,training_seconds,x", "0,a,1,2")
    assert len(load(own, ignore_unknown_columns=True)) == 1
    with pytest.raises(TraceError):
        load(own)
    with pytest.raises(TypeError, match="takes no option 'keep_alive_seconds'"):
        load(own, keep_alive_seconds=60)
    with pytest.raises(ValueError, match="layout: expected one of warmpool, helios, acme"):
        load(own, "philly")
    helios = write(tmp_path / "l.csv", HELIOS, helios_row(1))
    assert load(helios, "helios", ignore_unknown_columns=True).layout == "helios"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("gpu_instance_types", {}),
        ("gpu_instance_types", {0: "ml.m5.xlarge"}),
        ("gpu_instance_types", {1: ""}),
        ("cpu_instance_type", ""),
        ("role_arn", ""),
        ("keep_alive_seconds", -1),
        ("keep_alive_seconds", 1.5),
        ("volume_size_gb", 0),
        ("outcomes", {"FAILED": "not a class"}),
        # a job status, or a wrong case: it would be replayed as a failure class
        ("outcomes", {"COMPLETED": "completed"}),
        ("outcomes", {"FAILED": "Failed"}),
    ],
)
def test_a_bad_option_is_refused_by_name(tmp_path: Path, option: str, value: Any) -> None:
    """Each loader option is checked before the file is read, and a bad one named."""
    path = write(tmp_path / "l.csv", HELIOS, helios_row(1))
    with pytest.raises(ValueError, match=f"^{option}: expected "):
        load_helios(path, **{option: value})
