"""Errors raised by the emulator.

Two families, deliberately unrelated:

* :class:`WarmPoolError` and its subclasses are the errors AWS itself would return. Each carries
  the AWS error ``code`` and ``message`` (and, for validation errors, the ``field`` at fault), so
  code written against boto3's ``ClientError`` can be tested against them.
* :class:`ControlError` is raised when a *simulation control* (not an AWS operation) is misused,
  for example completing a job that is not training. AWS has no such error. Its subclass
  :class:`InvalidControlArgument` is raised for an argument a control cannot take (a negative
  or non-finite number of seconds, a time past the clock's range, a name that is not a str).

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


class IllegalTransition(Exception):
    """A lifecycle move that the state machine definition does not allow (a warmpool bug)."""
