"""Rule 11's native search against the Python reference (``policies.textmatch``), exactly.

For random withheld values of every kind (names, phones, postcodes, dates, references...) and
texts that are either any Unicode at all or the values written again in the spellings a person
would use (cases, separators, look-alike letters, accents, digits of other scripts, dates and
phones written every way), the native ``find`` must return the reference's matches in the
reference's order with the same key objects, the same atoms and the same spans; where the
reference raises, the native search raises the same error. Then whole records are routed with the
native search and with the reference, and every partner must receive the same thing.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import PolicyEngine
from policies.forms import forms_of, split_atoms
from policies.textmatch import Atoms, Key, Match, TextSearch, ValueIndex, find
from schemas import _native as core
from schemas import native
from schemas.marks import ValueKind
from tests.support.leaks import date_spellings
from tests.unit.policies.strategies import routed_records

SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
KINDS = [k.value for k in ValueKind]

letters = st.sampled_from("abcdefghijklmnoprstuvwyAEIOU\u00e9\u00f1\u00f8\u00df\u0130\u0131\u017f")
words = st.text(letters, min_size=1, max_size=9)
digit_runs = st.integers(0, 10**9).map(str)
phones = st.builds(
    lambda prefix, a, b: f"{prefix}{a} {b}",
    st.sampled_from(["07", "+44 7", "+44 (0)7", "0044 7", "01", "020 7"]),
    st.integers(100, 999),
    st.integers(100000, 999999),
)
postcodes = st.builds(
    lambda a, n, m, b: f"{a}{n} {m}{b}",
    st.sampled_from(["SW1A", "GL1", "M", "B33", "CR2", "DN55"]),
    st.integers(0, 9).map(str),
    st.integers(0, 9),
    st.sampled_from(["AB", "DJ", "TH", "XH", "PT"]),
)
days = st.dates(date(1900, 1, 1), date(2099, 12, 31))
values = st.one_of(
    st.tuples(st.lists(words, min_size=1, max_size=3).map(" ".join), st.just("name")),
    st.tuples(phones, st.sampled_from(["phone", "label", "reference"])),
    st.tuples(postcodes, st.sampled_from(["postcode", "address"])),
    st.tuples(days, st.just("date")),
    st.tuples(days.map(lambda d: datetime(d.year, d.month, d.day, 12)), st.just("date")),
    st.tuples(days.map(lambda d: d.isoformat()), st.sampled_from(["label", "reference"])),
    st.tuples(days.map(lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}"), st.just("text")),
    st.tuples(
        st.builds(lambda w, n: f"{w.upper()}/{n}", words, digit_runs),
        st.sampled_from(["reference", "document"]),
    ),
    st.tuples(
        st.builds(lambda n, w: f"Flat {n}, {n} {w.title()} Road, Gloucester", digit_runs, words),
        st.just("address"),
    ),
    st.tuples(st.builds(lambda w, x: f"{w}.{x}@example.org", words, words), st.just("email")),
    st.tuples(st.integers(10**5, 10**12).map(str), st.sampled_from(["account", "sort_code", "vehicle"])),
    st.tuples(st.text(max_size=12), st.sampled_from(KINDS)),
)

LOOKALIKES = str.maketrans(
    "aeopcxy", "\u0430\u0435\u043e\u0440\u0441\u0445\u0443"
)  # Cyrillic letters that look Latin
FULLWIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")
ARABIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
NOISE = [
    "",
    " ",
    "-",
    "/",
    ".",
    ", ",
    "_",
    "\u00a0",
    "(0)",
    "+",
    " of ",
    "th ",
    "\u0301",
    "\u19da",
    "\u00b2",
    "\u2460",
]


def spellings(value: Any) -> list[str]:
    """Ways a person writes ``value`` (dates every way, others in case and separator variants)."""
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return [
            *date_spellings(day),
            day.strftime("%d%m%Y"),
            day.strftime("%y%m%d"),
            f"{day:%B} {day.day}th {day.year}",
        ]
    text = str(value)
    return [
        text,
        text.upper(),
        text.lower(),
        text.replace(" ", ""),
        text.replace(" ", "-"),
        text.translate(LOOKALIKES),
        text.translate(FULLWIDTH),
        text.translate(ARABIC),
        text.replace("+44 ", "0044").replace("07", "7"),
        " ".join(text.split()[:1]),
    ]


@st.composite
def written(draw: Any, keys: list[tuple[Any, str]]) -> str:
    """A text writing some of ``keys``' values, in some spelling, among words and noise."""
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        choice = draw(st.integers(0, 3))
        if choice == 0 and keys:
            parts.append(draw(st.sampled_from(spellings(draw(st.sampled_from(keys))[0]))))
        elif choice == 1:
            parts.append(draw(words | digit_runs))
        else:
            parts.append(draw(st.sampled_from(NOISE)))
        parts.append(draw(st.sampled_from(NOISE)))
    return "".join(parts)


def index_of(keys: list[tuple[Any, str]]) -> ValueIndex:
    return ValueIndex((key, f) for key in keys if (f := forms_of(*key)) is not None)


def reference(text: str, index: ValueIndex) -> tuple[list[Match], list[tuple[int, int]], list[str]]:
    atoms = Atoms(text)
    return find(atoms, index), atoms.spans, atoms.folded


def assert_same_search(text: str, index: ValueIndex) -> None:
    native_index = core.TextIndex(index)
    assert bool(native_index) == bool(index)
    try:
        expected, spans, folded = reference(text, index)
    except Exception as exc:  # the reference refuses the text (int() of a digit that is not decimal)
        with pytest.raises(type(exc)):
            core.find(text, native_index)
        return
    found = core.find(text, native_index)
    assert found == expected
    assert all(a[4] is b[4] for a, b in zip(found, expected, strict=True)), "keys are passed through"
    assert core.spans(text) == spans
    assert core.atoms(text) == folded == split_atoms(text)[1]


@SETTINGS
@given(st.lists(values, min_size=1, max_size=6), st.text(max_size=80))
def test_any_unicode_text(keys: list[Key], text: str) -> None:
    assert_same_search(text, index_of(keys))


@SETTINGS
@given(st.data())
def test_texts_writing_the_values_in_many_spellings(data: st.DataObject) -> None:
    keys = data.draw(st.lists(values, min_size=1, max_size=6))
    text = data.draw(written(keys))
    assert_same_search(text, index_of(keys))


def test_the_spellings_are_found_and_so_is_the_reference_s_refusal() -> None:
    keys: list[Key] = [
        ("Ann Marie Smith", "name"),
        ("+44 7700 900123", "phone"),
        ("SW1A 1AA", "postcode"),
        (date(1999, 11, 17), "date"),
        ("REF/ALPHA/0042", "reference"),
    ]
    index = index_of(keys)
    text = (
        "s\u043cith rang 0044 (0)7700-900-123 on 17th of November 1999 from sw1a1aa, see Ref alpha-0042; ANN"
    )
    found = core.find(text, core.TextIndex(index))
    assert found == find(Atoms(text), index)
    assert {m[4] for m in found} == set(keys)
    assert {m[2] for m in found} == {"name", "phone", "postcode", "date", "reference"}
    refused = "17/11/\u19da\u19da 1999"  # a digit that is no decimal: int() refuses it in the reference
    with pytest.raises(ValueError):
        find(Atoms(refused), index)
    with pytest.raises(ValueError):
        core.find(refused, core.TextIndex(index))


def test_an_empty_index_and_short_texts_find_nothing() -> None:
    index = index_of([("Ann Smith", "name")])
    for text in ("", "an", " ! ", "Ann"):
        assert core.find(text, core.TextIndex(index)) == find(Atoms(text), index)
    assert core.find("Ann Smith", core.TextIndex(ValueIndex([]))) == []


@pytest.mark.parametrize(
    "event_type", ["IntelligenceReport", "NRMReferral", "PotentialVictimEncounter", "PremisesVisit", "Arrest"]
)
def test_records_are_scrubbed_alike_by_the_native_search_and_the_reference(
    engine: PolicyEngine, monkeypatch: pytest.MonkeyPatch, event_type: str
) -> None:
    from tests.support.leaks import plant

    assert native.AVAILABLE, "the native core is built by pip install"
    seen = 0

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(routed_records(event_type, engine.catalogue.latest(event_type)), st.integers(0, 2**32 - 1))
    def check(record: dict[str, Any], seed: int) -> None:
        nonlocal seen
        plant(record, engine.catalogue.latest(event_type), random.Random(seed))
        with_native = engine.route(event_type, record)
        with monkeypatch.context() as m:
            m.setattr(native, "AVAILABLE", False)
            with_python = engine.route(event_type, record)
        assert [d.partner for d in with_native.deliveries] == [d.partner for d in with_python.deliveries]
        for a, b in zip(with_native.deliveries, with_python.deliveries, strict=True):
            assert a.scrubbed == b.scrubbed, a.partner
            assert texts(a.record) == texts(b.record), a.partner
            seen += sum(n for kinds in a.scrubbed.values() for n in kinds.values())

    check()
    assert seen, "nothing was scrubbed: the records did not exercise rule 11"


def texts(value: Any) -> Any:
    """Every value of a record but ciphertext (sealed afresh each time)."""
    if isinstance(value, dict):
        return {k: texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [texts(v) for v in value]
    return None if isinstance(value, bytes) else value


def test_the_search_object_uses_what_it_is_told() -> None:
    index = index_of([("Ann Smith", "name"), (date(2001, 2, 3), "date")])
    text = "Smith, 03/02/2001"
    python_search = TextSearch(index, native_core=False)
    native_search = TextSearch(index, native_core=True)
    assert python_search.find(text) == native_search.find(text) == find(Atoms(text), index)
    assert python_search.spans(text) == native_search.spans(text) == [(0, 5), (7, 9), (10, 12), (13, 17)]
    assert len(python_search.find(text)) == 2  # the name part, and the date
