"""Dead letters: input the router cannot accept, kept whole with the reason, never dropped.

A dead letter is the original Kafka record (key, value bytes and headers, untouched) with extra
headers saying why it was refused and where it came from, so an operator can read it, fix the
cause, and replay it. Reasons are a closed list so they can be counted and filtered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

H_REASON, H_DETAIL, H_SOURCE, H_AT = "dlq-reason", "dlq-detail", "dlq-source", "dlq-at"
H_REDUCED = "dlq-reduced"
"""On a dead letter too large to keep whole (:mod:`consumers.oversize`): why it was reduced."""
DEAD_LETTER_HEADERS = frozenset({H_REASON, H_DETAIL, H_SOURCE, H_AT, H_REDUCED})


class Reason(StrEnum):
    """Why an ingress record became a dead letter."""

    UNDECODABLE = "undecodable"  # not Avro single-object encoding, or a corrupt body
    UNKNOWN_FINGERPRINT = "unknown_fingerprint"  # a schema the catalogue does not hold
    SCHEMA_VIOLATION = "schema_violation"  # decodes, but breaks the schema's domain rules
    MISSING_SIGNATURE = "missing_signature"  # no (or incomplete) provenance headers
    BAD_SIGNATURE = "bad_signature"  # provenance does not verify: altered or forged
    UNKNOWN_AGENCY = "unknown_agency"  # topic or signer is not a registered agency
    AGENCY_MISMATCH = "agency_mismatch"  # an agency writing another agency's events
    POLICY_ERROR = "policy_error"  # the engine could not apply an agreement to this record
    DUPLICATE_EVENT = "duplicate_event"  # an event id this ingress partition already routed


@dataclass(frozen=True)
class Rejection:
    """The router's verdict on one record it cannot route."""

    reason: Reason
    detail: str


def dead_letter_headers(
    original: list[tuple[str, bytes]] | None,
    rejection: Rejection,
    source: str,
    at_ms: int,
) -> list[tuple[str, bytes]]:
    """The original headers followed by the dead-letter headers (reason, detail, source, time)."""
    return [
        *(original or []),
        (H_REASON, rejection.reason.value.encode()),
        (H_DETAIL, rejection.detail.encode()),
        (H_SOURCE, source.encode()),
        (H_AT, str(at_ms).encode()),
    ]


def read_rejection(headers: list[tuple[str, bytes]] | None) -> tuple[Rejection, str, int] | None:
    """Reason, source and time of a dead letter from its headers (None if not a dead letter)."""
    found = {k: v for k, v in headers or [] if k in (H_REASON, H_DETAIL, H_SOURCE, H_AT)}
    if H_REASON not in found:
        return None
    rejection = Rejection(Reason(found[H_REASON].decode()), found.get(H_DETAIL, b"").decode())
    return rejection, found.get(H_SOURCE, b"").decode(), int(found.get(H_AT, b"0"))


def original_headers(headers: list[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
    """The record's headers as the agency sent them, without the dead-letter additions."""
    return [(k, v) for k, v in headers or [] if k not in DEAD_LETTER_HEADERS]
