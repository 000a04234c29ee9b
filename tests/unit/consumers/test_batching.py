"""The router's next batch: waiting records at once, a wait only when none is there."""

from __future__ import annotations

from typing import Any

from consumers.batching import next_batch


class QueueConsumer:
    """A consumer whose fetched queue is ``ready``; ``arrivals`` come one per waiting call."""

    def __init__(self, ready: list[Any], arrivals: list[list[Any]] | None = None) -> None:
        self.ready = list(ready)
        self.arrivals = list(arrivals or [])
        self.calls: list[tuple[int, float]] = []

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        self.calls.append((num_messages, timeout))
        if not self.ready and timeout > 0 and self.arrivals:
            self.ready.extend(self.arrivals.pop(0))
        taken, self.ready = self.ready[:num_messages], self.ready[num_messages:]
        return taken


def test_waiting_records_are_taken_without_any_wait() -> None:
    consumer = QueueConsumer(list(range(5)))
    assert next_batch(consumer, 2000, 0.1, 0.002) == [0, 1, 2, 3, 4]
    assert consumer.calls == [(2000, 0)]


def test_a_backlog_fills_the_batch_to_its_limit() -> None:
    consumer = QueueConsumer(list(range(5000)))
    assert next_batch(consumer, 2000, 0.1, 0.002) == list(range(2000))
    assert next_batch(consumer, 2000, 0.1, 0.002) == list(range(2000, 4000))


def test_when_nothing_waits_the_first_arrival_opens_a_batch_that_lingers_for_more() -> None:
    consumer = QueueConsumer([], arrivals=[["a"], ["b", "c"]])
    assert next_batch(consumer, 2000, 0.1, 0.002) == ["a", "b", "c"]
    assert consumer.calls == [(2000, 0), (1, 0.1), (1999, 0.002)]


def test_nothing_arriving_within_the_wait_is_an_empty_batch() -> None:
    consumer = QueueConsumer([])
    assert next_batch(consumer, 2000, 0.1, 0.002) == []
    assert consumer.calls == [(2000, 0), (1, 0.1)]


def test_a_batch_of_one_never_lingers() -> None:
    consumer = QueueConsumer([], arrivals=[["a"], ["b"]])
    assert next_batch(consumer, 1, 0.1, 0.002) == ["a"]
    assert consumer.calls == [(1, 0), (1, 0.1)]
