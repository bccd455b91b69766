"""Time the emulator replay against the plain-loop baseline, pair by pair, in one run.

Usage::

    python benchmarks/compare.py N [--rounds 3] [--identities 300] [--seed 0] [--floor]

Each round runs ``benchmarks/replay.py N`` (the emulator) and ``benchmarks/baseline.py N``
(the plain loop, same trace, same driver), each in a fresh Python process, so that neither
inherits the other's peak RSS, heap or caches. The two alternate which goes first (round 1:
emulator first, round 2: baseline first, ...), so a machine that slows down or speeds up during
the run does not favour either side. Each process times its own replay (``wall_seconds`` and
``cpu_seconds``: the replay only, not the interpreter's start-up, the imports or the emulator's
one-off warm-up).

With ``--floor``, each round also runs ``benchmarks/floor.py N`` (the least an emulator must
do per job, see that script), the three taking turns to go first, and the report adds the
floor's medians and its ratios to the baseline and the emulator's to it.

The runs must agree: every run of both must report the same ``reused``, ``warm_starts``,
``cold_starts``, ``failed`` and ``end_seconds``; if one does not, the command says which and
exits with status 1.

Output (stdout, ``key: value`` lines): the machine, N, the agreed results, one ``pair_K`` line
per round (both times and the ratio emulator / baseline, wall and CPU), then the medians of
each side, the ratio of the medians and the median of the per-pair ratios (the figure to
quote: pairing keeps each ratio meaningful while the machine's speed drifts), and the median
peak RSS growth per job of each side.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple

from replay import _positive, machine_summary

__all__ = ["Run", "main", "run_once"]

HERE: Final = Path(__file__).resolve().parent
EMULATOR: Final = HERE / "replay.py"
BASELINE: Final = HERE / "baseline.py"
FLOOR: Final = HERE / "floor.py"
LABELS: Final = {EMULATOR: "emulator", BASELINE: "baseline", FLOOR: "floor"}
#: The fields both scripts print that must be equal for the same trace.
RESULT_FIELDS: Final = ("reused", "warm_starts", "cold_starts", "failed", "end_seconds")


class Run(NamedTuple):
    """One process's report."""

    wall: float
    cpu: float
    rss_per_job: float
    results: tuple[str, ...]


def run_once(script: Path, n: int, identities: int, seed: int) -> Run:
    """Run ``script`` in a fresh interpreter and read its ``key: value`` report."""
    argv = [sys.executable, str(script), str(n), "--identities", str(identities)]
    argv += ["--seed", str(seed)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{script.name} exited with status {done.returncode}:\n{done.stderr.strip()}"
        )
    fields: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = value
    return Run(
        wall=float(fields["wall_seconds"]),
        cpu=float(fields["cpu_seconds"]),
        rss_per_job=float(fields["peak_rss_growth_per_job"].split()[0]),
        results=tuple(fields[name] for name in RESULT_FIELDS),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description="Run the emulator replay (replay.py) and the plain-loop baseline "
        "(baseline.py) in turn, each in a fresh process, and report the ratio pair by pair.",
    )
    parser.add_argument("n", type=_positive, help="number of training jobs to create")
    parser.add_argument("--rounds", type=_positive, default=3, help="pairs of runs (default 3)")
    parser.add_argument(
        "--identities", type=_positive, default=300, help="job streams (default 300)"
    )
    parser.add_argument("--seed", type=int, default=0, help="trace seed (default 0)")
    parser.add_argument(
        "--floor", action="store_true", help="also run floor.py in each round and report it"
    )
    return parser


def _results_line(results: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {value}" for name, value in zip(RESULT_FIELDS, results, strict=True))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    n: int = args.n
    print(f"machine: {machine_summary()}", flush=True)
    print(f"jobs: {n}\nidentities: {args.identities}\nseed: {args.seed}\nrounds: {args.rounds}")
    emulator: list[Run] = []
    baseline: list[Run] = []
    floor: list[Run] = []
    agreed: tuple[str, ...] | None = None
    for number in range(1, args.rounds + 1):
        order = [(EMULATOR, emulator), (BASELINE, baseline)]
        if args.floor:  # the three take turns to go first: E F B, F B E, B E F, ...
            order.insert(1, (FLOOR, floor))
            turn = (number - 1) % 3
            order = order[turn:] + order[:turn]
        elif number % 2 == 0:
            order.reverse()
        for script, runs in order:
            run = run_once(script, n, args.identities, args.seed)
            if agreed is None:
                agreed = run.results
            elif run.results != agreed:
                print(
                    f"mismatch: {script.name} in round {number} reported "
                    f"{_results_line(run.results)}; earlier runs: {_results_line(agreed)}",
                    flush=True,
                )
                return 1
            runs.append(run)
        emu, base = emulator[-1], baseline[-1]
        print(
            f"pair_{number}: emulator {emu.wall:.3f} s, baseline {base.wall:.3f} s, "
            f"ratio {emu.wall / base.wall:.2f}; cpu {emu.cpu:.3f} s / {base.cpu:.3f} s, "
            f"ratio {emu.cpu / base.cpu:.2f} ({LABELS[order[0][0]]} first)",
            flush=True,
        )
        if args.floor:
            low = floor[-1]
            print(
                f"floor_{number}: floor {low.wall:.3f} s, cpu {low.cpu:.3f} s, cpu ratio to "
                f"the baseline {low.cpu / base.cpu:.2f}, the emulator's to it "
                f"{emu.cpu / low.cpu:.2f}",
                flush=True,
            )
    assert agreed is not None
    median = statistics.median
    wall_e, wall_b = median(r.wall for r in emulator), median(r.wall for r in baseline)
    cpu_e, cpu_b = median(r.cpu for r in emulator), median(r.cpu for r in baseline)
    pairs = list(zip(emulator, baseline, strict=True))
    lines = [
        f"results: {_results_line(agreed)} (the same in every run)",
        f"emulator_median_seconds: {wall_e:.3f}",
        f"baseline_median_seconds: {wall_b:.3f}",
        f"ratio_of_medians: {wall_e / wall_b:.2f}",
        f"median_ratio: {median(e.wall / b.wall for e, b in pairs):.2f}",
        f"emulator_median_cpu_seconds: {cpu_e:.3f}",
        f"baseline_median_cpu_seconds: {cpu_b:.3f}",
        f"median_cpu_ratio: {median(e.cpu / b.cpu for e, b in pairs):.2f}",
        f"emulator_rss_per_job: {median(r.rss_per_job for r in emulator):.0f} bytes",
        f"baseline_rss_per_job: {median(r.rss_per_job for r in baseline):.0f} bytes",
    ]
    if args.floor:
        triples = list(zip(emulator, floor, baseline, strict=True))
        lines += [
            f"floor_median_seconds: {median(r.wall for r in floor):.3f}",
            f"floor_median_cpu_seconds: {median(r.cpu for r in floor):.3f}",
            f"floor_median_cpu_ratio: {median(f.cpu / b.cpu for _, f, b in triples):.2f}",
            "emulator_to_floor_median_cpu_ratio: "
            f"{median(e.cpu / f.cpu for e, f, _ in triples):.2f}",
            f"floor_rss_per_job: {median(r.rss_per_job for r in floor):.0f} bytes",
        ]
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
