"""Ground truth: what a set of generated records contains, counted from the records themselves.

Counting the written records (rather than trusting the plan) means the truth cannot drift from
the files: whatever a test or a demo reads back from Kafka can be compared with these numbers.
Cross-force links are found the way an analyst would: a phone number, registration mark or
premises address mentioned in intelligence reports from two or more force areas.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

Record = Mapping[str, Any]


def iso_week(timestamp: str) -> str:
    """ISO week of a timestamp, as ``2007-W40``."""
    year, week, _ = datetime.fromisoformat(timestamp).isocalendar()
    return f"{year}-W{week:02d}"


def premises_value(place: Record) -> str:
    """A premises as one comparable string: its address lines, town and postcode."""
    address = place.get("address") or {}
    parts = [*address.get("lines", []), address.get("town") or "", address.get("postcode") or ""]
    return ", ".join(p for p in parts if p)


def _sorted(counter: Mapping[str, int]) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter)}


def cross_force_links(records: Iterable[Record]) -> list[dict[str, Any]]:
    """Values of phones, vehicles and premises mentioned in intelligence reports of at least two
    force areas, each with the forces, agencies and event ids that mention it."""
    seen: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        envelope = record["envelope"]
        if envelope["event_type"] != "IntelligenceReport":
            continue
        values = [("phone", p["number"]) for p in record.get("phones", [])]
        values += [("vehicle", v["vrm"]) for v in record.get("vehicles", [])]
        values += [("premises", premises_value(p)) for p in record.get("premises", []) if p.get("address")]
        for mention in values:
            entry = seen[mention]
            entry["forces"].add(envelope["force_area"])
            entry["agencies"].add(envelope["origin_agency"])
            entry["event_ids"].add(str(envelope["event_id"]))
    links = []
    for (kind, value), entry in sorted(seen.items()):
        if len(entry["forces"]) >= 2:
            links.append(
                {
                    "kind": kind,
                    "value": value,
                    "forces": sorted(entry["forces"]),
                    "agencies": sorted(entry["agencies"]),
                    "event_ids": sorted(entry["event_ids"]),
                }
            )
    return links


def tally(records: Iterable[Record]) -> dict[str, Any]:
    """Counts of good records by every dimension the ground truth reports."""
    by_type: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    by_force: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    by_week: Counter[str] = Counter()
    premises_by_type: Counter[str] = Counter()
    nationality: Counter[str] = Counter()
    consent: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    visits = {"total": 0, "potential_victims_identified": 0, "arrests": 0}
    victims = {"total": 0, "adults": 0, "children": 0, "forced_labour": 0, "forced_labour_children": 0}
    youngest: int | None = None
    referrals = {"total": 0, "adults": 0, "children": 0}
    assets = {"cash_seizures": 0, "cash_pence": 0, "restraint_orders": 0, "restraint_pence": 0}
    for record in records:
        envelope = record["envelope"]
        kind = envelope["event_type"]
        by_type[kind] += 1
        by_agency[envelope["origin_agency"]] += 1
        by_force[envelope["force_area"]] += 1
        by_region[envelope["region"]] += 1
        by_week[iso_week(envelope["occurred_at"])] += 1
        if kind == "PremisesVisit":
            visits["total"] += 1
            visits["potential_victims_identified"] += record["potential_victims_identified"]
            visits["arrests"] += record["arrests"]
            premises_by_type[record["premises"]["premises_type"]] += 1
        elif kind == "PotentialVictimEncounter":
            child = bool(record["is_child"])
            victims["total"] += 1
            victims["children" if child else "adults"] += 1
            age = record["victim"].get("age")
            if child and age is not None:
                youngest = age if youngest is None else min(youngest, age)
            if "LABOUR" in record["exploitation_types"]:
                victims["forced_labour"] += 1
                victims["forced_labour_children"] += int(child)
            nationality[record["victim"].get("nationality") or "UNKNOWN"] += 1
            consent[record["consent"]] += 1
        elif kind == "NRMReferral":
            referrals["total"] += 1
            referrals["children" if record["is_child"] else "adults"] += 1
        elif kind == "NRMDecision":
            decisions[f"{record['stage']}:{record['outcome']}"] += 1
        elif kind == "AssetSeizure":
            if record["kind"] == "CASH_SEIZURE":
                assets["cash_seizures"] += 1
                assets["cash_pence"] += record["amount_pence"]
            elif record["kind"] == "RESTRAINT_ORDER":
                assets["restraint_orders"] += 1
                assets["restraint_pence"] += record["amount_pence"]
    return {
        "events": sum(by_type.values()),
        "by_event_type": _sorted(by_type),
        "by_agency": _sorted(by_agency),
        "by_force": _sorted(by_force),
        "by_region": _sorted(by_region),
        "by_week": _sorted(by_week),
        "intelligence_reports": by_type["IntelligenceReport"],
        "premises_visits": {**visits, "by_type": _sorted(premises_by_type)},
        "victims": {
            "total": victims["total"],
            "adults": victims["adults"],
            "children": victims["children"],
            "youngest_child_age": youngest,
            "forced_labour": victims["forced_labour"],
            "forced_labour_children": victims["forced_labour_children"],
            "by_nationality": _sorted(nationality),
            "consent": _sorted(consent),
        },
        "arrests": by_type["Arrest"],
        **assets,
        "nrm_referrals": referrals,
        "duty_to_notify": by_type["DutyToNotify"],
        "nrm_decisions": _sorted(decisions),
    }
