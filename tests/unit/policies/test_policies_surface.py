"""The package's public surface is deliberate: pinned here, sorted, importable, and the package
imports nothing of Pentameter but schemas."""

from __future__ import annotations

import policies

EXPECTED = [
    "GUARD_RAILS",
    "Agency",
    "Agreement",
    "AgreementError",
    "CryptoError",
    "DecryptionError",
    "Delivery",
    "Denial",
    "EncryptionError",
    "FieldDecision",
    "FieldEncryptor",
    "GuardRail",
    "GuardRailViolation",
    "InMemoryKeyRing",
    "Partner",
    "PartnerKind",
    "Plan",
    "PlanError",
    "PoliciesError",
    "PolicyEngine",
    "Problem",
    "PseudonymError",
    "PseudonymSecrets",
    "Regime",
    "Registry",
    "RegistryError",
    "Routing",
    "UnknownPartner",
    "X25519FieldEncryptor",
    "key_id_of",
    "load_agreements",
    "load_registry",
]


def test_public_surface_is_pinned() -> None:
    assert policies.__all__ == EXPECTED
    for name in policies.__all__:
        assert getattr(policies, name) is not None


def test_every_exception_derives_from_the_base() -> None:
    for name in (
        "AgreementError",
        "CryptoError",
        "DecryptionError",
        "EncryptionError",
        "GuardRailViolation",
        "PlanError",
        "PseudonymError",
        "RegistryError",
        "UnknownPartner",
    ):
        assert issubclass(getattr(policies, name), policies.PoliciesError)
