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
from collections.abc import Callable, Iterable
from typing import Any

MARKER = "[REDACTED]"
MIN_LENGTH = 3
"""Shorter values are not scrubbed: they would redact ordinary words and numbers."""


Candidate = tuple[str, str]
"""A value to scrub and its case-folded form."""


def candidates(values: Iterable[str]) -> list[Candidate]:
    """Distinct values worth scrubbing (at least MIN_LENGTH characters, not blank), each with its
    case-folded form, computed once per delivery."""
    return [(v, v.casefold()) for v in {v for v in values if len(v) >= MIN_LENGTH and not v.isspace()}]


def leaks(text: str, folded_values: Iterable[str]) -> bool:
    """True if any (case-folded) value occurs in ``text`` outside the redaction markers."""
    pieces = [p.casefold() for p in text.split(MARKER)]
    return any(v in piece for v in folded_values for piece in pieces)


def scrub(text: str, values: list[Candidate]) -> str:
    """``text`` with every value of ``values`` (see :func:`candidates`) redacted, longest first
    (so a full name goes before its parts).

    Matching is done piece by piece between markers, so a later value can never match across a
    marker inserted for an earlier one; what is left between markers is always original text.
    """
    folded_text = text.casefold()
    hits = [v for v, folded in values if folded in folded_text]
    if not hits:
        return text
    hits.sort(key=lambda v: (-len(v), v))
    if text.isascii() and all(v.isascii() for v in hits):
        return _scrub_ascii(text, hits)
    pieces = [text]
    for value in hits:
        pattern = re.compile(re.escape(value), re.IGNORECASE)
        pieces = [part for piece in pieces for part in pattern.split(piece)]
    result = MARKER.join(pieces)
    if leaks(result, [folded for _, folded in values]):
        return MARKER
    return result


def _scrub_ascii(text: str, hits: list[str]) -> str:
    """The same redaction for ASCII text and values, where lower-casing is exact and keeps every
    position: mark each occurrence (longest values first, never across an earlier mark), then
    replace each marked run by one marker."""
    low = text.lower()
    mask = bytearray(len(text))
    for value in hits:
        needle = value.lower()
        width = len(needle)
        at = low.find(needle)
        while at >= 0:
            if mask.find(1, at, at + width) < 0:
                mask[at : at + width] = b"\x01" * width
            at = low.find(needle, at + 1)
    out: list[str] = []
    start = 0
    while True:
        begin = mask.find(1, start)
        if begin < 0:
            out.append(text[start:])
            return "".join(out)
        out.append(text[start:begin])
        out.append(MARKER)
        end = mask.find(0, begin)
        if end < 0:
            return "".join(out)
        start = end


def scrubber(path: str) -> Callable[[dict[str, Any], list[Candidate]], None]:
    """A function scrubbing the free-text leaf at ``path`` of an output record in place."""
    parts = path.split(".")

    def visit(node: Any, i: int, values: list[Candidate]) -> None:
        if node is None:
            return
        part = parts[i]
        repeated = part.endswith(("[]", "{}"))
        key = part[:-2] if repeated else part
        value = node.get(key)
        if value is None:
            return
        if i == len(parts) - 1:
            if isinstance(value, str):
                node[key] = scrub(value, values)
            elif isinstance(value, list):
                node[key] = [scrub(v, values) if isinstance(v, str) else v for v in value]
            return
        if repeated:
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                visit(item, i + 1, values)
        else:
            visit(value, i + 1, values)

    return lambda out, values: visit(out, 0, values)
