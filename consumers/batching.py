"""How big the router's next transaction is: what has arrived, without waiting when input waits.

A fixed window (consume N records or wait T ms) costs latency twice under light load: every event
waits out the window, then the batch's processing and commit. Instead the next batch is whatever
the consumer has already fetched (up to the batch limit), taken at once; only when nothing is
there does the router wait for the first record, then linger a few milliseconds for the records
arriving with it. Batches so grow with the load by themselves: under a backlog each one is full,
at a trickle each is small and goes out at once.
"""

from __future__ import annotations

from typing import Protocol

from confluent_kafka import Message


class BatchSource(Protocol):
    """What a batch is read from (a :class:`confluent_kafka.Consumer`)."""

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]: ...


def next_batch(
    consumer: BatchSource, max_events: int, wait_seconds: float, linger_seconds: float
) -> list[Message]:
    """Up to ``max_events`` messages (errors included, for the caller to read): those already
    fetched, else the first to arrive within ``wait_seconds`` and those arriving within
    ``linger_seconds`` after it. An empty list means nothing arrived in ``wait_seconds``."""
    ready = consumer.consume(max_events, 0)
    if ready:
        return ready
    first = consumer.consume(1, wait_seconds)
    if not first or max_events == 1:
        return first
    return first + consumer.consume(max_events - 1, linger_seconds)
