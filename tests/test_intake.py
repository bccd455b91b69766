"""Request intake: any member name, subclasses turned into plain values at the door, and the
cache of configurations that must never change a verdict (behaviour §9, D15, D16, D35)."""

from __future__ import annotations

import collections
import enum
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import INSTANCE_TYPE, describe, emulator, request
from warmpool import WarmPoolEmulator, errors
from warmpool.emulator import OPERATIONS
from warmpool.intake import plain


class Count(enum.IntEnum):
    ONE = 1
    TWO = 2
    ZERO = 0


class Tag(str):
    """A str subclass that would print itself differently."""

    def __str__(self) -> str:
        return "<tag>"


class Frozen(Mapping[str, Any]):
    """A read-only mapping that is not a dict."""

    def __init__(self, **items: Any) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Broken(Mapping[str, Any]):
    """A mapping whose every read raises."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("broken mapping")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("broken mapping")

    def __len__(self) -> int:
        return 1


def _first_argument(operation: str) -> dict[str, Any]:
    if operation == "CreateTrainingJob":
        return request("job-x")
    if operation == "ListTrainingJobs":
        return {}
    arn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1"
    if operation == "AddTags":
        return {"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "ml"}]}
    if operation == "ListTags":
        return {"ResourceArn": arn}
    if operation == "DeleteTags":
        return {"ResourceArn": arn, "TagKeys": ["team"]}
    return {"TrainingJobName": "job-1"}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("member", ["self", "request", "operation", "Bogus"])
def test_any_member_name_is_a_validation_exception_naming_it(operation: str, member: str) -> None:
    """§9 / D35: a member the operation does not have is a ValidationException naming it, whatever
    its name (even the method's own parameter names), and nothing changes."""
    emu = emulator()
    emu.create_training_job(**request("job-1"))
    before = (emu.job_names(), len(emu.events), emu.now)
    kwargs = {**_first_argument(operation), member: 1}
    with pytest.raises(errors.ValidationException) as caught:
        getattr(emu, OPERATIONS[operation])(**kwargs)
    assert caught.value.field == member
    assert f"Unknown parameter '{member}'" in caught.value.message
    assert (emu.job_names(), len(emu.events), emu.now) == before


def test_subclass_values_are_accepted_as_their_plain_values() -> None:
    """§9 / D35: an IntEnum count, a str subclass in HyperParameters, a Mapping and a tuple
    are taken as the plain values they stand for; the job matches a plain job's pool."""
    emu = emulator()
    emu.create_training_job(
        **request("plain", VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"]})
    )
    emu.advance(180 + 600)
    odd = request(
        "odd",
        HyperParameters={Tag("epochs"): Tag("5")},
        VpcConfig=Frozen(SecurityGroupIds=("sg-1",), Subnets=collections.UserList(["s-1"])),
    )
    odd["ResourceConfig"] = collections.OrderedDict(
        InstanceType=Tag(INSTANCE_TYPE),
        InstanceCount=Count.ONE,
        VolumeSizeInGB=50,
        KeepAlivePeriodInSeconds=Count.TWO,
    )
    with pytest.raises(errors.ValidationException) as caught:
        emu.create_training_job(**odd)  # a UserList is not a list: refused, nothing changes
    assert caught.value.field == "VpcConfig.Subnets"
    odd["VpcConfig"] = Frozen(SecurityGroupIds=("sg-1",), Subnets=["s-1"])
    emu.create_training_job(**odd)
    job = describe(emu, "odd")
    assert job["HyperParameters"] == {"epochs": "5"}
    assert type(next(iter(job["HyperParameters"]))) is str
    assert job["ResourceConfig"]["InstanceCount"] == 1
    assert type(job["ResourceConfig"]["InstanceCount"]) is int
    assert job["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 2
    assert job["VpcConfig"] == {"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"]}
    assert job["WarmPoolStatus"] == {"Status": "InUse"}  # took over the plain job's pool
    assert describe(emu, "plain")["WarmPoolStatus"]["ReusedByJob"] == "odd"


def test_subclass_values_outside_the_rules_are_refused_with_their_plain_value() -> None:
    """§9: an IntEnum below the minimum is refused like the plain int it stands for."""
    emu = emulator()
    bad = request("bad")
    bad["ResourceConfig"]["InstanceCount"] = Count.ZERO
    with pytest.raises(errors.ValidationException) as caught:
        emu.create_training_job(**bad)
    assert caught.value.field == "ResourceConfig.InstanceCount"
    assert "Value '0'" in caught.value.message
    assert emu.job_names() == []


def test_a_mapping_that_cannot_be_read_is_a_validation_exception() -> None:
    """§9: a request member that raises when read is refused, not a crash."""
    emu = emulator()
    with pytest.raises(errors.ValidationException):
        emu.create_training_job(**request("bad", VpcConfig=Broken()))
    with pytest.raises(errors.ValidationException):
        emu.create_training_job(**request("bad", HyperParameters=Broken()))
    with pytest.raises(errors.ValidationException):
        emu.list_training_jobs(NameContains=Broken())
    assert emu.job_names() == []


def test_plain_turns_containers_and_scalars_into_json_types() -> None:
    """The door: exact dict, list, str, int, float, bool; other values left to the validator."""
    value = plain(
        Frozen(a=(Count.ONE, Tag("x"), 1.5, True, None), b=collections.OrderedDict(c=[b"raw"]))
    )
    assert value == {"a": [1, "x", 1.5, True, None], "b": {"c": [b"raw"]}}
    assert type(value["a"][0]) is int and type(value["a"][1]) is str
    assert type(value["b"]) is dict


def test_later_changes_to_a_request_do_not_reach_the_emulator() -> None:
    """§9: what the emulator keeps is a private copy, also on the cached path."""
    emu = emulator()
    first = request("job-1", HyperParameters={"lr": "0.1"})
    emu.create_training_job(**first)
    second = request("job-2", HyperParameters={"lr": "0.2"}, Tags=[{"Key": "k", "Value": "v"}])
    emu.create_training_job(**second)  # same configuration: the remembered verdict
    second["HyperParameters"]["lr"] = "changed"
    second["ResourceConfig"]["InstanceCount"] = 99
    first["OutputDataConfig"]["S3OutputPath"] = "s3://changed"
    assert describe(emu, "job-2")["HyperParameters"] == {"lr": "0.2"}
    assert describe(emu, "job-2")["ResourceConfig"]["InstanceCount"] == 1
    assert describe(emu, "job-1")["OutputDataConfig"]["S3OutputPath"] == "s3://bucket/output"


def test_true_and_1_are_different_configurations() -> None:
    """D16: a remembered configuration with EnableNetworkIsolation=True does not make 1 valid
    (the cache key tells True from 1)."""
    emu = emulator()
    emu.create_training_job(**request("job-1", EnableNetworkIsolation=True))
    with pytest.raises(errors.ValidationException) as caught:
        emu.create_training_job(**request("job-2", EnableNetworkIsolation=1))
    assert caught.value.field == "EnableNetworkIsolation"


# -- the cache of configurations never changes a verdict ---------------------------------------

_NAMES = st.sampled_from(["job-a", "job-b", "bad_name", "", "x" * 64, "job-c"])
_HYPERPARAMETERS = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["lr", "epochs", "", "k" * 257]),
        st.sampled_from(["0.1", "", "v" * 2501, "line\nbreak"]),
        max_size=3,
    ),
    st.just({"lr": 1}),
)
_KEEP_ALIVES = st.sampled_from([None, 0, 60, 3600, 3601, -1, True, 1.0])
_COUNTS = st.sampled_from([1, 2, 0, True, "1"])


@st.composite
def _requests(draw: st.DrawFn) -> dict[str, Any]:
    body = request(draw(_NAMES), keep_alive=None)
    body["ResourceConfig"]["InstanceCount"] = draw(_COUNTS)
    keep_alive = draw(_KEEP_ALIVES)
    if keep_alive is not None:
        body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
    hyperparameters = draw(_HYPERPARAMETERS)
    if hyperparameters is not None:
        body["HyperParameters"] = hyperparameters
    if draw(st.booleans()):
        body["Tags"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"Key": st.sampled_from(["team", "", "a" * 129]), "Value": st.just("x")}
                ),
                max_size=2,
            )
        )
    return body


def _outcome(emu: WarmPoolEmulator, body: dict[str, Any]) -> tuple[str, str | None]:
    try:
        emu.create_training_job(**body)
    except errors.WarmPoolError as error:
        return error.code, error.message
    return "ok", None


@given(st.lists(_requests(), min_size=1, max_size=12))
def test_remembered_configurations_never_change_a_verdict(bodies: list[dict[str, Any]]) -> None:
    """§9 / D35: each request gets the same answer from an emulator that has seen the earlier
    ones (whose configurations it remembers) as from a new emulator that has seen only the
    jobs it accepted (the same names exist in both)."""
    seasoned = WarmPoolEmulator()
    for body in bodies:
        fresh = WarmPoolEmulator()
        for name in seasoned.job_names():  # the same names taken, with a plain configuration
            fresh.create_training_job(**request(name))
        assert _outcome(seasoned, body) == _outcome(fresh, body)
