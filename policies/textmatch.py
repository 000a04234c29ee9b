"""Rule 11, searching: where in a text any form of a withheld value is written.

One pass per text, not one expression per value. A text is cut into atoms once per record
(:class:`Atoms`), then searched with one :class:`ValueIndex` holding the forms
(:mod:`policies.forms`) of every value withheld from any partner of that record:

* at each atom boundary the next three characters of the joined atoms look up the skeletons that
  start with them (a dict), and a skeleton matches only if it also ends on an atom boundary
  (so ``Ann`` is found as a word, never inside ``Annabel``);
* dates are read where the atoms spell one (``17/11/1999``, ``17th November 1999``,
  ``Nov 17, 1999``, ``19991117``...) and compared with the withheld dates;
* runs of digit atoms are compared with the withheld phone numbers whatever their prefix.

Each match names the value it found (its :data:`Key`), so every partner's plan takes from the
same search only the matches of values withheld from it.

:class:`TextSearch` runs the search for a record: in the native core (:mod:`schemas.native`,
Rust) where it is built, which returns the same matches in the same order (non-ASCII characters
are folded by :func:`policies.forms.fold_classes`, so by Python's own Unicode rules), and with
the Python here otherwise, which stays the reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from policies.forms import ATOM, MIN_PHONE_DIGITS, MIN_SKELETON, Forms, fold_classes, phone_core, split_atoms
from schemas import native
from schemas.marks import ValueKind

Key = tuple[Any, str]
"""A withheld value and its kind."""
Match = tuple[int, int, str, bool, Key]
"""First atom, last atom, kind, protected, the value found."""
Ymd = tuple[int, int, int]

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
_DATE = ValueKind.DATE.value
_PHONE = ValueKind.PHONE.value


class Atoms:
    """A text cut into folded atoms, and what lets most searches stop at once: the three
    characters at each atom boundary of the joined atoms (keys into the skeleton buckets) and the
    text's digits. Each is worked out on first use, once per record; where each atom is in the
    text only when something is to be replaced."""

    __slots__ = ("_digits", "_ends", "_grams", "_joined", "_spans", "_starts", "folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._spans: list[tuple[int, int]] | None = None
        if text.isascii():
            self.folded: list[str] = ATOM.findall(text.lower())
        else:
            self._spans, self.folded = split_atoms(text)
        self._joined: str | None = None
        self._starts: list[int] | None = None
        self._ends: dict[int, int] | None = None
        self._grams: frozenset[str] | None = None
        self._digits: str | None = None

    @property
    def joined(self) -> str:
        """The folded atoms joined."""
        if self._joined is None:
            self._joined = "".join(self.folded)
        return self._joined

    @property
    def starts(self) -> list[int]:
        """Offset of each atom in ``joined``."""
        if self._starts is None:
            ends = list(accumulate(map(len, self.folded)))
            self._starts = [0, *ends[:-1]] if ends else []
            self._ends = dict(zip(ends, range(len(ends)), strict=True))
        return self._starts

    @property
    def ends(self) -> dict[int, int]:
        """Offset in ``joined`` just after an atom -> that atom's index."""
        if self._ends is None:
            self.starts  # noqa: B018 - computes both
        assert self._ends is not None
        return self._ends

    @property
    def grams(self) -> frozenset[str]:
        """The three characters of ``joined`` at each atom boundary."""
        if self._grams is None:
            folded = self.folded
            if len(folded) == 1:
                self._grams = frozenset((folded[0][:3],))
            else:
                joined = self.joined
                self._grams = frozenset([joined[at : at + 3] for at in self.starts])
        return self._grams

    @property
    def digits(self) -> str:
        """Every digit of the text, in order, nothing between them."""
        if self._digits is None:
            self._digits = "".join([a for a in self.folded if a[0] <= "9"])
        return self._digits

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Where each atom is in ``text`` (start, end)."""
        if self._spans is None:
            self._spans = [m.span() for m in ATOM.finditer(self.text)]
        return self._spans


class ValueIndex:
    """The forms of a set of withheld values, ready to search for, with what decides most searches
    without one: the first three characters of every skeleton, every atom a withheld date must be
    written with (its year, in two or four digits, or the date as one run of digits), and the last
    seven digits of every withheld phone."""

    __slots__ = ("date_atoms", "dates", "keys", "phone_tails", "phones", "skeletons")

    def __init__(self, forms: Iterable[tuple[Key, Forms]]) -> None:
        self.skeletons: dict[str, list[tuple[str, str, bool, Key]]] = {}
        self.dates: dict[Ymd, list[Key]] = {}
        self.phones: list[tuple[str, Key]] = []
        for key, f in forms:
            for s in f.skeletons:
                self.skeletons.setdefault(s[:3], []).append((s, f.kind, f.protected, key))
            for d in f.dates:
                self.dates.setdefault(d, []).append(key)
            self.phones.extend((p, key) for p in f.phones)
        self.keys = frozenset(self.skeletons)
        self.date_atoms = frozenset(atom for ymd in self.dates for atom in _date_atoms(ymd))
        self.phone_tails = frozenset(p[-MIN_PHONE_DIGITS:] for p, _ in self.phones)

    def __bool__(self) -> bool:
        return bool(self.skeletons or self.dates or self.phones)


def _date_atoms(ymd: Ymd) -> tuple[str, ...]:
    """The atoms one of which every written form of the date contains."""
    y, m, d = ymd
    yy = f"{y % 100:02d}"
    return (
        str(y),
        yy,
        f"{d:02d}{m:02d}{y}",
        f"{y}{m:02d}{d:02d}",
        f"{m:02d}{d:02d}{y}",
        f"{d:02d}{m:02d}{yy}",
        f"{yy}{m:02d}{d:02d}",
        f"{m:02d}{d:02d}{yy}",
    )


def find(atoms: Atoms, index: ValueIndex) -> list[Match]:
    """Every span of ``atoms`` that writes a value of ``index`` (all of them where several values
    are written at the same place, so each partner can keep those withheld from it)."""
    found: list[Match] = []
    folded = atoms.folded
    if not folded or (len(folded) == 1 and len(folded[0]) < MIN_SKELETON):
        return found  # nothing of three characters or more is written
    if index.skeletons and not index.keys.isdisjoint(atoms.grams):
        _find_skeletons(atoms, index, found)
    if index.dates and not index.date_atoms.isdisjoint(folded):
        _find_dates(folded, index.dates, found)
    if index.phones and len(atoms.digits) >= MIN_PHONE_DIGITS:
        digits = atoms.digits
        if any(tail in digits for tail in index.phone_tails):
            _find_phones(folded, index.phones, found)
    return found


if native.AVAILABLE:
    native.core.set_folder(fold_classes)


class TextSearch:
    """:func:`find` and the atoms' spans of the texts of one record against one index, each text
    cut once: by the native core where it is on (``native=None``: where :mod:`schemas.native` is
    available), by the Python of this module otherwise."""

    __slots__ = ("_atoms", "_core", "index")

    def __init__(self, index: ValueIndex, *, native_core: bool | None = None) -> None:
        self.index = index
        use = native.AVAILABLE if native_core is None else native_core
        self._core = native.core.TextIndex(index) if use else None
        self._atoms: dict[str, Atoms] = {}

    def find(self, text: str) -> list[Match]:
        """Every match in ``text`` (see :func:`find`)."""
        if self._core is not None:
            return native.core.find(text, self._core)
        return find(self.atoms(text), self.index)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where each atom of ``text`` is (start, end), as Python indexes it."""
        if self._core is not None:
            return native.core.spans(text)
        return self.atoms(text).spans

    def atoms(self, text: str) -> Atoms:
        """``text`` cut into atoms by the Python reference (kept for the record)."""
        atoms = self._atoms.get(text)
        if atoms is None:
            atoms = self._atoms[text] = Atoms(text)
        return atoms


def _find_skeletons(atoms: Atoms, index: ValueIndex, found: list[Match]) -> None:
    joined, ends, buckets = atoms.joined, atoms.ends, index.skeletons
    for i, at in enumerate(atoms.starts):
        bucket = buckets.get(joined[at : at + 3])
        if bucket is None:
            continue
        for text, kind, protected, key in bucket:
            end = at + len(text)
            if end in ends and joined.startswith(text, at):
                found.append((i, ends[end], kind, protected, key))


# -- dates --------------------------------------------------------------------------------------


def _find_dates(folded: list[str], dates: dict[Ymd, list[Key]], found: list[Match]) -> None:
    """Every withheld date each place in the text can be read as (``05/06/1990`` is both the 5th
    of June and the 6th of May: the index holds the values withheld from every partner, so each
    reading is kept). Dates found are always of an identifying kind, whatever field they came
    from."""
    n = len(folded)
    for i, a in enumerate(folded):
        hits: list[tuple[int, Ymd]]
        if a[0].isdigit():
            if len(a) in (6, 8):
                hits = [(i, ymd) for ymd in _compact_dates(a, dates)]
            else:
                hits = _numeric_dates(folded, i, n, dates) + _day_month_name(folded, i, n, dates)
        elif a in _MONTHS:
            hits = _month_name_day(folded, i, n, dates)
        else:
            continue
        for last, ymd in hits:
            found.extend((i, last, _DATE, True, key) for key in dates[ymd])


def _years(y: str) -> tuple[int, ...]:
    value = int(y)
    return (value,) if len(y) == 4 else (1900 + value, 2000 + value) if len(y) == 2 else ()


def _dates_in(dates: dict[Ymd, Any], years: tuple[int, ...], m: int, d: int) -> list[Ymd]:
    return [(y, m, d) for y in years if (y, m, d) in dates]


def _numeric_dates(folded: list[str], i: int, n: int, dates: dict[Ymd, Any]) -> list[tuple[int, Ymd]]:
    """``17/11/1999``, ``11/17/99`` or ``1999-11-17``: three digit atoms."""
    if i + 2 >= n:
        return []
    a, b, c = folded[i], folded[i + 1], folded[i + 2]
    if not (b.isdigit() and c.isdigit()) or len(b) > 2:
        return []
    if len(a) == 4 and len(c) <= 2:
        ymd = (int(a), int(b), int(c))
        return [(i + 2, ymd)] if ymd in dates else []
    if len(a) <= 2:
        years = _years(c)
        x, y = int(a), int(b)
        return [(i + 2, ymd) for ymd in _dates_in(dates, years, y, x) + _dates_in(dates, years, x, y)]
    return []


def _day_month_name(folded: list[str], i: int, n: int, dates: dict[Ymd, Any]) -> list[tuple[int, Ymd]]:
    """``17 Nov 1999``, ``17th of November 1999``."""
    a = folded[i]
    if len(a) > 2:
        return []
    j = i + 1
    if j < n and folded[j] in _ORDINALS:
        j += 1
    if j < n and folded[j] == "of":
        j += 1
    if j + 1 >= n or folded[j] not in _MONTHS or not folded[j + 1].isdigit():
        return []
    return [(j + 1, ymd) for ymd in _dates_in(dates, _years(folded[j + 1]), _MONTHS[folded[j]], int(a))]


def _month_name_day(folded: list[str], i: int, n: int, dates: dict[Ymd, Any]) -> list[tuple[int, Ymd]]:
    """``November 17, 1999``, ``Nov 17th 1999``."""
    j = i + 1
    if j >= n or not folded[j].isdigit() or len(folded[j]) > 2:
        return []
    day = int(folded[j])
    j += 1
    if j < n and folded[j] in _ORDINALS:
        j += 1
    if j >= n or not folded[j].isdigit():
        return []
    return [(j, ymd) for ymd in _dates_in(dates, _years(folded[j]), _MONTHS[folded[i]], day)]


def _compact_dates(a: str, dates: dict[Ymd, Any]) -> list[Ymd]:
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
    return [ymd for years, m, d in options for ymd in _dates_in(dates, years, m, d)]


# -- phones -------------------------------------------------------------------------------------


def _find_phones(folded: list[str], phones: list[tuple[str, Key]], found: list[Match]) -> None:
    """Within each run of digit atoms, every stretch whose digits end a withheld number (seven
    digits at least, whatever prefix the text writes): all of them, as the index holds the
    numbers withheld from every partner and each keeps its own."""
    n = len(folded)
    i = 0
    while i < n:
        if not folded[i].isdigit():
            i += 1
            continue
        end = i
        while end + 1 < n and folded[end + 1].isdigit():
            end += 1
        for start in range(i, end + 1):
            digits = ""
            for j in range(start, min(end, start + _LONGEST_PHONE_RUN - 1) + 1):
                digits += folded[j]
                core = phone_core(digits)
                if len(core) >= MIN_PHONE_DIGITS:
                    found.extend(
                        (start, j, _PHONE, True, key) for number, key in phones if number.endswith(core)
                    )
        i = end + 1
