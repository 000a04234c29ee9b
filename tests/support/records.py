"""Hypothesis strategies for arbitrary *valid* records of every event type.

For tests in any package: ``records("NRMReferral")`` draws Avro-ready records that pass
:func:`schemas.validation.validate` (domain rules included), so property tests exercise real
shapes: children and adults, 3x5x2 and 5x5x5 grades, conditions only where a code calls for them.

Values are drawn from the schema itself (so new fields are covered without touching this module),
then each event type's ``_fix_*`` function enforces the cross-field rules Avro cannot express.

hypothesis is a development dependency, so it is imported here and nowhere else in the package:
import this module only from tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from schemas.catalogue import Catalogue, default_catalogue
from schemas.codes import FORCE_REGION, GRADING, RESTRICTING_HANDLING, SIENA_RESTRICTING
from schemas.naming import Schema, resolve, type_of
from schemas.rules import age_on

Record = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]

NATIONALITIES = ("GBR", "ROU", "ALB", "VNM", "NGA", "CHN", "POL", "SVK", "ERI", "LTU")
POSTCODES = ("GL1 2AB", "BS1 4DJ", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN551PT")
LANGUAGES = ("ro", "sq", "vi", "en", "pl", "zh", "ti", "lt")
AGENCIES = ("police.gloucestershire", "police.metropolitan", "nca.ukhtc", "border.intel", "ngo.poppy")

EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2030, 12, 31)


def _non_blank(text: str) -> str:
    return text if text.strip() else f"x{text}"


text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=24).map(_non_blank)
"""Any non-blank UTF-8 text."""

timestamps = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
"""UTC datetimes with millisecond precision (what timestamp-millis round-trips)."""

FIELD_OVERRIDES: Mapping[str, st.SearchStrategy[Any]] = {
    "nationality": st.none() | st.sampled_from(NATIONALITIES),
    "postcode": st.none() | st.sampled_from(POSTCODES),
    "country": st.just("GBR"),
    "sort_code": st.none() | st.sampled_from(("12-34-56", "401234", "20-00-00")),
    "currency": st.sampled_from(("GBP", "EUR", "USD", "RON")),
    "languages": st.lists(st.sampled_from(LANGUAGES), max_size=2),
    "lines": st.lists(text, min_size=1, max_size=3),
    "age": st.none() | st.integers(0, 100),
    "date_of_birth": st.none() | st.dates(date(1930, 1, 1), date(1999, 12, 31)),
    "amount_pence": st.integers(1, 10**12),
    "potential_victims_identified": st.integers(0, 20),
    "arrests": st.integers(0, 20),
    "recipients": st.lists(st.sampled_from(AGENCIES), min_size=1, max_size=3),
}
"""Field name -> strategy for the whole field value, wherever the field appears."""

NON_EMPTY_ARRAYS = frozenset({"offences", "purposes"})
"""Array fields drawn with at least one item."""


def from_schema(node: Schema, names: Mapping[str, Any], field: str = "") -> st.SearchStrategy[Any]:
    """A strategy for any value of an expanded Avro schema node (no domain rules)."""
    if field in FIELD_OVERRIDES:
        return FIELD_OVERRIDES[field]
    node = resolve(node, names)
    kind = type_of(node)
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if kind == "union":
        return st.one_of(*(from_schema(b, names) for b in node))
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "int":
        if logical == "date":
            return st.dates(EARLIEST.date(), LATEST.date())
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "long":
        if logical == "timestamp-millis":
            return timestamps
        return st.integers(-(2**63), 2**63 - 1)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, width=32 if kind == "float" else 64)
    if kind == "string":
        return st.uuids() if logical == "uuid" else text
    if kind in ("bytes", "fixed"):
        size = node.get("size") if isinstance(node, dict) else None
        return st.binary(min_size=size or 0, max_size=size or 16)
    if kind == "enum":
        return st.sampled_from(node["symbols"])
    if kind == "array":
        return st.lists(
            from_schema(node["items"], names),
            min_size=1 if field in NON_EMPTY_ARRAYS else 0,
            max_size=3,
        )
    if kind == "map":
        return st.dictionaries(text, from_schema(node["values"], names), max_size=3)
    return st.fixed_dictionaries(
        {str(f["name"]): from_schema(f["type"], names, str(f["name"])) for f in node["fields"]}
    )


@st.composite
def envelopes(draw: Draw, event_type: str, version: int = 1) -> Record:
    """A consistent envelope: region fits the force, recorded after occurring, review later."""
    occurred = draw(timestamps)
    force = draw(st.sampled_from((*FORCE_REGION, "BRITISH_TRANSPORT_POLICE", "UNKNOWN")))
    region = FORCE_REGION.get(force) or draw(st.sampled_from(("NATIONAL", "LONDON", "UNKNOWN")))
    return {
        "event_id": draw(st.uuids()),
        "event_type": event_type,
        "schema_version": version,
        "origin_agency": draw(st.sampled_from(AGENCIES)),
        "occurred_at": occurred,
        "recorded_at": occurred + timedelta(milliseconds=draw(st.integers(0, 30 * 86_400_000))),
        "case_id": draw(st.none() | text),
        "classification": draw(st.sampled_from(("OFFICIAL", "OFFICIAL_SENSITIVE", "SECRET", "TOP_SECRET"))),
        "force_area": force,
        "region": region,
        "review_date": occurred.date() + timedelta(days=draw(st.integers(1, 3650))),
    }


# -- fixes: enforce the domain rules on a schema-drawn record --------------------------------


def _fix_identity(person: Record, day: date) -> int | None:
    """Make age agree with date of birth; return the known age."""
    born = person.get("date_of_birth")
    if born is not None and person.get("age") is not None:
        person["age"] = age_on(born, day)
    if born is not None:
        return age_on(born, day)
    age = person.get("age")
    return int(age) if age is not None else None


def _fix_person(person: Record, day: date) -> None:
    age = _fix_identity(person, day)
    if age is not None and age < 18:
        person["is_child"] = True


def _fix_victim(draw: Draw, record: Record) -> None:
    day = record["envelope"]["occurred_at"].date()
    age = _fix_identity(record["victim"], day)
    if record["presumed_child"] or (age is not None and age < 18):
        record["is_child"] = True
    if record["is_child"] and age is not None and age >= 18:
        record["presumed_child"] = True
    if record["consent"] == "NOT_REQUIRED_CHILD" and not record["is_child"]:
        record["consent"] = draw(st.sampled_from(("GIVEN", "REFUSED", "NOT_YET_SOUGHT")))
    if not record["exploitation_types"]:
        record["exploitation_types"] = ["UNKNOWN"]


def _fix_intelligence_report(draw: Draw, record: Record) -> None:
    scheme = draw(st.sampled_from(sorted(GRADING)))
    alphabet = GRADING[scheme]
    record["grading"] = {
        "scheme": scheme,
        "source_evaluation": draw(st.sampled_from(alphabet.source_evaluation)),
        "intelligence_assessment": draw(st.sampled_from(alphabet.intelligence_assessment)),
        "handling_code": draw(st.sampled_from(alphabet.handling_code)),
    }
    code, siena = record["grading"]["handling_code"], record["siena_code"]
    needs = code in alphabet.conditional_handling or siena == "H3"
    allowed = code in RESTRICTING_HANDLING[scheme] or siena in SIENA_RESTRICTING
    conditions = record["handling_conditions"]
    if needs and conditions is None:
        conditions = {
            "recipients": draw(FIELD_OVERRIDES["recipients"]),
            "purposes": ["PREVENTION_AND_DETECTION_OF_CRIME"],
            "conditions": [],
        }
    if not allowed:
        conditions = None
    if conditions is not None and siena == "H3" and not conditions["conditions"]:
        conditions["conditions"] = [draw(text)]
    record["handling_conditions"] = conditions
    day = record["envelope"]["occurred_at"].date()
    ids: list[str] = []
    for prefix, name in (
        ("p", "people"),
        ("t", "phones"),
        ("v", "vehicles"),
        ("l", "premises"),
        ("o", "organisations"),
        ("a", "accounts"),
    ):
        for i, entity in enumerate(record[name]):
            entity["entity_id"] = f"{prefix}{i}"
            ids.append(entity["entity_id"])
    for person in record["people"]:
        _fix_person(person, day)
    if not ids:
        record["links"] = []
    for link in record["links"]:
        link["from_entity_id"] = draw(st.sampled_from(ids))
        link["to_entity_id"] = draw(st.sampled_from(ids))


def _fix_encounter(draw: Draw, record: Record) -> None:
    _fix_victim(draw, record)


def _fix_referral(draw: Draw, record: Record) -> None:
    _fix_victim(draw, record)
    if not record["is_child"]:
        record["consent"] = "GIVEN"
        if record["consent_recorded_at"] is None:
            record["consent_recorded_at"] = record["envelope"]["occurred_at"]
    if not record["accommodated"]:
        record["accommodation_force_area"] = None


def _fix_duty_to_notify(draw: Draw, record: Record) -> None:
    env = record["envelope"]
    occurred = env["occurred_at"]
    env["occurred_at"] = datetime(occurred.year, occurred.month, 1, tzinfo=UTC)
    env["case_id"] = None
    record["encounter_month"] = f"{occurred.year:04d}-{occurred.month:02d}"
    record["age_band"] = draw(
        st.sampled_from(
            (
                "AGE_18_TO_24",
                "AGE_25_TO_34",
                "AGE_35_TO_44",
                "AGE_45_TO_54",
                "AGE_55_TO_64",
                "AGE_65_AND_OVER",
                "ADULT_AGE_UNKNOWN",
            )
        )
    )
    if not record["exploitation_types"]:
        record["exploitation_types"] = ["UNKNOWN"]


def _fix_decision(draw: Draw, record: Record) -> None:
    if record["stage"] == "REASONABLE_GROUNDS" and record["outcome"] == "POSITIVE":
        days = draw(st.integers(30, 120))
        record["recovery_period_end"] = record["decision_date"] + timedelta(days=days)
    else:
        record["recovery_period_end"] = None


def _fix_premises_visit(draw: Draw, record: Record) -> None:
    outcome = record["outcome"]
    if outcome in ("POTENTIAL_VICTIMS_IDENTIFIED", "POTENTIAL_VICTIMS_AND_ARRESTS"):
        record["potential_victims_identified"] = max(1, record["potential_victims_identified"])
    if outcome in ("ARRESTS_MADE", "POTENTIAL_VICTIMS_AND_ARRESTS"):
        record["arrests"] = max(1, record["arrests"])


def _fix_arrest(draw: Draw, record: Record) -> None:
    record["person"]["role"] = "SUSPECT"
    _fix_person(record["person"], record["envelope"]["occurred_at"].date())


def _fix_asset_seizure(draw: Draw, record: Record, account: st.SearchStrategy[Any]) -> None:
    if record["kind"] == "ACCOUNT_FREEZING_ORDER" and record["account"] is None:
        record["account"] = draw(account)
    subject = record["subject"]
    if subject is not None:
        subject["role"] = draw(st.sampled_from(("SUSPECT", "ASSOCIATE")))
        _fix_person(subject, record["envelope"]["occurred_at"].date())


_FIXES: Mapping[str, Callable[[Draw, Record], None]] = {
    "IntelligenceReport": _fix_intelligence_report,
    "PotentialVictimEncounter": _fix_encounter,
    "NRMReferral": _fix_referral,
    "DutyToNotify": _fix_duty_to_notify,
    "NRMDecision": _fix_decision,
    "PremisesVisit": _fix_premises_visit,
    "Arrest": _fix_arrest,
}


def records(
    event_type: str, *, version: int | None = None, catalogue: Catalogue | None = None
) -> st.SearchStrategy[Record]:
    """Valid, Avro-ready records of ``event_type`` (latest version unless given)."""
    cat = catalogue if catalogue is not None else default_catalogue()
    entry = cat.get(event_type, version)
    body = from_schema(entry.schema, entry.names)
    account_type = entry.names.get("org.pentameter.events.Account")
    account = from_schema(account_type, entry.names) if account_type else st.none()
    fix = _FIXES.get(entry.name)

    @st.composite
    def build(draw: Draw) -> Record:
        record: Record = draw(body)
        record["envelope"] = draw(envelopes(entry.name, entry.version))
        if entry.name == "AssetSeizure":
            _fix_asset_seizure(draw, record, account)
        elif fix is not None:
            fix(draw, record)
        return record

    strategy: st.SearchStrategy[Record] = build()
    return strategy


def any_record(catalogue: Catalogue | None = None) -> st.SearchStrategy[tuple[str, Record]]:
    """(event type, valid record) for any event type."""
    cat = catalogue if catalogue is not None else default_catalogue()

    def tagged(name: str) -> st.SearchStrategy[tuple[str, Record]]:
        return st.tuples(st.just(name), records(name, catalogue=cat))

    return st.one_of(*(tagged(name) for name in cat.event_types()))
