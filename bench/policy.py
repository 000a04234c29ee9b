"""`pentameter bench policy`: how fast the baseline agreements project records, per core.

The workload is the schema package's example records varied the way real traffic varies:
adults with and without consent and children, handling codes P and C and legacy 5x5x5, safe
houses, child suspects, originators and first responders drawn from the registry, so every
plan's fast and slow paths are exercised. One thread routes the workload in a loop; a *decision*
is one (record, partner) pair (a delivery or a denial, since routing decides every partner), a
*projection* one delivery.
"""

from __future__ import annotations

import copy
import json
import random
import time
import uuid
from datetime import date
from typing import Annotated, Any

import typer

from policies.crypto import InMemoryKeyRing
from policies.engine import PolicyEngine
from policies.pseudonyms import PseudonymSecrets
from policies.registry import Registry
from schemas import native
from schemas.catalogue import Catalogue, load_catalogue
from schemas.codes import FORCE_REGION
from schemas.samples import sample

Record = dict[str, Any]

AREAS = (
    "GLOUCESTERSHIRE",
    "METROPOLITAN",
    "WEST_MIDLANDS",
    "GREATER_MANCHESTER",
    "AVON_AND_SOMERSET",
    "KENT",
)


def _envelope(record: Record, rng: random.Random, registry: Registry) -> None:
    env = record["envelope"]
    env["event_id"] = uuid.UUID(int=rng.getrandbits(128), version=4)
    area = rng.choice(AREAS)
    env["force_area"] = area
    env["region"] = FORCE_REGION[area]
    env["origin_agency"] = rng.choice(list(registry.agencies))


def _vary(event_type: str, rng: random.Random, registry: Registry) -> Record:
    record = sample(event_type)
    _envelope(record, rng, registry)
    partners = list(registry.partners)
    if "first_responder" in record:
        record["first_responder"]["agency_id"] = rng.choice(partners)
    if "support_provider" in record:
        record["support_provider"] = rng.choice(
            ("ngo.poppy", "ngo.salvation_army", "la.gloucestershire_childrens", None)
        )
    if event_type in ("PotentialVictimEncounter", "NRMReferral"):
        child = rng.random() < 0.3
        record["is_child"] = child
        record["presumed_child"] = child and rng.random() < 0.5
        if child:
            record["consent"] = "NOT_REQUIRED_CHILD"
            record["victim"]["age"] = 16
            if "consent_recorded_at" in record:
                record["consent_recorded_at"] = None
        else:
            record["victim"]["age"] = 24
            record["presumed_child"] = False
            consent = (
                "GIVEN" if event_type == "NRMReferral" else rng.choice(("GIVEN", "REFUSED", "NOT_YET_SOUGHT"))
            )
            record["consent"] = consent
            if "consent_recorded_at" in record:
                record["consent_recorded_at"] = record["envelope"]["occurred_at"]
        record["victim"]["date_of_birth"] = None
        record["victim"]["phone"] = rng.choice((None, "+447700900456"))
    if event_type == "NRMDecision":
        record["is_child"] = rng.random() < 0.3
    if event_type == "IntelligenceReport":
        scheme = rng.choice(("G3X5X2", "G3X5X2", "G3X5X2", "G5X5X5"))
        grading = record["grading"]
        if scheme == "G3X5X2":
            grading.update(
                scheme=scheme,
                source_evaluation=rng.choice("123"),
                intelligence_assessment=rng.choice("ABCDE"),
                handling_code=rng.choice("PPPC"),
            )
        else:
            grading.update(
                scheme=scheme,
                source_evaluation=rng.choice("ABCDE"),
                intelligence_assessment=rng.choice("12345"),
                handling_code=rng.choice("11235"),
            )
        restricted = grading["handling_code"] in ("C", "4", "5")
        record["handling_conditions"] = (
            {
                "recipients": rng.sample(partners, 3),
                "purposes": ["PREVENTION_AND_DETECTION_OF_CRIME", "INTELLIGENCE_DEVELOPMENT"],
                "conditions": ["Refer to the originator before any executive action."],
            }
            if restricted
            else None
        )
        record["people"][1]["is_child"] = rng.random() < 0.3
        record["premises"][0]["is_safe_house"] = rng.random() < 0.2
        record["narrative"] += " Ana was seen at Unit 4 with Viktor Hale; CHIS-GL-0193 reported it."
    if event_type == "PremisesVisit":
        record["premises"]["is_safe_house"] = rng.random() < 0.2
    if event_type == "Arrest":
        record["person"]["is_child"] = rng.random() < 0.2
    return record


def workload(
    registry: Registry, size: int = 400, seed: int = 7, catalogue: Catalogue | None = None
) -> list[tuple[str, Record]]:
    """``size`` varied, valid example records across every event type (deterministic for a seed)."""
    rng = random.Random(seed)
    types = (catalogue or load_catalogue()).event_types()
    return [(t, _vary(t, rng, registry)) for t in (types[i % len(types)] for i in range(size))]


def bench_engine(catalogue: Catalogue) -> PolicyEngine:
    """The baseline agreements with a fresh pseudonym secret and in-memory partner keys."""
    return PolicyEngine.load(
        catalogue,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=date.today(),
    )


def bench_policy(seconds: float = 3.0) -> dict[str, Any]:
    """Route the workload with the baseline agreements on one core for ``seconds`` and report:
    events/s, decisions/s (record x partner pairs, each a delivery or a denial), projections/s
    (deliveries), and the mean deliveries per event. Rates are per CPU second of the routing
    thread, so a busy machine does not understate them."""
    catalogue = load_catalogue()
    engine = bench_engine(catalogue)
    records = workload(engine.registry, catalogue=catalogue)
    route = engine.route
    for event_type, record in records[:50]:  # warm caches
        route(event_type, copy.copy(record))
    events = decisions = deliveries = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for event_type, record in records:
            routing = route(event_type, record)
            events += 1
            deliveries += len(routing.deliveries)
            decisions += len(routing.deliveries) + len(routing.denials)
    wall = time.perf_counter() - started
    elapsed = max(time.process_time() - cpu_started, 1e-9)  # CPU time of this one thread: "per core"
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(elapsed, 3),
        "partners": len(engine.registry.partners),
        "plans": sum(1 for _ in engine.plans()),
        "events": events,
        "events_per_second": round(events / elapsed),
        "decisions_per_second": round(decisions / elapsed),
        "projections_per_second": round(deliveries / elapsed),
        "deliveries_per_event": round(deliveries / max(events, 1), 2),
        "cpu_us_per_event": round(elapsed / max(events, 1) * 1e6, 1),
        "native_core": native.AVAILABLE,
    }


def policy_command(
    seconds: Annotated[float, typer.Option("--seconds", "-s", help="How long to run.")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure policy projection speed on one core with the baseline agreements: events per second,
    record x partner decisions per second, and projections (deliveries) per second over a varied
    workload of valid example records (target: 100,000 decisions per second per core)."""
    figures = bench_policy(seconds)
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(
        f"{figures['events_per_second']:,} events/s; {figures['decisions_per_second']:,} decisions/s "
        f"(record x partner, {figures['partners']} partners); {figures['projections_per_second']:,} "
        f"projections/s ({figures['deliveries_per_event']} deliveries per event); "
        f"{figures['cpu_seconds']} CPU s in {figures['seconds']} s; "
        f"{figures['cpu_us_per_event']:,} CPU us per event; "
        f"native core {'on' if figures['native_core'] else 'off'}"
    )
