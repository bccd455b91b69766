"""Evaluation of IAM identity policies for the ``sagemaker:KeepAlivePeriod`` condition key.

SageMaker lets an administrator cap ``ResourceConfig.KeepAlivePeriodInSeconds`` with a policy
such as::

    {"Version": "2012-10-17",
     "Statement": [{"Sid": "EnforceKeepAlivePeriodLimit", "Effect": "Allow",
                    "Action": ["sagemaker:CreateTrainingJob"], "Resource": "*",
                    "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 1800}}}]}

The emulator parses such a document once with :meth:`Policy.from_document` and calls
:meth:`Policy.evaluate` on every ``CreateTrainingJob``.

>>> policy = Policy.from_document(
...     '{"Statement": {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob",'
...     ' "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": "1800"}}}}'
... )
>>> policy.evaluate("sagemaker:CreateTrainingJob", "*", {"sagemaker:KeepAlivePeriod": 600})
Decision(allowed=True, reason='allowed', statement='Statement[0]')
>>> policy.evaluate("sagemaker:CreateTrainingJob", "*", {"sagemaker:KeepAlivePeriod": 1800}).reason
'implicit-deny'

The subset of IAM that is modelled
----------------------------------
One identity-based policy, evaluated on its own (no SCPs, boundaries, sessions or resource
policies):

* Top level: ``Version`` (optional; ``"2012-10-17"`` or ``"2008-10-17"``), ``Id`` (optional
  string) and ``Statement`` (one object or a non-empty list of objects). Nothing else.
* Statement: ``Sid`` (optional, ASCII letters and digits, unique in the policy), ``Effect``
  (``"Allow"`` or ``"Deny"``, exact case), exactly one of ``Action``/``NotAction``, at most one
  of ``Resource``/``NotResource`` (neither means ``"*"``), optional ``Condition``.
  ``Principal``/``NotPrincipal`` belong to resource-based policies and are refused.
* Actions are ``"*"`` or ``service:action`` patterns, matched case-insensitively; resources are
  ``"*"`` or patterns starting with ``arn:``, matched case-sensitively. In both, ``*`` matches
  any run of characters and ``?`` exactly one. In a resource, following IAM's documented ARN
  rule, a wildcard stays inside its colon-separated segment unless it is a ``*`` that ends the
  segment, which may run on across colons.
* Condition operators: the six ``Numeric*`` operators, their ``...IfExists`` forms, and
  ``Null``. Operator names are case-sensitive; condition key names are case-insensitive.
  Anything else (String, Date, Bool, ``ForAllValues:``, policy variables ...) is refused when the
  document is parsed, so an unsupported policy can never be silently mis-evaluated.

Evaluation follows IAM: a statement applies when its action, resource and *all* of its
conditions match (operators AND, keys AND, the values of one key OR; for the negated
``NumericNotEquals`` the values combine with NOR). Any applying ``Deny`` gives an explicit deny
(the first in document order is reported); otherwise the first applying ``Allow`` allows;
otherwise the request is implicitly denied.

A key missing from the request context
--------------------------------------
The IAM User Guide page "IAM JSON policy elements: Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
says: "If the key that you specify in a policy condition is not present in the request context,
the values do not match and the condition is *false*. If the policy condition requires that the
key is *not* matched, such as ``StringNotLike`` or ``ArnNotLike``, and the right key is not
present, the condition is *true*. This logic applies to all condition operators except
...IfExists and Null check." So a condition on a missing key is:

* false for a positive operator: ``NumericEquals``, ``NumericLessThan``,
  ``NumericLessThanEquals``, ``NumericGreaterThan``, ``NumericGreaterThanEquals``;
* true for the negated ``NumericNotEquals``;
* true for every ``...IfExists`` form, ``NumericNotEqualsIfExists`` included;
* for ``Null``, true when its value is ``true`` (the key is absent), false when it is ``false``.

So a ``Deny`` with ``NumericNotEquals`` applies to a request that lacks the key:

>>> only_zero = Policy.from_document(
...     {"Statement": [
...         {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob"},
...         {"Sid": "OnlyZero", "Effect": "Deny", "Action": "sagemaker:CreateTrainingJob",
...          "Condition": {"NumericNotEquals": {"sagemaker:KeepAlivePeriod": 0}}}]}
... )
>>> only_zero.evaluate("sagemaker:CreateTrainingJob", "*", {})
Decision(allowed=False, reason='explicit-deny', statement='OnlyZero')
>>> only_zero.evaluate("sagemaker:CreateTrainingJob", "*", {"sagemaker:KeepAlivePeriod": 0})
Decision(allowed=True, reason='allowed', statement='Statement[0]')

The rule is the ``when_missing`` value computed in ``_compile_test`` (decision D21).

Numbers
-------
A condition value for a ``Numeric*`` operator is a JSON number or a string holding a JSON number
literal (``"1800"``, ``"-2.5"``, ``"1e3"``), and the string means exactly what the same literal
written as a number means: ``"1800"`` and ``1800`` give the same int, ``"0.1"`` and ``0.1`` the
same float. Surrounding whitespace, a leading ``+``, leading zeros, ``_`` separators, ``NaN``
and infinities are refused, and so are booleans. ``Null`` takes ``true``/``false`` or the
strings ``"true"``/``"false"``.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

import attrs

from ._json import strict_loads

__all__ = [
    "SUPPORTED_OPERATORS",
    "Condition",
    "Decision",
    "Number",
    "Policy",
    "Statement",
]

_NUMERIC_OPERATORS: Final[tuple[str, ...]] = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
_IF_EXISTS: Final = "IfExists"

SUPPORTED_OPERATORS: Final[tuple[str, ...]] = (
    *_NUMERIC_OPERATORS,
    *(name + _IF_EXISTS for name in _NUMERIC_OPERATORS),
    "Null",
)
"""Every condition operator :meth:`Policy.from_document` accepts (names are case-sensitive)."""

_VERSIONS: Final = ("2012-10-17", "2008-10-17")
_TOP_LEVEL_KEYS: Final = ("Version", "Id", "Statement")
_STATEMENT_KEYS: Final = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_EFFECTS: Final = ("Allow", "Deny")

_SID_RE: Final = re.compile(r"[A-Za-z0-9]+")
_ACTION_RE: Final = re.compile(r"[^:\s]+:[^:\s]+")
_CONDITION_KEY_RE: Final = re.compile(r"[^:\s]+:\S+")
# RFC 8259's number grammar: what ``json.loads`` would accept as a bare number.
_JSON_NUMBER_RE: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

Number: TypeAlias = int | float
"""A condition value or a request-context value: an ``int`` (never a ``bool``) or a finite float."""

_ContextTest: TypeAlias = Callable[[Number], bool]


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Decision:
    """The outcome of :meth:`Policy.evaluate`.

    ``reason`` is ``"allowed"``, ``"explicit-deny"`` or ``"implicit-deny"``. ``statement`` names
    the deciding statement by its ``Sid``, or ``"Statement[i]"`` (its index in the document)
    when it has none; it is ``None`` for an implicit deny, which no statement decides.
    """

    allowed: bool
    reason: str
    statement: str | None


_IMPLICIT_DENY: Final = Decision(allowed=False, reason="implicit-deny", statement=None)


# --------------------------------------------------------------------------------------------
# Pattern matching
# --------------------------------------------------------------------------------------------


def _action_regex(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """Compile action patterns into one case-insensitive regex; ``None`` means "matches all"."""
    if "*" in patterns:
        return None
    parts = []
    for pattern in patterns:
        pieces = []
        for char in pattern:
            if char == "*":
                pieces.append(".*")
            elif char == "?":
                pieces.append(".")
            else:
                pieces.append(re.escape(char))
        parts.append("".join(pieces))
    return re.compile("(?:" + "|".join(parts) + ")", re.IGNORECASE | re.ASCII | re.DOTALL)


def _resource_regex(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """Compile ARN patterns into one case-sensitive regex; ``None`` means "matches all".

    A ``*`` that ends a colon-separated segment may match across colons; any other ``*`` or
    ``?`` stays within its segment.
    """
    if "*" in patterns:
        return None
    parts = []
    for pattern in patterns:
        pieces = []
        for index, char in enumerate(pattern):
            if char == "*":
                ends_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
                pieces.append(".*" if ends_segment else "[^:]*")
            elif char == "?":
                pieces.append("[^:]")
            else:
                pieces.append(re.escape(char))
        parts.append("".join(pieces))
    return re.compile("(?:" + "|".join(parts) + ")", re.DOTALL)


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def _always(_value: Number) -> bool:
    return True


def _never(_value: Number) -> bool:
    return False


def _compile_test(operator_name: str, values: tuple[Number, ...]) -> tuple[_ContextTest, bool]:
    """Return ``(test for a present value, result when the key is missing)``.

    Multiple values are folded at compile time: OR over ``v < t_i`` is ``v < max(t)``, and so
    on; equality becomes a frozenset lookup (Python hashes equal ints and floats alike).
    """
    if not values:
        raise ValueError(f"{operator_name}: a condition needs at least one value")
    if operator_name == "Null":
        # Null true = "the key is absent"; Null false = "the key is present". OR over values.
        present_ok = any(value is False for value in values)
        absent_ok = any(value is True for value in values)
        return (_always if present_ok else _never), absent_ok
    base = operator_name.removesuffix(_IF_EXISTS)
    if base not in _NUMERIC_OPERATORS:
        raise ValueError(_unsupported_operator_message(operator_name))
    # A missing key: ...IfExists forms and the negated NumericNotEquals hold, positive
    # operators do not (the IAM User Guide's condition-operator rule; D21).
    when_missing = base != operator_name or base == "NumericNotEquals"
    test: _ContextTest
    if base == "NumericEquals":
        test = frozenset(values).__contains__
    elif base == "NumericNotEquals":
        excluded = frozenset(values)

        def test(value: Number) -> bool:
            return value not in excluded

    elif base == "NumericLessThan":  # value < t  <=>  t > value
        test = functools.partial(operator.gt, max(values))
    elif base == "NumericLessThanEquals":
        test = functools.partial(operator.ge, max(values))
    elif base == "NumericGreaterThan":
        test = functools.partial(operator.lt, min(values))
    else:  # NumericGreaterThanEquals
        test = functools.partial(operator.le, min(values))
    return test, when_missing


def _unsupported_operator_message(operator_name: str) -> str:
    return (
        f"unsupported condition operator {_show(operator_name)}; supported operators are "
        + ", ".join(SUPPORTED_OPERATORS)
    )


@attrs.frozen
class Condition:
    """One ``operator: {key: values}`` entry of a statement's ``Condition`` block.

    ``key`` keeps the spelling of the document; it is compared case-insensitively. ``values``
    are ints/floats for the ``Numeric*`` operators and bools for ``Null``.
    """

    operator: str
    key: str
    values: tuple[Number, ...]
    _test: _ContextTest = attrs.field(init=False, repr=False, eq=False)
    _when_missing: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        test, when_missing = _compile_test(self.operator, self.values)
        object.__setattr__(self, "_test", test)
        object.__setattr__(self, "_when_missing", when_missing)

    def holds(self, context: Mapping[str, Number]) -> bool:
        """Whether this condition holds for ``context`` (keys compared case-insensitively)."""
        value = _normalise_context(context).get(self.key.lower())
        return self._when_missing if value is None else self._test(value)

    def _compiled(self) -> tuple[str, _ContextTest, bool]:
        return self.key.lower(), self._test, self._when_missing


# --------------------------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Statement:
    """One parsed policy statement.

    ``actions`` holds the ``Action`` patterns, or the ``NotAction`` patterns when
    ``not_action`` is true; likewise ``resources``/``not_resource``. ``conditions`` must all
    hold for the statement to apply.
    """

    sid: str | None
    effect: str
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] = ("*",)
    not_resource: bool = False
    conditions: tuple[Condition, ...] = ()
    _action_re: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)
    _resource_re: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)
    _checks: tuple[tuple[str, _ContextTest, bool], ...] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        if self.effect not in _EFFECTS:
            raise ValueError(f"Effect must be 'Allow' or 'Deny', not {_show(self.effect)}")
        if not self.actions or not self.resources:
            raise ValueError("a statement needs at least one action and one resource pattern")
        object.__setattr__(self, "_action_re", _action_regex(self.actions))
        object.__setattr__(self, "_resource_re", _resource_regex(self.resources))
        object.__setattr__(self, "_checks", tuple(c._compiled() for c in self.conditions))

    def applies(self, action: str, resource: str, context: Mapping[str, Number]) -> bool:
        """Whether this statement applies to the request (regardless of its effect)."""
        return self._applies(action, resource, _normalise_context(context))

    def _applies(self, action: str, resource: str, context: dict[str, Number]) -> bool:
        pattern = self._action_re
        if (pattern is None or pattern.fullmatch(action) is not None) is self.not_action:
            return False
        pattern = self._resource_re
        if (pattern is None or pattern.fullmatch(resource) is not None) is self.not_resource:
            return False
        for key, test, when_missing in self._checks:
            value = context.get(key)
            if value is None:
                if not when_missing:
                    return False
            elif not test(value):
                return False
        return True


# --------------------------------------------------------------------------------------------
# Request context
# --------------------------------------------------------------------------------------------

_EMPTY_CONTEXT: Final[dict[str, Number]] = {}


def _normalise_context(context: Mapping[str, Number]) -> dict[str, Number]:
    """Lower-case the keys and check the values are real, non-NaN numbers."""
    if not context:
        return _EMPTY_CONTEXT
    normalised: dict[str, Number] = {}
    for key, value in context.items():
        if not isinstance(key, str):
            raise TypeError(f"context key {_show(key)} is not a string")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(
                f"context value {_show(value)} for key {_show(key)} is not an int or float"
            )
        if value != value:
            raise ValueError(f"context value for key {_show(key)} is NaN")
        normalised[key.lower()] = value
    if len(normalised) != len(context):
        raise ValueError("context has keys that differ only in case: " + ", ".join(context))
    return normalised


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------


def _statement_name(statement: Statement, index: int) -> str:
    return statement.sid if statement.sid is not None else f"Statement[{index}]"


@attrs.frozen
class Policy:
    """A parsed, validated identity policy, ready to evaluate requests cheaply.

    Build it with :meth:`from_document`. Constructing it directly from :class:`Statement`
    objects also works; statements without a ``Sid`` are then named by their position.
    """

    statements: tuple[Statement, ...]
    _denies: tuple[tuple[Statement, Decision], ...] = attrs.field(init=False, repr=False, eq=False)
    _allows: tuple[tuple[Statement, Decision], ...] = attrs.field(init=False, repr=False, eq=False)
    _uses_context: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        denies = []
        allows = []
        for index, statement in enumerate(self.statements):
            name = _statement_name(statement, index)
            if statement.effect == "Deny":
                denies.append((statement, Decision(False, "explicit-deny", name)))
            else:
                allows.append((statement, Decision(True, "allowed", name)))
        object.__setattr__(self, "_denies", tuple(denies))
        object.__setattr__(self, "_allows", tuple(allows))
        object.__setattr__(self, "_uses_context", any(s.conditions for s in self.statements))

    @classmethod
    def from_document(cls, document: Mapping[str, Any] | str) -> Policy:
        """Parse and validate a policy given as a mapping or as JSON text.

        Raises :class:`ValueError` for malformed input; the message starts with the path of the
        offending element (``Statement[0].Condition.NumericLessThan: ...``) and states the rule.
        JSON text that does not parse, or that repeats a key within one object, is malformed.
        """
        if isinstance(document, str):
            document = _load_json(document)
        return _parse_policy(document)

    def evaluate(self, action: str, resource: str, context: Mapping[str, Number]) -> Decision:
        """Decide whether this policy allows ``action`` on ``resource``.

        ``context`` maps condition keys (case-insensitive) to the request's values, for example
        ``{"sagemaker:KeepAlivePeriod": 1800}``; a key it lacks is *missing*. Values must be
        ints or floats (not bools, not NaN): :class:`TypeError`/:class:`ValueError` otherwise.
        """
        ctx = _normalise_context(context) if self._uses_context else _EMPTY_CONTEXT
        for statement, decision in self._denies:
            if statement._applies(action, resource, ctx):
                return decision
        for statement, decision in self._allows:
            if statement._applies(action, resource, ctx):
                return decision
        return _IMPLICIT_DENY


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _load_json(text: str) -> Any:
    try:
        return strict_loads(text, "policy JSON")
    except json.JSONDecodeError as exc:
        raise ValueError(f"policy document is not valid JSON: {exc}") from None


def _show(value: object) -> str:
    """``repr`` of a user-supplied value, cut short so an error message stays readable."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(value: object) -> str:
    return type(value).__name__


def _parse_policy(document: object) -> Policy:
    if not isinstance(document, Mapping):
        raise ValueError(f"policy document must be a JSON object, not {_describe(document)}")
    _check_keys(document, _TOP_LEVEL_KEYS, "policy document")
    if "Version" in document:
        version = document["Version"]
        if version not in _VERSIONS or not isinstance(version, str):
            raise ValueError(
                f"Version: must be one of {', '.join(map(repr, _VERSIONS))}, not {_show(version)}"
            )
    if "Id" in document and not isinstance(document["Id"], str):
        raise ValueError(f"Id: must be a string, not {_describe(document['Id'])}")
    if "Statement" not in document:
        raise ValueError("Statement: required element is missing")
    raw = document["Statement"]
    if isinstance(raw, Mapping):
        raw_statements: list[object] = [raw]
    elif isinstance(raw, list):
        if not raw:
            raise ValueError("Statement: must not be an empty list")
        raw_statements = raw
    else:
        raise ValueError(f"Statement: must be an object or a list of objects, not {_describe(raw)}")
    statements = tuple(
        _parse_statement(item, f"Statement[{index}]") for index, item in enumerate(raw_statements)
    )
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        if statement.sid is None:
            continue
        if statement.sid in seen:
            raise ValueError(
                f"Statement[{index}].Sid: {_show(statement.sid)} is already used by "
                f"Statement[{seen[statement.sid]}]; Sids must be unique within a policy"
            )
        seen[statement.sid] = index
    return Policy(statements)


def _check_keys(mapping: Mapping[Any, Any], allowed: Sequence[str], path: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise ValueError(
                f"{path}: unknown element {_show(key)}; allowed elements are {', '.join(allowed)}"
            )


def _parse_statement(raw: object, path: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: a statement must be a JSON object, not {_describe(raw)}")
    for key in ("Principal", "NotPrincipal"):
        if key in raw:
            raise ValueError(
                f"{path}.{key}: not allowed in an identity-based policy "
                "(it belongs to resource-based policies)"
            )
    _check_keys(raw, _STATEMENT_KEYS, path)

    sid: str | None = None
    if "Sid" in raw:
        sid_value = raw["Sid"]
        if not isinstance(sid_value, str) or not _SID_RE.fullmatch(sid_value):
            raise ValueError(
                f"{path}.Sid: must be a non-empty string of ASCII letters and digits, "
                f"not {_show(sid_value)}"
            )
        sid = sid_value

    if "Effect" not in raw:
        raise ValueError(f"{path}.Effect: required element is missing")
    effect = raw["Effect"]
    if effect not in _EFFECTS or not isinstance(effect, str):
        raise ValueError(f"{path}.Effect: must be exactly 'Allow' or 'Deny', not {_show(effect)}")

    if ("Action" in raw) == ("NotAction" in raw):
        raise ValueError(f"{path}: exactly one of Action and NotAction is required")
    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _parse_patterns(raw[action_key], f"{path}.{action_key}")
    for index, action in enumerate(actions):
        if action != "*" and not _ACTION_RE.fullmatch(action):
            raise ValueError(
                f"{path}.{action_key}[{index}]: {_show(action)} is not '*' or 'service:action'"
            )

    if "Resource" in raw and "NotResource" in raw:
        raise ValueError(f"{path}: Resource and NotResource cannot both be given")
    resource_key = "NotResource" if "NotResource" in raw else "Resource"
    resources: tuple[str, ...] = ("*",)
    if resource_key in raw:
        resources = _parse_patterns(raw[resource_key], f"{path}.{resource_key}")
        for index, resource in enumerate(resources):
            if resource != "*" and not resource.startswith("arn:"):
                raise ValueError(
                    f"{path}.{resource_key}[{index}]: {_show(resource)} is not '*' or an ARN "
                    "(starting with 'arn:')"
                )

    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw:
        conditions = _parse_condition_block(raw["Condition"], f"{path}.Condition")

    return Statement(
        sid=sid,
        effect=effect,
        actions=actions,
        not_action=action_key == "NotAction",
        resources=resources,
        not_resource=resource_key == "NotResource",
        conditions=conditions,
    )


def _parse_patterns(raw: object, path: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise ValueError(f"{path}: must be a string or a list of strings, not {_describe(raw)}")
    if not items:
        raise ValueError(f"{path}: must not be an empty list")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise ValueError(f"{path}[{index}]: must be a non-empty string, not {_show(item)}")
    return tuple(items)


def _parse_condition_block(raw: object, path: str) -> tuple[Condition, ...]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: must be an object mapping operators to keys")
    conditions = []
    for operator_name, entries in raw.items():
        if operator_name not in SUPPORTED_OPERATORS:
            raise ValueError(
                f"{path}.{operator_name}: {_unsupported_operator_message(operator_name)}"
            )
        op_path = f"{path}.{operator_name}"
        if not isinstance(entries, Mapping):
            raise ValueError(f"{op_path}: must be an object mapping condition keys to values")
        for key, raw_values in entries.items():
            if not isinstance(key, str) or not _CONDITION_KEY_RE.fullmatch(key):
                raise ValueError(f"{op_path}: condition key {_show(key)} is not 'service:name'")
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            if not items:
                raise ValueError(f"{op_path}: key {_show(key)} has an empty list of values")
            values: tuple[Number, ...]
            if operator_name == "Null":
                values = tuple(_parse_null_value(item, key, op_path) for item in items)
            else:
                values = tuple(_parse_number(item, key, op_path) for item in items)
            conditions.append(Condition(operator_name, key, values))
    return tuple(conditions)


def _parse_number(raw: object, key: str, path: str) -> Number:
    if isinstance(raw, bool):
        raise ValueError(
            f"{path}: value {_show(raw)} for key {_show(key)} is a boolean, not a number"
        )
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(
                f"{path}: value {_show(raw)} for key {_show(key)} is not a finite number"
            )
        return raw
    if isinstance(raw, str) and _JSON_NUMBER_RE.fullmatch(raw):
        try:
            if not any(c in raw for c in ".eE"):
                return int(raw)
            number = float(raw)
        except ValueError:  # more digits than int() accepts
            number = math.nan
        if math.isfinite(number):
            return number
        raise ValueError(f"{path}: value {_show(raw)} for key {_show(key)} is not a finite number")
    raise ValueError(f"{path}: value {_show(raw)} for key {_show(key)} is not a number")


def _parse_null_value(raw: object, key: str, path: str) -> bool:
    if raw is True or raw == "true":
        return True
    if raw is False or raw == "false":
        return False
    raise ValueError(f"{path}: value {_show(raw)} for key {_show(key)} must be true or false")
