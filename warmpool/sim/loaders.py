"""Loaders for public GPU cluster traces (see ``docs/replay.md``): the Helios trace of SenseTime
(``cluster_log.csv``) and the Acme trace of Shanghai AI Lab (``trace_seren.csv``,
``trace_kalos.csv``), read as warmpool traces.

Both are per-job logs of Slurm-like schedulers. A loader maps each usable row to a
:class:`~warmpool.sim.TraceJob`: the user to an IAM role, the GPUs to a SageMaker instance type
and count (a documented, overridable mapping), the submit time to seconds from the earliest
one, the duration to training seconds and the final state to an outcome. Rows it cannot use
are skipped and counted by reason (``trace.skipped``). :func:`load` is the one entry point for
every layout, warmpool's own included.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final

from .trace import (
    Trace,
    TraceError,
    TraceJob,
    _format_of,
    _Layout,
    _odd_outcome,
    iso_microseconds,
    shown,
)

__all__ = [
    "DEFAULT_CPU_INSTANCE_TYPE",
    "DEFAULT_GPU_INSTANCE_TYPES",
    "DEFAULT_OUTCOMES",
    "DEFAULT_ROLE_PREFIX",
    "LAYOUTS",
    "instance_for",
    "load",
    "load_acme",
    "load_helios",
]

#: The layouts :func:`load` reads.
LAYOUTS: Final = ("warmpool", "helios", "acme")

#: GPUs per instance -> the SageMaker instance type with that many GPUs (a modelling choice).
DEFAULT_GPU_INSTANCE_TYPES: Final[Mapping[int, str]] = MappingProxyType(
    {1: "ml.g5.xlarge", 4: "ml.g5.12xlarge", 8: "ml.p4d.24xlarge"}
)
#: The instance type of a job with no GPUs, when CPU-only jobs are kept.
DEFAULT_CPU_INSTANCE_TYPE: Final = "ml.m5.xlarge"
#: The role of user ``u`` is ``DEFAULT_ROLE_PREFIX + u``.
DEFAULT_ROLE_PREFIX: Final = "arn:aws:iam::123456789012:role/"
#: Final state (the first word of the ``state`` cell) -> outcome. Slurm's ``CANCELLED`` is a
#: user's stop; ``TIMEOUT`` is a stop at the time limit; ``NODE_FAIL`` is the platform's
#: failure (so the cluster is not kept), ``FAILED`` and ``OUT_OF_MEMORY`` the job's own.
DEFAULT_OUTCOMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "COMPLETED": "Completed",
        "CANCELLED": "Stopped",
        "TIMEOUT": "Stopped",
        "FAILED": "AlgorithmError",
        "OUT_OF_MEMORY": "AlgorithmError",
        "NODE_FAIL": "InternalServerError",
    }
)

#: The columns a loader reads; the traces' other columns are ignored.
_COLUMNS: Final = ("user", "gpu_num", "state", "submit_time", "duration")
#: Cells that mean "no value" (pandas writes a missing value as an empty cell or ``nan``).
_MISSING: Final = frozenset({"", "nan", "NaN", "NAN", "null", "NULL", "None"})
#: The longest MaxRuntimeInSeconds SageMaker takes: "The maximum value is 28 days."
_LONGEST_RUNTIME: Final = 28 * 86400
#: The reasons a row is skipped, the keys of ``trace.skipped``.
SKIP_REASONS: Final = ("missing_value", "cpu_only", "zero_duration", "unmapped_state")
_TITLES: Final = {
    "helios": "Helios (cluster_log.csv)",
    "acme": "Acme (trace_seren.csv, trace_kalos.csv)",
}


def instance_for(gpus: int, instance_types: Mapping[int, str]) -> tuple[str, int]:
    """The instance type and count of a job using ``gpus`` GPUs (``gpus >= 1``).

    The type with the fewest GPUs that holds them all, one instance; a job needing more GPUs
    than the largest type has runs on ``ceil(gpus / largest)`` instances of the largest.

    >>> instance_for(1, DEFAULT_GPU_INSTANCE_TYPES), instance_for(2, DEFAULT_GPU_INSTANCE_TYPES)
    (('ml.g5.xlarge', 1), ('ml.g5.12xlarge', 1))
    >>> instance_for(8, DEFAULT_GPU_INSTANCE_TYPES), instance_for(20, DEFAULT_GPU_INSTANCE_TYPES)
    (('ml.p4d.24xlarge', 1), ('ml.p4d.24xlarge', 3))
    """
    sizes = sorted(instance_types)
    for size in sizes:
        if size >= gpus:
            return instance_types[size], 1
    largest = sizes[-1]
    return instance_types[largest], -(-gpus // largest)


class _ClusterLayout(_Layout):
    """A per-job log of a GPU cluster's scheduler: Helios's or Acme's columns."""

    newline = ""
    key_type = "q"

    def __init__(
        self,
        path: Path,
        gzipped: bool,
        layout: str,
        *,
        gpu_instance_types: Mapping[int, str],
        cpu_jobs: bool,
        cpu_instance_type: str,
        role_prefix: str,
        role_arn: str | None,
        keep_alive_seconds: int | None,
        volume_size_gb: int,
        outcomes: Mapping[str, str],
    ) -> None:
        super().__init__(path, gzipped)
        self.layout = layout
        self.skipped = dict.fromkeys(SKIP_REASONS, 0)
        self.instances = {
            gpus: instance_for(gpus, gpu_instance_types)
            for gpus in range(1, 1 + max(gpu_instance_types))
        }
        self.gpu_instance_types = dict(gpu_instance_types)
        self.cpu_jobs = cpu_jobs
        self.cpu_instance_type = cpu_instance_type
        self.role_prefix = role_prefix
        self.role_arn = role_arn
        self.keep_alive_seconds = keep_alive_seconds
        self.volume_size_gb = volume_size_gb
        self.outcomes = dict(outcomes)
        self.header: list[str] = []
        self.header_lines = 1

    def read_header(self, reader: Any) -> None:
        header = next(reader, None)
        if not header:
            raise self.error(
                f"expected a header line naming the columns of the {_TITLES[self.layout]} "
                f"layout ({', '.join(_COLUMNS)}, ...)",
                1,
            )
        missing = [column for column in _COLUMNS if column not in header]
        if missing:
            raise self.error(
                f"expected a column {missing[0]!r} (the {_TITLES[self.layout]} layout has "
                f"{', '.join(_COLUMNS)}, ...)",
                1,
            )
        self.header = header
        self.header_lines = reader.line_num
        self.width = len(header)
        self.index = [header.index(column) for column in _COLUMNS]

    def classify(self, row: list[str], line: int) -> tuple[int, tuple[Any, ...]] | str:
        """A usable row's sort key (µs since 1970) and the arguments of its job after
        ``submit_time``, or the reason it is skipped; TraceError for a cell no row of the
        layout has."""
        if len(row) != self.width:
            raise self.error(
                f"expected {self.width} cells (one for each column of the header), found "
                f"{len(row)}",
                line,
            )
        user, gpus_text, state, submit, duration = (row[i].strip() for i in self.index)
        if (
            user in _MISSING
            or gpus_text in _MISSING
            or state in _MISSING
            or submit in _MISSING
            or duration in _MISSING
        ):
            return "missing_value"
        gpus = self.whole(gpus_text, line, "gpu_num", "a whole number of GPUs >= 0")
        try:
            seconds = float(duration)
        except ValueError:
            seconds = -1.0
        if not 0.0 <= seconds < math.inf:
            raise self.error(
                f"expected a number of seconds >= 0, found {shown(duration)}", line, "duration"
            )
        try:
            key = iso_microseconds(submit)
        except ValueError:
            raise self.error(
                f"expected a time such as '2020-06-09 18:41:01', found {shown(submit)}",
                line,
                "submit_time",
            ) from None
        if gpus == 0 and not self.cpu_jobs:
            return "cpu_only"
        if seconds == 0.0:
            return "zero_duration"
        outcome = self.outcomes.get(state.split(" ", 1)[0])
        if outcome is None:
            return "unmapped_state"
        if gpus == 0:
            instance_type, count = self.cpu_instance_type, 1
        else:
            instance_type, count = self.instances.get(gpus) or instance_for(
                gpus, self.gpu_instance_types
            )
        return key, (
            instance_type,
            seconds,
            f"{self.layout}-{line}",
            self.role_arn or self.role_prefix + user,
            count,
            self.volume_size_gb,
            None,
            (),
            (),
            False,
            False,
            self.keep_alive_seconds,
            outcome,
            min(max(86400, math.ceil(seconds)), _LONGEST_RUNTIME),
            line,
        )

    def whole(self, text: str, line: int, column: str, expected: str) -> int:
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if not (number >= 0 and number.is_integer()):
            raise self.error(f"expected {expected}, found {shown(text)}", line, column)
        return int(number)

    def rows_of(self, stream: IO[str] | Iterable[str]) -> Iterator[tuple[int, list[str]]]:
        """``(line, cells)`` of the rows after the header (empty lines left out); TraceError
        for a quoted cell spanning lines."""
        reader = csv.reader(stream)
        self.read_header(reader)
        last = reader.line_num
        for row in reader:
            line = reader.line_num
            if line != last + 1:
                raise self.error(
                    "expected one line per job, found a quoted cell spanning lines "
                    f"{last + 1} to {line}",
                    line,
                )
            last = line
            if row:
                yield line, row

    def check(self) -> None:
        line = 1
        rows = 0
        previous, lowest = -math.inf, math.inf
        in_order = True
        skipped = self.skipped
        with self.open() as stream, self.reading(lambda: line + 1):
            for line, row in self.rows_of(stream):
                usable = self.classify(row, line)
                if isinstance(usable, str):
                    skipped[usable] += 1
                    continue
                rows += 1
                key = usable[0]
                if key < previous:
                    in_order = False
                if key < lowest:
                    lowest = key
                previous = key
        self.rows = rows
        self.in_order = in_order
        self.start = int(lowest) if rows else None

    def job(self, usable: tuple[int, tuple[Any, ...]]) -> TraceJob:
        key, rest = usable
        assert self.start is not None
        return TraceJob((key - self.start) / 1_000_000, *rest)

    def jobs(self, stream: IO[str]) -> Iterator[TraceJob]:
        for line, row in self.rows_of(stream):
            usable = self.classify(row, line)
            if not isinstance(usable, str):
                yield self.job(usable)

    def keys(self, lines: Iterator[str]) -> Iterator[tuple[int, float]]:
        for line, row in self.rows_of(lines):
            usable = self.classify(row, line)
            if not isinstance(usable, str):
                yield line, usable[0]

    def job_at(self, text: str, line: int, row: int) -> TraceJob:
        usable = self.classify(next(csv.reader((text,))), line)
        assert not isinstance(usable, str)
        return self.job(usable)


def _cluster_trace(
    path: str | Path,
    layout: str,
    *,
    gpu_instance_types: Mapping[int, str],
    cpu_jobs: bool,
    cpu_instance_type: str,
    role_prefix: str,
    role_arn: str | None,
    keep_alive_seconds: int | None,
    volume_size_gb: int,
    outcomes: Mapping[str, str],
) -> Trace:
    path = Path(path)
    kind, gzipped = _format_of(path)
    if kind != "csv":
        raise TraceError(
            f"expected a CSV file (the {_TITLES[layout]} layout)",
            path=str(path),
            line=None,
            column=None,
        )
    _check_options(
        gpu_instance_types,
        cpu_instance_type,
        role_prefix,
        role_arn,
        keep_alive_seconds,
        volume_size_gb,
        outcomes,
    )
    return Trace._of(
        _ClusterLayout(
            path,
            gzipped,
            layout,
            gpu_instance_types=gpu_instance_types,
            cpu_jobs=cpu_jobs,
            cpu_instance_type=cpu_instance_type,
            role_prefix=role_prefix,
            role_arn=role_arn,
            keep_alive_seconds=keep_alive_seconds,
            volume_size_gb=volume_size_gb,
            outcomes=outcomes,
        )
    )


def _check_options(
    gpu_instance_types: Mapping[int, str],
    cpu_instance_type: str,
    role_prefix: str,
    role_arn: str | None,
    keep_alive_seconds: int | None,
    volume_size_gb: int,
    outcomes: Mapping[str, str],
) -> None:
    def refuse(name: str, expected: str, value: object) -> None:
        raise ValueError(f"{name}: expected {expected}, not {shown(value)}")

    if (
        not isinstance(gpu_instance_types, Mapping)
        or not gpu_instance_types
        or not all(
            type(gpus) is int and gpus >= 1 and isinstance(name, str) and name
            for gpus, name in gpu_instance_types.items()
        )
    ):
        refuse(
            "gpu_instance_types",
            "a mapping of GPUs per instance (a whole number >= 1) to an instance type",
            gpu_instance_types,
        )
    if not isinstance(cpu_instance_type, str) or not cpu_instance_type:
        refuse("cpu_instance_type", "an instance type such as 'ml.m5.xlarge'", cpu_instance_type)
    if not isinstance(role_prefix, str):
        refuse("role_prefix", "a string", role_prefix)
    if role_arn is not None and (not isinstance(role_arn, str) or not role_arn):
        refuse("role_arn", "None or an IAM role ARN", role_arn)
    if keep_alive_seconds is not None and (
        type(keep_alive_seconds) is not int or keep_alive_seconds < 0
    ):
        refuse("keep_alive_seconds", "None or a whole number of seconds >= 0", keep_alive_seconds)
    if type(volume_size_gb) is not int or volume_size_gb < 1:
        refuse("volume_size_gb", "a whole number of GB >= 1", volume_size_gb)
    if not isinstance(outcomes, Mapping) or not all(
        isinstance(state, str) and (outcome in ("Completed", "Stopped") or _odd_outcome(outcome))
        for state, outcome in outcomes.items()
    ):
        refuse(
            "outcomes",
            "a mapping of final states to outcomes ('Completed', 'Stopped' or a failure class "
            "such as 'AlgorithmError'; case matters, and a job status such as 'Failed' is not "
            "one)",
            outcomes,
        )


def load_helios(
    path: str | Path,
    *,
    gpu_instance_types: Mapping[int, str] = DEFAULT_GPU_INSTANCE_TYPES,
    cpu_jobs: bool = False,
    cpu_instance_type: str = DEFAULT_CPU_INSTANCE_TYPE,
    role_prefix: str = DEFAULT_ROLE_PREFIX,
    role_arn: str | None = None,
    keep_alive_seconds: int | None = None,
    volume_size_gb: int = 30,
    outcomes: Mapping[str, str] = DEFAULT_OUTCOMES,
) -> Trace:
    """Read a Helios ``cluster_log.csv`` (SenseTime's trace, the HeliosData repository) as a
    :class:`~warmpool.sim.Trace`; ``trace.skipped`` counts the rows left out, by reason.

    ``gpu_instance_types`` maps GPUs per instance to an instance type (see
    :func:`instance_for`); CPU-only jobs are left out unless ``cpu_jobs`` (then they run on
    one ``cpu_instance_type``). Each user is a role, ``role_prefix + user``, unless
    ``role_arn`` names one role for all. Every job asks for ``keep_alive_seconds`` of warm
    pool (``None``: none). ``outcomes`` maps final states to outcomes.
    """
    return _cluster_trace(
        path,
        "helios",
        gpu_instance_types=gpu_instance_types,
        cpu_jobs=cpu_jobs,
        cpu_instance_type=cpu_instance_type,
        role_prefix=role_prefix,
        role_arn=role_arn,
        keep_alive_seconds=keep_alive_seconds,
        volume_size_gb=volume_size_gb,
        outcomes=outcomes,
    )


def load_acme(
    path: str | Path,
    *,
    gpu_instance_types: Mapping[int, str] = DEFAULT_GPU_INSTANCE_TYPES,
    cpu_jobs: bool = False,
    cpu_instance_type: str = DEFAULT_CPU_INSTANCE_TYPE,
    role_prefix: str = DEFAULT_ROLE_PREFIX,
    role_arn: str | None = None,
    keep_alive_seconds: int | None = None,
    volume_size_gb: int = 30,
    outcomes: Mapping[str, str] = DEFAULT_OUTCOMES,
) -> Trace:
    """Read an Acme ``trace_seren.csv`` or ``trace_kalos.csv`` (Shanghai AI Lab's trace, the
    AcmeTrace repository) as a :class:`~warmpool.sim.Trace`; the options are those of
    :func:`load_helios`."""
    return _cluster_trace(
        path,
        "acme",
        gpu_instance_types=gpu_instance_types,
        cpu_jobs=cpu_jobs,
        cpu_instance_type=cpu_instance_type,
        role_prefix=role_prefix,
        role_arn=role_arn,
        keep_alive_seconds=keep_alive_seconds,
        volume_size_gb=volume_size_gb,
        outcomes=outcomes,
    )


_LOADERS: Final[dict[str, Callable[..., Trace]]] = {"helios": load_helios, "acme": load_acme}


def load(
    path: str | Path,
    layout: str = "warmpool",
    *,
    ignore_unknown_columns: bool = False,
    **options: Any,
) -> Trace:
    """Open a trace of any layout: ``"warmpool"`` (:func:`~warmpool.sim.load_trace`),
    ``"helios"`` (:func:`load_helios`) or ``"acme"`` (:func:`load_acme`), with that
    loader's ``options``. ``ignore_unknown_columns`` applies to warmpool traces (the loaders
    of public traces read the columns they need and ignore the others)."""
    if layout == "warmpool":
        if options:
            raise TypeError(
                f"load: a warmpool trace takes no option {sorted(options)[0]!r} (the options "
                "of load_helios and load_acme are for their layouts)"
            )
        return Trace(path, ignore_unknown_columns=ignore_unknown_columns)
    loader = _LOADERS.get(layout)
    if loader is None:
        raise ValueError(f"layout: expected one of {', '.join(LAYOUTS)}, not {shown(layout)}")
    return loader(path, **options)
