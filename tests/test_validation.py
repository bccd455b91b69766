"""Tests of :mod:`warmpool.validation`, the model-driven request validator.

The central property is model-driven: a Hypothesis strategy built from the botocore model itself
generates valid values for any shape, and every generated request must pass. The other tests
check one rule each, named after the rule.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from warmpool.errors import ValidationException
from warmpool.validation import (
    RequestValidator,
    _compile_java_pattern,
    _Compiler,
    _translate_java_pattern,
    load_model,
)

MODEL = load_model()
SHAPES: Mapping[str, Any] = MODEL["shapes"]
VALIDATOR = RequestValidator()
DOCUMENTED = RequestValidator(overrides={"KeepAlivePeriodInSeconds": {"max": 3600}})

NAME_PATTERN = SHAPES["TrainingJobName"]["pattern"]
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
UTC = timezone.utc

FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SLOW = settings(FAST, max_examples=10)  # for strategies that build every member of big shapes


def typical_create_request() -> dict[str, Any]:
    """The request the performance target is measured on."""
    return {
        "TrainingJobName": "job-1",
        "RoleArn": ROLE,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
            "KeepAlivePeriodInSeconds": 1800,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "HyperParameters": {"epochs": "2", "lr": "0.001"},
    }


def error_of(operation: str, params: Mapping[str, Any]) -> ValidationException:
    """The ValidationException ``validate`` raises (fails the test if it raises none)."""
    with pytest.raises(ValidationException) as caught:
        VALIDATOR.validate(operation, params)
    return caught.value


def items_of(error: ValidationException) -> list[str]:
    """The individual problem items of a validation message."""
    _count, _, rest = error.message.partition(" detected: ")
    return rest.split("; ")


# ---------------------------------------------------------------------------------------------
# A strategy for valid values of any shape, built from the model
# ---------------------------------------------------------------------------------------------

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _string_values(shape: Mapping[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in shape:
        return st.sampled_from(shape["enum"])
    low: int = shape.get("min", 0)
    high: int = shape.get("max", low + 20)
    pattern = shape.get("pattern")
    if pattern is None:
        return st.text(min_size=low, max_size=min(high, low + 12))
    # The model's patterns are Java regexes; generate from their Python translation.
    compiled = _compile_java_pattern(pattern)
    assert compiled is not None, pattern
    return st.from_regex(compiled, fullmatch=True).filter(lambda s: low <= len(s) <= high)


def _timestamps() -> st.SearchStrategy[Any]:
    aware = st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    return st.one_of(
        aware,
        st.datetimes(),
        st.integers(0, 4_000_000_000),
        st.floats(0, 4e9, allow_nan=False),
        aware.map(lambda d: d.isoformat().replace("+00:00", "Z")),
        aware.map(datetime.isoformat),
    )


@functools.cache
def values_of(
    name: str, *, depth: int = 0, max_depth: int = 8, every_member: bool = False
) -> st.SearchStrategy[Any]:
    """Valid values of the model shape ``name``.

    Structures always get their required members; optional members are drawn (or, with
    ``every_member``, all present down to ``max_depth``). Sizes are kept small.
    """
    shape = SHAPES[name]
    kind = shape["type"]
    if kind == "structure":
        required = set(shape.get("required", ()))
        members = {
            member: values_of(
                ref["shape"], depth=depth + 1, max_depth=max_depth, every_member=every_member
            )
            for member, ref in shape["members"].items()
        }
        must = {m: s for m, s in members.items() if m in required}
        may = {m: s for m, s in members.items() if m not in required}
        if depth >= max_depth:
            return st.fixed_dictionaries(must)
        if every_member:
            return st.fixed_dictionaries({**must, **may})
        return st.fixed_dictionaries(must, optional=may)
    if kind == "string":
        return _string_values(shape)
    if kind in ("integer", "long"):
        type_low, type_high = _INT_BOUNDS[kind]
        return st.integers(shape.get("min", type_low), shape.get("max", type_high))
    if kind == "float":
        return st.floats(
            shape.get("min", -1e30), shape.get("max", 1e30), allow_nan=False, allow_infinity=False
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _timestamps()
    if kind == "list":
        low = shape.get("min", 0)
        item = values_of(
            shape["member"]["shape"],
            depth=depth + 1,
            max_depth=max_depth,
            every_member=every_member,
        )
        return st.lists(item, min_size=low, max_size=min(shape.get("max", low + 2), low + 2))
    assert kind == "map", kind
    low = shape.get("min", 0)
    return st.dictionaries(
        _string_values(SHAPES[shape["key"]["shape"]]),
        values_of(
            shape["value"]["shape"], depth=depth + 1, max_depth=max_depth, every_member=every_member
        ),
        min_size=low,
        max_size=min(shape.get("max", low + 2), low + 2),
    )


@functools.cache
def requests_of(operation: str, *, every_member: bool = False) -> st.SearchStrategy[Any]:
    """Valid requests of ``operation``."""
    return values_of(MODEL["operations"][operation]["input"]["shape"], every_member=every_member)


# ---------------------------------------------------------------------------------------------
# Every documented member is accepted
# ---------------------------------------------------------------------------------------------


@FAST
@given(request=requests_of("CreateTrainingJob"))
def test_every_valid_create_request_generated_from_the_model_is_accepted(
    request: dict[str, Any],
) -> None:
    VALIDATOR.validate("CreateTrainingJob", request)


@SLOW
@given(request=requests_of("CreateTrainingJob", every_member=True))
def test_a_create_request_with_every_documented_member_is_accepted(
    request: dict[str, Any],
) -> None:
    assert set(request) == set(SHAPES["CreateTrainingJobRequest"]["members"])
    VALIDATOR.validate("CreateTrainingJob", request)


@FAST
@given(
    request=requests_of("UpdateTrainingJob", every_member=True) | requests_of("UpdateTrainingJob")
)
def test_every_valid_update_request_generated_from_the_model_is_accepted(
    request: dict[str, Any],
) -> None:
    VALIDATOR.validate("UpdateTrainingJob", request)


@FAST
@given(request=requests_of("ListTrainingJobs", every_member=True) | requests_of("ListTrainingJobs"))
def test_every_valid_list_request_generated_from_the_model_is_accepted(
    request: dict[str, Any],
) -> None:
    VALIDATOR.validate("ListTrainingJobs", request)


@pytest.mark.parametrize(
    "operation", ["DescribeTrainingJob", "StopTrainingJob", "DeleteTrainingJob"]
)
@FAST
@given(data=st.data())
def test_every_valid_name_only_request_is_accepted(operation: str, data: st.DataObject) -> None:
    VALIDATOR.validate(operation, data.draw(requests_of(operation)))


def test_the_typical_create_request_is_accepted() -> None:
    VALIDATOR.validate("CreateTrainingJob", typical_create_request())


@SLOW
@given(data=st.data())
def test_a_request_of_every_operation_is_refused_when_one_generated_member_is_broken(
    data: st.DataObject,
) -> None:
    operation = data.draw(st.sampled_from(sorted(MODEL["operations"])))
    request = data.draw(requests_of(operation))
    assume(request)
    member = data.draw(st.sampled_from(sorted(request)))
    broken = {**request, member: object()}
    error = error_of(operation, broken)
    assert error.field == member


# ---------------------------------------------------------------------------------------------
# Strings: pattern, length, enum
# ---------------------------------------------------------------------------------------------


@FAST
@given(name=st.from_regex(re.compile(NAME_PATTERN, re.ASCII), fullmatch=True))
def test_training_job_names_matching_the_model_regex_are_accepted(name: str) -> None:
    if len(name) <= 63:
        VALIDATOR.validate("DescribeTrainingJob", {"TrainingJobName": name})
    else:  # hyphen runs can make a matching name too long: only the length rule fails
        error = error_of("DescribeTrainingJob", {"TrainingJobName": name})
        shown = name if len(name) <= 100 else name[:97] + "..."
        assert items_of(error) == [
            f"Value '{shown}' at 'trainingJobName' failed to satisfy constraint: "
            "Member must have length less than or equal to 63"
        ]


@FAST
@given(name=st.text(max_size=70).filter(lambda s: not re.fullmatch(NAME_PATTERN, s, re.ASCII)))
def test_training_job_names_outside_the_regex_are_refused_with_the_pattern_message(
    name: str,
) -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": name})
    assert error.field == "TrainingJobName"
    assert any(
        item.endswith(
            "at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )
        for item in items_of(error)
    )


def test_bad_training_job_name_message_is_exactly_awss_wording() -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": "bad_name!"})
    assert error.message == (
        "1 validation error detected: Value 'bad_name!' at 'trainingJobName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    )
    assert error.field == "TrainingJobName"
    assert error.code == "ValidationException"


def test_pattern_must_match_the_whole_string_not_a_prefix() -> None:
    # "job-1 " starts with a valid name; a search-style match would wrongly accept it.
    error = error_of("DescribeTrainingJob", {"TrainingJobName": "job-1 "})
    assert "Member must satisfy regular expression pattern" in error.message


def test_name_longer_than_63_is_refused_with_the_length_message() -> None:
    name = "a" + "-" * 62 + "a"  # matches the pattern (hyphen runs are free) but is 64 long
    error = error_of("DescribeTrainingJob", {"TrainingJobName": name})
    assert items_of(error) == [
        f"Value '{name}' at 'trainingJobName' failed to satisfy constraint: "
        "Member must have length less than or equal to 63"
    ]


def test_name_of_64_alphanumerics_breaks_both_the_length_and_the_pattern() -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": "a" * 64})
    assert error.message.startswith("2 validation errors detected: ")
    assert [item.split("constraint: ")[1] for item in items_of(error)] == [
        "Member must have length less than or equal to 63",
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
    ]


def test_empty_name_is_refused_for_length_and_pattern_both_reported() -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": ""})
    assert error.message.startswith("2 validation errors detected: ")
    assert items_of(error)[0].endswith("Member must have length greater than or equal to 1")


def test_role_arn_shorter_than_20_is_refused_with_the_min_length_message() -> None:
    request = {**typical_create_request(), "RoleArn": "arn:aws:iam::1:role"}
    error = error_of("CreateTrainingJob", request)
    assert (
        "at 'roleArn' failed to satisfy constraint: Member must have length greater than or "
        in (error.message)
    )


def test_enum_value_outside_the_set_is_refused_listing_the_set_in_model_order() -> None:
    error = error_of("ListTrainingJobs", {"WarmPoolStatusEquals": "Bogus"})
    assert error.message == (
        "1 validation error detected: Value 'Bogus' at 'warmPoolStatusEquals' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Available, Terminated, Reused, InUse]"
    )


def test_unknown_instance_type_is_refused_by_the_enum() -> None:
    request = typical_create_request()
    request["ResourceConfig"] = {**request["ResourceConfig"], "InstanceType": "ml.fake.xlarge"}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "ResourceConfig.InstanceType"
    assert "Member must satisfy enum value set: [" in error.message


def test_a_number_for_a_string_member_is_a_type_error() -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": 42})
    assert items_of(error) == [
        "Value '42' at 'trainingJobName' failed to satisfy constraint: "
        "Member must be of type string"
    ]


# ---------------------------------------------------------------------------------------------
# Java regular expressions
# ---------------------------------------------------------------------------------------------


def test_every_pattern_in_the_model_is_translated_and_compiled_not_skipped() -> None:
    patterns = {shape["pattern"] for shape in SHAPES.values() if "pattern" in shape}
    assert patterns
    assert [p for p in patterns if _compile_java_pattern(p) is None] == []


@pytest.mark.parametrize(
    "value",
    ["plain", "é-ü", "数据", "Ⅻ", "٣", "a b", "\u00a0\u3000", "_.:/=+-@", ""],
    ids=[
        "ascii",
        "latin-letters",
        "cjk",
        "letter-number",
        "arabic-digit",
        "space",
        "nbsp",
        "punct",
        "empty",
    ],
)
def test_tag_values_accept_unicode_letters_numbers_and_separators(value: str) -> None:
    request = {**typical_create_request(), "Tags": [{"Key": "k", "Value": value}]}
    VALIDATOR.validate("CreateTrainingJob", request)


@pytest.mark.parametrize(
    "value", ["#", "tab\there", "line\nbreak", "emoji😀", "combining\u0301", "quote'"]
)
def test_tag_values_refuse_symbols_controls_and_marks(value: str) -> None:
    request = {**typical_create_request(), "Tags": [{"Key": "k", "Value": value}]}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "Tags[0].Value"
    assert "Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)" in (
        error.message
    )


def test_java_posix_alnum_class_is_ascii_only() -> None:
    pattern = SHAPES["TrainingRepositoryCredentialsProviderArn"]["pattern"]
    compiled = _compile_java_pattern(pattern)
    assert compiled is not None
    assert compiled.fullmatch("arn:aws:lambda:us-east-1:123456789012:function:f")
    assert compiled.fullmatch("arn:aws:lambda:us-éast-1:123456789012:function:f") is None


@pytest.mark.parametrize("terminator", ["\n", "\r", "\x85", "\u2028", "\u2029"])
def test_java_dot_does_not_match_any_line_terminator(terminator: str) -> None:
    error = error_of("ListTrainingJobs", {"NextToken": f"abc{terminator}def"})
    assert error.field == "NextToken"
    assert "Member must satisfy regular expression pattern: .*" in error.message


def test_java_digit_class_is_ascii_only() -> None:
    request = {**typical_create_request(), "RoleArn": "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/R"}
    assert error_of("CreateTrainingJob", request).field == "RoleArn"


@pytest.mark.parametrize(
    ("java", "python"),
    [
        (".*", "[^\\n\\r\\x85\\u2028\\u2029]*"),
        ("[a.]\\.", "[a.]\\."),
        ("[]a]", "[]a]"),
        ("[^\\p{Alnum}]", "[^a-zA-Z0-9]"),
        ("\\p{Digit}+\\z", "[0-9]+\\Z"),
    ],
)
def test_java_patterns_translate_to_equivalent_python(java: str, python: str) -> None:
    assert _translate_java_pattern(java) == python


@pytest.mark.parametrize("java", ["[a[b]]", "[a&&b]", "\\Qa.b\\E", "\\R", "\\p{Bogus}", "[a"])
def test_untranslatable_java_patterns_are_skipped_not_fatal(java: str) -> None:
    assert _compile_java_pattern(java) is None
    model = copy.deepcopy(MODEL)
    model["shapes"]["TrainingJobName"]["pattern"] = java
    validator = RequestValidator(model)
    validator.validate("DescribeTrainingJob", {"TrainingJobName": "anything_at_all!"})
    with pytest.raises(ValidationException, match="less than or equal to 63"):
        validator.validate("DescribeTrainingJob", {"TrainingJobName": "x" * 64})


# ---------------------------------------------------------------------------------------------
# Numbers and booleans
# ---------------------------------------------------------------------------------------------


def _with_keep_alive(value: Any) -> dict[str, Any]:
    request = typical_create_request()
    request["ResourceConfig"] = {**request["ResourceConfig"], "KeepAlivePeriodInSeconds": value}
    return request


def test_keep_alive_above_max_is_refused_naming_the_field() -> None:
    error = error_of("CreateTrainingJob", _with_keep_alive(99999))
    assert error.message == (
        "1 validation error detected: Value '99999' at 'resourceConfig.keepAlivePeriodInSeconds' "
        "failed to satisfy constraint: Member must have value less than or equal to 21600"
    )
    assert error.field == "ResourceConfig.KeepAlivePeriodInSeconds"


@FAST
@given(seconds=st.integers(-100_000, 100_000))
def test_keep_alive_bounds_follow_the_model_or_the_override(seconds: int) -> None:
    request = _with_keep_alive(seconds)
    for validator, high in ((VALIDATOR, 21600), (DOCUMENTED, 3600)):
        if 0 <= seconds <= high:
            validator.validate("CreateTrainingJob", request)
            continue
        with pytest.raises(ValidationException) as caught:
            validator.validate("CreateTrainingJob", request)
        bound = "less than or equal to 3600" if seconds > high else "greater than or equal to 0"
        bound = bound.replace("3600", str(high))
        assert caught.value.message == (
            f"1 validation error detected: Value '{seconds}' at "
            "'resourceConfig.keepAlivePeriodInSeconds' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )


def test_keep_alive_override_applies_to_update_requests_too() -> None:
    request = {"TrainingJobName": "job-1", "ResourceConfig": {"KeepAlivePeriodInSeconds": 3601}}
    VALIDATOR.validate("UpdateTrainingJob", request)
    with pytest.raises(ValidationException, match="less than or equal to 3600"):
        DOCUMENTED.validate("UpdateTrainingJob", request)


def test_override_of_an_unknown_shape_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="NoSuchShape"):
        RequestValidator(overrides={"NoSuchShape": {"max": 1}})


def test_override_with_none_removes_the_constraint() -> None:
    validator = RequestValidator(overrides={"KeepAlivePeriodInSeconds": {"max": None}})
    validator.validate("CreateTrainingJob", _with_keep_alive(99999))


def test_override_can_restore_the_classic_required_members() -> None:
    required = [*SHAPES["CreateTrainingJobRequest"]["required"], "ResourceConfig"]
    validator = RequestValidator(overrides={"CreateTrainingJobRequest": {"required": required}})
    request = typical_create_request()
    del request["ResourceConfig"]
    with pytest.raises(ValidationException, match="Value null at 'resourceConfig'"):
        validator.validate("CreateTrainingJob", request)


@pytest.mark.parametrize("flag", [True, False])
def test_bool_for_an_integer_member_is_a_type_error(flag: bool) -> None:
    request = typical_create_request()
    request["ResourceConfig"] = {**request["ResourceConfig"], "InstanceCount": flag}
    error = error_of("CreateTrainingJob", request)
    assert items_of(error) == [
        f"Value '{flag}' at 'resourceConfig.instanceCount' failed to satisfy constraint: "
        "Member must be of type integer"
    ]


@pytest.mark.parametrize("value", ["abc", "1", 1.0, None])
def test_non_integers_for_an_integer_member_are_refused(value: Any) -> None:
    request = typical_create_request()
    request["ResourceConfig"] = {**request["ResourceConfig"], "InstanceCount": value}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "ResourceConfig.InstanceCount"
    expected = "Member must not be null" if value is None else "Member must be of type integer"
    assert error.message.endswith(expected)


def test_integer_above_the_java_int_range_is_refused() -> None:
    request = {**typical_create_request(), "StoppingCondition": {"MaxRuntimeInSeconds": 2**31}}
    error = error_of("CreateTrainingJob", request)
    assert error.message.endswith("Member must have value less than or equal to 2147483647")


def test_huge_integer_is_refused_without_crashing_on_its_rendering() -> None:
    request = {**typical_create_request(), "StoppingCondition": {"MaxRuntimeInSeconds": 10**5000}}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "StoppingCondition.MaxRuntimeInSeconds"


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_non_bool_for_a_boolean_member_is_refused(value: Any) -> None:
    request = {**typical_create_request(), "EnableNetworkIsolation": value}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "EnableNetworkIsolation"


# ---------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1),
        1_700_000_000,
        1_700_000_000.5,
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.123Z",
        "2024-01-01T00:00:00+02:00",
        "2024-01-01 12:30",
    ],
)
def test_timestamps_accept_datetimes_epoch_numbers_and_iso_8601(value: Any) -> None:
    VALIDATOR.validate("ListTrainingJobs", {"CreationTimeAfter": value})


@pytest.mark.parametrize(
    "value",
    [True, "yesterday", "2024-13-01", "2024-01-01T25:00:00Z", math.nan, 1e20, [], "1700000000"],
)
def test_timestamps_refuse_anything_else(value: Any) -> None:
    error = error_of("ListTrainingJobs", {"CreationTimeAfter": value})
    assert error.field == "CreationTimeAfter"
    assert error.message.endswith("Member must be of type timestamp")


# ---------------------------------------------------------------------------------------------
# Structures, lists and maps
# ---------------------------------------------------------------------------------------------


def test_unknown_top_level_member_is_refused_and_named() -> None:
    error = error_of("DescribeTrainingJob", {"TrainingJobName": "job-1", "Foo": 1})
    assert error.message == (
        "1 validation error detected: Unknown parameter 'Foo': must be one of: TrainingJobName"
    )
    assert error.field == "Foo"


def test_unknown_nested_member_is_refused_and_named_with_its_parent() -> None:
    request = typical_create_request()
    request["ResourceConfig"] = {**request["ResourceConfig"], "KeepAlive": 60}
    error = error_of("CreateTrainingJob", request)
    members = ", ".join(SHAPES["ResourceConfig"]["members"])
    assert error.message == (
        "1 validation error detected: Unknown parameter 'KeepAlive' at 'ResourceConfig': "
        f"must be one of: {members}"
    )
    assert error.field == "ResourceConfig.KeepAlive"


@pytest.mark.parametrize("member", ["TrainingJobName", "RoleArn", "OutputDataConfig"])
def test_missing_required_member_is_named(member: str) -> None:
    request = typical_create_request()
    del request[member]
    error = error_of("CreateTrainingJob", request)
    at = member[0].lower() + member[1:]
    assert error.message == (
        f"1 validation error detected: Value null at '{at}' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert error.field == member


def test_required_member_given_as_none_is_refused_as_null() -> None:
    error = error_of("CreateTrainingJob", {**typical_create_request(), "RoleArn": None})
    assert items_of(error) == [
        "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
    ]


def test_missing_nested_required_member_is_named_with_its_path() -> None:
    request = {**typical_create_request(), "OutputDataConfig": {}}
    assert error_of("CreateTrainingJob", request).field == "OutputDataConfig.S3OutputPath"


def test_non_mapping_for_a_structure_is_a_type_error() -> None:
    request = {**typical_create_request(), "StoppingCondition": [86400]}
    error = error_of("CreateTrainingJob", request)
    assert items_of(error) == [
        "Value '[86400]' at 'stoppingCondition' failed to satisfy constraint: "
        "Member must be of type structure"
    ]


def test_request_that_is_not_a_mapping_is_refused_with_a_validation_exception() -> None:
    error_of("CreateTrainingJob", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_unknown_operation_is_refused_with_a_validation_exception() -> None:
    error = error_of("CreateTrainingJobs", {})
    assert "Unknown operation 'CreateTrainingJobs'" in error.message


def test_list_item_rules_are_reported_once_at_the_list_with_the_item_as_field() -> None:
    """D16: as AWS does, the rules of a list's scalar items are reported once, at the list
    (the whole list is the value); ``field`` is the first offending item."""
    vpc = {"SecurityGroupIds": ["sg-1", "sg_2", "sg.3"], "Subnets": ["subnet-1"]}
    error = error_of("CreateTrainingJob", {**typical_create_request(), "VpcConfig": vpc})
    assert error.field == "VpcConfig.SecurityGroupIds[1]"
    assert items_of(error) == [
        "Value '[sg-1, sg_2, sg.3]' at 'vpcConfig.securityGroupIds' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must have length less than or "
        "equal to 32, Member must have length greater than or equal to 0, Member must satisfy "
        "regular expression pattern: [-0-9a-zA-Z]+]"
    ]


@pytest.mark.parametrize(
    ("item", "rule"),
    [(None, "Member must not be null"), (7, "Member must be of type string")],
)
def test_null_or_wrongly_typed_list_items_are_reported_at_the_list(item: Any, rule: str) -> None:
    """D16: a null or wrongly typed scalar item breaks its own rule, bracketed the same way."""
    vpc = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1", item]}
    error = error_of("CreateTrainingJob", {**typical_create_request(), "VpcConfig": vpc})
    assert error.field == "VpcConfig.Subnets[1]"
    shown = "null" if item is None else str(item)
    assert items_of(error) == [
        f"Value '[subnet-1, {shown}]' at 'vpcConfig.subnets' failed to satisfy constraint: "
        f"Member must satisfy constraint: [{rule}]"
    ]


def test_validation_messages_write_items_of_lists_of_structures_as_1_based_member_steps() -> None:
    """D16: an item of a list of structures is written ``list.N.member`` (N from 1)."""
    tags = [{"Key": "a", "Value": "ok"}, {"Key": "b", "Value": "#"}]
    error = error_of("CreateTrainingJob", {**typical_create_request(), "Tags": tags})
    assert error.field == "Tags[1].Value"
    assert items_of(error) == [
        "Value '#' at 'tags.2.member.value' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
    ]


def test_null_item_of_a_list_of_structures_is_named_by_its_member_step() -> None:
    """D16: a null structure item is reported at its own ``N.member`` step."""
    request = {**typical_create_request(), "InputDataConfig": [None]}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "InputDataConfig[0]"
    assert items_of(error) == [
        "Value null at 'inputDataConfig.1.member' failed to satisfy constraint: "
        "Member must not be null"
    ]


def test_tuple_is_accepted_as_a_list() -> None:
    vpc = {"SecurityGroupIds": ("sg-1",), "Subnets": ("subnet-1",)}
    VALIDATOR.validate("CreateTrainingJob", {**typical_create_request(), "VpcConfig": vpc})


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (5, True), (6, False)])
def test_security_group_count_must_be_within_1_to_5(count: int, ok: bool) -> None:
    vpc = {"SecurityGroupIds": [f"sg-{i}" for i in range(count)], "Subnets": ["subnet-1"]}
    request = {**typical_create_request(), "VpcConfig": vpc}
    if ok:
        VALIDATOR.validate("CreateTrainingJob", request)
        return
    error = error_of("CreateTrainingJob", request)
    assert error.field == "VpcConfig.SecurityGroupIds"
    bound = "greater than or equal to 1" if count == 0 else "less than or equal to 5"
    assert error.message.endswith(f"Member must have length {bound}")


HYPER_VALUE_RULES = (
    "Map value must satisfy constraint: [Member must have length less than or equal to 2500, "
    "Member must have length greater than or equal to 0, "
    "Member must satisfy regular expression pattern: .*]"
)


def test_map_value_rules_are_reported_once_at_the_map_with_the_entry_as_field() -> None:
    """D16: as AWS does for HyperParameters, the values' rules are reported once, at the map,
    the map being the value (printed as Java prints it); ``field`` is the first bad entry."""
    hyper = {"lr": "0.1", "epochs": "x" * 2501, "depth": "y" * 2501}
    error = error_of("CreateTrainingJob", {**typical_create_request(), "HyperParameters": hyper})
    assert error.field == 'HyperParameters["epochs"]'
    shown = f"{{lr=0.1, epochs={'x' * 2501}"[:97] + "..."  # long values are cut at 100
    assert items_of(error) == [
        f"Value '{shown}' at 'hyperParameters' failed to satisfy constraint: {HYPER_VALUE_RULES}"
    ]


def test_null_map_value_is_reported_at_the_map() -> None:
    """D16: a null map value breaks its own rule, bracketed as the values' rules are."""
    request = {**typical_create_request(), "HyperParameters": {"epochs": None}}
    error = error_of("CreateTrainingJob", request)
    assert error.field == 'HyperParameters["epochs"]'
    assert items_of(error) == [
        "Value '{epochs=null}' at 'hyperParameters' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must not be null]"
    ]


def test_map_key_rules_are_reported_once_at_the_map_before_the_value_rules() -> None:
    """D16: the keys' rules are reported once, at the map (a key has no path of its own, so
    ``field`` is the map), then the values' rules."""
    environment = {"OK": "1", "1BAD": "2", "2BAD": "x" * 513}
    error = error_of("CreateTrainingJob", {**typical_create_request(), "Environment": environment})
    assert error.field == "Environment"
    shown = f"{{OK=1, 1BAD=2, 2BAD={'x' * 513}"[:97] + "..."
    assert items_of(error) == [
        f"Value '{shown}' at 'environment' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length less than or equal to 512, Member must have "
        "length greater than or equal to 0, Member must satisfy regular expression pattern: "
        "[a-zA-Z_][a-zA-Z0-9_]*]",
        f"Value '{shown}' at 'environment' failed to satisfy constraint: Map value must satisfy "
        "constraint: [Member must have length less than or equal to 512, Member must have "
        "length greater than or equal to 0, Member must satisfy regular expression pattern: "
        "[\\S\\s]*]",
    ]


def test_map_with_too_many_entries_is_refused() -> None:
    hyper = {f"k{i}": "v" for i in range(101)}
    error = error_of("CreateTrainingJob", {**typical_create_request(), "HyperParameters": hyper})
    assert error.field == "HyperParameters"
    assert error.message.endswith("Member must have length less than or equal to 100")


# ---------------------------------------------------------------------------------------------
# Member paths in messages, as SageMaker's JSON endpoint writes them (D16)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "field", "at"),
    [
        (
            "DescribeTrainingJob",
            {"TrainingJobName": "bad_name!"},
            "TrainingJobName",
            "trainingJobName",
        ),
        ("ListTrainingJobs", {"StatusEquals": "Bogus"}, "StatusEquals", "statusEquals"),
        ("ListTrainingJobs", {"MaxResults": 0}, "MaxResults", "maxResults"),
        (
            "CreateTrainingJob",
            _with_keep_alive(99999),
            "ResourceConfig.KeepAlivePeriodInSeconds",
            "resourceConfig.keepAlivePeriodInSeconds",
        ),
        (
            "CreateTrainingJob",
            {**typical_create_request(), "StoppingCondition": {"MaxRuntimeInSeconds": 0}},
            "StoppingCondition.MaxRuntimeInSeconds",
            "stoppingCondition.maxRuntimeInSeconds",
        ),
    ],
)
def test_validation_messages_write_member_paths_in_lower_camel_case(
    operation: str, params: Mapping[str, Any], field: str, at: str
) -> None:
    """D16: top-level and nested member names are written with a lower-case first letter
    (``trainingJobName``, ``resourceConfig.keepAlivePeriodInSeconds``), as SageMaker's JSON
    endpoint writes them; ``error.field`` keeps the path as the caller wrote it."""
    error = error_of(operation, params)
    assert error.field == field
    assert all(f" at '{at}' failed to satisfy constraint: " in item for item in items_of(error))


@pytest.mark.parametrize(
    ("member", "value", "field", "at"),
    [
        (
            "OutputDataConfig",
            {"S3OutputPath": "not-s3"},
            "OutputDataConfig.S3OutputPath",
            "outputDataConfig.s3OutputPath",
        ),
        (
            "OutputDataConfig",
            {"S3OutputPath": "s3://bucket/out", "KmsKeyId": "k" * 2049},
            "OutputDataConfig.KmsKeyId",
            "outputDataConfig.kmsKeyId",
        ),
        (
            "VpcConfig",
            {"SecurityGroupIds": [], "Subnets": ["subnet-1"]},
            "VpcConfig.SecurityGroupIds",
            "vpcConfig.securityGroupIds",
        ),
        (
            "InputDataConfig",
            [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}],
            "InputDataConfig[0].DataSource.S3DataSource.S3DataType",
            "inputDataConfig.1.member.dataSource.s3DataSource.s3DataType",
        ),
    ],
)
def test_validation_messages_lower_only_the_first_letter_of_names_starting_with_an_acronym(
    member: str, value: Any, field: str, at: str
) -> None:
    """D16: only the first letter is lowered (``S3OutputPath`` -> ``s3OutputPath``,
    ``KmsKeyId`` -> ``kmsKeyId``, ``VpcConfig`` -> ``vpcConfig``), as AWS writes
    ``kMSKeyArn`` for Lambda's ``KMSKeyArn``."""
    error = error_of("CreateTrainingJob", {**typical_create_request(), member: value})
    assert error.field == field
    assert len(items_of(error)) == 1
    assert f" at '{at}' failed to satisfy constraint: " in error.message


def test_validation_messages_write_an_entry_of_a_map_of_structures_as_its_key_unchanged() -> None:
    """D16 (our choice, the model has no such map): a problem inside a map value that is a
    structure is written ``map.key.member``, the key exactly as given; ``field`` quotes the key
    as a JSON string, so any key can be told apart."""
    model = copy.deepcopy(MODEL)
    model["shapes"]["HyperParameters"]["value"]["shape"] = "StoppingCondition"
    validator = RequestValidator(model)
    key = 'Odd.Key["x"]'
    request = {**typical_create_request(), "HyperParameters": {key: {"MaxRuntimeInSeconds": 0}}}
    with pytest.raises(ValidationException) as caught:
        validator.validate("CreateTrainingJob", request)
    assert caught.value.field == 'HyperParameters["Odd.Key[\\"x\\"]"].MaxRuntimeInSeconds'
    assert caught.value.message == (
        "1 validation error detected: Value '0' at "
        "'hyperParameters.Odd.Key[\"x\"].maxRuntimeInSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_validation_messages_join_several_problems_with_a_semicolon_and_a_space() -> None:
    """D16: ``N validation errors detected: item; item``, in request order."""
    params = {"StatusEquals": "Bogus", "SortBy": "Size"}
    assert error_of("ListTrainingJobs", params).message == (
        "2 validation errors detected: Value 'Bogus' at 'statusEquals' failed to satisfy "
        "constraint: Member must satisfy enum value set: [InProgress, Completed, Failed, "
        "Stopping, Stopped, Deleting]; Value 'Size' at 'sortBy' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Name, CreationTime, Status]"
    )


def test_unknown_parameter_messages_keep_the_callers_member_names() -> None:
    """D16: the ``Unknown parameter`` item is botocore's client-side check (AWS never sends it),
    so it names members, parent included, as the caller writes them."""
    request = typical_create_request()
    request["OutputDataConfig"] = {**request["OutputDataConfig"], "Bucket": "b"}
    error = error_of("CreateTrainingJob", request)
    assert error.field == "OutputDataConfig.Bucket"
    assert error.message.startswith(
        "1 validation error detected: Unknown parameter 'Bucket' at 'OutputDataConfig': "
        "must be one of: "
    )


@FAST
@given(data=st.data())
def test_message_names_any_broken_top_level_member_with_its_first_letter_lowered(
    data: st.DataObject,
) -> None:
    """D16, for every operation and member of the model: the message writes the member with a
    lower-case first letter and ``field`` names it as written."""
    operation = data.draw(st.sampled_from(sorted(MODEL["operations"])))
    request = data.draw(requests_of(operation))
    assume(request)
    member = data.draw(st.sampled_from(sorted(request)))
    error = error_of(operation, {**request, member: object()})
    assert error.field == member
    lowered = member[0].lower() + member[1:]
    assert items_of(error)[0].startswith("Value '<object object at ")
    assert (
        f"' at '{lowered}' failed to satisfy constraint: Member must be of type "
        in (items_of(error)[0])
    )


def test_collections_are_quoted_as_java_prints_them() -> None:
    """D16: lists print as ``[a, b]`` and maps or structures as ``{k=v}``, null as ``null``."""
    request = {**typical_create_request(), "StoppingCondition": [{"A": [1, None]}, "b"]}
    assert items_of(error_of("CreateTrainingJob", request)) == [
        "Value '[{A=[1, null]}, b]' at 'stoppingCondition' failed to satisfy constraint: "
        "Member must be of type structure"
    ]


# ---------------------------------------------------------------------------------------------
# Collecting every problem
# ---------------------------------------------------------------------------------------------


def test_multiple_errors_are_counted_in_the_message_and_field_is_the_first_path() -> None:
    request = typical_create_request()
    request["TrainingJobName"] = "bad_name!"
    request["ResourceConfig"] = {**request["ResourceConfig"], "KeepAlivePeriodInSeconds": 99999}
    del request["RoleArn"]
    error = error_of("CreateTrainingJob", request)
    assert error.message.startswith("3 validation errors detected: Value 'bad_name!' at ")
    assert len(items_of(error)) == 3
    assert error.field == "TrainingJobName"
    assert items_of(error)[1].startswith(
        "Value '99999' at 'resourceConfig.keepAlivePeriodInSeconds'"
    )
    assert items_of(error)[2].startswith("Value null at 'roleArn'")


@FAST
@given(data=st.data())
def test_field_is_the_path_of_the_first_problem_in_request_order(data: st.DataObject) -> None:
    breakable = ["TrainingJobName", "RoleArn", "ResourceConfig", "HyperParameters"]
    broken = data.draw(st.lists(st.sampled_from(breakable), min_size=1, unique=True))
    request: dict[str, Any] = {}
    for member, value in typical_create_request().items():
        request[member] = 12345 if member in broken else value
    error = error_of("CreateTrainingJob", request)
    first = next(member for member in request if member in broken)
    assert error.field == first
    assert len(items_of(error)) == len(broken)


def _all_values(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [value, *(v for item in value.values() for v in _all_values(item))]
    if isinstance(value, (list, tuple)):
        return [value, *(v for item in value for v in _all_values(item))]
    return [value]


@FAST
@given(
    request=requests_of("CreateTrainingJob"),
    extra=st.sampled_from([{}, {"Foo": 1}, {"RoleArn": None}, {"TrainingJobName": "bad_name!"}]),
)
def test_params_are_never_mutated(request: dict[str, Any], extra: dict[str, Any]) -> None:
    params = {**request, **extra}
    before = copy.deepcopy(params)
    identities = [id(v) for v in _all_values(params)]
    try:
        VALIDATOR.validate("CreateTrainingJob", params)
    except ValidationException:
        assert extra
    else:
        assert not extra
    assert params == before
    assert [id(v) for v in _all_values(params)] == identities


_INPUT_NODES = _Compiler(SHAPES, output=False)
_MEMBER_NAMES = sorted(
    {m for shape in SHAPES.values() if shape["type"] == "structure" for m in shape["members"]}
)
_JUNK: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats()
    | st.text(max_size=5)
    | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_MEMBER_NAMES) | st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(FAST, max_examples=200)
@given(data=st.data())
def test_fast_check_and_detailed_walk_agree_on_arbitrary_values(data: st.DataObject) -> None:
    # validate() trusts the fast predicate on success, so it must never accept what the
    # detailed walk would refuse (nor refuse what it accepts).
    name = data.draw(st.sampled_from(sorted(SHAPES)))
    value = data.draw(values_of(name) | _JUNK)
    fast, slow = _INPUT_NODES.node(name)
    problems: list[tuple[str, str]] = []
    slow(value, "", problems)
    assert fast(value) is (not problems), problems


def test_long_values_are_truncated_in_messages() -> None:
    error = error_of("ListTrainingJobs", {"NameContains": "n" * 5000})
    assert error.message == (
        f"1 validation error detected: Value '{'n' * 97}...' at 'nameContains' failed to satisfy "
        "constraint: Member must have length less than or equal to 63"
    )


def test_exception_renders_like_botocores_client_error() -> None:
    error = error_of("ListTrainingJobs", {"MaxResults": 101})
    assert str(error) == (
        "An error occurred (ValidationException) when calling the ListTrainingJobs operation: "
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )


# ---------------------------------------------------------------------------------------------
# check_output
# ---------------------------------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def describe_response() -> dict[str, Any]:
    """A hand-built DescribeTrainingJob response of a completed job holding a warm pool."""
    return {
        "TrainingJobName": "job-1",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://bucket/out/job-1/output/model.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest",
            "TrainingInputMode": "File",
        },
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 50,
            "KeepAlivePeriodInSeconds": 1800,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "HyperParameters": {"epochs": "2"},
        "CreationTime": NOW,
        "TrainingStartTime": NOW + timedelta(minutes=2),
        "TrainingEndTime": NOW + timedelta(minutes=12),
        "LastModifiedTime": NOW + timedelta(minutes=12),
        "SecondaryStatusTransitions": [
            {
                "Status": "Starting",
                "StartTime": NOW,
                "EndTime": NOW + timedelta(minutes=2),
                "StatusMessage": "Preparing the instances for training",
            }
        ],
        "TrainingTimeInSeconds": 600,
        "BillableTimeInSeconds": 600,
        "EnableNetworkIsolation": False,
        "WarmPoolStatus": {"Status": "Available"},
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def test_check_output_accepts_a_conforming_describe_response() -> None:
    assert VALIDATOR.check_output("DescribeTrainingJob", describe_response()) == []


def test_check_output_catches_a_missing_required_member() -> None:
    response = describe_response()
    del response["SecondaryStatus"]
    assert VALIDATOR.check_output("DescribeTrainingJob", response) == [
        "Value null at 'secondaryStatus' failed to satisfy constraint: Member must not be null"
    ]


def test_check_output_catches_an_unknown_member() -> None:
    response = {**describe_response(), "Tags": []}
    problems = VALIDATOR.check_output("DescribeTrainingJob", response)
    assert len(problems) == 1
    assert problems[0].startswith("Unknown parameter 'Tags': must be one of: ")


def test_check_output_catches_a_naive_datetime() -> None:
    response = {**describe_response(), "CreationTime": NOW.replace(tzinfo=None)}
    problems = VALIDATOR.check_output("DescribeTrainingJob", response)
    assert problems == [
        "Value '2024-05-01T12:00:00' at 'creationTime' failed to satisfy constraint: "
        "Member must be of type timestamp (a timezone-aware datetime)"
    ]


def test_check_output_refuses_iso_strings_for_timestamps() -> None:
    response = {**describe_response(), "CreationTime": "2024-05-01T12:00:00Z"}
    assert len(VALIDATOR.check_output("DescribeTrainingJob", response)) == 1


def test_check_output_checks_nested_enums_bounds_and_patterns() -> None:
    response = describe_response()
    response["WarmPoolStatus"] = {
        "Status": "Gone",
        "ResourceRetainedBillableTimeInSeconds": -1,
        "ReusedByJob": "bad_name!",
    }
    problems = VALIDATOR.check_output("DescribeTrainingJob", response)
    assert [p.split(" failed")[0] for p in problems] == [
        "Value 'Gone' at 'warmPoolStatus.status'",
        "Value '-1' at 'warmPoolStatus.resourceRetainedBillableTimeInSeconds'",
        "Value 'bad_name!' at 'warmPoolStatus.reusedByJob'",
    ]


@pytest.mark.parametrize("operation", ["StopTrainingJob", "DeleteTrainingJob"])
def test_check_output_of_an_operation_without_output_accepts_only_an_empty_response(
    operation: str,
) -> None:
    assert VALIDATOR.check_output(operation, {}) == []
    assert VALIDATOR.check_output(operation, {"ResponseMetadata": {}}) == []
    assert len(VALIDATOR.check_output(operation, {"TrainingJobArn": "x"})) == 1


def test_check_output_of_create_and_list() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1"
    assert VALIDATOR.check_output("CreateTrainingJob", {"TrainingJobArn": arn}) == []
    summary = {
        "TrainingJobName": "job-1",
        "TrainingJobArn": arn,
        "CreationTime": NOW,
        "TrainingJobStatus": "InProgress",
        "WarmPoolStatus": {"Status": "InUse"},
    }
    assert VALIDATOR.check_output("ListTrainingJobs", {"TrainingJobSummaries": [summary]}) == []
    assert VALIDATOR.check_output("ListTrainingJobs", {}) == [
        "Value null at 'trainingJobSummaries' failed to satisfy constraint: Member must not be null"
    ]
