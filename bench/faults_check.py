"""The accounting of a fault run: what was published against what partners hold and the ledger says.

Kept free of I/O so it can be tested on hand-made inputs: a checker that cannot see a loss, a
duplicate or a reordering would let every fault pass.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """One event the stream handed to the publisher, in publish order (``seq``)."""

    event_id: str
    seq: int
    case: str
    """The partitioning key: the case id, or the event id when there is no case."""
    partners: frozenset[str]
    """Partners the policy engine entitles to this event."""
    acked: bool


@dataclass(frozen=True)
class PartnerCopy:
    """One committed record on a partner topic, located so its order can be judged."""

    partner: str
    partition: int
    offset: int
    event_id: str


@dataclass(frozen=True)
class Tally:
    """Counts of one run. Events for sent/acked/delivered/lost; partner records for the rest."""

    sent: int
    acked: int
    delivered: int
    """Acknowledged events found on every entitled partner's topic."""
    lost: int
    """Acknowledged events missing from at least one entitled partner's topic."""
    duplicated: int
    """Partner records repeating an (event, partner) pair already on the topic."""
    out_of_order: int
    """Partner records behind a later-published event of the same case on the same partition."""
    unexplained: int
    """Partner records the ledger does not account for (no committed delivery entry, or fewer)."""
    not_entitled: int
    """Partner records for a partner the policy engine does not entitle to the event."""


def ledger_deliveries(entries: Iterable[bytes]) -> Counter[tuple[str, str]]:
    """(event id, partner) -> how many committed ledger decisions deliver it."""
    found: Counter[tuple[str, str]] = Counter()
    for raw in entries:
        entry = json.loads(raw)
        if entry.get("kind") != "decision":
            continue
        for delivered in entry.get("delivered", ()):
            found[(str(entry["event_id"]), str(delivered["partner"]))] += 1
    return found


@dataclass(frozen=True)
class LedgerEntry:
    """One committed decision or dead letter, with the transaction and batch that wrote it (from
    the seal that closed it: transactional id, first and last ingress offset on its chain)."""

    kind: str
    event_id: str | None
    source: str
    reason: str | None
    txn: str | None
    batch: str | None

    def __str__(self) -> str:
        what = self.kind if self.reason is None else f"{self.kind} ({self.reason})"
        return f"{what} of {self.source} by {self.txn or 'an unsealed write'} in batch {self.batch or '?'}"


def ledger_entries(entries: Iterable[bytes]) -> list[LedgerEntry]:
    """Every decision and dead letter of the ledger, read in audit-partition order, each tied to
    the seal that followed it on its chain."""
    found: list[LedgerEntry] = []
    waiting: dict[str, list[dict[str, object]]] = {}
    for raw in entries:
        entry = json.loads(raw)
        chain = str(entry.get("chain"))
        if entry.get("kind") == "seal":
            batch = entry.get("batch") or {}
            txn = batch.get("txn") if isinstance(batch, dict) else None
            span = f"{batch.get('first')}-{batch.get('last')}" if isinstance(batch, dict) and batch else None
            for item in waiting.pop(chain, []):
                found.append(_entry(item, txn, span))
        elif entry.get("kind") in ("decision", "deadletter"):
            waiting.setdefault(chain, []).append(entry)
    found += [_entry(item, None, None) for items in waiting.values() for item in items]
    return found


def _entry(item: dict[str, object], txn: object, batch: str | None) -> LedgerEntry:
    event = item.get("event_id")
    reason = item.get("reason")
    return LedgerEntry(
        str(item.get("kind")),
        None if event is None else str(event),
        str(item.get("source")),
        None if reason is None else str(reason),
        None if txn is None else str(txn),
        batch,
    )


def repeated_decisions(entries: Iterable[LedgerEntry]) -> dict[str, list[str]]:
    """Event id -> its decisions, for events the ledger decided (routed) more than once: one
    source twice means the router decided a record twice, two sources that the ingress topic held
    the event twice and the duplicate window missed the copy. Each names the transaction and batch
    that wrote it. A copy dead-lettered as ``duplicate_event`` is no second decision: the event was
    routed once and the copy refused, as it must be (:func:`copies_refused`)."""
    by_event: dict[str, list[str]] = {}
    for entry in entries:
        if entry.event_id is not None and entry.kind == "decision":
            by_event.setdefault(entry.event_id, []).append(str(entry))
    return {event: found for event, found in by_event.items() if len(found) > 1}


def copies_refused(entries: Iterable[LedgerEntry]) -> dict[str, list[str]]:
    """Event id -> its entries, for events whose copy on the ingress topic (written twice by the
    agency's producer) was refused as a duplicate after the event was routed."""
    listed = list(entries)
    copied = {
        e.event_id
        for e in listed
        if e.kind == "deadletter" and e.reason == "duplicate_event" and e.event_id is not None
    }
    return {event: [str(e) for e in listed if e.event_id == event] for event in sorted(copied)}


def ledger_counts(entries: Iterable[LedgerEntry]) -> tuple[int, Counter[str]]:
    """Committed decisions, and dead letters by reason. A refused copy is a dead letter, never a
    decision, so "one decision per event" counts ``decision`` entries only."""
    listed = list(entries)
    decisions = sum(1 for e in listed if e.kind == "decision")
    return decisions, Counter(str(e.reason) for e in listed if e.kind == "deadletter")


def records_decided_twice(entries: Iterable[LedgerEntry]) -> dict[str, list[str]]:
    """Ingress record -> its ledger entries, for records the ledger decided more than once."""
    by_source: dict[str, list[str]] = {}
    for entry in entries:
        by_source.setdefault(entry.source, []).append(str(entry))
    return {source: found for source, found in by_source.items() if len(found) > 1}


def tally(
    published: Sequence[Published], copies: Iterable[PartnerCopy], ledger: Counter[tuple[str, str]]
) -> Tally:
    """Judge what partners hold against what was published, entitled and written to the ledger."""
    by_id = {p.event_id: p for p in published}
    held: Counter[tuple[str, str]] = Counter()
    highest: dict[tuple[str, int, str], int] = {}
    out_of_order = not_entitled = unknown = 0
    for copy in sorted(copies, key=lambda c: (c.partner, c.partition, c.offset)):
        held[(copy.event_id, copy.partner)] += 1
        event = by_id.get(copy.event_id)
        if event is None:
            unknown += 1
            continue
        if copy.partner not in event.partners:
            not_entitled += 1
        lane = (copy.partner, copy.partition, event.case)
        if event.seq < highest.get(lane, -1):
            out_of_order += 1
        else:
            highest[lane] = event.seq
    acked = [p for p in published if p.acked]
    delivered = sum(1 for p in acked if all(held[(p.event_id, partner)] for partner in p.partners))
    duplicated = sum(count - 1 for count in held.values() if count > 1)
    unexplained = sum(max(0, count - ledger[pair]) for pair, count in held.items())
    return Tally(
        sent=len(published),
        acked=len(acked),
        delivered=delivered,
        lost=len(acked) - delivered,
        duplicated=duplicated,
        out_of_order=out_of_order,
        unexplained=unexplained,
        not_entitled=not_entitled + unknown,
    )
