"""Guard rails: the rules the engine enforces whatever an agreement says.

An agreement is written by people and can be wrong. The rules below are structural: they come
from the law and the domain brief, not from any one agreement, so they live here, each with a
rule id, and are enforced twice:

* at **load**, :func:`field_violations` and :func:`event_violation` make agreement validation
  fail (the reviewer sees ``file:line: agreement X: ... [R2-source]``) when an agreement tries
  to release what a rail forbids in every case;
* at **apply** time, compiled plans carry the per-record rails (consent, children, handling
  codes, value-dependent marks such as a safe house's address or a suspect's phone) and the
  compiler refuses to emit any operation a static rail forbids, even for an agreement object that
  never went through the loader (defence in depth).

The ids are what the audit trail records for a withheld field or a denied partner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from policies.registry import Partner, PartnerKind, Role
from policies.transforms import Exposure
from schemas.entry import SchemaEntry
from schemas.fields import FieldInfo
from schemas.naming import resolve

# -- rule ids -----------------------------------------------------------------------------------

R1_DEFAULT_DENY = "R1-default-deny"
R1_NOT_IN_FORCE = "R1-not-in-force"
R1_PROVIDER = "R1-provider-not-party"
R2_SOURCE = "R2-source"
R3_HANDLING_C = "R3-handling-C"
R3_LEGACY_5 = "R3-legacy-handling-5"
R3_SIENA_H2 = "R3-siena-H2"
R3_TLP_RED = "R3-tlp-red"
R4_NGO_EVENT = "R4-ngo-event"
R4_NGO_SUSPECT = "R4-ngo-suspect"
R4_NGO_GRADING = "R4-ngo-grading"
R4_NGO_NARRATIVE = "R4-ngo-narrative"
R4_NGO_ASSETS = "R4-ngo-assets"
R4_NGO_NOT_SUPPORTING = "R4-ngo-not-supporting"
R5_ADULT_CONSENT = "R5-adult-consent"
R6_DTN_IDENTITY = "R6-dtn-identity"
R7_CHILD_IDENTITY = "R7-child-identity"
R7_CHILD_ROUTING = "R7-child-routing"
R7_CHILD_NO_DTN = "R7-child-no-dtn"
R8_SAFE_ADDRESS = "R8-safe-address"
R9_SPECIAL_CATEGORY = "R9-special-category"
R9_CRIMINAL_OFFENCE = "R9-criminal-offence-data"
R10_AUDIT_FIELDS = "R10-audit-fields"
R11_SCRUB = "R11-scrub"
R12_REVIEW_DATE = "R12-review-date"
R12_REVIEW_PASSED = "R12-review-date-passed"
AGREEMENT_DROP = "agreement-drop"
AGREEMENT_CONDITION = "agreement-condition"
"""Not guard rails: the agreement itself dropped the field, or its condition did not hold."""


@dataclass(frozen=True)
class GuardRail:
    """One structural rule: its id, the domain rule it serves, and where it is enforced."""

    rule_id: str
    domain_rule: int
    summary: str
    enforced: str


GUARD_RAILS: Mapping[str, GuardRail] = MappingProxyType(
    {
        g.rule_id: g
        for g in (
            GuardRail(
                R1_DEFAULT_DENY,
                1,
                "Nothing is shared unless an agreement names the partner, the event type and the field.",
                "engine (plans only carry named fields)",
            ),
            GuardRail(
                R1_NOT_IN_FORCE, 1, "An agreement outside its valid_from..valid_to shares nothing.", "route"
            ),
            GuardRail(
                R1_PROVIDER,
                1,
                "An agreement shares only events from the agencies it lists as providers.",
                "route",
            ),
            GuardRail(
                R2_SOURCE, 2, "Fields marked source never leave, in any form.", "load + compile + apply"
            ),
            GuardRail(
                R3_HANDLING_C,
                3,
                "3x5x2 handling C: only the named recipients, for the named purposes, never onward.",
                "apply",
            ),
            GuardRail(
                R3_LEGACY_5,
                3,
                "Legacy 5x5x5 handling 4 or 5: only the originator's list, never onward.",
                "apply",
            ),
            GuardRail(
                R3_SIENA_H2, 3, "SIENA H2 (and H3): only the originator's list, never onward.", "apply"
            ),
            GuardRail(R3_TLP_RED, 3, "TLP:RED: only the originator's list, never onward.", "apply"),
            GuardRail(
                R4_NGO_EVENT,
                4,
                "NGOs receive only victim events (no intelligence reports, arrests, "
                "asset actions, premises visits or Duty to Notify).",
                "load + compile",
            ),
            GuardRail(
                R4_NGO_SUSPECT,
                4,
                "NGOs never receive suspect or associate data (static or by role).",
                "load + compile + apply",
            ),
            GuardRail(R4_NGO_GRADING, 4, "NGOs never receive intelligence grades.", "load + compile"),
            GuardRail(
                R4_NGO_NARRATIVE, 4, "NGOs never receive narratives or other free text.", "load + compile"
            ),
            GuardRail(R4_NGO_ASSETS, 4, "NGOs never receive financial or asset details.", "load + compile"),
            GuardRail(
                R4_NGO_NOT_SUPPORTING,
                4,
                "NGOs receive a victim event only for a person they support "
                "(named support provider or first responder).",
                "apply",
            ),
            GuardRail(
                R5_ADULT_CONSENT,
                5,
                "Adult victim identity in clear only with recorded consent, and "
                "only to the SCA, the referring first responder and the named support provider.",
                "load (partners that can never qualify) + apply",
            ),
            GuardRail(
                R6_DTN_IDENTITY,
                6,
                "A Duty to Notify releases no identifier and no exact "
                "quasi-identifier (not even as a token).",
                "load + compile",
            ),
            GuardRail(
                R7_CHILD_IDENTITY,
                7,
                "A child's identity in clear only to police, children's services and the SCA.",
                "apply",
            ),
            GuardRail(
                R7_CHILD_ROUTING,
                7,
                "Child victim events always reach the SCA and the local police and children's services.",
                "load (probe) + route (alert)",
            ),
            GuardRail(
                R7_CHILD_NO_DTN, 7, "A Duty to Notify that may concern a child is never shared.", "apply"
            ),
            GuardRail(
                R8_SAFE_ADDRESS,
                8,
                "Safe-house and current victim addresses (sensitive_location, also "
                "by value) are never released in any form.",
                "load + compile + apply",
            ),
            GuardRail(
                R9_SPECIAL_CATEGORY,
                9,
                "Special category fields only where the agreement records the "
                "condition (DPA 2018 Sch 8 or UK GDPR Art 9).",
                "load + compile",
            ),
            GuardRail(
                R9_CRIMINAL_OFFENCE,
                9,
                "Under UK GDPR, suspect data only where the agreement records an Art 10 condition.",
                "load + compile",
            ),
            GuardRail(
                R10_AUDIT_FIELDS,
                10,
                "Every shared record carries event_id, event_type and the "
                "agreement id and version, unchanged.",
                "load + compile",
            ),
            GuardRail(
                R11_SCRUB,
                11,
                "A value a partner does not receive in clear (of anyone in the record) is removed from "
                "every string it does receive, in any spelling; free text goes out only as 'scrub', "
                "named by its own path.",
                "load + apply",
            ),
            GuardRail(R12_REVIEW_DATE, 12, "Every shared record carries its review date.", "load + compile"),
            GuardRail(
                R12_REVIEW_PASSED,
                12,
                "A record on or after its review date (capped by the agreement's retention) is not shared.",
                "apply",
            ),
        )
    }
)
"""Every guard rail by id (also what ``pentameter policy check --rails`` lists)."""

STRUCTURAL_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "envelope.event_id": R10_AUDIT_FIELDS,
        "envelope.event_type": R10_AUDIT_FIELDS,
        "envelope.review_date": R12_REVIEW_DATE,
    }
)
"""Fields every delivery carries, kept as they are; an agreement may only ``keep`` them."""

CHILD_IDENTITY_KINDS = frozenset(
    {
        PartnerKind.POLICE_FORCE,
        PartnerKind.POLICE_REGION,
        PartnerKind.LOCAL_AUTHORITY_CHILDRENS_SERVICES,
        PartnerKind.SINGLE_COMPETENT_AUTHORITY,
    }
)
"""Kinds of partner that may see a child's identity in clear (rule 7)."""

CHILD_ROUTES: Mapping[str, frozenset[PartnerKind]] = MappingProxyType(
    {
        "PotentialVictimEncounter": frozenset(
            {
                PartnerKind.SINGLE_COMPETENT_AUTHORITY,
                PartnerKind.POLICE_FORCE,
                PartnerKind.LOCAL_AUTHORITY_CHILDRENS_SERVICES,
            }
        ),
        "NRMReferral": frozenset(
            {
                PartnerKind.SINGLE_COMPETENT_AUTHORITY,
                PartnerKind.POLICE_FORCE,
                PartnerKind.LOCAL_AUTHORITY_CHILDRENS_SERVICES,
            }
        ),
        "NRMDecision": frozenset({PartnerKind.POLICE_FORCE, PartnerKind.LOCAL_AUTHORITY_CHILDRENS_SERVICES}),
    }
)
"""Child victim events and the partner kinds they must reach (rule 7). Police forces and
children's services are required for the force area of the event (their registry ``areas``);
the SCA always. NRMDecision comes from the SCA, so it is not routed back to it."""

IDENTITY_MARKS = frozenset({"identity", "quasi_identifier"})
DUTY_TO_NOTIFY = "DutyToNotify"
DTN_CHILD_BANDS = frozenset({"UNDER_18", "UNKNOWN"})
"""Age bands of a Duty to Notify that mean the person may be a child (never shared)."""
RESTRICTED_5X5X5 = frozenset({"4", "5"})
"""Legacy handling codes that allow no dissemination beyond the originator's list ("check" in the
domain brief: 4 is originator-only, 5 refer to originator; both are treated as restricting)."""
RESTRICTED_SIENA = frozenset({"H2", "H3"})

_NGO_MARKS: Mapping[str, str] = MappingProxyType(
    {
        "suspect": R4_NGO_SUSPECT,
        "grading": R4_NGO_GRADING,
        "free_text": R4_NGO_NARRATIVE,
        "financial": R4_NGO_ASSETS,
    }
)


# -- schema shape -------------------------------------------------------------------------------


def has_field(entry: SchemaEntry, path: str) -> bool:
    """True if the schema has this field path."""
    return any(f.path == path for f in entry.all_fields)


def is_victim_event(entry: SchemaEntry) -> bool:
    """A victim event is about one potential victim: it has ``victim_ref`` and ``is_child`` at the
    top (PotentialVictimEncounter, NRMReferral, NRMDecision)."""
    return has_field(entry, "victim_ref") and has_field(entry, "is_child")


def ngo_may_receive(entry: SchemaEntry) -> bool:
    """NGOs may only receive victim events that say who supports or referred the person."""
    return is_victim_event(entry) and (
        has_field(entry, "support_provider") or has_field(entry, "first_responder.agency_id")
    )


def pole_scopes(entry: SchemaEntry) -> frozenset[str]:
    """Instance paths of POLE entities (records with a PoleRole ``role``): ``people[]``,
    ``encounter_premises``, ``person``... Identity inside one belongs to that entity."""
    scopes = set()
    for info in entry.all_fields:
        if info.path.endswith(".role") or info.path == "role":
            node = resolve(info.schema, entry.names)
            if isinstance(node, dict) and str(node.get("name", "")).endswith(".PoleRole"):
                scopes.add(info.path[: -len(".role")] if "." in info.path else "")
    return frozenset(scopes)


def enclosing_pole_scope(path: str, scopes: frozenset[str]) -> str | None:
    """The innermost POLE entity instance ``path`` belongs to, if any."""
    best: str | None = None
    for scope in scopes:
        if scope and path.startswith(scope + ".") and (best is None or len(scope) > len(best)):
            best = scope
    return best


def subject_of(entry: SchemaEntry, path: str, scopes: frozenset[str]) -> str | None:
    """Whose identity an identity or quasi-identifier field is:

    * ``"pole:<scope>"`` - the POLE entity it sits in (a person, phone, premises...);
    * ``"victim"`` - the potential victim a victim event is about (fields outside the envelope
      and outside POLE entities);
    * ``"event"`` - any other identifying field of the event (e.g. a custody reference), which
      is treated as belonging to every person of the event.
    """
    scope = enclosing_pole_scope(path, scopes)
    if scope is not None:
        return f"pole:{scope}"
    if path.startswith("envelope."):
        return None
    return "victim" if is_victim_event(entry) else "event"


def all_marks(info: FieldInfo) -> frozenset[str]:
    """Static marks plus every mark a condition could switch on."""
    return info.marks.union(*(c.marks for c in info.conditional))


# -- static checks (load and compile) -----------------------------------------------------------


def event_violation(partner: Partner, entry: SchemaEntry) -> tuple[str, str] | None:
    """(rule id, reason) if ``partner`` may never receive this event type at all."""
    if partner.is_ngo and not ngo_may_receive(entry):
        return R4_NGO_EVENT, (
            f"{partner.id} is a victim-support NGO: it may receive only victim events that name its "
            f"support or referral role, never {entry.name}"
        )
    return None


def can_ever_see_adult_identity(partner: Partner) -> bool:
    """True if some record could let ``partner`` see an adult victim's identity (rule 5)."""
    return partner.kind is PartnerKind.SINGLE_COMPETENT_AUTHORITY or bool(
        partner.roles & {Role.FIRST_RESPONDER, Role.SUPPORT_PROVIDER}
    )


def field_violations(
    partner: Partner,
    entry: SchemaEntry,
    info: FieldInfo,
    exposure: Exposure,
    *,
    special_condition: bool,
    article_10: bool,
    uk_gdpr: bool,
    scopes: frozenset[str],
) -> list[tuple[str, str]]:
    """(rule id, reason) for each guard rail that forbids releasing ``info`` to ``partner`` with
    ``exposure`` in every case. Value-dependent marks are not violations here (they are
    enforced per instance at apply time)."""
    if exposure is Exposure.NONE:
        return []
    found: list[tuple[str, str]] = []
    marks = info.marks
    path = info.path
    if "source" in marks:
        found.append((R2_SOURCE, f"{path} is source data: it never leaves the originating agency"))
    if "sensitive_location" in marks:
        found.append(
            (R8_SAFE_ADDRESS, f"{path} is a safe-house or current victim address: never disseminated")
        )
    if entry.name == DUTY_TO_NOTIFY:
        if path == "envelope.case_id":
            found.append((R6_DTN_IDENTITY, "a Duty to Notify must not be linkable to a case"))
        elif marks & IDENTITY_MARKS and exposure in (Exposure.CLEAR, Exposure.TOKEN):
            found.append(
                (
                    R6_DTN_IDENTITY,
                    f"{path} identifies the person: a Duty to Notify carries no "
                    "identifier or exact quasi-identifier (generalise or drop it)",
                )
            )
    if partner.is_ngo:
        for mark, rule in _NGO_MARKS.items():
            if mark in marks:
                found.append((rule, f"{path} is {mark} data, which NGOs never receive"))
    if "special_category" in all_marks(info) and not special_condition:
        found.append(
            (
                R9_SPECIAL_CATEGORY,
                f"{path} is special category data and the agreement records no "
                "condition for it (lawful_basis.sensitive_processing or article_9)",
            )
        )
    if uk_gdpr and "suspect" in marks and not article_10:
        found.append(
            (
                R9_CRIMINAL_OFFENCE,
                f"{path} is criminal offence data: under UK GDPR the agreement "
                "must record an Art 10 condition (lawful_basis.article_10)",
            )
        )
    if (
        exposure is Exposure.CLEAR
        and marks & IDENTITY_MARKS
        and subject_of(entry, path, scopes) == "victim"
        and not can_ever_see_adult_identity(partner)
        and partner.kind not in CHILD_IDENTITY_KINDS
    ):
        found.append(
            (
                R5_ADULT_CONSENT,
                f"{path} identifies the victim; {partner.id} is neither the SCA, a "
                "first responder, a support provider nor a body that may see a "
                "child's identity, so it can never receive it in clear",
            )
        )
    return found


def structural_ok(path: str, kind_is_keep: bool) -> bool:
    """Structural fields may only be kept as they are (or left out: they are added anyway)."""
    return path not in STRUCTURAL_FIELDS or kind_is_keep


def forbidden_marks(partner: Partner, special_condition: bool) -> dict[str, str]:
    """Mark -> rule id for marks that forbid any release to ``partner`` (used for value-dependent
    marks, evaluated per instance)."""
    rules = {"source": R2_SOURCE, "sensitive_location": R8_SAFE_ADDRESS}
    if partner.is_ngo:
        rules.update(_NGO_MARKS)
    if not special_condition:
        rules["special_category"] = R9_SPECIAL_CATEGORY
    return rules
