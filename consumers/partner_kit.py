"""A partner's kit: everything a partner's machine holds to read its records, and nothing more.

The operator writes it once per partner (``pentameter partner kit``); the partner SDK
(:class:`consumers.partner_client.PartnerClient`) reads nothing else. A kit is a directory:

    partner.json        partner id, its topic, its governance topic, its consumer group
    client.properties   Kafka client settings as the partner's principal (``key=value`` lines,
                        librdkafka names; read_committed), secrets included: the file is 0600
    keys/               a key store with the partner's own decryption keys and the router's
                        public signing keys (``infra.keys.KeyStore.export_partner``)

No agreement, no pseudonym secret, no private key of the router's or of any other partner is in
it, so a partner's process cannot open what is not its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consumers.exceptions import KitError
from infra.keys import ROUTER_IDENTITY, KeyStore
from infra.properties import PropertiesError, read_properties, write_properties
from infra.settings import Settings
from infra.topics import partner_governance_topic
from policies.registry import load_registry

KIT_FORMAT = "pentameter.partner-kit/1"
MANIFEST = "partner.json"
CLIENT_PROPERTIES = "client.properties"
KEYS = "keys"


@dataclass(frozen=True)
class PartnerKit:
    """A kit as read from its directory."""

    directory: Path
    partner: str
    topic: str
    governance_topic: str
    group: str
    client: dict[str, str]

    @property
    def keys(self) -> KeyStore:
        """The partner's own key store (its decryption keys, the router's public keys)."""
        return KeyStore(self.directory / KEYS)

    @classmethod
    def load(cls, directory: Path) -> PartnerKit:
        """Read a kit, checking that every part is there."""
        manifest_path = directory / MANIFEST
        if not manifest_path.is_file():
            raise KitError(f"{manifest_path}: no such file; is {directory} a kit (`pentameter partner kit`)?")
        try:
            manifest = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as exc:
            raise KitError(f"{manifest_path}:{exc.lineno}: not JSON: {exc.msg}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != KIT_FORMAT:
            raise KitError(f"{manifest_path}: not a {KIT_FORMAT} manifest")
        missing = [k for k in ("partner", "topic", "governance_topic", "group") if not manifest.get(k)]
        if missing:
            raise KitError(f"{manifest_path}: missing {', '.join(missing)}")
        if not (directory / KEYS).is_dir():
            raise KitError(f"{directory / KEYS}: no key store in the kit")
        return cls(
            directory,
            str(manifest["partner"]),
            str(manifest["topic"]),
            str(manifest["governance_topic"]),
            str(manifest["group"]),
            _client_properties(directory / CLIENT_PROPERTIES),
        )


def _client_properties(path: Path) -> dict[str, str]:
    try:
        settings = read_properties(path)
    except PropertiesError as exc:
        raise KitError(str(exc)) from None
    if "bootstrap.servers" not in settings:
        raise KitError(f"{path}: no bootstrap.servers")
    return settings


def write_kit(
    directory: Path,
    *,
    partner: str,
    topic: str,
    governance_topic: str,
    group: str,
    client: Mapping[str, Any],
    store: KeyStore,
    trusted: tuple[str, ...],
) -> PartnerKit:
    """Write ``partner``'s kit into ``directory`` (created 0700; an earlier kit there is replaced)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    manifest = {
        "format": KIT_FORMAT,
        "partner": partner,
        "topic": topic,
        "governance_topic": governance_topic,
        "group": group,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    settings = {
        k: str(v).lower() if isinstance(v, bool) else v
        for k, v in client.items()
        if isinstance(v, str | int | float)  # callbacks are the caller's, not the partner's
    }
    settings["isolation.level"] = "read_committed"
    write_properties(directory / CLIENT_PROPERTIES, settings, f"Kafka client settings of partner {partner}")
    store.export_partner(partner, directory / KEYS, trusted)
    return PartnerKit.load(directory)


def default_kit_dir(settings: Settings, partner: str) -> Path:
    """Where a deployment keeps ``partner``'s kit."""
    return settings.home / "partners" / partner / "kit"


def deployment_kit(
    settings: Settings, partner: str, directory: Path, client: Mapping[str, Any]
) -> PartnerKit:
    """Write ``partner``'s kit from this deployment's registry and key store (the operator's side).
    Raises KitError for a partner the registry does not name, KeyRevoked for a revoked one."""
    topics = load_registry().partner_topics()
    if partner not in topics:
        raise KitError(f"unknown partner {partner!r}; known: {', '.join(sorted(topics))}")
    prefix = settings.topic_prefix
    return write_kit(
        directory,
        partner=partner,
        topic=prefix + topics[partner],
        governance_topic=prefix + partner_governance_topic(partner),
        group=f"{prefix}pentameter-partner-{partner}",
        client=client,
        store=KeyStore(settings.home / "keys"),
        trusted=(ROUTER_IDENTITY,),
    )
