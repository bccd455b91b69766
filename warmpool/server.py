"""``warmpool serve``: the emulator behind a local HTTP server speaking SageMaker's wire protocol.

The server lets any SageMaker client (boto3, the AWS CLI, the AWS SDKs, Terraform) talk to a
:class:`~warmpool.emulator.WarmPoolEmulator` by pointing its endpoint URL at it. It speaks the
subset of SageMaker's JSON 1.1 protocol that the emulated operations (:data:`OPERATIONS`: the
six training-job operations and the three tag operations) use, plus a small control API under
``/_warmpool/`` that moves the virtual clock. See ``docs/server.md``.

>>> from warmpool import WarmPoolEmulator
>>> with make_server(WarmPoolEmulator()).start() as server:
...     server.url.startswith("http://127.0.0.1:")
True

Wire rules (every one of them is implemented in this module, in :class:`_Handler`):

* ``POST /`` with ``X-Amz-Target: SageMaker.<Operation>`` and
  ``Content-Type: application/x-amz-json-1.1``; the body is a JSON object (an empty body
  counts as ``{}``), at most ``max_body_bytes`` long.
* Request timestamps arrive as epoch seconds (numbers, as botocore sends them). Which members
  are timestamps comes from the operation's input shape in botocore's model, never from the
  key name; those numbers become timezone-aware ``datetime`` objects before the emulator sees
  them. Response ``datetime`` objects go out as epoch seconds.
* A success is ``200`` with the operation's output as JSON; the emulator's
  ``ResponseMetadata`` is left out (botocore builds its own from the headers).
* An error is ``{"__type": code, "message": text}`` with ``x-amzn-ErrorType: code``: the
  emulator's :class:`~warmpool.errors.WarmPoolError` with its status (400), ``NotImplemented``
  (501) for a real SageMaker operation that warmpool does not emulate,
  ``UnknownOperationException`` (400) for a missing or unknown target,
  ``SerializationException`` (400) for a body that is not a JSON object or a wrong content
  type, ``RequestEntityTooLarge`` (413) for a body over the limit (it is never read).
* Every response carries ``x-amzn-RequestId``: the emulator's ``RequestId`` for a success,
  otherwise one from the server's own counter (``ffffffff-ffff-ffff-...``).

Concurrency: :class:`WarmPoolServer` is a :class:`~http.server.ThreadingHTTPServer` (one daemon
thread per connection) and every emulator call, including the encoding of its response, runs
under one lock: the emulator is not thread-safe.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType
from typing import Any, Final, TextIO

from . import __version__
from .clock import parse_timestamp
from .emulator import OPERATIONS, WarmPoolEmulator, not_emulated_message
from .errors import ControlError, WarmPoolError
from .validation import load_model

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_MAX_BODY_BYTES",
    "OPERATIONS",
    "WarmPoolServer",
    "make_server",
    "sagemaker_operation_names",
]

#: The largest request body accepted by default (1 MiB); larger ones get a 413.
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024

#: Where the control API lives (not part of SageMaker's API).
CONTROL_PREFIX: Final = "/_warmpool/"

_TARGET_PREFIX: Final = "SageMaker."
_AWS_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
_JSON_CONTENT_TYPES: Final = frozenset({"application/json", _AWS_CONTENT_TYPE})
_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
_LATEST_EPOCH: Final = 253402300799  # _LATEST as epoch seconds
_EARLIEST_EPOCH: Final = -62135596800  # 0001-01-01T00:00:00Z
_SECOND: Final = timedelta(seconds=1)
_DISCARD_BYTES: Final = 16 * 1024 * 1024  # at most this much of a refused body is drained
_DISCARD_SECONDS: Final = 2.0  # ... and for at most this long between chunks


class _Failure(Exception):
    """A request the server answers with an error: ``status``, ``code`` and ``message``."""

    def __init__(
        self, status: int, code: str, message: str, *, close: bool = False, unread: int = 0
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.close = close  # the connection cannot be reused (the body was not read)
        self.unread = unread  # bytes of body left unread, discarded after the reply is sent


# --------------------------------------------------------------------------------------------
# The model: operation names and timestamp members
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def sagemaker_operation_names() -> frozenset[str]:
    """Every operation name of SageMaker's API (from botocore's model, shipped in
    ``warmpool/data/sagemaker-operation-names.json``).

    >>> "CreateEndpoint" in sagemaker_operation_names()
    True
    """
    resource = (
        resources.files("warmpool").joinpath("data").joinpath("sagemaker-operation-names.json")
    )
    document = json.loads(resource.read_text(encoding="utf-8"))
    return frozenset(document["operations"])


def _has_timestamp(shape_name: str, shapes: Mapping[str, Any], seen: frozenset[str]) -> bool:
    """Whether a value of this shape can contain a timestamp anywhere inside it."""
    if shape_name in seen:
        return False
    shape = shapes[shape_name]
    kind = shape["type"]
    inner = seen | {shape_name}
    if kind == "timestamp":
        return True
    if kind == "structure":
        return any(_has_timestamp(m["shape"], shapes, inner) for m in shape["members"].values())
    if kind == "list":
        return _has_timestamp(shape["member"]["shape"], shapes, inner)
    if kind == "map":
        return _has_timestamp(shape["value"]["shape"], shapes, inner)
    return False


@functools.cache
def _timestamp_shapes() -> frozenset[str]:
    """The names of the shapes whose values can contain a timestamp (computed once)."""
    shapes = load_model()["shapes"]
    return frozenset(name for name in shapes if _has_timestamp(name, shapes, frozenset()))


def _epoch_to_datetime(value: Any) -> Any:
    """Epoch seconds as a UTC ``datetime``; anything else (an ISO 8601 string, a value out of
    range, a wrong type) is returned unchanged for the emulator's validator to judge."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if not (_EARLIEST_EPOCH <= value <= _LATEST_EPOCH):  # also False for NaN
        return value
    return _UNIX_EPOCH + timedelta(seconds=value)


def input_shape(operation: str) -> str:
    """The name of an operation's input shape in botocore's model (not always
    ``{operation}Request``).

    >>> input_shape("CreateTrainingJob"), input_shape("AddTags")
    ('CreateTrainingJobRequest', 'AddTagsInput')
    """
    return str(load_model()["operations"][operation]["input"]["shape"])


def decode_request(value: Any, shape_name: str) -> Any:
    """A decoded JSON request with the members that the model types ``timestamp`` turned from
    epoch seconds into ``datetime`` objects; every other value is left as it is.

    >>> request = decode_request({"CreationTimeAfter": 1767225600, "NameContains": "1767225600"},
    ...                          "ListTrainingJobsRequest")
    >>> request["CreationTimeAfter"], request["NameContains"]
    (datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), '1767225600')
    """
    if shape_name not in _timestamp_shapes():
        return value
    shape = load_model()["shapes"][shape_name]
    kind = shape["type"]
    if kind == "timestamp":
        return _epoch_to_datetime(value)
    if kind == "structure" and isinstance(value, dict):
        members = shape["members"]
        return {
            key: decode_request(item, members[key]["shape"]) if key in members else item
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [decode_request(item, shape["member"]["shape"]) for item in value]
    if kind == "map" and isinstance(value, dict):
        inner = shape["value"]["shape"]
        return {key: decode_request(item, inner) for key, item in value.items()}
    return value


def _epoch_seconds(when: datetime) -> int | float:
    """A ``datetime`` as epoch seconds: an ``int`` when whole, else a ``float``."""
    delta = when - _UNIX_EPOCH
    whole = delta.days * 86400 + delta.seconds
    return whole if delta.microseconds == 0 else whole + delta.microseconds / 1_000_000


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _epoch_seconds(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_response(body: Mapping[str, Any]) -> bytes:
    """A response as JSON bytes: ``ResponseMetadata`` left out, ``datetime`` objects as epoch
    seconds.

    >>> encode_response({"CreationTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...                  "ResponseMetadata": {"HTTPStatusCode": 200}})
    b'{"CreationTime":1767225600}'
    """
    payload = {key: value for key, value in body.items() if key != "ResponseMetadata"}
    text = json.dumps(payload, default=_encode_default, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json_object(raw: bytes, code: str) -> dict[str, Any]:
    """The body as a JSON object (empty body: ``{}``), or a ``_Failure`` with ``code``."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _Failure(400, code, f"The request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise _Failure(
            400, code, f"The request body must be a JSON object, not a JSON {_json_kind(value)}"
        )
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class WarmPoolServer(ThreadingHTTPServer):
    """An HTTP server in front of one emulator. Build it with :func:`make_server`.

    ``url`` is where it listens. Run it with ``serve_forever()`` (blocking) or ``start()`` (in
    a daemon thread); ``close()`` stops it and releases the port. As a context manager it is
    closed on exit.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        emulator: WarmPoolEmulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        log: TextIO | None = None,
    ) -> None:
        if not isinstance(emulator, WarmPoolEmulator):
            raise TypeError(f"emulator must be a WarmPoolEmulator, not {emulator!r}")
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise TypeError(f"max_body_bytes must be an int, not {max_body_bytes!r}")
        if max_body_bytes < 0:
            raise ValueError(f"max_body_bytes must be >= 0, not {max_body_bytes}")
        self.emulator = emulator
        self.max_body_bytes = max_body_bytes
        self.log = log
        self.lock = emulator.lock  # shared with warmpool.aws's attached clients
        self._ids = 0
        self._ids_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup of the host (it can be slow)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def host(self) -> str:
        """The address the server is bound to."""
        return str(self.server_address[0])

    @property
    def port(self) -> int:
        """The port the server listens on (the one picked, when asked for port 0)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint URL to give clients, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """Whether the server accepts connections from this machine only."""
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # pragma: no cover - the bound address is always an IP address
            return False

    def next_request_id(self) -> str:
        """A request ID for a response the emulator did not produce (errors, control calls)."""
        with self._ids_lock:
            self._ids += 1
            digits = f"{self._ids:016x}"
        return f"ffffffff-ffff-ffff-{digits[:4]}-{digits[4:]}"

    def call(self, operation: str, request: dict[str, Any]) -> tuple[bytes, str]:
        """Run one emulated operation under the lock: its JSON body and ``RequestId``.

        Raises what the emulator raises (:class:`~warmpool.errors.WarmPoolError` for AWS errors).
        """
        method: Callable[..., dict[str, Any]] = getattr(self.emulator, OPERATIONS[operation])
        with self.lock:
            response = method(**request)
            body = encode_response(response)
        return body, str(response["ResponseMetadata"]["RequestId"])

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Handle requests until :meth:`shutdown` (or ``close()``) is called."""
        self._serving.set()
        try:
            super().serve_forever(poll_interval)
        finally:
            self._serving.clear()

    def start(self, poll_interval: float = 0.01) -> WarmPoolServer:
        """Serve in a daemon thread; returns ``self`` once the server is accepting requests.

        ``poll_interval``: how often the thread checks for ``close()`` (it bounds how long
        ``close()`` takes).
        """
        if self._thread is not None:
            raise RuntimeError("the server was already started")
        self._thread = threading.Thread(
            target=self.serve_forever,
            args=(poll_interval,),
            name=f"warmpool-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._serving.wait()
        return self

    def close(self) -> None:
        """Stop serving (if started with :meth:`start`) and release the port. Idempotent."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    def __enter__(self) -> WarmPoolServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def make_server(
    emulator: WarmPoolEmulator | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    log: TextIO | None = None,
) -> WarmPoolServer:
    """A bound (not yet serving) :class:`WarmPoolServer` for ``emulator`` (a new default
    ``WarmPoolEmulator()`` if ``None``). Port 0 picks a free port; see ``server.url``.

    ``log``: where to write one line per request (``None``: nowhere).
    """
    return WarmPoolServer(
        WarmPoolEmulator() if emulator is None else emulator,
        host,
        port,
        max_body_bytes=max_body_bytes,
        log=log,
    )


# --------------------------------------------------------------------------------------------
# The control API
# --------------------------------------------------------------------------------------------


def _control_error(message: str) -> _Failure:
    return _Failure(400, "InvalidControlInput", message)


def _field(body: Mapping[str, Any], name: str, *, required: bool = True) -> Any:
    if name not in body:
        if required:
            raise _control_error(f"{name} is required")
        return None
    return body[name]


def _string(body: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = _field(body, name, required=required)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _control_error(f"{name} must be a non-empty string, not {json.dumps(value)}")
    return value


def _instant(body: Mapping[str, Any], name: str) -> datetime:
    """A point in time given as epoch seconds or an ISO 8601 string (no offset: UTC)."""
    value = _field(body, name)
    if isinstance(value, str):
        try:
            when = parse_timestamp(value)
        except ValueError:
            raise _control_error(
                f"{name} must be epoch seconds or an ISO 8601 timestamp, not {json.dumps(value)}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _control_error(
            f"{name} must be epoch seconds or an ISO 8601 timestamp, not {json.dumps(value)}"
        )
    converted = _epoch_to_datetime(value)
    if not isinstance(converted, datetime):
        raise _control_error(f"{name} must be a time between years 1 and 9999, not {value}")
    return converted


def _state(server: WarmPoolServer) -> dict[str, Any]:
    """The emulator's clock and size, for ``GET /_warmpool/state`` and every control reply."""
    emu = server.emulator
    now = emu.clock.to_datetime()
    upcoming = emu.next_event_time()
    next_at = None if upcoming is None else emu.clock.to_datetime(upcoming)
    return {
        "Now": _epoch_seconds(now),
        "NowIso": now.isoformat().replace("+00:00", "Z"),
        "VirtualSeconds": emu.now,
        "NextEventTime": None if next_at is None else _epoch_seconds(next_at),
        "NextEventTimeIso": None if next_at is None else next_at.isoformat().replace("+00:00", "Z"),
        "JobCount": len(emu.job_names()),
    }


def _control_advance(server: WarmPoolServer, body: Mapping[str, Any]) -> dict[str, Any]:
    seconds = _field(body, "seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise _control_error(f"seconds must be a number of seconds >= 0, not {json.dumps(seconds)}")
    emu = server.emulator
    if not seconds <= (_LATEST - emu.clock.to_datetime()) / _SECOND:
        raise _control_error(f"seconds={seconds} would move the clock past the year 9999")
    emu.advance(seconds)
    return {}


def _control_run_until(server: WarmPoolServer, body: Mapping[str, Any]) -> dict[str, Any]:
    when = _instant(body, "time")
    emu = server.emulator
    if when < emu.clock.to_datetime():
        raise _Failure(
            409,
            "ControlError",
            f"run-until: {when.isoformat()} is before now ({emu.clock.to_datetime().isoformat()})"
            "; the clock never moves backwards",
        )
    emu.run_until(when)
    return {}


def _control_complete(server: WarmPoolServer, body: Mapping[str, Any]) -> dict[str, Any]:
    name = _string(body, "TrainingJobName")
    server.emulator.complete_training_job(str(name))
    return {}


def _control_fail(server: WarmPoolServer, body: Mapping[str, Any]) -> dict[str, Any]:
    name = _string(body, "TrainingJobName")
    failure_class = _string(body, "FailureClass", required=False) or "AlgorithmError"
    message = _field(body, "Message", required=False)
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise _control_error(f"Message must be a string, not {json.dumps(message)}")
    server.emulator.fail_training_job(str(name), failure_class, message)
    return {}


def _control_patch_update(server: WarmPoolServer, body: Mapping[str, Any]) -> dict[str, Any]:
    instance_type = _string(body, "InstanceType", required=False)
    return {"TerminatedWarmPools": server.emulator.apply_patch_update(instance_type)}


_Control = Callable[[WarmPoolServer, Mapping[str, Any]], dict[str, Any]]

#: ``POST /_warmpool/<route>``: the body's members each route accepts, and its function.
_CONTROLS: Final[Mapping[str, tuple[frozenset[str], _Control]]] = {
    "advance": (frozenset({"seconds"}), _control_advance),
    "run-until": (frozenset({"time"}), _control_run_until),
    "complete": (frozenset({"TrainingJobName"}), _control_complete),
    "fail": (frozenset({"TrainingJobName", "FailureClass", "Message"}), _control_fail),
    "patch-update": (frozenset({"InstanceType"}), _control_patch_update),
}


# --------------------------------------------------------------------------------------------
# The request handler: the wire rules
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """One connection. Answers every request with JSON; never lets an exception escape."""

    server: WarmPoolServer
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses connections
    server_version = f"warmpool/{__version__}"
    timeout = 60  # seconds a connection may sit idle (or a body may take) before it is closed
    disable_nagle_algorithm = True  # headers and body are two writes: don't wait for an ACK

    # -- HTTP methods -------------------------------------------------------------------------

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def do_GET(self) -> None:
        self._dispatch(self._get)

    def _other_method(self) -> None:
        self._dispatch(self._not_allowed)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other_method

    def do_HEAD(self) -> None:
        self._dispatch(self._not_allowed, head=True)

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self, route: Callable[[], tuple[int, bytes, str]], head: bool = False) -> None:
        request_id: str | None = None
        unread = 0
        try:
            try:
                status, body, request_id = route()
                error_type = None
            except _Failure as failure:
                if failure.close:
                    self.close_connection = True
                unread = failure.unread
                status, body, error_type = failure.status, _error_body(failure), failure.code
            except WarmPoolError as error:
                status, body = error.http_status_code, _error_body(error)
                error_type = error.code
            except ControlError as error:
                conflict = _Failure(409, "ControlError", str(error))
                status, body, error_type = 409, _error_body(conflict), conflict.code
        except Exception as error:  # a warmpool bug: answer 500 and keep serving
            self._log(f"internal error: {traceback.format_exc()}")
            internal = _Failure(
                500, "InternalFailure", f"warmpool internal error: {type(error).__name__}: {error}"
            )
            status, body, error_type = 500, _error_body(internal), internal.code
        self._respond(status, body, request_id, error_type, head=head)
        if unread:
            self._discard(unread)

    def _discard(self, unread: int) -> None:
        """After refusing a body unread: stop sending, then drop what the client still sends
        (a bounded amount, never kept), so that it reads the error instead of a reset."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_DISCARD_SECONDS)
            budget = min(unread, _DISCARD_BYTES)
            while budget > 0:
                chunk = self.rfile.read1(min(budget, 65536))
                if not chunk:
                    break
                budget -= len(chunk)
        except OSError:  # the client went away or stalled: nothing more to do
            pass

    def _respond(
        self,
        status: int,
        body: bytes,
        request_id: str | None,
        error_type: str | None,
        *,
        head: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", _AWS_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", request_id or self.server.next_request_id())
        if error_type is not None:
            self.send_header("x-amzn-ErrorType", error_type)
        if status == 405:
            self.send_header("Allow", "GET, POST" if self._is_control() else "POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """HTTP-level errors (a malformed request line, headers too long, ...) as AWS-style JSON
        instead of ``http.server``'s HTML page."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        failure = _Failure(code, phrase.replace(" ", ""), message or phrase)
        self.log_error("code %d, message %s", code, failure.message)
        self.close_connection = True
        self._respond(code, _error_body(failure), None, failure.code)

    def log_message(self, format: str, *args: Any) -> None:
        self._log(f"{self.address_string()} - {format % args}")

    def _log(self, line: str) -> None:
        log = self.server.log
        if log is not None:
            print(line.rstrip("\n"), file=log, flush=True)

    def _is_control(self) -> bool:
        return self.path.startswith(CONTROL_PREFIX)

    # -- the body -----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """The request body, checked against the size limit BEFORE it is read."""
        if self.headers.get("Transfer-Encoding") is not None:
            raise _Failure(
                411,
                "LengthRequired",
                "Chunked request bodies are not supported: send a Content-Length header",
                close=True,
            )
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""  # no Content-Length and no Transfer-Encoding: no body (RFC 9112 6.3)
        text = lengths[0].strip()
        if len(set(lengths)) != 1 or not text.isdigit() or not text.isascii():
            raise _Failure(
                400, "InvalidContentLength", f"Invalid Content-Length: {lengths!r}", close=True
            )
        length = int(text)
        limit = self.server.max_body_bytes
        if length > limit:
            raise _Failure(
                413,
                "RequestEntityTooLarge",
                f"The request body is {length} bytes; warmpool serve accepts at most {limit} "
                "bytes (see --max-body-bytes)",
                close=True,
                unread=length,
            )
        body = self.rfile.read(length)
        if len(body) != length:
            raise _Failure(
                400,
                "IncompleteBody",
                f"The request body ended after {len(body)} of {length} bytes",
                close=True,
            )
        return body

    # -- routes -------------------------------------------------------------------------------

    def _get(self) -> tuple[int, bytes, str]:
        if self.path.split("?", 1)[0] == CONTROL_PREFIX + "state":
            with self.server.lock:
                state = _state(self.server)
            return 200, _json(state), self.server.next_request_id()
        return self._not_allowed()

    def _not_allowed(self) -> tuple[int, bytes, str]:
        if self._is_control():
            route = self.path[len(CONTROL_PREFIX) :]
            if route == "state":
                raise _Failure(405, "MethodNotAllowed", "Use GET for /_warmpool/state")
            raise _Failure(
                405 if route in _CONTROLS else 404,
                "MethodNotAllowed" if route in _CONTROLS else "UnknownControlRoute",
                f"Use POST for {self.path}"
                if route in _CONTROLS
                else f"No control route {self.path}; {_control_routes()}",
            )
        raise _Failure(
            405,
            "MethodNotAllowed",
            f"{self.command} is not supported: SageMaker's JSON protocol is POST / with an "
            "X-Amz-Target header",
        )

    def _post(self) -> tuple[int, bytes, str]:
        body = self._read_body()  # first: an oversized body is refused before anything else
        if self._is_control():
            return self._control(body)
        if self.path.split("?", 1)[0] != "/":
            raise _Failure(
                404,
                "UnknownOperationException",
                f"No such path {self.path}: SageMaker's JSON protocol is POST / "
                f"(the control API is under {CONTROL_PREFIX})",
            )
        operation = self._operation()
        content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type != _AWS_CONTENT_TYPE:
            raise _Failure(
                400,
                "SerializationException",
                f"Content-Type must be {_AWS_CONTENT_TYPE}, not {content_type or 'missing'}",
            )
        request = _parse_json_object(body, "SerializationException")
        request = decode_request(request, input_shape(operation))
        payload, request_id = self.server.call(operation, request)
        return 200, payload, request_id

    def _operation(self) -> str:
        """The emulated operation named by ``X-Amz-Target``, or the error that says why not."""
        target = self.headers.get("X-Amz-Target")
        if not target:
            raise _Failure(
                400,
                "UnknownOperationException",
                "Missing X-Amz-Target header: expected SageMaker.<Operation>",
            )
        prefix, _, name = target.strip().partition(".")
        if prefix + "." != _TARGET_PREFIX or not name:
            raise _Failure(
                400,
                "UnknownOperationException",
                f"Unknown X-Amz-Target {target!r}: expected SageMaker.<Operation>",
            )
        if name in OPERATIONS:
            return name
        if name in sagemaker_operation_names():
            raise _Failure(
                501,
                "NotImplemented",
                not_emulated_message(name),
            )
        raise _Failure(
            400, "UnknownOperationException", f"SageMaker has no operation named {name!r}"
        )

    def _control(self, raw: bytes) -> tuple[int, bytes, str]:
        route = self.path.split("?", 1)[0][len(CONTROL_PREFIX) :]
        if route not in _CONTROLS:
            return self._not_allowed()
        content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if raw.strip() and content_type not in _JSON_CONTENT_TYPES:
            raise _Failure(
                415,
                "UnsupportedMediaType",
                f"Control requests with a body must be Content-Type application/json, not "
                f"{content_type or 'missing'}",
            )
        body = _parse_json_object(raw, "InvalidControlInput")
        allowed, function = _CONTROLS[route]
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise _control_error(
                f"Unknown member {unknown[0]!r} for {self.path}; it accepts "
                f"{', '.join(sorted(allowed))}"
            )
        with self.server.lock:
            result = function(self.server, body)
            reply = {**result, **_state(self.server)}
        return 200, _json(reply), self.server.next_request_id()


def _control_routes() -> str:
    posts = ", ".join(f"POST {CONTROL_PREFIX}{route}" for route in _CONTROLS)
    return f"the routes are {posts} and GET {CONTROL_PREFIX}state"


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _error_body(error: _Failure | WarmPoolError) -> bytes:
    return _json({"__type": error.code, "message": error.message})


def warn_if_exposed(server: WarmPoolServer, stream: TextIO | None = None) -> bool:
    """Print a warning to ``stream`` (stderr) if the server is reachable from other machines.

    Returns whether it warned.
    """
    if server.is_loopback:
        return False
    print(
        f"warmpool serve: WARNING: listening on {server.host}, which is not a loopback address: "
        "anyone who can reach this port can drive the emulator (no authentication, no TLS)",
        file=sys.stderr if stream is None else stream,
        flush=True,
    )
    return True
