"""The agency SDK for a producer the agency already runs: callables in confluent-kafka's style.

An agency with its own ``confluent_kafka.Producer`` (its own settings, callbacks and threads)
keeps it and adds three callables instead of switching to :class:`~producers.publisher.
AgencyPublisher`::

    serialize = EventSerializer("police.gloucestershire")
    sign = ProvenanceSigner.for_agency("police.gloucestershire")
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = serialize(record, ctx)                 # RecordInvalid naming the record and field
    key = event_key(record, SerializationContext(topic, MessageField.KEY))
    producer.produce(topic, key=key, value=value, headers=sign(value, ctx, key=key))

The value is what the publisher sends: the record checked against the catalogue, the domain rules
and its origin agency (:func:`producers.checks.check_event`), encoded as single-object Avro
(:mod:`schemas.wire`). The headers are the provenance of a batch of one (:mod:`schemas.provenance`):
one Ed25519 signature per record, which costs more than the publisher's batches but lets the
agency's producer send each record as it comes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka.serialization import SerializationContext, Serializer

from infra.keys import KeyStore
from infra.settings import load_settings
from producers.agencies import agency as lookup_agency
from producers.checks import check_event
from schemas.catalogue import Catalogue, default_catalogue
from schemas.exceptions import RecordInvalid
from schemas.provenance import Headers, Signer
from schemas.wire import Codec

ProducerHeaders = list[tuple[str, str | bytes | None]]
"""Headers as ``Producer.produce`` takes them."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """One event ready to produce: its id, its Kafka key and its single-object value."""

    event_id: str
    key: bytes
    value: bytes


def event_key(record: Mapping[str, Any], ctx: SerializationContext | None = None) -> bytes:
    """The Kafka key of an event: its case id, or its event id when it has none, so one case's
    events stay in order on one partition (a key serializer in confluent-kafka's style)."""
    envelope = record.get("envelope") if isinstance(record, Mapping) else None
    if not isinstance(envelope, Mapping) or not (envelope.get("case_id") or envelope.get("event_id")):
        raise ValueError("record has no envelope.case_id or envelope.event_id to key it by")
    return str(envelope.get("case_id") or envelope["event_id"]).encode()


def agency_signer(agency: str) -> Signer:
    """The agency's signer with its current key from this deployment's key store (made on first use)."""
    return Signer(agency, KeyStore(load_settings().home / "keys").signing_key(agency))


class EventSerializer(Serializer):
    """``(record, ctx) -> bytes``: one agency's event, checked and encoded as single-object Avro.

    Raises :class:`~schemas.exceptions.RecordInvalid` listing every issue, each naming the record
    (its event id) and the field, before any byte is produced.
    """

    def __init__(self, agency: str, catalogue: Catalogue | None = None) -> None:
        lookup_agency(agency)  # UnknownAgency at once, not at the first record
        self.agency = agency
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self._codec = Codec(self.catalogue)

    def encode(self, record: Mapping[str, Any], *, identity: str | None = None) -> Encoded:
        """Check and encode ``record``; ``identity`` names it in issues (e.g. ``"line 12"``)."""
        converted, issues = check_event(record, self.agency, identity=identity, catalogue=self.catalogue)
        if converted is None:
            raise RecordInvalid(issues)
        envelope = converted["envelope"]
        entry = self.catalogue.get(envelope["event_type"], envelope["schema_version"])
        return Encoded(str(envelope["event_id"]), event_key(converted), self._codec.encode(entry, converted))

    def __call__(self, record: Mapping[str, Any], ctx: SerializationContext | None = None) -> bytes:
        identity = f"record for {ctx.topic}" if ctx is not None and ctx.topic else None
        return self.encode(record, identity=identity).value


class ProvenanceSigner:
    """``(value, ctx, key=...) -> headers``: the provenance headers of one record, sealed alone.

    The signature covers the record's Kafka key and value bytes, so give it the key the record is
    produced with (``None`` when it has none).
    """

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    @classmethod
    def for_agency(cls, agency: str) -> ProvenanceSigner:
        """A signer with the agency's current key from this deployment's key store."""
        lookup_agency(agency)
        return cls(agency_signer(agency))

    def __call__(
        self, value: bytes, ctx: SerializationContext | None = None, *, key: bytes | None = None
    ) -> ProducerHeaders:
        if not isinstance(value, bytes | bytearray):
            raise TypeError(f"sign the serialized value (bytes), not a {type(value).__name__}")
        headers: Headers = self.signer.seal([(key, bytes(value))])[0]
        return [(name, raw) for name, raw in headers]
