"""Per-event facts the guard rails need, read once per event and shared by every partner's plan.

Whether the person is a child, whether consent is recorded, who referred and who supports them,
which handling code restricts the report to whom: each plan would otherwise read these again for
each of a dozen partners. :func:`facts_reader` looks at an event schema once and returns a
function that reads exactly the fields that schema has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policies import guardrails
from policies.schemainfo import find
from schemas.entry import SchemaEntry

RESTRICTION_TEXT = {
    guardrails.R3_HANDLING_C: "3x5x2 handling code C: only the named recipients, for the named purposes; "
    "never onward",
    guardrails.R3_LEGACY_5: "5x5x5 handling code {code}: no dissemination beyond the originator's list; "
    "refer to the originator",
    guardrails.R3_SIENA_H2: "SIENA {code}: not to be disseminated further without the provider's permission",
    guardrails.R3_TLP_RED: "TLP:RED: for the named recipients only; no further disclosure",
}


class EventFacts:
    """What the guard rails need to know about one event (see the module doc)."""

    __slots__ = (
        "child",
        "cond_purposes",
        "consent_ok",
        "dtn_child",
        "event_id",
        "first_responder",
        "force_area",
        "onward_ok",
        "origin",
        "recipients",
        "restricted",
        "restrictions",
        "support_provider",
    )

    def __init__(self) -> None:
        self.event_id = ""
        self.origin = ""
        self.force_area = ""
        self.child = False
        self.consent_ok = False
        self.first_responder: str | None = None
        self.support_provider: str | None = None
        self.dtn_child = False
        self.restricted: tuple[str, str] | None = None
        self.recipients: frozenset[str] = frozenset()
        self.cond_purposes: frozenset[str] | None = None
        self.onward_ok = True
        self.restrictions: tuple[str, ...] = ()


def _has(entry: SchemaEntry, path: str) -> bool:
    return find(entry, path) is not None


def facts_reader(entry: SchemaEntry) -> Callable[[dict[str, Any]], EventFacts]:
    """A function reading :class:`EventFacts` from records of ``entry``'s shape."""
    victim = guardrails.is_victim_event(entry)
    has_presumed = _has(entry, "presumed_child")
    has_consent = _has(entry, "consent")
    consent_implied = victim and not has_consent and _has(entry, "referral_event_id")
    has_fr = _has(entry, "first_responder.agency_id")
    has_sp = _has(entry, "support_provider")
    is_dtn = entry.name == guardrails.DUTY_TO_NOTIFY and _has(entry, "age_band")
    graded = _has(entry, "grading.handling_code") and _has(entry, "grading.scheme")
    has_conditions = _has(entry, "handling_conditions.recipients")
    has_siena = _has(entry, "siena_code")
    has_tlp = _has(entry, "tlp")
    people = [
        info.path
        for info in entry.all_fields
        if not info.is_leaf
        and not info.repeated
        and "[" not in info.path
        and _has(entry, f"{info.path}.is_child")
        and _has(entry, f"{info.path}.role")
    ]

    def read(record: dict[str, Any]) -> EventFacts:
        facts = EventFacts()
        env = record["envelope"]
        facts.event_id = str(env["event_id"])
        facts.origin = env["origin_agency"]
        facts.force_area = env["force_area"]
        if victim:
            facts.child = bool(record["is_child"]) or (has_presumed and bool(record["presumed_child"]))
            facts.consent_ok = consent_implied or (has_consent and record["consent"] == "GIVEN")
        else:
            facts.child = any((record.get(p) or {}).get("is_child") is True for p in people)
        if has_fr:
            facts.first_responder = record["first_responder"]["agency_id"]
        if has_sp:
            facts.support_provider = record["support_provider"]
        if is_dtn:
            facts.dtn_child = record["age_band"] in guardrails.DTN_CHILD_BANDS
        if graded:
            _read_handling(record, facts, has_conditions, has_siena, has_tlp)
        return facts

    return read


def _read_handling(
    record: dict[str, Any], facts: EventFacts, has_conditions: bool, has_siena: bool, has_tlp: bool
) -> None:
    grading = record["grading"]
    scheme, code = grading["scheme"], grading["handling_code"]
    siena = record["siena_code"] if has_siena else None
    tlp = record["tlp"] if has_tlp else None
    conditions = record["handling_conditions"] if has_conditions else None
    restrictions: list[str] = []
    restricted: tuple[str, str] | None = None
    if scheme == "G3X5X2" and code == "C":
        restricted = (guardrails.R3_HANDLING_C, RESTRICTION_TEXT[guardrails.R3_HANDLING_C])
        facts.cond_purposes = frozenset(conditions["purposes"]) if conditions else frozenset()
    elif scheme == "G5X5X5" and code in guardrails.RESTRICTED_5X5X5:
        restricted = (guardrails.R3_LEGACY_5, RESTRICTION_TEXT[guardrails.R3_LEGACY_5].format(code=code))
    if siena in guardrails.RESTRICTED_SIENA:
        text = RESTRICTION_TEXT[guardrails.R3_SIENA_H2].format(code=siena)
        restrictions.append(text)
        restricted = restricted or (guardrails.R3_SIENA_H2, text)
    elif siena == "H0":
        restrictions.append("SIENA H0: use only to prevent and combat crime")
    elif siena == "H1":
        restrictions.append(
            "SIENA H1: not to be used in judicial proceedings without the provider's permission"
        )
    if tlp == "RED":
        restrictions.append(RESTRICTION_TEXT[guardrails.R3_TLP_RED])
        restricted = restricted or (guardrails.R3_TLP_RED, RESTRICTION_TEXT[guardrails.R3_TLP_RED])
    elif tlp == "AMBER_STRICT":
        restrictions.append("TLP:AMBER+STRICT: within the recipient organisation only")
        facts.onward_ok = False
    elif tlp is not None:
        restrictions.append(f"TLP:{tlp}")
    if restricted is not None:
        restrictions.insert(0, restricted[1])
        facts.onward_ok = False
        facts.recipients = frozenset(conditions["recipients"]) if conditions else frozenset()
    facts.restricted = restricted
    facts.restrictions = tuple(restrictions)
