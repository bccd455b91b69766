"""What a snapshot of an emulator of N jobs costs: ``snapshot()``, the JSON text both ways, and
``WarmPoolEmulator.restore``.

Usage::

    python benchmarks/snapshot.py N [--repeat 5] [--state finished|live] [--seed 0]

The emulator is built from the synthetic trace of ``replay.py`` (300 identities, ``--seed``):

- ``--state finished`` (the default): ``replay(N)``, every job created and the clock run on
  until every pool has expired, so the document holds N finished jobs, their billing intervals
  and about five events per job, and nothing pending;
- ``--state live``: ``api_costs.build(N)``, the trace driven up to its N-th create and stopped
  there (1 % of the jobs stopped right after their create), so the newest jobs are still in
  progress or hold an ``Available`` pool: the document has pending events, open billing
  intervals and quota use too.

Then, ``--repeat`` times, each step is timed by two clocks, ``time.perf_counter`` (wall) and
``time.process_time`` (the process's own CPU time, which other processes sharing the machine do
not stretch), after a ``gc.collect()``:

- ``snapshot``: ``emu.snapshot()``;
- ``json_dumps``: ``json.dumps`` of the document as ``write_snapshot`` writes it (no ``NaN``,
  UTF-8 as it is, no spaces);
- ``json_loads``: ``json.loads`` of that text; ``strict_loads``: the reader ``read_snapshot``
  uses (it also refuses a key given twice, and ``NaN``), so ``warmpool serve --state FILE``
  starts in about ``strict_loads + restore``;
- ``restore``: ``WarmPoolEmulator.restore`` of the document read back from the text.

Output (stdout): ``key: value`` lines: the machine and the ``warmpool`` package measured, the
size of the document, and the median of each step over the repeats, wall seconds first
(``restore_seconds: 0.512 (cpu 0.508)``), then the ratio of ``restore`` to ``snapshot``. The
restored emulator's own snapshot is checked to be the document (once, untimed). Nothing reads
the wall clock inside the emulator; the trace is seeded.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Final, TypeVar

from api_costs import build
from replay import _positive, machine_summary, replay

import warmpool
from warmpool import WarmPoolEmulator
from warmpool._json import strict_loads

__all__ = ["STEPS", "emulator", "main", "measure"]

#: The steps timed, in the order they run and are printed.
STEPS: Final = ("snapshot", "json_dumps", "json_loads", "strict_loads", "restore")

_T = TypeVar("_T")


def emulator(n: int, state: str, seed: int = 0) -> WarmPoolEmulator:
    """An emulator holding the first ``n`` jobs of the trace of ``seed``, finished (``replay``)
    or stopped at the last create (``api_costs.build``)."""
    if state == "live":
        return build(n, seed).emu
    kept: list[WarmPoolEmulator] = []
    replay(n, seed=seed, on_done=kept.append)
    return kept[0]


def _timed(times: list[tuple[float, float]], call: Callable[[], _T]) -> _T:
    """``call()``, its wall and CPU seconds added to ``times``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


def measure(emu: WarmPoolEmulator, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Each step's ``(wall, cpu)`` seconds, ``repeat`` times."""
    times: dict[str, list[tuple[float, float]]] = {step: [] for step in STEPS}
    for _ in range(repeat):
        doc = _timed(times["snapshot"], emu.snapshot)
        text = _timed(times["json_dumps"], partial(_dumps, doc))
        _timed(times["json_loads"], partial(json.loads, text))
        read = _timed(times["strict_loads"], partial(strict_loads, text, "the snapshot"))
        _timed(times["restore"], partial(WarmPoolEmulator.restore, read))
    return times


def _dumps(doc: dict[str, Any]) -> str:
    """The JSON text of a document, as ``write_snapshot`` writes it."""
    return json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Time snapshot(), json.dumps, json.loads and restore for N jobs."
    )
    parser.add_argument("n", type=_positive, help="jobs the emulator creates")
    parser.add_argument("--repeat", type=_positive, default=5, help="runs of each step")
    parser.add_argument("--state", choices=("finished", "live"), default="finished")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    emu = emulator(args.n, args.state, args.seed)
    doc: dict[str, Any] = emu.snapshot()
    text = _dumps(doc)
    if WarmPoolEmulator.restore(json.loads(text)).snapshot() != doc:
        raise SystemExit("the restored emulator's snapshot is not the document")
    times = measure(emu, args.repeat)
    lines = [
        f"machine: {machine_summary()}",
        f"warmpool: {warmpool.__version__} at {warmpool.__file__}",
        f"jobs: {args.n}",
        f"state: {args.state}",
        f"seed: {args.seed}",
        f"repeat: {args.repeat}",
        f"document_jobs: {len(doc['jobs'])}",
        f"document_events: {len(doc['events'])}",
        f"document_pending: {len(doc['pending'])}",
        f"document_bytes: {len(text.encode())}",
    ]
    medians = {}
    for step in STEPS:
        wall = statistics.median(cost[0] for cost in times[step])
        cpu = statistics.median(cost[1] for cost in times[step])
        medians[step] = (wall, cpu)
        lines.append(f"{step}_seconds: {wall:.3f} (cpu {cpu:.3f})")
    restore, snapshot = medians["restore"], medians["snapshot"]
    lines.append(
        f"restore_over_snapshot: {restore[0] / snapshot[0]:.2f} "
        f"(cpu {restore[1] / max(snapshot[1], 1e-9):.2f})"
    )
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
