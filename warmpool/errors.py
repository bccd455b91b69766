"""Errors raised by the emulator.

Two families, deliberately unrelated:

* :class:`WarmPoolError` and its subclasses are the errors AWS itself would return. Each carries
  the AWS error ``code`` and ``message`` (and, for validation errors, the ``field`` at fault), so
  code written against boto3's ``ClientError`` can be tested against them.
* :class:`ControlError` is raised when a *simulation control* (not an AWS operation) is misused,
  for example completing a job that is not training. AWS has no such error. Its subclass
  :class:`InvalidControlArgument` is raised for an argument a control cannot take (a negative
  or non-finite number of seconds, a time past the clock's range, a name that is not a str).
  Its subclass :class:`SnapshotError` is raised for a snapshot document that
  ``WarmPoolEmulator.restore`` refuses (or an emulator that cannot be snapshotted); it names the
  path of what is wrong in the document.

:class:`IllegalTransition` signals an attempt to make a move the lifecycle machines do not
define. The emulator never makes one; seeing it means a bug in warmpool.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccessDeniedException",
    "ControlError",
    "IllegalTransition",
    "InvalidControlArgument",
    "ResourceInUse",
    "ResourceLimitExceeded",
    "ResourceNotFound",
    "SnapshotError",
    "ValidationException",
    "WarmPoolError",
]


class WarmPoolError(Exception):
    """Base of every AWS-style error. ``code`` is the AWS error code string."""

    code: ClassVar[str] = "WarmPoolError"
    http_status_code: ClassVar[int] = 400

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def __str__(self) -> str:
        if self.operation:
            return (
                f"An error occurred ({self.code}) when calling the {self.operation} "
                f"operation: {self.message}"
            )
        return f"{self.code}: {self.message}"

    @property
    def response(self) -> dict[str, Any]:
        """The error as botocore would parse it (the ``response`` of a ``ClientError``)."""
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": self.http_status_code},
        }


class ValidationException(WarmPoolError):
    """The request broke a rule of the API. ``field`` names the first offending member.

    ``field`` is the request path as the caller writes it, for example
    ``ResourceConfig.KeepAlivePeriodInSeconds``, ``VpcConfig.Subnets[1]`` or
    ``HyperParameters["epochs"]``. The ``message`` writes paths as SageMaker's JSON endpoint
    does (``resourceConfig.keepAlivePeriodInSeconds``, ``tags.2.member.value``), see
    decision D16.
    """

    code = "ValidationException"

    def __init__(
        self, message: str, *, field: str | None = None, operation: str | None = None
    ) -> None:
        super().__init__(message, operation=operation)
        self.field = field


class ResourceInUse(WarmPoolError):
    """The resource is in use (a live job of that name exists, or it retains a warm pool)."""

    code = "ResourceInUse"


class ResourceNotFound(WarmPoolError):
    """The resource does not exist."""

    code = "ResourceNotFound"


class ResourceLimitExceeded(WarmPoolError):
    """An account-level service quota would be exceeded."""

    code = "ResourceLimitExceeded"


class AccessDeniedException(WarmPoolError):
    """The IAM policy given to the emulator does not allow the request."""

    code = "AccessDeniedException"


class ControlError(Exception):
    """A simulation control (not an AWS operation) was called at a time it cannot apply, or
    with an argument it cannot take (:class:`InvalidControlArgument`)."""


class InvalidControlArgument(ControlError, ValueError, TypeError):
    """A simulation control was given an argument it cannot take: ``advance(-1)``,
    ``advance("5")``, ``run_until`` a time before now or past the clock's range,
    ``complete_training_job(42)`` ... Nothing changed.

    It is a :class:`ControlError`, so ``except ControlError`` catches every refusal of a
    control, and also a ``ValueError`` and a ``TypeError``, what such arguments raise in
    Python, so ``except ValueError`` keeps working (as numpy's ``AxisError`` is both a
    ``ValueError`` and an ``IndexError``).
    """


class SnapshotError(ControlError, ValueError):
    """A snapshot document that ``WarmPoolEmulator.restore`` refuses: an unknown format or
    version, a missing or unexpected member, a value of the wrong type, or a state the emulator
    could never be in (two jobs holding one cluster, a pending event in the past, ledgers that
    disagree with the jobs ...). Also raised by ``snapshot()`` for an emulator whose state
    cannot be written down (see docs/snapshots.md). Nothing is restored halfway.

    ``path`` names what is wrong, as a path into the document (``jobs[3].warm_pool.status``,
    ``quotas.use["ml.m5.xlarge"].retained``; ``""`` for the document as a whole) and
    ``problem`` says why; ``str(error)`` is ``"{path}: {problem}"``. It is a
    :class:`ControlError` (not an AWS error) and a ``ValueError``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple[type[SnapshotError], tuple[str, str]]:
        return (type(self), (self.path, self.problem))  # pickles (errors cross processes)


class IllegalTransition(Exception):
    """A lifecycle move that the state machine definition does not allow (a warmpool bug)."""
