"""Shared pytest configuration: Hypothesis profiles and optional-dependency helpers.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) makes every property test derandomized, so CI
runs are repeatable; the default profile explores new examples on every run.
``HYPOTHESIS_PROFILE=mutation`` (set by the mutation-testing command, docs/testing.md) is
derandomized too, without a database, with fewer examples and no shrinking, so every mutant
meets the same examples and a run of thousands of mutants fits the machine.

``require`` and ``require_executable`` skip a test whose optional dependency (boto3, the AWS
CLI, ...) is missing, unless ``WARMPOOL_REQUIRE_EXTRAS=1`` is set (CI sets it), in which case
the missing dependency fails the test instead.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile("default", deadline=None, print_blob=True)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=30,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a mutant fails fast
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _extras_required() -> bool:
    """True when ``WARMPOOL_REQUIRE_EXTRAS=1``: optional test dependencies must be present."""
    return os.environ.get("WARMPOOL_REQUIRE_EXTRAS") == "1"


def require(module_name: str) -> ModuleType:
    """Import and return an optional test dependency such as ``boto3``.

    Skips the calling test when the module is missing, unless ``WARMPOOL_REQUIRE_EXTRAS=1`` is
    set (CI sets it): then the import happens plainly, so a missing module fails the test
    instead of silently skipping it.
    """
    if _extras_required():
        return importlib.import_module(module_name)
    module: ModuleType = pytest.importorskip(module_name)
    return module


def require_executable(name: str, env_var: str) -> str:
    """Return the path of an optional executable such as the AWS CLI.

    The environment variable ``env_var`` names the executable explicitly; otherwise ``name`` is
    looked up on ``PATH``. Skips the calling test when it is not found, unless
    ``WARMPOOL_REQUIRE_EXTRAS=1`` is set: then the test fails.
    """
    path = os.environ.get(env_var) or shutil.which(name)
    if path:
        return path
    message = f"executable {name!r} not found on PATH and {env_var} is not set"
    if _extras_required():
        pytest.fail(f"{message} (WARMPOOL_REQUIRE_EXTRAS=1)")
    pytest.skip(message)
