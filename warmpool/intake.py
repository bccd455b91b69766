"""Request intake: from the caller's arguments to checked, plain, private data (D15, D16, D35).

Every request goes through here before the emulator decides anything:

* **At the door**, a request is turned into plain JSON types once: ``dict``, ``list``, ``str``,
  ``int``, ``float``, ``bool`` and ``None``. Subclasses (an ``IntEnum`` count, a ``str``
  subclass in ``HyperParameters``) and other mappings and sequences become their plain values;
  anything else is left for the validator to refuse with a ``ValidationException``. So no
  caller-defined ``__eq__``, ``__hash__`` or ``__str__`` runs past the door, and nothing the
  caller changes later can reach the emulator's state.
* **Validation** against botocore's model (:mod:`warmpool.validation`), plus the
  ``CreateTrainingJob`` rules the model cannot express.
* **Freezing**: what the emulator keeps of a request is ``marshal``-ed bytes, immutable and
  shared between jobs with equal configurations.

``CreateTrainingJob`` is the hot path of every simulation, and most of its request repeats:
jobs of one team differ in their name and hyperparameters, not in their role, image, instance
type or output path. :class:`Intake` therefore splits a request into the members that differ
per job (``TrainingJobName``, ``HyperParameters``, ``Tags``) and the rest, and remembers the
verdict on the rest, keyed by its ``marshal`` bytes (exact: they tell ``True`` from ``1`` and
``1`` from ``1.0``, and exist only for plain types). A configuration seen before costs one
``marshal.dumps`` and three member checks; a new one is validated in full.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

from .identity import IdentityKey, identity_key
from .jobs import DEFAULT_MAX_RUNTIME, JobSpec
from .validation import RequestValidator, create_rule_problems, load_model, validation_error

__all__ = ["ECHOED", "Intake", "freeze", "plain", "thaw"]

_MODEL = load_model()
_CREATE = "CreateTrainingJob"

#: Request members that DescribeTrainingJob echoes (``Tags``, for one, are not).
ECHOED: Final = frozenset(
    set(_MODEL["shapes"]["CreateTrainingJobRequest"]["members"])
    & set(_MODEL["shapes"]["DescribeTrainingJobResponse"]["members"])
) - {"TrainingJobName"}
#: The echoed members stored once per configuration (HyperParameters usually differ per job).
_SHARED_ECHO: Final = ECHOED - {"HyperParameters"}
#: Members of a CreateTrainingJob request that usually differ from job to job.
_PER_JOB: Final = frozenset({"TrainingJobName", "HyperParameters", "Tags"})
#: Remembered configurations (and interned keys) are forgotten beyond this many.
_CACHE_LIMIT: Final = 4096


def freeze(value: Any) -> bytes:
    """A private, immutable copy of plain request data (``marshal`` format 0: fast, exact for
    JSON types, equal bytes for equal values)."""
    return marshal.dumps(value, 0)


#: A fresh copy of frozen data.
thaw: Final[Callable[[bytes], Any]] = marshal.loads


def plain(value: Any) -> Any:
    """``value`` with every container and scalar turned into its plain JSON type.

    Mappings become ``dict``, lists and tuples ``list``, and subclasses of ``str``, ``int``
    and ``float`` their plain values (``int.__int__`` and friends copy the value without
    calling any method the subclass defines). Anything else (``None``, a ``datetime``, an
    object of another type) is returned as it is, for the validator to judge. A mapping that
    cannot be read is returned as it is too: the validator reports it.

    >>> import enum
    >>> class Count(enum.IntEnum):
    ...     ONE = 1
    >>> plain({"InstanceCount": Count.ONE, "Ids": ("sg-1",)})
    {'InstanceCount': 1, 'Ids': ['sg-1']}
    >>> type(plain({"InstanceCount": Count.ONE})["InstanceCount"])
    <class 'int'>
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    try:
        if kind is dict or isinstance(value, Mapping):
            return {plain(key): plain(item) for key, item in value.items()}
        if kind is list or isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
    except Exception:  # a Mapping or sequence that misbehaves: the validator will say so
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):  # pragma: no cover - bool cannot be subclassed
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return value


def _shared_part(request: Mapping[str, Any]) -> dict[str, Any]:
    """The members of a ``CreateTrainingJob`` request that usually repeat from job to job.

    ``type()`` first: a keyword name of a ``str`` subclass stays in (and ``marshal`` refuses
    it) before its ``__eq__`` could run in the set lookup.
    """
    return {
        key: value for key, value in request.items() if type(key) is not str or key not in _PER_JOB
    }


@lru_cache(maxsize=8)
def validator_for(max_keep_alive: int) -> RequestValidator:
    """The request validator with the keep-alive maximum of a :class:`~warmpool.Limits`."""
    return RequestValidator(overrides={"KeepAlivePeriodInSeconds": {"max": max_keep_alive}})


class Intake:
    """Checks requests and turns accepted ones into what the emulator keeps.

    One per emulator (its remembered configurations are its own).
    """

    __slots__ = (
        "_configs",
        "_hyperparameters_ok",
        "_keys",
        "_name_ok",
        "_specs",
        "_tags_ok",
        "validator",
    )

    def __init__(self, validator: RequestValidator) -> None:
        self.validator: Final = validator
        check = validator.member_check
        self._name_ok = check(_CREATE, "TrainingJobName")
        self._hyperparameters_ok = check(_CREATE, "HyperParameters")
        self._tags_ok = check(_CREATE, "Tags")
        # marshal bytes of a request's shared part -> its JobSpec (only valid ones are kept)
        self._specs: dict[bytes, JobSpec] = {}
        # Intern tables, so equal values are stored once.
        self._configs: dict[bytes, bytes] = {}
        self._keys: dict[IdentityKey, IdentityKey] = {}

    # -- CreateTrainingJob --------------------------------------------------------------------

    def create(
        self, request: Mapping[str, Any]
    ) -> tuple[JobSpec, str, bytes | None, list[dict[str, str]] | None]:
        """Check a ``CreateTrainingJob`` request: ``(spec, name, frozen hyperparameters, tags)``
        of an acceptable one, else :class:`~warmpool.errors.ValidationException` listing every
        problem (the request itself is never changed)."""
        try:
            spec = self._specs.get(marshal.dumps(_shared_part(request), 0))
        except ValueError:  # not plain data: take the long way in
            spec = None
        if spec is not None:
            name = request.get("TrainingJobName")
            hyperparameters = request.get("HyperParameters")
            tags = request.get("Tags")
            try:  # first: marshal succeeds only on plain data, which no check below can trip on
                frozen = None if hyperparameters is None else marshal.dumps(hyperparameters, 0)
                frozen_tags = None if tags is None else marshal.dumps(tags, 0)
            except ValueError:
                pass
            else:
                if (
                    type(name) is str
                    and self._name_ok(name)
                    and (hyperparameters is None or self._hyperparameters_ok(hyperparameters))
                    and (tags is None or self._tags_ok(tags))
                ):
                    return spec, name, frozen, None if frozen_tags is None else thaw(frozen_tags)
        return self._create_slowly(request)

    def _create_slowly(
        self, raw: Mapping[str, Any]
    ) -> tuple[JobSpec, str, bytes | None, list[dict[str, str]] | None]:
        request = plain(raw)
        problems = self.validator.problems(_CREATE, request)
        problems.extend(create_rule_problems(request))
        if problems:
            raise validation_error(problems, _CREATE)
        blob = freeze(_shared_part(request))
        spec = self._specs.get(blob)
        if spec is None:
            spec = self._spec(request)
            if len(self._specs) >= _CACHE_LIMIT:
                self._specs.clear()
            self._specs[blob] = spec
        hyperparameters = request.get("HyperParameters")
        frozen = None if hyperparameters is None else freeze(hyperparameters)
        return spec, request["TrainingJobName"], frozen, request.get("Tags")

    def _spec(self, request: Mapping[str, Any]) -> JobSpec:
        """The :class:`JobSpec` of a valid, plain request."""
        resource: Mapping[str, Any] = request["ResourceConfig"]
        instance_groups = resource.get("InstanceGroups")
        if instance_groups:
            groups = tuple((g["InstanceType"], g["InstanceCount"]) for g in instance_groups)
        else:
            groups = ((resource["InstanceType"], resource["InstanceCount"]),)
        stopping = request.get("StoppingCondition") or {}
        config = freeze({k: v for k, v in request.items() if k in _SHARED_ECHO})
        return JobSpec(
            config=self._intern(self._configs, config),
            key=self._intern(self._keys, identity_key(request)),
            groups=groups,
            keep_alive=resource.get("KeepAlivePeriodInSeconds"),
            max_runtime=stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME),
            training_plan=resource.get("TrainingPlanArn"),
            reusable=not instance_groups and not request.get("EnableManagedSpotTraining"),
        )

    @staticmethod
    def _intern(table: dict[Any, Any], value: Any) -> Any:
        if len(table) >= _CACHE_LIMIT:
            table.clear()
        return table.setdefault(value, value)

    # -- every other operation ----------------------------------------------------------------

    def check(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """A plain copy of a valid request of ``operation``, else
        :class:`~warmpool.errors.ValidationException`."""
        checked: dict[str, Any] = plain(request)
        self.validator.validate(operation, checked)
        return checked
