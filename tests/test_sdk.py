"""The SageMaker Python SDK v2 against the emulator: examples/sdk_estimator.py, the AWS guide's
estimator walk-through run offline (moto serves S3, STS and CloudWatch Logs; warmpool serves
SageMaker on virtual time), what ``mock_sagemaker(virtual_time=...)`` does to the SDK, and an
Experiments ``Run`` whose calls moto answers around estimators the emulator trains (behaviour
§12.1, §12.2)."""

from __future__ import annotations

import sys
import tempfile
import time
import types
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from tests import factories
from tests.conftest import require
from warmpool import JobPlan, Quota, WarmPoolEmulator, identity_key
from warmpool.aws import DEFAULT_TIME_MODULES, OPERATIONS, VirtualTime, mock_sagemaker

sagemaker_session = require("sagemaker.session")
require("sagemaker.tensorflow")
require("moto")
botocore_client = require("botocore.client")
botocore_session = require("botocore.session")

#: botocore's client factory before anything here runs; mock_sagemaker replaces it while active
CREATE_CLIENT = botocore_session.Session.create_client
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sdk_estimator.py"


def load_example() -> types.ModuleType:
    return factories.load_example(EXAMPLE)


example = load_example()


class Run:
    """One run of the example, with every AWS call any client made on the way."""

    def __init__(self, result: Any, calls: list[tuple[str, str]]) -> None:
        self.result = result
        self.calls = calls
        self.emulator: WarmPoolEmulator = result.emulator
        self.first, self.second = result.job_names


@pytest.fixture(scope="module")
def run() -> Run:
    calls: list[tuple[str, str]] = []
    make_api_call = botocore_client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: Any) -> Any:
        calls.append((client.meta.service_model.service_name, operation))
        return make_api_call(client, operation, params)

    with mock.patch.object(botocore_client.BaseClient, "_make_api_call", record):
        result = example.run()
    return Run(result, calls)


def test_job_1_pool_is_reused_by_job_2_which_is_in_use(run: Run) -> None:
    checked = run.result.checked
    pool = dict(checked[run.first]["WarmPoolStatus"])
    retained = pool.pop("ResourceRetainedBillableTimeInSeconds")
    assert pool == {"Status": "Reused", "ReusedByJob": run.second}
    # job 1's pool waited for the SDK to notice job 1 had completed and to create job 2
    assert isinstance(retained, int)
    assert 0 < retained < 60
    assert checked[run.second]["WarmPoolStatus"] == {"Status": "InUse"}
    assert checked[run.second]["TrainingJobStatus"] == "InProgress"
    assert checked[run.first]["TrainingJobStatus"] == "Completed"


def test_job_2_pool_is_available_once_it_completes_then_terminated_by_the_update(
    run: Run,
) -> None:
    completed, updated = run.result.completed, run.result.updated
    assert completed[run.second]["TrainingJobStatus"] == "Completed"
    assert completed[run.second]["WarmPoolStatus"] == {"Status": "Available"}
    assert updated[run.second]["WarmPoolStatus"]["Status"] == "Terminated"
    assert updated[run.second]["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 0
    # job 1's pool stays Reused; the update does not touch it
    assert updated[run.first]["WarmPoolStatus"] == run.result.checked[run.first]["WarmPoolStatus"]
    view = run.emulator.warm_pool(run.second)
    assert view is not None
    assert view.status == "Terminated"


def test_the_sdk_sent_the_keep_alive_and_identity_fields(run: Run) -> None:
    requests = run.result.requests
    assert list(requests) == [run.first, run.second]
    for name, sent in requests.items():
        assert sent["TrainingJobName"] == name
        assert sent["RoleArn"] == example.ROLE
        assert sent["ResourceConfig"] == {
            "InstanceType": example.INSTANCE_TYPE,
            "InstanceCount": 1,
            "VolumeSizeInGB": 250,
            "KeepAlivePeriodInSeconds": 1800,
        }
        # what the emulator kept is what the SDK sent
        described = run.result.checked[name]
        assert described["RoleArn"] == sent["RoleArn"]
        assert described["AlgorithmSpecification"] == sent["AlgorithmSpecification"]
        assert described["HyperParameters"] == sent["HyperParameters"]
        assert described["ResourceConfig"] == sent["ResourceConfig"]
    first, second = requests[run.first], requests[run.second]
    assert identity_key(first) == identity_key(second)
    # the jobs differ only in a hyperparameter, which the SDK sends JSON-encoded
    assert (first["HyperParameters"]["epochs"], second["HyperParameters"]["epochs"]) == ("1", "2")
    assert first["AlgorithmSpecification"]["TrainingImage"].endswith(
        "tensorflow-training:2.13-cpu-py310"
    )
    assert first["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        example.TRAINING_DATA
    )


def test_each_job_trained_for_the_workload_time_and_virtual_time_advanced(run: Run) -> None:
    training = example.TRAINING_SECONDS
    for name in run.result.job_names:
        description = run.result.updated[name]
        assert description["TrainingTimeInSeconds"] == training
        assert description["BillableTimeInSeconds"] == training
    assert run.result.virtual_seconds == run.emulator.now
    # a cold start, two trainings, a warm start and the SDK's polling between them
    timing = run.emulator.timing
    least = 2 * training + timing.cold_start_seconds + timing.warm_start_seconds
    assert least <= run.result.virtual_seconds <= least + 600


def test_sdk_calls_go_to_moto_and_the_emulator_only(run: Run) -> None:
    by_service = Counter(service for service, _ in run.calls)
    assert set(by_service) <= {"sagemaker", "s3", "sts", "logs"}
    sagemaker_operations = {op for service, op in run.calls if service == "sagemaker"}
    assert sagemaker_operations == {
        "CreateTrainingJob",
        "DescribeTrainingJob",
        "UpdateTrainingJob",
    }
    assert (
        Counter(op for service, op in run.calls if service == "sagemaker")["CreateTrainingJob"] == 2
    )
    # the training code went to S3 (moto) once per fit()
    assert Counter(run.calls)[("s3", "PutObject")] == 2
    # the SDK's default logs="All" tails CloudWatch Logs (moto, with no log streams)
    assert ("logs", "DescribeLogStreams") in run.calls


def test_report_names_each_status(run: Run) -> None:
    text = example.report(run.result)
    for status in ("Reused", "InUse", "Available", "Terminated"):
        assert f"'Status': '{status}'" in text
    assert "Virtual time elapsed" in text


def test_main_prints_the_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert example.main() == 0
    out = capsys.readouterr().out
    assert "Starting - Reusing the instances of a warm pool" in out  # the SDK's own progress
    assert f"{example.JOB_NAMES[1]}: {{'Status': 'Terminated'" in out


def test_the_example_leaves_no_patches_behind() -> None:
    # After a run (the module fixture and test_main ran before): no virtual clock, no hook.
    assert sagemaker_session.time is time
    assert botocore_session.Session.create_client is CREATE_CLIENT


# -- mock_sagemaker and the SDK's time -----------------------------------------------------------


def test_virtual_time_replaces_and_restores_the_sdk_time() -> None:
    emu = WarmPoolEmulator()
    assert "sagemaker.session" in DEFAULT_TIME_MODULES
    assert sagemaker_session.time is time
    with mock_sagemaker(emu, virtual_time=True):
        clock = sagemaker_session.time
        assert isinstance(clock, VirtualTime)
        assert clock.emulator is emu
        clock.sleep(90)
        assert emu.now == 90
        assert clock.time() == emu.clock.epoch.timestamp() + 90
    assert sagemaker_session.time is time


def test_virtual_time_is_restored_when_the_block_raises() -> None:
    emu = WarmPoolEmulator()
    seen: list[object] = []

    @mock_sagemaker(emu, virtual_time=True)
    def fail() -> None:
        seen.append(sagemaker_session.time)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert isinstance(seen[0], VirtualTime)
    assert sagemaker_session.time is time


def test_without_virtual_time_the_sdk_time_is_not_patched() -> None:
    emu = WarmPoolEmulator()
    modules = [sys.modules[name] for name in DEFAULT_TIME_MODULES if name in sys.modules]
    assert sagemaker_session in modules
    with mock_sagemaker(emu):
        for module in modules:
            assert module.time is time
    with mock_sagemaker(emu, virtual_time=False):
        for module in modules:
            assert module.time is time
    assert emu.now == 0


# -- SageMaker Experiments through moto, beside the emulator (issue 7) ---------------------------

EXPERIMENT = "my-experiment"
RUN_NAME = "warm-pool-run"
MOTO_ACCOUNT = "123456789012"  # moto's default account


class ExperimentRun:
    """A ``sagemaker.experiments.run.Run`` around two estimators with warm pools, offline:
    what the emulator and moto hold afterwards, and every AWS call made."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.descriptions: dict[str, dict[str, Any]] = {}
        self.emulator = WarmPoolEmulator(
            quotas={example.INSTANCE_TYPE: Quota(warm_pool=1)},
            workload=lambda _request: JobPlan(training_seconds=example.TRAINING_SECONDS),
        )
        self.experiments: dict[str, Any] = {}
        self.trial_components: dict[str, Any] = {}
        self.moto_training_jobs: dict[str, Any] = {}
        self.run_config: dict[str, str] = {}


def estimator(code: Path, session: Any) -> Any:
    from sagemaker.tensorflow.estimator import TensorFlow

    return TensorFlow(
        entry_point="my-training-script.py",
        source_dir=str(code),
        role=example.ROLE,
        framework_version="2.13",
        py_version="py310",
        instance_type=example.INSTANCE_TYPE,
        instance_count=1,
        volume_size=250,
        keep_alive_period_in_seconds=1800,
        sagemaker_session=session,
    )


@pytest.fixture(scope="module")
def experiment_run() -> ExperimentRun:
    """Inside ``mock_aws()`` + ``mock_sagemaker(emu, virtual_time=True)``: a Run logs a
    parameter, two matching ``fit()`` calls train (the second takes over the first one's
    pool), the Run logs a metric and closes."""
    from sagemaker.experiments.run import Run as ExperimentsRun
    from sagemaker.session import Session

    moto_backends = require("moto.backends")
    result = ExperimentRun()
    make_api_call = botocore_client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: Any) -> Any:
        result.calls.append((client.meta.service_model.service_name, operation))
        return make_api_call(client, operation, params)

    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stack.enter_context(mock.patch.object(botocore_client.BaseClient, "_make_api_call", record))
        stack.enter_context(example.offline_aws(directory))
        stack.enter_context(mock_sagemaker(result.emulator, virtual_time=True))
        code = example.write_training_code(directory)
        session: Any = Session()
        with ExperimentsRun(
            experiment_name=EXPERIMENT, run_name=RUN_NAME, sagemaker_session=session
        ) as run:
            run.log_parameter("learning-rate", 0.001)
            estimator(code, session).fit(example.TRAINING_DATA, job_name="run-job-1", logs="None")
            result.descriptions["after first fit"] = session.describe_training_job("run-job-1")
            estimator(code, session).fit(example.TRAINING_DATA, job_name="run-job-2", logs="None")
            # moto's BatchPutMetrics requires Step, which AWS does not: pass one
            run.log_metric("accuracy", 0.9, step=1)
            result.run_config = dict(run.experiment_config)
        for name in ("run-job-1", "run-job-2"):
            result.descriptions[name] = session.describe_training_job(name)
        backend = moto_backends.get_backend("sagemaker")[MOTO_ACCOUNT][example.REGION]
        result.experiments = dict(backend.experiments)
        result.trial_components = dict(backend.trial_components)
        result.moto_training_jobs = dict(backend.training_jobs)
    return result


def test_run_around_warm_pool_estimators_keeps_pool_status(experiment_run: ExperimentRun) -> None:
    """D29: inside a Run, the training jobs are the emulator's: the first job's pool is
    Available after its fit(), Reused by the second, matching job, whose pool is Available."""
    described = experiment_run.descriptions
    assert described["after first fit"]["WarmPoolStatus"] == {"Status": "Available"}
    first = dict(described["run-job-1"]["WarmPoolStatus"])
    retained = first.pop("ResourceRetainedBillableTimeInSeconds")
    assert first == {"Status": "Reused", "ReusedByJob": "run-job-2"}
    # job 2 was created as soon as the SDK saw job 1 complete (its waiter polls in virtual
    # time without logs), so the pool waited for at most a poll interval
    assert isinstance(retained, int)
    assert 0 <= retained < 60
    assert described["run-job-2"]["WarmPoolStatus"] == {"Status": "Available"}
    assert experiment_run.emulator.job_names() == ["run-job-1", "run-job-2"]
    assert experiment_run.moto_training_jobs == {}


def test_run_calls_go_to_moto(experiment_run: ExperimentRun) -> None:
    """D29: the Run's SageMaker calls, which the emulator does not emulate, went to moto:
    moto holds the experiment and the run's trial component with its parameter and metric."""
    assert list(experiment_run.experiments) == [EXPERIMENT]
    [component] = experiment_run.trial_components.values()
    assert component.trial_component_name == experiment_run.run_config["RunName"]
    assert component.parameters == {"learning-rate": {"NumberValue": 0.001}}
    assert list(component.metrics) == ["accuracy"]
    sagemaker_calls = {op for service, op in experiment_run.calls if service == "sagemaker"}
    emulated = sagemaker_calls & set(OPERATIONS)
    to_moto = sagemaker_calls - set(OPERATIONS)
    assert emulated == {"CreateTrainingJob", "DescribeTrainingJob"}
    assert {"CreateExperiment", "CreateTrialComponent", "UpdateTrialComponent"} <= to_moto
    assert ("sagemaker-metrics", "BatchPutMetrics") in experiment_run.calls


def test_run_experiment_config_reaches_the_emulator(experiment_run: ExperimentRun) -> None:
    """The SDK puts the Run's ExperimentConfig on each CreateTrainingJob; the emulator keeps
    it, as DescribeTrainingJob on AWS returns it."""
    for name in ("run-job-1", "run-job-2"):
        config = experiment_run.descriptions[name]["ExperimentConfig"]
        assert config["ExperimentName"] == EXPERIMENT
        assert config["RunName"] == experiment_run.run_config["RunName"]
