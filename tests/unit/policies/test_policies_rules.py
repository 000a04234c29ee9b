"""One test (or a few) per domain rule of the brief, each named after the rule it proves.

Most are properties over generated events and every partner of the registry; where a rule is
also a guard rail, a test shows that an agreement trying to break it is refused at load.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import (
    Delivery,
    Denial,
    GuardRailViolation,
    InMemoryKeyRing,
    PolicyEngine,
    PseudonymSecrets,
)
from policies.agreements import load_agreements
from policies.guardrails import CHILD_IDENTITY_KINDS
from policies.registry import PartnerKind, load_registry
from schemas.catalogue import Catalogue, load_catalogue
from schemas.convert import to_json
from schemas.samples import sample
from tests.unit.policies.conftest import TODAY
from tests.unit.policies.strategies import leaves, make_child, routed_records, victim_records

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
VICTIM_EVENTS = ["PotentialVictimEncounter", "NRMReferral", "NRMDecision"]
ALL_EVENTS = [
    "IntelligenceReport",
    "PotentialVictimEncounter",
    "NRMReferral",
    "DutyToNotify",
    "NRMDecision",
    "PremisesVisit",
    "Arrest",
    "AssetSeizure",
]


def _text(record: dict[str, Any]) -> str:
    """The whole record as one case-folded JSON string (to search for a value anywhere)."""
    return json.dumps(to_json(record)).casefold()


def _decisions(engine: PolicyEngine, event_type: str, record: dict[str, Any]) -> list[Delivery]:
    routing = engine.route(event_type, record)
    assert len(routing.deliveries) + len(routing.denials) == len(engine.registry.partners)
    return routing.deliveries


def _edit(directory: Path, file: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in one agreement file; return the line ``new`` starts on."""
    path = directory / file
    text = path.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text)
    return text[: text.index(new)].count("\n") + 1


def _load(catalogue: Catalogue, directory: Path) -> PolicyEngine:
    return PolicyEngine.load(
        catalogue,
        directory,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=TODAY,
    )


# -- rule 1: default deny -------------------------------------------------------------------------


def test_rule_01_default_deny_every_partner_gets_a_decision(engine: PolicyEngine) -> None:
    for event_type in ALL_EVENTS:
        routing = engine.route(event_type, sample(event_type))
        decided = sorted([d.partner for d in routing.deliveries] + [n.partner for n in routing.denials])
        assert decided == sorted(engine.registry.partners)
        for denial in routing.denials:
            if engine.plan(event_type, denial.partner) is None:
                assert denial.rule_id == "R1-default-deny"


def test_rule_01_default_deny_fields_not_named_are_withheld(engine: PolicyEngine) -> None:
    for plan in engine.plans():
        named = set(plan.rule.fields)
        for path in plan.rule.fields:
            named |= {
                f.path
                for f in plan.entry.leaf_fields
                if f.path == path or f.path.startswith(path + ".") or f.path.startswith(path + "[].")
            }
        for path, rule in plan.withheld:
            if path not in named:
                assert rule == "R1-default-deny"
        structural = {"envelope.event_id", "envelope.event_type", "envelope.review_date"}
        assert set(plan.released) <= named | structural


def test_rule_01_default_deny_a_field_added_to_a_schema_later_is_not_shared() -> None:
    catalogue = load_catalogue()
    v1 = catalogue.latest("IntelligenceReport")
    schema = copy.deepcopy(dict(v1.schema))
    schema["fields"].append(
        {
            "name": "informant_phone",
            "type": "string",
            "default": "",
            "doc": "A field added after the agreements were written.",
        }
    )
    catalogue.register(schema, name="IntelligenceReport", version=2, kind="event")
    engine = PolicyEngine.load(
        catalogue, secrets=PseudonymSecrets.generate(), encryptor=InMemoryKeyRing().encryptor(), today=TODAY
    )
    record = sample("IntelligenceReport")
    record["envelope"]["schema_version"] = 2
    record["grading"]["handling_code"] = "P"
    record["handling_conditions"] = None
    record["informant_phone"] = "+447700900999"
    deliveries = _decisions(engine, "IntelligenceReport", record)
    assert deliveries, "the report should reach some partners"
    for d in deliveries:
        assert "informant_phone" not in d.record
        assert "7700900999" not in _text(d.record)
        plan = engine.plan("IntelligenceReport", d.partner)
        assert plan is not None and ("informant_phone", "R1-default-deny") in plan.withheld


# -- rule 2: source identity never leaves ---------------------------------------------------------


def test_rule_02_source_identity_never_leaves(engine: PolicyEngine, catalogue: Catalogue) -> None:
    entry = catalogue.latest("IntelligenceReport")

    @SETTINGS
    @given(record=routed_records("IntelligenceReport", entry), case=st.sampled_from(["lower", "upper"]))
    def check(record: dict[str, Any], case: str) -> None:
        reference = f"CHIS-{uuid.uuid4().hex[:10]}"
        notes = f"meet at the {uuid.uuid4().hex[:8]} car park"
        record["source"]["reference"] = reference
        record["source"]["handling_notes"] = notes
        planted = reference.upper() if case == "upper" else reference.lower()
        record["narrative"] += f" (source {planted}; {notes})"
        if record["handling_conditions"] is not None:
            record["handling_conditions"]["conditions"].append(f"protect {reference}")
        for d in _decisions(engine, "IntelligenceReport", record):
            assert "source" not in d.record
            text = _text(d.record)
            assert reference.casefold() not in text and notes.casefold() not in text

    check()


def test_rule_02_source_an_agreement_releasing_a_source_field_is_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    line = (
        _edit(
            agreements_copy,
            "ncc.yaml",
            "      narrative: scrub\n",
            "      narrative: scrub\n      source.reference: {transform: pseudonymise}\n",
        )
        + 1
    )
    with pytest.raises(GuardRailViolation) as caught:
        _load(catalogue, agreements_copy)
    text = str(caught.value)
    assert f"ncc.yaml:{line}: agreement isa.ncc v1:" in text and "[R2-source]" in text


# -- rule 3: handling codes -------------------------------------------------------------------------


def _graded(
    scheme: str,
    code: str,
    *,
    siena: str | None = None,
    tlp: str | None = None,
    recipients: list[str] | None = None,
    purposes: list[str] | None = None,
) -> dict[str, Any]:
    record = sample("IntelligenceReport")
    record["envelope"]["origin_agency"] = "police.gloucestershire"
    record["grading"] = {
        "scheme": scheme,
        "source_evaluation": "1" if scheme == "G3X5X2" else "A",
        "intelligence_assessment": "A" if scheme == "G3X5X2" else "1",
        "handling_code": code,
    }
    record["siena_code"], record["tlp"] = siena, tlp
    record["handling_conditions"] = (
        None
        if recipients is None
        else {
            "recipients": recipients,
            "purposes": purposes or ["PREVENTION_AND_DETECTION_OF_CRIME"],
            "conditions": ["Do not act without reference to the originator."],
        }
    )
    return record


@pytest.mark.parametrize(
    ("scheme", "code", "siena", "tlp", "rule"),
    [
        ("G3X5X2", "C", None, None, "R3-handling-C"),
        ("G5X5X5", "5", None, None, "R3-legacy-handling-5"),
        ("G5X5X5", "4", None, None, "R3-legacy-handling-5"),
        ("G3X5X2", "P", "H2", None, "R3-siena-H2"),
        ("G3X5X2", "P", "H3", None, "R3-siena-H2"),
        ("G3X5X2", "P", None, "RED", "R3-tlp-red"),
    ],
)
def test_rule_03_handling_codes_only_named_recipients_never_onward(
    engine: PolicyEngine, scheme: str, code: str, siena: str | None, tlp: str | None, rule: str
) -> None:
    recipients = ["nca.ukhtc", "police.metropolitan"]
    routing = engine.route(
        "IntelligenceReport", _graded(scheme, code, siena=siena, tlp=tlp, recipients=recipients)
    )
    assert sorted(routing.delivered_to()) == recipients
    for d in routing.deliveries:
        assert d.record["sharing"]["onward_sharing_permitted"] is False
        assert d.record["sharing"]["restrictions"]
        assert d.record["handling_conditions"]["recipients"] == recipients
    for n in routing.denials:
        if engine.plan("IntelligenceReport", n.partner) is not None:
            assert n.rule_id == rule


def test_rule_03_handling_code_c_purposes_must_match_the_agreement(engine: PolicyEngine) -> None:
    record = _graded("G3X5X2", "C", recipients=["border.intel", "hmrc"], purposes=["ASSET_RECOVERY"])
    routing = engine.route("IntelligenceReport", record)
    assert routing.delivered_to() == ["hmrc"]  # border.intel's agreement has no asset recovery purpose
    denial = routing.decision("border.intel")
    assert isinstance(denial, Denial) and denial.rule_id == "R3-handling-C" and "purposes" in denial.reason


def test_rule_03_handling_code_p_goes_by_the_agreements(engine: PolicyEngine) -> None:
    routing = engine.route("IntelligenceReport", _graded("G3X5X2", "P"))
    assert {"police.gloucestershire", "nca.ukhtc", "ncc", "border.intel", "hmrc"} <= set(
        routing.delivered_to()
    )
    assert all(d.record["sharing"]["onward_sharing_permitted"] for d in routing.deliveries)


def test_rule_03_restricted_reports_reach_only_recipients_property(
    engine: PolicyEngine, catalogue: Catalogue
) -> None:
    entry = catalogue.latest("IntelligenceReport")

    @SETTINGS
    @given(record=routed_records("IntelligenceReport", entry))
    def check(record: dict[str, Any]) -> None:
        facts = engine.facts("IntelligenceReport", record)
        for d in _decisions(engine, "IntelligenceReport", record):
            if facts.restricted is not None:
                assert d.partner in record["handling_conditions"]["recipients"]
                assert d.record["sharing"]["onward_sharing_permitted"] is False

    check()


# -- rule 4: NGOs -------------------------------------------------------------------------------


NGO_FORBIDDEN = {"suspect", "grading", "free_text", "financial", "source", "sensitive_location"}


def test_rule_04_ngos_never_get_intelligence_arrests_assets_visits_or_dtn(engine: PolicyEngine) -> None:
    ngos = [p.id for p in engine.registry if p.kind is PartnerKind.NGO_VICTIM_SUPPORT]
    for event_type in ("IntelligenceReport", "Arrest", "AssetSeizure", "PremisesVisit", "DutyToNotify"):
        for ngo in ngos:
            assert engine.plan(event_type, ngo) is None


@pytest.mark.parametrize("event_type", VICTIM_EVENTS)
def test_rule_04_ngos_never_get_suspects_grades_narratives_or_assets(
    engine: PolicyEngine, catalogue: Catalogue, event_type: str
) -> None:
    ngos = [p.id for p in engine.registry if p.kind is PartnerKind.NGO_VICTIM_SUPPORT]
    entry = catalogue.latest(event_type)
    marked = {f.path for f in entry.leaf_fields if f.marks & NGO_FORBIDDEN}

    @SETTINGS
    @given(record=victim_records(event_type, entry, ngo=True))
    def check(record: dict[str, Any]) -> None:
        for d in _decisions(engine, event_type, record):
            if d.partner not in ngos:
                continue
            assert d.partner in (record.get("support_provider"), record["first_responder"]["agency_id"])
            paths = {p for p, _ in leaves(d.record)}
            assert not paths & marked
            premises = record.get("encounter_premises")
            if premises is not None and premises["role"] in ("SUSPECT", "ASSOCIATE", "UNKNOWN"):
                assert d.record.get("encounter_premises") is None

    check()


def test_rule_04_ngos_get_nothing_about_people_they_do_not_support(engine: PolicyEngine) -> None:
    record = sample("NRMReferral")
    record["support_provider"] = "ngo.salvation_army"
    routing = engine.route("NRMReferral", record)
    denial = routing.decision("ngo.poppy")
    assert isinstance(denial, Denial) and denial.rule_id == "R4-ngo-not-supporting"
    assert isinstance(routing.decision("ngo.salvation_army"), Delivery)


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("      accommodated: keep\n", "      accommodated: keep\n      notes: scrub\n", "R4-ngo-narrative"),
        (
            "      encounter_premises.role: keep\n",
            "      encounter_premises.role: keep\n      encounter_premises.address.postcode: keep\n",
            None,
        ),
    ],
)
def test_rule_04_an_ngo_agreement_releasing_narrative_is_refused(
    catalogue: Catalogue, agreements_copy: Path, old: str, new: str, rule: str | None
) -> None:
    _edit(agreements_copy, "ngo_salvation_army.yaml", old, new)
    if rule is None:  # a value-dependent suspect mark is enforced per record instead
        engine = _load(catalogue, agreements_copy)
        record = sample("PotentialVictimEncounter")
        record["first_responder"]["agency_id"] = "ngo.salvation_army"
        delivery = engine.route("PotentialVictimEncounter", record).decision("ngo.salvation_army")
        assert isinstance(delivery, Delivery) and delivery.record["encounter_premises"] is None
        assert ("encounter_premises", "R4-ngo-suspect") in delivery.withheld
        return
    with pytest.raises(GuardRailViolation, match=rule):
        _load(catalogue, agreements_copy)


def test_rule_04_an_ngo_agreement_naming_arrests_is_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    path = agreements_copy / "ngo_poppy.yaml"
    path.write_text(path.read_text() + "\n  Arrest:\n    fields:\n      offences: keep\n")
    with pytest.raises(GuardRailViolation, match="R4-ngo-event"):
        _load(catalogue, agreements_copy)


# -- rule 5: adult identity ---------------------------------------------------------------------


VICTIM_IDENTITY = (
    "victim_ref",
    "victim.name",
    "victim.other_names",
    "victim.date_of_birth",
    "victim.phone",
    "consent_recorded_at",
    "decision_date",
)


@pytest.mark.parametrize("event_type", VICTIM_EVENTS)
def test_rule_05_adult_victim_identity_only_with_consent_to_sca_referrer_and_supporter(
    engine: PolicyEngine, catalogue: Catalogue, event_type: str
) -> None:
    entry = catalogue.latest(event_type)

    @SETTINGS
    @given(record=victim_records(event_type, entry, child=False, ngo=True))
    def check(record: dict[str, Any]) -> None:
        consent = record.get("consent", "GIVEN")  # a decision implies the referral's consent
        allowed_to = {"sca", record["first_responder"]["agency_id"], record.get("support_provider")}
        for d in _decisions(engine, event_type, record):
            for path in VICTIM_IDENTITY:
                parts = path.split(".")
                source: Any = record
                out: Any = d.record
                for part in parts:
                    source = source.get(part) if isinstance(source, dict) else None
                    out = out.get(part) if isinstance(out, dict) else None
                if source in (None, []) or out is None:
                    continue
                clear = (
                    out == source
                    or isinstance(out, bytes)
                    or (isinstance(out, list) and any(isinstance(v, bytes) for v in out))
                )
                if clear:
                    assert consent == "GIVEN" and d.partner in allowed_to, (d.partner, path)

    check()


def test_rule_05_an_agreement_giving_victim_identity_to_a_partner_that_never_qualifies_is_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    line = _edit(
        agreements_copy,
        "ncc.yaml",
        "      victim.name: {transform: pseudonymise, normalise: name}\n",
        "      victim.name: keep\n",
    )
    with pytest.raises(GuardRailViolation) as caught:
        _load(catalogue, agreements_copy)
    assert f"ncc.yaml:{line}: agreement isa.ncc v1:" in str(caught.value)
    assert "[R5-adult-consent]" in str(caught.value)


def test_rule_05_potential_victims_in_intelligence_reports_are_never_named_in_clear(
    engine: PolicyEngine, catalogue: Catalogue
) -> None:
    entry = catalogue.latest("IntelligenceReport")

    @SETTINGS
    @given(record=routed_records("IntelligenceReport", entry))
    def check(record: dict[str, Any]) -> None:
        victims = {
            p["entity_id"]: p
            for p in record["people"]
            if p["role"] == "POTENTIAL_VICTIM" and not p["is_child"]
        }
        for d in _decisions(engine, "IntelligenceReport", record):
            for person in d.record.get("people", []):
                source = victims.get(person.get("entity_id"))
                if source is not None and source["name"] is not None and "name" in person:
                    assert person["name"] != source["name"]

    check()


# -- rule 6: Duty to Notify ---------------------------------------------------------------------


def test_rule_06_duty_to_notify_carries_no_identifier_or_exact_quasi_identifier(
    engine: PolicyEngine, catalogue: Catalogue
) -> None:
    entry = catalogue.latest("DutyToNotify")
    marked = {f.path for f in entry.leaf_fields if f.marks & {"identity", "quasi_identifier"}}

    @SETTINGS
    @given(record=routed_records("DutyToNotify", entry))
    def check(record: dict[str, Any]) -> None:
        for d in _decisions(engine, "DutyToNotify", record):
            env = d.record["envelope"]
            assert "case_id" not in env
            for path, value in leaves(d.record):
                if path in marked:
                    assert isinstance(value, str) and len(value) == 7  # YYYY-MM, never an exact instant
            recorded = env.get("recorded_at")
            assert recorded is None or (isinstance(recorded, str) and len(recorded) == 7)

    check()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "      envelope.occurred_at: {transform: generalise, to: month}\n      envelope.recorded_at",
            "      envelope.occurred_at: keep\n      envelope.recorded_at",
        ),
        (
            "      first_responder_type: keep\n",
            "      first_responder_type: keep\n      envelope.case_id: keep\n",
        ),
    ],
)
def test_rule_06_an_agreement_releasing_duty_to_notify_identity_is_refused(
    catalogue: Catalogue, agreements_copy: Path, old: str, new: str
) -> None:
    _edit(agreements_copy, "sca.yaml", old, new)
    with pytest.raises(GuardRailViolation, match="R6-dtn-identity"):
        _load(catalogue, agreements_copy)


# -- rule 7: children ---------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", VICTIM_EVENTS)
def test_rule_07_children_always_reach_police_childrens_services_and_the_sca(
    engine: PolicyEngine, catalogue: Catalogue, event_type: str
) -> None:
    locals_ = {
        area: [
            p.id
            for p in engine.registry
            if area in p.areas
            and p.kind in (PartnerKind.POLICE_FORCE, PartnerKind.LOCAL_AUTHORITY_CHILDRENS_SERVICES)
        ]
        for p in engine.registry
        for area in p.areas
    }
    entry = catalogue.latest(event_type)

    @SETTINGS
    @given(record=victim_records(event_type, entry, child=True))
    def check(record: dict[str, Any]) -> None:
        routing = engine.route(event_type, record)
        delivered = set(routing.delivered_to())
        required = set(locals_.get(record["envelope"]["force_area"], []))
        if event_type != "NRMDecision":
            required.add("sca")
        assert required <= delivered
        assert routing.alerts == []
        for d in routing.deliveries:
            if engine.registry.partner(d.partner).kind in CHILD_IDENTITY_KINDS:
                continue
            victim = record.get("victim") or {}
            if victim.get("name") is not None:
                assert d.record.get("victim", {}).get("name") != victim["name"]
            assert d.record.get("victim_ref") != record["victim_ref"]

    check()


def test_rule_07_a_duty_to_notify_that_may_concern_a_child_is_never_shared(engine: PolicyEngine) -> None:
    for band in ("UNDER_18", "UNKNOWN"):
        record = sample("DutyToNotify")
        record["age_band"] = band
        routing = engine.route("DutyToNotify", record)
        assert routing.deliveries == []
        planned = [n for n in routing.denials if engine.plan("DutyToNotify", n.partner) is not None]
        assert planned and {n.rule_id for n in planned} == {"R7-child-no-dtn"}


def test_rule_07_a_missing_child_route_stops_the_load(catalogue: Catalogue, agreements_copy: Path) -> None:
    path = agreements_copy / "la_gloucestershire_childrens.yaml"
    text = path.read_text()
    start, end = text.index("  NRMReferral:"), text.index("  NRMDecision:")
    path.write_text(text[:start] + text[end:])
    with pytest.raises(Exception, match="R7-child-routing") as caught:
        _load(catalogue, agreements_copy)
    assert "la_gloucestershire_childrens.yaml" in str(caught.value)


def test_rule_07_a_child_route_failing_at_run_time_raises_an_alert(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    (agreements_copy / "la_gloucestershire_childrens.yaml").unlink()
    registry = load_registry()
    agreements = load_agreements(catalogue, registry, agreements_copy)
    engine = PolicyEngine(
        catalogue,
        registry,
        agreements,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=TODAY,
        probe_child_routes=False,
    )
    routing = engine.route("NRMReferral", sample("NRMReferral"))  # a Gloucestershire child
    assert any("R7-child-routing" in a and "la.gloucestershire_childrens" in a for a in routing.alerts)


# -- rule 8: safe houses and current addresses ----------------------------------------------------


@pytest.mark.parametrize(
    "event_type", ["IntelligenceReport", "PotentialVictimEncounter", "NRMReferral", "PremisesVisit"]
)
def test_rule_08_safe_house_and_current_victim_addresses_are_never_disseminated(
    engine: PolicyEngine, catalogue: Catalogue, event_type: str
) -> None:
    entry = catalogue.latest(event_type)

    @SETTINGS
    @given(record=routed_records(event_type, entry), safe=st.booleans())
    def check(record: dict[str, Any], safe: bool) -> None:
        premises = record.get("premises") or record.get("encounter_premises")
        instances = premises if isinstance(premises, list) else [premises] if premises else []
        secret_lines = []
        for p in instances:
            p["is_safe_house"] = p["is_safe_house"] or safe
            if p["is_safe_house"] and p["address"] is not None:
                p["address"]["lines"] = [f"Refuge {uuid.uuid4().hex[:8]}"]
                secret_lines += p["address"]["lines"]
        current = record.get("current_address")
        if current is not None:
            current["lines"] = [f"Room {uuid.uuid4().hex[:8]}"]
            secret_lines += current["lines"]
        for d in _decisions(engine, event_type, record):
            assert "current_address" not in d.record
            text = _text(d.record)
            assert not [line for line in secret_lines if line.casefold() in text]
            out = d.record.get("premises") or d.record.get("encounter_premises")
            for p in out if isinstance(out, list) else [out] if out else []:
                if p.get("is_safe_house", True) and any(
                    q["entity_id"] == p.get("entity_id") and q["is_safe_house"] for q in instances
                ):
                    assert p.get("address") is None

    check()


def test_rule_08_partners_may_see_that_a_person_is_accommodated_and_where(engine: PolicyEngine) -> None:
    record = sample("NRMReferral")  # a child in Gloucestershire, accommodated
    routing = engine.route("NRMReferral", record)
    for partner in ("police.gloucestershire", "la.gloucestershire_childrens", "sca"):
        d = routing.decision(partner)
        assert isinstance(d, Delivery)
        assert d.record["accommodated"] is True
        assert d.record["accommodation_force_area"] == "GLOUCESTERSHIRE"
        assert "current_address" not in d.record
        assert "quiet lane" not in _text(d.record)


def test_rule_08_an_agreement_releasing_a_current_address_is_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    line = _edit(
        agreements_copy,
        "sca.yaml",
        "      account: scrub\n",
        "      account: scrub\n      current_address.postcode: {transform: generalise, to: force_area}\n",
    )
    with pytest.raises(GuardRailViolation) as caught:
        _load(catalogue, agreements_copy)
    assert f"sca.yaml:{line + 1}: agreement isa.sca v1:" in str(caught.value)
    assert "[R8-safe-address]" in str(caught.value)


# -- rule 9: special category -----------------------------------------------------------------


def test_rule_09_special_category_only_where_the_agreement_records_the_condition(
    engine: PolicyEngine,
) -> None:
    for plan in engine.plans():
        special = {f.path for f in plan.entry.leaf_fields if "special_category" in f.marks}
        if set(plan.released) & special:
            assert plan.agreement.lawful_basis.special_category_condition


def test_rule_09_an_agreement_without_the_condition_releasing_special_category_is_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    path = agreements_copy / "police_gloucestershire.yaml"
    text = path.read_text()
    start = text.index("  sensitive_processing:")
    end = text.index("valid_from:")
    path.write_text(text[:start] + text[end:])
    with pytest.raises(GuardRailViolation) as caught:
        _load(catalogue, agreements_copy)
    assert all(p.rule_id == "R9-special-category" for p in caught.value.problems)
    assert any("people[].ethnicity" in p.message for p in caught.value.problems)


# -- rule 10: every delivery and denial names the agreement version -------------------------------


def test_rule_10_every_delivery_and_denial_is_auditable_with_the_agreement_version(
    engine: PolicyEngine,
) -> None:
    for event_type in ALL_EVENTS:
        routing = engine.route(event_type, sample(event_type))
        for d in routing.deliveries:
            plan = engine.plan(event_type, d.partner)
            assert plan is not None
            assert (d.agreement_id, d.agreement_version) == (plan.agreement.id, plan.agreement.version)
            assert d.record["sharing"]["agreement_id"] == d.agreement_id
            assert d.record["sharing"]["agreement_version"] == d.agreement_version
            assert d.record["envelope"]["event_id"] == sample(event_type)["envelope"]["event_id"]
            assert d.record["envelope"]["event_type"] == event_type
            assert d.released and d.topic == f"pentameter.partner.{d.partner}"
        for n in routing.denials:
            assert n.rule_id and n.reason
            has_agreement = any(a.partner == n.partner for a in engine.agreements)
            assert (n.agreement_id is not None) == has_agreement
            if has_agreement:
                assert isinstance(n.agreement_version, int)


# -- rule 11: withheld values do not survive in free text ----------------------------------------


def test_rule_11_a_withheld_value_is_scrubbed_from_free_text(engine: PolicyEngine) -> None:
    record = sample("PotentialVictimEncounter")
    record["victim"]["phone"] = "+447700900123"
    record["notes"] = "Elena POPESCU (lena) called from +447700900123; staying at 1 SAFE STREET, gl2 3cd."
    record["first_responder"]["agency_id"] = "police.gloucestershire"
    record["consent"] = "REFUSED"
    delivery = engine.route("PotentialVictimEncounter", record).decision("nca.ukhtc")
    assert isinstance(delivery, Delivery)
    notes = delivery.record["notes"]
    assert notes == (
        "[name withheld] ([name withheld]) called from [phone withheld]; "
        "staying at [address withheld], [address withheld]."
    )
    assert delivery.record["victim"]["name"].startswith("pt1_")


def test_rule_11_values_of_unnamed_fields_are_scrubbed_too(engine: PolicyEngine) -> None:
    record = _graded("G3X5X2", "P")
    record["source"]["reference"] = "CHIS-GL-0193"
    record["narrative"] = "Reported by chis-gl-0193 about Viktor Hale."
    for d in _decisions(engine, "IntelligenceReport", record):
        assert "chis-gl-0193" not in d.record["narrative"].casefold()


def test_rule_11_every_string_released_in_clear_is_scrubbed_not_only_free_text(engine: PolicyEngine) -> None:
    record = sample("Arrest")
    record["offences"][0]["description"] = "Trafficking of VIKTOR-HALE (born 30/09/1989) by car"
    delivery = engine.route("Arrest", record).decision("ncc")
    assert isinstance(delivery, Delivery)
    assert delivery.record["person"]["name"].startswith("pt1_")
    description = delivery.record["offences"][0]["description"]
    assert description == "Trafficking of [name withheld] (born [date withheld]) by car"
    assert delivery.scrubbed == {"offences[].description": {"name": 1, "date": 1}}


def test_rule_11_free_text_goes_out_only_where_named_and_scrubbed(engine: PolicyEngine) -> None:
    plan = engine.plan("IntelligenceReport", "ncc")
    assert plan is not None
    decisions = {d.path: d for d in plan.decisions}
    assert decisions["narrative"].transforms == ("scrub",)
    assert decisions["handling_conditions.conditions"].transforms == ("scrub",)
    assert "narrative" in plan.scrubbed_paths and "handling_conditions.recipients" in plan.scrubbed_paths


def test_rule_11_free_text_inside_a_record_kept_whole_is_not_released(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    _edit(agreements_copy, "ncc.yaml", "      handling_conditions.conditions: scrub\n", "")
    engine = PolicyEngine.load(
        catalogue,
        agreements_copy,
        secrets=PseudonymSecrets(bytes(32)),
        encryptor=InMemoryKeyRing().encryptor(),
        today=TODAY,
    )
    plan = engine.plan("IntelligenceReport", "ncc")
    assert plan is not None
    released = {d.path for d in plan.decisions if d.released}
    assert "handling_conditions.recipients" in released
    assert "handling_conditions.conditions" not in released


def test_rule_11_a_partner_record_key_is_only_its_own_pseudonym_of_the_case(engine: PolicyEngine) -> None:
    record = sample("NRMReferral")
    case = record["envelope"]["case_id"]
    routing = engine.route("NRMReferral", record)
    keys = {d.partner: d.key for d in routing.deliveries}
    assert len(keys) > 1
    for partner, key in keys.items():
        assert key is not None and case.encode() not in key and key.startswith(b"pt1_"), partner
    assert len(set(keys.values())) == len(keys), "two partners share a key they could join on"
    again = engine.route("NRMReferral", record)
    assert {d.partner: d.key for d in again.deliveries} == keys, "a case's records must share their key"
    record["envelope"]["case_id"] = None
    for d in engine.route("NRMReferral", record).deliveries:
        assert d.key == str(record["envelope"]["event_id"]).encode()


# -- rule 12: review date ---------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ALL_EVENTS)
def test_rule_12_every_shared_record_carries_its_review_date(
    engine: PolicyEngine, catalogue: Catalogue, event_type: str
) -> None:
    entry = catalogue.latest(event_type)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(record=routed_records(event_type, entry))
    def check(record: dict[str, Any]) -> None:
        for d in _decisions(engine, event_type, record):
            plan = engine.plan(event_type, d.partner)
            assert plan is not None
            review = d.record["envelope"]["review_date"]
            assert review <= record["envelope"]["review_date"]
            cap = plan.agreement.retention_max_days
            if cap is not None:
                assert review <= record["envelope"]["recorded_at"].date() + timedelta(days=cap)

    check()


def test_rule_12_a_record_on_or_after_its_review_date_goes_to_no_one(engine: PolicyEngine) -> None:
    record = make_child(sample("NRMReferral"))
    current = engine.route("NRMReferral", record).delivered_to()
    assert current
    record["envelope"]["review_date"] = TODAY
    routing = engine.route("NRMReferral", record)
    assert routing.deliveries == []
    for partner in current:
        denial = routing.decision(partner)
        assert isinstance(denial, Denial) and denial.rule_id == "R12-review-date-passed", partner
        assert TODAY.isoformat() in denial.reason
    assert routing.alerts == [], "an expired record is no failed child route"


def test_rule_12_the_agreements_retention_caps_the_review_date(engine: PolicyEngine) -> None:
    record = sample("NRMReferral")
    recorded = record["envelope"]["recorded_at"]
    record["envelope"]["recorded_at"] = recorded.replace(year=TODAY.year - 5)
    record["envelope"]["occurred_at"] = record["envelope"]["recorded_at"]
    record["consent_recorded_at"] = record["envelope"]["recorded_at"]
    record["envelope"]["review_date"] = TODAY + timedelta(days=400)
    record["support_provider"] = "ngo.poppy"
    routing = engine.route("NRMReferral", record)
    poppy = routing.decision("ngo.poppy")  # keeps records at most 1461 days: five years is past it
    sca = routing.decision("sca")  # 3653 days
    assert isinstance(poppy, Denial) and poppy.rule_id == "R12-review-date-passed"
    assert isinstance(sca, Delivery)
