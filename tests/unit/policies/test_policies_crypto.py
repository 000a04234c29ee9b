"""Field encryption: only the right partner's key opens a value, and only for the event and
field it was sealed for."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import (
    DecryptionError,
    Delivery,
    EncryptionError,
    InMemoryKeyRing,
    PolicyEngine,
    PseudonymSecrets,
    X25519FieldEncryptor,
)
from policies.crypto import key_id_of
from schemas.catalogue import load_catalogue
from schemas.samples import sample
from tests.unit.policies.conftest import TODAY

RING = InMemoryKeyRing()


@settings(max_examples=25, deadline=None)
@given(
    plaintext=st.binary(max_size=200),
    event=st.uuids(),
    field=st.sampled_from(["victim.phone", "people[0].name"]),
)
def test_sealed_values_open_for_their_partner_only(plaintext: bytes, event: object, field: str) -> None:
    sealer = RING.encryptor()
    sealed = sealer.encrypt("sca", str(event), field, plaintext)
    assert len(plaintext) < 8 or plaintext not in sealed
    assert RING.partner_encryptor("sca").decrypt("sca", str(event), field, sealed) == plaintext
    with pytest.raises(DecryptionError):
        RING.partner_encryptor("ngo.poppy").decrypt("sca", str(event), field, sealed)
    with pytest.raises(DecryptionError):
        RING.partner_encryptor("sca").decrypt("sca", "another-event", field, sealed)
    with pytest.raises(DecryptionError):
        RING.partner_encryptor("sca").decrypt("sca", str(event), field + "x", sealed)
    with pytest.raises(DecryptionError):
        RING.encryptor().decrypt("ngo.poppy", str(event), field, sealed)


def test_a_key_of_another_partner_does_not_open_even_if_offered() -> None:
    sealed = RING.encryptor().encrypt("sca", "e1", "victim.phone", b"+447700900456")
    poppy_key = RING.private_key(RING.public_key("ngo.poppy")[0])
    liar = X25519FieldEncryptor(None, lambda key_id: poppy_key)
    with pytest.raises(DecryptionError):
        liar.decrypt("sca", "e1", "victim.phone", sealed)


def test_tampering_truncation_and_unknown_versions_are_refused() -> None:
    sealed = bytearray(RING.encryptor().encrypt("sca", "e1", "f", b"secret"))
    opener = RING.partner_encryptor("sca")
    flipped = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
    for bad in (flipped, bytes(sealed[:40]), b"\x02" + bytes(sealed[1:]), b""):
        with pytest.raises(DecryptionError):
            opener.decrypt("sca", "e1", "f", bad)


def test_old_keys_still_open_after_rotation() -> None:
    ring = InMemoryKeyRing()
    sealed = ring.encryptor().encrypt("sca", "e1", "f", b"before")
    old_id = key_id_of(sealed)
    ring.rotate("sca")
    after = ring.encryptor().encrypt("sca", "e1", "f", b"after")
    assert key_id_of(after) != old_id
    opener = ring.partner_encryptor("sca")
    assert opener.decrypt("sca", "e1", "f", sealed) == b"before"
    assert opener.decrypt("sca", "e1", "f", after) == b"after"


def test_no_key_means_no_encryption() -> None:
    def missing(partner: str) -> tuple[str, object]:
        raise KeyError(partner)

    with pytest.raises(EncryptionError):
        X25519FieldEncryptor(missing).encrypt("sca", "e1", "f", b"x")  # type: ignore[arg-type]
    with pytest.raises(EncryptionError):
        X25519FieldEncryptor().encrypt("sca", "e1", "f", b"x")


def test_engine_encrypts_a_safe_phone_number_for_the_named_support_provider(
    engine: PolicyEngine, ring: InMemoryKeyRing
) -> None:
    record = sample("NRMReferral")
    record.update(is_child=False, presumed_child=False, consent="GIVEN", support_provider="ngo.poppy")
    record["consent_recorded_at"] = record["envelope"]["occurred_at"]
    record["victim"].update(age=25, phone="+447700900456")
    routing = engine.route("NRMReferral", record)
    event_id = str(record["envelope"]["event_id"])
    for partner in ("ngo.poppy", "sca"):
        delivery = routing.decision(partner)
        assert isinstance(delivery, Delivery)
        sealed = delivery.record["victim"]["phone"]
        assert isinstance(sealed, bytes) and b"7700900456" not in sealed
        assert (
            ring.partner_encryptor(partner).decrypt(partner, event_id, "victim.phone", sealed)
            == b"+447700900456"
        )
        other = "sca" if partner == "ngo.poppy" else "ngo.poppy"
        with pytest.raises(DecryptionError):
            ring.partner_encryptor(other).decrypt(partner, event_id, "victim.phone", sealed)
        with pytest.raises(DecryptionError):
            ring.partner_encryptor(partner).decrypt(partner, event_id, "victim.name", sealed)


def test_fields_inside_lists_are_bound_to_their_position(agreements_copy: Path) -> None:
    path = agreements_copy / "police_gloucestershire.yaml"
    path.write_text(
        path.read_text().replace(
            "      phones[].number: [keep, {transform: pseudonymise, normalise: phone}]\n",
            "      phones[].number: [encrypt, {transform: pseudonymise, normalise: phone}]\n",
            1,
        )
    )
    ring = InMemoryKeyRing()
    engine = PolicyEngine.load(
        load_catalogue(),
        agreements_copy,
        secrets=PseudonymSecrets.generate(),
        encryptor=ring.encryptor(),
        today=TODAY,
    )
    record = sample("IntelligenceReport")
    record["grading"]["handling_code"] = "P"
    record["handling_conditions"] = None
    record["phones"].append(dict(record["phones"][0], entity_id="t2", number="+447700900777"))
    delivery = engine.route("IntelligenceReport", record).decision("police.gloucestershire")
    assert isinstance(delivery, Delivery)
    event_id = str(record["envelope"]["event_id"])
    opener = ring.partner_encryptor("police.gloucestershire")
    first, second = (p["number"] for p in delivery.record["phones"])
    assert opener.decrypt("police.gloucestershire", event_id, "phones[0].number", first) == b"+447700900123"
    assert opener.decrypt("police.gloucestershire", event_id, "phones[1].number", second) == b"+447700900777"
    with pytest.raises(DecryptionError):
        opener.decrypt("police.gloucestershire", event_id, "phones[1].number", first)
