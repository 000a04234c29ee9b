"""What the reviewer tools show, computed without any printing (so tests can check it).

* :func:`matrix_rows` - partner x event type x field: how each field reaches each partner;
* :func:`diff_engines` - what changes for each partner between two sets of agreements;
* :func:`explain_rows` - for one record and one partner, each field's fate and what decided it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies.compiler import FieldDecision, Plan
from policies.engine import PolicyEngine
from policies.results import Delivery, Denial

SHORT = {"keep": "K", "pseudonymise": "P", "generalise": "G", "mask": "M", "encrypt": "E"}
"""One-letter codes used in the matrix (``*`` is added when a condition or guard rail may
withhold the field for some records)."""


@dataclass(frozen=True)
class MatrixRow:
    """One (partner, event type, field) cell of the sharing matrix."""

    partner: str
    event_type: str
    field: str
    released: bool
    how: str
    conditional: bool
    rule_id: str | None
    agreement: str | None
    version: int | None

    @property
    def code(self) -> str:
        """Short cell text: ``K``, ``P*``, ``KP`` (keep, else pseudonymise), or ``.``."""
        if not self.released:
            return "."
        letters = "".join(SHORT.get(k, "?") for k in self.how.split("; "))
        return letters + ("*" if self.conditional else "")


def matrix_rows(
    engine: PolicyEngine, event_type: str | None = None, partner: str | None = None
) -> list[MatrixRow]:
    """Every cell of the matrix (optionally for one event type and/or partner), in catalogue
    field order and registry partner order. Pairs without an agreement give one row per field
    with ``released`` False and rule ``R1-default-deny``."""
    rows: list[MatrixRow] = []
    types = [event_type] if event_type else engine.catalogue.event_types()
    partners = [partner] if partner else list(engine.registry.partners)
    for name in types:
        entry = engine.catalogue.latest(name)
        for pid in partners:
            plan = engine.plan(name, pid)
            if plan is None:
                rows.extend(
                    MatrixRow(
                        pid,
                        name,
                        f.path,
                        False,
                        "no agreement names this event type",
                        False,
                        "R1-default-deny",
                        None,
                        None,
                    )
                    for f in entry.leaf_fields
                )
                continue
            for d in plan.decisions:
                rows.append(_row(pid, name, d, plan))
    return rows


def _row(partner: str, event_type: str, d: FieldDecision, plan: Plan) -> MatrixRow:
    how = "; ".join(d.transforms) if d.released else d.how
    return MatrixRow(
        partner,
        event_type,
        d.path,
        d.released,
        how,
        d.conditional,
        d.rule_id,
        plan.agreement.id,
        plan.agreement.version,
    )


@dataclass(frozen=True)
class Change:
    """One difference for one partner between two agreement sets."""

    partner: str
    event_type: str | None
    field: str | None
    kind: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        where = " ".join(p for p in (self.event_type, self.field) if p)
        if self.kind == "added":
            return f"+ {where}: {self.new}"
        if self.kind == "removed":
            return f"- {where}: {self.old}"
        return f"~ {where}: {self.old} -> {self.new}"


def _describe_plan(plan: Plan) -> dict[str, str]:
    fields = {d.path: d.how for d in plan.decisions if d.released}
    if plan.rule.when is not None:
        from policies.conditions import describe

        fields["(when)"] = describe(plan.rule.when)
    fields["(purposes)"] = ", ".join(sorted(plan.rule.purposes))
    return fields


def _agreement_summary(engine: PolicyEngine, partner: str) -> dict[str, str]:
    mine = [a for a in engine.agreements if a.partner == partner]
    out: dict[str, str] = {}
    for a in mine:
        out[f"{a.id} version"] = str(a.version)
        out[f"{a.id} valid"] = f"{a.valid_from}..{a.valid_to}"
        out[f"{a.id} purposes"] = ", ".join(sorted(a.purposes))
        out[f"{a.id} regime"] = a.regime.value
        out[f"{a.id} retention"] = f"{a.retention} (max_days {a.retention_max_days})"
        out[f"{a.id} onward_sharing"] = a.onward_sharing
        basis = a.lawful_basis
        for key in ("law_enforcement", "sensitive_processing", "article_6", "article_9", "article_10"):
            value = getattr(basis, key)
            if value:
                out[f"{a.id} lawful_basis.{key}"] = value
    return out


def _compare(
    partner: str, event_type: str | None, old: dict[str, str], new: dict[str, str]
) -> Iterator[Change]:
    for key in sorted(set(old) | set(new)):
        if key not in new:
            yield Change(partner, event_type, key, "removed", old[key], None)
        elif key not in old:
            yield Change(partner, event_type, key, "added", None, new[key])
        elif old[key] != new[key]:
            yield Change(partner, event_type, key, "changed", old[key], new[key])


def diff_engines(old: PolicyEngine, new: PolicyEngine) -> dict[str, list[Change]]:
    """Partner -> every change in what it receives (agreement terms, event types, fields and
    how they are released). Partners with no change are left out."""
    result: dict[str, list[Change]] = {}
    partners = list(dict.fromkeys([*old.registry.partners, *new.registry.partners]))
    types = list(dict.fromkeys([*old.catalogue.event_types(), *new.catalogue.event_types()]))
    for pid in partners:
        changes = list(_compare(pid, None, _agreement_summary(old, pid), _agreement_summary(new, pid)))
        for name in types:
            before = old.plan(name, pid) if name in old.catalogue else None
            after = new.plan(name, pid) if name in new.catalogue else None
            if before is None and after is None:
                continue
            if before is None and after is not None:
                changes.append(
                    Change(pid, name, None, "added", None, f"now shared under {after.agreement.label}")
                )
                changes.extend(
                    Change(pid, name, k, "added", None, v) for k, v in _describe_plan(after).items()
                )
            elif after is None and before is not None:
                changes.append(
                    Change(
                        pid, name, None, "removed", f"no longer shared (was {before.agreement.label})", None
                    )
                )
            elif before is not None and after is not None:
                changes.extend(_compare(pid, name, _describe_plan(before), _describe_plan(after)))
        if changes:
            result[pid] = changes
    return result


@dataclass(frozen=True)
class ExplainRow:
    """One field of one record for one partner: its fate, the value sent, and what decided it."""

    path: str
    outcome: str
    value: str
    decided_by: str


def _values_at(record: Any, path: str) -> list[Any]:
    parts = path.split(".")
    found: list[Any] = []

    def walk(node: Any, i: int) -> None:
        if node is None:
            return
        if i == len(parts):
            found.append(node)
            return
        part = parts[i]
        repeated = part.endswith(("[]", "{}"))
        value = node.get(part[:-2] if repeated else part) if isinstance(node, dict) else None
        if value is None:
            return
        if repeated:
            for item in value.values() if isinstance(value, dict) else value:
                walk(item, i + 1)
        else:
            walk(value, i + 1)

    walk(record, 0)
    return found


def _show(values: list[Any], width: int = 60) -> str:
    if not values:
        return ""
    text = " | ".join(v.hex()[:24] + "..." if isinstance(v, bytes) else str(v) for v in values)
    return text if len(text) <= width else text[: width - 3] + "..."


def explain_rows(
    engine: PolicyEngine, event_type: str, record: dict[str, Any], partner: str
) -> tuple[Delivery | Denial | None, list[ExplainRow]]:
    """Route ``record`` and explain, per field, what ``partner`` receives and why."""
    routing = engine.route(event_type, record)
    decision = routing.decision(partner)
    plan = engine.plan(event_type, partner)
    rows: list[ExplainRow] = []
    if plan is None or not isinstance(decision, Delivery):
        return decision, rows
    label = plan.agreement.label
    dynamic = {p: r for p, r in decision.withheld[len(plan.withheld) :]}
    for d in plan.decisions:
        where = f"{label} ({Path(plan.agreement.file).name}:{d.line})" if d.line else label
        if not d.released:
            decided = d.rule_id or ""
            decided += f" - {where}" if d.rule_id != "R1-default-deny" else f" - not named in {label}"
            rows.append(ExplainRow(d.path, "withheld", "", decided))
            continue
        values = _values_at(decision.record, d.path)
        rule = dynamic.get(d.path) or next(
            (r for p, r in dynamic.items() if d.path.startswith(p + ".")), None
        )
        if rule and not values:
            rows.append(
                ExplainRow(d.path, "withheld", "", f"{rule} (guard rail or condition) - {where}: {d.how}")
            )
        else:
            outcome = "released" if not rule else "released (some instances withheld)"
            how = f"{where}: {d.how}"
            spans = decision.scrubbed.get(d.path)
            if spans:
                how += "; rule 11 removed " + ", ".join(f"{n} {kind}" for kind, n in sorted(spans.items()))
            rows.append(ExplainRow(d.path, outcome, _show(values) or "(none)", how))
    return decision, rows


def scrub_note(plan: Plan) -> str:
    """What rule 11 does to what ``plan``'s partner receives, in one paragraph."""
    if not plan.scrubbed_paths:
        return "Rule 11: this partner receives no string in clear, so nothing is scrubbed."
    kinds = ", ".join(plan.scrub_kinds) or "none"
    return (
        f"Rule 11: every string released above ({len(plan.scrubbed_paths)} fields, free text or not) is "
        f"scrubbed of each value of this record the partner does not receive in clear, in any spelling "
        f"(case, separators, a postcode without its space, a phone with +44, dates as 17/11/1999 or "
        f"17th November 1999, each part of a name). Kinds this agreement may withhold: {kinds}. "
        f"A span found becomes a placeholder naming its kind, e.g. [address withheld]."
    )
