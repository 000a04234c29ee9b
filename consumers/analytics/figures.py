"""The operation's figures, counted from the coordination cell's records (no I/O, no faust).

Each record gives a list of increments ``(key, amount)``; a key is ``metric|force|region|week``.
The faust worker adds the increments into a table; :func:`summarise` turns the table back into
national totals (shaped like the generator's ``ground_truth["counts"]``) and breakdowns by force,
region, region x force and week.

What the cell's agreement (``policies/agreements/ncc.yaml``) does not carry cannot be counted:

* Duty to Notify reports reach the cell with their date generalised to the month, so they are
  counted under the month (``M2007-10``) instead of an ISO week; they carry no event id.
* Intelligence reports graded ``G3X5X2`` with assessment ``E`` are withheld from the cell by its
  agreement, so the cell's count of intelligence reports is that of the reports it may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

SEPARATOR = "|"
MONTH_MARK = "M"
"""Week labels starting with this are months (records whose date the agreement generalised)."""

Record = Mapping[str, Any]


def period(occurred_at: object) -> str:
    """ISO week (``2007-W40``) of a timestamp; ``M2007-10`` when only the month is known."""
    if isinstance(occurred_at, str):
        if len(occurred_at) == 7:  # YYYY-MM: generalised to the month
            return MONTH_MARK + occurred_at
        occurred_at = datetime.fromisoformat(occurred_at)
    if isinstance(occurred_at, datetime | date):
        year, week, _ = occurred_at.isocalendar()
        return f"{year}-W{week:02d}"
    return "unknown"


def make_key(metric: str, force: str, region: str, week: str) -> str:
    return SEPARATOR.join((metric, force, region, week))


def split_key(key: str) -> tuple[str, str, str, str]:
    metric, force, region, week = key.split(SEPARATOR)
    return metric, force, region, week


def _metrics(record: Record) -> list[tuple[str, int]]:
    envelope = record.get("envelope") or {}
    kind = str(envelope.get("event_type") or record.get("event_type") or "unknown")
    metrics: list[tuple[str, int]] = [("events", 1), (f"events:{kind}", 1)]
    if kind == "IntelligenceReport":
        metrics.append(("intelligence_reports", 1))
    elif kind == "PremisesVisit":
        premises = record.get("premises") or {}
        victims_found = int(record.get("potential_victims_identified") or 0)
        metrics += [
            ("premises_visits", 1),
            (f"premises_visits:type:{premises.get('premises_type') or 'UNKNOWN'}", 1),
            ("premises_visits:potential_victims_identified", victims_found),
            ("premises_visits:arrests", int(record.get("arrests") or 0)),
        ]
    elif kind == "PotentialVictimEncounter":
        metrics += [("victims", 1), ("victims:children" if record.get("is_child") else "victims:adults", 1)]
    elif kind == "NRMReferral":
        child = record.get("is_child")
        metrics += [("nrm_referrals", 1), ("nrm_referrals:children" if child else "nrm_referrals:adults", 1)]
    elif kind == "NRMDecision":
        metrics.append((f"nrm_decisions:{record.get('stage')}:{record.get('outcome')}", 1))
    elif kind == "Arrest":
        metrics.append(("arrests", 1))
    elif kind == "AssetSeizure":
        amount = int(record.get("amount_pence") or 0)
        if record.get("kind") == "CASH_SEIZURE":
            metrics += [("cash_seizures", 1), ("cash_pence", amount)]
        elif record.get("kind") == "RESTRAINT_ORDER":
            metrics += [("restraint_orders", 1), ("restraint_pence", amount)]
    elif kind == "DutyToNotify":
        metrics.append(("duty_to_notify", 1))
    return metrics


def increments(record: Record) -> list[tuple[str, int]]:
    """The table increments one decoded record contributes (zero amounts left out)."""
    envelope = record.get("envelope") or {}
    force = str(envelope.get("force_area") or "UNKNOWN")
    region = str(envelope.get("region") or "UNKNOWN")
    week = period(envelope.get("occurred_at"))
    return [(make_key(m, force, region, week), n) for m, n in _metrics(record) if n]


def grouped(increments: Iterable[tuple[str, int]]) -> dict[str, dict[str, int]]:
    """Increments by ``force|region|week``: one update message per record instead of one per metric."""
    groups: dict[str, dict[str, int]] = {}
    for key, amount in increments:
        metric, where = key.split(SEPARATOR, 1)
        row = groups.setdefault(where, {})
        row[metric] = row.get(metric, 0) + amount
    return groups


def add(counts: dict[str, int], record: Record) -> None:
    """Add one record's increments into ``counts`` (what the faust agent does with its table)."""
    for key, amount in increments(record):
        counts[key] = counts.get(key, 0) + amount


def _sorted(values: Mapping[str, int]) -> dict[str, int]:
    return {k: values[k] for k in sorted(values)}


def _sub(metrics: Mapping[str, int], prefix: str) -> dict[str, int]:
    return _sorted({k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)})


def totals(metrics: Mapping[str, int]) -> dict[str, Any]:
    """National figures from metric totals, shaped like the generator's ground-truth counts."""
    m = metrics
    return {
        "events": m.get("events", 0),
        "by_event_type": _sub(m, "events:"),
        "intelligence_reports": m.get("intelligence_reports", 0),
        "premises_visits": {
            "total": m.get("premises_visits", 0),
            "potential_victims_identified": m.get("premises_visits:potential_victims_identified", 0),
            "arrests": m.get("premises_visits:arrests", 0),
            "by_type": _sub(m, "premises_visits:type:"),
        },
        "victims": {
            "total": m.get("victims", 0),
            "adults": m.get("victims:adults", 0),
            "children": m.get("victims:children", 0),
        },
        "arrests": m.get("arrests", 0),
        "cash_seizures": m.get("cash_seizures", 0),
        "cash_pence": m.get("cash_pence", 0),
        "restraint_orders": m.get("restraint_orders", 0),
        "restraint_pence": m.get("restraint_pence", 0),
        "nrm_referrals": {
            "total": m.get("nrm_referrals", 0),
            "adults": m.get("nrm_referrals:adults", 0),
            "children": m.get("nrm_referrals:children", 0),
        },
        "duty_to_notify": m.get("duty_to_notify", 0),
        "nrm_decisions": _sub(m, "nrm_decisions:"),
    }


HEADLINE = (
    "events",
    "intelligence_reports",
    "premises_visits",
    "victims",
    "victims:children",
    "nrm_referrals",
    "arrests",
    "cash_pence",
    "restraint_orders",
)
"""The metrics shown per force, region and week (the full set is in the national totals)."""


def summarise(counts: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """The dashboard's figures from the table's ``(key, count)`` pairs."""
    national: dict[str, int] = {}
    by_force: dict[str, dict[str, int]] = {}
    by_region: dict[str, dict[str, int]] = {}
    by_week: dict[str, dict[str, int]] = {}
    by_region_force: dict[str, dict[str, dict[str, int]]] = {}
    for key, amount in counts:
        if not amount:
            continue
        metric, force, region, week = split_key(key)
        national[metric] = national.get(metric, 0) + amount
        if metric not in HEADLINE:
            continue
        for table, name in ((by_force, force), (by_region, region), (by_week, week)):
            row = table.setdefault(name, {})
            row[metric] = row.get(metric, 0) + amount
        cell = by_region_force.setdefault(region, {}).setdefault(force, {})
        cell[metric] = cell.get(metric, 0) + amount
    result = totals(national)
    result["by_force"] = {k: _sorted(by_force[k]) for k in sorted(by_force)}
    result["by_region"] = {k: _sorted(by_region[k]) for k in sorted(by_region)}
    result["by_week"] = {k: _sorted(by_week[k]) for k in sorted(by_week)}
    result["by_region_force"] = {
        r: {f: _sorted(c) for f, c in sorted(forces.items())} for r, forces in sorted(by_region_force.items())
    }
    return result
