"""Turn one ingress record into what a transaction must write: partner records, dead letters and
the audit entry that explains them.

Pure and Kafka-free, so the whole decision for a record can be tested (and replayed) without a
broker. The router adds the Kafka transaction around a batch of these.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from consumers.admission import Admission, Admitted
from consumers.deadletter import Reason, Rejection, dead_letter_headers
from schemas.entry import SchemaEntry
from schemas.wire import Codec

log = logging.getLogger("pentameter.router")


class RoutingLike(Protocol):
    deliveries: list[Any]
    denials: list[Any]
    alerts: list[str]


class RecentLike(Protocol):
    """The router's window of routed events (:class:`consumers.recent_events.RecentEvents`)."""

    def routed_at(self, source: Source, event_id: str) -> str | None: ...

    def stage(self, source: Source, event_id: str) -> None: ...


class EngineLike(Protocol):
    def route(self, event_type: str, record: dict[str, Any]) -> RoutingLike: ...


@dataclass(frozen=True)
class Source:
    """Where an ingress record was read: the audit entry and dead letter name it."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass
class Outcome:
    """Everything one ingress record produces."""

    partner_records: list[tuple[str, bytes, bytes]] = field(default_factory=list)  # topic, key, value
    dead_letter: tuple[bytes | None, bytes | None, list[tuple[str, bytes]]] | None = None
    audit_kind: str = "decision"
    audit_body: dict[str, Any] = field(default_factory=dict)
    rejection: Rejection | None = None


def _version(value: Any) -> Any:
    return value if isinstance(value, int | str) or value is None else str(value)


class Decider:
    """Admission, policy routing and encoding for one record at a time."""

    def __init__(
        self,
        admission: Admission,
        engine: EngineLike,
        codec: Codec,
        deployed_topic: Callable[[str], str] | None = None,
    ) -> None:
        """``deployed_topic`` names a partner topic as deployed (:meth:`consumers.runtime.Runtime.topic`);
        without it the registry's names are used as they are."""
        self._deployed_topic = deployed_topic or (lambda name: name)
        self._admission = admission
        self._engine = engine
        self._codec = codec
        self._entries: dict[bytes, SchemaEntry] = {}

    def _entry(self, fingerprint: bytes) -> SchemaEntry:
        entry = self._entries.get(fingerprint)
        if entry is None:
            entry = self._entries[fingerprint] = self._codec.catalogue.by_fingerprint(fingerprint)
        return entry

    def decide(
        self,
        source: Source,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
        now_ms: int | None = None,
        recent: RecentLike | None = None,
    ) -> Outcome:
        """Decide one record. With ``recent`` (the router's window of routed events), an event id
        already routed from this partition is dead-lettered as a duplicate, and a routed one is
        staged there."""
        at = now_ms if now_ms is not None else int(time.time() * 1000)
        verdict = self._admission.admit(source.topic, key, value, headers)
        if isinstance(verdict, Rejection):
            return self._dead_letter(source, key, value, headers, verdict, at)
        if recent is not None:
            first = recent.routed_at(source, verdict.event_id)
            if first is not None:
                detail = f"event {verdict.event_id} was already routed from {first}; not delivered again"
                log.warning(
                    "duplicate event %s at %s (first routed from %s)", verdict.event_id, source, first
                )
                duplicate = Rejection(Reason.DUPLICATE_EVENT, detail)
                copy = self._dead_letter(source, key, value, headers, duplicate, at)
                copy.audit_body["event_id"] = verdict.event_id  # the ledger ties the copy to its event
                return copy
        try:
            outcome = self._route(source, verdict, at)
        except Exception as exc:  # a policy bug must dead-letter the record, not stop the router
            rejection = Rejection(Reason.POLICY_ERROR, f"{type(exc).__name__}: {exc}")
            return self._dead_letter(source, key, value, headers, rejection, at)
        if recent is not None:
            recent.stage(source, verdict.event_id)
        return outcome

    def _route(self, source: Source, admitted: Admitted, at: int) -> Outcome:
        routing = self._engine.route(admitted.entry.name, admitted.record)
        outcome = Outcome()
        delivered = []
        for d in routing.deliveries:
            entry = self._entry(d.schema_fingerprint)
            topic = self._deployed_topic(d.topic)
            outcome.partner_records.append((topic, d.key, self._codec.encode(entry, d.record)))
            decision = {
                "partner": d.partner,
                "topic": topic,
                "agreement": d.agreement_id,
                "version": _version(d.agreement_version),
                "schema": entry.label,
                "fields": d.released,  # tuples: the ledger's encoder writes them as arrays
                "withheld": d.withheld,
            }
            if d.scrubbed:
                decision["scrubbed"] = {path: dict(kinds) for path, kinds in d.scrubbed.items()}
            delivered.append(decision)
        denied = [
            {
                "partner": n.partner,
                "rule": n.rule_id,
                "reason": n.reason,
                "agreement": n.agreement_id,
                "version": _version(n.agreement_version),
            }
            for n in routing.denials
        ]
        outcome.audit_body = {
            "event_id": admitted.event_id,
            "event_type": admitted.entry.name,
            "schema": admitted.entry.label,
            "agency": admitted.agency,
            "source": str(source),
            "at": at,
            "delivered": delivered,
            "denied": denied,
        }
        if routing.alerts:  # a route that must never fail (a child's) did: on the record, and loud
            outcome.audit_body["alerts"] = list(routing.alerts)
            log.error("event %s: %s", admitted.event_id, "; ".join(routing.alerts))
        return outcome

    @staticmethod
    def _dead_letter(
        source: Source,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
        rejection: Rejection,
        at: int,
    ) -> Outcome:
        return Outcome(
            dead_letter=(key, value, dead_letter_headers(headers, rejection, str(source), at)),
            audit_kind="deadletter",
            audit_body={
                "source": str(source),
                "at": at,
                "reason": rejection.reason.value,
                "detail": rejection.detail,
            },
            rejection=rejection,
        )
