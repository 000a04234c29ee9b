"""Validate records as agencies submit them: schema structure first, then the domain rules.

Entry points:

* :func:`validate` - one record (JSON-friendly or typed) -> the Avro-ready record, or raise
  :class:`~schemas.exceptions.RecordInvalid` listing every issue;
* :func:`check` - the same without raising: (record or None, issues);
* :func:`read_jsonl` - a JSON Lines file or stream -> Avro-ready records, or RecordInvalid with
  every issue of every line (each naming its line and event id).

An issue reads, for example::

    event 7f1c6a8e-... field grading.source_evaluation: 'X' is not a 3x5x2 source evaluation
    (expected 1, 2 or 3)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from schemas.catalogue import Catalogue, default_catalogue
from schemas.convert_compiled import to_avro
from schemas.entry import SchemaEntry
from schemas.exceptions import RecordInvalid, UnknownSchema
from schemas.rules import RuleContext, check_rules


@dataclass(frozen=True)
class Issue:
    """One problem with one record: who (event id or row), which field, and why."""

    where: str
    path: str
    reason: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.where} field {self.path}: {self.reason}"
        return f"{self.where}: {self.reason}"


def _where(record: object, identity: str | None) -> str:
    event_id = None
    if isinstance(record, Mapping) and isinstance(record.get("envelope"), Mapping):
        event_id = record["envelope"].get("event_id")
    if identity and event_id:
        return f"{identity} (event {event_id})"
    if identity:
        return identity
    return f"event {event_id}" if event_id else "record"


def _choose_entry(
    record: object, event_type: str | None, version: int | None, catalogue: Catalogue
) -> tuple[SchemaEntry | None, tuple[str, str] | None]:
    """Pick the schema: the explicit event type or envelope.event_type, and the explicit version
    or envelope.schema_version (the latest when neither exists)."""
    envelope = record.get("envelope") if isinstance(record, Mapping) else None
    envelope = envelope if isinstance(envelope, Mapping) else {}
    name = event_type or envelope.get("event_type")
    if not isinstance(name, str) or name not in catalogue:
        known = ", ".join(catalogue.event_types())
        return None, ("envelope.event_type", f"{name!r} is not a known event type ({known})")
    claimed = envelope.get("schema_version")
    if version is None and isinstance(claimed, int) and not isinstance(claimed, bool):
        version = claimed
    try:
        return catalogue.get(name, version), None
    except UnknownSchema as exc:
        return None, ("envelope.schema_version", str(exc))


def check(
    record: object,
    event_type: str | None = None,
    *,
    version: int | None = None,
    identity: str | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Validate without raising: (Avro-ready record, []) or (None, issues).

    ``identity`` names the record in issues (e.g. "line 12"); the event id is added when known.
    """
    cat = catalogue if catalogue is not None else default_catalogue()
    where = _where(record, identity)
    entry, problem = _choose_entry(record, event_type, version, cat)
    if entry is None:
        assert problem is not None
        return None, [Issue(where, *problem)]
    converted, problems = to_avro(entry.schema, entry.names, record)
    if converted is None:
        return None, [Issue(where, path, reason) for path, reason in problems]
    if entry.kind != "event":  # projections and other registered schemas: structure only
        return converted, []
    rule_problems = check_rules(converted, RuleContext(entry.name, entry.version))
    if rule_problems:
        return None, [Issue(where, path, reason) for path, reason in rule_problems]
    return converted, []


def validate(
    record: object,
    event_type: str | None = None,
    *,
    version: int | None = None,
    identity: str | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """Return the Avro-ready form of ``record`` or raise RecordInvalid with every issue.

    The event type comes from ``event_type`` or the record's envelope.event_type; the version
    from ``version``, the envelope's schema_version, or the latest. Any catalogue name works
    (e.g. a registered projection), but domain rules only run for event schemas.
    """
    converted, issues = check(record, event_type, version=version, identity=identity, catalogue=catalogue)
    if issues:
        raise RecordInvalid(issues)
    assert converted is not None
    return converted


def validate_many(
    records: Iterable[object],
    event_type: str | None = None,
    *,
    catalogue: Catalogue | None = None,
    label: str = "record",
) -> list[dict[str, Any]]:
    """Validate a batch; raise one RecordInvalid with the issues of every bad record.

    Records are numbered from 1 in issues (``record 3``, or with another ``label``).
    """
    good: list[dict[str, Any]] = []
    issues: list[Issue] = []
    for number, record in enumerate(records, start=1):
        converted, found = check(record, event_type, identity=f"{label} {number}", catalogue=catalogue)
        issues.extend(found)
        if converted is not None:
            good.append(converted)
    if issues:
        raise RecordInvalid(issues)
    return good


def _json_lines(source: Path | IO[str] | Iterable[str]) -> Iterator[tuple[int, object]]:
    lines = source.read_text(encoding="utf-8").splitlines() if isinstance(source, Path) else source
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, exc


def read_jsonl(
    source: Path | IO[str] | Iterable[str],
    event_type: str | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> list[dict[str, Any]]:
    """Read JSON Lines (one record per line; blank lines skipped) into Avro-ready records.

    Raises RecordInvalid listing the issues of every bad line, each as ``line N``.
    """
    good: list[dict[str, Any]] = []
    issues: list[Issue] = []
    for number, value in _json_lines(source):
        if isinstance(value, json.JSONDecodeError):
            issues.append(Issue(f"line {number}", "", f"not valid JSON: {value.msg}"))
            continue
        converted, found = check(value, event_type, identity=f"line {number}", catalogue=catalogue)
        issues.extend(found)
        if converted is not None:
            good.append(converted)
    if issues:
        raise RecordInvalid(issues)
    return good
