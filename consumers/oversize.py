"""Records a batch cannot write whole: a dead letter reduced to what identifies the original, a
partner record denied on the ledger. One bad record must never stop routing for everyone.

An ingress record can be as large as the broker accepts; its dead letter is that record plus the
dead-letter headers, which may be more than the router's producer may send (``message.max.bytes``)
or than the dead-letter topic accepts. Before this module a record like that failed its whole
batch's transaction again on every try. Now each record a batch would write is measured first, and
a record the broker refused in an earlier try of the same batch (its delivery report said so) is
treated the same way on the redo:

- a dead letter that does not fit becomes a *reduced* dead letter: the same reason headers plus
  ``dlq-reduced``, and a small JSON value with the reason, the original size and SHA-256 digest of
  the value and its ingress topic/partition/offset. The original stays on the ingress topic for
  inspection (a reduced letter is not replayable: its value is the summary, not the event);
- a partner record that does not fit is not written: the partner is moved from ``delivered`` to
  ``denied`` in the event's audit entry with rule ``size-limit`` and the sizes, and every other
  partner still receives the event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from consumers.deadletter import H_AT, H_DETAIL, H_REASON, H_REDUCED, H_SOURCE
from consumers.decisions import Outcome, Source

SIZE_RULE = "size-limit"
RECORD_BYTES = 1_000_000
"""The router producer's ``message.max.bytes`` (librdkafka's default): no single record it sends may
be larger, key, value and headers together."""
HEADROOM = 2048
"""Bytes kept free for what is added after the measure: the router's provenance headers on a
partner record (key id, signature, a Merkle proof of up to ten hashes) and the record's framing."""

Refusals = Mapping[tuple[str, str], str]
"""(topic, ingress source) -> why the broker refused the record written for that source there."""


@dataclass(frozen=True)
class Limits:
    """The largest record the router writes, and the room kept for what it adds afterwards."""

    record_bytes: int = RECORD_BYTES
    headroom: int = HEADROOM

    @property
    def payload_bytes(self) -> int:
        """The most key, value and headers of one record may hold, as measured here."""
        return self.record_bytes - self.headroom


def wire_size(key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> int:
    """Key, value and header bytes of one record (what librdkafka counts against the limit)."""
    return len(key or b"") + len(value or b"") + sum(len(k) + len(v) for k, v in headers or [])


def fit(
    outcome: Outcome,
    source: Source,
    limits: Limits,
    dead_letter_topic: str,
    refused: Refusals,
) -> Outcome:
    """``outcome`` with every record too large (or refused before) reduced or denied."""
    outcome = _fit_dead_letter(outcome, source, limits, dead_letter_topic, refused)
    return _fit_partner_records(outcome, source, limits, refused)


def _fit_dead_letter(
    outcome: Outcome, source: Source, limits: Limits, topic: str, refused: Refusals
) -> Outcome:
    if outcome.dead_letter is None:
        return outcome
    key, value, headers = outcome.dead_letter
    size = wire_size(key, value, headers)
    why = refused.get((topic, str(source)))
    if why is None and size <= limits.payload_bytes:
        return outcome
    why = why or f"{size} bytes with its headers, over the {limits.payload_bytes}-byte limit"
    body = {**outcome.audit_body, "reduced": why, "size": len(value or b""), "sha256": _digest(value)}
    return replace(outcome, dead_letter=reduced_dead_letter(source, value, headers, why), audit_body=body)


def reduced_dead_letter(
    source: Source, value: bytes | None, headers: list[tuple[str, bytes]], why: str
) -> tuple[None, bytes, list[tuple[str, bytes]]]:
    """The dead letter of a record too large to keep whole: its reason headers (the agency's own
    headers dropped: they may be what made it large) and a summary that identifies the original."""
    kept = [(k, v[:1024]) for k, v in headers if k in (H_REASON, H_DETAIL, H_SOURCE, H_AT)]
    found = dict(kept)
    summary = {
        "reduced": why,
        "reason": found.get(H_REASON, b"").decode(errors="replace"),
        "size": len(value or b""),
        "sha256": _digest(value),
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "headers": len(headers) - len(kept),
    }
    text = json.dumps(summary, sort_keys=True, separators=(",", ":")).encode()
    return None, text, [*kept, (H_REDUCED, why.encode()[:1024])]


def _digest(value: bytes | None) -> str:
    return hashlib.sha256(value or b"").hexdigest()


def _fit_partner_records(outcome: Outcome, source: Source, limits: Limits, refused: Refusals) -> Outcome:
    kept: list[tuple[str, bytes, bytes]] = []
    too_large: dict[str, str] = {}
    for topic, key, value in outcome.partner_records:
        size = wire_size(key, value)
        why = refused.get((topic, str(source)))
        if why is None and size > limits.payload_bytes:
            why = f"partner record of {size} bytes, over the {limits.payload_bytes}-byte limit"
        if why is None:
            kept.append((topic, key, value))
        else:
            too_large[topic] = why
    if not too_large:
        return outcome
    body = dict(outcome.audit_body)
    delivered: list[Any] = list(body.get("delivered", ()))
    denied: list[Any] = list(body.get("denied", ()))
    body["delivered"] = [d for d in delivered if d.get("topic") not in too_large]
    body["denied"] = denied + [
        {
            "partner": d["partner"],
            "rule": SIZE_RULE,
            "reason": too_large[d["topic"]],
            "agreement": d.get("agreement"),
            "version": d.get("version"),
        }
        for d in delivered
        if d.get("topic") in too_large
    ]
    return replace(outcome, partner_records=kept, audit_body=body)
