"""The warm pool walk-through of the AWS guide, with the SageMaker Python SDK v2, offline.

This is the guide's "Using the SageMaker Python SDK" example: two ``TensorFlow`` estimators
with ``keep_alive_period_in_seconds=1800`` call ``fit()`` one after the other, the second job
takes over the first one's warm pool, ``session.describe_training_job`` shows the pool
``Reused`` by job 1 and ``InUse`` by job 2, and ``session.update_training_job(job_name,
resource_config={"KeepAlivePeriodInSeconds": 0})`` terminates it. Nothing leaves the process:

* moto (``moto.mock_aws``) serves S3 (the SDK uploads the training code there), STS and
  CloudWatch Logs, with fake credentials;
* warmpool (``warmpool.aws.mock_sagemaker``) serves SageMaker, and with ``virtual_time=True``
  the SDK's waiting loops sleep on the emulator's virtual clock: each job trains for an hour
  of virtual time and the script takes a few seconds.

Run it with ``python examples/sdk_estimator.py``; it needs ``pip install
'sagemaker-warmpool[aws]' 'sagemaker>=2.257,<3' 'moto[s3,logs]'``.

What differs from the guide's snippets, marked ``FIX`` below:

1. ``job_name`` is an argument of ``fit()``, not of the estimator. ``TensorFlow(...,
   job_name="my-training-job-1")`` neither fails nor warns: ``EstimatorBase.__init__`` takes
   unknown keyword arguments in ``**kwargs`` and ignores them, so ``fit()`` names the job
   after its image, ``tensorflow-training-<timestamp>``, and ``describe_training_job(
   "my-training-job-1")`` raises a ``ClientError`` (``ValidationException: Requested
   resource not found.``). ``fit(inputs, job_name="my-training-job-1")`` names the job.
2. The "Update" and "Terminate" snippets use ``session`` and ``job_name``. ``session`` is
   the ``sagemaker.Session()`` of the first snippet; ``job_name`` is defined nowhere: it must
   be the name of the job whose pool is ``Available``, the second one
   (``estimator.latest_training_job.job_name``; here ``my-training-job-2``), since job 1's
   pool was ``Reused``. ``role`` is an explicit ARN: ``get_execution_role()`` works only
   inside SageMaker (with moto it raises ``ValueError: The current AWS identity is not a
   role``).
3. ``fit()`` waits until the job completes, and a completed job's pool is ``Available``, so
   after two waiting ``fit()`` calls job 2 shows ``Available``, not the guide's ``InUse``
   (which is its status while it trains). To see what the guide shows, the second ``fit()``
   passes ``wait=False``; ``estimator.latest_training_job.wait()`` then waits, as ``fit()``
   would have, before the pool is terminated.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from warmpool import JobPlan, Quota, WarmPoolEmulator
from warmpool.aws import mock_sagemaker

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
INSTANCE_TYPE = "ml.m5.xlarge"
TRAINING_DATA = "s3://my-bucket/my_training_data/"
JOB_NAMES = ("my-training-job-1", "my-training-job-2")
TRAINING_SECONDS = 3600

#: The environment the SDK runs in while the walk-through runs: fake credentials (moto sets
#: them too), an explicit region, no AWS config files, the SDK's v2 deprecation warning off.
#: :func:`offline_aws` also points ``SAGEMAKER_ADMIN_CONFIG_OVERRIDE`` and
#: ``SAGEMAKER_USER_CONFIG_OVERRIDE`` at an empty file, so no SDK defaults config of this
#: machine (``~/.config/sagemaker/config.yaml``) changes the requests. (A defaults config
#: with ``TelemetryOptOut: true`` would stop the SDK's telemetry GET, which moto answers
#: in-process anyway, but the SDK re-validates a non-empty config against its JSON schema on
#: every lookup, which made this script about 2.5 times slower.)
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
}

TRAINING_SCRIPT = """\
# The guide's my-training-script.py: the SDK uploads it to S3; nothing runs it.
print("training")
"""


@dataclass
class Walkthrough:
    """What happened: the requests the emulator got and the descriptions the SDK saw."""

    emulator: WarmPoolEmulator
    job_names: tuple[str, str]
    #: each CreateTrainingJob request as the SDK sent it, by job name
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``session.describe_training_job`` of each job at the guide's check (job 2 training)
    checked: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ... once job 2 has completed
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ... after ``update_training_job(job 2, KeepAlivePeriodInSeconds=0)``
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    virtual_seconds: float = 0.0
    real_seconds: float = 0.0


@contextmanager
def offline_aws(directory: Path) -> Iterator[None]:
    """moto's S3, STS and CloudWatch Logs, with :data:`ENVIRONMENT` and no SDK defaults."""
    import moto

    defaults = directory / "sagemaker-config.yaml"
    defaults.write_text("", encoding="utf-8")
    environment = dict(
        ENVIRONMENT,
        SAGEMAKER_ADMIN_CONFIG_OVERRIDE=str(defaults),
        SAGEMAKER_USER_CONFIG_OVERRIDE=str(defaults),
    )
    with mock.patch.dict(os.environ, environment), moto.mock_aws():
        yield


def write_training_code(directory: Path) -> Path:
    """The guide's ``source_dir='code'`` with its ``my-training-script.py``."""
    code = directory / "code"
    code.mkdir()
    (code / "my-training-script.py").write_text(TRAINING_SCRIPT, encoding="utf-8")
    return code


def run(training_seconds: float = TRAINING_SECONDS) -> Walkthrough:
    """Run the guide's walk-through against a fresh emulator and return what happened."""
    requests: dict[str, dict[str, Any]] = {}

    def workload(request: Mapping[str, Any]) -> JobPlan:
        requests[request["TrainingJobName"]] = dict(request)
        return JobPlan(training_seconds=training_seconds)

    emu = WarmPoolEmulator(quotas={INSTANCE_TYPE: Quota(warm_pool=1)}, workload=workload)
    result = Walkthrough(emulator=emu, job_names=JOB_NAMES, requests=requests)
    started = time.perf_counter()
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stack.enter_context(offline_aws(directory))
        stack.enter_context(mock_sagemaker(emu, virtual_time=True))
        walk_through(write_training_code(directory), result)
    result.real_seconds = time.perf_counter() - started
    result.virtual_seconds = emu.now
    return result


def walk_through(code: Path, result: Walkthrough) -> None:
    """The guide's snippets, as close to its text as they run."""
    # The guide's sagemaker.Session and sagemaker.tensorflow.TensorFlow, imported from the
    # modules that define them, which mypy --strict accepts (the SDK's methods are untyped,
    # hence the Any).
    from sagemaker.session import Session
    from sagemaker.tensorflow.estimator import TensorFlow

    # Creates a SageMaker session and gets execution role
    session: Any = Session()  # sagemaker.Session()
    role = ROLE  # get_execution_role() works only inside SageMaker

    def make_estimator(epochs: int) -> Any:
        # Creates an example estimator (the guide's two differ only in "epochs")
        return TensorFlow(
            entry_point="my-training-script.py",
            source_dir=str(code),
            role=role,
            model_dir="model_dir",
            framework_version="2.13",
            py_version="py310",
            # FIX 1: no job_name=... here: the estimator would silently ignore it
            instance_type=INSTANCE_TYPE,
            instance_count=1,
            volume_size=250,
            hyperparameters={
                "batch-size": 512,
                "epochs": epochs,
                "learning-rate": 1e-3,
                "beta_1": 0.9,
                "beta_2": 0.999,
            },
            keep_alive_period_in_seconds=1800,
        )

    first, second = result.job_names

    estimator = make_estimator(epochs=1)
    # Starts a SageMaker training job and waits until completion
    estimator.fit(TRAINING_DATA, job_name=first)  # FIX 1: the job's name goes here

    estimator = make_estimator(epochs=2)
    # Starts the second, matching training job. FIX 3: without waiting, to see it InUse
    estimator.fit(TRAINING_DATA, job_name=second, wait=False)

    # Check the warm pool status of both training jobs: Reused for job 1, InUse for job 2
    for name in result.job_names:
        result.checked[name] = session.describe_training_job(name)

    # Waits until completion, as fit() would have: job 2's pool is now Available
    estimator.latest_training_job.wait()
    for name in result.job_names:
        result.completed[name] = session.describe_training_job(name)

    # Terminate a warm pool. FIX 2: define job_name, the job whose pool is Available (job 2)
    job_name = estimator.latest_training_job.job_name
    session.update_training_job(job_name, resource_config={"KeepAlivePeriodInSeconds": 0})
    for name in result.job_names:
        result.updated[name] = session.describe_training_job(name)


def report(result: Walkthrough) -> str:
    """A short account of the walk-through."""
    lines = []
    for title, descriptions in (
        ("while job 2 trains (the guide's check)", result.checked),
        ("once job 2 has completed", result.completed),
        ("after update_training_job(KeepAlivePeriodInSeconds=0)", result.updated),
    ):
        lines.append(f"WarmPoolStatus {title}:")
        for name, description in descriptions.items():
            lines.append(f"  {name}: {description.get('WarmPoolStatus')}")
    lines.append("Jobs:")
    for name in result.job_names:
        description = result.updated[name]
        lines.append(
            f"  {name}: {description['TrainingJobStatus']}, "
            f"training {description.get('TrainingTimeInSeconds')} s, "
            f"billable {description.get('BillableTimeInSeconds')} s"
        )
    lines.append(
        f"Virtual time elapsed: {result.virtual_seconds:.0f} s "
        f"({result.virtual_seconds / 3600:.2f} h); real time: {result.real_seconds:.1f} s"
    )
    return "\n".join(lines)


def main() -> int:
    """Run the walk-through, with the SDK's progress output but not its INFO logging."""
    for logger in ("sagemaker", "sagemaker.config"):
        logging.getLogger(logger).setLevel(logging.WARNING)
    result = run()
    print()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
