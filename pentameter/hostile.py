"""Hostile input for the demo and the tests: one record per way an ingress record can be refused.

Each case is written straight to an agency's ingress topic, bypassing the publisher's checks, the
way a broken adapter or an attacker would. The router must turn every one into a dead letter with
the expected reason and route nothing from it.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from confluent_kafka import Producer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.runtime import Runtime
from pentameter.exceptions import HostileUndelivered
from producers.agencies import ingress_topic
from schemas.provenance import Signer
from schemas.wire import Codec


def _fresh(record: dict[str, Any], agency: str) -> dict[str, Any]:
    copied = copy.deepcopy(record)
    copied["envelope"]["event_id"] = uuid.uuid4()
    copied["envelope"]["origin_agency"] = agency
    return copied


def inject_hostile(
    runtime: Runtime, agency: str, other_agency: str, good: dict[str, Any]
) -> dict[bytes, str]:
    """Write one hostile record per dead-letter reason to ``agency``'s ingress topic.

    ``good`` is any valid Avro-ready event (its type must not be DutyToNotify). Returns each
    record's value bytes mapped to the reason the router must give.
    """
    codec = Codec(runtime.catalogue)
    signer = Signer(agency, runtime.keys.signing_key(agency))
    other = Signer(other_agency, runtime.keys.signing_key(other_agency))
    event_type = good["envelope"]["event_type"]
    topic = runtime.topic(ingress_topic(agency))
    producer = Producer({**runtime.client, "acks": "all"})
    cases: dict[bytes, str] = {}

    def send(value: bytes, headers: list[tuple[str, bytes]] | None, reason: str) -> None:
        producer.produce(topic, value=value, key=b"hostile", headers=list(headers or []))
        cases[value] = reason

    def signed(value: bytes, by: Signer = signer) -> list[tuple[str, bytes]]:
        return by.seal([(b"hostile", value)])[0]

    garbage = b"this is not avro at all"
    send(garbage, signed(garbage), "undecodable")
    unknown = b"\xc3\x01" + uuid.uuid4().bytes[:8] + b"\x02"
    send(unknown, signed(unknown), "unknown_fingerprint")
    breaking = _fresh(good, agency)
    breaking["envelope"]["review_date"] = breaking["envelope"]["occurred_at"].date().replace(year=1990)
    broken = codec.encode(event_type, breaking)
    send(broken, signed(broken), "schema_violation")
    unsigned = codec.encode(event_type, _fresh(good, agency))
    send(unsigned, None, "missing_signature")
    altered = codec.encode(event_type, _fresh(good, agency))
    send(altered, signer.seal([(b"hostile", altered + b"!")])[0], "bad_signature")
    forged = codec.encode(event_type, _fresh(good, agency))
    send(forged, signed(forged, Signer(agency, Ed25519PrivateKey.generate())), "bad_signature")
    foreign = codec.encode(event_type, _fresh(good, other_agency))
    send(foreign, signed(foreign, other), "agency_mismatch")
    claims = codec.encode(event_type, _fresh(good, other_agency))
    send(claims, signed(claims), "agency_mismatch")
    remaining = producer.flush(30)
    if remaining:
        raise HostileUndelivered(f"{remaining} hostile record(s) were not delivered to {topic}")
    return cases
