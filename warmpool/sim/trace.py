"""Traces: one training job a row, in CSV or JSON Lines (see ``docs/replay.md``).

:class:`TraceJob` is one row as the replay reads it; :func:`load_trace` opens a file and
checks all of it, :func:`write_trace` writes one.

Reading is built for long files. :class:`Trace` checks the whole file in one streaming pass
when it is opened (so that a replay never starts on a file it cannot finish), then streams the
rows again, as :class:`TraceJob` s in submit order, each time it is iterated. Per-row work is
kept small: cells are read with the :mod:`csv` module, and the cells that describe a job's
configuration (role, instance type, flags, keep-alive, outcome, ...), which repeat from row to
row, are checked once per distinct combination and remembered. A file that is not in submit
order is sorted through a compact index (its rows' positions in the file), not by holding its
rows.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import math
import operator
import os
import re
import sys
import tempfile
import weakref
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final

import attrs

__all__ = [
    "COLUMNS",
    "DEFAULT_ROLE_ARN",
    "REQUIRED_COLUMNS",
    "Trace",
    "TraceError",
    "TraceJob",
    "load_trace",
    "write_trace",
]

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
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple[Any, tuple[str, str, int | None, str | None]]:
        # keyword-only arguments: pickle (a worker process's error) rebuilds it through this
        return (_trace_error, (self.message, self.path, self.line, self.column))


def _trace_error(message: str, path: str, line: int | None, column: str | None) -> TraceError:
    return TraceError(message, path=path, line=line, column=column)


#: The columns of a trace, in the order :func:`write_trace` writes them.
COLUMNS: Final = (
    "submit_time",
    "job_name",
    "role_arn",
    "instance_type",
    "instance_count",
    "volume_size_gb",
    "volume_kms_key_id",
    "security_group_ids",
    "subnets",
    "network_isolation",
    "inter_container_encryption",
    "keep_alive_seconds",
    "training_seconds",
    "outcome",
    "max_runtime_seconds",
)
#: The columns every trace has; the others have defaults (those of :class:`TraceJob`).
REQUIRED_COLUMNS: Final = ("submit_time", "instance_type", "training_seconds")

#: The columns describing a job's configuration, in :class:`TraceJob`'s order after
#: ``instance_type`` (which comes first here). Their cells repeat from row to row, so each
#: distinct combination is checked once.
_CONFIG: Final = (
    "instance_type",
    "role_arn",
    "instance_count",
    "volume_size_gb",
    "volume_kms_key_id",
    "security_group_ids",
    "subnets",
    "network_isolation",
    "inter_container_encryption",
    "keep_alive_seconds",
    "outcome",
    "max_runtime_seconds",
)
_KNOWN: Final = frozenset(COLUMNS)
#: How many distinct configurations a reader remembers (each costs about a kilobyte).
_CONFIG_CACHE: Final = 4096
#: The most memory (bytes) the duplicate-name filter takes, whatever the file's length.
_NAME_FILTER_BYTES: Final = 8 << 20

_UTC: Final = timezone.utc
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=_UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_INF: Final = math.inf
_UNREADABLE: Final = (UnicodeDecodeError, gzip.BadGzipFile, EOFError, zlib.error)
#: SageMaker's ``TrainingJobName``: ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``, 1 to 63 characters.
_NAME: Final = re.compile(r"[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?").fullmatch
_ISO_EXAMPLE: Final = "2026-03-01T09:00:00Z"
#: A JSON Lines row's job_name, when written plainly (a string with no escapes, or null).
_JSON_NAME: Final = re.compile(r'"job_name"\s*:\s*(?:"([^"\\]*)"|null)')
#: ``TrainingJobStatus`` values that a row might give as its outcome by mistake.
_STATUSES: Final = {
    "completed": "Completed",
    "stopped": "Stopped",
    "failed": "",
    "inprogress": "",
    "stopping": "",
}

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    _fromisoformat = datetime.fromisoformat
else:  # pragma: no cover - depends on the interpreter

    def _fromisoformat(text: str) -> datetime:
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text)


def iso_microseconds(text: str) -> int:
    """Microseconds since 1970-01-01T00:00:00Z of an ISO 8601 time (no offset means UTC).

    Raises ``ValueError`` for text that is not such a time.
    """
    moment = _fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return (moment - _EPOCH) // _MICROSECOND


def moment_of(microseconds: int) -> datetime:
    """The UTC datetime ``microseconds`` after 1970-01-01T00:00:00Z."""
    return _EPOCH + timedelta(microseconds=microseconds)


def _seconds_key(text: str) -> float:
    """A submit time in seconds (a number >= 0); ``ValueError`` otherwise."""
    seconds = float(text)
    if 0.0 <= seconds < _INF:
        return seconds
    raise ValueError(text)


def shown(value: object) -> str:
    """A short ``repr`` of a value for a message (at most 100 characters); never raises."""
    try:
        text = repr(value)
    except Exception:  # a repr that raises, an int too long to print, ...
        return f"<{type(value).__name__}>"
    return text if len(text) <= 100 else text[:97] + "..."


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The rules of each column, one function per column and per format (CSV text, JSON value).
# Each returns the column's value or raises _Bad with what was expected.


class _Bad(Exception):
    """A value that breaks its column's rule."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(expected)
        self.expected = expected
        self.found = found

    @property
    def message(self) -> str:
        return f"expected {self.expected}, found {self.found}"


def _cell(text: str) -> str:
    """How a CSV cell is quoted in a message."""
    return "an empty cell" if text == "" else shown(text)


def _json(value: object) -> str:
    """How a JSON value is quoted in a message."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return shown(value)
    return text if len(text) <= 100 else text[:97] + "..."


_EXPECT_NAME: Final = (
    "a job name of 1 to 63 letters, digits and hyphens that starts and ends with a letter or "
    "digit (SageMaker's TrainingJobName pattern)"
)
_EXPECT_TYPE: Final = "an instance type such as 'ml.m5.xlarge'"
_EXPECT_OUTCOME: Final = "Completed, Stopped or a failure class such as AlgorithmError"
_EXPECT_SECONDS: Final = "a number of seconds >= 0"
_EXPECT_BOOL: Final = "true, false, 1 or 0"
_EXPECT_JSON_BOOL: Final = "true or false"
_EXPECT_IDS: Final = "ids separated by ';'"
_EXPECT_JSON_IDS: Final = "a list of ids (strings)"
#: column -> (default, least value, what is expected) of the whole-number columns.
_WHOLE: Final[dict[str, tuple[int | None, int, str]]] = {
    "instance_count": (1, 1, "a whole number >= 1"),
    "volume_size_gb": (30, 1, "a whole number of GB >= 1"),
    "keep_alive_seconds": (
        None,
        0,
        "a whole number of seconds >= 0, or nothing for no warm pool",
    ),
    "max_runtime_seconds": (86400, 1, "a whole number of seconds >= 1"),
}


def _outcome(text: str, found: str) -> str:
    if text in ("Completed", "Stopped"):
        return text
    status = _STATUSES.get(text.lower())
    if status:
        raise _Bad(f"{status!r} (outcomes are case-sensitive)", found)
    if status is not None:
        raise _Bad(f"{_EXPECT_OUTCOME} (not a job status)", found)
    if not text.isidentifier():
        raise _Bad(_EXPECT_OUTCOME, found)
    return text


def _name(text: str, found: str) -> str:
    if _NAME(text) is None:
        raise _Bad(_EXPECT_NAME, found)
    return text


def _csv_whole(column: str) -> Callable[[str], int | None]:
    default, least, expected = _WHOLE[column]

    def parse(text: str) -> int | None:
        if not text:
            return default
        try:
            number = int(text)
        except ValueError:
            try:  # "3600.0", as pandas writes a column of whole numbers with gaps
                real = float(text)
            except ValueError:
                raise _Bad(expected, _cell(text)) from None
            if not real.is_integer():
                raise _Bad(expected, _cell(text)) from None
            number = int(real)
        if number < least:
            raise _Bad(expected, _cell(text))
        return number

    return parse


def _csv_seconds(text: str) -> float:
    try:
        return _seconds_key(text)
    except ValueError:
        raise _Bad(_EXPECT_SECONDS, _cell(text)) from None


_BOOLS: Final = {"true": True, "false": False, "1": True, "0": False}


def _csv_bool(text: str) -> bool:
    if not text:
        return False
    value = _BOOLS.get(text.strip().lower())
    if value is None:
        raise _Bad(_EXPECT_BOOL, _cell(text))
    return value


def _csv_ids(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    ids = tuple(item.strip() for item in text.split(";"))
    if "" in ids:
        raise _Bad(f"{_EXPECT_IDS} (no empty ones)", _cell(text))
    return ids


def _csv_type(text: str) -> str:
    if not text:
        raise _Bad(_EXPECT_TYPE, _cell(text))
    return text


def _csv_name(text: str) -> str | None:
    return _name(text, _cell(text)) if text else None


def _csv_outcome(text: str) -> str:
    return _outcome(text, _cell(text)) if text else "Completed"


#: column -> the rule of its CSV cells (``submit_time`` has its own, see ``_Kind``).
_CSV_RULES: Final[dict[str, Callable[[str], Any]]] = {
    "job_name": _csv_name,
    "role_arn": lambda text: text or DEFAULT_ROLE_ARN,
    "instance_type": _csv_type,
    "instance_count": _csv_whole("instance_count"),
    "volume_size_gb": _csv_whole("volume_size_gb"),
    "volume_kms_key_id": lambda text: text or None,
    "security_group_ids": _csv_ids,
    "subnets": _csv_ids,
    "network_isolation": _csv_bool,
    "inter_container_encryption": _csv_bool,
    "keep_alive_seconds": _csv_whole("keep_alive_seconds"),
    "training_seconds": _csv_seconds,
    "outcome": _csv_outcome,
    "max_runtime_seconds": _csv_whole("max_runtime_seconds"),
}


def _json_whole(column: str) -> Callable[[object], int | None]:
    default, least, expected = _WHOLE[column]

    def parse(value: object) -> int | None:
        if value is None:
            return default
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or value < least:
            raise _Bad(expected, _json(value))
        return value

    return parse


def _json_seconds(value: object) -> float:
    if type(value) in (int, float) and 0.0 <= value < _INF:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    raise _Bad(_EXPECT_SECONDS, _json(value))


def _json_bool(value: object) -> bool:
    if value is None:
        return False
    if type(value) is not bool:
        raise _Bad(_EXPECT_JSON_BOOL, _json(value))
    return value


def _json_ids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is not list or not all(type(item) is str and item for item in value):
        raise _Bad(f"{_EXPECT_JSON_IDS} (no empty ones)", _json(value))
    return tuple(value)


def _json_text(default: str | None, expected: str) -> Callable[[object], str | None]:
    def parse(value: object) -> str | None:
        if value is None or value == "":
            return default
        if type(value) is not str:
            raise _Bad(expected, _json(value))
        return value

    return parse


def _json_type(value: object) -> str:
    if type(value) is not str or not value:
        raise _Bad(_EXPECT_TYPE, _json(value))
    return value


def _json_name(value: object) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Bad(_EXPECT_NAME, _json(value))
    return _name(value, _json(value))


def _json_outcome(value: object) -> str:
    if value is None or value == "":
        return "Completed"
    if type(value) is not str:
        raise _Bad(_EXPECT_OUTCOME, _json(value))
    return _outcome(value, _json(value))


#: column -> the rule of its JSON values (``submit_time`` has its own, see ``_Kind``).
_JSON_RULES: Final[dict[str, Callable[[object], Any]]] = {
    "job_name": _json_name,
    "role_arn": _json_text(DEFAULT_ROLE_ARN, "an IAM role ARN (a string)"),
    "instance_type": _json_type,
    "instance_count": _json_whole("instance_count"),
    "volume_size_gb": _json_whole("volume_size_gb"),
    "volume_kms_key_id": _json_text(None, "a KMS key id or ARN (a string)"),
    "security_group_ids": _json_ids,
    "subnets": _json_ids,
    "network_isolation": _json_bool,
    "inter_container_encryption": _json_bool,
    "keep_alive_seconds": _json_whole("keep_alive_seconds"),
    "training_seconds": _json_seconds,
    "outcome": _json_outcome,
    "max_runtime_seconds": _json_whole("max_runtime_seconds"),
}


def _odd_outcome(outcome: object) -> bool:
    """Whether an outcome other than Completed and Stopped is a failure class."""
    return type(outcome) is str and outcome.isidentifier() and outcome.lower() not in _STATUSES


#: TraceJob's fields after ``submit_time``, in order (``line`` left out).
_JOB_ORDER: Final = tuple(field.name for field in attrs.fields(TraceJob))[1:-1]


def _vpc_pairing(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """The column left empty when only one of the two VpcConfig lists is given, and its
    partner; ``None`` when both or neither are given."""
    groups = values.get("security_group_ids", ())
    subnets = values.get("subnets", ())
    if bool(groups) == bool(subnets):
        return None
    return ("subnets", "security_group_ids") if groups else ("security_group_ids", "subnets")


def _config_of(
    rules: Mapping[str, Callable[[Any], Any]], values: Iterable[Any]
) -> tuple[str, tuple[Any, ...]]:
    """A job's checked configuration from its raw values in ``_CONFIG`` order: the instance
    type, and the rest in :class:`TraceJob`'s order."""
    parsed = {column: rules[column](value) for column, value in zip(_CONFIG, values, strict=True)}
    if _vpc_pairing(parsed) is not None:
        raise _Bad("both VpcConfig lists or neither", "one")
    return parsed["instance_type"], tuple(parsed[column] for column in _CONFIG[1:])


# ---------------------------------------------------------------------------------------------
# Submit times: all seconds, or all ISO 8601.


class _Kind:
    """Which kind of submit time a file uses; its first row decides."""

    def __init__(self) -> None:
        self.iso: bool | None = None
        self.first_line = 0

    def decide(self, is_iso: bool, line: int) -> None:
        self.iso = is_iso
        self.first_line = line

    def expected(self) -> str:
        if self.iso is None:
            return (
                "seconds from the trace's start (a number >= 0) or an ISO 8601 time such as "
                f"{_ISO_EXAMPLE}"
            )
        if self.iso:
            return (
                f"an ISO 8601 time such as {_ISO_EXAMPLE}, as on line {self.first_line} (a "
                "trace's submit times are all ISO 8601 or all seconds)"
            )
        return (
            f"seconds from the trace's start (a number >= 0), as on line {self.first_line} "
            "(a trace's submit times are all seconds or all ISO 8601)"
        )

    def csv_key(self, text: str, line: int) -> int | float:
        """The sort key of a CSV submit time (µs since 1970 for ISO 8601, else seconds); the
        file's first row decides its kind. Raises _Bad."""
        iso = (not _is_number(text)) if self.iso is None else self.iso
        try:
            key = iso_microseconds(text) if iso else _seconds_key(text)
        except ValueError:
            if not iso and _is_number(text):
                raise _Bad(_EXPECT_SECONDS, _cell(text)) from None
            raise _Bad(self.expected(), _cell(text)) from None
        if self.iso is None:
            self.decide(iso, line)
        return key

    def json_key(self, value: object, line: int) -> int | float:
        """As :meth:`csv_key`, for a JSON value: a number of seconds or an ISO 8601 string."""
        number = type(value) in (int, float)
        iso = (type(value) is str) if self.iso is None else self.iso
        key: int | float | None = None
        if number and not iso:
            if not 0.0 <= value < _INF:  # type: ignore[operator]
                raise _Bad(_EXPECT_SECONDS, _json(value))
            key = float(value)  # type: ignore[arg-type]
        elif iso and type(value) is str:
            with suppress(ValueError):
                key = iso_microseconds(value)
        if key is None:
            raise _Bad(self.expected(), _json(value))
        if self.iso is None:
            self.decide(iso, line)
        return key


# ---------------------------------------------------------------------------------------------
# Files.


def _format_of(path: Path) -> tuple[str, bool]:
    """``("csv" | "jsonl", gzipped)`` from a file's suffixes; TraceError for any other."""
    suffixes = [suffix.lower() for suffix in path.suffixes[-2:]]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    if gzipped:
        suffixes.pop()
    kind = suffixes[-1] if suffixes else ""
    if kind in (".csv", ".jsonl"):
        return kind[1:], gzipped
    raise TraceError(
        "expected a file named *.csv or *.jsonl (optionally compressed: *.csv.gz, *.jsonl.gz)",
        path=str(path),
        line=None,
        column=None,
    )


def _open_text(path: Path, gzipped: bool, newline: str | None) -> IO[str]:
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline=newline)
    return open(path, encoding="utf-8-sig", newline=newline)


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


class _NameFilter:
    """Finds repeated job names in bounded memory: a bitmap of the names' hashes (at most
    ``_NAME_FILTER_BYTES``, less for a small file), then an exact look at the names whose bit
    was already set, which costs a second pass over the file only when some bit was."""

    def __init__(self, file_size: int) -> None:
        size = 4096
        while size < min(file_size, _NAME_FILTER_BYTES):
            size <<= 1
        self.bits = bytearray(size)
        self.mask = size * 8 - 1
        self.suspects: set[int] = set()

    def add(self, name: str) -> None:
        bucket = hash(name) & self.mask
        byte = bucket >> 3
        bit = 1 << (bucket & 7)
        if self.bits[byte] & bit:
            self.suspects.add(bucket)
        else:
            self.bits[byte] |= bit

    def first_repeat(self, names: Iterable[tuple[int, str, bool]]) -> tuple[int, str, int] | None:
        """``(line, name, earlier line)`` of the first repeated name, if any, reading the
        file's ``(line, name, generated)`` again."""
        if not self.suspects:
            return None
        seen: dict[str, int] = {}
        mask, suspects = self.mask, self.suspects
        for line, name, _ in names:
            if hash(name) & mask in suspects:
                earlier = seen.setdefault(name, line)
                if earlier != line:
                    return line, name, earlier
        return None


def generated_name(row: int) -> str:
    """The name of the ``row``-th job (1-based, in file order) of a row with no job_name."""
    return f"job-{row:06d}"


class _Layout:
    """How one kind of file is read (a base for the trace formats and the loaders' layouts).

    :meth:`check` reads the whole file once, raising TraceError at the first problem, and
    sets ``rows``, ``in_order``, ``start`` (µs since 1970 of time 0, or None for a file of
    seconds) and ``skipped``. Then :meth:`jobs` streams the jobs in file order, :meth:`keys`
    gives each job's sort key from the file's lines (for sorting), and :meth:`job_at` reads
    one job from its line.
    """

    layout = "warmpool"
    newline: str | None = None
    #: array typecode of the sort keys.
    key_type = "d"

    def __init__(self, path: Path, gzipped: bool) -> None:
        self.path = path
        self.gzipped = gzipped
        self.where = str(path)
        self.rows = 0
        self.in_order = True
        self.start: int | None = None
        self.skipped: dict[str, int] = {}

    def open(self) -> IO[str]:
        return _open_text(self.path, self.gzipped, self.newline)

    def error(self, message: str, line: int | None, column: str | None = None) -> TraceError:
        return TraceError(message, path=self.where, line=line, column=column)

    def unreadable(self, exc: Exception, line: int) -> TraceError:
        if isinstance(exc, UnicodeDecodeError):
            return self.error(f"expected UTF-8 text ({exc.reason})", line)
        return self.error(f"expected a gzip-compressed file ({exc})", line)

    @contextmanager
    def reading(self, line: Callable[[], int]) -> Iterator[None]:
        """Turns a file that cannot be decoded into a TraceError at about ``line()``."""
        try:
            yield
        except csv.Error as exc:
            raise self.error(f"expected CSV: {exc}", line()) from None
        except _UNREADABLE as exc:
            raise self.unreadable(exc, self.unreadable_line() or line()) from None

    def unreadable_line(self) -> int | None:
        """The line where the file stops being readable (its first byte that is not UTF-8,
        or where a damaged gzip stream ends), read again line by line: the text reader
        decodes ahead of the line it is on, so its own count is only where it had got to."""
        line = 0
        try:
            with gzip.open(self.path) if self.gzipped else open(self.path, "rb") as raw:
                for data in raw:
                    line += 1
                    data.decode("utf-8")
        except UnicodeDecodeError:
            return line
        except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
            return line + 1
        return None

    def names(self, stream: IO[str]) -> Iterator[tuple[int, str, bool]]:  # pragma: no cover
        """``(line, name, generated)`` of each row of a checked file."""
        raise NotImplementedError

    def refuse_repeats(self, names: _NameFilter, generated_too: bool) -> None:
        """Raises at the first repeated job name. The check pass put the names of the file in
        ``names``, but not the generated ones: those cannot repeat each other, only a name
        given as ``job-...``, so they are added (one more pass) only if the file has both."""
        if generated_too:
            with self.open() as stream:
                for _, name, generated in self.names(stream):
                    if generated:
                        names.add(name)
        if names.suspects:
            with self.open() as stream:
                self.refuse_repeat(names.first_repeat(self.names(stream)))

    def refuse_repeat(self, repeat: tuple[int, str, int] | None) -> None:
        if repeat is not None:
            line, name, earlier = repeat
            raise self.error(
                f"expected each job name once, found {name!r} again (line {earlier} has it; a "
                f"row with no job_name is named {generated_name(1)!r}, ... by its place among "
                "the rows)",
                line,
                "job_name",
            )

    def check(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def jobs(self, stream: IO[str]) -> Iterator[TraceJob]:  # pragma: no cover - abstract
        raise NotImplementedError

    def keys(self, lines: Iterator[str]) -> Iterator[tuple[int, float]]:  # pragma: no cover
        raise NotImplementedError

    def job_at(self, text: str, line: int, row: int) -> TraceJob:  # pragma: no cover
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# The trace formats.


class _CsvLayout(_Layout):
    """warmpool's CSV format: a header naming the columns, then one job a line."""

    newline = ""

    def __init__(self, path: Path, gzipped: bool, ignore_unknown_columns: bool) -> None:
        super().__init__(path, gzipped)
        self.ignore_unknown_columns = ignore_unknown_columns
        self.header: list[str] = []
        self.header_lines = 1
        self.kind = _Kind()
        self.configs: dict[tuple[str, ...], tuple[str, tuple[Any, ...]]] = {}
        self.convert: Callable[[list[str], int, int], TraceJob] | None = None

    # -- the header

    def read_header(self, reader: Any) -> None:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise self.error(f"expected a CSV header line: {exc}", 1) from None
        if not header:
            raise self.error(
                f"expected a header line naming the columns, such as {','.join(REQUIRED_COLUMNS)}",
                1,
            )
        seen: set[str] = set()
        for column in header:
            if column in seen:
                raise self.error("expected each column once", 1, column)
            seen.add(column)
            if column not in _KNOWN and not self.ignore_unknown_columns:
                raise self.error(
                    "expected only the columns of a trace (" + ", ".join(COLUMNS) + "); "
                    "pass ignore_unknown_columns=True (--ignore-unknown-columns) to ignore "
                    "others",
                    1,
                    column,
                )
        for column in REQUIRED_COLUMNS:
            if column not in seen:
                raise self.error(f"expected a column {column!r} (it is required)", 1)
        self.header = header
        width = len(header)
        index = {column: i for i, column in enumerate(header) if column in _KNOWN}
        # A missing column reads the empty cell appended to every row.
        self.width = width
        self.i_submit = index["submit_time"]
        self.i_train = index["training_seconds"]
        self.i_name = index.get("job_name")
        self.pad = len(index) < len(_KNOWN)
        self.config_cells = operator.itemgetter(*(index.get(c, width) for c in _CONFIG))

    # -- the rows

    def config(self, cells: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
        """The checked configuration of a row's config cells, remembered."""
        config = self.configs.get(cells)
        if config is None:
            config = _config_of(_CSV_RULES, cells)
            if len(self.configs) < _CONFIG_CACHE:
                self.configs[cells] = config
        return config

    def diagnose(self, row: list[str], line: int) -> TraceError:
        """The first problem of a row, left to right (the slow path of a row that failed)."""
        if len(row) != self.width:
            return self.error(
                f"expected {self.width} cells (one for each column of the header), found "
                f"{len(row)}",
                line,
            )
        values: dict[str, Any] = {}
        for column, text in zip(self.header, row, strict=True):
            try:
                if column == "submit_time":
                    self.kind.csv_key(text, line)
                elif column in _CSV_RULES:
                    values[column] = _CSV_RULES[column](text)
            except _Bad as bad:
                return self.error(bad.message, line, column)
        pairing = _vpc_pairing(values)
        if pairing is not None:
            empty, given = pairing
            return self.error(
                f"expected {empty} too, found an empty cell: a VpcConfig needs both "
                f"security_group_ids and subnets ({given} is given)",
                line,
                empty,
            )
        return self.error("expected a readable row", line)  # pragma: no cover - a bug

    def check(self) -> None:
        line = 1
        with self.open() as stream, self.reading(lambda: line + 1):
            reader = csv.reader(stream)
            self.read_header(reader)
            header_lines = self.header_lines = reader.line_num
            width, i_submit, i_train = self.width, self.i_submit, self.i_train
            config_cells, configs, config = self.config_cells, self.configs, self.config
            pad = self.pad
            i_name = -1 if self.i_name is None else self.i_name
            names = _NameFilter(0 if self.i_name is None else self.path.stat().st_size)
            bits, mask, suspects = names.bits, names.mask, names.suspects
            to_key: Callable[[str], float] | None = None
            rows = blank = 0
            lookalike = unnamed = False
            previous, lowest = -_INF, _INF
            in_order = True
            for row in reader:
                if not row:  # an empty line
                    blank += 1
                    continue
                rows += 1
                if len(row) != width:
                    line = reader.line_num
                    raise self.diagnose(row, line)
                if pad:
                    row.append("")
                try:
                    if to_key is None:
                        key = self.kind.csv_key(row[i_submit], reader.line_num)
                        to_key = iso_microseconds if self.kind.iso else _seconds_key
                    else:
                        key = to_key(row[i_submit])
                    seconds = float(row[i_train])
                    if not 0.0 <= seconds < _INF:
                        raise ValueError(seconds)
                    cells = config_cells(row)
                    if cells not in configs:
                        config(cells)
                    if i_name >= 0:
                        name = row[i_name]
                        if not name:
                            unnamed = True
                        elif _NAME(name) is None:
                            raise ValueError(name)
                        else:
                            bucket = hash(name) & mask  # names.add(name), inlined
                            bit = 1 << (bucket & 7)
                            if bits[bucket >> 3] & bit:
                                suspects.add(bucket)
                            else:
                                bits[bucket >> 3] |= bit
                            if name[:4] == "job-":
                                lookalike = True
                except (ValueError, _Bad, OverflowError):
                    line = reader.line_num
                    raise self.diagnose(row[:width], line) from None
                if key < previous:
                    in_order = False
                if key < lowest:
                    lowest = key
                previous = key
            line = reader.line_num
        if header_lines + blank + rows != line:
            self.refuse_spanning_cells()
        self.rows = rows
        self.in_order = in_order
        if self.kind.iso and rows:
            self.start = int(lowest)
        if i_name >= 0:
            self.refuse_repeats(names, lookalike and unnamed)

    def refuse_spanning_cells(self) -> None:
        """Raises at the first row whose quoted cell spans lines (the file has one)."""
        with self.open() as stream:
            reader = csv.reader(stream)
            last = 0
            for _ in reader:
                if reader.line_num != last + 1:
                    raise self.error(
                        "expected one line per job, found a quoted cell spanning lines "
                        f"{last + 1} to {reader.line_num}",
                        reader.line_num,
                    )
                last = reader.line_num
        raise self.error("expected one line per job", None)  # pragma: no cover - a bug

    def column(self, lines: Iterable[str], index: int) -> Iterator[tuple[int, str]]:
        """``(line, cell)`` of one column of a checked file's rows, from its lines: split at
        commas when a line has no quotes (as the csv module would), else by the csv module."""
        parse = csv.reader
        header_lines = self.header_lines
        for line, text in enumerate(lines, 1):
            if line <= header_lines:
                continue
            body = text.rstrip("\r\n")
            if not body:
                continue
            if '"' in body or "\r" in body:
                yield line, next(parse((text,)))[index]
            else:
                yield line, body.split(",", index + 1)[index]

    def names(self, stream: IO[str]) -> Iterator[tuple[int, str, bool]]:
        assert self.i_name is not None
        for place, (line, name) in enumerate(self.column(stream, self.i_name), 1):
            yield line, name or generated_name(place), not name

    def converter(self) -> Callable[[list[str], int, int], TraceJob]:
        """A function making the job of a checked row (its cells, line and place)."""
        i_submit, i_train, i_name = self.i_submit, self.i_train, self.i_name
        config_cells, configs, config = self.config_cells, self.configs, self.config
        pad = self.pad
        start = self.start
        job: Callable[..., TraceJob] = TraceJob  # positional: the quickest call

        def convert(row: list[str], line: int, place: int) -> TraceJob:
            if pad:
                row.append("")
            try:
                if start is None:
                    submit = float(row[i_submit])
                else:
                    submit = (iso_microseconds(row[i_submit]) - start) / 1_000_000
                cells = config_cells(row)
                instance_type, rest = configs.get(cells) or config(cells)
                name = row[i_name] if i_name is not None else ""
                return job(
                    submit,
                    instance_type,
                    float(row[i_train]),
                    name or f"job-{place:06d}",
                    *rest,
                    line,
                )
            except (ValueError, _Bad, IndexError, OverflowError):
                raise self.changed(line) from None

        return convert

    def changed(self, line: int | None) -> TraceError:
        return self.error(
            "expected the rows that were checked when the trace was loaded; the file changed "
            "since: load it again",
            line,
        )

    def jobs(self, stream: IO[str]) -> Iterator[TraceJob]:
        reader = csv.reader(stream)
        if next(reader, None) != self.header:
            raise self.changed(1)
        convert = self.converter()
        place = 0
        for row in reader:
            if row:
                place += 1
                yield convert(row, reader.line_num, place)

    def keys(self, lines: Iterator[str]) -> Iterator[tuple[int, float]]:
        to_key = iso_microseconds if self.kind.iso else _seconds_key
        for line, text in self.column(lines, self.i_submit):
            yield line, to_key(text)

    def job_at(self, text: str, line: int, row: int) -> TraceJob:
        if self.convert is None:
            self.convert = self.converter()
        return self.convert(next(csv.reader((text,))), line, row)


class _JsonLinesLayout(_Layout):
    """warmpool's JSON Lines format: one JSON object a line, keyed by column."""

    def __init__(self, path: Path, gzipped: bool, ignore_unknown_columns: bool) -> None:
        super().__init__(path, gzipped)
        self.ignore_unknown_columns = ignore_unknown_columns
        self.kind = _Kind()

    def parse(self, text: str, line: int) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise self.error(f"expected a JSON object: {exc}", line) from None
        if type(value) is not dict:
            raise self.error(f"expected a JSON object, found {_json(value)}", line)
        if not self.ignore_unknown_columns and not value.keys() <= _KNOWN:
            unknown = next(key for key in value if key not in _KNOWN)
            raise self.error(
                "expected only the columns of a trace (" + ", ".join(COLUMNS) + "); pass "
                "ignore_unknown_columns=True (--ignore-unknown-columns) to ignore others",
                line,
                unknown,
            )
        return value

    def values(self, row: dict[str, Any], line: int) -> tuple[float, dict[str, Any]]:
        """The sort key and the checked values of a row."""
        get = row.get
        column = "submit_time"
        try:
            key = self.kind.json_key(get(column), line)
            values = {}
            for column, rule in _JSON_RULES.items():
                values[column] = rule(get(column))
        except _Bad as bad:
            if column not in row and column in REQUIRED_COLUMNS:
                raise self.error(
                    "expected a value (the column is required)", line, column
                ) from None
            raise self.error(bad.message, line, column) from None
        pairing = _vpc_pairing(values)
        if pairing is not None:
            empty, given = pairing
            raise self.error(
                f"expected {empty} too: a VpcConfig needs both security_group_ids and subnets "
                f"({given} is given)",
                line,
                empty,
            )
        return key, values

    def quick(self, row: dict[str, Any]) -> tuple[float, tuple[Any, ...]]:
        """The sort key and the job's values after ``submit_time`` of a row whose values are
        spelt the usual way; any exception sends the row to :meth:`values`, which decides."""
        get = row.get
        submit = get("submit_time")
        iso = self.kind.iso  # None until the first row (read by the slow path) decides
        if iso and type(submit) is str:
            key: float = iso_microseconds(submit)
        elif (
            iso is False and (type(submit) is float or type(submit) is int) and 0.0 <= submit < _INF
        ):
            key = float(submit)
        else:
            raise ValueError(submit)
        instance_type = get("instance_type")
        seconds = get("training_seconds")
        name = get("job_name") or None
        role = get("role_arn") or DEFAULT_ROLE_ARN
        count = get("instance_count", 1)
        volume = get("volume_size_gb", 30)
        kms = get("volume_kms_key_id") or None
        groups = get("security_group_ids") or ()
        subnets = get("subnets") or ()
        isolation = get("network_isolation", False)
        encryption = get("inter_container_encryption", False)
        keep = get("keep_alive_seconds")
        outcome = get("outcome") or "Completed"
        runtime = get("max_runtime_seconds", 86400)
        if (
            type(instance_type) is not str
            or not instance_type
            or not ((type(seconds) is float or type(seconds) is int) and 0.0 <= seconds < _INF)
            or (name is not None and (type(name) is not str or _NAME(name) is None))
            or type(role) is not str
            or type(count) is not int
            or count < 1
            or type(volume) is not int
            or volume < 1
            or (kms is not None and type(kms) is not str)
            or (isolation is not False and isolation is not True)
            or (encryption is not False and encryption is not True)
            or (keep is not None and (type(keep) is not int or keep < 0))
            or type(runtime) is not int
            or runtime < 1
            or (outcome != "Completed" and outcome != "Stopped" and not _odd_outcome(outcome))
        ):
            raise ValueError(row)
        if groups or subnets:
            if type(groups) is not list or type(subnets) is not list:
                raise ValueError(row)
            groups, subnets = tuple(groups), tuple(subnets)
            if not (groups and subnets) or not all(
                type(item) is str and item for item in groups + subnets
            ):
                raise ValueError(row)
        return key, (
            instance_type,
            float(seconds),
            name,
            role,
            count,
            volume,
            kms,
            groups,
            subnets,
            isolation,
            encryption,
            keep,
            outcome,
            runtime,
        )

    def checked(self, row: dict[str, Any], line: int) -> tuple[float, tuple[Any, ...]]:
        """:meth:`quick`, or the slow path that accepts or refuses each value by its rule."""
        try:
            return self.quick(row)
        except (ValueError, TypeError, AttributeError, OverflowError):
            key, values = self.values(row, line)
            return key, tuple(values[column] for column in _JOB_ORDER)

    def check(self) -> None:
        names = _NameFilter(self.path.stat().st_size)
        previous, lowest = -_INF, _INF
        in_order = True
        rows = line = 0
        lookalike = unnamed = False
        with self.open() as stream, self.reading(lambda: line + 1):
            for line, text in enumerate(stream, 1):
                if not text.strip():
                    continue
                rows += 1
                key, values = self.checked(self.parse(text, line), line)
                name = values[2]
                if name is None:
                    unnamed = True
                else:
                    names.add(name)
                    if name[:4] == "job-":
                        lookalike = True
                if key < previous:
                    in_order = False
                if key < lowest:
                    lowest = key
                previous = key
        self.rows = rows
        self.in_order = in_order
        if self.kind.iso and rows:
            self.start = int(lowest)
        self.refuse_repeats(names, lookalike and unnamed)

    def names(self, stream: IO[str]) -> Iterator[tuple[int, str, bool]]:
        """As the base class says. A checked row's name is a JSON string or null; read from
        the text when it is plainly there (one object, the key once, no escapes), else by
        parsing the row."""
        rows = 0
        search = _JSON_NAME.search
        for line, text in enumerate(stream, 1):
            if text.strip():
                rows += 1
                found = search(text)
                if found and text.count("{") == 1 and text.count('"job_name"') == 1:
                    name = found.group(1)
                else:
                    name = json.loads(text).get("job_name")
                yield line, name or generated_name(rows), not name

    def job_at(self, text: str, line: int, row: int) -> TraceJob:
        try:
            key, values = self.checked(self.parse(text, line), line)
        except TraceError:
            raise self.error(
                "expected the rows that were checked when the trace was loaded; the file "
                "changed since: load it again",
                line,
            ) from None
        submit = key if self.start is None else (key - self.start) / 1_000_000
        instance_type, seconds, name, *rest = values
        job: Callable[..., TraceJob] = TraceJob
        return job(submit, instance_type, seconds, name or f"job-{row:06d}", *rest, line)

    def jobs(self, stream: IO[str]) -> Iterator[TraceJob]:
        rows = 0
        for line, text in enumerate(stream, 1):
            if text.strip():
                rows += 1
                yield self.job_at(text, line, rows)

    def keys(self, lines: Iterator[str]) -> Iterator[tuple[int, float]]:
        kind = self.kind
        for line, text in enumerate(lines, 1):
            if text.strip():
                yield line, kind.json_key(json.loads(text).get("submit_time"), line)


# ---------------------------------------------------------------------------------------------
# Trace: a checked file, iterated in submit order.


class _Index:
    """Where each job of an out-of-order file is, in submit order: byte offset, length,
    line and place (1-based, in file order) of its line, in a plain (uncompressed) file."""

    def __init__(self, layout: _Layout) -> None:
        keys: array[Any] = array(layout.key_type)
        offsets = array("q")
        lengths = array("q")
        lines = array("q")
        position = [0, 0]
        copy: IO[bytes] | None = None
        self.data = layout.path
        self.temporary: str | None = None
        if layout.gzipped:  # decompressed once, to a file deleted with the trace
            handle, name = tempfile.mkstemp(prefix="warmpool-trace-", suffix=".txt")
            copy = os.fdopen(handle, "wb")
            self.data = Path(name)
            self.temporary = name
        source = gzip.open(layout.path, "rb") if layout.gzipped else open(layout.path, "rb")  # noqa: SIM115

        def texts() -> Iterator[str]:
            at = 0
            for raw in source:
                position[0] = at
                position[1] = len(raw)
                at += len(raw)
                if copy is not None:
                    copy.write(raw)
                yield raw.decode("utf-8-sig")

        try:
            for line, key in layout.keys(texts()):
                keys.append(key)
                offsets.append(position[0])
                lengths.append(position[1])
                lines.append(line)
        except Exception:
            raise layout.error(  # the same checks passed a moment ago
                "expected the rows that were checked when the trace was loaded; the file "
                "changed since: load it again",
                None,
            ) from None
        finally:
            source.close()
            if copy is not None:
                copy.close()
        if len(keys) != layout.rows:
            raise layout.error(
                f"expected {layout.rows} jobs when reading the file's lines, found {len(keys)} "
                "(does the file end its lines with '\\r' only?)",
                None,
            )
        order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: ties keep file order
        del keys
        self.offsets = array("q", map(offsets.__getitem__, order))
        del offsets
        self.lengths = array("q", map(lengths.__getitem__, order))
        del lengths
        self.lines = array("q", map(lines.__getitem__, order))
        del lines
        self.places = array("q", (place + 1 for place in order))

    def jobs(self, layout: _Layout) -> Iterator[TraceJob]:
        with open(self.data, "rb", buffering=0) as data:
            for offset, length, line, place in zip(
                self.offsets, self.lengths, self.lines, self.places, strict=True
            ):
                data.seek(offset)
                yield layout.job_at(data.read(length).decode("utf-8-sig"), line, place)


class Trace:
    """A checked trace file: iterating yields its :class:`TraceJob` s in submit order (stable:
    rows with equal submit times keep their order in the file), reading the file again each
    time. Opening one (:func:`load_trace`) reads all of it once and raises :class:`TraceError`
    at its first problem, so a replay never starts on a file it cannot finish.

    ``len(trace)`` is the number of jobs. ``start`` is the moment of time 0, the earliest
    submit time of a file of ISO 8601 times, or ``None`` for a file of seconds. ``in_order``
    says whether the file was already in submit order (if not, iterating reads the rows by
    their positions, kept in an index of about 32 bytes a row). ``skipped`` counts the rows a
    loader of a public cluster trace could not use, by reason (always empty for a warmpool
    trace). ``layout`` is ``"warmpool"`` or the loader's layout.
    """

    def __init__(self, path: str | Path, *, ignore_unknown_columns: bool = False) -> None:
        path = Path(path)
        kind, gzipped = _format_of(path)
        layout_type = _CsvLayout if kind == "csv" else _JsonLinesLayout
        self._open(layout_type(path, gzipped, ignore_unknown_columns))

    @classmethod
    def _of(cls, layout: _Layout) -> Trace:
        """A trace read by ``layout`` (used by the loaders)."""
        trace = cls.__new__(cls)
        trace._open(layout)
        return trace

    def _open(self, layout: _Layout) -> None:
        self.path = layout.path
        self._layout = layout
        self._stamp = _stamp(layout.path)
        layout.check()
        self._index = None if layout.in_order else _Index(layout)
        if self._index is not None and self._index.temporary is not None:
            weakref.finalize(self, _remove, self._index.temporary)

    @property
    def start(self) -> datetime | None:
        start = self._layout.start
        return None if start is None else moment_of(start)

    @property
    def in_order(self) -> bool:
        return self._layout.in_order

    @property
    def skipped(self) -> Mapping[str, int]:
        return MappingProxyType(self._layout.skipped)

    @property
    def layout(self) -> str:
        return self._layout.layout

    def __len__(self) -> int:
        return self._layout.rows

    def __repr__(self) -> str:
        return f"<Trace {str(self.path)!r}: {len(self)} jobs, layout {self.layout!r}>"

    def __iter__(self) -> Iterator[TraceJob]:
        layout = self._layout
        if self._index is None or self._index.temporary is None:
            try:
                unchanged = _stamp(layout.path) == self._stamp
            except OSError:
                unchanged = False
            if not unchanged:
                raise layout.error(
                    "expected the file that was checked when the trace was loaded; it changed "
                    "since: load it again",
                    None,
                )
        if self._index is not None:
            return self._index.jobs(layout)
        return self._stream(layout)

    @staticmethod
    def _stream(layout: _Layout) -> Iterator[TraceJob]:
        with layout.open() as stream:
            yield from layout.jobs(stream)


def _remove(name: str) -> None:
    with suppress(OSError):
        os.remove(name)


def load_trace(path: str | Path, *, ignore_unknown_columns: bool = False) -> Trace:
    """Open and check a trace file (``.csv`` or ``.jsonl``, optionally ``.gz``).

    Reads the whole file once and raises :class:`TraceError` (naming the file, line and
    column, and what was expected) at its first problem; a column the format does not know is
    refused unless ``ignore_unknown_columns``. The :class:`Trace` returned streams the jobs in
    submit order each time it is iterated.
    """
    return Trace(path, ignore_unknown_columns=ignore_unknown_columns)


# ---------------------------------------------------------------------------------------------
# Writing.


def _number(value: object) -> str:
    if type(value) is float and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if type(value) is float else str(value)


def _bool_cell(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _iso(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _utc(start: datetime) -> datetime:
    if start.tzinfo is None:
        return start.replace(tzinfo=_UTC)
    return start.astimezone(_UTC)


def _job_values(job: TraceJob) -> dict[str, Any]:
    values = {column: getattr(job, column) for column in COLUMNS}
    for column in ("security_group_ids", "subnets"):
        if isinstance(values[column], list):
            values[column] = tuple(values[column])
    return values


def _csv_cells(values: Mapping[str, Any], submit: str) -> list[str]:
    cells = []
    for column in COLUMNS:
        value = values[column]
        if column == "submit_time":
            cells.append(submit)
        elif value is None:
            cells.append("")
        elif column in ("security_group_ids", "subnets"):
            cells.append(";".join(str(item) for item in value))
        elif column in ("network_isolation", "inter_container_encryption"):
            cells.append(_bool_cell(value))
        elif column in ("training_seconds",) or column in _WHOLE:
            cells.append(_number(value))
        else:
            cells.append(str(value))
    return cells


def _json_object(values: Mapping[str, Any], submit: object) -> dict[str, Any]:
    row = dict(values)
    row["submit_time"] = submit
    for column in ("security_group_ids", "subnets"):
        if isinstance(row[column], tuple):
            row[column] = list(row[column])
    return row


def _reads_back(
    rules: Mapping[str, Callable[[Any], Any]],
    raw: Mapping[str, Any],
    values: Mapping[str, Any],
) -> tuple[str, str] | None:
    """The first column whose written value does not read back as the job's, with why."""
    read: dict[str, Any] = {}
    for column in COLUMNS[1:]:
        cell = raw[column]
        if rules is _CSV_RULES and any(character in cell for character in "\r\n\x00"):
            return column, (
                f"expected a value with no line break or NUL, found {shown(values[column])}"
            )
        try:
            read[column] = rules[column](cell)
        except _Bad as bad:
            return column, bad.message
        if column == "job_name" and values[column] is None:
            continue
        same = read[column] == values[column] and (
            type(read[column]) is type(values[column]) or type(values[column]) in (int, float)
        )
        if not same:
            return column, (
                f"expected a value that reads back as itself, found {shown(values[column])} "
                f"(it would read as {shown(read[column])})"
            )
    pairing = _vpc_pairing(read)
    if pairing is not None:
        return pairing[0], (
            f"expected {pairing[0]} too: a VpcConfig needs both security_group_ids and subnets"
        )
    return None


def write_trace(
    path: str | Path, jobs: Iterable[TraceJob], *, start: datetime | None = None
) -> int:
    """Write ``jobs`` as a trace (CSV or JSON Lines, by the suffix; ``.gz`` compresses) in
    their order, with the columns in :data:`COLUMNS` order; returns the rows written.

    ``submit_time`` is written as seconds, or, given ``start``, as ISO 8601 UTC times
    (``start`` + seconds, to the microsecond; a ``start`` with no offset is UTC). A job with
    no ``job_name`` gets an empty cell (read back as ``job-000001``, ... by its place). Each
    job is checked so that :func:`load_trace` reads it back as it was given; a job that would
    not is refused with a :class:`TraceError` naming the line and column it would have had, and
    nothing is written (the file appears only when all is written).
    """
    path = Path(path)
    kind, gzipped = _format_of(path)
    start = None if start is None else _utc(start)
    rules = _CSV_RULES if kind == "csv" else _JSON_RULES
    name = str(path.with_name(f".{path.name}.{os.getpid()}.{next(_WRITES)}.tmp"))
    rows = 0
    try:
        with _create(name, gzipped) as stream:
            writer = csv.writer(stream, lineterminator="\n") if kind == "csv" else None
            if writer is not None:
                writer.writerow(COLUMNS)
            for rows, job in enumerate(jobs, 1):
                line = rows + 1 if writer is not None else rows
                values = _job_values(job)
                seconds = values["submit_time"]
                if (
                    type(seconds) not in (int, float)
                    or not 0 <= seconds < _INF
                    or (start is not None and _iso_overflows(start, seconds))
                ):
                    raise TraceError(
                        f"expected {_EXPECT_SECONDS} from the trace's start, found "
                        f"{shown(seconds)}",
                        path=str(path),
                        line=line,
                        column="submit_time",
                    )
                submit: Any = _iso(start, seconds) if start is not None else seconds
                if writer is not None:
                    text = submit if start is not None else _number(seconds)
                    raw: Mapping[str, Any] = dict(
                        zip(COLUMNS, _csv_cells(values, text), strict=True)
                    )
                else:
                    raw = _json_object(values, submit)
                problem = _reads_back(rules, raw, values)
                if problem is not None:
                    raise TraceError(problem[1], path=str(path), line=line, column=problem[0])
                if writer is not None:
                    writer.writerow(raw.values())
                else:
                    stream.write(json.dumps(raw, separators=(",", ":")) + "\n")
        os.replace(name, path)
    except BaseException:
        _remove(name)
        raise
    return rows


def _create(name: str, gzipped: bool) -> IO[str]:
    """A new file (refused if it exists) to write text to."""
    if gzipped:
        return gzip.open(name, "xt", encoding="utf-8", newline="")
    return open(name, "x", encoding="utf-8", newline="")


#: Numbers the temporary files of writes in progress.
_WRITES: Final = itertools.count(1)


def _iso_overflows(start: datetime, seconds: float) -> bool:
    try:
        start + timedelta(seconds=seconds)
    except OverflowError:
        return True
    return False
