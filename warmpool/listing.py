"""``ListTrainingJobs``: filters, sorting and ``NextToken`` paging over sorted indexes (D20,
D36).

A page costs O(log N + what it reads): the jobs are kept in three sorted indexes (by name, by
creation time and by status), a ``NextToken`` holds the sort key of the last job returned, and a
page starts by bisecting to just after it, then reads jobs in order, keeping those that pass the
filters, until the page is full and one more match shows there is a next page. Filters on the
sort key itself (``StatusEquals`` when sorting by status, the creation-time bounds when sorting
by creation time) bisect to their range instead of reading past it. Paging through N jobs
therefore costs O(N) in all, not O(N) per page.

The indexes are built on the first call and kept up to date afterwards, so a simulation that
never lists pays nothing for them.
"""

from __future__ import annotations

import json
import math
from base64 import urlsafe_b64decode, urlsafe_b64encode
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from . import lifecycle as lc
from .clock import VirtualClock
from .errors import ValidationException
from .jobs import AnyJob
from .validation import load_model, problem, validation_error

__all__ = ["Listing", "SortedJobs", "StatusIndex"]

_OPERATION: Final = "ListTrainingJobs"
_STATUS: Final = lc.TRAINING_JOB_STATUS
_JOB_STATUSES: Final = tuple(load_model()["shapes"]["TrainingJobStatus"]["enum"])
_BLOCK: Final = 512  # jobs per block of a SortedJobs

Key = tuple[Any, ...]

#: The sort key of a job for each ``SortBy`` (ties sort by name, D20).
SORT_KEYS: Final[Mapping[str, Callable[[AnyJob], Key]]] = {
    "Name": lambda job: (job.name,),
    "CreationTime": lambda job: (job.created_at, job.name),
    "Status": lambda job: (_STATUS[job.state], job.name),
}


class SortedJobs:
    """Jobs sorted by a key, in blocks of at most a few hundred (so inserting and removing
    cost O(log N + block size), never a shift of the whole list).

    Keys are computed from the jobs when needed (``key(job)``), never stored; a caller whose
    job's key changes removes it with the old key first.
    """

    __slots__ = ("_blocks", "_key", "_maxes")

    def __init__(self, key: Callable[[AnyJob], Key], jobs: list[AnyJob] | None = None) -> None:
        self._key = key
        ordered = sorted(jobs or [], key=key)
        self._blocks: list[list[AnyJob]] = [
            ordered[i : i + _BLOCK] for i in range(0, len(ordered), _BLOCK)
        ]
        self._maxes: list[Key] = [key(block[-1]) for block in self._blocks]

    def __len__(self) -> int:
        return sum(len(block) for block in self._blocks)

    def add(self, job: AnyJob) -> None:
        key = self._key(job)
        blocks, maxes = self._blocks, self._maxes
        if not blocks:
            blocks.append([job])
            maxes.append(key)
            return
        index = bisect_left(maxes, key)
        if index == len(blocks):  # past every block: append to the last
            index -= 1
            maxes[index] = key
        block = blocks[index]
        insort(block, job, key=self._key)
        if len(block) > 2 * _BLOCK:
            blocks[index : index + 1] = [block[:_BLOCK], block[_BLOCK:]]
            maxes[index : index + 1] = [self._key(block[_BLOCK - 1]), self._key(block[-1])]

    def remove(self, job: AnyJob, key: Key | None = None) -> None:
        """Remove ``job``, whose key is ``key`` (default: its key now)."""
        key = self._key(job) if key is None else key
        blocks, maxes = self._blocks, self._maxes
        index = bisect_left(maxes, key)
        block = blocks[index]
        position = bisect_left(block, key, key=self._key)
        while block[position] is not job:  # equal keys cannot happen (names are unique)
            position += 1
        del block[position]
        if not block:
            del blocks[index]
            del maxes[index]
        elif position == len(block):
            maxes[index] = self._key(block[-1])

    def after(self, key: Key | None, *, descending: bool = False) -> Iterator[AnyJob]:
        """The jobs whose key is after ``key`` (all, if ``None``) in ascending order, or before
        it in descending order."""
        blocks, maxes = self._blocks, self._maxes
        sort_key = self._key
        if not descending:
            if key is None:
                index, position = 0, 0
            else:
                index = bisect_right(maxes, key)
                position = (
                    bisect_right(blocks[index], key, key=sort_key) if index < len(blocks) else 0
                )
            for block in blocks[index : index + 1]:
                yield from block[position:]
            for block in blocks[index + 1 :]:
                yield from block
            return
        end: int | None  # in the first block read, where to stop (None: its whole length)
        if key is None:
            index, end = len(blocks) - 1, None
        else:
            index = bisect_left(maxes, key)
            if index == len(blocks):
                index, end = len(blocks) - 1, None
            else:
                end = bisect_left(blocks[index], key, key=sort_key)
        for number in range(index, -1, -1):
            block = blocks[number]
            last = len(block) if number != index or end is None else end
            for offset in range(last - 1, -1, -1):
                yield block[offset]


class StatusIndex:
    """Jobs sorted by ``(TrainingJobStatus, name)``: one :class:`SortedJobs` by name per status,
    so a job whose status changes moves between them, found by its name."""

    __slots__ = ("_parts",)

    def __init__(self, jobs: list[AnyJob]) -> None:
        self._parts: dict[str, SortedJobs] = {}
        by_status: dict[str, list[AnyJob]] = {}
        for job in jobs:
            by_status.setdefault(_STATUS[job.state], []).append(job)
        for status, members in by_status.items():
            self._parts[status] = SortedJobs(_NAME_KEY, members)

    def add(self, job: AnyJob) -> None:
        status = _STATUS[job.state]
        part = self._parts.get(status)
        if part is None:
            part = self._parts[status] = SortedJobs(_NAME_KEY)
        part.add(job)

    def remove(self, job: AnyJob, status: str | None = None) -> None:
        """Remove ``job``, whose status is ``status`` (default: its status now)."""
        self._parts[_STATUS[job.state] if status is None else status].remove(job)

    def after(self, key: Key | None, *, descending: bool = False) -> Iterator[AnyJob]:
        """As :meth:`SortedJobs.after`, for keys ``(status, name)``."""
        for status in sorted(self._parts, reverse=descending):
            part = self._parts[status]
            if key is None:
                yield from part.after(None, descending=descending)
                continue
            if (status < key[0]) if not descending else (status > key[0]):
                continue
            within = (key[1],) if status == key[0] else None
            yield from part.after(within, descending=descending)


def _name_key(job: AnyJob) -> Key:
    return (job.name,)


_NAME_KEY: Final = _name_key


class Listing:
    """Answers ``ListTrainingJobs`` for one emulator from its job table."""

    __slots__ = ("_clock", "_indexes", "_jobs", "active")

    def __init__(self, jobs: dict[str, AnyJob], clock: VirtualClock) -> None:
        self._jobs = jobs
        self._clock = clock
        self._indexes: dict[str, SortedJobs | StatusIndex] | None = None  # built when first used
        #: Whether the indexes exist (and must be told of every change).
        self.active = False

    # -- keeping the indexes -------------------------------------------------------------------

    def added(self, job: AnyJob) -> None:
        if self._indexes is not None:
            for index in self._indexes.values():
                index.add(job)

    def replaced(self, old: AnyJob, new: AnyJob) -> None:
        """``new`` (a finished job's record) stands for ``old`` from now on."""
        if self._indexes is not None:
            for index in self._indexes.values():
                index.remove(old)
                index.add(new)

    def removed(self, job: AnyJob) -> None:
        if self._indexes is not None:
            for index in self._indexes.values():
                index.remove(job)

    def status_changed(self, job: AnyJob, previous: str) -> None:
        """``job``'s ``TrainingJobStatus`` was ``previous`` until now."""
        if self._indexes is not None and previous != _STATUS[job.state]:
            index = self._indexes["Status"]
            assert isinstance(index, StatusIndex)
            index.remove(job, previous)
            index.add(job)

    def _built(self) -> dict[str, SortedJobs | StatusIndex]:
        if self._indexes is None:
            jobs = list(self._jobs.values())
            self._indexes = {
                "Name": SortedJobs(SORT_KEYS["Name"], jobs),
                "CreationTime": SortedJobs(SORT_KEYS["CreationTime"], jobs),
                "Status": StatusIndex(jobs),
            }
            self.active = True
        return self._indexes

    # -- the operation ----------------------------------------------------------------------------

    def page(self, request: Mapping[str, Any]) -> tuple[list[AnyJob], str | None]:
        """The jobs of one page of a valid request, and the ``NextToken`` if there is more."""
        sort_by = request.get("SortBy", "CreationTime")
        sort_order = request.get("SortOrder", "Ascending")
        descending = sort_order == "Descending"
        limit: int = request.get("MaxResults", 10)  # the model bounds it to 1..100
        cursor = None
        if request.get("NextToken"):
            cursor = _decode_token(request["NextToken"], sort_by, sort_order)
        bounds = {}
        for field in (
            "CreationTimeAfter",
            "CreationTimeBefore",
            "LastModifiedTimeAfter",
            "LastModifiedTimeBefore",
        ):
            if field in request:
                try:
                    bounds[field] = self._clock.seconds(request[field])
                except (TypeError, ValueError, OverflowError) as error:
                    raise _invalid(
                        field, request[field], f"Member must be a timestamp ({error})"
                    ) from None
                except Exception as error:  # a datetime subclass or tzinfo of the caller's
                    raise _invalid(
                        field,
                        request[field],
                        f"Member must be a timestamp (reading it raised {type(error).__name__})",
                    ) from None
        c_after = bounds.get("CreationTimeAfter", -math.inf)
        c_before = bounds.get("CreationTimeBefore", math.inf)
        m_after = bounds.get("LastModifiedTimeAfter", -math.inf)
        m_before = bounds.get("LastModifiedTimeBefore", math.inf)
        name_contains = request.get("NameContains")
        needle = None if name_contains is None else name_contains.lower()
        status_equals = request.get("StatusEquals")
        pool_equals = request.get("WarmPoolStatusEquals")
        plan_equals = request.get("TrainingPlanArnEquals")

        # Where to start reading, and when to stop, from the filters on the sort key.
        start = cursor
        stop: Callable[[AnyJob], bool] | None = None
        if sort_by == "Status" and status_equals is not None:
            edge = (status_equals, "")
            if not descending and (start is None or start < edge):
                start = edge  # every name sorts after ""
            elif descending and (start is None or start > (status_equals, "\U0010ffff")):
                start = (status_equals, "\U0010ffff")
            stop = lambda job: _STATUS[job.state] != status_equals  # noqa: E731
        elif sort_by == "CreationTime":
            if not descending and c_after > -math.inf:
                edge = (c_after, "\U0010ffff")  # strictly after: past every name at c_after
                start = edge if start is None or start < edge else start
            elif descending and c_before < math.inf:
                edge = (c_before, "")
                start = edge if start is None or start > edge else start
            if not descending and c_before < math.inf:
                stop = lambda job: job.created_at >= c_before  # noqa: E731
            elif descending and c_after > -math.inf:
                stop = lambda job: job.created_at <= c_after  # noqa: E731

        def matches(job: AnyJob) -> bool:
            return (
                (needle is None or needle in job.name.lower())
                and (status_equals is None or _STATUS[job.state] == status_equals)
                and (pool_equals is None or job.pool == pool_equals)
                and (plan_equals is None or job.spec.training_plan == plan_equals)
                and c_after < job.created_at < c_before
                and m_after < job.last_modified < m_before
            )

        page: list[AnyJob] = []
        more = False
        for job in self._built()[sort_by].after(start, descending=descending):
            if stop is not None and stop(job):
                break
            if matches(job):
                if len(page) == limit:
                    more = True
                    break
                page.append(job)
        token = _encode_token(sort_by, sort_order, SORT_KEYS[sort_by](page[-1])) if more else None
        return page, token


def _invalid(field: str, value: object, rule: str) -> ValidationException:
    return validation_error([problem(field, value, rule)], _OPERATION)


def _encode_token(sort_by: str, sort_order: str, key: Key) -> str:
    raw = json.dumps([sort_by, sort_order, list(key)], separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: object, sort_by: str, sort_order: str) -> Key:
    def refuse(rule: str) -> ValidationException:
        return _invalid("NextToken", token, rule)

    try:
        assert isinstance(token, str)
        by, order, key = json.loads(urlsafe_b64decode(token.encode()))
    except Exception:
        raise refuse("Member must be a NextToken returned by ListTrainingJobs") from None
    if (by, order) != (sort_by, sort_order):
        raise refuse(
            f"Member was issued for SortBy={by}, SortOrder={order}; repeat the request with "
            "the same sorting"
        )
    if not isinstance(key, list) or not _CURSOR_CHECKS[sort_by](key):
        raise refuse("Member must be a NextToken returned by ListTrainingJobs")
    return tuple(key)


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: What the cursor in a NextToken must look like for each SortBy (see SORT_KEYS).
_CURSOR_CHECKS: Final[dict[str, Callable[[list[Any]], bool]]] = {
    "Name": lambda key: len(key) == 1 and isinstance(key[0], str),
    "CreationTime": lambda key: len(key) == 2 and _is_seconds(key[0]) and isinstance(key[1], str),
    "Status": lambda key: len(key) == 2 and key[0] in _JOB_STATUSES and isinstance(key[1], str),
}
