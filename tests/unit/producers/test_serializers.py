"""The SDK's confluent-kafka callables: the value decodes, the headers prove it, errors name the field."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka.serialization import MessageField, SerializationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from producers.serializers import EventSerializer, ProvenanceSigner, event_key
from schemas.exceptions import RecordInvalid
from schemas.provenance import Signer, Verifier
from schemas.samples import sample
from schemas.wire import decode

AGENCY = "police.gloucestershire"
CTX = SerializationContext("ingress", MessageField.VALUE)


def test_a_record_serialized_and_signed_alone_verifies_and_decodes() -> None:
    record = sample("IntelligenceReport")
    value = EventSerializer(AGENCY)(record, CTX)
    key = event_key(record)
    private = Ed25519PrivateKey.generate()
    signer = Signer(AGENCY, private)
    headers = ProvenanceSigner(signer)(value, CTX, key=key)

    proven = Verifier({signer.key_id: private.public_key()}.get).verify(key, value, headers)
    assert proven.agency == AGENCY and dict(headers)["pm-size"] == b"1"
    assert str(decode(value)[1]["envelope"]["event_id"]) == str(record["envelope"]["event_id"])
    assert key == str(record["envelope"]["case_id"]).encode()


def test_a_bad_record_names_the_record_and_the_field() -> None:
    record = sample("PotentialVictimEncounter")
    record["envelope"]["event_id"] = str(uuid.uuid4())
    record["consent"] = "PERHAPS"
    with pytest.raises(RecordInvalid) as caught:
        EventSerializer(AGENCY)(record, CTX)
    message = str(caught.value)
    assert record["envelope"]["event_id"] in message and "field consent" in message, message


def test_the_signer_wants_the_serialized_value() -> None:
    signer = ProvenanceSigner(Signer(AGENCY, Ed25519PrivateKey.generate()))
    with pytest.raises(TypeError, match="bytes"):
        signer(sample("Arrest"), CTX)  # type: ignore[arg-type]
