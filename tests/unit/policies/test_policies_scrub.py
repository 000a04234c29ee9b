"""Rule 11's forms and scrubber on their own: a withheld value is found in any spelling a person
would write it in, and only where it is written as a whole (a word, a number, a date)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from policies.forms import forms_of
from policies.scrub import PLACEHOLDERS, placeholder, scrub_text
from policies.transforms import Transform, TransformKind, transformed_output


def _scrub(text: str, *withheld: tuple[Any, str], structured: bool = False) -> str:
    return scrub_text(text, list(withheld), structured=structured)[0]


def _gone(text: str, *withheld: tuple[Any, str]) -> bool:
    """True when scrubbing ``text`` replaced all of it but its placeholders and separators."""
    rest = PLACEHOLDERS.sub("", _scrub(text, *withheld))
    return not any(ch.isalnum() for ch in rest)


@pytest.mark.parametrize(
    "written", ["SW1A 1AA", "sw1a1aa", "SW1A1AA", "sw1a 1aa", "Sw1A-1aA", "S W 1 A 1 A A"]
)
def test_a_postcode_is_found_with_or_without_its_space_in_any_case(written: str) -> None:
    assert _gone(written, ("SW1A 1AA", "postcode"))
    assert _scrub(f"staying at {written}.", ("SW1A 1AA", "postcode")) == "staying at [address withheld]."


@pytest.mark.parametrize(
    "written",
    [
        "1999-11-17",
        "17/11/1999",
        "17/11/99",
        "17.11.1999",
        "17-11-1999",
        "17 Nov 1999",
        "17 NOV 1999",
        "17th November 1999",
        "17th of November 1999",
        "November 17, 1999",
        "Nov 17th 1999",
        "11/17/1999",
        "19991117",
        "17111999",
        "1999/11/17",
    ],
)
def test_a_date_is_found_in_every_common_spelling(written: str) -> None:
    for withheld in (date(1999, 11, 17), datetime(1999, 11, 17, 9, 30, tzinfo=UTC), "1999-11-17"):
        kind = "date" if not isinstance(withheld, str) else "label"
        assert _scrub(f"born {written} in Iasi", (withheld, kind)) == "born [date withheld] in Iasi"


def test_single_digit_days_and_months_are_found_with_and_without_zeros() -> None:
    for written in ("1/5/2010", "01/05/2010", "1.5.10", "01-05-10", "1st May 2010", "May 1, 2010"):
        assert _gone(written, (date(2010, 5, 1), "date")), written


@pytest.mark.parametrize("written", ["1999", "Nov 1999", "18/11/1999", "17/12/1999", "171119990"])
def test_other_dates_and_a_bare_year_are_left(written: str) -> None:
    assert _scrub(written, (date(1999, 11, 17), "date")) == written


@pytest.mark.parametrize(
    "written",
    [
        "+44 7700 900123",
        "+447700900123",
        "07700 900123",
        "07700-900-123",
        "0044 7700 900 123",
        "+44 (0) 7700 900123",
        "(07700) 900123",
        "7700900123",
    ],
)
def test_a_phone_is_found_whatever_its_prefix_and_separators(written: str) -> None:
    for withheld in ("+44 7700 900123", "07700900123"):
        assert _scrub(f"call {written} now", (withheld, "phone")).startswith("call "), written
        assert "7700" not in _scrub(f"call {written} now", (withheld, "phone"))
        assert "[phone withheld]" in _scrub(f"call {written} now", (withheld, "phone"))


def test_a_foreign_phone_written_nationally_is_found() -> None:
    assert "[phone withheld]" in _scrub("tel 0721 234 567", ("+40 721 234 567", "phone"))


def test_two_phones_in_a_row_are_both_found() -> None:
    text = "07700 900123, 07700 900456"
    out = _scrub(text, ("+447700900123", "phone"), ("+447700900456", "phone"))
    assert out == "[phone withheld], [phone withheld]"


def test_a_short_run_of_digits_is_not_taken_for_a_phone() -> None:
    assert _scrub("room 123", ("+447700900123", "phone")) == "room 123"


@pytest.mark.parametrize("written", ["12345678", "1234 5678", "1234-5678", "12 34 56 78"])
def test_an_account_number_is_found_with_or_without_separators(written: str) -> None:
    assert _gone(written, ("12345678", "account"))


@pytest.mark.parametrize("written", ["12-34-56", "123456", "12 34 56"])
def test_a_sort_code_is_found_with_or_without_dashes(written: str) -> None:
    assert _scrub(f"sort {written}", ("12-34-56", "sort_code")) == "sort [account withheld]"


@pytest.mark.parametrize("written", ["AB12 CDE", "ab12cde", "AB-12-CDE"])
def test_a_vehicle_registration_is_found_with_or_without_spaces(written: str) -> None:
    assert _gone(written, ("AB12 CDE", "vehicle"))


def test_a_passport_number_is_found_in_any_case() -> None:
    assert _gone("passport 123456789gbr", ("123456789GBR", "document")) is False  # "passport" stays
    assert _scrub("passport 123456789gbr", ("123456789GBR", "document")) == "passport [identifier withheld]"


@pytest.mark.parametrize(
    "written",
    ["Elena Popescu", "ELENA POPESCU", "elena-popescu", "Popescu, Elena", "E. POPESCU", "elena_popescu"],
)
def test_each_part_of_a_name_and_the_whole_name_are_found(written: str) -> None:
    out = _scrub(f"met {written} today", ("Elena Popescu", "name"))
    assert "elena" not in out.casefold() and "popescu" not in out.casefold(), out
    assert "[name withheld]" in out


def test_a_name_part_is_found_as_a_whole_word_only() -> None:
    assert _scrub("Annabel and Joanna", ("Ann Hale", "name")) == "Annabel and Joanna"
    assert _scrub("ann, not Hale's", ("Ann Hale", "name")) == "[name withheld], not [name withheld]'s"


def test_name_parts_shorter_than_three_letters_are_left() -> None:
    assert _scrub("Li said Wei", ("Li Wei", "name")) == "Li said [name withheld]"


def test_a_name_written_with_accents_or_look_alike_letters_is_found() -> None:
    assert _scrub("Zoe Kovac", ("Zoë Kováč", "name")) == "[name withheld]"
    cyrillic = "\u0410nn\u0430 Smith"  # Cyrillic capital A and small a
    assert _scrub(cyrillic, ("Anna Smith", "name")) == "[name withheld]"


def test_an_email_address_and_its_local_part_are_found() -> None:
    out = _scrub("mail ana.p@example.org or ANA.P", ("ana.p@example.org", "email"))
    assert out == "mail [email withheld] or [email withheld]"


def test_any_string_is_found_in_any_case_and_with_any_separators() -> None:
    assert _scrub("see chis-GL-0193 and CHIS GL 0193", ("CHIS-GL-0193", "reference")) == (
        "see [reference withheld] and [reference withheld]"
    )


def test_a_value_is_never_found_inside_a_longer_word_or_number() -> None:
    assert _scrub("CHIS-GL-01934", ("CHIS-GL-0193", "reference")) == "CHIS-GL-01934"
    assert _scrub("xsw1a1aa", ("SW1A 1AA", "postcode")) == "xsw1a1aa"


def test_codes_and_short_values_are_not_searched_for() -> None:
    assert forms_of("GBR", "code") is None
    assert forms_of("ab", "label") is None
    assert forms_of(None, "name") is None
    assert forms_of(True, "label") is None


def test_overlapping_values_become_one_placeholder_named_by_the_longest() -> None:
    out = _scrub("at 12 High Street GL1 2AB", ("12 High Street", "address"), ("High", "label"))
    assert out == "at [address withheld] GL1 2AB"


def test_a_structured_field_keeps_a_plain_label_it_holds_whole_but_never_an_identity() -> None:
    assert _scrub("Black", ("black", "label"), structured=True) == "Black"
    assert _scrub("Black Ford", ("black", "label"), structured=True) == "[value withheld] Ford"
    assert _scrub("Ann Hale", ("Ann Hale", "name"), structured=True) == "[name withheld]"
    assert _scrub("Black", ("black", "label"), structured=False) == "[value withheld]"


def test_scrub_counts_each_span_by_kind() -> None:
    withheld = [("Ann Hale", "name"), (date(2001, 2, 3), "date")]
    text, kinds = scrub_text("Ann Hale, born 3/2/2001; Hale again", withheld)
    assert text == "[name withheld], born [date withheld]; [name withheld] again"
    assert sorted(kinds) == ["date", "name", "name"]


def test_placeholders_name_the_kind_and_hint_nothing() -> None:
    assert placeholder("postcode") == placeholder("address") == "[address withheld]"
    assert placeholder("sort_code") == "[account withheld]"
    assert placeholder("nonsense") == "[value withheld]"


def test_only_shapes_a_transform_produces_escape_scrubbing() -> None:
    pseudonymised = transformed_output((Transform(TransformKind.KEEP), Transform(TransformKind.PSEUDONYMISE)))
    assert pseudonymised("pt1_" + "0" * 32)
    assert not pseudonymised("pt1_ Elena Popescu")
    masked = transformed_output((Transform(TransformKind.MASK, {"keep_last": 4}),))
    assert masked("****0123")
    assert not masked("****Elena Popescu")
    kept = transformed_output((Transform(TransformKind.KEEP),))
    assert not kept("****0123") and not kept("pt1_" + "0" * 32)
