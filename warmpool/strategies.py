"""Hypothesis strategies for testing code that uses warmpool (the extra ``testing``).

``pip install 'sagemaker-warmpool[testing]'`` brings Hypothesis and pytest. Compose these in
your own ``@given`` tests:

* :func:`create_training_job_requests`: valid ``CreateTrainingJob`` requests (the emulator
  accepts every one), or invalid ones (it refuses every one with a ``ValidationException``);
  :func:`invalid_create_training_job_requests` says which rule each invalid one breaks
  (:data:`INVALID_KINDS`);
* :func:`identity_keys`: :class:`~warmpool.IdentityKey` s, equal to an earlier key of the same
  test case at a rate you choose, so that warm pools are reused as often as you like;
* :func:`job_plans`: what a job does once it trains (:class:`~warmpool.JobPlan`);
* :func:`traces`: whole traces in the replay format (lists of
  :class:`~warmpool.sim.TraceJob`, which :func:`~warmpool.sim.write_trace` writes and
  :func:`~warmpool.sim.load_trace` and :func:`~warmpool.sim.replay` read);
* :func:`quotas`: ``quotas=`` settings of an emulator (``{instance_type: Quota}``).

>>> from hypothesis import given, settings
>>> from warmpool import WarmPoolEmulator
>>> from warmpool import strategies as wst
>>> @settings(max_examples=20)
... @given(wst.create_training_job_requests())
... def test_every_valid_request_is_accepted(request):
...     WarmPoolEmulator().create_training_job(**request)
>>> test_every_valid_request_is_accepted()

Every strategy is deterministic given Hypothesis's choices, so a failing example replays.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any, Final, NamedTuple

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .config import JobPlan, Limits
from .identity import IdentityKey
from .quota import Quota
from .sim.trace import TraceJob

__all__ = [
    "FAILURE_CLASSES",
    "INSTANCE_TYPES",
    "INVALID_KINDS",
    "ROLES",
    "InvalidKind",
    "InvalidRequest",
    "create_training_job_requests",
    "identity_keys",
    "invalid_create_training_job_requests",
    "job_plans",
    "quotas",
    "traces",
]

#: The instance types the strategies use unless told otherwise.
INSTANCE_TYPES: Final = ("ml.m5.xlarge", "ml.c5.xlarge", "ml.g5.xlarge")
#: The IAM roles the strategies use unless told otherwise.
ROLES: Final = (
    "arn:aws:iam::123456789012:role/SageMakerRole",
    "arn:aws:iam::123456789012:role/TeamRole",
)
#: Failure classes of :func:`job_plans`: after the first two a warm pool can be kept, after
#: the others not (behaviour §5.7).
FAILURE_CLASSES: Final = ("AlgorithmError", "ClientError", "InternalServerError", "CapacityError")

_IMAGE: Final = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest"
_GROUPS: Final = ("sg-0a1b2c3d", "sg-1b2c3d4e", "sg-2c3d4e5f")
_SUBNETS: Final = ("subnet-0a1b2c3d", "subnet-1b2c3d4e")
_KMS: Final = (None, "alias/training-volumes")
_TEAMS: Final = ("vision", "speech", "search")
_NAME_STEMS: Final = ("train", "tune", "eval")
#: Trace outcomes: a failure class is an outcome too (docs/replay.md).
_OUTCOMES: Final = ("Completed", "Completed", "Stopped", *FAILURE_CLASSES)
#: Resolution of :func:`identity_keys`' ``collision_rate``.
_PER_MILLE: Final = 1000


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidArgument(f"{name} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _check_count(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidArgument(f"{name} must be an int >= {least}, not {value!r}")
    return value


def _check_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12:
        raise InvalidArgument(f"{name} must be a number of seconds from 0 to 1e12, not {value!r}")
    return value


def _check_texts(name: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidArgument(f"{name} must be a sequence of strings, not {values!r}")
    texts = tuple(values)
    if not texts or not all(isinstance(text, str) and text for text in texts):
        raise InvalidArgument(f"{name} must hold at least one non-empty string, not {values!r}")
    return texts


def _check_limits(limits: object) -> Limits:
    if not isinstance(limits, Limits):
        raise InvalidArgument(f"limits must be a warmpool.Limits, not {limits!r}")
    return limits


# -- identity keys --------------------------------------------------------------------------------


@st.composite
def _fresh_keys(
    draw: st.DrawFn,
    instance_types: tuple[str, ...],
    roles: tuple[str, ...],
    max_instance_count: int,
    traceable: bool,
) -> IdentityKey:
    """Any key of the given types and roles (traceable: one a trace row can hold, with a
    volume size and no session tag chaining)."""
    vpc = draw(st.booleans())
    groups = draw(st.frozensets(st.sampled_from(_GROUPS), min_size=1)) if vpc else None
    subnets = draw(st.frozensets(st.sampled_from(_SUBNETS), min_size=1)) if vpc else None
    volumes: tuple[int | None, ...] = (30, 50, 100) if traceable else (None, 30, 50, 100)
    return IdentityKey(
        role_arn=draw(st.sampled_from(roles)),
        instance_type=draw(st.sampled_from(instance_types)),
        instance_count=draw(st.integers(1, max_instance_count)),
        volume_size_in_gb=draw(st.sampled_from(volumes)),
        volume_kms_key_id=draw(st.sampled_from(_KMS)),
        security_group_ids=groups,
        subnets=subnets,
        enable_inter_container_traffic_encryption=draw(st.booleans()),
        enable_network_isolation=draw(st.booleans()),
        enable_session_tag_chaining=False if traceable else draw(st.booleans()),
    )


@st.composite
def _keys(
    draw: st.DrawFn,
    collision_rate: float,
    fresh: st.SearchStrategy[IdentityKey],
    pool: str,
) -> IdentityKey:
    earlier: list[IdentityKey] = draw(st.shared(st.builds(list), key=pool))
    threshold = round(collision_rate * _PER_MILLE)
    if earlier and draw(st.integers(0, _PER_MILLE - 1)) < threshold:
        return draw(st.sampled_from(tuple(earlier)))
    key = draw(fresh)
    while key in earlier:  # a fresh key differs from every earlier one: a bigger volume
        key = key._replace(volume_size_in_gb=(key.volume_size_in_gb or 30) + 1)
    earlier.append(key)
    return key


def identity_keys(
    collision_rate: float = 0.5,
    *,
    instance_types: Sequence[str] = INSTANCE_TYPES,
    roles: Sequence[str] = ROLES,
    max_instance_count: int = 2,
    pool: str = "default",
) -> st.SearchStrategy[IdentityKey]:
    """Identity keys (behaviour §3) that repeat at a rate you choose.

    Within one test case, each key after the first is, with probability about
    ``collision_rate``, equal to a key drawn earlier from the same ``pool`` (so a job with it
    can take over an earlier job's warm pool), and otherwise differs from every earlier one.
    ``collision_rate=0`` gives distinct keys, ``1`` the first key again and again. Every
    strategy of this module that draws keys uses the pool ``"default"`` unless told
    otherwise (:func:`traces` has its own), so keys collide across them too.

    Fresh keys vary all ten fields: the role (from ``roles``), the instance type (from
    ``instance_types``, which must be SageMaker training instance types for the emulator to
    accept them), the count (1 to ``max_instance_count``), volume size and KMS key, an
    optional ``VpcConfig``, and the three flags. Hypothesis shrinks towards collisions.
    """
    rate = _check_rate("collision_rate", collision_rate)
    types = _check_texts("instance_types", instance_types)
    role_arns = _check_texts("roles", roles)
    count = _check_count("max_instance_count", max_instance_count, 1)
    if not isinstance(pool, str):
        raise InvalidArgument(f"pool must be a string, not {pool!r}")
    return _identity_keys(rate, types, role_arns, count, pool)


@functools.cache
def _identity_keys(
    rate: float, types: tuple[str, ...], roles: tuple[str, ...], count: int, pool: str
) -> st.SearchStrategy[IdentityKey]:
    fresh = _fresh_keys(types, roles, count, traceable=False)
    return _keys(rate, fresh, f"warmpool.strategies.identity_keys:{pool}")


#: ``identity_keys()``, the keys of requests drawn with no ``keys``.
_DEFAULT_KEYS: Final = identity_keys()


# -- CreateTrainingJob requests -------------------------------------------------------------------


@st.composite
def _unique_names(draw: st.DrawFn) -> str:
    """Training job names never drawn before in this test case."""
    used: list[str] = draw(st.shared(st.builds(list), key="warmpool.strategies.names"))
    name = f"{draw(st.sampled_from(_NAME_STEMS))}-{len(used) + 1}"
    used.append(name)
    return name


@st.composite
def _spelled(draw: st.DrawFn, values: frozenset[str], max_size: int) -> list[str]:
    """The ids ``values`` as a request may write them: any order, with repeats."""
    ids = sorted(values)
    extra = draw(st.lists(st.sampled_from(ids), max_size=max(0, min(2, max_size - len(ids)))))
    return list(draw(st.permutations(ids + extra)))


#: Names never drawn before in the test case (one strategy object: making one costs more than
#: drawing from it).
_UNIQUE_NAMES: Final = _unique_names()


@functools.cache
def _default_keep_alive(limits: Limits) -> st.SearchStrategy[int | None]:
    top = limits.max_keep_alive_seconds
    return st.one_of(
        st.none(),
        st.sampled_from(sorted({0, min(60, top), min(600, top), top})),
        st.integers(0, top),
    )


@st.composite
def _valid_requests(
    draw: st.DrawFn,
    names: st.SearchStrategy[str],
    keys: st.SearchStrategy[IdentityKey],
    keep_alive: st.SearchStrategy[int | None],
) -> dict[str, Any]:
    key = draw(keys)
    if key.instance_type is None or key.instance_count is None:
        raise InvalidArgument(
            f"keys must give an instance type and count (no InstanceGroups), not {key!r}"
        )
    seconds = draw(keep_alive)
    resource: dict[str, Any] = {
        "InstanceType": key.instance_type,
        "InstanceCount": key.instance_count,
    }
    if key.volume_size_in_gb is not None:
        resource["VolumeSizeInGB"] = key.volume_size_in_gb
    if key.volume_kms_key_id is not None:
        resource["VolumeKmsKeyId"] = key.volume_kms_key_id
    if seconds is not None:
        resource["KeepAlivePeriodInSeconds"] = seconds
    body: dict[str, Any] = {
        "TrainingJobName": draw(names),
        "RoleArn": key.role_arn,
        "AlgorithmSpecification": {"TrainingImage": _IMAGE, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": resource,
    }
    if key.security_group_ids is not None and key.subnets is not None:
        body["VpcConfig"] = {
            "SecurityGroupIds": draw(_spelled(key.security_group_ids, 5)),
            "Subnets": draw(_spelled(key.subnets, 16)),
        }
    # An absent flag is False (behaviour §3): write False sometimes, True always.
    for member, value in (
        ("EnableInterContainerTrafficEncryption", key.enable_inter_container_traffic_encryption),
        ("EnableNetworkIsolation", key.enable_network_isolation),
    ):
        if value or draw(st.booleans()):
            body[member] = value
    if key.enable_session_tag_chaining or draw(st.booleans()):
        body["SessionChainingConfig"] = {
            "EnableSessionTagChaining": key.enable_session_tag_chaining
        }
    # Members that are not part of the key.
    if draw(st.booleans()):
        body["StoppingCondition"] = {
            "MaxRuntimeInSeconds": draw(st.sampled_from((600, 3600, 86400)) | st.integers(1, 86400))
        }
    if draw(st.booleans()):
        body["HyperParameters"] = {"epochs": str(draw(st.integers(1, 20)))}
    if draw(st.booleans()):
        body["Tags"] = [{"Key": "team", "Value": draw(st.sampled_from(_TEAMS))}]
    if not seconds and draw(st.integers(0, 9)) == 0:
        body["EnableManagedSpotTraining"] = True  # never takes over a pool (behaviour §6.5)
    return body


class InvalidKind(NamedTuple):
    """One way a ``CreateTrainingJob`` request can be invalid: the ``field`` the emulator's
    ``ValidationException`` names (``error.field`` starts with it) and the ``rule`` broken."""

    field: str
    rule: str


#: Every kind of invalid ``CreateTrainingJob`` request that
#: :func:`invalid_create_training_job_requests` makes, by name (behaviour §9.1). ``field`` is
#: where the problem is; ``missing_member``, ``vpc_size``, ``vpc_id``, ``unknown_member`` and
#: ``wrong_type`` break one of several members (the request's :attr:`InvalidRequest.field`
#: says which).
INVALID_KINDS: Final = {
    "name_pattern": InvalidKind(
        "TrainingJobName",
        "TrainingJobName outside [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}: a bad character, a "
        "hyphen at either end, empty, or longer than 63 characters",
    ),
    "role_arn": InvalidKind("RoleArn", "RoleArn shorter than 20 characters or not an IAM role ARN"),
    "missing_member": InvalidKind(
        "TrainingJobName",
        "a member every request needs is absent: TrainingJobName, RoleArn, OutputDataConfig "
        "or ResourceConfig",
    ),
    "instance_type": InvalidKind(
        "ResourceConfig.InstanceType",
        "no InstanceType (and no InstanceGroups), or one SageMaker does not train on",
    ),
    "instance_count": InvalidKind(
        "ResourceConfig.InstanceCount", "InstanceCount below 1, or not an integer"
    ),
    "keep_alive_type": InvalidKind(
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "KeepAlivePeriodInSeconds not an int: a bool, a float or a string",
    ),
    "keep_alive_range": InvalidKind(
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "KeepAlivePeriodInSeconds below 0 or above the limits' max_keep_alive_seconds",
    ),
    "keep_alive_with_spot": InvalidKind(
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "KeepAlivePeriodInSeconds above 0 with EnableManagedSpotTraining=True",
    ),
    "keep_alive_with_instance_groups": InvalidKind(
        "ResourceConfig.KeepAlivePeriodInSeconds",
        "KeepAlivePeriodInSeconds above 0 with InstanceGroups",
    ),
    "vpc_size": InvalidKind(
        "VpcConfig.SecurityGroupIds",
        "VpcConfig with no or more than 5 security groups, or no or more than 16 subnets",
    ),
    "vpc_id": InvalidKind(
        "VpcConfig.SecurityGroupIds",
        "a security group or subnet id with a character outside [-0-9a-zA-Z] or longer "
        "than 32 characters",
    ),
    "max_runtime": InvalidKind(
        "StoppingCondition.MaxRuntimeInSeconds", "MaxRuntimeInSeconds below 1"
    ),
    "unknown_member": InvalidKind(
        "ResourceConfig", "a member name the API does not have, at the top or in ResourceConfig"
    ),
    "wrong_type": InvalidKind(
        "EnableNetworkIsolation", "a flag that is not a bool, or a structure that is not one"
    ),
}


class InvalidRequest(NamedTuple):
    """An invalid ``CreateTrainingJob`` ``request``, the ``kind`` of invalidity
    (a key of :data:`INVALID_KINDS`) and the ``field`` the refusal names."""

    request: dict[str, Any]
    kind: str
    field: str


_BAD_NAMES: Final = (
    "bad_name",
    "-leading",
    "trailing-",
    "has space",
    "dot.name",
    "",
    "a" * 64,
)


@st.composite
def _broken(
    draw: st.DrawFn, base: dict[str, Any], kind: str, limits: Limits
) -> tuple[dict[str, Any], str]:
    """``base`` broken in the way ``kind`` names, and the field the refusal names."""
    body = base
    resource: dict[str, Any] = body["ResourceConfig"]
    if kind == "name_pattern":
        body["TrainingJobName"] = draw(st.sampled_from(_BAD_NAMES))
        return body, "TrainingJobName"
    if kind == "role_arn":
        body["RoleArn"] = draw(
            st.sampled_from(
                (
                    "arn:aws:iam::1:role/x",
                    "arn:aws:iam::123456789012:user/SageMaker",
                    "SageMakerRole",
                    "arn:aws:iam::123456789012:role",
                )
            )
        )
        return body, "RoleArn"
    if kind == "missing_member":
        member = draw(
            st.sampled_from(("TrainingJobName", "RoleArn", "OutputDataConfig", "ResourceConfig"))
        )
        del body[member]
        return body, member
    if kind == "instance_type":
        if draw(st.booleans()):
            del resource["InstanceType"]
        else:
            resource["InstanceType"] = draw(st.sampled_from(("ml.m5.huge", "m5.xlarge", "")))
        return body, "ResourceConfig.InstanceType"
    if kind == "instance_count":
        resource["InstanceCount"] = draw(st.integers(-3, 0) | st.sampled_from(("1", 1.5)))
        return body, "ResourceConfig.InstanceCount"
    if kind == "keep_alive_type":
        resource["KeepAlivePeriodInSeconds"] = draw(st.sampled_from((True, False, 60.0, 0.5, "60")))
        return body, "ResourceConfig.KeepAlivePeriodInSeconds"
    if kind == "keep_alive_range":
        top = limits.max_keep_alive_seconds
        resource["KeepAlivePeriodInSeconds"] = draw(
            st.integers(-(2**31), -1) | st.integers(top + 1, 2**31 - 1)
        )
        return body, "ResourceConfig.KeepAlivePeriodInSeconds"
    if kind in ("keep_alive_with_spot", "keep_alive_with_instance_groups"):
        resource["KeepAlivePeriodInSeconds"] = draw(st.integers(1, limits.max_keep_alive_seconds))
        if kind == "keep_alive_with_spot":
            body["EnableManagedSpotTraining"] = True
        else:
            group = {
                "InstanceGroupName": "group-1",
                "InstanceType": resource.pop("InstanceType"),
                "InstanceCount": resource.pop("InstanceCount"),
            }
            resource["InstanceGroups"] = [group]
        return body, "ResourceConfig.KeepAlivePeriodInSeconds"
    if kind == "vpc_size":
        groups, subnets = list(_GROUPS[:1]), list(_SUBNETS[:1])
        member = draw(st.sampled_from(("SecurityGroupIds", "Subnets")))
        most = 5 if member == "SecurityGroupIds" else 16
        size = draw(st.sampled_from((0, most + 1)))
        ids = [f"{'sg' if most == 5 else 'subnet'}-{i}" for i in range(size)]
        body["VpcConfig"] = {
            "SecurityGroupIds": ids if member == "SecurityGroupIds" else groups,
            "Subnets": ids if member == "Subnets" else subnets,
        }
        return body, f"VpcConfig.{member}"
    if kind == "vpc_id":
        member = draw(st.sampled_from(("SecurityGroupIds", "Subnets")))
        bad = draw(st.sampled_from(("sg_1", "sg 1", "sg.1", "s" * 33)))
        body["VpcConfig"] = {"SecurityGroupIds": list(_GROUPS[:1]), "Subnets": list(_SUBNETS[:1])}
        body["VpcConfig"][member] = [bad]
        return body, f"VpcConfig.{member}"
    if kind == "max_runtime":
        body["StoppingCondition"] = {"MaxRuntimeInSeconds": draw(st.integers(-5, 0))}
        return body, "StoppingCondition.MaxRuntimeInSeconds"
    if kind == "unknown_member":
        name = draw(st.sampled_from(("KeepAlive", "instanceType", "WarmPool", "Foo")))
        if draw(st.booleans()):
            resource[name] = 1
            return body, f"ResourceConfig.{name}"
        body[name] = 1
        return body, name
    assert kind == "wrong_type", kind
    if draw(st.booleans()):
        body["EnableNetworkIsolation"] = draw(st.sampled_from(("yes", 1, "true")))
        return body, "EnableNetworkIsolation"
    body["OutputDataConfig"] = draw(st.sampled_from(("s3://bucket/output", ["s3://bucket"])))
    return body, "OutputDataConfig"


@st.composite
def _invalid_requests(
    draw: st.DrawFn,
    valid: st.SearchStrategy[dict[str, Any]],
    kinds: tuple[str, ...],
    limits: Limits,
) -> InvalidRequest:
    kind = draw(st.sampled_from(kinds))
    body, field = draw(_broken(draw(valid), kind, limits))
    return InvalidRequest(body, kind, field)


def _check_kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return tuple(INVALID_KINDS)
    if isinstance(kinds, str) or not isinstance(kinds, Collection):
        raise InvalidArgument(f"kinds must be a collection of kind names, not {kinds!r}")
    unknown = sorted(set(kinds) - set(INVALID_KINDS))
    if unknown or not kinds:
        raise InvalidArgument(
            f"kinds must name kinds of INVALID_KINDS ({', '.join(INVALID_KINDS)}), not {kinds!r}"
        )
    return tuple(kind for kind in INVALID_KINDS if kind in kinds)


def _check_strategy(name: str, value: object) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name} must be a Hypothesis strategy or None, not {value!r}")


def invalid_create_training_job_requests(
    *,
    kinds: Collection[str] | None = None,
    names: st.SearchStrategy[str] | None = None,
    keys: st.SearchStrategy[IdentityKey] | None = None,
    limits: Limits = Limits.GUIDE_2022,
) -> st.SearchStrategy[InvalidRequest]:
    """Invalid ``CreateTrainingJob`` requests, each a valid request broken in exactly one way,
    as :class:`InvalidRequest` s (the request, the kind of invalidity, the field).

    ``kinds`` chooses among :data:`INVALID_KINDS` (default: all). An emulator with
    ``limits`` refuses every one with a ``ValidationException`` whose ``field`` is the
    request's ``field`` (or starts with it: an item of a list is ``VpcConfig.Subnets[0]``),
    and nothing changes (behaviour §9). ``names`` and ``keys`` are as in
    :func:`create_training_job_requests`.
    """
    chosen = _check_kinds(kinds)
    limits = _check_limits(limits)
    valid = create_training_job_requests(names=names, keys=keys, limits=limits)
    return _invalid_requests(valid, chosen, limits)


def create_training_job_requests(
    valid: bool = True,
    *,
    names: st.SearchStrategy[str] | None = None,
    keys: st.SearchStrategy[IdentityKey] | None = None,
    keep_alive: st.SearchStrategy[int | None] | None = None,
    limits: Limits = Limits.GUIDE_2022,
    kinds: Collection[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """``CreateTrainingJob`` requests (keyword arguments of ``create_training_job``).

    ``valid=True``: an emulator with these ``limits`` (and no IAM policy, and room in its
    training quota) accepts every one. Each has a name never drawn before in the test case
    (``names``: your own strategy instead), the identity of a key from ``keys`` (default
    :func:`identity_keys`, so about half of them can take over an earlier job's pool), spelled
    at random (VPC ids in any order and repeated, ``False`` flags written or not), a
    ``KeepAlivePeriodInSeconds`` from ``keep_alive`` (default: absent, 0, or up to
    ``limits.max_keep_alive_seconds``), and at random a ``StoppingCondition``,
    ``HyperParameters``, a ``team`` tag, or (without a keep-alive) managed spot training.

    ``valid=False``: the requests of :func:`invalid_create_training_job_requests` (of
    ``kinds``, default all), each refused with a ``ValidationException``.
    """
    for name, value in (("names", names), ("keys", keys), ("keep_alive", keep_alive)):
        _check_strategy(name, value)
    limits = _check_limits(limits)
    if not isinstance(valid, bool):
        raise InvalidArgument(f"valid must be True or False, not {valid!r}")
    if not valid:
        if keep_alive is not None:
            raise InvalidArgument("keep_alive applies to valid requests only")
        return invalid_create_training_job_requests(
            kinds=kinds, names=names, keys=keys, limits=limits
        ).map(lambda invalid: invalid.request)
    if kinds is not None:
        raise InvalidArgument("kinds applies to invalid requests only (valid=False)")
    return _valid_requests(
        _UNIQUE_NAMES if names is None else names,
        _DEFAULT_KEYS if keys is None else keys,
        _default_keep_alive(limits) if keep_alive is None else keep_alive,
    )


# -- plans, quotas, traces ------------------------------------------------------------------------


def _seconds(low: float, high: float) -> st.SearchStrategy[float]:
    """Whole seconds mostly, and some fractions (rounded up when billed, behaviour §4)."""
    whole: st.SearchStrategy[float] = st.integers(int(-(-low // 1)), int(high // 1)).map(float)
    return whole | st.floats(low, high, allow_nan=False, allow_infinity=False)


def job_plans(
    *,
    min_training_seconds: float = 0,
    max_training_seconds: float = 3600,
    failure_classes: Sequence[str] = FAILURE_CLASSES,
) -> st.SearchStrategy[JobPlan]:
    """:class:`~warmpool.JobPlan` s: train ``min_training_seconds`` to ``max_training_seconds``,
    then complete, or fail with one of ``failure_classes`` (none: always complete).

    Use one as a workload hook's answer: ``workload=lambda request: plan``.
    """
    low = _check_seconds("min_training_seconds", min_training_seconds)
    high = _check_seconds("max_training_seconds", max_training_seconds)
    if low > high:
        raise InvalidArgument(
            f"min_training_seconds ({low!r}) must not exceed max_training_seconds ({high!r})"
        )
    classes = () if not failure_classes else _check_texts("failure_classes", failure_classes)
    for name in classes:
        if not name.isidentifier():
            raise InvalidArgument(
                f"a failure class must be a name such as 'AlgorithmError': {name!r}"
            )
    outcomes: st.SearchStrategy[str | None] = st.none()
    if classes:
        outcomes = outcomes | st.sampled_from(classes)
    return st.builds(
        lambda seconds, failure: JobPlan(
            training_seconds=seconds,
            failure_class=failure,
            failure_message="" if failure is None else "exit code 1",
        ),
        _seconds(low, high),
        outcomes,
    )


def quotas(
    instance_types: Sequence[str] = INSTANCE_TYPES, *, max_instances: int = 8
) -> st.SearchStrategy[dict[str, Quota]]:
    """``quotas=`` settings of an emulator: a :class:`~warmpool.Quota` for each of
    ``instance_types``, with a training limit of none or 1 to ``max_instances`` and a warm
    pool limit of 0 (AWS's default) to ``max_instances``."""
    types = _check_texts("instance_types", instance_types)
    most = _check_count("max_instances", max_instances, 1)
    quota = st.builds(
        Quota, training=st.none() | st.integers(1, most), warm_pool=st.integers(0, most)
    )
    return st.fixed_dictionaries(dict.fromkeys(types, quota))


@st.composite
def _traces(
    draw: st.DrawFn,
    min_size: int,
    max_size: int,
    keys: st.SearchStrategy[IdentityKey],
    max_gap: float,
    max_training: float,
    max_keep_alive: int,
) -> list[TraceJob]:
    size = draw(st.integers(min_size, max_size))
    rows = []
    at = 0.0
    keep_alive: st.SearchStrategy[int | None] = st.one_of(
        st.none(), st.sampled_from(sorted({0, min(600, max_keep_alive), max_keep_alive}))
    ) | st.integers(0, max_keep_alive)
    for row in range(1, size + 1):
        at += draw(_seconds(0, max_gap))
        key = draw(keys)
        assert key.instance_type is not None and key.instance_count is not None
        named = draw(st.booleans())
        rows.append(
            TraceJob(
                submit_time=at,
                instance_type=key.instance_type,
                training_seconds=draw(_seconds(0, max_training)),
                job_name=f"{draw(st.sampled_from(_NAME_STEMS))}-{row}" if named else None,
                role_arn=key.role_arn,
                instance_count=key.instance_count,
                volume_size_gb=key.volume_size_in_gb or 30,
                volume_kms_key_id=key.volume_kms_key_id,
                security_group_ids=tuple(sorted(key.security_group_ids or ())),
                subnets=tuple(sorted(key.subnets or ())),
                network_isolation=key.enable_network_isolation,
                inter_container_encryption=key.enable_inter_container_traffic_encryption,
                keep_alive_seconds=draw(keep_alive),
                outcome=draw(st.sampled_from(_OUTCOMES)),
                max_runtime_seconds=draw(st.just(86400) | st.integers(1, 86400)),
            )
        )
    return rows


def traces(
    *,
    min_size: int = 0,
    max_size: int = 20,
    collision_rate: float = 0.5,
    instance_types: Sequence[str] = INSTANCE_TYPES,
    roles: Sequence[str] = ROLES,
    max_instance_count: int = 2,
    max_gap_seconds: float = 3600,
    max_training_seconds: float = 3600,
    limits: Limits = Limits.GUIDE_2022,
) -> st.SearchStrategy[list[TraceJob]]:
    """Whole traces in the replay format (docs/replay.md): lists of
    :class:`~warmpool.sim.TraceJob` in submit order, ``min_size`` to ``max_size`` rows.

    Rows follow each other at gaps of 0 to ``max_gap_seconds`` (several rows may share a
    submit time); each has an identity from :func:`identity_keys` with ``collision_rate`` (its
    own pool, and only keys a row can hold: a volume size, no session tag chaining), a
    training time up to ``max_training_seconds``, a keep-alive (none, or up to
    ``limits.max_keep_alive_seconds``), an outcome (``Completed``, ``Stopped`` or a failure
    class), a max runtime, and a unique ``job_name`` or none (the trace then names it by its
    place). :func:`~warmpool.sim.write_trace` writes every such trace,
    :func:`~warmpool.sim.load_trace` reads it back equal (names filled in), and
    :func:`~warmpool.sim.replay` with these ``limits`` replays it.
    """
    least = _check_count("min_size", min_size, 0)
    most = _check_count("max_size", max_size, 0)
    if least > most:
        raise InvalidArgument(f"min_size ({least}) must not exceed max_size ({most})")
    rate = _check_rate("collision_rate", collision_rate)
    fresh = _fresh_keys(
        _check_texts("instance_types", instance_types),
        _check_texts("roles", roles),
        _check_count("max_instance_count", max_instance_count, 1),
        traceable=True,
    )
    keys = _keys(rate, fresh, "warmpool.strategies.traces")
    return _traces(
        least,
        most,
        keys,
        _check_seconds("max_gap_seconds", max_gap_seconds),
        _check_seconds("max_training_seconds", max_training_seconds),
        _check_limits(limits).max_keep_alive_seconds,
    )
