"""Composing with moto (issue 7): inside ``moto.mock_aws()``, the SageMaker operations the
emulator does not emulate are answered by moto; outside, they raise ``NotEmulatedError`` and
nothing is sent (behaviour §12.2; D29, D30).

Every call goes through a real botocore client. moto is imported by this module, so "outside
moto" here means moto imported but no mock active, the case that could leak a call to AWS.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from tests.conftest import require
from tests.factories import emulator, request
from warmpool import WarmPoolEmulator
from warmpool.aws import OPERATIONS, NotEmulatedError, attach, attached_emulator, mock_sagemaker

boto3 = require("boto3")
botocore_session = require("botocore.session")
botocore_config = require("botocore.config")
botocore_exceptions = require("botocore.exceptions")
botocore_httpsession = require("botocore.httpsession")
moto = require("moto")
moto_backends = require("moto.backends")
moto_models = require("moto.core.models")

ClientError = botocore_exceptions.ClientError
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, and the emulator's
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
#: a port nothing listens on: a call that reached the network would fail to connect
UNROUTABLE = "http://127.0.0.1:9"


class SentToNetwork(AssertionError):
    """Raised by :func:`refuse_sending`: a call got as far as being sent."""


def refuse_sending(request: Any, **_: Any) -> None:
    """A ``before-send`` handler: whatever reaches it was about to leave the process."""
    raise SentToNetwork(f"{request.method} {request.url} was about to be sent")


@pytest.fixture
def offline() -> Iterator[None]:
    """botocore's HTTP layer refuses to send: inside moto, every answer must be in-process."""

    def send(self: Any, request: Any) -> Any:
        raise SentToNetwork(f"{request.method} {request.url} was sent")

    with mock.patch.object(botocore_httpsession.URLLib3Session, "send", send):
        yield


def new_client(**kwargs: Any) -> Any:
    kwargs.setdefault("region_name", REGION)
    return boto3.client(
        "sagemaker", aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs
    )


def moto_sagemaker() -> Any:
    """moto's SageMaker backend of the default account and region."""
    return moto_backends.get_backend("sagemaker")[ACCOUNT][REGION]


def make_endpoint_config(sm: Any, name: str) -> str:
    """A model and an endpoint configuration for it (moto refuses one for a missing model)."""
    sm.create_model(
        ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"}
    )
    answer = sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": f"{name}-model",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
    )
    return str(answer["EndpointConfigArn"])


def use_both(sm: Any, emu: WarmPoolEmulator, tag: str) -> None:
    """Experiments and an endpoint config through moto, a training job through the emulator,
    all on the one client ``sm``, and check that each landed where it should."""
    arn = sm.create_experiment(ExperimentName=f"exp-{tag}")["ExperimentArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:experiment/exp-{tag}"
    described = sm.describe_experiment(ExperimentName=f"exp-{tag}")
    assert described["ExperimentName"] == f"exp-{tag}"
    assert make_endpoint_config(sm, f"config-{tag}").endswith(f":endpoint-config/config-{tag}")

    sm.create_training_job(**request(f"job-{tag}"))
    job = sm.describe_training_job(TrainingJobName=f"job-{tag}")
    assert job["WarmPoolStatus"] == {"Status": "InUse"}  # the emulator's: moto has no pools

    backend = moto_sagemaker()
    assert f"exp-{tag}" in backend.experiments
    assert f"config-{tag}" in backend.endpoint_configs
    assert f"job-{tag}" not in backend.training_jobs
    assert f"job-{tag}" in emu.job_names()


@pytest.fixture
def emu(offline: None) -> WarmPoolEmulator:
    """An emulator, with botocore's HTTP layer refusing to send for the whole test."""
    return emulator(training_seconds=None)


@pytest.fixture
def no_moto_mock() -> Iterator[None]:
    """Start outside any moto mock, and check the test left none active."""
    assert not moto_models.botocore_stubber.enabled
    yield
    assert not moto_models.botocore_stubber.enabled


# --- what warmpool relies on in moto -------------------------------------------------------------


@pytest.mark.usefixtures("no_moto_mock")
def test_motos_switch_is_what_warmpool_reads() -> None:
    """D29: moto registers one ``before-send`` handler among botocore's built-in handlers, and
    mock_aws switches its ``enabled`` flag on for as long as the outermost mock is active
    (nested mocks included). If a moto release changes this, this test says so first."""
    handler = moto_models.botocore_stubber
    builtin = require("botocore.handlers").BUILTIN_HANDLERS
    assert ("before-send", handler) in builtin
    assert handler.enabled is False
    with moto.mock_aws():
        assert handler.enabled is True
        with moto.mock_aws():
            assert handler.enabled is True
        assert handler.enabled is True
    assert handler.enabled is False


# --- inside moto: moto answers what the emulator does not ---------------------------------------


def test_inside_mock_aws_moto_answers_what_is_not_emulated(emu: WarmPoolEmulator) -> None:
    """D29: mock_aws entered first, mock_sagemaker inside: CreateExperiment,
    DescribeExperiment, CreateModel and CreateEndpointConfig go to moto, the training job to
    the emulator."""
    with moto.mock_aws(), mock_sagemaker(emu):
        use_both(new_client(), emu, "moto-outside")


def test_nesting_order_does_not_matter(emu: WarmPoolEmulator) -> None:
    """D30: mock_sagemaker entered first, mock_aws inside, works alike."""
    with mock_sagemaker(emu), moto.mock_aws():
        use_both(new_client(), emu, "moto-inside")


def test_as_decorators_in_both_orders(emu: WarmPoolEmulator) -> None:
    """D30: ``@mock_aws`` over ``@mock_sagemaker(emu)`` and the other way round."""
    mock_aws: Callable[[Callable[[], None]], Callable[[], None]] = moto.mock_aws  # typed

    @mock_aws
    @mock_sagemaker(emu)
    def moto_outside() -> None:
        use_both(new_client(), emu, "decorated-1")

    @mock_sagemaker(emu)
    @mock_aws
    def moto_inside() -> None:
        use_both(new_client(), emu, "decorated-2")

    moto_outside()
    moto_inside()
    assert emu.job_names() == ["job-decorated-1", "job-decorated-2"]


def test_moto_started_and_stopped_by_hand(emu: WarmPoolEmulator) -> None:
    """moto's ``start()``/``stop()`` is the same mock as its context manager."""
    sm = new_client()
    attach(sm, emu)
    mock_aws = moto.mock_aws()
    mock_aws.start()
    try:
        use_both(sm, emu, "started")
    finally:
        mock_aws.stop()
    with pytest.raises(NotEmulatedError):
        sm.list_experiments()


def test_attached_clients_go_to_moto_too(emu: WarmPoolEmulator) -> None:
    """D29: a client attached with attach(), made before mock_aws was entered, is answered by
    moto inside it and refused again after it."""
    sm = new_client()
    with attach(sm, emu):
        with moto.mock_aws():
            use_both(sm, emu, "attached")
        with pytest.raises(NotEmulatedError):
            sm.describe_experiment(ExperimentName="exp-attached")
    assert attached_emulator(sm) is None


def test_every_emulated_operation_stays_with_the_emulator(emu: WarmPoolEmulator) -> None:
    """D29: inside mock_aws the emulated operations (OPERATIONS, whatever it holds) are still
    the emulator's: none of them reaches moto's handler. Each is called with no arguments
    (client-side validation off), so the emulator refuses or answers it."""
    seen: list[str] = []
    original = type(moto_models.botocore_stubber).__call__

    def spy(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        seen.append(event_name)
        return original(self, event_name, request, **kwargs)

    config = botocore_config.Config(parameter_validation=False)
    with (
        mock.patch.object(type(moto_models.botocore_stubber), "__call__", spy),
        moto.mock_aws(),
        mock_sagemaker(emu),
    ):
        sm = new_client(config=config)
        for operation in OPERATIONS:
            with contextlib.suppress(ClientError):  # the emulator's refusal
                sm._make_api_call(operation, {})
        assert seen == []
        sm.list_experiments()  # the spy does see a call that goes to moto
        assert seen == ["before-send.sagemaker.ListExperiments"]
    assert moto_sagemaker().training_jobs == {}


def test_moto_errors_arrive_as_client_errors(emu: WarmPoolEmulator) -> None:
    """moto's answer is botocore's to parse: its errors are ClientErrors, as from AWS."""
    with moto.mock_aws(), mock_sagemaker(emu):
        sm = new_client()
        with pytest.raises(ClientError) as caught:
            sm.create_endpoint_config(
                EndpointConfigName="no-model",
                ProductionVariants=[
                    {
                        "VariantName": "main",
                        "ModelName": "missing",
                        "InstanceType": "ml.m5.xlarge",
                        "InitialInstanceCount": 1,
                    }
                ],
            )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.operation_name == "CreateEndpointConfig"


def test_a_client_without_motos_handler_gets_it_once(emu: WarmPoolEmulator) -> None:
    """A client from a botocore session made before moto was imported lacks moto's
    ``before-send`` handler (here: taken off by hand), so botocore would send its calls to
    AWS even inside mock_aws. Attached, its calls still go to moto, each answered once."""
    handler = moto_models.botocore_stubber
    sm = new_client()
    sm.meta.events.unregister("before-send", handler)
    calls: list[str] = []
    original = type(handler).__call__

    def count(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        calls.append(event_name)
        return original(self, event_name, request, **kwargs)

    with mock.patch.object(type(handler), "__call__", count), moto.mock_aws():
        with pytest.raises(SentToNetwork):  # as moto leaves it: sent
            sm.list_experiments()
        attach(sm, emu)
        sm.create_experiment(ExperimentName="late")
        sm.create_experiment(ExperimentName="later")
        assert sorted(moto_sagemaker().experiments) == ["late", "later"]
    assert calls == ["before-send.sagemaker.CreateExperiment"] * 2


# --- outside moto: NotEmulatedError, and nothing is sent -----------------------------------------


def _unemulated_operations() -> list[str]:
    model = botocore_session.get_session().get_service_model("sagemaker")
    return sorted(set(model.operation_names) - set(OPERATIONS))


UNEMULATED = _unemulated_operations()


@pytest.mark.usefixtures("no_moto_mock")
def test_outside_moto_every_other_operation_is_refused_unsent(emu: WarmPoolEmulator) -> None:
    """D29: with moto imported but no mock active, every SageMaker operation outside
    OPERATIONS raises NotEmulatedError naming it, and nothing reaches ``before-send`` (where
    botocore would send it) or the (unroutable) endpoint. Client-side validation is off so
    that each call gets as far as warmpool with no arguments."""
    assert len(UNEMULATED) > 300
    sm = new_client(
        endpoint_url=UNROUTABLE,
        config=botocore_config.Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    sm.meta.events.register_first("before-send", refuse_sending)
    attach(sm, emu)
    for operation in UNEMULATED:
        with pytest.raises(NotEmulatedError) as caught:
            sm._make_api_call(operation, {})
        assert caught.value.operation == operation
    assert emu.job_names() == []


@pytest.mark.usefixtures("no_moto_mock")
def test_the_network_check_can_fail(emu: WarmPoolEmulator) -> None:
    """The ``before-send`` guard above does stop a call that is sent: a detached client's."""
    sm = new_client(endpoint_url=UNROUTABLE)
    sm.meta.events.register_first("before-send", refuse_sending)
    with pytest.raises(SentToNetwork):
        sm.list_experiments()
    attach(sm, emu)
    with pytest.raises(NotEmulatedError):
        sm.list_experiments()


@pytest.mark.usefixtures("no_moto_mock")
def test_leaving_mock_aws_restores_not_emulated_error(emu: WarmPoolEmulator) -> None:
    """D29: inside mock_sagemaker, an operation moto answered inside mock_aws raises
    NotEmulatedError again once mock_aws is left, unsent; a new mock_aws starts afresh."""
    with mock_sagemaker(emu):
        sm = new_client()
        with moto.mock_aws():
            sm.create_experiment(ExperimentName="kept-by-moto")
            summaries = sm.list_experiments()["ExperimentSummaries"]
            assert [s["ExperimentName"] for s in summaries] == ["kept-by-moto"]
        sm.meta.events.register_first("before-send", refuse_sending)
        with pytest.raises(NotEmulatedError, match="ListExperiments"):
            sm.list_experiments()
        sm.create_training_job(**request("still-emulated"))
        sm.meta.events.unregister("before-send", refuse_sending)
        with moto.mock_aws():  # moto resets its state on entering
            assert sm.list_experiments()["ExperimentSummaries"] == []
    assert emu.job_names() == ["still-emulated"]


def test_without_moto_imported_nothing_is_passed_on(
    emu: WarmPoolEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """warmpool never imports moto: if it is not imported, no mock can be active."""
    monkeypatch.delitem(sys.modules, "moto.core.models")
    sm = new_client(endpoint_url=UNROUTABLE)
    sm.meta.events.register_first("before-send", refuse_sending)
    attach(sm, emu)
    with pytest.raises(NotEmulatedError):
        sm.list_experiments()
    assert "moto.core.models" not in sys.modules


@pytest.mark.usefixtures("no_moto_mock")
def test_not_emulated_error_says_nothing_was_sent_and_names_moto(emu: WarmPoolEmulator) -> None:
    """D29: the message names the operation, says nothing was sent and points at moto."""
    sm = new_client()
    attach(sm, emu)
    with pytest.raises(NotEmulatedError) as caught:
        sm.describe_endpoint(EndpointName="e")
    message = str(caught.value)
    assert message.startswith(
        "warmpool does not emulate the SageMaker operation DescribeEndpoint; it serves "
        "CreateTrainingJob, "
    )
    assert "Nothing was sent to AWS" in message
    assert "moto's mock_aws()" in message
    assert not isinstance(caught.value, ClientError)


def test_tags_of_other_resources_go_to_moto_and_of_training_jobs_to_the_emulator(
    emu: WarmPoolEmulator, offline: None
) -> None:
    """D29 / D33: inside mock_aws, AddTags/ListTags/DeleteTags on an experiment's ARN are
    moto's (warmpool holds the tags of training jobs only); on a training job's, the
    emulator's. Outside moto, tags of other resources are not emulated."""
    with moto.mock_aws(), mock_sagemaker(emu):
        sm = new_client()
        experiment = sm.create_experiment(ExperimentName="exp-tags")["ExperimentArn"]
        sm.add_tags(ResourceArn=experiment, Tags=[{"Key": "team", "Value": "ml"}])
        assert sm.list_tags(ResourceArn=experiment)["Tags"] == [{"Key": "team", "Value": "ml"}]
        sm.create_training_job(**request("job-tags"))
        job = sm.describe_training_job(TrainingJobName="job-tags")["TrainingJobArn"]
        sm.add_tags(ResourceArn=job, Tags=[{"Key": "cost-centre", "Value": "42"}])
        assert emu.list_tags(ResourceArn=job)["Tags"] == [{"Key": "cost-centre", "Value": "42"}]
        sm.delete_tags(ResourceArn=experiment, TagKeys=["team"])
        assert sm.list_tags(ResourceArn=experiment)["Tags"] == []
        assert sm.list_tags(ResourceArn=job)["Tags"] == [{"Key": "cost-centre", "Value": "42"}]
    with mock_sagemaker(emu):
        sm = new_client(endpoint_url=UNROUTABLE)
        with pytest.raises(NotEmulatedError, match="ListTags"):
            sm.list_tags(ResourceArn=experiment)
        assert sm.list_tags(ResourceArn=job)["Tags"] == [{"Key": "cost-centre", "Value": "42"}]
