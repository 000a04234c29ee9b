"""The partner's one front door: read your records with your kit and nothing else.

    from consumers.partner_client import PartnerClient

    client = PartnerClient.from_kit(Path("kit"))
    with client.consumer() as consumer:
        for item in consumer.records(idle_timeout=5):
            ...  # a PartnerRecord (checked, opened) or a RejectedRecord (why)

From the kit (:mod:`consumers.partner_kit`) the client takes the partner's connection settings,
its decryption keys and the router's public keys; from the partner's own governance topic it
takes the projection schemas of its records (read again when a record names a newer one). It never
loads agreements, the router's key store or the pseudonym secret: a partner's machine holds none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from consumers.governance_io import fetch_catalogue
from consumers.partner import START_STORED, PartnerConsumer, PartnerReader, Start
from consumers.partner_kit import PartnerKit
from consumers.partner_state import SeenEvents
from infra.keys import ROUTER_IDENTITY, KeyStore
from policies.crypto import X25519FieldEncryptor
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.exceptions import CatalogueError


def encrypted_paths(entry: SchemaEntry) -> tuple[str, ...]:
    """Paths of a projection whose values are ciphertext for the partner (its bytes fields)."""
    return tuple(f.path for f in entry.leaf_fields if f.avro_type.startswith("bytes"))


def reader_with_keys(
    partner: str, catalogue: Catalogue, keys: KeyStore, refresh: Callable[[], object] | None = None
) -> PartnerReader:
    """A reader opening ``partner``'s fields with its keys in ``keys`` and trusting the router's
    public keys there (read again on a miss: a rotated router key)."""
    encryptor = X25519FieldEncryptor(private_key_for=lambda key_id: keys.partner_private_key(partner, key_id))

    def opener(event_id: str, path: str, ciphertext: bytes) -> bytes:
        return encryptor.decrypt(partner, event_id, path, ciphertext)

    return PartnerReader(
        partner, catalogue, keys.signing_key_lookup([ROUTER_IDENTITY]), opener, encrypted_paths, refresh
    )


class PartnerClient:
    """A partner's reader and consumers, built from its kit."""

    def __init__(self, kit: PartnerKit, **client_overrides: Any) -> None:
        self.kit = kit
        self.partner = kit.partner
        self.client: dict[str, Any] = {**kit.client, **client_overrides}
        self.catalogue = Catalogue([])
        self.refresh_schemas()

    @classmethod
    def from_kit(cls, directory: Path, **client_overrides: Any) -> PartnerClient:
        return cls(PartnerKit.load(directory), **client_overrides)

    def refresh_schemas(self) -> int:
        """Add the schemas on the partner's governance topic that this client lacks; how many."""
        added = 0
        for entry in fetch_catalogue(self.client, self.kit.governance_topic):
            try:
                self.catalogue.by_fingerprint(entry.fingerprint)
            except CatalogueError:
                self.catalogue.add(entry)
                added += 1
        return added

    def reader(self) -> PartnerReader:
        """Verifies, decodes and opens one record at a time (no Kafka I/O of its own)."""
        return reader_with_keys(self.partner, self.catalogue, self.kit.keys, refresh=self.refresh_schemas)

    def consumer(
        self,
        *,
        group: str | None = None,
        start: Start = START_STORED,
        seen: SeenEvents | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> PartnerConsumer:
        """A consumer of the partner's topic that commits only what the caller handled (see
        :class:`consumers.partner.PartnerConsumer`); ``group`` defaults to the kit's."""
        return PartnerConsumer(
            self.client,
            self.kit.topic,
            self.reader(),
            group_id=group or self.kit.group,
            start=start,
            seen=seen,
            before_commit=before_commit,
        )
