"""Tests for warmpool.iam: parsing and evaluating identity policies with Numeric conditions."""

from __future__ import annotations

import fnmatch
import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import emulator, request
from warmpool import WarmPoolEmulator, errors
from warmpool.iam import SUPPORTED_OPERATORS, Decision, Policy

ACTION = "sagemaker:CreateTrainingJob"
KEY = "sagemaker:KeepAlivePeriod"
JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/my-job"

GUIDE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnforceKeepAlivePeriodLimit",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob"],
            "Resource": "*",
            "Condition": {"NumericLessThanIfExists": {"sagemaker:KeepAlivePeriod": 1800}},
        }
    ],
}

GUIDE_POLICY_WITH_STRING = json.loads(json.dumps(GUIDE_POLICY).replace("1800", '"1800"'))

NUMERIC_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "NumericEquals": operator.eq,
    "NumericNotEquals": operator.ne,
    "NumericLessThan": operator.lt,
    "NumericLessThanEquals": operator.le,
    "NumericGreaterThan": operator.gt,
    "NumericGreaterThanEquals": operator.ge,
}
ALL_NUMERIC_OPERATORS = [*NUMERIC_OPERATORS, *(name + "IfExists" for name in NUMERIC_OPERATORS)]

numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
)


def allow_with(condition: Mapping[str, Any], **statement: Any) -> Policy:
    """A one-statement Allow policy for CreateTrainingJob with the given Condition block."""
    body: dict[str, Any] = {"Effect": "Allow", "Action": ACTION, "Condition": condition}
    body.update(statement)
    return Policy.from_document({"Version": "2012-10-17", "Statement": [body]})


def allowed(policy: Policy, context: Mapping[str, int | float], action: str = ACTION) -> bool:
    return policy.evaluate(action, JOB_ARN, context).allowed


# --- the AWS guide's example policy ---------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [GUIDE_POLICY, json.dumps(GUIDE_POLICY), GUIDE_POLICY_WITH_STRING],
    ids=["dict", "json-text", "string-1800"],
)
def test_guide_policy_allows_below_1800_or_absent_and_denies_1800_to_3600(
    document: Mapping[str, Any] | str,
) -> None:
    policy = Policy.from_document(document)
    allow = Decision(allowed=True, reason="allowed", statement="EnforceKeepAlivePeriodLimit")
    deny = Decision(allowed=False, reason="implicit-deny", statement=None)
    for seconds in range(3601):
        expected = allow if seconds < 1800 else deny
        assert policy.evaluate(ACTION, JOB_ARN, {KEY: seconds}) == expected, seconds
    assert policy.evaluate(ACTION, JOB_ARN, {}) == allow


def test_guide_policy_string_and_number_forms_parse_to_equal_policies() -> None:
    assert Policy.from_document(GUIDE_POLICY_WITH_STRING) == Policy.from_document(GUIDE_POLICY)


def test_guide_policy_does_not_allow_other_actions() -> None:
    policy = Policy.from_document(GUIDE_POLICY)
    decision = policy.evaluate("sagemaker:UpdateTrainingJob", JOB_ARN, {KEY: 10})
    assert decision == Decision(allowed=False, reason="implicit-deny", statement=None)


# --- numeric operators ----------------------------------------------------------------------


@given(
    name=st.sampled_from(sorted(NUMERIC_OPERATORS)),
    threshold=numbers,
    value=numbers,
    if_exists=st.booleans(),
    as_string=st.booleans(),
)
def test_numeric_operator_matches_python_comparison(
    name: str, threshold: int | float, value: int | float, if_exists: bool, as_string: bool
) -> None:
    written: Any = repr(threshold) if as_string else threshold
    policy = allow_with({name + ("IfExists" if if_exists else ""): {KEY: written}})
    assert allowed(policy, {KEY: value}) is NUMERIC_OPERATORS[name](value, threshold)


@given(name=st.sampled_from(sorted(NUMERIC_OPERATORS)), value=st.integers(-5, 5))
def test_numeric_operator_boundaries_on_small_integers(name: str, value: int) -> None:
    policy = allow_with({name: {KEY: "0"}})
    assert allowed(policy, {KEY: value}) is NUMERIC_OPERATORS[name](value, 0)


@given(
    name=st.sampled_from(sorted(set(NUMERIC_OPERATORS) - {"NumericNotEquals"})),
    thresholds=st.lists(st.integers(-50, 50), min_size=1, max_size=5),
    value=st.integers(-60, 60),
)
def test_multiple_values_for_one_key_are_ored(name: str, thresholds: list[int], value: int) -> None:
    policy = allow_with({name: {KEY: thresholds}})
    expected = any(NUMERIC_OPERATORS[name](value, t) for t in thresholds)
    assert allowed(policy, {KEY: value}) is expected


@given(
    thresholds=st.lists(st.integers(-20, 20), min_size=1, max_size=5),
    value=st.integers(-25, 25),
)
def test_numeric_not_equals_with_multiple_values_is_nor(thresholds: list[int], value: int) -> None:
    policy = allow_with({"NumericNotEquals": {KEY: [str(t) for t in thresholds]}})
    assert allowed(policy, {KEY: value}) is (value not in thresholds)


def test_numeric_not_equals_denies_each_listed_value() -> None:
    policy = allow_with({"NumericNotEquals": {KEY: [60, 120]}})
    assert not allowed(policy, {KEY: 60})
    assert not allowed(policy, {KEY: 120})
    assert allowed(policy, {KEY: 90})


def test_conditions_across_operators_and_keys_are_anded() -> None:
    policy = allow_with(
        {
            "NumericGreaterThanEquals": {KEY: 60},
            "NumericLessThan": {KEY: 600, "sagemaker:Other": 5},
        }
    )
    assert allowed(policy, {KEY: 60, "sagemaker:Other": 4})
    assert not allowed(policy, {KEY: 59, "sagemaker:Other": 4})  # first operator fails
    assert not allowed(policy, {KEY: 600, "sagemaker:Other": 4})  # second operator, first key
    assert not allowed(policy, {KEY: 60, "sagemaker:Other": 5})  # second operator, second key


def test_float_context_values_compare_exactly_with_integer_thresholds() -> None:
    policy = allow_with({"NumericLessThan": {KEY: "1800"}})
    assert allowed(policy, {KEY: 1799.5})
    assert not allowed(policy, {KEY: 1800.0})


@given(number=numbers)
def test_numeric_string_means_the_same_as_the_json_number(number: int | float) -> None:
    as_number = allow_with({"NumericEquals": {KEY: number}})
    as_string = allow_with({"NumericEquals": {KEY: json.dumps(number)}})
    assert as_string == as_number


@pytest.mark.parametrize(
    ("text", "value"),
    [("1800", 1800), ("-3", -3), ("0", 0), ("1800.5", 1800.5), ("1e3", 1000.0), ("2E-1", 0.2)],
)
def test_numeric_strings_follow_json_number_grammar(text: str, value: int | float) -> None:
    (statement,) = allow_with({"NumericEquals": {KEY: text}}).statements
    (parsed,) = statement.conditions[0].values
    assert parsed == value
    assert type(parsed) is type(value)


# --- missing keys, IfExists and Null ----------------------------------------------------------


# The IAM User Guide's rule for a key missing from the request context, written out operator by
# operator (D21, behaviour §9.7): positive operators false, the negated one true, ...IfExists true.
POSITIVE_OPERATORS = [name for name in NUMERIC_OPERATORS if name != "NumericNotEquals"]
MISSING_KEY_RESULT: dict[str, bool] = {
    "NumericEquals": False,
    "NumericLessThan": False,
    "NumericLessThanEquals": False,
    "NumericGreaterThan": False,
    "NumericGreaterThanEquals": False,
    "NumericNotEquals": True,
    "NumericEqualsIfExists": True,
    "NumericNotEqualsIfExists": True,
    "NumericLessThanIfExists": True,
    "NumericLessThanEqualsIfExists": True,
    "NumericGreaterThanIfExists": True,
    "NumericGreaterThanEqualsIfExists": True,
}
# Contexts that lack sagemaker:KeepAlivePeriod: empty, or holding only some other key.
MISSING_KEY_CONTEXTS: list[dict[str, int | float]] = [{}, {"sagemaker:SomethingElse": 1800}]


def test_missing_key_table_covers_every_numeric_operator() -> None:
    """D21: the missing-key table names each supported Numeric operator exactly once."""
    assert sorted(MISSING_KEY_RESULT) == sorted(ALL_NUMERIC_OPERATORS)
    assert sorted(MISSING_KEY_RESULT) == sorted(set(SUPPORTED_OPERATORS) - {"Null"})


@pytest.mark.parametrize("name", POSITIVE_OPERATORS)
def test_missing_key_makes_a_positive_operator_false(name: str) -> None:
    """behaviour §9.7 / D21: NumericEquals, NumericLessThan, ... on a missing key do not match."""
    policy = allow_with({name: {KEY: 1800}})
    for context in MISSING_KEY_CONTEXTS:
        assert policy.evaluate(ACTION, JOB_ARN, context) == Decision(
            False, "implicit-deny", None
        ), context


@pytest.mark.parametrize("values", [1800, [0, 1800], "0", [-1.5]])
def test_missing_key_makes_numeric_not_equals_true(values: Any) -> None:
    """behaviour §9.7 / D21: the negated NumericNotEquals holds when the key is missing."""
    policy = allow_with({"NumericNotEquals": {KEY: values}}, Sid="NotEqual")
    for context in MISSING_KEY_CONTEXTS:
        assert policy.evaluate(ACTION, JOB_ARN, context) == Decision(True, "allowed", "NotEqual"), (
            context
        )


@pytest.mark.parametrize("name", [name + "IfExists" for name in NUMERIC_OPERATORS])
def test_missing_key_makes_every_if_exists_form_true(name: str) -> None:
    """behaviour §9.7 / D21: any ...IfExists form, NumericNotEqualsIfExists included, holds."""
    policy = allow_with({name: {KEY: 1800}}, Sid="IfExists")
    for context in MISSING_KEY_CONTEXTS:
        assert policy.evaluate(ACTION, JOB_ARN, context) == Decision(True, "allowed", "IfExists"), (
            context
        )


def test_numeric_not_equals_if_exists_checks_the_value_when_the_key_is_present() -> None:
    """D21: NumericNotEqualsIfExists is true on a missing key, NOR over values otherwise."""
    policy = allow_with({"NumericNotEqualsIfExists": {KEY: [60, 120]}})
    assert allowed(policy, {})
    assert allowed(policy, {KEY: 90})
    assert not allowed(policy, {KEY: 60})
    assert not allowed(policy, {KEY: 120})


@given(
    name=st.sampled_from(sorted(MISSING_KEY_RESULT)),
    values=st.lists(numbers, min_size=1, max_size=4),
    written_as_strings=st.booleans(),
)
def test_missing_key_result_matches_the_documented_table(
    name: str, values: list[int | float], written_as_strings: bool
) -> None:
    """D21: for any operator and any values, a missing key gives the table's result, in an
    Allow (allowed or not) and in a Deny (explicit deny or not)."""
    written: list[Any] = [json.dumps(v) for v in values] if written_as_strings else list(values)
    expected = MISSING_KEY_RESULT[name]
    allow = allow_with({name: {KEY: written}})
    assert allow.evaluate(ACTION, JOB_ARN, {}).allowed is expected
    (condition,) = allow.statements[0].conditions
    assert condition.holds({}) is expected
    assert condition.holds({"sagemaker:SomethingElse": 7}) is expected
    deny = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*"},
                {
                    "Sid": "D",
                    "Effect": "Deny",
                    "Action": ACTION,
                    "Condition": {name: {KEY: written}},
                },
            ]
        }
    )
    reason = deny.evaluate(ACTION, JOB_ARN, {}).reason
    assert reason == ("explicit-deny" if expected else "allowed")


def test_deny_with_numeric_not_equals_applies_to_a_missing_key() -> None:
    """behaviour §9.7 / D21: a Deny with NumericNotEquals on a missing key applies (explicit)."""
    policy = Policy.from_document(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AllowCreate", "Effect": "Allow", "Action": ACTION},
                {
                    "Sid": "OnlyNoKeepAlive",
                    "Effect": "Deny",
                    "Action": ACTION,
                    "Condition": {"NumericNotEquals": {KEY: 0}},
                },
            ],
        }
    )
    deny = Decision(False, "explicit-deny", "OnlyNoKeepAlive")
    assert policy.evaluate(ACTION, JOB_ARN, {}) == deny
    assert policy.evaluate(ACTION, JOB_ARN, {"sagemaker:SomethingElse": 0}) == deny
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 60}) == deny
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 0}) == Decision(True, "allowed", "AllowCreate")


def test_deny_with_numeric_not_equals_if_exists_also_applies_to_a_missing_key() -> None:
    """D21: the IfExists form of the same Deny holds on a missing key too (so it denies)."""
    policy = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": ACTION},
                {
                    "Sid": "D",
                    "Effect": "Deny",
                    "Action": ACTION,
                    "Condition": {"NumericNotEqualsIfExists": {KEY: 0}},
                },
            ]
        }
    )
    assert policy.evaluate(ACTION, JOB_ARN, {}) == Decision(False, "explicit-deny", "D")


def test_missing_key_results_are_anded_across_operators() -> None:
    """D21: each operator gives its own missing-key result; a statement needs all of them."""
    both_true = allow_with({"NumericNotEquals": {KEY: 0}, "NumericLessThanIfExists": {KEY: 1800}})
    assert allowed(both_true, {})
    one_false = allow_with({"NumericNotEquals": {KEY: 0}, "NumericLessThan": {KEY: 1800}})
    assert not allowed(one_false, {})
    assert allowed(one_false, {KEY: 5})


@pytest.mark.parametrize("name", ALL_NUMERIC_OPERATORS)
def test_if_exists_form_checks_the_value_when_the_key_is_present(name: str) -> None:
    policy = allow_with({name: {KEY: 1800}})
    base = NUMERIC_OPERATORS[name.removesuffix("IfExists")]
    for value in (1799, 1800, 1801):
        assert allowed(policy, {KEY: value}) is base(value, 1800)


# --- missing key, end to end through the emulator (D21, behaviour §9.7) ---------------------------


def create_without_keep_alive(
    policy: Mapping[str, Any], name: str = "no-keep-alive"
) -> tuple[WarmPoolEmulator, errors.AccessDeniedException | None]:
    """Create a job with no KeepAlivePeriodInSeconds under ``policy``; return the emulator and
    the AccessDeniedException, or None when the create was allowed."""
    emu = emulator(keep_alive_policy=policy)
    body = request(name, keep_alive=None)
    assert "KeepAlivePeriodInSeconds" not in body["ResourceConfig"]
    try:
        emu.create_training_job(**body)
    except errors.AccessDeniedException as error:
        assert emu.job_names() == []
        return emu, error
    assert emu.job_names() == [name]
    return emu, None


def one_allow(condition: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ACTION, "Resource": "*", "Condition": condition}
        ],
    }


@pytest.mark.parametrize("name", sorted(MISSING_KEY_RESULT))
def test_create_without_keep_alive_follows_the_missing_key_table(name: str) -> None:
    """behaviour §9.7 / D21: a create without KeepAlivePeriodInSeconds is allowed exactly when the
    operator holds on a missing key; otherwise AccessDeniedException (implicit deny)."""
    _, error = create_without_keep_alive(one_allow({name: {KEY: 1800}}))
    if MISSING_KEY_RESULT[name]:
        assert error is None
    else:
        assert error is not None
        assert error.code == "AccessDeniedException"
        assert "because no identity-based policy allows" in error.message
        assert "sagemaker:KeepAlivePeriod is absent" in error.message


def test_create_without_keep_alive_is_allowed_by_numeric_not_equals() -> None:
    """behaviour §9.7 / D21: Allow with NumericNotEquals: no keep-alive passes, the listed one
    fails."""
    emu, error = create_without_keep_alive(one_allow({"NumericNotEquals": {KEY: "3600"}}))
    assert error is None
    emu.create_training_job(**request("short", keep_alive=60))
    with pytest.raises(errors.AccessDeniedException):
        emu.create_training_job(**request("hour", keep_alive=3600))
    assert emu.job_names() == ["no-keep-alive", "short"]


def test_create_without_keep_alive_is_explicitly_denied_by_numeric_not_equals() -> None:
    """behaviour §9.7 / D21: a Deny with NumericNotEquals applies to a create with no keep-alive."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {
                "Sid": "OnlyHalfHour",
                "Effect": "Deny",
                "Action": ACTION,
                "Resource": "*",
                "Condition": {"NumericNotEquals": {KEY: 1800}},
            },
        ],
    }
    emu, error = create_without_keep_alive(policy)
    assert error is not None
    assert error.code == "AccessDeniedException"
    assert "with an explicit deny in an identity-based policy" in error.message
    assert "sagemaker:KeepAlivePeriod is absent" in error.message
    emu.create_training_job(**request("half-hour", keep_alive=1800))
    with pytest.raises(errors.AccessDeniedException, match="explicit deny"):
        emu.create_training_job(**request("other", keep_alive=1799))
    assert emu.job_names() == ["half-hour"]


@pytest.mark.parametrize(
    ("written", "when_absent", "when_present"),
    [
        (True, True, False),
        ("true", True, False),
        (False, False, True),
        ("false", False, True),
        ([True, False], True, True),
    ],
)
def test_null_true_means_key_absent_and_false_means_present(
    written: Any, when_absent: bool, when_present: bool
) -> None:
    policy = allow_with({"Null": {KEY: written}})
    assert allowed(policy, {}) is when_absent
    assert allowed(policy, {KEY: 0}) is when_present


def test_null_deny_can_require_the_key() -> None:
    policy = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*"},
                {
                    "Sid": "RequireKey",
                    "Effect": "Deny",
                    "Action": "*",
                    "Condition": {"Null": {KEY: "true"}},
                },
            ]
        }
    )
    assert policy.evaluate(ACTION, JOB_ARN, {}) == Decision(False, "explicit-deny", "RequireKey")
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 5}).allowed


def test_condition_key_names_are_case_insensitive() -> None:
    policy = allow_with({"NumericLessThan": {"SageMaker:KEEPALIVEPERIOD": 1800}})
    assert allowed(policy, {"sagemaker:keepaliveperiod": 10})
    assert allowed(policy, {KEY: 10})
    assert not allowed(policy, {"SAGEMAKER:KeepAlivePeriod": 1800})


def test_operator_names_are_case_sensitive() -> None:
    with pytest.raises(
        ValueError, match=r"Statement\[0\]\.Condition\.numericlessthan: unsupported"
    ):
        allow_with({"numericlessthan": {KEY: 1800}})


# --- combining statements -------------------------------------------------------------------


def test_explicit_deny_beats_allow_regardless_of_order() -> None:
    allow = {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}
    deny = {
        "Sid": "DenyLong",
        "Effect": "Deny",
        "Action": ACTION,
        "Condition": {"NumericGreaterThan": {KEY: 900}},
    }
    for statements in ([allow, deny], [deny, allow]):
        policy = Policy.from_document({"Version": "2012-10-17", "Statement": statements})
        assert policy.evaluate(ACTION, JOB_ARN, {KEY: 901}) == Decision(
            False, "explicit-deny", "DenyLong"
        )
        assert policy.evaluate(ACTION, JOB_ARN, {KEY: 900}) == Decision(True, "allowed", "AllowAll")


def test_first_applying_deny_in_document_order_is_reported() -> None:
    policy = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*"},
                {
                    "Effect": "Deny",
                    "Action": "sagemaker:*",
                    "Condition": {"NumericGreaterThan": {KEY: 100}},
                },
                {"Sid": "Second", "Effect": "Deny", "Action": ACTION},
            ]
        }
    )
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 101}).statement == "Statement[1]"
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 100}).statement == "Second"


def test_first_applying_allow_is_reported_by_sid_or_index() -> None:
    policy = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": ACTION, "Condition": {"NumericLessThan": {KEY: 10}}},
                {"Sid": "Wide", "Effect": "Allow", "Action": ACTION},
            ]
        }
    )
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 5}) == Decision(True, "allowed", "Statement[0]")
    assert policy.evaluate(ACTION, JOB_ARN, {KEY: 50}) == Decision(True, "allowed", "Wide")


def test_single_statement_object_is_named_statement_0() -> None:
    policy = Policy.from_document({"Statement": {"Effect": "Allow", "Action": ACTION}})
    assert policy.evaluate(ACTION, JOB_ARN, {}).statement == "Statement[0]"


def test_no_applying_allow_is_an_implicit_deny() -> None:
    implicit = Decision(allowed=False, reason="implicit-deny", statement=None)
    only_other_action = Policy.from_document(
        {"Statement": {"Effect": "Allow", "Action": "sagemaker:DescribeTrainingJob"}}
    )
    assert only_other_action.evaluate(ACTION, JOB_ARN, {}) == implicit
    deny_not_applying = Policy.from_document(
        {
            "Statement": {
                "Effect": "Deny",
                "Action": ACTION,
                "Condition": {"NumericGreaterThan": {KEY: 9}},
            }
        }
    )
    assert deny_not_applying.evaluate(ACTION, JOB_ARN, {KEY: 1}) == implicit


# --- actions and resources ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("sagemaker:create*", ACTION, True),
        ("SAGEMAKER:CREATETRAININGJOB", ACTION, True),
        ("sagemaker:Create?rainingJob", ACTION, True),
        ("sagemaker:Create?TrainingJob", ACTION, False),
        ("sagemaker:*", ACTION, True),
        ("*", ACTION, True),
        ("sagemaker:Create*", "sagemaker:UpdateTrainingJob", False),
        ("sagemaker:CreateTrainingJo", ACTION, False),
        ("s3:*", ACTION, False),
    ],
)
def test_action_patterns_match_case_insensitively_with_wildcards(
    pattern: str, action: str, expected: bool
) -> None:
    policy = Policy.from_document({"Statement": {"Effect": "Allow", "Action": [pattern]}})
    assert allowed(policy, {}, action=action) is expected


_PIECE = st.text(alphabet="aAbB*?", min_size=1, max_size=6)
_NAME = st.text(alphabet="aAbB", min_size=1, max_size=6)


@given(vendor=_PIECE, name=_PIECE, action_vendor=_NAME, action_name=_NAME)
def test_action_wildcards_agree_with_case_folded_glob(
    vendor: str, name: str, action_vendor: str, action_name: str
) -> None:
    pattern, action = f"{vendor}:{name}", f"{action_vendor}:{action_name}"
    policy = Policy.from_document({"Statement": {"Effect": "Allow", "Action": pattern}})
    expected = fnmatch.fnmatchcase(action.lower(), pattern.lower())
    assert allowed(policy, {}, action=action) is expected


def test_not_action_applies_to_every_action_it_does_not_match() -> None:
    policy = Policy.from_document(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*"},
                {"Sid": "OnlyCreate", "Effect": "Deny", "NotAction": "sagemaker:Create*"},
            ]
        }
    )
    assert allowed(policy, {}, action=ACTION)
    assert policy.evaluate("sagemaker:DeleteTrainingJob", JOB_ARN, {}) == Decision(
        False, "explicit-deny", "OnlyCreate"
    )
    never = Policy.from_document({"Statement": {"Effect": "Allow", "NotAction": "*"}})
    assert not allowed(never, {})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", True),
        (JOB_ARN, True),
        ("arn:aws:sagemaker:*:123456789012:training-job/*", True),
        ("arn:aws:sagemaker:us-east-?:123456789012:training-job/my-???", True),
        ("arn:aws:sagemaker:us-*-1:123456789012:training-job/my-job", True),
        ("arn:aws:sagemaker:*", True),  # a trailing * runs on across colons
        ("arn:aws:sagemaker:us-east-1:*:training-job/MY-JOB", False),  # case-sensitive
        ("arn:AWS:sagemaker:*", False),
        ("arn:aws:sagemaker:us-east-1:123456789012:training-job/other", False),
        ("arn:aws:sagemaker:us*012:training-job/my-job", False),  # mid-segment * stops at ':'
        ("arn:aws:sagemaker:us-east-1?123456789012:training-job/my-job", False),
    ],
)
def test_resource_patterns_match_case_sensitively_with_wildcards(
    pattern: str, expected: bool
) -> None:
    policy = Policy.from_document(
        {"Statement": {"Effect": "Allow", "Action": ACTION, "Resource": [pattern]}}
    )
    assert allowed(policy, {}) is expected


def test_not_resource_applies_to_every_resource_it_does_not_match() -> None:
    policy = Policy.from_document(
        {"Statement": {"Effect": "Allow", "Action": ACTION, "NotResource": "arn:aws:s3:::*"}}
    )
    assert allowed(policy, {})
    assert not policy.evaluate(ACTION, "arn:aws:s3:::bucket", {}).allowed


def test_statement_without_resource_applies_to_every_resource() -> None:
    policy = Policy.from_document({"Statement": {"Effect": "Allow", "Action": ACTION}})
    assert policy.statements[0].resources == ("*",)
    assert policy.evaluate(ACTION, "arn:aws:anything:::at/all", {}).allowed


# --- malformed documents --------------------------------------------------------------------


def _statement(**fields: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ACTION, **fields}]}


def _condition(operator_name: str, value: Any, key: str = KEY) -> dict[str, Any]:
    return _statement(Condition={operator_name: {key: value}})


S0 = r"^Statement\[0\]"
NAN_JSON = (
    '{"Statement": {"Effect": "Allow", "Action": "*",'
    ' "Condition": {"NumericEquals": {"a:b": NaN}}}}'
)
TWO_SIDS = {
    "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "*"},
        {"Sid": "A", "Effect": "Deny", "Action": "*"},
    ]
}

MALFORMED: list[tuple[str, Any, str]] = [
    ("bad-json", '{"Statement": [', r"not valid JSON"),
    ("json-not-object", "[1, 2]", r"policy document must be a JSON object"),
    (
        "json-duplicate-key",
        '{"Statement": {"Effect": "Allow", "Effect": "Deny"}}',
        r"repeats the key 'Effect'",
    ),
    ("json-nan", NAN_JSON, r"NaN"),
    ("missing-statement", {"Version": "2012-10-17"}, r"^Statement: required"),
    ("empty-statement-list", {"Statement": []}, r"^Statement: must not be an empty list"),
    ("statement-not-object", {"Statement": ["Allow"]}, S0 + r": a statement must be a JSON object"),
    (
        "unknown-top-level-key",
        {**_statement(), "Stmt": 1},
        r"^policy document: unknown element 'Stmt'",
    ),
    ("bad-version", {**_statement(), "Version": "2020-01-01"}, r"^Version: must be one of"),
    ("bad-effect", _statement(Effect="allow"), S0 + r"\.Effect: must be exactly 'Allow' or 'Deny'"),
    ("missing-effect", {"Statement": [{"Action": "*"}]}, S0 + r"\.Effect: required"),
    ("principal", _statement(Principal="*"), S0 + r"\.Principal: not allowed in an identity-based"),
    ("not-principal", _statement(NotPrincipal={"AWS": "*"}), S0 + r"\.NotPrincipal: not allowed"),
    ("unknown-statement-key", _statement(Resources="*"), S0 + r": unknown element 'Resources'"),
    ("action-and-not-action", _statement(NotAction="s3:*"), S0 + r": exactly one of Action and"),
    ("no-action", {"Statement": [{"Effect": "Allow"}]}, S0 + r": exactly one of Action and"),
    ("empty-action-list", _statement(Action=[]), S0 + r"\.Action: must not be an empty list"),
    (
        "action-not-string",
        _statement(Action=[ACTION, 3]),
        S0 + r"\.Action\[1\]: must be a non-empty",
    ),
    (
        "action-without-service",
        _statement(Action="CreateTrainingJob"),
        S0 + r"\.Action\[0\]: 'Create",
    ),
    (
        "resource-and-not-resource",
        _statement(Resource="*", NotResource="*"),
        S0 + r": Resource and",
    ),
    (
        "resource-not-arn",
        _statement(Resource="my-bucket"),
        S0 + r"\.Resource\[0\]: 'my-bucket' is not",
    ),
    ("bad-sid", _statement(Sid="no spaces"), S0 + r"\.Sid: must be a non-empty string of ASCII"),
    ("duplicate-sid", TWO_SIDS, r"^Statement\[1\]\.Sid: 'A' is already used by Statement\[0\]"),
    ("condition-not-object", _statement(Condition=["NumericEquals"]), S0 + r"\.Condition: must be"),
    (
        "unsupported-operator",
        _condition("StringEquals", "1"),
        S0 + r"\.Condition\.StringEquals: unsupported condition operator 'StringEquals'; "
        r"supported operators are NumericEquals, .*NumericLessThanIfExists.*, Null$",
    ),
    (
        "set-operator",
        _condition("ForAnyValue:NumericEquals", 1),
        r"\.ForAnyValue:NumericEquals: unsup",
    ),
    (
        "operator-body-not-object",
        _statement(Condition={"NumericEquals": 5}),
        r"NumericEquals: must be",
    ),
    (
        "non-numeric-value",
        _condition("NumericLessThan", "abc"),
        S0 + r"\.Condition\.NumericLessThan: value 'abc' for key 'sagemaker:KeepAlivePeriod' "
        r"is not a number$",
    ),
    (
        "non-numeric-list-item",
        _condition("NumericEquals", [1, "x"]),
        r"NumericEquals: value 'x' for",
    ),
    ("boolean-value", _condition("NumericEquals", True), r"value True for key '.*' is a boolean"),
    ("padded-number-string", _condition("NumericEquals", " 1800"), r"' 1800' .* is not a number"),
    ("plus-sign", _condition("NumericEquals", "+1800"), r"'\+1800' .* is not a number"),
    ("hex-string", _condition("NumericEquals", "0x10"), r"'0x10' .* is not a number"),
    ("infinite-string", _condition("NumericEquals", "1e400"), r"is not a finite number"),
    ("infinite-float", _condition("NumericEquals", float("inf")), r"is not a finite number"),
    (
        "empty-value-list",
        _condition("NumericEquals", []),
        r"NumericEquals: key '.*' has an empty list",
    ),
    (
        "key-without-service",
        _condition("NumericEquals", 1, "Period"),
        r"key 'Period' is not 'service:",
    ),
    (
        "bad-null-value",
        _condition("Null", "yes"),
        S0 + r"\.Condition\.Null: value 'yes' .* true or false",
    ),
]


@pytest.mark.parametrize(
    ("document", "message"),
    [pytest.param(doc, msg, id=name) for name, doc, msg in MALFORMED],
)
def test_malformed_document_is_a_value_error_naming_the_path(document: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy.from_document(document)


def test_second_statement_errors_name_its_index() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "*"},
            {"Effect": "Allow", "Action": "*", "Condition": {"NumericLessThan": {KEY: "abc"}}},
        ]
    }
    with pytest.raises(ValueError, match=r"^Statement\[1\]\.Condition\.NumericLessThan: "):
        Policy.from_document(document)


def test_supported_operators_are_the_numeric_family_their_if_exists_forms_and_null() -> None:
    assert set(SUPPORTED_OPERATORS) == {*ALL_NUMERIC_OPERATORS, "Null"}


# --- request context ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [True, "1800", None])
def test_context_values_must_be_int_or_float(bad: Any) -> None:
    with pytest.raises(TypeError, match="not an int or float"):
        Policy.from_document(GUIDE_POLICY).evaluate(ACTION, JOB_ARN, {KEY: bad})


def test_context_rejects_nan_and_keys_differing_only_in_case() -> None:
    policy = Policy.from_document(GUIDE_POLICY)
    with pytest.raises(ValueError, match="NaN"):
        policy.evaluate(ACTION, JOB_ARN, {KEY: float("nan")})
    with pytest.raises(ValueError, match="differ only in case"):
        policy.evaluate(ACTION, JOB_ARN, {KEY: 1, KEY.lower(): 2})


# --- the parsed object ----------------------------------------------------------------------


def test_policy_is_immutable_and_compares_by_content() -> None:
    policy = Policy.from_document(GUIDE_POLICY)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.statements = ()  # type: ignore[misc]
    assert Policy.from_document(json.dumps(GUIDE_POLICY)) == policy
    assert hash(Policy.from_document(GUIDE_POLICY)) == hash(policy)


def test_statement_and_condition_expose_their_parts() -> None:
    (statement,) = Policy.from_document(GUIDE_POLICY).statements
    assert statement.sid == "EnforceKeepAlivePeriodLimit"
    assert statement.effect == "Allow"
    assert statement.actions == (ACTION,)
    assert not statement.not_action
    (condition,) = statement.conditions
    assert (condition.operator, condition.key, condition.values) == (
        "NumericLessThanIfExists",
        KEY,
        (1800,),
    )
    assert condition.holds({KEY: 1799})
    assert not condition.holds({KEY: 1800})
    assert condition.holds({})
    assert statement.applies(ACTION, JOB_ARN, {KEY: 1})
