"""The package's public surface is deliberate: pinned here, sorted, importable, and the package
imports nothing of Pentameter but schemas."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_policies_imports_only_schemas_of_pentameter() -> None:
    root = Path(policies.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top not in ("producers", "consumers", "infra", "pentameter"), f"{path.name} imports {top}"


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
    assert name in (policies.exceptions.__doc__ or "")
