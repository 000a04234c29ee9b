"""The native Avro codec on what the router writes: every partner record of the baseline
agreements, in its partner's projection schema, encodes to fastavro's bytes and decodes to
fastavro's values (``tests/unit/schemas/test_schemas_native_codec.py`` covers the event schemas,
every Avro type and bad bodies)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings

from policies import PolicyEngine
from schemas import _native as core
from schemas.wire import HEADER_SIZE, Codec
from tests.support.values import same_values
from tests.unit.policies.strategies import routed_records

EVENTS = (
    "IntelligenceReport",
    "NRMReferral",
    "PotentialVictimEncounter",
    "NRMDecision",
    "DutyToNotify",
    "PremisesVisit",
    "Arrest",
    "AssetSeizure",
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("event_type", EVENTS)
def test_every_partner_record_encodes_and_decodes_as_fastavro(
    engine: PolicyEngine, codec: Codec, event_type: str
) -> None:
    assert sorted(EVENTS) == sorted(engine.catalogue.event_types())
    schemas_seen: set[bytes] = set()

    @SETTINGS
    @given(routed_records(event_type, engine.catalogue.latest(event_type)))
    def check(record: dict[str, Any]) -> None:
        for delivery in engine.route(event_type, record).deliveries:
            entry = engine.catalogue.by_fingerprint(delivery.schema_fingerprint)
            assert entry.program is not None, f"{entry.label} is not run natively"
            out = io.BytesIO()
            schemaless_writer(out, entry.parsed, delivery.record)
            expected = out.getvalue()
            assert core.encode(entry.program, delivery.record) == expected, entry.label
            assert codec.encode(entry, delivery.record)[HEADER_SIZE:] == expected
            decoded, end = core.decode(entry.program, expected)
            reference = schemaless_reader(io.BytesIO(expected), entry.parsed, None)
            assert end == len(expected)
            assert same_values(decoded, reference), entry.label
            assert same_values(codec.decode(codec.encode(entry, delivery.record))[1], reference)
            schemas_seen.add(entry.fingerprint)

    check()
    assert schemas_seen, f"no partner received a {event_type}"
