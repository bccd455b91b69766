"""Configuration values: service limits, lifecycle timing and per-job workload plans."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs

__all__ = ["JobPlan", "Limits", "Timing"]

_DAY = 86400


def _non_negative_number(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, not {value!r}")


def _positive_int(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int, not {value!r}")
    if value < 1:
        raise ValueError(f"{attribute.name} must be >= 1, not {value!r}")


@attrs.frozen
class Limits:
    """Service limits that differ between editions of the AWS guide and botocore's API model.

    >>> Limits.GUIDE_2022
    Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=604800)
    >>> Limits.API_MODEL.max_keep_alive_seconds
    21600
    """

    max_keep_alive_seconds: int = attrs.field(validator=_positive_int)
    max_pool_lifetime_seconds: int = attrs.field(validator=_positive_int)

    #: The AWS guide "Train Using SageMaker Managed Warm Pools" as published from 2022-09 to
    #: 2023-03: keep-alive up to 3600 s, a chain lives at most 7 days (the default).
    GUIDE_2022: ClassVar[Limits]
    #: The current edition of the AWS guide: 3600 s, 28 days.
    DOCS_CURRENT: ClassVar[Limits]
    #: botocore's model since 1.42.12: 21600 s, 28 days.
    API_MODEL: ClassVar[Limits]


Limits.GUIDE_2022 = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=7 * _DAY)
Limits.DOCS_CURRENT = Limits(max_keep_alive_seconds=3600, max_pool_lifetime_seconds=28 * _DAY)
Limits.API_MODEL = Limits(max_keep_alive_seconds=21600, max_pool_lifetime_seconds=28 * _DAY)


@attrs.frozen
class Timing:
    """How long the phases of a job take (decisions D7 and D9).

    ``cold_start_seconds``: create to training start when a new cluster is launched.
    ``warm_start_seconds``: create to training start when a warm pool is taken over.
    ``stopping_seconds``: how long a job stays ``Stopping`` after ``StopTrainingJob``.
    """

    cold_start_seconds: float = attrs.field(default=180, validator=_non_negative_number)
    warm_start_seconds: float = attrs.field(default=20, validator=_non_negative_number)
    stopping_seconds: float = attrs.field(default=0, validator=_non_negative_number)


def _failure_class(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or not value.isidentifier():
        raise ValueError(
            f"{attribute.name} must be None or a failure class name such as 'AlgorithmError', "
            f"not {value!r}"
        )


@attrs.frozen
class JobPlan:
    """What a job will do once training starts: train ``training_seconds``, then complete
    (``failure_class=None``) or fail with that class, e.g. ``"AlgorithmError"``.

    A workload hook returns one of these for each ``CreateTrainingJob`` request.
    """

    training_seconds: float = attrs.field(validator=_non_negative_number)
    failure_class: str | None = attrs.field(default=None, validator=_failure_class)
    failure_message: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
