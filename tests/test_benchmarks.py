"""Smoke test of ``benchmarks/replay.py``: it runs, prints its fields and is deterministic.

No timing is asserted: the machine is shared and timings are noisy.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import pytest

REPLAY = Path(__file__).resolve().parent.parent / "benchmarks" / "replay.py"

FIELDS = (
    "machine",
    "jobs",
    "identities",
    "seed",
    "describe",
    "wall_seconds",
    "jobs_per_second",
    "reused",
    "reuse_ratio",
    "failed",
    "simulated_days",
    "peak_rss_growth_kib",
    "peak_rss_growth_per_job",
)
MEMORY_FIELDS = ("tracemalloc_peak_per_job", "tracemalloc_retained_per_job")

Main = Callable[[Sequence[str]], int]


@pytest.fixture(scope="module")
def replay_main() -> Main:
    spec = importlib.util.spec_from_file_location("warmpool_benchmarks_replay", REPLAY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # NamedTuple classes look their module up here
    spec.loader.exec_module(module)
    return cast(Main, module.main)


def run(main: Main, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    fields: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition(": ")
        assert sep, f"not a 'key: value' line: {line!r}"
        fields[key] = value
    return fields


def test_prints_every_field(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    fields = run(replay_main, capsys, "200")
    assert set(FIELDS) <= fields.keys()
    assert not set(MEMORY_FIELDS) & fields.keys()
    assert fields["jobs"] == "200"
    assert fields["identities"] == "300"
    assert fields["describe"] == "no"
    assert fields["machine"].startswith("Python ")
    assert float(fields["wall_seconds"]) > 0
    assert float(fields["jobs_per_second"]) > 0
    reused = int(fields["reused"])
    assert 0 <= reused <= 200
    assert float(fields["reuse_ratio"]) == pytest.approx(reused / 200, abs=1e-4)
    assert int(fields["peak_rss_growth_kib"]) >= 0
    assert fields["peak_rss_growth_per_job"].endswith(" bytes")


def test_describe_and_memory(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    fields = run(replay_main, capsys, "200", "--describe", "--memory")
    assert set(FIELDS) | set(MEMORY_FIELDS) <= fields.keys()
    assert fields["describe"] == "yes"
    for field in MEMORY_FIELDS:
        value, unit = fields[field].split()
        assert unit == "bytes"
        assert float(value) > 0


def test_same_seed_same_reuse(replay_main: Main, capsys: pytest.CaptureFixture[str]) -> None:
    # Enough jobs per identity that most of them reuse a warm pool.
    first = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7")
    second = run(replay_main, capsys, "600", "--identities", "20", "--seed", "7")
    keys = ("reused", "failed", "simulated_days")
    assert {k: first[k] for k in keys} == {k: second[k] for k in keys}
    assert int(first["reused"]) > 300
    other = run(replay_main, capsys, "600", "--identities", "20", "--seed", "8")
    assert (other["reused"], other["failed"]) != (first["reused"], first["failed"])


def test_describe_does_not_change_the_replay(
    replay_main: Main, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = run(replay_main, capsys, "300", "--identities", "30")
    described = run(replay_main, capsys, "300", "--identities", "30", "--describe")
    assert plain["reused"] == described["reused"]
    assert plain["simulated_days"] == described["simulated_days"]


def test_rejects_bad_arguments(replay_main: Main) -> None:
    with pytest.raises(SystemExit):
        replay_main(["0"])


def test_aws_overhead_runs_every_path(capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/aws_overhead.py``: each path does the same work (every job after the first
    takes over its predecessor's pool) and prints a rate for each operation."""
    from tests.conftest import require

    require("boto3")
    path = REPLAY.parent / "aws_overhead.py"
    spec = importlib.util.spec_from_file_location("warmpool_benchmarks_aws_overhead", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fields = run(cast(Main, module.main), capsys, "30")
    assert fields["jobs"] == "30"
    for route in ("direct", "attached", "server"):
        assert fields[f"{route}_reused"] == "29"
        for operation in ("create", "describe", "list"):
            assert float(fields[f"{route}_{operation}_us"]) > 0
            assert float(fields[f"{route}_{operation}_per_second"]) > 0
