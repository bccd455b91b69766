"""Traces: one training job a row, in CSV or JSON Lines (see ``docs/replay.md``).

:class:`TraceJob` is one row as the replay reads it; :func:`load_trace` opens a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import attrs

__all__ = ["DEFAULT_ROLE_ARN", "Trace", "TraceError", "TraceJob", "load_trace", "write_trace"]

#: The role of a row that names none.
DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"


@attrs.frozen(slots=True)
class TraceJob:
    """One training job of a trace.

    ``submit_time`` is in seconds from the trace's start. ``keep_alive_seconds=None`` asks for
    no warm pool. ``outcome`` is ``"Completed"``, ``"Stopped"`` (stopped by its user after
    ``training_seconds`` of training) or a failure class such as ``"AlgorithmError"``.
    ``line`` is where the row is in its file (1-based; 0 for a job not read from a file).
    """

    submit_time: float
    instance_type: str
    training_seconds: float
    job_name: str | None = None
    role_arn: str = DEFAULT_ROLE_ARN
    instance_count: int = 1
    volume_size_gb: int = 30
    volume_kms_key_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    network_isolation: bool = False
    inter_container_encryption: bool = False
    keep_alive_seconds: int | None = None
    outcome: str = "Completed"
    max_runtime_seconds: int = 86400
    line: int = attrs.field(default=0, eq=False)


class TraceError(ValueError):
    """A trace file that cannot be read: ``path``, ``line`` and ``column`` say where."""

    def __init__(self, message: str, *, path: str, line: int | None, column: str | None) -> None:
        where = path if line is None else f"{path}, line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


class Trace:
    """A trace file, read lazily: iterating yields its :class:`TraceJob` s in submit order."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[TraceJob]:
        raise NotImplementedError("trace reading is being written (issue: whole-workload replay)")


def load_trace(path: str | Path, *, ignore_unknown_columns: bool = False) -> Trace:
    """Open and check a trace file (``.csv`` or ``.jsonl``)."""
    return Trace(path)


def write_trace(
    path: str | Path, jobs: Iterable[TraceJob], *, start: datetime | None = None
) -> int:
    """Write ``jobs`` as a trace (CSV or JSON Lines, by the suffix); returns the rows written."""
    raise NotImplementedError("trace writing is being written (issue: whole-workload replay)")
