"""Hypothesis strategies and helpers shared by the policy tests.

:func:`routed_records` draws valid records of an event type (from ``schemas.testing``) and then
points their agency fields at registry partners (originator, first responder, support provider,
handling-condition recipients) and plants other values of the record into its free text, so
every plan's conditions, guard rails and rule 11 scrubbing are exercised, not only the paths a
random string would reach.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from policies.scrub import PLACEHOLDERS
from schemas.codes import FORCE_REGION
from schemas.entry import SchemaEntry
from schemas.naming import resolve, type_of
from tests.support.records import records
from tests.unit.policies.conftest import TODAY

PARTNERS = (
    "police.gloucestershire",
    "police.metropolitan",
    "police.west_midlands",
    "police.greater_manchester",
    "police.swrocu",
    "nca.ukhtc",
    "border.intel",
    "hmrc",
    "ngo.poppy",
    "ngo.salvation_army",
    "la.gloucestershire_childrens",
    "sca",
    "ncc",
)
AGENCIES = (
    "police.gloucestershire",
    "police.metropolitan",
    "police.kent",
    "nca.ukhtc",
    "border.intel",
    "ngo.salvation_army",
    "la.gloucestershire_childrens",
    "sca",
)
AREAS = ("GLOUCESTERSHIRE", "METROPOLITAN", "WEST_MIDLANDS", "GREATER_MANCHESTER", "WILTSHIRE", "KENT")

Record = dict[str, Any]


def plain_strings(value: Any, node: Any, names: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(schema path, value) for every plain-string leaf value (enums and uuids left out)."""
    node = resolve(node, names)
    kind = type_of(node)
    if value is None:
        return
    if kind == "union":
        for branch in node:
            b = resolve(branch, names)
            bk = type_of(b)
            if isinstance(value, str) and (
                b == "string"
                or (isinstance(b, dict) and b.get("type") == "string" and "logicalType" not in b)
            ):
                yield path, value
                return
            if isinstance(value, dict) and bk == "record":
                yield from plain_strings(value, b, names, path)
                return
            if isinstance(value, list) and bk == "array":
                yield from plain_strings(value, b, names, path)
                return
        return
    if node == "string" or (
        isinstance(node, dict) and node.get("type") == "string" and "logicalType" not in node
    ):
        if isinstance(value, str):
            yield path, value
        return
    if kind in ("array", "map"):
        inner = resolve(node["items" if kind == "array" else "values"], names)
        is_record = isinstance(inner, dict) and inner.get("type") == "record"
        suffix = ("[]" if kind == "array" else "{}") if is_record else ""
        for item in value if kind == "array" else value.values():
            yield from plain_strings(item, inner, names, path + suffix)
    elif kind in ("record", "error"):
        for f in node["fields"]:
            fpath = f"{path}.{f['name']}" if path else str(f["name"])
            yield from plain_strings(value.get(f["name"]), f["type"], names, fpath)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(schema path, value) of every leaf of an output record (lists of records walked with [])."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for item in value:
            yield from leaves(item, path + "[]")
    else:
        yield path, value


_ATOMS = re.compile(r"[^\W\d_]+|\d+")


def still_written(text: str, value: str) -> bool:
    """True if ``value`` (three or more letters and digits) is still written in ``text`` outside
    the scrub placeholders, in any case and with any separators, as whole words. A deliberately
    simple second reading, independent of :mod:`policies.scrub`."""
    wanted = "".join(_ATOMS.findall(value.casefold()))
    if len(wanted) < 3:
        return False
    for piece in PLACEHOLDERS.split(text):
        atoms = _ATOMS.findall(piece.casefold())
        for i in range(len(atoms)):
            joined = ""
            for atom in atoms[i:]:
                joined += atom
                if joined == wanted:
                    return True
                if len(joined) >= len(wanted) or not wanted.startswith(joined):
                    break
    return False


@st.composite
def routed_records(draw: Any, event_type: str, entry: SchemaEntry) -> Record:
    """A valid record of ``event_type`` aimed at the registry (see the module doc)."""
    record: Record = draw(records(event_type))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    make_current(record, rng)
    env = record["envelope"]
    env["origin_agency"] = rng.choice(AGENCIES)
    if rng.random() < 0.8:
        area = rng.choice(AREAS)
        env["force_area"] = area
        env["region"] = FORCE_REGION[area]
    if isinstance(record.get("first_responder"), dict) and rng.random() < 0.7:
        record["first_responder"]["agency_id"] = rng.choice(PARTNERS)
    if "support_provider" in record and rng.random() < 0.7:
        record["support_provider"] = rng.choice((*PARTNERS, None))
    conditions = record.get("handling_conditions")
    if isinstance(conditions, dict) and rng.random() < 0.8:
        conditions["recipients"] = rng.sample(PARTNERS, rng.randint(1, 5))
        if rng.random() < 0.8:
            conditions["purposes"] = ["PREVENTION_AND_DETECTION_OF_CRIME"]
    # plant other values of the record in its free text, in random case
    values = [v for _, v in plain_strings(record, entry.schema, entry.names) if len(v) >= 3]
    texts = [
        f.path
        for f in entry.leaf_fields
        if "free_text" in f.marks and "." not in f.path and f.avro_type in ("string", "string?")
    ]
    for name in texts:
        if values and (record[name] is not None or rng.random() < 0.5):
            planted = " ".join(
                rng.choice([v, v.upper(), v.lower()]) for v in rng.sample(values, min(3, len(values)))
            )
            record[name] = f"{record[name] or ''} seen with {planted} nearby"
    return record


_DATED = ("consent_recorded_at", "decision_date", "recovery_period_end")


def make_current(record: Record, rng: random.Random) -> Record:
    """Move the record's envelope dates so it was recorded in the three years before TODAY and is
    due for review after it (an expired record is shared with no one: rule 12 has its own test)."""
    env = record["envelope"]
    recorded = TODAY - timedelta(days=rng.randint(1, 3 * 365))
    shift = recorded - env["recorded_at"].date()
    for name in ("occurred_at", "recorded_at"):
        env[name] += shift
    for name in _DATED:
        if record.get(name) is not None:
            record[name] += shift
    env["review_date"] = TODAY + timedelta(days=rng.randint(1, 1000))
    return record


def make_child(record: Record) -> Record:
    """Turn a victim event into a child's (presumed child, no consent needed)."""
    record["is_child"] = True
    if "presumed_child" in record:
        record["presumed_child"] = True
    if "consent" in record:
        record["consent"] = "NOT_REQUIRED_CHILD"
    if "consent_recorded_at" in record:
        record["consent_recorded_at"] = None
    return record


def make_adult(record: Record, consent: str) -> Record:
    """Turn a victim event into an adult's with the given consent status."""
    record["is_child"] = False
    if "presumed_child" in record:
        record["presumed_child"] = False
    victim = record.get("victim")
    if isinstance(victim, dict):
        victim["age"] = 30
        victim["date_of_birth"] = None
    if "consent" in record:
        record["consent"] = consent
    if "consent_recorded_at" in record:
        record["consent_recorded_at"] = record["envelope"]["occurred_at"] if consent == "GIVEN" else None
    return record


@st.composite
def victim_records(
    draw: Any, event_type: str, entry: SchemaEntry, *, child: bool | None = None, ngo: bool = False
) -> Record:
    """Victim events as :func:`routed_records`, optionally all children or all adults, and
    optionally supported or referred by an NGO partner."""
    record = draw(routed_records(event_type, entry))
    if child is True:
        make_child(record)
    elif child is False:
        consents = ("GIVEN",) if event_type == "NRMReferral" else ("GIVEN", "REFUSED", "NOT_YET_SOUGHT")
        make_adult(record, draw(st.sampled_from(consents)))
    if ngo:
        ngo_id = draw(st.sampled_from(("ngo.poppy", "ngo.salvation_army")))
        if "support_provider" in record and draw(st.booleans()):
            record["support_provider"] = ngo_id
        elif isinstance(record.get("first_responder"), dict):
            record["first_responder"]["agency_id"] = ngo_id
    return record
