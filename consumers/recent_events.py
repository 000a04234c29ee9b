"""The events each ingress partition routed lately, so an event published twice is routed once.

Kafka's transactions make the router's read-decide-write exactly once per ingress *record*. An
agency can still put one *event* on its topic twice: an adapter re-running a file, a retry after a
timeout, a librdkafka epoch bump after a broker failure. Events are keyed by case (or event id), so
every copy lands on the same partition; this window remembers the event ids routed there and the
router dead-letters a later copy (reason ``duplicate_event``) instead of delivering it again.

The window follows the transaction: ids decided in a batch are staged and join the window only
when the batch commits; an aborted batch's ids are dropped with it, so the redo is not refused.
A worker that takes over a partition rebuilds its window from the audit ledger, the record of
what was routed: the ``decision`` entries of that partition's chain near the end of the audit
topic. Dead-lettered records are not decisions, so a forged copy of an event id cannot block the
genuine event, and an event dead-lettered then replayed after a fix (``dlq replay``) is routed.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from consumers.decisions import Source
from consumers.topic_reader import read_tail

Partition = tuple[str, int]
LEDGER_READ_BACK = 4
"""Audit records read back per partition of the audit topic, as a multiple of the window: the
ledger interleaves every ingress partition's chain, so a busy neighbour's entries share the read."""


class RecentEvents:
    """Event id -> the ingress offset it was routed from, for the last ``limit`` routed events of
    each partition (about 1.7 MiB for a full window of 10,000: ids and offsets only)."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError(f"the window must hold at least one event, not {limit}")
        self.limit = limit
        self._routed: dict[Partition, OrderedDict[str, int]] = {}
        self._staged: dict[Partition, dict[str, int]] = {}

    def routed_at(self, source: Source, event_id: str) -> str | None:
        """Where ``event_id`` was routed before on this partition (this batch included), or None."""
        tp = (source.topic, source.partition)
        staged = self._staged.get(tp)
        offset = staged.get(event_id) if staged is not None else None
        if offset is None:
            routed = self._routed.get(tp)
            offset = routed.get(event_id) if routed is not None else None
        return None if offset is None else str(Source(source.topic, source.partition, offset))

    def stage(self, source: Source, event_id: str) -> None:
        """Record an event routed in the open batch."""
        self._staged.setdefault((source.topic, source.partition), {})[event_id] = source.offset

    def commit(self) -> None:
        """The batch committed: its events join the window, the oldest leave past the limit."""
        for tp, staged in self._staged.items():
            self._remember(tp, staged.items())
        self._staged.clear()

    def discard(self) -> None:
        """The batch aborted: it will be consumed again, so its events were never routed."""
        self._staged.clear()

    def forget(self, topic: str, partition: int) -> None:
        """The partition moved to another worker, which rebuilds its own window."""
        self._routed.pop((topic, partition), None)
        self._staged.pop((topic, partition), None)

    def size(self, topic: str, partition: int) -> int:
        return len(self._routed.get((topic, partition), ()))

    def rebuild(
        self, client_config: dict[str, Any], audit_topic: str, partitions: Sequence[Partition]
    ) -> int:
        """Remember what the ledger says was routed from ``partitions`` (a worker taking them over):
        their ``decision`` entries among the last ``LEDGER_READ_BACK`` times ``limit`` records of
        each audit partition. Returns how many events it remembered."""
        chains = {f"{topic}/{partition}": (topic, partition) for topic, partition in partitions}
        for topic, partition in partitions:
            self.forget(topic, partition)
        found: dict[Partition, list[tuple[str, int]]] = {}
        for record in read_tail(client_config, audit_topic, LEDGER_READ_BACK * self.limit):
            owner = chains.get((record.key or b"").decode(errors="replace"))  # keyed by chain: no parse
            if owner is None or record.value is None:
                continue
            entry = json.loads(record.value)
            if entry.get("kind") == "decision":
                offset = int(str(entry["source"]).rpartition("@")[2])  # source: topic/partition@offset
                found.setdefault(owner, []).append((str(entry["event_id"]), offset))
        for tp, routed in found.items():
            self._remember(tp, routed)
        return sum(self.size(*tp) for tp in found)

    def _remember(self, tp: Partition, routed: Iterable[tuple[str, int]]) -> None:
        window = self._routed.setdefault(tp, OrderedDict())
        for event_id, offset in routed:
            window.setdefault(event_id, offset)  # the first routing is the one to name
            window.move_to_end(event_id)
        while len(window) > self.limit:
            window.popitem(last=False)
