"""Rule 11, second half: remove every form of every withheld value from what a partner reads.

A plan collects, per delivery, each value it did not release in clear (dropped, masked,
generalised, pseudonymised, encrypted, or withheld by a guard rail, of every person in the
record), with its kind (:mod:`policies.forms`). :class:`ScrubIndex` holds their forms for that
delivery; :func:`scrub_text` then makes one pass over each string the partner receives in clear
and replaces each span that writes a withheld value, in any of its forms, by a fixed placeholder
that names the kind (``[address withheld]``), never a hint of the value.

One pass per text, not one expression per value: the text is cut into atoms once per record
(:class:`Atoms`, shared by every partner's plan through :class:`ScrubCache`), then

* at each atom boundary the next three characters of the joined atoms look up the skeletons that
  start with them (a dict), and a skeleton matches only if it also ends on an atom boundary
  (so ``Ann`` is found as a word, never inside ``Annabel``);
* dates are read where the atoms spell one (``17/11/1999``, ``17th November 1999``,
  ``Nov 17, 1999``, ``19991117``...) and compared with the withheld dates;
* runs of digit atoms are compared with the withheld phone numbers whatever their prefix.

Overlapping matches merge into one span. In a structured field (anything but free text) a plain
label or text value (never an identifying kind) is left alone where the field holds exactly it:
the agreement released that field in clear. Afterwards the result is searched again between the
placeholders; if anything is still found, the whole string becomes ``[text withheld]``. A
scrubbed text may be less useful; it never leaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from policies.forms import MIN_PHONE_DIGITS, Forms, forms_of, phone_core, split_atoms
from schemas.marks import ValueKind

PLACEHOLDER_LABEL = {
    ValueKind.NAME.value: "name",
    ValueKind.ORGANISATION.value: "organisation",
    ValueKind.PHONE.value: "phone",
    ValueKind.EMAIL.value: "email",
    ValueKind.ADDRESS.value: "address",
    ValueKind.POSTCODE.value: "address",
    ValueKind.VEHICLE.value: "vehicle",
    ValueKind.ACCOUNT.value: "account",
    ValueKind.SORT_CODE.value: "account",
    ValueKind.DOCUMENT.value: "identifier",
    ValueKind.REFERENCE.value: "reference",
    ValueKind.DATE.value: "date",
    ValueKind.TEXT.value: "text",
    ValueKind.LABEL.value: "value",
    ValueKind.CODE.value: "value",
}
"""Kind -> the word its placeholder uses."""


def placeholder(kind: str) -> str:
    """The fixed text a scrubbed span of ``kind`` becomes: ``[address withheld]``."""
    return f"[{PLACEHOLDER_LABEL.get(kind, 'value')} withheld]"


WHOLE_TEXT = placeholder(ValueKind.TEXT.value)
PLACEHOLDERS = re.compile("|".join(re.escape(placeholder(k)) for k in PLACEHOLDER_LABEL))
"""Any placeholder (to look at the text between them)."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ORDINALS = frozenset({"st", "nd", "rd", "th"})
_LONGEST_PHONE_RUN = 7
"""At most this many digit atoms make one phone number (``+44 (0) 77 00 90 01 23``)."""


class ScrubIndex:
    """The forms of every value withheld from one delivery, ready to search for."""

    __slots__ = ("dates", "phones", "skeletons")

    def __init__(self, forms: Iterable[Forms]) -> None:
        self.skeletons: dict[str, list[tuple[str, str, bool]]] = {}
        self.dates: dict[tuple[int, int, int], None] = {}
        self.phones: list[str] = []
        for f in forms:
            for s in f.skeletons:
                self.skeletons.setdefault(s[:3], []).append((s, f.kind, f.protected))
            for d in f.dates:
                self.dates[d] = None
            self.phones.extend(f.phones)
        for bucket in self.skeletons.values():
            bucket.sort(key=lambda item: (-len(item[0]), not item[2]))

    def __bool__(self) -> bool:
        return bool(self.skeletons or self.dates or self.phones)


@dataclass(slots=True)
class Atoms:
    """A text cut into folded atoms, with where each atom is in the text and in ``joined``."""

    text: str
    spans: list[tuple[int, int]]
    folded: list[str]
    joined: str
    starts: list[int]
    ends: dict[int, int]
    """Offset in ``joined`` just after an atom -> that atom's index."""

    @classmethod
    def of(cls, text: str) -> Atoms:
        spans, folded = split_atoms(text)
        starts: list[int] = []
        ends: dict[int, int] = {}
        at = 0
        for i, a in enumerate(folded):
            starts.append(at)
            at += len(a)
            ends[at] = i
        return cls(text, spans, folded, "".join(folded), starts, ends)


@dataclass(slots=True)
class ScrubCache:
    """What one record's deliveries share: each value's forms and each text's atoms, computed once
    per record however many partners receive it."""

    forms: dict[tuple[Any, str], Forms | None] = field(default_factory=dict)
    atoms: dict[str, Atoms] = field(default_factory=dict)

    def forms_of(self, value: Any, kind: str) -> Forms | None:
        key = (value, kind)
        try:
            return self.forms[key]
        except KeyError:
            found = self.forms[key] = forms_of(value, kind)
            return found
        except TypeError:  # an unhashable value (never from Avro) is derived each time
            return forms_of(value, kind)

    def atoms_of(self, text: str) -> Atoms:
        found = self.atoms.get(text)
        if found is None:
            found = self.atoms[text] = Atoms.of(text)
        return found


Match = tuple[int, int, str, bool]
"""First atom, last atom, kind, protected."""


def find(atoms: Atoms, index: ScrubIndex) -> list[Match]:
    """Every span of ``atoms`` that writes a value of ``index``."""
    found: list[Match] = []
    folded = atoms.folded
    if not folded:
        return found
    if index.skeletons:
        _find_skeletons(atoms, index, found)
    if index.dates:
        _find_dates(folded, index.dates, found)
    if index.phones:
        _find_phones(folded, index.phones, found)
    return found


def _find_skeletons(atoms: Atoms, index: ScrubIndex, found: list[Match]) -> None:
    joined, ends, buckets = atoms.joined, atoms.ends, index.skeletons
    for i, at in enumerate(atoms.starts):
        bucket = buckets.get(joined[at : at + 3])
        if bucket is None:
            continue
        for text, kind, protected in bucket:
            end = at + len(text)
            if end in ends and joined.startswith(text, at):
                found.append((i, ends[end], kind, protected))
                break


def _find_dates(folded: list[str], dates: dict[tuple[int, int, int], None], found: list[Match]) -> None:
    n = len(folded)
    for i, a in enumerate(folded):
        first = a[0]
        if first.isdigit():
            if len(a) in (6, 8):
                if _compact_date(a, dates):
                    found.append((i, i, ValueKind.DATE.value, True))
                continue
            span = _numeric_date(folded, i, n, dates) or _day_month_name(folded, i, n, dates)
        elif a in _MONTHS:
            span = _month_name_day(folded, i, n, dates)
        else:
            continue
        if span is not None:
            found.append((i, span, ValueKind.DATE.value, True))


def _years(y: str) -> tuple[int, ...]:
    value = int(y)
    return (value,) if len(y) == 4 else (1900 + value, 2000 + value) if len(y) == 2 else ()


def _any_date(dates: dict[tuple[int, int, int], None], years: tuple[int, ...], m: int, d: int) -> bool:
    return any((y, m, d) in dates for y in years)


def _numeric_date(folded: list[str], i: int, n: int, dates: dict[tuple[int, int, int], None]) -> int | None:
    """``17/11/1999``, ``11/17/99`` or ``1999-11-17``: three digit atoms."""
    if i + 2 >= n:
        return None
    a, b, c = folded[i], folded[i + 1], folded[i + 2]
    if not (b.isdigit() and c.isdigit()) or len(b) > 2:
        return None
    if len(a) == 4 and len(c) <= 2:
        return i + 2 if (int(a), int(b), int(c)) in dates else None
    if len(a) <= 2:
        years = _years(c)
        x, y = int(a), int(b)
        if _any_date(dates, years, y, x) or _any_date(dates, years, x, y):
            return i + 2
    return None


def _day_month_name(folded: list[str], i: int, n: int, dates: dict[tuple[int, int, int], None]) -> int | None:
    """``17 Nov 1999``, ``17th of November 1999``."""
    a = folded[i]
    if len(a) > 2:
        return None
    j = i + 1
    if j < n and folded[j] in _ORDINALS:
        j += 1
    if j < n and folded[j] == "of":
        j += 1
    if j + 1 >= n or folded[j] not in _MONTHS or not folded[j + 1].isdigit():
        return None
    return j + 1 if _any_date(dates, _years(folded[j + 1]), _MONTHS[folded[j]], int(a)) else None


def _month_name_day(folded: list[str], i: int, n: int, dates: dict[tuple[int, int, int], None]) -> int | None:
    """``November 17, 1999``, ``Nov 17th 1999``."""
    j = i + 1
    if j >= n or not folded[j].isdigit() or len(folded[j]) > 2:
        return None
    day = int(folded[j])
    j += 1
    if j < n and folded[j] in _ORDINALS:
        j += 1
    if j >= n or not folded[j].isdigit():
        return None
    return j if _any_date(dates, _years(folded[j]), _MONTHS[folded[i]], day) else None


def _compact_date(a: str, dates: dict[tuple[int, int, int], None]) -> bool:
    """``17111999``, ``19991117``, ``171199``, ``991117`` written as one run of digits."""
    options: list[tuple[tuple[int, ...], int, int]]
    if len(a) == 8:
        options = [
            ((int(a[4:]),), int(a[2:4]), int(a[:2])),
            ((int(a[:4]),), int(a[4:6]), int(a[6:])),
            ((int(a[4:]),), int(a[:2]), int(a[2:4])),
        ]
    else:
        options = [
            (_years(a[4:]), int(a[2:4]), int(a[:2])),
            (_years(a[:2]), int(a[2:4]), int(a[4:])),
            (_years(a[4:]), int(a[:2]), int(a[2:4])),
        ]
    return any(_any_date(dates, years, m, d) for years, m, d in options)


def _find_phones(folded: list[str], phones: list[str], found: list[Match]) -> None:
    n = len(folded)
    i = 0
    while i < n:
        if not folded[i].isdigit():
            i += 1
            continue
        end = i
        while end + 1 < n and folded[end + 1].isdigit():
            end += 1
        start = i
        while start <= end:
            digits = ""
            best = -1
            for j in range(start, min(end, start + _LONGEST_PHONE_RUN - 1) + 1):
                digits += folded[j]
                core = phone_core(digits)
                if len(core) >= MIN_PHONE_DIGITS and any(p.endswith(core) for p in phones):
                    best = j
            if best >= 0:
                found.append((start, best, ValueKind.PHONE.value, True))
                start = best + 1
            else:
                start += 1
        i = end + 1


def _merge(matches: list[Match]) -> list[tuple[int, int, str]]:
    """Overlapping matches as one span each, named by the kind of its longest match."""
    spans: list[list[Any]] = []  # first, last, kind, length of the longest match in the span
    for first, last, kind, _ in sorted(matches):
        length = last - first
        if spans and first <= spans[-1][1]:
            span = spans[-1]
            span[1] = max(span[1], last)
            if length > span[3]:
                span[2], span[3] = kind, length
        else:
            spans.append([first, last, kind, length])
    return [(first, last, kind) for first, last, kind, _ in spans]


def scrub_text(
    text: str, index: ScrubIndex, cache: ScrubCache, *, structured: bool = False
) -> tuple[str, list[str]]:
    """``text`` with every form of every value of ``index`` replaced by its placeholder, and the
    kinds of the spans replaced. In a ``structured`` field a plain label or text that is the
    whole value is left (see the module doc)."""
    atoms = cache.atoms_of(text)
    matches = find(atoms, index)
    if structured and matches:
        last = len(atoms.folded) - 1
        matches = [m for m in matches if m[3] or m[0] != 0 or m[1] != last]
    if not matches:
        return text, []
    spans = _merge(matches)
    out: list[str] = []
    at = 0
    source, positions = atoms.text, atoms.spans
    for first, last, kind in spans:
        start, end = positions[first][0], positions[last][1]
        if kind == ValueKind.PHONE and start > at and source[start - 1] == "+":
            start -= 1  # the international prefix goes with the number
        out.append(source[at:start])
        out.append(placeholder(kind))
        at = end
    out.append(source[at:])
    result = "".join(out)
    kinds = [kind for _, _, kind in spans]
    if _still_found(result, index):
        return WHOLE_TEXT, [ValueKind.TEXT.value]
    return result, kinds


def _still_found(text: str, index: ScrubIndex) -> bool:
    """Defence in depth: is any value still written between the placeholders?"""
    scratch = ScrubCache()
    return any(find(scratch.atoms_of(piece), index) for piece in PLACEHOLDERS.split(text) if piece)


Counts = dict[str, dict[str, int]]
"""Field path -> kind -> spans scrubbed there."""
Scrubber = Callable[[dict[str, Any], ScrubIndex, ScrubCache, Counts], None]


def scrubber(path: str, skip: Callable[[str], bool], *, structured: bool) -> Scrubber:
    """A function scrubbing, in place, the string (or strings) at ``path`` of an output record,
    counting what it replaced under ``path``; values for which ``skip`` is true (pseudonym
    tokens, masks) are left alone."""
    parts = path.split(".")
    last = len(parts) - 1

    def clean(value: str, index: ScrubIndex, cache: ScrubCache, counts: Counts) -> str:
        if skip(value):
            return value
        result, kinds = scrub_text(value, index, cache, structured=structured)
        if kinds:
            here = counts.setdefault(path, {})
            for kind in kinds:
                here[kind] = here.get(kind, 0) + 1
        return result

    def visit(node: Any, i: int, index: ScrubIndex, cache: ScrubCache, counts: Counts) -> None:
        part = parts[i]
        repeated = part.endswith(("[]", "{}"))
        key = part[:-2] if repeated else part
        value = node.get(key)
        if value is None:
            return
        if i == last:
            if isinstance(value, str):
                node[key] = clean(value, index, cache, counts)
            elif isinstance(value, list):
                node[key] = [clean(v, index, cache, counts) if isinstance(v, str) else v for v in value]
            return
        if repeated:
            for item in value.values() if isinstance(value, dict) else value:
                if item is not None:
                    visit(item, i + 1, index, cache, counts)
        elif isinstance(value, dict):
            visit(value, i + 1, index, cache, counts)

    return lambda out, index, cache, counts: visit(out, 0, index, cache, counts)
