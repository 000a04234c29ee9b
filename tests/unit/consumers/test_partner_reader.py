"""The partner SDK opens only its own encrypted fields and refuses records without router proof."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.partner import PartnerReader, PartnerRecord, RejectedRecord
from consumers.partner_client import encrypted_paths
from policies import InMemoryKeyRing, PolicyEngine, PseudonymSecrets
from producers.generator import generate
from schemas.catalogue import Catalogue, load_catalogue
from schemas.provenance import Signer
from schemas.validation import validate
from schemas.wire import Codec

ROUTER = Signer("router", Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def setup() -> tuple[Catalogue, InMemoryKeyRing, Any]:
    """A delivery that carries a field encrypted for its partner, found in a generated scenario."""
    catalogue = load_catalogue()
    ring = InMemoryKeyRing()
    engine = PolicyEngine.load(
        catalogue, secrets=PseudonymSecrets(bytes(32)), encryptor=ring.encryptor(), today=date(2026, 6, 1)
    )
    scenario = generate("pentameter2", seed=3, scale=0.2)
    for file in scenario.lines:
        if file.endswith(".json"):
            continue
        for raw in scenario.good_records(file):
            record = validate(raw)
            for delivery in engine.route(record["envelope"]["event_type"], record).deliveries:
                if isinstance(delivery.record.get("victim", {}).get("phone"), bytes):
                    return catalogue, ring, delivery
    pytest.fail("the scenario has no victim phone encrypted for any partner")


def _read(catalogue: Catalogue, ring: InMemoryKeyRing, delivery: Any, as_partner: str) -> Any:
    value = Codec(catalogue).encode(catalogue.by_fingerprint(delivery.schema_fingerprint), delivery.record)
    headers = ROUTER.seal([(b"case", value)])[0]
    encryptor = ring.partner_encryptor(as_partner)

    def opener(event_id: str, path: str, ciphertext: bytes) -> bytes:
        return encryptor.decrypt(delivery.partner, event_id, path, ciphertext)

    trusted = {ROUTER.key_id: ROUTER.private_key.public_key()}
    reader = PartnerReader(delivery.partner, catalogue, trusted.get, opener, encrypted_paths)
    return reader.read("topic", 0, 7, b"case", value, headers), value


def test_partner_opens_its_own_field(setup: tuple[Catalogue, InMemoryKeyRing, Any]) -> None:
    catalogue, ring, delivery = setup
    result, _ = _read(catalogue, ring, delivery, delivery.partner)
    assert isinstance(result, PartnerRecord)
    assert "victim.phone" in result.opened
    assert isinstance(result.record["victim"]["phone"], str) and result.record["victim"]["phone"]
    assert result.review_date == delivery.record["envelope"]["review_date"]


def test_another_partners_key_does_not_open_it(setup: tuple[Catalogue, InMemoryKeyRing, Any]) -> None:
    catalogue, ring, delivery = setup
    other = "ngo.poppy" if delivery.partner != "ngo.poppy" else "sca"
    ring.public_key(other)
    result, _ = _read(catalogue, ring, delivery, other)
    assert isinstance(result, PartnerRecord)
    assert "victim.phone" in result.unopened and not result.opened
    assert isinstance(result.record["victim"]["phone"], bytes)


def test_record_without_router_proof_is_refused(setup: tuple[Catalogue, InMemoryKeyRing, Any]) -> None:
    catalogue, ring, delivery = setup
    _, value = _read(catalogue, ring, delivery, delivery.partner)
    reader = PartnerReader(delivery.partner, catalogue, {}.get, None, encrypted_paths)
    refused = reader.read("topic", 0, 1, b"case", value, ROUTER.seal([(b"case", value)])[0])
    assert isinstance(refused, RejectedRecord) and "provenance" in refused.reason
