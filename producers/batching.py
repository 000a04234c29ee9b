"""The provenance batch: encoded events waiting to be sealed together under one signature.

Signing each event would cost an Ed25519 signature per event; sealing a batch costs one signature
plus a Merkle proof per event (see :mod:`schemas.provenance`). The batch closes when it holds
``batch_size`` events or its first event has waited ``linger`` seconds, whichever comes first, so
a quiet agency's events are not held back waiting for company.

This module knows nothing about Kafka: it buffers and seals, and the publisher produces what it
seals. That keeps the sealing rules testable without a broker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.provenance import Headers, Signer

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Sealed:
    """Events of one closed batch, in publish order, each with its provenance headers."""

    keys: list[bytes]
    values: list[bytes]
    tags: list[Any]
    """What the publisher attached to each event (its event id and callback), opaque here."""
    headers: list[Headers]

    def __len__(self) -> int:
        return len(self.values)


class ProvenanceBatch:
    """Collects (key, value) pairs of one agency and seals them with that agency's signer.

    Not thread-safe on its own: the publisher holds its lock around every call.
    """

    __slots__ = ("_events", "_started", "_tags", "clock", "linger", "signer", "size")

    def __init__(
        self, signer: Signer, size: int = 500, linger: float = 0.005, clock: Clock = time.monotonic
    ) -> None:
        if size < 1:
            raise ValueError(f"batch size must be at least 1, not {size}")
        if linger < 0:
            raise ValueError(f"linger must not be negative, not {linger}")
        self.signer = signer
        self.size = size
        self.linger = linger
        self.clock = clock
        self._events: list[tuple[bytes, bytes]] = []
        self._tags: list[Any] = []
        self._started = 0.0

    def __len__(self) -> int:
        return len(self._events)

    def add(self, key: bytes, value: bytes, tag: Any) -> bool:
        """Buffer one event; True when the batch is now full and should be sealed."""
        if not self._events:
            self._started = self.clock()
        self._events.append((key, value))
        self._tags.append(tag)
        return len(self._events) >= self.size

    def due(self, now: float | None = None) -> bool:
        """True when the batch holds events and the oldest has waited ``linger`` or longer."""
        if not self._events:
            return False
        return (self.clock() if now is None else now) - self._started >= self.linger

    def seal(self) -> Sealed | None:
        """Close the batch: sign it and return its events with headers (None when empty)."""
        if not self._events:
            return None
        events, tags = self._events, self._tags
        self._events, self._tags = [], []
        headers = self.signer.seal(events)
        return Sealed([k for k, _ in events], [v for _, v in events], tags, headers)
