"""``warmpool serve``: the emulator behind a local HTTP server speaking SageMaker's wire protocol.

The server lets any SageMaker client (boto3, the AWS CLI, the AWS SDKs, Terraform) talk to a
:class:`~warmpool.emulator.WarmPoolEmulator` by pointing its endpoint URL at it. It speaks the
subset of SageMaker's JSON 1.1 protocol that the emulated operations (:data:`OPERATIONS`: the
six training-job operations and the three tag operations) use, plus a small control API under
``/_warmpool/`` that moves the virtual clock and takes snapshots. See ``docs/server.md``.

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
* HTTP-level errors take the same JSON form, always after an ``HTTP/1.1`` status line, and
  close the connection: ``BadRequest`` (400) for a request line that is not
  ``METHOD PATH HTTP/1.x`` (HTTP/0.9 included), ``RequestURITooLong`` (414) for one over
  64 KiB, ``RequestTimeout`` (408) for a request that has not arrived whole within
  ``request_timeout``, ``ServiceUnavailable`` (503) for a connection over ``max_connections``
  while every open one is busy.
* Every response carries ``x-amzn-RequestId``: the emulator's ``RequestId`` for a success,
  otherwise one from the server's own counter (``ffffffff-ffff-ffff-...``).

Connections: :class:`WarmPoolServer` is a :class:`~http.server.ThreadingHTTPServer` (one daemon
thread per connection, keep-alive). At most ``max_connections`` are open: a new one over the
limit closes the connection idle the longest, or, if all are busy for a second, gets 503. A
connection waits at most ``idle_timeout`` for its next request; a request must arrive within
``request_timeout`` of its first byte. A client that drops its connection costs at most one
log line, never a traceback.

Concurrency: every emulator call (with the encoding of its response), control call and state
read runs under the server's ``lock`` and the emulator's own ``lock``;
:meth:`WarmPoolServer.reset` swaps the emulator under the server's lock, so a request sees the
old emulator or the new one, whole.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import io
import ipaddress
import json
import os
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType
from typing import Any, Final, TextIO

from . import __version__
from .clock import parse_timestamp
from .emulator import OPERATIONS, WarmPoolEmulator, not_emulated_message
from .errors import ControlError, InvalidControlArgument, WarmPoolError
from .snapshot import write_snapshot
from .validation import load_model

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_REQUEST_TIMEOUT",
    "OPERATIONS",
    "WarmPoolServer",
    "make_server",
    "sagemaker_operation_names",
]

#: The largest request body accepted by default (1 MiB); larger ones get a 413.
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024

#: The most client connections open at once, by default (see ``max_connections``).
DEFAULT_MAX_CONNECTIONS: Final = 64

#: Seconds a connection may wait for its next request, by default, before it is closed.
DEFAULT_IDLE_TIMEOUT: Final = 60.0

#: Seconds a request may take to arrive (first byte to the body's last), by default.
DEFAULT_REQUEST_TIMEOUT: Final = 30.0

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
_DISCARD_BYTES: Final = 16 * 1024 * 1024  # at most this much of a refused request is drained
_DISCARD_SECONDS: Final = 2.0  # ... for at most this long
_MAX_LINE: Final = 65536  # the longest request line read (as http.server)
_MAX_SECONDS: Final = 86400.0  # the longest idle or request timeout
_SLOT_WAIT_SECONDS: Final = 1.0  # how long a connection over the limit waits for a free slot
_CLOSE_WAIT_SECONDS: Final = 5.0  # how long close() waits for open requests to finish
_CONTROL_CHARACTERS: Final = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))
}  # escaped in log lines


class _Failure(Exception):
    """A request the server answers with an error: ``status``, ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.close = close  # the connection cannot be reused (the body was not read)


class _ClientGone(Exception):
    """The client's connection failed (reset, closed) while its request was being read."""


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


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {value}")
    return value


def _check_seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds (an int or a float), not {value!r}")
    if not 0 < value <= _MAX_SECONDS:  # also False for NaN
        raise ValueError(f"{name} must be > 0 and at most {_MAX_SECONDS:g} seconds, not {value}")
    return float(value)


class _Connection(io.RawIOBase):
    """One client connection: its socket, read under two time limits, and its entry in the
    server's table of open connections (every field is guarded by ``server._slots``).

    Between requests a connection is *idle* (``deadline`` is ``None``): a read waits at most
    ``idle_timeout`` for the next request's first byte. That byte makes it *busy*: from then on
    reads stop at ``deadline``, ``request_timeout`` later, until the handler starts waiting for
    the next request.
    """

    def __init__(self, sock: socket.socket, server: WarmPoolServer) -> None:
        super().__init__()
        self.sock = sock
        self.server = server
        self.deadline: float | None = None
        self.idle_since = time.monotonic()
        self.requests = 0  # requests begun on this connection
        self.evicted = False  # closed by the server to make room for a new connection

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self.server._slots:
            deadline = self.deadline
        if deadline is None:
            timeout = self.server.idle_timeout
        else:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError("the request's time is up")
        self.sock.settimeout(timeout)
        count = self.sock.recv_into(buffer)
        if count and deadline is None and not self.server._begin_request(self):
            return 0  # closed to make room as these bytes arrived: the connection is over
        return count


class _SocketWriter(io.BufferedIOBase):
    """The handler's ``wfile``: every write is one ``sendall`` (bounded by the socket's timeout,
    which :meth:`_Handler._respond` sets to ``request_timeout``)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._sock.sendall(data)
        with memoryview(data) as view:
            return view.nbytes


class WarmPoolServer(ThreadingHTTPServer):
    """An HTTP server in front of one emulator. Build it with :func:`make_server`.

    ``url`` is where it listens. Run it with ``serve_forever()`` (blocking) or ``start()`` (in
    a daemon thread); ``close()`` stops it, closes its connections and releases the port. As a
    context manager it is closed on exit. ``emulator`` is the emulator it serves now;
    :meth:`reset` (``POST /_warmpool/reset``) replaces it with a fresh one. With a
    ``state_file``, :meth:`save_state` (``POST /_warmpool/snapshot``) and ``close()`` write the
    emulator's snapshot there.
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
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        log: TextIO | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if not isinstance(emulator, WarmPoolEmulator):
            raise TypeError(f"emulator must be a WarmPoolEmulator, not {emulator!r}")
        self.max_body_bytes = _check_count("max_body_bytes", max_body_bytes, 0)
        self.max_connections = _check_count("max_connections", max_connections, 1)
        self.idle_timeout = _check_seconds("idle_timeout", idle_timeout)
        self.request_timeout = _check_seconds("request_timeout", request_timeout)
        self.log = log
        if state_file is not None and not isinstance(state_file, (str, os.PathLike)):
            raise TypeError(f"state_file must be a path or None, not {state_file!r}")
        #: Where :meth:`save_state` and ``close()`` write snapshots (``None``: nowhere).
        self.state_file = state_file
        self._saved_at_close = False
        self._emulator = emulator
        #: The server's lock: every emulator call, control call and :meth:`reset` holds it.
        self.lock = threading.RLock()
        #: Guards the table of open connections (and their idle/busy state).
        self._slots = threading.Condition(threading.Lock())
        self._connections: dict[socket.socket, _Connection] = {}
        self._closing = False
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
    def emulator(self) -> WarmPoolEmulator:
        """The emulator the server serves now (:meth:`reset` replaces it). To use it directly
        while the server runs, read it and use it under ``server.lock``."""
        return self._emulator

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

    @property
    def connection_count(self) -> int:
        """How many client connections are open now (at most ``max_connections``)."""
        with self._slots:
            return len(self._connections)

    def next_request_id(self) -> str:
        """A request ID for a response the emulator did not produce (errors, control calls)."""
        with self._ids_lock:
            self._ids += 1
            digits = f"{self._ids:016x}"
        return f"ffffffff-ffff-ffff-{digits[:4]}-{digits[4:]}"

    @contextlib.contextmanager
    def _using_emulator(self) -> Iterator[WarmPoolEmulator]:
        """The current emulator, with ``server.lock`` and the emulator's own ``lock`` held
        (the latter for clients attached to it with :mod:`warmpool.aws`)."""
        with self.lock:
            emulator = self._emulator
            with emulator.lock:
                yield emulator

    def call(self, operation: str, request: dict[str, Any]) -> tuple[bytes, str]:
        """Run one emulated operation under the lock: its JSON body and ``RequestId``.

        Raises what the emulator raises (:class:`~warmpool.errors.WarmPoolError` for AWS errors).
        """
        with self._using_emulator() as emulator:
            method: Callable[..., dict[str, Any]] = getattr(emulator, OPERATIONS[operation])
            response = method(**request)
            body = encode_response(response)
        return body, str(response["ResponseMetadata"]["RequestId"])

    def reset(self) -> WarmPoolEmulator:
        """Replace the emulator with a fresh one (:meth:`WarmPoolEmulator.fresh`: the same
        settings, no jobs, the clock back at its start) and return it.

        Atomic for the server's clients: a request in flight finishes against the old emulator
        before the swap, and every later one runs against the new one. Clients attached to the
        old emulator with :mod:`warmpool.aws` keep using the old one. The server's own
        request-ID counter (``ffffffff-...``) keeps counting.
        """
        with self.lock:
            self._emulator = self._emulator.fresh()
            return self._emulator

    def save_state(self) -> dict[str, Any]:
        """The emulator's snapshot (``emu.snapshot()``), also written to :attr:`state_file`
        when the server has one, atomically (``warmpool.snapshot.write_snapshot``: a crash
        mid-write leaves the previous file whole). ``POST /_warmpool/snapshot`` calls it, and
        ``close()`` does once. Raises ``OSError`` if the file cannot be written."""
        with self._using_emulator() as emulator:
            document = emulator.snapshot()
            if self.state_file is not None:
                write_snapshot(self.state_file, document)
        return document

    # -- connections --------------------------------------------------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        """Admit the connection (closing the longest-idle one if the server is full) and serve
        it in a thread, or refuse it with 503."""
        connection = _Connection(request, self)
        if not self._admit(connection):
            self._refuse(request, client_address)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._forget(request)

    def _connection_for(self, sock: socket.socket) -> _Connection:
        """The table entry of an admitted connection (a new, untracked one if it is gone)."""
        with self._slots:
            found = self._connections.get(sock)
        return _Connection(sock, self) if found is None else found

    def _begin_request(self, connection: _Connection) -> bool:
        """Mark ``connection`` busy (its request's clock starts now); ``False`` if the server
        closed it meanwhile."""
        with self._slots:
            if connection.evicted:
                return False
            if connection.deadline is None:
                connection.deadline = time.monotonic() + self.request_timeout
                connection.requests += 1
            return True

    def _end_request(self, connection: _Connection) -> None:
        """Mark ``connection`` idle: it waits for its next request."""
        with self._slots:
            connection.deadline = None
            connection.idle_since = time.monotonic()
            self._slots.notify_all()

    def _is_busy(self, connection: _Connection) -> bool:
        with self._slots:
            return connection.deadline is not None

    def _extend(self, connection: _Connection, seconds: float) -> None:
        """Give ``connection``'s reads ``seconds`` more, from now."""
        with self._slots:
            connection.deadline = time.monotonic() + seconds

    def _admit(self, connection: _Connection) -> bool:
        waited_until = time.monotonic() + _SLOT_WAIT_SECONDS
        evicted: list[str] = []
        try:
            with self._slots:
                while not self._closing and len(self._connections) >= self.max_connections:
                    idle = [
                        c
                        for c in self._connections.values()
                        if c.deadline is None and c.requests and not c.evicted
                    ]
                    if idle:
                        evicted.append(self._evict(min(idle, key=lambda c: c.idle_since)))
                        continue
                    remaining = waited_until - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._slots.wait(remaining)
                if self._closing:
                    return False
                self._connections[connection.sock] = connection
                return True
        finally:
            for address in evicted:  # logged without the lock: the log may be slow
                self._log_line(
                    f"{address} - idle connection closed to make room "
                    f"(--max-connections {self.max_connections})"
                )

    def _evict(self, connection: _Connection) -> str:
        """Close an idle connection (``self._slots`` held): its thread sees the end of its
        stream and ends. Returns the client's address."""
        address = _address(connection.sock)
        connection.evicted = True
        self._connections.pop(connection.sock, None)
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_RDWR)
        return address

    def _forget(self, sock: socket.socket) -> None:
        with self._slots:
            self._connections.pop(sock, None)
            self._slots.notify_all()

    def _refuse(self, sock: socket.socket, client_address: Any) -> None:
        """Answer a connection over the limit with 503 and no more (from the accepting
        thread: the reply is small and the socket new, so it never blocks for long)."""
        failure = _Failure(
            503,
            "ServiceUnavailable",
            f"warmpool serve has {self.max_connections} connections open and busy, the most "
            "--max-connections allows; retry later",
        )
        body = _error_body(failure)
        head = (
            "HTTP/1.1 503 Service Unavailable\r\n"
            f"Server: {_Handler.server_version}\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
            f"Content-Type: {_AWS_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-amzn-RequestId: {self.next_request_id()}\r\n"
            f"x-amzn-ErrorType: {failure.code}\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            sock.settimeout(_SLOT_WAIT_SECONDS)
            sock.sendall(head.encode("latin-1") + body)
        except OSError:
            pass
        self._log_line(f"{client_address[0]} - refused with 503: {failure.message}")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An exception escaped a connection's handler. A socket error means the client went
        away (for example it reset the connection while it was being set up or closed): nothing
        to report. Anything else is a bug in warmpool: its traceback goes to the log (stderr
        without one)."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        text = f"warmpool serve: internal error on a connection from {client_address[0]}:\n"
        text += traceback.format_exc()
        if self.log is None:
            print(text, file=sys.stderr, flush=True)
        else:
            self._log_line(text)

    def _log_line(self, line: str) -> None:
        log = self.log
        if log is None:
            return
        with contextlib.suppress(OSError, ValueError):  # a broken log stream: drop the line
            print(line.rstrip("\n"), file=log, flush=True)

    # -- running ------------------------------------------------------------------------------

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
        """Stop serving (if started with :meth:`start`), close every open connection (waiting
        a few seconds at most for their requests to finish) and release the port; then, with a
        :attr:`state_file`, write the emulator's snapshot there (:meth:`save_state`, once:
        ``OSError`` if it cannot be written). Idempotent."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        until = time.monotonic() + _CLOSE_WAIT_SECONDS
        with self._slots:
            self._closing = True
            for connection in self._connections.values():
                connection.evicted = True
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)
            while self._connections and (remaining := until - time.monotonic()) > 0:
                self._slots.wait(remaining)
        self.server_close()
        if self.state_file is not None and not self._saved_at_close:
            self._saved_at_close = True
            self.save_state()

    def __enter__(self) -> WarmPoolServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _address(sock: socket.socket) -> str:
    try:
        return str(sock.getpeername()[0])
    except OSError:
        return "-"


def make_server(
    emulator: WarmPoolEmulator | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    log: TextIO | None = None,
    state_file: str | os.PathLike[str] | None = None,
) -> WarmPoolServer:
    """A bound (not yet serving) :class:`WarmPoolServer` for ``emulator`` (a new default
    ``WarmPoolEmulator()`` if ``None``). Port 0 picks a free port; see ``server.url``.

    * ``max_body_bytes``: the largest request body accepted (larger: 413, unread);
    * ``max_connections``: the most connections open at once (>= 1). A new connection over it
      closes the longest-idle open one; if every one is busy for a second, it gets 503;
    * ``idle_timeout``: seconds a connection may wait for its next request before it is closed;
    * ``request_timeout``: seconds a request may take to arrive, from its first byte to its
      body's last (later: 408 and the connection closes), and a response to be sent;
    * ``log``: where to write one line per request (``None``: nowhere);
    * ``state_file``: where ``POST /_warmpool/snapshot`` and ``close()`` write the emulator's
      snapshot (``None``: nowhere). The server never reads it: restore the emulator from it
      yourself (``WarmPoolEmulator.restore(read_snapshot(path))``), as ``warmpool serve
      --state`` does.

    Each is checked: a wrong type is a ``TypeError`` and a value out of range a ``ValueError``,
    naming the argument.
    """
    return WarmPoolServer(
        WarmPoolEmulator() if emulator is None else emulator,
        host,
        port,
        max_body_bytes=max_body_bytes,
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        request_timeout=request_timeout,
        log=log,
        state_file=state_file,
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


def _state(emu: WarmPoolEmulator) -> dict[str, Any]:
    """The emulator's clock and size, for ``GET /_warmpool/state`` and every control reply."""
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


def _control_advance(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    emu.advance(_field(body, "seconds"))  # the emulator refuses what it cannot take (400)
    return {}


def _control_run_until(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    emu.run_until(_instant(body, "time"))  # before now: refused by the emulator (400)
    return {}


def _control_complete(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    name = _string(body, "TrainingJobName")
    emu.complete_training_job(str(name))
    return {}


def _control_fail(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    name = _string(body, "TrainingJobName")
    failure_class = _field(body, "FailureClass", required=False)
    message = _field(body, "Message", required=False)
    emu.fail_training_job(
        str(name),
        "AlgorithmError" if failure_class is None else failure_class,
        "" if message is None else message,
    )
    return {}


def _control_patch_update(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    instance_type = _string(body, "InstanceType", required=False)
    return {"TerminatedWarmPools": emu.apply_patch_update(instance_type)}


def _control_reset(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    server.reset()
    return {}


def _control_snapshot(
    server: WarmPoolServer, emu: WarmPoolEmulator, body: Mapping[str, Any]
) -> dict[str, Any]:
    try:
        return server.save_state()
    except OSError as error:
        raise _Failure(
            500,
            "StateFileWriteFailed",
            f"could not write the state file {os.fspath(server.state_file or '')}: {error}; "
            "the file is as it was",
        ) from None


_Control = Callable[[WarmPoolServer, WarmPoolEmulator, Mapping[str, Any]], dict[str, Any]]

#: ``POST /_warmpool/<route>``: the body's members each route accepts, and its function.
_CONTROLS: Final[Mapping[str, tuple[frozenset[str], _Control]]] = {
    "advance": (frozenset({"seconds"}), _control_advance),
    "run-until": (frozenset({"time"}), _control_run_until),
    "complete": (frozenset({"TrainingJobName"}), _control_complete),
    "fail": (frozenset({"TrainingJobName", "FailureClass", "Message"}), _control_fail),
    "patch-update": (frozenset({"InstanceType"}), _control_patch_update),
    "reset": (frozenset(), _control_reset),
    "snapshot": (frozenset(), _control_snapshot),
}
#: Routes whose result is the whole reply (not merged with the state): the snapshot document.
_WHOLE_REPLIES: Final = frozenset({"snapshot"})


# --------------------------------------------------------------------------------------------
# The request handler: the wire rules
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """One connection. Answers every request with JSON; never lets an exception escape."""

    server: WarmPoolServer
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses connections
    # every answer has a status line, even one to a request line without a version (which
    # http.server would answer HTTP/0.9-style: a bare body)
    default_request_version = "HTTP/1.1"
    server_version = f"warmpool/{__version__}"

    def setup(self) -> None:
        self.connection = self.request
        # headers and body are two writes: don't wait for an ACK in between
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self._conn = self.server._connection_for(self.request)
        self._reader = io.BufferedReader(self._conn)
        self.rfile = self._reader
        self.wfile = _SocketWriter(self.connection)
        self._drain = False  # after this answer, drop what the client still sends, then close
        self._answered = False  # this request's answer has started going out

    # -- one request --------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        """Wait (``idle_timeout``) for a request, read it (``request_timeout``), answer it.

        A garbled request line gets 400 (414 if over 64 KiB), a request that does not arrive in
        time 408, and the connection closes after either; a client that goes away is let go
        with at most one log line.
        """
        connection = self._conn
        self.server._end_request(connection)
        self.close_connection = True
        self.requestline = self.command = ""
        self.request_version = self.default_request_version
        self._drain = self._answered = False
        try:
            if not self._reader.peek(1) or not self.server._begin_request(connection):
                return  # the client closed the connection, or the server closed it
            if self._reader.peek(1)[:1] == b"\x16":  # a TLS ClientHello
                self.send_error(
                    400,
                    "TLS handshake received: warmpool serve speaks plain HTTP; use an http:// "
                    "endpoint URL",
                )
                return
            line = self.rfile.readline(_MAX_LINE + 1)
            while line in (b"\r\n", b"\n"):  # RFC 9112 §2.2: ignore empty lines before one
                line = self.rfile.readline(_MAX_LINE + 1)
            self.raw_requestline = line
            if not line:
                return
            if len(line) > _MAX_LINE:
                self.send_error(414, f"The request line is longer than {_MAX_LINE} bytes")
            elif self._request_line_ok() and self.parse_request():
                method = getattr(self, f"do_{self.command}", None)
                if method is None:
                    self.send_error(501, f"Unsupported method ({self.command!r})")
                else:
                    method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if self.server._is_busy(connection) and not self._answered:
                self._answer_timeout()
        except (OSError, _ClientGone) as error:
            self.close_connection = True
            if self.server._is_busy(connection) and not connection.evicted:
                cause = error.__cause__ if isinstance(error, _ClientGone) else error
                self._log(
                    f"{self.address_string()} - the client dropped the connection during a "
                    f"request ({type(cause).__name__})"
                )
            return
        if self._drain:
            self._discard()

    def _request_line_ok(self) -> bool:
        """``METHOD TARGET HTTP/x.y`` (three words), or a 400 that says so."""
        text = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if len(text.split()) == 3:
            return True
        self.requestline = text
        shown = text if len(text) <= 100 else text[:100] + "..."
        self.send_error(
            400,
            f"Bad request line {shown!r}: expected METHOD PATH HTTP/1.1 (HTTP/0.9 and "
            "other forms are not supported)",
        )
        return False

    def _answer_timeout(self) -> None:
        timeout = self.server.request_timeout
        failure = _Failure(
            408,
            "RequestTimeout",
            f"The request did not arrive within {timeout:g} seconds (see --request-timeout)",
            close=True,
        )
        try:
            self._respond(408, _error_body(failure), None, failure.code)
            self._discard()
        except OSError:
            pass

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
        try:
            try:
                status, body, request_id = route()
                error_type = None
            except _Failure as failure:
                if failure.close:
                    self.close_connection = True
                status, body, error_type = failure.status, _error_body(failure), failure.code
            except WarmPoolError as error:
                status, body = error.http_status_code, _error_body(error)
                error_type = error.code
            except InvalidControlArgument as error:  # the emulator refuses an argument
                invalid = _control_error(str(error))
                status, body, error_type = 400, _error_body(invalid), invalid.code
            except ControlError as error:  # ... or the moment (a job in the wrong state)
                conflict = _Failure(409, "ControlError", str(error))
                status, body, error_type = 409, _error_body(conflict), conflict.code
        except _ClientGone:
            raise
        except Exception as error:  # a warmpool bug: answer 500 and keep serving
            self._log(f"internal error: {traceback.format_exc()}")
            internal = _Failure(
                500, "InternalFailure", f"warmpool internal error: {type(error).__name__}: {error}"
            )
            status, body, error_type = 500, _error_body(internal), internal.code
        self._respond(status, body, request_id, error_type, head=head)

    def _discard(self) -> None:
        """After an error that closes the connection: stop sending, then drop what the client
        still sends (at most 16 MiB, for at most 2 seconds, never kept), so that it reads the
        error instead of a connection reset."""
        self.server._extend(self._conn, _DISCARD_SECONDS)
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            budget = _DISCARD_BYTES
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
        if self._conn.evicted:  # the server closed this connection (``close()``): no answer
            raise ConnectionAbortedError("the server closed the connection")
        self._answered = True
        # a client that does not read its answer holds the thread at most this long
        self.connection.settimeout(self.server.request_timeout)
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
            self._drain = status >= 400
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """HTTP-level errors (a garbled request line, headers too long, ...) as AWS-style JSON
        instead of ``http.server``'s HTML page, always with a status line; the connection
        closes after them."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        code_name = "".join(character for character in phrase if character.isalnum())
        failure = _Failure(code, code_name, message or phrase)
        self.log_error("code %d, message %s", code, failure.message)
        self.close_connection = True
        self._respond(code, _error_body(failure), None, failure.code)

    def log_message(self, format: str, *args: Any) -> None:
        message = (format % args).translate(_CONTROL_CHARACTERS)  # no terminal escapes
        self._log(f"{self.address_string()} - {message}")

    def _log(self, line: str) -> None:
        self.server._log_line(line)

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
            )
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise _Failure(
                408,
                "RequestTimeout",
                f"The request body did not arrive within {self.server.request_timeout:g} "
                f"seconds (see --request-timeout): {length} bytes announced",
                close=True,
            ) from None
        except OSError as error:
            raise _ClientGone() from error
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
            with self.server._using_emulator() as emu:
                state = _state(emu)
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
            accepts = f"it accepts {', '.join(sorted(allowed))}" if allowed else "it takes none"
            raise _control_error(f"Unknown member {unknown[0]!r} for {self.path}; {accepts}")
        server = self.server
        with server.lock:  # the control and the state it answers with are one step
            with server._using_emulator() as emu:
                result = function(server, emu, body)
            if route in _WHOLE_REPLIES:
                return 200, _json(result), server.next_request_id()
            with server._using_emulator() as emu:  # after a reset: the new emulator
                reply = {**result, **_state(emu)}
        return 200, _json(reply), server.next_request_id()


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
