"""Admission: decide whether one ingress record may enter routing, or why it is a dead letter.

Checks run cheapest-first and stop at the first failure: the topic must belong to a registered
agency; provenance must verify and name that same agency; the value must decode against a known
schema; the decoded record must keep the domain rules and claim the same origin agency. Nothing
here raises for bad input: every outcome is an :class:`Admitted` or a :class:`Rejection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from consumers.deadletter import Reason, Rejection
from schemas.entry import SchemaEntry
from schemas.exceptions import NotSingleObjectEncoded, UndecodableBody, UnknownFingerprint, WireError
from schemas.provenance import BadSignature, KeyOfAnotherAgency, MissingProvenance, UnknownKey, Verifier
from schemas.rules import RuleContext, check_rules
from schemas.wire import Codec, read_fingerprint


@dataclass(frozen=True)
class Admitted:
    """A record that passed every check, with its proven agency and writer schema."""

    agency: str
    entry: SchemaEntry
    record: dict[str, Any]

    @cached_property
    def event_id(self) -> str:
        """The event id as text (asked several times per event; a UUID's str() is not free)."""
        return str(self.record["envelope"]["event_id"])


class Admission:
    """Admission checks bound to the agencies' ingress topics, trusted keys and the catalogue."""

    def __init__(self, ingress_agencies: Mapping[str, str], verifier: Verifier, codec: Codec) -> None:
        self._agency_of_topic = dict(ingress_agencies)
        self._verifier = verifier
        self._codec = codec

    def admit(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None
    ) -> Admitted | Rejection:
        agency = self._agency_of_topic.get(topic)
        if agency is None:
            return Rejection(Reason.UNKNOWN_AGENCY, f"topic {topic!r} is not the ingress topic of any agency")
        if value is None:
            return Rejection(Reason.UNDECODABLE, "record has no value")
        try:
            proven = self._verifier.verify(key, value, headers)
        except MissingProvenance as exc:
            return Rejection(Reason.MISSING_SIGNATURE, str(exc))
        except KeyOfAnotherAgency as exc:
            return Rejection(Reason.AGENCY_MISMATCH, str(exc))
        except UnknownKey as exc:
            return Rejection(Reason.BAD_SIGNATURE, str(exc))
        except BadSignature as exc:
            return Rejection(Reason.BAD_SIGNATURE, str(exc))
        if proven.agency != agency:
            return Rejection(
                Reason.AGENCY_MISMATCH,
                f"signed by {proven.agency!r} but written to {agency!r}'s ingress topic {topic!r}",
            )
        try:
            # decode into the latest version of the writer's event type: plans are compiled for it
            writer = self._codec.catalogue.find_fingerprint(read_fingerprint(value))
            reader = writer.name if writer is not None and writer.kind == "event" else None
            entry, record = self._codec.decode(value, reader=reader)
        except UnknownFingerprint as exc:
            return Rejection(Reason.UNKNOWN_FINGERPRINT, str(exc))
        except (NotSingleObjectEncoded, UndecodableBody, WireError) as exc:
            return Rejection(Reason.UNDECODABLE, str(exc))
        if entry.kind != "event":
            return Rejection(
                Reason.SCHEMA_VIOLATION, f"{entry.label} is not an event schema agencies may publish"
            )
        problems = list(check_rules(record, RuleContext(entry.name, entry.version)))
        if problems:
            listed = "; ".join(f"{path or '(record)'}: {why}" for path, why in problems)
            return Rejection(Reason.SCHEMA_VIOLATION, f"{entry.label}: {listed}")
        origin = record["envelope"].get("origin_agency")
        if origin != agency:
            return Rejection(
                Reason.AGENCY_MISMATCH,
                f"event claims origin_agency {origin!r} but was published by {agency!r}",
            )
        return Admitted(agency, entry, record)
