"""Rule 11, first half: every form a person could write a withheld value in.

A value withheld from a partner must not reach it inside free text written another way: a
postcode without its space, a date as ``17/11/1999`` instead of ``1999-11-17``, a phone with
``+44``, a name in capitals or split by punctuation, one part of a name. Matching is by meaning,
not by bytes, and works on *atoms*: the runs of letters and the runs of digits of a text, each
folded (accents stripped, common look-alike letters mapped, case-folded). Separators between
atoms are ignored, so ``SW1A 1AA``, ``sw1a1aa`` and ``SW1A-1AA`` are the same atoms.

For each withheld value :func:`forms_of` derives, once per record, what
:mod:`policies.scrub` searches for:

* ``skeletons``: the value's atoms joined (any case, any separators), for every kind; for a
  name also each part of three letters or more; for an email address also its local part;
* ``dates``: the (year, month, day) of a date or timestamp, or of a string written as a date;
* ``phones``: the digits of a phone number (or of any value that looks like one) without its
  international or national prefix, matched whatever prefix the text writes.

The kind (:class:`schemas.marks.ValueKind`) comes from the schema: a field's ``value_kind``
attribute or its logical type, never from field names guessed at run time. The shape checks
above (a string that looks like a date, a phone or an email) only ever add forms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

from schemas.marks import ValueKind

MIN_SKELETON = 3
"""Shorter skeletons are not searched for: they would remove ordinary words and numbers."""
MIN_PHONE_DIGITS = 7
"""A run of digits shorter than this is not taken for (the end of) a phone number."""

PROTECTED_KINDS = frozenset(
    k.value for k in ValueKind if k not in (ValueKind.TEXT, ValueKind.LABEL, ValueKind.CODE)
)
"""Kinds that identify a person, place or object. Their values are removed from every string a
partner receives; a plain label or text is left where a released field holds exactly it."""

ATOM = re.compile(r"[^\W\d_]+|\d+")
"""A run of letters or a run of digits: what is left of a text once separators are ignored."""

_LOOKALIKE = str.maketrans(
    # Cyrillic and Greek letters that look like Latin ones, so a name cannot hide behind them
    "\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456\u0458\u0455\u0501\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7",
    "abekmhopctyxijsdabeikvoptux",
)


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One non-ASCII character as compared: look-alikes mapped, case-folded, decomposed with its
    accents dropped, decimal digits of any script written 0-9 (may be empty or several)."""
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    text = unicodedata.normalize("NFKD", ch.translate(_LOOKALIKE).casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(_LOOKALIKE)


def fold_classes(ch: str) -> tuple[str, bytes]:
    """One non-ASCII character as :func:`split_atoms` folds it, with the class it gives each
    folded character (2 a digit, 1 a letter, 0 a separator): what the native search asks
    Python, once per distinct character, so its folding is exactly this one."""
    folded = _fold_char(ch)
    return folded, bytes(2 if c.isdigit() else 1 if c.isalpha() else 0 for c in folded)


def split_atoms(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The atoms of ``text``: where each is in ``text`` and its folded form. Runs of letters and
    runs of digits, after folding, so an atom is all letters or all digits whatever the script."""
    if text.isascii():
        spans: list[tuple[int, int]] = []
        folded: list[str] = []
        for m in ATOM.finditer(text):
            spans.append(m.span())
            folded.append(m.group().lower())
        return spans, folded
    spans, folded = [], []
    current: list[str] = []
    kind = 0  # 1 letters, 2 digits, 0 a separator
    first = last = 0
    for i, ch in enumerate(text):
        for c in ch.lower() if ch.isascii() else _fold_char(ch):
            now = 2 if c.isdigit() else 1 if c.isalpha() else 0
            if now != kind:
                if kind:
                    folded.append("".join(current))
                    spans.append((first, last))
                current, kind, first = [], now, i
            if now:
                current.append(c)
                last = i + 1
    if kind:
        folded.append("".join(current))
        spans.append((first, last))
    return spans, folded


def atoms_of(text: str) -> list[str]:
    """The folded atoms of ``text``."""
    if text.isascii():
        found: list[str] = ATOM.findall(text.lower())
        return found
    return split_atoms(text)[1]


def skeleton(text: str) -> str:
    """The folded atoms of ``text`` joined: what any spelling of it has in common."""
    return "".join(atoms_of(text))


def phone_core(digits: str) -> str:
    """Digits of a phone number without its prefix: leading zeros (``0``, ``00``) dropped and a
    national ``0`` after the UK code (``+44 (0) 7700...``) removed."""
    core = digits.lstrip("0")
    if core.startswith("440"):
        core = "44" + core[3:]
    return core


MIN_WORD = 4
"""A word of an address, organisation or reference is searched for on its own from this length."""
MIN_IDENTIFIER = 4
"""A part of a value written like an identifier is searched for on its own from this length."""
COMMON_WORDS = frozenset(
    """street road lane avenue close drive place court crescent gardens terrace square grove hill
    park way walk view rise mews house flat unit floor block building estate industrial north
    south east west upper lower trading limited company group services holdings bank society
    international national united kingdom with from that this the and for near""".split()  # noqa: SIM905
)
"""Words too common to stand for an address or organisation on their own (a whole value or
phrase with them is still found)."""
_WORD_BY_WORD = frozenset(k.value for k in (ValueKind.ADDRESS, ValueKind.ORGANISATION, ValueKind.REFERENCE))
_NUMBERS = {
    ValueKind.PHONE.value: (MIN_PHONE_DIGITS, 15),
    ValueKind.ACCOUNT.value: (6, 34),
    ValueKind.SORT_CODE.value: (6, 6),
}
"""Kinds written as one number (digits, lengths): found as any run of digits of such a length in
the value, however it is spaced or whatever else the field holds (``9600 0032, 9600 0039``)."""
_EMBEDDED = {
    ValueKind.POSTCODE.value: re.compile(
        r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}(?![A-Za-z0-9])"
    ),
    ValueKind.VEHICLE.value: re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}\s*[A-Za-z]{3}(?![A-Za-z0-9])"),
}
"""Kinds with a shape of their own, found wherever the value writes one (as well as whole)."""
_WHOLE_ONLY = frozenset({*_NUMBERS, *_EMBEDDED, ValueKind.TEXT.value})
"""Kinds not cut into words: one identifier however spaced, and free text (searched for whole)."""
_CHUNK_SPLIT = re.compile(r"[\s,;]+")
_ADDRESS_PARTS = re.compile(r"[,;]")
_LONGEST_NUMBER_RUN = 6
"""At most this many runs of digits make one number (``+44 (0) 77 00 90 01 23``)."""
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")


class Forms(NamedTuple):
    """What to search for of one withheld value (see the module doc)."""

    kind: str
    protected: bool
    skeletons: tuple[str, ...]
    dates: tuple[tuple[int, int, int], ...]
    phones: tuple[str, ...]


_CODE, _NAME, _PHONE = ValueKind.CODE.value, ValueKind.NAME.value, ValueKind.PHONE.value
_ADDRESS, _DATE = ValueKind.ADDRESS.value, ValueKind.DATE.value
_DATED = (datetime, date)


def forms_of(value: Any, kind: str) -> Forms | None:
    """The forms of one withheld value of ``kind``; None when nothing is worth searching for
    (a code, a value too short, a type that holds no text)."""
    if value.__class__ is not str:
        if kind == _CODE or value is None or value.__class__ is bool:
            return None
        if isinstance(value, _DATED):
            return Forms(_DATE, True, (), ((value.year, value.month, value.day),), ())
        if not isinstance(value, uuid.UUID | str):
            return None
        value = str(value)
    elif kind == _CODE:
        return None
    atoms = ATOM.findall(value.lower()) if value.isascii() else split_atoms(value)[1]
    whole = "".join(atoms)
    skeletons = [whole] if len(whole) >= MIN_SKELETON else []
    if kind == _NAME and len(atoms) > 1:
        skeletons.extend(a for a in atoms if len(a) >= MIN_SKELETON and not a.isdigit())
    if "@" in value:
        local = skeleton(value.split("@", 1)[0])
        if len(local) >= MIN_SKELETON:
            skeletons.append(local)
    embedded = _EMBEDDED.get(kind)
    if embedded is not None:
        skeletons.extend(skeleton(found) for found in embedded.findall(value))
    if kind not in _WHOLE_ONLY and len(chunks := _CHUNK_SPLIT.split(value.strip())) > 1:
        skeletons.extend(_chunk_forms(value, chunks, kind))
    dates: tuple[tuple[int, int, int], ...] = ()
    phones: list[str] = []
    if not whole.isalpha():  # some atom is a run of digits (or there are no atoms at all)
        digit_runs = [a for a in atoms if a[0] <= "9"]
        if digit_runs:
            dates = _date_shape(value.strip())
            numbers = _NUMBERS.get(kind)
            if numbers is not None and kind != _PHONE:
                skeletons.extend(_numbers(atoms, *numbers))
            elif not dates:  # a phone, or a number written like one in any other field
                for digits in _numbers(atoms, MIN_PHONE_DIGITS, 15):
                    core = phone_core(digits)
                    phones.append(core)
                    if digits.startswith("0") and not digits.startswith("00"):
                        phones.append("44" + core)  # a national number, also written +44
    if not skeletons and not dates and not phones:
        return None
    return Forms(
        kind,
        kind in PROTECTED_KINDS,
        tuple(dict.fromkeys(skeletons)) if len(skeletons) > 1 else tuple(skeletons),
        dates,
        tuple(dict.fromkeys(phones)) if len(phones) > 1 else tuple(phones),
    )


def _numbers(atoms: list[str], low: int, high: int) -> list[str]:
    """Every run of consecutive digit atoms (at most a few) with ``low`` to ``high`` digits."""
    found = []
    for i, first in enumerate(atoms):
        if first[0] > "9":
            continue
        digits = ""
        for atom in atoms[i : i + _LONGEST_NUMBER_RUN]:
            if atom[0] > "9":
                break
            digits += atom
            if low <= len(digits) <= high:
                found.append(digits)
            elif len(digits) > high:
                break
    return found


def _chunk_forms(value: str, chunks: list[str], kind: str) -> list[str]:
    """Parts of a value of several words that identify on their own: any part written like an
    identifier (letters and digits, or four digits or more: a second reference, a number written
    into a name field); for an address, an organisation or a reference each word of four letters
    or more but the commonest (``Acacia`` of an address, never ``Road``); for an address each
    comma-separated part and its street without the house number (``Acacia Avenue`` of
    ``Flat 3, 12 Acacia Avenue``)."""
    found = []
    by_word = kind in _WORD_BY_WORD
    for chunk in chunks:
        joined = "".join(ATOM.findall(chunk.lower()) if chunk.isascii() else split_atoms(chunk)[1])
        if joined.isalpha():  # letters only: a distinctive word of an address, organisation...
            if by_word and len(joined) >= MIN_WORD and joined not in COMMON_WORDS:
                found.append(joined)
        elif len(joined) >= MIN_IDENTIFIER:  # written like an identifier: it has a run of digits
            found.append(joined)
    if kind == _ADDRESS:
        for part in _ADDRESS_PARTS.split(value):
            atoms = atoms_of(part)
            street = [a for a in atoms if a[0] > "9"]
            for form in ("".join(atoms), "".join(street) if len(street) > 1 else ""):
                if len(form) >= MIN_SKELETON:
                    found.append(form)
    return found


def _date_shape(text: str) -> tuple[tuple[int, int, int], ...]:
    """(year, month, day) of a string written as a date (ISO or day/month/year), else ()."""
    found = _ISO_DATE.match(text)
    if found:
        y, m, d = (int(g) for g in found.groups())
        return ((y, m, d),) if _valid(y, m, d) else ()
    found = _DMY_DATE.match(text)
    if found:
        d, m, y = (int(g) for g in found.groups())
        years = (y,) if y >= 100 else (1900 + y, 2000 + y)
        return tuple((yy, m, d) for yy in years if _valid(yy, m, d))
    return ()


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True
