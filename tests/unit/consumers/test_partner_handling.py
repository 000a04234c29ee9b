"""The partner SDK hands a record out once and commits it only once handled: a redelivered event
is dropped by id, a record past its review (delete) date is never handed out but committed past,
and the partner's record of what it handled survives a restart and a torn write."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from consumers.partner import ConsumerStats, PartnerConsumer, PartnerRecord, expired
from consumers.partner_state import JsonLinesSink, SeenEvents

TODAY = date(2026, 12, 7)


def _record(offset: int, event_id: str, review: date | None, secret: str = "Jane Roe") -> PartnerRecord:
    record = {"envelope": {"event_id": event_id, "review_date": review}, "victim": {"name": secret}}
    return PartnerRecord("partner.p", 0, offset, "PotentialVictimEncounter@p", record, "router:k", review)


class Message:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def error(self) -> None:
        return None

    def offset(self) -> int:
        return self._offset


class QueuedConsumer:
    """Hands out queued messages, records stored offsets and commits."""

    def __init__(self, count: int) -> None:
        self.queue = [Message(i) for i in range(count)]
        self.stored: list[int] = []
        self.commits: list[list[int]] = []

    def poll(self, timeout: float) -> Message | None:
        return self.queue.pop(0) if self.queue else None

    def store_offsets(self, offsets: list[TopicPartition]) -> None:
        self.stored += [tp.offset for tp in offsets]

    def commit(self, asynchronous: bool) -> None:
        self.commits.append(list(self.stored))


def _consumer(records: list[PartnerRecord], seen: SeenEvents | None = None) -> tuple[PartnerConsumer, Any]:
    consumer = PartnerConsumer.__new__(PartnerConsumer)  # no Kafka client: the handing out is under test
    kafka = QueuedConsumer(len(records))
    by_offset = {r.offset: r for r in records}
    consumer.topic, consumer.stats = "partner.p", ConsumerStats()
    consumer._consumer = kafka  # type: ignore[assignment]
    consumer._convert = lambda message: by_offset[message.offset()]  # type: ignore[method-assign]
    consumer._seen, consumer._before_commit, consumer._commit_every = seen, None, 100
    consumer._today, consumer._acked, consumer._last_commit = (lambda: TODAY), 0, 0.0
    return consumer, kafka


def test_a_record_past_its_review_date_is_not_handed_out_but_committed_past(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = [
        _record(0, "e0", date(2027, 1, 1)),
        _record(1, "e1", date(2026, 12, 6)),  # deleted yesterday
        _record(2, "e2", TODAY),  # to be deleted today: not handed out either
        _record(3, "e3", None),
    ]
    consumer, kafka = _consumer(records)
    with caplog.at_level(logging.WARNING, logger="pentameter.partner"):
        handed = [item.event_id for item in consumer.records(idle_timeout=0.1)]
    assert handed == ["e0", "e3"]
    assert consumer.stats.expired == 2 and consumer.stats.handed_out == 2
    assert kafka.stored == [1, 2, 3, 4], "offset 1 is committed past, so it is never read again"
    assert "partner.p/0@1" in caplog.text and "Jane Roe" not in caplog.text and "e1" not in caplog.text
    assert expired(records[1], TODAY) and expired(records[2], TODAY) and not expired(records[3], TODAY)


def test_a_record_is_committed_only_after_the_caller_asked_for_the_next() -> None:
    consumer, kafka = _consumer([_record(i, f"e{i}", None) for i in range(3)])
    items = consumer.records(idle_timeout=0.1)
    next(items)
    assert kafka.stored == [], "the first record is in the caller's hands, not handled yet"
    next(items)
    assert kafka.stored == [1]
    items.close()  # the caller stopped before handling the second: it is read again next time
    assert kafka.stored == [1]


def test_a_redelivered_event_already_handled_is_dropped() -> None:
    seen = SeenEvents(10, ["e1"])
    consumer, kafka = _consumer([_record(0, "e0", None), _record(1, "e1", None)], seen)
    assert [i.event_id for i in consumer.records(idle_timeout=0.1)] == ["e0"]
    assert consumer.stats.duplicates == 1 and kafka.stored == [1, 2]
    assert "e0" in seen, "handled events join the window"


def test_the_journal_survives_a_restart_and_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "partners" / "group.seen"
    seen = SeenEvents.journal(path, limit=3)
    for event_id in ("a", "b", "c", "d"):
        seen.add(event_id)
    seen.close()
    with path.open("a") as journal:
        journal.write("half-writ")  # killed mid-write
    again = SeenEvents.journal(path, limit=3)
    assert [e in again for e in ("a", "b", "c", "d", "half-writ")] == [False, True, True, True, False]
    again.add("e")
    again.close()
    assert path.read_text().endswith("d\ne\n")


def test_the_sink_is_its_own_record_of_what_was_handled(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    sink = JsonLinesSink(path)
    sink.write({"event_id": "e0", "record": {}})
    sink.write({"event_id": "e1", "record": {}})
    sink.close()
    with path.open("a") as out:
        out.write('{"event_id": "e2", "rec')  # killed mid-line: e2 was never handled
    reopened = JsonLinesSink(path)
    handled = reopened.handled()
    reopened.close()
    assert ("e0" in handled, "e1" in handled, "e2" in handled) == (True, True, False)
    assert path.read_text().count("\n") == 2 and path.read_text().endswith("}\n")
