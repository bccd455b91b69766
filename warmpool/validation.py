"""Model-driven validation of SageMaker training-job and tag API requests.

The rules come from botocore's SageMaker service model (the six training-job operations and the
three tag operations, with every shape they reach, shipped in
``warmpool/data/sagemaker-training-model.json``). botocore's client only checks required members,
types and ``min`` bounds; the service also enforces ``max``, ``pattern`` and ``enum``. This module
enforces all of them, the way the service does, and reports failures as one
:class:`~warmpool.errors.ValidationException` in AWS's wording::

    1 validation error detected: Value '99999' at 'resourceConfig.keepAlivePeriodInSeconds' failed
    to satisfy constraint: Member must have value less than or equal to 21600

Messages write member paths as SageMaker's JSON endpoint does (decision D16): each member name
with a lower-case first letter (``s3OutputPath``, ``kmsKeyId``), an item of a list of
structures as a 1-based ``N.member`` step (``tags.2.member.value``). The rules of the items of a
list of scalars, and of the keys or the values of a map, are reported once, at the collection,
with the collection (printed as Java prints it) as the value::

    Value '{epochs=x...}' at 'hyperParameters' failed to satisfy constraint: Map value must
    satisfy constraint: [Member must have length less than or equal to 2500, Member must have
    length greater than or equal to 0, Member must satisfy regular expression pattern: .*]

``ValidationException.field`` keeps the path as the caller writes it
(``ResourceConfig.KeepAlivePeriodInSeconds``, ``VpcConfig.Subnets[1]``,
``HyperParameters["epochs"]``). :func:`_item` is the one place a path is written AWS's way, so
the problems other modules word with :func:`problem` are written the same way.

Design, for speed (every ``CreateTrainingJob`` is validated):

* :class:`RequestValidator` compiles every shape ONCE, in ``__init__``, into two closures: a
  *fast* predicate that only answers "valid?" (no paths, no strings, no allocation), and a *slow*
  collector that walks the value again and records every problem with its path and message. The
  slow one runs only when the fast one says no, so the success path costs one predicate call.
* Patterns are compiled once per process (module-level cache) and matched with ``fullmatch``:
  botocore >= 1.39 ships them without ``^``/``$`` and the service treats them as whole-string.

Patterns are Java regular expressions (the service is Java). They are translated to Python:

* ``\\p{L}``, ``\\p{N}``, ``\\p{Z}`` and the other Unicode general categories become explicit
  character ranges built from :mod:`unicodedata` (once per process, on first need; about 0.1 s).
  The shipped model needs this for ``TagKey``/``TagValue``.
* ``\\p{Alnum}`` and the other Java POSIX classes become their US-ASCII ranges (Java's default).
  The shipped model needs this for ``TrainingRepositoryCredentialsProviderArn``.
* ``.`` becomes ``[^\\n\\r\\x85\\u2028\\u2029]`` (Java's dot excludes every line terminator).
* ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only, as in Java: patterns compile with
  :data:`re.ASCII`.
* A construct with no faithful translation (class union/intersection, ``\\Q..\\E``, ``\\R``, ...)
  or a pattern Python cannot compile is *skipped*: that one ``pattern`` constraint is not
  enforced (length, enum and type still are). The shipped model has no such pattern.

Other deliberate choices, beyond the model:

* ``None`` is never a valid value: for any member, list item or map value it is reported as
  ``Member must not be null`` (bracketed, for an item of a list of scalars or a map value; boto3
  refuses ``None`` client-side too).
* ``Unknown parameter`` items are botocore's client-side check, which AWS never sends: they name
  members as the caller writes them.
* ``integer`` values must fit a Java ``int`` (32-bit) and ``long`` values a Java ``long``
  (64-bit); values outside are refused with the matching ``less/greater than or equal to``
  message. ``float`` values must be finite (JSON cannot carry NaN or infinity).
* Structure members are reported in the order the caller wrote them, then missing required
  members in the model's order; ``field`` is the path of the first problem reported.
* A mapping or sequence that raises when it is read (the door leaves such a value as it is,
  decision D35) is reported at the member that holds it: ``Member must be readable (reading
  it raised RuntimeError)``, naming the exception's type only.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from importlib import resources
from typing import Any, Final, TypeAlias, TypeGuard

from warmpool._text import shown
from warmpool.clock import parse_timestamp
from warmpool.errors import ValidationException

__all__ = [
    "TRAINING_INSTANCE_TYPES",
    "RequestValidator",
    "aws_path",
    "create_rule_problems",
    "load_model",
    "problem",
    "validation_error",
]

# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    """Return the bundled botocore model of the training-job and tag operations (read once,
    cached).

    The same dict is returned on every call: treat it as read-only.
    """
    resource = (
        resources.files("warmpool").joinpath("data").joinpath("sagemaker-training-model.json")
    )
    model: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return model


#: Every ``ResourceConfig.InstanceType`` a training job may ask for, in the model's order
#: (botocore's ``TrainingInstanceType``): what ``CreateTrainingJob`` accepts.
TRAINING_INSTANCE_TYPES: Final[tuple[str, ...]] = tuple(
    load_model()["shapes"]["TrainingInstanceType"]["enum"]
)


# --------------------------------------------------------------------------------------------
# Java regular expressions -> Python
# --------------------------------------------------------------------------------------------

_JAVA_DOT: Final = "[^\\n\\r\\x85\\u2028\\u2029]"

# Java's POSIX character classes are US-ASCII unless UNICODE_CHARACTER_CLASS is set.
_POSIX_CLASSES: Final[Mapping[str, str]] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e",
    "Graph": "\\x21-\\x7e",
    "Print": "\\x20-\\x7e",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}

# Escapes whose Java meaning Python does not share (or does not know).
_UNTRANSLATABLE_ESCAPES: Final = frozenset("QEGRXZhHvVck")

# Patterns that accept every string: no need to run a regex for them.
_MATCH_ALL: Final = frozenset({"[\\S\\s]*", "[\\s\\S]*", "(?s).*"})


class _UnsupportedPattern(Exception):
    """A Java regex construct with no faithful Python translation."""


@functools.lru_cache(maxsize=1)
def _category_ranges() -> dict[str, tuple[tuple[int, int], ...]]:
    """Code-point ranges of every two-letter Unicode general category (computed once)."""
    found: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    previous = category("\x00")
    start = 0
    for code in range(1, 0x110000):
        current = category(chr(code))
        if current != previous:
            found.setdefault(previous, []).append((start, code - 1))
            previous, start = current, code
    found.setdefault(previous, []).append((start, 0x10FFFF))
    return {name: tuple(ranges) for name, ranges in found.items()}


def _ranges_to_class_body(ranges: list[tuple[int, int]]) -> str:
    ranges.sort()
    merged: list[list[int]] = []
    for low, high in ranges:
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    parts = []
    for low, high in merged:
        parts.append(f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}")
    return "".join(parts)


@functools.cache
def _property_class_body(name: str) -> str:
    """The inside of a Python character class equivalent to Java's ``\\p{name}``."""
    posix = _POSIX_CLASSES.get(name)
    if posix is not None:
        return posix
    category = name[2:] if name.startswith("Is") else name
    if category.startswith("general_category="):
        category = category[len("general_category=") :]
    elif category.startswith("gc="):
        category = category[3:]
    if len(category) in (1, 2) and category[0] in "CLMNPSZ":
        selected = [
            span
            for two_letter, spans in _category_ranges().items()
            if two_letter.startswith(category)
            for span in spans
        ]
        if selected:
            return _ranges_to_class_body(selected)
    raise _UnsupportedPattern(f"unknown character property \\p{{{name}}}")


def _translate_java_pattern(pattern: str) -> str:
    """Translate a Java regular expression into an equivalent Python one (for ``re.ASCII``).

    Raises :class:`_UnsupportedPattern` for constructs with no faithful translation.
    """
    out: list[str] = []
    index, size = 0, len(pattern)
    in_class = False
    plain_groups = re.search(r"\\[1-9]|\\k<", pattern) is not None  # back-references
    class_opened_at = -1  # index just after "[" or "[^": a "]" there is a literal
    while index < size:
        char = pattern[index]
        if char == "\\":
            if index + 1 >= size:
                raise _UnsupportedPattern("trailing backslash")
            escape = pattern[index + 1]
            if escape in "pP":
                if index + 2 < size and pattern[index + 2] == "{":
                    close = pattern.find("}", index + 3)
                    if close < 0:
                        raise _UnsupportedPattern("unterminated \\p{")
                    name, index = pattern[index + 3 : close], close + 1
                elif index + 2 < size:
                    name, index = pattern[index + 2], index + 3
                else:
                    raise _UnsupportedPattern("dangling \\p")
                body = _property_class_body(name)
                if in_class:
                    if escape == "P":
                        raise _UnsupportedPattern("\\P{...} inside a character class")
                    out.append(body)
                else:
                    out.append(("[^" if escape == "P" else "[") + body + "]")
                continue
            if escape == "z":
                out.append("\\Z")  # Java's \z is Python's \Z
            elif escape in _UNTRANSLATABLE_ESCAPES:
                raise _UnsupportedPattern(f"Java escape \\{escape}")
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "[":
                raise _UnsupportedPattern("nested character class (Java union)")
            if char == "&" and pattern.startswith("&&", index):
                raise _UnsupportedPattern("character class intersection")
            if char == "]" and index != class_opened_at:
                in_class = False
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            index += 1
            if index < size and pattern[index] == "^":
                out.append("[^")
                index += 1
            else:
                out.append("[")
            class_opened_at = index
            continue
        if char == "(" and not pattern.startswith("?", index + 1) and not plain_groups:
            out.append("(?:")  # nothing reads the groups: non-capturing ones match faster
        else:
            out.append(_JAVA_DOT if char == "." else char)
        index += 1
    if in_class:
        raise _UnsupportedPattern("unterminated character class")
    return "".join(out)


@functools.cache
def _compile_java_pattern(pattern: str) -> re.Pattern[str] | None:
    """The compiled Python equivalent of a model pattern, or ``None`` if it must be skipped.

    Skipping (rather than failing) is deliberate: one untranslatable pattern in a future model
    should cost one unchecked constraint, not a validator that cannot be built.
    """
    try:
        translated = _translate_java_pattern(pattern)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set" etc.
            return re.compile(translated, re.ASCII)
    except (_UnsupportedPattern, re.error):
        return None


_Matcher: TypeAlias = "Callable[[str], object | None]"  # like Pattern.fullmatch: None = no match

_LINE_TERMINATORS: Final = re.compile("[\n\r\x85\u2028\u2029]")


def _match_java_dot_star(text: str) -> bool | None:
    """``fullmatch`` for Java's ``.*`` (the commonest pattern), without running a regex."""
    if "\n" in text or "\r" in text:
        return None
    if text.isascii() or _LINE_TERMINATORS.search(text) is None:
        return True
    return None


def _matcher_for(pattern: str | None) -> _Matcher | None:
    """How to test a model pattern: ``None`` when there is nothing to test (or it is skipped)."""
    if pattern is None or pattern in _MATCH_ALL:
        return None
    if pattern == ".*":
        return _match_java_dot_star
    compiled = _compile_java_pattern(pattern)
    return compiled.fullmatch if compiled is not None else None


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------

_EPOCH_MIN: Final = -62135596800  # 0001-01-01T00:00:00Z
_EPOCH_MAX: Final = 253402300799  # 9999-12-31T23:59:59Z


def _is_iso_8601(text: str) -> bool:
    try:
        parse_timestamp(text)
    except ValueError:  # not the format, or a day, hour or offset out of range
        return False
    return True


def _is_input_timestamp(value: Any) -> bool:
    if isinstance(value, datetime):
        return True
    if isinstance(value, str):
        return _is_iso_8601(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EPOCH_MIN <= value <= _EPOCH_MAX  # False for NaN
    return False


def _is_output_timestamp(value: Any) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

_MAX_RENDERED: Final = 100


def _scalar_text(value: Any) -> str:
    if isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return shown(value)


def _java_text(value: Any, limit: int) -> str:
    """``value`` printed as the service (Java) prints it: lists as ``[a, b]``, maps and
    structures as ``{k=v}``, strings bare, ``None`` as ``null``. Stops once past ``limit``
    characters, so a huge or self-containing value costs little."""
    parts: list[str] = []
    size = 0

    def emit(text: str) -> bool:  # True once past the limit: stop walking
        nonlocal size
        parts.append(text)
        size += len(text)
        return size > limit

    def walk(item: Any) -> bool:
        if item is None:
            return emit("null")
        if isinstance(item, str):
            return emit(item)
        if isinstance(item, Mapping):
            if emit("{"):
                return True
            for number, (key, entry) in enumerate(item.items()):
                if (number and emit(", ")) or walk(key) or emit("=") or walk(entry):
                    return True
            return emit("}")
        if isinstance(item, (list, tuple)):
            if emit("["):
                return True
            for number, entry in enumerate(item):
                if (number and emit(", ")) or walk(entry):
                    return True
            return emit("]")
        return emit(_scalar_text(item))

    walk(value)
    return "".join(parts)


def _render(value: Any) -> str:
    """A value as AWS quotes it in a constraint message: ``'text'``, ``'42'``, ``'[a, b]'``,
    ``'{k=v}'`` or ``null``."""
    if value is None:
        return "null"
    try:
        text = _java_text(value, _MAX_RENDERED)
    except Exception:  # e.g. an int too large to print, or a broken __repr__ or Mapping
        text = f"<{type(value).__name__}>"
    if len(text) > _MAX_RENDERED:
        text = text[: _MAX_RENDERED - 3] + "..."
    return f"'{text}'"


# One step of a request path as warmpool writes it (``error.field``): a member name, a list
# index ``[0]`` or a map key ``["key"]`` (a JSON string).
_PATH_STEP: Final = re.compile(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.\[]+)')


@functools.lru_cache(maxsize=4096)
def aws_path(path: str) -> str:
    """``path`` (a request path as the caller writes it, like ``error.field``) as SageMaker's
    JSON endpoint writes it in a validation message (D16).

    Member names get a lower-case first letter (``VpcConfig`` -> ``vpcConfig``,
    ``S3OutputPath`` -> ``s3OutputPath``); list items are 1-based ``N.member`` steps; a map
    entry is its key. A string that is not such a path is returned unchanged.

    >>> aws_path("ResourceConfig.InstanceGroups[0].InstanceCount")
    'resourceConfig.instanceGroups.1.member.instanceCount'
    """
    steps: list[str] = []
    position = 0
    while position < len(path):
        found = _PATH_STEP.match(path, position)
        if found is None:
            return path
        index, key, name = found.groups()
        if index is not None:
            steps.append(f"{int(index) + 1}.member")
        elif key is not None:
            steps.append(json.loads(key))
        else:
            steps.append(name[:1].lower() + name[1:])
        position = found.end()
    return ".".join(steps)


def _entry_path(path: str, key: Any) -> str:
    """The path of a map entry, as ``error.field`` shows it: ``HyperParameters["epochs"]``."""
    return f"{path}[{json.dumps(str(key), ensure_ascii=False)}]"


def problem(path: str, value: Any, constraint: str) -> tuple[str, str]:
    """A ``(path, item)`` pair worded as AWS words a constraint failure.

    ``path`` is the request path as the caller writes it (``ResourceConfig.InstanceCount``):
    it is the pair's first element (what ``error.field`` shows) and appears in the item as
    SageMaker's JSON endpoint writes it (``resourceConfig.instanceCount``, D16).
    """
    return (path, _item(path, value, constraint))


def _item(path: str, value: Any, constraint: str) -> str:
    """The one place a constraint failure is worded; ``path`` is written as AWS writes it."""
    where = f" at '{aws_path(path)}'" if path else ""
    return f"Value {_render(value)}{where} failed to satisfy constraint: {constraint}"


def _member_path(path: str, name: Any) -> str:
    return f"{path}.{name}" if path else str(name)


_NOT_NULL: Final = "Member must not be null"


# --------------------------------------------------------------------------------------------
# Compilation of shapes
# --------------------------------------------------------------------------------------------

_Problem: TypeAlias = "tuple[str, str]"  # (path, message item)
_Fast: TypeAlias = "Callable[[Any], bool]"
_Slow: TypeAlias = "Callable[[Any, str, list[tuple[str, str]]], None]"
_Node: TypeAlias = "tuple[_Fast, _Slow]"
# An item shape of a collection: (fast check, right type?, type rule, its rules joined by ", ")
_Scalar: TypeAlias = "tuple[_Fast, _Fast, str, str]"

_INT_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_SHAPE_TYPES: Final = frozenset(
    {"structure", "string", "list", "map", "integer", "long", "float", "boolean", "timestamp"}
)
_SCALAR_TYPES: Final = frozenset({"string", "integer", "long", "float", "boolean", "timestamp"})


def _merge_overrides(
    shapes: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Mapping[str, Any]]:
    """The model's shapes with ``overrides`` applied (a ``None`` value removes a constraint)."""
    merged: dict[str, Mapping[str, Any]] = dict(shapes)
    for name, changes in (overrides or {}).items():
        if name not in merged:
            raise ValueError(f"override names unknown shape {name!r}")
        if not isinstance(changes, Mapping):
            raise ValueError(f"override for shape {name!r} must be a mapping")
        shape = {**merged[name], **changes}
        merged[name] = {key: value for key, value in shape.items() if value is not None}
    return merged


class _Compiler:
    """Turns shapes into (fast, slow) closure pairs, each shape once."""

    def __init__(self, shapes: Mapping[str, Mapping[str, Any]], *, output: bool) -> None:
        self._shapes = shapes
        self._output = output
        self._nodes: dict[str, _Node] = {}
        self._building: set[str] = set()

    def node(self, name: str) -> _Node:
        built = self._nodes.get(name)
        if built is not None:
            return built
        if name in self._building:  # a recursive shape: bind late, through the table
            nodes = self._nodes

            def fast_ref(value: Any) -> bool:
                return nodes[name][0](value)

            def slow_ref(value: Any, path: str, problems: list[_Problem]) -> None:
                nodes[name][1](value, path, problems)

            return fast_ref, slow_ref
        shape = self._shapes.get(name)
        if shape is None:
            raise ValueError(f"model refers to unknown shape {name!r}")
        kind = shape.get("type")
        if kind not in _SHAPE_TYPES:
            raise ValueError(f"shape {name!r} has unsupported type {kind!r}")
        self._building.add(name)
        try:
            builder: Callable[[Mapping[str, Any]], _Node] = getattr(self, f"_{kind}")
            built = builder(shape)
        finally:
            self._building.discard(name)
        self._nodes[name] = built
        return built

    # -- structures ---------------------------------------------------------------------------

    def _structure(self, shape: Mapping[str, Any]) -> _Node:
        members: dict[str, _Node] = {
            member: self.node(spec["shape"]) for member, spec in shape.get("members", {}).items()
        }
        required: tuple[str, ...] = tuple(shape.get("required", ()))
        return self.structure_from(members, required)

    @staticmethod
    def structure_from(members: Mapping[str, _Node], required: tuple[str, ...]) -> _Node:
        fast_of = {member: node[0] for member, node in members.items()}.get
        slow_of = {member: node[1] for member, node in members.items()}.get
        choices = ", ".join(members)

        def fast(value: Any) -> bool:
            if type(value) is not dict and not isinstance(value, Mapping):
                return False
            for key, item in value.items():
                check = fast_of(key)
                if check is None or not check(item):
                    return False
            for key in required:  # noqa: SIM110 - a plain loop beats all() on a generator
                if key not in value:
                    return False
            return True

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not isinstance(value, Mapping):
                problems.append((path, _item(path, value, "Member must be of type structure")))
                return
            for key, item in value.items():
                here = _member_path(path, key)
                collect = slow_of(key) if isinstance(key, str) else None
                if collect is None:
                    where = f" at '{path}'" if path else ""
                    problems.append(
                        (here, f"Unknown parameter '{key}'{where}: must be one of: {choices}")
                    )
                elif item is None:
                    problems.append((here, _item(here, None, _NOT_NULL)))
                else:
                    try:
                        collect(item, here, problems)
                    except Exception as error:  # a mapping or sequence that cannot be read
                        raised = type(error).__name__
                        unreadable = f"Member must be readable (reading it raised {raised})"
                        problems.append((here, _item(here, item, unreadable)))
            for key in required:
                if key not in value:
                    here = _member_path(path, key)
                    problems.append((here, _item(here, None, _NOT_NULL)))

        return fast, slow

    # -- strings ------------------------------------------------------------------------------

    def _string(self, shape: Mapping[str, Any]) -> _Node:
        min_len: int | None = shape.get("min")
        max_len: int | None = shape.get("max")
        low = 0 if min_len is None else min_len
        high = sys.maxsize if max_len is None else max_len
        pattern: str | None = shape.get("pattern")
        fullmatch = _matcher_for(pattern)
        enum: tuple[str, ...] | None = tuple(shape["enum"]) if "enum" in shape else None
        allowed = frozenset(enum) if enum is not None else None  # for the slow path

        # One fast predicate per combination of constraints, so the common ones test no flag.
        fast: _Fast
        if enum is None:
            if fullmatch is None:

                def fast(value: Any) -> bool:
                    return isinstance(value, str) and low <= len(value) <= high

            else:
                matches = fullmatch

                def fast(value: Any) -> bool:
                    return (
                        isinstance(value, str)
                        and low <= len(value) <= high
                        and matches(value) is not None
                    )

        else:
            members = frozenset(enum)
            if fullmatch is None and min_len is None and max_len is None:

                def fast(value: Any) -> bool:
                    return isinstance(value, str) and value in members

            else:

                def fast(value: Any) -> bool:
                    return (
                        isinstance(value, str)
                        and value in members
                        and low <= len(value) <= high
                        and (fullmatch is None or fullmatch(value) is not None)
                    )

        pattern_text = f"Member must satisfy regular expression pattern: {pattern}"
        enum_text = f"Member must satisfy enum value set: [{', '.join(enum or ())}]"

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not isinstance(value, str):
                problems.append((path, _item(path, value, "Member must be of type string")))
                return
            problems.extend(_length_problems(path, value, len(value), min_len, max_len))
            if fullmatch is not None and fullmatch(value) is None:
                problems.append((path, _item(path, value, pattern_text)))
            if allowed is not None and value not in allowed:
                problems.append((path, _item(path, value, enum_text)))

        return fast, slow

    # -- numbers, booleans, timestamps --------------------------------------------------------

    def _whole_number(self, shape: Mapping[str, Any]) -> _Node:
        kind: str = shape["type"]
        type_low, type_high = _INT_RANGES[kind]
        low = max(type_low, shape.get("min", type_low))
        high = min(type_high, shape.get("max", type_high))
        type_text = f"Member must be of type {kind}"

        def fast(value: Any) -> bool:
            return (
                type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
            ) and low <= value <= high

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append((path, _item(path, value, type_text)))
            else:
                problems.extend(_value_problems(path, value, low, high))

        return fast, slow

    def _integer(self, shape: Mapping[str, Any]) -> _Node:
        return self._whole_number(shape)

    def _long(self, shape: Mapping[str, Any]) -> _Node:
        return self._whole_number(shape)

    def _float(self, shape: Mapping[str, Any]) -> _Node:
        low: float = shape.get("min", -math.inf)
        high: float = shape.get("max", math.inf)

        is_number = _is_finite_number

        def fast(value: Any) -> bool:
            return is_number(value) and low <= value <= high

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not is_number(value):
                problems.append((path, _item(path, value, "Member must be of type float")))
            else:
                problems.extend(_value_problems(path, value, low, high))

        return fast, slow

    def _boolean(self, shape: Mapping[str, Any]) -> _Node:
        def fast(value: Any) -> bool:
            return value is True or value is False

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not fast(value):
                problems.append((path, _item(path, value, "Member must be of type boolean")))

        return fast, slow

    def _timestamp(self, shape: Mapping[str, Any]) -> _Node:
        fast = _is_output_timestamp if self._output else _is_input_timestamp
        text = (
            "Member must be of type timestamp (a timezone-aware datetime)"
            if self._output
            else "Member must be of type timestamp"
        )

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not fast(value):
                problems.append((path, _item(path, value, text)))

        return fast, slow

    # -- collections --------------------------------------------------------------------------

    def _list(self, shape: Mapping[str, Any]) -> _Node:
        min_len: int | None = shape.get("min")
        max_len: int | None = shape.get("max")
        low = 0 if min_len is None else min_len
        high = 2**63 if max_len is None else max_len
        item_fast, item_slow = self.node(shape["member"]["shape"])
        scalar = self._scalar(shape["member"]["shape"])

        def fast(value: Any) -> bool:
            if type(value) is not list and not isinstance(value, (list, tuple)):
                return False
            if not low <= len(value) <= high:
                return False
            for item in value:  # noqa: SIM110 - a plain loop beats all() on a generator
                if not item_fast(item):
                    return False
            return True

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not isinstance(value, (list, tuple)):
                problems.append((path, _item(path, value, "Member must be of type list")))
                return
            problems.extend(_length_problems(path, value, len(value), min_len, max_len))
            if scalar is not None:  # AWS reports the items' rules once, at the list (D16)
                items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
                label = "Member must satisfy constraint"
                problems.extend(_collective_problems(value, path, label, items, scalar))
                return
            for index, item in enumerate(value):
                here = f"{path}[{index}]"
                if item is None:
                    problems.append((here, _item(here, None, _NOT_NULL)))
                else:
                    item_slow(item, here, problems)

        return fast, slow

    def _scalar(self, name: str) -> _Scalar | None:
        """What a collection needs to report problems of its items of shape ``name`` the way
        AWS does, or ``None`` if that shape is a structure, list or map."""
        shape = self._shapes[name]
        kind = shape.get("type")
        if kind not in _SCALAR_TYPES:
            return None
        fast = self.node(name)[0]
        rules: list[str] = []
        type_ok: _Fast
        if kind == "string":
            type_ok, type_text = _is_string, "Member must be of type string"
            if "max" in shape:
                rules.append(f"Member must have length less than or equal to {shape['max']}")
            if "min" in shape:
                rules.append(f"Member must have length greater than or equal to {shape['min']}")
            if "pattern" in shape:
                rules.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
            if "enum" in shape:
                rules.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
        elif kind in _INT_RANGES:
            type_ok, type_text = _is_whole_number, f"Member must be of type {kind}"
            type_low, type_high = _INT_RANGES[kind]
            rules.append(
                "Member must have value less than or equal to "
                f"{min(type_high, shape.get('max', type_high))}"
            )
            rules.append(
                "Member must have value greater than or equal to "
                f"{max(type_low, shape.get('min', type_low))}"
            )
        elif kind == "float":
            type_ok, type_text = _is_finite_number, "Member must be of type float"
            if "max" in shape:
                rules.append(f"Member must have value less than or equal to {shape['max']}")
            if "min" in shape:
                rules.append(f"Member must have value greater than or equal to {shape['min']}")
        elif kind == "boolean":
            type_ok, type_text = fast, "Member must be of type boolean"
        else:  # timestamp: any failure is one of type
            type_ok = fast
            type_text = (
                "Member must be of type timestamp (a timezone-aware datetime)"
                if self._output
                else "Member must be of type timestamp"
            )
        return fast, type_ok, type_text, ", ".join(rules)

    def _plain_string(self, name: str) -> tuple[int, int, bool] | None:
        """``(min, max, java_dot_star)`` for a string shape constrained only by its length and
        an optional ``.*`` pattern; ``None`` for any other shape."""
        shape = self._shapes[name]
        if shape.get("type") != "string" or "enum" in shape:
            return None
        pattern = shape.get("pattern")
        if pattern is not None and pattern != ".*" and pattern not in _MATCH_ALL:
            return None
        low: int = shape.get("min", 0)
        high: int = shape.get("max", sys.maxsize)
        return low, high, pattern == ".*"

    def _map(self, shape: Mapping[str, Any]) -> _Node:
        min_len: int | None = shape.get("min")
        max_len: int | None = shape.get("max")
        low = 0 if min_len is None else min_len
        high = 2**63 if max_len is None else max_len
        key_fast, key_slow = self.node(shape["key"]["shape"])
        value_fast, value_slow = self.node(shape["value"]["shape"])
        plain_key = self._plain_string(shape["key"]["shape"])
        plain_value = self._plain_string(shape["value"]["shape"])

        fast: _Fast
        if plain_key is not None and plain_value is not None:
            # Maps of plain strings (HyperParameters): no Python-level loop. str.join refuses
            # anything but strings; when all keys (all values) together are no longer than one
            # may be, each one is short enough, else min/max of the lengths decide; one search
            # for line terminators over the keys, one over the values.
            key_low, key_high, key_dot = plain_key
            value_low, value_high, value_dot = plain_value
            search = _LINE_TERMINATORS.search

            def breaks_line(text: str) -> bool:  # Java's "." matches no line terminator
                if "\n" in text or "\r" in text:
                    return True
                return not text.isascii() and search(text) is not None

            def lengths_ok(texts: Any, shortest: int, longest: int) -> bool:
                lengths = list(map(len, texts))
                return shortest <= min(lengths) and max(lengths) <= longest

            def fast(value: Any) -> bool:
                if type(value) is not dict:  # other mappings: the slow walk reads them
                    return False
                if not low <= len(value) <= high:
                    return False
                if not value:
                    return True
                try:
                    key_text = "".join(value)
                    value_text = "".join(value.values())
                except TypeError:  # a key or value that is not a str
                    return False
                if (len(key_text) > key_high or key_low) and not lengths_ok(
                    value, key_low, key_high
                ):
                    return False
                if (len(value_text) > value_high or value_low) and not lengths_ok(
                    value.values(), value_low, value_high
                ):
                    return False
                if key_dot and breaks_line(key_text):
                    return False
                return not (value_dot and breaks_line(value_text))

        else:

            def fast(value: Any) -> bool:
                if type(value) is not dict and not isinstance(value, Mapping):
                    return False
                if not low <= len(value) <= high:
                    return False
                for key, item in value.items():
                    if not key_fast(key) or not value_fast(item):
                        return False
                return True

        key_scalar = self._scalar(shape["key"]["shape"])
        value_scalar = self._scalar(shape["value"]["shape"])

        def slow(value: Any, path: str, problems: list[_Problem]) -> None:
            if not isinstance(value, Mapping):
                problems.append((path, _item(path, value, "Member must be of type map")))
                return
            problems.extend(_length_problems(path, value, len(value), min_len, max_len))
            # AWS reports the keys' rules once and the values' rules once, at the map (D16).
            # A key has no path of its own: its problems name the map, field included.
            if key_scalar is not None:
                keys = ((path, key) for key in value)
                label = "Map keys must satisfy constraint"
                problems.extend(_collective_problems(value, path, label, keys, key_scalar))
            else:  # botocore's map keys are strings: kept for models that are not
                for key in value:
                    if key is None:
                        problems.append((path, _item(path, None, _NOT_NULL)))
                    else:
                        key_slow(key, path, problems)
            if value_scalar is not None:
                entries = ((_entry_path(path, key), item) for key, item in value.items())
                label = "Map value must satisfy constraint"
                problems.extend(_collective_problems(value, path, label, entries, value_scalar))
                return
            for key, item in value.items():
                here = _entry_path(path, key)
                if item is None:
                    problems.append((here, _item(here, None, _NOT_NULL)))
                else:
                    value_slow(item, here, problems)

        return fast, slow


def _length_problems(
    path: str, value: Any, length: int, min_len: int | None, max_len: int | None
) -> list[_Problem]:
    problems: list[_Problem] = []
    if min_len is not None and length < min_len:
        text = f"Member must have length greater than or equal to {min_len}"
        problems.append((path, _item(path, value, text)))
    if max_len is not None and length > max_len:
        text = f"Member must have length less than or equal to {max_len}"
        problems.append((path, _item(path, value, text)))
    return problems


def _value_problems(path: str, value: float, low: float, high: float) -> list[_Problem]:
    if value < low:
        return [
            (path, _item(path, value, f"Member must have value greater than or equal to {low}"))
        ]
    if value > high:
        return [(path, _item(path, value, f"Member must have value less than or equal to {high}"))]
    return []


def _collective_problems(
    value: Any,
    path: str,
    label: str,
    entries: Iterable[tuple[str, Any]],
    scalar: _Scalar,
) -> list[_Problem]:
    """Problems of the items of a list, or the keys or values of a map, of scalars, as AWS
    reports them: once per broken rule, at the collection's ``path`` with the whole collection
    as the value, the rule being ``label`` with the item shape's constraints in brackets::

        Value '[sg-1, sg_2]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint:
        Member must satisfy constraint: [Member must have length less than or equal to 32, ...]

    A null or wrongly typed item gets ``[Member must not be null]`` or ``[Member must be of
    type string]`` instead. ``entries`` are ``(field, item)`` pairs; each problem's field is
    that of the first item breaking its rule.
    """
    fast, type_ok, type_text, rules = scalar
    first: dict[str, str] = {}  # the bracketed rule -> the field of its first offender
    for field, item in entries:
        if fast(item):
            continue
        if item is None:
            broken = _NOT_NULL
        elif not type_ok(item):
            broken = type_text
        else:
            broken = rules
        first.setdefault(broken, field)
    return [(field, _item(path, value, f"{label}: [{broken}]")) for broken, field in first.items()]


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


# --------------------------------------------------------------------------------------------
# The validator
# --------------------------------------------------------------------------------------------


def _no_output(value: Any, path: str, problems: list[_Problem]) -> None:
    if not isinstance(value, Mapping):
        problems.append((path, _item(path, value, "Member must be of type structure")))
        return
    for key in value:
        problems.append((str(key), f"Unknown parameter '{key}': the operation returns no members"))


class RequestValidator:
    """Validates training-job and tag API requests against the botocore model, as the service
    does.

    Everything is compiled in the constructor; :meth:`validate` then costs a few microseconds.

    Args:
        model: a botocore service model (``metadata``/``operations``/``shapes``); defaults to
            :func:`load_model`. It is only read.
        overrides: per shape name, constraint keys replacing the model's, for example
            ``{"KeepAlivePeriodInSeconds": {"max": 3600}}`` for the documented limit, or
            ``{"CreateTrainingJobRequest": {"required": [...]}}``. A value of ``None`` removes
            the constraint. An unknown shape name raises :class:`ValueError`.
    """

    __slots__ = ("_inputs", "_members", "_outputs")

    def __init__(
        self,
        model: Mapping[str, Any] | None = None,
        *,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if model is None:
            model = load_model()
        shapes = _merge_overrides(model["shapes"], overrides)
        inputs = _Compiler(shapes, output=False)
        outputs = _Compiler(shapes, output=True)
        self._inputs: dict[str, _Node] = {}
        self._outputs: dict[str, _Slow] = {}
        self._members: dict[tuple[str, str], _Fast] = {}
        for name, operation in model["operations"].items():
            input_ref = operation.get("input")
            if input_ref is not None:
                for member, spec in shapes[input_ref["shape"]].get("members", {}).items():
                    self._members[name, member] = inputs.node(spec["shape"])[0]
            self._inputs[name] = (
                inputs.node(input_ref["shape"])
                if input_ref is not None
                else _Compiler.structure_from({}, ())
            )
            output_ref = operation.get("output")
            self._outputs[name] = (
                outputs.node(output_ref["shape"])[1] if output_ref is not None else _no_output
            )

    def validate(self, operation: str, params: Mapping[str, Any]) -> None:
        """Check ``params`` against the input shape of ``operation`` (e.g. ``"CreateTrainingJob"``).

        Returns ``None`` when the request is valid. Otherwise raises one
        :class:`~warmpool.errors.ValidationException` listing every problem, whose ``field`` is
        the path of the first. ``params`` is never modified.
        """
        problems = self.problems(operation, params)
        if problems:
            raise validation_error(problems, operation)

    def member_check(self, operation: str, member: str) -> Callable[[Any], bool]:
        """The "is this value valid?" predicate of one top-level member of ``operation``'s
        input (no problems are collected: use :meth:`problems` to learn why not). For callers
        that validate a request in parts, such as the emulator's cache of configurations."""
        try:
            return self._members[operation, member]
        except KeyError:
            raise ValueError(f"{operation} has no input member {member!r}") from None

    def problems(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Every problem of ``params`` as ``(path, item)`` pairs, in request order (``[]`` if
        valid): what :meth:`validate` reports, for callers that add rules of their own before
        raising one :func:`validation_error`."""
        node = self._inputs.get(operation)
        if node is None:
            known = ", ".join(self._inputs)
            raise ValidationException(
                f"Unknown operation '{operation}': must be one of: {known}", operation=operation
            )
        fast, slow = node
        try:
            if fast(params):
                return []
        except Exception:  # a misbehaving Mapping or __eq__: let the careful walk report it
            pass
        problems: list[_Problem] = []
        try:
            slow(params, "", problems)
        except Exception as error:
            problems.append(("", f"Request could not be validated: {type(error).__name__}"))
        return problems

    def check_output(self, operation: str, response: Mapping[str, Any]) -> list[str]:
        """Return the problems of ``response`` against the output shape of ``operation``.

        Meant for tests of the emulator's responses. Checks required members, unknown members
        (a top-level ``ResponseMetadata`` is allowed), types (timestamps must be timezone-aware
        ``datetime`` objects, as botocore returns them), numeric bounds, lengths, enums and
        patterns. Returns ``[]`` when the response conforms.
        """
        slow = self._outputs.get(operation)
        if slow is None:
            return [f"Unknown operation '{operation}'"]
        if isinstance(response, Mapping) and "ResponseMetadata" in response:
            response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        problems: list[_Problem] = []
        slow(response, "", problems)
        return [item for _path, item in problems]


def validation_error(problems: list[tuple[str, str]], operation: str) -> ValidationException:
    """One :class:`~warmpool.errors.ValidationException` for ``problems`` (``(path, item)``
    pairs), worded as AWS words it: ``"N validation errors detected: item; item"``."""
    items = [item for _path, item in problems]
    if len(items) == 1:
        message = "1 validation error detected: " + items[0]
    else:
        message = f"{len(items)} validation errors detected: " + "; ".join(items)
    field = problems[0][0] or None
    return ValidationException(message, field=field, operation=operation)


# --------------------------------------------------------------------------------------------
# Rules the model cannot express
# --------------------------------------------------------------------------------------------


def create_rule_problems(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Rules of ``CreateTrainingJob`` that botocore's model cannot express (D3, D16),
    on ``ResourceConfig`` and ``StoppingCondition``, as ``(path, item)`` problems to add to
    those of :meth:`RequestValidator.problems`.

    Members of the wrong type are skipped here: the model's check reports them. So are
    mappings other than ``dict``: the door (D35) turns every mapping it can read into a
    ``dict``, so any other one is a mapping that cannot be read, which the model's check
    refuses; reading it here could raise anything.
    """
    resource = request.get("ResourceConfig")
    if resource is None:
        return [
            problem(
                "ResourceConfig",
                None,
                "Member must not be null (warmpool emulates training jobs that run on "
                "provisioned instances)",
            )
        ]
    if type(resource) is not dict:
        return []
    found: list[tuple[str, str]] = []
    for read_only in ("SelectedInstanceType", "SelectedInstanceCount"):
        if read_only in resource:
            found.append(
                problem(
                    f"ResourceConfig.{read_only}",
                    resource[read_only],
                    "Member is read-only and isn't accepted in CreateTrainingJob requests",
                )
            )
    if "InstancePreferences" in resource:
        found.append(
            problem(
                "ResourceConfig.InstancePreferences",
                "...",
                "Member is not emulated by warmpool; give ResourceConfig.InstanceType",
            )
        )
    groups = resource.get("InstanceGroups")
    keep_alive = resource.get("KeepAlivePeriodInSeconds")
    asks_keep_alive = _is_int(keep_alive) and keep_alive > 0
    # Only plain values are asked whether they are empty: bool() of another could raise.
    if groups if type(groups) in _PLAIN_TYPES else groups is not None:
        for field in ("InstanceType", "InstanceCount"):
            if field in resource:
                found.append(
                    problem(
                        f"ResourceConfig.{field}",
                        resource[field],
                        "Member must not be given together with ResourceConfig.InstanceGroups",
                    )
                )
        if type(groups) is list:
            for index, group in enumerate(groups):
                count = group.get("InstanceCount") if type(group) is dict else None
                if _is_int(count) and count < 1:
                    found.append(
                        problem(
                            f"ResourceConfig.InstanceGroups[{index}].InstanceCount",
                            count,
                            "Member must have value greater than or equal to 1",
                        )
                    )
        if asks_keep_alive:
            found.append(
                problem(
                    "ResourceConfig.KeepAlivePeriodInSeconds",
                    keep_alive,
                    "Member must be 0 or absent when ResourceConfig.InstanceGroups "
                    "is given: warm pools cannot be used with heterogeneous "
                    "clusters",
                )
            )
    else:
        if resource.get("InstanceType") is None:
            found.append(
                problem(
                    "ResourceConfig.InstanceType",
                    None,
                    "Member must not be null unless ResourceConfig.InstanceGroups is given",
                )
            )
        count = resource.get("InstanceCount")
        if count is None:
            found.append(problem("ResourceConfig.InstanceCount", None, "Member must not be null"))
        elif _is_int(count) and count < 1:
            found.append(
                problem(
                    "ResourceConfig.InstanceCount",
                    count,
                    "Member must have value greater than or equal to 1",
                )
            )
    found.extend(_stopping_condition_problems(request.get("StoppingCondition")))
    if asks_keep_alive and request.get("EnableManagedSpotTraining") is True:
        found.append(
            problem(
                "ResourceConfig.KeepAlivePeriodInSeconds",
                keep_alive,
                "Member must be 0 or absent when EnableManagedSpotTraining is true: "
                "warm pools cannot be used with managed spot training",
            )
        )
    return found


#: The types of the values the door leaves (D35), whose methods are Python's own.
_PLAIN_TYPES: Final = (dict, list, str, int, float, bool)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


#: The longest MaxRuntimeInSeconds AWS documents: "The maximum value is 28 days."
MAX_RUNTIME_SECONDS: Final = 28 * 86400


def _stopping_condition_problems(stopping: object) -> list[tuple[str, str]]:
    if type(stopping) is not dict:  # see create_rule_problems
        return []
    found: list[tuple[str, str]] = []
    runtime = stopping.get("MaxRuntimeInSeconds")
    if _is_int(runtime) and runtime > MAX_RUNTIME_SECONDS:
        found.append(
            problem(
                "StoppingCondition.MaxRuntimeInSeconds",
                runtime,
                f"Member must have value less than or equal to {MAX_RUNTIME_SECONDS} (28 days)",
            )
        )
    wait = stopping.get("MaxWaitTimeInSeconds")
    if _is_int(wait) and _is_int(runtime) and wait < runtime:
        found.append(
            problem(
                "StoppingCondition.MaxWaitTimeInSeconds",
                wait,
                "Member must be greater than or equal to StoppingCondition.MaxRuntimeInSeconds",
            )
        )
    return found
