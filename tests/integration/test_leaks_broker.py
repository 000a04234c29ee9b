"""Rule 11 end to end on a real broker: 2,000 marked events of every type and every permutation
that decides sharing (adult, child, presumed child; consent given, refused, not sought; handling
P and C; legacy 5x5x5 handling 5; SIENA H0-H3; every TLP level; grade E; every person role; safe
houses; Duty to Notify) go through the agency SDK and the router; every partner topic is read back
as that partner, its fields decrypted, and each record's strings, key and headers are searched
for every marker in every spelling (tests/support/leaks.py), the raw bytes for the plaintext of
every sealed field. The table per partner and per rule is printed; any finding fails the test."""

from __future__ import annotations

import copy
import random
import uuid
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.cli import partner_reader
from consumers.partner import PartnerRecord
from consumers.topic_reader import read_topic
from policies.paths import is_under
from policies.results import Delivery
from producers.agencies import ingress_topic
from producers.publisher import AgencyPublisher
from schemas.validation import validate
from tests.integration.pipeline import isolated_runtime
from tests.support.leaks import Marker, Planted, findings, plant, released_in_clear, sealed_markers
from tests.unit.policies.strategies import routed_records, victim_records

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

EVENTS = 2000
VICTIM_TYPES = ("PotentialVictimEncounter", "NRMReferral", "NRMDecision")
OTHER_TYPES = ("IntelligenceReport", "DutyToNotify", "PremisesVisit", "Arrest", "AssetSeizure")
AGENCIES = (
    "police.gloucestershire",
    "police.metropolitan",
    "nca.ukhtc",
    "border.intel",
    "ngo.salvation_army",
)


TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED")


def _corpus(catalogue: Any, size: int) -> list[tuple[dict[str, Any], Planted]]:
    """``size`` valid marked events across every event type, the same every run."""
    per_type = size // (len(VICTIM_TYPES) + len(OTHER_TYPES)) + 1
    found = [pair for t in (*VICTIM_TYPES, *OTHER_TYPES) for pair in _draw(catalogue, t, per_type)]
    return found[:size]


def _draw(catalogue: Any, event_type: str, count: int) -> list[tuple[dict[str, Any], Planted]]:
    """``count`` valid marked events of one type, drawn by hypothesis (derandomized)."""
    entry = catalogue.latest(event_type)
    strategy: st.SearchStrategy[dict[str, Any]] = routed_records(event_type, entry)
    if event_type in VICTIM_TYPES:
        strategy = st.one_of(
            victim_records(event_type, entry, child=True),
            victim_records(event_type, entry, child=False),
            victim_records(event_type, entry, child=False, ngo=True),
            victim_records(event_type, entry, child=None, ngo=True),
        )
    kept: list[tuple[dict[str, Any], Planted]] = []

    @settings(
        max_examples=count * 3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(record=strategy, seed=st.integers(0, 2**32 - 1))
    def draw(record: dict[str, Any], seed: int) -> None:
        if len(kept) >= count:
            return
        record["envelope"]["origin_agency"] = random.Random(seed).choice(AGENCIES)
        record["envelope"]["event_id"] = uuid.UUID(
            int=random.Random(f"{event_type}{len(kept)}").getrandbits(128), version=4
        )
        if event_type == "DutyToNotify":
            _month_start(record)
        if "tlp" in record:  # every level, whatever hypothesis draws: rule R3 turns on it
            record["tlp"] = TLP_LEVELS[len(kept) % len(TLP_LEVELS)]
        planted = plant(record, entry, random.Random(seed), validated=True)
        try:
            valid = validate(copy.deepcopy(record), catalogue=catalogue)
            planted.own_only = validate(planted.own_only, catalogue=catalogue)
        except Exception:  # a draw the marking made invalid: drawn again, never published
            return
        kept.append((valid, planted))

    draw()
    return kept


def _month_start(record: dict[str, Any]) -> None:
    """A Duty to Notify carries only the month: its occurred_at is the month's first instant."""
    env = record["envelope"]
    occurred = env["occurred_at"]
    env["occurred_at"] = occurred.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    record["encounter_month"] = f"{occurred.year:04d}-{occurred.month:02d}"
    if env["recorded_at"] < env["occurred_at"]:
        env["recorded_at"] = env["occurred_at"]


def _coverage(events: list[dict[str, Any]]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for e in events:
        t = e["envelope"]["event_type"]
        seen[t] += 1
        if "is_child" in e and t in VICTIM_TYPES:
            seen["child" if e["is_child"] else "adult"] += 1
            seen["presumed child"] += bool(e.get("presumed_child"))
            seen[f"consent {e.get('consent')}"] += "consent" in e
        grading = e.get("grading")
        if grading:
            seen[f"handling {grading['scheme']} {grading['handling_code']}"] += 1
            seen["grade E"] += "E" in (grading["intelligence_assessment"], grading["source_evaluation"])
            seen[f"SIENA {e.get('siena_code')}"] += 1
            seen[f"TLP {e.get('tlp')}"] += 1
        for person in e.get("people") or []:
            seen[f"role {person['role']}"] += 1
        for premises in [*(e.get("premises") or []), e.get("premises"), e.get("encounter_premises")]:
            if isinstance(premises, dict) and premises.get("is_safe_house"):
                seen["safe house"] += 1
    return seen


REQUIRED = (
    "child", "adult", "presumed child", "consent GIVEN", "consent REFUSED", "consent NOT_YET_SOUGHT",
    "handling G3X5X2 P", "handling G3X5X2 C", "handling G5X5X5 5", "grade E", "SIENA H0", "SIENA H1",
    "SIENA H2", "SIENA H3", "TLP CLEAR", "TLP GREEN", "TLP AMBER", "TLP AMBER_STRICT", "TLP RED",
    "role SUSPECT", "role ASSOCIATE", "role POTENTIAL_VICTIM", "role WITNESS", "role REPORTER",
    "safe house", "DutyToNotify",
)  # fmt: skip


def _rule_of(delivery: Delivery, marker: Marker) -> str:
    """The rule that kept a marker's field from the partner in clear."""
    for path, rule in reversed(delivery.withheld):
        if is_under(marker.path, path):
            return rule
    return "transformed"


def test_no_marker_reaches_any_partner_through_the_real_router(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    corpus = _corpus(runtime.catalogue, EVENTS)
    events = [event for event, _ in corpus]
    coverage = _coverage(events)
    missing = [name for name in REQUIRED if not coverage[name]]
    assert not missing, f"the corpus lacks {missing}"
    assert len(events) >= EVENTS
    by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_agency[event["envelope"]["origin_agency"]].append(event)
    bootstrap = str(runtime.client["bootstrap.servers"])
    for agency, published in by_agency.items():
        topic = runtime.topic(ingress_topic(agency))
        with AgencyPublisher(
            agency, topic=topic, bootstrap_servers=bootstrap, catalogue=runtime.catalogue
        ) as pub:
            for event in published:
                pub.publish(copy.deepcopy(event))
    runtime.router(runtime.router_settings(group_id="router-leaks", batch_max_events=200)).run(
        idle_timeout=6.0
    )

    planted = {str(event["envelope"]["event_id"]): p for event, p in corpus}
    own_only = {
        event_id: {
            d.partner: d
            for d in runtime.engine.route(p.own_only["envelope"]["event_type"], p.own_only).deliveries
        }
        for event_id, p in planted.items()
    }
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    rules: dict[str, Counter[str]] = defaultdict(Counter)
    problems: list[str] = []
    for partner, topic in runtime.partner_topics.items():
        reader = partner_reader(runtime, partner)
        for raw in read_topic(runtime.client, topic):
            read = reader.read(raw.topic, raw.partition, raw.offset, raw.key, raw.value, raw.headers)
            assert isinstance(read, PartnerRecord), f"{partner} could not read its own record: {read}"
            event_id = read.event_id
            clear = own_only[event_id][partner]
            markers = planted[event_id].markers
            sealed = sealed_markers(clear.record, markers)
            found = findings(read.record, raw.key, raw.headers, markers, clear.record, sealed)
            raw_value = (raw.value or b"").lower()
            found += [
                f"{m.path}: the plaintext of a sealed {m.kind} is in the raw bytes"
                for m in sealed
                if str(m.value).lower().encode() in raw_value
            ]
            problems += [f"{partner} {event_id}: {f}" for f in found]
            row = rows[partner]
            row["records"] += 1
            row["decrypted fields"] += len(read.opened)
            for m in markers:
                if not released_in_clear(clear.record, m):
                    row["markers withheld"] += 1
                    rules[_rule_of(clear, m)]["markers"] += 1
            row["findings"] += len(found)
    with capsys.disabled():
        _print_table(rows, rules)
    assert sum(r["records"] for r in rows.values()) > len(events), "the corpus reached the partners"
    assert not problems, "\n".join(problems[:30])


def _print_table(rows: dict[str, Counter[str]], rules: dict[str, Counter[str]]) -> None:
    print("\nrule 11 on the real router: markers each partner must not see, and where they were found")
    print(f"{'partner':30} {'records':>8} {'decrypted':>10} {'withheld':>9} {'findings':>9}")
    for partner in sorted(rows):
        r = rows[partner]
        counts = (r["records"], r["decrypted fields"], r["markers withheld"], r["findings"])
        print(f"{partner:30} {counts[0]:8} {counts[1]:10} {counts[2]:9} {counts[3]:9}")
    print(f"{'rule keeping the marker out':30} {'markers':>8}")
    for rule in sorted(rules):
        print(f"{rule:30} {rules[rule]['markers']:8}")
