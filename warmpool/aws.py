"""Answer boto3 and SageMaker Python SDK calls from a :class:`~warmpool.WarmPoolEmulator`.

Installed with ``pip install 'sagemaker-warmpool[aws]'`` (it needs botocore; boto3 and the
SageMaker SDK are optional). Two ways in:

* :func:`attach` serves one SageMaker client you already hold;
* :class:`mock_sagemaker`, a context manager and decorator, serves every SageMaker client that
  code creates while it is active (``boto3.client("sagemaker")``, ``sagemaker.Session()``), and
  can make the SDK's waiting loops run on the emulator's virtual clock.

Both use botocore's event system the way botocore's own ``Stubber`` does: a
``before-parameter-build`` handler captures the arguments of each call and a ``before-call``
handler returns the emulator's answer, so nothing is sent over the network, botocore's
client-side parameter validation still runs first, and errors surface as
``botocore.exceptions.ClientError`` (the client's own ``client.exceptions.ResourceNotFound``
and so on for the codes SageMaker models). Only SageMaker's training-job operations are
answered. Any other SageMaker operation goes to moto while a moto mock (``moto.mock_aws``) is
active, and raises :class:`NotEmulatedError` otherwise; clients of other services are never
touched.

The rules live here in one place:

* which operations are emulated (:data:`OPERATIONS`, the emulator's own table);
* how an emulator error becomes what botocore would have parsed (:func:`_parsed_error`;
  an answer needs nothing: the emulator already gives botocore's shapes);
* when moto answers what the emulator does not (:func:`_active_moto_handler`);
* how the SDK's ``time`` is replaced by the virtual clock (:class:`VirtualTime`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import math
import sys
import threading
import time as _real_time
import types
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .emulator import OPERATIONS, WarmPoolEmulator, not_emulated_message
from .errors import WarmPoolError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from botocore.awsrequest import AWSResponse
    from botocore.client import BaseClient

__all__ = [
    "DEFAULT_TIME_MODULES",
    "OPERATIONS",
    "Attachment",
    "NotEmulatedError",
    "VirtualTime",
    "attach",
    "attached_emulator",
    "detach",
    "mock_sagemaker",
]

#: Modules whose ``time`` :class:`mock_sagemaker` replaces with a :class:`VirtualTime` when
#: ``virtual_time=True``: the waiting loops of the SageMaker Python SDK v2
#: (``sagemaker.session``) and of sagemaker-core's resources (v1 and the v3 SDK's copy).
#: Modules that are not installed are skipped.
DEFAULT_TIME_MODULES: tuple[str, ...] = (
    "sagemaker.session",
    "sagemaker_core.main.resources",
    "sagemaker.core.resources",
)

_SERVICE = "sagemaker"
_CAPTURE_EVENT = "before-parameter-build." + _SERVICE
_ANSWER_EVENT = "before-call." + _SERVICE
_CAPTURE_ID = "warmpool.aws.capture"
_ANSWER_ID = "warmpool.aws.answer"
_CONTEXT_KEY = "warmpool.aws.params"

_F = TypeVar("_F", bound=Callable[..., Any])


class NotEmulatedError(NotImplementedError):
    """A SageMaker operation that warmpool does not emulate was called on an attached client
    while no moto mock was active (inside ``moto.mock_aws()`` moto answers it instead); or a
    tag operation on a resource that is not a training job (``resource`` is its ARN).

    Nothing was sent. It is deliberately not a ``ClientError``: code that treats a
    ``ClientError`` as "not there" must not mistake an operation warmpool cannot answer for
    an AWS answer.
    """

    def __init__(self, operation: str, resource: str | None = None) -> None:
        self.operation = operation
        self.resource = resource
        what = (
            not_emulated_message(operation)
            if resource is None
            else f"warmpool emulates {operation} on training jobs only, not on {resource}"
        )
        super().__init__(
            f"{what}. Nothing was sent to AWS; inside moto's mock_aws() moto answers the "
            "SageMaker operations warmpool does not emulate"
        )


# -- what botocore would have parsed ----------------------------------------------------------


def _parsed_error(error: WarmPoolError, modeled_codes: Iterable[str] = ()) -> dict[str, Any]:
    """An emulator error as botocore's JSON parser returns it.

    ``Error.Code`` and ``Error.Message`` always; for a code the service models as an error
    shape (``modeled_codes``, for SageMaker ``ResourceInUse``, ``ResourceLimitExceeded`` and
    ``ResourceNotFound``), the shape's ``Message`` member too, as botocore adds it.
    """
    parsed: dict[str, Any] = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": {
            "HTTPStatusCode": error.http_status_code,
            "HTTPHeaders": {
                "content-type": "application/x-amz-json-1.1",
                "x-amzn-errortype": error.code,
            },
            "RetryAttempts": 0,
        },
    }
    if error.code in modeled_codes:
        parsed["Message"] = error.message
    return parsed


# -- attaching to one client --------------------------------------------------------------------


class Attachment:
    """The link between one SageMaker client and the emulator answering it.

    Returned by :func:`attach`; :meth:`detach` (or leaving it as a context manager) restores
    the client, which then talks to AWS again.
    """

    def __init__(self, client: BaseClient, emulator: WarmPoolEmulator) -> None:
        self._client: weakref.ReferenceType[BaseClient] = weakref.ref(client)
        self.emulator = emulator
        self._modeled = _modeled_codes(client)
        # moto's before-send handler, once it is known to be registered on the client
        self._moto_handler: Callable[..., Any] | None = None

    @property
    def client(self) -> BaseClient | None:
        """The client, or ``None`` once it has been garbage-collected."""
        return self._client()

    @property
    def attached(self) -> bool:
        """Whether the client is still answered by the emulator."""
        client = self._client()
        return client is not None and _ATTACHMENTS.get(client) is self

    def detach(self) -> None:
        """Stop answering the client (a no-op if already detached)."""
        client = self._client()
        if client is not None and _ATTACHMENTS.get(client) is self:
            detach(client)

    def __enter__(self) -> Attachment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    def __repr__(self) -> str:
        state = "attached" if self.attached else "detached"
        return f"<Attachment {state} emulator={self.emulator!r}>"

    # botocore event handlers ------------------------------------------------------------------

    def _capture(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # The call's own arguments, before botocore validates and serializes them. The context
        # dict is private to this one call, so concurrent calls never see each other's.
        context[_CONTEXT_KEY] = params

    def _answer(
        self, model: Any, params: Mapping[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        from botocore.awsrequest import AWSResponse

        operation = model.name
        method = OPERATIONS.get(operation)
        request = context.get(_CONTEXT_KEY)
        other = operation in _TAG_OPERATIONS and _names_another_resource(request)
        if method is None or other:
            if self._pass_to_moto():
                return None  # botocore sends the call on, and moto's handler answers it
            resource = request["ResourceArn"] if other and request is not None else None
            raise NotEmulatedError(operation, resource)
        if request is None:  # pragma: no cover - botocore always emits both events
            raise RuntimeError(f"warmpool: no captured arguments for {operation}")
        url = params.get("url") if isinstance(params, Mapping) else None
        try:
            with self.emulator.lock:
                answer = getattr(self.emulator, method)(**request)
        except WarmPoolError as error:
            parsed = _parsed_error(error, self._modeled)
            headers = parsed["ResponseMetadata"]["HTTPHeaders"]
            return AWSResponse(url, error.http_status_code, headers, None), parsed
        # The emulator already answers in botocore's shapes, with a ResponseMetadata.
        headers = answer["ResponseMetadata"]["HTTPHeaders"]
        return AWSResponse(url, 200, headers, None), answer

    def _pass_to_moto(self) -> bool:
        """Whether a call the emulator does not answer may go on to moto: only while a moto
        mock is active, and then with moto's handler registered on the client, so that the
        call is answered in-process and never reaches AWS."""
        handler = _active_moto_handler()
        if handler is None:
            return False
        if self._moto_handler is not handler:
            client = self._client()
            if client is None:  # pragma: no cover - a client being called is alive
                return False
            # A client from a botocore session made before moto was imported lacks the
            # handler (moto registers it among botocore's built-in handlers at import). Make
            # sure it is there exactly once: unregister drops the first copy if there is one.
            with _LOCK:
                events = client.meta.events
                events.unregister(_MOTO_EVENT, handler)
                events.register(_MOTO_EVENT, handler)
                self._moto_handler = handler
        return True


#: Operations on the tags of any SageMaker resource; warmpool holds those of training jobs.
_TAG_OPERATIONS = frozenset({"AddTags", "ListTags", "DeleteTags"})


def _names_another_resource(request: Mapping[str, Any] | None) -> bool:
    """Whether a tag request names a resource that is not a training job (experiments,
    endpoints ...): inside moto's mock, those go to moto like their other operations. A
    request without a usable ``ResourceArn`` stays with the emulator, which refuses it."""
    arn = None if request is None else request.get("ResourceArn")
    return isinstance(arn, str) and ":training-job/" not in arn


# -- moto -----------------------------------------------------------------------------------------

_MOTO_MODULE = "moto.core.models"
_MOTO_EVENT = "before-send"


def _active_moto_handler() -> Callable[..., Any] | None:
    """moto's ``before-send`` handler if a moto mock is active in this process, else ``None``.

    Every moto 5 release (and moto since 2018) has one module-level handler,
    ``moto.core.models.botocore_stubber``: moto appends it to botocore's built-in
    ``before-send`` handlers when imported, and ``mock_aws()`` sets its ``enabled`` flag on
    entering the outermost mock (as context manager, decorator or ``start()``) and clears it
    on leaving it. Disabled, it answers nothing and botocore would send the request to AWS.
    moto is never imported here: if it has not been imported, no mock can be active. moto's
    server and proxy modes (``TEST_SERVER_MODE``, ``TEST_PROXY_MODE``) leave the flag clear:
    there a call the emulator does not answer still raises :class:`NotEmulatedError`.
    """
    models = sys.modules.get(_MOTO_MODULE)
    handler: object = getattr(models, "botocore_stubber", None)
    if getattr(handler, "enabled", False) is not True or not callable(handler):
        return None
    return handler


_LOCK = threading.RLock()
_MODELED: dict[str, frozenset[str]] = {}


def _modeled_codes(client: BaseClient) -> frozenset[str]:
    # The error codes the service models as shapes (cached: listing them walks every shape).
    model = client.meta.service_model
    key = f"{model.service_name}/{model.api_version}"
    codes = _MODELED.get(key)
    if codes is None:
        codes = _MODELED[key] = frozenset(shape.name for shape in model.error_shapes)
    return codes


_ATTACHMENTS: weakref.WeakKeyDictionary[Any, Attachment] = weakref.WeakKeyDictionary()


def _check_client(client: object) -> BaseClient:
    meta = getattr(client, "meta", None)
    service_model = getattr(meta, "service_model", None)
    name = getattr(service_model, "service_name", None)
    if name is None or not hasattr(meta, "events"):
        raise TypeError(f"client must be a botocore client, not {client!r}")
    if name != _SERVICE:
        raise ValueError(
            f"client must be a SageMaker client (boto3.client('sagemaker')), not a {name!r} "
            "client: warmpool answers only SageMaker's training-job operations"
        )
    return client


def attach(client: BaseClient, emulator: WarmPoolEmulator) -> Attachment:
    """Answer the training-job calls on the SageMaker ``client`` from ``emulator``, in-process.

    Any other SageMaker operation is answered by moto while a moto mock is active, and raises
    :class:`NotEmulatedError` otherwise.

    Returns an :class:`Attachment`; ``detach(client)`` or ``attachment.detach()`` undoes it.
    Attaching a client to the emulator it is already attached to returns the same attachment;
    attaching it to a second emulator is an error (detach it first).
    """
    client = _check_client(client)
    if not isinstance(emulator, WarmPoolEmulator):
        raise TypeError(f"emulator must be a WarmPoolEmulator, not {emulator!r}")
    with _LOCK:
        current = _ATTACHMENTS.get(client)
        if current is not None:
            if current.emulator is emulator:
                return current
            raise ValueError(
                "this client is already attached to another emulator; detach it first "
                "(warmpool.aws.detach(client))"
            )
        attachment = Attachment(client, emulator)
        events = client.meta.events
        events.register_first(_CAPTURE_EVENT, attachment._capture, unique_id=_CAPTURE_ID)
        events.register_first(_ANSWER_EVENT, attachment._answer, unique_id=_ANSWER_ID)
        _ATTACHMENTS[client] = attachment
        return attachment


def detach(client: BaseClient) -> bool:
    """Give ``client`` back to AWS. Returns whether it was attached."""
    client = _check_client(client)
    with _LOCK:
        attachment = _ATTACHMENTS.pop(client, None)
        if attachment is None:
            return False
        events = client.meta.events
        events.unregister(_CAPTURE_EVENT, unique_id=_CAPTURE_ID)
        events.unregister(_ANSWER_EVENT, unique_id=_ANSWER_ID)
        return True


def attached_emulator(client: BaseClient) -> WarmPoolEmulator | None:
    """The emulator answering ``client``, or ``None``."""
    attachment = _ATTACHMENTS.get(_check_client(client))
    return None if attachment is None else attachment.emulator


# -- virtual time ---------------------------------------------------------------------------------


class VirtualTime:
    """A stand-in for the :mod:`time` module whose clock is the emulator's.

    ``sleep(s)`` advances the emulator by ``s`` seconds at once (firing every event due on
    the way); ``time()`` is the emulator's now as seconds since the Unix epoch;
    ``monotonic()`` and ``perf_counter()`` are the emulator's now. Everything else (``gmtime``,
    ``strftime``, ...) is the real :mod:`time` module's.
    """

    def __init__(self, emulator: WarmPoolEmulator) -> None:
        if not isinstance(emulator, WarmPoolEmulator):
            raise TypeError(f"emulator must be a WarmPoolEmulator, not {emulator!r}")
        self.emulator = emulator
        self._epoch = emulator.clock.epoch.timestamp()

    def sleep(self, seconds: float) -> None:
        """Advance the emulator's clock by ``seconds`` instead of waiting."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"sleep() argument must be a number, not {seconds!r}")
        if math.isnan(seconds) or seconds < 0:
            raise ValueError("sleep length must be non-negative")
        with self.emulator.lock:
            self.emulator.advance(seconds)

    def time(self) -> float:
        """Seconds since the Unix epoch, on the emulator's clock."""
        return float(self._epoch + self.emulator.now)

    def time_ns(self) -> int:
        """:meth:`time` in nanoseconds."""
        return round(self.time() * 1_000_000_000)

    def monotonic(self) -> float:
        """The emulator's now, in seconds since its epoch."""
        return float(self.emulator.now)

    perf_counter = monotonic

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_time, name)

    def __repr__(self) -> str:
        return f"<VirtualTime of {self.emulator!r}>"


def _patch_time(
    emulator: WarmPoolEmulator, modules: Iterable[str]
) -> list[tuple[types.ModuleType, Any]]:
    clock = VirtualTime(emulator)
    patched: list[tuple[types.ModuleType, Any]] = []
    for name in modules:
        module = sys.modules.get(name)
        if module is None:
            # The v3 SDK's sagemaker package warns (DeprecationWarning) before refusing the
            # import of v2's modules, such as sagemaker.session: a module it does not have.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    if importlib.util.find_spec(name.partition(".")[0]) is None:
                        continue
                    module = importlib.import_module(name)
                except ImportError:
                    continue
        previous = getattr(module, "time", None)
        if previous is _real_time or isinstance(previous, VirtualTime):
            patched.append((module, previous))
            module.time = clock  # type: ignore[attr-defined]
    return patched


# -- attaching to every client created --------------------------------------------------------


class mock_sagemaker(contextlib.ContextDecorator):
    """Serve every SageMaker client created while active from ``emulator``.

    Use it as a context manager (``with mock_sagemaker(emu):``, which gives back ``emu``) or
    as a decorator (``@mock_sagemaker(emu)``). While it is active, each SageMaker client that
    botocore creates (``boto3.client("sagemaker")``, ``boto3.Session().client(...)``,
    ``sagemaker.Session()``, sagemaker-core's resources) is attached to ``emulator``; on exit
    those clients are detached again and client creation is restored. Clients created before
    entering are not touched (attach them with :func:`attach`). Clients of other services
    pass through, so moto can serve S3, STS and CloudWatch Logs beside it; inside moto's
    ``mock_aws()`` (entered before or after this), moto also answers the SageMaker operations
    the emulator does not emulate. Nested uses attach new clients to the innermost emulator.

    With ``virtual_time=True`` the ``time`` module seen by the SDK's waiting loops (the
    modules in ``time_modules``, by default :data:`DEFAULT_TIME_MODULES`) is replaced by a
    :class:`VirtualTime`, so ``estimator.fit()`` of a job that trains for an hour advances the
    emulator by an hour and returns at once.
    """

    def __init__(
        self,
        emulator: WarmPoolEmulator,
        *,
        virtual_time: bool = False,
        time_modules: Iterable[str] = DEFAULT_TIME_MODULES,
    ) -> None:
        if not isinstance(emulator, WarmPoolEmulator):
            raise TypeError(f"emulator must be a WarmPoolEmulator, not {emulator!r}")
        if not isinstance(virtual_time, bool):
            raise TypeError(f"virtual_time must be a bool, not {virtual_time!r}")
        if isinstance(time_modules, str):
            raise TypeError("time_modules must be a sequence of module names, not one str")
        self.emulator = emulator
        self.virtual_time = virtual_time
        self.time_modules = tuple(time_modules)
        self._frames: list[_Frame] = []

    def __enter__(self) -> WarmPoolEmulator:
        frame = _Frame(self.emulator)
        with _LOCK:
            _install_hook()
            _FRAMES.append(frame)
            self._frames.append(frame)
        if self.virtual_time:
            frame.time_patches = _patch_time(self.emulator, self.time_modules)
        return self.emulator

    def __exit__(self, *exc_info: object) -> None:
        frame = self._frames.pop()
        for module, previous in reversed(frame.time_patches):
            module.time = previous
        with _LOCK:
            _FRAMES.remove(frame)
            for client in list(frame.clients):
                attachment = _ATTACHMENTS.get(client)
                if attachment is not None and attachment.emulator is frame.emulator:
                    detach(client)
            if not _FRAMES:
                _remove_hook()

    def __call__(self, func: _F) -> _F:  # a decorator, typed as one
        return super().__call__(func)

    def __repr__(self) -> str:
        return f"<mock_sagemaker emulator={self.emulator!r} virtual_time={self.virtual_time}>"


class _Frame:
    """One active ``mock_sagemaker``: its emulator and the clients it attached."""

    def __init__(self, emulator: WarmPoolEmulator) -> None:
        self.emulator = emulator
        self.clients: weakref.WeakSet[Any] = weakref.WeakSet()
        self.time_patches: list[tuple[types.ModuleType, Any]] = []


_FRAMES: list[_Frame] = []
_ORIGINAL_CREATE_CLIENT: Callable[..., Any] | None = None


def _install_hook() -> None:
    global _ORIGINAL_CREATE_CLIENT
    if _ORIGINAL_CREATE_CLIENT is not None:
        return
    from botocore.session import Session

    original: Callable[..., Any] = Session.create_client

    def create_client(self: Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        if client.meta.service_model.service_name == _SERVICE:
            with _LOCK:
                if _FRAMES:
                    frame = _FRAMES[-1]
                    attach(client, frame.emulator)
                    frame.clients.add(client)
        return client

    create_client.__wrapped__ = original  # type: ignore[attr-defined]
    create_client.__doc__ = original.__doc__
    _ORIGINAL_CREATE_CLIENT = original
    Session.create_client = create_client


def _remove_hook() -> None:
    global _ORIGINAL_CREATE_CLIENT
    if _ORIGINAL_CREATE_CLIENT is None:
        return
    from botocore.session import Session

    Session.create_client = _ORIGINAL_CREATE_CLIENT
    _ORIGINAL_CREATE_CLIENT = None
