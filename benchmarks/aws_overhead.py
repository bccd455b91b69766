"""What a call costs through boto3: directly, through an attached client, through the server.

Usage::

    python benchmarks/aws_overhead.py N

Each of three paths creates ``N`` training jobs (with a warm pool kept and reused), then
describes each once, and lists them in pages of 100:

* ``direct``: the emulator's own methods;
* ``attached``: a real boto3 client attached with :func:`warmpool.aws.attach` (botocore's
  parameter validation, events and endpoint resolution, no network);
* ``server``: a boto3 client whose ``endpoint_url`` is :func:`warmpool.server.make_server`
  on loopback (botocore's serializer, an HTTP round trip, the server's JSON, botocore's parser).

Output (stdout, ``key: value`` lines): for each path and operation, microseconds per call and
calls per second (a ``list`` call is one page of up to 100 summaries). Needs the ``aws``
extra. Only the calls are timed; each path gets a fresh emulator and the same requests.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from warmpool import JobPlan, Quota, WarmPoolEmulator
from warmpool.events import PoolReused

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
INSTANCE_TYPE = "ml.m5.xlarge"
OPERATIONS = ("create", "describe", "list")


def request(name: str) -> dict[str, Any]:
    """A ``CreateTrainingJob`` request that keeps a warm pool for the next job to take over."""
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest",
            "TrainingInputMode": "File",
        },
        "HyperParameters": {"epochs": "3", "learning-rate": "0.001"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {
            "InstanceType": INSTANCE_TYPE,
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
            "KeepAlivePeriodInSeconds": 1800,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


def new_emulator() -> WarmPoolEmulator:
    return WarmPoolEmulator(
        quotas={INSTANCE_TYPE: Quota(warm_pool=1)},
        workload=lambda _request: JobPlan(training_seconds=60),
    )


def measure(sm: Any, emu: WarmPoolEmulator, n: int) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds spent in each operation and how many calls, driving ``sm`` (a client or the
    emulator)."""
    names = [f"job-{i:07d}" for i in range(n)]
    spent = dict.fromkeys(OPERATIONS, 0.0)
    clock = time.perf_counter
    for name in names:
        body = request(name)
        started = clock()
        sm.create_training_job(**body)
        spent["create"] += clock() - started
        emu.advance(300)  # start, train 60 s, release: the next job takes the pool over
    started = clock()
    for name in names:
        sm.describe_training_job(TrainingJobName=name)
    spent["describe"] = clock() - started
    started = clock()
    token: str | None = None
    pages = 0
    while True:
        args: dict[str, Any] = {"MaxResults": 100}
        if token is not None:
            args["NextToken"] = token
        page = sm.list_training_jobs(**args)
        pages += 1
        token = page.get("NextToken")
        if token is None:
            break
    spent["list"] = clock() - started
    return spent, {"create": n, "describe": n, "list": pages}


def paths() -> dict[str, Callable[[WarmPoolEmulator], tuple[Any, Callable[[], None]]]]:
    import boto3
    from botocore.config import Config

    from warmpool.aws import attach
    from warmpool.server import make_server

    def client(**kwargs: Any) -> Any:
        return boto3.client(
            "sagemaker",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
            **kwargs,
        )

    def direct(emu: WarmPoolEmulator) -> tuple[Any, Callable[[], None]]:
        return emu, lambda: None

    def attached(emu: WarmPoolEmulator) -> tuple[Any, Callable[[], None]]:
        sm = client()
        attachment = attach(sm, emu)
        return sm, attachment.detach

    def served(emu: WarmPoolEmulator) -> tuple[Any, Callable[[], None]]:
        server = make_server(emu).start()
        return client(endpoint_url=server.url), server.close

    return {"direct": direct, "attached": attached, "server": served}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="jobs per path")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("n must be at least 1")
    print(f"machine: {platform.machine()} {platform.python_version()}")
    print(f"jobs: {args.n}")
    for path, make in paths().items():
        emu = new_emulator()
        sm, close = make(emu)
        try:
            sm.list_training_jobs()  # warm-up: model loading, endpoint resolution, connection
            spent, calls = measure(sm, emu, args.n)
        finally:
            close()
        for operation in OPERATIONS:
            per_call = spent[operation] / calls[operation]
            print(f"{path}_{operation}_us: {per_call * 1e6:.1f}")
            print(f"{path}_{operation}_per_second: {1 / per_call:.0f}")
        # The same work on every path: each job after the first took its predecessor's pool.
        print(f"{path}_reused: {emu.events.count(PoolReused)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
