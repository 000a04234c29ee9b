"""Invalid rows with a known defect, for testing that ingest rejects exactly what it should.

Each defect is one realistic mistake (a marking from the old protective marking scheme, a 3x5x2
code on a 5x5x5 grade, an adult referred without consent, a Duty to Notify for a child, ...)
that breaks exactly one field, so a test can compare the rejects file with the expected field.
A bad row is a copy of one of the file's own good records with a fresh event id and the defect
applied, and is inserted among the good rows; the good rows and their counts are unchanged.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from producers.checks import check_event
from producers.exceptions import ScenarioError
from schemas.codes import FORCE_REGION

Record = dict[str, Any]


@dataclass(frozen=True)
class Defect:
    """One kind of mistake: which records it fits, how to make it, which field it breaks."""

    name: str
    description: str
    fits: Callable[[Record], bool]
    make: Callable[[Record], None]
    """Mutates a copy of a good record in place."""
    field: Callable[[Record], str | None]


def _env(record: Record) -> Record:
    envelope: Record = record["envelope"]
    return envelope


def _type(*names: str) -> Callable[[Record], bool]:
    return lambda r: _env(r)["event_type"] in names


MISSING = {
    "IntelligenceReport": "narrative",
    "PremisesVisit": "premises",
    "PotentialVictimEncounter": "victim_ref",
    "NRMReferral": "victim_ref",
    "DutyToNotify": "age_band",
    "NRMDecision": "victim_ref",
    "Arrest": "arresting_force",
    "AssetSeizure": "amount_pence",
}
"""The required field (no default) each event type loses in a missing_field defect."""


def _set(path: str, value: object) -> Callable[[Record], None]:
    *parents, leaf = path.split(".")

    def make(record: Record) -> None:
        target = record
        for name in parents:
            target = target[name]
        target[leaf] = value

    return make


def _other_region(record: Record) -> None:
    envelope = _env(record)
    envelope["region"] = "SCOTLAND" if envelope["region"] != "SCOTLAND" else "LONDON"


def _other_origin(record: Record) -> None:
    envelope = _env(record)
    envelope["origin_agency"] = (
        "police.kent" if envelope["origin_agency"] != "police.kent" else "police.essex"
    )


def _grading_code(record: Record) -> None:
    grading = record["grading"]
    grading["source_evaluation"] = "2" if grading["scheme"] == "G5X5X5" else "B"


def _const(value: str | None) -> Callable[[Record], str | None]:
    return lambda _record: value


DEFECTS: tuple[Defect, ...] = (
    Defect(
        "wrong_enum",
        "classification RESTRICTED, a pre-2014 protective marking, not a GSC tier",
        lambda r: True,
        _set("envelope.classification", "RESTRICTED"),
        _const("envelope.classification"),
    ),
    Defect(
        "bad_grading_code",
        "a source evaluation code of the other grading scheme",
        _type("IntelligenceReport"),
        _grading_code,
        _const("grading.source_evaluation"),
    ),
    Defect(
        "adult_referral_without_consent",
        "an adult referred to the NRM although consent was refused",
        lambda r: _env(r)["event_type"] == "NRMReferral" and not r["is_child"],
        _set("consent", "REFUSED"),
        _const("consent"),
    ),
    Defect(
        "missing_field",
        "a required field left out",
        lambda r: _env(r)["event_type"] in MISSING,
        lambda r: r.pop(MISSING[_env(r)["event_type"]]),
        lambda r: MISSING.get(_env(r)["event_type"]),
    ),
    Defect(
        "child_duty_to_notify",
        "a Duty to Notify made for a child",
        _type("DutyToNotify"),
        _set("age_band", "UNDER_18"),
        _const("age_band"),
    ),
    Defect(
        "bad_date",
        "an impossible date",
        lambda r: True,
        _set("envelope.occurred_at", "2007-10-32T07:00:00.000Z"),
        _const("envelope.occurred_at"),
    ),
    Defect(
        "wrong_origin",
        "claims to come from another agency",
        lambda r: True,
        _other_origin,
        _const("envelope.origin_agency"),
    ),
    Defect(
        "dtn_with_case_id",
        "a Duty to Notify linkable to the person's case",
        _type("DutyToNotify"),
        _set("envelope.case_id", "UKP2/LINKED/0001"),
        _const("envelope.case_id"),
    ),
    Defect(
        "region_mismatch",
        "a region that is not the force area's",
        lambda r: _env(r)["force_area"] in FORCE_REGION,
        _other_region,
        _const("envelope.region"),
    ),
    Defect(
        "blank_value",
        "a narrative of spaces instead of null or text",
        _type("IntelligenceReport"),
        _set("narrative", "   "),
        _const("narrative"),
    ),
    Defect(
        "decision_without_recovery_period",
        "a positive Reasonable Grounds decision without a recovery period",
        lambda r: (
            _env(r)["event_type"] == "NRMDecision"
            and r["stage"] == "REASONABLE_GROUNDS"
            and r["outcome"] == "POSITIVE"
        ),
        _set("recovery_period_end", None),
        _const("recovery_period_end"),
    ),
    Defect(
        "unknown_event_type",
        "an event type no schema defines",
        lambda r: True,
        _set("envelope.event_type", "Sighting"),
        _const("envelope.event_type"),
    ),
    Defect(
        "visit_count_mismatch",
        "a visit whose outcome reports arrests but counts none",
        lambda r: (
            _env(r)["event_type"] == "PremisesVisit"
            and r["outcome"] in ("ARRESTS_MADE", "POTENTIAL_VICTIMS_AND_ARRESTS")
        ),
        _set("arrests", 0),
        _const("arrests"),
    ),
    Defect(
        "malformed_json", "a line cut short, so not JSON at all", lambda r: True, lambda r: None, _const(None)
    ),
)
"""Every defect, in the order bad rows cycle through them."""


@dataclass(frozen=True)
class BadRow:
    """One injected row: where it will be written and what rejecting it must say."""

    file: str
    agency: str
    line_text: str
    event_id: str | None
    event_type: str | None
    defect: str
    field: str | None
    position: int
    """Index among the file's good rows before which the bad row is inserted."""


def make_bad_rows(
    files: Mapping[str, list[Record]], count: int, rng: random.Random, dumps: Callable[[Record], str]
) -> list[BadRow]:
    """``count`` bad rows spread across the files (round robin in a seeded order), cycling through
    the defects so each file gets varied ones that fit its own records."""
    if count <= 0:
        return []
    names = sorted(n for n, records in files.items() if records)
    if not names:
        raise ScenarioError("there are no records to copy bad rows from")
    rng.shuffle(names)
    rows: list[BadRow] = []
    for index in range(count):
        name = names[index % len(names)]
        records = files[name]
        for step in range(len(DEFECTS)):
            defect = DEFECTS[(index + step) % len(DEFECTS)]
            candidates = [r for r in records if defect.fits(r)]
            if candidates:
                break
        else:  # pragma: no cover - wrong_enum fits every record
            raise ScenarioError(f"no defect fits the records of {name}")
        rows.append(_bad_row(name, rng.choice(candidates), defect, rng, rng.randint(0, len(records)), dumps))
    return rows


def _bad_row(
    file: str,
    template: Record,
    defect: Defect,
    rng: random.Random,
    position: int,
    dumps: Callable[[Record], str],
) -> BadRow:
    record = copy.deepcopy(template)
    agency = str(_env(record)["origin_agency"])
    event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    _env(record)["event_id"] = event_id
    expected = defect.field(record)
    defect.make(record)
    text = dumps(record)
    row_event_id: str | None = event_id
    row_event_type: str | None = str(_env(record)["event_type"])
    if defect.name == "malformed_json":
        text = text[: len(text) // 2]
        row_event_id = row_event_type = None
    _verify(file, agency, text, defect, expected)
    return BadRow(file, agency, text, row_event_id, row_event_type, defect.name, expected, position)


def _verify(file: str, agency: str, text: str, defect: Defect, expected: str | None) -> None:
    """A bad row must fail with exactly the expected field, or the ground truth would lie."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        if expected is None:
            return
        raise ScenarioError(f"{defect.name} row for {file} is not JSON") from None
    _, issues = check_event(record, agency)
    fields = [issue.path for issue in issues]
    if fields != [expected]:
        raise ScenarioError(f"{defect.name} row for {file} fails on {fields}, expected only {expected!r}")
