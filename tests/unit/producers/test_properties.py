"""Properties that must hold for any input: any valid event of the agency is accepted and signed
into the batch, any other agency's is refused on its origin, and the scenario's arithmetic
(apportioning counts, splitting amounts) is exact."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producers.exceptions import DeliveryFailed
from producers.pentameter2.figures import apportion, split_amount
from producers.publisher import AgencyPublisher
from schemas.exceptions import RecordInvalid
from schemas.provenance import Signer
from tests.support.records import any_record

AGENCY = "police.gloucestershire"


@pytest.fixture(scope="module")
def publisher() -> Iterator[AgencyPublisher]:
    made = AgencyPublisher(
        AGENCY,
        bootstrap_servers="127.0.0.1:1",
        signer=Signer(AGENCY, Ed25519PrivateKey.generate()),
        timer=False,
        batch_size=10_000,
        linger_ms=3_600_000,
        config={"log_level": 0},
    )
    yield made
    with contextlib.suppress(DeliveryFailed):
        made.close(timeout=0.1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tagged=any_record(), other=st.sampled_from(["police.kent", "ngo.poppy", "sca"]))
def test_any_valid_event_of_the_agency_is_accepted_and_others_refused(
    publisher: AgencyPublisher, tagged: tuple[str, dict[str, Any]], other: str
) -> None:
    _, record = tagged
    record["envelope"]["origin_agency"] = other
    with pytest.raises(RecordInvalid) as caught:
        publisher.publish(record)
    assert [i.path for i in caught.value.issues] == ["envelope.origin_agency"]
    record["envelope"]["origin_agency"] = AGENCY
    before = publisher.pending
    publisher.publish(record)
    assert publisher.pending == before + 1


@given(
    total=st.integers(0, 10_000),
    weights=st.dictionaries(st.text(min_size=1, max_size=4), st.floats(0.1, 50), min_size=1, max_size=12),
)
def test_apportion_is_exact_and_proportional(total: int, weights: dict[str, float]) -> None:
    counts = apportion(total, weights)
    assert sum(counts.values()) == total and set(counts) == set(weights)
    whole = sum(weights.values())
    for key, weight in weights.items():
        assert abs(counts[key] - total * weight / whole) < 1


@given(parts=st.integers(1, 100), seed=st.integers(0, 2**32), pounds=st.integers(10_000, 10_000_000))
def test_split_amount_is_exact_and_positive(parts: int, seed: int, pounds: int) -> None:
    total = pounds * 100 + seed % 100
    amounts = split_amount(total, parts, random.Random(seed), step=1000)
    assert len(amounts) == parts and sum(amounts) == total and min(amounts) > 0
