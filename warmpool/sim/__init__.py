"""Whole-workload simulation on the emulator: traces of training jobs, their replay through
:class:`~warmpool.WarmPoolEmulator`, and what the replay reports.

Every simulated job goes through the emulator's public API, so every answer obeys the same
rules as a single call does. See ``docs/replay.md``.
"""

from .replay import Figures, Report, replay
from .trace import Trace, TraceError, TraceJob, load_trace, write_trace

__all__ = [
    "Figures",
    "Report",
    "Trace",
    "TraceError",
    "TraceJob",
    "load_trace",
    "replay",
    "write_trace",
]
