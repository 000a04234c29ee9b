"""The next ingress offset each owned partition may route: one decision per ingress record.

Kafka's transaction makes the consumed offsets commit with the batch, so a restarted or rebalanced
worker starts where the last committed batch ended. Within one worker, though, the client library
owns the fetch position and can move it back on its own (an offset reset after a leader change
validates a position against an older epoch, a seek racing a prefetch): records already decided
and committed would then come round again. The router asks this ledger of positions before it
decides anything, and a record below its partition's next offset is skipped and logged with its
offsets, never decided a second time.

Positions follow the transaction like the window of routed events: a batch stages the offsets it
decided, and they become the partition's next offset only when the batch commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

Partition = tuple[str, int]


class Located(Protocol):
    """Anything read from an ingress partition at an offset (the router's ``Inbound.source``)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


@dataclass(frozen=True)
class Repeat:
    """A record handed out again below its partition's next offset."""

    topic: str
    partition: int
    offset: int
    expected: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset} (next is {self.expected})"


class Positions:
    """Next offset per owned partition, committed and staged."""

    def __init__(self) -> None:
        self._next: dict[Partition, int] = {}
        self._staged: dict[Partition, int] = {}

    def reset(self, topic: str, partition: int, offset: int) -> None:
        """Where the partition's committed position stands (negative: nothing committed yet)."""
        if offset >= 0:
            self._next[(topic, partition)] = offset
        else:
            self._next.pop((topic, partition), None)

    def forget(self, topic: str, partition: int) -> None:
        self._next.pop((topic, partition), None)
        self._staged.pop((topic, partition), None)

    def next_offset(self, topic: str, partition: int) -> int | None:
        return self._next.get((topic, partition))

    def admit(self, sources: Sequence[Located]) -> tuple[list[int], list[Repeat]]:
        """Indexes of the sources to decide, in order, and the ones handed out again; the admitted
        offsets are staged until :meth:`commit`."""
        expected = dict(self._next)
        expected.update(self._staged)
        fresh: list[int] = []
        repeated: list[Repeat] = []
        for index, source in enumerate(sources):
            tp = (source.topic, source.partition)
            floor = expected.get(tp)
            if floor is not None and source.offset < floor:
                repeated.append(Repeat(source.topic, source.partition, source.offset, floor))
                continue
            expected[tp] = source.offset + 1
            self._staged[tp] = source.offset + 1
            fresh.append(index)
        return fresh, repeated

    def commit(self) -> None:
        """The batch committed: its offsets are the partitions' next ones."""
        self._next.update(self._staged)
        self._staged.clear()

    def discard(self) -> None:
        """The batch aborted: it will be read again from the committed positions."""
        self._staged.clear()
