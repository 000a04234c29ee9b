"""Shared by the operation-picture tests: a generated operation routed to the coordination cell,
and what the cell must then see, computed offline from the generator's ground truth."""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from consumers.analytics import links
from consumers.analytics.live import CellView
from consumers.router import RouterStats
from consumers.runtime import Runtime
from producers.generator import Generated, generate
from producers.truth import tally
from schemas.validation import validate
from tests.integration.pipeline import publish

PARTNER = "ncc"

CELL_METRICS = ("events", "intelligence_reports", "premises_visits", "victims", "victims:children",
                "nrm_referrals", "arrests", "cash_pence", "restraint_orders")  # fmt: skip
"""The region x force table's columns (``data-metric`` of its cells)."""


@dataclass
class Wave:
    """A generated operation (or a part of one), with what the cell's agreement releases of it."""

    generated: Generated
    by_agency: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    seen: list[dict[str, Any]] = field(default_factory=list)
    """Raw generated records the cell receives."""
    projected: list[dict[str, Any]] = field(default_factory=list)
    """The same records as the cell receives them (tokens, generalised dates)."""

    @property
    def total(self) -> int:
        return sum(len(events) for events in self.by_agency.values())

    def view(self) -> CellView:
        return CellView.of(self.seen, tally)


def prepare(runtime: Runtime, seed: int, scale: float) -> Wave:
    """Generate an operation and route it offline through the same engine the router uses."""
    wave = Wave(generate("pentameter2", seed=seed, scale=scale))
    for file in wave.generated.lines:
        if file.endswith(".json"):
            continue
        for raw in wave.generated.good_records(file):
            record = validate(raw)
            wave.by_agency[wave.generated.agency_of(file)].append(record)
            routing = runtime.engine.route(record["envelope"]["event_type"], copy.deepcopy(record))
            for delivery in routing.deliveries:
                if delivery.partner == PARTNER:
                    wave.seen.append(raw)
                    wave.projected.append(delivery.record)
    return wave


def route(runtime: Runtime, wave: Wave, timeout: float = 300) -> RouterStats:
    """Publish the wave as its agencies and route it (the router group resumes where it stopped)."""
    stop = threading.Event()
    router = runtime.router(runtime.router_settings(group_id=runtime.topic("router")))
    thread = threading.Thread(target=router.run, args=(stop,), daemon=True)
    thread.start()
    for agency, events in wave.by_agency.items():
        publish(runtime, events, agency)
    deadline = time.monotonic() + timeout
    while router.stats.consumed < wave.total and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.2)
    stop.set()
    thread.join(60)
    assert router.stats.consumed == wave.total
    return router.stats


def headline(counts: dict[str, Any]) -> dict[str, int]:
    """The dashboard's headline figures (``data-metric`` -> value) from the generator's counts."""
    return {
        "events": counts["events"],
        "intelligence_reports": counts["intelligence_reports"],
        "premises_visits": counts["premises_visits"]["total"],
        "victims": counts["victims"]["total"],
        "victims:children": counts["victims"]["children"],
        "nrm_referrals": counts["nrm_referrals"]["total"],
        "nrm_referrals:children": counts["nrm_referrals"]["children"],
        "nrm_decisions": sum(counts["nrm_decisions"].values()),
        "duty_to_notify": counts["duty_to_notify"],
        "arrests": counts["arrests"],
        "cash_seizures": counts["cash_seizures"],
        "cash_pence": counts["cash_pence"],
        "restraint_orders": counts["restraint_orders"],
        "restraint_pence": counts["restraint_pence"],
    }


def region_force(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """``REGION|FORCE`` -> the table's metrics, from the generator's counts of each cell's records."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        envelope = record["envelope"]
        groups[f"{envelope['region']}|{envelope['force_area']}"].append(record)
    table = {}
    for key, group in groups.items():
        values = headline(tally(group))
        table[key] = {m: values[m] for m in CELL_METRICS}
    return table


def planted_tokens(wave_links: list[dict[str, Any]], projected: list[dict[str, Any]]) -> dict[str, str]:
    """Token -> kind of each planted link the cell can see, found offline on the cell's projection."""
    forces = {str(r["envelope"]["event_id"]): r["envelope"]["force_area"] for r in projected}
    by_reports: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for state in links.detect(projected).values():
        reports = {s["event_id"] for s in state["sightings"] if s["event_type"] == "IntelligenceReport"}
        by_reports[(state["kind"], tuple(sorted(reports)))].append(state["token"])
    tokens = {}
    for link in wave_links:
        ids = tuple(e for e in link["event_ids"] if e in forces)
        if len({forces[e] for e in ids}) >= 2:  # two phones may share their reports: one token each
            tokens[by_reports[(link["kind"], ids)].pop()] = link["kind"]
    return tokens
