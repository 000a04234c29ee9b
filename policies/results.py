"""What routing decides for one event: a delivery or a denial for every partner.

Delivery and Denial are immutable named tuples (cheap to build: the router makes one per
partner per event); read them by attribute.

These are the values the router turns into partner records and audit entries (rule 10: every
delivery and every denial is recorded with the agreement version), so they carry everything the
audit needs and nothing it would have to look up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

_NOTHING_SCRUBBED: Mapping[str, Mapping[str, int]] = MappingProxyType({})


class Delivery(NamedTuple):
    """A projected record for one partner.

    ``record`` fits the plan's projection schema (``schema_name``, ``schema_fingerprint``);
    ``released`` are the field paths the record may carry (the plan's released set less what this
    record withheld outright); ``withheld`` pairs each withheld path with the rule that withheld
    it (``R1-default-deny`` for fields no agreement names, guard-rail ids, ``agreement-drop``,
    ``agreement-condition``). A repeated path (``people[].name``) may appear in both when some
    instances were released and others withheld. ``key`` is the Kafka key of the partner's record
    (derived only from what the partner may see); ``scrubbed`` counts, per field path and kind,
    the spans rule 11 replaced by a placeholder (never a value).
    """

    partner: str
    topic: str
    agreement_id: str
    agreement_version: int
    record: dict[str, Any]
    schema_name: str
    schema_fingerprint: bytes
    released: tuple[str, ...]
    withheld: tuple[tuple[str, str], ...]
    key: bytes | None = None
    scrubbed: Mapping[str, Mapping[str, int]] = _NOTHING_SCRUBBED


class Denial(NamedTuple):
    """A partner that receives nothing for this event, and why (``rule_id`` as in the guard rails;
    ``R1-default-deny`` when no agreement covers the partner and event type)."""

    partner: str
    rule_id: str
    reason: str
    agreement_id: str | None = None
    agreement_version: int | None = None


@dataclass(slots=True)
class Routing:
    """The decision for one event: exactly one delivery or denial per registry partner.

    ``alerts`` names failures of the routes that must never fail (a child victim event that did
    not reach a required partner): the router should raise them to people, not only log them.
    """

    event_type: str
    event_id: str
    deliveries: list[Delivery] = field(default_factory=list)
    denials: list[Denial] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    def decision(self, partner: str) -> Delivery | Denial | None:
        """The delivery or denial for ``partner`` (None if the partner is unknown)."""
        for d in self.deliveries:
            if d.partner == partner:
                return d
        for n in self.denials:
            if n.partner == partner:
                return n
        return None

    def delivered_to(self) -> list[str]:
        """Partner ids that receive a record, in registry order."""
        return [d.partner for d in self.deliveries]
