"""Timelines of a simulation: every cluster's life as a Gantt chart, with the instances in
training and retained in warm pools beneath (``docs/replay.md``, "Timelines").

:class:`TimelineRecorder` subscribes to an emulator's events and keeps what a timeline needs,
within bounds set when it is made, at the moment each event arrives: the emulator may keep no
event log and forget finished jobs. :meth:`TimelineRecorder.timeline` takes a snapshot
(:class:`Timeline`); :func:`render_timeline` draws one as PNG or SVG (matplotlib) or as a
self-contained HTML page with hover details (plotly), both from the extra
``sagemaker-warmpool[plot]``. Neither library is imported until something is drawn.
"""

from __future__ import annotations

import heapq
import importlib
import importlib.util
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import attrs

from warmpool import Quota, WarmPoolEmulator
from warmpool.errors import ControlError, WarmPoolError
from warmpool.events import (
    Event,
    JobCreated,
    JobReleased,
    PoolKept,
    PoolReused,
    PoolTerminated,
    QuotaRefused,
    TrainingStarted,
)

from .replay import UNLIMITED

__all__ = [
    "AVAILABLE",
    "COLD_START",
    "FORMATS",
    "MAX_JOBS_PER_ROW",
    "MAX_POINTS",
    "MAX_ROWS",
    "MAX_USAGE_PANELS",
    "NO_KEEP_ALIVE",
    "SEGMENT_KINDS",
    "TRAINING",
    "WARM_START",
    "ClusterTimeline",
    "Segment",
    "Timeline",
    "TimelineRecorder",
    "Usage",
    "UsagePoint",
    "check_timeline_path",
    "render_timeline",
]

#: The kinds of :class:`Segment`, in the order a cluster goes through them.
COLD_START: Final = "cold start"
WARM_START: Final = "warm start"
TRAINING: Final = "training"
AVAILABLE: Final = "Available"
SEGMENT_KINDS: Final = (COLD_START, WARM_START, TRAINING, AVAILABLE)

#: How a cluster ended when its last job had no warm pool at all (no keep-alive asked): the
#: emulator logs no ``PoolTerminated`` for such a job, so the recorder names the reason.
NO_KEEP_ALIVE: Final = "NoKeepAlive"

#: Defaults: clusters drawn, jobs drawn in detail on one cluster's row, points kept of each
#: instance type's usage series.
MAX_ROWS: Final = 60
MAX_JOBS_PER_ROW: Final = 500
MAX_POINTS: Final = 2000
#: Instance types drawn beneath the chart (those with the highest peak use).
MAX_USAGE_PANELS: Final = 4

#: The file suffixes :func:`render_timeline` writes, and the library each needs.
FORMATS: Final = {".png": "matplotlib", ".svg": "matplotlib", ".html": "plotly"}

_INSTALL: Final = "pip install 'sagemaker-warmpool[plot]'"

# One colour for each meaning, in every format.
_COLOURS: Final = {
    COLD_START: "#ff7f0e",
    WARM_START: "#2ca02c",
    TRAINING: "#1f77b4",
    AVAILABLE: "#17becf",
}
_ENDED_COLOUR: Final = "#000000"
_NOT_DRAWN_COLOUR: Final = "#c7c7c7"
_USED_COLOUR: Final = "#7f7f7f"
_REFUSED_COLOUR: Final = "#d62728"
_NOT_DRAWN: Final = "jobs not drawn"

# The marker of each way a cluster ends: (matplotlib marker, plotly symbol).
_END_MARKERS: Final = {
    NO_KEEP_ALIVE: ("|", "line-ns-open"),
    "Expired": ("x", "x-thin-open"),
    "Released": ("s", "square"),
    "PatchUpdate": ("P", "cross"),
    "LifetimeCap": (">", "triangle-right"),
    "Unhealthy": ("X", "x"),
    "WarmPoolQuota": ("v", "triangle-down"),
}
_OTHER_END: Final = ("o", "circle")


# -- what a timeline holds ---------------------------------------------------------------------


@attrs.frozen
class Segment:
    """One phase of a cluster's life, for one job, in seconds since the clock's epoch.

    ``kind`` is one of :data:`SEGMENT_KINDS`. ``end`` is ``None`` while it lasts. ``outcome``:
    for ``training``, the job's final status (``"Completed"``, ``"Failed"``, ``"Stopped"``, or
    ``"Stopped (MaxRuntimeExceeded)"`` when the secondary status differs); for a ``warm
    start`` that ended before training, the job's final status; for ``Available``, how the
    pool ended (``"Reused by <job>"``, ``"Expired"``, ``"LifetimeCap"``, ...); else ``None``.
    """

    kind: str
    job: str
    start: float
    end: float | None
    outcome: str | None = None


@attrs.frozen
class ClusterTimeline:
    """One cluster's life: from its cold start (the launching job's ``CreateTrainingJob``)
    through every job it served to how it ended.

    ``instances`` are ``(instance type, count)`` of each instance group (empty if the recorder
    could not learn them, see ``docs/replay.md``). ``jobs`` counts every job it served; the
    segments of jobs after the first ``max_jobs_per_row`` are not kept: ``jobs_not_drawn``
    counts them and ``not_drawn`` is the span they cover (its end ``None`` while it lasts).
    ``ended`` and ``end_reason`` are ``None`` while the cluster lives.
    """

    cluster: int
    instances: tuple[tuple[str, int], ...]
    created: float
    launched: float
    jobs: int
    segments: tuple[Segment, ...]
    ended: float | None
    end_reason: str | None
    jobs_not_drawn: int = 0
    not_drawn: tuple[float, float | None] | None = None

    @property
    def label(self) -> str:
        """How the chart names its row: ``#3 ml.m5.xlarge x2, 5 jobs``."""
        kinds = " + ".join(f"{kind} x{count}" for kind, count in self.instances) or "?"
        return f"#{self.cluster} {kinds}, {self.jobs} job{'s' if self.jobs != 1 else ''}"


@attrs.frozen
class UsagePoint:
    """Instances of one type from ``time`` until the next point.

    In an exact series (``Usage.bucket_seconds is None``) these are the values after every
    event of the instant ``time``; in a summarised one each is the highest value over the
    bucket that starts at ``time`` (``used`` is the highest sum, not the sum of the highest).
    The refusal counts are those of the instant or bucket.
    """

    time: float
    in_training: int
    retained: int
    used: int
    training_refusals: int = 0
    warm_pool_refusals: int = 0


@attrs.frozen
class Usage:
    """One instance type's use over time, counted as the quota ledger counts it: ``in
    training`` are instances of jobs ``InProgress`` or ``Stopping`` (from their create, cold or
    warm), ``retained`` those of ``Available`` warm pools, ``used`` both.

    The peaks and refusal totals are exact even when the points are summarised. ``limits``
    are the limits when the snapshot was taken (the recorder does not see changes of a limit).
    """

    instance_type: str
    points: tuple[UsagePoint, ...]
    bucket_seconds: float | None
    peak_in_training: int
    peak_retained: int
    peak_used: int
    training_refusals: int
    warm_pool_refusals: int
    limits: Quota


@attrs.frozen
class Timeline:
    """A snapshot of a :class:`TimelineRecorder`: what the chart draws.

    Times are seconds since ``epoch`` (the emulator clock's). ``start`` is the first recorded
    event, ``end`` the emulator's time when the snapshot was taken (or when the recorder was
    detached). ``clusters`` are those drawn, by cluster number: all of them, or beyond
    ``max_rows`` the ``max_rows`` that served the most jobs (ties: the longer lived, then the
    earlier launched). ``usage`` has every instance type seen, by name.
    """

    epoch: datetime
    start: float
    end: float
    clusters: tuple[ClusterTimeline, ...]
    clusters_launched: int
    jobs: int
    warm_starts: int
    launches_cancelled: int
    usage: tuple[Usage, ...]
    max_rows: int

    @property
    def clusters_not_shown(self) -> int:
        """Clusters launched but not drawn."""
        return self.clusters_launched - len(self.clusters)

    def iso(self, seconds: float) -> str:
        """``seconds`` since the epoch as ISO 8601 UTC: ``2026-01-01T00:03:00Z``."""
        moment = (self.epoch + timedelta(seconds=seconds)).astimezone(timezone.utc)
        spec = "milliseconds" if moment.microsecond else "seconds"
        return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# -- the recorder's state ----------------------------------------------------------------------


class _Job:
    """A job the recorder follows: created and not yet released, or holding a warm pool."""

    __slots__ = ("created", "groups")

    def __init__(self, groups: tuple[tuple[str, int], ...], created: float) -> None:
        self.groups = groups
        self.created = created


# A segment as the recorder keeps it: (kind, job, start, end, outcome).
_Seg = tuple[str, str, float, float, str | None]


class _Cluster:
    """A cluster the recorder keeps in detail."""

    __slots__ = (
        "created",
        "drawn",
        "end_reason",
        "ended",
        "groups",
        "hidden",
        "hidden_end",
        "hidden_start",
        "id",
        "jobs",
        "launched",
        "open",
        "segments",
        "shown",
    )

    def __init__(
        self, cluster: int, groups: tuple[tuple[str, int], ...], created: float, launched: float
    ) -> None:
        self.id = cluster
        self.groups = groups
        self.created = created
        self.launched = launched
        self.jobs = 0
        self.drawn = 0  # jobs whose segments are kept
        self.shown = True  # whether the current job's segments are kept
        self.hidden = 0  # jobs whose segments are not kept
        self.hidden_start: float | None = None
        self.hidden_end: float | None = None
        self.segments: list[_Seg] = []
        self.open: tuple[str, str, float] | None = None  # (kind, job, start)
        self.ended: float | None = None
        self.end_reason: str | None = None

    def join(self, max_jobs: int) -> None:
        """One more job runs on this cluster."""
        self.jobs += 1
        self.shown = self.drawn < max_jobs
        if self.shown:
            self.drawn += 1
        else:
            self.hidden += 1

    def close(self, at: float, outcome: str | None) -> None:
        """End the open segment at ``at``."""
        if self.open is None:
            return
        kind, job, start = self.open
        self.open = None
        self.add(kind, job, start, at, outcome)

    def add(self, kind: str, job: str, start: float, end: float, outcome: str | None) -> None:
        if self.shown:
            self.segments.append((kind, job, start, end, outcome))
        else:
            if self.hidden_start is None:
                self.hidden_start = start
            self.hidden_end = end

    def score(self, now: float) -> tuple[int, float, int]:
        """Busier first: more jobs served, then a longer life, then launched earlier."""
        end = self.ended if self.ended is not None else now
        return (self.jobs, end - self.created, -self.id)

    def snapshot(self, ended: tuple[float, str] | None = None) -> ClusterTimeline:
        """What it looks like now; ``ended`` overrides how it ended (a release just seen)."""
        segments = [Segment(*segment) for segment in self.segments]
        hidden_start, hidden_end = self.hidden_start, self.hidden_end
        if self.open is not None:
            kind, job, start = self.open
            if self.shown:
                segments.append(Segment(kind, job, start, None))
            else:
                if hidden_start is None:
                    hidden_start = start
                hidden_end = None
        end_at, reason = (self.ended, self.end_reason) if ended is None else ended
        return ClusterTimeline(
            cluster=self.id,
            instances=self.groups,
            created=self.created,
            launched=self.launched,
            jobs=self.jobs,
            segments=tuple(segments),
            ended=end_at,
            end_reason=reason,
            jobs_not_drawn=self.hidden,
            not_drawn=None if hidden_start is None else (hidden_start, hidden_end),
        )


class _Series:
    """One instance type's use over time, in at most ``limit`` points.

    Values are committed once per instant (what the instant ends with). The points are exact
    until there are more than ``limit``; then they become buckets of equal width, each keeping
    the highest values over it and the values it ends with, and the width doubles (adjacent
    buckets merge) whenever there would be more than ``limit`` again.
    """

    __slots__ = (
        "a",
        "b",
        "in_training",
        "la",
        "lb",
        "limit",
        "origin",
        "peak_a",
        "peak_b",
        "peak_u",
        "pending_rt",
        "pending_rw",
        "retained",
        "rt",
        "rw",
        "times",
        "total_rt",
        "total_rw",
        "u",
        "width",
    )

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_training = 0
        self.retained = 0
        self.pending_rt = 0
        self.pending_rw = 0
        self.total_rt = 0
        self.total_rw = 0
        self.peak_a = self.peak_b = self.peak_u = 0
        self.width: float | None = None  # None: exact points
        self.origin = 0.0
        # times (exact: seconds; summarised: bucket numbers), highest values (a: in training,
        # b: retained, u: used), last values, refusals.
        self.times: list[float] = []
        self.a: list[int] = []
        self.b: list[int] = []
        self.u: list[int] = []
        self.la: list[int] = []
        self.lb: list[int] = []
        self.rt: list[int] = []
        self.rw: list[int] = []

    def copy(self) -> _Series:
        other = _Series(self.limit)
        for name in _Series.__slots__:
            value = getattr(self, name)
            setattr(other, name, list(value) if isinstance(value, list) else value)
        return other

    def commit(self, at: float) -> None:
        """Record the values the instant ``at`` ends with."""
        a, b = self.in_training, self.retained
        rt, rw = self.pending_rt, self.pending_rw
        self.pending_rt = self.pending_rw = 0
        self.total_rt += rt
        self.total_rw += rw
        self.peak_a = max(self.peak_a, a)
        self.peak_b = max(self.peak_b, b)
        self.peak_u = max(self.peak_u, a + b)
        if self.width is None:
            self._append(at, a, b, a + b, a, b, rt, rw)
            if len(self.times) > self.limit:
                self._summarise()
        else:
            self._bucket(at, a, b, rt, rw)

    def _append(
        self, at: float, a: int, b: int, u: int, la: int, lb: int, rt: int, rw: int
    ) -> None:
        self.times.append(at)
        self.a.append(a)
        self.b.append(b)
        self.u.append(u)
        self.la.append(la)
        self.lb.append(lb)
        self.rt.append(rt)
        self.rw.append(rw)

    def _summarise(self) -> None:
        """Exact points -> buckets: about ``limit / 2`` of them over the span so far."""
        times, a, b, rt, rw = self.times, self.a, self.b, self.rt, self.rw
        self.origin = times[0]
        self.width = max((times[-1] - times[0]) / max(self.limit // 2, 1), 1e-6)
        self.times, self.a, self.b, self.u, self.la, self.lb, self.rt, self.rw = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for point in zip(times, a, b, rt, rw, strict=True):
            self._bucket(*point)

    def _bucket(self, at: float, a: int, b: int, rt: int, rw: int) -> None:
        assert self.width is not None
        key = float((at - self.origin) // self.width)
        if self.origin + key * self.width > at:  # rounding: a bucket never starts after `at`
            key -= 1
        if self.times and self.times[-1] == key:
            self.a[-1] = max(self.a[-1], a)
            self.b[-1] = max(self.b[-1], b)
            self.u[-1] = max(self.u[-1], a + b)
            self.la[-1], self.lb[-1] = a, b
            self.rt[-1] += rt
            self.rw[-1] += rw
            return
        ha, hb, hu = a, b, a + b
        if at > self.origin + key * self.width:  # the bucket began with the values before
            before_a, before_b = (self.la[-1], self.lb[-1]) if self.times else (0, 0)
            ha, hb, hu = max(ha, before_a), max(hb, before_b), max(hu, before_a + before_b)
        self._append(key, ha, hb, hu, a, b, rt, rw)
        while len(self.times) > self.limit:
            self._coarsen()

    def _coarsen(self) -> None:
        """Double the bucket width: buckets 2k and 2k+1 become bucket k."""
        assert self.width is not None
        self.width *= 2
        old = (self.times, self.a, self.b, self.u, self.la, self.lb, self.rt, self.rw)
        self.times, self.a, self.b, self.u, self.la, self.lb, self.rt, self.rw = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for key, a, b, u, la, lb, rt, rw in zip(*old, strict=True):
            merged = float(key // 2)
            if self.times and self.times[-1] == merged:
                self.a[-1] = max(self.a[-1], a)
                self.b[-1] = max(self.b[-1], b)
                self.u[-1] = max(self.u[-1], u)
                self.la[-1], self.lb[-1] = la, lb
                self.rt[-1] += rt
                self.rw[-1] += rw
                continue
            if key % 2:  # its first half had no bucket: it began with the values before
                before_a, before_b = (self.la[-1], self.lb[-1]) if self.times else (0, 0)
                a, b, u = max(a, before_a), max(b, before_b), max(u, before_a + before_b)
            self._append(merged, a, b, u, la, lb, rt, rw)

    def points(self, end: float) -> tuple[UsagePoint, ...]:
        if self.width is None:
            return tuple(
                UsagePoint(*point)
                for point in zip(self.times, self.a, self.b, self.u, self.rt, self.rw, strict=True)
            )
        points: list[UsagePoint] = []
        width, origin = self.width, self.origin
        count = len(self.times)
        for i in range(count):
            key = self.times[i]
            start = origin + key * width
            points.append(
                UsagePoint(start, self.a[i], self.b[i], self.u[i], self.rt[i], self.rw[i])
            )
            after = origin + (key + 1) * width
            adjacent = i + 1 < count and self.times[i + 1] == key + 1
            if not adjacent and (i + 1 < count or after < end):
                la, lb = self.la[i], self.lb[i]
                points.append(UsagePoint(after, la, lb, la + lb))
        return tuple(points)


# -- the recorder ------------------------------------------------------------------------------


def _bound(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"TimelineRecorder: {name} must be an int, not {value!r}")
    if value < 1:
        raise ValueError(f"TimelineRecorder: {name} must be >= 1, not {value!r}")
    return value


class TimelineRecorder:
    """Records what a timeline draws from an emulator's events, as they arrive.

    Make one with :meth:`attach` before the first ``CreateTrainingJob`` (jobs and clusters
    from before are not recorded). It uses the emulator's public API only: it subscribes to
    ``emu.events``, and on each ``JobCreated`` asks ``emu.identity_key(name)`` for the job's
    instance type and count (``emu.describe_training_job`` for a job of instance groups).

    Memory is bounded: every cluster keeps its detail while it lives; once it has ended it is
    kept only if it is among the ``max_rows`` busiest so far, and a row keeps the segments of
    its first ``max_jobs_per_row`` jobs; each instance type's usage is at most ``max_points``
    points (summarised beyond, keeping the peaks).
    """

    def __init__(
        self,
        emu: WarmPoolEmulator,
        *,
        max_rows: int = MAX_ROWS,
        max_jobs_per_row: int = MAX_JOBS_PER_ROW,
        max_points: int = MAX_POINTS,
    ) -> None:
        if not isinstance(emu, WarmPoolEmulator):
            raise TypeError(f"TimelineRecorder: emu must be a WarmPoolEmulator, not {emu!r}")
        self.max_rows = _bound("max_rows", max_rows)
        self.max_jobs_per_row = _bound("max_jobs_per_row", max_jobs_per_row)
        self.max_points = _bound("max_points", max_points)
        self._emu = emu
        self._epoch = emu.clock.epoch
        self._unsubscribe: Callable[[], None] | None = None
        self._detached_at: float | None = None
        self._start: float | None = None
        self._now = emu.now  # the instant being recorded
        self._jobs = 0
        self._warm_starts = 0
        self._launched = 0
        self._cancelled = 0
        self._live: dict[str, _Job] = {}  # created, not released
        self._pooled: dict[str, _Job] = {}  # holding an Available pool
        self._clusters: dict[int, _Cluster] = {}  # living clusters
        # Ended clusters kept in detail: the busiest so far, and a min-heap of their scores.
        self._ended: dict[int, _Cluster] = {}
        self._scores: list[tuple[int, float, int]] = []
        # The job released last, while its warm pool event may still follow:
        # (job, what we know of it, cluster, when).
        self._released: tuple[str, _Job, int, float] | None = None
        self._series: dict[str, _Series] = {}
        self._dirty: set[_Series] = set()
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            JobCreated: self._created,
            TrainingStarted: self._started,
            JobReleased: self._job_released,
            PoolKept: self._kept,
            PoolReused: self._reused,
            PoolTerminated: self._terminated,
            QuotaRefused: self._refused,
        }

    @classmethod
    def attach(
        cls,
        emu: WarmPoolEmulator,
        *,
        max_rows: int = MAX_ROWS,
        max_jobs_per_row: int = MAX_JOBS_PER_ROW,
        max_points: int = MAX_POINTS,
    ) -> TimelineRecorder:
        """A recorder subscribed to ``emu.events``."""
        recorder = cls(
            emu, max_rows=max_rows, max_jobs_per_row=max_jobs_per_row, max_points=max_points
        )
        recorder._unsubscribe = emu.events.subscribe(recorder)
        return recorder

    def detach(self) -> None:
        """Stop recording; a timeline taken afterwards ends at this moment."""
        with self._emu.lock:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
                self._detached_at = self._emu.now

    @property
    def held_segments(self) -> int:
        """Segments held in detail now (the recorder's memory grows with this, and with the
        jobs and warm pools alive and the usage points)."""
        with self._emu.lock:
            clusters = [*self._ended.values(), *self._clusters.values()]
            return sum(len(c.segments) for c in clusters)

    # -- events ------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """Take one event (the emulator calls this for each one)."""
        at = event.time
        if at != self._now:
            for series in self._dirty:
                series.commit(self._now)
            self._dirty.clear()
            self._now = at
        released = self._released
        if released is not None and (event.job != released[0] or type(event) not in _AFTER_RELEASE):
            # No warm pool event followed the release: the job had no warm pool status.
            self._released = None
            self._end(released[2], released[3], NO_KEEP_ALIVE)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _use(self, instance_type: str) -> _Series:
        series = self._series.get(instance_type)
        if series is None:
            series = self._series[instance_type] = _Series(self.max_points)
        self._dirty.add(series)
        return series

    def _created(self, event: JobCreated) -> None:
        if self._start is None:
            self._start = event.time
        self._jobs += 1
        job = _Job(self._groups(event.job), event.time)
        self._live[event.job] = job
        for instance_type, count in job.groups:
            self._use(instance_type).in_training += count

    def _groups(self, name: str) -> tuple[tuple[str, int], ...]:
        """The job's (instance type, count) of each instance group, from the emulator."""
        emu = self._emu
        try:
            key = emu.identity_key(name)
            if key.instance_type is not None and key.instance_count is not None:
                return ((key.instance_type, key.instance_count),)
            config = emu.describe_training_job(TrainingJobName=name)["ResourceConfig"]
        except (ControlError, WarmPoolError):
            return ()  # already forgotten: it lived and ended within one instant
        return tuple(
            (group["InstanceType"], group["InstanceCount"])
            for group in config.get("InstanceGroups", ())
        )

    def _started(self, event: TrainingStarted) -> None:
        if event.warm:
            cluster = self._clusters.get(event.cluster)
            if cluster is not None:
                cluster.close(event.time, None)
                cluster.open = (TRAINING, event.job, event.time)
            return
        job = self._live.get(event.job)
        if job is None:
            return
        cluster = _Cluster(event.cluster, job.groups, job.created, event.time)
        self._launched += 1
        self._clusters[event.cluster] = cluster
        cluster.join(self.max_jobs_per_row)
        cluster.add(COLD_START, event.job, job.created, event.time, None)
        cluster.open = (TRAINING, event.job, event.time)

    def _job_released(self, event: JobReleased) -> None:
        job = self._live.pop(event.job, None)
        if job is None:
            return
        for instance_type, count in job.groups:
            self._use(instance_type).in_training -= count
        if event.cluster is None:  # stopped or failed before its cluster launched
            self._cancelled += 1
            return
        cluster = self._clusters.get(event.cluster)
        if cluster is not None:
            outcome = event.status
            if event.secondary_status != event.status:
                outcome = f"{event.status} ({event.secondary_status})"
            cluster.close(event.time, outcome)
        self._released = (event.job, job, event.cluster, event.time)

    def _kept(self, event: PoolKept) -> None:
        released, self._released = self._released, None
        if released is None or released[0] != event.job:
            return
        job = released[1]
        self._pooled[event.job] = job
        for instance_type, count in job.groups:
            self._use(instance_type).retained += count
        cluster = self._clusters.get(event.cluster)
        if cluster is not None:
            cluster.open = (AVAILABLE, event.job, event.time)

    def _reused(self, event: PoolReused) -> None:
        self._warm_starts += 1
        donor = self._pooled.pop(event.job, None)
        if donor is not None:
            for instance_type, count in donor.groups:
                self._use(instance_type).retained -= count
        cluster = self._clusters.get(event.cluster)
        if cluster is not None:
            cluster.close(event.time, f"Reused by {event.by_job}")
            cluster.join(self.max_jobs_per_row)
            cluster.open = (WARM_START, event.by_job, event.time)

    def _terminated(self, event: PoolTerminated) -> None:
        pooled = self._pooled.pop(event.job, None)
        if pooled is not None:  # an Available pool ended
            for instance_type, count in pooled.groups:
                self._use(instance_type).retained -= count
            cluster = self._clusters.get(event.cluster) if event.cluster is not None else None
            if cluster is not None:
                cluster.close(event.time, event.reason)
        else:  # not kept at release
            self._released = None
        if event.cluster is not None:
            self._end(event.cluster, event.time, event.reason)

    def _refused(self, event: QuotaRefused) -> None:
        if self._start is None:
            self._start = event.time
        series = self._use(event.instance_type)
        if event.quota == "training":
            series.pending_rt += 1
        else:
            series.pending_rw += 1

    def _end(self, cluster_id: int, at: float, reason: str) -> None:
        cluster = self._clusters.pop(cluster_id, None)
        if cluster is None:
            return
        cluster.close(at, None)
        cluster.ended = at
        cluster.end_reason = reason
        score = cluster.score(at)
        if len(self._scores) < self.max_rows:
            heapq.heappush(self._scores, score)
        elif score > self._scores[0]:
            dropped = heapq.heapreplace(self._scores, score)
            del self._ended[-dropped[2]]
        else:
            return
        self._ended[cluster.id] = cluster

    # -- results -----------------------------------------------------------------------------

    def timeline(self) -> Timeline:
        """A snapshot of what has been recorded, up to the emulator's time now (or to when the
        recorder was detached)."""
        emu = self._emu
        with emu.lock:
            end = emu.now if self._detached_at is None else self._detached_at
            pending = self._released
            candidates = [*self._ended.values(), *self._clusters.values()]

            def score(cluster: _Cluster) -> tuple[int, float, int]:
                if pending is not None and cluster.ended is None and cluster.id == pending[2]:
                    return cluster.score(pending[3])
                return cluster.score(end)

            chosen = sorted(heapq.nlargest(self.max_rows, candidates, key=score), key=_id)
            clusters = tuple(
                c.snapshot(
                    (pending[3], NO_KEEP_ALIVE)
                    if pending is not None and c.ended is None and c.id == pending[2]
                    else None,
                )
                for c in chosen
            )
            usage = []
            for instance_type in sorted(self._series):
                series = self._series[instance_type]
                if series in self._dirty:
                    series = series.copy()
                    series.commit(self._now)
                usage.append(
                    Usage(
                        instance_type=instance_type,
                        points=series.points(end),
                        bucket_seconds=series.width,
                        peak_in_training=series.peak_a,
                        peak_retained=series.peak_b,
                        peak_used=series.peak_u,
                        training_refusals=series.total_rt,
                        warm_pool_refusals=series.total_rw,
                        limits=emu.quotas[instance_type],
                    )
                )
            return Timeline(
                epoch=self._epoch,
                start=end if self._start is None else self._start,
                end=end,
                clusters=clusters,
                clusters_launched=self._launched,
                jobs=self._jobs,
                warm_starts=self._warm_starts,
                launches_cancelled=self._cancelled,
                usage=tuple(usage),
                max_rows=self.max_rows,
            )

    def render(self, path: str | Path) -> Path:
        """Draw the timeline to ``path`` (see :func:`render_timeline`)."""
        return render_timeline(self, path)


# The events that may follow a JobReleased for the same job at release.
_AFTER_RELEASE: Final = frozenset({PoolKept, PoolTerminated, QuotaRefused})


def _id(cluster: _Cluster) -> int:
    return cluster.id


# -- drawing -----------------------------------------------------------------------------------


def check_timeline_path(path: str | Path) -> str:
    """The format ``path`` asks for (``"png"``, ``"svg"`` or ``"html"``), once it is known
    that the library drawing it is installed; so a command can refuse before a long replay.

    ``ValueError`` for any other suffix; ``ImportError`` telling what to install when the
    library is missing.
    """
    suffix = Path(path).suffix.lower()
    library = FORMATS.get(suffix)
    if library is None:
        raise ValueError(
            f"timeline: cannot draw {str(path)!r}: the file name must end in "
            f"{', '.join(FORMATS)} (got {suffix or 'no suffix'!r})"
        )
    if importlib.util.find_spec(library) is None:
        raise ImportError(_missing(library, suffix))
    return suffix[1:]


def _missing(library: str, suffix: str) -> str:
    return (
        f"timeline: drawing a {suffix} timeline needs {library}, which is not installed: {_INSTALL}"
    )


def _library(name: str, suffix: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(_missing(name.split(".")[0], suffix)) from error


def render_timeline(source: TimelineRecorder | Timeline, path: str | Path) -> Path:
    """Draw a timeline to ``path``, in the format its suffix names: ``.png`` or ``.svg``
    (matplotlib) or ``.html`` (plotly, one self-contained file with hover details). Returns
    the path written. See :func:`check_timeline_path` for the errors."""
    path = Path(path)
    fmt = check_timeline_path(path)
    timeline = source.timeline() if isinstance(source, TimelineRecorder) else source
    if not isinstance(timeline, Timeline):
        raise TypeError(
            f"render_timeline: source must be a TimelineRecorder or a Timeline, not {source!r}"
        )
    if fmt == "html":
        _draw_html(timeline, path)
    else:
        _draw_matplotlib(timeline, path, fmt)
    return path


def _duration(seconds: float) -> str:
    """``3725`` -> ``1h 02m 05s``; ``20`` -> ``20s``; ``0.5`` -> ``0.5s``."""
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


def _panels(timeline: Timeline) -> list[Usage]:
    """The instance types drawn beneath the chart: those a quota refused most first, then the
    highest peak use, then by name."""
    ranked = sorted(
        timeline.usage,
        key=lambda u: (
            -(u.training_refusals + u.warm_pool_refusals),
            -u.peak_used,
            u.instance_type,
        ),
    )
    return ranked[:MAX_USAGE_PANELS]


def _headline(timeline: Timeline) -> list[str]:
    """The chart's title lines: what happened, and what is not shown."""
    lines = [
        f"warmpool timeline: {_plural(timeline.jobs, 'job')}, "
        f"{_plural(timeline.clusters_launched, 'cluster')} launched, "
        f"{_plural(timeline.warm_starts, 'warm start')}; "
        f"{timeline.iso(timeline.start)} to {timeline.iso(timeline.end)}"
    ]
    if timeline.clusters_not_shown:
        lines.append(
            f"{len(timeline.clusters):,} of {timeline.clusters_launched:,} clusters shown "
            f"(those that served the most jobs); {timeline.clusters_not_shown:,} not shown"
        )
    hidden = sum(c.jobs_not_drawn for c in timeline.clusters)
    if hidden:
        lines.append(f"{hidden:,} jobs on busy rows not drawn in detail (grey, hatched)")
    others = len(timeline.usage) - len(_panels(timeline))
    if others > 0:
        lines.append(f"usage of {others} more instance type{'s' if others > 1 else ''} not shown")
    return lines


def _panel_title(usage: Usage) -> str:
    limits = usage.limits
    training = "none" if limits.training is None else f"{limits.training:,}"
    # a replay's "no limit" (warmpool.sim.replay.UNLIMITED) is a very large number
    warm_pool = "none" if limits.warm_pool >= UNLIMITED else f"{limits.warm_pool:,}"
    title = (
        f"{usage.instance_type}: peak {usage.peak_used:,} instances used "
        f"({usage.peak_in_training:,} in training, {usage.peak_retained:,} retained); "
        f"limits: training {training}, warm pool {warm_pool}"
    )
    refusals = []
    if usage.training_refusals:
        refusals.append(f"{_plural(usage.training_refusals, 'create')} refused")
    if usage.warm_pool_refusals:
        refusals.append(f"{_plural(usage.warm_pool_refusals, 'pool')} not kept")
    if refusals:
        title += "; " + ", ".join(refusals)
    if usage.bucket_seconds is not None:
        title += f"; peaks per {_duration(usage.bucket_seconds)}"
    return title


def _plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _limit_lines(usage: Usage) -> list[tuple[str, int, str]]:
    """The limits worth drawing (label, value, colour): those near the values drawn."""
    top = max(usage.peak_used, 1) * 1.5
    lines = []
    if usage.limits.training is not None and usage.limits.training <= top:
        lines.append(("training limit", usage.limits.training, _USED_COLOUR))
    if usage.limits.warm_pool <= top:
        lines.append(("warm pool limit", usage.limits.warm_pool, _COLOURS[AVAILABLE]))
    return lines


def _steps(usage: Usage, end: float) -> tuple[list[float], list[int], list[int], list[int]]:
    """The points, and one more at ``end`` so the steps reach it."""
    times = [p.time for p in usage.points]
    a = [p.in_training for p in usage.points]
    b = [p.retained for p in usage.points]
    u = [p.used for p in usage.points]
    if times and times[-1] < end:
        times.append(end)
        a.append(a[-1])
        b.append(b[-1])
        u.append(u[-1])
    return times, a, b, u


def _draw_matplotlib(timeline: Timeline, path: Path, fmt: str) -> None:
    suffix = f".{fmt}"
    matplotlib = _library("matplotlib", suffix)
    collections = _library("matplotlib.collections", suffix)
    dates = _library("matplotlib.dates", suffix)
    figure = _library("matplotlib.figure", suffix)
    lines_module = _library("matplotlib.lines", suffix)
    patches = _library("matplotlib.patches", suffix)
    ticker = _library("matplotlib.ticker", suffix)

    rows = timeline.clusters
    panels = _panels(timeline)
    base = float(dates.date2num(timeline.epoch))

    def x(seconds: float) -> float:
        return base + seconds / 86400.0

    gantt_height = 1.0 + 0.24 * max(len(rows), 2)
    panel_height = 1.7
    headline = _headline(timeline)
    with matplotlib.rc_context(
        {"svg.hashsalt": "warmpool-timeline", "svg.fonttype": "path", "font.size": 8}
    ):
        fig = figure.Figure(
            figsize=(14, 0.6 + 0.2 * len(headline) + gantt_height + panel_height * len(panels)),
            dpi=100,
            layout="constrained",
        )
        grid = fig.add_gridspec(
            1 + len(panels), 1, height_ratios=[gantt_height] + [panel_height] * len(panels)
        )
        ax = fig.add_subplot(grid[0])
        half = 0.35
        for kind in (*SEGMENT_KINDS, _NOT_DRAWN):
            boxes = []
            for row, cluster in enumerate(rows):
                spans: list[tuple[float, float | None]]
                if kind == _NOT_DRAWN:
                    spans = [cluster.not_drawn] if cluster.not_drawn is not None else []
                else:
                    spans = [(s.start, s.end) for s in cluster.segments if s.kind == kind]
                for start, stop in spans:
                    x0, x1 = x(start), x(timeline.end if stop is None else stop)
                    boxes.append(
                        [(x0, row - half), (x0, row + half), (x1, row + half), (x1, row - half)]
                    )
            if kind == _NOT_DRAWN:
                bars = collections.PolyCollection(
                    boxes, facecolors=_NOT_DRAWN_COLOUR, edgecolors="#8c8c8c", hatch="///"
                )
                bars.set_linewidth(0.3)
            else:
                bars = collections.PolyCollection(
                    boxes, facecolors=_COLOURS[kind], edgecolors="none"
                )
                bars.set_linewidth(0)
            bars.set_gid(f"timeline-{_slug(kind)}")
            ax.add_collection(bars)
        handles = [patches.Patch(facecolor=_COLOURS[kind], label=kind) for kind in SEGMENT_KINDS]
        if any(c.not_drawn is not None for c in rows):
            handles.append(
                patches.Patch(
                    facecolor=_NOT_DRAWN_COLOUR, edgecolor="#8c8c8c", hatch="///", label=_NOT_DRAWN
                )
            )
        for reason, ended in _ends(rows).items():
            marker = _END_MARKERS.get(reason, _OTHER_END)[0]
            points = ax.scatter(
                [x(at) for at, _ in ended],
                [row for _, row in ended],
                marker=marker,
                c=_ENDED_COLOUR,
                s=36,
                linewidths=1.5,
                zorder=3,
            )
            points.set_gid(f"timeline-ended-{_slug(reason)}")
            handles.append(
                lines_module.Line2D(
                    [],
                    [],
                    color=_ENDED_COLOUR,
                    marker=marker,
                    linestyle="none",
                    label=f"ended: {reason}",
                )
            )
        ax.set_xlim(x(timeline.start), x(max(timeline.end, timeline.start + 1)))
        ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
        ax.set_yticks(range(len(rows)), [c.label for c in rows], fontsize=7)
        if not rows:
            ax.text(0.5, 0.5, "no cluster was launched", ha="center", transform=ax.transAxes)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=min(len(handles), 9),
            frameon=False,
            fontsize=8,
        )
        fig.suptitle("\n".join(headline), fontsize=9, x=0.01, ha="left")
        axes = [ax]
        for number, usage in enumerate(panels):
            panel = fig.add_subplot(grid[1 + number], sharex=ax)
            axes.append(panel)
            times, a, b, u = _steps(usage, timeline.end)
            xs = [x(t) for t in times]
            panel.step(xs, u, where="post", color=_USED_COLOUR, linewidth=0.8, label="used")
            panel.step(xs, a, where="post", color=_COLOURS[TRAINING], label="in training")
            panel.step(xs, b, where="post", color=_COLOURS[AVAILABLE], label="retained")
            for label, value, colour in _limit_lines(usage):
                panel.axhline(value, color=colour, linestyle="--", linewidth=0.8, label=label)
            refused = [p for p in usage.points if p.training_refusals]
            if refused:
                panel.scatter(
                    [x(p.time) for p in refused],
                    [p.used for p in refused],
                    marker="v",
                    c=_REFUSED_COLOUR,
                    s=20,
                    zorder=3,
                    label="create refused (training quota)",
                )
            not_kept = [p for p in usage.points if p.warm_pool_refusals]
            if not_kept:
                panel.scatter(
                    [x(p.time) for p in not_kept],
                    [p.retained for p in not_kept],
                    marker="x",
                    c=_REFUSED_COLOUR,
                    s=20,
                    zorder=3,
                    label="pool not kept (warm pool quota)",
                )
            panel.set_title(_panel_title(usage), loc="left", fontsize=8)
            panel.set_ylabel("instances")
            top = max([usage.peak_used, 1] + [value for _, value, _ in _limit_lines(usage)])
            panel.set_ylim(bottom=0, top=top * 1.15 + 0.5)
            panel.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
            panel.grid(color="#e5e5e5", linewidth=0.6)
            panel.legend(loc="upper right", fontsize=7, ncol=3, frameon=False)
        locator = dates.AutoDateLocator()
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
        for above in axes[:-1]:
            above.tick_params(labelbottom=False)
        axes[-1].set_xlabel("time (UTC)")
        metadata = {"Date": None} if fmt == "svg" else {}
        fig.savefig(path, format=fmt, metadata=metadata)


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def _ends(rows: tuple[ClusterTimeline, ...]) -> dict[str, list[tuple[float, int]]]:
    """(when, row) of each cluster's end, by reason, in a fixed order."""
    ended: dict[str, list[tuple[float, int]]] = {}
    for row, cluster in enumerate(rows):
        if cluster.ended is not None and cluster.end_reason is not None:
            ended.setdefault(cluster.end_reason, []).append((cluster.ended, row))
    return dict(sorted(ended.items()))


def _draw_html(timeline: Timeline, path: Path) -> None:
    go = _library("plotly.graph_objects", ".html")
    subplots = _library("plotly.subplots", ".html")

    rows = timeline.clusters
    panels = _panels(timeline)
    labels = [c.label for c in rows]
    epoch = timeline.epoch.astimezone(timezone.utc).replace(tzinfo=None)

    def axis_time(seconds: float) -> str:
        # plotly's date axes take naive times; these are UTC.
        return (epoch + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")

    gantt_px = 80 + 22 * max(len(rows), 2)
    panel_px = 190
    headline = _headline(timeline)
    fig = subplots.make_subplots(
        rows=1 + len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 60 / (gantt_px + panel_px * len(panels))),
        row_heights=[gantt_px] + [panel_px] * len(panels),
        subplot_titles=["clusters", *(_panel_title(u) for u in panels)],
    )
    end_text = f"still going at {timeline.iso(timeline.end)}"
    for kind in SEGMENT_KINDS:
        ys: list[str] = []
        bases: list[str] = []
        lengths: list[float] = []
        details: list[list[str]] = []
        for cluster, label in zip(rows, labels, strict=True):
            for segment in cluster.segments:
                if segment.kind != kind:
                    continue
                stop = timeline.end if segment.end is None else segment.end
                ys.append(label)
                bases.append(axis_time(segment.start))
                lengths.append((stop - segment.start) * 1000.0)
                details.append(
                    [
                        segment.job,
                        segment.outcome or "",
                        timeline.iso(segment.start),
                        end_text if segment.end is None else timeline.iso(segment.end),
                        _duration(stop - segment.start),
                    ]
                )
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=ys,
                base=bases,
                x=lengths,
                name=kind,
                marker={"color": _COLOURS[kind], "line": {"width": 0}},
                customdata=details,
                hovertemplate=(
                    f"<b>%{{customdata[0]}}</b><br>{kind} on %{{y}}<br>"
                    "from %{customdata[2]}<br>to %{customdata[3]}<br>"
                    "lasted %{customdata[4]}<br>%{customdata[1]}<extra></extra>"
                ),
            ),
            row=1,
            col=1,
        )
    hidden = [(c, label) for c, label in zip(rows, labels, strict=True) if c.not_drawn]
    if hidden:
        spans = [c.not_drawn for c, _ in hidden]
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=[label for _, label in hidden],
                base=[axis_time(span[0]) for span in spans if span],
                x=[
                    ((timeline.end if span[1] is None else span[1]) - span[0]) * 1000.0
                    for span in spans
                    if span
                ],
                name=_NOT_DRAWN,
                marker={
                    "color": _NOT_DRAWN_COLOUR,
                    "pattern": {"shape": "/"},
                    "line": {"width": 0},
                },
                customdata=[[f"{c.jobs_not_drawn:,} jobs not drawn"] for c, _ in hidden],
                hovertemplate="%{customdata[0]} on %{y}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    for reason, ended in _ends(rows).items():
        fig.add_trace(
            go.Scatter(
                mode="markers",
                x=[axis_time(at) for at, _ in ended],
                y=[labels[row] for _, row in ended],
                name=f"ended: {reason}",
                marker={
                    "symbol": _END_MARKERS.get(reason, _OTHER_END)[1],
                    "color": _ENDED_COLOUR,
                    "size": 9,
                    "line": {"width": 1.5, "color": _ENDED_COLOUR},
                },
                customdata=[
                    [
                        timeline.iso(at),
                        _duration(at - rows[row].created),
                        f"{rows[row].jobs:,}",
                    ]
                    for at, row in ended
                ],
                hovertemplate=(
                    f"%{{y}} ended: {reason}<br>at %{{customdata[0]}}<br>"
                    "lived %{customdata[1]}, served %{customdata[2]} jobs<extra></extra>"
                ),
            ),
            row=1,
            col=1,
        )
    for number, usage in enumerate(panels):
        times, a, b, u = _steps(usage, timeline.end)
        xs = [axis_time(t) for t in times]
        isos = [timeline.iso(t) for t in times]
        for name, values, colour, width in (
            ("used", u, _USED_COLOUR, 1),
            ("in training", a, _COLOURS[TRAINING], 2),
            ("retained", b, _COLOURS[AVAILABLE], 2),
        ):
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=values,
                    mode="lines",
                    line={"shape": "hv", "color": colour, "width": width},
                    name=name,
                    legendgroup=name,
                    showlegend=number == 0,
                    customdata=isos,
                    hovertemplate=(
                        f"{usage.instance_type}: %{{y}} {name} from %{{customdata}}<extra></extra>"
                    ),
                ),
                row=2 + number,
                col=1,
            )
        for name, value, colour in _limit_lines(usage):
            fig.add_trace(
                go.Scatter(
                    x=[axis_time(timeline.start), axis_time(timeline.end)],
                    y=[value, value],
                    mode="lines",
                    line={"color": colour, "dash": "dash", "width": 1},
                    name=name,
                    legendgroup=name,
                    showlegend=number == 0,
                    hovertemplate=f"{usage.instance_type} {name}: {value:,}<extra></extra>",
                ),
                row=2 + number,
                col=1,
            )
        for name, symbol, picked, height in (
            (
                "create refused (training quota)",
                "triangle-down",
                [p for p in usage.points if p.training_refusals],
                "used",
            ),
            (
                "pool not kept (warm pool quota)",
                "x",
                [p for p in usage.points if p.warm_pool_refusals],
                "retained",
            ),
        ):
            if not picked:
                continue
            fig.add_trace(
                go.Scatter(
                    mode="markers",
                    x=[axis_time(p.time) for p in picked],
                    y=[getattr(p, height) for p in picked],
                    name=name,
                    legendgroup=name,
                    marker={"symbol": symbol, "color": _REFUSED_COLOUR, "size": 8},
                    customdata=[
                        [
                            timeline.iso(p.time),
                            p.training_refusals if height == "used" else p.warm_pool_refusals,
                        ]
                        for p in picked
                    ],
                    hovertemplate=(
                        f"{usage.instance_type}: %{{customdata[1]}} {name} "
                        "at %{customdata[0]}<extra></extra>"
                    ),
                ),
                row=2 + number,
                col=1,
            )
        fig.update_yaxes(title_text="instances", rangemode="tozero", row=2 + number, col=1)
    fig.update_xaxes(type="date", showgrid=True)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=labels,
        autorange="reversed",
        tickfont={"size": 10},
        row=1,
        col=1,
    )
    fig.update_layout(
        title={"text": "<br>".join(headline), "font": {"size": 13}, "x": 0.01},
        barmode="overlay",
        bargap=0.3,
        hovermode="closest",
        height=gantt_px + panel_px * len(panels) + 160,
        template="plotly_white",
        margin={"t": 80 + 18 * len(headline)},
    )
    fig.write_html(
        path,
        include_plotlyjs=True,
        full_html=True,
        div_id="warmpool-timeline",
        config={"displaylogo": False, "responsive": True},
    )
