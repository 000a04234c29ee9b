"""One valid, realistic example record per event type (fictional people and places).

Used by tests, docs and the demo publisher. Records are Avro-ready (UUIDs, aware datetimes,
dates) and pass :func:`schemas.validation.validate`; :func:`sample_json` gives the JSON form an
agency would submit.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from schemas.convert import to_json
from schemas.exceptions import UnknownSchema

Record = dict[str, Any]

_OCCURRED = datetime(2026, 2, 14, 22, 30, tzinfo=UTC)
_RECORDED = datetime(2026, 2, 15, 9, 5, 12, 345000, tzinfo=UTC)


def _envelope(event_type: str, n: int, **overrides: Any) -> Record:
    envelope: Record = {
        "event_id": uuid.UUID(f"7f1c6a8e-0000-4000-8000-{n:012d}"),
        "event_type": event_type,
        "schema_version": 1,
        "origin_agency": "police.gloucestershire",
        "occurred_at": _OCCURRED,
        "recorded_at": _RECORDED,
        "case_id": "OP-PENTAMETER2-0042",
        "classification": "OFFICIAL_SENSITIVE",
        "force_area": "GLOUCESTERSHIRE",
        "region": "SOUTH_WEST",
        "review_date": date(2032, 2, 15),
    }
    envelope.update(overrides)
    return envelope


def _address(*lines: str, town: str = "Gloucester", postcode: str = "GL1 2AB") -> Record:
    return {"lines": list(lines), "town": town, "postcode": postcode, "country": "GBR"}


def _person(entity_id: str, role: str, name: str, **fields: Any) -> Record:
    person: Record = {
        "entity_id": entity_id,
        "role": role,
        "name": name,
        "other_names": [],
        "date_of_birth": None,
        "age": None,
        "gender": "UNKNOWN",
        "nationality": None,
        "ethnicity": None,
        "is_child": False,
    }
    person.update(fields)
    return person


def _victim(**fields: Any) -> Record:
    victim: Record = {
        "name": "Elena Popescu",
        "other_names": ["Lena"],
        "date_of_birth": date(2004, 5, 3),
        "age": 21,
        "gender": "FEMALE",
        "nationality": "ROU",
        "ethnicity": "W9",
        "languages": ["ro"],
        "phone": None,
    }
    victim.update(fields)
    return victim


def _premises(entity_id: str, role: str, kind: str, address: Record, safe: bool) -> Record:
    return {
        "entity_id": entity_id,
        "role": role,
        "premises_type": kind,
        "address": address,
        "force_area": "GLOUCESTERSHIRE",
        "is_safe_house": safe,
    }


def _suspect() -> Record:
    return _person(
        "p1",
        "SUSPECT",
        "Viktor Hale",
        other_names=["Vik"],
        date_of_birth=date(1989, 9, 30),
        age=36,
        gender="MALE",
        nationality="GBR",
        ethnicity="W1",
    )


def _account(entity_id: str) -> Record:
    return {
        "entity_id": entity_id,
        "role": "SUSPECT",
        "account_type": "BANK",
        "institution": "Example Bank plc",
        "sort_code": "12-34-56",
        "account_number": "12345678",
    }


def _first_responder() -> Record:
    return {"agency_id": "police.gloucestershire", "organisation_type": "POLICE"}


def intelligence_report() -> Record:
    """A 3x5x2 B2C report with conditions, a suspect, a potential victim and their links."""
    return {
        "envelope": _envelope("IntelligenceReport", 1),
        "grading": {
            "scheme": "G3X5X2",
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": "C",
        },
        "handling_conditions": {
            "recipients": ["nca.ukhtc", "police.avon_and_somerset"],
            "purposes": ["PREVENTION_AND_DETECTION_OF_CRIME", "SAFEGUARDING"],
            "conditions": ["Not to be used as evidence without reference to the originator."],
        },
        "siena_code": None,
        "tlp": "AMBER",
        "narrative": "Women believed to be controlled by a male are moved between a sauna and a "
        "flat every few weeks; they are driven to work and do not hold their own passports.",
        "source": {
            "reference": "CHIS-GL-0193",
            "source_type": "COVERT_HUMAN_INTELLIGENCE_SOURCE",
            "handling_notes": "Meetings only through the dedicated source unit.",
        },
        "exploitation_types": ["SEXUAL"],
        "people": [
            _suspect(),
            _person("p2", "POTENTIAL_VICTIM", "Ana", age=19, gender="FEMALE", nationality="ROU"),
        ],
        "phones": [{"entity_id": "t1", "role": "SUSPECT", "number": "+447700900123", "imei": None}],
        "vehicles": [
            {
                "entity_id": "v1",
                "role": "SUSPECT",
                "vrm": "AB12CDE",
                "make": "Ford",
                "model": "Transit",
                "colour": "White",
            }
        ],
        "premises": [
            _premises(
                "l1", "SUSPECT", "MASSAGE_PARLOUR_SAUNA", _address("Unit 4", "Station Road"), safe=False
            ),
        ],
        "organisations": [
            {
                "entity_id": "o1",
                "role": "SUSPECT",
                "name": "Lotus Relaxation Ltd",
                "organisation_type": "COMPANY",
                "registration_number": "06543210",
            }
        ],
        "accounts": [_account("a1")],
        "links": [
            {"from_entity_id": "p1", "to_entity_id": "t1", "relationship": "USES"},
            {"from_entity_id": "p1", "to_entity_id": "l1", "relationship": "CONTROLS"},
            {"from_entity_id": "p1", "to_entity_id": "o1", "relationship": "CONTROLS"},
            {"from_entity_id": "p1", "to_entity_id": "a1", "relationship": "OWNS"},
            {"from_entity_id": "p1", "to_entity_id": "v1", "relationship": "USES"},
        ],
    }


def potential_victim_encounter() -> Record:
    """An adult met at a sauna who consented to referral and is now in a safe house."""
    return {
        "envelope": _envelope("PotentialVictimEncounter", 2),
        "victim_ref": "V-GL-2008-0007",
        "victim": _victim(),
        "is_child": False,
        "presumed_child": False,
        "first_responder": _first_responder(),
        "consent": "GIVEN",
        "exploitation_types": ["SEXUAL"],
        "indicators": ["RETAINED_PASSPORT", "DEBT_BONDAGE", "RESTRICTED_MOVEMENT"],
        "encounter_premises": _premises(
            "l1", "SUSPECT", "MASSAGE_PARLOUR_SAUNA", _address("Unit 4", "Station Road"), False
        ),
        "accommodated": True,
        "current_address": _address("Flat 2", "1 Safe Street", postcode="GL2 3CD"),
        "health_needs": "Needs a GP appointment.",
        "notes": "Spoke through an interpreter.",
    }


def nrm_referral() -> Record:
    """A child referral: no consent needed, presumed child pending an age assessment."""
    return {
        "envelope": _envelope("NRMReferral", 3),
        "victim_ref": "V-GL-2008-0008",
        "is_child": True,
        "presumed_child": True,
        "consent": "NOT_REQUIRED_CHILD",
        "consent_recorded_at": None,
        "victim": _victim(
            name="Mira",
            other_names=[],
            date_of_birth=None,
            age=19,
            nationality="ALB",
            ethnicity=None,
            languages=["sq"],
        ),
        "exploitation_types": ["SEXUAL", "DOMESTIC_SERVITUDE"],
        "indicators": ["NO_ID_DOCUMENTS", "ISOLATION"],
        "first_responder": _first_responder(),
        "support_provider": "barnardos",
        "accommodated": True,
        "accommodation_force_area": "GLOUCESTERSHIRE",
        "current_address": _address("3 Quiet Lane", postcode="GL3 4EF"),
        "health_needs": None,
        "account": "Brought to the UK by lorry and kept in a flat above the sauna.",
    }


def duty_to_notify() -> Record:
    """An anonymous notification for an adult who declined referral."""
    return {
        "envelope": _envelope(
            "DutyToNotify",
            4,
            case_id=None,
            occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
            classification="OFFICIAL",
        ),
        "first_responder_type": "POLICE",
        "encounter_month": "2026-02",
        "age_band": "AGE_25_TO_34",
        "gender": "MALE",
        "nationality_region": "EUROPE_EEA",
        "exploitation_types": ["LABOUR"],
        "exploited_in_uk": True,
    }


def nrm_decision() -> Record:
    """A positive Reasonable Grounds decision with a 45-day recovery period."""
    return {
        "envelope": _envelope("NRMDecision", 5, origin_agency="single-competent-authority"),
        "victim_ref": "V-GL-2008-0007",
        "referral_event_id": uuid.UUID("7f1c6a8e-0000-4000-8000-000000000003"),
        "is_child": False,
        "stage": "REASONABLE_GROUNDS",
        "outcome": "POSITIVE",
        "decision_date": date(2026, 2, 19),
        "recovery_period_end": date(2026, 4, 4),
        "exploitation_types": ["SEXUAL"],
        "first_responder": _first_responder(),
        "support_provider": "poppy-project",
    }


def premises_visit() -> Record:
    """A warrant at a sauna that found potential victims and made arrests."""
    return {
        "envelope": _envelope("PremisesVisit", 6),
        "premises": _premises(
            "l1", "SUSPECT", "MASSAGE_PARLOUR_SAUNA", _address("Unit 4", "Station Road"), False
        ),
        "operation_name": "Pentameter 2",
        "outcome": "POTENTIAL_VICTIMS_AND_ARRESTS",
        "potential_victims_identified": 3,
        "arrests": 2,
    }


def arrest() -> Record:
    """Arrest of the suspect for trafficking and controlling prostitution."""
    return {
        "envelope": _envelope("Arrest", 7),
        "person": _suspect(),
        "offences": [
            {
                "legislation": "SEXUAL_OFFENCES_ACT_2003",
                "section": "57",
                "description": "Trafficking into the UK for sexual exploitation",
            },
            {
                "legislation": "SEXUAL_OFFENCES_ACT_2003",
                "section": "53",
                "description": "Controlling prostitution for gain",
            },
        ],
        "arresting_force": "GLOUCESTERSHIRE",
        "custody_reference": "GL-CUS-08-1234",
    }


def asset_seizure() -> Record:
    """An account freezing order against the suspect's account."""
    return {
        "envelope": _envelope("AssetSeizure", 8),
        "kind": "ACCOUNT_FREEZING_ORDER",
        "amount_pence": 5_250_000,
        "currency": "GBP",
        "account": _account("a1"),
        "subject": _suspect(),
        "court": "Gloucester Magistrates' Court",
    }


SAMPLES: dict[str, Callable[[], Record]] = {
    "IntelligenceReport": intelligence_report,
    "PotentialVictimEncounter": potential_victim_encounter,
    "NRMReferral": nrm_referral,
    "DutyToNotify": duty_to_notify,
    "NRMDecision": nrm_decision,
    "PremisesVisit": premises_visit,
    "Arrest": arrest,
    "AssetSeizure": asset_seizure,
}
"""Event type -> builder of its example record."""


def sample(event_type: str) -> Record:
    """A fresh (deep-copied) valid example record of ``event_type``, Avro-ready."""
    try:
        return copy.deepcopy(SAMPLES[event_type]())
    except KeyError:
        raise UnknownSchema(f"no sample for {event_type!r} (have {', '.join(SAMPLES)})") from None


def sample_json(event_type: str) -> Record:
    """The example as an agency would submit it in JSON (ISO strings, string UUIDs)."""
    result: Record = to_json(sample(event_type))
    return result
