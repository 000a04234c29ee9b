"""The publisher refuses bad records before anything is sent, naming the record, field and reason.

No broker is involved: the producer points at a closed port, and nothing is ever acknowledged.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from producers.checks import check_event
from producers.exceptions import DeliveryFailed, PublisherClosed, UnknownAgency
from producers.publisher import AgencyPublisher, DeliveryReport, publisher_config
from schemas.exceptions import RecordInvalid
from schemas.provenance import Signer
from schemas.samples import sample_json

AGENCY = "police.gloucestershire"
NOWHERE = "127.0.0.1:1"


def report(**envelope: Any) -> dict[str, Any]:
    record = sample_json("IntelligenceReport")
    record["envelope"]["origin_agency"] = AGENCY
    record["envelope"].update(envelope)
    return record


@pytest.fixture
def publisher() -> Iterator[AgencyPublisher]:
    signer = Signer(AGENCY, Ed25519PrivateKey.generate())
    made = AgencyPublisher(
        AGENCY,
        bootstrap_servers=NOWHERE,
        signer=signer,
        timer=False,
        linger_ms=60_000,
        config={"log_level": 0},
    )
    yield made
    with contextlib.suppress(DeliveryFailed):  # there is no broker to deliver to
        made.close(timeout=0.1)


def test_a_record_breaking_the_schema_is_refused_with_its_field(publisher: AgencyPublisher) -> None:
    record = report()
    record["grading"]["scheme"] = "G5X5X5"  # keeps its 3x5x2 source code "2": wrong for 5x5x5
    record["grading"]["intelligence_assessment"] = "2"
    record["grading"]["handling_code"] = "1"
    record["handling_conditions"] = None
    with pytest.raises(RecordInvalid) as caught:
        publisher.publish(record, identity="line 7")
    issues = caught.value.issues
    assert [i.path for i in issues] == ["grading.source_evaluation"]
    assert "line 7" in str(caught.value) and record["envelope"]["event_id"] in str(caught.value)
    assert "5x5x5 source evaluation" in issues[0].reason
    assert publisher.pending == 0 and publisher.published == 0


def test_every_issue_is_listed_at_once(publisher: AgencyPublisher) -> None:
    record = report(classification="RESTRICTED", force_area="ATLANTIS")
    del record["narrative"]
    with pytest.raises(RecordInvalid) as caught:
        publisher.publish(record)
    assert {i.path for i in caught.value.issues} == {
        "envelope.classification",
        "envelope.force_area",
        "narrative",
    }
    assert publisher.pending == 0


def test_another_agencys_record_is_refused(publisher: AgencyPublisher) -> None:
    with pytest.raises(RecordInvalid) as caught:
        publisher.publish(report(origin_agency="police.kent"))
    (issue,) = caught.value.issues
    assert issue.path == "envelope.origin_agency"
    assert "'police.kent'" in issue.reason and AGENCY in issue.reason
    assert publisher.pending == 0


def test_origin_is_checked_alongside_schema_issues() -> None:
    record = report(origin_agency="police.kent", classification="RESTRICTED")
    converted, issues = check_event(record, AGENCY)
    assert converted is None
    assert [i.path for i in issues] == ["envelope.classification", "envelope.origin_agency"]
    converted, issues = check_event(report(), AGENCY)
    assert converted is not None and issues == []


def test_a_good_record_is_buffered_until_its_batch_closes(publisher: AgencyPublisher) -> None:
    record = report()
    event_id = publisher.publish(record)
    assert event_id == record["envelope"]["event_id"]
    assert publisher.pending == 1 and publisher.published == 1


def test_undelivered_events_are_listed_when_flush_times_out(publisher: AgencyPublisher) -> None:
    first = publisher.publish(report())
    second = publisher.publish(report(event_id="7f1c6a8e-0000-4000-8000-0000000000aa"))
    with pytest.raises(DeliveryFailed) as caught:
        publisher.flush(timeout=0.5)
    assert sorted(caught.value.event_ids) == sorted([first, second])
    assert "not acknowledged within 0.5 s" in str(caught.value)


def test_publish_after_close_is_refused() -> None:
    signer = Signer(AGENCY, Ed25519PrivateKey.generate())
    with AgencyPublisher(AGENCY, bootstrap_servers=NOWHERE, signer=signer, config={"log_level": 0}) as made:
        pass
    with pytest.raises(PublisherClosed):
        made.publish(report())
    made.close()  # closing twice is harmless


def test_the_record_passed_in_is_not_changed(publisher: AgencyPublisher) -> None:
    record = report()
    before = copy.deepcopy(record)
    publisher.publish(record)
    assert record == before


@pytest.mark.parametrize(
    ("override", "message"),
    [({"enable.idempotence": False}, "idempotence"), ({"acks": "1"}, "acks")],
)
def test_delivery_guarantees_cannot_be_weakened(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        publisher_config(AGENCY, NOWHERE, override)


def test_other_librdkafka_settings_pass_through() -> None:
    config = publisher_config(AGENCY, NOWHERE, {"linger.ms": 20, "acks": "all"})
    assert config["linger.ms"] == 20
    assert config["enable.idempotence"] is True and config["acks"] == "all"
    assert config["bootstrap.servers"] == NOWHERE


def test_unknown_agency_and_foreign_signer_are_refused() -> None:
    with pytest.raises(UnknownAgency):
        AgencyPublisher("police.atlantis", bootstrap_servers=NOWHERE)
    with pytest.raises(ValueError, match="signer is for"):
        AgencyPublisher(
            AGENCY, bootstrap_servers=NOWHERE, signer=Signer("police.kent", Ed25519PrivateKey.generate())
        )


def test_an_event_librdkafka_refuses_locally_is_reported_not_lost() -> None:
    reports: list[DeliveryReport] = []
    made = AgencyPublisher(
        AGENCY,
        bootstrap_servers=NOWHERE,
        signer=Signer(AGENCY, Ed25519PrivateKey.generate()),
        timer=False,
        batch_size=1,
        config={"log_level": 0, "message.max.bytes": 1000},
    )
    event_id = made.publish(report(), on_delivery=reports.append)  # ~750 bytes + 7 headers: too big
    with pytest.raises(DeliveryFailed) as caught:
        made.close(timeout=0.5)
    assert caught.value.event_ids == [event_id]
    assert [r.event_id for r in reports] == [event_id] and not reports[0].ok
    assert made.pending == 0
