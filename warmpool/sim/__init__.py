"""Whole-workload simulation on the emulator: traces of training jobs, their replay through
:class:`~warmpool.WarmPoolEmulator`, and what the replay reports.

Every simulated job goes through the emulator's public API, so every answer obeys the same
rules as a single call does. See ``docs/replay.md``.

Timelines (:class:`TimelineRecorder`, :func:`render_timeline`) draw with matplotlib or plotly,
from the extra ``plot``; neither is imported until something is drawn. :func:`sweep` replays a
trace under many settings through any ``concurrent.futures.Executor`` (a Dask cluster's too).
:func:`advise` recommends a keep-alive per identity and a warm pool quota per instance type.
"""

from .advise import Advice, AdviceError, Advised, KeepAliveAdvice, QuotaAdvice, advise
from .export import ExportResult, export_trace, read_history
from .loaders import load, load_acme, load_helios
from .optimum import Optimum, optimum, regret, with_optimum
from .policies import (
    BreakEven,
    CostModel,
    Fixed,
    Histogram,
    Policy,
    PolicyError,
    RandomizedSkiRental,
    make_policy,
)
from .replay import Figures, Report, replay
from .sweep import Setting, SweepResult, SweepRow, sweep
from .timeline import Timeline, TimelineRecorder, check_timeline_path, render_timeline
from .trace import Trace, TraceError, TraceJob, load_trace, write_trace

__all__ = [
    "Advice",
    "AdviceError",
    "Advised",
    "BreakEven",
    "CostModel",
    "ExportResult",
    "Figures",
    "Fixed",
    "Histogram",
    "KeepAliveAdvice",
    "Optimum",
    "Policy",
    "PolicyError",
    "QuotaAdvice",
    "RandomizedSkiRental",
    "Report",
    "Setting",
    "SweepResult",
    "SweepRow",
    "Timeline",
    "TimelineRecorder",
    "Trace",
    "TraceError",
    "TraceJob",
    "advise",
    "check_timeline_path",
    "export_trace",
    "load",
    "load_acme",
    "load_helios",
    "load_trace",
    "make_policy",
    "optimum",
    "read_history",
    "regret",
    "render_timeline",
    "replay",
    "sweep",
    "with_optimum",
    "write_trace",
]
