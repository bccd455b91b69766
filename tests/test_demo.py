"""``warmpool demo``: the AWS guide's walk-through, printed as a timeline and the console's table.

The AWS guide ("Train Using SageMaker Managed Warm Pools", "Create a warm pool") checks the warm
pool status of both jobs while the second one trains: job 1 ``Reused`` with its billable seconds
and the job that reused it, job 2 ``InUse`` (D11, D12). The demo prints the console's table at
that moment, then after job 2 completed and after its warm pool is terminated.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from warmpool.cli import _status, demo, main

ROOT = Path(__file__).resolve().parent.parent


def demo_output(**options: int) -> str:
    out = io.StringIO()
    demo(out, **options)
    return out.getvalue()


def table_after(output: str, heading: str) -> list[list[str]]:
    """The rows (cells split on runs of 2+ spaces) of the table printed under the line that
    starts with ``heading``; the header and the rule are left out."""
    lines = output.splitlines()
    (start,) = [i for i, line in enumerate(lines) if line.startswith(heading)]
    rows = []
    for line in lines[start + 3 :]:
        if not line:
            break
        rows.append(re.split(r" {2,}", line))
    assert lines[start + 1].startswith("Job ")
    assert set(lines[start + 2]) == {"-", " "}
    return rows


def test_demo_shows_the_console_while_job_2_trains() -> None:
    """The table while job 2 trains: job 2 InProgress (Training) with its warm pool InUse;
    job 1 Reused, 1000 billable seconds, reused by job 2, as in the AWS guide's example
    output (D11, D12, §6)."""
    output = demo_output()
    heading = "At +00:50:00, while my-training-job-2 trains on the warm pool it took over:"
    assert table_after(output, heading) == [
        ["my-training-job-1", "Completed", "Reused", "-", "1000", "my-training-job-2"],
        ["my-training-job-2", "InProgress (Training)", "InUse", "-", "-", "-"],
    ]


def test_demo_prints_the_training_table_between_job_2_start_and_end() -> None:
    """The table comes in the timeline where it happens: after job 2's warm start, before job
    2's training ends (§4: the timeline is in time order)."""
    output = demo_output()
    start = output.index("+00:35:00  my-training-job-2  training starts on cluster 1 (warm)")
    table = output.index("At +00:50:00, while my-training-job-2 trains")
    end = output.index("+01:05:00  my-training-job-2  training ends: Completed")
    assert start < table < end


def test_demo_keeps_the_tables_after_job_2_and_the_bill() -> None:
    """The rest of the output stays: the console after job 2 completed (its pool Available,
    20 minutes left), after its pool is terminated (900 billable seconds), and the bill
    (D12, D18, D27)."""
    output = demo_output()
    assert table_after(output, "At +01:15:00, as the console shows it:") == [
        ["my-training-job-1", "Completed", "Reused", "-", "1000", "my-training-job-2"],
        ["my-training-job-2", "Completed", "Available", "00:20:00", "-", "-"],
    ]
    assert table_after(output, "At +01:20:00, after terminating the warm pool:") == [
        ["my-training-job-1", "Completed", "Reused", "-", "1000", "my-training-job-2"],
        ["my-training-job-2", "Completed", "Terminated", "-", "900", "-"],
    ]
    assert output.endswith(
        "Billed: 2700 training instance-seconds, 1900 warm pool instance-seconds.\n"
    )
    assert output.count("\nJob ") == 3


def test_demo_says_when_job_2_trains_on_a_new_cluster() -> None:
    """When job 1's pool expired before job 2 was created (a gap longer than the keep-alive),
    job 2 cold-starts and the heading says so: job 1 Terminated after its whole keep-alive,
    job 2 InUse on its own new cluster (D11, D13)."""
    output = demo_output(gap=5000)
    heading = "At +01:59:20, while my-training-job-2 trains on a new cluster:"
    assert table_after(output, heading) == [
        ["my-training-job-1", "Completed", "Terminated", "-", "1800", "-"],
        ["my-training-job-2", "InProgress (Training)", "InUse", "-", "-", "-"],
    ]


@pytest.mark.parametrize(
    ("job", "shown"),
    [
        (
            {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"},
            "InProgress (Training)",
        ),
        (
            {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Starting"},
            "InProgress (Starting)",
        ),
        (
            {"TrainingJobStatus": "Stopped", "SecondaryStatus": "MaxRuntimeExceeded"},
            "Stopped (MaxRuntimeExceeded)",
        ),
        ({"TrainingJobStatus": "Completed", "SecondaryStatus": "Completed"}, "Completed"),
        ({"TrainingJobStatus": "Failed"}, "Failed"),
    ],
)
def test_status_column_adds_the_secondary_status_when_it_says_more(
    job: dict[str, str], shown: str
) -> None:
    """The status column is ``TrainingJobStatus``, with ``SecondaryStatus`` in brackets unless
    it repeats it (§5: each secondary status maps to one status)."""
    assert _status(job) == shown


def test_index_shows_the_demo_output_as_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/index.md's "Try it" shows ``warmpool demo``'s output exactly (the version aside)."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```text\n\$ warmpool demo\n(.*?)```", index, flags=re.S)
    assert main(["demo"]) == 0
    printed = capsys.readouterr().out

    def unversioned(text: str) -> str:
        return re.sub(r"^warmpool \S+:", "warmpool VERSION:", text)

    assert unversioned(block) == unversioned(printed)
