"""ACLs as code: the difference between the ACLs a deployment needs and the cluster's, applied.

The desired ACLs are derived above ``infra`` (from the partner registry and the runtime; see
``pentameter/acls_cli.py``); this module only compares them with what the cluster holds
(``describe_acls``) and brings the cluster in line (``create_acls`` for missing grants,
``delete_acls`` for every grant the desired set does not contain). It also creates missing SCRAM
credentials through the Admin API (``alter_user_scram_credentials``), and for a revoked principal
deletes every ACL naming it and its SCRAM credential at once (``revoke_principal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from infra.security import SCRAM_ITERATIONS, SUPER_USERS


@dataclass(frozen=True, order=True)
class Acl:
    """One grant: ``principal`` (``User:name``) may ``operation`` the resource (ALLOW only)."""

    principal: str
    resource_type: str  # TOPIC, GROUP, TRANSACTIONAL_ID, CLUSTER
    pattern_type: str  # LITERAL or PREFIXED
    resource_name: str
    operation: str  # READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE, ...
    permission: str = "ALLOW"
    host: str = "*"

    def describe(self) -> str:
        pattern = "" if self.pattern_type == "LITERAL" else f" ({self.pattern_type.lower()})"
        verb = "" if self.permission == "ALLOW" else f" [{self.permission}]"
        return (
            f"{self.principal} {self.operation}{verb} {self.resource_type.lower()} "
            f"{self.resource_name}{pattern}"
        )

    def binding(self) -> AclBinding:
        return AclBinding(
            ResourceType[self.resource_type],
            self.resource_name,
            ResourcePatternType[self.pattern_type],
            self.principal,
            self.host,
            AclOperation[self.operation],
            AclPermissionType[self.permission],
        )

    def exact_filter(self) -> AclBindingFilter:
        return AclBindingFilter(
            ResourceType[self.resource_type],
            self.resource_name,
            ResourcePatternType[self.pattern_type],
            self.principal,
            self.host,
            AclOperation[self.operation],
            AclPermissionType[self.permission],
        )


def user(name: str) -> str:
    """A Kafka principal string for SCRAM user ``name``."""
    return f"User:{name}"


@dataclass(frozen=True)
class AclPlan:
    """What ``apply`` would do: grants to create, grants to delete, SCRAM users to create."""

    create: tuple[Acl, ...]
    delete: tuple[Acl, ...]
    new_users: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.create or self.delete or self.new_users)


def _enum_name(value: object) -> str:
    return str(getattr(value, "name", value))


def from_binding(binding: AclBinding) -> Acl:
    """An ``Acl`` from what the Admin API returns."""
    return Acl(
        principal=binding.principal,
        resource_type=_enum_name(binding.restype),
        pattern_type=_enum_name(binding.resource_pattern_type),
        resource_name=binding.name,
        operation=_enum_name(binding.operation),
        permission=_enum_name(binding.permission_type),
        host=binding.host,
    )


def actual_acls(admin: AdminClient, timeout: float = 15.0) -> set[Acl]:
    """Every ACL the cluster holds."""
    anything: Any = None  # the Admin API's wildcard (its type stubs only say str)
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    bindings = admin.describe_acls(everything, request_timeout=timeout).result(timeout=timeout + 5)
    return {from_binding(b) for b in bindings}


def existing_scram_users(admin: AdminClient, timeout: float = 15.0) -> set[str]:
    """Users that have at least one SCRAM credential on the cluster."""
    # With no user list the Admin API returns a single future of {user: description}.
    future: Any = admin.describe_user_scram_credentials(request_timeout=timeout)
    result = future.result(timeout=timeout + 5)
    return {str(name) for name in result}


def diff(
    desired: Iterable[Acl], actual: Iterable[Acl], users: Iterable[str] = (), existing: Iterable[str] = ()
) -> AclPlan:
    """Grants to add, grants to remove (anything not desired), and SCRAM users to create."""
    want, have = set(desired), set(actual)
    have_users = set(existing)
    return AclPlan(
        create=tuple(sorted(want - have)),
        delete=tuple(sorted(have - want)),
        new_users=tuple(sorted(u for u in set(users) if u not in have_users)),
    )


def apply_plan(
    admin: AdminClient, plan: AclPlan, passwords: Mapping[str, str], timeout: float = 30.0
) -> None:
    """Create the missing SCRAM users and grants, then delete the grants no longer wanted."""
    if plan.new_users:
        upserts: list[UserScramCredentialAlteration] = [
            UserScramCredentialUpsertion(
                name,
                ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                passwords[name].encode(),
            )
            for name in plan.new_users
        ]
        for future in admin.alter_user_scram_credentials(upserts, request_timeout=timeout).values():
            future.result(timeout=timeout + 5)
    if plan.create:
        for future in admin.create_acls([a.binding() for a in plan.create], request_timeout=timeout).values():
            future.result(timeout=timeout + 5)
    if plan.delete:
        filters = [a.exact_filter() for a in plan.delete]
        for future in admin.delete_acls(filters, request_timeout=timeout).values():
            future.result(timeout=timeout + 5)


def delete_acls(admin: AdminClient, acls: list[Acl], timeout: float = 30.0) -> list[Acl]:
    """Delete exactly these grants; returns those the cluster held (so a second call returns none)."""
    if not acls:
        return []
    filters = [a.exact_filter() for a in acls]
    removed: list[Acl] = []
    for future in admin.delete_acls(filters, request_timeout=timeout).values():
        removed += [from_binding(b) for b in future.result(timeout=timeout + 5)]
    return sorted(set(removed))


def revoke_principal(admin: AdminClient, name: str, timeout: float = 30.0) -> tuple[list[Acl], bool]:
    """Delete every ACL granted to user ``name`` and its SCRAM credential, through the Admin API.

    Returns the ACLs removed and whether a credential was deleted; a second call finds nothing and
    changes nothing. From then on the broker refuses the user's authentication, and its open
    connections are refused every request at once (ACLs are checked per request).
    """
    if name in SUPER_USERS:
        raise ValueError(f"{name!r} is a super user of the cluster and cannot be revoked this way")
    removed = sorted(a for a in actual_acls(admin, timeout) if a.principal == user(name))
    if removed:
        filters = [a.exact_filter() for a in removed]
        for future in admin.delete_acls(filters, request_timeout=timeout).values():
            future.result(timeout=timeout + 5)
    deleted = False
    if name in existing_scram_users(admin, timeout):
        deletion: list[UserScramCredentialAlteration] = [
            UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)
        ]
        for future in admin.alter_user_scram_credentials(deletion, request_timeout=timeout).values():
            future.result(timeout=timeout + 5)
        deleted = True
    return removed, deleted
