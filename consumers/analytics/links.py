"""Cross-force link detection on pseudonymised tokens (no I/O, no faust).

The coordination cell's agreement replaces every phone number, IMEI, registration mark, address,
account number and name with a keyed token (``pt1_...``): the same value gives the same token
whichever force reported it. A token seen in events of two or more forces is a link. Only values
that are tokens are ever considered: a raw identifier (which the agreement should never let
through) is ignored rather than linked on.

State per token is a JSON-able dict, so the faust table can hold it as is::

    state, alert = observe(state, "phone", token, sighting)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

TOKEN = re.compile(r"^pt1_[0-9a-f]{32}$")
MAX_SIGHTINGS = 500
"""Sightings kept per token (the forces and the first and last seen are always kept in full)."""

Record = Mapping[str, Any]

# (kind, path) where a path is dotted and ``[]`` marks a list; the leaf may itself be a list.
TOKEN_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "IntelligenceReport": (
        ("phone", "phones[].number"),
        ("phone", "phones[].imei"),
        ("vehicle", "vehicles[].vrm"),
        ("premises", "premises[].address"),
        ("person", "people[].name"),
        ("person", "people[].other_names"),
        ("account", "accounts[].account_number"),
    ),
    "PremisesVisit": (("premises", "premises.address"),),
    "PotentialVictimEncounter": (
        ("person", "victim.name"),
        ("person", "victim.other_names"),
        ("phone", "victim.phone"),
        ("premises", "encounter_premises.address"),
    ),
    "NRMReferral": (("person", "victim.name"), ("person", "victim.other_names"), ("phone", "victim.phone")),
    "Arrest": (("person", "person.name"), ("person", "person.other_names")),
    "AssetSeizure": (("person", "subject.name"), ("account", "account.account_number")),
}


def is_token(value: object) -> bool:
    return isinstance(value, str) and TOKEN.match(value) is not None


def _values(node: object, parts: list[str]) -> Iterator[object]:
    if not parts:
        if isinstance(node, list):
            yield from node
        else:
            yield node
        return
    if not isinstance(node, Mapping):
        return
    head, rest = parts[0], parts[1:]
    value = node.get(head.removesuffix("[]"))
    if head.endswith("[]"):
        for item in value if isinstance(value, list) else []:
            yield from _values(item, rest)
    else:
        yield from _values(value, rest)


def mentions(record: Record) -> list[tuple[str, str]]:
    """The distinct ``(kind, token)`` pairs one record mentions, in order of first mention."""
    envelope = record.get("envelope") or {}
    found: dict[tuple[str, str], None] = {}
    for kind, path in TOKEN_PATHS.get(str(envelope.get("event_type")), ()):
        for value in _values(record, path.split(".")):
            if is_token(value):
                found[(kind, str(value))] = None
    return list(found)


@dataclass(frozen=True)
class Sighting:
    """One event mentioning a token."""

    event_id: str
    event_type: str
    force: str
    agency: str
    at: str

    @classmethod
    def of(cls, record: Record) -> Sighting:
        envelope = record.get("envelope") or {}
        occurred = envelope.get("occurred_at")
        at = occurred.isoformat() if isinstance(occurred, datetime | date) else str(occurred or "")
        return cls(
            str(envelope.get("event_id")),
            str(envelope.get("event_type")),
            str(envelope.get("force_area") or "UNKNOWN"),
            str(envelope.get("origin_agency") or "UNKNOWN"),
            at,
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def observe(
    state: Mapping[str, Any] | None, kind: str, token: str, sighting: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Add a sighting to a token's state; returns the new state and an alert when it is a link.

    An alert is raised when a token is first seen by a second force and again whenever a linked
    token is seen in a new event; seeing the same event again (a redelivery) changes nothing.
    """
    if not is_token(token):
        raise ValueError("link detection works on pseudonymised tokens only")
    current: dict[str, Any] = (
        dict(state)
        if state
        else {
            "kind": kind,
            "token": token,
            "forces": [],
            "event_ids": [],
            "sightings": [],
            "first_seen": None,
            "last_seen": None,
            "count": 0,
        }
    )
    event_id = sighting["event_id"]
    if event_id in current["event_ids"]:
        return current, None
    at = sighting.get("at") or ""
    forces = sorted({*current["forces"], sighting["force"]})
    current.update(
        forces=forces,
        event_ids=sorted([*current["event_ids"], event_id]),
        sightings=[*current["sightings"], dict(sighting)][-MAX_SIGHTINGS:],
        first_seen=min(filter(None, (current["first_seen"], at)), default=None),
        last_seen=max(filter(None, (current["last_seen"], at)), default=None),
        count=current["count"] + 1,
    )
    if len(forces) < 2:
        return current, None
    return current, alert(current, sighting)


def alert(state: Mapping[str, Any], trigger: Mapping[str, str]) -> dict[str, Any]:
    """The link alert sent to the cell: kind, token, forces, event ids, sightings, first/last seen."""
    return {
        "alert": "cross_force_link",
        "kind": state["kind"],
        "token": state["token"],
        "forces": list(state["forces"]),
        "event_ids": list(state["event_ids"]),
        "sightings": list(state["sightings"]),
        "count": state["count"],
        "first_seen": state["first_seen"],
        "last_seen": state["last_seen"],
        "trigger": dict(trigger),
    }


def detect(records: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """Every token state from a list of records, in one pass (for tests and offline checks)."""
    states: dict[str, dict[str, Any]] = {}
    for record in records:
        sighting = Sighting.of(record).as_dict()
        for kind, token in mentions(record):
            key = f"{kind}|{token}"
            states[key], _ = observe(states.get(key), kind, token, sighting)
    return {k: v for k, v in states.items() if len(v["forces"]) >= 2}
