"""docs/partners.md, step by step, as a partner would write it: confluent-kafka, fastavro and
cryptography only. Nothing of Pentameter's own is imported here (test_partner_guide.py checks it),
so what this module reads proves the guide is enough."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import time
from datetime import date
from pathlib import Path
from typing import Any

import fastavro
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PROVENANCE = ("pm-agency", "pm-key", "pm-batch", "pm-sig", "pm-size", "pm-leaf", "pm-proof")


# -- 1. the kit ----------------------------------------------------------------------------------
def read_kit(directory: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(partner.json, client.properties) of a kit."""
    manifest = json.loads((directory / "partner.json").read_text())
    client = {}
    for line in (directory / "client.properties").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            client[name.strip()] = value.strip()
    return manifest, client


def _is_end(message: Message) -> bool:
    """True for the end-of-partition event, False for a record; raises on a Kafka error."""
    error = message.error()
    if error is None:
        return False
    if error.code() == KafkaError._PARTITION_EOF:
        return True
    raise RuntimeError(str(error))


# -- 2. the schemas, from the partner's governance topic -----------------------------------------
def read_to_end(client: dict[str, str], group: str, topic: str) -> list[Message]:
    """Every committed message of ``topic`` now, every partition from its beginning."""
    consumer = Consumer(
        {**client, "group.id": group, "enable.auto.commit": False, "enable.partition.eof": True}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages, at_end = [], set()
        while len(at_end) < len(partitions):
            message = consumer.poll(30)
            if message is None:
                raise TimeoutError(f"{topic} gave nothing for 30 s")
            if _is_end(message):
                at_end.add(message.partition())
            else:
                messages.append(message)
        return messages
    finally:
        consumer.close()


def load_schemas(client: dict[str, str], group: str, governance_topic: str) -> dict[bytes, Any]:
    """Parsed schema by 8-byte fingerprint; the last value of each key wins, a tombstone withdraws."""
    live: dict[bytes, bytes | None] = {}
    for message in read_to_end(client, f"{group}-schemas", governance_topic):
        live[message.key() or b""] = message.value()
    schemas = {}
    for key, value in live.items():
        if value is None:
            continue
        doc = json.loads(value)
        if key.decode() != f"{doc['name']}/v{doc['version']}":
            raise ValueError(f"governance key {key!r} does not name its document")
        canonical = fastavro.schema.to_parsing_canonical_form(doc["schema"])
        if fastavro.schema.fingerprint(canonical, "CRC-64-AVRO") != doc["fingerprint"]:
            raise ValueError(f"{key.decode()}: the fingerprint does not match the schema")
        schemas[bytes.fromhex(doc["fingerprint"])] = fastavro.parse_schema(doc["schema"])
    return schemas


# -- 3. the partner's topic, committed records only ----------------------------------------------
def consume(client: dict[str, str], group: str, topic: str, handle: Any, patience: float = 60.0) -> None:
    """Hand each record to ``handle`` and commit its offset once handled; stop at the topic's end."""
    assigned: set[int] = set()
    at_end: set[int] = set()
    consumer = Consumer(
        {
            **client,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    consumer.subscribe([topic], on_assign=lambda _c, parts: assigned.update(p.partition for p in parts))
    deadline = time.monotonic() + patience
    try:
        while not assigned or not assigned <= at_end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end in {patience:.0f} s")
            message = consumer.poll(1.0)
            if message is None:
                continue
            if _is_end(message):
                at_end.add(message.partition())
            else:
                at_end.discard(message.partition())
                handle(message)
                consumer.commit(message=message, asynchronous=False)
    finally:
        consumer.close()


# -- 4. provenance -------------------------------------------------------------------------------
def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def verify_provenance(keys: Path, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> str:
    """The router's key id that signed the record; raises when anything does not hold."""
    found = dict(headers)
    if not all(name in found for name in PROVENANCE):
        raise ValueError("provenance headers missing")
    agency, key_id = found["pm-agency"].decode(), found["pm-key"].decode()
    if agency != "router" or not key_id.startswith("router:"):
        raise ValueError(f"not signed by the router: {agency} {key_id}")
    public = Ed25519PublicKey.from_public_bytes(
        (keys / "agencies" / "router" / f"{key_id.removeprefix('router:')}.pub").read_bytes()
    )
    raw_key = key or b""
    node = _h(b"\x00" + struct.pack(">I", len(raw_key)) + raw_key + value)
    index, width = int(found["pm-leaf"]), int(found["pm-size"])
    proof = found["pm-proof"]
    if not 0 <= index < width or len(proof) % 32:
        raise ValueError("malformed proof")
    hashes_ = [proof[i : i + 32] for i in range(0, len(proof), 32)]
    used = 0
    while width > 1:
        if index ^ 1 < width:
            sibling = hashes_[used]
            used += 1
            node = _h(b"\x01" + node + sibling) if index % 2 == 0 else _h(b"\x01" + sibling + node)
        index, width = index // 2, (width + 1) // 2
    if used != len(hashes_):
        raise ValueError("proof longer than the batch allows")
    signed = b"|".join(
        [
            b"pentameter/provenance/v1",
            agency.encode(),
            key_id.encode(),
            found["pm-batch"],
            found["pm-size"],
            node,
        ]
    )
    public.verify(found["pm-sig"], signed)  # InvalidSignature when altered
    return key_id


# -- 5. the value --------------------------------------------------------------------------------
def decode(schemas: dict[bytes, Any], value: bytes) -> dict[str, Any]:
    """The record of a single-object Avro value, with the writer's schema."""
    if value[:2] != b"\xc3\x01":
        raise ValueError("not single-object Avro")
    body = io.BytesIO(value[10:])
    record: dict[str, Any] = fastavro.schemaless_reader(body, schemas[value[2:10]], None)
    if body.read():
        raise ValueError("bytes left after the record")
    return record


# -- 6. encrypted fields -------------------------------------------------------------------------
def open_field(keys: Path, partner: str, event_id: str, path: str, sealed: bytes) -> str:
    """The plaintext of one field sealed for ``partner``."""
    if sealed[0] != 1:
        raise ValueError("unknown field-encryption version")
    n = sealed[1]
    key_id = sealed[2 : 2 + n].decode()
    ephemeral, rest = sealed[2 + n : 34 + n], sealed[34 + n :]
    wrap_nonce, wrapped, nonce, ciphertext = rest[:12], rest[12:60], rest[60:72], rest[72:]
    owner, _, short = key_id.partition(":")
    if owner != partner:
        raise ValueError(f"{key_id} is not a key of {partner}")
    private = X25519PrivateKey.from_private_bytes(
        (keys / "partners" / partner / f"{short}.x25519").read_bytes()
    )
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    mine = private.public_key().public_bytes_raw()
    kek = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + mine, info=b"pentameter/field-key-wrap/v1"
    ).derive(shared)
    aad = b"\x00".join(
        [b"pentameter/field/v1", partner.encode(), event_id.encode(), path.encode(), key_id.encode()]
    )
    data_key = AESGCM(kek).decrypt(wrap_nonce, wrapped, aad)
    return AESGCM(data_key).decrypt(nonce, ciphertext, aad).decode("utf-8")


def open_all(keys: Path, partner: str, event_id: str, value: Any, path: str = "") -> Any:
    """``value`` with every ``bytes`` field (ciphertext) replaced by its plaintext."""
    if isinstance(value, dict):
        return {
            k: open_all(keys, partner, event_id, v, f"{path}.{k}" if path else k) for k, v in value.items()
        }
    if isinstance(value, list):
        return [open_all(keys, partner, event_id, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, bytes):
        return open_field(keys, partner, event_id, path, value)
    return value


# -- all of it -----------------------------------------------------------------------------------
def follow_the_guide(kit: Path, group_suffix: str = "-guide") -> dict[str, dict[str, Any]]:
    """Event id -> record, each proven, decoded and opened; none past its review date (7)."""
    manifest, client = read_kit(kit)
    partner, keys = manifest["partner"], kit / "keys"
    group = manifest["group"] + group_suffix
    schemas = load_schemas(client, group, manifest["governance_topic"])
    stored: dict[str, dict[str, Any]] = {}

    def handle(message: Message) -> None:
        value = message.value() or b""
        headers = [(k, v if isinstance(v, bytes) else v.encode()) for k, v in message.headers() or []]
        verify_provenance(keys, message.key(), value, headers)
        if value[2:10] not in schemas:  # a schema published since: read the governance topic again
            schemas.update(load_schemas(client, group, manifest["governance_topic"]))
        record = decode(schemas, value)
        envelope = record["envelope"]
        event_id = str(envelope["event_id"])
        review = envelope.get("review_date")
        if event_id in stored or (isinstance(review, date) and review <= date.today()):
            return
        stored[event_id] = open_all(keys, partner, event_id, record)

    consume(client, group, manifest["topic"], handle)
    return stored
