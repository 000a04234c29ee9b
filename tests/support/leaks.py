"""An adversarial corpus for rule 11 and its checker, owned by the tests.

:func:`plant` rewrites a record so that every string field holds a unique *marker* of its kind
(a name of two made-up parts, a phone, a postcode, a vehicle, an account, a reference...; dates
of birth become unique dates), then writes the markers again, in the other spellings a person
would use (case, separators, a postcode without its space, a phone with +44 or 0044, a date as
17/11/1999 or 17th November 1999, one part of a name), into every free-text field and into every
other string field.

:func:`findings` then reads what one partner received (every string of the record, its Kafka key
and headers) and reports each marker found, in any of its spellings, whose own field the partner
did not receive in clear. Its reading is deliberately simple and independent of
:mod:`policies.scrub`: a spelling counts as found where its letters and digits appear in a string
(any case, any separators), starting and ending on a word boundary, outside the placeholders.

Markers are made of letters outside ``q`` and ``z`` behind a ``zq`` prefix, and of digit runs no
other marker can contain, so one marker is never mistaken for another. Like the unique values a
reviewer plants, each carries a digit or is a name, so it is found even where other markers were
written into the same field.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from policies.scrub import PLACEHOLDERS
from schemas.entry import SchemaEntry

ALPHABET = "bcdfghjklmnprstvwxy"
_ATOMS = re.compile(r"[^\W\d_]+|\d+")
_DIGITS = re.compile(r"\d+")

AGENCY_FIELDS = ("agency_id", "support_provider", "recipients", "origin_agency")
"""Fields holding registry partner ids: they decide routing, so they keep their values."""
SHAPED = ("postcode", "sort_code")
"""Kinds whose values validation checks for shape (left alone where a corpus must validate)."""
IDENTIFYING = frozenset(
    {"name", "organisation", "phone", "address", "postcode", "vehicle", "account", "sort_code", "document"}
    | {"reference", "email", "date", "label"}
)
"""Kinds whose markers are written again elsewhere (every kind but free text and codes)."""


@dataclass
class Marker:
    """One planted value: where it was written, what it is, and every spelling of it that must not
    reach a partner that does not receive its field in clear."""

    path: str
    kind: str
    value: Any
    needles: tuple[str, ...] = ()
    """Spellings whose letters and digits must not appear (word boundaries)."""
    digits: str | None = None
    """For a phone: its national number, which must not appear among any string's digits."""
    variants: tuple[str, ...] = ()
    """The other spellings planted elsewhere in the record."""
    planted_in: list[str] = field(default_factory=list)


class Marking:
    """Makes the markers of one record (unique within it)."""

    def __init__(self, rng: random.Random, first: int = 0) -> None:
        self.rng = rng
        self.n = first

    def _next(self) -> int:
        self.n += 1
        return self.n

    def core(self) -> str:
        n, letters = self._next(), ""
        for _ in range(4):
            n, r = divmod(n, len(ALPHABET))
            letters += ALPHABET[r]
        return "zq" + letters

    def marker(self, path: str, kind: str) -> Marker:
        """A new marker of ``kind`` for the field at ``path``."""
        make = getattr(self, f"_{kind}", self._label)
        marker: Marker = make(path)
        return marker

    def _name(self, path: str) -> Marker:
        a, b = self.core(), self.core()
        value = f"{a.title()} {b.title()}"
        variants = (
            value.upper(),
            a,
            b.title(),
            f"{b.upper()}, {a.title()}",
            f"{a}_{b}",
            f"{a[:2].upper()}.{a[2:]}-{b}",
        )
        return Marker(path, "name", value, (a, b), None, variants)

    def _organisation(self, path: str) -> Marker:
        value = f"{self.core().title()} Trading Ltd"
        return Marker(path, "organisation", value, (value,), None, (value.upper(), value.replace(" ", "-")))

    def _phone(self, path: str) -> Marker:
        d = f"{100000 + self._next() * 7919 % 800000:06d}"
        value = f"+44 7700 {d}"
        variants = (
            f"07700 {d}",
            f"0044-7700-{d[:3]}-{d[3:]}",
            f"+44 (0) 7700 {d}",
            f"07700{d}",
            f"+447700{d}",
            f"(07700) {d[:3]} {d[3:]}",
        )
        return Marker(path, "phone", value, (), "7700" + d, variants)

    def _postcode(self, path: str) -> Marker:
        n = self._next()
        letters = [ALPHABET[(n // 19**i) % 19].upper() for i in range(3)]
        value = f"Z{letters[0]}{n % 10} {(n // 10) % 10}{letters[1]}{letters[2]}"
        variants = (value.replace(" ", ""), value.lower(), value.lower().replace(" ", ""), f" {value} ")
        return Marker(path, "postcode", value, (value,), None, variants)

    def _vehicle(self, path: str) -> Marker:
        n = self._next()
        value = f"ZQ{n % 100:02d} {self.core()[2:5].upper()}"
        return Marker(path, "vehicle", value, (value,), None, (value.replace(" ", ""), value.lower()))

    def _account(self, path: str) -> Marker:
        value = f"96{self._next():06d}"
        return Marker(
            path, "account", value, (value,), None, (f"{value[:4]} {value[4:]}", f"{value[:4]}-{value[4:]}")
        )

    def _sort_code(self, path: str) -> Marker:
        n = self._next()
        value = f"98-{(n // 100) % 100:02d}-{n % 100:02d}"
        return Marker(
            path, "sort_code", value, (value,), None, (value.replace("-", ""), value.replace("-", " "))
        )

    def _document(self, path: str) -> Marker:
        value = f"{self.core().upper()}{self._next():04d}"
        return Marker(path, "document", value, (value,), None, (value.lower(), f"{value[:6]}-{value[6:]}"))

    def _reference(self, path: str) -> Marker:
        value = f"REF/{self.core().upper()}/{self._next():04d}"
        return Marker(
            path,
            "reference",
            value,
            (value,),
            None,
            (value.lower().replace("/", "-"), value.replace("/", " ")),
        )

    def _address(self, path: str) -> Marker:
        core = self.core()
        value = f"{self._next()} {core.title()} Street" if path.endswith("lines") else core.title()
        return Marker(
            path, "address", value, (value,), None, (value.upper(), value.lower().replace(" ", "-"))
        )

    def _label(self, path: str) -> Marker:
        core = f"{self.core()}{self.n % 10}"
        return Marker(path, "label", core.title(), (core,), None, (core.upper(), f"{core[:-1]}-{core[-1]}"))

    def _text(self, path: str) -> Marker:
        value = f"Text {self.core()} as written"
        return Marker(path, "text", value, (value,), None, ())

    def date_marker(self, path: str, base: date) -> Marker:
        """A unique date for a date field (and its spellings)."""
        day = base + timedelta(days=53 * self._next())
        return Marker(path, "date", day, date_spellings(day), None, date_spellings(day))


def date_spellings(day: date) -> tuple[str, ...]:
    """The ways a person writes ``day``."""
    suffix = "th" if 11 <= day.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    return (
        day.isoformat(),
        f"{day.day}/{day.month}/{day.year}",
        f"{day:%d/%m/%y}",
        f"{day:%d.%m.%Y}",
        f"{day.day}-{day.month}-{day.year}",
        f"{day.day} {day:%b} {day.year}",
        f"{day.day}{suffix} {day:%B} {day.year}",
        f"{day:%B} {day.day}, {day.year}",
    )


# -- planting ---------------------------------------------------------------------------------------


@dataclass
class Planted:
    """The markers planted in a record, and the record as it was with each field holding only its
    own marker (before the others were written into it): routed, that copy tells which markers a
    partner receives in its own field in clear, since nothing a plan decides depends on strings."""

    markers: list[Marker]
    own_only: dict[str, Any]


def plant(
    record: dict[str, Any], entry: SchemaEntry, rng: random.Random, *, validated: bool = False
) -> Planted:
    """Rewrite ``record`` in place with markers (see the module doc). With ``validated``, values
    whose shape validation checks (postcodes, sort codes) keep theirs, and ages follow the new
    dates of birth."""
    marking = Marking(rng)
    kinds = {f.path: f.value_kind for f in entry.leaf_fields}
    datelike = {f.path for f in entry.leaf_fields if f.value_kind == "date"}
    markers: list[Marker] = []
    renamed: dict[str, str] = {}
    for path, holder, key in list(_string_slots(record, "")):
        kind = kinds.get(path)
        if kind in (None, "code") or path.rsplit(".", 1)[-1] in AGENCY_FIELDS or path.startswith("links[]"):
            continue
        if validated and kind in SHAPED:
            continue
        marker = marking.marker(path, kind)
        if path.endswith(".entity_id"):
            renamed[holder[key]] = marker.value
        holder[key] = marker.value
        markers.append(marker)
    for link in record.get("links") or ():
        for end in ("from_entity_id", "to_entity_id"):
            link[end] = renamed.get(link[end], link[end])
    for path, holder, key in list(_date_slots(record, "", datelike)):
        if not path.endswith("date_of_birth") and not (not validated and path == "envelope.occurred_at"):
            continue
        if path.endswith("date_of_birth"):
            marker = marking.date_marker(path, _birth_base(record, holder, validated))
            if validated:
                _follow_birth(record, holder, marker.value)
        else:
            when = holder[key]
            marker = marking.date_marker(path, date(1990, 1, 1))
            marker.value = datetime(
                marker.value.year, marker.value.month, marker.value.day, tzinfo=when.tzinfo
            )
        holder[key] = marker.value
        markers.append(marker)
    own_only = copy.deepcopy(record)
    again = [m for m in markers if m.kind in IDENTIFYING and m.variants]
    for path, holder, key in list(_string_slots(record, "")):
        kind = kinds.get(path)
        if kind == "text":
            everything = " ".join(v for m in again for v in m.variants)
            holder[key] = f"{holder[key]} {everything}"
            for m in again:
                m.planted_in.append(path)
        elif any(m.path == path for m in markers) and again and not (validated and kind in SHAPED):
            if path.endswith("entity_id"):
                continue  # links refer to it as it is
            chosen = rng.sample(again, min(2, len(again)))
            holder[key] = " ".join([holder[key], *(rng.choice(m.variants) for m in chosen)])
            for m in chosen:
                m.planted_in.append(path)
    for name in ("narrative", "notes", "health_needs", "account"):
        if name in record and record[name] is None and kinds.get(name) == "text":
            record[name] = "Text " + " ".join(v for m in again for v in m.variants)
    return Planted(markers, own_only)


def _birth_base(record: dict[str, Any], person: dict[str, Any], validated: bool) -> date:
    if not validated:
        return date(1950, 1, 1)
    occurred = record["envelope"]["occurred_at"].date()
    years = 15 if person.get("is_child") or record.get("is_child") else 30
    return occurred - timedelta(days=365 * years + 400)


def _follow_birth(record: dict[str, Any], person: dict[str, Any], born: date) -> None:
    occurred = record["envelope"]["occurred_at"].date()
    person["age"] = occurred.year - born.year - ((occurred.month, occurred.day) < (born.month, born.day))


def _string_slots(node: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(schema path, holder, key) of every string in a record (lists of strings item by item)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, str):
                yield here, node, key
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                for i in range(len(value)):
                    yield here, value, i
            elif isinstance(value, list):
                for item in value:
                    yield from _string_slots(item, here + "[]")
            elif isinstance(value, dict):
                yield from _string_slots(value, here)


def _date_slots(node: Any, path: str, wanted: set[str]) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, date) and here in wanted:
                yield here, node, key
            elif isinstance(value, list):
                for item in value:
                    yield from _date_slots(item, here + "[]", wanted)
            elif isinstance(value, dict):
                yield from _date_slots(value, here, wanted)


# -- reading back -----------------------------------------------------------------------------------


def strings_of(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string of a decoded partner record (bytes left out: sealed)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_of(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            yield from strings_of(item, path + "[]" if isinstance(item, dict) else path)


def values_at(node: Any, parts: list[str]) -> Iterator[Any]:
    """Every value at a field path (split at its dots) of a record."""
    if not parts:
        yield node
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    name = head[:-2] if head.endswith("[]") else head
    value = node.get(name)
    if value is None:
        return
    if head.endswith("[]"):
        for item in value:
            yield from values_at(item, rest)
    else:
        yield from values_at(value, rest)


def opened(record: Any, open_field: Callable[[str, bytes], str], path: str = "") -> Any:
    """A copy of a partner's record with every sealed (bytes) field opened by ``open_field(path,
    ciphertext)``, paths written with instance indexes (``phones[0].number``) as sealing names
    them."""
    if isinstance(record, bytes):
        return open_field(path, record)
    if isinstance(record, dict):
        return {k: opened(v, open_field, f"{path}.{k}" if path else k) for k, v in record.items()}
    if isinstance(record, list):
        return [opened(v, open_field, f"{path}[{i}]") for i, v in enumerate(record)]
    return record


def sealed_markers(record: dict[str, Any], markers: list[Marker]) -> list[Marker]:
    """The markers whose own field the partner receives sealed for it (encrypted)."""
    return [
        m
        for m in markers
        if any(
            isinstance(v, bytes) or (isinstance(v, list) and any(isinstance(i, bytes) for i in v))
            for v in values_at(record, m.path.split("."))
        )
    ]


def released_in_clear(record: dict[str, Any], marker: Marker) -> bool:
    """True if the partner's record holds the marker's value in its own field, as it is."""
    for found in values_at(record, marker.path.split(".")):
        items = found if isinstance(found, list) else [found]
        for item in items:
            if isinstance(marker.value, str) and isinstance(item, str) and marker.value in item:
                return True
            if not isinstance(marker.value, str) and item in (marker.value, marker.value.isoformat()):
                return True
    return False


def _pieces(text: str) -> list[tuple[str, frozenset[int]]]:
    """Each stretch of ``text`` between placeholders as joined letters and digits, with the
    offsets where words begin or end."""
    out = []
    for piece in PLACEHOLDERS.split(text):
        atoms = _ATOMS.findall(piece.casefold())
        bounds, at = {0}, 0
        for atom in atoms:
            at += len(atom)
            bounds.add(at)
        out.append(("".join(atoms), frozenset(bounds)))
    return out


def written(text: str, spelling: str) -> bool:
    """True if ``spelling`` is written in ``text`` outside the placeholders (any case, any
    separators, whole words)."""
    wanted = "".join(_ATOMS.findall(spelling.casefold()))
    if len(wanted) < 3:
        return False
    for joined, bounds in _pieces(text):
        at = joined.find(wanted)
        while at >= 0:
            if at in bounds and at + len(wanted) in bounds:
                return True
            at = joined.find(wanted, at + 1)
    return False


def findings(
    record: dict[str, Any],
    key: bytes | None,
    headers: list[tuple[str, bytes]] | None,
    markers: list[Marker],
    released: dict[str, Any] | None = None,
    sealed: list[Marker] = (),  # type: ignore[assignment]
) -> list[str]:
    """Each marker a partner's record (its strings, key and headers) still writes although the
    partner does not receive the marker's own field in clear (as seen in ``released``, the
    partner's record of :attr:`Planted.own_only`, else in ``record``): ``path: kind marker found
    in where``. A ``sealed`` marker (encrypted for the partner, which decrypted it) may be written
    in its own field, and only there."""
    clear = released if released is not None else record
    own_field_only = {id(m) for m in sealed}
    readable = list(strings_of(record))
    if key:
        readable.append(("<key>", key.decode("utf-8", "replace")))
    for name, value in headers or ():
        readable.append((f"<header {name}>", value.decode("utf-8", "replace")))
    found = []
    for marker in markers:
        if released_in_clear(clear, marker):
            continue
        for where, text in readable:
            if id(marker) in own_field_only and where == marker.path:
                continue
            digits = "".join(_DIGITS.findall(text)) if marker.digits else ""
            if (marker.digits and marker.digits in digits) or any(written(text, n) for n in marker.needles):
                found.append(f"{marker.path}: {marker.kind} marker found in {where}")
    return found
