"""Rule 11: a value withheld from a structured field must not survive in free text.

A victim's name dropped from ``victim.name`` must not reach the same partner inside ``notes``;
a source reference must not hide in the narrative. For each delivery the plan collects every
string value it withheld or transformed (length >= 3) and :func:`scrub` replaces each occurrence
in the released free-text fields with ``[REDACTED]``, case-insensitively.

Case-insensitive matching across all of Unicode is subtle (``"Straße".casefold()`` is
``"strasse"``; some characters change length when folded), so the result is verified with
``casefold`` after replacing: if any withheld value can still be found in what remains between
the markers, the whole text is replaced by the marker. A scrubbed narrative may be less useful;
it never leaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARKER = "[REDACTED]"
MIN_LENGTH = 3
"""Shorter values are not scrubbed: they would redact ordinary words and numbers."""


def candidates(values: Iterable[str]) -> list[str]:
    """Distinct values worth scrubbing, longest first (so a name goes before its parts)."""
    unique = {v for v in values if len(v) >= MIN_LENGTH and v.strip()}
    return sorted(unique, key=lambda v: (-len(v), v))


def leaks(text: str, folded_values: Iterable[str]) -> bool:
    """True if any (case-folded) value occurs in ``text`` outside the redaction markers."""
    pieces = [p.casefold() for p in text.split(MARKER)]
    return any(v in piece for v in folded_values for piece in pieces)


def scrub(text: str, values: list[str]) -> str:
    """``text`` with every value of ``values`` (see :func:`candidates`) redacted.

    Matching is done piece by piece between markers, so a later value can never match across a
    marker inserted for an earlier one; what is left between markers is always original text.
    """
    folded_text = text.casefold()
    hits = [v for v in values if v.casefold() in folded_text]
    if not hits:
        return text
    pieces = [text]
    for value in hits:
        pattern = re.compile(re.escape(value), re.IGNORECASE)
        pieces = [part for piece in pieces for part in pattern.split(piece)]
    result = MARKER.join(pieces)
    if leaks(result, [v.casefold() for v in values]):
        return MARKER
    return result
