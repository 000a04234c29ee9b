"""What an agency's record must pass before it is sent: the schema, the domain rules, and origin.

:func:`schemas.validation.check` covers the schema and the domain rules; the one thing it cannot
know is who is publishing. The router rejects an event whose ``envelope.origin_agency`` is not the
agency that signed it, so the publisher refuses it up front, as one more issue on the field.
Ingest, the generator's bad-row check and the publisher all go through :func:`check_event`, so
they agree on what is rejected and on the field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.catalogue import Catalogue
from schemas.validation import Issue, check


def check_event(
    record: object,
    agency: str,
    *,
    identity: str | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """(Avro-ready record, []) when ``record`` may be published by ``agency``; else (None, issues)."""
    converted, issues = check(record, identity=identity, catalogue=catalogue)
    origin = _origin(converted if converted is not None else record)
    if origin != agency:
        where = issues[0].where if issues else _where(record, identity)
        reason = f"is {origin!r} but the record is published by {agency!r}"
        return None, [*issues, Issue(where, "envelope.origin_agency", reason)]
    return converted, issues


def _origin(record: object) -> object:
    envelope = record.get("envelope") if isinstance(record, Mapping) else None
    return envelope.get("origin_agency") if isinstance(envelope, Mapping) else None


def _where(record: object, identity: str | None) -> str:
    envelope = record.get("envelope") if isinstance(record, Mapping) else None
    event_id = envelope.get("event_id") if isinstance(envelope, Mapping) else None
    if identity and event_id:
        return f"{identity} (event {event_id})"
    return identity or (f"event {event_id}" if event_id else "record")
