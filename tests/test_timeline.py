"""warmpool.sim.timeline: what a TimelineRecorder collects from the emulator's events, how a
large run is summarised, and the charts drawn from it (docs/replay.md, "Timelines").

The hand-checked run uses the default Timing (cold start 180 s, warm start 20 s, stopping 0 s)
and the rules of behaviour §5 (lifecycle), §6 (warm pool status) and §7 (quotas); the recorder sees
them only through the event log (D26). The property tests check the recorder against the
emulator's own quota ledger after every call, and the shape of every cluster's life.
"""

from __future__ import annotations

import itertools
import random
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require, require_executable
from tests.factories import INSTANCE_TYPE, plans_by_name, request
from warmpool import JobPlan, Quota, Timing, WarmPoolEmulator
from warmpool.errors import ControlError, ResourceLimitExceeded, WarmPoolError
from warmpool.events import Event, JobCreated
from warmpool.sim import TimelineRecorder, render_timeline
from warmpool.sim.timeline import (
    AVAILABLE,
    COLD_START,
    NO_KEEP_ALIVE,
    SEGMENT_KINDS,
    TRAINING,
    WARM_START,
    ClusterTimeline,
    Segment,
    Usage,
    UsagePoint,
    check_timeline_path,
)

GPU = "ml.g5.xlarge"
SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# -- the hand-checked run ------------------------------------------------------------------------


def hand_checked_run() -> tuple[WarmPoolEmulator, TimelineRecorder]:
    """Training quota 3, warm pool quota 1, all of INSTANCE_TYPE:

    * t=0: ``alpha`` (keep-alive 600, trains 600) and ``crash`` (keep-alive 600, fails with
      InternalServerError after 100 s) start cold: clusters 1 and 2 launch at 180. ``crash``
      fails at 280 (cluster 2 ends Unhealthy); ``alpha`` completes at 780 and keeps its pool.
    * t=1000: ``bravo`` (keep-alive 300, trains 300) takes over alpha's pool (warm start
      1000-1020, trains to 1320, pool kept to 1620, then Expired). ``delta`` (keep-alive 300,
      trains 320) starts cold on cluster 3 (launched 1180) and releases at 1500, when bravo's
      pool fills the warm pool quota: not kept (WarmPoolQuota). ``echo`` asks for 2 instances
      while 2 are in training: refused by the training quota.
    * t=1700: ``foxtrot`` (no keep-alive, trains 60) starts cold on cluster 4 (launched 1880,
      released 1940: NoKeepAlive); ``golf`` is created and stopped at once (never launched).
    * t=2000: ``hotel`` (no plan) starts cold on cluster 5 (launched 2180), still training at
      2500, when the run stops.
    """
    plans = {
        "alpha": JobPlan(600),
        "bravo": JobPlan(300),
        "crash": JobPlan(100, failure_class="InternalServerError"),
        "delta": JobPlan(320),
        "foxtrot": JobPlan(60),
    }
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(training=3, warm_pool=1)},
        workload=plans_by_name(plans),
    )
    recorder = TimelineRecorder.attach(emu)
    emu.create_training_job(**request("alpha", keep_alive=600))
    emu.create_training_job(**request("crash", keep_alive=600))
    emu.run_until(1000)
    emu.create_training_job(**request("bravo", keep_alive=300))
    emu.create_training_job(**request("delta", keep_alive=300))
    with pytest.raises(ResourceLimitExceeded):
        emu.create_training_job(**request("echo", instance_count=2))
    emu.run_until(1700)
    emu.create_training_job(**request("foxtrot", keep_alive=None))
    emu.create_training_job(**request("golf", keep_alive=600))
    emu.stop_training_job(TrainingJobName="golf")
    emu.run_until(2000)
    emu.create_training_job(**request("hotel", keep_alive=600))
    emu.run_until(2500)
    return emu, recorder


M5 = ((INSTANCE_TYPE, 1),)
EXPECTED_CLUSTERS = (
    ClusterTimeline(
        cluster=1,
        instances=M5,
        created=0,
        launched=180,
        jobs=2,
        segments=(
            Segment(COLD_START, "alpha", 0, 180),
            Segment(TRAINING, "alpha", 180, 780, "Completed"),
            Segment(AVAILABLE, "alpha", 780, 1000, "Reused by bravo"),
            Segment(WARM_START, "bravo", 1000, 1020),
            Segment(TRAINING, "bravo", 1020, 1320, "Completed"),
            Segment(AVAILABLE, "bravo", 1320, 1620, "Expired"),
        ),
        ended=1620,
        end_reason="Expired",
    ),
    ClusterTimeline(
        cluster=2,
        instances=M5,
        created=0,
        launched=180,
        jobs=1,
        segments=(
            Segment(COLD_START, "crash", 0, 180),
            Segment(TRAINING, "crash", 180, 280, "Failed"),
        ),
        ended=280,
        end_reason="Unhealthy",
    ),
    ClusterTimeline(
        cluster=3,
        instances=M5,
        created=1000,
        launched=1180,
        jobs=1,
        segments=(
            Segment(COLD_START, "delta", 1000, 1180),
            Segment(TRAINING, "delta", 1180, 1500, "Completed"),
        ),
        ended=1500,
        end_reason="WarmPoolQuota",
    ),
    ClusterTimeline(
        cluster=4,
        instances=M5,
        created=1700,
        launched=1880,
        jobs=1,
        segments=(
            Segment(COLD_START, "foxtrot", 1700, 1880),
            Segment(TRAINING, "foxtrot", 1880, 1940, "Completed"),
        ),
        ended=1940,
        end_reason=NO_KEEP_ALIVE,
    ),
    ClusterTimeline(
        cluster=5,
        instances=M5,
        created=2000,
        launched=2180,
        jobs=1,
        segments=(
            Segment(COLD_START, "hotel", 2000, 2180),
            Segment(TRAINING, "hotel", 2180, None),
        ),
        ended=None,
        end_reason=None,
    ),
)


def test_the_recorder_collects_every_cluster_life_from_cold_start_to_its_end() -> None:
    """Cold starts, the jobs each cluster served, warm starts, Available windows and how each
    cluster ended (Expired, Unhealthy, WarmPoolQuota, NoKeepAlive, or still alive), as the
    emulator's events tell them (behaviour §5, §6; D26)."""
    emu, recorder = hand_checked_run()
    timeline = recorder.timeline()
    assert timeline.clusters == EXPECTED_CLUSTERS
    assert (timeline.start, timeline.end) == (0, 2500)
    assert timeline.epoch == emu.clock.epoch
    assert (timeline.jobs, timeline.clusters_launched, timeline.warm_starts) == (7, 5, 1)
    assert timeline.launches_cancelled == 1  # golf
    assert timeline.clusters_not_shown == 0


def test_usage_counts_instances_as_the_quota_ledger_does() -> None:
    """In training from each create (cold or warm) to the release; retained while Available;
    one point per instant with what the instant ends with; refusals where they happened
    (behaviour §7, D14)."""
    _, recorder = hand_checked_run()
    (usage,) = recorder.timeline().usage
    assert usage.instance_type == INSTANCE_TYPE
    assert usage.bucket_seconds is None
    assert usage.points == (
        UsagePoint(0, 2, 0, 2),
        UsagePoint(280, 1, 0, 1),
        UsagePoint(780, 0, 1, 1),
        UsagePoint(1000, 2, 0, 2, training_refusals=1),
        UsagePoint(1320, 1, 1, 2),
        UsagePoint(1500, 0, 1, 1, warm_pool_refusals=1),
        UsagePoint(1620, 0, 0, 0),
        UsagePoint(1700, 1, 0, 1),  # foxtrot; golf came and went within the instant
        UsagePoint(1940, 0, 0, 0),
        UsagePoint(2000, 1, 0, 1),
    )
    assert (usage.peak_in_training, usage.peak_retained, usage.peak_used) == (2, 1, 2)
    assert (usage.training_refusals, usage.warm_pool_refusals) == (1, 1)
    assert usage.limits == Quota(training=3, warm_pool=1)


def test_times_are_iso_8601_utc_from_the_clock_epoch() -> None:
    """Hover texts and titles give times as ISO 8601 UTC from the emulator clock's epoch (§4)."""
    _, recorder = hand_checked_run()
    timeline = recorder.timeline()
    assert timeline.iso(180) == "2026-01-01T00:03:00Z"
    assert timeline.iso(0.25) == "2026-01-01T00:00:00.250Z"


def test_a_recorder_detached_stops_recording_and_its_timeline_ends_there() -> None:
    """After ``detach`` later events change nothing, and open segments end at the detach."""
    emu = WarmPoolEmulator(workload=lambda _: JobPlan(600))
    recorder = TimelineRecorder.attach(emu)
    emu.create_training_job(**request("one", keep_alive=None))
    emu.run_until(300)
    recorder.detach()
    recorder.detach()  # twice is harmless
    emu.create_training_job(**request("two", keep_alive=None))
    emu.run_until(5000)
    timeline = recorder.timeline()
    assert timeline.end == 300
    assert timeline.jobs == 1
    (cluster,) = timeline.clusters
    assert cluster.segments[-1] == Segment(TRAINING, "one", 180, None)


def test_a_job_of_instance_groups_counts_every_group() -> None:
    """A heterogeneous cluster holds every group's instances in training (D14's counting)."""
    emu = WarmPoolEmulator(workload=lambda _: JobPlan(100))
    recorder = TimelineRecorder.attach(emu)
    body = request("hetero", keep_alive=None)
    body["ResourceConfig"] = {
        "InstanceGroups": [
            {"InstanceGroupName": "cpu", "InstanceType": INSTANCE_TYPE, "InstanceCount": 2},
            {"InstanceGroupName": "gpu", "InstanceType": GPU, "InstanceCount": 1},
        ],
        "VolumeSizeInGB": 50,
    }
    emu.create_training_job(**body)
    emu.run_until(200)
    timeline = recorder.timeline()
    assert [c.instances for c in timeline.clusters] == [((INSTANCE_TYPE, 2), (GPU, 1))]
    assert timeline.clusters[0].label == f"#1 {INSTANCE_TYPE} x2 + {GPU} x1, 1 job"
    usage = {u.instance_type: u.points[-1] for u in timeline.usage}
    assert usage == {INSTANCE_TYPE: UsagePoint(0, 2, 0, 2), GPU: UsagePoint(0, 1, 0, 1)}


def test_a_job_forgotten_before_its_events_arrive_is_drawn_without_instances() -> None:
    """When the emulator no longer knows a job by the time its JobCreated is delivered (it
    lived and ended within one instant and was forgotten), its cluster is still drawn, with
    no instance type, and the usage series stays right."""
    emu = WarmPoolEmulator(timing=Timing(cold_start_seconds=0), workload=lambda _: JobPlan(0))

    def forget(event: Event) -> None:  # subscribed first: runs before the recorder
        if isinstance(event, JobCreated):
            emu.delete_training_job(TrainingJobName=event.job)

    emu.events.subscribe(forget)
    recorder = TimelineRecorder.attach(emu)
    emu.create_training_job(**request("blink", keep_alive=None))
    timeline = recorder.timeline()
    (cluster,) = timeline.clusters
    assert cluster.instances == ()
    assert cluster.label == "#1 ?, 1 job"
    assert (cluster.ended, cluster.end_reason) == (0, NO_KEEP_ALIVE)
    assert timeline.usage == ()


def test_jobs_and_clusters_from_before_the_recorder_are_left_out() -> None:
    """Attached late, the recorder ignores a warm pool it never saw launch; no error."""
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=1)}, workload=lambda _: JobPlan(60)
    )
    emu.create_training_job(**request("early", keep_alive=600))
    emu.run_until(300)
    recorder = TimelineRecorder.attach(emu)
    emu.create_training_job(**request("late", keep_alive=600))  # takes over early's pool
    emu.run_until(2000)
    timeline = recorder.timeline()
    assert timeline.clusters == ()
    assert (timeline.jobs, timeline.warm_starts) == (1, 1)
    assert timeline.usage[0].points == (
        UsagePoint(300, 1, 0, 1),
        UsagePoint(380, 0, 1, 1),
        UsagePoint(980, 0, 0, 0),
    )


@pytest.mark.parametrize(
    ("argument", "value", "error"),
    [
        ("max_rows", 0, ValueError),
        ("max_jobs_per_row", -1, ValueError),
        ("max_points", True, TypeError),
        ("max_rows", 2.5, TypeError),
    ],
)
def test_bad_bounds_are_refused_naming_the_argument(
    argument: str, value: Any, error: type[Exception]
) -> None:
    """Bad input gets a clear error naming the argument, and no subscription (§9's rule)."""
    emu = WarmPoolEmulator()
    with pytest.raises(error, match=argument):
        TimelineRecorder.attach(emu, **{argument: value})
    assert not emu.events.subscribed


def test_only_an_emulator_can_be_recorded() -> None:
    with pytest.raises(TypeError, match="WarmPoolEmulator"):
        TimelineRecorder.attach(object())  # type: ignore[arg-type]


# -- properties: the recorder against the emulator ----------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "create", "create", "advance", "complete", "fail", "stop", "patch", "update"]
        ),
        st.integers(min_value=0, max_value=7),  # which job, or how far to advance
        st.sampled_from([None, 0, 60, 600]),  # keep-alive
        st.sampled_from([INSTANCE_TYPE, GPU]),
    ),
    max_size=40,
)


def drive(
    emu: WarmPoolEmulator, operations: list[tuple[str, int, int | None, str]]
) -> Iterator[None]:
    """Run ``operations`` on ``emu``; yields after each call (refused calls included)."""
    created = 0
    for operation, number, keep_alive, instance_type in operations:
        name = f"job-{number}"
        try:
            if operation == "create":
                created += 1
                emu.create_training_job(
                    **request(f"job-{created}", keep_alive=keep_alive, instance_type=instance_type)
                )
            elif operation == "advance":
                emu.advance(number * 97)
            elif operation == "complete":
                emu.complete_training_job(name)
            elif operation == "fail":
                emu.fail_training_job(name, "AlgorithmError" if number % 2 else "CapacityError")
            elif operation == "stop":
                emu.stop_training_job(TrainingJobName=name)
            elif operation == "patch":
                emu.apply_patch_update()
            else:
                emu.update_training_job(
                    TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": number * 10}
                )
        except (WarmPoolError, ControlError):  # refused: nothing changed
            pass
        yield


def property_emulator() -> WarmPoolEmulator:
    return WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(training=4, warm_pool=2), GPU: Quota(training=3, warm_pool=1)},
        timing=Timing(cold_start_seconds=120, warm_start_seconds=15, stopping_seconds=30),
        workload=lambda r: JobPlan(len(r["TrainingJobName"]) * 40),
    )


@settings(max_examples=60)
@given(OPERATIONS)
def test_usage_matches_the_quota_ledger_after_every_call(
    operations: list[tuple[str, int, int | None, str]],
) -> None:
    """After every call, the last usage point of each instance type is the ledger's
    ``in_training`` and ``retained`` (behaviour §7, D14), and the peaks are never below them."""
    emu = property_emulator()
    recorder = TimelineRecorder.attach(emu)
    for _ in drive(emu, operations):
        for usage in recorder.timeline().usage:
            last = usage.points[-1]
            ledger = emu.quotas.usage(usage.instance_type)
            assert (last.in_training, last.retained) == (ledger.in_training, ledger.retained)
            assert usage.peak_used >= ledger.used


@settings(max_examples=60)
@given(OPERATIONS)
def test_segments_tile_every_cluster_life(
    operations: list[tuple[str, int, int | None, str]],
) -> None:
    """A cluster's segments start with its cold start and follow one another without gaps:
    each starts when the one before ended; jobs alternate start, training, Available; the
    last ends when the cluster ended (behaviour §5, §6: the moves of a warm pool)."""
    emu = property_emulator()
    recorder = TimelineRecorder.attach(emu)
    for _ in drive(emu, operations):
        pass
    timeline = recorder.timeline()
    assert timeline.clusters_launched == len(timeline.clusters)  # under the 60 rows
    for cluster in timeline.clusters:
        segments = cluster.segments
        assert segments[0].kind == COLD_START
        assert (segments[0].start, segments[0].end) == (cluster.created, cluster.launched)
        for before, after in itertools.pairwise(segments):
            assert after.start == before.end
            follows = {
                COLD_START: {TRAINING},
                WARM_START: {TRAINING, AVAILABLE},  # a stop during the warm start
                TRAINING: {AVAILABLE},
                AVAILABLE: {WARM_START},
            }
            assert after.kind in follows[before.kind]
        jobs = {s.job for s in segments}
        assert cluster.jobs == len(jobs)
        if cluster.ended is None:
            assert segments[-1].end is None
        else:
            assert segments[-1].end == cluster.ended
            assert cluster.end_reason is not None


# -- large runs: summarised, in bounded memory ----------------------------------------------------


def busy_run(jobs: int, recorders: list[dict[str, int]], seed: int = 5) -> list[TimelineRecorder]:
    """``jobs`` jobs a couple of minutes apart on two instance types, with mixed keep-alives
    and durations, recorded by one recorder per entry of ``recorders`` (their bounds)."""
    rng = random.Random(seed)
    plans = {f"j{n}": JobPlan(rng.randrange(120, 4000)) for n in range(jobs)}
    emu = WarmPoolEmulator(
        default_quota=Quota(warm_pool=1000), workload=lambda r: plans[r["TrainingJobName"]]
    )
    attached = [TimelineRecorder.attach(emu, **bounds) for bounds in recorders]
    for n in range(jobs):
        emu.run_until(n * 150 + rng.randrange(0, 60))
        emu.create_training_job(
            **request(
                f"j{n}",
                keep_alive=rng.choice([None, 300, 1800, 3600]),
                instance_type=rng.choice([INSTANCE_TYPE, GPU]),
            )
        )
    emu.run_until(jobs * 150 + 10_000)
    return attached


def test_a_large_run_draws_the_busiest_clusters_and_says_how_many_are_not_shown() -> None:
    """Beyond ``max_rows`` clusters, the chart shows those that served the most jobs (ties:
    the longer lived, then the earlier launched), in launch order, and counts the rest."""
    summarised, full = busy_run(2000, [{}, {"max_rows": 10**6}])
    whole = full.timeline().clusters
    timeline = summarised.timeline()
    assert len(whole) == timeline.clusters_launched > 60
    assert len(timeline.clusters) == 60
    assert timeline.clusters_not_shown == len(whole) - 60

    def score(c: ClusterTimeline) -> tuple[int, float, int]:
        assert c.ended is not None
        return (c.jobs, c.ended - c.created, -c.cluster)

    busiest = sorted(sorted(whole, key=score, reverse=True)[:60], key=lambda c: c.cluster)
    assert timeline.clusters == tuple(busiest)


def at(usage: Usage, moment: float) -> UsagePoint:
    """The point of ``usage`` in force at ``moment`` (zeros before the first)."""
    before = [p for p in usage.points if p.time <= moment]
    return before[-1] if before else UsagePoint(moment, 0, 0, 0)


def test_a_long_usage_series_is_summarised_keeping_its_peaks() -> None:
    """Beyond ``max_points`` the series becomes buckets holding their highest values: the
    summary is never below the exact series at any time, its peaks are the exact peaks, and
    it has at most twice ``max_points`` points."""
    summarised, exact = busy_run(1500, [{"max_points": 50}, {"max_points": 10**6}])
    for short, long in zip(summarised.timeline().usage, exact.timeline().usage, strict=True):
        assert long.bucket_seconds is None
        assert short.bucket_seconds is not None
        assert len(long.points) > 100 >= len(short.points)
        for field in ("in_training", "retained", "used"):
            assert max(getattr(p, field) for p in short.points) == max(
                getattr(p, field) for p in long.points
            )
        assert (short.peak_used, short.peak_retained) == (long.peak_used, long.peak_retained)
        # At every time, the summary's value is at least the exact one: check at the times
        # of both series' points (between them, neither changes).
        for moment in sorted({p.time for p in short.points} | {p.time for p in long.points}):
            envelope, value = at(short, moment), at(long, moment)
            assert envelope.in_training >= value.in_training
            assert envelope.retained >= value.retained
            assert envelope.used >= value.used


def test_summarised_buckets_hold_the_value_carried_into_them() -> None:
    """Hand-checked, with ``max_points=4``: in training 1, 2, 1, 2, 1 at t=0, 10, 20, 30, 40
    (the fifth point: buckets of 20 s from t=0), 3 at t=60, 0 at t=100 (a fifth bucket:
    they double to 40 s). The bucket from 80 holds 3, carried in from t=60, though nothing
    happened in it before t=100."""
    emu = WarmPoolEmulator(timing=Timing(cold_start_seconds=0))  # no plan: train until told
    recorder = TimelineRecorder.attach(emu, max_points=4)
    steps: list[tuple[float, list[str], list[str]]] = [
        (0, ["j1"], []),
        (10, ["j2"], []),
        (20, [], ["j1"]),
        (30, ["j3"], []),
        (40, [], ["j2"]),
        (60, ["j4", "j5"], []),
        (100, [], ["j3", "j4", "j5"]),
    ]
    for moment, creates, completes in steps:
        emu.run_until(moment)
        for name in creates:
            emu.create_training_job(**request(name, keep_alive=None))
        for name in completes:
            emu.complete_training_job(name)
    (usage,) = recorder.timeline().usage
    assert usage.bucket_seconds == 40
    assert usage.points == (
        UsagePoint(0, 2, 0, 2),
        UsagePoint(40, 3, 0, 3),
        UsagePoint(80, 3, 0, 3),
    )
    assert usage.peak_in_training == 3


def test_the_recorder_holds_bounded_detail_however_long_the_run() -> None:
    """Ended clusters are kept only among the ``max_rows`` busiest, a row keeps its first
    ``max_jobs_per_row`` jobs: a run three times as long holds no more segments."""
    bounds = {"max_rows": 5, "max_jobs_per_row": 3, "max_points": 40}
    (short,) = busy_run(500, [bounds])
    (long,) = busy_run(1500, [bounds])
    # 5 ended rows of at most 3 jobs (cold or warm start, training, Available each).
    assert short.held_segments <= 5 * 3 * 3
    assert long.held_segments <= 5 * 3 * 3
    timeline = long.timeline()
    assert len(timeline.clusters) == 5
    for cluster in timeline.clusters:
        assert len({s.job for s in cluster.segments}) == min(cluster.jobs, 3)
        assert cluster.jobs_not_drawn == cluster.jobs - min(cluster.jobs, 3)
    assert all(len(u.points) <= 80 for u in timeline.usage)


def test_the_jobs_of_a_busy_row_beyond_its_cap_are_one_span() -> None:
    """A chain of five jobs with ``max_jobs_per_row=2``: the first two jobs' segments, then
    one span from the third job's warm start to the last Available window's end."""
    emu = WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=1)}, workload=lambda _: JobPlan(100)
    )
    recorder = TimelineRecorder.attach(emu, max_jobs_per_row=2)
    for n, at in enumerate((300, 500, 700, 900, 1100)):
        emu.create_training_job(**request(f"link-{n}", keep_alive=600))
        emu.run_until(at)
    emu.run_until(5000)
    (cluster,) = recorder.timeline().clusters
    # link-0: cold 0-180, trains 180-280, Available 280-300; link-1 at 300: warm to 320,
    # trains to 420, Available 420-500; link-2 at 500 ... link-4 at 900: warm to 920, trains
    # to 1020, Available to 1620 (Expired).
    assert [s.job for s in cluster.segments] == ["link-0"] * 3 + ["link-1"] * 3
    assert cluster.segments[-1] == Segment(AVAILABLE, "link-1", 420, 500, "Reused by link-2")
    assert (cluster.jobs, cluster.jobs_not_drawn, cluster.not_drawn) == (5, 3, (500, 1620))
    assert (cluster.ended, cluster.end_reason) == (1620, "Expired")


# -- drawing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["timeline.pdf", "timeline", "timeline.png.txt"])
def test_a_timeline_file_must_end_in_png_svg_or_html(name: str, tmp_path: Path) -> None:
    """Any other suffix is a ValueError naming the allowed ones; nothing is written."""
    _, recorder = hand_checked_run()
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.html"):
        recorder.render(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("suffix", "library"), [(".png", "matplotlib"), (".html", "plotly")])
def test_a_missing_plotting_library_says_what_to_install(
    suffix: str, library: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the extra: an ImportError telling to ``pip install 'sagemaker-warmpool[plot]'``,
    from the early check (for a command to refuse before a long replay) and when drawing."""
    _, recorder = hand_checked_run()
    monkeypatch.setitem(sys.modules, library, None)  # as if it were not installed
    with pytest.raises(ImportError, match=rf"needs {library}.*'sagemaker-warmpool\[plot\]'"):
        check_timeline_path(f"t{suffix}")
    with pytest.raises(ImportError, match=rf"needs {library}.*'sagemaker-warmpool\[plot\]'"):
        recorder.render(tmp_path / f"t{suffix}")
    assert list(tmp_path.iterdir()) == []


def test_importing_warmpool_sim_imports_no_plotting_library() -> None:
    """matplotlib and plotly are imported only when a timeline is drawn."""
    code = (
        "import sys, warmpool.sim; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'plotly')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_chart_says_how_many_clusters_are_not_shown(tmp_path: Path) -> None:
    """The title of a summarised chart counts the clusters shown and not shown, and names
    the selection."""
    require("plotly")
    (recorder,) = busy_run(300, [{"max_rows": 5}])
    timeline = recorder.timeline()
    text = recorder.render(tmp_path / "t.html").read_text(encoding="utf-8")
    launched = timeline.clusters_launched
    assert (
        f"5 of {launched:,} clusters shown (those that served the most jobs); "
        f"{launched - 5:,} not shown"
    ) in text


def drawn(path: Path, kind: str) -> int:
    """How many shapes the SVG group of ``kind`` holds (paths, or uses of defined paths)."""
    root = ET.parse(path).getroot()
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("id") == f"timeline-{kind}"]
    paths = [child for child in group if child.tag == f"{SVG}path"]
    return len(paths) + len(list(group.iter(f"{SVG}use")))


def test_an_svg_timeline_has_one_bar_per_segment_and_one_marker_per_end(tmp_path: Path) -> None:
    """One bar per segment, in the colour of its kind (one group per kind), one end marker
    per ended cluster by reason; the same run draws the same bytes (docs/replay.md)."""
    require("matplotlib")
    _, recorder = hand_checked_run()
    path = recorder.render(tmp_path / "timeline.svg")
    timeline = recorder.timeline()
    segments = [s for c in timeline.clusters for s in c.segments]
    for kind in SEGMENT_KINDS:
        slug = kind.lower().replace(" ", "-")
        assert drawn(path, slug) == sum(1 for s in segments if s.kind == kind) > 0
    for reason in ("Expired", "Unhealthy", "WarmPoolQuota", "NoKeepAlive"):
        assert drawn(path, f"ended-{reason.lower()}") == 1
    again = recorder.render(tmp_path / "again.svg")
    assert path.read_bytes() == again.read_bytes()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_png_timeline_is_a_valid_image_sized_to_its_rows(tmp_path: Path) -> None:
    """A PNG 1400 pixels wide, taller with more rows; the same run draws the same bytes."""
    require("matplotlib")
    _, recorder = hand_checked_run()
    path = render_timeline(recorder, tmp_path / "timeline.PNG")
    width, height = png_size(path)
    assert width == 1400
    (large,) = busy_run(600, [{"max_rows": 40}])
    _, taller = png_size(large.render(tmp_path / "large.png"))
    assert taller > height
    assert render_timeline(recorder.timeline(), tmp_path / "b.png").read_bytes() == (
        path.read_bytes()
    )


def test_an_empty_timeline_still_draws(tmp_path: Path) -> None:
    """A recorder that saw nothing draws an empty chart in every format."""
    require("matplotlib")
    require("plotly")
    recorder = TimelineRecorder.attach(WarmPoolEmulator())
    assert png_size(recorder.render(tmp_path / "empty.png"))[0] == 1400
    assert drawn(recorder.render(tmp_path / "empty.svg"), "training") == 0
    assert "warmpool timeline: 0 jobs" in recorder.render(tmp_path / "e.html").read_text()


def test_an_html_timeline_is_one_self_contained_deterministic_file(tmp_path: Path) -> None:
    """plotly.js is embedded, nothing is fetched from elsewhere, and the same run writes the
    same bytes."""
    require("plotly")
    _, recorder = hand_checked_run()
    path = recorder.render(tmp_path / "timeline.html")
    text = path.read_text(encoding="utf-8")
    assert "<script src=" not in text  # every script is inline
    assert "* plotly.js v" in text  # the library itself
    assert "hotel" in text
    assert recorder.render(tmp_path / "again.html").read_bytes() == path.read_bytes()


def test_the_html_timeline_renders_its_bars_in_chromium(tmp_path: Path) -> None:
    """Headless Chromium (Debian's, driven by playwright) loads the file with no request
    beyond it, draws one bar per segment in four traces, one per kind, and hovering a bar
    shows its job, its times in ISO 8601 UTC and how it ended."""
    require("plotly")
    sync_api = require("playwright.sync_api")
    chromium = require_executable("chromium", "WARMPOOL_CHROMIUM")
    _, recorder = hand_checked_run()
    timeline = recorder.timeline()
    path = recorder.render(tmp_path / "timeline.html")
    expected = {
        kind: sum(1 for c in timeline.clusters for s in c.segments if s.kind == kind)
        for kind in SEGMENT_KINDS
    }
    requested: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_selector("#warmpool-timeline .barlayer .point", state="attached")
            traces = page.locator("#warmpool-timeline .barlayer .trace.bars")
            assert traces.count() == len(SEGMENT_KINDS)
            counts = {
                kind: traces.nth(i).locator(".point").count()
                for i, kind in enumerate(SEGMENT_KINDS)
            }
            assert counts == expected
            # alpha's training: the first bar of the training trace
            bar = traces.nth(SEGMENT_KINDS.index(TRAINING)).locator(".point").first
            box = bar.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            label = page.locator("#warmpool-timeline .hoverlayer .hovertext").first
            label.wait_for()
            text = label.text_content() or ""
        finally:
            browser.close()
    assert "alpha" in text
    assert "2026-01-01T00:03:00Z" in text and "2026-01-01T00:13:00Z" in text
    assert "10m 00s" in text and "Completed" in text
    assert requested == [path.as_uri()]
