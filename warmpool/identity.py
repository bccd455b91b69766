"""The identity key: which fields must be equal for a warm pool to move to a new job (D2).

Two jobs match if and only if their keys are equal. The key is built from a *validated*
``CreateTrainingJob`` request and normalised so that equal configurations compare equal:

=================================================  ==========================================
field                                              normalisation
=================================================  ==========================================
``RoleArn``                                        exact string
``ResourceConfig.InstanceType``                    exact string
``ResourceConfig.InstanceCount``                   int
``ResourceConfig.VolumeSizeInGB``                  int; absent is ``None``
``ResourceConfig.VolumeKmsKeyId``                  exact string; absent is ``None``
``VpcConfig.SecurityGroupIds``                     set (order, duplicates ignored); no VPC: None
``VpcConfig.Subnets``                              set; no ``VpcConfig`` is ``None``
``EnableInterContainerTrafficEncryption``          bool; absent is ``False``
``EnableNetworkIsolation``                         bool; absent is ``False``
``SessionChainingConfig.EnableSessionTagChaining``  bool; absent is ``False``
=================================================  ==========================================

Everything else (name, hyperparameters, image, keep-alive, stopping condition, tags,
environment) is not part of the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["FIELD_PATHS", "IdentityKey", "identity_key"]


class IdentityKey(NamedTuple):
    """The normalised matching fields of one training job. Hashable; equal keys match."""

    role_arn: str
    instance_type: str | None
    instance_count: int | None
    volume_size_in_gb: int | None
    volume_kms_key_id: str | None
    security_group_ids: frozenset[str] | None
    subnets: frozenset[str] | None
    enable_inter_container_traffic_encryption: bool
    enable_network_isolation: bool
    enable_session_tag_chaining: bool

    def differences(self, other: IdentityKey) -> tuple[str, ...]:
        """The request paths of the fields on which two keys differ (empty if they match).

        >>> a = identity_key({
        ...     "RoleArn": "arn:aws:iam::123456789012:role/R",
        ...     "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        ... })
        >>> b = a._replace(instance_count=2, enable_network_isolation=True)
        >>> a.differences(b)
        ('ResourceConfig.InstanceCount', 'EnableNetworkIsolation')
        """
        return tuple(
            path
            for path, mine, theirs in zip(FIELD_PATHS, self, other, strict=True)
            if mine != theirs
        )


#: The request path of each key field, in key order.
FIELD_PATHS: tuple[str, ...] = (
    "RoleArn",
    "ResourceConfig.InstanceType",
    "ResourceConfig.InstanceCount",
    "ResourceConfig.VolumeSizeInGB",
    "ResourceConfig.VolumeKmsKeyId",
    "VpcConfig.SecurityGroupIds",
    "VpcConfig.Subnets",
    "EnableInterContainerTrafficEncryption",
    "EnableNetworkIsolation",
    "SessionChainingConfig.EnableSessionTagChaining",
)

_EMPTY: Mapping[str, Any] = {}


def identity_key(request: Mapping[str, Any]) -> IdentityKey:
    """Build the normalised identity key of a ``CreateTrainingJob`` request.

    >>> k1 = identity_key({"RoleArn": "arn:aws:iam::123456789012:role/R",
    ...     "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    ...     "VpcConfig": {"SecurityGroupIds": ["sg-2", "sg-1"], "Subnets": ["subnet-1"]}})
    >>> k2 = identity_key({"RoleArn": "arn:aws:iam::123456789012:role/R",
    ...     "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    ...     "VpcConfig": {"SecurityGroupIds": ["sg-1", "sg-2", "sg-1"], "Subnets": ["subnet-1"]},
    ...     "EnableNetworkIsolation": False})
    >>> k1 == k2
    True
    """
    resource = request.get("ResourceConfig") or _EMPTY
    vpc = request.get("VpcConfig")
    if vpc is None:
        groups: frozenset[str] | None = None
        subnets: frozenset[str] | None = None
    else:
        groups = frozenset(vpc.get("SecurityGroupIds") or ())
        subnets = frozenset(vpc.get("Subnets") or ())
    chaining = request.get("SessionChainingConfig") or _EMPTY
    count = resource.get("InstanceCount")
    size = resource.get("VolumeSizeInGB")
    return IdentityKey(
        request["RoleArn"],
        resource.get("InstanceType"),
        None if count is None else int(count),
        None if size is None else int(size),
        resource.get("VolumeKmsKeyId"),
        groups,
        subnets,
        bool(request.get("EnableInterContainerTrafficEncryption", False)),
        bool(request.get("EnableNetworkIsolation", False)),
        bool(chaining.get("EnableSessionTagChaining", False)),
    )
