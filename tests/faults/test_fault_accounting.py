"""The fault accounting sees each kind of damage: a checker blind to one would pass every fault."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.faults import FaultResult, fault_table
from bench.faults_check import (
    PartnerCopy,
    Published,
    copies_refused,
    ledger_counts,
    ledger_deliveries,
    ledger_entries,
    records_decided_twice,
    repeated_decisions,
    tally,
)

pytestmark = [pytest.mark.faults]

EVENTS = [
    Published("e0", 0, "case-a", frozenset({"p1", "p2"}), acked=True),
    Published("e1", 1, "case-a", frozenset({"p1"}), acked=True),
    Published("e2", 2, "case-b", frozenset({"p2"}), acked=True),
    Published("e3", 3, "case-a", frozenset({"p1"}), acked=False),
]


def _clean_copies() -> list[PartnerCopy]:
    return [
        PartnerCopy("p1", 0, 0, "e0"),
        PartnerCopy("p1", 0, 1, "e1"),
        PartnerCopy("p2", 1, 0, "e0"),
        PartnerCopy("p2", 2, 0, "e2"),
    ]


def _ledger(copies: list[PartnerCopy]) -> Counter[tuple[str, str]]:
    return Counter((c.event_id, c.partner) for c in copies)


def test_a_clean_run_counts_every_acknowledged_event_delivered() -> None:
    copies = _clean_copies()
    counts = tally(EVENTS, copies, _ledger(copies))
    assert (counts.sent, counts.acked, counts.delivered, counts.lost) == (4, 3, 3, 0)
    assert (counts.duplicated, counts.out_of_order, counts.unexplained, counts.not_entitled) == (0, 0, 0, 0)


def test_an_event_missing_from_one_entitled_partner_is_lost() -> None:
    copies = [c for c in _clean_copies() if (c.partner, c.event_id) != ("p2", "e0")]
    counts = tally(EVENTS, copies, _ledger(copies))
    assert (counts.delivered, counts.lost) == (2, 1)


def test_an_unacknowledged_event_is_not_lost_but_must_still_be_explained() -> None:
    copies = [*_clean_copies(), PartnerCopy("p1", 0, 2, "e3")]
    assert tally(EVENTS, copies, _ledger(copies)).unexplained == 0
    assert tally(EVENTS, copies, _ledger(_clean_copies())).unexplained == 1


def test_a_second_copy_is_a_duplicate_and_unexplained_unless_the_ledger_has_it_twice() -> None:
    copies = [*_clean_copies(), PartnerCopy("p1", 0, 2, "e1")]
    counts = tally(EVENTS, copies, _ledger(_clean_copies()))
    assert (counts.duplicated, counts.out_of_order, counts.unexplained) == (1, 0, 1)
    assert tally(EVENTS, copies, _ledger(copies)).unexplained == 0


def test_a_later_event_of_a_case_ahead_of_an_earlier_one_is_out_of_order() -> None:
    copies = [
        PartnerCopy("p1", 0, 0, "e1"),
        PartnerCopy("p1", 0, 1, "e0"),  # case-a: seq 0 after seq 1
        PartnerCopy("p2", 1, 0, "e0"),
        PartnerCopy("p2", 2, 0, "e2"),
    ]
    counts = tally(EVENTS, copies, _ledger(copies))
    assert (counts.out_of_order, counts.lost, counts.duplicated) == (1, 0, 0)


def test_order_is_judged_per_partition_and_per_case() -> None:
    copies = [
        PartnerCopy("p1", 0, 5, "e1"),
        PartnerCopy("p1", 1, 0, "e0"),  # another partition: not comparable
        PartnerCopy("p2", 1, 0, "e2"),  # case-b after nothing of its own
        PartnerCopy("p2", 1, 1, "e0"),  # case-a: first of its case on this partition
    ]
    assert tally(EVENTS, copies, _ledger(copies)).out_of_order == 0


def test_records_of_unknown_events_or_for_partners_not_entitled_are_flagged() -> None:
    copies = [*_clean_copies(), PartnerCopy("p2", 0, 9, "e1"), PartnerCopy("p1", 0, 9, "stranger")]
    counts = tally(EVENTS, copies, _ledger(_clean_copies()))
    assert (counts.not_entitled, counts.unexplained) == (2, 2)


def test_the_ledger_counts_deliveries_of_decisions_only() -> None:
    entries = [
        {"kind": "decision", "event_id": "e0", "delivered": [{"partner": "p1"}, {"partner": "p2"}]},
        {"kind": "decision", "event_id": "e1", "delivered": []},
        {"kind": "deadletter", "reason": "bad signature"},
        {"kind": "seal", "sig": "00"},
    ]
    found = ledger_deliveries(json.dumps(e).encode() for e in entries)
    assert found == Counter({("e0", "p1"): 1, ("e0", "p2"): 1})


def test_the_table_shows_every_figure_of_every_fault() -> None:
    result = FaultResult("kill-router", 1200, 1200, 1199, 1, 2, 3, 4, 12.5, decided_twice=5)
    table = fault_table([result])
    assert [c.header for c in table.columns] == [
        "fault", "events sent", "acked", "delivered", "lost", "duplicated", "out of order", "unexplained",
        "decided twice", "seconds",
    ]  # fmt: skip
    assert [next(iter(c.cells)) for c in table.columns] == [
        "kill-router", "1,200", "1,200", "1,199", "1", "2", "3", "4", "5", "12.5",
    ]  # fmt: skip
    assert not result.clean
    assert not FaultResult("restart-cluster", 600, 600, 600, 0, 0, 0, 0, 80.0, decided_twice=1).clean


def _entry(chain: str, kind: str, **body: object) -> bytes:
    return json.dumps({"chain": chain, "kind": kind, **body}).encode()


def _seal(chain: str, txn: str, first: int, last: int) -> bytes:
    return _entry(chain, "seal", batch={"txn": txn, "first": first, "last": last})


def test_events_decided_twice_are_named_with_their_records_transaction_and_batch() -> None:
    entries = ledger_entries(
        [
            _entry("in/0", "decision", event_id="e0", source="in/0@5"),
            _entry("in/0", "decision", event_id="e1", source="in/0@6"),
            _seal("in/0", "router-worker-0", 5, 6),
            _entry("in/1", "decision", event_id="e2", source="in/1@0"),
            json.dumps({"kind": "revocation", "partner": "p1"}).encode(),
            _entry("in/0", "decision", event_id="e0", source="in/0@5"),
            _seal("in/0", "router-worker-1", 5, 5),
            _entry("in/1", "deadletter", event_id="e2", source="in/1@1", reason="duplicate_event"),
            _seal("in/1", "router-worker-0", 0, 1),
        ]
    )
    assert repeated_decisions(entries) == {
        "e0": [
            "decision of in/0@5 by router-worker-0 in batch 5-6",
            "decision of in/0@5 by router-worker-1 in batch 5-5",
        ],
    }
    assert copies_refused(entries) == {
        "e2": [
            "decision of in/1@0 by router-worker-0 in batch 0-1",
            "deadletter (duplicate_event) of in/1@1 by router-worker-0 in batch 0-1",
        ],
    }
    assert records_decided_twice(entries) == {
        "in/0@5": [
            "decision of in/0@5 by router-worker-0 in batch 5-6",
            "decision of in/0@5 by router-worker-1 in batch 5-5",
        ]
    }


def test_an_entry_no_seal_closed_is_named_as_unsealed() -> None:
    [entry] = ledger_entries([_entry("in/0", "decision", event_id="e0", source="in/0@1")])
    assert str(entry) == "decision of in/0@1 by an unsealed write in batch ?"


def test_a_refused_copy_is_counted_as_a_dead_letter_never_as_a_second_decision() -> None:
    """A whole-cluster restart once left copies of events on the ingress topic (the agency's
    producer wrote them twice); the router refused each as ``duplicate_event``. Counting every
    ledger entry but seals called those refusals second decisions: the count must tell them apart."""
    entries = ledger_entries(
        [
            _entry("in/0", "decision", event_id="e0", source="in/0@0"),
            _entry("in/0", "decision", event_id="e1", source="in/0@1"),
            _entry("in/0", "deadletter", event_id="e0", source="in/0@2", reason="duplicate_event"),
            _entry("in/0", "deadletter", event_id="e9", source="in/0@3", reason="invalid_schema"),
            _seal("in/0", "router-worker-0", 0, 3),
        ]
    )
    assert ledger_counts(entries) == (2, {"duplicate_event": 1, "invalid_schema": 1})
    assert repeated_decisions(entries) == {}
