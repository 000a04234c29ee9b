"""Domain rules that Avro cannot express, checked on an Avro-ready record.

Each rule yields ``(path, reason)`` for every problem; :mod:`schemas.validation` runs them after
the structural conversion succeeded, so rules can rely on types. Rules are written against the
current (v1) field names; a schema version that renames a field must adjust its rule here.

What is enforced, per event type:

* every event: envelope.event_type is the schema's name and schema_version its version;
  occurred_at is not after recorded_at; review_date is after the event; region matches the
  force area;
* POLE people (and the arrested person, the asset subject): an age or date of birth under 18
  requires is_child; age and date of birth agree; nationality is ISO alpha-3;
* IntelligenceReport: grading codes fit the scheme; handling C (and SIENA H3) require handling
  conditions with recipients and purposes; conditions only where a code calls for them; entity ids
  unique and links pointing at them; UK postcodes and sort codes well formed;
* PotentialVictimEncounter / NRMReferral: presumed_child implies is_child; an adult age needs
  presumed_child to be treated as a child; NOT_REQUIRED_CHILD consent only for a child; an adult
  NRM referral needs consent GIVEN with the time it was recorded;
* DutyToNotify: never for a child (nor an unknown age); no case_id; occurred_at is the first
  instant of encounter_month, so no exact date travels;
* NRMDecision: a positive Reasonable Grounds decision sets a recovery period of at least 30 days;
  other decisions set none;
* PremisesVisit, Arrest, AssetSeizure: counts and amounts make sense for the outcome or kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas.codes import (
    FORCE_REGION,
    GRADING,
    ISO_COUNTRY,
    ISO_CURRENCY,
    ISO_LANGUAGE,
    RESTRICTING_HANDLING,
    SIENA_NEEDING_CONDITIONS,
    SIENA_RESTRICTING,
    SORT_CODE,
    UK_POSTCODE,
    YEAR_MONTH,
)

Record = Mapping[str, Any]
Problem = tuple[str, str]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may need besides the record: the schema it is validated against."""

    event_type: str
    version: int


Rule = Callable[[Record, RuleContext], Iterable[Problem]]

MIN_RECOVERY_DAYS = 30
"""Minimum recovery period after a positive Reasonable Grounds decision."""


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a else b


def age_on(born: date, on: date) -> int:
    """Whole years between ``born`` and ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _either(*options: str) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]


# -- shared pieces ---------------------------------------------------------------------------


def envelope_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """Envelope consistency, for every event type."""
    env = record["envelope"]
    if env["event_type"] != ctx.event_type:
        yield (
            "envelope.event_type",
            f"is {env['event_type']!r} but the record is validated as {ctx.event_type}",
        )
    if env["schema_version"] != ctx.version:
        yield (
            "envelope.schema_version",
            f"is {env['schema_version']} but the record is validated against {ctx.event_type} v{ctx.version}",
        )
    if env["occurred_at"] > env["recorded_at"]:
        yield ("envelope.recorded_at", "is before occurred_at: an event is recorded after it")
    if env["review_date"] <= env["occurred_at"].date():
        yield ("envelope.review_date", "must be after the date the event occurred")
    expected = FORCE_REGION.get(env["force_area"])
    if expected is not None and env["region"] != expected:
        yield (
            "envelope.region",
            f"is {env['region']} but force area {env['force_area']} is in {expected}",
        )


def _identity_rules(person: Record, path: str, event_day: date) -> Iterator[Problem]:
    """Checks shared by POLE people and victims: dates, ages, nationality."""
    born = person.get("date_of_birth")
    age = person.get("age")
    if born is not None and born > event_day:
        yield (_join(path, "date_of_birth"), f"{born} is after the event ({event_day})")
    if age is not None and not 0 <= age <= 130:
        yield (_join(path, "age"), f"{age} is not a plausible age in years")
    if born is not None and age is not None and born <= event_day:
        actual = age_on(born, event_day)
        if abs(actual - age) > 1:
            yield (
                _join(path, "age"),
                f"{age} does not match date of birth {born} (age {actual} when the event occurred)",
            )
    nationality = person.get("nationality")
    if nationality is not None and not ISO_COUNTRY.match(nationality):
        yield (
            _join(path, "nationality"),
            f"{nationality!r} is not an ISO 3166-1 alpha-3 code (e.g. GBR, ROU, VNM)",
        )


def _known_age(person: Record, event_day: date) -> int | None:
    born = person.get("date_of_birth")
    if born is not None and born <= event_day:
        return age_on(born, event_day)
    age = person.get("age")
    return int(age) if age is not None else None


def person_rules(person: Record, path: str, event_day: date) -> Iterator[Problem]:
    """A POLE person: an under-18 age must be flagged as a child."""
    yield from _identity_rules(person, path, event_day)
    age = _known_age(person, event_day)
    if age is not None and age < 18 and not person["is_child"]:
        yield (
            _join(path, "is_child"),
            f"is false but the person was {age} when the event occurred: anyone under 18 is "
            "treated as a child",
        )


def victim_rules(record: Record, event_day: date) -> Iterator[Problem]:
    """Victim identity against is_child / presumed_child / consent (encounters, referrals)."""
    victim = record["victim"]
    yield from _identity_rules(victim, "victim", event_day)
    for i, language in enumerate(victim.get("languages", [])):
        if not ISO_LANGUAGE.match(language):
            yield (f"victim.languages[{i}]", f"{language!r} is not an ISO 639-1 code (e.g. ro)")
    is_child, presumed = record["is_child"], record["presumed_child"]
    age = _known_age(victim, event_day)
    if presumed and not is_child:
        yield ("is_child", "is false but presumed_child is true: a presumed child is a child")
    if age is not None and age < 18 and not is_child:
        yield (
            "is_child",
            f"is false but the person was {age}: anyone under 18 is treated as a child",
        )
    if age is not None and age >= 18 and is_child and not presumed:
        yield (
            "presumed_child",
            f"is false but is_child is true for a person aged {age}: set presumed_child when "
            "the age is disputed",
        )
    if record["consent"] == "NOT_REQUIRED_CHILD" and not is_child:
        yield ("consent", "is NOT_REQUIRED_CHILD but the person is an adult: adults must consent")
    if not record["exploitation_types"]:
        yield ("exploitation_types", "needs at least one exploitation type (UNKNOWN if unknown)")


def address_rules(address: Record | None, path: str) -> Iterator[Problem]:
    """A UK address needs a well-formed postcode; the country must be ISO alpha-3."""
    if address is None:
        return
    if not ISO_COUNTRY.match(address["country"]):
        yield (_join(path, "country"), f"{address['country']!r} is not an ISO 3166-1 alpha-3 code")
    postcode = address.get("postcode")
    if address["country"] == "GBR" and postcode is not None and not UK_POSTCODE.match(postcode):
        yield (_join(path, "postcode"), f"{postcode!r} is not a UK postcode (e.g. GL1 2AB)")
    if not address["lines"]:
        yield (_join(path, "lines"), "needs at least one address line")


def account_rules(account: Record | None, path: str) -> Iterator[Problem]:
    """Sort codes are six digits."""
    if account is None:
        return
    sort_code = account.get("sort_code")
    if sort_code is not None and not SORT_CODE.match(sort_code):
        yield (_join(path, "sort_code"), f"{sort_code!r} is not a sort code (six digits)")


# -- per event type --------------------------------------------------------------------------


def _grading_rules(record: Record) -> Iterator[Problem]:
    grading = record["grading"]
    alphabet = GRADING[grading["scheme"]]
    for field, word in (
        ("source_evaluation", "source evaluation"),
        ("intelligence_assessment", "intelligence assessment"),
        ("handling_code", "handling code"),
    ):
        allowed: Sequence[str] = getattr(alphabet, field)
        if grading[field] not in allowed:
            yield (
                f"grading.{field}",
                f"{grading[field]!r} is not a {alphabet.label} {word} (expected {_either(*allowed)})",
            )


def _handling_rules(record: Record) -> Iterator[Problem]:
    scheme, code = record["grading"]["scheme"], record["grading"]["handling_code"]
    siena = record.get("siena_code")
    conditions = record.get("handling_conditions")
    needs = code in GRADING[scheme].conditional_handling
    if needs and conditions is None:
        yield (
            "handling_conditions",
            f"is missing but handling code {code} requires conditions (recipients and purposes)",
        )
    if siena in SIENA_NEEDING_CONDITIONS and (conditions is None or not conditions["conditions"]):
        yield (
            "handling_conditions.conditions",
            f"SIENA code {siena} means other restrictions, which must be written here",
        )
    allowed = code in RESTRICTING_HANDLING[scheme] or siena in SIENA_RESTRICTING
    if conditions is not None and not allowed:
        yield (
            "handling_conditions",
            f"are given but handling code {code}"
            + (f" and SIENA code {siena}" if siena else "")
            + " do not restrict sharing; remove them or use a restricting code",
        )
    if conditions is not None:
        if not conditions["recipients"]:
            yield ("handling_conditions.recipients", "must name at least one recipient partner")
        if not conditions["purposes"]:
            yield ("handling_conditions.purposes", "must name at least one purpose")


_ENTITY_LISTS = ("people", "phones", "vehicles", "premises", "organisations", "accounts")


def intelligence_report_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """Grading, handling, POLE entities and links of an IntelligenceReport."""
    yield from _grading_rules(record)
    yield from _handling_rules(record)
    day = record["envelope"]["occurred_at"].date()
    seen: dict[str, str] = {}
    for name in _ENTITY_LISTS:
        for i, entity in enumerate(record[name]):
            path = f"{name}[{i}]"
            if entity["entity_id"] in seen:
                yield (
                    f"{path}.entity_id",
                    f"{entity['entity_id']!r} is already used by {seen[entity['entity_id']]}",
                )
            seen.setdefault(entity["entity_id"], path)
    for i, person in enumerate(record["people"]):
        yield from person_rules(person, f"people[{i}]", day)
    for i, premises in enumerate(record["premises"]):
        yield from address_rules(premises["address"], f"premises[{i}].address")
    for i, account in enumerate(record["accounts"]):
        yield from account_rules(account, f"accounts[{i}]")
    for i, link in enumerate(record["links"]):
        for end in ("from_entity_id", "to_entity_id"):
            if link[end] not in seen:
                yield (f"links[{i}].{end}", f"{link[end]!r} is not the entity_id of an entity")


def encounter_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """PotentialVictimEncounter: victim, child and consent consistency."""
    day = record["envelope"]["occurred_at"].date()
    yield from victim_rules(record, day)
    yield from address_rules(record["current_address"], "current_address")
    premises = record.get("encounter_premises")
    if premises is not None:
        yield from address_rules(premises["address"], "encounter_premises.address")


def referral_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """NRMReferral: adults only with recorded consent; children always."""
    day = record["envelope"]["occurred_at"].date()
    yield from victim_rules(record, day)
    yield from address_rules(record["current_address"], "current_address")
    if not record["is_child"]:
        if record["consent"] != "GIVEN":
            yield (
                "consent",
                f"is {record['consent']} but an adult is referred to the NRM only with consent; "
                "without it make a DutyToNotify instead",
            )
        elif record["consent_recorded_at"] is None:
            yield ("consent_recorded_at", "is required: record when the adult gave consent")
    if record["accommodation_force_area"] is not None and not record["accommodated"]:
        yield ("accommodation_force_area", "is set but accommodated is false")


def duty_to_notify_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """DutyToNotify: adults only, nothing that identifies, month precision only."""
    band = record["age_band"]
    if band == "UNDER_18":
        yield (
            "age_band",
            "is UNDER_18: a Duty to Notify is never made for a child; make an NRMReferral "
            "(children need no consent)",
        )
    elif band == "UNKNOWN":
        yield (
            "age_band",
            "is UNKNOWN: a person who may be under 18 is treated as a child and gets an "
            "NRMReferral, not a Duty to Notify (use ADULT_AGE_UNKNOWN for a judged adult)",
        )
    if not record["exploitation_types"]:
        yield ("exploitation_types", "needs at least one exploitation type (UNKNOWN if unknown)")
    env = record["envelope"]
    if env["case_id"] is not None:
        yield (
            "envelope.case_id",
            "must be null: a Duty to Notify must not be linkable to the person's case",
        )
    match = YEAR_MONTH.match(record["encounter_month"])
    if match is None:
        yield ("encounter_month", f"{record['encounter_month']!r} is not a month as YYYY-MM")
        return
    start = datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)
    if env["occurred_at"] != start:
        yield (
            "envelope.occurred_at",
            f"must be {start.isoformat().replace('+00:00', 'Z')}, the start of encounter_month: "
            "a Duty to Notify carries no exact date",
        )


def decision_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """NRMDecision: recovery period only, and at least 30 days, after a positive RG."""
    positive_rg = record["stage"] == "REASONABLE_GROUNDS" and record["outcome"] == "POSITIVE"
    end = record["recovery_period_end"]
    if positive_rg:
        if end is None:
            yield (
                "recovery_period_end",
                "is required after a positive Reasonable Grounds decision",
            )
        elif end < record["decision_date"] + timedelta(days=MIN_RECOVERY_DAYS):
            yield (
                "recovery_period_end",
                f"{end} is less than {MIN_RECOVERY_DAYS} days after the decision ({record['decision_date']})",
            )
    elif end is not None:
        yield (
            "recovery_period_end",
            "must be null: only a positive Reasonable Grounds decision starts a recovery period",
        )


def premises_visit_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """PremisesVisit: counts not negative and consistent with the outcome."""
    victims, arrests = record["potential_victims_identified"], record["arrests"]
    if victims < 0:
        yield ("potential_victims_identified", "cannot be negative")
    if arrests < 0:
        yield ("arrests", "cannot be negative")
    outcome = record["outcome"]
    if outcome in ("POTENTIAL_VICTIMS_IDENTIFIED", "POTENTIAL_VICTIMS_AND_ARRESTS") and victims < 1:
        yield ("potential_victims_identified", f"is {victims} but the outcome is {outcome}")
    if outcome in ("ARRESTS_MADE", "POTENTIAL_VICTIMS_AND_ARRESTS") and arrests < 1:
        yield ("arrests", f"is {arrests} but the outcome is {outcome}")
    yield from address_rules(record["premises"]["address"], "premises.address")


def arrest_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """Arrest: the person is a suspect; at least one offence."""
    day = record["envelope"]["occurred_at"].date()
    if record["person"]["role"] != "SUSPECT":
        yield ("person.role", f"is {record['person']['role']} but an arrested person is a SUSPECT")
    yield from person_rules(record["person"], "person", day)
    if not record["offences"]:
        yield ("offences", "needs at least one offence")


def asset_seizure_rules(record: Record, ctx: RuleContext) -> Iterator[Problem]:
    """AssetSeizure: positive amount, ISO currency, account for a freezing order."""
    if record["amount_pence"] <= 0:
        yield ("amount_pence", f"{record['amount_pence']} must be more than zero")
    if not ISO_CURRENCY.match(record["currency"]):
        yield ("currency", f"{record['currency']!r} is not an ISO 4217 code (e.g. GBP)")
    if record["kind"] == "ACCOUNT_FREEZING_ORDER" and record["account"] is None:
        yield ("account", "is required for an account freezing order")
    yield from account_rules(record["account"], "account")
    subject = record["subject"]
    if subject is not None:
        if subject["role"] not in ("SUSPECT", "ASSOCIATE"):
            yield ("subject.role", f"is {subject['role']}: assets are taken from a SUSPECT or ASSOCIATE")
        yield from person_rules(subject, "subject", record["envelope"]["occurred_at"].date())


RULES: Mapping[str, tuple[Rule, ...]] = {
    "IntelligenceReport": (intelligence_report_rules,),
    "PotentialVictimEncounter": (encounter_rules,),
    "NRMReferral": (referral_rules,),
    "DutyToNotify": (duty_to_notify_rules,),
    "NRMDecision": (decision_rules,),
    "PremisesVisit": (premises_visit_rules,),
    "Arrest": (arrest_rules,),
    "AssetSeizure": (asset_seizure_rules,),
}
"""Event type -> its domain rules (the envelope rules run for every event type)."""


def check_rules(record: Record, ctx: RuleContext) -> list[Problem]:
    """Run the envelope rules and the event type's rules; return every problem found."""
    problems: list[Problem] = []
    if "envelope" in record:
        problems.extend(envelope_rules(record, ctx))
    for rule in RULES.get(ctx.event_type, ()):
        problems.extend(rule(record, ctx))
    return problems
