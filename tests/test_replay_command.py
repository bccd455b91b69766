"""``warmpool replay``: the command over warmpool.sim (D38), and the example trace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Terminal, run_cli
from warmpool import Quota
from warmpool.sim import TraceJob, load_trace, replay, write_trace
from warmpool.sim.command import format_report
from warmpool.sim.optimum import optimum, with_optimum

from .conftest import require

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "teams.csv"
M5 = "ml.m5.xlarge"


run = run_cli


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    write_trace(
        path,
        [
            TraceJob(0, M5, 600, job_name="a", keep_alive_seconds=1800),
            TraceJob(900, M5, 600, job_name="b", keep_alive_seconds=1800),
            TraceJob(1000, "ml.g5.xlarge", 300, job_name="c", outcome="Stopped"),
        ],
    )
    return path


def test_json_is_the_reports_to_dict(small: Path) -> None:
    """``--json`` prints exactly ``Report.to_dict()`` of the same replay."""
    status, out, err = run(
        "replay", str(small), "--json", "--price", f"{M5}=0.23", "--quota", f"{M5}=4"
    )
    assert (status, err) == (0, "")
    settings: dict[str, Any] = {
        "prices": {M5: 0.23},
        "quotas": {M5: Quota(training=None, warm_pool=4)},
    }
    expected = with_optimum(
        replay(load_trace(small), **settings), optimum(load_trace(small), **settings)
    ).to_dict()
    assert json.loads(out) == expected
    assert expected["warm_starts"] == 1


def test_the_tables_show_the_summary_and_the_breakdowns(small: Path) -> None:
    status, out, _ = run("replay", str(small), "--price", f"{M5}=0.36")
    assert status == 0
    report = replay(load_trace(small), prices={M5: 0.36})
    best = optimum(load_trace(small), prices={M5: 0.36})
    assert out == format_report(
        with_optimum(report, best), source=str(small), limits_name="guide-2022"
    )
    assert "warm starts               1 (33% of the jobs that ran)" in out
    assert "No --price for: ml.g5.xlarge" in out
    assert "by instance type" in out and "by identity" in out


def test_keep_alive_limits_and_timing_flags_reach_the_replay(small: Path) -> None:
    _, out, _ = run(
        "replay", str(small), "--json", "--keep-alive", "0", "--limits", "api",
        "--cold-start", "60", "--warm-start", "5",
    )  # fmt: skip
    data = json.loads(out)
    assert data["keep_alive"] == 0 and data["warm_starts"] == 0
    assert data["limits"]["max_keep_alive_seconds"] == 21600
    assert data["timing"]["cold_start_seconds"] == 60


def test_the_training_quota_flag_refuses_jobs(small: Path) -> None:
    _, out, _ = run("replay", str(small), "--json", "--training-quota", f"{M5}=0")
    assert json.loads(out)["training_quota_refusals"] == 2


def test_no_progress_bar_when_stderr_is_not_a_terminal(small: Path) -> None:
    status, _, err = run("replay", str(small))
    assert (status, err) == (0, "")


def test_a_progress_bar_on_a_terminal(small: Path) -> None:
    terminal = Terminal()
    status, _, _ = run("replay", str(small), stderr=terminal)
    assert status == 0
    shown = terminal.getvalue()
    assert "replaying 100% |" in shown and "3/3 jobs" in shown
    assert shown.endswith("\r")  # the bar is wiped before the report


def test_a_malformed_trace_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "submit_time,instance_type,training_seconds\n0,ml.m5.xlarge,60\n5,ml.m5.xlarge,soon\n"
    )
    status, out, err = run("replay", str(bad))
    assert (status, out) == (1, "")
    assert str(bad) in err and "line 3" in err and "'training_seconds'" in err
    assert "Traceback" not in err


def test_a_row_the_emulator_refuses_stops_the_replay(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    write_trace(path, [TraceJob(0, M5, 60, keep_alive_seconds=7200)])
    status, out, err = run("replay", str(path))
    assert (status, out) == (1, "")
    assert "line 2" in err and "keep_alive_seconds" in err
    assert run("replay", str(path), "--limits", "api")[0] == 0


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    status, _, err = run("replay", str(tmp_path / "nope.csv"))
    assert status == 1 and "nope.csv" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--price", "ml.m5.xlarge"),
        ("--price", "ml.m5.xlarge=-1"),
        ("--price", "ml.m5.xlarge=nan"),
        ("--quota", "ml.m5.xlarge=two"),
        ("--keep-alive", "-5"),
        ("--cold-start", "inf"),
        ("--layout", "slurm"),
    ],
)
def test_bad_arguments_exit_2(small: Path, flag: str, value: str) -> None:
    status, out, err = run("replay", str(small), flag, value)
    assert (status, out) == (2, "")
    assert flag in err or "TYPE=" in err


def test_spaces_around_a_type_and_its_value_are_dropped(small: Path) -> None:
    """``--price 'ml.m5.xlarge = 0.23'`` prices ml.m5.xlarge (a type with a space in it would
    price nothing, and the report's costs would be silently 0)."""
    plain = run("replay", str(small), "--json", "--price", f"{M5}=0.23", "--quota", f"{M5}=4")
    spaced = run("replay", str(small), "--json", "--price", f" {M5} = 0.23 ", "--quota", f"{M5} =4")
    assert spaced == plain
    assert json.loads(plain[1])["by_instance_type"][M5]["retained_cost"] > 0


@pytest.mark.parametrize("flag", ["--price", "--quota", "--training-quota"])
@pytest.mark.parametrize("command", ["replay", "sweep", "advise"])
def test_a_type_given_twice_to_one_flag_exits_2(small: Path, flag: str, command: str) -> None:
    """Two values for one instance type: refused, naming the flag and the type, rather than
    one of them silently winning."""
    settings = ["--keep-alive", "0", "--workers", "1"] if command == "sweep" else []
    status, out, err = run(
        command, str(small), *settings, "--price", f"{M5}=0.23", "--price", "ml.g5.xlarge=1",
        flag, f"{M5}=4", flag, f"{M5}=5",
    )  # fmt: skip
    assert (status, out) == (2, "")
    assert f"argument {flag}: {M5} is given twice" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", ["--price", "--quota", "--training-quota"])
@pytest.mark.parametrize("command", ["replay", "sweep", "advise"])
def test_a_type_that_is_not_an_instance_type_exits_2(small: Path, flag: str, command: str) -> None:
    """A misspelt instance type would apply to no job (a quota or price silently ignored):
    refused, naming the flag and the nearest training instance type."""
    settings = ["--keep-alive", "0", "--workers", "1"] if command == "sweep" else []
    status, out, err = run(command, str(small), *settings, flag, "ml.g5.xlarg=1")
    assert (status, out) == (2, "")
    assert (
        f"argument {flag}: 'ml.g5.xlarg' is not a SageMaker training instance type "
        "(did you mean ml.g5.xlarge?)"
    ) in err
    assert "Traceback" not in err


def test_a_keep_alive_above_the_limits_exits_2_naming_the_flag(small: Path) -> None:
    """``--keep-alive`` above the ``--limits``' maximum is a bad argument (status 2, as for
    ``warmpool sweep``), refused before the replay, not blamed on a row of the trace."""
    status, out, err = run("replay", str(small), "--keep-alive", "7200")
    assert (status, out) == (2, "")
    assert "--keep-alive" in err and "3600" in err and "line" not in err
    assert run("replay", str(small), "--keep-alive", "7200", "--limits", "api")[0] == 0


def test_a_timeline_suffix_is_checked_before_the_replay(small: Path) -> None:
    status, out, err = run("replay", str(small), "--timeline", "chart.gif")
    assert (status, out) == (2, "")
    assert ".png" in err and ".html" in err


def test_a_timeline_to_a_missing_directory_exits_2_before_the_replay(
    small: Path, tmp_path: Path
) -> None:
    """A --timeline file that cannot be written is a bad argument, refused before the
    replay, not found out after it (when the report is lost with it)."""
    require("matplotlib")
    (tmp_path / "taken.svg").mkdir()
    for target in (tmp_path / "no" / "such" / "timeline.svg", tmp_path / "taken.svg"):
        status, out, err = run("replay", str(small), "--timeline", str(target))
        assert (status, out) == (2, "")
        assert err.startswith(f"warmpool replay: argument --timeline: cannot write {str(target)!r}")


def test_timeline_files_are_written(small: Path, tmp_path: Path) -> None:
    require("matplotlib")
    require("plotly")
    for suffix in ("svg", "html"):
        target = tmp_path / f"timeline.{suffix}"
        status, out, _ = run("replay", str(small), "--timeline", str(target))
        assert status == 0 and "Replayed 3 training jobs" in out
        assert target.stat().st_size > 1000
    assert "<svg" in (tmp_path / "timeline.svg").read_text()


def test_a_helios_trace_replays_with_its_layout(tmp_path: Path) -> None:
    """The Helios layout (docs/replay.md): GPU jobs become trace jobs; --keep-alive gives them
    warm pools (the layout has none of its own)."""
    path = tmp_path / "cluster_log.csv"
    path.write_text(
        "job_id,user,vc,jobname,gpu_num,cpu_num,node_num,state,submit_time,start_time,"
        "end_time,duration,queue\n"
        "1,u1,vc1,j1,1,4,1,COMPLETED,2020-04-01 00:00:00,2020-04-01 00:00:10,"
        "2020-04-01 00:10:10,600,10\n"
        "2,u1,vc1,j2,1,4,1,COMPLETED,2020-04-01 00:20:00,2020-04-01 00:20:10,"
        "2020-04-01 00:30:10,600,10\n"
        "3,u2,vc1,j3,0,4,1,COMPLETED,2020-04-01 00:25:00,2020-04-01 00:25:10,"
        "2020-04-01 00:35:10,600,10\n"
    )
    status, out, err = run(
        "replay", str(path), "--layout", "helios", "--keep-alive", "1800", "--json"
    )
    assert status == 0, err
    data = json.loads(out)
    assert (data["jobs"], data["warm_starts"], data["cold_starts"]) == (2, 1, 1)
    assert "left out: 1 cpu only" in err


def test_the_example_trace_is_what_its_script_writes(tmp_path: Path) -> None:
    """examples/teams.csv is exactly what examples/generate_trace.py writes (deterministic)."""
    target = tmp_path / "teams.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "generate_trace.py"), str(target)],
        check=True,
        capture_output=True,
    )
    assert target.read_bytes() == EXAMPLE.read_bytes()


def test_the_example_trace_replays_with_warm_and_cold_starts() -> None:
    trace = load_trace(EXAMPLE)
    report = replay(trace)
    assert report.jobs == len(trace) > 2000
    assert report.warm_starts > report.cold_starts > 0
    assert report.by_identity["recsys-training ml.g5.xlarge x4 100 GB"].warm_starts == 0
    assert replay(trace, keep_alive=0).warm_starts == 0


def test_the_readmes_replay_is_what_the_command_prints() -> None:
    """The README's first screen shows `warmpool replay examples/teams.csv`: its lines (up to
    the "...") are the command's first lines, exactly."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ warmpool replay examples/teams.csv\n", 1)[1].split("\n...\n", 1)[0]
    status, out, _ = run("replay", str(EXAMPLE))
    assert status == 0
    printed = out.replace(str(EXAMPLE), "examples/teams.csv").splitlines()
    assert block.splitlines() == printed[: len(block.splitlines())]
    assert len(block.splitlines()) >= 10
