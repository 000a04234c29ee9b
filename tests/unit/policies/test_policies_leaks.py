"""Rule 11 under attack, per schema: every string field holds a unique marker, written again in
every other spelling into every free-text field and into the other string fields; routed to every
partner, no marker may reach a partner, in any spelling, in any field or in the record's key,
unless the partner receives the marker's own field in clear (tests/support/leaks.py)."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import InMemoryKeyRing, PolicyEngine
from schemas.catalogue import Catalogue
from tests.support.leaks import findings, opened, plant, sealed_markers
from tests.unit.policies.strategies import routed_records, victim_records

VICTIM_EVENTS = ("PotentialVictimEncounter", "NRMReferral", "NRMDecision")
OTHER_EVENTS = ("IntelligenceReport", "DutyToNotify", "PremisesVisit", "Arrest", "AssetSeizure")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _opener(ring: InMemoryKeyRing, partner: str, event_id: str) -> Callable[[str, bytes], str]:
    """Opens a sealed field as the partner would, with its own key only."""
    encryptor = ring.partner_encryptor(partner)
    return lambda path, sealed: encryptor.decrypt(partner, event_id, path, sealed).decode()


def _route_and_read(
    engine: PolicyEngine, ring: InMemoryKeyRing, event_type: str, record: dict[str, Any], seed: int
) -> dict[str, int]:
    """Plant markers, route to every partner, assert nothing leaks; return what was scrubbed."""
    entry = engine.catalogue.latest(event_type)
    planted = plant(record, entry, random.Random(seed))
    before = copy.deepcopy(record)
    routing = engine.route(event_type, record)
    assert record == before, "routing changed the record it was given"
    own_only = engine.route(event_type, planted.own_only)
    assert own_only.delivered_to() == routing.delivered_to()
    problems = []
    for d, clear in zip(routing.deliveries, own_only.deliveries, strict=True):
        readable = opened(d.record, _opener(ring, d.partner, str(d.record["envelope"]["event_id"])))
        sealed = sealed_markers(clear.record, planted.markers)
        problems += [
            f"{d.partner}: {f}"
            for f in findings(readable, d.key, None, planted.markers, clear.record, sealed)
        ]
    assert not problems, "\n".join(problems[:20])
    scrubbed: dict[str, int] = {}
    for d in routing.deliveries:
        for kinds in d.scrubbed.values():
            for kind, n in kinds.items():
                scrubbed[kind] = scrubbed.get(kind, 0) + n
    return scrubbed


@pytest.mark.parametrize("event_type", OTHER_EVENTS)
def test_no_marker_leaks_from_any_field_in_any_spelling(
    engine: PolicyEngine, ring: InMemoryKeyRing, catalogue: Catalogue, event_type: str
) -> None:
    seen: dict[str, int] = {}

    @SETTINGS
    @given(record=routed_records(event_type, catalogue.latest(event_type)), seed=st.integers(0, 2**32 - 1))
    def check(record: dict[str, Any], seed: int) -> None:
        for kind, n in _route_and_read(engine, ring, event_type, record, seed).items():
            seen[kind] = seen.get(kind, 0) + n

    check()
    if event_type != "DutyToNotify":  # a DtN carries no string to plant a person's value in
        assert seen, "no delivery scrubbed anything: the corpus did not exercise rule 11"


@pytest.mark.parametrize("event_type", VICTIM_EVENTS)
@pytest.mark.parametrize("child", [True, False, None], ids=["child", "adult", "either"])
@pytest.mark.parametrize("ngo", [True, False], ids=["ngo-supported", "any-support"])
def test_no_victim_marker_leaks_for_children_adults_and_ngos(
    engine: PolicyEngine,
    ring: InMemoryKeyRing,
    catalogue: Catalogue,
    event_type: str,
    child: bool | None,
    ngo: bool,
) -> None:
    seen: dict[str, int] = {}

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        record=victim_records(event_type, catalogue.latest(event_type), child=child, ngo=ngo),
        seed=st.integers(0, 2**32 - 1),
    )
    def check(record: dict[str, Any], seed: int) -> None:
        for kind, n in _route_and_read(engine, ring, event_type, record, seed).items():
            seen[kind] = seen.get(kind, 0) + n

    check()
    assert seen, "no delivery scrubbed anything: the corpus did not exercise rule 11"
