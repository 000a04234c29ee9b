"""A record too large to write whole is reduced (a dead letter) or denied on the ledger (a partner
record); everything within the limit is written as it was decided."""

from __future__ import annotations

import hashlib
import json

from consumers.deadletter import H_REASON, H_REDUCED, Reason, Rejection, dead_letter_headers, read_rejection
from consumers.decisions import Outcome, Source
from consumers.oversize import SIZE_RULE, Limits, fit, wire_size

SOURCE = Source("in", 2, 41)
LIMITS = Limits(record_bytes=10_000, headroom=1_000)  # 9,000 bytes of key, value and headers
DLQ = "dlq"


def _dead_letter(value: bytes, headers: list[tuple[str, bytes]] | None = None) -> Outcome:
    rejection = Rejection(Reason.UNDECODABLE, "not single-object Avro")
    return Outcome(
        dead_letter=(b"k", value, dead_letter_headers(headers, rejection, str(SOURCE), 5)),
        audit_kind="deadletter",
        audit_body={"source": str(SOURCE), "reason": "undecodable"},
        rejection=rejection,
    )


def test_a_dead_letter_within_the_limit_is_kept_whole() -> None:
    outcome = _dead_letter(b"x" * 8_000)
    assert fit(outcome, SOURCE, LIMITS, DLQ, {}) is outcome


def test_a_dead_letter_over_the_limit_is_reduced_to_what_identifies_the_original() -> None:
    value = bytes(range(256)) * 40  # 10,240 bytes
    outcome = fit(_dead_letter(value, [("agency-batch", b"h" * 50)]), SOURCE, LIMITS, DLQ, {})
    assert outcome.dead_letter is not None
    key, reduced, headers = outcome.dead_letter
    summary = json.loads(reduced or b"")
    assert summary["size"] == len(value) and summary["sha256"] == hashlib.sha256(value).hexdigest()
    assert summary["source"] == {"topic": "in", "partition": 2, "offset": 41}
    assert summary["reason"] == "undecodable" and summary["headers"] == 1
    assert key is None and wire_size(key, reduced, headers) < 2_000
    names = [k for k, _ in headers]
    assert "agency-batch" not in names and H_REDUCED in names and H_REASON in names
    verdict = read_rejection(headers)
    assert verdict is not None and verdict[0].reason is Reason.UNDECODABLE and verdict[1] == str(SOURCE)
    assert outcome.audit_body["reduced"].endswith("over the 9000-byte limit")
    assert outcome.audit_body["sha256"] == summary["sha256"]


def test_a_dead_letter_the_broker_refused_before_is_reduced_even_when_small() -> None:
    why = "refused by the broker: Broker: Message size too large"
    outcome = fit(_dead_letter(b"small"), SOURCE, LIMITS, DLQ, {(DLQ, str(SOURCE)): why})
    assert outcome.dead_letter is not None
    assert json.loads(outcome.dead_letter[1] or b"")["reduced"] == why


def _delivered(*sizes: int) -> Outcome:
    topics = [f"partner.p{i}" for i in range(len(sizes))]
    return Outcome(
        partner_records=[(t, b"case", b"v" * size) for t, size in zip(topics, sizes, strict=True)],
        audit_body={
            "event_id": "e1",
            "delivered": [
                {"partner": f"p{i}", "topic": t, "agreement": f"A{i}", "version": 1}
                for i, t in enumerate(topics)
            ],
            "denied": [{"partner": "p9", "rule": "R1", "reason": "no agreement"}],
        },
    )


def test_a_partner_record_at_the_limit_is_delivered_and_one_over_it_is_denied_on_the_ledger() -> None:
    at = LIMITS.payload_bytes - len(b"case")
    outcome = fit(_delivered(at, at + 1, 10), SOURCE, LIMITS, DLQ, {})
    assert [t for t, _, _ in outcome.partner_records] == ["partner.p0", "partner.p2"]
    assert [d["partner"] for d in outcome.audit_body["delivered"]] == ["p0", "p2"]
    [no_agreement, too_large] = outcome.audit_body["denied"]
    assert no_agreement["rule"] == "R1"
    assert too_large["partner"] == "p1" and too_large["rule"] == SIZE_RULE
    assert too_large["agreement"] == "A1" and f"{at + 5} bytes" in too_large["reason"]


def test_a_partner_record_the_broker_refused_is_denied_with_the_brokers_reason() -> None:
    why = "refused by the broker: Broker: Message size too large"
    outcome = fit(_delivered(10, 10), SOURCE, LIMITS, DLQ, {("partner.p1", str(SOURCE)): why})
    assert [t for t, _, _ in outcome.partner_records] == ["partner.p0"]
    assert outcome.audit_body["denied"][-1]["reason"] == why
