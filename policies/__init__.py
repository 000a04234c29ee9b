"""Pentameter's data-sharing agreements as code, and the engine that enforces them.

The path of one event through this package::

    decoded record --engine.route(event_type, record)--> Routing
        facts (child? consent? handling code?) read once
        for every partner in the registry: its Plan (compiled from its agreement) -> Delivery
        (projected record + typed projection schema + released/withheld fields) or Denial (rule id)

Modules, one job each: ``registry`` (who publishes and receives), ``yamlsource`` (YAML with
line numbers), ``agreements`` (the agreement model, loading and validation), ``conditions``
(``when`` clauses), ``transforms`` (keep/drop/mask/generalise/pseudonymise/encrypt),
``pseudonyms`` (keyed tokens), ``crypto`` (field encryption to a partner's X25519 key),
``guardrails`` (rules no agreement can override, with rule ids), ``facts`` (per-event facts the
guard rails read), ``projection`` (the partner's Avro schema), ``operations`` (what one field
becomes), ``compiler`` (plans: generated per-record builders), ``collect`` and ``scrub``
(rule 11: gather withheld strings, redact them from free text), ``engine`` (routing),
``results`` (Delivery, Denial, Routing), ``paths``/``schemainfo`` (field paths and types),
``report`` and ``cli`` (``pentameter policy``), ``bench`` (``pentameter bench policy``).

This package imports only :mod:`schemas` and third-party libraries.
"""

from policies.agreements import Agreement, load_agreements
from policies.compiler import FieldDecision, Plan
from policies.crypto import FieldEncryptor, InMemoryKeyRing, X25519FieldEncryptor, key_id_of
from policies.engine import PolicyEngine
from policies.exceptions import (
    AgreementError,
    CryptoError,
    DecryptionError,
    EncryptionError,
    GuardRailViolation,
    PlanError,
    PoliciesError,
    Problem,
    PseudonymError,
    RegistryError,
    UnknownPartner,
)
from policies.guardrails import GUARD_RAILS, GuardRail
from policies.pseudonyms import PseudonymSecrets
from policies.registry import Agency, Partner, PartnerKind, Regime, Registry, load_registry
from policies.results import Delivery, Denial, Routing

__all__ = [
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
