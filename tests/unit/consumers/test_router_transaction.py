"""How a router batch answers each kind of transaction error librdkafka reports.

A timed-out commit has an unknown outcome: librdkafka accepts only the same commit again, so the
router retries it (an abort there would fail, and every later batch with it). An error that
requires an abort aborts and rewinds; a fatal one, or a commit still unknown after every retry,
stops the worker. The producer and consumer here are stand-ins recording calls: the broker-backed
behaviour is covered by the router and fault suites.
"""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from consumers.router import TRANSACTION_ATTEMPTS, Router, RouterSettings, RouterStats

TIMED_OUT = KafkaError(KafkaError._TIMED_OUT, "commit timed out", retriable=True)
NEEDS_ABORT = KafkaError(KafkaError._INCONSISTENT, "1 message failed delivery", txn_requires_abort=True)
FENCED = KafkaError(KafkaError._FENCED, "fenced by a newer instance", fatal=True)


class RecordingProducer:
    def __init__(self, commit_errors: list[KafkaError]) -> None:
        self.commit_errors = list(commit_errors)
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: float) -> None:
        self.calls.append("offsets")

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")
        if self.commit_errors:
            raise KafkaException(self.commit_errors.pop(0))

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")


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
