"""Assemble the router's parts from the environment: catalogue, keys, policy engine, admission.

Kept apart from the router so tests, the demo, the benchmark and the command line build exactly
the same thing, and so the router module itself stays free of configuration concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from consumers.admission import Admission
from consumers.decisions import Decider
from consumers.governance_io import publish_catalogue
from consumers.metrics import RouterMetrics
from consumers.revocation import RevocationStore
from consumers.router import Router, RouterSettings
from infra.connection import client_config
from infra.keys import ROUTER_IDENTITY as ROUTER_IDENTITY  # the router signs as this identity
from infra.keys import KeyStore
from infra.settings import Settings, load_settings
from infra.topic_plan import partner_retention_ms
from infra.topics import (
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    GOVERNANCE_TOPIC,
    TopicSpec,
    governance_spec,
    partner_governance_topic,
    shared_topics,
)
from policies.crypto import X25519FieldEncryptor
from policies.engine import PolicyEngine
from policies.pseudonyms import PseudonymSecrets
from schemas.catalogue import Catalogue, load_catalogue
from schemas.provenance import Signer, Verifier
from schemas.wire import Codec


@dataclass
class Runtime:
    """Everything a router worker (or a test standing in for one) needs."""

    settings: Settings
    keys: KeyStore
    catalogue: Catalogue
    engine: PolicyEngine
    client: dict[str, Any]

    def topic(self, name: str) -> str:
        """A topic name as deployed: the registry's name with the environment's prefix."""
        return self.settings.topic(name)

    @property
    def ingress_topics(self) -> dict[str, str]:
        """Ingress topic (as deployed) -> agency id."""
        return {self.topic(t): agency for t, agency in self.engine.registry.ingress_agencies().items()}

    @property
    def partner_topics(self) -> dict[str, str]:
        """Partner id -> its topic (as deployed), revoked partners included."""
        return {p: self.topic(t) for p, t in self.engine.registry.partner_topics().items()}

    @property
    def partner_governance_topics(self) -> dict[str, str]:
        """Partner id -> the topic (as deployed) of its own projection schemas."""
        return {p: self.topic(partner_governance_topic(p)) for p in self.engine.registry.partner_topics()}

    @property
    def revoked(self) -> frozenset[str]:
        """Partners whose access was revoked: routing denies them, ACLs never grant them."""
        return self.engine.revoked

    def as_principal(self, client: dict[str, Any]) -> Runtime:
        """The same deployment with another client identity (the secure demo's components)."""
        return replace(self, client=client)

    def decider(self) -> Decider:
        verifier = Verifier(self.keys.signing_key_lookup())
        admission = Admission(self.ingress_topics, verifier, Codec(self.catalogue))
        return Decider(admission, self.engine, Codec(self.catalogue), self.topic)

    def router_settings(self, **overrides: Any) -> RouterSettings:
        """Router settings for this deployment: group, transactional ids and shared topics carry
        the topic prefix, so environments sharing a cluster never fence or consume each other."""
        values: dict[str, Any] = {
            "group_id": self.topic(RouterSettings.group_id),
            "audit_topic": self.topic(AUDIT_TOPIC),
            "dead_letter_topic": self.topic(DEAD_LETTER_TOPIC),
        }
        values.update(overrides)
        return RouterSettings(**values)

    def router(self, settings: RouterSettings | None = None, metrics: RouterMetrics | None = None) -> Router:
        signer = Signer(ROUTER_IDENTITY, self.keys.signing_key(ROUTER_IDENTITY))
        settings = settings or self.router_settings()
        return Router(
            self.client, sorted(self.ingress_topics), self.decider(), signer, settings, metrics=metrics
        )

    def publish_governance(self) -> int:
        """Publish the catalogue to the governance topics: event schemas to the shared one, each
        partner's projections to its own (``consumers.governance_io``); how many messages."""
        return publish_catalogue(
            self.client, self.catalogue, self.topic(GOVERNANCE_TOPIC), self.partner_governance_topics
        )

    def topic_specs(self) -> list[TopicSpec]:
        """Every topic the pipeline needs: ingress per agency, one per partner, and the shared ones."""
        specs = [TopicSpec(topic) for topic in sorted(self.ingress_topics)]
        retention = partner_retention_ms(self.engine.agreements)
        specs += [
            TopicSpec(topic, config={"retention.ms": str(retention[p])} if p in retention else {})
            for p, topic in sorted(self.partner_topics.items(), key=lambda item: item[1])
        ]
        specs += [governance_spec(t) for _, t in sorted(self.partner_governance_topics.items())]
        return specs + [replace(s, name=self.topic(s.name)) for s in shared_topics()]


def build_runtime(
    settings: Settings | None = None,
    agreements_dir: Path | None = None,
    registry_path: Path | None = None,
    **client_overrides: Any,
) -> Runtime:
    """Load and validate everything from the repository and the key store."""
    settings = settings or load_settings()
    keys = KeyStore(settings.home / "keys")
    catalogue = load_catalogue()
    engine = PolicyEngine.load(
        catalogue,
        agreements_dir,
        registry_path,
        secrets=PseudonymSecrets(keys.pseudonym_secret()),
        encryptor=X25519FieldEncryptor(public_key_for=keys.partner_public_key),
        revoked_source=RevocationStore.under(settings.home).watch(),
    )
    return Runtime(settings, keys, catalogue, engine, client_config(settings, **client_overrides))
