"""The pytest plugin of warmpool (the extra ``testing``), registered as ``warmpool`` through the
``pytest11`` entry point: installing sagemaker-warmpool is enough to use its fixtures.

* ``warm_pools``: a fresh :class:`~warmpool.WarmPoolEmulator` for each test, on its own
  virtual clock;
* ``warm_pools_client``: a boto3 SageMaker client answered by that emulator (needs the extra
  ``aws``; without boto3 the test is skipped, saying so);
* ``warm_pools_settings``: the emulator's constructor keywords, from the ``warm_pools``
  markers of the test (override this fixture to configure every test of a directory);
* the marker ``@pytest.mark.warm_pools(**settings)``: keyword arguments of
  ``WarmPoolEmulator`` (``limits``, ``timing``, ``quotas``, ``default_quota``, ``workload``,
  ``clock``, ``keep_alive_policy``, ``region``, ``account``, ``prices``,
  ``event_log_maxlen``, ``retain_finished``), plus two shorthands: ``start`` (a
  timezone-aware ``datetime``, the clock's epoch: ``clock=VirtualClock(start)``) and a
  ``workload`` that is a :class:`~warmpool.JobPlan` (every job follows that plan).

Without a marker the emulator is ``WarmPoolEmulator()``: AWS's defaults, among them a warm
pool quota of 0 for every instance type, so no cluster is kept until a test gives some
(docs/testing-billing.md). Markers on a module, a class and a function combine; for a keyword
given at several levels the closest one wins. A marker's bad argument fails the test's set-up
with a message that names it.

This module imports neither Hypothesis nor boto3: a test run with only pytest installed loads
it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

import pytest

from .clock import VirtualClock
from .config import JobPlan
from .emulator import WarmPoolEmulator

__all__ = ["MARKER", "emulator_settings"]

#: The marker's name.
MARKER: Final = "warm_pools"
#: What ``pytest --markers`` says of the marker.
_MARKER_HELP: Final = (
    "warm_pools(**settings): configure the warm_pools fixture's WarmPoolEmulator with its "
    "keyword arguments (limits, timing, quotas, default_quota, workload, clock, "
    "keep_alive_policy, region, account, prices, event_log_maxlen, retain_finished), or "
    "start=<datetime> (the clock's epoch) and workload=<JobPlan> (every job's plan). "
    "Markers on a module, class and function combine; the closest wins."
)
_KEYWORDS: Final = tuple(inspect.signature(WarmPoolEmulator).parameters)
_SHORTHANDS: Final = ("start",)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``warm_pools`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", _MARKER_HELP)


def emulator_settings(markers: Iterator[pytest.Mark] | list[pytest.Mark]) -> dict[str, Any]:
    """The ``WarmPoolEmulator`` keyword arguments of ``warm_pools`` markers, given closest
    first (as ``node.iter_markers`` gives them): the closest marker's value of each keyword
    wins, and the shorthands are expanded. A ``ValueError`` names a marker's bad argument.

    >>> closest = pytest.mark.warm_pools(region="eu-west-1").mark
    >>> farther = pytest.mark.warm_pools(region="us-east-1", account="1" * 12).mark
    >>> settings = emulator_settings([closest, farther])
    >>> sorted(settings.items())
    [('account', '111111111111'), ('region', 'eu-west-1')]
    """
    merged: dict[str, Any] = {}
    for mark in markers:
        if mark.args:
            raise ValueError(
                f"@pytest.mark.{MARKER} takes keyword arguments only (those of "
                f"WarmPoolEmulator), not the positional {mark.args!r}"
            )
        for key, value in mark.kwargs.items():
            if key not in _KEYWORDS and key not in _SHORTHANDS:
                raise ValueError(
                    f"@pytest.mark.{MARKER} got an unknown keyword {key!r}: it takes "
                    f"{', '.join((*_KEYWORDS, *_SHORTHANDS))}"
                )
            merged.setdefault(key, value)
    if "start" in merged:
        start = merged.pop("start")
        if "clock" in merged:
            raise ValueError(
                f"@pytest.mark.{MARKER}: give start or clock, not both (start=t is "
                "clock=VirtualClock(t))"
            )
        if not isinstance(start, datetime):
            raise ValueError(
                f"@pytest.mark.{MARKER}: start must be a timezone-aware datetime, not {start!r}"
            )
        try:
            merged["clock"] = VirtualClock(start)
        except ValueError as error:
            raise ValueError(f"@pytest.mark.{MARKER}: start: {error}") from None
    plan = merged.get("workload")
    if isinstance(plan, JobPlan):
        merged["workload"] = _every_job(plan)
    return merged


def _every_job(plan: JobPlan) -> Any:
    def workload(request: Mapping[str, Any]) -> JobPlan:
        return plan

    return workload


@pytest.fixture
def warm_pools_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The keyword arguments of the ``warm_pools`` emulator: those of the test's
    ``@pytest.mark.warm_pools(...)`` markers (closest first). Override this fixture in a
    ``conftest.py`` to give every test there the same settings; markers can then no longer
    change them unless the override reads them too (``request.node.iter_markers``)."""
    try:
        return emulator_settings(list(request.node.iter_markers(MARKER)))
    except ValueError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def warm_pools(warm_pools_settings: Mapping[str, Any]) -> WarmPoolEmulator:
    """A fresh ``WarmPoolEmulator`` on a virtual clock at 0, built with
    ``warm_pools_settings``. Move time with ``warm_pools.advance(seconds)``; in a Hypothesis
    test, take ``warm_pools.fresh()`` in each example (an emulator with the same settings)."""
    try:
        return WarmPoolEmulator(**warm_pools_settings)
    except (TypeError, ValueError) as error:
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)


@pytest.fixture
def warm_pools_client(warm_pools: WarmPoolEmulator) -> Iterator[Any]:
    """A boto3 SageMaker client whose training-job calls the ``warm_pools`` emulator answers,
    in-process (``warmpool.aws.attach``; dummy credentials, the emulator's region). Skipped
    when boto3 is missing: it comes with the extra ``aws``."""
    try:
        import boto3
    except ImportError:
        pytest.skip(
            "the warm_pools_client fixture needs boto3: install the aws extra "
            "(pip install 'sagemaker-warmpool[aws]')"
        )
    from .aws import attach

    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=warm_pools.region,
    )
    client = session.client("sagemaker")
    attachment = attach(client, warm_pools)
    try:
        yield client
    finally:
        attachment.detach()
