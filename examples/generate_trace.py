"""Generate the example trace ``examples/teams.csv``: a few teams iterating on experiments.

    python examples/generate_trace.py [OUT] [--days N] [--seed N]

Four teams, each with a few people, spend four working weeks (from Monday 2026-03-02) training
models on SageMaker. A person works in sessions: submit a job, wait for it (start-up plus
training, 5 to 90 minutes), look at the result, change something, submit the next. The pause
after a result is usually short (a median of about 4 minutes: a fixed typo, a new learning
rate), sometimes long (a meeting, lunch: 40 minutes to 3 hours), and the night and the weekend
are pauses too. So idle gaps run from seconds to days, the spread that makes the choice of a
keep-alive matter. Each team has its own role, instance type and count, and keep-alive; a few
jobs fail (most with ``AlgorithmError``, which keeps the warm pool; a few with
``InternalServerError``, which does not) and a few are stopped by their owner.

The trace is written with ``warmpool.sim.write_trace`` (ISO 8601 submit times). Everything
comes from one ``random.Random(seed)``: the same seed gives the same file, byte for byte (a test
checks that the committed file is what this script writes).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs

from warmpool.sim import TraceJob, write_trace

START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday
DAY = 86400
ACCOUNT = "123456789012"


@attrs.frozen
class Team:
    name: str
    people: int
    instance_type: str
    instance_count: int
    volume_size_gb: int
    keep_alive_seconds: int | None
    training_minutes: tuple[float, float]  # shortest, longest
    jobs_per_session: tuple[int, int]


TEAMS = (
    Team("vision", 4, "ml.g5.2xlarge", 1, 50, 1800, (5, 45), (4, 12)),
    Team("nlp", 3, "ml.g5.12xlarge", 2, 200, 3600, (15, 90), (2, 6)),
    Team("forecasting", 3, "ml.m5.2xlarge", 1, 30, 600, (5, 20), (6, 16)),
    Team("recsys", 2, "ml.g5.xlarge", 4, 100, None, (10, 40), (3, 8)),
)


def person_jobs(rng: random.Random, team: Team, person: int, days: int) -> Iterator[TraceJob]:
    """One person's jobs, in submit order, over ``days`` days from ``START`` (weekdays)."""
    role = f"arn:aws:iam::{ACCOUNT}:role/{team.name}-training"
    for day in range(days):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue  # the weekend
        # A working day of 9:00 to 18:00 UTC, give or take, with one to three sessions.
        at = day * DAY + 9 * 3600 + rng.uniform(-3600, 3600)
        end_of_day = day * DAY + 18 * 3600 + rng.uniform(-3600, 3600)
        for _ in range(rng.randint(1, 3)):
            for _ in range(rng.randint(*team.jobs_per_session)):
                if at >= end_of_day:
                    break
                training = round(rng.uniform(*team.training_minutes) * 60)
                draw = rng.random()
                outcome = (
                    "AlgorithmError"
                    if draw < 0.05
                    else "InternalServerError"
                    if draw < 0.06
                    else "Stopped"
                    if draw < 0.08
                    else "Completed"
                )
                if outcome in ("AlgorithmError", "InternalServerError"):
                    training = round(training * rng.uniform(0.05, 0.5))  # fails early
                yield TraceJob(
                    submit_time=round(at),
                    instance_type=team.instance_type,
                    training_seconds=training,
                    role_arn=role,
                    instance_count=team.instance_count,
                    volume_size_gb=team.volume_size_gb,
                    keep_alive_seconds=team.keep_alive_seconds,
                    outcome=outcome,
                    max_runtime_seconds=3 * 3600,
                )
                # waiting for the result: start-up (about 3 minutes cold, less warm) + training
                at += 150 + training
                # then a short look at it (median about 4 minutes)
                at += rng.lognormvariate(5.5, 0.9)
            at += rng.uniform(40 * 60, 3 * 3600)  # a meeting, lunch, other work


def generate(days: int = 28, seed: int = 2026) -> list[TraceJob]:
    """Every job of every team, in submit order, named ``<team>-<person>-<n>``."""
    rng = random.Random(seed)
    jobs: list[tuple[float, str, TraceJob]] = []
    for team in TEAMS:
        for person in range(1, team.people + 1):
            for n, job in enumerate(person_jobs(rng, team, person, days), 1):
                name = f"{team.name}-{person}-{n:04d}"
                jobs.append((job.submit_time, name, attrs.evolve(job, job_name=name)))
    jobs.sort(key=lambda item: (item[0], item[1]))
    return [job for _, _, job in jobs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).with_name("teams.csv")
    parser.add_argument("out", nargs="?", type=Path, default=default, help=f"default {default}")
    parser.add_argument("--days", type=int, default=28, help="days to generate (default 28)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = parser.parse_args(argv)
    jobs = generate(args.days, args.seed)
    rows = write_trace(args.out, jobs, start=START)
    print(f"wrote {rows} jobs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
