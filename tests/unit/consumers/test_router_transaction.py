"""How a router batch answers each kind of transaction error librdkafka reports, and when a
supervised worker whose consumer reads nothing stops.

A timed-out commit has an unknown outcome: librdkafka waits for the same commit call again, so the
router commits again rather than aborting. A failed offsets step (the transaction is still open),
or an error that requires an abort, aborts and rewinds; a fatal error, or a commit still unknown
after every call, stops the worker. The producer and consumer here are stand-ins recording calls:
the broker-backed behaviour is covered by the router and fault suites.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.decisions import Outcome, Source
from consumers.exceptions import ConsumerStalled
from consumers.oversize import Limits
from consumers.positions import Positions
from consumers.recent_events import RecentEvents
from consumers.router import (
    REWIND_ATTEMPTS,
    REWIND_FAILED,
    STALLED_CONSUMER,
    TRANSACTION_ATTEMPTS,
    Inbound,
    Router,
    RouterSettings,
    RouterStats,
)

TIMED_OUT = KafkaError(KafkaError._TIMED_OUT, "commit timed out", retriable=True)
NEEDS_ABORT = KafkaError(KafkaError._INCONSISTENT, "1 message failed delivery", txn_requires_abort=True)
FENCED = KafkaError(KafkaError._FENCED, "fenced by a newer instance", fatal=True)


class RecordingProducer:
    def __init__(self, commit_errors: list[KafkaError], offsets_errors: tuple[KafkaError, ...] = ()) -> None:
        self.commit_errors = list(commit_errors)
        self.offsets_errors = list(offsets_errors)
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: float) -> None:
        self.calls.append("offsets")
        if self.offsets_errors:
            raise KafkaException(self.offsets_errors.pop(0))

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")
        if self.commit_errors:
            raise KafkaException(self.commit_errors.pop(0))

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")

    def poll(self, timeout: float) -> int:
        return 0


class IdleConsumer:
    def consumer_group_metadata(self) -> object:
        return object()

    def assignment(self) -> list[Any]:
        return []


def _router(producer: RecordingProducer) -> Router:
    router = Router.__new__(Router)  # no Kafka clients: only the batch's error handling is under test
    router.settings = RouterSettings()
    router.stats = RouterStats()
    router.metrics = None
    router._on_commit = None
    router._producer = producer  # type: ignore[assignment]
    router._consumer = IdleConsumer()  # type: ignore[assignment]
    router._chains = {}
    router._stall_checked = 0.0
    router._recent = RecentEvents(10)
    router._positions = Positions()
    router._limits = Limits()
    router._refused = {}
    router._refusals = {}
    router._isolate = {}
    router._write = lambda outcomes: []  # type: ignore[method-assign]
    return router


def test_a_commit_that_timed_out_is_committed_again_not_aborted() -> None:
    producer = RecordingProducer([TIMED_OUT])
    router = _router(producer)
    router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "commit", "commit"]
    assert router.stats.transactions == 1 and router.stats.aborts == 0


def test_a_commit_still_unknown_after_every_attempt_stops_the_worker() -> None:
    producer = RecordingProducer([TIMED_OUT] * TRANSACTION_ATTEMPTS)
    router = _router(producer)
    with pytest.raises(KafkaException) as stopped:
        router._commit_batch([], started=0.0)
    assert stopped.value.args[0].retriable()
    assert producer.calls.count("commit") == TRANSACTION_ATTEMPTS and "abort" not in producer.calls
    assert router.stats.transactions == 0


def test_an_error_requiring_an_abort_aborts_and_the_batch_is_read_again() -> None:
    producer = RecordingProducer([NEEDS_ABORT])
    router = _router(producer)
    router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "commit", "abort"]
    assert router.stats.aborts == 1 and router.stats.transactions == 0


def test_a_fenced_worker_stops_without_retrying() -> None:
    producer = RecordingProducer([FENCED])
    router = _router(producer)
    with pytest.raises(KafkaException):
        router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "commit"]


def test_an_offsets_step_that_timed_out_aborts_and_the_batch_is_read_again() -> None:
    producer = RecordingProducer([], offsets_errors=(TIMED_OUT,))
    router = _router(producer)
    router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "abort"], "no commit of a transaction missing its offsets"
    assert router.stats.aborts == 1 and router.stats.transactions == 0


class StalledConsumer:
    """Assigned one partition whose end is ``end``; the group committed ``committed`` of it."""

    def __init__(self, committed: int, end: int) -> None:
        self.committed_offset, self.end = committed, end
        self.queries = 0

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("ingress", 0)]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        self.queries += 1
        return [TopicPartition(p.topic, p.partition, self.committed_offset) for p in partitions]

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float) -> tuple[int, int]:
        return 0, self.end


def _supervised(consumer: StalledConsumer, limit: float | None) -> Router:
    router = _router(RecordingProducer([]))
    router.settings = RouterSettings(stall_exit_seconds=limit)
    router._consumer = consumer  # type: ignore[assignment]
    return router


def test_a_supervised_worker_reading_nothing_while_records_wait_stops() -> None:
    consumer = StalledConsumer(committed=192, end=600)
    router = _supervised(consumer, limit=90)
    with pytest.raises(ConsumerStalled, match=f"{STALLED_CONSUMER}: 408 record"):
        router._stop_if_stalled(last_input=time.monotonic() - 91)


def test_an_idle_worker_with_nothing_waiting_goes_on_and_checks_a_third_of_the_limit_apart() -> None:
    consumer = StalledConsumer(committed=600, end=600)
    router = _supervised(consumer, limit=90)
    idle_since = time.monotonic() - 300
    router._stop_if_stalled(idle_since)
    router._stop_if_stalled(idle_since)
    assert consumer.queries == 1


def test_no_check_before_the_limit_and_never_in_process() -> None:
    consumer = StalledConsumer(committed=0, end=600)
    _supervised(consumer, limit=90)._stop_if_stalled(time.monotonic() - 30)
    _supervised(consumer, limit=None)._stop_if_stalled(time.monotonic() - 3600)
    assert consumer.queries == 0


def test_a_coordinator_that_does_not_answer_the_check_stops_the_worker_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = StalledConsumer(committed=0, end=600)

    def unanswered(partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "committed offsets timed out", retriable=True))

    consumer.committed = unanswered  # type: ignore[method-assign]
    with pytest.raises(KafkaException):
        _supervised(consumer, limit=90)._stop_if_stalled(time.monotonic() - 91)
    assert f"{STALLED_CONSUMER}: nothing read for 91 s" in caplog.text, "the supervisor's reason"


def test_a_committed_batch_keeps_its_routed_events_and_an_aborted_one_drops_them() -> None:
    committed = _router(RecordingProducer([]))
    assert committed._recent is not None
    committed._recent.stage(Source("in", 0, 7), "e1")
    committed._commit_batch([], started=0.0)
    assert committed._recent.routed_at(Source("in", 0, 8), "e1") == "in/0@7"

    aborted = _router(RecordingProducer([], offsets_errors=(NEEDS_ABORT,)))
    assert aborted._recent is not None
    aborted._recent.stage(Source("in", 0, 7), "e1")
    aborted._commit_batch([], started=0.0)
    assert aborted._recent.routed_at(Source("in", 0, 7), "e1") is None  # the redo is not a duplicate


def test_an_abort_that_fails_fatally_stops_the_worker_at_once() -> None:
    producer = RecordingProducer([], offsets_errors=(NEEDS_ABORT,))

    def fatal_abort(timeout: float) -> None:
        producer.calls.append("abort")
        raise KafkaException(KafkaError(KafkaError.INVALID_TXN_STATE, "invalid state", fatal=True))

    producer.abort_transaction = fatal_abort  # type: ignore[method-assign]
    router = _router(producer)
    with pytest.raises(KafkaException):
        router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "abort"]


def test_an_abort_that_timed_out_is_called_again_until_it_finishes() -> None:
    producer = RecordingProducer([], offsets_errors=(NEEDS_ABORT,))
    pending = [TIMED_OUT]

    def slow_abort(timeout: float) -> None:
        producer.calls.append("abort")
        if pending:
            raise KafkaException(pending.pop())

    producer.abort_transaction = slow_abort  # type: ignore[method-assign]
    router = _router(producer)
    router._commit_batch([], started=0.0)
    assert producer.calls == ["begin", "offsets", "abort", "abort"]


class UnansweredConsumer(IdleConsumer):
    """Owns a partition whose committed offsets the coordinator answers only after ``silent`` calls."""

    def __init__(self, silent: int) -> None:
        self.silent = silent
        self.seeks: list[TopicPartition] = []

    def assignment(self) -> list[Any]:
        return [TopicPartition("in", 0)]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        if self.silent:
            self.silent -= 1
            raise KafkaException(KafkaError(KafkaError.NOT_COORDINATOR, "Not coordinator", retriable=True))
        return [TopicPartition("in", 0, 40, "audit:3:" + "0" * 64)]

    def seek(self, partition: TopicPartition) -> None:
        self.seeks.append(partition)


def test_a_rewind_asks_the_coordinator_again_then_seeks_to_the_committed_offsets() -> None:
    router = _router(RecordingProducer([], offsets_errors=(NEEDS_ABORT,)))
    consumer = UnansweredConsumer(silent=REWIND_ATTEMPTS - 1)
    router._consumer = consumer  # type: ignore[assignment]
    router._commit_batch([], started=0.0)
    assert [(p.partition, p.offset) for p in consumer.seeks] == [(0, 40)]
    assert router._chains[("in", 0)].head.seq == 3
    assert router._positions.next_offset("in", 0) == 40


def test_a_rewind_the_coordinator_never_answers_stops_the_worker_by_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = _router(RecordingProducer([], offsets_errors=(NEEDS_ABORT,)))
    consumer = UnansweredConsumer(silent=REWIND_ATTEMPTS)
    router._consumer = consumer  # type: ignore[assignment]
    with pytest.raises(KafkaException):
        router._commit_batch([], started=0.0)
    assert consumer.seeks == [], "never goes on from the position past the aborted batch"
    assert REWIND_FAILED in caplog.text


def test_records_handed_out_again_below_the_committed_position_are_not_decided_twice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = _router(RecordingProducer([]))
    router._positions.reset("in", 0, 10)
    decided: list[int] = []

    class Decider:
        def decide(self, source: Source, *args: Any, **kwargs: Any) -> Any:
            decided.append(source.offset)
            return Outcome()

    router._decider = Decider()  # type: ignore[assignment]
    router.settings = RouterSettings()
    records = [Inbound(Source("in", 0, offset), None, b"v", None) for offset in (8, 9, 10, 11)]
    router._transact(records)
    assert decided == [10, 11]
    assert router._positions.next_offset("in", 0) == 12
    assert "in/0@8 (next is 10), in/0@9 (next is 10)" in caplog.text
    router._transact([Inbound(Source("in", 0, 11), None, b"v", None)])
    assert decided == [10, 11], "a record of a committed batch is never decided again"
