"""Rule 11, replacing: every form of every withheld value leaves what a partner reads.

Each plan collects, per delivery, the values it did not release in clear (dropped, masked,
generalised, pseudonymised, encrypted, or withheld by a guard rail, of every person in the
record) with their kinds (:mod:`policies.collect`), and hands its projected record to the
record's :class:`RecordScrub` (:meth:`RecordScrub.defer`). Once every partner's plan has run,
:meth:`RecordScrub.run` derives each withheld value's forms once (:mod:`policies.forms`), builds
one index of them all, searches each distinct string of the record once
(:mod:`policies.textmatch`), and gives every delivery the matches of the values withheld from
*it*: each span becomes a fixed placeholder that names the kind (``[address withheld]``), never a
hint of the value.

Every string a partner receives in clear is scrubbed (free text, descriptions, conditions,
names...), not only free text, and so is every value sealed for the partner, which reads it in
clear: a value to encrypt waits (:class:`policies.crypto.Unsealed`) until it is scrubbed, then is
sealed. Pseudonym tokens and masks a transform produced are left alone, and so are codes
(validated vocabulary) and the structural fields. Overlapping matches merge into
one span. In a structured field (anything but free text) a plain label or text value (never an
identifying kind) is left where the field holds exactly it: the agreement released that field in
clear. Afterwards the result is searched again between the placeholders; if anything is still
found, the whole string becomes ``[text withheld]``. A scrubbed text may be less useful; it
never leaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from policies.crypto import Unsealed
from policies.forms import Forms, forms_of
from policies.textmatch import Key, Match, TextSearch, ValueIndex
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
    ValueKind.ENTITY_ID.value: "value",
    ValueKind.ENTITY_REF.value: "value",
}
"""Kind -> the word its placeholder uses."""


def placeholder(kind: str) -> str:
    """The fixed text a scrubbed span of ``kind`` becomes: ``[address withheld]``."""
    return f"[{PLACEHOLDER_LABEL.get(kind, 'value')} withheld]"


WHOLE_TEXT = placeholder(ValueKind.TEXT.value)
PLACEHOLDERS = re.compile("|".join(re.escape(placeholder(k)) for k in PLACEHOLDER_LABEL))
"""Any placeholder (to look at the text between them)."""

Counts = dict[str, dict[str, int]]
"""Field path -> kind -> spans scrubbed there."""
Found = list[tuple[Any, str]]
"""Withheld values with their kinds, as a plan collects them."""


@dataclass(frozen=True, slots=True)
class Target:
    """A string field a plan scrubs: its path, whether it is structured (not free text), and the
    test telling a value a transform produced there (a token, a mask) from one copied as it is."""

    path: str
    structured: bool
    produced: Callable[[str], bool] | None
    kind: str = ValueKind.LABEL.value


Slots = Callable[[dict[str, Any]], list[tuple[Any, Any, int]]]
"""Finds every string of an output record at the targets' paths: (holder, key, target index),
so ``holder[key]`` is the string, or for an item of a list ``holder[name][i]`` with key
``(name, i)``: such a list may be the input's own (a kept list is not copied), so it is replaced
by a copy before an item is written, never changed in place."""

Hits = Callable[
    [dict[str, Any], dict[str, frozenset[Key]], Callable[[str], frozenset[Key]], set[Key]],
    list[tuple[Any, Any, int, Any]],
]
"""Like :data:`Slots`, but searches each string as it finds it, through the record's memo of
which values each string writes, and returns only the strings that write a value withheld from
this delivery: (holder, key, target index, the value)."""


class Finders(NamedTuple):
    """A plan's two generated walks over its output records (see :func:`finders`)."""

    slots: Slots
    hits: Hits


def finders(targets: list[Target]) -> Finders:
    """The walks that find the strings at ``targets``: every one (to seal), and only those a
    withheld value was found in (to scrub)."""
    return Finders(slots_finder(targets), hits_finder(targets))


@dataclass(slots=True)
class _Pending:
    out: dict[str, Any]
    withheld: Found
    finders: Finders
    targets: list[Target]
    counts: Counts
    seals: bool


@dataclass(slots=True)
class RecordScrub:
    """Rule 11 for one record, shared by every partner's plan: what the plans deferred, each
    value's forms, each string's atoms and matches, all worked out once per record."""

    pending: list[_Pending] = field(default_factory=list)
    forms: dict[Key, Forms | None] = field(default_factory=dict)
    matches: dict[str, list[Match]] = field(default_factory=dict)
    written: dict[str, frozenset[Key]] = field(default_factory=dict)
    search: TextSearch | None = None

    def defer(
        self, out: dict[str, Any], withheld: Found, walks: Finders, targets: list[Target], *, seals: bool
    ) -> Counts:
        """Scrub ``out`` (then seal what it holds to encrypt, if it ``seals``) when :meth:`run` is
        called; returns the counts it will fill."""
        counts: Counts = {}
        self.pending.append(_Pending(out, withheld, walks, targets, counts, seals))
        return counts

    def run(self) -> None:
        """Scrub every deferred record (see the module doc), then seal what is to be encrypted."""
        if not self.pending:
            return
        for p in self.pending:
            for key in p.withheld:
                if key not in self.forms:
                    self.forms[key] = forms_of(*key)
        index = ValueIndex((k, f) for k, f in self.forms.items() if f is not None)
        if index:
            self.search = TextSearch(index)
        for p in self.pending:
            if index:
                self._scrub(p)
            if p.seals:
                _seal(p)
        self.pending.clear()

    def _scrub(self, p: _Pending) -> None:
        withheld = set(p.withheld)
        targets = p.targets
        for holder, key, number, value in p.finders.hits(p.out, self.written, self._search, withheld):
            sealed = value.__class__ is Unsealed
            text = value.text if sealed else value
            found = self.matches[text]
            target = targets[number]
            if target.produced is not None and target.produced(text):
                continue
            own = (text, target.kind) if sealed else None  # sealed, not withheld
            mine = [m for m in found if m[4] in withheld and m[4] != own]
            if not mine:
                continue
            result, kinds = self._replace(text, mine, withheld, target.structured)
            if kinds:
                if sealed:
                    value.text = result  # sealed once scrubbed
                elif key.__class__ is tuple:  # an item of a list the output may share with the input
                    name, i = key
                    items = holder[name] = list(holder[name])
                    items[i] = result
                else:
                    holder[key] = result
                here = p.counts.setdefault(target.path, {})
                for kind in kinds:
                    here[kind] = here.get(kind, 0) + 1

    def _search(self, text: str) -> frozenset[Key]:
        """Search ``text`` (once per record): its matches are kept, the values it writes returned."""
        assert self.search is not None
        found = self.matches[text] = self.search.find(text)
        return frozenset([m[4] for m in found])

    def _replace(
        self, text: str, matches: list[Match], withheld: set[Key], structured: bool
    ) -> tuple[str, list[str]]:
        """``text`` with each span of ``matches`` replaced by its placeholder, and their kinds."""
        assert self.search is not None
        positions = self.search.spans(text)
        if structured:
            last = len(positions) - 1
            matches = [m for m in matches if m[3] or m[0] != 0 or m[1] != last]
            if not matches:
                return text, []
        spans = _merge(matches)
        out: list[str] = []
        hidden: list[tuple[int, int]] = []  # where the placeholders are in the result
        at = written = 0
        source = text
        for first, last, kind in spans:
            start, end = positions[first][0], positions[last][1]
            if kind == ValueKind.PHONE and start > at and source[start - 1] == "+":
                start -= 1  # the international prefix goes with the number
            out.append(source[at:start])
            written += start - at
            mark = placeholder(kind)
            out.append(mark)
            hidden.append((written, written + len(mark)))
            written += len(mark)
            at = end
        out.append(source[at:])
        result = "".join(out)
        if self._still_written(result, hidden, withheld):
            return WHOLE_TEXT, [ValueKind.TEXT.value]
        return result, [kind for _, _, kind in spans]

    def _still_written(self, text: str, hidden: list[tuple[int, int]], withheld: set[Key]) -> bool:
        """Defence in depth: is any withheld value still written outside the placeholders?"""
        assert self.search is not None
        found = [m for m in self.search.find(text) if m[4] in withheld]
        if not found:
            return False
        spans = self.search.spans(text)
        return any(
            not any(a <= spans[i][0] and spans[i][1] <= b for a, b in hidden)
            for first, last, _, _, _ in found
            for i in range(first, last + 1)
        )


def _seal(p: _Pending) -> None:
    """Encrypt, for the partner, every value of ``p`` that waited for rule 11 to scrub it."""
    for holder, key, _ in p.finders.slots(p.out):
        if isinstance(key, tuple):
            name, i = key
            if isinstance(holder[name][i], Unsealed):
                items = holder[name] = list(holder[name])
                items[i] = items[i].seal()
        elif isinstance(holder[key], Unsealed):
            holder[key] = holder[key].seal()


def _merge(matches: list[Match]) -> list[tuple[int, int, str]]:
    """Overlapping matches as one span each, named by the kind of its longest match (an
    identifying kind before a plain label on a tie)."""
    spans: list[list[Any]] = []  # first, last, kind, rank of the best match in the span
    for first, last, kind, protected, _ in sorted(matches, key=lambda m: (m[0], m[1])):
        rank = (last - first, protected)
        if spans and first <= spans[-1][1]:
            span = spans[-1]
            span[1] = max(span[1], last)
            if rank > span[3]:
                span[2], span[3] = kind, rank
        else:
            spans.append([first, last, kind, rank])
    return [(first, last, kind) for first, last, kind, _ in spans]


def scrub_text(text: str, withheld: Found, *, structured: bool = False) -> tuple[str, list[str]]:
    """``text`` scrubbed of ``withheld`` on its own (for tests and tools; plans go through
    :class:`RecordScrub`), with the kinds of the spans replaced."""
    scrub = RecordScrub()
    out = {"text": text}
    target = Target("text", structured, None)
    counts = scrub.defer(out, withheld, finders([target]), [target], seals=False)
    scrub.run()
    return out["text"], [kind for kind, n in counts.get("text", {}).items() for _ in range(n)]


def slots_finder(targets: list[Target]) -> Slots:
    """Generate, once per plan, the straight-line function that finds the strings at ``targets``
    in an output record (paths come from the Avro schema: names are [A-Za-z_][A-Za-z0-9_]*)."""
    leaf = [
        "_v = {holder}.get({leaf!r})",
        "if _v.__class__ in _TEXT:",
        "    add(({holder}, {leaf!r}, {number}))",
        "elif _v.__class__ is list:",
        "    for _i, _s in enumerate(_v):",
        "        if _s.__class__ in _TEXT:",
        "            add(({holder}, ({leaf!r}, _i), {number}))",
    ]
    finder: Slots = _generate("slots(out)", targets, leaf)
    return finder


def values_finder(targets: list[Target]) -> Callable[[dict[str, Any]], list[Any]]:
    """Generate, once per plan, the function listing the strings held at ``targets`` of an output
    record as single values (a list's items are not read)."""
    leaf = [
        "_v = {holder}.get({leaf!r})",
        "if _v.__class__ in _TEXT:",
        "    add(_v)",
    ]
    finder: Callable[[dict[str, Any]], list[Any]] = _generate("values(out)", targets, leaf)
    return finder


def hits_finder(targets: list[Target]) -> Hits:
    """Generate, once per plan, the function that finds and searches the strings at ``targets``
    of an output record in one pass (what :class:`RecordScrub` runs: most strings write nothing
    withheld from the delivery at hand, and this way they cost two lookups and no more)."""
    search = [
        "_t = _s if _s.__class__ is str else _s.text",
        "_k = memo_get(_t)",
        "if _k is None:",
        "    _k = memo[_t] = search(_t)",
        "if _k and not withheld.isdisjoint(_k):",
    ]
    leaf = [
        "_v = {holder}.get({leaf!r})",
        "if _v.__class__ in _TEXT:",
        "    _s = _v",
        *("    " + line for line in search),
        "        add(({holder}, {leaf!r}, {number}, _s))",
        "elif _v.__class__ is list:",
        "    for _i, _s in enumerate(_v):",
        "        if _s.__class__ in _TEXT:",
        *("            " + line for line in search),
        "                add(({holder}, ({leaf!r}, _i), {number}, _s))",
    ]
    finder: Hits = _generate("hits(out, memo, search, withheld)", targets, leaf, "    memo_get = memo.get")
    return finder


def _generate(signature: str, targets: list[Target], leaf: list[str], *prologue: str) -> Any:
    """Compile a function walking an output record to the string at each target's path and
    running ``leaf`` (formatted with ``holder``, ``leaf`` and ``number``) there. Targets that share
    a prefix share its walk: a list is looped over once for all the fields read under it."""
    tree: _Trie = ({}, [])
    for number, target in enumerate(targets):
        *steps, name = target.path.split(".")
        node = tree
        for step in steps:
            node = node[0].setdefault(step, ({}, []))
        node[1].append((name, number))
    lines = [f"def {signature}:", "    found = []", "    add = found.append", *prologue]
    _emit(tree, "out", 1, lines, leaf, [0])
    lines.append("    return found")
    namespace: dict[str, Any] = {"_TEXT": (str, Unsealed)}
    name = signature.partition("(")[0]
    exec(compile("\n".join(lines) + "\n", f"<scrub {name}>", "exec"), namespace)  # names from the schema
    return namespace[name]


_Trie = tuple[dict[str, "_Trie"], list[tuple[str, int]]]
"""A path step -> the steps under it, and the fields (name, target index) read at this step."""


def _emit(node: _Trie, holder: str, depth: int, lines: list[str], leaf: list[str], count: list[int]) -> None:
    pad = "    " * depth
    for name, number in node[1]:
        lines += [pad + line.format(holder=holder, leaf=name, number=number) for line in leaf]
    for step, child in node[0].items():
        count[0] += 1
        here, name, inner = f"_h{count[0]}", step.rstrip("[]{}"), depth
        if step.endswith("[]"):
            lines.append(f"{pad}for {here} in {holder}.get({name!r}) or ():")
            inner += 1
        elif step.endswith("{}"):
            lines.append(f"{pad}for {here} in ({holder}.get({name!r}) or {{}}).values():")
            inner += 1
        else:
            lines.append(f"{pad}{here} = {holder}.get({name!r})")
        lines.append(f"{'    ' * inner}if {here} is not None:")
        _emit(child, here, inner + 1, lines, leaf, count)
