"""Builders of event records in the JSON-friendly form `pentameter ingest` accepts.

Each builder takes decided facts (who, where, when, what) and lays them out as the schema wants:
ISO 8601 strings for times (UTC, milliseconds, ``Z``) and dates, strings for UUIDs and enum
symbols. No randomness lives here, so a scenario's choices stay in the scenario module and these
layouts can be read against the .avsc files one to one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas.codes import FORCE_REGION

Record = dict[str, Any]

REVIEW_YEARS = 6
"""MoPI group 2 review period: records are reviewed six years after the event."""


def timestamp(moment: datetime) -> str:
    """UTC, millisecond precision, with Z: the form agencies submit and to_json writes."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def region_of(force_area: str) -> str:
    """The region a force area belongs to (NATIONAL for forces without one, such as BTP)."""
    return FORCE_REGION.get(force_area, "NATIONAL")


def review_date(occurred: datetime, years: int = REVIEW_YEARS) -> str:
    day = occurred.date()
    try:
        review = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        review = day.replace(year=day.year + years, day=28)
    return review.isoformat()


def envelope(
    event_id: str,
    event_type: str,
    agency: str,
    occurred: datetime,
    recorded: datetime,
    force_area: str,
    case_id: str | None,
    classification: str = "OFFICIAL_SENSITIVE",
) -> Record:
    """The common header; the region follows from the force area."""
    return {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": 1,
        "origin_agency": agency,
        "occurred_at": timestamp(occurred),
        "recorded_at": timestamp(recorded),
        "case_id": case_id,
        "classification": classification,
        "force_area": force_area,
        "region": region_of(force_area),
        "review_date": review_date(occurred),
    }


def person(
    entity_id: str,
    role: str,
    name: str | None,
    *,
    age: int | None,
    gender: str,
    nationality: str | None,
    born: date | None = None,
    other_names: list[str] | None = None,
    ethnicity: str | None = None,
) -> Record:
    """A POLE person; anyone under 18 is flagged as a child."""
    return {
        "entity_id": entity_id,
        "role": role,
        "name": name,
        "other_names": other_names or [],
        "date_of_birth": born.isoformat() if born else None,
        "age": age,
        "gender": gender,
        "nationality": nationality,
        "ethnicity": ethnicity,
        "is_child": age is not None and age < 18,
    }


def premises(
    entity_id: str,
    role: str,
    premises_type: str,
    address: Record | None,
    force_area: str,
    *,
    safe_house: bool = False,
) -> Record:
    return {
        "entity_id": entity_id,
        "role": role,
        "premises_type": premises_type,
        "address": address,
        "force_area": force_area,
        "is_safe_house": safe_house,
    }


def intelligence_report(
    head: Record,
    *,
    grading: tuple[str, str, str, str],
    narrative: str,
    source: Record,
    exploitation: list[str],
    conditions: Record | None = None,
    siena: str | None = None,
    tlp: str | None = None,
    people: list[Record] | None = None,
    phones: list[Record] | None = None,
    vehicles: list[Record] | None = None,
    places: list[Record] | None = None,
    organisations: list[Record] | None = None,
    accounts: list[Record] | None = None,
    links: list[Record] | None = None,
) -> Record:
    scheme, source_evaluation, assessment, handling = grading
    return {
        "envelope": head,
        "grading": {
            "scheme": scheme,
            "source_evaluation": source_evaluation,
            "intelligence_assessment": assessment,
            "handling_code": handling,
        },
        "handling_conditions": conditions,
        "siena_code": siena,
        "tlp": tlp,
        "narrative": narrative,
        "source": source,
        "exploitation_types": exploitation,
        "people": people or [],
        "phones": phones or [],
        "vehicles": vehicles or [],
        "premises": places or [],
        "organisations": organisations or [],
        "accounts": accounts or [],
        "links": links or [],
    }


def premises_visit(head: Record, place: Record, *, outcome: str, victims: int, arrests: int) -> Record:
    return {
        "envelope": head,
        "premises": place,
        "operation_name": "Pentameter 2",
        "outcome": outcome,
        "potential_victims_identified": victims,
        "arrests": arrests,
    }


def victim_identity(
    *,
    name: str | None,
    age: int,
    gender: str,
    nationality: str,
    language: str,
    born: date | None = None,
    other_names: list[str] | None = None,
    ethnicity: str | None = None,
    phone: str | None = None,
) -> Record:
    return {
        "name": name,
        "other_names": other_names or [],
        "date_of_birth": born.isoformat() if born else None,
        "age": age,
        "gender": gender,
        "nationality": nationality,
        "ethnicity": ethnicity,
        "languages": [language],
        "phone": phone,
    }


def first_responder(agency_id: str, organisation_type: str) -> Record:
    return {"agency_id": agency_id, "organisation_type": organisation_type}


def encounter(
    head: Record,
    *,
    victim_ref: str,
    victim: Record,
    child: bool,
    responder: Record,
    consent: str,
    exploitation: list[str],
    indicators: list[str],
    place: Record | None,
    accommodated: bool,
    current_address: Record | None,
    health_needs: str | None,
    notes: str | None,
) -> Record:
    return {
        "envelope": head,
        "victim_ref": victim_ref,
        "victim": victim,
        "is_child": child,
        "presumed_child": False,
        "first_responder": responder,
        "consent": consent,
        "exploitation_types": exploitation,
        "indicators": indicators,
        "encounter_premises": place,
        "accommodated": accommodated,
        "current_address": current_address,
        "health_needs": health_needs,
        "notes": notes,
    }


def nrm_referral(
    head: Record,
    *,
    victim_ref: str,
    victim: Record,
    child: bool,
    consent_at: datetime | None,
    responder: Record,
    exploitation: list[str],
    indicators: list[str],
    support_provider: str | None,
    accommodation_force_area: str | None,
    current_address: Record | None,
    health_needs: str | None,
    account: str | None,
) -> Record:
    """A referral: children need no consent; adults only with consent recorded at ``consent_at``."""
    return {
        "envelope": head,
        "victim_ref": victim_ref,
        "is_child": child,
        "presumed_child": False,
        "consent": "NOT_REQUIRED_CHILD" if child else "GIVEN",
        "consent_recorded_at": None if child or consent_at is None else timestamp(consent_at),
        "victim": victim,
        "exploitation_types": exploitation,
        "indicators": indicators,
        "first_responder": responder,
        "support_provider": support_provider,
        "accommodated": accommodation_force_area is not None,
        "accommodation_force_area": accommodation_force_area,
        "current_address": current_address,
        "health_needs": health_needs,
        "account": account,
    }


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def duty_to_notify(
    head: Record,
    *,
    responder_type: str,
    encountered: datetime,
    age_band: str,
    gender: str,
    nationality_region: str,
    exploitation: list[str],
    exploited_in_uk: bool | None,
) -> Record:
    """An anonymous notification: the envelope must have no case id and start at the month."""
    return {
        "envelope": head,
        "first_responder_type": responder_type,
        "encounter_month": f"{encountered.year:04d}-{encountered.month:02d}",
        "age_band": age_band,
        "gender": gender,
        "nationality_region": nationality_region,
        "exploitation_types": exploitation,
        "exploited_in_uk": exploited_in_uk,
    }


def age_band(age: int) -> str:
    """The AgeBand symbol of an adult's age."""
    for upper, band in (
        (24, "AGE_18_TO_24"),
        (34, "AGE_25_TO_34"),
        (44, "AGE_35_TO_44"),
        (54, "AGE_45_TO_54"),
        (64, "AGE_55_TO_64"),
    ):
        if age <= upper:
            return band
    return "AGE_65_AND_OVER"


RECOVERY_DAYS = 45
"""Recovery and reflection period granted after a positive Reasonable Grounds decision (2008)."""


def nrm_decision(
    head: Record,
    *,
    victim_ref: str,
    referral_event_id: str,
    child: bool,
    stage: str,
    outcome: str,
    decided: date,
    exploitation: list[str],
    responder: Record,
    support_provider: str | None,
) -> Record:
    positive_rg = stage == "REASONABLE_GROUNDS" and outcome == "POSITIVE"
    end = decided + timedelta(days=RECOVERY_DAYS) if positive_rg else None
    return {
        "envelope": head,
        "victim_ref": victim_ref,
        "referral_event_id": referral_event_id,
        "is_child": child,
        "stage": stage,
        "outcome": outcome,
        "decision_date": decided.isoformat(),
        "recovery_period_end": end.isoformat() if end else None,
        "exploitation_types": exploitation,
        "first_responder": responder,
        "support_provider": support_provider,
    }


def arrest(head: Record, suspect: Record, offences: list[Record], force_area: str, custody: str) -> Record:
    return {
        "envelope": head,
        "person": suspect,
        "offences": offences,
        "arresting_force": force_area,
        "custody_reference": custody,
    }


def offence(legislation: str, section: str | None, description: str) -> Record:
    return {"legislation": legislation, "section": section, "description": description}


def asset_seizure(
    head: Record,
    *,
    kind: str,
    amount_pence: int,
    subject: Record | None,
    account: Record | None = None,
    court: str | None = None,
) -> Record:
    return {
        "envelope": head,
        "kind": kind,
        "amount_pence": amount_pence,
        "currency": "GBP",
        "account": account,
        "subject": subject,
        "court": court,
    }
