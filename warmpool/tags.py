"""Tags of training jobs: the rules of SageMaker's ``AddTags``, ``ListTags`` and ``DeleteTags``.

:class:`TagStore` holds the tags of the training jobs of one emulator (one region, one account),
by job name, and answers the three operations for requests that already passed botocore's model
(:class:`~warmpool.validation.RequestValidator`). It knows nothing of jobs but their names: the
caller says which names exist. The rules, and where they come from (``docs/decisions.md``, D33):

* ``ResourceArn`` must be ``arn:aws:sagemaker:{region}:{account}:training-job/{name}`` of this
  emulator's region and account, naming a job that exists (with the name's case as given);
  anything else is ``ValidationException`` ``Resource does not exist``, AWS's answer to
  ``ListTags`` of an ARN that names no resource (boto/boto3#4606).
* A request may not give one key twice (``Duplicate tag key``, AWS's text for SageMaker) nor a
  key starting with ``aws:`` in any case (reserved for AWS; such keys cannot be deleted either).
* ``AddTags`` overwrites the value of a key the job has ("Adds or overwrites"), adds the others,
  and answers with every tag of the job. A job has at most :data:`MAX_TAGS` tags; a request that
  would leave more is refused whole (keys it overwrites do not count twice).
* ``DeleteTags`` of a key the job does not have does nothing.
* ``ListTags`` lists keys in the order they were first added (an overwrite keeps the place);
  ``MaxResults`` (at least 50 in the model) defaults to 50, so one page always holds every tag;
  ``NextToken`` is opaque and only tokens this module issued are accepted.
* ``CreateTrainingJob``'s ``Tags`` follow the same rules (:meth:`TagStore.checked`).

Memory: nothing is stored for a job without tags, and a job's tags are one tuple of
``(key, value)`` pairs, shared by every job with equal tags.

>>> store = TagStore(region="us-east-1", account="123456789012")
>>> arn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1"
>>> exists = {"job-1"}.__contains__
>>> store.add_tags({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "ml"}]}, exists)
{'Tags': [{'Key': 'team', 'Value': 'ml'}]}
>>> store.delete_tags({"ResourceArn": arn, "TagKeys": ["team", "absent"]}, exists)
{}
>>> store.list_tags({"ResourceArn": arn}, exists), len(store)
({'Tags': []}, 0)
"""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from .errors import ValidationException
from .validation import aws_path, problem, validation_error

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "MAX_TAGS",
    "RESERVED_PREFIX",
    "TagStore",
    "Tags",
]

#: A job's tags: ``(key, value)`` pairs, in the order the keys were first added.
Tags: TypeAlias = tuple[tuple[str, str], ...]

#: The most tags one resource can have ("Maximum number of tags per resource: 50").
MAX_TAGS: Final = 50
#: Tag keys with this prefix, in any case, are reserved for AWS.
RESERVED_PREFIX: Final = "aws:"
#: ``ListTags``' page size when ``MaxResults`` is not given (the model's minimum).
DEFAULT_MAX_RESULTS: Final = 50

_RESOURCE_TYPE: Final = "training-job"
_INTERN_LIMIT: Final = 4096
_NOT_FOUND: Final = "Resource does not exist"

#: Whether a training job of this name exists (the caller's jobs).
Exists: TypeAlias = Callable[[str], bool]


class TagStore:
    """The tags of one emulator's training jobs, by job name.

    The ``add_tags`` / ``list_tags`` / ``delete_tags`` methods take a request that passed the
    model's validation and a predicate telling which job names exist; they return the response
    body (without ``ResponseMetadata``) or raise
    :class:`~warmpool.errors.ValidationException`. A refused request changes nothing.
    """

    __slots__ = ("_account", "_by_job", "_interned", "_region")

    def __init__(self, region: str, account: str) -> None:
        self._region = region
        self._account = account
        self._by_job: dict[str, Tags] = {}
        self._interned: dict[Tags, Tags] = {}

    def __len__(self) -> int:
        """How many jobs have tags (jobs without tags take no room)."""
        return len(self._by_job)

    def __repr__(self) -> str:
        return f"<TagStore region={self._region!r} account={self._account!r} tagged={len(self)}>"

    # -- CreateTrainingJob and DeleteTrainingJob -----------------------------------------------

    def checked(self, operation: str, tags: Sequence[Mapping[str, str]] | None) -> Tags | None:
        """The ``Tags`` of a request that passed the model, frozen for :meth:`record`; ``None``
        when there are none. Raises ``ValidationException`` for a key given twice or an
        ``aws:`` key (the model has already capped the list at :data:`MAX_TAGS`)."""
        if not tags:
            return None
        frozen = tuple((tag["Key"], tag["Value"]) for tag in tags)
        _check_new_keys(operation, frozen)
        return self._intern(frozen)

    def record(self, name: str, tags: Tags | None) -> None:
        """Give the new job ``name`` the tags ``tags`` from :meth:`checked` (``None``: store
        nothing)."""
        if tags:
            self._by_job[name] = tags

    def forget(self, name: str) -> None:
        """Drop the tags of a job that is deleted (a new job of that name starts untagged)."""
        self._by_job.pop(name, None)

    # -- the three operations ------------------------------------------------------------------

    def add_tags(self, request: Mapping[str, Any], exists: Exists) -> dict[str, Any]:
        """``AddTags``: add ``Tags`` to the job, overwriting the values of keys it has; answer
        with every tag of the job."""
        operation = "AddTags"
        new = tuple((tag["Key"], tag["Value"]) for tag in request["Tags"])
        _check_new_keys(operation, new)
        name = self.job_name(operation, request["ResourceArn"], exists)
        current = self._by_job.get(name, ())
        merged = dict(current)
        merged.update(new)
        if len(merged) > MAX_TAGS:
            added = len(merged) - len(current)
            raise ValidationException(
                f"Tags would exceed the limit of {MAX_TAGS} tags per resource: training job "
                f"{name!r} has {len(current)} and the request adds {added} new "
                f"key{'s' if added != 1 else ''}",
                field="Tags",
                operation=operation,
            )
        if len(merged) != len(current) or any(merged[key] != value for key, value in current):
            self._by_job[name] = self._intern(tuple(merged.items()))
        return {"Tags": _as_list(self._by_job.get(name, ()))}

    def list_tags(self, request: Mapping[str, Any], exists: Exists) -> dict[str, Any]:
        """``ListTags``: the job's tags, a page of ``MaxResults`` (default 50) at a time."""
        operation = "ListTags"
        token = request.get("NextToken")
        start = 0 if not token else _decode_token(operation, token)
        name = self.job_name(operation, request["ResourceArn"], exists)
        tags = self._by_job.get(name, ())
        end = start + request.get("MaxResults", DEFAULT_MAX_RESULTS)
        body: dict[str, Any] = {"Tags": _as_list(tags[start:end])}
        if end < len(tags):
            body["NextToken"] = _encode_token(end)
        return body

    def delete_tags(self, request: Mapping[str, Any], exists: Exists) -> dict[str, Any]:
        """``DeleteTags``: remove the ``TagKeys`` the job has; keys it lacks are ignored."""
        operation = "DeleteTags"
        keys: Sequence[str] = request["TagKeys"]
        for index, key in enumerate(keys):
            if _is_reserved(key):
                raise _reserved(operation, f"TagKeys[{index}]", key, "cannot be deleted")
        name = self.job_name(operation, request["ResourceArn"], exists)
        current = self._by_job.get(name)
        if current is not None:
            unwanted = frozenset(keys)
            kept = tuple(pair for pair in current if pair[0] not in unwanted)
            if not kept:
                del self._by_job[name]
            elif len(kept) != len(current):
                self._by_job[name] = self._intern(kept)
        return {}

    # -- ARNs ----------------------------------------------------------------------------------

    def job_name(self, operation: str, arn: str, exists: Exists) -> str:
        """The name of the existing training job ``arn`` names, or ``ValidationException``
        ``Resource does not exist`` saying why not (``arn`` matches the model's pattern)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or (parts[1], parts[3], parts[4]) != (
            "aws",
            self._region,
            self._account,
        ):
            raise _not_found(
                operation,
                f"{arn} is not an ARN of this emulator's partition, region and account "
                f"(arn:aws:sagemaker:{self._region}:{self._account}:...)",
            )
        kind, slash, name = parts[5].partition("/")
        if kind != _RESOURCE_TYPE or not slash:
            raise _not_found(
                operation,
                f"{arn} is not a training job ARN (...:training-job/NAME); warmpool holds "
                "training jobs only",
            )
        if not exists(name):
            raise _not_found(operation, f"there is no training job named {name!r} ({arn})")
        return name

    def _intern(self, tags: Tags) -> Tags:
        table = self._interned
        if len(table) >= _INTERN_LIMIT:
            table.clear()
        return table.setdefault(tags, tags)


# -- rules --------------------------------------------------------------------------------------


def _check_new_keys(operation: str, tags: Tags) -> None:
    """Refuse a key given twice or a reserved key (the first found, in request order)."""
    seen: set[str] = set()
    for index, (key, _value) in enumerate(tags):
        if _is_reserved(key):
            raise _reserved(operation, f"Tags[{index}].Key", key, "cannot be added")
        if key in seen:
            field = f"Tags[{index}].Key"
            raise ValidationException(
                f"Duplicate tag key {key!r} at '{aws_path(field)}': tag keys must be unique "
                "per resource",
                field=field,
                operation=operation,
            )
        seen.add(key)


def _is_reserved(key: str) -> bool:
    return key[:4].lower() == RESERVED_PREFIX


def _reserved(operation: str, field: str, key: str, what: str) -> ValidationException:
    return ValidationException(
        f"Tag keys starting with '{RESERVED_PREFIX}' (in any case) are reserved for AWS and "
        f"{what}: {key!r} at '{aws_path(field)}'",
        field=field,
        operation=operation,
    )


def _not_found(operation: str, why: str) -> ValidationException:
    return ValidationException(f"{_NOT_FOUND}: {why}", field="ResourceArn", operation=operation)


def _as_list(tags: Tags) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags]


# -- NextToken ----------------------------------------------------------------------------------


def _encode_token(offset: int) -> str:
    raw = json.dumps(["ListTags", offset], separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode()


def _decode_token(operation: str, token: str) -> int:
    try:
        decoded = json.loads(urlsafe_b64decode(token.encode()))
    except (ValueError, RecursionError):  # not base64, UTF-8 or JSON; or nested too deep
        decoded = None
    if (
        isinstance(decoded, list)
        and len(decoded) == 2
        and decoded[0] == "ListTags"
        and type(decoded[1]) is int
        and decoded[1] > 0
    ):
        return decoded[1]
    raise validation_error(
        [problem("NextToken", token, "Member must be a NextToken returned by ListTags")],
        operation,
    )
