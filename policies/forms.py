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


_PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-/]+$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")


class Forms(NamedTuple):
    """What to search for of one withheld value (see the module doc)."""

    kind: str
    protected: bool
    skeletons: tuple[str, ...]
    dates: tuple[tuple[int, int, int], ...]
    phones: tuple[str, ...]


def forms_of(value: Any, kind: str) -> Forms | None:
    """The forms of one withheld value of ``kind``; None when nothing is worth searching for
    (a code, a value too short, a type that holds no text)."""
    if kind == ValueKind.CODE or value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return Forms(ValueKind.DATE.value, True, (), ((value.year, value.month, value.day),), ())
    if isinstance(value, date):
        return Forms(ValueKind.DATE.value, True, (), ((value.year, value.month, value.day),), ())
    if isinstance(value, uuid.UUID):
        value = str(value)
    if not isinstance(value, str):
        return None
    atoms = atoms_of(value)
    whole = "".join(atoms)
    skeletons = [whole] if len(whole) >= MIN_SKELETON else []
    if kind == ValueKind.NAME and len(atoms) > 1:
        skeletons.extend(a for a in atoms if len(a) >= MIN_SKELETON and not a.isdigit())
    if "@" in value:
        local = skeleton(value.split("@", 1)[0])
        if len(local) >= MIN_SKELETON:
            skeletons.append(local)
    digits = "".join([a for a in atoms if a[0] <= "9"])
    dates: tuple[tuple[int, int, int], ...] = ()
    phones: tuple[str, ...] = ()
    if digits:
        stripped = value.strip()
        dates = _date_shape(stripped)
        looks_like_phone = not dates and _PHONE_SHAPE.match(stripped) is not None
        if len(digits) >= MIN_PHONE_DIGITS and (kind == ValueKind.PHONE or looks_like_phone):
            core = phone_core(digits)
            national = digits.startswith("0") and not digits.startswith("00")
            phones = (core, "44" + core) if national else (core,)
    if not skeletons and not dates and not phones:
        return None
    return Forms(kind, kind in PROTECTED_KINDS, tuple(dict.fromkeys(skeletons)), dates, phones)


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
